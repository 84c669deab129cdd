//! `ferry-bench`: Ferry's verifier timed beside tendermint-rs 0.41's `ProdVerifier` in one
//! process, on the same light blocks (the shared fixtures: 4, 32, 150 and 300 validators),
//! sampled interleaved, round after round, so that a slow or fast moment of the machine
//! falls on every configuration alike and the ratios are not flattered.
//!
//! `bash scripts/bench.sh` runs it. Options: `--fixtures DIR` (default ../shared/fixtures),
//! `--sizes 4,32,150,300`, `--budget-ms MS` per configuration and verification kind (default
//! 3000).
//!
//! Both verifiers get light blocks already decoded from JSON and verify adjacent (h1 -> h2)
//! and skipping (h1 -> h100, trust 1/3) at the same `now`. tendermint-rs hashes the validator
//! sets during verification; Ferry hashes a set once when it is built (decoded), so that
//! cost is outside Ferry's timing: `set hash` in the output is what it is per set.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use ferry_verifier::block::CommitSig;
use ferry_verifier::crypto::{BatchVerifier, SignatureVerifier, Transcript};
use ferry_verifier::{
    verify, CachedZebra, Consensus, LightBlock, Options, PublicKey, Signature, Single, Time,
    TrustedState, Verdict, Zebra,
};
use tendermint_light_client_verifier::types::LightBlock as TmLightBlock;
use tendermint_light_client_verifier::{ProdVerifier, Verifier};

#[path = "../../verifier/benches/harness/mod.rs"]
mod harness;
use harness::{arg, fixtures_dir, measure_interleaved, Case};

/// The (key, sign-bytes, signature) triples the verdict needs: the commit-order prefix that
/// passes 2/3 of the signing set, extended (skipping) until the trusted set's share passes
/// the trust threshold.
fn needed(
    trusted: &LightBlock,
    b: &LightBlock,
    adjacent: bool,
) -> Vec<(PublicKey, Vec<u8>, Signature)> {
    let commit = &b.signed_header.commit;
    let template = commit.vote_template(b.header().chain_id.as_str());
    let total = b.validators.total_power();
    let t_total = trusted.next_validators.total_power();
    let (mut tallied, mut t_tallied) = (0u64, 0u64);
    let mut out = vec![];
    for (s, v) in commit.signatures.iter().zip(b.validators.validators()) {
        let CommitSig::Commit {
            timestamp,
            signature,
            ..
        } = s
        else {
            continue;
        };
        let need_two_thirds = tallied <= total * 2 / 3;
        let in_trusted = trusted
            .next_validators
            .find(v.address())
            .map(|(_, tv)| tv.power());
        let need_trust = !adjacent && t_tallied <= t_total / 3 && in_trusted.is_some();
        if !need_two_thirds && !need_trust {
            continue;
        }
        tallied += v.power();
        t_tallied += in_trusted.unwrap_or(0);
        out.push((
            *v.pub_key(),
            template.sign_bytes(timestamp).unwrap().as_bytes().to_vec(),
            *signature,
        ));
    }
    out
}

/// Batch-verifies just the given signatures with pre-built sign-bytes: the floor under a
/// verification with this backend.
fn batch_floor<B: SignatureVerifier>(
    backend: &B,
    items: &[(PublicKey, Vec<u8>, Signature)],
) -> bool {
    let mut batch = backend.batch(items.len()).expect("batching backend");
    let mut transcript = Transcript::new(&[0; 32]);
    for (k, m, s) in items {
        transcript.append(k, m, s);
        batch.queue(k, m, s);
    }
    batch.verify(&mut transcript.rng())
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// ed25519-zebra's own batch verifier behind Ferry's backend trait: what the default `Zebra`
/// backend batched with before it used Ferry's batch equation.
struct ZebraOwnBatch;

struct ZebraOwnBatchQueue(ed25519_zebra::batch::Verifier);

impl SignatureVerifier for ZebraOwnBatch {
    type Batch = ZebraOwnBatchQueue;
    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
        Zebra.verify(key, msg, sig)
    }
    fn batch(&self, _capacity: usize) -> Option<ZebraOwnBatchQueue> {
        Some(ZebraOwnBatchQueue(ed25519_zebra::batch::Verifier::new()))
    }
}

impl BatchVerifier for ZebraOwnBatchQueue {
    fn queue(&mut self, key: &PublicKey, msg: &[u8], sig: &Signature) {
        self.0.queue((
            ed25519_zebra::VerificationKeyBytes::from(key.0),
            ed25519_zebra::Signature::from_bytes(&sig.0),
            msg,
        ));
    }
    fn verify(self, rng: &mut ferry_verifier::crypto::DerivedRng) -> bool {
        self.0.verify(rng).is_ok()
    }
}

/// The configurations timed, in table order.
const CONFIGS: [&str; 9] = [
    "tendermint-rs ProdVerifier",
    "ferry default (Zebra, stateless)",
    "ferry CachedZebra, warm",
    "ferry CachedZebra, cold (new each call)",
    "ferry parallel (default backend, 2 cores)",
    "ferry Single(Zebra), no heap",
    "ferry Consensus backend",
    "raw batch floor (default backend)",
    "ferry with ed25519-zebra's own batch (previous default)",
];

fn main() {
    let fixtures = fixtures_dir();
    let budget = harness::budget(3000);
    let sizes: Vec<usize> = arg("--sizes")
        .map(|s| s.split(',').map(|x| x.parse().expect("--sizes")).collect())
        .unwrap_or_else(|| vec![4, 32, 150, 300]);
    assert!(
        fixtures.is_dir(),
        "fixtures not found at {} (use --fixtures DIR)",
        fixtures.display()
    );

    let opts = Options {
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        clock_drift: Duration::from_secs(10),
        ..Options::default()
    };
    let par_opts = Options {
        parallel: true,
        ..opts
    };
    let now = Time::parse_rfc3339("2025-01-01T00:08:45Z").unwrap();
    let tm_opts = tendermint_light_client_verifier::options::Options {
        trust_threshold: tendermint_light_client_verifier::types::TrustThreshold::ONE_THIRD,
        trusting_period: opts.trusting_period,
        clock_drift: opts.clock_drift,
    };
    let tm_now = tendermint::Time::parse_from_rfc3339("2025-01-01T00:08:45Z").unwrap();
    let peer = ProdVerifier::default();

    println!(
        "{:<62} {:>10} {:>10} {:>10} {:>10}",
        "measurement (per verification, us)", "median", "p10", "p90", "min"
    );
    let mut rows = vec![];
    for n in sizes {
        let dir = fixtures.join(n.to_string());
        let texts: Vec<String> = [1, 2, 100]
            .iter()
            .map(|h| read(&dir.join(format!("light_block_{h}.json"))))
            .collect();
        let ours: Vec<LightBlock> = texts
            .iter()
            .map(|t| serde_json::from_str(t).expect("ferry decodes the fixture"))
            .collect();
        let theirs: Vec<TmLightBlock> = texts
            .iter()
            .map(|t| serde_json::from_str(t).expect("tendermint-rs decodes the fixture"))
            .collect();
        let trusted = TrustedState::from_light_block(&ours[0]);
        for (kind, idx, adjacent) in [("adjacent", 1, true), ("skipping", 2, false)] {
            let block = &ours[idx];
            let (tm_trusted, tm_untrusted) = (&theirs[0], &theirs[idx]);
            let items = needed(&ours[0], block, adjacent);
            let cached = CachedZebra::default();
            let (trusted, opts, par_opts, items) = (&trusted, &opts, &par_opts, &items);
            let ok = |v: Verdict| v == Verdict::Success;
            let peer = &peer;
            let mut cases: Vec<Case<'_>> = vec![
                (
                    CONFIGS[0],
                    Box::new(move || {
                        let v = peer.verify_update_header(
                            tm_untrusted.as_untrusted_state(),
                            tm_trusted.as_trusted_state(),
                            &tm_opts,
                            tm_now,
                        );
                        v == tendermint_light_client_verifier::Verdict::Success
                    }),
                ),
                (
                    CONFIGS[1],
                    Box::new(move || ok(verify(&Zebra, trusted, block, now, opts))),
                ),
                (
                    CONFIGS[2],
                    Box::new(move || ok(verify(&cached, trusted, block, now, opts))),
                ),
                (
                    CONFIGS[3],
                    Box::new(move || {
                        ok(verify(&CachedZebra::default(), trusted, block, now, opts))
                    }),
                ),
                (
                    CONFIGS[4],
                    Box::new(move || ok(verify(&Zebra, trusted, block, now, par_opts))),
                ),
                (
                    CONFIGS[5],
                    Box::new(move || ok(verify(&Single(Zebra), trusted, block, now, opts))),
                ),
                (
                    CONFIGS[6],
                    Box::new(move || ok(verify(&Consensus, trusted, block, now, opts))),
                ),
                (CONFIGS[7], Box::new(move || batch_floor(&Zebra, items))),
                (
                    CONFIGS[8],
                    Box::new(move || ok(verify(&ZebraOwnBatch, trusted, block, now, opts))),
                ),
            ];
            let stats = measure_interleaved(budget, &mut cases);
            for ((name, _), s) in cases.iter().zip(&stats) {
                println!(
                    "{:<62} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
                    format!("{n:>3} {kind:<8} {name}"),
                    s.median_us,
                    s.p10_us,
                    s.p90_us,
                    s.min_us
                );
            }
            // CachedZebra's first four calls on a new instance (keys decompressed on the
            // first, a table built for half the signer list on each of the next two).
            let mut calls: [Vec<f64>; 4] = Default::default();
            for _ in 0..(budget.as_millis() / 20).clamp(10, 200) {
                let fresh = CachedZebra::default();
                for c in &mut calls {
                    let t = Instant::now();
                    assert!(ok(verify(&fresh, trusted, block, now, opts)));
                    c.push(t.elapsed().as_secs_f64() * 1e6);
                }
            }
            let medians = calls.map(|mut c| {
                c.sort_by(|a, b| a.total_cmp(b));
                c[c.len() / 2]
            });
            println!(
                "{:<62} {}",
                format!("{n:>3} {kind:<8} CachedZebra calls 1, 2, 3, 4 (medians)"),
                medians.map(|m| format!("{m:.1}")).join(", ")
            );
            rows.push((n, kind, items.len(), stats));
        }
        // What the parallel path pays before any signature: one scoped thread started and
        // joined.
        let mut spawn_case: Vec<Case<'_>> = vec![(
            "spawn",
            Box::new(|| std::thread::scope(|sc| sc.spawn(|| black_box(1)).join().is_ok())),
        )];
        let s = &measure_interleaved(budget / 10, &mut spawn_case)[0];
        println!(
            "{:<62} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            format!("{n:>3} one scoped thread started and joined"),
            s.median_us,
            s.p10_us,
            s.p90_us,
            s.min_us
        );
        // What tendermint-rs spends hashing one validator set (Ferry does it at decode).
        let set = &theirs[1].validators;
        let mut hash_case: Vec<Case<'_>> = vec![(
            "set hash",
            Box::new(move || {
                black_box(set.hash());
                true
            }),
        )];
        let s = &measure_interleaved(budget / 10, &mut hash_case)[0];
        println!(
            "{:<62} {:>10.1}",
            format!("{n:>3} tendermint-rs validator-set hash"),
            s.median_us
        );
    }

    println!();
    println!("| validators | verification | signatures checked | tendermint-rs (us) | ferry default (us) | speed-up | CachedZebra warm (us) | speed-up | CachedZebra cold (us) | parallel, 2 cores (us, p10-p90) | no heap (us) | default / raw batch floor | previous default (us) |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (n, kind, sigs, s) in rows {
        let peer = s[0].median_us;
        println!(
            "| {n} | {kind} | {sigs} | {peer:.0} | {:.0} | {:.2}x | {:.0} | {:.2}x | {:.0} | {:.0} ({:.0}-{:.0}) | {:.0} | {:.3} | {:.0} |",
            s[1].median_us,
            peer / s[1].median_us,
            s[2].median_us,
            peer / s[2].median_us,
            s[3].median_us,
            s[4].median_us,
            s[4].p10_us,
            s[4].p90_us,
            s[5].median_us,
            s[1].median_us / s[7].median_us,
            s[8].median_us,
        );
    }
}
