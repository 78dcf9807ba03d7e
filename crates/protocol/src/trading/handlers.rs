//! The trading component's actions in the one handler shape: orders, triggers, cancels,
//! amendments and batches of them.

use novation_math::Ppm;
use novation_types::action::{Cancel, CancelAll, CancelByClientId, Modify};
use novation_types::{
    ErrorCode, Event, Lots, OrderAction, OrderKind, OrderRequest, PriceTicks, TimeInForce, TriggerRequest,
};

use crate::handler::{check_subaccount, ActionContext, ActionHandler, ActionRules, OrderingClass};
use crate::params::Limits;
use crate::state::State;

/// The shape of an order request: a size, and a positive limit or a slippage in [0, 1].
fn check_request(request: &OrderRequest, limits: &Limits) -> Result<(), ErrorCode> {
    check_subaccount(request.subaccount, limits)?;
    if request.size_lots == Lots(0) {
        return Err(ErrorCode::InvalidSize);
    }
    match request.kind {
        OrderKind::Limit { price_ticks, .. } if price_ticks.is_zero() => Err(ErrorCode::InvalidPrice),
        OrderKind::Market { max_slippage } if max_slippage < Ppm::ZERO || max_slippage > Ppm::ONE => {
            Err(ErrorCode::InvalidPrice)
        }
        _ => Ok(()),
    }
}

impl ActionRules for OrderRequest {
    fn agent_may_sign(&self) -> bool {
        true
    }

    fn ordering_class(&self) -> OrderingClass {
        OrderingClass::Orders
    }

    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
        check_request(self, limits)
    }
}

impl ActionHandler for OrderRequest {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::place_order(state, ctx.subaccount(self.subaccount), self, events).map(|_| ())
    }
}

impl ActionRules for TriggerRequest {
    fn agent_may_sign(&self) -> bool {
        true
    }

    fn ordering_class(&self) -> OrderingClass {
        OrderingClass::Orders
    }

    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
        check_subaccount(self.order.subaccount, limits)?;
        let allowed_kind = match self.order.kind {
            OrderKind::Market { .. } => true,
            OrderKind::Limit { price_ticks, time_in_force } => {
                price_ticks > PriceTicks(0)
                    && matches!(time_in_force, TimeInForce::GoodTillCancel | TimeInForce::ImmediateOrCancel)
            }
        };
        if self.trigger_price_ticks == PriceTicks(0) || !allowed_kind {
            return Err(ErrorCode::InvalidTrigger);
        }
        check_request(&self.order, limits)
    }
}

impl ActionHandler for TriggerRequest {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::place_trigger(state, ctx.subaccount(self.order.subaccount), self, events).map(|_| ())
    }
}

/// The rules of a cancel: anyone who may trade may cancel, always, and cancels go first.
macro_rules! cancel_rules {
    ($payload:ty) => {
        impl ActionRules for $payload {
            fn agent_may_sign(&self) -> bool {
                true
            }

            fn ordering_class(&self) -> OrderingClass {
                OrderingClass::Cancels
            }

            fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
                check_subaccount(self.subaccount, limits)
            }
        }
    };
}

cancel_rules!(Cancel);
cancel_rules!(CancelByClientId);
cancel_rules!(CancelAll);

impl ActionHandler for Cancel {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::cancel_order(state, ctx.subaccount(self.subaccount), self.order_id, events)
    }
}

impl ActionHandler for CancelByClientId {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::cancel_by_client_id(state, ctx.subaccount(self.subaccount), self.client_order_id, events)
    }
}

impl ActionHandler for CancelAll {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        if let Some(market) = self.market {
            state.params.market(market)?;
        }
        super::cancel_all(state, ctx.subaccount(self.subaccount), self.market, events);
        Ok(())
    }
}

impl ActionRules for Modify {
    fn agent_may_sign(&self) -> bool {
        true
    }

    fn ordering_class(&self) -> OrderingClass {
        OrderingClass::Orders
    }

    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
        check_subaccount(self.subaccount, limits)?;
        if self.price_ticks == 0 || self.size_lots == 0 {
            return Err(ErrorCode::InvalidModify);
        }
        Ok(())
    }
}

impl ActionHandler for Modify {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        let owner = ctx.subaccount(self.subaccount);
        super::modify_order(state, owner, self.order_id, self.price_ticks, self.size_lots, events)
    }
}

macro_rules! dispatch_order {
    ($self:expr, $action:ident => $call:expr) => {
        match $self {
            OrderAction::Place($action) => $call,
            OrderAction::PlaceTrigger($action) => $call,
            OrderAction::Cancel($action) => $call,
            OrderAction::CancelByClientId($action) => $call,
            OrderAction::Modify($action) => $call,
            OrderAction::CancelAll($action) => $call,
        }
    };
}

impl ActionRules for OrderAction {
    fn agent_may_sign(&self) -> bool {
        dispatch_order!(self, action => action.agent_may_sign())
    }

    fn ordering_class(&self) -> OrderingClass {
        dispatch_order!(self, action => action.ordering_class())
    }

    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
        dispatch_order!(self, action => action.check_stateless(limits))
    }
}

impl ActionHandler for OrderAction {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        dispatch_order!(self, action => action.check_and_execute(state, ctx, events))
    }
}

/// A batch of order actions: not empty, within the limit, applied in order, all or none.
impl ActionRules for Vec<OrderAction> {
    fn agent_may_sign(&self) -> bool {
        self.iter().all(ActionRules::agent_may_sign)
    }

    fn ordering_class(&self) -> OrderingClass {
        self.first().map_or(OrderingClass::Orders, ActionRules::ordering_class)
    }

    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
        if self.is_empty() || self.len() > limits.max_batch {
            return Err(ErrorCode::BadBatchSize);
        }
        self.iter().try_for_each(|action| action.check_stateless(limits))
    }
}

impl ActionHandler for Vec<OrderAction> {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        self.iter().try_for_each(|action| action.check_and_execute(state, ctx, events))
    }
}
