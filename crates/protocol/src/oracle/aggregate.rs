//! End-of-block aggregation: weighted median of fresh reports, EMA and validity.
//!
//! An aggregate needs `quorum` fresh reports (no older than `max_age_ms`) from publishers
//! whose weights add up to at least `quorum_stake_ppm` of all registered publishers' weight;
//! without both the index is kept and turns stale once older than `max_age_ms`.
//!
//! Index = weighted median of the prices of reports no older than `max_age_ms` (the lower
//! weighted median: the first price, in ascending order, at which the cumulative weight
//! reaches half of the total). Confidence = the weighted median of the reported confidences
//! or of the distances of reports from the index, whichever is wider (disagreement between
//! publishers is uncertainty too). EMA = EMA + alpha × (index − EMA) per block.

use novation_math::{Decimal, Ppm, Rounding};
use novation_types::{Address, Event};

use super::{AssetOracle, PriceValidity};
use crate::params::{OracleParams, Publisher};
use crate::state::State;

/// Aggregates every oracle-priced asset and emits one `OraclePrice` event per asset.
pub(crate) fn aggregate_all(state: &mut State, events: &mut Vec<Event>) {
    let now_ms = state.clock.time_ms;
    let params = state.params.oracle;
    for (index, oracle) in state.oracle.assets.iter_mut().enumerate() {
        if oracle.fixed {
            continue;
        }
        aggregate_one(oracle, &state.params.publishers, &params, now_ms);
        if let (Some(index_price), Some(ema)) = (oracle.index, oracle.ema) {
            events.push(Event::OraclePrice {
                asset: novation_types::AssetId(index as u16),
                index: index_price,
                ema,
                confidence: oracle.confidence,
                valid: oracle.validity == PriceValidity::Valid,
            });
        }
    }
}

fn aggregate_one(oracle: &mut AssetOracle, publishers: &[Publisher], params: &OracleParams, now_ms: u64) {
    let newest_ms = oracle
        .reports
        .values()
        .map(|report| report.publish_time_ms)
        .filter(|time| time.saturating_add(params.max_age_ms) >= now_ms)
        .max();
    let fresh: Vec<(Decimal, Decimal, u64)> = oracle
        .reports
        .iter()
        .filter(|(_, report)| report.publish_time_ms.saturating_add(params.max_age_ms) >= now_ms)
        .filter_map(|(address, report)| {
            let weight = publisher_weight(publishers, address)?;
            Some((report.price, report.confidence, weight))
        })
        .collect();
    let previous_ema = oracle.ema;
    let fresh_weight = fresh.iter().map(|(_, _, w)| u128::from(*w)).sum();
    if fresh.len() >= params.quorum as usize && meets_stake_quorum(fresh_weight, publishers, params.quorum_stake_ppm) {
        if let Some(index) = weighted_median(fresh.iter().map(|(p, _, w)| (*p, *w)).collect()) {
            let spread: Vec<(Decimal, u64)> = fresh
                .iter()
                .map(|(p, _, w)| (p.checked_sub(index).and_then(|d| d.checked_abs()).unwrap_or(Decimal::MAX), *w))
                .collect();
            let reported = weighted_median(fresh.iter().map(|(_, c, w)| (*c, *w)).collect()).unwrap_or_default();
            let disagreement = weighted_median(spread).unwrap_or_default();
            oracle.index = Some(index);
            oracle.confidence = reported.max(disagreement);
            oracle.ema = Some(match previous_ema {
                Some(ema) => next_ema(ema, index, params.ema_alpha),
                None => index,
            });
            // Age is measured from the data, not from the block that aggregated it.
            oracle.last_update_ms = newest_ms.unwrap_or(now_ms).min(now_ms);
        }
    }
    oracle.validity = validity(oracle, previous_ema, params, now_ms);
}

/// Whether fresh reports of total weight `fresh_weight` carry at least `quorum_stake` of
/// the weight of every registered publisher: `fresh × 10^6 ≥ quorum_stake × total`, exact
/// in integers (no rounding either way).
pub(crate) fn meets_stake_quorum(fresh_weight: u128, publishers: &[Publisher], quorum_stake: Ppm) -> bool {
    let total_weight: u128 = publishers.iter().map(|p| u128::from(p.weight)).sum();
    let quorum_ppm = u128::try_from(quorum_stake.0).unwrap_or(0);
    let per_million = Ppm::SCALE as u128;
    fresh_weight.saturating_mul(per_million) >= quorum_ppm.saturating_mul(total_weight)
}

fn publisher_weight(publishers: &[Publisher], address: &Address) -> Option<u64> {
    publishers.iter().find(|p| p.address == *address).map(|p| p.weight as u64).filter(|w| *w > 0)
}

/// Lower weighted median of `(value, weight)` pairs; `None` when there are none.
pub(crate) fn weighted_median(mut samples: Vec<(Decimal, u64)>) -> Option<Decimal> {
    samples.sort();
    let total: u64 = samples.iter().map(|(_, w)| *w).sum();
    let mut cumulative = 0u64;
    for (value, weight) in &samples {
        cumulative += weight;
        if cumulative * 2 >= total {
            return Some(*value);
        }
    }
    None
}

fn next_ema(ema: Decimal, index: Decimal, alpha: Ppm) -> Decimal {
    let step = index.checked_sub(ema).and_then(|d| alpha.apply_decimal(d, Rounding::HalfEven));
    step.and_then(|s| ema.checked_add(s)).unwrap_or(index)
}

fn validity(oracle: &AssetOracle, previous_ema: Option<Decimal>, params: &OracleParams, now_ms: u64) -> PriceValidity {
    let Some(index) = oracle.index else {
        return PriceValidity::Missing;
    };
    if oracle.last_update_ms.saturating_add(params.max_age_ms) < now_ms {
        return PriceValidity::Stale;
    }
    if exceeds_fraction(oracle.confidence, index, params.max_confidence) {
        return PriceValidity::Uncertain;
    }
    let reference = previous_ema.unwrap_or(index);
    let deviation = index.checked_sub(reference).and_then(|d| d.checked_abs()).unwrap_or(Decimal::MAX);
    if exceeds_fraction(deviation, reference, params.max_ema_deviation) {
        return PriceValidity::TooVolatile;
    }
    PriceValidity::Valid
}

/// Whether `part / whole > limit` (exactly, without dividing).
fn exceeds_fraction(part: Decimal, whole: Decimal, limit: Ppm) -> bool {
    match limit.apply_decimal(whole, Rounding::Floor) {
        Ok(bound) => part > bound,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publishers(weights: &[u32]) -> Vec<Publisher> {
        weights
            .iter()
            .enumerate()
            .map(|(i, w)| Publisher { address: Address::from_index(i as u64), weight: *w })
            .collect()
    }

    #[test]
    fn two_thirds_of_four_equal_stakes_needs_three_of_them() {
        let four = publishers(&[1, 1, 1, 1]);
        let two_thirds = crate::params::VALIDATOR_CHAIN_QUORUM_STAKE;
        assert!(!meets_stake_quorum(2, &four, two_thirds));
        assert!(meets_stake_quorum(3, &four, two_thirds));
        assert!(meets_stake_quorum(0, &four, Ppm::ZERO), "0 turns the stake quorum off");
    }

    #[test]
    fn the_stake_quorum_is_exact_at_its_bound_and_cannot_overflow() {
        let three = publishers(&[1, 1, 1]);
        // 666,667 ppm of 3 is 2.000001: two of three fall short by one millionth.
        assert!(!meets_stake_quorum(2, &three, Ppm::new(666_667)));
        assert!(meets_stake_quorum(2, &three, Ppm::new(666_666)));
        let heavy = publishers(&[u32::MAX; 64]);
        let total = 64 * u128::from(u32::MAX);
        assert!(meets_stake_quorum(total, &heavy, Ppm::ONE));
        assert!(!meets_stake_quorum(total - 1, &heavy, Ppm::ONE));
    }
}
