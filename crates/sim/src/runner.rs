//! The runner: applies a [`Script`] to a state (and its replicas) block by block and checks,
//! after every block or every transaction, that
//!
//! - value is conserved (`verify_conservation`, and `apply_block` never reports a broken
//!   invariant) and no book is crossed;
//! - no input makes the protocol panic (a panic propagates to the caller, which reports it);
//! - a rejected transaction changes nothing but its signer's nonce, and a bad nonce nothing
//!   at all (and a nonce is refused exactly when it is not the signer's next);
//! - replicas fed the same blocks give the same events and state hashes after every block
//!   (the last one is replaced every few blocks by the state restored from the main state's
//!   snapshot, which must commit to the same entries), and the main state's commitment kept
//!   up to date from its changed keys (`State::take_changed_keys`) holds exactly the entries
//!   rebuilt from scratch (`State::commitment_keys`);
//! - after every block, a subaccount below maintenance holding a position is being liquidated;
//!
//! and, per [`Checks`], that meeting initial margin implies meeting maintenance margin; an
//! order that rests and grows the worst-case position leaves its owner meeting initial
//! margin; a subaccount with no position, order or debt is never touched by others' trouble;
//! and cancels, deposits, reduce-only and trigger orders are never refused for the oracle.

use std::collections::{BTreeMap, BTreeSet};

use novation_math::{Decimal, Rounding};
use novation_protocol::accounts::Subaccount;
use novation_protocol::presets::{BACKSTOP, BTC, ETH, USD};
use novation_protocol::{Block, BlockHeader, State, StateKey, TxOutcome};
use novation_types::{
    Action, Address, AssetId, ErrorCode, Event, Lots, MarketId, OrderAction, OrderId, OrderKind, OrderRequest,
    PriceTicks, SelfTradePrevention, Side, SubaccountId, TimeInForce, Transaction, TriggerRequest,
};

use crate::chain::{
    fresh_state, publisher, trader, AGENT_KEYS, BLOCK_MS, MARKETS, ORACLE_ASSETS, PUBLISHERS, START_CENTS,
};
use crate::script::{
    ActionSpec, AgentKey, Amount, Funding, Kind, ModPrice, ModSize, Move, NonceSpec, Opener, OrderRef, OrderSpec,
    PlaceSpec, Price, Script, Size, TxSpec, Who,
};
use crate::Failure;

/// Fails the run with a message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(Failure::new(format!($($arg)+)));
        }
    };
}

/// Fails the run unless `left == right`, showing both.
macro_rules! ensure_eq {
    ($left:expr, $right:expr) => {
        ensure_eq!($left, $right, "{} != {}", stringify!($left), stringify!($right))
    };
    ($left:expr, $right:expr, $($arg:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if left != right {
                    return Err(Failure::new(format!(
                        "{}\n  left: {:?}\n right: {:?}",
                        format!($($arg)+),
                        left,
                        right
                    )));
                }
            }
        }
    };
}

/// How transactions reach the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Whole blocks through `apply_block`, to the state and to `replicas` more fresh states
    /// that must agree with it on every outcome and state hash.
    Blocks {
        /// States fed the same blocks beside the main one.
        replicas: usize,
    },
    /// User transactions one by one through `apply_transaction`, each checked against a copy
    /// of the state before it; the block is then closed by `apply_block` with the reports.
    OneByOne,
}

/// Which properties to check while running.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checks {
    /// Health consistency of every subaccount after every block.
    pub health: bool,
    /// Right after a transaction rests an order that grows the worst-case position, the owner
    /// meets initial margin counting open orders.
    pub order_margin: bool,
    /// A subaccount without positions, orders or debt is untouched by blocks its owner sends
    /// nothing in.
    pub bystanders: bool,
    /// Actions that cannot add risk are never refused because of the oracle.
    pub oracle_refusals: bool,
}

/// Blocks between two restores of the last replica from the main state's snapshot.
const SNAPSHOT_EVERY_BLOCKS: u64 = 3;

/// Runs one script against a fresh chain; see the module documentation.
pub struct Runner {
    state: State,
    replicas: Vec<State>,
    mode: Mode,
    checks: Checks,
    nonces: BTreeMap<Address, u64>,
    /// The publishers' true prices in cents, per oracle asset.
    cents: [i128; 2],
    /// Every order id the protocol accepted, in order.
    known_orders: Vec<OrderId>,
    /// Orders accepted per market (the next order id's sequence number).
    accepted: [u64; 2],
    subaccounts: BTreeSet<SubaccountId>,
    sent: Vec<Transaction>,
    /// Counters that show the generators reach the interesting paths.
    stats: Stats,
    /// The main state's committed entries, kept up to date block by block from its changed
    /// keys (with replicas only: checked against the entries rebuilt from scratch).
    committed: Option<BTreeMap<StateKey, Vec<u8>>>,
}

/// Counters that show the generators reach the interesting paths, and how much ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Rejections per error code.
    pub errors: BTreeMap<u32, u64>,
    /// Transactions applied (user transactions and price reports).
    pub txs: u64,
    /// Actions in the transactions applied.
    pub actions: u64,
    /// Transactions accepted.
    pub accepted: u64,
    /// Fills.
    pub fills: u64,
    /// Orders that rested.
    pub rested: u64,
    /// Blocks applied.
    pub blocks: u64,
    /// Transactions refused for the oracle.
    pub invalid_price_rejections: u64,
    /// Trigger orders fired.
    pub triggered: u64,
    /// Funding rates set.
    pub funding_rates: u64,
    /// Liquidations started.
    pub liquidations: u64,
    /// Positions the backstop took over.
    pub backstop_takeovers: u64,
    /// Positions auto-deleveraged.
    pub auto_deleveraged: u64,
    /// Insurance fund payouts.
    pub insurance_payouts: u64,
    /// Bad debts recorded.
    pub bad_debts: u64,
    /// Agents authorised.
    pub agents_authorized: u64,
}

impl Stats {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Stats) {
        for (code, n) in &other.errors {
            *self.errors.entry(*code).or_default() += n;
        }
        self.txs += other.txs;
        self.actions += other.actions;
        self.accepted += other.accepted;
        self.fills += other.fills;
        self.rested += other.rested;
        self.blocks += other.blocks;
        self.invalid_price_rejections += other.invalid_price_rejections;
        self.triggered += other.triggered;
        self.funding_rates += other.funding_rates;
        self.liquidations += other.liquidations;
        self.backstop_takeovers += other.backstop_takeovers;
        self.auto_deleveraged += other.auto_deleveraged;
        self.insurance_payouts += other.insurance_payouts;
        self.bad_debts += other.bad_debts;
        self.agents_authorized += other.agents_authorized;
    }
}

fn fail(message: String) -> Failure {
    Failure::new(message)
}

impl Runner {
    /// A runner on a fresh chain (and its replicas).
    pub fn new(mode: Mode, checks: Checks) -> Self {
        let replicas = match mode {
            Mode::Blocks { replicas } => (0..replicas).map(|_| fresh_state()).collect(),
            Mode::OneByOne => Vec::new(),
        };
        let mut state = fresh_state();
        let committed = match mode {
            Mode::Blocks { replicas } if replicas > 0 => Some(committed_from_scratch(&mut state)),
            _ => None,
        };
        Runner {
            state,
            committed,
            replicas,
            mode,
            checks,
            nonces: BTreeMap::new(),
            cents: START_CENTS,
            known_orders: Vec::new(),
            accepted: [0; 2],
            subaccounts: BTreeSet::new(),
            sent: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// Runs `script` to its end, or to the first broken property.
    pub fn run(mut self, script: &Script) -> Result<Stats, Failure> {
        self.run_blocks(script)
    }

    /// Runs `script` like [`Runner::run`] and also returns the state it left (after the
    /// failing block, on a failure), for tools that look into a failure.
    pub fn run_keeping_state(mut self, script: &Script) -> (Result<Stats, Failure>, State) {
        let result = self.run_blocks(script);
        (result, self.state)
    }

    fn run_blocks(&mut self, script: &Script) -> Result<Stats, Failure> {
        let funding = self.funding_txs(&script.funding);
        self.block(funding, [Move::Hold, Move::Hold])?;
        if !script.openers.is_empty() {
            let openers = script.openers.iter().flat_map(opener_txs).collect();
            self.block(openers, [Move::Hold, Move::Hold])?;
        }
        for spec in &script.blocks {
            for _ in 0..spec.outage {
                self.block(Vec::new(), [Move::Silent, Move::Silent])?;
            }
            self.block(spec.txs.clone(), spec.moves)?;
        }
        Ok(self.stats.clone())
    }

    fn funding_txs(&self, funding: &[Funding]) -> Vec<TxSpec> {
        funding
            .iter()
            .enumerate()
            .map(|(n, f)| {
                let raw = |asset, units: i128| {
                    ActionSpec::Raw(Action::Deposit(novation_types::action::Deposit {
                        subaccount: 0,
                        asset,
                        amount: Decimal::from_raw(units),
                    }))
                };
                let mut actions = Vec::new();
                if f.usd > 0 {
                    actions.push(raw(USD, i128::from(f.usd) * Decimal::SCALE));
                    // Subaccount 1 gets a tenth, in USD only (it may become isolated).
                    actions.push(ActionSpec::Raw(Action::Deposit(novation_types::action::Deposit {
                        subaccount: 1,
                        asset: USD,
                        amount: Decimal::from_raw(i128::from(f.usd) * Decimal::SCALE / 10),
                    })));
                }
                if f.btc_milli > 0 {
                    actions.push(raw(BTC, i128::from(f.btc_milli) * Decimal::SCALE / 1_000));
                }
                if f.eth_milli > 0 {
                    actions.push(raw(ETH, i128::from(f.eth_milli) * Decimal::SCALE / 1_000));
                }
                // Every trader lets one of the agent keys trade for it.
                actions.push(ActionSpec::AuthorizeAgent(AgentKey::Key(n as u64 % AGENT_KEYS)));
                TxSpec { who: Who::Trader(n as u64), agent: None, nonce: NonceSpec::Next, actions, too_many: false }
            })
            .collect()
    }

    fn header(&self) -> BlockHeader {
        BlockHeader { height: self.state.height() + 1, time_ms: self.state.time_ms() + BLOCK_MS }
    }

    /// Runs one block: the user transactions, then the publishers' reports for `moves`.
    /// Replaces the last replica by the state decoded from the main state's snapshot: it must
    /// commit to the same entries at once, and agree with the others on every later block.
    fn restore_last_replica_from_snapshot(&mut self) -> Result<(), Failure> {
        let Some(last) = self.replicas.last_mut() else { return Ok(()) };
        let height = self.state.height();
        let restored = State::from_snapshot(&self.state.to_snapshot())
            .map_err(|e| fail(format!("the snapshot at height {height} does not decode: {e}")))?;
        let entries = |state: &State| {
            state.commitment_keys().into_iter().map(|key| (key, state.commitment_value(&key))).collect::<Vec<_>>()
        };
        ensure!(entries(&restored) == entries(&self.state), "the snapshot at height {height} commits to other entries");
        ensure_eq!(
            restored.state_hash(),
            self.state.state_hash(),
            "the snapshot at height {height} has another state hash"
        );
        ensure_eq!(
            restored.to_snapshot(),
            self.state.to_snapshot(),
            "the snapshot at height {height} re-encodes differently"
        );
        *last = restored;
        Ok(())
    }

    /// Brings the incrementally kept commitment up to date with the keys the block changed
    /// and checks it holds exactly the entries rebuilt from scratch.
    fn check_incremental_commitment(&mut self, height: u64) -> Result<(), Failure> {
        let Some(committed) = self.committed.as_mut() else { return Ok(()) };
        for key in self.state.take_changed_keys() {
            match self.state.commitment_value(&key) {
                Some(value) => committed.insert(key, value),
                None => committed.remove(&key),
            };
        }
        let from_scratch = committed_entries(&self.state);
        if *committed != from_scratch {
            let differ = from_scratch
                .iter()
                .filter(|(key, value)| committed.get(key) != Some(value))
                .map(|(key, _)| *key)
                .chain(committed.keys().filter(|key| !from_scratch.contains_key(key)).copied())
                .take(3)
                .collect::<Vec<_>>();
            return Err(fail(format!(
                "at height {height} the incremental commitment differs from the one rebuilt from scratch at {differ:?}"
            )));
        }
        Ok(())
    }

    fn block(&mut self, txs: Vec<TxSpec>, moves: [Move; 2]) -> Result<(), Failure> {
        let header = self.header();
        let bystanders = if self.checks.bystanders { self.flat_subaccounts() } else { Vec::new() };
        let mut senders = BTreeSet::new();
        let mut transactions = Vec::new();
        let mut on_time = Vec::new();
        for spec in &txs {
            let (tx, good_nonce) = self.materialize(spec, header.time_ms);
            senders.insert(tx.sender);
            self.note_subaccounts(&tx);
            if self.mode == Mode::OneByOne {
                self.apply_one(&tx, good_nonce)?;
            } else {
                transactions.push(tx.clone());
                on_time.push(good_nonce);
            }
            self.sent.push(tx);
        }
        let reports = self.report_txs(moves, header.time_ms);
        transactions.extend(reports);
        let block = Block { header, transactions, prices: Vec::new() };
        let outcome =
            self.state.apply_block(&block).map_err(|e| fail(format!("block {} failed: {e}", header.height)))?;
        for (n, replica) in self.replicas.iter_mut().enumerate() {
            let replayed = replica
                .apply_block(&block)
                .map_err(|e| fail(format!("replica {n}: block {} failed: {e}", header.height)))?;
            ensure_eq!(&replayed, &outcome, "replica {n}: same block, different outcome");
            ensure_eq!(
                replica.state_hash(),
                self.state.state_hash(),
                "replica {n}: same blocks, different state hash at height {}",
                header.height
            );
        }
        self.check_incremental_commitment(header.height)?;
        self.stats.blocks += 1;
        if self.stats.blocks.is_multiple_of(SNAPSHOT_EVERY_BLOCKS) {
            self.restore_last_replica_from_snapshot()?;
        }
        for (index, tx) in outcome.transactions.iter().enumerate() {
            let good_nonce = on_time.get(index).copied().unwrap_or(true);
            check_nonce(tx, good_nonce)?;
            if self.checks.oracle_refusals {
                check_oracle_refusal(&block.transactions[index], tx)?;
            }
            self.note_outcome(&block.transactions[index], tx);
        }
        self.note_events(&outcome.end_block_events);
        check_nobody_left_below_maintenance(&self.state, &outcome.end_block_events)?;
        for (id, before) in bystanders {
            if senders.contains(&id.owner) {
                continue;
            }
            let after = self.state.subaccount(id);
            ensure!(
                after == Some(&before),
                "{id} had no position, order or debt and sent nothing, yet changed in block {}: {before:?} -> \
                 {after:?}",
                header.height
            );
        }
        self.after_block()
    }

    /// Subaccounts with collateral but no position, open order, trigger order or debt (the
    /// backstop excepted): nothing that happens to others may touch them.
    fn flat_subaccounts(&self) -> Vec<(SubaccountId, Subaccount)> {
        let backstop = self.state.backstop_subaccount();
        self.subaccounts
            .iter()
            .filter(|id| **id != backstop)
            .filter_map(|id| Some((*id, self.state.subaccount(*id)?.clone())))
            .filter(|(id, sub)| {
                sub.positions.is_empty()
                    && sub.open_orders == 0
                    && sub.balances.iter().all(|(_, units)| !units.is_negative())
                    && self.state.trigger_orders(*id).is_empty()
            })
            .collect()
    }

    /// Applies one transaction alone and checks that a rejection changed nothing but the nonce.
    fn apply_one(&mut self, tx: &Transaction, good_nonce: bool) -> Result<(), Failure> {
        let before = self.state.clone();
        let outcome = self.state.apply_transaction(tx);
        check_nonce(&outcome, good_nonce)?;
        match outcome.result {
            Ok(()) => {
                if self.checks.order_margin {
                    self.check_order_margin(&before, tx, &outcome)?;
                }
            }
            Err(error) => {
                ensure!(outcome.events.is_empty(), "rejected transaction emitted events: {:?}", outcome.events);
                let mut expected = before;
                if error.code != ErrorCode::BadNonce {
                    let empty = Transaction { actions: Vec::new(), ..tx.clone() };
                    let nonce_only = expected.apply_transaction(&empty);
                    ensure_eq!(nonce_only.result.map_err(|e| e.code), Err(ErrorCode::BadActionCount));
                }
                if self.state.canonical_bytes() != expected.canonical_bytes() {
                    return Err(fail(format!("rejected transaction ({error:?}) changed the state: {tx:?}")));
                }
            }
        }
        self.note_outcome(tx, &outcome);
        Ok(())
    }

    fn note_outcome(&mut self, tx: &Transaction, outcome: &TxOutcome) {
        self.stats.txs += 1;
        self.stats.actions += tx.actions.len() as u64;
        match outcome.result {
            Ok(()) => self.stats.accepted += 1,
            Err(e) if e.code == ErrorCode::OraclePriceInvalid => self.stats.invalid_price_rejections += 1,
            Err(_) => {}
        }
        if let Err(e) = outcome.result {
            *self.stats.errors.entry(e.code.code()).or_default() += 1;
        }
        self.note_events(&outcome.events);
    }

    /// Learns order ids and subaccounts from events, and counts what happened.
    fn note_events(&mut self, events: &[Event]) {
        for event in events {
            match event {
                Event::OrderAccepted { order_id, market, subaccount, .. }
                | Event::TriggerPlaced { order_id, market, subaccount, .. } => {
                    self.known_orders.push(*order_id);
                    self.subaccounts.insert(*subaccount);
                    if let Some(n) = self.accepted.get_mut(market.0 as usize) {
                        *n += 1;
                    }
                }
                Event::Fill { maker, taker, .. } => {
                    self.stats.fills += 1;
                    self.subaccounts.extend([*maker, *taker]);
                }
                Event::OrderRested { .. } => self.stats.rested += 1,
                Event::Triggered { .. } => self.stats.triggered += 1,
                Event::FundingRate { .. } => self.stats.funding_rates += 1,
                Event::LiquidationStarted { .. } => self.stats.liquidations += 1,
                Event::BackstopTakeover { backstop, .. } => {
                    self.stats.backstop_takeovers += 1;
                    self.subaccounts.insert(*backstop);
                }
                Event::AutoDeleveraged { .. } => self.stats.auto_deleveraged += 1,
                Event::InsuranceFundPaid { .. } => self.stats.insurance_payouts += 1,
                Event::BadDebt { .. } => self.stats.bad_debts += 1,
                Event::AgentAuthorized { .. } => self.stats.agents_authorized += 1,
                _ => {}
            }
        }
    }

    /// Remembers every subaccount a transaction could create.
    fn note_subaccounts(&mut self, tx: &Transaction) {
        let mut numbers = vec![0u16, 1];
        for action in &tx.actions {
            match action {
                Action::Deposit(novation_types::action::Deposit { subaccount, .. })
                | Action::Withdraw(novation_types::action::Withdraw { subaccount, .. })
                | Action::SetIsolatedMarket(novation_types::action::SetIsolatedMarket { subaccount, .. })
                | Action::FundInsurance(novation_types::action::FundInsurance { subaccount, .. }) => {
                    numbers.push(*subaccount)
                }
                Action::Transfer(novation_types::action::Transfer { from, to, .. }) => numbers.extend([*from, *to]),
                Action::Order(order) => numbers.push(order_subaccount(order)),
                Action::Batch(orders) => numbers.extend(orders.iter().map(order_subaccount)),
                _ => {}
            }
        }
        for number in numbers {
            self.subaccounts.insert(SubaccountId::new(tx.sender, number));
        }
    }

    fn after_block(&mut self) -> Result<(), Failure> {
        // (Liquidation completeness is checked in `check_nobody_left_below_maintenance`.)
        let state = &self.state;
        if let Err(why) = state.verify_conservation() {
            return Err(fail(format!("conservation broken after block {}: {why}", state.height())));
        }
        for market in MARKETS {
            if let Some((Some(bid), Some(ask))) = state.best_prices(market) {
                ensure!(bid < ask, "crossed book in {market:?}: {bid} >= {ask}");
            }
        }
        // Every loss is booked by the end of the block (insurance fund, ADL or bad debt),
        // unless liquidations are still working through a backlog.
        if !state.liquidation_backlog() {
            let uncovered = state.risk_view(0).uncovered_loss;
            ensure!(uncovered.is_zero(), "uncovered loss {uncovered} after block {}", state.height());
        }
        if self.checks.health {
            for id in &self.subaccounts {
                let health = state.health(*id);
                ensure!(
                    !(health.meets_initial && health.below_maintenance),
                    "{id} meets initial margin but is below maintenance: {health:?}"
                );
                ensure!(
                    health.equity_initial <= health.equity_maintenance,
                    "{id}: initial equity above maintenance equity: {health:?}"
                );
                ensure!(
                    health.initial_requirement >= health.maintenance_requirement,
                    "{id}: initial requirement below maintenance requirement: {health:?}"
                );
            }
        }
        Ok(())
    }

    /// Property 6: an accepted transaction that rested a (not reduce-only) order which made
    /// its owner's worst-case position bigger leaves the owner meeting initial margin.
    fn check_order_margin(&self, before: &State, tx: &Transaction, outcome: &TxOutcome) -> Result<(), Failure> {
        // Exceptions: a fill in the same transaction of another of the owner's orders (as a
        // maker, checked on its position only) can lose to the fill price and the fee after
        // this order's margin was checked; and reduce-only orders and modifies are judged by
        // their own rules. Skip the owners those apply to.
        let mut skipped: BTreeSet<SubaccountId> = outcome
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Fill { taker, maker, .. } => Some([*taker, *maker]),
                _ => None,
            })
            .flatten()
            .collect();
        let order_actions = tx.actions.iter().flat_map(|action| match action {
            Action::Order(order) => std::slice::from_ref(order),
            Action::Batch(orders) => orders.as_slice(),
            _ => &[],
        });
        for order in order_actions {
            let relaxed = match order {
                OrderAction::Place(request) => request.reduce_only,
                OrderAction::Modify(_) => true,
                _ => false,
            };
            if relaxed {
                skipped.insert(SubaccountId::new(tx.sender, order_subaccount(order)));
            }
        }
        for event in &outcome.events {
            let Event::OrderRested { order_id, market, .. } = event else {
                continue;
            };
            let Some(order) = self.state.book(*market).and_then(|b| b.get(*order_id)) else {
                continue;
            };
            if order.reduce_only || skipped.contains(&order.owner) {
                continue;
            }
            let Some(position) = self.state.subaccount(order.owner).and_then(|s| s.position(*market)).copied() else {
                continue;
            };
            // Did the worst case grow over the transaction, and is this order part of why?
            let worst_before = before
                .subaccount(order.owner)
                .and_then(|s| s.position(*market))
                .map_or(0, |p| p.worst_case_size_lots());
            let mut without = position;
            let open = without.open_lots_mut(order.side);
            *open = open.saturating_sub(Lots(order.remaining_lots.0));
            let worst = position.worst_case_size_lots();
            if worst > worst_before && worst > without.worst_case_size_lots() {
                let health = self.state.health(order.owner);
                ensure!(
                    health.meets_initial,
                    "order {:?} of {} rested and grew the worst case, but initial margin \
                     fails: {:?}",
                    order_id,
                    order.owner,
                    health
                );
            }
        }
        Ok(())
    }

    // ----- turning specs into transactions -------------------------------------------------

    fn address(who: Who) -> Address {
        match who {
            Who::Trader(n) => trader(n),
            Who::Publisher(n) => publisher(n),
            Who::Stranger(n) => Address::from_index(n),
            Who::Backstop => BACKSTOP,
        }
    }

    fn next_nonce(&mut self, sender: Address) -> u64 {
        let slot = self.nonces.entry(sender).or_insert(0);
        let nonce = *slot;
        *slot += 1;
        nonce
    }

    /// The concrete transaction, and whether its nonce is its signer's next one.
    fn materialize(&mut self, spec: &TxSpec, time_ms: u64) -> (Transaction, bool) {
        if let NonceSpec::Replay(index) = spec.nonce {
            if !self.sent.is_empty() {
                let tx = self.sent[index % self.sent.len()].clone();
                // A replayed transaction that was once early may be on time now.
                let on_time = self.nonces.get(&tx.signer()).copied().unwrap_or(0) == tx.nonce;
                if on_time {
                    self.next_nonce(tx.signer());
                }
                return (tx, on_time);
            }
        }
        let sender = Self::address(spec.who);
        let agent = spec.agent.map(AgentKey::address);
        let signer = agent.unwrap_or(sender);
        let mut actions: Vec<Action> = spec.actions.iter().map(|a| self.action(sender, a, time_ms)).collect();
        if spec.too_many {
            let max = self.state.params().limits.max_actions_per_tx;
            while actions.len() <= max {
                actions.push(Action::Order(OrderAction::CancelAll(novation_types::action::CancelAll {
                    subaccount: 0,
                    market: None,
                })));
            }
        }
        let expected = self.nonces.get(&signer).copied().unwrap_or(0);
        let nonce = match spec.nonce {
            NonceSpec::Next | NonceSpec::Replay(_) => self.next_nonce(signer),
            NonceSpec::Ahead(k) => expected.saturating_add(k),
            NonceSpec::Behind(k) if expected >= k => expected - k,
            NonceSpec::Behind(_) => u64::MAX,
        };
        let tx = Transaction { sender, agent, nonce, actions };
        (tx, nonce == expected)
    }

    fn action(&self, sender: Address, spec: &ActionSpec, time_ms: u64) -> Action {
        match spec {
            ActionSpec::Deposit { sub, asset, amount } => Action::Deposit(novation_types::action::Deposit {
                subaccount: *sub,
                asset: *asset,
                amount: self.amount(*asset, *amount),
            }),
            ActionSpec::Withdraw { sub, asset, amount } => Action::Withdraw(novation_types::action::Withdraw {
                subaccount: *sub,
                asset: *asset,
                amount: self.amount(*asset, *amount),
            }),
            ActionSpec::Transfer { from, to, asset, amount } => Action::Transfer(novation_types::action::Transfer {
                from: *from,
                to: *to,
                asset: *asset,
                amount: self.amount(*asset, *amount),
            }),
            ActionSpec::SetIsolated { sub, market } => {
                Action::SetIsolatedMarket(novation_types::action::SetIsolatedMarket {
                    subaccount: *sub,
                    market: *market,
                })
            }
            ActionSpec::FundInsurance { sub, amount } => Action::FundInsurance(novation_types::action::FundInsurance {
                subaccount: *sub,
                amount: self.amount(USD, *amount),
            }),
            ActionSpec::AuthorizeAgent(key) => {
                Action::AuthorizeAgent(novation_types::action::AuthorizeAgent { agent: key.address() })
            }
            ActionSpec::RevokeAgent(key) => {
                Action::RevokeAgent(novation_types::action::RevokeAgent { agent: key.address() })
            }
            ActionSpec::Order(order) => Action::Order(self.order_action(sender, order)),
            ActionSpec::Batch(orders) => Action::Batch(orders.iter().map(|o| self.order_action(sender, o)).collect()),
            ActionSpec::OversizedBatch => {
                let max = self.state.params().limits.max_batch;
                Action::Batch(vec![
                    OrderAction::CancelAll(novation_types::action::CancelAll {
                        subaccount: 0,
                        market: None
                    });
                    max + 1
                ])
            }
            ActionSpec::Report { asset, bp, confidence_bp, time_offset_ms } => {
                let cents = ORACLE_ASSETS.iter().position(|a| a == asset).map_or(100, |i| self.cents[i]);
                let price = cents * i128::from(10_000 + bp) / 10_000;
                Action::PriceReport(novation_types::action::PriceReport {
                    asset: *asset,
                    price: cents_to_decimal(price),
                    confidence: cents_to_decimal(price * i128::from(*confidence_bp) / 10_000),
                    publish_time_ms: time_ms.saturating_add_signed(*time_offset_ms),
                })
            }
            ActionSpec::Raw(action) => action.clone(),
        }
    }

    fn amount(&self, asset: AssetId, spec: Amount) -> Decimal {
        let params = self.state.params().assets.get(asset.0 as usize);
        let decimals = params.map_or(8, |p| u32::from(p.decimals));
        let smallest = 10i128.pow(18 - decimals.min(18));
        let typical = |n: u32| -> i128 {
            let n = i128::from(n);
            match asset {
                USD => n * Decimal::SCALE,
                BTC => n * Decimal::SCALE / 100_000,
                ETH => n * Decimal::SCALE / 10_000,
                _ => n * Decimal::SCALE,
            }
        };
        match spec {
            Amount::Typical(n) => Decimal::from_raw(typical(n)),
            Amount::Smallest(n) => Decimal::from_raw(i128::from(n) * smallest),
            Amount::Zero => Decimal::ZERO,
            Amount::Negative(n) => Decimal::from_raw(-typical(n)),
            Amount::TooPrecise => Decimal::from_raw(smallest + smallest.max(10) / 10),
            Amount::NearCap(delta) => {
                let cap = params.map_or(Decimal::ZERO, |p| p.deposit_cap).raw();
                Decimal::from_raw(cap.saturating_add(i128::from(delta) * smallest))
            }
            Amount::Max => Decimal::MAX,
            Amount::Min => Decimal::MIN,
            Amount::Raw(raw) => Decimal::from_raw(raw),
        }
    }

    /// The market's mark in ticks (or the publishers' price before there is a mark).
    fn mark_ticks(&self, market: MarketId) -> u64 {
        let Some(params) = self.state.params().markets.get(market.0 as usize) else {
            return 1_000_000;
        };
        let mark = self.state.market(market).and_then(|m| m.mark).unwrap_or_else(|| {
            let asset = ORACLE_ASSETS.iter().position(|a| *a == params.base_asset).unwrap_or(0);
            cents_to_decimal(self.cents[asset])
        });
        mark.to_units(params.tick_size, Rounding::Floor).ok().and_then(|t| u64::try_from(t).ok()).unwrap_or(1)
    }

    fn near(&self, market: MarketId, bp: i32) -> u64 {
        let mark = i128::from(self.mark_ticks(market));
        let ticks = mark * i128::from(10_000 + bp) / 10_000;
        u64::try_from(ticks.max(1)).unwrap_or(1)
    }

    /// The size in lots whose initial margin (at the lowest tier) is `percent` % of the free
    /// collateral of `owner`; at least one lot.
    fn affordable_lots(&self, owner: SubaccountId, market: MarketId, percent: u8) -> u64 {
        let free = self.state.health(owner).free_collateral.raw();
        let params = self.state.params().markets.get(market.0 as usize);
        let mark = self.state.market(market).and_then(|m| m.mark);
        let (Some(params), Some(mark)) = (params, mark) else {
            return 1;
        };
        let Ok(lot_value) = mark.mul(params.lot_size, Rounding::Floor) else {
            return 1;
        };
        let initial = params.margin_tiers.first().map_or(1_000_000, |t| t.initial.0);
        if free <= 0 || lot_value.raw() <= 0 || initial <= 0 {
            return 1;
        }
        let notional = free.saturating_mul(1_000_000 / i128::from(initial)) / 100 * i128::from(percent);
        u64::try_from(notional / lot_value.raw()).map_or(1, |lots| lots.max(1))
    }

    /// Open orders of `owner` in both books, in book order.
    fn open_orders_of(&self, owner: SubaccountId) -> Vec<OrderId> {
        let mut orders: Vec<OrderId> = self.state.trigger_orders(owner).into_iter().map(|(id, _)| id).collect();
        for market in MARKETS {
            if let Some(book) = self.state.book(market) {
                for side in [Side::Buy, Side::Sell] {
                    orders.extend(book.iter_side(side).filter(|o| o.owner == owner).map(|o| o.id));
                }
            }
        }
        orders
    }

    fn order_id(&self, owner: SubaccountId, order: OrderRef) -> OrderId {
        match order {
            OrderRef::Own(index) => {
                let own = self.open_orders_of(owner);
                if own.is_empty() {
                    OrderId(index as u64 % 8)
                } else {
                    own[index % own.len()]
                }
            }
            OrderRef::Known(index) => {
                if self.known_orders.is_empty() {
                    OrderId(0)
                } else {
                    self.known_orders[index % self.known_orders.len()]
                }
            }
            OrderRef::Next(market, k) => {
                let seq = self.accepted.get(market.0 as usize).copied().unwrap_or(0);
                OrderId((u64::from(market.0) << 48) | (seq + u64::from(k)))
            }
            OrderRef::Raw(id) => OrderId(id),
        }
    }

    fn order_action(&self, sender: Address, spec: &OrderSpec) -> OrderAction {
        match *spec {
            OrderSpec::Place(place) => OrderAction::Place(self.request(sender, place)),
            OrderSpec::Cancel { sub, order } => OrderAction::Cancel(novation_types::action::Cancel {
                subaccount: sub,
                order_id: self.order_id(SubaccountId::new(sender, sub), order),
            }),
            OrderSpec::CancelByClientId { sub, client_id } => {
                OrderAction::CancelByClientId(novation_types::action::CancelByClientId {
                    subaccount: sub,
                    client_order_id: client_id,
                })
            }
            OrderSpec::Modify { sub, order, price, size } => {
                let order_id = self.order_id(SubaccountId::new(sender, sub), order);
                let market = novation_protocol::markets::market_of_order(order_id);
                let resting = self.state.book(market).and_then(|b| b.get(order_id));
                let (current_price, current_size) =
                    resting.map_or_else(|| (self.mark_ticks(market), 100), |o| (o.price_ticks.0, o.remaining_lots.0));
                let price_ticks = match price {
                    ModPrice::Same => current_price,
                    ModPrice::Near(bp) => self.near(market, bp),
                    ModPrice::Raw(ticks) => ticks,
                };
                let size_lots = match size {
                    ModSize::Same => current_size,
                    ModSize::Percent(p) => {
                        u64::try_from(u128::from(current_size) * u128::from(p) / 100).unwrap_or(u64::MAX)
                    }
                    ModSize::Larger(extra) => current_size.saturating_add(extra),
                    ModSize::Zero => 0,
                };
                OrderAction::Modify(novation_types::action::Modify {
                    subaccount: sub,
                    order_id,
                    price_ticks,
                    size_lots,
                })
            }
            OrderSpec::CancelAll { sub, market } => {
                OrderAction::CancelAll(novation_types::action::CancelAll { subaccount: sub, market })
            }
            OrderSpec::Trigger { order, trigger, condition } => {
                let trigger_price_ticks = match trigger {
                    Price::Near(bp) => self.near(order.market, bp),
                    Price::Raw(ticks) => ticks,
                };
                let order = self.request(sender, order);
                OrderAction::PlaceTrigger(TriggerRequest {
                    trigger_price_ticks: PriceTicks(trigger_price_ticks),
                    condition,
                    order,
                })
            }
        }
    }

    fn request(&self, sender: Address, spec: PlaceSpec) -> OrderRequest {
        let size_lots = match spec.size {
            Size::Lots(n) => n,
            Size::Zero => 0,
            Size::Huge(n) => n,
            Size::OfFree(percent) => self.affordable_lots(SubaccountId::new(sender, spec.sub), spec.market, percent),
        };
        let kind = match spec.kind {
            Kind::Limit(price, time_in_force) => OrderKind::Limit {
                price_ticks: match price {
                    // A buy "near" the mark is mirrored for a sell, so positive offsets cross.
                    Price::Near(bp) => {
                        PriceTicks(self.near(spec.market, if spec.side == Side::Buy { bp } else { -bp }))
                    }
                    Price::Raw(ticks) => PriceTicks(ticks),
                },
                time_in_force,
            },
            Kind::Market(max_slippage) => OrderKind::Market { max_slippage },
        };
        OrderRequest {
            subaccount: spec.sub,
            market: spec.market,
            side: spec.side,
            size_lots: Lots(size_lots),
            kind,
            reduce_only: spec.reduce_only,
            client_order_id: spec.client_id,
            self_trade: spec.self_trade,
        }
    }

    /// Moves the publishers' prices and writes their reports for this block.
    fn report_txs(&mut self, moves: [Move; 2], time_ms: u64) -> Vec<Transaction> {
        // reports[publisher] = actions
        let mut reports: Vec<Vec<Action>> = vec![Vec::new(); PUBLISHERS as usize];
        for (index, movement) in moves.iter().enumerate() {
            let start = START_CENTS[index];
            let cents = &mut self.cents[index];
            let scaled = |c: i128, bp: i128| c * (10_000 + bp) / 10_000;
            match *movement {
                Move::Step(bp) => *cents = scaled(*cents, i128::from(bp)),
                Move::Crash(pct) => *cents = scaled(*cents, -100 * i128::from(pct)),
                Move::Pump(pct) => *cents = scaled(*cents, 100 * i128::from(pct)),
                _ => {}
            }
            *cents = (*cents).clamp(start / 4, start * 4);
            let price = *cents;
            let asset = ORACLE_ASSETS[index];
            let report = |cents: i128, confidence_bp: i128| {
                Action::PriceReport(novation_types::action::PriceReport {
                    asset,
                    price: cents_to_decimal(cents),
                    confidence: cents_to_decimal(cents * confidence_bp / 10_000),
                    publish_time_ms: time_ms,
                })
            };
            match *movement {
                Move::Silent => {}
                Move::OnlyOne => reports[0].push(report(price, 1)),
                Move::Disagree(bp) => {
                    let bp = i128::from(bp);
                    reports[0].push(report(scaled(price, -bp), 1));
                    reports[1].push(report(price, 1));
                    reports[2].push(report(scaled(price, bp), 1));
                }
                Move::Unsure => {
                    for actions in &mut reports {
                        actions.push(report(price, 200));
                    }
                }
                _ => {
                    for (n, actions) in reports.iter_mut().enumerate() {
                        // A tiny spread between publishers, well within the confidence bound.
                        actions.push(report(scaled(price, n as i128 - 1), 2));
                    }
                }
            }
        }
        reports
            .into_iter()
            .enumerate()
            .filter(|(_, actions)| !actions.is_empty())
            .map(|(n, actions)| {
                let sender = publisher(n as u64);
                Transaction::new(sender, self.next_nonce(sender), actions)
            })
            .collect()
    }
}

fn opener_txs(opener: &Opener) -> [TxSpec; 2] {
    let order = |who, side, size, price, time_in_force| TxSpec {
        who: Who::Trader(who),
        agent: None,
        nonce: NonceSpec::Next,
        actions: vec![ActionSpec::Order(OrderSpec::Place(PlaceSpec {
            sub: 0,
            market: opener.market,
            side,
            size,
            kind: Kind::Limit(price, time_in_force),
            reduce_only: false,
            client_id: None,
            self_trade: SelfTradePrevention::CancelResting,
        }))],
        too_many: false,
    };
    let percent = Size::OfFree(opener.percent);
    [
        order(opener.long, Side::Buy, percent, Price::Near(0), TimeInForce::GoodTillCancel),
        order(opener.short, Side::Sell, percent, Price::Near(10), TimeInForce::ImmediateOrCancel),
    ]
}

/// DESIGN §3.6: cancels, deposits, price reports, trigger orders and reduce-only orders never
/// depend on the oracle, so the oracle is never why one of them is refused.
fn check_oracle_refusal(tx: &Transaction, outcome: &TxOutcome) -> Result<(), Failure> {
    let Err(error) = outcome.result else { return Ok(()) };
    let (ErrorCode::OraclePriceInvalid, Some(index)) = (error.code, error.action_index) else { return Ok(()) };
    let Some(action) = tx.actions.get(index) else {
        return Err(fail(format!("action index {index} out of range in {tx:?}")));
    };
    let risk_free = match action {
        Action::Deposit(_)
        | Action::PriceReport(_)
        | Action::SetIsolatedMarket(_)
        | Action::AuthorizeAgent(_)
        | Action::RevokeAgent(_) => true,
        Action::Order(order) => match order {
            OrderAction::Cancel(_)
            | OrderAction::CancelByClientId(_)
            | OrderAction::CancelAll(_)
            | OrderAction::PlaceTrigger(_) => true,
            OrderAction::Place(request) => request.reduce_only,
            OrderAction::Modify(_) => false,
        },
        _ => false,
    };
    ensure!(!risk_free, "a risk-free action was refused for the oracle: {action:?}");
    Ok(())
}

/// A transaction is refused for its nonce exactly when the nonce is not the sender's next.
fn check_nonce(outcome: &TxOutcome, good_nonce: bool) -> Result<(), Failure> {
    let bad_nonce = outcome.result.is_err_and(|e| e.code == ErrorCode::BadNonce);
    ensure_eq!(bad_nonce, !good_nonce, "nonce handling: {:?}", outcome.result);
    Ok(())
}

fn order_subaccount(order: &OrderAction) -> u16 {
    match order {
        OrderAction::Place(request) => request.subaccount,
        OrderAction::PlaceTrigger(request) => request.order.subaccount,
        OrderAction::Cancel(novation_types::action::Cancel { subaccount, .. })
        | OrderAction::CancelByClientId(novation_types::action::CancelByClientId { subaccount, .. })
        | OrderAction::Modify(novation_types::action::Modify { subaccount, .. })
        | OrderAction::CancelAll(novation_types::action::CancelAll { subaccount, .. }) => *subaccount,
    }
}

fn cents_to_decimal(cents: i128) -> Decimal {
    Decimal::from_raw(cents * (Decimal::SCALE / 100))
}

/// After every block each subaccount is healthy, flat, or being liquidated: one below
/// maintenance that still holds a position must be the backstop liquidator, or a holder
/// auto-deleveraged at the end of this very block (its turn comes in the next block).
fn check_nobody_left_below_maintenance(state: &State, end_block_events: &[Event]) -> Result<(), Failure> {
    let deleveraged: BTreeSet<SubaccountId> = end_block_events
        .iter()
        .filter_map(|e| match e {
            Event::AutoDeleveraged { subaccount, .. } => Some(*subaccount),
            _ => None,
        })
        .collect();
    let backstop = state.backstop_subaccount();
    for id in state.scan_health_full().below_maintenance {
        let has_position = state.subaccount(id).is_some_and(|s| s.positions.iter().any(|p| !p.size_lots.is_zero()));
        ensure!(
            !has_position || id == backstop || deleveraged.contains(&id),
            "{id} holds a position below maintenance after block {} and is not being liquidated",
            state.height()
        );
    }
    Ok(())
}

/// Every committed entry of `state`, listed from scratch.
fn committed_entries(state: &State) -> BTreeMap<StateKey, Vec<u8>> {
    state.commitment_keys().into_iter().filter_map(|key| Some((key, state.commitment_value(&key)?))).collect()
}

/// The entries of `state` from scratch, with its changed keys drained (as a node does on start).
fn committed_from_scratch(state: &mut State) -> BTreeMap<StateKey, Vec<u8>> {
    let entries = committed_entries(state);
    let _ = state.take_changed_keys();
    entries
}
