//! ICS-23 conformance: cosmos/ics23's test vectors run through `ferry_verifier::proof`.
//!
//! Vectors are read from `$FERRY_VECTORS` (default `../../shared/vectors` from this crate).
//! With `CI=true` a missing vector directory or file fails the test; otherwise it is skipped
//! with a message on stderr.
#![cfg(feature = "alloc")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};

use ferry_verifier::merkle;
use ferry_verifier::proof::{
    self, calculate_existence_root, calculate_root, cosmos_sdk_specs, decode_commitment_proof,
    encode_commitment_proof, iavl_spec, smt_spec, tendermint_spec, verify_chained_membership,
    verify_chained_non_membership, verify_membership, verify_non_membership, CommitmentProof,
    ExistenceProof, HashOp, InnerOp, InnerSpec, LeafOp, MerkleProof, NonExistenceProof, ProofError,
    ProofKind, ProofOp, ProofSpec,
};
use ics23::commitment_proof::Proof as Variant;
use serde_json::Value;
use support::{hex, to_hex};

// ---------------------------------------------------------------------------------------------
// Vector loading
// ---------------------------------------------------------------------------------------------

fn vector_path(rel: &str) -> Option<PathBuf> {
    support::vector_file(rel)
}

fn read_json(path: &Path) -> Value {
    support::value(path)
}

fn base64(s: &str) -> Vec<u8> {
    fn val(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 {c}"),
        }
    }
    let s = s.trim_end_matches('=');
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s.as_bytes() {
        acc = acc << 6 | val(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Bytes of an optional base64 JSON field (absent or null: empty).
fn b64_field(v: &Value, name: &str) -> Vec<u8> {
    v.get(name)
        .and_then(Value::as_str)
        .map(base64)
        .unwrap_or_default()
}

fn int_field(v: &Value, name: &str) -> i32 {
    v.get(name)
        .and_then(Value::as_i64)
        .map_or(0, |x| i32::try_from(x).unwrap())
}

// ---------------------------------------------------------------------------------------------
// JSON (Go's encoding of the ics23 protobuf types) to ics23 types
// ---------------------------------------------------------------------------------------------

fn leaf_op(v: &Value) -> LeafOp {
    LeafOp {
        hash: int_field(v, "hash"),
        prehash_key: int_field(v, "prehash_key"),
        prehash_value: int_field(v, "prehash_value"),
        length: int_field(v, "length"),
        prefix: b64_field(v, "prefix"),
    }
}

fn inner_op(v: &Value) -> InnerOp {
    InnerOp {
        hash: int_field(v, "hash"),
        prefix: b64_field(v, "prefix"),
        suffix: b64_field(v, "suffix"),
    }
}

fn existence_proof(v: &Value) -> ExistenceProof {
    ExistenceProof {
        key: b64_field(v, "key"),
        value: b64_field(v, "value"),
        leaf: v.get("leaf").filter(|l| !l.is_null()).map(leaf_op),
        path: v
            .get("path")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(inner_op).collect())
            .unwrap_or_default(),
    }
}

fn inner_spec(v: &Value) -> InnerSpec {
    InnerSpec {
        child_order: v
            .get("child_order")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|x| i32::try_from(x.as_i64().unwrap()).unwrap())
                    .collect()
            })
            .unwrap_or_default(),
        child_size: int_field(v, "child_size"),
        min_prefix_length: int_field(v, "min_prefix_length"),
        max_prefix_length: int_field(v, "max_prefix_length"),
        empty_child: b64_field(v, "empty_child"),
        hash: int_field(v, "hash"),
    }
}

fn proof_spec(v: &Value) -> ProofSpec {
    ProofSpec {
        leaf_spec: v.get("leaf_spec").filter(|l| !l.is_null()).map(leaf_op),
        inner_spec: v.get("inner_spec").filter(|l| !l.is_null()).map(inner_spec),
        max_depth: int_field(v, "max_depth"),
        min_depth: int_field(v, "min_depth"),
        prehash_key_before_comparison: v
            .get("prehash_key_before_comparison")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

fn exist(ex: ExistenceProof) -> CommitmentProof {
    CommitmentProof {
        proof: Some(Variant::Exist(ex)),
    }
}

fn nonexist(non: NonExistenceProof) -> CommitmentProof {
    CommitmentProof {
        proof: Some(Variant::Nonexist(non)),
    }
}

// ---------------------------------------------------------------------------------------------
// {iavl,tendermint,smt}/{exist,nonexist}_{left,middle,right}.json
// ---------------------------------------------------------------------------------------------

const SETS: [&str; 3] = ["iavl", "tendermint", "smt"];
const SIDES: [&str; 3] = ["left", "middle", "right"];

fn spec_for(set: &str) -> ProofSpec {
    match set {
        "iavl" => iavl_spec(),
        "tendermint" => tendermint_spec(),
        "smt" => smt_spec(),
        _ => unreachable!(),
    }
}

struct Vector {
    name: String,
    spec: ProofSpec,
    exists: bool,
    key: Vec<u8>,
    value: Vec<u8>,
    proof: Vec<u8>,
    root: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    for set in SETS {
        for kind in ["exist", "nonexist"] {
            for side in SIDES {
                let rel = format!("ics23/{set}/{kind}_{side}.json");
                let Some(path) = vector_path(&rel) else {
                    continue;
                };
                let v = read_json(&path);
                let field = |n: &str| hex(v.get(n).and_then(Value::as_str).unwrap_or(""));
                out.push(Vector {
                    name: rel,
                    spec: spec_for(set),
                    exists: kind == "exist",
                    key: field("key"),
                    value: field("value"),
                    proof: field("proof"),
                    root: field("root"),
                });
            }
        }
    }
    out
}

/// Verifies a vector's (possibly altered) parts: membership for `exist_*`, non-membership for
/// `nonexist_*`; bytes that do not decode are a failure.
fn check(
    v: &Vector,
    key: &[u8],
    value: &[u8],
    proof: &[u8],
    root: &[u8],
) -> Result<(), ProofError> {
    let proof = decode_commitment_proof(proof)?;
    if v.exists {
        verify_membership(&v.spec, root, &proof, key, value)
    } else {
        verify_non_membership(&v.spec, root, &proof, key)
    }
}

#[test]
fn exist_and_nonexist_vectors_verify() {
    let vs = vectors();
    let mut passed = 0;
    for v in &vs {
        check(v, &v.key, &v.value, &v.proof, &v.root)
            .unwrap_or_else(|e| panic!("{}: {e} ({e:?})", v.name));
        // The other direction must fail, and with a clear reason.
        let proof = decode_commitment_proof(&v.proof).unwrap();
        let kind = ProofKind::of(&proof);
        if v.exists {
            assert_eq!(kind, ProofKind::Existence, "{}", v.name);
            let e = verify_non_membership(&v.spec, &v.root, &proof, &v.key).unwrap_err();
            assert!(
                matches!(e, ProofError::WrongProofType { .. }),
                "{}: {e:?}",
                v.name
            );
            // The root is the one the proof computes.
            assert_eq!(calculate_root(&proof).unwrap(), v.root, "{}", v.name);
        } else {
            assert_eq!(kind, ProofKind::NonExistence, "{}", v.name);
            let e = verify_membership(&v.spec, &v.root, &proof, &v.key, b"x").unwrap_err();
            assert!(
                matches!(e, ProofError::WrongProofType { .. }),
                "{}: {e:?}",
                v.name
            );
        }
        // Encoding round-trips.
        assert_eq!(encode_commitment_proof(&proof), v.proof, "{}", v.name);
        passed += 1;
    }
    eprintln!("ics23 exist/nonexist vectors: {passed} passed");
    if !vs.is_empty() {
        assert_eq!(passed, 18);
    }
}

#[test]
fn vectors_fail_under_the_wrong_spec() {
    for v in vectors() {
        for set in SETS {
            let other = spec_for(set);
            if other == v.spec {
                continue;
            }
            let proof = decode_commitment_proof(&v.proof).unwrap();
            let r = if v.exists {
                verify_membership(&other, &v.root, &proof, &v.key, &v.value)
            } else {
                verify_non_membership(&other, &v.root, &proof, &v.key)
            };
            assert!(r.is_err(), "{} verified under the {set} spec", v.name);
        }
    }
}

#[test]
fn every_one_byte_change_fails() {
    let mut tried = 0usize;
    for v in vectors() {
        let fail = |key: &[u8], value: &[u8], proof: &[u8], root: &[u8], what: String| {
            assert!(
                check(&v, key, value, proof, root).is_err(),
                "{}: {what} still verifies",
                v.name
            );
        };
        for i in 0..v.key.len() {
            let mut k = v.key.clone();
            k[i] ^= 0x01;
            fail(
                &k,
                &v.value,
                &v.proof,
                &v.root,
                format!("key byte {i} flipped"),
            );
            tried += 1;
        }
        if v.exists {
            for i in 0..v.value.len() {
                let mut x = v.value.clone();
                x[i] ^= 0x01;
                fail(
                    &v.key,
                    &x,
                    &v.proof,
                    &v.root,
                    format!("value byte {i} flipped"),
                );
                tried += 1;
            }
        }
        for i in 0..v.root.len() {
            let mut r = v.root.clone();
            r[i] ^= 0x01;
            fail(
                &v.key,
                &v.value,
                &v.proof,
                &r,
                format!("root byte {i} flipped"),
            );
            tried += 1;
        }
        for i in (0..v.proof.len()).step_by(7) {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut p = v.proof.clone();
                p[i] ^= mask;
                fail(
                    &v.key,
                    &v.value,
                    &p,
                    &v.root,
                    format!("proof byte {i} ^ {mask:#04x}"),
                );
                tried += 1;
            }
        }
        // Truncations, too.
        for len in (0..v.proof.len()).step_by(13) {
            fail(
                &v.key,
                &v.value,
                &v.proof[..len],
                &v.root,
                format!("proof cut to {len}"),
            );
            tried += 1;
        }
    }
    eprintln!("one-byte changes rejected: {tried}");
}

// ---------------------------------------------------------------------------------------------
// ics23-legacy/*/batch_*.json
// ---------------------------------------------------------------------------------------------

#[test]
fn legacy_batch_vectors_verify_every_item() {
    let mut items_passed = 0;
    let mut files = 0;
    for set in SETS {
        for kind in ["exist", "nonexist"] {
            let rel = format!("ics23-legacy/{set}/batch_{kind}.json");
            let Some(path) = vector_path(&rel) else {
                continue;
            };
            let v = read_json(&path);
            let spec = spec_for(set);
            let proof = decode_commitment_proof(&hex(v["proof"].as_str().unwrap())).unwrap();
            let root = hex(v["root"].as_str().unwrap());
            let items = v["items"].as_array().unwrap();
            assert!(!items.is_empty(), "{rel}: no items");
            for (i, item) in items.iter().enumerate() {
                let key = hex(item["key"].as_str().unwrap());
                let value = hex(item.get("value").and_then(Value::as_str).unwrap_or(""));
                let r = if kind == "exist" {
                    verify_membership(&spec, &root, &proof, &key, &value)
                } else {
                    verify_non_membership(&spec, &root, &proof, &key)
                };
                r.unwrap_or_else(|e| panic!("{rel} item {i}: {e} ({e:?})"));
                // A wrong root is rejected for every item.
                let mut bad_root = root.clone();
                bad_root[0] ^= 1;
                let r = if kind == "exist" {
                    verify_membership(&spec, &bad_root, &proof, &key, &value)
                } else {
                    verify_non_membership(&spec, &bad_root, &proof, &key)
                };
                assert!(r.is_err(), "{rel} item {i}: verified under a wrong root");
                items_passed += 1;
            }
            // Keys the batch does not cover are not proven.
            if kind == "exist" {
                let e = verify_membership(&spec, &root, &proof, b"not-in-batch", b"v").unwrap_err();
                assert_eq!(e, ProofError::KeyNotInProof, "{rel}");
            }
            files += 1;
        }
    }
    eprintln!("ics23-legacy batch vectors: {files} files, {items_passed} items passed");
    if files > 0 {
        assert_eq!(files, 6);
    }
}

// ---------------------------------------------------------------------------------------------
// ics23/Test*.json unit cases
// ---------------------------------------------------------------------------------------------

/// `(name, case)` pairs of a unit-case file (an object of named cases, or a list).
fn unit_cases(file: &str) -> Vec<(String, Value)> {
    let Some(path) = vector_path(&format!("ics23/{file}")) else {
        return Vec::new();
    };
    match read_json(&path) {
        Value::Object(m) => m.into_iter().collect(),
        Value::Array(a) => a
            .into_iter()
            .enumerate()
            .map(|(i, c)| (format!("#{i}"), c))
            .collect(),
        other => panic!("{file}: unexpected {other}"),
    }
}

fn expected_bytes(case: &Value) -> Option<Vec<u8>> {
    case.get("Expected").and_then(Value::as_str).map(base64)
}

/// TestLeafOpData: a leaf op applied to a key and value (an existence proof with no path).
#[test]
fn unit_leaf_op() {
    let cases = unit_cases("TestLeafOpData.json");
    for (name, case) in &cases {
        let ex = ExistenceProof {
            key: b64_field(case, "Key"),
            value: b64_field(case, "Value"),
            leaf: Some(leaf_op(&case["Op"])),
            path: vec![],
        };
        let got = calculate_existence_root(&ex);
        if case["IsErr"].as_bool().unwrap() {
            assert!(got.is_err(), "{name}: expected an error, got {got:?}");
        } else {
            assert_eq!(got.unwrap(), expected_bytes(case).unwrap(), "{name}");
        }
    }
    eprintln!("TestLeafOpData: {} cases passed", cases.len());
}

/// TestInnerOpData: an inner op applied to a child hash. The public API applies inner ops
/// only inside an existence proof, so the child is produced by a no-hash leaf over
/// `key || value` = child. A null child cannot be produced that way; it gives an empty key,
/// which fails calculation as an empty child does.
#[test]
fn unit_inner_op() {
    let cases = unit_cases("TestInnerOpData.json");
    for (name, case) in &cases {
        let child = b64_field(case, "Child");
        let (key, value) = child.split_at(child.len().min(1));
        let ex = ExistenceProof {
            key: key.to_vec(),
            value: value.to_vec(),
            leaf: Some(LeafOp::default()),
            path: vec![inner_op(&case["Op"])],
        };
        let got = calculate_existence_root(&ex);
        if case["IsErr"].as_bool().unwrap() {
            assert!(got.is_err(), "{name}: expected an error, got {got:?}");
        } else {
            assert_eq!(got.unwrap(), expected_bytes(case).unwrap(), "{name}");
        }
    }
    eprintln!("TestInnerOpData: {} cases passed", cases.len());
}

/// TestDoHashData: each hash function over a preimage, as a leaf op over `key || value` =
/// preimage. SHA-256, SHA-512 and SHA-512/256 run through ferry; the others (RIPEMD-160,
/// Bitcoin, BLAKE2b, BLAKE2s) ferry rejects, and their digests are checked through ics23's
/// own host functions instead.
#[test]
fn unit_do_hash() {
    let cases = unit_cases("TestDoHashData.json");
    let (mut ours, mut theirs) = (0, 0);
    for (name, case) in &cases {
        let preimage = case
            .get("Preimage")
            .or_else(|| case.get("PreImage"))
            .and_then(Value::as_str)
            .unwrap();
        let (key, value) = preimage.as_bytes().split_at(1);
        let op = int_field(case, "HashOp");
        let ex = ExistenceProof {
            key: key.to_vec(),
            value: value.to_vec(),
            leaf: Some(LeafOp {
                hash: op,
                ..LeafOp::default()
            }),
            path: vec![],
        };
        let expected = hex(case["ExpectedHash"].as_str().unwrap());
        let supported = matches!(
            HashOp::try_from(op).unwrap(),
            HashOp::Sha256 | HashOp::Sha512 | HashOp::Sha512256
        );
        if supported {
            assert_eq!(
                to_hex(&calculate_existence_root(&ex).unwrap()),
                to_hex(&expected),
                "{name}"
            );
            ours += 1;
        } else {
            assert!(
                matches!(
                    calculate_existence_root(&ex),
                    Err(ProofError::UnsupportedHashOp { .. })
                ),
                "{name}: ferry should reject this hash"
            );
            let got = ics23::calculate_existence_root::<ics23::HostFunctionsManager>(&ex).unwrap();
            assert_eq!(to_hex(&got), to_hex(&expected), "{name}");
            theirs += 1;
        }
    }
    eprintln!("TestDoHashData: {ours} through ferry, {theirs} through ics23 host functions");
    assert_eq!(ours + theirs, cases.len());
}

/// TestExistenceProofData: the root an existence proof computes, or an error.
#[test]
fn unit_existence_proof() {
    let cases = unit_cases("TestExistenceProofData.json");
    for (name, case) in &cases {
        let got = calculate_existence_root(&existence_proof(&case["Proof"]));
        if case["IsErr"].as_bool().unwrap() {
            assert!(got.is_err(), "{name}: expected an error, got {got:?}");
        } else {
            assert_eq!(got.unwrap(), expected_bytes(case).unwrap(), "{name}");
        }
    }
    eprintln!("TestExistenceProofData: {} cases passed", cases.len());
}

/// A permissive binary inner spec that is not IAVL's (so no IAVL prefix rules apply).
fn plain_inner_spec() -> InnerSpec {
    tendermint_spec().inner_spec.unwrap()
}

/// TestCheckLeafData: a leaf op against a leaf spec. Run as membership of a one-leaf tree
/// (its root computed from the proof) under a spec with that leaf spec: only the leaf check
/// can fail.
#[test]
fn unit_check_leaf() {
    let cases = unit_cases("TestCheckLeafData.json");
    for (name, case) in &cases {
        let spec = ProofSpec {
            leaf_spec: Some(leaf_op(&case["Spec"])),
            inner_spec: Some(plain_inner_spec()),
            ..ProofSpec::default()
        };
        let ex = ExistenceProof {
            key: b"food".to_vec(),
            value: b"bar".to_vec(),
            leaf: Some(leaf_op(&case["Leaf"])),
            path: vec![],
        };
        let root = calculate_existence_root(&ex).unwrap();
        let got = verify_membership(&spec, &root, &exist(ex), b"food", b"bar");
        let want_err = case["IsErr"].as_bool().unwrap();
        assert_eq!(got.is_err(), want_err, "{name}: {got:?}");
        if want_err {
            assert_eq!(got.unwrap_err(), ProofError::SpecMismatch, "{name}");
        }
    }
    eprintln!("TestCheckLeafData: {} cases passed", cases.len());
}

/// TestCheckAgainstSpecData: an existence proof against a full spec. Run as membership
/// against the root the proof computes, so only the spec checks (and calculation) can fail.
#[test]
fn unit_check_against_spec() {
    let cases = unit_cases("TestCheckAgainstSpecData.json");
    for (name, case) in &cases {
        let spec = proof_spec(&case["Spec"]);
        let ex = existence_proof(&case["Proof"]);
        let want_err = !case["Err"].as_str().unwrap().is_empty();
        let got = calculate_existence_root(&ex).and_then(|root| {
            verify_membership(&spec, &root, &exist(ex.clone()), &ex.key, &ex.value)
        });
        assert_eq!(
            got.is_err(),
            want_err,
            "{name}: {got:?} (Go: {:?})",
            case["Err"]
        );
    }
    eprintln!("TestCheckAgainstSpecData: {} cases passed", cases.len());
}

/// The padding an inner op has at branch `branch` of `spec`, as ics23 defines it.
fn has_padding(spec: &InnerSpec, op: &InnerOp, branch: usize) -> bool {
    let n = spec.child_order.len();
    let cs = spec.child_size as usize;
    let pos = spec
        .child_order
        .iter()
        .position(|&c| c as usize == branch)
        .unwrap();
    let min = pos * cs + spec.min_prefix_length as usize;
    let max = pos * cs + spec.max_prefix_length as usize;
    (min..=max).contains(&op.prefix.len()) && op.suffix.len() == (n - 1 - pos) * cs
}

/// TestEmptyBranchData: whether an inner op's left (right) siblings are all the spec's empty
/// child. The public API sees this only through non-existence proofs: a proof with only a
/// right neighbour needs that neighbour's path to be left-most, i.e. each step is either a
/// left child (branch 0 padding) or has only empty children to its left; symmetrically for a
/// proof with only a left neighbour. So the expected outcome is `IsLeft || is branch 0`
/// (`IsRight || is the last branch`).
#[test]
fn unit_empty_branch() {
    let cases = unit_cases("TestEmptyBranchData.json");
    for (name, case) in &cases {
        let spec = proof_spec(&case["Spec"]);
        let inner = spec.inner_spec.clone().unwrap();
        let op = inner_op(&case["Op"]);
        let neighbour = |key: &[u8]| ExistenceProof {
            key: key.to_vec(),
            value: b"value".to_vec(),
            leaf: spec.leaf_spec.clone(),
            path: vec![op.clone()],
        };

        let right = neighbour(b"m");
        let root = calculate_existence_root(&right).unwrap();
        let only_right = nonexist(NonExistenceProof {
            key: b"a".to_vec(),
            left: None,
            right: Some(right),
        });
        let leftmost = verify_non_membership(&spec, &root, &only_right, b"a").is_ok();
        let want = case["IsLeft"].as_bool().unwrap() || has_padding(&inner, &op, 0);
        assert_eq!(leftmost, want, "{name}: left-most");

        let left = neighbour(b"m");
        let only_left = nonexist(NonExistenceProof {
            key: b"z".to_vec(),
            left: Some(left),
            right: None,
        });
        let rightmost = verify_non_membership(&spec, &root, &only_left, b"z").is_ok();
        let last = inner.child_order.len() - 1;
        let want = case["IsRight"].as_bool().unwrap() || has_padding(&inner, &op, last);
        assert_eq!(rightmost, want, "{name}: right-most");
    }
    eprintln!("TestEmptyBranchData: {} cases passed", cases.len());
}

// ---------------------------------------------------------------------------------------------
// go-testdata/fuzz seeds: must not panic, and (being degenerate) must not verify
// ---------------------------------------------------------------------------------------------

/// The bytes of a Go fuzz corpus file `go test fuzz v1\n[]byte("...")`.
fn go_fuzz_bytes(text: &str) -> Vec<u8> {
    let lit = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("[]byte(\""))
        .and_then(|l| l.strip_suffix("\")"))
        .unwrap_or_else(|| panic!("not a Go fuzz []byte seed: {text:?}"));
    let mut out = Vec::new();
    let mut it = lit.bytes();
    while let Some(c) = it.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        match it.next().unwrap() {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'x' => {
                let h = [it.next().unwrap(), it.next().unwrap()];
                out.push(u8::from_str_radix(std::str::from_utf8(&h).unwrap(), 16).unwrap());
            }
            other => out.push(other),
        }
    }
    out
}

/// Go's JSON decoding matches field names case-insensitively: lower-case all keys.
fn lower_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_lowercase(), lower_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(lower_keys).collect()),
        other => other,
    }
}

#[test]
fn go_fuzz_seeds_do_not_verify() {
    let Some(dir) = vector_path("ics23/go-testdata/fuzz") else {
        return;
    };
    let mut seeds = 0;
    for target in std::fs::read_dir(&dir).unwrap() {
        let target = target.unwrap().path();
        let tname = target.file_name().unwrap().to_string_lossy().into_owned();
        for seed in std::fs::read_dir(&target).unwrap() {
            let seed = seed.unwrap().path();
            let bytes = go_fuzz_bytes(&std::fs::read_to_string(&seed).unwrap());
            // As protobuf: whatever it decodes to proves nothing.
            if let Ok(p) = decode_commitment_proof(&bytes) {
                assert!(verify_membership(&iavl_spec(), &[1; 32], &p, b"k", b"v").is_err());
                assert!(verify_non_membership(&iavl_spec(), &[1; 32], &p, b"k").is_err());
            }
            // As the JSON the Go fuzz target decodes.
            let json = serde_json::from_slice::<Value>(&bytes).map(lower_keys);
            match (tname.as_str(), json) {
                (_, Err(_)) => {} // Go's target returns on undecodable input.
                ("FuzzExistenceProofCheckAgainstSpec", Ok(v)) => {
                    let ex = existence_proof(v.get("proof").unwrap_or(&Value::Null));
                    let spec = proof_spec(v.get("spec").unwrap_or(&Value::Null));
                    let root = calculate_existence_root(&ex).unwrap_or_else(|_| vec![1; 32]);
                    let r = verify_membership(&spec, &root, &exist(ex.clone()), &ex.key, &ex.value);
                    assert!(r.is_err(), "{}: {r:?}", seed.display());
                }
                ("FuzzExistenceProofCalculate", Ok(v)) => {
                    let _ = calculate_existence_root(&existence_proof(&v));
                }
                (_, Ok(v)) => {
                    // FuzzVerify{,Non}Membership: a reference vector, possibly empty.
                    let r = v.get("ref").cloned().unwrap_or(Value::Null);
                    let field = |n: &str| {
                        r.get(n)
                            .and_then(Value::as_str)
                            .map(hex)
                            .unwrap_or_default()
                    };
                    let proof = decode_commitment_proof(&field("proof")).unwrap();
                    let (root, key, value) = (field("roothash"), field("key"), field("value"));
                    assert!(verify_membership(&iavl_spec(), &root, &proof, &key, &value).is_err());
                    assert!(verify_non_membership(&iavl_spec(), &root, &proof, &key).is_err());
                }
            }
            seeds += 1;
        }
    }
    eprintln!("go fuzz seeds: {seeds} run without panics");
}

// ---------------------------------------------------------------------------------------------
// Chained (Cosmos SDK multistore) verification
// ---------------------------------------------------------------------------------------------

fn uvarint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A multistore leaf as the Cosmos SDK encodes it: `uvarint(len key) || key ||
/// uvarint(32) || sha256(store root)`.
fn store_leaf(name: &[u8], root: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    uvarint(name.len(), &mut out);
    out.extend_from_slice(name);
    uvarint(32, &mut out);
    out.extend_from_slice(&merkle::sha256(root));
    out
}

/// A two-store multistore (`bank`, then `ibc` holding `ibc_root`): its app hash (computed with
/// CometBFT's simple Merkle tree, independently of ics23) and the `ics23:simple` proof of the
/// `ibc` store.
fn multistore(ibc_root: &[u8]) -> (Vec<u8>, CommitmentProof) {
    let bank_root = merkle::sha256(b"bank store");
    let bank_leaf = store_leaf(b"bank", &bank_root);
    let ibc_leaf = store_leaf(b"ibc", ibc_root);
    let app_hash = merkle::hash_from_byte_slices(&[&bank_leaf, &ibc_leaf]).to_vec();
    let mut prefix = vec![1u8];
    prefix.extend_from_slice(&merkle::leaf_hash(&bank_leaf));
    let proof = exist(ExistenceProof {
        key: b"ibc".to_vec(),
        value: ibc_root.to_vec(),
        leaf: tendermint_spec().leaf_spec,
        path: vec![InnerOp {
            hash: HashOp::Sha256 as i32,
            prefix,
            suffix: vec![],
        }],
    });
    (app_hash, proof)
}

/// `(key, value, proof, root)` of a vector file.
type Loaded = (Vec<u8>, Vec<u8>, CommitmentProof, Vec<u8>);

fn load_vector(rel: &str) -> Option<Loaded> {
    let v = read_json(&vector_path(rel)?);
    let f = |n: &str| hex(v.get(n).and_then(Value::as_str).unwrap_or(""));
    Some((
        f("key"),
        f("value"),
        decode_commitment_proof(&f("proof")).unwrap(),
        f("root"),
    ))
}

#[test]
fn chained_membership_through_a_multistore() {
    let Some((key, value, store_proof, store_root)) = load_vector("ics23/iavl/exist_middle.json")
    else {
        return;
    };
    let (app_hash, ms_proof) = multistore(&store_root);
    let specs = cosmos_sdk_specs();
    let proofs = [store_proof.clone(), ms_proof.clone()];
    let path: [&[u8]; 2] = [b"ibc", &key];

    verify_chained_membership(&specs, &app_hash, &proofs, &path, &value).unwrap();

    // The same through ProofOps and the MerkleProof protobuf.
    let ops = [
        ProofOp::new(
            proof::PROOF_OP_IAVL,
            key.clone(),
            encode_commitment_proof(&store_proof),
        ),
        ProofOp::new(
            proof::PROOF_OP_SIMPLE,
            b"ibc".to_vec(),
            encode_commitment_proof(&ms_proof),
        ),
    ];
    let mp = MerkleProof::from_proof_ops(&ops).unwrap();
    mp.verify_membership(&specs, &app_hash, &path, &value)
        .unwrap();
    let mp = MerkleProof::decode(&mp.encode()).unwrap();
    mp.verify_membership(&specs, &app_hash, &path, &value)
        .unwrap();

    // Wrong app hash: the final comparison fails.
    let mut bad = app_hash.clone();
    bad[31] ^= 1;
    assert!(matches!(
        verify_chained_membership(&specs, &bad, &proofs, &path, &value),
        Err(ProofError::RootMismatch { .. })
    ));
    // Wrong store name: the multistore proof (index 1) is for "ibc".
    let e = verify_chained_membership(
        &specs,
        &app_hash,
        &proofs,
        &[b"bank".as_slice(), &key],
        &value,
    )
    .unwrap_err();
    assert!(matches!(e, ProofError::Chained { index: 1, .. }), "{e:?}");
    assert!(
        matches!(e.root_cause(), ProofError::KeyMismatch { .. }),
        "{e:?}"
    );
    // Wrong value: the store proof (index 0) fails.
    let e = verify_chained_membership(&specs, &app_hash, &proofs, &path, b"other").unwrap_err();
    assert!(matches!(e, ProofError::Chained { index: 0, .. }), "{e:?}");
    assert!(
        matches!(e.root_cause(), ProofError::ValueMismatch { .. }),
        "{e:?}"
    );
    // Wrong key.
    let e = verify_chained_membership(
        &specs,
        &app_hash,
        &proofs,
        &[b"ibc".as_slice(), b"nope"],
        &value,
    )
    .unwrap_err();
    assert!(
        matches!(e.root_cause(), ProofError::KeyMismatch { .. }),
        "{e:?}"
    );
    // Proofs in the wrong order, specs swapped, lengths that differ, nothing at all.
    let swapped = [ms_proof.clone(), store_proof.clone()];
    assert!(verify_chained_membership(&specs, &app_hash, &swapped, &path, &value).is_err());
    let swapped_specs = [tendermint_spec(), iavl_spec()];
    assert!(verify_chained_membership(&swapped_specs, &app_hash, &proofs, &path, &value).is_err());
    assert!(matches!(
        verify_chained_membership(&specs, &app_hash, &proofs[..1], &path, &value),
        Err(ProofError::LengthMismatch { .. })
    ));
    assert!(matches!(
        verify_chained_membership(&specs, &app_hash, &proofs, &path[..1], &value),
        Err(ProofError::LengthMismatch { .. })
    ));
    assert_eq!(
        verify_chained_membership::<&[u8]>(&[], &app_hash, &[], &[], &value),
        Err(ProofError::EmptyProof)
    );
    assert_eq!(
        verify_chained_membership(&specs, &[], &proofs, &path, &value),
        Err(ProofError::EmptyRoot)
    );
    assert_eq!(
        verify_chained_membership(&specs, &app_hash, &proofs, &path, b""),
        Err(ProofError::EmptyValue)
    );
    // Only the store proof, against the store root: a one-level chain.
    verify_chained_membership(&specs[..1], &store_root, &proofs[..1], &path[1..], &value).unwrap();
    // A membership chain whose first proof is a non-existence proof.
    let Some((_, _, non_proof, _)) = load_vector("ics23/iavl/nonexist_middle.json") else {
        return;
    };
    let e = verify_chained_membership(&specs, &app_hash, &[non_proof, ms_proof], &path, &value)
        .unwrap_err();
    assert!(
        matches!(
            e.root_cause(),
            ProofError::WrongProofType {
                found: ProofKind::NonExistence,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn chained_non_membership_through_a_multistore() {
    let Some((key, _, store_proof, store_root)) = load_vector("ics23/iavl/nonexist_middle.json")
    else {
        return;
    };
    // The store root is the one the non-existence proof computes itself (ibc-go's rule).
    assert_eq!(calculate_root(&store_proof).unwrap(), store_root);
    let (app_hash, ms_proof) = multistore(&store_root);
    let specs = cosmos_sdk_specs();
    let proofs = [store_proof.clone(), ms_proof.clone()];
    let path: [&[u8]; 2] = [b"ibc", &key];

    verify_chained_non_membership(&specs, &app_hash, &proofs, &path).unwrap();
    MerkleProof {
        proofs: proofs.to_vec(),
    }
    .verify_non_membership(&specs, &app_hash, &path)
    .unwrap();

    let mut bad = app_hash.clone();
    bad[0] ^= 1;
    assert!(matches!(
        verify_chained_non_membership(&specs, &bad, &proofs, &path),
        Err(ProofError::RootMismatch { .. })
    ));
    let e = verify_chained_non_membership(&specs, &app_hash, &proofs, &[b"bank".as_slice(), &key])
        .unwrap_err();
    assert!(matches!(e, ProofError::Chained { index: 1, .. }), "{e:?}");
    // A key the proof is not about.
    let e = verify_chained_non_membership(&specs, &app_hash, &proofs, &[b"ibc".as_slice(), b"zz"])
        .unwrap_err();
    assert!(matches!(e, ProofError::Chained { index: 0, .. }), "{e:?}");
    // An existence proof where a non-existence proof must be.
    let Some((ekey, _, exist_proof, exist_root)) = load_vector("ics23/iavl/exist_middle.json")
    else {
        return;
    };
    let (app2, ms2) = multistore(&exist_root);
    let e = verify_chained_non_membership(
        &specs,
        &app2,
        &[exist_proof, ms2],
        &[b"ibc".as_slice(), &ekey],
    )
    .unwrap_err();
    assert_eq!(
        e.root_cause(),
        &ProofError::WrongProofType {
            expected: ProofKind::NonExistence,
            found: ProofKind::Existence
        }
    );
    // A non-existence proof above the store level.
    let e = verify_chained_non_membership(
        &specs,
        &app_hash,
        &[store_proof.clone(), store_proof],
        &path,
    )
    .unwrap_err();
    assert!(matches!(e, ProofError::Chained { index: 1, .. }), "{e:?}");
}

#[test]
fn errors_read_well() {
    let e = ProofError::Chained {
        index: 1,
        error: Box::new(ProofError::RootMismatch {
            expected: vec![0xab; 32],
            computed: vec![0xcd; 40],
        }),
    };
    let s = e.to_string();
    assert!(
        s.starts_with("proof 1: the proof commits to root CDCD"),
        "{s}"
    );
    assert!(s.contains("(40 bytes)") && s.contains("H+1"), "{s}");
    let s = ProofError::WrongProofType {
        expected: ProofKind::NonExistence,
        found: ProofKind::Existence,
    }
    .to_string();
    assert!(s.contains("the key is present"), "{s}");
    let _: &dyn std::error::Error = &e;
}

#[cfg(feature = "serde")]
#[test]
fn proof_ops_from_cometbft_json() {
    fn b64(data: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
    let Some((key, value, store_proof, store_root)) = load_vector("ics23/iavl/exist_left.json")
    else {
        return;
    };
    let (app_hash, ms_proof) = multistore(&store_root);
    let json = format!(
        r#"[{{"type":"ics23:iavl","key":"{}","data":"{}"}},
            {{"type":"ics23:simple","key":"aWJj","data":"{}","extra":1}}]"#,
        b64(&key),
        b64(&encode_commitment_proof(&store_proof)),
        b64(&encode_commitment_proof(&ms_proof)),
    );
    let ops: Vec<ProofOp> = serde_json::from_str(&json).unwrap();
    assert_eq!(ops[0].kind, proof::PROOF_OP_IAVL);
    assert_eq!(ops[0].key, key);
    assert_eq!(ops[1].key, b"ibc");
    MerkleProof::from_proof_ops(&ops)
        .unwrap()
        .verify_membership(
            &cosmos_sdk_specs(),
            &app_hash,
            &[b"ibc".as_slice(), &key],
            &value,
        )
        .unwrap();

    let op: ProofOp =
        serde_json::from_str(r#"{"type":"ics23:iavl","key":null,"data":""}"#).unwrap();
    assert_eq!(op, ProofOp::new("ics23:iavl", vec![], vec![]));
    for bad in [
        r#"{"key":"","data":""}"#,
        r#"{"type":"ics23:iavl"}"#,
        r#"{"type":"ics23:iavl","data":"not base64!"}"#,
        r#"{"type":"ics23:iavl","data":"","data":""}"#,
        r#"{"type":1,"data":""}"#,
    ] {
        assert!(serde_json::from_str::<ProofOp>(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: degenerate specs and hostile proofs give errors, never panics
// ---------------------------------------------------------------------------------------------

fn tm_leaf() -> LeafOp {
    tendermint_spec().leaf_spec.unwrap()
}

#[test]
fn standard_specs_validate() {
    for spec in [iavl_spec(), tendermint_spec(), smt_spec()] {
        proof::validate_spec(&spec).unwrap();
    }
    assert_eq!(smt_spec().max_depth, 256);
}

#[test]
fn degenerate_specs_are_rejected() {
    let invalid = |f: &dyn Fn(&mut ProofSpec)| {
        let mut s = tendermint_spec();
        f(&mut s);
        let e = proof::validate_spec(&s).unwrap_err();
        // Verification refuses the spec too, before looking at the proof.
        let empty = CommitmentProof::default();
        assert_eq!(
            verify_membership(&s, &[1; 32], &empty, b"k", b"v").unwrap_err(),
            e
        );
        assert_eq!(
            verify_non_membership(&s, &[1; 32], &empty, b"k").unwrap_err(),
            e
        );
        e
    };
    let is_invalid_spec = |e: ProofError| matches!(e, ProofError::InvalidSpec { .. });
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .child_order = vec![])));
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .child_order = vec![0, 0])));
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .child_order =
        vec![0, -1])));
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .child_order = vec![0, 2])));
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .child_size = 0)));
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .child_size = i32::MAX)));
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .min_prefix_length = -1)));
    assert!(is_invalid_spec(invalid(&|s| s
        .inner_spec
        .as_mut()
        .unwrap()
        .max_prefix_length =
        i32::MAX)));
    assert!(is_invalid_spec(invalid(&|s| s.min_depth = -1)));
    assert!(is_invalid_spec(invalid(&|s| s.min_depth = 2)));
    assert!(is_invalid_spec(invalid(&|s| {
        s.min_depth = 5;
        s.max_depth = 4;
    })));
    assert!(is_invalid_spec(invalid(&|s| s.leaf_spec = None)));
    assert!(is_invalid_spec(invalid(&|s| s.inner_spec = None)));
    assert_eq!(
        invalid(&|s| s.leaf_spec.as_mut().unwrap().hash = HashOp::Keccak256 as i32),
        ProofError::UnsupportedHashOp {
            op: HashOp::Keccak256
        }
    );
    assert!(matches!(
        invalid(&|s| s.leaf_spec.as_mut().unwrap().length = 99),
        ProofError::UnknownOp { .. }
    ));
    assert!(matches!(
        invalid(&|s| s.inner_spec.as_mut().unwrap().hash = 42),
        ProofError::UnknownOp { .. }
    ));
    // An n-ary order that is a permutation is fine (merk: [0, 2, 1]).
    let mut s = tendermint_spec();
    s.inner_spec.as_mut().unwrap().child_order = vec![0, 2, 1];
    proof::validate_spec(&s).unwrap();
}

#[test]
fn non_diverging_neighbours_do_not_panic() {
    // Both neighbours with empty paths: ics23-rs would panic looking for where they diverge.
    let left = ExistenceProof {
        key: b"a".to_vec(),
        value: b"v".to_vec(),
        leaf: Some(tm_leaf()),
        path: vec![],
    };
    let mut right = left.clone();
    right.key = b"c".to_vec();
    let root = calculate_existence_root(&left).unwrap();
    let p = nonexist(NonExistenceProof {
        key: b"b".to_vec(),
        left: Some(left.clone()),
        right: Some(right.clone()),
    });
    assert!(matches!(
        verify_non_membership(&tendermint_spec(), &root, &p, b"b"),
        Err(ProofError::MalformedNonExistence { .. })
    ));
    // One path a suffix of the other.
    let op = InnerOp {
        hash: HashOp::Sha256 as i32,
        prefix: vec![1; 33],
        suffix: vec![],
    };
    let mut deeper = right.clone();
    deeper.path = vec![op.clone(), op.clone()];
    let mut shallow = left.clone();
    shallow.path = vec![op];
    let p = nonexist(NonExistenceProof {
        key: b"b".to_vec(),
        left: Some(shallow),
        right: Some(deeper),
    });
    assert!(verify_non_membership(&tendermint_spec(), &root, &p, b"b").is_err());
    // Neither neighbour.
    let p = nonexist(NonExistenceProof {
        key: b"b".to_vec(),
        left: None,
        right: None,
    });
    assert!(matches!(
        verify_non_membership(&tendermint_spec(), &root, &p, b"b"),
        Err(ProofError::MalformedNonExistence { .. })
    ));
    // Only a right neighbour that is not left-most, under a 3-ary spec (ics23-rs indexes
    // sibling slices there).
    let mut spec = tendermint_spec();
    spec.inner_spec.as_mut().unwrap().child_order = vec![0, 2, 1];
    let mut r = right;
    r.path = vec![InnerOp {
        hash: HashOp::Sha256 as i32,
        prefix: vec![1; 33],
        suffix: vec![7; 32],
    }];
    let root = calculate_existence_root(&r).unwrap();
    let p = nonexist(NonExistenceProof {
        key: b"b".to_vec(),
        left: None,
        right: Some(r),
    });
    let _ = verify_non_membership(&spec, &root, &p, b"b");
}

#[test]
fn unsupported_or_unknown_hash_in_a_proof_is_rejected_before_hashing() {
    let ex = |hash: i32, inner: Option<i32>| ExistenceProof {
        key: b"k".to_vec(),
        value: b"v".to_vec(),
        leaf: Some(LeafOp { hash, ..tm_leaf() }),
        path: inner
            .map(|h| InnerOp {
                hash: h,
                prefix: vec![1],
                suffix: vec![],
            })
            .into_iter()
            .collect(),
    };
    assert_eq!(
        calculate_existence_root(&ex(HashOp::Blake3 as i32, None)),
        Err(ProofError::UnsupportedHashOp { op: HashOp::Blake3 })
    );
    assert_eq!(
        calculate_existence_root(&ex(1, Some(HashOp::Ripemd160 as i32))),
        Err(ProofError::UnsupportedHashOp {
            op: HashOp::Ripemd160
        })
    );
    assert!(matches!(
        calculate_existence_root(&ex(77, None)),
        Err(ProofError::UnknownOp { .. })
    ));
    // In a chain the subroot is computed from the proof alone: still checked first.
    let p = exist(ex(HashOp::Keccak256 as i32, None));
    let e =
        verify_chained_membership(&[tendermint_spec()], &[1; 32], &[p], &[b"k"], b"v").unwrap_err();
    assert_eq!(
        e.root_cause(),
        &ProofError::UnsupportedHashOp {
            op: HashOp::Keccak256
        }
    );
}

#[test]
fn proofs_deeper_than_the_spec_allows_are_rejected() {
    let op = InnerOp {
        hash: HashOp::Sha256 as i32,
        prefix: vec![1; 33],
        suffix: vec![],
    };
    let ex = ExistenceProof {
        key: b"k".to_vec(),
        value: b"v".to_vec(),
        leaf: Some(tm_leaf()),
        path: vec![op; proof::DEFAULT_MAX_DEPTH + 1],
    };
    let root = calculate_existence_root(&ex).unwrap();
    assert_eq!(
        verify_membership(&tendermint_spec(), &root, &exist(ex), b"k", b"v"),
        Err(ProofError::ProofTooDeep {
            depth: 129,
            max: 128
        })
    );
}

#[test]
fn bad_compressed_index_is_an_error() {
    use ics23::compressed_batch_entry::Proof as Entry;
    for path in [vec![0, -1], vec![5], vec![i32::MAX]] {
        let p = CommitmentProof {
            proof: Some(Variant::Compressed(ics23::CompressedBatchProof {
                entries: vec![ics23::CompressedBatchEntry {
                    proof: Some(Entry::Exist(ics23::CompressedExistenceProof {
                        key: b"k".to_vec(),
                        value: b"v".to_vec(),
                        leaf: Some(tm_leaf()),
                        path,
                    })),
                }],
                lookup_inners: vec![InnerOp::default()],
            })),
        };
        assert_eq!(
            verify_membership(&tendermint_spec(), &[1; 32], &p, b"k", b"v"),
            Err(ProofError::InvalidCompressedProof)
        );
        assert_eq!(calculate_root(&p), Err(ProofError::InvalidCompressedProof));
    }
}

#[test]
fn garbage_does_not_decode_or_verify() {
    let samples: [&[u8]; 6] = [
        &[0xff, 0xff, 0xff],
        &[0x0a, 0x05, 0x01],
        &[],
        &[0x0a, 0x00],
        &[0x12, 0x02, 0x12, 0x00],
        &[0x22, 0x04, 0x0a, 0x02, 0x0a, 0x00],
    ];
    for bytes in samples {
        match decode_commitment_proof(bytes) {
            Err(e) => assert!(matches!(e, ProofError::Decode { .. }), "{e:?}"),
            Ok(p) => {
                assert!(verify_membership(&iavl_spec(), &[1; 32], &p, b"k", b"v").is_err());
                assert!(verify_non_membership(&smt_spec(), &[1; 32], &p, b"k").is_err());
                let _ = calculate_root(&p);
            }
        }
    }
    assert!(matches!(
        MerkleProof::decode(&[0x0a, 0xff]),
        Err(ProofError::Decode { .. })
    ));
    assert_eq!(
        MerkleProof::from_proof_ops(&[]),
        Err(ProofError::EmptyProof)
    );
    let bad = [ProofOp::new("iavl:v", b"k".to_vec(), vec![])];
    let e = MerkleProof::from_proof_ops(&bad).unwrap_err();
    assert!(matches!(e, ProofError::Chained { index: 0, .. }), "{e:?}");
    assert!(matches!(
        e.root_cause(),
        ProofError::UnsupportedProofOp { .. }
    ));
    assert!(!bad[0].is_ics23());
    // Empty inputs.
    let p = exist(ExistenceProof::default());
    assert_eq!(
        verify_membership(&iavl_spec(), &[], &p, b"k", b"v"),
        Err(ProofError::EmptyRoot)
    );
    assert_eq!(
        verify_membership(&iavl_spec(), &[1], &p, b"", b"v"),
        Err(ProofError::EmptyKey)
    );
    assert_eq!(
        verify_membership(&iavl_spec(), &[1], &p, b"k", b""),
        Err(ProofError::EmptyValue)
    );
    assert_eq!(
        verify_membership(&iavl_spec(), &[1], &CommitmentProof::default(), b"k", b"v"),
        Err(ProofError::EmptyProof)
    );
}
