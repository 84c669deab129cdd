//! The shared light-block fixtures (4, 32, 150, 300 validators, made by tendermint-rs's
//! generator): adjacent and skipping verification succeed, and single-byte corruptions fail
//! with the matching reason.

mod support;

use std::path::Path;
use std::time::Duration;

use ferry_verifier::*;
use serde_json::Value;
use support::*;

struct Fixture {
    h1: LightBlock,
    h2: LightBlock,
    h100: LightBlock,
    now: Time,
    json100: Value,
}

fn load(dir: &Path) -> Fixture {
    let meta = value(&dir.join("meta.json"));
    Fixture {
        h1: read_json(&dir.join("light_block_1.json")),
        h2: read_json(&dir.join("light_block_2.json")),
        h100: read_json(&dir.join("light_block_100.json")),
        now: Time::parse_rfc3339(meta["verify_now"].as_str().unwrap()).unwrap(),
        json100: value(&dir.join("light_block_100.json")),
    }
}

fn opts() -> Options {
    Options {
        trust_threshold: TrustThreshold::ONE_THIRD,
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        clock_drift: Duration::from_secs(10),
        ..Options::default()
    }
}

fn check(f: &Fixture, untrusted: &LightBlock, o: &Options) -> Verdict {
    let v = verify(
        &Zebra,
        &TrustedState::from_light_block(&f.h1),
        untrusted,
        f.now,
        o,
    );
    let c = verify(
        &Consensus,
        &TrustedState::from_light_block(&f.h1),
        untrusted,
        f.now,
        o,
    );
    assert_eq!(v, c, "backends disagree");
    let k = verify(
        &CachedZebra::default(),
        &TrustedState::from_light_block(&f.h1),
        untrusted,
        f.now,
        o,
    );
    assert_eq!(v, k, "cached-key backend disagrees");
    v
}

fn sizes() -> Vec<(usize, Fixture)> {
    let Some(root) = fixtures() else {
        return vec![];
    };
    let out: Vec<_> = [4usize, 32, 150, 300]
        .into_iter()
        .map(|n| (n, load(&root.join(n.to_string()))))
        .collect();
    for (n, f) in &out {
        assert_eq!(f.h1.validators.len(), *n);
    }
    out
}

#[test]
fn adjacent_and_skipping_succeed() {
    for (n, f) in sizes() {
        for o in [
            opts(),
            Options {
                verify_all_signatures: true,
                ..opts()
            },
            Options {
                parallel: true,
                ..opts()
            },
        ] {
            assert_eq!(check(&f, &f.h2, &o), Verdict::Success, "{n} adjacent");
            assert_eq!(check(&f, &f.h100, &o), Verdict::Success, "{n} skipping");
            let single = verify(
                &Single(Zebra),
                &TrustedState::from_light_block(&f.h1),
                &f.h100,
                f.now,
                &o,
            );
            assert_eq!(single, Verdict::Success, "{n} skipping, single");
        }
        // The trusted block cannot be verified again, nor an older one.
        assert!(matches!(
            check(&f, &f.h1, &opts()),
            Verdict::Invalid(VerificationError::NonIncreasingHeight { .. })
        ));
    }
}

/// Positions of votes for the block, and which of them the default verification counts:
/// the commit-order prefix that passes 2/3 of the signing set.
fn counted_prefix(b: &LightBlock) -> (Vec<usize>, usize) {
    let total = b.validators.total_power();
    let mut tallied = 0;
    let mut votes = vec![];
    let mut prefix = 0;
    for (i, (s, v)) in b
        .signed_header
        .commit
        .signatures
        .iter()
        .zip(b.validators.validators())
        .enumerate()
    {
        if let CommitSig::Commit { .. } = s {
            votes.push(i);
            if tallied <= total * 2 / 3 {
                tallied += v.power();
                prefix = votes.len();
            }
        }
    }
    (votes, prefix)
}

fn flip_signature(b: &mut LightBlock, i: usize, byte: usize) {
    if let CommitSig::Commit { signature, .. } = &mut b.signed_header.commit.signatures[i] {
        signature.0[byte] ^= 0x01;
    } else {
        panic!("not a vote");
    }
}

#[test]
fn corrupt_signatures_fail() {
    for (n, f) in sizes() {
        for (name, block) in [("adjacent", &f.h2), ("skipping", &f.h100)] {
            let (votes, prefix) = counted_prefix(block);
            // Every counted signature for small sets; a sample for large ones.
            let sample: Vec<usize> = if n <= 32 {
                (0..votes.len()).collect()
            } else {
                vec![0, prefix / 2, prefix - 1, prefix, votes.len() - 1]
            };
            for k in sample {
                let i = votes[k];
                for byte in [0, 31, 32, 63] {
                    let mut bad = block.clone();
                    flip_signature(&mut bad, i, byte);
                    let all = check(
                        &f,
                        &bad,
                        &Options {
                            verify_all_signatures: true,
                            ..opts()
                        },
                    );
                    assert!(
                        matches!(all, Verdict::Invalid(VerificationError::InvalidSignature { index, .. }) if index == i),
                        "{n} {name} sig {i} byte {byte}: {all:?}"
                    );
                    let default = check(&f, &bad, &opts());
                    if k < prefix {
                        assert_eq!(default, all, "{n} {name} sig {i}");
                    } else {
                        // As CometBFT: signatures past the 2/3 threshold are not checked.
                        assert_eq!(default, Verdict::Success, "{n} {name} sig {i}");
                    }
                }
            }
        }
    }
}

#[test]
fn parallel_path_names_the_same_bad_signature() {
    // The parallel path splits the counted signatures into parts claimed by whichever thread
    // is free; whatever thread checks which part, the verdict names the first bad signature
    // in commit order, as the sequential path does.
    let par = Options {
        parallel: true,
        ..opts()
    };
    for (n, f) in sizes().into_iter().filter(|(n, _)| *n >= 150) {
        let (votes, prefix) = counted_prefix(&f.h2);
        let (early, late) = (votes[1], votes[prefix - 2]);
        for bad_at in [vec![late], vec![early, late]] {
            let mut bad = f.h2.clone();
            for &i in &bad_at {
                flip_signature(&mut bad, i, 5);
            }
            let expected = check(&f, &bad, &opts());
            assert!(
                matches!(&expected, Verdict::Invalid(VerificationError::InvalidSignature { index, .. }) if *index == bad_at[0]),
                "{n}: {expected:?}"
            );
            for _ in 0..20 {
                assert_eq!(check(&f, &bad, &par), expected, "{n} parallel");
            }
        }
    }
}

#[test]
fn corrupt_header_fields_fail() {
    for (n, f) in sizes() {
        for (name, block) in [("adjacent", &f.h2), ("skipping", &f.h100)] {
            let mut cases: Vec<(&str, LightBlock)> = vec![];
            let mut c = |label: &'static str, m: &dyn Fn(&mut Header)| {
                let mut b = block.clone();
                m(&mut b.signed_header.header);
                cases.push((label, b));
            };
            c("time", &|h| {
                h.time = h.time.checked_add(Duration::from_nanos(1)).unwrap()
            });
            c("version", &|h| h.version.app ^= 1);
            c("last_block_id", &|h| {
                if let Hash::Sha256(x) = &mut h.last_block_id.hash {
                    x[0] ^= 1
                } else {
                    h.last_block_id.hash = Hash::Sha256([1; 32])
                }
            });
            c("next_validators_hash", &|h| {
                if let Hash::Sha256(x) = &mut h.next_validators_hash {
                    x[7] ^= 1
                }
            });
            c("validators_hash", &|h| {
                if let Hash::Sha256(x) = &mut h.validators_hash {
                    x[31] ^= 1
                }
            });
            c("consensus_hash", &|h| {
                if let Hash::Sha256(x) = &mut h.consensus_hash {
                    x[3] ^= 1
                }
            });
            c("app_hash", &|h| {
                h.app_hash = AppHash::from_bytes(&[0]).unwrap()
            });
            c("proposer_address", &|h| h.proposer_address.0[19] ^= 1);
            for (label, b) in &cases {
                let v = check(&f, b, &opts());
                assert!(
                    matches!(
                        v,
                        Verdict::Invalid(VerificationError::CommitBlockIdMismatch { .. })
                    ),
                    "{n} {name} {label}: {v:?}"
                );
            }
            let mut b = block.clone();
            b.signed_header.header.chain_id = ChainId::new("peer-chaio").unwrap();
            assert!(matches!(
                check(&f, &b, &opts()),
                Verdict::Invalid(VerificationError::ChainIdMismatch { .. })
            ));
            let mut b = block.clone();
            b.signed_header.header.height = b.signed_header.header.height.increment().unwrap();
            assert!(matches!(
                check(&f, &b, &opts()),
                Verdict::Invalid(VerificationError::CommitHeightMismatch { .. })
            ));
            // The commit itself: another block id, round or vote timestamp.
            let mut b = block.clone();
            b.signed_header.commit.round += 1;
            assert!(matches!(
                check(&f, &b, &opts()),
                Verdict::Invalid(VerificationError::InvalidSignature { .. })
            ));
        }
    }
}

/// Flips one hex digit of the first validator's key in the JSON of h100.
fn with_key_byte_flipped(json: &Value, set: &str, index: usize) -> String {
    let mut v = json.clone();
    let key = v[set]["validators"][index]["pub_key"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = key.into_bytes();
    bytes[0] = if bytes[0] == b'A' { b'B' } else { b'A' };
    v[set]["validators"][index]["pub_key"]["value"] =
        Value::String(String::from_utf8(bytes).unwrap());
    v.to_string()
}

#[test]
fn corrupt_validator_keys_fail() {
    for (n, f) in sizes() {
        for set in ["validator_set", "next_validator_set"] {
            for index in [0, n / 2, n - 1] {
                let text = with_key_byte_flipped(&f.json100, set, index);
                let de = &mut serde_json::Deserializer::from_str(&text);
                let err = serde_path_to_error::deserialize::<_, LightBlock>(de).unwrap_err();
                assert!(err.path().to_string().starts_with(set), "{err}");
                assert!(
                    err.to_string().contains("does not match its public key"),
                    "{err}"
                );
            }
        }
        // A consistent substitution (new key with its own address) is caught by the hash.
        let mut b = f.h100.clone();
        let mut vals: Vec<Validator> = b.validators.validators().to_vec();
        let power = vals[0].power();
        vals[0] = Validator::from_key(PublicKey([7; 32]), power).unwrap();
        b.validators = ValidatorSet::new(&vals).unwrap();
        let verdict = check(&f, &b, &opts());
        assert!(
            matches!(
                verdict,
                Verdict::Invalid(VerificationError::ValidatorsHashMismatch { .. })
            ),
            "{n}: {verdict:?}"
        );
        // A changed voting power too.
        let mut vals: Vec<Validator> = f.h100.validators.validators().to_vec();
        vals[1] = Validator::from_key(*vals[1].pub_key(), vals[1].power() + 1).unwrap();
        b.validators = ValidatorSet::new(&vals).unwrap();
        assert!(matches!(
            check(&f, &b, &opts()),
            Verdict::Invalid(VerificationError::ValidatorsHashMismatch { .. })
        ));
    }
}

#[test]
fn time_and_trust_predicates() {
    for (n, f) in sizes() {
        let trusted = TrustedState::from_light_block(&f.h1);
        // Expired trusted state: now beyond time(h1) + trusting period.
        let late =
            f.h1.header()
                .time
                .checked_add(Duration::from_secs(14 * 24 * 3600))
                .unwrap();
        assert!(matches!(
            verify(&Zebra, &trusted, &f.h2, late, &opts()),
            Verdict::Invalid(VerificationError::TrustedStateExpired { .. })
        ));
        // Header from the future: now well before h100's time.
        let early = f
            .h100
            .header()
            .time
            .checked_sub(Duration::from_secs(11))
            .unwrap();
        assert!(matches!(
            verify(&Zebra, &trusted, &f.h100, early, &opts()),
            Verdict::Invalid(VerificationError::HeaderFromFuture { .. })
        ));
        // Exactly at now + drift is from the future too (CometBFT: strictly before).
        let edge = f
            .h100
            .header()
            .time
            .checked_sub(Duration::from_secs(10))
            .unwrap();
        assert!(matches!(
            verify(&Zebra, &trusted, &f.h100, edge, &opts()),
            Verdict::Invalid(VerificationError::HeaderFromFuture { .. })
        ));
        // A trust threshold of 1 cannot be met by 75% of the old set: bisect.
        let strict = Options {
            trust_threshold: TrustThreshold::new(1, 1).unwrap(),
            ..opts()
        };
        assert!(
            matches!(verify(&Zebra, &trusted, &f.h100, f.now, &strict), Verdict::NotEnoughTrust(t) if t.tallied < t.total),
            "{n}"
        );
        // Adjacent verification ignores the trust threshold.
        assert_eq!(
            verify(&Zebra, &trusted, &f.h2, f.now, &strict),
            Verdict::Success
        );
    }
}
