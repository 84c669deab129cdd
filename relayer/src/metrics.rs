//! Prometheus metrics of `ferry start`, served as text on `http://LISTEN/metrics` when
//! `[telemetry] enabled = true`.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `ferry_packets_relayed_total` | counter | `path`, `src`, `dst`, `kind` (`recv`, `ack`, `timeout`) |
//! | `ferry_relay_latency_seconds` | histogram | `src`, `dst`: from the packet first seen to its receipt |
//! | `ferry_pending_packets` | gauge | `path`, `src`, `dst`: packets sent and not finished |
//! | `ferry_client_updates_total` | counter | `chain`: updates sent of a client of `chain` |
//! | `ferry_headers_verified_total` | counter | `chain`: headers its light client verified for them |
//! | `ferry_rpc_errors_total` | counter | `chain`: requests that failed after retries |
//! | `ferry_tx_failures_total` | counter | `chain`: transactions the chain refused |
//! | `ferry_relay_errors_total` | counter | `src`, `dst`: rounds that failed |
//! | `ferry_client_expiry_seconds` | gauge | `chain`, `client`: until the client expires |
//! | `ferry_rounds_total` | counter | |

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::ops::OpsError;
use crate::relay::clear::{ClearRequest, RelayError};

type Labels = Vec<(&'static str, String)>;

fn latency_histogram() -> Histogram {
    // 0.25 s to about 2 min.
    Histogram::new(exponential_buckets(0.25, 2.0, 10))
}

/// The metrics, shared by the relay loop and the HTTP responder.
pub struct Metrics {
    registry: Registry,
    relayed: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    pending: Family<Labels, Gauge>,
    client_updates: Family<Labels, Counter>,
    headers: Family<Labels, Counter>,
    rpc_errors: Family<Labels, Counter>,
    tx_failures: Family<Labels, Counter>,
    relay_errors: Family<Labels, Counter>,
    expiry: Family<Labels, Gauge>,
    rounds: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// All metrics at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let relayed = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let pending = Family::<Labels, Gauge>::default();
        let client_updates = Family::<Labels, Counter>::default();
        let headers = Family::<Labels, Counter>::default();
        let rpc_errors = Family::<Labels, Counter>::default();
        let tx_failures = Family::<Labels, Counter>::default();
        let relay_errors = Family::<Labels, Counter>::default();
        let expiry = Family::<Labels, Gauge>::default();
        let rounds = Counter::default();
        registry.register(
            "ferry_packets_relayed",
            "Packet messages relayed (kind: recv, ack, timeout)",
            relayed.clone(),
        );
        registry.register(
            "ferry_relay_latency_seconds",
            "Seconds from a packet first seen to its receipt on the destination",
            latency.clone(),
        );
        registry.register(
            "ferry_pending_packets",
            "Packets sent and not yet acknowledged or timed out",
            pending.clone(),
        );
        registry.register(
            "ferry_client_updates",
            "Client updates sent, by the chain the client follows",
            client_updates.clone(),
        );
        registry.register(
            "ferry_headers_verified",
            "Headers the light client verified for client updates",
            headers.clone(),
        );
        registry.register(
            "ferry_rpc_errors",
            "RPC requests that failed after their retries",
            rpc_errors.clone(),
        );
        registry.register(
            "ferry_tx_failures",
            "Transactions a chain refused",
            tx_failures.clone(),
        );
        registry.register(
            "ferry_relay_errors",
            "Relay rounds of a direction that failed (retried)",
            relay_errors.clone(),
        );
        registry.register(
            "ferry_client_expiry_seconds",
            "Seconds until a client's trusting period runs out (negative: expired)",
            expiry.clone(),
        );
        registry.register("ferry_rounds", "Relay rounds run", rounds.clone());
        Metrics {
            registry,
            relayed,
            latency,
            pending,
            client_updates,
            headers,
            rpc_errors,
            tx_failures,
            relay_errors,
            expiry,
            rounds,
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String does not fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// `n` messages of `kind` relayed on `path` from `src` to `dst`.
    pub fn relayed(&self, path: &str, src: &str, dst: &str, kind: &'static str, n: usize) {
        let labels = vec![
            ("path", path.to_string()),
            ("src", src.to_string()),
            ("dst", dst.to_string()),
            ("kind", kind.to_string()),
        ];
        self.relayed
            .get_or_create(&labels)
            .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// A packet from `src` received on `dst` `d` after it was first seen.
    pub fn latency(&self, src: &str, dst: &str, d: Duration) {
        let labels = vec![("src", src.to_string()), ("dst", dst.to_string())];
        self.latency.get_or_create(&labels).observe(d.as_secs_f64());
    }

    /// `n` packets pending on `path` from `src` to `dst`.
    pub fn pending(&self, path: &str, src: &str, dst: &str, n: usize) {
        let labels = vec![
            ("path", path.to_string()),
            ("src", src.to_string()),
            ("dst", dst.to_string()),
        ];
        self.pending
            .get_or_create(&labels)
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// A client of `chain` updated with `headers` newly verified headers.
    pub fn client_update(&self, chain: &str, headers: usize) {
        let labels = vec![("chain", chain.to_string())];
        self.client_updates.get_or_create(&labels).inc();
        self.headers
            .get_or_create(&labels)
            .inc_by(u64::try_from(headers).unwrap_or(u64::MAX));
    }

    /// Seconds until `client` on `chain` expires.
    pub fn client_expiry(&self, chain: &str, client: &str, seconds: i64) {
        let labels = vec![("chain", chain.to_string()), ("client", client.to_string())];
        self.expiry.get_or_create(&labels).set(seconds);
    }

    /// An error: counted, on the chain it names, as an RPC error or a refused transaction.
    pub fn error(&self, e: &OpsError) {
        match e {
            OpsError::Unreachable { chain, .. } => {
                self.rpc_errors
                    .get_or_create(&vec![("chain", chain.clone())])
                    .inc();
            }
            OpsError::TxRefused { chain, .. } => {
                self.tx_failures
                    .get_or_create(&vec![("chain", chain.clone())])
                    .inc();
            }
            _ => {}
        }
    }

    /// A failed round of the direction `req`.
    pub fn relay_error(&self, req: &ClearRequest, e: &RelayError) {
        let labels = vec![("src", req.src.clone()), ("dst", req.dst.clone())];
        self.relay_errors.get_or_create(&labels).inc();
        if let RelayError::Ops(o) = e {
            self.error(o);
        }
    }

    /// A round ran.
    pub fn round(&self) {
        self.rounds.inc();
    }
}

/// Serves `metrics` on `listener`: `GET /metrics` answers the text format, anything else
/// 404. Runs until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            let mut len = 0usize;
            // Read the request head (at most 8 KiB, 5 s).
            let read = tokio::time::timeout(Duration::from_secs(5), async {
                while len < buf.len() {
                    let Some(rest) = buf.get_mut(len..) else {
                        break;
                    };
                    match stream.read(rest).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => len = len.saturating_add(n),
                    }
                    if buf
                        .get(..len)
                        .is_some_and(|b| b.windows(4).any(|w| w == b"\r\n\r\n"))
                    {
                        break;
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let head = String::from_utf8_lossy(buf.get(..len).unwrap_or_default());
            let line = head.lines().next().unwrap_or_default();
            let (status, body, ctype) = if line.starts_with("GET /metrics ") {
                (
                    "200 OK",
                    metrics.encode(),
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )
            } else {
                (
                    "404 Not Found",
                    "not found: metrics are at /metrics\n".to_string(),
                    "text/plain; charset=utf-8",
                )
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}
