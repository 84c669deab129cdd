//! The operator's networked commands, as library calls: `ferry light init | sync | status`
//! over the chains of the config, each returning a result the CLI prints (nothing here
//! prints, reads the environment or exits).
//!
//! Everything a chain says is verified before it is used: the trust root against the hash
//! the operator gives, later blocks by [`crate::light::LightClient`].
//!
//! Exit codes ([`OpsError::exit_code`], sysexits where one fits):
//!
//! | code | meaning |
//! |---:|---|
//! | 1 | verification failed: the block at the trusted height has another hash, a block is invalid, a witness diverged |
//! | 3 | the trusted state expired: re-initialise (`ferry light init --force`) |
//! | 64 | bad option: unknown chain, bad hash or height |
//! | 65 | invalid config, corrupt store |
//! | 66 | config unreadable, no trusted state for the chain (run `ferry light init`) |
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

use ferry_verifier::{ChainId, Hash, Height, Options, Time};

use crate::chain::{Chain, ChainError, RpcChain};
use crate::config::{ChainConfig, Config, ConfigError};
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
        }
    }
}

impl std::error::Error for OpsError {}

impl From<ConfigError> for OpsError {
    fn from(e: ConfigError) -> Self {
        OpsError::Config(Box::new(e))
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
    let rpc = RpcClient::new(url, RpcConfig::default()).map_err(|e| unreachable(e.into()))?;
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
