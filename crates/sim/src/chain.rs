//! The simulated chain: the example genesis with three publishers, five traders, two agent
//! keys, BTC at 100,000 USD and ETH at 4,000 USD, and funding paid every 5 blocks so that
//! short scripts see it.

use novation_protocol::params::Genesis;
use novation_protocol::presets::{BTC, BTC_PERP, ETH, ETH_PERP};
use novation_protocol::State;
use novation_types::{Address, AssetId, MarketId};

/// Traders that fund accounts and trade.
pub const TRADERS: u64 = 5;
/// Oracle publishers.
pub const PUBLISHERS: u64 = 3;
/// Dedicated agent keys traders may authorise.
pub const AGENT_KEYS: u64 = 2;
/// Milliseconds between blocks.
pub const BLOCK_MS: u64 = 1_000;
/// Starting prices in cents: BTC 100,000 USD, ETH 4,000 USD.
pub const START_CENTS: [i128; 2] = [10_000_000, 400_000];
/// The assets the publishers price, in the order of [`START_CENTS`].
pub const ORACLE_ASSETS: [AssetId; 2] = [BTC, ETH];
/// The markets scripts trade.
pub const MARKETS: [MarketId; 2] = [BTC_PERP, ETH_PERP];

/// Trader `n`'s address.
pub fn trader(n: u64) -> Address {
    Address::from_index(1_000 + n)
}

/// Publisher `n`'s address.
pub fn publisher(n: u64) -> Address {
    Address::from_index(1 + n)
}

/// The example genesis with three publishers, and funding every 5 blocks instead of every
/// hour so that scripts of a few dozen blocks see funding paid.
pub fn genesis() -> Genesis {
    let publishers: Vec<Address> = (0..PUBLISHERS).map(publisher).collect();
    let mut genesis = Genesis::example(&publishers);
    for market in &mut genesis.markets {
        market.funding.interval_ms = 5 * BLOCK_MS;
    }
    genesis
}

/// A fresh state at [`genesis`].
pub fn fresh_state() -> State {
    State::new(genesis()).expect("the example genesis is valid")
}
