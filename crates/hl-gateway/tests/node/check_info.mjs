// Reads a novation devnet through its Hyperliquid gateway with the TypeScript SDK
// (@nktkas/hyperliquid), HttpTransport({isTestnet: true, apiUrl}), and checks the values the
// Rust test traded: a resting bid and a fill.
//
// Usage: node check_info.mjs BASE_URL USER BID_PX BID_SZ FILL_PX FILL_SZ BID_OID

import { HttpTransport, InfoClient } from "@nktkas/hyperliquid";

const [apiUrl, user, bidPx, bidSz, fillPx, fillSz, bidOid] = process.argv.slice(2);

function check(condition, what, value) {
  if (!condition) {
    console.error(`FAILED: ${what}: ${JSON.stringify(value)}`);
    process.exit(1);
  }
}

const info = new InfoClient({ transport: new HttpTransport({ isTestnet: true, apiUrl }) });

const meta = await info.meta();
check(meta.universe[0].name === "BTC" && meta.universe[0].szDecimals === 4, "meta lists BTC first", meta);

const mids = await info.allMids();
check(Number(mids.BTC) > 0, "allMids has BTC", mids);

const book = await info.l2Book({ coin: "BTC" });
check(book.levels[0].some((l) => l.px === bidPx && l.sz === bidSz && l.n === 1), "the bid rests in the book", book);

const state = await info.clearinghouseState({ user });
const position = state.assetPositions.find((p) => p.position.coin === "BTC")?.position;
check(position && position.szi === fillSz && position.entryPx === fillPx, "the BTC position is the fill", state);

const orders = await info.openOrders({ user });
check(
  orders.length === 1 && orders[0].limitPx === bidPx && orders[0].sz === bidSz && orders[0].oid === Number(bidOid),
  "the open order is the bid",
  orders,
);

const fills = await info.userFills({ user });
check(fills[0]?.px === fillPx && fills[0]?.sz === fillSz && fills[0]?.side === "B", "the newest fill is the buy", fills);

const status = await info.orderStatus({ user, oid: Number(bidOid) });
check(status.status === "order" && status.order.status === "open", "orderStatus of the bid", status);

const [, contexts] = await info.metaAndAssetCtxs();
check(contexts[0].openInterest === fillSz, "open interest is the fill", contexts[0]);

console.log("@nktkas/hyperliquid read the devnet: meta, mids, book, user state, orders, fills, order status, contexts");
