//! # ferry-verifier
//!
//! A `#![no_std]` CometBFT light-client verifier: decide, exactly as CometBFT's light client
//! would, whether a block is final on its chain given a block already trusted.
//!
//! * [`verify`]: adjacent and skipping (trust-threshold) verification of a [`LightBlock`]
//!   against a [`TrustedState`] at a caller-given `now`, to a [`Verdict`].
//! * [`verify_commit`]: 2/3+ of a validator set signed a commit.
//! * Byte-exact CometBFT encodings: [`Header::hash`], [`ValidatorSet::hash`], vote
//!   sign-bytes ([`VoteTemplate`]), the RFC 6962 tree ([`merkle`]).
//!
//! Pure functions: no clock, no I/O, no global state. Without the `alloc` feature nothing on
//! the verification path touches the heap; with it, signatures are batch-verified.
//!
//! Features: `zebra` (default) and `consensus` pick the ed25519 backend; `alloc` enables batch
//! verification; `std` the parallel path; `serde` decoding of CometBFT RPC JSON.
//!
//! ```
//! # #[cfg(all(feature = "serde", feature = "zebra"))] {
//! use core::time::Duration;
//! use ferry_verifier::{verify, LightBlock, Options, Time, TrustedState, Verdict, Zebra};
//!
//! // Light blocks as CometBFT RPC JSON: {signed_header, validator_set, next_validator_set}.
//! // Capacity is a const generic: up to 512 validators by default (about 130 KB a block,
//! // on the stack); a chain known to be small can use less.
//! type Block = LightBlock<64>;
//! let trusted: Block =
//!     serde_json::from_str(include_str!("../../fixtures/data/nostd-4/light_block_1.json"))?;
//! let untrusted: Block =
//!     serde_json::from_str(include_str!("../../fixtures/data/nostd-4/light_block_5.json"))?;
//!
//! let options = Options {
//!     trusting_period: Duration::from_secs(14 * 24 * 3600),
//!     clock_drift: Duration::from_secs(10),
//!     ..Options::default() // trust threshold 1/3
//! };
//! let now = Time::parse_rfc3339("2025-01-01T00:01:00Z")?; // the caller's clock
//! match verify(&Zebra, &TrustedState::from_light_block(&trusted), &untrusted, now, &options) {
//!     Verdict::Success => { /* untrusted is final: trust it from now on */ }
//!     Verdict::NotEnoughTrust(tally) => { /* bisect: verify a height in between first */ }
//!     Verdict::Invalid(reason) => panic!("{reason}"),
//! }
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Errors are returned by value (there may be no heap to box them in); a
// `VerificationError` carries two chain ids and is large on purpose.
#![allow(clippy::result_large_err)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(test)]
extern crate std;

#[cfg(all(feature = "zebra", feature = "alloc"))]
pub mod batch;
#[cfg(feature = "alloc")]
pub mod bisect;
pub mod block;
#[cfg(feature = "cache")]
pub mod cached;
#[cfg(feature = "alloc")]
pub mod client;
pub mod crypto;
#[cfg(feature = "serde")]
pub mod de;
pub mod error;
#[cfg(feature = "alloc")]
pub mod evidence;
#[cfg(feature = "alloc")]
pub mod ibc;
pub mod merkle;
#[cfg(feature = "alloc")]
pub mod pb;
#[cfg(feature = "alloc")]
pub mod proof;
mod proto;
pub mod time;
pub mod types;
pub mod validator;
pub mod verify;

pub use block::{
    BlockId, Commit, CommitSig, Encoding, Header, LightBlock, PartSetHeader, SignBytes,
    SignedHeader, Version, VoteTemplate,
};
#[cfg(feature = "cache")]
pub use cached::CachedZebra;
#[cfg(feature = "consensus")]
pub use crypto::Consensus;
#[cfg(any(feature = "zebra", feature = "consensus"))]
pub use crypto::DefaultBackend;
#[cfg(feature = "zebra")]
pub use crypto::Zebra;
pub use crypto::{BatchVerifier, SignatureVerifier, Single};
pub use error::Error;
pub use time::Time;
pub use types::{Address, AppHash, ChainId, Hash, Height, PublicKey, Signature, TrustThreshold};
pub use validator::{Validator, ValidatorSet, MAX_VALIDATORS};
pub use verify::{
    verify, verify_commit, verify_commit_trusting, verify_signed_header, voting_power_in, Options,
    TrustedState, Verdict, VerificationError, VotingPowerTally,
};
