//! ferry-verifier against a real 4-validator CometBFT network (kvstore): light blocks fetched
//! over RPC verify adjacent over 50 heights and skipping with trust 1/3, and every header
//! hashes to the block id the nodes report.

mod common;

use std::time::{Duration, Instant};

use common::{fetch_checked, mark, options, Block, N, WAIT};
use ferry_testnet::{now, require_chains, CometBftNetwork, RpcClient};
use ferry_verifier::{bisect, verify, Height, TrustedState, Verdict, VerificationError, Zebra};

fn verdict(trusted: &Block, untrusted: &Block) -> Verdict {
    verify(
        &Zebra,
        &TrustedState::from_light_block(trusted),
        untrusted,
        now(),
        &options(),
    )
}

#[test]
fn real_cometbft_light_blocks_verify_adjacent_and_skipping() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let net = CometBftNetwork::start(4).unwrap();
    mark(t0, &format!("4 validators up: {:?}", net.rpc_urls()));
    // 3 validators a page: every set comes in two pages, joined by ValidatorSet::from_pages.
    let rpcs: Vec<RpcClient> = (0..net.len())
        .map(|i| net.rpc(i).with_per_page(3))
        .collect();
    net.wait_for_height(52, WAIT).unwrap();
    mark(t0, "height 52");

    let blocks = fetch_checked(&rpcs, 1, 51);
    mark(t0, "fetched heights 1..=51 and checked their hashes");
    for b in &blocks {
        assert_eq!(b.header().chain_id.as_str(), "ferry-kv");
        assert_eq!(b.validators.len(), 4);
        assert_eq!(b.validators.total_power(), 40);
        // Every node agrees on the block.
        for rpc in &rpcs {
            assert_eq!(
                rpc.block_hash(b.height().value()).unwrap(),
                b.header().hash()
            );
        }
    }

    // Adjacent: 50 consecutive steps, 1 -> 2 -> ... -> 51.
    for w in blocks.windows(2) {
        assert_eq!(
            verdict(&w[0], &w[1]),
            Verdict::Success,
            "adjacent {} -> {}",
            w[0].height(),
            w[1].height()
        );
    }
    mark(t0, "50 adjacent verifications");

    // Skipping with the default trust threshold 1/3: h2 -> h40, and h1 -> h51.
    assert_eq!(verdict(&blocks[1], &blocks[39]), Verdict::Success);
    assert_eq!(verdict(&blocks[0], &blocks[50]), Verdict::Success);
    // Bisection over RPC needs no pivot when the validators never change.
    let trace = bisect::verify_to_height(
        &Zebra,
        &*blocks[1],
        Height::new(40).unwrap(),
        &mut rpcs[0].clone(),
        now(),
        &options(),
        16,
    )
    .unwrap();
    assert_eq!((trace.bisections, trace.verified.len()), (0, 1));
    assert_eq!(*trace.verified[0], *blocks[39]);
    mark(t0, "skipping 2 -> 40, 1 -> 51, bisection 2 -> 40");

    // The verdicts have teeth on this data: a changed header field, a changed signature.
    let mut forged: Box<Block> = blocks[39].clone();
    forged.signed_header.header.app_hash =
        ferry_verifier::AppHash::from_bytes(&[0xAB; 32]).unwrap();
    assert!(matches!(
        verdict(&blocks[1], &forged),
        Verdict::Invalid(VerificationError::CommitBlockIdMismatch { .. })
    ));
    let mut forged: Box<Block> = blocks[2].clone();
    let sig = forged
        .signed_header
        .commit
        .signatures
        .iter_mut()
        .find_map(|s| match s {
            ferry_verifier::CommitSig::Commit { signature, .. } => Some(signature),
            _ => None,
        })
        .unwrap();
    sig.0[7] ^= 1;
    assert!(
        matches!(verdict(&blocks[1], &forged), Verdict::Invalid(_)),
        "{:?}",
        verdict(&blocks[1], &forged)
    );
    let _ = N;
    assert!(t0.elapsed() < Duration::from_secs(180));
    mark(t0, "done");
}
