//! The operator's networked commands, as library calls: `ferry light init | sync | status`
//! and `ferry create client` / `ferry update client` over the chains of the config, each returning a result the CLI prints (nothing here
//! prints, reads the environment or exits).
//!
//! Everything a chain says is verified before it is used: the trust root against the hash
//! the operator gives, later blocks by [`crate::light::LightClient`].
//!
//! Exit codes ([`OpsError::exit_code`], sysexits where one fits):
//!
//! | code | meaning |
//! |---:|---|
//! | 1 | verification failed: the block at the trusted height has another hash, a block is invalid, a witness diverged; or the host chain refused a transaction |
//! | 3 | the trusted state expired: re-initialise (`ferry light init --force`) |
//! | 64 | bad option: unknown chain, bad hash or height |
//! | 65 | invalid config, corrupt store |
//! | 66 | config unreadable, no trusted state for the chain (run `ferry light init`), the signing key or the IBC client not found |
//! | 69 | a chain is unreachable, or its node serves another chain or cannot answer |
//! | 73 | a trusted state is stored already (without `--force`), the store cannot be written |

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
#![allow(clippy::result_large_err)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_verifier::client::{Client, ClientHeight, ClientState, ConsensusState};
use ferry_verifier::ibc::{client_state_path, consensus_state_path};
use ferry_verifier::pb::{self, ibc as pbi};
use ferry_verifier::proof::cosmos_sdk_specs;
use ferry_verifier::{ChainId, Hash, Height, Options, Time};

use crate::chain::{Chain, ChainError, RpcChain};
use crate::config::{ChainConfig, Config, ConfigError};
use crate::cosmos::{self, proto::Coin, proto::Fee, TxParams};
use crate::keys::{KeyError, KeyStore};
use crate::light::{
    LightClient, LightClientBuilder, LightError, LightOptions, LightStore, Progress, SyncReport,
    TrustRoot,
};
use crate::rpc::{RpcClient, RpcConfig};

/// Why a networked command failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpsError {
    /// The config could not be had.
    Config(Box<ConfigError>),
    /// The chain is not in the config.
    UnknownChain {
        /// The id given.
        chain: String,
        /// The chains of the config.
        known: Vec<String>,
    },
    /// A command-line value is not acceptable.
    BadOption {
        /// The option.
        option: &'static str,
        /// Why.
        reason: String,
    },
    /// A chain's node could not be reached, serves another chain, or could not answer.
    Unreachable {
        /// The chain.
        chain: String,
        /// Why.
        error: Box<ChainError>,
    },
    /// The light client refused or failed (boxed: a verification error is large).
    Light(Box<LightError>),
    /// The signing key could not be had.
    Key(KeyError),
    /// A transaction could not be built or signed.
    Sign(cosmos::Error),
    /// The host chain refused a transaction (in `check_tx` or in the block).
    TxRefused {
        /// The host chain.
        chain: String,
        /// `check_tx` or `deliver_tx`.
        stage: &'static str,
        /// ABCI code.
        code: u32,
        /// Its module.
        codespace: String,
        /// The chain's reason.
        log: String,
    },
    /// An IBC client on the host chain is missing, of another chain, or not as expected.
    Client {
        /// The host chain.
        chain: String,
        /// The client.
        client_id: String,
        /// What is wrong.
        reason: String,
    },
}

impl OpsError {
    /// The process exit code (see the module documentation).
    pub fn exit_code(&self) -> i32 {
        match self {
            OpsError::Config(e) => e.exit_code(),
            OpsError::UnknownChain { .. } | OpsError::BadOption { .. } => 64,
            OpsError::Unreachable { .. } => 69,
            OpsError::Light(e) => match &**e {
                LightError::NotInitialized { .. } => 66,
                LightError::AlreadyInitialized { .. } => 73,
                LightError::TrustExpired { .. } => 3,
                LightError::Chain { .. } | LightError::WrongHeight { .. } => 69,
                LightError::Store(crate::light::StoreError::Open { .. }) => 73,
                LightError::Store(_) => 65,
                LightError::BelowTrusted { .. } => 64,
                _ => 1,
            },
            OpsError::Key(e) => e.exit_code(),
            OpsError::Sign(_) => 65,
            OpsError::TxRefused { .. } => 1,
            OpsError::Client { .. } => 66,
        }
    }
}

impl fmt::Display for OpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpsError::Config(e) => e.fmt(f),
            OpsError::UnknownChain { chain, known } => write!(
                f,
                "no chain {chain:?} in the config (its chains: {}); add a [[chains]] table \
                 for it",
                known.join(", ")
            ),
            OpsError::BadOption { option, reason } => write!(f, "{option}: {reason}"),
            OpsError::Unreachable { chain, error } => write!(
                f,
                "chain {chain}: {error} (is the node running, and is `rpc` in the config \
                 right?)"
            ),
            OpsError::Light(e) => match &**e {
                LightError::AlreadyInitialized {
                    chain_id,
                    height,
                    hash,
                } => write!(
                    f,
                    "chain {chain_id} already has a trusted state (height {height}, {hash}); \
                 nothing was changed (give --force to replace it)"
                ),
                e => e.fmt(f),
            },
            OpsError::Key(e) => e.fmt(f),
            OpsError::Sign(e) => write!(f, "cannot sign the transaction: {e}"),
            OpsError::TxRefused {
                chain,
                stage,
                code,
                codespace,
                log,
            } => write!(
                f,
                "chain {chain} refused the transaction ({stage}, code {code}, {codespace}): \
                 {log}"
            ),
            OpsError::Client {
                chain,
                client_id,
                reason,
            } => write!(f, "client {client_id} on chain {chain}: {reason}"),
        }
    }
}

impl std::error::Error for OpsError {}

impl From<ConfigError> for OpsError {
    fn from(e: ConfigError) -> Self {
        OpsError::Config(Box::new(e))
    }
}

impl From<KeyError> for OpsError {
    fn from(e: KeyError) -> Self {
        OpsError::Key(e)
    }
}

impl From<LightError> for OpsError {
    fn from(e: LightError) -> Self {
        OpsError::Light(Box::new(e))
    }
}

/// The config and where the data is: loaded once per command.
#[derive(Clone, Debug)]
pub struct Context {
    /// The config.
    pub config: Config,
    /// The data directory (keys, light store).
    pub data_dir: PathBuf,
}

impl Context {
    /// Loads the config at `config_path` for the Ferry home `home`.
    pub fn load(home: &Path, config_path: &Path) -> Result<Context, OpsError> {
        let config = Config::load(config_path)?;
        let data_dir = config.data_dir(home, config_path)?;
        Ok(Context { config, data_dir })
    }

    /// The config of chain `id`.
    pub fn chain(&self, id: &str) -> Result<&ChainConfig, OpsError> {
        self.config.chain(id).ok_or_else(|| OpsError::UnknownChain {
            chain: id.to_string(),
            known: self.config.chains.iter().map(|c| c.id.clone()).collect(),
        })
    }
}

/// The light-client options of a configured chain.
pub fn light_options(chain: &ChainConfig) -> LightOptions {
    LightOptions {
        verify: Options {
            trust_threshold: chain.trust_threshold,
            trusting_period: chain.trusting_period,
            clock_drift: chain.clock_drift,
            ..Options::default()
        },
        ..LightOptions::default()
    }
}

fn chain_id(chain: &ChainConfig) -> Result<ChainId, OpsError> {
    ChainId::new(&chain.id).map_err(|e| OpsError::BadOption {
        option: "chain",
        reason: format!("{:?} is not a chain id: {e}", chain.id),
    })
}

/// Connects to a node at `url` of `chain` (checking that it serves that chain id).
async fn connect_url(chain: &ChainConfig, url: &str) -> Result<RpcChain, OpsError> {
    let unreachable = |error: ChainError| OpsError::Unreachable {
        chain: chain.id.clone(),
        error: Box::new(error),
    };
    // Relaying searches transactions by their packet events; a transaction of 100 transfers
    // carries 100 events, so a page of 100 of them is tens of megabytes that a node may not
    // serve within the timeout. Small pages, more of them.
    let config = RpcConfig {
        per_page: 10,
        max_pages: 2000,
        ..RpcConfig::default()
    };
    let rpc = RpcClient::new(url, config).map_err(|e| unreachable(e.into()))?;
    RpcChain::connect(rpc, &chain_id(chain)?)
        .await
        .map_err(unreachable)
}

/// Connects to the primary node of `chain`.
pub async fn connect(chain: &ChainConfig) -> Result<RpcChain, OpsError> {
    connect_url(chain, &chain.rpc).await
}

/// A light-client builder for `chain`: its primary, its witnesses (those that cannot be
/// reached are left out, and named in the returned list), `store`.
async fn builder(
    chain: &ChainConfig,
    store: LightStore,
) -> Result<(LightClientBuilder<RpcChain>, Vec<String>), OpsError> {
    let primary = connect(chain).await?;
    let mut witnesses = Vec::new();
    let mut skipped = Vec::new();
    for url in &chain.witnesses {
        match connect_url(chain, url).await {
            Ok(w) => witnesses.push(w),
            Err(e) => skipped.push(format!("witness {url}: {e}")),
        }
    }
    let mut b = LightClientBuilder::new(primary, store).options(light_options(chain));
    for w in witnesses {
        b = b.witness(w);
    }
    Ok((b, skipped))
}

/// Parses `--height` (at least 1).
pub fn parse_height(option: &'static str, h: u64) -> Result<Height, OpsError> {
    Height::new(h).map_err(|e| OpsError::BadOption {
        option,
        reason: format!("{h}: {e}"),
    })
}

/// Parses `--hash` (64 hex digits).
pub fn parse_hash(text: &str) -> Result<Hash, OpsError> {
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let bad = |reason: String| OpsError::BadOption {
        option: "--hash",
        reason,
    };
    if text.len() != 64 {
        return Err(bad(format!(
            "{text:?} is not a block hash: expected 64 hex digits (a header hash, as \
             /block's block_id.hash)"
        )));
    }
    Hash::from_hex(text, "--hash").map_err(|e| bad(e.to_string()))
}

/// What `ferry light init` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitReport {
    /// The chain.
    pub chain_id: ChainId,
    /// The root stored.
    pub root: TrustRoot,
    /// The trusted block's time.
    pub time: Time,
    /// When it stops vouching for new blocks.
    pub expires_at: Option<Time>,
    /// Whether the same root was stored already (nothing changed).
    pub unchanged: bool,
    /// Whether another stored state was replaced (`--force`).
    pub replaced: bool,
    /// The store file.
    pub store: PathBuf,
    /// Witnesses that could not be reached (not consulted).
    pub skipped_witnesses: Vec<String>,
}

/// `ferry light init`: checks the primary's block at `root.height` against `root.hash`
/// (before the store is opened: a wrong hash writes nothing), verifies it and stores it as
/// the chain's trust root. Another stored root is replaced only with `force`.
pub async fn light_init(
    ctx: &Context,
    chain: &str,
    root: TrustRoot,
    force: bool,
) -> Result<InitReport, OpsError> {
    let chain = ctx.chain(chain)?;
    // The hash first, so that a wrong one leaves no store behind.
    let primary = connect(chain).await?;
    let block = Chain::<{ ferry_verifier::MAX_VALIDATORS }>::light_block(&primary, root.height)
        .await
        .map_err(|error| LightError::Chain {
            source: chain.rpc.clone(),
            height: Some(root.height),
            error,
        })?;
    let actual = block.header().hash();
    if actual != root.hash {
        return Err(LightError::TrustRootMismatch {
            source: chain.rpc.clone(),
            height: root.height,
            expected: root.hash,
            actual,
        }
        .into());
    }
    drop(block);
    let store = LightStore::open(&ctx.data_dir).map_err(LightError::from)?;
    let existing = store
        .load::<{ ferry_verifier::MAX_VALIDATORS }>(&chain_id(chain)?)
        .map_err(LightError::from)?;
    let unchanged = existing.as_ref().is_some_and(|s| s.root == root);
    let replaced = existing.is_some() && !unchanged;
    let (b, skipped_witnesses) = builder(chain, store).await?;
    let lc = if force && replaced {
        b.reinit(root).await?
    } else {
        b.init(root).await?
    };
    Ok(InitReport {
        chain_id: lc.chain_id().clone(),
        root,
        time: lc.trusted().header().time,
        expires_at: lc.expires_at(),
        unchanged,
        replaced,
        store: lc.store().path().to_path_buf(),
        skipped_witnesses,
    })
}

/// `ferry light sync`: from the stored trusted state to `height` (the latest when `None`),
/// `progress` told of each step.
pub async fn light_sync(
    ctx: &Context,
    chain: &str,
    height: Option<Height>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<(SyncReport, Vec<String>), OpsError> {
    let chain = ctx.chain(chain)?;
    let lc = open(chain, &ctx.data_dir).await?;
    let (mut lc, skipped) = lc;
    lc.check_expiry()?;
    let report = match height {
        Some(h) => lc.verify_to_with(h, progress).await?,
        None => lc.sync(progress).await?,
    };
    Ok((report, skipped))
}

/// Opens the light store of `data_dir` if there is one ([`LightError::NotInitialized`]
/// without creating it otherwise).
fn existing_store(data_dir: &Path, id: &ChainId) -> Result<LightStore, OpsError> {
    let file = data_dir.join(crate::light::STORE_FILE);
    if !file.exists() {
        return Err(LightError::NotInitialized {
            chain_id: id.clone(),
            store: file,
        }
        .into());
    }
    Ok(LightStore::open(data_dir).map_err(LightError::from)?)
}

/// Opens the stored light client of `chain` (connected to its nodes).
pub async fn open(
    chain: &ChainConfig,
    data_dir: &Path,
) -> Result<(LightClient<RpcChain>, Vec<String>), OpsError> {
    // Without a stored state, say so before trying the network.
    let id = chain_id(chain)?;
    let store = existing_store(data_dir, &id)?;
    if store
        .load::<{ ferry_verifier::MAX_VALIDATORS }>(&id)
        .map_err(LightError::from)?
        .is_none()
    {
        return Err(LightError::NotInitialized {
            chain_id: id,
            store: store.path().to_path_buf(),
        }
        .into());
    }
    let (b, skipped) = builder(chain, store).await?;
    Ok((b.open()?, skipped))
}

/// What `ferry light status` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The chain.
    pub chain_id: ChainId,
    /// The root the operator trusted.
    pub root: TrustRoot,
    /// The latest trusted height.
    pub height: Height,
    /// Its header hash.
    pub hash: Hash,
    /// Its time.
    pub time: Time,
    /// When it stops vouching for new blocks.
    pub expires_at: Option<Time>,
    /// Whether it has expired.
    pub expired: bool,
    /// The store file.
    pub store: PathBuf,
}

/// `ferry light status`: the stored trusted state of `chain` (no network).
pub fn light_status(ctx: &Context, chain: &str, now: Time) -> Result<Status, OpsError> {
    let chain = ctx.chain(chain)?;
    let id = chain_id(chain)?;
    let store = existing_store(&ctx.data_dir, &id)?;
    let state = store
        .load::<{ ferry_verifier::MAX_VALIDATORS }>(&id)
        .map_err(LightError::from)?
        .ok_or_else(|| LightError::NotInitialized {
            chain_id: id.clone(),
            store: store.path().to_path_buf(),
        })?;
    let header = state.trusted.header();
    let expires_at = header.time.checked_add(chain.trusting_period);
    Ok(Status {
        chain_id: id,
        root: state.root,
        height: state.trusted.height(),
        hash: header.hash(),
        time: header.time,
        expires_at,
        expired: expires_at.is_none_or(|e| e <= now),
        store: store.path().to_path_buf(),
    })
}

// ------------------------------------------------------------------------------------------
// IBC clients

/// The host chain's signer: the configured key and its address there.
pub(crate) struct HostSigner<'a> {
    chain: &'a ChainConfig,
    rpc: RpcChain,
    signer: cosmos::Secp256k1Signer,
    address: String,
}

impl<'a> HostSigner<'a> {
    pub(crate) async fn new(
        ctx: &Context,
        chain: &'a ChainConfig,
    ) -> Result<HostSigner<'a>, OpsError> {
        Self::with_key(ctx, chain, &chain.key).await
    }

    /// The signer of `key` (another than the chain's configured one) on `chain`.
    pub(crate) async fn with_key(
        ctx: &Context,
        chain: &'a ChainConfig,
        key: &str,
    ) -> Result<HostSigner<'a>, OpsError> {
        let key = KeyStore::new(&ctx.data_dir).get(key)?;
        let signer = key.signer()?;
        let address = key.address_with_prefix(&chain.account_prefix)?;
        let rpc = connect(chain).await?;
        Ok(HostSigner {
            chain,
            rpc,
            signer,
            address,
        })
    }

    fn unreachable(&self, error: impl Into<ChainError>) -> OpsError {
        OpsError::Unreachable {
            chain: self.chain.id.clone(),
            error: Box::new(error.into()),
        }
    }

    /// The signer's address on the host.
    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    /// The host chain's id.
    pub(crate) fn chain_id(&self) -> &str {
        &self.chain.id
    }

    /// The host chain's node.
    pub(crate) fn rpc(&self) -> &RpcChain {
        &self.rpc
    }

    /// [`Self::submit_at`], the events only.
    async fn submit(
        &self,
        msgs: Vec<ferry_verifier::pb::Any>,
    ) -> Result<Vec<crate::rpc::Event>, OpsError> {
        Ok(self.submit_at(msgs).await?.1)
    }

    /// The account's number and sequence.
    async fn account(&self) -> Result<crate::chain::Account, OpsError> {
        Chain::<{ ferry_verifier::MAX_VALIDATORS }>::account(&self.rpc, &self.address)
            .await
            .map_err(|e| match e {
                ChainError::QueryFailed { log, .. } => OpsError::Client {
                    chain: self.chain.id.clone(),
                    client_id: String::new(),
                    reason: format!(
                        "the signing account {} cannot be read ({log}): fund it first",
                        self.address
                    ),
                },
                e => self.unreachable(e),
            })
    }

    fn sign(
        &self,
        msgs: &[ferry_verifier::pb::Any],
        account: crate::chain::Account,
        gas: u64,
    ) -> Result<cosmos::SignedTx, OpsError> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let fee = (gas as f64 * self.chain.gas_price.amount).ceil() as u128;
        let params = TxParams {
            chain_id: self.chain.id.clone(),
            account_number: account.number,
            sequence: account.sequence,
            fee: Fee::new(Coin::new(fee, &self.chain.gas_price.denom), gas),
            memo: "ferry".into(),
            timeout_height: 0,
        };
        cosmos::sign_tx(&self.signer, msgs.to_vec(), &params).map_err(OpsError::Sign)
    }

    /// The gas limit for `msgs`: the chain's simulation of them times `gas_multiplier`
    /// (rounded up). A node that cannot be reached for the simulation leaves
    /// `default_gas`; a simulation the chain refuses is the transaction's refusal (nothing
    /// is sent and no fee paid), and one that needs more than `max_gas` is refused here.
    async fn gas(
        &self,
        msgs: &[ferry_verifier::pb::Any],
        account: crate::chain::Account,
    ) -> Result<u64, OpsError> {
        let probe = self.sign(msgs, account, self.chain.max_gas)?;
        let q = cosmos::simulate_query(&probe.to_bytes());
        let answer = match self
            .rpc
            .rpc()
            .abci_query(q.path, &q.data, None, false)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(chain = %self.chain.id, error = %e,
                    "gas simulation failed; using default_gas {}", self.chain.default_gas);
                return Ok(self.chain.default_gas.min(self.chain.max_gas));
            }
        };
        if answer.code != 0 {
            return Err(OpsError::TxRefused {
                chain: self.chain.id.clone(),
                stage: "simulate",
                code: answer.code,
                codespace: answer.codespace,
                log: answer.log,
            });
        }
        let used = cosmos::decode_simulate(&answer.value).map_err(|e| {
            self.unreachable(ChainError::Decode {
                what: "cosmos.tx.v1beta1.SimulateResponse",
                reason: e.to_string(),
            })
        })?;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let gas = (used as f64 * self.chain.gas_multiplier).ceil() as u64;
        if gas > self.chain.max_gas {
            return Err(OpsError::TxRefused {
                chain: self.chain.id.clone(),
                stage: "simulate",
                code: 0,
                codespace: "ferry".into(),
                log: format!(
                    "the transaction needs {gas} gas ({used} simulated times gas_multiplier \
                     {}), more than max_gas {}: raise max_gas or send fewer messages per \
                     transaction (--batch)",
                    self.chain.gas_multiplier, self.chain.max_gas
                ),
            });
        }
        Ok(gas.max(1))
    }

    /// Signs `msgs` with the account's current number and sequence, with the simulated gas
    /// times `gas_multiplier` as the gas limit (see [`Self::gas`]) and `ceil(gas *
    /// gas_price)` as the fee, and broadcasts them, waiting for the block. A sequence the
    /// node says is wrong (another user of the key, or a node behind) is read again and the
    /// transaction signed anew, up to three times. Returns the block height and the events
    /// of the transaction.
    pub(crate) async fn submit_at(
        &self,
        msgs: Vec<ferry_verifier::pb::Any>,
    ) -> Result<(u64, Vec<crate::rpc::Event>), OpsError> {
        let mut retries = 0u32;
        let mut next_sequence = None;
        loop {
            let mut account = self.account().await?;
            if let Some(seq) = next_sequence.take() {
                account.sequence = seq;
            }
            let refused = |stage, code, codespace: &str, log: &str| OpsError::TxRefused {
                chain: self.chain.id.clone(),
                stage,
                code,
                codespace: codespace.to_string(),
                log: log.to_string(),
            };
            let result = async {
                let gas = self.gas(&msgs, account).await?;
                let tx = self.sign(&msgs, account, gas)?;
                let r = self
                    .rpc
                    .rpc()
                    .broadcast_tx_commit(&tx.to_bytes())
                    .await
                    .map_err(|e| self.unreachable(e))?;
                for (stage, result) in [("check_tx", &r.check_tx), ("deliver_tx", &r.tx_result)] {
                    if result.code != 0 {
                        return Err(refused(stage, result.code, &result.codespace, &result.log));
                    }
                }
                Ok((r.height, r.tx_result.events))
            }
            .await;
            match result {
                Err(OpsError::TxRefused { ref log, .. })
                    if retries < 3 && expected_sequence(log).is_some() =>
                {
                    retries = retries.saturating_add(1);
                    next_sequence = expected_sequence(log);
                    tracing::warn!(chain = %self.chain.id, sequence = account.sequence, %log,
                        "account sequence mismatch; signing with the one the node expects");
                }
                other => return other,
            }
        }
    }
}

impl HostSigner<'_> {
    /// Signs each of `txs` (one list of messages per transaction) with consecutive
    /// sequences from the account's current one, broadcasts them one after the other with
    /// `broadcast_tx_sync` (each enters the mempool after the one before, so they can land
    /// in one block: later ones may rely on an earlier one's client update, which ibc-go
    /// applies to the mempool's state in `check_tx`), and waits until each is in a block.
    /// Gas is simulated against the mempool's state, once per shape of transaction (the
    /// same message types in the same order). Returns the height
    /// and events of each transaction that went through, in order, and the error that
    /// stopped the rest (a transaction refused or not included: those after it are not
    /// sent).
    pub(crate) async fn submit_many(
        &self,
        txs: Vec<Vec<ferry_verifier::pb::Any>>,
    ) -> (Vec<(u64, Vec<crate::rpc::Event>)>, Option<OpsError>) {
        let mut done = Vec::new();
        if txs.len() <= 1 {
            for msgs in txs {
                match self.submit_at(msgs).await {
                    Ok(r) => done.push(r),
                    Err(e) => return (done, Some(e)),
                }
            }
            return (done, None);
        }
        let mut account = None;
        let (hashes, sent_err) = self.broadcast_many(&txs, &mut account).await;
        let (done, included_err) = self.await_included(&hashes).await;
        (done, included_err.or(sent_err))
    }

    /// Signs each of `txs` with consecutive sequences from `account` (read from the chain
    /// when `None`; left at the next sequence, so that a later call continues the run of
    /// sequences before the chain has included these) and broadcasts them one after the
    /// other with `broadcast_tx_sync`, as [`Self::submit_many`] does, without waiting for
    /// blocks. Returns the hashes of those the mempool accepted, in order, and the error
    /// that stopped the rest.
    pub(crate) async fn broadcast_many(
        &self,
        txs: &[Vec<ferry_verifier::pb::Any>],
        account: &mut Option<crate::chain::Account>,
    ) -> (Vec<Hash>, Option<OpsError>) {
        let mut hashes = Vec::new();
        let mut acct = match *account {
            Some(a) => a,
            None => match self.account().await {
                Ok(a) => a,
                Err(e) => return (hashes, Some(e)),
            },
        };
        let mut error = None;
        let mut retries = 0u32;
        // Transactions of the same messages types (a full batch after the first, which
        // carries the client update) are simulated once: their gas differs by a few
        // hundred units in hundreds of thousands, well within `gas_multiplier`.
        let mut simulated: std::collections::HashMap<Vec<&str>, u64> =
            std::collections::HashMap::new();
        let mut queue = txs.iter().peekable();
        while let Some(msgs) = queue.peek() {
            let msgs = *msgs;
            let shape: Vec<&str> = msgs.iter().map(|m| m.type_url.as_str()).collect();
            let known = simulated.get(&shape).copied();
            let sent = async {
                let gas = match known {
                    Some(g) => g,
                    None => self.gas(msgs, acct).await?,
                };
                let tx = self.sign(msgs, acct, gas)?;
                let r = self
                    .rpc
                    .rpc()
                    .broadcast_tx_sync(&tx.to_bytes())
                    .await
                    .map_err(|e| self.unreachable(e))?;
                if r.check_tx.code != 0 {
                    return Err(OpsError::TxRefused {
                        chain: self.chain.id.clone(),
                        stage: "check_tx",
                        code: r.check_tx.code,
                        codespace: r.check_tx.codespace,
                        log: r.check_tx.log,
                    });
                }
                Ok((r.hash, gas))
            }
            .await;
            match sent {
                Ok((h, gas)) => {
                    simulated.insert(shape, gas);
                    hashes.push(h);
                    acct.sequence = acct.sequence.saturating_add(1);
                    queue.next();
                }
                // Transactions of ours still in the mempool (from a relayer killed before
                // they were included) put the mempool's sequence ahead of the chain's.
                Err(OpsError::TxRefused { ref log, .. })
                    if retries < 3 && expected_sequence(log).is_some() =>
                {
                    retries = retries.saturating_add(1);
                    let expected = expected_sequence(log).unwrap_or(acct.sequence);
                    tracing::warn!(chain = %self.chain.id, sequence = acct.sequence, expected,
                        "account sequence mismatch; signing with the one the node expects");
                    acct.sequence = expected;
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        *account = Some(acct);
        (hashes, error)
    }

    /// Waits until each of `hashes` is in a block, in order: their heights and events, and
    /// the error (a refusal in the block, or none in time) that stopped the waiting.
    pub(crate) async fn await_included(
        &self,
        hashes: &[Hash],
    ) -> (Vec<(u64, Vec<crate::rpc::Event>)>, Option<OpsError>) {
        let mut done = Vec::new();
        for hash in hashes {
            match self.included(hash).await {
                Ok(r) => done.push(r),
                Err(e) => return (done, Some(e)),
            }
        }
        (done, None)
    }

    /// Waits until the transaction `hash` is in a block (at most the RPC's commit timeout);
    /// its height and events, or the chain's refusal.
    async fn included(&self, hash: &Hash) -> Result<(u64, Vec<crate::rpc::Event>), OpsError> {
        let start = std::time::Instant::now();
        loop {
            match self.rpc.rpc().tx(hash).await {
                Ok(t) if t.tx_result.code != 0 => {
                    return Err(OpsError::TxRefused {
                        chain: self.chain.id.clone(),
                        stage: "deliver_tx",
                        code: t.tx_result.code,
                        codespace: t.tx_result.codespace,
                        log: t.tx_result.log,
                    })
                }
                Ok(t) => return Ok((t.height.value(), t.tx_result.events)),
                Err(e) if start.elapsed() > Duration::from_secs(60) => {
                    return Err(self.unreachable(ChainError::Unavailable {
                        reason: format!(
                            "transaction {hash} not in a block after 60 s (last answer: {e})"
                        ),
                    }))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

/// The sequence in the Cosmos SDK's `ErrWrongSequence` message (`account sequence
/// mismatch, expected 27, got 26`), as `check_tx` (code 32) or a simulation (code 6, the
/// message wrapped) give it.
fn expected_sequence(log: &str) -> Option<u64> {
    let rest = log.split("account sequence mismatch, expected ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The unbonding period of a Cosmos SDK chain (its staking params; unverified: it only
/// sets the client's parameters, which the host chain checks).
async fn unbonding_period(chain: &ChainConfig, rpc: &RpcChain) -> Result<Duration, OpsError> {
    let q = cosmos::staking_params_query();
    let unreachable = |error: ChainError| OpsError::Unreachable {
        chain: chain.id.clone(),
        error: Box::new(error),
    };
    let answer = rpc
        .rpc()
        .abci_query(q.path, &q.data, None, false)
        .await
        .map_err(|e| unreachable(e.into()))?;
    if answer.code != 0 {
        return Err(unreachable(ChainError::QueryFailed {
            path: q.path.to_string(),
            code: answer.code,
            codespace: answer.codespace,
            log: answer.log,
        }));
    }
    cosmos::decode_unbonding_period(&answer.value).map_err(|e| {
        unreachable(ChainError::Decode {
            what: "cosmos.staking.v1beta1.QueryParamsResponse",
            reason: e.to_string(),
        })
    })
}

/// What `ferry create client` made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedClient {
    /// The client id on the host chain (`07-tendermint-N`).
    pub client_id: String,
    /// The target chain's height the client starts from (verified by the light client).
    pub height: Height,
    /// The client's trusting period.
    pub trusting_period: Duration,
    /// The target's unbonding period.
    pub unbonding_period: Duration,
}

/// `ferry create client`: verifies the target chain's latest block with its light client
/// (which must be initialised), builds a 07-tendermint client state (trust threshold of the
/// target's config; trusting period the smaller of the config's and 2/3 of the target's
/// unbonding period; clock drift the two chains' drifts plus the host's block time; the
/// Cosmos SDK proof specs) and consensus state from it, and creates the client on the host
/// with a transaction signed by the host's configured key.
pub async fn create_client(
    ctx: &Context,
    host: &str,
    target: &str,
) -> Result<CreatedClient, OpsError> {
    let host = ctx.chain(host)?;
    let target = ctx.chain(target)?;
    let signer = HostSigner::new(ctx, host).await?;
    let (mut lc, _) = open(target, &ctx.data_dir).await?;
    lc.check_expiry()?;
    lc.sync(&mut |_| {}).await?;
    let unbonding = unbonding_period(target, lc.primary()).await?;
    let trusting = target.trusting_period.min(
        unbonding
            .saturating_mul(2)
            .checked_div(3)
            .unwrap_or_default(),
    );
    let block = lc.trusted();
    let target_id = chain_id(target)?;
    let state = ClientState {
        chain_id: target_id.clone(),
        trust_level: target.trust_threshold,
        trusting_period: trusting,
        unbonding_period: unbonding,
        max_clock_drift: target
            .clock_drift
            .saturating_add(host.clock_drift)
            .saturating_add(host.max_block_time),
        latest_height: ClientHeight::of(&target_id, block.height()),
        frozen_height: ClientHeight::default(),
        proof_specs: cosmos_sdk_specs().to_vec(),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
    };
    // Ferry's own client validates the state as ibc-go does.
    Client::new(state.clone(), ConsensusState::from_header(block.header())).map_err(|e| {
        OpsError::BadOption {
            option: "--target",
            reason: format!(
                "the client state for {} would be invalid: {e} (check its trust_threshold, \
                 trusting_period and clock_drift)",
                target.id
            ),
        }
    })?;
    let msg = cosmos::msg_create_client(
        &pbi::ClientState::from(&state),
        &pbi::ConsensusState::from(block.header()),
        &signer.address,
    );
    let height = block.height();
    let events = signer.submit(vec![msg]).await?;
    let client_id = events
        .iter()
        .filter(|e| e.kind == "create_client")
        .find_map(|e| e.attribute("client_id"))
        .ok_or_else(|| OpsError::Client {
            chain: host.id.clone(),
            client_id: String::new(),
            reason: "the transaction was accepted but emitted no create_client event".into(),
        })?
        .to_string();
    Ok(CreatedClient {
        client_id,
        height,
        trusting_period: trusting,
        unbonding_period: unbonding,
    })
}

/// What `ferry update client` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdatedClient {
    /// The target chain.
    pub target: String,
    /// The client's latest height before.
    pub trusted: ClientHeight,
    /// Its latest height now.
    pub height: ClientHeight,
    /// Headers the target's light client verified to reach it (0: it had verified that
    /// height already).
    pub verified_headers: usize,
}

/// A client's state on its host, as refreshing and `ferry health-check` read it
/// (unverified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// The chain the client follows.
    pub target: String,
    /// Its latest height.
    pub latest_height: ClientHeight,
    /// The block time of its latest consensus state (Unix seconds).
    pub updated_at: i64,
    /// Its trusting period.
    pub trusting_period: Duration,
    /// Whether it is frozen.
    pub frozen: bool,
}

impl ClientInfo {
    /// Seconds until the client expires at Unix time `now` (negative: expired).
    pub fn expires_in(&self, now: i64) -> i64 {
        let period = i64::try_from(self.trusting_period.as_secs()).unwrap_or(i64::MAX);
        self.updated_at.saturating_add(period).saturating_sub(now)
    }
}

/// The state of client `client_id` on `chain` and the time of its latest consensus state.
pub async fn client_info(
    chain: &ChainConfig,
    rpc: &RpcChain,
    client_id: &str,
) -> Result<ClientInfo, OpsError> {
    let client_err = |reason: String| OpsError::Client {
        chain: chain.id.clone(),
        client_id: client_id.to_string(),
        reason,
    };
    let state = client_state(chain, rpc, client_id).await?;
    let h = state.latest_height;
    let consensus = ibc_store(
        chain,
        rpc,
        &consensus_state_path(client_id, h.revision_number, h.revision_height),
    )
    .await?
    .ok_or_else(|| client_err(format!("no consensus state at its latest height {h:?}")))?;
    let consensus: pb::Any =
        pb::decode(&consensus).map_err(|e| client_err(format!("undecodable: {e}")))?;
    let consensus: pbi::ConsensusState =
        pb::decode_any(&consensus, pb::CONSENSUS_STATE_TYPE_URL)
            .map_err(|e| client_err(format!("consensus state: {e}")))?;
    let trusting_period = Duration::try_from(&state.trusting_period)
        .map_err(|_| client_err("its trusting period is negative".into()))?;
    Ok(ClientInfo {
        target: state.chain_id.clone(),
        latest_height: h.into(),
        updated_at: consensus.timestamp.seconds,
        trusting_period,
        frozen: state.frozen_height != pbi::Height::default(),
    })
}

/// The 07-tendermint client state of `client_id` on `chain` (latest state, unverified).
async fn client_state(
    chain: &ChainConfig,
    rpc: &RpcChain,
    client_id: &str,
) -> Result<pbi::ClientState, OpsError> {
    let client_err = |reason: String| OpsError::Client {
        chain: chain.id.clone(),
        client_id: client_id.to_string(),
        reason,
    };
    let any = ibc_store(chain, rpc, &client_state_path(client_id))
        .await?
        .ok_or_else(|| client_err("no such client on this chain".into()))?;
    let any: pb::Any = pb::decode(&any).map_err(|e| client_err(format!("undecodable: {e}")))?;
    pb::decode_any(&any, pb::CLIENT_STATE_TYPE_URL)
        .map_err(|e| client_err(format!("not a 07-tendermint client: {e}")))
}

/// The latest height of the client `client_id` on `chain` (unverified: it only chooses
/// whether a client update is needed).
pub(crate) async fn client_latest_height(
    chain: &ChainConfig,
    rpc: &RpcChain,
    client_id: &str,
) -> Result<ClientHeight, OpsError> {
    Ok(client_state(chain, rpc, client_id)
        .await?
        .latest_height
        .into())
}

/// Reads a value of the IBC store of `chain` (latest state; unverified: the host checks
/// what it is given against it).
pub(crate) async fn ibc_store(
    chain: &ChainConfig,
    rpc: &RpcChain,
    path: &str,
) -> Result<Option<Vec<u8>>, OpsError> {
    let store_path = format!("store/{}/key", chain.store_prefix);
    let unreachable = |error: ChainError| OpsError::Unreachable {
        chain: chain.id.clone(),
        error: Box::new(error),
    };
    let q = rpc
        .rpc()
        .abci_query(&store_path, path.as_bytes(), None, false)
        .await
        .map_err(|e| unreachable(e.into()))?;
    if q.code != 0 {
        return Err(unreachable(ChainError::QueryFailed {
            path: store_path,
            code: q.code,
            codespace: q.codespace,
            log: q.log,
        }));
    }
    Ok((!q.value.is_empty()).then_some(q.value))
}

/// `ferry update client`: reads the client's state on the host (its chain id and latest
/// height), verifies the target chain to `height` (the latest when `None`) with the target's
/// light client, and submits a header trusted from the client's latest height, with the
/// target's validators at that height + 1 as the trusted validators (as ibc-go requires;
/// their hash must be the `next_validators_hash` of the client's consensus state, which is
/// checked here first).
pub async fn update_client(
    ctx: &Context,
    host: &str,
    client_id: &str,
    target: Option<&str>,
    height: Option<Height>,
) -> Result<UpdatedClient, OpsError> {
    let host = ctx.chain(host)?;
    if let Some(t) = target {
        ctx.chain(t)?;
    }
    let signer = HostSigner::new(ctx, host).await?;
    let (msg, updated) = update_client_msg(ctx, &signer, client_id, target, height).await?;
    signer.submit(vec![msg]).await?;
    Ok(updated)
}

/// The `MsgUpdateClient` of [`update_client`], signed by `signer`'s address on its chain (the
/// host), without sending it: relaying puts it first in the transaction of the messages
/// whose proofs it makes verifiable.
pub(crate) async fn update_client_msg(
    ctx: &Context,
    signer: &HostSigner<'_>,
    client_id: &str,
    target: Option<&str>,
    height: Option<Height>,
) -> Result<(pb::Any, UpdatedClient), OpsError> {
    let host = signer.chain;
    let client_err = |reason: String| OpsError::Client {
        chain: host.id.clone(),
        client_id: client_id.to_string(),
        reason,
    };
    let any = ibc_store(host, &signer.rpc, &client_state_path(client_id))
        .await?
        .ok_or_else(|| {
            client_err("no such client on this chain (check --client and --host)".into())
        })?;
    let any: pb::Any = pb::decode(&any).map_err(|e| client_err(format!("undecodable: {e}")))?;
    let state: pbi::ClientState = pb::decode_any(&any, pb::CLIENT_STATE_TYPE_URL)
        .map_err(|e| client_err(format!("not a 07-tendermint client: {e}")))?;
    let target_id = match target {
        Some(t) if t != state.chain_id => {
            return Err(client_err(format!(
                "it follows chain {}, not --target {t}",
                state.chain_id
            )))
        }
        Some(t) => t.to_string(),
        None => state.chain_id.clone(),
    };
    let target = ctx.chain(&target_id).map_err(|_| {
        client_err(format!(
            "it follows chain {target_id}, which is not in the config"
        ))
    })?;
    if state.frozen_height != pbi::Height::default() {
        return Err(client_err(
            "it is frozen (misbehaviour was submitted)".into(),
        ));
    }
    let trusted = state.latest_height;
    let trusted_h = Height::new(trusted.revision_height)
        .map_err(|e| client_err(format!("latest height {trusted:?}: {e}")))?;
    let trusted_next = trusted_h
        .increment()
        .ok_or_else(|| client_err(format!("latest height {trusted_h} has no successor")))?;

    let (mut lc, _) = open(target, &ctx.data_dir).await?;
    lc.check_expiry()?;
    let report = match height {
        Some(h) => lc.verify_to(h).await?,
        None => lc.sync(&mut |_| {}).await?,
    };
    if report.height <= trusted_h {
        return Err(OpsError::BadOption {
            option: "--height",
            reason: format!(
                "the client is at {} already; give a greater height (the target's verified \
                 height is {})",
                trusted_h, report.height
            ),
        });
    }
    let block = lc
        .verified(report.height)?
        .ok_or_else(|| client_err("the verified block was not kept".into()))?;
    // The trusted validators: the target's set at the client's height + 1, which the
    // client's consensus state names by hash.
    let validators = lc
        .primary()
        .rpc()
        .validators::<{ ferry_verifier::MAX_VALIDATORS }>(trusted_next)
        .await
        .map_err(|e| OpsError::Unreachable {
            chain: target.id.clone(),
            error: Box::new(e.into()),
        })?;
    let consensus = ibc_store(
        host,
        &signer.rpc,
        &consensus_state_path(client_id, trusted.revision_number, trusted.revision_height),
    )
    .await?
    .ok_or_else(|| {
        client_err(format!(
            "no consensus state at its latest height {trusted_h}"
        ))
    })?;
    let consensus: pb::Any =
        pb::decode(&consensus).map_err(|e| client_err(format!("undecodable: {e}")))?;
    let consensus: pbi::ConsensusState =
        pb::decode_any(&consensus, pb::CONSENSUS_STATE_TYPE_URL)
            .map_err(|e| client_err(format!("consensus state: {e}")))?;
    if consensus.next_validators_hash != validators.hash().as_bytes() {
        return Err(OpsError::Unreachable {
            chain: target.id.clone(),
            error: Box::new(ChainError::Unavailable {
                reason: format!(
                    "the validators it returned for height {trusted_next} do not hash to the \
                     client's next_validators_hash"
                ),
            }),
        });
    }
    let header = pbi::Header::new(&*block, trusted, &validators);
    let msg = cosmos::msg_update_client(client_id, &header, &signer.address);
    Ok((
        msg,
        UpdatedClient {
            target: target.id.clone(),
            trusted: trusted.into(),
            height: ClientHeight::new(trusted.revision_number, report.height.value()),
            verified_headers: report.path.len(),
        },
    ))
}

/// What `ferry tx transfer` sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRequest {
    /// The chain to send from (its configured key signs).
    pub src: String,
    /// The source port.
    pub port: String,
    /// The source channel.
    pub channel: String,
    /// The receiver's address on the destination.
    pub receiver: String,
    /// The amount of each transfer.
    pub amount: u128,
    /// Its denomination on the source.
    pub denom: String,
    /// How many transfers.
    pub count: usize,
    /// At most this many transfers per transaction.
    pub per_tx: usize,
    /// Timeout, nanoseconds since the Unix epoch (destination time); 0: none.
    pub timeout_timestamp: u64,
    /// Timeout height on the destination; zero: none.
    pub timeout_height: pbi::Height,
    /// The key to sign with (`None`: the chain's configured key).
    pub key: Option<String>,
}

/// `ferry tx transfer`: `count` ICS-20 transfers signed by the source chain's key, in
/// transactions of at most `per_tx`. Returns the packet sequences sent.
pub async fn transfer(ctx: &Context, req: &TransferRequest) -> Result<Vec<u64>, OpsError> {
    if req.count == 0 || req.per_tx == 0 || req.amount == 0 {
        return Err(OpsError::BadOption {
            option: "--count",
            reason: "the count, --per-tx and the amount must be positive".into(),
        });
    }
    if req.timeout_timestamp == 0 && req.timeout_height == pbi::Height::default() {
        return Err(OpsError::BadOption {
            option: "--timeout",
            reason: "a transfer needs a timeout (a time or a height)".into(),
        });
    }
    let chain = ctx.chain(&req.src)?;
    let signer = HostSigner::with_key(ctx, chain, req.key.as_deref().unwrap_or(&chain.key)).await?;
    let mut seqs = Vec::with_capacity(req.count);
    let msg = || {
        cosmos::msg_transfer(
            &req.port,
            &req.channel,
            Coin::new(req.amount, &req.denom),
            signer.address(),
            &req.receiver,
            req.timeout_height,
            req.timeout_timestamp,
        )
    };
    let mut txs: Vec<Vec<pb::Any>> = Vec::new();
    let mut left = req.count;
    while left > 0 {
        let n = left.min(req.per_tx);
        txs.push((0..n).map(|_| msg()).collect());
        left = left.saturating_sub(n);
    }
    // Ten transactions per block at most, pipelined.
    for group in txs.chunks(10) {
        let (done, err) = signer.submit_many(group.to_vec()).await;
        for (_, events) in &done {
            for ev in events.iter().filter(|e| e.kind == "send_packet") {
                if let Some(seq) = ev
                    .attributes
                    .iter()
                    .find(|a| a.key == "packet_sequence")
                    .and_then(|a| a.value.parse().ok())
                {
                    seqs.push(seq);
                }
            }
        }
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok(seqs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_expected_sequence_is_read_from_the_sdk_message() {
        use super::expected_sequence;
        assert_eq!(
            expected_sequence(
                "rpc error: code = Unknown desc = account sequence mismatch, expected 27, got \
                 26: incorrect account sequence"
            ),
            Some(27)
        );
        assert_eq!(
            expected_sequence("account sequence mismatch, expected 5, got 9: incorrect"),
            Some(5)
        );
        assert_eq!(expected_sequence("insufficient fees"), None);
        assert_eq!(
            expected_sequence("account sequence mismatch, expected x"),
            None
        );
    }

    use super::*;

    #[test]
    fn hashes_and_heights_are_checked() {
        let hex = "551DA030932A753E84B2DEE81E449CE669F19427D43A61D66E06528E8872EA3D";
        let h = parse_hash(hex).unwrap();
        assert_eq!(h.to_string(), hex);
        assert_eq!(parse_hash(&format!("0x{}", hex.to_lowercase())).unwrap(), h);
        for bad in [
            "",
            "12ab",
            &hex[1..],
            &format!("{hex}00"),
            &hex.replace('5', "g"),
        ] {
            let e = parse_hash(bad).unwrap_err();
            assert_eq!(e.exit_code(), 64, "{bad}: {e}");
            assert!(e.to_string().starts_with("--hash: "), "{e}");
        }
        assert_eq!(parse_height("--height", 0).unwrap_err().exit_code(), 64);
        assert_eq!(parse_height("--height", 7).unwrap().value(), 7);
    }

    #[test]
    fn exit_codes_follow_the_table() {
        let id = ChainId::new("c-1").unwrap();
        let light = |e: LightError| OpsError::from(e).exit_code();
        assert_eq!(
            light(LightError::NotInitialized {
                chain_id: id.clone(),
                store: PathBuf::from("x"),
            }),
            66
        );
        assert_eq!(
            light(LightError::AlreadyInitialized {
                chain_id: id.clone(),
                height: Height::new(1).unwrap(),
                hash: Hash::None,
            }),
            73
        );
        assert_eq!(
            light(LightError::TrustExpired {
                chain_id: id.clone(),
                height: Height::new(1).unwrap(),
                hash: Hash::None,
                time: Time::UNIX_EPOCH,
                expired_at: Time::UNIX_EPOCH,
                now: Time::UNIX_EPOCH,
            }),
            3
        );
        assert_eq!(
            light(LightError::TrustRootMismatch {
                source: "n".into(),
                height: Height::new(1).unwrap(),
                expected: Hash::None,
                actual: Hash::None,
            }),
            1
        );
        let unreachable = OpsError::Unreachable {
            chain: "c-1".into(),
            error: Box::new(ChainError::Unavailable {
                reason: "down".into(),
            }),
        };
        assert_eq!(unreachable.exit_code(), 69);
        let unknown = OpsError::UnknownChain {
            chain: "x".into(),
            known: vec!["a".into(), "b".into()],
        };
        assert_eq!(unknown.exit_code(), 64);
        assert!(unknown.to_string().contains("(its chains: a, b)"));
        let refused = OpsError::TxRefused {
            chain: "a".into(),
            stage: "deliver_tx",
            code: 5,
            codespace: "sdk".into(),
            log: "insufficient funds".into(),
        };
        assert_eq!(refused.exit_code(), 1);
        assert!(refused.to_string().contains("insufficient funds"));
    }
}
