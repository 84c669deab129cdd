//! CometBFT v0.38 encodings and hashes the header commits to, beyond those the verifier has.
//!
//! Protobuf messages are hand-written [`prost`] structs with the field numbers and types of
//! CometBFT's `.proto` files (`tendermint.types.Block`, `Data`, `tendermint.abci.ExecTxResult`,
//! `tendermint.types.HashedParams`); the header, commit and evidence messages are the
//! verifier's ([`ferry_verifier::pb`]). Fields Go marks non-nullable are `required` here, so
//! they are always encoded, as gogoproto does.

use ferry_verifier::block::{BlockId, PartSetHeader};
use ferry_verifier::merkle::{hash_from_byte_slices, sha256};
use ferry_verifier::pb::{self, Message};
use ferry_verifier::Hash;

/// CometBFT's `BlockPartSizeBytes`: blocks are gossiped in parts of 64 KiB.
pub const BLOCK_PART_SIZE: usize = 65_536;

/// `tendermint.types.Data`: the block's transactions.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Data {
    /// The transactions, in block order (field 1).
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub txs: Vec<Vec<u8>>,
}

/// `tendermint.types.Block`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Block {
    /// The header (field 1, non-nullable).
    #[prost(message, required, tag = "1")]
    pub header: pb::Header,
    /// The transactions (field 2, non-nullable).
    #[prost(message, required, tag = "2")]
    pub data: Data,
    /// The evidence (field 3, non-nullable).
    #[prost(message, required, tag = "3")]
    pub evidence: pb::EvidenceList,
    /// The previous block's commit (field 4); an empty commit at the first height.
    #[prost(message, optional, tag = "4")]
    pub last_commit: Option<pb::Commit>,
}

/// `tendermint.abci.ExecTxResult` with only the fields CometBFT hashes into
/// `last_results_hash` (its `deterministicExecTxResult`): `code` (1), `data` (2),
/// `gas_wanted` (5) and `gas_used` (6).
#[derive(Clone, PartialEq, prost::Message)]
pub struct DeterministicExecTxResult {
    /// Response code, 0 for success (field 1).
    #[prost(uint32, tag = "1")]
    pub code: u32,
    /// Result bytes (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
    /// Gas the transaction asked for (field 5).
    #[prost(int64, tag = "5")]
    pub gas_wanted: i64,
    /// Gas it used (field 6).
    #[prost(int64, tag = "6")]
    pub gas_used: i64,
}

/// `tendermint.types.HashedParams`: the consensus parameters the header commits to.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct HashedParams {
    /// `block.max_bytes` (field 1).
    #[prost(int64, tag = "1")]
    pub block_max_bytes: i64,
    /// `block.max_gas` (field 2).
    #[prost(int64, tag = "2")]
    pub block_max_gas: i64,
}

/// The result of executing one transaction, as the application reports it
/// (`tendermint.abci.ExecTxResult`, without events for now).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxResult {
    /// 0 for success; anything else is a failure the block still includes.
    pub code: u32,
    /// Result bytes.
    pub data: Vec<u8>,
    /// Human-readable log (not hashed).
    pub log: String,
    /// Extra information (not hashed).
    pub info: String,
    /// Gas the transaction asked for.
    pub gas_wanted: i64,
    /// Gas it used.
    pub gas_used: i64,
    /// Namespace of `code` (not hashed).
    pub codespace: String,
}

impl TxResult {
    /// The bytes CometBFT hashes for this result: the deterministic fields only.
    pub fn deterministic_bytes(&self) -> Vec<u8> {
        DeterministicExecTxResult {
            code: self.code,
            data: self.data.clone(),
            gas_wanted: self.gas_wanted,
            gas_used: self.gas_used,
        }
        .encode_to_vec()
    }
}

/// `Tx.Hash()`: `sha256(tx)`, the transaction's id.
pub fn tx_hash(tx: &[u8]) -> [u8; 32] {
    sha256(tx)
}

/// `Data.Hash()` (`Txs.Hash()`): the RFC 6962 root over the transactions' *hashes*
/// (`sha256(tx)` each, not the transaction bytes); `sha256("")` for no transactions.
pub fn data_hash(txs: &[Vec<u8>]) -> Hash {
    let hashes: Vec<[u8; 32]> = txs.iter().map(|t| tx_hash(t)).collect();
    let leaves: Vec<&[u8]> = hashes.iter().map(|h| h.as_slice()).collect();
    Hash::Sha256(hash_from_byte_slices(&leaves))
}

/// `Commit.Hash()`: the root over each `CommitSig`'s protobuf encoding; `sha256("")` for the
/// empty commit of the first block.
pub fn commit_hash(commit: &pb::Commit) -> Hash {
    let encoded: Vec<Vec<u8>> = commit
        .signatures
        .iter()
        .map(|s| s.encode_to_vec())
        .collect();
    let leaves: Vec<&[u8]> = encoded.iter().map(|b| b.as_slice()).collect();
    Hash::Sha256(hash_from_byte_slices(&leaves))
}

/// `ABCIResults.Hash()` (`TxResultsHash`): the root over each result's deterministic encoding.
pub fn results_hash(results: &[TxResult]) -> Hash {
    let encoded: Vec<Vec<u8>> = results.iter().map(|r| r.deterministic_bytes()).collect();
    let leaves: Vec<&[u8]> = encoded.iter().map(|b| b.as_slice()).collect();
    Hash::Sha256(hash_from_byte_slices(&leaves))
}

/// `EvidenceList.Hash()`: the root over each evidence's `Bytes()` (the protobuf encoding of the
/// evidence message itself, e.g. `DuplicateVoteEvidence`, not the `Evidence` oneof wrapper);
/// `sha256("")` for none.
pub fn evidence_hash(evidence_bytes: &[Vec<u8>]) -> Hash {
    let leaves: Vec<&[u8]> = evidence_bytes.iter().map(|b| b.as_slice()).collect();
    Hash::Sha256(hash_from_byte_slices(&leaves))
}

/// `ConsensusParams.Hash()`: `sha256` of the `HashedParams` encoding (block max bytes and max
/// gas; nothing else is hashed).
pub fn consensus_hash(block_max_bytes: i64, block_max_gas: i64) -> Hash {
    let bytes = HashedParams {
        block_max_bytes,
        block_max_gas,
    }
    .encode_to_vec();
    Hash::Sha256(sha256(&bytes))
}

/// `NewPartSetFromData(block bytes, BlockPartSizeBytes)`'s header: the bytes cut into parts of
/// [`BLOCK_PART_SIZE`] (the last one shorter), `total` the number of parts and `hash` the
/// RFC 6962 root over the parts' bytes.
pub fn part_set_header(block_bytes: &[u8]) -> PartSetHeader {
    let parts: Vec<&[u8]> = block_bytes.chunks(BLOCK_PART_SIZE).collect();
    PartSetHeader {
        // A block is at most CometBFT's 100 MB max_bytes: well under 2^32 parts.
        total: u32::try_from(parts.len()).unwrap_or(u32::MAX),
        hash: Hash::Sha256(hash_from_byte_slices(&parts)),
    }
}

/// The id of a block: its header hash and the part-set header of its protobuf encoding.
pub fn block_id(block: &Block, header_hash: Hash) -> BlockId {
    BlockId {
        hash: header_hash,
        part_set_header: part_set_header(&block.encode_to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_verifier::merkle::{inner_hash, leaf_hash};

    const EMPTY: [u8; 32] = [
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
        0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
        0xb8, 0x55,
    ];

    #[test]
    fn empty_lists_hash_to_sha256_of_nothing() {
        assert_eq!(data_hash(&[]), Hash::Sha256(EMPTY));
        assert_eq!(results_hash(&[]), Hash::Sha256(EMPTY));
        assert_eq!(evidence_hash(&[]), Hash::Sha256(EMPTY));
        assert_eq!(commit_hash(&pb::Commit::default()), Hash::Sha256(EMPTY));
    }

    #[test]
    fn data_hash_is_over_transaction_hashes() {
        let txs = vec![b"a=1".to_vec(), b"b=2".to_vec()];
        let expected = inner_hash(&leaf_hash(&sha256(b"a=1")), &leaf_hash(&sha256(b"b=2")));
        assert_eq!(data_hash(&txs), Hash::Sha256(expected));
        // Not over the bytes themselves.
        let over_bytes = inner_hash(&leaf_hash(b"a=1"), &leaf_hash(b"b=2"));
        assert_ne!(data_hash(&txs), Hash::Sha256(over_bytes));
    }

    #[test]
    fn hashed_params_encoding_matches_go() {
        // CometBFT's defaults: max_bytes 22020096 (0x1500000), max_gas -1 (ten-byte varint).
        let bytes = HashedParams {
            block_max_bytes: 22_020_096,
            block_max_gas: -1,
        }
        .encode_to_vec();
        assert_eq!(
            bytes,
            [
                0x08, 0x80, 0x80, 0xc0, 0x0a, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0x01
            ]
        );
        // The consensus hash every CometBFT chain with default block parameters carries.
        let expected = "048091BC7DDC283F77BFBF91D73C44DA58C3DF8A9CBC867405D8B7F3DAADA22F";
        assert_eq!(
            consensus_hash(22_020_096, -1),
            Hash::from_hex(expected, "consensus_hash").unwrap()
        );
    }

    #[test]
    fn results_hash_ignores_log_info_and_codespace() {
        let a = TxResult {
            code: 3,
            data: b"d".to_vec(),
            log: "one log".into(),
            info: "i".into(),
            gas_wanted: 10,
            gas_used: 7,
            codespace: "sdk".into(),
        };
        let b = TxResult {
            log: "another log".into(),
            info: String::new(),
            codespace: String::new(),
            ..a.clone()
        };
        assert_eq!(results_hash(std::slice::from_ref(&a)), results_hash(&[b]));
        // code 3, data "d", gas_wanted 10, gas_used 7.
        assert_eq!(
            a.deterministic_bytes(),
            [0x08, 0x03, 0x12, 0x01, b'd', 0x28, 0x0a, 0x30, 0x07]
        );
        let c = TxResult {
            gas_used: 8,
            ..a.clone()
        };
        assert_ne!(results_hash(&[a]), results_hash(&[c]));
    }

    #[test]
    fn part_sets_cut_at_64_kib() {
        let small = vec![7u8; 100];
        let psh = part_set_header(&small);
        assert_eq!(psh.total, 1);
        assert_eq!(psh.hash, Hash::Sha256(leaf_hash(&small)));
        let big = vec![9u8; BLOCK_PART_SIZE * 2 + 5];
        let psh = part_set_header(&big);
        assert_eq!(psh.total, 3);
        let parts: Vec<&[u8]> = big.chunks(BLOCK_PART_SIZE).collect();
        assert_eq!(parts[2].len(), 5);
        let expected = inner_hash(
            &inner_hash(&leaf_hash(parts[0]), &leaf_hash(parts[1])),
            &leaf_hash(parts[2]),
        );
        assert_eq!(psh.hash, Hash::Sha256(expected));
    }

    #[test]
    fn block_encoding_writes_non_nullable_empty_messages() {
        let mut block = Block {
            header: pb::Header::default(),
            data: Data::default(),
            evidence: pb::EvidenceList::default(),
            last_commit: None,
        };
        // header (0a 08): version `0a 00`, time `22 00`, last_block_id `2a 02 12 00` (its
        // part-set header is non-nullable too); data `12 00`; evidence `1a 00`; no last commit.
        let header = [0x0a, 0x08, 0x0a, 0x00, 0x22, 0x00, 0x2a, 0x02, 0x12, 0x00];
        let mut expected = header.to_vec();
        expected.extend_from_slice(&[0x12, 0x00, 0x1a, 0x00]);
        assert_eq!(block.encode_to_vec(), expected);
        // The first block's empty (non-nil) last commit: `22 04`, block_id `1a 02 12 00`.
        block.last_commit = Some(pb::Commit::default());
        expected.extend_from_slice(&[0x22, 0x04, 0x1a, 0x02, 0x12, 0x00]);
        assert_eq!(block.encode_to_vec(), expected);
        // Empty transactions are still written (repeated bytes).
        assert_eq!(
            Data {
                txs: vec![Vec::new()]
            }
            .encode_to_vec(),
            [0x0a, 0x00]
        );
    }
}
