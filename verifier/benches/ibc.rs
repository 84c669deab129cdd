//! `cargo bench -p ferry-verifier --bench ibc`: a state proof through IAVL (depth 20) and the
//! Cosmos SDK multistore, and an IBC client update at 150 validators next to the core
//! verification it wraps (same backend, same inputs, sampled interleaved).
//!
//! Options: `--fixtures DIR` (default ../shared/fixtures), `--budget-ms MS` (default 3000).

use std::time::Duration;

use ferry_verifier::client::{Client, ClientHeader, ClientHeight, ClientState, ConsensusState};
use ferry_verifier::merkle;
use ferry_verifier::proof::{self, CommitmentProof, ExistenceProof, HashOp, InnerOp, MerkleProof};
use ferry_verifier::*;

mod harness;
use harness::{load, measure_interleaved, Case};

fn zigzag(n: u64, out: &mut Vec<u8>) {
    let mut v = n << 1;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn uvarint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// An IAVL existence proof with `depth` inner nodes, the key's node alternating between
/// left and right child, and the store root it computes.
fn iavl_proof(key: &[u8], value: &[u8], depth: u64) -> (ExistenceProof, Vec<u8>) {
    let mut leaf = proof::iavl_spec().leaf_spec.expect("iavl leaf spec");
    let mut lp = vec![];
    zigzag(0, &mut lp); // height
    zigzag(1, &mut lp); // size
    zigzag(1, &mut lp); // version
    leaf.prefix = lp;
    let mut path = vec![];
    for h in 1..=depth {
        let sibling = merkle::sha256(&h.to_le_bytes());
        let mut prefix = vec![];
        zigzag(h, &mut prefix);
        zigzag(1 << h, &mut prefix);
        zigzag(1, &mut prefix);
        let op = if h % 2 == 0 {
            prefix.push(32);
            let mut suffix = vec![32];
            suffix.extend_from_slice(&sibling);
            InnerOp {
                hash: HashOp::Sha256 as i32,
                prefix,
                suffix,
            }
        } else {
            prefix.push(32);
            prefix.extend_from_slice(&sibling);
            prefix.push(32);
            InnerOp {
                hash: HashOp::Sha256 as i32,
                prefix,
                suffix: vec![],
            }
        };
        path.push(op);
    }
    let ex = ExistenceProof {
        key: key.to_vec(),
        value: value.to_vec(),
        leaf: Some(leaf),
        path,
    };
    let root = proof::calculate_existence_root(&ex).expect("root");
    (ex, root)
}

/// The `ics23:simple` proof of store `ibc` (second of two) and the app hash.
fn multistore(ibc_root: &[u8]) -> (CommitmentProof, Vec<u8>) {
    let leaf = |name: &[u8], root: &[u8]| {
        let mut out = vec![];
        uvarint(name.len(), &mut out);
        out.extend_from_slice(name);
        uvarint(32, &mut out);
        out.extend_from_slice(&merkle::sha256(root));
        out
    };
    let bank = leaf(b"bank", &merkle::sha256(b"bank"));
    let ibc = leaf(b"ibc", ibc_root);
    let app_hash = merkle::hash_from_byte_slices(&[&bank, &ibc]).to_vec();
    let mut prefix = vec![1u8];
    prefix.extend_from_slice(&merkle::leaf_hash(&bank));
    let ex = ExistenceProof {
        key: b"ibc".to_vec(),
        value: ibc_root.to_vec(),
        leaf: proof::tendermint_spec().leaf_spec,
        path: vec![InnerOp {
            hash: HashOp::Sha256 as i32,
            prefix,
            suffix: vec![],
        }],
    };
    (
        CommitmentProof {
            proof: Some(proof::ics23::commitment_proof::Proof::Exist(ex)),
        },
        app_hash,
    )
}

fn main() {
    let fixtures = harness::fixtures_dir();
    let budget = harness::budget(3000);

    // 1. Membership through IAVL (depth 20) and the multistore.
    let key = b"commitments/ports/transfer/channels/channel-0/sequences/1".to_vec();
    let value = merkle::sha256(b"packet commitment").to_vec();
    let (ex, store_root) = iavl_proof(&key, &value, 20);
    let (ms, app_hash) = multistore(&store_root);
    let mp = MerkleProof {
        proofs: vec![
            CommitmentProof {
                proof: Some(proof::ics23::commitment_proof::Proof::Exist(ex)),
            },
            ms,
        ],
    };
    let specs = proof::cosmos_sdk_specs();
    let key_path = [b"ibc".to_vec(), key.clone()];
    mp.verify_membership(&specs, &app_hash, &key_path, &value)
        .expect("depth-20 proof verifies");
    let mut wrong = value.clone();
    wrong[0] ^= 1;
    assert!(mp
        .verify_membership(&specs, &app_hash, &key_path, &wrong)
        .is_err());
    let mut cases: Vec<Case<'_>> = vec![(
        "membership, iavl (depth 20) + simple",
        Box::new(|| {
            mp.verify_membership(&specs, &app_hash, &key_path, &value)
                .is_ok()
        }),
    )];
    let stats = measure_interleaved(budget, &mut cases);
    println!("{:<58} {:>11} {:>11}", "measurement", "median_us", "min_us");
    println!(
        "{:<58} {:>11.1} {:>11.1}",
        cases[0].0, stats[0].median_us, stats[0].min_us
    );

    // 2. A client update at 150 validators beside the verification it wraps.
    let dir = fixtures.join("150");
    if !dir.is_dir() {
        eprintln!(
            "fixtures not found at {} (use --fixtures DIR)",
            dir.display()
        );
        std::process::exit(1);
    }
    let (h1, h2, h100) = (
        load(&dir.join("light_block_1.json")),
        load(&dir.join("light_block_2.json")),
        load(&dir.join("light_block_100.json")),
    );
    let now = Time::parse_rfc3339("2025-01-01T00:08:45Z").unwrap();
    let state = ClientState {
        chain_id: h1.header().chain_id.clone(),
        trust_level: TrustThreshold::ONE_THIRD,
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        unbonding_period: Duration::from_secs(21 * 24 * 3600),
        max_clock_drift: Duration::from_secs(10),
        latest_height: ClientHeight::new(0, 1),
        frozen_height: ClientHeight::default(),
        proof_specs: specs.to_vec(),
        upgrade_path: vec![],
    };
    // The generated h1 has an empty app hash, which ibc-go refuses as a root; the root plays
    // no part in header verification.
    let initial = ConsensusState {
        root: AppHash::from_bytes(&[1; 32]).unwrap(),
        ..ConsensusState::from_header(h1.header())
    };
    let client = Client::new(state, initial).unwrap();
    let backend = CachedZebra::default();
    let opts = Options {
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        clock_drift: Duration::from_secs(10),
        ..Options::default()
    };
    println!();
    println!("| 150 validators | core verification (us) | client update (us) | update / core |");
    println!("|---|---:|---:|---:|");
    for (kind, block) in [("adjacent", &h2), ("skipping", &h100)] {
        let header = ClientHeader {
            signed_header: block.signed_header.clone(),
            validator_set: block.validators.clone(),
            trusted_height: ClientHeight::new(0, 1),
            trusted_validators: h1.next_validators.clone(),
        };
        let trusted = TrustedState::from_light_block(&h1);
        let core = || {
            verify_signed_header(
                &backend,
                &trusted,
                &block.signed_header,
                &block.validators,
                None,
                now,
                &opts,
            ) == Verdict::Success
        };
        assert!(core());
        assert!(client.clone().update(&backend, &header, now).is_ok());
        let mut cases: Vec<Case<'_>> = vec![
            ("core", Box::new(core)),
            (
                "update",
                Box::new(|| client.clone().update(&backend, &header, now).is_ok()),
            ),
        ];
        let s = measure_interleaved(budget, &mut cases);
        println!(
            "| {kind} | {:.0} | {:.0} | {:.3} |",
            s[0].median_us,
            s[1].median_us,
            s[1].median_us / s[0].median_us
        );
    }
}
