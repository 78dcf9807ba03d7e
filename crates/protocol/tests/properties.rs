//! Property tests over random sequences of blocks (DESIGN §3). After every block, or every
//! transaction, they check that:
//!
//! - value is conserved (`verify_conservation`, and `apply_block` never reports a broken
//!   invariant) and no book is crossed;
//! - no input makes the protocol panic, including totally arbitrary actions;
//! - a rejected transaction changes nothing but its signer's nonce, and a bad nonce nothing
//!   at all (and a nonce is refused exactly when it is not the signer's next);
//! - the same blocks applied to two fresh states give the same events and state hashes;
//! - meeting initial margin implies meeting maintenance margin;
//! - an order that rests and grows the worst-case position leaves its owner meeting initial
//!   margin;
//! - a subaccount with no position, order or debt is never touched by others' trouble
//!   (liquidations, insurance payouts, auto-deleveraging);
//! - cancels, deposits, reduce-only and trigger orders are never refused for the oracle.
//!
//! A test case is a [`Script`]: funding for a handful of traders (and leveraged positions
//! opened between some of them), then blocks that each move the oracle prices (small moves,
//! gaps up to ±9 %, crashes of 30–50 %, silence, disagreement, wide confidence) and carry random
//! transactions. Transactions are described abstractly (an order "5 bp through the mark", "one
//! of my open orders", "an order id someone else owns", "a size using 90 % of my free
//! collateral") and made concrete against the state just before they apply, so orders cross
//! often, margin limits are hit, and cancels and modifies find real orders. Funding is paid
//! every 5 blocks so that short scripts see it. Bugs the properties once found are pinned by
//! the regression tests at the end of the file.
//!
//! The default run takes a few seconds; `PROPTEST_CASES=2000 cargo test -p novation-protocol
//! --test properties` searches longer.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{dec, trader, BLOCK_MS};
use novation_math::{Decimal, Ppm, Rounding};
use novation_protocol::accounts::Subaccount;
use novation_protocol::params::Genesis;
use novation_protocol::presets::{BACKSTOP, BTC, BTC_PERP, ETH, ETH_PERP, USD};
use novation_protocol::{Block, BlockHeader, State, TxOutcome};
use novation_types::action;
use novation_types::{
    Action, Address, AssetId, ErrorCode, Event, MarketId, OrderAction, OrderId, OrderKind, OrderRequest,
    SelfTradePrevention, Side, SubaccountId, TimeInForce, Transaction, TriggerCondition, TriggerRequest,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

// ----- the test chain ------------------------------------------------------------------------

const TRADERS: u64 = 5;
const PUBLISHERS: u64 = 3;
const AGENT_KEYS: u64 = 2;
/// Starting prices in cents: BTC 100,000 USD, ETH 4,000 USD.
const START_CENTS: [i128; 2] = [10_000_000, 400_000];
const ORACLE_ASSETS: [AssetId; 2] = [BTC, ETH];
const MARKETS: [MarketId; 2] = [BTC_PERP, ETH_PERP];

fn publisher(n: u64) -> Address {
    Address::from_index(1 + n)
}

/// The example genesis with three publishers, and funding every 5 blocks instead of every
/// hour so that scripts of a few dozen blocks see funding paid.
fn genesis() -> Genesis {
    let publishers: Vec<Address> = (0..PUBLISHERS).map(publisher).collect();
    let mut genesis = Genesis::example(&publishers);
    for market in &mut genesis.markets {
        market.funding.interval_ms = 5 * BLOCK_MS;
    }
    genesis
}

fn fresh_state() -> State {
    State::new(genesis()).expect("example genesis is valid")
}

/// `PROPTEST_CASES` overrides the default number of cases.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    ProptestConfig {
        cases,
        // Failures are turned into named regression tests by hand; no stray files.
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

// ----- abstract test inputs --------------------------------------------------------------------

/// Who signs a transaction.
#[derive(Clone, Copy, Debug)]
enum Who {
    Trader(u64),
    Publisher(u64),
    Stranger(u64),
    /// The backstop liquidator's address (it may trade and move collateral like anyone).
    Backstop,
}

/// A key that may sign for an account once authorised: a dedicated key or another trader.
#[derive(Clone, Copy, Debug)]
enum AgentKey {
    Key(u64),
    Trader(u64),
}

impl AgentKey {
    fn address(self) -> Address {
        match self {
            AgentKey::Key(n) => Address::from_index(7_000 + n),
            AgentKey::Trader(n) => trader(n),
        }
    }
}

/// An amount, made concrete for the asset it moves.
#[derive(Clone, Copy, Debug)]
enum Amount {
    /// An everyday amount: `n` USD, `n` × 0.00001 BTC or `n` × 0.0001 ETH.
    Typical(u32),
    /// `n` of the asset's smallest unit.
    Smallest(u32),
    Zero,
    Negative(u32),
    /// One digit more than the asset has (valid for USD, which has all 18).
    TooPrecise,
    /// The deposit cap plus `delta` smallest units.
    NearCap(i64),
    Max,
    Min,
    Raw(i128),
}

#[derive(Clone, Copy, Debug)]
enum Size {
    Lots(u64),
    Zero,
    /// Around the largest size the protocol accepts, or far beyond it.
    Huge(u64),
    /// The size whose initial margin is this percentage of the subaccount's free collateral
    /// (near 100 %: orders at the edge of what margin allows).
    OfFree(u8),
}

#[derive(Clone, Copy, Debug)]
enum Price {
    /// Basis points away from the current mark.
    Near(i32),
    Raw(u64),
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Limit(Price, TimeInForce),
    Market(Ppm),
}

#[derive(Clone, Copy, Debug)]
struct PlaceSpec {
    sub: u16,
    market: MarketId,
    side: Side,
    size: Size,
    kind: Kind,
    reduce_only: bool,
    client_id: Option<u64>,
    self_trade: SelfTradePrevention,
}

/// Which order an action names.
#[derive(Clone, Copy, Debug)]
enum OrderRef {
    /// Any order ever accepted (it may belong to someone else or be gone).
    Known(usize),
    /// One of the acting subaccount's open orders.
    Own(usize),
    /// An id the protocol will hand out soon (an order placed earlier in the same block).
    Next(MarketId, u8),
    Raw(u64),
}

#[derive(Clone, Copy, Debug)]
enum ModPrice {
    Same,
    Near(i32),
    Raw(u64),
}

#[derive(Clone, Copy, Debug)]
enum ModSize {
    Same,
    /// This percentage of the remaining size (0 % is an invalid modify).
    Percent(u8),
    Larger(u64),
    Zero,
}

#[derive(Clone, Copy, Debug)]
enum OrderSpec {
    Place(PlaceSpec),
    Cancel {
        sub: u16,
        order: OrderRef,
    },
    CancelByClientId {
        sub: u16,
        client_id: u64,
    },
    Modify {
        sub: u16,
        order: OrderRef,
        price: ModPrice,
        size: ModSize,
    },
    CancelAll {
        sub: u16,
        market: Option<MarketId>,
    },
    /// A stop-loss or take-profit placing `order` when the mark crosses `trigger`.
    Trigger {
        order: PlaceSpec,
        trigger: Price,
        condition: TriggerCondition,
    },
}

#[derive(Clone, Debug)]
enum ActionSpec {
    Deposit {
        sub: u16,
        asset: AssetId,
        amount: Amount,
    },
    Withdraw {
        sub: u16,
        asset: AssetId,
        amount: Amount,
    },
    Transfer {
        from: u16,
        to: u16,
        asset: AssetId,
        amount: Amount,
    },
    SetIsolated {
        sub: u16,
        market: Option<MarketId>,
    },
    FundInsurance {
        sub: u16,
        amount: Amount,
    },
    AuthorizeAgent(AgentKey),
    RevokeAgent(AgentKey),
    Order(OrderSpec),
    Batch(Vec<OrderSpec>),
    /// A batch one order action longer than allowed.
    OversizedBatch,
    /// A price report `bp` away from the current price, stamped `time_offset_ms` from the block.
    Report {
        asset: AssetId,
        bp: i32,
        confidence_bp: u32,
        time_offset_ms: i64,
    },
    /// Anything at all.
    Raw(Action),
}

#[derive(Clone, Copy, Debug)]
enum NonceSpec {
    Next,
    Ahead(u64),
    Behind(u64),
    /// Sends an earlier transaction again, unchanged.
    Replay(usize),
}

#[derive(Clone, Debug)]
struct TxSpec {
    who: Who,
    /// An agent key signing for `who`, if any.
    agent: Option<AgentKey>,
    nonce: NonceSpec,
    actions: Vec<ActionSpec>,
    /// Pad the transaction past the maximum number of actions.
    too_many: bool,
}

/// What the publishers do for one asset in one block.
#[derive(Clone, Copy, Debug)]
enum Move {
    Hold,
    /// A move of `bp` basis points (small moves and gaps up to ±9 %).
    Step(i32),
    /// A fall of this many percent in one block: too volatile for the EMA guard.
    Crash(u8),
    /// A rise of this many percent in one block.
    Pump(u8),
    /// Nobody reports (ten silent seconds make the price stale).
    Silent,
    /// One publisher reports: below quorum.
    OnlyOne,
    /// Publishers spread this many bp apart (disagreement widens the confidence).
    Disagree(u16),
    /// Publishers report a wide confidence interval.
    Unsure,
}

#[derive(Clone, Debug)]
struct BlockSpec {
    /// Empty blocks (no reports, no transactions) before this one.
    outage: u8,
    moves: [Move; 2],
    txs: Vec<TxSpec>,
}

#[derive(Clone, Copy, Debug)]
struct Funding {
    usd: u32,
    /// Thousandths of a BTC.
    btc_milli: u32,
    /// Thousandths of an ETH.
    eth_milli: u32,
}

#[derive(Clone, Debug)]
struct Script {
    funding: Vec<Funding>,
    /// Leveraged positions opened right after funding, so that price moves liquidate.
    openers: Vec<Opener>,
    blocks: Vec<BlockSpec>,
}

/// Trader `long` rests a bid at the mark sized to use `percent` % of its free collateral, and
/// trader `short` sells into it with an order of the same relative size.
#[derive(Clone, Copy, Debug)]
struct Opener {
    long: u64,
    short: u64,
    market: MarketId,
    percent: u8,
}

// ----- strategies ----------------------------------------------------------------------------

/// How unusual the generated inputs are.
#[derive(Clone, Copy, Debug)]
struct Flavor {
    /// Weight of totally arbitrary actions among the generated ones.
    raw_weight: u32,
    /// Whether order prices and sizes may be absurd (any `u64`). Tame scripts keep prices
    /// within ±6 % of the mark and sizes below the protocol's maximum, so the health
    /// properties judge realistic accounts; wild ones test robustness.
    wild: bool,
}

/// Mostly trading, sometimes absurd numbers and arbitrary actions.
const WILD: Flavor = Flavor { raw_weight: 3, wild: true };
/// Many totally arbitrary actions.
const ARBITRARY: Flavor = Flavor { raw_weight: 40, wild: true };
/// Realistic prices and sizes only.
const TAME: Flavor = Flavor { raw_weight: 0, wild: false };

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        20 => (0..TRADERS).prop_map(Who::Trader),
        1 => (0..PUBLISHERS).prop_map(Who::Publisher),
        1 => (0u64..3).prop_map(|n| Who::Stranger(5_000 + n)),
        1 => Just(Who::Backstop),
    ]
}

fn sub_number() -> impl Strategy<Value = u16> {
    prop_oneof![
        24 => Just(0u16),
        12 => Just(1u16),
        1 => prop_oneof![Just(127u16), Just(128u16), Just(u16::MAX)],
    ]
}

fn asset() -> impl Strategy<Value = AssetId> {
    prop_oneof![
        8 => Just(USD),
        3 => Just(BTC),
        3 => Just(ETH),
        1 => prop_oneof![Just(AssetId(3)), any::<u16>().prop_map(AssetId)],
    ]
}

fn market() -> impl Strategy<Value = MarketId> {
    prop_oneof![
        20 => Just(BTC_PERP),
        12 => Just(ETH_PERP),
        1 => prop_oneof![Just(MarketId(2)), any::<u16>().prop_map(MarketId)],
    ]
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        30 => (1u32..=100_000).prop_map(Amount::Typical),
        3 => (1u32..=1_000).prop_map(Amount::Smallest),
        2 => Just(Amount::Zero),
        2 => (1u32..=1_000).prop_map(Amount::Negative),
        2 => Just(Amount::TooPrecise),
        1 => (-2i64..=2).prop_map(Amount::NearCap),
        1 => prop_oneof![Just(Amount::Max), Just(Amount::Min)],
        1 => any::<i128>().prop_map(Amount::Raw),
    ]
}

fn size(flavor: Flavor) -> impl Strategy<Value = Size> {
    prop_oneof![
        60 => (1u64..=2_000).prop_map(Size::Lots),
        12 => (2_000u64..=60_000).prop_map(Size::Lots),
        12 => (30u8..=130).prop_map(Size::OfFree),
        1 => Just(Size::Zero),
        u32::from(flavor.wild) => prop_oneof![
            Just(Size::Huge(i64::MAX as u64 / 4)),
            Just(Size::Huge(i64::MAX as u64 / 4 + 1)),
            Just(Size::Huge(u64::MAX)),
            (1u64..u64::MAX).prop_map(Size::Huge),
        ],
    ]
}

fn price(flavor: Flavor) -> impl Strategy<Value = Price> {
    prop_oneof![
        40 => (-40i32..=80).prop_map(Price::Near),
        12 => (-600i32..=600).prop_map(Price::Near),
        1 => Just(Price::Raw(0)),
        u32::from(flavor.wild) => prop_oneof![
            Just(Price::Raw(1)),
            Just(Price::Raw(u64::MAX)),
            any::<u64>().prop_map(Price::Raw),
        ],
    ]
}

fn time_in_force() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![
        6 => Just(TimeInForce::GoodTillCancel),
        2 => Just(TimeInForce::ImmediateOrCancel),
        1 => Just(TimeInForce::FillOrKill),
        2 => Just(TimeInForce::PostOnly),
    ]
}

fn self_trade() -> impl Strategy<Value = SelfTradePrevention> {
    prop_oneof![
        Just(SelfTradePrevention::CancelResting),
        Just(SelfTradePrevention::CancelIncoming),
        Just(SelfTradePrevention::CancelBoth),
    ]
}

fn kind(flavor: Flavor) -> impl Strategy<Value = Kind> {
    prop_oneof![
        16 => (price(flavor), time_in_force()).prop_map(|(p, t)| Kind::Limit(p, t)),
        6 => (0i64..=50_000).prop_map(|s| Kind::Market(Ppm::new(s))),
        1 => any::<i64>().prop_map(|s| Kind::Market(Ppm::new(s))),
    ]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn place_spec(flavor: Flavor) -> impl Strategy<Value = PlaceSpec> {
    (
        sub_number(),
        market(),
        side(),
        size(flavor),
        kind(flavor),
        prop::bool::weighted(0.08),
        prop::option::weighted(0.25, 0u64..4),
        self_trade(),
    )
        .prop_map(|(sub, market, side, size, kind, reduce_only, client_id, self_trade)| PlaceSpec {
            sub,
            market,
            side,
            size,
            kind,
            reduce_only,
            client_id,
            self_trade,
        })
}

fn order_ref() -> impl Strategy<Value = OrderRef> {
    prop_oneof![
        6 => any::<usize>().prop_map(OrderRef::Own),
        3 => any::<usize>().prop_map(OrderRef::Known),
        2 => (market(), 0u8..4).prop_map(|(m, k)| OrderRef::Next(m, k)),
        1 => any::<u64>().prop_map(OrderRef::Raw),
    ]
}

fn mod_price(flavor: Flavor) -> impl Strategy<Value = ModPrice> {
    prop_oneof![
        4 => Just(ModPrice::Same),
        4 => (-100i32..=100).prop_map(ModPrice::Near),
        1 => Just(ModPrice::Raw(0)),
        u32::from(flavor.wild) => any::<u64>().prop_map(ModPrice::Raw),
    ]
}

fn mod_size() -> impl Strategy<Value = ModSize> {
    prop_oneof![
        2 => Just(ModSize::Same),
        4 => (0u8..=100).prop_map(ModSize::Percent),
        3 => (1u64..=5_000).prop_map(ModSize::Larger),
        1 => Just(ModSize::Zero),
    ]
}

fn order_spec(flavor: Flavor) -> impl Strategy<Value = OrderSpec> {
    prop_oneof![
        12 => place_spec(flavor).prop_map(OrderSpec::Place),
        3 => (sub_number(), order_ref()).prop_map(|(sub, order)| OrderSpec::Cancel { sub, order }),
        1 => (sub_number(), 0u64..5)
            .prop_map(|(sub, client_id)| OrderSpec::CancelByClientId { sub, client_id }),
        4 => (sub_number(), order_ref(), mod_price(flavor), mod_size()).prop_map(
            |(sub, order, price, size)| OrderSpec::Modify { sub, order, price, size }
        ),
        1 => (sub_number(), prop::option::of(market()))
            .prop_map(|(sub, market)| OrderSpec::CancelAll { sub, market }),
        3 => (place_spec(flavor), price(flavor), trigger_condition())
            .prop_map(|(order, trigger, condition)| OrderSpec::Trigger { order, trigger, condition }),
    ]
}

fn trigger_condition() -> impl Strategy<Value = TriggerCondition> {
    prop_oneof![Just(TriggerCondition::MarkAtOrAbove), Just(TriggerCondition::MarkAtOrBelow)]
}

fn arb_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        any::<i128>().prop_map(Decimal::from_raw),
        (-1_000_000i64..1_000_000).prop_map(Decimal::from_int),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
    ]
}

fn arb_address() -> impl Strategy<Value = Address> {
    prop_oneof![(0u64..8_000).prop_map(Address::from_index), any::<[u8; 20]>().prop_map(Address)]
}

fn arb_u16() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..4, any::<u16>()]
}

fn arb_order_id() -> impl Strategy<Value = OrderId> {
    prop_oneof![(0u64..3, 0u64..64).prop_map(|(m, s)| OrderId((m << 48) | s)), any::<u64>().prop_map(OrderId),]
}

fn arb_order_request() -> impl Strategy<Value = OrderRequest> {
    let kind = prop_oneof![
        (any::<u64>(), time_in_force())
            .prop_map(|(price_ticks, time_in_force)| { OrderKind::Limit { price_ticks, time_in_force } }),
        any::<i64>().prop_map(|p| OrderKind::Market { max_slippage: Ppm::new(p) }),
    ];
    (arb_u16(), arb_u16(), side(), any::<u64>(), kind, any::<bool>(), any::<Option<u64>>(), self_trade()).prop_map(
        |(subaccount, market, side, size_lots, kind, reduce_only, client_order_id, stp)| OrderRequest {
            subaccount,
            market: MarketId(market),
            side,
            size_lots,
            kind,
            reduce_only,
            client_order_id,
            self_trade: stp,
        },
    )
}

fn arb_order_action() -> impl Strategy<Value = OrderAction> {
    prop_oneof![
        arb_order_request().prop_map(OrderAction::Place),
        (arb_u16(), arb_order_id())
            .prop_map(|(subaccount, order_id)| OrderAction::Cancel(action::Cancel { subaccount, order_id })),
        (arb_u16(), any::<u64>()).prop_map(|(subaccount, client_order_id)| {
            OrderAction::CancelByClientId(action::CancelByClientId { subaccount, client_order_id })
        }),
        (arb_u16(), arb_order_id(), any::<u64>(), any::<u64>()).prop_map(
            |(subaccount, order_id, price_ticks, size_lots)| OrderAction::Modify(action::Modify {
                subaccount,
                order_id,
                price_ticks,
                size_lots,
            })
        ),
        (arb_u16(), prop::option::of(arb_u16())).prop_map(|(subaccount, market)| {
            OrderAction::CancelAll(action::CancelAll { subaccount, market: market.map(MarketId) })
        }),
        (any::<u64>(), trigger_condition(), arb_order_request()).prop_map(|(trigger_price_ticks, condition, order)| {
            OrderAction::PlaceTrigger(TriggerRequest { trigger_price_ticks, condition, order })
        }),
    ]
}

/// Any action at all: arbitrary ids, prices, sizes and decimals.
fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (arb_u16(), arb_u16(), arb_decimal()).prop_map(|(subaccount, asset, amount)| {
            Action::Deposit(action::Deposit { subaccount, asset: AssetId(asset), amount })
        }),
        (arb_u16(), arb_u16(), arb_decimal()).prop_map(|(subaccount, asset, amount)| {
            Action::Withdraw(action::Withdraw { subaccount, asset: AssetId(asset), amount })
        }),
        (arb_u16(), arb_u16(), arb_u16(), arb_decimal()).prop_map(|(from, to, asset, amount)| {
            Action::Transfer(action::Transfer { from, to, asset: AssetId(asset), amount })
        }),
        (arb_u16(), prop::option::of(arb_u16())).prop_map(|(subaccount, market)| {
            Action::SetIsolatedMarket(action::SetIsolatedMarket { subaccount, market: market.map(MarketId) })
        }),
        (arb_u16(), arb_decimal())
            .prop_map(|(subaccount, amount)| Action::FundInsurance(action::FundInsurance { subaccount, amount })),
        prop_oneof![
            arb_address().prop_map(|agent| Action::AuthorizeAgent(action::AuthorizeAgent { agent })),
            arb_address().prop_map(|agent| Action::RevokeAgent(action::RevokeAgent { agent })),
        ],
        arb_order_action().prop_map(Action::Order),
        prop::collection::vec(arb_order_action(), 0..4).prop_map(Action::Batch),
        (arb_u16(), arb_decimal(), arb_decimal(), any::<u64>()).prop_map(
            |(asset, price, confidence, publish_time_ms)| Action::PriceReport(action::PriceReport {
                asset: AssetId(asset),
                price,
                confidence,
                publish_time_ms,
            })
        ),
        (
            arb_u16(),
            any::<u64>(),
            [arb_decimal(), arb_decimal(), arb_decimal(), arb_decimal(), arb_decimal()],
            any::<u64>()
        )
            .prop_map(|(asset, expiry_ms, [a, b, rho, m, sigma], publish_time_ms)| Action::VolSurfaceReport(
                action::VolSurfaceReport {
                    asset: AssetId(asset),
                    expiry_ms,
                    svi: novation_math::SviParams { a, b, rho, m, sigma },
                    publish_time_ms,
                }
            )),
        (arb_u16(), any::<bool>()).prop_map(|(subaccount, portfolio)| Action::SetMarginMode(action::SetMarginMode {
            subaccount,
            mode: if portfolio { novation_types::MarginMode::Portfolio } else { novation_types::MarginMode::Standard },
        })),
    ]
}

/// Deposits, withdrawals, transfers, margin mode and insurance funding.
fn collateral_spec() -> impl Strategy<Value = ActionSpec> {
    prop_oneof![
        6 => (sub_number(), asset(), amount())
            .prop_map(|(sub, asset, amount)| ActionSpec::Deposit { sub, asset, amount }),
        6 => (sub_number(), asset(), amount())
            .prop_map(|(sub, asset, amount)| ActionSpec::Withdraw { sub, asset, amount }),
        4 => (sub_number(), sub_number(), asset(), amount()).prop_map(|(from, to, asset, amount)| {
            ActionSpec::Transfer { from, to, asset, amount }
        }),
        2 => (sub_number(), prop::option::of(market()))
            .prop_map(|(sub, market)| ActionSpec::SetIsolated { sub, market }),
        1 => (sub_number(), amount()).prop_map(|(sub, amount)| ActionSpec::FundInsurance { sub, amount }),
        3 => agent_key().prop_map(ActionSpec::AuthorizeAgent),
        1 => agent_key().prop_map(ActionSpec::RevokeAgent),
    ]
}

fn action_spec(flavor: Flavor) -> impl Strategy<Value = ActionSpec> {
    prop_oneof![
        40 => place_spec(flavor).prop_map(|p| ActionSpec::Order(OrderSpec::Place(p))),
        15 => order_spec(flavor).prop_map(ActionSpec::Order),
        8 => prop::collection::vec(order_spec(flavor), 0..6).prop_map(ActionSpec::Batch),
        1 => Just(ActionSpec::OversizedBatch),
        19 => collateral_spec(),
        1 => (asset(), -300i32..=300, 0u32..=200, -12_000i64..=3_000).prop_map(
            |(asset, bp, confidence_bp, time_offset_ms)| ActionSpec::Report {
                asset,
                bp,
                confidence_bp,
                time_offset_ms,
            }
        ),
        flavor.raw_weight => arb_action().prop_map(ActionSpec::Raw),
    ]
}

fn nonce_spec() -> impl Strategy<Value = NonceSpec> {
    prop_oneof![
        40 => Just(NonceSpec::Next),
        1 => prop_oneof![
            (1u64..3).prop_map(NonceSpec::Ahead),
            Just(NonceSpec::Ahead(u64::MAX / 2)),
        ],
        1 => (1u64..3).prop_map(NonceSpec::Behind),
        1 => any::<usize>().prop_map(NonceSpec::Replay),
    ]
}

fn tx_spec(flavor: Flavor) -> impl Strategy<Value = TxSpec> {
    let actions = prop_oneof![
        40 => prop::collection::vec(action_spec(flavor), 1..=1),
        12 => prop::collection::vec(action_spec(flavor), 2..=3),
        1 => Just(Vec::new()),
    ];
    let agent = prop_oneof![12 => Just(None), 1 => agent_key().prop_map(Some)];
    (who(), agent, nonce_spec(), actions, prop::bool::weighted(0.01))
        .prop_map(|(who, agent, nonce, actions, too_many)| TxSpec { who, agent, nonce, actions, too_many })
}

fn agent_key() -> impl Strategy<Value = AgentKey> {
    prop_oneof![3 => (0..AGENT_KEYS).prop_map(AgentKey::Key), 1 => (0..TRADERS).prop_map(AgentKey::Trader)]
}

fn price_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        40 => Just(Move::Hold),
        160 => (-50i32..=50).prop_map(Move::Step),
        16 => (-900i32..=900).prop_map(Move::Step),
        1 => (30u8..=50).prop_map(Move::Crash),
        1 => (10u8..=30).prop_map(Move::Pump),
        30 => Just(Move::Silent),
        6 => Just(Move::OnlyOne),
        2 => (50u16..=400).prop_map(Move::Disagree),
        2 => Just(Move::Unsure),
    ]
}

fn block_spec(flavor: Flavor) -> impl Strategy<Value = BlockSpec> {
    let outage = prop_oneof![30 => Just(0u8), 1 => 1u8..=14];
    (outage, [price_move(), price_move()], prop::collection::vec(tx_spec(flavor), 2..14))
        .prop_map(|(outage, moves, txs)| BlockSpec { outage, moves, txs })
}

fn funding() -> impl Strategy<Value = Funding> {
    (
        prop_oneof![1 => Just(0u32), 8 => 1_000u32..=400_000],
        prop_oneof![2 => Just(0u32), 1 => 1u32..=3_000],
        prop_oneof![2 => Just(0u32), 1 => 1u32..=50_000],
    )
        .prop_map(|(usd, btc_milli, eth_milli)| Funding { usd, btc_milli, eth_milli })
}

fn opener() -> impl Strategy<Value = Opener> {
    (0..TRADERS, 1..TRADERS, prop_oneof![Just(BTC_PERP), Just(ETH_PERP)], 40u8..=95)
        .prop_map(|(long, offset, market, percent)| Opener { long, short: (long + offset) % TRADERS, market, percent })
}

fn script(blocks: std::ops::Range<usize>, flavor: Flavor) -> impl Strategy<Value = Script> {
    (
        prop::collection::vec(funding(), TRADERS as usize),
        prop::collection::vec(opener(), 0..3),
        prop::collection::vec(block_spec(flavor), blocks),
    )
        .prop_map(|(funding, openers, blocks)| Script { funding, openers, blocks })
}

// ----- the runner ----------------------------------------------------------------------------

/// How transactions reach the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Whole blocks through `apply_block` (and, with a replica, twice).
    Blocks { replicate: bool },
    /// User transactions one by one through `apply_transaction`, each checked against a copy
    /// of the state before it; the block is then closed by `apply_block` with the reports.
    OneByOne,
}

/// Which properties to check while running.
#[derive(Clone, Copy, Debug, Default)]
struct Checks {
    /// Health consistency of every subaccount after every block.
    health: bool,
    /// Right after a transaction rests an order that grows the worst-case position, the owner
    /// meets initial margin counting open orders.
    order_margin: bool,
    /// A subaccount without positions, orders or debt is untouched by blocks its owner sends
    /// nothing in.
    bystanders: bool,
    /// Actions that cannot add risk are never refused because of the oracle.
    oracle_refusals: bool,
}

struct Runner {
    state: State,
    replica: Option<State>,
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
}

#[derive(Clone, Debug, Default)]
struct Stats {
    errors: BTreeMap<u32, u64>,
    txs: u64,
    accepted: u64,
    fills: u64,
    rested: u64,
    blocks: u64,
    invalid_price_rejections: u64,
    triggered: u64,
    funding_rates: u64,
    liquidations: u64,
    backstop_takeovers: u64,
    auto_deleveraged: u64,
    insurance_payouts: u64,
    bad_debts: u64,
    agents_authorized: u64,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        for (code, n) in &other.errors {
            *self.errors.entry(*code).or_default() += n;
        }
        self.txs += other.txs;
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

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

impl Runner {
    fn new(mode: Mode, checks: Checks) -> Self {
        let replica = matches!(mode, Mode::Blocks { replicate: true }).then(fresh_state);
        Runner {
            state: fresh_state(),
            replica,
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

    fn run(mut self, script: &Script) -> Result<Stats, TestCaseError> {
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
        Ok(self.stats)
    }

    fn funding_txs(&self, funding: &[Funding]) -> Vec<TxSpec> {
        funding
            .iter()
            .enumerate()
            .map(|(n, f)| {
                let raw = |asset, units: i128| {
                    ActionSpec::Raw(Action::Deposit(action::Deposit {
                        subaccount: 0,
                        asset,
                        amount: Decimal::from_raw(units),
                    }))
                };
                let mut actions = Vec::new();
                if f.usd > 0 {
                    actions.push(raw(USD, i128::from(f.usd) * Decimal::SCALE));
                    // Subaccount 1 gets a tenth, in USD only (it may become isolated).
                    actions.push(ActionSpec::Raw(Action::Deposit(action::Deposit {
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
    fn block(&mut self, txs: Vec<TxSpec>, moves: [Move; 2]) -> Result<(), TestCaseError> {
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
        let block = Block { header, transactions };
        let outcome =
            self.state.apply_block(&block).map_err(|e| fail(format!("block {} failed: {e}", header.height)))?;
        if let Some(replica) = &mut self.replica {
            let replayed = replica
                .apply_block(&block)
                .map_err(|e| fail(format!("replica: block {} failed: {e}", header.height)))?;
            prop_assert_eq!(&replayed, &outcome, "same block, different outcome");
            prop_assert_eq!(
                replica.state_hash(),
                self.state.state_hash(),
                "same blocks, different state hash at height {}",
                header.height
            );
        }
        self.stats.blocks += 1;
        for (index, tx) in outcome.transactions.iter().enumerate() {
            let good_nonce = on_time.get(index).copied().unwrap_or(true);
            check_nonce(tx, good_nonce)?;
            if self.checks.oracle_refusals {
                check_oracle_refusal(&block.transactions[index], tx)?;
            }
            self.note_outcome(tx);
        }
        self.note_events(&outcome.end_block_events);
        check_nobody_left_below_maintenance(&self.state, &outcome.end_block_events)?;
        for (id, before) in bystanders {
            if senders.contains(&id.owner) {
                continue;
            }
            let after = self.state.subaccount(id);
            prop_assert!(
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
                    && sub.balances.iter().all(|(_, units)| *units >= 0)
                    && self.state.trigger_orders(*id).is_empty()
            })
            .collect()
    }

    /// Applies one transaction alone and checks that a rejection changed nothing but the nonce.
    fn apply_one(&mut self, tx: &Transaction, good_nonce: bool) -> Result<(), TestCaseError> {
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
                prop_assert!(outcome.events.is_empty(), "rejected transaction emitted events: {:?}", outcome.events);
                let mut expected = before;
                if error.code != ErrorCode::BadNonce {
                    let empty = Transaction { actions: Vec::new(), ..tx.clone() };
                    let nonce_only = expected.apply_transaction(&empty);
                    prop_assert_eq!(nonce_only.result.map_err(|e| e.code), Err(ErrorCode::BadActionCount));
                }
                if self.state.canonical_bytes() != expected.canonical_bytes() {
                    return Err(fail(format!("rejected transaction ({error:?}) changed the state: {tx:?}")));
                }
            }
        }
        self.note_outcome(&outcome);
        Ok(())
    }

    fn note_outcome(&mut self, outcome: &TxOutcome) {
        self.stats.txs += 1;
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
                Action::Deposit(action::Deposit { subaccount, .. })
                | Action::Withdraw(action::Withdraw { subaccount, .. })
                | Action::SetIsolatedMarket(action::SetIsolatedMarket { subaccount, .. })
                | Action::FundInsurance(action::FundInsurance { subaccount, .. }) => numbers.push(*subaccount),
                Action::Transfer(action::Transfer { from, to, .. }) => numbers.extend([*from, *to]),
                Action::Order(order) => numbers.push(order_subaccount(order)),
                Action::Batch(orders) => numbers.extend(orders.iter().map(order_subaccount)),
                _ => {}
            }
        }
        for number in numbers {
            self.subaccounts.insert(SubaccountId::new(tx.sender, number));
        }
    }

    fn after_block(&mut self) -> Result<(), TestCaseError> {
        // (Liquidation completeness is checked in `check_nobody_left_below_maintenance`.)
        let state = &self.state;
        if let Err(why) = state.verify_conservation() {
            return Err(fail(format!("conservation broken after block {}: {why}", state.height())));
        }
        for market in MARKETS {
            if let Some((Some(bid), Some(ask))) = state.best_prices(market) {
                prop_assert!(bid < ask, "crossed book in {market:?}: {bid} >= {ask}");
            }
        }
        if self.checks.health {
            for id in &self.subaccounts {
                let health = state.health(*id);
                prop_assert!(
                    !(health.meets_initial && health.below_maintenance),
                    "{id} meets initial margin but is below maintenance: {health:?}"
                );
                prop_assert!(
                    health.equity_initial <= health.equity_maintenance,
                    "{id}: initial equity above maintenance equity: {health:?}"
                );
                prop_assert!(
                    health.initial_requirement >= health.maintenance_requirement,
                    "{id}: initial requirement below maintenance requirement: {health:?}"
                );
            }
        }
        Ok(())
    }

    /// Property 6: an accepted transaction that rested a (not reduce-only) order which made
    /// its owner's worst-case position bigger leaves the owner meeting initial margin.
    fn check_order_margin(&self, before: &State, tx: &Transaction, outcome: &TxOutcome) -> Result<(), TestCaseError> {
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
            *open = open.saturating_sub(order.remaining_lots);
            let worst = position.worst_case_size_lots();
            if worst > worst_before && worst > without.worst_case_size_lots() {
                let health = self.state.health(order.owner);
                prop_assert!(
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
                actions.push(Action::Order(OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: None })));
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
            ActionSpec::Deposit { sub, asset, amount } => Action::Deposit(action::Deposit {
                subaccount: *sub,
                asset: *asset,
                amount: self.amount(*asset, *amount),
            }),
            ActionSpec::Withdraw { sub, asset, amount } => Action::Withdraw(action::Withdraw {
                subaccount: *sub,
                asset: *asset,
                amount: self.amount(*asset, *amount),
            }),
            ActionSpec::Transfer { from, to, asset, amount } => Action::Transfer(action::Transfer {
                from: *from,
                to: *to,
                asset: *asset,
                amount: self.amount(*asset, *amount),
            }),
            ActionSpec::SetIsolated { sub, market } => {
                Action::SetIsolatedMarket(action::SetIsolatedMarket { subaccount: *sub, market: *market })
            }
            ActionSpec::FundInsurance { sub, amount } => {
                Action::FundInsurance(action::FundInsurance { subaccount: *sub, amount: self.amount(USD, *amount) })
            }
            ActionSpec::AuthorizeAgent(key) => Action::AuthorizeAgent(action::AuthorizeAgent { agent: key.address() }),
            ActionSpec::RevokeAgent(key) => Action::RevokeAgent(action::RevokeAgent { agent: key.address() }),
            ActionSpec::Order(order) => Action::Order(self.order_action(sender, order)),
            ActionSpec::Batch(orders) => Action::Batch(orders.iter().map(|o| self.order_action(sender, o)).collect()),
            ActionSpec::OversizedBatch => {
                let max = self.state.params().limits.max_batch;
                Action::Batch(vec![OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: None }); max + 1])
            }
            ActionSpec::Report { asset, bp, confidence_bp, time_offset_ms } => {
                let cents = ORACLE_ASSETS.iter().position(|a| a == asset).map_or(100, |i| self.cents[i]);
                let price = cents * i128::from(10_000 + bp) / 10_000;
                Action::PriceReport(action::PriceReport {
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
            OrderSpec::Cancel { sub, order } => OrderAction::Cancel(action::Cancel {
                subaccount: sub,
                order_id: self.order_id(SubaccountId::new(sender, sub), order),
            }),
            OrderSpec::CancelByClientId { sub, client_id } => {
                OrderAction::CancelByClientId(action::CancelByClientId { subaccount: sub, client_order_id: client_id })
            }
            OrderSpec::Modify { sub, order, price, size } => {
                let order_id = self.order_id(SubaccountId::new(sender, sub), order);
                let market = novation_protocol::markets::market_of_order(order_id);
                let resting = self.state.book(market).and_then(|b| b.get(order_id));
                let (current_price, current_size) =
                    resting.map_or_else(|| (self.mark_ticks(market), 100), |o| (o.price_ticks, o.remaining_lots));
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
                OrderAction::Modify(action::Modify { subaccount: sub, order_id, price_ticks, size_lots })
            }
            OrderSpec::CancelAll { sub, market } => {
                OrderAction::CancelAll(action::CancelAll { subaccount: sub, market })
            }
            OrderSpec::Trigger { order, trigger, condition } => {
                let trigger_price_ticks = match trigger {
                    Price::Near(bp) => self.near(order.market, bp),
                    Price::Raw(ticks) => ticks,
                };
                let order = self.request(sender, order);
                OrderAction::PlaceTrigger(TriggerRequest { trigger_price_ticks, condition, order })
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
                    Price::Near(bp) => self.near(spec.market, if spec.side == Side::Buy { bp } else { -bp }),
                    Price::Raw(ticks) => ticks,
                },
                time_in_force,
            },
            Kind::Market(max_slippage) => OrderKind::Market { max_slippage },
        };
        OrderRequest {
            subaccount: spec.sub,
            market: spec.market,
            side: spec.side,
            size_lots,
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
                Action::PriceReport(action::PriceReport {
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
fn check_oracle_refusal(tx: &Transaction, outcome: &TxOutcome) -> Result<(), TestCaseError> {
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
    prop_assert!(!risk_free, "a risk-free action was refused for the oracle: {action:?}");
    Ok(())
}

/// A transaction is refused for its nonce exactly when the nonce is not the sender's next.
fn check_nonce(outcome: &TxOutcome, good_nonce: bool) -> Result<(), TestCaseError> {
    let bad_nonce = outcome.result.is_err_and(|e| e.code == ErrorCode::BadNonce);
    prop_assert_eq!(bad_nonce, !good_nonce, "nonce handling: {:?}", outcome.result);
    Ok(())
}

fn order_subaccount(order: &OrderAction) -> u16 {
    match order {
        OrderAction::Place(request) => request.subaccount,
        OrderAction::PlaceTrigger(request) => request.order.subaccount,
        OrderAction::Cancel(action::Cancel { subaccount, .. })
        | OrderAction::CancelByClientId(action::CancelByClientId { subaccount, .. })
        | OrderAction::Modify(action::Modify { subaccount, .. })
        | OrderAction::CancelAll(action::CancelAll { subaccount, .. }) => *subaccount,
    }
}

fn cents_to_decimal(cents: i128) -> Decimal {
    Decimal::from_raw(cents * (Decimal::SCALE / 100))
}

// ----- the properties ------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(64))]

    /// DESIGN §3.4: value is conserved after every block (and `apply_block` never reports a
    /// broken invariant).
    #[test]
    fn value_is_conserved_after_every_block(script in script(10..40, WILD)) {
        Runner::new(Mode::Blocks { replicate: false }, Checks::default()).run(&script)?;
    }

    /// DESIGN §3.3: no input makes the protocol panic, applied whole blocks at a time or one
    /// transaction at a time, with many totally arbitrary actions.
    #[test]
    fn no_input_makes_the_protocol_panic(script in script(5..25, ARBITRARY)) {
        Runner::new(Mode::Blocks { replicate: false }, Checks::default()).run(&script)?;
        Runner::new(Mode::OneByOne, Checks::default()).run(&script)?;
    }

    /// DESIGN §3.3: a rejected transaction changes nothing but its signer's nonce (and a
    /// replayed or out-of-order nonce changes nothing at all).
    #[test]
    fn a_rejected_transaction_changes_nothing_but_the_nonce(script in script(10..40, WILD)) {
        Runner::new(Mode::OneByOne, Checks::default()).run(&script)?;
    }

    /// DESIGN §3.1: the same blocks applied to two fresh states give the same events and the
    /// same state hash after every block.
    #[test]
    fn the_same_blocks_give_the_same_states_and_events(script in script(10..40, WILD)) {
        Runner::new(Mode::Blocks { replicate: true }, Checks::default()).run(&script)?;
    }

    /// Meeting initial margin implies meeting maintenance margin, for every subaccount after
    /// every block.
    #[test]
    fn meeting_initial_margin_implies_meeting_maintenance(script in script(10..40, TAME)) {
        let checks = Checks { health: true, ..Checks::default() };
        Runner::new(Mode::Blocks { replicate: false }, checks).run(&script)?;
    }

    /// An order that rests and grows its owner's worst-case position leaves the owner meeting
    /// initial margin, counting open orders.
    #[test]
    fn resting_orders_are_covered_by_initial_margin(script in script(10..40, TAME)) {
        let checks = Checks { order_margin: true, ..Checks::default() };
        Runner::new(Mode::OneByOne, checks).run(&script)?;
    }

    /// DESIGN §3.6: cancelling, depositing, reporting prices and reduce-only orders remain
    /// possible whatever the oracle says (stale, uncertain, too volatile).
    #[test]
    fn risk_reducing_actions_are_never_refused_for_the_oracle(script in script(10..40, WILD)) {
        let checks = Checks { oracle_refusals: true, ..Checks::default() };
        Runner::new(Mode::Blocks { replicate: false }, checks).run(&script)?;
    }

    /// DESIGN §3.5: an account with no positions never pays for another's loss. A subaccount
    /// without positions, orders or debt whose owner sends nothing is untouched by a block,
    /// whatever liquidations, insurance payouts or deleveraging happen in it.
    #[test]
    fn an_account_without_positions_never_pays_for_others(script in script(10..40, WILD)) {
        let checks = Checks { bystanders: true, ..Checks::default() };
        Runner::new(Mode::Blocks { replicate: false }, checks).run(&script)?;
    }
}

/// The generators reach the interesting paths: fills, resting orders, oracle refusals.
#[test]
fn the_generators_make_trades_happen() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut total = Stats::default();
    for _ in 0..8 {
        let script = script(30..31, WILD).new_tree(&mut runner).expect("a script").current();
        let stats =
            Runner::new(Mode::Blocks { replicate: false }, Checks::default()).run(&script).expect("the script runs");
        total.add(&stats);
    }
    println!("{total:?}");
    assert!(total.fills > 100, "too few fills: {total:?}");
    assert!(total.rested > 100, "too few resting orders: {total:?}");
    assert!(total.accepted * 4 > total.txs, "too few accepted: {total:?}");
    assert!(total.invalid_price_rejections > 0, "no oracle refusals: {total:?}");
    assert!(total.triggered > 0, "no trigger fired: {total:?}");
    assert!(total.funding_rates > 0, "no funding: {total:?}");
    assert!(total.liquidations > 0, "no liquidation: {total:?}");
}

// ----- regressions: bugs found by the properties, minimised -----------------------------------
//
// Each test states the expected behaviour.

/// Alice buys 1 BTC from Bob at 100,000 with 10,000 USD of collateral (10x).
fn alice_long_one_btc(chain: &mut common::Chain) -> (Address, Address) {
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "200000");
    chain.place(bob, common::limit(BTC_PERP, Side::Sell, 1_000_000, 10_000));
    let bought = chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, 10_000, Ppm::new(10_000)));
    assert!(bought.result.is_ok());
    (alice, bob)
}

/// Place refuses a limit price above `i128::MAX / tick_lot_value / u32::MAX` ticks; modify
/// accepts any non-zero price (`trading/modify.rs` never calls `limit_price_ticks`).
#[test]

fn modify_refuses_a_price_that_place_refuses() {
    let mut chain = common::Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100000");
    let absurd = u64::MAX / 2;
    let placed = chain.place(alice, common::limit(BTC_PERP, Side::Sell, absurd, 1));
    assert_eq!(placed.result.map_err(|e| e.code), Err(ErrorCode::InvalidPrice));
    chain.place(alice, common::limit(BTC_PERP, Side::Sell, 1_010_000, 1));
    let order_id =
        chain.state.book(BTC_PERP).and_then(|b| b.best_order(Side::Sell)).map(|o| o.id).expect("resting ask");
    let modified = chain.run(
        alice,
        vec![Action::Order(OrderAction::Modify(action::Modify {
            subaccount: 0,
            order_id,
            price_ticks: absurd,
            size_lots: 1,
        }))],
    );
    assert_eq!(
        modified.result.map_err(|e| e.code),
        Err(ErrorCode::InvalidPrice),
        "book now: {:?}",
        chain.state.best_prices(BTC_PERP)
    );
}

/// Two 1-lot quotes (10 USD of notional each) far apart give a book mid far from the index.
/// The mark is the median of (index + basis EMA, mid, index), but the basis EMA follows the
/// mid without bound (`markets.rs`, `next_basis`), so index + basis walks to the mid and the
/// median follows it: the index never moves, yet the mark is 7 % up three blocks after the
/// quotes appear and Bob's 10x short is liquidated at it (+44 % after 40 blocks).
#[test]

fn two_one_lot_quotes_cannot_drag_the_mark_from_an_unmoved_index() {
    let mut chain = common::Chain::new();
    let (bob, carol, mallory) = (trader(2), trader(3), trader(4));
    chain.deposit(bob, USD, "10000");
    chain.deposit(carol, USD, "200000");
    chain.deposit(mallory, USD, "1000");
    chain.place(carol, common::limit(BTC_PERP, Side::Buy, 1_000_000, 10_000));
    let sold = chain.place(bob, OrderRequest::market(0, BTC_PERP, Side::Sell, 10_000, Ppm::new(10_000)));
    assert!(sold.result.is_ok(), "Bob is short 1 BTC at 100,000, 10x");
    for (side, ticks) in [(Side::Buy, 999_900), (Side::Sell, 2_000_000)] {
        let quoted = chain.place(mallory, common::limit(BTC_PERP, side, ticks, 1));
        assert!(quoted.result.is_ok());
    }
    let index = dec("100000");
    for block in 0..40 {
        let outcome = chain.set_prices(&[(BTC, "100000")]);
        let mark = chain.state.market(BTC_PERP).and_then(|m| m.mark).expect("mark");
        let liquidated = outcome
            .end_block_events
            .iter()
            .any(|e| matches!(e, Event::LiquidationStarted { subaccount, .. } if *subaccount == common::sub(bob)));
        assert!(!liquidated, "block {block}: Bob liquidated at mark {mark}, though the index stayed at {index}");
        let drift = mark.checked_sub(index).unwrap().checked_abs().unwrap();
        assert!(drift <= dec("5000"), "block {block}: mark {mark} is more than 5% from the index {index}");
    }
}

/// A reduce-only order skips the margin check (`check_order` in `trading/place.rs`), so its
/// size is only bounded by `i64::MAX / 4` lots; all of it counts in the worst-case position
/// (`Position::worst_case_size_lots`), the with-orders health overflows, and `State::health`
/// (`queries/mod.rs`) turns the error into `Health::default()`: zero equity, "meets initial".
#[test]

fn an_account_whose_health_overflows_is_never_reported_healthy() {
    let mut chain = common::Chain::new();
    let (alice, _) = alice_long_one_btc(&mut chain);
    let close = common::limit(BTC_PERP, Side::Sell, 2_000_000, i64::MAX as u64 / 4).reduce_only();
    assert!(chain.place(alice, close).result.is_ok());
    chain.walk_price(BTC, "94000");
    let health = chain.state.health(common::sub(alice));
    assert!(!health.below_maintenance, "at 94,000 the 1 BTC long is above maintenance");
    assert_eq!(health.equity, dec("3950"), "9,950 of collateral minus 6,000 of loss: {health:?}");
    assert!(!health.meets_initial, "3,950 of equity is below the 4,700 initial requirement: {health:?}");
}

/// A reduce-only order can only shrink the position, yet all its lots count in the
/// worst-case position, so a generous "close everything" order locks the account's free
/// collateral (here: a withdrawal that passed before the order is refused after it).
#[test]

fn a_reduce_only_order_never_counts_as_new_risk() {
    let mut chain = common::Chain::new();
    let (alice, _) = alice_long_one_btc(&mut chain);
    let withdraw =
        |amount: &str| vec![Action::Withdraw(action::Withdraw { subaccount: 0, asset: USD, amount: dec(amount) })];
    assert!(chain.run(alice, withdraw("100")).result.is_ok());
    let close_all = common::limit(BTC_PERP, Side::Sell, 1_100_000, 30_000).reduce_only();
    assert!(chain.place(alice, close_all).result.is_ok());
    let withdrawn = chain.run(alice, withdraw("100"));
    assert!(withdrawn.result.is_ok(), "{:?}; health {:?}", withdrawn.result, chain.state.health(common::sub(alice)));
}

/// The margin of a new order is checked before matching, at the mark, as if it all rested
/// (`check_order_margin` in `trading/place.rs`); each fill then checks positions only
/// (`side_after` in `trading/fill.rs`). A buy that first fills at 4% above the mark loses
/// that 4% (and the fee) and then rests its remainder without any check of the account with
/// it: the account ends below initial margin, counting open orders, after one accepted order
/// (an order for the remainder alone would have been refused).
#[test]

fn an_order_filled_at_a_worse_price_rests_the_rest_only_if_covered() {
    let mut chain = common::Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "200000");
    chain.place(bob, common::limit(BTC_PERP, Side::Sell, 1_040_000, 10_000));
    let placed = chain.place(alice, common::limit(BTC_PERP, Side::Buy, 1_040_000, 19_000));
    assert!(placed.result.is_ok());
    let rested = placed.events.iter().any(|e| matches!(e, Event::OrderRested { .. }));
    let health = chain.state.health(common::sub(alice));
    assert!(
        !rested || health.meets_initial,
        "0.9 BTC rests with free collateral {}: {health:?}",
        health.free_collateral
    );
}

/// After every block each subaccount is healthy, flat, or being liquidated: one below
/// maintenance that still holds a position must be the backstop liquidator, or a holder
/// auto-deleveraged at the end of this very block (its turn comes in the next block).
fn check_nobody_left_below_maintenance(state: &State, end_block_events: &[Event]) -> Result<(), TestCaseError> {
    let deleveraged: BTreeSet<SubaccountId> = end_block_events
        .iter()
        .filter_map(|e| match e {
            Event::AutoDeleveraged { subaccount, .. } => Some(*subaccount),
            _ => None,
        })
        .collect();
    let backstop = state.backstop_subaccount();
    for id in state.scan_health_full().below_maintenance {
        let has_position = state.subaccount(id).is_some_and(|s| s.positions.iter().any(|p| p.size_lots != 0));
        prop_assert!(
            !has_position || id == backstop || deleveraged.contains(&id),
            "{id} holds a position below maintenance after block {} and is not being liquidated",
            state.height()
        );
    }
    Ok(())
}
