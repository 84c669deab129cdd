//! Helpers shared by the real-chain tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use ferry_testnet::RpcClient;
use ferry_verifier::{LightBlock, Options};

/// Capacity of the light blocks these small networks need.
pub const N: usize = 32;

/// A light block of these tests.
pub type Block = LightBlock<N>;

/// Verification options: the defaults (trust 1/3, 14 days, 10 s drift).
pub fn options() -> Options {
    Options::default()
}

/// Light blocks `from..=to`, fetched round-robin from `rpcs`, each checked to hash (by
/// `Header::hash`) to the block id of its `/commit` and of `/block` on another node.
pub fn fetch_checked(rpcs: &[RpcClient], from: u64, to: u64) -> Vec<Box<Block>> {
    (from..=to)
        .map(|h| {
            let i = h as usize % rpcs.len();
            let b = rpcs[i].light_block::<N>(h).unwrap();
            assert_eq!(b.height().value(), h);
            assert_hash_matches_node(&b, &rpcs[(i + 1) % rpcs.len()]);
            b
        })
        .collect()
}

/// `Header::hash` equals the `block_id.hash` of the block's commit and of `/block`.
pub fn assert_hash_matches_node(b: &Block, rpc: &RpcClient) {
    let h = b.height().value();
    let hash = b.header().hash();
    assert_eq!(
        hash, b.signed_header.commit.block_id.hash,
        "height {h}: Header::hash differs from the commit's block_id.hash"
    );
    assert_eq!(
        hash,
        rpc.block_hash(h).unwrap(),
        "height {h}: Header::hash differs from /block's block_id.hash at {}",
        rpc.url()
    );
}

/// Prints the time since the test's start with what was just done (in the test's output).
pub fn mark(start: Instant, what: &str) {
    eprintln!("[{:>6.2}s] {what}", start.elapsed().as_secs_f64());
}

/// Generous bound for waiting on heights.
pub const WAIT: Duration = Duration::from_secs(90);
