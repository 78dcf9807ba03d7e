//! A small driver for tests: builds blocks, numbers nonces, moves oracle prices.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use novation_math::{Decimal, Ppm};
use novation_protocol::params::Genesis;
use novation_protocol::presets::{BTC, ETH, USD};
use novation_protocol::{Block, BlockHeader, BlockOutcome, PublisherPrices, State, StateKey, TxOutcome};
use novation_types::action;
use novation_types::{Action, Address, AssetId, MarketId, OrderAction, OrderRequest, Side, SubaccountId, Transaction};

pub const BLOCK_MS: u64 = 1_000;

pub fn dec(text: &str) -> Decimal {
    text.parse().expect("test decimal")
}

pub fn trader(n: u64) -> Address {
    Address::from_index(1_000 + n)
}

pub fn sub(address: Address) -> SubaccountId {
    SubaccountId::new(address, 0)
}

/// The state decoded from `state`'s snapshot, checked to commit to the same entries.
pub fn restored_from_snapshot(state: &State) -> State {
    let bytes = state.to_snapshot();
    let restored = State::from_snapshot(&bytes).expect("a snapshot decodes");
    let entries = |state: &State| {
        let keys = state.commitment_keys();
        keys.into_iter().map(|key| (key, state.commitment_value(&key))).collect::<Vec<_>>()
    };
    assert!(entries(&restored) == entries(state), "the restored state commits to other entries");
    assert_eq!(restored.to_snapshot(), bytes, "the restored state re-encodes differently");
    restored
}

/// Every committed entry of `state`, listed from scratch (as a node does after a restart).
pub fn committed_entries(state: &State) -> BTreeMap<StateKey, Vec<u8>> {
    state.commitment_keys().into_iter().filter_map(|key| Some((key, state.commitment_value(&key)?))).collect()
}

/// Brings `committed` up to date with the keys `state` changed (as a node does every block)
/// and returns them.
pub fn apply_changed_keys(state: &mut State, committed: &mut BTreeMap<StateKey, Vec<u8>>) -> Vec<StateKey> {
    let keys = state.take_changed_keys();
    for key in &keys {
        match state.commitment_value(key) {
            Some(value) => committed.insert(*key, value),
            None => committed.remove(key),
        };
    }
    keys
}

pub struct Chain {
    pub state: State,
    /// The commitment's entries kept up to date from the changed keys after every block
    /// ([`Chain::block`] checks them against the entries rebuilt from scratch); `None` until
    /// the first block.
    pub committed: Option<BTreeMap<StateKey, Vec<u8>>>,
    /// The keys the last block changed (drained from the state by [`Chain::block`]).
    pub changed_keys: Vec<StateKey>,
    pub publishers: Vec<Address>,
    nonces: BTreeMap<Address, u64>,
    /// Block time between blocks (default `BLOCK_MS`).
    pub block_ms: u64,
}

impl Chain {
    /// The example genesis with three publishers; BTC at 100,000 and ETH at 4,000.
    pub fn new() -> Self {
        let publishers: Vec<Address> = (1..=3).map(Address::from_index).collect();
        Self::with_genesis(Genesis::example(&publishers), publishers)
    }

    /// The example genesis with every market's stable price following its mark within a
    /// block: every deficit is one the insurance fund covers (no move is "too fast").
    pub fn with_prompt_stable_price() -> Self {
        let publishers: Vec<Address> = (1..=3).map(Address::from_index).collect();
        Self::with_genesis(prompt_stable_price(Genesis::example(&publishers)), publishers)
    }

    pub fn with_genesis(genesis: Genesis, publishers: Vec<Address>) -> Self {
        let mut chain = Chain {
            state: State::new(genesis).expect("valid genesis"),
            publishers,
            committed: None,
            changed_keys: Vec::new(),
            nonces: BTreeMap::new(),
            block_ms: BLOCK_MS,
        };
        chain.set_prices(&[(BTC, "100000"), (ETH, "4000")]);
        chain
    }

    pub fn tx(&mut self, sender: Address, actions: Vec<Action>) -> Transaction {
        let nonce = self.nonces.entry(sender).or_insert(0);
        let tx = Transaction::new(sender, *nonce, actions);
        *nonce += 1;
        tx
    }

    /// A transaction `agent` signs for `sender` (nonces follow the agent).
    pub fn agent_tx(&mut self, sender: Address, agent: Address, actions: Vec<Action>) -> TxOutcome {
        let nonce = self.nonces.entry(agent).or_insert(0);
        let tx = Transaction { sender, agent: Some(agent), nonce: *nonce, actions };
        *nonce += 1;
        self.block(vec![tx]).transactions.remove(0)
    }

    pub fn next_header(&self) -> BlockHeader {
        BlockHeader { height: self.state.height() + 1, time_ms: self.state.time_ms() + self.block_ms }
    }

    /// Applies a block. Every block is also applied to the state restored from the snapshot
    /// taken just before it, which must commit to the same entries and then give the same
    /// outcome and state.
    pub fn block(&mut self, transactions: Vec<Transaction>) -> BlockOutcome {
        self.block_with_prices(Vec::new(), transactions)
    }

    /// Applies a block carrying `prices` from its consensus, checked like [`Chain::block`].
    pub fn block_with_prices(&mut self, prices: Vec<PublisherPrices>, transactions: Vec<Transaction>) -> BlockOutcome {
        let block = Block { header: self.next_header(), transactions, prices };
        let mut committed = match self.committed.take() {
            Some(committed) => committed,
            None => {
                let entries = committed_entries(&self.state);
                let _ = self.state.take_changed_keys();
                entries
            }
        };
        let mut restored = restored_from_snapshot(&self.state);
        let outcome = self.state.apply_block(&block).expect("block applies");
        let replayed = restored.apply_block(&block).expect("block applies to the restored state");
        assert_eq!(replayed, outcome, "the restored state gives another outcome at height {}", block.header.height);
        assert_eq!(restored.state_hash(), self.state.state_hash(), "the restored state diverged");
        self.state.verify_conservation().expect("conservation after every block");
        self.changed_keys = apply_changed_keys(&mut self.state, &mut committed);
        assert!(
            committed == committed_entries(&self.state),
            "the incremental commitment differs from the one rebuilt from scratch at height {}",
            block.header.height
        );
        self.committed = Some(committed);
        outcome
    }

    /// One transaction in its own block.
    pub fn run(&mut self, sender: Address, actions: Vec<Action>) -> TxOutcome {
        let tx = self.tx(sender, actions);
        self.block(vec![tx]).transactions.remove(0)
    }

    pub fn ok(&mut self, sender: Address, actions: Vec<Action>) -> TxOutcome {
        let outcome = self.run(sender, actions);
        assert!(outcome.result.is_ok(), "expected success, got {:?}", outcome.result);
        outcome
    }

    pub fn deposit(&mut self, who: Address, asset: AssetId, amount: &str) {
        self.ok(who, vec![Action::Deposit(action::Deposit { subaccount: 0, asset, amount: dec(amount) })]);
    }

    pub fn place(&mut self, who: Address, request: OrderRequest) -> TxOutcome {
        self.run(who, vec![Action::Order(OrderAction::Place(request))])
    }

    /// Every publisher reports these prices in one block (a labelled test feed).
    pub fn set_prices(&mut self, prices: &[(AssetId, &str)]) -> BlockOutcome {
        let time = self.next_header().time_ms;
        let txs: Vec<Transaction> = self
            .publishers
            .clone()
            .into_iter()
            .map(|publisher| {
                let actions = prices
                    .iter()
                    .map(|(asset, price)| {
                        Action::PriceReport(action::PriceReport {
                            asset: *asset,
                            price: dec(price),
                            confidence: Decimal::ZERO,
                            publish_time_ms: time,
                        })
                    })
                    .collect();
                self.tx(publisher, actions)
            })
            .collect();
        let outcome = self.block(txs);
        for tx in &outcome.transactions {
            assert!(tx.result.is_ok(), "price report rejected: {:?}", tx.result);
        }
        outcome
    }

    /// Moves a price in steps no larger than `max_step_pct` percent so the oracle's
    /// too-volatile guard accepts each block.
    pub fn walk_price(&mut self, asset: AssetId, target: &str) {
        let target = dec(target);
        loop {
            let current = self.state.oracle(asset).and_then(|o| o.ema).expect("priced");
            let limit = Ppm::new(80_000).apply_decimal(current, novation_math::Rounding::Floor).unwrap();
            let gap = target.checked_sub(current).unwrap();
            let step = if gap.checked_abs().unwrap() <= limit {
                gap
            } else if gap.is_negative() {
                limit.checked_neg().unwrap()
            } else {
                limit
            };
            let next = current.checked_add(step).unwrap().round_dp(2, novation_math::Rounding::HalfEven).unwrap();
            self.set_prices(&[(asset, &next.to_string())]);
            if next == target {
                // One more block lets the EMA settle close to the new level.
                for _ in 0..3 {
                    self.set_prices(&[(asset, &next.to_string())]);
                }
                return;
            }
        }
    }

    pub fn usd(&self, who: Address) -> Decimal {
        let raw = self.state.subaccount(sub(who)).map_or(0, |s| s.balance(USD).0);
        Decimal::from_raw(raw)
    }
}

/// `genesis` with every market's stable price following its mark within a block.
pub fn prompt_stable_price(mut genesis: Genesis) -> Genesis {
    for market in &mut genesis.markets {
        market.risk.stable_growth_per_hour = novation_protocol::params::MAX_STABLE_GROWTH;
    }
    genesis
}

pub fn limit(market: MarketId, side: Side, price_ticks: u64, size_lots: u64) -> OrderRequest {
    OrderRequest::limit(0, market, side, price_ticks, size_lots)
}
