//! `ferry`: the command-line front end.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
enum Command {
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
