//! [`Decimal`]: the money type — a signed fixed-point number with 18
//! decimals stored in an `i128` (raw value = value × 10^18).
//!
//! Promises: addition, subtraction and integer multiplication are exact or
//! fail with [`MathError::Overflow`]; every operation that can be inexact
//! (multiplication, division, conversion to ticks or lots, square root,
//! rounding to fewer decimals) takes an explicit [`Rounding`] and rounds
//! exactly once, using 256-bit intermediates when needed. `Display` prints
//! the shortest exact decimal and `FromStr` parses it back bit for bit.

use core::fmt;
use core::str::FromStr;

use ethnum::U256;

use crate::wide::{div_i128, isqrt_u256, mul_div_i128};
use crate::{MathError, Rounding};

/// A signed fixed-point decimal with 18 fractional digits.
///
/// The range is about ±1.7 × 10^20 with a resolution of 10^-18. The derived
/// ordering, equality and hashing are those of the numeric value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(i128);

/// `10^k` for `k` in `0..=18`.
const POW10: [i128; 19] = {
    let mut table = [1i128; 19];
    let mut k = 1;
    while k < 19 {
        table[k] = table[k - 1] * 10;
        k += 1;
    }
    table
};

impl Decimal {
    /// Number of fractional decimal digits.
    pub const DECIMALS: u32 = 18;
    /// Raw value of one unit: `10^DECIMALS`.
    pub const SCALE: i128 = 1_000_000_000_000_000_000;
    /// Zero.
    pub const ZERO: Decimal = Decimal(0);
    /// One.
    pub const ONE: Decimal = Decimal(Self::SCALE);
    /// The largest representable value (`i128::MAX` raw).
    pub const MAX: Decimal = Decimal(i128::MAX);
    /// The smallest representable value (`i128::MIN` raw).
    pub const MIN: Decimal = Decimal(i128::MIN);

    /// Wraps a raw value (value × 10^18).
    #[inline]
    pub const fn from_raw(raw: i128) -> Self {
        Decimal(raw)
    }

    /// The raw value (value × 10^18).
    #[inline]
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// The integer `n` as a decimal; always fits (|n| × 10^18 < 2^124).
    #[inline]
    pub const fn from_int(n: i64) -> Self {
        Decimal(n as i128 * Self::SCALE)
    }

    /// The integer `n` as a decimal.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if `|n|` is above about 1.7 × 10^20.
    #[inline]
    pub fn from_i128_int(n: i128) -> Result<Self, MathError> {
        n.checked_mul(Self::SCALE).map(Decimal).ok_or(MathError::Overflow)
    }

    /// `num / den` as a decimal, rounded to 18 decimals as asked.
    ///
    /// # Errors
    /// [`MathError::DivisionByZero`] if `den == 0`; [`MathError::Overflow`]
    /// if the result is out of range.
    #[inline]
    pub fn from_ratio(num: i128, den: i128, r: Rounding) -> Result<Self, MathError> {
        mul_div_i128(num, Self::SCALE, den, r).map(Decimal)
    }

    /// `self + rhs`, exact.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the sum is out of range.
    #[inline]
    pub fn checked_add(self, rhs: Decimal) -> Result<Decimal, MathError> {
        self.0.checked_add(rhs.0).map(Decimal).ok_or(MathError::Overflow)
    }

    /// `self - rhs`, exact.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the difference is out of range.
    #[inline]
    pub fn checked_sub(self, rhs: Decimal) -> Result<Decimal, MathError> {
        self.0.checked_sub(rhs.0).map(Decimal).ok_or(MathError::Overflow)
    }

    /// `-self`, exact.
    ///
    /// # Errors
    /// [`MathError::Overflow`] for [`Decimal::MIN`].
    #[inline]
    pub fn checked_neg(self) -> Result<Decimal, MathError> {
        self.0.checked_neg().map(Decimal).ok_or(MathError::Overflow)
    }

    /// `|self|`, exact.
    ///
    /// # Errors
    /// [`MathError::Overflow`] for [`Decimal::MIN`].
    #[inline]
    pub fn checked_abs(self) -> Result<Decimal, MathError> {
        self.0.checked_abs().map(Decimal).ok_or(MathError::Overflow)
    }

    /// Whether the value is zero.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether the value is strictly below zero.
    #[inline]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether the value is strictly above zero.
    #[inline]
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `-1`, `0` or `1` according to the sign.
    #[inline]
    pub const fn signum(self) -> i32 {
        self.0.signum() as i32
    }

    /// `self × rhs`, rounded once to 18 decimals as asked.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the result is out of range.
    #[inline]
    pub fn mul(self, rhs: Decimal, r: Rounding) -> Result<Decimal, MathError> {
        mul_div_i128(self.0, rhs.0, Self::SCALE, r).map(Decimal)
    }

    /// `self ÷ rhs`, rounded once to 18 decimals as asked.
    ///
    /// # Errors
    /// [`MathError::DivisionByZero`] if `rhs` is zero;
    /// [`MathError::Overflow`] if the result is out of range.
    #[inline]
    pub fn div(self, rhs: Decimal, r: Rounding) -> Result<Decimal, MathError> {
        mul_div_i128(self.0, Self::SCALE, rhs.0, r).map(Decimal)
    }

    /// `self × num ÷ den` with a single rounding (the product is kept exact).
    ///
    /// # Errors
    /// [`MathError::DivisionByZero`] if `den` is zero;
    /// [`MathError::Overflow`] if the result is out of range.
    #[inline]
    pub fn mul_div(self, num: Decimal, den: Decimal, r: Rounding) -> Result<Decimal, MathError> {
        // (s/S)(n/S)/(d/S) = s·n/(d·S): the raw result is s·n/d.
        mul_div_i128(self.0, num.0, den.0, r).map(Decimal)
    }

    /// `self × n` for an integer `n`, exact.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the result is out of range.
    #[inline]
    pub fn mul_int(self, n: i128) -> Result<Decimal, MathError> {
        self.0.checked_mul(n).map(Decimal).ok_or(MathError::Overflow)
    }

    /// `self ÷ n` for an integer `n`, rounded to 18 decimals as asked.
    ///
    /// # Errors
    /// [`MathError::DivisionByZero`] if `n == 0`; [`MathError::Overflow`]
    /// for `MIN ÷ -1`.
    #[inline]
    pub fn div_int(self, n: i128, r: Rounding) -> Result<Decimal, MathError> {
        div_i128(self.0, n, r).map(Decimal)
    }

    /// How many whole `step`s (ticks, lots) this value is, rounded as asked:
    /// `self ÷ step` as an integer.
    ///
    /// # Errors
    /// [`MathError::DivisionByZero`] unless `step > 0`.
    #[inline]
    pub fn to_units(self, step: Decimal, r: Rounding) -> Result<i128, MathError> {
        if step.0 <= 0 {
            return Err(MathError::DivisionByZero);
        }
        div_i128(self.0, step.0, r)
    }

    /// `units × step`, exact (the inverse of [`Decimal::to_units`]).
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the result is out of range.
    #[inline]
    pub fn from_units(units: i128, step: Decimal) -> Result<Decimal, MathError> {
        units.checked_mul(step.0).map(Decimal).ok_or(MathError::Overflow)
    }

    /// Whether `self` is a whole number of `step`s. A zero `step` divides
    /// only zero.
    #[inline]
    pub fn is_multiple_of(self, step: Decimal) -> bool {
        if step.0 == 0 {
            self.0 == 0
        } else {
            // wrapping_rem yields the exact 0 for MIN % -1.
            self.0.wrapping_rem(step.0) == 0
        }
    }

    /// The value rounded to an integer as asked.
    ///
    /// # Errors
    /// Never fails in practice (the quotient by 10^18 always fits); the
    /// `Result` keeps the signature uniform.
    #[inline]
    pub fn round_to_int(self, r: Rounding) -> Result<i128, MathError> {
        div_i128(self.0, Self::SCALE, r)
    }

    /// How many decimals the value has: `0.1` → 1, `0.25` → 2, `0.0005` → 4, `5` → 0
    /// (the fewest that represent it exactly, at most 18).
    pub fn decimal_places(self) -> u32 {
        let mut raw = self.0;
        let mut places = 18;
        while places > 0 && raw % 10 == 0 {
            raw /= 10;
            places -= 1;
        }
        places
    }

    /// The value rounded to `dp` decimals as asked; `dp >= 18` is the
    /// identity.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if rounding away from zero leaves the range
    /// (e.g. `MAX` rounded up).
    pub fn round_dp(self, dp: u32, r: Rounding) -> Result<Decimal, MathError> {
        if dp >= Self::DECIMALS {
            return Ok(self);
        }
        let unit = POW10[(Self::DECIMALS - dp) as usize];
        let q = div_i128(self.0, unit, r)?;
        q.checked_mul(unit).map(Decimal).ok_or(MathError::Overflow)
    }

    /// The square root, rounded to 18 decimals as asked.
    ///
    /// Computed exactly as the integer square root of `raw × 10^18` in 256
    /// bits. `Floor` and `TowardZero` agree (the root is non-negative);
    /// `HalfEven` never meets a tie (a square root of an integer is never a
    /// half-integer).
    ///
    /// # Errors
    /// [`MathError::NegativeSqrt`] if `self < 0`.
    pub fn sqrt(self, r: Rounding) -> Result<Decimal, MathError> {
        if self.0 < 0 {
            return Err(MathError::NegativeSqrt);
        }
        // raw < 2^127 and SCALE < 2^60, so the product fits in 256 bits and
        // its root (< 2^94) fits in i128.
        let n = U256::from(self.0.unsigned_abs()) * U256::from(Self::SCALE.unsigned_abs());
        let root = isqrt_u256(n);
        let wide_root = U256::from(root);
        let square = wide_root * wide_root;
        let up = match r {
            Rounding::Floor | Rounding::TowardZero => false,
            Rounding::Ceil => square != n,
            // sqrt(n) > root + 1/2  <=>  n > root^2 + root + 1/4
            //                       <=>  n > root^2 + root (n is an integer).
            Rounding::HalfEven => n > square + wide_root,
        };
        let root = root + u128::from(up);
        i128::try_from(root).map(Decimal).map_err(|_| MathError::Overflow)
    }
}

/// Largest magnitude a parsed positive raw value may have.
const MAX_POSITIVE: u128 = i128::MAX as u128;
/// Largest magnitude a parsed negative raw value may have (`2^127`).
const MAX_NEGATIVE: u128 = i128::MIN.unsigned_abs();

impl fmt::Display for Decimal {
    /// Prints the shortest exact decimal: no exponent, no trailing
    /// fractional zeros, no decimal point for integers (`100`, `123.45`,
    /// `-0.000000000000000001`). Honours width, fill and alignment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Longest output: '-' + 21 integer digits + '.' + 18 digits = 41.
        let mut buf = [0u8; 48];
        let mut len = 0;
        let mut push = |b: u8| {
            buf[len] = b;
            len += 1;
        };
        let scale = Self::SCALE.unsigned_abs();
        let magnitude = self.0.unsigned_abs();
        let int = magnitude / scale;
        let frac = magnitude % scale;
        if self.0 < 0 {
            push(b'-');
        }
        // Integer digits, most significant first.
        let mut digits = [0u8; 40];
        let mut n = 0;
        let mut rest = int;
        loop {
            digits[n] = b'0' + (rest % 10) as u8;
            n += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &d in digits[..n].iter().rev() {
            push(d);
        }
        if frac != 0 {
            push(b'.');
            // All 18 digits, zero-padded on the left...
            let mut div = scale / 10;
            while div > 0 {
                push(b'0' + (frac / div % 10) as u8);
                div /= 10;
            }
            // ...then drop the trailing zeros (frac != 0 keeps a non-zero one).
            while buf[len - 1] == b'0' {
                len -= 1;
            }
        }
        let text = core::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?;
        f.pad(text)
    }
}

impl FromStr for Decimal {
    type Err = MathError;

    /// Parses `[+-]digits[.digits]` with at most 18 fractional digits.
    ///
    /// Rejected with [`MathError::Parse`]: empty input, missing digits on
    /// either side of the point (`.5`, `5.`), whitespace, exponents,
    /// separators, more than 18 fractional digits, and values out of range.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let (negative, body) = match bytes.first() {
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        let (int_part, frac_part) = match body.iter().position(|&b| b == b'.') {
            Some(dot) => (&body[..dot], Some(&body[dot + 1..])),
            None => (body, None),
        };
        if int_part.is_empty() {
            return Err(MathError::Parse);
        }
        let mut int: u128 = 0;
        for &b in int_part {
            let d = digit(b)?;
            int = int.checked_mul(10).and_then(|v| v.checked_add(d)).ok_or(MathError::Parse)?;
        }
        let mut frac: u128 = 0;
        if let Some(frac_part) = frac_part {
            if frac_part.is_empty() || frac_part.len() > Self::DECIMALS as usize {
                return Err(MathError::Parse);
            }
            for &b in frac_part {
                frac = frac * 10 + digit(b)?;
            }
            // Fewer than 18 digits: scale up to 18 (exact, < 10^18).
            frac *= POW10[Self::DECIMALS as usize - frac_part.len()].unsigned_abs();
        }
        let magnitude =
            int.checked_mul(Self::SCALE.unsigned_abs()).and_then(|v| v.checked_add(frac)).ok_or(MathError::Parse)?;
        if negative {
            if magnitude > MAX_NEGATIVE {
                return Err(MathError::Parse);
            }
            0i128.checked_sub_unsigned(magnitude).map(Decimal).ok_or(MathError::Parse)
        } else {
            if magnitude > MAX_POSITIVE {
                return Err(MathError::Parse);
            }
            i128::try_from(magnitude).map(Decimal).map_err(|_| MathError::Parse)
        }
    }
}

/// The value of an ASCII decimal digit.
#[inline]
fn digit(b: u8) -> Result<u128, MathError> {
    if b.is_ascii_digit() {
        Ok(u128::from(b - b'0'))
    } else {
        Err(MathError::Parse)
    }
}

/// In human-readable formats (JSON) a decimal is its exact decimal string, e.g. `"-12.5"`,
/// so no client ever loses precision to floating point; in binary formats it is the raw
/// i128.
impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_i128(self.0)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(|_| serde::de::Error::custom(format!("invalid decimal {text:?}")))
        } else {
            i128::deserialize(deserializer).map(Decimal)
        }
    }
}

/// The JSON Schema of a decimal as JSON carries it: a string of an optional sign, digits and
/// at most 18 fractional digits (`"-12.5"`, `"100"`), never a JSON number. Its range is
/// about ±1.7 × 10^20, which the pattern does not bound.
impl schemars::JsonSchema for Decimal {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "novation_math::Decimal".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An exact decimal as a string: optional sign, digits, and at most 18 fractional digits (no exponent, no leading '.'), e.g. \"-12.5\". Never a JSON number.",
            "type": "string",
            "pattern": DECIMAL_PATTERN,
            "examples": ["12.5", "-0.000001", "100"],
        })
    }
}

/// The regular expression every decimal's JSON text matches (and [`Decimal::from_str`]
/// accepts, within range).
pub const DECIMAL_PATTERN: &str = r"^[+-]?[0-9]+(\.[0-9]{1,18})?$";

#[cfg(test)]
mod tests {
    use super::*;
    use Rounding::*;

    #[test]
    fn decimal_places_are_the_fewest_that_represent_the_value() {
        let dec = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(dec("0.001").decimal_places(), 3);
        assert_eq!(dec("5").decimal_places(), 0);
        assert_eq!(dec("0.25").decimal_places(), 2);
        assert_eq!(dec("0.1").decimal_places(), 1);
        assert_eq!(dec("0.0001").decimal_places(), 4);
        assert_eq!(dec("0.01").decimal_places(), 2);
        assert_eq!(dec("1").decimal_places(), 0);
        assert_eq!(dec("10").decimal_places(), 0);
        assert_eq!(dec("0.0005").decimal_places(), 4);
        assert_eq!(dec("-0.5").decimal_places(), 1);
        assert_eq!(Decimal::from_raw(1).decimal_places(), 18);
        assert_eq!(Decimal::ZERO.decimal_places(), 0);
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn constants() {
        assert_eq!(Decimal::ONE.raw(), 10i128.pow(Decimal::DECIMALS));
        assert_eq!(Decimal::from_int(1), Decimal::ONE);
        assert_eq!(Decimal::default(), Decimal::ZERO);
        assert_eq!(Decimal::from_int(i64::MIN).raw(), i64::MIN as i128 * Decimal::SCALE);
        assert_eq!(POW10[18], Decimal::SCALE);
    }

    #[test]
    fn display_shortest_exact() {
        assert_eq!(Decimal::from_raw(123_450_000_000_000_000_000).to_string(), "123.45");
        assert_eq!(Decimal::from_raw(-1).to_string(), "-0.000000000000000001");
        assert_eq!(Decimal::from_int(100).to_string(), "100");
        assert_eq!(Decimal::ZERO.to_string(), "0");
        assert_eq!(Decimal::from_int(-7).to_string(), "-7");
        assert_eq!(Decimal::from_raw(-500_000_000_000_000_000).to_string(), "-0.5");
        assert_eq!(Decimal::from_raw(1_020_000_000_000_000_000).to_string(), "1.02");
        assert_eq!(Decimal::MIN.to_string(), "-170141183460469231731.687303715884105728");
        assert_eq!(Decimal::MAX.to_string(), "170141183460469231731.687303715884105727");
        assert_eq!(format!("{:>6}", Decimal::from_int(5)), "     5");
    }

    #[test]
    fn parse_accepts_and_rejects() {
        assert_eq!(d("-12.5").raw(), -12_500_000_000_000_000_000);
        assert_eq!(d("+3"), Decimal::from_int(3));
        assert_eq!(d("0.1").raw(), 100_000_000_000_000_000);
        assert_eq!(d("100"), Decimal::from_int(100));
        assert_eq!(d("-0"), Decimal::ZERO);
        assert_eq!(d("007.000000000000000001").raw(), 7 * Decimal::SCALE + 1);
        assert_eq!(d("-170141183460469231731.687303715884105728"), Decimal::MIN);
        assert_eq!(d("170141183460469231731.687303715884105727"), Decimal::MAX);
        for bad in [
            "",
            "-",
            "+",
            ".",
            ".5",
            "5.",
            "1.2.3",
            "1e5",
            " 1",
            "1 ",
            "1_000",
            "--1",
            "+-1",
            "0x10",
            "abc",
            "1.0000000000000000000",
            "170141183460469231731.687303715884105728",
            "-170141183460469231731.687303715884105729",
            "999999999999999999999999999999999999999999999",
            "١",
        ] {
            assert_eq!(bad.parse::<Decimal>(), Err(MathError::Parse), "{bad:?}");
        }
    }

    #[test]
    fn arithmetic() {
        assert_eq!(d("1.5").checked_add(d("2.25")), Ok(d("3.75")));
        assert_eq!(d("1.5").checked_sub(d("2.25")), Ok(d("-0.75")));
        assert_eq!(Decimal::MAX.checked_add(Decimal::from_raw(1)), Err(MathError::Overflow));
        assert_eq!(Decimal::MIN.checked_sub(Decimal::from_raw(1)), Err(MathError::Overflow));
        assert_eq!(Decimal::MIN.checked_neg(), Err(MathError::Overflow));
        assert_eq!(Decimal::MIN.checked_abs(), Err(MathError::Overflow));
        assert_eq!(d("-2").checked_abs(), Ok(d("2")));
        assert_eq!(d("-2").signum(), -1);
        assert_eq!(Decimal::ZERO.signum(), 0);
        assert!(d("0.000000000000000001").is_positive());
        assert!(Decimal::ZERO.is_zero());
        assert!(d("-1").is_negative());
    }

    #[test]
    fn mul_div_rounding() {
        let third = Decimal::ONE.div(d("3"), Floor).unwrap();
        assert_eq!(third.to_string(), "0.333333333333333333");
        assert_eq!(Decimal::ONE.div(d("3"), Ceil).unwrap().to_string(), "0.333333333333333334");
        assert_eq!(d("-1").div(d("3"), Floor).unwrap().to_string(), "-0.333333333333333334");
        assert_eq!(d("1.5").mul(d("1.5"), Floor), Ok(d("2.25")));
        assert_eq!(d("0.000000000000000001").mul(d("0.5"), HalfEven), Ok(Decimal::ZERO));
        assert_eq!(d("0.000000000000000003").mul(d("0.5"), HalfEven), Ok(d("0.000000000000000002")));
        assert_eq!(d("1").div(Decimal::ZERO, Floor), Err(MathError::DivisionByZero));
        assert_eq!(d("100000000000").mul(d("100000000000"), Floor), Err(MathError::Overflow));
        // Single rounding: 1 × 1 / 3 × 3 would lose precision if rounded twice.
        assert_eq!(d("10").mul_div(d("3"), d("3"), Floor), Ok(d("10")));
        assert_eq!(Decimal::MAX.mul_div(d("7"), d("7"), Floor), Ok(Decimal::MAX));
        assert_eq!(d("1.25").mul_int(-4), Ok(d("-5")));
        assert_eq!(Decimal::MAX.mul_int(2), Err(MathError::Overflow));
        assert_eq!(d("1").div_int(4, Floor), Ok(d("0.25")));
        assert_eq!(Decimal::from_ratio(1, 8, Floor), Ok(d("0.125")));
        assert_eq!(Decimal::from_ratio(2, 3, HalfEven).unwrap().to_string(), "0.666666666666666667");
        assert_eq!(Decimal::from_ratio(1, 0, Floor), Err(MathError::DivisionByZero));
        assert_eq!(Decimal::from_i128_int(i128::MAX), Err(MathError::Overflow));
        assert_eq!(Decimal::from_i128_int(-3), Ok(d("-3")));
    }

    #[test]
    fn units() {
        let tick = d("0.01");
        assert_eq!(d("1.234").to_units(tick, Floor), Ok(123));
        assert_eq!(d("1.234").to_units(tick, Ceil), Ok(124));
        assert_eq!(d("-1.235").to_units(tick, HalfEven), Ok(-124));
        assert_eq!(d("-1.225").to_units(tick, HalfEven), Ok(-122));
        assert_eq!(d("-1.225").to_units(tick, TowardZero), Ok(-122));
        assert_eq!(d("1").to_units(Decimal::ZERO, Floor), Err(MathError::DivisionByZero));
        assert_eq!(d("1").to_units(d("-0.01"), Floor), Err(MathError::DivisionByZero));
        assert_eq!(Decimal::from_units(123, tick), Ok(d("1.23")));
        assert_eq!(Decimal::from_units(i128::MAX, tick), Err(MathError::Overflow));
        assert!(d("1.23").is_multiple_of(tick));
        assert!(!d("1.234").is_multiple_of(tick));
        assert!(Decimal::ZERO.is_multiple_of(Decimal::ZERO));
        assert!(!d("1").is_multiple_of(Decimal::ZERO));
        assert!(Decimal::MIN.is_multiple_of(Decimal::from_raw(-1)));
    }

    #[test]
    fn rounding_to_int_and_dp() {
        assert_eq!(d("2.5").round_to_int(HalfEven), Ok(2));
        assert_eq!(d("3.5").round_to_int(HalfEven), Ok(4));
        assert_eq!(d("-2.5").round_to_int(Floor), Ok(-3));
        assert_eq!(d("-2.5").round_to_int(Ceil), Ok(-2));
        assert_eq!(Decimal::MIN.round_to_int(Floor), Ok(-170141183460469231732));
        assert_eq!(d("1.2345").round_dp(2, HalfEven), Ok(d("1.23")));
        assert_eq!(d("1.2355").round_dp(3, HalfEven), Ok(d("1.236")));
        assert_eq!(d("-1.2345").round_dp(2, Floor), Ok(d("-1.24")));
        assert_eq!(d("1.2345").round_dp(0, Ceil), Ok(d("2")));
        assert_eq!(d("1.2345").round_dp(18, Ceil), Ok(d("1.2345")));
        assert_eq!(d("1.2345").round_dp(40, Ceil), Ok(d("1.2345")));
        assert_eq!(Decimal::MAX.round_dp(0, Ceil), Err(MathError::Overflow));
        assert_eq!(Decimal::MIN.round_dp(0, Floor), Err(MathError::Overflow));
    }

    #[test]
    fn sqrt() {
        assert_eq!(d("4").sqrt(Floor), Ok(d("2")));
        assert_eq!(d("2").sqrt(Floor).unwrap().to_string(), "1.414213562373095048");
        assert_eq!(d("2").sqrt(Ceil).unwrap().to_string(), "1.414213562373095049");
        assert_eq!(d("2").sqrt(HalfEven).unwrap().to_string(), "1.414213562373095049");
        assert_eq!(d("0.01").sqrt(Ceil), Ok(d("0.1")));
        assert_eq!(Decimal::ZERO.sqrt(Ceil), Ok(Decimal::ZERO));
        assert_eq!(d("-1").sqrt(Floor), Err(MathError::NegativeSqrt));
        assert_eq!(Decimal::MAX.sqrt(Floor).unwrap().to_string(), "13043817825.332782212349571806");
    }
}
