#!/usr/bin/env python3
"""Subscribes to a novation devnet's Hyperliquid WebSocket with Hyperliquid's official Python
SDK (`Info(base_url, skip_ws=False)`) and checks what arrives: mids (the snapshot and live
updates), the book with the Rust test's resting bid, the 1m candle, the test's trade (the snapshot a new
trades subscription gets); then, after printing SUBSCRIBED, a second trade the Rust test
makes while it listens; and ping/pong on a plain WebSocket.

Usage: check_ws.py BASE_URL BID_PX BID_SZ FILL_PX FILL_SZ LIVE_PX LIVE_SZ
"""

import json
import os
import sys
import threading
import time

import websocket
from hyperliquid.info import Info


def main():
    base_url, bid_px, bid_sz, fill_px, fill_sz, live_px, live_sz = sys.argv[1:8]
    received = {"allMids": [], "l2Book": [], "trades": [], "candle": []}
    lock = threading.Lock()

    def keep(channel):
        def callback(message):
            with lock:
                received[channel].append(message)

        return callback

    info = Info(base_url, skip_ws=False)
    info.subscribe({"type": "allMids"}, keep("allMids"))
    info.subscribe({"type": "l2Book", "coin": "BTC"}, keep("l2Book"))
    info.subscribe({"type": "trades", "coin": "BTC"}, keep("trades"))
    info.subscribe({"type": "candle", "coin": "BTC", "interval": "1m"}, keep("candle"))

    def satisfied():
        with lock:
            mids_ok = len(received["allMids"]) >= 2 and "BTC" in received["allMids"][-1]["data"]["mids"]
            book_ok = any(
                any(l["px"] == bid_px and l["sz"] == bid_sz for l in m["data"]["levels"][0]) for m in received["l2Book"]
            )
            candle_ok = any(m["data"]["s"] == "BTC" and m["data"]["i"] == "1m" for m in received["candle"])
            return mids_ok and book_ok and candle_ok and traded(fill_px, fill_sz)

    def traded(px, sz):
        return any(
            any(t["coin"] == "BTC" and t["px"] == px and t["sz"] == sz and t["side"] == "B" for t in m["data"])
            for m in received["trades"]
        )

    def wait(condition, what):
        deadline = time.time() + 30
        while not condition():
            if time.time() > deadline:
                with lock:
                    raise SystemExit(f"FAILED: {what}: {json.dumps(received)[:2000]}")
            time.sleep(0.05)

    wait(satisfied, "the subscriptions' snapshots did not arrive")
    print("SUBSCRIBED", flush=True)

    def live():
        with lock:
            return traded(live_px, live_sz)

    wait(live, "the live trade did not arrive")
    info.disconnect_websocket()

    ws = websocket.create_connection("ws" + base_url[len("http"):] + "/ws", timeout=10)
    ws.send(json.dumps({"method": "ping"}))
    pong = json.loads(ws.recv())
    if pong != {"channel": "pong"}:
        raise SystemExit(f"FAILED: ping answered {pong!r}")
    ws.send(json.dumps({"method": "subscribe", "subscription": {"type": "bbo", "coin": "BTC"}}))
    error = json.loads(ws.recv())
    if error.get("channel") != "error":
        raise SystemExit(f"FAILED: an unserved subscription answered {error!r}")
    ws.send(json.dumps({"method": "post", "id": 7, "request": {"type": "info", "payload": {"type": "meta"}}}))
    posted = json.loads(ws.recv())
    response = posted.get("data", {}).get("response", {})
    if posted.get("channel") != "post" or posted["data"]["id"] != 7 or response.get("type") != "info" \
            or response["payload"]["type"] != "meta" or not response["payload"]["data"]["universe"]:
        raise SystemExit(f"FAILED: a posted meta request answered {posted!r}")
    ws.close()
    with lock:
        counts = {k: len(v) for k, v in received.items()}
    print(f"hyperliquid-python-sdk WebSocket: {counts} messages; ping answered pong; post answered meta")


if __name__ == "__main__":
    try:
        main()
    except SystemExit as failure:
        # The SDK's WebSocket thread is not a daemon: leave at once, whatever it is doing.
        print(failure, file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(0 if failure.code in (None, 0) else 1)
