//! `novation watch book | account`: a live terminal view, redrawn (clear screen, then the
//! frame) whenever the node's WebSocket subscription sends a message, until Ctrl-C.
//!
//! ```text
//!  watch book M     nov_subscribeBook [M]        ──▶ each message is the book: redraw it
//!  watch account A  nov_subscribeAccount [A]     ──▶ each message is the block's events of A:
//!                                                    redraw the account (nov_getAccount,
//!                                                    nov_getOpenOrders) and its latest events
//! ```
//!
//! The subscription runs over plain `ws://` (the node serves WebSocket and HTTP on one port).
//! Behind TLS (`https://`, `wss://`), or with `--poll`, the view polls the same data over
//! HTTP(S) once a second instead, so every `--rpc` form works. `--once` prints the first frame without clearing the
//! screen and exits: for scripts and tests.

use std::time::Duration;

use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use jsonrpsee_ws_client::{WsClient, WsClientBuilder};
use serde_json::{json, Value};

use crate::cli::{WatchArgs, WatchCommand};
use crate::error::{CliError, CliResult};
use crate::events::Names;
use crate::markets::{fetch_assets, fetch_markets, find_market, AssetInfo, MarketInfo};
use crate::rpc::{http_url, RpcClient};
use crate::Context;

/// ANSI: clear the screen and move the cursor home.
const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";
/// How often the TLS fallback polls.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How many of an account's latest events its view shows.
const RECENT_EVENTS: usize = 10;
/// How long to wait for the WebSocket connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `novation watch`.
pub(crate) fn run(ctx: &Context, command: &WatchCommand) -> CliResult<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Node(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        tokio::select! {
            result = watch(ctx, command) => result,
            _ = tokio::signal::ctrl_c() => {
                ctx.print("\n");
                Ok(())
            }
        }
    })
}

/// The `ws://` address of the node, or `None` behind TLS (polled over HTTPS instead).
pub(crate) fn ws_url(rpc: &str) -> Option<String> {
    http_url(rpc).strip_prefix("http://").map(|rest| format!("ws://{rest}"))
}

/// Where the frames come from.
enum Feed {
    /// A live subscription.
    Live(WsClient, Subscription<Value>),
    /// Polling over HTTPS.
    Poll,
}

/// Subscribes to `method` over the WebSocket, or (behind TLS or with `--poll`) chooses polling.
async fn subscribe(ctx: &Context, poll: bool, method: &str, params: Value, unsubscribe: &str) -> CliResult<Feed> {
    let Some(url) = ws_url(&ctx.rpc).filter(|_| !poll) else { return Ok(Feed::Poll) };
    let client = WsClientBuilder::default()
        .connection_timeout(CONNECT_TIMEOUT)
        .build(&url)
        .await
        .map_err(|e| CliError::Unreachable { url: url.clone(), detail: e.to_string() })?;
    let params = match params {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut builder = jsonrpsee::core::params::ArrayParams::new();
    for item in params {
        builder.insert(item).map_err(|e| CliError::BadResponse(format!("params: {e}")))?;
    }
    let subscription = client
        .subscribe::<Value, _>(method, builder, unsubscribe)
        .await
        .map_err(|e| CliError::BadResponse(format!("{method}: {e}")))?;
    Ok(Feed::Live(client, subscription))
}

/// The next message of a live feed (`None` when the node closed it).
async fn next_message(subscription: &mut Subscription<Value>) -> CliResult<Option<Value>> {
    match subscription.next().await {
        Some(Ok(message)) => Ok(Some(message)),
        Some(Err(e)) => Err(CliError::BadResponse(format!("a subscription message: {e}"))),
        None => Ok(None),
    }
}

/// Resolves what to watch, then runs its view until Ctrl-C (or one frame with `--once`).
async fn watch(ctx: &Context, command: &WatchCommand) -> CliResult<()> {
    let rpc = RpcClient::new(&ctx.rpc);
    match command {
        WatchCommand::Book { market, depth, watch } => {
            let markets = fetch_markets(&rpc)?;
            let market = find_market(&markets, market)?.clone();
            watch_book(ctx, &rpc, &market, *depth, watch).await
        }
        WatchCommand::Account { account, subaccount, watch } => {
            crate::tx::check_subaccount(*subaccount, "--subaccount")?;
            let address = crate::tx::resolve_account_or_only_key(ctx, account.as_deref())?.to_string();
            let markets = fetch_markets(&rpc)?;
            let assets = fetch_assets(&rpc);
            let view = AccountView { address, subaccount: *subaccount, markets: &markets, assets: &assets };
            watch_account(ctx, &rpc, &view, watch).await
        }
    }
}

/// Prints a frame: with `once` as is, else over a cleared screen.
fn show(ctx: &Context, frame: &str, once: bool) {
    if once {
        ctx.print(frame);
    } else {
        ctx.print(&format!("{CLEAR_SCREEN}{frame}"));
    }
}

/// The book view: a frame per subscription message, or per new height when polling.
async fn watch_book(ctx: &Context, rpc: &RpcClient, market: &MarketInfo, depth: u32, how: &WatchArgs) -> CliResult<()> {
    let once = how.once;
    match subscribe(ctx, how.poll, "nov_subscribeBook", json!([market.id]), "nov_unsubscribeBook").await? {
        Feed::Live(_client, mut subscription) => {
            while let Some(book) = next_message(&mut subscription).await? {
                show(ctx, &book_frame(&book, market, depth), once);
                if once {
                    return Ok(());
                }
            }
            Err(CliError::Node("the node closed the book subscription".into()))
        }
        Feed::Poll => {
            let mut last_height = None;
            loop {
                let book = rpc.call("nov_getBook", json!([market.id, depth]))?;
                let height = book.get("height").cloned();
                if height != last_height {
                    show(ctx, &book_frame(&book, market, depth), once);
                    if once {
                        return Ok(());
                    }
                    last_height = height;
                }
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    }
}

/// One frame of the book view: a title line, then the book cut to `depth` levels a side.
pub(crate) fn book_frame(book: &Value, market: &MarketInfo, depth: u32) -> String {
    let mut cut = book.clone();
    for side in ["bids", "asks"] {
        if let Some(levels) = cut.get_mut(side).and_then(Value::as_array_mut) {
            levels.truncate(depth as usize);
        }
    }
    let height = book.get("height").map(crate::events::plain).unwrap_or_else(|| "-".into());
    format!("height {height} · Ctrl-C to stop\n{}", crate::query::render_book(&cut, market))
}

/// What the account view shows and how to name things in it.
struct AccountView<'a> {
    address: String,
    subaccount: u16,
    markets: &'a [MarketInfo],
    assets: &'a [AssetInfo],
}

/// The account view: a frame at once, then one per block that touches the account.
async fn watch_account(ctx: &Context, rpc: &RpcClient, view: &AccountView<'_>, how: &WatchArgs) -> CliResult<()> {
    let once = how.once;
    let feed =
        subscribe(ctx, how.poll, "nov_subscribeAccount", json!([view.address]), "nov_unsubscribeAccount").await?;
    // The latest events first from the store, then as the subscription pushes them.
    let page = rpc.call("nov_getAccountHistory", json!([view.address, {"limit": RECENT_EVENTS}]))?;
    let mut recent: Vec<Value> = page.get("records").and_then(Value::as_array).cloned().unwrap_or_default();
    show(ctx, &account_frame(rpc, view, &recent)?, once);
    if once {
        return Ok(());
    }
    match feed {
        Feed::Live(_client, mut subscription) => {
            while let Some(message) = next_message(&mut subscription).await? {
                let mut records: Vec<Value> = message.as_array().cloned().unwrap_or_else(|| vec![message]);
                records.reverse();
                records.append(&mut recent);
                records.truncate(RECENT_EVENTS);
                recent = records;
                show(ctx, &account_frame(rpc, view, &recent)?, once);
            }
            Err(CliError::Node("the node closed the account subscription".into()))
        }
        Feed::Poll => loop {
            tokio::time::sleep(POLL_INTERVAL).await;
            let page = rpc.call("nov_getAccountHistory", json!([view.address, {"limit": RECENT_EVENTS}]))?;
            recent = page.get("records").and_then(Value::as_array).cloned().unwrap_or_default();
            show(ctx, &account_frame(rpc, view, &recent)?, once);
        },
    }
}

/// One frame of the account view: balances, positions and health, open orders, and the
/// latest events (newest first).
fn account_frame(rpc: &RpcClient, view: &AccountView<'_>, recent: &[Value]) -> CliResult<String> {
    let account = rpc.call("nov_getAccount", json!([view.address, view.subaccount]))?;
    let orders = rpc.call("nov_getOpenOrders", json!([view.address, view.subaccount]))?;
    let height = account.get("height").map(crate::events::plain).unwrap_or_else(|| "-".into());
    let mut out = format!("height {height} · Ctrl-C to stop\n");
    out.push_str(&crate::query::render_account(&view.address, view.subaccount, &account, view.markets));
    out.push('\n');
    out.push_str(&crate::query::render_orders(&view.address, view.subaccount, &orders, view.markets));
    out.push_str("\nlatest events, newest first\n");
    let names = Names { markets: view.markets, assets: view.assets };
    let table = crate::history::events_table(recent, &names);
    out.push_str(&if table.is_empty() { "(none)\n".to_string() } else { table.render() });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_addresses_subscribe_over_ws_and_tls_ones_poll() {
        assert_eq!(ws_url("127.0.0.1:8545").as_deref(), Some("ws://127.0.0.1:8545"));
        assert_eq!(ws_url("http://127.0.0.1:8545").as_deref(), Some("ws://127.0.0.1:8545"));
        assert_eq!(ws_url("ws://node:1").as_deref(), Some("ws://node:1"));
        assert_eq!(ws_url("wss://node.example"), None);
        assert_eq!(ws_url("https://node.example"), None);
    }

    #[test]
    fn a_book_frame_is_cut_to_its_depth() {
        let market = MarketInfo {
            id: 0,
            symbol: "BTC-PERP".into(),
            tick_size: "0.1".parse().unwrap(),
            lot_size: "0.0001".parse().unwrap(),
            ..Default::default()
        };
        let level = |ticks: u64| json!({"price_ticks": ticks, "size_lots": 10, "orders": 1});
        let book = json!({"market": 0, "height": 12, "bids": [level(599_990), level(599_980)],
            "asks": [level(600_010), level(600_020)]});
        let frame = book_frame(&book, &market, 1);
        assert!(frame.starts_with("height 12 · Ctrl-C to stop\nBTC-PERP order book"), "{frame}");
        assert!(frame.contains("59999.0") && frame.contains("60001.0"), "{frame}");
        assert!(!frame.contains("59998") && !frame.contains("60002"), "{frame}");
    }
}
