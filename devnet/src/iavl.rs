//! A versioned AVL tree in the node format of `cosmos/iavl` v1, the tree behind every Cosmos SDK
//! store, with its ICS-23 proofs.
//!
//! # Nodes and hashes (iavl's `node.go`, `writeHashBytes`)
//!
//! Varints are Go's signed (zig-zag) `binary.PutVarint`; byte strings are prefixed with their
//! length as an unsigned varint.
//!
//! * leaf: `sha256(varint(0) || varint(1) || varint(version) || len(key) || key || 0x20 ||
//!   sha256(value))`
//! * inner: `sha256(varint(height) || varint(size) || varint(version) || 0x20 || left hash ||
//!   0x20 || right hash)`
//! * the empty tree: `sha256("")`.
//!
//! An inner node's key is the smallest key of its right subtree; `size` counts its leaves and
//! `height` is one more than its higher child's. `version` is the version the node was created
//! in: every node a write touches (the path from the root, the nodes a rotation moves) is new in
//! that version, the rest is shared with the previous version ([`Arc`]), so every version stays
//! readable at the cost of the nodes it changed.
//!
//! Writes follow iavl's `recursiveSet`, `recursiveRemove` and `balance` step for step (the same
//! rotations, the same node versions), so the same writes in the same order give the tree, and the
//! root hash, iavl gives.
//!
//! # Proofs (iavl's `proof_ics23.go`)
//!
//! * Existence: the key, the value, the leaf op `{hash: SHA256, prehash_value: SHA256, length:
//!   VAR_PROTO, prefix: varint(0) || varint(1) || varint(leaf version)}`, and one inner op per
//!   inner node from the leaf up: prefix `varint(height) || varint(size) || varint(version) ||
//!   0x20`, then, when the path goes right, `left hash || 0x20` with an empty suffix, or, when it
//!   goes left, the suffix `0x20 || right hash`.
//! * Non-existence: the key with the existence proofs of its neighbours, the greatest key below
//!   it (`left`) and the smallest above it (`right`), each left out when there is none. In an
//!   empty tree both are left out; such a proof is what iavl (and so the SDK) answers, and no
//!   ICS-23 verifier accepts it.

use std::cmp::Ordering;
use std::sync::Arc;

use ferry_verifier::merkle::sha256;
use ferry_verifier::proof::ics23::commitment_proof::Proof;
use ferry_verifier::proof::{
    CommitmentProof, ExistenceProof, HashOp, InnerOp, LeafOp, LengthOp, NonExistenceProof,
};

/// Go's `binary.PutVarint`: zig-zag, then LEB128.
pub fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Go's `binary.PutUvarint` (LEB128).
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A version as the signed integer iavl writes (versions are heights, far below `i64::MAX`).
fn version_i64(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// The root hash of the empty tree: `sha256("")`.
pub fn empty_root() -> [u8; 32] {
    sha256(&[])
}

/// The hash of a leaf holding `key = value`, written in `version` (iavl's `writeHashBytes`).
pub fn leaf_hash(key: &[u8], value: &[u8], version: u64) -> [u8; 32] {
    let mut buf = Vec::with_capacity(key.len() + 48);
    put_varint(&mut buf, 0);
    put_varint(&mut buf, 1);
    put_varint(&mut buf, version_i64(version));
    put_uvarint(&mut buf, key.len() as u64);
    buf.extend_from_slice(key);
    buf.push(32);
    buf.extend_from_slice(&sha256(value));
    sha256(&buf)
}

/// The hash of an inner node of `height` and `size` written in `version` over children with
/// hashes `left` and `right` (iavl's `writeHashBytes`).
pub fn inner_hash(
    height: u8,
    size: u64,
    version: u64,
    left: &[u8; 32],
    right: &[u8; 32],
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(96);
    put_varint(&mut buf, i64::from(height));
    put_varint(&mut buf, i64::try_from(size).unwrap_or(i64::MAX));
    put_varint(&mut buf, version_i64(version));
    buf.push(32);
    buf.extend_from_slice(left);
    buf.push(32);
    buf.extend_from_slice(right);
    sha256(&buf)
}

/// What a node holds below it.
#[derive(Debug)]
pub enum Body {
    /// A leaf: the value.
    Leaf(Vec<u8>),
    /// An inner node: its two children.
    Inner(Arc<Node>, Arc<Node>),
}

/// An immutable tree node with its hash.
#[derive(Debug)]
pub struct Node {
    key: Vec<u8>,
    body: Body,
    height: u8,
    size: u64,
    version: u64,
    hash: [u8; 32],
}

impl Node {
    /// A leaf created in `version`.
    pub fn leaf(key: Vec<u8>, value: Vec<u8>, version: u64) -> Arc<Node> {
        Arc::new(Node {
            hash: leaf_hash(&key, &value, version),
            key,
            body: Body::Leaf(value),
            height: 0,
            size: 1,
            version,
        })
    }

    /// An inner node created in `version` over `left` and `right`, with key `key` (the smallest
    /// key of `right`).
    pub fn inner(key: Vec<u8>, left: Arc<Node>, right: Arc<Node>, version: u64) -> Arc<Node> {
        let height = left.height.max(right.height).saturating_add(1);
        let size = left.size.saturating_add(right.size);
        Arc::new(Node {
            hash: inner_hash(height, size, version, &left.hash, &right.hash),
            key,
            body: Body::Inner(left, right),
            height,
            size,
            version,
        })
    }

    /// The node's key (a leaf's key; an inner node's: the smallest key on its right).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// What is below the node.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Height: 0 for a leaf.
    pub fn height(&self) -> u8 {
        self.height
    }

    /// Number of leaves below (1 for a leaf).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The version the node was created in.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The node's hash.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    fn balance_factor(&self) -> i16 {
        match &self.body {
            Body::Leaf(_) => 0,
            Body::Inner(l, r) => i16::from(l.height) - i16::from(r.height),
        }
    }
}

/// One version of a tree: its root, or nothing when empty. Cloning is cheap (an [`Arc`]).
#[derive(Clone, Debug, Default)]
pub struct Tree {
    root: Option<Arc<Node>>,
}

/// iavl's `rotateRight`: the left child comes up.
fn rotate_right(node: &Arc<Node>, version: u64) -> Arc<Node> {
    match &node.body {
        Body::Inner(left, right) => match &left.body {
            Body::Inner(ll, lr) => {
                let down = Node::inner(node.key.clone(), lr.clone(), right.clone(), version);
                Node::inner(left.key.clone(), ll.clone(), down, version)
            }
            // Never on a balanced tree: a left-heavy node's left child is inner.
            Body::Leaf(_) => node.clone(),
        },
        Body::Leaf(_) => node.clone(),
    }
}

/// iavl's `rotateLeft`: the right child comes up.
fn rotate_left(node: &Arc<Node>, version: u64) -> Arc<Node> {
    match &node.body {
        Body::Inner(left, right) => match &right.body {
            Body::Inner(rl, rr) => {
                let down = Node::inner(node.key.clone(), left.clone(), rl.clone(), version);
                Node::inner(right.key.clone(), down, rr.clone(), version)
            }
            Body::Leaf(_) => node.clone(),
        },
        Body::Leaf(_) => node.clone(),
    }
}

/// iavl's `balance` of a node just made in `version`.
fn balance(node: Arc<Node>, version: u64) -> Arc<Node> {
    let Body::Inner(left, right) = &node.body else {
        return node;
    };
    let factor = node.balance_factor();
    if factor > 1 {
        if left.balance_factor() >= 0 {
            return rotate_right(&node, version);
        }
        let rotated = Node::inner(
            node.key.clone(),
            rotate_left(left, version),
            right.clone(),
            version,
        );
        return rotate_right(&rotated, version);
    }
    if factor < -1 {
        if right.balance_factor() <= 0 {
            return rotate_left(&node, version);
        }
        let rotated = Node::inner(
            node.key.clone(),
            left.clone(),
            rotate_right(right, version),
            version,
        );
        return rotate_left(&rotated, version);
    }
    node
}

/// iavl's `recursiveSet`: the new subtree and whether an existing key was updated.
fn set_in(node: &Arc<Node>, key: &[u8], value: &[u8], version: u64) -> (Arc<Node>, bool) {
    match &node.body {
        Body::Leaf(_) => match key.cmp(&node.key) {
            Ordering::Less => (
                Node::inner(
                    node.key.clone(),
                    Node::leaf(key.to_vec(), value.to_vec(), version),
                    node.clone(),
                    version,
                ),
                false,
            ),
            Ordering::Greater => (
                Node::inner(
                    key.to_vec(),
                    node.clone(),
                    Node::leaf(key.to_vec(), value.to_vec(), version),
                    version,
                ),
                false,
            ),
            Ordering::Equal => (Node::leaf(key.to_vec(), value.to_vec(), version), true),
        },
        Body::Inner(left, right) => {
            let (left, right, updated) = if key < node.key.as_slice() {
                let (l, u) = set_in(left, key, value, version);
                (l, right.clone(), u)
            } else {
                let (r, u) = set_in(right, key, value, version);
                (left.clone(), r, u)
            };
            let new = Node::inner(node.key.clone(), left, right, version);
            if updated {
                (new, true)
            } else {
                (balance(new, version), false)
            }
        }
    }
}

/// What removing a key from a subtree gave: the new subtree (`None`: it was the removed leaf)
/// and the new smallest key of the subtree when it changed.
type Removed = (Option<Arc<Node>>, Option<Vec<u8>>);

/// iavl's `recursiveRemove`; `None` when the key is not there.
fn remove_in(node: &Arc<Node>, key: &[u8], version: u64) -> Option<Removed> {
    match &node.body {
        Body::Leaf(_) => (node.key == key).then_some((None, None)),
        Body::Inner(left, right) => {
            if key < node.key.as_slice() {
                let (new_left, new_key) = remove_in(left, key, version)?;
                let Some(new_left) = new_left else {
                    // The left child was the leaf removed: the right child takes our place, and
                    // our key is the subtree's new smallest key.
                    return Some((Some(right.clone()), Some(node.key.clone())));
                };
                let new = Node::inner(node.key.clone(), new_left, right.clone(), version);
                Some((Some(balance(new, version)), new_key))
            } else {
                let (new_right, new_key) = remove_in(right, key, version)?;
                let Some(new_right) = new_right else {
                    return Some((Some(left.clone()), None));
                };
                let key = new_key.unwrap_or_else(|| node.key.clone());
                let new = Node::inner(key, left.clone(), new_right, version);
                Some((Some(balance(new, version)), None))
            }
        }
    }
}

/// One inner node on the path from the root to a leaf (iavl's `ProofInnerNode`): the sibling
/// hash is on the left when the path goes right, and on the right when it goes left.
struct PathStep {
    height: u8,
    size: u64,
    version: u64,
    left: Option<[u8; 32]>,
    right: Option<[u8; 32]>,
}

impl Tree {
    /// The empty tree.
    pub fn empty() -> Self {
        Tree { root: None }
    }

    /// A tree with root `root`.
    pub fn from_root(root: Option<Arc<Node>>) -> Self {
        Tree { root }
    }

    /// The root node, if any.
    pub fn root(&self) -> Option<&Arc<Node>> {
        self.root.as_ref()
    }

    /// The root hash (`sha256("")` when empty).
    pub fn root_hash(&self) -> [u8; 32] {
        self.root.as_ref().map_or_else(empty_root, |r| r.hash)
    }

    /// The number of keys.
    pub fn len(&self) -> u64 {
        self.root.as_ref().map_or(0, |r| r.size)
    }

    /// Whether the tree holds no key.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The tree with `key = value` written in `version` (iavl's `Set`), and whether the key
    /// existed.
    pub fn set(&self, key: &[u8], value: &[u8], version: u64) -> (Tree, bool) {
        match &self.root {
            None => (
                Tree {
                    root: Some(Node::leaf(key.to_vec(), value.to_vec(), version)),
                },
                false,
            ),
            Some(root) => {
                let (root, updated) = set_in(root, key, value, version);
                (Tree { root: Some(root) }, updated)
            }
        }
    }

    /// The tree without `key`, removed in `version` (iavl's `Remove`); `None` when the key is
    /// not there (the tree is then unchanged, as in iavl).
    pub fn remove(&self, key: &[u8], version: u64) -> Option<Tree> {
        let root = self.root.as_ref()?;
        let (root, _) = remove_in(root, key, version)?;
        Some(Tree { root })
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        let mut node = self.root.as_ref()?;
        loop {
            match &node.body {
                Body::Leaf(value) => return (node.key == key).then_some(value.as_slice()),
                Body::Inner(l, r) => node = if key < node.key.as_slice() { l } else { r },
            }
        }
    }

    /// iavl's `GetWithIndex`: the index `key` has, or would have, among the sorted keys, and
    /// its value.
    pub fn get_with_index(&self, key: &[u8]) -> (u64, Option<&[u8]>) {
        let Some(mut node) = self.root.as_ref() else {
            return (0, None);
        };
        let mut index = 0u64;
        loop {
            match &node.body {
                Body::Leaf(value) => {
                    return match node.key.as_slice().cmp(key) {
                        Ordering::Less => (index + 1, None),
                        Ordering::Greater => (index, None),
                        Ordering::Equal => (index, Some(value.as_slice())),
                    }
                }
                Body::Inner(l, r) => {
                    if key < node.key.as_slice() {
                        node = l;
                    } else {
                        index += node.size - r.size;
                        node = r;
                    }
                }
            }
        }
    }

    /// iavl's `GetByIndex`: the key and value at `index` among the sorted keys.
    pub fn get_by_index(&self, mut index: u64) -> Option<(&[u8], &[u8])> {
        let mut node = self.root.as_ref()?;
        loop {
            match &node.body {
                Body::Leaf(value) => {
                    return (index == 0).then_some((node.key.as_slice(), value.as_slice()))
                }
                Body::Inner(l, r) => {
                    if index < l.size {
                        node = l;
                    } else {
                        index -= l.size;
                        node = r;
                    }
                }
            }
        }
    }

    /// Every key and value, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut stack: Vec<&Node> = self.root.iter().map(|r| r.as_ref()).collect();
        std::iter::from_fn(move || {
            while let Some(node) = stack.pop() {
                match &node.body {
                    Body::Leaf(v) => return Some((node.key.as_slice(), v.as_slice())),
                    Body::Inner(l, r) => {
                        stack.push(r);
                        stack.push(l);
                    }
                }
            }
            None
        })
    }

    /// The path to the leaf of `key` (iavl's `PathToLeaf`), root first, and the leaf.
    fn path_to_leaf(&self, key: &[u8]) -> Option<(Vec<PathStep>, &Node)> {
        let mut node = self.root.as_ref()?;
        let mut path = Vec::new();
        loop {
            match &node.body {
                Body::Leaf(_) => return (node.key == key).then_some((path, node.as_ref())),
                Body::Inner(l, r) => {
                    let left = key < node.key.as_slice();
                    path.push(PathStep {
                        height: node.height,
                        size: node.size,
                        version: node.version,
                        left: (!left).then_some(l.hash),
                        right: left.then_some(r.hash),
                    });
                    node = if left { l } else { r };
                }
            }
        }
    }

    /// iavl's `createExistenceProof`: the proof that `key` holds its value, `None` when absent.
    pub fn existence_proof(&self, key: &[u8]) -> Option<ExistenceProof> {
        let (path, leaf) = self.path_to_leaf(key)?;
        let Body::Leaf(value) = &leaf.body else {
            return None;
        };
        Some(ExistenceProof {
            key: leaf.key.clone(),
            value: value.clone(),
            leaf: Some(leaf_op(leaf.version)),
            path: path.iter().rev().map(inner_op).collect(),
        })
    }

    /// The proof iavl's `GetMembershipProof` or `GetNonMembershipProof` gives for `key`: of
    /// existence when it is present, else of absence (neighbours left out when there are none;
    /// both are left out in an empty tree).
    pub fn commitment_proof(&self, key: &[u8]) -> CommitmentProof {
        if let Some(exist) = self.existence_proof(key) {
            return CommitmentProof {
                proof: Some(Proof::Exist(exist)),
            };
        }
        let (index, _) = self.get_with_index(key);
        let left = index
            .checked_sub(1)
            .and_then(|i| self.get_by_index(i))
            .and_then(|(k, _)| self.existence_proof(k));
        let right = self
            .get_by_index(index)
            .and_then(|(k, _)| self.existence_proof(k));
        CommitmentProof {
            proof: Some(Proof::Nonexist(NonExistenceProof {
                key: key.to_vec(),
                left,
                right,
            })),
        }
    }
}

/// iavl's `convertLeafOp`.
pub fn leaf_op(version: u64) -> LeafOp {
    let mut prefix = Vec::with_capacity(12);
    put_varint(&mut prefix, 0);
    put_varint(&mut prefix, 1);
    put_varint(&mut prefix, version_i64(version));
    LeafOp {
        hash: HashOp::Sha256.into(),
        prehash_key: HashOp::NoHash.into(),
        prehash_value: HashOp::Sha256.into(),
        length: LengthOp::VarProto.into(),
        prefix,
    }
}

/// iavl's `convertInnerOps`, for one step.
fn inner_op(step: &PathStep) -> InnerOp {
    let mut prefix = Vec::with_capacity(70);
    put_varint(&mut prefix, i64::from(step.height));
    put_varint(&mut prefix, i64::try_from(step.size).unwrap_or(i64::MAX));
    put_varint(&mut prefix, version_i64(step.version));
    let mut suffix = Vec::new();
    match (step.left, step.right) {
        (Some(left), _) => {
            prefix.push(32);
            prefix.extend_from_slice(&left);
            prefix.push(32);
        }
        (None, right) => {
            prefix.push(32);
            suffix.push(32);
            suffix.extend_from_slice(&right.unwrap_or_default());
        }
    }
    InnerOp {
        hash: HashOp::Sha256.into(),
        prefix,
        suffix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_verifier::proof::{iavl_spec, verify_membership, verify_non_membership};
    use std::collections::BTreeMap;

    /// Checks the AVL and IAVL invariants of every node and returns the height.
    fn check(node: &Node) -> u8 {
        match &node.body {
            Body::Leaf(_) => {
                assert_eq!((node.height, node.size), (0, 1));
                0
            }
            Body::Inner(l, r) => {
                let (hl, hr) = (check(l), check(r));
                assert!((i16::from(hl) - i16::from(hr)).abs() <= 1, "unbalanced");
                assert_eq!(node.height, hl.max(hr) + 1);
                assert_eq!(node.size, l.size + r.size);
                // The key is the smallest key on the right; every left key is below it.
                let mut min = r.as_ref();
                while let Body::Inner(ml, _) = &min.body {
                    min = ml;
                }
                assert_eq!(node.key, min.key);
                let mut max = l.as_ref();
                while let Body::Inner(_, mr) = &max.body {
                    max = mr;
                }
                assert!(max.key < node.key);
                assert!(l.version <= node.version && r.version <= node.version);
                node.height
            }
        }
    }

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn varints_are_go_zigzag() {
        let enc = |v: i64| {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            b
        };
        assert_eq!(enc(0), [0]);
        assert_eq!(enc(1), [2]);
        assert_eq!(enc(-1), [1]);
        assert_eq!(enc(4), [8]);
        assert_eq!(enc(64), [0x80, 0x01]);
        assert_eq!(enc(300), [0xd8, 0x04]);
    }

    #[test]
    fn hashes_follow_iavl_node_format() {
        let leaf = Node::leaf(b"k".to_vec(), b"v".to_vec(), 3);
        let mut pre = vec![0, 2, 6, 1, b'k', 32];
        pre.extend_from_slice(&sha256(b"v"));
        assert_eq!(leaf.hash(), sha256(&pre));
        let other = Node::leaf(b"m".to_vec(), b"w".to_vec(), 2);
        let inner = Node::inner(b"m".to_vec(), leaf.clone(), other.clone(), 5);
        let mut pre = vec![2, 4, 10, 32];
        pre.extend_from_slice(&leaf.hash());
        pre.push(32);
        pre.extend_from_slice(&other.hash());
        assert_eq!(inner.hash(), sha256(&pre));
        assert_eq!(Tree::empty().root_hash(), sha256(b""));
    }

    #[test]
    fn random_writes_keep_the_tree_balanced_and_every_version_readable() {
        let mut seed = 7u64;
        let mut tree = Tree::empty();
        let mut model = BTreeMap::new();
        let mut versions = Vec::new();
        for version in 1..=40u64 {
            for _ in 0..25 {
                let k = format!("k{:03}", lcg(&mut seed) % 300).into_bytes();
                if lcg(&mut seed).is_multiple_of(3) {
                    let removed = tree.remove(&k, version);
                    assert_eq!(removed.is_some(), model.remove(&k).is_some());
                    if let Some(t) = removed {
                        tree = t;
                    }
                } else {
                    let v = format!("v{version}-{}", lcg(&mut seed)).into_bytes();
                    let (t, updated) = tree.set(&k, &v, version);
                    assert_eq!(updated, model.insert(k, v).is_some());
                    tree = t;
                }
                if let Some(root) = tree.root() {
                    check(root);
                }
            }
            versions.push((tree.clone(), model.clone()));
        }
        for (tree, model) in &versions {
            assert_eq!(tree.len(), model.len() as u64);
            let listed: Vec<(Vec<u8>, Vec<u8>)> =
                tree.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
            let expected: Vec<(Vec<u8>, Vec<u8>)> =
                model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            assert_eq!(listed, expected);
            for (i, (k, v)) in model.iter().enumerate() {
                assert_eq!(tree.get(k), Some(v.as_slice()));
                assert_eq!(tree.get_with_index(k), (i as u64, Some(v.as_slice())));
                assert_eq!(
                    tree.get_by_index(i as u64),
                    Some((k.as_slice(), v.as_slice()))
                );
            }
            let root = tree.root_hash();
            for probe in 0..310u64 {
                let k = format!("k{probe:03}").into_bytes();
                let proof = tree.commitment_proof(&k);
                match model.get(&k) {
                    Some(v) => verify_membership(&iavl_spec(), &root, &proof, &k, v).unwrap(),
                    None => verify_non_membership(&iavl_spec(), &root, &proof, &k).unwrap(),
                }
            }
        }
    }

    #[test]
    fn insertions_rotate_as_iavl_does() {
        // Ascending inserts a, b, c: the root rotates left; b's inner node is made in version 3.
        let (t, _) = Tree::empty().set(b"a", b"1", 1);
        let (t, _) = t.set(b"b", b"2", 2);
        let (t, _) = t.set(b"c", b"3", 3);
        let root = t.root().unwrap();
        assert_eq!((root.key(), root.height(), root.size()), (&b"b"[..], 2, 3));
        let Body::Inner(l, r) = root.body() else {
            panic!("leaf root")
        };
        assert_eq!((l.key(), l.height(), l.version()), (&b"a"[..], 0, 1));
        assert_eq!((r.key(), r.height(), r.version()), (&b"c"[..], 1, 3));
        // Removing the smallest key hands its parent's key up.
        let t = t.remove(b"a", 4).unwrap();
        check(t.root().unwrap());
        assert_eq!(t.root().unwrap().key(), b"c");
        assert!(t.remove(b"zz", 5).is_none());
    }
}
