//! Protobuf messages byte-compatible with CometBFT v0.38 and ibc-go v8 (feature `alloc`), and
//! conversions to and from the verifier's validated types.
//!
//! The messages are hand-written [`prost`] structs with the field numbers, types and
//! encodings of the `.proto` files:
//!
//! * `google.protobuf`: [`Timestamp`], [`Duration`], [`Any`];
//! * `tendermint.version`: [`Consensus`]; `tendermint.crypto`: [`PublicKey`];
//! * `tendermint.types`: [`PartSetHeader`], [`BlockId`], [`Header`], [`Vote`], [`Commit`],
//!   [`CommitSig`], [`SignedHeader`], [`LightBlock`], [`Validator`], [`ValidatorSet`],
//!   [`Evidence`], [`DuplicateVoteEvidence`], [`LightClientAttackEvidence`],
//!   [`EvidenceList`];
//! * `ibc.core.client.v1`, `ibc.core.commitment.v1` and `ibc.lightclients.tendermint.v1`:
//!   the [`ibc`] module.
//!
//! # Byte compatibility with Go
//!
//! Go's gogoproto writes a message field marked `(gogoproto.nullable) = false` even when it
//! is empty (an empty `Timestamp` is `2a 00`), where prost omits an `Option` that is `None`.
//! Every such field is therefore a plain (`required`) field here, always encoded; the
//! nullable ones are `Option`s. Scalars, bytes and strings are omitted when zero or empty,
//! as in proto3 and Go.
//!
//! A field Go never omits can still be missing from bytes another encoder wrote; prost then
//! decodes it as the message's default (for a `Timestamp`, 1970-01-01), where Go would keep
//! its zero value (for a time, 0001-01-01). The conversions treat both alike where it
//! matters (absent commit signatures).
//!
//! # Conversions
//!
//! `From<&T>` turns each validated type into its message (infallible); `TryFrom<&pb::T>`
//! checks a message into the validated type, with a [`PbError`] naming the field. Malformed
//! input is an error, never a panic.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use ferry_verifier::pb::{self, Message};
//! use ferry_verifier::LightBlock;
//!
//! // Capacity 4: this fixture has 4 validators (the default, 512, needs a larger stack in
//! // unoptimized builds).
//! let block: LightBlock<4> =
//!     serde_json::from_str(include_str!("../../fixtures/data/nostd-4/light_block_1.json"))?;
//! // CometBFT's `LightBlock` proto has no next validator set: it travels separately.
//! let bytes = pb::LightBlock::from(&block).encode_to_vec();
//! let next = pb::ValidatorSet::from(&block.next_validators).encode_to_vec();
//!
//! let decoded: LightBlock<4> = LightBlock::try_from((
//!     &pb::decode::<pb::LightBlock>(&bytes)?,
//!     &pb::decode::<pb::ValidatorSet>(&next)?,
//! ))?;
//! assert_eq!(decoded, block);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use prost;
pub use prost::Message;

use crate::block;
use crate::error::Error;
use crate::time::{Time, MIN_UNIX_SECS};
use crate::types::{Address, AppHash, ChainId, Hash, Height, PublicKey as Ed25519Key, Signature};
use crate::types::{TrustThreshold, MAX_TOTAL_VOTING_POWER};
use crate::validator;

// ----------------------------------------------------------------------------------------
// google.protobuf
// ----------------------------------------------------------------------------------------

/// `google.protobuf.Timestamp`: seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (field 1).
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second, `0..=999_999_999` (field 2).
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `google.protobuf.Duration`: a signed span of seconds and nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message)]
pub struct Duration {
    /// Whole seconds (field 1).
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds, with the sign of `seconds` (field 2).
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `google.protobuf.Any`: a message with its type URL (`/` + full message name).
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Any {
    /// `/package.Message` (field 1).
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The message's protobuf bytes (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

// ----------------------------------------------------------------------------------------
// tendermint.version, tendermint.crypto
// ----------------------------------------------------------------------------------------

/// `tendermint.version.Consensus`: block and app protocol versions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message)]
pub struct Consensus {
    /// Block protocol version (field 1).
    #[prost(uint64, tag = "1")]
    pub block: u64,
    /// App protocol version (field 2).
    #[prost(uint64, tag = "2")]
    pub app: u64,
}

/// `tendermint.crypto.PublicKey`: `oneof sum { bytes ed25519 = 1; bytes secp256k1 = 2; }`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct PublicKey {
    /// The key; `None` when no (known) variant was set.
    #[prost(oneof = "public_key::Sum", tags = "1, 2")]
    pub sum: Option<public_key::Sum>,
}

/// The `sum` oneof of [`PublicKey`].
pub mod public_key {
    use alloc::vec::Vec;

    /// A public key by type.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Oneof)]
    pub enum Sum {
        /// A 32-byte ed25519 key (field 1).
        #[prost(bytes, tag = "1")]
        Ed25519(Vec<u8>),
        /// A 33-byte compressed secp256k1 key (field 2); not supported by the verifier.
        #[prost(bytes, tag = "2")]
        Secp256k1(Vec<u8>),
    }
}

// ----------------------------------------------------------------------------------------
// tendermint.types
// ----------------------------------------------------------------------------------------

/// `tendermint.types.BlockIDFlag`: what a commit signature votes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum BlockIdFlag {
    /// 0: an error condition.
    Unknown = 0,
    /// 1: no vote was received.
    Absent = 1,
    /// 2: voted for the committed block.
    Commit = 2,
    /// 3: voted nil.
    Nil = 3,
}

/// `tendermint.types.SignedMsgType`: the kind of a signed consensus message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SignedMsgType {
    /// 0: unknown.
    Unknown = 0,
    /// 1: prevote.
    Prevote = 1,
    /// 2: precommit.
    Precommit = 2,
    /// 32: proposal.
    Proposal = 32,
}

/// `tendermint.types.PartSetHeader`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct PartSetHeader {
    /// Number of parts (field 1).
    #[prost(uint32, tag = "1")]
    pub total: u32,
    /// Merkle root of the parts (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub hash: Vec<u8>,
}

/// `tendermint.types.BlockID`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct BlockId {
    /// The header hash (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub hash: Vec<u8>,
    /// The part-set header (field 2, non-nullable: always encoded).
    #[prost(message, required, tag = "2")]
    pub part_set_header: PartSetHeader,
}

/// `tendermint.types.Header`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Header {
    /// Protocol versions (field 1, non-nullable).
    #[prost(message, required, tag = "1")]
    pub version: Consensus,
    /// Chain id (field 2).
    #[prost(string, tag = "2")]
    pub chain_id: String,
    /// Height (field 3).
    #[prost(int64, tag = "3")]
    pub height: i64,
    /// Block time (field 4, non-nullable).
    #[prost(message, required, tag = "4")]
    pub time: Timestamp,
    /// Previous block id (field 5, non-nullable).
    #[prost(message, required, tag = "5")]
    pub last_block_id: BlockId,
    /// Hash of the previous block's commit (field 6).
    #[prost(bytes = "vec", tag = "6")]
    pub last_commit_hash: Vec<u8>,
    /// Hash of the transactions (field 7).
    #[prost(bytes = "vec", tag = "7")]
    pub data_hash: Vec<u8>,
    /// Hash of this block's validator set (field 8).
    #[prost(bytes = "vec", tag = "8")]
    pub validators_hash: Vec<u8>,
    /// Hash of the next block's validator set (field 9).
    #[prost(bytes = "vec", tag = "9")]
    pub next_validators_hash: Vec<u8>,
    /// Hash of the consensus parameters (field 10).
    #[prost(bytes = "vec", tag = "10")]
    pub consensus_hash: Vec<u8>,
    /// Application state after the previous block (field 11).
    #[prost(bytes = "vec", tag = "11")]
    pub app_hash: Vec<u8>,
    /// Hash of the previous block's results (field 12).
    #[prost(bytes = "vec", tag = "12")]
    pub last_results_hash: Vec<u8>,
    /// Hash of the evidence (field 13).
    #[prost(bytes = "vec", tag = "13")]
    pub evidence_hash: Vec<u8>,
    /// Address of the proposer (field 14).
    #[prost(bytes = "vec", tag = "14")]
    pub proposer_address: Vec<u8>,
}

/// `tendermint.types.Vote` (v0.38, with vote extensions).
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Vote {
    /// [`SignedMsgType`] (field 1).
    #[prost(enumeration = "SignedMsgType", tag = "1")]
    pub r#type: i32,
    /// Height (field 2).
    #[prost(int64, tag = "2")]
    pub height: i64,
    /// Round (field 3).
    #[prost(int32, tag = "3")]
    pub round: i32,
    /// Block voted for; zero for nil (field 4, non-nullable).
    #[prost(message, required, tag = "4")]
    pub block_id: BlockId,
    /// Vote time (field 5, non-nullable).
    #[prost(message, required, tag = "5")]
    pub timestamp: Timestamp,
    /// Signer's address (field 6).
    #[prost(bytes = "vec", tag = "6")]
    pub validator_address: Vec<u8>,
    /// Signer's index in the validator set (field 7).
    #[prost(int32, tag = "7")]
    pub validator_index: i32,
    /// Signature over the vote sign-bytes (field 8).
    #[prost(bytes = "vec", tag = "8")]
    pub signature: Vec<u8>,
    /// Vote extension, precommits only (field 9).
    #[prost(bytes = "vec", tag = "9")]
    pub extension: Vec<u8>,
    /// Signature over the vote extension (field 10).
    #[prost(bytes = "vec", tag = "10")]
    pub extension_signature: Vec<u8>,
}

/// `tendermint.types.Commit`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Commit {
    /// Height (field 1).
    #[prost(int64, tag = "1")]
    pub height: i64,
    /// Round (field 2).
    #[prost(int32, tag = "2")]
    pub round: i32,
    /// The committed block (field 3, non-nullable).
    #[prost(message, required, tag = "3")]
    pub block_id: BlockId,
    /// One entry per validator (field 4).
    #[prost(message, repeated, tag = "4")]
    pub signatures: Vec<CommitSig>,
}

/// `tendermint.types.CommitSig`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct CommitSig {
    /// [`BlockIdFlag`] (field 1).
    #[prost(enumeration = "BlockIdFlag", tag = "1")]
    pub block_id_flag: i32,
    /// Signer's address (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub validator_address: Vec<u8>,
    /// Vote time; Go's zero time (0001-01-01) for an absent vote (field 3, non-nullable).
    #[prost(message, required, tag = "3")]
    pub timestamp: Timestamp,
    /// Signature (field 4).
    #[prost(bytes = "vec", tag = "4")]
    pub signature: Vec<u8>,
}

/// `tendermint.types.SignedHeader`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct SignedHeader {
    /// The header (field 1).
    #[prost(message, optional, tag = "1")]
    pub header: Option<Header>,
    /// Its commit (field 2).
    #[prost(message, optional, tag = "2")]
    pub commit: Option<Commit>,
}

/// `tendermint.types.LightBlock`: a signed header and the validators that signed it.
///
/// CometBFT's message has no next validator set: see the `TryFrom` pair in this module.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct LightBlock {
    /// The signed header (field 1).
    #[prost(message, optional, tag = "1")]
    pub signed_header: Option<SignedHeader>,
    /// The validators at its height (field 2).
    #[prost(message, optional, tag = "2")]
    pub validator_set: Option<ValidatorSet>,
}

/// `tendermint.types.Validator`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Validator {
    /// Address, `sha256(key)[..20]` (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub address: Vec<u8>,
    /// Public key (field 2, non-nullable).
    #[prost(message, required, tag = "2")]
    pub pub_key: PublicKey,
    /// Voting power (field 3).
    #[prost(int64, tag = "3")]
    pub voting_power: i64,
    /// Proposer priority (field 4).
    #[prost(int64, tag = "4")]
    pub proposer_priority: i64,
}

/// `tendermint.types.ValidatorSet`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct ValidatorSet {
    /// The validators (field 1).
    #[prost(message, repeated, tag = "1")]
    pub validators: Vec<Validator>,
    /// The proposer (field 2); CometBFT's decoder requires one for a non-empty set.
    #[prost(message, optional, tag = "2")]
    pub proposer: Option<Validator>,
    /// Total voting power (field 3); decoders recompute it.
    #[prost(int64, tag = "3")]
    pub total_voting_power: i64,
}

/// `tendermint.types.Evidence`: `oneof sum { duplicate_vote_evidence = 1;
/// light_client_attack_evidence = 2; }`. CometBFT's `broadcast_evidence` takes these bytes.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Evidence {
    /// The evidence; `None` when no (known) variant was set.
    #[prost(oneof = "evidence::Sum", tags = "1, 2")]
    pub sum: Option<evidence::Sum>,
}

/// The `sum` oneof of [`Evidence`].
pub mod evidence {
    use alloc::boxed::Box;

    /// Evidence by kind.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Oneof)]
    pub enum Sum {
        /// A validator signed two conflicting votes (field 1).
        #[prost(message, boxed, tag = "1")]
        DuplicateVoteEvidence(Box<super::DuplicateVoteEvidence>),
        /// A set of validators signed a conflicting block (field 2).
        #[prost(message, boxed, tag = "2")]
        LightClientAttackEvidence(Box<super::LightClientAttackEvidence>),
    }
}

/// `tendermint.types.DuplicateVoteEvidence`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct DuplicateVoteEvidence {
    /// First vote (field 1).
    #[prost(message, optional, tag = "1")]
    pub vote_a: Option<Vote>,
    /// Second vote (field 2).
    #[prost(message, optional, tag = "2")]
    pub vote_b: Option<Vote>,
    /// Total voting power of the set (field 3).
    #[prost(int64, tag = "3")]
    pub total_voting_power: i64,
    /// The validator's power (field 4).
    #[prost(int64, tag = "4")]
    pub validator_power: i64,
    /// Time of the evidence's height (field 5, non-nullable).
    #[prost(message, required, tag = "5")]
    pub timestamp: Timestamp,
}

/// `tendermint.types.LightClientAttackEvidence`.
///
/// CometBFT hashes these bytes into blocks (`EvidenceList.Hash`) after re-encoding them
/// itself: its `ValidatorSet.ToProto` writes `total_voting_power = 0`, where
/// `From<&ValidatorSet>` fills it in.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct LightClientAttackEvidence {
    /// The conflicting block (field 1).
    #[prost(message, optional, tag = "1")]
    pub conflicting_block: Option<LightBlock>,
    /// Last height both chains agree on (field 2).
    #[prost(int64, tag = "2")]
    pub common_height: i64,
    /// Validators that signed the conflicting block (field 3).
    #[prost(message, repeated, tag = "3")]
    pub byzantine_validators: Vec<Validator>,
    /// Total voting power at the common height (field 4).
    #[prost(int64, tag = "4")]
    pub total_voting_power: i64,
    /// Time of the common height (field 5, non-nullable).
    #[prost(message, required, tag = "5")]
    pub timestamp: Timestamp,
}

/// `tendermint.types.EvidenceList`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct EvidenceList {
    /// The evidence (field 1).
    #[prost(message, repeated, tag = "1")]
    pub evidence: Vec<Evidence>,
}

// ----------------------------------------------------------------------------------------
// ibc
// ----------------------------------------------------------------------------------------

/// Type URL of [`ibc::ClientState`] in an [`Any`].
pub const CLIENT_STATE_TYPE_URL: &str = "/ibc.lightclients.tendermint.v1.ClientState";
/// Type URL of [`ibc::ConsensusState`] in an [`Any`].
pub const CONSENSUS_STATE_TYPE_URL: &str = "/ibc.lightclients.tendermint.v1.ConsensusState";
/// Type URL of [`ibc::Header`] in an [`Any`].
pub const HEADER_TYPE_URL: &str = "/ibc.lightclients.tendermint.v1.Header";
/// Type URL of [`ibc::Misbehaviour`] in an [`Any`].
pub const MISBEHAVIOUR_TYPE_URL: &str = "/ibc.lightclients.tendermint.v1.Misbehaviour";

/// ibc-go v8 messages: `ibc.core.client.v1.Height`, `ibc.core.commitment.v1.MerkleRoot` and
/// the 07-tendermint client's `ibc.lightclients.tendermint.v1` messages.
pub mod ibc {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::{Duration, Timestamp, ValidatorSet};

    /// `ibc.core.client.v1.Height`.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
    pub struct Height {
        /// The revision (the `N` of a chain id `name-N`) (field 1).
        #[prost(uint64, tag = "1")]
        pub revision_number: u64,
        /// The block height within the revision (field 2).
        #[prost(uint64, tag = "2")]
        pub revision_height: u64,
    }

    impl Height {
        /// A height in a revision.
        pub fn new(revision_number: u64, revision_height: u64) -> Self {
            Height {
                revision_number,
                revision_height,
            }
        }
    }

    /// `ibc.core.commitment.v1.MerkleRoot`.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct MerkleRoot {
        /// The root (a block's app hash) (field 1).
        #[prost(bytes = "vec", tag = "1")]
        pub hash: Vec<u8>,
    }

    /// `ibc.lightclients.tendermint.v1.Fraction`: the trust level.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message)]
    pub struct Fraction {
        /// Numerator (field 1).
        #[prost(uint64, tag = "1")]
        pub numerator: u64,
        /// Denominator (field 2).
        #[prost(uint64, tag = "2")]
        pub denominator: u64,
    }

    /// `ibc.lightclients.tendermint.v1.ClientState`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ClientState {
        /// Counterparty chain id (field 1).
        #[prost(string, tag = "1")]
        pub chain_id: String,
        /// Trust level (field 2, non-nullable).
        #[prost(message, required, tag = "2")]
        pub trust_level: Fraction,
        /// Trusting period (field 3, non-nullable).
        #[prost(message, required, tag = "3")]
        pub trusting_period: Duration,
        /// Unbonding period (field 4, non-nullable).
        #[prost(message, required, tag = "4")]
        pub unbonding_period: Duration,
        /// Largest accepted clock drift (field 5, non-nullable).
        #[prost(message, required, tag = "5")]
        pub max_clock_drift: Duration,
        /// Height the client was frozen at, zero if not frozen (field 6, non-nullable).
        #[prost(message, required, tag = "6")]
        pub frozen_height: Height,
        /// Latest height the client was updated to (field 7, non-nullable).
        #[prost(message, required, tag = "7")]
        pub latest_height: Height,
        /// `cosmos.ics23.v1.ProofSpec`s of the counterparty's stores (field 8).
        #[prost(message, repeated, tag = "8")]
        pub proof_specs: Vec<ics23::ProofSpec>,
        /// Upgrade path, usually `["upgrade", "upgradedIBCState"]` (field 9).
        #[prost(string, repeated, tag = "9")]
        pub upgrade_path: Vec<String>,
        /// Deprecated (field 10).
        #[prost(bool, tag = "10")]
        pub allow_update_after_expiry: bool,
        /// Deprecated (field 11).
        #[prost(bool, tag = "11")]
        pub allow_update_after_misbehaviour: bool,
    }

    /// `ibc.lightclients.tendermint.v1.ConsensusState`.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct ConsensusState {
        /// Block time (field 1, non-nullable).
        #[prost(message, required, tag = "1")]
        pub timestamp: Timestamp,
        /// Commitment root: the block's app hash (field 2, non-nullable).
        #[prost(message, required, tag = "2")]
        pub root: MerkleRoot,
        /// The block's next validators hash (field 3).
        #[prost(bytes = "vec", tag = "3")]
        pub next_validators_hash: Vec<u8>,
    }

    /// `ibc.lightclients.tendermint.v1.Header`: a client update.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Header {
        /// The new signed header (field 1).
        #[prost(message, optional, tag = "1")]
        pub signed_header: Option<super::SignedHeader>,
        /// The validators that signed it (field 2).
        #[prost(message, optional, tag = "2")]
        pub validator_set: Option<ValidatorSet>,
        /// Height of the client's consensus state to verify from (field 3, non-nullable).
        #[prost(message, required, tag = "3")]
        pub trusted_height: Height,
        /// That consensus state's next validators (field 4).
        #[prost(message, optional, tag = "4")]
        pub trusted_validators: Option<ValidatorSet>,
    }

    /// `ibc.lightclients.tendermint.v1.Misbehaviour`: two conflicting headers.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Misbehaviour {
        /// Deprecated client id (field 1).
        #[prost(string, tag = "1")]
        pub client_id: String,
        /// First header (field 2).
        #[prost(message, optional, tag = "2")]
        pub header_1: Option<Header>,
        /// Second header (field 3).
        #[prost(message, optional, tag = "3")]
        pub header_2: Option<Header>,
    }
}

// ----------------------------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------------------------

/// Why bytes or a message could not become one of the verifier's validated types.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PbError {
    /// The bytes are not a protobuf encoding of the message (truncated, a bad varint, a wrong
    /// wire type, or nested deeper than prost's recursion limit).
    Decode(prost::DecodeError),
    /// A field the validated type requires is absent.
    Missing {
        /// The field (`package.Message.field`).
        field: &'static str,
    },
    /// A byte string has the wrong length.
    InvalidLength {
        /// The field.
        field: &'static str,
        /// The lengths accepted.
        expected: &'static str,
        /// The length found.
        actual: usize,
    },
    /// An integer is outside the range the field allows.
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value found.
        value: i128,
        /// The range accepted.
        expected: &'static str,
    },
    /// A timestamp outside years 0001 to 9999, or with nanoseconds outside `0..10^9`.
    InvalidTime {
        /// The field.
        field: &'static str,
        /// Its seconds.
        seconds: i64,
        /// Its nanoseconds.
        nanos: i32,
    },
    /// A duration that is negative, has nanoseconds outside `0..10^9`, or exceeds Go's
    /// `time.Duration` (about 292 years).
    InvalidDuration {
        /// The field.
        field: &'static str,
        /// Its seconds.
        seconds: i64,
        /// Its nanoseconds.
        nanos: i32,
    },
    /// A public key that is not ed25519 (secp256k1, or none set).
    UnsupportedKey {
        /// The field.
        field: &'static str,
        /// What was found: `"secp256k1"` or `"none"`.
        kind: &'static str,
    },
    /// A commit signature's `block_id_flag` is not 1 (absent), 2 (commit) or 3 (nil).
    UnknownBlockIdFlag {
        /// Position in the commit.
        index: usize,
        /// The flag found.
        flag: i32,
    },
    /// A commit signature that breaks CometBFT's `CommitSig.ValidateBasic`.
    InvalidCommitSig {
        /// Position in the commit.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The values break an invariant of the validated type (a chain id too long, an address
    /// not bound to its key, a duplicate validator, a capacity exceeded, ...).
    Invalid {
        /// The field or message.
        field: &'static str,
        /// The verifier's error.
        error: Error,
    },
    /// An element of a repeated field is invalid.
    At {
        /// The repeated field.
        field: &'static str,
        /// The element's position.
        index: usize,
        /// What is wrong with it.
        error: Box<PbError>,
    },
    /// An [`Any`] holds another message type than the one asked for.
    UnexpectedTypeUrl {
        /// The type URL asked for.
        expected: &'static str,
        /// The type URL found.
        actual: String,
    },
}

impl fmt::Display for PbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PbError::Decode(e) => write!(
                f,
                "malformed protobuf ({e}): the bytes are truncated, corrupted or not this message type"
            ),
            PbError::Missing { field } => {
                write!(f, "{field} is missing (CometBFT and ibc-go always set it)")
            }
            PbError::InvalidLength {
                field,
                expected,
                actual,
            } => write!(f, "{field}: expected {expected}, got {actual} bytes"),
            PbError::OutOfRange {
                field,
                value,
                expected,
            } => write!(f, "{field}: {value} is out of range (expected {expected})"),
            PbError::InvalidTime {
                field,
                seconds,
                nanos,
            } => write!(
                f,
                "{field}: {{seconds: {seconds}, nanos: {nanos}}} is not a valid time (years \
                 0001..9999, nanos 0..999999999)"
            ),
            PbError::InvalidDuration {
                field,
                seconds,
                nanos,
            } => write!(
                f,
                "{field}: {{seconds: {seconds}, nanos: {nanos}}} is not a valid duration \
                 (non-negative, nanos 0..999999999, at most i64::MAX nanoseconds)"
            ),
            PbError::UnsupportedKey { field, kind } => write!(
                f,
                "{field}: {kind} public keys are not supported (only ed25519 validators can be \
                 verified)"
            ),
            PbError::UnknownBlockIdFlag { index, flag } => write!(
                f,
                "commit signature #{index}: unknown block_id_flag {flag} (expected 1 absent, 2 \
                 commit or 3 nil)"
            ),
            PbError::InvalidCommitSig { index, reason } => {
                write!(f, "commit signature #{index}: {reason}")
            }
            PbError::Invalid { field, error } => write!(f, "{field}: {error}"),
            PbError::At {
                field,
                index,
                error,
            } => write!(f, "{field}[{index}]: {error}"),
            PbError::UnexpectedTypeUrl { expected, actual } => {
                write!(f, "Any holds {actual:?}, expected {expected:?}")
            }
        }
    }
}

impl core::error::Error for PbError {}

impl From<prost::DecodeError> for PbError {
    fn from(e: prost::DecodeError) -> Self {
        PbError::Decode(e)
    }
}

// ----------------------------------------------------------------------------------------
// Bytes and Any
// ----------------------------------------------------------------------------------------

/// Decodes a message from its protobuf bytes.
pub fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, PbError> {
    M::decode(bytes).map_err(PbError::Decode)
}

/// Encodes a message to its protobuf bytes (not length-delimited).
pub fn encode<M: Message>(msg: &M) -> Vec<u8> {
    msg.encode_to_vec()
}

/// Wraps a message in an [`Any`] with `type_url` (such as [`CLIENT_STATE_TYPE_URL`]).
pub fn encode_any<M: Message>(type_url: &str, msg: &M) -> Any {
    Any {
        type_url: String::from(type_url),
        value: msg.encode_to_vec(),
    }
}

/// Unwraps an [`Any`] that must hold a message of `type_url`.
pub fn decode_any<M: Message + Default>(any: &Any, type_url: &'static str) -> Result<M, PbError> {
    if any.type_url != type_url {
        return Err(PbError::UnexpectedTypeUrl {
            expected: type_url,
            actual: any.type_url.clone(),
        });
    }
    decode(&any.value)
}

impl ibc::ClientState {
    /// This client state in an [`Any`] ([`CLIENT_STATE_TYPE_URL`]).
    pub fn to_any(&self) -> Any {
        encode_any(CLIENT_STATE_TYPE_URL, self)
    }
}

impl ibc::ConsensusState {
    /// This consensus state in an [`Any`] ([`CONSENSUS_STATE_TYPE_URL`]).
    pub fn to_any(&self) -> Any {
        encode_any(CONSENSUS_STATE_TYPE_URL, self)
    }
}

impl ibc::Header {
    /// This header in an [`Any`] ([`HEADER_TYPE_URL`]).
    pub fn to_any(&self) -> Any {
        encode_any(HEADER_TYPE_URL, self)
    }
}

impl ibc::Misbehaviour {
    /// This misbehaviour in an [`Any`] ([`MISBEHAVIOUR_TYPE_URL`]).
    pub fn to_any(&self) -> Any {
        encode_any(MISBEHAVIOUR_TYPE_URL, self)
    }
}

// ----------------------------------------------------------------------------------------
// Field helpers
// ----------------------------------------------------------------------------------------

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) as a `Timestamp`: what CometBFT writes for
/// the timestamp of an absent commit signature.
pub const GO_ZERO_TIME: Timestamp = Timestamp {
    seconds: MIN_UNIX_SECS,
    nanos: 0,
};

fn hash_from(b: &[u8], field: &'static str) -> Result<Hash, PbError> {
    match b.len() {
        0 => Ok(Hash::None),
        32 => Hash::from_bytes(b, field).map_err(|error| PbError::Invalid { field, error }),
        actual => Err(PbError::InvalidLength {
            field,
            expected: "32 bytes (or none)",
            actual,
        }),
    }
}

fn address_from(b: &[u8], field: &'static str) -> Result<Address, PbError> {
    if b.len() != 20 {
        return Err(PbError::InvalidLength {
            field,
            expected: "20 bytes",
            actual: b.len(),
        });
    }
    Address::from_bytes(b).map_err(|error| PbError::Invalid { field, error })
}

fn time_from(ts: &Timestamp, field: &'static str) -> Result<Time, PbError> {
    let err = PbError::InvalidTime {
        field,
        seconds: ts.seconds,
        nanos: ts.nanos,
    };
    let nanos = u32::try_from(ts.nanos).map_err(|_| err.clone())?;
    Time::from_unix(ts.seconds, nanos).map_err(|_| err)
}

fn height_from(h: i64, field: &'static str) -> Result<Height, PbError> {
    u64::try_from(h)
        .ok()
        .and_then(|h| Height::new(h).ok())
        .ok_or(PbError::OutOfRange {
            field,
            value: i128::from(h),
            expected: "1..=i64::MAX",
        })
}

/// `u64` to `i64` for values the validated types keep within `i64` (heights, powers).
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

// ----------------------------------------------------------------------------------------
// Time, Duration, TrustThreshold
// ----------------------------------------------------------------------------------------

impl From<Time> for Timestamp {
    fn from(t: Time) -> Self {
        Timestamp {
            seconds: t.unix_secs(),
            // Below 10^9 by `Time`'s invariant.
            nanos: i32::try_from(t.subsec_nanos()).unwrap_or(0),
        }
    }
}

impl From<&Time> for Timestamp {
    fn from(t: &Time) -> Self {
        Timestamp::from(*t)
    }
}

impl TryFrom<Timestamp> for Time {
    type Error = PbError;
    /// Checks the range: years 0001 to 9999, nanoseconds `0..10^9` (as Go's `StdTimeUnmarshal`).
    fn try_from(ts: Timestamp) -> Result<Self, PbError> {
        time_from(&ts, "google.protobuf.Timestamp")
    }
}

impl TryFrom<&Timestamp> for Time {
    type Error = PbError;
    fn try_from(ts: &Timestamp) -> Result<Self, PbError> {
        time_from(ts, "google.protobuf.Timestamp")
    }
}

impl TryFrom<core::time::Duration> for Duration {
    type Error = PbError;
    /// Fails above `i64::MAX` nanoseconds (about 292 years): ibc-go decodes its durations into
    /// Go's `time.Duration` and rejects anything longer.
    fn try_from(d: core::time::Duration) -> Result<Self, PbError> {
        if d.as_nanos() > i64::MAX as u128 {
            return Err(PbError::OutOfRange {
                field: "google.protobuf.Duration",
                value: i128::from(d.as_secs()),
                expected: "at most i64::MAX nanoseconds (Go's time.Duration)",
            });
        }
        Ok(Duration {
            seconds: to_i64(d.as_secs()),
            nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
        })
    }
}

impl TryFrom<&Duration> for core::time::Duration {
    type Error = PbError;
    /// Fails on negative durations, nanoseconds outside `0..10^9`, and spans longer than
    /// `i64::MAX` nanoseconds (which Go's `time.Duration` cannot hold either).
    fn try_from(d: &Duration) -> Result<Self, PbError> {
        let err = PbError::InvalidDuration {
            field: "google.protobuf.Duration",
            seconds: d.seconds,
            nanos: d.nanos,
        };
        let secs = u64::try_from(d.seconds).map_err(|_| err.clone())?;
        let nanos = u32::try_from(d.nanos)
            .ok()
            .filter(|n| *n < 1_000_000_000)
            .ok_or(err.clone())?;
        let out = core::time::Duration::new(secs, nanos);
        if out.as_nanos() > i64::MAX as u128 {
            return Err(err);
        }
        Ok(out)
    }
}

impl From<TrustThreshold> for ibc::Fraction {
    fn from(t: TrustThreshold) -> Self {
        ibc::Fraction {
            numerator: t.numerator(),
            denominator: t.denominator(),
        }
    }
}

impl TryFrom<&ibc::Fraction> for TrustThreshold {
    type Error = PbError;
    /// Checks `1/3 <= n/d <= 1` (ibc-go's `ValidateTrustLevel`).
    fn try_from(f: &ibc::Fraction) -> Result<Self, PbError> {
        TrustThreshold::new(f.numerator, f.denominator).map_err(|error| PbError::Invalid {
            field: "ibc.lightclients.tendermint.v1.Fraction",
            error,
        })
    }
}

// ----------------------------------------------------------------------------------------
// Block ids, headers
// ----------------------------------------------------------------------------------------

impl From<&block::PartSetHeader> for PartSetHeader {
    fn from(p: &block::PartSetHeader) -> Self {
        PartSetHeader {
            total: p.total,
            hash: p.hash.as_bytes().to_vec(),
        }
    }
}

impl TryFrom<&PartSetHeader> for block::PartSetHeader {
    type Error = PbError;
    fn try_from(p: &PartSetHeader) -> Result<Self, PbError> {
        Ok(block::PartSetHeader {
            total: p.total,
            hash: hash_from(&p.hash, "tendermint.types.PartSetHeader.hash")?,
        })
    }
}

impl From<&block::BlockId> for BlockId {
    fn from(id: &block::BlockId) -> Self {
        BlockId {
            hash: id.hash.as_bytes().to_vec(),
            part_set_header: PartSetHeader::from(&id.part_set_header),
        }
    }
}

impl TryFrom<&BlockId> for block::BlockId {
    type Error = PbError;
    /// Hashes must be 32 bytes or empty.
    fn try_from(id: &BlockId) -> Result<Self, PbError> {
        Ok(block::BlockId {
            hash: hash_from(&id.hash, "tendermint.types.BlockID.hash")?,
            part_set_header: block::PartSetHeader::try_from(&id.part_set_header)?,
        })
    }
}

impl From<&block::Version> for Consensus {
    fn from(v: &block::Version) -> Self {
        Consensus {
            block: v.block,
            app: v.app,
        }
    }
}

impl From<&Consensus> for block::Version {
    fn from(v: &Consensus) -> Self {
        block::Version {
            block: v.block,
            app: v.app,
        }
    }
}

impl From<&block::Header> for Header {
    fn from(h: &block::Header) -> Self {
        Header {
            version: Consensus::from(&h.version),
            chain_id: String::from(h.chain_id.as_str()),
            height: to_i64(h.height.value()),
            time: Timestamp::from(h.time),
            last_block_id: BlockId::from(&h.last_block_id),
            last_commit_hash: h.last_commit_hash.as_bytes().to_vec(),
            data_hash: h.data_hash.as_bytes().to_vec(),
            validators_hash: h.validators_hash.as_bytes().to_vec(),
            next_validators_hash: h.next_validators_hash.as_bytes().to_vec(),
            consensus_hash: h.consensus_hash.as_bytes().to_vec(),
            app_hash: h.app_hash.as_bytes().to_vec(),
            last_results_hash: h.last_results_hash.as_bytes().to_vec(),
            evidence_hash: h.evidence_hash.as_bytes().to_vec(),
            proposer_address: h.proposer_address.0.to_vec(),
        }
    }
}

impl TryFrom<&Header> for block::Header {
    type Error = PbError;
    /// Checks each field: chain id at most 50 bytes, height in `1..=i64::MAX`, time in
    /// range, hashes of 32 bytes or empty, an app hash of at most 128 bytes, and a 20-byte
    /// proposer address.
    fn try_from(h: &Header) -> Result<Self, PbError> {
        Ok(block::Header {
            version: block::Version::from(&h.version),
            chain_id: ChainId::new(&h.chain_id).map_err(|error| PbError::Invalid {
                field: "tendermint.types.Header.chain_id",
                error,
            })?,
            height: height_from(h.height, "tendermint.types.Header.height")?,
            time: time_from(&h.time, "tendermint.types.Header.time")?,
            last_block_id: block::BlockId::try_from(&h.last_block_id)?,
            last_commit_hash: hash_from(
                &h.last_commit_hash,
                "tendermint.types.Header.last_commit_hash",
            )?,
            data_hash: hash_from(&h.data_hash, "tendermint.types.Header.data_hash")?,
            validators_hash: hash_from(
                &h.validators_hash,
                "tendermint.types.Header.validators_hash",
            )?,
            next_validators_hash: hash_from(
                &h.next_validators_hash,
                "tendermint.types.Header.next_validators_hash",
            )?,
            consensus_hash: hash_from(&h.consensus_hash, "tendermint.types.Header.consensus_hash")?,
            app_hash: AppHash::from_bytes(&h.app_hash).map_err(|error| PbError::Invalid {
                field: "tendermint.types.Header.app_hash",
                error,
            })?,
            last_results_hash: hash_from(
                &h.last_results_hash,
                "tendermint.types.Header.last_results_hash",
            )?,
            evidence_hash: hash_from(&h.evidence_hash, "tendermint.types.Header.evidence_hash")?,
            proposer_address: address_from(
                &h.proposer_address,
                "tendermint.types.Header.proposer_address",
            )?,
        })
    }
}

// ----------------------------------------------------------------------------------------
// Commits
// ----------------------------------------------------------------------------------------

impl From<&block::CommitSig> for CommitSig {
    /// An absent entry has no address or signature and Go's zero time ([`GO_ZERO_TIME`]), as
    /// CometBFT's `NewCommitSigAbsent` writes it (its `ValidateBasic` rejects any other time).
    fn from(sig: &block::CommitSig) -> Self {
        match sig {
            block::CommitSig::Absent => CommitSig {
                block_id_flag: BlockIdFlag::Absent as i32,
                validator_address: Vec::new(),
                timestamp: GO_ZERO_TIME,
                signature: Vec::new(),
            },
            block::CommitSig::Commit {
                validator_address,
                timestamp,
                signature,
            }
            | block::CommitSig::Nil {
                validator_address,
                timestamp,
                signature,
            } => CommitSig {
                block_id_flag: i32::from(sig.flag()),
                validator_address: validator_address.0.to_vec(),
                timestamp: Timestamp::from(timestamp),
                signature: signature.0.to_vec(),
            },
        }
    }
}

impl CommitSig {
    /// Checks this entry, at position `index` of its commit, into a [`block::CommitSig`], as
    /// CometBFT's `CommitSig.ValidateBasic` does: an absent entry has no address, no
    /// signature and Go's zero time (or no time at all); a commit or nil vote has a 20-byte
    /// address, a valid time and a 64-byte (ed25519) signature.
    pub fn to_commit_sig(&self, index: usize) -> Result<block::CommitSig, PbError> {
        let bad = |reason| PbError::InvalidCommitSig { index, reason };
        match self.block_id_flag {
            1 => {
                if !self.validator_address.is_empty() {
                    return Err(bad("an absent vote must not have a validator_address"));
                }
                if !self.signature.is_empty() {
                    return Err(bad("an absent vote must not have a signature"));
                }
                if self.timestamp != GO_ZERO_TIME && self.timestamp != Timestamp::default() {
                    return Err(bad(
                        "an absent vote must have Go's zero time (0001-01-01T00:00:00Z)",
                    ));
                }
                Ok(block::CommitSig::Absent)
            }
            flag @ (2 | 3) => {
                if self.validator_address.len() != 20 {
                    return Err(bad("validator_address must be 20 bytes"));
                }
                let validator_address = Address::from_bytes(&self.validator_address)
                    .map_err(|_| bad("validator_address must be 20 bytes"))?;
                if self.signature.is_empty() {
                    return Err(bad("signature is missing"));
                }
                let signature = <[u8; 64]>::try_from(self.signature.as_slice())
                    .map(Signature)
                    .map_err(|_| bad("signature must be 64 bytes (ed25519)"))?;
                let timestamp = time_from(&self.timestamp, "tendermint.types.CommitSig.timestamp")
                    .map_err(|_| {
                        bad("timestamp is outside years 0001..9999 or has invalid nanoseconds")
                    })?;
                Ok(if flag == 2 {
                    block::CommitSig::Commit {
                        validator_address,
                        timestamp,
                        signature,
                    }
                } else {
                    block::CommitSig::Nil {
                        validator_address,
                        timestamp,
                        signature,
                    }
                })
            }
            flag => Err(PbError::UnknownBlockIdFlag { index, flag }),
        }
    }
}

impl<const N: usize> From<&block::Commit<N>> for Commit {
    /// The round saturates at `i32::MAX` (a [`block::Commit`] documents `0..=i32::MAX`).
    fn from(c: &block::Commit<N>) -> Self {
        Commit {
            height: to_i64(c.height.value()),
            round: i32::try_from(c.round).unwrap_or(i32::MAX),
            block_id: BlockId::from(&c.block_id),
            signatures: c.signatures.iter().map(CommitSig::from).collect(),
        }
    }
}

impl<const N: usize> TryFrom<&Commit> for block::Commit<N> {
    type Error = PbError;
    /// Checks the height (`1..=i64::MAX`), the round (non-negative), the block id, each
    /// signature ([`CommitSig::to_commit_sig`]) and the capacity `N`.
    fn try_from(c: &Commit) -> Result<Self, PbError> {
        let round = u32::try_from(c.round).map_err(|_| PbError::OutOfRange {
            field: "tendermint.types.Commit.round",
            value: i128::from(c.round),
            expected: "0..=i32::MAX",
        })?;
        let mut signatures = heapless::Vec::new();
        for (index, sig) in c.signatures.iter().enumerate() {
            signatures
                .push(sig.to_commit_sig(index)?)
                .map_err(|_| PbError::Invalid {
                    field: "tendermint.types.Commit.signatures",
                    error: Error::CapacityExceeded {
                        what: "commit signatures",
                        capacity: N,
                    },
                })?;
        }
        Ok(block::Commit {
            height: height_from(c.height, "tendermint.types.Commit.height")?,
            round,
            block_id: block::BlockId::try_from(&c.block_id)?,
            signatures,
        })
    }
}

impl<const N: usize> From<&block::SignedHeader<N>> for SignedHeader {
    fn from(sh: &block::SignedHeader<N>) -> Self {
        SignedHeader {
            header: Some(Header::from(&sh.header)),
            commit: Some(Commit::from(&sh.commit)),
        }
    }
}

impl<const N: usize> TryFrom<&SignedHeader> for block::SignedHeader<N> {
    type Error = PbError;
    /// Both the header and the commit must be present. Whether the commit is for the header
    /// is verification's question ([`crate::verify()`]), not decoding's.
    fn try_from(sh: &SignedHeader) -> Result<Self, PbError> {
        let header = sh.header.as_ref().ok_or(PbError::Missing {
            field: "tendermint.types.SignedHeader.header",
        })?;
        let commit = sh.commit.as_ref().ok_or(PbError::Missing {
            field: "tendermint.types.SignedHeader.commit",
        })?;
        Ok(block::SignedHeader {
            header: block::Header::try_from(header)?,
            commit: block::Commit::try_from(commit)?,
        })
    }
}

// ----------------------------------------------------------------------------------------
// Validators
// ----------------------------------------------------------------------------------------

impl From<&Ed25519Key> for PublicKey {
    fn from(k: &Ed25519Key) -> Self {
        PublicKey {
            sum: Some(public_key::Sum::Ed25519(k.0.to_vec())),
        }
    }
}

fn key_from(k: &PublicKey, field: &'static str) -> Result<Ed25519Key, PbError> {
    match &k.sum {
        Some(public_key::Sum::Ed25519(b)) => <[u8; 32]>::try_from(b.as_slice())
            .map(Ed25519Key)
            .map_err(|_| PbError::InvalidLength {
                field,
                expected: "32 bytes (ed25519)",
                actual: b.len(),
            }),
        Some(public_key::Sum::Secp256k1(_)) => Err(PbError::UnsupportedKey {
            field,
            kind: "secp256k1",
        }),
        None => Err(PbError::UnsupportedKey {
            field,
            kind: "none (no key, or a key type this build does not know)",
        }),
    }
}

impl TryFrom<&PublicKey> for Ed25519Key {
    type Error = PbError;
    /// Only 32-byte ed25519 keys.
    fn try_from(k: &PublicKey) -> Result<Self, PbError> {
        key_from(k, "tendermint.crypto.PublicKey")
    }
}

impl From<&validator::Validator> for Validator {
    fn from(v: &validator::Validator) -> Self {
        Validator {
            address: v.address().0.to_vec(),
            pub_key: PublicKey::from(v.pub_key()),
            voting_power: to_i64(v.power()),
            proposer_priority: v.proposer_priority(),
        }
    }
}

impl TryFrom<&Validator> for validator::Validator {
    type Error = PbError;
    /// An ed25519 key, a 20-byte address derived from it, and a voting power in
    /// `0..=i64::MAX / 8` (CometBFT's `Validator.ValidateBasic`).
    fn try_from(v: &Validator) -> Result<Self, PbError> {
        let address = address_from(&v.address, "tendermint.types.Validator.address")?;
        let key = key_from(&v.pub_key, "tendermint.types.Validator.pub_key")?;
        let power = u64::try_from(v.voting_power)
            .ok()
            .filter(|p| *p <= MAX_TOTAL_VOTING_POWER)
            .ok_or(PbError::OutOfRange {
                field: "tendermint.types.Validator.voting_power",
                value: i128::from(v.voting_power),
                expected: "0..=i64::MAX/8",
            })?;
        validator::Validator::new(address, key, power, v.proposer_priority).map_err(|error| {
            PbError::Invalid {
                field: "tendermint.types.Validator",
                error,
            }
        })
    }
}

/// CometBFT's `ValidatorSet.findProposer`: the validator with the highest proposer priority,
/// ties going to the lowest address.
fn find_proposer(vals: &[validator::Validator]) -> Option<&validator::Validator> {
    vals.iter().fold(None, |best, v| match best {
        Some(b)
            if b.proposer_priority() > v.proposer_priority()
                || (b.proposer_priority() == v.proposer_priority()
                    && b.address() <= v.address()) =>
        {
            Some(b)
        }
        _ => Some(v),
    })
}

impl ValidatorSet {
    /// The message for `set`, with `proposer` the validator at `proposer_address` when it is
    /// in the set, else CometBFT's `GetProposer` choice for a set without one (the highest
    /// proposer priority, ties to the lowest address).
    ///
    /// The set carries no proposer of its own: it is neither hashed nor verified, but
    /// CometBFT's and ibc-go's decoders (`ValidatorSetFromProto`) reject a non-empty set
    /// without one. For a light block, the header's `proposer_address` is the proposer
    /// CometBFT stores for that height's set (when the block was decided in round 0). An
    /// empty set is written as CometBFT writes it: no validators, no proposer, total 0.
    ///
    /// `total_voting_power` is filled in, as tendermint-rs and Hermes do; CometBFT's own
    /// `ToProto` writes 0 there. Decoders on both sides ignore it and recompute the total.
    pub fn from_set<const N: usize>(
        set: &validator::ValidatorSet<N>,
        proposer_address: Option<&Address>,
    ) -> Self {
        let vals = set.validators();
        let proposer = proposer_address
            .and_then(|a| set.find(a).map(|(_, v)| v))
            .or_else(|| find_proposer(vals))
            .map(Validator::from);
        ValidatorSet {
            validators: vals.iter().map(Validator::from).collect(),
            proposer,
            total_voting_power: to_i64(set.total_power()),
        }
    }
}

impl<const N: usize> From<&validator::ValidatorSet<N>> for ValidatorSet {
    /// [`ValidatorSet::from_set`] without a known proposer.
    fn from(set: &validator::ValidatorSet<N>) -> Self {
        ValidatorSet::from_set(set, None)
    }
}

impl<const N: usize> TryFrom<&ValidatorSet> for validator::ValidatorSet<N> {
    type Error = PbError;
    /// Checks every validator and the set's invariants (unique addresses, total power within
    /// CometBFT's bound, at most `N`), and sorts the set into CometBFT's canonical order.
    /// A proposer, when present, must be a valid validator; `total_voting_power` is ignored
    /// (recomputed), as CometBFT does.
    fn try_from(set: &ValidatorSet) -> Result<Self, PbError> {
        const FIELD: &str = "tendermint.types.ValidatorSet.validators";
        if set.validators.len() > N {
            return Err(PbError::Invalid {
                field: FIELD,
                error: Error::CapacityExceeded {
                    what: "validators",
                    capacity: N,
                },
            });
        }
        let mut vals: heapless::Vec<validator::Validator, N> = heapless::Vec::new();
        for (index, v) in set.validators.iter().enumerate() {
            let v = validator::Validator::try_from(v).map_err(|e| PbError::At {
                field: FIELD,
                index,
                error: Box::new(e),
            })?;
            vals.push(v).map_err(|_| PbError::Invalid {
                field: FIELD,
                error: Error::CapacityExceeded {
                    what: "validators",
                    capacity: N,
                },
            })?;
        }
        if let Some(p) = &set.proposer {
            validator::Validator::try_from(p).map_err(|e| PbError::At {
                field: "tendermint.types.ValidatorSet.proposer",
                index: 0,
                error: Box::new(e),
            })?;
        }
        validator::ValidatorSet::new(&vals).map_err(|error| PbError::Invalid {
            field: "tendermint.types.ValidatorSet",
            error,
        })
    }
}

// ----------------------------------------------------------------------------------------
// Light blocks, IBC
// ----------------------------------------------------------------------------------------

impl<const N: usize> From<&block::LightBlock<N>> for LightBlock {
    /// The signed header and the validator set, whose proposer is the header's proposer
    /// ([`ValidatorSet::from_set`]). CometBFT's message has no next validator set: encode
    /// `ValidatorSet::from(&block.next_validators)` alongside when it must travel too.
    fn from(lb: &block::LightBlock<N>) -> Self {
        LightBlock {
            signed_header: Some(SignedHeader::from(&lb.signed_header)),
            validator_set: Some(ValidatorSet::from_set(
                &lb.validators,
                Some(&lb.signed_header.header.proposer_address),
            )),
        }
    }
}

impl<const N: usize> TryFrom<(&LightBlock, &ValidatorSet)> for block::LightBlock<N> {
    type Error = PbError;
    /// A light block from CometBFT's message and the next validator set (which the message
    /// does not carry). Both the signed header and the validator set must be present.
    fn try_from((lb, next): (&LightBlock, &ValidatorSet)) -> Result<Self, PbError> {
        let sh = lb.signed_header.as_ref().ok_or(PbError::Missing {
            field: "tendermint.types.LightBlock.signed_header",
        })?;
        let vals = lb.validator_set.as_ref().ok_or(PbError::Missing {
            field: "tendermint.types.LightBlock.validator_set",
        })?;
        Ok(block::LightBlock {
            signed_header: block::SignedHeader::try_from(sh)?,
            validators: validator::ValidatorSet::try_from(vals)?,
            next_validators: validator::ValidatorSet::try_from(next)?,
        })
    }
}

impl From<&block::Header> for ibc::ConsensusState {
    /// The consensus state ibc-go stores for a verified header: its time, its app hash as the
    /// commitment root, and its next validators hash.
    fn from(h: &block::Header) -> Self {
        ibc::ConsensusState {
            timestamp: Timestamp::from(h.time),
            root: ibc::MerkleRoot {
                hash: h.app_hash.as_bytes().to_vec(),
            },
            next_validators_hash: h.next_validators_hash.as_bytes().to_vec(),
        }
    }
}

impl ibc::Header {
    /// A client update to `untrusted`, verified from the client's consensus state at
    /// `trusted_height`, whose next validator set is `trusted_validators` (the validators of
    /// the block after the trusted one).
    pub fn new<const N: usize, const M: usize>(
        untrusted: &block::LightBlock<N>,
        trusted_height: ibc::Height,
        trusted_validators: &validator::ValidatorSet<M>,
    ) -> Self {
        let lb = LightBlock::from(untrusted);
        ibc::Header {
            signed_header: lb.signed_header,
            validator_set: lb.validator_set,
            trusted_height,
            trusted_validators: Some(ValidatorSet::from(trusted_validators)),
        }
    }
}

// ----------------------------------------------------------------------------------------
// Client and evidence types
// ----------------------------------------------------------------------------------------

use crate::client;
use crate::evidence as ev;

fn int_in<T: TryFrom<i64>>(
    field: &'static str,
    v: i64,
    expected: &'static str,
) -> Result<T, PbError> {
    T::try_from(v).map_err(|_| PbError::OutOfRange {
        field,
        value: i128::from(v),
        expected,
    })
}

fn height_of(field: &'static str, v: i64) -> Result<crate::types::Height, PbError> {
    let h: u64 = int_in(field, v, "1..=i64::MAX")?;
    crate::types::Height::new(h).map_err(|error| PbError::Invalid { field, error })
}

impl From<client::ClientHeight> for ibc::Height {
    fn from(h: client::ClientHeight) -> Self {
        ibc::Height::new(h.revision_number, h.revision_height)
    }
}

impl From<ibc::Height> for client::ClientHeight {
    fn from(h: ibc::Height) -> Self {
        client::ClientHeight::new(h.revision_number, h.revision_height)
    }
}

impl From<&client::ClientState> for ibc::ClientState {
    fn from(s: &client::ClientState) -> Self {
        let dur = |d: core::time::Duration| Duration::try_from(d).unwrap_or_default();
        ibc::ClientState {
            chain_id: String::from(s.chain_id.as_str()),
            trust_level: ibc::Fraction::from(s.trust_level),
            trusting_period: dur(s.trusting_period),
            unbonding_period: dur(s.unbonding_period),
            max_clock_drift: dur(s.max_clock_drift),
            frozen_height: s.frozen_height.into(),
            latest_height: s.latest_height.into(),
            proof_specs: s.proof_specs.clone(),
            upgrade_path: s.upgrade_path.clone(),
            allow_update_after_expiry: false,
            allow_update_after_misbehaviour: false,
        }
    }
}

impl TryFrom<&ibc::ClientState> for client::ClientState {
    type Error = PbError;
    /// Decodes the fields; [`client::Client::new`] validates them as a whole.
    fn try_from(s: &ibc::ClientState) -> Result<Self, PbError> {
        Ok(client::ClientState {
            chain_id: crate::types::ChainId::new(&s.chain_id).map_err(|error| {
                PbError::Invalid {
                    field: "ibc.lightclients.tendermint.v1.ClientState.chain_id",
                    error,
                }
            })?,
            trust_level: TrustThreshold::try_from(&s.trust_level)?,
            trusting_period: core::time::Duration::try_from(&s.trusting_period)?,
            unbonding_period: core::time::Duration::try_from(&s.unbonding_period)?,
            max_clock_drift: core::time::Duration::try_from(&s.max_clock_drift)?,
            latest_height: s.latest_height.into(),
            frozen_height: s.frozen_height.into(),
            proof_specs: s.proof_specs.clone(),
            upgrade_path: s.upgrade_path.clone(),
        })
    }
}

impl From<&client::ConsensusState> for ibc::ConsensusState {
    fn from(c: &client::ConsensusState) -> Self {
        ibc::ConsensusState {
            timestamp: Timestamp::from(c.timestamp),
            root: ibc::MerkleRoot {
                hash: c.root.as_bytes().to_vec(),
            },
            next_validators_hash: c.next_validators_hash.as_bytes().to_vec(),
        }
    }
}

impl TryFrom<&ibc::ConsensusState> for client::ConsensusState {
    type Error = PbError;
    fn try_from(c: &ibc::ConsensusState) -> Result<Self, PbError> {
        Ok(client::ConsensusState {
            timestamp: Time::try_from(&c.timestamp)?,
            root: crate::types::AppHash::from_bytes(&c.root.hash).map_err(|error| {
                PbError::Invalid {
                    field: "ibc.lightclients.tendermint.v1.ConsensusState.root",
                    error,
                }
            })?,
            next_validators_hash: crate::types::Hash::from_bytes(
                &c.next_validators_hash,
                "next_validators_hash",
            )
            .map_err(|error| PbError::Invalid {
                field: "ibc.lightclients.tendermint.v1.ConsensusState.next_validators_hash",
                error,
            })?,
        })
    }
}

impl<const N: usize> From<&client::ClientHeader<N>> for ibc::Header {
    fn from(h: &client::ClientHeader<N>) -> Self {
        ibc::Header {
            signed_header: Some(SignedHeader::from(&h.signed_header)),
            validator_set: Some(ValidatorSet::from_set(
                &h.validator_set,
                Some(&h.signed_header.header.proposer_address),
            )),
            trusted_height: h.trusted_height.into(),
            trusted_validators: Some(ValidatorSet::from(&h.trusted_validators)),
        }
    }
}

impl<const N: usize> TryFrom<&ibc::Header> for client::ClientHeader<N> {
    type Error = PbError;
    fn try_from(h: &ibc::Header) -> Result<Self, PbError> {
        let missing = |field| PbError::Missing { field };
        Ok(client::ClientHeader {
            signed_header: block::SignedHeader::try_from(h.signed_header.as_ref().ok_or(
                missing("ibc.lightclients.tendermint.v1.Header.signed_header"),
            )?)?,
            validator_set: validator::ValidatorSet::try_from(h.validator_set.as_ref().ok_or(
                missing("ibc.lightclients.tendermint.v1.Header.validator_set"),
            )?)?,
            trusted_height: h.trusted_height.into(),
            trusted_validators: validator::ValidatorSet::try_from(
                h.trusted_validators.as_ref().ok_or(missing(
                    "ibc.lightclients.tendermint.v1.Header.trusted_validators",
                ))?,
            )?,
        })
    }
}

impl<const N: usize> From<&client::Misbehaviour<N>> for ibc::Misbehaviour {
    fn from(m: &client::Misbehaviour<N>) -> Self {
        ibc::Misbehaviour {
            client_id: String::new(),
            header_1: Some(ibc::Header::from(&m.header_1)),
            header_2: Some(ibc::Header::from(&m.header_2)),
        }
    }
}

impl<const N: usize> TryFrom<&ibc::Misbehaviour> for client::Misbehaviour<N> {
    type Error = PbError;
    fn try_from(m: &ibc::Misbehaviour) -> Result<Self, PbError> {
        let missing = |field| PbError::Missing { field };
        Ok(client::Misbehaviour {
            header_1: client::ClientHeader::try_from(m.header_1.as_ref().ok_or(missing(
                "ibc.lightclients.tendermint.v1.Misbehaviour.header_1",
            ))?)?,
            header_2: client::ClientHeader::try_from(m.header_2.as_ref().ok_or(missing(
                "ibc.lightclients.tendermint.v1.Misbehaviour.header_2",
            ))?)?,
        })
    }
}

impl From<&ev::Vote> for Vote {
    fn from(v: &ev::Vote) -> Self {
        Vote {
            r#type: i32::try_from(v.vote_type).unwrap_or(0),
            height: to_i64(v.height.value()),
            round: i32::try_from(v.round).unwrap_or(i32::MAX),
            block_id: BlockId::from(&v.block_id),
            timestamp: Timestamp::from(v.timestamp),
            validator_address: v.validator_address.0.to_vec(),
            validator_index: i32::try_from(v.validator_index).unwrap_or(i32::MAX),
            signature: v.signature.0.to_vec(),
            extension: Vec::new(),
            extension_signature: Vec::new(),
        }
    }
}

impl TryFrom<&Vote> for ev::Vote {
    type Error = PbError;
    fn try_from(v: &Vote) -> Result<Self, PbError> {
        let sig: [u8; 64] =
            v.signature
                .as_slice()
                .try_into()
                .map_err(|_| PbError::InvalidLength {
                    field: "tendermint.types.Vote.signature",
                    expected: "64",
                    actual: v.signature.len(),
                })?;
        Ok(ev::Vote {
            vote_type: int_in("tendermint.types.Vote.type", i64::from(v.r#type), "1 or 2")?,
            height: height_of("tendermint.types.Vote.height", v.height)?,
            round: int_in(
                "tendermint.types.Vote.round",
                i64::from(v.round),
                "0..=i32::MAX",
            )?,
            block_id: block::BlockId::try_from(&v.block_id)?,
            timestamp: Time::try_from(&v.timestamp)?,
            validator_address: crate::types::Address::from_bytes(&v.validator_address).map_err(
                |error| PbError::Invalid {
                    field: "tendermint.types.Vote.validator_address",
                    error,
                },
            )?,
            validator_index: int_in(
                "tendermint.types.Vote.validator_index",
                i64::from(v.validator_index),
                "0..=i32::MAX",
            )?,
            signature: crate::types::Signature(sig),
        })
    }
}

impl<const N: usize> From<&ev::Evidence<N>> for Evidence {
    /// The bytes CometBFT's `broadcast_evidence` takes.
    fn from(e: &ev::Evidence<N>) -> Self {
        let sum = match e {
            ev::Evidence::DuplicateVote(d) => {
                evidence::Sum::DuplicateVoteEvidence(Box::new(DuplicateVoteEvidence {
                    vote_a: Some(Vote::from(&d.vote_a)),
                    vote_b: Some(Vote::from(&d.vote_b)),
                    total_voting_power: to_i64(d.total_voting_power),
                    validator_power: to_i64(d.validator_power),
                    timestamp: Timestamp::from(d.timestamp),
                }))
            }
            ev::Evidence::LightClientAttack(l) => {
                let sh = &l.conflicting_block.signed_header;
                evidence::Sum::LightClientAttackEvidence(Box::new(LightClientAttackEvidence {
                    conflicting_block: Some(LightBlock {
                        signed_header: Some(SignedHeader::from(sh)),
                        validator_set: Some(ValidatorSet::from_set(
                            &l.conflicting_block.validator_set,
                            Some(&sh.header.proposer_address),
                        )),
                    }),
                    common_height: to_i64(l.common_height.value()),
                    byzantine_validators: l
                        .byzantine_validators
                        .iter()
                        .map(Validator::from)
                        .collect(),
                    total_voting_power: to_i64(l.total_voting_power),
                    timestamp: Timestamp::from(l.timestamp),
                }))
            }
        };
        Evidence { sum: Some(sum) }
    }
}

impl<const N: usize> TryFrom<&Evidence> for ev::Evidence<N> {
    type Error = PbError;
    fn try_from(e: &Evidence) -> Result<Self, PbError> {
        let missing = |field| PbError::Missing { field };
        let power = |field, v: i64| int_in::<u64>(field, v, "0..=i64::MAX");
        match e
            .sum
            .as_ref()
            .ok_or(missing("tendermint.types.Evidence.sum"))?
        {
            evidence::Sum::DuplicateVoteEvidence(d) => {
                Ok(ev::Evidence::DuplicateVote(ev::DuplicateVoteEvidence {
                    vote_a: ev::Vote::try_from(
                        d.vote_a
                            .as_ref()
                            .ok_or(missing("tendermint.types.DuplicateVoteEvidence.vote_a"))?,
                    )?,
                    vote_b: ev::Vote::try_from(
                        d.vote_b
                            .as_ref()
                            .ok_or(missing("tendermint.types.DuplicateVoteEvidence.vote_b"))?,
                    )?,
                    total_voting_power: power(
                        "tendermint.types.DuplicateVoteEvidence.total_voting_power",
                        d.total_voting_power,
                    )?,
                    validator_power: power(
                        "tendermint.types.DuplicateVoteEvidence.validator_power",
                        d.validator_power,
                    )?,
                    timestamp: Time::try_from(&d.timestamp)?,
                }))
            }
            evidence::Sum::LightClientAttackEvidence(l) => {
                let lb = l.conflicting_block.as_ref().ok_or(missing(
                    "tendermint.types.LightClientAttackEvidence.conflicting_block",
                ))?;
                let sh = lb
                    .signed_header
                    .as_ref()
                    .ok_or(missing("tendermint.types.LightBlock.signed_header"))?;
                let vs = lb
                    .validator_set
                    .as_ref()
                    .ok_or(missing("tendermint.types.LightBlock.validator_set"))?;
                let mut byzantine = Vec::with_capacity(l.byzantine_validators.len());
                for (index, v) in l.byzantine_validators.iter().enumerate() {
                    byzantine.push(validator::Validator::try_from(v).map_err(|e| PbError::At {
                        field: "tendermint.types.LightClientAttackEvidence.byzantine_validators",
                        index,
                        error: Box::new(e),
                    })?);
                }
                Ok(ev::Evidence::LightClientAttack(
                    ev::LightClientAttackEvidence {
                        conflicting_block: ev::ConflictingBlock {
                            signed_header: block::SignedHeader::try_from(sh)?,
                            validator_set: validator::ValidatorSet::try_from(vs)?,
                        },
                        common_height: height_of(
                            "tendermint.types.LightClientAttackEvidence.common_height",
                            l.common_height,
                        )?,
                        byzantine_validators: byzantine,
                        total_voting_power: power(
                            "tendermint.types.LightClientAttackEvidence.total_voting_power",
                            l.total_voting_power,
                        )?,
                        timestamp: Time::try_from(&l.timestamp)?,
                    },
                ))
            }
        }
    }
}
