//! The arena a scenario plays in: a chain built from a genesis, driven block by block through
//! its public entry points exactly as a node would — every transaction signed with an
//! ed25519 key and verified into an authenticated transaction, the genesis publishers
//! reporting prices at every block, the block clock advancing one second a block — and the
//! invariants every scenario asserts, checked at the end of every block:
//!
//! - value is conserved (`verify_conservation`);
//! - no asset's reserves (deposits − withdrawals) are negative;
//! - no loss is left uncovered (`RiskView::uncovered_loss` is zero);
//! - booked bad debt never outlasts the insurance fund (`pending_bad_debt` ≤ the fund);
//! - a subaccount without positions, orders or debt whose owner sent nothing is untouched.
//!
//! It also keeps the attacker's books: every deposit and withdrawal of an attacker's
//! subaccount valued at the market's price in its block (what the honest publishers report),
//! so that the attacker's profit is withdrawn + final equity − deposited.

use std::collections::{BTreeMap, BTreeSet};

use novation_math::{Decimal, Ppm, Rounding};
use novation_protocol::params::Genesis;
use novation_protocol::{Block, BlockHeader, BlockOutcome, State};
use novation_tx::{Ed25519Signer, TxPayload};
use novation_types::action::{CancelAll, Deposit, FundBackstop, FundInsurance, PriceReport, Withdraw};
use novation_types::{
    Action, Address, AssetId, Event, MarketId, OrderAction, OrderRequest, Side, SubaccountId, TimeInForce, Transaction,
};

use super::Outcome;

/// The chain id scenario transactions are signed for.
pub const CHAIN_ID: u64 = 7_700;
/// Milliseconds between blocks.
pub const BLOCK_MS: u64 = 1_000;
/// Publishers registered in every scenario genesis.
pub const PUBLISHERS: usize = 3;
/// Missed expectations an outcome keeps word of.
const MAX_VIOLATIONS_KEPT: usize = 8;
/// Notable events of each kind an outcome keeps word of.
const MAX_EVENTS_PER_KIND: usize = 4;
/// Steps of the binary search for the largest accepted withdrawal.
const WITHDRAW_SEARCH_STEPS: u32 = 40;

/// The deterministic key of a named participant.
pub fn key(name: &str) -> Ed25519Signer {
    let mut seed = [0x5Au8; 32];
    for (i, byte) in name.bytes().enumerate() {
        seed[i % 32] ^= byte.rotate_left(i as u32 % 8);
    }
    seed[31] = name.len() as u8;
    Ed25519Signer::from_seed(seed)
}

/// The address of publisher `n`.
pub fn publisher(n: usize) -> Address {
    key(&format!("publisher-{n}")).address()
}

/// The backstop liquidator's address.
pub fn backstop() -> Address {
    key("backstop").address()
}

/// The publishers of every scenario genesis.
pub fn publishers() -> Vec<Address> {
    (0..PUBLISHERS).map(publisher).collect()
}

/// Which sides a market maker quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quotes {
    /// Bids and asks.
    Both,
    /// Asks only (nobody buys).
    AsksOnly,
    /// Bids only (nobody sells).
    BidsOnly,
    /// Nothing rests.
    Neither,
}

/// The chain, the participants' keys, the publishers' prices and the invariant record.
pub struct Arena {
    state: State,
    /// The state with this block's transactions so far applied: attackers probe on copies.
    shadow: State,
    keys: BTreeMap<Address, Ed25519Signer>,
    names: BTreeMap<Address, String>,
    pending: Vec<Transaction>,
    next_nonce: BTreeMap<Address, u64>,
    /// The price each publisher reports per asset (all agree unless skewed).
    prices: BTreeMap<AssetId, Decimal>,
    skew: BTreeMap<(usize, AssetId), Decimal>,
    /// Assets nobody reports for now.
    silent: BTreeSet<AssetId>,
    attackers: BTreeSet<Address>,
    /// The honest market makers.
    makers: BTreeSet<Address>,
    /// USD value deposited and withdrawn by every participant.
    flows: BTreeMap<Address, (i128, i128)>,
    insurance_funding: Decimal,
    outcome: Outcome,
    /// Notable events seen per kind.
    event_kinds: BTreeMap<String, usize>,
    /// Every attacker withdrawal: USD value, block, who.
    withdrawals: Vec<(Decimal, u64, Address)>,
}

/// The attacker's largest withdrawals an outcome names.
const LARGEST_WITHDRAWALS: usize = 3;

fn raw(x: Decimal) -> i128 {
    x.raw()
}

impl Arena {
    /// A chain at `genesis` (whose publishers must be [`publishers`]), with the publishers'
    /// first prices.
    pub fn new(scenario: &'static str, genesis: Genesis, prices: &[(AssetId, Decimal)]) -> Arena {
        let state = State::new(genesis).unwrap_or_else(|e| panic!("{scenario}: genesis refused: {e}"));
        let mut keys = BTreeMap::new();
        let mut names = BTreeMap::new();
        for n in 0..PUBLISHERS {
            let name = format!("publisher-{n}");
            let signer = key(&name);
            names.insert(signer.address(), name);
            keys.insert(signer.address(), signer);
        }
        let signer = key("backstop");
        names.insert(signer.address(), "backstop".into());
        keys.insert(signer.address(), signer);
        Arena {
            shadow: state.clone(),
            state,
            keys,
            names,
            pending: Vec::new(),
            next_nonce: BTreeMap::new(),
            prices: prices.iter().copied().collect(),
            skew: BTreeMap::new(),
            silent: BTreeSet::new(),
            attackers: BTreeSet::new(),
            makers: BTreeSet::new(),
            flows: BTreeMap::new(),
            insurance_funding: Decimal::ZERO,
            outcome: Outcome::new(scenario),
            event_kinds: BTreeMap::new(),
            withdrawals: Vec::new(),
        }
    }

    /// The chain now.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// A participant named `name` (its key is derived from the name).
    pub fn actor(&mut self, name: &str) -> Address {
        let signer = key(name);
        let address = signer.address();
        self.names.insert(address, name.into());
        self.keys.insert(address, signer);
        address
    }

    /// A participant whose deposits, withdrawals and final equity count as the attacker's.
    pub fn attacker(&mut self, name: &str) -> Address {
        let address = self.actor(name);
        self.attackers.insert(address);
        address
    }

    /// The price the publishers report for `asset` from the next block on.
    pub fn set_price(&mut self, asset: AssetId, price: Decimal) {
        self.prices.insert(asset, price);
    }

    /// The publishers' price of `asset`.
    pub fn price(&self, asset: AssetId) -> Decimal {
        self.prices.get(&asset).copied().unwrap_or(Decimal::ONE)
    }

    /// Multiplies the publishers' price of `asset` by `factor_ppm` / 1,000,000.
    pub fn move_price(&mut self, asset: AssetId, factor_ppm: i64) {
        let price = Ppm::new(factor_ppm).apply_decimal(self.price(asset), Rounding::HalfEven).unwrap_or_default();
        // Keep a whole number of the smallest price step reports use (10^-8 USD).
        let step = dec_raw(10_000_000_000);
        let units = price.to_units(step, Rounding::HalfEven).unwrap_or(1).max(1);
        self.set_price(asset, Decimal::from_units(units, step).unwrap_or(step));
    }

    /// Publisher `n` reports `price` for `asset` (instead of the common price) from now on;
    /// `None` makes it agree again.
    pub fn skew_publisher(&mut self, n: usize, asset: AssetId, price: Option<Decimal>) {
        match price {
            Some(price) => self.skew.insert((n, asset), price),
            None => self.skew.remove(&(n, asset)),
        };
    }

    /// Whether the publishers report `asset` (an outage silences all of them).
    pub fn set_silent(&mut self, asset: AssetId, silent: bool) {
        if silent {
            self.silent.insert(asset);
        } else {
            self.silent.remove(&asset);
        }
    }

    /// Signs `actions` as `who`, verifies the envelope as a node would, and queues the
    /// transaction for the next block. Returns whether it applied on the shadow state.
    pub fn send(&mut self, who: Address, actions: Vec<Action>) -> bool {
        let nonce = *self.next_nonce.entry(who).or_insert_with(|| self.state.nonce(who));
        self.next_nonce.insert(who, nonce + 1);
        let signer = self.keys.get(&who).unwrap_or_else(|| panic!("no key for {who:?}"));
        let envelope = signer.sign(&TxPayload::new(CHAIN_ID, who, nonce, actions));
        let tx = novation_tx::verify(CHAIN_ID, &envelope).unwrap_or_else(|e| panic!("own envelope refused: {e}"));
        let ok = self.shadow.apply_transaction(&tx).result.is_ok();
        self.pending.push(tx);
        ok
    }

    /// Whether `actions` by `who` would apply now (on a copy of the shadow state).
    pub fn would_apply(&self, who: Address, actions: Vec<Action>) -> bool {
        let nonce = self.next_nonce.get(&who).copied().unwrap_or_else(|| self.state.nonce(who));
        let mut copy = self.shadow.clone();
        copy.apply_transaction(&Transaction { sender: who, agent: None, nonce, actions }).result.is_ok()
    }

    /// The chain after every `(who, actions)` of `txs`, in order, on a copy of the shadow
    /// state; `None` if one is refused.
    pub fn try_on_copy(&self, txs: &[(Address, Vec<Action>)]) -> Option<State> {
        let mut copy = self.shadow.clone();
        let mut nonces = self.next_nonce.clone();
        let applied = txs.iter().all(|(who, actions)| {
            let nonce = *nonces.entry(*who).or_insert_with(|| self.state.nonce(*who));
            nonces.insert(*who, nonce + 1);
            let tx = Transaction { sender: *who, agent: None, nonce, actions: actions.clone() };
            copy.apply_transaction(&tx).result.is_ok()
        });
        applied.then_some(copy)
    }

    /// Deposits `amount` of `asset` into `who`'s subaccount `sub`.
    pub fn deposit(&mut self, who: Address, sub: u16, asset: AssetId, amount: Decimal) -> bool {
        self.send(who, vec![Action::Deposit(Deposit { subaccount: sub, asset, amount })])
    }

    /// Pays `amount` USD from `who`'s subaccount 0 into the insurance fund.
    pub fn fund_insurance(&mut self, who: Address, amount: Decimal) -> bool {
        let ok = self.send(who, vec![Action::FundInsurance(FundInsurance { subaccount: 0, amount })]);
        if ok {
            self.insurance_funding = self.insurance_funding.checked_add(amount).unwrap_or(Decimal::MAX);
        }
        ok
    }

    /// The largest amount of `asset` `who` can withdraw from subaccount `sub` now (to the
    /// asset's smallest unit), found by trying on copies of the chain.
    pub fn max_withdrawal(&self, who: Address, sub: u16, asset: AssetId) -> Decimal {
        let Ok(params) = self.shadow.params().asset(asset) else { return Decimal::ZERO };
        let id = SubaccountId::new(who, sub);
        let balance = self.shadow.subaccount(id).map_or(0, |s| s.balance(asset).0);
        let try_units = |units: i128| {
            let amount = params.amount_of_units(units);
            self.would_apply(who, vec![Action::Withdraw(Withdraw { subaccount: sub, asset, amount })])
        };
        if balance <= 0 {
            return Decimal::ZERO;
        }
        if try_units(balance) {
            return params.amount_of_units(balance);
        }
        let (mut low, mut high) = (0i128, balance);
        for _ in 0..WITHDRAW_SEARCH_STEPS {
            if high - low <= 1 {
                break;
            }
            let mid = low + (high - low) / 2;
            if try_units(mid) {
                low = mid;
            } else {
                high = mid;
            }
        }
        params.amount_of_units(low)
    }

    /// Withdraws as much `asset` from `who`'s subaccount `sub` as the rules allow now.
    pub fn withdraw_max(&mut self, who: Address, sub: u16, asset: AssetId) -> Decimal {
        let amount = self.max_withdrawal(who, sub, asset);
        if amount.is_positive() {
            self.send(who, vec![Action::Withdraw(Withdraw { subaccount: sub, asset, amount })]);
        }
        amount
    }

    /// A market's mark in ticks (or the publishers' price before it has one).
    pub fn mark_ticks(&self, market: MarketId) -> u64 {
        let params = self.state.params().market(market).expect("scenario markets exist");
        let mark = self.state.market(market).and_then(|m| m.mark).unwrap_or_else(|| self.price(params.base_asset));
        self.ticks(market, mark)
    }

    /// `price` in ticks of `market`, rounded down (at least one tick).
    pub fn ticks(&self, market: MarketId, price: Decimal) -> u64 {
        let params = self.state.params().market(market).expect("scenario markets exist");
        let ticks = price.to_units(params.tick_size, Rounding::Floor).unwrap_or(1);
        u64::try_from(ticks.max(1)).unwrap_or(u64::MAX)
    }

    /// The lowest and highest tick of `market`'s price band now (the protocol's own band).
    pub fn band_ticks(&self, market: MarketId) -> (u64, u64) {
        self.state.market(market).and_then(|m| m.price_band_ticks).unwrap_or((1, u64::MAX))
    }

    /// A limit order request.
    pub fn limit(sub: u16, market: MarketId, side: Side, ticks: u64, lots: u64, tif: TimeInForce) -> OrderRequest {
        OrderRequest::limit(sub, market, side, ticks, lots).with_time_in_force(tif)
    }

    /// `who` places `order`.
    pub fn place(&mut self, who: Address, order: OrderRequest) -> bool {
        self.send(who, vec![Action::Order(OrderAction::Place(order))])
    }

    /// A market maker's quotes for this block: its old orders in `market` cancelled, then
    /// `lots` bid and offered `half_spread_bp` either side of the publishers' price.
    pub fn quote(&mut self, mm: Address, market: MarketId, half_spread_bp: i64, lots: u64, quotes: Quotes) {
        let params = self.state.params().market(market).expect("scenario markets exist").clone();
        let price = self.price(params.base_asset);
        let at = |bp: i64| {
            let p = Ppm::new(1_000_000 + bp * 100).apply_decimal(price, Rounding::HalfEven).unwrap_or(price);
            p.to_units(params.tick_size, Rounding::HalfEven)
                .ok()
                .and_then(|t| u64::try_from(t.max(1)).ok())
                .unwrap_or(1)
        };
        let (low, high) = self.band_ticks(market);
        let mut orders = vec![OrderAction::CancelAll(CancelAll { subaccount: 0, market: Some(market) })];
        // An empty band (the mark's band and the stable price's band apart) takes no order.
        let quotes = if low > high { Quotes::Neither } else { quotes };
        let bid = at(-half_spread_bp).max(low).min(high);
        let ask = at(half_spread_bp).max(low).min(high).max(bid + 1);
        if matches!(quotes, Quotes::Both | Quotes::BidsOnly) {
            orders.push(OrderAction::Place(Self::limit(0, market, Side::Buy, bid, lots, TimeInForce::PostOnly)));
        }
        if matches!(quotes, Quotes::Both | Quotes::AsksOnly) {
            orders.push(OrderAction::Place(Self::limit(0, market, Side::Sell, ask, lots, TimeInForce::PostOnly)));
        }
        // A quote refused (a crossed book, margin) is an honest maker's ordinary bad luck:
        // cancel what it had and try again next block.
        if !self.send(mm, vec![Action::Batch(orders)]) {
            self.send(mm, vec![Action::Order(OrderAction::CancelAll(CancelAll { subaccount: 0, market: None }))]);
        }
    }

    /// `who` sells (or buys) up to `lots` of its position in `market` back toward flat with
    /// a reduce-only IOC at the far edge of the price band; returns whether it applied.
    pub fn reduce(&mut self, who: Address, sub: u16, market: MarketId, lots: u64) -> bool {
        let size = self.shadow.subaccount(SubaccountId::new(who, sub)).map_or(0, |s| s.size_lots(market).0);
        if size == 0 || lots == 0 {
            return false;
        }
        let (low, high) = self.band_ticks(market);
        let (side, ticks) = if size > 0 { (Side::Sell, low) } else { (Side::Buy, high) };
        let lots = lots.min(size.unsigned_abs());
        let order = Self::limit(sub, market, side, ticks, lots, TimeInForce::ImmediateOrCancel).reduce_only();
        self.place(who, order)
    }

    /// The signed position of `who`'s subaccount `sub` in `market`, in lots.
    pub fn position(&self, who: Address, sub: u16, market: MarketId) -> i64 {
        self.state.subaccount(SubaccountId::new(who, sub)).map_or(0, |s| s.size_lots(market).0)
    }

    /// Value in USD of `amount` of `asset` at the market's price now — what the publishers
    /// who agree report, not the chain's index, which may be stale or lag.
    fn usd_value(&self, asset: AssetId, amount: Decimal) -> Decimal {
        let fixed = self.state.params().asset(asset).ok().and_then(|a| a.fixed_price);
        let price = fixed.unwrap_or_else(|| self.price(asset));
        amount.mul(price, Rounding::Floor).unwrap_or_default()
    }

    fn reports(&mut self, time_ms: u64) -> Vec<Transaction> {
        let mut txs = Vec::new();
        for n in 0..PUBLISHERS {
            let address = publisher(n);
            let actions: Vec<Action> = self
                .prices
                .iter()
                .filter(|(asset, _)| !self.silent.contains(asset))
                .map(|(asset, price)| {
                    let price = self.skew.get(&(n, *asset)).copied().unwrap_or(*price);
                    let confidence = Ppm::new(200).apply_decimal(price, Rounding::Ceil).unwrap_or_default();
                    Action::PriceReport(PriceReport { asset: *asset, price, confidence, publish_time_ms: time_ms })
                })
                .collect();
            if actions.is_empty() {
                continue;
            }
            let nonce = *self.next_nonce.entry(address).or_insert_with(|| self.state.nonce(address));
            self.next_nonce.insert(address, nonce + 1);
            let envelope = self.keys[&address].sign(&TxPayload::new(CHAIN_ID, address, nonce, actions));
            txs.push(novation_tx::verify(CHAIN_ID, &envelope).expect("publisher envelopes verify"));
        }
        txs
    }

    /// Subaccounts with no position, open order, trigger order or debt (the backstop's
    /// excepted), listed through the public query.
    fn flat_subaccounts(&self) -> Vec<(SubaccountId, novation_protocol::accounts::Subaccount)> {
        let backstop = self.state.backstop_subaccount();
        let mut flat = Vec::new();
        let mut after = None;
        loop {
            let page = self.state.list_subaccounts(after, 256);
            for summary in &page.subaccounts {
                let id = summary.subaccount;
                if id == backstop || summary.positions > 0 || summary.open_orders > 0 || summary.has_debt {
                    continue;
                }
                if !self.state.trigger_orders(id).is_empty() {
                    continue;
                }
                if let Some(sub) = self.state.subaccount(id) {
                    flat.push((id, sub.clone()));
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return flat,
            }
        }
    }

    /// Applies the next block: the queued transactions, then the publishers' reports; checks
    /// every invariant at its end.
    pub fn block(&mut self) -> BlockOutcome {
        let header = BlockHeader { height: self.state.height() + 1, time_ms: self.state.time_ms() + BLOCK_MS };
        let flat = self.flat_subaccounts();
        let mut transactions = std::mem::take(&mut self.pending);
        let senders: BTreeSet<Address> = transactions.iter().map(|tx| tx.sender).collect();
        transactions.extend(self.reports(header.time_ms));
        let block = Block { header, transactions, prices: Vec::new() };
        let outcome = match self.state.apply_block(&block) {
            Ok(outcome) => outcome,
            Err(error) => {
                self.outcome.conservation_ok = false;
                self.outcome.violation(header.height, format!("block refused: {error}"));
                self.shadow = self.state.clone();
                return BlockOutcome { transactions: Vec::new(), end_block_events: Vec::new() };
            }
        };
        self.next_nonce.clear();
        self.book_flows(&outcome);
        for event in &outcome.end_block_events {
            if matches!(
                event,
                Event::LiquidationStarted { .. }
                    | Event::BackstopTakeover { .. }
                    | Event::AutoDeleveraged { .. }
                    | Event::InsuranceFundPaid { .. }
                    | Event::BadDebt { .. }
                    | Event::BadDebtCovered { .. }
                    | Event::CollateralLiquidated { .. }
            ) {
                let text = self.describe(event);
                let kind = text.split([' ', '{']).next().unwrap_or_default().to_string();
                let seen = self.event_kinds.entry(kind).or_insert(0);
                *seen += 1;
                if *seen <= MAX_EVENTS_PER_KIND {
                    self.outcome.events.push(format!("block {}: {text}", header.height));
                }
            }
        }
        for (id, before) in flat {
            if senders.contains(&id.owner) {
                continue;
            }
            if self.state.subaccount(id) != Some(&before) {
                self.outcome.flat_accounts_paid += 1;
                let name = self.names.get(&id.owner).cloned().unwrap_or_default();
                self.outcome.violation(header.height, format!("flat subaccount {name}/{} changed", id.number));
            }
        }
        self.check_invariants();
        self.shadow = self.state.clone();
        outcome
    }

    /// Records a scenario's own expectation at this height; a missed one is a failure.
    pub fn expect(&mut self, holds: bool, what: &str) {
        if !holds && self.outcome.expectations_missed.len() < MAX_VIOLATIONS_KEPT {
            let message = format!("block {}: expected {what}", self.state.height());
            self.outcome.expectations_missed.push(message);
        }
    }

    /// Applies `n` blocks, each after `each` queued its transactions.
    pub fn blocks(&mut self, n: usize, mut each: impl FnMut(&mut Arena)) {
        for _ in 0..n {
            each(self);
            self.block();
        }
    }

    /// An event with participants' names instead of addresses.
    fn describe(&self, event: &Event) -> String {
        let mut text = format!("{event:?}");
        for (address, name) in &self.names {
            text = text.replace(&format!("{address:?}"), name);
        }
        text
    }

    fn book_flows(&mut self, outcome: &BlockOutcome) {
        for tx in &outcome.transactions {
            for event in &tx.events {
                match event {
                    Event::Deposited { subaccount, asset, amount } => {
                        let value = raw(self.usd_value(*asset, *amount));
                        let flow = self.flows.entry(subaccount.owner).or_default();
                        flow.0 = flow.0.saturating_add(value);
                    }
                    Event::Withdrew { subaccount, asset, amount } => {
                        let value = self.usd_value(*asset, *amount);
                        let flow = self.flows.entry(subaccount.owner).or_default();
                        flow.1 = flow.1.saturating_add(raw(value));
                        if self.attackers.contains(&subaccount.owner) {
                            self.withdrawals.push((value, self.state.height(), subaccount.owner));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn check_invariants(&mut self) {
        let height = self.state.height();
        if let Err(why) = self.state.verify_conservation() {
            if self.outcome.conservation_ok {
                self.outcome.violation(height, format!("conservation: {why}"));
            }
            self.outcome.conservation_ok = false;
        }
        let view = self.state.risk_view(0);
        let quote = self.state.params().quote_asset;
        for reserves in &view.reserves {
            if reserves.asset == quote && reserves.reserves < self.outcome.min_reserves {
                self.outcome.min_reserves = reserves.reserves;
            }
            if reserves.reserves.is_negative() {
                self.outcome.reserves_ok = false;
                self.outcome.violation(height, format!("{} reserves negative: {}", reserves.symbol, reserves.reserves));
            }
        }
        if view.uncovered_loss > self.outcome.uncovered_loss_max {
            if self.outcome.uncovered_loss_max.is_zero() {
                let message =
                    format!("uncovered loss {} (backstop equity {})", view.uncovered_loss, view.backstop_equity);
                self.outcome.violation(height, message);
            }
            self.outcome.uncovered_loss_max = view.uncovered_loss;
        }
        if view.pending_bad_debt > view.insurance_fund {
            if self.outcome.pending_bad_debt_max.is_zero() {
                let message = format!(
                    "bad debt {} pending beyond the insurance fund {}",
                    view.pending_bad_debt, view.insurance_fund
                );
                self.outcome.violation(height, message);
            }
            self.outcome.pending_bad_debt_max = self.outcome.pending_bad_debt_max.max(view.pending_bad_debt);
        }
        self.outcome.insurance_drawdown = self.outcome.insurance_drawdown.max(view.insurance_drawdown);
        self.outcome.bad_debt = view.bad_debt_total;
        self.outcome.blocks += 1;
    }

    /// The equity now of every subaccount of `owners`, at the current marks.
    fn equity_of(&self, owners: &BTreeSet<Address>) -> i128 {
        let mut total = 0i128;
        let mut after = None;
        loop {
            let page = self.state.list_subaccounts(after, 256);
            for summary in page.subaccounts.iter().filter(|s| owners.contains(&s.subaccount.owner)) {
                total = total.saturating_add(raw(summary.equity));
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return total,
            }
        }
    }

    /// Deposited and withdrawn USD value of `owners`.
    fn flows_of(&self, owners: &BTreeSet<Address>) -> (i128, i128) {
        owners
            .iter()
            .filter_map(|o| self.flows.get(o))
            .fold((0, 0), |(d, w), (dd, ww)| (d.saturating_add(*dd), w.saturating_add(*ww)))
    }

    /// The scenario's outcome now.
    pub fn outcome(&self) -> Outcome {
        let mut outcome = self.outcome.clone();
        let equity = self.equity_of(&self.attackers);
        let (deposited, withdrawn) = self.flows_of(&self.attackers);
        outcome.attacker_withdrawn = Decimal::from_raw(withdrawn);
        outcome.attacker_deposited = Decimal::from_raw(deposited);
        outcome.attacker_final_equity = Decimal::from_raw(equity);
        outcome.attacker_pnl = Decimal::from_raw(withdrawn.saturating_add(equity).saturating_sub(deposited));
        let (deposited, withdrawn) = self.flows_of(&self.makers);
        let equity = self.equity_of(&self.makers);
        outcome.market_maker_pnl = Decimal::from_raw(withdrawn.saturating_add(equity).saturating_sub(deposited));
        outcome.insurance_funding = self.insurance_funding;
        let view = self.state.risk_view(0);
        outcome.backstop_equity = view.backstop_equity;
        outcome.liquidations = view.liquidations;
        let mut largest = self.withdrawals.clone();
        largest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (value, height, who) in largest.into_iter().take(LARGEST_WITHDRAWALS) {
            let name = self.names.get(&who).cloned().unwrap_or_default();
            outcome.events.push(format!("block {height}: {name} withdrew {value} USD"));
        }
        outcome
    }
}

fn dec_raw(raw: i128) -> Decimal {
    Decimal::from_raw(raw)
}

/// `text` as a decimal.
pub fn usd(text: &str) -> Decimal {
    super::genesis::dec(text)
}

/// The honest cast every scenario starts with.
#[derive(Clone, Copy, Debug)]
pub struct Cast {
    /// Quotes around the oracle where the scenario has liquidity.
    pub market_maker: Address,
    /// Pays the insurance fund and the backstop's capital at genesis.
    pub insurer: Address,
    /// Deposits USD and BTC and does nothing else: it must never pay for anyone.
    pub bystander: Address,
}

impl Arena {
    /// Queues the opening deposits: `insurance_usd` paid into the insurance fund and
    /// `backstop_usd` into the backstop's capital (both by the insurer), `mm_usd` deposited by
    /// the market maker.
    pub fn stage(&mut self, insurance_usd: &str, backstop_usd: &str, mm_usd: &str) -> Cast {
        let quote = novation_protocol::presets::USD;
        let market_maker = self.actor("market-maker");
        self.makers.insert(market_maker);
        let insurer = self.actor("insurer");
        let treasury = usd(insurance_usd).checked_add(usd(backstop_usd)).unwrap_or(Decimal::MAX);
        self.deposit(insurer, 0, quote, treasury);
        self.fund_insurance(insurer, usd(insurance_usd));
        self.send(insurer, vec![Action::FundBackstop(FundBackstop { subaccount: 0, amount: usd(backstop_usd) })]);
        self.deposit(market_maker, 0, quote, usd(mm_usd));
        let bystander = self.actor("bystander");
        self.deposit(bystander, 0, quote, usd("10000"));
        self.deposit(bystander, 1, novation_protocol::presets::BTC, usd("0.1"));
        Cast { market_maker, insurer, bystander }
    }
}
