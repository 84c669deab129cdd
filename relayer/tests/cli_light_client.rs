//! `ferry light` (and `ferry create/update client`) end to end: the built binary, in
//! temporary homes, against real chains on loopback (`ferry-testnet`), its output, files and
//! exit codes. Skipped (SKIPPED printed) without the chain binaries, failed with `CI=true`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod common;

use common::{ferry_in, mark, Out};
use ferry_testnet::{require_chains, CometBftNetwork, SimdChain, TempDir, TEST_MNEMONIC};

/// One set of chains at a time: the two cores are shared by every node.
static SERIAL: Mutex<()> = Mutex::new(());

/// Bound for waiting on heights.
const WAIT: Duration = Duration::from_secs(60);

/// A Ferry home with a config naming `chains` as (id, RPC URL).
struct Home {
    dir: TempDir,
}

impl Home {
    fn new(label: &str, chains: &[(&str, &str)]) -> Home {
        let dir = TempDir::new(label).unwrap();
        let home = Home { dir };
        home.write_config(chains);
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn store(&self) -> PathBuf {
        self.path().join(ferry::light::STORE_FILE)
    }

    /// The example config with its two chains renamed and pointed at `chains`' nodes.
    fn write_config(&self, chains: &[(&str, &str)]) {
        let mut text = ferry::config::EXAMPLE.to_string();
        let defaults = [
            ("ferry-a", "http://127.0.0.1:26657"),
            ("ferry-b", "http://127.0.0.1:26757"),
        ];
        for ((id, url), (default_id, default_url)) in chains.iter().zip(defaults) {
            text = text
                .replace(&format!("\"{default_id}\""), &format!("\"{id}\""))
                .replace(default_url, url);
        }
        // Client transactions need more gas than the example's limit.
        std::fs::write(self.path().join("config.toml"), text).unwrap();
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        ferry_in(self.path(), args, stdin)
    }
}

#[test]
fn light_init_sync_status_on_a_real_cometbft_network_and_bad_inputs() {
    if !require_chains() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t0 = Instant::now();
    let net = CometBftNetwork::start(2).unwrap();
    let urls = net.rpc_urls();
    let id = net.chain_id().to_string();
    mark(t0, &format!("2 validators up: {urls:?}"));
    net.wait_for_height(3, WAIT).unwrap();
    let hash1 = net.rpc(1).block_hash(1).unwrap().to_string();
    let hash2 = net.rpc(1).block_hash(2).unwrap().to_string();

    // A port nobody listens on.
    let dead = format!("http://127.0.0.1:{}", ferry_testnet::free_port().unwrap());
    let home = Home::new("cli-light", &[(&id, &urls[0]), ("other", &dead)]);

    // Bad inputs first: each leaves no store behind.
    let o = home.run(&["light", "status", &id], None);
    assert_eq!(o.code, 66, "{o:?}");
    assert!(o.stderr.contains("ferry light init"), "{o:?}");
    let o = home.run(&["light", "sync", &id], None);
    assert_eq!(o.code, 66, "{o:?}");
    let o = home.run(
        &["light", "init", "nope", "--height", "1", "--hash", &hash1],
        None,
    );
    assert_eq!(o.code, 64, "{o:?}");
    assert!(o.stderr.contains("no chain \"nope\""), "{o:?}");
    let o = home.run(
        &["light", "init", &id, "--height", "1", "--hash", "12ab"],
        None,
    );
    assert_eq!(o.code, 64, "{o:?}");
    let o = home.run(
        &["light", "init", &id, "--height", "0", "--hash", &hash1],
        None,
    );
    assert_eq!(o.code, 64, "{o:?}");
    // The hash of height 2 given for height 1.
    let o = home.run(
        &["light", "init", &id, "--height", "1", "--hash", &hash2],
        None,
    );
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("not the trusted"), "{o:?}");
    let o = home.run(
        &["light", "init", "other", "--height", "1", "--hash", &hash1],
        None,
    );
    assert_eq!(o.code, 69, "{o:?}");
    assert!(o.stderr.contains("chain other"), "{o:?}");
    assert!(!home.store().exists(), "a refused init wrote the store");
    mark(t0, "bad inputs refused; nothing written");

    // Init from height 1, then sync to a height and to the latest.
    let o = home.run(
        &["light", "init", &id, "--height", "1", "--hash", &hash1],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.contains("trusted height 1"), "{o:?}");
    assert!(home.store().exists());
    // The same root again: nothing changes.
    let o = home.run(
        &["light", "init", &id, "--height", "1", "--hash", &hash1],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.contains("already trusted"), "{o:?}");

    let o = home.run(&["light", "sync", &id, "--height", "3"], None);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.starts_with(&format!("{id}: 1 -> 3 (")), "{o:?}");
    assert!(o.stderr.contains("trusted height 3"), "{o:?}");
    let hash3 = net.rpc(1).block_hash(3).unwrap().to_string();
    assert!(o.stdout.contains(&hash3), "{o:?}");

    let o = home.run(&["light", "sync", &id], None);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.starts_with(&format!("{id}: 3 -> ")), "{o:?}");
    let synced: u64 = o
        .stdout
        .split(" -> ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(synced > 3, "{o:?}");
    mark(t0, &format!("synced: {}", o.stdout.trim()));

    let o = home.run(&["light", "status", &id, "--json"], None);
    assert_eq!(o.code, 0, "{o:?}");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["height"], synced);
    assert_eq!(v["root_height"], 1);
    assert_eq!(v["expired"], false);
    assert_eq!(
        v["hash"].as_str().unwrap(),
        net.rpc(0).block_hash(synced).unwrap().to_string()
    );
    let o = home.run(&["light", "status", &id], None);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.contains(&format!("height: {synced}")), "{o:?}");

    // Another root: refused without --force (the stored state stays), taken with it.
    let o = home.run(
        &["light", "init", &id, "--height", "2", "--hash", &hash2],
        None,
    );
    assert_eq!(o.code, 73, "{o:?}");
    assert!(o.stderr.contains("--force"), "{o:?}");
    let o = home.run(&["light", "status", &id, "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["height"], synced);
    let o = home.run(
        &[
            "light", "init", &id, "--height", "2", "--hash", &hash2, "--force",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.contains("replaced"), "{o:?}");
    let o = home.run(&["light", "status", &id, "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(
        (v["height"].as_u64(), v["root_height"].as_u64()),
        (Some(2), Some(2))
    );

    // The node gone (the config pointing elsewhere): sync is unreachable, the state stays.
    home.write_config(&[(&id, &dead)]);
    let o = home.run(&["light", "sync", &id], None);
    assert_eq!(o.code, 69, "{o:?}");
    assert!(o.stderr.contains(&format!("chain {id}")), "{o:?}");
    let o = home.run(&["light", "status", &id, "--json"], None);
    assert_eq!(o.code, 0, "{o:?}");
    mark(t0, "unreachable node: exit 69, state kept");

    // A 2-second trusting period: the block at height 1 is too old to trust at init, and
    // a fresh root expires while we wait.
    let short = Home::new("cli-light-expiry", &[(&id, &urls[0])]);
    let text = std::fs::read_to_string(short.path().join("config.toml"))
        .unwrap()
        .replacen("trusting_period = \"14d\"", "trusting_period = \"2s\"", 1);
    std::fs::write(short.path().join("config.toml"), text).unwrap();
    let o = short.run(
        &["light", "init", &id, "--height", "1", "--hash", &hash1],
        None,
    );
    assert_eq!(o.code, 3, "{o:?}");
    assert!(o.stderr.contains("expired"), "{o:?}");
    let latest = net.rpc(0).status().unwrap().latest_block_height;
    let hash = net.rpc(0).block_hash(latest).unwrap().to_string();
    let h = latest.to_string();
    let o = short.run(
        &["light", "init", &id, "--height", &h, "--hash", &hash],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    std::thread::sleep(Duration::from_millis(2500));
    let o = short.run(&["light", "sync", &id], None);
    assert_eq!(o.code, 3, "{o:?}");
    assert!(o.stderr.contains("ferry light init"), "{o:?}");
    let o = short.run(&["light", "status", &id], None);
    assert_eq!(o.code, 3, "{o:?}");
    assert!(o.stdout.contains("(EXPIRED)"), "{o:?}");
    mark(t0, "done");
}

#[test]
fn create_and_update_a_client_of_simd_b_on_simd_a() {
    if !require_chains() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t0 = Instant::now();
    let a = SimdChain::start("ferry-a").unwrap();
    let b = SimdChain::start("ferry-b").unwrap();
    mark(t0, &format!("simd up: {} {}", a.rpc_url(), b.rpc_url()));
    let home = Home::new(
        "cli-client",
        &[("ferry-a", a.rpc_url()), ("ferry-b", b.rpc_url())],
    );

    // No key yet: refused before anything is sent.
    let o = home.run(
        &[
            "create", "client", "--host", "ferry-a", "--target", "ferry-b",
        ],
        None,
    );
    assert_eq!(o.code, 66, "{o:?}");
    assert!(o.stderr.contains("relayer"), "{o:?}");

    // The funded relayer account of simd's test mnemonic (HD index 1).
    let o = home.run(
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
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.contains(&a.account("relayer").unwrap().address),
        "{o:?}"
    );

    // Without a light client of B: refused, nothing sent.
    let o = home.run(
        &[
            "create", "client", "--host", "ferry-a", "--target", "ferry-b",
        ],
        None,
    );
    assert_eq!(o.code, 66, "{o:?}");
    assert!(o.stderr.contains("ferry light init"), "{o:?}");

    b.rpc().wait_for_height(3, WAIT).unwrap();
    let hash2 = b.rpc().block_hash(2).unwrap().to_string();
    let o = home.run(
        &[
            "light", "init", "ferry-b", "--height", "2", "--hash", &hash2,
        ],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");

    let o = home.run(
        &[
            "create", "client", "--host", "ferry-a", "--target", "ferry-b",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout
            .starts_with("created client 07-tendermint-0 on ferry-a: ferry-b at height "),
        "{o:?}"
    );
    let created: u64 = o.stdout.trim().rsplit(' ').next().unwrap().parse().unwrap();
    mark(t0, o.stdout.trim());

    b.rpc().wait_for_height(created + 2, WAIT).unwrap();
    let o = home.run(
        &[
            "update",
            "client",
            "--host",
            "ferry-a",
            "--client",
            "07-tendermint-0",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    let expected = format!("updated client 07-tendermint-0 on ferry-a: ferry-b 0-{created} -> 0-");
    assert!(o.stdout.starts_with(&expected), "{o:?}");
    let updated: u64 = o
        .stdout
        .trim()
        .rsplit("0-")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(updated > created, "{o:?}");
    mark(t0, o.stdout.trim());

    // A's client state now says so.
    let q = a
        .rpc()
        .abci_query(
            "store/ibc/key",
            ferry_verifier::ibc::client_state_path("07-tendermint-0").as_bytes(),
            None,
            false,
        )
        .unwrap();
    let any: ferry_verifier::pb::Any = ferry_verifier::pb::decode(&q.value.unwrap()).unwrap();
    let state: ferry_verifier::pb::ibc::ClientState =
        ferry_verifier::pb::decode_any(&any, ferry_verifier::pb::CLIENT_STATE_TYPE_URL).unwrap();
    assert_eq!(state.latest_height.revision_height, updated);
    assert_eq!(state.chain_id, "ferry-b");

    // To a chosen height.
    b.rpc().wait_for_height(updated + 3, WAIT).unwrap();
    let to = (updated + 2).to_string();
    let o = home.run(
        &[
            "update",
            "client",
            "--host",
            "ferry-a",
            "--client",
            "07-tendermint-0",
            "--target",
            "ferry-b",
            "--height",
            &to,
        ],
        None,
    );
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.trim().ends_with(&format!("0-{updated} -> 0-{to}")),
        "{o:?}"
    );
    let updated = updated + 2;

    // Not above the client's height: refused before anything is sent.
    let h = updated.to_string();
    let o = home.run(
        &[
            "update",
            "client",
            "--host",
            "ferry-a",
            "--client",
            "07-tendermint-0",
            "--height",
            &h,
        ],
        None,
    );
    assert_eq!(o.code, 64, "{o:?}");
    // No such client; a client of another chain than --target.
    let o = home.run(
        &[
            "update",
            "client",
            "--host",
            "ferry-a",
            "--client",
            "07-tendermint-9",
        ],
        None,
    );
    assert_eq!(o.code, 66, "{o:?}");
    assert!(o.stderr.contains("no such client"), "{o:?}");
    let o = home.run(
        &[
            "update",
            "client",
            "--host",
            "ferry-a",
            "--client",
            "07-tendermint-0",
            "--target",
            "ferry-a",
        ],
        None,
    );
    assert_eq!(o.code, 66, "{o:?}");
    assert!(o.stderr.contains("not --target ferry-a"), "{o:?}");
    mark(t0, "done");
}
