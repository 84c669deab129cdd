//! `CachedZebra` (feature `cache`): ZIP-215 batch verification on curve25519-dalek with each
//! validator key decompressed once and cached across verifications.
//!
//! A light client sees the same validator keys block after block; decompressing a key costs
//! about as much as a quarter of a batch-verified signature, so keeping the decompressed
//! points makes every verification after the first cheaper. The batch equation, the
//! acceptance rules (non-canonical point encodings accepted, `s` must be canonical, the
//! cofactored check) and the challenge `k = SHA-512(R || A || M)` are ed25519-zebra's
//! (ZIP-215), and single verification is delegated to ed25519-zebra itself; tests check the
//! two agree on every vector and on ZIP-215's edge cases.

extern crate std;

use alloc::sync::Arc;
use alloc::vec::Vec;
use std::collections::HashMap;
use std::sync::RwLock;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::crypto::{BatchVerifier, DerivedRng, SignatureVerifier, Zebra};
use crate::types::{PublicKey, Signature};

/// Decompressed keys, shared by the batches of one [`CachedZebra`].
#[derive(Debug, Default)]
struct KeyCache {
    // `None` records a key that does not decompress.
    points: RwLock<HashMap<[u8; 32], Option<EdwardsPoint>>>,
}

impl KeyCache {
    fn get(&self, key: &[u8; 32], capacity: usize) -> Option<EdwardsPoint> {
        if let Ok(map) = self.points.read() {
            if let Some(p) = map.get(key) {
                return *p;
            }
        }
        let p = CompressedEdwardsY(*key).decompress();
        if let Ok(mut map) = self.points.write() {
            if map.len() >= capacity {
                map.clear();
            }
            map.insert(*key, p);
        }
        p
    }
}

/// ed25519-zebra's ZIP-215 rules with batch verification over cached decompressed keys.
#[derive(Clone, Debug)]
pub struct CachedZebra {
    cache: Arc<KeyCache>,
    capacity: usize,
}

impl Default for CachedZebra {
    fn default() -> Self {
        Self::with_capacity(4096)
    }
}

impl CachedZebra {
    /// A backend caching at most `capacity` keys (the cache is emptied when full).
    pub fn with_capacity(capacity: usize) -> Self {
        CachedZebra {
            cache: Arc::new(KeyCache::default()),
            capacity: capacity.max(1),
        }
    }

    /// Number of keys cached.
    pub fn cached_keys(&self) -> usize {
        self.cache.points.read().map(|m| m.len()).unwrap_or(0)
    }
}

impl SignatureVerifier for CachedZebra {
    type Batch = CachedBatch;

    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
        Zebra.verify(key, msg, sig)
    }

    fn batch(&self, capacity: usize) -> Option<CachedBatch> {
        Some(CachedBatch {
            cache: self.cache.clone(),
            cache_capacity: self.capacity,
            items: Vec::with_capacity(capacity),
        })
    }
}

/// One queued signature: key bytes, `R` bytes, `s` bytes and the challenge `k`.
struct Item {
    key: [u8; 32],
    r: [u8; 32],
    s: [u8; 32],
    k: Scalar,
}

/// A batch of [`CachedZebra`].
pub struct CachedBatch {
    cache: Arc<KeyCache>,
    cache_capacity: usize,
    items: Vec<Item>,
}

fn halves(sig: &Signature) -> ([u8; 32], [u8; 32]) {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    if let (Some(a), Some(b)) = (sig.0.get(..32), sig.0.get(32..)) {
        r.copy_from_slice(a);
        s.copy_from_slice(b);
    }
    (r, s)
}

impl BatchVerifier for CachedBatch {
    fn queue(&mut self, key: &PublicKey, msg: &[u8], sig: &Signature) {
        let (r, s) = halves(sig);
        let mut h = Sha512::new();
        h.update(r);
        h.update(key.0);
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        self.items.push(Item {
            key: key.0,
            r,
            s,
            k,
        });
    }

    /// Checks `[8](-sum(z_i s_i) B + sum(z_i R_i) + sum(z_i k_i A_i)) == 0` with 128-bit
    /// random `z_i`.
    // Scalar arithmetic is modulo the group order: it cannot overflow.
    #[allow(non_snake_case, clippy::arithmetic_side_effects)]
    fn verify(self, rng: &mut DerivedRng) -> bool {
        let n = self.items.len();
        let mut coeffs: Vec<Scalar> = Vec::with_capacity(n.saturating_mul(2).saturating_add(1));
        let mut points: Vec<EdwardsPoint> =
            Vec::with_capacity(n.saturating_mul(2).saturating_add(1));
        let mut B_coeff = Scalar::ZERO;
        coeffs.push(Scalar::ZERO);
        points.push(ED25519_BASEPOINT_POINT);
        for item in &self.items {
            let Some(A) = self.cache.get(&item.key, self.cache_capacity) else {
                return false;
            };
            let Some(R) = CompressedEdwardsY(item.r).decompress() else {
                return false;
            };
            let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(item.s)) else {
                return false;
            };
            let mut zb = [0u8; 16];
            rng.fill(&mut zb);
            let z = Scalar::from(u128::from_le_bytes(zb));
            B_coeff -= z * s;
            coeffs.push(z);
            points.push(R);
            coeffs.push(z * item.k);
            points.push(A);
        }
        if let Some(first) = coeffs.first_mut() {
            *first = B_coeff;
        }
        EdwardsPoint::vartime_multiscalar_mul(coeffs.iter(), points.iter())
            .mul_by_cofactor()
            .is_identity()
    }
}
