//! The volatility surface on chain: one raw-SVI smile per underlying and listed option
//! expiry, published by the price publishers and aggregated every block like prices.
//!
//! A submitted smile must itself be free of static arbitrage (parameters in range, Lee's
//! wing bound, Gatheral's butterfly condition g(k) ≥ 0 on the check grid) or the
//! transaction is refused. At the end of each block the fresh smiles of each expiry (no
//! older than `max_age_ms`, at least `quorum` of them, from publishers holding at least the
//! oracle's `quorum_stake_ppm` of the publishers' weight) are combined parameter by parameter
//! with the publishers' weighted median. The aggregate must again pass the butterfly checks
//! and, against the neighbouring expiries' current smiles, the calendar check (total
//! variance non-decreasing in expiry at every grid point); then it becomes the smile of that
//! expiry. Otherwise the last valid smile is kept and the expiry is marked `Rejected`; with
//! too few fresh smiles it turns `Stale` once the current one is older than `max_age_ms`.

use std::collections::BTreeMap;
use std::ops::Bound;

use novation_math::{check_calendar, Decimal, SviParams};
use novation_types::action;
use novation_types::{Address, AssetId, ErrorCode, Event};
use serde::{Deserialize, Serialize};

use crate::oracle::{meets_stake_quorum, weighted_median};
use crate::state::State;

/// Whether a smile may be used to price options that add risk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum SmileValidity {
    /// No smile has passed the checks yet.
    #[default]
    Missing,
    /// The current smile is fresh.
    Valid,
    /// The current smile is older than the surface's maximum age.
    Stale,
    /// The latest aggregate failed an arbitrage check; the current smile is the last valid one.
    Rejected,
}

impl SmileValidity {
    /// Usable to add risk.
    pub fn is_valid(self) -> bool {
        self == SmileValidity::Valid
    }
}

/// One underlying's smile for one expiry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmileState {
    /// Each publisher's latest smile and its publish time.
    pub reports: BTreeMap<Address, (SviParams, u64)>,
    /// The last aggregate that passed every check.
    pub current: Option<SviParams>,
    /// Block time `current` was set.
    pub updated_ms: u64,
    /// Its validity.
    pub validity: SmileValidity,
}

/// Checks a published smile and stores it as the publisher's latest for that expiry.
pub(crate) fn check_and_record_smile(
    state: &mut State,
    sender: Address,
    asset: AssetId,
    expiry_ms: u64,
    svi: &SviParams,
    publish_time_ms: u64,
) -> Result<(), ErrorCode> {
    if !state.params.publishers.iter().any(|p| p.address == sender) {
        return Err(ErrorCode::NotPublisher);
    }
    let smile = state.derivatives.surfaces.get(&(asset, expiry_ms)).ok_or(ErrorCode::UnknownExpiry)?;
    if state.clock.time_ms >= expiry_ms {
        return Err(ErrorCode::MarketExpired);
    }
    let max_age = state.params.derivatives.surface.max_age_ms;
    let too_old = publish_time_ms.saturating_add(max_age) < state.clock.time_ms;
    let from_future = publish_time_ms > state.clock.time_ms.saturating_add(state.params.oracle.max_future_ms);
    let not_newer = smile.reports.get(&sender).is_some_and(|(_, last)| *last >= publish_time_ms);
    if too_old || from_future || not_newer {
        return Err(ErrorCode::StalePriceReport);
    }
    state.set_smile_report(asset, expiry_ms, sender, Some((*svi, publish_time_ms)));
    Ok(())
}

/// End-of-block step: aggregates each expiry's fresh smiles and checks the result.
pub(crate) fn aggregate_surfaces(state: &mut State, events: &mut Vec<Event>) {
    let now_ms = state.clock.time_ms;
    let params = state.params.derivatives.surface;
    let keys: Vec<(AssetId, u64)> =
        state.derivatives.surfaces.keys().copied().filter(|(_, expiry)| *expiry > now_ms).collect();
    for (asset, expiry_ms) in keys {
        let Some(smile) = state.derivatives.surfaces.get(&(asset, expiry_ms)) else { continue };
        let fresh: Vec<(SviParams, u64)> = smile
            .reports
            .iter()
            .filter(|(_, (_, time))| time.saturating_add(params.max_age_ms) >= now_ms)
            .filter_map(|(publisher, (svi, _))| Some((*svi, publisher_weight(state, publisher)?)))
            .collect();
        let fresh_weight = fresh.iter().map(|(_, w)| u128::from(*w)).sum();
        let quorum_stake = state.params.oracle.quorum_stake_ppm;
        let quorate = fresh.len() >= params.quorum as usize
            && meets_stake_quorum(fresh_weight, &state.params.publishers, quorum_stake);
        let aggregate = if quorate { median_smile(&fresh) } else { None };
        let verdict = aggregate.map(|svi| (svi, check_against_neighbours(state, asset, expiry_ms, &svi)));
        let Some(smile) = state.derivatives.surfaces.get_mut(&(asset, expiry_ms)) else { continue };
        match verdict {
            Some((svi, Ok(()))) => {
                if smile.current != Some(svi) || smile.validity != SmileValidity::Valid {
                    events.push(Event::VolSurfaceUpdated { asset, expiry_ms, svi });
                }
                smile.current = Some(svi);
                smile.updated_ms = now_ms;
                smile.validity = SmileValidity::Valid;
            }
            Some((_, Err(reason))) => {
                smile.validity = SmileValidity::Rejected;
                events.push(Event::VolSurfaceRejected { asset, expiry_ms, reason });
            }
            None => {
                if smile.current.is_some() && smile.updated_ms.saturating_add(params.max_age_ms) < now_ms {
                    smile.validity = SmileValidity::Stale;
                }
            }
        }
    }
}

fn publisher_weight(state: &State, publisher: &Address) -> Option<u64> {
    state.params.publishers.iter().find(|p| p.address == *publisher).map(|p| p.weight as u64)
}

/// The weighted median of each parameter.
fn median_smile(fresh: &[(SviParams, u64)]) -> Option<SviParams> {
    let median = |get: fn(&SviParams) -> Decimal| weighted_median(fresh.iter().map(|(s, w)| (get(s), *w)).collect());
    Some(SviParams {
        a: median(|s| s.a)?,
        b: median(|s| s.b)?,
        rho: median(|s| s.rho)?,
        m: median(|s| s.m)?,
        sigma: median(|s| s.sigma)?,
    })
}

/// Butterfly and wing checks on `svi`, and the calendar check against the nearest earlier
/// and later unexpired expiries of the same underlying that have a smile.
fn check_against_neighbours(state: &State, asset: AssetId, expiry_ms: u64, svi: &SviParams) -> Result<(), String> {
    svi.validate().map_err(|e| e.to_string())?;
    let now_ms = state.clock.time_ms;
    let current = |key: &(AssetId, u64), smile: &SmileState| {
        (key.0 == asset && key.1 > now_ms).then_some(smile.current).flatten()
    };
    let earlier =
        state.derivatives.surfaces.range((asset, 0)..(asset, expiry_ms)).rev().find_map(|(k, s)| current(k, s));
    let after = (Bound::Excluded((asset, expiry_ms)), Bound::Included((asset, u64::MAX)));
    let later = state.derivatives.surfaces.range(after).find_map(|(k, s)| current(k, s));
    if let Some(earlier) = earlier {
        check_calendar(&earlier, svi).map_err(|e| format!("against the earlier expiry: {e}"))?;
    }
    if let Some(later) = later {
        check_calendar(svi, &later).map_err(|e| format!("against the later expiry: {e}"))?;
    }
    Ok(())
}

impl crate::handler::ActionRules for action::VolSurfaceReport {
    fn agent_may_sign(&self) -> bool {
        false
    }

    fn ordering_class(&self) -> crate::handler::OrderingClass {
        crate::handler::OrderingClass::Prices
    }

    /// The smile itself must be free of static arbitrage: parameters in range, Lee's wing
    /// bound and the butterfly condition on the check grid.
    fn check_stateless(&self, _limits: &crate::params::Limits) -> Result<(), ErrorCode> {
        self.svi.validate().map_err(|_| ErrorCode::InvalidVolSurface)
    }
}

impl crate::handler::ActionHandler for action::VolSurfaceReport {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &crate::handler::ActionContext,
        _events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        check_and_record_smile(state, ctx.sender, self.asset, self.expiry_ms, &self.svi, self.publish_time_ms)
    }
}
