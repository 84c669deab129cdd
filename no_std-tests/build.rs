//! Turns the embedded fixture (`fixtures/data/nostd-4`, made by `ferry-fixtures gen`) into
//! Rust constructors, so the no_std binary needs no JSON parser.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

fn bytes_hex(s: &str) -> String {
    let b: Vec<String> = (0..s.len())
        .step_by(2)
        .map(|i| format!("0x{}", &s[i..i + 2]))
        .collect();
    format!("[{}]", b.join(","))
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 26,
            b'0'..=b'9' => (c - b'0') as u32 + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64"),
        }
    };
    let mut out = vec![];
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let mut n = 0u32;
        for &c in chunk.iter().take(4 - pad) {
            n = n << 6 | val(c);
        }
        n <<= 6 * pad as u32;
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

fn hash(v: &Value) -> String {
    let s = v.as_str().unwrap_or("");
    if s.is_empty() {
        "Hash::None".into()
    } else {
        format!("Hash::Sha256({})", bytes_hex(s))
    }
}

fn time(v: &Value) -> String {
    format!("Time::parse_rfc3339({:?}).ok()?", v.as_str().unwrap())
}

fn block_id(v: &Value) -> String {
    format!(
        "BlockId {{ hash: {}, part_set_header: PartSetHeader {{ total: {}, hash: {} }} }}",
        hash(&v["hash"]),
        v["parts"]["total"].as_u64().unwrap(),
        hash(&v["parts"]["hash"])
    )
}

fn set(v: &Value) -> String {
    let mut s = String::from("{ let vals = [");
    for val in v["validators"].as_array().unwrap() {
        let key = b64(val["pub_key"]["value"].as_str().unwrap());
        write!(
            s,
            "Validator::new(Address({}), PublicKey({:?}), {}, 0).ok()?,",
            bytes_hex(val["address"].as_str().unwrap()),
            key,
            val["voting_power"].as_str().unwrap()
        )
        .unwrap();
    }
    s.push_str("]; ValidatorSet::new(&vals).ok()? }");
    s
}

fn light_block(name: &str, v: &Value) -> String {
    let h = &v["signed_header"]["header"];
    let c = &v["signed_header"]["commit"];
    let mut sigs = String::new();
    for sig in c["signatures"].as_array().unwrap() {
        match sig["block_id_flag"].as_u64().unwrap() {
            1 => sigs.push_str("sigs.push(CommitSig::Absent).ok()?;"),
            2 => write!(
                sigs,
                "sigs.push(CommitSig::Commit {{ validator_address: Address({}), timestamp: {}, signature: Signature({:?}) }}).ok()?;",
                bytes_hex(sig["validator_address"].as_str().unwrap()),
                time(&sig["timestamp"]),
                b64(sig["signature"].as_str().unwrap())
            )
            .unwrap(),
            f => panic!("flag {f}"),
        }
    }
    format!(
        "pub fn {name}() -> Option<LightBlock<8>> {{
    let mut sigs = heapless::Vec::new();
    {sigs}
    Some(LightBlock {{
        signed_header: SignedHeader {{
            header: Header {{
                version: Version {{ block: {vb}, app: {va} }},
                chain_id: ChainId::new({chain:?}).ok()?,
                height: Height::new({height}).ok()?,
                time: {t},
                last_block_id: {lbi},
                last_commit_hash: {lch},
                data_hash: {dh},
                validators_hash: {vh},
                next_validators_hash: {nvh},
                consensus_hash: {ch},
                app_hash: AppHash::from_bytes(&{ah}).ok()?,
                last_results_hash: {lrh},
                evidence_hash: {eh},
                proposer_address: Address({pa}),
            }},
            commit: Commit {{ height: Height::new({height}).ok()?, round: {round}, block_id: {cbi}, signatures: sigs }},
        }},
        validators: {vals},
        next_validators: {nvals},
    }})
}}
",
        vb = h["version"]["block"].as_str().unwrap(),
        va = h["version"]["app"].as_str().unwrap(),
        chain = h["chain_id"].as_str().unwrap(),
        height = h["height"].as_str().unwrap(),
        t = time(&h["time"]),
        lbi = block_id(&h["last_block_id"]),
        lch = hash(&h["last_commit_hash"]),
        dh = hash(&h["data_hash"]),
        vh = hash(&h["validators_hash"]),
        nvh = hash(&h["next_validators_hash"]),
        ch = hash(&h["consensus_hash"]),
        ah = bytes_hex(h["app_hash"].as_str().unwrap()),
        lrh = hash(&h["last_results_hash"]),
        eh = hash(&h["evidence_hash"]),
        pa = bytes_hex(h["proposer_address"].as_str().unwrap()),
        round = c["round"].as_u64().unwrap(),
        cbi = block_id(&c["block_id"]),
        vals = set(&v["validator_set"]),
        nvals = set(&v["next_validator_set"]),
    )
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/data/nostd-4");
    let mut out = String::new();
    for (name, file) in [
        ("h1", "light_block_1.json"),
        ("h2", "light_block_2.json"),
        ("h5", "light_block_5.json"),
    ] {
        let path = dir.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.push_str(&light_block(name, &v));
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("fixture.rs");
    std::fs::write(dest, out).unwrap();
}
