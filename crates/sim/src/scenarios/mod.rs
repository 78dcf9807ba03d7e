//! Adversarial scenarios: replays of classes of attack and crash that have cost real venues
//! money, each played against a chain with the parameters a careful risk officer would
//! choose, by an attacker who plays its best strategy within the public rules.
//!
//! | scenario | story |
//! | --- | --- |
//! | `oracle_pump` | both sides of a thin perpetual in two accounts, the oracle pumped ~10x in minutes, profit withdrawn (Mango Markets, Oct 2022) |
//! | `wash_trade` | off-market trades between colluding accounts at the edge of the band, the winner withdraws |
//! | `backstop_pump` | a large short self-liquidated into the backstop, then the price pumped ~4x (Hyperliquid JELLY, Mar 2025) |
//! | `collateral_crash` | USD borrowed against a token at weights 0.8/0.9, the token −80% in two days (FTX/FTT, Nov 2022) |
//! | `depeg_publisher` | a market-wide crash while one publisher reports a stablecoin depeg |
//! | `collateral_wipeout` | a collateral asset falls 99.99% |
//! | `no_bids_crash` | a crash with no bids below the mark for several blocks (Black Thursday, Mar 2020) |
//! | `pump_then_empty_book` | a concentrated position pumped, then crashed into an empty book |
//! | `gap_through_bankruptcy` | both sides of a thin market, then a 60% gap in one block past the long's margin |
//! | `oracle_outage_gap` | borrowing against a collateral whose oracle is silent while it collapses, then a 70% gap |
//! | `liquidation_into_own_offer` | a liquidation whose only liquidity is the attacker's own offer at the slippage bound |
//!
//! Each returns an [`Outcome`]; [`Outcome::failures`] lists the broken invariants: attacker
//! profit (withdrawn + final equity − deposited) above zero, bad debt beyond the insurance
//! fund, negative reserves, an uncovered loss at some block's end, broken conservation, or
//! a flat account that paid. `tests/scenarios.rs` runs them small; the bench suite
//! `scenarios` prints each outcome as JSON lines.

mod attacker;
mod backstop_pump;
mod collateral_crash;
mod collateral_wipeout;
mod depeg_publisher;
mod gap_through_bankruptcy;
pub mod genesis;
pub mod harness;
mod liquidation_into_own_offer;
mod no_bids_crash;
mod oracle_outage_gap;
mod oracle_pump;
mod pump_then_empty_book;
mod wash_trade;

use novation_math::Decimal;

pub use attacker::{borrow_against_collateral, cross_max, Pair};
pub use harness::Arena;

/// How long a scenario runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Short price paths, for `cargo test`.
    Small,
    /// The paths the stories describe, for the bench suite.
    Full,
}

impl Scale {
    /// `small` blocks at [`Scale::Small`], `full` at [`Scale::Full`].
    pub fn blocks(self, small: usize, full: usize) -> usize {
        match self {
            Scale::Small => small,
            Scale::Full => full,
        }
    }
}

/// A scenario: its name and how to play it.
pub type Scenario = (&'static str, fn(Scale) -> Outcome);

/// Every scenario, in the order of the table above.
pub const ALL: [Scenario; 11] = [
    ("oracle_pump", oracle_pump::run),
    ("wash_trade", wash_trade::run),
    ("backstop_pump", backstop_pump::run),
    ("collateral_crash", collateral_crash::run),
    ("depeg_publisher", depeg_publisher::run),
    ("collateral_wipeout", collateral_wipeout::run),
    ("no_bids_crash", no_bids_crash::run),
    ("pump_then_empty_book", pump_then_empty_book::run),
    ("liquidation_into_own_offer", liquidation_into_own_offer::run),
    ("oracle_outage_gap", oracle_outage_gap::run),
    ("gap_through_bankruptcy", gap_through_bankruptcy::run),
];

/// The scenario named `name`.
pub fn by_name(name: &str) -> Option<Scenario> {
    ALL.into_iter().find(|(n, _)| *n == name)
}

/// Most violations an outcome keeps word of (the first of each kind come first).
const MAX_VIOLATIONS: usize = 12;

/// What a scenario ended with, and every invariant it broke on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: &'static str,
    /// Withdrawn + final equity − deposited, over every attacker account, in USD (deposits
    /// and withdrawals valued at the market's price in their block).
    pub attacker_pnl: Decimal,
    /// What the attacker deposited, in USD.
    pub attacker_deposited: Decimal,
    /// What the attacker withdrew, in USD.
    pub attacker_withdrawn: Decimal,
    /// The attacker's equity at the end.
    pub attacker_final_equity: Decimal,
    /// What was paid into the insurance fund.
    pub insurance_funding: Decimal,
    /// The insurance fund's largest drawdown from its peak at a block's end.
    pub insurance_drawdown: Decimal,
    /// Bad debt booked since genesis (negative equity neither the fund nor ADL covered).
    pub bad_debt: Decimal,
    /// The largest booked bad debt left pending beyond the insurance fund at a block's end.
    pub pending_bad_debt_max: Decimal,
    /// The largest uncovered loss at a block's end.
    pub uncovered_loss_max: Decimal,
    /// The smallest quote (USD) reserves — deposits − withdrawals — at a block's end.
    pub min_reserves: Decimal,
    /// No asset's reserves were negative at any block's end.
    pub reserves_ok: bool,
    /// Value was conserved at every block's end.
    pub conservation_ok: bool,
    /// Times a subaccount without positions, orders or debt changed in a block it sent
    /// nothing in.
    pub flat_accounts_paid: u64,
    /// The honest market maker's withdrawn + final equity − deposited, in USD: who paid when
    /// the attacker won and neither the fund nor the backstop lost.
    pub market_maker_pnl: Decimal,
    /// The backstop liquidator's equity at the end (it starts with its deposit).
    pub backstop_equity: Decimal,
    /// Liquidations begun (from the risk view): the story reached the waterfall.
    pub liquidations: u64,
    /// Blocks applied.
    pub blocks: u64,
    /// What broke, with the block height (the first of each kind).
    pub violations: Vec<String>,
    /// The first liquidation, backstop, insurance, ADL and bad-debt events, with their block.
    pub events: Vec<String>,
    /// What the scenario itself expected and did not see, with the block height.
    pub expectations_missed: Vec<String>,
}

impl Outcome {
    fn new(scenario: &'static str) -> Outcome {
        Outcome {
            scenario,
            attacker_pnl: Decimal::ZERO,
            attacker_deposited: Decimal::ZERO,
            attacker_withdrawn: Decimal::ZERO,
            attacker_final_equity: Decimal::ZERO,
            insurance_funding: Decimal::ZERO,
            insurance_drawdown: Decimal::ZERO,
            bad_debt: Decimal::ZERO,
            pending_bad_debt_max: Decimal::ZERO,
            uncovered_loss_max: Decimal::ZERO,
            min_reserves: Decimal::MAX,
            reserves_ok: true,
            conservation_ok: true,
            flat_accounts_paid: 0,
            market_maker_pnl: Decimal::ZERO,
            backstop_equity: Decimal::ZERO,
            liquidations: 0,
            blocks: 0,
            violations: Vec::new(),
            events: Vec::new(),
            expectations_missed: Vec::new(),
        }
    }

    fn violation(&mut self, height: u64, message: String) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(format!("block {height}: {message}"));
        }
    }

    /// The figures, one per line, in human units.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{}: attacker_pnl {} (deposited {}, withdrew {}, final equity {}); insurance {} drawn down {}; \
             bad debt {} (pending beyond the fund {}); uncovered loss max {}; min reserves {}; conservation {}; \
             flat accounts paid {}; market maker pnl {}; backstop equity at the end {}; {} blocks",
            self.scenario,
            self.attacker_pnl,
            self.attacker_deposited,
            self.attacker_withdrawn,
            self.attacker_final_equity,
            self.insurance_funding,
            self.insurance_drawdown,
            self.bad_debt,
            self.pending_bad_debt_max,
            self.uncovered_loss_max,
            self.min_reserves,
            self.conservation_ok,
            self.flat_accounts_paid,
            self.market_maker_pnl,
            self.backstop_equity,
            self.blocks
        );
        for line in self.violations.iter().chain(&self.events) {
            text.push_str("\n  ");
            text.push_str(line);
        }
        text
    }

    /// Every asserted invariant this outcome breaks (empty: the protocol held).
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.attacker_pnl.is_positive() {
            failures.push(format!(
                "attacker profit {} USD (withdrew {}, ends with {}, deposited {})",
                self.attacker_pnl, self.attacker_withdrawn, self.attacker_final_equity, self.attacker_deposited
            ));
        }
        if self.bad_debt > self.insurance_funding || self.pending_bad_debt_max.is_positive() {
            failures.push(format!(
                "bad debt {} USD against an insurance fund of {} (largest pending beyond the fund {})",
                self.bad_debt, self.insurance_funding, self.pending_bad_debt_max
            ));
        }
        if self.min_reserves.is_negative() || !self.reserves_ok {
            failures.push(format!("reserves went negative (USD reserves fell to {})", self.min_reserves));
        }
        if !self.uncovered_loss_max.is_zero() {
            failures.push(format!("uncovered loss up to {} USD at a block's end", self.uncovered_loss_max));
        }
        if !self.conservation_ok {
            failures.push("value was not conserved".into());
        }
        if self.flat_accounts_paid > 0 {
            failures.push(format!("{} time(s) a flat account paid", self.flat_accounts_paid));
        }
        failures.extend(self.expectations_missed.iter().cloned());
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_broken_invariant_is_a_failure_and_a_clean_outcome_has_none() {
        let mut clean = Outcome::new("clean");
        clean.min_reserves = Decimal::ONE;
        clean.attacker_pnl = Decimal::from_int(-1);
        assert!(clean.failures().is_empty(), "{:?}", clean.failures());
        let broken = |change: fn(&mut Outcome)| {
            let mut outcome = clean.clone();
            change(&mut outcome);
            outcome.failures().len()
        };
        assert_eq!(broken(|o| o.attacker_pnl = Decimal::ONE), 1);
        assert_eq!(broken(|o| o.bad_debt = Decimal::ONE), 1, "bad debt beyond a fund of 0");
        assert_eq!(broken(|o| o.pending_bad_debt_max = Decimal::ONE), 1);
        assert_eq!(broken(|o| o.min_reserves = Decimal::from_int(-1)), 1);
        assert_eq!(broken(|o| o.reserves_ok = false), 1);
        assert_eq!(broken(|o| o.uncovered_loss_max = Decimal::ONE), 1);
        assert_eq!(broken(|o| o.conservation_ok = false), 1);
        assert_eq!(broken(|o| o.flat_accounts_paid = 1), 1);
        assert_eq!(broken(|o| o.expectations_missed.push("x".into())), 1);
        let mut funded = clean.clone();
        funded.insurance_funding = Decimal::from_int(10);
        funded.bad_debt = Decimal::from_int(10);
        assert!(funded.failures().is_empty(), "bad debt within the fund is allowed");
    }
}
