//! The application side of the engine: one loop answering every message Malachite sends
//! (`malachitebft_app_channel::AppMsg`), driving a [`Node`].
//!
//! | message | what novation does |
//! | --- | --- |
//! | `ConsensusReady` | commits decided blocks the chain has not applied yet (a crash between the two stores), then starts at the next height |
//! | `StartedRound` | answers at once with the blocks already seen for that round (after a restart), checking any that arrived early |
//! | `GetValue` | the proposer builds a block from its mempool (or returns the one it built for that round) and streams it in signed parts |
//! | `ReceivedProposalPart` | reassembles, checks the stream signature, then the block ([`check_block`]), and answers with its validity |
//! | `ExtendVote` / `VerifyVoteExtensions` | signs this validator's prices into its precommit / checks others' decode for this height |
//! | `Decided` | persists block and certificate, re-checks and executes the block, commits it, then acknowledges |
//! | `Finalized` | always answers: start the next height (or restart this one if the commit failed) |
//! | `GetDecidedValues` / `GetHistoryMinHeight` | serves value sync from the consensus store |
//! | `ProcessSyncedValue` | checks a synced block without the clock rule and hands it to the engine |
//! | `RestreamProposal` | replays a stored proposal with its original signature |
//!
//! A decided block that this validator's own checks refuse (another state root, an envelope
//! that does not verify) means this node is not on the chain two thirds agreed: it halts,
//! loudly, instead of serving a fork.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use malachitebft_app_channel::app::consensus::{ProposedValue, Role, VoteExtensionError};
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, ExtendedCommitCertificate, LinearTimeouts, Round, Validity, VoteExtensionPolicy, VoteExtensions,
};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::LocallyProposedValue;
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg};
use novation_node::{now_ms, BlockTx, Node};

use crate::block::{block_id, check_block, BlockContext, CarriedExtension, ConsensusBlock, OracleExtension};
use crate::codec::{decode_certificate, encode_certificate};
use crate::context::{BlockId, Height, NovationContext, ValidatorAddress, ValidatorSet};
use crate::oracle::PriceSource;
use crate::parts::{stream_proposal, stream_signed, AssembledProposal, PartBuffer};
use crate::signing::ConsensusSigner;
use crate::store::{ConsensusStore, UndecidedRecord};

/// Most heights one sync request is served.
const MAX_SYNC_BATCH: u64 = 64;

/// Early proposals (for a later height) kept until their height starts.
const MAX_EARLY_PROPOSALS: usize = 32;

/// What the node's status reports about consensus.
#[derive(Debug, Default)]
pub struct ConsensusStatus {
    /// The height being decided.
    pub height: AtomicU64,
    /// Its round.
    pub round: AtomicU64,
    /// Connected peers.
    pub peers: AtomicU64,
    /// Blocks this node took from value sync (catching up) since it started.
    pub synced_blocks: AtomicU64,
    /// Whether the latest block came through value sync rather than a live round.
    pub catching_up: std::sync::atomic::AtomicBool,
    /// Heights at which this node saw a validator equivocate (two votes or two proposals
    /// for one round).
    pub equivocation_heights: AtomicU64,
    /// Why this node halted, if it did.
    pub halted: Mutex<Option<String>>,
}

/// How the application loop is set up.
pub struct AppConfig {
    /// The node it drives.
    pub node: Node,
    /// The consensus store.
    pub store: Arc<ConsensusStore>,
    /// The validator set.
    pub validators: ValidatorSet,
    /// This validator's key (none for a full node).
    pub signer: Option<ConsensusSigner>,
    /// Its price source (validators only).
    pub prices: Box<dyn PriceSource>,
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
    /// Least time between two blocks (`None`: as fast as consensus goes).
    pub target_time: Option<Duration>,
    /// Shared with the status endpoint.
    pub status: Arc<ConsensusStatus>,
}

struct App {
    node: Node,
    chain_id: u64,
    store: Arc<ConsensusStore>,
    validators: ValidatorSet,
    signer: Option<(ValidatorAddress, ConsensusSigner)>,
    prices: Box<dyn PriceSource>,
    timeouts: LinearTimeouts,
    target_time: Option<Duration>,
    status: Arc<ConsensusStatus>,
    parts: PartBuffer,
    early: Vec<AssembledProposal>,
    height: Height,
    /// The block decided at `height - 1` and its precommits' extensions.
    prev_block: Option<BlockId>,
    prev_extensions: Vec<CarriedExtension>,
    /// Blocks this validator built, by round, at the current height.
    built: HashMap<i64, BlockId>,
    /// Blocks seen and checked at the current height.
    verified: HashMap<BlockId, CheckedBlock>,
    /// Synced blocks this node's checks refused, with why: if the engine then confirms one
    /// matches its verified commit certificate, two thirds decided a block this node cannot
    /// follow.
    refused_synced: Arc<Mutex<HashMap<BlockId, String>>>,
}

/// A block this validator checked: all that committing it needs, so that a decision neither
/// reads the block back from the store nor decodes it again.
struct CheckedBlock {
    /// The block, without its envelopes (`txs` holds them, verified).
    block: ConsensusBlock,
    txs: Vec<BlockTx>,
    /// Whether it came through value sync rather than a live round.
    synced: bool,
}

impl CheckedBlock {
    fn new(mut block: ConsensusBlock, txs: Vec<BlockTx>, synced: bool) -> CheckedBlock {
        block.envelopes = Vec::new();
        CheckedBlock { block, txs, synced }
    }
}

/// A failure that stops the application loop (the node halts).
#[derive(Debug)]
pub struct Halt(pub String);

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn halt(error: impl std::fmt::Display) -> Halt {
    Halt(error.to_string())
}

/// Runs the loop until the engine stops or the node halts.
pub async fn run(config: AppConfig, mut channels: Channels<NovationContext>) -> Result<(), Halt> {
    let (max_txs, max_bytes) = config.node.block_limits();
    let _ = max_txs;
    let mut app = App {
        chain_id: config.node.chain_id(),
        node: config.node,
        store: config.store,
        validators: config.validators,
        signer: config.signer.map(|s| (ValidatorAddress::of(&s.public_key()), s)),
        prices: config.prices,
        timeouts: config.timeouts,
        target_time: config.target_time,
        status: config.status,
        parts: PartBuffer::new(max_bytes.saturating_mul(2).saturating_add(1 << 20)),
        early: Vec::new(),
        height: Height(0),
        prev_block: None,
        prev_extensions: Vec::new(),
        built: HashMap::new(),
        verified: HashMap::new(),
        refused_synced: Arc::new(Mutex::new(HashMap::new())),
    };
    let watcher = watch_certified_refusals(&channels, &app);
    let result = app.serve(&mut channels).await;
    watcher.abort();
    if let Err(error) = &result {
        eprintln!("novation: CONSENSUS HALTED at height {}: {error}", app.height);
        *app.status.halted.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.0.clone());
        app.node.halt(&error.0);
    }
    result
}

/// Halts the node when the engine confirms that a synced block this node refused is the one
/// its verified commit certificate names (a peer's junk bytes never get that far).
fn watch_certified_refusals(channels: &Channels<NovationContext>, app: &App) -> tokio::task::JoinHandle<()> {
    use malachitebft_app_channel::app::engine::util::events::Event;
    use malachitebft_app_channel::app::types::core::ValueOrigin;
    let mut events = channels.events.subscribe();
    let (refused, node, status) = (app.refused_synced.clone(), app.node.clone(), app.status.clone());
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            };
            let Event::ReceivedProposedValue(value, ValueOrigin::Sync) = event else { continue };
            let why = refused.lock().unwrap_or_else(|p| p.into_inner()).get(&value.value).cloned();
            if let Some(why) = why {
                let reason = format!(
                    "two thirds of the validators decided block {} at height {} and this node cannot follow it: {why}",
                    value.value, value.height
                );
                eprintln!("novation: CONSENSUS HALTED: {reason}");
                *status.halted.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.clone());
                node.halt(&reason);
                return;
            }
        }
    })
}

impl App {
    fn params(&self) -> HeightParams<NovationContext> {
        HeightParams::new(self.validators.clone(), self.timeouts, self.target_time)
            .with_vote_extension_policy(VoteExtensionPolicy::Required)
    }

    fn block_context(&self, live: bool) -> BlockContext<'_> {
        BlockContext {
            chain_id: self.chain_id,
            validators: &self.validators,
            prev_block: self.prev_block,
            now_ms: live.then(now_ms),
        }
    }

    fn start_height(&mut self, height: Height) {
        self.height = height;
        self.built.clear();
        self.verified.clear();
        self.refused_synced.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.early.retain(|p| p.height >= height);
        self.status.height.store(height.0, Ordering::Relaxed);
    }

    async fn serve(&mut self, channels: &mut Channels<NovationContext>) -> Result<(), Halt> {
        while let Some(msg) = channels.consensus.recv().await {
            if let Some(reason) = self.node.halted() {
                return Err(Halt(reason));
            }
            match msg {
                AppMsg::ConsensusReady { reply } => {
                    self.recover().await?;
                    let next = Height(self.node.height() + 1);
                    self.start_height(next);
                    let _ = reply.send((next, self.params()));
                }
                AppMsg::StartedRound { height, round, proposer: _, role, reply_value } => {
                    self.status.round.store(round.as_u32().unwrap_or(0).into(), Ordering::Relaxed);
                    if height != self.height {
                        self.start_height(height);
                    }
                    let _ = role == Role::Proposer;
                    let values = self.values_for_round(height, round);
                    let _ = reply_value.send(values);
                }
                AppMsg::GetValue { height, round, timeout: _, reply } => {
                    let (value, messages) = self.propose(height, round)?;
                    let _ = reply.send(LocallyProposedValue::new(height, round, value));
                    for message in messages {
                        if channels.network.send(NetworkMsg::PublishProposalPart(message)).await.is_err() {
                            return Err(Halt("the network actor stopped".into()));
                        }
                    }
                }
                AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                    let publisher = published_by.unwrap_or(from);
                    let value = match self.parts.insert(publisher, part, self.chain_id, &self.validators) {
                        Ok(Some(proposal)) => self.received_proposal(proposal)?,
                        Ok(None) | Err(_) => None,
                    };
                    let _ = reply.send(value);
                }
                AppMsg::ExtendVote { height, round: _, value_id: _, vote_extension_policy: _, reply } => {
                    let (prices, surfaces) = self.prices.observe(&self.node, height.0, now_ms());
                    let extension = OracleExtension { height: height.0, prices, surfaces };
                    let bytes = extension.to_bytes().map(Bytes::from).unwrap_or_default();
                    let _ = reply.send(Some(bytes));
                }
                AppMsg::VerifyVoteExtensions { height, round: _, value_id: _, extensions, reply } => {
                    let verdicts = extensions
                        .into_iter()
                        .map(|(address, extension)| {
                            let ok = extension.len() <= crate::block::MAX_EXTENSION_BYTES
                                && OracleExtension::from_bytes(&extension).is_ok_and(|e| e.height == height.0);
                            (address, if ok { Ok(()) } else { Err(VoteExtensionError::InvalidVoteExtension) })
                        })
                        .collect();
                    let _ = reply.send(verdicts);
                }
                AppMsg::RestreamProposal { height, round: _, valid_round: _, address: _, value_id } => {
                    if let Ok(Some(record)) = self.store.undecided(height.0, value_id.0) {
                        if let Ok(signature) = <[u8; 64]>::try_from(record.signature.as_slice()) {
                            let messages = stream_signed(
                                height,
                                record.round,
                                record.pol_round,
                                record.proposer,
                                &record.block_bytes,
                                signature,
                            );
                            for message in messages {
                                let _ = channels.network.send(NetworkMsg::PublishProposalPart(message)).await;
                            }
                        }
                    }
                }
                AppMsg::GetHistoryMinHeight { reply } => {
                    let min = self.store.decided_range().map_err(halt)?.map_or(Height(1), |(lo, _)| Height(lo));
                    let _ = reply.send(min);
                }
                AppMsg::Decided { certificate, extensions, reply } => {
                    self.decided(certificate, extensions).await?;
                    let _ = reply.send(());
                }
                AppMsg::Finalized { certificate, extensions, evidence, reply } => {
                    if !evidence.is_empty() {
                        eprintln!("novation: equivocation seen at height {}: {evidence:?}", certificate.height);
                        self.status.equivocation_heights.fetch_add(1, Ordering::Relaxed);
                    }
                    // Late precommits may bring more extensions for the next block.
                    if Some(certificate.value_id) == self.prev_block && certificate.height.0 == self.node.height() {
                        let more = carried(&certificate, &extensions);
                        if more.len() > self.prev_extensions.len() {
                            self.prev_extensions = more;
                        }
                    }
                    let next = Height(self.node.height() + 1);
                    let decision = if next > certificate.height {
                        self.start_height(next);
                        Next::Start(next, self.params())
                    } else {
                        Next::Restart(certificate.height, self.params())
                    };
                    let _ = reply.send(decision);
                }
                AppMsg::GetDecidedValues { range, reply } => {
                    let (start, end) =
                        (range.start().0, range.end().0.min(range.start().0.saturating_add(MAX_SYNC_BATCH - 1)));
                    let mut values = Vec::new();
                    for height in start..=end {
                        let Some(record) = self.store.decided(height).map_err(halt)? else { break };
                        let Ok(certificate) = decode_certificate(&record.certificate) else { break };
                        values.push(RawDecidedValue::new(Bytes::from(record.block_bytes), certificate));
                    }
                    let _ = reply.send(values);
                }
                AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                    let outcome = self.synced_value(height, round, proposer, &value_bytes)?;
                    let _ = reply.send(outcome);
                }
            }
        }
        Ok(())
    }

    /// Commits the decided blocks the chain has not applied yet.
    async fn recover(&mut self) -> Result<(), Halt> {
        let chain_height = self.node.height();
        let Some((_, decided_top)) = self.store.decided_range().map_err(halt)? else { return Ok(()) };
        if chain_height > 0 {
            self.remember_decided(chain_height)?;
        }
        for height in chain_height + 1..=decided_top {
            let record = self
                .store
                .decided(height)
                .map_err(halt)?
                .ok_or_else(|| halt(format!("decided block {height} missing")))?;
            let block = ConsensusBlock::from_bytes(&record.block_bytes).map_err(halt)?;
            self.start_height(Height(height));
            let txs = check_block(&self.node, &self.block_context(false), &block)
                .map_err(|e| halt(format!("stored block {height}: {e}")))?;
            self.execute(block, txs).await?;
            self.remember_decided(height)?;
        }
        Ok(())
    }

    /// Sets the previous block and its extensions from the store's record of `height`.
    fn remember_decided(&mut self, height: u64) -> Result<(), Halt> {
        let Some(record) = self.store.decided(height).map_err(halt)? else { return Ok(()) };
        let certificate = decode_certificate(&record.certificate).map_err(halt)?;
        self.prev_block = Some(block_id(&record.block_bytes));
        self.prev_extensions = carried_from_extended(&certificate);
        Ok(())
    }

    fn values_for_round(&mut self, height: Height, round: Round) -> Vec<ProposedValue<NovationContext>> {
        // Proposals that arrived before their height started.
        let early: Vec<AssembledProposal> = {
            let (now, later): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.early).into_iter().partition(|p| p.height == height);
            self.early = later;
            now
        };
        for proposal in early {
            let _ = self.received_proposal(proposal);
        }
        let round = round.as_i64();
        let Ok(seen) = self.store.undecided_at(height.0) else { return Vec::new() };
        seen.into_iter()
            .filter(|(_, record)| record.round == round)
            .map(|(id, record)| ProposedValue {
                height,
                round: round_of(record.round),
                valid_round: round_of(record.pol_round),
                proposer: record.proposer,
                value: BlockId(id),
                validity: Validity::from_bool(record.valid),
            })
            .collect()
    }

    fn propose(
        &mut self,
        height: Height,
        round: Round,
    ) -> Result<(BlockId, Vec<malachitebft_app_channel::app::streaming::StreamMessage<crate::ProposalPart>>), Halt>
    {
        let (proposer, signer) = self.signer.clone().ok_or_else(|| halt("asked to propose without a validator key"))?;
        let round = round.as_i64();
        if let Some(id) = self.built.get(&round).copied() {
            // The same block again, never a second one for this round.
            let record =
                self.store.undecided(height.0, id.0).map_err(halt)?.ok_or_else(|| halt("built block missing"))?;
            let messages = stream_proposal(&signer, self.chain_id, height, round, -1, proposer, &record.block_bytes);
            return Ok((id, messages));
        }
        let txs = self.node.block_candidates();
        let block = ConsensusBlock {
            height: height.0,
            time_ms: now_ms().max(self.node.time_ms() + 1),
            proposer,
            parent_hash: self.node.latest_header().map_or_else(|| self.node.genesis_hash(), |h| h.hash()),
            prev_state_root: self.node.state_root(),
            prev_block: self.prev_block,
            extensions: if self.prev_block.is_some() { self.prev_extensions.clone() } else { Vec::new() },
            envelopes: txs.iter().map(|t| t.envelope.clone()).collect(),
        };
        let bytes = block.to_bytes().map_err(halt)?;
        let id = block_id(&bytes);
        let checked = CheckedBlock::new(block, txs, false);
        let messages = stream_proposal(&signer, self.chain_id, height, round, -1, proposer, &bytes);
        let signature = match messages.iter().rev().find_map(|m| m.content.as_data().cloned()) {
            Some(crate::ProposalPart::Fin(signature)) => signature.to_vec(),
            _ => Vec::new(),
        };
        let record = UndecidedRecord { round, pol_round: -1, proposer, valid: true, block_bytes: bytes, signature };
        self.store.put_undecided(height.0, id.0, &record).map_err(halt)?;
        self.verified.insert(id, checked);
        self.built.insert(round, id);
        Ok((id, messages))
    }

    fn received_proposal(
        &mut self,
        proposal: AssembledProposal,
    ) -> Result<Option<ProposedValue<NovationContext>>, Halt> {
        if proposal.height > self.height {
            if self.early.len() < MAX_EARLY_PROPOSALS {
                self.early.push(proposal);
            }
            return Ok(None);
        }
        if proposal.height < self.height {
            return Ok(None);
        }
        let id = block_id(&proposal.block_bytes);
        let valid = match ConsensusBlock::from_bytes(&proposal.block_bytes) {
            Ok(block) if block.height == proposal.height.0 && block.proposer == proposal.proposer => {
                match check_block(&self.node, &self.block_context(true), &block) {
                    Ok(txs) => {
                        self.verified.insert(id, CheckedBlock::new(block, txs, false));
                        true
                    }
                    Err(error) => {
                        eprintln!("novation: voting nil on block {id} at height {}: {error}", proposal.height);
                        false
                    }
                }
            }
            _ => false,
        };
        let record = UndecidedRecord {
            round: proposal.round,
            pol_round: proposal.pol_round,
            proposer: proposal.proposer,
            valid,
            block_bytes: proposal.block_bytes,
            signature: proposal.signature.to_vec(),
        };
        self.store.put_undecided(proposal.height.0, id.0, &record).map_err(halt)?;
        Ok(Some(ProposedValue {
            height: proposal.height,
            round: round_of(proposal.round),
            valid_round: round_of(proposal.pol_round),
            proposer: proposal.proposer,
            value: id,
            validity: Validity::from_bool(valid),
        }))
    }

    fn synced_value(
        &mut self,
        height: Height,
        round: Round,
        proposer: ValidatorAddress,
        bytes: &[u8],
    ) -> Result<SyncedValueOutcome<NovationContext>, Halt> {
        let Ok(block) = ConsensusBlock::from_bytes(bytes) else { return Ok(SyncedValueOutcome::PeerFault) };
        if block.height != height.0 || block.height != self.node.height() + 1 {
            return Ok(SyncedValueOutcome::LocalTransientError);
        }
        if height != self.height {
            self.start_height(height);
        }
        let id = block_id(bytes);
        let valid = match check_block(&self.node, &self.block_context(false), &block) {
            Ok(txs) => {
                self.verified.insert(id, CheckedBlock::new(block, txs, true));
                true
            }
            Err(error) => {
                self.refused_synced.lock().unwrap_or_else(|p| p.into_inner()).insert(id, error.to_string());
                false
            }
        };
        let record = UndecidedRecord {
            round: round.as_i64(),
            pol_round: -1,
            proposer,
            valid,
            block_bytes: bytes.to_vec(),
            signature: Vec::new(),
        };
        self.store.put_undecided(height.0, id.0, &record).map_err(halt)?;
        Ok(SyncedValueOutcome::Verdict(ProposedValue {
            height,
            round,
            valid_round: Round::Nil,
            proposer,
            value: id,
            validity: Validity::from_bool(valid),
        }))
    }

    async fn decided(
        &mut self,
        certificate: CommitCertificate<NovationContext>,
        extensions: VoteExtensions<NovationContext>,
    ) -> Result<(), Halt> {
        let height = certificate.height;
        if height.0 <= self.node.height() {
            return Ok(()); // Already committed (recovery replayed it).
        }
        let id = certificate.value_id;
        let extended =
            ExtendedCommitCertificate::from_commit_certificate_and_extensions(certificate.clone(), extensions.clone());
        let certificate_bytes = encode_certificate(&extended).map_err(halt)?;
        let CheckedBlock { block, txs, synced } = match self.verified.remove(&id) {
            Some(checked) => {
                // Stored when it was seen: durable before the engine hears it is committed.
                self.store.put_decided(height.0, id.0, None, &certificate_bytes).map_err(halt)?;
                checked
            }
            None => {
                let record = self
                    .store
                    .undecided(height.0, id.0)
                    .map_err(halt)?
                    .ok_or_else(|| halt(format!("decided block {id} at height {height} was never seen")))?;
                let block = ConsensusBlock::from_bytes(&record.block_bytes).map_err(halt)?;
                self.store.put_decided(height.0, id.0, Some(&record.block_bytes), &certificate_bytes).map_err(halt)?;
                let txs = check_block(&self.node, &self.block_context(false), &block).map_err(|e| {
                    halt(format!("decided block {id} at height {height} fails this node's checks: {e}"))
                })?;
                CheckedBlock::new(block, txs, record.signature.is_empty())
            }
        };
        if block.prev_state_root != self.node.state_root() {
            return Err(halt(format!(
                "decided block {id} at height {height} builds on state root {} but this node's is {}",
                novation_node::hex(&block.prev_state_root),
                novation_node::hex(&self.node.state_root())
            )));
        }
        self.execute(block, txs).await?;
        self.status.catching_up.store(synced, Ordering::Relaxed);
        if synced {
            self.status.synced_blocks.fetch_add(1, Ordering::Relaxed);
        }
        self.prev_block = Some(id);
        self.prev_extensions = carried(&certificate, &extensions);
        Ok(())
    }

    async fn execute(&mut self, block: ConsensusBlock, txs: Vec<BlockTx>) -> Result<(), Halt> {
        let node = self.node.clone();
        let (height, time_ms) = (block.height, block.time_ms);
        let prices = crate::oracle::block_prices(&block);
        tokio::task::spawn_blocking(move || node.commit_block(height, time_ms, txs, prices))
            .await
            .map_err(halt)?
            .map_err(|e| halt(format!("block {height} did not commit: {e}")))?;
        Ok(())
    }
}

fn round_of(value: i64) -> Round {
    u32::try_from(value).map_or(Round::Nil, Round::new)
}

/// The extensions of a decision's precommits, as the next block carries them.
fn carried(
    certificate: &CommitCertificate<NovationContext>,
    extensions: &VoteExtensions<NovationContext>,
) -> Vec<CarriedExtension> {
    let mut out: Vec<CarriedExtension> = extensions
        .extensions
        .iter()
        .map(|(address, signed)| CarriedExtension {
            validator: *address,
            round: certificate.round.as_i64(),
            data: signed.message.to_vec(),
            signature: signed.signature.to_bytes(),
        })
        .collect();
    out.sort_by_key(|c| c.validator);
    out.dedup_by_key(|c| c.validator);
    out
}

fn carried_from_extended(certificate: &ExtendedCommitCertificate<NovationContext>) -> Vec<CarriedExtension> {
    let mut out: Vec<CarriedExtension> = certificate
        .commit_signatures
        .iter()
        .filter_map(|s| {
            let ext = s.extension.as_ref()?;
            Some(CarriedExtension {
                validator: s.address,
                round: certificate.round.as_i64(),
                data: ext.message.to_vec(),
                signature: ext.signature.to_bytes(),
            })
        })
        .collect();
    out.sort_by_key(|c| c.validator);
    out
}
