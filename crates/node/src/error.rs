//! The node's errors: one enum, each variant with a stable code (2001–2099) and a message.
//! Transaction-envelope errors keep their own codes (1001–1099), so a client sees the same
//! code whether it checks an envelope locally or the node refuses it.

use std::fmt;

use novation_protocol::BlockError;
use novation_store::StoreError;
use novation_tx::TxError;

/// Why the node refused a request or could not start.
#[derive(Debug)]
pub enum NodeError {
    /// The envelope failed the stateless checks (code 1001–1099).
    Tx(TxError),
    /// The transaction fails the protocol's stateless checks (the protocol's own code, below
    /// 1000: the same code a block would reject it with).
    Rejected(novation_protocol::TxError),
    /// The mempool holds its maximum number of transactions (2001).
    MempoolFull {
        /// The bound.
        limit: usize,
    },
    /// This signer already has its maximum of transactions waiting above a nonce gap (2002).
    SignerQueueFull {
        /// The bound.
        limit: usize,
    },
    /// The same transaction (by signing hash and signer) is already pending or included (2003).
    AlreadyKnown,
    /// The nonce was already used on chain (2004).
    NonceTooLow {
        /// The signer's next nonce on chain.
        expected: u64,
        /// The nonce given.
        got: u64,
    },
    /// No market has this id or symbol (2006).
    UnknownMarket(String),
    /// The thing asked for does not exist (2007).
    NotFound(String),
    /// The request's parameters are not what the method takes (2008).
    InvalidParams(String),
    /// The block store failed (2010).
    Store(StoreError),
    /// The genesis is invalid or unreadable (2011).
    Genesis(String),
    /// After replay, the recomputed state root differs from the committed one (2012).
    StateRootMismatch {
        /// Height of the last committed block.
        height: u64,
        /// Root stored with that block.
        stored: String,
        /// Root recomputed by replay.
        recomputed: String,
    },
    /// The protocol refused a whole block (2013): a bug, so the sequencer halts.
    Block(BlockError),
    /// Stored bytes could not be decoded (2014).
    Corrupt(String),
    /// A file or socket operation failed (2015).
    Io(std::io::Error),
    /// The sequencer halted after an earlier fatal error (2016).
    Halted,
    /// The data directory belongs to another chain id (2017).
    ChainIdMismatch {
        /// Chain id stored in the data directory.
        stored: u64,
        /// Chain id configured.
        configured: u64,
    },
    /// The nonce is at or past the signer's on-chain nonce plus the mempool's window (2018).
    NonceTooFarAhead {
        /// The signer's next nonce on chain.
        expected: u64,
        /// The window.
        window: u64,
        /// The nonce given.
        got: u64,
    },
}

impl NodeError {
    /// The stable error code.
    pub fn code(&self) -> u32 {
        match self {
            NodeError::Tx(error) => error.code(),
            NodeError::Rejected(error) => error.code.code(),
            NodeError::MempoolFull { .. } => 2001,
            NodeError::SignerQueueFull { .. } => 2002,
            NodeError::AlreadyKnown => 2003,
            NodeError::NonceTooLow { .. } => 2004,
            NodeError::UnknownMarket(_) => 2006,
            NodeError::NotFound(_) => 2007,
            NodeError::InvalidParams(_) => 2008,
            NodeError::Store(_) => 2010,
            NodeError::Genesis(_) => 2011,
            NodeError::StateRootMismatch { .. } => 2012,
            NodeError::Block(_) => 2013,
            NodeError::Corrupt(_) => 2014,
            NodeError::Io(_) => 2015,
            NodeError::Halted => 2016,
            NodeError::ChainIdMismatch { .. } => 2017,
            NodeError::NonceTooFarAhead { .. } => 2018,
        }
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::Tx(error) => write!(f, "{error}"),
            NodeError::Rejected(error) => match error.action_index {
                Some(index) => write!(f, "action {index}: {}", error.code),
                None => write!(f, "{}", error.code),
            },
            NodeError::MempoolFull { limit } => write!(f, "mempool full ({limit} transactions)"),
            NodeError::SignerQueueFull { limit } => {
                write!(f, "signer has {limit} transactions waiting above a nonce gap already")
            }
            NodeError::AlreadyKnown => write!(f, "transaction already known"),
            NodeError::NonceTooLow { expected, got } => {
                write!(f, "nonce too low: the signer's next nonce on chain is {expected}, got {got}")
            }
            NodeError::UnknownMarket(market) => write!(f, "unknown market {market}"),
            NodeError::NotFound(what) => write!(f, "not found: {what}"),
            NodeError::InvalidParams(why) => write!(f, "invalid params: {why}"),
            NodeError::Store(error) => write!(f, "store: {error}"),
            NodeError::Genesis(why) => write!(f, "genesis: {why}"),
            NodeError::StateRootMismatch { height, stored, recomputed } => write!(
                f,
                "state root mismatch at height {height}: stored {stored}, recomputed {recomputed}; refusing to start"
            ),
            NodeError::Block(error) => write!(f, "block refused by the protocol: {error}"),
            NodeError::Corrupt(why) => write!(f, "corrupt stored data: {why}"),
            NodeError::Io(error) => write!(f, "i/o: {error}"),
            NodeError::Halted => write!(f, "the sequencer halted after a fatal error"),
            NodeError::ChainIdMismatch { stored, configured } => {
                write!(f, "data directory is for chain id {stored}, configured {configured}")
            }
            NodeError::NonceTooFarAhead { expected, window, got } => write!(
                f,
                "nonce too far ahead: the signer's next nonce on chain is {expected}, at most {window} ahead are accepted, got {got}"
            ),
        }
    }
}

impl std::error::Error for NodeError {}

impl From<TxError> for NodeError {
    fn from(error: TxError) -> Self {
        NodeError::Tx(error)
    }
}

impl From<StoreError> for NodeError {
    fn from(error: StoreError) -> Self {
        NodeError::Store(error)
    }
}

impl From<std::io::Error> for NodeError {
    fn from(error: std::io::Error) -> Self {
        NodeError::Io(error)
    }
}

impl From<NodeError> for jsonrpsee::types::ErrorObjectOwned {
    fn from(error: NodeError) -> Self {
        let code = i32::try_from(error.code()).unwrap_or(i32::MAX);
        jsonrpsee::types::ErrorObject::owned(code, error.to_string(), None::<()>)
    }
}
