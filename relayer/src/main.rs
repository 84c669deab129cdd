//! `ferry`: the command-line front end.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferry::inspect;
use ferry::offline::{self, InputError};
use ferry_verifier::{Options, Time, TrustThreshold};

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

#[derive(Subcommand)]
enum Command {
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
