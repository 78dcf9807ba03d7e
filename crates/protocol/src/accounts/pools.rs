//! Balances of the protocol's own ledger accounts (external, fee pool, insurance fund,
//! settlement, bad debt): one fixed row per asset, so the postings of every fill reach them
//! without a tree search. Encoded as the sorted list of non-zero balances, exactly like a
//! map from (account, asset) to balance.

use novation_types::{AssetId, AssetUnits, LedgerAccount};
use serde::{Serialize, Serializer};

/// The ledger accounts that are not subaccounts, in row order.
const POOL_ACCOUNTS: [LedgerAccount; 5] = [
    LedgerAccount::External,
    LedgerAccount::FeePool,
    LedgerAccount::InsuranceFund,
    LedgerAccount::Settlement,
    LedgerAccount::BadDebt,
];

fn column(account: LedgerAccount) -> Option<usize> {
    POOL_ACCOUNTS.iter().position(|a| *a == account)
}

/// Balance per (pool account, asset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pools {
    rows: Vec<[AssetUnits; POOL_ACCOUNTS.len()]>,
}

impl Pools {
    /// The balance of `account` in `asset` (0 for a subaccount: those live elsewhere).
    #[inline]
    pub(crate) fn get(&self, account: LedgerAccount, asset: AssetId) -> AssetUnits {
        let Some(column) = column(account) else { return AssetUnits::ZERO };
        self.rows.get(asset.0 as usize).map_or(AssetUnits::ZERO, |row| row[column])
    }

    /// Sets a balance; `None` for a subaccount, which is not a pool.
    #[inline]
    pub(crate) fn set(&mut self, account: LedgerAccount, asset: AssetId, balance: AssetUnits) -> Option<()> {
        let column = column(account)?;
        let index = asset.0 as usize;
        if self.rows.len() <= index {
            if balance.is_zero() {
                return Some(());
            }
            self.rows.resize(index + 1, [AssetUnits::ZERO; POOL_ACCOUNTS.len()]);
        }
        self.rows[index][column] = balance;
        Some(())
    }

    /// Every non-zero balance, sorted by (account, asset).
    pub(crate) fn nonzero(&self) -> Vec<((LedgerAccount, AssetId), AssetUnits)> {
        let mut out: Vec<_> = self
            .rows
            .iter()
            .enumerate()
            .flat_map(|(asset, row)| {
                POOL_ACCOUNTS
                    .iter()
                    .zip(row)
                    .map(move |(account, balance)| ((*account, AssetId(asset as u16)), *balance))
            })
            .filter(|(_, balance)| !balance.is_zero())
            .collect();
        out.sort_unstable();
        out
    }
}

impl Serialize for Pools {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.nonzero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_encode_like_a_sorted_map_of_their_non_zero_balances() {
        let mut pools = Pools::default();
        pools.set(LedgerAccount::Settlement, AssetId(1), AssetUnits(-5)).unwrap();
        pools.set(LedgerAccount::FeePool, AssetId(0), AssetUnits(7)).unwrap();
        pools.set(LedgerAccount::FeePool, AssetId(3), AssetUnits::ZERO).unwrap();
        let map: std::collections::BTreeMap<(LedgerAccount, AssetId), i128> =
            [((LedgerAccount::Settlement, AssetId(1)), -5), ((LedgerAccount::FeePool, AssetId(0)), 7)].into();
        assert_eq!(bincode::serialize(&pools).unwrap(), bincode::serialize(&map).unwrap());
        assert_eq!(pools.get(LedgerAccount::FeePool, AssetId(0)), AssetUnits(7));
        assert!(pools.set(LedgerAccount::Subaccount(Default::default()), AssetId(0), AssetUnits(1)).is_none());
    }
}
