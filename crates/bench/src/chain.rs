//! A thin driver over the protocol: builds blocks with the right height and time, and signs
//! oracle price reports for the benchmark's publishers. Every state change goes through
//! `State::apply_block` / `State::apply_transaction`, as on a real chain.

use novation_math::Decimal;
use novation_protocol::params::Genesis;
use novation_protocol::{Block, BlockHeader, BlockOutcome, State};
use novation_types::{Action, Address, AssetId, Transaction};

/// Block time of the first block (ms since the Unix epoch); each block is 1 ms later.
const FIRST_BLOCK_TIME_MS: u64 = 1_700_000_000_000;

/// The benchmark's price publishers (quorum is 2 of 3).
pub(crate) fn publishers() -> Vec<Address> {
    (0..3).map(|i| Address::from_index(u64::MAX - i)).collect()
}

/// Parses a decimal literal of the benchmark's own (so a typo is an error, not a panic).
pub(crate) fn dec(text: &str) -> Result<Decimal, String> {
    text.parse().map_err(|e| format!("bad decimal literal {text:?}: {e:?}"))
}

/// A chain under test.
pub(crate) struct Chain {
    pub(crate) state: State,
    publishers: Vec<Address>,
    /// Every publisher sends one report transaction per price update, so they share a nonce.
    publisher_nonce: u64,
}

impl Chain {
    pub(crate) fn new(genesis: Genesis, publishers: Vec<Address>) -> Result<Self, String> {
        let state = State::new(genesis).map_err(|e| e.to_string())?;
        Ok(Chain { state, publishers, publisher_nonce: 0 })
    }

    /// The time the next block will carry.
    pub(crate) fn next_time_ms(&self) -> u64 {
        FIRST_BLOCK_TIME_MS + self.state.height()
    }

    /// One report transaction per publisher with `prices`, stamped with the next block's time.
    pub(crate) fn price_reports(&mut self, prices: &[(AssetId, Decimal)]) -> Vec<Transaction> {
        let time = self.next_time_ms();
        let nonce = self.publisher_nonce;
        self.publisher_nonce += 1;
        self.publishers
            .iter()
            .map(|publisher| Transaction {
                agent: None,
                sender: *publisher,
                nonce,
                actions: prices
                    .iter()
                    .map(|(asset, price)| {
                        Action::PriceReport(novation_types::action::PriceReport {
                            asset: *asset,
                            price: *price,
                            confidence: Decimal::ZERO,
                            publish_time_ms: time,
                        })
                    })
                    .collect(),
            })
            .collect()
    }

    /// Applies the next block with `transactions`; fails if any transaction is rejected
    /// (set-up must do exactly what it says).
    pub(crate) fn apply_block_all_ok(&mut self, transactions: Vec<Transaction>) -> Result<BlockOutcome, String> {
        let block = Block {
            header: BlockHeader { height: self.state.height() + 1, time_ms: self.next_time_ms() },
            transactions,
            prices: Vec::new(),
        };
        let outcome =
            self.state.apply_block(&block).map_err(|e| format!("block {} failed: {e}", block.header.height))?;
        if let Some((index, rejected)) = outcome.transactions.iter().enumerate().find(|(_, tx)| tx.result.is_err()) {
            return Err(format!(
                "block {}: set-up transaction {index} rejected: {:?}",
                block.header.height, rejected.result
            ));
        }
        Ok(outcome)
    }
}
