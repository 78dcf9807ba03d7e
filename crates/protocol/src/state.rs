//! The whole protocol state and the journaled writes every component goes through.

use std::collections::{BTreeMap, BTreeSet};

use novation_types::{Address, AssetId, LedgerAccount, MarketId, OrderId, SubaccountId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accounts::Subaccount;
use crate::book::{OrderBook, RestingOrder};
use crate::journal::{Journal, Undo};
use crate::markets::MarketState;
use crate::oracle::{AssetOracle, PriceReportEntry};
use crate::params::{Genesis, GenesisError};
use crate::risk::{RiskIndex, RiskPrices};

/// The state of a novation chain. Change it only through [`State::apply_block`].
#[derive(Clone, Debug, Serialize)]
pub struct State {
    pub(crate) genesis: Genesis,
    pub(crate) height: u64,
    pub(crate) time_ms: u64,
    pub(crate) subaccounts: BTreeMap<SubaccountId, Subaccount>,
    pub(crate) nonces: crate::nonces::Nonces,
    /// Balances of the ledger accounts that are not subaccounts (external, fees, insurance,
    /// settlement), in each asset's smallest unit.
    pub(crate) pools: BTreeMap<(LedgerAccount, AssetId), i128>,
    pub(crate) oracle: Vec<AssetOracle>,
    pub(crate) markets: Vec<MarketState>,
    pub(crate) books: Vec<OrderBook>,
    pub(crate) client_ids: BTreeMap<(SubaccountId, u64), OrderId>,
    pub(crate) open_order_index: BTreeSet<(SubaccountId, OrderId)>,
    /// Subaccounts written since the last liquidation check, in write order (duplicates
    /// allowed): when prices did not move, only these can have crossed their liquidation line.
    pub(crate) touched_since_check: Vec<SubaccountId>,
    /// Set when the last check found more liquidatable subaccounts than one block handles.
    pub(crate) liquidation_backlog: bool,
    /// Authorised agent keys: (account, agent).
    pub(crate) agents: BTreeSet<(Address, Address)>,
    /// Waiting stop-loss / take-profit orders, by id (so by market, then age).
    pub(crate) triggers: BTreeMap<OrderId, crate::trading::TriggerOrder>,
    /// Running totals of liquidations, ADL, insurance payouts and bad debt.
    pub(crate) risk_stats: crate::liquidation::RiskStats,
    /// Negative equity no one has covered yet (raw quote decimals).
    pub(crate) pending_bad_debt: i128,
    /// The volatility smile of each underlying and listed option expiry.
    pub(crate) surfaces: BTreeMap<(AssetId, u64), crate::derivatives::SmileState>,
    /// The settlement average of each underlying and dated expiry.
    pub(crate) settlement_twaps: BTreeMap<(AssetId, u64), crate::derivatives::SettlementTwap>,
    #[serde(skip)]
    pub(crate) journal: Journal,
    /// Subaccounts and nonces written since the commitment last asked (may repeat, and may
    /// include writes a rejected transaction undid): see [`State::take_changed_keys`].
    #[serde(skip)]
    pub(crate) changed_subaccounts: Vec<SubaccountId>,
    #[serde(skip)]
    pub(crate) changed_nonces: Vec<Address>,
    /// Prices and values derived from the oracle at the end of the last block.
    #[serde(skip)]
    pub(crate) risk: RiskPrices,
    /// Compact per-subaccount rows for re-checking every account after a price move.
    #[serde(skip)]
    pub(crate) risk_index: RiskIndex,
}

impl State {
    /// A new chain at height 0 from a validated genesis.
    pub fn new(genesis: Genesis) -> Result<Self, GenesisError> {
        genesis.validate()?;
        let oracle = genesis.assets.iter().map(AssetOracle::new).collect();
        let markets = genesis.markets.iter().map(|_| MarketState::default()).collect();
        let books = genesis.markets.iter().map(|_| OrderBook::new()).collect();
        let settlement_twaps = crate::derivatives::settlement_keys(&genesis.markets)
            .into_iter()
            .map(|key| (key, Default::default()))
            .collect();
        let surfaces = genesis
            .markets
            .iter()
            .filter(|m| m.kind.is_option())
            .filter_map(|m| Some(((m.base_asset, m.kind.expiry_ms()?), Default::default())))
            .collect();
        let mut state = State {
            genesis,
            height: 0,
            time_ms: 0,
            subaccounts: BTreeMap::new(),
            nonces: Default::default(),
            pools: BTreeMap::new(),
            oracle,
            markets,
            books,
            client_ids: BTreeMap::new(),
            open_order_index: BTreeSet::new(),
            touched_since_check: Vec::new(),
            liquidation_backlog: false,
            agents: BTreeSet::new(),
            triggers: BTreeMap::new(),
            risk_stats: Default::default(),
            pending_bad_debt: 0,
            surfaces,
            settlement_twaps,
            journal: Journal::default(),
            changed_subaccounts: Vec::new(),
            changed_nonces: Vec::new(),
            risk: RiskPrices::default(),
            risk_index: RiskIndex::default(),
        };
        state.risk_index = RiskIndex::new(&state.genesis.markets);
        state.refresh_risk_prices();
        Ok(state)
    }

    /// The genesis parameters.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Height of the last applied block (0 before the first).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Timestamp of the last applied block, in milliseconds since the Unix epoch.
    pub fn time_ms(&self) -> u64 {
        self.time_ms
    }

    /// SHA-256 of the canonical encoding of the whole state. Equal states have equal hashes
    /// whatever history led to them.
    pub fn state_hash(&self) -> [u8; 32] {
        let bytes = self.canonical_bytes();
        Sha256::digest(&bytes).into()
    }

    /// The canonical encoding of the whole state (what [`State::state_hash`] hashes).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Serialising plain data into a Vec cannot fail; an empty encoding would still be a
        // deterministic (if useless) hash input, so no panic path is needed here.
        bincode::serialize(self).unwrap_or_default()
    }

    // ----- journaled writes -------------------------------------------------------------

    /// Runs `change` on the subaccount (created empty if missing), saving it first for undo.
    /// An empty subaccount is removed so equal states encode equally.
    pub(crate) fn with_subaccount<R>(&mut self, id: SubaccountId, change: impl FnOnce(&mut Subaccount) -> R) -> R {
        if self.journal.first_touch_subaccount(id) {
            let before = self.subaccounts.get(&id).cloned();
            self.journal.record(Undo::Subaccount(id, before));
        }
        self.touched_since_check.push(id);
        self.changed_subaccounts.push(id);
        let sub = self.subaccounts.entry(id).or_default();
        let result = change(sub);
        sub.tidy();
        if sub.is_empty() {
            self.subaccounts.remove(&id);
        }
        self.risk_index.update(id, self.subaccounts.get(&id), self.genesis.quote_asset);
        result
    }

    /// Replaces the subaccount with `sub` (saving the old one first for undo).
    pub(crate) fn put_subaccount(&mut self, id: SubaccountId, sub: Subaccount) {
        self.with_subaccount(id, |slot| *slot = sub);
    }

    pub(crate) fn pool_balance(&self, account: LedgerAccount, asset: AssetId) -> i128 {
        self.pools.get(&(account, asset)).copied().unwrap_or(0)
    }

    /// Adds `delta` to a non-subaccount ledger account's balance.
    pub(crate) fn add_pool(&mut self, account: LedgerAccount, asset: AssetId, delta: i128) -> Option<()> {
        let before = self.pool_balance(account, asset);
        let after = before.checked_add(delta)?;
        self.journal.record(Undo::Pool(account, asset, before));
        if after == 0 {
            self.pools.remove(&(account, asset));
        } else {
            self.pools.insert((account, asset), after);
        }
        Some(())
    }

    pub(crate) fn set_nonce(&mut self, address: Address, next: u64) {
        let before = self.nonces.insert(address, next);
        self.journal.record(Undo::Nonce(address, before));
        self.changed_nonces.push(address);
    }

    pub(crate) fn market_mut(&mut self, id: MarketId) -> &mut MarketState {
        let index = id.0 as usize;
        if self.journal.first_touch_market(id) {
            self.journal.record(Undo::Market(id, self.markets[index].clone()));
        }
        &mut self.markets[index]
    }

    pub(crate) fn book_insert(&mut self, market: MarketId, order: RestingOrder) -> bool {
        let inserted = self.books[market.0 as usize].insert(order).is_ok();
        if inserted {
            self.journal.record(Undo::BookInserted(market, order.id));
        }
        inserted
    }

    pub(crate) fn book_remove(&mut self, market: MarketId, id: OrderId) -> Option<RestingOrder> {
        let (order, position) = self.books[market.0 as usize].remove(id)?;
        self.journal.record(Undo::BookRemoved(market, order, position));
        Some(order)
    }

    pub(crate) fn book_set_remaining(&mut self, market: MarketId, id: OrderId, lots: u64) -> bool {
        match self.books[market.0 as usize].set_remaining(id, lots) {
            Ok(before) => {
                self.journal.record(Undo::BookRemaining(market, id, before));
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn set_client_id(&mut self, sub: SubaccountId, client_id: u64, order: Option<OrderId>) {
        let before = match order {
            Some(order) => self.client_ids.insert((sub, client_id), order),
            None => self.client_ids.remove(&(sub, client_id)),
        };
        self.journal.record(Undo::ClientId(sub, client_id, before));
    }

    pub(crate) fn set_open_order_indexed(&mut self, sub: SubaccountId, order: OrderId, present: bool) {
        let was_present = if present {
            !self.open_order_index.insert((sub, order))
        } else {
            self.open_order_index.remove(&(sub, order))
        };
        self.journal.record(Undo::OpenOrderIndex { subaccount: sub, order, was_present });
    }

    pub(crate) fn set_trigger(&mut self, id: OrderId, trigger: Option<crate::trading::TriggerOrder>) {
        let before = match trigger {
            Some(trigger) => self.triggers.insert(id, trigger),
            None => self.triggers.remove(&id),
        };
        self.journal.record(Undo::Trigger(id, before));
    }

    pub(crate) fn set_agent(&mut self, account: Address, agent: Address, authorised: bool) {
        let was =
            if authorised { !self.agents.insert((account, agent)) } else { self.agents.remove(&(account, agent)) };
        self.journal.record(Undo::Agent { account, agent, was });
    }

    pub(crate) fn set_report(&mut self, asset: AssetId, publisher: Address, entry: PriceReportEntry) {
        let before = self.oracle[asset.0 as usize].reports.insert(publisher, entry);
        self.journal.record(Undo::Report(asset, publisher, before));
    }

    pub(crate) fn set_smile_report(
        &mut self,
        asset: AssetId,
        expiry_ms: u64,
        publisher: Address,
        report: Option<(novation_math::SviParams, u64)>,
    ) {
        let Some(smile) = self.surfaces.get_mut(&(asset, expiry_ms)) else { return };
        let before = match report {
            Some(report) => smile.reports.insert(publisher, report),
            None => smile.reports.remove(&publisher),
        };
        self.journal.record(Undo::Smile(asset, expiry_ms, publisher, before));
    }

    /// Lists a new market (end of block only, never inside a transaction): its parameters,
    /// running state, book, and the expiry's settlement average and smile.
    pub(crate) fn add_market(&mut self, params: crate::params::MarketParams) -> MarketId {
        let id = params.id;
        if let Some(expiry_ms) = params.kind.expiry_ms() {
            self.settlement_twaps.entry((params.base_asset, expiry_ms)).or_default();
            if params.kind.is_option() {
                self.surfaces.entry((params.base_asset, expiry_ms)).or_default();
            }
        }
        self.risk_index.add_market(params.kind.is_option());
        self.markets.push(MarketState::default());
        self.books.push(OrderBook::new());
        self.genesis.markets.push(params);
        id
    }

    /// Undoes every write of the running transaction, newest first.
    pub(crate) fn rollback(&mut self) {
        while let Some(undo) = self.journal.entries.pop() {
            self.undo(undo);
        }
        self.touched_since_check.truncate(self.journal.touched_len);
        self.journal.end();
    }

    fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Subaccount(id, before) => {
                match before {
                    Some(sub) => {
                        self.subaccounts.insert(id, sub);
                    }
                    None => {
                        self.subaccounts.remove(&id);
                    }
                }
                self.risk_index.update(id, self.subaccounts.get(&id), self.genesis.quote_asset);
            }
            Undo::Pool(account, asset, before) => {
                if before == 0 {
                    self.pools.remove(&(account, asset));
                } else {
                    self.pools.insert((account, asset), before);
                }
            }
            Undo::Nonce(address, before) => match before {
                Some(nonce) => {
                    self.nonces.insert(address, nonce);
                }
                None => {
                    self.nonces.remove(&address);
                }
            },
            Undo::Market(id, before) => self.markets[id.0 as usize] = before,
            Undo::BookInserted(market, id) => {
                let _ = self.books[market.0 as usize].remove(id);
            }
            Undo::BookRemoved(market, order, position) => {
                let restored = self.books[market.0 as usize].restore(order, position);
                debug_assert!(restored.is_ok(), "journal restores removals in reverse order");
            }
            Undo::BookRemaining(market, id, before) => {
                let _ = self.books[market.0 as usize].set_remaining(id, before);
            }
            Undo::ClientId(sub, client_id, before) => match before {
                Some(order) => {
                    self.client_ids.insert((sub, client_id), order);
                }
                None => {
                    self.client_ids.remove(&(sub, client_id));
                }
            },
            Undo::OpenOrderIndex { subaccount, order, was_present } => {
                if was_present {
                    self.open_order_index.insert((subaccount, order));
                } else {
                    self.open_order_index.remove(&(subaccount, order));
                }
            }
            Undo::Trigger(id, before) => match before {
                Some(trigger) => {
                    self.triggers.insert(id, trigger);
                }
                None => {
                    self.triggers.remove(&id);
                }
            },
            Undo::Agent { account, agent, was } => {
                if was {
                    self.agents.insert((account, agent));
                } else {
                    self.agents.remove(&(account, agent));
                }
            }
            Undo::Smile(asset, expiry_ms, publisher, before) => {
                if let Some(smile) = self.surfaces.get_mut(&(asset, expiry_ms)) {
                    match before {
                        Some(report) => smile.reports.insert(publisher, report),
                        None => smile.reports.remove(&publisher),
                    };
                }
            }
            Undo::Report(asset, publisher, before) => {
                let reports = &mut self.oracle[asset.0 as usize].reports;
                match before {
                    Some(entry) => {
                        reports.insert(publisher, entry);
                    }
                    None => {
                        reports.remove(&publisher);
                    }
                }
            }
        }
    }
}
