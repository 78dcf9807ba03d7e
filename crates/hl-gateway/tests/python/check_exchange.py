#!/usr/bin/env python3
"""Trades on a novation devnet (started with its market maker) through the Hyperliquid
gateway with Hyperliquid's official Python SDK, nothing changed but the base URL, and checks
what the chain did: resting orders, cancels, modifies, fills, positions, refusals with
Hyperliquid's error texts, an approved agent trading for its account, and concurrent senders
sharing one key.

Usage: check_exchange.py BASE_URL SECRET_HEX
"""

import os
import sys
import threading
import time

import eth_account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid


def check(condition, what, value):
    if not condition:
        raise SystemExit(f"FAILED: {what}: {value!r}")


def status(answer, what):
    check(answer["status"] == "ok", what, answer)
    return answer["response"]["data"]["statuses"][0]


def price(value):
    """Hyperliquid's rule: 5 significant figures; BTC-PERP's tick is 0.1."""
    return round(float(f"{value:.5g}"), 1)


def open_oids(info, user):
    return {o["oid"]: o for o in info.open_orders(user)}


def btc_position(info, user):
    positions = [p["position"] for p in info.user_state(user)["assetPositions"] if p["position"]["coin"] == "BTC"]
    return float(positions[0]["szi"]) if positions else 0.0


def main():
    base_url, secret = sys.argv[1:3]
    wallet = eth_account.Account.from_key(secret)
    user = wallet.address
    info = Info(base_url, skip_ws=True)
    feeds = Info(base_url, skip_ws=False)
    # userFills last: its snapshot arriving says all three subscriptions are active.
    received = {"orderUpdates": [], "userEvents": [], "userFills": []}
    lock = threading.Lock()

    def keep(channel):
        def callback(message):
            with lock:
                received[channel].append(message)

        return callback

    for kind in received:
        feeds.subscribe({"type": kind, "user": user}, keep(kind))
    deadline = time.time() + 30
    while not received["userFills"]:
        check(time.time() < deadline, "the userFills snapshot arrives", received)
        time.sleep(0.02)
    exchange = Exchange(wallet, base_url)
    mid = float(info.all_mids()["BTC"])
    bid_px = price(mid * 0.97)

    # A resting limit order, seen in open orders, then cancelled.
    resting = status(exchange.order("BTC", True, 0.001, bid_px, {"limit": {"tif": "Gtc"}}), "a GTC bid")
    check("resting" in resting, "a GTC bid rests", resting)
    oid = first_oid = resting["resting"]["oid"]
    check(oid in open_oids(info, user), "the bid is an open order", info.open_orders(user))
    check(status(exchange.cancel("BTC", oid), "cancel") == "success", "cancel succeeds", oid)
    check(oid not in open_oids(info, user), "the cancelled bid is gone", info.open_orders(user))
    again = status(exchange.cancel("BTC", oid), "cancel twice")
    check("never placed, already canceled, or filled" in again["error"], "a second cancel is refused", again)

    # By cloid: placed, found, cancelled.
    cloid = Cloid.from_int(42)
    placed = status(exchange.order("BTC", True, 0.001, bid_px, {"limit": {"tif": "Gtc"}}, cloid=cloid), "cloid order")
    check(placed["resting"]["cloid"] == cloid.to_raw(), "the status names the cloid", placed)
    by_cloid = info.query_order_by_cloid(user, cloid)
    check(by_cloid["order"]["order"]["oid"] == placed["resting"]["oid"], "order status by cloid", by_cloid)
    check(status(exchange.cancel_by_cloid("BTC", cloid), "cancel by cloid") == "success", "cancel by cloid", cloid)

    # Modify: a new price and size for a resting order.
    oid = status(exchange.order("BTC", True, 0.001, bid_px, {"limit": {"tif": "Gtc"}}), "bid to modify")["resting"]["oid"]
    lower = price(bid_px * 0.99)
    modified = exchange.modify_order(oid, "BTC", True, 0.002, lower, {"limit": {"tif": "Gtc"}})
    check(modified["status"] == "ok", "modify", modified)
    order = open_oids(info, user)[oid]
    check(float(order["limitPx"]) == lower and float(order["sz"]) == 0.002, "the order has its new price and size", order)
    exchange.cancel("BTC", oid)

    # Refusals carry Hyperliquid's texts; a bulk order applies item by item.
    off_tick = status(exchange.order("BTC", True, 0.001, bid_px + 0.05, {"limit": {"tif": "Gtc"}}), "off tick")
    check("Price must be divisible by tick size." in off_tick["error"], "an off-tick price is refused", off_tick)
    ask = float(info.l2_snapshot("BTC")["levels"][1][0]["px"])
    # Well through the best ask, so it crosses even if the market maker re-quotes meanwhile.
    alo = status(exchange.order("BTC", True, 0.001, price(ask * 1.01), {"limit": {"tif": "Alo"}}), "crossing ALO")
    check("Post only order would have immediately matched" in alo["error"], "a crossing ALO is refused", alo)
    bulk = exchange.bulk_orders([
        {"coin": "BTC", "is_buy": True, "sz": 0.001, "limit_px": bid_px, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
        {"coin": "BTC", "is_buy": True, "sz": 0.00001, "limit_px": bid_px, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
    ])
    statuses = bulk["response"]["data"]["statuses"]
    check("resting" in statuses[0] and "error" in statuses[1], "one bulk item rests, the bad one is refused", statuses)
    exchange.cancel("BTC", statuses[0]["resting"]["oid"])

    # Market orders fill against the devnet's market maker; the position opens and closes.
    opened = status(exchange.market_open("BTC", True, 0.002), "market open")
    check(float(opened["filled"]["totalSz"]) == 0.002 and float(opened["filled"]["avgPx"]) > 0, "filled", opened)
    check(btc_position(info, user) == 0.002, "a long of 0.002", info.user_state(user))
    fills = info.user_fills(user)
    check(fills and fills[0]["oid"] == opened["filled"]["oid"], "the fill is listed", fills[:1])
    stop = status(exchange.order("BTC", False, 0.002, price(mid * 0.95), {"trigger": {"triggerPx": price(mid * 0.95), "isMarket": True, "tpsl": "sl"}}, reduce_only=True), "stop loss")
    check("resting" in stop, "a stop-loss waits", stop)
    listed = [o for o in info.frontend_open_orders(user) if o["oid"] == stop["resting"]["oid"]]
    check(listed and listed[0]["isTrigger"] and listed[0]["orderType"] == "Stop Market"
          and float(listed[0]["triggerPx"]) == price(mid * 0.95) and listed[0]["reduceOnly"],
          "the stop-loss is listed among the open orders as a trigger", listed)
    closed = status(exchange.market_close("BTC"), "market close")
    check(float(closed["filled"]["totalSz"]) == 0.002, "closed", closed)
    check(btc_position(info, user) == 0.0, "flat again", info.user_state(user))
    check(exchange.update_leverage(5, "BTC")["status"] == "ok", "cross leverage is accepted", None)
    take_profit = status(exchange.order("BTC", False, 0.001, price(mid * 1.05), {"trigger": {"triggerPx": price(mid * 1.05), "isMarket": False, "tpsl": "tp"}}, reduce_only=True), "take profit")
    check("resting" in take_profit, "a take-profit waits", take_profit)
    isolated = exchange.update_isolated_margin(10.0, "BTC")
    check(isolated["status"] == "err" and "not served" in isolated["response"], "isolated margin is refused clearly", isolated)
    sent = exchange.usd_transfer(1.0, "0x5e9ee1089755c3435139848e47e6635505d5a13a")
    check(sent["status"] == "err" and "not served" in sent["response"], "a transfer to another user is refused clearly", sent)
    withdrawn = exchange.withdraw_from_bridge(25.0, user)
    check(withdrawn["status"] == "ok", "a withdrawal to the user's own address", withdrawn)
    elsewhere = exchange.withdraw_from_bridge(1.0, "0x5e9ee1089755c3435139848e47e6635505d5a13a")
    check(elsewhere["status"] == "err" and "own address" in elsewhere["response"], "a withdrawal elsewhere is refused", elsewhere)

    # An approved agent trades for the account.
    approved, agent_key = exchange.approve_agent("bot")
    check(approved["status"] == "ok", "approve agent", approved)
    agent = Exchange(eth_account.Account.from_key(agent_key), base_url, account_address=user)
    by_agent = status(agent.order("BTC", True, 0.001, bid_px, {"limit": {"tif": "Gtc"}}), "agent order")
    check(by_agent["resting"]["oid"] in open_oids(info, user), "the agent's order is the account's", by_agent)
    status(agent.cancel("BTC", by_agent["resting"]["oid"]), "agent cancel")

    # Four threads share the key, their orders in flight together: each nonce is its own
    # millisecond (as Hyperliquid, one nonce is used once), and none waits for another's.
    results = []

    def send(index):
        time.sleep(index * 0.005)
        results.append(exchange.order("BTC", True, 0.001, price(bid_px * (1 - index / 1000)), {"limit": {"tif": "Gtc"}}))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check(all(r["status"] == "ok" and "resting" in r["response"]["data"]["statuses"][0] for r in results), "concurrent orders all rest", results)
    exchange.bulk_cancel([{"coin": "BTC", "oid": r["response"]["data"]["statuses"][0]["resting"]["oid"]} for r in results])
    # The account feeds saw it all: the first order open then cancelled, the market fills.
    def feeds_complete():
        with lock:
            statuses = {(u["order"]["oid"], u["status"]) for m in received["orderUpdates"] for u in m["data"]}
            fill_oids = {f["oid"] for m in received["userFills"] for f in m["data"]["fills"]}
            event_oids = {f["oid"] for m in received["userEvents"] for f in m["data"].get("fills", [])}
        wanted = opened["filled"]["oid"]
        return ((first_oid, "open") in statuses and (first_oid, "canceled") in statuses
                and (wanted, "filled") in statuses and wanted in fill_oids and wanted in event_oids)

    deadline = time.time() + 30
    while not feeds_complete():
        if time.time() > deadline:
            with lock:
                raise SystemExit(f"FAILED: the account feeds are incomplete: {str(received)[:3000]}")
        time.sleep(0.05)
    with lock:
        snapshot = received["userFills"][0]["data"]
    check(snapshot.get("isSnapshot") is True and snapshot["user"].lower() == user.lower(), "userFills starts with a snapshot", snapshot)
    feeds.disconnect_websocket()
    print("hyperliquid-python-sdk traded on the devnet: GTC/ALO/IOC, cancel, cancel by cloid, modify, bulk, "
          "market open/close, stop-loss, take-profit, leverage, withdrawal, agent, concurrent nonces, account feeds")


if __name__ == "__main__":
    try:
        main()
    except SystemExit as failure:
        # The SDK's WebSocket thread is not a daemon: leave at once, whatever it is doing.
        print(failure, file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(0 if failure.code in (None, 0) else 1)
    sys.stdout.flush()
    os._exit(0)
