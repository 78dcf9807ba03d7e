// Trades on a novation devnet (with its market maker) through the Hyperliquid gateway with the
// TypeScript SDK (@nktkas/hyperliquid) and a viem account, over both of its transports:
// HttpTransport({isTestnet: true, apiUrl}) and WebSocketTransport({isTestnet: true, url}),
// whose requests go as `post` messages. Checks a resting order, its cancel, a market-crossing
// IOC fill, a refusal's error text, and the orderUpdates and userFills subscriptions.
//
// Usage: node check_exchange.mjs BASE_URL SECRET_HEX

import {
  ExchangeClient,
  HttpTransport,
  InfoClient,
  SubscriptionClient,
  WebSocketTransport,
} from "@nktkas/hyperliquid";
import { privateKeyToAccount } from "viem/accounts";
// Node 20 has no global WebSocket: the `ws` package's, as the SDK's transport accepts.
import WebSocket from "ws";

const [apiUrl, secret] = process.argv.slice(2);

function check(condition, what, value) {
  if (!condition) {
    console.error(`FAILED: ${what}: ${JSON.stringify(value)}`);
    process.exit(1);
  }
}

/** Hyperliquid's price rule for BTC: 5 significant figures, on the 0.1 tick. */
const price = (value) => Number(value.toPrecision(5)).toFixed(1);

const wallet = privateKeyToAccount(secret);
const user = wallet.address;
const http = new HttpTransport({ isTestnet: true, apiUrl });
const info = new InfoClient({ transport: http });
const exchange = new ExchangeClient({ wallet, transport: http });

const mid = Number((await info.allMids()).BTC);
const order = (px, tif, size = "0.001") => ({
  orders: [{ a: 0, b: true, p: px, s: size, r: false, t: { limit: { tif } } }],
  grouping: "na",
});

// Over HTTP: a bid rests, shows among the open orders, and is cancelled.
const placed = await exchange.order(order(price(mid * 0.97), "Gtc"));
const oid = placed.response.data.statuses[0].resting?.oid;
check(typeof oid === "number", "a GTC bid rests", placed);
check((await info.openOrders({ user })).some((o) => o.oid === oid), "the bid is open", oid);
const cancelled = await exchange.cancel({ cancels: [{ a: 0, o: oid }] });
check(cancelled.response.data.statuses[0] === "success", "the cancel succeeds", cancelled);

// An off-tick price: the SDK raises the API's error with Hyperliquid's text.
let refusal = "";
try {
  await exchange.order(order(`${price(mid * 0.97)}5`, "Gtc"));
} catch (error) {
  refusal = String(error?.message ?? error);
}
check(refusal.includes("Price must be divisible by tick size."), "an off-tick price is refused", refusal);

// Over the WebSocket: info and exchange requests as `post`, and the account subscriptions.
const ws = new WebSocketTransport({
  isTestnet: true,
  url: `${apiUrl.replace(/^http/, "ws")}/ws`,
  reconnect: { WebSocket: globalThis.WebSocket ?? WebSocket },
});
await ws.ready();
const wsInfo = new InfoClient({ transport: ws });
const wsExchange = new ExchangeClient({ wallet, transport: ws });
const subscriptions = new SubscriptionClient({ transport: ws });
const updates = [];
const fills = [];
const orderSub = await subscriptions.orderUpdates({ user }, (data) => updates.push(...data));
const fillSub = await subscriptions.userFills({ user }, (data) => fills.push(...data.fills));

const meta = await wsInfo.meta();
check(meta.universe[0].name === "BTC", "meta over the WebSocket", meta);
const ask = Number((await wsInfo.l2Book({ coin: "BTC" })).levels[1][0].px);
const bought = await wsExchange.order(order(price(ask * 1.01), "Ioc", "0.002"));
const filled = bought.response.data.statuses[0].filled;
check(filled && filled.totalSz === "0.002" && Number(filled.avgPx) > 0, "an IOC crossing the ask fills", bought);

const deadline = Date.now() + 30_000;
while (!(updates.some((u) => u.order.oid === filled.oid && u.status === "filled") && fills.some((f) => f.oid === filled.oid))) {
  check(Date.now() < deadline, "orderUpdates and userFills report the fill", { updates, fills });
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const state = await wsInfo.clearinghouseState({ user });
const position = state.assetPositions.find((p) => p.position.coin === "BTC")?.position;
check(position && Number(position.szi) >= 0.002, "the position holds the fill", state);

await orderSub.unsubscribe();
await fillSub.unsubscribe();
await ws.close();
console.log("@nktkas/hyperliquid traded on the devnet over HTTP and WebSocket: order, cancel, refusal, IOC fill, orderUpdates, userFills");
