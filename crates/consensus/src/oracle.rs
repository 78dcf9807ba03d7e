//! The vote-extension oracle: what a validator's precommit says about prices, where it comes
//! from ([`PriceSource`]), and how the next block's carried extensions become the protocol's
//! block prices.
//!
//! Each validator is an oracle publisher (its validator address, weight = voting power). At
//! every precommit it signs an [`OracleExtension`] from its price source; the next block
//! carries the extensions of the previous height's precommits, every validator checks their
//! signatures ([`crate::block::check_block`]), and the protocol applies them at the start of
//! the block through the same rules as a PriceReport from that publisher, aggregated by
//! stake-weighted median with a two-thirds stake quorum.

use novation_node::{Node, SimulatedFeed};
use novation_protocol::PublisherPrices;
use novation_sim::Rng;
use novation_types::action::{PriceReport, VolSurfaceReport};

use crate::block::{ConsensusBlock, OracleExtension};

/// The protocol's block prices from a block's carried extensions: one entry per validator
/// whose extension decodes and names the previous height (others carry nothing).
pub fn block_prices(block: &ConsensusBlock) -> Vec<PublisherPrices> {
    let previous = block.height.saturating_sub(1);
    block
        .extensions
        .iter()
        .filter_map(|carried| {
            let extension = OracleExtension::from_bytes(&carried.data).ok().filter(|e| e.height == previous)?;
            Some(PublisherPrices {
                publisher: carried.validator.0,
                reports: extension.prices,
                surfaces: extension.surfaces,
            })
        })
        .collect()
}

/// Where a validator's prices come from.
pub trait PriceSource: Send + 'static {
    /// This validator's observation now (`now_ms`), for its precommit at `height`.
    fn observe(&mut self, node: &Node, height: u64, now_ms: u64) -> (Vec<PriceReport>, Vec<VolSurfaceReport>);
}

/// The devnet's SIMULATED feed (a seeded random walk; not market data) as a validator's
/// price source: every validator walks the same seeded path and adds its own noise.
pub struct SimulatedPriceSource {
    feed: Option<SimulatedFeed>,
    seed: u64,
    noise: Rng,
}

impl SimulatedPriceSource {
    /// The simulated source of the validator with `index`.
    pub fn new(seed: u64, index: u64) -> Self {
        SimulatedPriceSource {
            feed: None,
            seed,
            noise: Rng::new(seed ^ (index + 1).wrapping_mul(0xA24B_AED4_963E_E407)),
        }
    }
}

impl PriceSource for SimulatedPriceSource {
    fn observe(&mut self, node: &Node, _height: u64, now_ms: u64) -> (Vec<PriceReport>, Vec<VolSurfaceReport>) {
        let seed = self.seed;
        let feed = self.feed.get_or_insert_with(|| SimulatedFeed::for_validator(seed, node));
        feed.observe(node, now_ms, &mut self.noise)
    }
}

/// A source that reports nothing (a validator without a price feed: its extension is empty).
pub struct NoPrices;

impl PriceSource for NoPrices {
    fn observe(&mut self, _node: &Node, _height: u64, _now_ms: u64) -> (Vec<PriceReport>, Vec<VolSurfaceReport>) {
        (Vec::new(), Vec::new())
    }
}
