//! State proofs end to end: a light client verifies the devnet's headers, then every
//! `abci_query` proof (membership and non-membership, at the latest and past heights, in
//! every substore) verifies with the verifier's ICS-23 code against the app hash of the
//! header one above the queried height.

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_devnet::{
    Application, Chain, ChainConfig, Error, KvApp, MultiStore, QueryProof, TxResult,
};
use ferry_verifier::proof::{
    cosmos_sdk_specs, iavl_spec, tendermint_spec, verify_membership, MerkleProof, ProofError,
    PROOF_OP_IAVL, PROOF_OP_SIMPLE,
};
use ferry_verifier::{verify, Consensus, LightBlock, Options, TrustedState, Verdict};

const STORES: [&str; 3] = ["bank", "ibc", "kv"];

/// KvApp with a genesis state.
struct GenesisKv(Vec<(&'static str, &'static str, &'static str)>);

impl Application for GenesisKv {
    fn init_chain(&mut self, store: &mut MultiStore) -> Result<(), Error> {
        for (name, key, value) in &self.0 {
            store.set(name, key.as_bytes(), value.as_bytes())?;
        }
        Ok(())
    }

    fn deliver_tx(&mut self, height: u64, tx: &[u8], store: &mut MultiStore) -> TxResult {
        KvApp.deliver_tx(height, tx, store)
    }
}

/// Each store's contents after each height (index 0: genesis), as the transactions say.
type Model = Vec<BTreeMap<(String, Vec<u8>), Vec<u8>>>;

fn build() -> (Chain, Model) {
    let genesis = vec![
        ("bank", "alice", "100"),
        ("bank", "bob", "50"),
        ("ibc", "clients/07-tendermint-0/clientState", "cs"),
        ("kv", "hello", "world"),
    ];
    let mut model: Model = vec![genesis
        .iter()
        .map(|(s, k, v)| {
            (
                (s.to_string(), k.as_bytes().to_vec()),
                v.as_bytes().to_vec(),
            )
        })
        .collect()];
    let mut config = ChainConfig::new("proofs-1", &[10, 20, 30, 40]);
    config.stores = STORES.iter().map(|s| s.to_string()).collect();
    let mut chain = Chain::with_app(config, Box::new(GenesisKv(genesis))).unwrap();
    let mut now = chain.genesis_time();
    for h in 1..=8u64 {
        let mut txs: Vec<String> = vec![
            format!("bank/acct-{h}={}", h * 10),
            format!("ibc/commitments/ports/transfer/channels/channel-0/sequences/{h}=c{h}"),
            format!("kv/counter={h}"),
        ];
        match h {
            3 => txs.push("bank/alice=".into()),  // delete
            5 => txs.push("bank/alice=7".into()), // back
            6 => txs.push("kv/hello=".into()),
            _ => {}
        }
        let mut state = model.last().unwrap().clone();
        for tx in &txs {
            let (name, rest) = tx.split_once('/').unwrap();
            let (key, value) = rest.split_once('=').unwrap();
            let k = (name.to_string(), key.as_bytes().to_vec());
            if value.is_empty() {
                state.remove(&k);
            } else {
                state.insert(k, value.as_bytes().to_vec());
            }
        }
        model.push(state);
        let txs = txs.into_iter().map(String::into_bytes).collect();
        chain.produce_block(txs, now).unwrap();
        now = now.checked_add(Duration::from_secs(1)).unwrap();
    }
    (chain, model)
}

fn keys() -> Vec<(&'static str, String)> {
    let mut keys = vec![
        ("bank", "alice".to_string()),
        ("bank", "bob".to_string()),
        ("bank", "carol".to_string()),
        ("ibc", "clients/07-tendermint-0/clientState".to_string()),
        ("ibc", "clients/07-tendermint-1/clientState".to_string()),
        ("kv", "hello".to_string()),
        ("kv", "counter".to_string()),
    ];
    for h in 0..=9 {
        keys.push(("bank", format!("acct-{h}")));
        keys.push((
            "ibc",
            format!("commitments/ports/transfer/channels/channel-0/sequences/{h}"),
        ));
    }
    keys
}

fn check(q: &QueryProof, root: &[u8], store: &str, key: &[u8]) -> Result<(), ProofError> {
    let proof = MerkleProof::from_proof_ops(&q.ops)?;
    let path: [&[u8]; 2] = [store.as_bytes(), key];
    match &q.value {
        Some(v) => proof.verify_membership(&cosmos_sdk_specs(), root, &path, v),
        None => proof.verify_non_membership(&cosmos_sdk_specs(), root, &path),
    }
}

#[test]
fn every_proof_verifies_against_the_next_verified_header() {
    let (chain, model) = build();
    let latest = chain.height();
    type Lb = LightBlock<8>;
    let first: Lb = chain.light_block(1).unwrap();
    let (mut present, mut absent) = (0, 0);
    for h in 0..latest {
        // The light client first verifies the header that carries the app hash.
        let header_block: Lb = chain.light_block(h + 1).unwrap();
        if h + 1 > 1 {
            let now = header_block
                .header()
                .time
                .checked_add(Duration::from_secs(1))
                .unwrap();
            let v = verify(
                &Consensus,
                &TrustedState::from_light_block(&first),
                &header_block,
                now,
                &Options::default(),
            );
            assert!(matches!(v, Verdict::Success), "header {}: {v:?}", h + 1);
        }
        let app_hash = header_block.header().app_hash.as_bytes().to_vec();
        for (store, key) in keys() {
            let q = if h == 0 {
                // Genesis: the store answers at version 0 (abci_query's height 0 means latest).
                chain.store().query(store, key.as_bytes(), 0).unwrap()
            } else {
                chain.query(store, key.as_bytes(), h).unwrap()
            };
            assert_eq!(q.version, h);
            assert_eq!(q.app_hash.to_vec(), app_hash);
            let expected = model[h as usize].get(&(store.to_string(), key.as_bytes().to_vec()));
            assert_eq!(q.value.as_ref(), expected, "{store}/{key} at {h}");
            if q.value.is_some() {
                present += 1;
            } else {
                absent += 1;
            }
            check(&q, &app_hash, store, key.as_bytes())
                .unwrap_or_else(|e| panic!("{store}/{key} at {h}: {e}"));
            // The ops are what a Cosmos client expects: the store proof then the root proof.
            assert_eq!(q.ops[0].kind, PROOF_OP_IAVL);
            assert_eq!(q.ops[0].key, key.as_bytes());
            assert_eq!(q.ops[1].kind, PROOF_OP_SIMPLE);
            assert_eq!(q.ops[1].key, store.as_bytes());
        }
    }
    assert!(
        present > 40 && absent > 40,
        "{present} present, {absent} absent"
    );
}

#[test]
fn latest_height_and_single_op_checks() {
    let (chain, model) = build();
    let latest = chain.height();
    // Height 0 is the latest state; its app hash is the one the next header will carry.
    let q = chain.query("kv", b"counter", 0).unwrap();
    assert_eq!(q.version, latest);
    assert_eq!(q.value.as_deref(), Some(b"8".as_slice()));
    assert_eq!(q.app_hash, chain.app_hash());
    check(&q, &chain.app_hash(), "kv", b"counter").unwrap();
    assert_eq!(
        model[latest as usize].get(&("kv".to_string(), b"counter".to_vec())),
        Some(&b"8".to_vec())
    );
    // Each op alone: the store proof against the store root, the root proof against the app
    // hash, with their single specs.
    let proof = MerkleProof::from_proof_ops(&q.ops).unwrap();
    let store_root = chain.store().store_root("kv", latest).unwrap();
    verify_membership(
        &iavl_spec(),
        &store_root,
        &proof.proofs[0],
        b"counter",
        b"8",
    )
    .unwrap();
    verify_membership(
        &tendermint_spec(),
        &chain.app_hash(),
        &proof.proofs[1],
        b"kv",
        &store_root,
    )
    .unwrap();
    // Beyond the chain: refused.
    assert!(matches!(
        chain.query("kv", b"counter", latest + 1),
        Err(Error::UnknownHeight { .. })
    ));
}

#[test]
fn proofs_do_not_prove_what_is_not_so() {
    let (chain, _) = build();
    let root_at = |h: u64| {
        chain
            .block(h + 1)
            .unwrap()
            .header
            .app_hash
            .as_bytes()
            .to_vec()
    };
    // alice is deleted at 3 and back at 5.
    let at2 = chain.query("bank", b"alice", 2).unwrap();
    let at3 = chain.query("bank", b"alice", 3).unwrap();
    assert_eq!(at2.value.as_deref(), Some(b"100".as_slice()));
    assert_eq!(at3.value, None);
    check(&at2, &root_at(2), "bank", b"alice").unwrap();
    check(&at3, &root_at(3), "bank", b"alice").unwrap();
    // A proof holds against its own height's app hash only.
    assert!(check(&at2, &root_at(3), "bank", b"alice").is_err());
    assert!(check(&at3, &root_at(2), "bank", b"alice").is_err());
    // A forged value, another key, another store: refused.
    let mut forged = at2.clone();
    forged.value = Some(b"1000000".to_vec());
    assert!(check(&forged, &root_at(2), "bank", b"alice").is_err());
    assert!(check(&at2, &root_at(2), "bank", b"bob").is_err());
    assert!(check(&at2, &root_at(2), "kv", b"alice").is_err());
    // An absence proof cannot be passed off as presence, nor the reverse.
    let mut absent_as_present = at3.clone();
    absent_as_present.value = Some(b"100".to_vec());
    assert!(check(&absent_as_present, &root_at(3), "bank", b"alice").is_err());
    let mut present_as_absent = at2.clone();
    present_as_absent.value = None;
    assert!(check(&present_as_absent, &root_at(2), "bank", b"alice").is_err());
    // A changed byte in either op breaks it.
    for op in 0..2 {
        let mut bad = at2.clone();
        let n = bad.ops[op].data.len();
        bad.ops[op].data[n / 2] ^= 0x01;
        assert!(
            check(&bad, &root_at(2), "bank", b"alice").is_err(),
            "op {op}"
        );
    }
}

#[test]
fn empty_stores_and_bad_queries_are_refused() {
    let mut config = ChainConfig::new("proofs-empty", &[1]);
    config.stores = vec!["full".into(), "empty".into()];
    let mut chain = Chain::new(config).unwrap();
    chain
        .produce_block(vec![b"full/k=v".to_vec()], chain.genesis_time())
        .unwrap();
    // An empty store answers as an SDK chain does, with a non-existence proof that has no
    // neighbour: ICS-23 cannot prove absence from an empty tree, and the verifier says so.
    let empty = chain.query("empty", b"k", 1).unwrap();
    assert_eq!(empty.value, None);
    assert_eq!(empty.ops[0].kind, PROOF_OP_IAVL);
    let root1 = chain.app_hash();
    assert!(check(&empty, &root1, "empty", b"k").is_err());
    // Its root proof still shows the empty store's root, sha256(""), under the app hash.
    let proof = MerkleProof::from_proof_ops(&empty.ops).unwrap();
    verify_membership(
        &tendermint_spec(),
        &root1,
        &proof.proofs[1],
        b"empty",
        &ferry_verifier::merkle::sha256(b""),
    )
    .unwrap();
    assert!(matches!(
        chain.query("nope", b"k", 1),
        Err(Error::UnknownStore { .. })
    ));
    assert_eq!(chain.query("full", b"", 1), Err(Error::EmptyKey));
    let q = chain.query("full", b"k", 1).unwrap();
    chain
        .produce_block(Vec::new(), chain.genesis_time())
        .unwrap();
    let root = chain.block(2).unwrap().header.app_hash.as_bytes().to_vec();
    check(&q, &root, "full", b"k").unwrap();
}
