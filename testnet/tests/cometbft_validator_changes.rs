//! ferry-verifier across real validator-set changes: a 4-validator CometBFT network (kvstore)
//! whose set is changed with `val=` transactions (a validator added, a power changed, a
//! validator removed, then three removed so that one validator holds all the power). Adjacent
//! verification holds over every height, skipping holds while enough of the old set signs, and
//! where it does not (1/5 of the trusted power signs) Ferry's bisection finds the way.

mod common;

use std::time::Instant;

use common::{fetch_checked, mark, options, Block, N, WAIT};
use ferry_testnet::{
    base64_encode, now, require_chains, CometBftNetwork, Error, RpcClient, ValidatorKey,
};
use ferry_verifier::{
    bisect, verify, Height, PublicKey, TrustThreshold, TrustedState, Verdict, VotingPowerTally,
    Zebra,
};

fn verdict(trusted: &Block, untrusted: &Block) -> Verdict {
    verify(
        &Zebra,
        &TrustedState::from_light_block(trusted),
        untrusted,
        now(),
        &options(),
    )
}

/// The power of `key` in the set that signs height `h` (0 when absent).
fn power_at(blocks: &[Box<Block>], h: u64, key: &PublicKey) -> u64 {
    let b = &blocks[h as usize - 1];
    assert_eq!(b.height().value(), h);
    b.validators
        .find(&key.address())
        .map_or(0, |(_, v)| v.power())
}

/// A change committed at height `at` takes effect at `at + 2`: the header at `at + 1` still
/// has the old set but already names the new one as next.
fn assert_h_plus_2(blocks: &[Box<Block>], at: u64, key: &PublicKey, before: u64, after: u64) {
    assert_eq!(power_at(blocks, at + 1, key), before, "power at {}", at + 1);
    assert_eq!(power_at(blocks, at + 2, key), after, "power at {}", at + 2);
    let h1 = blocks[at as usize].header();
    assert_eq!(h1.height.value(), at + 1);
    assert_ne!(
        h1.validators_hash,
        h1.next_validators_hash,
        "header {} names the changed set as next",
        at + 1
    );
}

#[test]
fn real_cometbft_validator_set_changes_verify_and_bisect() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let net = CometBftNetwork::start(4).unwrap();
    mark(t0, &format!("4 validators up: {:?}", net.rpc_urls()));
    let rpcs: Vec<RpcClient> = (0..net.len())
        .map(|i| net.rpc(i).with_per_page(2))
        .collect();
    let keys = net.validator_keys();
    let (a, b, c, d) = (keys[0], keys[1], keys[2], keys[3]);
    let e = ValidatorKey::from_label("ferry-testnet: validator E (runs no node)").public_key();

    // The pre-v0.38 `val:` form is refused by v0.38's kvstore (':' and '=' in one tx).
    let old_form = format!("val:ed25519!{}!1", base64_encode(&e.0));
    match rpcs[0].broadcast_tx_commit(old_form.as_bytes()) {
        Err(Error::TxRefused {
            stage: "check_tx", ..
        }) => {}
        other => panic!("`val:` tx: {other:?}"),
    }

    let add_e = net.set_validator_power(&e, 1).unwrap().height; // E joins (never signs)
    let b_to_20 = net.set_validator_power(&b, 20).unwrap().height;
    let remove_e = net.set_validator_power(&e, 0).unwrap().height;
    let remove_b = net.set_validator_power(&b, 0).unwrap().height;
    let remove_c = net.set_validator_power(&c, 0).unwrap().height;
    let remove_d = net.set_validator_power(&d, 0).unwrap().height; // A alone from here + 2
    mark(
        t0,
        &format!(
            "changes committed at: add E {add_e}, B=20 {b_to_20}, remove E {remove_e}, \
             remove B {remove_b}, C {remove_c}, D {remove_d}"
        ),
    );
    let end = remove_d + 6;
    net.wait_for_height(end + 1, WAIT).unwrap();
    let blocks = fetch_checked(&rpcs, 1, end);
    mark(
        t0,
        &format!("fetched heights 1..={end} and checked their hashes"),
    );

    // The real chain applies each change at H + 2.
    assert_h_plus_2(&blocks, add_e, &e, 0, 1);
    assert_h_plus_2(&blocks, b_to_20, &b, 10, 20);
    assert_h_plus_2(&blocks, remove_e, &e, 1, 0);
    assert_h_plus_2(&blocks, remove_b, &b, 20, 0);
    assert_h_plus_2(&blocks, remove_c, &c, 10, 0);
    assert_h_plus_2(&blocks, remove_d, &d, 10, 0);
    let last = &blocks[end as usize - 1];
    assert_eq!(last.validators.len(), 1);
    assert_eq!(last.validators.validators()[0].pub_key(), &a);
    assert_eq!(power_at(&blocks, add_e + 2, &a), 10);

    // Adjacent, every height: across each change.
    for w in blocks.windows(2) {
        assert_eq!(
            verdict(&w[0], &w[1]),
            Verdict::Success,
            "adjacent {} -> {}",
            w[0].height(),
            w[1].height()
        );
    }
    mark(t0, &format!("{} adjacent verifications", blocks.len() - 1));

    // Skipping across the first three changes: all four genesis validators still sign.
    let h = |h: u64| &*blocks[h as usize - 1];
    assert_eq!(verdict(h(2), h(remove_e + 2)), Verdict::Success);
    assert_eq!(verdict(h(add_e + 2), h(remove_b + 2)), Verdict::Success);

    // Trust not met: trusted at the height that removes B, whose next set is A 10, B 20,
    // C 10, D 10; at the end only A (10 of those 50) signs.
    let trusted = h(remove_b);
    assert_eq!(trusted.next_validators.total_power(), 50);
    assert_eq!(
        verdict(trusted, h(end)),
        Verdict::NotEnoughTrust(VotingPowerTally {
            total: 50,
            tallied: 10,
            trust_threshold: TrustThreshold::ONE_THIRD,
        })
    );
    // Ferry's bisection, fetching its pivots over RPC, reaches the end anyway.
    let trace = bisect::verify_to_height(
        &Zebra,
        trusted,
        Height::new(end).unwrap(),
        &mut rpcs[1].clone(),
        now(),
        &options(),
        64,
    )
    .unwrap();
    let path: Vec<u64> = trace.verified.iter().map(|b| b.height().value()).collect();
    mark(
        t0,
        &format!(
            "bisection {} -> {end}: {} pivots, verified {path:?}",
            remove_b, trace.bisections
        ),
    );
    assert!(trace.bisections >= 1);
    assert_eq!(path.last(), Some(&end));
    for v in &trace.verified {
        assert_eq!(
            **v,
            *h(v.height().value()),
            "bisection fetched the same blocks"
        );
    }
    // Each step of the path verifies on its own too.
    let mut anchor = trusted;
    for v in &trace.verified {
        assert_eq!(verdict(anchor, v), Verdict::Success);
        anchor = v;
    }
    // And from the start of the chain, across every change.
    let trace = bisect::verify_to_height(
        &Zebra,
        h(1),
        Height::new(end).unwrap(),
        &mut rpcs[2].clone(),
        now(),
        &options(),
        64,
    )
    .unwrap();
    assert!(trace.bisections >= 1);
    mark(
        t0,
        &format!(
            "bisection 1 -> {end}: {} pivots, verified {:?}",
            trace.bisections,
            trace
                .verified
                .iter()
                .map(|b| b.height().value())
                .collect::<Vec<_>>()
        ),
    );
    let _ = N;
}
