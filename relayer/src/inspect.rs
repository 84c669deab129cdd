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

use crate::offline::{not_utf8, read_file as read, utf8_text, InputError};

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

/// First bytes of a binary protobuf `cosmos.ics23.v1.CommitmentProof`: the tags of its four
/// fields (exist, nonexist, batch, compressed). A proof file starting otherwise is text.
const PROOF_TAGS: [u8; 4] = [0x0a, 0x12, 0x1a, 0x22];

/// First bytes of a binary protobuf `cosmos.ics23.v1.ProofSpec`: the tags of its five fields.
/// A specs file starting otherwise is text.
const SPEC_TAGS: [u8; 5] = [0x0a, 0x12, 0x18, 0x20, 0x28];

/// What a proof file holds when it is text.
const PROOF_TEXT: &str = "an abci_query JSON response or a hex CommitmentProof";

/// What a specs file holds when it is text.
const SPECS_TEXT: &str = "protobuf ProofSpecs in hex, one per line";

/// Whether a file that may hold one binary protobuf message (whose field tags are `tags`) is
/// text instead: its first byte is no field tag. Such a file must be UTF-8.
fn is_text(bytes: &[u8], tags: &[u8]) -> bool {
    bytes.first().is_some_and(|b| !tags.contains(b))
}

/// Hex text (any case, optional `0x`, whitespace anywhere) to bytes; the error names the
/// first character that is not a hex digit and its byte offset.
fn decode_hex_text(text: &str) -> Result<Vec<u8>, String> {
    let start = text.len() - text.trim_start().len();
    let body = text[start..]
        .strip_prefix("0x")
        .map_or(start, |_| start + 2);
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for (i, c) in text.char_indices().skip_while(|&(i, _)| i < body) {
        if c.is_whitespace() {
            continue;
        }
        let Some(d) = c.to_digit(16) else {
            return Err(format!("{c:?} at byte offset {i} is not a hex digit"));
        };
        let d = d as u8;
        match high.take() {
            Some(h) => out.push((h << 4) | d),
            None => high = Some(d),
        }
    }
    if high.is_some() {
        return Err("odd number of hex digits".into());
    }
    if out.is_empty() {
        return Err("no hex digits".into());
    }
    Ok(out)
}

/// Bytes of a file holding hex text or raw binary.
fn hex_or_binary(bytes: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(bytes).map(decode_hex_text) {
        Ok(Ok(decoded)) => decoded,
        _ => bytes.to_vec(),
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
        path => parse_spec_file(&read(Path::new(path))?, path)?,
    })
}

/// Decodes the bytes of a `--specs FILE`: protobuf `cosmos.ics23.v1.ProofSpec`s as hex text,
/// one per line, or one binary spec. Each spec must pass [`proof::validate_spec`]. A file
/// whose first byte cannot start a binary spec is text and must be UTF-8.
pub fn parse_spec_file(bytes: &[u8], source: &str) -> Result<Vec<ProofSpec>, InputError> {
    let text = if is_text(bytes, &SPEC_TAGS) {
        Some(utf8_text(bytes, source, SPECS_TEXT)?)
    } else {
        std::str::from_utf8(bytes).ok().filter(|t| {
            !t.trim().is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
        })
    };
    let Some(text) = text else {
        // One binary spec; bytes that are neither that nor text are reported as both.
        let spec = ProofSpec::decode(bytes)
            .map_err(|e| format!("cosmos.ics23.v1.ProofSpec: {e}"))
            .and_then(|spec| {
                proof::validate_spec(&spec)
                    .map(|()| spec)
                    .map_err(|e| e.to_string())
            });
        return match (spec, std::str::from_utf8(bytes)) {
            (Ok(spec), _) => Ok(vec![spec]),
            (Err(e), Ok(_)) => Err(malformed(source, e)),
            (Err(e), Err(u)) => Err(not_utf8(bytes, u, source, SPECS_TEXT, Some(e))),
        };
    };
    let mut specs = vec![];
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at_line = |e: &dyn std::fmt::Display| malformed(source, format!("line {}: {e}", n + 1));
        let b = decode_hex_text(line).map_err(|e| at_line(&e))?;
        let spec = ProofSpec::decode(b.as_slice()).map_err(|e| at_line(&e))?;
        proof::validate_spec(&spec).map_err(|e| at_line(&e))?;
        specs.push(spec);
    }
    if specs.is_empty() {
        return Err(malformed(source, "no proof specs"));
    }
    Ok(specs)
}

/// Keys of a chain of proofs, root first (`["store", "key"]`).
pub type KeyPath = Vec<Vec<u8>>;

/// A proof from `--proof FILE`: a hex or binary `CommitmentProof`, or an `abci_query`
/// response (or its `response`, or its `proofOps`) whose ops form a chain. For ops, the key
/// path they prove is returned too (root first).
pub fn read_proof(path: &Path) -> Result<(MerkleProof, Option<KeyPath>), InputError> {
    parse_proof(&read(path)?, &path.display().to_string())
}

/// Decodes the bytes of a `--proof FILE` (see [`read_proof`]): JSON first, then a hex or
/// binary `CommitmentProof`. A file whose first byte cannot start a binary proof is text (JSON
/// or hex) and must be UTF-8; errors name the offset of the first byte that is not.
pub fn parse_proof(bytes: &[u8], src: &str) -> Result<(MerkleProof, Option<KeyPath>), InputError> {
    if bytes.is_empty() {
        return Err(malformed(
            src,
            format!("empty file (expected {PROOF_TEXT})"),
        ));
    }
    let json = serde_json::from_slice::<serde_json::Value>(bytes);
    if let Ok(v) = json {
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
                src,
                "JSON without proofOps.ops (was the query made with prove=true?)",
            )
        })?;
        let ops: Vec<ProofOp> = serde_path_to_error::deserialize(ops_value)
            .map_err(|e| malformed(src, format!("at proofOps.ops.{}: {}", e.path(), e.inner())))?;
        let mp = MerkleProof::from_proof_ops(&ops).map_err(|e| malformed(src, e))?;
        let path = ops.iter().rev().map(|o| o.key.clone()).collect();
        return Ok((mp, Some(path)));
    }
    let raw = if is_text(bytes, &PROOF_TAGS) {
        let text = utf8_text(bytes, src, PROOF_TEXT)?;
        match (json, text.trim_start().starts_with(['{', '['])) {
            // Text that starts as JSON: the JSON error says what is wrong.
            (Err(j), true) => return Err(malformed(src, format!("not JSON: {j}"))),
            _ => decode_hex_text(text)
                .map_err(|e| malformed(src, format!("not {PROOF_TEXT}: {e}")))?,
        }
    } else {
        hex_or_binary(bytes)
    };
    let cp =
        proof::decode_commitment_proof(&raw).map_err(|e| match std::str::from_utf8(bytes) {
            // Neither text nor a binary proof: name the first byte that is not UTF-8.
            Err(u) => not_utf8(bytes, u, src, PROOF_TEXT, Some(e.to_string())),
            Ok(_) => malformed(src, e),
        })?;
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
        Self::parse(
            &read(path)?,
            &path.display().to_string(),
            max_age,
            max_age_blocks,
        )
    }

    /// From the bytes of a `--trusted` file (see [`FileView::read`]): UTF-8 JSON.
    pub fn parse(
        bytes: &[u8],
        src: &str,
        max_age: Duration,
        max_age_blocks: u64,
    ) -> Result<Self, InputError> {
        let text = utf8_text(bytes, src, "a light block or an array of them (JSON)")?;
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| malformed(src, e))?;
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
            .ok_or_else(|| malformed(src, "no light blocks"))?;
        let chain_id = first.header().chain_id.clone();
        let latest = blocks
            .values()
            .next_back()
            .map(|b| (b.height(), b.header().time))
            .ok_or_else(|| malformed(src, "no light blocks"))?;
        if blocks.values().any(|b| b.header().chain_id != chain_id) {
            return Err(malformed(src, "light blocks of more than one chain"));
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
    parse_evidence(&read(path)?, &path.display().to_string())
}

/// Decodes the bytes of an `--evidence` file (see [`read_evidence`]): UTF-8 JSON.
pub fn parse_evidence(bytes: &[u8], src: &str) -> Result<Box<Evidence>, InputError> {
    let text = utf8_text(bytes, src, "CometBFT evidence (JSON)")?;
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| malformed(src, e))?;
    let v = if v.get("type").is_some() {
        v
    } else {
        v["result"].clone()
    };
    let ev: Evidence = serde_path_to_error::deserialize(&v)
        .map_err(|e| malformed(src, format!("at {}: {}", e.path(), e.inner())))?;
    Ok(Box::new(ev))
}

/// Judges evidence as a CometBFT node with `view` would.
pub fn verify_evidence_file(ev: &Evidence, view: &FileView) -> Judgement {
    match verify_evidence(&Zebra, ev, view) {
        Ok(()) => Judgement::valid(),
        Err(e) => Judgement::invalid(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_verifier::proof::{CommitmentProof, ExistenceProof};

    fn exist_proof() -> CommitmentProof {
        CommitmentProof {
            proof: Some(proof::ics23::commitment_proof::Proof::Exist(
                ExistenceProof {
                    key: vec![0xFF, 0xFE],
                    value: vec![0x80],
                    leaf: proof::iavl_spec().leaf_spec,
                    path: vec![],
                },
            )),
        }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn binary_proofs_need_not_be_utf8() {
        let bytes = proof::encode_commitment_proof(&exist_proof());
        assert!(std::str::from_utf8(&bytes).is_err());
        let (mp, path) = parse_proof(&bytes, "p").unwrap();
        assert_eq!((mp.proofs, path), (vec![exist_proof()], None));
        // The same as hex text, with whitespace and a 0x prefix.
        let text = format!(" 0x{}\n", hex(&bytes));
        assert_eq!(
            parse_proof(text.as_bytes(), "p").unwrap().0.proofs,
            vec![exist_proof()]
        );
    }

    #[test]
    fn text_proofs_must_be_utf8_and_hex_or_json() {
        let e = parse_proof(b"0a0\xFF0", "p").err().unwrap();
        assert_eq!(e.exit_code(), 65);
        assert!(e.to_string().contains("0xFF at byte offset 3"), "{e}");
        let e = parse_proof(b"0a0g", "p").err().unwrap();
        assert!(e.to_string().contains("'g' at byte offset 3"), "{e}");
        let e = parse_proof(b"{\"ops\": [}", "p").err().unwrap();
        assert!(e.to_string().contains("not JSON"), "{e}");
        let e = parse_proof(b"0a0", "p").err().unwrap();
        assert!(e.to_string().contains("odd number"), "{e}");
        assert_eq!(parse_proof(b"", "p").err().unwrap().exit_code(), 65);
        // Bytes that start as a binary proof but are neither binary nor UTF-8.
        let e = parse_proof(b"\x0a\x05ab\xFF", "p").err().unwrap();
        assert!(
            e.to_string().contains("0xFF at byte offset 4 (line 2)"),
            "{e}"
        );
        assert!(e.to_string().contains("not valid binary either"), "{e}");
    }

    #[test]
    fn spec_files() {
        let spec = proof::iavl_spec().encode_to_vec();
        let tm = proof::tendermint_spec().encode_to_vec();
        // Binary (not UTF-8 is fine), or hex lines.
        assert_eq!(
            parse_spec_file(&spec, "s").unwrap(),
            vec![proof::iavl_spec()]
        );
        let text = format!("{}\n\n{}\n", hex(&spec), hex(&tm));
        assert_eq!(
            parse_spec_file(text.as_bytes(), "s").unwrap(),
            vec![proof::iavl_spec(), proof::tendermint_spec()]
        );
        let mut bad = text.clone().into_bytes();
        bad[5] = 0xFF;
        let e = parse_spec_file(&bad, "s").err().unwrap();
        assert_eq!(e.exit_code(), 65);
        assert!(e.to_string().contains("0xFF at byte offset 5"), "{e}");
        let e = parse_spec_file(format!("{}\nzz\n", hex(&spec)).as_bytes(), "s")
            .err()
            .unwrap();
        assert!(e.to_string().contains("line 2: 'z'"), "{e}");
        assert!(parse_spec_file(b"", "s").is_err());
        assert!(parse_spec_file(b" \n", "s").is_err());
    }

    #[test]
    fn evidence_and_views_must_be_utf8() {
        let e = parse_evidence(b"{\"type\": \"\xFF\"}", "e").err().unwrap();
        assert_eq!(e.exit_code(), 65);
        assert!(e.to_string().contains("0xFF at byte offset 10"), "{e}");
        let e = FileView::parse(b"[\n\xFF]", "t", Duration::ZERO, 0)
            .err()
            .unwrap();
        assert!(e.to_string().contains("byte offset 2 (line 2)"), "{e}");
    }
}
