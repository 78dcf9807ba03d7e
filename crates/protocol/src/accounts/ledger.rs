//! The double-entry ledger: the only code that changes a balance.
//!
//! Value moves as a [`Postings`] batch: each posting takes an amount of one asset out of one
//! [`LedgerAccount`] and puts the same amount into another, so every batch sums to zero per
//! asset by construction. [`State::post`] nets a batch per account, checks that every
//! resulting balance is representable, and only then writes: a batch applies whole or not at
//! all. Fills, fees, funding, settlement, liquidation fees, backstop takeovers, insurance
//! payouts, auto-deleveraging and bad debt all post through it.

use novation_types::{AssetId, AssetUnits, ErrorCode, LedgerAccount, SubaccountId};
use smallvec::SmallVec;

use crate::accounts::Subaccount;
use crate::state::State;

/// One movement of value: `units` (smallest units of `asset`, never negative) from `from`
/// to `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Posting {
    pub(crate) from: LedgerAccount,
    pub(crate) to: LedgerAccount,
    pub(crate) asset: AssetId,
    pub(crate) units: AssetUnits,
}

/// The net change per (account, asset) of a batch.
type NetChanges = SmallVec<[(LedgerAccount, AssetId, AssetUnits); 8]>;

/// A balanced batch of postings, applied whole or not at all by [`State::post`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Postings {
    entries: SmallVec<[Posting; 6]>,
}

impl Postings {
    /// An empty batch.
    pub(crate) fn new() -> Self {
        Postings::default()
    }

    /// A batch of one posting.
    pub(crate) fn single(
        from: LedgerAccount,
        to: LedgerAccount,
        asset: AssetId,
        units: AssetUnits,
    ) -> Result<Self, ErrorCode> {
        let mut batch = Postings::new();
        batch.add(from, to, asset, AssetUnits(units.0))?;
        Ok(batch)
    }

    /// Moves `units` from `from` to `to`; a negative amount moves the other way, zero is
    /// dropped.
    pub(crate) fn add(
        &mut self,
        from: LedgerAccount,
        to: LedgerAccount,
        asset: AssetId,
        units: AssetUnits,
    ) -> Result<&mut Self, ErrorCode> {
        let (from, to, units) = if units.is_negative() {
            (to, from, units.checked_neg().ok_or(ErrorCode::ArithmeticOverflow)?)
        } else {
            (from, to, units)
        };
        if !units.is_zero() && from != to {
            self.entries.push(Posting { from, to, asset, units });
        }
        Ok(self)
    }

    /// The postings, in order.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> &[Posting] {
        &self.entries
    }

    /// Net realised flows from the `Settlement` account into subaccounts (in the quote
    /// asset): what vests before it may leave (see `vesting`).
    fn settlement_flows(&self, quote: AssetId) -> SmallVec<[(SubaccountId, i128); 2]> {
        let mut flows: SmallVec<[(SubaccountId, i128); 2]> = SmallVec::new();
        for posting in self.entries.iter().filter(|p| p.asset == quote) {
            let (id, delta) = match (posting.from, posting.to) {
                (LedgerAccount::Settlement, LedgerAccount::Subaccount(id)) => (id, posting.units.0),
                (LedgerAccount::Subaccount(id), LedgerAccount::Settlement) => (id, posting.units.0.saturating_neg()),
                _ => continue,
            };
            match flows.iter_mut().find(|(f, _)| *f == id) {
                Some((_, net)) => *net = net.saturating_add(delta),
                None => flows.push((id, delta)),
            }
        }
        flows
    }

    /// The net change of every account the batch touches, in first-touch order.
    fn net_changes(&self) -> Result<NetChanges, ErrorCode> {
        let mut nets = NetChanges::new();
        let mut add = |account: LedgerAccount, asset: AssetId, delta: AssetUnits| -> Result<(), ErrorCode> {
            match nets.iter_mut().find(|(a, s, _)| *a == account && *s == asset) {
                Some((_, _, net)) => *net = net.checked_add(delta).ok_or(ErrorCode::ArithmeticOverflow)?,
                None => nets.push((account, asset, delta)),
            }
            Ok(())
        };
        for posting in &self.entries {
            debug_assert!(posting.units > AssetUnits::ZERO, "postings carry positive amounts");
            add(posting.from, posting.asset, posting.units.checked_neg().ok_or(ErrorCode::ArithmeticOverflow)?)?;
            add(posting.to, posting.asset, posting.units)?;
        }
        nets.retain(|(_, _, net)| !net.is_zero());
        Ok(nets)
    }
}

impl State {
    /// Applies `batch` whole together with new contents for some subaccounts (positions,
    /// orders — everything but balances, which must be those in state): each replaced
    /// subaccount is written once, with the batch's net posted into its balances. On error
    /// nothing is written.
    pub(crate) fn post_replacing<const N: usize>(
        &mut self,
        batch: &Postings,
        mut replacements: [(SubaccountId, Subaccount); N],
    ) -> Result<(), ErrorCode> {
        let mut nets = batch.net_changes()?;
        let replaced_ids: SmallVec<[SubaccountId; N]> = replacements.iter().map(|(id, _)| *id).collect();
        debug_assert!(balanced(&nets), "a batch sums to zero per asset");
        debug_assert!(replacements.iter().all(|(id, sub)| {
            self.accounts.subaccounts.get(id).map_or(sub.balances.is_empty(), |s| s.balances == sub.balances)
        }));
        for (id, sub) in &mut replacements {
            for (account, asset, delta) in &mut nets {
                if *account == LedgerAccount::Subaccount(*id) {
                    sub.add_balance(*asset, *delta).ok_or(ErrorCode::ArithmeticOverflow)?;
                    *delta = AssetUnits::ZERO;
                }
            }
        }
        nets.retain(|(_, _, delta)| !delta.is_zero());
        self.check_fits(&nets)?;
        let flows = batch.settlement_flows(self.params.quote_asset);
        let (now, period) = (self.clock.time_ms, self.params.settlement.profit_vesting_ms);
        for (id, sub) in &mut replacements {
            if let Some((_, realized)) = flows.iter().find(|(f, _)| f == id) {
                super::vesting::vest(sub, *realized, now, period);
            }
        }
        for (id, sub) in replacements {
            self.with_subaccount_unchecked(id, |slot| *slot = sub);
        }
        self.apply_nets(&nets);
        for (id, realized) in flows {
            if !replaced_ids.contains(&id) {
                self.vest_realized(id, realized);
            }
        }
        Ok(())
    }

    fn check_fits(&self, nets: &[(LedgerAccount, AssetId, AssetUnits)]) -> Result<(), ErrorCode> {
        for &(account, asset, delta) in nets {
            self.accounts.balance_of(account, asset).checked_add(delta).ok_or(ErrorCode::ArithmeticOverflow)?;
        }
        Ok(())
    }

    /// Applies a batch of postings whole, or changes nothing and returns the error.
    pub(crate) fn post(&mut self, batch: &Postings) -> Result<(), ErrorCode> {
        let nets = batch.net_changes()?;
        debug_assert!(balanced(&nets), "a batch sums to zero per asset");
        self.check_fits(&nets)?;
        self.apply_nets(&nets);
        for (id, realized) in batch.settlement_flows(self.params.quote_asset) {
            self.vest_realized(id, realized);
        }
        Ok(())
    }

    /// Writes net changes already checked to fit.
    fn apply_nets(&mut self, nets: &[(LedgerAccount, AssetId, AssetUnits)]) {
        for &(account, asset, delta) in nets {
            #[cfg(debug_assertions)]
            let before = self.accounts.balance_of(account, asset);
            let done = match account {
                LedgerAccount::Subaccount(id) => {
                    self.with_subaccount_unchecked(id, |sub| sub.add_balance(asset, delta))
                }
                other => self.add_pool(other, asset, delta),
            };
            // Every sum was checked above, so no write can fail half way.
            debug_assert!(done.is_some());
            #[cfg(debug_assertions)]
            debug_assert_eq!(Some(self.accounts.balance_of(account, asset)), before.checked_add(delta));
        }
    }

    /// Moves `units` of `asset` from one ledger account to another (a batch of one).
    pub(crate) fn ledger_transfer(
        &mut self,
        from: LedgerAccount,
        to: LedgerAccount,
        asset: AssetId,
        units: AssetUnits,
    ) -> Result<(), ErrorCode> {
        self.post(&Postings::single(from, to, asset, units)?)
    }

    /// Balance of a ledger account in `asset`.
    pub(crate) fn ledger_balance_of(&self, account: LedgerAccount, asset: AssetId) -> AssetUnits {
        self.accounts.balance_of(account, asset)
    }
}

fn balanced(nets: &[(LedgerAccount, AssetId, AssetUnits)]) -> bool {
    let mut assets: SmallVec<[AssetId; 4]> = nets.iter().map(|(_, asset, _)| *asset).collect();
    assets.sort_unstable();
    assets.dedup();
    assets.iter().all(|asset| {
        // Wrapping: nets near the edge of the range may overflow a plain sum on the way to 0.
        nets.iter().filter(|(_, a, _)| a == asset).fold(0i128, |sum, (_, _, net)| sum.wrapping_add(net.0)) == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_types::{Address, SubaccountId};
    use proptest::prelude::*;

    fn account(n: u8) -> LedgerAccount {
        match n % 6 {
            0 => LedgerAccount::External,
            1 => LedgerAccount::FeePool,
            2 => LedgerAccount::InsuranceFund,
            3 => LedgerAccount::Settlement,
            4 => LedgerAccount::BadDebt,
            _ => LedgerAccount::Subaccount(SubaccountId::new(Address::from_index(u64::from(n)), 0)),
        }
    }

    fn amount() -> impl Strategy<Value = i128> {
        prop_oneof![-1_000i128..1_000, Just(i128::MAX), Just(i128::MIN + 1), Just(i128::MAX / 2)]
    }

    fn balances(state: &State) -> Vec<(LedgerAccount, AssetId, AssetUnits)> {
        let mut out: Vec<_> = (0..12u8)
            .flat_map(|n| (0..2u16).map(move |a| (account(n), AssetId(a))))
            .map(|(acc, asset)| (acc, asset, state.accounts.balance_of(acc, asset)))
            .collect();
        out.dedup();
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// A batch either moves exactly its net amounts (and every asset still sums to zero)
        /// or changes nothing at all.
        #[test]
        fn a_batch_applies_whole_or_not_at_all(
            batches in proptest::collection::vec(
                proptest::collection::vec((0u8..12, 0u8..12, 0u16..2, amount()), 1..6), 1..8)
        ) {
            let mut state = State::new(crate::params::Genesis::example(&[])).unwrap();
            for batch in batches {
                let mut postings = Postings::new();
                let built = batch.iter().try_for_each(|&(from, to, asset, units)| {
                    postings.add(account(from), account(to), AssetId(asset), AssetUnits(units)).map(|_| ())
                });
                let before = balances(&state);
                let applied = built.is_ok() && state.post(&postings).is_ok();
                let after = balances(&state);
                if !applied {
                    prop_assert_eq!(before, after);
                    continue;
                }
                for ((account, asset, was), (_, _, now)) in before.iter().zip(&after) {
                    let net: i128 = postings.entries().iter().filter(|p| p.asset == *asset).map(|p| {
                        i128::from(p.to == *account) * p.units.0 - i128::from(p.from == *account) * p.units.0
                    }).sum();
                    prop_assert_eq!(now.0, was.0 + net);
                }
                for asset in [AssetId(0), AssetId(1)] {
                    let total = state.accounts.pools.nonzero().into_iter().filter(|((_, a), _)| *a == asset).map(|(_, b)| b.0)
                        .chain(state.accounts.subaccounts.values().map(|s| s.balance(asset).0))
                        .fold(0i128, i128::wrapping_add);
                    // Balances near the edge of the range may overflow a plain sum on the way.
                    prop_assert_eq!(total, 0);
                }
            }
        }
    }
}
