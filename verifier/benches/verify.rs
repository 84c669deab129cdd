//! `cargo bench -p ferry-verifier`: light-block verification on the shared fixtures (4, 32,
//! 150, 300 validators), single-threaded unless noted, beside the raw cost of batch-verifying
//! just the signatures the verdict needs, and, when `--peer-dir DIR` holds tendermint-rs's
//! timings (`peer-N.json` from `../shared/peer-bench`, as `scripts/bench.sh` writes them), the
//! ratio against tendermint-rs measured in the same run.
//!
//! Options: `--fixtures DIR` (default ../shared/fixtures), `--peer-dir DIR`, `--peer-bin PATH`
//! (run the peer before and after each size, keeping its faster median), `--sizes 4,32`,
//! `--budget-ms MS` per measurement (default 1500).

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_verifier::block::CommitSig;
use ferry_verifier::crypto::{BatchVerifier, SignatureVerifier, Transcript};
use ferry_verifier::*;

mod harness;
use harness::{load, measure, measure_interleaved, Case, Stat};

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

/// The faster of the peer's medians in `peer-N.before.json` and `peer-N.after.json`.
fn peer_median(peer_dir: Option<&Path>, n: usize, prefix: &str) -> Option<f64> {
    let read = |tag: &str| -> Option<f64> {
        let text = std::fs::read_to_string(peer_dir?.join(format!("peer-{n}.{tag}.json"))).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["results"]
            .as_array()?
            .iter()
            .find(|r| r["name"].as_str().is_some_and(|s| s.starts_with(prefix)))?["median_us"]
            .as_f64()
    };
    match (read("before"), read("after")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Runs tendermint-rs's timing (`peer bench`) on one fixture directory.
fn run_peer(bin: &Path, dir: &Path, out: &Path) {
    let status = std::process::Command::new(bin)
        .args(["bench", "--dir"])
        .arg(dir)
        .args(["--iters", "200", "--json"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    assert!(status.success(), "peer bench failed on {}", dir.display());
}

fn main() {
    let fixtures = harness::fixtures_dir();
    let budget = harness::budget(1500);
    let peer_dir = harness::arg("--peer-dir").map(PathBuf::from);
    let peer_bin = harness::arg("--peer-bin").map(PathBuf::from);
    let sizes: Vec<usize> = harness::arg("--sizes")
        .map(|s| s.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or_else(|| vec![4, 32, 150, 300]);
    if !fixtures.is_dir() {
        eprintln!(
            "fixtures not found at {} (use --fixtures DIR)",
            fixtures.display()
        );
        std::process::exit(1);
    }
    let opts = Options {
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        clock_drift: Duration::from_secs(10),
        ..Options::default()
    };
    let now = Time::parse_rfc3339("2025-01-01T00:08:45Z").unwrap();
    println!(
        "{:<58} {:>11} {:>11}",
        "measurement (per verification)", "median_us", "min_us"
    );
    let mut table = vec![];
    for n in sizes {
        let dir = fixtures.join(n.to_string());
        let (h1, h2, h100) = (
            load(&dir.join("light_block_1.json")),
            load(&dir.join("light_block_2.json")),
            load(&dir.join("light_block_100.json")),
        );
        if let (Some(bin), Some(pd)) = (&peer_bin, &peer_dir) {
            run_peer(bin, &dir, &pd.join(format!("peer-{n}.before.json")));
        }
        let trusted = TrustedState::from_light_block(&h1);
        // Adjacent and skipping are sampled in one interleaved group, so that both see the
        // same machine.
        let par_opts = Options {
            parallel: true,
            ..opts
        };
        struct Kind<'a> {
            name: &'static str,
            block: &'a LightBlock,
            adjacent: bool,
            cached: CachedZebra,
            items: Vec<(PublicKey, Vec<u8>, Signature)>,
            labels: [String; 8],
        }
        let kinds: Vec<Kind<'_>> = [("adjacent", &h2, true), ("skipping", &h100, false)]
            .into_iter()
            .map(|(name, block, adjacent)| {
                assert_eq!(
                    verify(&Zebra, &trusted, block, now, &opts),
                    Verdict::Success
                );
                let items = needed(&h1, block, adjacent);
                let cached = CachedZebra::default();
                assert!(batch_floor(&Zebra, &items));
                assert!(batch_floor(&cached, &items));
                let k = items.len();
                let labels = [
                    "ferry (cached keys, batch, warm)".to_string(),
                    "ferry (zebra, batch)".to_string(),
                    "ferry (cached keys, batch, cold)".to_string(),
                    "ferry (consensus, batch)".to_string(),
                    "ferry (zebra, single, no heap)".to_string(),
                    "ferry (cached keys, batch, parallel)".to_string(),
                    format!("raw cached-keys batch of the {k} needed signatures"),
                    format!("raw zebra batch of the {k} needed signatures"),
                ]
                .map(|l| format!("{n:>3} {name:<8} {l}"));
                Kind {
                    name,
                    block,
                    adjacent,
                    cached,
                    items,
                    labels,
                }
            })
            .collect();
        let mut cases: Vec<Case<'_>> = vec![];
        for k in &kinds {
            let (block, cached, items, l) = (k.block, &k.cached, &k.items, &k.labels);
            let (trusted, opts, par_opts) = (&trusted, &opts, &par_opts);
            cases.push((
                &l[0],
                Box::new(move || verify(cached, trusted, block, now, opts) == Verdict::Success),
            ));
            cases.push((
                &l[1],
                Box::new(move || verify(&Zebra, trusted, block, now, opts) == Verdict::Success),
            ));
            cases.push((
                &l[2],
                Box::new(move || {
                    verify(&CachedZebra::default(), trusted, block, now, opts) == Verdict::Success
                }),
            ));
            cases.push((
                &l[3],
                Box::new(move || verify(&Consensus, trusted, block, now, opts) == Verdict::Success),
            ));
            cases.push((
                &l[4],
                Box::new(move || {
                    verify(&Single(Zebra), trusted, block, now, opts) == Verdict::Success
                }),
            ));
            cases.push((
                &l[5],
                Box::new(move || verify(cached, trusted, block, now, par_opts) == Verdict::Success),
            ));
            cases.push((&l[6], Box::new(move || batch_floor(cached, items))));
            cases.push((&l[7], Box::new(move || batch_floor(&Zebra, items))));
        }
        let stats = measure_interleaved(budget * 2, &mut cases);
        for ((label, _), stat) in cases.iter().zip(&stats) {
            println!("{label:<66} {:>11.1} {:>11.1}", stat.median_us, stat.min_us);
        }
        for (k, med) in kinds.iter().zip(stats.chunks(8)) {
            let med: Vec<f64> = med.iter().map(|s| s.median_us).collect();
            table.push((
                n,
                k.name,
                k.adjacent,
                med[0],
                med[5],
                med[6],
                k.items.len(),
                med[1],
                med[7],
            ));
        }
        if let (Some(bin), Some(pd)) = (&peer_bin, &peer_dir) {
            run_peer(bin, &dir, &pd.join(format!("peer-{n}.after.json")));
        }
        // Backend choice: one signature, single verification.
        let (k, m, s) = needed(&h1, &h2, true).remove(0);
        run_single(n, "zebra", measure(budget / 3, || Zebra.verify(&k, &m, &s)));
        run_single(
            n,
            "consensus",
            measure(budget / 3, || Consensus.verify(&k, &m, &s)),
        );
    }
    println!();
    println!("| validators | verification | ferry (us) | tendermint-rs (us) | speed-up | raw batch floor (us) | ferry / floor | ferry, zebra backend (us) | zebra / its floor | ferry parallel (us) |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (n, kind, adjacent, ours, par, floor, sigs, zebra, zebra_floor) in table {
        let peer = peer_median(peer_dir.as_deref(), n, if adjacent { "a)" } else { "b)" });
        let (peer_s, ratio) = match peer {
            Some(p) => (format!("{p:.0}"), format!("{:.2}x", p / ours)),
            None => ("-".into(), "-".into()),
        };
        println!(
            "| {n} | {kind} | {ours:.0} | {peer_s} | {ratio} | {floor:.0} ({sigs} sigs) | {:.3} | {zebra:.0} | {:.3} | {par:.0} |",
            ours / floor,
            zebra / zebra_floor
        );
    }
}

fn run_single(n: usize, name: &str, s: Stat) {
    println!(
        "{:<58} {:>11.1} {:>11.1}",
        format!("{n:>3} one signature, {name}"),
        s.median_us,
        s.min_us
    );
}
