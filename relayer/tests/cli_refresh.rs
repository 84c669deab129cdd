//! An idle `ferry start` keeps its trust alive: with a 30-second trusting period (Ferry's
//! light clients and the IBC clients it made) and no packets, it refreshes both light
//! clients and updates both IBC clients before a third of the period has passed each time,
//! so that after twice the period nothing has expired (`ferry health-check` passes, the
//! clients' expiry gauges are positive). Skipped (SKIPPED printed) without the chain
//! binaries, failed with `CI=true`.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ferry_in, mark, relay_setup_with};
use ferry_testnet::{require_chains, TempDir};

#[test]
fn an_idle_relayer_refreshes_its_light_clients_and_the_ibc_clients() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let dir = TempDir::new("cli-refresh").unwrap();
    let home = dir.path();
    let metrics = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (_a, _b) = relay_setup_with(home, Some(metrics), Duration::from_millis(200), "30s");
    let log = home.join("start.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["start", "--home"])
        .arg(home)
        .env_remove("FERRY_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Twice the trusting period with nothing to relay.
    std::thread::sleep(Duration::from_secs(60));
    let text = std::fs::read_to_string(&log).unwrap();
    mark(t0, "60 s idle");
    assert!(child.try_wait().unwrap().is_none(), "{text}");
    for chain in ["ferry-a", "ferry-b"] {
        assert!(
            text.lines()
                .any(|l| l.contains("light client refreshed") && l.contains(chain)),
            "{chain}: {text}"
        );
        assert!(
            text.lines()
                .any(|l| l.contains("refreshed the client") && l.contains(chain)),
            "{chain}: {text}"
        );
    }
    let o = ferry_in(home, &["health-check"], None);
    assert_eq!(o.code, 0, "{o:?}");
    let mut s = TcpStream::connect(metrics).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
    let mut m = String::new();
    s.read_to_string(&mut m).unwrap();
    let expiry: Vec<f64> = m
        .lines()
        .filter(|l| l.starts_with("ferry_client_expiry_seconds{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(expiry.len(), 2, "{m}");
    assert!(expiry.iter().all(|s| *s > 0.0), "{m}");
    let _ = child.kill();
    let _ = child.wait();
    mark(t0, "done");
}
