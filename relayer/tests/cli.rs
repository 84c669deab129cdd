//! The `ferry` binary end to end: verdicts, JSON output and exit codes of `verify`,
//! `proof verify` and `evidence verify`, on generated data and the shared ICS-23 vectors.

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_fixtures::{b64, evidence_json, light_block_json, sign_vote, Chain};
use ferry_verifier::evidence::{DuplicateVoteEvidence, Evidence};
use ferry_verifier::{ChainId, Time};

fn ferry(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferry-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn write(name: &str, text: &str) -> String {
    let p = tmp(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn verify_verdicts_and_exit_codes() {
    let (code, out, _) = ferry(&["verify", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "success");

    let chain = Chain::generate("cli-chain", 30, 4, 3);
    let t = write("t.json", &light_block_json(chain.block(1)).to_string());
    let u = write("u.json", &light_block_json(chain.block(30)).to_string());
    let adj = write("adj.json", &light_block_json(chain.block(2)).to_string());
    let now = "2025-01-01T00:05:00Z";
    assert_eq!(
        ferry(&["verify", "--trusted", &t, "--untrusted", &adj, "--now", now]).0,
        0
    );
    // 30 heights of rotation: not enough of the old set signed.
    let (code, out, _) = ferry(&[
        "verify",
        "--trusted",
        &t,
        "--untrusted",
        &u,
        "--now",
        now,
        "--json",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not_enough_trust"));
    // Backwards: invalid.
    let (code, out, _) = ferry(&[
        "verify",
        "--trusted",
        &u,
        "--untrusted",
        &t,
        "--now",
        now,
        "--json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "invalid");
    assert!(v["reason"].as_str().unwrap().contains("not above"));
    // A corrupted signature.
    let mut j = light_block_json(chain.block(2));
    let sig = j["signed_header"]["commit"]["signatures"][0]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if sig.starts_with('A') {
        sig.replacen('A', "B", 1)
    } else {
        format!("A{}", &sig[1..])
    };
    j["signed_header"]["commit"]["signatures"][0]["signature"] = flipped.into();
    let bad = write("bad.json", &j.to_string());
    assert_eq!(
        ferry(&["verify", "--trusted", &t, "--untrusted", &bad, "--now", now]).0,
        1
    );
    // Bad input.
    assert_eq!(
        ferry(&["verify", "--trusted", "/nonexistent", "--untrusted", &u]).0,
        66
    );
    let junk = write("junk.json", "{\"signed_header\": 5}");
    let (code, _, err) = ferry(&["verify", "--trusted", &junk, "--untrusted", &u]);
    assert_eq!(code, 65);
    assert!(err.contains("signed_header"), "{err}");
    assert_eq!(
        ferry(&[
            "verify",
            "--trusted",
            &t,
            "--untrusted",
            &u,
            "--trust-level",
            "1/9"
        ])
        .0,
        64
    );
    assert_eq!(
        ferry(&[
            "verify",
            "--trusted",
            &t,
            "--untrusted",
            &u,
            "--now",
            "yesterday"
        ])
        .0,
        64
    );
    assert_eq!(ferry(&["verify", "--bogus"]).0, 64);
}

fn vectors() -> Option<PathBuf> {
    let d = std::env::var_os("FERRY_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    if d.is_dir() {
        return Some(d);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} missing under CI",
        d.display()
    );
    eprintln!("SKIP: {} not found", d.display());
    None
}

#[test]
fn proof_verify() {
    let Some(dir) = vectors() else { return };
    for spec in ["iavl", "tendermint", "smt"] {
        for side in ["left", "middle", "right"] {
            let v: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("ics23/{spec}/exist_{side}.json")))
                    .unwrap(),
            )
            .unwrap();
            let (k, val, root) = (
                v["key"].as_str().unwrap(),
                v["value"].as_str().unwrap(),
                v["root"].as_str().unwrap(),
            );
            let p = write(&format!("{spec}-{side}.hex"), v["proof"].as_str().unwrap());
            let (code, out, err) = ferry(&[
                "proof", "verify", "--root", root, "--key", k, "--value", val, "--proof", &p,
                "--specs", spec, "--json",
            ]);
            assert_eq!(code, 0, "{spec} {side}: {out} {err}");
            assert!(out.contains("\"valid\""));
            let (code, out, _) = ferry(&[
                "proof", "verify", "--root", root, "--key", k, "--value", "00", "--proof", &p,
                "--specs", spec, "--json",
            ]);
            assert_eq!(code, 1, "{out}");
            assert!(out.contains("\"invalid\""));
            // The same proof as one abci_query ProofOp.
            let raw: Vec<u8> = (0..v["proof"].as_str().unwrap().len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&v["proof"].as_str().unwrap()[i..i + 2], 16).unwrap())
                .collect();
            let key: Vec<u8> = (0..k.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&k[i..i + 2], 16).unwrap())
                .collect();
            let q = serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {"response": {"code": 0,
                "proofOps": {"ops": [{"type": format!("ics23:{spec}"), "key": b64(&key), "data": b64(&raw)}]}}}});
            let qp = write(&format!("{spec}-{side}-query.json"), &q.to_string());
            assert_eq!(
                ferry(&[
                    "proof", "verify", "--root", root, "--key", k, "--value", val, "--proof", &qp,
                    "--specs", spec
                ])
                .0,
                0
            );
            // A query proving another key.
            assert_eq!(
                ferry(&[
                    "proof", "verify", "--root", root, "--key", "00", "--value", val, "--proof",
                    &qp, "--specs", spec
                ])
                .0,
                1
            );

            let n: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("ics23/{spec}/nonexist_{side}.json")))
                    .unwrap(),
            )
            .unwrap();
            let np = write(
                &format!("{spec}-{side}-non.hex"),
                n["proof"].as_str().unwrap(),
            );
            let (nk, nroot) = (n["key"].as_str().unwrap(), n["root"].as_str().unwrap());
            assert_eq!(
                ferry(&[
                    "proof", "verify", "--root", nroot, "--key", nk, "--proof", &np, "--specs",
                    spec
                ])
                .0,
                0
            );
            assert_eq!(
                ferry(&[
                    "proof", "verify", "--root", nroot, "--key", nk, "--value", "01", "--proof",
                    &np, "--specs", spec
                ])
                .0,
                1
            );
        }
    }
    let junk = write("junk.bin", "\u{7}\u{7}\u{7}");
    assert_eq!(
        ferry(&["proof", "verify", "--root", "00", "--key", "00", "--proof", &junk]).0,
        65
    );
    assert_eq!(
        ferry(&["proof", "verify", "--root", "0g", "--key", "00", "--proof", &junk]).0,
        64
    );
    assert_eq!(
        ferry(&[
            "proof",
            "verify",
            "--root",
            "00",
            "--key",
            "00",
            "--proof",
            "/nonexistent"
        ])
        .0,
        66
    );
}

#[test]
fn evidence_verify() {
    let chain = Chain::generate("cli-ev-1", 8, 4, 0);
    let cid = ChainId::new("cli-ev-1").unwrap();
    let mk =
        |b: u8| ferry_fixtures::unsigned_vote(5, b, Time::from_unix(1_735_689_621, 0).unwrap());
    let (mut a, mut b) = (mk(1), mk(2));
    sign_vote(&cid, chain.sets[4][0].key, &mut a);
    sign_vote(&cid, chain.sets[4][0].key, &mut b);
    let ev = DuplicateVoteEvidence::new(
        a,
        b,
        chain.block(5).header().time,
        &chain.block(5).validators,
    )
    .unwrap();
    let view: Vec<serde_json::Value> = (1..=8).map(|h| light_block_json(chain.block(h))).collect();
    let t = write("view.json", &serde_json::Value::Array(view).to_string());
    let e = write(
        "ev.json",
        &evidence_json(&Evidence::DuplicateVote(ev.clone())).to_string(),
    );
    let (code, out, err) = ferry(&[
        "evidence",
        "verify",
        "--trusted",
        &t,
        "--evidence",
        &e,
        "--json",
    ]);
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.contains("\"valid\""));
    let mut forged = ev.clone();
    forged.vote_b.signature.0[3] ^= 1;
    let f = write(
        "forged.json",
        &evidence_json(&Evidence::DuplicateVote(forged)).to_string(),
    );
    let (code, out, _) = ferry(&[
        "evidence",
        "verify",
        "--trusted",
        &t,
        "--evidence",
        &f,
        "--json",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("invalid signature"), "{out}");
    let junk = write(
        "junk-ev.json",
        "{\"type\": \"tendermint/Nope\", \"value\": {}}",
    );
    assert_eq!(
        ferry(&["evidence", "verify", "--trusted", &t, "--evidence", &junk]).0,
        65
    );
    assert_eq!(
        ferry(&[
            "evidence",
            "verify",
            "--trusted",
            "/nonexistent",
            "--evidence",
            &e
        ])
        .0,
        66
    );
}

/// `text` with the byte 0xFF (never valid in UTF-8) inserted at byte offset `at`.
fn with_invalid_byte(text: &str, at: usize) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    b.insert(at, 0xFF);
    b
}

fn write_bytes(name: &str, bytes: &[u8]) -> String {
    let p = tmp(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// A file that was read but is not UTF-8 where text is expected is malformed (65, not 66),
/// and the message gives the offset of the first invalid byte.
fn assert_not_utf8(args: &[&str], at: usize) {
    let (code, out, err) = ferry(args);
    assert_eq!(code, 65, "{args:?}: {out} {err}");
    assert!(
        err.contains(&format!("invalid byte 0xFF at byte offset {at}")),
        "{args:?}: {err}"
    );
    assert!(err.contains("not valid UTF-8"), "{err}");
}

#[test]
fn files_that_are_not_utf8_are_malformed_with_the_offset() {
    let chain = Chain::generate("cli-utf8", 8, 4, 0);
    let t_json = light_block_json(chain.block(1)).to_string();
    let u_json = light_block_json(chain.block(2)).to_string();
    let t = write("utf8-t.json", &t_json);
    let u = write("utf8-u.json", &u_json);
    // Inside the chain id's string: JSON would otherwise be well formed.
    let at = t_json.find("cli-utf8").unwrap() + 3;
    let bad_t = write_bytes("utf8-bad-t.json", &with_invalid_byte(&t_json, at));
    let at_u = u_json.find("cli-utf8").unwrap() + 5;
    let bad_u = write_bytes("utf8-bad-u.json", &with_invalid_byte(&u_json, at_u));
    assert_not_utf8(&["verify", "--trusted", &bad_t, "--untrusted", &u], at);
    assert_not_utf8(&["verify", "--trusted", &t, "--untrusted", &bad_u], at_u);
    // An invalid byte at the very start, and a truncated multi-byte sequence at the end.
    let first = write_bytes("utf8-first.json", b"\xff{}");
    assert_not_utf8(&["verify", "--trusted", &first, "--untrusted", &u], 0);
    let mut truncated = u_json.clone().into_bytes();
    truncated.extend_from_slice(b" \xe2\x82");
    let truncated = write_bytes("utf8-truncated.json", &truncated);
    let (code, _, err) = ferry(&["verify", "--trusted", &t, "--untrusted", &truncated]);
    assert_eq!(code, 65, "{err}");
    assert!(
        err.contains(&format!("at byte offset {}", u_json.len() + 1)),
        "{err}"
    );

    // Evidence: the node's view (an array of light blocks) and the evidence file.
    let view =
        serde_json::Value::Array((1..=8).map(|h| light_block_json(chain.block(h))).collect())
            .to_string();
    let at_v = view.rfind("cli-utf8").unwrap();
    let bad_view = write_bytes("utf8-view.json", &with_invalid_byte(&view, at_v));
    let cid = ChainId::new("cli-utf8").unwrap();
    let mk =
        |b: u8| ferry_fixtures::unsigned_vote(5, b, Time::from_unix(1_735_689_621, 0).unwrap());
    let (mut a, mut b) = (mk(1), mk(2));
    sign_vote(&cid, chain.sets[4][0].key, &mut a);
    sign_vote(&cid, chain.sets[4][0].key, &mut b);
    let ev = DuplicateVoteEvidence::new(
        a,
        b,
        chain.block(5).header().time,
        &chain.block(5).validators,
    )
    .unwrap();
    let ev_json = evidence_json(&Evidence::DuplicateVote(ev)).to_string();
    let e = write("utf8-ev.json", &ev_json);
    let view_ok = write("utf8-view-ok.json", &view);
    assert_eq!(
        ferry(&[
            "evidence",
            "verify",
            "--trusted",
            &view_ok,
            "--evidence",
            &e
        ])
        .0,
        0
    );
    assert_not_utf8(
        &[
            "evidence",
            "verify",
            "--trusted",
            &bad_view,
            "--evidence",
            &e,
        ],
        at_v,
    );
    let at_e = ev_json.find("tendermint/").unwrap() + 4;
    let bad_e = write_bytes("utf8-ev-bad.json", &with_invalid_byte(&ev_json, at_e));
    assert_not_utf8(
        &[
            "evidence",
            "verify",
            "--trusted",
            &view_ok,
            "--evidence",
            &bad_e,
        ],
        at_e,
    );

    // Proofs: an abci_query JSON response and a hex CommitmentProof with an invalid byte are
    // neither text nor binary protobuf.
    let q = r#"{"result": {"response": {"code": 0, "proofOps": {"ops": []}}}}"#;
    let at_q = q.find("proofOps").unwrap();
    let bad_q = write_bytes("utf8-query.json", &with_invalid_byte(q, at_q));
    let proof_args = |p: &str, specs: &str| -> Vec<String> {
        [
            "proof", "verify", "--root", "00", "--key", "00", "--proof", p, "--specs", specs,
        ]
        .map(String::from)
        .to_vec()
    };
    let args = proof_args(&bad_q, "iavl");
    assert_not_utf8(&args.iter().map(String::as_str).collect::<Vec<_>>(), at_q);
    let hex = "0a0a0a03".repeat(8);
    let bad_hex = write_bytes("utf8-proof.hex", &with_invalid_byte(&hex, 9));
    let args = proof_args(&bad_hex, "iavl");
    assert_not_utf8(&args.iter().map(String::as_str).collect::<Vec<_>>(), 9);
    // A specs file of hex lines with an invalid byte.
    let spec_hex: String =
        ferry_verifier::pb::Message::encode_to_vec(&ferry_verifier::proof::iavl_spec())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    let good_specs = write("utf8-specs.hex", &format!("{spec_hex}\n"));
    let bad_specs = write_bytes(
        "utf8-specs-bad.hex",
        &with_invalid_byte(&format!("{spec_hex}\n{spec_hex}\n"), spec_hex.len() + 3),
    );
    let proof = write("utf8-good.hex", "0a00");
    let args = proof_args(&proof, &good_specs);
    let (code, out, err) = ferry(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "a valid specs file is accepted: {out} {err}");
    let args = proof_args(&proof, &bad_specs);
    assert_not_utf8(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        spec_hex.len() + 3,
    );
}
