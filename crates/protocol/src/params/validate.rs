//! Ranges of every parameter and the relations between them: a chain starts only from
//! parameters that pass, and a change applies only if the result still passes.

use novation_math::{Decimal, Ppm};

use super::{ChainParams, MarketKind, MarketParams};

/// A genesis that cannot start a chain, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisError(pub String);

impl std::fmt::Display for GenesisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid genesis: {}", self.0)
    }
}

impl std::error::Error for GenesisError {}

fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), GenesisError> {
    if ok {
        Ok(())
    } else {
        Err(GenesisError(why()))
    }
}

impl ChainParams {
    /// Checks every parameter's range and the relations between them.
    pub fn validate(&self) -> Result<(), GenesisError> {
        for (index, asset) in self.assets.iter().enumerate() {
            ensure(asset.id.0 as usize == index, || format!("asset {} has id {}", index, asset.id.0))?;
            ensure(asset.decimals <= 18, || format!("{}: at most 18 decimals", asset.symbol))?;
            let weights_ok = Ppm::ZERO <= asset.weight_initial
                && asset.weight_initial <= asset.weight_maintenance
                && asset.weight_maintenance <= Ppm::ONE
                && Ppm::ONE <= asset.liability_weight_maintenance
                && asset.liability_weight_maintenance <= asset.liability_weight_initial;
            ensure(weights_ok, || {
                format!("{}: need 0 <= init <= maint <= 1 <= liab maint <= liab init", asset.symbol)
            })?;
            ensure(!asset.deposit_cap.is_negative(), || format!("{}: negative deposit cap", asset.symbol))?;
            let discount = asset.liquidation_discount;
            let discount_ok = Ppm::ZERO <= discount
                && discount < Ppm::ONE
                && Ppm::new(Ppm::ONE.0 - discount.0) >= asset.weight_maintenance;
            ensure(discount_ok || asset.fixed_price.is_some(), || {
                format!("{}: liquidation discount in [0, 1 - maintenance weight]", asset.symbol)
            })?;
            if let Some(price) = asset.fixed_price {
                ensure(price.is_positive(), || format!("{}: fixed price must be positive", asset.symbol))?;
            }
        }
        let quote = self.assets.get(self.quote_asset.0 as usize);
        // The quote ledger keeps all 18 decimals so realised PnL and fees are booked exactly.
        let quote_ok = quote.is_some_and(|q| q.fixed_price.is_some() && q.decimals == 18);
        ensure(quote_ok, || "quote asset must exist with a fixed price and 18 decimals".into())?;
        for (index, market) in self.markets.iter().enumerate() {
            self.validate_market(index, market)?;
        }
        ensure(self.oracle.quorum >= 1, || "oracle quorum must be at least 1".into())?;
        let quorum_stake = self.oracle.quorum_stake_ppm;
        ensure(Ppm::ZERO <= quorum_stake && quorum_stake <= Ppm::ONE, || "oracle stake quorum in [0, 1]".into())?;
        ensure(self.oracle.ema_alpha > Ppm::ZERO && self.oracle.ema_alpha <= Ppm::ONE, || {
            "ema alpha in (0, 1]".into()
        })?;
        ensure(self.oracle.basis_ema_alpha > Ppm::ZERO && self.oracle.basis_ema_alpha <= Ppm::ONE, || {
            "basis ema alpha in (0, 1]".into()
        })?;
        let liquidation = &self.liquidation;
        let liquidation_ok = liquidation.max_per_block >= 1
            && Ppm::ZERO <= liquidation.fee
            && liquidation.fee < Ppm::ONE
            && Ppm::ZERO <= liquidation.max_slippage
            && liquidation.max_slippage < Ppm::ONE
            && Ppm::ZERO <= liquidation.buffer
            && Ppm::ZERO <= liquidation.backstop_threshold
            && liquidation.backstop_threshold <= Ppm::ONE;
        ensure(liquidation_ok, || "liquidation fractions out of range".into())?;
        ensure(self.oracle.max_mark_basis >= Ppm::ZERO && self.oracle.max_mark_basis < Ppm::ONE, || {
            "max mark basis in [0, 1)".into()
        })?;
        ensure(self.limits.max_actions_per_tx >= 1 && self.limits.max_batch >= 1, || "limits must be positive".into())?;
        self.validate_derivatives()
    }

    fn validate_derivatives(&self) -> Result<(), GenesisError> {
        let d = &self.derivatives;
        let unit = |p: Ppm| Ppm::ZERO <= p && p <= Ppm::ONE;
        ensure(d.settlement_window_ms > 0, || "settlement window must be positive".into())?;
        ensure(Decimal::from_int(-1) < d.rate && d.rate < Decimal::ONE, || "option rate in (-1, 1)".into())?;
        let m = &d.option_margin;
        let option_ok = [m.initial, m.initial_min, m.maintenance, m.maintenance_min].into_iter().all(unit)
            && m.maintenance <= m.initial
            && m.maintenance_min <= m.initial_min
            && m.maintenance_min > Ppm::ZERO;
        ensure(option_ok, || "option margin: fractions in (0, 1], maintenance <= initial".into())?;
        d.portfolio.validate("portfolio margin")?;
        for asset in &self.assets {
            if let Some(own) = &asset.portfolio_margin {
                own.validate(&asset.symbol)?;
            }
        }
        ensure(d.surface.quorum >= 1 && d.surface.max_age_ms > 0, || "surface quorum and max age >= 1".into())?;
        for schedule in &self.series_schedules {
            let template = self.markets.get(schedule.template.0 as usize);
            let template_ok =
                template.is_some_and(|t| t.base_asset == schedule.underlying && t.kind == MarketKind::Perpetual);
            ensure(template_ok, || "series schedule: template must be a perpetual on the underlying".into())?;
            let steps_ok = schedule.option_tick_size.is_positive()
                && schedule.option_lot_size.is_positive()
                && schedule
                    .option_tick_size
                    .mul(schedule.option_lot_size, novation_math::Rounding::Floor)
                    .is_ok_and(|v| v.is_positive());
            let ok = schedule.interval_ms > 0
                && (1..=52).contains(&schedule.expiries_ahead)
                && schedule.strikes_each_side <= 50
                && (schedule.strikes_each_side == 0 || schedule.strike_step.is_positive())
                && steps_ok;
            ensure(ok, || {
                "series schedule: interval > 0, 1..=52 expiries, <= 50 strikes a side, positive steps".into()
            })?;
        }
        Ok(())
    }

    fn validate_market(&self, index: usize, market: &MarketParams) -> Result<(), GenesisError> {
        let name = &market.symbol;
        ensure(market.id.0 as usize == index, || format!("market {} has id {}", index, market.id.0))?;
        let base = self.assets.get(market.base_asset.0 as usize);
        ensure(base.is_some_and(|b| b.fixed_price.is_none()), || format!("{name}: base asset needs an oracle"))?;
        ensure(market.tick_size.is_positive() && market.lot_size.is_positive(), || format!("{name}: steps > 0"))?;
        let tick_lot = market.tick_size.mul(market.lot_size, novation_math::Rounding::Floor);
        let exact = tick_lot.is_ok_and(|v| {
            v.is_positive() && v.div(market.lot_size, novation_math::Rounding::Floor) == Ok(market.tick_size)
        });
        ensure(exact, || format!("{name}: tick x lot must be exactly representable"))?;
        ensure(market.min_order_lots >= 1, || format!("{name}: min order >= 1 lot"))?;
        ensure(market.max_leverage >= 1, || format!("{name}: max leverage >= 1"))?;
        let min_initial = Ppm::new(1_000_000 / market.max_leverage as i64);
        let tiers = &market.margin_tiers;
        ensure(!tiers.is_empty(), || format!("{name}: at least one margin tier"))?;
        ensure(tiers.last().is_some_and(|t| t.max_notional == Decimal::MAX), || {
            format!("{name}: last tier unbounded")
        })?;
        for pair in tiers.windows(2) {
            let ascending = pair[0].max_notional < pair[1].max_notional && pair[0].initial <= pair[1].initial;
            ensure(ascending, || format!("{name}: tiers must ascend in notional and margin"))?;
        }
        for tier in tiers {
            let ok = Ppm::ZERO < tier.maintenance
                && tier.maintenance < tier.initial
                && tier.initial <= Ppm::ONE
                && tier.initial >= min_initial;
            ensure(ok, || format!("{name}: need 0 < maintenance < initial <= 1 and initial >= 1/max_leverage"))?;
        }
        let funding = &market.funding;
        let funding_ok = funding.interval_ms > 0
            && funding.impact_notional.is_positive()
            && funding.clamp >= Ppm::ZERO
            && funding.cap_per_interval >= Ppm::ZERO
            && funding.cap_per_interval <= Ppm::ONE;
        ensure(funding_ok, || format!("{name}: funding interval, impact notional, clamp and cap must be positive"))?;
        let fee_ok = market.taker_fee >= Ppm::ZERO
            && market.maker_fee.0.saturating_add(market.taker_fee.0) >= 0
            && market.taker_fee < Ppm::ONE
            && market.maker_fee > Ppm::new(-1_000_000);
        ensure(fee_ok, || format!("{name}: taker fee >= 0 and maker rebate <= taker fee"))?;
        let weight = market.unrealized_profit_weight;
        ensure(Ppm::ZERO <= weight && weight <= Ppm::ONE, || format!("{name}: unrealised profit weight in [0, 1]"))?;
        ensure(market.price_band > Ppm::ZERO && market.price_band < Ppm::ONE, || {
            format!("{name}: price band in (0, 1)")
        })?;
        let risk = &market.risk;
        let positive = |amount: Option<Decimal>| amount.is_none_or(|a| a.is_positive());
        let fraction = |f: Ppm| Ppm::ZERO <= f && f <= Ppm::ONE;
        let risk_ok = positive(risk.profit_half_weight)
            && risk.stable_growth_per_hour > Ppm::ZERO
            && risk.stable_growth_per_hour <= super::market_risk::MAX_STABLE_GROWTH
            && risk.stable_band > Ppm::ZERO
            && risk.stable_band < Ppm::ONE
            && fraction(risk.concentration_factor)
            && risk.concentration_reference.is_positive()
            && positive(risk.open_interest_cap_notional)
            && positive(risk.backstop_max_notional)
            && fraction(risk.backstop_max_open_interest_share);
        ensure(risk_ok, || {
            format!("{name}: profit half weight, caps and reference > 0; stable growth in (0, 1]; factors in [0, 1]")
        })?;
        if let MarketKind::Option { strike, .. } = market.kind {
            ensure(strike.is_positive(), || format!("{name}: strike must be positive"))?;
        }
        if let Some(expiry_ms) = market.kind.expiry_ms() {
            ensure(expiry_ms > 0, || format!("{name}: expiry must be set"))?;
        }
        Ok(())
    }
}
