//! `novation tx`: build the actions from human arguments, check what can be checked without
//! signing, sign them with a stored key, send them (`nov_sendTransaction`) and wait until the
//! node reports them included (`nov_getTransaction`), then show the result and its events.
//!
//! ```text
//!  args ──▶ action ──▶ local checks (grid, minimum, subaccount range, balance, open order)
//!        ──▶ TxPayload {chain_id (nov_status), account, nonce (nov_getNonce)}
//!        ──▶ sign ──▶ nov_sendTransaction ──▶ poll nov_getTransaction ──▶ events table
//!        ──▶ rejected? explain with the account's numbers and a hint (crate::explain)
//! ```
//!
//! A mistake found by the local checks is a [`CliError::Refused`] (exit code 2) raised before
//! the nonce is even read: nothing is signed or sent.

use std::time::{Duration, Instant};

use novation_math::{Decimal, Ppm};
use novation_tx::TxPayload;
use novation_types::action;
use novation_types::{
    Action, Address, AssetId, MarginMode, MarketId, OrderAction, OrderId, OrderRequest, PriceTicks, Side, TimeInForce,
    TriggerCondition, TriggerRequest,
};
use serde_json::{json, Value};

use crate::cli::{MarginModeArg, OrderArgs, SideArg, TriggerArgs, TriggerKindArg, TxArgs, TxCommand};
use crate::error::{CliError, CliResult};
use crate::events::{events_table, Names};
use crate::keys::KeyStore;
use crate::markets::{fetch_assets, fetch_markets, find_asset, find_market, AssetInfo, MarketInfo};
use crate::rpc::RpcClient;
use crate::table::key_values;
use crate::units::{price_to_ticks, size_to_lots, slippage_to_ppm};
use crate::Context;

/// How long to wait for a sent transaction to be included.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(10);
/// How often to ask whether it is.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// A market order's slippage bound unless `--slippage` says otherwise: 1%.
const MARKET_SLIPPAGE_DEFAULT: Ppm = Ppm::new(10_000);

/// Runs `novation tx`.
pub(crate) fn run(ctx: &Context, args: &TxArgs) -> CliResult<()> {
    let key = KeyStore::new(&ctx.home).load(&args.key)?;
    let rpc = RpcClient::new(&ctx.rpc);
    let status = rpc.call("nov_status", json!([]))?;
    let chain_id = status
        .get("chain_id")
        .and_then(Value::as_u64)
        .ok_or_else(|| CliError::BadResponse(format!("nov_status without a chain_id: {status}")))?;
    let markets = fetch_markets(&rpc)?;
    let assets = fetch_assets(&rpc);
    // Nonces are counted per signer; an agent signs for another account.
    let signer = key.signer.address();
    let account = match &args.account {
        Some(account) => resolve_address(ctx, account)?,
        None => signer,
    };
    // Everything the command can check is checked before signing: a mistake never uses a nonce.
    check_subaccount(args.subaccount, "--subaccount")?;
    let env = Env { ctx, rpc: &rpc, account, subaccount: args.subaccount, markets: &markets, assets: &assets };
    let action = build_action(&env, &args.action)?;

    let nonce_value = rpc.call("nov_getNonce", json!([signer.to_string()]))?;
    let nonce = as_u64(&nonce_value).ok_or_else(|| CliError::BadResponse(format!("nonce {nonce_value}")))?;
    let payload = TxPayload::new(chain_id, account, nonce, vec![action.clone()]);
    let envelope = serde_json::to_value(key.signer.sign(&payload))
        .map_err(|e| CliError::BadResponse(format!("cannot encode the transaction: {e}")))?;
    let admitted =
        rpc.call("nov_sendTransaction", json!([envelope])).map_err(|e| crate::explain::explain(&env, &action, e))?;
    let tx_hash = admitted
        .get("tx_hash")
        .and_then(Value::as_str)
        .ok_or_else(|| CliError::BadResponse(format!("nov_sendTransaction without a tx_hash: {admitted}")))?
        .to_string();
    if !ctx.json {
        let agent = if signer == account { String::new() } else { format!(", agent {signer}") };
        eprintln_quiet(&format!("sent {tx_hash} (account {account}{agent}, nonce {nonce}); waiting for a block…"));
    }
    let receipt = wait_for_inclusion(&rpc, &tx_hash)?;
    // A market, IOC or FOK order fills now or not at all.
    let must_fill = matches!(&args.action, TxCommand::Order(order) if order.price.is_none() || order.ioc || order.fok);
    let fills = order_fills(&receipt, &markets, must_fill);
    if ctx.json {
        ctx.print(&format!("{:#}\n", receipt));
    } else {
        ctx.print(&render_receipt(&tx_hash, &receipt, &Names { markets: &markets, assets: &assets }));
        if let Some(summary) = fills.as_ref().and_then(OrderFills::summary) {
            ctx.print(&summary);
        }
    }
    if let Err(rejected) = check_result(&receipt) {
        return Err(crate::explain::explain(&env, &action, rejected));
    }
    match fills {
        Some(fills) if fills.must_fill && fills.lots == 0 => Err(CliError::Unfilled(fills.why_unfilled())),
        _ => Ok(()),
    }
}

/// What building and checking an action needs: the node, the account acted for, and the
/// markets and assets.
pub(crate) struct Env<'a> {
    /// Global flags.
    pub(crate) ctx: &'a Context,
    /// The node.
    pub(crate) rpc: &'a RpcClient,
    /// The account the transaction acts for.
    pub(crate) account: Address,
    /// The subaccount acted on (`--subaccount`).
    pub(crate) subaccount: u16,
    /// Every market.
    pub(crate) markets: &'a [MarketInfo],
    /// Every asset.
    pub(crate) assets: &'a [AssetInfo],
}

impl Env<'_> {
    /// `nov_getAccount` of subaccount `number` of the account (`null` if it does not exist).
    pub(crate) fn account_view(&self, number: u16) -> CliResult<Value> {
        self.rpc.call("nov_getAccount", json!([self.account.to_string(), number]))
    }
}

/// The highest subaccount number of the standard limits (the devnet's and the example
/// genesis'); the node does not publish its limits, so a chain with other limits still
/// refuses an out-of-range number itself (error 29).
pub(crate) fn max_subaccount() -> u16 {
    novation_protocol::params::Genesis::example(&[]).limits.max_subaccount
}

/// Refuses a subaccount number above [`max_subaccount`] before anything is signed.
pub(crate) fn check_subaccount(number: u16, flag: &str) -> CliResult<()> {
    let max = max_subaccount();
    if number > max {
        return Err(CliError::refused(
            format!("subaccount {number} is out of range: numbers run from 0 to {max}"),
            format!("use {flag} 0 to {max}"),
        ));
    }
    Ok(())
}

/// What an included order placement did: its fills as taker, and whether it could rest.
#[derive(Debug, PartialEq)]
struct OrderFills {
    /// Filled lots, in total.
    lots: u64,
    /// Filled, in the base asset.
    size: Decimal,
    /// Quote value of the fills.
    notional: Decimal,
    /// Fees paid as taker.
    fees: Decimal,
    /// A market, IOC or FOK order: one that fills now or not at all.
    must_fill: bool,
    /// Why the rest was cancelled, if it was.
    cancel_reason: Option<String>,
    /// Market symbol.
    symbol: String,
    /// The market's tick size (the precision of its prices).
    tick_size: Decimal,
}

impl OrderFills {
    fn summary(&self) -> Option<String> {
        if self.lots == 0 {
            return None;
        }
        let average = self.notional.div(self.size, novation_math::Rounding::HalfEven).ok()?;
        Some(format!(
            "\nfilled {} {} at an average price of {} (total {} USD, taker fees {} USD)\n",
            self.size,
            self.symbol,
            crate::units::price_text(average, self.tick_size),
            self.notional,
            self.fees
        ))
    }

    fn why_unfilled(&self) -> String {
        match self.cancel_reason.as_deref() {
            Some(reason) => format!(
                "cancelled ({reason}): no resting liquidity within its price bound (see `novation query book {}`; a market order trades at most --slippage from the mark)",
                self.symbol
            ),
            None => format!("no resting liquidity within its price bound (see `novation query book {}`)", self.symbol),
        }
    }
}

/// The fills of the order a receipt placed (its `OrderAccepted` event names it).
fn order_fills(receipt: &Value, markets: &[crate::markets::MarketInfo], must_fill: bool) -> Option<OrderFills> {
    let events = receipt.get("events").and_then(Value::as_array)?;
    let accepted = events.iter().find_map(|e| e.get("OrderAccepted"))?;
    let order_id = accepted.get("order_id")?.clone();
    let market_id = accepted.get("market").and_then(Value::as_u64)?;
    let market = markets.iter().find(|m| u64::from(m.id) == market_id)?;
    let decimal =
        |v: Option<&Value>| v.and_then(Value::as_str).and_then(|t| t.parse::<Decimal>().ok()).unwrap_or_default();
    let mut fills = OrderFills {
        lots: 0,
        size: Decimal::ZERO,
        notional: Decimal::ZERO,
        fees: Decimal::ZERO,
        must_fill,
        cancel_reason: None,
        symbol: market.symbol.clone(),
        tick_size: market.tick_size,
    };
    for event in events {
        if let Some(fill) = event.get("Fill").filter(|f| f.get("taker_order") == Some(&order_id)) {
            fills.lots += fill.get("size_lots").and_then(Value::as_u64).unwrap_or(0);
            fills.notional = fills.notional.checked_add(decimal(fill.get("notional"))).unwrap_or(fills.notional);
            fills.fees = fills.fees.checked_add(decimal(fill.get("taker_fee"))).unwrap_or(fills.fees);
        }
        if let Some(cancel) = event.get("OrderCancelled").filter(|c| c.get("order_id") == Some(&order_id)) {
            fills.cancel_reason = cancel.get("reason").map(crate::events::plain);
        }
    }
    fills.size = Decimal::from_units(i128::from(fills.lots), market.lot_size).unwrap_or_default();
    Some(fills)
}

/// The one action `command` asks for, checked against what the command can see.
fn build_action(env: &Env<'_>, command: &TxCommand) -> CliResult<Action> {
    let subaccount = env.subaccount;
    let (markets, assets) = (env.markets, env.assets);
    Ok(match command {
        TxCommand::Deposit { asset, amount } => Action::Deposit(action::Deposit {
            subaccount,
            asset: AssetId(find_asset(assets, asset)?.id),
            amount: *amount,
        }),
        TxCommand::Withdraw { asset, amount } => {
            let asset = find_asset(assets, asset)?;
            check_balance(env, subaccount, asset, *amount, "withdraw")?;
            Action::Withdraw(action::Withdraw { subaccount, asset: AssetId(asset.id), amount: *amount })
        }
        TxCommand::Transfer { asset, amount, to } => {
            check_subaccount(*to, "--to")?;
            if *to == subaccount {
                return Err(CliError::refused(
                    format!("--to {to} is the source subaccount itself"),
                    "name another subaccount with --to, or the source with --subaccount",
                ));
            }
            let asset = find_asset(assets, asset)?;
            check_balance(env, subaccount, asset, *amount, "transfer")?;
            Action::Transfer(action::Transfer { from: subaccount, to: *to, asset: AssetId(asset.id), amount: *amount })
        }
        TxCommand::Order(order) => Action::Order(OrderAction::Place(order_request(subaccount, order, markets)?)),
        TxCommand::Trigger(trigger) => {
            Action::Order(OrderAction::PlaceTrigger(trigger_request(subaccount, trigger, markets)?))
        }
        TxCommand::Modify { order_id, price, size } => {
            Action::Order(OrderAction::Modify(modify_request(env, *order_id, *price, *size)?))
        }
        TxCommand::Cancel { order_id: Some(order_id), .. } => {
            Action::Order(OrderAction::Cancel(action::Cancel { subaccount, order_id: OrderId(*order_id) }))
        }
        TxCommand::Cancel { order_id: None, client_id: Some(client_order_id) } => {
            Action::Order(OrderAction::CancelByClientId(action::CancelByClientId {
                subaccount,
                client_order_id: *client_order_id,
            }))
        }
        TxCommand::Cancel { order_id: None, client_id: None } => {
            return Err(CliError::Usage("cancel needs an ORDER_ID or --client-id".into()))
        }
        TxCommand::CancelAll { market } => {
            let market = match market {
                Some(name) => Some(MarketId(find_market(markets, name)?.id)),
                None => None,
            };
            Action::Order(OrderAction::CancelAll(action::CancelAll { subaccount, market }))
        }
        TxCommand::Isolated { market, cross: _ } => {
            let market = match market {
                Some(name) => Some(MarketId(find_market(markets, name)?.id)),
                None => None,
            };
            check_flat(env, "change its isolation")?;
            Action::SetIsolatedMarket(action::SetIsolatedMarket { subaccount, market })
        }
        TxCommand::Batch { file } => Action::Batch(crate::batch::read(env, file)?),
        TxCommand::AuthorizeAgent { agent } => {
            Action::AuthorizeAgent(action::AuthorizeAgent { agent: resolve_address(env.ctx, agent)? })
        }
        TxCommand::RevokeAgent { agent } => {
            Action::RevokeAgent(action::RevokeAgent { agent: resolve_address(env.ctx, agent)? })
        }
        TxCommand::MarginMode { mode } => Action::SetMarginMode(action::SetMarginMode {
            subaccount,
            mode: match mode {
                MarginModeArg::Standard => MarginMode::Standard,
                MarginModeArg::Portfolio => MarginMode::Portfolio,
            },
        }),
    })
}

/// The balance of `asset` in a subaccount view (zero when it holds none).
pub(crate) fn balance_of(view: &Value, asset: u16) -> Decimal {
    view.get("balances")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|b| b.get("asset").and_then(Value::as_u64) == Some(u64::from(asset)))
        .and_then(|b| b.get("amount"))
        .and_then(crate::markets::as_decimal)
        .unwrap_or_default()
}

/// Refuses to move more of `asset` out of the subaccount than it holds.
fn check_balance(env: &Env<'_>, subaccount: u16, asset: &AssetInfo, amount: Decimal, verb: &str) -> CliResult<()> {
    let view = env.account_view(subaccount)?;
    let held = balance_of(&view, asset.id);
    if amount > held {
        let symbol = &asset.symbol;
        return Err(CliError::refused(
            format!("cannot {verb} {amount} {symbol}: subaccount {subaccount} holds {held} {symbol}"),
            if held.is_positive() {
                format!("{verb} at most {held} {symbol} (less while positions need margin)")
            } else {
                format!("deposit {symbol} first with `novation tx --key K deposit {symbol} AMOUNT`")
            },
        ));
    }
    Ok(())
}

/// Refuses a change that needs a subaccount with no positions and no open orders.
fn check_flat(env: &Env<'_>, what: &str) -> CliResult<()> {
    let view = env.account_view(env.subaccount)?;
    let positions = view.get("positions").and_then(Value::as_array).map_or(0, Vec::len);
    let orders = view.get("open_orders").and_then(Value::as_u64).unwrap_or(0);
    if positions > 0 || orders > 0 {
        return Err(CliError::refused(
            format!(
                "subaccount {} has {positions} position(s) and {orders} open order(s): it can {what} only when flat",
                env.subaccount
            ),
            "close the positions and cancel the orders first (`tx cancel-all`), or use another --subaccount",
        ));
    }
    Ok(())
}

/// The modification of open order `order_id`: the price and size given, the order's own for
/// the one left out, both on its market's grid.
pub(crate) fn modify_request(
    env: &Env<'_>,
    order_id: u64,
    price: Option<Decimal>,
    size: Option<Decimal>,
) -> CliResult<action::Modify> {
    let open = env.rpc.call("nov_getOpenOrders", json!([env.account.to_string(), env.subaccount]))?;
    let order = open
        .get("orders")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|o| o.get("order_id").and_then(as_u64) == Some(order_id))
        .ok_or_else(|| {
            CliError::refused(
                format!("order {order_id} is not open in subaccount {}", env.subaccount),
                "see `novation query orders ACCOUNT --subaccount N` for the open ones",
            )
        })?;
    let market_id = order.get("market").and_then(Value::as_u64);
    let market = env
        .markets
        .iter()
        .find(|m| Some(u64::from(m.id)) == market_id)
        .ok_or_else(|| CliError::BadResponse(format!("an open order in an unknown market: {order}")))?;
    let price_ticks = match price {
        Some(price) => price_to_ticks(price, market.tick_size)?,
        None => order.get("price_ticks").and_then(as_u64).ok_or_else(|| CliError::BadResponse(format!("{order}")))?,
    };
    let size_lots = match size {
        Some(size) => checked_lots(size, market)?,
        None => {
            order.get("remaining_lots").and_then(as_u64).ok_or_else(|| CliError::BadResponse(format!("{order}")))?
        }
    };
    Ok(action::Modify { subaccount: env.subaccount, order_id: OrderId(order_id), price_ticks, size_lots })
}

/// `size` in lots of `market`, refused off the lot grid or below the market's minimum.
pub(crate) fn checked_lots(size: Decimal, market: &MarketInfo) -> CliResult<u64> {
    let lots = size_to_lots(size, market.lot_size)?;
    if lots < market.min_order_lots {
        return Err(CliError::refused(
            format!("size {size} is below {}'s minimum order of {}", market.symbol, market.min_size()),
            format!("use at least {}", market.min_size()),
        ));
    }
    Ok(lots)
}

/// The stop-loss or take-profit `args` asks for. The side of the order placed decides which
/// way the mark must cross: a sell stop-loss (closing a long) fires when the mark falls to
/// the trigger, a sell take-profit when it rises to it, and the reverse for buys.
pub(crate) fn trigger_request(
    subaccount: u16,
    args: &TriggerArgs,
    markets: &[MarketInfo],
) -> CliResult<TriggerRequest> {
    let market = find_market(markets, &args.market)?;
    let trigger_price_ticks = PriceTicks(price_to_ticks(args.trigger_price, market.tick_size)?);
    let condition = match (args.kind, args.side) {
        (TriggerKindArg::StopLoss, SideArg::Sell) | (TriggerKindArg::TakeProfit, SideArg::Buy) => {
            TriggerCondition::MarkAtOrBelow
        }
        (TriggerKindArg::StopLoss, SideArg::Buy) | (TriggerKindArg::TakeProfit, SideArg::Sell) => {
            TriggerCondition::MarkAtOrAbove
        }
    };
    let order_args = OrderArgs {
        market: args.market.clone(),
        side: args.side,
        size: args.size,
        price: args.price,
        ioc: args.ioc,
        fok: false,
        post_only: false,
        reduce_only: !args.allow_increase,
        client_id: args.client_id,
        slippage: args.slippage,
    };
    let order = order_request(subaccount, &order_args, markets)?;
    Ok(TriggerRequest { trigger_price_ticks, condition, order })
}

/// The order request for `args`, with size and price converted exactly to lots and ticks.
pub(crate) fn order_request(subaccount: u16, args: &OrderArgs, markets: &[MarketInfo]) -> CliResult<OrderRequest> {
    let market = find_market(markets, &args.market)?;
    let side = match args.side {
        SideArg::Buy => Side::Buy,
        SideArg::Sell => Side::Sell,
    };
    let size_lots = checked_lots(args.size, market)?;
    let mut request = match args.price {
        Some(price) => {
            let price_ticks = price_to_ticks(price, market.tick_size)?;
            let tif = if args.ioc {
                TimeInForce::ImmediateOrCancel
            } else if args.fok {
                TimeInForce::FillOrKill
            } else if args.post_only {
                TimeInForce::PostOnly
            } else {
                TimeInForce::GoodTillCancel
            };
            OrderRequest::limit(subaccount, MarketId(market.id), side, price_ticks, size_lots).with_time_in_force(tif)
        }
        None => {
            let slippage = match args.slippage {
                Some(percent) => slippage_to_ppm(percent)?,
                None => MARKET_SLIPPAGE_DEFAULT,
            };
            OrderRequest::market(subaccount, MarketId(market.id), side, size_lots, slippage)
        }
    };
    if args.reduce_only {
        request = request.reduce_only();
    }
    if let Some(id) = args.client_id {
        request = request.with_client_id(id);
    }
    Ok(request)
}

/// An address typed as `0x…`, or the address of a stored key of that name.
pub(crate) fn resolve_address(ctx: &Context, text: &str) -> CliResult<Address> {
    if text.starts_with("0x") || text.starts_with("0X") {
        return text.parse().map_err(|e| CliError::Usage(format!("`{text}`: {e}")));
    }
    match KeyStore::new(&ctx.home).load(text) {
        Ok(key) => Ok(key.signer.address()),
        Err(CliError::Input(_)) | Err(CliError::Usage(_)) => Err(CliError::Input(format!(
            "`{text}` is neither a 0x address nor a stored key (see `novation keys list`)"
        ))),
        Err(other) => Err(other),
    }
}

/// The account a history or watch command is about: the one named, or the only stored key.
pub(crate) fn resolve_account_or_only_key(ctx: &Context, account: Option<&str>) -> CliResult<Address> {
    if let Some(account) = account {
        return resolve_address(ctx, account);
    }
    let keys = KeyStore::new(&ctx.home).list()?;
    match keys.as_slice() {
        [only] => Ok(only.signer.address()),
        [] => Err(CliError::Usage("name an account (an address or a stored key): there are no stored keys".into())),
        many => {
            let names: Vec<&str> = many.iter().map(|k| k.name.as_str()).collect();
            Err(CliError::Usage(format!("name an account (an address or a stored key): one of {}", names.join(", "))))
        }
    }
}

/// Polls `nov_getTransaction` until the transaction is included.
fn wait_for_inclusion(rpc: &RpcClient, tx_hash: &str) -> CliResult<Value> {
    let started = Instant::now();
    loop {
        let receipt = rpc.call("nov_getTransaction", json!([tx_hash]))?;
        if receipt.get("status").and_then(Value::as_str) == Some("included") {
            return Ok(receipt);
        }
        if started.elapsed() >= INCLUSION_TIMEOUT {
            let state = if receipt.is_null() { "unknown to the node" } else { "still pending" };
            return Err(CliError::Timeout(format!(
                "transaction {tx_hash} not included after {} s ({state}); check later with the node's \
                 nov_getTransaction",
                INCLUSION_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// The receipt as text: where it was included, its outcome and its events.
pub(crate) fn render_receipt(tx_hash: &str, receipt: &Value, names: &Names<'_>) -> String {
    let result = receipt.get("result").cloned().unwrap_or(Value::Null);
    let outcome = if result.get("ok").and_then(Value::as_bool) == Some(true) {
        "ok".to_string()
    } else {
        let code = result.get("code").map(crate::events::plain).unwrap_or_default();
        let message = result.get("message").map(crate::events::plain).unwrap_or_default();
        let index = result.get("action_index").map(crate::events::plain).unwrap_or_default();
        format!("REJECTED: error {code}: {message} (action {index})")
    };
    let mut out = key_values(&[
        ("transaction", tx_hash.to_string()),
        ("block", receipt.get("height").map(crate::events::plain).unwrap_or_default()),
        ("index", receipt.get("index").map(crate::events::plain).unwrap_or_default()),
        ("result", outcome),
    ]);
    let events = receipt.get("events").and_then(Value::as_array).cloned().unwrap_or_default();
    if !events.is_empty() {
        out.push('\n');
        out.push_str(&events_table(&events, names).render());
    }
    out
}

/// `Ok` if the included transaction applied, else the protocol's error
/// ([`CliError::Rejected`]).
fn check_result(receipt: &Value) -> CliResult<()> {
    let result = receipt.get("result").cloned().unwrap_or(Value::Null);
    if result.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    Err(CliError::Rejected {
        code: result.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: result.get("message").and_then(Value::as_str).unwrap_or("(no message)").to_string(),
        action_index: result.get("action_index").and_then(Value::as_u64),
    })
}

/// A JSON number or decimal string as `u64`.
pub(crate) fn as_u64(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str().and_then(|text| text.parse().ok()))
}

/// Progress on stderr; a closed stderr is not an error.
fn eprintln_quiet(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_types::OrderKind;

    #[test]
    fn an_order_receipt_sums_its_own_fills_as_taker() {
        let fill = |taker: u64, lots: u64, notional: &str| json!({"Fill": {"taker_order": taker, "size_lots": lots, "notional": notional, "taker_fee": "0.5"}});
        let receipt = json!({"events": [
            {"OrderAccepted": {"order_id": 7, "market": 0}},
            fill(7, 10, "60"),
            fill(7, 30, "181"),
            fill(8, 99, "999"),
            {"OrderCancelled": {"order_id": 7, "reason": "Slippage"}},
        ]});
        let fills = order_fills(&receipt, &markets(), true).unwrap();
        assert_eq!(fills.lots, 40);
        assert_eq!(fills.size, "0.004".parse().unwrap());
        let summary = fills.summary().unwrap();
        assert!(summary.contains("filled 0.004 BTC-PERP at an average price of 60250.0"), "{summary}");
        assert!(summary.contains("total 241 USD") && summary.contains("taker fees 1 USD"), "{summary}");
        let nothing = json!({"events": [{"OrderAccepted": {"order_id": 9, "market": 0}},
            {"OrderCancelled": {"order_id": 9, "reason": "Slippage"}}]});
        let unfilled = order_fills(&nothing, &markets(), true).unwrap();
        assert_eq!((unfilled.lots, unfilled.summary()), (0, None));
        assert!(unfilled.why_unfilled().contains("Slippage"));
    }

    fn markets() -> Vec<MarketInfo> {
        vec![MarketInfo::btc_perp_for_tests()]
    }

    fn order(size: &str, price: Option<&str>) -> OrderArgs {
        OrderArgs {
            market: "BTC-PERP".into(),
            side: SideArg::Sell,
            size: size.parse().unwrap(),
            price: price.map(|p| p.parse().unwrap()),
            ioc: false,
            fok: false,
            post_only: true,
            reduce_only: true,
            client_id: Some(9),
            slippage: None,
        }
    }

    #[test]
    fn a_limit_order_is_converted_to_lots_and_ticks() {
        let request = order_request(2, &order("0.25", Some("65000.1")), &markets()).unwrap();
        assert_eq!(
            (request.subaccount, request.market, request.side, request.size_lots.0),
            (2, MarketId(0), Side::Sell, 2500)
        );
        assert_eq!(
            request.kind,
            OrderKind::Limit { price_ticks: novation_types::PriceTicks(650_001), time_in_force: TimeInForce::PostOnly }
        );
        assert!(request.reduce_only);
        assert_eq!(request.client_order_id, Some(9));
    }

    #[test]
    fn an_order_without_a_price_is_a_market_order_bounded_at_one_percent() {
        let request = order_request(0, &order("1", None), &markets()).unwrap();
        assert_eq!(request.kind, OrderKind::Market { max_slippage: Ppm::new(10_000) });
        let mut args = order("1", None);
        args.slippage = Some(Decimal::from_int(3));
        assert_eq!(
            order_request(0, &args, &markets()).unwrap().kind,
            OrderKind::Market { max_slippage: Ppm::new(30_000) }
        );
    }

    #[test]
    fn off_grid_orders_and_unknown_markets_are_refused() {
        assert!(order_request(0, &order("0.00005", Some("1")), &markets()).is_err());
        assert!(order_request(0, &order("1", Some("1.05")), &markets()).is_err());
        let mut args = order("1", None);
        args.market = "XRP-PERP".into();
        assert!(order_request(0, &args, &markets()).unwrap_err().to_string().contains("unknown market"));
    }

    #[test]
    fn a_rejected_receipt_is_an_error_with_its_code() {
        let receipt = json!({"status": "included", "height": 5, "index": 0,
            "result": {"ok": false, "code": 8, "message": "initial margin would not hold", "action_index": 0},
            "events": []});
        let error = check_result(&receipt).unwrap_err();
        assert_eq!(error.to_string(), "transaction rejected: error 8: initial margin would not hold (action 0)");
        let text = render_receipt("0xabc", &receipt, &Names { markets: &markets(), assets: &[] });
        assert!(text.contains("REJECTED: error 8"), "{text}");
        assert!(check_result(&json!({"status": "included", "result": {"ok": true}})).is_ok());
    }
}
