//! The single error type of the crate: every fallible operation returns
//! [`MathError`] instead of panicking or wrapping.

use core::fmt;

/// Why an arithmetic operation could not produce an exact, in-range result.
///
/// The variants are stable, typed codes: callers map them to their own
/// documented rejection reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    /// The mathematically exact result does not fit the target type.
    Overflow,
    /// A divisor (or a step size) was zero.
    DivisionByZero,
    /// The square root of a negative number was requested.
    NegativeSqrt,
    /// A string could not be parsed as a number of the requested type
    /// (malformed, too many fractional digits, or out of range).
    Parse,
    /// An argument lies outside the mathematical domain of the function
    /// (e.g. the logarithm of a non-positive number, a non-positive forward
    /// or strike, a negative volatility or time), or outside the supported
    /// range where the result is undefined.
    Domain,
    /// A quoted option price lies outside its no-arbitrage bounds, so no
    /// implied volatility exists.
    ArbitrageBounds,
}

impl fmt::Display for MathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            MathError::Overflow => "arithmetic overflow",
            MathError::DivisionByZero => "division by zero",
            MathError::NegativeSqrt => "square root of a negative number",
            MathError::Parse => "invalid decimal number",
            MathError::Domain => "argument outside the function's domain",
            MathError::ArbitrageBounds => "price outside no-arbitrage bounds",
        };
        f.write_str(msg)
    }
}

impl std::error::Error for MathError {}

#[cfg(test)]
mod tests {
    use super::MathError;

    #[test]
    fn display_is_human_readable() {
        assert_eq!(MathError::Overflow.to_string(), "arithmetic overflow");
        assert_eq!(MathError::DivisionByZero.to_string(), "division by zero");
        assert_eq!(MathError::NegativeSqrt.to_string(), "square root of a negative number");
        assert_eq!(MathError::Parse.to_string(), "invalid decimal number");
        assert_eq!(MathError::Domain.to_string(), "argument outside the function's domain");
        assert_eq!(MathError::ArbitrageBounds.to_string(), "price outside no-arbitrage bounds");
    }

    #[test]
    fn is_std_error() {
        fn takes(_: &dyn std::error::Error) {}
        takes(&MathError::Overflow);
    }
}
