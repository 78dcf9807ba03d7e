//! Units as types: the core quantities of novation are newtypes over integers, so the
//! compiler keeps prices, sizes and amounts of different scales apart. Each encodes exactly
//! like the integer it wraps (serde `transparent`).

use core::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! unit {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);

            /// The integer it wraps.
            #[inline]
            pub const fn get(self) -> $inner {
                self.0
            }

            /// Whether it is zero.
            #[inline]
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }

            /// `self + other`, `None` on overflow.
            #[inline]
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }

            /// `self − other`, `None` on overflow.
            #[inline]
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }

            /// `self + other`, clamped at the range's edge.
            #[inline]
            pub fn saturating_add(self, other: Self) -> Self {
                Self(self.0.saturating_add(other.0))
            }

            /// `self − other`, clamped at the range's edge.
            #[inline]
            pub fn saturating_sub(self, other: Self) -> Self {
                Self(self.0.saturating_sub(other.0))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

unit! {
    /// A price in ticks of its market (a tick is the market's `tick_size` of quote per whole
    /// unit of the underlying).
    PriceTicks(u64)
}

unit! {
    /// An unsigned size in lots of its market (a lot is the market's `lot_size` of the
    /// underlying): order sizes, open-order totals, open interest.
    Lots(u64)
}

unit! {
    /// A signed position size in lots: positive long, negative short.
    SignedLots(i64)
}

unit! {
    /// An amount of the quote currency in its smallest unit (10^-18): values, PnL, fees,
    /// collateral and equity.
    QuoteRaw(i128)
}

unit! {
    /// A quote amount scaled by 10^6 (a quote amount times a fraction in parts per million),
    /// so margin requirements compare exactly without division.
    QuoteScaled(i128)
}

unit! {
    /// An amount of one asset in that asset's smallest unit: ledger balances and postings.
    AssetUnits(i128)
}

impl SignedLots {
    /// The size without its sign.
    #[inline]
    pub const fn unsigned_abs(self) -> Lots {
        Lots(self.0.unsigned_abs())
    }

    /// −1, 0 or 1.
    #[inline]
    pub const fn signum(self) -> i64 {
        self.0.signum()
    }
}

impl AssetUnits {
    /// `−self`, `None` on overflow.
    #[inline]
    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(Self)
    }

    /// Whether it is below zero (a debt).
    #[inline]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl QuoteRaw {
    /// `−self`, `None` on overflow.
    #[inline]
    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(Self)
    }

    /// The value of `lots` lots at `self` per lot, `None` on overflow.
    #[inline]
    pub fn times_lots(self, lots: SignedLots) -> Option<QuoteRaw> {
        self.0.checked_mul(i128::from(lots.0)).map(QuoteRaw)
    }

    /// The value of `units` at `self` per smallest unit, `None` on overflow.
    #[inline]
    pub fn times_units(self, units: AssetUnits) -> Option<QuoteRaw> {
        self.0.checked_mul(units.0).map(QuoteRaw)
    }

    /// The same amount as units of the quote asset (whose smallest unit is 10^-18).
    #[inline]
    pub const fn as_quote_units(self) -> AssetUnits {
        AssetUnits(self.0)
    }
}

impl Lots {
    /// As a signed size on `side`'s sign (+ for a buy, − for a sell), `None` beyond i64.
    #[inline]
    pub fn signed(self, sign: i64) -> Option<SignedLots> {
        i64::try_from(self.0).ok()?.checked_mul(sign).map(SignedLots)
    }
}
