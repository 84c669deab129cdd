//! An async CometBFT RPC client (JSON-RPC 2.0 over HTTP POST, on `reqwest` and `tokio`) that
//! decodes answers into `ferry-verifier` types.
//!
//! Nothing here is trusted: a light block fetched here must be verified (by [`crate::light`])
//! and a state answer proven against a verified app hash before it is used. What this module
//! does check is *form*: every answer must be a JSON-RPC answer to the request sent, decode
//! into the type the method returns, and be for the height asked for; paginated validator
//! sets must add up. Anything else is an [`RpcError`] naming the URL, the method and what was
//! wrong. No answer, however malformed, makes it panic.
//!
//! Transient failures (connection refused or reset, timeouts, HTTP 5xx or 429 without a
//! JSON-RPC answer) are retried with exponential backoff ([`RpcConfig::retries`]); definite
//! answers (a JSON-RPC error, a malformed body, the wrong height) are returned at once.
//! Broadcasts are retried only when the request never reached the node (a connection that
//! could not be made): a timed-out `broadcast_tx_*` may have been delivered, and a second
//! copy would only meet the node's `tx already exists in cache`.
//!
//! TLS (`https://` URLs) is rustls with the `ring` provider given explicitly and the system's
//! root certificates; HTTP/1.1 only, no proxy from the environment.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ferry::rpc::{RpcClient, RpcConfig};
//! use ferry_verifier::Height;
//!
//! let rpc = RpcClient::new("http://127.0.0.1:26657", RpcConfig::default())?;
//! let status = rpc.status().await?;
//! let h = Height::new(status.latest_block_height)?;
//! // Unverified: hand it to the light client (`ferry::light`).
//! let block = rpc.light_block::<32>(h).await?;
//! # let _ = block; Ok(()) }
//! ```

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferry_verifier::de::{CommitResponse, ValidatorsPage};
use ferry_verifier::evidence::Evidence;
use ferry_verifier::proof::ProofOp;
use ferry_verifier::types::{decode_base64_into, decode_hex_into};
use ferry_verifier::{BlockId, ChainId, Hash, Header, Height, LightBlock, Time, ValidatorSet};
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::{json, Value};

/// Settings of an [`RpcClient`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcConfig {
    /// Time allowed for one request, answer body included (default 10 s).
    pub timeout: Duration,
    /// Time allowed for `broadcast_tx_commit`, which waits for a block (default 30 s; a
    /// CometBFT node gives up after its own `timeout_broadcast_tx_commit`, 10 s by default).
    pub commit_timeout: Duration,
    /// How many times a transient failure is retried (default 3: four attempts in all).
    pub retries: u32,
    /// Wait before the first retry, doubled before each next one (default 250 ms).
    pub backoff: Duration,
    /// Longest wait between two attempts (default 5 s).
    pub max_backoff: Duration,
    /// Validators asked for per `/validators` page (1 to 100; default 100, CometBFT's
    /// maximum).
    pub per_page: u32,
    /// Largest answer body accepted, in bytes (default 64 MiB).
    pub max_body: usize,
    /// Most pages read by one paginated call (`tx_search`; default 100).
    pub max_pages: u32,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            timeout: Duration::from_secs(10),
            commit_timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
            per_page: 100,
            max_body: 64 << 20,
            max_pages: 100,
        }
    }
}

impl RpcConfig {
    /// The wait before retry number `retry` (1 for the first): `backoff * 2^(retry - 1)`,
    /// at most `max_backoff`.
    pub fn backoff_before(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// A failed RPC call: where, which method, after how many attempts, and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    /// The endpoint.
    pub url: String,
    /// The JSON-RPC method (`commit`, `validators`, ...).
    pub method: &'static str,
    /// How many requests were made (retries included; 0 when none could be).
    pub attempts: u32,
    /// What went wrong.
    pub kind: RpcErrorKind,
}

/// What went wrong in an RPC call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RpcErrorKind {
    /// The URL is not an `http://` or `https://` URL, or the HTTP client could not be set up.
    InvalidUrl {
        /// Why.
        reason: String,
    },
    /// No connection could be made (refused, unreachable, DNS, TLS handshake).
    Connect {
        /// The transport's reason.
        reason: String,
    },
    /// No complete answer within the time allowed.
    Timeout {
        /// The time allowed per request.
        after: Duration,
    },
    /// The connection failed mid-exchange (reset, closed early, a broken body).
    Transport {
        /// The transport's reason.
        reason: String,
    },
    /// An HTTP status other than 200 without a JSON-RPC answer in the body.
    HttpStatus {
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer body exceeds [`RpcConfig::max_body`].
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not JSON (garbage, or JSON cut short).
    NotJson {
        /// The JSON parser's reason (with line and column).
        reason: String,
        /// The start of the body.
        body: String,
    },
    /// JSON, but not a JSON-RPC answer to this request (no `result` or `error`, another id).
    NotJsonRpc {
        /// What is missing or wrong.
        reason: String,
    },
    /// The node answered with a JSON-RPC error (a definite answer: not retried).
    Rpc {
        /// JSON-RPC error code (`-32603` internal error, `-32602` invalid params, ...).
        code: i64,
        /// The message.
        message: String,
        /// The details (`data`), where CometBFT puts the actual reason.
        data: String,
    },
    /// The `result` does not decode into what the method returns.
    BadResult {
        /// JSON path of the bad field, from `result` (`signed_header.commit.signatures[2]`).
        path: String,
        /// Why it is bad.
        reason: String,
    },
    /// The answer is for another height than the one asked for.
    WrongHeight {
        /// The height asked for.
        requested: u64,
        /// The height in the answer.
        returned: u64,
    },
    /// The pages of a paginated answer do not form one whole.
    InconsistentPages {
        /// What disagrees (with the height, for validator sets).
        reason: String,
    },
    /// The request cannot be made (a height without a next one, ...).
    InvalidRequest {
        /// Why.
        reason: String,
    },
}

impl RpcErrorKind {
    /// Whether trying again may help: no connection, a timeout, a broken exchange, or HTTP
    /// 5xx/429/408 without a JSON-RPC answer. A definite answer (a JSON-RPC error, a malformed
    /// or inconsistent body) is not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            RpcErrorKind::Connect { .. }
            | RpcErrorKind::Timeout { .. }
            | RpcErrorKind::Transport { .. } => true,
            RpcErrorKind::HttpStatus { status, .. } => {
                *status >= 500 || *status == 429 || *status == 408
            }
            _ => false,
        }
    }
}

impl fmt::Display for RpcErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcErrorKind::InvalidUrl { reason } => write!(f, "invalid RPC URL: {reason}"),
            RpcErrorKind::Connect { reason } => write!(f, "cannot connect: {reason}"),
            RpcErrorKind::Timeout { after } => write!(f, "no answer within {after:?}"),
            RpcErrorKind::Transport { reason } => write!(f, "connection failed: {reason}"),
            RpcErrorKind::HttpStatus { status, body } => {
                write!(f, "HTTP {status} without a JSON-RPC answer: {body:?}")
            }
            RpcErrorKind::TooLarge { limit } => {
                write!(f, "answer larger than the {limit}-byte limit")
            }
            RpcErrorKind::NotJson { reason, body } => {
                write!(f, "malformed JSON ({reason}): {body:?}")
            }
            RpcErrorKind::NotJsonRpc { reason } => write!(f, "not a JSON-RPC answer: {reason}"),
            RpcErrorKind::Rpc {
                code,
                message,
                data,
            } => write!(f, "RPC error {code} ({message}): {data}"),
            RpcErrorKind::BadResult { path, reason } => {
                write!(f, "unexpected answer at result.{path}: {reason}")
            }
            RpcErrorKind::WrongHeight {
                requested,
                returned,
            } => write!(
                f,
                "asked for height {requested}, the answer is for height {returned}"
            ),
            RpcErrorKind::InconsistentPages { reason } => {
                write!(f, "the pages do not form one answer: {reason}")
            }
            RpcErrorKind::InvalidRequest { reason } => write!(f, "invalid request: {reason}"),
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.url, self.method, self.kind)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for RpcError {}

/// Which failures a call may retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Retry {
    /// Every transient failure (queries: asking twice changes nothing).
    Transient,
    /// Only a connection that could not be made (the request never reached the node).
    ConnectOnly,
}

/// `/status`: the parts a relayer needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The chain id (`node_info.network`).
    pub chain_id: ChainId,
    /// The node's id (`node_info.id`).
    pub node_id: String,
    /// The node's CometBFT version (`node_info.version`).
    pub version: String,
    /// `sync_info.latest_block_height` (0 before the first block).
    pub latest_block_height: u64,
    /// `sync_info.latest_block_hash`.
    pub latest_block_hash: Hash,
    /// `sync_info.latest_app_hash`.
    pub latest_app_hash: Vec<u8>,
    /// `sync_info.latest_block_time`.
    pub latest_block_time: Time,
    /// `sync_info.earliest_block_height`: the lowest height the node still has (pruning).
    pub earliest_block_height: u64,
    /// `sync_info.catching_up`: the node is still syncing.
    pub catching_up: bool,
}

/// An ABCI event (`type` and its attributes), as `block_results`, `tx` and `tx_search` carry
/// them (CometBFT v0.37 and later: attributes as plain strings).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Event {
    /// The event type (`send_packet`, `message`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its attributes, in order.
    #[serde(default, deserialize_with = "null_default")]
    pub attributes: Vec<EventAttribute>,
}

impl Event {
    /// The value of the first attribute named `key`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// One attribute of an [`Event`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct EventAttribute {
    /// Its key.
    #[serde(default, deserialize_with = "null_default")]
    pub key: String,
    /// Its value.
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
    /// Whether the node indexes it (searchable with `tx_search`).
    #[serde(default)]
    pub index: bool,
}

/// The result of running or checking one transaction (`ExecTxResult`, `ResponseCheckTx`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TxResult {
    /// ABCI code: 0 is success.
    #[serde(default, deserialize_with = "de_u32")]
    pub code: u32,
    /// The module that set a non-zero code (`sdk`, `ibc`, ...).
    #[serde(default, deserialize_with = "null_default")]
    pub codespace: String,
    /// The log (the reason, for a failure).
    #[serde(default, deserialize_with = "null_default")]
    pub log: String,
    /// Result data.
    #[serde(default, deserialize_with = "de_base64")]
    pub data: Vec<u8>,
    /// Gas asked for.
    #[serde(default, deserialize_with = "de_i64")]
    pub gas_wanted: i64,
    /// Gas used.
    #[serde(default, deserialize_with = "de_i64")]
    pub gas_used: i64,
    /// Events emitted.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<Event>,
}

/// A transaction included in a block (`tx`, an item of `tx_search`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TxInfo {
    /// Its hash (sha256 of the bytes).
    #[serde(deserialize_with = "de_hash")]
    pub hash: Hash,
    /// The block it is in.
    pub height: Height,
    /// Its position in the block.
    #[serde(default, deserialize_with = "de_u32")]
    pub index: u32,
    /// How it ran.
    pub tx_result: TxResult,
    /// The transaction bytes.
    #[serde(default, deserialize_with = "de_base64")]
    pub tx: Vec<u8>,
}

/// One page of `tx_search`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TxSearchPage {
    /// The transactions on this page.
    #[serde(default, deserialize_with = "null_default")]
    pub txs: Vec<TxInfo>,
    /// How many match in all.
    #[serde(deserialize_with = "de_u64")]
    pub total_count: u64,
}

/// `block_results`: how each transaction of a block ran, and the block's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockResults {
    /// The block's height.
    pub height: Height,
    /// One result per transaction, in block order.
    pub txs_results: Vec<TxResult>,
    /// Events of the block itself (`finalize_block_events`; for CometBFT v0.37 and earlier,
    /// `begin_block_events` then `end_block_events`).
    pub block_events: Vec<Event>,
}

/// `block`: the block id, the header and the transactions of a block (unverified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The block id (the header's hash, if the node is honest).
    pub block_id: BlockId,
    /// The header.
    pub header: Header,
    /// The transactions.
    pub txs: Vec<Vec<u8>>,
    /// The evidence in the block, as CometBFT's JSON.
    pub evidence: Vec<Value>,
}

/// `abci_query`: an application's answer and, when asked for, its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbciQuery {
    /// ABCI code: 0 is success.
    pub code: u32,
    /// The module that set a non-zero code.
    pub codespace: String,
    /// The log.
    pub log: String,
    /// The key the answer is for (raw store queries).
    pub key: Vec<u8>,
    /// The value (empty when absent).
    pub value: Vec<u8>,
    /// The height of the state answered from; its proof is against the app hash in the
    /// header at `height + 1`.
    pub height: u64,
    /// The proof ops, innermost store first (empty without `prove`).
    pub proof_ops: Vec<ProofOp>,
}

/// `broadcast_tx_sync`: the node's `check_tx` verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxSync {
    /// The transaction hash.
    pub hash: Hash,
    /// `check_tx`'s code, log and codespace (0: accepted into the mempool).
    pub check_tx: TxResult,
}

/// `broadcast_tx_commit`: `check_tx`, and the result in the block that included it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxCommit {
    /// The transaction hash.
    pub hash: Hash,
    /// The block that included it (0 when `check_tx` refused it).
    pub height: u64,
    /// `check_tx`'s verdict.
    pub check_tx: TxResult,
    /// How it ran in the block.
    pub tx_result: TxResult,
}

/// Order of `tx_search` results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// Lowest height first.
    #[default]
    Ascending,
    /// Highest height first.
    Descending,
}

/// An async CometBFT RPC endpoint. Cheap to clone (clones share connections).
#[derive(Clone, Debug)]
pub struct RpcClient {
    url: Arc<str>,
    http: reqwest::Client,
    config: RpcConfig,
    next_id: Arc<AtomicU64>,
}

impl RpcClient {
    /// A client for `url` (`http://HOST:PORT`, `https://...`; CometBFT's `tcp://` is read as
    /// `http://`).
    pub fn new(url: &str, config: RpcConfig) -> Result<RpcClient, RpcError> {
        let invalid = |reason: String| RpcError {
            url: url.to_string(),
            method: "",
            attempts: 0,
            kind: RpcErrorKind::InvalidUrl { reason },
        };
        let url = match url.strip_prefix("tcp://") {
            Some(rest) => format!("http://{rest}"),
            None => url.to_string(),
        };
        let parsed = reqwest::Url::parse(&url).map_err(|e| invalid(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(invalid(format!(
                "{url}: expected http://HOST:PORT or https://HOST[:PORT][/PATH]"
            )));
        }
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config().map_err(&invalid)?)
            .no_proxy()
            .timeout(config.timeout.max(config.commit_timeout))
            .build()
            .map_err(|e| invalid(error_chain(&e)))?;
        Ok(RpcClient {
            url: url.into(),
            http,
            config,
            next_id: Arc::new(AtomicU64::new(1)),
        })
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The settings.
    pub fn config(&self) -> &RpcConfig {
        &self.config
    }

    fn error(&self, method: &'static str, attempts: u32, kind: RpcErrorKind) -> RpcError {
        RpcError {
            url: self.url.to_string(),
            method,
            attempts,
            kind,
        }
    }

    /// Calls `method` with `params`; the JSON-RPC `result`, retried as `retry` allows.
    async fn call_value(
        &self,
        method: &'static str,
        params: Value,
        timeout: Duration,
        retry: Retry,
    ) -> Result<(Value, u32), RpcError> {
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            match self.exchange(id, body.to_string(), timeout).await {
                Ok(result) => return Ok((result, attempt)),
                Err(kind) => {
                    let retriable = match retry {
                        Retry::Transient => kind.is_transient(),
                        Retry::ConnectOnly => matches!(kind, RpcErrorKind::Connect { .. }),
                    };
                    if !retriable || attempt > self.config.retries {
                        return Err(self.error(method, attempt, kind));
                    }
                    tokio::time::sleep(self.config.backoff_before(attempt)).await;
                }
            }
        }
    }

    /// One request and its answer: the `result`, or what was wrong.
    async fn exchange(
        &self,
        id: u64,
        body: String,
        timeout: Duration,
    ) -> Result<Value, RpcErrorKind> {
        let transport = |e: reqwest::Error| classify(&e, timeout);
        let mut response = self
            .http
            .post(&*self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let limit = self.config.max_body;
        if response
            .content_length()
            .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            return Err(RpcErrorKind::TooLarge { limit });
        }
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len().saturating_add(chunk.len()) > limit {
                return Err(RpcErrorKind::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        parse_answer(id, status, &bytes)
    }

    /// Calls `method` and decodes its `result` as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<T, RpcError> {
        let (value, attempts) = self
            .call_value(method, params, self.config.timeout, Retry::Transient)
            .await?;
        decode(&value).map_err(|kind| self.error(method, attempts, kind))
    }

    /// `status`.
    pub async fn status(&self) -> Result<Status, RpcError> {
        #[derive(Deserialize)]
        struct NodeInfo {
            network: ChainId,
            #[serde(default)]
            id: String,
            #[serde(default)]
            version: String,
        }
        #[derive(Deserialize)]
        struct SyncInfo {
            #[serde(deserialize_with = "de_u64")]
            latest_block_height: u64,
            #[serde(default, deserialize_with = "de_hash")]
            latest_block_hash: Hash,
            #[serde(default, deserialize_with = "de_hex")]
            latest_app_hash: Vec<u8>,
            latest_block_time: Time,
            #[serde(default, deserialize_with = "de_u64")]
            earliest_block_height: u64,
            #[serde(default)]
            catching_up: bool,
        }
        #[derive(Deserialize)]
        struct Raw {
            node_info: NodeInfo,
            sync_info: SyncInfo,
        }
        let r: Raw = self.call("status", json!({})).await?;
        Ok(Status {
            chain_id: r.node_info.network,
            node_id: r.node_info.id,
            version: r.node_info.version,
            latest_block_height: r.sync_info.latest_block_height,
            latest_block_hash: r.sync_info.latest_block_hash,
            latest_app_hash: r.sync_info.latest_app_hash,
            latest_block_time: r.sync_info.latest_block_time,
            earliest_block_height: r.sync_info.earliest_block_height,
            catching_up: r.sync_info.catching_up,
        })
    }

    /// `commit` at `height` (the latest when `None`): the signed header, checked to be for
    /// that height.
    pub async fn commit<const N: usize>(
        &self,
        height: Option<Height>,
    ) -> Result<Box<CommitResponse<N>>, RpcError> {
        let m = "commit";
        let params = match height {
            Some(h) => json!({ "height": h.value().to_string() }),
            None => json!({}),
        };
        let (value, attempts) = self
            .call_value(m, params, self.config.timeout, Retry::Transient)
            .await?;
        let c: CommitResponse<N> = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        let got = c.signed_header.header.height;
        if let Some(h) = height {
            if got != h || c.signed_header.commit.height != h {
                let returned = if got != h {
                    got
                } else {
                    c.signed_header.commit.height
                };
                return Err(self.error(
                    m,
                    attempts,
                    RpcErrorKind::WrongHeight {
                        requested: h.value(),
                        returned: returned.value(),
                    },
                ));
            }
        }
        Ok(Box::new(c))
    }

    /// Every page of `validators` at `height`, [`RpcConfig::per_page`] at a time, each
    /// checked to be for that height and to agree on the total.
    pub async fn validator_pages<const N: usize>(
        &self,
        height: Height,
    ) -> Result<Vec<ValidatorsPage<N>>, RpcError> {
        let m = "validators";
        let per_page = self.config.per_page.clamp(1, 100);
        let inconsistent = |attempts, reason: String| {
            self.error(
                m,
                attempts,
                RpcErrorKind::InconsistentPages {
                    reason: format!("validators at height {height}: {reason}"),
                },
            )
        };
        let mut pages: Vec<ValidatorsPage<N>> = Vec::new();
        let mut seen: u64 = 0;
        let mut page: u64 = 1;
        loop {
            let (value, attempts) = self
                .call_value(
                    m,
                    json!({
                        "height": height.value().to_string(),
                        "page": page.to_string(),
                        "per_page": per_page.to_string(),
                    }),
                    self.config.timeout,
                    Retry::Transient,
                )
                .await?;
            let p: ValidatorsPage<N> = decode(&value).map_err(|k| self.error(m, attempts, k))?;
            if p.block_height != height {
                return Err(self.error(
                    m,
                    attempts,
                    RpcErrorKind::WrongHeight {
                        requested: height.value(),
                        returned: p.block_height.value(),
                    },
                ));
            }
            let total = pages.first().map_or(p.total, |first| first.total);
            if p.total != total {
                return Err(inconsistent(
                    attempts,
                    format!(
                        "page 1 says {total} validators in all, page {page} says {}",
                        p.total
                    ),
                ));
            }
            if p.validators.is_empty() {
                return Err(inconsistent(
                    attempts,
                    format!("page {page} is empty after {seen} of {total} validators"),
                ));
            }
            seen = seen.saturating_add(p.validators.len() as u64);
            if seen > total {
                return Err(inconsistent(
                    attempts,
                    format!("{seen} validators on pages 1..={page}, more than the total {total}"),
                ));
            }
            pages.push(p);
            if seen == total {
                return Ok(pages);
            }
            page = page.saturating_add(1);
        }
    }

    /// The validator set at `height`: every page, joined with
    /// [`ValidatorSet::from_pages`] (no validator twice, the pages adding up).
    pub async fn validators<const N: usize>(
        &self,
        height: Height,
    ) -> Result<ValidatorSet<N>, RpcError> {
        let pages = self.validator_pages::<N>(height).await?;
        ValidatorSet::from_pages(&pages).map_err(|e| {
            self.error(
                "validators",
                1,
                RpcErrorKind::InconsistentPages {
                    reason: format!("validators at height {height}: {e}"),
                },
            )
        })
    }

    /// The light block at `height` (unverified): `commit` at `height` and the validator sets
    /// at `height` and `height + 1`.
    pub async fn light_block<const N: usize>(
        &self,
        height: Height,
    ) -> Result<Box<LightBlock<N>>, RpcError> {
        let next = height.increment().ok_or_else(|| {
            self.error(
                "validators",
                0,
                RpcErrorKind::InvalidRequest {
                    reason: format!("height {height} has no next height"),
                },
            )
        })?;
        let commit = self.commit::<N>(Some(height)).await?;
        let validators = self.validators::<N>(height).await?;
        let next_validators = self.validators::<N>(next).await?;
        Ok(Box::new(LightBlock {
            signed_header: commit.signed_header,
            validators,
            next_validators,
        }))
    }

    /// `block` at `height` (the latest when `None`), checked to be for that height.
    pub async fn block(&self, height: Option<Height>) -> Result<Block, RpcError> {
        #[derive(Deserialize)]
        struct Data {
            #[serde(default, deserialize_with = "de_base64_list")]
            txs: Vec<Vec<u8>>,
        }
        #[derive(Deserialize)]
        struct EvidenceList {
            #[serde(default, deserialize_with = "null_default")]
            evidence: Vec<Value>,
        }
        #[derive(Deserialize)]
        struct RawBlock {
            header: Header,
            data: Data,
            #[serde(default, deserialize_with = "null_default")]
            evidence: Option<EvidenceList>,
        }
        #[derive(Deserialize)]
        struct Raw {
            block_id: BlockId,
            block: RawBlock,
        }
        let m = "block";
        let params = match height {
            Some(h) => json!({ "height": h.value().to_string() }),
            None => json!({}),
        };
        let (value, attempts) = self
            .call_value(m, params, self.config.timeout, Retry::Transient)
            .await?;
        let r: Raw = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        check_height(height, r.block.header.height).map_err(|k| self.error(m, attempts, k))?;
        Ok(Block {
            block_id: r.block_id,
            header: r.block.header,
            txs: r.block.data.txs,
            evidence: r.block.evidence.map(|e| e.evidence).unwrap_or_default(),
        })
    }

    /// `block_results` at `height`, checked to be for that height.
    pub async fn block_results(&self, height: Height) -> Result<BlockResults, RpcError> {
        #[derive(Deserialize)]
        struct Raw {
            height: Height,
            #[serde(default, deserialize_with = "null_default")]
            txs_results: Vec<TxResult>,
            #[serde(default, deserialize_with = "null_default")]
            finalize_block_events: Vec<Event>,
            #[serde(default, deserialize_with = "null_default")]
            begin_block_events: Vec<Event>,
            #[serde(default, deserialize_with = "null_default")]
            end_block_events: Vec<Event>,
        }
        let m = "block_results";
        let (value, attempts) = self
            .call_value(
                m,
                json!({ "height": height.value().to_string() }),
                self.config.timeout,
                Retry::Transient,
            )
            .await?;
        let r: Raw = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        check_height(Some(height), r.height).map_err(|k| self.error(m, attempts, k))?;
        let mut block_events = r.begin_block_events;
        block_events.extend(r.finalize_block_events);
        block_events.extend(r.end_block_events);
        Ok(BlockResults {
            height: r.height,
            txs_results: r.txs_results,
            block_events,
        })
    }

    /// One page of `tx_search` for `query` (CometBFT's query language:
    /// `send_packet.packet_src_channel='channel-0' AND tx.height>=5`).
    pub async fn tx_search_page(
        &self,
        query: &str,
        page: u32,
        per_page: u32,
        order: Order,
    ) -> Result<TxSearchPage, RpcError> {
        self.call(
            "tx_search",
            json!({
                "query": query,
                "prove": false,
                "page": page.max(1).to_string(),
                "per_page": per_page.clamp(1, 100).to_string(),
                "order_by": match order {
                    Order::Ascending => "asc",
                    Order::Descending => "desc",
                },
            }),
        )
        .await
    }

    /// Every transaction matching `query`, page after page (at most
    /// [`RpcConfig::max_pages`] pages of [`RpcConfig::per_page`]); the pages must agree on
    /// the count and add up to it.
    pub async fn tx_search(&self, query: &str, order: Order) -> Result<Vec<TxInfo>, RpcError> {
        let per_page = self.config.per_page.clamp(1, 100);
        let mut txs: Vec<TxInfo> = Vec::new();
        let mut total: Option<u64> = None;
        for page in 1..=self.config.max_pages.max(1) {
            let p = self.tx_search_page(query, page, per_page, order).await?;
            let inconsistent = |reason: String| {
                self.error(
                    "tx_search",
                    1,
                    RpcErrorKind::InconsistentPages {
                        reason: format!("tx_search {query:?}: {reason}"),
                    },
                )
            };
            let expected = *total.get_or_insert(p.total_count);
            if p.total_count != expected {
                return Err(inconsistent(format!(
                    "page 1 counts {expected} transactions, page {page} counts {}",
                    p.total_count
                )));
            }
            let got = p.txs.len();
            txs.extend(p.txs);
            if txs.len() as u64 > expected {
                return Err(inconsistent(format!(
                    "{} transactions on pages 1..={page}, more than the count {expected}",
                    txs.len()
                )));
            }
            if txs.len() as u64 == expected {
                return Ok(txs);
            }
            if got == 0 {
                return Err(inconsistent(format!(
                    "page {page} is empty after {} of {expected} transactions",
                    txs.len()
                )));
            }
        }
        Ok(txs)
    }

    /// `tx` by hash: the transaction and how it ran (a JSON-RPC error when the node has not
    /// seen it in a block).
    pub async fn tx(&self, hash: &Hash) -> Result<TxInfo, RpcError> {
        let m = "tx";
        let (value, attempts) = self
            .call_value(
                m,
                json!({ "hash": base64_encode(hash.as_bytes()), "prove": false }),
                self.config.timeout,
                Retry::Transient,
            )
            .await?;
        let t: TxInfo = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        if t.hash != *hash {
            return Err(self.error(
                m,
                attempts,
                RpcErrorKind::BadResult {
                    path: "hash".into(),
                    reason: format!("asked for transaction {hash}, got {}", t.hash),
                },
            ));
        }
        Ok(t)
    }

    /// `abci_query` of `path` with `data` at `height` (the latest when `None`), with the
    /// proof ops when `prove`. A non-zero ABCI code is an answer, not an error: check
    /// [`AbciQuery::code`].
    pub async fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: Option<Height>,
        prove: bool,
    ) -> Result<AbciQuery, RpcError> {
        #[derive(Deserialize)]
        struct ProofOps {
            #[serde(default, deserialize_with = "null_default")]
            ops: Vec<ProofOp>,
        }
        #[derive(Deserialize)]
        struct Response {
            #[serde(default, deserialize_with = "de_u32")]
            code: u32,
            #[serde(default, deserialize_with = "null_default")]
            codespace: String,
            #[serde(default, deserialize_with = "null_default")]
            log: String,
            #[serde(default, deserialize_with = "de_base64")]
            key: Vec<u8>,
            #[serde(default, deserialize_with = "de_base64")]
            value: Vec<u8>,
            #[serde(default, deserialize_with = "de_u64")]
            height: u64,
            #[serde(default, rename = "proofOps", deserialize_with = "null_default")]
            proof_ops: Option<ProofOps>,
        }
        #[derive(Deserialize)]
        struct Raw {
            response: Response,
        }
        let m = "abci_query";
        let (value, attempts) = self
            .call_value(
                m,
                json!({
                    "path": path,
                    "data": hex_encode(data),
                    "height": height.map_or(0, |h| h.value()).to_string(),
                    "prove": prove,
                }),
                self.config.timeout,
                Retry::Transient,
            )
            .await?;
        let r: Raw = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        let r = r.response;
        if let Some(h) = height {
            // A failed query may carry no height; a successful one must be for `h`.
            if r.code == 0 && r.height != h.value() {
                return Err(self.error(
                    m,
                    attempts,
                    RpcErrorKind::WrongHeight {
                        requested: h.value(),
                        returned: r.height,
                    },
                ));
            }
        }
        Ok(AbciQuery {
            code: r.code,
            codespace: r.codespace,
            log: r.log,
            key: r.key,
            value: r.value,
            height: r.height,
            proof_ops: r.proof_ops.map(|p| p.ops).unwrap_or_default(),
        })
    }

    /// `broadcast_tx_sync`: the node's `check_tx` verdict (retried only when no connection
    /// could be made).
    pub async fn broadcast_tx_sync(&self, tx: &[u8]) -> Result<TxSync, RpcError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "de_hash")]
            hash: Hash,
            #[serde(flatten)]
            check_tx: TxResult,
        }
        let m = "broadcast_tx_sync";
        let (value, attempts) = self
            .call_value(
                m,
                json!({ "tx": base64_encode(tx) }),
                self.config.timeout,
                Retry::ConnectOnly,
            )
            .await?;
        let r: Raw = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        Ok(TxSync {
            hash: r.hash,
            check_tx: r.check_tx,
        })
    }

    /// `broadcast_tx_commit`: waits (up to [`RpcConfig::commit_timeout`]) until the
    /// transaction is in a block (retried only when no connection could be made).
    pub async fn broadcast_tx_commit(&self, tx: &[u8]) -> Result<TxCommit, RpcError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "de_hash")]
            hash: Hash,
            #[serde(default, deserialize_with = "de_u64")]
            height: u64,
            #[serde(default)]
            check_tx: TxResult,
            #[serde(default, alias = "deliver_tx")]
            tx_result: TxResult,
        }
        let m = "broadcast_tx_commit";
        let (value, attempts) = self
            .call_value(
                m,
                json!({ "tx": base64_encode(tx) }),
                self.config.commit_timeout,
                Retry::ConnectOnly,
            )
            .await?;
        let r: Raw = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        Ok(TxCommit {
            hash: r.hash,
            height: r.height,
            check_tx: r.check_tx,
            tx_result: r.tx_result,
        })
    }

    /// `broadcast_evidence` of `evidence` (CometBFT's JSON, from [`crate::evidence`]); the
    /// hash the node gives it (retried only when no connection could be made).
    pub async fn broadcast_evidence<const N: usize>(
        &self,
        evidence: &Evidence<N>,
    ) -> Result<Vec<u8>, RpcError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "de_base64")]
            hash: Vec<u8>,
        }
        let m = "broadcast_evidence";
        let (value, attempts) = self
            .call_value(
                m,
                crate::evidence::broadcast_evidence_params(evidence),
                self.config.timeout,
                Retry::ConnectOnly,
            )
            .await?;
        let r: Raw = decode(&value).map_err(|k| self.error(m, attempts, k))?;
        Ok(r.hash)
    }
}

/// rustls with the `ring` provider passed in (never a process-wide default) and the system's
/// root certificates.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_platform_verifier()
        .map(|b| b.with_no_client_auth())
        .map_err(|e| format!("TLS setup (system root certificates): {e}"))
}

/// A transport error's kind, with its whole chain of causes.
fn classify(e: &reqwest::Error, timeout: Duration) -> RpcErrorKind {
    if e.is_timeout() {
        RpcErrorKind::Timeout { after: timeout }
    } else if e.is_connect() {
        RpcErrorKind::Connect {
            reason: error_chain(e),
        }
    } else {
        RpcErrorKind::Transport {
            reason: error_chain(e),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

/// The first 200 characters of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(200).collect()
}

/// The `result` of a JSON-RPC answer to request `id` with HTTP `status`, or what is wrong.
fn parse_answer(id: u64, status: u16, body: &[u8]) -> Result<Value, RpcErrorKind> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) if status == 200 => {
            return Err(RpcErrorKind::NotJson {
                reason: e.to_string(),
                body: snippet(body),
            })
        }
        Err(_) => {
            return Err(RpcErrorKind::HttpStatus {
                status,
                body: snippet(body),
            })
        }
    };
    let Value::Object(mut answer) = value else {
        return Err(if status == 200 {
            RpcErrorKind::NotJsonRpc {
                reason: "the body is not a JSON object".into(),
            }
        } else {
            RpcErrorKind::HttpStatus {
                status,
                body: snippet(body),
            }
        });
    };
    if let Some(err) = answer.get("error").filter(|e| !e.is_null()) {
        let text = |k: &str| match err.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => String::new(),
        };
        return Err(RpcErrorKind::Rpc {
            code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: text("message"),
            data: text("data"),
        });
    }
    if status != 200 {
        return Err(RpcErrorKind::HttpStatus {
            status,
            body: snippet(body),
        });
    }
    let id_matches = match answer.get("id") {
        Some(Value::Number(n)) => n.as_u64() == Some(id),
        Some(Value::String(s)) => s.parse::<u64>().ok() == Some(id),
        _ => false,
    };
    if !id_matches {
        return Err(RpcErrorKind::NotJsonRpc {
            reason: format!(
                "the answer's id is {}, the request's {id}",
                answer
                    .get("id")
                    .map_or("missing".to_string(), Value::to_string)
            ),
        });
    }
    match answer.remove("result") {
        Some(result) if !result.is_null() => Ok(result),
        _ => Err(RpcErrorKind::NotJsonRpc {
            reason: "neither a result nor an error".into(),
        }),
    }
}

/// `result` decoded as `T`; a decoding error names the JSON path of the bad field.
fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, RpcErrorKind> {
    serde_path_to_error::deserialize(value).map_err(|e| RpcErrorKind::BadResult {
        path: e.path().to_string(),
        reason: e.inner().to_string(),
    })
}

fn check_height(requested: Option<Height>, returned: Height) -> Result<(), RpcErrorKind> {
    match requested {
        Some(h) if h != returned => Err(RpcErrorKind::WrongHeight {
            requested: h.value(),
            returned: returned.value(),
        }),
        _ => Ok(()),
    }
}

// ---- JSON field decoders (CometBFT writes 64-bit integers as strings) ----

fn null_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An integer as a JSON number or a decimal string; `null` is 0.
fn de_int<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
    use serde::de::Error as _;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .ok_or_else(|| D::Error::custom(format_args!("{n} is not an integer"))),
        Some(Value::String(s)) => {
            let digits = s.strip_prefix('-').unwrap_or(&s);
            if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(D::Error::custom(format_args!(
                    "{s:?} is not a decimal integer"
                )));
            }
            s.parse::<i128>()
                .map_err(|_| D::Error::custom(format_args!("{s:?} is not a decimal integer")))
        }
        Some(other) => Err(D::Error::custom(format_args!("{other} is not an integer"))),
    }
}

fn int_in<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D, what: &str) -> Result<T, D::Error> {
    use serde::de::Error as _;
    let v = de_int(d)?;
    T::try_from(v).map_err(|_| D::Error::custom(format_args!("{v} is out of range for {what}")))
}

fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    int_in(d, "an unsigned 64-bit integer")
}
fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    int_in(d, "a 64-bit integer")
}
fn de_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    int_in(d, "an unsigned 32-bit integer")
}

/// Standard base64 (padded); `null` or `""` is empty.
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; s.len().div_ceil(4).saturating_mul(3)];
    let n = decode_base64_into(s, &mut out, "base64").map_err(|e| e.to_string())?;
    out.truncate(n);
    Ok(out)
}

fn de_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    use serde::de::Error as _;
    match Option::<String>::deserialize(d)? {
        None => Ok(Vec::new()),
        Some(s) => base64_decode(&s).map_err(D::Error::custom),
    }
}

fn de_base64_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
    use serde::de::Error as _;
    Option::<Vec<String>>::deserialize(d)?
        .unwrap_or_default()
        .iter()
        .map(|s| base64_decode(s).map_err(D::Error::custom))
        .collect()
}

/// Hex of any even length; `null` or `""` is empty.
fn de_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    use serde::de::Error as _;
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    let mut out = vec![0u8; s.len() / 2];
    decode_hex_into(&s, &mut out, "hex").map_err(D::Error::custom)?;
    Ok(out)
}

/// A 32-byte hash as hex (`""` is the empty hash).
fn de_hash<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
    use serde::de::Error as _;
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    Hash::from_hex(&s, "hash").map_err(D::Error::custom)
}

/// Standard base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..4usize {
            if i <= chunk.len() {
                let shift = 18u32.saturating_sub(6u32.saturating_mul(i as u32));
                let idx = ((n >> shift) & 63) as usize;
                out.push(char::from(T.get(idx).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Lower-case hex.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    //! Against a small HTTP server on loopback that answers as a script says: recorded real
    //! answers, and lies (garbage, truncation, wrong heights, resets, slowness, HTTP 500,
    //! pages that do not add up).

    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    const N: usize = 32;
    const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/data/real");

    /// The `result` of a recorded answer (`cometbft-4/commit-3.json`, ...).
    fn recorded(name: &str) -> Value {
        let text = std::fs::read_to_string(format!("{REAL}/{name}")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["result"].clone()
    }

    /// What the server does with one request.
    #[derive(Clone, Debug)]
    enum Reply {
        /// A JSON-RPC answer with this `result` (the request's id filled in).
        Result(Value),
        /// A JSON-RPC error.
        Error(i64, &'static str),
        /// A JSON-RPC answer with this id instead of the request's.
        ResultWithId(Value, Value),
        /// Any status and body.
        Raw(u16, Vec<u8>),
        /// A Content-Length larger than the body, then the connection closed.
        ShortBody(Vec<u8>),
        /// The connection closed without an answer.
        Close,
        /// The reply after a pause.
        Slow(Duration, Box<Reply>),
    }

    #[derive(Clone, Debug)]
    struct Request {
        method: String,
        params: Value,
    }

    type Script = Arc<dyn Fn(usize, &Request) -> Reply + Send + Sync>;

    /// A server on `127.0.0.1:0`: request `i` (from 0) of method `m` gets `script(i, req)`.
    struct Server {
        url: String,
        requests: Arc<Mutex<Vec<Request>>>,
    }

    impl Server {
        async fn start(
            script: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static,
        ) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
            let script: Script = Arc::new(script);
            let count = Arc::new(AtomicUsize::new(0));
            let log = requests.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let (script, log, count) = (script.clone(), log.clone(), count.clone());
                    tokio::spawn(async move {
                        let _ = serve(stream, script, log, count).await;
                    });
                }
            });
            Server { url, requests }
        }

        fn client(&self) -> RpcClient {
            RpcClient::new(&self.url, fast()).unwrap()
        }

        fn methods(&self) -> Vec<String> {
            self.requests
                .lock()
                .unwrap()
                .iter()
                .map(|r| r.method.clone())
                .collect()
        }
    }

    /// Short timeouts and backoff, 2 validators per page (as recorded).
    fn fast() -> RpcConfig {
        RpcConfig {
            timeout: Duration::from_millis(300),
            commit_timeout: Duration::from_millis(300),
            retries: 2,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            per_page: 2,
            max_body: 1 << 20,
            max_pages: 10,
        }
    }

    async fn serve(
        mut stream: TcpStream,
        script: Script,
        log: Arc<Mutex<Vec<Request>>>,
        count: Arc<AtomicUsize>,
    ) -> std::io::Result<()> {
        // Read the head, then Content-Length bytes of body.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body: Value = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap();
        let req = Request {
            method: body["method"].as_str().unwrap_or("").to_string(),
            params: body["params"].clone(),
        };
        log.lock().unwrap().push(req.clone());
        let i = count.fetch_add(1, Ordering::SeqCst);
        let mut reply = script(i, &req);
        while let Reply::Slow(d, inner) = reply {
            tokio::time::sleep(d).await;
            reply = *inner;
        }
        let id = body["id"].clone();
        let (status, bytes, declared) = match reply {
            Reply::Result(r) => ok_body(json!({"jsonrpc": "2.0", "id": id, "result": r})),
            Reply::ResultWithId(r, other) => {
                ok_body(json!({"jsonrpc": "2.0", "id": other, "result": r}))
            }
            Reply::Error(code, data) => ok_body(json!({
                "jsonrpc": "2.0", "id": id,
                "error": {"code": code, "message": "Internal error", "data": data}
            })),
            Reply::Raw(status, b) => {
                let n = b.len();
                (status, b, n)
            }
            Reply::ShortBody(b) => {
                let n = b.len() + 100;
                (200, b, n)
            }
            Reply::Close => return Ok(()),
            Reply::Slow(..) => unreachable!(),
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: \
             {declared}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    }

    fn ok_body(v: Value) -> (u16, Vec<u8>, usize) {
        let b = v.to_string().into_bytes();
        let n = b.len();
        (200, b, n)
    }

    /// Answers `commit`, `validators` (2 per page) and `abci_query` from the recordings.
    fn recorded_chain(_: usize, req: &Request) -> Reply {
        let h = |k: &str| req.params[k].as_str().unwrap_or("0").to_string();
        match req.method.as_str() {
            "commit" => Reply::Result(recorded(&format!("cometbft-4/commit-{}.json", h("height")))),
            "validators" => Reply::Result(recorded(&format!(
                "cometbft-4/validators-{}-{}.json",
                h("height"),
                h("page")
            ))),
            "block" => Reply::Result(recorded(&format!("cometbft-4/block-{}.json", h("height")))),
            "abci_query" => Reply::Result(recorded("simd/abci-bank-present.json")),
            _ => Reply::Error(-32601, "method not found"),
        }
    }

    fn height(h: u64) -> Height {
        Height::new(h).unwrap()
    }

    #[tokio::test]
    async fn light_blocks_from_recorded_pages() {
        let server = Server::start(recorded_chain).await;
        let rpc = server.client();
        for h in 1..=9 {
            let b = rpc.light_block::<N>(height(h)).await.unwrap();
            assert_eq!(b.height(), height(h));
            assert_eq!(b.header().hash(), b.signed_header.commit.block_id.hash);
            assert_eq!(b.header().validators_hash, b.validators.hash());
            assert_eq!(b.header().next_validators_hash, b.next_validators.hash());
        }
        // Heights 6 and later have 5 validators: three pages of 2.
        let pages = rpc.validator_pages::<N>(height(7)).await.unwrap();
        assert_eq!(pages.len(), 3);
        let block = rpc.block(Some(height(4))).await.unwrap();
        assert_eq!(block.block_id.hash, block.header.hash());
        assert_eq!(block.txs.len(), 1);
    }

    #[tokio::test]
    async fn abci_query_with_proof_ops() {
        let server = Server::start(recorded_chain).await;
        let q = server
            .client()
            .abci_query("store/bank/key", b"k", Some(height(4)), true)
            .await
            .unwrap();
        assert_eq!(q.code, 0);
        assert_eq!(q.value, b"100000000000");
        assert_eq!(q.height, 4);
        let kinds: Vec<&str> = q.proof_ops.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds, ["ics23:iavl", "ics23:simple"]);
        let req = server.requests.lock().unwrap()[0].clone();
        assert_eq!(req.params["data"], "6b");
        assert_eq!(req.params["height"], "4");
        assert_eq!(req.params["prove"], true);
        // Asked at another height than answered.
        let e = server
            .client()
            .abci_query("store/bank/key", b"k", Some(height(7)), true)
            .await
            .unwrap_err();
        assert_eq!(
            e.kind,
            RpcErrorKind::WrongHeight {
                requested: 7,
                returned: 4
            }
        );
    }

    #[tokio::test]
    async fn garbage_and_truncated_bodies_are_malformed_and_not_retried() {
        let real = recorded("cometbft-4/commit-3.json");
        let whole = json!({"jsonrpc": "2.0", "id": 1, "result": real}).to_string();
        let cut = whole.as_bytes()[..whole.len() / 2].to_vec();
        for (what, body) in [
            ("garbage", b"<html>502 Bad Gateway</html>".to_vec()),
            ("truncated", cut),
            ("empty", Vec::new()),
            ("binary", vec![0xff, 0x00, 0x13, 0x37]),
        ] {
            let b = body.clone();
            let server = Server::start(move |_, _| Reply::Raw(200, b.clone())).await;
            let e = server
                .client()
                .commit::<N>(Some(height(3)))
                .await
                .unwrap_err();
            assert!(
                matches!(e.kind, RpcErrorKind::NotJson { .. }),
                "{what}: {e}"
            );
            assert_eq!(e.attempts, 1, "{what}");
            assert_eq!(server.methods().len(), 1, "{what}: not retried");
            assert!(e.to_string().contains(&server.url), "{e}");
            assert!(e.to_string().contains("commit"), "{e}");
        }
    }

    #[tokio::test]
    async fn results_of_the_wrong_shape_name_the_field() {
        let mut bad = recorded("cometbft-4/commit-3.json");
        bad["signed_header"]["commit"]["signatures"][1]["signature"] = json!("not base64!");
        let server = Server::start(move |_, _| Reply::Result(bad.clone())).await;
        let e = server
            .client()
            .commit::<N>(Some(height(3)))
            .await
            .unwrap_err();
        match &e.kind {
            RpcErrorKind::BadResult { path, .. } => {
                assert_eq!(path, "signed_header.commit.signatures[1].signature", "{e}")
            }
            other => panic!("{other:?}"),
        }
        // JSON, but no JSON-RPC answer in it; an answer to another request.
        let server = Server::start(|_, _| Reply::Raw(200, b"{\"jsonrpc\":\"2.0\"}".to_vec())).await;
        let e = server.client().status().await.unwrap_err();
        assert!(matches!(e.kind, RpcErrorKind::NotJsonRpc { .. }), "{e}");
        let server = Server::start(|_, _| Reply::ResultWithId(json!({}), json!(999_999))).await;
        let e = server.client().status().await.unwrap_err();
        assert!(matches!(e.kind, RpcErrorKind::NotJsonRpc { .. }), "{e}");
    }

    #[tokio::test]
    async fn wrong_heights_are_refused() {
        // The commit for 4 when 3 was asked for.
        let server =
            Server::start(|_, _| Reply::Result(recorded("cometbft-4/commit-4.json"))).await;
        let e = server
            .client()
            .commit::<N>(Some(height(3)))
            .await
            .unwrap_err();
        assert_eq!(
            e.kind,
            RpcErrorKind::WrongHeight {
                requested: 3,
                returned: 4
            }
        );
        // Validators of height 2 when 3 was asked for.
        let server = Server::start(|_, req: &Request| {
            let page = req.params["page"].as_str().unwrap().to_string();
            Reply::Result(recorded(&format!("cometbft-4/validators-2-{page}.json")))
        })
        .await;
        let e = server
            .client()
            .validators::<N>(height(3))
            .await
            .unwrap_err();
        assert_eq!(
            e.kind,
            RpcErrorKind::WrongHeight {
                requested: 3,
                returned: 2
            }
        );
        // A block for another height.
        let server = Server::start(|_, _| Reply::Result(recorded("cometbft-4/block-5.json"))).await;
        let e = server.client().block(Some(height(4))).await.unwrap_err();
        assert!(matches!(
            e.kind,
            RpcErrorKind::WrongHeight {
                requested: 4,
                returned: 5
            }
        ));
    }

    #[tokio::test]
    async fn pages_that_do_not_add_up() {
        let page = |h: u64, p: u64| recorded(&format!("cometbft-4/validators-{h}-{p}.json"));
        type Lie = fn(u64, Value) -> Value;
        let lies: [(&str, Lie); 4] = [
            ("page 2 claims another total", |p, mut v| {
                if p == 2 {
                    v["total"] = json!("5");
                }
                v
            }),
            ("page 2 is empty", |p, mut v| {
                if p == 2 {
                    v["validators"] = json!([]);
                    v["count"] = json!("0");
                }
                v
            }),
            ("page 2 repeats page 1", |p, v| {
                if p == 2 {
                    let mut again = recorded("cometbft-4/validators-3-1.json");
                    again["total"] = v["total"].clone();
                    return again;
                }
                v
            }),
            ("more validators than the total", |_, mut v| {
                v["total"] = json!("3");
                v
            }),
        ];
        for (what, lie) in lies {
            let server = Server::start(move |_, req: &Request| {
                let p: u64 = req.params["page"].as_str().unwrap().parse().unwrap();
                Reply::Result(lie(p, page(3, p)))
            })
            .await;
            let e = server
                .client()
                .validators::<N>(height(3))
                .await
                .unwrap_err();
            assert!(
                matches!(e.kind, RpcErrorKind::InconsistentPages { .. }),
                "{what}: {e}"
            );
            assert!(e.to_string().contains("height 3"), "{what}: {e}");
        }
    }

    #[tokio::test]
    async fn resets_and_500s_are_retried_then_reported() {
        // Closed without an answer, then an answer: retried.
        let server = Server::start(|i, req: &Request| match i {
            0 => Reply::Close,
            1 => Reply::ShortBody(b"{\"jsonrpc\":".to_vec()),
            2 => Reply::Raw(500, b"upstream down".to_vec()),
            _ => recorded_chain(i, req),
        })
        .await;
        let rpc = RpcClient::new(
            &server.url,
            RpcConfig {
                retries: 3,
                ..fast()
            },
        )
        .unwrap();
        let c = rpc.commit::<N>(Some(height(2))).await.unwrap();
        assert_eq!(c.signed_header.header.height, height(2));
        assert_eq!(server.methods().len(), 4);

        // Always closed: every attempt made, then a transport error.
        let server = Server::start(|_, _| Reply::Close).await;
        let e = server.client().status().await.unwrap_err();
        assert!(matches!(e.kind, RpcErrorKind::Transport { .. }), "{e}");
        assert_eq!(e.attempts, 3);
        assert_eq!(server.methods().len(), 3);
        assert!(e.to_string().contains("after 3 attempts"), "{e}");

        // HTTP 500 every time: reported with its status.
        let server = Server::start(|_, _| Reply::Raw(503, b"busy".to_vec())).await;
        let e = server.client().status().await.unwrap_err();
        assert_eq!(
            e.kind,
            RpcErrorKind::HttpStatus {
                status: 503,
                body: "busy".into()
            }
        );
        assert_eq!(e.attempts, 3);
        // A 404 is an answer: not retried.
        let server = Server::start(|_, _| Reply::Raw(404, b"no".to_vec())).await;
        let e = server.client().status().await.unwrap_err();
        assert_eq!(e.attempts, 1);
    }

    #[tokio::test]
    async fn rpc_errors_are_definite() {
        let server = Server::start(|_, _| {
            Reply::Error(
                -32603,
                "height 99 must be less than or equal to the current height 12",
            )
        })
        .await;
        let e = server
            .client()
            .commit::<N>(Some(height(99)))
            .await
            .unwrap_err();
        assert_eq!(e.attempts, 1);
        assert_eq!(server.methods().len(), 1);
        match &e.kind {
            RpcErrorKind::Rpc { code, data, .. } => {
                assert_eq!(*code, -32603);
                assert!(data.contains("current height 12"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn slow_answers_time_out_and_are_retried() {
        let server = Server::start(|i, req: &Request| {
            let inner = recorded_chain(i, req);
            if i == 0 {
                Reply::Slow(Duration::from_millis(800), Box::new(inner))
            } else {
                inner
            }
        })
        .await;
        let c = server.client().commit::<N>(Some(height(5))).await.unwrap();
        assert_eq!(c.signed_header.header.height, height(5));
        assert_eq!(server.methods().len(), 2);

        let server = Server::start(|_, _| {
            Reply::Slow(Duration::from_secs(5), Box::new(Reply::Result(json!({}))))
        })
        .await;
        let started = std::time::Instant::now();
        let e = server.client().status().await.unwrap_err();
        assert_eq!(
            e.kind,
            RpcErrorKind::Timeout {
                after: Duration::from_millis(300)
            }
        );
        assert_eq!(e.attempts, 3);
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn broadcasts_are_not_resent_after_a_lost_answer() {
        let server = Server::start(|_, _| Reply::Close).await;
        let e = server.client().broadcast_tx_sync(b"k=v").await.unwrap_err();
        assert_eq!(e.attempts, 1);
        assert_eq!(server.methods(), ["broadcast_tx_sync"]);

        // Nobody listening: connect errors are retried (the tx never left).
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let rpc = RpcClient::new(&format!("http://127.0.0.1:{port}"), fast()).unwrap();
        let e = rpc.broadcast_tx_sync(b"k=v").await.unwrap_err();
        assert!(matches!(e.kind, RpcErrorKind::Connect { .. }), "{e}");
        assert_eq!(e.attempts, 3);
    }

    #[tokio::test]
    async fn broadcast_tx_and_events() {
        let hash = "42144F3939C3FFBBF0BF8B1F12AFFB5C23A4C5BD41E0FF672D54A5754F062058";
        let events = json!([{"type": "app", "attributes": [
            {"key": "creator", "value": "Cosmoshi Netowoko", "index": true},
            {"key": "key", "value": "a", "index": true}]}]);
        let tx_result = json!({"code": 0, "data": null, "log": "", "info": "",
            "gas_wanted": "0", "gas_used": "0", "events": events, "codespace": ""});
        let item = json!({"hash": hash, "height": "35", "index": 0,
            "tx_result": tx_result, "tx": "YT1i"});
        let (item2, tr) = (item.clone(), tx_result.clone());
        let server = Server::start(move |_, req: &Request| match req.method.as_str() {
            "broadcast_tx_commit" => Reply::Result(json!({
                "check_tx": {"code": 0, "gas_wanted": "1", "events": []},
                "tx_result": tr, "hash": hash, "height": "35"})),
            "broadcast_tx_sync" => Reply::Result(json!({
                "code": 19, "data": "", "log": "tx already exists", "codespace": "sdk",
                "hash": hash})),
            "tx" => Reply::Result(item2.clone()),
            "tx_search" => {
                let page = req.params["page"].as_str().unwrap();
                let txs = if page == "3" {
                    json!([item2])
                } else {
                    json!([item2, item2])
                };
                Reply::Result(json!({"txs": txs, "total_count": "5"}))
            }
            "block_results" => Reply::Result(json!({"height": "35",
                "txs_results": [tr], "finalize_block_events": null,
                "validator_updates": null, "app_hash": "AgAAAAAAAAA="})),
            _ => Reply::Error(-32601, "method not found"),
        })
        .await;
        let rpc = server.client();
        let c = rpc.broadcast_tx_commit(b"a=b").await.unwrap();
        assert_eq!(c.height, 35);
        assert_eq!(c.hash.to_string(), hash);
        assert_eq!(c.tx_result.events[0].attribute("key"), Some("a"));
        let s = rpc.broadcast_tx_sync(b"a=b").await.unwrap();
        assert_eq!(
            (s.check_tx.code, s.check_tx.codespace.as_str()),
            (19, "sdk")
        );
        let sent = server.requests.lock().unwrap()[0].params["tx"].clone();
        assert_eq!(sent, "YT1i");
        let t = rpc.tx(&c.hash).await.unwrap();
        assert_eq!((t.height, t.tx.as_slice()), (height(35), &b"a=b"[..]));
        let all = rpc
            .tx_search("app.key='a'", Order::Ascending)
            .await
            .unwrap();
        assert_eq!(all.len(), 5);
        let r = rpc.block_results(height(35)).await.unwrap();
        assert_eq!(r.txs_results.len(), 1);
        assert!(r.block_events.is_empty());
        // A hash that is not the one asked for.
        let other = Hash::Sha256([7; 32]);
        let e = rpc.tx(&other).await.unwrap_err();
        assert!(matches!(e.kind, RpcErrorKind::BadResult { .. }), "{e}");
    }

    #[tokio::test]
    async fn oversized_answers_are_refused() {
        let server = Server::start(|_, _| Reply::Raw(200, vec![b' '; 2 << 20])).await;
        let e = server.client().status().await.unwrap_err();
        assert_eq!(e.kind, RpcErrorKind::TooLarge { limit: 1 << 20 });
    }

    #[test]
    fn bad_urls_are_refused() {
        for url in ["", "localhost:26657", "ftp://x", "http://"] {
            let e = RpcClient::new(url, RpcConfig::default()).unwrap_err();
            assert!(
                matches!(e.kind, RpcErrorKind::InvalidUrl { .. }),
                "{url}: {e}"
            );
        }
        assert_eq!(
            RpcClient::new("tcp://127.0.0.1:1", RpcConfig::default())
                .unwrap()
                .url(),
            "http://127.0.0.1:1"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = RpcConfig::default();
        let waits: Vec<u128> = (1..=7).map(|i| c.backoff_before(i).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(c.backoff_before(u32::MAX), c.max_backoff);
    }

    /// Every prefix and many byte flips of real answers: an error or a value, never a panic.
    #[test]
    fn mangled_answers_never_panic() {
        let mut bodies = Vec::new();
        for name in [
            "cometbft-4/commit-7.json",
            "cometbft-4/validators-7-1.json",
            "cometbft-4/block-5.json",
            "simd/abci-bank-present.json",
        ] {
            let v = json!({"jsonrpc": "2.0", "id": 1, "result": recorded(name)});
            bodies.push(v.to_string().into_bytes());
        }
        let try_all = |b: &[u8]| {
            if let Ok(v) = parse_answer(1, 200, b) {
                let _ = decode::<CommitResponse<N>>(&v);
                let _ = decode::<ValidatorsPage<N>>(&v);
                let _ = decode::<TxInfo>(&v);
                let _ = decode::<TxSearchPage>(&v);
            }
        };
        for body in &bodies {
            for cut in (0..body.len()).step_by(7) {
                try_all(&body[..cut]);
            }
            for i in (0..body.len()).step_by(3) {
                for byte in [b'"', b'9', b'-', b'}', b'x'] {
                    let mut m = body.clone();
                    m[i] = byte;
                    try_all(&m);
                }
            }
        }
    }

    #[test]
    fn base64_and_hex() {
        for (raw, b64) in [
            (&b""[..], ""),
            (b"a", "YQ=="),
            (b"ab", "YWI="),
            (b"abc", "YWJj"),
            (b"a=b", "YT1i"),
        ] {
            assert_eq!(base64_encode(raw), b64);
            assert_eq!(base64_decode(b64).unwrap(), raw);
        }
        assert_eq!(hex_encode(&[0, 0xab, 0x10]), "00ab10");
        assert!(base64_decode("a").is_err());
    }
}
