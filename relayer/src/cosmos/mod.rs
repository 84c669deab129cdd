//! Cosmos SDK transactions for the relayer: protobuf messages, a secp256k1 signer,
//! `SIGN_MODE_DIRECT` signing, the IBC client messages (`MsgCreateClient`,
//! `MsgUpdateClient`), and the gRPC queries a relayer needs (account number and sequence,
//! unbonding period, ibc-go's `VerifyMembership`), byte-compatible with Cosmos SDK v0.50 to
//! v0.53 and ibc-go v8 to v10 (tested against ibc-go v10.7.0's simd).
//!
//! Pure functions, no I/O: the caller sends the bytes (`broadcast_tx_sync` /
//! `broadcast_tx_commit` of [`SignedTx::to_bytes`], `abci_query` of a [`Query`]) and passes
//! the answers back for decoding.
//!
//! ```
//! use ferry::cosmos::{self, proto::{Coin, Fee}, Secp256k1Signer, TxParams};
//! # fn main() -> Result<(), cosmos::Error> {
//! // The relayer key of the testnet (`simd keys export relayer --unarmored-hex --unsafe`).
//! let signer = Secp256k1Signer::from_hex(
//!     "9a84a1e728409261442bf7f163d8a1c7e5b023438bb4d968ada440e4b5a8e4ff",
//! )?;
//! let address = signer.address("cosmos")?;
//! assert_eq!(address, "cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69");
//! // Account number and sequence: `abci_query` of `cosmos::account_query(&address)`, its
//! // value decoded with `cosmos::decode_account`.
//! let (account_number, sequence) = (8, 0);
//! # let header = ferry_verifier::pb::ibc::Header::default();
//! let msg = cosmos::msg_update_client("07-tendermint-0", &header, &address);
//! let params = TxParams {
//!     chain_id: "ferry-a".into(),
//!     account_number,
//!     sequence,
//!     fee: Fee::new(Coin::new(5_000, "stake"), 500_000),
//!     memo: String::new(),
//!     timeout_height: 0,
//! };
//! let tx = cosmos::sign_tx(&signer, vec![msg], &params)?;
//! let bytes = tx.to_bytes(); // broadcast_tx_commit these
//! # assert!(!bytes.is_empty());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use core::fmt;

mod bech32;
pub mod proto;
mod query;
mod signer;
mod tx;

pub use bech32::encode as bech32_encode;
pub use query::{
    account_query, decode_account, decode_packet_commitments, decode_simulate,
    decode_unbonding_period, decode_unreceived_packets, decode_verify_membership,
    packet_commitments_query, simulate_query, staking_params_query, unreceived_packets_query,
    verify_membership_query, Query, ACCOUNT_QUERY_PATH, PACKET_COMMITMENTS_QUERY_PATH,
    SIMULATE_QUERY_PATH, STAKING_PARAMS_QUERY_PATH, UNRECEIVED_PACKETS_QUERY_PATH,
    VERIFY_MEMBERSHIP_QUERY_PATH,
};
pub use signer::{address_bytes, Secp256k1Signer};
pub use tx::{msg_create_client, msg_transfer, msg_update_client, sign_tx, SignedTx, TxParams};

/// Why a key, a transaction or a query answer was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The private key is not a secp256k1 secret key.
    InvalidPrivateKey {
        /// What is wrong with it (never the key itself).
        reason: String,
    },
    /// A bech32 prefix (human-readable part) that cannot be encoded.
    InvalidPrefix {
        /// The prefix.
        prefix: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A transaction without messages (the SDK refuses it).
    NoMessages,
    /// A transaction without a chain id (the signature would not bind to a chain).
    MissingChainId,
    /// A query argument that ibc-go refuses when empty.
    EmptyArgument {
        /// Which one.
        argument: &'static str,
    },
    /// A query answer is not the protobuf message expected.
    Decode {
        /// The message (`package.Message`).
        message: &'static str,
        /// The decoder's error.
        reason: String,
    },
    /// A field of a query answer is absent.
    MissingField {
        /// The message.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
    /// An `Any` holds another type than the one supported.
    UnexpectedTypeUrl {
        /// The field.
        field: &'static str,
        /// The type URL supported.
        expected: &'static str,
        /// The type URL found.
        actual: String,
    },
    /// A duration that is zero, negative or out of range.
    InvalidDuration {
        /// The field.
        field: &'static str,
        /// Its seconds.
        seconds: i64,
        /// Its nanoseconds.
        nanos: i32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPrivateKey { reason } => write!(
                f,
                "invalid secp256k1 private key ({reason}): give the 32-byte secret as 64 hex \
                 digits, as `simd keys export NAME --unarmored-hex --unsafe` prints it"
            ),
            Error::InvalidPrefix { prefix, reason } => {
                write!(f, "invalid bech32 prefix {prefix:?}: it {reason}")
            }
            Error::NoMessages => write!(f, "a transaction needs at least one message"),
            Error::MissingChainId => write!(
                f,
                "no chain id: the signature must name the chain the transaction is for"
            ),
            Error::EmptyArgument { argument } => {
                write!(
                    f,
                    "the {argument} is empty (ibc-go refuses an empty {argument})"
                )
            }
            Error::Decode { message, reason } => write!(
                f,
                "the answer is not a {message} ({reason}): is the query path right for this \
                 chain's SDK version?"
            ),
            Error::MissingField { message, field } => {
                write!(f, "{message} has no {field}")
            }
            Error::UnexpectedTypeUrl {
                field,
                expected,
                actual,
            } => write!(
                f,
                "{field} holds a {actual:?}; only {expected:?} is supported (sign with an \
                 ordinary account)"
            ),
            Error::InvalidDuration {
                field,
                seconds,
                nanos,
            } => write!(
                f,
                "{field} is {seconds}s {nanos}ns: expected a positive duration"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests;
