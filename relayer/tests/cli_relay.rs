//! `ferry clear packets` and `ferry query packets pending` end to end: two real ibc-go simd
//! chains on loopback (`ferry-testnet`) with clients, a connection and an ICS-20 channel made
//! by Ferry; transfers sent with simd's own CLI; Ferry receives them, relays the
//! acknowledgements, times out a packet whose timeout passed, and a second clear relays
//! nothing. Skipped (SKIPPED printed) without the chain binaries, failed with `CI=true`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{balance, balances, ferry_in as run, mark};
use ferry_testnet::{require_chains, SimdChain, TempDir, TEST_MNEMONIC};

const WAIT: Duration = Duration::from_secs(60);

fn ok(home: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let o = run(home, args, stdin);
    assert_eq!(o.code, 0, "{args:?}: {o:?}");
    o.stdout.trim().to_string()
}

fn ibc_present(chain: &SimdChain, path: &str) -> bool {
    chain
        .rpc()
        .abci_query("store/ibc/key", path.as_bytes(), None, false)
        .unwrap()
        .value
        .is_some()
}

/// `simd tx ibc-transfer transfer transfer channel-0 RECEIVER AMOUNT --from user`, waiting
/// for the block; `extra` are timeout flags.
fn transfer(chain: &SimdChain, receiver: &str, amount: &str, extra: &[&str]) {
    let node = chain.node_flag();
    let mut args = vec![
        "tx",
        "ibc-transfer",
        "transfer",
        "transfer",
        "channel-0",
        receiver,
        amount,
        "--from",
        "user",
        "--chain-id",
        chain.chain_id(),
        "--keyring-backend",
        "test",
        "--node",
        &node,
        "--yes",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = chain.cli(&args).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], 0, "{v}");
    let h = chain.rpc().status().unwrap().latest_block_height;
    chain.rpc().wait_for_height(h + 2, WAIT).unwrap();
}

#[test]
fn ics20_transfers_are_received_acknowledged_and_timed_out_exactly_once() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let a = SimdChain::start("ferry-a").unwrap();
    let b = SimdChain::start("ferry-b").unwrap();
    mark(t0, &format!("simd up: {} {}", a.rpc_url(), b.rpc_url()));
    let dir = TempDir::new("cli-relay").unwrap();
    let home = dir.path();
    let text = ferry::config::EXAMPLE
        .replace("http://127.0.0.1:26657", a.rpc_url())
        .replace("http://127.0.0.1:26757", b.rpc_url());
    std::fs::write(home.join("config.toml"), text).unwrap();
    ok(
        home,
        &[
            "keys",
            "add",
            "relayer",
            "--chain",
            "ferry-a",
            "--recover",
            "--hd-path",
            "m/44'/118'/0'/0/1",
        ],
        Some(TEST_MNEMONIC),
    );
    for (id, chain) in [("ferry-a", &a), ("ferry-b", &b)] {
        chain.rpc().wait_for_height(3, WAIT).unwrap();
        let hash = chain.rpc().block_hash(2).unwrap().to_string();
        ok(
            home,
            &["light", "init", id, "--height", "2", "--hash", &hash],
            None,
        );
    }
    ok(
        home,
        &[
            "create", "client", "--host", "ferry-a", "--target", "ferry-b",
        ],
        None,
    );
    ok(
        home,
        &[
            "create", "client", "--host", "ferry-b", "--target", "ferry-a",
        ],
        None,
    );
    let c = "07-tendermint-0";
    ok(
        home,
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
        home,
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
    mark(t0, "channel open");

    let user = a.account("user").unwrap().address.clone();
    let receiver = b.account("user").unwrap().address.clone();
    let dir_args = [
        "--src",
        "ferry-a",
        "--dst",
        "ferry-b",
        "--channel",
        "channel-0",
    ];

    // Nothing sent yet: nothing pending, a clear relays nothing.
    let mut args = vec!["query", "packets", "pending"];
    args.extend_from_slice(&dir_args);
    args.push("--json");
    let v: serde_json::Value = serde_json::from_str(&ok(home, &args, None)).unwrap();
    assert_eq!(v[0]["recv"], serde_json::json!([]), "{v}");

    // Two transfers with the default timeouts (1000 blocks, 10 minutes).
    transfer(&a, &receiver, "100stake", &[]);
    transfer(&a, &receiver, "250stake", &[]);
    mark(t0, "two transfers sent");
    let v: serde_json::Value = serde_json::from_str(&ok(home, &args, None)).unwrap();
    assert_eq!(v[0]["recv"], serde_json::json!([1, 2]), "{v}");
    assert_eq!(v[0]["dst_channel"], "channel-0", "{v}");
    let text_pending = ok(
        home,
        &[
            "query",
            "packets",
            "pending",
            "--src",
            "ferry-a",
            "--dst",
            "ferry-b",
            "--channel",
            "channel-0",
        ],
        None,
    );
    assert!(text_pending.contains("to receive 1,2"), "{text_pending}");

    // Ferry's guard: packet 1 again is refused before anything is sent (its commitment is
    // gone). The chain's guard: a packet received again (proved as clearing does, without
    // the planner) is refused by ibc-go as a redundant relay.
    let ctx = ferry::ops::Context::load(home, &home.join("config.toml")).unwrap();
    let req = ferry::relay::clear::ClearRequest {
        src: "ferry-a".into(),
        dst: "ferry-b".into(),
        src_port: "transfer".into(),
        src_channel: "channel-0".into(),
        batch: 10,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let packet = |seq: u64| {
        let (_, view) = rt.block_on(ferry::relay::clear::view(&ctx, &req)).unwrap();
        view.sent
            .iter()
            .find(|p| p.sequence == seq)
            .unwrap()
            .clone()
    };
    // Packet 1 as sent (once relayed, it is no longer pending and not in the view).
    let p1 = packet(1);

    let mut clear = vec!["clear", "packets"];
    clear.extend_from_slice(&dir_args);
    let o = run(home, &clear, None);
    assert_eq!(o.code, 0, "{o:?}");
    mark(t0, &format!("clear: {}", o.stdout.trim()));
    eprint!("{}", o.stderr);
    assert!(o.stderr.contains("RecvPacket on ferry-b"), "{o:?}");
    assert!(o.stderr.contains("Acknowledgement on ferry-a"), "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "transfer/channel-0 ferry-a -> ferry-b: received 1,2, acknowledged 1,2, timed out none",
        "{o:?}"
    );
    let ibc: Vec<(String, u128)> = balances(&b, &receiver)
        .into_iter()
        .filter(|(d, _)| d.starts_with("ibc/"))
        .collect();
    assert_eq!(ibc.len(), 1, "{ibc:?}");
    assert_eq!(ibc[0].1, 350, "{ibc:?}");
    for seq in [1, 2] {
        let path = ferry_verifier::ibc::packet_commitment_path("transfer", "channel-0", seq);
        assert!(!ibc_present(&a, &path), "{path} still on ferry-a");
        let path = ferry_verifier::ibc::packet_receipt_path("transfer", "channel-0", seq);
        assert!(ibc_present(&b, &path), "{path} not on ferry-b");
    }

    let e = rt
        .block_on(ferry::relay::clear::recv_packets(&ctx, &req, &[p1]))
        .unwrap_err();
    mark(t0, &format!("packet 1 again: {e}"));
    assert_eq!(e.exit_code(), 66, "{e}");
    assert!(e.to_string().contains("absent at height"), "{e}");
    transfer(&a, &receiver, "5stake", &[]);
    let p3 = packet(3);
    let r = rt
        .block_on(ferry::relay::clear::recv_packets(
            &ctx,
            &req,
            std::slice::from_ref(&p3),
        ))
        .unwrap();
    assert_eq!(r.received, vec![3]);
    let e = rt
        .block_on(ferry::relay::clear::recv_packets(&ctx, &req, &[p3]))
        .unwrap_err();
    mark(t0, &format!("packet 3 again: {e}"));
    match &e {
        ferry::relay::clear::RelayError::Ops(o) => match &**o {
            ferry::ops::OpsError::TxRefused { log, .. } => {
                assert!(log.contains("redundant"), "{e}")
            }
            _ => panic!("{e}"),
        },
        _ => panic!("{e}"),
    }
    // Clearing relays its acknowledgement, and nothing else.
    let o = run(home, &clear, None);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "transfer/channel-0 ferry-a -> ferry-b: received none, acknowledged 3, timed out none",
        "{o:?}"
    );
    assert_eq!(balance(&b, &receiver, &ibc[0].0), 355);

    // A second clear relays nothing: exactly once.
    let o = run(home, &clear, None);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "transfer/channel-0 ferry-a -> ferry-b: received none, acknowledged none, timed out none",
        "{o:?}"
    );
    assert_eq!(balance(&b, &receiver, &ibc[0].0), 355);

    // A transfer that times out 3 s from now (absolute timestamp, no timeout height): once
    // the destination's time passed it, clearing times it out and the sender is refunded.
    let ts = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(3);
    let ts = ts.as_nanos().to_string();
    let before = balance(&a, &user, "stake");
    transfer(
        &a,
        &receiver,
        "70stake",
        &[
            "--absolute-timeouts",
            "--packet-timeout-height",
            "0-0",
            "--packet-timeout-timestamp",
            &ts,
        ],
    );
    let sent = balance(&a, &user, "stake");
    assert!(sent <= before - 70, "{before} -> {sent}");
    let h = b.rpc().status().unwrap().latest_block_height;
    std::thread::sleep(Duration::from_secs(4));
    b.rpc().wait_for_height(h + 2, WAIT).unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(home, &args, None)).unwrap();
    assert_eq!(v[0]["timeout"], serde_json::json!([4]), "{v}");
    assert_eq!(v[0]["recv"], serde_json::json!([]), "{v}");
    let o = run(home, &clear, None);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "transfer/channel-0 ferry-a -> ferry-b: received none, acknowledged none, timed out 4",
        "{o:?}"
    );
    mark(t0, "timed out");
    assert_eq!(balance(&a, &user, "stake"), sent + 70);
    let path = ferry_verifier::ibc::packet_commitment_path("transfer", "channel-0", 4);
    assert!(!ibc_present(&a, &path));
    assert_eq!(balance(&b, &receiver, &ibc[0].0), 355);
    let o = run(home, &clear, None);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout
            .contains("received none, acknowledged none, timed out none"),
        "{o:?}"
    );

    // A channel that does not exist: refused before anything is sent.
    let o = run(
        home,
        &[
            "clear",
            "packets",
            "--src",
            "ferry-a",
            "--dst",
            "ferry-b",
            "--channel",
            "channel-9",
        ],
        None,
    );
    assert_eq!(o.code, 66, "{o:?}");
    assert!(o.stderr.contains("no such channel"), "{o:?}");
    // A path whose channel ids are not in the config: a bad option.
    let o = run(home, &["clear", "packets", "--path", "a-b"], None);
    assert_eq!(o.code, 64, "{o:?}");
    assert!(o.stderr.contains("channel ids are not set"), "{o:?}");

    // With the ids in the config, --path clears both directions: a transfer from ferry-b.
    let text = std::fs::read_to_string(home.join("config.toml"))
        .unwrap()
        .replace("# client_id", "client_id")
        .replace("# connection_id", "connection_id")
        .replace("# channel_id", "channel_id");
    std::fs::write(home.join("config.toml"), text).unwrap();
    transfer(&b, &user, "40stake", &[]);
    let v: serde_json::Value = serde_json::from_str(&ok(
        home,
        &["query", "packets", "pending", "--path", "a-b", "--json"],
        None,
    ))
    .unwrap();
    assert_eq!(v[0]["recv"], serde_json::json!([]), "{v}");
    assert_eq!(v[1]["src_chain"], "ferry-b", "{v}");
    assert_eq!(v[1]["recv"], serde_json::json!([1]), "{v}");
    let o = run(home, &["clear", "packets", "--path", "a-b"], None);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "transfer/channel-0 ferry-a -> ferry-b: received none, acknowledged none, timed out none\n\
         transfer/channel-0 ferry-b -> ferry-a: received 1, acknowledged 1, timed out none",
        "{o:?}"
    );
    let back: Vec<(String, u128)> = balances(&a, &user)
        .into_iter()
        .filter(|(d, _)| d.starts_with("ibc/"))
        .collect();
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0].1, 40, "{back:?}");
    let o = run(home, &["clear", "packets", "--path", "a-b"], None);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout
            .matches("received none, acknowledged none, timed out none")
            .count(),
        2,
        "{o:?}"
    );

    // A backlog in batches: five transfers, two messages per transaction.
    for _ in 0..5 {
        transfer(&a, &receiver, "10stake", &[]);
    }
    let mut batched = clear.clone();
    batched.extend_from_slice(&["--batch", "2"]);
    let o = run(home, &batched, None);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "transfer/channel-0 ferry-a -> ferry-b: received 5,6,7,8,9, acknowledged 5,6,7,8,9, \
         timed out none",
        "{o:?}"
    );
    eprint!("{}", o.stderr);
    assert_eq!(
        o.stderr.matches("RecvPacket on ferry-b").count(),
        3,
        "{o:?}"
    );
    assert_eq!(
        o.stderr.matches("Acknowledgement on ferry-a").count(),
        3,
        "{o:?}"
    );
    assert_eq!(balance(&b, &receiver, &ibc[0].0), 405);
    // Gas used by the transactions of receives and acks (for sizing --batch and max_gas).
    for (chain, event) in [
        (&b, "recv_packet.packet_dst_channel"),
        (&a, "acknowledge_packet.packet_src_channel"),
    ] {
        let r = chain
            .rpc()
            .call(
                "tx_search",
                &[
                    ("query", format!("\"{event}='channel-0'\"")),
                    ("per_page", "100".into()),
                ],
            )
            .unwrap();
        let gas: Vec<String> = r["txs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                t["tx_result"]["gas_used"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect();
        mark(
            t0,
            &format!("{event}: gas used per transaction {}", gas.join(", ")),
        );
    }
    mark(t0, "done");
}
