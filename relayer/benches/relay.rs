//! End-to-end relay benchmark (`cargo bench -p ferry --bench relay`; a bench binary, not a
//! timed test): two ibc-go simd chains with 1-second blocks (`ferry-testnet`), a channel made
//! by Ferry, the release `ferry start` relaying while `ferry tx transfer` sends.
//!
//! For `--batch` 1, 10 and 100: packets per second end to end (first transfer sent to last
//! acknowledgement), blocks from send to receipt and to acknowledgement (median and worst,
//! from the chains' own events and block times), the relayer's CPU time and peak memory per
//! 1,000 packets, and the share of that CPU spent verifying headers (headers verified, from
//! its metrics, times the measured cost of verifying one of these chains' headers). Then a
//! backlog of 10,000 packets sent while no relayer runs: the time to clear it, against the
//! least number of blocks the chains need to include the transactions.
//!
//! `FERRY_BENCH_SCALE` (default 1.0) scales the packet counts; `FERRY_BENCH_ONLY=backlog`
//! runs the backlog alone; `FERRY_BENCH_LOG_LEVEL` sets the relayer's log level (its logs
//! are kept in `target/tmp/relay-bench`). Needs the chain binaries
//! (`scripts/chains/install.sh`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ferry_in, relay_setup_with};

use ferry_testnet::{SimdChain, TempDir};

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn scrape(addr: SocketAddr, metric: &str) -> f64 {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0.0;
    };
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines()
        .filter(|l| l.starts_with(metric))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |a, b| a + b)
}

/// CPU seconds (user + system) and peak resident memory (KiB) of `pid`.
fn usage(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
    let ticks: f64 = [11usize, 12]
        .iter()
        .filter_map(|i| f.get(*i)?.parse::<f64>().ok())
        .sum();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    (ticks / 100.0, hwm)
}

/// Whether packets remain unfinished on channel-0 of either chain: a packet commitment
/// (sent and neither acknowledged nor timed out), from one page of `PacketCommitments`.
fn outstanding(a: &SimdChain, b: &SimdChain) -> bool {
    [a, b].iter().any(|c| {
        let q = ferry::cosmos::packet_commitments_query("transfer", "channel-0", &[], 1);
        let r = c.rpc().abci_query(q.path, &q.data, None, false).unwrap();
        assert_eq!(r.code, 0, "{}", r.log);
        let (seqs, _) =
            ferry::cosmos::decode_packet_commitments(&r.value.unwrap_or_default()).unwrap();
        !seqs.is_empty()
    })
}

/// The packet commitments left on channel-0 of `chain`.
fn remaining(chain: &SimdChain) -> usize {
    let mut n = 0;
    let mut key = Vec::new();
    loop {
        let q = ferry::cosmos::packet_commitments_query("transfer", "channel-0", &key, 1000);
        let r = chain
            .rpc()
            .abci_query(q.path, &q.data, None, false)
            .unwrap();
        let (seqs, next) =
            ferry::cosmos::decode_packet_commitments(&r.value.unwrap_or_default()).unwrap();
        n += seqs.len();
        if next.is_empty() {
            return n;
        }
        key = next;
    }
}

/// The relayer measured: Ferry, or Hermes (the binary named by `FERRY_BENCH_HERMES`) on the
/// same chains, channel and key.
#[derive(Clone)]
enum Who {
    Ferry,
    Hermes(PathBuf),
}

impl Who {
    fn name(&self) -> &'static str {
        match self {
            Who::Ferry => "ferry",
            Who::Hermes(_) => "hermes",
        }
    }
}

/// Hermes' config for the two chains with `max_msg_num = batch`; its key store in `home`.
fn hermes_config(home: &Path, a: &SimdChain, b: &SimdChain, batch: usize) -> PathBuf {
    let mut text = String::from(
        "[global]\nlog_level = 'warn'\n\
         [mode.clients]\nenabled = true\nrefresh = true\nmisbehaviour = false\n\
         [mode.connections]\nenabled = false\n[mode.channels]\nenabled = false\n\
         [mode.packets]\nenabled = true\nclear_interval = 100\nclear_on_start = true\n\
         tx_confirmation = false\n\
         [rest]\nenabled = false\nhost = '127.0.0.1'\nport = 3000\n\
         [telemetry]\nenabled = false\nhost = '127.0.0.1'\nport = 3001\n",
    );
    for c in [a, b] {
        let rpc = c.rpc_url().to_string();
        let ws = rpc.replace("http://", "ws://");
        text.push_str(&format!(
            "\n[[chains]]\nid = '{id}'\ntype = 'CosmosSdk'\nrpc_addr = '{rpc}'\n\
             grpc_addr = 'http://{grpc}'\n\
             event_source = {{ mode = 'push', url = '{ws}/websocket', batch_delay = '200ms' }}\n\
             rpc_timeout = '10s'\ntrusted_node = false\naccount_prefix = 'cosmos'\n\
             key_name = 'relayer'\nkey_store_folder = '{keys}'\nstore_prefix = 'ibc'\n\
             default_gas = 100000\nmax_gas = 30000000\n\
             gas_price = {{ price = 0.025, denom = 'stake' }}\ngas_multiplier = 1.1\n\
             max_msg_num = {batch}\nmax_tx_size = 4194304\nclock_drift = '10s'\n\
             max_block_time = '30s'\ntrusting_period = '14days'\ntrust_threshold = '1/3'\n\
             address_type = {{ derivation = 'cosmos' }}\ncompat_mode = '0.38'\n",
            id = c.chain_id(),
            grpc = c.grpc_addr(),
            keys = home.join("hermes-keys").display(),
        ));
    }
    let path = home.join(format!("hermes-{batch}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn start(
    who: &Who,
    home: &Path,
    chains: (&SimdChain, &SimdChain),
    batch: usize,
    tag: &str,
) -> Child {
    // Logs kept after the run, in target/tmp/relay-bench.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("relay-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let log = std::fs::File::create(dir.join(format!("{}-{tag}.log", who.name()))).unwrap();
    match who {
        Who::Ferry => Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(["start", "--batch", &batch.to_string(), "--log-level"])
            .arg(std::env::var("FERRY_BENCH_LOG_LEVEL").unwrap_or_else(|_| "info".into()))
            .arg("--home")
            .arg(home)
            .env_remove("FERRY_HOME")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
        Who::Hermes(bin) => {
            let cfg = hermes_config(home, chains.0, chains.1, batch);
            Command::new(bin)
                .arg("--config")
                .arg(cfg)
                .arg("start")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap()
        }
    }
}

/// Hermes' key: the same account Ferry's relayer key is (simd's `relayer`, index 0).
fn hermes_keys(bin: &Path, home: &Path, a: &SimdChain, b: &SimdChain) {
    let cfg = hermes_config(home, a, b, 1);
    let words = home.join("mnemonic.txt");
    std::fs::write(&words, ferry_testnet::TEST_MNEMONIC).unwrap();
    for id in [a.chain_id(), b.chain_id()] {
        let o = Command::new(bin)
            .arg("--config")
            .arg(&cfg)
            .args(["keys", "add", "--chain", id, "--mnemonic-file"])
            .arg(&words)
            .args(["--hd-path", "m/44'/118'/0'/0/0", "--overwrite"])
            .output()
            .unwrap();
        assert!(o.status.success(), "hermes keys add: {o:?}");
    }
}

fn stop(mut c: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
    let t = Instant::now();
    while c.try_wait().unwrap().is_none() && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = c.kill();
    let _ = c.wait();
}

fn send(home: &Path, receiver: &str, count: usize) {
    let o = ferry_in(
        home,
        &[
            "tx",
            "transfer",
            "--src",
            "ferry-a",
            "--channel",
            "channel-0",
            "--receiver",
            receiver,
            "--amount",
            "1stake",
            "--count",
            &count.to_string(),
            "--per-tx",
            "100",
            "--timeout",
            "1h",
            "--key",
            "user",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
}

/// Per sequence: the height of the block in `from..=to` carrying event `kind` of channel-0
/// (from `block_results`: the chains' transaction index is too slow for 10,000 packets).
fn event_heights(
    chain: &SimdChain,
    kind: &str,
    side: &str,
    (from, to): (u64, u64),
) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    let channel_key = format!("packet_{side}_channel");
    for h in from.max(1)..=to {
        let r = chain
            .rpc()
            .call("block_results", &[("height", h.to_string())])
            .unwrap();
        for t in r["txs_results"].as_array().cloned().unwrap_or_default() {
            if t["code"].as_u64().unwrap_or(0) != 0 {
                continue;
            }
            for ev in t["events"].as_array().cloned().unwrap_or_default() {
                if ev["type"] != kind {
                    continue;
                }
                let attr = |k: &str| {
                    ev["attributes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|a| a["key"] == k)
                        .and_then(|a| a["value"].as_str().map(str::to_string))
                };
                if attr(&channel_key).as_deref() != Some("channel-0") {
                    continue;
                }
                if let Some(seq) = attr("packet_sequence").and_then(|s| s.parse().ok()) {
                    out.entry(seq).or_insert(h);
                }
            }
        }
    }
    out
}

/// Block time of `height` on `chain`, seconds since the epoch.
fn block_time(chain: &SimdChain, height: u64, cache: &mut BTreeMap<u64, f64>) -> f64 {
    if let Some(t) = cache.get(&height) {
        return *t;
    }
    let r = chain
        .rpc()
        .call("block", &[("height", height.to_string())])
        .unwrap();
    let text = r["block"]["header"]["time"].as_str().unwrap();
    let t = ferry_verifier::Time::parse_rfc3339(text).unwrap();
    let secs = t.unix_secs() as f64 + f64::from(t.subsec_nanos()) / 1e9;
    cache.insert(height, secs);
    secs
}

fn median_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    (m, v.last().copied().unwrap_or(f64::NAN))
}

/// Blocks from send to receipt (by block time, in seconds of 1-second blocks) and to
/// acknowledgement (blocks of the source) of the packets sent in the blocks `on_a` of A
/// (received in `on_b` of B), median and max.
fn latencies(
    a: &SimdChain,
    b: &SimdChain,
    on_a: (u64, u64),
    on_b: (u64, u64),
) -> ((f64, f64), (f64, f64)) {
    let sent = event_heights(a, "send_packet", "src", on_a);
    let recv = event_heights(b, "recv_packet", "dst", on_b);
    let acked = event_heights(a, "acknowledge_packet", "src", on_a);
    let mut times_a = BTreeMap::new();
    let mut times_b = BTreeMap::new();
    let mut to_recv = Vec::new();
    let mut to_ack = Vec::new();
    for (seq, h) in &sent {
        let (Some(r), Some(k)) = (recv.get(seq), acked.get(seq)) else {
            continue;
        };
        let ts = block_time(a, *h, &mut times_a);
        let tr = block_time(b, *r, &mut times_b);
        to_recv.push(tr - ts);
        to_ack.push((k - h) as f64);
    }
    (median_max(to_recv), median_max(to_ack))
}

/// Microseconds to verify one adjacent header of `chain` (its light blocks from height h).
fn header_cost(chain: &SimdChain) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rpc =
        ferry::rpc::RpcClient::new(chain.rpc_url(), ferry::rpc::RpcConfig::default()).unwrap();
    let h = chain.rpc().status().unwrap().latest_block_height - 2;
    let (a, b) = rt.block_on(async {
        let a = rpc
            .light_block::<{ ferry_verifier::MAX_VALIDATORS }>(
                ferry_verifier::Height::new(h).unwrap(),
            )
            .await
            .unwrap();
        let b = rpc
            .light_block::<{ ferry_verifier::MAX_VALIDATORS }>(
                ferry_verifier::Height::new(h + 1).unwrap(),
            )
            .await
            .unwrap();
        (a, b)
    });
    let now = b.signed_header.header.time;
    let options = ferry_verifier::Options::default();
    let trusted = ferry_verifier::TrustedState::from_light_block(&a);
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        let v = ferry_verifier::verify(&ferry_verifier::Zebra, &trusted, &b, now, &options);
        assert_eq!(v, ferry_verifier::Verdict::Success);
    }
    t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without --bench: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    assert!(
        ferry_testnet::require_chains(),
        "the chain binaries are needed: bash scripts/chains/install.sh"
    );
    let scale: f64 = std::env::var("FERRY_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let n = |x: f64| ((x * scale).round() as usize).max(10);
    let dir = TempDir::new("relay-bench").unwrap();
    let home = dir.path();
    let metrics = free_addr();
    let (a, b) = relay_setup_with(home, Some(metrics), Duration::from_secs(1), "14d");
    let text = std::fs::read_to_string(home.join("config.toml"))
        .unwrap()
        .replace("max_gas = 4000000", "max_gas = 30000000");
    std::fs::write(home.join("config.toml"), text).unwrap();
    let receiver = b.account("user").unwrap().address.clone();
    let cost_us = header_cost(&a);
    println!("verifying one header of these chains: {cost_us:.1} us");
    let mut who = vec![Who::Ferry];
    if let Ok(bin) = std::env::var("FERRY_BENCH_HERMES") {
        hermes_keys(Path::new(&bin), home, &a, &b);
        who.push(Who::Hermes(PathBuf::from(bin)));
    }
    println!();
    println!(
        "| relayer | batch | packets | packets/s | send->recv blocks (median, max) | send->ack blocks (median, max) | relayer CPU s / 1000 | peak RSS MiB | headers verified | CPU share verifying |"
    );
    println!("|---|---:|---:|---:|---|---|---:|---:|---:|---:|");
    let height = |c: &SimdChain| c.rpc().status().unwrap().latest_block_height;
    let mut backlogs = Vec::new();
    for w in &who {
        let backlog_only = std::env::var("FERRY_BENCH_ONLY").as_deref() == Ok("backlog");
        let phases = [(1usize, n(200.0)), (10, n(1000.0)), (100, n(1000.0))];
        for (batch, count) in phases.into_iter().filter(|_| !backlog_only) {
            let relayer = start(w, home, (&a, &b), batch, &format!("batch-{batch}"));
            std::thread::sleep(Duration::from_secs(5));
            let (a0, b0) = (height(&a), height(&b));
            let t = Instant::now();
            send(home, &receiver, count);
            while outstanding(&a, &b) {
                std::thread::sleep(Duration::from_millis(250));
                assert!(t.elapsed() < Duration::from_secs(1800), "stalled");
            }
            let secs = t.elapsed().as_secs_f64();
            // The round that finished the work records it when it ends.
            std::thread::sleep(Duration::from_secs(2));
            let (cpu, hwm) = usage(relayer.id());
            let headers = match w {
                Who::Ferry => Some(scrape(metrics, "ferry_headers_verified_total")),
                Who::Hermes(_) => None,
            };
            stop(relayer);
            let (recv, ack) = latencies(&a, &b, (a0 + 1, height(&a)), (b0 + 1, height(&b)));
            let per_k = cpu * 1000.0 / count as f64;
            let (hs, share) = match headers {
                Some(h) => (
                    format!("{h}"),
                    format!("{:.2}%", h * cost_us / 1e6 / cpu.max(1e-9) * 100.0),
                ),
                None => ("-".into(), "-".into()),
            };
            println!(
                "| {} | {batch} | {count} | {:.1} | {:.1}, {:.1} | {:.0}, {:.0} | {per_k:.2} | {:.1} | {hs} | {share} |",
                w.name(),
                count as f64 / secs,
                recv.0,
                recv.1,
                ack.0,
                ack.1,
                hwm as f64 / 1024.0,
            );
        }
        // A backlog sent while no relayer runs.
        let backlog = n(10_000.0);
        let t = Instant::now();
        send(home, &receiver, backlog);
        let sending = t.elapsed().as_secs_f64();
        let h0 = b.rpc().status().unwrap().latest_block_height;
        let a0 = height(&a);
        let relayer = start(w, home, (&a, &b), 100, "backlog");
        let t = Instant::now();
        let limit = Duration::from_secs(600);
        while outstanding(&a, &b) && t.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(500));
        }
        let secs = t.elapsed().as_secs_f64();
        let left = remaining(&a) + remaining(&b);
        let (cpu, hwm) = usage(relayer.id());
        stop(relayer);
        let blocks_b = b.rpc().status().unwrap().latest_block_height - h0;
        // How long each chain was including the relayer's transactions: from the block of
        // the first to that of the last receive on B, acknowledgement on A.
        let span = |c: &SimdChain, kind: &str, side: &str, from: u64| {
            let hs = event_heights(c, kind, side, (from + 1, height(c)));
            let mut cache = BTreeMap::new();
            match (hs.values().min(), hs.values().max()) {
                (Some(lo), Some(hi)) => {
                    block_time(c, *hi, &mut cache) - block_time(c, *lo, &mut cache)
                }
                _ => f64::NAN,
            }
        };
        let busy = format!(
            "B included the receives over {:.1} s, A the acknowledgements over {:.1} s",
            span(&b, "recv_packet", "dst", h0),
            span(&a, "acknowledge_packet", "src", a0)
        );
        let outcome = if left == 0 {
            format!(
                "cleared in {secs:.1} s ({:.0} packets/s)",
                backlog as f64 / secs
            )
        } else {
            // A backlog whose ack was not relayed counts too: its commitment remains.
            format!("NOT cleared after {secs:.0} s: {left} packets unfinished")
        };
        backlogs.push(format!(
            "{}: backlog of {backlog} (sent in {sending:.0} s) {outcome}, {blocks_b} blocks of \
             ferry-b ({busy}); relayer CPU {cpu:.1} s, peak RSS {:.1} MiB",
            w.name(),
            hwm as f64 / 1024.0
        ));
        if left > 0 {
            // Let the next relayer start from a clean channel: clear the rest with Ferry.
            let o = ferry_in(
                home,
                &["clear", "packets", "--path", "a-b", "--batch", "100"],
                None,
            );
            assert_eq!(o.code, 0, "{o:?}");
        }
    }
    println!();
    for b in backlogs {
        println!("{b}");
    }
}
