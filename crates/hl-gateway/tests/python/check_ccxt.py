#!/usr/bin/env python3
"""Reads a novation devnet through its Hyperliquid gateway with CCXT's `hyperliquid`
exchange (PyPI ccxt), in sandbox mode with only `urls['api']` pointed at the gateway, and
checks the values the Rust test traded: the markets, the resting bid in the book and among
the open orders, the balance, the position and the fill; then trades with the user's key: a
limit order placed, found by id, cancelled and found among the cancelled orders (the filled
buy among the closed ones), and the leverage set; and the trading fee and funding history (`userFees`, `userFunding`).

Usage: check_ccxt.py BASE_URL USER BID_PX BID_SZ FILL_PX FILL_SZ SECRET_KEY
"""

import sys

import ccxt


def check(condition, what, value):
    if not condition:
        raise SystemExit(f"FAILED: {what}: {value!r}")


def main():
    base_url, user, bid_px, bid_sz, fill_px, fill_sz, secret = sys.argv[1:8]
    bid_px, bid_sz, fill_px, fill_sz = float(bid_px), float(bid_sz), float(fill_px), float(fill_sz)
    exchange = ccxt.hyperliquid({"walletAddress": user})
    exchange.set_sandbox_mode(True)
    exchange.urls["api"] = {"public": base_url, "private": base_url}
    symbol = "BTC/USDC:USDC"

    markets = exchange.load_markets()
    check(symbol in markets and markets[symbol]["swap"], "load_markets lists the BTC perpetual", list(markets))

    book = exchange.fetch_order_book(symbol)
    check([bid_px, bid_sz] in book["bids"], "fetch_order_book has the resting bid", book["bids"])

    balance = exchange.fetch_balance()
    check(balance["USDC"]["total"] > 0, "fetch_balance has USDC", balance.get("USDC"))

    positions = exchange.fetch_positions([symbol])
    check(len(positions) == 1 and positions[0]["contracts"] == fill_sz, "fetch_positions", positions)
    check(positions[0]["side"] == "long" and positions[0]["entryPrice"] == fill_px, "the position's side and entry", positions)

    orders = exchange.fetch_open_orders(symbol)
    check(len(orders) == 1, "fetch_open_orders", orders)
    check((orders[0]["price"], orders[0]["amount"], orders[0]["side"]) == (bid_px, bid_sz, "buy"), "the open bid", orders[0])

    trades = exchange.fetch_my_trades(symbol)
    check(any(t["price"] == fill_px and t["amount"] == fill_sz and t["side"] == "buy" for t in trades), "fetch_my_trades", trades)

    rate = exchange.fetch_funding_rate(symbol)
    check(rate["symbol"] == symbol and rate["markPrice"] > 0, "fetch_funding_rate", rate)

    fee = exchange.fetch_trading_fee(symbol)
    check((fee["taker"], fee["maker"]) == (0.0005, -0.0001), "fetch_trading_fee (userFees)", fee)

    incomes = exchange.fetch_funding_history(symbol)
    check(isinstance(incomes, list), "fetch_funding_history (userFunding)", incomes)

    candles = exchange.fetch_ohlcv(symbol, "1m")
    check(len(candles) >= 1 and candles[-1][5] >= fill_sz, "fetch_ohlcv has the fill's volume", candles)

    signer = ccxt.hyperliquid({"walletAddress": user, "privateKey": secret})
    signer.set_sandbox_mode(True)
    signer.urls["api"] = {"public": base_url, "private": base_url}
    signer.load_markets()
    placed = signer.create_order(symbol, "limit", "buy", 0.001, bid_px)
    check(placed["id"], "create_order returns the order's id", placed)
    open_ids = [o["id"] for o in signer.fetch_open_orders(symbol)]
    check(placed["id"] in open_ids and len(open_ids) == 2, "the new order is open beside the bid", open_ids)
    fetched = signer.fetch_order(placed["id"], symbol)
    check(fetched["status"] == "open" and fetched["amount"] == 0.001, "fetch_order", fetched)
    signer.cancel_order(placed["id"], symbol)
    check([o["id"] for o in signer.fetch_open_orders(symbol)] == open_ids[:1] or placed["id"] not in
          [o["id"] for o in signer.fetch_open_orders(symbol)], "cancel_order removed it", signer.fetch_open_orders(symbol))
    # Both from historicalOrders: the order just cancelled, and the buy that filled.
    canceled = signer.fetch_canceled_orders(symbol)
    check([o["id"] for o in canceled] == [placed["id"]], "fetch_canceled_orders has the cancelled order", canceled)
    closed = signer.fetch_closed_orders(symbol)
    check(any(o["price"] == fill_px and o["filled"] == fill_sz for o in closed), "fetch_closed_orders has the fill", closed)
    signer.set_leverage(5, symbol)
    print("ccxt read the devnet: markets, book, balance, position, open orders, trades, funding rate, "
          "trading fee, funding history, candles; and traded: create_order, fetch_order, cancel_order, "
          "fetch_canceled_orders, fetch_closed_orders, set_leverage")


if __name__ == "__main__":
    main()
