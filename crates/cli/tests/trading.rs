//! End to end, a trader's day on a devnet child process: two demo keys trade, then read their
//! fills, funding and history a page at a time; modify, trigger, transfer, isolate, revoke
//! an agent and send a batch; make every mistake the command can see (each refused with exit
//! code 2 and the nonce unchanged); get a margin refusal explained in numbers; and watch the
//! book and an account once.

use serde_json::Value;

mod common;

use common::{start_devnet, Cli};

#[test]
fn a_trader_reads_history_sends_every_transaction_and_mistakes_never_burn_a_nonce() {
    let home = tempfile::tempdir().unwrap();
    let (devnet, cli) = start_devnet(home.path());

    // demo1 rests a bid; demo2 sells into it.
    let rested =
        cli.ok(&["tx", "--key", "demo1", "order", "BTC-PERP", "buy", "0.01", "--price", "58000", "--client-id", "1"]);
    assert!(rested.contains("order rested"), "{rested}");
    let traded = cli.ok(&["tx", "--key", "demo2", "order", "BTC-PERP", "sell", "0.004", "--price", "58000"]);
    assert!(traded.contains("filled 0.004 BTC-PERP at an average price of 58000"), "{traded}");

    // Fills from each side: side, role, price in the market's precision, size, fee.
    let fills = cli.ok(&["query", "fills", "demo1"]);
    let row = fills.lines().find(|l| l.contains("BTC-PERP")).unwrap_or_else(|| panic!("{fills}"));
    assert!(
        row.contains("buy") && row.contains("maker") && row.contains("58000.0") && row.contains("0.004"),
        "{fills}"
    );
    assert!(fills.contains("realised pnl") && fills.contains("no older records"), "{fills}");
    let fills = cli.ok(&["query", "fills", "demo2"]);
    assert!(fills.lines().any(|l| l.contains("sell") && l.contains("taker")), "{fills}");
    let page = cli.json(&["query", "fills", "demo1"]);
    assert_eq!(page["kind"], "fills");
    assert!(page["records"][0]["event"]["Fill"].is_object(), "{page}");

    // Paging: one record a page, then the next page from the printed cursor.
    let first = cli.ok(&["query", "history", "demo1", "--kind", "all", "--limit", "1"]);
    let cursor = first
        .lines()
        .find_map(|l| l.strip_prefix("next page: --before "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no cursor in:\n{first}"))
        .to_string();
    let second = cli.json(&["query", "history", "demo1", "--kind", "all", "--limit", "1", "--before", &cursor]);
    let first = cli.json(&["query", "history", "demo1", "--kind", "all", "--limit", "1"]);
    assert_ne!(first["records"][0], second["records"][0], "the second page is older");
    assert!(cli.fails(2, &["query", "fills", "demo1", "--before", "yesterday"]).contains("not a cursor"));
    let orders = cli.ok(&["query", "history", "demo1", "--kind", "orders"]);
    assert!(orders.contains("order accepted"), "{orders}");
    let liquidations = cli.ok(&["query", "history", "demo1"]);
    assert!(liquidations.starts_with("liquidations of") && liquidations.contains("(none)"), "{liquidations}");
    let funding = cli.ok(&["query", "funding", "demo1"]);
    assert!(funding.starts_with("funding of"), "{funding}");

    // Modify the rest of the bid; a stop-loss on the long; a transfer; isolation and back.
    let open = cli.json(&["query", "orders", "demo1"]);
    let order_id = open["orders"][0]["order_id"].as_u64().unwrap().to_string();
    let modified = cli.ok(&["tx", "--key", "demo1", "modify", &order_id, "--price", "57900"]);
    assert!(modified.contains("order modified"), "{modified}");
    let orders = cli.ok(&["query", "orders", "demo1"]);
    assert!(orders.contains("57900.0") && orders.contains("0.006"), "{orders}");
    let trigger =
        cli.ok(&["tx", "--key", "demo1", "trigger", "stop-loss", "BTC-PERP", "sell", "0.004", "--trigger", "55000"]);
    assert!(trigger.contains("trigger placed"), "{trigger}");
    let moved = cli.ok(&["tx", "--key", "demo1", "transfer", "USD", "100", "--to", "1"]);
    assert!(moved.contains("transferred"), "{moved}");
    let sub1 = cli.json(&["query", "account", "demo1", "--subaccount", "1"]);
    assert_eq!(sub1["balances"][0]["amount"], "100", "{sub1}");
    assert!(cli
        .ok(&["tx", "--key", "demo1", "--subaccount", "1", "isolated", "--market", "BTC-PERP"])
        .contains("result       ok"));
    let sub1 = cli.json(&["query", "account", "demo1", "--subaccount", "1"]);
    assert_eq!(sub1["isolated_market"], 0, "{sub1}");
    assert!(cli.ok(&["tx", "--key", "demo1", "--subaccount", "1", "isolated", "--cross"]).contains("result       ok"));
    cli.ok(&["tx", "--key", "demo1", "authorize-agent", "demo3"]);
    let revoked = cli.ok(&["tx", "--key", "demo1", "revoke-agent", "demo3"]);
    assert!(revoked.contains("agent revoked"), "{revoked}");
    let refused = cli.fails(1, &["tx", "--key", "demo3", "--account", "demo1", "cancel-all"]);
    assert!(refused.contains("error 33") && refused.contains("hint: authorise this key"), "{refused}");

    // A batch applies whole, or not at all.
    let batch = home.path().join("batch.json");
    std::fs::write(
        &batch,
        r#"[{"place": {"market": "BTC-PERP", "side": "buy", "size": "0.001", "price": "57000", "client_id": 21}},
            {"place": {"market": "ETH-PERP", "side": "sell", "size": "0.01", "price": "3150", "time_in_force": "post-only"}},
            {"cancel": {"client_id": 1}}]"#,
    )
    .unwrap();
    let applied = cli.ok(&["tx", "--key", "demo1", "batch", batch.to_str().unwrap()]);
    assert_eq!(applied.matches("order accepted").count(), 2, "{applied}");
    assert!(applied.contains("order cancelled"), "{applied}");
    let before = cli.json(&["query", "orders", "demo1"])["orders"].as_array().unwrap().len();
    std::fs::write(
        &batch,
        r#"[{"place": {"market": "BTC-PERP", "side": "buy", "size": "0.001", "price": "57000", "client_id": 22}},
            {"cancel": {"order_id": 987654321}}]"#,
    )
    .unwrap();
    let rejected = cli.fails(1, &["tx", "--key", "demo1", "batch", batch.to_str().unwrap()]);
    assert!(rejected.contains("error 14"), "{rejected}");
    assert_eq!(cli.json(&["query", "orders", "demo1"])["orders"].as_array().unwrap().len(), before, "none applied");

    // Mistakes the command can see: exit code 2, nothing sent, the nonce unchanged.
    let nonce = cli.nonce("demo1");
    std::fs::write(
        &batch,
        r#"[{"place": {"market": "BTC-PERP", "side": "buy", "size": "0.001", "price": "57000.05"}}]"#,
    )
    .unwrap();
    let batch_path = batch.to_str().unwrap().to_string();
    let mistakes: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--subaccount", "200", "deposit", "USD", "1"], "subaccount 200 is out of range"),
        (vec!["order", "BTC-PERP", "buy", "0.001", "--price", "58000.05"], "not a multiple of the tick size"),
        (vec!["order", "BTC-PERP", "buy", "0.00015", "--price", "58000"], "not a multiple of the lot size"),
        (vec!["order", "DOGE-PERP", "buy", "1"], "unknown market `DOGE-PERP`"),
        (vec!["withdraw", "USD", "100000000"], "cannot withdraw 100000000 USD"),
        (vec!["transfer", "USD", "100000000", "--to", "2"], "cannot transfer 100000000 USD"),
        (vec!["transfer", "USD", "1", "--to", "0"], "is the source subaccount itself"),
        (vec!["transfer", "USD", "1", "--to", "500"], "subaccount 500 is out of range"),
        (vec!["modify", "987654321", "--price", "58000"], "order 987654321 is not open"),
        (vec!["trigger", "take-profit", "BTC-PERP", "sell", "0.004", "--trigger", "70000.01"], "tick size"),
        (vec!["isolated", "--market", "ETH-PERP"], "only when flat"),
        (vec!["batch", &batch_path], "entry 0: price 57000.05"),
    ];
    for (args, expected) in &mistakes {
        let full = [&["tx", "--key", "demo1"][..], args].concat();
        let stderr = cli.fails(2, &full);
        assert!(stderr.contains(expected) && stderr.contains("nothing was sent"), "{full:?}: {stderr}");
        assert!(stderr.contains("hint: "), "{full:?}: {stderr}");
    }
    let json = cli.fails(2, &["--json", "tx", "--key", "demo1", "withdraw", "USD", "100000000"]);
    let error: Value = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(error["error"]["code"], "refused_locally", "{error}");
    assert!(error["error"]["hint"].is_string(), "{error}");
    assert_eq!(cli.nonce("demo1"), nonce, "no mistake used a nonce");
    let query = cli.fails(2, &["query", "account", "demo1", "--subaccount", "128"]);
    assert!(query.contains("subaccount 128 is out of range"), "{query}");

    // The node refuses for margin: the numbers and a hint.
    cli.ok(&["keys", "new", "--name", "poor"]);
    cli.ok(&["tx", "--key", "poor", "deposit", "USD", "10"]);
    cli.ok(&["tx", "--key", "poor", "order", "BTC-PERP", "buy", "0.001", "--price", "58000"]);
    let withdraw = cli.fails(1, &["tx", "--key", "poor", "withdraw", "USD", "9"]);
    assert!(withdraw.contains("error 8") && withdraw.contains("USD, asked for 9 USD"), "{withdraw}");
    assert!(withdraw.contains("hint: take out at most the free collateral"), "{withdraw}");
    let poor = cli.fails(1, &["tx", "--key", "poor", "order", "BTC-PERP", "buy", "1", "--price", "58000"]);
    assert!(poor.contains("error 8") && poor.contains("free collateral "), "{poor}");
    assert!(poor.contains("needs about") && poor.contains("hint: deposit more or reduce size"), "{poor}");
    let poor = cli.fails(1, &["--json", "tx", "--key", "poor", "order", "BTC-PERP", "buy", "1", "--price", "58000"]);
    let error: Value = serde_json::from_str(poor.trim()).unwrap_or_else(|e| panic!("{e}: {poor}"));
    assert_eq!((error["error"]["code"].as_str(), error["error"]["node_code"].as_i64()), (Some("rejected"), Some(8)));

    // Human units in the account view and the markets.
    let account = cli.ok(&["query", "account", "demo1"]);
    let leverage = account.lines().find(|l| l.starts_with("leverage")).unwrap_or_else(|| panic!("{account}"));
    assert!(leverage.trim_end().ends_with('x'), "{account}");
    let markets = cli.ok(&["query", "markets"]);
    assert!(markets.contains("taker fee") && markets.contains("0.05%"), "{markets}");

    // One frame of each live view, from the WebSocket (host:port and ws:// forms).
    let book = cli.ok(&["watch", "book", "BTC-PERP", "--once"]);
    assert!(book.starts_with("height ") && book.contains("BTC-PERP order book") && book.contains("57000.0"), "{book}");
    assert!(!book.contains('\x1b'), "--once does not clear the screen");
    let ws = Cli { home: cli.home.clone(), rpc: cli.rpc.replace("http://", "ws://") };
    let view = ws.ok(&["watch", "account", "demo1", "--once"]);
    assert!(view.contains("balances") && view.contains("open orders of") && view.contains("latest events"), "{view}");
    assert!(view.contains("fill") || view.contains("order"), "{view}");
    drop(devnet);
}
