//! IBC host paths (ICS-24) and packet commitments (ICS-04), byte for byte as ibc-go computes
//! them, for proving IBC state with [`crate::proof`].
//!
//! Classic IBC (v1): the store paths of clients, connections, channels and packets
//! (`modules/core/24-host/keys.go`), the packet commitment, acknowledgement commitment and
//! receipt value (`modules/core/04-channel/types/packet.go`). IBC v2 ("Eureka"): the packet
//! and acknowledgement commitments ([`v2`], `modules/core/04-channel/v2/types/commitment.go`).
//!
//! On a Cosmos SDK chain these paths are keys in the `ibc` store: the key path of a proof is
//! `[STORE_KEY, path]` ([`key_path`]).
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use ferry_verifier::ibc;
//!
//! let path = ibc::packet_commitment_path("transfer", "channel-0", 1);
//! assert_eq!(path, "commitments/ports/transfer/channels/channel-0/sequences/1");
//! let commitment = ibc::packet_commitment(0, 1, 1000, b"packet data");
//! // proof.verify_membership(&cosmos_sdk_specs(), app_hash, &ibc::key_path(&path), &commitment)
//! # let _ = commitment;
//! # }
//! ```

use alloc::format;
use alloc::string::String;

use sha2::{Digest, Sha256};

/// A 32-byte commitment (a SHA-256 digest).
pub type Commitment = [u8; 32];

/// The name of the IBC module's store on Cosmos SDK chains: the first element of the key
/// path of every IBC proof.
pub const STORE_KEY: &str = "ibc";

/// The value ibc-go stores as a packet receipt (`[]byte{byte(1)}`): prove it to show a packet
/// was received on an unordered channel.
pub const RECEIPT_VALUE: [u8; 1] = [1];

/// The key path `[STORE_KEY, path]` of an IBC path on a Cosmos SDK chain, root first, for
/// [`crate::proof::MerkleProof::verify_membership`].
pub fn key_path(path: &str) -> [&[u8]; 2] {
    [STORE_KEY.as_bytes(), path.as_bytes()]
}

// ---------------------------------------------------------------------------------------------
// ICS-02 clients
// ---------------------------------------------------------------------------------------------

/// `clients/{client_id}/clientState`.
pub fn client_state_path(client_id: &str) -> String {
    format!("clients/{client_id}/clientState")
}

/// `clients/{client_id}/consensusStates/{revision_number}-{revision_height}`.
pub fn consensus_state_path(client_id: &str, revision_number: u64, revision_height: u64) -> String {
    format!("clients/{client_id}/consensusStates/{revision_number}-{revision_height}")
}

/// `clients/{client_id}/connections`: the connections of a client.
pub fn client_connections_path(client_id: &str) -> String {
    format!("clients/{client_id}/connections")
}

// ---------------------------------------------------------------------------------------------
// ICS-03 connections
// ---------------------------------------------------------------------------------------------

/// `connections/{connection_id}`.
pub fn connection_path(connection_id: &str) -> String {
    format!("connections/{connection_id}")
}

// ---------------------------------------------------------------------------------------------
// ICS-04 channels and packets
// ---------------------------------------------------------------------------------------------

/// `channelEnds/ports/{port_id}/channels/{channel_id}`.
pub fn channel_end_path(port_id: &str, channel_id: &str) -> String {
    format!("channelEnds/ports/{port_id}/channels/{channel_id}")
}

/// `nextSequenceSend/ports/{port_id}/channels/{channel_id}`.
pub fn next_sequence_send_path(port_id: &str, channel_id: &str) -> String {
    format!("nextSequenceSend/ports/{port_id}/channels/{channel_id}")
}

/// `nextSequenceRecv/ports/{port_id}/channels/{channel_id}`.
pub fn next_sequence_recv_path(port_id: &str, channel_id: &str) -> String {
    format!("nextSequenceRecv/ports/{port_id}/channels/{channel_id}")
}

/// `nextSequenceAck/ports/{port_id}/channels/{channel_id}`.
pub fn next_sequence_ack_path(port_id: &str, channel_id: &str) -> String {
    format!("nextSequenceAck/ports/{port_id}/channels/{channel_id}")
}

/// `commitments/ports/{port_id}/channels/{channel_id}/sequences/{sequence}`: holds
/// [`packet_commitment`] while a sent packet awaits acknowledgement or timeout.
pub fn packet_commitment_path(port_id: &str, channel_id: &str, sequence: u64) -> String {
    format!("commitments/ports/{port_id}/channels/{channel_id}/sequences/{sequence}")
}

/// `receipts/ports/{port_id}/channels/{channel_id}/sequences/{sequence}`: holds
/// [`RECEIPT_VALUE`] once an unordered channel received the packet.
pub fn packet_receipt_path(port_id: &str, channel_id: &str, sequence: u64) -> String {
    format!("receipts/ports/{port_id}/channels/{channel_id}/sequences/{sequence}")
}

/// `acks/ports/{port_id}/channels/{channel_id}/sequences/{sequence}`: holds
/// [`ack_commitment`] of the written acknowledgement.
pub fn packet_acknowledgement_path(port_id: &str, channel_id: &str, sequence: u64) -> String {
    format!("acks/ports/{port_id}/channels/{channel_id}/sequences/{sequence}")
}

/// The value stored at a `nextSequence*` path: the sequence as 8 bytes big-endian (ibc-go's
/// `sdk.Uint64ToBigEndian`).
pub fn sequence_value(sequence: u64) -> [u8; 8] {
    sequence.to_be_bytes()
}

/// The v1 packet commitment: `sha256(u64be(timeout_timestamp) || u64be(revision_number) ||
/// u64be(revision_height) || sha256(data))`, where the revision number and height are the
/// packet's timeout height (zero for none) and the timestamp is in nanoseconds (zero for none).
pub fn packet_commitment(
    timeout_timestamp: u64,
    timeout_revision_number: u64,
    timeout_revision_height: u64,
    data: &[u8],
) -> Commitment {
    let data_hash = Sha256::digest(data);
    let mut h = Sha256::new();
    h.update(timeout_timestamp.to_be_bytes());
    h.update(timeout_revision_number.to_be_bytes());
    h.update(timeout_revision_height.to_be_bytes());
    h.update(data_hash);
    h.finalize().into()
}

/// The v1 acknowledgement commitment: `sha256(acknowledgement)`, over the acknowledgement
/// bytes as written (e.g. the JSON `{"result":"AQ=="}` of ICS-20).
pub fn ack_commitment(acknowledgement: &[u8]) -> Commitment {
    Sha256::digest(acknowledgement).into()
}

/// IBC v2 ("Eureka") commitments.
pub mod v2 {
    use super::Commitment;
    use sha2::{Digest, Sha256};

    /// The version byte prefixed to v2 commitment preimages.
    pub const COMMITMENT_VERSION: u8 = 0x02;

    /// One application payload of a v2 packet.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Payload<'a> {
        /// The sending application's port.
        pub source_port: &'a str,
        /// The receiving application's port.
        pub destination_port: &'a str,
        /// The application version (e.g. `ics20-1`).
        pub version: &'a str,
        /// The value's encoding (e.g. `application/json`).
        pub encoding: &'a str,
        /// The application data.
        pub value: &'a [u8],
    }

    fn sha256(data: &[u8]) -> Commitment {
        Sha256::digest(data).into()
    }

    /// `sha256(sha256(source_port) || sha256(destination_port) || sha256(version) ||
    /// sha256(encoding) || sha256(value))`.
    pub fn payload_hash(payload: &Payload<'_>) -> Commitment {
        let mut h = Sha256::new();
        h.update(sha256(payload.source_port.as_bytes()));
        h.update(sha256(payload.destination_port.as_bytes()));
        h.update(sha256(payload.version.as_bytes()));
        h.update(sha256(payload.encoding.as_bytes()));
        h.update(sha256(payload.value));
        h.finalize().into()
    }

    /// The v2 packet commitment: `sha256(0x02 || sha256(destination_client) ||
    /// sha256(u64be(timeout_timestamp)) || sha256(payload_hash(p1) || payload_hash(p2) ||
    /// ...))`. The timeout is in seconds in v2; the sequence and source client are not
    /// committed to (they are the store key).
    pub fn packet_commitment(
        destination_client: &str,
        timeout_timestamp: u64,
        payloads: &[Payload<'_>],
    ) -> Commitment {
        let mut app = Sha256::new();
        for payload in payloads {
            app.update(payload_hash(payload));
        }
        let app_hash: Commitment = app.finalize().into();
        let mut h = Sha256::new();
        h.update([COMMITMENT_VERSION]);
        h.update(sha256(destination_client.as_bytes()));
        h.update(sha256(&timeout_timestamp.to_be_bytes()));
        h.update(app_hash);
        h.finalize().into()
    }

    /// The v2 acknowledgement commitment: `sha256(0x02 || sha256(ack_1) || sha256(ack_2) ||
    /// ...)` over the applications' acknowledgements, in payload order.
    pub fn ack_commitment<A: AsRef<[u8]>>(app_acknowledgements: &[A]) -> Commitment {
        let mut h = Sha256::new();
        h.update([COMMITMENT_VERSION]);
        for ack in app_acknowledgements {
            h.update(sha256(ack.as_ref()));
        }
        h.finalize().into()
    }

    /// Why ICS-20 packet data could not be ABI-encoded.
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum AbiError {
        /// The amount is not a decimal integer below 2^256.
        InvalidAmount,
    }

    impl core::fmt::Display for AbiError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            match self {
                AbiError::InvalidAmount => {
                    f.write_str("amount must be a decimal integer below 2^256 (a uint256)")
                }
            }
        }
    }

    impl core::error::Error for AbiError {}

    /// A decimal string as a big-endian `uint256`.
    fn uint256(decimal: &str) -> Result<[u8; 32], AbiError> {
        if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AbiError::InvalidAmount);
        }
        let mut out = [0u8; 32];
        for digit in decimal.bytes() {
            // out = out * 10 + digit, with the carry out of the top byte an overflow.
            let mut carry = u32::from(digit.wrapping_sub(b'0'));
            for byte in out.iter_mut().rev() {
                let v = u32::from(*byte).saturating_mul(10).saturating_add(carry);
                *byte = (v & 0xff) as u8;
                carry = v >> 8;
            }
            if carry != 0 {
                return Err(AbiError::InvalidAmount);
            }
        }
        Ok(out)
    }

    fn word(n: usize) -> [u8; 32] {
        let mut w = [0u8; 32];
        if let Some(tail) = w.get_mut(24..) {
            tail.copy_from_slice(&(n as u64).to_be_bytes());
        }
        w
    }

    /// The Solidity ABI encoding ibc-go's `EncodeABIFungibleTokenPacketData` produces for an
    /// ICS-20 v2 payload with encoding `application/x-solidity-abi`: `abi.encode` of the tuple
    /// `(string denom, string sender, string receiver, uint256 amount, string memo)`.
    pub fn ics20_abi_packet_data(
        denom: &str,
        sender: &str,
        receiver: &str,
        amount: &str,
        memo: &str,
    ) -> Result<alloc::vec::Vec<u8>, AbiError> {
        let amount = uint256(amount)?;
        let strings = [denom, sender, receiver, memo];
        let mut tails: alloc::vec::Vec<u8> = alloc::vec::Vec::new();
        let mut offsets = [0usize; 4];
        for (slot, s) in offsets.iter_mut().zip(strings) {
            *slot = tails.len().saturating_add(5 * 32);
            tails.extend_from_slice(&word(s.len()));
            tails.extend_from_slice(s.as_bytes());
            let pad = s.len().next_multiple_of(32).saturating_sub(s.len());
            tails.resize(tails.len().saturating_add(pad), 0);
        }
        let mut out = alloc::vec::Vec::with_capacity(tails.len().saturating_add(6 * 32));
        // One dynamic tuple argument: its offset, then the tuple's head and tails.
        out.extend_from_slice(&word(32));
        let [o_denom, o_sender, o_receiver, o_memo] = offsets;
        out.extend_from_slice(&word(o_denom));
        out.extend_from_slice(&word(o_sender));
        out.extend_from_slice(&word(o_receiver));
        out.extend_from_slice(&amount);
        out.extend_from_slice(&word(o_memo));
        out.extend_from_slice(&tails);
        Ok(out)
    }
}
