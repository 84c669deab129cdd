//! # ferry-testnet
//!
//! Test support for Ferry (a dev-dependency only, never published): real chains on loopback,
//! started and stopped by tests.
//!
//! * [`CometBftNetwork`]: N CometBFT validators (default 4) running the built-in `kvstore`
//!   app, `timeout_commit` 200 ms, each node's RPC on its own free port; validator-set changes
//!   through kvstore's `val=` transactions ([`CometBftNetwork::set_validator_power`]).
//! * [`SimdChain`]: a one-validator ibc-go `simd` chain with accounts (`val`, `relayer`,
//!   `user` by default) recovered from [`TEST_MNEMONIC`] at HD path `m/44'/118'/0'/0/i` and
//!   funded at genesis; any number can run at once, with different chain ids.
//! * [`RpcClient`]: a small blocking CometBFT RPC client over HTTP/1.0 on `std::net`, which
//!   decodes `/commit` and paginated `/validators` into `ferry-verifier` light blocks and
//!   `abci_query` answers into ProofOps; it is a `bisect::LightBlockSource`.
//!
//! Every start waits until the RPC answers `/status` with height >= 2 (bounded; the error
//! carries the tail of the node's log). Homes are fresh directories under
//! [`std::env::temp_dir`]; ports are found by binding `127.0.0.1:0`, never handed out twice in
//! one process, and a start whose node finds its port taken is retried with new ports.
//!
//! Processes are killed (SIGKILL) and reaped when the network or chain is dropped, which
//! includes a test's panic (Drop runs during unwinding). On Linux they are also started with
//! `PR_SET_PDEATHSIG`, so they die with the test process even when it is killed: keep a
//! network on the thread that started it (the signal fires when that *thread* ends). The home
//! is removed on drop unless the thread is panicking (or `FERRY_TESTNET_KEEP` is set): then it
//! is kept and its path, with the node logs in it, printed to stderr.
//!
//! Binaries come from `$FERRY_CHAINS` if set, else `<repo>/target/chains`, where
//! `bash scripts/chains/install.sh` builds them. Tests start with [`require_chains`]:
//!
//! ```no_run
//! # fn main() -> Result<(), ferry_testnet::Error> {
//! if !ferry_testnet::require_chains() {
//!     return Ok(()); // printed "SKIPPED (no real chains): ..." (a panic when CI=true)
//! }
//! let net = ferry_testnet::CometBftNetwork::start(4)?;
//! let rpc = net.rpc(0);
//! let block = rpc.light_block::<32>(2)?; // a ferry_verifier::LightBlock<32>
//! assert_eq!(block.header().hash(), rpc.commit::<32>(2)?.signed_header.commit.block_id.hash);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod cometbft;
mod encoding;
pub mod http;
mod process;
mod rpc;
mod simd;

pub use cometbft::{kvstore_validator_tx, CometBftBuilder, CometBftNetwork, ValidatorKey};
pub use encoding::{base64_encode, bech32_decode, hex_encode};
pub use process::{free_port, TempDir};
pub use rpc::{AbciQuery, RpcClient, Status, TxCommit};
pub use simd::{balance_key, Account, SimdBuilder, SimdChain, DENOM};

/// The mnemonic [`SimdChain`] recovers its accounts from (account `i` at HD path
/// `m/44'/118'/0'/0/i`). Public test data: never hold anything of value under it.
pub const TEST_MNEMONIC: &str = "cushion range empty quality decade end index salon tongue \
    desert truly fly crazy joy bunker same fix excuse oblige trip bulk act plate tuition";

/// What to run to get the binaries.
pub const INSTALL_HINT: &str = "run `bash scripts/chains/install.sh` (needs Go >= 1.24), or set \
    FERRY_CHAINS to a directory holding `cometbft` and `simd`";

/// Why a network could not be started, queried or changed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A chain binary is not there.
    MissingBinary {
        /// `cometbft` or `simd`.
        name: &'static str,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A file or process operation failed.
    Io {
        /// What was being done.
        action: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// A setup command (`cometbft testnet`, `simd init`, ...) failed or timed out.
    Setup {
        /// The command line.
        command: String,
        /// Its exit status, or why it has none.
        status: String,
        /// Its output (stdout and stderr, tail).
        output: String,
    },
    /// A generated file did not have the expected content.
    Config {
        /// The file.
        file: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A node exited before it was ready.
    NodeExited {
        /// Which node.
        node: String,
        /// Its exit status.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },
    /// A node did not reach the required height in time.
    StartTimeout {
        /// Which node.
        node: String,
        /// The height waited for.
        height: u64,
        /// How long it was given.
        timeout: Duration,
        /// The last answer or error from its RPC.
        last: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },
    /// A node kept finding its ports taken, after every retry.
    PortsInUse {
        /// How many starts were tried.
        attempts: usize,
        /// The last failure.
        last: Box<Error>,
    },
    /// The HTTP exchange with an RPC server failed.
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The RPC server answered with a JSON-RPC error.
    Rpc {
        /// The URL.
        url: String,
        /// The method.
        method: String,
        /// JSON-RPC error code.
        code: i64,
        /// Message.
        message: String,
        /// Details (`data`).
        data: String,
    },
    /// The RPC answer is not what the method returns.
    BadAnswer {
        /// The URL.
        url: String,
        /// The method.
        method: String,
        /// What is wrong (with the JSON path when known).
        reason: String,
    },
    /// A transaction was refused by the application.
    TxRefused {
        /// `check_tx` or `tx_result`.
        stage: &'static str,
        /// ABCI code.
        code: u32,
        /// ABCI log.
        log: String,
    },
    /// Waited too long for a condition.
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingBinary { name, path } => {
                write!(f, "{name} not found at {}: {INSTALL_HINT}", path.display())
            }
            Error::Io { action, error } => write!(f, "{action}: {error}"),
            Error::Setup {
                command,
                status,
                output,
            } => write!(f, "`{command}` failed ({status}); its output:\n{output}"),
            Error::Config { file, reason } => write!(f, "{}: {reason}", file.display()),
            Error::NodeExited {
                node,
                status,
                log,
                tail,
            } => write!(
                f,
                "{node} exited ({status}) before it was ready; the end of its log {}:\n{tail}",
                log.display()
            ),
            Error::StartTimeout {
                node,
                height,
                timeout,
                last,
                log,
                tail,
            } => write!(
                f,
                "{node} did not reach height {height} within {timeout:?} (last: {last}); \
                 the end of its log {}:\n{tail}",
                log.display()
            ),
            Error::PortsInUse { attempts, last } => write!(
                f,
                "nodes found their ports taken in each of {attempts} starts; last: {last}"
            ),
            Error::Http { url, reason } => write!(f, "{url}: {reason}"),
            Error::Rpc {
                url,
                method,
                code,
                message,
                data,
            } => write!(f, "{url} {method}: RPC error {code}: {message}: {data}"),
            Error::BadAnswer {
                url,
                method,
                reason,
            } => write!(f, "{url} {method}: unexpected answer: {reason}"),
            Error::TxRefused { stage, code, log } => {
                write!(f, "transaction refused at {stage} with code {code}: {log}")
            }
            Error::Timeout { what, waited } => write!(f, "waited {waited:?} for {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { error, .. } => Some(error),
            Error::PortsInUse { last, .. } => Some(&**last),
            _ => None,
        }
    }
}

impl Error {
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let action = action.into();
        move |error| Error::Io { action, error }
    }
}

/// The directory the chain binaries are taken from: `$FERRY_CHAINS` when set and not empty,
/// else `<repo>/target/chains`.
pub fn chains_dir() -> PathBuf {
    match std::env::var_os("FERRY_CHAINS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => {
            let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
            crate_dir
                .parent()
                .unwrap_or(crate_dir)
                .join("target")
                .join("chains")
        }
    }
}

/// The path of binary `name` (`cometbft` or `simd`) in `dir`, or [`Error::MissingBinary`].
pub fn binary_in(dir: &Path, name: &'static str) -> Result<PathBuf, Error> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::MissingBinary { name, path })
    }
}

/// Whether the real chain binaries (`cometbft` and `simd`) are installed. When they are not:
/// with `CI=true` this panics (a missing set is a failure in CI); otherwise it prints
/// `SKIPPED (no real chains): run bash scripts/chains/install.sh` straight to stderr (past the
/// test harness's capture) and returns `false`, and the test should return at once.
#[allow(clippy::panic)]
pub fn require_chains() -> bool {
    let dir = chains_dir();
    let missing: Vec<String> = ["cometbft", "simd"]
        .into_iter()
        .filter_map(|name| match binary_in(&dir, name) {
            Ok(_) => None,
            Err(_) => Some(dir.join(name).display().to_string()),
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(", ");
    if is_ci() {
        panic!("CI=true and the real chains are missing ({missing}): {INSTALL_HINT}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED (no real chains): run bash scripts/chains/install.sh (missing: {missing})"
    );
    false
}

/// The system clock as a `ferry_verifier::Time` (the `now` of a verification; the Unix epoch
/// if the clock is before it).
pub fn now() -> ferry_verifier::Time {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| {
            ferry_verifier::Time::from_unix(i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()).ok()
        })
        .unwrap_or(ferry_verifier::Time::UNIX_EPOCH)
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}
