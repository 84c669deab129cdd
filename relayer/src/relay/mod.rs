//! Packet relay (ICS-04): the I/O-free core that decides what to relay, the channel v1
//! messages it sends, and ([`clear`]) clearing a channel over two real chains.
//!
//! The core ([`plan`]) is a pure function of what was seen on the two chains: the packets
//! sent on the source (its `send_packet` events), which of them still have a commitment on
//! the source, which the destination has received, the acknowledgements the destination
//! wrote, and the destination's latest height and time. It returns what to do, in batches,
//! lowest sequence first: packets to receive on the destination, acknowledgements to relay
//! back to the source, and packets to time out on the source. Every packet is decided once:
//! duplicates of a sequence are dropped, packets of other channels ignored.
//!
//! The messages are hand-written [`prost`] structs with the field numbers of
//! `ibc/core/channel/v1/{channel,tx}.proto` (ibc-go v10).

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

pub mod clear;
pub mod locate;
pub mod start;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ferry_verifier::pb::ibc::Height;

use crate::rpc::Event;

/// Type URL of [`MsgRecvPacket`].
pub const MSG_RECV_PACKET: &str = "/ibc.core.channel.v1.MsgRecvPacket";
/// Type URL of [`MsgAcknowledgement`].
pub const MSG_ACKNOWLEDGEMENT: &str = "/ibc.core.channel.v1.MsgAcknowledgement";
/// Type URL of [`MsgTimeout`].
pub const MSG_TIMEOUT: &str = "/ibc.core.channel.v1.MsgTimeout";

// ------------------------------------------------------------------------------------------
// Messages

/// `ibc.core.channel.v1.Packet`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Packet {
    /// The sequence on the source channel (field 1).
    #[prost(uint64, tag = "1")]
    pub sequence: u64,
    /// The source port (field 2).
    #[prost(string, tag = "2")]
    pub source_port: String,
    /// The source channel (field 3).
    #[prost(string, tag = "3")]
    pub source_channel: String,
    /// The destination port (field 4).
    #[prost(string, tag = "4")]
    pub destination_port: String,
    /// The destination channel (field 5).
    #[prost(string, tag = "5")]
    pub destination_channel: String,
    /// The application data (field 6).
    #[prost(bytes = "vec", tag = "6")]
    pub data: Vec<u8>,
    /// The destination height from which the packet times out; zero for none (field 7,
    /// non-nullable).
    #[prost(message, required, tag = "7")]
    pub timeout_height: Height,
    /// The destination time (ns since the Unix epoch) from which it times out; zero for
    /// none (field 8).
    #[prost(uint64, tag = "8")]
    pub timeout_timestamp: u64,
}

impl Packet {
    /// The commitment the source stores for this packet
    /// ([`ferry_verifier::ibc::packet_commitment`]).
    pub fn commitment(&self) -> [u8; 32] {
        ferry_verifier::ibc::packet_commitment(
            self.timeout_timestamp,
            self.timeout_height.revision_number,
            self.timeout_height.revision_height,
            &self.data,
        )
    }

    /// Whether the packet has timed out on a destination at `height` and `time_ns`, as
    /// ibc-go decides it (`timeoutHeight != 0 && height >= timeoutHeight`, or
    /// `timeoutTimestamp != 0 && time >= timeoutTimestamp`).
    pub fn timed_out(&self, height: Height, time_ns: u64) -> bool {
        let th = self.timeout_height;
        let by_height = th != Height::default()
            && (height.revision_number, height.revision_height)
                >= (th.revision_number, th.revision_height);
        let by_time = self.timeout_timestamp != 0 && time_ns >= self.timeout_timestamp;
        by_height || by_time
    }
}

/// `ibc.core.channel.v1.MsgRecvPacket`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgRecvPacket {
    /// The packet (field 1).
    #[prost(message, optional, tag = "1")]
    pub packet: Option<Packet>,
    /// Proof of the packet commitment on the source (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub proof_commitment: Vec<u8>,
    /// The client height the proof is checked at (field 3).
    #[prost(message, required, tag = "3")]
    pub proof_height: Height,
    /// The signer (field 4).
    #[prost(string, tag = "4")]
    pub signer: String,
}

/// `ibc.core.channel.v1.MsgAcknowledgement`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgAcknowledgement {
    /// The packet (field 1).
    #[prost(message, optional, tag = "1")]
    pub packet: Option<Packet>,
    /// The acknowledgement the destination wrote (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub acknowledgement: Vec<u8>,
    /// Proof of its commitment on the destination (field 3).
    #[prost(bytes = "vec", tag = "3")]
    pub proof_acked: Vec<u8>,
    /// The client height the proof is checked at (field 4).
    #[prost(message, required, tag = "4")]
    pub proof_height: Height,
    /// The signer (field 5).
    #[prost(string, tag = "5")]
    pub signer: String,
}

/// `ibc.core.channel.v1.MsgTimeout`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgTimeout {
    /// The packet (field 1).
    #[prost(message, optional, tag = "1")]
    pub packet: Option<Packet>,
    /// Proof that the destination has no receipt of it (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub proof_unreceived: Vec<u8>,
    /// The client height the proof is checked at (field 3).
    #[prost(message, required, tag = "3")]
    pub proof_height: Height,
    /// The destination's next sequence to receive (field 4; read by ordered channels only).
    #[prost(uint64, tag = "4")]
    pub next_sequence_recv: u64,
    /// The signer (field 5).
    #[prost(string, tag = "5")]
    pub signer: String,
}

// ------------------------------------------------------------------------------------------
// Events

/// Why an event could not be read as a packet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// An attribute is missing.
    Missing {
        /// The event type.
        event: String,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute is not what it should be.
    Malformed {
        /// The event type.
        event: String,
        /// The attribute.
        attribute: &'static str,
        /// Its value.
        value: String,
    },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::Missing { event, attribute } => {
                write!(
                    f,
                    "a {event} event has no {attribute} attribute: is this ibc-go?"
                )
            }
            EventError::Malformed {
                event,
                attribute,
                value,
            } => write!(f, "a {event} event has a malformed {attribute}: {value:?}"),
        }
    }
}

impl std::error::Error for EventError {}

fn attr<'e>(e: &'e Event, name: &'static str) -> Result<&'e str, EventError> {
    e.attribute(name).ok_or_else(|| EventError::Missing {
        event: e.kind.clone(),
        attribute: name,
    })
}

fn malformed(e: &Event, attribute: &'static str, value: &str) -> EventError {
    EventError::Malformed {
        event: e.kind.clone(),
        attribute,
        value: value.into(),
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

fn parse_height(e: &Event, attribute: &'static str, text: &str) -> Result<Height, EventError> {
    let (n, h) = text
        .split_once('-')
        .ok_or_else(|| malformed(e, attribute, text))?;
    Ok(Height {
        revision_number: n.parse().map_err(|_| malformed(e, attribute, text))?,
        revision_height: h.parse().map_err(|_| malformed(e, attribute, text))?,
    })
}

/// The packet of a `send_packet`, `recv_packet`, `write_acknowledgement`,
/// `acknowledge_packet` or `timeout_packet` event (ibc-go v10 attributes:
/// `packet_sequence`, `packet_src_port`, ..., `packet_data_hex`, `packet_timeout_height`
/// `"N-H"`, `packet_timeout_timestamp`). Events without data (`acknowledge_packet`,
/// `timeout_packet`) give empty data.
pub fn packet_from_event(e: &Event) -> Result<Packet, EventError> {
    let seq = attr(e, "packet_sequence")?;
    let th = attr(e, "packet_timeout_height")?;
    let ts = attr(e, "packet_timeout_timestamp")?;
    let data = match e.attribute("packet_data_hex") {
        Some(h) => hex_decode(h).ok_or_else(|| malformed(e, "packet_data_hex", h))?,
        None => Vec::new(),
    };
    Ok(Packet {
        sequence: seq
            .parse()
            .map_err(|_| malformed(e, "packet_sequence", seq))?,
        source_port: attr(e, "packet_src_port")?.into(),
        source_channel: attr(e, "packet_src_channel")?.into(),
        destination_port: attr(e, "packet_dst_port")?.into(),
        destination_channel: attr(e, "packet_dst_channel")?.into(),
        data,
        timeout_height: parse_height(e, "packet_timeout_height", th)?,
        timeout_timestamp: ts
            .parse()
            .map_err(|_| malformed(e, "packet_timeout_timestamp", ts))?,
    })
}

/// The acknowledgement of a `write_acknowledgement` event (`packet_ack_hex`) and its packet.
pub fn ack_from_event(e: &Event) -> Result<WrittenAck, EventError> {
    let packet = packet_from_event(e)?;
    let h = attr(e, "packet_ack_hex")?;
    let ack = hex_decode(h).ok_or_else(|| malformed(e, "packet_ack_hex", h))?;
    Ok(WrittenAck { packet, ack })
}

// ------------------------------------------------------------------------------------------
// The core

/// One direction of a channel: packets go from `(src_port, src_channel)` on the source to
/// the counterparty end on the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEnds {
    /// The source port.
    pub src_port: String,
    /// The source channel.
    pub src_channel: String,
    /// The destination port.
    pub dst_port: String,
    /// The destination channel.
    pub dst_channel: String,
}

impl ChannelEnds {
    /// Whether `p` travels this way.
    pub fn carries(&self, p: &Packet) -> bool {
        p.source_port == self.src_port
            && p.source_channel == self.src_channel
            && p.destination_port == self.dst_port
            && p.destination_channel == self.dst_channel
    }
}

/// An acknowledgement written on the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenAck {
    /// The packet it acknowledges.
    pub packet: Packet,
    /// The acknowledgement bytes (ICS-20: `{"result":"AQ=="}` or `{"error":...}`).
    pub ack: Vec<u8>,
}

/// What the relayer knows of both chains, as [`plan`] takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Packets sent on the source (from its `send_packet` events; any order, duplicates
    /// allowed).
    pub sent: Vec<Packet>,
    /// Sequences whose commitment is still on the source (neither acknowledged nor timed
    /// out).
    pub committed: BTreeSet<u64>,
    /// Sequences the destination has a receipt of.
    pub received: BTreeSet<u64>,
    /// Acknowledgements written on the destination (from its `write_acknowledgement`
    /// events).
    pub acks: Vec<WrittenAck>,
    /// The destination's latest height.
    pub dst_height: Height,
    /// The destination's latest block time (ns since the Unix epoch).
    pub dst_time_ns: u64,
}

/// What to do, each list sorted by sequence and cut into batches (one transaction each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Packets to receive on the destination.
    pub recv: Vec<Vec<Packet>>,
    /// Acknowledgements to relay to the source.
    pub ack: Vec<Vec<WrittenAck>>,
    /// Packets to time out on the source.
    pub timeout: Vec<Vec<Packet>>,
    /// Sequences received but whose acknowledgement has not been seen yet (asynchronous
    /// acknowledgements, or an event not indexed).
    pub awaiting_ack: Vec<u64>,
}

impl Plan {
    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        self.recv.is_empty() && self.ack.is_empty() && self.timeout.is_empty()
    }

    /// The number of messages to send.
    pub fn len(&self) -> usize {
        let recv: usize = self.recv.iter().map(Vec::len).sum();
        let ack: usize = self.ack.iter().map(Vec::len).sum();
        let timeout: usize = self.timeout.iter().map(Vec::len).sum();
        recv.saturating_add(ack).saturating_add(timeout)
    }
}

fn batches<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let size = size.max(1);
    let mut out: Vec<Vec<T>> = Vec::new();
    for item in items {
        match out.last_mut() {
            Some(last) if last.len() < size => last.push(item),
            _ => out.push(vec![item]),
        }
    }
    out
}

/// Decides what to relay on `ends` from `view`, in batches of at most `batch` messages.
///
/// For each sequence sent this way (the first event of a sequence counts, later duplicates
/// are dropped):
/// - no commitment on the source: finished (acknowledged or timed out), nothing to do;
/// - received on the destination: relay its acknowledgement if one was written, else wait;
/// - not received and timed out at the destination's height or time: time it out;
/// - not received and not timed out: receive it.
///
/// Acknowledgements whose sequence was not among `sent` are relayed too when the source
/// still holds the commitment (a packet sent before the searched range).
pub fn plan(ends: &ChannelEnds, view: &View, batch: usize) -> Plan {
    let mut sent: BTreeMap<u64, &Packet> = BTreeMap::new();
    for p in view.sent.iter().filter(|p| ends.carries(p)) {
        sent.entry(p.sequence).or_insert(p);
    }
    let mut acks: BTreeMap<u64, &WrittenAck> = BTreeMap::new();
    for a in view.acks.iter().filter(|a| ends.carries(&a.packet)) {
        acks.entry(a.packet.sequence).or_insert(a);
    }
    let mut recv = Vec::new();
    let mut timeout = Vec::new();
    let mut awaiting_ack = Vec::new();
    for (seq, p) in &sent {
        if !view.committed.contains(seq) || view.received.contains(seq) {
            if view.committed.contains(seq) && !acks.contains_key(seq) {
                awaiting_ack.push(*seq);
            }
            continue;
        }
        if p.timed_out(view.dst_height, view.dst_time_ns) {
            timeout.push((*p).clone());
        } else {
            recv.push((*p).clone());
        }
    }
    let ack: Vec<WrittenAck> = acks
        .iter()
        .filter(|(seq, _)| view.committed.contains(*seq) && view.received.contains(*seq))
        .map(|(_, a)| (*a).clone())
        .collect();
    Plan {
        recv: batches(recv, batch),
        ack: batches(ack, batch),
        timeout: batches(timeout, batch),
        awaiting_ack,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::EventAttribute;
    use prost::Message as _;

    fn ends() -> ChannelEnds {
        ChannelEnds {
            src_port: "transfer".into(),
            src_channel: "channel-0".into(),
            dst_port: "transfer".into(),
            dst_channel: "channel-1".into(),
        }
    }

    fn packet(seq: u64, timeout_height: u64, timeout_ns: u64) -> Packet {
        Packet {
            sequence: seq,
            source_port: "transfer".into(),
            source_channel: "channel-0".into(),
            destination_port: "transfer".into(),
            destination_channel: "channel-1".into(),
            data: format!("data {seq}").into_bytes(),
            timeout_height: Height {
                revision_number: if timeout_height == 0 { 0 } else { 1 },
                revision_height: timeout_height,
            },
            timeout_timestamp: timeout_ns,
        }
    }

    fn view(sent: Vec<Packet>, committed: &[u64], received: &[u64]) -> View {
        View {
            sent,
            committed: committed.iter().copied().collect(),
            received: received.iter().copied().collect(),
            acks: Vec::new(),
            dst_height: Height {
                revision_number: 1,
                revision_height: 100,
            },
            dst_time_ns: 1_000_000,
        }
    }

    fn seqs(b: &[Vec<Packet>]) -> Vec<Vec<u64>> {
        b.iter()
            .map(|v| v.iter().map(|p| p.sequence).collect())
            .collect()
    }

    #[test]
    fn pending_packets_are_received_in_order_and_in_batches() {
        let v = view(
            vec![
                packet(3, 0, 0),
                packet(1, 0, 0),
                packet(2, 0, 0),
                packet(4, 0, 0),
            ],
            &[1, 2, 3, 4],
            &[],
        );
        let p = plan(&ends(), &v, 3);
        assert_eq!(seqs(&p.recv), vec![vec![1, 2, 3], vec![4]]);
        assert!(p.ack.is_empty() && p.timeout.is_empty());
        assert_eq!(p.len(), 4);
        // Batch size 0 is taken as 1.
        assert_eq!(plan(&ends(), &v, 0).recv.len(), 4);
    }

    #[test]
    fn duplicates_and_other_channels_are_dropped() {
        let mut other = packet(5, 0, 0);
        other.source_channel = "channel-9".into();
        let mut dup = packet(1, 0, 0);
        dup.data = b"a second event of the same sequence".to_vec();
        let v = view(
            vec![packet(1, 0, 0), dup, packet(1, 0, 0), other],
            &[1, 5],
            &[],
        );
        let p = plan(&ends(), &v, 10);
        assert_eq!(seqs(&p.recv), vec![vec![1]]);
        assert_eq!(p.recv[0][0].data, b"data 1");
    }

    #[test]
    fn received_or_finished_packets_are_not_received_again() {
        // 1: received, ack not seen yet; 2: acknowledged (no commitment); 3: pending.
        let v = view(
            vec![packet(1, 0, 0), packet(2, 0, 0), packet(3, 0, 0)],
            &[1, 3],
            &[1, 2],
        );
        let p = plan(&ends(), &v, 10);
        assert_eq!(seqs(&p.recv), vec![vec![3]]);
        assert_eq!(p.awaiting_ack, vec![1]);
        // Everything done: an empty plan (a second clear relays nothing).
        let v = view(vec![packet(1, 0, 0), packet(2, 0, 0)], &[], &[1, 2]);
        assert!(plan(&ends(), &v, 10).is_empty());
    }

    #[test]
    fn written_acks_are_relayed_once_while_the_commitment_exists() {
        let mut v = view(vec![packet(1, 0, 0), packet(2, 0, 0)], &[1], &[1, 2]);
        let ack = |seq| WrittenAck {
            packet: packet(seq, 0, 0),
            ack: br#"{"result":"AQ=="}"#.to_vec(),
        };
        v.acks = vec![ack(2), ack(1), ack(1)];
        let p = plan(&ends(), &v, 10);
        assert!(p.recv.is_empty());
        assert_eq!(p.ack.len(), 1);
        assert_eq!(p.ack[0].len(), 1);
        assert_eq!(p.ack[0][0].packet.sequence, 1);
        assert!(p.awaiting_ack.is_empty());
        // An ack of a packet sent before the searched range is still relayed.
        v.sent.clear();
        assert_eq!(plan(&ends(), &v, 10).ack[0][0].packet.sequence, 1);
    }

    #[test]
    fn timeouts_by_height_and_by_timestamp() {
        // Destination at 1-100, time 1_000_000 ns.
        let v = view(
            vec![
                packet(1, 100, 0),       // height reached: timed out
                packet(2, 101, 0),       // not yet
                packet(3, 0, 1_000_000), // time reached: timed out
                packet(4, 0, 1_000_001), // not yet
                packet(5, 0, 0),         // no timeout
                packet(6, 101, 999_999), // time reached, height not: timed out
            ],
            &[1, 2, 3, 4, 5, 6],
            &[],
        );
        let p = plan(&ends(), &v, 10);
        assert_eq!(seqs(&p.timeout), vec![vec![1, 3, 6]]);
        assert_eq!(seqs(&p.recv), vec![vec![2, 4, 5]]);
        // A received packet is never timed out, even past its timeout.
        let v = view(vec![packet(1, 50, 0)], &[1], &[1]);
        assert!(plan(&ends(), &v, 10).timeout.is_empty());
        // A timeout height of another revision compares by revision first.
        let mut p0 = packet(1, 500, 0);
        p0.timeout_height.revision_number = 0;
        assert!(p0.timed_out(v.dst_height, 0));
        let mut p2 = packet(1, 5, 0);
        p2.timeout_height.revision_number = 2;
        assert!(!p2.timed_out(v.dst_height, 0));
    }

    fn event(kind: &str, attrs: &[(&str, &str)]) -> Event {
        Event {
            kind: kind.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| EventAttribute {
                    key: (*k).into(),
                    value: (*v).into(),
                    index: true,
                })
                .collect(),
        }
    }

    #[test]
    fn events_are_read_and_bad_ones_named() {
        let good = [
            ("packet_data_hex", "7b7d"),
            ("packet_timeout_height", "1-250"),
            ("packet_timeout_timestamp", "1700000000000000000"),
            ("packet_sequence", "7"),
            ("packet_src_port", "transfer"),
            ("packet_src_channel", "channel-0"),
            ("packet_dst_port", "transfer"),
            ("packet_dst_channel", "channel-1"),
        ];
        let p = packet_from_event(&event("send_packet", &good)).unwrap();
        assert_eq!(p.sequence, 7);
        assert_eq!(p.data, b"{}");
        assert_eq!(p.timeout_height.revision_height, 250);
        assert_eq!(p.timeout_timestamp, 1_700_000_000_000_000_000);
        let mut with_ack = good.to_vec();
        with_ack.push(("packet_ack_hex", "01ff"));
        let a = ack_from_event(&event("write_acknowledgement", &with_ack)).unwrap();
        assert_eq!(a.ack, vec![1, 0xff]);
        assert!(matches!(
            ack_from_event(&event("write_acknowledgement", &good)),
            Err(EventError::Missing {
                attribute: "packet_ack_hex",
                ..
            })
        ));
        for (k, bad) in [
            ("packet_data_hex", "7"),
            ("packet_data_hex", "zz"),
            ("packet_timeout_height", "250"),
            ("packet_timeout_height", "a-1"),
            ("packet_timeout_timestamp", "-1"),
            ("packet_sequence", "x"),
        ] {
            let attrs: Vec<_> = good
                .iter()
                .map(|(key, v)| if *key == k { (*key, bad) } else { (*key, *v) })
                .collect();
            let e = packet_from_event(&event("send_packet", &attrs)).unwrap_err();
            assert!(
                matches!(&e, EventError::Malformed { attribute, .. } if *attribute == k),
                "{k}={bad}: {e}"
            );
        }
        let missing: Vec<_> = good[1..].to_vec();
        let p = packet_from_event(&event("send_packet", &missing)).unwrap();
        assert!(p.data.is_empty());
        let e = packet_from_event(&event("send_packet", &good[..3])).unwrap_err();
        assert!(e.to_string().contains("packet_sequence"), "{e}");
    }

    #[test]
    fn messages_keep_their_required_fields() {
        // The non-nullable timeout height and proof height are written even when zero.
        let p = Packet::default().encode_to_vec();
        assert_eq!(p, vec![0x3a, 0x00]);
        let m = MsgTimeout {
            packet: Some(packet(1, 0, 5)),
            ..MsgTimeout::default()
        };
        let bytes = m.encode_to_vec();
        assert_eq!(MsgTimeout::decode(bytes.as_slice()).unwrap(), m);
        assert_eq!(
            packet(1, 0, 5).commitment(),
            ferry_verifier::ibc::packet_commitment(5, 0, 0, b"data 1")
        );
    }
}
