//! Offline tests on answers recorded from real chains (`fixtures/data/real/`, written by
//! `cargo run -p ferry-testnet --bin ferry-record`): no Go, no node. Each file is a body a
//! CometBFT v0.38.26 or ibc-go v10.7.0 simd node sent, byte for byte: a 4-validator network
//! across validator-set changes, simd state proofs, and a real fork with the evidence a node
//! took from Ferry and recorded.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use std::time::Duration;

use ferry::evidence::{evidence_json, light_block_json, light_client_attack_evidence};
use ferry::inspect::{parse_evidence, parse_proof, verify_evidence_file, FileView};
use ferry_verifier::bisect::{self, LightBlockSource};
use ferry_verifier::block::CommitSig;
use ferry_verifier::de::{CommitResponse, ValidatorsPage};
use ferry_verifier::evidence::{AttackKind, Evidence};
use ferry_verifier::proof::cosmos_sdk_specs;
use ferry_verifier::types::decode_base64_into;
use ferry_verifier::{
    verify, Height, LightBlock, Options, Time, TrustedState, ValidatorSet, Verdict, Zebra,
};
use serde_json::Value;

const N: usize = 16;
type Block = LightBlock<N>;

fn dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/data/real")
        .join(set)
}

fn json(set: &str, file: &str) -> Value {
    let path = dir(set).join(file);
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The JSON-RPC `result` of a recorded answer.
fn result(set: &str, file: &str) -> Value {
    let v = json(set, file);
    assert_eq!(v["jsonrpc"], "2.0", "{set}/{file}");
    v["result"].clone()
}

fn validators(set: &str, h: u64) -> ValidatorSet<N> {
    let mut pages: Vec<ValidatorsPage<N>> = Vec::new();
    for p in 1.. {
        let file = format!("validators-{h}-{p}.json");
        if !dir(set).join(&file).exists() {
            break;
        }
        pages.push(serde_json::from_value(result(set, &file)).unwrap());
    }
    assert!(!pages.is_empty(), "{set}: no validators at {h}");
    ValidatorSet::from_pages(&pages).unwrap()
}

fn light_block(set: &str, h: u64) -> Box<Block> {
    let c: CommitResponse<N> =
        serde_json::from_value(result(set, &format!("commit-{h}.json"))).unwrap();
    Box::new(LightBlock {
        signed_header: c.signed_header,
        validators: validators(set, h),
        next_validators: validators(set, h + 1),
    })
}

fn u64_at(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// The recording's time plus an hour: within the trusting period, past every header.
fn now_for(blocks: &[Box<Block>]) -> Time {
    let last = blocks.last().unwrap().header().time;
    Time::from_unix(last.unix_secs() + 3600, 0).unwrap()
}

struct Recorded(BTreeMap<u64, Box<Block>>);

impl LightBlockSource<N> for Recorded {
    type Error = String;
    fn light_block(&mut self, height: Height) -> Result<Box<Block>, String> {
        self.0
            .get(&height.value())
            .cloned()
            .ok_or_else(|| format!("not recorded: {height}"))
    }
}

fn cometbft_blocks() -> (Value, Vec<Box<Block>>) {
    let m = json("cometbft-4", "manifest.json");
    let last = u64_at(&m["heights"][1]);
    let blocks: Vec<_> = (1..=last).map(|h| light_block("cometbft-4", h)).collect();
    (m, blocks)
}

#[test]
fn recorded_cometbft_headers_hash_to_the_nodes_block_ids() {
    let (m, blocks) = cometbft_blocks();
    for b in &blocks {
        let h = b.height().value();
        assert_eq!(
            b.header().chain_id.as_str(),
            m["chain_id"].as_str().unwrap()
        );
        let hash = b.header().hash();
        assert_eq!(hash, b.signed_header.commit.block_id.hash, "height {h}");
        let block = result("cometbft-4", &format!("block-{h}.json"));
        let node_hash = block["block_id"]["hash"].as_str().unwrap();
        assert_eq!(hash.to_string(), node_hash, "height {h}: /block's block_id");
        assert_eq!(
            b.validators.hash(),
            b.header().validators_hash,
            "height {h}"
        );
        assert_eq!(
            b.next_validators.hash(),
            b.header().next_validators_hash,
            "height {h}"
        );
    }
}

#[test]
fn recorded_cometbft_chain_verifies_adjacent_skipping_and_by_bisection() {
    let (m, blocks) = cometbft_blocks();
    let now = now_for(&blocks);
    let opts = Options::default();
    for w in blocks.windows(2) {
        let v = verify(
            &Zebra,
            &TrustedState::from_light_block(&w[0]),
            &w[1],
            now,
            &opts,
        );
        assert!(
            matches!(v, Verdict::Success),
            "{} -> {}: {v:?}",
            w[0].height(),
            w[1].height()
        );
    }
    // The recording spans two validator-set changes: the set grew from 4 to 5, and one
    // validator's power went from 10 to 20.
    let first = &blocks[0];
    let last = blocks.last().unwrap();
    assert_eq!(first.validators.len(), 4);
    assert_eq!(last.validators.len(), 5);
    let changed = u64_at(&m["power_changed"]["tx_height"]);
    assert_eq!(
        last.validators.total_power(),
        first.validators.total_power() + 1 + 10,
        "the set after heights {changed} + 2"
    );
    // Skipping from 1 to the last height: 4 of 4 trusted validators (40 of 40) signed.
    let v = verify(
        &Zebra,
        &TrustedState::from_light_block(first),
        last,
        now,
        &opts,
    );
    assert!(matches!(v, Verdict::Success), "1 -> last: {v:?}");
    // Bisection over the recording reaches the last height.
    let mut source = Recorded(
        blocks
            .iter()
            .map(|b| (b.height().value(), b.clone()))
            .collect(),
    );
    let trace =
        bisect::verify_to_height(&Zebra, &**first, last.height(), &mut source, now, &opts, 16)
            .unwrap();
    assert_eq!(trace.verified.last().unwrap().height(), last.height());
}

#[test]
fn recorded_cometbft_block_with_one_changed_signature_is_refused() {
    let (_, blocks) = cometbft_blocks();
    let now = now_for(&blocks);
    let (a, mut b) = (&blocks[3], blocks[4].clone());
    match &mut b.signed_header.commit.signatures[0] {
        CommitSig::Commit { signature, .. } => {
            signature.0[7] ^= 0x20;
        }
        other => panic!("the first validator signed: {other:?}"),
    }
    let v = verify(
        &Zebra,
        &TrustedState::from_light_block(a),
        &b,
        now,
        &Options::default(),
    );
    assert!(matches!(v, Verdict::Invalid(_)), "{v:?}");
}

#[test]
fn recorded_simd_proofs_verify_against_the_verified_app_hash() {
    let m = json("simd", "manifest.json");
    let (h, root_h) = (u64_at(&m["query_height"]), u64_at(&m["root_height"]));
    let trusted = light_block("simd", h);
    let next = light_block("simd", root_h);
    let now = now_for(std::slice::from_ref(&next));
    let v = verify(
        &Zebra,
        &TrustedState::from_light_block(&trusted),
        &next,
        now,
        &Options::default(),
    );
    assert!(matches!(v, Verdict::Success), "{v:?}");
    let root = next.header().app_hash.as_bytes().to_vec();
    let specs = cosmos_sdk_specs();
    let mut checked = 0;
    for q in m["queries"].as_array().unwrap() {
        let file = q["file"].as_str().unwrap();
        let raw = fs::read(dir("simd").join(file)).unwrap();
        let (proof, path) = parse_proof(&raw, file).unwrap();
        let path = path.expect("abci_query ops carry their key path");
        let store = q["store"].as_str().unwrap().as_bytes().to_vec();
        let key = hex_decode(q["key"].as_str().unwrap());
        assert_eq!(path, vec![store.clone(), key.clone()], "{file}");
        let response = &result("simd", file)["response"];
        assert_eq!(response["height"], h.to_string(), "{file}");
        match response["value"].as_str() {
            Some(b64) if !b64.is_empty() => {
                let mut value = vec![0u8; b64.len()];
                let n = decode_base64_into(b64, &mut value, "value").unwrap();
                value.truncate(n);
                proof
                    .verify_membership(&specs, &root, &path, &value)
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                let mut other = value.clone();
                other[0] ^= 1;
                assert!(proof
                    .verify_membership(&specs, &root, &path, &other)
                    .is_err());
                assert!(proof.verify_non_membership(&specs, &root, &path).is_err());
            }
            _ => {
                proof
                    .verify_non_membership(&specs, &root, &path)
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                assert!(proof.verify_membership(&specs, &root, &path, b"1").is_err());
            }
        }
        // The root of the header at H (not H + 1) is the wrong one.
        let wrong = trusted.header().app_hash.as_bytes().to_vec();
        if wrong != root {
            assert!(proof.verify_non_membership(&specs, &wrong, &path).is_err());
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs `f` on a large stack (512-validator evidence is decoded there, as the CLI does).
fn big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn recorded_fork_gives_the_evidence_the_node_took_and_recorded() {
    let m = json("fork", "manifest.json");
    let (common_h, lunatic_h) = (u64_at(&m["common_height"]), u64_at(&m["lunatic_height"]));
    let at = u64_at(&m["evidence_block"]);
    let a = |h| light_block("fork/a", h);
    let b = |h| light_block("fork/b", h);
    // A and B share the common block and differ from the next height on.
    assert_eq!(a(common_h).header().hash(), b(common_h).header().hash());
    for h in common_h + 1..=lunatic_h {
        assert_ne!(a(h).header().hash(), b(h).header().hash(), "height {h}");
    }
    let (common, conflicting, trusted, latest) = (a(common_h), b(lunatic_h), a(lunatic_h), a(at));
    let now = now_for(std::slice::from_ref(&latest));
    // A light client trusting the common block accepts both branches: a fork.
    for (name, block) in [("A", &trusted), ("B", &conflicting)] {
        let v = verify(
            &Zebra,
            &TrustedState::from_light_block(&common),
            block,
            now,
            &Options::default(),
        );
        assert!(
            matches!(v, Verdict::Success),
            "{name} at {lunatic_h}: {v:?}"
        );
    }
    assert_ne!(conflicting.header().app_hash, trusted.header().app_hash);

    // Ferry builds, from the recorded blocks, the evidence it sent then...
    let ev = light_client_attack_evidence(&conflicting, &common, &trusted).unwrap();
    assert_eq!(ev.kind(&trusted.signed_header), AttackKind::Lunatic);
    assert_eq!(ev.byzantine_validators.len(), 3);
    let ours = evidence_json(&Evidence::LightClientAttack(ev));
    assert_eq!(ours, json("fork", "evidence-sent.json"));
    // ... which is what A's node recorded in its block.
    let block = result("fork", &format!("a/block-{at}.json"));
    let items = block["block"]["evidence"]["evidence"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let (node, ours) = (items[0].to_string(), ours.to_string());
    let view = serde_json::Value::Array(
        [&common, &trusted, &latest]
            .iter()
            .map(|b| light_block_json(b))
            .collect(),
    )
    .to_string();
    let (same, judged, forged) = big_stack(move || {
        let node_ev = parse_evidence(node.as_bytes(), "block evidence").unwrap();
        let ours = parse_evidence(ours.as_bytes(), "ours").unwrap();
        let view = FileView::parse(
            view.as_bytes(),
            "view",
            Duration::from_secs(48 * 3600),
            100_000,
        )
        .unwrap();
        let judged = verify_evidence_file(&node_ev, &view);
        // One byzantine validator left out: the node refused that (see cometbft_evidence.rs).
        let mut forged = ours.clone();
        if let Evidence::LightClientAttack(e) = &mut *forged {
            e.byzantine_validators.pop();
        }
        let forged = verify_evidence_file(&forged, &view);
        (
            node_ev == ours,
            (judged.verdict, judged.reason),
            (forged.verdict, forged.reason),
        )
    });
    assert!(same, "the node recorded other evidence than Ferry's");
    assert_eq!(judged.0, "valid", "{}", judged.1);
    assert_eq!(forged.0, "invalid");
}
