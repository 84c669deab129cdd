//! `ferry create connection` and `ferry create channel` end to end: the built binary against
//! two real ibc-go simd chains on loopback (`ferry-testnet`): clients both ways, a connection,
//! an ICS-20 channel, then both chains' connection and channel ends read back. Skipped
//! (SKIPPED printed) without the chain binaries, failed with `CI=true`.

use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::{ferry_in, mark, Out};
use ferry::handshake::{channel_state, connection_state, Channel, ConnectionEnd};
use ferry_testnet::{require_chains, SimdChain, TempDir, TEST_MNEMONIC};
use prost::Message as _;

const WAIT: Duration = Duration::from_secs(60);

/// Runs the ferry binary with `--home home`.
fn run(home: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    ferry_in(home, args, stdin)
}

fn ok(home: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let o = run(home, args, stdin);
    assert_eq!(o.code, 0, "{args:?}: {o:?}");
    o.stdout.trim().to_string()
}

fn ibc_value(chain: &SimdChain, path: &str) -> Vec<u8> {
    chain
        .rpc()
        .abci_query("store/ibc/key", path.as_bytes(), None, false)
        .unwrap()
        .value
        .unwrap_or_else(|| panic!("{path} absent"))
}

#[test]
fn connection_and_ics20_channel_between_two_simd_chains() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let a = SimdChain::start("ferry-a").unwrap();
    let b = SimdChain::start("ferry-b").unwrap();
    mark(t0, &format!("simd up: {} {}", a.rpc_url(), b.rpc_url()));
    let dir = TempDir::new("cli-handshake").unwrap();
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
    let on_a = ok(
        home,
        &[
            "create", "client", "--host", "ferry-a", "--target", "ferry-b",
        ],
        None,
    );
    let on_b = ok(
        home,
        &[
            "create", "client", "--host", "ferry-b", "--target", "ferry-a",
        ],
        None,
    );
    assert!(on_a.starts_with("created client 07-tendermint-0 on ferry-a"));
    assert!(on_b.starts_with("created client 07-tendermint-0 on ferry-b"));
    mark(t0, "clients created");

    // A channel over a connection that does not exist: refused before anything is sent.
    let o = run(
        home,
        &[
            "create",
            "channel",
            "--a",
            "ferry-a",
            "--b",
            "ferry-b",
            "--a-connection",
            "connection-7",
            "--b-connection",
            "connection-7",
        ],
        None,
    );
    assert_eq!(o.code, 66, "{o:?}");
    assert!(o.stderr.contains("no such connection"), "{o:?}");

    let o = run(
        home,
        &[
            "create",
            "connection",
            "--a",
            "ferry-a",
            "--b",
            "ferry-b",
            "--a-client",
            "07-tendermint-0",
            "--b-client",
            "07-tendermint-0",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "created connection connection-0 on ferry-a and connection-0 on ferry-b",
        "{o:?}"
    );
    assert!(
        o.stderr.contains("ConnectionOpenConfirm on ferry-b"),
        "{o:?}"
    );
    mark(t0, o.stdout.trim());

    let o = run(
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
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout.trim(),
        "created channel transfer/channel-0 on ferry-a and transfer/channel-0 on ferry-b",
        "{o:?}"
    );
    mark(t0, o.stdout.trim());

    // Both ends, as the chains store them.
    for (chain, client, counterparty_client) in [
        (&a, "07-tendermint-0", "07-tendermint-0"),
        (&b, "07-tendermint-0", "07-tendermint-0"),
    ] {
        let bytes = ibc_value(chain, &ferry_verifier::ibc::connection_path("connection-0"));
        let end = ConnectionEnd::decode(bytes.as_slice()).unwrap();
        assert_eq!(end.state, connection_state::OPEN, "{end:?}");
        assert_eq!(end.client_id, client);
        assert_eq!(end.counterparty.client_id, counterparty_client);
        assert_eq!(end.counterparty.connection_id, "connection-0");
        assert_eq!(end.counterparty.prefix.key_prefix, b"ibc");
        let bytes = ibc_value(
            chain,
            &ferry_verifier::ibc::channel_end_path("transfer", "channel-0"),
        );
        let ch = Channel::decode(bytes.as_slice()).unwrap();
        assert_eq!(ch.state, channel_state::OPEN, "{ch:?}");
        assert_eq!(ch.ordering, ferry::handshake::ORDER_UNORDERED);
        assert_eq!(ch.counterparty.port_id, "transfer");
        assert_eq!(ch.counterparty.channel_id, "channel-0");
        assert_eq!(ch.connection_hops, vec!["connection-0".to_string()]);
        assert_eq!(ch.version, "ics20-1");
    }
    // What simd refuses is reported with its reason and exit code 1: ICS-20 is unordered
    // only, and a connection over a client that does not exist.
    let o = run(
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
            "--ordered",
        ],
        None,
    );
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("ORDERED"), "{o:?}");
    mark(t0, &format!("--ordered: {}", o.stderr.trim()));
    let o = run(
        home,
        &[
            "create",
            "connection",
            "--a",
            "ferry-a",
            "--b",
            "ferry-b",
            "--a-client",
            "07-tendermint-9",
            "--b-client",
            "07-tendermint-0",
        ],
        None,
    );
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("07-tendermint-9"), "{o:?}");
    mark(t0, &format!("unknown client: {}", o.stderr.trim()));
    mark(t0, "done");
    assert!(t0.elapsed() < Duration::from_secs(90), "{:?}", t0.elapsed());
}
