//! History from the store as plain Rust data, for in-process readers that translate it into
//! another API (the Hyperliquid-compatible gateway, `novation-hl-gateway`): an account's
//! fills, order events and funding settlements, a market's trades, funding rates and candles. The same rows `nov_getFills`,
//! `nov_getTrades` and `nov_getCandles` answer from ([`crate::history`]); nothing here writes.
//!
//! As in [`crate::rpc_history`], the chain's lock is held only to copy the history store's
//! handle, and a read first waits for the history indexer to reach the chain's height (so it
//! sees every committed block): a read never delays a block. Every read is bounded by its `limit`, capped at
//! [`HISTORY_READ_MAX`].

use std::sync::Arc;

use novation_math::Decimal;
use novation_store::Store;
use novation_types::{Address, Event, MarketId};

use crate::history::{self, HistoryKind, Position};
use crate::{Node, NodeError};

/// Most records or candles one read returns, whatever `limit` asks.
pub const HISTORY_READ_MAX: usize = 5_000;

/// Most pages of [`HISTORY_READ_MAX`] rows one [`Node::funding_rates`] call scans.
const FUNDING_SCAN_PAGES_MAX: usize = 20;

/// One event as history stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastEvent {
    /// Block height.
    pub height: u64,
    /// The event's number within its block (transactions' events, then end-of-block ones).
    pub seq: u32,
    /// Block time, ms since the Unix epoch.
    pub time_ms: u64,
    /// Index of the transaction in its block; `None` for end-of-block events.
    pub tx_index: Option<u32>,
    /// The event.
    pub event: Event,
}

/// One market's trading over one candle interval, in the market's units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CandleView {
    /// Open time, ms since the Unix epoch (a multiple of the interval's length).
    pub open_ms: u64,
    /// Last millisecond of the interval.
    pub close_ms: u64,
    /// First trade's price.
    pub open: Decimal,
    /// Highest trade price.
    pub high: Decimal,
    /// Lowest trade price.
    pub low: Decimal,
    /// Last trade's price.
    pub close: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Quote volume.
    pub notional: Decimal,
    /// Number of fills.
    pub trades: u64,
}

fn past(rows: Vec<(Position, history::StoredEvent)>) -> Vec<PastEvent> {
    rows.into_iter()
        .map(|(position, stored)| PastEvent {
            height: position.height,
            seq: position.seq,
            time_ms: stored.time_ms,
            tx_index: stored.tx_index,
            event: stored.event,
        })
        .collect()
}

impl Node {
    /// The history store and every market's units, once history has caught up with the
    /// chain's current height. The chain's lock is released before waiting for the indexer.
    pub(crate) fn history_reader(&self) -> Result<(Arc<Store>, Vec<history::MarketUnits>), NodeError> {
        let (indexer, height, units) = {
            let chain = self.chain();
            (chain.history.clone(), chain.height(), chain.market_units())
        };
        Ok((indexer.reader(height)?, units))
    }

    fn history_rows(&self, prefix: &[u8], limit: usize, newest_first: bool) -> Result<Vec<PastEvent>, NodeError> {
        let (store, _) = self.history_reader()?;
        let limit = limit.clamp(1, HISTORY_READ_MAX);
        Ok(past(history::stored_events(&store, prefix, (None, None), limit, newest_first)?))
    }

    fn account_events(&self, address: Address, kind: HistoryKind, limit: usize) -> Result<Vec<PastEvent>, NodeError> {
        let (store, _) = self.history_reader()?;
        let limit = limit.clamp(1, HISTORY_READ_MAX);
        Ok(past(history::account_events(&store, &address, kind, None, limit)?))
    }

    /// The latest `limit` fills of any subaccount of `address` (as maker or taker), newest first.
    pub fn account_fills(&self, address: Address, limit: usize) -> Result<Vec<PastEvent>, NodeError> {
        self.account_events(address, HistoryKind::Fills, limit)
    }

    /// The latest `limit` order events of any subaccount of `address` (orders accepted and
    /// cancelled, triggers placed and refused), newest first.
    pub fn account_order_events(&self, address: Address, limit: usize) -> Result<Vec<PastEvent>, NodeError> {
        self.account_events(address, HistoryKind::Orders, limit)
    }

    /// The latest `limit` funding settlements (`Event::FundingSettled`) of any subaccount of
    /// `address`, newest first.
    pub fn account_funding(&self, address: Address, limit: usize) -> Result<Vec<PastEvent>, NodeError> {
        self.account_events(address, HistoryKind::Funding, limit)
    }

    /// The latest `limit` fills of `market`, newest first.
    pub fn market_trades(&self, market: MarketId, limit: usize) -> Result<Vec<PastEvent>, NodeError> {
        self.history_rows(&history::trades_key_prefix(market), limit, true)
    }

    /// The funding rates applied to `market` (`Event::FundingRate`) at block times in
    /// `start_ms..=end_ms`, oldest first, at most `limit`. Only blocks committed by a node
    /// that indexes funding rates are found (every node since this index was added).
    pub fn funding_rates(
        &self,
        market: MarketId,
        (start_ms, end_ms): (u64, u64),
        limit: usize,
    ) -> Result<Vec<PastEvent>, NodeError> {
        let limit = limit.clamp(1, HISTORY_READ_MAX);
        // Rows are keyed by height, not time: read oldest first and keep the window. The
        // scan stops at `limit` rows past the window's start, so it stays bounded.
        let (store, _) = self.history_reader()?;
        let prefix = history::funding_key_prefix(market);
        let mut kept = Vec::new();
        let mut after = None;
        for _ in 0..FUNDING_SCAN_PAGES_MAX {
            let rows = history::stored_events(&store, &prefix, (after, None), HISTORY_READ_MAX, false)?;
            let full = rows.len() == HISTORY_READ_MAX;
            after = rows.last().map(|(position, _)| *position);
            for event in past(rows) {
                if event.time_ms > end_ms {
                    return Ok(kept);
                }
                if event.time_ms >= start_ms {
                    kept.push(event);
                    if kept.len() == limit {
                        return Ok(kept);
                    }
                }
            }
            if !full {
                break;
            }
        }
        Ok(kept)
    }

    /// `market`'s candles of interval `interval` (`"1m"`, `"5m"`, `"1h"`, `"1d"`, …, as
    /// `nov_getCandles` names them) opening in `start_ms..=end_ms`, oldest first, at most
    /// `limit`. Intervals without a trade have no candle. `None` for an unknown interval or
    /// market.
    pub fn candles(
        &self,
        market: MarketId,
        interval: &str,
        (start_ms, end_ms): (u64, u64),
        limit: usize,
    ) -> Result<Option<Vec<CandleView>>, NodeError> {
        let Some((index, length)) = history::candle_interval(interval) else { return Ok(None) };
        let (store, units) = self.history_reader()?;
        let Some(units) = units.get(market.0 as usize) else { return Ok(None) };
        let limit = limit.clamp(1, HISTORY_READ_MAX);
        let rows = history::stored_candles(&store, market, index, (start_ms, end_ms), limit)?;
        let price = |ticks: u64| Decimal::from_units(i128::from(ticks), units.tick_size).unwrap_or_default();
        Ok(Some(
            rows.into_iter()
                .map(|(open_ms, candle)| CandleView {
                    open_ms,
                    close_ms: open_ms.saturating_add(length - 1),
                    open: price(candle.open_ticks),
                    high: price(candle.high_ticks),
                    low: price(candle.low_ticks),
                    close: price(candle.close_ticks),
                    volume: Decimal::from_units(i128::from(candle.volume_lots), units.lot_size).unwrap_or_default(),
                    notional: candle.notional,
                    trades: candle.trades,
                })
                .collect(),
        ))
    }
}

/// A transaction a committed block included, with what it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludedTx {
    /// The block's height.
    pub height: u64,
    /// The block's time, ms since the Unix epoch.
    pub time_ms: u64,
    /// Applied, or refused whole (its nonce still used).
    pub result: Result<(), novation_protocol::TxError>,
    /// Its events, in order.
    pub events: Vec<Event>,
}

impl Node {
    /// The block outcome of transaction `hash`, once a committed block included it (`None`
    /// while it is pending or unknown).
    pub fn included_transaction(&self, hash: &crate::Hash32) -> Result<Option<IncludedTx>, NodeError> {
        let chain = self.chain();
        let Some((height, index)) = chain.included(hash)? else { return Ok(None) };
        let (header, _, mut results) = crate::rpc::stored_block(&chain, height)?;
        let index = index as usize;
        if index >= results.transactions.len() {
            return Err(NodeError::Corrupt("results too short".into()));
        }
        let outcome = results.transactions.swap_remove(index);
        Ok(Some(IncludedTx { height, time_ms: header.time_ms, result: outcome.result, events: outcome.events }))
    }

    /// Whether transaction `hash` waits in the mempool.
    pub fn is_pending(&self, hash: &crate::Hash32) -> bool {
        self.mempool().contains(hash)
    }
}
