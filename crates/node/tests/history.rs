//! History from the store, as a trader reads it: fills with fees and realised PnL, order and
//! collateral events, a market's trades and candles, paged newest first; the same after a
//! restart, even after the history store is deleted (it is rebuilt from the blocks); a
//! transaction's status by hash and a subscription that pushes its inclusion; and a
//! subscription resumed from a height that misses nothing.

use std::time::Duration;

use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee_ws_client::WsClientBuilder;
use novation_protocol::presets::{BTC_PERP, USD};
use novation_tx::Eip712Signer;
use novation_types::{action, Action, OrderAction, OrderRequest, Side, TimeInForce};
use serde_json::{json, Value};

mod common;
use common::*;

fn deposit(amount: &str) -> Action {
    Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: amount.parse().unwrap() })
}

async fn rpc_error(client: &HttpClient, method: &str, params: jsonrpsee::core::params::ArrayParams) -> String {
    match client.request::<Value, _>(method, params).await {
        Ok(value) => panic!("{method} answered {value}"),
        Err(error) => error.to_string(),
    }
}

/// Fills of `address` on every page, following `next`, `limit` at a time.
async fn all_fill_pages(client: &HttpClient, address: &str, limit: u64) -> Vec<Value> {
    all_pages(client, address, "fills", limit).await
}

/// Every record of `address`'s history of `kind`, `limit` a page, following the cursors.
async fn all_pages(client: &HttpClient, address: &str, kind: &str, limit: u64) -> Vec<Value> {
    let mut records = Vec::new();
    let mut before = Value::Null;
    for _ in 0..100 {
        let options = json!({"kind": kind, "limit": limit, "before": before});
        let page = call(client, "nov_getAccountHistory", rpc_params![address, options]).await;
        let items = page["records"].as_array().unwrap();
        assert!(items.len() as u64 <= limit, "{page}");
        records.extend(items.iter().cloned());
        if page["next"].is_null() {
            return records;
        }
        before = page["next"].clone();
    }
    panic!("paging did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_trades_candles_and_transaction_status_come_from_the_store_and_survive_a_restart() {
    let dir = temp_dir("history");
    // A snapshot every 5 blocks: after the restart, the early transactions are known only to
    // the store's history, not to the replayed blocks.
    let running = devnet_with_snapshots(&dir, true, 5).await;
    let url = format!("http://{}", running.rpc_addr);
    let client = HttpClientBuilder::default().build(&url).unwrap();
    let maker = Eip712Signer::from_seed([61; 32]);
    let taker = Eip712Signer::from_seed([62; 32]);
    let (maker_address, taker_address) = (maker.address().to_string(), taker.address().to_string());

    let funded = send(&client, &maker, vec![deposit("100000")]).await;
    assert_eq!(included(&client, &funded).await["result"]["ok"], true);
    let taker_funded = send(&client, &taker, vec![deposit("100000")]).await;
    assert_eq!(included(&client, &taker_funded).await["result"]["ok"], true);

    // Three resting bids just under the mark, then one sell that takes all three.
    let price = btc_mark_ticks(&client).await * 99 / 100;
    let bids: Vec<Action> = (0..3)
        .map(|i| {
            let order = OrderRequest::limit(0, BTC_PERP, Side::Buy, price - i, 10).with_client_id(100 + i);
            Action::Order(OrderAction::Place(order))
        })
        .collect();
    let placed = send(&client, &maker, bids).await;
    assert_eq!(included(&client, &placed).await["result"]["ok"], true);
    let sell =
        OrderRequest::limit(0, BTC_PERP, Side::Sell, price - 2, 30).with_time_in_force(TimeInForce::ImmediateOrCancel);
    let sold = send(&client, &taker, vec![Action::Order(OrderAction::Place(sell))]).await;
    let sold = included(&client, &sold).await;
    assert_eq!(sold["result"]["ok"], true, "{sold}");
    let fill_height = sold["height"].as_u64().unwrap();

    // The taker's fills: three, newest first, in the market's units, with fees.
    let fills = call(&client, "nov_getFills", rpc_params![taker_address.clone()]).await;
    let records = fills["records"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{fills}");
    assert!(fills["next"].is_null(), "{fills}");
    for record in records {
        let fill = &record["event"]["Fill"];
        assert_eq!(fill["taker"]["owner"], json!(taker_address), "{record}");
        assert_eq!(fill["maker"]["owner"], json!(maker_address), "{record}");
        assert_eq!(record["height"], json!(fill_height));
        assert_eq!(record["market"], "BTC-PERP");
        let ticks = fill["price_ticks"].as_u64().unwrap();
        let shown: novation_math::Decimal = record["price"].as_str().unwrap().parse().unwrap();
        assert_eq!(shown, novation_math::Decimal::from_units(ticks as i128, "0.1".parse().unwrap()).unwrap());
        assert!(fill["taker_fee"].as_str().unwrap().parse::<novation_math::Decimal>().unwrap().is_positive());
    }
    let seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first: {seqs:?}");
    // The best bid filled first, so it is the oldest record.
    assert_eq!(records[2]["event"]["Fill"]["price_ticks"], json!(price));

    // Paged one at a time: the same three, none twice.
    let paged = all_fill_pages(&client, &taker_address, 1).await;
    assert_eq!(&paged, records);
    let paged = all_fill_pages(&client, &maker_address, 2).await;
    assert_eq!(paged.len(), 3);

    // Kinds: the maker's orders, the taker's collateral; bad kinds and options are refused.
    let orders =
        call(&client, "nov_getAccountHistory", rpc_params![maker_address.clone(), json!({"kind": "orders"})]).await;
    let accepted =
        orders["records"].as_array().unwrap().iter().filter(|r| r["event"]["OrderAccepted"].is_object()).count();
    assert_eq!(accepted, 3, "{orders}");
    let collateral =
        call(&client, "nov_getAccountHistory", rpc_params![taker_address.clone(), json!({"kind": "collateral"})]).await;
    assert_eq!(collateral["records"][0]["event"]["Deposited"]["amount"], "100000", "{collateral}");
    // All of the maker's events: every kind's, merged newest first, each once, the same
    // whatever the page size.
    let everything = all_pages(&client, &maker_address, "all", 100).await;
    let mut by_kind = Vec::new();
    for kind in ["fills", "funding", "liquidations", "orders", "collateral"] {
        by_kind.extend(all_pages(&client, &maker_address, kind, 100).await);
    }
    let position = |r: &Value| (r["height"].as_u64().unwrap(), r["seq"].as_u64().unwrap());
    by_kind.sort_by_key(|r| std::cmp::Reverse(position(r)));
    assert!(by_kind.iter().all(|r| everything.contains(r)), "every kind's events are in all");
    assert!(everything.windows(2).all(|w| position(&w[0]) > position(&w[1])), "newest first, none twice");
    assert!(everything.iter().any(|r| r["event"]["Fill"].is_object()));
    assert!(everything.iter().any(|r| r["event"]["Deposited"].is_object()));
    assert_eq!(all_pages(&client, &maker_address, "all", 2).await, everything);
    let funding = call(&client, "nov_getFunding", rpc_params![taker_address.clone()]).await;
    assert!(funding["records"].is_array(), "{funding}");
    let liquidations = call(&client, "nov_getLiquidations", rpc_params![taker_address.clone()]).await;
    assert_eq!(liquidations["records"], json!([]));
    let error =
        rpc_error(&client, "nov_getAccountHistory", rpc_params![taker_address.clone(), json!({"kind": "x"})]).await;
    assert!(error.contains("kind: one of all, fills"), "{error}");
    let error = rpc_error(&client, "nov_getFills", rpc_params![taker_address.clone(), json!({"kind": "fills"})]).await;
    assert!(error.contains("unknown option") && error.contains("kind"), "{error}");
    let error = rpc_error(&client, "nov_getFills", rpc_params![taker_address.clone(), json!({"before": "1:x"})]).await;
    assert!(error.contains("before"), "{error}");

    // The market's trades and a one-minute candle holding all three.
    let trades = call(&client, "nov_getTrades", rpc_params!["BTC-PERP", 10]).await;
    assert_eq!(trades.as_array().unwrap().len(), 3, "{trades}");
    let candles = call(&client, "nov_getCandles", rpc_params!["BTC-PERP", "1m"]).await;
    let candles = candles.as_array().unwrap();
    let total: u64 = candles.iter().map(|c| c["trades"].as_u64().unwrap()).sum();
    assert_eq!(total, 3, "{candles:?}");
    let last = candles.last().unwrap();
    let number = |key: &str| last[key].as_str().unwrap().parse::<novation_math::Decimal>().unwrap();
    assert!(number("low") <= number("open") && number("open") <= number("high"), "{last}");
    assert!(number("low") <= number("close") && number("close") <= number("high"), "{last}");
    assert_eq!(number("volume"), "0.003".parse().unwrap(), "{last}");
    let error = rpc_error(&client, "nov_getCandles", rpc_params!["BTC-PERP", "7m"]).await;
    assert!(error.contains("interval, one of 1m"), "{error}");

    // A transaction's status: included, pending or unknown; and a subscription that pushes
    // the inclusion of one sent after it started.
    let unknown = call(&client, "nov_getTransaction", rpc_params![format!("0x{}", "ab".repeat(32))]).await;
    assert_eq!(unknown["status"], "unknown");
    let ws = WsClientBuilder::default().build(format!("ws://{}", running.rpc_addr)).await.unwrap();
    let hash = send(&client, &taker, vec![deposit("1")]).await;
    let mut inclusion: Subscription<Value> = ws
        .subscribe("nov_subscribeTransaction", rpc_params![hash.clone()], "nov_unsubscribeTransaction")
        .await
        .unwrap();
    let mut pushed = Value::Null;
    for _ in 0..2 {
        let message = tokio::time::timeout(Duration::from_secs(10), inclusion.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(message["tx_hash"], json!(hash));
        if message["status"] == "included" {
            pushed = message;
            break;
        }
        assert_eq!(message["status"], "pending", "{message}");
    }
    assert_eq!(pushed["result"]["ok"], true, "{pushed}");

    // Resuming the taker's account feed from height 1 replays its past first, in order.
    let mut feed: Subscription<Value> = ws
        .subscribe("nov_subscribeAccount", rpc_params![taker_address.clone(), 1], "nov_unsubscribeAccount")
        .await
        .unwrap();
    let mut replayed = Vec::new();
    while replayed.len() < 5 {
        let batch = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.unwrap().unwrap().unwrap();
        replayed.extend(batch.as_array().unwrap().iter().cloned());
    }
    assert!(replayed[0]["event"]["Deposited"].is_object(), "{:?}", replayed[0]);
    let heights: Vec<u64> = replayed.iter().map(|r| r["height"].as_u64().unwrap()).collect();
    assert!(heights.windows(2).all(|w| w[0] <= w[1]), "{heights:?}");
    assert!(replayed.iter().any(|r| r["event"]["Fill"].is_object()));
    let error = ws
        .subscribe::<Value, _>("nov_subscribeBlocks", rpc_params![0], "nov_unsubscribeBlocks")
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("from_height"), "{error}");
    drop(ws);

    // After a restart: the same fills, and the first deposit still found by its hash — even
    // with the history store deleted, which is rebuilt from the block log.
    let node = running.stop().await;
    drop(node);
    std::fs::remove_file(dir.join("history.redb")).unwrap();
    let running = devnet_with_snapshots(&dir, false, 5).await;
    let client = HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();
    let again = call(&client, "nov_getFills", rpc_params![taker_address.clone()]).await;
    assert_eq!(again["records"], fills["records"]);
    let deposit = call(&client, "nov_getTransaction", rpc_params![funded]).await;
    assert_eq!(deposit["status"], "included", "{deposit}");
    assert_eq!(deposit["result"]["ok"], true);

    // A history store overwritten with junk does not stop the node: it is set aside and
    // indexed again.
    drop(running.stop().await);
    std::fs::write(dir.join("history.redb"), b"not a database, just junk bytes").unwrap();
    let running = devnet_with_snapshots(&dir, false, 5).await;
    let client = HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();
    let again = call(&client, "nov_getFills", rpc_params![taker_address.clone()]).await;
    assert_eq!(again["records"], fills["records"]);
    let aside = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok);
    assert!(aside.into_iter().any(|e| e.file_name().to_string_lossy().starts_with("history.redb.unusable-")));

    // A history store in another row layout (an older node's) is set aside and indexed
    // again too, rather than read wrongly.
    drop(running.stop().await);
    novation_store::Store::open(dir.join("history.redb")).unwrap().put_meta("history_layout", &[1]).unwrap();
    let running = devnet_with_snapshots(&dir, false, 5).await;
    let client = HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();
    let again = call(&client, "nov_getFills", rpc_params![taker_address.clone()]).await;
    assert_eq!(again["records"], fills["records"]);
    let aside = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok);
    let unusable = aside.filter(|e| e.file_name().to_string_lossy().starts_with("history.redb.unusable-")).count();
    assert_eq!(unusable, 2, "the old layout's store is kept aside");
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
