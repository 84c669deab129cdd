//! `ferry clear packets` and `ferry query packets pending`: one direction of a channel
//! cleared over two configured chains.
//!
//! The view the core plans from ([`super::View`]) is read from the chains' latest state
//! without proofs: it only chooses what to try. What is sent is proved: before each batch the
//! receiving chain's client of the proving chain is updated to a header `H + 1` verified by
//! the proving chain's light client, and each packet's commitment, acknowledgement or
//! (for a timeout) the absence of its receipt is queried at `H` and checked against the app
//! hash of that header before anything is signed.

#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use ferry_verifier::client::ClientHeight;
use ferry_verifier::ibc::{
    ack_commitment, channel_end_path, connection_path, packet_acknowledgement_path,
    packet_commitment_path, packet_receipt_path,
};
use ferry_verifier::pb::{self, encode_any, ibc::Height, Any};
use ferry_verifier::proof::{cosmos_sdk_specs, MerkleProof, ProofError, ProofOp};
use ferry_verifier::{ChainId, Hash};
use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};

use super::{
    ack_from_event, packet_from_event, plan, ChannelEnds, EventError, MsgAcknowledgement,
    MsgRecvPacket, MsgTimeout, Packet, Plan, View, WrittenAck, MSG_ACKNOWLEDGEMENT,
    MSG_RECV_PACKET, MSG_TIMEOUT,
};
use crate::chain::{Chain, ChainError};
use crate::config::ChainConfig;
use crate::handshake::{Channel, ConnectionEnd};
use crate::ops::{self, Context, HostSigner, OpsError};

/// How long to wait for a chain to commit the block that makes a state provable.
const BLOCK_WAIT: Duration = Duration::from_secs(30);

/// Why clearing failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RelayError {
    /// A chain, key, light client, client update or transaction failed.
    Ops(Box<OpsError>),
    /// A proof a node gave does not verify against the verified app hash: nothing was sent.
    Proof {
        /// The chain that gave it.
        chain: String,
        /// The IBC path.
        path: String,
        /// The height queried.
        height: u64,
        /// Why.
        reason: String,
    },
    /// A channel or connection end is missing or not as relaying needs it.
    State {
        /// The chain.
        chain: String,
        /// The IBC path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A packet event could not be read.
    Event {
        /// The chain.
        chain: String,
        /// Why.
        error: EventError,
    },
    /// The chain did not commit a new block in time.
    Stalled {
        /// The chain.
        chain: String,
        /// The height waited for.
        height: u64,
    },
}

impl RelayError {
    /// The process exit code: as [`OpsError::exit_code`]; 1 for a bad proof, 65 for an
    /// unreadable event, 66 for a missing channel or connection, 69 for a stalled chain.
    pub fn exit_code(&self) -> i32 {
        match self {
            RelayError::Ops(e) => e.exit_code(),
            RelayError::Proof { .. } => 1,
            RelayError::Event { .. } => 65,
            RelayError::State { .. } => 66,
            RelayError::Stalled { .. } => 69,
        }
    }
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::Ops(e) => e.fmt(f),
            RelayError::Proof {
                chain,
                path,
                height,
                reason,
            } => write!(
                f,
                "{chain}: the proof of {path} at height {height} does not verify against the \
                 light client's app hash ({reason}); nothing was sent: the node is faulty or \
                 pruned that height, try another rpc"
            ),
            RelayError::State {
                chain,
                path,
                reason,
            } => write!(f, "{chain}: {path}: {reason}"),
            RelayError::Event { chain, error } => write!(f, "{chain}: {error}"),
            RelayError::Stalled { chain, height } => write!(
                f,
                "{chain} did not reach height {height} within {}s: is it producing blocks?",
                BLOCK_WAIT.as_secs()
            ),
        }
    }
}

impl std::error::Error for RelayError {}

impl From<OpsError> for RelayError {
    fn from(e: OpsError) -> Self {
        RelayError::Ops(Box::new(e))
    }
}

/// Which direction of which channel to clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearRequest {
    /// The chain the packets were sent on.
    pub src: String,
    /// The chain they go to.
    pub dst: String,
    /// The port on the source.
    pub src_port: String,
    /// The channel on the source.
    pub src_channel: String,
    /// At most this many messages per transaction.
    pub batch: usize,
}

/// The pending work on one direction of a channel, as `ferry query packets pending` prints
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The channel ends.
    pub ends: ChannelEnds,
    /// Sequences to receive on the destination.
    pub recv: Vec<u64>,
    /// Sequences whose acknowledgement is to be relayed to the source.
    pub ack: Vec<u64>,
    /// Sequences to time out on the source.
    pub timeout: Vec<u64>,
    /// Sequences received whose acknowledgement was not seen.
    pub awaiting_ack: Vec<u64>,
}

/// What `ferry clear packets` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cleared {
    /// Sequences received on the destination.
    pub received: Vec<u64>,
    /// Sequences whose acknowledgement was relayed.
    pub acknowledged: Vec<u64>,
    /// Sequences timed out.
    pub timed_out: Vec<u64>,
    /// One line per transaction (for the log).
    pub steps: Vec<String>,
    /// Client updates sent: the chain the client follows and the headers its light client
    /// verified for the update.
    pub client_updates: Vec<(String, usize)>,
}

struct Side<'a> {
    cfg: &'a ChainConfig,
    signer: HostSigner<'a>,
    /// This chain's client of the other chain.
    client: String,
}

/// Everything about a channel direction that clearing needs.
struct Route<'a> {
    src: Side<'a>,
    dst: Side<'a>,
    ends: ChannelEnds,
    /// The channel is ORDERED.
    ordered: bool,
}

/// `ibc.core.channel.v1.Order.ORDER_ORDERED`.
const ORDER_ORDERED: i32 = 2;

fn unreachable(chain: &ChainConfig, e: ChainError) -> RelayError {
    OpsError::Unreachable {
        chain: chain.id.clone(),
        error: Box::new(e),
    }
    .into()
}

fn state_err(chain: &ChainConfig, path: &str, reason: String) -> RelayError {
    RelayError::State {
        chain: chain.id.clone(),
        path: path.into(),
        reason,
    }
}

/// Reads the channel end `port/channel` of `cfg` and its connection's client.
async fn channel_side<'a>(
    ctx: &Context,
    cfg: &'a ChainConfig,
    port: &str,
    channel: &str,
) -> Result<(Side<'a>, Channel), RelayError> {
    let signer = HostSigner::new(ctx, cfg).await?;
    let path = channel_end_path(port, channel);
    let bytes = ops::ibc_store(cfg, signer.rpc(), &path)
        .await?
        .ok_or_else(|| state_err(cfg, &path, "no such channel (check the id)".into()))?;
    let end: Channel =
        pb::decode(&bytes).map_err(|e| state_err(cfg, &path, format!("undecodable: {e}")))?;
    if end.state != crate::handshake::channel_state::OPEN {
        return Err(state_err(
            cfg,
            &path,
            format!("the channel is not OPEN (state {})", end.state),
        ));
    }
    let conn = end
        .connection_hops
        .first()
        .ok_or_else(|| state_err(cfg, &path, "the channel has no connection".into()))?;
    let cpath = connection_path(conn);
    let bytes = ops::ibc_store(cfg, signer.rpc(), &cpath)
        .await?
        .ok_or_else(|| state_err(cfg, &cpath, "no such connection".into()))?;
    let c: ConnectionEnd =
        pb::decode(&bytes).map_err(|e| state_err(cfg, &cpath, format!("undecodable: {e}")))?;
    Ok((
        Side {
            cfg,
            signer,
            client: c.client_id,
        },
        end,
    ))
}

async fn route<'a>(ctx: &'a Context, req: &ClearRequest) -> Result<Route<'a>, RelayError> {
    let src_cfg = ctx.chain(&req.src)?;
    let dst_cfg = ctx.chain(&req.dst)?;
    let (src, end) = channel_side(ctx, src_cfg, &req.src_port, &req.src_channel).await?;
    let dst_port = end.counterparty.port_id.clone();
    let dst_channel = end.counterparty.channel_id.clone();
    let (dst, dst_end) = channel_side(ctx, dst_cfg, &dst_port, &dst_channel).await?;
    if dst_end.counterparty.channel_id != req.src_channel
        || dst_end.counterparty.port_id != req.src_port
    {
        return Err(state_err(
            dst_cfg,
            &channel_end_path(&dst_port, &dst_channel),
            format!(
                "its counterparty is {}/{}, not {}/{}",
                dst_end.counterparty.port_id,
                dst_end.counterparty.channel_id,
                req.src_port,
                req.src_channel
            ),
        ));
    }
    Ok(Route {
        src,
        dst,
        ordered: end.ordering == ORDER_ORDERED,
        ends: ChannelEnds {
            src_port: req.src_port.clone(),
            src_channel: req.src_channel.clone(),
            dst_port,
            dst_channel,
        },
    })
}

/// The packets and acknowledgements seen in events so far, kept between rounds of
/// `ferry start` so that each round reads only the blocks after those it has read. Those
/// whose commitment is gone from the source (finished) are dropped. Packets with a
/// commitment that were not seen (at start, after a restart) are looked for in the blocks
/// that hold them ([`super::locate`]).
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Packets sent, by sequence, with the height of their send.
    sent: BTreeMap<u64, (Packet, u64)>,
    /// The source's blocks are read up to this height (0: none yet).
    sent_to: u64,
    /// Acknowledgements written, by sequence, with the height.
    acks: BTreeMap<u64, (WrittenAck, u64)>,
    /// The destination's blocks are read up to this height (0: none yet).
    acks_to: u64,
    /// Sequences looked for in vain (not searched again until [`Scan::rescan`]).
    unfound_sends: BTreeSet<u64>,
    /// Received sequences whose acknowledgement was looked for in vain.
    unfound_acks: BTreeSet<u64>,
}

impl Scan {
    /// The number of packets remembered (sent and not known to be finished).
    pub fn len(&self) -> usize {
        self.sent.len()
    }

    /// Whether no packet is remembered.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }

    /// The sequences of the packets remembered as pending.
    pub fn pending(&self) -> impl Iterator<Item = u64> + '_ {
        self.sent.keys().copied()
    }

    /// Looks again, at the next round, for the packets and acknowledgements not found so
    /// far (what was seen is kept).
    pub fn rescan(&mut self) {
        self.unfound_sends.clear();
        self.unfound_acks.clear();
    }
}

/// The query for events `kind` of `port/channel` (as source or destination).
fn event_query(kind: &str, side: &str, port: &str, channel: &str) -> String {
    format!("{kind}.packet_{side}_port='{port}' AND {kind}.packet_{side}_channel='{channel}'")
}

/// The sequences of the packet commitments on the source (every page; unverified) and the
/// height of the state they were read at.
async fn commitments(
    side: &Side<'_>,
    port: &str,
    channel: &str,
) -> Result<(BTreeSet<u64>, u64), RelayError> {
    let mut out = BTreeSet::new();
    let mut key = Vec::new();
    let mut at = None;
    loop {
        let q = crate::cosmos::packet_commitments_query(port, channel, &key, 1000);
        let (answer, height) = grpc(side, &q, at).await?;
        // Every page from the state of the first.
        let at = *at.get_or_insert(height);
        let (seqs, next) = crate::cosmos::decode_packet_commitments(&answer)
            .map_err(|e| decode_err(side.cfg, q.path, e))?;
        out.extend(seqs);
        if next.is_empty() || next == key {
            return Ok((out, at));
        }
        key = next;
    }
}

/// Which of `seqs` the destination `port/channel` had received by height `at` (the latest
/// when `None`; unverified), and the height of the state read.
async fn received_of(
    side: &Side<'_>,
    port: &str,
    channel: &str,
    seqs: &BTreeSet<u64>,
    at: Option<u64>,
) -> Result<(BTreeSet<u64>, u64), RelayError> {
    let all: Vec<u64> = seqs.iter().copied().collect();
    let mut received = BTreeSet::new();
    let mut at = at;
    if all.is_empty() {
        let status = side
            .signer
            .rpc()
            .rpc()
            .status()
            .await
            .map_err(|e| unreachable(side.cfg, e.into()))?;
        return Ok((received, at.unwrap_or(status.latest_block_height)));
    }
    for chunk in all.chunks(1000) {
        let q = crate::cosmos::unreceived_packets_query(port, channel, chunk);
        let (answer, height) = grpc(side, &q, at).await?;
        at = Some(height);
        let unreceived: BTreeSet<u64> = crate::cosmos::decode_unreceived_packets(&answer)
            .map_err(|e| decode_err(side.cfg, q.path, e))?
            .into_iter()
            .collect();
        received.extend(chunk.iter().filter(|s| !unreceived.contains(s)));
    }
    Ok((received, at.unwrap_or(0)))
}

/// The channel's `nextSequenceSend` on `side` as of height `at` (unverified).
async fn next_sequence_send_at(
    side: &Side<'_>,
    port: &str,
    channel: &str,
    at: u64,
) -> Result<u64, RelayError> {
    let path = ferry_verifier::ibc::next_sequence_send_path(port, channel);
    let store = format!("store/{}/key", side.cfg.store_prefix);
    let h = ferry_verifier::Height::new(at)
        .map_err(|e| state_err(side.cfg, &path, format!("height {at}: {e}")))?;
    let answer = side
        .signer
        .rpc()
        .rpc()
        .abci_query(&store, path.as_bytes(), Some(h), false)
        .await
        .map_err(|e| unreachable(side.cfg, e.into()))?;
    if answer.code != 0 {
        return Err(unreachable(
            side.cfg,
            ChainError::QueryFailed {
                path: format!("{store} {path} at {at}"),
                code: answer.code,
                codespace: answer.codespace,
                log: answer.log,
            },
        ));
    }
    match <[u8; 8]>::try_from(answer.value.as_slice()) {
        Ok(b) => Ok(u64::from_be_bytes(b)),
        // No packet sent yet on the channel.
        Err(_) if answer.value.is_empty() => Ok(1),
        Err(_) => Err(state_err(
            side.cfg,
            &path,
            format!("not an 8-byte sequence: {}", hex(&answer.value)),
        )),
    }
}

fn decode_err(cfg: &ChainConfig, path: &'static str, e: crate::cosmos::Error) -> RelayError {
    unreachable(
        cfg,
        ChainError::Decode {
            what: path,
            reason: e.to_string(),
        },
    )
}

/// A gRPC query over `abci_query` at height `at` (the latest when `None`); its answer's
/// value and the height of the state it read.
async fn grpc(
    side: &Side<'_>,
    q: &crate::cosmos::Query,
    at: Option<u64>,
) -> Result<(Vec<u8>, u64), RelayError> {
    let height = at
        .map(ferry_verifier::Height::new)
        .transpose()
        .map_err(|e| state_err(side.cfg, q.path, format!("height: {e}")))?;
    let answer = side
        .signer
        .rpc()
        .rpc()
        .abci_query(q.path, &q.data, height, false)
        .await
        .map_err(|e| unreachable(side.cfg, e.into()))?;
    if answer.code != 0 {
        return Err(unreachable(
            side.cfg,
            ChainError::QueryFailed {
                path: q.path.to_string(),
                code: answer.code,
                codespace: answer.codespace,
                log: answer.log,
            },
        ));
    }
    Ok((answer.value, answer.height))
}

/// The events of the blocks `heights` of `side` (read concurrently), in height order.
async fn blocks_events(
    side: &Side<'_>,
    heights: impl IntoIterator<Item = u64>,
) -> Result<Vec<crate::chain::TxEvents>, RelayError> {
    let rpc = side.signer.rpc();
    let mut blocks: Vec<(u64, Vec<crate::chain::TxEvents>)> =
        stream::iter(heights.into_iter().map(|h| async move {
            let height = ferry_verifier::Height::new(h)
                .map_err(|e| state_err(side.cfg, "block_results", format!("height {h}: {e}")))?;
            let events = Chain::<{ ferry_verifier::MAX_VALIDATORS }>::block_events(rpc, height)
                .await
                .map_err(|e| unreachable(side.cfg, e))?;
            Ok::<_, RelayError>((h, events))
        }))
        .buffer_unordered(super::locate::CONCURRENCY)
        .try_collect()
        .await?;
    blocks.sort_by_key(|(h, _)| *h);
    Ok(blocks.into_iter().flat_map(|(_, e)| e).collect())
}

/// Adds to `scan` the `send_packet` events of the route in `txs`.
fn take_sends(
    r: &Route<'_>,
    scan: &mut Scan,
    txs: &[crate::chain::TxEvents],
) -> Result<(), RelayError> {
    for tx in txs.iter().filter(|t| t.code == 0) {
        for ev in tx.events.iter().filter(|ev| ev.kind == "send_packet") {
            let p = packet_from_event(ev).map_err(|error| RelayError::Event {
                chain: r.src.cfg.id.clone(),
                error,
            })?;
            if r.ends.carries(&p) {
                scan.sent
                    .entry(p.sequence)
                    .or_insert((p, tx.height.value()));
            }
        }
    }
    Ok(())
}

/// Adds to `scan` the `write_acknowledgement` events of the route in `txs`.
fn take_acks(
    r: &Route<'_>,
    scan: &mut Scan,
    txs: &[crate::chain::TxEvents],
) -> Result<(), RelayError> {
    for tx in txs.iter().filter(|t| t.code == 0) {
        for ev in tx
            .events
            .iter()
            .filter(|ev| ev.kind == "write_acknowledgement")
        {
            let a = ack_from_event(ev).map_err(|error| RelayError::Event {
                chain: r.dst.cfg.id.clone(),
                error,
            })?;
            if r.ends.carries(&a.packet) {
                scan.acks
                    .entry(a.packet.sequence)
                    .or_insert((a, tx.height.value()));
            }
        }
    }
    Ok(())
}

/// The lowest height `side` still has state and blocks for.
async fn earliest(side: &Side<'_>) -> Result<u64, RelayError> {
    let status = side
        .signer
        .rpc()
        .rpc()
        .status()
        .await
        .map_err(|e| unreachable(side.cfg, e.into()))?;
    Ok(status.earliest_block_height.max(1))
}

/// The events [`find_events`] looks for.
#[derive(Clone, Copy, Debug)]
enum Wanted {
    /// `send_packet` on the source.
    Sends,
    /// `write_acknowledgement` on the destination.
    Acks,
}

/// Finds the events of `missing`, sequences `scan` has not seen the event of: for
/// [`Wanted::Sends`], packets with a commitment on the source at height `at`, whose blocks
/// are found by binary search over the channel's `nextSequenceSend`; for
/// [`Wanted::Acks`], packets the destination had received by `at`, whose receipt blocks
/// (where a synchronous acknowledgement is written) are found over `UnreceivedPackets`.
/// The search covers the blocks after `after` (not read yet) first, then goes back to the
/// node's earliest block, and reads only the blocks found; the node's transaction index
/// is asked for what that did not find (state pruned, asynchronous acknowledgements).
/// What stays missing is remembered as not found.
async fn find_events(
    r: &Route<'_>,
    scan: &mut Scan,
    wanted: Wanted,
    candidates: &BTreeSet<u64>,
    after: u64,
    at: u64,
) -> Result<(), RelayError> {
    let e = &r.ends;
    let (seen, unfound) = match wanted {
        Wanted::Sends => (
            scan.sent.keys().collect::<BTreeSet<_>>(),
            &scan.unfound_sends,
        ),
        Wanted::Acks => (
            scan.acks.keys().collect::<BTreeSet<_>>(),
            &scan.unfound_acks,
        ),
    };
    let missing: Vec<u64> = candidates
        .iter()
        .filter(|s| !seen.contains(s) && !unfound.contains(s))
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let (count, started) = (missing.len(), Instant::now());
    let (side, query) = match wanted {
        Wanted::Sends => (
            &r.src,
            event_query("send_packet", "src", &e.src_port, &e.src_channel),
        ),
        Wanted::Acks => (
            &r.dst,
            event_query("write_acknowledgement", "dst", &e.dst_port, &e.dst_channel),
        ),
    };
    let seen = |scan: &Scan, seq: &u64| match wanted {
        Wanted::Sends => scan.sent.contains_key(seq),
        Wanted::Acks => scan.acks.contains_key(seq),
    };
    let take = |scan: &mut Scan, txs: &[crate::chain::TxEvents]| match wanted {
        Wanted::Sends => take_sends(r, scan, txs),
        Wanted::Acks => take_acks(r, scan, txs),
    };
    let earliest = earliest(side).await?;
    let mut from = if after >= earliest {
        after.saturating_add(1)
    } else {
        earliest
    };
    loop {
        let still: Vec<u64> = missing.iter().filter(|s| !seen(scan, s)).copied().collect();
        if still.is_empty() {
            return Ok(());
        }
        let located = super::locate::locate(still, from, at, |h, seqs: Vec<u64>| async move {
            match wanted {
                Wanted::Sends => {
                    let next =
                        next_sequence_send_at(&r.src, &e.src_port, &e.src_channel, h).await?;
                    Ok::<_, RelayError>(seqs.into_iter().filter(|s| *s < next).collect())
                }
                Wanted::Acks => {
                    let set: BTreeSet<u64> = seqs.into_iter().collect();
                    let (received, _) =
                        received_of(&r.dst, &e.dst_port, &e.dst_channel, &set, Some(h)).await?;
                    Ok(received.into_iter().collect())
                }
            }
        })
        .await;
        match located {
            Ok(heights) => {
                let txs = blocks_events(side, heights.keys().copied()).await?;
                take(scan, &txs)?;
            }
            Err(err) => {
                tracing::warn!(chain = %side.cfg.id, error = %err, ?wanted,
                    "could not find the heights from state; searching the transaction index");
                break;
            }
        }
        if from <= earliest {
            break;
        }
        from = earliest;
    }
    if missing.iter().any(|s| !seen(scan, s)) {
        let txs =
            Chain::<{ ferry_verifier::MAX_VALIDATORS }>::search_txs(side.signer.rpc(), &query)
                .await
                .map_err(|err| unreachable(side.cfg, err))?;
        take(scan, &txs)?;
    }
    let unfound: Vec<u64> = missing.into_iter().filter(|s| !seen(scan, s)).collect();
    tracing::debug!(chain = %side.cfg.id, ?wanted, packets = count, unfound = unfound.len(),
        ms = started.elapsed().as_millis() as u64, "found the events of packets not seen before");
    match wanted {
        Wanted::Sends => scan.unfound_sends.extend(unfound),
        Wanted::Acks => scan.unfound_acks.extend(unfound),
    }
    Ok(())
}

/// Reads the view: the source's packet commitments, the `send_packet` events of the source
/// (new blocks since the last round, and the blocks of committed packets not seen yet),
/// which of the committed packets the destination received, the `write_acknowledgement`
/// events of those (likewise), and the destination's height and time. Returns it with the
/// highest height of a pending send and of a pending acknowledgement.
async fn read_view(r: &Route<'_>, scan: &mut Scan) -> Result<(View, u64, u64), RelayError> {
    let e = &r.ends;
    let (committed, src_at) = commitments(&r.src, &e.src_port, &e.src_channel).await?;
    // Finished packets (no commitment) are forgotten.
    scan.sent.retain(|seq, _| committed.contains(seq));
    scan.unfound_sends.retain(|seq| committed.contains(seq));
    // The sends not seen yet: looked for in the blocks not read yet (only those holding
    // them are read), then further back.
    find_events(r, scan, Wanted::Sends, &committed, scan.sent_to, src_at).await?;
    scan.sent_to = scan.sent_to.max(src_at);

    let (received, dst_at) =
        received_of(&r.dst, &e.dst_port, &e.dst_channel, &committed, None).await?;
    scan.acks.retain(|seq, _| committed.contains(seq));
    scan.unfound_acks.retain(|seq| received.contains(seq));
    find_events(r, scan, Wanted::Acks, &received, scan.acks_to, dst_at).await?;
    scan.acks_to = scan.acks_to.max(dst_at);

    let status = r
        .dst
        .signer
        .rpc()
        .rpc()
        .status()
        .await
        .map_err(|err| unreachable(r.dst.cfg, err.into()))?;
    let sent_at = scan.sent.values().map(|(_, h)| *h).max().unwrap_or(0);
    let acked_at = scan.acks.values().map(|(_, h)| *h).max().unwrap_or(0);
    let dst_id = ChainId::new(&r.dst.cfg.id)
        .map_err(|err| state_err(r.dst.cfg, "chain id", format!("not a chain id: {err}")))?;
    let dst_height = ClientHeight::new(
        ferry_verifier::client::revision_number(dst_id.as_str()),
        status.latest_block_height,
    );
    let t = status.latest_block_time;
    let dst_time_ns = u64::try_from(t.unix_secs())
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(t.subsec_nanos()));
    Ok((
        View {
            sent: scan.sent.values().map(|(p, _)| p.clone()).collect(),
            committed,
            received,
            acks: scan.acks.values().map(|(a, _)| a.clone()).collect(),
            dst_height: Height {
                revision_number: dst_height.revision_number,
                revision_height: dst_height.revision_height,
            },
            dst_time_ns,
        },
        sent_at,
        acked_at,
    ))
}

fn pending_of(ends: &ChannelEnds, p: &Plan) -> Pending {
    let s = |b: &Vec<Vec<Packet>>| -> Vec<u64> { b.iter().flatten().map(|p| p.sequence).collect() };
    Pending {
        ends: ends.clone(),
        recv: s(&p.recv),
        ack: p.ack.iter().flatten().map(|a| a.packet.sequence).collect(),
        timeout: s(&p.timeout),
        awaiting_ack: p.awaiting_ack.clone(),
    }
}

/// What the planner sees of one direction of a channel now: its ends and the [`View`] read
/// from both chains' latest state (unverified; nothing is sent).
pub async fn view(ctx: &Context, req: &ClearRequest) -> Result<(ChannelEnds, View), RelayError> {
    let r = route(ctx, req).await?;
    let (view, _, _) = read_view(&r, &mut Scan::default()).await?;
    Ok((r.ends, view))
}

/// Receives `packets` on the destination in one transaction, without planning: each
/// commitment is proved (and checked) as [`clear`] does, and the destination judges the
/// rest (a packet it received already makes the transaction redundant, which ibc-go
/// refuses). For operators' manual relaying and for tests of the chain's own checks.
pub async fn recv_packets(
    ctx: &Context,
    req: &ClearRequest,
    packets: &[Packet],
) -> Result<Cleared, RelayError> {
    let r = route(ctx, req).await?;
    let mut out = Cleared::default();
    let mut written = Vec::new();
    // Proved at the source's latest height, where the commitments must be.
    let latest = r
        .src
        .signer
        .rpc()
        .rpc()
        .status()
        .await
        .map_err(|err| unreachable(r.src.cfg, err.into()))?
        .latest_block_height;
    recv_all(ctx, &r, &[packets.to_vec()], latest, &mut out, &mut written).await?;
    Ok(out)
}

/// `ferry query packets pending`: what clearing would relay now (nothing is sent).
pub async fn pending(ctx: &Context, req: &ClearRequest) -> Result<Pending, RelayError> {
    let r = route(ctx, req).await?;
    let (view, _, _) = read_view(&r, &mut Scan::default()).await?;
    Ok(pending_of(&r.ends, &plan(&r.ends, &view, req.batch)))
}

/// What a store proof must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The key holds exactly this value (a packet or acknowledgement commitment).
    Value(Vec<u8>),
    /// The key is absent (a receipt, for a timeout).
    Absent,
}

/// Checks the proof ops of an `abci_query` of `key` in the store `store_prefix` (e.g. `ibc`)
/// against `app_hash` (of the verified header one above the queried height) with the Cosmos
/// SDK proof specs: membership of the expected value, or absence. Returns the proof as the
/// protobuf `ibc.core.commitment.v1.MerkleProof` an IBC message carries.
pub fn check_store_proof(
    ops: &[ProofOp],
    app_hash: &[u8],
    store_prefix: &str,
    key: &[u8],
    expect: &Expect,
) -> Result<Vec<u8>, ProofError> {
    let merkle = MerkleProof::from_proof_ops(ops)?;
    let key_path = [store_prefix.as_bytes(), key];
    match expect {
        Expect::Value(v) => {
            merkle.verify_membership(&cosmos_sdk_specs(), app_hash, &key_path, v)?;
        }
        Expect::Absent => {
            merkle.verify_non_membership(&cosmos_sdk_specs(), app_hash, &key_path)?;
        }
    }
    Ok(merkle.encode())
}

/// Waits until `side`'s chain is above `height`.
async fn wait_above(side: &Side<'_>, height: u64) -> Result<(), RelayError> {
    let start = Instant::now();
    loop {
        let status = side
            .signer
            .rpc()
            .rpc()
            .status()
            .await
            .map_err(|e| unreachable(side.cfg, e.into()))?;
        if status.latest_block_height > height {
            return Ok(());
        }
        if start.elapsed() > BLOCK_WAIT {
            return Err(RelayError::Stalled {
                chain: side.cfg.id.clone(),
                height: height.saturating_add(1),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The height the proofs for `host` will be at, and the client update that makes it known
/// there (none when `host`'s client of `prover` is at a height above `after` already, whose
/// header the light client verified: the proofs are then at that height and no update is
/// needed). Otherwise the client is to be updated to `prover`'s latest verified header
/// `H + 1` (after `prover` committed `after`), the message returned to go first in the
/// transaction.
async fn proof_target(
    ctx: &Context,
    prover: &Side<'_>,
    host: &Side<'_>,
    after: u64,
) -> Result<(Option<(Any, usize)>, Height), RelayError> {
    let latest = ops::client_latest_height(host.cfg, host.signer.rpc(), &host.client).await?;
    if latest.revision_height > after {
        if let Ok(h) = ferry_verifier::Height::new(latest.revision_height) {
            let (lc, _) = ops::open(prover.cfg, &ctx.data_dir).await?;
            if matches!(lc.verified(h), Ok(Some(_))) {
                return Ok((
                    None,
                    Height {
                        revision_number: latest.revision_number,
                        revision_height: latest.revision_height,
                    },
                ));
            }
        }
    }
    wait_above(prover, after).await?;
    let mut tries = 0u32;
    let (msg, updated) = loop {
        match ops::update_client_msg(
            ctx,
            &host.signer,
            &host.client,
            Some(prover.cfg.id.as_str()),
            None,
        )
        .await
        {
            Ok(u) => break u,
            Err(OpsError::BadOption {
                option: "--height", ..
            }) if tries < 10 => {
                tries = tries.saturating_add(1);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok((
        Some((msg, updated.verified_headers)),
        Height {
            revision_number: updated.height.revision_number,
            revision_height: updated.height.revision_height,
        },
    ))
}

/// Queries each path of `prover` at `H` for a proof height `H + 1` on `host` (see
/// [`proof_target`]) and checks each proof against the app hash of the header `H + 1` that
/// `prover`'s light client verified (at the proof height `fixed` when given: a later group
/// proved at the height an earlier one updated the client to). Returns the proofs
/// (protobuf `MerkleProof`s, in the order of `paths`), the proof height, and the client
/// update to send first (if any).
async fn prove_all(
    ctx: &Context,
    prover: &Side<'_>,
    host: &Side<'_>,
    paths: &[(String, Expect)],
    after: u64,
    fixed: Option<Height>,
) -> Result<(Vec<Vec<u8>>, Height, Option<(Any, usize)>), RelayError> {
    let (update, proof_height) = match fixed {
        Some(h) => (None, h),
        None => proof_target(ctx, prover, host, after).await?,
    };
    let query_height = proof_height.revision_height.saturating_sub(1);
    let cfg = prover.cfg;
    let perr = |path: &str, reason: String| RelayError::Proof {
        chain: cfg.id.clone(),
        path: path.into(),
        height: query_height,
        reason,
    };
    let (lc, _) = ops::open(cfg, &ctx.data_dir).await?;
    let verified_at = ferry_verifier::Height::new(proof_height.revision_height)
        .map_err(|e| perr("", e.to_string()))?;
    let block = lc
        .verified(verified_at)
        .map_err(|e| RelayError::from(OpsError::Light(Box::new(e))))?
        .ok_or_else(|| perr("", "the verified header was not kept".into()))?;
    let app_hash = block.header().app_hash.as_bytes().to_vec();
    let at = ferry_verifier::Height::new(query_height).map_err(|e| perr("", e.to_string()))?;
    let store_path = format!("store/{}/key", cfg.store_prefix);
    let (store_path, app_hash, perr, primary) = (&store_path, &app_hash, &perr, lc.primary());
    // The queries run concurrently; the proofs come back in the order of `paths`.
    let proofs: Vec<Vec<u8>> = stream::iter(paths.iter().map(|(path, expect)| async move {
        let q = primary
            .rpc()
            .abci_query(store_path, path.as_bytes(), Some(at), true)
            .await
            .map_err(|e| unreachable(cfg, e.into()))?;
        if q.code != 0 {
            return Err(unreachable(
                cfg,
                ChainError::QueryFailed {
                    path: store_path.clone(),
                    code: q.code,
                    codespace: q.codespace,
                    log: q.log,
                },
            ));
        }
        if q.height != query_height {
            return Err(perr(
                path,
                format!("the node answered for height {}", q.height),
            ));
        }
        match expect {
            Expect::Value(_) if q.value.is_empty() => {
                return Err(state_err(
                    cfg,
                    path,
                    format!(
                        "absent at height {query_height} (relayed already, acknowledged or \
                         timed out?); nothing was sent"
                    ),
                ));
            }
            Expect::Value(v) if q.value != *v => {
                return Err(state_err(
                    cfg,
                    path,
                    format!(
                        "{} at height {query_height}, expected {}; nothing was sent",
                        hex(&q.value),
                        hex(v)
                    ),
                ));
            }
            Expect::Absent if !q.value.is_empty() => {
                return Err(state_err(
                    cfg,
                    path,
                    format!("present at height {query_height}"),
                ));
            }
            _ => {}
        }
        check_store_proof(
            &q.proof_ops,
            app_hash,
            &cfg.store_prefix,
            path.as_bytes(),
            expect,
        )
        .map_err(|e| perr(path, e.to_string()))
    }))
    .buffered(super::locate::CONCURRENCY)
    .try_collect()
    .await?;
    Ok((proofs, proof_height, update))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn fmt_height(h: Height) -> String {
    format!("{}-{}", h.revision_number, h.revision_height)
}

fn seq_list(seqs: &[u64]) -> String {
    seqs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The transactions sent for one block (one proof height, one client update in the
/// first, the rest relying on it) carry at most this many messages together...
const GROUP_MESSAGES: usize = 1000;
/// ... in at most this many transactions.
const GROUP_TXS: usize = 100;

/// How many batches of `batches` go in one group (see [`GROUP_MESSAGES`]).
fn group_len<T>(batches: &[Vec<T>]) -> usize {
    let per_tx = batches.first().map_or(1, Vec::len).max(1);
    GROUP_MESSAGES
        .checked_div(per_tx)
        .unwrap_or(1)
        .clamp(1, GROUP_TXS)
}

/// What [`send_groups`] returns: each transaction included, with its height, its events,
/// its batch and its proof height; and the error that stopped the rest.
type Sent<'g, T> = (
    Vec<(u64, Vec<crate::rpc::Event>, &'g [T], Height)>,
    Option<RelayError>,
);

/// Proves the items of `batches` on `prover` for `host` and sends one transaction per
/// batch, in groups of [`GROUP_MESSAGES`]: the first group's proofs at a height the
/// client is updated to (the update first in its first transaction), the later groups'
/// at the same height. Each group is broadcast as soon as it is proved, with consecutive
/// sequences, while the chain includes the ones before; then the inclusion of each is
/// awaited. Returns what went through and the error that stopped the rest.
#[allow(clippy::too_many_arguments)]
async fn send_groups<'g, T>(
    ctx: &Context,
    prover: &Side<'_>,
    host: &Side<'_>,
    batches: &'g [Vec<T>],
    after: u64,
    out: &mut Cleared,
    path_of: impl Fn(&T) -> (String, Expect),
    msg_of: impl Fn(&T, Vec<u8>, Height) -> Any,
) -> Sent<'g, T> {
    let mut account = None;
    let mut fixed: Option<Height> = None;
    let mut sent: Vec<(Hash, &'g [T], Height)> = Vec::new();
    let mut error = None;
    for group in batches.chunks(group_len(batches)) {
        let paths: Vec<(String, Expect)> = group.iter().flatten().map(&path_of).collect();
        let t = Instant::now();
        let (proofs, proof_height, update) =
            match prove_all(ctx, prover, host, &paths, after, fixed).await {
                Ok(p) => p,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            };
        fixed = Some(proof_height);
        tracing::debug!(chain = %prover.cfg.id, proofs = paths.len(), update = update.is_some(),
            ms = t.elapsed().as_millis() as u64, "proved at {}", fmt_height(proof_height));
        if let Some((_, n)) = &update {
            out.client_updates.push((prover.cfg.id.clone(), *n));
        }
        let mut update = update.map(|(m, _)| m);
        let mut proofs = proofs.into_iter();
        let mut txs = Vec::with_capacity(group.len());
        for batch in group {
            let mut msgs: Vec<Any> = update.take().into_iter().collect();
            for item in batch {
                let proof = proofs.next().unwrap_or_default();
                msgs.push(msg_of(item, proof, proof_height));
            }
            txs.push(msgs);
        }
        let t = Instant::now();
        let (hashes, err) = host.signer.broadcast_many(&txs, &mut account).await;
        tracing::debug!(chain = %host.cfg.id, txs = hashes.len(),
            ms = t.elapsed().as_millis() as u64, "broadcast");
        sent.extend(
            hashes
                .into_iter()
                .zip(group)
                .map(|(h, b)| (h, b.as_slice(), proof_height)),
        );
        if let Some(e) = err {
            error = Some(e.into());
            break;
        }
    }
    let t = Instant::now();
    let hashes: Vec<Hash> = sent.iter().map(|(h, _, _)| *h).collect();
    let (done, err) = host.signer.await_included(&hashes).await;
    tracing::debug!(chain = %host.cfg.id, txs = done.len(),
        ms = t.elapsed().as_millis() as u64, "included");
    let done = done
        .into_iter()
        .zip(sent)
        .map(|((h, events), (_, batch, proof_height))| (h, events, batch, proof_height))
        .collect();
    // A transaction refused in its block stops the report there; an earlier error (in
    // proving or broadcasting) is the reason the rest were not sent.
    (done, err.map(RelayError::from).or(error))
}

async fn recv_all(
    ctx: &Context,
    r: &Route<'_>,
    batches: &[Vec<Packet>],
    after: u64,
    out: &mut Cleared,
    written: &mut Vec<WrittenAck>,
) -> Result<u64, RelayError> {
    let e = &r.ends;
    let mut last = 0u64;
    let (done, err) = send_groups(
        ctx,
        &r.src,
        &r.dst,
        batches,
        after,
        out,
        |p: &Packet| {
            (
                packet_commitment_path(&e.src_port, &e.src_channel, p.sequence),
                Expect::Value(p.commitment().to_vec()),
            )
        },
        |p, proof, proof_height| {
            encode_any(
                MSG_RECV_PACKET,
                &MsgRecvPacket {
                    packet: Some(p.clone()),
                    proof_commitment: proof,
                    proof_height,
                    signer: r.dst.signer.address().into(),
                },
            )
        },
    )
    .await;
    for (h, events, batch, proof_height) in done {
        // The acknowledgements written by this transaction: from its own events, as
        // the node's transaction index may not have them yet.
        for ev in events
            .iter()
            .filter(|ev| ev.kind == "write_acknowledgement")
        {
            let a = ack_from_event(ev).map_err(|error| RelayError::Event {
                chain: r.dst.cfg.id.clone(),
                error,
            })?;
            if e.carries(&a.packet) {
                written.push(a);
            }
        }
        let seqs: Vec<u64> = batch.iter().map(|p| p.sequence).collect();
        out.steps.push(format!(
            "RecvPacket on {}: {}/{} sequences {} (proof height {}, height {h})",
            r.dst.cfg.id,
            e.dst_port,
            e.dst_channel,
            seq_list(&seqs),
            fmt_height(proof_height)
        ));
        out.received.extend(seqs);
        last = last.max(h);
    }
    if let Some(err) = err {
        return Err(err);
    }
    Ok(last)
}

async fn ack_all(
    ctx: &Context,
    r: &Route<'_>,
    batches: &[Vec<WrittenAck>],
    after: u64,
    out: &mut Cleared,
) -> Result<(), RelayError> {
    let e = &r.ends;
    let (done, err) = send_groups(
        ctx,
        &r.dst,
        &r.src,
        batches,
        after,
        out,
        |a: &WrittenAck| {
            (
                packet_acknowledgement_path(&e.dst_port, &e.dst_channel, a.packet.sequence),
                Expect::Value(ack_commitment(&a.ack).to_vec()),
            )
        },
        |a, proof, proof_height| {
            encode_any(
                MSG_ACKNOWLEDGEMENT,
                &MsgAcknowledgement {
                    packet: Some(a.packet.clone()),
                    acknowledgement: a.ack.clone(),
                    proof_acked: proof,
                    proof_height,
                    signer: r.src.signer.address().into(),
                },
            )
        },
    )
    .await;
    for (h, _, batch, proof_height) in done {
        let seqs: Vec<u64> = batch.iter().map(|a| a.packet.sequence).collect();
        out.steps.push(format!(
            "Acknowledgement on {}: {}/{} sequences {} (proof height {}, height {h})",
            r.src.cfg.id,
            e.src_port,
            e.src_channel,
            seq_list(&seqs),
            fmt_height(proof_height)
        ));
        out.acknowledged.extend(seqs);
    }
    if let Some(err) = err {
        return Err(err);
    }
    Ok(())
}

async fn timeout_all(
    ctx: &Context,
    r: &Route<'_>,
    batches: &[Vec<Packet>],
    after: u64,
    out: &mut Cleared,
) -> Result<(), RelayError> {
    let e = &r.ends;
    if r.ordered && !batches.is_empty() {
        // ibc-go times out a packet of an ORDERED channel on a proof of the destination's
        // nextSequenceRecv, not of a receipt's absence; not built yet (ICS-20 channels are
        // unordered). Said each round rather than sending a timeout the chain refuses.
        let seqs: Vec<u64> = batches.iter().flatten().map(|p| p.sequence).collect();
        tracing::warn!(chain = %r.src.cfg.id, port = %e.src_port, channel = %e.src_channel,
            sequences = %seq_list(&seqs),
            "packets timed out on an ORDERED channel: Ferry does not relay timeouts of ordered \
             channels yet (they need a proof of nextSequenceRecv); not sent");
        return Ok(());
    }
    let (done, err) = send_groups(
        ctx,
        &r.dst,
        &r.src,
        batches,
        after,
        out,
        |p: &Packet| {
            (
                packet_receipt_path(&e.dst_port, &e.dst_channel, p.sequence),
                Expect::Absent,
            )
        },
        |p, proof, proof_height| {
            encode_any(
                MSG_TIMEOUT,
                &MsgTimeout {
                    packet: Some(p.clone()),
                    proof_unreceived: proof,
                    proof_height,
                    // Only ordered channels compare it with the packet's sequence (with
                    // a proof of nextSequenceRecv); ibc-go refuses 0, so unordered gets
                    // the packet's own sequence.
                    next_sequence_recv: p.sequence,
                    signer: r.src.signer.address().into(),
                },
            )
        },
    )
    .await;
    for (h, _, batch, proof_height) in done {
        let seqs: Vec<u64> = batch.iter().map(|p| p.sequence).collect();
        out.steps.push(format!(
            "Timeout on {}: {}/{} sequences {} (proof height {}, height {h})",
            r.src.cfg.id,
            e.src_port,
            e.src_channel,
            seq_list(&seqs),
            fmt_height(proof_height)
        ));
        out.timed_out.extend(seqs);
    }
    if let Some(err) = err {
        return Err(err);
    }
    Ok(())
}

/// `ferry clear packets`: receives the pending packets of one direction of a channel on the
/// destination, then relays the acknowledgements back, and times out on the source the
/// packets whose timeout passed on the destination. Every proof is checked against a
/// header verified by the proving chain's light client before it is sent. The `Cleared`
/// report is returned with the error when a later step fails.
pub async fn clear(ctx: &Context, req: &ClearRequest) -> Result<Cleared, (Cleared, RelayError)> {
    clear_with(ctx, req, &mut Scan::default()).await
}

/// [`clear`] with the events seen in earlier rounds (`ferry start` keeps one [`Scan`] per
/// direction, so each round searches only new blocks).
pub async fn clear_with(
    ctx: &Context,
    req: &ClearRequest,
    scan: &mut Scan,
) -> Result<Cleared, (Cleared, RelayError)> {
    let mut out = Cleared::default();
    match clear_into(ctx, req, scan, &mut out).await {
        Ok(()) => Ok(out),
        Err(e) => Err((out, e)),
    }
}

/// At most this many messages of each kind per round of `ferry start`.
const ROUND_MESSAGES: usize = 3000;

/// Keeps the first batches of `batches` holding at most `max` messages (at least one
/// batch).
fn cap<T>(batches: &mut Vec<Vec<T>>, max: usize) {
    let mut total = 0usize;
    let keep = batches
        .iter()
        .take_while(|b| {
            total = total.saturating_add(b.len());
            total <= max
        })
        .count()
        .max(1);
    batches.truncate(keep);
}

/// One round of `ferry start` on one direction of a channel: what [`clear_with`] does,
/// but the receives on the destination and the timeouts and acknowledgements on the source
/// go at the same time, and the acknowledgements the receives write are left for the next
/// round (kept in `scan`), so that a round lasts about the two blocks a receive needs
/// (its proof height, then its inclusion) rather than four.
pub async fn step_with(
    ctx: &Context,
    req: &ClearRequest,
    scan: &mut Scan,
) -> Result<Cleared, (Cleared, RelayError)> {
    let r = match route(ctx, req).await {
        Ok(r) => r,
        Err(e) => return Err((Cleared::default(), e)),
    };
    let t = Instant::now();
    let (view, sent_at, acked_at) = match read_view(&r, scan).await {
        Ok(v) => v,
        Err(e) => return Err((Cleared::default(), e)),
    };
    let mut p = plan(&r.ends, &view, req.batch);
    // A round takes a bounded share of a backlog, so that the next round relays the
    // acknowledgements of this one's receives while receiving the next share.
    cap(&mut p.recv, ROUND_MESSAGES);
    cap(&mut p.ack, ROUND_MESSAGES);
    cap(&mut p.timeout, ROUND_MESSAGES);
    tracing::debug!(src = %req.src, ms = t.elapsed().as_millis() as u64,
        recv = p.recv.iter().map(Vec::len).sum::<usize>(),
        ack = p.ack.iter().map(Vec::len).sum::<usize>(),
        timeout = p.timeout.iter().map(Vec::len).sum::<usize>(), "read the view");
    let timed_out_at = view.dst_height.revision_height.saturating_sub(1);
    let mut on_dst = Cleared::default();
    let mut on_src = Cleared::default();
    let mut written = Vec::new();
    let (recv, back) = tokio::join!(
        recv_all(ctx, &r, &p.recv, sent_at, &mut on_dst, &mut written),
        async {
            timeout_all(ctx, &r, &p.timeout, timed_out_at, &mut on_src).await?;
            ack_all(ctx, &r, &p.ack, acked_at, &mut on_src).await
        }
    );
    let last = recv.as_ref().copied().unwrap_or(0);
    for a in written {
        scan.acks
            .entry(a.packet.sequence)
            .or_insert_with(|| (a, last));
    }
    let mut out = on_dst;
    out.acknowledged = on_src.acknowledged;
    out.timed_out = on_src.timed_out;
    out.steps.extend(on_src.steps);
    out.client_updates.extend(on_src.client_updates);
    match (recv, back) {
        (Err(e), _) | (Ok(_), Err(e)) => Err((out, e)),
        (Ok(_), Ok(())) => Ok(out),
    }
}

async fn clear_into(
    ctx: &Context,
    req: &ClearRequest,
    scan: &mut Scan,
    out: &mut Cleared,
) -> Result<(), RelayError> {
    let r = route(ctx, req).await?;
    let (view, sent_at, _) = read_view(&r, scan).await?;
    let p = plan(&r.ends, &view, req.batch);
    // The timeouts are proved at a height whose time is at least the destination's time in
    // the view, which passed them.
    let timed_out_at = view.dst_height.revision_height.saturating_sub(1);
    timeout_all(ctx, &r, &p.timeout, timed_out_at, out).await?;
    let mut written = Vec::new();
    let last = recv_all(ctx, &r, &p.recv, sent_at, out, &mut written).await?;
    // The acknowledgements: those pending before, and those the receives just wrote (from
    // their transactions' events, which the node's index may not have yet).
    for a in &written {
        scan.acks
            .entry(a.packet.sequence)
            .or_insert_with(|| (a.clone(), last));
    }
    let (mut view, _, acked_at) = read_view(&r, scan).await?;
    view.received
        .extend(written.iter().map(|a| a.packet.sequence));
    let p = plan(&r.ends, &view, req.batch);
    ack_all(ctx, &r, &p.ack, acked_at.max(last), out).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(file: &str) -> (Vec<ProofOp>, Vec<u8>) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/data/real/simd/");
        let text = std::fs::read_to_string(format!("{dir}{file}")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let r = &v["result"]["response"];
        assert_eq!(r["height"], "4");
        let ops: Vec<ProofOp> = serde_json::from_value(r["proofOps"]["ops"].clone()).unwrap();
        let hash = crate::ops::parse_hash(
            "4B99005BEE0F02D2A9E9BC272E3E1A6BEA38F458A661780946CF779BAAE87D08",
        )
        .unwrap()
        .as_bytes()
        .to_vec();
        (ops, hash)
    }

    /// Real simd answers at height 4 against the app hash of simd's header 5: a present IBC
    /// key and an absent bank key. Each verifies only as what it is; another hash, key or
    /// store, or any changed proof byte, is refused.
    #[test]
    fn membership_and_absence_are_checked_against_the_verified_app_hash() {
        let (present, hash) = fixture("abci-ibc-next-client-sequence.json");
        let key = b"nextClientSequence";
        let value = Expect::Value(vec![0; 8]);
        check_store_proof(&present, &hash, "ibc", key, &value).unwrap();
        assert!(check_store_proof(&present, &hash, "ibc", key, &Expect::Absent).is_err());
        assert!(check_store_proof(&present, &hash, "ibc", key, &Expect::Value(vec![1])).is_err());

        let (absent, _) = fixture("abci-bank-absent.json");
        // The key of the absent proof: bank balances prefix 0x02, address, denom "ferrycoin".
        let mut bank_key = vec![0x02, 0x14];
        bank_key.extend_from_slice(&[
            0x0d, 0xb8, 0x6e, 0x8c, 0x39, 0x7b, 0x68, 0xcb, 0x61, 0xd3, 0x81, 0xad, 0x46, 0x92,
            0xb3, 0x19, 0x86, 0x6d, 0x8d, 0xe7,
        ]);
        bank_key.extend_from_slice(b"ferrycoin");
        check_store_proof(&absent, &hash, "bank", &bank_key, &Expect::Absent).unwrap();
        assert!(
            check_store_proof(&absent, &hash, "bank", &bank_key, &Expect::Value(vec![1])).is_err()
        );
        assert!(check_store_proof(&absent, &hash, "ibc", &bank_key, &Expect::Absent).is_err());
        let mut other = hash.clone();
        other[31] ^= 1;
        assert!(check_store_proof(&absent, &other, "bank", &bank_key, &Expect::Absent).is_err());
        assert!(check_store_proof(&[], &hash, "bank", &bank_key, &Expect::Absent).is_err());
        let accepted: Vec<usize> = (0..absent[0].data.len())
            .filter(|&i| {
                let mut bad = absent.clone();
                bad[0].data[i] ^= 0x20;
                check_store_proof(&bad, &hash, "bank", &bank_key, &Expect::Absent).is_ok()
            })
            .collect();
        // Only byte 3 changes nothing that matters: it is the tag of the NonExistenceProof's
        // own copy of the key (0x0a); flipped to 0x2a it becomes an unknown field 5, skipped
        // by the decoder, and the neighbours still prove the absence (a changed key byte is
        // refused).
        assert_eq!(absent[0].data[3], 0x0a);
        assert_eq!(accepted, vec![3]);
    }

    #[test]
    fn errors_have_exit_codes() {
        let e = RelayError::Proof {
            chain: "ferry-b".into(),
            path: "receipts/ports/transfer/channels/channel-0/sequences/3".into(),
            height: 9,
            reason: "x".into(),
        };
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("nothing was sent"));
        let e = RelayError::Event {
            chain: "ferry-a".into(),
            error: EventError::Missing {
                event: "send_packet".into(),
                attribute: "packet_sequence",
            },
        };
        assert_eq!(e.exit_code(), 65);
        assert_eq!(
            RelayError::Stalled {
                chain: "a".into(),
                height: 3
            }
            .exit_code(),
            69
        );
    }
}
