//! The node's RPC end to end, in-process (an ephemeral port, state in memory), read with
//! `ferry-testnet`'s blocking CometBFT client, which decodes `/commit` and paginated
//! `/validators` with the verifier's serde JSON decoding:
//!
//! * every header it serves verifies with `ferry-verifier`, adjacent and skipping, across a
//!   validator-set change, and is the chain's own;
//! * `abci_query` proofs over HTTP verify against the next header's app hash (membership and
//!   non-membership, latest and past heights);
//! * transactions broadcast over RPC are committed, found by `tx` with a valid inclusion
//!   proof; a duplicate is refused from the cache;
//! * bad requests get CometBFT's JSON-RPC errors and HTTP statuses, and the node keeps
//!   serving and producing.

use std::time::Duration;

use ferry_devnet::node::{Devnet, NodeConfig};
use ferry_devnet::{ChainConfig, ValidatorKey};
use ferry_testnet::http::{self, Url};
use ferry_testnet::RpcClient;
use ferry_verifier::merkle::{inner_hash, leaf_hash};
use ferry_verifier::proof::{cosmos_sdk_specs, MerkleProof};
use ferry_verifier::{verify, Consensus, Options, TrustedState, Verdict};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(10);

fn on_demand(chain_id: &str, powers: &[u64]) -> Devnet {
    let mut config = NodeConfig::new(ChainConfig::new(chain_id, powers));
    config.block_time = None;
    Devnet::start(config).unwrap()
}

fn post(url: &str, body: &str) -> (u16, String) {
    let r = http::post(
        &Url::parse(url).unwrap(),
        "/",
        "application/json",
        body.as_bytes(),
        T,
    )
    .unwrap();
    (r.status, String::from_utf8(r.body).unwrap())
}

fn get(url: &str, path: &str) -> (u16, String) {
    let r = http::get(&Url::parse(url).unwrap(), path, T).unwrap();
    (r.status, String::from_utf8(r.body).unwrap())
}

fn b64(bytes: &[u8]) -> String {
    ferry_testnet::base64_encode(bytes)
}

fn un_b64(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len() / 4 * 3 + 3];
    let n = ferry_verifier::types::decode_base64_into(s, &mut out, "test").unwrap();
    out.truncate(n);
    out
}

#[test]
fn every_served_header_verifies_adjacent_and_skipping_across_a_validator_change() {
    let devnet = on_demand("rpc-light-1", &[10, 20, 30, 40]);
    let rpc = RpcClient::new(&devnet.url())
        .unwrap()
        .with_timeout(T)
        .with_per_page(3); // 4 and then 5 validators: two pages each
    let newcomer = ValidatorKey::deterministic("rpc-light-1/new");
    for h in 1..=10u64 {
        if h == 3 {
            devnet
                .with_chain(|c| c.set_validator_power(&newcomer, 25))
                .unwrap();
        }
        if h == 6 {
            let first = devnet.with_chain(|c| c.validators().validators()[0].pub_key);
            devnet
                .with_chain(|c| {
                    c.update_validators(&[ferry_devnet::ValidatorUpdate {
                        pub_key: first,
                        power: 5,
                    }])
                })
                .unwrap();
        }
        assert_eq!(devnet.produce_block().unwrap(), h);
    }
    let mut blocks = Vec::new();
    for h in 1..=10u64 {
        let lb = rpc.light_block::<16>(h).unwrap();
        let own = devnet.with_chain(|c| c.light_block::<16>(h)).unwrap();
        assert_eq!(lb.header().hash(), own.header().hash(), "height {h}");
        assert_eq!(*lb, own, "height {h}: the RPC's light block is the chain's");
        blocks.push(lb);
    }
    // The change queued before block 3 is in next_validators_hash at 4 and signs from 5.
    assert_eq!(blocks[2].validators.len(), 4);
    assert_eq!(blocks[4].validators.len(), 5);
    let now = blocks[9]
        .header()
        .time
        .checked_add(Duration::from_secs(1))
        .unwrap();
    let opts = Options::default();
    for w in blocks.windows(2) {
        let v = verify(
            &Consensus,
            &TrustedState::from_light_block(&w[0]),
            &w[1],
            now,
            &opts,
        );
        assert!(matches!(v, Verdict::Success), "adjacent: {v:?}");
    }
    for target in [3usize, 5, 8, 9] {
        let v = verify(
            &Consensus,
            &TrustedState::from_light_block(&blocks[0]),
            &blocks[target],
            now,
            &opts,
        );
        assert!(
            matches!(v, Verdict::Success),
            "skipping 1 -> {}: {v:?}",
            target + 1
        );
    }
    // A header whose commit is tampered with in transit is refused.
    let mut forged = (*blocks[4]).clone();
    forged.signed_header.header.app_hash = ferry_verifier::AppHash::from_bytes(&[7u8; 32]).unwrap();
    let v = verify(
        &Consensus,
        &TrustedState::from_light_block(&blocks[3]),
        &forged,
        now,
        &opts,
    );
    assert!(matches!(v, Verdict::Invalid(_)), "{v:?}");
    // The latest commit is the "seen" one: not canonical yet; earlier ones are.
    assert_eq!(rpc.call("commit", &[]).unwrap()["canonical"], false);
    assert_eq!(
        rpc.call("commit", &[("height", "9".into())]).unwrap()["canonical"],
        true
    );
    devnet.stop();
}

#[test]
fn broadcast_transactions_are_committed_and_their_proofs_verify_over_http() {
    let devnet = on_demand("rpc-proofs-1", &[10, 10, 10, 10]);
    let url = devnet.url();
    let rpc = RpcClient::new(&url).unwrap().with_timeout(T);
    devnet.produce_block().unwrap(); // height 1: the genesis state
    let mut hashes = Vec::new();
    for (i, tx) in ["kv/alice=1", "kv/bob=2", "kv/carol=3"].iter().enumerate() {
        let r = rpc
            .call_post("broadcast_tx_sync", json!({ "tx": b64(tx.as_bytes()) }))
            .unwrap();
        assert_eq!(r["code"], 0, "{r}");
        assert_eq!(r["data"], "");
        let hash = r["hash"].as_str().unwrap().to_string();
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, hash.to_uppercase());
        hashes.push(hash);
        if i == 1 {
            // Refused by CheckTx: not in the mempool, not committed.
            let bad = rpc
                .call_post("broadcast_tx_sync", json!({ "tx": b64(b"no-slash") }))
                .unwrap();
            assert_eq!(bad["code"], 1);
            assert_eq!(bad["codespace"], "kv");
        }
    }
    // The same transaction again: refused from the mempool's cache.
    let err = rpc
        .call_post("broadcast_tx_sync", json!({ "tx": b64(b"kv/alice=1") }))
        .unwrap_err()
        .to_string();
    assert!(err.contains("tx already exists in cache"), "{err}");
    let unconfirmed = rpc.call("num_unconfirmed_txs", &[]).unwrap();
    assert_eq!(unconfirmed["n_txs"], "3");
    assert_eq!(devnet.produce_block().unwrap(), 2);
    let block = rpc.call("block", &[("height", "2".into())]).unwrap();
    assert_eq!(block["block"]["data"]["txs"].as_array().unwrap().len(), 3);
    let results = rpc
        .call("block_results", &[("height", "2".into())])
        .unwrap();
    assert_eq!(results["txs_results"].as_array().unwrap().len(), 3);
    let data_hash = block["block"]["header"]["data_hash"].as_str().unwrap();
    for (i, hash) in hashes.iter().enumerate() {
        let tx = rpc
            .call(
                "tx",
                &[("hash", format!("0x{hash}")), ("prove", "true".into())],
            )
            .unwrap();
        assert_eq!(tx["height"], "2");
        assert_eq!(tx["index"], i);
        assert_eq!(tx["proof"]["root_hash"], data_hash);
        // The inclusion proof rebuilds the data hash (3 leaves: split 2 + 1).
        let leaf: [u8; 32] = un_b64(tx["proof"]["proof"]["leaf_hash"].as_str().unwrap())
            .try_into()
            .unwrap();
        let tx_bytes = un_b64(tx["tx"].as_str().unwrap());
        assert_eq!(leaf, leaf_hash(&ferry_verifier::merkle::sha256(&tx_bytes)));
        let aunts: Vec<[u8; 32]> = tx["proof"]["proof"]["aunts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| un_b64(a.as_str().unwrap()).try_into().unwrap())
            .collect();
        let root = match i {
            0 => inner_hash(&inner_hash(&leaf, &aunts[0]), &aunts[1]),
            1 => inner_hash(&inner_hash(&aunts[0], &leaf), &aunts[1]),
            _ => inner_hash(&aunts[0], &leaf),
        };
        assert_eq!(ferry_testnet::hex_encode(&root).to_uppercase(), data_hash);
    }
    // broadcast_tx_commit waits for the block (produced here from another thread).
    std::thread::scope(|s| {
        let producer = s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            devnet.produce_block().unwrap()
        });
        let c = rpc.broadcast_tx_commit(b"kv/dave=4").unwrap();
        assert_eq!(c.height, producer.join().unwrap());
    });
    assert_eq!(devnet.height(), 3);
    devnet.produce_block().unwrap();
    devnet.produce_block().unwrap(); // height 5: its header holds the app hash after 4

    // Proofs at the latest and past heights, membership and absence (not at height 1: the
    // genesis kv store is empty, and ICS-23 cannot prove absence without a neighbour).
    let cases: [(u64, &str, Option<&str>); 6] = [
        (2, "aaron", None), // left of every key
        (2, "alice", Some("1")),
        (2, "dave", None),
        (3, "dave", Some("4")),
        (4, "carol", Some("3")),
        (4, "zed", None),
    ];
    for (height, key, want) in cases {
        let q = rpc
            .abci_query("store/kv/key", key.as_bytes(), Some(height), true)
            .unwrap();
        assert_eq!(q.code, 0, "{}", q.raw);
        assert_eq!(q.height, height);
        assert_eq!(
            q.value.as_deref(),
            want.map(str::as_bytes),
            "{key}@{height}"
        );
        let next = rpc.light_block::<8>(height + 1).unwrap();
        let root = next.header().app_hash.as_bytes().to_vec();
        let proof = MerkleProof::from_proof_ops(&q.proof_ops).unwrap();
        let path = [b"kv".as_slice(), key.as_bytes()];
        match want {
            Some(v) => proof
                .verify_membership(&cosmos_sdk_specs(), &root, &path, v.as_bytes())
                .unwrap(),
            None => proof
                .verify_non_membership(&cosmos_sdk_specs(), &root, &path)
                .unwrap(),
        }
        // Against another height's app hash it fails.
        let other = rpc
            .light_block::<8>(if height == 1 { 3 } else { 1 })
            .unwrap();
        let wrong = other.header().app_hash.as_bytes().to_vec();
        let refused = match want {
            Some(v) => proof.verify_membership(&cosmos_sdk_specs(), &wrong, &path, v.as_bytes()),
            None => proof.verify_non_membership(&cosmos_sdk_specs(), &wrong, &path),
        };
        assert!(
            refused.is_err(),
            "{key}@{height} verified against another root"
        );
    }
    // The latest height when none is given; no proof without prove.
    let q = rpc
        .abci_query("/store/kv/key", b"bob", None, false)
        .unwrap();
    assert_eq!((q.height, q.value.as_deref()), (5, Some(&b"2"[..])));
    assert_eq!(q.raw["response"]["proofOps"], Value::Null);
    // SDK refusals are ABCI answers.
    for (path, height, code) in [
        ("store/nope/key", None, 6),
        ("store/kv/subspace", None, 6),
        ("custom/x", None, 6),
        ("store/kv/key", Some(99), 26),
    ] {
        let q = rpc.abci_query(path, b"k", height, true).unwrap();
        assert_eq!(q.code, code, "{path}: {}", q.raw);
        assert_eq!(q.raw["response"]["codespace"], "sdk");
    }
    devnet.stop();
}

#[test]
fn bad_requests_get_cometbft_errors_and_the_node_keeps_running() {
    let mut config = NodeConfig::new(ChainConfig::new("rpc-errors-1", &[10, 10, 10, 10]));
    config.block_time = Some(Duration::from_millis(100));
    let devnet = Devnet::start(config).unwrap();
    let url = devnet.url();
    let code = |body: &str| -> i64 {
        let v: Value = serde_json::from_str(body).unwrap();
        v["error"]["code"].as_i64().unwrap()
    };

    let (status, body) = post(&url, "garbage");
    assert_eq!((status, code(&body)), (500, -32700), "{body}");
    assert!(!body.contains("\"id\""), "{body}");
    for bad in [
        "5",
        "[5]",
        r#"{"jsonrpc":"2.0","id":{"a":1},"method":"health"}"#,
    ] {
        let (status, body) = post(&url, bad);
        assert_eq!((status, code(&body)), (500, -32700), "{bad}: {body}");
    }
    let (status, body) = post(&url, r#"{"jsonrpc":"2.0","id":7,"method":"nope"}"#);
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found"}}"#
    );
    for params in [
        r#"{"height":5}"#,
        r#"{"height":"x"}"#,
        r#"["1","2"]"#,
        r#"5"#,
    ] {
        let (status, body) = post(
            &url,
            &format!(r#"{{"jsonrpc":"2.0","id":"s","method":"block","params":{params}}}"#),
        );
        assert_eq!((status, code(&body)), (200, -32602), "{params}: {body}");
        assert!(body.contains(r#""message":"Invalid params""#), "{body}");
        assert!(body.contains(r#""id":"s""#), "{body}");
    }
    let (status, body) = post(
        &url,
        r#"{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"99999"}}"#,
    );
    assert_eq!((status, code(&body)), (200, -32603), "{body}");
    assert!(body.contains("must be less than or equal to the current blockchain height"));
    let (status, body) = get(&url, "/block?height=abc");
    assert_eq!((status, code(&body)), (500, -32602), "{body}");
    assert!(body.contains(r#""id":-1"#), "{body}");
    let (status, body) = get(&url, "/validators?page=9");
    assert_eq!((status, code(&body)), (500, -32603), "{body}");
    let (status, body) = get(&url, "/no_such_method");
    assert_eq!((status, body.as_str()), (404, "404 page not found\n"));

    // A body over 1,000,000 bytes: -32600 and HTTP 400.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{{"tx":"{}"}}}}"#,
        "A".repeat(1_000_000)
    );
    let (status, body) = post(&url, &big);
    assert_eq!((status, code(&body)), (400, -32600), "{body}");

    // Batches: answers in order, notifications unanswered; only notifications: empty 200.
    let (status, body) = post(
        &url,
        r#"[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","method":"health"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#,
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"Method not found"}}]"#
    );
    for empty in ["[]", r#"{"jsonrpc":"2.0","method":"health"}"#] {
        assert_eq!(post(&url, empty), (200, String::new()), "{empty}");
    }

    // Still serving and producing.
    let rpc = RpcClient::new(&url).unwrap().with_timeout(T);
    let before = rpc.status().unwrap().latest_block_height;
    let after = rpc
        .wait_for_height(before + 2, Duration::from_secs(10))
        .unwrap();
    assert!(after >= before + 2);
    assert_eq!(post(&url, r#"{"id":3,"method":"health"}"#).0, 200);
    devnet.stop();
}
