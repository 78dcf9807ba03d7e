//! State snapshots: a versioned, deterministic binary encoding of everything the state
//! commits, so a node can restart from a recent state instead of replaying its whole history.
//!
//! ```text
//!  "novation-snapshot" (17 bytes) || version u32 LE || body (bincode, fixed-width integers)
//!  body = clock, parameters, subaccounts (id order), nonces (address order),
//!         ledger balances, agents, (Hyperliquid agent bindings, timestamp nonces), oracle, markets, books, triggers, smiles,
//!         settlement averages, liquidation totals, backlog flag, accounts to re-check
//! ```
//!
//! The body holds exactly the committed entries (see `commitment`), each in its canonical
//! form; what is derived from them is rebuilt on load: the subaccount and nonce lookup maps,
//! the ledger rows, the client-id and open-order indexes, the risk index and the risk prices.
//! So a decoded state has the same state root as the state that was encoded, and behaves the
//! same on every later block. Decoding never panics: bytes that are not a snapshot of this
//! version, are cut short, carry trailing bytes or hold out-of-order or inconsistent entries
//! are a [`SnapshotError`]. A snapshot is not authenticated by itself: check the decoded
//! state's root against a trusted one before using it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bincode::Options;
use novation_types::{Address, AssetId, AssetUnits, LedgerAccount, OrderId, SubaccountId};

use crate::accounts::{Accounts, Nonces, Pools, Subaccount, SubaccountMap, TimestampNonces};
use crate::book::OrderBook;
use crate::derivatives::{Derivatives, SettlementTwap, SmileState};
use crate::journal::Journal;
use crate::liquidation::{Liquidation, RiskStats};
use crate::markets::{MarketState, Markets};
use crate::oracle::{AssetOracle, Oracle};
use crate::params::ChainParams;
use crate::risk::{RiskIndex, RiskPrices};
use crate::state::{Clock, State};
use crate::trading::{Trading, TriggerOrder};

/// The first bytes of every snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 17] = b"novation-snapshot";

/// The version of the encoding written by [`State::to_snapshot`].
pub const SNAPSHOT_VERSION: u32 = 2;

/// Why bytes could not be decoded into a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// The bytes do not start with [`SNAPSHOT_MAGIC`].
    NotASnapshot,
    /// A snapshot of another encoding version.
    UnsupportedVersion(u32),
    /// The body does not decode (cut short, trailing bytes, an invalid value).
    Malformed(String),
    /// The body decodes but its entries are not a consistent state (named).
    Inconsistent(&'static str),
}

impl SnapshotError {
    /// A stable code for logs and APIs.
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotError::NotASnapshot => "snapshot_not_a_snapshot",
            SnapshotError::UnsupportedVersion(_) => "snapshot_unsupported_version",
            SnapshotError::Malformed(_) => "snapshot_malformed",
            SnapshotError::Inconsistent(_) => "snapshot_inconsistent",
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::NotASnapshot => write!(f, "not a novation state snapshot"),
            SnapshotError::UnsupportedVersion(v) => {
                write!(f, "snapshot version {v} is not supported (this node reads {SNAPSHOT_VERSION})")
            }
            SnapshotError::Malformed(why) => write!(f, "snapshot does not decode: {why}"),
            SnapshotError::Inconsistent(why) => write!(f, "snapshot is not a consistent state: {why}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// The decoded body, field for field what [`State::to_snapshot`] writes.
type Body = (
    (u64, u64),
    ChainParams,
    Vec<(SubaccountId, Subaccount)>,
    Vec<(Address, u64)>,
    Vec<((LedgerAccount, AssetId), AssetUnits)>,
    BTreeSet<(Address, Address)>,
    (BTreeMap<Address, Address>, BTreeMap<Address, TimestampNonces>),
    Vec<AssetOracle>,
    Vec<MarketState>,
    Vec<OrderBook>,
    BTreeMap<OrderId, TriggerOrder>,
    BTreeMap<(AssetId, u64), SmileState>,
    BTreeMap<(AssetId, u64), SettlementTwap>,
    RiskStats,
    bool,
    Vec<SubaccountId>,
);

/// The encoding options of the body: bincode with fixed-width little-endian integers (the
/// same as the commitment's encoding) and no trailing bytes.
fn options() -> impl Options {
    bincode::DefaultOptions::new().with_fixint_encoding().reject_trailing_bytes()
}

impl State {
    /// The state's snapshot: a versioned encoding of every committed entry (see the module
    /// documentation). Equal committed states give equal bytes.
    pub fn to_snapshot(&self) -> Vec<u8> {
        // Exhaustive on purpose: a new field must be written here or named as derived.
        let State {
            clock: Clock { height, time_ms },
            params,
            accounts:
                Accounts { subaccounts, nonces, pools, agents, hl_agents, timestamp_nonces, changed_timestamp_nonces: _ },
            oracle: Oracle { assets },
            markets: Markets { states },
            trading: Trading { books, triggers, client_ids: _, open_order_index: _ },
            derivatives: Derivatives { surfaces, settlement_twaps },
            liquidation: Liquidation { stats, backlog, touched_since_check },
            journal: _,
            changed_subaccounts: _,
            changed_nonces: _,
            risk: _,
            risk_index: _,
        } = self;
        let body = (
            (height, time_ms),
            params,
            subaccounts,
            nonces,
            pools,
            agents,
            (hl_agents, timestamp_nonces),
            assets,
            states,
            books,
            triggers,
            surfaces,
            settlement_twaps,
            stats,
            backlog,
            touched_since_check,
        );
        let mut bytes = Vec::with_capacity(SNAPSHOT_MAGIC.len() + 4);
        bytes.extend_from_slice(SNAPSHOT_MAGIC);
        bytes.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        // Serialising plain data into a Vec cannot fail.
        let _ = options().serialize_into(&mut bytes, &body);
        bytes
    }

    /// Decodes a snapshot written by [`State::to_snapshot`] and rebuilds what is derived.
    /// The result commits to the same state root as the state that wrote it; check that
    /// root against a trusted one before serving from it.
    pub fn from_snapshot(bytes: &[u8]) -> Result<State, SnapshotError> {
        let rest = bytes.strip_prefix(SNAPSHOT_MAGIC.as_slice()).ok_or(SnapshotError::NotASnapshot)?;
        let (version, body) = rest.split_first_chunk::<4>().ok_or(SnapshotError::NotASnapshot)?;
        let version = u32::from_le_bytes(*version);
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        let body: Body = options().deserialize(body).map_err(|e| SnapshotError::Malformed(e.to_string()))?;
        assemble(body)
    }
}

/// The state of a decoded body, with its derived parts rebuilt.
fn assemble(body: Body) -> Result<State, SnapshotError> {
    let (
        (height, time_ms),
        params,
        subaccounts,
        nonces,
        pool_balances,
        agents,
        (hl_agents, timestamp_nonces),
        assets,
        states,
        books,
        triggers,
        surfaces,
        settlement_twaps,
        stats,
        backlog,
        touched_since_check,
    ) = body;
    // Parameters bound what the rest may hold (asset decimals, market kinds): only valid
    // ones are used to rebuild anything.
    params.validate().map_err(|_| SnapshotError::Inconsistent("the chain parameters are not valid"))?;
    let markets = params.markets.len();
    if assets.len() != params.assets.len() {
        return Err(SnapshotError::Inconsistent("the oracle does not have one entry per asset"));
    }
    if states.len() != markets || books.len() != markets {
        return Err(SnapshotError::Inconsistent("markets and books are not one per market"));
    }
    let subaccounts = SubaccountMap::from_sorted(subaccounts)
        .ok_or(SnapshotError::Inconsistent("subaccounts are not in strictly increasing id order"))?;
    let nonces = Nonces::from_sorted(nonces)
        .ok_or(SnapshotError::Inconsistent("nonces are not in strictly increasing address order"))?;
    let pools = pools_from(pool_balances)?;
    if !timestamp_nonces.values().all(TimestampNonces::is_within_bound) {
        return Err(SnapshotError::Inconsistent("a signer keeps more timestamp nonces than allowed"));
    }
    let trading = trading_from(books, triggers)?;
    let mut risk_index = RiskIndex::new(&params.markets);
    for (id, sub) in &subaccounts {
        let slot = subaccounts.slot(id).ok_or(SnapshotError::Inconsistent("a subaccount has no slot"))?;
        risk_index.update(slot, *id, Some(sub), params.quote_asset);
    }
    let mut state = State {
        clock: Clock { height, time_ms },
        accounts: Accounts {
            subaccounts,
            nonces,
            pools,
            agents,
            hl_agents,
            timestamp_nonces,
            changed_timestamp_nonces: Vec::new(),
        },
        oracle: Oracle { assets },
        markets: Markets { states },
        trading,
        derivatives: Derivatives { surfaces, settlement_twaps },
        liquidation: Liquidation { stats, backlog, touched_since_check },
        risk_index,
        params,
        journal: Journal::default(),
        changed_subaccounts: Vec::new(),
        changed_nonces: Vec::new(),
        risk: RiskPrices::default(),
    };
    state.refresh_risk_prices();
    Ok(state)
}

/// The ledger rows holding `balances` (strictly increasing keys, pool accounts only).
fn pools_from(balances: Vec<((LedgerAccount, AssetId), AssetUnits)>) -> Result<Pools, SnapshotError> {
    if !balances.windows(2).all(|pair| pair[0].0 < pair[1].0) {
        return Err(SnapshotError::Inconsistent("ledger balances are not in strictly increasing order"));
    }
    let mut pools = Pools::default();
    for ((account, asset), balance) in balances {
        if balance.is_zero() {
            return Err(SnapshotError::Inconsistent("a ledger balance of zero is listed"));
        }
        pools.set(account, asset, balance).ok_or(SnapshotError::Inconsistent("a subaccount is listed as a pool"))?;
    }
    Ok(pools)
}

/// The trading component of `books` and `triggers`, with its client-id and open-order
/// indexes rebuilt from them.
fn trading_from(books: Vec<OrderBook>, triggers: BTreeMap<OrderId, TriggerOrder>) -> Result<Trading, SnapshotError> {
    let mut client_ids = BTreeMap::new();
    let mut open_order_index = BTreeSet::new();
    let sides = [novation_types::Side::Buy, novation_types::Side::Sell];
    for book in &books {
        for order in sides.into_iter().flat_map(|side| book.iter_side(side)) {
            if let Some(client_id) = order.client_order_id {
                if client_ids.insert((order.owner, client_id), order.id).is_some() {
                    return Err(SnapshotError::Inconsistent("two open orders share a client order id"));
                }
            }
            if !open_order_index.insert((order.owner, order.id)) {
                return Err(SnapshotError::Inconsistent("an order id rests twice"));
            }
        }
    }
    for (id, trigger) in &triggers {
        if !open_order_index.insert((trigger.owner, *id)) {
            return Err(SnapshotError::Inconsistent("a trigger order shares its id with a resting order"));
        }
    }
    Ok(Trading { books, client_ids, open_order_index, triggers })
}
