//! The accounts component's actions in the one handler shape.

use novation_math::Decimal;
use novation_types::action::{
    AuthorizeAgent, Deposit, FundBackstop, FundInsurance, RevokeAgent, SetIsolatedMarket, SetMarginMode, Transfer,
    Withdraw,
};
use novation_types::{ErrorCode, Event};

use crate::handler::{check_subaccount, ActionContext, ActionHandler, ActionRules, OrderingClass};
use crate::params::Limits;
use crate::state::State;

fn check_amount(amount: Decimal) -> Result<(), ErrorCode> {
    if !amount.is_positive() {
        return Err(ErrorCode::InvalidAmount);
    }
    Ok(())
}

/// The rules of an action on one subaccount's collateral.
macro_rules! collateral_rules {
    ($payload:ty, agent: $agent:expr, check: |$action:ident, $limits:ident| $check:expr) => {
        impl ActionRules for $payload {
            fn agent_may_sign(&self) -> bool {
                $agent
            }

            fn ordering_class(&self) -> OrderingClass {
                OrderingClass::Accounts
            }

            fn check_stateless(&self, $limits: &Limits) -> Result<(), ErrorCode> {
                let $action = self;
                $check
            }
        }
    };
}

collateral_rules!(Deposit, agent: true, check: |a, limits| {
    check_subaccount(a.subaccount, limits)?;
    check_amount(a.amount)
});
collateral_rules!(Withdraw, agent: false, check: |a, limits| {
    check_subaccount(a.subaccount, limits)?;
    check_amount(a.amount)
});
collateral_rules!(Transfer, agent: false, check: |a, limits| {
    check_subaccount(a.from, limits)?;
    check_subaccount(a.to, limits)?;
    if a.from == a.to {
        return Err(ErrorCode::SameSubaccount);
    }
    check_amount(a.amount)
});
collateral_rules!(SetIsolatedMarket, agent: true, check: |a, limits| check_subaccount(a.subaccount, limits));
collateral_rules!(SetMarginMode, agent: true, check: |a, limits| check_subaccount(a.subaccount, limits));
collateral_rules!(FundInsurance, agent: false, check: |a, limits| {
    check_subaccount(a.subaccount, limits)?;
    check_amount(a.amount)
});
collateral_rules!(FundBackstop, agent: false, check: |a, limits| {
    check_subaccount(a.subaccount, limits)?;
    check_amount(a.amount)
});
collateral_rules!(AuthorizeAgent, agent: false, check: |_a, _limits| Ok(()));
collateral_rules!(RevokeAgent, agent: false, check: |_a, _limits| Ok(()));

impl ActionHandler for Deposit {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::deposit(state, ctx.subaccount(self.subaccount), self.asset, self.amount, events)
    }
}

impl ActionHandler for Withdraw {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::withdraw(state, ctx.subaccount(self.subaccount), self.asset, self.amount, events)
    }
}

impl ActionHandler for Transfer {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        let (from, to) = (ctx.subaccount(self.from), ctx.subaccount(self.to));
        super::transfer(state, from, to, self.asset, self.amount, events)
    }
}

impl ActionHandler for SetIsolatedMarket {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::set_isolated_market(state, ctx.subaccount(self.subaccount), self.market, events)
    }
}

impl ActionHandler for SetMarginMode {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::set_margin_mode(state, ctx.subaccount(self.subaccount), self.mode, events)
    }
}

impl ActionHandler for FundInsurance {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::fund_insurance(state, ctx.subaccount(self.subaccount), self.amount, events)
    }
}

impl ActionHandler for FundBackstop {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        super::fund_backstop(state, ctx.subaccount(self.subaccount), self.amount, events)
    }
}

impl ActionHandler for AuthorizeAgent {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        state.set_agent(ctx.sender, self.agent, true);
        events.push(Event::AgentAuthorized { account: ctx.sender, agent: self.agent });
        Ok(())
    }
}

impl ActionHandler for RevokeAgent {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        if !state.accounts.agents.contains(&(ctx.sender, self.agent)) {
            return Err(ErrorCode::UnauthorizedAgent);
        }
        state.set_agent(ctx.sender, self.agent, false);
        if state.accounts.hl_agents.get(&self.agent) == Some(&ctx.sender) {
            state.bind_hl_agent(self.agent, None);
        }
        events.push(Event::AgentRevoked { account: ctx.sender, agent: self.agent });
        Ok(())
    }
}
