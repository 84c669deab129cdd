//! Bad input never panics: thousands of deterministic random mutations of a light block's JSON
//! and of its protobuf encoding are decoded, and whatever decodes is verified; every outcome
//! must be a value or an error.

use std::time::Duration;

use ferry_verifier::pb::{self, Message};
use ferry_verifier::*;

const H1: &str = include_str!("../../fixtures/data/nostd-4/light_block_1.json");
const H2: &str = include_str!("../../fixtures/data/nostd-4/light_block_2.json");

/// xorshift64*: deterministic, so a failure is reproducible from its iteration number.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let i = rng.below(b.len());
        match rng.below(4) {
            0 => b[i] ^= 1 << rng.below(8),
            1 => {
                const ALPHABET: &[u8] = b"0123456789abcdefABCDEF\"{}[],:-+. xz";
                b[i] = ALPHABET[rng.below(ALPHABET.len())];
            }
            2 => {
                b.remove(i);
            }
            _ => b.insert(i, b[rng.below(b.len())]),
        }
        if b.is_empty() {
            b.push(b'{');
        }
    }
    b
}

#[test]
fn mutated_json_never_panics() {
    let trusted: LightBlock<8> = serde_json::from_str(H1).unwrap();
    let state = TrustedState::from_light_block(&trusted);
    let now = Time::parse_rfc3339("2025-01-01T00:01:00Z").unwrap();
    let opts = Options {
        trusting_period: Duration::from_secs(3600),
        ..Options::default()
    };
    let mut rng = Rng(0x5eed);
    let (mut decoded, mut success) = (0, 0);
    for _ in 0..10_000 {
        let bytes = mutate(&mut rng, H2.as_bytes());
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Ok(block) = serde_json::from_str::<LightBlock<8>>(text) {
            decoded += 1;
            if verify(&Zebra, &state, &block, now, &opts) == Verdict::Success {
                success += 1;
            }
        }
    }
    // Some mutations only touch whitespace-equivalent or ignored fields, most break decoding
    // or verification; none panicked.
    assert!(decoded > 0);
    assert!(success < decoded);
}

#[test]
fn mutated_protobuf_never_panics() {
    let block: LightBlock<8> = serde_json::from_str(H2).unwrap();
    let msg = pb::LightBlock::from(&block);
    let next = pb::ValidatorSet::from(&block.next_validators);
    let bytes = msg.encode_to_vec();
    let mut rng = Rng(0xb10c);
    let mut decoded = 0;
    for _ in 0..10_000 {
        let m = mutate(&mut rng, &bytes);
        if let Ok(lb) = pb::LightBlock::decode(m.as_slice()) {
            if LightBlock::<8>::try_from((&lb, &next)).is_ok() {
                decoded += 1;
            }
        }
        let _ = pb::Evidence::decode(m.as_slice());
        let _ = pb::ibc::Header::decode(m.as_slice());
    }
    assert!(decoded < 10_000);
}
