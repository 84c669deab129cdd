//! Helpers shared by the CLI tests: running the built `ferry` binary and what it answered.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// What a run of `ferry` gave: exit code (-1 when killed by a signal) and output.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the built `ferry` with `args`, `stdin` (none: `/dev/null`), no `$FERRY_HOME`, and the
/// variables of `env` set.
pub fn ferry<S: AsRef<OsStr>>(args: &[S], stdin: Option<&str>, env: &[(&str, &Path)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.args(args)
        .env_remove("FERRY_HOME")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        // A command refused before it reads stdin exits without reading it: the write then
        // fails with a broken pipe, which is not the test's concern (its exit code and output
        // are).
        if let Err(e) = child.stdin.take().unwrap().write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `ferry ARGS --home HOME`.
pub fn ferry_in(home: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.push(OsStr::new("--home"));
    all.push(home.as_os_str());
    ferry(&all, stdin, &[])
}

/// Prints the time since the test's start with what was just done.
pub fn mark(start: Instant, what: &str) {
    eprintln!("[{:>6.2}s] {what}", start.elapsed().as_secs_f64());
}

/// Two simd chains `ferry-a` and `ferry-b` with an open ICS-20 channel made by Ferry: the
/// config (telemetry on `metrics`, if given) with the path's ids filled in, Ferry's
/// `relayer` key (simd's `relayer` account on both chains) and a `user` key (simd's
/// `user`), light clients trusted from height 2, clients, connection and channel. Returns
/// the chains.
pub fn relay_setup(
    home: &Path,
    metrics: Option<std::net::SocketAddr>,
) -> (ferry_testnet::SimdChain, ferry_testnet::SimdChain) {
    relay_setup_with(home, metrics, std::time::Duration::from_millis(200), "14d")
}

/// [`relay_setup`] with chains whose `timeout_commit` is `block_time`, and both chains'
/// `trusting_period` (of Ferry's light clients and of the IBC clients made) set to
/// `trusting_period`.
pub fn relay_setup_with(
    home: &Path,
    metrics: Option<std::net::SocketAddr>,
    block_time: std::time::Duration,
    trusting_period: &str,
) -> (ferry_testnet::SimdChain, ferry_testnet::SimdChain) {
    use ferry_testnet::{SimdBuilder, TEST_MNEMONIC};
    use std::time::Duration;
    let t0 = Instant::now();
    let a = SimdBuilder::new("ferry-a")
        .timeout_commit(block_time)
        .start()
        .unwrap();
    let b = SimdBuilder::new("ferry-b")
        .timeout_commit(block_time)
        .start()
        .unwrap();
    mark(t0, &format!("simd up: {} {}", a.rpc_url(), b.rpc_url()));
    let mut text = ferry::config::EXAMPLE
        .replace("http://127.0.0.1:26657", a.rpc_url())
        .replace("http://127.0.0.1:26757", b.rpc_url())
        .replace(
            "trusting_period = \"14d\"",
            &format!("trusting_period = \"{trusting_period}\""),
        );
    if let Some(addr) = metrics {
        text = text
            .replace("enabled = false", "enabled = true")
            .replace("127.0.0.1:3001", &addr.to_string());
    }
    std::fs::write(home.join("config.toml"), text).unwrap();
    let ok = |args: &[&str], stdin: Option<&str>| {
        let o = ferry_in(home, args, stdin);
        assert_eq!(o.code, 0, "{args:?}: {o:?}");
        o.stdout
    };
    for (name, index) in [("relayer", 0), ("user", 1)] {
        let path = format!("m/44'/118'/0'/0/{index}");
        ok(
            &[
                "keys",
                "add",
                name,
                "--chain",
                "ferry-a",
                "--recover",
                "--hd-path",
                &path,
            ],
            Some(TEST_MNEMONIC),
        );
    }
    let wait = Duration::from_secs(60);
    for (id, chain) in [("ferry-a", &a), ("ferry-b", &b)] {
        chain.rpc().wait_for_height(3, wait).unwrap();
        let hash = chain.rpc().block_hash(2).unwrap().to_string();
        ok(
            &["light", "init", id, "--height", "2", "--hash", &hash],
            None,
        );
    }
    ok(
        &[
            "create", "client", "--host", "ferry-a", "--target", "ferry-b",
        ],
        None,
    );
    ok(
        &[
            "create", "client", "--host", "ferry-b", "--target", "ferry-a",
        ],
        None,
    );
    let c = "07-tendermint-0";
    ok(
        &[
            "create",
            "connection",
            "--a",
            "ferry-a",
            "--b",
            "ferry-b",
            "--a-client",
            c,
            "--b-client",
            c,
        ],
        None,
    );
    ok(
        &[
            "create",
            "channel",
            "--a",
            "ferry-a",
            "--b",
            "ferry-b",
            "--a-connection",
            "connection-0",
            "--b-connection",
            "connection-0",
        ],
        None,
    );
    let text = std::fs::read_to_string(home.join("config.toml"))
        .unwrap()
        .replace("# client_id", "client_id")
        .replace("# connection_id", "connection_id")
        .replace("# channel_id", "channel_id");
    std::fs::write(home.join("config.toml"), text).unwrap();
    mark(t0, "channel open");
    (a, b)
}

/// The balances of `address` on `chain`, from simd's CLI: (denom, amount).
pub fn balances(chain: &ferry_testnet::SimdChain, address: &str) -> Vec<(String, u128)> {
    let node = chain.node_flag();
    let out = chain
        .cli(&[
            "query", "bank", "balances", address, "--node", &node, "--output", "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["denom"].as_str().unwrap().to_string(),
                c["amount"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The amount of `denom` (`ibc/` matches the one IBC denomination) of `address` on `chain`.
pub fn balance(chain: &ferry_testnet::SimdChain, address: &str, denom: &str) -> u128 {
    let ibc: Vec<(String, u128)> = balances(chain, address)
        .into_iter()
        .filter(|(d, _)| d == denom || (denom == "ibc/" && d.starts_with("ibc/")))
        .collect();
    assert!(ibc.len() <= 1, "{ibc:?}");
    ibc.first().map_or(0, |(_, a)| *a)
}

/// The packets of path `a-b` that `ferry query packets pending --json` lists: to receive,
/// acknowledgements to relay, to time out (both directions).
pub fn pending(home: &Path) -> usize {
    let o = ferry_in(
        home,
        &["query", "packets", "pending", "--path", "a-b", "--json"],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            ["recv", "ack", "timeout"]
                .iter()
                .map(|k| d[k].as_array().unwrap().len())
                .sum::<usize>()
        })
        .sum()
}
