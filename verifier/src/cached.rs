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
use curve25519_dalek::traits::{IsIdentity, VartimePrecomputedMultiscalarMul};
use sha2::Digest;

use crate::batch::{self, Item};
use crate::crypto::{BatchVerifier, DerivedRng, SignatureVerifier, Zebra};
use crate::types::{PublicKey, Signature};

/// How many halves of signer lists keep precomputed tables (about 8 KB per key each).
const MAX_TABLES: usize = 32;

/// Precomputed tables serve batches below this many signatures. Larger batches (2n + 1 >= 190
/// points) go to curve25519-dalek's Pippenger multiplication, which the precomputed (Straus)
/// path cannot use and which `cargo bench` measured faster there (300 validators, 138
/// signatures: 3.0-3.3 ms with tables, 2.8-3.0 ms without).
const MAX_TABLE_BATCH: usize = 95;

/// Nor below this many: for a handful of signatures, the extra multiplication pass of a
/// second table costs more than the tables save (4 validators, 2 signatures: 90 us with
/// tables, 81 us without, in one `scripts/bench.sh` run).
const MIN_TABLE_BATCH: usize = 8;

/// Decompressed keys, shared by the batches of one [`CachedZebra`].
#[derive(Default)]
struct KeyCache {
    // `None` records a key that does not decompress.
    points: RwLock<HashMap<[u8; 32], Option<EdwardsPoint>>>,
    // Precomputed multiples of each key of a half of a signer list that recurs (a light
    // client checks the same top validators block after block), by a hash of the half's
    // keys; `None` marks a half seen once.
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

    /// The precomputed table of this chunk of keys: the cached one, or one built now when
    /// the chunk was seen before and `budget` (keys whose tables may still be built in this
    /// verification) allows; `None` otherwise.
    fn table(
        &self,
        chunk: &[Item],
        budget: &mut usize,
        capacity: usize,
    ) -> Option<Arc<VartimeEdwardsPrecomputation>> {
        let mut h = sha2::Sha256::new();
        for item in chunk {
            h.update(item.key);
        }
        let id: [u8; 32] = h.finalize().into();
        let seen = match self.tables.read().ok()?.get(&id) {
            Some(Some(t)) => return Some(t.clone()),
            Some(None) => true,
            None => false,
        };
        if !seen || chunk.len() > *budget {
            if !seen {
                if let Ok(mut map) = self.tables.write() {
                    if map.len() >= MAX_TABLES {
                        map.clear();
                    }
                    map.insert(id, None);
                }
            }
            return None;
        }
        let mut points = Vec::with_capacity(chunk.len());
        for item in chunk {
            points.push(self.get(&item.key, capacity)?);
        }
        *budget = budget.saturating_sub(chunk.len());
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

    /// Number of precomputed tables held (one per half of a recurring signer list).
    pub fn cached_tables(&self) -> usize {
        self.cache
            .tables
            .read()
            .map(|m| m.values().filter(|t| t.is_some()).count())
            .unwrap_or(0)
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

/// A batch of [`CachedZebra`].
pub struct CachedBatch {
    cache: Arc<KeyCache>,
    cache_capacity: usize,
    items: Vec<Item>,
}

impl BatchVerifier for CachedBatch {
    fn queue(&mut self, key: &PublicKey, msg: &[u8], sig: &Signature) {
        self.items.push(Item::new(key, msg, sig));
    }

    /// Checks the batch equation of [`crate::batch`] with keys from the cache, and from
    /// precomputed tables for the chunks of a signer list that recur.
    ///
    /// A list is cut into two halves, each with its own table once the list recurs. A key's
    /// table costs about two key decompressions to build, so one verification builds at most
    /// one half's: one that builds a table is no slower than one with cold keys, and a
    /// recurring list is fully tabled from its fourth sighting on.
    #[allow(non_snake_case, clippy::arithmetic_side_effects)]
    fn verify(self, rng: &mut DerivedRng) -> bool {
        let (cache, capacity) = (&self.cache, self.cache_capacity);
        if !(MIN_TABLE_BATCH..MAX_TABLE_BATCH).contains(&self.items.len()) {
            return batch::verify_with(&self.items, rng, |k| cache.get(k, capacity));
        }
        // Two chunks (halves) per list, a table each: one more table per verification.
        let half = self.items.len().div_ceil(2).max(1);
        let mut budget = half;
        let chunks: Vec<(&[Item], Option<Arc<VartimeEdwardsPrecomputation>>)> = self
            .items
            .chunks(half)
            .map(|c| (c, cache.table(c, &mut budget, capacity)))
            .collect();
        if chunks.iter().all(|(_, t)| t.is_none()) {
            return batch::verify_with(&self.items, rng, |k| cache.get(k, capacity));
        }
        let Some((B_coeff, terms)) = batch::terms(&self.items, rng) else {
            return false;
        };
        // Dynamic: B, every R_i, and the keys of chunks without a table.
        let mut scalars = Vec::with_capacity(terms.len().saturating_mul(2).saturating_add(1));
        let mut points = Vec::with_capacity(scalars.capacity());
        scalars.push(B_coeff);
        points.push(ED25519_BASEPOINT_POINT);
        for t in &terms {
            scalars.push(t.z);
            points.push(t.r);
        }
        let mut tabled = Vec::new();
        let mut offset = 0;
        for (chunk, table) in &chunks {
            let zk = terms.get(offset..offset + chunk.len()).unwrap_or(&[]);
            offset += chunk.len();
            match table {
                Some(t) => tabled.push((t, zk)),
                None => {
                    for (item, t) in chunk.iter().zip(zk) {
                        let Some(A) = cache.get(&item.key, capacity) else {
                            return false;
                        };
                        scalars.push(t.zk);
                        points.push(A);
                    }
                }
            }
        }
        // The first table takes the dynamic points too; each further one adds its sum.
        let mut tabled = tabled.into_iter();
        let Some((first, zk)) = tabled.next() else {
            return false;
        };
        let mut sum = first.vartime_mixed_multiscalar_mul(zk.iter().map(|t| t.zk), scalars, points);
        for (table, zk) in tabled {
            sum += table.vartime_multiscalar_mul(zk.iter().map(|t| t.zk));
        }
        sum.mul_by_cofactor().is_identity()
    }
}
