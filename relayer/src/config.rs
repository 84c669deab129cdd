//! The relayer's configuration: one TOML file of global settings, telemetry, chains and paths.
//!
//! The file is read with the position of every key and value (`toml`'s spanned document), and
//! checked field by field, so that a bad file yields *every* problem at once, each with its
//! line, column and field (`chains[1].trust_threshold`): syntax errors, unknown fields (typos),
//! missing fields, wrong types, values out of range, duplicate chain ids or path names, a path
//! naming a chain that is not configured. [`Config::parse`] returns either a whole, checked
//! [`Config`] or the list of [`Problem`]s; nothing is half-read.
//!
//! ```
//! use ferry::config::Config;
//! let config = Config::parse(ferry::config::EXAMPLE).unwrap();
//! assert_eq!(config.chains.len(), 2);
//! assert_eq!(config.paths[0].a.chain_id, "ferry-a");
//!
//! // Every problem at once, in file order, each with its line, column and field.
//! let problems = Config::parse("[[chains]]\nid = 'x'\nrcp = 'http://127.0.0.1:26657'\n")
//!     .unwrap_err();
//! let found: Vec<_> = problems.iter().map(|p| (p.line, p.field.as_str())).collect();
//! assert_eq!(
//!     found,
//!     [
//!         (1, "chains[0].rpc"),
//!         (1, "chains[0].key"),
//!         (1, "chains[0].gas_price"),
//!         (3, "chains[0].rcp"),
//!     ]
//! );
//! assert_eq!(
//!     problems[3].to_string(),
//!     "3:1: chains[0].rcp: unknown field; expected one of: id, rpc, witnesses, key, \
//!      account_prefix, gas_price, default_gas, max_gas, gas_multiplier, trust_threshold, \
//!      trusting_period, clock_drift, max_block_time, store_prefix"
//! );
//! ```
//!
//! Where things live: the Ferry home is `--home`, else `$FERRY_HOME`, else `~/.ferry`
//! ([`home_dir`]); the config file is `<home>/config.toml` unless `--config` names another; the
//! data directory (keys, light-client state) is `global.data_dir` if set, else the home
//! ([`Config::data_dir`]).

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_verifier::TrustThreshold;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::offline::parse_duration;

/// The environment variable naming the Ferry home (overridden by `--home`).
pub const HOME_ENV: &str = "FERRY_HOME";
/// The config file's name in the Ferry home.
pub const CONFIG_FILE: &str = "config.toml";
/// Default `telemetry.listen`.
pub const DEFAULT_TELEMETRY_LISTEN: &str = "127.0.0.1:3001";
/// Default `chains[].account_prefix`.
pub const DEFAULT_ACCOUNT_PREFIX: &str = "cosmos";
/// Default `chains[].default_gas`.
pub const DEFAULT_GAS: u64 = 100_000;
/// Default `chains[].max_gas`.
pub const DEFAULT_MAX_GAS: u64 = 400_000;
/// Default `chains[].gas_multiplier`.
pub const DEFAULT_GAS_MULTIPLIER: f64 = 1.1;
/// Default `chains[].trusting_period`: 14 days, two thirds of the SDK's default 21-day
/// unbonding period. It must stay below the chain's unbonding period, which only the chain
/// knows.
pub const DEFAULT_TRUSTING_PERIOD: Duration = Duration::from_secs(14 * 86_400);
/// Default `chains[].clock_drift`.
pub const DEFAULT_CLOCK_DRIFT: Duration = Duration::from_secs(10);
/// Default `chains[].max_block_time`.
pub const DEFAULT_MAX_BLOCK_TIME: Duration = Duration::from_secs(30);
/// Default `chains[].store_prefix`: where ibc-go keeps its state.
pub const DEFAULT_STORE_PREFIX: &str = "ibc";
/// Default `paths[].a.port_id` / `b.port_id`: ICS-20 transfers.
pub const DEFAULT_PORT: &str = "transfer";
/// Default `paths[].version`: ICS-20 v1.
pub const DEFAULT_VERSION: &str = "ics20-1";
/// CometBFT's longest chain id (`MaxChainIDLen`).
pub const MAX_CHAIN_ID_LEN: usize = 50;

/// A commented example: two local `simd` chains (`ferry-a`, `ferry-b`) and one ICS-20 path
/// between them, as `ferry config init` writes it. It is valid as it stands.
pub const EXAMPLE: &str = r#"# Ferry relayer configuration (TOML).
#
# `ferry config validate` checks this file and names the line and field of each problem.
# Durations take d, h, m, s, ms ("14d", "1h30m", "10s", "500ms") or plain seconds ("10").

[global]
# Log format: "human" or "json".
log_format = "human"
# Where keys and light-client state are kept. Default: the Ferry home (--home, else
# $FERRY_HOME, else ~/.ferry). A relative path is relative to this file's directory.
# data_dir = "~/.ferry"

[telemetry]
# Serve Prometheus metrics on http://LISTEN/metrics.
enabled = false
listen = "127.0.0.1:3001"

# One [[chains]] table per chain.
[[chains]]
# The chain id, as in the chain's genesis.
id = "ferry-a"
# The CometBFT RPC endpoint Ferry reads blocks from and sends transactions to. Nothing it says
# is used before it is verified: headers by the light client, state by proofs.
rpc = "http://127.0.0.1:26657"
# Other full nodes of the same chain that the light client cross-checks headers with (may be
# empty; each should be run by someone other than the primary's operator).
witnesses = []
# The relayer key that signs this chain's transactions: `ferry keys add relayer --chain ferry-a`.
key = "relayer"
# Bech32 prefix of the chain's account addresses.
account_prefix = "cosmos"
# Fee per unit of gas: fee = ceil(gas * amount) of denom.
gas_price = { amount = 0.025, denom = "stake" }
# Gas for a transaction when simulation is not possible, and the most any transaction may use
# (an ICS-20 receive takes 60k-100k gas on simd: `ferry start --batch 30` needs about 3M).
default_gas = 100000
max_gas = 4000000
# Simulated gas is multiplied by this (>= 1.0) before it is used.
gas_multiplier = 1.1
# Light client: the share of the trusted validators' power, N/D within [1/3, 1], that must
# have signed a header for skipping verification to trust it.
trust_threshold = "1/3"
# How long a verified header stays trusted. Keep it below the chain's unbonding period
# (two thirds of it is usual).
trusting_period = "14d"
# How far ahead of our clock a header's time may be.
clock_drift = "10s"
# The longest expected time between two blocks.
max_block_time = "30s"
# The store key of ibc-go's state, under which proofs are queried.
store_prefix = "ibc"

[[chains]]
id = "ferry-b"
rpc = "http://127.0.0.1:26757"
witnesses = []
key = "relayer"
account_prefix = "cosmos"
gas_price = { amount = 0.025, denom = "stake" }
default_gas = 100000
max_gas = 4000000
gas_multiplier = 1.1
trust_threshold = "1/3"
trusting_period = "14d"
clock_drift = "10s"
max_block_time = "30s"
store_prefix = "ibc"

# One [[paths]] table per pair of channel ends to relay between. Client, connection and channel
# ids are filled in as `ferry create client/connection/channel` creates them.
[[paths]]
name = "a-b"
# Channel ordering ("unordered" or "ordered") and version. ICS-20 ("ics20-1") is unordered.
ordering = "unordered"
version = "ics20-1"

[paths.a]
chain_id = "ferry-a"
port_id = "transfer"
# client_id = "07-tendermint-0"
# connection_id = "connection-0"
# channel_id = "channel-0"

[paths.b]
chain_id = "ferry-b"
port_id = "transfer"
# client_id = "07-tendermint-0"
# connection_id = "connection-0"
# channel_id = "channel-0"
"#;

/// A whole, checked configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `[global]`.
    pub global: Global,
    /// `[telemetry]`.
    pub telemetry: Telemetry,
    /// `[[chains]]`, in file order; at least one, ids unique.
    pub chains: Vec<ChainConfig>,
    /// `[[paths]]`, in file order; names unique, every chain id configured.
    pub paths: Vec<PathConfig>,
}

/// `[global]`: settings of the relayer as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Global {
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Where keys and light-client state are kept, as written (`~` and relative paths are
    /// resolved by [`Config::data_dir`]); `None`: the Ferry home.
    pub data_dir: Option<PathBuf>,
}

/// `global.log_format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (`"human"`, the default).
    #[default]
    Human,
    /// One JSON object per line (`"json"`).
    Json,
}

/// `[telemetry]`: the Prometheus metrics endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Telemetry {
    /// Whether metrics are served (default false).
    pub enabled: bool,
    /// The address to serve them on (default [`DEFAULT_TELEMETRY_LISTEN`]).
    pub listen: SocketAddr,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            enabled: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 3001)),
        }
    }
}

/// One `[[chains]]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainConfig {
    /// The chain id (1 to 50 bytes, no whitespace).
    pub id: String,
    /// The primary CometBFT RPC URL (`http://` or `https://`).
    pub rpc: String,
    /// Witness RPC URLs of the same chain, for cross-checking headers (none equal to `rpc`,
    /// no duplicates).
    pub witnesses: Vec<String>,
    /// The name of the key (in the data directory's key store) that signs transactions.
    pub key: String,
    /// The bech32 account prefix (default `cosmos`).
    pub account_prefix: String,
    /// The fee per unit of gas.
    pub gas_price: GasPrice,
    /// Gas for a transaction when it cannot be simulated (at most `max_gas`).
    pub default_gas: u64,
    /// The most gas any transaction may use.
    pub max_gas: u64,
    /// Simulated gas is multiplied by this (at least 1).
    pub gas_multiplier: f64,
    /// The light client's trust threshold, within [1/3, 1].
    pub trust_threshold: TrustThreshold,
    /// How long a verified header stays trusted (positive).
    pub trusting_period: Duration,
    /// How far ahead of the local clock a header's time may be.
    pub clock_drift: Duration,
    /// The longest expected time between two blocks (positive).
    pub max_block_time: Duration,
    /// The store key of ibc-go's state (default `ibc`).
    pub store_prefix: String,
}

/// `chains[].gas_price`: `{ amount = 0.025, denom = "stake" }`.
#[derive(Clone, Debug, PartialEq)]
pub struct GasPrice {
    /// Price of one unit of gas, in `denom` (finite, not negative).
    pub amount: f64,
    /// The fee denomination (a Cosmos SDK denom: 3 to 128 characters, starting with a letter).
    pub denom: String,
}

/// One `[[paths]]` entry: two channel ends to relay between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathConfig {
    /// The path's name (unique).
    pub name: String,
    /// Side A.
    pub a: PathEnd,
    /// Side B (another chain than A's).
    pub b: PathEnd,
    /// Channel ordering (default unordered).
    pub ordering: Ordering,
    /// Channel version (default `ics20-1`).
    pub version: String,
}

/// `paths[].a` / `paths[].b`: one side of a path. The ids are `None` until created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathEnd {
    /// The chain (one of the configured chain ids).
    pub chain_id: String,
    /// The light client of the *other* chain on this chain (`07-tendermint-N`).
    pub client_id: Option<String>,
    /// The connection on this chain (needs `client_id`).
    pub connection_id: Option<String>,
    /// The port (default `transfer`).
    pub port_id: String,
    /// The channel on this chain (needs `connection_id`).
    pub channel_id: Option<String>,
}

/// `paths[].ordering`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Ordering {
    /// `"unordered"` (the default, and what ICS-20 requires).
    #[default]
    Unordered,
    /// `"ordered"`.
    Ordered,
}

impl Config {
    /// Parses and checks a configuration; on failure, every problem found, in file order.
    pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        let mut p = Parser {
            text,
            problems: Vec::new(),
        };
        let (document, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            // Past a syntax error the rest of the document is a guess: report only the
            // syntax errors, not what the guess lacks.
            for e in errors {
                let span = e.span().unwrap_or(0..0);
                p.report(
                    span,
                    "",
                    ProblemKind::Syntax {
                        message: e.message().trim().to_string(),
                    },
                );
            }
            return Err(p.finish());
        }
        let config = p.document(&document);
        if p.problems.is_empty() {
            Ok(config)
        } else {
            Err(p.finish())
        }
    }

    /// Reads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = std::fs::read(path).map_err(|error| ConfigError::Unreadable {
            path: path.to_path_buf(),
            error,
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let offset = e.valid_up_to();
            let before = bytes.get(..offset).unwrap_or(&bytes);
            ConfigError::NotUtf8 {
                path: path.to_path_buf(),
                offset,
                line: before
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    .saturating_add(1),
            }
        })?;
        Config::parse(text).map_err(|problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }

    /// The chain with this id.
    pub fn chain(&self, id: &str) -> Option<&ChainConfig> {
        self.chains.iter().find(|c| c.id == id)
    }

    /// The path with this name.
    pub fn path(&self, name: &str) -> Option<&PathConfig> {
        self.paths.iter().find(|p| p.name == name)
    }

    /// The data directory: `global.data_dir` (`~/...` under the user's home directory, a
    /// relative path under the directory of `config_path`), else `home`.
    pub fn data_dir(&self, home: &Path, config_path: &Path) -> Result<PathBuf, ConfigError> {
        let Some(dir) = &self.global.data_dir else {
            return Ok(home.to_path_buf());
        };
        if let Ok(rest) = dir.strip_prefix("~") {
            return Ok(user_home()?.join(rest));
        }
        if dir.is_absolute() {
            return Ok(dir.clone());
        }
        let base = config_path.parent().unwrap_or(Path::new("."));
        Ok(base.join(dir))
    }
}

/// The user's home directory (`$HOME`).
fn user_home() -> Result<PathBuf, ConfigError> {
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => Ok(PathBuf::from(h)),
        _ => Err(ConfigError::NoHome),
    }
}

/// The Ferry home: `flag` (`--home`) if given, else `$FERRY_HOME` if set and not empty, else
/// `~/.ferry`.
pub fn home_dir(flag: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(dir) = flag {
        return Ok(dir.to_path_buf());
    }
    match std::env::var_os(HOME_ENV) {
        Some(h) if !h.is_empty() => Ok(PathBuf::from(h)),
        _ => Ok(user_home()?.join(".ferry")),
    }
}

/// The config file: `flag` (`--config`) if given, else `<home>/config.toml`.
pub fn config_path(home: &Path, flag: Option<&Path>) -> PathBuf {
    match flag {
        Some(p) => p.to_path_buf(),
        None => home.join(CONFIG_FILE),
    }
}

/// Writes [`EXAMPLE`] to `path` (creating its directory, mode 0700, if missing), atomically:
/// a temporary file renamed into place. Without `force` an existing file is left alone and
/// the answer is [`ConfigError::Exists`].
pub fn write_example(path: &Path, force: bool) -> Result<(), ConfigError> {
    let write_error = |error| ConfigError::Write {
        path: path.to_path_buf(),
        error,
    };
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(ConfigError::Exists {
            path: path.to_path_buf(),
        });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::keys::create_private_dir(dir).map_err(write_error)?;
    }
    match crate::keys::write_atomic(path, EXAMPLE.as_bytes(), 0o644, force) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(ConfigError::Exists {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(write_error(e)),
    }
}

/// Why a configuration could not be had.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read (exit 66).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The file is not UTF-8 text (exit 65).
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// Its line, from 1.
        line: usize,
    },
    /// The file was read and is not a valid configuration (exit 65).
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem, in file order.
        problems: Vec<Problem>,
    },
    /// `config init` without `--force` found a file there (exit 73).
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be written (exit 73).
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// No Ferry home: neither `--home`, `$FERRY_HOME` nor `$HOME` is set (exit 64).
    NoHome,
}

impl ConfigError {
    /// The process exit code for this error (sysexits).
    pub fn exit_code(&self) -> i32 {
        match self {
            ConfigError::Unreadable { .. } => 66,
            ConfigError::NotUtf8 { .. } | ConfigError::Invalid { .. } => 65,
            ConfigError::Exists { .. } | ConfigError::Write { .. } => 73,
            ConfigError::NoHome => 64,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Unreadable { path, error } => {
                write!(f, "cannot read config {}: {error}", path.display())?;
                if error.kind() == std::io::ErrorKind::NotFound {
                    write!(
                        f,
                        " (write an example with `ferry config init`, or name another file \
                         with --config)"
                    )?;
                }
                Ok(())
            }
            ConfigError::NotUtf8 { path, offset, line } => write!(
                f,
                "{}: not UTF-8 text: invalid byte at offset {offset} (line {line})",
                path.display()
            ),
            ConfigError::Invalid { path, problems } => {
                let n = problems.len();
                write!(
                    f,
                    "{}: invalid configuration: {n} problem{}",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                )?;
                for problem in problems {
                    write!(f, "\n{}:{problem}", path.display())?;
                }
                Ok(())
            }
            ConfigError::Exists { path } => write!(
                f,
                "{} already exists; nothing written (use --force to overwrite it)",
                path.display()
            ),
            ConfigError::Write { path, error } => {
                write!(f, "cannot write {}: {error}", path.display())
            }
            ConfigError::NoHome => write!(
                f,
                "no Ferry home: $HOME is not set; give --home DIR or set {HOME_ENV}"
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Unreadable { error, .. } | ConfigError::Write { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// One problem in a config file, where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
    /// The field, as a path from the top: `chains[1].gas_price.denom` (empty for syntax
    /// errors).
    pub field: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    /// `LINE:COLUMN: FIELD: MESSAGE`; prefixed with the file name it reads as a compiler's
    /// diagnostic.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.kind)
    }
}

/// What is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not TOML.
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// A field this table does not have (usually a typo).
    UnknownField {
        /// The fields it has.
        expected: &'static [&'static str],
    },
    /// A required field is absent.
    Missing,
    /// A value of the wrong TOML type.
    WrongType {
        /// What the field takes.
        expected: &'static str,
        /// What it holds.
        found: &'static str,
    },
    /// A value of the right type that is not acceptable.
    Invalid {
        /// What is wrong, and what would be right.
        reason: String,
    },
    /// A chain id or path name used twice.
    Duplicate {
        /// The value.
        value: String,
        /// The line of its first use.
        first_line: usize,
    },
    /// A path names a chain that is not configured.
    UnknownChain {
        /// The chain id named.
        chain_id: String,
        /// The configured chain ids.
        known: Vec<String>,
    },
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Syntax { message } => write!(f, "TOML syntax error: {message}"),
            ProblemKind::UnknownField { expected } => {
                write!(f, "unknown field; expected one of: {}", expected.join(", "))
            }
            ProblemKind::Missing => write!(f, "missing; this field is required"),
            ProblemKind::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ProblemKind::Invalid { reason } => f.write_str(reason),
            ProblemKind::Duplicate { value, first_line } => {
                write!(f, "{value:?} is used twice (first on line {first_line})")
            }
            ProblemKind::UnknownChain { chain_id, known } => write!(
                f,
                "no chain {chain_id:?} is configured (the [[chains]] ids are: {})",
                known.join(", ")
            ),
        }
    }
}

/// 1-based line and column (in characters) of byte offset `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset = offset.saturating_sub(1);
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    (
        before.matches('\n').count().saturating_add(1),
        before[line_start..].chars().count().saturating_add(1),
    )
}

type Value<'i> = Spanned<DeValue<'i>>;

const TOP_FIELDS: &[&str] = &["global", "telemetry", "chains", "paths"];
const GLOBAL_FIELDS: &[&str] = &["log_format", "data_dir"];
const TELEMETRY_FIELDS: &[&str] = &["enabled", "listen"];
const CHAIN_FIELDS: &[&str] = &[
    "id",
    "rpc",
    "witnesses",
    "key",
    "account_prefix",
    "gas_price",
    "default_gas",
    "max_gas",
    "gas_multiplier",
    "trust_threshold",
    "trusting_period",
    "clock_drift",
    "max_block_time",
    "store_prefix",
];
const GAS_PRICE_FIELDS: &[&str] = &["amount", "denom"];
const PATH_FIELDS: &[&str] = &["name", "a", "b", "ordering", "version"];
const PATH_END_FIELDS: &[&str] = &[
    "chain_id",
    "client_id",
    "connection_id",
    "port_id",
    "channel_id",
];

/// Collects problems while walking the document.
struct Parser<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

/// A table being read, with its span and field path; unknown keys are reported on creation.
struct Fields<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    path: String,
}

impl<'t> Parser<'t> {
    fn report(&mut self, span: Range<usize>, field: &str, kind: ProblemKind) {
        let (line, column) = line_column(self.text, span.start);
        self.problems.push(Problem {
            line,
            column,
            field: field.to_string(),
            kind,
        });
    }

    fn invalid(&mut self, span: Range<usize>, field: &str, reason: impl Into<String>) {
        self.report(
            span,
            field,
            ProblemKind::Invalid {
                reason: reason.into(),
            },
        );
    }

    fn line_of(&self, span: &Range<usize>) -> usize {
        line_column(self.text, span.start).0
    }

    fn finish(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|p| (p.line, p.column));
        self.problems
    }

    fn fields<'a, 'i>(
        &mut self,
        table: &'a DeTable<'i>,
        span: Range<usize>,
        path: String,
        allowed: &'static [&'static str],
    ) -> Fields<'a, 'i> {
        for key in table.keys() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let field = join(&path, key.get_ref());
                self.report(
                    key.span(),
                    &field,
                    ProblemKind::UnknownField { expected: allowed },
                );
            }
        }
        Fields { table, span, path }
    }

    fn wrong_type(&mut self, value: &Value<'_>, field: &str, expected: &'static str) {
        self.report(
            value.span(),
            field,
            ProblemKind::WrongType {
                expected,
                found: article(value.get_ref().type_str()),
            },
        );
    }

    /// A table value (a `[table]`, `[[array]]` entry or inline table).
    fn table<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        path: String,
        allowed: &'static [&'static str],
    ) -> Option<Fields<'a, 'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(self.fields(t, value.span(), path, allowed)),
            _ => {
                self.wrong_type(value, &path, "a table");
                None
            }
        }
    }

    fn document(&mut self, document: &Spanned<DeTable<'_>>) -> Config {
        let top = self.fields(document.get_ref(), 0..0, String::new(), TOP_FIELDS);
        let global = match top.get("global") {
            Some(v) => self.global(v),
            None => Global::default(),
        };
        let telemetry = match top.get("telemetry") {
            Some(v) => self.telemetry(v),
            None => Telemetry::default(),
        };
        let mut chains = Vec::new();
        // (id, span of the id) of every chain whose id was read.
        let mut chain_ids: Vec<(String, Range<usize>)> = Vec::new();
        match top.get("chains") {
            None => self.invalid(
                0..0,
                "chains",
                "no [[chains]]: configure at least one chain (`ferry config init` writes an \
                 example)",
            ),
            Some(v) => {
                for (i, item) in self.array_items(v, "chains", "an array of tables ([[chains]])") {
                    if let Some((chain, id_span)) = self.chain(item, i) {
                        if let Some((_, first)) = chain_ids.iter().find(|(id, _)| id == &chain.id) {
                            let first_line = self.line_of(first);
                            self.report(
                                id_span.clone(),
                                &format!("chains[{i}].id"),
                                ProblemKind::Duplicate {
                                    value: chain.id.clone(),
                                    first_line,
                                },
                            );
                        }
                        chain_ids.push((chain.id.clone(), id_span));
                        chains.push(chain);
                    }
                }
            }
        }
        let mut known: Vec<String> = Vec::new();
        for (id, _) in &chain_ids {
            if !known.contains(id) {
                known.push(id.clone());
            }
        }
        let mut paths = Vec::new();
        let mut names: Vec<(String, Range<usize>)> = Vec::new();
        if let Some(v) = top.get("paths") {
            for (i, item) in self.array_items(v, "paths", "an array of tables ([[paths]])") {
                if let Some((path, name_span)) = self.path(item, i, &known) {
                    if let Some((_, first)) = names.iter().find(|(n, _)| n == &path.name) {
                        let first_line = self.line_of(first);
                        self.report(
                            name_span.clone(),
                            &format!("paths[{i}].name"),
                            ProblemKind::Duplicate {
                                value: path.name.clone(),
                                first_line,
                            },
                        );
                    }
                    names.push((path.name.clone(), name_span));
                    paths.push(path);
                }
            }
        }
        Config {
            global,
            telemetry,
            chains,
            paths,
        }
    }

    fn array_items<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        field: &str,
        expected: &'static str,
    ) -> Vec<(usize, &'a Value<'i>)> {
        match value.get_ref() {
            DeValue::Array(items) => items.iter().enumerate().collect(),
            _ => {
                self.wrong_type(value, field, expected);
                Vec::new()
            }
        }
    }

    fn global(&mut self, value: &Value<'_>) -> Global {
        let mut global = Global::default();
        let Some(f) = self.table(value, "global".into(), GLOBAL_FIELDS) else {
            return global;
        };
        if let Some(s) = f.str(self, "log_format") {
            match s.get_ref().as_str() {
                "human" => global.log_format = LogFormat::Human,
                "json" => global.log_format = LogFormat::Json,
                other => self.invalid(
                    s.span(),
                    &f.field("log_format"),
                    format!("{other:?} is not a log format: use \"human\" or \"json\""),
                ),
            }
        }
        if let Some(s) = f.str(self, "data_dir") {
            if s.get_ref().trim().is_empty() {
                self.invalid(
                    s.span(),
                    &f.field("data_dir"),
                    "empty: give a directory, or remove the line for the default",
                );
            } else {
                global.data_dir = Some(PathBuf::from(s.into_inner()));
            }
        }
        global
    }

    fn telemetry(&mut self, value: &Value<'_>) -> Telemetry {
        let mut telemetry = Telemetry::default();
        let Some(f) = self.table(value, "telemetry".into(), TELEMETRY_FIELDS) else {
            return telemetry;
        };
        if let Some(b) = f.bool(self, "enabled") {
            telemetry.enabled = b;
        }
        if let Some(s) = f.str(self, "listen") {
            match s.get_ref().parse::<SocketAddr>() {
                Ok(addr) => telemetry.listen = addr,
                Err(_) => self.invalid(
                    s.span(),
                    &f.field("listen"),
                    format!(
                        "{:?} is not an IP:PORT address: use e.g. \"127.0.0.1:3001\" or \
                         \"[::1]:3001\"",
                        s.get_ref()
                    ),
                ),
            }
        }
        telemetry
    }

    /// A chain, and the span of its id; `None` if the entry is not a table or has no id.
    fn chain(&mut self, value: &Value<'_>, i: usize) -> Option<(ChainConfig, Range<usize>)> {
        let f = self.table(value, format!("chains[{i}]"), CHAIN_FIELDS)?;
        let id = f.required_str(self, "id");
        if let Some(id) = &id {
            if let Err(reason) = check_chain_id(id.get_ref()) {
                self.invalid(id.span(), &f.field("id"), reason);
            }
        }
        let rpc = f.required_str(self, "rpc");
        if let Some(rpc) = &rpc {
            if let Err(reason) = check_url(rpc.get_ref()) {
                self.invalid(rpc.span(), &f.field("rpc"), reason);
            }
        }
        let mut witnesses: Vec<Spanned<String>> = Vec::new();
        if let Some(v) = f.get("witnesses") {
            let field = f.field("witnesses");
            for (j, item) in self.array_items(v, &field, "an array of URLs") {
                let item_field = format!("{field}[{j}]");
                let Some(url) = self.string(item, &item_field, "a URL string") else {
                    continue;
                };
                if let Err(reason) = check_url(url.get_ref()) {
                    self.invalid(url.span(), &item_field, reason);
                } else if rpc
                    .as_ref()
                    .is_some_and(|r| same_url(r.get_ref(), url.get_ref()))
                {
                    self.invalid(
                        url.span(),
                        &item_field,
                        "the primary `rpc` again: a witness must be another node, or it \
                         cross-checks nothing",
                    );
                } else if let Some(first) = witnesses
                    .iter()
                    .find(|w| same_url(w.get_ref(), url.get_ref()))
                {
                    let first_line = self.line_of(&first.span());
                    self.report(
                        url.span(),
                        &item_field,
                        ProblemKind::Duplicate {
                            value: url.get_ref().clone(),
                            first_line,
                        },
                    );
                }
                witnesses.push(url);
            }
        }
        let key = f.required_str(self, "key");
        if let Some(key) = &key {
            if let Err(reason) = crate::keys::check_name(key.get_ref()) {
                self.invalid(key.span(), &f.field("key"), reason);
            }
        }
        let account_prefix = match f.str(self, "account_prefix") {
            Some(prefix) => {
                if let Err(e) = crate::cosmos::bech32_encode(prefix.get_ref(), &[0; 20]) {
                    self.invalid(prefix.span(), &f.field("account_prefix"), e.to_string());
                }
                prefix.into_inner()
            }
            None => DEFAULT_ACCOUNT_PREFIX.to_string(),
        };
        let gas_price = self.gas_price(&f);
        let default_gas = f.positive_u64(self, "default_gas");
        let max_gas = f.positive_u64(self, "max_gas");
        let default_value = default_gas.as_ref().map_or(DEFAULT_GAS, |d| *d.get_ref());
        let max_value = max_gas.as_ref().map_or(DEFAULT_MAX_GAS, |m| *m.get_ref());
        if default_value > max_value {
            let (span, key) = match (&default_gas, &max_gas) {
                (Some(d), _) => (d.span(), "default_gas"),
                (None, Some(m)) => (m.span(), "max_gas"),
                (None, None) => (f.span.clone(), "default_gas"),
            };
            self.invalid(
                span,
                &f.field(key),
                format!(
                    "default_gas ({default_value}) is above max_gas ({max_value}): a \
                     transaction could never use it; lower default_gas or raise max_gas"
                ),
            );
        }
        let gas_multiplier = match f.number(self, "gas_multiplier") {
            Some(m) if !(m.get_ref().is_finite() && *m.get_ref() >= 1.0) => {
                self.invalid(
                    m.span(),
                    &f.field("gas_multiplier"),
                    format!(
                        "{} is below 1.0: simulated gas is a lower bound, so the multiplier \
                         must be at least 1.0 (1.1 to 1.5 is usual)",
                        m.get_ref()
                    ),
                );
                DEFAULT_GAS_MULTIPLIER
            }
            Some(m) => m.into_inner(),
            None => DEFAULT_GAS_MULTIPLIER,
        };
        let trust_threshold = match f.str(self, "trust_threshold") {
            Some(s) => match TrustThreshold::parse(s.get_ref()) {
                Ok(t) => t,
                Err(_) => {
                    self.invalid(
                        s.span(),
                        &f.field("trust_threshold"),
                        format!(
                            "{:?} is not a trust threshold: write N/D with 1/3 <= N/D <= 1 \
                             (\"1/3\" is usual; below 1/3 a header could be trusted on \
                             signatures of faulty validators alone)",
                            s.get_ref()
                        ),
                    );
                    TrustThreshold::ONE_THIRD
                }
            },
            None => TrustThreshold::ONE_THIRD,
        };
        let trusting_period = f
            .duration(self, "trusting_period", true)
            .unwrap_or(DEFAULT_TRUSTING_PERIOD);
        let clock_drift = f
            .duration(self, "clock_drift", false)
            .unwrap_or(DEFAULT_CLOCK_DRIFT);
        let max_block_time = f
            .duration(self, "max_block_time", true)
            .unwrap_or(DEFAULT_MAX_BLOCK_TIME);
        let store_prefix = match f.str(self, "store_prefix") {
            Some(s) if s.get_ref().is_empty() => {
                self.invalid(
                    s.span(),
                    &f.field("store_prefix"),
                    "empty: ibc-go's store key is \"ibc\"",
                );
                String::new()
            }
            Some(s) => s.into_inner(),
            None => DEFAULT_STORE_PREFIX.to_string(),
        };
        let id = id?;
        let id_span = id.span();
        Some((
            ChainConfig {
                id: id.into_inner(),
                rpc: rpc.map(Spanned::into_inner).unwrap_or_default(),
                witnesses: witnesses.into_iter().map(Spanned::into_inner).collect(),
                key: key.map(Spanned::into_inner).unwrap_or_default(),
                account_prefix,
                gas_price: gas_price.unwrap_or(GasPrice {
                    amount: 0.0,
                    denom: String::new(),
                }),
                default_gas: default_gas.map_or(DEFAULT_GAS, Spanned::into_inner),
                max_gas: max_gas.map_or(DEFAULT_MAX_GAS, Spanned::into_inner),
                gas_multiplier,
                trust_threshold,
                trusting_period,
                clock_drift,
                max_block_time,
                store_prefix,
            },
            id_span,
        ))
    }

    fn gas_price(&mut self, chain: &Fields<'_, '_>) -> Option<GasPrice> {
        let field = chain.field("gas_price");
        let Some(v) = chain.get("gas_price") else {
            self.report(chain.span.clone(), &field, ProblemKind::Missing);
            return None;
        };
        let f = self.table(v, field, GAS_PRICE_FIELDS)?;
        let amount = f.number(self, "amount");
        let denom = f.required_str(self, "denom");
        match &amount {
            Some(a) if !(a.get_ref().is_finite() && *a.get_ref() >= 0.0) => {
                self.invalid(
                    a.span(),
                    &f.field("amount"),
                    format!("{} is not a price: give a finite number >= 0", a.get_ref()),
                );
            }
            None if f.get("amount").is_none() => {
                self.report(f.span.clone(), &f.field("amount"), ProblemKind::Missing);
            }
            _ => {}
        }
        if let Some(d) = &denom {
            if let Err(reason) = check_denom(d.get_ref()) {
                self.invalid(d.span(), &f.field("denom"), reason);
            }
        }
        Some(GasPrice {
            amount: amount?.into_inner(),
            denom: denom?.into_inner(),
        })
    }

    /// A path, and the span of its name.
    fn path(
        &mut self,
        value: &Value<'_>,
        i: usize,
        known: &[String],
    ) -> Option<(PathConfig, Range<usize>)> {
        let f = self.table(value, format!("paths[{i}]"), PATH_FIELDS)?;
        let name = f.required_str(self, "name");
        if let Some(n) = &name {
            if n.get_ref().trim().is_empty() {
                self.invalid(n.span(), &f.field("name"), "empty: name the path");
            }
        }
        let ordering_value = f.str(self, "ordering");
        let ordering = match &ordering_value {
            Some(s) => match s.get_ref().as_str() {
                "unordered" => Ordering::Unordered,
                "ordered" => Ordering::Ordered,
                other => {
                    self.invalid(
                        s.span(),
                        &f.field("ordering"),
                        format!("{other:?} is not an ordering: use \"unordered\" or \"ordered\""),
                    );
                    Ordering::Unordered
                }
            },
            None => Ordering::Unordered,
        };
        let version = match f.str(self, "version") {
            Some(s) if s.get_ref().is_empty() => {
                self.invalid(
                    s.span(),
                    &f.field("version"),
                    "empty: give the channel version (\"ics20-1\" for ICS-20 transfers)",
                );
                String::new()
            }
            Some(s) => s.into_inner(),
            None => DEFAULT_VERSION.to_string(),
        };
        if let (Some(o), Ordering::Ordered, DEFAULT_VERSION) =
            (&ordering_value, ordering, version.as_str())
        {
            self.invalid(
                o.span(),
                &f.field("ordering"),
                "ICS-20 (version \"ics20-1\") channels must be unordered: set ordering = \
                 \"unordered\", or the version of the application you relay for",
            );
        }
        let a = self.path_end(&f, "a", known);
        let b = self.path_end(&f, "b", known);
        if let (Some((a, _)), Some((b, b_span))) = (&a, &b) {
            if a.chain_id == b.chain_id && !a.chain_id.is_empty() {
                self.invalid(
                    b_span.clone(),
                    &format!("{}.b.chain_id", f.path),
                    format!(
                        "both sides are chain {:?}: a path joins two different chains",
                        a.chain_id
                    ),
                );
            }
        }
        let name = name?;
        let name_span = name.span();
        Some((
            PathConfig {
                name: name.into_inner(),
                a: a?.0,
                b: b?.0,
                ordering,
                version,
            },
            name_span,
        ))
    }

    /// One side of a path, and the span of its chain id.
    fn path_end(
        &mut self,
        path: &Fields<'_, '_>,
        side: &str,
        known: &[String],
    ) -> Option<(PathEnd, Range<usize>)> {
        let field = path.field(side);
        let Some(v) = path.get(side) else {
            self.report(path.span.clone(), &field, ProblemKind::Missing);
            return None;
        };
        let f = self.table(v, field, PATH_END_FIELDS)?;
        let chain_id = f.required_str(self, "chain_id");
        if let Some(c) = &chain_id {
            if !known.iter().any(|k| k == c.get_ref()) {
                self.report(
                    c.span(),
                    &f.field("chain_id"),
                    ProblemKind::UnknownChain {
                        chain_id: c.get_ref().clone(),
                        known: known.to_vec(),
                    },
                );
            }
        }
        let id = |p: &mut Self, key: &str, kind: IdKind| {
            let s = f.str(p, key)?;
            if let Err(reason) = check_identifier(s.get_ref(), kind) {
                p.invalid(s.span(), &f.field(key), reason);
            }
            Some(s)
        };
        let client_id = id(self, "client_id", IdKind::Client);
        let connection_id = id(self, "connection_id", IdKind::Connection);
        let port_id = id(self, "port_id", IdKind::Port);
        let channel_id = id(self, "channel_id", IdKind::Channel);
        if let (Some(conn), None) = (&connection_id, &client_id) {
            self.invalid(
                conn.span(),
                &f.field("connection_id"),
                "a connection needs its client: set client_id too",
            );
        }
        if let (Some(chan), None) = (&channel_id, &connection_id) {
            self.invalid(
                chan.span(),
                &f.field("channel_id"),
                "a channel needs its connection: set connection_id too",
            );
        }
        let chain_id = chain_id?;
        let span = chain_id.span();
        Some((
            PathEnd {
                chain_id: chain_id.into_inner(),
                client_id: client_id.map(Spanned::into_inner),
                connection_id: connection_id.map(Spanned::into_inner),
                port_id: port_id.map_or(DEFAULT_PORT.to_string(), Spanned::into_inner),
                channel_id: channel_id.map(Spanned::into_inner),
            },
            span,
        ))
    }

    /// A string value, or a type problem.
    fn string(
        &mut self,
        value: &Value<'_>,
        field: &str,
        expected: &'static str,
    ) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(value, field, expected);
                None
            }
        }
    }
}

impl<'a, 'i> Fields<'a, 'i> {
    fn field(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.table.get(key)
    }

    fn str(&self, p: &mut Parser<'_>, key: &str) -> Option<Spanned<String>> {
        let v = self.get(key)?;
        p.string(v, &self.field(key), "a string")
    }

    fn required_str(&self, p: &mut Parser<'_>, key: &str) -> Option<Spanned<String>> {
        if self.get(key).is_none() {
            p.report(self.span.clone(), &self.field(key), ProblemKind::Missing);
            return None;
        }
        self.str(p, key)
    }

    fn bool(&self, p: &mut Parser<'_>, key: &str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                p.wrong_type(v, &self.field(key), "true or false");
                None
            }
        }
    }

    /// An integer above zero.
    fn positive_u64(&self, p: &mut Parser<'_>, key: &str) -> Option<Spanned<u64>> {
        let v = self.get(key)?;
        let field = self.field(key);
        let DeValue::Integer(n) = v.get_ref() else {
            p.wrong_type(v, &field, "an integer");
            return None;
        };
        match u64::from_str_radix(n.as_str(), n.radix()) {
            Ok(0) => {
                p.invalid(v.span(), &field, "0: must be above zero");
                None
            }
            Ok(x) => Some(Spanned::new(v.span(), x)),
            Err(_) => {
                p.invalid(
                    v.span(),
                    &field,
                    format!("{n}: must be an integer from 1 to {}", u64::MAX),
                );
                None
            }
        }
    }

    /// A number (integer or float).
    fn number(&self, p: &mut Parser<'_>, key: &str) -> Option<Spanned<f64>> {
        let v = self.get(key)?;
        let text = match v.get_ref() {
            DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
                Ok(x) => return Some(Spanned::new(v.span(), x as f64)),
                Err(_) => n.as_str().to_string(),
            },
            DeValue::Float(x) => x.as_str().to_string(),
            _ => {
                p.wrong_type(v, &self.field(key), "a number");
                return None;
            }
        };
        let parsed = text
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite());
        match parsed {
            Some(x) => Some(Spanned::new(v.span(), x)),
            None => {
                p.invalid(
                    v.span(),
                    &self.field(key),
                    format!("{text}: must be a finite number"),
                );
                None
            }
        }
    }

    /// A duration string (`"14d"`, `"10s"`); `positive`: zero is refused.
    fn duration(&self, p: &mut Parser<'_>, key: &str, positive: bool) -> Option<Duration> {
        let s = self.str(p, key)?;
        match parse_duration(s.get_ref()) {
            Ok(d) if positive && d.is_zero() => {
                p.invalid(s.span(), &self.field(key), "zero: must be above zero");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                p.invalid(
                    s.span(),
                    &self.field(key),
                    format!("not a duration: {e} (write e.g. \"14d\", \"1h30m\", \"10s\")"),
                );
                None
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn article(type_str: &'static str) -> &'static str {
    match type_str {
        "string" => "a string",
        "integer" => "an integer",
        "float" => "a float",
        "boolean" => "a boolean",
        "datetime" => "a datetime",
        "array" => "an array",
        "table" => "a table",
        other => other,
    }
}

/// A chain id CometBFT accepts: 1 to 50 bytes, no whitespace or control characters.
fn check_chain_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("empty: give the chain id from the chain's genesis".into());
    }
    if id.len() > MAX_CHAIN_ID_LEN {
        return Err(format!(
            "{} bytes: CometBFT chain ids are at most {MAX_CHAIN_ID_LEN}",
            id.len()
        ));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{id:?} has whitespace or control characters"));
    }
    Ok(())
}

/// An `http://` or `https://` URL with a host and, if given, a valid port.
fn check_url(url: &str) -> Result<(), String> {
    let hint = "expected an http:// or https:// URL such as \"http://127.0.0.1:26657\"";
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} has whitespace in it; {hint}"));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("{url:?} has no scheme; {hint}"));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "{url:?}: the scheme {scheme:?} is not http or https (CometBFT's tcp:// listen \
             address is reached as http://); {hint}"
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let Some((host, after)) = v6.split_once(']') else {
            return Err(format!("{url:?}: unclosed [ in the IPv6 host; {hint}"));
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("{url:?}: junk after the IPv6 host; {hint}")),
            },
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host; {hint}"));
    }
    if let Some(port) = port {
        if !matches!(port.parse::<u16>(), Ok(p) if p > 0) {
            return Err(format!("{url:?}: port {port:?} is not 1 to 65535; {hint}"));
        }
    }
    Ok(())
}

/// Two URLs that name the same endpoint (ignoring case of scheme and host, and a trailing
/// slash).
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// A Cosmos SDK denom (`[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`).
fn check_denom(denom: &str) -> Result<(), String> {
    let ok = (3..=128).contains(&denom.len())
        && denom.starts_with(|c: char| c.is_ascii_alphabetic())
        && denom
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{denom:?} is not a Cosmos SDK denom: 3 to 128 characters, a letter first, then \
             letters, digits or / : . _ - (e.g. \"stake\", \"uatom\", \"ibc/27394F...\")"
        ))
    }
}

#[derive(Clone, Copy)]
enum IdKind {
    Client,
    Connection,
    Port,
    Channel,
}

/// An ICS-24 identifier of this kind: its length range, and only `a-z A-Z 0-9 . _ + - # [ ]
/// < >`.
fn check_identifier(id: &str, kind: IdKind) -> Result<(), String> {
    let (what, min, max, example) = match kind {
        IdKind::Client => ("client id", 9, 64, "07-tendermint-0"),
        IdKind::Connection => ("connection id", 10, 64, "connection-0"),
        IdKind::Port => ("port id", 2, 128, "transfer"),
        IdKind::Channel => ("channel id", 8, 64, "channel-0"),
    };
    if !(min..=max).contains(&id.len()) {
        return Err(format!(
            "{id:?} is not a valid {what}: ICS-24 {what}s are {min} to {max} characters \
             (e.g. {example:?})"
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+-#[]<>".contains(*c)))
    {
        return Err(format!(
            "{id:?} is not a valid {what}: {c:?} is not allowed (ICS-24 identifiers use \
             a-z, A-Z, 0-9 and . _ + - # [ ] < >; e.g. {example:?})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        Config::parse(text).unwrap_err()
    }

    /// A minimal valid chain entry with `id`.
    fn chain(id: &str) -> String {
        format!(
            "[[chains]]\nid = \"{id}\"\nrpc = \"http://127.0.0.1:26657\"\nkey = \"relayer\"\n\
             gas_price = {{ amount = 0.025, denom = \"stake\" }}\n"
        )
    }

    #[test]
    fn example_is_valid_and_complete() {
        let c = Config::parse(EXAMPLE).unwrap();
        assert_eq!(c.global, Global::default());
        assert_eq!(c.telemetry, Telemetry::default());
        assert_eq!(
            c.telemetry.listen.to_string(),
            DEFAULT_TELEMETRY_LISTEN.to_string()
        );
        let a = c.chain("ferry-a").unwrap();
        assert_eq!(a.rpc, "http://127.0.0.1:26657");
        assert_eq!(a.key, "relayer");
        assert_eq!(
            a.gas_price,
            GasPrice {
                amount: 0.025,
                denom: "stake".into()
            }
        );
        assert_eq!((a.default_gas, a.max_gas), (100_000, 4_000_000));
        assert_eq!(a.trust_threshold, TrustThreshold::ONE_THIRD);
        assert_eq!(a.trusting_period, DEFAULT_TRUSTING_PERIOD);
        assert_eq!(a.clock_drift, DEFAULT_CLOCK_DRIFT);
        assert_eq!(a.max_block_time, DEFAULT_MAX_BLOCK_TIME);
        assert_eq!(c.chain("ferry-b").unwrap().rpc, "http://127.0.0.1:26757");
        let p = c.path("a-b").unwrap();
        assert_eq!(
            (p.ordering, p.version.as_str()),
            (Ordering::Unordered, "ics20-1")
        );
        assert_eq!(
            p.a,
            PathEnd {
                chain_id: "ferry-a".into(),
                client_id: None,
                connection_id: None,
                port_id: "transfer".into(),
                channel_id: None,
            }
        );
        assert_eq!(p.b.chain_id, "ferry-b");
    }

    #[test]
    fn defaults_fill_optional_fields() {
        let c = Config::parse(&chain("x")).unwrap();
        let x = &c.chains[0];
        assert_eq!(x.account_prefix, "cosmos");
        assert!(x.witnesses.is_empty());
        assert_eq!(x.gas_multiplier, DEFAULT_GAS_MULTIPLIER);
        assert_eq!(x.store_prefix, "ibc");
        assert!(c.paths.is_empty());
    }

    #[test]
    fn every_field_read() {
        let text = r#"
[global]
log_format = "json"
data_dir = "/var/lib/ferry"
[telemetry]
enabled = true
listen = "[::1]:9000"
[[chains]]
id = "osmosis-1"
rpc = "https://rpc.osmosis.example:443/"
witnesses = ["https://w1.example", "http://10.0.0.2:26657"]
key = "osmo-relayer"
account_prefix = "osmo"
gas_price = { amount = 1, denom = "uosmo" }
default_gas = 0x30d40
max_gas = 1_000_000
gas_multiplier = 2
trust_threshold = "2/3"
trusting_period = "9d"
clock_drift = "0"
max_block_time = "5s"
store_prefix = "ibc"
[[chains]]
id = "b"
rpc = "http://b"
key = "k"
gas_price.amount = 0.5
gas_price.denom = "ubbb"
[[paths]]
name = "p"
ordering = "ordered"
version = "ics27-1"
a = { chain_id = "osmosis-1", client_id = "07-tendermint-12", connection_id = "connection-3", port_id = "icahost", channel_id = "channel-7" }
b.chain_id = "b"
"#;
        let c = Config::parse(text).unwrap();
        assert_eq!(c.global.log_format, LogFormat::Json);
        assert_eq!(c.global.data_dir, Some(PathBuf::from("/var/lib/ferry")));
        assert!(c.telemetry.enabled);
        assert_eq!(c.telemetry.listen.to_string(), "[::1]:9000");
        let o = &c.chains[0];
        assert_eq!(o.witnesses.len(), 2);
        assert_eq!(o.account_prefix, "osmo");
        assert_eq!(o.gas_price.amount, 1.0);
        assert_eq!((o.default_gas, o.max_gas), (200_000, 1_000_000));
        assert_eq!(o.gas_multiplier, 2.0);
        assert_eq!(o.trust_threshold, TrustThreshold::TWO_THIRDS);
        assert_eq!(o.trusting_period, Duration::from_secs(9 * 86_400));
        assert_eq!(o.clock_drift, Duration::ZERO);
        assert_eq!(c.chains[1].gas_price.denom, "ubbb");
        let p = &c.paths[0];
        assert_eq!(p.ordering, Ordering::Ordered);
        assert_eq!(p.a.channel_id.as_deref(), Some("channel-7"));
        assert_eq!(p.a.port_id, "icahost");
        assert_eq!(p.b.port_id, "transfer");
    }

    #[test]
    fn every_problem_reported_with_line_column_and_field() {
        let text = "\
[[chains]]
id = \"a\"
rcp = \"http://x:1\"
key = \"relayer\"
gas_price = { amount = -1, denom = \"s\" }
trust_threshold = \"1/4\"
trusting_period = \"0s\"
default_gas = \"lots\"
[[chains]]
id = \"a\"
rpc = \"tcp://127.0.0.1:26657\"
key = \"k\"
gas_price = { amount = 1, denom = \"stake\" }
witnesses = [\"tcp://127.0.0.1:26657\"]
[[paths]]
name = \"p\"
a = { chain_id = \"a\", channel_id = \"channel-0\" }
b = { chain_id = \"c\" }
";
        let ps = problems(text);
        let got: Vec<(usize, usize, &str)> = ps
            .iter()
            .map(|p| (p.line, p.column, p.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 1, "chains[0].rpc"),
                (3, 1, "chains[0].rcp"),
                (5, 24, "chains[0].gas_price.amount"),
                (5, 36, "chains[0].gas_price.denom"),
                (6, 19, "chains[0].trust_threshold"),
                (7, 19, "chains[0].trusting_period"),
                (8, 15, "chains[0].default_gas"),
                (10, 6, "chains[1].id"),
                (11, 7, "chains[1].rpc"),
                (14, 14, "chains[1].witnesses[0]"),
                (17, 36, "paths[0].a.channel_id"),
                (18, 18, "paths[0].b.chain_id"),
            ],
            "{ps:#?}"
        );
        assert_eq!(ps[0].kind, ProblemKind::Missing);
        assert!(matches!(ps[1].kind, ProblemKind::UnknownField { .. }));
        assert!(ps[1].to_string().contains("expected one of: id, rpc,"));
        assert_eq!(
            ps[6].kind,
            ProblemKind::WrongType {
                expected: "an integer",
                found: "a string"
            }
        );
        assert_eq!(
            ps[7].kind,
            ProblemKind::Duplicate {
                value: "a".into(),
                first_line: 2
            }
        );
        assert!(ps[4].to_string().contains("1/3 <= N/D <= 1"), "{}", ps[4]);
        assert!(ps[8].to_string().contains("not http or https"));
        assert_eq!(
            ps[11].kind,
            ProblemKind::UnknownChain {
                chain_id: "c".into(),
                known: vec!["a".into()]
            }
        );
        assert_eq!(
            ps[11].to_string(),
            "18:18: paths[0].b.chain_id: no chain \"c\" is configured (the [[chains]] ids \
             are: a)"
        );
    }

    #[test]
    fn syntax_errors_are_all_reported_alone() {
        let text = format!("{}x = \n\n[[chains]\ny = 1\n", chain("a"));
        let ps = problems(&text);
        assert!(ps.len() >= 2, "{ps:#?}");
        assert!(ps
            .iter()
            .all(|p| matches!(p.kind, ProblemKind::Syntax { .. })));
        assert_eq!((ps[0].line, ps[0].field.as_str()), (6, ""));
        assert!(ps.iter().any(|p| p.line == 8), "{ps:#?}");
        // A key given twice is a TOML error.
        let ps = problems(&format!("{}id = \"b\"\n", chain("a")));
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].line, 6);
    }

    #[test]
    fn top_level_problems() {
        let ps = problems("");
        assert_eq!(
            (ps[0].line, ps[0].column, ps[0].field.as_str()),
            (1, 1, "chains")
        );
        let ps = problems(&format!("chain = 1\n{}", chain("a")));
        assert_eq!(ps[0].field, "chain");
        let ps = problems("chains = 3\n");
        assert_eq!(
            ps[0].kind,
            ProblemKind::WrongType {
                expected: "an array of tables ([[chains]])",
                found: "an integer"
            }
        );
        let ps = problems(&format!(
            "[global]\nlog_format = \"xml\"\n[telemetry]\nlisten = \"localhost:1\"\nenabled = \"yes\"\n{}",
            chain("a")
        ));
        let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["global.log_format", "telemetry.listen", "telemetry.enabled"]
        );
    }

    #[test]
    fn chain_values_checked() {
        let bad = |line: &str| {
            let ps = problems(&format!("{}{line}\n", chain("a")));
            assert_eq!(ps.len(), 1, "{line}: {ps:#?}");
            assert_eq!(ps[0].line, 6, "{line}");
            ps[0].clone()
        };
        for line in [
            "witnesses = [\"http://127.0.0.1:26657\"]",
            "witnesses = [\"http://w:1\", \"http://W:1/\"]",
            "witnesses = \"http://w:1\"",
            "witnesses = [1]",
            "account_prefix = \"Cosmos\"",
            "max_gas = 50000",
            "max_gas = 0",
            "max_gas = -5",
            "default_gas = 500000",
            "gas_multiplier = 0.9",
            "gas_multiplier = nan",
            "trust_threshold = \"2/1\"",
            "trust_threshold = 0.5",
            "clock_drift = \"10x\"",
            "max_block_time = \"0\"",
            "store_prefix = \"\"",
        ] {
            let p = bad(line);
            assert!(p.field.starts_with("chains[0]."), "{p}");
        }
        for (rpc, ok) in [
            ("http://127.0.0.1:26657", true),
            ("https://rpc.cosmos.network", true),
            ("http://[::1]:26657/", true),
            ("http://user:pw@host:1/path", true),
            ("HTTP://HOST", true),
            ("127.0.0.1:26657", false),
            ("ws://127.0.0.1:26657", false),
            ("http://", false),
            ("http://host:0", false),
            ("http://host:99999", false),
            ("http://[::1", false),
            ("http://host name", false),
        ] {
            assert_eq!(check_url(rpc).is_ok(), ok, "{rpc}");
        }
        for (id, ok) in [
            ("ferry-a", true),
            ("", false),
            ("a b", false),
            (&*"x".repeat(51), false),
        ] {
            assert_eq!(check_chain_id(id).is_ok(), ok, "{id:?}");
        }
        for (denom, ok) in [
            ("stake", true),
            (
                "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
                true,
            ),
            ("st", false),
            ("1stake", false),
            ("sta ke", false),
        ] {
            assert_eq!(check_denom(denom).is_ok(), ok, "{denom:?}");
        }
    }

    #[test]
    fn path_values_checked() {
        let two = format!("{}{}", chain("a"), chain("b"));
        let path = |body: &str| format!("{two}[[paths]]\n{body}\n");
        let ok = Config::parse(&path(
            "name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"b\"\nb.client_id = \"07-tendermint-0\"\nb.connection_id = \"connection-0\"",
        ))
        .unwrap();
        assert_eq!(ok.paths[0].b.connection_id.as_deref(), Some("connection-0"));
        for (body, field) in [
            ("a.chain_id = \"a\"\nb.chain_id = \"b\"", "paths[0].name"),
            ("name = \"p\"\nb.chain_id = \"b\"", "paths[0].a"),
            ("name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"a\"", "paths[0].b.chain_id"),
            (
                "name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"b\"\nordering = \"ordered\"",
                "paths[0].ordering",
            ),
            (
                "name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"b\"\nordering = \"fifo\"",
                "paths[0].ordering",
            ),
            (
                "name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"b\"\na.client_id = \"x\"",
                "paths[0].a.client_id",
            ),
            (
                "name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"b\"\na.port_id = \"tr/ansfer\"",
                "paths[0].a.port_id",
            ),
            (
                "name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"b\"\nb.connection_id = \"connection-0\"",
                "paths[0].b.connection_id",
            ),
            (
                "name = \"p\"\na.chain_id = \"a\"\nb = { chain_id = \"b\", colour = 1 }",
                "paths[0].b.colour",
            ),
        ] {
            let ps = problems(&path(body));
            assert_eq!(ps.len(), 1, "{body}: {ps:#?}");
            assert_eq!(ps[0].field, field, "{body}");
        }
        // Duplicate path names.
        let body = "name = \"p\"\na.chain_id = \"a\"\nb.chain_id = \"b\"";
        let ps = problems(&format!("{two}[[paths]]\n{body}\n[[paths]]\n{body}\n"));
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_eq!(ps[0].field, "paths[1].name");
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\n\u{e9}\u{e9}x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 7), (2, 3));
        assert_eq!(line_column(text, 100), (3, 1));
    }

    #[test]
    fn data_dir_resolution() {
        let mut c = Config::parse(&chain("a")).unwrap();
        let home = Path::new("/h/.ferry");
        let file = Path::new("/etc/ferry/config.toml");
        assert_eq!(c.data_dir(home, file).unwrap(), home);
        c.global.data_dir = Some("state".into());
        assert_eq!(
            c.data_dir(home, file).unwrap(),
            Path::new("/etc/ferry/state")
        );
        c.global.data_dir = Some("/srv/ferry".into());
        assert_eq!(c.data_dir(home, file).unwrap(), Path::new("/srv/ferry"));
        assert_eq!(config_path(home, None), Path::new("/h/.ferry/config.toml"));
        assert_eq!(home_dir(Some(home)).unwrap(), home);
    }

    #[test]
    fn write_example_refuses_to_overwrite() {
        let dir = std::env::temp_dir().join(format!("ferry-config-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub").join("config.toml");
        write_example(&path, false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);
        std::fs::write(&path, "mine").unwrap();
        let e = write_example(&path, false).unwrap_err();
        assert_eq!(e.exit_code(), 73);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
        write_example(&path, true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);
        // No temporary files left behind.
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
