//! The rounding modes every inexact operation of the crate must be given.
//!
//! No operation here rounds implicitly: the caller names the direction, so
//! that rounding can always be chosen to favour the protocol (margin
//! requirements up, payouts and collateral values down).

/// How to turn an exact rational result into a representable one.
///
/// All modes return the exact result unchanged when it is representable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward negative infinity (`-2.5 → -3`, `2.5 → 2`).
    Floor,
    /// Toward positive infinity (`-2.5 → -2`, `2.5 → 3`).
    Ceil,
    /// To the nearest representable value; exact ties go to the even
    /// neighbour (`2.5 → 2`, `3.5 → 4`, `-2.5 → -2`). Banker's rounding.
    HalfEven,
    /// Toward zero, i.e. truncation (`-2.5 → -2`, `2.5 → 2`).
    TowardZero,
}

impl Rounding {
    /// Every mode, in declaration order (handy for exhaustive tests).
    pub const ALL: [Rounding; 4] = [Rounding::Floor, Rounding::Ceil, Rounding::HalfEven, Rounding::TowardZero];
}
