//! `ferry`: the command-line front end.

use std::io::{BufRead as _, IsTerminal as _, Read as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ferry::config::{self, Config, ConfigError};
use ferry::handshake::{self, HandshakeError};
use ferry::inspect;
use ferry::keys::{self, HdPath, KeyError, KeyStore, Mnemonic, StoredKey};
use ferry::light::{Progress, WitnessCheck};
use ferry::offline::{self, InputError};
use ferry::ops::{self, Context, OpsError};
use ferry::relay::clear::{self as relay_clear, ClearRequest, RelayError};
use ferry_verifier::{Options, Time, TrustThreshold};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "ferry",
    version,
    about = "CometBFT light-client verifier and IBC relayer"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum ProofCommand {
    /// Verify an ICS-23 proof of membership (with --value) or non-membership (without).
    ///
    /// Exit codes: 0 valid, 1 invalid, 64 bad option, 65 malformed file, 66 unreadable file.
    Verify {
        /// The root the proof must reach (the app hash of the verified header at H+1), hex.
        #[arg(long)]
        root: String,
        /// The key, hex (for a chain of ProofOps: the innermost key).
        #[arg(long)]
        key: String,
        /// The value, hex; omit to prove absence.
        #[arg(long)]
        value: Option<String>,
        /// A CommitmentProof (hex or binary), or an abci_query JSON response with proofOps.
        #[arg(long)]
        proof: PathBuf,
        /// Proof specs: cosmos (iavl then tendermint), iavl, tendermint, smt, or a file of
        /// protobuf ProofSpecs (binary, or hex one per line).
        #[arg(long, default_value = "cosmos")]
        specs: String,
        /// Print one JSON object {verdict, reason}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Verify CometBFT evidence (duplicate vote, light-client attack) as a node would.
    ///
    /// Exit codes: 0 valid, 1 invalid, 64 bad option, 65 malformed file, 66 unreadable file.
    Verify {
        /// The node's view: a light block, or a JSON array of light blocks, of the chain.
        #[arg(long)]
        trusted: PathBuf,
        /// The evidence: CometBFT JSON {"type": "tendermint/...Evidence", "value": {...}}.
        #[arg(long)]
        evidence: PathBuf,
        /// The chain's evidence max age (consensus params), e.g. 48h.
        #[arg(long, default_value = "48h")]
        max_age: String,
        /// The chain's evidence max age in blocks.
        #[arg(long, default_value_t = 100_000)]
        max_age_blocks: u64,
        /// Print one JSON object {verdict, reason}.
        #[arg(long)]
        json: bool,
    },
}

/// Where the config file and the data are: `--home` and `--config`, given before or after
/// the subcommand.
#[derive(Args)]
struct Locations {
    /// Ferry's home: the default place of the config file and of keys and state
    /// [default: $FERRY_HOME, else ~/.ferry].
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// The config file [default: <home>/config.toml].
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Write a commented example config: two local simd chains and one ICS-20 path.
    ///
    /// Refuses to replace an existing file unless --force.
    /// Exit codes: 0 written, 73 the file exists (without --force) or cannot be written,
    /// 64 bad option.
    Init {
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check the config file; print every problem with its line, column and field.
    ///
    /// Exit codes: 0 valid, 65 invalid (or not UTF-8), 66 unreadable, 64 bad option.
    Validate,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a key for a chain of the config: a new 24-word mnemonic (shown once, on stderr),
    /// or with --recover one read from standard input (never from the command line).
    ///
    /// Exit codes: 0 added, 64 bad name, HD path or chain, 65 invalid mnemonic or config,
    /// 66 config unreadable, 73 a key of that name exists or the key cannot be written.
    Add {
        /// The key's name (letters, digits, . _ -), as the config's `key` field names it.
        name: String,
        /// The chain (a [[chains]] id of the config) whose account prefix the address takes.
        #[arg(long)]
        chain: String,
        /// Read an existing mnemonic from standard input instead of making a new one.
        #[arg(long)]
        recover: bool,
        /// The BIP-32 derivation path.
        #[arg(long, default_value = keys::COSMOS_HD_PATH, value_name = "PATH")]
        hd_path: String,
    },
    /// List the stored keys: name, address, chain.
    ///
    /// Exit codes: 0 listed, 65 a key file is corrupt (the others are listed) or the config is
    /// invalid, 66 unreadable.
    List {
        /// Print a JSON array of {name, chain_id, address, public_key, hd_path}.
        #[arg(long)]
        json: bool,
    },
    /// Show a key's address, public key and HD path (never its secret).
    ///
    /// Exit codes: 0 shown, 64 bad name, 65 corrupt key file or invalid config, 66 no such key.
    Show {
        /// The key's name.
        name: String,
        /// Print one JSON object {name, chain_id, address, public_key, hd_path}.
        #[arg(long)]
        json: bool,
    },
    /// Delete a key; asks for confirmation on standard input unless --yes.
    ///
    /// Exit codes: 0 deleted, 1 not confirmed (nothing deleted), 64 bad name, 66 no such key,
    /// 73 cannot delete.
    Delete {
        /// The key's name.
        name: String,
        /// Do not ask.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum LightCommand {
    /// Trust a block: fetch the block at --height from the chain's node, check that its
    /// header hashes to --hash (from a source you trust) and is signed by its validators,
    /// and store it as the light client's root of trust.
    ///
    /// Refuses to replace another stored root unless --force.
    /// Exit codes: 0 stored (or the same root was stored already), 1 the block has another
    /// hash or is invalid, 3 it is older than the trusting period, 64 bad option or unknown
    /// chain, 65 invalid config, 66 config unreadable, 69 chain unreachable, 73 another root
    /// is stored (without --force) or the store cannot be written.
    Init {
        /// The chain (a [[chains]] id of the config).
        chain: String,
        /// The trusted height.
        #[arg(long)]
        height: u64,
        /// The header hash at that height (64 hex digits).
        #[arg(long)]
        hash: String,
        /// Replace a stored trusted state.
        #[arg(long)]
        force: bool,
    },
    /// Verify the chain from the stored trusted block to --height (default: the latest),
    /// bisecting where needed; progress on stderr, a summary line on stdout.
    ///
    /// Exit codes: 0 verified, 1 verification failed or a witness diverged (nothing saved),
    /// 3 the trusted block expired (re-initialise), 64 bad option, 65 invalid config or
    /// store, 66 config unreadable or no trusted state (run `ferry light init`), 69 chain
    /// unreachable.
    Sync {
        /// The chain.
        chain: String,
        /// The height to verify [default: the chain's latest].
        #[arg(long)]
        height: Option<u64>,
    },
    /// Show the stored trusted state: height, hash, time, expiry (no network).
    ///
    /// Exit codes: 0 shown, 3 shown and expired, 64 unknown chain, 65 invalid config or
    /// store, 66 config unreadable or no trusted state.
    Status {
        /// The chain.
        chain: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CreateCommand {
    /// Create a 07-tendermint client of --target on --host: the target's latest block,
    /// verified by its light client (`ferry light init` it first), signed by the host's key.
    ///
    /// Prints the client id. Exit codes: 0 created, 1 verification failed or the host refused
    /// the transaction, 3 the target's trusted state expired, 64 bad option or unknown chain,
    /// 65 invalid config, 66 config unreadable, no trusted state or no key, 69 a chain
    /// unreachable.
    Client {
        /// The chain the client lives on (signs and pays).
        #[arg(long)]
        host: String,
        /// The chain the client follows.
        #[arg(long)]
        target: String,
    },
    /// Open a connection between --a and --b over their clients of each other:
    /// ConnectionOpenInit on A, Try on B, Ack on A, Confirm on B, every proof verified against
    /// a header of its chain verified by the light client (`ferry light init` both chains).
    ///
    /// Prints both connection ids. Exit codes as `create client`; 66 also when a connection
    /// end is not as expected.
    Connection {
        /// Chain A (sends ConnectionOpenInit and Ack).
        #[arg(long)]
        a: String,
        /// Chain B (sends ConnectionOpenTry and Confirm).
        #[arg(long)]
        b: String,
        /// A's client of B (07-tendermint-N).
        #[arg(long)]
        a_client: String,
        /// B's client of A.
        #[arg(long)]
        b_client: String,
    },
    /// Open a channel between --a and --b over an OPEN connection: ChanOpenInit on A, Try on
    /// B, Ack on A, Confirm on B, proofs verified as for `create connection`.
    ///
    /// Prints both channel ids. Exit codes as `create connection`.
    Channel {
        /// Chain A (sends ChanOpenInit and Ack).
        #[arg(long)]
        a: String,
        /// Chain B (sends ChanOpenTry and Confirm).
        #[arg(long)]
        b: String,
        /// The OPEN connection on A.
        #[arg(long)]
        a_connection: String,
        /// Its counterparty on B.
        #[arg(long)]
        b_connection: String,
        /// The port on both chains.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// The application version.
        #[arg(long, default_value = "ics20-1")]
        version: String,
        /// An ordered channel (the default is unordered; ICS-20 requires unordered).
        #[arg(long)]
        ordered: bool,
    },
}

#[derive(Subcommand)]
enum UpdateCommand {
    /// Update client --client on --host to a header of its chain verified by the light
    /// client (--height, default the latest), trusted from the client's latest height.
    ///
    /// Exit codes: 0 updated, 1 verification failed or the host refused the transaction,
    /// 3 the target's trusted state expired, 64 bad option, unknown chain or --height not
    /// above the client's, 65 invalid config, 66 config unreadable, no trusted state, no key
    /// or no such client, 69 a chain unreachable.
    Client {
        /// The chain the client lives on.
        #[arg(long)]
        host: String,
        /// The client id on the host (07-tendermint-N).
        #[arg(long)]
        client: String,
        /// The chain the client follows [default: the client state's chain id].
        #[arg(long)]
        target: Option<String>,
        /// The target height [default: the target's latest].
        #[arg(long)]
        height: Option<u64>,
    },
}

/// Which direction(s) of which channel: a configured path (both directions), or explicit
/// chains and channel (one direction, from --src to --dst).
#[derive(Args)]
struct ChannelArgs {
    /// A [[paths]] name of the config whose channel ids are set: both directions.
    #[arg(long, conflicts_with_all = ["src", "dst", "channel"])]
    path: Option<String>,
    /// The chain the packets were sent on.
    #[arg(long, requires_all = ["dst", "channel"])]
    src: Option<String>,
    /// The chain they go to.
    #[arg(long)]
    dst: Option<String>,
    /// The channel on --src.
    #[arg(long)]
    channel: Option<String>,
    /// The port on --src.
    #[arg(long, default_value = "transfer")]
    port: String,
    /// At most this many messages per transaction. Gas is simulated (times gas_multiplier)
    /// and must stay under the chain's max_gas: an ICS-20 receive used about 60k-100k gas
    /// on simd, the first of a denomination more.
    #[arg(long, default_value_t = 30)]
    batch: usize,
}

#[derive(Subcommand)]
enum ClearCommand {
    /// Relay the pending packets of a channel: MsgRecvPacket on the destination, then the
    /// acknowledgements back, and MsgTimeout for packets whose timeout passed; every proof
    /// checked against a header verified by the light client before it is sent.
    ///
    /// Prints one line per direction. Exit codes: 0 cleared, 1 a proof did not verify or a
    /// chain refused a transaction, 64 bad option, 65 invalid config or unreadable event, 66
    /// no trusted state, no key, no such channel, 69 a chain unreachable or stalled.
    Packets {
        #[command(flatten)]
        which: ChannelArgs,
    },
}

#[derive(Subcommand)]
enum QueryPacketsCommand {
    /// The packets clearing would relay now: to receive, acknowledgements to relay, to time
    /// out (read from the chains' latest state; nothing is sent).
    Pending {
        #[command(flatten)]
        which: ChannelArgs,
        /// Print one JSON array, an object per direction.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum QueryCommand {
    /// Packets of a channel.
    Packets {
        #[command(subcommand)]
        command: QueryPacketsCommand,
    },
}

#[derive(Subcommand)]
enum TxCommand {
    /// Send ICS-20 transfers from --src over --channel, signed by --src's configured key
    /// (for trying a path out, and for load tests: --count transfers in transactions of
    /// --per-tx).
    ///
    /// Prints the packet sequences sent. Exit codes: 0 sent, 1 the chain refused a
    /// transaction, 64 bad option, 65 invalid config, 66 no key, 69 chain unreachable.
    Transfer {
        /// The chain to send from.
        #[arg(long)]
        src: String,
        /// The channel on --src.
        #[arg(long)]
        channel: String,
        /// The port on --src.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// The receiver's address on the destination.
        #[arg(long)]
        receiver: String,
        /// The amount of each transfer, e.g. 100stake.
        #[arg(long)]
        amount: String,
        /// How many transfers.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// At most this many transfers per transaction.
        #[arg(long, default_value_t = 100)]
        per_tx: usize,
        /// Time out this long after now (destination time), e.g. 10m, 30s.
        #[arg(long, default_value = "10m")]
        timeout: String,
        /// Sign with this key [default: --src's configured key].
        #[arg(long)]
        key: Option<String>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Relay every configured path until stopped: packets, acknowledgements, timeouts,
    /// client refreshes.
    ///
    /// Each round clears both directions of each path (as `ferry clear packets`); packets
    /// not seen before are found in the blocks that hold them (binary search over the
    /// channel's state at past heights, then block_results), not by scanning history. Logs
    /// go to stderr (human or JSON lines); metrics are served when [telemetry] is enabled.
    /// SIGINT/SIGTERM: finish the current round and exit 0; a second signal stops at once.
    ///
    /// Exit codes: 0 stopped by a signal, 64 bad option or no path to relay, 65 invalid
    /// config, 66 no key or no trusted state, 3 a light client expired, 69 a chain
    /// unreachable or the telemetry address unusable.
    Start {
        #[command(flatten)]
        at: Locations,
        /// Relay only these paths (repeatable) [default: all with channel ids].
        #[arg(long = "path")]
        paths: Vec<String>,
        /// At most this many packet messages per transaction (gas is simulated, and must
        /// stay under each chain's max_gas).
        #[arg(long, default_value_t = 30)]
        batch: usize,
        /// Look again every this many rounds for the pending packets whose events were not
        /// found (0: only at start).
        #[arg(long, default_value_t = 100)]
        clear_interval: u64,
        /// Log format, overriding global.log_format: human or json.
        #[arg(long)]
        log_format: Option<String>,
        /// Log level: error, warn, info, debug or trace.
        #[arg(long, default_value = "info")]
        log_level: String,
        /// Stop after this many rounds (for tests and benchmarks).
        #[arg(long, hide = true)]
        rounds: Option<u64>,
    },
    /// Check that every configured chain and path can be relayed: nodes, keys, accounts,
    /// light clients, IBC clients, channels.
    ///
    /// Prints one line per check. Exit codes: 0 all passed, 1 a check failed, 65 invalid
    /// config, 66 config unreadable.
    HealthCheck {
        #[command(flatten)]
        at: Locations,
        /// Print a JSON array of {chain, check, ok, detail}.
        #[arg(long)]
        json: bool,
    },
    /// Send transactions.
    Tx {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: TxCommand,
    },
    /// Relay pending packets.
    Clear {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: ClearCommand,
    },
    /// Query relaying state.
    Query {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: QueryCommand,
    },
    /// The relayer's config file: write an example, validate.
    Config {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The relayer's keys: add (new or recovered), list, show, delete.
    Keys {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The light clients: trust a block, verify the chain from it, show the trusted state.
    Light {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: LightCommand,
    },
    /// Create IBC objects: clients, connections, channels.
    Create {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: CreateCommand,
    },
    /// Update IBC clients.
    Update {
        #[command(flatten)]
        at: Locations,
        #[command(subcommand)]
        command: UpdateCommand,
    },
    /// Offline state-proof checks.
    #[command(subcommand)]
    Proof(ProofCommand),
    /// Offline evidence checks.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Verify an untrusted light block against a trusted one, offline.
    ///
    /// Without --trusted/--untrusted it verifies the embedded 4-validator example.
    /// Exit codes: 0 success, 2 not enough trust (bisect), 1 invalid, 64 bad option,
    /// 65 malformed file, 66 unreadable file.
    Verify {
        /// Trusted light block JSON ({signed_header, validator_set, next_validator_set}).
        #[arg(long, requires = "untrusted")]
        trusted: Option<PathBuf>,
        /// Untrusted light block JSON.
        #[arg(long, requires = "trusted")]
        untrusted: Option<PathBuf>,
        /// Verification time, RFC 3339 (default: the system clock).
        #[arg(long)]
        now: Option<String>,
        /// Trust threshold for skipping verification, N/D within [1/3, 1].
        #[arg(long, default_value = "1/3")]
        trust_level: String,
        /// Trusting period (e.g. 14d, 336h).
        #[arg(long, default_value = "14d")]
        trusting_period: String,
        /// Maximum clock drift (e.g. 10s).
        #[arg(long, default_value = "10s")]
        clock_drift: String,
        /// Check every signature, not only enough to reach the thresholds.
        #[arg(long)]
        all_signatures: bool,
        /// Print one JSON object {verdict, reason}.
        #[arg(long)]
        json: bool,
    },
}

#[allow(clippy::too_many_arguments)]
fn verify(
    trusted: Option<PathBuf>,
    untrusted: Option<PathBuf>,
    now: Option<String>,
    trust_level: &str,
    trusting_period: &str,
    clock_drift: &str,
    all_signatures: bool,
    json: bool,
) -> Result<i32, InputError> {
    let bad = |option: &'static str| move |error: String| InputError::BadOption { option, error };
    let options = Options {
        trust_threshold: TrustThreshold::parse(trust_level)
            .map_err(|e| bad("--trust-level")(e.to_string()))?,
        trusting_period: offline::parse_duration(trusting_period)
            .map_err(bad("--trusting-period"))?,
        clock_drift: offline::parse_duration(clock_drift).map_err(bad("--clock-drift"))?,
        verify_all_signatures: all_signatures,
        ..Options::default()
    };
    let (t, u, default_now) = match (trusted, untrusted) {
        (Some(t), Some(u)) => (
            offline::read_light_block(&t)?,
            offline::read_light_block(&u)?,
            None,
        ),
        _ => (
            offline::parse_light_block(offline::EXAMPLE_TRUSTED, "embedded example h1")?,
            offline::parse_light_block(offline::EXAMPLE_UNTRUSTED, "embedded example h5")?,
            Some(offline::EXAMPLE_NOW),
        ),
    };
    let now = match now.as_deref().or(default_now) {
        Some(s) => Time::parse_rfc3339(s).map_err(|e| bad("--now")(e.to_string()))?,
        None => offline::system_now()?,
    };
    let report = offline::run_verify(&t, &u, now, &options);
    if json {
        println!(
            "{}",
            serde_json::json!({"verdict": report.verdict, "reason": report.reason})
        );
    } else if report.reason.is_empty() {
        println!(
            "{}: height {} verified from height {}",
            report.verdict,
            u.height(),
            t.height()
        );
    } else {
        println!("{}: {}", report.verdict, report.reason);
    }
    Ok(report.exit_code)
}

fn print_judgement(j: &inspect::Judgement, json: bool) -> i32 {
    if json {
        println!(
            "{}",
            serde_json::json!({"verdict": j.verdict, "reason": j.reason})
        );
    } else if j.reason.is_empty() {
        println!("{}", j.verdict);
    } else {
        println!("{}: {}", j.verdict, j.reason);
    }
    j.exit_code
}

fn proof_verify(
    root: &str,
    key: &str,
    value: Option<&str>,
    proof: &std::path::Path,
    specs: &str,
    json: bool,
) -> Result<i32, InputError> {
    let root = inspect::parse_hex("--root", root)?;
    let key = inspect::parse_hex("--key", key)?;
    let value = value
        .map(|v| inspect::parse_hex("--value", v))
        .transpose()?;
    let specs = inspect::parse_specs(specs)?;
    let (mp, path) = inspect::read_proof(proof)?;
    let j = inspect::verify_proof(&root, &key, value.as_deref(), &mp, path.as_deref(), &specs);
    Ok(print_judgement(&j, json))
}

fn evidence_verify(
    trusted: &std::path::Path,
    evidence: &std::path::Path,
    max_age: &str,
    max_age_blocks: u64,
    json: bool,
) -> Result<i32, InputError> {
    let max_age = offline::parse_duration(max_age).map_err(|error| InputError::BadOption {
        option: "--max-age",
        error,
    })?;
    let view = inspect::FileView::read(trusted, max_age, max_age_blocks)?;
    let ev = inspect::read_evidence(evidence)?;
    Ok(print_judgement(
        &inspect::verify_evidence_file(&ev, &view),
        json,
    ))
}

/// A failed `config` or `keys` command: what to print and the exit code.
struct Failure {
    code: i32,
    message: String,
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<OpsError> for Failure {
    fn from(e: OpsError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<RelayError> for Failure {
    fn from(e: RelayError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<HandshakeError> for Failure {
    fn from(e: HandshakeError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<KeyError> for Failure {
    fn from(e: KeyError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

/// The Ferry home and the config file's path.
fn locate(at: &Locations) -> Result<(PathBuf, PathBuf), Failure> {
    let home = config::home_dir(at.home.as_deref())?;
    let path = config::config_path(&home, at.config.as_deref());
    Ok((home, path))
}

fn config_command(at: &Locations, command: &ConfigCommand) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    match command {
        ConfigCommand::Init { force } => {
            config::write_example(&path, *force)?;
            println!(
                "wrote an example config to {}; edit it, then run `ferry config validate`",
                path.display()
            );
        }
        ConfigCommand::Validate => {
            let cfg = Config::load(&path)?;
            // Keys are usually added after the config is written: a missing key is worth
            // saying, not an invalid file.
            if let Ok(data_dir) = cfg.data_dir(&home, &path) {
                let store = KeyStore::new(&data_dir);
                for chain in &cfg.chains {
                    if let Ok(false) = store.contains(&chain.key) {
                        eprintln!(
                            "ferry: warning: chain {} signs with key {:?}, which is not in {}: \
                             add it with `ferry keys add {} --chain {}`",
                            chain.id,
                            chain.key,
                            store.dir().display(),
                            chain.key,
                            chain.id
                        );
                    }
                }
            }
            let plural =
                |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
            println!(
                "{}: valid ({}, {})",
                path.display(),
                plural(cfg.chains.len(), "chain"),
                plural(cfg.paths.len(), "path")
            );
        }
    }
    Ok(0)
}

/// The config (`None` if not needed and there is no file) and the data directory.
fn keys_context(at: &Locations, need_config: bool) -> Result<(Option<Config>, PathBuf), Failure> {
    let (home, path) = locate(at)?;
    if !need_config && at.config.is_none() && std::fs::symlink_metadata(&path).is_err() {
        return Ok((None, home));
    }
    let cfg = Config::load(&path)?;
    let data_dir = cfg.data_dir(&home, &path)?;
    Ok((Some(cfg), data_dir))
}

/// Reads a mnemonic from standard input: one line from a terminal (after a prompt on
/// stderr), else everything (at most 64 KiB).
fn read_mnemonic() -> Result<Mnemonic, Failure> {
    let stdin = std::io::stdin();
    let mut text = Zeroizing::new(String::new());
    let read = if stdin.is_terminal() {
        eprint!("Enter the mnemonic (12 to 24 words; not shown), then Enter: ");
        // Not echoed where `stty` can turn echo off.
        let stty = |arg: &str| {
            std::process::Command::new("stty")
                .arg(arg)
                .stdin(std::process::Stdio::inherit())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let hidden = stty("-echo");
        let read = stdin.lock().read_line(&mut text);
        if hidden {
            stty("echo");
            eprintln!();
        }
        read
    } else {
        stdin.lock().take(64 << 10).read_to_string(&mut text)
    };
    read.map_err(|e| Failure {
        code: 66,
        message: format!("cannot read the mnemonic from standard input: {e}"),
    })?;
    if text.trim().is_empty() {
        return Err(Failure {
            code: 65,
            message: "--recover: no mnemonic on standard input (pipe it in, or type it when \
                      asked); nothing was stored"
                .into(),
        });
    }
    Ok(Mnemonic::parse(&text)?)
}

fn key_json(k: &StoredKey) -> serde_json::Value {
    serde_json::json!({
        "name": k.name,
        "chain_id": k.chain_id,
        "address": k.address,
        "public_key": k.public_key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "hd_path": k.hd_path.to_string(),
    })
}

fn keys_command(at: &Locations, command: &KeysCommand) -> Result<i32, Failure> {
    match command {
        KeysCommand::Add {
            name,
            chain,
            recover,
            hd_path,
        } => {
            // Check what needs no file first, then the config, then the store: nothing is
            // read from stdin or written unless everything else is in order.
            if let Err(reason) = keys::check_name(name) {
                return Err(KeyError::InvalidName {
                    name: name.clone(),
                    reason,
                }
                .into());
            }
            let hd_path = HdPath::parse(hd_path)?;
            let (cfg, data_dir) = keys_context(at, true)?;
            let Some(cfg) = cfg else {
                return Err(Failure {
                    code: 70,
                    message: "internal error: no config".into(),
                });
            };
            let Some(chain) = cfg.chain(chain) else {
                let known: Vec<&str> = cfg.chains.iter().map(|c| c.id.as_str()).collect();
                return Err(Failure {
                    code: 64,
                    message: format!(
                        "--chain: no chain {chain:?} in the config (its chains: {}); nothing \
                         was stored",
                        known.join(", ")
                    ),
                });
            };
            let store = KeyStore::new(&data_dir);
            if store.contains(name)? {
                return Err(KeyError::Exists {
                    name: name.clone(),
                    path: store.file(name)?,
                }
                .into());
            }
            let mnemonic = if *recover {
                read_mnemonic()?
            } else {
                Mnemonic::generate()?
            };
            let key = mnemonic.derive(&hd_path)?;
            let stored = StoredKey::new(name, &chain.id, &chain.account_prefix, hd_path, &key)?;
            let file = store.add(&stored)?;
            println!(
                "added key {name} for chain {}: {}",
                chain.id, stored.address
            );
            eprintln!("ferry: key stored in {}", file.display());
            if !*recover {
                eprintln!(
                    "\nferry: WARNING: write this mnemonic down and keep it secret. It is the \
                     only way to recover the key, it is shown only this once, and anyone who \
                     has it controls the account:\n\n{}\n",
                    mnemonic.phrase().as_str()
                );
            }
        }
        KeysCommand::List { json } => {
            let (_, data_dir) = keys_context(at, false)?;
            let store = KeyStore::new(&data_dir);
            let keys = store.list()?;
            let mut code = 0;
            let mut good = Vec::new();
            for (_, key) in keys {
                match key {
                    Ok(k) => good.push(k),
                    Err(e) => {
                        eprintln!("ferry: {e}");
                        code = e.exit_code();
                    }
                }
            }
            if *json {
                let list: Vec<_> = good.iter().map(key_json).collect();
                println!("{}", serde_json::Value::Array(list));
            } else if good.is_empty() && code == 0 {
                eprintln!("ferry: no keys in {}", store.dir().display());
            } else {
                let width = good.iter().map(|k| k.name.len()).max().unwrap_or(0);
                for k in &good {
                    println!("{:width$}  {}  {}", k.name, k.address, k.chain_id);
                }
            }
            return Ok(code);
        }
        KeysCommand::Show { name, json } => {
            let (_, data_dir) = keys_context(at, false)?;
            let k = KeyStore::new(&data_dir).get(name)?;
            let v = key_json(&k);
            if *json {
                println!("{v}");
            } else {
                for field in ["name", "chain_id", "address", "public_key", "hd_path"] {
                    println!("{field}: {}", v[field].as_str().unwrap_or(""));
                }
            }
        }
        KeysCommand::Delete { name, yes } => {
            let (_, data_dir) = keys_context(at, false)?;
            let store = KeyStore::new(&data_dir);
            // A corrupt file can still be deleted; a missing one is an error.
            let what = match store.get(name) {
                Ok(k) => format!("{name} ({}, chain {})", k.address, k.chain_id),
                Err(e @ (KeyError::NotFound { .. } | KeyError::InvalidName { .. })) => {
                    return Err(e.into())
                }
                Err(e) => format!("{name} (unreadable: {e})"),
            };
            if !*yes {
                eprint!(
                    "Delete key {what}? Only its mnemonic can bring it back. Type y to \
                     delete: "
                );
                let mut answer = String::new();
                let _ = std::io::stdin().lock().read_line(&mut answer);
                if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
                    eprintln!("ferry: key {name} not deleted");
                    return Ok(1);
                }
            }
            store.delete(name)?;
            println!("deleted key {what}");
        }
    }
    Ok(0)
}

/// Runs `f` on a current-thread tokio runtime.
fn block_on<T>(f: impl std::future::Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: 71,
            message: format!("cannot start the async runtime: {e}"),
        })?;
    rt.block_on(f)
}

fn print_progress(p: &Progress) {
    match p {
        Progress::Start { from, to } => eprintln!("ferry: verifying {from} -> {to}"),
        Progress::Verified { height, target } => {
            eprintln!("ferry: verified height {height} (target {target})")
        }
        Progress::Bisecting {
            height,
            pivot,
            tally,
        } => eprintln!("ferry: height {height}: not enough trust ({tally}); bisecting at {pivot}"),
        Progress::Witness(WitnessCheck::Agrees { source, height }) => {
            eprintln!("ferry: witness {source} agrees at height {height}")
        }
        Progress::Witness(WitnessCheck::Unavailable {
            source,
            height,
            reason,
        }) => eprintln!("ferry: witness {source} not compared at height {height}: {reason}"),
        Progress::Witness(WitnessCheck::Faulty {
            source,
            height,
            hash,
            reason,
        }) => eprintln!(
            "ferry: witness {source} is faulty: block {hash} at height {height} does not \
             verify ({reason})"
        ),
        Progress::Saved { height, hash } => eprintln!("ferry: trusted height {height} ({hash})"),
        _ => {}
    }
}

fn light_command(at: &Locations, command: &LightCommand) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    match command {
        LightCommand::Init {
            chain,
            height,
            hash,
            force,
        } => {
            let root = ferry::light::TrustRoot {
                height: ops::parse_height("--height", *height)?,
                hash: ops::parse_hash(hash)?,
            };
            ctx.chain(chain)?;
            let r = block_on(async { Ok(ops::light_init(&ctx, chain, root, *force).await?) })?;
            for w in &r.skipped_witnesses {
                eprintln!("ferry: warning: not consulted: {w}");
            }
            let expires = r
                .expires_at
                .map_or_else(|| "never".to_string(), |t| t.to_string());
            let what = if r.unchanged {
                "already trusted"
            } else if r.replaced {
                "replaced the trusted state with"
            } else {
                "trusted"
            };
            println!(
                "{}: {what} height {} ({}, time {}); expires {expires}",
                r.chain_id, r.root.height, r.root.hash, r.time
            );
            eprintln!("ferry: light store {}", r.store.display());
        }
        LightCommand::Sync { chain, height } => {
            let height = height
                .map(|h| ops::parse_height("--height", h))
                .transpose()?;
            ctx.chain(chain)?;
            let (r, skipped) = block_on(async {
                Ok(ops::light_sync(&ctx, chain, height, &mut print_progress).await?)
            })?;
            for w in &skipped {
                eprintln!("ferry: warning: not consulted: {w}");
            }
            println!(
                "{chain}: {} -> {} ({}), {} step{}, {} bisection{}",
                r.from,
                r.height,
                r.hash,
                r.path.len(),
                if r.path.len() == 1 { "" } else { "s" },
                r.bisections,
                if r.bisections == 1 { "" } else { "s" },
            );
        }
        LightCommand::Status { chain, json } => {
            let s = ops::light_status(&ctx, chain, ferry::light::system_clock())?;
            let expires = s
                .expires_at
                .map_or_else(|| "never".to_string(), |t| t.to_string());
            if *json {
                println!(
                    "{}",
                    serde_json::json!({
                        "chain_id": s.chain_id.as_str(),
                        "height": s.height.value(),
                        "hash": s.hash.to_string(),
                        "time": s.time.to_string(),
                        "expires_at": expires,
                        "expired": s.expired,
                        "root_height": s.root.height.value(),
                        "root_hash": s.root.hash.to_string(),
                        "store": s.store.display().to_string(),
                    })
                );
            } else {
                println!("chain: {}", s.chain_id);
                println!("height: {}", s.height);
                println!("hash: {}", s.hash);
                println!("time: {}", s.time);
                println!(
                    "expires: {expires}{}",
                    if s.expired { " (EXPIRED)" } else { "" }
                );
                println!("root: {} ({})", s.root.height, s.root.hash);
            }
            if s.expired {
                eprintln!(
                    "ferry: the trusted state of {} has expired: re-initialise with                      `ferry light init {} --height H --hash HEX --force`",
                    s.chain_id, s.chain_id
                );
                return Ok(3);
            }
        }
    }
    Ok(0)
}

fn create_client(at: &Locations, host: &str, target: &str) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    ctx.chain(host)?;
    ctx.chain(target)?;
    let c = block_on(async { Ok(ops::create_client(&ctx, host, target).await?) })?;
    eprintln!(
        "ferry: trusting period {:?}, unbonding period {:?}",
        c.trusting_period, c.unbonding_period
    );
    println!(
        "created client {} on {host}: {target} at height {}",
        c.client_id, c.height
    );
    Ok(0)
}

fn create_connection(
    at: &Locations,
    a: &str,
    b: &str,
    a_client: &str,
    b_client: &str,
) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    ctx.chain(a)?;
    ctx.chain(b)?;
    let c = block_on(async {
        Ok(handshake::create_connection(&ctx, a, b, a_client, b_client).await?)
    })?;
    for step in &c.steps {
        eprintln!("ferry: {step}");
    }
    println!(
        "created connection {} on {a} and {} on {b}",
        c.a_connection, c.b_connection
    );
    Ok(0)
}

fn create_channel(at: &Locations, req: &handshake::ChannelRequest) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    ctx.chain(&req.a)?;
    ctx.chain(&req.b)?;
    let c = block_on(async { Ok(handshake::create_channel(&ctx, req).await?) })?;
    for step in &c.steps {
        eprintln!("ferry: {step}");
    }
    println!(
        "created channel {}/{} on {} and {}/{} on {}",
        req.port, c.a_channel, req.a, req.port, c.b_channel, req.b
    );
    Ok(0)
}

fn update_client(
    at: &Locations,
    host: &str,
    client: &str,
    target: Option<&str>,
    height: Option<u64>,
) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    let height = height
        .map(|h| ops::parse_height("--height", h))
        .transpose()?;
    ctx.chain(host)?;
    let u = block_on(async { Ok(ops::update_client(&ctx, host, client, target, height).await?) })?;
    println!(
        "updated client {client} on {host}: {} {} -> {}",
        u.target, u.trusted, u.height
    );
    Ok(0)
}

/// The directions `which` names, as clear requests.
fn directions(ctx: &Context, which: &ChannelArgs) -> Result<Vec<ClearRequest>, Failure> {
    let bad = |message: String| Failure { code: 64, message };
    if let Some(name) = &which.path {
        let p = ctx
            .config
            .path(name)
            .ok_or_else(|| bad(format!("--path: no path {name:?} in the config")))?;
        let (Some(a_ch), Some(b_ch)) = (&p.a.channel_id, &p.b.channel_id) else {
            return Err(bad(format!(
                "--path {name}: its channel ids are not set in the config; give them \
                 (paths.a.channel_id, paths.b.channel_id) or use --src/--dst/--channel"
            )));
        };
        return Ok(vec![
            ClearRequest {
                src: p.a.chain_id.clone(),
                dst: p.b.chain_id.clone(),
                src_port: p.a.port_id.clone(),
                src_channel: a_ch.clone(),
                batch: which.batch,
            },
            ClearRequest {
                src: p.b.chain_id.clone(),
                dst: p.a.chain_id.clone(),
                src_port: p.b.port_id.clone(),
                src_channel: b_ch.clone(),
                batch: which.batch,
            },
        ]);
    }
    match (&which.src, &which.dst, &which.channel) {
        (Some(src), Some(dst), Some(channel)) => {
            ctx.chain(src)?;
            ctx.chain(dst)?;
            Ok(vec![ClearRequest {
                src: src.clone(),
                dst: dst.clone(),
                src_port: which.port.clone(),
                src_channel: channel.clone(),
                batch: which.batch,
            }])
        }
        _ => Err(bad(
            "give --path NAME, or --src CHAIN --dst CHAIN --channel CHANNEL".into(),
        )),
    }
}

fn list(seqs: &[u64]) -> String {
    if seqs.is_empty() {
        "none".into()
    } else {
        seqs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn clear_packets(at: &Locations, which: &ChannelArgs) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    for req in directions(&ctx, which)? {
        let r = block_on(async { Ok(relay_clear::clear(&ctx, &req).await) })?;
        let (c, err) = match r {
            Ok(c) => (c, None),
            Err((c, e)) => (c, Some(e)),
        };
        for step in &c.steps {
            eprintln!("ferry: {step}");
        }
        println!(
            "{}/{} {} -> {}: received {}, acknowledged {}, timed out {}",
            req.src_port,
            req.src_channel,
            req.src,
            req.dst,
            list(&c.received),
            list(&c.acknowledged),
            list(&c.timed_out)
        );
        if let Some(e) = err {
            return Err(e.into());
        }
    }
    Ok(0)
}

fn pending_packets(at: &Locations, which: &ChannelArgs, json: bool) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    let mut all = Vec::new();
    for req in directions(&ctx, which)? {
        let p = block_on(async { Ok(relay_clear::pending(&ctx, &req).await?) })?;
        if json {
            all.push(serde_json::json!({
                "src_chain": req.src,
                "dst_chain": req.dst,
                "src_port": p.ends.src_port,
                "src_channel": p.ends.src_channel,
                "dst_port": p.ends.dst_port,
                "dst_channel": p.ends.dst_channel,
                "recv": p.recv,
                "ack": p.ack,
                "timeout": p.timeout,
                "awaiting_ack": p.awaiting_ack,
            }));
        } else {
            println!(
                "{}/{} {} -> {}: to receive {}, acks to relay {}, to time out {}, awaiting ack {}",
                p.ends.src_port,
                p.ends.src_channel,
                req.src,
                req.dst,
                list(&p.recv),
                list(&p.ack),
                list(&p.timeout),
                list(&p.awaiting_ack)
            );
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(all));
    }
    Ok(0)
}

fn main() -> ExitCode {
    // Light blocks hold up to 512 validators inline (about 130 KB each); decoding them takes
    // more stack than a main thread's default in unoptimized builds.
    match std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .map(|h| h.join())
    {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("ferry: internal error: the worker thread failed");
            ExitCode::from(70)
        }
    }
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 64 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Start {
            at,
            paths,
            batch,
            clear_interval,
            log_format,
            log_level,
            rounds,
        } => {
            let opts = ferry::relay::start::StartOptions {
                paths,
                batch,
                clear_interval,
                rounds,
                ..Default::default()
            };
            return finish(start(&at, &opts, log_format.as_deref(), &log_level));
        }
        Command::HealthCheck { at, json } => return finish(health_check(&at, json)),
        Command::Tx {
            at,
            command:
                TxCommand::Transfer {
                    src,
                    channel,
                    port,
                    receiver,
                    amount,
                    count,
                    per_tx,
                    timeout,
                    key,
                },
        } => {
            let opts = TransferOpts {
                src,
                channel,
                port,
                receiver,
                amount,
                count,
                per_tx,
                timeout,
                key,
            };
            return finish(tx_transfer(&at, &opts));
        }
        Command::Config { at, command } => return finish(config_command(&at, &command)),
        Command::Keys { at, command } => return finish(keys_command(&at, &command)),
        Command::Light { at, command } => return finish(light_command(&at, &command)),
        Command::Clear {
            at,
            command: ClearCommand::Packets { which },
        } => return finish(clear_packets(&at, &which)),
        Command::Query {
            at,
            command:
                QueryCommand::Packets {
                    command: QueryPacketsCommand::Pending { which, json },
                },
        } => return finish(pending_packets(&at, &which, json)),
        Command::Create {
            at,
            command: CreateCommand::Client { host, target },
        } => return finish(create_client(&at, &host, &target)),
        Command::Create {
            at,
            command:
                CreateCommand::Connection {
                    a,
                    b,
                    a_client,
                    b_client,
                },
        } => return finish(create_connection(&at, &a, &b, &a_client, &b_client)),
        Command::Create {
            at,
            command:
                CreateCommand::Channel {
                    a,
                    b,
                    a_connection,
                    b_connection,
                    port,
                    version,
                    ordered,
                },
        } => {
            let req = handshake::ChannelRequest {
                a,
                b,
                a_connection,
                b_connection,
                port,
                version,
                ordered,
            };
            return finish(create_channel(&at, &req));
        }
        Command::Update {
            at,
            command:
                UpdateCommand::Client {
                    host,
                    client,
                    target,
                    height,
                },
        } => {
            return finish(update_client(
                &at,
                &host,
                &client,
                target.as_deref(),
                height,
            ))
        }
        Command::Proof(ProofCommand::Verify {
            root,
            key,
            value,
            proof,
            specs,
            json,
        }) => proof_verify(&root, &key, value.as_deref(), &proof, &specs, json),
        Command::Evidence(EvidenceCommand::Verify {
            trusted,
            evidence,
            max_age,
            max_age_blocks,
            json,
        }) => evidence_verify(&trusted, &evidence, &max_age, max_age_blocks, json),
        Command::Verify {
            trusted,
            untrusted,
            now,
            trust_level,
            trusting_period,
            clock_drift,
            all_signatures,
            json,
        } => verify(
            trusted,
            untrusted,
            now,
            &trust_level,
            &trusting_period,
            &clock_drift,
            all_signatures,
            json,
        ),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("ferry: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Sets up logging for `ferry start`: `format` (else the config's) to stderr at `level`.
fn init_logs(ctx: &Context, format: Option<&str>, level: &str) -> Result<(), Failure> {
    let bad = |message: String| Failure { code: 64, message };
    let json = match format {
        None => ctx.config.global.log_format == config::LogFormat::Json,
        Some("json") => true,
        Some("human") => false,
        Some(other) => {
            return Err(bad(format!(
                "--log-format: {other:?} is not a log format (human or json)"
            )))
        }
    };
    let level: tracing::Level = level.parse().map_err(|_| {
        bad(format!(
            "--log-level: {level:?} is not a level (error, warn, info, debug, trace)"
        ))
    })?;
    let b = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    let r = if json {
        b.json().flatten_event(true).try_init()
    } else {
        b.with_ansi(std::io::stderr().is_terminal()).try_init()
    };
    r.map_err(|e| Failure {
        code: 70,
        message: format!("cannot set up logging: {e}"),
    })
}

fn start(
    at: &Locations,
    opts: &ferry::relay::start::StartOptions,
    log_format: Option<&str>,
    log_level: &str,
) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    init_logs(&ctx, log_format, log_level)?;
    block_on(async {
        let metrics = std::sync::Arc::new(ferry::metrics::Metrics::new());
        if ctx.config.telemetry.enabled {
            let addr = ctx.config.telemetry.listen;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Failure {
                    code: 69,
                    message: format!(
                        "telemetry: cannot listen on {addr}: {e} (change [telemetry] listen, or \
                     set enabled = false)"
                    ),
                })?;
            tracing::info!("metrics on http://{addr}/metrics");
            tokio::spawn(ferry::metrics::serve(
                listener,
                std::sync::Arc::clone(&metrics),
            ));
        }
        let (tx, rx) = tokio::sync::watch::channel(0u32);
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            loop {
                #[cfg(unix)]
                let got = match term.as_mut() {
                    Some(t) => tokio::select! {
                        r = tokio::signal::ctrl_c() => r.is_ok(),
                        r = t.recv() => r.is_some(),
                    },
                    None => tokio::signal::ctrl_c().await.is_ok(),
                };
                #[cfg(not(unix))]
                let got = tokio::signal::ctrl_c().await.is_ok();
                if !got {
                    return;
                }
                tracing::info!("signal received");
                tx.send_modify(|n| *n = n.saturating_add(1));
            }
        });
        let summary = ferry::relay::start::run(&ctx, opts, metrics, rx).await?;
        println!(
            "stopped after {} rounds: received {}, acknowledged {}, timed out {}, {} rounds \
             with errors",
            summary.rounds,
            summary.received,
            summary.acknowledged,
            summary.timed_out,
            summary.errors
        );
        Ok(0)
    })
}

fn health_check(at: &Locations, json: bool) -> Result<i32, Failure> {
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let checks = block_on(async { Ok(ferry::health::run(&ctx, now).await) })?;
    if json {
        let v: Vec<serde_json::Value> = checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "chain": c.chain, "check": c.what, "ok": c.ok, "detail": c.detail
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        for c in &checks {
            println!(
                "{} {} {}: {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.chain,
                c.what,
                c.detail
            );
        }
    }
    Ok(if checks.iter().all(|c| c.ok) { 0 } else { 1 })
}

/// `100stake` as (100, "stake").
fn parse_amount(text: &str) -> Option<(u128, String)> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, denom) = text.split_at(digits);
    let n: u128 = n.parse().ok()?;
    let ok = denom
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    (n > 0 && !denom.is_empty() && ok).then(|| (n, denom.to_string()))
}

/// The options of `ferry tx transfer`.
struct TransferOpts {
    src: String,
    channel: String,
    port: String,
    receiver: String,
    amount: String,
    count: usize,
    per_tx: usize,
    timeout: String,
    key: Option<String>,
}

fn tx_transfer(at: &Locations, o: &TransferOpts) -> Result<i32, Failure> {
    let (src, channel, port, amount, timeout) =
        (&o.src, &o.channel, &o.port, &o.amount, &o.timeout);
    let bad = |message: String| Failure { code: 64, message };
    let (amount, denom) = parse_amount(amount).ok_or_else(|| {
        bad(format!(
            "--amount: {amount:?} is not an amount like 100stake"
        ))
    })?;
    let timeout = offline::parse_duration(timeout)
        .map_err(|e| bad(format!("--timeout: {timeout:?}: {e}")))?;
    let (home, path) = locate(at)?;
    let ctx = Context::load(&home, &path)?;
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(timeout);
    let req = ops::TransferRequest {
        src: src.clone(),
        port: port.clone(),
        channel: channel.clone(),
        receiver: o.receiver.clone(),
        amount,
        denom,
        count: o.count,
        per_tx: o.per_tx,
        timeout_timestamp: u64::try_from(deadline.as_nanos()).unwrap_or(u64::MAX),
        timeout_height: Default::default(),
        key: o.key.clone(),
    };
    let seqs = block_on(async { Ok(ops::transfer(&ctx, &req).await?) })?;
    println!(
        "sent {} transfers on {src} {port}/{channel}: sequences {}",
        seqs.len(),
        list(&seqs)
    );
    Ok(0)
}

fn finish(result: Result<i32, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(f) => {
            eprintln!("ferry: {}", f.message);
            ExitCode::from(f.code as u8)
        }
    }
}
