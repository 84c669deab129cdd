//! `ferry-devnet`: runs a local chain with CometBFT v0.38's RPC.
//!
//! ```text
//! ferry-devnet start --chain-id ID [--validators N] --rpc 127.0.0.1:PORT [--block-time 1s]
//!                    [--home DIR]
//! ```
//!
//! Prints one line, the RPC URL, once the RPC answers; stops cleanly on SIGINT or SIGTERM
//! (the block in progress is finished and the database closed), exit 0. Exit 1 when the node
//! cannot start (the message says why), 2 for a bad command line.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use ferry_devnet::node::{Devnet, NodeConfig};
use ferry_devnet::ChainConfig;

#[derive(Parser)]
#[command(
    name = "ferry-devnet",
    version,
    about = "A local CometBFT-compatible chain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a chain and serve its RPC until SIGINT or SIGTERM.
    Start {
        /// The chain id (1 to 50 bytes).
        #[arg(long)]
        chain_id: String,
        /// Number of validators, each of power 10, with keys derived from the chain id.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1000))]
        validators: u16,
        /// The RPC address (port 0: a free port).
        #[arg(long)]
        rpc: SocketAddr,
        /// Time between blocks: `500ms`, `1s`, `2m`, or plain seconds.
        #[arg(long, default_value = "1s", value_parser = parse_duration)]
        block_time: Duration,
        /// Keep the chain in this directory; a restart with the same options resumes it.
        #[arg(long)]
        home: Option<PathBuf>,
    },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 500ms, 1s or 2m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("{s:?}: the unit must be ms, s or m")),
    };
    if !(0.001..=86_400.0).contains(&secs) {
        return Err(format!("{s:?}: a block time must be between 1ms and 24h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Whether `GET /health` on `addr` answers 200 within `timeout`.
fn answers(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let ok = (|| -> std::io::Result<bool> {
            let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            s.write_all(b"GET /health HTTP/1.0\r\nHost: devnet\r\n\r\n")?;
            let mut buf = Vec::new();
            s.read_to_end(&mut buf)?;
            Ok(buf.starts_with(b"HTTP/1.0 200") || buf.starts_with(b"HTTP/1.1 200"))
        })();
        if matches!(ok, Ok(true)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Waits for SIGINT or SIGTERM.
fn wait_for_signal() -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the signal handler: {e}"))?;
    rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| format!("could not listen for SIGTERM: {e}"))?;
        let mut int = signal(SignalKind::interrupt())
            .map_err(|e| format!("could not listen for SIGINT: {e}"))?;
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        Ok(())
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Start {
        chain_id,
        validators,
        rpc,
        block_time,
        home,
    } = cli.command;
    let powers = vec![10u64; usize::from(validators)];
    let mut config = NodeConfig::new(ChainConfig::new(&chain_id, &powers));
    config.rpc = rpc;
    config.block_time = Some(block_time);
    config.home = home;
    // Signals are blocked from here on in every thread, so none is lost before the handler
    // is installed: the runtime in `wait_for_signal` receives them.
    let devnet = match Devnet::start(config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("ferry-devnet: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !answers(devnet.addr(), Duration::from_secs(10)) {
        eprintln!(
            "ferry-devnet: the RPC at {} does not answer /health",
            devnet.url()
        );
        devnet.stop();
        return ExitCode::FAILURE;
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", devnet.url());
    let _ = out.flush();
    let waited = wait_for_signal();
    devnet.stop();
    match waited {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferry-devnet: {e}");
            ExitCode::FAILURE
        }
    }
}
