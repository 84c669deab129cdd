//! tendermint-rs's light-client conformance vectors: model-based single steps, legacy
//! single-step sequences, voting-power tallies and bisection (`../shared/vectors`).

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_verifier::bisect::{verify_to_height, LightBlockSource};
use ferry_verifier::*;
use serde_json::Value;
use support::*;

fn ns_duration(v: &Value) -> Duration {
    let ns: u64 = match v {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.as_u64().unwrap(),
        other => panic!("duration {other}"),
    };
    Duration::from_nanos(ns)
}

fn time(v: &Value) -> Time {
    Time::parse_rfc3339(v.as_str().unwrap()).unwrap()
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Success => "SUCCESS",
        Verdict::NotEnoughTrust(_) => "NOT_ENOUGH_TRUST",
        Verdict::Invalid(_) => "INVALID",
    }
}

/// Checks both backends give the same verdict, and returns it.
fn verify_both(
    trusted: &TrustedState<'_>,
    block: &LightBlock,
    now: Time,
    opts: &Options,
) -> Verdict {
    let a = verify(&Zebra, trusted, block, now, opts);
    let b = verify(&Consensus, trusted, block, now, opts);
    assert_eq!(a, b, "backends disagree");
    let cached = verify(&CachedZebra::default(), trusted, block, now, opts);
    assert_eq!(a, cached, "cached-key backend disagrees");
    let single = verify(&Single(Zebra), trusted, block, now, opts);
    assert_eq!(a, single, "single verification disagrees");
    let mut all = *opts;
    all.verify_all_signatures = true;
    let c = verify(&Zebra, trusted, block, now, &all);
    // Checking every signature may only turn a success into a failure, never the reverse.
    if a != Verdict::Success {
        assert_eq!(verdict_name(&a), verdict_name(&c));
    }
    a
}

#[test]
fn model_based_single_step() {
    let Some(dir) = vector_set("tendermint-rs/light-client/model_based/single_step") else {
        return;
    };
    let files = json_files(&dir);
    assert_eq!(files.len(), 41);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut steps = 0;
    for f in &files {
        let v = value(f);
        let init = &v["initial"];
        let header: SignedHeader = from_value(&init["signed_header"]).unwrap();
        let next_vals: ValidatorSet = from_value(&init["next_validator_set"]).unwrap();
        let opts = Options {
            trust_threshold: TrustThreshold::ONE_THIRD,
            trusting_period: ns_duration(&init["trusting_period"]),
            clock_drift: Duration::ZERO,
            ..Options::default()
        };
        // Trusted state: the initial header, validators = next validators.
        let mut trusted = LightBlock {
            signed_header: header,
            validators: next_vals.clone(),
            next_validators: next_vals,
        };
        for (i, step) in v["input"].as_array().unwrap().iter().enumerate() {
            let block: LightBlock = from_value(&step["block"])
                .unwrap_or_else(|e| panic!("{} step {i}: {e}", f.display()));
            let now = time(&step["now"]);
            let expected = step["verdict"].as_str().unwrap();
            let got = verify_both(
                &TrustedState::from_light_block(&trusted),
                &block,
                now,
                &opts,
            );
            assert_eq!(
                verdict_name(&got),
                expected,
                "{} step {i}: {got:?}",
                f.display()
            );
            *counts.entry(verdict_name(&got)).or_default() += 1;
            steps += 1;
            if got == Verdict::Success {
                trusted = block;
            }
        }
    }
    assert_eq!(steps, 99);
    assert_eq!(counts["SUCCESS"], 44);
    assert_eq!(counts["NOT_ENOUGH_TRUST"], 42);
    assert_eq!(counts["INVALID"], 13);
}

#[test]
fn legacy_single_step() {
    let Some(dir) = vector_set("tendermint-rs/light-client-legacy") else {
        return;
    };
    let mut files = json_files(&dir.join("single_step_a"));
    files.extend(json_files(&dir.join("single_step_b")));
    assert_eq!(files.len(), 37);
    let (mut ran, mut unparsable) = (0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => {
                // Four upstream files are not valid JSON; they must be rejected cleanly.
                let name = f.file_name().unwrap().to_str().unwrap();
                assert!(name.starts_with('_'), "{} does not parse", f.display());
                assert!(serde_json::from_str::<LightBlock>(&text).is_err());
                unparsable += 1;
                continue;
            }
        };
        let init = &v["initial"];
        let now = time(&init["now"]);
        let opts = Options {
            trust_threshold: TrustThreshold::ONE_THIRD,
            trusting_period: ns_duration(&init["trusting_period"]),
            clock_drift: Duration::from_secs(1),
            // These sets were generated by Tendermint v0.33 (amino hashes and sign-bytes).
            encoding: Encoding::Amino,
            ..Options::default()
        };
        let header: SignedHeader = from_value(&init["signed_header"]).unwrap();
        let next_vals: ValidatorSet = from_value(&init["next_validator_set"]).unwrap();
        let mut trusted = LightBlock {
            signed_header: header,
            validators: next_vals.clone(),
            next_validators: next_vals,
        };
        let expect_error = match v["expected_output"].as_str().unwrap() {
            "error" => true,
            "no error" => false,
            other => panic!("{other}"),
        };
        let mut failure: Option<String> = None;
        for step in v["input"].as_array().unwrap() {
            let block: LightBlock = match from_value(step) {
                Ok(b) => b,
                Err(e) => {
                    failure = Some(format!("decode: {e}"));
                    break;
                }
            };
            let got = verify_both(
                &TrustedState::from_light_block(&trusted),
                &block,
                now,
                &opts,
            );
            if got != Verdict::Success {
                failure = Some(format!("{got:?}"));
                break;
            }
            trusted = block;
        }
        assert_eq!(
            failure.is_some(),
            expect_error,
            "{}: {:?}",
            f.display(),
            failure
        );
        ran += 1;
    }
    assert_eq!(unparsable, 4);
    assert_eq!(ran, 33);
}

#[test]
fn legacy_voting_power() {
    let Some(dir) = vector_set("tendermint-rs/light-client-legacy/voting_power") else {
        return;
    };
    let files = json_files(&dir);
    assert_eq!(files.len(), 10);
    for f in &files {
        let v = value(f);
        let sh: SignedHeader = from_value(&v["signed_header"]).unwrap();
        let vals: ValidatorSet = from_value(&v["validator_set"]).unwrap();
        // Tendermint v0.33 data: amino sign-bytes.
        let amino = Options {
            encoding: Encoding::Amino,
            ..Options::default()
        };
        let got = voting_power_in(&Zebra, &sh.header.chain_id, &sh.commit, &vals, &amino);
        let got_c = voting_power_in(&Consensus, &sh.header.chain_id, &sh.commit, &vals, &amino);
        assert_eq!(got, got_c, "{}", f.display());
        let r = &v["result"];
        if let Some(ok) = r.get("Ok") {
            let t = got.unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert_eq!(t.total, ok["total"].as_u64().unwrap(), "{}", f.display());
            assert_eq!(
                t.tallied,
                ok["tallied"].as_u64().unwrap(),
                "{}",
                f.display()
            );
        } else {
            let kind = r["Err"]["error_type"].as_str().unwrap();
            let e = got.expect_err(&f.display().to_string());
            match kind {
                "InvalidSignature" => {
                    assert!(
                        matches!(e, VerificationError::InvalidSignature { .. }),
                        "{e}"
                    )
                }
                "DuplicateValidator" => {
                    assert!(matches!(e, VerificationError::DoubleVote { .. }), "{e}")
                }
                other => panic!("unknown error type {other}"),
            }
        }
    }
}

/// A provider from a vector file: its light blocks by height.
struct Provider(BTreeMap<u64, LightBlock>);

impl Provider {
    fn new(v: &Value) -> Self {
        let mut m = BTreeMap::new();
        for b in v["lite_blocks"].as_array().unwrap() {
            let lb: LightBlock = from_value(b).unwrap();
            m.insert(lb.height().value(), lb);
        }
        Provider(m)
    }
}

impl LightBlockSource<MAX_VALIDATORS> for Provider {
    type Error = String;
    fn light_block(&mut self, height: Height) -> Result<Box<LightBlock>, String> {
        self.0
            .get(&height.value())
            .cloned()
            .map(Box::new)
            .ok_or_else(|| format!("no block at {height}"))
    }
}

#[test]
fn bisection() {
    let Some(dir) = vector_set("tendermint-rs/light-client/bisection") else {
        return;
    };
    let files = json_files(&dir);
    assert_eq!(files.len(), 8);
    let mut advisory = 0;
    let mut judged = 0;
    for f in &files {
        let v = value(f);
        let to = &v["trust_options"];
        let period = ns_duration(&to["period"]);
        let tl = &to["trust_level"];
        let threshold = TrustThreshold::new(
            tl["numerator"].as_str().unwrap().parse().unwrap(),
            tl["denominator"].as_str().unwrap().parse().unwrap(),
        )
        .unwrap();
        let opts = Options {
            trust_threshold: threshold,
            trusting_period: period,
            clock_drift: Duration::from_secs(10),
            // Tendermint v0.33 data: amino hashes and sign-bytes.
            encoding: Encoding::Amino,
            ..Options::default()
        };
        let now = time(&v["now"]);
        let mut primary = Provider::new(&v["primary"]);
        let trusted_height: u64 = to["height"].as_str().unwrap().parse().unwrap();
        let trusted = primary.0[&trusted_height].clone();
        let name = f.file_name().unwrap().to_str().unwrap();
        if name.starts_with('_') {
            // Disabled upstream (advisory): run, report, do not judge.
            let r = verify_to_height(
                &Zebra,
                &trusted,
                Height::new(
                    v["height_to_verify"]
                        .as_str()
                        .map(|s| s.parse().unwrap())
                        .unwrap_or(1),
                )
                .unwrap(),
                &mut primary,
                time(&v["now"]),
                &opts,
                64,
            );
            eprintln!(
                "advisory {}: trusted hash matches: {}, result: {:?}",
                name,
                trusted.header().hash_with(Encoding::Amino).to_string()
                    == to["hash"].as_str().unwrap(),
                r.map(|t| t.bisections).map_err(|e| e.to_string())
            );
            advisory += 1;
            continue;
        }
        assert_eq!(
            trusted.header().hash_with(Encoding::Amino).to_string(),
            to["hash"].as_str().unwrap(),
            "{}: trusted hash",
            f.display()
        );
        let target = match &v["height_to_verify"] {
            Value::String(s) => s.parse().unwrap(),
            n => n.as_u64().unwrap(),
        };
        let target = Height::new(target).unwrap();
        let result = verify_to_height(&Zebra, &trusted, target, &mut primary, now, &opts, 64)
            .map_err(|e| e.to_string())
            .and_then(|trace| {
                // Cross-check the verified target with every witness: a witness with another
                // block at that height (or none) means the primary cannot be confirmed.
                let verified = trace.verified.last().unwrap();
                for w in v["witnesses"].as_array().unwrap() {
                    let witness = Provider::new(&w["value"]);
                    match witness.0.get(&target.value()) {
                        Some(b)
                            if b.header().hash_with(Encoding::Amino)
                                == verified.header().hash_with(Encoding::Amino) => {}
                        Some(b) => {
                            return Err(format!(
                                "witness has conflicting header {} at {target}",
                                b.header().hash_with(Encoding::Amino)
                            ))
                        }
                        None => return Err(format!("witness has no block at {target}")),
                    }
                }
                Ok(trace.bisections)
            });
        let expect_error = v["expected_output"].as_str().unwrap() == "error";
        eprintln!("{name}: {result:?}");
        assert_eq!(result.is_err(), expect_error, "{}: {result:?}", f.display());
        judged += 1;
        if let (Ok(n), Some(expected)) = (&result, v["expected_num_of_bisections"].as_u64()) {
            // The vectors count verification rounds, which is pivots + 1 here.
            eprintln!("{}: {n} pivots, vector says {expected}", f.display());
        }
    }
    assert_eq!((judged, advisory), (6, 2));
}
