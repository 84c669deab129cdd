//! Timing helpers shared by the bench binaries.
#![allow(dead_code)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Median, spread (10th and 90th percentiles) and minimum of a measurement, in microseconds.
pub struct Stat {
    pub median_us: f64,
    pub p10_us: f64,
    pub p90_us: f64,
    pub min_us: f64,
}

impl Stat {
    fn of(mut samples: Vec<f64>) -> Stat {
        samples.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
        Stat {
            median_us: at(0.5),
            p10_us: at(0.1),
            p90_us: at(0.9),
            min_us: samples[0],
        }
    }
}

/// A labelled measurement: runs one verification, returns whether it succeeded.
pub type Case<'a> = (&'a str, Box<dyn FnMut() -> bool + 'a>);

/// Samples every case in turn, round after round, so slow and fast moments of a shared
/// machine fall on all of them alike.
pub fn measure_interleaved(budget: Duration, cases: &mut [Case<'_>]) -> Vec<Stat> {
    let mut samples: Vec<Vec<f64>> = vec![vec![]; cases.len()];
    for (_, f) in cases.iter_mut() {
        for _ in 0..3 {
            assert!(black_box(f()));
        }
    }
    let rounds = 20;
    let slice = budget / rounds;
    for _ in 0..rounds {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            let start = Instant::now();
            let mut taken = 0;
            while taken < 3 || (start.elapsed() < slice && taken < 400) {
                let t = Instant::now();
                black_box(f());
                samples[i].push(t.elapsed().as_secs_f64() * 1e6);
                taken += 1;
            }
        }
    }
    samples.into_iter().map(Stat::of).collect()
}

/// A light block from a JSON file.
pub fn load(path: &Path) -> ferry_verifier::LightBlock {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// `--fixtures DIR`, by default `../shared/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    arg("--fixtures")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"))
}

/// `--budget-ms MS` per measurement.
pub fn budget(default_ms: u64) -> Duration {
    Duration::from_millis(
        arg("--budget-ms")
            .and_then(|s| s.parse().ok())
            .unwrap_or(default_ms),
    )
}
