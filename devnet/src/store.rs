//! State with proofs: named Jellyfish Merkle substores under one root, the app hash, laid out
//! as the Cosmos SDK's multistore lays out its IAVL stores.
//!
//! # Layout
//!
//! * Each substore is a Jellyfish Merkle tree ([`jmt`], Penumbra's): a sparse Merkle tree
//!   over `sha256(key)`, versioned, every version kept. Version `0` is the genesis state;
//!   version `H` is the state after block `H`.
//! * The root (the app hash) commits to the substores as the SDK's `CommitInfo.Hash()` does:
//!   the RFC 6962 tree (CometBFT's `HashFromByteSlices`) over the substores sorted by name,
//!   whose leaf for store `name` with root `r` is the bytes
//!   `uvarint(len(name)) || name || uvarint(32) || sha256(r)`.
//! * The app hash after block `H` is in the header at `H + 1`; the genesis state's in the
//!   header at height 1.
//!
//! # Proofs
//!
//! [`MultiStore::query`] answers as a Cosmos SDK chain answers `abci_query` with `prove = true`
//! on `store/<name>/key`: two proof ops, lowest tree first, each a protobuf ICS-23
//! `CommitmentProof`:
//!
//! 1. [`PROOF_OP_JMT`] (`"ics23:jmt"`), key = the key: an existence proof of `key -> value`,
//!    or a non-existence proof, in the substore's tree. Verify it with [`jmt_spec`] (jmt's own
//!    spec: leaf `sha256("JMT::LeafNode" || sha256(key) || sha256(value))`, inner nodes
//!    `sha256("JMT::IntrnalNode" || left || right)`, empty subtrees the placeholder
//!    `"SPARSE_MERKLE_PLACEHOLDER_HASH__"`, keys compared by their SHA-256).
//! 2. `"ics23:simple"`, key = the store name: an existence proof of `name -> substore root`
//!    in the root tree. Verify it with the Tendermint spec
//!    ([`ferry_verifier::proof::tendermint_spec`], the SDK's multistore spec).
//!
//! A client verifies them as ibc-go's `MerkleProof` does, with the specs
//! [`proof_specs`] = `[jmt_spec(), tendermint_spec()]` and the key path `[name, key]`,
//! against the app hash of the header one above the queried height. An IBC light client of a
//! devnet must carry these specs in its client state (a Cosmos SDK chain's client uses
//! `[iavl_spec, tendermint_spec]` instead).
//!
//! An empty substore cannot prove absence (ICS-23 non-existence proofs need a neighbour):
//! such queries fail with [`Error::EmptyStore`].

use std::collections::{BTreeMap, HashMap};

use ferry_verifier::merkle::{hash_from_byte_slices, inner_hash, leaf_hash, sha256};
use ferry_verifier::proof::{
    encode_commitment_proof, tendermint_spec, CommitmentProof, ExistenceProof, HashOp, InnerOp,
    LeafOp, LengthOp, ProofOp, ProofSpec, PROOF_OP_SIMPLE,
};
use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Sha256Jmt, Version};

use crate::error::Error;

/// `ProofOp.type` of a substore proof: an ICS-23 proof in a Jellyfish Merkle tree.
pub const PROOF_OP_JMT: &str = "ics23:jmt";

/// The ICS-23 spec of a substore (jmt's `ics23_spec`).
pub fn jmt_spec() -> ProofSpec {
    jmt::ics23_spec()
}

/// The specs a client verifies devnet proofs with, lowest tree first:
/// `[jmt_spec(), tendermint_spec()]`.
pub fn proof_specs() -> [ProofSpec; 2] {
    [jmt_spec(), tendermint_spec()]
}

/// The leaf op of root proofs (`ics23:simple`): SHA-256 over `0x00 || varint(len(name)) ||
/// name || varint(32) || sha256(store root)`, as the Cosmos SDK writes it (the Tendermint spec's
/// leaf).
pub fn root_leaf_op() -> LeafOp {
    LeafOp {
        hash: HashOp::Sha256.into(),
        prehash_key: HashOp::NoHash.into(),
        prehash_value: HashOp::Sha256.into(),
        length: LengthOp::VarProto.into(),
        prefix: vec![0],
    }
}

/// One substore's tree nodes and value history, in memory, every version kept.
#[derive(Default)]
struct TreeDb {
    nodes: HashMap<NodeKey, Node>,
    /// Per key hash: the value written at each version (`None`: deleted).
    values: HashMap<KeyHash, BTreeMap<Version, Option<OwnedValue>>>,
    preimages: HashMap<KeyHash, Vec<u8>>,
}

fn tree_err(e: impl core::fmt::Display) -> Error {
    Error::Tree {
        reason: e.to_string(),
    }
}

impl TreeReader for TreeDb {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.nodes.get(node_key).cloned())
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .values
            .get(&key_hash)
            .and_then(|h| h.range(..=max_version).next_back())
            .and_then(|(_, v)| v.clone()))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only used when restoring a tree from a snapshot, which the devnet never does.
        let mut best: Option<(NodeKey, LeafNode)> = None;
        for (key, node) in &self.nodes {
            if let Node::Leaf(leaf) = node {
                if best
                    .as_ref()
                    .is_none_or(|(_, b)| leaf.key_hash() > b.key_hash())
                {
                    best = Some((key.clone(), leaf.clone()));
                }
            }
        }
        Ok(best)
    }
}

impl HasPreimage for TreeDb {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.preimages.get(&key_hash).cloned())
    }
}

/// One named substore: its tree, the writes staged for the next version, and its roots.
#[derive(Default)]
struct SubStore {
    db: TreeDb,
    pending: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    roots: BTreeMap<Version, [u8; 32]>,
}

impl SubStore {
    fn commit(&mut self, version: Version) -> Result<[u8; 32], Error> {
        let pending = core::mem::take(&mut self.pending);
        let mut set = Vec::with_capacity(pending.len());
        for (key, value) in pending {
            let hash = KeyHash(sha256(&key));
            self.db.preimages.insert(hash, key);
            set.push((hash, value));
        }
        let tree = Sha256Jmt::new(&self.db);
        let (root, batch) = tree.put_value_set(set, version).map_err(tree_err)?;
        let nodes = batch.node_batch;
        for (key, node) in nodes.nodes() {
            self.db.nodes.insert(key.clone(), node.clone());
        }
        for ((v, key_hash), value) in nodes.values() {
            self.db
                .values
                .entry(*key_hash)
                .or_default()
                .insert(*v, value.clone());
        }
        self.roots.insert(version, root.0);
        Ok(root.0)
    }

    fn get(&self, key: &[u8], version: Version) -> Option<Vec<u8>> {
        self.db
            .get_value_option(version, KeyHash(sha256(key)))
            .ok()
            .flatten()
    }
}

/// The answer to a proven query: the value (if any) at a version and the proof ops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryProof {
    /// The version (height) the answer is for.
    pub version: u64,
    /// The value, or `None` when the key is absent.
    pub value: Option<Vec<u8>>,
    /// The proof ops, lowest tree first: `[ics23:jmt, ics23:simple]`.
    pub ops: Vec<ProofOp>,
    /// The root the ops prove up to: the app hash at `version` (in the header at
    /// `version + 1`).
    pub app_hash: [u8; 32],
}

/// Named substores under one root: the application state.
pub struct MultiStore {
    stores: BTreeMap<String, SubStore>,
    latest: Option<Version>,
    app_hashes: BTreeMap<Version, [u8; 32]>,
}

impl core::fmt::Debug for MultiStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MultiStore")
            .field("stores", &self.stores.keys().collect::<Vec<_>>())
            .field("latest", &self.latest)
            .finish()
    }
}

/// The root-tree leaf of a substore, as the SDK's `kv.Pair` bytes: length-prefixed name, then
/// the length-prefixed `sha256` of the substore root.
fn root_leaf(name: &str, root: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 36);
    put_uvarint(&mut out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
    put_uvarint(&mut out, 32);
    out.extend_from_slice(&sha256(root));
    out
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The largest power of two strictly below `n` (`n >= 2`), CometBFT's `getSplitPoint`.
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// Subtree root over `leaves` (leaf hashes), RFC 6962 shape.
fn subtree_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => sha256(&[]),
        [one] => *one,
        _ => {
            let k = split_point(leaves.len());
            inner_hash(&subtree_root(&leaves[..k]), &subtree_root(&leaves[k..]))
        }
    }
}

/// The ICS-23 inner ops from leaf `index` up to the root of the RFC 6962 tree over `leaves`.
fn simple_path(leaves: &[[u8; 32]], index: usize) -> Vec<InnerOp> {
    let mut top_down = Vec::new();
    let (mut lo, mut hi) = (0usize, leaves.len());
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        let mid = lo + k;
        if index < mid {
            // We are the left child: the right subtree's root follows us.
            top_down.push(InnerOp {
                hash: HashOp::Sha256.into(),
                prefix: vec![1],
                suffix: subtree_root(&leaves[mid..hi]).to_vec(),
            });
            hi = mid;
        } else {
            let mut prefix = vec![1];
            prefix.extend_from_slice(&subtree_root(&leaves[lo..mid]));
            top_down.push(InnerOp {
                hash: HashOp::Sha256.into(),
                prefix,
                suffix: Vec::new(),
            });
            lo = mid;
        }
    }
    top_down.reverse();
    top_down
}

impl MultiStore {
    /// A multistore with the named substores, nothing committed yet.
    ///
    /// Names must be non-empty, hold no `/`, and be distinct.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<Self, Error> {
        let mut stores = BTreeMap::new();
        for name in names {
            let name = name.as_ref();
            if name.is_empty() || name.contains('/') || stores.contains_key(name) {
                return Err(Error::InvalidStoreName {
                    name: name.to_string(),
                });
            }
            stores.insert(name.to_string(), SubStore::default());
        }
        if stores.is_empty() {
            return Err(Error::InvalidStoreName {
                name: String::new(),
            });
        }
        Ok(MultiStore {
            stores,
            latest: None,
            app_hashes: BTreeMap::new(),
        })
    }

    /// The substores' names, sorted.
    pub fn store_names(&self) -> impl Iterator<Item = &str> {
        self.stores.keys().map(String::as_str)
    }

    /// The latest committed version.
    pub fn latest_version(&self) -> Option<u64> {
        self.latest
    }

    fn store(&self, name: &str) -> Result<&SubStore, Error> {
        self.stores.get(name).ok_or_else(|| Error::UnknownStore {
            name: name.to_string(),
        })
    }

    fn store_mut(&mut self, name: &str) -> Result<&mut SubStore, Error> {
        self.stores
            .get_mut(name)
            .ok_or_else(|| Error::UnknownStore {
                name: name.to_string(),
            })
    }

    /// Stages `key = value` in `store` for the next commit.
    pub fn set(&mut self, store: &str, key: &[u8], value: &[u8]) -> Result<(), Error> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        if value.is_empty() {
            return Err(Error::EmptyValue);
        }
        self.store_mut(store)?
            .pending
            .insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    /// Stages the deletion of `key` from `store` for the next commit.
    pub fn delete(&mut self, store: &str, key: &[u8]) -> Result<(), Error> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        self.store_mut(store)?.pending.insert(key.to_vec(), None);
        Ok(())
    }

    /// Drops every staged write.
    pub fn discard_pending(&mut self) {
        for s in self.stores.values_mut() {
            s.pending.clear();
        }
    }

    /// The value of `key` as the application sees it while executing: staged writes first,
    /// then the latest committed version.
    pub fn get_working(&self, store: &str, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let s = self.store(store)?;
        if let Some(v) = s.pending.get(key) {
            return Ok(v.clone());
        }
        Ok(match self.latest {
            Some(l) => s.get(key, l),
            None => None,
        })
    }

    fn check_version(&self, version: u64) -> Result<(), Error> {
        match self.latest {
            Some(l) if version <= l => Ok(()),
            latest => Err(Error::UnknownVersion { version, latest }),
        }
    }

    /// The committed value of `key` in `store` at `version`.
    pub fn get(&self, store: &str, key: &[u8], version: u64) -> Result<Option<Vec<u8>>, Error> {
        self.check_version(version)?;
        Ok(self.store(store)?.get(key, version))
    }

    /// Commits the staged writes as `version` (0 first, then each next integer) and returns the
    /// new root: the app hash.
    pub fn commit(&mut self, version: u64) -> Result<[u8; 32], Error> {
        let expected = self.latest.map_or(0, |l| l + 1);
        if version != expected {
            return Err(Error::NonSequentialVersion { version, expected });
        }
        for store in self.stores.values_mut() {
            store.commit(version)?;
        }
        let root = self.root_at(version)?;
        self.app_hashes.insert(version, root);
        self.latest = Some(version);
        Ok(root)
    }

    /// The substore roots at `version`, sorted by name.
    fn roots_at(&self, version: u64) -> Result<Vec<(&str, [u8; 32])>, Error> {
        self.stores
            .iter()
            .map(|(name, s)| {
                s.roots
                    .get(&version)
                    .map(|r| (name.as_str(), *r))
                    .ok_or(Error::UnknownVersion {
                        version,
                        latest: self.latest,
                    })
            })
            .collect()
    }

    fn root_at(&self, version: u64) -> Result<[u8; 32], Error> {
        let roots = self.roots_at(version)?;
        let leaves: Vec<Vec<u8>> = roots.iter().map(|(n, r)| root_leaf(n, r)).collect();
        let slices: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
        Ok(hash_from_byte_slices(&slices))
    }

    /// The app hash at `version`.
    pub fn app_hash(&self, version: u64) -> Result<[u8; 32], Error> {
        self.check_version(version)?;
        self.app_hashes
            .get(&version)
            .copied()
            .ok_or(Error::UnknownVersion {
                version,
                latest: self.latest,
            })
    }

    /// The root of substore `store` at `version`.
    pub fn store_root(&self, store: &str, version: u64) -> Result<[u8; 32], Error> {
        self.check_version(version)?;
        self.store(store)?
            .roots
            .get(&version)
            .copied()
            .ok_or(Error::UnknownVersion {
                version,
                latest: self.latest,
            })
    }

    /// The value of `key` in `store` at `version`, with the proof ops that show it (or its
    /// absence) up to the app hash at `version`. See the module documentation for the specs.
    pub fn query(&self, store: &str, key: &[u8], version: u64) -> Result<QueryProof, Error> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        self.check_version(version)?;
        let sub = self.store(store)?;
        let tree = Sha256Jmt::new(&sub.db);
        let (value, store_proof) = if tree.get_leaf_count(version).map_err(tree_err)? == 0 {
            if sub.get(key, version).is_some() {
                return Err(Error::Tree {
                    reason: "an empty tree holds a value".into(),
                });
            }
            return Err(Error::EmptyStore {
                name: store.to_string(),
                version,
            });
        } else {
            tree.get_with_ics23_proof(key.to_vec(), version)
                .map_err(tree_err)?
        };

        let roots = self.roots_at(version)?;
        let index =
            roots
                .iter()
                .position(|(n, _)| *n == store)
                .ok_or_else(|| Error::UnknownStore {
                    name: store.to_string(),
                })?;
        let leaf_hashes: Vec<[u8; 32]> = roots
            .iter()
            .map(|(n, r)| leaf_hash(&root_leaf(n, r)))
            .collect();
        let store_root = roots[index].1;
        let root_proof = CommitmentProof {
            proof: Some(
                ferry_verifier::proof::ics23::commitment_proof::Proof::Exist(ExistenceProof {
                    key: store.as_bytes().to_vec(),
                    value: store_root.to_vec(),
                    leaf: Some(root_leaf_op()),
                    path: simple_path(&leaf_hashes, index),
                }),
            ),
        };
        Ok(QueryProof {
            version,
            value,
            ops: vec![
                ProofOp::new(PROOF_OP_JMT, key, encode_commitment_proof(&store_proof)),
                ProofOp::new(
                    PROOF_OP_SIMPLE,
                    store.as_bytes(),
                    encode_commitment_proof(&root_proof),
                ),
            ],
            app_hash: self.app_hash(version)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_verifier::proof::{MerkleProof, ProofError};

    fn verify(q: &QueryProof, store: &str, key: &[u8]) -> Result<(), ProofError> {
        let proof = MerkleProof::from_proof_ops(&q.ops)?;
        let path: [&[u8]; 2] = [store.as_bytes(), key];
        match &q.value {
            Some(v) => proof.verify_membership(&proof_specs(), &q.app_hash, &path, v),
            None => proof.verify_non_membership(&proof_specs(), &q.app_hash, &path),
        }
    }

    #[test]
    fn root_is_the_sdk_commit_info_hash() {
        let mut ms = MultiStore::new(&["bank", "acc", "ibc"]).unwrap();
        ms.set("bank", b"k", b"v").unwrap();
        let app = ms.commit(0).unwrap();
        // Sorted by name: acc, bank, ibc; each leaf `len name || name || 0x20 || sha256(root)`.
        let leaf = |name: &str| {
            let root = ms.store_root(name, 0).unwrap();
            let mut b = vec![name.len() as u8];
            b.extend_from_slice(name.as_bytes());
            b.push(32);
            b.extend_from_slice(&sha256(&root));
            leaf_hash(&b)
        };
        let expected = inner_hash(&inner_hash(&leaf("acc"), &leaf("bank")), &leaf("ibc"));
        assert_eq!(app, expected);
        // An empty substore's root is jmt's placeholder.
        assert_eq!(
            ms.store_root("acc", 0).unwrap(),
            *b"SPARSE_MERKLE_PLACEHOLDER_HASH__"
        );
    }

    #[test]
    fn proofs_verify_for_presence_and_absence_at_every_version() {
        let names = ["a", "b", "c", "d", "e"];
        let mut ms = MultiStore::new(&names).unwrap();
        for name in names {
            ms.set(name, b"seed", name.as_bytes()).unwrap();
        }
        ms.commit(0).unwrap();
        for v in 1..=4u64 {
            for i in 0..(v * 5) {
                let key = format!("key-{i}");
                ms.set(
                    names[(i % 5) as usize],
                    key.as_bytes(),
                    format!("{v}:{i}").as_bytes(),
                )
                .unwrap();
            }
            ms.delete("a", b"seed").unwrap();
            ms.commit(v).unwrap();
        }
        for v in 0..=4u64 {
            for name in names {
                for i in 0..22u64 {
                    let key = format!("key-{i}");
                    let q = ms.query(name, key.as_bytes(), v).unwrap();
                    let expected = ms.get(name, key.as_bytes(), v).unwrap();
                    assert_eq!(q.value, expected);
                    assert_eq!(q.app_hash, ms.app_hash(v).unwrap());
                    verify(&q, name, key.as_bytes()).unwrap();
                    // The proof does not prove another store's key or another root.
                    assert!(
                        verify(&q, if name == "a" { "b" } else { "a" }, key.as_bytes()).is_err()
                    );
                    let mut other_root = q.clone();
                    other_root.app_hash[0] ^= 1;
                    assert!(verify(&other_root, name, key.as_bytes()).is_err());
                }
            }
            // "seed" in "a" exists at version 0 only.
            let q = ms.query("a", b"seed", v).unwrap();
            assert_eq!(q.value.is_some(), v == 0);
            verify(&q, "a", b"seed").unwrap();
        }
        // A wrong value is refused.
        let mut q = ms.query("b", b"key-1", 4).unwrap();
        assert!(q.value.is_some());
        q.value = Some(b"forged".to_vec());
        assert!(verify(&q, "b", b"key-1").is_err());
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            MultiStore::new(&["a", "a"]),
            Err(Error::InvalidStoreName { .. })
        ));
        assert!(matches!(
            MultiStore::new(&["a/b"]),
            Err(Error::InvalidStoreName { .. })
        ));
        let mut ms = MultiStore::new(&["a", "b"]).unwrap();
        assert_eq!(ms.set("a", b"", b"v"), Err(Error::EmptyKey));
        assert_eq!(ms.set("a", b"k", b""), Err(Error::EmptyValue));
        assert!(matches!(
            ms.set("zz", b"k", b"v"),
            Err(Error::UnknownStore { .. })
        ));
        assert!(matches!(
            ms.query("a", b"k", 0),
            Err(Error::UnknownVersion { latest: None, .. })
        ));
        assert_eq!(
            ms.commit(1),
            Err(Error::NonSequentialVersion {
                version: 1,
                expected: 0
            })
        );
        ms.set("a", b"k", b"v").unwrap();
        ms.commit(0).unwrap();
        assert_eq!(
            ms.query("b", b"k", 0),
            Err(Error::EmptyStore {
                name: "b".into(),
                version: 0
            })
        );
        assert!(matches!(
            ms.query("a", b"k", 1),
            Err(Error::UnknownVersion {
                version: 1,
                latest: Some(0)
            })
        ));
        // Staged writes are visible to the application, not to queries, until committed.
        ms.set("a", b"k", b"w").unwrap();
        assert_eq!(ms.get_working("a", b"k").unwrap(), Some(b"w".to_vec()));
        assert_eq!(ms.get("a", b"k", 0).unwrap(), Some(b"v".to_vec()));
        ms.discard_pending();
        assert_eq!(ms.get_working("a", b"k").unwrap(), Some(b"v".to_vec()));
    }
}
