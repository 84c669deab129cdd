//! The JSON shapes of CometBFT v0.38's RPC results (`rpc/core/types`), field for field and in
//! the order a real node writes them.
//!
//! Encodings, as CometBFT's JSON (`libs/json`, and `jsonpb` with `EmitDefaults` for the ABCI
//! responses `ResponseQuery`, `ResponseCheckTx` and `ExecTxResult`):
//!
//! * 64-bit integers (heights, powers, priorities, gas, sizes) are decimal strings; 32-bit ones
//!   (`round`, `block_id_flag`, `parts.total`, ABCI `code`, a transaction's `index`) numbers;
//! * hashes and addresses upper-case hex (`""` when empty); transactions, signatures, keys,
//!   ABCI keys, values and data standard base64, `null` for no bytes;
//! * times RFC 3339 in UTC with nanoseconds, trailing zeros trimmed;
//! * `null` versus `[]` as the real node writes them: an empty block's `txs` is `[]`, while
//!   `block_results` without transactions has `"txs_results": null`; ABCI `events` are `[]`.

use ferry_verifier::block::{BlockId, CommitSig, Header};
use ferry_verifier::{Hash, PublicKey, Time};
use serde::Serialize;

use super::codec::{base64, hex_upper};
use crate::chain::{BlockRecord, CommitRecord};
use crate::encode::TxResult;
use crate::validators::{Validator, ValidatorUpdate};

/// CometBFT's JSON name of an ed25519 public key.
pub const ED25519_TYPE: &str = "tendermint/PubKeyEd25519";

fn hash_hex(h: &Hash) -> String {
    hex_upper(h.as_bytes())
}

/// Go's zero `time.Time` as CometBFT writes it (absent votes' timestamps).
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Base64, or `null` for no bytes (Go's nil `[]byte`).
fn bytes_or_null(b: &[u8]) -> Option<String> {
    if b.is_empty() {
        None
    } else {
        Some(base64(b))
    }
}

/// `types.PartSetHeader`.
#[derive(Serialize, Debug)]
pub struct Parts {
    total: u32,
    hash: String,
}

/// `types.BlockID`.
#[derive(Serialize, Debug)]
pub struct BlockIdJson {
    hash: String,
    parts: Parts,
}

impl From<&BlockId> for BlockIdJson {
    fn from(id: &BlockId) -> Self {
        BlockIdJson {
            hash: hash_hex(&id.hash),
            parts: Parts {
                total: id.part_set_header.total,
                hash: hash_hex(&id.part_set_header.hash),
            },
        }
    }
}

impl BlockIdJson {
    /// The zero block id, `{"hash":"","parts":{"total":0,"hash":""}}`.
    pub fn empty() -> Self {
        BlockIdJson {
            hash: String::new(),
            parts: Parts {
                total: 0,
                hash: String::new(),
            },
        }
    }
}

/// `version.Consensus`.
#[derive(Serialize, Debug)]
pub struct VersionJson {
    block: String,
    app: String,
}

/// `types.Header`.
#[derive(Serialize, Debug)]
pub struct HeaderJson {
    version: VersionJson,
    chain_id: String,
    height: String,
    time: String,
    last_block_id: BlockIdJson,
    last_commit_hash: String,
    data_hash: String,
    validators_hash: String,
    next_validators_hash: String,
    consensus_hash: String,
    app_hash: String,
    last_results_hash: String,
    evidence_hash: String,
    proposer_address: String,
}

impl From<&Header> for HeaderJson {
    fn from(h: &Header) -> Self {
        HeaderJson {
            version: VersionJson {
                block: h.version.block.to_string(),
                app: h.version.app.to_string(),
            },
            chain_id: h.chain_id.as_str().to_string(),
            height: h.height.value().to_string(),
            time: h.time.to_string(),
            last_block_id: (&h.last_block_id).into(),
            last_commit_hash: hash_hex(&h.last_commit_hash),
            data_hash: hash_hex(&h.data_hash),
            validators_hash: hash_hex(&h.validators_hash),
            next_validators_hash: hash_hex(&h.next_validators_hash),
            consensus_hash: hash_hex(&h.consensus_hash),
            app_hash: hex_upper(h.app_hash.as_bytes()),
            last_results_hash: hash_hex(&h.last_results_hash),
            evidence_hash: hash_hex(&h.evidence_hash),
            proposer_address: hex_upper(&h.proposer_address.0),
        }
    }
}

/// `types.CommitSig`.
#[derive(Serialize, Debug)]
pub struct CommitSigJson {
    block_id_flag: u8,
    validator_address: String,
    timestamp: String,
    signature: Option<String>,
}

impl From<&CommitSig> for CommitSigJson {
    fn from(s: &CommitSig) -> Self {
        match s {
            CommitSig::Absent => CommitSigJson {
                block_id_flag: 1,
                validator_address: String::new(),
                timestamp: ZERO_TIME.to_string(),
                signature: None,
            },
            CommitSig::Commit {
                validator_address,
                timestamp,
                signature,
            } => CommitSigJson {
                block_id_flag: 2,
                validator_address: hex_upper(&validator_address.0),
                timestamp: timestamp.to_string(),
                signature: Some(base64(&signature.0)),
            },
            CommitSig::Nil {
                validator_address,
                timestamp,
                signature,
            } => CommitSigJson {
                block_id_flag: 3,
                validator_address: hex_upper(&validator_address.0),
                timestamp: timestamp.to_string(),
                signature: Some(base64(&signature.0)),
            },
        }
    }
}

/// `types.Commit`.
#[derive(Serialize, Debug)]
pub struct CommitJson {
    height: String,
    round: u32,
    block_id: BlockIdJson,
    signatures: Vec<CommitSigJson>,
}

impl From<&CommitRecord> for CommitJson {
    fn from(c: &CommitRecord) -> Self {
        CommitJson {
            height: c.height.to_string(),
            round: c.round,
            block_id: (&c.block_id).into(),
            signatures: c.signatures.iter().map(Into::into).collect(),
        }
    }
}

impl CommitJson {
    /// The first block's last commit: height 0, no signatures.
    pub fn empty() -> Self {
        CommitJson {
            height: "0".into(),
            round: 0,
            block_id: BlockIdJson::empty(),
            signatures: Vec::new(),
        }
    }
}

/// `types.Data`.
#[derive(Serialize, Debug)]
pub struct DataJson {
    txs: Vec<String>,
}

/// `types.EvidenceData`.
#[derive(Serialize, Debug)]
pub struct EvidenceJson {
    evidence: Vec<serde_json::Value>,
}

/// `types.Block`.
#[derive(Serialize, Debug)]
pub struct BlockJson {
    header: HeaderJson,
    data: DataJson,
    evidence: EvidenceJson,
    last_commit: CommitJson,
}

/// `ResultBlock` (`block`, `block_by_hash`).
#[derive(Serialize, Debug)]
pub struct ResultBlock {
    block_id: BlockIdJson,
    block: Option<BlockJson>,
}

impl ResultBlock {
    /// The block at `b`, with its last commit (`prev`'s commit; none at height 1).
    pub fn new(b: &BlockRecord, last_commit: Option<&CommitRecord>) -> Self {
        ResultBlock {
            block_id: (&b.block_id).into(),
            block: Some(BlockJson {
                header: (&b.header).into(),
                data: DataJson {
                    txs: b.txs().iter().map(|t| base64(t)).collect(),
                },
                evidence: EvidenceJson {
                    evidence: Vec::new(),
                },
                last_commit: last_commit.map_or_else(CommitJson::empty, Into::into),
            }),
        }
    }

    /// What a node answers for a hash it does not know.
    pub fn not_found() -> Self {
        ResultBlock {
            block_id: BlockIdJson::empty(),
            block: None,
        }
    }
}

/// `ResultHeader` (`header`, `header_by_hash`).
#[derive(Serialize, Debug)]
pub struct ResultHeader {
    /// The header; `null` for an unknown hash.
    pub header: Option<HeaderJson>,
}

/// `types.SignedHeader`.
#[derive(Serialize, Debug)]
pub struct SignedHeaderJson {
    header: HeaderJson,
    commit: CommitJson,
}

/// `ResultCommit`.
#[derive(Serialize, Debug)]
pub struct ResultCommit {
    signed_header: SignedHeaderJson,
    canonical: bool,
}

impl ResultCommit {
    /// The block's header and the commit that finalizes it; `canonical` is false for the
    /// latest block, whose commit a real node serves as the one it has seen (not yet carried
    /// by a next block).
    pub fn new(b: &BlockRecord, canonical: bool) -> Self {
        ResultCommit {
            signed_header: SignedHeaderJson {
                header: (&b.header).into(),
                commit: (&b.commit).into(),
            },
            canonical,
        }
    }
}

/// `{"type": "tendermint/PubKeyEd25519", "value": base64}`.
#[derive(Serialize, Debug)]
pub struct PubKeyJson {
    #[serde(rename = "type")]
    kind: &'static str,
    value: String,
}

impl From<&PublicKey> for PubKeyJson {
    fn from(k: &PublicKey) -> Self {
        PubKeyJson {
            kind: ED25519_TYPE,
            value: base64(&k.0),
        }
    }
}

/// `types.Validator`.
#[derive(Serialize, Debug)]
pub struct ValidatorJson {
    address: String,
    pub_key: PubKeyJson,
    voting_power: String,
    proposer_priority: String,
}

impl From<&Validator> for ValidatorJson {
    fn from(v: &Validator) -> Self {
        ValidatorJson {
            address: hex_upper(&v.address.0),
            pub_key: (&v.pub_key).into(),
            voting_power: v.power.to_string(),
            proposer_priority: v.priority.to_string(),
        }
    }
}

/// `ResultValidators`.
#[derive(Serialize, Debug)]
pub struct ResultValidators {
    /// The height.
    pub block_height: String,
    /// This page's validators.
    pub validators: Vec<ValidatorJson>,
    /// Validators on this page.
    pub count: String,
    /// Validators in the set.
    pub total: String,
}

/// `types.BlockMeta`.
#[derive(Serialize, Debug)]
pub struct BlockMetaJson {
    block_id: BlockIdJson,
    block_size: String,
    header: HeaderJson,
    num_txs: String,
}

impl From<&BlockRecord> for BlockMetaJson {
    fn from(b: &BlockRecord) -> Self {
        BlockMetaJson {
            block_id: (&b.block_id).into(),
            block_size: b.size.to_string(),
            header: (&b.header).into(),
            num_txs: b.txs().len().to_string(),
        }
    }
}

/// `ResultBlockchainInfo`.
#[derive(Serialize, Debug)]
pub struct ResultBlockchain {
    /// The latest height.
    pub last_height: String,
    /// Block metas, highest first.
    pub block_metas: Vec<BlockMetaJson>,
}

/// `abci.Event` (the devnet's applications emit none yet).
#[derive(Serialize, Debug)]
pub struct EventJson {
    #[serde(rename = "type")]
    kind: String,
    attributes: Vec<serde_json::Value>,
}

/// `abci.ExecTxResult` as jsonpb with defaults writes it (`tx_result`, `txs_results[i]`).
#[derive(Serialize, Debug)]
pub struct ExecTxResultJson {
    code: u32,
    data: Option<String>,
    log: String,
    info: String,
    gas_wanted: String,
    gas_used: String,
    events: Vec<EventJson>,
    codespace: String,
}

impl From<&TxResult> for ExecTxResultJson {
    fn from(r: &TxResult) -> Self {
        ExecTxResultJson {
            code: r.code,
            data: bytes_or_null(&r.data),
            log: r.log.clone(),
            info: r.info.clone(),
            gas_wanted: r.gas_wanted.to_string(),
            gas_used: r.gas_used.to_string(),
            events: Vec::new(),
            codespace: r.codespace.clone(),
        }
    }
}

/// `abci.ResponseCheckTx` as jsonpb with defaults writes it (`check_tx`): the same fields as
/// [`ExecTxResultJson`].
pub type CheckTxJson = ExecTxResultJson;

/// CometBFT's JSON for a `crypto.PublicKey` protobuf oneof (in `abci.ValidatorUpdate`).
#[derive(Serialize, Debug)]
pub struct ProtoPubKeyJson {
    #[serde(rename = "Sum")]
    sum: ProtoPubKeySum,
}

/// The oneof's value.
#[derive(Serialize, Debug)]
pub struct ProtoPubKeySum {
    #[serde(rename = "type")]
    kind: &'static str,
    value: Ed25519Value,
}

/// `{"ed25519": base64}`.
#[derive(Serialize, Debug)]
pub struct Ed25519Value {
    ed25519: String,
}

/// `abci.ValidatorUpdate`.
#[derive(Serialize, Debug)]
pub struct ValidatorUpdateJson {
    pub_key: ProtoPubKeyJson,
    power: String,
}

impl From<&ValidatorUpdate> for ValidatorUpdateJson {
    fn from(u: &ValidatorUpdate) -> Self {
        ValidatorUpdateJson {
            pub_key: ProtoPubKeyJson {
                sum: ProtoPubKeySum {
                    kind: "tendermint.crypto.PublicKey_Ed25519",
                    value: Ed25519Value {
                        ed25519: base64(&u.pub_key.0),
                    },
                },
            },
            power: u.power.to_string(),
        }
    }
}

/// `ResultBlockResults`.
#[derive(Serialize, Debug)]
pub struct ResultBlockResults {
    height: String,
    txs_results: Option<Vec<ExecTxResultJson>>,
    finalize_block_events: Option<Vec<EventJson>>,
    validator_updates: Option<Vec<ValidatorUpdateJson>>,
    consensus_param_updates: Option<serde_json::Value>,
    app_hash: String,
}

impl From<&BlockRecord> for ResultBlockResults {
    fn from(b: &BlockRecord) -> Self {
        fn nonempty<T>(v: Vec<T>) -> Option<Vec<T>> {
            if v.is_empty() {
                None
            } else {
                Some(v)
            }
        }
        ResultBlockResults {
            height: b.height().to_string(),
            txs_results: nonempty(b.results.iter().map(Into::into).collect()),
            finalize_block_events: None,
            validator_updates: nonempty(b.validator_updates.iter().map(Into::into).collect()),
            consensus_param_updates: None,
            app_hash: base64(&b.app_hash_after),
        }
    }
}

/// `types.ConsensusParams`.
#[derive(Serialize, Debug)]
pub struct ConsensusParamsJson {
    block: BlockParams,
    evidence: EvidenceParams,
    validator: ValidatorParams,
    version: AppVersionParams,
    abci: AbciParams,
}

#[derive(Serialize, Debug)]
struct BlockParams {
    max_bytes: String,
    max_gas: String,
}

#[derive(Serialize, Debug)]
struct EvidenceParams {
    max_age_num_blocks: String,
    max_age_duration: String,
    max_bytes: String,
}

#[derive(Serialize, Debug)]
struct ValidatorParams {
    pub_key_types: Vec<&'static str>,
}

#[derive(Serialize, Debug)]
struct AppVersionParams {
    app: String,
}

#[derive(Serialize, Debug)]
struct AbciParams {
    vote_extensions_enable_height: String,
}

impl ConsensusParamsJson {
    /// The chain's parameters: its block limits and app version, CometBFT's defaults for the
    /// rest (evidence max age 100000 blocks or 48 h, 1 MiB of evidence, ed25519 keys, no vote
    /// extensions).
    pub fn new(block_max_bytes: i64, block_max_gas: i64, app_version: u64) -> Self {
        ConsensusParamsJson {
            block: BlockParams {
                max_bytes: block_max_bytes.to_string(),
                max_gas: block_max_gas.to_string(),
            },
            evidence: EvidenceParams {
                max_age_num_blocks: "100000".into(),
                max_age_duration: "172800000000000".into(),
                max_bytes: "1048576".into(),
            },
            validator: ValidatorParams {
                pub_key_types: vec!["ed25519"],
            },
            version: AppVersionParams {
                app: app_version.to_string(),
            },
            abci: AbciParams {
                vote_extensions_enable_height: "0".into(),
            },
        }
    }
}

/// `ResultConsensusParams`.
#[derive(Serialize, Debug)]
pub struct ResultConsensusParams {
    /// The height.
    pub block_height: String,
    /// The parameters.
    pub consensus_params: ConsensusParamsJson,
}

/// `types.GenesisValidator`.
#[derive(Serialize, Debug)]
pub struct GenesisValidatorJson {
    address: String,
    pub_key: PubKeyJson,
    power: String,
    name: String,
}

impl GenesisValidatorJson {
    /// A genesis validator with its power and an empty name.
    pub fn new(key: &PublicKey, power: u64) -> Self {
        GenesisValidatorJson {
            address: hex_upper(&key.address().0),
            pub_key: key.into(),
            power: power.to_string(),
            name: String::new(),
        }
    }
}

/// `types.GenesisDoc`.
#[derive(Serialize, Debug)]
pub struct GenesisJson {
    /// Genesis time.
    pub genesis_time: String,
    /// Chain id.
    pub chain_id: String,
    /// `"1"`.
    pub initial_height: String,
    /// The consensus parameters.
    pub consensus_params: ConsensusParamsJson,
    /// The genesis validators.
    pub validators: Vec<GenesisValidatorJson>,
    /// The genesis file's app hash (empty, as in a node's genesis file).
    pub app_hash: String,
}

/// `ResultGenesis`.
#[derive(Serialize, Debug)]
pub struct ResultGenesis {
    /// The genesis document.
    pub genesis: GenesisJson,
}

/// `p2p.ProtocolVersion`.
#[derive(Serialize, Debug)]
pub struct ProtocolVersionJson {
    /// `"8"`.
    pub p2p: String,
    /// `"11"`.
    pub block: String,
    /// The app version.
    pub app: String,
}

/// `p2p.DefaultNodeInfoOther`.
#[derive(Serialize, Debug)]
pub struct NodeInfoOtherJson {
    /// `"on"`.
    pub tx_index: String,
    /// `tcp://HOST:PORT`.
    pub rpc_address: String,
}

/// `p2p.DefaultNodeInfo`.
#[derive(Serialize, Debug)]
pub struct NodeInfoJson {
    /// Protocol versions.
    pub protocol_version: ProtocolVersionJson,
    /// Node id (lower-case hex of 20 bytes).
    pub id: String,
    /// P2P listen address (the devnet has no P2P: its RPC address).
    pub listen_addr: String,
    /// Chain id.
    pub network: String,
    /// CometBFT version the RPC is compatible with.
    pub version: String,
    /// Channels (hex).
    pub channels: String,
    /// Moniker.
    pub moniker: String,
    /// Other information.
    pub other: NodeInfoOtherJson,
}

/// `ctypes.SyncInfo`.
#[derive(Serialize, Debug)]
pub struct SyncInfoJson {
    /// Latest block hash.
    pub latest_block_hash: String,
    /// App hash in the latest header.
    pub latest_app_hash: String,
    /// Latest height.
    pub latest_block_height: String,
    /// Latest block time.
    pub latest_block_time: String,
    /// First block's hash.
    pub earliest_block_hash: String,
    /// App hash in the first header.
    pub earliest_app_hash: String,
    /// First height.
    pub earliest_block_height: String,
    /// First block's time.
    pub earliest_block_time: String,
    /// Always false.
    pub catching_up: bool,
}

/// `ctypes.ValidatorInfo`.
#[derive(Serialize, Debug)]
pub struct ValidatorInfoJson {
    /// Address.
    pub address: String,
    /// Public key.
    pub pub_key: PubKeyJson,
    /// Voting power.
    pub voting_power: String,
}

impl ValidatorInfoJson {
    /// The info of validator `v` (power 0 when the node's validator has left the set).
    pub fn new(key: &PublicKey, power: i64) -> Self {
        ValidatorInfoJson {
            address: hex_upper(&key.address().0),
            pub_key: key.into(),
            voting_power: power.to_string(),
        }
    }
}

/// `ResultStatus`.
#[derive(Serialize, Debug)]
pub struct ResultStatus {
    /// Node information.
    pub node_info: NodeInfoJson,
    /// Sync information.
    pub sync_info: SyncInfoJson,
    /// The node's validator.
    pub validator_info: ValidatorInfoJson,
}

impl SyncInfoJson {
    /// From the first and latest blocks (none before the first block).
    pub fn new(earliest: Option<&BlockRecord>, latest: Option<&BlockRecord>) -> Self {
        let parts = |b: Option<&BlockRecord>| match b {
            Some(b) => (
                hash_hex(&b.block_id.hash),
                hex_upper(b.header.app_hash.as_bytes()),
                b.height().to_string(),
                b.header.time.to_string(),
            ),
            None => (
                String::new(),
                String::new(),
                "0".to_string(),
                Time::UNIX_EPOCH.to_string(),
            ),
        };
        let (lh, la, lht, lt) = parts(latest);
        let (eh, ea, eht, et) = parts(earliest);
        SyncInfoJson {
            latest_block_hash: lh,
            latest_app_hash: la,
            latest_block_height: lht,
            latest_block_time: lt,
            earliest_block_hash: eh,
            earliest_app_hash: ea,
            earliest_block_height: eht,
            earliest_block_time: et,
            catching_up: false,
        }
    }
}

/// `ResultNetInfo` of a node without peers.
#[derive(Serialize, Debug)]
pub struct ResultNetInfo {
    /// `true`.
    pub listening: bool,
    /// Listener descriptions.
    pub listeners: Vec<String>,
    /// `"0"`.
    pub n_peers: String,
    /// `[]`.
    pub peers: Vec<serde_json::Value>,
}

/// `abci.ResponseInfo` (`libs/json`, fields omitted when empty, as a Cosmos SDK node writes it).
#[derive(Serialize, Debug)]
pub struct ResponseInfoJson {
    /// Application name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub data: String,
    /// Application version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// App protocol version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// Latest height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_block_height: Option<String>,
    /// App hash after it (base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_block_app_hash: Option<String>,
}

/// `ResultABCIInfo`.
#[derive(Serialize, Debug)]
pub struct ResultAbciInfo {
    /// The application's info.
    pub response: ResponseInfoJson,
}

/// `crypto.ProofOp`.
#[derive(Serialize, Debug)]
pub struct ProofOpJson {
    #[serde(rename = "type")]
    kind: String,
    key: String,
    data: String,
}

/// `crypto.ProofOps`.
#[derive(Serialize, Debug)]
pub struct ProofOpsJson {
    ops: Vec<ProofOpJson>,
}

impl From<&[ferry_verifier::proof::ProofOp]> for ProofOpsJson {
    fn from(ops: &[ferry_verifier::proof::ProofOp]) -> Self {
        ProofOpsJson {
            ops: ops
                .iter()
                .map(|o| ProofOpJson {
                    kind: o.kind.clone(),
                    key: base64(&o.key),
                    data: base64(&o.data),
                })
                .collect(),
        }
    }
}

/// `abci.ResponseQuery` as jsonpb with defaults writes it.
#[derive(Serialize, Debug, Default)]
pub struct ResponseQueryJson {
    /// ABCI code.
    pub code: u32,
    /// Log.
    pub log: String,
    /// Info.
    pub info: String,
    /// Index (`"0"`).
    pub index: String,
    /// The key (base64; `null` when empty).
    pub key: Option<String>,
    /// The value (base64; `null` when absent).
    pub value: Option<String>,
    /// The proof ops; `null` without `prove`.
    #[serde(rename = "proofOps")]
    pub proof_ops: Option<ProofOpsJson>,
    /// The height the answer is for.
    pub height: String,
    /// Codespace.
    pub codespace: String,
}

impl ResponseQueryJson {
    /// A failed query, as the Cosmos SDK answers one (`height` 0, nothing else).
    pub fn error(code: u32, codespace: &str, log: String) -> Self {
        ResponseQueryJson {
            code,
            log,
            index: "0".into(),
            height: "0".into(),
            codespace: codespace.into(),
            ..ResponseQueryJson::default()
        }
    }

    /// A found or absent key at `height`, with its proof if any.
    pub fn answer(
        key: &[u8],
        value: Option<&[u8]>,
        ops: Option<&[ferry_verifier::proof::ProofOp]>,
        height: u64,
    ) -> Self {
        ResponseQueryJson {
            index: "0".into(),
            key: bytes_or_null(key),
            value: value.map(base64),
            proof_ops: ops.map(Into::into),
            height: height.to_string(),
            ..ResponseQueryJson::default()
        }
    }
}

/// `ResultABCIQuery`.
#[derive(Serialize, Debug)]
pub struct ResultAbciQuery {
    /// The application's answer.
    pub response: ResponseQueryJson,
}

/// `ResultBroadcastTx` (`broadcast_tx_sync`, `broadcast_tx_async`).
#[derive(Serialize, Debug)]
pub struct ResultBroadcastTx {
    /// CheckTx code (0 for `async`).
    pub code: u32,
    /// CheckTx data (hex).
    pub data: String,
    /// CheckTx log.
    pub log: String,
    /// CheckTx codespace.
    pub codespace: String,
    /// The transaction's hash (hex).
    pub hash: String,
}

/// `ResultBroadcastTxCommit`.
#[derive(Serialize, Debug)]
pub struct ResultBroadcastTxCommit {
    /// CheckTx's answer.
    pub check_tx: CheckTxJson,
    /// The result in the block (defaults when CheckTx refused it).
    pub tx_result: ExecTxResultJson,
    /// The hash (hex).
    pub hash: String,
    /// The block it was committed in (`"0"` when CheckTx refused it).
    pub height: String,
}

/// `merkle.Proof`.
#[derive(Serialize, Debug)]
pub struct MerkleProofJson {
    /// Leaves in the tree.
    pub total: String,
    /// This leaf's index.
    pub index: String,
    /// The leaf's hash (base64).
    pub leaf_hash: String,
    /// Sibling hashes from the leaf up (base64).
    pub aunts: Vec<String>,
}

/// `types.TxProof`.
#[derive(Serialize, Debug)]
pub struct TxProofJson {
    /// The block's data hash (hex).
    pub root_hash: String,
    /// The transaction (base64).
    pub data: String,
    /// Its inclusion proof.
    pub proof: MerkleProofJson,
}

/// `ResultTx`.
#[derive(Serialize, Debug)]
pub struct ResultTx {
    /// Hash (hex).
    pub hash: String,
    /// Block height.
    pub height: String,
    /// Index in the block.
    pub index: u32,
    /// The result.
    pub tx_result: ExecTxResultJson,
    /// The transaction (base64).
    pub tx: String,
    /// With `prove`: its inclusion in the block's data hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<TxProofJson>,
}
