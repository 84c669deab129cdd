//! Headers, block ids, commits, signed headers and light blocks, with CometBFT's hashes and
//! vote sign-bytes.

use crate::error::Error;
use crate::merkle::{leaf_hash, root_from_leaf_hashes};
use crate::proto::Buf;
use crate::time::Time;
use crate::types::{Address, AppHash, ChainId, Hash, Height, Signature};
use crate::validator::{ValidatorSet, MAX_VALIDATORS};

/// The block protocol version CometBFT v0.34 to v0.38 and v1 use (`version.BlockProtocol`).
pub const BLOCK_PROTOCOL: u64 = 11;

/// `SignedMsgType` of a precommit vote.
pub const PRECOMMIT_TYPE: u64 = 2;
/// `SignedMsgType` of a prevote.
pub const PREVOTE_TYPE: u64 = 1;

/// Largest encoding of a `CanonicalVote`, length prefix included.
pub const MAX_SIGN_BYTES_LEN: usize = 256;

/// The wire format headers, validator sets and votes are hashed and signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum Encoding {
    /// Protobuf, as CometBFT v0.34, v0.37, v0.38 and v1 (and Tendermint v0.34) encode.
    #[default]
    Protobuf,
    /// Amino, as Tendermint v0.33 and earlier encoded (only for verifying old chains' data and
    /// the conformance vectors recorded from them).
    Amino,
}

/// Block and app protocol versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Version {
    /// Block protocol version (11).
    pub block: u64,
    /// Application protocol version.
    pub app: u64,
}

/// A part-set header: number of parts and their Merkle root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PartSetHeader {
    /// Number of parts.
    pub total: u32,
    /// Root of the parts.
    pub hash: Hash,
}

/// A block id: the header hash and the part-set header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BlockId {
    /// The header hash.
    pub hash: Hash,
    /// The part-set header.
    pub part_set_header: PartSetHeader,
}

impl BlockId {
    /// True for the zero block id (no hash, no parts), which CometBFT encodes as nil.
    pub fn is_zero(&self) -> bool {
        self.hash.is_empty()
            && self.part_set_header.total == 0
            && self.part_set_header.hash.is_empty()
    }

    /// Protobuf `tendermint.types.BlockID` (also the `CanonicalBlockID` layout).
    fn encode(&self) -> Buf<80> {
        let mut psh = Buf::<48>::new();
        psh.uint_field(1, u64::from(self.part_set_header.total));
        psh.bytes_field(2, self.part_set_header.hash.as_bytes());
        let mut b = Buf::<80>::new();
        b.bytes_field(1, self.hash.as_bytes());
        b.msg_field(2, psh.bytes());
        b
    }

    /// Amino `BlockID` (`canonical`: `CanonicalBlockID`, whose part-set header puts the hash
    /// first); empty nested structs are omitted.
    fn encode_amino(&self, canonical: bool) -> Buf<80> {
        let mut psh = Buf::<48>::new();
        if canonical {
            psh.bytes_field(1, self.part_set_header.hash.as_bytes());
            psh.uint_field(2, u64::from(self.part_set_header.total));
        } else {
            psh.uint_field(1, u64::from(self.part_set_header.total));
            psh.bytes_field(2, self.part_set_header.hash.as_bytes());
        }
        let mut b = Buf::<80>::new();
        b.bytes_field(1, self.hash.as_bytes());
        if psh.len() > 0 {
            b.msg_field(2, psh.bytes());
        }
        b
    }
}

/// A CometBFT block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Protocol versions.
    pub version: Version,
    /// Chain id.
    pub chain_id: ChainId,
    /// Height.
    pub height: Height,
    /// Block time.
    pub time: Time,
    /// Id of the previous block (zero at the first height).
    pub last_block_id: BlockId,
    /// Hash of the previous block's commit.
    pub last_commit_hash: Hash,
    /// Hash of the transactions.
    pub data_hash: Hash,
    /// Hash of the validator set that signs this block.
    pub validators_hash: Hash,
    /// Hash of the validator set of the next block.
    pub next_validators_hash: Hash,
    /// Hash of the consensus parameters.
    pub consensus_hash: Hash,
    /// Application state root after the previous block.
    pub app_hash: AppHash,
    /// Hash of the previous block's results.
    pub last_results_hash: Hash,
    /// Hash of the evidence included.
    pub evidence_hash: Hash,
    /// Address of the proposer.
    pub proposer_address: Address,
}

fn bytes_value(b: &[u8]) -> Buf<136> {
    // gogotypes.BytesValue / StringValue: field 1, omitted when empty.
    let mut buf = Buf::<136>::new();
    buf.bytes_field(1, b);
    buf
}

fn hash_leaf(buf: &Buf<136>) -> Result<[u8; 32], Error> {
    buf.bytes().map(leaf_hash).ok_or(Error::TooLong {
        what: "header field",
        max: 136,
        actual: 137,
    })
}

/// Protobuf `google.protobuf.Timestamp`.
pub(crate) fn encode_timestamp(t: &Time) -> Buf<16> {
    let mut b = Buf::<16>::new();
    b.int_field(1, t.unix_secs());
    b.uint_field(2, u64::from(t.subsec_nanos()));
    b
}

impl Header {
    /// CometBFT's `Header.Hash()`: the RFC 6962 root over the 14 fields, each encoded as
    /// CometBFT's `cdcEncode` does. Returns [`Hash::None`] when `validators_hash` is empty,
    /// as CometBFT does.
    pub fn hash(&self) -> Hash {
        self.hash_with(Encoding::Protobuf)
    }

    /// The header hash in the given wire format.
    pub fn hash_with(&self, encoding: Encoding) -> Hash {
        if self.validators_hash.is_empty() {
            return Hash::None;
        }
        match self.leaf_hashes_with(encoding) {
            Ok(leaves) => Hash::Sha256(root_from_leaf_hashes(leaves.len(), |i| {
                leaves.get(i).copied().unwrap_or_default()
            })),
            Err(_) => Hash::None,
        }
    }

    /// The 14 leaf hashes: each field as CometBFT's `cdcEncode` writes it (protobuf: the
    /// gogotypes wrappers `StringValue`/`Int64Value`/`BytesValue`; Tendermint v0.33's amino:
    /// bare length-prefixed bytes and a bare varint height). Empty values are omitted.
    fn leaf_hashes_with(&self, encoding: Encoding) -> Result<[[u8; 32]; 14], Error> {
        let field = |b: &[u8]| -> Result<[u8; 32], Error> {
            match encoding {
                Encoding::Protobuf => hash_leaf(&bytes_value(b)),
                Encoding::Amino => {
                    let mut buf = Buf::<136>::new();
                    if !b.is_empty() {
                        buf.varint(b.len() as u64);
                        buf.put(b);
                    }
                    hash_leaf(&buf)
                }
            }
        };
        let mut version = Buf::<136>::new();
        version.uint_field(1, self.version.block);
        version.uint_field(2, self.version.app);
        let mut height = Buf::<136>::new();
        match encoding {
            Encoding::Protobuf => height.int_field(1, self.height.value() as i64),
            Encoding::Amino => height.varint(self.height.value()),
        }
        let time = encode_timestamp(&self.time);
        let time_leaf = time.bytes().map(leaf_hash).ok_or(Error::InvalidTime)?;
        let lbi = match encoding {
            Encoding::Protobuf => self.last_block_id.encode(),
            Encoding::Amino => self.last_block_id.encode_amino(false),
        };
        let lbi_leaf = lbi.bytes().map(leaf_hash).ok_or(Error::InvalidTime)?;
        Ok([
            hash_leaf(&version)?,
            field(self.chain_id.as_str().as_bytes())?,
            hash_leaf(&height)?,
            time_leaf,
            lbi_leaf,
            field(self.last_commit_hash.as_bytes())?,
            field(self.data_hash.as_bytes())?,
            field(self.validators_hash.as_bytes())?,
            field(self.next_validators_hash.as_bytes())?,
            field(self.consensus_hash.as_bytes())?,
            field(self.app_hash.as_bytes())?,
            field(self.last_results_hash.as_bytes())?,
            field(self.evidence_hash.as_bytes())?,
            field(&self.proposer_address.0)?,
        ])
    }
}

/// What a validator's entry in a commit says (CometBFT's `BlockIDFlag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitSig {
    /// Flag 1: no vote received from this validator.
    Absent,
    /// Flag 2: the validator precommitted the committed block.
    Commit {
        /// Address claimed by the signer.
        validator_address: Address,
        /// Vote timestamp (signed).
        timestamp: Time,
        /// Signature over the vote sign-bytes.
        signature: Signature,
    },
    /// Flag 3: the validator precommitted nil.
    Nil {
        /// Address claimed by the signer.
        validator_address: Address,
        /// Vote timestamp (signed).
        timestamp: Time,
        /// Signature over the nil vote sign-bytes.
        signature: Signature,
    },
}

impl CommitSig {
    /// The block id flag: 1, 2 or 3.
    pub fn flag(&self) -> u8 {
        match self {
            CommitSig::Absent => 1,
            CommitSig::Commit { .. } => 2,
            CommitSig::Nil { .. } => 3,
        }
    }

    /// The signer's address, if any.
    pub fn validator_address(&self) -> Option<&Address> {
        match self {
            CommitSig::Absent => None,
            CommitSig::Commit {
                validator_address, ..
            }
            | CommitSig::Nil {
                validator_address, ..
            } => Some(validator_address),
        }
    }
}

/// A commit: 2/3+ precommits for a block, one entry per validator of the signing set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit<const N: usize = MAX_VALIDATORS> {
    /// Height of the committed block.
    pub height: Height,
    /// Consensus round of the commit (`0..=i32::MAX`).
    pub round: u32,
    /// The committed block.
    pub block_id: BlockId,
    /// One entry per validator, in the set's order.
    pub signatures: heapless::Vec<CommitSig, N>,
}

/// The fields of a `CanonicalVote` that all of one commit's precommits share, pre-encoded.
pub struct VoteTemplate {
    prefix: Buf<128>,
    chain_id: Buf<64>,
}

impl VoteTemplate {
    /// Template for votes of `vote_type` at `height`/`round` for `block_id` (a zero block id
    /// is omitted, as CometBFT encodes a nil vote) on `chain_id`.
    pub fn new(
        vote_type: u64,
        height: i64,
        round: i64,
        block_id: Option<&BlockId>,
        chain_id: &str,
    ) -> Self {
        Self::new_with(
            Encoding::Protobuf,
            vote_type,
            height,
            round,
            block_id,
            chain_id,
        )
    }

    /// [`VoteTemplate::new`] in the given wire format (amino's `CanonicalVote` orders the
    /// part-set header's fields differently).
    pub fn new_with(
        encoding: Encoding,
        vote_type: u64,
        height: i64,
        round: i64,
        block_id: Option<&BlockId>,
        chain_id: &str,
    ) -> Self {
        let mut prefix = Buf::<128>::new();
        prefix.uint_field(1, vote_type);
        prefix.sfixed64_field(2, height);
        prefix.sfixed64_field(3, round);
        if let Some(id) = block_id.filter(|id| !id.is_zero()) {
            let enc = match encoding {
                Encoding::Protobuf => id.encode(),
                Encoding::Amino => id.encode_amino(true),
            };
            prefix.msg_field(4, enc.bytes());
        }
        let mut cid = Buf::<64>::new();
        cid.bytes_field(6, chain_id.as_bytes());
        VoteTemplate {
            prefix,
            chain_id: cid,
        }
    }

    /// Length-delimited `CanonicalVote` bytes for a vote with `timestamp`, as CometBFT's
    /// `VoteSignBytes` (uvarint length prefix, then the message).
    pub fn sign_bytes(&self, timestamp: &Time) -> Result<SignBytes, Error> {
        let ts = encode_timestamp(timestamp);
        let overflow = Error::TooLong {
            what: "vote sign-bytes",
            max: MAX_SIGN_BYTES_LEN,
            actual: MAX_SIGN_BYTES_LEN + 1,
        };
        let (prefix, ts_bytes, cid) = match (self.prefix.bytes(), ts.bytes(), self.chain_id.bytes())
        {
            (Some(p), Some(t), Some(c)) => (p, t, c),
            _ => return Err(overflow),
        };
        // timestamp is non-nullable: always written, even when zero.
        // Each part is at most a few hundred bytes.
        let body_len = prefix
            .len()
            .saturating_add(2)
            .saturating_add(ts_bytes.len())
            .saturating_add(cid.len());
        let mut out = Buf::<MAX_SIGN_BYTES_LEN>::new();
        out.varint(body_len as u64);
        out.put(prefix);
        out.len_field(5, ts_bytes);
        out.put(cid);
        if out.bytes().is_none() {
            return Err(overflow);
        }
        Ok(SignBytes(out))
    }
}

/// Encoded vote sign-bytes, held on the stack.
#[derive(Clone)]
pub struct SignBytes(Buf<MAX_SIGN_BYTES_LEN>);

impl SignBytes {
    /// The bytes a validator signs.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.bytes().unwrap_or(&[])
    }
}

impl<const N: usize> Commit<N> {
    /// Template for this commit's precommits for its block on `chain_id`.
    pub fn vote_template(&self, chain_id: &str) -> VoteTemplate {
        self.vote_template_with(Encoding::Protobuf, chain_id)
    }

    /// [`Commit::vote_template`] in the given wire format.
    pub fn vote_template_with(&self, encoding: Encoding, chain_id: &str) -> VoteTemplate {
        VoteTemplate::new_with(
            encoding,
            PRECOMMIT_TYPE,
            self.height.value() as i64,
            i64::from(self.round),
            Some(&self.block_id),
            chain_id,
        )
    }

    /// The sign-bytes of the vote at `index` (`None` for an absent entry or a bad index).
    ///
    /// Nil votes sign a vote with no block id; commit votes sign the commit's block id.
    pub fn vote_sign_bytes(
        &self,
        chain_id: &str,
        index: usize,
    ) -> Option<Result<SignBytes, Error>> {
        match self.signatures.get(index)? {
            CommitSig::Absent => None,
            CommitSig::Commit { timestamp, .. } => {
                Some(self.vote_template(chain_id).sign_bytes(timestamp))
            }
            CommitSig::Nil { timestamp, .. } => Some(
                VoteTemplate::new(
                    PRECOMMIT_TYPE,
                    self.height.value() as i64,
                    i64::from(self.round),
                    None,
                    chain_id,
                )
                .sign_bytes(timestamp),
            ),
        }
    }
}

/// A header with the commit that finalizes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeader<const N: usize = MAX_VALIDATORS> {
    /// The header.
    pub header: Header,
    /// Its commit.
    pub commit: Commit<N>,
}

/// What the light client verifies: a signed header with the validator set that signed it
/// and the set that signs the next block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LightBlock<const N: usize = MAX_VALIDATORS> {
    /// The signed header.
    pub signed_header: SignedHeader<N>,
    /// Validators at this height (`header.validators_hash`).
    pub validators: ValidatorSet<N>,
    /// Validators at the next height (`header.next_validators_hash`).
    pub next_validators: ValidatorSet<N>,
}

impl<const N: usize> LightBlock<N> {
    /// The header.
    pub fn header(&self) -> &Header {
        &self.signed_header.header
    }

    /// The height.
    pub fn height(&self) -> Height {
        self.signed_header.header.height
    }
}
