//! The light-client driver: one per chain, from a block the operator trusts (height and
//! hash) to any later height, every block verified with `ferry-verifier` before it is used,
//! the trusted state kept in an embedded database ([`LightStore`], `redb`).
//!
//! * [`LightClientBuilder::init`] fetches the block at the trusted height, checks that its
//!   header hashes to the trusted hash, that it is well formed and signed by more than 2/3 of
//!   its validators, that it is within the trusting period, and that no witness has another
//!   block there; then stores it. [`LightClientBuilder::open`] resumes from the store and
//!   never trusts anything new.
//! * [`LightClient::verify_to`] verifies a later height from the latest trusted block:
//!   adjacent or skipping verification, and on `NotEnoughTrust` bisection (CometBFT's
//!   `verifySkipping`): a midpoint is verified first, and so on down. A fetched block is
//!   used as an anchor only once it has verified.
//! * With witnesses, the verified block is compared with each witness's block at that height.
//!   A different hash is examined: if the witness's block also verifies from the trusted
//!   state, both cannot be honest chains of one network and [`LightError::Diverged`] reports
//!   the two blocks and the common one (build evidence from them with [`crate::evidence`]);
//!   nothing is saved. A witness whose block does not verify is faulty and reported in
//!   [`SyncReport::witnesses`].
//! * The verified path is written to the store in one transaction (atomic: a crash leaves
//!   the previous state); the store verifies the path again from the block it holds, so it
//!   never goes backwards and never takes a block that does not verify.
//! * A trusted block older than the trusting period cannot vouch for anything:
//!   [`LightError::TrustExpired`] tells the operator to re-initialise from a hash they trust
//!   ([`LightClientBuilder::reinit`]).
//!
//! Store writes are synchronous (one `fsync` per verified height reached; a few
//! milliseconds) and happen inside the async methods.

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
// Verification errors travel by value, as the verifier returns them (a
// `VerificationError` carries two chain ids and is large on purpose).
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferry_verifier::pb;
use ferry_verifier::verify::{
    commit_is_for_header, header_has_validators_hash, header_not_from_future,
    is_within_trusting_period, validator_sets_match,
};
use ferry_verifier::{
    verify, verify_commit, ChainId, Hash, Height, LightBlock, Options, Time, TrustedState, Verdict,
    VerificationError, VotingPowerTally, Zebra, MAX_VALIDATORS,
};
use redb::{ReadableTable, TableDefinition};

use crate::chain::{Chain, ChainError};

/// What the operator trusts: a height and the hash of its header (from a source they trust:
/// a block explorer, a validator, their own node).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustRoot {
    /// The height.
    pub height: Height,
    /// The header hash at that height.
    pub hash: Hash,
}

/// Settings of a [`LightClient`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LightOptions {
    /// Verification parameters: trust threshold, trusting period, clock drift.
    pub verify: Options,
    /// Most verifications one [`LightClient::verify_to`] may make (default 256; bisection
    /// needs about log2 of the distance per validator-set turnover).
    pub max_steps: usize,
    /// Verified blocks kept per chain, in memory and in the store (default 100; at least 1:
    /// the trusted one).
    pub keep_blocks: usize,
}

impl Default for LightOptions {
    fn default() -> Self {
        LightOptions {
            verify: Options::default(),
            max_steps: 256,
            keep_blocks: 100,
        }
    }
}

/// What a [`LightClient`] is doing, for a progress display (`ferry light sync`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// Verification from `from` to `to` starts.
    Start {
        /// The trusted height.
        from: Height,
        /// The target.
        to: Height,
    },
    /// A block verified (`height`); `target` is where this run goes.
    Verified {
        /// The verified height.
        height: Height,
        /// The target.
        target: Height,
    },
    /// Too little of the trusted set signed `height`; `pivot` is verified first.
    Bisecting {
        /// The height that lacked trust.
        height: Height,
        /// The midpoint fetched.
        pivot: Height,
        /// The tally that fell short.
        tally: VotingPowerTally,
    },
    /// A witness was consulted.
    Witness(WitnessCheck),
    /// The new trusted state is stored.
    Saved {
        /// Its height.
        height: Height,
        /// Its header hash.
        hash: Hash,
    },
}

/// What a witness said about a verified height.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WitnessCheck {
    /// Same header hash.
    Agrees {
        /// The witness.
        source: String,
        /// The height compared.
        height: Height,
    },
    /// No answer (down, behind, pruned): not compared.
    Unavailable {
        /// The witness.
        source: String,
        /// The height asked for.
        height: Height,
        /// Why.
        reason: String,
    },
    /// Another header, which does not verify from the trusted state: the witness is faulty
    /// (or lying), not evidence of an attack.
    Faulty {
        /// The witness.
        source: String,
        /// The height compared.
        height: Height,
        /// The hash it gave.
        hash: Hash,
        /// Why its block does not verify.
        reason: String,
    },
}

/// The outcome of a [`LightClient::verify_to`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    /// The trusted height before.
    pub from: Height,
    /// The verified (now trusted) height.
    pub height: Height,
    /// Its header hash.
    pub hash: Hash,
    /// The heights verified on the way, the target last (empty: it was already verified).
    pub path: Vec<Height>,
    /// Midpoints fetched because a block lacked trust.
    pub bisections: usize,
    /// What each witness said.
    pub witnesses: Vec<WitnessCheck>,
}

/// Two verified blocks at one height: the primary's and a witness's, both verifying from the
/// trusted block `common`. One of the two is being attacked.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence<const N: usize = MAX_VALIDATORS> {
    /// The height.
    pub height: Height,
    /// The primary.
    pub primary_source: String,
    /// The witness.
    pub witness_source: String,
    /// The primary's block (verified).
    pub primary: Box<LightBlock<N>>,
    /// The witness's block (verified from `common` with the witness's blocks).
    pub witness: Box<LightBlock<N>>,
    /// The trusted block both verify from.
    pub common: Box<LightBlock<N>>,
}

/// Why the light client could not do what was asked.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LightError<const N: usize = MAX_VALIDATORS> {
    /// No trusted state is stored for the chain.
    NotInitialized {
        /// The chain.
        chain_id: ChainId,
        /// The store.
        store: PathBuf,
    },
    /// A trusted state is stored already, from another root: re-initialising would throw it
    /// away ([`LightClientBuilder::reinit`] does, on the operator's word).
    AlreadyInitialized {
        /// The chain.
        chain_id: ChainId,
        /// The stored trusted height.
        height: Height,
        /// Its hash.
        hash: Hash,
    },
    /// The primary's block at the trusted height does not hash to the trusted hash.
    TrustRootMismatch {
        /// The primary.
        source: String,
        /// The height.
        height: Height,
        /// The hash trusted.
        expected: Hash,
        /// The hash of the primary's header.
        actual: Hash,
    },
    /// A witness has another block at the trusted height.
    WitnessDisagreesAtRoot {
        /// The witness.
        source: String,
        /// The height.
        height: Height,
        /// The trusted hash.
        expected: Hash,
        /// The witness's hash.
        actual: Hash,
    },
    /// The block at the trusted height is malformed or not signed by its validators.
    InvalidRoot {
        /// The height.
        height: Height,
        /// Why.
        error: VerificationError,
    },
    /// The trusted block is older than the trusting period: it cannot vouch for anything.
    TrustExpired {
        /// The chain.
        chain_id: ChainId,
        /// The trusted height.
        height: Height,
        /// Its hash.
        hash: Hash,
        /// Its time.
        time: Time,
        /// When it expired.
        expired_at: Time,
        /// The clock.
        now: Time,
    },
    /// The target is below the trusted height and not among the verified blocks kept
    /// (backwards verification is not supported).
    BelowTrusted {
        /// The target.
        target: Height,
        /// The trusted height.
        trusted: Height,
    },
    /// A chain (the primary or a witness) could not answer.
    Chain {
        /// Which.
        source: String,
        /// The height asked for, if any.
        height: Option<Height>,
        /// Why.
        error: ChainError,
    },
    /// A chain answered with a block of another height.
    WrongHeight {
        /// Which.
        source: String,
        /// The height asked for.
        requested: Height,
        /// The height received.
        returned: Height,
    },
    /// A block of the primary failed verification.
    Invalid {
        /// Which chain gave it.
        source: String,
        /// Its height.
        height: Height,
        /// Why.
        error: VerificationError,
    },
    /// More verification steps than [`LightOptions::max_steps`].
    TooManySteps {
        /// The bound.
        max_steps: usize,
        /// The target.
        target: Height,
    },
    /// A witness has another block that verifies too: see [`Divergence`].
    Diverged(Box<Divergence<N>>),
    /// The store failed or refused.
    Store(StoreError),
}

impl<const N: usize> fmt::Display for LightError<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LightError::NotInitialized { chain_id, store } => write!(
                f,
                "no trusted state for chain {chain_id} in {}: initialise the light client \
                 from a block hash you trust (`ferry light init`)",
                store.display()
            ),
            LightError::AlreadyInitialized {
                chain_id,
                height,
                hash,
            } => write!(
                f,
                "chain {chain_id} already has a trusted state (height {height}, {hash}); \
                 re-initialise explicitly to replace it"
            ),
            LightError::TrustRootMismatch {
                source,
                height,
                expected,
                actual,
            } => write!(
                f,
                "{source} has block {actual} at height {height}, not the trusted {expected}: \
                 it is on another chain, or the trusted hash is wrong"
            ),
            LightError::WitnessDisagreesAtRoot {
                source,
                height,
                expected,
                actual,
            } => write!(
                f,
                "witness {source} has block {actual} at the trusted height {height}, not \
                 {expected}: check the witness and the trusted hash"
            ),
            LightError::InvalidRoot { height, error } => {
                write!(
                    f,
                    "the trusted block at height {height} is invalid: {error}"
                )
            }
            LightError::TrustExpired {
                chain_id,
                height,
                hash,
                time,
                expired_at,
                now,
            } => write!(
                f,
                "the trusted block of {chain_id} at height {height} ({hash}, made {time}) \
                 expired at {expired_at} (now {now}): it can no longer vouch for new blocks. \
                 Re-initialise the light client from a recent block hash you trust \
                 (`ferry light init`)"
            ),
            LightError::BelowTrusted { target, trusted } => write!(
                f,
                "height {target} is below the trusted height {trusted} and not among the \
                 blocks kept; verifying backwards is not supported"
            ),
            LightError::Chain {
                source,
                height,
                error,
            } => match height {
                Some(h) => write!(f, "{source}: fetching height {h}: {error}"),
                None => write!(f, "{source}: {error}"),
            },
            LightError::WrongHeight {
                source,
                requested,
                returned,
            } => write!(
                f,
                "{source} returned the block at height {returned} for height {requested}"
            ),
            LightError::Invalid {
                source,
                height,
                error,
            } => write!(
                f,
                "the block at height {height} from {source} is invalid: {error}"
            ),
            LightError::TooManySteps { max_steps, target } => write!(
                f,
                "gave up verifying height {target} after {max_steps} steps"
            ),
            LightError::Diverged(d) => write!(
                f,
                "witness {} has block {} at height {}, the primary {} has {}, and both \
                 verify from the trusted block at height {}: one of them is under a \
                 light-client attack; nothing was saved",
                d.witness_source,
                d.witness.header().hash(),
                d.height,
                d.primary_source,
                d.primary.header().hash(),
                d.common.height()
            ),
            LightError::Store(e) => e.fmt(f),
        }
    }
}

impl<const N: usize> std::error::Error for LightError<N> {}

impl<const N: usize> From<StoreError> for LightError<N> {
    fn from(e: StoreError) -> Self {
        LightError::Store(e)
    }
}

// ------------------------------------------------------------------------------------------
// The store

/// Chain id -> trusted record ([`Record`]).
const TRUSTED: TableDefinition<&str, &[u8]> = TableDefinition::new("trusted");
/// (chain id, height) -> verified light block ([`encode_block`]).
const BLOCKS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("blocks");

/// The file in the data directory.
pub const STORE_FILE: &str = "light.redb";

/// Why the store failed or refused a write.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened or created (in use by another process, no
    /// permission, not a redb file).
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A read or write failed.
    Database {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A stored record or block does not decode, or does not match its record.
    Corrupt {
        /// The chain.
        chain_id: ChainId,
        /// What is wrong.
        reason: String,
    },
    /// No trusted state for the chain (a write needs one).
    Missing {
        /// The chain.
        chain_id: ChainId,
    },
    /// A trusted state exists and replacing it was not asked for.
    Exists {
        /// The chain.
        chain_id: ChainId,
        /// Its trusted height.
        height: Height,
    },
    /// A write that would not move the trusted height forward.
    Backwards {
        /// The chain.
        chain_id: ChainId,
        /// The height stored (or the previous one in the path).
        stored: Height,
        /// The height offered.
        offered: Height,
    },
    /// A block that does not verify from the stored trusted state (or the previous block of
    /// the path).
    NotVerified {
        /// The chain.
        chain_id: ChainId,
        /// The block's height.
        height: Height,
        /// The verdict.
        reason: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Open { path, reason } => {
                write!(
                    f,
                    "cannot open the light store {}: {reason}",
                    path.display()
                )
            }
            StoreError::Database { path, reason } => {
                write!(f, "light store {}: {reason}", path.display())
            }
            StoreError::Corrupt { chain_id, reason } => {
                write!(f, "the stored state of {chain_id} is corrupt: {reason}")
            }
            StoreError::Missing { chain_id } => {
                write!(f, "no trusted state is stored for {chain_id}")
            }
            StoreError::Exists { chain_id, height } => write!(
                f,
                "a trusted state (height {height}) is stored for {chain_id} already"
            ),
            StoreError::Backwards {
                chain_id,
                stored,
                offered,
            } => write!(
                f,
                "refusing to store height {offered} of {chain_id}: not above {stored}"
            ),
            StoreError::NotVerified {
                chain_id,
                height,
                reason,
            } => write!(
                f,
                "refusing to store height {height} of {chain_id}: it does not verify ({reason})"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// A chain's stored trusted state: the root the operator gave and the latest verified
/// block.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredState<const N: usize = MAX_VALIDATORS> {
    /// What the operator trusted at initialisation.
    pub root: TrustRoot,
    /// The latest verified block (the root's block right after initialisation).
    pub trusted: Box<LightBlock<N>>,
}

/// The trusted record: version, trusted height and hash, root height and hash.
struct Record {
    trusted: TrustRoot,
    root: TrustRoot,
}

const RECORD_VERSION: u8 = 1;
const BLOCK_VERSION: u8 = 1;

impl Record {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(81);
        v.push(RECORD_VERSION);
        for r in [&self.trusted, &self.root] {
            v.extend_from_slice(&r.height.value().to_be_bytes());
            let mut h = [0u8; 32];
            if let Hash::Sha256(bytes) = r.hash {
                h = bytes;
            }
            v.extend_from_slice(&h);
        }
        v
    }

    fn decode(b: &[u8]) -> Result<Record, String> {
        let (version, rest) = b.split_first().ok_or("empty record")?;
        if *version != RECORD_VERSION {
            return Err(format!("record version {version} is unknown"));
        }
        if rest.len() != 80 {
            return Err(format!("record of {} bytes, expected 81", b.len()));
        }
        let (a, b) = rest.split_at(40);
        let root = |part: &[u8]| -> Result<TrustRoot, String> {
            let (h, hash) = part.split_at(8);
            let h = u64::from_be_bytes(h.try_into().map_err(|_| "height")?);
            Ok(TrustRoot {
                height: Height::new(h).map_err(|e| e.to_string())?,
                hash: Hash::from_bytes(hash, "hash").map_err(|e| e.to_string())?,
            })
        };
        Ok(Record {
            trusted: root(a)?,
            root: root(b)?,
        })
    }
}

/// A light block as stored: version, the length of the protobuf `LightBlock`, it, then the
/// protobuf next `ValidatorSet`.
fn encode_block<const N: usize>(b: &LightBlock<N>) -> Vec<u8> {
    use pb::Message as _;
    let lb = pb::LightBlock::from(b).encode_to_vec();
    let next = pb::ValidatorSet::from(&b.next_validators).encode_to_vec();
    let mut v = Vec::with_capacity(lb.len().saturating_add(next.len()).saturating_add(5));
    v.push(BLOCK_VERSION);
    v.extend_from_slice(&u32::try_from(lb.len()).unwrap_or(u32::MAX).to_be_bytes());
    v.extend_from_slice(&lb);
    v.extend_from_slice(&next);
    v
}

fn decode_block<const N: usize>(b: &[u8]) -> Result<Box<LightBlock<N>>, String> {
    let (version, rest) = b.split_first().ok_or("empty block")?;
    if *version != BLOCK_VERSION {
        return Err(format!("block version {version} is unknown"));
    }
    if rest.len() < 4 {
        return Err("block record cut short".into());
    }
    let (len, rest) = rest.split_at(4);
    let len = u32::from_be_bytes(len.try_into().map_err(|_| "length")?) as usize;
    if rest.len() < len {
        return Err("block record cut short".into());
    }
    let (lb, next) = rest.split_at(len);
    let lb: pb::LightBlock = pb::decode(lb).map_err(|e| e.to_string())?;
    let next: pb::ValidatorSet = pb::decode(next).map_err(|e| e.to_string())?;
    LightBlock::<N>::try_from((&lb, &next))
        .map(Box::new)
        .map_err(|e| e.to_string())
}

/// The light clients' database: one `redb` file ([`STORE_FILE`]) in the data directory,
/// for every chain. Cheap to clone (clones share the handle). Only one process can have it
/// open.
#[derive(Clone)]
pub struct LightStore {
    db: Arc<redb::Database>,
    path: PathBuf,
}

impl fmt::Debug for LightStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LightStore")
            .field("path", &self.path)
            .finish()
    }
}

/// The store files open in this process, by canonical path.
static OPEN_STORES: std::sync::Mutex<Vec<(std::path::PathBuf, std::sync::Weak<redb::Database>)>> =
    std::sync::Mutex::new(Vec::new());

impl LightStore {
    /// Opens (or creates) the store in `data_dir` (created if missing).
    pub fn open(data_dir: &Path) -> Result<LightStore, StoreError> {
        let path = data_dir.join(STORE_FILE);
        let open_err = |reason: String| StoreError::Open {
            path: path.clone(),
            reason,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| open_err(e.to_string()))?;
        // redb refuses a second open of a file in one process: the handle is shared by
        // every store of that file open at the time (the relay proves from two chains'
        // light clients at once).
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let mut open = OPEN_STORES
            .lock()
            .map_err(|_| open_err("a thread opening a store panicked".into()))?;
        open.retain(|(_, db)| db.strong_count() > 0);
        if let Some(db) = open
            .iter()
            .find(|(p, _)| *p == key)
            .and_then(|(_, db)| db.upgrade())
        {
            return Ok(LightStore { db, path });
        }
        let db = Arc::new(redb::Database::create(&path).map_err(|e| open_err(e.to_string()))?);
        let key = std::fs::canonicalize(&path).unwrap_or(key);
        open.push((key, Arc::downgrade(&db)));
        Ok(LightStore { db, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db_err(&self) -> impl Fn(redb::Error) -> StoreError + '_ {
        |e| StoreError::Database {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// The stored trusted state of `chain_id`, checked: the block hashes to the record, is
    /// of that chain and is signed by more than 2/3 of its validators.
    pub fn load<const N: usize>(
        &self,
        chain_id: &ChainId,
    ) -> Result<Option<StoredState<N>>, StoreError> {
        let err = self.db_err();
        let txn = self.db.begin_read().map_err(|e| err(e.into()))?;
        let trusted = match txn.open_table(TRUSTED) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e.into())),
        };
        let Some(record) = trusted.get(chain_id.as_str()).map_err(|e| err(e.into()))? else {
            return Ok(None);
        };
        let corrupt = |reason: String| StoreError::Corrupt {
            chain_id: chain_id.clone(),
            reason,
        };
        let record = Record::decode(record.value()).map_err(corrupt)?;
        let blocks = txn.open_table(BLOCKS).map_err(|e| err(e.into()))?;
        let block = blocks
            .get((chain_id.as_str(), record.trusted.height.value()))
            .map_err(|e| err(e.into()))?
            .ok_or_else(|| {
                corrupt(format!(
                    "the trusted block at height {} is missing",
                    record.trusted.height
                ))
            })?;
        let block = decode_block::<N>(block.value())
            .map_err(|e| corrupt(format!("height {}: {e}", record.trusted.height)))?;
        if block.header().hash() != record.trusted.hash || block.height() != record.trusted.height {
            return Err(corrupt(format!(
                "the block stored at height {} is not the trusted {}",
                record.trusted.height, record.trusted.hash
            )));
        }
        check_block(&block, chain_id, &Options::default())
            .map_err(|e| corrupt(format!("height {}: {e}", record.trusted.height)))?;
        Ok(Some(StoredState {
            root: record.root,
            trusted: block,
        }))
    }

    /// A verified block of `chain_id` kept in the store.
    pub fn block<const N: usize>(
        &self,
        chain_id: &ChainId,
        height: Height,
    ) -> Result<Option<Box<LightBlock<N>>>, StoreError> {
        let err = self.db_err();
        let txn = self.db.begin_read().map_err(|e| err(e.into()))?;
        let blocks = match txn.open_table(BLOCKS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e.into())),
        };
        let Some(b) = blocks
            .get((chain_id.as_str(), height.value()))
            .map_err(|e| err(e.into()))?
        else {
            return Ok(None);
        };
        decode_block::<N>(b.value())
            .map(Some)
            .map_err(|reason| StoreError::Corrupt {
                chain_id: chain_id.clone(),
                reason: format!("height {height}: {reason}"),
            })
    }

    /// The heights of the verified blocks of `chain_id` kept in the store, lowest first.
    pub fn heights(&self, chain_id: &ChainId) -> Result<Vec<Height>, StoreError> {
        let err = self.db_err();
        let txn = self.db.begin_read().map_err(|e| err(e.into()))?;
        let blocks = match txn.open_table(BLOCKS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(err(e.into())),
        };
        let c = chain_id.as_str();
        let mut out = Vec::new();
        for item in blocks
            .range((c, 0u64)..=(c, u64::MAX))
            .map_err(|e| err(e.into()))?
        {
            let (k, _) = item.map_err(|e| err(e.into()))?;
            if let Ok(h) = Height::new(k.value().1) {
                out.push(h);
            }
        }
        Ok(out)
    }

    /// Stores `block` as the trusted state of its chain, with `root` (one transaction). The
    /// block must hash to the root, be well formed and be signed by more than 2/3 of its
    /// validators. An existing state is refused unless `replace` (then it is removed, blocks
    /// and all, in the same transaction).
    pub fn initialize<const N: usize>(
        &self,
        root: TrustRoot,
        block: &LightBlock<N>,
        options: &Options,
        replace: bool,
    ) -> Result<(), StoreError> {
        let chain_id = &block.header().chain_id;
        if block.height() != root.height || block.header().hash() != root.hash {
            return Err(StoreError::NotVerified {
                chain_id: chain_id.clone(),
                height: block.height(),
                reason: format!(
                    "it is not the trusted block {} at {}",
                    root.hash, root.height
                ),
            });
        }
        check_block(block, chain_id, options).map_err(|e| StoreError::NotVerified {
            chain_id: chain_id.clone(),
            height: block.height(),
            reason: e.to_string(),
        })?;
        let err = self.db_err();
        let txn = self.db.begin_write().map_err(|e| err(e.into()))?;
        {
            let mut trusted = txn.open_table(TRUSTED).map_err(|e| err(e.into()))?;
            let mut blocks = txn.open_table(BLOCKS).map_err(|e| err(e.into()))?;
            let existing = trusted
                .get(chain_id.as_str())
                .map_err(|e| err(e.into()))?
                .map(|r| Record::decode(r.value()));
            if let Some(existing) = existing {
                if !replace {
                    return Err(StoreError::Exists {
                        chain_id: chain_id.clone(),
                        height: existing.map_or(root.height, |r| r.trusted.height),
                    });
                }
                let c = chain_id.as_str();
                let old: Vec<u64> = blocks
                    .range((c, 0u64)..=(c, u64::MAX))
                    .map_err(|e| err(e.into()))?
                    .filter_map(|item| item.ok().map(|(k, _)| k.value().1))
                    .collect();
                for h in old {
                    blocks.remove((c, h)).map_err(|e| err(e.into()))?;
                }
            }
            blocks
                .insert(
                    (chain_id.as_str(), root.height.value()),
                    encode_block(block).as_slice(),
                )
                .map_err(|e| err(e.into()))?;
            let record = Record {
                trusted: root,
                root,
            };
            trusted
                .insert(chain_id.as_str(), record.encode().as_slice())
                .map_err(|e| err(e.into()))?;
        }
        txn.commit().map_err(|e| err(e.into()))
    }

    /// Moves the trusted state of the chain forward along `path` (one transaction): each
    /// block must be above and verify (`Success`) from the one before it, the first from the
    /// stored trusted block; the last becomes the trusted state. Keeps the `keep` highest
    /// verified blocks.
    pub fn advance<const N: usize>(
        &self,
        path: &[Box<LightBlock<N>>],
        now: Time,
        options: &Options,
        keep: usize,
    ) -> Result<(), StoreError> {
        let Some(first) = path.first() else {
            return Ok(());
        };
        let chain_id = first.header().chain_id.clone();
        let state = self.load::<N>(&chain_id)?.ok_or(StoreError::Missing {
            chain_id: chain_id.clone(),
        })?;
        let mut anchor: &LightBlock<N> = &state.trusted;
        for b in path {
            if b.height() <= anchor.height() {
                return Err(StoreError::Backwards {
                    chain_id,
                    stored: anchor.height(),
                    offered: b.height(),
                });
            }
            match verify(
                &Zebra,
                &TrustedState::from_light_block(anchor),
                b,
                now,
                options,
            ) {
                Verdict::Success => {}
                Verdict::NotEnoughTrust(tally) => {
                    return Err(StoreError::NotVerified {
                        chain_id,
                        height: b.height(),
                        reason: format!(
                            "not enough trust from height {}: {tally}",
                            anchor.height()
                        ),
                    })
                }
                Verdict::Invalid(e) => {
                    return Err(StoreError::NotVerified {
                        chain_id,
                        height: b.height(),
                        reason: e.to_string(),
                    })
                }
            }
            anchor = b;
        }
        let last = anchor;
        let err = self.db_err();
        let txn = self.db.begin_write().map_err(|e| err(e.into()))?;
        {
            let mut trusted = txn.open_table(TRUSTED).map_err(|e| err(e.into()))?;
            let mut blocks = txn.open_table(BLOCKS).map_err(|e| err(e.into()))?;
            // The state read above must still be the stored one.
            let current = trusted
                .get(chain_id.as_str())
                .map_err(|e| err(e.into()))?
                .map(|r| Record::decode(r.value()));
            match current {
                Some(Ok(r)) if r.trusted.hash == state.trusted.header().hash() => {}
                Some(Ok(r)) => {
                    return Err(StoreError::Backwards {
                        chain_id,
                        stored: r.trusted.height,
                        offered: first.height(),
                    })
                }
                Some(Err(reason)) => return Err(StoreError::Corrupt { chain_id, reason }),
                None => return Err(StoreError::Missing { chain_id }),
            }
            let c = chain_id.as_str();
            for b in path {
                blocks
                    .insert((c, b.height().value()), encode_block(b).as_slice())
                    .map_err(|e| err(e.into()))?;
            }
            let record = Record {
                trusted: TrustRoot {
                    height: last.height(),
                    hash: last.header().hash(),
                },
                root: state.root,
            };
            trusted
                .insert(c, record.encode().as_slice())
                .map_err(|e| err(e.into()))?;
            let heights: Vec<u64> = blocks
                .range((c, 0u64)..=(c, u64::MAX))
                .map_err(|e| err(e.into()))?
                .filter_map(|item| item.ok().map(|(k, _)| k.value().1))
                .collect();
            let excess = heights.len().saturating_sub(keep.max(1));
            for h in heights.into_iter().take(excess) {
                blocks.remove((c, h)).map_err(|e| err(e.into()))?;
            }
        }
        txn.commit().map_err(|e| err(e.into()))
    }
}

/// A block that stands on its own: of `chain_id`, well formed (commit for this header,
/// validator sets matching their hashes) and signed by more than 2/3 of its validators.
fn check_block<const N: usize>(
    b: &LightBlock<N>,
    chain_id: &ChainId,
    options: &Options,
) -> Result<(), VerificationError> {
    let h = b.header();
    if &h.chain_id != chain_id {
        return Err(VerificationError::ChainIdMismatch {
            trusted: chain_id.clone(),
            untrusted: h.chain_id.clone(),
        });
    }
    header_has_validators_hash(&h.validators_hash)?;
    commit_is_for_header(&b.signed_header, options.encoding)?;
    validator_sets_match(h, &b.validators, Some(&b.next_validators), options.encoding)?;
    verify_commit(
        &Zebra,
        chain_id,
        &b.signed_header.commit,
        &b.validators,
        options,
    )?;
    Ok(())
}

// ------------------------------------------------------------------------------------------
// The driver

/// The clock a light client reads `now` from.
pub type Clock = Arc<dyn Fn() -> Time + Send + Sync>;

/// The system clock as a [`Time`] (the Unix epoch if the clock is before it).
pub fn system_clock() -> Time {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| Time::from_unix(i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()).ok())
        .unwrap_or(Time::UNIX_EPOCH)
}

/// Sets up a [`LightClient`]: the primary, witnesses, store, options and clock; then
/// [`init`](Self::init), [`reinit`](Self::reinit) or [`open`](Self::open).
pub struct LightClientBuilder<C, const N: usize = MAX_VALIDATORS> {
    primary: C,
    witnesses: Vec<C>,
    store: LightStore,
    options: LightOptions,
    clock: Clock,
}

impl<C: Chain<N>, const N: usize> LightClientBuilder<C, N> {
    /// A builder for `primary`'s chain with `store`, default options and the system clock.
    pub fn new(primary: C, store: LightStore) -> Self {
        LightClientBuilder {
            primary,
            witnesses: Vec::new(),
            store,
            options: LightOptions::default(),
            clock: Arc::new(system_clock),
        }
    }

    /// Adds a witness: another node of the same chain, whose blocks are compared with the
    /// primary's.
    pub fn witness(mut self, witness: C) -> Self {
        self.witnesses.push(witness);
        self
    }

    /// The options.
    pub fn options(mut self, options: LightOptions) -> Self {
        self.options = options;
        self
    }

    /// The clock (tests give a fixed one).
    pub fn clock(mut self, clock: impl Fn() -> Time + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Resumes from the stored trusted state ([`LightError::NotInitialized`] without one).
    pub fn open(self) -> Result<LightClient<C, N>, LightError<N>> {
        let chain_id = self.primary.chain_id().clone();
        let state = self
            .store
            .load::<N>(&chain_id)?
            .ok_or_else(|| LightError::NotInitialized {
                chain_id,
                store: self.store.path().to_path_buf(),
            })?;
        Ok(self.build(state))
    }

    /// Initialises from `root`; refuses when another state is stored
    /// ([`LightError::AlreadyInitialized`]); with the same root already stored, resumes.
    pub async fn init(self, root: TrustRoot) -> Result<LightClient<C, N>, LightError<N>> {
        let chain_id = self.primary.chain_id().clone();
        if let Some(state) = self.store.load::<N>(&chain_id)? {
            if state.root == root {
                return Ok(self.build(state));
            }
            return Err(LightError::AlreadyInitialized {
                chain_id,
                height: state.trusted.height(),
                hash: state.trusted.header().hash(),
            });
        }
        self.initialize(root, false).await
    }

    /// Initialises from `root`, replacing any stored state (in one transaction): for the
    /// operator's explicit re-initialisation, e.g. after the trust expired.
    pub async fn reinit(self, root: TrustRoot) -> Result<LightClient<C, N>, LightError<N>> {
        self.initialize(root, true).await
    }

    async fn initialize(
        self,
        root: TrustRoot,
        replace: bool,
    ) -> Result<LightClient<C, N>, LightError<N>> {
        let now = (self.clock)();
        let chain_id = self.primary.chain_id().clone();
        let block = fetch(&self.primary, root.height).await?;
        let actual = block.header().hash();
        if actual != root.hash {
            return Err(LightError::TrustRootMismatch {
                source: self.primary.source().to_string(),
                height: root.height,
                expected: root.hash,
                actual,
            });
        }
        let options = &self.options.verify;
        let invalid = |error| LightError::InvalidRoot {
            height: root.height,
            error,
        };
        check_block(&block, &chain_id, options).map_err(invalid)?;
        header_not_from_future(block.header().time, options.clock_drift, now).map_err(invalid)?;
        check_expiry(&block, options.trusting_period, now)?;
        for w in &self.witnesses {
            // An unreachable witness is no reason to refuse; one that disagrees is.
            if let Ok(wb) = fetch(w, root.height).await {
                let hash = wb.header().hash();
                if hash != root.hash {
                    return Err(LightError::WitnessDisagreesAtRoot {
                        source: w.source().to_string(),
                        height: root.height,
                        expected: root.hash,
                        actual: hash,
                    });
                }
            }
        }
        self.store.initialize(root, &block, options, replace)?;
        Ok(self.build(StoredState {
            root,
            trusted: block,
        }))
    }

    fn build(self, state: StoredState<N>) -> LightClient<C, N> {
        let mut cache = BTreeMap::new();
        cache.insert(state.trusted.height(), state.trusted.clone());
        LightClient {
            primary: self.primary,
            witnesses: self.witnesses,
            store: self.store,
            options: self.options,
            clock: self.clock,
            root: state.root,
            trusted: state.trusted,
            cache,
        }
    }
}

/// A light client of one chain: the latest trusted (verified) block, the verified blocks
/// kept, and the chains it fetches from. See the [module docs](self).
pub struct LightClient<C, const N: usize = MAX_VALIDATORS> {
    primary: C,
    witnesses: Vec<C>,
    store: LightStore,
    options: LightOptions,
    clock: Clock,
    root: TrustRoot,
    trusted: Box<LightBlock<N>>,
    cache: BTreeMap<Height, Box<LightBlock<N>>>,
}

impl<C, const N: usize> fmt::Debug for LightClient<C, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LightClient")
            .field("chain_id", &self.trusted.header().chain_id)
            .field("root", &self.root)
            .field("trusted_height", &self.trusted.height())
            .field("trusted_hash", &self.trusted.header().hash())
            .finish()
    }
}

fn check_expiry<const N: usize>(
    trusted: &LightBlock<N>,
    period: Duration,
    now: Time,
) -> Result<(), LightError<N>> {
    let h = trusted.header();
    is_within_trusting_period(h.time, period, now).map_err(|_| LightError::TrustExpired {
        chain_id: h.chain_id.clone(),
        height: h.height,
        hash: h.hash(),
        time: h.time,
        expired_at: h.time.checked_add(period).unwrap_or(h.time),
        now,
    })
}

/// The light block at `height` from `chain`, checked to be for that height.
async fn fetch<C: Chain<N>, const N: usize>(
    chain: &C,
    height: Height,
) -> Result<Box<LightBlock<N>>, LightError<N>> {
    let b = chain
        .light_block(height)
        .await
        .map_err(|error| LightError::Chain {
            source: chain.source().to_string(),
            height: Some(height),
            error,
        })?;
    if b.height() != height {
        return Err(LightError::WrongHeight {
            source: chain.source().to_string(),
            requested: height,
            returned: b.height(),
        });
    }
    Ok(b)
}

/// The verified path from `anchor` to `target` (target last) with blocks from `source`, and
/// the number of midpoints fetched: CometBFT's `verifySkipping`. `first` is the target's
/// block when already fetched. Only verified blocks become anchors.
async fn bisect<C: Chain<N>, const N: usize>(
    source: &C,
    anchor: &LightBlock<N>,
    target: Height,
    first: Option<Box<LightBlock<N>>>,
    now: Time,
    options: &LightOptions,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<(Vec<Box<LightBlock<N>>>, usize), LightError<N>> {
    let first = match first {
        Some(b) => b,
        None => fetch(source, target).await?,
    };
    let mut verified: Vec<Box<LightBlock<N>>> = Vec::new();
    // Blocks to verify, the target at the bottom; unverified until moved to `verified`.
    let mut pending: Vec<Box<LightBlock<N>>> = vec![first];
    let mut bisections = 0usize;
    for _ in 0..options.max_steps {
        let Some(candidate) = pending.last() else {
            break;
        };
        let from: &LightBlock<N> = verified.last().map_or(anchor, |b| &**b);
        let verdict = verify(
            &Zebra,
            &TrustedState::from_light_block(from),
            candidate,
            now,
            &options.verify,
        );
        match verdict {
            Verdict::Success => {
                let height = candidate.height();
                if let Some(done) = pending.pop() {
                    verified.push(done);
                }
                progress(&Progress::Verified { height, target });
                if pending.is_empty() {
                    return Ok((verified, bisections));
                }
            }
            Verdict::NotEnoughTrust(tally) => {
                let (lo, hi) = (from.height().value(), candidate.height().value());
                let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
                let height = candidate.height();
                // An adjacent block never lacks trust; if it did, there is no midpoint.
                let pivot = match Height::new(mid) {
                    Ok(p) if mid > lo && mid < hi => p,
                    _ => {
                        return Err(LightError::Invalid {
                            source: source.source().to_string(),
                            height,
                            error: VerificationError::InsufficientTrustedPower(tally),
                        })
                    }
                };
                progress(&Progress::Bisecting {
                    height,
                    pivot,
                    tally,
                });
                pending.push(fetch(source, pivot).await?);
                bisections = bisections.saturating_add(1);
            }
            Verdict::Invalid(error) => {
                if let VerificationError::TrustedStateExpired { .. } = error {
                    check_expiry(from, options.verify.trusting_period, now)?;
                }
                return Err(LightError::Invalid {
                    source: source.source().to_string(),
                    height: candidate.height(),
                    error,
                });
            }
        }
    }
    Err(LightError::TooManySteps {
        max_steps: options.max_steps,
        target,
    })
}

impl<C: Chain<N>, const N: usize> LightClient<C, N> {
    /// The chain id.
    pub fn chain_id(&self) -> &ChainId {
        &self.trusted.header().chain_id
    }

    /// The primary.
    pub fn primary(&self) -> &C {
        &self.primary
    }

    /// The root the operator trusted at initialisation.
    pub fn root(&self) -> TrustRoot {
        self.root
    }

    /// The latest trusted (verified) block.
    pub fn trusted(&self) -> &LightBlock<N> {
        &self.trusted
    }

    /// The store.
    pub fn store(&self) -> &LightStore {
        &self.store
    }

    /// When the trusted block stops vouching for new ones (`time + trusting_period`).
    pub fn expires_at(&self) -> Option<Time> {
        self.trusted
            .header()
            .time
            .checked_add(self.options.verify.trusting_period)
    }

    /// [`LightError::TrustExpired`] if the trusted block is past its trusting period now.
    pub fn check_expiry(&self) -> Result<(), LightError<N>> {
        check_expiry(
            &self.trusted,
            self.options.verify.trusting_period,
            (self.clock)(),
        )
    }

    /// A verified block at `height`, if one is kept (in memory or in the store).
    pub fn verified(&self, height: Height) -> Result<Option<Box<LightBlock<N>>>, LightError<N>> {
        if let Some(b) = self.cache.get(&height) {
            return Ok(Some(b.clone()));
        }
        Ok(self.store.block::<N>(self.chain_id(), height)?)
    }

    /// Verifies the block at `target` (see [`LightClient::verify_to_with`]).
    pub async fn verify_to(&mut self, target: Height) -> Result<SyncReport, LightError<N>> {
        self.verify_to_with(target, &mut |_| {}).await
    }

    /// Verifies the primary's latest block.
    pub async fn sync(
        &mut self,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<SyncReport, LightError<N>> {
        let latest = self
            .primary
            .latest_height()
            .await
            .map_err(|error| LightError::Chain {
                source: self.primary.source().to_string(),
                height: None,
                error,
            })?;
        self.verify_to_with(latest.max(self.trusted.height()), progress)
            .await
    }

    /// Verifies the block at `target` from the trusted one (bisecting when trust falls
    /// short), compares it with the witnesses, stores the verified path and makes the target
    /// the trusted block. A target at or below the trusted height is answered from the
    /// blocks kept.
    pub async fn verify_to_with(
        &mut self,
        target: Height,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<SyncReport, LightError<N>> {
        let from = self.trusted.height();
        if target <= from {
            let b = self.verified(target)?.ok_or(LightError::BelowTrusted {
                target,
                trusted: from,
            })?;
            return Ok(SyncReport {
                from,
                height: target,
                hash: b.header().hash(),
                path: Vec::new(),
                bisections: 0,
                witnesses: Vec::new(),
            });
        }
        let now = (self.clock)();
        check_expiry(&self.trusted, self.options.verify.trusting_period, now)?;
        progress(&Progress::Start { from, to: target });
        let (path, bisections) = bisect(
            &self.primary,
            &self.trusted,
            target,
            None,
            now,
            &self.options,
            progress,
        )
        .await?;
        let Some(last) = path.last() else {
            return Err(LightError::TooManySteps {
                max_steps: self.options.max_steps,
                target,
            });
        };
        let witnesses = self.check_witnesses(last, now, progress).await?;
        self.store
            .advance(&path, now, &self.options.verify, self.options.keep_blocks)?;
        let hash = last.header().hash();
        progress(&Progress::Saved {
            height: target,
            hash,
        });
        let heights: Vec<Height> = path.iter().map(|b| b.height()).collect();
        for b in path {
            self.cache.insert(b.height(), b);
        }
        while self.cache.len() > self.options.keep_blocks.max(1) {
            self.cache.pop_first();
        }
        if let Some(b) = self.cache.get(&target) {
            self.trusted = b.clone();
        }
        Ok(SyncReport {
            from,
            height: target,
            hash,
            path: heights,
            bisections,
            witnesses,
        })
    }

    /// Compares `verified` with each witness's block at its height.
    async fn check_witnesses(
        &self,
        verified: &LightBlock<N>,
        now: Time,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<Vec<WitnessCheck>, LightError<N>> {
        let height = verified.height();
        let hash = verified.header().hash();
        let mut checks = Vec::new();
        for w in &self.witnesses {
            let source = w.source().to_string();
            let check = match fetch(w, height).await {
                Err(e) => WitnessCheck::Unavailable {
                    source,
                    height,
                    reason: e.to_string(),
                },
                Ok(wb) if wb.header().hash() == hash => WitnessCheck::Agrees { source, height },
                Ok(wb) => {
                    let witness_hash = wb.header().hash();
                    // Does the witness's chain verify from our trusted block?
                    let mut quiet = |_: &Progress| {};
                    match bisect(
                        w,
                        &self.trusted,
                        height,
                        Some(wb),
                        now,
                        &self.options,
                        &mut quiet,
                    )
                    .await
                    {
                        Ok((wpath, _)) => {
                            let Some(witness) = wpath.into_iter().last() else {
                                continue;
                            };
                            return Err(LightError::Diverged(Box::new(Divergence {
                                height,
                                primary_source: self.primary.source().to_string(),
                                witness_source: source,
                                primary: Box::new(verified.clone()),
                                witness,
                                common: self.trusted.clone(),
                            })));
                        }
                        Err(LightError::Chain { error, .. }) => WitnessCheck::Unavailable {
                            source,
                            height,
                            reason: error.to_string(),
                        },
                        Err(e) => WitnessCheck::Faulty {
                            source,
                            height,
                            hash: witness_hash,
                            reason: e.to_string(),
                        },
                    }
                }
            };
            progress(&Progress::Witness(check.clone()));
            checks.push(check);
        }
        Ok(checks)
    }
}

#[cfg(test)]
mod tests {
    //! The driver against in-memory chains of generated blocks (`ferry-fixtures`): a
    //! validator replaced every 2 heights, so that skipping far fails and bisection is
    //! needed.

    use std::sync::Mutex;

    use ferry_verifier::CommitSig;

    use super::*;
    use crate::chain::{Account, ProvenValue, TxEvents, TxOutcome};

    const N: usize = 32;
    type Block = LightBlock<N>;

    /// A chain in memory; records the heights asked for.
    struct Mock {
        id: ChainId,
        name: String,
        blocks: BTreeMap<u64, Box<Block>>,
        fetched: Mutex<Vec<u64>>,
    }

    impl Mock {
        fn new(name: &str, blocks: &[Box<Block>]) -> Mock {
            Mock {
                id: blocks[0].header().chain_id.clone(),
                name: name.into(),
                // By position: a mock may lie about heights.
                blocks: (1..).zip(blocks.iter().cloned()).collect(),
                fetched: Mutex::default(),
            }
        }
        fn fetched(&self) -> Vec<u64> {
            self.fetched.lock().unwrap().clone()
        }
    }

    fn unavailable<T>() -> Result<T, ChainError> {
        Err(ChainError::Unavailable {
            reason: "not in this mock".into(),
        })
    }

    impl Chain<N> for Mock {
        fn chain_id(&self) -> &ChainId {
            &self.id
        }
        fn source(&self) -> &str {
            &self.name
        }
        async fn latest_height(&self) -> Result<Height, ChainError> {
            Ok(Height::new(*self.blocks.keys().last().unwrap()).unwrap())
        }
        async fn light_block(&self, height: Height) -> Result<Box<Block>, ChainError> {
            self.fetched.lock().unwrap().push(height.value());
            match self.blocks.get(&height.value()) {
                Some(b) => Ok(b.clone()),
                None => unavailable(),
            }
        }
        async fn query_proven(
            &self,
            _: &str,
            _: &[u8],
            _: Height,
        ) -> Result<ProvenValue, ChainError> {
            unavailable()
        }
        async fn account(&self, _: &str) -> Result<Account, ChainError> {
            unavailable()
        }
        async fn submit_tx(&self, _: Vec<u8>) -> Result<TxOutcome, ChainError> {
            unavailable()
        }
        async fn find_tx(&self, _: &Hash) -> Result<Option<TxOutcome>, ChainError> {
            unavailable()
        }
        async fn block_events(&self, _: Height) -> Result<Vec<TxEvents>, ChainError> {
            unavailable()
        }
        async fn search_txs(&self, _: &str) -> Result<Vec<TxEvents>, ChainError> {
            unavailable()
        }
    }

    fn small(b: &ferry_verifier::LightBlock) -> Box<Block> {
        Box::new(
            Block::try_from((
                &pb::LightBlock::from(b),
                &pb::ValidatorSet::from(&b.next_validators),
            ))
            .unwrap(),
        )
    }

    /// 40 generated blocks, a validator replaced every 2 heights.
    fn generated() -> (ferry_fixtures::Chain, Vec<Box<Block>>) {
        let chain = ferry_fixtures::Chain::generate("ferry-gen", 40, 4, 2);
        let blocks = chain.blocks.iter().map(small).collect();
        (chain, blocks)
    }

    fn h(v: u64) -> Height {
        Height::new(v).unwrap()
    }

    /// 2025-01-01T01:00:00Z: an hour after the generated chain's first block.
    fn clock() -> Time {
        Time::from_unix(1_735_693_200, 0).unwrap()
    }

    fn root(blocks: &[Box<Block>], height: u64) -> TrustRoot {
        TrustRoot {
            height: h(height),
            hash: blocks[height as usize - 1].header().hash(),
        }
    }

    fn builder(primary: Mock, store: &LightStore) -> LightClientBuilder<Mock, N> {
        LightClientBuilder::new(primary, store.clone()).clock(clock)
    }

    fn temp_store(label: &str) -> (PathBuf, LightStore) {
        let dir = std::env::temp_dir().join(format!(
            "ferry-light-{label}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        let store = LightStore::open(&dir).unwrap();
        (dir, store)
    }

    fn tamper(b: &mut Block) {
        for s in b.signed_header.commit.signatures.iter_mut() {
            if let CommitSig::Commit { signature, .. } = s {
                signature.0[0] ^= 1;
            }
        }
    }

    #[tokio::test]
    async fn init_bisect_store_and_resume_without_retrusting() {
        let (_chain, blocks) = generated();
        let (dir, store) = temp_store("resume");
        let mut client = builder(Mock::new("primary", &blocks), &store)
            .init(root(&blocks, 1))
            .await
            .unwrap();
        assert_eq!(client.trusted().height(), h(1));

        let mut events = Vec::new();
        let report = client
            .verify_to_with(h(40), &mut |p| events.push(p.clone()))
            .await
            .unwrap();
        assert_eq!(report.height, h(40));
        assert_eq!(report.hash, blocks[39].header().hash());
        assert!(report.bisections >= 1, "{report:?}");
        assert_eq!(report.path.last(), Some(&h(40)));
        assert!(events
            .iter()
            .any(|e| matches!(e, Progress::Bisecting { height, .. } if *height == h(40))));
        assert!(matches!(events.last(), Some(Progress::Saved { .. })));
        // Every block of the path verifies from the one before it.
        let mut anchor = &*blocks[0];
        for height in &report.path {
            let b = &*blocks[height.value() as usize - 1];
            let v = verify(
                &Zebra,
                &TrustedState::from_light_block(anchor),
                b,
                clock(),
                &Options::default(),
            );
            assert_eq!(v, Verdict::Success, "{height}");
            anchor = b;
        }
        // The path is stored.
        let mut stored: Vec<Height> = vec![h(1)];
        stored.extend(&report.path);
        assert_eq!(store.heights(client.chain_id()).unwrap(), stored);
        assert_eq!(client.verify_to(h(40)).await.unwrap().path, []);
        drop(client);
        drop(store);

        // A restart: resumes at 40, fetches nothing to do so, and goes on from there.
        let store = LightStore::open(&dir).unwrap();
        let primary = Mock::new("primary", &blocks);
        let mut client = builder(primary, &store).open().unwrap();
        assert_eq!(client.trusted().height(), h(40));
        assert_eq!(client.root(), root(&blocks, 1));
        assert!(client.primary().fetched().is_empty());
        // Kept blocks answer lower heights; others are not verified backwards.
        let kept = report.path[0];
        assert_eq!(client.verify_to(kept).await.unwrap().height, kept);
        let missing = (2..40).map(h).find(|x| !stored.contains(x)).unwrap();
        assert!(matches!(
            client.verify_to(missing).await,
            Err(LightError::BelowTrusted { .. })
        ));
        // init with the same root resumes; with another it is refused; reinit replaces.
        drop(client);
        let again = builder(Mock::new("primary", &blocks), &store)
            .init(root(&blocks, 1))
            .await
            .unwrap();
        assert_eq!(again.trusted().height(), h(40));
        drop(again);
        let e = builder(Mock::new("primary", &blocks), &store)
            .init(root(&blocks, 5))
            .await
            .unwrap_err();
        assert!(matches!(e, LightError::AlreadyInitialized { .. }), "{e}");
        let client = builder(Mock::new("primary", &blocks), &store)
            .reinit(root(&blocks, 5))
            .await
            .unwrap();
        assert_eq!(client.trusted().height(), h(5));
        assert_eq!(store.heights(client.chain_id()).unwrap(), [h(5)]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn init_checks_the_trusted_hash_and_block() {
        let (_chain, blocks) = generated();
        let (dir, store) = temp_store("init");
        let wrong = TrustRoot {
            height: h(3),
            hash: blocks[3].header().hash(),
        };
        let e = builder(Mock::new("primary", &blocks), &store)
            .init(wrong)
            .await
            .unwrap_err();
        assert!(matches!(e, LightError::TrustRootMismatch { .. }), "{e}");
        // The right hash, but the commit's signatures do not verify.
        let mut bad = blocks.clone();
        tamper(&mut bad[2]);
        let e = builder(Mock::new("primary", &bad), &store)
            .init(root(&blocks, 3))
            .await
            .unwrap_err();
        assert!(matches!(e, LightError::InvalidRoot { .. }), "{e}");
        // Nothing was stored.
        let e = builder(Mock::new("primary", &blocks), &store)
            .open()
            .unwrap_err();
        assert!(matches!(e, LightError::NotInitialized { .. }), "{e}");
        assert!(e.to_string().contains("ferry light init"), "{e}");
        // A witness with another block at the root.
        let mut other = blocks.clone();
        other[2] = small(&_chain.fork(3, None, 0));
        let e = builder(Mock::new("primary", &blocks), &store)
            .witness(Mock::new("witness", &other))
            .init(root(&blocks, 3))
            .await
            .unwrap_err();
        assert!(
            matches!(e, LightError::WitnessDisagreesAtRoot { .. }),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_block_that_does_not_verify_is_refused_and_nothing_is_stored() {
        let (_chain, blocks) = generated();
        let (dir, store) = temp_store("invalid");
        let mut bad = blocks.clone();
        tamper(&mut bad[9]);
        let mut client = builder(Mock::new("primary", &bad), &store)
            .init(root(&blocks, 8))
            .await
            .unwrap();
        let e = client.verify_to(h(10)).await.unwrap_err();
        assert!(
            matches!(e, LightError::Invalid { height, .. } if height == h(10)),
            "{e}"
        );
        assert_eq!(client.trusted().height(), h(8));
        assert_eq!(store.heights(client.chain_id()).unwrap(), [h(8)]);
        // A primary answering with another height.
        let mut shifted = blocks.clone();
        shifted[10] = blocks[11].clone();
        let client2 = builder(Mock::new("primary", &shifted), &store).open();
        let e = client2.unwrap().verify_to(h(11)).await.unwrap_err();
        assert!(matches!(e, LightError::WrongHeight { .. }), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn expired_trust_tells_the_operator_to_reinitialise() {
        let (_chain, blocks) = generated();
        let (dir, store) = temp_store("expired");
        builder(Mock::new("primary", &blocks), &store)
            .init(root(&blocks, 1))
            .await
            .unwrap();
        // 15 days later (the trusting period is 14).
        let later = || Time::from_unix(1_735_689_600 + 15 * 86_400, 0).unwrap();
        let mut client = LightClientBuilder::new(Mock::new("primary", &blocks), store.clone())
            .clock(later)
            .open()
            .unwrap();
        let e = client.verify_to(h(2)).await.unwrap_err();
        assert!(matches!(e, LightError::TrustExpired { .. }), "{e}");
        assert!(e.to_string().contains("Re-initialise"), "{e}");
        assert!(client.check_expiry().is_err());
        assert!(client.primary().fetched().is_empty(), "nothing fetched");
        // Initialising from an expired block is refused too.
        let e = LightClientBuilder::new(Mock::new("primary", &blocks), store.clone())
            .clock(later)
            .reinit(root(&blocks, 2))
            .await
            .unwrap_err();
        assert!(matches!(e, LightError::TrustExpired { .. }), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_store_refuses_to_go_backwards_or_to_unverified_blocks() {
        let (chain, blocks) = generated();
        let (dir, store) = temp_store("refuse");
        let mut client = builder(Mock::new("primary", &blocks), &store)
            .init(root(&blocks, 1))
            .await
            .unwrap();
        client.verify_to(h(6)).await.unwrap();
        let opts = Options::default();
        let id = client.chain_id().clone();
        let e = store
            .advance(&blocks[2..3], clock(), &opts, 10)
            .unwrap_err();
        assert!(matches!(e, StoreError::Backwards { .. }), "{e}");
        let e = store
            .advance(&blocks[5..6], clock(), &opts, 10)
            .unwrap_err();
        assert!(matches!(e, StoreError::Backwards { .. }), "{e}");
        // Too far to skip to in one step.
        let e = store
            .advance(&blocks[39..40], clock(), &opts, 10)
            .unwrap_err();
        assert!(matches!(e, StoreError::NotVerified { .. }), "{e}");
        // Tampered, forked (another block at 7 does verify: the store is no detector), or a
        // path out of order.
        let mut bad = blocks[6].clone();
        tamper(&mut bad);
        let e = store.advance(&[bad], clock(), &opts, 10).unwrap_err();
        assert!(matches!(e, StoreError::NotVerified { .. }), "{e}");
        let e = store
            .advance(&[blocks[6].clone(), blocks[6].clone()], clock(), &opts, 10)
            .unwrap_err();
        assert!(matches!(e, StoreError::Backwards { .. }), "{e}");
        let _ = chain;
        // Through all that the state stayed at 6.
        let state = store.load::<N>(&id).unwrap().unwrap();
        assert_eq!(state.trusted.height(), h(6));
        // keep_blocks bounds what is kept.
        store.advance(&blocks[6..8], clock(), &opts, 2).unwrap();
        assert_eq!(store.heights(&id).unwrap(), [h(7), h(8)]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn witnesses_agree_are_faulty_or_diverge() {
        let (chain, blocks) = generated();
        let (dir, store) = temp_store("witness");
        // A witness on a fork from height 12 (same validators, another block).
        let mut forked = blocks.clone();
        forked[11] = small(&chain.fork(12, Some(b"other state".to_vec()), 0));
        // A witness whose block at 12 is tampered: different, and not verifying.
        let mut broken = blocks.clone();
        tamper(&mut broken[11]);
        broken[11].signed_header.header.app_hash =
            ferry_verifier::AppHash::from_bytes(b"lie").unwrap();
        let mut client = builder(Mock::new("primary", &blocks), &store)
            .witness(Mock::new("honest", &blocks))
            .witness(Mock::new("broken", &broken))
            .witness(Mock::new("behind", &blocks[..5]))
            .init(root(&blocks, 10))
            .await
            .unwrap();
        let report = client.verify_to(h(11)).await.unwrap();
        assert!(matches!(report.witnesses[0], WitnessCheck::Agrees { .. }));
        assert!(matches!(report.witnesses[1], WitnessCheck::Agrees { .. }));
        assert!(matches!(
            report.witnesses[2],
            WitnessCheck::Unavailable { .. }
        ));
        let report = client.verify_to(h(12)).await.unwrap();
        assert!(matches!(report.witnesses[0], WitnessCheck::Agrees { .. }));
        assert!(
            matches!(&report.witnesses[1], WitnessCheck::Faulty { source, .. } if source == "broken"),
            "{:?}",
            report.witnesses
        );
        drop(client);

        let mut client = builder(Mock::new("primary", &blocks), &store)
            .witness(Mock::new("forked", &forked))
            .reinit(root(&blocks, 10))
            .await
            .unwrap();
        let e = client.verify_to(h(12)).await.unwrap_err();
        let LightError::Diverged(d) = &e else {
            panic!("{e}")
        };
        assert_eq!(d.height, h(12));
        assert_eq!(d.witness_source, "forked");
        assert_eq!(d.primary.header().hash(), blocks[11].header().hash());
        assert_eq!(d.witness.header().hash(), forked[11].header().hash());
        assert_eq!(d.common.height(), h(10));
        assert!(e.to_string().contains("nothing was saved"), "{e}");
        // Nothing was saved, and the evidence module takes the three blocks.
        assert_eq!(client.trusted().height(), h(10));
        assert_eq!(store.heights(client.chain_id()).unwrap(), [h(10)]);
        crate::evidence::light_client_attack_evidence(&d.witness, &d.common, &d.primary).unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The child of [`a_killed_writer_leaves_a_whole_state`]: writes forever when told to.
    #[test]
    fn crash_child() {
        let Some(dir) = std::env::var_os("FERRY_LIGHT_CRASH_DIR") else {
            return;
        };
        let (_chain, blocks) = generated();
        let store = LightStore::open(Path::new(&dir)).unwrap();
        let opts = Options::default();
        loop {
            store
                .initialize(root(&blocks, 1), &blocks[0], &opts, true)
                .unwrap();
            for b in blocks[1..].chunks(1) {
                store.advance(b, clock(), &opts, 5).unwrap();
            }
        }
    }

    #[test]
    fn a_killed_writer_leaves_a_whole_state() {
        let (_chain, blocks) = generated();
        let id = blocks[0].header().chain_id.clone();
        let (dir, store) = temp_store("crash");
        drop(store);
        for wait_ms in [150u64, 400, 900] {
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["light::tests::crash_child", "--exact", "--nocapture"])
                .env("FERRY_LIGHT_CRASH_DIR", &dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(wait_ms));
            child.kill().unwrap(); // SIGKILL, mid-write or not
            child.wait().unwrap();
            let store = LightStore::open(&dir).unwrap();
            let Some(state) = store.load::<N>(&id).unwrap() else {
                continue; // killed before the first commit
            };
            let t = state.trusted.height();
            assert_eq!(
                state.trusted.header().hash(),
                blocks[t.value() as usize - 1].header().hash()
            );
            let heights = store.heights(&id).unwrap();
            assert_eq!(heights.last(), Some(&t), "after {wait_ms} ms");
            assert!(heights.len() <= 5);
            eprintln!("killed after {wait_ms} ms: trusted height {t}, kept {heights:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
