//! Ferry's relayer library: configuration and keys, the CometBFT RPC client and light-client
//! driver, Cosmos SDK transactions, IBC client and channel setup, packet relay (`relay`:
//! `ferry clear packets`, `ferry start`), evidence, metrics, and the offline commands.

pub mod chain;
pub mod config;
pub mod cosmos;
pub mod evidence;
pub mod handshake;
pub mod health;
pub mod inspect;
pub mod keys;
pub mod light;
pub mod metrics;
pub mod offline;
pub mod ops;
pub mod relay;
pub mod rpc;
