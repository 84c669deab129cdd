//! State with proofs: named IAVL substores under one root, the app hash, laid out as the
//! Cosmos SDK's multistore (`rootmulti`) lays out its stores, with the proofs a Cosmos SDK chain
//! gives.
//!
//! # Layout
//!
//! * Each substore is an IAVL tree ([`crate::iavl`]: cosmos/iavl v1's node format and
//!   rebalancing), versioned, every version kept. Version `0` is the genesis state; version `H`
//!   is the state after block `H`; nodes carry the version they were written in. The writes of
//!   one version are applied in key order, as the SDK's cache stores write them at commit.
//! * The root (the app hash) commits to the substores as the SDK's `CommitInfo.Hash()` does:
//!   the RFC 6962 tree (CometBFT's `HashFromByteSlices`) over the substores sorted by name,
//!   whose leaf for store `name` with root `r` is the bytes
//!   `uvarint(len(name)) || name || uvarint(32) || sha256(r)`. An empty substore's root is
//!   `sha256("")`, as iavl's.
//! * The app hash after block `H` is in the header at `H + 1`; the genesis state's in the
//!   header at height 1.
//!
//! # Proofs
//!
//! [`MultiStore::query`] answers as a Cosmos SDK chain answers `abci_query` with `prove = true`
//! on `store/<name>/key`: two proof ops, lowest tree first, each a protobuf ICS-23
//! `CommitmentProof`, byte for byte as the SDK (iavl's `GetMembershipProof` /
//! `GetNonMembershipProof`, then `CommitInfo.ProofOp`) writes them:
//!
//! 1. `"ics23:iavl"`, key = the key: an existence proof of `key -> value`, or a non-existence
//!    proof with the existence proofs of the neighbouring keys, in the substore's IAVL tree.
//! 2. `"ics23:simple"`, key = the store name: an existence proof of `name -> substore root`
//!    in the root tree.
//!
//! A client verifies them as ibc-go's `MerkleProof` does, with the Cosmos SDK's specs,
//! [`proof_specs`] = `[iavl_spec, tendermint_spec]` (ibc-go's `GetSDKSpecs`, Hermes' default,
//! [`ferry_verifier::proof::cosmos_sdk_specs`]), and the key path `[name, key]`, against the
//! app hash of the header one above the queried height: an IBC light client of a devnet is
//! configured exactly as one of a Cosmos SDK chain.
//!
//! An empty substore cannot prove absence: ICS-23 non-existence proofs need a neighbour. The
//! SDK answers such a query anyway, with a non-existence proof that has neither neighbour
//! (which no verifier accepts); so does the devnet.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_verifier::merkle::{hash_from_byte_slices, inner_hash, leaf_hash, sha256};
use ferry_verifier::proof::{
    cosmos_sdk_specs, encode_commitment_proof, CommitmentProof, ExistenceProof, HashOp, InnerOp,
    LeafOp, LengthOp, ProofOp, ProofSpec, PROOF_OP_IAVL, PROOF_OP_SIMPLE,
};

use crate::error::Error;
use crate::iavl::{put_uvarint, Body, Node, Tree};

/// The specs a client verifies devnet proofs with, lowest tree first: the Cosmos SDK's,
/// `[iavl_spec(), tendermint_spec()]`.
pub fn proof_specs() -> [ProofSpec; 2] {
    cosmos_sdk_specs()
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

/// One named substore: the writes staged for the next version, and the tree at every version.
#[derive(Default)]
struct SubStore {
    pending: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    versions: BTreeMap<u64, Tree>,
}

impl SubStore {
    fn latest_tree(&self) -> Tree {
        self.versions
            .last_key_value()
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    }

    /// The tree with the staged writes applied in key order, as `version`.
    fn staged_tree(&self, version: u64) -> Tree {
        let mut tree = self.latest_tree();
        for (key, value) in &self.pending {
            match value {
                Some(v) => tree = tree.set(key, v, version).0,
                None => {
                    if let Some(t) = tree.remove(key, version) {
                        tree = t;
                    }
                }
            }
        }
        tree
    }

    fn tree(&self, version: u64) -> Option<&Tree> {
        self.versions.get(&version)
    }
}

/// The answer to a proven query: the value (if any) at a version and the proof ops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryProof {
    /// The version (height) the answer is for.
    pub version: u64,
    /// The value, or `None` when the key is absent.
    pub value: Option<Vec<u8>>,
    /// The proof ops, lowest tree first: `[ics23:iavl, ics23:simple]`.
    pub ops: Vec<ProofOp>,
    /// The root the ops prove up to: the app hash at `version` (in the header at
    /// `version + 1`).
    pub app_hash: [u8; 32],
}

/// Named substores under one root: the application state.
pub struct MultiStore {
    stores: BTreeMap<String, SubStore>,
    latest: Option<u64>,
    app_hashes: BTreeMap<u64, [u8; 32]>,
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

/// Calls `f` on every node below (and including) `node` made in `version`, children first.
fn collect_written(node: &Arc<Node>, version: u64, f: &mut impl FnMut(Arc<Node>)) {
    if node.version() != version {
        return;
    }
    if let Body::Inner(l, r) = node.body() {
        collect_written(l, version, f);
        collect_written(r, version, f);
    }
    f(node.clone());
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
        Ok(self
            .latest
            .and_then(|l| s.tree(l))
            .and_then(|t| t.get(key))
            .map(<[u8]>::to_vec))
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
        Ok(self
            .store(store)?
            .tree(version)
            .and_then(|t| t.get(key))
            .map(<[u8]>::to_vec))
    }

    /// Commits the staged writes as `version` (0 first, then each next integer) and returns the
    /// new root: the app hash.
    pub fn commit(&mut self, version: u64) -> Result<[u8; 32], Error> {
        let expected = self.latest.map_or(0, |l| l + 1);
        if version != expected {
            return Err(Error::NonSequentialVersion { version, expected });
        }
        for store in self.stores.values_mut() {
            let tree = store.staged_tree(version);
            store.pending.clear();
            store.versions.insert(version, tree);
        }
        let root = self.root_at(version)?;
        self.app_hashes.insert(version, root);
        self.latest = Some(version);
        Ok(root)
    }

    /// Forgets `version` if it is the latest (a block that could not be kept), so that the
    /// latest version is the one before it again.
    pub fn discard_latest(&mut self, version: u64) {
        if self.latest != Some(version) {
            return;
        }
        for sub in self.stores.values_mut() {
            sub.versions.remove(&version);
            sub.pending.clear();
        }
        self.app_hashes.remove(&version);
        self.latest = version.checked_sub(1);
    }

    /// The substore roots at `version`, sorted by name.
    fn roots_at(&self, version: u64) -> Result<Vec<(&str, [u8; 32])>, Error> {
        self.stores
            .iter()
            .map(|(name, s)| {
                s.tree(version)
                    .map(|t| (name.as_str(), t.root_hash()))
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

    /// The IAVL tree of substore `store` at `version`.
    pub fn tree(&self, store: &str, version: u64) -> Result<&Tree, Error> {
        self.check_version(version)?;
        self.store(store)?
            .tree(version)
            .ok_or(Error::UnknownVersion {
                version,
                latest: self.latest,
            })
    }

    /// The nodes of every substore written in `version` (those a store at `version` has and the
    /// one before does not), each child before its parent.
    pub fn nodes_written_in(&self, version: u64) -> Vec<(&str, Arc<Node>)> {
        let mut out = Vec::new();
        for (name, sub) in &self.stores {
            if let Some(root) = sub.tree(version).and_then(Tree::root) {
                collect_written(root, version, &mut |n| out.push((name.as_str(), n)));
            }
        }
        out
    }

    /// A multistore from stored trees: for each substore (every name of `names`), its tree at
    /// every version `0..=latest`. Used when reopening a chain.
    pub fn from_versions<S: AsRef<str>>(
        names: &[S],
        mut trees: BTreeMap<String, BTreeMap<u64, Tree>>,
        latest: u64,
    ) -> Result<Self, Error> {
        let mut ms = Self::new(names)?;
        for (name, sub) in ms.stores.iter_mut() {
            let versions = trees.remove(name).unwrap_or_default();
            if versions.len() as u64 != latest + 1 || versions.keys().next_back() != Some(&latest) {
                return Err(Error::Corrupt {
                    what: format!("store {name:?} does not have every version 0 to {latest}"),
                });
            }
            sub.versions = versions;
        }
        if let Some(name) = trees.keys().next() {
            return Err(Error::Corrupt {
                what: format!("trees of a store {name:?} the chain does not have"),
            });
        }
        ms.latest = Some(latest);
        for v in 0..=latest {
            let root = ms.root_at(v)?;
            ms.app_hashes.insert(v, root);
        }
        Ok(ms)
    }

    /// The root of substore `store` at `version`.
    pub fn store_root(&self, store: &str, version: u64) -> Result<[u8; 32], Error> {
        self.check_version(version)?;
        self.store(store)?
            .tree(version)
            .map(Tree::root_hash)
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
        let tree = self
            .store(store)?
            .tree(version)
            .ok_or(Error::UnknownVersion {
                version,
                latest: self.latest,
            })?;
        let value = tree.get(key).map(<[u8]>::to_vec);
        let store_proof = tree.commitment_proof(key);

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
                ProofOp::new(PROOF_OP_IAVL, key, encode_commitment_proof(&store_proof)),
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
        // An empty substore's root is iavl's empty hash, sha256("").
        assert_eq!(ms.store_root("acc", 0).unwrap(), sha256(b""));
        assert_eq!(
            ms.store_root("bank", 0).unwrap(),
            ms.tree("bank", 0).unwrap().root_hash()
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
        // An empty store answers as the SDK does: a non-existence proof with no neighbour,
        // which no verifier accepts (ICS-23 cannot prove absence from an empty tree).
        let empty = ms.query("b", b"k", 0).unwrap();
        assert_eq!(empty.value, None);
        let expected = CommitmentProof {
            proof: Some(
                ferry_verifier::proof::ics23::commitment_proof::Proof::Nonexist(
                    ferry_verifier::proof::NonExistenceProof {
                        key: b"k".to_vec(),
                        left: None,
                        right: None,
                    },
                ),
            ),
        };
        assert_eq!(empty.ops[0].data, encode_commitment_proof(&expected));
        assert!(verify(&empty, "b", b"k").is_err());
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
