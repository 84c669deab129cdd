//! Writes the seed corpora of Ferry's fuzz targets, `OUT/<target>/<name>`, in the input
//! formats `ferry_fuzz` documents, from the shared vectors and fixtures, the repository's
//! example blocks, and evidence generated here with `ferry-fixtures`.
//!
//! ```text
//! seed --out DIR --repo ROOT [--vectors DIR] [--fixtures DIR]
//! ```
//!
//! Without `--vectors` / `--fixtures` those sets are left out (scripts/fuzz.sh decides whether
//! that is allowed). Seeds are rewritten on every run; other files in `OUT` (what libFuzzer
//! added) are kept.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferry_fixtures::{
    b64, evidence_json, light_block_json, members, sign_vote, unsigned_vote, Chain,
};
use ferry_fuzz::{CliFile, ProofCase, SEP};
use ferry_verifier::client::{
    ClientHeader, ClientHeight, ClientState, ConsensusState, Misbehaviour,
};
use ferry_verifier::evidence::{
    ConflictingBlock, DuplicateVoteEvidence, Evidence, LightClientAttackEvidence,
};
use ferry_verifier::pb::{self, Message};
use ferry_verifier::proof::{self, CommitmentProof, ExistenceProof, MerkleProof, ProofSpec};
use ferry_verifier::{ChainId, LightBlock, TrustThreshold, Verdict};
use serde_json::{json, Value};

type Result<T, E = String> = std::result::Result<T, E>;

/// One target's corpus directory.
struct Corpus {
    dir: PathBuf,
    count: usize,
}

impl Corpus {
    fn new(out: &Path, target: &str) -> Result<Self> {
        let dir = out.join(target);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Corpus { dir, count: 0 })
    }

    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(format!("seed-{name}"));
        fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        self.count += 1;
        Ok(())
    }
}

/// A seed that must reach its target's deepest path (a verdict of success, a valid proof or
/// evidence): otherwise the seeds, or the input formats, are wrong and fuzzing from them
/// would stay shallow.
fn must(ok: bool, seed: &str, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(format!("seed {seed}: expected {what}"))
    }
}

fn success(seed: &str, input: &[u8]) -> Result<()> {
    let verdict = ferry_fuzz::light_block_verdict(input);
    must(
        verdict == Some(Verdict::Success),
        seed,
        &format!("success, got {verdict:?}"),
    )
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Value> {
    serde_json::from_slice(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The `.json` files of a directory, sorted.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("hex {s:?}: {e}")))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_field(v: &Value, field: &str) -> Result<Vec<u8>> {
    unhex(v[field].as_str().ok_or(format!("no hex field {field}"))?)
}

/// `a \0 b [\0 c]`.
fn joined(items: &[&[u8]]) -> Vec<u8> {
    items.join(&SEP)
}

fn light_block(bytes: &[u8], what: &str) -> Result<Box<LightBlock>> {
    serde_json::from_slice(bytes).map_err(|e| format!("{what}: {e}"))
}

struct Args {
    out: PathBuf,
    repo: PathBuf,
    vectors: Option<PathBuf>,
    fixtures: Option<PathBuf>,
}

fn args() -> Result<Args> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    let usage = "usage: seed --out DIR --repo ROOT [--vectors DIR] [--fixtures DIR]";
    Ok(Args {
        out: get("--out").ok_or(usage)?,
        repo: get("--repo").ok_or(usage)?,
        vectors: get("--vectors"),
        fixtures: get("--fixtures"),
    })
}

fn main() -> ExitCode {
    // Light blocks of up to 512 validators live on the stack while they decode.
    let run = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| args().and_then(|a| seed(&a)))
        .map(|h| h.join());
    match run {
        Ok(Ok(Ok(()))) => ExitCode::SUCCESS,
        Ok(Ok(Err(e))) => {
            eprintln!("seed: {e}");
            ExitCode::FAILURE
        }
        _ => {
            eprintln!("seed: the worker thread failed");
            ExitCode::FAILURE
        }
    }
}

/// The light blocks each seed set is made of.
struct Blocks {
    /// (name, raw JSON file bytes, decoded).
    files: Vec<(String, Vec<u8>, Box<LightBlock>)>,
}

fn seed(a: &Args) -> Result<()> {
    let mut blocks = Blocks { files: vec![] };
    let example = a.repo.join("fixtures/data/nostd-4");
    for h in [1, 2, 5] {
        let raw = read(&example.join(format!("light_block_{h}.json")))?;
        let lb = light_block(&raw, "example")?;
        blocks.files.push((format!("example-h{h}"), raw, lb));
    }
    if let Some(dir) = &a.fixtures {
        for n in [4, 32, 150, 300] {
            for h in [1, 2, 100] {
                let raw = read(&dir.join(format!("{n}/light_block_{h}.json")))?;
                let lb = light_block(&raw, &format!("fixtures {n} h{h}"))?;
                blocks.files.push((format!("fixtures{n}-h{h}"), raw, lb));
            }
        }
    }
    let ev = EvidenceSeeds::generate(&blocks)?;

    let mut c = Corpus::new(&a.out, "light_block_verify")?;
    light_block_seeds(&mut c, &blocks, a.vectors.as_deref())?;
    let mut counts = vec![("light_block_verify", c.count)];

    let mut c = Corpus::new(&a.out, "protobuf")?;
    protobuf_seeds(&mut c, &blocks, &ev)?;
    counts.push(("protobuf", c.count));

    let mut c = Corpus::new(&a.out, "ics23_proof")?;
    let proofs = match &a.vectors {
        Some(v) => ProofVectors::read(v)?,
        None => ProofVectors::default(),
    };
    ics23_seeds(&mut c, &proofs)?;
    counts.push(("ics23_proof", c.count));

    let mut c = Corpus::new(&a.out, "evidence")?;
    for (name, view, e) in &ev.cases {
        let input = match view {
            Some(view) => joined(&[view.as_bytes(), e.as_bytes()]),
            None => e.as_bytes().to_vec(),
        };
        let j = ferry_fuzz::evidence_judgement(&input);
        must(
            j.as_ref().is_some_and(|j| j.exit_code == 0),
            name,
            &format!("valid evidence, got {j:?}"),
        )?;
        c.add(name, &input)?;
    }
    counts.push(("evidence", c.count));

    let mut c = Corpus::new(&a.out, "cli_files")?;
    cli_seeds(&mut c, &blocks, &ev, &proofs, a.vectors.as_deref())?;
    counts.push(("cli_files", c.count));

    for (target, n) in counts {
        println!("seed: {n:4} seeds in {}", a.out.join(target).display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

fn light_block_seeds(c: &mut Corpus, b: &Blocks, vectors: Option<&Path>) -> Result<()> {
    let raw = |name: &str| -> Result<&[u8]> {
        b.files
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, r, _)| r.as_slice())
            .ok_or(format!("no block {name}"))
    };
    // Against the default trusted block (the example at height 1).
    for (name, r, _) in &b.files {
        c.add(&format!("{name}.json"), r)?;
    }
    for (name, input) in [
        ("example-h5", raw("example-h5")?.to_vec()),
        (
            "example-h1-h2",
            joined(&[raw("example-h1")?, raw("example-h2")?]),
        ),
        (
            "example-h2-h5",
            joined(&[raw("example-h2")?, raw("example-h5")?]),
        ),
        (
            "example-h1-h5-all-signatures",
            joined(&[raw("example-h1")?, raw("example-h5")?, &[1]]),
        ),
    ] {
        success(name, &input)?;
        c.add(name, &input)?;
    }
    for n in [4, 32, 150, 300] {
        let (Ok(h1), Ok(h2), Ok(h100)) = (
            raw(&format!("fixtures{n}-h1")),
            raw(&format!("fixtures{n}-h2")),
            raw(&format!("fixtures{n}-h100")),
        ) else {
            continue;
        };
        // Adjacent, skipping, every signature, the parallel path: all succeed.
        let mut good = vec![
            (format!("fixtures{n}-h1-h2"), joined(&[h1, h2])),
            (format!("fixtures{n}-h1-h100"), joined(&[h1, h100])),
            (format!("fixtures{n}-h1-h2-all"), joined(&[h1, h2, &[1]])),
        ];
        if n >= 150 {
            good.push((
                format!("fixtures{n}-h1-h100-parallel"),
                joined(&[h1, h100, &[4]]),
            ));
        }
        for (name, input) in good {
            if n <= 32 {
                // Unoptimized signature checks are slow: the small sets stand for the rest.
                success(&name, &input)?;
            }
            c.add(&name, &input)?;
        }
        // 2/3 trust in the rotated set.
        c.add(
            &format!("fixtures{n}-h1-h100-two-thirds"),
            &joined(&[h1, h100, &[8]]),
        )?;
    }
    let Some(vectors) = vectors else {
        return Ok(());
    };
    // tendermint-rs model-based steps: the initial state as a light block, then each step.
    let dir = vectors.join("tendermint-rs/light-client/model_based/single_step");
    for f in json_files(&dir)? {
        let v = read_json(&f)?;
        let init = &v["initial"];
        let trusted = json!({
            "signed_header": init["signed_header"],
            "validator_set": init["next_validator_set"],
            "next_validator_set": init["next_validator_set"],
        });
        let trusted = trusted.to_string();
        for (i, step) in v["input"].as_array().into_iter().flatten().enumerate() {
            let block = step["block"].to_string();
            c.add(
                &format!("model-{}-{i}", stem(&f)),
                &joined(&[trusted.as_bytes(), block.as_bytes()]),
            )?;
        }
    }
    // Legacy (amino) single steps: consecutive inputs, amino flag.
    for sub in ["single_step_a", "single_step_b"] {
        for kind in ["sequential", "skipping"] {
            for part in ["commit", "header", "validator_set"] {
                let dir = vectors.join(format!(
                    "tendermint-rs/light-client-legacy/{sub}/{kind}/{part}"
                ));
                if !dir.is_dir() {
                    continue;
                }
                for f in json_files(&dir)? {
                    // Four upstream files here are not JSON: they are seeds as they are.
                    let Ok(v) = read_json(&f) else {
                        c.add(&format!("legacy-{sub}-{kind}-{}", stem(&f)), &read(&f)?)?;
                        continue;
                    };
                    let inputs: Vec<String> = v["input"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(Value::to_string)
                        .collect();
                    for (i, w) in inputs.windows(2).enumerate() {
                        c.add(
                            &format!("legacy-{sub}-{kind}-{}-{i}", stem(&f)),
                            &joined(&[w[0].as_bytes(), w[1].as_bytes(), &[2]]),
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

fn protobuf_seeds(c: &mut Corpus, b: &Blocks, ev: &EvidenceSeeds) -> Result<()> {
    for (name, _, lb) in &b.files {
        if lb.validators.validators().len() > ferry_fuzz::PB_CAPACITY {
            continue;
        }
        let m = pb::LightBlock::from(&**lb);
        c.add(&format!("{name}-LightBlock"), &m.encode_to_vec())?;
        let sh = m.signed_header.clone().unwrap_or_default();
        c.add(&format!("{name}-SignedHeader"), &sh.encode_to_vec())?;
        let header = sh.header.clone().unwrap_or_default();
        c.add(&format!("{name}-Header"), &header.encode_to_vec())?;
        c.add(&format!("{name}-Timestamp"), &header.time.encode_to_vec())?;
        c.add(
            &format!("{name}-BlockId"),
            &header.last_block_id.encode_to_vec(),
        )?;
        let commit = sh.commit.clone().unwrap_or_default();
        c.add(&format!("{name}-Commit"), &commit.encode_to_vec())?;
        if let Some(s) = commit.signatures.first() {
            c.add(&format!("{name}-CommitSig"), &s.encode_to_vec())?;
        }
        let vals = pb::ValidatorSet::from(&lb.next_validators);
        c.add(&format!("{name}-ValidatorSet"), &vals.encode_to_vec())?;
        if let Some(v) = vals.validators.first() {
            c.add(&format!("{name}-Validator"), &v.encode_to_vec())?;
            c.add(&format!("{name}-PublicKey"), &v.pub_key.encode_to_vec())?;
        }
    }
    let mut list = pb::EvidenceList::default();
    for (name, e) in &ev.values {
        let m = pb::Evidence::from(e);
        c.add(&format!("{name}-Evidence"), &m.encode_to_vec())?;
        match &m.sum {
            Some(pb::evidence::Sum::DuplicateVoteEvidence(d)) => {
                c.add(&format!("{name}-DuplicateVoteEvidence"), &d.encode_to_vec())?;
                if let Some(v) = &d.vote_a {
                    c.add(&format!("{name}-Vote"), &v.encode_to_vec())?;
                }
            }
            Some(pb::evidence::Sum::LightClientAttackEvidence(l)) => {
                c.add(
                    &format!("{name}-LightClientAttackEvidence"),
                    &l.encode_to_vec(),
                )?;
            }
            None => {}
        }
        list.evidence.push(m);
    }
    c.add("EvidenceList", &list.encode_to_vec())?;

    // ibc-go messages, from a generated chain.
    let chain = Chain::generate("fuzz-ibc-1", 8, 4, 3);
    let state = ClientState {
        chain_id: ChainId::new("fuzz-ibc-1").map_err(|e| e.to_string())?,
        trust_level: TrustThreshold::ONE_THIRD,
        trusting_period: std::time::Duration::from_secs(1_209_600),
        unbonding_period: std::time::Duration::from_secs(1_814_400),
        max_clock_drift: std::time::Duration::new(10, 500),
        latest_height: ClientHeight::new(1, 8),
        frozen_height: ClientHeight::default(),
        proof_specs: proof::cosmos_sdk_specs().to_vec(),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
    };
    let cs = pb::ibc::ClientState::from(&state);
    let consensus =
        pb::ibc::ConsensusState::from(&ConsensusState::from_header(chain.block(4).header()));
    let header = ClientHeader {
        signed_header: chain.block(7).signed_header.clone(),
        validator_set: chain.block(7).validators.clone(),
        trusted_height: ClientHeight::new(1, 4),
        trusted_validators: chain.block(4).next_validators.clone(),
    };
    let fork = chain.fork(7, None, 1);
    let header2 = ClientHeader {
        signed_header: fork.signed_header.clone(),
        validator_set: fork.validators.clone(),
        ..header.clone()
    };
    let ibc_header = pb::ibc::Header::from(&header);
    let mis = pb::ibc::Misbehaviour::from(&Misbehaviour {
        header_1: header,
        header_2: header2,
    });
    c.add("ibc-ClientState", &cs.encode_to_vec())?;
    c.add("ibc-ConsensusState", &consensus.encode_to_vec())?;
    c.add("ibc-Header", &ibc_header.encode_to_vec())?;
    c.add("ibc-Misbehaviour", &mis.encode_to_vec())?;
    c.add("ibc-Any-ClientState", &cs.to_any().encode_to_vec())?;
    c.add(
        "ibc-Any-ConsensusState",
        &consensus.to_any().encode_to_vec(),
    )?;
    c.add("ibc-Any-Header", &ibc_header.to_any().encode_to_vec())?;
    c.add("ibc-Any-Misbehaviour", &mis.to_any().encode_to_vec())?;
    c.add("ibc-Height", &cs.latest_height.encode_to_vec())?;
    c.add("ibc-Fraction", &cs.trust_level.encode_to_vec())?;
    c.add("Duration", &cs.trusting_period.encode_to_vec())?;
    c.add("ibc-MerkleRoot", &consensus.root.encode_to_vec())?;
    c.add(
        "Consensus",
        &pb::Consensus::from(&chain.block(1).header().version).encode_to_vec(),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// ICS-23 vectors: (name, base spec index, exist?, key, value, proof, root).
#[derive(Default)]
struct ProofVectors {
    cases: Vec<ProofVector>,
}

struct ProofVector {
    name: String,
    spec: u8,
    exist: bool,
    key: Vec<u8>,
    value: Vec<u8>,
    proof: Vec<u8>,
    root: Vec<u8>,
}

const SPECS: [&str; 3] = ["iavl", "tendermint", "smt"];

impl ProofVectors {
    fn read(vectors: &Path) -> Result<Self> {
        let mut cases = vec![];
        for (i, spec) in SPECS.iter().enumerate() {
            for kind in ["exist", "nonexist"] {
                for side in ["left", "middle", "right"] {
                    let f = vectors.join(format!("ics23/{spec}/{kind}_{side}.json"));
                    let v = read_json(&f)?;
                    cases.push(ProofVector {
                        name: format!("{spec}-{kind}-{side}"),
                        spec: i as u8,
                        exist: kind == "exist",
                        key: hex_field(&v, "key")?,
                        value: hex_field(&v, "value")?,
                        proof: hex_field(&v, "proof")?,
                        root: hex_field(&v, "root")?,
                    });
                }
                // Batch proofs: the first item.
                let f = vectors.join(format!("ics23-legacy/{spec}/batch_{kind}.json"));
                let v = read_json(&f)?;
                let item = &v["items"][0];
                cases.push(ProofVector {
                    name: format!("{spec}-batch-{kind}"),
                    spec: i as u8,
                    exist: kind == "exist",
                    key: hex_field(item, "key")?,
                    value: hex_field(item, "value")?,
                    proof: hex_field(&v, "proof")?,
                    root: hex_field(&v, "root")?,
                });
            }
        }
        Ok(ProofVectors { cases })
    }

    /// An iavl existence proof chained under a one-leaf tendermint (multistore) proof of the
    /// store `ibc`: (proofs, root of the chain).
    fn chained(&self) -> Option<(MerkleProof, &ProofVector, Vec<u8>)> {
        let v = self.cases.iter().find(|v| v.spec == 0 && v.exist)?;
        let store = CommitmentProof {
            proof: Some(proof::ics23::commitment_proof::Proof::Exist(
                ExistenceProof {
                    key: b"ibc".to_vec(),
                    value: v.root.clone(),
                    leaf: proof::tendermint_spec().leaf_spec,
                    path: vec![],
                },
            )),
        };
        let root = proof::calculate_root(&store).ok()?;
        let first = proof::decode_commitment_proof(&v.proof).ok()?;
        Some((
            MerkleProof {
                proofs: vec![first, store],
            },
            v,
            root,
        ))
    }
}

fn ics23_seeds(c: &mut Corpus, p: &ProofVectors) -> Result<()> {
    // Built-in specs, then the same specs given in full as patches of the empty spec.
    for v in &p.cases {
        let op = if v.exist { 0 } else { 1 };
        let case = ProofCase {
            flags: (v.spec << 2) | op,
            spec: vec![],
            proof: v.proof.clone(),
            key: v.key.clone(),
            value: v.value.clone(),
            root: v.root.clone(),
            path: vec![],
        };
        let proven = |seed: &str, input: &[u8]| -> Result<()> {
            let outcome = ferry_fuzz::ics23_outcome(input);
            let ok = match &outcome {
                Some((member, absent)) => (if v.exist { member } else { absent }).is_ok(),
                None => false,
            };
            must(ok, seed, &format!("a valid proof, got {outcome:?}"))
        };
        proven(&v.name, &case.encode())?;
        c.add(&v.name, &case.encode())?;
        let spec = match v.spec {
            0 => proof::iavl_spec(),
            1 => proof::tendermint_spec(),
            _ => proof::smt_spec(),
        };
        let name = format!("{}-explicit-spec", v.name);
        let input = ProofCase {
            flags: (3 << 2) | op,
            spec: spec.encode_to_vec(),
            ..case.clone()
        }
        .encode();
        proven(&name, &input)?;
        c.add(&name, &input)?;
        // A chain of one proof (batches cannot be chained).
        let cp =
            proof::decode_commitment_proof(&v.proof).map_err(|e| format!("{}: {e}", v.name))?;
        let name = format!("{}-chained", v.name);
        let input = ProofCase {
            flags: (v.spec << 2) | op | 2,
            proof: MerkleProof { proofs: vec![cp] }.encode(),
            ..case.clone()
        }
        .encode();
        if !v.name.contains("batch") {
            proven(&name, &input)?;
        }
        c.add(&name, &input)?;
        // A patched spec: depth limited to 1.
        let patch = ProofSpec {
            max_depth: 1,
            ..ProofSpec::default()
        };
        c.add(
            &format!("{}-max-depth-1", v.name),
            &ProofCase {
                spec: patch.encode_to_vec(),
                ..case
            }
            .encode(),
        )?;
    }
    if let Some((mp, v, root)) = p.chained() {
        let input = ProofCase {
            flags: 2,
            spec: vec![],
            proof: mp.encode(),
            key: v.key.clone(),
            value: v.value.clone(),
            root,
            path: b"ibc".to_vec(),
        }
        .encode();
        let outcome = ferry_fuzz::ics23_outcome(&input);
        must(
            matches!(outcome, Some((Ok(()), _))),
            "iavl-under-multistore",
            &format!("a valid chained proof, got {outcome:?}"),
        )?;
        c.add("iavl-under-multistore", &input)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// Generated evidence: `(name, view JSON or None for the default view, evidence JSON)` and the
/// evidence values.
struct EvidenceSeeds {
    cases: Vec<(String, Option<String>, String)>,
    values: Vec<(String, Evidence)>,
}

fn view_json(blocks: &[&LightBlock]) -> String {
    Value::Array(blocks.iter().map(|b| light_block_json(b)).collect()).to_string()
}

fn conflicting(b: &LightBlock) -> ConflictingBlock {
    ConflictingBlock {
        signed_header: b.signed_header.clone(),
        validator_set: b.validators.clone(),
    }
}

impl EvidenceSeeds {
    fn generate(b: &Blocks) -> Result<Self> {
        let mut s = EvidenceSeeds {
            cases: vec![],
            values: vec![],
        };
        let mut add = |name: &str, view: Option<String>, e: Evidence| {
            s.cases
                .push((name.into(), view, evidence_json(&e).to_string()));
            s.values.push((name.into(), e));
        };

        // A duplicate vote at height 5 (as the CLI tests make it).
        let chain = Chain::generate("fuzz-ev-1", 8, 4, 0);
        let cid = ChainId::new("fuzz-ev-1").map_err(|e| e.to_string())?;
        let t = chain.block(5).header().time;
        let (mut va, mut vb) = (unsigned_vote(5, 1, t), unsigned_vote(5, 2, t));
        sign_vote(&cid, chain.sets[4][0].key, &mut va);
        sign_vote(&cid, chain.sets[4][0].key, &mut vb);
        let dve = DuplicateVoteEvidence::new(va, vb, t, &chain.block(5).validators)
            .map_err(|e| e.to_string())?;
        let all: Vec<&LightBlock> = (1..=8).map(|h| chain.block(h)).collect();
        add(
            "duplicate-vote",
            Some(view_json(&all)),
            Evidence::DuplicateVote(dve),
        );

        // Light-client attacks: lunatic (an old set signs made-up state), equivocation, amnesia.
        let chain = Chain::generate("fuzz-ev-2", 30, 5, 4);
        let (common, h) = (chain.block(10), chain.block(20));
        let view = view_json(&[common, h, chain.block(30)]);
        let lunatic = LightClientAttackEvidence::new(
            conflicting(&chain.lunatic(20, 10)),
            &h.signed_header,
            &h.validators,
            &common.signed_header,
            &common.validators,
        );
        add(
            "lunatic",
            Some(view.clone()),
            Evidence::LightClientAttack(lunatic),
        );
        for (round, name) in [(0, "equivocation"), (1, "amnesia")] {
            let e = LightClientAttackEvidence::new(
                conflicting(&chain.fork(20, None, round)),
                &h.signed_header,
                &h.validators,
                &chain.block(18).signed_header,
                &chain.block(18).validators,
            );
            add(name, Some(view.clone()), Evidence::LightClientAttack(e));
        }

        // A duplicate vote against the default view (the repository's example blocks), when
        // the example is what `ferry-fixtures` generates for it.
        let [h1, h2, _] = ferry_fixtures::segment("ferry-fixture", 4, 5);
        let example = |n: &str| b.files.iter().find(|(name, _, _)| name == n).map(|f| &*f.2);
        if example("example-h1") == Some(&h1) && example("example-h2") == Some(&h2) {
            let cid = ChainId::new("ferry-fixture").map_err(|e| e.to_string())?;
            let t = h2.header().time;
            let key = members(0, 4)[0].key;
            let (mut va, mut vb) = (unsigned_vote(2, 1, t), unsigned_vote(2, 2, t));
            sign_vote(&cid, key, &mut va);
            sign_vote(&cid, key, &mut vb);
            if let Ok(d) = DuplicateVoteEvidence::new(va, vb, t, &h2.validators) {
                add("example-duplicate-vote", None, Evidence::DuplicateVote(d));
            }
        } else {
            eprintln!("seed: the example blocks are not ferry-fixtures' segment: no default-view evidence seed");
        }
        Ok(s)
    }
}

// ---------------------------------------------------------------------------------------------

fn cli_seeds(
    c: &mut Corpus,
    b: &Blocks,
    ev: &EvidenceSeeds,
    p: &ProofVectors,
    vectors: Option<&Path>,
) -> Result<()> {
    let mut add = |file: CliFile, name: &str, bytes: &[u8]| {
        let mut input = vec![file.byte()];
        input.extend_from_slice(bytes);
        c.add(&format!("{file:?}-{name}"), &input)
    };
    for (name, raw, _) in b.files.iter().filter(|(_, raw, _)| raw.len() < 64 << 10) {
        add(CliFile::LightBlock, name, raw)?;
        add(CliFile::View, name, raw)?;
    }
    if let Some((name, raw, _)) = b.files.first() {
        let v: Value = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
        let envelope = json!({"jsonrpc": "2.0", "id": 1, "result": v});
        add(
            CliFile::LightBlock,
            &format!("{name}-rpc"),
            envelope.to_string().as_bytes(),
        )?;
    }
    for (name, view, e) in &ev.cases {
        add(CliFile::Evidence, name, e.as_bytes())?;
        let envelope = format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{e}}}");
        add(
            CliFile::Evidence,
            &format!("{name}-rpc"),
            envelope.as_bytes(),
        )?;
        if let Some(view) = view {
            add(CliFile::View, name, view.as_bytes())?;
        }
    }
    for v in &p.cases {
        add(
            CliFile::Proof,
            &format!("{}-hex", v.name),
            hex(&v.proof).as_bytes(),
        )?;
        add(CliFile::Proof, &format!("{}-bin", v.name), &v.proof)?;
        let op = json!({"type": format!("ics23:{}", SPECS[usize::from(v.spec)]),
                        "key": b64(&v.key), "data": b64(&v.proof)});
        let q = json!({"jsonrpc": "2.0", "id": 1, "result": {"response": {"code": 0,
                       "proofOps": {"ops": [op]}}}});
        add(
            CliFile::Proof,
            &format!("{}-query", v.name),
            q.to_string().as_bytes(),
        )?;
    }
    if let Some((mp, v, _)) = p.chained() {
        let ops: Vec<Value> = mp
            .proofs
            .iter()
            .zip([("ics23:iavl", v.key.as_slice()), ("ics23:simple", b"ibc")])
            .map(|(cp, (kind, key))| {
                json!({"type": kind, "key": b64(key), "data": b64(&proof::encode_commitment_proof(cp))})
            })
            .collect();
        let q = json!({"response": {"proofOps": {"ops": ops}}});
        add(
            CliFile::Proof,
            "iavl-under-multistore-query",
            q.to_string().as_bytes(),
        )?;
    }
    if let Some(vectors) = vectors {
        for f in json_files(&vectors.join("tendermint-rs/rpc-kvstore-v0_38/incoming"))? {
            if stem(&f).starts_with("abci_query") {
                add(CliFile::Proof, &stem(&f), &read(&f)?)?;
            }
        }
    }
    let [iavl, tm] = proof::cosmos_sdk_specs().map(|s| s.encode_to_vec());
    add(
        CliFile::Specs,
        "cosmos-hex",
        format!("{}\n{}\n", hex(&iavl), hex(&tm)).as_bytes(),
    )?;
    add(CliFile::Specs, "iavl-bin", &iavl)?;
    add(
        CliFile::Specs,
        "smt-hex",
        hex(&proof::smt_spec().encode_to_vec()).as_bytes(),
    )?;
    Ok(())
}
