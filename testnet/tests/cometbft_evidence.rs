//! Evidence built by Ferry and judged by real CometBFT v0.38 nodes (kvstore), with
//! `ferry evidence verify`'s judgement (the library function the command calls) beside each
//! node verdict.
//!
//! * Duplicate votes: a real validator's key signs two prevotes for different blocks at a
//!   committed height; the node takes the evidence (`broadcast_evidence`), a later block
//!   carries it naming the validator, and kvstore docks the validator one unit of power.
//!   Forged evidence (a signature by another key, votes for one block, a wrong validator or
//!   total power, a wrong time, a voter outside the set) is refused with the node's reason.
//! * A real equivocation fork: network A runs all 4 validators, network B copies of 3 of them
//!   (30 of 40 power) from the same genesis, never peered with A, each given different
//!   transactions. Ferry verifies B's blocks from the last block both share, finds A's blocks
//!   at those heights differ, and files light-client-attack evidence (equivocation at the
//!   first forked height, lunatic once the app hashes differ) with a node of A, which takes it
//!   and records it in a block with the byzantine validators Ferry named.

mod common;

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{mark, options, Block, N, WAIT};
use ferry::evidence::{
    by_power, duplicate_vote_evidence, evidence_json, light_block_json,
    light_client_attack_evidence, BuildError,
};
use ferry::inspect::{parse_evidence, verify_evidence_file, FileView};
use ferry_testnet::{now, require_chains, CometBftNetwork, Error, RpcClient, ValidatorKey};
use ferry_verifier::evidence::{
    AttackKind, DuplicateVoteEvidence, Evidence, LightClientAttackEvidence, Vote,
};
use ferry_verifier::merkle::sha256;
use ferry_verifier::{
    verify, Address, BlockId, ChainId, Hash, PartSetHeader, PublicKey, Signature, TrustedState,
    Verdict, Zebra,
};
use serde_json::{json, Value};

/// The tests start up to 7 nodes each: one at a time on a small machine, so that height 1
/// of the fork starts in time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// How long a node gets to put pending evidence in a block.
const EVIDENCE_WAIT: Duration = Duration::from_secs(30);

/// `broadcast_evidence` on `rpc`: the evidence hash it answers, or the node's reason for
/// refusing (the JSON-RPC error's `data`).
fn broadcast(rpc: &RpcClient, evidence: &Value) -> Result<String, String> {
    match rpc.call_post("broadcast_evidence", json!({ "evidence": evidence })) {
        Ok(r) => Ok(r["hash"].as_str().unwrap_or_default().to_string()),
        Err(Error::Rpc { message, data, .. }) => Err(format!("{message}: {data}")),
        Err(e) => panic!("broadcast_evidence: {e}"),
    }
}

/// `ferry evidence verify --trusted VIEW --evidence E` with the command's defaults
/// (`--max-age 48h --max-age-blocks 100000`): the verdict and reason. `view` are the node's
/// light blocks (the last one stands for its latest). Runs where the command does, on a large
/// stack (512-validator light blocks are decoded on it).
fn ferry_judges(view: &[&Block], evidence: &Value) -> (&'static str, String) {
    let view = Value::Array(view.iter().map(|b| light_block_json(b)).collect()).to_string();
    let evidence = evidence.to_string();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let view = FileView::parse(
                view.as_bytes(),
                "view.json",
                Duration::from_secs(48 * 3600),
                100_000,
            )
            .unwrap();
            let ev = parse_evidence(evidence.as_bytes(), "evidence.json").unwrap();
            let j = verify_evidence_file(&ev, &view);
            (j.verdict, j.reason)
        })
        .unwrap()
        .join()
        .unwrap()
}

/// The evidence in the blocks of `rpc` from `from` on, until `want` items are seen or
/// [`EVIDENCE_WAIT`] passes: `(height, evidence JSON)`.
fn committed_evidence(rpc: &RpcClient, from: u64, want: usize) -> Vec<(u64, Value)> {
    let start = Instant::now();
    let mut found = Vec::new();
    let mut h = from;
    while found.len() < want {
        assert!(
            start.elapsed() < EVIDENCE_WAIT,
            "{} of {want} evidence items in blocks {from}..{h} after {EVIDENCE_WAIT:?}",
            found.len()
        );
        if rpc.status().unwrap().latest_block_height < h {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let block = rpc.call("block", &[("height", h.to_string())]).unwrap();
        if let Some(items) = block
            .pointer("/block/evidence/evidence")
            .and_then(Value::as_array)
        {
            found.extend(items.iter().map(|e| (h, e.clone())));
        }
        h += 1;
    }
    found
}

/// The node's reason for refusing `what`, which must say `expected`; without the dump of the
/// evidence that follows it.
fn rejected(what: &str, result: Result<String, String>, expected: &str) -> String {
    match result {
        Ok(hash) => panic!("{what}: the node took it ({hash})"),
        Err(reason) => {
            assert!(
                reason.contains(expected),
                "{what}: the node's reason {reason:?} does not say {expected:?}"
            );
            match reason.split_once(". Evidence: ") {
                Some((head, _)) => head.to_string(),
                None => reason,
            }
        }
    }
}

fn signed(mut vote: Vote, key: &ValidatorKey, chain_id: &ChainId) -> Vote {
    let msg = vote.sign_bytes(chain_id).unwrap();
    vote.signature = Signature(key.signing_key().sign(msg.as_bytes()).to_bytes());
    vote
}

fn fake_block_id(label: &str) -> BlockId {
    BlockId {
        hash: Hash::Sha256(sha256(label.as_bytes())),
        part_set_header: PartSetHeader {
            total: 1,
            hash: Hash::Sha256(sha256(format!("{label} parts").as_bytes())),
        },
    }
}

#[test]
fn real_cometbft_judges_duplicate_vote_evidence() {
    if !require_chains() {
        return;
    }
    let _serial = serial();
    let t0 = Instant::now();
    let net = CometBftNetwork::start(4).unwrap();
    let rpc = net.rpc(0);
    let chain_id = ChainId::new(net.chain_id()).unwrap();
    net.wait_for_height(4, WAIT).unwrap();
    mark(
        t0,
        &format!("4 validators at height 4: {:?}", net.rpc_urls()),
    );

    // Validator 1 signs prevotes for the committed block at height 3 and for another one.
    let h = 3;
    let lb = rpc.light_block::<N>(h).unwrap();
    let key = net.validator_key(1).unwrap();
    let address = key.address();
    let (index, val) = lb.validators.find(&address).unwrap();
    let power = val.power();
    let total = lb.validators.total_power();
    let block_time = lb.header().time;
    let vote = |block_id: BlockId, ms: u64, key: &ValidatorKey| {
        let unsigned = Vote {
            vote_type: 1,
            height: lb.height(),
            round: 0,
            block_id,
            timestamp: block_time.checked_add(Duration::from_millis(ms)).unwrap(),
            validator_address: address,
            validator_index: index as u32,
            signature: Signature([0; 64]),
        };
        signed(unsigned, key, &chain_id)
    };
    let real = vote(lb.signed_header.commit.block_id, 10, &key);
    let other = vote(fake_block_id("ferry: another block at 3"), 20, &key);
    let ev =
        duplicate_vote_evidence(real.clone(), other.clone(), &lb.validators, block_time).unwrap();
    assert_eq!((ev.validator_power, ev.total_voting_power), (10, 40));
    let latest = rpc.light_block::<N>(rpc.status().unwrap().latest_block_height - 1);
    let latest = latest.unwrap();
    let view: [&Block; 2] = [&lb, &latest];
    let as_json =
        |d: &DuplicateVoteEvidence| evidence_json(&Evidence::<N>::DuplicateVote(d.clone()));

    // Forged evidence first: each refused by the node, and by Ferry.
    let dv = |vote_a: &Vote, vote_b: &Vote| DuplicateVoteEvidence {
        vote_a: vote_a.clone(),
        vote_b: vote_b.clone(),
        ..ev.clone()
    };
    let mut forged: Vec<(&str, DuplicateVoteEvidence, String)> = Vec::new();
    // 1. The second vote signed by another validator's key.
    let wrong_key = vote(
        fake_block_id("ferry: another block at 3"),
        20,
        &net.validator_key(2).unwrap(),
    );
    let e = duplicate_vote_evidence(real.clone(), wrong_key.clone(), &lb.validators, block_time)
        .unwrap();
    let bad = if e.vote_a == wrong_key {
        "VoteA"
    } else {
        "VoteB"
    };
    forged.push((
        "a vote signed by another key",
        e,
        format!("verifying {bad}: invalid signature"),
    ));
    // 2. Two votes for the same block (Ferry will not build it: assembled by hand).
    let again = vote(lb.signed_header.commit.block_id, 30, &key);
    assert!(matches!(
        duplicate_vote_evidence(real.clone(), again.clone(), &lb.validators, block_time),
        Err(BuildError::SameBlock { .. })
    ));
    forged.push((
        "votes for one block",
        dv(&real, &again),
        "evidence.ValidateBasic failed: duplicate votes in invalid order".into(),
    ));
    // 3. and 4. Wrong powers.
    forged.push((
        "a wrong validator power",
        DuplicateVoteEvidence {
            validator_power: power + 1,
            ..ev.clone()
        },
        format!(
            "validator power from evidence and our validator set does not match ({} != {power})",
            power + 1
        ),
    ));
    forged.push((
        "a wrong total power",
        DuplicateVoteEvidence {
            total_voting_power: total + 1,
            ..ev.clone()
        },
        format!(
            "total voting power from the evidence and our validator set does not match ({} != {total})",
            total + 1
        ),
    ));
    // 5. A time other than the block's.
    forged.push((
        "a wrong time",
        DuplicateVoteEvidence {
            timestamp: block_time.checked_add(Duration::from_secs(1)).unwrap(),
            ..ev.clone()
        },
        "evidence has a different time to the block it is associated with".into(),
    ));
    // 6. A voter outside the set (Ferry will not build it: assembled by hand).
    let stranger = ValidatorKey::from_label("ferry: not a validator");
    let mut s1 = real.clone();
    let mut s2 = other.clone();
    s1.validator_address = stranger.address();
    s2.validator_address = stranger.address();
    let (s1, s2) = (
        signed(s1, &stranger, &chain_id),
        signed(s2, &stranger, &chain_id),
    );
    assert!(matches!(
        duplicate_vote_evidence(s1.clone(), s2.clone(), &lb.validators, block_time),
        Err(BuildError::NotAValidator { .. })
    ));
    let (sa, sb) = if ev.vote_a.block_id == s1.block_id {
        (s1, s2)
    } else {
        (s2, s1)
    };
    forged.push((
        "a voter outside the set",
        dv(&sa, &sb),
        format!(
            "address {} was not a validator at height {h}",
            stranger.address()
        ),
    ));

    for (what, e, expected) in &forged {
        let j = as_json(e);
        let reason = rejected(what, broadcast(&rpc, &j), expected);
        let (verdict, ferry_reason) = ferry_judges(&view, &j);
        assert_eq!(verdict, "invalid", "{what}: ferry says {verdict}");
        eprintln!("refused, {what}:\n  node:  {reason}\n  ferry: {ferry_reason}");
    }
    mark(
        t0,
        &format!("{} forged evidence refused by node and Ferry", forged.len()),
    );

    // The real double sign: Ferry and the node take it.
    let j = as_json(&ev);
    assert_eq!(ferry_judges(&view, &j), ("valid", String::new()));
    let before = rpc.status().unwrap().latest_block_height;
    let hash = broadcast(&rpc, &j).unwrap();
    mark(
        t0,
        &format!("duplicate vote of {address} taken, evidence hash {hash}"),
    );
    // Another node takes it too (already pending there by gossip, or verified afresh).
    broadcast(&net.rpc(2), &j).unwrap();

    let found = committed_evidence(&net.rpc(3), before, 1);
    let (at, item) = &found[0];
    assert_eq!(item["type"], "tendermint/DuplicateVoteEvidence");
    assert_eq!(
        item["value"]["vote_a"]["validator_address"],
        address.to_string()
    );
    let recorded: Evidence<N> = serde_json::from_value(item.clone()).unwrap();
    assert_eq!(recorded, Evidence::DuplicateVote(ev.clone()));
    mark(
        t0,
        &format!("block {at} records the duplicate vote of {address}"),
    );

    // kvstore docks the validator one unit of power; the change applies two heights later.
    net.wait_for_height(at + 2, WAIT).unwrap();
    let after = rpc.validators::<N>(at + 2).unwrap();
    assert_eq!(after.find(&address).unwrap().1.power(), power - 1);
    mark(
        t0,
        &format!(
            "{address}: power {power} -> {} at height {}",
            power - 1,
            at + 2
        ),
    );
}

/// Starts the fork (A: 4 validators, B: copies of 3) until both commit the same block 1.
fn start_fork(t0: Instant) -> (CometBftNetwork, CometBftNetwork) {
    for attempt in 1..=2 {
        let (a, b) = CometBftNetwork::builder()
            .validators(4)
            .start_fork(3)
            .unwrap();
        let (ha, hb) = (
            a.rpc(0).block_hash(1).unwrap(),
            b.rpc(0).block_hash(1).unwrap(),
        );
        mark(
            t0,
            &format!("fork started (A {:?}, B {:?})", a.rpc_urls(), b.rpc_urls()),
        );
        if ha == hb {
            return (a, b);
        }
        eprintln!(
            "attempt {attempt}: block 1 differs (A {ha}, B {hb}): a network needed a later round"
        );
    }
    panic!("A and B never committed the same block 1");
}

#[test]
fn real_cometbft_takes_light_client_attack_evidence_from_a_real_fork() {
    if !require_chains() {
        return;
    }
    let _serial = serial();
    let t0 = Instant::now();
    let (a, b) = start_fork(t0);
    let (ra, rb) = (a.rpc(0), b.rpc(0));
    let both: Vec<PublicKey> = b.validator_keys();
    assert_eq!(both.len(), 3);
    assert!(both.iter().all(|k| a.validator_keys().contains(k)));

    // Different transactions: one on A, two on B, so the app hashes (kvstore: the number of
    // transactions) differ from the block after the last of them.
    let on_a = ra.broadcast_tx_commit(b"fork=a").unwrap().height;
    let on_b1 = rb.broadcast_tx_commit(b"fork=b1").unwrap().height;
    let on_b2 = rb.broadcast_tx_commit(b"fork=b2").unwrap().height;
    let lunatic_h = on_a.max(on_b2) + 1;
    a.wait_for_height(lunatic_h + 1, WAIT).unwrap();
    b.wait_for_height(lunatic_h + 1, WAIT).unwrap();
    mark(
        t0,
        &format!("txs committed: A at {on_a}, B at {on_b1} and {on_b2}; both past {lunatic_h}"),
    );

    // The last height both share.
    let common_h = (1..=lunatic_h)
        .take_while(|&h| ra.block_hash(h).unwrap() == rb.block_hash(h).unwrap())
        .last()
        .unwrap();
    let common = ra.light_block::<N>(common_h).unwrap();
    let latest = ra.light_block::<N>(ra.status().unwrap().latest_block_height - 1);
    let latest = latest.unwrap();
    let trusted = TrustedState::from_light_block(&*common);
    mark(t0, &format!("A and B share heights 1..={common_h}"));

    // The first forked height: B's block verifies from the common one, A's differs.
    let first_h = common_h + 1;
    let b_first = rb.light_block::<N>(first_h).unwrap();
    let a_first = ra.light_block::<N>(first_h).unwrap();
    assert_eq!(
        verify(&Zebra, &trusted, &b_first, now(), &options()),
        Verdict::Success
    );
    assert_ne!(b_first.header().hash(), a_first.header().hash());
    let equivocation = light_client_attack_evidence(&b_first, &common, &a_first).unwrap();
    let kind = equivocation.kind(&a_first.signed_header);
    assert_ne!(kind, AttackKind::Lunatic, "same state at {first_h}");
    assert_eq!(equivocation.common_height, a_first.height());
    assert_eq!(equivocation.timestamp, a_first.header().time);

    // Once the app hashes differ: a lunatic attack, filed at the common height.
    let b_late = rb.light_block::<N>(lunatic_h).unwrap();
    let a_late = ra.light_block::<N>(lunatic_h).unwrap();
    assert_eq!(
        verify(&Zebra, &trusted, &b_late, now(), &options()),
        Verdict::Success
    );
    assert_ne!(b_late.header().app_hash, a_late.header().app_hash);
    let lunatic = light_client_attack_evidence(&b_late, &common, &a_late).unwrap();
    assert_eq!(lunatic.kind(&a_late.signed_header), AttackKind::Lunatic);
    assert_eq!(lunatic.common_height, common.height());
    assert_eq!(lunatic.timestamp, common.header().time);
    assert_eq!(lunatic.total_voting_power, 40);
    // B's three validators signed B's block (they hold 30 of 40: all three must).
    let named: Vec<Address> = lunatic
        .byzantine_validators
        .iter()
        .map(|v| *v.address())
        .collect();
    let b_vals: Vec<_> = both
        .iter()
        .map(|k| *common.validators.find(&k.address()).unwrap().1)
        .collect();
    assert_eq!(named, by_power(&b_vals));
    // Equivocation names those of them that also signed A's block; amnesia nobody.
    for v in &equivocation.byzantine_validators {
        assert!(named.contains(v.address()));
    }
    assert_eq!(
        equivocation.byzantine_validators.is_empty(),
        kind == AttackKind::Amnesia
    );
    mark(
        t0,
        &format!(
            "Ferry verified B's {first_h} and {lunatic_h} from A's {common_h} and found A's \
             differ: {kind:?} at {first_h} naming {}, lunatic at {lunatic_h} naming {}",
            equivocation.byzantine_validators.len(),
            named.len()
        ),
    );

    let as_json = |e: &LightClientAttackEvidence<N>| {
        evidence_json(&Evidence::<N>::LightClientAttack(e.clone()))
    };
    let lunatic_view: [&Block; 3] = [&common, &a_late, &latest];
    let first_view: [&Block; 2] = [&a_first, &latest];

    // Forged: refused by the node and by Ferry.
    let mut short = lunatic.clone();
    short.byzantine_validators.pop();
    let mut low = lunatic.clone();
    low.total_voting_power = 30;
    let mut not_an_attack = lunatic.clone();
    not_an_attack.conflicting_block.signed_header = a_late.signed_header.clone();
    not_an_attack.conflicting_block.validator_set = a_late.validators.clone();
    assert!(matches!(
        light_client_attack_evidence(&a_late, &common, &a_late),
        Err(BuildError::NoConflict { .. })
    ));
    let forged = [
        (
            "a byzantine validator left out",
            short,
            "expected 3 byzantine validators from evidence but got 2".to_string(),
        ),
        (
            "a wrong total power",
            low,
            "total voting power from the evidence and our validator set does not match (30 != 40)"
                .into(),
        ),
        (
            "A's own block as the conflicting one",
            not_an_attack,
            "trusted header hash matches the evidence's conflicting header hash".into(),
        ),
    ];
    for (what, e, expected) in &forged {
        let j = as_json(e);
        let reason = rejected(what, broadcast(&ra, &j), expected);
        let (verdict, ferry_reason) = ferry_judges(&lunatic_view, &j);
        assert_eq!(verdict, "invalid", "{what}: ferry says {verdict}");
        eprintln!("refused, {what}:\n  node:  {reason}\n  ferry: {ferry_reason}");
    }

    // The real ones: Ferry and A's node take both.
    let before = ra.status().unwrap().latest_block_height;
    for (what, e, view) in [
        ("lunatic", &lunatic, &lunatic_view[..]),
        ("equivocation", &equivocation, &first_view[..]),
    ] {
        let j = as_json(e);
        assert_eq!(ferry_judges(view, &j), ("valid", String::new()), "{what}");
        let hash = broadcast(&ra, &j).unwrap_or_else(|r| panic!("{what}: refused: {r}"));
        mark(t0, &format!("{what} evidence taken by A, hash {hash}"));
    }

    // A later block of A records both, with the byzantine validators Ferry named.
    let found = committed_evidence(&a.rpc(1), before, 2);
    for (at, item) in &found {
        assert_eq!(item["type"], "tendermint/LightClientAttackEvidence");
        let recorded: Evidence<N> = serde_json::from_value(item.clone()).unwrap();
        let Evidence::LightClientAttack(l) = recorded else {
            panic!("not a light-client attack: {item}")
        };
        let ours = if l.common_height == lunatic.common_height {
            &lunatic
        } else {
            &equivocation
        };
        assert_eq!(&l, ours);
        let names: Vec<String> = l
            .byzantine_validators
            .iter()
            .map(|v| v.address().to_string())
            .collect();
        let listed = &item["value"]["ByzantineValidators"];
        let listed: Vec<String> = listed
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v["address"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(listed, names);
        mark(
            t0,
            &format!(
                "block {at} of A records the attack at common height {} naming {names:?}",
                l.common_height
            ),
        );
    }
}
