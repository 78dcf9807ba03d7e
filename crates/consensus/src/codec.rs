//! The canonical wire and WAL encoding of every consensus message: bincode 1 (fixed-width
//! little-endian integers) of novation's own mirror structs below, so the bytes do not depend
//! on how Malachite's types happen to be laid out. Decoding is bounded (at most
//! [`MAX_MESSAGE_BYTES`]) and refuses trailing bytes; a message that does not decode is
//! dropped by the engine, never a panic.

use bincode::Options;
use bytes::Bytes;
use malachitebft_app_channel::app::consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::core::{
    ExtendedCommitCertificate, ExtendedCommitSignature, NilOrVal, PolkaCertificate, PolkaSignature, Round,
    RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage, ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::PeerId;
use malachitebft_signing_ed25519::Signature;
use malachitebft_sync::{ValueRequest, ValueResponse};
use serde::{Deserialize, Serialize};

use crate::context::{
    serde_bytes_vec, serde_sig, BlockId, Height, NovationContext, Proposal, ProposalPart, ValidatorAddress, Vote,
};

/// Largest message the codec decodes: a full sync response of several blocks.
pub const MAX_MESSAGE_BYTES: u64 = 64 * 1024 * 1024;

/// The codec (stateless).
#[derive(Clone, Copy, Debug, Default)]
pub struct NovationCodec;

/// A message that could not be encoded or decoded.
#[derive(Debug)]
pub struct CodecError(pub String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "consensus codec: {}", self.0)
    }
}

impl std::error::Error for CodecError {}

fn options() -> impl Options {
    bincode::DefaultOptions::new().with_fixint_encoding().with_limit(MAX_MESSAGE_BYTES)
}

/// Encodes with the canonical options.
pub(crate) fn to_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    options().serialize(value).map_err(|e| CodecError(e.to_string()))
}

/// Decodes with the canonical options (bounded, no trailing bytes).
pub(crate) fn from_bytes<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    options().deserialize(bytes).map_err(|e| CodecError(e.to_string()))
}

#[derive(Serialize, Deserialize)]
struct Sig(#[serde(with = "serde_sig")] [u8; 64]);

impl From<&Signature> for Sig {
    fn from(signature: &Signature) -> Self {
        Sig(signature.to_bytes())
    }
}

impl From<Sig> for Signature {
    fn from(sig: Sig) -> Self {
        Signature::from_bytes(sig.0)
    }
}

fn round_of(value: i64) -> Round {
    match u32::try_from(value) {
        Ok(round) => Round::new(round),
        Err(_) => Round::Nil,
    }
}

fn nil_or(value: &NilOrVal<BlockId>) -> Option<BlockId> {
    match value {
        NilOrVal::Nil => None,
        NilOrVal::Val(id) => Some(*id),
    }
}

fn to_nil_or(value: Option<BlockId>) -> NilOrVal<BlockId> {
    value.map_or(NilOrVal::Nil, NilOrVal::Val)
}

#[derive(Serialize, Deserialize)]
struct WireExtension {
    data: Vec<u8>,
    signature: Sig,
}

#[derive(Serialize, Deserialize)]
struct WireVote {
    precommit: bool,
    height: Height,
    round: i64,
    value: Option<BlockId>,
    validator: ValidatorAddress,
    extension: Option<WireExtension>,
}

fn wire_extension(ext: &SignedMessage<NovationContext, Bytes>) -> WireExtension {
    WireExtension { data: ext.message.to_vec(), signature: Sig::from(&ext.signature) }
}

fn from_wire_extension(ext: WireExtension) -> SignedMessage<NovationContext, Bytes> {
    SignedMessage::new(Bytes::from(ext.data), ext.signature.into())
}

impl From<&Vote> for WireVote {
    fn from(vote: &Vote) -> Self {
        WireVote {
            precommit: vote.vote_type == VoteType::Precommit,
            height: vote.height,
            round: vote.round.as_i64(),
            value: nil_or(&vote.value),
            validator: vote.validator,
            extension: vote.extension.as_ref().map(wire_extension),
        }
    }
}

impl From<WireVote> for Vote {
    fn from(vote: WireVote) -> Self {
        Vote {
            vote_type: if vote.precommit { VoteType::Precommit } else { VoteType::Prevote },
            height: vote.height,
            round: round_of(vote.round),
            value: to_nil_or(vote.value),
            validator: vote.validator,
            extension: vote.extension.map(from_wire_extension),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WireProposal {
    height: Height,
    round: i64,
    value: BlockId,
    pol_round: i64,
    proposer: ValidatorAddress,
}

impl From<&Proposal> for WireProposal {
    fn from(p: &Proposal) -> Self {
        WireProposal {
            height: p.height,
            round: p.round.as_i64(),
            value: p.value,
            pol_round: p.pol_round.as_i64(),
            proposer: p.proposer,
        }
    }
}

impl From<WireProposal> for Proposal {
    fn from(p: WireProposal) -> Self {
        Proposal {
            height: p.height,
            round: round_of(p.round),
            value: p.value,
            pol_round: round_of(p.pol_round),
            proposer: p.proposer,
        }
    }
}

#[derive(Serialize, Deserialize)]
enum WireSignedConsensusMsg {
    Vote(WireVote, Sig),
    Proposal(WireProposal, Sig),
}

impl From<&SignedConsensusMsg<NovationContext>> for WireSignedConsensusMsg {
    fn from(msg: &SignedConsensusMsg<NovationContext>) -> Self {
        match msg {
            SignedConsensusMsg::Vote(v) => WireSignedConsensusMsg::Vote((&v.message).into(), (&v.signature).into()),
            SignedConsensusMsg::Proposal(p) => {
                WireSignedConsensusMsg::Proposal((&p.message).into(), (&p.signature).into())
            }
        }
    }
}

impl From<WireSignedConsensusMsg> for SignedConsensusMsg<NovationContext> {
    fn from(msg: WireSignedConsensusMsg) -> Self {
        match msg {
            WireSignedConsensusMsg::Vote(v, s) => SignedConsensusMsg::Vote(SignedMessage::new(v.into(), s.into())),
            WireSignedConsensusMsg::Proposal(p, s) => {
                SignedConsensusMsg::Proposal(SignedMessage::new(p.into(), s.into()))
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WireAddressSig(ValidatorAddress, Sig);

#[derive(Serialize, Deserialize)]
struct WirePolka {
    height: Height,
    round: i64,
    value: BlockId,
    signatures: Vec<WireAddressSig>,
}

impl From<&PolkaCertificate<NovationContext>> for WirePolka {
    fn from(c: &PolkaCertificate<NovationContext>) -> Self {
        WirePolka {
            height: c.height,
            round: c.round.as_i64(),
            value: c.value_id,
            signatures: c.polka_signatures.iter().map(|s| WireAddressSig(s.address, (&s.signature).into())).collect(),
        }
    }
}

impl From<WirePolka> for PolkaCertificate<NovationContext> {
    fn from(c: WirePolka) -> Self {
        PolkaCertificate {
            height: c.height,
            round: round_of(c.round),
            value_id: c.value,
            polka_signatures: c.signatures.into_iter().map(|s| PolkaSignature::new(s.0, s.1.into())).collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WireRoundSignature {
    precommit: bool,
    value: Option<BlockId>,
    address: ValidatorAddress,
    signature: Sig,
}

#[derive(Serialize, Deserialize)]
struct WireRoundCertificate {
    height: Height,
    round: i64,
    precommit_type: bool,
    signatures: Vec<WireRoundSignature>,
}

impl From<&RoundCertificate<NovationContext>> for WireRoundCertificate {
    fn from(c: &RoundCertificate<NovationContext>) -> Self {
        WireRoundCertificate {
            height: c.height,
            round: c.round.as_i64(),
            precommit_type: c.cert_type == RoundCertificateType::Precommit,
            signatures: c
                .round_signatures
                .iter()
                .map(|s| WireRoundSignature {
                    precommit: s.vote_type == VoteType::Precommit,
                    value: nil_or(&s.value_id),
                    address: s.address,
                    signature: (&s.signature).into(),
                })
                .collect(),
        }
    }
}

impl From<WireRoundCertificate> for RoundCertificate<NovationContext> {
    fn from(c: WireRoundCertificate) -> Self {
        RoundCertificate {
            height: c.height,
            round: round_of(c.round),
            cert_type: if c.precommit_type { RoundCertificateType::Precommit } else { RoundCertificateType::Skip },
            round_signatures: c
                .signatures
                .into_iter()
                .map(|s| {
                    let vote_type = if s.precommit { VoteType::Precommit } else { VoteType::Prevote };
                    RoundSignature::new(vote_type, to_nil_or(s.value), s.address, s.signature.into())
                })
                .collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
enum WireLiveness {
    Vote(WireVote, Sig),
    Polka(WirePolka),
    SkipRound(WireRoundCertificate),
}

#[derive(Serialize, Deserialize)]
struct WireStreamMessage {
    stream_id: Vec<u8>,
    sequence: u64,
    part: Option<ProposalPart>,
}

#[derive(Serialize, Deserialize)]
struct WireProof {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: Sig,
}

#[derive(Serialize, Deserialize)]
struct WireProposedValue {
    height: Height,
    round: i64,
    valid_round: i64,
    proposer: ValidatorAddress,
    value: BlockId,
    valid: bool,
}

#[derive(Serialize, Deserialize)]
struct WireStatus {
    peer_id: Vec<u8>,
    tip_height: Height,
    history_min_height: Height,
}

#[derive(Serialize, Deserialize)]
struct WireRequest {
    from: Height,
    to: Height,
}

#[derive(Serialize, Deserialize)]
struct WireExtendedSignature {
    address: ValidatorAddress,
    signature: Sig,
    extension: Option<WireExtension>,
}

/// An extended commit certificate as stored and sent in sync responses.
#[derive(Serialize, Deserialize)]
pub(crate) struct WireCertificate {
    height: Height,
    round: i64,
    value: BlockId,
    signatures: Vec<WireExtendedSignature>,
}

impl From<&ExtendedCommitCertificate<NovationContext>> for WireCertificate {
    fn from(c: &ExtendedCommitCertificate<NovationContext>) -> Self {
        WireCertificate {
            height: c.height,
            round: c.round.as_i64(),
            value: c.value_id,
            signatures: c
                .commit_signatures
                .iter()
                .map(|s| WireExtendedSignature {
                    address: s.address,
                    signature: (&s.signature).into(),
                    extension: s.extension.as_ref().map(wire_extension),
                })
                .collect(),
        }
    }
}

impl From<WireCertificate> for ExtendedCommitCertificate<NovationContext> {
    fn from(c: WireCertificate) -> Self {
        ExtendedCommitCertificate {
            height: c.height,
            round: round_of(c.round),
            value_id: c.value,
            commit_signatures: c
                .signatures
                .into_iter()
                .map(|s| {
                    ExtendedCommitSignature::new(s.address, s.signature.into(), s.extension.map(from_wire_extension))
                })
                .collect(),
        }
    }
}

/// Encodes an extended commit certificate for the store.
pub(crate) fn encode_certificate(
    certificate: &ExtendedCommitCertificate<NovationContext>,
) -> Result<Vec<u8>, CodecError> {
    to_bytes(&WireCertificate::from(certificate))
}

/// Decodes a stored extended commit certificate.
pub(crate) fn decode_certificate(bytes: &[u8]) -> Result<ExtendedCommitCertificate<NovationContext>, CodecError> {
    from_bytes::<WireCertificate>(bytes).map(Into::into)
}

#[derive(Serialize, Deserialize)]
struct WireDecided {
    #[serde(with = "serde_bytes_vec")]
    value_bytes: Vec<u8>,
    certificate: WireCertificate,
}

#[derive(Serialize, Deserialize)]
struct WireResponse {
    start_height: Height,
    values: Vec<WireDecided>,
}

macro_rules! codec_via {
    ($ty:ty, $wire:ty, |$enc:ident| $to:expr, |$dec:ident| $from:expr) => {
        impl Codec<$ty> for NovationCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$ty, CodecError> {
                let $dec: $wire = from_bytes(&bytes)?;
                $from
            }

            fn encode(&self, $enc: &$ty) -> Result<Bytes, CodecError> {
                to_bytes(&$to).map(Bytes::from)
            }
        }
    };
}

codec_via!(ProposalPart, ProposalPart, |part| part, |part| Ok(part));

codec_via!(
    SignedConsensusMsg<NovationContext>,
    WireSignedConsensusMsg,
    |msg| WireSignedConsensusMsg::from(msg),
    |wire| Ok(wire.into())
);

codec_via!(
    LivenessMsg<NovationContext>,
    WireLiveness,
    |msg| match msg {
        LivenessMsg::Vote(v) => WireLiveness::Vote((&v.message).into(), (&v.signature).into()),
        LivenessMsg::PolkaCertificate(c) => WireLiveness::Polka(c.into()),
        LivenessMsg::SkipRoundCertificate(c) => WireLiveness::SkipRound(c.into()),
    },
    |wire| Ok(match wire {
        WireLiveness::Vote(v, s) => LivenessMsg::Vote(SignedMessage::new(v.into(), s.into())),
        WireLiveness::Polka(c) => LivenessMsg::PolkaCertificate(c.into()),
        WireLiveness::SkipRound(c) => LivenessMsg::SkipRoundCertificate(c.into()),
    })
);

codec_via!(
    StreamMessage<ProposalPart>,
    WireStreamMessage,
    |msg| WireStreamMessage {
        stream_id: msg.stream_id.to_bytes().to_vec(),
        sequence: msg.sequence,
        part: match &msg.content {
            StreamContent::Data(part) => Some(part.clone()),
            StreamContent::Fin => None,
        },
    },
    |wire| Ok(StreamMessage::new(
        StreamId::new(Bytes::from(wire.stream_id)),
        wire.sequence,
        match wire.part {
            Some(part) => StreamContent::Data(part),
            None => StreamContent::Fin,
        },
    ))
);

codec_via!(
    ValidatorProof<NovationContext>,
    WireProof,
    |proof| WireProof {
        public_key: proof.public_key.clone(),
        peer_id: proof.peer_id.clone(),
        signature: (&proof.signature).into(),
    },
    |wire| Ok(ValidatorProof::new(wire.public_key, wire.peer_id, wire.signature.into()))
);

codec_via!(
    ProposedValue<NovationContext>,
    WireProposedValue,
    |value| WireProposedValue {
        height: value.height,
        round: value.round.as_i64(),
        valid_round: value.valid_round.as_i64(),
        proposer: value.proposer,
        value: value.value,
        valid: value.validity.is_valid(),
    },
    |wire| Ok(ProposedValue {
        height: wire.height,
        round: round_of(wire.round),
        valid_round: round_of(wire.valid_round),
        proposer: wire.proposer,
        value: wire.value,
        validity: Validity::from_bool(wire.valid),
    })
);

codec_via!(PolkaCertificate<NovationContext>, WirePolka, |c| WirePolka::from(c), |wire| Ok(wire.into()));

codec_via!(
    Status<NovationContext>,
    WireStatus,
    |status| WireStatus {
        peer_id: status.peer_id.to_bytes(),
        tip_height: status.tip_height,
        history_min_height: status.history_min_height,
    },
    |wire| Ok(Status {
        peer_id: PeerId::from_bytes(&wire.peer_id).map_err(|e| CodecError(format!("peer id: {e}")))?,
        tip_height: wire.tip_height,
        history_min_height: wire.history_min_height,
    })
);

codec_via!(
    Request<NovationContext>,
    WireRequest,
    |request| match request {
        Request::ValueRequest(r) => WireRequest { from: *r.range.start(), to: *r.range.end() },
    },
    |wire| Ok(Request::ValueRequest(ValueRequest::new(wire.from..=wire.to)))
);

fn wire_response(response: &Response<NovationContext>) -> WireResponse {
    match response {
        Response::ValueResponse(r) => WireResponse {
            start_height: r.start_height,
            values: r
                .values
                .iter()
                .map(|v| WireDecided { value_bytes: v.value_bytes.to_vec(), certificate: (&v.certificate).into() })
                .collect(),
        },
    }
}

codec_via!(Response<NovationContext>, WireResponse, |response| wire_response(response), |wire| Ok(
    Response::ValueResponse(ValueResponse::new(
        wire.start_height,
        wire.values
            .into_iter()
            .map(|v| RawDecidedValue::new(Bytes::from(v.value_bytes), v.certificate.into()))
            .collect(),
    ))
));

impl HasEncodedLen<Response<NovationContext>> for NovationCodec {
    fn encoded_len(&self, response: &Response<NovationContext>) -> Result<usize, CodecError> {
        options().serialized_size(&wire_response(response)).map(|n| n as usize).map_err(|e| CodecError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use malachitebft_signing_ed25519::PrivateKey;

    fn signed_vote() -> SignedConsensusMsg<NovationContext> {
        let key = PrivateKey::from([3; 32]);
        let vote = Vote {
            vote_type: VoteType::Precommit,
            height: Height(12),
            round: Round::new(1),
            value: NilOrVal::Val(BlockId([5; 32])),
            validator: ValidatorAddress::of(&key.public_key()),
            extension: Some(SignedMessage::new(Bytes::from_static(b"prices"), key.sign(b"x"))),
        };
        SignedConsensusMsg::Vote(SignedMessage::new(vote, key.sign(b"vote")))
    }

    #[test]
    fn messages_round_trip() {
        let msg = signed_vote();
        let bytes = Codec::<SignedConsensusMsg<NovationContext>>::encode(&NovationCodec, &msg).unwrap();
        let back: SignedConsensusMsg<NovationContext> = NovationCodec.decode(bytes).unwrap();
        assert_eq!(back, msg);
    }

    #[test]
    fn junk_and_trailing_bytes_are_refused() {
        let msg = signed_vote();
        let mut bytes = Codec::<SignedConsensusMsg<NovationContext>>::encode(&NovationCodec, &msg).unwrap().to_vec();
        bytes.push(0);
        let trailing: Result<SignedConsensusMsg<NovationContext>, _> = NovationCodec.decode(Bytes::from(bytes));
        assert!(trailing.is_err());
        for junk in [&b""[..], b"\xff\xff\xff\xff\xff\xff\xff\xff\xff", &[1u8; 7][..]] {
            let decoded: Result<StreamMessage<ProposalPart>, _> = NovationCodec.decode(Bytes::copy_from_slice(junk));
            assert!(decoded.is_err());
        }
        // A length prefix claiming a huge vector is refused without allocating it.
        let mut huge = vec![0u8; 8];
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        let decoded: Result<Response<NovationContext>, _> = NovationCodec.decode(Bytes::from(huge));
        assert!(decoded.is_err());
    }
}
