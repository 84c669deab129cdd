//! A CometBFT network of N validators running the built-in kvstore app, on loopback.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ferry_verifier::merkle::sha256;
use ferry_verifier::{Address, PublicKey};
use serde_json::Value;

use crate::encoding::{base64_decode, base64_encode};
use crate::process::{free_port, run_setup, set_toml, Process, TempDir};
use crate::rpc::{RpcClient, TxCommit};
use crate::{binary_in, chains_dir, Error};

/// An ed25519 validator key: made here (for validators added with `val=` transactions; they
/// run no node, so they never sign), or a running validator's own
/// ([`CometBftNetwork::validator_key`], to sign what the node would not: double signs).
#[derive(Clone, Debug)]
pub struct ValidatorKey {
    signing: ed25519_zebra::SigningKey,
}

impl ValidatorKey {
    /// The key with this 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> ValidatorKey {
        ValidatorKey {
            signing: ed25519_zebra::SigningKey::from(seed),
        }
    }

    /// A deterministic key: the seed is SHA-256 of `label`.
    pub fn from_label(label: &str) -> ValidatorKey {
        Self::from_seed(sha256(label.as_bytes()))
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(ed25519_zebra::VerificationKeyBytes::from(&self.signing).into())
    }

    /// The validator address (`sha256(key)[..20]`).
    pub fn address(&self) -> Address {
        self.public_key().address()
    }

    /// The signing key.
    pub fn signing_key(&self) -> &ed25519_zebra::SigningKey {
        &self.signing
    }
}

/// The kvstore transaction that sets the power of the ed25519 validator `key` (0 removes it),
/// in CometBFT v0.38's format, `val=ed25519!<base64 key>!<power>`. (The older `val:` form is
/// refused by v0.38's CheckTx: a base64 key ends in `=`, and a tx may hold only one of `:` or
/// `=`.) The change takes effect two heights after the block holding it.
pub fn kvstore_validator_tx(key: &PublicKey, power: u64) -> Vec<u8> {
    format!("val=ed25519!{}!{power}", base64_encode(&key.0)).into_bytes()
}

/// Settings for [`CometBftNetwork`].
#[derive(Clone, Debug)]
pub struct CometBftBuilder {
    validators: usize,
    power: u64,
    chain_id: String,
    timeout_commit: Duration,
    start_timeout: Duration,
    ready_height: u64,
    chains_dir: Option<PathBuf>,
    attempts: usize,
}

impl Default for CometBftBuilder {
    fn default() -> Self {
        CometBftBuilder {
            validators: 4,
            power: 10,
            chain_id: "ferry-kv".into(),
            timeout_commit: Duration::from_millis(200),
            start_timeout: Duration::from_secs(60),
            ready_height: 2,
            chains_dir: None,
            attempts: 3,
        }
    }
}

impl CometBftBuilder {
    /// Number of validators, one node each (default 4; at least 1).
    pub fn validators(mut self, n: usize) -> Self {
        self.validators = n.max(1);
        self
    }

    /// Genesis voting power of each validator (default 10).
    pub fn power(mut self, power: u64) -> Self {
        self.power = power.max(1);
        self
    }

    /// Chain id (default `ferry-kv`).
    pub fn chain_id(mut self, chain_id: &str) -> Self {
        self.chain_id = chain_id.to_string();
        self
    }

    /// `timeout_commit` (default 200 ms).
    pub fn timeout_commit(mut self, t: Duration) -> Self {
        self.timeout_commit = t;
        self
    }

    /// How long the nodes get to reach height 2 (default 60 s).
    pub fn start_timeout(mut self, t: Duration) -> Self {
        self.start_timeout = t;
        self
    }

    /// Takes `cometbft` from `dir` instead of [`chains_dir`].
    pub fn chains_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.chains_dir = Some(dir.into());
        self
    }

    /// Starts the network and waits until every node's RPC reports height >= 2.
    pub fn start(self) -> Result<CometBftNetwork, Error> {
        let dir = self.chains_dir.clone().unwrap_or_else(chains_dir);
        let bin = binary_in(&dir, "cometbft")?;
        self.retry(|| self.try_start(&bin))
    }

    /// Starts two networks from one genesis (same chain id, same validator keys) that are
    /// never peered with each other: `A`, every validator, and `B`, copies of the
    /// `fork_validators` genesis validators with the lowest addresses (their
    /// `priv_validator_key.json` and node keys copied, their own `priv_validator_state.json`,
    /// data and ports). When those hold more than 2/3 of the power, both networks make blocks
    /// and those validators sign both: a real equivocation fork.
    ///
    /// The genesis time is set a few seconds ahead (CometBFT nodes wait for it before they
    /// start), so that every node of both networks starts height 1 together; with equal
    /// powers the lowest address proposes first, so both networks can commit the same block 1
    /// (compare the hashes: a slow start can still push one network to a later round) and
    /// fork from height 2 on. Waits until every node of both reports height >= 2.
    pub fn start_fork(
        self,
        fork_validators: usize,
    ) -> Result<(CometBftNetwork, CometBftNetwork), Error> {
        let dir = self.chains_dir.clone().unwrap_or_else(chains_dir);
        let bin = binary_in(&dir, "cometbft")?;
        let k = fork_validators.clamp(1, self.validators);
        self.retry(|| self.try_start_fork(&bin, k))
    }

    /// Runs `start` up to `attempts` times while nodes find their ports taken.
    fn retry<T>(&self, start: impl Fn() -> Result<T, Attempt>) -> Result<T, Error> {
        let mut last = None;
        for attempt in 1..=self.attempts {
            match start() {
                Ok(started) => return Ok(started),
                Err(Attempt::PortTaken(e)) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "ferry-testnet: a CometBFT node found its port taken (start {attempt} \
                         of {}), retrying with new ports",
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

    fn try_start(&self, bin: &Path) -> Result<CometBftNetwork, Attempt> {
        let (home, members) = self.setup(bin, None)?;
        let mut net = self.launch(bin, home, members, "node")?;
        self.wait(&mut [&mut net])?;
        Ok(net)
    }

    fn try_start_fork(
        &self,
        bin: &Path,
        k: usize,
    ) -> Result<(CometBftNetwork, CometBftNetwork), Attempt> {
        // Time for 2n processes to load and meet before height 1 (they start it together).
        let delay = Duration::from_secs(3).saturating_add(Duration::from_millis(
            500u64.saturating_mul(self.validators as u64),
        ));
        let genesis_time = crate::now().checked_add(delay).unwrap_or_else(crate::now);
        let (home, members) = self.setup(bin, Some(genesis_time))?;
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by_key(|&i| members[i].pub_key.address());
        let fork_home = TempDir::new("cometbft-fork")?;
        let mut fork_members = Vec::with_capacity(k);
        for (j, &i) in order.iter().take(k).enumerate() {
            let from = &members[i];
            let to = fork_home.path().join(format!("node{j}"));
            copy_files(&from.home.join("config"), &to.join("config"))?;
            let state = Path::new("data").join("priv_validator_state.json");
            copy_files_named(&from.home, &to, &[state.as_path()])?;
            fork_members.push(Member {
                home: to,
                id: from.id.clone(),
                pub_key: from.pub_key,
            });
        }
        let mut a = self.launch(bin, home, members, "node")?;
        let mut b = self.launch(bin, fork_home, fork_members, "fork node")?;
        self.wait(&mut [&mut a, &mut b])?;
        Ok((a, b))
    }

    /// Runs `cometbft testnet` and writes one genesis for all (the chain id, powers and, when
    /// given, genesis time asked for); the node homes, ids and keys, in node order.
    fn setup(
        &self,
        bin: &Path,
        genesis_time: Option<ferry_verifier::Time>,
    ) -> Result<(TempDir, Vec<Member>), Attempt> {
        let home = TempDir::new("cometbft")?;
        let setup_log = home.path().join("setup.log");
        let n = self.validators;
        let mut cmd = Command::new(bin);
        cmd.arg("testnet")
            .arg("--v")
            .arg(n.to_string())
            .arg("--o")
            .arg(home.path())
            .args(["--starting-ip-address", "127.0.0.1", "--p2p-port", "26656"]);
        run_setup(cmd, None, &setup_log, Duration::from_secs(60))?;
        let node_dir = |i: usize| home.path().join(format!("node{i}"));

        // Node ids, in node order, from the peers `testnet` wrote (ID@127.0.0.(i+1):26656).
        let config0 = node_dir(0).join("config").join("config.toml");
        let ids = read_peer_ids(&config0, n)?;

        // One genesis for all: the chain id and powers asked for.
        let genesis_path = node_dir(0).join("config").join("genesis.json");
        let mut genesis: Value = read_json(&genesis_path)?;
        genesis["chain_id"] = Value::String(self.chain_id.clone());
        if let Some(t) = genesis_time {
            genesis["genesis_time"] = Value::String(t.to_string());
        }
        let vals = genesis
            .get_mut("validators")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| Error::Config {
                file: genesis_path.clone(),
                reason: "no validators array".into(),
            })?;
        for v in vals.iter_mut() {
            v["power"] = Value::String(self.power.to_string());
        }
        let genesis_text = serde_json::to_string_pretty(&genesis).map_err(|e| Error::Config {
            file: genesis_path.clone(),
            reason: e.to_string(),
        })?;

        let mut members = Vec::with_capacity(n);
        for (i, id) in ids.into_iter().enumerate() {
            let config = node_dir(i).join("config");
            let g = config.join("genesis.json");
            std::fs::write(&g, &genesis_text)
                .map_err(Error::io(format!("writing {}", g.display())))?;
            let key_file = config.join("priv_validator_key.json");
            let key: Value = read_json(&key_file)?;
            let pub_key = key
                .pointer("/pub_key/value")
                .and_then(Value::as_str)
                .and_then(|s| PublicKey::from_base64(s).ok())
                .ok_or_else(|| Error::Config {
                    file: key_file.clone(),
                    reason: "no base64 ed25519 pub_key.value".into(),
                })?;
            members.push(Member {
                home: node_dir(i),
                id,
                pub_key,
            });
        }
        Ok((home, members))
    }

    /// Gives each member fresh ports and the others as peers, and starts its node (named
    /// `cometbft {label}{i}`, logging to `{label}{i}.log` in `home`).
    fn launch(
        &self,
        bin: &Path,
        home: TempDir,
        members: Vec<Member>,
        label: &str,
    ) -> Result<CometBftNetwork, Attempt> {
        let n = members.len();
        let rpc_ports = (0..n).map(|_| free_port()).collect::<Result<Vec<_>, _>>()?;
        let p2p_ports = (0..n).map(|_| free_port()).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
        let mut started = Vec::with_capacity(n);
        for (i, m) in members.into_iter().enumerate() {
            let (rpc_port, p2p_port) = (rpc_ports[i], p2p_ports[i]);
            let peers: Vec<String> = (0..n)
                .filter(|&j| j != i)
                .map(|j| format!("{}@127.0.0.1:{}", ids[j], p2p_ports[j]))
                .collect();
            set_toml(
                &m.home.join("config").join("config.toml"),
                &[
                    (
                        "timeout_commit",
                        format!("\"{}ms\"", self.timeout_commit.as_millis()),
                    ),
                    ("persistent_peers", format!("\"{}\"", peers.join(","))),
                    // Loopback gossip need not be throttled (defaults 100 ms each): about
                    // twice the blocks a second with 4 nodes on 2 cores.
                    ("flush_throttle_timeout", "\"10ms\"".into()),
                    ("peer_gossip_sleep_duration", "\"10ms\"".into()),
                ],
            )?;
            let mut cmd = Command::new(bin);
            cmd.arg("node")
                .arg("--home")
                .arg(&m.home)
                .arg("--proxy_app=kvstore")
                .arg(format!("--rpc.laddr=tcp://127.0.0.1:{rpc_port}"))
                .arg(format!("--p2p.laddr=tcp://127.0.0.1:{p2p_port}"));
            let name = format!("cometbft {label}{i}");
            let log = home
                .path()
                .join(format!("{}{i}.log", label.replace(' ', "-")));
            let process = Process::spawn(cmd, &name, &log)?;
            let rpc = RpcClient::new(&format!("http://127.0.0.1:{rpc_port}"))?;
            started.push(CometBftNode {
                process,
                rpc,
                p2p_port,
                home: m.home,
                pub_key: m.pub_key,
            });
        }
        Ok(CometBftNetwork {
            nodes: started,
            chain_id: self.chain_id.clone(),
            home,
        })
    }

    /// Waits until every node of `nets` reports [`Self::ready_height`]; on a failure other
    /// than a taken port, keeps the homes (with the logs).
    fn wait(&self, nets: &mut [&mut CometBftNetwork]) -> Result<(), Attempt> {
        let nodes = nets
            .iter_mut()
            .flat_map(|net| net.nodes.iter_mut().map(|n| (&mut n.process, &n.rpc)))
            .collect();
        let ready = wait_ready(nodes, self.ready_height, self.start_timeout);
        if let Err(e) = &ready {
            if !matches!(e, Attempt::PortTaken(_)) {
                for net in nets.iter_mut() {
                    net.home.keep();
                }
            }
        }
        ready
    }
}

/// A validator's node home before it runs: where, its node id and its key.
struct Member {
    home: PathBuf,
    id: String,
    pub_key: PublicKey,
}

/// Copies the regular files of `from` into `to` (created), not recursing.
fn copy_files(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(Error::io(format!("creating {}", to.display())))?;
    let entries =
        std::fs::read_dir(from).map_err(Error::io(format!("listing {}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(Error::io(format!("listing {}", from.display())))?;
        let path = entry.path();
        if path.is_file() {
            let dest = to.join(entry.file_name());
            std::fs::copy(&path, &dest).map_err(Error::io(format!(
                "copying {} to {}",
                path.display(),
                dest.display()
            )))?;
        }
    }
    Ok(())
}

/// Copies the files `names` (paths relative to `from`) to the same places under `to`.
fn copy_files_named(from: &Path, to: &Path, names: &[&Path]) -> Result<(), Error> {
    for name in names {
        let (src, dest) = (from.join(name), to.join(name));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(Error::io(format!("creating {}", parent.display())))?;
        }
        std::fs::copy(&src, &dest).map_err(Error::io(format!(
            "copying {} to {}",
            src.display(),
            dest.display()
        )))?;
    }
    Ok(())
}

/// How one start went wrong: a port was taken (retry), or anything else (give up).
pub(crate) enum Attempt {
    PortTaken(Error),
    Failed(Error),
}

impl From<Error> for Attempt {
    fn from(e: Error) -> Self {
        Attempt::Failed(e)
    }
}

/// Waits until every node's RPC reports `height` or more; a node that exits fails the wait at
/// once (as [`Attempt::PortTaken`] when its log says a port was taken).
pub(crate) fn wait_ready(
    mut nodes: Vec<(&mut Process, &RpcClient)>,
    height: u64,
    timeout: Duration,
) -> Result<(), Attempt> {
    let start = Instant::now();
    let mut last: Vec<String> = vec!["no answer yet".into(); nodes.len()];
    loop {
        let mut all = true;
        for (i, (process, rpc)) in nodes.iter_mut().enumerate() {
            if let Some(status) = process.exited() {
                let e = process.exited_error(status);
                return Err(if process.port_taken() {
                    Attempt::PortTaken(e)
                } else {
                    Attempt::Failed(e)
                });
            }
            match rpc.status() {
                Ok(s) if s.latest_block_height >= height => last[i] = "ready".into(),
                Ok(s) => {
                    all = false;
                    last[i] = format!("height {}", s.latest_block_height);
                }
                Err(e) => {
                    all = false;
                    last[i] = e.to_string();
                }
            }
        }
        if all {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            let i = last.iter().position(|l| l != "ready").unwrap_or(0);
            let process = &nodes[i].0;
            return Err(Attempt::Failed(Error::StartTimeout {
                node: process.name().to_string(),
                height,
                timeout,
                last: last[i].clone(),
                log: process.log().to_path_buf(),
                tail: crate::process::log_tail(process.log(), 40),
            }));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let text =
        std::fs::read_to_string(path).map_err(Error::io(format!("reading {}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| Error::Config {
        file: path.to_path_buf(),
        reason: format!("not JSON: {e}"),
    })
}

/// The node ids in `persistent_peers` (`ID@HOST:PORT,...`), which must list `n` peers.
fn read_peer_ids(config: &Path, n: usize) -> Result<Vec<String>, Error> {
    let text = std::fs::read_to_string(config)
        .map_err(Error::io(format!("reading {}", config.display())))?;
    let bad = |reason: String| Error::Config {
        file: config.to_path_buf(),
        reason,
    };
    let line = text
        .lines()
        .find(|l| l.starts_with("persistent_peers"))
        .ok_or_else(|| bad("no persistent_peers line".into()))?;
    let value = line
        .split_once('=')
        .map(|(_, v)| v.trim().trim_matches('"'))
        .unwrap_or("");
    let ids: Vec<String> = value
        .split(',')
        .filter_map(|p| p.split_once('@').map(|(id, _)| id.to_string()))
        .collect();
    if ids.len() != n || ids.iter().any(|id| id.len() != 40) {
        return Err(bad(format!(
            "persistent_peers {value:?} does not list {n} node ids"
        )));
    }
    Ok(ids)
}

/// One validator node.
#[derive(Debug)]
struct CometBftNode {
    process: Process,
    rpc: RpcClient,
    p2p_port: u16,
    home: PathBuf,
    pub_key: PublicKey,
}

/// A running CometBFT network (kvstore app). Dropping it kills every node and removes its
/// home (kept, with the node logs, when dropped during a panic).
#[derive(Debug)]
pub struct CometBftNetwork {
    // Dropped first: the processes are gone before their home is removed.
    nodes: Vec<CometBftNode>,
    chain_id: String,
    home: TempDir,
}

impl CometBftNetwork {
    /// Starts `validators` validators with the defaults of [`CometBftBuilder`].
    pub fn start(validators: usize) -> Result<CometBftNetwork, Error> {
        Self::builder().validators(validators).start()
    }

    /// Settings for a network.
    pub fn builder() -> CometBftBuilder {
        CometBftBuilder::default()
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Number of nodes (each a genesis validator).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes (never, once started).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The RPC URL of every node (`http://127.0.0.1:PORT`), in node order.
    pub fn rpc_urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.rpc.url().to_string()).collect()
    }

    /// An RPC client for node `i`.
    ///
    /// # Panics
    ///
    /// When `i >= self.len()`.
    pub fn rpc(&self, i: usize) -> RpcClient {
        self.nodes[i].rpc.clone()
    }

    /// The P2P port of node `i` (on 127.0.0.1).
    ///
    /// # Panics
    ///
    /// When `i >= self.len()`.
    pub fn p2p_port(&self, i: usize) -> u16 {
        self.nodes[i].p2p_port
    }

    /// The home directory of node `i`.
    ///
    /// # Panics
    ///
    /// When `i >= self.len()`.
    pub fn node_home(&self, i: usize) -> &Path {
        &self.nodes[i].home
    }

    /// The genesis validators' keys, in node order.
    pub fn validator_keys(&self) -> Vec<PublicKey> {
        self.nodes.iter().map(|n| n.pub_key).collect()
    }

    /// The signing key of validator `i`, read from its `priv_validator_key.json` (checked
    /// against the key the node was started with).
    ///
    /// # Panics
    ///
    /// When `i >= self.len()`.
    pub fn validator_key(&self, i: usize) -> Result<ValidatorKey, Error> {
        let node = &self.nodes[i];
        let file = node.home.join("config").join("priv_validator_key.json");
        let json = read_json(&file)?;
        let bad = |reason: &str| Error::Config {
            file: file.clone(),
            reason: reason.into(),
        };
        let bytes = json
            .pointer("/priv_key/value")
            .and_then(Value::as_str)
            .and_then(|s| base64_decode(s).ok())
            .ok_or_else(|| bad("no base64 priv_key.value"))?;
        // Go's ed25519 private key: the 32-byte seed, then the public key.
        let seed: [u8; 32] = bytes
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .filter(|_| bytes.len() == 64)
            .ok_or_else(|| bad("priv_key.value is not a 64-byte ed25519 key"))?;
        let key = ValidatorKey::from_seed(seed);
        if key.public_key() != node.pub_key {
            return Err(bad("priv_key does not match pub_key"));
        }
        Ok(key)
    }

    /// The directory holding every node's home and log (`nodeI.log`, `setup.log`).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Keeps the home directory (logs) when the network is dropped.
    pub fn keep_home(&mut self) {
        self.home.keep();
    }

    /// Process ids of the running nodes.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().filter_map(|n| n.process.id()).collect()
    }

    /// Waits until every node reports height `height` or more; returns the lowest height.
    pub fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<u64, Error> {
        let start = Instant::now();
        let mut lowest = u64::MAX;
        for n in &self.nodes {
            let left = timeout.saturating_sub(start.elapsed());
            lowest = lowest.min(n.rpc.wait_for_height(height, left)?);
        }
        Ok(lowest)
    }

    /// Sets the voting power of validator `key` with a kvstore `val=` transaction through
    /// node 0 (power 0 removes it; an unknown key with power > 0 is added). Returns the block
    /// it was committed in, `H`: the new set signs from `H + 2`, and the header at `H + 1` is
    /// the first whose `next_validators_hash` names it.
    pub fn set_validator_power(&self, key: &PublicKey, power: u64) -> Result<TxCommit, Error> {
        self.nodes
            .first()
            .ok_or_else(|| Error::Timeout {
                what: "a node".into(),
                waited: Duration::ZERO,
            })?
            .rpc
            .broadcast_tx_commit(&kvstore_validator_tx(key, power))
    }

    /// Kills every node now (also done on drop).
    pub fn stop(&mut self) {
        for n in &mut self.nodes {
            n.process.stop();
        }
    }
}

impl Drop for CometBftNetwork {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_tx_format_is_v038_kvstore() {
        let key = ValidatorKey::from_label("x").public_key();
        let tx = String::from_utf8(kvstore_validator_tx(&key, 7)).unwrap();
        let rest = tx.strip_prefix("val=ed25519!").unwrap();
        let (b64, power) = rest.split_once('!').unwrap();
        assert_eq!(power, "7");
        assert_eq!(b64.len(), 44);
        assert_eq!(crate::encoding::base64_decode(b64).unwrap(), key.0.to_vec());
        assert_eq!(key.address(), key.address());
        assert_ne!(
            ValidatorKey::from_label("y").public_key(),
            ValidatorKey::from_label("x").public_key()
        );
    }
}
