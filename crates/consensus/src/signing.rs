//! What a validator's ed25519 consensus key signs, byte for byte, and the Malachite signer
//! and verifier over it.
//!
//! Every signed message starts with a domain tag and the chain id, so a signature on one chain
//! or for one kind of message never verifies as another:
//!
//! | message | signed bytes |
//! | --- | --- |
//! | vote | `"novation/vote/v1" ‖ chain_id (u64 LE) ‖ type (0 prevote, 1 precommit) ‖ height (u64 LE) ‖ round (i64 LE) ‖ 0 (nil) or 1 ‖ block id ‖ validator (20 bytes)` |
//! | proposal | `"novation/proposal/v1" ‖ chain_id ‖ height ‖ round ‖ block id ‖ pol_round (i64 LE) ‖ proposer` |
//! | vote extension | `"novation/vote-extension/v1" ‖ chain_id ‖ height ‖ round ‖ block id ‖ validator ‖ extension bytes` |
//! | proposal parts | `"novation/proposal-parts/v1" ‖ chain_id ‖ height ‖ round ‖ pol_round ‖ proposer ‖ SHA-256(block bytes)` |
//! | validator proof | Malachite's `ValidatorProof::signing_bytes` (binds the consensus key to the p2p peer id) |
//!
//! The extension carried into the next block is checked again, by every validator, against
//! these same bytes ([`extension_signing_bytes`]).

use async_trait::async_trait;
use malachitebft_app_channel::app::types::core::{
    NilOrVal, Round, SignedExtension, SignedMessage, SignedProposal, SignedVote, ValidatorProof, VoteExtensionScope,
    VoteType,
};
use malachitebft_app_channel::{Signer, Verifier};
use malachitebft_signing::{Error as SigningError, VerificationResult};
use malachitebft_signing_ed25519::{PrivateKey, PublicKey, Signature};
use sha2::{Digest, Sha256};

use crate::context::{BlockId, Height, NovationContext, Proposal, ValidatorAddress, Vote};

fn round_i64(round: Round) -> i64 {
    round.as_i64()
}

/// The bytes a vote's signature covers (its extension is signed on its own).
pub fn vote_signing_bytes(chain_id: u64, vote: &Vote) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(96);
    bytes.extend_from_slice(b"novation/vote/v1");
    bytes.extend_from_slice(&chain_id.to_le_bytes());
    bytes.push(match vote.vote_type {
        VoteType::Prevote => 0,
        VoteType::Precommit => 1,
    });
    bytes.extend_from_slice(&vote.height.0.to_le_bytes());
    bytes.extend_from_slice(&round_i64(vote.round).to_le_bytes());
    match &vote.value {
        NilOrVal::Nil => bytes.push(0),
        NilOrVal::Val(id) => {
            bytes.push(1);
            bytes.extend_from_slice(&id.0);
        }
    }
    bytes.extend_from_slice(&vote.validator.0 .0);
    bytes
}

/// The bytes a proposal's signature covers.
pub fn proposal_signing_bytes(chain_id: u64, proposal: &Proposal) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(112);
    bytes.extend_from_slice(b"novation/proposal/v1");
    bytes.extend_from_slice(&chain_id.to_le_bytes());
    bytes.extend_from_slice(&proposal.height.0.to_le_bytes());
    bytes.extend_from_slice(&round_i64(proposal.round).to_le_bytes());
    bytes.extend_from_slice(&proposal.value.0);
    bytes.extend_from_slice(&round_i64(proposal.pol_round).to_le_bytes());
    bytes.extend_from_slice(&proposal.proposer.0 .0);
    bytes
}

/// The bytes a vote extension's signature covers.
pub fn extension_signing_bytes(
    chain_id: u64,
    height: Height,
    round: i64,
    value: &BlockId,
    validator: &ValidatorAddress,
    extension: &[u8],
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(120 + extension.len());
    bytes.extend_from_slice(b"novation/vote-extension/v1");
    bytes.extend_from_slice(&chain_id.to_le_bytes());
    bytes.extend_from_slice(&height.0.to_le_bytes());
    bytes.extend_from_slice(&round.to_le_bytes());
    bytes.extend_from_slice(&value.0);
    bytes.extend_from_slice(&validator.0 .0);
    bytes.extend_from_slice(extension);
    bytes
}

/// [`extension_signing_bytes`] for the engine's scope of a precommit.
fn scoped_extension_bytes(chain_id: u64, scope: &VoteExtensionScope<NovationContext>, extension: &[u8]) -> Vec<u8> {
    extension_signing_bytes(
        chain_id,
        scope.height,
        scope.round.as_i64(),
        &scope.value_id,
        &scope.validator_address,
        extension,
    )
}

/// The bytes a proposal stream's `Fin` signature covers.
pub fn part_stream_signing_bytes(
    chain_id: u64,
    height: Height,
    round: i64,
    pol_round: i64,
    proposer: &ValidatorAddress,
    block_bytes: &[u8],
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(120);
    bytes.extend_from_slice(b"novation/proposal-parts/v1");
    bytes.extend_from_slice(&chain_id.to_le_bytes());
    bytes.extend_from_slice(&height.0.to_le_bytes());
    bytes.extend_from_slice(&round.to_le_bytes());
    bytes.extend_from_slice(&pol_round.to_le_bytes());
    bytes.extend_from_slice(&proposer.0 .0);
    bytes.extend_from_slice(&Sha256::digest(block_bytes));
    bytes
}

/// Whether `signature` by `public_key` covers `bytes`.
pub fn verifies(public_key: &PublicKey, bytes: &[u8], signature: &Signature) -> bool {
    public_key.verify(bytes, signature).is_ok()
}

/// A validator's signing key for one chain.
#[derive(Clone)]
pub struct ConsensusSigner {
    key: PrivateKey,
    chain_id: u64,
}

impl std::fmt::Debug for ConsensusSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsensusSigner").field("public_key", &self.key.public_key()).finish_non_exhaustive()
    }
}

impl ConsensusSigner {
    /// The signer of `key` on chain `chain_id`.
    pub fn new(key: PrivateKey, chain_id: u64) -> Self {
        ConsensusSigner { key, chain_id }
    }

    /// Its public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Signs raw bytes (one of the layouts of the module doc).
    pub fn sign_bytes(&self, bytes: &[u8]) -> Signature {
        self.key.sign(bytes)
    }
}

/// Checks signatures against the layouts of the module doc.
#[derive(Clone, Copy, Debug)]
pub struct ConsensusVerifier {
    chain_id: u64,
}

impl ConsensusVerifier {
    /// The verifier of chain `chain_id`.
    pub fn new(chain_id: u64) -> Self {
        ConsensusVerifier { chain_id }
    }
}

#[async_trait]
impl Signer<NovationContext> for ConsensusSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedVote<NovationContext>, SigningError> {
        let signature = self.key.sign(&vote_signing_bytes(self.chain_id, &vote));
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(&self, proposal: Proposal) -> Result<SignedProposal<NovationContext>, SigningError> {
        let signature = self.key.sign(&proposal_signing_bytes(self.chain_id, &proposal));
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<NovationContext>,
        extension: bytes::Bytes,
    ) -> Result<SignedExtension<NovationContext>, SigningError> {
        let signature = self.key.sign(&scoped_extension_bytes(self.chain_id, &scope, &extension));
        Ok(SignedMessage::new(extension, signature))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<NovationContext>, SigningError> {
        let signature = self.key.sign(&ValidatorProof::<NovationContext>::signing_bytes(&public_key, &peer_id));
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

#[async_trait]
impl Verifier<NovationContext> for ConsensusVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::from_bool(verifies(public_key, &vote_signing_bytes(self.chain_id, vote), signature)))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        let bytes = proposal_signing_bytes(self.chain_id, proposal);
        Ok(VerificationResult::from_bool(verifies(public_key, &bytes, signature)))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<NovationContext>,
        extension: &bytes::Bytes,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        let bytes = scoped_extension_bytes(self.chain_id, scope, extension);
        Ok(VerificationResult::from_bool(verifies(public_key, &bytes, signature)))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<NovationContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(public_key) = proof.decoded_public_key() else {
            return Ok(VerificationResult::Invalid);
        };
        Ok(VerificationResult::from_bool(verifies(&public_key, &proof.preimage(), &proof.signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from([seed; 32])
    }

    fn vote(value: Option<[u8; 32]>) -> Vote {
        let validator = ValidatorAddress::of(&key(1).public_key());
        Vote {
            vote_type: VoteType::Precommit,
            height: Height(7),
            round: Round::new(2),
            value: value.map_or(NilOrVal::Nil, |v| NilOrVal::Val(BlockId(v))),
            validator,
            extension: None,
        }
    }

    #[test]
    fn a_vote_signature_binds_chain_value_and_kind() {
        let chain = 31337;
        let signer = ConsensusSigner::new(key(1), chain);
        let good = vote(Some([9; 32]));
        let signature = signer.sign_bytes(&vote_signing_bytes(chain, &good));
        let public_key = signer.public_key();
        assert!(verifies(&public_key, &vote_signing_bytes(chain, &good), &signature));
        assert!(!verifies(&public_key, &vote_signing_bytes(chain + 1, &good), &signature), "another chain");
        assert!(!verifies(&public_key, &vote_signing_bytes(chain, &vote(Some([8; 32]))), &signature), "another block");
        assert!(!verifies(&public_key, &vote_signing_bytes(chain, &vote(None)), &signature), "nil");
        let prevote = Vote { vote_type: VoteType::Prevote, ..good };
        assert!(!verifies(&public_key, &vote_signing_bytes(chain, &prevote), &signature), "another kind");
        assert!(!verifies(&key(2).public_key(), &vote_signing_bytes(chain, &prevote), &signature), "another key");
    }
}
