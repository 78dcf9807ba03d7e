#!/usr/bin/env python3
"""Reads a novation devnet through its Hyperliquid gateway with Hyperliquid's official Python
SDK (PyPI hyperliquid-python-sdk), nothing changed but the base URL, and checks the values the
Rust test traded: a resting bid and a fill.

Usage: check_info.py BASE_URL USER BID_PX BID_SZ FILL_PX FILL_SZ BID_OID
"""

import sys
import time

from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid


def check(condition, what, value):
    if not condition:
        raise SystemExit(f"FAILED: {what}: {value!r}")


def main():
    base_url, user, bid_px, bid_sz, fill_px, fill_sz, bid_oid = sys.argv[1:8]
    bid_oid = int(bid_oid)
    info = Info(base_url, skip_ws=True)

    meta = info.meta()
    btc = next((a for a in meta["universe"] if a["name"] == "BTC"), None)
    check(btc is not None and btc["szDecimals"] == 4, "meta lists BTC with 4 size decimals", meta)
    check(info.name_to_asset("BTC") == 0, "BTC is asset 0", info.coin_to_asset)

    mids = info.all_mids()
    check(float(mids["BTC"]) > 0, "all_mids has a positive BTC mid", mids)

    book = info.l2_snapshot("BTC")
    bids, asks = book["levels"]
    check(any(l["px"] == bid_px and l["sz"] == bid_sz and l["n"] == 1 for l in bids), "the bid rests in the book", bids)
    check(book["coin"] == "BTC" and book["time"] > 0, "the book names its coin and time", book)

    state = info.user_state(user)
    positions = [p["position"] for p in state["assetPositions"] if p["position"]["coin"] == "BTC"]
    check(len(positions) == 1, "one BTC position", state)
    position = positions[0]
    check(position["szi"] == fill_sz, "the position's size is the fill", position)
    check(position["entryPx"] == fill_px, "the entry price is the fill price", position)
    check(float(state["marginSummary"]["accountValue"]) > 0, "the account has value", state["marginSummary"])
    check(float(state["withdrawable"]) > 0, "something is withdrawable", state["withdrawable"])

    orders = info.open_orders(user)
    check(len(orders) == 1, "one open order", orders)
    order = orders[0]
    check(
        (order["coin"], order["side"], order["limitPx"], order["sz"], order["oid"]) == ("BTC", "B", bid_px, bid_sz, bid_oid),
        "the open order is the bid",
        order,
    )
    frontend = info.frontend_open_orders(user)
    check(frontend[0]["orderType"] == "Limit" and frontend[0]["origSz"] == bid_sz, "frontend order", frontend)

    status = info.query_order_by_oid(user, bid_oid)
    check(status["status"] == "order" and status["order"]["status"] == "open", "order status by oid", status)
    by_cloid = info.query_order_by_cloid(user, Cloid.from_int(7))
    check(by_cloid["status"] == "order" and by_cloid["order"]["order"]["oid"] == bid_oid, "order status by cloid", by_cloid)

    fills = info.user_fills(user)
    check(len(fills) >= 1, "a fill", fills)
    fill = fills[0]
    check(
        (fill["coin"], fill["side"], fill["px"], fill["sz"], fill["dir"]) == ("BTC", "B", fill_px, fill_sz, "Open Long"),
        "the fill is the buy",
        fill,
    )

    history = info.historical_orders(user)
    check(
        [(h["order"]["oid"], h["status"]) for h in history][:1] == [(bid_oid, "open")]
        and any(h["status"] == "filled" and h["order"]["origSz"] == fill_sz for h in history),
        "historical orders: the bid open, the buy filled",
        history,
    )
    fees = info.user_fees(user)
    check(
        (fees["userCrossRate"], fees["userAddRate"]) == ("0.0005", "-0.0001") and "feeSchedule" in fees,
        "user fees are the markets' taker and maker rates",
        fees,
    )
    funding = info.user_funding_history(user, 0)
    check(isinstance(funding, list) and all(f["delta"]["type"] == "funding" for f in funding), "user funding", funding)
    check(isinstance(info.user_rate_limit(user)["nRequestsCap"], int), "user rate limit", None)

    now_ms = int(time.time() * 1000)
    by_time = info.user_fills_by_time(user, fill["time"], fill["time"])
    check(len(by_time) >= 1 and all(f["time"] == fill["time"] for f in by_time), "fills by time", by_time)
    check(info.user_fills_by_time(user, fill["time"] + 1) == [], "no fills after the last", None)

    candles = info.candles_snapshot("BTC", "1m", now_ms - 3_600_000, now_ms + 60_000)
    check(len(candles) >= 1 and candles[-1]["v"] == fill_sz, "a 1m candle with the fill's volume", candles)

    meta_ctxs = info.meta_and_asset_ctxs()
    check(meta_ctxs[1][0]["openInterest"] == fill_sz, "open interest is the fill", meta_ctxs[1][0])
    check(isinstance(info.funding_history("BTC", 0), list), "funding history is a list", None)

    print(
        "hyperliquid-python-sdk read the devnet: meta, mids, book, user state, orders, fills, "
        "historical orders, fees, funding, candles"
    )


if __name__ == "__main__":
    main()
