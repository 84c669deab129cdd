//! Ferry's ICS-23 proof code against real state proofs: two simd chains (ferry-a, ferry-b) run
//! at once; on each, `abci_query` with `prove=true` of a bank balance (present and absent)
//! and of an IBC store key at height H returns ProofOps (`ics23:iavl` then `ics23:simple`)
//! that verify against the app hash of the header at H + 1, which ferry-verifier verified
//! first; an altered proof byte, key, value or root is refused.

mod common;

use std::time::Instant;

use common::{mark, options, Block, N, WAIT};
use ferry_testnet::{balance_key, now, require_chains, AbciQuery, RpcClient, SimdChain};
use ferry_verifier::proof::{cosmos_sdk_specs, MerkleProof, ProofOp};
use ferry_verifier::{bisect, Height, Zebra};

fn query(rpc: &RpcClient, store: &str, key: &[u8], height: u64) -> (AbciQuery, MerkleProof) {
    let q = rpc
        .abci_query(&format!("store/{store}/key"), key, Some(height), true)
        .unwrap();
    assert_eq!((q.code, q.height), (0, height), "{}", q.log);
    let kinds: Vec<&str> = q.proof_ops.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(kinds, ["ics23:iavl", "ics23:simple"]);
    assert_eq!(q.proof_ops[0].key, key);
    assert_eq!(q.proof_ops[1].key, store.as_bytes());
    let proof = MerkleProof::from_proof_ops(&q.proof_ops).unwrap();
    (q, proof)
}

/// Every one-byte change of every op's data is refused (undecodable or not verifying).
fn each_byte_change_refused(
    ops: &[ProofOp],
    check: impl Fn(&MerkleProof) -> bool,
    what: &str,
) -> usize {
    let mut tried = 0;
    for i in 0..ops.len() {
        for j in 0..ops[i].data.len() {
            for flip in [0x01u8, 0x80] {
                let mut ops = ops.to_vec();
                ops[i].data[j] ^= flip;
                if let Ok(p) = MerkleProof::from_proof_ops(&ops) {
                    assert!(
                        !check(&p),
                        "{what}: op {i} byte {j} ^ {flip:#04x} still verifies"
                    );
                }
                tried += 1;
            }
        }
    }
    tried
}

fn check_chain(chain: &SimdChain, t0: Instant) {
    let rpc = chain.rpc();
    let id = chain.chain_id();
    assert_eq!(rpc.status().unwrap().network, id);
    let latest = rpc.wait_for_height(6, WAIT).unwrap();
    // H + 1 has a canonical commit (from H + 2 <= latest).
    let h = latest - 2;

    // The root of trust is height 2; the header at H + 1 is verified from it over RPC.
    let trusted = rpc.light_block::<N>(2).unwrap();
    let trace = bisect::verify_to_height(
        &Zebra,
        &*trusted,
        Height::new(h + 1).unwrap(),
        &mut rpc.clone(),
        now(),
        &options(),
        16,
    )
    .unwrap();
    let verified: &Block = trace.verified.last().unwrap();
    assert_eq!(verified.height().value(), h + 1);
    assert_eq!(verified.header().chain_id.as_str(), id);
    assert_eq!(verified.header().hash(), rpc.block_hash(h + 1).unwrap());
    let root = verified.header().app_hash.as_bytes().to_vec();
    assert_eq!(root.len(), 32);
    // The app hash at H, the wrong root for a query at H (unless no state changed).
    let wrong_root = rpc
        .light_block::<N>(h)
        .unwrap()
        .header()
        .app_hash
        .as_bytes()
        .to_vec();
    mark(
        t0,
        &format!("{id}: verified header {} (app hash root)", h + 1),
    );

    let specs = cosmos_sdk_specs();
    let user = chain.account("user").unwrap();

    // Membership: the user's genesis balance.
    let key = balance_key(&user.address_bytes, "stake");
    let (q, proof) = query(&rpc, "bank", &key, h);
    let value = q.value.clone().unwrap();
    assert_eq!(value, user.balance.to_string().as_bytes());
    let path = |k: &[u8]| vec![b"bank".to_vec(), k.to_vec()];
    proof
        .verify_membership(&specs, &root, &path(&key), &value)
        .unwrap();
    // Refused: another value, another key, another store, another root, absence.
    let mut other = value.clone();
    *other.last_mut().unwrap() ^= 1;
    assert!(proof
        .verify_membership(&specs, &root, &path(&key), &other)
        .is_err());
    let mut other_key = key.clone();
    other_key[5] ^= 1;
    assert!(proof
        .verify_membership(&specs, &root, &path(&other_key), &value)
        .is_err());
    assert!(proof
        .verify_membership(&specs, &root, &[b"ibc".to_vec(), key.clone()], &value)
        .is_err());
    if wrong_root != root {
        assert!(proof
            .verify_membership(&specs, &wrong_root, &path(&key), &value)
            .is_err());
    }
    assert!(proof
        .verify_non_membership(&specs, &root, &path(&key))
        .is_err());
    let n = each_byte_change_refused(
        &q.proof_ops,
        |p| {
            p.verify_membership(&specs, &root, &path(&key), &value)
                .is_ok()
        },
        "membership",
    );
    mark(
        t0,
        &format!("{id}: bank balance membership; {n} altered proofs refused"),
    );

    // Non-membership: a denomination nobody holds.
    let absent = balance_key(&user.address_bytes, "ferrycoin");
    let (q, proof) = query(&rpc, "bank", &absent, h);
    assert_eq!(q.value, None);
    proof
        .verify_non_membership(&specs, &root, &path(&absent))
        .unwrap();
    assert!(proof
        .verify_membership(&specs, &root, &path(&absent), b"1")
        .is_err());
    // The absence proof does not prove the absence of the key that is there.
    assert!(proof
        .verify_non_membership(&specs, &root, &path(&key))
        .is_err());
    if wrong_root != root {
        assert!(proof
            .verify_non_membership(&specs, &wrong_root, &path(&absent))
            .is_err());
    }
    let n = each_byte_change_refused(
        &q.proof_ops,
        |p| {
            p.verify_non_membership(&specs, &root, &path(&absent))
                .is_ok()
        },
        "non-membership",
    );
    mark(
        t0,
        &format!("{id}: bank non-membership; {n} altered proofs refused"),
    );

    // The IBC store: ibc-go's next client sequence (0 on a fresh chain, 8 bytes big-endian).
    let ibc_key = b"nextClientSequence".to_vec();
    let (q, proof) = query(&rpc, "ibc", &ibc_key, h);
    let value = q.value.clone().unwrap();
    assert_eq!(value, 0u64.to_be_bytes());
    let ibc_path = [b"ibc".to_vec(), ibc_key.clone()];
    proof
        .verify_membership(&specs, &root, &ibc_path, &value)
        .unwrap();
    assert!(proof
        .verify_membership(&specs, &root, &ibc_path, &1u64.to_be_bytes())
        .is_err());
    mark(t0, &format!("{id}: ibc nextClientSequence membership"));
}

#[test]
fn real_simd_state_proofs_verify_against_verified_app_hash() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let a = SimdChain::start("ferry-a").unwrap();
    mark(t0, &format!("ferry-a up at {}", a.rpc_url()));
    let b = SimdChain::start("ferry-b").unwrap();
    mark(t0, &format!("ferry-b up at {}", b.rpc_url()));
    assert_ne!(a.rpc_url(), b.rpc_url());
    // Same mnemonic, same HD paths: the same accounts on both chains.
    assert_eq!(a.accounts(), b.accounts());
    let names: Vec<&str> = a.accounts().iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["val", "relayer", "user"]);
    for chain in [&a, &b] {
        check_chain(chain, t0);
    }
}
