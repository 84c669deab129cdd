//! The devnet's IAVL store proofs against a real Cosmos SDK chain's: the `abci_query` answers an
//! ibc-go v10 simd (Cosmos SDK v0.53, iavl v1) gave on loopback (`fixtures/data/real/simd`, see
//! its manifest). The real proofs' node hashes are recomputed with the devnet's own IAVL hash
//! functions up to the real store root; their leaf and inner ops follow exactly the encoding the
//! devnet writes; and the devnet's own proofs have the same structure, so that a client reading
//! one reads the other.

use std::path::PathBuf;
use std::time::Duration;

use ferry_devnet::iavl::{self, put_varint};
use ferry_devnet::{Chain, ChainConfig, QueryProof};
use ferry_verifier::proof::ics23::commitment_proof::Proof;
use ferry_verifier::proof::{
    calculate_existence_root, cosmos_sdk_specs, ExistenceProof, HashOp, InnerOp, LengthOp,
    MerkleProof, ProofOp, PROOF_OP_IAVL, PROOF_OP_SIMPLE,
};
use serde_json::Value;

fn simd() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/data/real/simd")
}

fn read(name: &str) -> Value {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(simd().join(name)).unwrap()).unwrap();
    v.get("result").cloned().unwrap_or(v)
}

fn ops(answer: &Value) -> Vec<ProofOp> {
    serde_json::from_value(answer["response"]["proofOps"]["ops"].clone()).unwrap()
}

/// Reads one Go signed varint.
fn varint(bytes: &[u8], at: &mut usize) -> i64 {
    let mut u: u64 = 0;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        u |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// One IAVL inner op taken apart: height, size, version, and the sibling hash with its side
/// (`true`: the sibling is on the left).
#[derive(Debug)]
struct Inner {
    height: u8,
    size: u64,
    version: u64,
    sibling_left: bool,
    sibling: [u8; 32],
}

/// Parses an inner op as iavl's `convertInnerOps` writes it, and checks that writing the parsed
/// fields back with the devnet's encoder gives the same bytes (canonical varints, the 0x20
/// length bytes where iavl puts them, nothing else).
fn parse_inner(op: &InnerOp) -> Inner {
    assert_eq!(op.hash, HashOp::Sha256 as i32);
    let mut at = 0;
    let height = varint(&op.prefix, &mut at);
    let size = varint(&op.prefix, &mut at);
    let version = varint(&op.prefix, &mut at);
    assert!(height >= 1 && size >= 2 && version >= 0, "{op:?}");
    let mut expected = Vec::new();
    put_varint(&mut expected, height);
    put_varint(&mut expected, size);
    put_varint(&mut expected, version);
    let rest = &op.prefix[at..];
    let (sibling_left, sibling) = if rest.len() == 34 {
        assert_eq!((rest[0], rest[33]), (32, 32));
        assert!(op.suffix.is_empty());
        (true, <[u8; 32]>::try_from(&rest[1..33]).unwrap())
    } else {
        assert_eq!(rest, [32]);
        assert_eq!((op.suffix.len(), op.suffix[0]), (33, 32));
        (false, <[u8; 32]>::try_from(&op.suffix[1..]).unwrap())
    };
    expected.push(32);
    if sibling_left {
        expected.extend_from_slice(&sibling);
        expected.push(32);
    }
    assert_eq!(
        op.prefix, expected,
        "prefix not in iavl's canonical encoding"
    );
    Inner {
        height: u8::try_from(height).unwrap(),
        size: u64::try_from(size).unwrap(),
        version: u64::try_from(version).unwrap(),
        sibling_left,
        sibling,
    }
}

/// Checks an existence proof's ops against iavl's encoding rules and recomputes its root with
/// the devnet's node hash functions (not with the proof's own prefix bytes).
fn recompute_root(ex: &ExistenceProof) -> [u8; 32] {
    let leaf = ex.leaf.as_ref().unwrap();
    assert_eq!(leaf.hash, HashOp::Sha256 as i32);
    assert_eq!(leaf.prehash_key, HashOp::NoHash as i32);
    assert_eq!(leaf.prehash_value, HashOp::Sha256 as i32);
    assert_eq!(leaf.length, LengthOp::VarProto as i32);
    let mut at = 0;
    assert_eq!(varint(&leaf.prefix, &mut at), 0, "leaf height");
    assert_eq!(varint(&leaf.prefix, &mut at), 1, "leaf size");
    let version = u64::try_from(varint(&leaf.prefix, &mut at)).unwrap();
    assert_eq!(at, leaf.prefix.len());
    assert_eq!(
        *leaf,
        iavl::leaf_op(version),
        "leaf op not as the devnet writes it"
    );
    let mut hash = iavl::leaf_hash(&ex.key, &ex.value, version);
    let (mut height, mut size, mut top_version) = (0u8, 1u64, version);
    for op in &ex.path {
        let inner = parse_inner(op);
        // Going up: taller, bigger, never older than below (a node is rewritten whenever a
        // node below it is).
        assert!(inner.height > height && inner.size > size, "{inner:?}");
        assert!(inner.version >= top_version, "{inner:?}");
        (height, size, top_version) = (inner.height, inner.size, inner.version);
        hash = if inner.sibling_left {
            iavl::inner_hash(
                inner.height,
                inner.size,
                inner.version,
                &inner.sibling,
                &hash,
            )
        } else {
            iavl::inner_hash(
                inner.height,
                inner.size,
                inner.version,
                &hash,
                &inner.sibling,
            )
        };
    }
    assert_eq!(
        calculate_existence_root(ex).unwrap(),
        hash.to_vec(),
        "the verifier and the devnet's hashes disagree"
    );
    hash
}

/// The store root the root proof (`ics23:simple`) commits to.
fn store_root_of(op: &ProofOp) -> Vec<u8> {
    let Some(Proof::Exist(ex)) = op.commitment_proof().unwrap().proof else {
        panic!("root proof is not an existence proof");
    };
    ex.value
}

fn app_hash_at_root_height() -> Vec<u8> {
    let header = &read("commit-5.json")["signed_header"]["header"];
    hex_decode(header["app_hash"].as_str().unwrap())
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn real_simd_existence_proofs_hash_as_the_devnet_hashes_iavl_nodes() {
    let manifest = read("manifest.json");
    assert_eq!(manifest["query_height"], 4);
    for file in [
        "abci-bank-present.json",
        "abci-ibc-next-client-sequence.json",
    ] {
        let answer = read(file);
        let ops = ops(&answer);
        assert_eq!(ops[0].kind, PROOF_OP_IAVL);
        assert_eq!(ops[1].kind, PROOF_OP_SIMPLE);
        let Some(Proof::Exist(ex)) = ops[0].commitment_proof().unwrap().proof else {
            panic!("{file}: not an existence proof");
        };
        assert_eq!(ex.key, ops[0].key);
        // Every node on the path was written at or before the queried height.
        let root = recompute_root(&ex);
        assert_eq!(root.to_vec(), store_root_of(&ops[1]), "{file}");
        // And the whole chain verifies with the SDK specs against the next header's app hash.
        MerkleProof::from_proof_ops(&ops)
            .unwrap()
            .verify_membership(
                &cosmos_sdk_specs(),
                &app_hash_at_root_height(),
                &[ops[1].key.as_slice(), ops[0].key.as_slice()],
                &ex.value,
            )
            .unwrap();
    }
}

#[test]
fn real_simd_non_existence_proof_has_the_devnet_shape() {
    let answer = read("abci-bank-absent.json");
    let ops = ops(&answer);
    assert!(answer["response"]["value"].is_null());
    let Some(Proof::Nonexist(non)) = ops[0].commitment_proof().unwrap().proof else {
        panic!("not a non-existence proof");
    };
    assert_eq!(non.key, ops[0].key);
    let (left, right) = (non.left.unwrap(), non.right.unwrap());
    // The neighbours: the greatest key below and the smallest above, with the same root.
    assert!(left.key < non.key && non.key < right.key);
    let root = recompute_root(&left);
    assert_eq!(recompute_root(&right), root);
    assert_eq!(root.to_vec(), store_root_of(&ops[1]));
    MerkleProof::from_proof_ops(&ops)
        .unwrap()
        .verify_non_membership(
            &cosmos_sdk_specs(),
            &app_hash_at_root_height(),
            &[ops[1].key.as_slice(), ops[0].key.as_slice()],
        )
        .unwrap();
}

/// The devnet's answers pass the same checks as the real chain's: the same op types and keys,
/// leaf and inner ops in iavl's exact encoding, recomputable with iavl's node hashes.
#[test]
fn devnet_proofs_pass_the_checks_real_proofs_pass() {
    let mut config = ChainConfig::new("iavl-real-1", &[1, 1, 1]);
    config.stores = vec!["bank".into(), "ibc".into()];
    let mut chain = Chain::new(config).unwrap();
    let mut now = chain.genesis_time();
    for h in 1..=12u64 {
        let txs = (0..h * 3)
            .map(|i| format!("bank/acct-{:02}={h}", (i * 7 + h) % 40).into_bytes())
            .chain([format!("ibc/nextClientSequence={h}").into_bytes()])
            .collect();
        chain.produce_block(txs, now).unwrap();
        now = now.checked_add(Duration::from_secs(1)).unwrap();
    }
    chain.produce_block(Vec::new(), now).unwrap();
    let check = |q: &QueryProof, store: &str, key: &[u8]| {
        assert_eq!(q.ops[0].kind, PROOF_OP_IAVL);
        assert_eq!(q.ops[0].key, key);
        assert_eq!(q.ops[1].kind, PROOF_OP_SIMPLE);
        assert_eq!(q.ops[1].key, store.as_bytes());
        let store_root = store_root_of(&q.ops[1]);
        assert_eq!(
            store_root,
            chain.store().store_root(store, q.version).unwrap().to_vec()
        );
        match q.ops[0].commitment_proof().unwrap().proof.unwrap() {
            Proof::Exist(ex) => {
                assert_eq!(Some(&ex.value), q.value.as_ref());
                assert_eq!(recompute_root(&ex).to_vec(), store_root);
            }
            Proof::Nonexist(non) => {
                assert!(q.value.is_none());
                for n in [&non.left, &non.right].into_iter().flatten() {
                    assert_eq!(recompute_root(n).to_vec(), store_root);
                }
                assert!(non.left.is_some() || non.right.is_some());
            }
            other => panic!("unexpected proof {other:?}"),
        }
        let header = chain.block(q.version + 1).unwrap();
        let path: [&[u8]; 2] = [store.as_bytes(), key];
        let proof = MerkleProof::from_proof_ops(&q.ops).unwrap();
        let root = header.header.app_hash.as_bytes();
        match &q.value {
            Some(v) => proof.verify_membership(&cosmos_sdk_specs(), root, &path, v),
            None => proof.verify_non_membership(&cosmos_sdk_specs(), root, &path),
        }
        .unwrap();
    };
    let mut seen_exist = 0;
    for h in 1..=12u64 {
        for i in 0..42u64 {
            let key = format!("acct-{i:02}");
            let q = chain.query("bank", key.as_bytes(), h).unwrap();
            seen_exist += usize::from(q.value.is_some());
            check(&q, "bank", key.as_bytes());
        }
        let q = chain.query("ibc", b"nextClientSequence", h).unwrap();
        assert_eq!(q.value, Some(h.to_string().into_bytes()));
        check(&q, "ibc", b"nextClientSequence");
        // Written at every height: its leaf carries the queried height as its version.
        let Some(Proof::Exist(ex)) = q.ops[0].commitment_proof().unwrap().proof else {
            panic!("not an existence proof");
        };
        assert_eq!(ex.leaf, Some(iavl::leaf_op(h)));
    }
    assert!(seen_exist > 100);
}

/// Any single changed bit in a devnet store proof (existence or absence) makes it fail, but
/// for bits that change only a non-existence proof's own `key` field: ICS-23 does not
/// authenticate it (verifiers, ics23 Go's too, check the neighbours against the key asked
/// about), so such a proof still proves just what it proved.
#[test]
fn every_bit_flip_of_a_store_proof_is_refused() {
    let mut config = ChainConfig::new("iavl-flip-1", &[1]);
    config.stores = vec!["bank".into()];
    let mut chain = Chain::new(config).unwrap();
    let txs = (0..20)
        .map(|i| format!("bank/k{:02}=v{i}", i * 2).into_bytes())
        .collect();
    chain.produce_block(txs, chain.genesis_time()).unwrap();
    chain
        .produce_block(Vec::new(), chain.genesis_time())
        .unwrap();
    let root = chain.block(2).unwrap().header.app_hash.as_bytes().to_vec();
    for (key, present) in [
        (&b"k10"[..], true),
        (&b"k11"[..], false),
        (&b"a"[..], false),
    ] {
        let q = chain.query("bank", key, 1).unwrap();
        assert_eq!(q.value.is_some(), present);
        let verify = |ops: &[ProofOp]| {
            let path: [&[u8]; 2] = [b"bank", key];
            let proof = MerkleProof::from_proof_ops(ops)?;
            match &q.value {
                Some(v) => proof.verify_membership(&cosmos_sdk_specs(), &root, &path, v),
                None => proof.verify_non_membership(&cosmos_sdk_specs(), &root, &path),
            }
        };
        verify(&q.ops).unwrap();
        let data = &q.ops[0].data;
        let original = q.ops[0].commitment_proof().unwrap();
        let same_but_key = |op: &ProofOp| match (op.commitment_proof(), &original.proof) {
            (Ok(p), Some(Proof::Nonexist(orig))) => match p.proof {
                Some(Proof::Nonexist(mut non)) => {
                    non.key = orig.key.clone();
                    non == *orig
                }
                _ => false,
            },
            _ => false,
        };
        let mut unauthenticated = 0;
        for i in 0..data.len() {
            for bit in 0..8 {
                let mut ops = q.ops.clone();
                ops[0].data[i] ^= 1 << bit;
                if same_but_key(&ops[0]) {
                    unauthenticated += 1;
                    continue;
                }
                assert!(
                    verify(&ops).is_err(),
                    "{}: flipping bit {bit} of byte {i} of {} still verifies",
                    String::from_utf8_lossy(key),
                    data.len()
                );
            }
        }
        // At most the key field's tag, length and bytes.
        assert!(unauthenticated <= 8 * (2 + key.len()), "{unauthenticated}");
        assert_eq!(present, unauthenticated == 0);
    }
}
