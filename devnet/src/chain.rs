//! The chain: validators that sign every block, headers computed as CometBFT v0.38 computes
//! them, and the application state behind the app hash.
//!
//! One process holds every validator's key; there is no networked consensus. Each block is
//! decided in round 0: the proposer is the one CometBFT's rotation picks, and every validator
//! precommits it (or votes nil, or is absent, as configured) with its own timestamp.
//!
//! # How each header field is computed (CometBFT's `state.MakeBlock` and `updateState`)
//!
//! | field | value |
//! |---|---|
//! | `version` | `{block: 11, app: ChainConfig::app_version}` |
//! | `time` | genesis time at height 1; after it, `MedianTime`: the power-weighted median of the previous commit's non-absent vote timestamps, weighted by the previous signing set |
//! | `last_block_id` | hash and part-set header of the previous block (zero at height 1) |
//! | `last_commit_hash` | root over the `CommitSig` encodings of the previous block's commit (`sha256("")` at height 1, whose last commit is empty) |
//! | `data_hash` | root over `sha256(tx)` of each transaction |
//! | `validators_hash`, `next_validators_hash` | the state's `Validators` and `NextValidators` |
//! | `consensus_hash` | `sha256(HashedParams{max_bytes, max_gas})` |
//! | `app_hash` | the multistore root after the previous block (after genesis at height 1) |
//! | `last_results_hash` | root over the previous block's deterministic `ExecTxResult`s (empty at height 1) |
//! | `evidence_hash` | root over the evidence (`sha256("")`: none yet) |
//! | `proposer_address` | the proposer of the state's `Validators` |
//!
//! The block id's part-set header is that of the block's protobuf encoding cut into 64 KiB
//! parts ([`encode::part_set_header`]).
//!
//! # Votes
//!
//! A validator votes at `max(now + its clock offset, block time + 1 ms)`, as CometBFT's
//! `voteTime`. [`Chain::set_vote`] makes it precommit nil or stay absent; a validator whose key
//! the chain does not hold is always absent. A block whose committing power would not exceed
//! 2/3 is refused ([`Error::NoQuorum`]).
//!
//! # Validator changes
//!
//! [`Chain::update_validators`] queues updates that the next block returns from its end-block
//! (`FinalizeBlock`): returned at height `H`, they are in `next_validators_hash` at `H + 1` and
//! sign from `H + 2`.

use std::collections::HashMap;
use std::time::Duration;

use ferry_verifier::block::{
    BlockId, Commit, CommitSig, Header, LightBlock, SignedHeader, Version, VoteTemplate,
    BLOCK_PROTOCOL, PRECOMMIT_TYPE,
};
use ferry_verifier::pb::{self, Message};
use ferry_verifier::{Address, AppHash, ChainId, Hash, Height, Time};

use crate::db::{ChainDb, StoredGenesis, StoredUpdate};
use crate::encode::{self, TxResult};
use crate::error::Error;
use crate::keys::ValidatorKey;
use crate::store::{MultiStore, QueryProof};
use crate::validators::{ValidatorSet, ValidatorUpdate};

/// CometBFT's default `block.max_bytes` (21 MiB).
pub const DEFAULT_BLOCK_MAX_BYTES: i64 = 22_020_096;
/// CometBFT's default `block.max_gas` (-1: unlimited).
pub const DEFAULT_BLOCK_MAX_GAS: i64 = -1;
/// The default genesis time, 2025-01-01T00:00:00Z.
pub const DEFAULT_GENESIS_UNIX: i64 = 1_735_689_600;

/// CometBFT's `MedianTime(lastCommit, lastValidators)`: the power-weighted median of the
/// non-absent votes' timestamps (nil votes count), weighted by the powers of the set that
/// signed; the votes sorted by time, the first whose weight reaches what is left of
/// `total / 2`. Signatures from addresses not in `validators` are skipped.
pub fn median_time(signatures: &[CommitSig], validators: &ValidatorSet) -> Time {
    let mut weighted: Vec<(Time, i64)> = Vec::with_capacity(signatures.len());
    let mut total: i64 = 0;
    for sig in signatures {
        let (address, timestamp) = match sig {
            CommitSig::Absent => continue,
            CommitSig::Commit {
                validator_address,
                timestamp,
                ..
            }
            | CommitSig::Nil {
                validator_address,
                timestamp,
                ..
            } => (validator_address, timestamp),
        };
        if let Some((_, v)) = validators.get(address) {
            total = total.saturating_add(v.power);
            weighted.push((*timestamp, v.power));
        }
    }
    weighted.sort_by_key(|(t, _)| *t);
    let mut median = total / 2;
    for (t, w) in &weighted {
        if median <= *w {
            return *t;
        }
        median -= w;
    }
    // Only without any vote; Go returns its zero time.
    Time::from_unix(ferry_verifier::time::MIN_UNIX_SECS, 0).unwrap_or(Time::UNIX_EPOCH)
}

/// How a validator precommits each block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Vote {
    /// Precommits the block (`BlockIDFlagCommit`).
    #[default]
    Commit,
    /// Precommits nil (`BlockIDFlagNil`): signed, counted in the block time, not in the power.
    Nil,
    /// Sends no precommit (`BlockIDFlagAbsent`).
    Absent,
}

/// What executes transactions: the devnet's application.
pub trait Application: Send {
    /// Writes the genesis state (committed as version 0 before the first block).
    fn init_chain(&mut self, _store: &mut MultiStore) -> Result<(), Error> {
        Ok(())
    }

    /// Executes one transaction of block `height`, staging its writes in `store`. A failed
    /// transaction (non-zero code) must stage nothing.
    fn deliver_tx(&mut self, height: u64, tx: &[u8], store: &mut MultiStore) -> TxResult;

    /// Whether a transaction may enter the mempool (ABCI `CheckTx`), against the committed
    /// state: code 0 admits it. The default admits every transaction.
    fn check_tx(&self, _tx: &[u8], _store: &MultiStore) -> TxResult {
        TxResult::default()
    }
}

/// A key-value application, like CometBFT's `kvstore`: a transaction `store/key=value` sets
/// `key` to `value` in the substore `store` (an empty value deletes the key).
///
/// Results: code 0 on success, 1 for a transaction that is not `store/key=value` with a
/// non-empty key, 2 for an unknown store; `gas_wanted` and `gas_used` are the transaction's
/// length. `CheckTx` refuses with the same codes what `DeliverTx` would refuse.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvApp;

impl KvApp {
    /// The store, key and value of a transaction, or why it is malformed.
    fn parse(tx: &[u8]) -> Result<(String, &[u8], &[u8]), &'static str> {
        let slash = tx
            .iter()
            .position(|&b| b == b'/')
            .ok_or("expected store/key=value")?;
        let (name, rest) = (&tx[..slash], &tx[slash + 1..]);
        let eq = rest
            .iter()
            .position(|&b| b == b'=')
            .ok_or("expected store/key=value")?;
        let (key, value) = (&rest[..eq], &rest[eq + 1..]);
        if key.is_empty() {
            return Err("empty key");
        }
        Ok((String::from_utf8_lossy(name).into_owned(), key, value))
    }
}

impl Application for KvApp {
    fn check_tx(&self, tx: &[u8], store: &MultiStore) -> TxResult {
        let gas = i64::try_from(tx.len()).unwrap_or(i64::MAX);
        let fail = |code: u32, log: String| TxResult {
            code,
            log,
            gas_wanted: gas,
            codespace: "kv".into(),
            ..TxResult::default()
        };
        match Self::parse(tx) {
            Err(why) => fail(1, why.into()),
            Ok((name, _, _)) if !store.store_names().any(|n| n == name) => {
                fail(2, Error::UnknownStore { name }.to_string())
            }
            Ok(_) => TxResult {
                gas_wanted: gas,
                ..TxResult::default()
            },
        }
    }

    fn deliver_tx(&mut self, _height: u64, tx: &[u8], store: &mut MultiStore) -> TxResult {
        let gas = i64::try_from(tx.len()).unwrap_or(i64::MAX);
        let fail = |code: u32, log: String| TxResult {
            code,
            log,
            gas_wanted: gas,
            gas_used: gas,
            codespace: "kv".into(),
            ..TxResult::default()
        };
        let Some(slash) = tx.iter().position(|&b| b == b'/') else {
            return fail(1, "expected store/key=value".into());
        };
        let (name, rest) = (&tx[..slash], &tx[slash + 1..]);
        let Some(eq) = rest.iter().position(|&b| b == b'=') else {
            return fail(1, "expected store/key=value".into());
        };
        let (key, value) = (&rest[..eq], &rest[eq + 1..]);
        if key.is_empty() {
            return fail(1, "empty key".into());
        }
        let name = String::from_utf8_lossy(name);
        let staged = if value.is_empty() {
            store.delete(&name, key)
        } else {
            store.set(&name, key, value)
        };
        match staged {
            Ok(()) => TxResult {
                gas_wanted: gas,
                gas_used: gas,
                ..TxResult::default()
            },
            Err(e) => fail(2, e.to_string()),
        }
    }
}

/// A chain's genesis and parameters.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// The chain id (1 to 50 bytes).
    pub chain_id: String,
    /// Time of the first block.
    pub genesis_time: Time,
    /// The genesis validators and their powers.
    pub validators: Vec<(ValidatorKey, u64)>,
    /// `version.app` in every header.
    pub app_version: u64,
    /// Consensus parameter `block.max_bytes` (hashed into `consensus_hash`).
    pub block_max_bytes: i64,
    /// Consensus parameter `block.max_gas` (hashed into `consensus_hash`).
    pub block_max_gas: i64,
    /// The multistore's substore names.
    pub stores: Vec<String>,
}

impl ChainConfig {
    /// A chain with one validator per power, keys [`ValidatorKey::deterministic`] from
    /// `"<chain_id>/<index>"`, genesis at [`DEFAULT_GENESIS_UNIX`], CometBFT's default block
    /// parameters, app version 0 and one substore, `kv`.
    pub fn new(chain_id: &str, powers: &[u64]) -> Self {
        ChainConfig {
            chain_id: chain_id.to_string(),
            genesis_time: Time::from_unix(DEFAULT_GENESIS_UNIX, 0).unwrap_or(Time::UNIX_EPOCH),
            validators: powers
                .iter()
                .enumerate()
                .map(|(i, p)| (ValidatorKey::deterministic(&format!("{chain_id}/{i}")), *p))
                .collect(),
            app_version: 0,
            block_max_bytes: DEFAULT_BLOCK_MAX_BYTES,
            block_max_gas: DEFAULT_BLOCK_MAX_GAS,
            stores: vec!["kv".to_string()],
        }
    }
}

impl Default for ChainConfig {
    /// `ferry-devnet-1` with four validators of power 10.
    fn default() -> Self {
        Self::new("ferry-devnet-1", &[10, 10, 10, 10])
    }
}

/// A commit: the precommits for one block, one entry per validator of its signing set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitRecord {
    /// The block's height.
    pub height: u64,
    /// The round it was decided in (always 0).
    pub round: u32,
    /// The block's id.
    pub block_id: BlockId,
    /// The entries, in the signing set's order.
    pub signatures: Vec<CommitSig>,
}

impl CommitRecord {
    /// The protobuf `tendermint.types.Commit`.
    pub fn to_pb(&self) -> pb::Commit {
        pb::Commit {
            height: i64::try_from(self.height).unwrap_or(i64::MAX),
            round: i32::try_from(self.round).unwrap_or(i32::MAX),
            block_id: pb::BlockId::from(&self.block_id),
            signatures: self.signatures.iter().map(pb::CommitSig::from).collect(),
        }
    }

    /// `Commit.Hash()`, as the next header's `last_commit_hash`.
    pub fn hash(&self) -> Hash {
        encode::commit_hash(&self.to_pb())
    }

    /// The verifier's commit, for at most `N` validators.
    pub fn to_verifier<const N: usize>(&self) -> Result<Commit<N>, Error> {
        let signatures =
            heapless::Vec::from_slice(&self.signatures).map_err(|_| Error::CapacityExceeded {
                validators: self.signatures.len(),
                capacity: N,
            })?;
        Ok(Commit {
            height: Height::new(self.height)?,
            round: self.round,
            block_id: self.block_id,
            signatures,
        })
    }
}

/// A produced block with everything known about it.
#[derive(Clone, Debug)]
pub struct BlockRecord {
    /// The header.
    pub header: Header,
    /// The block's id (header hash and part-set header).
    pub block_id: BlockId,
    /// The block as CometBFT encodes it (header, transactions, evidence, last commit).
    pub block: encode::Block,
    /// Size of the block's encoding in bytes.
    pub size: usize,
    /// The commit that finalizes this block (carried in the next block as its last commit).
    pub commit: CommitRecord,
    /// One result per transaction.
    pub results: Vec<TxResult>,
    /// The validator updates this block's end-block returned (effective at height + 2).
    pub validator_updates: Vec<ValidatorUpdate>,
    /// The set that signed this block, with the priorities it had at this height.
    pub validators: ValidatorSet,
    /// The set that signs the next block.
    pub next_validators: ValidatorSet,
    /// The app hash after executing this block (in the next header).
    pub app_hash_after: [u8; 32],
}

impl BlockRecord {
    /// The height.
    pub fn height(&self) -> u64 {
        self.header.height.value()
    }

    /// The transactions.
    pub fn txs(&self) -> &[Vec<u8>] {
        &self.block.data.txs
    }

    /// The light block (signed header, validators, next validators) for at most `N`
    /// validators: what a light client verifies.
    pub fn light_block<const N: usize>(&self) -> Result<LightBlock<N>, Error> {
        Ok(LightBlock {
            signed_header: SignedHeader {
                header: self.header.clone(),
                commit: self.commit.to_verifier()?,
            },
            validators: self.validators.to_verifier()?,
            next_validators: self.next_validators.to_verifier()?,
        })
    }
}

/// The genesis keys and validator sets of `config`: `Validators` is the genesis set
/// incremented once, `NextValidators` twice, as CometBFT's `MakeGenesisState`.
type GenesisSets = (HashMap<Address, ValidatorKey>, ValidatorSet, ValidatorSet);

fn genesis_sets(config: &ChainConfig) -> Result<GenesisSets, Error> {
    let mut keys = HashMap::new();
    let mut genesis = Vec::with_capacity(config.validators.len());
    for (key, power) in &config.validators {
        if keys.insert(key.address(), key.clone()).is_some() {
            return Err(Error::DuplicateValidator {
                address: key.address(),
            });
        }
        genesis.push((key.public_key(), *power));
    }
    let validators = ValidatorSet::new(&genesis)?;
    let mut next_validators = validators.clone();
    next_validators.increment_proposer_priority(1);
    Ok((keys, validators, next_validators))
}

/// The genesis record of `config`, as the database keeps it.
fn stored_genesis(config: &ChainConfig) -> StoredGenesis {
    StoredGenesis {
        chain_id: config.chain_id.clone(),
        genesis_time: Some(pb::Timestamp::from(config.genesis_time)),
        app_version: config.app_version,
        block_max_bytes: config.block_max_bytes,
        block_max_gas: config.block_max_gas,
        stores: config.stores.clone(),
        validators: config
            .validators
            .iter()
            .map(|(k, p)| StoredUpdate {
                pub_key: k.public_key().0.to_vec(),
                power: *p,
            })
            .collect(),
    }
}

/// Refuses a home whose chain was made from another configuration, naming what differs.
fn check_same_genesis(found: &StoredGenesis, wanted: &StoredGenesis) -> Result<(), Error> {
    let what = if found.chain_id != wanted.chain_id {
        format!("chain id {:?}, not {:?}", found.chain_id, wanted.chain_id)
    } else if found.genesis_time != wanted.genesis_time {
        "another genesis time".to_string()
    } else if found.validators != wanted.validators {
        "other genesis validators or powers".to_string()
    } else if found.stores != wanted.stores {
        format!("stores {:?}, not {:?}", found.stores, wanted.stores)
    } else if found != wanted {
        "other app version or block parameters".to_string()
    } else {
        return Ok(());
    };
    Err(Error::HomeMismatch { what })
}

/// A running chain: the state CometBFT keeps between blocks, the blocks produced so far, the
/// keys of its validators and the application state.
pub struct Chain {
    chain_id: ChainId,
    genesis_time: Time,
    app_version: u64,
    consensus_hash: Hash,
    keys: HashMap<Address, ValidatorKey>,
    votes: HashMap<Address, Vote>,
    clock_offsets: HashMap<Address, i64>,
    /// Signs the next block (`state.Validators`).
    validators: ValidatorSet,
    /// Signs the block after (`state.NextValidators`).
    next_validators: ValidatorSet,
    /// Signed the last block (`state.LastValidators`).
    last_validators: Option<ValidatorSet>,
    last_block_id: BlockId,
    last_results_hash: Hash,
    app_hash: [u8; 32],
    last_commit: Option<CommitRecord>,
    pending_updates: Vec<ValidatorUpdate>,
    blocks: Vec<BlockRecord>,
    store: MultiStore,
    app: Box<dyn Application>,
    db: Option<ChainDb>,
}

impl core::fmt::Debug for Chain {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Chain")
            .field("chain_id", &self.chain_id)
            .field("height", &self.height())
            .field("validators", &self.validators.len())
            .finish()
    }
}

impl Chain {
    /// A chain running [`KvApp`].
    pub fn new(config: ChainConfig) -> Result<Self, Error> {
        Self::with_app(config, Box::new(KvApp))
    }

    /// A chain running `app`: builds the genesis validator sets (`Validators` is the genesis set
    /// incremented once, `NextValidators` twice, as CometBFT's `MakeGenesisState`), runs
    /// `init_chain` and commits the genesis state as version 0.
    pub fn with_app(config: ChainConfig, mut app: Box<dyn Application>) -> Result<Self, Error> {
        if config.chain_id.is_empty() {
            return Err(Error::InvalidChainId {
                chain_id: config.chain_id,
            });
        }
        ChainId::new(&config.chain_id).map_err(|_| Error::InvalidChainId {
            chain_id: config.chain_id.clone(),
        })?;
        // The genesis sets are checked before the application runs.
        genesis_sets(&config)?;
        let mut store = MultiStore::new(&config.stores)?;
        app.init_chain(&mut store)?;
        store.commit(0)?;
        Self::with_store(config, app, store)
    }

    /// The genesis state of `config` over `store`, whose latest version is the state the next
    /// block starts from.
    fn with_store(
        config: ChainConfig,
        app: Box<dyn Application>,
        store: MultiStore,
    ) -> Result<Self, Error> {
        let chain_id = ChainId::new(&config.chain_id).map_err(|_| Error::InvalidChainId {
            chain_id: config.chain_id.clone(),
        })?;
        let (keys, validators, next_validators) = genesis_sets(&config)?;
        let app_hash = store.app_hash(0)?;
        Ok(Chain {
            chain_id,
            genesis_time: config.genesis_time,
            app_version: config.app_version,
            consensus_hash: encode::consensus_hash(config.block_max_bytes, config.block_max_gas),
            keys,
            votes: HashMap::new(),
            clock_offsets: HashMap::new(),
            validators,
            next_validators,
            last_validators: None,
            last_block_id: BlockId::default(),
            // CometBFT's handshake sets the genesis state's LastResultsHash to the empty
            // tree's root after InitChain, so the first header carries sha256("").
            last_results_hash: encode::results_hash(&[]),
            app_hash,
            last_commit: None,
            pending_updates: Vec::new(),
            blocks: Vec::new(),
            store,
            app,
            db: None,
        })
    }

    /// A chain kept in `home` (see [`crate::db`]): with no chain there yet, a new one from
    /// `config` running `app` (as [`Chain::with_app`]), written to `<home>/devnet.redb`;
    /// otherwise the chain found there, resumed after its last committed block, which must have
    /// been made from the same `config` (else [`Error::HomeMismatch`]). From then on every block
    /// is written in one transaction before [`Chain::produce_block`] returns it.
    ///
    /// A database another process (or another `Chain`) holds open is refused with
    /// [`Error::Storage`].
    pub fn open(
        home: &std::path::Path,
        config: ChainConfig,
        app: Box<dyn Application>,
    ) -> Result<Self, Error> {
        let db = ChainDb::open(home)?;
        let wanted = stored_genesis(&config);
        match db.genesis()? {
            None => {
                let mut chain = Self::with_app(config, app)?;
                let keys: Vec<&ValidatorKey> = chain.keys.values().collect();
                db.write_genesis(&wanted, &keys, &chain.store)?;
                chain.db = Some(db);
                Ok(chain)
            }
            Some(found) => {
                check_same_genesis(&found, &wanted)?;
                let loaded = db.load(found)?;
                let mut chain = Self::resume(config, app, loaded)?;
                chain.db = Some(db);
                Ok(chain)
            }
        }
    }

    /// The chain state after the loaded blocks.
    fn resume(
        config: ChainConfig,
        app: Box<dyn Application>,
        loaded: crate::db::Loaded,
    ) -> Result<Self, Error> {
        let crate::db::Loaded {
            genesis,
            keys: stored_keys,
            blocks,
            state_next,
            trees,
        } = loaded;
        let latest = blocks.len() as u64;
        let store = MultiStore::from_versions(&genesis.stores, trees, latest)?;
        // The genesis state as configuration makes it, then the last block's.
        let mut chain = Self::with_store(config, app, store)?;
        for key in stored_keys {
            chain.keys.insert(key.address(), key);
        }
        if let (Some(last), Some(state_next)) = (blocks.last(), state_next) {
            chain.validators = last.next_validators.clone();
            chain.next_validators = state_next;
            chain.last_validators = Some(last.validators.clone());
            chain.last_block_id = last.block_id;
            chain.last_results_hash = encode::results_hash(&last.results);
            chain.app_hash = last.app_hash_after;
            chain.last_commit = Some(last.commit.clone());
        }
        if chain.store.app_hash(latest)? != chain.app_hash {
            return Err(Error::Corrupt {
                what: format!("the state at height {latest} does not have the block's app hash"),
            });
        }
        chain.blocks = blocks;
        Ok(chain)
    }

    /// The database the chain is kept in, if it has a home.
    pub fn db(&self) -> Option<&ChainDb> {
        self.db.as_ref()
    }

    #[doc(hidden)]
    pub fn db_mut(&mut self) -> Option<&mut ChainDb> {
        self.db.as_mut()
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        self.chain_id.as_str()
    }

    /// The latest height produced (0 before the first block).
    pub fn height(&self) -> u64 {
        self.blocks.len() as u64
    }

    /// The genesis time (the first block's time).
    pub fn genesis_time(&self) -> Time {
        self.genesis_time
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> Result<&BlockRecord, Error> {
        height
            .checked_sub(1)
            .and_then(|i| self.blocks.get(usize::try_from(i).ok()?))
            .ok_or(Error::UnknownHeight {
                height,
                latest: self.height(),
            })
    }

    /// The latest block, if any.
    pub fn latest_block(&self) -> Option<&BlockRecord> {
        self.blocks.last()
    }

    /// The light block at `height`, for at most `N` validators.
    pub fn light_block<const N: usize>(&self, height: u64) -> Result<LightBlock<N>, Error> {
        self.block(height)?.light_block()
    }

    /// The set that signs the next block.
    pub fn validators(&self) -> &ValidatorSet {
        &self.validators
    }

    /// The set that signs the block after the next.
    pub fn next_validators(&self) -> &ValidatorSet {
        &self.next_validators
    }

    /// The application state.
    pub fn store(&self) -> &MultiStore {
        &self.store
    }

    /// `abci_query` with `prove = true` on `store/<store>/key` at `height` (0: the latest):
    /// the value in the state after block `height` and the proof ops that show it (or its
    /// absence) up to the app hash in the header at `height + 1`. See [`crate::store`] for the
    /// proof specs.
    pub fn query(&self, store: &str, key: &[u8], height: u64) -> Result<QueryProof, Error> {
        let latest = self.height();
        let version = if height == 0 { latest } else { height };
        if version > latest {
            return Err(Error::UnknownHeight { height, latest });
        }
        self.store.query(store, key, version)
    }

    /// Asks the application whether `tx` may enter the mempool (ABCI `CheckTx`), against the
    /// latest committed state.
    pub fn check_tx(&self, tx: &[u8]) -> TxResult {
        self.app.check_tx(tx, &self.store)
    }

    /// The app hash the next header will carry (the state after the latest block).
    pub fn app_hash(&self) -> [u8; 32] {
        self.app_hash
    }

    /// Registers a validator key so the chain can sign with it once it is in the set.
    pub fn add_key(&mut self, key: ValidatorKey) {
        self.keys.insert(key.address(), key);
    }

    /// How the validator with `address` votes from the next block on.
    pub fn set_vote(&mut self, address: Address, vote: Vote) {
        if vote == Vote::Commit {
            self.votes.remove(&address);
        } else {
            self.votes.insert(address, vote);
        }
    }

    /// The validator's clock runs `offset_ms` milliseconds ahead (negative: behind) of the
    /// `now` given to [`Chain::produce_block`]; its vote timestamps follow it.
    pub fn set_clock_offset(&mut self, address: Address, offset_ms: i64) {
        self.clock_offsets.insert(address, offset_ms);
    }

    /// Queues validator updates for the next block's end-block (they take effect two blocks
    /// after it). Checked now against the next set with the updates already queued; on error
    /// nothing is queued. A validator whose key was not given to [`Chain::add_key`] is absent
    /// from every commit (with more than 1/3 of the power, no block can then be committed);
    /// [`Chain::set_validator_power`] registers the key too.
    pub fn update_validators(&mut self, updates: &[ValidatorUpdate]) -> Result<(), Error> {
        let mut all = self.pending_updates.clone();
        for u in updates {
            // A later update of the same key in this batch replaces the queued one.
            all.retain(|q| q.pub_key != u.pub_key);
        }
        // Duplicates within `updates` itself are refused by the change-set check.
        all.extend_from_slice(updates);
        self.next_validators.check_change_set(&all)?;
        self.pending_updates = all;
        Ok(())
    }

    /// Registers `key` and queues setting its power (0 removes it): see
    /// [`Chain::update_validators`].
    pub fn set_validator_power(&mut self, key: &ValidatorKey, power: u64) -> Result<(), Error> {
        self.update_validators(&[ValidatorUpdate {
            pub_key: key.public_key(),
            power,
        }])?;
        self.add_key(key.clone());
        Ok(())
    }

    /// The vote time of `address` for a block at `block_time`: `max(now + offset, block_time +
    /// 1 ms)`.
    fn vote_time(&self, address: &Address, block_time: Time, now: Time) -> Result<Time, Error> {
        let offset = self.clock_offsets.get(address).copied().unwrap_or(0);
        let magnitude = Duration::from_millis(offset.unsigned_abs());
        let local = if offset >= 0 {
            now.checked_add(magnitude)
        } else {
            now.checked_sub(magnitude)
        }
        .ok_or(Error::TimeOutOfRange)?;
        let min = block_time
            .checked_add(Duration::from_millis(1))
            .ok_or(Error::TimeOutOfRange)?;
        Ok(local.max(min))
    }

    /// Signs the commit of `block_id` at `height` by the current signing set.
    fn sign_commit(
        &self,
        height: u64,
        block_id: BlockId,
        block_time: Time,
        now: Time,
    ) -> Result<CommitRecord, Error> {
        let h = i64::try_from(height).map_err(|_| Error::UnknownHeight {
            height,
            latest: self.height(),
        })?;
        let for_block = VoteTemplate::new(PRECOMMIT_TYPE, h, 0, Some(&block_id), self.chain_id());
        let for_nil = VoteTemplate::new(PRECOMMIT_TYPE, h, 0, None, self.chain_id());
        let mut signatures = Vec::with_capacity(self.validators.len());
        let mut signed: u64 = 0;
        for v in self.validators.validators() {
            let key = self.keys.get(&v.address);
            let vote = match key {
                None => Vote::Absent,
                Some(_) => self.votes.get(&v.address).copied().unwrap_or_default(),
            };
            let sig = match (vote, key) {
                (Vote::Absent, _) | (_, None) => CommitSig::Absent,
                (Vote::Commit, Some(key)) => {
                    let timestamp = self.vote_time(&v.address, block_time, now)?;
                    signed = signed.saturating_add(v.power.unsigned_abs());
                    CommitSig::Commit {
                        validator_address: v.address,
                        timestamp,
                        signature: key.sign(for_block.sign_bytes(&timestamp)?.as_bytes()),
                    }
                }
                (Vote::Nil, Some(key)) => {
                    let timestamp = self.vote_time(&v.address, block_time, now)?;
                    CommitSig::Nil {
                        validator_address: v.address,
                        timestamp,
                        signature: key.sign(for_nil.sign_bytes(&timestamp)?.as_bytes()),
                    }
                }
            };
            signatures.push(sig);
        }
        let total = self.validators.total_power().unsigned_abs();
        if u128::from(signed) * 3 <= u128::from(total) * 2 {
            return Err(Error::NoQuorum {
                height,
                signed,
                total,
            });
        }
        Ok(CommitRecord {
            height,
            round: 0,
            block_id,
            signatures,
        })
    }

    /// Produces, signs, executes and commits the next block with `txs`, its validators voting
    /// at `now` (plus their clock offsets). Returns the block.
    ///
    /// On error (no quorum, a time out of range) the chain is unchanged.
    pub fn produce_block(&mut self, txs: Vec<Vec<u8>>, now: Time) -> Result<&BlockRecord, Error> {
        let height = self.height() + 1;
        let time = match (&self.last_commit, &self.last_validators) {
            (Some(commit), Some(last)) => median_time(&commit.signatures, last),
            _ => self.genesis_time,
        };
        // The end-block's updates, checked before anything changes.
        let updates = self.pending_updates.clone();
        let mut next = self.next_validators.clone();
        next.update_with_change_set(&updates)?;

        let proposer = self
            .validators
            .proposer()
            .map(|v| v.address)
            .ok_or(Error::NoValidators)?;
        let last_commit = self
            .last_commit
            .as_ref()
            .map(CommitRecord::to_pb)
            .unwrap_or_default();
        let header = Header {
            version: Version {
                block: BLOCK_PROTOCOL,
                app: self.app_version,
            },
            chain_id: self.chain_id.clone(),
            height: Height::new(height)?,
            time,
            last_block_id: self.last_block_id,
            last_commit_hash: encode::commit_hash(&last_commit),
            data_hash: encode::data_hash(&txs),
            validators_hash: self.validators.hash()?,
            next_validators_hash: self.next_validators.hash()?,
            consensus_hash: self.consensus_hash,
            app_hash: AppHash::from_bytes(&self.app_hash)?,
            last_results_hash: self.last_results_hash,
            evidence_hash: encode::evidence_hash(&[]),
            proposer_address: proposer,
        };
        let block = encode::Block {
            header: pb::Header::from(&header),
            data: encode::Data { txs },
            evidence: pb::EvidenceList::default(),
            last_commit: Some(last_commit),
        };
        let bytes = block.encode_to_vec();
        let block_id = BlockId {
            hash: header.hash(),
            part_set_header: encode::part_set_header(&bytes),
        };
        let commit = self.sign_commit(height, block_id, time, now)?;

        // Execute and commit the state; then, with a home, write the block in one transaction.
        let mut results = Vec::with_capacity(block.data.txs.len());
        for tx in &block.data.txs {
            results.push(self.app.deliver_tx(height, tx, &mut self.store));
        }
        let app_hash = match self.store.commit(height) {
            Ok(h) => h,
            Err(e) => {
                self.store.discard_pending();
                return Err(e);
            }
        };

        // updateState.
        next.increment_proposer_priority(1);
        let record = BlockRecord {
            header,
            block_id,
            size: bytes.len(),
            block,
            commit: commit.clone(),
            results,
            validator_updates: updates,
            validators: self.validators.clone(),
            next_validators: self.next_validators.clone(),
            app_hash_after: app_hash,
        };
        if let Some(db) = &self.db {
            let keys: Vec<&ValidatorKey> = self.keys.values().collect();
            if let Err(e) = db.write_block(&record, &next, &keys, &self.store) {
                // Nothing was written: the chain stays at the previous block.
                self.store.discard_latest(height);
                return Err(e);
            }
        }
        self.last_results_hash = encode::results_hash(&record.results);
        self.pending_updates.clear();
        let signing = core::mem::replace(&mut self.validators, self.next_validators.clone());
        self.next_validators = next;
        self.last_validators = Some(signing);
        self.last_block_id = block_id;
        self.app_hash = app_hash;
        self.last_commit = Some(commit);
        self.blocks.push(record);
        self.blocks.last().ok_or(Error::UnknownHeight {
            height,
            latest: height,
        })
    }

    /// Produces `count` empty blocks, the `i`-th voted at `start + i * interval`.
    pub fn produce_empty_blocks(
        &mut self,
        count: u64,
        start: Time,
        interval: Duration,
    ) -> Result<(), Error> {
        let mut now = start;
        for _ in 0..count {
            self.produce_block(Vec::new(), now)?;
            now = now.checked_add(interval).ok_or(Error::TimeOutOfRange)?;
        }
        Ok(())
    }
}
