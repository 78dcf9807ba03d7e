// novation dashboard: reads the node's public JSON-RPC API over one WebSocket, subscribes to
// blocks, the selected book, its trades and the selected account, and redraws from what the
// API returns. Amounts are the API's decimal strings, shown as given (rounded for display by
// exact string arithmetic); floats are used only to place points on the charts.
"use strict";

// ---------------------------------------------------------------------------------------
// Errors: anything that goes wrong in the page is written into #errors, which a healthy
// page leaves empty (the headless-browser test checks it).

const errorLines = [];
const ERROR_LINES_MAX = 20;

function reportError(message) {
  errorLines.push(`${new Date().toISOString()} ${message}`);
  if (errorLines.length > ERROR_LINES_MAX) errorLines.shift();
  const box = document.getElementById("errors");
  if (box) box.textContent = errorLines.join("\n");
}

window.addEventListener("error", (e) => reportError(`script error: ${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener("unhandledrejection", (e) => reportError(`unhandled: ${e.reason && (e.reason.stack || e.reason.message || e.reason)}`));
document.addEventListener("securitypolicyviolation", (e) => reportError(`content security policy refused ${e.violatedDirective}: ${e.blockedURI}`));

// ---------------------------------------------------------------------------------------
// Exact decimals (BigInt): the API's money is a decimal string; display rounds it, sums and
// products (trade price = ticks × tick size) stay exact.

function parseDec(text) {
  const s = String(text).trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return null;
  const frac = m[3] || "";
  const n = BigInt(m[2] + frac) * (m[1] ? -1n : 1n);
  return { n, scale: frac.length };
}

function decString({ n, scale }) {
  const neg = n < 0n;
  let digits = (neg ? -n : n).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, "");
  }
  return (neg && digits !== "0" ? "-" : "") + digits;
}

function align(a, b) {
  const scale = Math.max(a.scale, b.scale);
  return [a.n * 10n ** BigInt(scale - a.scale), b.n * 10n ** BigInt(scale - b.scale), scale];
}

function addDec(x, y) {
  const a = parseDec(x), b = parseDec(y);
  if (!a || !b) return null;
  const [p, q, scale] = align(a, b);
  return decString({ n: p + q, scale });
}

function negDec(x) {
  const a = parseDec(x);
  return a ? decString({ n: -a.n, scale: a.scale }) : null;
}

function mulDec(x, y) {
  const a = parseDec(x), b = parseDec(y);
  if (!a || !b) return null;
  return decString({ n: a.n * b.n, scale: a.scale + b.scale });
}

/** `text` rounded half away from zero to `dp` places, with thin separators every 3 digits. */
function fmt(text, dp = 4) {
  if (text === null || text === undefined) return "–";
  const a = parseDec(text);
  if (!a) return String(text);
  let { n, scale } = a;
  if (scale > dp) {
    const cut = 10n ** BigInt(scale - dp);
    const neg = n < 0n;
    let m = neg ? -n : n;
    m = (m + cut / 2n) / cut;
    n = neg ? -m : m;
    scale = dp;
  }
  const plain = decString({ n, scale });
  const [int, frac] = plain.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
  return frac ? `${grouped}.${frac}` : grouped;
}

/** A decimal string as a float, for drawing only. */
const num = (text) => (text === null || text === undefined ? null : Number(text));

// ---------------------------------------------------------------------------------------
// DOM helpers (text only: nothing from the chain is parsed as HTML).

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "raw") { node.dataset.raw = value ?? ""; node.title = value ?? ""; }
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? "–"));
  return node;
}

/** A table cell showing a decimal rounded, with the exact value in `data-raw` and its tooltip. */
const money = (text, dp = 4) => el("td", { raw: text }, fmt(text, dp));

function setText(id, text, raw) {
  const node = $(id);
  node.textContent = text;
  if (raw !== undefined) { node.dataset.raw = raw ?? ""; node.title = raw ?? ""; }
}

function fillRows(id, rows) {
  $(id).replaceChildren(...rows);
}

const validityCell = (v) => el("td", { class: v === "Valid" ? "valid" : "invalid", "data-validity": v }, v ?? "–");

function kindText(kind) {
  if (typeof kind === "string") return kind;
  if (kind && kind.Future) return `future ${isoDate(kind.Future.expiry_ms)}`;
  if (kind && kind.Option) return `${kind.Option.right.toLowerCase()} ${kind.Option.strike} ${isoDate(kind.Option.expiry_ms)}`;
  return JSON.stringify(kind);
}

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const subaccountText = (s) => `${s.owner}/${s.number}`;

/** A link to a subaccount's page, showing its address shortened (the whole in the tooltip). */
function accountLink(s) {
  const short = `${s.owner.slice(0, 8)}…${s.owner.slice(-6)}/${s.number}`;
  return el("a", { href: `#account=${s.owner}&sub=${s.number}`, class: "mono", title: subaccountText(s) }, short);
}

// ---------------------------------------------------------------------------------------
// The API client: JSON-RPC 2.0 over one WebSocket, reconnecting with backoff. Subscriptions
// are re-made after every reconnect, and every view is refetched, so a drop loses nothing
// but the time it lasted.

class ConnectionLost extends Error {}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5000;

const api = {
  socket: null,
  nextId: 1,
  pending: new Map(), // id -> {resolve, reject, method}
  handlers: new Map(), // subscription id -> function(result)
  backoffMs: RECONNECT_MIN_MS,
  onOpen: null,
  lastMessageAt: 0,
  probing: false,

  url() {
    return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
  },

  connect() {
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.onopen = () => {
      this.backoffMs = RECONNECT_MIN_MS;
      document.body.dataset.connects = String(Number(document.body.dataset.connects || 0) + 1);
      connectionStatus(true);
      if (this.onOpen) this.onOpen();
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => this.lost(socket);
    // An error is always followed by close, which reconnects.
    socket.onerror = () => {};
  },

  /** Gives up on `socket` (closed, or silent past the probe) and schedules a reconnect. */
  lost(socket) {
    if (this.socket !== socket) return;
    this.socket = null;
    this.handlers.clear();
    for (const { reject } of this.pending.values()) reject(new ConnectionLost("connection lost"));
    this.pending.clear();
    connectionStatus(false, this.backoffMs);
    setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    socket.close();
  },

  receive(data) {
    this.lastMessageAt = Date.now();
    let message;
    try { message = JSON.parse(data); } catch (e) { reportError(`unreadable message: ${e.message}`); return; }
    if (message.id !== undefined && this.pending.has(message.id)) {
      const { resolve, reject, method } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) reject(new Error(`${method}: ${message.error.code} ${message.error.message}`));
      else resolve(message.result);
      return;
    }
    if (message.method && message.params) {
      const handler = this.handlers.get(message.params.subscription);
      if (handler) {
        try { handler(message.params.result); } catch (e) { reportError(`${message.method}: ${e.stack || e}`); }
      }
    }
  },

  call(method, params = []) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new ConnectionLost("not connected"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  },

  async subscribe(method, params, handler) {
    const id = await this.call(method, params);
    this.handlers.set(id, handler);
    return id;
  },

  async unsubscribe(method, id) {
    if (id === null || id === undefined) return;
    this.handlers.delete(id);
    await this.call(method, [id]);
  },
};

/**
 * A socket can die without closing (a laptop asleep, a dropped route). When nothing has
 * arrived for a while, ask for the status; no answer in time means the socket is dead, and
 * closing it starts the reconnect. (A halted chain sends no blocks but still answers.)
 */
const SILENCE_PROBE_MS = 15000;
const PROBE_TIMEOUT_MS = 5000;

setInterval(() => {
  const socket = api.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN || api.probing) return;
  if (Date.now() - api.lastMessageAt < SILENCE_PROBE_MS) return;
  api.probing = true;
  const timer = setTimeout(() => api.lost(socket), PROBE_TIMEOUT_MS);
  api.call("nov_status").catch(() => {}).finally(() => { clearTimeout(timer); api.probing = false; });
}, 1000);

/** Errors that are the connection dropping are shown in the status, not as page errors. */
function quietly(promise) {
  return promise.catch((e) => { if (!(e instanceof ConnectionLost)) reportError(e.message || String(e)); });
}

let lastBlockAt = 0;

function connectionStatus(up, retryMs) {
  const node = $("connection");
  node.className = up ? "conn-up" : "conn-down";
  node.textContent = up ? "live" : `reconnecting in ${(retryMs / 1000).toFixed(1)} s`;
}

setInterval(() => {
  const node = $("connection");
  if (node.className === "conn-up" && lastBlockAt) {
    const seconds = Math.floor((Date.now() - lastBlockAt) / 1000);
    node.textContent = seconds >= 3 ? `live · no block for ${seconds} s` : "live";
  }
}, 1000);

// ---------------------------------------------------------------------------------------
// State of the page.

const page = {
  markets: [], // nov_getMarkets
  assets: new Map(), // asset id -> symbol (from the reserves view)
  bookMarket: null, // market id shown in the book panel
  bookSub: null,
  tradesSub: null,
  trades: [],
  account: null, // {address, number}
  accountSub: null,
  accountEvents: [],
  insuranceSeries: [[], [], []], // time s, insurance fund, system leverage
  charts: { insurance: null, health: null, smiles: new Map() },
};

const TRADES_SHOWN = 20;
const EVENTS_SHOWN = 30;
const INSURANCE_POINTS_MAX = 600;
const CLOSEST_SHOWN = 10;
const REFRESH_MIN_MS = 1000;
const HEALTH_BUCKETS = ["0–25%", "25–50%", "50–75%", "75–100%", "liquidatable"];

// ---------------------------------------------------------------------------------------
// System views.

function renderStatus(status) {
  setText("chain-id", String(status.chain_id));
  setText("height", String(status.height));
  setText("block-time", new Date(status.time_ms).toISOString().replace("T", " ").slice(0, 19));
  setText("state-root", `${status.state_root.slice(0, 10)}…`, status.state_root);
  setText("halted", status.halted ? String(status.halted) : "no");
  $("halted").className = status.halted ? "danger" : "";
}

function renderBlock(notice) {
  const h = notice.header;
  lastBlockAt = Date.now();
  document.body.dataset.blocks = String(Number(document.body.dataset.blocks || 0) + 1);
  setText("height", String(h.height));
  setText("block-time", new Date(h.time_ms).toISOString().replace("T", " ").slice(0, 19));
  setText("block-txs", String(notice.tx_count));
  setText("state-root", `${h.state_root.slice(0, 10)}…`, h.state_root);
}

function renderTotals(totals, risk) {
  setText("system-leverage", totals.aggregate_leverage === null ? "– (no equity)" : `${fmt(totals.aggregate_leverage, 4)}x`, totals.aggregate_leverage);
  setText("total-equity", fmt(totals.total_equity, 2), totals.total_equity);
  setText("open-interest", fmt(totals.open_interest_notional, 2), totals.open_interest_notional);
  setText("fee-pool", fmt(totals.fee_pool, 2), totals.fee_pool);
  setText("subaccounts", String(totals.subaccounts));
  setText("insurance-fund", fmt(risk.insurance_fund, 2), risk.insurance_fund);
  setText("insurance-peak", fmt(risk.insurance_peak, 2), risk.insurance_peak);
  setText("insurance-drawdown", fmt(risk.insurance_drawdown, 2), risk.insurance_drawdown);
  setText("insurance-paid", fmt(risk.insurance_paid, 2), risk.insurance_paid);
  setText("pending-bad-debt", fmt(risk.pending_bad_debt, 2), risk.pending_bad_debt);
  setText("bad-debt-total", fmt(risk.bad_debt_total, 2), risk.bad_debt_total);
  setText("uncovered-loss", fmt(risk.uncovered_loss, 2), risk.uncovered_loss);
  $("uncovered-loss").className = parseDec(risk.uncovered_loss)?.n ? "danger" : "";
  setText("liquidations", `${risk.liquidations} / ${fmt(risk.liquidated_notional, 2)}`);
  setText("adl", `${risk.adl_events} / ${fmt(risk.adl_notional, 2)}`);
  const b = risk.backstop;
  setText("backstop", `${fmt(b.equity, 2)} / ${fmt(b.drawdown, 2)}`, `${b.equity} / ${b.drawdown}`);
}

function renderInsuranceChart(timeMs, risk, totals) {
  const [xs, fund, leverage] = page.insuranceSeries;
  const t = timeMs / 1000;
  if (xs.length && xs[xs.length - 1] >= t) return;
  xs.push(t); fund.push(num(risk.insurance_fund)); leverage.push(num(totals.aggregate_leverage));
  if (xs.length > INSURANCE_POINTS_MAX) { xs.shift(); fund.shift(); leverage.shift(); }
  const box = $("chart-insurance");
  if (!page.charts.insurance) {
    page.charts.insurance = new uPlot({
      width: Math.max(320, box.clientWidth), height: 200,
      scales: { x: { time: true }, usd: { auto: true }, lev: { auto: true } },
      series: [
        {},
        { label: "insurance fund (USD)", scale: "usd", stroke: "#58a6ff", width: 2 },
        { label: "system leverage (x)", scale: "lev", stroke: "#d29922", width: 1 },
      ],
      axes: [
        { stroke: "#8792a0", grid: { stroke: "#2a323c" } },
        { scale: "usd", stroke: "#8792a0", grid: { stroke: "#2a323c" } },
        { scale: "lev", side: 1, stroke: "#8792a0", grid: { show: false } },
      ],
    }, page.insuranceSeries, box);
  } else {
    page.charts.insurance.setData(page.insuranceSeries);
  }
}

function renderHealth(risk) {
  const counts = risk.health_distribution;
  fillRows("health-counts", counts.map((count, i) =>
    el("tr", {}, el("td", {}, HEALTH_BUCKETS[i]), el("td", { class: i === 4 && count ? "danger" : "", "data-count": String(count) }, String(count)))));
  const data = [[0, 1, 2, 3, 4], counts.slice()];
  const box = $("chart-health");
  if (!page.charts.health) {
    page.charts.health = new uPlot({
      width: Math.max(320, box.clientWidth), height: 200, legend: { show: false },
      scales: { x: { time: false, range: [-0.5, 4.5] }, y: { range: (u, min, max) => [0, Math.max(1, max) * 1.15] } },
      series: [{}, { label: "accounts", fill: "#58a6ff88", stroke: "#58a6ff", paths: uPlot.paths.bars({ size: [0.7] }), points: { show: false } }],
      axes: [
        { stroke: "#8792a0", grid: { show: false }, splits: () => [0, 1, 2, 3, 4], values: (u, splits) => splits.map((i) => HEALTH_BUCKETS[i] ?? "") },
        { stroke: "#8792a0", grid: { stroke: "#2a323c" } },
      ],
    }, data, box);
  } else {
    page.charts.health.setData(data);
  }
  fillRows("closest", risk.closest_to_liquidation.slice(0, CLOSEST_SHOWN).map((a) =>
    el("tr", {}, el("td", {}, accountLink(a.subaccount)), money(a.equity_maintenance, 2), money(a.maintenance_requirement, 2),
      a.margin_ratio === null ? el("td", { class: "danger" }, "equity ≤ 0") : el("td", { raw: a.margin_ratio }, `${fmt(mulDec(a.margin_ratio, "100"), 2)}%`))));
  if (!risk.closest_to_liquidation.length) fillRows("closest", [el("tr", {}, el("td", { colSpan: 4, class: "muted" }, "no open positions"))]);
}

function renderMarkets(markets) {
  fillRows("markets", markets.map(({ params, stats }) => el("tr", { "data-market": params.symbol },
    el("td", {}, params.symbol), el("td", {}, kindText(params.kind)), money(stats.mark), money(stats.index), validityCell(stats.index_validity),
    money(stats.last_price), el("td", {}, String(stats.open_interest_lots)), money(stats.open_interest_notional, 2), money(stats.volume, 2),
    el("td", {}, String(stats.trades)), money(stats.last_funding_rate, 8))));
}

function renderOracles(markets) {
  // One row per underlying: every market of an asset shows the same oracle index.
  const seen = new Map();
  for (const { params, stats } of markets) {
    if (!seen.has(params.base_asset)) seen.set(params.base_asset, stats);
  }
  fillRows("oracles", [...seen].map(([asset, stats]) => el("tr", { "data-asset": page.assets.get(asset) ?? String(asset) },
    el("td", {}, page.assets.get(asset) ?? `asset ${asset}`), money(stats.index), validityCell(stats.index_validity))));
}

function renderReserves(reserves) {
  // Reserves equal the sum of every balance, so claims − debt − reserves is what the
  // protocol's own accounts are owed: realised gains paid out ahead of losses still open
  // (the settlement account) and unresolved bad debt.
  fillRows("reserves", reserves.map((r) => {
    const owed = addDec(addDec(r.claims, negDec(r.debt)), negDec(r.reserves));
    return el("tr", { "data-asset": r.symbol }, el("td", {}, r.symbol), money(r.reserves), money(r.claims), money(r.debt), money(owed));
  }));
}

// ---------------------------------------------------------------------------------------
// Volatility smiles: SVI total variance w(k) = a + b·(rho·(k − m) + sqrt((k − m)² + sigma²)),
// k = ln(strike / index), implied vol sqrt(w / T) with T in years of 365 days (docs/api.md).

const YEAR_MS = 365 * 24 * 3600 * 1000;
const SMILE_POINTS = 61;
const SMILE_COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f85149", "#bc8cff", "#39c5cf"];

function sviVol(svi, k, years) {
  const [a, b, rho, m, sigma] = [svi.a, svi.b, svi.rho, svi.m, svi.sigma].map(Number);
  const w = a + b * (rho * (k - m) + Math.sqrt((k - m) ** 2 + sigma ** 2));
  return w > 0 && years > 0 ? Math.sqrt(w / years) : null;
}

function optionAssets(markets) {
  const strikes = new Map(); // asset -> [strike floats]
  for (const { params } of markets) {
    if (params.kind && params.kind.Option) {
      if (!strikes.has(params.base_asset)) strikes.set(params.base_asset, []);
      strikes.get(params.base_asset).push(Number(params.kind.Option.strike));
    }
  }
  return strikes;
}

function renderSmile(surface, strikes) {
  const container = $("smiles");
  const id = `smile-${surface.symbol}`;
  let box = document.getElementById(id);
  if (!box) {
    box = el("div", { id, class: "smile" }, el("h3", {}, `${surface.symbol} (index ${fmt(surface.index, 2)})`),
      el("div", { class: "chart" }), el("table", {}, el("thead", {}, el("tr", {}, ...["expiry", "validity", "ATM vol", "reports", "updated"].map((h) => el("th", {}, h)))), el("tbody")));
    container.append(box);
  }
  box.querySelector("h3").textContent = `${surface.symbol} (index ${fmt(surface.index, 2)})`;
  box.querySelector("tbody").replaceChildren(...surface.smiles.map((s) => el("tr", { "data-expiry": String(s.expiry_ms) },
    el("td", {}, isoDate(s.expiry_ms)), validityCell(s.validity), el("td", { raw: s.atm_vol }, s.atm_vol === null ? "–" : `${fmt(mulDec(s.atm_vol, "100"), 2)}%`),
    el("td", {}, String(s.reports)), el("td", {}, s.updated_ms ? new Date(s.updated_ms).toISOString().slice(11, 19) : "–"))));
  const drawable = surface.smiles.filter((s) => s.svi && surface.index !== null);
  if (!drawable.length || !strikes.length) return;
  const low = Math.min(...strikes) * 0.95, high = Math.max(...strikes) * 1.05;
  const index = Number(surface.index);
  const xs = Array.from({ length: SMILE_POINTS }, (_, i) => low + ((high - low) * i) / (SMILE_POINTS - 1));
  const data = [xs, ...drawable.map((s) => xs.map((x) => {
    const vol = sviVol(s.svi, Math.log(x / index), (s.expiry_ms - surface.time_ms) / YEAR_MS);
    return vol === null ? null : vol * 100;
  }))];
  const key = drawable.map((s) => s.expiry_ms).join(",");
  let chart = page.charts.smiles.get(surface.symbol);
  if (chart && chart.key === key) { chart.plot.setData(data); return; }
  if (chart) chart.plot.destroy();
  const plotBox = box.querySelector(".chart");
  const plot = new uPlot({
    width: Math.max(320, plotBox.clientWidth), height: 220,
    scales: { x: { time: false } },
    series: [{ label: "strike" }, ...drawable.map((s, i) => ({ label: `${isoDate(s.expiry_ms)} vol %`, stroke: SMILE_COLORS[i % SMILE_COLORS.length], width: 2, points: { show: false } }))],
    axes: [{ stroke: "#8792a0", grid: { stroke: "#2a323c" } }, { stroke: "#8792a0", grid: { stroke: "#2a323c" }, values: (u, v) => v.map((x) => `${x.toFixed(0)}%`) }],
  }, data, plotBox);
  page.charts.smiles.set(surface.symbol, { key, plot });
}

async function refreshSmiles(markets) {
  const strikes = optionAssets(markets);
  for (const [asset, list] of strikes) {
    renderSmile(await api.call("nov_getSurface", [asset]), list);
  }
  if (!strikes.size && !$("smiles").childElementCount) $("smiles").append(el("p", { class: "muted" }, "no options listed"));
}

// ---------------------------------------------------------------------------------------
// The book panel.

function marketParams(id) {
  return page.markets.find((m) => m.params.id === id)?.params;
}

function renderBook(book) {
  if (book.market !== page.bookMarket) return;
  document.body.dataset.bookHeight = String(book.height);
  const row = (side) => (l) => el("tr", {}, el("td", { class: side, raw: l.price }, fmt(l.price, 6)), el("td", {}, String(l.size_lots)), el("td", {}, String(l.orders)));
  fillRows("book-bids", book.bids.map(row("bid")));
  fillRows("book-asks", book.asks.map(row("ask")));
}

function tradeRow(trade) {
  const fill = trade.event.Fill;
  const params = marketParams(fill.market);
  const price = params ? mulDec(String(fill.price_ticks), params.tick_size) : null;
  return el("tr", {}, el("td", {}, String(trade.height)), el("td", { class: fill.taker_side === "Buy" ? "bid" : "ask" }, fill.taker_side.toLowerCase()),
    el("td", { raw: price }, fmt(price, 6)), el("td", {}, String(fill.size_lots)), money(fill.notional, 2));
}

function renderTrades() {
  fillRows("trades", page.trades.map(tradeRow));
}

function onTrades(fills) {
  page.trades = fills.filter((t) => t.event.Fill && t.event.Fill.market === page.bookMarket).concat(page.trades).slice(0, TRADES_SHOWN);
  renderTrades();
}

async function showBookMarket(id) {
  const previous = [page.bookSub, page.tradesSub];
  page.bookMarket = id;
  page.bookSub = page.tradesSub = null;
  page.trades = [];
  await Promise.all([api.unsubscribe("nov_unsubscribeBook", previous[0]), api.unsubscribe("nov_unsubscribeTrades", previous[1])]);
  if (id === null) return;
  page.bookSub = await api.subscribe("nov_subscribeBook", [id], renderBook);
  page.tradesSub = await api.subscribe("nov_subscribeTrades", [id], onTrades);
  const [book, trades] = await Promise.all([api.call("nov_getBook", [id, 20]), api.call("nov_getTrades", [id, TRADES_SHOWN])]);
  renderBook(book);
  page.trades = trades;
  renderTrades();
}

function fillMarketSelect(markets) {
  const select = $("book-market");
  if (select.options.length === markets.length) return;
  select.replaceChildren(...markets.map(({ params }) => el("option", { value: String(params.id) }, params.symbol)));
  if (page.bookMarket === null && markets.length) page.bookMarket = markets[0].params.id;
  select.value = String(page.bookMarket);
}

// ---------------------------------------------------------------------------------------
// The account page (#account=0x…&sub=N).

function parseHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("account")) return null;
  return { address: params.get("account").trim(), number: Number(params.get("sub") || 0) };
}

function eventSummary(event) {
  const [kind, body] = typeof event === "string" ? [event, null] : Object.entries(event)[0];
  if (!body || typeof body !== "object") return [kind, ""];
  const parts = Object.entries(body).filter(([, v]) => typeof v !== "object" || v === null).map(([k, v]) => `${k}=${v}`);
  return [kind, parts.join(" ")];
}

function renderAccountEvents() {
  fillRows("acct-events", page.accountEvents.map((e) => {
    const [kind, details] = eventSummary(e.event);
    return el("tr", {}, el("td", {}, String(e.height)), el("td", { class: "text" }, kind), el("td", { class: "text details mono" }, details));
  }));
}

async function refreshAccount() {
  const account = page.account;
  if (!account || !/^0x[0-9a-fA-F]{40}$/.test(account.address)) return;
  const [view, orders] = await Promise.all([
    api.call("nov_getAccount", [account.address, account.number]),
    api.call("nov_getOpenOrders", [account.address, account.number]),
  ]);
  if (page.account !== account) return;
  const h = view.health;
  $("account-body").hidden = false;
  $("account-message").textContent = `${account.address} subaccount ${account.number} at height ${view.height}`;
  setText("acct-equity", fmt(h.equity, 2), h.equity);
  setText("acct-free", fmt(h.free_collateral, 2), h.free_collateral);
  setText("acct-maintenance", fmt(h.maintenance_requirement, 2), h.maintenance_requirement);
  setText("acct-initial", fmt(h.initial_requirement, 2), h.initial_requirement);
  setText("acct-leverage", h.leverage === null ? "–" : `${fmt(h.leverage, 4)}x`, h.leverage);
  setText("acct-status", h.below_maintenance ? "liquidatable" : h.meets_initial ? "healthy" : "below initial margin");
  $("acct-status").className = h.below_maintenance ? "danger" : "";
  setText("acct-nonce", String(view.nonce));
  fillRows("acct-balances", view.balances.map((b) => el("tr", { "data-asset": b.symbol }, el("td", {}, b.symbol), money(b.amount, 6))));
  fillRows("acct-positions", view.positions.map((p) => el("tr", { "data-market": p.symbol }, el("td", {}, p.symbol), money(p.size, 6),
    money(p.entry_price), money(p.mark), money(p.notional, 2), money(p.unrealized_pnl, 2))));
  fillRows("acct-orders", orders.orders.map((o) => el("tr", {}, el("td", {}, marketParams(o.market)?.symbol ?? String(o.market)),
    el("td", {}, String(o.order_id)), el("td", {}, String(o.client_order_id ?? "–")), el("td", { class: o.side === "Buy" ? "bid" : "ask" }, o.side.toLowerCase()),
    money(o.price, 6), money(o.size, 6), money(o.remaining, 6))));
}

async function showAccount() {
  const wanted = parseHash();
  $("system-page").hidden = wanted !== null;
  $("account-page").hidden = wanted === null;
  const previous = page.accountSub;
  page.accountSub = null;
  page.account = wanted;
  page.accountEvents = [];
  await api.unsubscribe("nov_unsubscribeAccount", previous);
  if (!wanted) return;
  $("account-address").value = wanted.address;
  $("account-number").value = String(wanted.number);
  $("account-body").hidden = true;
  if (!/^0x[0-9a-fA-F]{40}$/.test(wanted.address) || !(wanted.number >= 0 && wanted.number <= 65535)) {
    $("account-message").textContent = wanted.address ? "an address is 0x and 40 hex digits; a subaccount 0–65535" : "enter an address";
    return;
  }
  page.accountSub = await api.subscribe("nov_subscribeAccount", [wanted.address], (events) => {
    page.accountEvents = events.slice().reverse().concat(page.accountEvents).slice(0, EVENTS_SHOWN);
    renderAccountEvents();
  });
  page.accountEvents = await api.call("nov_getAccountEvents", [wanted.address, EVENTS_SHOWN]);
  renderAccountEvents();
  await refreshAccount();
}

// ---------------------------------------------------------------------------------------
// Refreshing: every view once on connect, then after blocks, at most once per second and
// never two at once.

let refreshing = false, refreshAgain = false, lastRefreshAt = 0, refreshTimer = null;

async function refreshAll() {
  const [status, markets, totals, risk] = await Promise.all([
    api.call("nov_status"), api.call("nov_getMarkets"), api.call("nov_getSystemTotals"), api.call("nov_getRiskView", [CLOSEST_SHOWN]),
  ]);
  page.markets = markets;
  for (const r of risk.reserves) page.assets.set(r.asset, r.symbol);
  renderStatus(status);
  renderTotals(totals, risk);
  renderInsuranceChart(status.time_ms, risk, totals);
  renderHealth(risk);
  renderMarkets(markets);
  renderOracles(markets);
  renderReserves(risk.reserves);
  fillMarketSelect(markets);
  await refreshSmiles(markets);
  await refreshAccount();
}

function scheduleRefresh() {
  if (refreshing) { refreshAgain = true; return; }
  if (refreshTimer) return;
  const wait = Math.max(0, lastRefreshAt + REFRESH_MIN_MS - Date.now());
  refreshTimer = setTimeout(async () => {
    refreshTimer = null;
    refreshing = true;
    lastRefreshAt = Date.now();
    await quietly(refreshAll().then(() => { document.body.dataset.loaded = "1"; }));
    refreshing = false;
    if (refreshAgain) { refreshAgain = false; scheduleRefresh(); }
  }, wait);
}

async function onConnected() {
  page.bookSub = page.tradesSub = page.accountSub = null; // subscriptions died with the old socket
  await api.subscribe("nov_subscribeBlocks", [], (notice) => { renderBlock(notice); scheduleRefresh(); });
  await refreshAll();
  document.body.dataset.loaded = "1";
  lastRefreshAt = Date.now();
  await showBookMarket(page.bookMarket);
  await showAccount();
}

function start() {
  $("book-market").addEventListener("change", (e) => quietly(showBookMarket(Number(e.target.value))));
  $("account-form").addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `account=${$("account-address").value.trim()}&sub=${$("account-number").value || 0}`;
  });
  window.addEventListener("hashchange", () => quietly(showAccount()));
  api.onOpen = () => quietly(onConnected());
  const wanted = parseHash();
  $("system-page").hidden = wanted !== null;
  $("account-page").hidden = wanted === null;
  api.connect();
}

start();
