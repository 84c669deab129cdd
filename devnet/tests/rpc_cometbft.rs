//! The devnet's RPC against a real CometBFT v0.38.26 node's (a one-validator kvstore network
//! from `ferry-testnet`): the same calls, answers compared field by field: the same keys in
//! the same order, the same JSON types, the same encodings of strings (decimal integers,
//! upper-case hex, base64, RFC 3339 times), `null` where the real node writes `null` and `[]`
//! where it writes `[]`; values are not compared (free text such as logs and monikers
//! aside). Errors: the same HTTP status, JSON-RPC code and message. Key *order* is not
//! compared (serde_json's maps here are sorted); the devnet writes CometBFT's order.
//!
//! Needs the real binaries (`bash scripts/chains/install.sh`, or `FERRY_CHAINS`); without them
//! it prints SKIPPED, and fails when `CI=true`.

use std::time::Duration;

use ferry_devnet::node::{Devnet, NodeConfig};
use ferry_devnet::ChainConfig;
use ferry_testnet::http::{self, Url};
use ferry_testnet::{hex_encode, CometBftNetwork, RpcClient};
use serde_json::Value;

const T: Duration = Duration::from_secs(15);

/// Strings whose encoding is free: text, or bytes whose form depends on the application.
const FREE: &[&str] = &[
    "log",
    "info",
    "codespace",
    "moniker",
    "network",
    "chain_id",
    "version",
    "listen_addr",
    "rpc_address",
    "id",
    "data",
    "key",
    "value",
    "channels",
    "listeners",
];

/// Fields where the real kvstore app and the devnet's app legitimately differ between
/// `null` and a value (a key the kvstore does not have; the kvstore's events).
const NULLABLE: &[&str] = &["response.value"];

fn class(s: &str) -> &'static str {
    let b = s.as_bytes();
    if s.is_empty() {
        "empty"
    } else if s.len() >= 16
        && s.len().is_multiple_of(2)
        && b.iter()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
    {
        "hex"
    } else if s.parse::<i64>().is_ok() {
        "int"
    } else if s.len() >= 20 && b[4] == b'-' && b[10] == b'T' && s.ends_with('Z') {
        "time"
    } else if s.len().is_multiple_of(4)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
    {
        "base64"
    } else {
        "text"
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences in shape between `real` and `ours` at `path` (keys compared as sets).
fn diff(path: &str, real: &Value, ours: &Value, out: &mut Vec<String>) {
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    match (real, ours) {
        (Value::Object(r), Value::Object(o)) => {
            let rk: Vec<&String> = r.keys().collect();
            let ok: Vec<&String> = o.keys().collect();
            if rk != ok {
                out.push(format!("{path}: keys {rk:?} (real) vs {ok:?} (devnet)"));
            }
            for (k, rv) in r {
                if let Some(ov) = o.get(k) {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    diff(&p, rv, ov, out);
                }
            }
        }
        (Value::Array(r), Value::Array(o)) => {
            if let (Some(rv), Some(ov)) = (r.first(), o.first()) {
                diff(&format!("{path}[0]"), rv, ov, out);
            }
        }
        (Value::String(r), Value::String(o)) => {
            let (rc, oc) = (class(r), class(o));
            if rc != oc && rc != "empty" && oc != "empty" && !FREE.contains(&last) {
                out.push(format!("{path}: {rc} {r:?} (real) vs {oc} {o:?} (devnet)"));
            }
        }
        (Value::Null, _) | (_, Value::Null) if NULLABLE.iter().any(|n| path.ends_with(n)) => {}
        (r, o) if kind(r) != kind(o) => {
            out.push(format!(
                "{path}: {} {r} (real) vs {} {o} (devnet)",
                kind(r),
                kind(o)
            ));
        }
        _ => {}
    }
}

struct Side {
    url: Url,
    block2: String,
    tx: String,
    tx_height: u64,
}

fn fetch(side: &Side, path: &str) -> (u16, Value) {
    let r = http::get(&side.url, path, T).unwrap();
    let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

fn post(side: &Side, body: &[u8]) -> (u16, Value) {
    let r = http::post(&side.url, "/", "application/json", body, T).unwrap_or_else(|e| {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        panic!("POST {shown} to {:?}: {e}", side.url)
    });
    let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

fn prepare(url: &str, tag: &str) -> Side {
    let rpc = RpcClient::new(url).unwrap().with_timeout(T);
    rpc.wait_for_height(2, T).unwrap();
    let c = rpc
        .broadcast_tx_commit(format!("kv/name{tag}=satoshi").as_bytes())
        .unwrap();
    rpc.wait_for_height(c.height + 1, T).unwrap();
    let block2 = hex_encode(rpc.block_hash(2).unwrap().as_bytes());
    Side {
        url: Url::parse(url).unwrap(),
        block2,
        tx: c.hash,
        tx_height: c.height,
    }
}

#[test]
fn devnet_answers_have_the_shapes_of_a_real_cometbft_node() {
    if !ferry_testnet::require_chains() {
        return;
    }
    let real_net = CometBftNetwork::builder()
        .validators(1)
        .chain_id("cmp-real")
        .start()
        .unwrap();
    let mut chain = ChainConfig::new("cmp-devnet", &[10]);
    chain.app_version = 1; // as kvstore's, so `abci_info` lists `app_version` on both
    let mut config = NodeConfig::new(chain);
    config.block_time = Some(Duration::from_millis(200));
    let devnet = Devnet::start(config).unwrap();
    let real = prepare(&real_net.rpc_urls()[0], "");
    let ours = prepare(&devnet.url(), "");

    let paths = |s: &Side, n: usize| -> Vec<String> {
        vec![
            "/health".into(),
            "/status".into(),
            "/genesis".into(),
            "/abci_info".into(),
            "/net_info".into(),
            "/consensus_params".into(),
            "/consensus_params?height=2".into(),
            "/block?height=1".into(),
            format!("/block?height={}", s.tx_height),
            format!("/block_by_hash?hash=0x{}", s.block2),
            "/block_by_hash?hash=0x00".into(),
            "/header?height=2".into(),
            format!("/header_by_hash?hash=0x{}", s.block2),
            "/commit?height=1".into(),
            "/commit?height=2".into(),
            "/commit".into(),
            "/validators?height=2".into(),
            "/validators?height=2&page=1&per_page=1".into(),
            "/blockchain?minHeight=1&maxHeight=3".into(),
            "/block_results?height=1".into(),
            format!("/block_results?height={}", s.tx_height),
            format!("/tx?hash=0x{}", s.tx),
            format!("/tx?hash=0x{}&prove=true", s.tx),
            "/abci_query?path=%22store/kv/key%22&data=0x6E616D65".into(),
            format!(
                "/broadcast_tx_sync?tx=0x{}",
                hex_encode(format!("kv/s{n}=1").as_bytes())
            ),
            format!(
                "/broadcast_tx_async?tx=0x{}",
                hex_encode(format!("kv/a{n}=1").as_bytes())
            ),
            format!(
                "/broadcast_tx_commit?tx=0x{}",
                hex_encode(format!("kv/c{n}=1").as_bytes())
            ),
            // Errors.
            "/block?height=99999".into(),
            "/block?height=0".into(),
            "/block?height=abc".into(),
            "/validators?height=2&page=5".into(),
            "/tx?hash=0x00".into(),
            "/blockchain?minHeight=5&maxHeight=2".into(),
        ]
    };
    let mut problems = Vec::new();
    let real_paths = paths(&real, 1);
    let our_paths = paths(&ours, 2);
    for (rp, op) in real_paths.iter().zip(&our_paths) {
        let (rs, rv) = fetch(&real, rp);
        let (os, ov) = fetch(&ours, op);
        let name = rp.split('?').next().unwrap_or(rp);
        compare(
            &format!("GET {rp}"),
            name,
            (rs, &rv),
            (os, &ov),
            &mut problems,
        );
    }
    // JSON-RPC POSTs.
    let posts: Vec<Vec<u8>> = vec![
        br#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#.to_vec(),
        b"garbage".to_vec(),
        br#"[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","id":"b","method":"nope"}]"#
            .to_vec(),
        br#"{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":2}}"#.to_vec(),
        br#"{"jsonrpc":"2.0","id":1,"method":"block","params":["2"]}"#.to_vec(),
        br#"{"jsonrpc":"2.0","id":1,"method":"validators","params":{"height":"2","per_page":"1"}}"#
            .to_vec(),
        // Not an oversized body: the real node answers it (400, -32600) but then closes while
        // the client may still be sending, a reset the client sees at random; tests/rpc.rs
        // checks the devnet's answer.
    ];
    for body in &posts {
        let (rs, rv) = post(&real, body);
        let (os, ov) = post(&ours, body);
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        compare(
            &format!("POST {shown}"),
            "",
            (rs, &rv),
            (os, &ov),
            &mut problems,
        );
        // The id is echoed the same way.
        if rv.get("id") != ov.get("id") {
            problems.push(format!(
                "POST {shown}: id {:?} vs {:?}",
                rv.get("id"),
                ov.get("id")
            ));
        }
    }
    devnet.stop();
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn compare(
    what: &str,
    _method: &str,
    (rs, rv): (u16, &Value),
    (os, ov): (u16, &Value),
    problems: &mut Vec<String>,
) {
    if rs != os {
        problems.push(format!("{what}: HTTP {rs} (real) vs {os} (devnet)"));
    }
    let pairs: Vec<(&Value, &Value)> = match (rv, ov) {
        (Value::Array(r), Value::Array(o)) if r.len() == o.len() => r.iter().zip(o).collect(),
        _ => vec![(rv, ov)],
    };
    for (r, o) in pairs {
        match (r.get("error"), o.get("error")) {
            (Some(re), Some(oe)) => {
                if re.get("code") != oe.get("code") || re.get("message") != oe.get("message") {
                    problems.push(format!("{what}: error {re} (real) vs {oe} (devnet)"));
                }
            }
            (None, None) => {
                let mut out = Vec::new();
                diff("", r, o, &mut out);
                problems.extend(out.into_iter().map(|d| format!("{what}: {d}")));
            }
            (re, oe) => problems.push(format!(
                "{what}: error {re:?} (real) vs {oe:?} (devnet); real {r}, devnet {o}"
            )),
        }
    }
}

#[test]
fn the_comparison_catches_what_it_is_meant_to() {
    let mut out = Vec::new();
    let real = serde_json::json!({"a": null, "b": "10", "c": "E3B0C44298FC1C14", "d": [], "e": 1,
        "t": "2026-01-01T00:00:00.5Z", "log": "x"});
    let same = serde_json::json!({"a": null, "b": "7", "c": "0000000000000000", "d": [1], "e": 2,
        "t": "2025-01-01T00:00:00Z", "log": "anything"});
    diff("", &real, &same, &mut out);
    assert!(out.is_empty(), "{out:?}");
    for (field, bad) in [
        ("a", serde_json::json!([])),
        ("b", serde_json::json!(10)),
        (
            "c",
            serde_json::json!("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
        ),
        ("d", serde_json::json!(null)),
        ("t", serde_json::json!("1735689600")),
    ] {
        let mut ours = same.clone();
        ours[field] = bad;
        let mut out = Vec::new();
        diff("", &real, &ours, &mut out);
        assert_eq!(out.len(), 1, "{field}: {out:?}");
    }
    // A missing or an extra key.
    for ours in [r#"{"a":null}"#, r#"{"a":null,"b":"1","c":"2"}"#] {
        let ours: Value = serde_json::from_str(ours).unwrap();
        let mut out = Vec::new();
        diff(
            "",
            &serde_json::json!({"a": null, "b": "1"}),
            &ours,
            &mut out,
        );
        assert_eq!(out.len(), 1, "{out:?}");
    }
}
