//! The chain core judged by ferry-verifier: every header verifies (adjacent and skipping)
//! across validator-set changes and absent/nil votes; proposer rotation and BFT time follow
//! CometBFT's algorithms on sequences worked out by hand.

use std::time::Duration;

use ferry_devnet::encode::{self, part_set_header};
use ferry_devnet::{Chain, ChainConfig, Error, ValidatorKey, ValidatorUpdate, Vote};
use ferry_verifier::block::CommitSig;
use ferry_verifier::pb::Message;
use ferry_verifier::{verify, Consensus, Hash, LightBlock, Options, Time, TrustedState, Verdict};

type Lb = LightBlock<16>;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn verdict(chain: &Chain, trusted: u64, untrusted: u64) -> Verdict {
    let t: Lb = chain.light_block(trusted).unwrap();
    let u: Lb = chain.light_block(untrusted).unwrap();
    let now = u.header().time.checked_add(secs(1)).unwrap();
    verify(
        &Consensus,
        &TrustedState::from_light_block(&t),
        &u,
        now,
        &Options::default(),
    )
}

fn is_success(v: &Verdict) -> bool {
    matches!(v, Verdict::Success)
}

/// A chain of 16 blocks with transactions, absent and nil votes, and validators added,
/// re-weighted and removed.
fn eventful_chain() -> (Chain, Vec<ValidatorKey>) {
    let config = ChainConfig::new("devnet-test-1", &[10, 20, 30, 40]);
    let keys: Vec<ValidatorKey> = config.validators.iter().map(|(k, _)| k.clone()).collect();
    let mut chain = Chain::new(config).unwrap();
    let newcomer = ValidatorKey::deterministic("devnet-test-1/newcomer");
    let mut now = chain.genesis_time().checked_add(secs(2)).unwrap();
    for h in 1..=16u64 {
        match h {
            // Returned by block 3, in next_validators_hash at 4, signing from 5.
            3 => chain.set_validator_power(&newcomer, 25).unwrap(),
            4 => chain.set_vote(keys[0].address(), Vote::Absent),
            5 => chain.set_vote(keys[1].address(), Vote::Nil),
            6 => {
                chain.set_vote(keys[0].address(), Vote::Commit);
                chain.set_validator_power(&keys[2], 5).unwrap();
            }
            8 => chain.set_vote(keys[1].address(), Vote::Commit),
            9 => chain.set_validator_power(&keys[3], 0).unwrap(),
            _ => {}
        }
        let txs = vec![
            format!("kv/height={h}").into_bytes(),
            format!("kv/k{}=v{h}", h % 3).into_bytes(),
            b"not a kv tx".to_vec(),
        ];
        chain.produce_block(txs, now).unwrap();
        now = now.checked_add(secs(1)).unwrap();
    }
    (chain, keys)
}

#[test]
fn every_header_verifies_adjacent_and_skipping() {
    let (chain, _) = eventful_chain();
    let n = chain.height();
    assert_eq!(n, 16);
    for h in 1..n {
        let v = verdict(&chain, h, h + 1);
        assert!(is_success(&v), "adjacent {h} -> {}: {v:?}", h + 1);
    }
    let mut skips = 0;
    for a in 1..n {
        for b in a + 2..=n {
            match verdict(&chain, a, b) {
                Verdict::Success => skips += 1,
                // Too little of the trusted set left to skip: never invalid.
                Verdict::NotEnoughTrust(_) => {}
                Verdict::Invalid(e) => panic!("skipping {a} -> {b}: {e}"),
            }
        }
    }
    // More than 1/3 of every trusted set is still signing at 16: every skip succeeds.
    assert_eq!(skips, 105);
}

#[test]
fn tampered_blocks_fail_verification() {
    let (chain, _) = eventful_chain();
    let trusted: Lb = chain.light_block(5).unwrap();
    let good: Lb = chain.light_block(6).unwrap();
    let now = good.header().time.checked_add(secs(1)).unwrap();
    let check = |b: &Lb| {
        verify(
            &Consensus,
            &TrustedState::from_light_block(&trusted),
            b,
            now,
            &Options::default(),
        )
    };
    assert!(is_success(&check(&good)));

    let mut bad = good.clone();
    bad.signed_header.header.app_hash = ferry_verifier::AppHash::from_bytes(&[1; 32]).unwrap();
    assert!(matches!(check(&bad), Verdict::Invalid(_)));

    let mut bad = good.clone();
    if let Some(CommitSig::Commit { signature, .. }) = bad
        .signed_header
        .commit
        .signatures
        .iter_mut()
        .find(|s| matches!(s, CommitSig::Commit { .. }))
    {
        signature.0[0] ^= 1;
    }
    let opts = Options {
        verify_all_signatures: true,
        ..Options::default()
    };
    assert!(matches!(
        verify(
            &Consensus,
            &TrustedState::from_light_block(&trusted),
            &bad,
            now,
            &opts
        ),
        Verdict::Invalid(_)
    ));
}

#[test]
fn headers_link_and_commit_to_what_the_chain_did() {
    let (chain, _) = eventful_chain();
    let first = chain.block(1).unwrap();
    let empty = Hash::Sha256(ferry_verifier::merkle::sha256(b""));
    assert!(first.header.last_block_id.is_zero());
    assert_eq!(first.header.last_commit_hash, empty);
    assert_eq!(first.header.last_results_hash, empty);
    assert_eq!(first.header.evidence_hash, empty);
    assert_eq!(first.header.time, chain.genesis_time());
    assert_eq!(
        first.header.app_hash.as_bytes(),
        chain.store().app_hash(0).unwrap()
    );
    assert_eq!(first.header.version.block, 11);
    assert_eq!(
        first.header.consensus_hash,
        encode::consensus_hash(22_020_096, -1)
    );
    for h in 1..=chain.height() {
        let b = chain.block(h).unwrap();
        // The block id is the header hash and the part set of the block's encoding.
        assert_eq!(b.block_id.hash, b.header.hash());
        let bytes = b.block.encode_to_vec();
        assert_eq!(bytes.len(), b.size);
        assert_eq!(b.block_id.part_set_header, part_set_header(&bytes));
        assert_eq!(b.header.data_hash, encode::data_hash(b.txs()));
        assert_eq!(b.header.validators_hash, b.validators.hash().unwrap());
        assert_eq!(
            b.header.next_validators_hash,
            b.next_validators.hash().unwrap()
        );
        assert_eq!(
            b.header.proposer_address,
            b.validators.proposer().unwrap().address
        );
        assert_eq!(b.results.len(), 3);
        assert_eq!(b.results[0].code, 0);
        assert_eq!(b.results[2].code, 1);
        assert_eq!(b.commit.block_id, b.block_id);
        if h > 1 {
            let prev = chain.block(h - 1).unwrap();
            assert_eq!(b.header.last_block_id, prev.block_id);
            assert_eq!(b.header.last_commit_hash, prev.commit.hash());
            assert_eq!(b.block.last_commit.as_ref(), Some(&prev.commit.to_pb()));
            assert_eq!(
                b.header.last_results_hash,
                encode::results_hash(&prev.results)
            );
            assert_eq!(b.header.app_hash.as_bytes(), prev.app_hash_after);
            assert_eq!(prev.app_hash_after, chain.store().app_hash(h - 1).unwrap());
            assert!(b.header.time > prev.header.time);
        }
    }
    // The transactions were executed: the state at 16 holds height=16.
    assert_eq!(
        chain.store().get("kv", b"height", 16).unwrap(),
        Some(b"16".to_vec())
    );
    assert_eq!(
        chain.store().get("kv", b"height", 9).unwrap(),
        Some(b"9".to_vec())
    );
}

#[test]
fn absent_and_nil_votes_are_in_the_commits() {
    let (chain, keys) = eventful_chain();
    let flag_of = |h: u64, key: &ValidatorKey| {
        let b = chain.block(h).unwrap();
        let (i, _) = b.validators.get(&key.address()).unwrap();
        b.commit.signatures[i]
    };
    assert!(matches!(flag_of(3, &keys[0]), CommitSig::Commit { .. }));
    assert!(matches!(flag_of(4, &keys[0]), CommitSig::Absent));
    assert!(matches!(flag_of(5, &keys[1]), CommitSig::Nil { .. }));
    assert!(matches!(flag_of(7, &keys[1]), CommitSig::Nil { .. }));
    assert!(matches!(flag_of(8, &keys[1]), CommitSig::Commit { .. }));
    // Nil votes sign the nil vote: the verifier checks them too when asked for all.
    let trusted: Lb = chain.light_block(4).unwrap();
    let b5: Lb = chain.light_block(5).unwrap();
    let opts = Options {
        verify_all_signatures: true,
        ..Options::default()
    };
    let now = b5.header().time.checked_add(secs(1)).unwrap();
    assert!(is_success(&verify(
        &Consensus,
        &TrustedState::from_light_block(&trusted),
        &b5,
        now,
        &opts
    )));
}

#[test]
fn validator_updates_take_effect_two_blocks_later() {
    let mut chain = Chain::new(ChainConfig::new("delay-1", &[10, 10, 10])).unwrap();
    let newcomer = ValidatorKey::deterministic("delay-1/new");
    let t0 = chain.genesis_time();
    chain.produce_empty_blocks(2, t0, secs(1)).unwrap();
    chain.set_validator_power(&newcomer, 10).unwrap();
    let now = t0.checked_add(secs(5)).unwrap();
    chain.produce_block(Vec::new(), now).unwrap(); // block 3 returns the update
    chain
        .produce_empty_blocks(3, now.checked_add(secs(1)).unwrap(), secs(1))
        .unwrap();
    let b = |h| chain.block(h).unwrap();
    assert_eq!(b(3).validator_updates.len(), 1);
    assert!(b(2).validator_updates.is_empty());
    let old = b(3).header.validators_hash;
    // Header 3 does not reflect it yet; header 4's next_validators_hash does; 5 is signed by it.
    assert_eq!(b(3).header.next_validators_hash, old);
    assert_ne!(b(4).header.next_validators_hash, old);
    assert_eq!(b(4).header.validators_hash, old);
    assert_eq!(
        b(5).header.validators_hash,
        b(4).header.next_validators_hash
    );
    assert_eq!(b(5).validators.len(), 4);
    assert!(b(4).validators.get(&newcomer.address()).is_none());
    let (i, _) = b(5).validators.get(&newcomer.address()).unwrap();
    assert!(matches!(
        b(5).commit.signatures[i],
        CommitSig::Commit { .. }
    ));
    // Light clients follow the change.
    for h in 1..chain.height() {
        assert!(is_success(&verdict(&chain, h, h + 1)));
    }
}

#[test]
fn skipping_over_a_replaced_set_needs_bisection() {
    let config = ChainConfig::new("replace-1", &[10, 10, 10]);
    let old: Vec<ValidatorKey> = config.validators.iter().map(|(k, _)| k.clone()).collect();
    let new: Vec<ValidatorKey> = (0..3)
        .map(|i| ValidatorKey::deterministic(&format!("replace-1/new-{i}")))
        .collect();
    let mut chain = Chain::new(config).unwrap();
    let t0 = chain.genesis_time();
    chain.produce_block(Vec::new(), t0).unwrap();
    // Block 2 adds the new keys with power 100 each (signing from 4); block 5 removes the old
    // ones (gone from 7).
    for k in &new {
        chain.set_validator_power(k, 100).unwrap();
    }
    chain.produce_empty_blocks(3, t0, secs(1)).unwrap();
    for k in &old {
        chain.set_validator_power(k, 0).unwrap();
    }
    chain.produce_empty_blocks(4, t0, secs(1)).unwrap();
    assert_eq!(chain.height(), 8);
    assert!(chain
        .block(6)
        .unwrap()
        .validators
        .get(&old[0].address())
        .is_some());
    assert!(chain
        .block(7)
        .unwrap()
        .validators
        .get(&old[0].address())
        .is_none());
    for h in 1..8 {
        assert!(is_success(&verdict(&chain, h, h + 1)), "adjacent {h}");
    }
    // From 1, whose next set is the old one, nobody it trusts signs 7 or 8.
    assert!(matches!(verdict(&chain, 1, 7), Verdict::NotEnoughTrust(_)));
    assert!(matches!(verdict(&chain, 1, 8), Verdict::NotEnoughTrust(_)));
    // Old validators sign up to 6 with 30 of 330: under 1/3 of the power at 4..6, yet 1 trusts
    // only the old set, all of which signs: success.
    assert!(is_success(&verdict(&chain, 1, 6)));
    // Bisection: through 4 (signed by both), 4 -> 8 succeeds (the new set holds 300 of 330).
    assert!(is_success(&verdict(&chain, 1, 4)));
    assert!(is_success(&verdict(&chain, 4, 8)));
}

#[test]
fn refusals_leave_the_chain_unchanged() {
    let config = ChainConfig::new("refuse-1", &[10, 10, 10, 10]);
    let keys: Vec<ValidatorKey> = config.validators.iter().map(|(k, _)| k.clone()).collect();
    let mut chain = Chain::new(config).unwrap();
    let t0 = chain.genesis_time();
    chain.produce_block(Vec::new(), t0).unwrap();
    // Two of four absent: 20 of 40 is not more than 2/3.
    chain.set_vote(keys[0].address(), Vote::Absent);
    chain.set_vote(keys[1].address(), Vote::Nil);
    let err = chain
        .produce_block(vec![b"kv/a=1".to_vec()], t0)
        .unwrap_err();
    assert_eq!(
        err,
        Error::NoQuorum {
            height: 2,
            signed: 20,
            total: 40
        }
    );
    assert_eq!(chain.height(), 1);
    assert_eq!(chain.store().latest_version(), Some(1));
    chain.set_vote(keys[1].address(), Vote::Commit);
    chain.produce_block(vec![b"kv/a=1".to_vec()], t0).unwrap();
    assert_eq!(chain.height(), 2);
    assert!(is_success(&verdict(&chain, 1, 2)));

    // Bad updates are refused when queued.
    let stranger = ValidatorKey::deterministic("refuse-1/stranger");
    assert!(matches!(
        chain.set_validator_power(&stranger, 0),
        Err(Error::RemovingUnknownValidator { .. })
    ));
    for k in &keys[..3] {
        chain.set_validator_power(k, 0).unwrap();
    }
    assert_eq!(
        chain.set_validator_power(&keys[3], 0),
        Err(Error::EmptyValidatorSet)
    );
    assert_eq!(
        Chain::new(ChainConfig::new("", &[1])).unwrap_err(),
        Error::InvalidChainId {
            chain_id: String::new()
        }
    );
    assert_eq!(
        Chain::new(ChainConfig::new("x", &[])).unwrap_err(),
        Error::NoValidators
    );
    assert!(matches!(
        Chain::new(ChainConfig::new("x", &[1, 0])).unwrap_err(),
        Error::ZeroGenesisPower { .. }
    ));
    assert!(matches!(
        chain.block(3),
        Err(Error::UnknownHeight {
            height: 3,
            latest: 2
        })
    ));
    assert!(matches!(chain.block(0), Err(Error::UnknownHeight { .. })));
}

#[test]
fn large_blocks_span_several_parts() {
    let mut chain = Chain::new(ChainConfig::new("parts-1", &[1])).unwrap();
    let big = [b"kv/big=".to_vec(), vec![b'x'; 150_000]].concat();
    let t0 = chain.genesis_time();
    chain.produce_block(vec![big], t0).unwrap();
    chain.produce_block(Vec::new(), t0).unwrap();
    let b = chain.block(1).unwrap();
    assert!(b.size > 2 * encode::BLOCK_PART_SIZE);
    assert_eq!(b.block_id.part_set_header.total, 3);
    assert_eq!(chain.block(2).unwrap().block_id.part_set_header.total, 1);
    assert!(is_success(&verdict(&chain, 1, 2)));
}

/// Three keys named by address order: `[A, B, C]` with `A < B < C`.
fn abc(label: &str) -> Vec<ValidatorKey> {
    let mut keys: Vec<ValidatorKey> = (0..3)
        .map(|i| ValidatorKey::deterministic(&format!("{label}/{i}")))
        .collect();
    keys.sort_by_key(|k| k.address());
    assert!(keys[0].address() < keys[1].address() && keys[1].address() < keys[2].address());
    keys
}

fn proposers(chain: &Chain, keys: &[ValidatorKey]) -> String {
    (1..=chain.height())
        .map(|h| {
            let p = chain.block(h).unwrap().header.proposer_address;
            let i = keys.iter().position(|k| k.address() == p).unwrap();
            (b'A' + i as u8) as char
        })
        .collect()
}

#[test]
fn proposer_rotation_powers_3_2_1() {
    // A (power 3), B (2), C (1), addresses A < B < C; total P = 6.
    // Genesis: all start at -(6 + 6/8) = -6 and are centered to 0. Each increment: (no
    // rescale: the spread never exceeds 2P = 12; the sum stays 0, so centering shifts by 0)
    // add powers, elect the highest (ties: lower address), subtract 6 from it.
    //   h1 (NewValidatorSet's increment): 0,0,0   -> 3,2,1   -> A: -3,2,1
    //   h2 (genesis NextValidators):      -3,2,1  -> 0,4,2   -> B: 0,-2,2
    //   h3:                               0,-2,2  -> 3,0,3   -> A (tie with C, A < C): -3,0,3
    //   h4:                               -3,0,3  -> 0,2,4   -> C: 0,2,-2
    //   h5:                               0,2,-2  -> 3,4,-1  -> B: 3,-2,-1
    //   h6:                               3,-2,-1 -> 6,0,0   -> A: 0,0,0 (back to the start)
    // and the cycle A B A C B A repeats from h7.
    let keys = abc("rotation-321");
    let mut config = ChainConfig::new("rotation-1", &[]);
    config.validators = vec![
        (keys[0].clone(), 3),
        (keys[1].clone(), 2),
        (keys[2].clone(), 1),
    ];
    let mut chain = Chain::new(config).unwrap();
    let t0 = chain.genesis_time();
    chain.produce_empty_blocks(13, t0, secs(1)).unwrap();
    assert_eq!(proposers(&chain, &keys), "ABACBAABACBAA");
    // Priorities after h3's election, as worked out above.
    let b3 = chain.block(3).unwrap();
    let prio = |k: &ValidatorKey| b3.validators.get(&k.address()).unwrap().1.priority;
    assert_eq!((prio(&keys[0]), prio(&keys[1]), prio(&keys[2])), (-3, 0, 3));
}

#[test]
fn proposer_rotation_rescales_and_centers_after_a_power_change() {
    // A (100), B (1), C (1), addresses A < B < C; P = 102. Block 2 returns "A -> power 1".
    //   h1: 0,0,0 -> 100,1,1 -> A: -2,1,1
    //   h2: -2,1,1 -> 98,2,2 -> A: -4,2,2
    //   h3: -4,2,2 -> 96,3,3 -> A: -6,3,3
    // Block 2's update is applied to the set of h4 (h3's set copied, then changed): A keeps
    // priority -6 with power 1, so P = 3. Rescale: spread 3 - (-6) = 9 > 2P = 6, ratio
    // ceil(9/6) = 2: -6/2 = -3, 3/2 = 1 (truncated): -3,1,1. Center: sum -1, average
    // floor(-1/3) = -1: -2,2,2. Then h4's increment (no rescale; sum 2, average floor(2/3) =
    // 0): +1 each -> -1,3,3 -> B (tie with C, B < C): -1,0,3.
    //   h5: -1,0,3 -> 0,1,4 -> C: 0,1,1
    //   h6: 0,1,1 (sum 2, average 0) -> 1,2,2 -> B: 1,-1,2
    //   h7: 1,-1,2 -> 2,0,3 -> C: 2,0,0
    //   h8: 2,0,0 -> 3,1,1 -> A: 0,1,1
    //   h9: -> 1,2,2 -> B;  h10: -> C.
    let keys = abc("rotation-rescale");
    let mut config = ChainConfig::new("rotation-2", &[]);
    config.validators = vec![
        (keys[0].clone(), 100),
        (keys[1].clone(), 1),
        (keys[2].clone(), 1),
    ];
    let mut chain = Chain::new(config).unwrap();
    let t0 = chain.genesis_time();
    chain.produce_block(Vec::new(), t0).unwrap();
    chain
        .update_validators(&[ValidatorUpdate {
            pub_key: keys[0].public_key(),
            power: 1,
        }])
        .unwrap();
    chain
        .produce_empty_blocks(9, t0.checked_add(secs(1)).unwrap(), secs(1))
        .unwrap();
    assert_eq!(proposers(&chain, &keys), "AAABCBCABC");
    let b4 = chain.block(4).unwrap();
    let prio = |k: &ValidatorKey| b4.validators.get(&k.address()).unwrap().1.priority;
    assert_eq!((prio(&keys[0]), prio(&keys[1]), prio(&keys[2])), (-1, 0, 3));
    assert_eq!(b4.validators.total_power(), 3);
    assert_eq!(chain.block(3).unwrap().validators.total_power(), 102);
}

#[test]
fn block_time_is_the_weighted_median_of_the_votes() {
    // Powers 4, 3, 2, 1 (v4 .. v1); clocks: v3 -1000 ms, v2 +500 ms, v4 +2000 ms, v1 +9000 ms.
    let config = ChainConfig::new("bft-time-1", &[4, 3, 2, 1]);
    let keys: Vec<ValidatorKey> = config.validators.iter().map(|(k, _)| k.clone()).collect();
    let (v4, v3, v2, v1) = (&keys[0], &keys[1], &keys[2], &keys[3]);
    let mut chain = Chain::new(config).unwrap();
    chain.set_clock_offset(v4.address(), 2000);
    chain.set_clock_offset(v3.address(), -1000);
    chain.set_clock_offset(v2.address(), 500);
    chain.set_clock_offset(v1.address(), 9000);
    let t0 = chain.genesis_time();
    let ms = |t: Time, d: i64| {
        if d >= 0 {
            t.checked_add(Duration::from_millis(d as u64)).unwrap()
        } else {
            t.checked_sub(Duration::from_millis((-d) as u64)).unwrap()
        }
    };

    // Block 1 voted at now = t0 + 10 s. Sorted votes: v3 (-1000, w3), v2 (+500, w2),
    // v4 (+2000, w4), v1 (+9000, w1); total 10, median weight 10/2 = 5: v3 leaves 5-3 = 2,
    // v2 has 2 >= 2: block 2's time is now + 500 ms.
    let now1 = t0.checked_add(secs(10)).unwrap();
    chain.produce_block(Vec::new(), now1).unwrap();
    // Block 2 with v1 nil: nil votes count in the time; the same median.
    chain.set_vote(v1.address(), Vote::Nil);
    let now2 = t0.checked_add(secs(20)).unwrap();
    chain.produce_block(Vec::new(), now2).unwrap();
    // Block 3 with v3 absent: total 7, median weight 3: v2 (w2) leaves 1, v4 (w4) has 4 >= 1:
    // block 4's time is now + 2000 ms.
    chain.set_vote(v1.address(), Vote::Commit);
    chain.set_vote(v3.address(), Vote::Absent);
    let now3 = t0.checked_add(secs(30)).unwrap();
    chain.produce_block(Vec::new(), now3).unwrap();
    // Block 4 voted with every clock behind the block time: each vote is block time + 1 ms.
    chain.set_vote(v3.address(), Vote::Commit);
    let before = t0.checked_add(secs(1)).unwrap();
    chain.produce_block(Vec::new(), before).unwrap();
    chain.produce_block(Vec::new(), before).unwrap();

    let time = |h| chain.block(h).unwrap().header.time;
    assert_eq!(time(1), t0);
    assert_eq!(time(2), ms(now1, 500));
    assert_eq!(time(3), ms(now2, 500));
    assert_eq!(time(4), ms(now3, 2000));
    assert_eq!(time(5), ms(time(4), 1));
    assert_eq!(time(5), ms(now3, 2001));
    // The vote timestamps themselves.
    let b1 = chain.block(1).unwrap();
    let ts =
        |k: &ValidatorKey| match b1.commit.signatures[b1.validators.get(&k.address()).unwrap().0] {
            CommitSig::Commit { timestamp, .. } => timestamp,
            other => panic!("{other:?}"),
        };
    assert_eq!(ts(v1), ms(now1, 9000));
    assert_eq!(ts(v3), ms(now1, -1000));
    for h in 1..chain.height() {
        assert!(is_success(&verdict(&chain, h, h + 1)));
    }
}
