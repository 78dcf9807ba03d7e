//! Property tests for dated futures, options, the volatility surface and portfolio margin:
//! random scripts of price moves, smiles (sound and arbitrage-ridden), trades in every kind
//! of market, margin-mode switches and expiries. After every block value is conserved, no
//! input panics, meeting initial margin implies meeting maintenance margin in both modes,
//! and once a series has expired it holds no position and no order. Two replicas fed the same
//! blocks end with the same state hash.
//!
//! `PROPTEST_CASES=500 cargo test -p novation-protocol --test derivatives_properties`
//! searches longer.

mod common;

use common::{dec, trader, BLOCK_MS};
use novation_math::{Decimal, Rounding, SviParams};
use novation_protocol::params::{Genesis, OptionRight};
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_protocol::{Block, BlockHeader, State};
use novation_types::action;
use novation_types::{
    Action, Address, MarginMode, MarketId, OrderAction, OrderRequest, Side, SubaccountId, Transaction,
};
use proptest::prelude::*;

const TRADERS: u64 = 4;
const PUBLISHERS: u64 = 3;
/// The short series expire after this long; the script runs past it.
const NEAR_MS: u64 = 30_000;
const MONTH_MS: u64 = 30 * 86_400_000;

fn publisher(n: u64) -> Address {
    Address::from_index(1 + n)
}

struct Listing {
    genesis: Genesis,
    markets: Vec<MarketId>,
}

fn listing() -> Listing {
    let publishers: Vec<Address> = (0..PUBLISHERS).map(publisher).collect();
    let mut genesis = Genesis::example(&publishers);
    genesis.derivatives.settlement_window_ms = 8_000;
    // A schedule lists (and later settles) more series as the script runs.
    genesis.series_schedules.push(novation_protocol::params::SeriesSchedule {
        underlying: BTC,
        anchor_ms: 0,
        interval_ms: 15_000,
        expiries_ahead: 1,
        min_lead_ms: 3_000,
        future: true,
        strike_step: dec("10000"),
        strikes_each_side: 1,
        template: BTC_PERP,
        option_tick_size: dec("0.1"),
        option_lot_size: dec("0.01"),
    });
    let markets = vec![
        BTC_PERP,
        genesis.list_future(BTC, NEAR_MS),
        genesis.list_option(BTC, NEAR_MS, dec("95000"), OptionRight::Call),
        genesis.list_option(BTC, NEAR_MS, dec("105000"), OptionRight::Put),
        genesis.list_option(BTC, MONTH_MS, dec("100000"), OptionRight::Call),
        genesis.list_option(BTC, MONTH_MS, dec("90000"), OptionRight::Put),
    ];
    Listing { genesis, markets }
}

#[derive(Clone, Debug)]
enum Step {
    /// Move BTC by this many basis points.
    Move(i32),
    /// Every publisher sends a skewed smile at this volatility (percent) and skew (rho %).
    Smiles(u32, i32),
    /// One publisher sends arbitrary SVI parameters (mostly refused).
    WildSmile(u64, [i64; 5]),
    /// A trader rests an order and another takes it, at `offset` percent from the mark.
    Trade { maker: u64, taker: u64, market: usize, side: bool, lots: u64, offset: i32 },
    /// A trader switches margin mode.
    Mode(u64, bool),
    /// A trader closes everything in a market with a reduce-only market order.
    Close(u64, usize),
    /// Nothing but fresh prices.
    Idle,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (-900i32..900).prop_map(Step::Move),
        2 => (20u32..150, -60i32..60).prop_map(|(v, s)| Step::Smiles(v, s)),
        1 => (0..PUBLISHERS, any::<[i64; 5]>()).prop_map(|(p, raw)| Step::WildSmile(p, raw)),
        6 => (0..TRADERS, 0..TRADERS, 0usize..6, any::<bool>(), 1u64..400, -30i32..30)
            .prop_map(|(maker, taker, market, side, lots, offset)| Step::Trade { maker, taker, market, side, lots, offset }),
        1 => (0..TRADERS, any::<bool>()).prop_map(|(t, p)| Step::Mode(t, p)),
        1 => (0..TRADERS, 0usize..6).prop_map(|(t, m)| Step::Close(t, m)),
        2 => Just(Step::Idle),
    ]
}

/// Drives a state and a replica with identical blocks.
struct Driver {
    state: State,
    replica: State,
    markets: Vec<MarketId>,
    nonces: std::collections::BTreeMap<Address, u64>,
    btc_cents: i128,
}

impl Driver {
    fn new() -> Self {
        let Listing { genesis, markets } = listing();
        let state = State::new(genesis.clone()).expect("valid genesis");
        let replica = State::new(genesis).expect("valid genesis");
        Driver { state, replica, markets, nonces: Default::default(), btc_cents: 10_000_000 }
    }

    fn tx(&mut self, sender: Address, actions: Vec<Action>) -> Transaction {
        let nonce = self.nonces.entry(sender).or_insert(0);
        *nonce += 1;
        Transaction::new(sender, *nonce - 1, actions)
    }

    fn now(&self) -> u64 {
        self.state.time_ms() + BLOCK_MS
    }

    fn price_reports(&mut self, smiles: Option<(u32, i32)>) -> Vec<Transaction> {
        let time = self.now();
        let price = Decimal::from_raw(self.btc_cents * 10_000_000_000_000_000);
        (0..PUBLISHERS)
            .map(|n| {
                let mut actions = vec![Action::PriceReport(action::PriceReport {
                    asset: BTC,
                    price,
                    confidence: Decimal::ZERO,
                    publish_time_ms: time,
                })];
                if let Some((vol, skew)) = smiles {
                    for expiry in [NEAR_MS, MONTH_MS] {
                        if time < expiry {
                            actions.push(Action::VolSurfaceReport(action::VolSurfaceReport {
                                asset: BTC,
                                expiry_ms: expiry,
                                svi: skewed(vol, skew, expiry - time),
                                publish_time_ms: time,
                            }));
                        }
                    }
                }
                self.tx(publisher(n), actions)
            })
            .collect()
    }

    fn block(&mut self, transactions: Vec<Transaction>) -> Result<(), TestCaseError> {
        let block = Block {
            header: BlockHeader { height: self.state.height() + 1, time_ms: self.now() },
            transactions,
            prices: Vec::new(),
        };
        let outcome = self.state.apply_block(&block);
        prop_assert!(outcome.is_ok(), "block refused: {:?}", outcome.err());
        self.replica.apply_block(&block).map_err(|e| TestCaseError::fail(e.to_string()))?;
        self.state.verify_conservation().map_err(TestCaseError::fail)?;
        self.check_health()?;
        self.check_expired()?;
        Ok(())
    }

    fn check_health(&self) -> Result<(), TestCaseError> {
        for n in 0..TRADERS {
            let health = self.state.health(SubaccountId::new(trader(n), 0));
            prop_assert!(
                !health.meets_initial || !health.below_maintenance || health.initial_requirement.is_zero(),
                "trader {n} meets initial but not maintenance: {health:?}"
            );
            prop_assert!(health.initial_requirement >= health.maintenance_requirement, "{health:?}");
        }
        Ok(())
    }

    fn check_expired(&self) -> Result<(), TestCaseError> {
        if self.state.time_ms() < NEAR_MS {
            return Ok(());
        }
        for market in &self.markets[1..4] {
            let series = self.state.series(*market).expect("listed");
            if series.settlement_price.is_none() {
                continue;
            }
            prop_assert_eq!(series.open_interest_lots, 0);
            let book = self.state.book(*market).expect("book");
            prop_assert!(book.is_empty(), "orders left in an expired series");
            for n in 0..TRADERS {
                let sub = self.state.subaccount(SubaccountId::new(trader(n), 0));
                prop_assert!(sub.is_none_or(|s| s.position(*market).is_none_or(|p| p.size_lots.is_zero())));
            }
        }
        Ok(())
    }

    fn apply(&mut self, step: &Step) -> Result<(), TestCaseError> {
        let mut txs = match step {
            Step::Move(bp) => {
                self.btc_cents = (self.btc_cents * (10_000 + *bp as i128) / 10_000).max(100_000);
                self.price_reports(None)
            }
            Step::Smiles(vol, skew) => self.price_reports(Some((*vol, *skew))),
            _ => self.price_reports(None),
        };
        match step {
            Step::WildSmile(p, raw) => {
                let svi = SviParams {
                    a: Decimal::from_raw(raw[0] as i128 * 1_000),
                    b: Decimal::from_raw(raw[1] as i128 * 1_000),
                    rho: Decimal::from_raw(raw[2] as i128 / 4),
                    m: Decimal::from_raw(raw[3] as i128 * 100),
                    sigma: Decimal::from_raw(raw[4] as i128 * 100),
                };
                let time = self.now();
                txs.push(self.tx(
                    publisher(*p),
                    vec![Action::VolSurfaceReport(action::VolSurfaceReport {
                        asset: BTC,
                        expiry_ms: MONTH_MS,
                        svi,
                        publish_time_ms: time,
                    })],
                ));
            }
            Step::Trade { maker, taker, market, side, lots, offset } => {
                let market = self.markets[*market];
                let side = if *side { Side::Buy } else { Side::Sell };
                let mark = self.state.series(market).and_then(|s| s.mark).unwrap_or(dec("1000"));
                let tick = self.state.params().markets[market.0 as usize].tick_size;
                let price = mark.mul(Decimal::from_int(100 + *offset as i64), Rounding::Floor).unwrap_or(mark);
                let ticks = (price.raw() / 100 / tick.raw()).max(1) as u64;
                txs.push(self.tx(trader(*maker), vec![order(OrderRequest::limit(0, market, side, ticks, *lots))]));
                txs.push(
                    self.tx(trader(*taker), vec![order(OrderRequest::limit(0, market, side.opposite(), ticks, *lots))]),
                );
            }
            Step::Mode(t, portfolio) => {
                let mode = if *portfolio { MarginMode::Portfolio } else { MarginMode::Standard };
                txs.push(
                    self.tx(trader(*t), vec![Action::SetMarginMode(action::SetMarginMode { subaccount: 0, mode })]),
                );
            }
            Step::Close(t, m) => {
                let market = self.markets[*m];
                let size = self.state.subaccount(SubaccountId::new(trader(*t), 0)).map_or(0, |s| s.size_lots(market).0);
                if size != 0 {
                    let side = if size > 0 { Side::Sell } else { Side::Buy };
                    let request =
                        OrderRequest::market(0, market, side, size.unsigned_abs(), novation_math::Ppm::new(500_000));
                    txs.push(self.tx(trader(*t), vec![order(request.reduce_only())]));
                }
            }
            Step::Move(_) | Step::Smiles(..) | Step::Idle => {}
        }
        self.block(txs)
    }
}

fn order(request: OrderRequest) -> Action {
    Action::Order(OrderAction::Place(request))
}

/// A smile with volatility `vol` % at the money and skew `skew` % (rho), over `ms` to expiry.
fn skewed(vol: u32, skew: i32, ms: u64) -> SviParams {
    let years = Decimal::from_int(ms as i64).div_int(365 * 86_400_000, Rounding::HalfEven).unwrap_or_default();
    let vol = Decimal::from_int(vol as i64).div_int(100, Rounding::HalfEven).unwrap_or_default();
    let total = vol.mul(vol, Rounding::HalfEven).and_then(|v| v.mul(years, Rounding::HalfEven)).unwrap_or_default();
    let b = total.div_int(2, Rounding::HalfEven).unwrap_or_default().max(Decimal::from_raw(1));
    let rho = Decimal::from_int(skew as i64).div_int(100, Rounding::HalfEven).unwrap_or_default();
    SviParams {
        a: total.div_int(2, Rounding::HalfEven).unwrap_or_default(),
        b,
        rho,
        m: Decimal::ZERO,
        sigma: dec("0.5"),
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    ProptestConfig { cases, failure_persistence: None, max_shrink_iters: 500, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn derivatives_keep_every_invariant(steps in proptest::collection::vec(step(), 36..48)) {
        let mut driver = Driver::new();
        let funding: Vec<Transaction> = (0..TRADERS)
            .map(|n| {
                let amount = Decimal::from_int(20_000 * (n as i64 + 1));
                driver.tx(trader(n), vec![Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount })])
            })
            .collect();
        let mut first = driver.price_reports(Some((60, -20)));
        first.extend(funding);
        driver.block(first)?;
        for step in &steps {
            driver.apply(step)?;
        }
        prop_assert!(driver.state.time_ms() >= NEAR_MS, "the script crosses the near expiry");
        for market in &driver.markets[1..4] {
            let settled = driver.state.series(*market).and_then(|s| s.settlement_price);
            prop_assert!(settled.is_some(), "series {market:?} settled");
        }
        prop_assert_eq!(driver.state.state_hash(), driver.replica.state_hash());
    }
}
