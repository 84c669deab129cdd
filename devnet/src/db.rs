//! Persistence: a chain's blocks, commits, validator sets, state trees and keys in one
//! [`redb`] database, `<home>/devnet.redb`.
//!
//! # Tables
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `"genesis"` | the genesis: chain id, time, app version, block parameters, store names, validators and powers |
//! | `keys` | validator address | the validator's 32-byte ed25519 seed |
//! | `blocks` | height | the block (CometBFT's protobuf `Block`), its commit, results, validator updates, the sets that signed it and the next, the state's next set after it, and the app hash after it |
//! | `nodes` | node hash | an IAVL node: height, size, version, key, then the value (leaf) or the children's hashes (inner) |
//! | `roots` | (store, version) | the root hash of the store's tree at that version (empty: empty tree) |
//!
//! Block `H` is written in one write transaction: its `blocks` row, the tree nodes written at
//! version `H`, every store's root at `H`, and the keys the chain holds. A process killed at any
//! point (`kill -9`) leaves the database at the last block whose transaction committed; the
//! chain reopens there. Nodes are addressed by their hash, which reading checks, so a damaged
//! node is found (and reported as [`Error::Corrupt`]) rather than served.
//!
//! Not stored: how validators are set to vote ([`crate::Chain::set_vote`]), their clock
//! offsets, and validator updates queued for a block not yet produced; they are the
//! configuration of the next block, which a restart loses.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_verifier::pb::{self, Message};
use ferry_verifier::{Address, PublicKey};
use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};

use crate::chain::{BlockRecord, CommitRecord};
use crate::encode::{self, TxResult};
use crate::error::Error;
use crate::iavl::{self, Body, Node, Tree};
use crate::keys::ValidatorKey;
use crate::store::MultiStore;
use crate::validators::{Validator, ValidatorSet, ValidatorUpdate};

/// The database file in a home directory.
pub const DB_FILE: &str = "devnet.redb";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const KEYS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("keys");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("nodes");
const ROOTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("roots");

/// `meta` key of the genesis record.
const GENESIS_KEY: &str = "genesis";

fn storage(what: &str) -> impl Fn(&dyn std::fmt::Display) -> Error + '_ {
    move |e| Error::Storage {
        reason: format!("{what}: {e}"),
    }
}

fn corrupt(what: impl Into<String>) -> Error {
    Error::Corrupt { what: what.into() }
}

/// A validator as stored.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredValidator {
    /// Ed25519 public key (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub pub_key: Vec<u8>,
    /// Voting power (field 2).
    #[prost(int64, tag = "2")]
    pub power: i64,
    /// Proposer priority (field 3).
    #[prost(int64, tag = "3")]
    pub priority: i64,
}

/// A validator set as stored: the validators in order and the proposer's address.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredValidatorSet {
    /// The validators (field 1).
    #[prost(message, repeated, tag = "1")]
    pub validators: Vec<StoredValidator>,
    /// The proposer's address, empty when none is recorded (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub proposer: Vec<u8>,
}

/// A validator update (or a genesis validator) as stored.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredUpdate {
    /// Ed25519 public key (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub pub_key: Vec<u8>,
    /// Power (field 2).
    #[prost(uint64, tag = "2")]
    pub power: u64,
}

/// A transaction result as stored, with `tendermint.abci.ExecTxResult`'s field numbers.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredTxResult {
    /// Field 1.
    #[prost(uint32, tag = "1")]
    pub code: u32,
    /// Field 2.
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
    /// Field 3.
    #[prost(string, tag = "3")]
    pub log: String,
    /// Field 4.
    #[prost(string, tag = "4")]
    pub info: String,
    /// Field 5.
    #[prost(int64, tag = "5")]
    pub gas_wanted: i64,
    /// Field 6.
    #[prost(int64, tag = "6")]
    pub gas_used: i64,
    /// Field 8.
    #[prost(string, tag = "8")]
    pub codespace: String,
}

/// A `blocks` row.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredBlock {
    /// The block's protobuf encoding (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub block: Vec<u8>,
    /// Its commit (field 2).
    #[prost(message, optional, tag = "2")]
    pub commit: Option<pb::Commit>,
    /// Its results (field 3).
    #[prost(message, repeated, tag = "3")]
    pub results: Vec<StoredTxResult>,
    /// The updates its end-block returned (field 4).
    #[prost(message, repeated, tag = "4")]
    pub updates: Vec<StoredUpdate>,
    /// The set that signed it (field 5).
    #[prost(message, optional, tag = "5")]
    pub validators: Option<StoredValidatorSet>,
    /// The set that signs the next block (field 6).
    #[prost(message, optional, tag = "6")]
    pub next_validators: Option<StoredValidatorSet>,
    /// The state's `NextValidators` after this block: the set that signs the block after the
    /// next (field 7).
    #[prost(message, optional, tag = "7")]
    pub state_next_validators: Option<StoredValidatorSet>,
    /// The app hash after it (field 8).
    #[prost(bytes = "vec", tag = "8")]
    pub app_hash_after: Vec<u8>,
}

/// The `meta` genesis record.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredGenesis {
    /// Chain id (field 1).
    #[prost(string, tag = "1")]
    pub chain_id: String,
    /// Genesis time (field 2).
    #[prost(message, optional, tag = "2")]
    pub genesis_time: Option<pb::Timestamp>,
    /// App version (field 3).
    #[prost(uint64, tag = "3")]
    pub app_version: u64,
    /// `block.max_bytes` (field 4).
    #[prost(int64, tag = "4")]
    pub block_max_bytes: i64,
    /// `block.max_gas` (field 5).
    #[prost(int64, tag = "5")]
    pub block_max_gas: i64,
    /// Substore names (field 6).
    #[prost(string, repeated, tag = "6")]
    pub stores: Vec<String>,
    /// Genesis validators and powers, in the configuration's order (field 7).
    #[prost(message, repeated, tag = "7")]
    pub validators: Vec<StoredUpdate>,
}

impl StoredValidatorSet {
    /// The stored form of `set`.
    pub fn from_set(set: &ValidatorSet) -> Self {
        StoredValidatorSet {
            validators: set
                .validators()
                .iter()
                .map(|v| StoredValidator {
                    pub_key: v.pub_key.0.to_vec(),
                    power: v.power,
                    priority: v.priority,
                })
                .collect(),
            proposer: set
                .recorded_proposer()
                .map(|p| p.0.to_vec())
                .unwrap_or_default(),
        }
    }

    /// The set back, exactly as stored (order, priorities, proposer).
    pub fn to_set(&self) -> Result<ValidatorSet, Error> {
        let mut validators = Vec::with_capacity(self.validators.len());
        for v in &self.validators {
            let pub_key = public_key(&v.pub_key)?;
            validators.push(Validator {
                pub_key,
                address: pub_key.address(),
                power: v.power,
                priority: v.priority,
            });
        }
        let proposer = if self.proposer.is_empty() {
            None
        } else {
            Some(
                Address::from_bytes(&self.proposer)
                    .map_err(|_| corrupt("a proposer address is not 20 bytes"))?,
            )
        };
        ValidatorSet::from_stored(validators, proposer).map_err(|e| match e {
            Error::Corrupt { .. } => e,
            other => corrupt(other.to_string()),
        })
    }
}

fn public_key(bytes: &[u8]) -> Result<PublicKey, Error> {
    <[u8; 32]>::try_from(bytes)
        .map(PublicKey)
        .map_err(|_| corrupt("a validator key is not 32 bytes"))
}

impl StoredBlock {
    /// The stored form of `record`, with the state's next validators after it.
    pub fn from_record(record: &BlockRecord, state_next: &ValidatorSet) -> Self {
        StoredBlock {
            block: record.block.encode_to_vec(),
            commit: Some(record.commit.to_pb()),
            results: record
                .results
                .iter()
                .map(|r| StoredTxResult {
                    code: r.code,
                    data: r.data.clone(),
                    log: r.log.clone(),
                    info: r.info.clone(),
                    gas_wanted: r.gas_wanted,
                    gas_used: r.gas_used,
                    codespace: r.codespace.clone(),
                })
                .collect(),
            updates: record
                .validator_updates
                .iter()
                .map(|u| StoredUpdate {
                    pub_key: u.pub_key.0.to_vec(),
                    power: u.power,
                })
                .collect(),
            validators: Some(StoredValidatorSet::from_set(&record.validators)),
            next_validators: Some(StoredValidatorSet::from_set(&record.next_validators)),
            state_next_validators: Some(StoredValidatorSet::from_set(state_next)),
            app_hash_after: record.app_hash_after.to_vec(),
        }
    }

    /// The record back (the block id recomputed from the header and the block's encoding),
    /// and the state's next validators after it.
    pub fn to_record(&self, height: u64) -> Result<(BlockRecord, ValidatorSet), Error> {
        let bad = |what: &str| corrupt(format!("block {height}: {what}"));
        let block = encode::Block::decode(self.block.as_slice())
            .map_err(|e| bad(&format!("undecodable block: {e}")))?;
        let header = ferry_verifier::block::Header::try_from(&block.header)
            .map_err(|e| bad(&format!("bad header: {e}")))?;
        if header.height.value() != height {
            return Err(bad("its header is for another height"));
        }
        let block_id = encode::block_id(&block, header.hash());
        let commit = self.commit.as_ref().ok_or_else(|| bad("no commit"))?;
        let commit_id = ferry_verifier::block::BlockId::try_from(&commit.block_id)
            .map_err(|e| bad(&format!("bad commit block id: {e}")))?;
        if commit_id != block_id {
            return Err(bad("its commit is for another block"));
        }
        let signatures = commit
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| s.to_commit_sig(i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&format!("bad commit signature: {e}")))?;
        let commit = CommitRecord {
            height,
            round: u32::try_from(commit.round).map_err(|_| bad("negative round"))?,
            block_id,
            signatures,
        };
        let set = |s: &Option<StoredValidatorSet>, which: &str| {
            s.as_ref()
                .ok_or_else(|| bad(&format!("no {which}")))?
                .to_set()
        };
        let updates = self
            .updates
            .iter()
            .map(|u| {
                Ok(ValidatorUpdate {
                    pub_key: public_key(&u.pub_key)?,
                    power: u.power,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let app_hash_after = <[u8; 32]>::try_from(self.app_hash_after.as_slice())
            .map_err(|_| bad("app hash is not 32 bytes"))?;
        let size = self.block.len();
        let record = BlockRecord {
            header,
            block_id,
            size,
            commit,
            results: self
                .results
                .iter()
                .map(|r| TxResult {
                    code: r.code,
                    data: r.data.clone(),
                    log: r.log.clone(),
                    info: r.info.clone(),
                    gas_wanted: r.gas_wanted,
                    gas_used: r.gas_used,
                    codespace: r.codespace.clone(),
                })
                .collect(),
            validator_updates: updates,
            validators: set(&self.validators, "validators")?,
            next_validators: set(&self.next_validators, "next validators")?,
            app_hash_after,
            block,
        };
        let state_next = set(&self.state_next_validators, "state's next validators")?;
        Ok((record, state_next))
    }
}

/// A node's stored bytes: height, uvarint size, uvarint version, length-prefixed key, then a
/// leaf's length-prefixed value or an inner node's two child hashes.
pub fn encode_node(node: &Node) -> Vec<u8> {
    let mut out = Vec::with_capacity(node.key().len() + 80);
    out.push(node.height());
    iavl::put_uvarint(&mut out, node.size());
    iavl::put_uvarint(&mut out, node.version());
    iavl::put_uvarint(&mut out, node.key().len() as u64);
    out.extend_from_slice(node.key());
    match node.body() {
        Body::Leaf(value) => {
            iavl::put_uvarint(&mut out, value.len() as u64);
            out.extend_from_slice(value);
        }
        Body::Inner(l, r) => {
            out.extend_from_slice(&l.hash());
            out.extend_from_slice(&r.hash());
        }
    }
    out
}

/// Reads an unsigned varint at `*at`.
fn read_uvarint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

fn read_bytes<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(read_uvarint(bytes, at)?).ok()?;
    let out = bytes.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some(out)
}

/// The parts of a stored node.
enum NodeParts<'a> {
    Leaf {
        key: &'a [u8],
        value: &'a [u8],
        version: u64,
    },
    Inner {
        key: &'a [u8],
        version: u64,
        left: [u8; 32],
        right: [u8; 32],
    },
}

fn decode_node(bytes: &[u8]) -> Option<NodeParts<'_>> {
    let height = *bytes.first()?;
    let mut at = 1;
    let _size = read_uvarint(bytes, &mut at)?;
    let version = read_uvarint(bytes, &mut at)?;
    let key = read_bytes(bytes, &mut at)?;
    if height == 0 {
        let value = read_bytes(bytes, &mut at)?;
        (at == bytes.len()).then_some(NodeParts::Leaf {
            key,
            value,
            version,
        })
    } else {
        let rest = bytes.get(at..)?;
        if rest.len() != 64 {
            return None;
        }
        Some(NodeParts::Inner {
            key,
            version,
            left: rest[..32].try_into().ok()?,
            right: rest[32..].try_into().ok()?,
        })
    }
}

/// A test hook: where [`ChainDb::write_block`] stops as if the process were killed.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the tree nodes and roots are written, before the block row.
    AfterNodes,
    /// After everything is written, before the transaction commits.
    BeforeCommit,
}

/// A chain's database.
pub struct ChainDb {
    db: Database,
    path: PathBuf,
    crash: Option<CrashPoint>,
}

impl core::fmt::Debug for ChainDb {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChainDb").field("path", &self.path).finish()
    }
}

/// What a database holds: the genesis, the keys, the blocks with the state after the last, and
/// the store.
pub struct Loaded {
    /// The genesis record.
    pub genesis: StoredGenesis,
    /// The validator keys.
    pub keys: Vec<ValidatorKey>,
    /// The blocks, height 1 first.
    pub blocks: Vec<BlockRecord>,
    /// The state's next validators after the last block (`None` without blocks).
    pub state_next: Option<ValidatorSet>,
    /// The trees of every store at every version.
    pub trees: BTreeMap<String, BTreeMap<u64, Tree>>,
}

impl ChainDb {
    /// Opens (or creates) `<home>/devnet.redb`, creating `home` if needed.
    pub fn open(home: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(home).map_err(|e| Error::Storage {
            reason: format!("cannot create home directory {}: {e}", home.display()),
        })?;
        let path = home.join(DB_FILE);
        let db = Database::create(&path).map_err(|e| Error::Storage {
            reason: format!("cannot open {}: {e}", path.display()),
        })?;
        Ok(ChainDb {
            db,
            path,
            crash: None,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    #[doc(hidden)]
    pub fn set_crash_point(&mut self, point: Option<CrashPoint>) {
        self.crash = point;
    }

    /// The genesis record, if the database has one.
    pub fn genesis(&self) -> Result<Option<StoredGenesis>, Error> {
        let read = self.db.begin_read().map_err(|e| storage("read")(&e))?;
        let table = match read.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(storage("open meta")(&e)),
        };
        let Some(bytes) = table
            .get(GENESIS_KEY)
            .map_err(|e| storage("read meta")(&e))?
        else {
            return Ok(None);
        };
        StoredGenesis::decode(bytes.value())
            .map(Some)
            .map_err(|e| corrupt(format!("genesis record: {e}")))
    }

    /// Writes a new chain: its genesis, its keys and the genesis state (version 0).
    pub fn write_genesis(
        &self,
        genesis: &StoredGenesis,
        keys: &[&ValidatorKey],
        store: &MultiStore,
    ) -> Result<(), Error> {
        let txn = self.db.begin_write().map_err(|e| storage("write")(&e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| storage("open meta")(&e))?;
            meta.insert(GENESIS_KEY, genesis.encode_to_vec().as_slice())
                .map_err(|e| storage("write genesis")(&e))?;
            // Every table exists from the start, so readers never meet a missing one.
            txn.open_table(BLOCKS)
                .map_err(|e| storage("open blocks")(&e))?;
        }
        write_keys(&txn, keys)?;
        write_state(&txn, store, 0)?;
        txn.commit().map_err(|e| storage("commit genesis")(&e))
    }

    /// Writes block `record` with everything it changed, in one transaction: the block row
    /// (with `state_next`, the state's next validators after it), the tree nodes written at its
    /// height, every store's root there, and `keys`.
    pub fn write_block(
        &self,
        record: &BlockRecord,
        state_next: &ValidatorSet,
        keys: &[&ValidatorKey],
        store: &MultiStore,
    ) -> Result<(), Error> {
        let height = record.height();
        let txn = self.db.begin_write().map_err(|e| storage("write")(&e))?;
        write_state(&txn, store, height)?;
        if self.crash == Some(CrashPoint::AfterNodes) {
            // Dropping an uncommitted transaction aborts it, as a killed process would.
            drop(txn);
            return Err(Error::Storage {
                reason: "simulated crash after writing the tree nodes".into(),
            });
        }
        write_keys(&txn, keys)?;
        {
            let mut blocks = txn
                .open_table(BLOCKS)
                .map_err(|e| storage("open blocks")(&e))?;
            let row = StoredBlock::from_record(record, state_next).encode_to_vec();
            blocks
                .insert(height, row.as_slice())
                .map_err(|e| storage("write block")(&e))?;
        }
        if self.crash == Some(CrashPoint::BeforeCommit) {
            drop(txn);
            return Err(Error::Storage {
                reason: "simulated crash before commit".into(),
            });
        }
        txn.commit()
            .map_err(|e| storage(&format!("commit block {height}"))(&e))
    }

    /// Reads everything back, checking that the blocks run from 1 without a gap, that every
    /// store has a root at every version up to the last block, and every node's hash.
    pub fn load(&self, genesis: StoredGenesis) -> Result<Loaded, Error> {
        let read = self.db.begin_read().map_err(|e| storage("read")(&e))?;
        let open_err = |name: &'static str| move |e: redb::TableError| storage(name)(&e);
        let keys_table = read.open_table(KEYS).map_err(open_err("open keys"))?;
        let mut keys = Vec::new();
        for entry in keys_table.iter().map_err(|e| storage("read keys")(&e))? {
            let (_, seed) = entry.map_err(|e| storage("read keys")(&e))?;
            let seed = <[u8; 32]>::try_from(seed.value())
                .map_err(|_| corrupt("a validator seed is not 32 bytes"))?;
            keys.push(ValidatorKey::from_seed(seed));
        }
        let blocks_table = read.open_table(BLOCKS).map_err(open_err("open blocks"))?;
        let mut blocks = Vec::new();
        let mut state_next = None;
        for entry in blocks_table
            .iter()
            .map_err(|e| storage("read blocks")(&e))?
        {
            let (height, row) = entry.map_err(|e| storage("read blocks")(&e))?;
            let height = height.value();
            if height != blocks.len() as u64 + 1 {
                return Err(corrupt(format!(
                    "block {height} follows block {}",
                    blocks.len()
                )));
            }
            let stored = StoredBlock::decode(row.value())
                .map_err(|e| corrupt(format!("block {height}: {e}")))?;
            let (record, next) = stored.to_record(height)?;
            blocks.push(record);
            state_next = Some(next);
        }
        let latest = blocks.len() as u64;
        let nodes = read.open_table(NODES).map_err(open_err("open nodes"))?;
        let roots = read.open_table(ROOTS).map_err(open_err("open roots"))?;
        let mut cache: HashMap<[u8; 32], Arc<Node>> = HashMap::new();
        let mut trees = BTreeMap::new();
        for name in &genesis.stores {
            let mut versions = BTreeMap::new();
            for version in 0..=latest {
                let root = roots
                    .get((name.as_str(), version))
                    .map_err(|e| storage("read roots")(&e))?
                    .ok_or_else(|| corrupt(format!("store {name:?} has no root at {version}")))?;
                let root = root.value();
                let tree = if root.is_empty() {
                    Tree::empty()
                } else {
                    let hash = <[u8; 32]>::try_from(root)
                        .map_err(|_| corrupt(format!("store {name:?}: a root is not 32 bytes")))?;
                    Tree::from_root(Some(load_node(&nodes, hash, &mut cache)?))
                };
                versions.insert(version, tree);
            }
            trees.insert(name.clone(), versions);
        }
        Ok(Loaded {
            genesis,
            keys,
            blocks,
            state_next,
            trees,
        })
    }
}

/// Loads the node with `hash` and everything below it, sharing what `cache` already holds.
fn load_node(
    nodes: &redb::ReadOnlyTable<&[u8], &[u8]>,
    hash: [u8; 32],
    cache: &mut HashMap<[u8; 32], Arc<Node>>,
) -> Result<Arc<Node>, Error> {
    if let Some(n) = cache.get(&hash) {
        return Ok(n.clone());
    }
    let missing = || corrupt(format!("tree node {} is missing", hex(&hash)));
    let guard = nodes
        .get(hash.as_slice())
        .map_err(|e| storage("read nodes")(&e))?
        .ok_or_else(missing)?;
    let bytes = guard.value();
    let bad = || corrupt(format!("tree node {} is damaged", hex(&hash)));
    let node = match decode_node(bytes).ok_or_else(bad)? {
        NodeParts::Leaf {
            key,
            value,
            version,
        } => Node::leaf(key.to_vec(), value.to_vec(), version),
        NodeParts::Inner {
            key,
            version,
            left,
            right,
        } => {
            let key = key.to_vec();
            let left = load_node(nodes, left, cache)?;
            let right = load_node(nodes, right, cache)?;
            Node::inner(key, left, right, version)
        }
    };
    if node.hash() != hash {
        return Err(bad());
    }
    cache.insert(hash, node.clone());
    Ok(node)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn write_keys(txn: &WriteTransaction, keys: &[&ValidatorKey]) -> Result<(), Error> {
    let mut table = txn.open_table(KEYS).map_err(|e| storage("open keys")(&e))?;
    for key in keys {
        table
            .insert(key.address().0.as_slice(), key.seed().as_slice())
            .map_err(|e| storage("write keys")(&e))?;
    }
    Ok(())
}

/// Writes the nodes every store wrote at `version` and every store's root there.
fn write_state(txn: &WriteTransaction, store: &MultiStore, version: u64) -> Result<(), Error> {
    let mut nodes = txn
        .open_table(NODES)
        .map_err(|e| storage("open nodes")(&e))?;
    for (_, node) in store.nodes_written_in(version) {
        nodes
            .insert(node.hash().as_slice(), encode_node(&node).as_slice())
            .map_err(|e| storage("write nodes")(&e))?;
    }
    let mut roots = txn
        .open_table(ROOTS)
        .map_err(|e| storage("open roots")(&e))?;
    for name in store.store_names() {
        let tree = store.tree(name, version)?;
        let root = tree.root().map(|r| r.hash().to_vec()).unwrap_or_default();
        roots
            .insert((name, version), root.as_slice())
            .map_err(|e| storage("write roots")(&e))?;
    }
    Ok(())
}
