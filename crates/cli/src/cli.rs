//! The command line: every subcommand, flag and argument, parsed by clap. Values that can be
//! checked without the node (numbers, addresses, names) are checked here, so a malformed
//! argument is a usage error (exit code 2) before anything is sent.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use novation_math::Decimal;

use crate::keys::Scheme;
use crate::units::{parse_decimal, parse_positive_decimal};

/// The default JSON-RPC address of a local node.
pub(crate) const RPC_DEFAULT: &str = "http://127.0.0.1:8545";
/// The default port of `devnet` and `node`.
pub(crate) const PORT_DEFAULT: u16 = 8545;
/// The default block interval of `devnet` and `node`, in milliseconds.
pub(crate) const BLOCK_TIME_MS_DEFAULT: u64 = 200;

/// novation: a derivatives clearing chain. Run a devnet, manage keys, trade, query.
#[derive(Debug, Parser)]
#[command(name = "novation", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    /// JSON-RPC address of the node: `http(s)://host:port`, `ws(s)://host:port` or `host:port`.
    #[arg(long, global = true, value_name = "URL", default_value = RPC_DEFAULT)]
    pub(crate) rpc: String,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Directory for keys and devnet data [default: ~/.novation].
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a one-process development chain with seeded markets and funded demo keys (a solo
    /// sequencer; with --validators, a whole validator network in one process).
    Devnet(DevnetArgs),
    /// Run a node: a testnet validator or full node (--home DIR written by `testnet init`), or
    /// a solo sequencer from a genesis file (--genesis FILE).
    Node(NodeArgs),
    /// Set up a validator network on this machine.
    #[command(subcommand)]
    Testnet(TestnetCommand),
    /// Create, import and list signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Sign and send a transaction, then wait for its result.
    Tx(TxArgs),
    /// Read the chain's state.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Price instruments offline with the protocol's own math.
    #[command(subcommand)]
    Quote(QuoteCommand),
    /// A live terminal view of a book or an account, redrawn from the node's WebSocket
    /// subscriptions (Ctrl-C stops it).
    #[command(subcommand)]
    Watch(WatchCommand),
}

/// `novation watch ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum WatchCommand {
    /// A market's order book, redrawn after every block.
    Book {
        /// Market symbol (BTC-PERP) or id.
        market: String,
        /// Price levels per side.
        #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=20))]
        depth: u32,
        /// How to watch.
        #[command(flatten)]
        watch: WatchArgs,
    },
    /// An account's balances, positions, health and latest events, redrawn whenever a block
    /// touches it.
    Account {
        /// An address, or the name of a stored key [default: the only stored key].
        account: Option<String>,
        /// The subaccount number.
        #[arg(long, value_name = "N", default_value_t = 0)]
        subaccount: u16,
        /// How to watch.
        #[command(flatten)]
        watch: WatchArgs,
    },
}

/// Flags shared by the `watch` views.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Print one frame (after the first message) and exit, without clearing the screen.
    #[arg(long)]
    pub(crate) once: bool,
    /// Poll over HTTP once a second instead of subscribing over the WebSocket (for proxies
    /// that pass no WebSocket; behind TLS the view always polls).
    #[arg(long)]
    pub(crate) poll: bool,
}

/// Paging through history, newest first.
#[derive(Debug, Args)]
pub(crate) struct PageArgs {
    /// Most records to show.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) limit: u32,
    /// Show those older than this cursor: the `next` a previous page printed (`HEIGHT:SEQ`),
    /// or a block height.
    #[arg(long, value_name = "CURSOR", value_parser = parse_cursor)]
    pub(crate) before: Option<String>,
}

/// A history cursor: `HEIGHT:SEQ` as a page's `next` gives it, or a bare height.
fn parse_cursor(text: &str) -> Result<String, String> {
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    let valid = match text.split_once(':') {
        Some((height, seq)) => digits(height) && digits(seq),
        None => digits(text),
    };
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!("`{text}` is not a cursor: use the `next` a page printed (HEIGHT:SEQ) or a block height"))
    }
}

/// Which history `query history` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum HistoryKindArg {
    /// Liquidation steps, backstop takeovers, insurance payouts, bad debt, auto-deleveraging.
    Liquidations,
    /// Orders accepted and cancelled, triggers placed and refused.
    Orders,
    /// Deposits, withdrawals, transfers, contributions, margin modes, settlements.
    Collateral,
    /// Trades.
    Fills,
    /// Funding payments.
    Funding,
    /// Every event touching the account.
    All,
}

impl HistoryKindArg {
    /// The kind's name on the API (`nov_getAccountHistory`).
    pub(crate) fn api_name(self) -> &'static str {
        match self {
            HistoryKindArg::Liquidations => "liquidations",
            HistoryKindArg::Orders => "orders",
            HistoryKindArg::Collateral => "collateral",
            HistoryKindArg::Fills => "fills",
            HistoryKindArg::Funding => "funding",
            HistoryKindArg::All => "all",
        }
    }
}

/// `novation quote`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum QuoteCommand {
    /// A European option under Black-76 on the forward, discounted at `--rate`
    /// (continuous); T = expiry-days / 365; delta w.r.t. the forward (discounted); vega per
    /// 1.00 of vol; theta per year of calendar time. `--price` instead of `--vol` solves
    /// for the implied volatility (`iv`).
    Option(crate::quote::OptionQuoteArgs),
}

/// `novation testnet ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TestnetCommand {
    /// Write one home per validator (keys, config, the shared genesis) under --dir; start
    /// each with `novation node --home DIR/vI`. Validator i serves JSON-RPC on
    /// base-port + i and p2p on base-port + 100 + i, all on 127.0.0.1.
    Init(TestnetInitArgs),
}

/// `novation testnet init`.
#[derive(Debug, Args)]
pub(crate) struct TestnetInitArgs {
    /// How many validators (1 to 100), power 1 each.
    #[arg(long, value_name = "N")]
    pub(crate) validators: usize,
    /// The directory to write the homes `v0`, `v1`, … into.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// First port: validator i's RPC is base-port + i, its p2p port base-port + 100 + i.
    #[arg(long, value_name = "PORT", default_value_t = novation_consensus::network::DEFAULT_BASE_PORT)]
    pub(crate) base_port: u16,
    /// Least time between blocks in milliseconds.
    #[arg(long, value_name = "N", default_value_t = novation_consensus::network::DEFAULT_BLOCK_TIME_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) block_time_ms: u64,
}

/// `novation devnet`. Without --validators it is the solo sequencer; with --validators N it
/// runs N validators agreeing through consensus, in this one process.
#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Where the chain's database lives [default: HOME/devnet].
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Port of the JSON-RPC API on 127.0.0.1 (the solo devnet; validators use --base-port).
    #[arg(long, default_value_t = PORT_DEFAULT)]
    pub(crate) port: u16,
    /// Block interval in milliseconds [default: 200; with --validators 250, fixed when the
    /// network is first written].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) block_time_ms: Option<u64>,
    /// Start from a fresh chain, deleting the data directory's previous chain.
    #[arg(long)]
    pub(crate) reset: bool,
    /// Run a built-in market maker quoting both sides of every market (with --validators,
    /// through validator 0).
    #[arg(long)]
    pub(crate) market_maker: bool,
    /// Run a network of N validators in this process instead of the solo sequencer (its homes
    /// in DATA_DIR/testnet, created on first start).
    #[arg(long, value_name = "N")]
    pub(crate) validators: Option<usize>,
    /// First port of the validators: validator i's RPC is base-port + i, its p2p port
    /// base-port + 100 + i [default: 26000].
    #[arg(long, value_name = "PORT", requires = "validators")]
    pub(crate) base_port: Option<u16>,
    /// Also serve the Hyperliquid-compatible API (`POST /info`, docs/hyperliquid.md) on
    /// 127.0.0.1:PORT; `--hl-port` alone uses 3001. With --validators it serves validator 0's
    /// node.
    #[arg(long, value_name = "PORT", num_args = 0..=1, default_missing_value = "3001")]
    pub(crate) hl_port: Option<u16>,
}

/// `novation node`. With the global `--home DIR` naming a home written by `novation testnet
/// init` (DIR/config.json and DIR/validators.json), it runs that validator, or a full node
/// where the home has no consensus_key.json; otherwise it runs a solo sequencer from
/// --genesis.
#[derive(Debug, Args)]
pub(crate) struct NodeArgs {
    /// The genesis file (JSON of the protocol's `Genesis`) of a solo node; not used with a
    /// validator home.
    #[arg(long, value_name = "FILE")]
    pub(crate) genesis: Option<PathBuf>,
    /// Where a solo node's database lives [default: HOME/node]; a validator home keeps its
    /// own in HOME/data.
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Port of a solo node's JSON-RPC API on 127.0.0.1 (a validator home names its own).
    #[arg(long, default_value_t = PORT_DEFAULT)]
    pub(crate) port: u16,
    /// A solo node's block interval in milliseconds (a validator home names its own).
    #[arg(long, value_name = "N", default_value_t = BLOCK_TIME_MS_DEFAULT, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) block_time_ms: u64,
    /// The chain id transactions must name (a solo node; a validator home names its own).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) chain_id: u64,
    /// Also serve the Hyperliquid-compatible API (`POST /info`, docs/hyperliquid.md) from this
    /// node on 127.0.0.1:PORT; `--hl-port` alone uses 3001.
    #[arg(long, value_name = "PORT", num_args = 0..=1, default_missing_value = "3001")]
    pub(crate) hl_port: Option<u16>,
}

/// `novation keys ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a key from the operating system's randomness.
    New {
        /// Its name [default: the first free `keyN`].
        #[arg(long)]
        name: Option<String>,
        /// Signature scheme.
        #[arg(long, value_enum, default_value_t = Scheme::Eip712)]
        scheme: Scheme,
    },
    /// List the stored keys and their addresses.
    List,
    /// Store an existing secret key under a name.
    Import {
        /// The name to store it under.
        name: String,
        /// The secret key: 64 hex digits, `0x` optional.
        secret_hex: String,
        /// Signature scheme.
        #[arg(long, value_enum, default_value_t = Scheme::Eip712)]
        scheme: Scheme,
    },
    /// Show a key's address (and its secret with --secret).
    Show {
        /// The key's name.
        name: String,
        /// Also print the secret key.
        #[arg(long)]
        secret: bool,
    },
}

/// `novation tx --key NAME ...`.
#[derive(Debug, Args)]
pub(crate) struct TxArgs {
    /// The stored key that signs (and whose account acts).
    #[arg(long, value_name = "NAME")]
    pub(crate) key: String,
    /// Act for this account (address or stored key name) as its authorised agent
    /// [default: the key's own account].
    #[arg(long, value_name = "ACCOUNT")]
    pub(crate) account: Option<String>,
    /// The subaccount number acted on.
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    pub(crate) subaccount: u16,
    /// The transaction.
    #[command(subcommand)]
    pub(crate) action: TxCommand,
}

/// Buy or sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SideArg {
    /// Buy (go long or reduce a short).
    Buy,
    /// Sell (go short or reduce a long).
    Sell,
}

/// The transactions `novation tx` sends.
#[derive(Debug, Subcommand)]
pub(crate) enum TxCommand {
    /// Credit collateral to the subaccount.
    Deposit {
        /// Asset symbol (USD, BTC, ...) or id.
        asset: String,
        /// Amount in whole units of the asset.
        #[arg(value_parser = parse_positive_decimal)]
        amount: Decimal,
    },
    /// Withdraw collateral from the subaccount.
    Withdraw {
        /// Asset symbol (USD, BTC, ...) or id.
        asset: String,
        /// Amount in whole units of the asset.
        #[arg(value_parser = parse_positive_decimal)]
        amount: Decimal,
    },
    /// Place an order: a limit order with --price, else a market order.
    Order(OrderArgs),
    /// Cancel an order by its id, or by --client-id.
    Cancel {
        /// The order id.
        #[arg(required_unless_present = "client_id", conflicts_with = "client_id")]
        order_id: Option<u64>,
        /// The client order id given when it was placed.
        #[arg(long, value_name = "N")]
        client_id: Option<u64>,
    },
    /// Cancel every open order of the subaccount (in one market with --market).
    CancelAll {
        /// Only this market (symbol or id).
        #[arg(long, value_name = "M")]
        market: Option<String>,
    },
    /// Let another key (address or stored key name) trade for this account.
    AuthorizeAgent {
        /// The agent's address, or the name of a stored key.
        agent: String,
    },
    /// Withdraw an agent's authorisation (address or stored key name).
    RevokeAgent {
        /// The agent's address, or the name of a stored key.
        agent: String,
    },
    /// Change a resting order's price and/or size (it keeps its place in the queue only when
    /// the price stays and the size does not grow).
    Modify {
        /// The order id (see `novation query orders`).
        order_id: u64,
        /// The new limit price [default: unchanged].
        #[arg(long, value_name = "P", value_parser = parse_positive_decimal, required_unless_present = "size")]
        price: Option<Decimal>,
        /// The new remaining size in base units [default: unchanged].
        #[arg(long, value_name = "S", value_parser = parse_positive_decimal)]
        size: Option<Decimal>,
    },
    /// Place a stop-loss or take-profit: an order that enters the book when the mark price
    /// crosses --trigger (reduce-only unless --allow-increase).
    Trigger(TriggerArgs),
    /// Move collateral from --subaccount to another subaccount of the same account.
    Transfer {
        /// Asset symbol (USD, BTC, ...) or id.
        asset: String,
        /// Amount in whole units of the asset.
        #[arg(value_parser = parse_positive_decimal)]
        amount: Decimal,
        /// The destination subaccount number.
        #[arg(long, value_name = "N")]
        to: u16,
    },
    /// Isolate the subaccount to one market (its own margin, quote collateral only), or make
    /// it cross-margined again with --cross. Only while it has no positions and no orders.
    Isolated {
        /// The one market it may trade (symbol or id).
        #[arg(long, value_name = "M", required_unless_present = "cross", conflicts_with = "cross")]
        market: Option<String>,
        /// Back to cross margin.
        #[arg(long)]
        cross: bool,
    },
    /// Apply the order actions of a JSON file in one transaction, all or none (format in
    /// docs/cli.md).
    Batch {
        /// The JSON file: an array of order actions.
        file: PathBuf,
    },
    /// Choose how the subaccount's margin is computed: per position (standard) or over a
    /// grid of price and volatility scenarios per underlying (portfolio).
    MarginMode {
        /// standard or portfolio.
        #[arg(long, value_enum)]
        mode: MarginModeArg,
    },
}

/// How a subaccount's margin is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum MarginModeArg {
    /// Per position: margin tiers, the standard option formulas.
    Standard,
    /// The worst loss over a scenario grid per underlying, so hedges offset.
    Portfolio,
}

/// `novation tx order`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("tif").args(["ioc", "fok", "post_only"])))]
pub(crate) struct OrderArgs {
    /// Market symbol (BTC-PERP) or id.
    pub(crate) market: String,
    /// buy or sell.
    #[arg(value_enum)]
    pub(crate) side: SideArg,
    /// Size in base units (e.g. 0.01 BTC); must be a whole number of lots.
    #[arg(value_parser = parse_positive_decimal)]
    pub(crate) size: Decimal,
    /// Limit price in quote per base unit; must be a whole number of ticks. Without it, the
    /// order is a market order.
    #[arg(long, value_name = "P", value_parser = parse_positive_decimal)]
    pub(crate) price: Option<Decimal>,
    /// Immediate or cancel: fill what crosses now, cancel the rest.
    #[arg(long, requires = "price")]
    pub(crate) ioc: bool,
    /// Fill or kill: fill entirely now or not at all.
    #[arg(long, requires = "price")]
    pub(crate) fok: bool,
    /// Post only: rest on the book, refused if it would trade.
    #[arg(long, requires = "price")]
    pub(crate) post_only: bool,
    /// Only ever reduce the position.
    #[arg(long)]
    pub(crate) reduce_only: bool,
    /// Your own id for the order (cancel it with `cancel --client-id`).
    #[arg(long, value_name = "N")]
    pub(crate) client_id: Option<u64>,
    /// Market orders: the furthest from mark to trade, in percent [default: 1].
    #[arg(long, value_name = "PCT", conflicts_with = "price", value_parser = parse_decimal)]
    pub(crate) slippage: Option<Decimal>,
}

/// Stop-loss or take-profit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TriggerKindArg {
    /// Close at a loss: a sell fires when the mark falls to the trigger, a buy when it rises.
    StopLoss,
    /// Close at a profit: a sell fires when the mark rises to the trigger, a buy when it falls.
    TakeProfit,
}

/// `novation tx trigger`.
#[derive(Debug, Args)]
pub(crate) struct TriggerArgs {
    /// stop-loss or take-profit.
    #[arg(value_enum)]
    pub(crate) kind: TriggerKindArg,
    /// Market symbol (BTC-PERP) or id.
    pub(crate) market: String,
    /// The side of the order placed when it fires (sell closes a long).
    #[arg(value_enum)]
    pub(crate) side: SideArg,
    /// Size in base units; a whole number of lots.
    #[arg(value_parser = parse_positive_decimal)]
    pub(crate) size: Decimal,
    /// The mark price that fires it; a whole number of ticks.
    #[arg(long = "trigger", value_name = "P", value_parser = parse_positive_decimal)]
    pub(crate) trigger_price: Decimal,
    /// Limit price of the order placed when it fires (good till cancelled; --ioc for
    /// immediate or cancel). Without it, a market order.
    #[arg(long, value_name = "P", value_parser = parse_positive_decimal)]
    pub(crate) price: Option<Decimal>,
    /// The limit order placed is immediate or cancel.
    #[arg(long, requires = "price")]
    pub(crate) ioc: bool,
    /// A market order's furthest trade from mark, in percent [default: 1].
    #[arg(long, value_name = "PCT", conflicts_with = "price", value_parser = parse_decimal)]
    pub(crate) slippage: Option<Decimal>,
    /// Let the order open or grow a position (by default it only reduces one).
    #[arg(long)]
    pub(crate) allow_increase: bool,
    /// Your own id for the order.
    #[arg(long, value_name = "N")]
    pub(crate) client_id: Option<u64>,
}

/// `novation query ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum QueryCommand {
    /// Balances, positions and margin health of an account.
    Account {
        /// An address, or the name of a stored key.
        account: String,
        /// The subaccount number.
        #[arg(long, value_name = "N", default_value_t = 0)]
        subaccount: u16,
    },
    /// A transaction by hash: pending, included (block, result, events) or unknown.
    Tx {
        /// The transaction hash `nov_sendTransaction` answered (0x and 64 hex digits).
        hash: String,
    },
    /// The resting orders of an account's subaccount: ids, client ids, price, size, filled.
    Orders {
        /// An address, or the name of a stored key [default: the only stored key].
        account: Option<String>,
        /// The subaccount number.
        #[arg(long, value_name = "N", default_value_t = 0)]
        subaccount: u16,
    },
    /// An account's fills, newest first: market, side, maker or taker, price, size, fee,
    /// realised PnL.
    Fills {
        /// An address, or the name of a stored key [default: the only stored key].
        account: Option<String>,
        /// Which page.
        #[command(flatten)]
        page: PageArgs,
    },
    /// Funding an account received (positive) or paid (negative), newest first.
    Funding {
        /// An address, or the name of a stored key [default: the only stored key].
        account: Option<String>,
        /// Which page.
        #[command(flatten)]
        page: PageArgs,
    },
    /// An account's history, newest first: liquidations and auto-deleveraging unless --kind
    /// says otherwise.
    History {
        /// An address, or the name of a stored key [default: the only stored key].
        account: Option<String>,
        /// Which events.
        #[arg(long, value_enum, default_value_t = HistoryKindArg::Liquidations)]
        kind: HistoryKindArg,
        /// Which page.
        #[command(flatten)]
        page: PageArgs,
    },
    /// The order book of a market.
    Book {
        /// Market symbol (BTC-PERP) or id.
        market: String,
        /// Price levels per side.
        #[arg(long, value_name = "N", default_value_t = 10)]
        depth: u32,
    },
    /// Every market's parameters and statistics.
    Markets,
    /// A block's header, transactions and results.
    Block {
        /// The block height.
        height: u64,
    },
    /// The chain's height, time and state root.
    Status,
    /// System risk: insurance fund, bad debt, open interest, accounts closest to liquidation.
    Risk,
    /// Where each of an account's positions stands in the auto-deleveraging queue.
    AdlRank {
        /// An address, or the name of a stored key.
        account: String,
        /// The subaccount number.
        #[arg(long, value_name = "N", default_value_t = 0)]
        subaccount: u16,
    },
    /// The backstop liquidator: equity, drawdown, exposure and limits per market.
    Backstop,
    /// Every subaccount (including those holding only debt), a page at a time, in id order.
    Subaccounts {
        /// Most subaccounts to list.
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u32,
        /// List those after this subaccount (an account name or address).
        #[arg(long, value_name = "ACCOUNT")]
        after: Option<String>,
        /// The subaccount number of `--after`.
        #[arg(long, value_name = "N", default_value_t = 0)]
        after_subaccount: u16,
    },
    /// The volatility surface of an underlying: one SVI smile per option expiry.
    Surface {
        /// The underlying's symbol or id.
        #[arg(long, value_name = "ASSET", default_value = "BTC")]
        asset: String,
    },
    /// Dated futures and option series with marks, implied volatility and Greeks.
    Series {
        /// Only this market (symbol or id) [default: every dated future and option].
        #[arg(long, value_name = "M")]
        market: Option<String>,
    },
    /// Net Greeks per underlying of an account [default: system-wide open interest].
    Greeks {
        /// An address, or the name of a stored key.
        #[arg(long, value_name = "A")]
        address: Option<String>,
        /// The subaccount number.
        #[arg(long, value_name = "N", requires = "address")]
        subaccount: Option<u16>,
    },
    /// How a subaccount's margin requirement is made up (standard and portfolio).
    Margin {
        /// An address, or the name of a stored key.
        #[arg(long, value_name = "A")]
        address: String,
        /// The subaccount number.
        #[arg(long, value_name = "N", default_value_t = 0)]
        subaccount: u16,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("novation").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_have_working_defaults_and_go_anywhere() {
        let cli = parse(&["query", "status"]).unwrap();
        assert_eq!(cli.rpc, RPC_DEFAULT);
        assert!(!cli.json);
        let cli = parse(&["query", "status", "--json", "--rpc", "http://10.0.0.1:1"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.rpc, "http://10.0.0.1:1");
    }

    #[test]
    fn devnet_defaults_just_work() {
        let Command::Devnet(args) = parse(&["devnet"]).unwrap().command else { panic!("not devnet") };
        assert_eq!((args.port, args.block_time_ms, args.reset, args.market_maker), (8545, None, false, false));
        assert_eq!((args.validators, args.base_port), (None, None));
        let Command::Devnet(args) =
            parse(&["devnet", "--port", "9000", "--block-time-ms", "50", "--reset"]).unwrap().command
        else {
            panic!("not devnet")
        };
        assert_eq!((args.port, args.block_time_ms, args.reset), (9000, Some(50), true));
        assert!(parse(&["devnet", "--block-time-ms", "0"]).is_err());
        assert!(parse(&["devnet", "--base-port", "27000"]).is_err(), "a base port needs --validators");
        let Command::Devnet(args) = parse(&["devnet", "--validators", "4"]).unwrap().command else {
            panic!("not devnet")
        };
        assert_eq!(args.validators, Some(4));
    }

    #[test]
    fn a_limit_order_parses_with_its_flags() {
        let cli =
            parse(&["tx", "--key", "a", "order", "BTC-PERP", "buy", "0.01", "--price", "65000", "--ioc"]).unwrap();
        let Command::Tx(tx) = cli.command else { panic!("not tx") };
        let TxCommand::Order(order) = tx.action else { panic!("not order") };
        assert_eq!(order.side, SideArg::Buy);
        assert_eq!(order.size, "0.01".parse().unwrap());
        assert_eq!(order.price, Some("65000".parse().unwrap()));
        assert!(order.ioc && !order.fok && !order.post_only);
    }

    #[test]
    fn conflicting_order_flags_are_usage_errors() {
        let base = ["tx", "--key", "a", "order", "BTC-PERP", "buy", "1"];
        let with = |extra: &[&str]| parse(&[&base[..], extra].concat());
        assert!(with(&["--price", "1", "--ioc", "--fok"]).is_err());
        assert!(with(&["--ioc"]).is_err(), "time in force needs a price");
        assert!(with(&["--price", "1", "--slippage", "2"]).is_err());
        assert!(with(&["--slippage", "2"]).is_ok());
        assert_eq!(with(&["--price", "abc"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn bad_numbers_and_sides_are_refused() {
        assert!(parse(&["tx", "--key", "a", "order", "BTC-PERP", "hold", "1"]).is_err());
        assert!(parse(&["tx", "--key", "a", "deposit", "USD", "-5"]).is_err());
        assert!(parse(&["tx", "--key", "a", "deposit", "USD", "1e3"]).is_err());
        assert!(parse(&["tx", "deposit", "USD", "5"]).is_err(), "--key is required");
    }

    #[test]
    fn cancel_takes_an_id_or_a_client_id_but_not_both() {
        assert!(parse(&["tx", "--key", "a", "cancel", "42"]).is_ok());
        assert!(parse(&["tx", "--key", "a", "cancel", "--client-id", "7"]).is_ok());
        assert!(parse(&["tx", "--key", "a", "cancel"]).is_err());
        assert!(parse(&["tx", "--key", "a", "cancel", "42", "--client-id", "7"]).is_err());
    }

    #[test]
    fn the_subaccount_flag_reaches_every_transaction() {
        let cli = parse(&["tx", "--key", "a", "deposit", "USD", "100", "--subaccount", "3"]).unwrap();
        let Command::Tx(tx) = cli.command else { panic!("not tx") };
        assert_eq!(tx.subaccount, 3);
        assert_eq!(tx.account, None);
        let cli = parse(&["tx", "--key", "bot", "--account", "alice", "cancel-all"]).unwrap();
        let Command::Tx(tx) = cli.command else { panic!("not tx") };
        assert_eq!(tx.account.as_deref(), Some("alice"));
    }

    #[test]
    fn keys_commands_parse() {
        let cli = parse(&["keys", "new", "--name", "alice", "--scheme", "ed25519"]).unwrap();
        assert!(matches!(cli.command, Command::Keys(KeysCommand::New { scheme: Scheme::Ed25519, .. })));
        assert!(parse(&["keys", "new", "--scheme", "rsa"]).is_err());
        assert!(matches!(
            parse(&["keys", "show", "alice", "--secret"]).unwrap().command,
            Command::Keys(KeysCommand::Show { secret: true, .. })
        ));
    }

    #[test]
    fn derivatives_queries_and_margin_mode_parse() {
        let Command::Query(QueryCommand::Surface { asset }) = parse(&["query", "surface"]).unwrap().command else {
            panic!("not surface")
        };
        assert_eq!(asset, "BTC");
        assert!(matches!(
            parse(&["query", "series", "--market", "7"]).unwrap().command,
            Command::Query(QueryCommand::Series { market: Some(_) })
        ));
        assert!(parse(&["query", "greeks"]).is_ok());
        assert!(parse(&["query", "greeks", "--subaccount", "1"]).is_err(), "a subaccount needs an address");
        assert!(parse(&["query", "margin"]).is_err(), "margin needs an address");
        let cli = parse(&["tx", "--key", "a", "margin-mode", "--mode", "portfolio", "--subaccount", "2"]).unwrap();
        let Command::Tx(tx) = cli.command else { panic!("not tx") };
        assert_eq!(tx.subaccount, 2);
        assert!(matches!(tx.action, TxCommand::MarginMode { mode: MarginModeArg::Portfolio }));
        assert!(parse(&["tx", "--key", "a", "margin-mode", "--mode", "cross"]).is_err());
    }

    #[test]
    fn history_queries_page_with_a_limit_and_a_cursor() {
        let Command::Query(QueryCommand::Fills { account, page }) =
            parse(&["query", "fills", "demo1", "--limit", "5", "--before", "120:3"]).unwrap().command
        else {
            panic!("not fills")
        };
        assert_eq!((account.as_deref(), page.limit, page.before.as_deref()), (Some("demo1"), 5, Some("120:3")));
        let Command::Query(QueryCommand::History { account, kind, page }) =
            parse(&["query", "history"]).unwrap().command
        else {
            panic!("not history")
        };
        assert_eq!((account, kind, page.limit, page.before), (None, HistoryKindArg::Liquidations, 20, None));
        assert!(parse(&["query", "history", "--kind", "orders", "--before", "77"]).is_ok());
        assert!(matches!(
            parse(&["query", "orders"]).unwrap().command,
            Command::Query(QueryCommand::Orders { account: None, .. })
        ));
        assert!(parse(&["query", "funding", "--before", "12:x"]).is_err());
        assert!(parse(&["query", "fills", "--limit", "0"]).is_err());
        assert!(parse(&["query", "history", "--kind", "gossip"]).is_err());
    }

    #[test]
    fn new_transactions_parse_with_their_required_flags() {
        let tx = |args: &[&str]| parse(&[&["tx", "--key", "a"][..], args].concat());
        assert!(tx(&["modify", "7", "--price", "58000"]).is_ok());
        assert!(tx(&["modify", "7", "--size", "0.1"]).is_ok());
        assert!(tx(&["modify", "7"]).is_err(), "modify needs a price or a size");
        let cli = tx(&["trigger", "stop-loss", "BTC-PERP", "sell", "0.01", "--trigger", "55000"]).unwrap();
        let Command::Tx(TxArgs { action: TxCommand::Trigger(trigger), .. }) = cli.command else {
            panic!("not trigger")
        };
        assert_eq!((trigger.kind, trigger.side, trigger.price), (TriggerKindArg::StopLoss, SideArg::Sell, None));
        assert!(tx(&["trigger", "take-profit", "BTC-PERP", "sell", "0.01"]).is_err(), "--trigger is required");
        assert!(tx(&["trigger", "stop-loss", "BTC-PERP", "sell", "0.01", "--trigger", "1", "--ioc"]).is_err());
        assert!(tx(&["transfer", "USD", "10", "--to", "1"]).is_ok());
        assert!(tx(&["transfer", "USD", "10"]).is_err(), "--to is required");
        assert!(tx(&["isolated", "--market", "BTC-PERP"]).is_ok());
        assert!(tx(&["isolated", "--cross"]).is_ok());
        assert!(tx(&["isolated"]).is_err());
        assert!(tx(&["isolated", "--cross", "--market", "BTC-PERP"]).is_err());
        assert!(tx(&["revoke-agent", "bot"]).is_ok());
        assert!(tx(&["batch", "orders.json"]).is_ok());
    }

    #[test]
    fn watch_views_parse() {
        let cli = parse(&["watch", "book", "BTC-PERP", "--once"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Watch(WatchCommand::Book { depth: 10, watch: WatchArgs { once: true, poll: false }, .. })
        ));
        let cli = parse(&["watch", "account", "demo1", "--subaccount", "2"]).unwrap();
        assert!(matches!(cli.command, Command::Watch(WatchCommand::Account { subaccount: 2, .. })));
        assert!(parse(&["watch", "book", "BTC-PERP", "--depth", "0"]).is_err());
    }

    #[test]
    fn node_takes_a_genesis_file_or_a_home() {
        assert!(parse(&["node", "--genesis", "g.json"]).is_ok());
        let cli = parse(&["node", "--home", "testnet/v0"]).unwrap();
        assert_eq!(cli.home, Some(PathBuf::from("testnet/v0")));
        assert!(matches!(cli.command, Command::Node(NodeArgs { genesis: None, .. })));
    }

    #[test]
    fn testnet_init_has_the_documented_defaults() {
        let cli = parse(&["testnet", "init", "--validators", "4", "--dir", "t"]).unwrap();
        let Command::Testnet(TestnetCommand::Init(args)) = cli.command else { panic!("not testnet init") };
        assert_eq!((args.validators, args.base_port, args.block_time_ms), (4, 26_000, 250));
        assert!(parse(&["testnet", "init", "--dir", "t"]).is_err(), "--validators is required");
    }
}
