//! The abstract script a simulation runs: who funds what, which leveraged positions open
//! first, and then blocks that each move the oracle (small steps, gaps up to ±9 %, crashes of
//! 30–50 %, silence, disagreement, wide confidence) and carry transactions described
//! abstractly ("5 bp through the mark", "one of my open orders", "90 % of my free
//! collateral"). The [`Runner`](crate::Runner) makes each transaction concrete against the
//! state just before it applies, so orders cross, margin limits are hit, and cancels and
//! modifies find real orders.
//!
//! A script is plain data: it is generated from a seed ([`Script::generate`]), shrunk by
//! removing parts of it, and printed with `{:?}` when it fails.

use novation_math::Ppm;
use novation_types::{Action, Address, AssetId, MarketId, SelfTradePrevention, Side, TimeInForce, TriggerCondition};

use crate::chain::trader;

/// Who signs a transaction.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    Trader(u64),
    Publisher(u64),
    Stranger(u64),
    /// The backstop liquidator's address (it may trade and move collateral like anyone).
    Backstop,
}

/// A key that may sign for an account once authorised: a dedicated key or another trader.
#[derive(Clone, Copy, Debug)]
pub enum AgentKey {
    Key(u64),
    Trader(u64),
}

impl AgentKey {
    /// The key's address.
    pub fn address(self) -> Address {
        match self {
            AgentKey::Key(n) => Address::from_index(7_000 + n),
            AgentKey::Trader(n) => trader(n),
        }
    }
}

/// An amount, made concrete for the asset it moves.
#[derive(Clone, Copy, Debug)]
pub enum Amount {
    /// An everyday amount: `n` USD, `n` × 0.00001 BTC or `n` × 0.0001 ETH.
    Typical(u32),
    /// `n` of the asset's smallest unit.
    Smallest(u32),
    Zero,
    Negative(u32),
    /// One digit more than the asset has (valid for USD, which has all 18).
    TooPrecise,
    /// The deposit cap plus `delta` smallest units.
    NearCap(i64),
    Max,
    Min,
    Raw(i128),
}

#[derive(Clone, Copy, Debug)]
pub enum Size {
    Lots(u64),
    Zero,
    /// Around the largest size the protocol accepts, or far beyond it.
    Huge(u64),
    /// The size whose initial margin is this percentage of the subaccount's free collateral
    /// (near 100 %: orders at the edge of what margin allows).
    OfFree(u8),
}

#[derive(Clone, Copy, Debug)]
pub enum Price {
    /// Basis points away from the current mark.
    Near(i32),
    Raw(u64),
}

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Limit(Price, TimeInForce),
    Market(Ppm),
}

#[derive(Clone, Copy, Debug)]
pub struct PlaceSpec {
    pub sub: u16,
    pub market: MarketId,
    pub side: Side,
    pub size: Size,
    pub kind: Kind,
    pub reduce_only: bool,
    pub client_id: Option<u64>,
    pub self_trade: SelfTradePrevention,
}

/// Which order an action names.
#[derive(Clone, Copy, Debug)]
pub enum OrderRef {
    /// Any order ever accepted (it may belong to someone else or be gone).
    Known(usize),
    /// One of the acting subaccount's open orders.
    Own(usize),
    /// An id the protocol will hand out soon (an order placed earlier in the same block).
    Next(MarketId, u8),
    Raw(u64),
}

#[derive(Clone, Copy, Debug)]
pub enum ModPrice {
    Same,
    Near(i32),
    Raw(u64),
}

#[derive(Clone, Copy, Debug)]
pub enum ModSize {
    Same,
    /// This percentage of the remaining size (0 % is an invalid modify).
    Percent(u8),
    Larger(u64),
    Zero,
}

#[derive(Clone, Copy, Debug)]
pub enum OrderSpec {
    Place(PlaceSpec),
    Cancel {
        sub: u16,
        order: OrderRef,
    },
    CancelByClientId {
        sub: u16,
        client_id: u64,
    },
    Modify {
        sub: u16,
        order: OrderRef,
        price: ModPrice,
        size: ModSize,
    },
    CancelAll {
        sub: u16,
        market: Option<MarketId>,
    },
    /// A stop-loss or take-profit placing `order` when the mark crosses `trigger`.
    Trigger {
        order: PlaceSpec,
        trigger: Price,
        condition: TriggerCondition,
    },
}

#[derive(Clone, Debug)]
pub enum ActionSpec {
    Deposit {
        sub: u16,
        asset: AssetId,
        amount: Amount,
    },
    Withdraw {
        sub: u16,
        asset: AssetId,
        amount: Amount,
    },
    Transfer {
        from: u16,
        to: u16,
        asset: AssetId,
        amount: Amount,
    },
    SetIsolated {
        sub: u16,
        market: Option<MarketId>,
    },
    FundInsurance {
        sub: u16,
        amount: Amount,
    },
    AuthorizeAgent(AgentKey),
    RevokeAgent(AgentKey),
    Order(OrderSpec),
    Batch(Vec<OrderSpec>),
    /// A batch one order action longer than allowed.
    OversizedBatch,
    /// A price report `bp` away from the current price, stamped `time_offset_ms` from the block.
    Report {
        asset: AssetId,
        bp: i32,
        confidence_bp: u32,
        time_offset_ms: i64,
    },
    /// Anything at all.
    Raw(Action),
}

#[derive(Clone, Copy, Debug)]
pub enum NonceSpec {
    Next,
    Ahead(u64),
    Behind(u64),
    /// Sends an earlier transaction again, unchanged.
    Replay(usize),
}

#[derive(Clone, Debug)]
pub struct TxSpec {
    pub who: Who,
    /// An agent key signing for `who`, if any.
    pub agent: Option<AgentKey>,
    pub nonce: NonceSpec,
    pub actions: Vec<ActionSpec>,
    /// Pad the transaction past the maximum number of actions.
    pub too_many: bool,
}

/// What the publishers do for one asset in one block.
#[derive(Clone, Copy, Debug)]
pub enum Move {
    Hold,
    /// A move of `bp` basis points (small moves and gaps up to ±9 %).
    Step(i32),
    /// A fall of this many percent in one block: too volatile for the EMA guard.
    Crash(u8),
    /// A rise of this many percent in one block.
    Pump(u8),
    /// Nobody reports (ten silent seconds make the price stale).
    Silent,
    /// One publisher reports: below quorum.
    OnlyOne,
    /// Publishers spread this many bp apart (disagreement widens the confidence).
    Disagree(u16),
    /// Publishers report a wide confidence interval.
    Unsure,
}

#[derive(Clone, Debug)]
pub struct BlockSpec {
    /// Empty blocks (no reports, no transactions) before this one.
    pub outage: u8,
    pub moves: [Move; 2],
    pub txs: Vec<TxSpec>,
}

/// What one trader deposits before the script starts.
#[derive(Clone, Copy, Debug)]
pub struct Funding {
    /// Whole USD (subaccount 1 gets a tenth more).
    pub usd: u32,
    /// Thousandths of a BTC.
    pub btc_milli: u32,
    /// Thousandths of an ETH.
    pub eth_milli: u32,
}

/// One simulation run, as data.
#[derive(Clone, Debug)]
pub struct Script {
    /// The seed it was generated from ([`Script::generate`]); it replays the script exactly.
    pub seed: u64,
    /// Whether parts of the generated script were removed (by shrinking): the seed then
    /// replays the original, not this script.
    pub shrunk: bool,
    /// Per trader.
    pub funding: Vec<Funding>,
    /// Leveraged positions opened right after funding, so that price moves liquidate.
    pub openers: Vec<Opener>,
    /// The blocks after funding and openers.
    pub blocks: Vec<BlockSpec>,
}

/// Trader `long` rests a bid at the mark sized to use `percent` % of its free collateral, and
/// trader `short` sells into it with an order of the same relative size.
#[derive(Clone, Copy, Debug)]
pub struct Opener {
    pub long: u64,
    pub short: u64,
    pub market: MarketId,
    pub percent: u8,
}

/// How unusual the generated inputs are, and how long a script is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flavor {
    /// Weight of totally arbitrary actions among the generated ones.
    pub raw_weight: u32,
    /// Whether order prices and sizes may be absurd (any `u64`). Tame scripts keep prices
    /// within ±6 % of the mark and sizes below the protocol's maximum, so the health
    /// properties judge realistic accounts; wild ones test robustness.
    pub wild: bool,
    /// Blocks after funding: at least this many ...
    pub min_blocks: usize,
    /// ... and fewer than this many.
    pub max_blocks: usize,
}

impl Flavor {
    /// Mostly trading, sometimes absurd numbers and arbitrary actions; 10 to 39 blocks.
    pub const WILD: Flavor = Flavor { raw_weight: 3, wild: true, min_blocks: 10, max_blocks: 40 };
    /// Many totally arbitrary actions; 5 to 24 blocks.
    pub const ARBITRARY: Flavor = Flavor { raw_weight: 40, wild: true, min_blocks: 5, max_blocks: 25 };
    /// Realistic prices and sizes only; 10 to 39 blocks.
    pub const TAME: Flavor = Flavor { raw_weight: 0, wild: false, min_blocks: 10, max_blocks: 40 };

    /// This flavor with exactly `blocks` blocks.
    pub const fn with_blocks(self, blocks: usize) -> Flavor {
        Flavor { min_blocks: blocks, max_blocks: blocks + 1, ..self }
    }
}

impl Script {
    /// Transactions the script itself describes (funding, openers and blocks; the publishers'
    /// price reports come on top).
    pub fn transaction_count(&self) -> usize {
        let funding = self.funding.len();
        let openers = self.openers.len() * 2;
        funding + openers + self.blocks.iter().map(|b| b.txs.len()).sum::<usize>()
    }
}
