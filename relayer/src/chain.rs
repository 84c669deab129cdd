//! What the relay logic needs from a chain, as a small async trait ([`Chain`]), and its
//! implementation over CometBFT RPC ([`RpcChain`]).
//!
//! The relay core and the light client are written against [`Chain`], never against HTTP:
//! they can run against an in-memory chain in tests. Everything a `Chain` returns is
//! *unverified*: light blocks go through [`crate::light::LightClient`] before use, query
//! values are checked with their proof against the app hash of a verified header (the
//! header at `height + 1`), and the account and transaction answers only steer the relayer
//! (a wrong sequence makes a transaction fail, never makes it trust anything).
//!
//! The methods return `impl Future + Send`, so a [`Chain`] is used through generics
//! (`fn relay<A: Chain, B: Chain>(...)`), not as `dyn Chain`; the futures can be spawned on a
//! multi-threaded runtime.
//!
//! The const generic `N` is the capacity of the light blocks (validators and commit
//! signatures, as [`ferry_verifier::LightBlock`]); the default is the verifier's
//! [`MAX_VALIDATORS`].

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

use std::fmt;
use std::future::Future;

use ferry_verifier::proof::MerkleProof;
use ferry_verifier::{ChainId, Hash, Height, LightBlock, MAX_VALIDATORS};

use crate::cosmos;
use crate::rpc::{Event, Order, RpcClient, RpcError};

/// A chain as the relayer sees it: its id, its blocks, its state with proofs, its accounts,
/// and a way in for transactions.
pub trait Chain<const N: usize = MAX_VALIDATORS>: Send + Sync {
    /// The chain id (checked against the chain when the implementation was made).
    fn chain_id(&self) -> &ChainId;

    /// Where the answers come from, for messages (an RPC URL, `memory`, ...).
    fn source(&self) -> &str;

    /// The latest height the chain has a light block for (its commit and the next validator
    /// set are known).
    fn latest_height(&self) -> impl Future<Output = Result<Height, ChainError>> + Send;

    /// The light block at `height`: signed header, validators, next validators. Unverified.
    fn light_block(
        &self,
        height: Height,
    ) -> impl Future<Output = Result<Box<LightBlock<N>>, ChainError>> + Send;

    /// The value under `data` in the store query `path` (`store/ibc/key`) as of `height`,
    /// with its proof against the app hash of the header at `height + 1`. Unverified: check
    /// the proof before use. An absent value comes with a proof of absence.
    fn query_proven(
        &self,
        path: &str,
        data: &[u8],
        height: Height,
    ) -> impl Future<Output = Result<ProvenValue, ChainError>> + Send;

    /// The account number and sequence of `address` (bech32), for signing.
    fn account(&self, address: &str) -> impl Future<Output = Result<Account, ChainError>> + Send;

    /// Hands a signed transaction (`TxRaw` bytes) to the chain and returns the mempool's
    /// verdict (`code` 0: accepted; the block comes later: [`Chain::find_tx`]).
    fn submit_tx(&self, tx: Vec<u8>) -> impl Future<Output = Result<TxOutcome, ChainError>> + Send;

    /// The transaction with `hash` once it is in a block (`None` until then).
    fn find_tx(
        &self,
        hash: &Hash,
    ) -> impl Future<Output = Result<Option<TxOutcome>, ChainError>> + Send;

    /// Transactions whose events match `query` (CometBFT's query language, e.g.
    /// `send_packet.packet_src_channel='channel-0' AND tx.height>=5`), lowest height first,
    /// with their events.
    fn search_txs(
        &self,
        query: &str,
    ) -> impl Future<Output = Result<Vec<TxEvents>, ChainError>> + Send;

    /// The events of the block at `height` (`block_results`: no event index needed): one
    /// [`TxEvents`] per transaction in block order, then one for the block's own events
    /// (code 0). Their `hash` is `None`.
    fn block_events(
        &self,
        height: Height,
    ) -> impl Future<Output = Result<Vec<TxEvents>, ChainError>> + Send;
}

/// A value read from a chain's store and its (unchecked) proof.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvenValue {
    /// The height of the state read; the proof is against the app hash of the header at
    /// `height + 1`.
    pub height: Height,
    /// The key within the store.
    pub key: Vec<u8>,
    /// The value (`None`: absent, and the proof is of absence).
    pub value: Option<Vec<u8>>,
    /// The proof, innermost store first (`ics23:iavl` then `ics23:simple` on Cosmos SDK
    /// chains).
    pub proof: MerkleProof,
}

/// An account's signing state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// The account number.
    pub number: u64,
    /// The sequence the next transaction must carry.
    pub sequence: u64,
}

/// What became of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// The transaction hash.
    pub hash: Hash,
    /// ABCI code (0: success).
    pub code: u32,
    /// The module that set a non-zero code.
    pub codespace: String,
    /// The log (the reason, for a failure).
    pub log: String,
    /// The block that included it (`None` for a mempool verdict).
    pub height: Option<Height>,
    /// Gas used (0 for a mempool verdict).
    pub gas_used: i64,
}

impl TxOutcome {
    /// Code 0.
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}

/// A transaction in a block and the events it emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEvents {
    /// The block.
    pub height: Height,
    /// The transaction hash (`None` when read from `block_results`, which does not carry
    /// it; and for a block's own events).
    pub hash: Option<Hash>,
    /// ABCI code (0: success; a failed transaction's events are not to be acted on).
    pub code: u32,
    /// The events, in order.
    pub events: Vec<Event>,
}

/// Why a chain could not answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainError {
    /// The RPC call failed (see [`RpcError::kind`], and [`ChainError::is_transient`]).
    Rpc(RpcError),
    /// The endpoint serves another chain than the one configured.
    WrongChain {
        /// The endpoint.
        source: String,
        /// The chain id configured.
        expected: ChainId,
        /// The chain id it reports.
        actual: ChainId,
    },
    /// The application refused a query (non-zero ABCI code).
    QueryFailed {
        /// The query path.
        path: String,
        /// ABCI code.
        code: u32,
        /// Its module.
        codespace: String,
        /// The application's log.
        log: String,
    },
    /// A query answer without the proof asked for, or with one that does not decode.
    BadProof {
        /// The query path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An answer that is not the protobuf message expected.
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The chain has nothing to answer with (no block yet, a height pruned or not reached).
    Unavailable {
        /// Why.
        reason: String,
    },
}

impl ChainError {
    /// Whether trying again later may help (a transient RPC failure, a height not there
    /// yet).
    pub fn is_transient(&self) -> bool {
        match self {
            ChainError::Rpc(e) => e.kind.is_transient(),
            ChainError::Unavailable { .. } => true,
            _ => false,
        }
    }
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::Rpc(e) => e.fmt(f),
            ChainError::WrongChain {
                source,
                expected,
                actual,
            } => write!(
                f,
                "{source} serves chain {actual}, not the configured {expected}"
            ),
            ChainError::QueryFailed {
                path,
                code,
                codespace,
                log,
            } => write!(
                f,
                "query {path} refused with code {code} ({codespace}): {log}"
            ),
            ChainError::BadProof { path, reason } => {
                write!(f, "query {path}: bad or missing proof: {reason}")
            }
            ChainError::Decode { what, reason } => write!(f, "decoding {what}: {reason}"),
            ChainError::Unavailable { reason } => write!(f, "unavailable: {reason}"),
        }
    }
}

impl std::error::Error for ChainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChainError::Rpc(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RpcError> for ChainError {
    fn from(e: RpcError) -> Self {
        ChainError::Rpc(e)
    }
}

/// A [`Chain`] over CometBFT RPC: one node's [`RpcClient`], checked to serve the chain id
/// given.
#[derive(Clone, Debug)]
pub struct RpcChain {
    rpc: RpcClient,
    chain_id: ChainId,
}

impl RpcChain {
    /// Connects to `rpc` and checks that it serves `chain_id` (`/status`).
    pub async fn connect(rpc: RpcClient, chain_id: &ChainId) -> Result<RpcChain, ChainError> {
        let status = rpc.status().await?;
        if &status.chain_id != chain_id {
            return Err(ChainError::WrongChain {
                source: rpc.url().to_string(),
                expected: chain_id.clone(),
                actual: status.chain_id,
            });
        }
        Ok(RpcChain {
            rpc,
            chain_id: chain_id.clone(),
        })
    }

    /// Connects to `rpc` and takes the chain id it reports (for `ferry light init` against a
    /// node the operator names; everything after is verified against the trusted hash).
    pub async fn discover(rpc: RpcClient) -> Result<RpcChain, ChainError> {
        let status = rpc.status().await?;
        Ok(RpcChain {
            rpc,
            chain_id: status.chain_id,
        })
    }

    /// The RPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }
}

impl<const N: usize> Chain<N> for RpcChain {
    fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    fn source(&self) -> &str {
        self.rpc.url()
    }

    async fn latest_height(&self) -> Result<Height, ChainError> {
        let status = self.rpc.status().await?;
        if status.chain_id != self.chain_id {
            return Err(ChainError::WrongChain {
                source: self.rpc.url().to_string(),
                expected: self.chain_id.clone(),
                actual: status.chain_id,
            });
        }
        Height::new(status.latest_block_height).map_err(|_| ChainError::Unavailable {
            reason: format!("{} has no block yet", self.rpc.url()),
        })
    }

    async fn light_block(&self, height: Height) -> Result<Box<LightBlock<N>>, ChainError> {
        Ok(self.rpc.light_block::<N>(height).await?)
    }

    async fn query_proven(
        &self,
        path: &str,
        data: &[u8],
        height: Height,
    ) -> Result<ProvenValue, ChainError> {
        let q = self.rpc.abci_query(path, data, Some(height), true).await?;
        if q.code != 0 {
            return Err(ChainError::QueryFailed {
                path: path.to_string(),
                code: q.code,
                codespace: q.codespace,
                log: q.log,
            });
        }
        let proof =
            MerkleProof::from_proof_ops(&q.proof_ops).map_err(|e| ChainError::BadProof {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
        Ok(ProvenValue {
            height,
            key: q.key,
            value: (!q.value.is_empty()).then_some(q.value),
            proof,
        })
    }

    async fn account(&self, address: &str) -> Result<Account, ChainError> {
        let query = cosmos::account_query(address);
        let q = self
            .rpc
            .abci_query(query.path, &query.data, None, false)
            .await?;
        if q.code != 0 {
            return Err(ChainError::QueryFailed {
                path: query.path.to_string(),
                code: q.code,
                codespace: q.codespace,
                log: q.log,
            });
        }
        let account = cosmos::decode_account(&q.value).map_err(|e| ChainError::Decode {
            what: "cosmos.auth.v1beta1.QueryAccountResponse",
            reason: e.to_string(),
        })?;
        Ok(Account {
            number: account.account_number,
            sequence: account.sequence,
        })
    }

    async fn submit_tx(&self, tx: Vec<u8>) -> Result<TxOutcome, ChainError> {
        let r = self.rpc.broadcast_tx_sync(&tx).await?;
        Ok(TxOutcome {
            hash: r.hash,
            code: r.check_tx.code,
            codespace: r.check_tx.codespace,
            log: r.check_tx.log,
            height: None,
            gas_used: r.check_tx.gas_used,
        })
    }

    async fn find_tx(&self, hash: &Hash) -> Result<Option<TxOutcome>, ChainError> {
        match self.rpc.tx(hash).await {
            Ok(t) => Ok(Some(TxOutcome {
                hash: t.hash,
                code: t.tx_result.code,
                codespace: t.tx_result.codespace,
                log: t.tx_result.log,
                height: Some(t.height),
                gas_used: t.tx_result.gas_used,
            })),
            // CometBFT: "tx (HASH) not found".
            Err(RpcError {
                kind: crate::rpc::RpcErrorKind::Rpc { ref data, .. },
                ..
            }) if data.contains("not found") => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn search_txs(&self, query: &str) -> Result<Vec<TxEvents>, ChainError> {
        let txs = self.rpc.tx_search(query, Order::Ascending).await?;
        Ok(txs
            .into_iter()
            .map(|t| TxEvents {
                height: t.height,
                hash: Some(t.hash),
                code: t.tx_result.code,
                events: t.tx_result.events,
            })
            .collect())
    }

    async fn block_events(&self, height: Height) -> Result<Vec<TxEvents>, ChainError> {
        let r = self.rpc.block_results(height).await?;
        let mut out: Vec<TxEvents> = r
            .txs_results
            .into_iter()
            .map(|t| TxEvents {
                height: r.height,
                hash: None,
                code: t.code,
                events: t.events,
            })
            .collect();
        out.push(TxEvents {
            height: r.height,
            hash: None,
            code: 0,
            events: r.block_events,
        });
        Ok(out)
    }
}
