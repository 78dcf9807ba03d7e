//! novation's seeded whole-protocol simulation, and the workspace's one seeded RNG.
//!
//! This crate owns:
//!
//! - [`Rng`]: SplitMix64, the only pseudo-random generator in the workspace. Simulation
//!   scripts, benchmark workloads and the devnet's simulated price feed all draw from it, so
//!   a seed names one run exactly.
//! - [`Script`]: a simulation run as data — funding for five traders, leveraged positions
//!   opened between some of them, then blocks that move the oracle (steps, gaps, crashes,
//!   pumps, silence, disagreement, wide confidence) and carry abstract transactions (orders
//!   near the mark, cancels of real orders, sizes at the edge of margin, arbitrary actions).
//!   [`Script::generate`] builds one from a seed and a [`Flavor`].
//! - [`Runner`]: applies a script to a fresh protocol [`State`](novation_protocol::State)
//!   and its replicas, making each transaction concrete against the state just before it,
//!   and checks the protocol's properties after every block or transaction.
//! - [`Property`]: the named properties (conservation, no panics, rejected transactions
//!   change nothing but the nonce, replicas agree, initial implies maintenance, resting
//!   orders are covered, risk-reducing actions are never refused for the oracle, accounts
//!   without positions never pay for others), each a runner mode, checks and flavor.
//! - [`Campaign`]: runs random seeds against the properties for a while (TigerBeetle's VOPR
//!   is the model) and reports every [`Failure`] with the seed that replays it.
//! - [`scenarios`]: adversarial replays of attacks and crashes (an oracle pump on a thin
//!   market, wash trades, self-liquidation into the backstop, collateral crashes, a depeg
//!   report, a crash without bids, a pump into an empty book, a liquidation filled by the
//!   attacker's own offer, an oracle outage, a gap through bankruptcy), each played through signed transactions and price reports
//!   against a chain with careful thin-market parameters, with the attacker's profit, bad
//!   debt, reserves, uncovered loss, conservation and flat accounts checked after every block.
//! - `strategy` (feature `proptest`): proptest strategies over scripts — a seed, then
//!   structural shrinking (fewer blocks, transactions, actions) — for the property tests.
//!
//! ```text
//!  seed ─► Script::generate ─► Runner ─► State ─┬─► checks after every block / transaction
//!                                       replicas ┘        │
//!                                                         └─► Failure { property, seed, message }
//! ```
//!
//! Replaying a failure: `cargo run --release -p novation-bench -- sim --seed S [--property P]`,
//! or `NOVATION_SIM_SEED=S cargo test -p novation-protocol --test properties`.

pub mod chain;
mod generate;
mod rng;
mod runner;
pub mod scenarios;
mod script;
#[cfg(feature = "proptest")]
pub mod strategy;

use std::fmt;
use std::time::{Duration, Instant};

pub use generate::arb_action;
pub use rng::Rng;
pub use runner::{Checks, Mode, Runner, Stats};
pub use script::{
    ActionSpec, AgentKey, Amount, BlockSpec, Flavor, Funding, Kind, ModPrice, ModSize, Move, NonceSpec, Opener,
    OrderRef, OrderSpec, PlaceSpec, Price, Script, Size, TxSpec, Who,
};

/// A broken property: what broke, and the seed (and property) that replays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, at which block.
    pub message: String,
    /// The property that was being checked.
    pub property: Option<Property>,
    /// The seed of the script.
    pub seed: Option<u64>,
    /// Whether the script was shrunk from the one the seed generates.
    pub shrunk: bool,
}

impl Failure {
    /// A failure with only a message (the property and seed are added by [`Property::check`]).
    pub fn new(message: String) -> Self {
        Failure { message, property: None, seed: None, shrunk: false }
    }

    /// The command line that replays this failure, if its seed is known.
    pub fn replay_command(&self) -> Option<String> {
        let seed = self.seed?;
        let property = self.property.map(|p| format!(" --property {}", p.name())).unwrap_or_default();
        Some(format!("cargo run --release -p novation-bench -- sim --seed {seed}{property}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(property) = self.property {
            write!(f, "property {} failed", property.name())?;
        } else {
            write!(f, "failed")?;
        }
        if let Some(seed) = self.seed {
            let shrunk = if self.shrunk { " (a script shrunk from the one this seed generates)" } else { "" };
            write!(f, " with seed={seed}{shrunk}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(command) = self.replay_command() {
            write!(
                f,
                "\n  replay: {command}\n      or: NOVATION_SIM_SEED={} cargo test -p novation-protocol --test properties",
                self.seed.unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// The protocol's properties, each checked by running scripts of one flavor in one mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// DESIGN §3.4: value is conserved after every block (and `apply_block` never reports a
    /// broken invariant).
    ValueIsConserved,
    /// DESIGN §3.3: no input makes the protocol panic, applied whole blocks at a time or one
    /// transaction at a time, with many totally arbitrary actions.
    NoInputPanics,
    /// DESIGN §3.3: a rejected transaction changes nothing but its signer's nonce (and a
    /// replayed or out-of-order nonce changes nothing at all).
    RejectedTransactionsChangeOnlyTheNonce,
    /// DESIGN §3.1: the same blocks applied to fresh replicas give the same events and the
    /// same state hash after every block.
    ReplicasAgree,
    /// Meeting initial margin implies meeting maintenance margin, for every subaccount after
    /// every block.
    InitialImpliesMaintenance,
    /// An order that rests and grows its owner's worst-case position leaves the owner meeting
    /// initial margin, counting open orders.
    RestingOrdersAreCovered,
    /// DESIGN §3.6: cancelling, depositing, reporting prices and reduce-only orders remain
    /// possible whatever the oracle says (stale, uncertain, too volatile).
    RiskReducingActionsAreNeverRefusedForTheOracle,
    /// DESIGN §3.5: a subaccount without positions, orders or debt whose owner sends nothing
    /// is untouched by a block, whatever liquidations, payouts or deleveraging happen in it.
    BystandersNeverPay,
}

impl Property {
    /// Every property.
    pub const ALL: [Property; 8] = [
        Property::ValueIsConserved,
        Property::NoInputPanics,
        Property::RejectedTransactionsChangeOnlyTheNonce,
        Property::ReplicasAgree,
        Property::InitialImpliesMaintenance,
        Property::RestingOrdersAreCovered,
        Property::RiskReducingActionsAreNeverRefusedForTheOracle,
        Property::BystandersNeverPay,
    ];

    /// Replicas beside the main state in [`Property::ReplicasAgree`].
    pub const REPLICAS: usize = 2;

    /// The name used on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Property::ValueIsConserved => "conservation",
            Property::NoInputPanics => "no-panic",
            Property::RejectedTransactionsChangeOnlyTheNonce => "rejected-tx",
            Property::ReplicasAgree => "replicas",
            Property::InitialImpliesMaintenance => "initial-maintenance",
            Property::RestingOrdersAreCovered => "resting-orders",
            Property::RiskReducingActionsAreNeverRefusedForTheOracle => "oracle-refusals",
            Property::BystandersNeverPay => "bystanders",
        }
    }

    /// The property named `name`.
    pub fn from_name(name: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The scripts the property is checked on.
    pub fn flavor(self) -> Flavor {
        match self {
            Property::NoInputPanics => Flavor::ARBITRARY,
            Property::InitialImpliesMaintenance | Property::RestingOrdersAreCovered => Flavor::TAME,
            _ => Flavor::WILD,
        }
    }

    /// The runs (mode and checks) that check the property.
    fn runs(self) -> &'static [(Mode, Checks)] {
        const NONE: Checks = Checks { health: false, order_margin: false, bystanders: false, oracle_refusals: false };
        const BLOCKS: Mode = Mode::Blocks { replicas: 0 };
        match self {
            Property::ValueIsConserved => &[(BLOCKS, NONE)],
            Property::NoInputPanics => &[(BLOCKS, NONE), (Mode::OneByOne, NONE)],
            Property::RejectedTransactionsChangeOnlyTheNonce => &[(Mode::OneByOne, NONE)],
            Property::ReplicasAgree => &[(Mode::Blocks { replicas: Property::REPLICAS }, NONE)],
            Property::InitialImpliesMaintenance => &[(BLOCKS, Checks { health: true, ..NONE })],
            Property::RestingOrdersAreCovered => &[(Mode::OneByOne, Checks { order_margin: true, ..NONE })],
            Property::RiskReducingActionsAreNeverRefusedForTheOracle => {
                &[(BLOCKS, Checks { oracle_refusals: true, ..NONE })]
            }
            Property::BystandersNeverPay => &[(BLOCKS, Checks { bystanders: true, ..NONE })],
        }
    }

    /// Runs `script` and checks the property (and the checks every run makes). A panic in
    /// the protocol is a failure too. The failure names the property and the script's seed.
    pub fn check(self, script: &Script) -> Result<Stats, Failure> {
        let mut total = Stats::default();
        for (mode, checks) in self.runs() {
            let run =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Runner::new(*mode, *checks).run(script)));
            let result = match run {
                Ok(result) => result,
                Err(panic) => Err(Failure::new(format!("panicked ({mode:?}): {}", panic_message(&*panic)))),
            };
            match result {
                Ok(stats) => total.add(&stats),
                Err(failure) => {
                    return Err(Failure {
                        property: Some(self),
                        seed: Some(script.seed),
                        shrunk: script.shrunk,
                        ..failure
                    })
                }
            }
        }
        Ok(total)
    }

    /// Checks the property on the script `seed` generates for it.
    pub fn check_seed(self, seed: u64) -> Result<Stats, Failure> {
        self.check(&Script::generate(seed, self.flavor()))
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_string()
    }
}

/// The seed in the `NOVATION_SIM_SEED` environment variable, if set (decimal or `0x` hex).
pub fn seed_from_env() -> Option<u64> {
    let text = std::env::var("NOVATION_SIM_SEED").ok()?;
    parse_seed(text.trim())
}

/// A seed written in decimal or as `0x` hexadecimal.
pub fn parse_seed(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// A long run of random scripts against the properties.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// Seeds the case seeds: the campaign itself is replayable.
    pub seed: u64,
    /// How long to run (checked between scripts).
    pub duration: Duration,
    /// The properties each case seed is checked against.
    pub properties: Vec<Property>,
    /// Stop after this many failures.
    pub max_failures: usize,
}

/// What a campaign ran and found.
#[derive(Clone, Debug, Default)]
pub struct CampaignReport {
    /// Case seeds drawn.
    pub cases: u64,
    /// Scripts run (one per case and property).
    pub scripts: u64,
    /// Totals over every script (blocks, transactions, actions, fills, ...).
    pub stats: Stats,
    /// Wall-clock time spent.
    pub elapsed: Duration,
    /// Every failure, with its seed.
    pub failures: Vec<Failure>,
}

impl Campaign {
    /// Runs scripts until the duration has passed (or enough failures were found), calling
    /// `on_failure` as each failure is found.
    pub fn run(&self, mut on_failure: impl FnMut(&Failure)) -> CampaignReport {
        let start = Instant::now();
        let mut seeds = Rng::new(self.seed);
        let mut report = CampaignReport::default();
        while start.elapsed() < self.duration && report.failures.len() < self.max_failures {
            let seed = seeds.next_u64();
            report.cases += 1;
            for property in &self.properties {
                report.scripts += 1;
                match property.check_seed(seed) {
                    Ok(stats) => report.stats.add(&stats),
                    Err(failure) => {
                        on_failure(&failure);
                        report.failures.push(failure);
                    }
                }
            }
        }
        report.elapsed = start.elapsed();
        report
    }
}

/// Checks every property in `properties` on the scripts `seed` generates.
pub fn replay(seed: u64, properties: &[Property]) -> Result<Stats, Failure> {
    let mut total = Stats::default();
    for property in properties {
        total.add(&property.check_seed(seed)?);
    }
    Ok(total)
}
