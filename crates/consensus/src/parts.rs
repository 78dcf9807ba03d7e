//! Proposal streams: a proposer cuts its block into parts (`Init`, data chunks, a signed
//! `Fin`) and every validator puts them back together, whatever order the network delivers
//! them in, within fixed bounds (streams in flight, bytes and parts per stream).
//!
//! The proposer's signature covers the height, round, proof-of-lock round, proposer and the
//! block's hash ([`crate::signing::part_stream_signing_bytes`]), so a relaying peer can
//! neither alter a block nor pass one off as another validator's.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::PeerId;

use crate::context::{Height, ProposalPart, ValidatorAddress, ValidatorSet};
use crate::signing::{part_stream_signing_bytes, verifies, ConsensusSigner};

/// Bytes of block per data part.
pub const CHUNK_BYTES: usize = 128 * 1024;

/// Streams being reassembled at once; the oldest is dropped beyond it.
pub const MAX_STREAMS: usize = 16;

/// A proposal put back together and its signature checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssembledProposal {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: i64,
    /// Proof-of-lock round (-1: none).
    pub pol_round: i64,
    /// The proposer.
    pub proposer: ValidatorAddress,
    /// The block's canonical bytes.
    pub block_bytes: Vec<u8>,
    /// The proposer's stream signature.
    pub signature: [u8; 64],
}

/// The stream id of a proposal: height and round, so each is distinct.
fn stream_id(height: Height, round: i64) -> StreamId {
    let mut bytes = Vec::with_capacity(16);
    bytes.extend_from_slice(&height.0.to_be_bytes());
    bytes.extend_from_slice(&round.to_be_bytes());
    StreamId::new(Bytes::from(bytes))
}

/// The messages that stream `block_bytes` as `proposer`'s proposal at `height`, `round`.
pub fn stream_proposal(
    signer: &ConsensusSigner,
    chain_id: u64,
    height: Height,
    round: i64,
    pol_round: i64,
    proposer: ValidatorAddress,
    block_bytes: &[u8],
) -> Vec<StreamMessage<ProposalPart>> {
    let signed = part_stream_signing_bytes(chain_id, height, round, pol_round, &proposer, block_bytes);
    let signature = signer.sign_bytes(&signed).to_bytes();
    stream_signed(height, round, pol_round, proposer, block_bytes, signature)
}

/// The messages of a proposal already signed (a restream replays the original signature).
pub fn stream_signed(
    height: Height,
    round: i64,
    pol_round: i64,
    proposer: ValidatorAddress,
    block_bytes: &[u8],
    signature: [u8; 64],
) -> Vec<StreamMessage<ProposalPart>> {
    let id = stream_id(height, round);
    let mut parts = vec![ProposalPart::Init { height, round, pol_round, proposer }];
    parts.extend(block_bytes.chunks(CHUNK_BYTES).map(|chunk| ProposalPart::Data(chunk.to_vec())));
    parts.push(ProposalPart::Fin(signature));
    let mut messages: Vec<StreamMessage<ProposalPart>> = parts
        .into_iter()
        .enumerate()
        .map(|(sequence, part)| StreamMessage::new(id.clone(), sequence as u64, StreamContent::Data(part)))
        .collect();
    messages.push(StreamMessage::new(id, messages.len() as u64, StreamContent::Fin));
    messages
}

#[derive(Default)]
struct PartialStream {
    messages: BTreeMap<u64, StreamContent<ProposalPart>>,
    end: Option<u64>,
    bytes: usize,
}

/// Streams being reassembled, keyed by publisher and stream id.
pub struct PartBuffer {
    streams: BTreeMap<(Vec<u8>, Vec<u8>), PartialStream>,
    order: VecDeque<(Vec<u8>, Vec<u8>)>,
    max_stream_bytes: usize,
}

/// Why a stream was dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadStream {
    /// Parts out of their places (no `Init` first, no signed `Fin` last, an `Init` inside).
    Malformed,
    /// More bytes or parts than a block may need.
    TooLarge,
    /// The proposer is not the validator set's proposer for that height and round, or its
    /// signature does not verify.
    BadSignature,
}

impl PartBuffer {
    /// A buffer that refuses streams larger than `max_stream_bytes`.
    pub fn new(max_stream_bytes: usize) -> Self {
        PartBuffer { streams: BTreeMap::new(), order: VecDeque::new(), max_stream_bytes }
    }

    /// Adds one message from `publisher`; returns the proposal once its stream is complete
    /// (signature checked against `validators`), `Ok(None)` while incomplete.
    pub fn insert(
        &mut self,
        publisher: PeerId,
        message: StreamMessage<ProposalPart>,
        chain_id: u64,
        validators: &ValidatorSet,
    ) -> Result<Option<AssembledProposal>, BadStream> {
        let key = (publisher.to_bytes(), message.stream_id.to_bytes().to_vec());
        if !self.streams.contains_key(&key) {
            while self.streams.len() >= MAX_STREAMS {
                let Some(oldest) = self.order.pop_front() else { break };
                self.streams.remove(&oldest);
            }
            self.order.push_back(key.clone());
        }
        let max_parts = (self.max_stream_bytes / CHUNK_BYTES + 4) as u64;
        let stream = self.streams.entry(key.clone()).or_default();
        if message.sequence > max_parts {
            self.drop_stream(&key);
            return Err(BadStream::TooLarge);
        }
        if let StreamContent::Data(ProposalPart::Data(chunk)) = &message.content {
            stream.bytes = stream.bytes.saturating_add(chunk.len());
        }
        if stream.bytes > self.max_stream_bytes {
            self.drop_stream(&key);
            return Err(BadStream::TooLarge);
        }
        if message.content.is_fin() {
            stream.end = Some(message.sequence);
        }
        stream.messages.insert(message.sequence, message.content);
        let complete = stream.end.is_some_and(|end| stream.messages.len() as u64 == end + 1);
        if !complete {
            return Ok(None);
        }
        let stream = self.drop_stream(&key).unwrap_or_default();
        assemble(stream, chain_id, validators).map(Some)
    }

    fn drop_stream(&mut self, key: &(Vec<u8>, Vec<u8>)) -> Option<PartialStream> {
        self.order.retain(|k| k != key);
        self.streams.remove(key)
    }
}

fn assemble(stream: PartialStream, chain_id: u64, validators: &ValidatorSet) -> Result<AssembledProposal, BadStream> {
    let mut parts = stream.messages.into_values();
    let Some(StreamContent::Data(ProposalPart::Init { height, round, pol_round, proposer })) = parts.next() else {
        return Err(BadStream::Malformed);
    };
    let mut block_bytes = Vec::with_capacity(stream.bytes);
    let mut signature = None;
    for part in parts {
        match (part, signature.is_some()) {
            (StreamContent::Data(ProposalPart::Data(chunk)), false) => block_bytes.extend_from_slice(&chunk),
            (StreamContent::Data(ProposalPart::Fin(sig)), false) => signature = Some(sig),
            (StreamContent::Fin, true) => {}
            _ => return Err(BadStream::Malformed),
        }
    }
    let signature_bytes = signature.ok_or(BadStream::Malformed)?;
    let round_number = u32::try_from(round).map_err(|_| BadStream::Malformed)?;
    let expected = validators.proposer(height, malachitebft_app_channel::app::types::core::Round::new(round_number));
    let validator = expected.filter(|v| v.address == proposer).ok_or(BadStream::BadSignature)?;
    let signed = part_stream_signing_bytes(chain_id, height, round, pol_round, &proposer, &block_bytes);
    let signature = malachitebft_signing_ed25519::Signature::from_bytes(signature_bytes);
    if !verifies(&validator.public_key, &signed, &signature) {
        return Err(BadStream::BadSignature);
    }
    Ok(AssembledProposal { height, round, pol_round, proposer, block_bytes, signature: signature_bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Validator;
    use malachitebft_signing_ed25519::PrivateKey;

    fn peer(seed: u8) -> PeerId {
        let keypair = malachitebft_app_channel::app::types::Keypair::ed25519_from_bytes([seed; 32]).unwrap();
        PeerId::from_bytes(&keypair.public().to_peer_id().to_bytes()).unwrap()
    }

    fn setup() -> (Vec<ConsensusSigner>, ValidatorSet) {
        let keys: Vec<PrivateKey> = (1..=4u8).map(|i| PrivateKey::from([i; 32])).collect();
        let set = ValidatorSet::new(keys.iter().map(|k| Validator::new(k.public_key(), 1)).collect());
        (keys.into_iter().map(|k| ConsensusSigner::new(k, 7)).collect(), set)
    }

    fn proposer_of(signers: &[ConsensusSigner], set: &ValidatorSet, height: Height, round: u32) -> ConsensusSigner {
        let address =
            set.proposer(height, malachitebft_app_channel::app::types::core::Round::new(round)).unwrap().address;
        signers.iter().find(|s| crate::context::ValidatorAddress::of(&s.public_key()) == address).unwrap().clone()
    }

    #[test]
    fn a_stream_reassembles_in_any_order_and_a_forgery_does_not() {
        let (signers, set) = setup();
        let height = Height(3);
        let signer = proposer_of(&signers, &set, height, 0);
        let address = crate::context::ValidatorAddress::of(&signer.public_key());
        let block: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        let mut messages = stream_proposal(&signer, 7, height, 0, -1, address, &block);
        messages.reverse();
        let mut buffer = PartBuffer::new(1 << 20);
        let peer = peer(9);
        let mut done = None;
        for message in messages.clone() {
            if let Some(p) = buffer.insert(peer, message, 7, &set).unwrap() {
                done = Some(p);
            }
        }
        assert_eq!(done.unwrap().block_bytes, block);

        // Another validator signing as the proposer, or a tampered chunk, is refused.
        let impostor = signers.iter().find(|s| s.public_key() != signer.public_key()).unwrap();
        let forged = stream_proposal(impostor, 7, height, 0, -1, address, &block);
        let mut results = forged.into_iter().map(|m| buffer.insert(peer, m, 7, &set));
        assert!(results.any(|r| r == Err(BadStream::BadSignature)));
        let mut tampered = stream_proposal(&signer, 7, height, 0, -1, address, &block);
        if let StreamContent::Data(ProposalPart::Data(chunk)) = &mut tampered[1].content {
            chunk[0] ^= 1;
        }
        let mut results = tampered.into_iter().map(|m| buffer.insert(peer, m, 7, &set));
        assert!(results.any(|r| r == Err(BadStream::BadSignature)));
    }

    #[test]
    fn an_oversized_stream_is_dropped() {
        let (signers, set) = setup();
        let signer = proposer_of(&signers, &set, Height(1), 0);
        let address = crate::context::ValidatorAddress::of(&signer.public_key());
        let block = vec![0u8; 600_000];
        let mut buffer = PartBuffer::new(200_000);
        let peer = peer(9);
        let results: Vec<_> = stream_proposal(&signer, 7, Height(1), 0, -1, address, &block)
            .into_iter()
            .map(|m| buffer.insert(peer, m, 7, &set))
            .collect();
        assert!(results.contains(&Err(BadStream::TooLarge)));
    }
}
