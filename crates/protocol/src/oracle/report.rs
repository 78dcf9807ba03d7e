//! The PriceReport action: a registered publisher's signed price for one asset.

use novation_math::Decimal;
use novation_types::action;
use novation_types::{Address, AssetId, ErrorCode};

use super::PriceReportEntry;
use crate::state::State;

/// Checks a report (whose price and confidence passed the stateless checks) against the publisher set and the block time, then stores it as the
/// publisher's latest for the asset.
pub(crate) fn check_and_execute_report(
    state: &mut State,
    sender: Address,
    asset: AssetId,
    price: Decimal,
    confidence: Decimal,
    publish_time_ms: u64,
) -> Result<(), ErrorCode> {
    if !state.params.publishers.iter().any(|p| p.address == sender) {
        return Err(ErrorCode::NotPublisher);
    }
    let oracle = state.oracle.assets.get(asset.0 as usize).ok_or(ErrorCode::UnknownAsset)?;
    if oracle.fixed {
        return Err(ErrorCode::UnknownAsset);
    }
    let params = state.params.oracle;
    let too_old = publish_time_ms.saturating_add(params.max_age_ms) < state.clock.time_ms;
    let from_future = publish_time_ms > state.clock.time_ms.saturating_add(params.max_future_ms);
    let not_newer = oracle.reports.get(&sender).is_some_and(|last| last.publish_time_ms >= publish_time_ms);
    if too_old || from_future || not_newer {
        return Err(ErrorCode::StalePriceReport);
    }
    state.set_report(asset, sender, PriceReportEntry { price, confidence, publish_time_ms });
    Ok(())
}

impl crate::handler::ActionRules for action::PriceReport {
    fn agent_may_sign(&self) -> bool {
        false
    }

    fn ordering_class(&self) -> crate::handler::OrderingClass {
        crate::handler::OrderingClass::Prices
    }

    fn check_stateless(&self, _limits: &crate::params::Limits) -> Result<(), ErrorCode> {
        if !self.price.is_positive() || self.confidence.is_negative() {
            return Err(ErrorCode::InvalidPrice);
        }
        Ok(())
    }
}

impl crate::handler::ActionHandler for action::PriceReport {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &crate::handler::ActionContext,
        _events: &mut Vec<novation_types::Event>,
    ) -> Result<(), ErrorCode> {
        check_and_execute_report(state, ctx.sender, self.asset, self.price, self.confidence, self.publish_time_ms)
    }
}
