//! History from the store: what every block did, indexed for questions about the past — an
//! account's fills, funding payments, liquidations and other events, a market's trades and
//! OHLCV candles, where a transaction was included.
//!
//! The rows are derived from a block's outcome by the history indexer ([`crate::indexer`]),
//! which writes them to `history.redb` beside the block log, so history survives restarts
//! and needs no replay to answer. Keys of that store's `history` table (integers big-endian,
//! so rows of one prefix sort by height):
//!
//! | prefix | rest of the key                          | value |
//! | ------ | ---------------------------------------- | ----- |
//! | `a`    | address (20) ‖ kind (1) ‖ height (8) ‖ seq (4) | [`AccountGroup`]: the block's events of that kind touching the address, from `seq` on |
//! | `m`    | market (2) ‖ height (8) ‖ seq (4)        | [`StoredEvent`], a fill of the market |
//! | `c`    | market (2) ‖ interval (1) ‖ open time ms (8) | [`Candle`] |
//! | `x`    | transaction hash (32)                    | height (8) ‖ index in the block (4) |
//! | `f`    | market (2) ‖ height (8) ‖ seq (4)        | [`StoredEvent`], a funding rate applied to the market |
//!
//! `seq` numbers a block's events in order (transactions' events, then end-of-block events).
//! Every event touching an address is stored once per address, under its own kind, or under
//! the code of [`HistoryKind::All`] when it has none (so each kind pages without scanning the
//! others); a page of all an account's events merges the kinds' pages by position.
//!
//! An account's events of one kind in one block share a row, up to [`GROUP_EVENTS_MAX`] a
//! row, keyed by the first one's position: a market maker's batch of orders is one row to
//! write, not one per order, and a page of `n` events reads at most `n` rows.
//! [`LAYOUT`] names this layout: a store written in another is indexed again from the blocks.

use std::collections::HashMap;

use novation_math::Decimal;
use novation_store::Store;
use novation_types::{Address, Event, MarketId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::chain::{touched_addresses, EventRecord};
use crate::header::{decode, encode, hex, Hash32};
use crate::NodeError;

const ACCOUNT: u8 = b'a';
const MARKET_TRADES: u8 = b'm';
const CANDLES: u8 = b'c';
const TX_LOCATION: u8 = b'x';
const FUNDING_RATES: u8 = b'f';

/// The layout of `history.redb`'s rows, kept in its meta row `history_layout`: 3 groups an
/// account's events of a kind in a block into one row (2 kept one row per event and address;
/// 1 filed each event under "all" as well).
pub(crate) const LAYOUT: u8 = 3;

/// Most events one account row holds ([`AccountGroup`]): bounds what a page decodes beyond
/// what it returns.
pub(crate) const GROUP_EVENTS_MAX: usize = 256;

/// One account row: events of one block, each with its number in the block, in order. The
/// row's key holds the block height and the first event's number.
pub(crate) type AccountGroup = Vec<(u32, StoredEvent)>;

/// Which of an account's events a history page holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HistoryKind {
    /// Every event touching the account.
    All,
    /// Trades, with fees and realised PnL.
    Fills,
    /// Funding received or paid.
    Funding,
    /// Liquidation steps, backstop takeovers, insurance payouts, bad debt and
    /// auto-deleveraging.
    Liquidations,
    /// Orders accepted and cancelled, triggers placed and refused.
    Orders,
    /// Deposits, withdrawals, transfers, contributions, margin modes and settlements.
    Collateral,
}

impl HistoryKind {
    /// Every kind, in the order of their codes.
    pub(crate) const ALL: [HistoryKind; 6] = [
        HistoryKind::All,
        HistoryKind::Fills,
        HistoryKind::Funding,
        HistoryKind::Liquidations,
        HistoryKind::Orders,
        HistoryKind::Collateral,
    ];

    fn code(self) -> u8 {
        match self {
            HistoryKind::All => 0,
            HistoryKind::Fills => 1,
            HistoryKind::Funding => 2,
            HistoryKind::Liquidations => 3,
            HistoryKind::Orders => 4,
            HistoryKind::Collateral => 5,
        }
    }

    /// The kind's name on the API.
    pub(crate) fn name(self) -> &'static str {
        match self {
            HistoryKind::All => "all",
            HistoryKind::Fills => "fills",
            HistoryKind::Funding => "funding",
            HistoryKind::Liquidations => "liquidations",
            HistoryKind::Orders => "orders",
            HistoryKind::Collateral => "collateral",
        }
    }

    /// The kind named `name` on the API.
    pub(crate) fn parse(name: &str) -> Option<HistoryKind> {
        HistoryKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind an event is filed under: its own, or [`HistoryKind::All`]'s code when it has
    /// none.
    fn filed_under(event: &Event) -> HistoryKind {
        HistoryKind::of(event).unwrap_or(HistoryKind::All)
    }

    /// The kind of an event besides [`HistoryKind::All`], if any.
    fn of(event: &Event) -> Option<HistoryKind> {
        Some(match event {
            Event::Fill { .. } => HistoryKind::Fills,
            Event::FundingSettled { .. } => HistoryKind::Funding,
            Event::LiquidationStarted { .. }
            | Event::LiquidationFee { .. }
            | Event::BackstopTakeover { .. }
            | Event::CollateralLiquidated { .. }
            | Event::BackstopCollateral { .. }
            | Event::BackstopLimitReached { .. }
            | Event::InsuranceFundPaid { .. }
            | Event::BadDebt { .. }
            | Event::LiquidationEnded { .. }
            | Event::AutoDeleveraged { .. } => HistoryKind::Liquidations,
            Event::OrderAccepted { .. }
            | Event::OrderCancelled { .. }
            | Event::TriggerPlaced { .. }
            | Event::TriggerRejected { .. }
            | Event::ItemRejected { .. } => HistoryKind::Orders,
            Event::Deposited { .. }
            | Event::Withdrew { .. }
            | Event::Transferred { .. }
            | Event::InsuranceFunded { .. }
            | Event::BackstopFunded { .. }
            | Event::PositionSettled { .. }
            | Event::MarginModeChanged { .. }
            | Event::MarginModeSet { .. } => HistoryKind::Collateral,
            _ => return None,
        })
    }
}

/// Candle intervals served, with their length; candles open at multiples of their length
/// since the Unix epoch (so a week starts on a Thursday, 00:00 UTC).
pub(crate) const CANDLE_INTERVALS: [(&str, u64); 13] = [
    ("1m", 60_000),
    ("3m", 180_000),
    ("5m", 300_000),
    ("15m", 900_000),
    ("30m", 1_800_000),
    ("1h", 3_600_000),
    ("2h", 7_200_000),
    ("4h", 14_400_000),
    ("8h", 28_800_000),
    ("12h", 43_200_000),
    ("1d", 86_400_000),
    ("3d", 259_200_000),
    ("1w", 604_800_000),
];

/// The index and length of the candle interval named `name` (`"1m"`, `"1h"`, …).
pub(crate) fn candle_interval(name: &str) -> Option<(u8, u64)> {
    CANDLE_INTERVALS.iter().position(|(n, _)| *n == name).map(|i| (i as u8, CANDLE_INTERVALS[i].1))
}

/// One event as stored: where in its block it happened, besides the height and sequence
/// number the key holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredEvent {
    /// Block time.
    pub(crate) time_ms: u64,
    /// Index of the transaction, `None` for end-of-block events.
    pub(crate) tx_index: Option<u32>,
    /// The event.
    pub(crate) event: Event,
}

/// A [`StoredEvent`] by reference: what is written (its encoding is the same) and shown,
/// without copying the event.
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct StoredEventRef<'a> {
    /// Block time.
    pub(crate) time_ms: u64,
    /// Index of the transaction, `None` for end-of-block events.
    pub(crate) tx_index: Option<u32>,
    /// The event.
    pub(crate) event: &'a Event,
}

impl<'a> EventRecord<'a> {
    /// The record as history stores and shows it (its height and number are in the key).
    pub(crate) fn stored(&self) -> StoredEventRef<'a> {
        StoredEventRef { time_ms: self.time_ms, tx_index: self.tx_index, event: self.event }
    }
}

impl StoredEvent {
    fn as_ref(&self) -> StoredEventRef<'_> {
        StoredEventRef { time_ms: self.time_ms, tx_index: self.tx_index, event: &self.event }
    }
}

/// One market's trading over one interval, in the market's ticks and lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Candle {
    /// First trade's price.
    pub(crate) open_ticks: u64,
    /// Highest trade price.
    pub(crate) high_ticks: u64,
    /// Lowest trade price.
    pub(crate) low_ticks: u64,
    /// Last trade's price.
    pub(crate) close_ticks: u64,
    /// Base volume in lots.
    pub(crate) volume_lots: u64,
    /// Quote volume.
    pub(crate) notional: Decimal,
    /// Number of fills.
    pub(crate) trades: u64,
}

impl Candle {
    fn first(price_ticks: u64, size_lots: u64, notional: Decimal) -> Candle {
        Candle {
            open_ticks: price_ticks,
            high_ticks: price_ticks,
            low_ticks: price_ticks,
            close_ticks: price_ticks,
            volume_lots: size_lots,
            notional,
            trades: 1,
        }
    }

    fn add(&mut self, price_ticks: u64, size_lots: u64, notional: Decimal) {
        self.high_ticks = self.high_ticks.max(price_ticks);
        self.low_ticks = self.low_ticks.min(price_ticks);
        self.close_ticks = price_ticks;
        self.volume_lots = self.volume_lots.saturating_add(size_lots);
        self.notional = self.notional.checked_add(notional).unwrap_or(self.notional);
        self.trades = self.trades.saturating_add(1);
    }
}

/// A market's units, to show ticks and lots as prices and sizes.
#[derive(Clone, Debug)]
pub(crate) struct MarketUnits {
    /// The market's symbol.
    pub(crate) symbol: String,
    /// Price of one tick.
    pub(crate) tick_size: Decimal,
    /// Size of one lot.
    pub(crate) lot_size: Decimal,
}

impl MarketUnits {
    fn price(&self, ticks: u64) -> Decimal {
        Decimal::from_units(ticks as i128, self.tick_size).unwrap_or_default()
    }

    fn size(&self, lots: u64) -> Decimal {
        Decimal::from_units(lots as i128, self.lot_size).unwrap_or_default()
    }
}

fn account_prefix(address: &Address, kind: HistoryKind) -> Vec<u8> {
    let mut key = Vec::with_capacity(34);
    key.push(ACCOUNT);
    key.extend_from_slice(&address.0);
    key.push(kind.code());
    key
}

fn market_prefix(market: MarketId) -> Vec<u8> {
    let mut key = vec![MARKET_TRADES];
    key.extend_from_slice(&market.0.to_be_bytes());
    key
}

fn funding_prefix(market: MarketId) -> Vec<u8> {
    let mut key = vec![FUNDING_RATES];
    key.extend_from_slice(&market.0.to_be_bytes());
    key
}

fn candle_prefix(market: MarketId, interval: u8) -> Vec<u8> {
    let mut key = vec![CANDLES];
    key.extend_from_slice(&market.0.to_be_bytes());
    key.push(interval);
    key
}

fn candle_key(market: MarketId, interval: u8, open_ms: u64) -> Vec<u8> {
    let mut key = candle_prefix(market, interval);
    key.extend_from_slice(&open_ms.to_be_bytes());
    key
}

pub(crate) fn tx_key(hash: &Hash32) -> Vec<u8> {
    let mut key = Vec::with_capacity(33);
    key.push(TX_LOCATION);
    key.extend_from_slice(hash);
    key
}

fn with_position(mut prefix: Vec<u8>, position: Position) -> Vec<u8> {
    prefix.extend_from_slice(&position.height.to_be_bytes());
    prefix.extend_from_slice(&position.seq.to_be_bytes());
    prefix
}

/// Where an event is in the chain: its block and its number within the block. Pages are cut
/// at positions, written `height:seq` on the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    /// Block height.
    pub(crate) height: u64,
    /// The event's number within the block.
    pub(crate) seq: u32,
}

impl Position {
    /// Parses `height:seq`, or a bare `height` (the start of that block).
    pub(crate) fn parse(text: &str) -> Option<Position> {
        match text.split_once(':') {
            Some((height, seq)) => Some(Position { height: height.parse().ok()?, seq: seq.parse().ok()? }),
            None => Some(Position { height: text.parse().ok()?, seq: 0 }),
        }
    }

    fn from_key_tail(key: &[u8]) -> Option<Position> {
        let tail = key.len().checked_sub(12).map(|start| &key[start..])?;
        let height = u64::from_be_bytes(tail[..8].try_into().ok()?);
        let seq = u32::from_be_bytes(tail[8..].try_into().ok()?);
        Some(Position { height, seq })
    }

    fn text(self) -> String {
        format!("{}:{}", self.height, self.seq)
    }
}

/// The in-memory part of history: the candles being built, so a block's fills update them
/// without reading the store (a candle not here is read back once, e.g. after a restart).
#[derive(Default)]
pub(crate) struct History {
    open_candles: HashMap<(MarketId, u8), (u64, Candle)>,
}

/// The rows a block adds to history, and the candles to remember once they are durable.
pub(crate) struct BlockRows {
    pub(crate) rows: Vec<(Vec<u8>, Vec<u8>)>,
    candles: Vec<((MarketId, u8), (u64, Candle))>,
}

impl History {
    /// The history rows of block `height` with `events` (as [`crate::chain::Chain`] records
    /// them) and its transactions' hashes.
    pub(crate) fn rows_for_block<'e>(
        &self,
        store: &Store,
        height: u64,
        hashes: &[Hash32],
        events: impl Iterator<Item = EventRecord<'e>>,
    ) -> Result<BlockRows, NodeError> {
        let mut rows = Vec::new();
        for (index, hash) in hashes.iter().enumerate() {
            let mut location = height.to_be_bytes().to_vec();
            location.extend_from_slice(&(index as u32).to_be_bytes());
            rows.push((tx_key(hash), location));
        }
        let mut candles: HashMap<(MarketId, u8), (u64, Candle)> = HashMap::new();
        let mut groups = AccountGroups::default();
        for (seq, record) in events.enumerate() {
            let position = Position { height, seq: seq as u32 };
            let addresses = touched_addresses(record.event);
            let is_fill = matches!(record.event, Event::Fill { .. });
            let funding_market = match *record.event {
                Event::FundingRate { market, .. } => Some(market),
                _ => None,
            };
            let kind = HistoryKind::filed_under(record.event);
            for address in addresses {
                groups.add(&mut rows, (address, kind), position, record.stored())?;
            }
            if !is_fill && funding_market.is_none() {
                continue;
            }
            let stored = encode(&record.stored())?;
            if let Some(market) = funding_market {
                rows.push((with_position(funding_prefix(market), position), stored.clone()));
            }
            if let Event::Fill { market, price_ticks, size_lots, notional, .. } = *record.event {
                rows.push((with_position(market_prefix(market), position), stored));
                for (interval, (_, length)) in CANDLE_INTERVALS.iter().enumerate() {
                    let slot = (market, interval as u8);
                    let open_ms = record.time_ms - record.time_ms % length;
                    let current = match candles.get(&slot).or_else(|| self.open_candles.get(&slot)) {
                        Some(&(open, candle)) if open == open_ms => Some(candle),
                        _ => read_candle(store, market, interval as u8, open_ms)?,
                    };
                    let candle = match current {
                        Some(mut candle) => {
                            candle.add(price_ticks, size_lots, notional);
                            candle
                        }
                        None => Candle::first(price_ticks, size_lots, notional),
                    };
                    candles.insert(slot, (open_ms, candle));
                }
            }
        }
        for (&(market, interval), &(open_ms, candle)) in &candles {
            rows.push((candle_key(market, interval, open_ms), encode(&candle)?));
        }
        groups.finish(&mut rows)?;
        Ok(BlockRows { rows, candles: candles.into_iter().collect() })
    }

    /// Remembers a block's candles once its rows are written (the next block's continue them).
    pub(crate) fn committed(&mut self, rows: BlockRows) {
        self.open_candles.extend(rows.candles);
    }
}

/// The account rows of one block being gathered: each address's events of each kind, in
/// order, a row written whenever one fills (the indexer sorts the rows it writes).
#[derive(Default)]
struct AccountGroups<'a> {
    /// Per address and kind: the group being filled.
    open: HashMap<(Address, HistoryKind), OpenGroup<'a>>,
}

/// A group's first event's position, and its events so far.
type OpenGroup<'a> = (Position, Vec<(u32, StoredEventRef<'a>)>);

impl<'a> AccountGroups<'a> {
    fn add(
        &mut self,
        rows: &mut Vec<(Vec<u8>, Vec<u8>)>,
        owner: (Address, HistoryKind),
        position: Position,
        stored: StoredEventRef<'a>,
    ) -> Result<(), NodeError> {
        let (_, events) = self.open.entry(owner).or_insert_with(|| (position, Vec::new()));
        events.push((position.seq, stored));
        if events.len() == GROUP_EVENTS_MAX {
            if let Some(group) = self.open.remove(&owner) {
                rows.push(account_row(owner, group)?);
            }
        }
        Ok(())
    }

    fn finish(self, rows: &mut Vec<(Vec<u8>, Vec<u8>)>) -> Result<(), NodeError> {
        for (owner, group) in self.open {
            rows.push(account_row(owner, group)?);
        }
        Ok(())
    }
}

/// The row of one account group: keyed by its first event's position.
fn account_row(
    (address, kind): (Address, HistoryKind),
    (first, events): OpenGroup<'_>,
) -> Result<(Vec<u8>, Vec<u8>), NodeError> {
    Ok((with_position(account_prefix(&address, kind), first), encode(&events)?))
}

fn read_candle(store: &Store, market: MarketId, interval: u8, open_ms: u64) -> Result<Option<Candle>, NodeError> {
    match store.history_get(&candle_key(market, interval, open_ms))? {
        Some(bytes) => Ok(Some(decode(&bytes, "candle")?)),
        None => Ok(None),
    }
}

/// Where transaction `hash` was included: its block and index.
pub(crate) fn tx_location(store: &Store, hash: &Hash32) -> Result<Option<(u64, u32)>, NodeError> {
    let Some(bytes) = store.history_get(&tx_key(hash))? else { return Ok(None) };
    let height = bytes.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
    let index = bytes.get(8..12).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes);
    match (height, index) {
        (Some(height), Some(index)) => Ok(Some((height, index))),
        _ => Err(NodeError::Corrupt(format!("transaction location of {}", hex(hash)))),
    }
}

/// One page of events, newest first, and the cursor of the next (older) page.
pub(crate) struct Page {
    /// The events, as JSON records.
    pub(crate) records: Vec<Value>,
    /// Pass as `before` for the next page; `None` when this page is the last.
    pub(crate) next: Option<String>,
}

impl Page {
    /// `{"records": [...], "next": "height:seq" | null}`.
    pub(crate) fn to_json(&self) -> Value {
        json!({"records": self.records, "next": self.next})
    }
}

/// The JSON of one event at `position`, with prices and sizes in the market's units for a
/// fill: what history pages and subscriptions send.
pub(crate) fn record_json(position: Position, stored: StoredEventRef<'_>, markets: &[MarketUnits]) -> Value {
    let mut value = json!({
        "height": position.height,
        "seq": position.seq,
        "time_ms": stored.time_ms,
        "tx_index": stored.tx_index,
        "event": stored.event,
    });
    if let (Event::Fill { market, price_ticks, size_lots, .. }, Value::Object(map)) = (stored.event, &mut value) {
        if let Some(units) = markets.get(market.0 as usize) {
            map.insert("market".into(), json!(units.symbol));
            map.insert("price".into(), json!(units.price(*price_ticks)));
            map.insert("size".into(), json!(units.size(*size_lots)));
        }
    }
    value
}

fn page_from_rows(rows: Vec<(Vec<u8>, Vec<u8>)>, limit: usize, markets: &[MarketUnits]) -> Result<Page, NodeError> {
    let events = rows
        .iter()
        .map(|(key, value)| {
            let position = Position::from_key_tail(key).ok_or_else(|| NodeError::Corrupt("history key".into()))?;
            Ok((position, decode(value, "history record")?))
        })
        .collect::<Result<Vec<(Position, StoredEvent)>, NodeError>>()?;
    Ok(page_from_events(&events, limit, markets))
}

/// A page of `events` (newest first), with the cursor of the next when it is full.
fn page_from_events(events: &[(Position, StoredEvent)], limit: usize, markets: &[MarketUnits]) -> Page {
    let records = events.iter().map(|(position, stored)| record_json(*position, stored.as_ref(), markets)).collect();
    let next = if events.len() == limit { events.last().map(|(position, _)| position.text()) } else { None };
    Page { records, next }
}

/// Events touching `address` of `kind`, newest first, strictly before `before` (from the
/// newest when `None`), at most `limit`.
pub(crate) fn account_page(
    store: &Store,
    address: &Address,
    kind: HistoryKind,
    before: Option<Position>,
    limit: usize,
    markets: &[MarketUnits],
) -> Result<Page, NodeError> {
    let mut events = Vec::new();
    if kind == HistoryKind::All {
        // Every kind's newest `limit`, merged newest first: no event is filed under two kinds.
        for kind in HistoryKind::ALL {
            events.extend(account_events(store, address, kind, before, limit)?);
        }
        events.sort_by(|(a, _), (b, _)| b.cmp(a));
        events.truncate(limit);
    } else {
        events = account_events(store, address, kind, before, limit)?;
    }
    Ok(page_from_events(&events, limit, markets))
}

/// The events filed under `kind` for `address` ([`HistoryKind::All`]: those of no other
/// kind), newest first, strictly before `before` (from the newest when `None`), at most
/// `limit`.
pub(crate) fn account_events(
    store: &Store,
    address: &Address,
    kind: HistoryKind,
    before: Option<Position>,
    limit: usize,
) -> Result<Vec<(Position, StoredEvent)>, NodeError> {
    let prefix = account_prefix(address, kind);
    let mut before_key = before.map(|position| with_position(prefix.clone(), position));
    let mut events = Vec::with_capacity(limit.min(FIRST_ROWS_READ * GROUP_EVENTS_MAX));
    // Every row read starts strictly before `before`, so its first event belongs to the page
    // (only the newest may also hold later ones). Rows are read a few at a time, more each
    // time, so a large `limit` never copies rows the page does not need.
    let mut chunk = FIRST_ROWS_READ;
    loop {
        let wanted = limit - events.len();
        let rows = store.history_page(&prefix, None, before_key.as_deref(), chunk.min(wanted), true)?;
        for (key, value) in &rows {
            let first = Position::from_key_tail(key).ok_or_else(|| NodeError::Corrupt("history key".into()))?;
            let group: AccountGroup = decode(value, "history record")?;
            for (seq, stored) in group.into_iter().rev() {
                let position = Position { height: first.height, seq };
                if before.is_some_and(|before| position >= before) {
                    continue;
                }
                events.push((position, stored));
                if events.len() == limit {
                    return Ok(events);
                }
            }
        }
        match rows.last() {
            Some((key, _)) if rows.len() == chunk.min(wanted) => before_key = Some(key.clone()),
            _ => return Ok(events),
        }
        chunk = chunk.saturating_mul(2);
    }
}

/// Account rows read first for a page; each further read takes twice as many.
const FIRST_ROWS_READ: usize = 4;

/// A market's fills, newest first, strictly before `before`, at most `limit`.
pub(crate) fn trades_page(
    store: &Store,
    market: MarketId,
    before: Option<Position>,
    limit: usize,
    markets: &[MarketUnits],
) -> Result<Page, NodeError> {
    let prefix = market_prefix(market);
    let before_key = before.map(|position| with_position(prefix.clone(), position));
    let rows = store.history_page(&prefix, None, before_key.as_deref(), limit, true)?;
    page_from_rows(rows, limit, markets)
}

/// A market's candles of interval `interval` opening in `start_ms..=end_ms`, oldest first, at
/// most `limit`. Intervals without a trade have no candle.
pub(crate) fn candles(
    store: &Store,
    market: MarketId,
    interval: u8,
    (start_ms, end_ms): (u64, u64),
    limit: usize,
    units: &MarketUnits,
) -> Result<Vec<Value>, NodeError> {
    let Some(&(name, length)) = CANDLE_INTERVALS.get(interval as usize) else { return Ok(Vec::new()) };
    let rows = stored_candles(store, market, interval, (start_ms, end_ms), limit)?;
    Ok(rows
        .into_iter()
        .map(|(open_ms, candle)| {
            json!({
                "market": units.symbol,
                "interval": name,
                "open_ms": open_ms,
                "close_ms": open_ms + length - 1,
                "open": units.price(candle.open_ticks),
                "high": units.price(candle.high_ticks),
                "low": units.price(candle.low_ticks),
                "close": units.price(candle.close_ticks),
                "volume": units.size(candle.volume_lots),
                "notional": candle.notional,
                "trades": candle.trades,
            })
        })
        .collect())
}

/// The raw rows of one page under `prefix`, a market's or its funding rates' (one event a
/// row; an account's rows are groups, read by [`account_events`]): each event with its
/// position, newest first when `newest_first`, strictly before `before` (from the newest when
/// `None`) or strictly after `after`, at most `limit`.
pub(crate) fn stored_events(
    store: &Store,
    prefix: &[u8],
    (after, before): (Option<Position>, Option<Position>),
    limit: usize,
    newest_first: bool,
) -> Result<Vec<(Position, StoredEvent)>, NodeError> {
    let after_key = after.map(|position| with_position(prefix.to_vec(), position));
    let before_key = before.map(|position| with_position(prefix.to_vec(), position));
    let rows = store.history_page(prefix, after_key.as_deref(), before_key.as_deref(), limit, newest_first)?;
    rows.iter()
        .map(|(key, value)| {
            let position = Position::from_key_tail(key).ok_or_else(|| NodeError::Corrupt("history key".into()))?;
            Ok((position, decode(value, "history record")?))
        })
        .collect()
}

/// The key prefix of a market's fills.
pub(crate) fn trades_key_prefix(market: MarketId) -> Vec<u8> {
    market_prefix(market)
}

/// The key prefix of the funding rates applied to a market.
pub(crate) fn funding_key_prefix(market: MarketId) -> Vec<u8> {
    funding_prefix(market)
}

/// A market's raw candles of interval `interval` opening in `start_ms..=end_ms`, oldest first,
/// at most `limit`, each with its open time.
pub(crate) fn stored_candles(
    store: &Store,
    market: MarketId,
    interval: u8,
    (start_ms, end_ms): (u64, u64),
    limit: usize,
) -> Result<Vec<(u64, Candle)>, NodeError> {
    let Some(&(_, length)) = CANDLE_INTERVALS.get(interval as usize) else { return Ok(Vec::new()) };
    let prefix = candle_prefix(market, interval);
    let first_open = start_ms - start_ms % length;
    let after = first_open.checked_sub(1).map(|ms| candle_key(market, interval, ms));
    let before = end_ms.checked_add(1).map(|ms| candle_key(market, interval, ms));
    let rows = store.history_page(&prefix, after.as_deref(), before.as_deref(), limit, false)?;
    rows.iter()
        .map(|(key, value)| {
            let open_ms = key
                .get(key.len().saturating_sub(8)..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| NodeError::Corrupt("candle key".into()))?;
            Ok((open_ms, decode(value, "candle")?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;

    /// A store in a directory of its own, removed when the test ends.
    struct ScratchStore {
        // Declared first: closed before its directory is removed.
        store: Store,
        _dir: ScratchDir,
    }

    impl ScratchStore {
        fn new(name: &str) -> ScratchStore {
            let dir = ScratchDir::new(&format!("history-{name}"));
            ScratchStore { store: Store::open(dir.join("history.redb")).unwrap(), _dir: dir }
        }
    }

    impl std::ops::Deref for ScratchStore {
        type Target = Store;
        fn deref(&self) -> &Store {
            &self.store
        }
    }

    #[test]
    fn positions_parse_and_print() {
        assert_eq!(Position::parse("12:3"), Some(Position { height: 12, seq: 3 }));
        assert_eq!(Position::parse("12"), Some(Position { height: 12, seq: 0 }));
        assert_eq!(Position::parse("x:1"), None);
        assert_eq!(Position::parse("1:-1"), None);
        assert_eq!(Position { height: 7, seq: 9 }.text(), "7:9");
    }

    #[test]
    fn every_kind_has_a_distinct_code_and_name() {
        for (i, kind) in HistoryKind::ALL.iter().enumerate() {
            assert_eq!(kind.code() as usize, i);
            assert_eq!(HistoryKind::parse(kind.name()), Some(*kind));
        }
        assert_eq!(HistoryKind::parse("Fills"), None);
    }

    #[test]
    fn a_funding_rate_is_kept_under_its_market_and_nowhere_else() {
        let store = ScratchStore::new("funding");
        let rate: Decimal = "0.0001".parse().unwrap();
        let event = Event::FundingRate { market: MarketId(1), rate, index: Decimal::ZERO };
        let record = EventRecord { height: 5, time_ms: 7_000, tx_index: None, event: &event };
        let rows = History::default().rows_for_block(&store, 5, &[], [record].into_iter()).unwrap().rows;
        assert_eq!(rows.len(), 1, "one row, under the market's funding prefix");
        let (key, value) = &rows[0];
        assert!(key.starts_with(&funding_key_prefix(MarketId(1))));
        assert_eq!(Position::from_key_tail(key), Some(Position { height: 5, seq: 0 }));
        let stored: StoredEvent = decode(value, "funding rate").unwrap();
        assert_eq!(stored.time_ms, 7_000);
        assert!(matches!(stored.event, Event::FundingRate { rate: r, .. } if r == rate));
    }

    fn accepted(owner: Address, id: u64) -> Event {
        Event::OrderAccepted {
            order_id: novation_types::OrderId(id),
            subaccount: novation_types::SubaccountId { owner, number: 0 },
            market: MarketId(1),
            side: novation_types::Side::Buy,
            price_ticks: 100,
            size_lots: 1,
            client_order_id: None,
        }
    }

    /// A block's records of `events` (each with its transaction's index).
    fn records(height: u64, time_ms: u64, events: &[(u32, Event)]) -> impl Iterator<Item = EventRecord<'_>> {
        events.iter().map(move |(tx, event)| EventRecord { height, time_ms, tx_index: Some(*tx), event })
    }

    /// Every page of `address`'s events of `kind`, `limit` at a time, following the cursors.
    fn every_page(store: &Store, address: &Address, kind: HistoryKind, limit: usize) -> Vec<Position> {
        let mut positions = Vec::new();
        let mut before = None;
        loop {
            let page = account_page(store, address, kind, before, limit, &[]).unwrap();
            assert!(page.records.len() <= limit);
            positions.extend(
                page.records.iter().map(|r| Position {
                    height: r["height"].as_u64().unwrap(),
                    seq: r["seq"].as_u64().unwrap() as u32,
                }),
            );
            match page.next {
                Some(next) => before = Position::parse(&next),
                None => return positions,
            }
        }
    }

    #[test]
    fn a_batch_of_an_accounts_events_shares_rows_and_pages_like_one_row_each() {
        let store = ScratchStore::new("groups");
        let (maker, other) = (Address([7; 20]), Address([8; 20]));
        let history = History::default();
        // Block 9: 600 events of `maker`, every fifth followed by one of `other`; block 10: 3.
        let mut expected = Vec::new();
        let mut block_9 = Vec::new();
        for i in 0..600u64 {
            expected.push(Position { height: 9, seq: block_9.len() as u32 });
            block_9.push((0, accepted(maker, i)));
            if i % 5 == 0 {
                block_9.push((1, accepted(other, i)));
            }
        }
        let block_10: Vec<(u32, Event)> = (0..3).map(|i| (0, accepted(maker, 1_000 + i))).collect();
        expected.extend((0..3).map(|seq| Position { height: 10, seq }));
        expected.reverse();
        let rows_9 = history.rows_for_block(&store, 9, &[], records(9, 1, &block_9)).unwrap().rows;
        let maker_rows = rows_9.iter().filter(|(key, _)| key.starts_with(&account_prefix(&maker, HistoryKind::Orders)));
        assert_eq!(maker_rows.count(), 3, "600 events in rows of at most {GROUP_EVENTS_MAX}");
        let mut rows = rows_9;
        rows.extend(history.rows_for_block(&store, 10, &[], records(10, 2, &block_10)).unwrap().rows);
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        store.put_history(&rows, &[], true).unwrap();
        for limit in [1, 7, 255, 256, 257, 1_000] {
            assert_eq!(every_page(&store, &maker, HistoryKind::Orders, limit), expected, "page size {limit}");
            assert_eq!(every_page(&store, &maker, HistoryKind::All, limit), expected, "all, page size {limit}");
        }
        assert_eq!(every_page(&store, &other, HistoryKind::Orders, 50).len(), 120);
        // Many rows of a few events: pages that read rows in several rounds.
        let taker = Address([9; 20]);
        let mut many = Vec::new();
        for height in 20..60u64 {
            let block: Vec<(u32, Event)> = (0..3).map(|i| (0, accepted(taker, i))).collect();
            let block = records(height, height, &block);
            store.put_history(&history.rows_for_block(&store, height, &[], block).unwrap().rows, &[], false).unwrap();
            many.extend((0..3).map(|seq| Position { height, seq }));
        }
        many.reverse();
        for limit in [1, 2, 5, 13, 119, 120, 121, 5_000] {
            assert_eq!(every_page(&store, &taker, HistoryKind::Orders, limit), many, "page size {limit}");
        }
        assert!(every_page(&store, &maker, HistoryKind::Fills, 10).is_empty());
        // A cursor inside a row: strictly before it, whatever row it falls in.
        let from_middle = account_events(&store, &maker, HistoryKind::Orders, Some(expected[300]), 5).unwrap();
        let positions: Vec<Position> = from_middle.iter().map(|(p, _)| *p).collect();
        assert_eq!(positions, expected[301..306]);
    }

    #[test]
    fn a_trade_between_two_subaccounts_of_one_owner_is_filed_once() {
        let store = ScratchStore::new("self-trade");
        let owner = Address([5; 20]);
        let subaccount = |number| novation_types::SubaccountId { owner, number };
        let fill = Event::Fill {
            market: MarketId(1),
            maker_order: novation_types::OrderId(1),
            taker_order: novation_types::OrderId(2),
            maker: subaccount(0),
            taker: subaccount(1),
            taker_side: novation_types::Side::Buy,
            price_ticks: 100,
            size_lots: 1,
            notional: Decimal::ONE,
            maker_fee: Decimal::ZERO,
            taker_fee: Decimal::ZERO,
            maker_realized_pnl: Decimal::ZERO,
            taker_realized_pnl: Decimal::ZERO,
        };
        let block = [(0, fill)];
        let mut rows = History::default().rows_for_block(&store, 3, &[], records(3, 1, &block)).unwrap().rows;
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        store.put_history(&rows, &[], true).unwrap();
        assert_eq!(every_page(&store, &owner, HistoryKind::Fills, 10), vec![Position { height: 3, seq: 0 }]);
        assert_eq!(every_page(&store, &owner, HistoryKind::All, 10), vec![Position { height: 3, seq: 0 }]);
    }

    #[test]
    fn candle_intervals_are_known_by_name() {
        assert_eq!(candle_interval("1h"), Some((5, 3_600_000)));
        assert_eq!(candle_interval("1M"), None);
    }
}
