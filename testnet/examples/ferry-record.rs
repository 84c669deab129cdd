//! Records RPC answers of real chains into a directory (by default `fixtures/data/real/`) for
//! offline tests that need no Go and start no node.
//!
//! ```text
//! cargo run -p ferry-testnet --example ferry-record [-- OUT_DIR]
//! ```
//!
//! Every file is the body a node sent, byte for byte (a JSON-RPC envelope), named after the
//! request; `manifest.json` in each set lists what was asked and what the tests should expect.
//!
//! - `cometbft-4/`: a 4-validator CometBFT kvstore network: `/commit`, `/block` and
//!   `/validators` (2 per page, so sets of 4 and 5 come in several pages) for heights 1 to the
//!   last, across two validator-set changes (a fifth validator joins, then a power changes).
//! - `simd/`: an ibc-go simd chain: `/commit` and `/validators` at H, H + 1 and H + 2, and
//!   `abci_query` answers with proofs at H (a bank balance that exists, one that does not, and
//!   an IBC store key), whose root is the app hash of the header at H + 1.
//! - `fork/`: a real fork: networks A (4 validators) and B (copies of 3 of them) from one
//!   genesis, given different transactions; `/commit` and `/validators` of both (`a/`, `b/`)
//!   from height 1, where they agree, past the height where B's app hash differs; then Ferry's
//!   light-client-attack evidence for that height, taken by a node of A, and A's `/block`
//!   that records it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ferry::evidence::{evidence_json, light_client_attack_evidence};
use ferry_testnet::http::{self, Url};
use ferry_testnet::{
    balance_key, hex_encode, require_chains, CometBftNetwork, RpcClient, SimdChain, ValidatorKey,
};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(20);
const WAIT: Duration = Duration::from_secs(90);

type Result<T> = std::result::Result<T, String>;

/// One set's recording, into the output directory.
type Recording = fn(&Path) -> Result<()>;

/// Raw answers of one node, written to one directory.
struct Recorder {
    url: Url,
    rpc: RpcClient,
    dir: PathBuf,
}

impl Recorder {
    fn new(rpc: RpcClient, dir: PathBuf) -> Result<Recorder> {
        let url = Url::parse(rpc.url()).map_err(|e| format!("{}: {e}", rpc.url()))?;
        // A set is recorded whole: files of an earlier recording are not kept beside it.
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
        }
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Recorder { url, rpc, dir })
    }

    /// `GET path`, its body saved as `file`; fails on anything but HTTP 200 with a `result`.
    fn save(&self, file: &str, path: &str) -> Result<Value> {
        let r = http::get(&self.url, path, TIMEOUT).map_err(|e| format!("GET {path}: {e}"))?;
        let body: Value = serde_json::from_slice(&r.body)
            .map_err(|e| format!("GET {path}: HTTP {} body is not JSON: {e}", r.status))?;
        let result = body
            .get("result")
            .filter(|_| r.status == 200)
            .ok_or_else(|| format!("GET {path}: HTTP {} without a result: {body}", r.status))?
            .clone();
        let to = self.dir.join(file);
        fs::write(&to, &r.body).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
        Ok(result)
    }

    /// `/commit`, `/block` and every `/validators` page (2 per page) at `h`; the number of
    /// pages.
    fn height(&self, h: u64, with_block: bool) -> Result<u64> {
        self.save(&format!("commit-{h}.json"), &format!("/commit?height={h}"))?;
        if with_block {
            self.save(&format!("block-{h}.json"), &format!("/block?height={h}"))?;
        }
        let mut page = 1;
        loop {
            let r = self.save(
                &format!("validators-{h}-{page}.json"),
                &format!("/validators?height={h}&page={page}&per_page=2"),
            )?;
            let num = |k: &str| -> Result<u64> {
                r[k].as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("/validators at {h}: no {k}"))
            };
            let (count, total) = (num("count")?, num("total")?);
            if (page - 1) * 2 + count >= total || count == 0 {
                return Ok(page);
            }
            page += 1;
        }
    }

    fn manifest(&self, manifest: &Value) -> Result<()> {
        let to = self.dir.join("manifest.json");
        let text = serde_json::to_string_pretty(manifest).map_err(|e| e.to_string())?;
        fs::write(&to, text + "\n").map_err(|e| format!("cannot write {}: {e}", to.display()))
    }
}

fn cometbft(out: &Path) -> Result<()> {
    let net = CometBftNetwork::start(4).map_err(|e| e.to_string())?;
    let rec = Recorder::new(net.rpc(0), out.join("cometbft-4"))?;
    let keys = net.validator_keys();
    let e = ValidatorKey::from_label("ferry-record: validator E (runs no node)").public_key();
    net.wait_for_height(3, WAIT).map_err(|e| e.to_string())?;
    let join = net
        .set_validator_power(&e, 1)
        .map_err(|e| e.to_string())?
        .height;
    let change = net
        .set_validator_power(&keys[1], 20)
        .map_err(|e| e.to_string())?
        .height;
    let last = change + 4;
    rec.rpc
        .wait_for_height(last + 1, WAIT)
        .map_err(|e| e.to_string())?;
    let mut pages = Vec::new();
    for h in 1..=last + 1 {
        pages.push(rec.height(h, h <= last)?);
    }
    rec.manifest(&json!({
        "what": "a 4-validator CometBFT kvstore network on loopback",
        "chain_id": net.chain_id(),
        "recorded_with": "cargo run -p ferry-testnet --example ferry-record",
        "cometbft": "v0.38.26",
        "heights": [1, last],
        "validators_per_page": 2,
        "pages_per_height": pages,
        "joined": { "key": hex_encode(&e.0), "power": 1, "tx_height": join },
        "power_changed": { "key": hex_encode(&keys[1].0), "power": 20, "tx_height": change },
        "note": "a change committed at height H is in the validator set from H + 2",
    }))?;
    eprintln!(
        "recorded cometbft-4: heights 1..={last} (+ commit and validators at {})",
        last + 1
    );
    Ok(())
}

fn simd(out: &Path) -> Result<()> {
    let chain = SimdChain::start("ferry-rec").map_err(|e| e.to_string())?;
    let rec = Recorder::new(chain.rpc(), out.join("simd"))?;
    let h = rec
        .rpc
        .wait_for_height(4, WAIT)
        .map_err(|e| e.to_string())?;
    rec.rpc
        .wait_for_height(h + 3, WAIT)
        .map_err(|e| e.to_string())?;
    // H and H + 1, and the validators of H + 2 (the next set of H + 1) with their commit.
    for height in [h, h + 1, h + 2] {
        rec.height(height, false)?;
    }
    let user = chain
        .account("user")
        .or_else(|| chain.accounts().first())
        .ok_or("the simd chain has no accounts")?;
    let queries = [
        (
            "bank-present",
            "bank",
            balance_key(&user.address_bytes, "stake"),
        ),
        (
            "bank-absent",
            "bank",
            balance_key(&user.address_bytes, "ferrycoin"),
        ),
        (
            "ibc-next-client-sequence",
            "ibc",
            b"nextClientSequence".to_vec(),
        ),
    ];
    let mut listed = Vec::new();
    for (name, store, key) in &queries {
        let file = format!("abci-{name}.json");
        rec.save(
            &file,
            &format!(
                "/abci_query?path=%22store/{store}/key%22&data=0x{}&height={h}&prove=true",
                hex_encode(key)
            ),
        )?;
        listed.push(json!({ "file": file, "store": store, "key": hex_encode(key) }));
    }
    rec.manifest(&json!({
        "what": "an ibc-go simd chain (one validator) on loopback",
        "chain_id": chain.chain_id(),
        "recorded_with": "cargo run -p ferry-testnet --example ferry-record",
        "simd": "ibc-go v10.7.0 (Cosmos SDK v0.53.4)",
        "query_height": h,
        "root_height": h + 1,
        "account": { "name": user.name, "address": user.address, "balance_stake": user.balance.to_string() },
        "queries": listed,
    }))?;
    eprintln!("recorded simd: proofs at {h}, headers {h} and {}", h + 1);
    Ok(())
}

/// Capacity of these small networks' light blocks.
const N: usize = 16;

fn fork(out: &Path) -> Result<()> {
    let err = |e: ferry_testnet::Error| e.to_string();
    let (a, b) = {
        let mut tries = 0;
        loop {
            let (a, b) = CometBftNetwork::builder()
                .validators(4)
                .start_fork(3)
                .map_err(err)?;
            if a.rpc(0).block_hash(1).map_err(err)? == b.rpc(0).block_hash(1).map_err(err)? {
                break (a, b);
            }
            tries += 1;
            if tries == 2 {
                return Err("A and B did not commit the same block 1 (twice)".into());
            }
        }
    };
    let (ra, rb) = (a.rpc(0), b.rpc(0));
    let on_a = ra.broadcast_tx_commit(b"fork=a").map_err(err)?.height;
    rb.broadcast_tx_commit(b"fork=b1").map_err(err)?;
    let on_b2 = rb.broadcast_tx_commit(b"fork=b2").map_err(err)?.height;
    let lunatic_h = on_a.max(on_b2) + 1;
    a.wait_for_height(lunatic_h + 2, WAIT).map_err(err)?;
    b.wait_for_height(lunatic_h + 2, WAIT).map_err(err)?;
    let common_h = (1..=lunatic_h)
        .take_while(|&h| ra.block_hash(h).ok() == rb.block_hash(h).ok())
        .last()
        .ok_or("A and B share no block")?;
    let conflicting = rb.light_block::<N>(lunatic_h).map_err(err)?;
    let common = ra.light_block::<N>(common_h).map_err(err)?;
    let trusted = ra.light_block::<N>(lunatic_h).map_err(err)?;
    let ev = light_client_attack_evidence(&conflicting, &common, &trusted)
        .map_err(|e| format!("building the evidence: {e}"))?;
    let ev = evidence_json(&ferry_verifier::evidence::Evidence::LightClientAttack(ev));
    let hash = ra
        .call_post("broadcast_evidence", json!({ "evidence": ev }))
        .map_err(|e| format!("A refused Ferry's evidence: {e}"))?;
    // The block of A that records it.
    let since = ra.status().map_err(err)?.latest_block_height;
    let mut at = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut h = since;
    while at.is_none() && std::time::Instant::now() < deadline {
        if ra.status().map_err(err)?.latest_block_height < h {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let block = ra
            .call("block", &[("height", h.to_string())])
            .map_err(err)?;
        if block
            .pointer("/block/evidence/evidence")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty())
        {
            at = Some(h);
        }
        h += 1;
    }
    let at = at.ok_or("no block of A recorded the evidence within 30 s")?;
    a.wait_for_height(at + 2, WAIT).map_err(err)?;
    let rec_a = Recorder::new(ra, out.join("fork/a"))?;
    let rec_b = Recorder::new(rb, out.join("fork/b"))?;
    for h in 1..=lunatic_h + 1 {
        rec_a.height(h, false)?;
        rec_b.height(h, false)?;
    }
    // A's view at the evidence's block: its commit and validators, and the block itself.
    rec_a.height(at, true)?;
    rec_a.height(at + 1, false)?;
    let file = |e: &Value| serde_json::to_string_pretty(e).map_err(|e| e.to_string());
    fs::write(out.join("fork/evidence-sent.json"), file(&ev)? + "\n")
        .map_err(|e| format!("cannot write fork/evidence-sent.json: {e}"))?;
    Recorder {
        url: Url::parse(a.rpc(0).url()).map_err(|e| e.to_string())?,
        rpc: a.rpc(0),
        dir: out.join("fork"),
    }
    .manifest(&json!({
        "what": "a real fork: A runs 4 validators, B copies of the 3 lowest-address ones (30 of 40), one genesis, never peered",
        "chain_id": a.chain_id(),
        "recorded_with": "cargo run -p ferry-testnet --example ferry-record",
        "cometbft": "v0.38.26",
        "common_height": common_h,
        "lunatic_height": lunatic_h,
        "recorded_heights": [1, lunatic_h + 1],
        "txs": { "a": ["fork=a", on_a], "b": ["fork=b1", "fork=b2", on_b2] },
        "evidence_sent": "evidence-sent.json (Ferry's, as given to broadcast_evidence)",
        "evidence_hash": hash["hash"],
        "evidence_block": at,
        "evidence_block_file": format!("a/block-{at}.json"),
    }))?;
    eprintln!("recorded fork: common {common_h}, lunatic {lunatic_h}, evidence in A's block {at}");
    Ok(())
}

fn main() -> ExitCode {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/data/real"));
    if !require_chains() {
        eprintln!("ferry-record: the chain binaries are missing; nothing recorded");
        return ExitCode::FAILURE;
    }
    let sets: [(&str, Recording); 3] = [("cometbft", cometbft), ("simd", simd), ("fork", fork)];
    for (name, run) in sets {
        if let Err(e) = run(&out) {
            eprintln!("ferry-record: {name}: {e}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("ferry-record: written to {}", out.display());
    ExitCode::SUCCESS
}
