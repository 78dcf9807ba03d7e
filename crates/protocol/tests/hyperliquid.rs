//! Hyperliquid actions in the state machine: item-by-item bulk orders, exact units, timestamp
//! nonces used once, agent bindings an attacker cannot take over, expiry. Every block also
//! replays on a snapshot-restored state and re-checks the incremental commitment (the
//! harness in `common`), so the new committed entries are covered too.

mod common;

use common::*;
use novation_protocol::presets::{BTC_PERP, USD};
use novation_types::hyperliquid::{
    HlAction, HlActionKind, HlApproveAgent, HlCancel, HlOrder, HlOrderKind, HlTif, HlWithdraw,
};
use novation_types::{Action, Address, ErrorCode, Event, Side, Transaction};

fn hl_tx(signer: Address, nonce: u64, kind: HlActionKind) -> Transaction {
    hl_tx_for(signer, nonce, None, kind)
}

fn hl_tx_for(signer: Address, nonce: u64, on_behalf_of: Option<Address>, kind: HlActionKind) -> Transaction {
    Transaction::new(signer, nonce, vec![Action::Hyperliquid(HlAction { on_behalf_of, expires_after_ms: None, kind })])
}

fn bid(price: &str, size: &str) -> HlOrder {
    HlOrder {
        asset: 0,
        side: Side::Buy,
        price: dec(price),
        size: dec(size),
        reduce_only: false,
        kind: HlOrderKind::Limit(HlTif::Gtc),
        cloid: None,
    }
}

fn rejections(events: &[Event]) -> Vec<(u16, ErrorCode)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ItemRejected { item, code, .. } => Some((*item, *code)),
            _ => None,
        })
        .collect()
}

/// A timestamp nonce just after the next block's time.
fn now(chain: &Chain, offset: u64) -> u64 {
    chain.next_header().time_ms + offset
}

#[test]
fn a_bulk_order_applies_item_by_item_in_exact_units() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "1000000");
    let orders = vec![bid("99000.0", "0.5"), bid("99000.05", "0.5"), bid("99000", "0.00005"), bid("98000", "0.1")];
    let nonce = now(&chain, 1);
    let outcome = chain.block(vec![hl_tx(alice, nonce, HlActionKind::Order(orders))]).transactions.remove(0);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(rejections(&outcome.events), [(1, ErrorCode::OffTickPrice), (2, ErrorCode::OffLotSize)]);
    let open = chain.state.open_orders(sub(alice));
    let placed: Vec<(u64, u64)> = open.iter().map(|o| (o.price_ticks, o.size_lots)).collect();
    assert_eq!(placed, [(990_000, 5_000), (980_000, 1_000)], "the good items rest, nothing rounded");

    // A cancel naming the wrong asset for the order is refused; the right one applies.
    let order_id = open[0].order_id.0;
    let cancels = vec![HlCancel { asset: 1, order_id }, HlCancel { asset: 0, order_id }];
    let outcome = chain.block(vec![hl_tx(alice, now(&chain, 2), HlActionKind::Cancel(cancels))]).transactions.remove(0);
    assert_eq!(rejections(&outcome.events), [(0, ErrorCode::OrderNotFound)]);
    assert_eq!(chain.state.open_orders(sub(alice)).len(), 1);
}

#[test]
fn a_timestamp_nonce_is_used_once_in_any_order_and_only_near_the_block_time() {
    let mut chain = Chain::new();
    let alice = trader(1);
    let (late, early) = (now(&chain, 500), now(&chain, 100));
    let outcomes = chain.block(vec![
        hl_tx(alice, late, HlActionKind::Noop),
        hl_tx(alice, early, HlActionKind::Noop),
        hl_tx(alice, late, HlActionKind::Noop),
    ]);
    let codes: Vec<Option<ErrorCode>> = outcomes.transactions.iter().map(|t| t.result.err().map(|e| e.code)).collect();
    assert_eq!(codes, [None, None, Some(ErrorCode::NonceAlreadyUsed)], "a replay in the same block is refused");
    let replay = chain.block(vec![hl_tx(alice, early, HlActionKind::Noop)]).transactions.remove(0);
    assert_eq!(replay.result.unwrap_err().code, ErrorCode::NonceAlreadyUsed, "and in a later one");
    let far = now(&chain, novation_protocol::accounts::WINDOW_FUTURE_MS + 1);
    let future = chain.block(vec![hl_tx(alice, far, HlActionKind::Noop)]).transactions.remove(0);
    assert_eq!(future.result.unwrap_err().code, ErrorCode::NonceOutsideWindow);
    // Native nonces are untouched: Alice's strict sequence still starts at 0.
    assert_eq!(chain.state.nonce(alice), 0);
    assert_eq!(chain.state.timestamp_nonces(alice).unwrap().iter().collect::<Vec<_>>(), [early, late]);
}

#[test]
fn an_approved_agent_trades_for_its_account_and_cannot_be_taken_over() {
    let mut chain = Chain::new();
    let (alice, agent, mallory, bob) = (trader(1), trader(2), trader(3), trader(4));
    chain.deposit(alice, USD, "1000000");
    let approve = || HlActionKind::ApproveAgent(HlApproveAgent { agent });
    let ok = chain.block(vec![hl_tx(alice, now(&chain, 1), approve())]).transactions.remove(0);
    assert!(ok.result.is_ok(), "{:?}", ok.result);
    assert_eq!(chain.state.hyperliquid_agent_owner(agent), Some(alice));

    // Mallory cannot bind Alice's agent to herself.
    let taken = chain.block(vec![hl_tx(mallory, now(&chain, 1), approve())]).transactions.remove(0);
    assert_eq!(taken.result.unwrap_err().code, ErrorCode::AgentBoundElsewhere);

    // The agent's order is Alice's; it may not withdraw for her (a withdrawal acts for its
    // signer, who holds nothing).
    let order = HlActionKind::Order(vec![bid("99000", "0.1")]);
    let placed = chain.block(vec![hl_tx(agent, now(&chain, 2), order)]).transactions.remove(0);
    assert!(placed.result.is_ok() && rejections(&placed.events).is_empty(), "{placed:?}");
    assert_eq!(chain.state.open_orders(sub(alice)).len(), 1);
    let withdraw = HlActionKind::Withdraw(HlWithdraw { destination: alice, amount: dec("10") });
    let refused = chain.block(vec![hl_tx(agent, now(&chain, 3), withdraw)]).transactions.remove(0);
    assert_eq!(refused.result.unwrap_err().code, ErrorCode::WithdrawDestination);

    // Acting for Bob through `vaultAddress` needs Bob's authorisation.
    let order = HlActionKind::Order(vec![bid("99000", "0.1")]);
    let vault = chain.block(vec![hl_tx_for(agent, now(&chain, 4), Some(bob), order)]).transactions.remove(0);
    assert_eq!(vault.result.unwrap_err().code, ErrorCode::UnauthorizedAgent);
}

#[test]
fn expired_actions_and_mixed_transactions_are_refused_whole() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "1000000");
    let mut expired = hl_tx(alice, now(&chain, 1), HlActionKind::Order(vec![bid("99000", "0.1")]));
    if let Action::Hyperliquid(action) = &mut expired.actions[0] {
        action.expires_after_ms = Some(chain.state.time_ms());
    }
    let outcome = chain.block(vec![expired]).transactions.remove(0);
    assert_eq!(outcome.result.unwrap_err().code, ErrorCode::ActionExpired);
    assert!(chain.state.open_orders(sub(alice)).is_empty());

    let mut mixed = hl_tx(alice, now(&chain, 2), HlActionKind::Noop);
    mixed.actions.push(Action::Order(novation_types::OrderAction::Place(limit(BTC_PERP, Side::Buy, 990_000, 10))));
    let outcome = chain.block(vec![mixed]).transactions.remove(0);
    assert_eq!(outcome.result.unwrap_err().code, ErrorCode::BadActionCount);
    assert!(chain.state.open_orders(sub(alice)).is_empty());
}
