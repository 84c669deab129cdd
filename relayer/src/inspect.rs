//! Offline inspection for operators: `ferry proof verify` (ICS-23 state proofs, single or an
//! `abci_query`'s chain of ProofOps) and `ferry evidence verify` (CometBFT evidence against a
//! node's view).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ferry_verifier::evidence::{verify_evidence, Evidence, NodeView};
use ferry_verifier::proof::{self, MerkleProof, ProofOp, ProofSpec};
use ferry_verifier::{ChainId, Height, LightBlock, SignedHeader, Time, ValidatorSet, Zebra};
use prost::Message;

use crate::offline::InputError;

/// A `valid` / `invalid` verdict with its exit code (0 / 1).
#[derive(Debug)]
pub struct Judgement {
    /// `valid` or `invalid`.
    pub verdict: &'static str,
    /// Why (empty when valid).
    pub reason: String,
    /// 0 valid, 1 invalid.
    pub exit_code: i32,
}

impl Judgement {
    fn valid() -> Self {
        Judgement {
            verdict: "valid",
            reason: String::new(),
            exit_code: 0,
        }
    }
    fn invalid(reason: impl ToString) -> Self {
        Judgement {
            verdict: "invalid",
            reason: reason.to_string(),
            exit_code: 1,
        }
    }
}

fn bad_option(option: &'static str, error: impl ToString) -> InputError {
    InputError::BadOption {
        option,
        error: error.to_string(),
    }
}

fn malformed(source: &str, error: impl ToString) -> InputError {
    InputError::Malformed {
        source: source.to_string(),
        error: error.to_string(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(path).map_err(|error| InputError::Unreadable {
        path: path.display().to_string(),
        error,
    })
}

/// Hex (any case, optional `0x`) to bytes.
pub fn parse_hex(option: &'static str, s: &str) -> Result<Vec<u8>, InputError> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad_option(option, format!("{s:?} is not hex")));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| bad_option(option, e)))
        .collect()
}

/// Bytes of a file holding hex text or raw binary.
fn hex_or_binary(bytes: Vec<u8>) -> Vec<u8> {
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            let t: String = text.split_whitespace().collect();
            let t = t.strip_prefix("0x").unwrap_or(&t).to_string();
            if !t.is_empty()
                && t.len().is_multiple_of(2)
                && t.bytes().all(|b| b.is_ascii_hexdigit())
            {
                (0..t.len())
                    .step_by(2)
                    .filter_map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
                    .collect()
            } else {
                bytes
            }
        }
        Err(_) => bytes,
    }
}

/// `cosmos` (iavl then tendermint), `iavl`, `tendermint`, `smt`, or a file of protobuf
/// `cosmos.ics23.v1.ProofSpec`s (binary, or hex with one spec per line).
pub fn parse_specs(s: &str) -> Result<Vec<ProofSpec>, InputError> {
    Ok(match s {
        "cosmos" => proof::cosmos_sdk_specs().to_vec(),
        "iavl" => vec![proof::iavl_spec()],
        "tendermint" => vec![proof::tendermint_spec()],
        "smt" => vec![proof::smt_spec()],
        path => {
            let bytes = read(Path::new(path))?;
            let text = std::str::from_utf8(&bytes).ok().map(str::trim).filter(|t| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
            });
            let blobs: Vec<Vec<u8>> = match text {
                Some(t) => t
                    .lines()
                    .map(|l| hex_or_binary(l.as_bytes().to_vec()))
                    .collect(),
                None => vec![bytes],
            };
            let mut specs = vec![];
            for b in blobs {
                let spec = ProofSpec::decode(b.as_slice()).map_err(|e| malformed(path, e))?;
                proof::validate_spec(&spec).map_err(|e| malformed(path, e))?;
                specs.push(spec);
            }
            specs
        }
    })
}

/// Keys of a chain of proofs, root first (`["store", "key"]`).
pub type KeyPath = Vec<Vec<u8>>;

/// A proof from `--proof FILE`: a hex or binary `CommitmentProof`, or an `abci_query`
/// response (or its `response`, or its `proofOps`) whose ops form a chain. For ops, the key
/// path they prove is returned too (root first).
pub fn read_proof(path: &Path) -> Result<(MerkleProof, Option<KeyPath>), InputError> {
    let src = path.display().to_string();
    let bytes = read(path)?;
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        let ops_value = [
            &v["result"]["response"]["proofOps"]["ops"],
            &v["response"]["proofOps"]["ops"],
            &v["proofOps"]["ops"],
            &v["proof_ops"]["ops"],
            &v["ops"],
        ]
        .into_iter()
        .find(|x| x.is_array())
        .cloned()
        .ok_or_else(|| {
            malformed(
                &src,
                "JSON without proofOps.ops (was the query made with prove=true?)",
            )
        })?;
        let ops: Vec<ProofOp> = serde_path_to_error::deserialize(ops_value)
            .map_err(|e| malformed(&src, format!("at proofOps.ops.{}: {}", e.path(), e.inner())))?;
        let mp = MerkleProof::from_proof_ops(&ops).map_err(|e| malformed(&src, e))?;
        let path = ops.iter().rev().map(|o| o.key.clone()).collect();
        return Ok((mp, Some(path)));
    }
    let raw = hex_or_binary(bytes);
    let cp = proof::decode_commitment_proof(&raw).map_err(|e| malformed(&src, e))?;
    Ok((MerkleProof { proofs: vec![cp] }, None))
}

/// Checks the proof: membership of `value` under `key` when given, non-membership otherwise.
pub fn verify_proof(
    root: &[u8],
    key: &[u8],
    value: Option<&[u8]>,
    proof: &MerkleProof,
    op_path: Option<&[Vec<u8>]>,
    specs: &[ProofSpec],
) -> Judgement {
    let key_path: Vec<Vec<u8>> = match op_path {
        Some(path) => {
            if path.last().map(Vec::as_slice) != Some(key) {
                return Judgement::invalid(format!(
                    "the proof is for key {}, not {}",
                    hex(path.last().map(Vec::as_slice).unwrap_or(&[])),
                    hex(key)
                ));
            }
            path.to_vec()
        }
        None => vec![key.to_vec()],
    };
    let n = proof.proofs.len();
    if specs.len() < n {
        return Judgement::invalid(format!(
            "{n} proofs need {n} specs, {} given (--specs)",
            specs.len()
        ));
    }
    let specs = &specs[..n];
    let result = match value {
        Some(v) => proof.verify_membership(specs, root, &key_path, v),
        None => proof.verify_non_membership(specs, root, &key_path),
    };
    match result {
        Ok(()) => Judgement::valid(),
        Err(e) => Judgement::invalid(e),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// The node's view from light blocks given in `--trusted`.
pub struct FileView {
    chain_id: ChainId,
    blocks: BTreeMap<u64, Box<LightBlock>>,
    latest: (Height, Time),
    max_age: Duration,
    max_age_blocks: u64,
}

impl FileView {
    /// From a JSON light block or an array of them (all of one chain).
    pub fn read(path: &Path, max_age: Duration, max_age_blocks: u64) -> Result<Self, InputError> {
        let src = path.display().to_string();
        let bytes = read(path)?;
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| malformed(&src, e))?;
        let items = match v {
            serde_json::Value::Array(a) => a,
            other => vec![other],
        };
        let mut blocks = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let lb = crate::offline::parse_light_block(&item.to_string(), &format!("{src}[{i}]"))?;
            blocks.insert(lb.height().value(), lb);
        }
        let first = blocks
            .values()
            .next()
            .ok_or_else(|| malformed(&src, "no light blocks"))?;
        let chain_id = first.header().chain_id.clone();
        let latest = blocks
            .values()
            .next_back()
            .map(|b| (b.height(), b.header().time))
            .ok_or_else(|| malformed(&src, "no light blocks"))?;
        if blocks.values().any(|b| b.header().chain_id != chain_id) {
            return Err(malformed(&src, "light blocks of more than one chain"));
        }
        Ok(FileView {
            chain_id,
            blocks,
            latest,
            max_age,
            max_age_blocks,
        })
    }
}

impl NodeView for FileView {
    fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }
    fn signed_header(&self, height: Height) -> Option<&SignedHeader> {
        self.blocks.get(&height.value()).map(|b| &b.signed_header)
    }
    fn validators(&self, height: Height) -> Option<&ValidatorSet> {
        self.blocks.get(&height.value()).map(|b| &b.validators)
    }
    fn latest_height(&self) -> Height {
        self.latest.0
    }
    fn latest_time(&self) -> Time {
        self.latest.1
    }
    fn max_age_duration(&self) -> Duration {
        self.max_age
    }
    fn max_age_num_blocks(&self) -> u64 {
        self.max_age_blocks
    }
}

/// Reads CometBFT evidence JSON (`{"type": ..., "value": ...}`, optionally inside a JSON-RPC
/// envelope or an `evidence` list with one item).
pub fn read_evidence(path: &Path) -> Result<Box<Evidence>, InputError> {
    let src = path.display().to_string();
    let bytes = read(path)?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| malformed(&src, e))?;
    let v = if v.get("type").is_some() {
        v
    } else {
        v["result"].clone()
    };
    let ev: Evidence = serde_path_to_error::deserialize(&v)
        .map_err(|e| malformed(&src, format!("at {}: {}", e.path(), e.inner())))?;
    Ok(Box::new(ev))
}

/// Judges evidence as a CometBFT node with `view` would.
pub fn verify_evidence_file(ev: &Evidence, view: &FileView) -> Judgement {
    match verify_evidence(&Zebra, ev, view) {
        Ok(()) => Judgement::valid(),
        Err(e) => Judgement::invalid(e),
    }
}
