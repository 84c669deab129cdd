//! `ferry start`, `ferry health-check` and `ferry tx transfer` refused before they do
//! anything: no config, a bad config, a path without channel ids, a missing key, an
//! unreachable chain, bad options. Each gives a message naming what to fix and its exit
//! code, and writes nothing (the home's files are the same before and after). No chain
//! needed.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::{ferry_in, Out};
use ferry_testnet::{TempDir, TEST_MNEMONIC};

/// Every file under `dir` with its size and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path(), (m.len(), m.modified().unwrap()));
            }
        }
    }
    out
}

/// Runs `args` in `home`, expects exit `code` and every piece of `said` in stderr (or
/// stdout), and that nothing under `home` changed.
fn refused(home: &Path, args: &[&str], code: i32, said: &[&str]) -> Out {
    let before = snapshot(home);
    let o = ferry_in(home, args, None);
    assert_eq!(o.code, code, "{args:?}: {o:?}");
    let text = format!("{}{}", o.stderr, o.stdout);
    for s in said {
        assert!(text.contains(s), "{args:?}: {s:?} not in {o:?}");
    }
    assert!(!text.contains("panicked"), "{o:?}");
    assert_eq!(snapshot(home), before, "{args:?} wrote something");
    o
}

/// A loopback URL nothing listens on.
fn dead_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn start_and_friends_refuse_cleanly_and_write_nothing() {
    let dir = TempDir::new("start-refusals").unwrap();
    let home = dir.path();

    // No config.
    refused(home, &["start"], 66, &["config.toml", "ferry config init"]);
    refused(home, &["health-check"], 66, &["config.toml"]);

    // A bad config: the line and field named.
    let bad = ferry::config::EXAMPLE.replace("gas_multiplier = 1.1", "gas_multiplier = \"x\"");
    std::fs::write(home.join("config.toml"), bad).unwrap();
    refused(
        home,
        &["start"],
        65,
        &["config.toml:39:18: chains[0].gas_multiplier"],
    );

    // A valid config whose path has no channel ids.
    let (a_url, b_url) = (dead_url(), dead_url());
    let text = ferry::config::EXAMPLE
        .replace("http://127.0.0.1:26657", &a_url)
        .replace("http://127.0.0.1:26757", &b_url);
    std::fs::write(home.join("config.toml"), &text).unwrap();
    refused(
        home,
        &["start"],
        64,
        &["channel ids", "ferry create channel"],
    );
    refused(
        home,
        &["start", "--path", "x-y"],
        64,
        &["no path \"x-y\"", "a-b"],
    );

    // Ids set, no key.
    let text = text
        .replace("# client_id", "client_id")
        .replace("# connection_id", "connection_id")
        .replace("# channel_id", "channel_id");
    std::fs::write(home.join("config.toml"), &text).unwrap();
    refused(home, &["start"], 66, &["relayer", "ferry keys add"]);
    refused(
        home,
        &["start", "--log-format", "xml"],
        64,
        &["--log-format", "human or json"],
    );

    // The key, and a chain nobody answers for.
    let o = ferry_in(
        home,
        &["keys", "add", "relayer", "--chain", "ferry-a", "--recover"],
        Some(TEST_MNEMONIC),
    );
    assert_eq!(o.code, 0, "{o:?}");
    refused(home, &["start"], 69, &["ferry-a", &a_url]);
    let o = refused(
        home,
        &["health-check"],
        1,
        &["FAIL ferry-a rpc", "FAIL ferry-b rpc"],
    );
    assert!(!o.stdout.contains("ok   ferry-a rpc"), "{o:?}");
    let o = refused(home, &["health-check", "--json"], 1, &[]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v[0]["chain"], "ferry-a", "{v}");
    assert_eq!(v[0]["ok"], false, "{v}");

    // Transfers: bad amounts and timeouts before anything is signed.
    for (amount, timeout, said) in [
        ("stake", "10m", "--amount"),
        ("100", "10m", "--amount"),
        ("0stake", "10m", "--amount"),
        ("100stake", "soon", "--timeout"),
    ] {
        refused(
            home,
            &[
                "tx",
                "transfer",
                "--src",
                "ferry-a",
                "--channel",
                "channel-0",
                "--receiver",
                "cosmos1x",
                "--amount",
                amount,
                "--timeout",
                timeout,
            ],
            64,
            &[said],
        );
    }
    refused(
        home,
        &[
            "tx",
            "transfer",
            "--src",
            "ferry-a",
            "--channel",
            "channel-0",
            "--receiver",
            "cosmos1x",
            "--amount",
            "5stake",
        ],
        69,
        &["ferry-a"],
    );
}
