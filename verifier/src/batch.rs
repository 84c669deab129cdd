//! Ferry's ZIP-215 batch verification on curve25519-dalek (features `zebra` and `alloc`): the
//! batch of the default [`Zebra`](crate::Zebra) backend, and the core of
//! [`CachedZebra`](crate::CachedZebra).
//!
//! The acceptance rules are ed25519-zebra's (ZIP-215, as CometBFT's `curve25519-voi` since
//! v0.34): point encodings of `A` and `R` may be non-canonical, `s` must be canonical, the
//! challenge is `k = SHA-512(R || A || M)` over the bytes as given, and the equation is
//! cofactored. With 128-bit coefficients `z_i` drawn from the caller's
//! [`DerivedRng`] it checks
//!
//! `[8](-(sum z_i s_i) B + sum z_i R_i + sum (z_i k_i) A_i) == 0`
//!
//! as one variable-time multiscalar multiplication. Unlike ed25519-zebra's own batch verifier
//! it keeps no per-key map (a commit's keys are distinct) and allocates two vectors, which
//! `cargo bench` measured faster on the shared fixtures; tests check the two agree.

use alloc::vec::Vec;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::crypto::{BatchVerifier, DerivedRng};
use crate::types::{PublicKey, Signature};

/// One queued signature: key bytes, `R` bytes, `s` bytes and the challenge `k`.
pub(crate) struct Item {
    pub(crate) key: [u8; 32],
    r: [u8; 32],
    s: [u8; 32],
    k: Scalar,
}

impl Item {
    /// Splits the signature and hashes the challenge.
    pub(crate) fn new(key: &PublicKey, msg: &[u8], sig: &Signature) -> Item {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        if let (Some(a), Some(b)) = (sig.0.get(..32), sig.0.get(32..)) {
            r.copy_from_slice(a);
            s.copy_from_slice(b);
        }
        let mut h = Sha512::new();
        h.update(r);
        h.update(key.0);
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        Item {
            key: key.0,
            r,
            s,
            k,
        }
    }
}

/// One signature's part of the batch equation (the precomputed-table path of `CachedZebra`).
#[cfg(feature = "cache")]
pub(crate) struct Term {
    /// Its random coefficient.
    pub(crate) z: Scalar,
    /// `R`, decompressed.
    pub(crate) r: EdwardsPoint,
    /// `z * k`, the coefficient of its key.
    pub(crate) zk: Scalar,
}

/// Per signature: decompress `R`, check `s` is canonical, draw `z`; and the basepoint's
/// coefficient `-sum(z_i s_i)`. `None` when any `R` or `s` is invalid.
// Scalar arithmetic is modulo the group order: it cannot overflow.
#[cfg(feature = "cache")]
#[allow(clippy::arithmetic_side_effects)]
pub(crate) fn terms(items: &[Item], rng: &mut DerivedRng) -> Option<(Scalar, Vec<Term>)> {
    let mut b_coeff = Scalar::ZERO;
    let mut terms = Vec::with_capacity(items.len());
    for item in items {
        let (z, s) = draw(item, rng)?;
        let r = CompressedEdwardsY(item.r).decompress()?;
        b_coeff -= z * s;
        terms.push(Term {
            z,
            r,
            zk: z * item.k,
        });
    }
    Some((b_coeff, terms))
}

/// The item's canonical `s` and a fresh 128-bit coefficient.
fn draw(item: &Item, rng: &mut DerivedRng) -> Option<(Scalar, Scalar)> {
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(item.s))?;
    let mut zb = [0u8; 16];
    rng.fill(&mut zb);
    Some((Scalar::from(u128::from_le_bytes(zb)), s))
}

/// Checks the batch equation with each key decompressed by `key`.
#[allow(non_snake_case, clippy::arithmetic_side_effects)]
pub(crate) fn verify_with(
    items: &[Item],
    rng: &mut DerivedRng,
    mut key: impl FnMut(&[u8; 32]) -> Option<EdwardsPoint>,
) -> bool {
    // [B, R_1, A_1, R_2, A_2, ...] and their coefficients, built in one pass.
    let len = items.len().saturating_mul(2).saturating_add(1);
    let mut scalars = Vec::with_capacity(len);
    let mut points = Vec::with_capacity(len);
    scalars.push(Scalar::ZERO);
    points.push(ED25519_BASEPOINT_POINT);
    let mut B_coeff = Scalar::ZERO;
    for item in items {
        let Some((z, s)) = draw(item, rng) else {
            return false;
        };
        let (Some(R), Some(A)) = (CompressedEdwardsY(item.r).decompress(), key(&item.key)) else {
            return false;
        };
        B_coeff -= z * s;
        scalars.push(z);
        points.push(R);
        scalars.push(z * item.k);
        points.push(A);
    }
    if let Some(b) = scalars.first_mut() {
        *b = B_coeff;
    }
    // From about 120 points, curve25519-dalek's Pippenger multiplication is faster than its
    // Straus one on these mixed 128/253-bit scalars (141 points: 880 vs 953 us, 189: 1048 vs
    // 1262 us, measured here), but dalek only picks it from 190 points: pad with the identity
    // (zero scalars add nothing to the sum) to cross that line.
    if (PAD_FROM..PIPPENGER_FROM).contains(&points.len()) {
        points.resize(PIPPENGER_FROM, EdwardsPoint::identity());
        scalars.resize(PIPPENGER_FROM, Scalar::ZERO);
    }
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

/// The number of points from which curve25519-dalek 5.0's `vartime_multiscalar_mul` uses
/// Pippenger's method instead of Straus's.
const PIPPENGER_FROM: usize = 190;

/// From this many points a batch is padded up to [`PIPPENGER_FROM`] (the measured crossover).
const PAD_FROM: usize = 120;

/// A batch of the default [`Zebra`](crate::Zebra) backend: stateless, every key decompressed
/// for this batch.
pub struct ZebraBatch {
    items: Vec<Item>,
}

impl ZebraBatch {
    /// An empty batch for about `capacity` signatures.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        ZebraBatch {
            items: Vec::with_capacity(capacity),
        }
    }
}

impl BatchVerifier for ZebraBatch {
    fn queue(&mut self, key: &PublicKey, msg: &[u8], sig: &Signature) {
        self.items.push(Item::new(key, msg, sig));
    }

    fn verify(self, rng: &mut DerivedRng) -> bool {
        verify_with(&self.items, rng, |k| CompressedEdwardsY(*k).decompress())
    }
}
