//! `ferry start` end to end on two real ibc-go simd chains (`ferry-testnet`, 200 ms blocks)
//! with a channel made by Ferry:
//! - packets sent while the relayer is down are cleared when it starts, and those whose
//!   timeout passed meanwhile are timed out and refunded;
//! - 1,000 ICS-20 transfers each way, sent while it runs, are received and acknowledged
//!   exactly once although the relayer is killed with SIGKILL at random moments and
//!   restarted: the receivers' balances and the escrow accounts add up to the amounts sent,
//!   and the light clients' stores still open;
//! - `ferry health-check` passes, `/metrics` counts what was relayed, SIGTERM stops it with
//!   exit 0.
//!
//! Skipped (SKIPPED printed) without the chain binaries, failed with `CI=true`.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{balance, ferry_in, mark, pending, relay_setup};
use ferry_testnet::{require_chains, SimdChain, TempDir};

const AMOUNT: u128 = 7;

/// A running `ferry start`, killed when dropped.
struct Relayer {
    child: Child,
    log: std::path::PathBuf,
}

impl Relayer {
    fn start(home: &Path, n: u32) -> Relayer {
        let log = home.join(format!("start-{n}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(["start", "--batch", "100", "--home"])
            .arg(home)
            .env_remove("FERRY_HOME")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(home.join(format!("start-{n}.out"))).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Relayer { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Relayer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn scrape(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of the first sample of `metric` whose labels contain all of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(metric) && labels.iter().all(|x| l.contains(x)))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `ferry tx transfer` of `count` transfers of AMOUNT stake from `src`, signed by `user`.
fn transfer(home: &Path, src: &str, receiver: &str, count: usize, timeout: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "tx",
            "transfer",
            "--src",
            src,
            "--channel",
            "channel-0",
            "--receiver",
            receiver,
            "--amount",
            &format!("{AMOUNT}stake"),
            "--count",
            &count.to_string(),
            "--per-tx",
            "100",
            "--timeout",
            timeout,
            "--key",
            "user",
            "--home",
        ])
        .arg(home)
        .env_remove("FERRY_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sent(child: Child) -> String {
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{o:?}");
    String::from_utf8(o.stdout).unwrap()
}

/// The total escrowed `stake` on `chain` (ICS-20's total escrow of the denomination).
fn escrow(chain: &SimdChain) -> u128 {
    let node = chain.node_flag();
    let out = chain
        .cli(&[
            "query",
            "ibc-transfer",
            "total-escrow",
            "stake",
            "--node",
            &node,
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["amount"]["amount"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap()
}

#[test]
fn start_relays_every_packet_exactly_once_across_kills() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let dir = TempDir::new("cli-start").unwrap();
    let home = dir.path();
    let metrics = free_addr();
    let (a, b) = relay_setup(home, Some(metrics));
    // 100 receives per transaction: more gas than the example's max.
    let text = std::fs::read_to_string(home.join("config.toml"))
        .unwrap()
        .replace("max_gas = 4000000", "max_gas = 30000000");
    std::fs::write(home.join("config.toml"), text).unwrap();
    let user_a = a.account("user").unwrap().address.clone();
    let user_b = b.account("user").unwrap().address.clone();

    let o = ferry_in(home, &["health-check"], None);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(!o.stdout.contains("FAIL"), "{o:?}");
    for line in [
        "ok   ferry-a rpc",
        "ok   ferry-b light client",
        "ok   ferry-a client 07-tendermint-0",
        "ok   ferry-b channel transfer/channel-0",
    ] {
        assert!(o.stdout.contains(line), "{line}: {o:?}");
    }

    // Sent while no relayer runs: five A -> B, three B -> A, and two A -> B that time out
    // in 3 s.
    sent(transfer(home, "ferry-a", &user_b, 5, "10m"));
    sent(transfer(home, "ferry-b", &user_a, 3, "10m"));
    let out = sent(transfer(home, "ferry-a", &user_b, 2, "3s"));
    assert!(out.contains("sequences 6,7"), "{out}");
    std::thread::sleep(Duration::from_secs(4));
    let h = b.rpc().status().unwrap().latest_block_height;
    b.rpc()
        .wait_for_height(h + 2, Duration::from_secs(30))
        .unwrap();
    assert_eq!(pending(home), 10);
    mark(t0, "10 packets pending, 2 of them timed out");

    let r = Relayer::start(home, 0);
    wait_for("the backlog cleared", Duration::from_secs(120), || {
        pending(home) == 0
    });
    mark(t0, "cleared at start");
    assert_eq!(balance(&b, &user_b, "ibc/"), 5 * AMOUNT);
    assert_eq!(balance(&a, &user_a, "ibc/"), 3 * AMOUNT);
    // The timed-out two were refunded: A escrows only the five received.
    assert_eq!(escrow(&a), 5 * AMOUNT);
    assert_eq!(escrow(&b), 3 * AMOUNT);
    let m = scrape(metrics);
    assert!(m.starts_with("HTTP/1.1 200 OK"), "{m}");
    for (src, kind, n) in [
        ("ferry-a", "recv", 5.0),
        ("ferry-a", "ack", 5.0),
        ("ferry-a", "timeout", 2.0),
        ("ferry-b", "recv", 3.0),
    ] {
        let got = sample(
            &m,
            "ferry_packets_relayed_total",
            &[&format!("src=\"{src}\""), &format!("kind=\"{kind}\"")],
        );
        assert_eq!(got, Some(n), "{src} {kind}: {m}");
    }
    assert!(
        sample(&m, "ferry_client_expiry_seconds", &["chain=\"ferry-a\""]).is_some_and(|s| s > 0.0),
        "{m}"
    );
    assert!(
        sample(&m, "ferry_headers_verified_total", &["chain=\"ferry-b\""])
            .is_some_and(|s| s >= 1.0),
        "{m}"
    );
    let log = r.log();
    assert!(log.contains("RecvPacket on ferry-b"), "{log}");
    assert!(log.contains("Timeout on ferry-a"), "{log}");

    // 1,000 each way while the relayer runs, killed with SIGKILL at random moments.
    let senders = [
        transfer(home, "ferry-a", &user_b, 1000, "30m"),
        transfer(home, "ferry-b", &user_a, 1000, "30m"),
    ];
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut r = r;
    for i in 1..=3u32 {
        // 1.5 to 6 s into the run.
        let delay = 1500 + u64::from(seed.rotate_left(i * 7) % 4500);
        std::thread::sleep(Duration::from_millis(delay));
        r.kill9();
        mark(t0, &format!("SIGKILL {i} after {delay} ms"));
        r = Relayer::start(home, i);
    }
    for s in senders {
        let out = sent(s);
        assert!(out.starts_with("sent 1000 transfers"), "{out}");
    }
    mark(t0, "2000 transfers sent");
    wait_for("2,000 packets relayed", Duration::from_secs(300), || {
        pending(home) == 0 && balance(&a, &user_a, "ibc/") == 1003 * AMOUNT
    });
    mark(t0, "2000 relayed");
    assert_eq!(balance(&b, &user_b, "ibc/"), 1005 * AMOUNT);
    assert_eq!(balance(&a, &user_a, "ibc/"), 1003 * AMOUNT);
    assert_eq!(escrow(&a), 1005 * AMOUNT);
    assert_eq!(escrow(&b), 1003 * AMOUNT);
    for seq in [1, 500, 1007] {
        let path = ferry_verifier::ibc::packet_commitment_path("transfer", "channel-0", seq);
        let q = a
            .rpc()
            .abci_query("store/ibc/key", path.as_bytes(), None, false)
            .unwrap();
        assert!(q.value.is_none(), "{path} still committed on ferry-a");
    }

    // The light clients' stores survived the kills.
    for chain in ["ferry-a", "ferry-b"] {
        let o = ferry_in(home, &["light", "status", chain], None);
        assert_eq!(o.code, 0, "{o:?}");
    }
    let o = ferry_in(home, &["health-check"], None);
    assert_eq!(o.code, 0, "{o:?}");

    // SIGTERM: the round finishes, exit 0 with a summary.
    let pid = r.child.id().to_string();
    let st = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(st.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = r.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status.code(), Some(0), "{}", r.log());
    let out = std::fs::read_to_string(home.join("start-3.out")).unwrap();
    assert!(out.starts_with("stopped after"), "{out}");
    assert!(r.log().contains("stopped"), "{}", r.log());
    mark(t0, "done");
}
