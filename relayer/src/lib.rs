//! Ferry's relayer library. For now: the offline commands (`ferry verify`), their argument
//! parsing and input decoding.

pub mod chain;
pub mod config;
pub mod cosmos;
pub mod evidence;
pub mod handshake;
pub mod inspect;
pub mod keys;
pub mod light;
pub mod offline;
pub mod ops;
pub mod relay;
pub mod rpc;
