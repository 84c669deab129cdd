//! `ferry health-check`: whether each configured chain and path can be relayed now.
//!
//! For each chain: its node answers with the configured chain id and is not catching up,
//! the relayer key exists, its account exists on the chain (it can pay fees), and the
//! chain's light client is initialised and not expired. For each path end with ids set: the
//! client exists, is not frozen or expired, and the channel is open. Nothing is written.

use ferry_verifier::ibc::channel_end_path;
use ferry_verifier::pb;

use crate::chain::Chain;
use crate::handshake::{channel_state, Channel};
use crate::keys::KeyStore;
use crate::ops::{self, Context};

/// One check and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The chain it is about.
    pub chain: String,
    /// What was checked (`rpc`, `key`, `account`, `light client`, `client 07-tendermint-0`,
    /// `channel transfer/channel-0`).
    pub what: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, or what is wrong and what to do.
    pub detail: String,
}

fn check(chain: &str, what: impl Into<String>, r: Result<String, String>) -> Check {
    let (ok, detail) = match r {
        Ok(d) => (true, d),
        Err(d) => (false, d),
    };
    Check {
        chain: chain.to_string(),
        what: what.into(),
        ok,
        detail,
    }
}

fn ago(secs: i64) -> String {
    match secs {
        s if s < 0 => format!("in {}s", -s),
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s => format!("{}h ago", s / 3600),
    }
}

fn span(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Runs every check; `now` is the Unix time in seconds.
pub async fn run(ctx: &Context, now: i64) -> Vec<Check> {
    let mut out = Vec::new();
    let keys = KeyStore::new(&ctx.data_dir);
    for cfg in &ctx.config.chains {
        let id = cfg.id.as_str();
        let rpc = match ops::connect(cfg).await {
            Ok(rpc) => rpc,
            Err(e) => {
                out.push(check(id, "rpc", Err(format!("{e}"))));
                continue;
            }
        };
        match rpc.rpc().status().await {
            Ok(s) if s.catching_up => out.push(check(
                id,
                "rpc",
                Err(format!(
                    "{} is catching up (at height {}): wait, or use a synced node",
                    cfg.rpc, s.latest_block_height
                )),
            )),
            Ok(s) => {
                let age = now.saturating_sub(s.latest_block_time.unix_secs());
                let max = i64::try_from(cfg.max_block_time.as_secs()).unwrap_or(i64::MAX);
                let r = if age > max.saturating_mul(3) {
                    Err(format!(
                        "{}: the latest block {} is from {} (max_block_time {}s): the chain \
                         or the node has stalled",
                        cfg.rpc,
                        s.latest_block_height,
                        ago(age),
                        max
                    ))
                } else {
                    Ok(format!(
                        "{} at height {} ({})",
                        cfg.rpc,
                        s.latest_block_height,
                        ago(age)
                    ))
                };
                out.push(check(id, "rpc", r));
            }
            Err(e) => out.push(check(id, "rpc", Err(format!("{}: {e}", cfg.rpc)))),
        }
        let address = keys
            .get(&cfg.key)
            .and_then(|k| k.address_with_prefix(&cfg.account_prefix));
        match address {
            Ok(address) => {
                out.push(check(id, "key", Ok(format!("{} ({address})", cfg.key))));
                let r = match Chain::<{ ferry_verifier::MAX_VALIDATORS }>::account(&rpc, &address)
                    .await
                {
                    Ok(a) => Ok(format!(
                        "{address}: number {}, sequence {}",
                        a.number, a.sequence
                    )),
                    Err(e) => Err(format!(
                        "{address} cannot be read ({e}): send it some {} for fees",
                        cfg.gas_price.denom
                    )),
                };
                out.push(check(id, "account", r));
            }
            Err(e) => out.push(check(id, "key", Err(e.to_string()))),
        }
        let r = match ops::light_status(ctx, id, crate::light::system_clock()) {
            Ok(s) if s.expired => Err(format!(
                "trusted height {} expired: re-initialise it from a hash you trust \
                 (`ferry light init {id} --height H --hash HASH --force`)",
                s.height
            )),
            Ok(s) => {
                let left = s
                    .expires_at
                    .map_or(0, |e| e.unix_secs().saturating_sub(now));
                Ok(format!(
                    "trusted height {}, expires in {}",
                    s.height,
                    span(left)
                ))
            }
            Err(e) => Err(e.to_string()),
        };
        out.push(check(id, "light client", r));
    }
    for p in &ctx.config.paths {
        for end in [&p.a, &p.b] {
            let id = end.chain_id.as_str();
            let Ok(cfg) = ctx.chain(id) else { continue };
            let Ok(rpc) = ops::connect(cfg).await else {
                continue;
            };
            if let Some(client) = &end.client_id {
                let r = match ops::client_info(cfg, &rpc, client).await {
                    Ok(i) if i.frozen => Err(format!(
                        "path {}: frozen (misbehaviour of {} was submitted): a new client \
                         is needed",
                        p.name, i.target
                    )),
                    Ok(i) if i.expires_in(now) <= 0 => Err(format!(
                        "path {}: expired (last updated {}): it can only be recovered by \
                         governance",
                        p.name,
                        ago(now.saturating_sub(i.updated_at))
                    )),
                    Ok(i) => Ok(format!(
                        "path {}: follows {} at height {}, updated {}, expires in {}",
                        p.name,
                        i.target,
                        i.latest_height,
                        ago(now.saturating_sub(i.updated_at)),
                        span(i.expires_in(now))
                    )),
                    Err(e) => Err(format!("path {}: {e}", p.name)),
                };
                out.push(check(id, format!("client {client}"), r));
            }
            if let Some(channel) = &end.channel_id {
                let path = channel_end_path(&end.port_id, channel);
                let r = match ops::ibc_store(cfg, &rpc, &path).await {
                    Ok(Some(bytes)) => match pb::decode::<Channel>(&bytes) {
                        Ok(c) if c.state == channel_state::OPEN => Ok(format!(
                            "path {}: open, counterparty {}/{}",
                            p.name, c.counterparty.port_id, c.counterparty.channel_id
                        )),
                        Ok(c) => Err(format!(
                            "path {}: not open (state {}): finish the handshake",
                            p.name, c.state
                        )),
                        Err(e) => Err(format!("path {}: undecodable channel end: {e}", p.name)),
                    },
                    Ok(None) => Err(format!(
                        "path {}: no such channel on {id} (check paths.*.channel_id)",
                        p.name
                    )),
                    Err(e) => Err(format!("path {}: {e}", p.name)),
                };
                out.push(check(id, format!("channel {}/{channel}", end.port_id), r));
            }
        }
    }
    out
}
