//! Ferry's light client (`ferry::light`) over real HTTP to real CometBFT nodes
//! (`ferry-testnet`, kvstore, on loopback), through `ferry::rpc` and `ferry::chain`:
//!
//! * a 4-validator network: initialised from height 1 and its hash, synced to the latest
//!   block, then across validator-set changes that leave one validator of the four with all
//!   the power (10 of the trusted 40 sign: skipping fails, bisection finds the way); a
//!   restart resumes from the store without trusting anything new and goes on;
//! * a real fork (one genesis, network B running copies of 3 of the 4 validators, never
//!   peered with A): with A's node as primary and B's as witness, the light client reports
//!   the divergence, both blocks verifying from the shared block 1, and saves nothing.
//!
//! Skipped (SKIPPED printed) without the chain binaries, failed with `CI=true`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferry::chain::{Chain, RpcChain};
use ferry::light::{LightClientBuilder, LightError, LightStore, Progress, TrustRoot, WitnessCheck};
use ferry::rpc::{RpcClient, RpcConfig};
use ferry_testnet::{require_chains, CometBftNetwork, TempDir};
use ferry_verifier::{ChainId, Height, LightBlock};

/// Capacity of these small networks' light blocks.
const N: usize = 32;

/// Bound for each test.
const LIMIT: Duration = Duration::from_secs(240);

/// Bound for waiting on heights.
const WAIT: Duration = Duration::from_secs(90);

/// One network at a time: the two cores are shared by every node.
static SERIAL: Mutex<()> = Mutex::new(());

fn mark(start: Instant, what: &str) {
    eprintln!("[{:>6.2}s] {what}", start.elapsed().as_secs_f64());
}

fn client(url: &str) -> RpcClient {
    // Two validators per page: every validator set takes several pages.
    RpcClient::new(
        url,
        RpcConfig {
            per_page: 2,
            ..RpcConfig::default()
        },
    )
    .unwrap()
}

async fn chain(url: &str, id: &ChainId) -> RpcChain {
    RpcChain::connect(client(url), id).await.unwrap()
}

fn height(h: u64) -> Height {
    Height::new(h).unwrap()
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // each test has its own runtime; the lock only serialises
async fn light_client_follows_a_real_chain_across_validator_changes_and_restarts() {
    if !require_chains() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    tokio::time::timeout(LIMIT, follow_real_chain())
        .await
        .expect("bounded");
}

async fn follow_real_chain() {
    let t0 = Instant::now();
    let net = CometBftNetwork::start(4).unwrap();
    let urls = net.rpc_urls();
    let id = ChainId::new(net.chain_id()).unwrap();
    mark(t0, &format!("4 validators up: {urls:?}"));

    // The operator's root: height 1 and its hash, read from another node than the primary.
    let root = TrustRoot {
        height: height(1),
        hash: net.rpc(1).block_hash(1).unwrap(),
    };
    let data = TempDir::new("light-real").unwrap();
    let store = LightStore::open(data.path()).unwrap();
    let mut lc = LightClientBuilder::<RpcChain, N>::new(chain(&urls[0], &id).await, store.clone())
        .witness(chain(&urls[2], &id).await)
        .init(root)
        .await
        .unwrap();
    assert_eq!(lc.trusted().height(), height(1));

    let report = lc.sync(&mut |_| {}).await.unwrap();
    assert!(report.height.value() >= 2, "{report:?}");
    assert!(
        matches!(report.witnesses[..], [WitnessCheck::Agrees { .. }]),
        "{report:?}"
    );
    // The verified hash is the one every node reports.
    assert_eq!(
        report.hash,
        net.rpc(3).block_hash(report.height.value()).unwrap()
    );
    mark(
        t0,
        &format!("synced 1 -> {} ({:?})", report.height, report.path),
    );

    // Power moves to A alone: B, C and D removed (each change signs from H + 2).
    let keys = net.validator_keys();
    let mut last = 0;
    for k in &keys[1..] {
        last = net.set_validator_power(k, 0).unwrap().height;
    }
    let end = last + 4;
    net.wait_for_height(end + 1, WAIT).unwrap();
    let signers_at_end = <RpcChain as Chain<N>>::light_block(lc.primary(), height(end))
        .await
        .unwrap()
        .validators
        .len();
    assert_eq!(signers_at_end, 1, "A alone signs {end}");
    mark(
        t0,
        &format!("B, C, D removed by height {last}; waiting done at {end}"),
    );

    let mut bisecting = Vec::new();
    let report = lc
        .verify_to_with(height(end), &mut |p| {
            if let Progress::Bisecting { height, pivot, .. } = p {
                bisecting.push((height.value(), pivot.value()));
            }
        })
        .await
        .unwrap();
    assert_eq!(report.height, height(end));
    assert!(report.bisections >= 1, "{report:?}");
    assert_eq!(report.bisections, bisecting.len());
    assert_eq!(report.hash, net.rpc(1).block_hash(end).unwrap());
    mark(
        t0,
        &format!(
            "verified {} -> {end}: path {:?}, bisections {bisecting:?}",
            report.from, report.path
        ),
    );
    let stored = store.heights(&id).unwrap();
    assert_eq!(stored.last(), Some(&height(end)));
    drop(lc);
    drop(store);

    // Restart: the stored state, no new trust; a different root is refused.
    let store = LightStore::open(data.path()).unwrap();
    let e = LightClientBuilder::<RpcChain, N>::new(chain(&urls[1], &id).await, store.clone())
        .init(TrustRoot {
            height: height(2),
            hash: net.rpc(1).block_hash(2).unwrap(),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, LightError::AlreadyInitialized { .. }), "{e}");
    let mut lc = LightClientBuilder::<RpcChain, N>::new(chain(&urls[1], &id).await, store.clone())
        .witness(chain(&urls[3], &id).await)
        .open()
        .unwrap();
    assert_eq!(lc.trusted().height(), height(end));
    assert_eq!(lc.root(), root);
    net.wait_for_height(end + 3, WAIT).unwrap();
    let report = lc.sync(&mut |_| {}).await.unwrap();
    assert_eq!(report.from, height(end));
    assert!(report.height.value() >= end + 3);
    assert_eq!(report.bisections, 0, "A alone signed both: {report:?}");
    mark(
        t0,
        &format!("restarted at {end}, synced to {}", report.height),
    );
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // each test has its own runtime; the lock only serialises
async fn light_client_detects_a_forked_witness() {
    if !require_chains() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    tokio::time::timeout(LIMIT, forked_witness())
        .await
        .expect("bounded");
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

async fn forked_witness() {
    let t0 = Instant::now();
    let (a, b) = start_fork(t0);
    let id = ChainId::new(a.chain_id()).unwrap();
    let (ua, ub) = (a.rpc_urls(), b.rpc_urls());
    a.rpc(0).broadcast_tx_commit(b"fork=a").unwrap();
    b.rpc(0).broadcast_tx_commit(b"fork=b").unwrap();
    let target = 6;
    a.wait_for_height(target + 1, WAIT).unwrap();
    b.wait_for_height(target + 1, WAIT).unwrap();

    let data = TempDir::new("light-fork").unwrap();
    let store = LightStore::open(data.path()).unwrap();
    let root = TrustRoot {
        height: height(1),
        hash: a.rpc(1).block_hash(1).unwrap(),
    };
    let mut lc = LightClientBuilder::<RpcChain, N>::new(chain(&ua[0], &id).await, store.clone())
        .witness(chain(&ub[0], &id).await)
        .init(root)
        .await
        .unwrap();
    let e = lc.verify_to(height(target)).await.unwrap_err();
    let LightError::Diverged(d) = &e else {
        panic!("expected a divergence, got: {e}")
    };
    mark(t0, &format!("{e}"));
    assert_eq!(d.height, height(target));
    assert_eq!(d.common.height(), height(1));
    assert_eq!(d.primary_source, lc.primary().rpc().url());
    assert_eq!(
        d.primary.header().hash(),
        a.rpc(2).block_hash(target).unwrap()
    );
    assert_eq!(
        d.witness.header().hash(),
        b.rpc(1).block_hash(target).unwrap()
    );
    assert_ne!(d.primary.header().hash(), d.witness.header().hash());
    // Nothing saved: still at the root.
    assert_eq!(lc.trusted().height(), height(1));
    assert_eq!(store.heights(&id).unwrap(), [height(1)]);
    // Evidence can be built from what was reported.
    let primary: &LightBlock<N> = &d.primary;
    let evidence =
        ferry::evidence::light_client_attack_evidence(&d.witness, &d.common, primary).unwrap();
    assert_eq!(evidence.total_voting_power, 40);

    // Without the witness the same primary verifies: A is a valid chain on its own.
    drop(lc);
    let mut alone = LightClientBuilder::<RpcChain, N>::new(chain(&ua[1], &id).await, store)
        .open()
        .unwrap();
    let report = alone.verify_to(height(target)).await.unwrap();
    assert_eq!(report.hash, d.primary.header().hash());
}
