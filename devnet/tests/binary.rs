//! The `ferry-devnet start` binary: prints its RPC URL once it answers, serves, stops with
//! exit 0 on SIGTERM (and SIGINT), and a restart from `--home` resumes the same chain.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ferry_testnet::{free_port, RpcClient, TempDir};

/// A started binary, killed if the test fails before it stops it.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(home: &std::path::Path, port: u16) -> (Node, String, Duration) {
    let began = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry-devnet"))
        .args(["start", "--chain-id", "bin-1", "--validators", "4"])
        .args([
            "--rpc",
            &format!("127.0.0.1:{port}"),
            "--block-time",
            "100ms",
        ])
        .arg("--home")
        .arg(home)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let node = Node(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("no URL line within 20 s");
    (node, line, began.elapsed())
}

fn signal(node: &Node, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &node.0.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn wait_exit(node: &mut Node) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = node.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "did not exit within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn start_prints_the_url_serves_stops_on_sigterm_and_resumes_from_home() {
    let home = TempDir::new("devnet-bin").unwrap();
    let port = free_port().unwrap();
    let (mut node, line, took) = start(home.path(), port);
    let url = format!("http://127.0.0.1:{port}");
    assert_eq!(line, format!("{url}\n"));
    assert!(took < Duration::from_secs(5), "took {took:?} to answer");
    let rpc = RpcClient::new(&url)
        .unwrap()
        .with_timeout(Duration::from_secs(5));
    let status = rpc.status().unwrap();
    assert_eq!(status.network, "bin-1");
    let reached = rpc.wait_for_height(3, Duration::from_secs(10)).unwrap();
    let first = rpc.block_hash(1).unwrap();
    let commit = rpc.broadcast_tx_commit(b"kv/k=v").unwrap();
    signal(&node, "-TERM");
    let exit = wait_exit(&mut node);
    assert!(exit.success(), "{exit:?}");
    drop(node);

    // The same home: the same chain, resumed past where it stopped.
    let (mut node, line, _) = start(home.path(), port);
    assert_eq!(line, format!("{url}\n"));
    let again = rpc.status().unwrap();
    assert!(again.latest_block_height >= reached.max(commit.height));
    assert_eq!(rpc.block_hash(1).unwrap(), first);
    rpc.wait_for_height(again.latest_block_height + 2, Duration::from_secs(10))
        .unwrap();
    let q = rpc.abci_query("store/kv/key", b"k", None, true).unwrap();
    assert_eq!(q.value.as_deref(), Some(&b"v"[..]));
    let tx = rpc
        .call("tx", &[("hash", format!("0x{}", commit.hash))])
        .unwrap();
    assert_eq!(tx["height"], commit.height.to_string());
    signal(&node, "-INT");
    let exit = wait_exit(&mut node);
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn a_taken_port_or_bad_option_fails_with_a_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_ferry-devnet"))
        .args([
            "start",
            "--chain-id",
            "bin-2",
            "--rpc",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("listen for RPC"), "{err}");
    assert!(out.stdout.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_ferry-devnet"))
        .args(["start", "--chain-id", "bin-2", "--rpc", "127.0.0.1:0"])
        .args(["--block-time", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("soon"));
}
