//! `GET /ws`: Hyperliquid's WebSocket, for the subscriptions `allMids`, `l2Book`, `trades`
//! and `candle`, the account subscriptions `userFills`, `orderUpdates` and `userEvents`
//! ([`user`]), `ping`, and `post` ([`post`]: an info request or a signed action over the
//! socket, answered as `/info` and `/exchange` answer).
//!
//! ```text
//!  client ─ {"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}} ─►
//!        ◄─ {"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":…}}
//!        ◄─ {"channel":"l2Book","data":{coin,time,levels}}   now, then after every block
//!  client ─ {"method":"ping"} ─►   ◄─ {"channel":"pong"}
//! ```
//!
//! After each block the node commits, every subscription gets its update: `allMids` the
//! mids, `l2Book` the book when it changed, `trades` the block's fills of the coin, `candle`
//! the interval's latest candle when it changed. A new
//! `trades` subscription first gets the coin's latest trades (at most
//! [`TRADES_SNAPSHOT_MAX`]). Bounded like the HTTP side: messages of at most
//! [`CLIENT_MESSAGE_MAX_BYTES`], at most [`SUBSCRIPTIONS_MAX`] subscriptions per connection,
//! and a client that stops reading is dropped once [`OUTBOX_MAX`] messages wait for it — a
//! slow reader never slows a block.

mod post;
mod user;

use std::collections::BTreeMap;

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use novation_node::{Node, PastEvent};
use novation_types::{Event, Side, SubaccountId};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

use crate::info::market::{book_json, known_coin, mids};
use crate::wire::{self, number, Coin};

/// Largest message a client may send.
pub(crate) const CLIENT_MESSAGE_MAX_BYTES: usize = 64 * 1024;
/// Most subscriptions one connection holds.
pub(crate) const SUBSCRIPTIONS_MAX: usize = 64;
/// Most messages waiting to be written to one client before it is dropped.
pub(crate) const OUTBOX_MAX: usize = 1_024;
/// Most trades sent when a `trades` subscription starts.
pub(crate) const TRADES_SNAPSHOT_MAX: usize = 10;
/// Most trades of one coin sent for one block.
const TRADES_PER_BLOCK_MAX: usize = 1_000;

type Socket = Compat<TokioIo<Upgraded>>;

/// One subscription, by what it names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Topic {
    AllMids,
    L2Book(String),
    Trades(String),
    Candle(String, String),
    UserFills(SubaccountId),
    OrderUpdates(SubaccountId),
    UserEvents(SubaccountId),
}

impl Topic {
    fn parse(subscription: &Value) -> Result<Topic, String> {
        let kind = subscription.get("type").and_then(Value::as_str).unwrap_or("");
        let coin = || {
            subscription
                .get("coin")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("{kind} needs a coin"))
        };
        match kind {
            "allMids" => Ok(Topic::AllMids),
            "l2Book" => Ok(Topic::L2Book(coin()?)),
            "trades" => Ok(Topic::Trades(coin()?)),
            "candle" => {
                let interval = subscription.get("interval").and_then(Value::as_str).unwrap_or("");
                if !wire::CANDLE_INTERVALS.contains(&interval) {
                    return Err(format!(
                        "candle interval {interval:?} is not one of {}",
                        wire::CANDLE_INTERVALS.join(", ")
                    ));
                }
                Ok(Topic::Candle(coin()?, interval.to_string()))
            }
            "userFills" => Ok(Topic::UserFills(user::account(subscription)?)),
            "orderUpdates" => Ok(Topic::OrderUpdates(user::account(subscription)?)),
            "userEvents" => Ok(Topic::UserEvents(user::account(subscription)?)),
            other => Err(format!(
                "subscription type {other:?} is not served (allMids, l2Book, trades, candle, userFills, orderUpdates, userEvents)"
            )),
        }
    }
}

/// Serves one upgraded connection until the client leaves, falls too far behind, or the
/// gateway stops (`stopped` changes or its sender is dropped).
pub(crate) async fn serve(
    node: Node,
    server: soketto::handshake::http::Server,
    upgraded: Upgraded,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut builder = server.into_builder(TokioIo::new(upgraded).compat());
    builder.set_max_message_size(CLIENT_MESSAGE_MAX_BYTES);
    let (mut sender, receiver) = builder.finish();
    let (inbox_tx, mut inbox) = mpsc::channel::<(Value, String)>(64);
    let reader = tokio::spawn(read_messages(receiver, inbox_tx));
    let (outbox_tx, outbox) = mpsc::channel::<String>(OUTBOX_MAX);
    let writer = tokio::spawn(async move {
        let mut outbox = outbox;
        while let Some(text) = outbox.recv().await {
            if sender.send_text_owned(text).await.is_err() || sender.flush().await.is_err() {
                break;
            }
        }
        let _ = sender.close().await;
    });
    let mut heights = node.block_heights();
    let mut session =
        Session { node, topics: BTreeMap::new(), outbox: outbox_tx, last_height: 0, posts: Default::default() };
    session.last_height = session.node.height();
    loop {
        let keep_going = tokio::select! {
            _ = stopped.changed() => false,
            message = inbox.recv() => match message {
                Some((message, raw)) => session.on_message(&message, &raw).await,
                None => false,
            },
            height = heights.next() => match height {
                Some(height) => session.on_block(height).await,
                None => false,
            },
        };
        if !keep_going {
            break;
        }
    }
    reader.abort();
    drop(session);
    let _ = writer.await;
}

/// Forwards the client's text messages, parsed, until it leaves or sends something that
/// is not JSON text (answered by closing).
async fn read_messages(mut receiver: soketto::connection::Receiver<Socket>, inbox: mpsc::Sender<(Value, String)>) {
    let mut data = Vec::new();
    loop {
        data.clear();
        match receiver.receive_data(&mut data).await {
            Ok(soketto::Data::Text(_)) => {
                let message = serde_json::from_slice(&data).unwrap_or(Value::Null);
                let raw = String::from_utf8_lossy(&data).into_owned();
                if inbox.send((message, raw)).await.is_err() {
                    return;
                }
            }
            Ok(soketto::Data::Binary(_)) | Err(_) => return,
        }
    }
}

struct Session {
    node: Node,
    /// Each topic, with the last book sent for `l2Book` (to send only changes).
    topics: BTreeMap<Topic, Option<Value>>,
    outbox: mpsc::Sender<String>,
    /// The last height whose updates were sent.
    last_height: u64,
    /// `post` requests not answered yet.
    posts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Session {
    /// Queues `message`; `false` when the client is gone or too far behind.
    fn push(&self, message: Value) -> bool {
        self.outbox.try_send(message.to_string()).is_ok()
    }

    fn error(&self, text: String) -> bool {
        self.push(json!({"channel": "error", "data": text}))
    }

    async fn on_message(&mut self, message: &Value, raw: &str) -> bool {
        let method = message.get("method").and_then(Value::as_str).unwrap_or("");
        match method {
            "ping" => self.push(json!({"channel": "pong"})),
            "post" => post::start(&self.node, &self.outbox, &self.posts, message, raw),
            "subscribe" | "unsubscribe" => {
                let subscription = message.get("subscription").cloned().unwrap_or(Value::Null);
                let topic = match Topic::parse(&subscription) {
                    Ok(topic) => topic,
                    Err(why) => return self.error(format!("Invalid subscription {subscription}: {why}")),
                };
                if let Topic::L2Book(name) | Topic::Trades(name) | Topic::Candle(name, _) = &topic {
                    if let Err(refusal) = self.node.with_state(|state| known_coin(state, name)) {
                        return self.error(refusal.message);
                    }
                }
                if method == "unsubscribe" {
                    self.topics.remove(&topic);
                } else {
                    if !self.topics.contains_key(&topic) && self.topics.len() >= SUBSCRIPTIONS_MAX {
                        return self.error(format!("at most {SUBSCRIPTIONS_MAX} subscriptions per connection"));
                    }
                    self.topics.entry(topic.clone()).or_insert(None);
                }
                let response = json!({"method": method, "subscription": subscription});
                if !self.push(json!({"channel": "subscriptionResponse", "data": response})) {
                    return false;
                }
                if method == "subscribe" {
                    return self.snapshot(&topic).await;
                }
                true
            }
            _ => self.error(format!("Error parsing JSON into valid websocket request: {message}")),
        }
    }

    /// What a new subscription gets at once.
    async fn snapshot(&mut self, topic: &Topic) -> bool {
        let node = self.node.clone();
        let topic_owned = topic.clone();
        let message = tokio::task::spawn_blocking(move || match &topic_owned {
            Topic::AllMids => Some(json!({"channel": "allMids", "data": {"mids": node.with_state(mids)}})),
            Topic::L2Book(name) => node
                .with_state(|state| known_coin(state, name).ok().map(|coin| book_json(state, &coin)))
                .map(|book| json!({"channel": "l2Book", "data": book})),
            Topic::Trades(name) => {
                let trades = recent_trades(&node, name, 0, TRADES_SNAPSHOT_MAX);
                (!trades.is_empty()).then(|| json!({"channel": "trades", "data": trades}))
            }
            Topic::Candle(name, interval) => {
                latest_candle(&node, name, interval).map(|candle| json!({"channel": "candle", "data": candle}))
            }
            Topic::UserFills(id) => Some(user::fills_snapshot(&node, *id)),
            Topic::OrderUpdates(_) | Topic::UserEvents(_) => None,
        })
        .await
        .ok()
        .flatten();
        match message {
            Some(message) => {
                if let Some(slot) = self.topics.get_mut(topic) {
                    *slot = last_sent(topic, &message);
                }
                self.push(message)
            }
            None => true,
        }
    }

    /// Every subscription's update for the blocks after the last one sent, up to `height`.
    async fn on_block(&mut self, height: u64) -> bool {
        let after = self.last_height;
        self.last_height = height.max(after);
        let node = self.node.clone();
        let topics: Vec<(Topic, Option<Value>)> = self.topics.iter().map(|(t, v)| (t.clone(), v.clone())).collect();
        let updates = tokio::task::spawn_blocking(move || {
            topics
                .into_iter()
                .filter_map(|(topic, last)| update(&node, &topic, last.as_ref(), after))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (topic, message) in updates {
            if let Some(slot) = self.topics.get_mut(&topic) {
                *slot = last_sent(&topic, &message);
            }
            if !self.push(message) {
                return false;
            }
        }
        true
    }
}

/// What a topic remembers of its last message, to send only changes: the book's levels, the
/// candle.
fn last_sent(topic: &Topic, message: &Value) -> Option<Value> {
    match topic {
        Topic::L2Book(_) => message.get("data").and_then(|d| d.get("levels")).cloned(),
        Topic::Candle(..) => message.get("data").cloned(),
        Topic::AllMids | Topic::Trades(_) | Topic::UserFills(_) | Topic::OrderUpdates(_) | Topic::UserEvents(_) => None,
    }
}

/// The coin's latest candle of `interval` (within the last two intervals), as Hyperliquid's.
fn latest_candle(node: &Node, name: &str, interval: &str) -> Option<Value> {
    let (coin, now_ms) = node.with_state(|state| Some((wire::coin_by_name(state, name)?, state.time_ms())))?;
    let candles =
        node.candles(coin.market, interval, (now_ms.saturating_sub(2 * INTERVAL_MAX_MS), now_ms), 2).ok()??;
    candles.last().map(|candle| crate::info::market::candle_json(&coin, interval, candle))
}

/// The longest candle interval (a week), bounding how far back [`latest_candle`] looks.
const INTERVAL_MAX_MS: u64 = 7 * 86_400_000;

/// A topic's message after the blocks above `after`, if it has one.
fn update(node: &Node, topic: &Topic, last_sent: Option<&Value>, after: u64) -> Option<(Topic, Value)> {
    let message = match topic {
        Topic::AllMids => json!({"channel": "allMids", "data": {"mids": node.with_state(mids)}}),
        Topic::L2Book(name) => {
            let book = node.with_state(|state| known_coin(state, name).ok().map(|coin| book_json(state, &coin)))?;
            if book.get("levels") == last_sent {
                return None;
            }
            json!({"channel": "l2Book", "data": book})
        }
        Topic::Trades(name) => {
            let trades = recent_trades(node, name, after, TRADES_PER_BLOCK_MAX);
            if trades.is_empty() {
                return None;
            }
            json!({"channel": "trades", "data": trades})
        }
        Topic::Candle(name, interval) => {
            let candle = latest_candle(node, name, interval)?;
            if Some(&candle) == last_sent {
                return None;
            }
            json!({"channel": "candle", "data": candle})
        }
        Topic::UserFills(id) => user::fills_update(node, *id, after)?,
        Topic::OrderUpdates(id) => user::order_updates(node, *id, after)?,
        Topic::UserEvents(id) => user::events_update(node, *id, after)?,
    };
    Some((topic.clone(), message))
}

/// The coin's fills in blocks above `after`, oldest first, at most `limit` (the newest).
fn recent_trades(node: &Node, name: &str, after: u64, limit: usize) -> Vec<Value> {
    let Some(coin) = node.with_state(|state| wire::coin_by_name(state, name)) else { return Vec::new() };
    let Ok(records) = node.market_trades(coin.market, limit) else { return Vec::new() };
    let mut trades: Vec<Value> =
        records.iter().filter(|past| past.height > after).filter_map(|past| trade_json(&coin, past)).collect();
    trades.reverse();
    trades
}

/// One fill as Hyperliquid's trade: the taker's side, and the buyer then the seller.
fn trade_json(coin: &Coin, past: &PastEvent) -> Option<Value> {
    let Event::Fill { maker, taker, taker_side, price_ticks, size_lots, .. } = &past.event else { return None };
    let (buyer, seller, side) = match taker_side {
        Side::Buy => (taker, maker, "B"),
        Side::Sell => (maker, taker, "A"),
    };
    Some(json!({
        "coin": coin.name,
        "side": side,
        "px": number(coin.price(*price_ticks)),
        "sz": number(coin.size(*size_lots)),
        "time": past.time_ms,
        "hash": format!("0x{}", "0".repeat(64)),
        "tid": wire::trade_id(past.height, past.seq),
        "users": [buyer.owner.to_string(), seller.owner.to_string()],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_parse_to_topics_and_unknown_ones_are_named() {
        assert_eq!(Topic::parse(&json!({"type": "allMids"})), Ok(Topic::AllMids));
        assert_eq!(Topic::parse(&json!({"type": "l2Book", "coin": "BTC"})), Ok(Topic::L2Book("BTC".into())));
        assert_eq!(Topic::parse(&json!({"type": "trades", "coin": "ETH"})), Ok(Topic::Trades("ETH".into())));
        assert!(Topic::parse(&json!({"type": "trades"})).unwrap_err().contains("coin"));
        assert!(Topic::parse(&json!({"type": "userEvents", "user": "0x0"})).unwrap_err().contains("address"));
        assert!(Topic::parse(&json!({"type": "bbo", "coin": "BTC"})).unwrap_err().contains("not served"));
        let user = "0x0000000000000000000000000000000000000001";
        let id = SubaccountId::new(user.parse().unwrap(), 0);
        assert_eq!(Topic::parse(&json!({"type": "orderUpdates", "user": user})), Ok(Topic::OrderUpdates(id)));
        let candle = json!({"type": "candle", "coin": "BTC", "interval": "1m"});
        assert_eq!(Topic::parse(&candle), Ok(Topic::Candle("BTC".into(), "1m".into())));
        assert!(Topic::parse(&json!({"type": "candle", "coin": "BTC", "interval": "1M"}))
            .unwrap_err()
            .contains("interval"));
    }
}
