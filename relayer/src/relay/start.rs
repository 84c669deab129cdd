//! `ferry start`: relays every configured path until stopped.
//!
//! Each round clears both directions of every path as `ferry clear packets` does (receives,
//! acknowledgements, timeouts; every proof checked against a header the light client
//! verified), with the receives and the acknowledgements at once
//! ([`super::clear::step_with`]). Packets with a commitment not seen before are found in the
//! blocks that hold them ([`super::locate`]); every `clear_interval` rounds those not found
//! are looked for again. Between rounds it waits for a new block on either chain. Clients whose latest update is older than a third of their trusting period are
//! updated. Errors are logged and counted, and the round retried with backoff; only what
//! makes relaying impossible from the start (an unknown path, a missing key, a chain that
//! cannot be reached, a light client not initialised or expired) ends the command.
//!
//! Stopping: a first SIGINT or SIGTERM lets the current round finish (every transaction is
//! atomic on its chain, and the light client's store is written in transactions, so a
//! round cut anywhere leaves nothing half-done; finishing it only avoids repeating work); a
//! second stops at once.

#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use super::clear::{step_with, ClearRequest, Cleared, RelayError, Scan};
use crate::metrics::Metrics;
use crate::ops::{self, Context, OpsError};

/// How `ferry start` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartOptions {
    /// The paths to relay (by name); empty: all with channel ids on both ends.
    pub paths: Vec<String>,
    /// At most this many packet messages per transaction.
    pub batch: usize,
    /// How often the chains are asked for a new block.
    pub poll: Duration,
    /// Every this many rounds the packets whose events were not found are looked for again.
    pub clear_interval: u64,
    /// Stop after this many rounds (`None`: until a signal).
    pub rounds: Option<u64>,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            paths: Vec::new(),
            batch: 50,
            poll: Duration::from_millis(300),
            clear_interval: 100,
            rounds: None,
        }
    }
}

/// What a whole run relayed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rounds run.
    pub rounds: u64,
    /// Packets received on their destination.
    pub received: u64,
    /// Acknowledgements relayed.
    pub acknowledged: u64,
    /// Packets timed out.
    pub timed_out: u64,
    /// Rounds that ended in an error (retried).
    pub errors: u64,
    /// Whether a signal stopped it.
    pub signalled: bool,
}

/// One direction of one path.
struct Direction {
    path: String,
    req: ClearRequest,
    scan: Scan,
    /// When each pending packet was first seen (for the relay latency).
    seen: BTreeMap<u64, Instant>,
}

/// The client of each path end to keep fresh: (host chain, client id).
fn clients(ctx: &Context, names: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in ctx
        .config
        .paths
        .iter()
        .filter(|p| names.is_empty() || names.contains(&p.name))
    {
        for end in [&p.a, &p.b] {
            if let Some(c) = &end.client_id {
                let k = (end.chain_id.clone(), c.clone());
                if !out.contains(&k) {
                    out.push(k);
                }
            }
        }
    }
    out
}

/// The directions to relay: both of each selected path.
pub fn directions(ctx: &Context, opts: &StartOptions) -> Result<Vec<ClearRequest>, OpsError> {
    for name in &opts.paths {
        if ctx.config.path(name).is_none() {
            return Err(OpsError::BadOption {
                option: "--path",
                reason: format!(
                    "no path {name:?} in the config (its paths: {})",
                    ctx.config
                        .paths
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    let mut out = Vec::new();
    for p in ctx
        .config
        .paths
        .iter()
        .filter(|p| opts.paths.is_empty() || opts.paths.contains(&p.name))
    {
        let (Some(a), Some(b)) = (&p.a.channel_id, &p.b.channel_id) else {
            if opts.paths.contains(&p.name) {
                return Err(OpsError::BadOption {
                    option: "--path",
                    reason: format!(
                        "path {}: its channel ids are not set in the config (paths.a.channel_id, \
                         paths.b.channel_id); create the channel first (`ferry create channel`)",
                        p.name
                    ),
                });
            }
            tracing::warn!(path = %p.name, "skipped: its channel ids are not set in the config");
            continue;
        };
        out.push(ClearRequest {
            src: p.a.chain_id.clone(),
            dst: p.b.chain_id.clone(),
            src_port: p.a.port_id.clone(),
            src_channel: a.clone(),
            batch: opts.batch,
        });
        out.push(ClearRequest {
            src: p.b.chain_id.clone(),
            dst: p.a.chain_id.clone(),
            src_port: p.b.port_id.clone(),
            src_channel: b.clone(),
            batch: opts.batch,
        });
    }
    if out.is_empty() {
        return Err(OpsError::BadOption {
            option: "--path",
            reason: "no path with channel ids on both ends to relay: create a channel \
                     (`ferry create channel`) and set paths.a/b.channel_id in the config"
                .into(),
        });
    }
    Ok(out)
}

/// Checks before relaying that each chain of `reqs` can be relayed on: its key exists, its
/// node answers with the configured chain id, its light client is initialised and not
/// expired. Nothing is written.
pub async fn preflight(ctx: &Context, reqs: &[ClearRequest]) -> Result<(), OpsError> {
    let mut chains: Vec<&str> = Vec::new();
    for r in reqs {
        for c in [&r.src, &r.dst] {
            if !chains.contains(&c.as_str()) {
                chains.push(c);
            }
        }
    }
    for id in chains {
        let cfg = ctx.chain(id)?;
        ops::HostSigner::new(ctx, cfg).await?;
        let now = crate::light::system_clock();
        let status = ops::light_status(ctx, id, now)?;
        if status.expired {
            return Err(OpsError::Light(Box::new(
                crate::light::LightError::TrustExpired {
                    chain_id: status.chain_id,
                    height: status.height,
                    hash: status.hash,
                    time: status.time,
                    expired_at: status.expires_at.unwrap_or(status.time),
                    now,
                },
            )));
        }
    }
    Ok(())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// One connection per chain of `reqs`, for watching their heights.
async fn watchers(ctx: &Context, reqs: &[ClearRequest]) -> Vec<crate::chain::RpcChain> {
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for r in reqs {
        for c in [&r.src, &r.dst] {
            if seen.contains(&c.as_str()) {
                continue;
            }
            seen.push(c);
            if let Ok(cfg) = ctx.chain(c) {
                if let Ok(rpc) = ops::connect(cfg).await {
                    out.push(rpc);
                }
            }
        }
    }
    out
}

/// The latest heights of `chains` (one that does not answer counts as 0).
async fn heights(chains: &[crate::chain::RpcChain]) -> Vec<u64> {
    let mut out = Vec::with_capacity(chains.len());
    for c in chains {
        out.push(c.rpc().status().await.map_or(0, |s| s.latest_block_height));
    }
    out
}

/// Verifies the latest block of each chain whose light client's trusted block is older than
/// a third of its trusting period (an idle relayer would otherwise let its own trust run
/// out).
async fn refresh_light_clients(ctx: &Context, reqs: &[ClearRequest], metrics: &Metrics) {
    let mut seen: Vec<&str> = Vec::new();
    for r in reqs {
        for id in [r.src.as_str(), r.dst.as_str()] {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let Ok(cfg) = ctx.chain(id) else { continue };
            let now = crate::light::system_clock();
            let Ok(status) = ops::light_status(ctx, id, now) else {
                continue;
            };
            let age = now.unix_secs().saturating_sub(status.time.unix_secs());
            let period = i64::try_from(cfg.trusting_period.as_secs()).unwrap_or(i64::MAX);
            if age < period / 3 {
                continue;
            }
            match ops::light_sync(ctx, id, None, &mut |_| {}).await {
                Ok((report, _)) => tracing::info!(chain = %id, from = %report.from,
                    to = %report.height, "light client refreshed (its trusted block was {age} s old)"),
                Err(e) => {
                    metrics.error(&e);
                    tracing::warn!(chain = %id, error = %e, "light client refresh failed; retried next round");
                }
            }
        }
    }
}

/// Updates the clients whose latest consensus state is older than a third of their
/// trusting period; sets their expiry gauges.
async fn refresh_clients(ctx: &Context, clients: &[(String, String)], metrics: &Metrics) {
    for (host, client) in clients {
        let Ok(cfg) = ctx.chain(host) else { continue };
        let info = match ops::connect(cfg).await {
            Ok(rpc) => ops::client_info(cfg, &rpc, client).await,
            Err(e) => Err(e),
        };
        let info = match info {
            Ok(i) => i,
            Err(e) => {
                metrics.error(&e);
                tracing::warn!(chain = %host, client = %client, error = %e, "cannot read the client");
                continue;
            }
        };
        let now = unix_now();
        let left = info.expires_in(now);
        metrics.client_expiry(host, client, left);
        if info.frozen {
            tracing::error!(chain = %host, client = %client, "the client is frozen (misbehaviour was submitted); its paths cannot be relayed");
            continue;
        }
        let period = i64::try_from(info.trusting_period.as_secs()).unwrap_or(i64::MAX);
        if left > period.saturating_mul(2) / 3 {
            continue;
        }
        match ops::update_client(ctx, host, client, Some(&info.target), None).await {
            Ok(u) => {
                metrics.client_update(&info.target, u.verified_headers);
                tracing::info!(chain = %host, client = %client, from = %u.trusted, to = %u.height,
                    "refreshed the client ({left} s of its trusting period were left)");
                if let Ok(i) = ops::connect(cfg).await {
                    if let Ok(i) = ops::client_info(cfg, &i, client).await {
                        metrics.client_expiry(host, client, i.expires_in(unix_now()));
                    }
                }
            }
            Err(e) => {
                metrics.error(&e);
                tracing::warn!(chain = %host, client = %client, error = %e, "client refresh failed; retried next round");
            }
        }
    }
}

/// One round over `dirs`. Returns the packets relayed and whether any direction failed.
async fn round(ctx: &Context, dirs: &mut [Direction], metrics: &Metrics, summary: &mut Summary) {
    for d in dirs.iter_mut() {
        let started = Instant::now();
        let r = step_with(ctx, &d.req, &mut d.scan).await;
        let (c, err): (Cleared, Option<RelayError>) = match r {
            Ok(c) => (c, None),
            Err((c, e)) => (c, Some(e)),
        };
        let now = Instant::now();
        for seq in d.scan.pending() {
            d.seen.entry(seq).or_insert(now);
        }
        for step in &c.steps {
            tracing::info!(path = %d.path, "{step}");
        }
        for (chain, n) in &c.client_updates {
            metrics.client_update(chain, *n);
        }
        for seq in &c.received {
            let first = d.seen.get(seq).copied().unwrap_or(started);
            metrics.latency(&d.req.src, &d.req.dst, now.duration_since(first));
        }
        metrics.relayed(&d.path, &d.req.src, &d.req.dst, "recv", c.received.len());
        metrics.relayed(&d.path, &d.req.src, &d.req.dst, "ack", c.acknowledged.len());
        metrics.relayed(
            &d.path,
            &d.req.src,
            &d.req.dst,
            "timeout",
            c.timed_out.len(),
        );
        summary.received = summary.received.saturating_add(c.received.len() as u64);
        summary.acknowledged = summary
            .acknowledged
            .saturating_add(c.acknowledged.len() as u64);
        summary.timed_out = summary.timed_out.saturating_add(c.timed_out.len() as u64);
        let pending: std::collections::BTreeSet<u64> = d.scan.pending().collect();
        d.seen.retain(|s, _| pending.contains(s));
        metrics.pending(&d.path, &d.req.src, &d.req.dst, pending.len());
        if let Some(e) = err {
            summary.errors = summary.errors.saturating_add(1);
            metrics.relay_error(&d.req, &e);
            tracing::error!(path = %d.path, src = %d.req.src, dst = %d.req.dst, error = %e,
                "relaying failed; retried next round");
        }
    }
}

/// Runs `ferry start` until `stop` changes (a signal) or `opts.rounds` rounds ran.
pub async fn run(
    ctx: &Context,
    opts: &StartOptions,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<u32>,
) -> Result<Summary, OpsError> {
    let reqs = directions(ctx, opts)?;
    preflight(ctx, &reqs).await?;
    let name_of = |r: &ClearRequest| {
        ctx.config
            .paths
            .iter()
            .find(|p| {
                (p.a.chain_id == r.src && p.a.channel_id.as_deref() == Some(&r.src_channel))
                    || (p.b.chain_id == r.src && p.b.channel_id.as_deref() == Some(&r.src_channel))
            })
            .map_or_else(String::new, |p| p.name.clone())
    };
    let mut dirs: Vec<Direction> = reqs
        .iter()
        .map(|r| Direction {
            path: name_of(r),
            req: r.clone(),
            scan: Scan::default(),
            seen: BTreeMap::new(),
        })
        .collect();
    let clients = clients(ctx, &opts.paths);
    for d in &dirs {
        tracing::info!(path = %d.path, src = %d.req.src, dst = %d.req.dst,
            channel = %d.req.src_channel, batch = d.req.batch, "relaying");
    }
    let mut summary = Summary::default();
    let mut backoff = Duration::from_secs(1);
    let mut watch = watchers(ctx, &reqs).await;
    let mut last_refresh: Option<Instant> = None;
    loop {
        if last_refresh.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
            refresh_light_clients(ctx, &reqs, &metrics).await;
            refresh_clients(ctx, &clients, &metrics).await;
            last_refresh = Some(Instant::now());
        }
        if summary.rounds.checked_rem(opts.clear_interval) == Some(0) || summary.rounds == 0 {
            for d in dirs.iter_mut() {
                d.scan.rescan();
            }
        }
        let before = summary.clone();
        {
            let work = round(ctx, &mut dirs, &metrics, &mut summary);
            tokio::pin!(work);
            tokio::select! {
                () = &mut work => {}
                _ = stop.changed() => {
                    tracing::info!("stopping after the current round (signal again to stop now)");
                    tokio::select! {
                        () = &mut work => {}
                        _ = stop.changed() => tracing::warn!("stopping now, in the middle of a round"),
                    }
                }
            }
        }
        summary.rounds = summary.rounds.saturating_add(1);
        metrics.round();
        if *stop.borrow() > 0 {
            summary.signalled = true;
            break;
        }
        if opts.rounds.is_some_and(|n| summary.rounds >= n) {
            break;
        }
        let worked = summary.received > before.received
            || summary.acknowledged > before.acknowledged
            || summary.timed_out > before.timed_out;
        let failed = summary.errors > before.errors;
        if failed {
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => { summary.signalled = true; break; }
            }
            backoff = backoff.saturating_mul(2).min(Duration::from_secs(30));
            continue;
        }
        backoff = Duration::from_secs(1);
        if worked {
            continue;
        }
        // Wait for a new block on any chain.
        if watch.is_empty() {
            watch = watchers(ctx, &reqs).await;
        }
        let start = heights(&watch).await;
        let waited = Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep(opts.poll) => {}
                _ = stop.changed() => break,
            }
            if heights(&watch).await != start || waited.elapsed() > Duration::from_secs(30) {
                break;
            }
        }
        if *stop.borrow() > 0 {
            summary.signalled = true;
            break;
        }
    }
    tracing::info!(
        rounds = summary.rounds,
        received = summary.received,
        acknowledged = summary.acknowledged,
        timed_out = summary.timed_out,
        errors = summary.errors,
        "stopped"
    );
    Ok(summary)
}
