//! novation's Malachite [`Context`]: heights, validator addresses and sets, the value a round
//! decides (the id of a block), proposals, votes and proposal parts.
//!
//! The proposer of height `h`, round `r` is validator `(h - 1 + r) mod n` of the set sorted by
//! address: a plain round-robin, fair when every validator has the same power (the testnets'
//! default); stake enters the votes (2/3 of voting power) and the oracle's median.

use std::fmt;

use malachitebft_app_channel::app::types::core::{
    self as mtypes, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType, VotingPower,
};
use malachitebft_signing_ed25519::{Ed25519, PublicKey};
use novation_types::Address;
use serde::{Deserialize, Serialize};

use crate::Hash32;

/// A block height (from 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mtypes::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the last 20 bytes of `SHA-256("novation-validator-v1" || consensus
/// public key)`, also its oracle publisher address. The domain is not an account key's, so no
/// account key can sign transactions as a validator: its prices enter only through its vote
/// extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ValidatorAddress(pub Address);

/// The domain hashed before a consensus key to form its validator address.
pub const VALIDATOR_ADDRESS_DOMAIN: &[u8] = b"novation-validator-v1";

impl ValidatorAddress {
    /// The address of a consensus public key.
    pub fn of(public_key: &PublicKey) -> Self {
        use sha2::{Digest, Sha256};
        let digest =
            Sha256::new().chain_update(VALIDATOR_ADDRESS_DOMAIN).chain_update(public_key.as_bytes()).finalize();
        let mut address = [0u8; 20];
        address.copy_from_slice(&digest[12..]);
        ValidatorAddress(Address(address))
    }
}

impl fmt::Display for ValidatorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mtypes::Address for ValidatorAddress {}

/// What a round decides: the SHA-256 of a block's canonical bytes ([`crate::ConsensusBlock`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BlockId(pub Hash32);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", &novation_node::hex(&self.0)[..18])
    }
}

impl mtypes::Value for BlockId {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        *self
    }
}

/// A validator: address, consensus key and voting power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Its address.
    pub address: ValidatorAddress,
    /// Its ed25519 consensus key.
    pub public_key: PublicKey,
    /// Its voting power (also its weight as an oracle publisher).
    pub voting_power: VotingPower,
}

impl Validator {
    /// A validator with `voting_power` for `public_key`.
    pub fn new(public_key: PublicKey, voting_power: VotingPower) -> Self {
        Validator { address: ValidatorAddress::of(&public_key), public_key, voting_power }
    }
}

impl mtypes::Validator<NovationContext> for Validator {
    fn address(&self) -> &ValidatorAddress {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> VotingPower {
        self.voting_power
    }
}

/// The validator set, sorted by address (no duplicates, no zero power).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
}

impl ValidatorSet {
    /// The set of `validators`, sorted by address; duplicates and validators without power
    /// are dropped.
    pub fn new(mut validators: Vec<Validator>) -> Self {
        validators.retain(|v| v.voting_power > 0);
        validators.sort_by_key(|v| v.address);
        validators.dedup_by_key(|v| v.address);
        ValidatorSet { validators }
    }

    /// The validators, by address.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The validator with `address`.
    pub fn get(&self, address: &ValidatorAddress) -> Option<&Validator> {
        self.validators.binary_search_by_key(address, |v| v.address).ok().map(|i| &self.validators[i])
    }

    /// Total voting power.
    pub fn total_power(&self) -> VotingPower {
        self.validators.iter().map(|v| v.voting_power).fold(0, u64::saturating_add)
    }

    /// The proposer of `height`, `round` (round-robin; see the module doc).
    pub fn proposer(&self, height: Height, round: Round) -> Option<&Validator> {
        let n = self.validators.len() as u64;
        if n == 0 {
            return None;
        }
        let round = round.as_u32().unwrap_or(0) as u64;
        let index = height.0.saturating_sub(1).wrapping_add(round) % n;
        self.validators.get(index as usize)
    }
}

impl mtypes::ValidatorSet<NovationContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.total_power()
    }

    fn get_by_address(&self, address: &ValidatorAddress) -> Option<&Validator> {
        self.get(address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A proposal: which block a proposer offers at a height and round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block offered.
    pub value: BlockId,
    /// The round of the proof-of-lock it re-proposes (`Nil` for a new block).
    pub pol_round: Round,
    /// The proposer.
    pub proposer: ValidatorAddress,
}

impl mtypes::Proposal<NovationContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockId {
        &self.value
    }

    fn take_value(self) -> BlockId {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.proposer
    }
}

/// A prevote or precommit; a precommit may carry the validator's signed oracle extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub vote_type: VoteType,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockId>,
    /// The voter.
    pub validator: ValidatorAddress,
    /// The precommit's vote extension (not covered by the vote's own signature: it has its own).
    pub extension: Option<SignedExtension<NovationContext>>,
}

impl mtypes::Vote<NovationContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<NovationContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<NovationContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<NovationContext>) -> Self {
        Vote { extension: Some(extension), ..self }
    }
}

/// One message of a proposal's stream: the header, a chunk of the block's bytes, or the
/// proposer's signature over all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalPart {
    /// First: what the stream proposes.
    Init {
        /// Height.
        height: Height,
        /// Round.
        round: i64,
        /// Proof-of-lock round (-1: none).
        pol_round: i64,
        /// The proposer.
        proposer: ValidatorAddress,
    },
    /// A chunk of the block's canonical bytes, in order.
    Data(#[serde(with = "serde_bytes_vec")] Vec<u8>),
    /// Last: the proposer's ed25519 signature over [`crate::signing::part_stream_digest`].
    Fin(#[serde(with = "serde_sig")] [u8; 64]),
}

/// A byte vector as serde bytes: in bincode the same length-prefixed encoding as a `Vec<u8>`
/// sequence, but copied whole instead of byte by byte (blocks are megabytes).
pub(crate) mod serde_bytes_vec {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(ByteBuf)
    }

    struct ByteBuf;

    impl<'de> Visitor<'de> for ByteBuf {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("bytes")
        }

        fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E: Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        /// Formats that write bytes as a sequence of numbers.
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            // Bounded by what the input holds, never by a length it claims.
            let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(byte) = seq.next_element::<u8>()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }
}

pub(crate) mod serde_sig {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8; 64], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 64], D::Error> {
        let bytes = Vec::<u8>::deserialize(deserializer)?;
        bytes.try_into().map_err(|_| serde::de::Error::custom("a signature is 64 bytes"))
    }
}

impl mtypes::ProposalPart<NovationContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin(_))
    }
}

/// novation's consensus context.
#[derive(Clone, Copy, Debug, Default)]
pub struct NovationContext;

impl mtypes::Context for NovationContext {
    type Address = ValidatorAddress;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockId;
    type Vote = Vote;
    type Extension = bytes::Bytes;
    type SigningScheme = Ed25519;

    fn select_proposer<'a>(&self, validator_set: &'a ValidatorSet, height: Height, round: Round) -> &'a Validator {
        // The engine never asks for an empty set (a chain without validators cannot start).
        match validator_set.proposer(height, round) {
            Some(validator) => validator,
            None => panic!("novation: the validator set is empty"),
        }
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockId,
        pol_round: Round,
        address: ValidatorAddress,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer: address }
    }

    fn new_prevote(&self, height: Height, round: Round, value: NilOrVal<BlockId>, address: ValidatorAddress) -> Vote {
        Vote { vote_type: VoteType::Prevote, height, round, value, validator: address, extension: None }
    }

    fn new_precommit(&self, height: Height, round: Round, value: NilOrVal<BlockId>, address: ValidatorAddress) -> Vote {
        Vote { vote_type: VoteType::Precommit, height, round, value, validator: address, extension: None }
    }
}
