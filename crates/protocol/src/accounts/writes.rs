//! The accounts component's journaled writes. Balances change only through
//! [`super::ledger`]; everything else about a subaccount through [`State::with_subaccount`].

use novation_types::{Address, AssetId, AssetUnits, LedgerAccount, SubaccountId};

use super::{Subaccount, Undo};
use crate::state::State;

impl State {
    /// Runs `change` on the subaccount (created empty if missing), saving it first for undo.
    /// An empty subaccount is removed so equal states encode equally. `change` must leave
    /// balances alone: those move only as ledger postings.
    pub(crate) fn with_subaccount<R>(&mut self, id: SubaccountId, change: impl FnOnce(&mut Subaccount) -> R) -> R {
        self.with_subaccount_unchecked(id, |sub| {
            #[cfg(debug_assertions)]
            let balances_before = sub.balances.clone();
            let result = change(sub);
            #[cfg(debug_assertions)]
            debug_assert_eq!(sub.balances, balances_before, "balances change only through ledger postings");
            result
        })
    }

    /// [`State::with_subaccount`] without the balance guard: for the ledger only.
    pub(super) fn with_subaccount_unchecked<R>(
        &mut self,
        id: SubaccountId,
        change: impl FnOnce(&mut Subaccount) -> R,
    ) -> R {
        let subaccounts = &mut self.accounts.subaccounts;
        let existing = subaccounts.slot(&id);
        self.journal.save_subaccount_once(id, || subaccounts.get(&id).cloned());
        self.liquidation.touched_since_check.push(id);
        let slot = existing.unwrap_or_else(|| subaccounts.insert(id, Subaccount::default()).0);
        if !subaccounts.list(slot) {
            self.changed_subaccounts.push(id);
        }
        let sub = subaccounts.at_mut(slot);
        let result = change(sub);
        sub.tidy();
        if sub.is_empty() {
            subaccounts.remove(&id);
            self.risk_index.update(slot, id, None, self.params.quote_asset);
        } else {
            self.risk_index.update(slot, id, Some(sub), self.params.quote_asset);
        }
        result
    }

    /// Adds `delta` to a non-subaccount ledger account's balance (ledger only).
    pub(super) fn add_pool(&mut self, account: LedgerAccount, asset: AssetId, delta: AssetUnits) -> Option<()> {
        let before = self.accounts.pool_balance(account, asset);
        let after = before.checked_add(delta)?;
        self.accounts.pools.set(account, asset, after)?;
        self.journal.record(Undo::Pool(account, asset, before));
        Some(())
    }

    /// Uses up `address`'s next nonce if it is `nonce` (sets it to `nonce + 1`, in one
    /// lookup); false if it is not the next one.
    pub(crate) fn use_nonce(&mut self, address: Address, nonce: u64) -> bool {
        let Some((before, listed)) = self.accounts.nonces.advance(address, nonce) else { return false };
        self.journal.record(Undo::Nonce(address, before));
        if !listed {
            self.changed_nonces.push(address);
        }
        true
    }

    /// Uses up a Hyperliquid timestamp nonce of `address` at the block time, if the rules of
    /// [`super::TimestampNonces`] allow it. Never undone: a rejected transaction still uses
    /// its nonce.
    pub(crate) fn use_timestamp_nonce(
        &mut self,
        address: Address,
        nonce: u64,
    ) -> Result<(), novation_types::ErrorCode> {
        let time_ms = self.clock.time_ms;
        let accounts = &mut self.accounts;
        let set = accounts.timestamp_nonces.entry(address).or_default();
        set.check(nonce, time_ms)?;
        set.insert(nonce, time_ms);
        accounts.changed_timestamp_nonces.push(address);
        Ok(())
    }

    /// Binds a Hyperliquid agent key to `account` (`None`: unbinds it), for undo.
    pub(crate) fn bind_hl_agent(&mut self, agent: Address, account: Option<Address>) {
        let before = match account {
            Some(account) => self.accounts.hl_agents.insert(agent, account),
            None => self.accounts.hl_agents.remove(&agent),
        };
        self.journal.record(Undo::HlAgent { agent, before });
    }

    pub(crate) fn set_agent(&mut self, account: Address, agent: Address, authorised: bool) {
        let agents = &mut self.accounts.agents;
        let was = if authorised { !agents.insert((account, agent)) } else { agents.remove(&(account, agent)) };
        self.journal.record(Undo::Agent { account, agent, was });
    }
}
