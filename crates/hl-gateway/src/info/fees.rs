//! What an account pays and may send: its fee rates (`userFees`, from the markets' fee
//! parameters), its request budget (`userRateLimit`) and the builder fee it approved
//! (`maxBuilderFee`). novation has no volume tiers, referral or staking discounts, per-address
//! request budget or builder fees, so those parts answer as an account without any.

use novation_math::{Decimal, Rounding};
use novation_node::Node;
use serde_json::json;

use super::user::{self, UserFill};
use super::{Fields, InfoResult, Refusal};
use crate::wire::{self, number, usd};

/// Hyperliquid's initial request budget of an address, before any volume (requests).
const REQUESTS_INITIAL: u64 = 10_000;

/// `userFees`: `{dailyUserVlm: [], feeSchedule: {cross, add, referralDiscount, tiers: {vip:
/// [], mm: []}}, userCrossRate, userAddRate, activeReferralDiscount}`. `cross` (taker) and
/// `add` (maker; negative: a rebate) are the first perpetual's (BTC's) fee rates, which every
/// perpetual of the devnet shares; no tiers or discounts.
pub(super) fn user_fees(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.user()?;
    let rates = node.with_state(|state| {
        let first = wire::universe(state).into_iter().next()?;
        let params = state.params().markets.get(first.market.0 as usize)?;
        Some((params.taker_fee.to_decimal(), params.maker_fee.to_decimal()))
    });
    let Some((cross, add)) = rates else {
        return Err(Refusal::new("userFees: the chain lists no perpetual to take fee rates from"));
    };
    Ok(json!({
        "dailyUserVlm": [],
        "feeSchedule": {
            "cross": number(cross),
            "add": number(add),
            "referralDiscount": "0.0",
            "tiers": {"vip": [], "mm": []},
        },
        "userCrossRate": number(cross),
        "userAddRate": number(add),
        "activeReferralDiscount": "0.0",
    }))
}

/// `userRateLimit`: `{cumVlm, nRequestsUsed, nRequestsCap}`. `cumVlm` is the value traded in
/// the account's latest 2,000 fills; novation keeps no per-address request count (its
/// mempool and nonces bound what an address sends), so `nRequestsUsed` is 0 and
/// `nRequestsCap` is what Hyperliquid's rule gives (10,000 plus one per USD traded).
pub(super) fn user_rate_limit(node: &Node, fields: &Fields<'_>) -> InfoResult {
    let id = user::account_of(fields)?;
    let coins = node.with_state(wire::universe);
    let records =
        node.account_fills(id.owner, user::FILLS_MAX).map_err(|e| Refusal::new(format!("userRateLimit: {e}")))?;
    let volume = records
        .iter()
        .filter_map(|past| user::user_side(past, id, &coins))
        .map(|fill: UserFill<'_>| fill.notional)
        .fold(Decimal::ZERO, |sum, notional| sum.checked_add(notional).unwrap_or(sum));
    let traded = volume.round_to_int(Rounding::Floor).ok().and_then(|v| u64::try_from(v).ok()).unwrap_or(u64::MAX);
    Ok(json!({
        "cumVlm": usd(volume, Rounding::HalfEven),
        "nRequestsUsed": 0,
        "nRequestsCap": REQUESTS_INITIAL.saturating_add(traded),
    }))
}

/// `maxBuilderFee` of `user` for `builder`: 0 (tenths of a basis point). novation charges no
/// builder fee, and `approveBuilderFee` records nothing.
pub(super) fn max_builder_fee(fields: &Fields<'_>) -> InfoResult {
    fields.user()?;
    let builder = fields.string("builder")?;
    builder.parse::<novation_types::Address>().map_err(|_| {
        Refusal::new(format!("maxBuilderFee: `builder` must be an address (0x and 40 hex digits), got {builder:?}"))
    })?;
    Ok(json!(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_must_be_an_address() {
        let request = json!({"type": "maxBuilderFee", "user": format!("0x{}", "ab".repeat(20)), "builder": "0x1"});
        let fields = Fields::new("maxBuilderFee", request.as_object().unwrap(), &["user", "builder"]).unwrap();
        assert!(max_builder_fee(&fields).unwrap_err().message.contains("`builder`"));
        let request = json!({"type": "maxBuilderFee", "user": format!("0x{}", "ab".repeat(20)), "builder": format!("0x{}", "cd".repeat(20))});
        let fields = Fields::new("maxBuilderFee", request.as_object().unwrap(), &["user", "builder"]).unwrap();
        assert_eq!(max_builder_fee(&fields).unwrap(), json!(0));
    }
}
