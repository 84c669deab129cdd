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
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint, VartimeEdwardsPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{
    IsIdentity, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul,
};
use sha2::{Digest, Sha512};

use crate::crypto::{BatchVerifier, DerivedRng, SignatureVerifier, Zebra};
use crate::types::{PublicKey, Signature};

/// How many signer lists keep precomputed tables (about 8 KB per key each).
const MAX_TABLES: usize = 16;

/// Precomputed tables serve batches below this many signatures. Larger batches (2n + 1 >= 190
/// points) go to curve25519-dalek's Pippenger multiplication, which the precomputed (Straus)
/// path cannot use and which `cargo bench` measured faster there (300 validators, 138
/// signatures: 3.0-3.3 ms with tables, 2.8-3.0 ms without).
const MAX_TABLE_BATCH: usize = 95;

/// Decompressed keys, shared by the batches of one [`CachedZebra`].
#[derive(Default)]
struct KeyCache {
    // `None` records a key that does not decompress.
    points: RwLock<HashMap<[u8; 32], Option<EdwardsPoint>>>,
    // Precomputed multiples of the basepoint and of each key of a signer list that recurs
    // (a light client checks the same top validators block after block), by a hash of the
    // list; `None` marks a list seen once.
    tables: RwLock<HashMap<[u8; 32], Option<Arc<VartimeEdwardsPrecomputation>>>>,
}

impl core::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyCache").finish_non_exhaustive()
    }
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

    /// The precomputed tables of `[B, A_1, .., A_n]` for this signer list, built the second
    /// time the list is seen.
    fn tables(&self, items: &[Item], capacity: usize) -> Option<Arc<VartimeEdwardsPrecomputation>> {
        let mut h = sha2::Sha256::new();
        for item in items {
            h.update(item.key);
        }
        let id: [u8; 32] = h.finalize().into();
        if let Ok(map) = self.tables.read() {
            match map.get(&id) {
                Some(Some(t)) => return Some(t.clone()),
                Some(None) => {}
                None => {
                    drop(map);
                    if let Ok(mut map) = self.tables.write() {
                        if map.len() >= MAX_TABLES {
                            map.clear();
                        }
                        map.insert(id, None);
                    }
                    return None;
                }
            }
        }
        let mut points = Vec::with_capacity(items.len().saturating_add(1));
        points.push(ED25519_BASEPOINT_POINT);
        for item in items {
            points.push(self.get(&item.key, capacity)?);
        }
        let table = Arc::new(VartimeEdwardsPrecomputation::new(points));
        if let Ok(mut map) = self.tables.write() {
            map.insert(id, Some(table.clone()));
        }
        Some(table)
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
    #[allow(non_snake_case)]
    fn verify(self, rng: &mut DerivedRng) -> bool {
        let Some((B_coeff, terms)) = self.terms(rng) else {
            return false;
        };
        if self.items.len() < MAX_TABLE_BATCH {
            if let Some(table) = self.cache.tables(&self.items, self.cache_capacity) {
                // Basepoint and keys from the precomputed tables, `R_i` dynamic.
                if table.len() != terms.len().saturating_add(1) {
                    return false;
                }
                let static_scalars = core::iter::once(B_coeff).chain(terms.iter().map(|t| t.zk));
                return table
                    .vartime_mixed_multiscalar_mul(
                        static_scalars,
                        terms.iter().map(|t| t.z),
                        terms.iter().map(|t| t.r),
                    )
                    .mul_by_cofactor()
                    .is_identity();
            }
        }
        let mut keys: Vec<EdwardsPoint> = Vec::with_capacity(terms.len());
        for item in &self.items {
            let Some(A) = self.cache.get(&item.key, self.cache_capacity) else {
                return false;
            };
            keys.push(A);
        }
        let coeffs = core::iter::once(B_coeff)
            .chain(terms.iter().map(|t| t.z))
            .chain(terms.iter().map(|t| t.zk));
        let points = core::iter::once(ED25519_BASEPOINT_POINT)
            .chain(terms.iter().map(|t| t.r))
            .chain(keys);
        EdwardsPoint::vartime_multiscalar_mul(coeffs, points)
            .mul_by_cofactor()
            .is_identity()
    }
}

/// One signature's part of the batch equation.
struct Term {
    /// Its random coefficient.
    z: Scalar,
    /// `R`, decompressed.
    r: EdwardsPoint,
    /// `z * k`, the coefficient of its key.
    zk: Scalar,
}

impl CachedBatch {
    /// Per signature: decompress `R`, check `s` is canonical, draw `z`; and the basepoint's
    /// coefficient `-sum(z_i s_i)`. `None` when any `R` or `s` is invalid.
    // Scalar arithmetic is modulo the group order: it cannot overflow.
    #[allow(clippy::arithmetic_side_effects)]
    fn terms(&self, rng: &mut DerivedRng) -> Option<(Scalar, Vec<Term>)> {
        let mut b_coeff = Scalar::ZERO;
        let mut terms = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let r = CompressedEdwardsY(item.r).decompress()?;
            let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(item.s))?;
            let mut zb = [0u8; 16];
            rng.fill(&mut zb);
            let z = Scalar::from(u128::from_le_bytes(zb));
            b_coeff -= z * s;
            terms.push(Term {
                z,
                r,
                zk: z * item.k,
            });
        }
        Some((b_coeff, terms))
    }
}
