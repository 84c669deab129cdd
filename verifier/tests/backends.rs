//! The signature backends agree: ed25519-zebra (and its own batch verifier), ed25519-consensus,
//! Ferry's batch of the `Zebra` backend and the cached-key batch
//! verifier give the same answer, single and batched, on ZIP-215's edge cases (small-order
//! and non-canonically encoded points, non-canonical scalars, undecodable points) and on real
//! signatures.

use ferry_verifier::crypto::{BatchVerifier, SignatureVerifier, Transcript};
use ferry_verifier::*;

fn signed(msg: &[u8], seed: u8) -> (PublicKey, Signature) {
    let sk = ed25519_zebra::SigningKey::from([seed; 32]);
    let vk = ed25519_zebra::VerificationKeyBytes::from(&sk);
    (PublicKey(vk.into()), Signature(sk.sign(msg).to_bytes()))
}

fn single<B: SignatureVerifier>(b: &B, k: &PublicKey, m: &[u8], s: &Signature) -> bool {
    b.verify(k, m, s)
}

/// ed25519-zebra's own batch verifier: the reference for Ferry's batch equation, which the
/// `Zebra` backend and `CachedZebra` use.
fn zebra_own_batch(items: &[(PublicKey, Vec<u8>, Signature)]) -> bool {
    let mut v = ed25519_zebra::batch::Verifier::new();
    let mut t = Transcript::new(&[9; 32]);
    for (k, m, s) in items {
        t.append(k, m, s);
        v.queue((
            ed25519_zebra::VerificationKeyBytes::from(k.0),
            ed25519_zebra::Signature::from_bytes(&s.0),
            &m[..],
        ));
    }
    v.verify(t.rng()).is_ok()
}

fn batch<B: SignatureVerifier>(b: &B, items: &[(PublicKey, Vec<u8>, Signature)]) -> bool {
    let mut batch = b.batch(items.len()).expect("batching backend");
    let mut t = Transcript::new(&[9; 32]);
    for (k, m, s) in items {
        t.append(k, m, s);
        batch.queue(k, m, s);
    }
    batch.verify(&mut t.rng())
}

/// Identity point, canonical encoding (y = 1).
const IDENTITY: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
};

/// Identity point, non-canonical encoding (y = p + 1 = 2^255 - 18).
const IDENTITY_NONCANONICAL: [u8; 32] = {
    let mut b = [0xffu8; 32];
    b[0] = 0xee;
    b[31] = 0x7f;
    b
};

/// A point of order 2: (0, -1), y = p - 1.
const ORDER_TWO: [u8; 32] = {
    let mut b = [0xffu8; 32];
    b[0] = 0xec;
    b[31] = 0x7f;
    b
};

/// The group order L, little-endian: a non-canonical `s`.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn sig(r: [u8; 32], s: [u8; 32]) -> Signature {
    let mut b = [0u8; 64];
    b[..32].copy_from_slice(&r);
    b[32..].copy_from_slice(&s);
    Signature(b)
}

#[test]
fn zip215_edge_cases_agree() {
    let msg = b"ferry zip215".to_vec();
    // y = 2 does not decode to a curve point.
    let mut undecodable = [0u8; 32];
    undecodable[0] = 2;
    let cases: Vec<(&str, PublicKey, Signature, bool)> = vec![
        (
            "small-order A and R, s = 0",
            PublicKey(IDENTITY),
            sig(IDENTITY, [0; 32]),
            true,
        ),
        (
            "non-canonical identity A",
            PublicKey(IDENTITY_NONCANONICAL),
            sig(IDENTITY, [0; 32]),
            true,
        ),
        (
            "non-canonical identity R",
            PublicKey(IDENTITY),
            sig(IDENTITY_NONCANONICAL, [0; 32]),
            true,
        ),
        (
            "order-two A and R",
            PublicKey(ORDER_TWO),
            sig(ORDER_TWO, [0; 32]),
            true,
        ),
        (
            "s = L (non-canonical)",
            PublicKey(IDENTITY),
            sig(IDENTITY, L),
            false,
        ),
        (
            "undecodable R",
            PublicKey(IDENTITY),
            sig(undecodable, [0; 32]),
            false,
        ),
        (
            "undecodable A",
            PublicKey(undecodable),
            sig(IDENTITY, [0; 32]),
            false,
        ),
    ];
    let cached = CachedZebra::default();
    let (gk, gs) = signed(&msg, 3);
    for (name, k, s, expected) in cases {
        let z = single(&Zebra, &k, &msg, &s);
        let c = single(&Consensus, &k, &msg, &s);
        let f = single(&cached, &k, &msg, &s);
        assert_eq!((z, c, f), (expected, expected, expected), "single: {name}");
        // In a batch beside a good signature, the batch holds iff the edge case does.
        let items = vec![(gk, msg.clone(), gs), (k, msg.clone(), s)];
        let (bz, bc, bf, reference) = (
            batch(&Zebra, &items),
            batch(&Consensus, &items),
            batch(&cached, &items),
            zebra_own_batch(&items),
        );
        assert_eq!(
            (bz, bc, bf, reference),
            (expected, expected, expected, expected),
            "batch: {name}"
        );
        // And twice, from a warm key cache.
        assert_eq!(batch(&cached, &items), expected, "warm batch: {name}");
    }
}

#[test]
fn real_signatures_agree() {
    let cached = CachedZebra::with_capacity(8);
    let mut items = vec![];
    for seed in 0..20u8 {
        let msg = vec![seed; 1 + seed as usize * 7];
        let (k, s) = signed(&msg, seed);
        assert!(single(&Zebra, &k, &msg, &s));
        assert!(single(&Consensus, &k, &msg, &s));
        items.push((k, msg, s));
    }
    assert!(batch(&Zebra, &items));
    assert!(batch(&Consensus, &items));
    assert!(zebra_own_batch(&items));
    // Cold, then warm: the second and third sightings of a signer list build precomputed
    // tables for one half each, later batches use both.
    for tables in [0, 1, 2, 2] {
        assert!(batch(&cached, &items));
        assert_eq!(cached.cached_tables(), tables);
    }
    // The cache is bounded.
    assert!(cached.cached_keys() <= 8);
    // Each one-bit change of a signature, key or message is caught by every backend.
    for (what, pos) in [
        ("sig", 0usize),
        ("sig", 40),
        ("sig", 63),
        ("key", 5),
        ("msg", 0),
    ] {
        let mut bad = items.clone();
        match what {
            "sig" => bad[7].2 .0[pos] ^= 0x02,
            "key" => bad[7].0 .0[pos] ^= 0x02,
            _ => bad[7].1[pos] ^= 0x02,
        }
        let (k, m, s) = &bad[7];
        assert!(!single(&Zebra, k, m, s), "{what} {pos}");
        assert!(!single(&Consensus, k, m, s), "{what} {pos}");
        assert!(!batch(&Zebra, &bad), "{what} {pos}");
        assert!(!zebra_own_batch(&bad), "{what} {pos}");
        assert!(!batch(&Consensus, &bad), "{what} {pos}");
        assert!(!batch(&cached, &bad), "{what} {pos}");
    }
}

#[test]
fn large_batches_agree() {
    // 60 to 94 signatures make 121 to 189 points, which Ferry's batch pads up to
    // curve25519-dalek's Pippenger method: good batches pass, any one bad signature fails.
    for n in [59usize, 60, 70, 94, 95] {
        let mut items = vec![];
        for i in 0..n {
            let msg = vec![i as u8; 1 + i % 13];
            let (k, s) = signed(&msg, i as u8);
            items.push((k, msg, s));
        }
        assert!(batch(&Zebra, &items), "{n}");
        assert!(zebra_own_batch(&items), "{n}");
        for bad_at in [0, n / 2, n - 1] {
            let mut bad = items.clone();
            bad[bad_at].2 .0[9] ^= 0x10;
            assert!(!batch(&Zebra, &bad), "{n} {bad_at}");
            assert!(!zebra_own_batch(&bad), "{n} {bad_at}");
        }
    }
}
