//! Dated futures and options through their whole life: listing (in the genesis, or by a
//! series schedule as time passes), marks,
//! the volatility surface, expiry and cash settlement.
//!
//! ```text
//!  listed ──► trading (book, margin) ──► final window: index TWAP ──► expiry: orders
//!  cancelled, settlement price fixed, every position cash-settled, series closed
//! ```
//!
//! A dated future's mark follows the perpetual's rule (index, book and basis); an option's
//! mark is its Black-76 value on the index with the volatility the surface gives its strike
//! and expiry. Positions in both use the perpetual's cost basis, so settlement is a fill at
//! the payoff: size × payoff − cost is realised into the quote balance against the
//! `Settlement` ledger account, exactly as a closing trade would be.

mod expiry;
mod listing;
mod option_marks;
mod surface;

pub(crate) use expiry::{settle_expiries, settlement_keys, SettlementTwap};
pub(crate) use listing::list_scheduled;
pub use listing::{expiry_code, series_symbol};
pub(crate) use option_marks::{option_inputs, surface_vol, update_option_marks};
pub use option_marks::{years_to_expiry, MS_PER_YEAR};
pub(crate) use surface::{aggregate_surfaces, check_and_record_smile};
pub use surface::{SmileState, SmileValidity};
