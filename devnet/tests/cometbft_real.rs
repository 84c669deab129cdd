//! The devnet's algorithms against a real CometBFT v0.38.26 network's answers
//! (`fixtures/data/real/cometbft-4`: 4 validators running kvstore, a validator joining by a
//! transaction at height 4 and another's power changed at 5): block ids and part sets of the
//! real blocks' encodings, data and last-commit hashes, BFT times, the genesis priorities and
//! every later height's proposer priorities and proposer, across both changes.

use std::path::PathBuf;

use ferry_devnet::encode::{self, part_set_header};
use ferry_devnet::validators::Validator;
use ferry_devnet::{median_time, TxResult, ValidatorSet, ValidatorUpdate};
use ferry_verifier::block::{BlockId, Commit, CommitSig, Header};
use ferry_verifier::pb::{self, Message};
use ferry_verifier::types::decode_base64_into;
use ferry_verifier::{Address, PublicKey};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/data/real/cometbft-4")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v.get("result").cloned().unwrap_or(v)
}

fn b64(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len() / 4 * 3 + 3];
    let n = decode_base64_into(s, &mut out, "test").unwrap();
    out.truncate(n);
    out
}

struct RealBlock {
    header: Header,
    block_id: BlockId,
    txs: Vec<Vec<u8>>,
    last_commit: pb::Commit,
    last_commit_sigs: Vec<CommitSig>,
}

fn block(h: u64) -> RealBlock {
    let r = load(&format!("block-{h}.json"));
    let b = &r["block"];
    let header: Header = serde_json::from_value(b["header"].clone()).unwrap();
    let block_id: BlockId = serde_json::from_value(r["block_id"].clone()).unwrap();
    let txs = b["data"]["txs"]
        .as_array()
        .map(|a| a.iter().map(|t| b64(t.as_str().unwrap())).collect())
        .unwrap_or_default();
    assert_eq!(b["evidence"]["evidence"].as_array().map(Vec::len), Some(0));
    let (last_commit, last_commit_sigs) = if h == 1 {
        // The first block's last commit is empty (height 0): CometBFT encodes it all the same.
        assert_eq!(b["last_commit"]["height"], "0");
        (pb::Commit::default(), Vec::new())
    } else {
        let c: Commit<16> = serde_json::from_value(b["last_commit"].clone()).unwrap();
        (pb::Commit::from(&c), c.signatures.to_vec())
    };
    RealBlock {
        header,
        block_id,
        txs,
        last_commit,
        last_commit_sigs,
    }
}

/// The validator set at `h` with the priorities the node reports, from every page.
fn validators(h: u64) -> ValidatorSet {
    let mut vals = Vec::new();
    for page in 1.. {
        let path = format!("validators-{h}-{page}.json");
        if !dir().join(&path).exists() {
            break;
        }
        for v in load(&path)["validators"].as_array().unwrap() {
            let key: [u8; 32] = b64(v["pub_key"]["value"].as_str().unwrap())
                .try_into()
                .unwrap();
            let pub_key = PublicKey(key);
            assert_eq!(
                pub_key.address(),
                Address::from_hex(v["address"].as_str().unwrap()).unwrap()
            );
            vals.push(Validator {
                pub_key,
                address: pub_key.address(),
                power: v["voting_power"].as_str().unwrap().parse().unwrap(),
                priority: v["proposer_priority"].as_str().unwrap().parse().unwrap(),
            });
        }
    }
    ValidatorSet::from_validators(vals).unwrap()
}

/// kvstore's validator transactions in block `h`: `val=ed25519!<base64 key>!<power>`.
fn updates(h: u64) -> Vec<ValidatorUpdate> {
    block(h)
        .txs
        .iter()
        .filter_map(|tx| {
            let text = std::str::from_utf8(tx).ok()?.strip_prefix("val=")?;
            let mut parts = text.split('!');
            assert_eq!(parts.next(), Some("ed25519"));
            let key: [u8; 32] = b64(parts.next()?).try_into().ok()?;
            Some(ValidatorUpdate {
                pub_key: PublicKey(key),
                power: parts.next()?.parse().ok()?,
            })
        })
        .collect()
}

fn priorities(set: &ValidatorSet) -> Vec<(Address, i64, i64)> {
    set.validators()
        .iter()
        .map(|v| (v.address, v.power, v.priority))
        .collect()
}

const HEIGHTS: std::ops::RangeInclusive<u64> = 1..=9;

#[test]
fn block_ids_and_part_sets_match_the_real_blocks() {
    for h in HEIGHTS {
        let b = block(h);
        assert_eq!(b.header.hash(), b.block_id.hash, "header hash at {h}");
        let encoded = encode::Block {
            header: pb::Header::from(&b.header),
            data: encode::Data { txs: b.txs.clone() },
            evidence: pb::EvidenceList::default(),
            last_commit: Some(b.last_commit.clone()),
        }
        .encode_to_vec();
        assert_eq!(
            part_set_header(&encoded),
            b.block_id.part_set_header,
            "part set at {h}"
        );
        assert_eq!(
            encode::data_hash(&b.txs),
            b.header.data_hash,
            "data hash at {h}"
        );
        assert_eq!(
            encode::commit_hash(&b.last_commit),
            b.header.last_commit_hash,
            "last commit hash at {h}"
        );
        assert_eq!(
            encode::evidence_hash(&[]),
            b.header.evidence_hash,
            "evidence hash at {h}"
        );
        assert_eq!(
            encode::consensus_hash(22_020_096, -1),
            b.header.consensus_hash
        );
        if h > 1 {
            assert_eq!(b.header.last_block_id, block(h - 1).block_id);
        }
    }
    // Two blocks carry transactions, so the data hash over transaction hashes is exercised.
    assert_eq!(block(4).txs.len(), 1);
    assert_eq!(block(5).txs.len(), 1);
    // The first header's last_results_hash is the empty tree's root, not empty.
    assert_eq!(block(1).header.last_results_hash, encode::results_hash(&[]));
    // kvstore answers its validator transactions with code 0 and nothing else: the headers
    // after blocks 4 and 5 carry the root of one empty deterministic result; the others none.
    for h in 2..=*HEIGHTS.end() {
        let results = vec![TxResult::default(); block(h - 1).txs.len()];
        assert_eq!(
            block(h).header.last_results_hash,
            encode::results_hash(&results),
            "last results hash at {h}"
        );
    }
}

#[test]
fn block_times_are_the_weighted_medians_of_the_real_votes() {
    for h in 2..=*HEIGHTS.end() {
        let b = block(h);
        assert_eq!(
            median_time(&b.last_commit_sigs, &validators(h - 1)),
            b.header.time,
            "time at {h}"
        );
    }
}

#[test]
fn genesis_priorities_and_every_rotation_match_the_real_network() {
    // Genesis: NewValidatorSet (validators at height 1), NextValidators incremented once more.
    let at1 = validators(1);
    let genesis: Vec<(PublicKey, u64)> = at1
        .validators()
        .iter()
        .map(|v| (v.pub_key, v.power as u64))
        .collect();
    let mut ours = ValidatorSet::new(&genesis).unwrap();
    assert_eq!(priorities(&ours), priorities(&at1));
    assert_eq!(
        ours.proposer().unwrap().address,
        block(1).header.proposer_address
    );
    assert_eq!(ours.hash().unwrap(), block(1).header.validators_hash);
    ours.increment_proposer_priority(1);
    assert_eq!(priorities(&ours), priorities(&validators(2)));

    // Then each height from the one before: the updates returned two blocks earlier, then one
    // increment; its proposer is the header's.
    let mut changed = 0;
    for h in 2..=9u64 {
        let mut next = validators(h);
        let ups = updates(h - 1);
        if !ups.is_empty() {
            changed += 1;
        }
        next.update_with_change_set(&ups).unwrap();
        next.increment_proposer_priority(1);
        let real = validators(h + 1);
        assert_eq!(
            priorities(&next),
            priorities(&real),
            "priorities at {}",
            h + 1
        );
        let header = if h < *HEIGHTS.end() {
            block(h + 1).header
        } else {
            serde_json::from_value(
                load(&format!("commit-{}.json", h + 1))["signed_header"]["header"].clone(),
            )
            .unwrap()
        };
        assert_eq!(
            next.proposer().unwrap().address,
            header.proposer_address,
            "proposer at {}",
            h + 1
        );
        assert_eq!(next.hash().unwrap(), header.validators_hash);
    }
    // Both changes (the join at 4, the power change at 5) were applied on the way.
    assert_eq!(changed, 2);
    assert_eq!(validators(6).len(), 5);
}

/// The root proof of a real Cosmos SDK chain (ibc-go simd, SDK v0.53) has the shape the
/// devnet writes: key the store name, the same leaf op, inner ops `[1] || left` or `[1]` with
/// the right sibling as suffix; and it proves the store root up to the next header's app hash.
#[test]
fn sdk_root_proofs_have_the_devnet_shape() {
    use ferry_verifier::proof::{
        calculate_existence_root, ics23::commitment_proof::Proof, ProofOp,
    };
    let simd = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/data/real/simd");
    let read = |name: &str| -> Value {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(simd.join(name)).unwrap()).unwrap();
        v.get("result").cloned().unwrap_or(v)
    };
    let answer = read("abci-bank-present.json");
    let ops: Vec<ProofOp> =
        serde_json::from_value(answer["response"]["proofOps"]["ops"].clone()).unwrap();
    assert_eq!(ops[1].kind, "ics23:simple");
    assert_eq!(ops[1].key, b"bank");
    let Some(Proof::Exist(ex)) = ops[1].commitment_proof().unwrap().proof else {
        panic!("not an existence proof");
    };
    assert_eq!(ex.key, b"bank");
    assert_eq!(ex.leaf.as_ref(), Some(&ferry_devnet::store::root_leaf_op()));
    assert!(!ex.path.is_empty());
    for op in &ex.path {
        let left = op.prefix.len() == 33 && op.prefix[0] == 1 && op.suffix.is_empty();
        let right = op.prefix == [1] && op.suffix.len() == 32;
        assert!(left || right, "{op:?}");
    }
    let header: Header =
        serde_json::from_value(read("commit-5.json")["signed_header"]["header"].clone()).unwrap();
    assert_eq!(answer["response"]["height"], "4");
    assert_eq!(
        calculate_existence_root(&ex).unwrap(),
        header.app_hash.as_bytes()
    );
}
