//! ICS-23 state proofs: that a key holds a value (membership), or holds nothing
//! (non-membership), in a Merkle store whose root a verified header commits to.
//!
//! A Cosmos SDK chain answers `abci_query` with `prove = true` with two proofs, lowest tree
//! first: an `ics23:iavl` proof of the key in its module store (e.g. `ibc`), then an
//! `ics23:simple` proof of that store's root in the multistore, whose root is the app hash.
//! [`MerkleProof`] (or [`verify_chained_membership`] / [`verify_chained_non_membership`])
//! checks such a list exactly as ibc-go's `MerkleProof.VerifyMembership` /
//! `VerifyNonMembership` do; [`verify_membership`] / [`verify_non_membership`] check one
//! proof against one root.
//!
//! Proof specs ([`ProofSpec`]) are data: they come from the light client's trusted
//! configuration, never from the proof. [`cosmos_sdk_specs`] returns the pair every Cosmos SDK
//! chain uses; [`iavl_spec`], [`tendermint_spec`] and [`smt_spec`] the single specs.
//!
//! The proof types are those of the [`ics23`] crate (re-exported); verification is ics23's,
//! wrapped so that every outcome is a [`Result`] with an actionable [`ProofError`], and so that
//! no input (malformed bytes, hostile proofs, degenerate specs) can panic.
//!
//! Hashing is SHA-256, SHA-512 and SHA-512/256 (and "no hash"): everything Cosmos SDK and
//! CometBFT trees use. Specs or proofs naming another hash function (Keccak, RIPEMD-160,
//! BLAKE2/3) are rejected with [`ProofError::UnsupportedHashOp`] before anything is hashed.
//!
//! Where this is stricter than ibc-go (never more lenient):
//! * a non-existence proof whose own `key` field names another key (neither the key nor, for
//!   specs comparing prehashed keys, its prehash) is rejected; ibc-go ignores that field, so
//!   a proof of absence of a nearby key, or one with that field altered, also passes there;
//! * specs are validated first ([`validate_spec`]): degenerate specs that would make ics23-rs
//!   panic are errors;
//! * an existence proof deeper than the spec's `max_depth`, or [`DEFAULT_MAX_DEPTH`] when it
//!   sets none, is rejected, as Go's ics23 does (ics23-rs checks depth only with `min_depth`).
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use ferry_verifier::proof::{cosmos_sdk_specs, MerkleProof, ProofOp};
//!
//! // `ops` as returned by abci_query (response.proofOps.ops), `app_hash` from the verified
//! // header at height + 1:
//! # let ops: Vec<ProofOp> = Vec::new();
//! # let app_hash = [0u8; 32];
//! # let value = b"value";
//! match MerkleProof::from_proof_ops(&ops) {
//!     Ok(proof) => {
//!         let key_path: [&[u8]; 2] = [b"ibc", b"clients/07-tendermint-0/clientState"];
//!         let verdict = proof.verify_membership(&cosmos_sdk_specs(), &app_hash, &key_path, value);
//!         # let _ = verdict;
//!     }
//!     Err(e) => { let _ = e; /* malformed response */ }
//! }
//! # }
//! ```

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use ics23::batch_entry::Proof as BatchEntryProof;
use ics23::commitment_proof::Proof as Variant;
use ics23::compressed_batch_entry::Proof as CompressedEntryProof;
use prost::Message;
use sha2::{Digest, Sha256, Sha512, Sha512_256};

pub use ics23;
pub use ics23::{
    BatchProof, CommitmentProof, CompressedBatchProof, ExistenceProof, HashOp, InnerOp, InnerSpec,
    LeafOp, LengthOp, NonExistenceProof, ProofSpec,
};

/// `ProofOp.type` of a Cosmos SDK IAVL store proof (a protobuf [`CommitmentProof`]).
pub const PROOF_OP_IAVL: &str = "ics23:iavl";
/// `ProofOp.type` of a Cosmos SDK multistore ("simple Merkle") proof.
pub const PROOF_OP_SIMPLE: &str = "ics23:simple";
/// `ProofOp.type` of a Cosmos SDK sparse Merkle tree store proof.
pub const PROOF_OP_SMT: &str = "ics23:smt";

/// Maximum number of inner nodes in an existence proof when the spec sets no `max_depth`
/// (as the Go ics23 implementation that ibc-go uses).
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// Largest `child_order` length a spec may have (trees are binary in practice).
pub const MAX_SPEC_CHILDREN: usize = 256;

/// Largest `child_size`, `min_prefix_length` and `max_prefix_length` a spec may have.
pub const MAX_SPEC_LENGTH: i32 = 1 << 16;

const ICS23_OP_PREFIX: &str = "ics23:";

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

/// The spec of a Cosmos SDK IAVL store (`ics23:iavl` proofs).
pub fn iavl_spec() -> ProofSpec {
    ics23::iavl_spec()
}

/// The spec of CometBFT's simple Merkle tree: the Cosmos SDK multistore (`ics23:simple`).
pub fn tendermint_spec() -> ProofSpec {
    ics23::tendermint_spec()
}

/// The spec of a sparse Merkle tree (`ics23:smt`), with `max_depth` 256 as in Go's ics23.
pub fn smt_spec() -> ProofSpec {
    let mut spec = ics23::smt_spec();
    spec.max_depth = 256;
    spec
}

/// The specs of a Cosmos SDK chain, lowest tree first: `[iavl_spec(), tendermint_spec()]`
/// (ibc-go's `GetSDKSpecs`).
pub fn cosmos_sdk_specs() -> [ProofSpec; 2] {
    [iavl_spec(), tendermint_spec()]
}

/// Checks that `spec` is one this module can verify against: both leaf and inner specs set,
/// only known and supported hash and length operations, `child_order` a permutation of
/// `0..n` with `1 <= n <=` [`MAX_SPEC_CHILDREN`], `1 <= child_size`, `0 <= min_prefix_length
/// <= max_prefix_length`, all at most [`MAX_SPEC_LENGTH`], and non-negative depths with
/// `min_depth <= max_depth` when both are set.
///
/// Every verification function calls this first; call it yourself to reject a bad client
/// configuration early.
pub fn validate_spec(spec: &ProofSpec) -> Result<(), ProofError> {
    let invalid = |reason| Err(ProofError::InvalidSpec { reason });
    let Some(leaf) = &spec.leaf_spec else {
        return invalid("leaf_spec is missing");
    };
    let Some(inner) = &spec.inner_spec else {
        return invalid("inner_spec is missing");
    };
    check_leaf_op(leaf)?;
    supported_hash(inner.hash, "inner spec hash")?;

    let n = inner.child_order.len();
    if n == 0 || n > MAX_SPEC_CHILDREN {
        return invalid("child_order must list between 1 and 256 children");
    }
    let mut seen = [false; MAX_SPEC_CHILDREN];
    for &child in &inner.child_order {
        let slot = usize::try_from(child)
            .ok()
            .filter(|&c| c < n)
            .and_then(|c| seen.get_mut(c));
        match slot {
            Some(s) if !*s => *s = true,
            _ => return invalid("child_order must be a permutation of 0..n"),
        }
    }
    if inner.child_size < 1 || inner.child_size > MAX_SPEC_LENGTH {
        return invalid("child_size must be between 1 and 65536");
    }
    if inner.min_prefix_length < 0
        || inner.max_prefix_length > MAX_SPEC_LENGTH
        || inner.min_prefix_length > inner.max_prefix_length
    {
        return invalid(
            "prefix lengths must satisfy 0 <= min_prefix_length <= max_prefix_length <= 65536",
        );
    }
    if spec.min_depth < 0 || spec.max_depth < 0 {
        return invalid("min_depth and max_depth must not be negative");
    }
    if spec.min_depth > 0 && spec.max_depth == 0 {
        // ics23-rs checks max_depth whenever min_depth is set, so such a spec accepts nothing.
        return invalid("a spec with min_depth must also set max_depth");
    }
    if spec.max_depth > 0 && spec.min_depth > spec.max_depth {
        return invalid("min_depth is greater than max_depth");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The shape of a [`CommitmentProof`], for error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofKind {
    /// An `ExistenceProof`: proves a key holds a value.
    Existence,
    /// A `NonExistenceProof`: proves a key is absent (by its neighbours).
    NonExistence,
    /// A `BatchProof` of several existence / non-existence proofs.
    Batch,
    /// A `CompressedBatchProof`.
    CompressedBatch,
    /// No proof at all (an empty message).
    Empty,
}

impl ProofKind {
    /// The kind of `proof`.
    pub fn of(proof: &CommitmentProof) -> Self {
        match &proof.proof {
            Some(Variant::Exist(_)) => Self::Existence,
            Some(Variant::Nonexist(_)) => Self::NonExistence,
            Some(Variant::Batch(_)) => Self::Batch,
            Some(Variant::Compressed(_)) => Self::CompressedBatch,
            None => Self::Empty,
        }
    }
}

impl fmt::Display for ProofKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Existence => "an existence proof",
            Self::NonExistence => "a non-existence proof",
            Self::Batch => "a batch proof",
            Self::CompressedBatch => "a compressed batch proof",
            Self::Empty => "an empty proof",
        })
    }
}

/// Why a proof was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// Bytes did not decode as the protobuf message named.
    Decode {
        /// The message being decoded.
        what: &'static str,
        /// The protobuf decoder's explanation.
        reason: String,
    },
    /// A `ProofOp` whose type is not an ICS-23 commitment proof (`ics23:*`).
    UnsupportedProofOp {
        /// The op's type.
        kind: String,
    },
    /// No proof was given (an empty proof list, or a `CommitmentProof` with nothing in it).
    EmptyProof,
    /// The commitment root to verify against is empty.
    EmptyRoot,
    /// The key is empty.
    EmptyKey,
    /// The value of a membership proof is empty (ICS-23 cannot prove empty values; prove
    /// non-membership instead).
    EmptyValue,
    /// The number of specs, proofs and key-path elements differ.
    LengthMismatch {
        /// Number of specs.
        specs: usize,
        /// Number of proofs.
        proofs: usize,
        /// Number of key-path elements.
        keys: usize,
    },
    /// The proof spec is unusable (see [`validate_spec`]).
    InvalidSpec {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A spec or proof names a hash function this verifier does not implement.
    UnsupportedHashOp {
        /// The hash function.
        op: HashOp,
    },
    /// A spec or proof holds an operation code ICS-23 does not define.
    UnknownOp {
        /// Which field.
        what: &'static str,
        /// The value found.
        value: i32,
    },
    /// A compressed batch proof refers to an inner node its lookup table does not hold.
    InvalidCompressedProof,
    /// The proof is of the wrong kind for this verification.
    WrongProofType {
        /// The kind needed.
        expected: ProofKind,
        /// The kind given.
        found: ProofKind,
    },
    /// An existence proof has more inner nodes than the spec allows.
    ProofTooDeep {
        /// Its number of inner nodes.
        depth: usize,
        /// The maximum (`max_depth`, or [`DEFAULT_MAX_DEPTH`]).
        max: usize,
    },
    /// An existence proof has fewer inner nodes than the spec's `min_depth`.
    ProofTooShallow {
        /// Its number of inner nodes.
        depth: usize,
        /// The spec's `min_depth`.
        min: usize,
    },
    /// A batch proof holds no proof for this key.
    KeyNotInProof,
    /// The proof is about another key.
    KeyMismatch {
        /// The key the proof names.
        proven: Vec<u8>,
    },
    /// The proof proves another value for the key.
    ValueMismatch {
        /// The value the proof holds.
        proven: Vec<u8>,
    },
    /// The proof is internally valid but commits to another root.
    RootMismatch {
        /// The root verified against.
        expected: Vec<u8>,
        /// The root the proof computes.
        computed: Vec<u8>,
    },
    /// A root could not be computed from the proof (no leaf operation, empty key or value, an
    /// unsupported length operation...).
    CannotCalculateRoot {
        /// The ics23 library's explanation.
        reason: String,
    },
    /// The proof's leaf or inner operations do not have the form the spec requires.
    SpecMismatch,
    /// A non-existence proof without neighbours, or whose neighbours' paths cannot be adjacent.
    MalformedNonExistence {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The key does not sort strictly between the non-existence proof's neighbours.
    KeyNotBetweenNeighbours,
    /// The non-existence proof's neighbours are valid but not adjacent in the tree (or not the
    /// left-most / right-most leaf when one is missing).
    NeighboursNotAdjacent,
    /// An error in one proof of a chained (multi-store) proof.
    Chained {
        /// The proof's position, lowest tree first (0 is the store proof of a Cosmos SDK query,
        /// 1 the multistore proof).
        index: usize,
        /// What is wrong with it.
        error: Box<ProofError>,
    },
}

impl ProofError {
    fn at(index: usize) -> impl Fn(ProofError) -> ProofError {
        move |error| ProofError::Chained {
            index,
            error: Box::new(error),
        }
    }

    /// The innermost error, past any [`ProofError::Chained`] wrappers.
    pub fn root_cause(&self) -> &ProofError {
        match self {
            Self::Chained { error, .. } => error.root_cause(),
            other => other,
        }
    }
}

/// Hex of up to 32 bytes, then an ellipsis and the total length.
struct HexPreview<'a>(&'a [u8]);

impl fmt::Display for HexPreview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 32;
        for b in self.0.iter().take(SHOWN) {
            write!(f, "{b:02X}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, "... ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode { what, reason } => {
                write!(f, "bytes are not a protobuf {what}: {reason}")
            }
            Self::UnsupportedProofOp { kind } => write!(
                f,
                "proof op type {kind:?} is not an ICS-23 proof (expected \"ics23:iavl\", \
                 \"ics23:simple\" or \"ics23:smt\"); query a Cosmos SDK node with prove=true"
            ),
            Self::EmptyProof => f.write_str("no proof given: query with prove=true"),
            Self::EmptyRoot => f.write_str("the commitment root (app hash) is empty"),
            Self::EmptyKey => f.write_str("the key to prove is empty"),
            Self::EmptyValue => f.write_str(
                "membership of an empty value cannot be proven; prove non-membership instead",
            ),
            Self::LengthMismatch {
                specs,
                proofs,
                keys,
            } => write!(
                f,
                "{specs} proof specs, {proofs} proofs and {keys} key-path elements: they must \
                 be as many (a Cosmos SDK query needs 2 of each: store proof and multistore \
                 proof, key path [store name, key])"
            ),
            Self::InvalidSpec { reason } => write!(f, "invalid proof spec: {reason}"),
            Self::UnsupportedHashOp { op } => write!(
                f,
                "hash function {} is not supported (only SHA-256, SHA-512 and SHA-512/256)",
                op.as_str_name()
            ),
            Self::UnknownOp { what, value } => {
                write!(f, "{what} has value {value}, which ICS-23 does not define")
            }
            Self::InvalidCompressedProof => f.write_str(
                "compressed batch proof refers to inner nodes missing from its lookup table",
            ),
            Self::WrongProofType { expected, found } => {
                write!(f, "expected {expected}, got {found}")?;
                match (expected, found) {
                    (ProofKind::NonExistence, ProofKind::Existence) => f.write_str(
                        ": the key is present in the store (or the proof was queried for \
                         another key)",
                    ),
                    (ProofKind::Existence, ProofKind::NonExistence) => f.write_str(
                        ": the key is absent at this height (or the proof was queried for \
                         another key or height)",
                    ),
                    _ => Ok(()),
                }
            }
            Self::ProofTooDeep { depth, max } => write!(
                f,
                "existence proof has {depth} inner nodes, more than the spec's maximum {max}"
            ),
            Self::ProofTooShallow { depth, min } => write!(
                f,
                "existence proof has {depth} inner nodes, fewer than the spec's minimum {min}"
            ),
            Self::KeyNotInProof => f.write_str(
                "the batch proof holds no proof for this key; query the proof for this key",
            ),
            Self::KeyMismatch { proven } => write!(
                f,
                "the proof is for key {}, not the key given: check the key path",
                HexPreview(proven)
            ),
            Self::ValueMismatch { proven } => write!(
                f,
                "the proof proves value {} for this key, not the value given: the state \
                 changed, or the value is not encoded as the chain stores it",
                HexPreview(proven)
            ),
            Self::RootMismatch { expected, computed } => write!(
                f,
                "the proof commits to root {}, not {}: a proof queried at height H verifies \
                 against the app hash of header H+1 of the same chain",
                HexPreview(computed),
                HexPreview(expected)
            ),
            Self::CannotCalculateRoot { reason } => {
                write!(f, "cannot compute a root from the proof: {reason}")
            }
            Self::SpecMismatch => f.write_str(
                "the proof's leaf or inner operations do not match the proof spec: check the \
                 specs configured for this chain (Cosmos SDK: [iavl, tendermint])",
            ),
            Self::MalformedNonExistence { reason } => {
                write!(f, "malformed non-existence proof: {reason}")
            }
            Self::KeyNotBetweenNeighbours => f.write_str(
                "the key does not sort strictly between the non-existence proof's neighbours: \
                 it may be present, or the proof was queried for another key",
            ),
            Self::NeighboursNotAdjacent => f.write_str(
                "the non-existence proof's neighbours are not adjacent leaves (or not the \
                 left-most / right-most leaf when one is missing)",
            ),
            Self::Chained { index, error } => write!(f, "proof {index}: {error}"),
        }
    }
}

impl core::error::Error for ProofError {}

// ---------------------------------------------------------------------------------------------
// Hashing
// ---------------------------------------------------------------------------------------------

/// The hash functions handed to ics23. Only the SHA-2 ones are implemented: every spec and
/// proof is checked (`check_leaf_op`, `check_existence`) to name only those before ics23 may
/// hash anything, so the others are never called.
struct Sha2Host;

impl ics23::HostFunctionsProvider for Sha2Host {
    fn sha2_256(message: &[u8]) -> [u8; 32] {
        Sha256::digest(message).into()
    }
    fn sha2_512(message: &[u8]) -> [u8; 64] {
        Sha512::digest(message).into()
    }
    fn sha2_512_truncated(message: &[u8]) -> [u8; 32] {
        Sha512_256::digest(message).into()
    }
    fn keccak_256(_: &[u8]) -> [u8; 32] {
        [0; 32]
    }
    fn ripemd160(_: &[u8]) -> [u8; 20] {
        [0; 20]
    }
    fn blake2b_512(_: &[u8]) -> [u8; 64] {
        [0; 64]
    }
    fn blake2s_256(_: &[u8]) -> [u8; 32] {
        [0; 32]
    }
    fn blake3(_: &[u8]) -> [u8; 32] {
        [0; 32]
    }
}

fn supported_hash(value: i32, what: &'static str) -> Result<HashOp, ProofError> {
    match HashOp::try_from(value) {
        Ok(op @ (HashOp::NoHash | HashOp::Sha256 | HashOp::Sha512 | HashOp::Sha512256)) => Ok(op),
        Ok(op) => Err(ProofError::UnsupportedHashOp { op }),
        Err(_) => Err(ProofError::UnknownOp { what, value }),
    }
}

fn hash_with(op: HashOp, data: &[u8]) -> Result<Vec<u8>, ProofError> {
    match op {
        HashOp::NoHash => Ok(data.to_vec()),
        HashOp::Sha256 => Ok(Sha256::digest(data).to_vec()),
        HashOp::Sha512 => Ok(Sha512::digest(data).to_vec()),
        HashOp::Sha512256 => Ok(Sha512_256::digest(data).to_vec()),
        op => Err(ProofError::UnsupportedHashOp { op }),
    }
}

/// The key as non-existence proofs order it: prehashed when the spec says so.
fn key_for_comparison<'k>(spec: &ProofSpec, key: &'k [u8]) -> Result<Cow<'k, [u8]>, ProofError> {
    if !spec.prehash_key_before_comparison {
        return Ok(Cow::Borrowed(key));
    }
    let raw = spec.leaf_spec.as_ref().map_or(0, |l| l.prehash_key);
    let op = supported_hash(raw, "leaf spec prehash_key")?;
    hash_with(op, key).map(Cow::Owned)
}

// ---------------------------------------------------------------------------------------------
// Structural checks (run before ics23 sees a proof)
// ---------------------------------------------------------------------------------------------

fn check_leaf_op(leaf: &LeafOp) -> Result<(), ProofError> {
    supported_hash(leaf.hash, "leaf hash")?;
    supported_hash(leaf.prehash_key, "leaf prehash_key")?;
    supported_hash(leaf.prehash_value, "leaf prehash_value")?;
    LengthOp::try_from(leaf.length).map_err(|_| ProofError::UnknownOp {
        what: "leaf length",
        value: leaf.length,
    })?;
    Ok(())
}

/// Operation codes known and supported; with a spec, depth within its limits.
fn check_existence(ex: &ExistenceProof, spec: Option<&ProofSpec>) -> Result<(), ProofError> {
    if let Some(leaf) = &ex.leaf {
        check_leaf_op(leaf)?;
    }
    for step in &ex.path {
        supported_hash(step.hash, "inner hash")?;
    }
    if let Some(spec) = spec {
        let depth = ex.path.len();
        let max = usize::try_from(spec.max_depth)
            .ok()
            .filter(|&m| m > 0)
            .unwrap_or(DEFAULT_MAX_DEPTH);
        if depth > max {
            return Err(ProofError::ProofTooDeep { depth, max });
        }
        let min = usize::try_from(spec.min_depth).unwrap_or(0);
        if depth < min {
            return Err(ProofError::ProofTooShallow { depth, min });
        }
    }
    Ok(())
}

/// Runs `check_existence` on every existence proof inside an (expanded) proof.
fn check_proof(proof: &CommitmentProof, spec: Option<&ProofSpec>) -> Result<(), ProofError> {
    let check_non = |n: &NonExistenceProof| -> Result<(), ProofError> {
        for ex in n.left.iter().chain(n.right.iter()) {
            check_existence(ex, spec)?;
        }
        Ok(())
    };
    match &proof.proof {
        Some(Variant::Exist(ex)) => check_existence(ex, spec),
        Some(Variant::Nonexist(n)) => check_non(n),
        Some(Variant::Batch(batch)) => {
            for entry in &batch.entries {
                match &entry.proof {
                    Some(BatchEntryProof::Exist(ex)) => check_existence(ex, spec)?,
                    Some(BatchEntryProof::Nonexist(n)) => check_non(n)?,
                    None => {}
                }
            }
            Ok(())
        }
        // `expand` has already turned compressed proofs into batch proofs.
        Some(Variant::Compressed(_)) => Err(ProofError::InvalidCompressedProof),
        None => Err(ProofError::EmptyProof),
    }
}

/// Decompresses a compressed batch proof (after checking its lookup indices); borrows any
/// other proof.
fn expand(proof: &CommitmentProof) -> Result<Cow<'_, CommitmentProof>, ProofError> {
    let Some(Variant::Compressed(compressed)) = &proof.proof else {
        return Ok(Cow::Borrowed(proof));
    };
    let lookups = compressed.lookup_inners.len();
    let in_range = |path: &[i32]| {
        path.iter()
            .all(|&i| usize::try_from(i).is_ok_and(|i| i < lookups))
    };
    for entry in &compressed.entries {
        let ok = match &entry.proof {
            Some(CompressedEntryProof::Exist(ex)) => in_range(&ex.path),
            Some(CompressedEntryProof::Nonexist(n)) => n
                .left
                .iter()
                .chain(n.right.iter())
                .all(|ex| in_range(&ex.path)),
            None => true,
        };
        if !ok {
            return Err(ProofError::InvalidCompressedProof);
        }
    }
    ics23::decompress(proof)
        .map(Cow::Owned)
        .map_err(|_| ProofError::InvalidCompressedProof)
}

/// ics23-rs panics on neighbours whose paths are equal from the root down until one runs out
/// (only possible with hash collisions or degenerate specs): reject those first.
fn check_neighbour_paths(left: &ExistenceProof, right: &ExistenceProof) -> Result<(), ProofError> {
    let mut l = left.path.iter().rev();
    let mut r = right.path.iter().rev();
    loop {
        match (l.next(), r.next()) {
            (Some(a), Some(b)) => {
                if a.prefix != b.prefix || a.suffix != b.suffix {
                    return Ok(());
                }
            }
            _ => {
                return Err(ProofError::MalformedNonExistence {
                    reason: "the neighbours' paths do not diverge below the root",
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Roots
// ---------------------------------------------------------------------------------------------

/// The root an existence proof computes (its leaf hash folded through its inner nodes).
///
/// This checks nothing against a spec: compare the result with a trusted root, or use
/// [`verify_membership`].
pub fn calculate_existence_root(proof: &ExistenceProof) -> Result<Vec<u8>, ProofError> {
    check_existence(proof, None)?;
    ics23::calculate_existence_root::<Sha2Host>(proof).map_err(|e| {
        ProofError::CannotCalculateRoot {
            reason: e.to_string(),
        }
    })
}

/// The first existence proof of a proof, as Go's `CommitmentProof.Calculate` picks it.
fn first_existence(proof: &CommitmentProof) -> Option<&ExistenceProof> {
    fn of_non(n: &NonExistenceProof) -> Option<&ExistenceProof> {
        n.left.as_ref().or(n.right.as_ref())
    }
    match &proof.proof {
        Some(Variant::Exist(ex)) => Some(ex),
        Some(Variant::Nonexist(n)) => of_non(n),
        Some(Variant::Batch(batch)) => match batch.entries.first().and_then(|e| e.proof.as_ref()) {
            Some(BatchEntryProof::Exist(ex)) => Some(ex),
            Some(BatchEntryProof::Nonexist(n)) => of_non(n),
            None => None,
        },
        Some(Variant::Compressed(_)) | None => None,
    }
}

/// The root a proof computes, as Go's `CommitmentProof.Calculate`: that of its existence proof,
/// of a non-existence proof's left (else right) neighbour, or of a batch's first entry.
///
/// Verifies nothing; the other existence proofs in a batch are not looked at.
pub fn calculate_root(proof: &CommitmentProof) -> Result<Vec<u8>, ProofError> {
    let proof = expand(proof)?;
    check_proof(&proof, None)?;
    let ex = first_existence(&proof).ok_or(ProofError::CannotCalculateRoot {
        reason: "the proof holds no existence proof".to_string(),
    })?;
    calculate_existence_root(ex)
}

// ---------------------------------------------------------------------------------------------
// Single-proof verification
// ---------------------------------------------------------------------------------------------

fn check_root_and_key(root: &[u8], key: &[u8]) -> Result<(), ProofError> {
    if root.is_empty() {
        return Err(ProofError::EmptyRoot);
    }
    if key.is_empty() {
        return Err(ProofError::EmptyKey);
    }
    Ok(())
}

/// Verifies that `proof` proves `key` holds `value` in the tree with root `root`, under
/// `spec`.
///
/// `proof` may be an existence proof, or a (compressed) batch proof holding one for `key`.
pub fn verify_membership(
    spec: &ProofSpec,
    root: &[u8],
    proof: &CommitmentProof,
    key: &[u8],
    value: &[u8],
) -> Result<(), ProofError> {
    validate_spec(spec)?;
    check_root_and_key(root, key)?;
    if value.is_empty() {
        return Err(ProofError::EmptyValue);
    }
    let proof = expand(proof)?;
    check_proof(&proof, Some(spec))?;
    let ex = match &proof.proof {
        Some(Variant::Exist(ex)) => ex,
        Some(Variant::Batch(batch)) => batch
            .entries
            .iter()
            .find_map(|entry| match &entry.proof {
                Some(BatchEntryProof::Exist(ex)) if ex.key == key => Some(ex),
                _ => None,
            })
            .ok_or(ProofError::KeyNotInProof)?,
        _ => {
            return Err(ProofError::WrongProofType {
                expected: ProofKind::Existence,
                found: ProofKind::of(&proof),
            })
        }
    };
    verify_existence(spec, root, ex, key, value)
}

fn verify_existence(
    spec: &ProofSpec,
    root: &[u8],
    ex: &ExistenceProof,
    key: &[u8],
    value: &[u8],
) -> Result<(), ProofError> {
    if ex.key != key {
        return Err(ProofError::KeyMismatch {
            proven: ex.key.clone(),
        });
    }
    if ex.value != value {
        return Err(ProofError::ValueMismatch {
            proven: ex.value.clone(),
        });
    }
    let single = CommitmentProof {
        proof: Some(Variant::Exist(ex.clone())),
    };
    if ics23::verify_membership::<Sha2Host>(&single, spec, &root.to_vec(), key, value) {
        return Ok(());
    }
    let computed = calculate_existence_root(ex)?;
    if computed != root {
        return Err(ProofError::RootMismatch {
            expected: root.to_vec(),
            computed,
        });
    }
    Err(ProofError::SpecMismatch)
}

/// Verifies that `proof` proves `key` is absent from the tree with root `root`, under `spec`.
///
/// `proof` may be a non-existence proof, or a (compressed) batch proof holding one for `key`.
/// Beyond ics23's checks, a non-existence proof that names a key (its `key` field) must name
/// this one (raw, or prehashed for specs that compare prehashed keys): otherwise a proof for a
/// nearby absent key would be accepted for this one.
pub fn verify_non_membership(
    spec: &ProofSpec,
    root: &[u8],
    proof: &CommitmentProof,
    key: &[u8],
) -> Result<(), ProofError> {
    validate_spec(spec)?;
    check_root_and_key(root, key)?;
    let proof = expand(proof)?;
    check_proof(&proof, Some(spec))?;
    let non = match &proof.proof {
        Some(Variant::Nonexist(non)) => non,
        Some(Variant::Batch(batch)) => select_non_existence(spec, batch, key)?,
        _ => {
            return Err(ProofError::WrongProofType {
                expected: ProofKind::NonExistence,
                found: ProofKind::of(&proof),
            })
        }
    };
    verify_non_existence(spec, root, non, key)
}

/// Whether a non-existence proof's own `key` field allows it to prove `key`.
fn names_key(non: &NonExistenceProof, key: &[u8], compared: &[u8]) -> bool {
    non.key.is_empty() || non.key == key || non.key == compared
}

/// The batch entry proving `key` absent: the first non-existence proof naming `key` (or no
/// key) whose neighbours bracket it (as ics23's own selection, which ignores the name).
fn select_non_existence<'p>(
    spec: &ProofSpec,
    batch: &'p BatchProof,
    key: &[u8],
) -> Result<&'p NonExistenceProof, ProofError> {
    let compared = key_for_comparison(spec, key)?;
    for entry in &batch.entries {
        let Some(BatchEntryProof::Nonexist(non)) = &entry.proof else {
            continue;
        };
        if !names_key(non, key, &compared) {
            continue;
        }
        let mut brackets = true;
        if let Some(left) = &non.left {
            brackets &= *key_for_comparison(spec, &left.key)? < *compared;
        }
        if let Some(right) = &non.right {
            brackets &= *compared < *key_for_comparison(spec, &right.key)?;
        }
        if brackets {
            return Ok(non);
        }
    }
    Err(ProofError::KeyNotInProof)
}

fn verify_non_existence(
    spec: &ProofSpec,
    root: &[u8],
    non: &NonExistenceProof,
    key: &[u8],
) -> Result<(), ProofError> {
    let compared = key_for_comparison(spec, key)?;
    if !names_key(non, key, &compared) {
        return Err(ProofError::KeyMismatch {
            proven: non.key.clone(),
        });
    }
    match (&non.left, &non.right) {
        (None, None) => {
            return Err(ProofError::MalformedNonExistence {
                reason: "it has neither a left nor a right neighbour",
            })
        }
        (Some(left), Some(right)) => check_neighbour_paths(left, right)?,
        _ => {}
    }
    let single = CommitmentProof {
        proof: Some(Variant::Nonexist(non.clone())),
    };
    if ics23::verify_non_membership::<Sha2Host>(&single, spec, &root.to_vec(), key) {
        return Ok(());
    }
    // Why not? Most useful explanation first.
    for ex in non.left.iter().chain(non.right.iter()) {
        let computed = calculate_existence_root(ex)?;
        if computed != root {
            return Err(ProofError::RootMismatch {
                expected: root.to_vec(),
                computed,
            });
        }
    }
    if let Some(left) = &non.left {
        if *key_for_comparison(spec, &left.key)? >= *compared {
            return Err(ProofError::KeyNotBetweenNeighbours);
        }
    }
    if let Some(right) = &non.right {
        if *compared >= *key_for_comparison(spec, &right.key)? {
            return Err(ProofError::KeyNotBetweenNeighbours);
        }
    }
    // A neighbour that does not follow the spec, or neighbours that are not adjacent.
    let single_spec_ok = non.left.iter().chain(non.right.iter()).all(|ex| {
        let one = CommitmentProof {
            proof: Some(Variant::Exist(ex.clone())),
        };
        ics23::verify_membership::<Sha2Host>(&one, spec, &root.to_vec(), &ex.key, &ex.value)
    });
    if single_spec_ok {
        Err(ProofError::NeighboursNotAdjacent)
    } else {
        Err(ProofError::SpecMismatch)
    }
}

// ---------------------------------------------------------------------------------------------
// Chained (multi-store) verification, as ibc-go
// ---------------------------------------------------------------------------------------------

fn check_chain_args(
    specs: &[ProofSpec],
    root: &[u8],
    proofs: &[CommitmentProof],
    keys: usize,
) -> Result<(), ProofError> {
    if proofs.is_empty() {
        return Err(ProofError::EmptyProof);
    }
    if root.is_empty() {
        return Err(ProofError::EmptyRoot);
    }
    if specs.len() != proofs.len() || keys != proofs.len() {
        return Err(ProofError::LengthMismatch {
            specs: specs.len(),
            proofs: proofs.len(),
            keys,
        });
    }
    for (i, spec) in specs.iter().enumerate() {
        validate_spec(spec).map_err(ProofError::at(i))?;
    }
    Ok(())
}

/// The key proof `index` (lowest tree first) proves: key paths run root to leaf.
fn key_at<K: AsRef<[u8]>>(
    key_path: &[K],
    index: usize,
    proofs: usize,
) -> Result<&[u8], ProofError> {
    key_path
        .len()
        .checked_sub(1)
        .and_then(|last| last.checked_sub(index))
        .and_then(|i| key_path.get(i))
        .map(AsRef::as_ref)
        .ok_or(ProofError::LengthMismatch {
            specs: proofs,
            proofs,
            keys: key_path.len(),
        })
}

/// ibc-go's `verifyChainedMembershipProof`: from proof `start` on, each proof must be an
/// existence proof of the current value under its key; its root becomes the next value; the
/// last root must be `root`.
fn verify_chain_from<K: AsRef<[u8]>>(
    specs: &[ProofSpec],
    root: &[u8],
    proofs: &[CommitmentProof],
    key_path: &[K],
    mut value: Vec<u8>,
    start: usize,
) -> Result<(), ProofError> {
    for (i, (proof, spec)) in proofs.iter().zip(specs).enumerate().skip(start) {
        let at = ProofError::at(i);
        let Some(Variant::Exist(ex)) = &proof.proof else {
            return Err(at(ProofError::WrongProofType {
                expected: ProofKind::Existence,
                found: ProofKind::of(proof),
            }));
        };
        check_existence(ex, Some(spec)).map_err(&at)?;
        let subroot = calculate_existence_root(ex).map_err(&at)?;
        let key = key_at(key_path, i, proofs.len())?;
        verify_membership(spec, &subroot, proof, key, &value).map_err(&at)?;
        value = subroot;
    }
    if value != root {
        return Err(ProofError::RootMismatch {
            expected: root.to_vec(),
            computed: value,
        });
    }
    Ok(())
}

/// Verifies a chained proof that `key_path` holds `value` under `root`, as ibc-go's
/// `MerkleProof.VerifyMembership`.
///
/// * `proofs` and `specs` run from the lowest tree up (Cosmos SDK: the `ics23:iavl` store
///   proof with [`iavl_spec`], then the `ics23:simple` multistore proof with
///   [`tendermint_spec`]; see [`cosmos_sdk_specs`]);
/// * `key_path` runs from the root down (Cosmos SDK: the store name, e.g. `b"ibc"`, then the
///   key in that store), and holds raw bytes (no URL escaping);
/// * each proof must be an existence proof (no batches); proof `i` proves the key
///   `key_path[len - 1 - i]` holds the root computed by proof `i - 1` (`value` for proof 0),
///   and the last proof's root must be `root` (the app hash).
///
/// Errors about one proof are wrapped in [`ProofError::Chained`] with its index.
pub fn verify_chained_membership<K: AsRef<[u8]>>(
    specs: &[ProofSpec],
    root: &[u8],
    proofs: &[CommitmentProof],
    key_path: &[K],
    value: &[u8],
) -> Result<(), ProofError> {
    check_chain_args(specs, root, proofs, key_path.len())?;
    if value.is_empty() {
        return Err(ProofError::EmptyValue);
    }
    verify_chain_from(specs, root, proofs, key_path, value.to_vec(), 0)
}

/// Verifies a chained proof that the last key of `key_path` is absent from its store, whose
/// root is proven up to `root`, as ibc-go's `MerkleProof.VerifyNonMembership`.
///
/// The first proof must be a non-existence proof (not a batch) of the last key of `key_path`
/// against the root it computes itself (that of its left, else right, neighbour); the other
/// proofs must then prove that root under the remaining keys up to `root`, as in
/// [`verify_chained_membership`].
pub fn verify_chained_non_membership<K: AsRef<[u8]>>(
    specs: &[ProofSpec],
    root: &[u8],
    proofs: &[CommitmentProof],
    key_path: &[K],
) -> Result<(), ProofError> {
    check_chain_args(specs, root, proofs, key_path.len())?;
    let at0 = ProofError::at(0);
    let (Some(first), Some(spec)) = (proofs.first(), specs.first()) else {
        return Err(ProofError::EmptyProof);
    };
    if !matches!(first.proof, Some(Variant::Nonexist(_))) {
        return Err(at0(ProofError::WrongProofType {
            expected: ProofKind::NonExistence,
            found: ProofKind::of(first),
        }));
    }
    check_proof(first, Some(spec)).map_err(&at0)?;
    let subroot = calculate_root(first).map_err(&at0)?;
    let key = key_at(key_path, 0, proofs.len())?;
    verify_non_membership(spec, &subroot, first, key).map_err(&at0)?;
    verify_chain_from(specs, root, proofs, key_path, subroot, 1)
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// Decodes a protobuf `cosmos.ics23.v1.CommitmentProof`.
pub fn decode_commitment_proof(bytes: &[u8]) -> Result<CommitmentProof, ProofError> {
    CommitmentProof::decode(bytes).map_err(|e| ProofError::Decode {
        what: "cosmos.ics23.v1.CommitmentProof",
        reason: e.to_string(),
    })
}

/// Encodes a `CommitmentProof` as protobuf.
pub fn encode_commitment_proof(proof: &CommitmentProof) -> Vec<u8> {
    proof.encode_to_vec()
}

/// One operation of a CometBFT `ProofOps` (`abci_query` with `prove = true`).
///
/// For Cosmos SDK stores, `kind` is `"ics23:iavl"`, `"ics23:simple"` or `"ics23:smt"`,
/// `key` the key proven (the store key, then the store name), and `data` a protobuf
/// [`CommitmentProof`]. `kind` and `key` are not authenticated: the proof itself names the key
/// it proves, and the spec to check it with comes from the verifier's configuration.
///
/// With the `serde` feature, deserializes from CometBFT's JSON (`{"type", "key", "data"}`,
/// bytes in standard base64), e.g. the elements of an `abci_query` response's
/// `response.proofOps.ops`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProofOp {
    /// The op's type (`type` in CometBFT's JSON).
    pub kind: String,
    /// The key this op proves.
    pub key: Vec<u8>,
    /// The proof (a protobuf `CommitmentProof` for `ics23:*` ops).
    pub data: Vec<u8>,
}

impl ProofOp {
    /// An op from its parts.
    pub fn new(kind: impl Into<String>, key: impl Into<Vec<u8>>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            kind: kind.into(),
            key: key.into(),
            data: data.into(),
        }
    }

    /// Whether the op's type is an ICS-23 commitment proof (`ics23:*`).
    pub fn is_ics23(&self) -> bool {
        self.kind.starts_with(ICS23_OP_PREFIX)
    }

    /// Decodes the op's [`CommitmentProof`]; fails on ops of another type.
    pub fn commitment_proof(&self) -> Result<CommitmentProof, ProofError> {
        if !self.is_ics23() {
            return Err(ProofError::UnsupportedProofOp {
                kind: self.kind.clone(),
            });
        }
        decode_commitment_proof(&self.data)
    }
}

/// With the `serde` feature: a `ProofOp` from CometBFT's JSON, `{"type": "ics23:iavl",
/// "key": "<base64>", "data": "<base64>"}` (`key` may be absent or null; unknown fields are
/// ignored).
#[cfg(feature = "serde")]
mod proof_op_json {
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;
    use core::fmt;

    use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

    use super::ProofOp;

    enum Field {
        Type,
        Key,
        Data,
        Other,
    }

    impl<'de> Deserialize<'de> for Field {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Field;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a ProofOp field name")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                    Ok(match v {
                        "type" => Field::Type,
                        "key" => Field::Key,
                        "data" => Field::Data,
                        _ => Field::Other,
                    })
                }
            }
            d.deserialize_identifier(V)
        }
    }

    /// An owned string (without needing serde's `alloc` feature).
    struct Text(String);

    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Text;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a string")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                    Ok(Text(String::from(v)))
                }
            }
            d.deserialize_str(V)
        }
    }

    /// Standard base64 bytes; null is empty.
    struct Base64(Vec<u8>);

    impl<'de> Deserialize<'de> for Base64 {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Base64;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("base64 bytes or null")
                }
                fn visit_none<E: de::Error>(self) -> Result<Base64, E> {
                    Ok(Base64(Vec::new()))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Base64, E> {
                    Ok(Base64(Vec::new()))
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Base64, D::Error> {
                    d.deserialize_str(self)
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Base64, E> {
                    let cap = (v.len() / 4).saturating_mul(3);
                    let mut out = vec![0u8; cap];
                    let n = crate::types::decode_base64_into(v, &mut out, "ProofOp bytes")
                        .map_err(E::custom)?;
                    out.truncate(n);
                    Ok(Base64(out))
                }
            }
            d.deserialize_option(V)
        }
    }

    impl<'de> Deserialize<'de> for ProofOp {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = ProofOp;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a CometBFT ProofOp {type, key, data}")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProofOp, A::Error> {
                    let (mut kind, mut key, mut data) = (None, None, None);
                    while let Some(field) = map.next_key::<Field>()? {
                        match field {
                            Field::Type if kind.is_none() => {
                                kind = Some(map.next_value::<Text>()?.0)
                            }
                            Field::Key if key.is_none() => {
                                key = Some(map.next_value::<Base64>()?.0)
                            }
                            Field::Data if data.is_none() => {
                                data = Some(map.next_value::<Base64>()?.0)
                            }
                            Field::Type => return Err(de::Error::duplicate_field("type")),
                            Field::Key => return Err(de::Error::duplicate_field("key")),
                            Field::Data => return Err(de::Error::duplicate_field("data")),
                            Field::Other => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(ProofOp {
                        kind: kind.ok_or_else(|| de::Error::missing_field("type"))?,
                        key: key.unwrap_or_default(),
                        data: data.ok_or_else(|| de::Error::missing_field("data"))?,
                    })
                }
            }
            d.deserialize_struct("ProofOp", &["type", "key", "data"], V)
        }
    }
}

/// The protobuf `ibc.core.commitment.v1.MerkleProof`.
#[derive(Clone, PartialEq, prost::Message)]
struct RawMerkleProof {
    #[prost(message, repeated, tag = "1")]
    proofs: Vec<CommitmentProof>,
}

/// A chain of ICS-23 proofs, lowest tree first: ibc-go's `MerkleProof`, the `proof_*` bytes
/// of IBC messages, or the `ProofOps` of an `abci_query`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MerkleProof {
    /// The proofs, lowest tree first.
    pub proofs: Vec<CommitmentProof>,
}

impl MerkleProof {
    /// Decodes a protobuf `ibc.core.commitment.v1.MerkleProof` (as in `MsgRecvPacket`'s
    /// `proof_commitment` and the other proofs of IBC messages).
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofError> {
        RawMerkleProof::decode(bytes)
            .map(|raw| Self { proofs: raw.proofs })
            .map_err(|e| ProofError::Decode {
                what: "ibc.core.commitment.v1.MerkleProof",
                reason: e.to_string(),
            })
    }

    /// Encodes as a protobuf `ibc.core.commitment.v1.MerkleProof`.
    pub fn encode(&self) -> Vec<u8> {
        RawMerkleProof {
            proofs: self.proofs.clone(),
        }
        .encode_to_vec()
    }

    /// Decodes the ops of an `abci_query` response, in the order given (which is already
    /// lowest tree first), as ibc-go's `ConvertProofs`. Every op must be an `ics23:*` op.
    pub fn from_proof_ops(ops: &[ProofOp]) -> Result<Self, ProofError> {
        if ops.is_empty() {
            return Err(ProofError::EmptyProof);
        }
        let proofs = ops
            .iter()
            .enumerate()
            .map(|(i, op)| op.commitment_proof().map_err(ProofError::at(i)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { proofs })
    }

    /// [`verify_chained_membership`] of this proof.
    pub fn verify_membership<K: AsRef<[u8]>>(
        &self,
        specs: &[ProofSpec],
        root: &[u8],
        key_path: &[K],
        value: &[u8],
    ) -> Result<(), ProofError> {
        verify_chained_membership(specs, root, &self.proofs, key_path, value)
    }

    /// [`verify_chained_non_membership`] of this proof.
    pub fn verify_non_membership<K: AsRef<[u8]>>(
        &self,
        specs: &[ProofSpec],
        root: &[u8],
        key_path: &[K],
    ) -> Result<(), ProofError> {
        verify_chained_non_membership(specs, root, &self.proofs, key_path)
    }
}
