//! # ferry-devnet
//!
//! A local chain that CometBFT light clients cannot tell from a CometBFT v0.38 chain: several
//! validators sign every block with their own ed25519 keys, and every header field, commit and
//! block id is computed byte for byte as CometBFT computes it. Behind the app hash, named IAVL
//! substores laid out as a Cosmos SDK multistore answer queries with the ICS-23 proofs a Cosmos
//! SDK chain gives, which clients verify with the SDK's proof specs.
//!
//! What it is not: one process holds every validator's key (there is no networked
//! consensus), and its application is small, not the Cosmos SDK.
//!
//! * [`chain`]: the chain ([`Chain`]): blocks on demand, BFT time, proposer rotation, absent
//!   and nil votes, validator-set changes with CometBFT's two-block delay.
//! * [`validators`]: validator sets with CometBFT's proposer-priority algorithm.
//! * [`store`]: the multistore ([`MultiStore`]) and its proofs, with the specs a client needs.
//! * [`iavl`]: the versioned IAVL tree under each substore.
//! * [`db`]: persistence in a home directory (one `redb` database; [`Chain::open`]).
//! * [`encode`]: the CometBFT encodings and hashes the header commits to.
//! * [`keys`]: validator keys.
//! * [`node`]: the node ([`node::Devnet`]): blocks on an interval, a mempool, and
//!   [`rpc`], CometBFT v0.38's JSON-RPC over HTTP.
//!
//! ```
//! use ferry_devnet::{Chain, ChainConfig};
//! use ferry_verifier::{verify, Consensus, Options, TrustedState, Verdict};
//!
//! let mut chain = Chain::new(ChainConfig::new("demo-1", &[10, 20, 30, 40]))?;
//! let start = chain.genesis_time();
//! chain.produce_empty_blocks(3, start, std::time::Duration::from_secs(1))?;
//! let h1 = chain.light_block::<8>(1)?;
//! let h3 = chain.light_block::<8>(3)?;
//! let now = h3.header().time.checked_add(std::time::Duration::from_secs(1)).unwrap();
//! let verdict = verify(&Consensus, &TrustedState::from_light_block(&h1), &h3, now, &Options::default());
//! assert!(matches!(verdict, Verdict::Success));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod chain;
pub mod db;
pub mod encode;
pub mod error;
pub mod iavl;
pub mod keys;
pub mod node;
pub mod rpc;
pub mod store;
pub mod validators;

pub use chain::{
    median_time, Application, BlockRecord, Chain, ChainConfig, CommitRecord, KvApp, Vote,
};
pub use encode::TxResult;
pub use error::Error;
pub use keys::ValidatorKey;
pub use store::{proof_specs, MultiStore, QueryProof};
pub use validators::{ValidatorSet, ValidatorUpdate};
