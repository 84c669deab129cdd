//! A blocking CometBFT RPC client (JSON-RPC over HTTP/1.0) that decodes answers into
//! `ferry-verifier` types. Bad answers are errors, never panics.

use std::time::{Duration, Instant};

use ferry_verifier::bisect::LightBlockSource;
use ferry_verifier::de::{CommitResponse, ValidatorsPage};
use ferry_verifier::proof::ProofOp;
use ferry_verifier::{Hash, Height, LightBlock, ValidatorSet};
use serde_json::Value;

use crate::encoding::{base64_decode, base64_encode, hex_encode};
use crate::http::{self, percent_encode, Url};
use crate::Error;

/// A CometBFT RPC endpoint.
#[derive(Clone, Debug)]
pub struct RpcClient {
    url: String,
    parsed: Url,
    timeout: Duration,
    per_page: u32,
}

/// The parts of `/status` tests need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The chain id (`node_info.network`).
    pub network: String,
    /// `sync_info.latest_block_height`.
    pub latest_block_height: u64,
    /// `sync_info.latest_block_hash` (hex).
    pub latest_block_hash: String,
    /// `sync_info.latest_app_hash` (hex).
    pub latest_app_hash: String,
    /// `sync_info.catching_up`.
    pub catching_up: bool,
}

/// An `abci_query` answer (`result.response`).
#[derive(Clone, Debug)]
pub struct AbciQuery {
    /// ABCI code (0 is OK).
    pub code: u32,
    /// ABCI log.
    pub log: String,
    /// The key queried.
    pub key: Vec<u8>,
    /// The value (`None` when absent).
    pub value: Option<Vec<u8>>,
    /// The height the answer is for (its proof is against the app hash of the header at
    /// `height + 1`).
    pub height: u64,
    /// The proof ops (empty without `prove`).
    pub proof_ops: Vec<ProofOp>,
    /// The whole JSON-RPC `result`, as the node sent it.
    pub raw: Value,
}

/// A committed transaction (`broadcast_tx_commit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxCommit {
    /// The block it was committed in.
    pub height: u64,
    /// Its hash (hex).
    pub hash: String,
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// A JSON integer given as a number or a decimal string.
fn int(v: Option<&Value>) -> Option<i128> {
    match v? {
        Value::Number(n) => n.as_i64().map(i128::from),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

impl RpcClient {
    /// A client for `url` (`http://HOST:PORT`), with a 10 s timeout per request and 100
    /// validators per `/validators` page.
    pub fn new(url: &str) -> Result<RpcClient, Error> {
        let parsed = Url::parse(url).map_err(|e| Error::Http {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        Ok(RpcClient {
            url: url.trim_end_matches('/').to_string(),
            parsed,
            timeout: Duration::from_secs(10),
            per_page: 100,
        })
    }

    /// The same client with another timeout per request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same client asking for `per_page` validators per `/validators` page (CometBFT
    /// allows 1 to 100).
    pub fn with_per_page(mut self, per_page: u32) -> Self {
        self.per_page = per_page.clamp(1, 100);
        self
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn bad(&self, method: &str, reason: impl Into<String>) -> Error {
        Error::BadAnswer {
            url: self.url.clone(),
            method: method.to_string(),
            reason: reason.into(),
        }
    }

    /// The `result` of a JSON-RPC answer body, or the error it carries.
    fn result(&self, method: &str, response: http::Response) -> Result<Value, Error> {
        let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
            let text = String::from_utf8_lossy(&response.body);
            let text: String = text.chars().take(300).collect();
            self.bad(
                method,
                format!(
                    "HTTP {} with a body that is not JSON ({e}): {text}",
                    response.status
                ),
            )
        })?;
        if let Some(err) = body.get("error").filter(|e| !e.is_null()) {
            let text = |k: &str| match err.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(v) if !v.is_null() => v.to_string(),
                _ => String::new(),
            };
            return Err(Error::Rpc {
                url: self.url.clone(),
                method: method.to_string(),
                code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: text("message"),
                data: text("data"),
            });
        }
        match body.get("result") {
            Some(r) if response.status == 200 => Ok(r.clone()),
            _ => Err(self.bad(method, format!("HTTP {} without a result", response.status))),
        }
    }

    /// `GET /method?args` (values are percent-encoded here); the JSON-RPC `result`.
    pub fn call(&self, method: &str, args: &[(&str, String)]) -> Result<Value, Error> {
        let mut path = format!("/{method}");
        for (i, (k, v)) in args.iter().enumerate() {
            path.push(if i == 0 { '?' } else { '&' });
            path.push_str(k);
            path.push('=');
            path.push_str(&percent_encode(v));
        }
        let response = http::get(&self.parsed, &path, self.timeout).map_err(|e| Error::Http {
            url: format!("{}{path}", self.url),
            reason: e.to_string(),
        })?;
        self.result(method, response)
    }

    /// A JSON-RPC 2.0 `POST` of `method` with `params`; the `result`.
    pub fn call_post(&self, method: &str, params: Value) -> Result<Value, Error> {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let response = http::post(
            &self.parsed,
            "/",
            "application/json",
            body.to_string().as_bytes(),
            self.timeout,
        )
        .map_err(|e| Error::Http {
            url: self.url.clone(),
            reason: e.to_string(),
        })?;
        self.result(method, response)
    }

    /// `/status`.
    pub fn status(&self) -> Result<Status, Error> {
        let r = self.call("status", &[])?;
        let s = |path: &[&str]| get(&r, path).and_then(Value::as_str).map(str::to_string);
        let height = int(get(&r, &["sync_info", "latest_block_height"]))
            .and_then(|h| u64::try_from(h).ok())
            .ok_or_else(|| self.bad("status", "no sync_info.latest_block_height"))?;
        Ok(Status {
            network: s(&["node_info", "network"])
                .ok_or_else(|| self.bad("status", "no node_info.network"))?,
            latest_block_height: height,
            latest_block_hash: s(&["sync_info", "latest_block_hash"]).unwrap_or_default(),
            latest_app_hash: s(&["sync_info", "latest_app_hash"]).unwrap_or_default(),
            catching_up: get(&r, &["sync_info", "catching_up"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// Polls `/status` until the latest height is at least `height`; returns it.
    pub fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<u64, Error> {
        let start = Instant::now();
        loop {
            let last = match self.status() {
                Ok(s) if s.latest_block_height >= height => return Ok(s.latest_block_height),
                Ok(s) => format!("height {}", s.latest_block_height),
                Err(e) => e.to_string(),
            };
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    what: format!("{} to reach height {height} (last: {last})", self.url),
                    waited: start.elapsed(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn decode<T: for<'de> serde::Deserialize<'de>>(
        &self,
        method: &str,
        value: &Value,
    ) -> Result<T, Error> {
        serde_path_to_error::deserialize(value)
            .map_err(|e| self.bad(method, format!("at {}: {}", e.path(), e.inner())))
    }

    /// `/commit?height=H`: the signed header (and whether the commit is canonical).
    pub fn commit<const N: usize>(&self, height: u64) -> Result<Box<CommitResponse<N>>, Error> {
        let r = self.call("commit", &[("height", height.to_string())])?;
        let c: CommitResponse<N> = self.decode("commit", &r)?;
        if c.signed_header.header.height.value() != height {
            return Err(self.bad(
                "commit",
                format!(
                    "asked for height {height}, got {}",
                    c.signed_header.header.height
                ),
            ));
        }
        Ok(Box::new(c))
    }

    /// Every page of `/validators?height=H`, `per_page` at a time.
    pub fn validator_pages<const N: usize>(
        &self,
        height: u64,
    ) -> Result<Vec<ValidatorsPage<N>>, Error> {
        let mut pages: Vec<ValidatorsPage<N>> = Vec::new();
        let mut seen = 0u64;
        for page in 1..=u64::from(u32::MAX) {
            let r = self.call(
                "validators",
                &[
                    ("height", height.to_string()),
                    ("page", page.to_string()),
                    ("per_page", self.per_page.to_string()),
                ],
            )?;
            let p: ValidatorsPage<N> = self.decode("validators", &r)?;
            if p.block_height.value() != height {
                return Err(self.bad(
                    "validators",
                    format!("asked for height {height}, got {}", p.block_height),
                ));
            }
            seen = seen.saturating_add(p.count);
            let (total, count) = (p.total, p.count);
            pages.push(p);
            if seen >= total || count == 0 {
                break;
            }
        }
        Ok(pages)
    }

    /// The validator set at `height`: every `/validators` page, joined with
    /// [`ValidatorSet::from_pages`].
    pub fn validators<const N: usize>(&self, height: u64) -> Result<ValidatorSet<N>, Error> {
        let pages = self.validator_pages::<N>(height)?;
        ValidatorSet::from_pages(&pages).map_err(|e| self.bad("validators", e.to_string()))
    }

    /// The light block at `height`: `/commit` at `height`, and the validator sets at `height`
    /// and `height + 1`.
    pub fn light_block<const N: usize>(&self, height: u64) -> Result<Box<LightBlock<N>>, Error> {
        let commit = self.commit::<N>(height)?;
        let validators = self.validators::<N>(height)?;
        let next_validators = self.validators::<N>(height.saturating_add(1))?;
        Ok(Box::new(LightBlock {
            signed_header: commit.signed_header,
            validators,
            next_validators,
        }))
    }

    /// The block id hash `/block?height=H` reports.
    pub fn block_hash(&self, height: u64) -> Result<Hash, Error> {
        let r = self.call("block", &[("height", height.to_string())])?;
        let h =
            get(&r, &["block_id", "hash"]).ok_or_else(|| self.bad("block", "no block_id.hash"))?;
        self.decode("block", h)
    }

    /// `abci_query` of `path` (e.g. `store/bank/key`) with `data`, at `height` (latest when
    /// `None`), with proofs when `prove`.
    pub fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: Option<u64>,
        prove: bool,
    ) -> Result<AbciQuery, Error> {
        let mut args = vec![
            ("path", format!("\"{path}\"")),
            ("data", format!("0x{}", hex_encode(data))),
            ("prove", prove.to_string()),
        ];
        if let Some(h) = height {
            args.push(("height", h.to_string()));
        }
        let raw = self.call("abci_query", &args)?;
        let m = "abci_query";
        let r = raw
            .get("response")
            .ok_or_else(|| self.bad(m, "no response"))?;
        let bytes = |k: &str| -> Result<Option<Vec<u8>>, Error> {
            match r.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => base64_decode(s)
                    .map(Some)
                    .map_err(|e| self.bad(m, format!("response.{k}: {e}"))),
                Some(v) => Err(self.bad(m, format!("response.{k} is {v}, not base64"))),
            }
        };
        let proof_ops: Vec<ProofOp> = match get(r, &["proofOps", "ops"]) {
            None | Some(Value::Null) => Vec::new(),
            Some(ops) => serde_path_to_error::deserialize(ops).map_err(|e| {
                self.bad(
                    m,
                    format!("at response.proofOps.ops{}: {}", e.path(), e.inner()),
                )
            })?,
        };
        Ok(AbciQuery {
            code: int(r.get("code"))
                .map_or(Ok(0), u32::try_from)
                .map_err(|_| self.bad(m, "response.code out of range"))?,
            log: r
                .get("log")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            key: bytes("key")?.unwrap_or_default(),
            value: bytes("value")?,
            height: int(r.get("height"))
                .and_then(|h| u64::try_from(h).ok())
                .ok_or_else(|| self.bad(m, "no response.height"))?,
            proof_ops,
            raw,
        })
    }

    /// `broadcast_tx_commit` (a JSON-RPC POST): waits until the transaction is in a block;
    /// [`Error::TxRefused`] when `check_tx` or its execution fails.
    pub fn broadcast_tx_commit(&self, tx: &[u8]) -> Result<TxCommit, Error> {
        let m = "broadcast_tx_commit";
        let r = self.call_post(m, serde_json::json!({ "tx": base64_encode(tx) }))?;
        for stage in ["check_tx", "tx_result", "deliver_tx"] {
            let Some(res) = r.get(stage) else { continue };
            let code = int(res.get("code")).unwrap_or(0);
            if code != 0 {
                return Err(Error::TxRefused {
                    stage: if stage == "check_tx" {
                        "check_tx"
                    } else {
                        "tx_result"
                    },
                    code: u32::try_from(code).unwrap_or(u32::MAX),
                    log: res.get("log").and_then(Value::as_str).unwrap_or("").into(),
                });
            }
        }
        let height = int(r.get("height"))
            .and_then(|h| u64::try_from(h).ok())
            .filter(|&h| h > 0)
            .ok_or_else(|| self.bad(m, format!("no height in {r}")))?;
        Ok(TxCommit {
            height,
            hash: r.get("hash").and_then(Value::as_str).unwrap_or("").into(),
        })
    }
}

/// Bisection fetches its pivots over RPC.
impl<const N: usize> LightBlockSource<N> for RpcClient {
    type Error = Error;
    fn light_block(&mut self, height: Height) -> Result<Box<LightBlock<N>>, Error> {
        RpcClient::light_block::<N>(self, height.value())
    }
}
