//! Shared helpers for the integration tests: where the shared vectors and fixtures are, and
//! small decoders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

fn shared_dir(env: &str, sub: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared")
            .join(sub)
    });
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!(
            "{} is missing: with CI=true the shared {sub} are required (set {env} to override)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: {} not found (set {env}); not a CI run",
        dir.display()
    );
    None
}

/// `../shared/vectors` (or `$FERRY_VECTORS`); `None` (skip) outside CI when missing.
pub fn vectors() -> Option<PathBuf> {
    shared_dir("FERRY_VECTORS", "vectors")
}

/// `../shared/fixtures` (or `$FERRY_FIXTURES`); `None` (skip) outside CI when missing.
pub fn fixtures() -> Option<PathBuf> {
    shared_dir("FERRY_FIXTURES", "fixtures")
}

/// A vector subdirectory that must exist whenever the vectors do.
pub fn vector_set(sub: &str) -> Option<PathBuf> {
    let d = vectors()?.join(sub);
    assert!(d.is_dir(), "vector set {} is missing", d.display());
    Some(d)
}

/// The file `rel` under the vectors; `None` (skip) when it is missing outside CI, a failure
/// under `CI=true`.
pub fn vector_file(rel: &str) -> Option<PathBuf> {
    let path = vectors()?.join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!(
            "conformance vectors missing: {} (set FERRY_VECTORS; CI=true makes this a failure)",
            path.display()
        );
    }
    eprintln!("SKIP: conformance vectors missing at {}", path.display());
    None
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> T {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de)
        .unwrap_or_else(|e| panic!("decoding {}: {e}", path.display()))
}

pub fn value(path: &Path) -> serde_json::Value {
    read_json(path)
}

/// Decodes a `serde_json::Value` into `T`, naming the failing field.
pub fn from_value<T: DeserializeOwned>(v: &serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| e.to_string())
}

pub fn hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// JSON files below `dir`, sorted, recursively.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
