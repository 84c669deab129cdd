//! A one-validator ibc-go `simd` chain on loopback.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::cometbft::{wait_ready, Attempt};
use crate::encoding::bech32_decode;
use crate::process::{free_port, run_setup, set_toml, Process, TempDir};
use crate::rpc::RpcClient;
use crate::{binary_in, chains_dir, Error, TEST_MNEMONIC};

/// The staking and fee denomination of simd's genesis.
pub const DENOM: &str = "stake";

/// The bank module's key of `address`'s balance in `denom` (Cosmos SDK v0.50+ collections,
/// store `bank`): prefix 2, the length-prefixed address, the denomination.
pub fn balance_key(address: &[u8], denom: &str) -> Vec<u8> {
    let mut k = vec![0x02, u8::try_from(address.len()).unwrap_or(u8::MAX)];
    k.extend_from_slice(address);
    k.extend_from_slice(denom.as_bytes());
    k
}

/// A key in the chain's test keyring, funded at genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its keyring name.
    pub name: String,
    /// Its HD path index `i` (`m/44'/118'/0'/0/i` of the mnemonic).
    pub hd_index: u32,
    /// Its bech32 address (`cosmos1...`).
    pub address: String,
    /// The 20 address bytes.
    pub address_bytes: Vec<u8>,
    /// Its genesis balance, in [`DENOM`].
    pub balance: u128,
}

/// Settings for [`SimdChain`].
#[derive(Clone, Debug)]
pub struct SimdBuilder {
    chain_id: String,
    accounts: Vec<String>,
    mnemonic: String,
    balance: u128,
    self_delegation: u128,
    timeout_commit: Duration,
    start_timeout: Duration,
    chains_dir: Option<PathBuf>,
    attempts: usize,
}

impl SimdBuilder {
    /// Defaults: accounts `val` (index 0, the validator), `relayer` (1) and `user` (2) from
    /// [`TEST_MNEMONIC`], each with 100000000000stake (the validator bonds 1000000000 of it),
    /// `timeout_commit` 200 ms, 60 s to reach height 2.
    pub fn new(chain_id: &str) -> SimdBuilder {
        SimdBuilder {
            chain_id: chain_id.to_string(),
            accounts: vec!["relayer".into(), "user".into()],
            mnemonic: TEST_MNEMONIC.into(),
            balance: 100_000_000_000,
            self_delegation: 1_000_000_000,
            timeout_commit: Duration::from_millis(200),
            start_timeout: Duration::from_secs(60),
            chains_dir: None,
            attempts: 3,
        }
    }

    /// The accounts besides `val` (HD indexes 1, 2, ... in this order).
    pub fn accounts(mut self, names: &[&str]) -> Self {
        self.accounts = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Another mnemonic.
    pub fn mnemonic(mut self, mnemonic: &str) -> Self {
        self.mnemonic = mnemonic.to_string();
        self
    }

    /// `timeout_commit` (default 200 ms).
    pub fn timeout_commit(mut self, t: Duration) -> Self {
        self.timeout_commit = t;
        self
    }

    /// How long the node gets to reach height 2 (default 60 s).
    pub fn start_timeout(mut self, t: Duration) -> Self {
        self.start_timeout = t;
        self
    }

    /// Takes `simd` from `dir` instead of [`chains_dir`].
    pub fn chains_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.chains_dir = Some(dir.into());
        self
    }

    /// Builds the genesis, starts the node and waits until its RPC reports height >= 2.
    pub fn start(self) -> Result<SimdChain, Error> {
        let dir = self.chains_dir.clone().unwrap_or_else(chains_dir);
        let bin = binary_in(&dir, "simd")?;
        let mut last = None;
        for attempt in 1..=self.attempts {
            match self.try_start(&bin) {
                Ok(chain) => return Ok(chain),
                Err(Attempt::PortTaken(e)) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "ferry-testnet: simd found a port taken (start {attempt} of {}), \
                         retrying with new ports",
                        self.attempts
                    );
                    last = Some(e);
                }
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
        Err(Error::PortsInUse {
            attempts: self.attempts,
            last: Box::new(last.unwrap_or(Error::Timeout {
                what: "a start".into(),
                waited: Duration::ZERO,
            })),
        })
    }

    fn try_start(&self, bin: &Path) -> Result<SimdChain, Attempt> {
        let mut dir = TempDir::new(&format!("simd-{}", self.chain_id))?;
        let home = dir.path().join("home");
        let setup_log = dir.path().join("setup.log");
        let setup = |args: &[&str], stdin: Option<&[u8]>| -> Result<String, Error> {
            let mut cmd = Command::new(bin);
            cmd.args(args).arg("--home").arg(&home);
            run_setup(cmd, stdin, &setup_log, Duration::from_secs(60))
        };
        let keyring = ["--keyring-backend", "test"];
        setup(&["init", "val", "--chain-id", &self.chain_id], None)?;

        let mut accounts = Vec::new();
        let names = std::iter::once("val").chain(self.accounts.iter().map(String::as_str));
        for (i, name) in names.enumerate() {
            let index = i.to_string();
            let mut args = vec!["keys", "add", name, "--recover", "--index", &index];
            args.extend(keyring);
            args.extend(["--output", "json"]);
            let mnemonic = format!("{}\n", self.mnemonic);
            let out = setup(&args, Some(mnemonic.as_bytes()))?;
            let address = key_address(&out).ok_or_else(|| Error::Setup {
                command: format!("simd {}", args.join(" ")),
                status: "no address in its JSON output".into(),
                output: out.clone(),
            })?;
            let (_, address_bytes) = bech32_decode(&address).map_err(|reason| Error::Config {
                file: setup_log.clone(),
                reason: format!("key {name}: {reason}"),
            })?;
            let coins = format!("{}{DENOM}", self.balance);
            let mut args = vec!["genesis", "add-genesis-account", name, &coins];
            args.extend(keyring);
            setup(&args, None)?;
            accounts.push(Account {
                name: name.to_string(),
                hd_index: i as u32,
                address,
                address_bytes,
                balance: self.balance,
            });
        }
        let bond = format!("{}{DENOM}", self.self_delegation);
        let mut args = vec![
            "genesis",
            "gentx",
            "val",
            &bond,
            "--chain-id",
            &self.chain_id,
        ];
        args.extend(keyring);
        setup(&args, None)?;
        setup(&["genesis", "collect-gentxs"], None)?;
        set_toml(
            &home.join("config").join("config.toml"),
            &[
                (
                    "timeout_commit",
                    format!("\"{}ms\"", self.timeout_commit.as_millis()),
                ),
                ("pprof_laddr", "\"\"".into()),
            ],
        )?;

        let rpc_port = free_port()?;
        let grpc_port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.arg("start")
            .arg("--home")
            .arg(&home)
            .arg(format!("--rpc.laddr=tcp://127.0.0.1:{rpc_port}"))
            .arg("--p2p.laddr=tcp://127.0.0.1:0")
            .arg(format!("--grpc.address=127.0.0.1:{grpc_port}"))
            .arg("--api.enable=false")
            .arg("--log_no_color");
        let log = dir.path().join("simd.log");
        let mut process = Process::spawn(cmd, &format!("simd {}", self.chain_id), &log)?;
        let rpc = RpcClient::new(&format!("http://127.0.0.1:{rpc_port}"))?;
        if let Err(e) = wait_ready(vec![(&mut process, &rpc)], 2, self.start_timeout) {
            if !matches!(e, Attempt::PortTaken(_)) {
                dir.keep();
            }
            return Err(e);
        }
        // simd (SDK v0.50, v0.53) keeps running without gRPC when its port is taken, logging nothing;
        // it logs this line once it listens, before height 1.
        if !crate::process::log_contains(&log, "starting gRPC server") {
            return Err(Attempt::PortTaken(Error::Config {
                file: log,
                reason: format!(
                    "the gRPC server did not start (127.0.0.1:{grpc_port} taken by another \
                     process?)"
                ),
            }));
        }
        Ok(SimdChain {
            process,
            rpc,
            grpc_port,
            chain_id: self.chain_id.clone(),
            accounts,
            home,
            dir,
            bin: bin.to_path_buf(),
        })
    }
}

/// The `address` of `simd keys add --output json` output (a JSON line among others).
fn key_address(out: &str) -> Option<String> {
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find_map(|v| v.get("address")?.as_str().map(str::to_string))
}

/// A running one-validator simd chain. Dropping it kills the node and removes its home (kept,
/// with `simd.log` and `setup.log`, when dropped during a panic).
#[derive(Debug)]
pub struct SimdChain {
    // Dropped first: the process is gone before its home is removed.
    process: Process,
    rpc: RpcClient,
    grpc_port: u16,
    chain_id: String,
    accounts: Vec<Account>,
    home: PathBuf,
    dir: TempDir,
    bin: PathBuf,
}

impl SimdChain {
    /// Starts a chain with the defaults of [`SimdBuilder::new`].
    pub fn start(chain_id: &str) -> Result<SimdChain, Error> {
        SimdBuilder::new(chain_id).start()
    }

    /// Settings for a chain.
    pub fn builder(chain_id: &str) -> SimdBuilder {
        SimdBuilder::new(chain_id)
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// An RPC client for the node.
    pub fn rpc(&self) -> RpcClient {
        self.rpc.clone()
    }

    /// The RPC URL (`http://127.0.0.1:PORT`).
    pub fn rpc_url(&self) -> &str {
        self.rpc.url()
    }

    /// The `--node` value for simd's CLI (`tcp://127.0.0.1:PORT`).
    pub fn node_flag(&self) -> String {
        self.rpc.url().replacen("http://", "tcp://", 1)
    }

    /// The gRPC address (`127.0.0.1:PORT`).
    pub fn grpc_addr(&self) -> String {
        format!("127.0.0.1:{}", self.grpc_port)
    }

    /// The funded accounts (`val` first).
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// The node's home (`--home` for the CLI).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The directory holding the home and the logs (`simd.log`, `setup.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Keeps the directory (logs) when the chain is dropped.
    pub fn keep_home(&mut self) {
        self.dir.keep();
    }

    /// The node's process id.
    pub fn pid(&self) -> Option<u32> {
        self.process.id()
    }

    /// `simd ARGS --home HOME` for this chain (add `--node` [`SimdChain::node_flag`], and for
    /// transactions `--chain-id`, `--keyring-backend test --yes`; see
    /// scripts/chains/README.md).
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).arg("--home").arg(&self.home);
        cmd
    }

    /// The 32-byte secp256k1 private key of account `name`, from `simd keys export NAME
    /// --unarmored-hex --unsafe --keyring-backend test` (test keys only: they come from
    /// [`TEST_MNEMONIC`] or the builder's mnemonic).
    pub fn export_private_key(&self, name: &str) -> Result<[u8; 32], Error> {
        let args = [
            "keys",
            "export",
            name,
            "--unarmored-hex",
            "--unsafe",
            "--keyring-backend",
            "test",
        ];
        let log = self.dir.path().join("keys-export.log");
        // It asks for confirmation on stdin.
        let out = run_setup(self.cli(&args), Some(b"y\n"), &log, Duration::from_secs(30))?;
        parse_hex_key(&out).ok_or_else(|| Error::Setup {
            command: format!("simd {}", args.join(" ")),
            status: "no line of 64 hex digits in its output".into(),
            output: out.clone(),
        })
    }

    /// Kills the node now (also done on drop).
    pub fn stop(&mut self) {
        self.process.stop();
    }
}

impl Drop for SimdChain {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The 32 bytes of the line of 64 hex digits in `out` (the output of `keys export
/// --unarmored-hex`).
fn parse_hex_key(out: &str) -> Option<[u8; 32]> {
    let line = out
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let mut key = [0u8; 32];
    for (k, pair) in key.iter_mut().zip(line.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *k = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_address_from_output() {
        let out = "some warning\n{\"name\":\"val\",\"type\":\"local\",\"address\":\"cosmos1x\"}\n";
        assert_eq!(key_address(out).as_deref(), Some("cosmos1x"));
        assert_eq!(key_address("nothing"), None);
    }

    #[test]
    fn hex_key_from_output() {
        let hex = "f6aa43c166f20532e57a98ba68bc82e488176b9d60f8101b39e44688269d2cd0";
        let key = parse_hex_key(&format!("WARNING: ...? [y/N]: \n{hex}\n")).unwrap();
        assert_eq!(crate::hex_encode(&key), hex);
        assert_eq!(parse_hex_key("y\nabc\n"), None);
        assert_eq!(parse_hex_key(&"g".repeat(64)), None);
    }
}
