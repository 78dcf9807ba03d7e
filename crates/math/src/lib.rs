//! Exact integer and fixed-point arithmetic for novation.
//!
//! Money is a [`Decimal`]: an `i128` with 18 fractional digits. Rates are
//! [`Ppm`] (parts per million). Every operation that can be inexact takes an
//! explicit [`Rounding`] and rounds exactly once, with 256-bit intermediates
//! where a product would not fit `i128`. Overflow is reported as
//! [`MathError::Overflow`], never wrapped; nothing here panics on input and
//! nothing uses floating point.
//!
//! The building blocks are [`mul_div_i128`], [`div_i128`] and
//! [`isqrt_u128`].
//!
//! On top of them, integer-only transcendental functions: [`Decimal::exp`],
//! [`Decimal::ln`], the standard normal [`normal_pdf`] and [`normal_cdf`],
//! and Black-76 option pricing, Greeks and implied volatility in
//! [`black76`].
//! For margin scenario grids, [`SeriesPricer`] prices one series under
//! many `(forward, vol)` scenarios (fast fixed-point kernel).
//!
//! Volatility smiles: Gatheral's raw SVI parameterization per expiry, with
//! butterfly, wing and calendar no-arbitrage checks, in [`svi`].

#![deny(missing_docs)]

pub mod black76;
mod decimal;
mod error;
mod fast;
mod normal;
mod ppm;
mod rounding;
mod series;
pub mod svi;
mod transcendental;
mod wide;

pub use black76::{Black76Inputs, Black76Market, Greeks, OptionKind, Valuation};
pub use decimal::{Decimal, DECIMAL_PATTERN};
pub use error::MathError;
pub use normal::{normal_cdf, normal_pdf};
pub use ppm::Ppm;
pub use rounding::Rounding;
pub use series::{PreparedForward, SeriesPricer};
pub use svi::{check_calendar, log_moneyness, SviError, SviParams, CHECK_GRID};
pub use wide::{div_i128, isqrt_u128, mul_div_i128};
