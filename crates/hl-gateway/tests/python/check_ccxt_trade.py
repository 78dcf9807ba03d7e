#!/usr/bin/env python3
"""Trades on a novation devnet (with its market maker) through the Hyperliquid gateway with
CCXT's `hyperliquid` exchange in sandbox mode, only `urls['api']` pointed at the gateway:
a market buy that fills against the market maker, the position it opens, the trade in
fetch_my_trades, and a reduce-only market sell that closes it.

Usage: check_ccxt_trade.py BASE_URL USER SECRET_KEY
"""

import sys

import ccxt


def check(condition, what, value):
    if not condition:
        raise SystemExit(f"FAILED: {what}: {value!r}")


def main():
    base_url, user, secret = sys.argv[1:4]
    exchange = ccxt.hyperliquid({"walletAddress": user, "privateKey": secret})
    exchange.set_sandbox_mode(True)
    exchange.urls["api"] = {"public": base_url, "private": base_url}
    symbol = "BTC/USDC:USDC"
    exchange.load_markets()
    mid = float(exchange.fetch_order_book(symbol)["asks"][0][0])

    # CCXT sends a market order as an IOC limit at its slippage bound from `price`.
    bought = exchange.create_order(symbol, "market", "buy", 0.002, mid)
    check(bought["id"], "create_order (market) returns an id", bought)
    positions = exchange.fetch_positions([symbol])
    check(len(positions) == 1 and positions[0]["contracts"] == 0.002 and positions[0]["side"] == "long", "a long of 0.002", positions)
    trades = exchange.fetch_my_trades(symbol)
    check(any(t["order"] == bought["id"] and t["amount"] == 0.002 for t in trades), "the fill is in fetch_my_trades", trades)
    sold = exchange.create_order(symbol, "market", "sell", 0.002, mid, {"reduceOnly": True})
    check(sold["id"], "the closing market sell returns an id", sold)
    check(exchange.fetch_positions([symbol]) == [], "flat again", exchange.fetch_positions([symbol]))
    print("ccxt traded on the devnet: market buy filled, position, my trades, reduce-only market sell closed it")


if __name__ == "__main__":
    main()
