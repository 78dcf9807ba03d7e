//! Scripts from a seed. Each generator draws from one [`Rng`], with the weights the
//! property tests always used: mostly trading near the mark, some collateral movement, a few
//! absurd numbers and (per [`Flavor`]) totally arbitrary actions; price paths of small steps
//! with rare gaps, crashes, pumps, silence and disagreement.

use novation_math::{Decimal, Ppm, SviParams};
use novation_protocol::presets::{BTC, BTC_PERP, ETH, ETH_PERP, USD};
use novation_types::{
    Action, Address, AssetId, Lots, MarginMode, MarketId, OrderAction, OrderId, OrderKind, OrderRequest, PriceTicks,
    SelfTradePrevention, Side, TimeInForce, TriggerCondition, TriggerRequest,
};

use crate::chain::{AGENT_KEYS, PUBLISHERS, TRADERS};
use crate::rng::Rng;
use crate::script::{
    ActionSpec, AgentKey, Amount, BlockSpec, Flavor, Funding, Kind, ModPrice, ModSize, Move, NonceSpec, Opener,
    OrderRef, OrderSpec, PlaceSpec, Price, Script, Size, TxSpec, Who,
};

impl Script {
    /// The script `seed` names for `flavor`: the same on every machine and every run.
    pub fn generate(seed: u64, flavor: Flavor) -> Script {
        let mut rng = Rng::new(seed);
        let g = &mut rng;
        let funding = (0..TRADERS).map(|_| funding(g)).collect();
        let openers = (0..g.below(3)).map(|_| opener(g)).collect();
        let blocks = g.range(flavor.min_blocks as u64, flavor.max_blocks.max(flavor.min_blocks + 1) as u64 - 1);
        let blocks = (0..blocks).map(|_| block_spec(g, flavor)).collect();
        Script { seed, shrunk: false, funding, openers, blocks }
    }
}

/// Uniform in `low..=high` for `u32`.
fn u32_in(g: &mut Rng, low: u32, high: u32) -> u32 {
    g.range(u64::from(low), u64::from(high)) as u32
}

fn i32_in(g: &mut Rng, low: i32, high: i32) -> i32 {
    g.range_i64(i64::from(low), i64::from(high)) as i32
}

fn u8_in(g: &mut Rng, low: u8, high: u8) -> u8 {
    g.range(u64::from(low), u64::from(high)) as u8
}

fn any_i128(g: &mut Rng) -> i128 {
    ((u128::from(g.next_u64()) << 64) | u128::from(g.next_u64())) as i128
}

fn who(g: &mut Rng) -> Who {
    match g.weighted(&[20, 1, 1, 1]) {
        0 => Who::Trader(g.below(TRADERS)),
        1 => Who::Publisher(g.below(PUBLISHERS)),
        2 => Who::Stranger(5_000 + g.below(3)),
        _ => Who::Backstop,
    }
}

fn sub_number(g: &mut Rng) -> u16 {
    match g.weighted(&[24, 12, 1]) {
        0 => 0,
        1 => 1,
        _ => g.pick(&[127, 128, u16::MAX]),
    }
}

fn any_u16(g: &mut Rng) -> u16 {
    g.next_u64() as u16
}

fn asset(g: &mut Rng) -> AssetId {
    match g.weighted(&[8, 3, 3, 1]) {
        0 => USD,
        1 => BTC,
        2 => ETH,
        _ if g.coin() => AssetId(3),
        _ => AssetId(any_u16(g)),
    }
}

fn market(g: &mut Rng) -> MarketId {
    match g.weighted(&[20, 12, 1]) {
        0 => BTC_PERP,
        1 => ETH_PERP,
        _ if g.coin() => MarketId(2),
        _ => MarketId(any_u16(g)),
    }
}

fn amount(g: &mut Rng) -> Amount {
    match g.weighted(&[30, 3, 2, 2, 2, 1, 1, 1]) {
        0 => Amount::Typical(u32_in(g, 1, 100_000)),
        1 => Amount::Smallest(u32_in(g, 1, 1_000)),
        2 => Amount::Zero,
        3 => Amount::Negative(u32_in(g, 1, 1_000)),
        4 => Amount::TooPrecise,
        5 => Amount::NearCap(g.range_i64(-2, 2)),
        6 if g.coin() => Amount::Max,
        6 => Amount::Min,
        _ => Amount::Raw(any_i128(g)),
    }
}

fn size(g: &mut Rng, flavor: Flavor) -> Size {
    match g.weighted(&[60, 12, 12, 1, u32::from(flavor.wild)]) {
        0 => Size::Lots(g.range(1, 2_000)),
        1 => Size::Lots(g.range(2_000, 60_000)),
        2 => Size::OfFree(u8_in(g, 30, 130)),
        3 => Size::Zero,
        _ => match g.below(4) {
            0 => Size::Huge(i64::MAX as u64 / 4),
            1 => Size::Huge(i64::MAX as u64 / 4 + 1),
            2 => Size::Huge(u64::MAX),
            _ => Size::Huge(g.range(1, u64::MAX - 1)),
        },
    }
}

fn price(g: &mut Rng, flavor: Flavor) -> Price {
    match g.weighted(&[40, 12, 1, u32::from(flavor.wild)]) {
        0 => Price::Near(i32_in(g, -40, 80)),
        1 => Price::Near(i32_in(g, -600, 600)),
        2 => Price::Raw(0),
        _ => match g.below(3) {
            0 => Price::Raw(1),
            1 => Price::Raw(u64::MAX),
            _ => Price::Raw(g.next_u64()),
        },
    }
}

fn time_in_force(g: &mut Rng) -> TimeInForce {
    match g.weighted(&[6, 2, 1, 2]) {
        0 => TimeInForce::GoodTillCancel,
        1 => TimeInForce::ImmediateOrCancel,
        2 => TimeInForce::FillOrKill,
        _ => TimeInForce::PostOnly,
    }
}

fn self_trade(g: &mut Rng) -> SelfTradePrevention {
    g.pick(&[SelfTradePrevention::CancelResting, SelfTradePrevention::CancelIncoming, SelfTradePrevention::CancelBoth])
}

fn kind(g: &mut Rng, flavor: Flavor) -> Kind {
    match g.weighted(&[16, 6, 1]) {
        0 => Kind::Limit(price(g, flavor), time_in_force(g)),
        1 => Kind::Market(Ppm::new(g.range_i64(0, 50_000))),
        _ => Kind::Market(Ppm::new(g.next_u64() as i64)),
    }
}

fn side(g: &mut Rng) -> Side {
    if g.coin() {
        Side::Buy
    } else {
        Side::Sell
    }
}

fn place_spec(g: &mut Rng, flavor: Flavor) -> PlaceSpec {
    PlaceSpec {
        sub: sub_number(g),
        market: market(g),
        side: side(g),
        size: size(g, flavor),
        kind: kind(g, flavor),
        reduce_only: g.chance(8),
        client_id: g.chance(25).then(|| g.below(4)),
        self_trade: self_trade(g),
    }
}

fn order_ref(g: &mut Rng) -> OrderRef {
    match g.weighted(&[6, 3, 2, 1]) {
        0 => OrderRef::Own(g.next_u64() as usize),
        1 => OrderRef::Known(g.next_u64() as usize),
        2 => OrderRef::Next(market(g), g.below(4) as u8),
        _ => OrderRef::Raw(g.next_u64()),
    }
}

fn mod_price(g: &mut Rng, flavor: Flavor) -> ModPrice {
    match g.weighted(&[4, 4, 1, u32::from(flavor.wild)]) {
        0 => ModPrice::Same,
        1 => ModPrice::Near(i32_in(g, -100, 100)),
        2 => ModPrice::Raw(0),
        _ => ModPrice::Raw(g.next_u64()),
    }
}

fn mod_size(g: &mut Rng) -> ModSize {
    match g.weighted(&[2, 4, 3, 1]) {
        0 => ModSize::Same,
        1 => ModSize::Percent(u8_in(g, 0, 100)),
        2 => ModSize::Larger(g.range(1, 5_000)),
        _ => ModSize::Zero,
    }
}

fn trigger_condition(g: &mut Rng) -> TriggerCondition {
    if g.coin() {
        TriggerCondition::MarkAtOrAbove
    } else {
        TriggerCondition::MarkAtOrBelow
    }
}

fn order_spec(g: &mut Rng, flavor: Flavor) -> OrderSpec {
    match g.weighted(&[12, 3, 1, 4, 1, 3]) {
        0 => OrderSpec::Place(place_spec(g, flavor)),
        1 => OrderSpec::Cancel { sub: sub_number(g), order: order_ref(g) },
        2 => OrderSpec::CancelByClientId { sub: sub_number(g), client_id: g.below(5) },
        3 => OrderSpec::Modify {
            sub: sub_number(g),
            order: order_ref(g),
            price: mod_price(g, flavor),
            size: mod_size(g),
        },
        4 => OrderSpec::CancelAll { sub: sub_number(g), market: g.coin().then(|| market(g)) },
        _ => OrderSpec::Trigger {
            order: place_spec(g, flavor),
            trigger: price(g, flavor),
            condition: trigger_condition(g),
        },
    }
}

fn arb_decimal(g: &mut Rng) -> Decimal {
    match g.below(5) {
        0 => Decimal::from_raw(any_i128(g)),
        1 => Decimal::from_int(g.range_i64(-1_000_000, 999_999)),
        2 => Decimal::MAX,
        3 => Decimal::MIN,
        _ => Decimal::ZERO,
    }
}

fn arb_address(g: &mut Rng) -> Address {
    if g.coin() {
        Address::from_index(g.below(8_000))
    } else {
        let mut bytes = [0u8; 20];
        for chunk in bytes.chunks_mut(8) {
            let word = g.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Address(bytes)
    }
}

fn arb_u16(g: &mut Rng) -> u16 {
    if g.coin() {
        g.below(4) as u16
    } else {
        any_u16(g)
    }
}

fn arb_order_id(g: &mut Rng) -> OrderId {
    if g.coin() {
        OrderId((g.below(3) << 48) | g.below(64))
    } else {
        OrderId(g.next_u64())
    }
}

fn arb_order_request(g: &mut Rng) -> OrderRequest {
    let subaccount = arb_u16(g);
    let market = MarketId(arb_u16(g));
    let side = side(g);
    let size_lots = g.next_u64();
    let kind = if g.coin() {
        OrderKind::Limit { price_ticks: PriceTicks(g.next_u64()), time_in_force: time_in_force(g) }
    } else {
        OrderKind::Market { max_slippage: Ppm::new(g.next_u64() as i64) }
    };
    OrderRequest {
        subaccount,
        market,
        side,
        size_lots: Lots(size_lots),
        kind,
        reduce_only: g.coin(),
        client_order_id: g.coin().then(|| g.next_u64()),
        self_trade: self_trade(g),
    }
}

fn arb_order_action(g: &mut Rng) -> OrderAction {
    match g.below(6) {
        0 => OrderAction::Place(arb_order_request(g)),
        1 => OrderAction::Cancel(novation_types::action::Cancel { subaccount: arb_u16(g), order_id: arb_order_id(g) }),
        2 => OrderAction::CancelByClientId(novation_types::action::CancelByClientId {
            subaccount: arb_u16(g),
            client_order_id: g.next_u64(),
        }),
        3 => OrderAction::Modify(novation_types::action::Modify {
            subaccount: arb_u16(g),
            order_id: arb_order_id(g),
            price_ticks: g.next_u64(),
            size_lots: g.next_u64(),
        }),
        4 => OrderAction::CancelAll(novation_types::action::CancelAll {
            subaccount: arb_u16(g),
            market: g.coin().then(|| MarketId(arb_u16(g))),
        }),
        _ => OrderAction::PlaceTrigger(TriggerRequest {
            trigger_price_ticks: PriceTicks(g.next_u64()),
            condition: trigger_condition(g),
            order: arb_order_request(g),
        }),
    }
}

/// Any action at all: arbitrary ids, prices, sizes and decimals.
pub fn arb_action(g: &mut Rng) -> Action {
    match g.below(12) {
        0 => Action::Deposit(novation_types::action::Deposit {
            subaccount: arb_u16(g),
            asset: AssetId(arb_u16(g)),
            amount: arb_decimal(g),
        }),
        1 => Action::Withdraw(novation_types::action::Withdraw {
            subaccount: arb_u16(g),
            asset: AssetId(arb_u16(g)),
            amount: arb_decimal(g),
        }),
        2 => Action::Transfer(novation_types::action::Transfer {
            from: arb_u16(g),
            to: arb_u16(g),
            asset: AssetId(arb_u16(g)),
            amount: arb_decimal(g),
        }),
        3 => Action::SetIsolatedMarket(novation_types::action::SetIsolatedMarket {
            subaccount: arb_u16(g),
            market: g.coin().then(|| MarketId(arb_u16(g))),
        }),
        4 if g.coin() => Action::FundInsurance(novation_types::action::FundInsurance {
            subaccount: arb_u16(g),
            amount: arb_decimal(g),
        }),
        4 => Action::FundBackstop(novation_types::action::FundBackstop {
            subaccount: arb_u16(g),
            amount: arb_decimal(g),
        }),
        5 if g.coin() => Action::AuthorizeAgent(novation_types::action::AuthorizeAgent { agent: arb_address(g) }),
        5 => Action::RevokeAgent(novation_types::action::RevokeAgent { agent: arb_address(g) }),
        6 => Action::Order(arb_order_action(g)),
        7 => Action::Batch((0..g.below(4)).map(|_| arb_order_action(g)).collect()),
        8 => Action::PriceReport(novation_types::action::PriceReport {
            asset: AssetId(arb_u16(g)),
            price: arb_decimal(g),
            confidence: arb_decimal(g),
            publish_time_ms: g.next_u64(),
        }),
        9 => Action::VolSurfaceReport(novation_types::action::VolSurfaceReport {
            asset: AssetId(arb_u16(g)),
            expiry_ms: g.next_u64(),
            svi: SviParams {
                a: arb_decimal(g),
                b: arb_decimal(g),
                rho: arb_decimal(g),
                m: arb_decimal(g),
                sigma: arb_decimal(g),
            },
            publish_time_ms: g.next_u64(),
        }),
        _ => Action::SetMarginMode(novation_types::action::SetMarginMode {
            subaccount: arb_u16(g),
            mode: if g.coin() { MarginMode::Portfolio } else { MarginMode::Standard },
        }),
    }
}

fn agent_key(g: &mut Rng) -> AgentKey {
    if g.weighted(&[3, 1]) == 0 {
        AgentKey::Key(g.below(AGENT_KEYS))
    } else {
        AgentKey::Trader(g.below(TRADERS))
    }
}

/// Deposits, withdrawals, transfers, margin mode and insurance funding.
fn collateral_spec(g: &mut Rng) -> ActionSpec {
    match g.weighted(&[6, 6, 4, 2, 1, 3, 1]) {
        0 => ActionSpec::Deposit { sub: sub_number(g), asset: asset(g), amount: amount(g) },
        1 => ActionSpec::Withdraw { sub: sub_number(g), asset: asset(g), amount: amount(g) },
        2 => ActionSpec::Transfer { from: sub_number(g), to: sub_number(g), asset: asset(g), amount: amount(g) },
        3 => ActionSpec::SetIsolated { sub: sub_number(g), market: g.coin().then(|| market(g)) },
        4 => ActionSpec::FundInsurance { sub: sub_number(g), amount: amount(g) },
        5 => ActionSpec::AuthorizeAgent(agent_key(g)),
        _ => ActionSpec::RevokeAgent(agent_key(g)),
    }
}

fn action_spec(g: &mut Rng, flavor: Flavor) -> ActionSpec {
    match g.weighted(&[40, 15, 8, 1, 19, 1, flavor.raw_weight]) {
        0 => ActionSpec::Order(OrderSpec::Place(place_spec(g, flavor))),
        1 => ActionSpec::Order(order_spec(g, flavor)),
        2 => ActionSpec::Batch((0..g.below(6)).map(|_| order_spec(g, flavor)).collect()),
        3 => ActionSpec::OversizedBatch,
        4 => collateral_spec(g),
        5 => ActionSpec::Report {
            asset: asset(g),
            bp: i32_in(g, -300, 300),
            confidence_bp: u32_in(g, 0, 200),
            time_offset_ms: g.range_i64(-12_000, 3_000),
        },
        _ => ActionSpec::Raw(arb_action(g)),
    }
}

fn nonce_spec(g: &mut Rng) -> NonceSpec {
    match g.weighted(&[40, 1, 1, 1]) {
        0 => NonceSpec::Next,
        1 if g.coin() => NonceSpec::Ahead(g.range(1, 2)),
        1 => NonceSpec::Ahead(u64::MAX / 2),
        2 => NonceSpec::Behind(g.range(1, 2)),
        _ => NonceSpec::Replay(g.next_u64() as usize),
    }
}

fn tx_spec(g: &mut Rng, flavor: Flavor) -> TxSpec {
    let who = who(g);
    let agent = (g.weighted(&[12, 1]) == 1).then(|| agent_key(g));
    let nonce = nonce_spec(g);
    let count = match g.weighted(&[40, 12, 1]) {
        0 => 1,
        1 => g.range(2, 3),
        _ => 0,
    };
    let actions = (0..count).map(|_| action_spec(g, flavor)).collect();
    TxSpec { who, agent, nonce, actions, too_many: g.chance_ppm(10_000) }
}

fn price_move(g: &mut Rng) -> Move {
    match g.weighted(&[40, 160, 16, 1, 1, 30, 6, 2, 2]) {
        0 => Move::Hold,
        1 => Move::Step(i32_in(g, -50, 50)),
        2 => Move::Step(i32_in(g, -900, 900)),
        3 => Move::Crash(u8_in(g, 30, 50)),
        4 => Move::Pump(u8_in(g, 10, 30)),
        5 => Move::Silent,
        6 => Move::OnlyOne,
        7 => Move::Disagree(g.range(50, 400) as u16),
        _ => Move::Unsure,
    }
}

fn block_spec(g: &mut Rng, flavor: Flavor) -> BlockSpec {
    let outage = if g.weighted(&[30, 1]) == 0 { 0 } else { u8_in(g, 1, 14) };
    let moves = [price_move(g), price_move(g)];
    let txs = (0..g.range(2, 13)).map(|_| tx_spec(g, flavor)).collect();
    BlockSpec { outage, moves, txs }
}

fn funding(g: &mut Rng) -> Funding {
    let usd = if g.weighted(&[1, 8]) == 0 { 0 } else { u32_in(g, 1_000, 400_000) };
    let btc_milli = if g.weighted(&[2, 1]) == 0 { 0 } else { u32_in(g, 1, 3_000) };
    let eth_milli = if g.weighted(&[2, 1]) == 0 { 0 } else { u32_in(g, 1, 50_000) };
    Funding { usd, btc_milli, eth_milli }
}

fn opener(g: &mut Rng) -> Opener {
    let long = g.below(TRADERS);
    let offset = g.range(1, TRADERS - 1);
    let market = if g.coin() { BTC_PERP } else { ETH_PERP };
    Opener { long, short: (long + offset) % TRADERS, market, percent: u8_in(g, 40, 95) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_names_one_script() {
        for flavor in [Flavor::WILD, Flavor::ARBITRARY, Flavor::TAME] {
            let (a, b) = (Script::generate(42, flavor), Script::generate(42, flavor));
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
            assert!((flavor.min_blocks..flavor.max_blocks).contains(&a.blocks.len()));
            assert_ne!(format!("{a:?}"), format!("{:?}", Script::generate(43, flavor)));
        }
    }
}
