//! A chain kept in a home directory: it reopens at its last committed block and goes on
//! exactly as a chain that never stopped; a block whose write was cut short (a simulated
//! crash) is lost whole and nothing else; proofs at old heights still verify.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_devnet::db::CrashPoint;
use ferry_devnet::{Application, Chain, ChainConfig, Error, KvApp, MultiStore, TxResult};
use ferry_devnet::{ValidatorKey, Vote};
use ferry_verifier::proof::{cosmos_sdk_specs, MerkleProof};
use ferry_verifier::Time;

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempHome(PathBuf);

impl TempHome {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ferry-devnet-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        TempHome(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// KvApp with a genesis state.
struct GenesisKv;

impl Application for GenesisKv {
    fn init_chain(&mut self, store: &mut MultiStore) -> Result<(), Error> {
        store.set("bank", b"alice", b"100")?;
        store.set("bank", b"bob", b"50")
    }

    fn deliver_tx(&mut self, height: u64, tx: &[u8], store: &mut MultiStore) -> TxResult {
        KvApp.deliver_tx(height, tx, store)
    }
}

fn config() -> ChainConfig {
    let mut config = ChainConfig::new("persist-1", &[10, 10, 10, 10]);
    config.stores = vec!["bank".into(), "ibc".into(), "empty".into()];
    config
}

fn newcomer() -> ValidatorKey {
    ValidatorKey::deterministic("persist-1/newcomer")
}

fn time_of(chain: &Chain, h: u64) -> Time {
    chain
        .genesis_time()
        .checked_add(Duration::from_secs(h))
        .unwrap()
}

/// Block `h`'s transactions.
fn txs(h: u64) -> Vec<Vec<u8>> {
    let mut txs = vec![
        format!("bank/acct-{h}={h}").into_bytes(),
        format!("ibc/seq/{}={h}", h % 4).into_bytes(),
    ];
    if h == 3 {
        txs.push(b"bank/alice=".to_vec());
    }
    if h == 7 {
        txs.push(b"bank/alice=7".to_vec());
    }
    txs
}

/// Produces blocks `from..=to` as every test does: the newcomer (more power than all the
/// others together) joins at 2, a validator votes nil from 5.
fn produce(chain: &mut Chain, from: u64, to: u64) -> Result<(), Error> {
    for h in from..=to {
        if h == 2 {
            chain.set_validator_power(&newcomer(), 100)?;
        }
        if h == 5 {
            let key = ValidatorKey::deterministic("persist-1/1");
            chain.set_vote(key.address(), Vote::Nil);
        }
        chain.produce_block(txs(h), time_of(chain, h))?;
    }
    Ok(())
}

fn reference(to: u64) -> Chain {
    let mut chain = Chain::with_app(config(), Box::new(GenesisKv)).unwrap();
    produce(&mut chain, 1, to).unwrap();
    chain
}

fn open(home: &TempHome) -> Result<Chain, Error> {
    Chain::open(home.path(), config(), Box::new(GenesisKv))
}

/// Every block of `chain` is the reference chain's, byte for byte.
fn same_blocks(chain: &Chain, reference: &Chain) {
    assert_eq!(chain.height(), reference.height());
    for h in 1..=chain.height() {
        let (a, b) = (chain.block(h).unwrap(), reference.block(h).unwrap());
        assert_eq!(a.block_id, b.block_id, "block {h}");
        assert_eq!(a.block, b.block, "block {h}");
        assert_eq!(a.commit, b.commit, "commit {h}");
        assert_eq!(a.results, b.results, "results {h}");
        assert_eq!(a.validators, b.validators, "validators {h}");
        assert_eq!(a.next_validators, b.next_validators, "next validators {h}");
        assert_eq!(a.validator_updates, b.validator_updates);
        assert_eq!(a.app_hash_after, b.app_hash_after);
    }
    assert_eq!(chain.app_hash(), reference.app_hash());
    assert_eq!(chain.validators(), reference.validators());
    assert_eq!(chain.next_validators(), reference.next_validators());
}

/// Every proof at every height `0..latest` verifies against the next header's app hash with
/// the Cosmos SDK specs.
fn proofs_verify(chain: &Chain) {
    let mut checked = 0;
    for h in 0..chain.height() {
        let root = chain
            .block(h + 1)
            .unwrap()
            .header
            .app_hash
            .as_bytes()
            .to_vec();
        for (store, key) in [
            ("bank", "alice".to_string()),
            ("bank", "bob".to_string()),
            ("bank", format!("acct-{h}")),
            ("bank", format!("acct-{}", h + 1)),
            ("ibc", format!("seq/{}", h % 4)),
        ] {
            if store == "ibc" && h == 0 {
                // Empty at genesis: ICS-23 cannot prove absence from an empty tree.
                continue;
            }
            let q = chain.store().query(store, key.as_bytes(), h).unwrap();
            let proof = MerkleProof::from_proof_ops(&q.ops).unwrap();
            let path: [&[u8]; 2] = [store.as_bytes(), key.as_bytes()];
            match &q.value {
                Some(v) => proof.verify_membership(&cosmos_sdk_specs(), &root, &path, v),
                None => proof.verify_non_membership(&cosmos_sdk_specs(), &root, &path),
            }
            .unwrap_or_else(|e| panic!("{store}/{key} at {h}: {e}"));
            checked += 1;
        }
    }
    assert_eq!(checked, chain.height() as usize * 5 - 1);
}

#[test]
fn a_reopened_chain_resumes_where_it_stopped() {
    let home = TempHome::new("resume");
    {
        let mut chain = open(&home).unwrap();
        assert_eq!(chain.height(), 0);
        produce(&mut chain, 1, 6).unwrap();
    }
    // Reopened: the same six blocks, the same state, and it goes on as if it never stopped
    // (the newcomer's key, which signs most of the power from block 4, was kept).
    let mut chain = open(&home).unwrap();
    assert_eq!(chain.height(), 6);
    same_blocks(&chain, &reference(6));
    assert_eq!(
        chain.store().get("bank", b"alice", 2).unwrap(),
        Some(b"100".to_vec())
    );
    assert_eq!(chain.store().get("bank", b"alice", 6).unwrap(), None);
    // Votes are configuration of the next block, not state: set again after a restart.
    chain.set_vote(
        ValidatorKey::deterministic("persist-1/1").address(),
        Vote::Nil,
    );
    produce(&mut chain, 7, 10).unwrap();
    same_blocks(&chain, &reference(10));
    proofs_verify(&chain);
    drop(chain);
    // And once more, with nothing produced in between.
    let chain = open(&home).unwrap();
    same_blocks(&chain, &reference(10));
    proofs_verify(&chain);
}

#[test]
fn a_chain_with_no_block_yet_reopens_at_genesis() {
    let home = TempHome::new("genesis");
    let app_hash = open(&home).unwrap().app_hash();
    let mut chain = open(&home).unwrap();
    assert_eq!(chain.height(), 0);
    assert_eq!(chain.app_hash(), app_hash);
    assert_eq!(
        chain.store().get("bank", b"bob", 0).unwrap(),
        Some(b"50".to_vec())
    );
    produce(&mut chain, 1, 3).unwrap();
    same_blocks(&chain, &reference(3));
}

#[test]
fn a_block_cut_short_is_lost_whole_and_nothing_else() {
    for point in [CrashPoint::AfterNodes, CrashPoint::BeforeCommit] {
        let home = TempHome::new("crash");
        {
            let mut chain = open(&home).unwrap();
            produce(&mut chain, 1, 4).unwrap();
            chain.db_mut().unwrap().set_crash_point(Some(point));
            let err = produce(&mut chain, 5, 5).unwrap_err();
            assert!(matches!(err, Error::Storage { .. }), "{err}");
            // The process "died" here: the in-memory chain is still at block 4 too.
            assert_eq!(chain.height(), 4);
            assert_eq!(chain.store().latest_version(), Some(4));
        }
        let mut chain = open(&home).unwrap();
        assert_eq!(chain.height(), 4, "{point:?}");
        same_blocks(&chain, &reference(4));
        // Block 5 again, now whole: the block the chain would have made.
        chain.set_vote(
            ValidatorKey::deterministic("persist-1/1").address(),
            Vote::Nil,
        );
        chain.produce_block(txs(5), time_of(&chain, 5)).unwrap();
        produce(&mut chain, 6, 7).unwrap();
        same_blocks(&chain, &reference(7));
        proofs_verify(&chain);
    }
}

#[test]
fn a_failed_write_leaves_the_running_chain_able_to_go_on() {
    let home = TempHome::new("retry");
    let mut chain = open(&home).unwrap();
    produce(&mut chain, 1, 3).unwrap();
    chain
        .db_mut()
        .unwrap()
        .set_crash_point(Some(CrashPoint::BeforeCommit));
    assert!(produce(&mut chain, 4, 4).is_err());
    chain.db_mut().unwrap().set_crash_point(None);
    produce(&mut chain, 4, 6).unwrap();
    same_blocks(&chain, &reference(6));
    drop(chain);
    same_blocks(&open(&home).unwrap(), &reference(6));
}

#[test]
fn homes_are_not_shared_or_mixed_up() {
    let home = TempHome::new("refusals");
    let mut chain = open(&home).unwrap();
    produce(&mut chain, 1, 1).unwrap();
    // A second chain on the same home while the first holds it.
    let second = open(&home).unwrap_err();
    assert!(matches!(second, Error::Storage { .. }), "{second}");
    assert!(second.to_string().contains("devnet.redb"), "{second}");
    drop(chain);
    // Another chain's configuration.
    let mut other = config();
    other.chain_id = "persist-2".into();
    let err = Chain::open(home.path(), other, Box::new(KvApp)).unwrap_err();
    assert!(
        matches!(&err, Error::HomeMismatch { what } if what.contains("persist-2")),
        "{err}"
    );
    let mut other = config();
    other.stores.push("extra".into());
    assert!(matches!(
        Chain::open(home.path(), other, Box::new(KvApp)),
        Err(Error::HomeMismatch { .. })
    ));
    let mut other = config();
    other.validators[0].1 = 11;
    assert!(matches!(
        Chain::open(home.path(), other, Box::new(KvApp)),
        Err(Error::HomeMismatch { .. })
    ));
    // The home is untouched by the refusals.
    assert_eq!(open(&home).unwrap().height(), 1);
    // A home that is a file cannot hold a chain.
    let file = TempHome::new("file");
    std::fs::write(file.path(), b"not a directory").unwrap();
    assert!(matches!(open(&file), Err(Error::Storage { .. })));
}

#[test]
fn a_damaged_database_is_reported_not_served() {
    let home = TempHome::new("damaged");
    {
        let mut chain = open(&home).unwrap();
        produce(&mut chain, 1, 2).unwrap();
    }
    let path = home.path().join(ferry_devnet::db::DB_FILE);
    std::fs::write(&path, b"garbage, not a redb file").unwrap();
    let err = open(&home).unwrap_err();
    assert!(
        matches!(err, Error::Storage { .. } | Error::Corrupt { .. }),
        "{err}"
    );
}

/// The environment variable that makes [`child_producing_blocks_until_killed`] run, naming its
/// home.
const CHILD_HOME: &str = "FERRY_DEVNET_TEST_CHILD_HOME";

/// Run by [`killed_with_sigkill_it_reopens_at_a_whole_block`] in a child process: produces
/// blocks until killed, printing each height once its block is committed.
#[test]
#[ignore = "a child process of killed_with_sigkill_it_reopens_at_a_whole_block"]
fn child_producing_blocks_until_killed() {
    use std::io::Write;
    let Some(home) = std::env::var_os(CHILD_HOME) else {
        return;
    };
    let mut chain = Chain::open(Path::new(&home), config(), Box::new(GenesisKv)).unwrap();
    let mut out = std::io::stdout();
    for h in 1..=100_000 {
        produce(&mut chain, h, h).unwrap();
        writeln!(out, "committed {h}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn killed_with_sigkill_it_reopens_at_a_whole_block() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let home = TempHome::new("sigkill");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_producing_blocks_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_HOME, home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = 0u64;
    while committed < 25 {
        let Some(line) = lines.next() else {
            panic!("the child stopped at {committed}");
        };
        if let Some(h) = line.unwrap().strip_prefix("committed ") {
            committed = h.parse().unwrap();
        }
    }
    // SIGKILL while it is producing the next blocks.
    child.kill().unwrap();
    child.wait().unwrap();
    let chain = open(&home).unwrap();
    let height = chain.height();
    assert!(height >= committed, "{height} < {committed}");
    same_blocks(&chain, &reference(height));
    proofs_verify(&chain);
}
