//! The RPC methods (CometBFT v0.38's `rpc/core`), answered from the node's chain and mempool.
//!
//! Heights as CometBFT reads them: absent means the latest (for `validators` and
//! `consensus_params`, the next height, whose set and parameters are known); 0 or less, or
//! above the latest, is an error (-32603) with CometBFT's message.
//!
//! `abci_query` answers as a Cosmos SDK chain does for `store/<name>/key` (the path may start
//! with `/`): the value at the height asked (0: the latest) and, with `prove`, the proof ops
//! `[ics23:iavl, ics23:simple]` that verify against the app hash in the header one above
//! (see [`crate::store`]). Refusals are ABCI answers with the SDK's codes, not RPC errors:
//! unknown store or path code 6, empty key code 2, a height in the future code 26, a negative
//! height code 18 (codespace `sdk`).

use ferry_verifier::merkle::{inner_hash, leaf_hash, sha256};
use serde::Serialize;

use super::codec::{base64, hex_upper};
use super::json::*;
use super::params::Params;
use super::RpcError;
use crate::chain::Chain;
use crate::encode::{tx_hash, TxResult};
use crate::node::Shared;

/// Every method served, with its parameter names in CometBFT's order (for positional params
/// and the endpoint list).
pub const METHODS: &[(&str, &[&str])] = &[
    ("abci_info", &[]),
    ("abci_query", &["path", "data", "height", "prove"]),
    ("block", &["height"]),
    ("block_by_hash", &["hash"]),
    ("block_results", &["height"]),
    ("blockchain", &["minHeight", "maxHeight"]),
    ("broadcast_tx_async", &["tx"]),
    ("broadcast_tx_commit", &["tx"]),
    ("broadcast_tx_sync", &["tx"]),
    ("check_tx", &["tx"]),
    ("commit", &["height"]),
    ("consensus_params", &["height"]),
    ("genesis", &[]),
    ("header", &["height"]),
    ("header_by_hash", &["hash"]),
    ("health", &[]),
    ("net_info", &[]),
    ("num_unconfirmed_txs", &[]),
    ("status", &[]),
    ("tx", &["hash", "prove"]),
    ("validators", &["height", "page", "per_page"]),
];

/// Whether `method` is served.
pub fn is_known(method: &str) -> bool {
    METHODS.iter().any(|(m, _)| *m == method)
}

fn names(method: &str) -> &'static [&'static str] {
    METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map_or(&[], |(_, a)| a)
}

fn to_json<T: Serialize>(v: &T) -> Result<String, RpcError> {
    serde_json::to_string(v).map_err(|e| RpcError::internal(format!("encoding the result: {e}")))
}

/// The height asked for, checked against `latest` as CometBFT's `getHeight` does.
fn height_at(latest: u64, asked: Option<i64>) -> Result<u64, RpcError> {
    match asked {
        None if latest == 0 => Err(RpcError::internal(
            "the chain has no blocks yet: wait for height 1",
        )),
        None => Ok(latest),
        Some(h) if h <= 0 => Err(RpcError::internal(format!(
            "height must be greater than 0, but got {h}"
        ))),
        Some(h) if h.unsigned_abs() > latest => Err(RpcError::internal(format!(
            "height {h} must be less than or equal to the current blockchain height {latest}"
        ))),
        Some(h) => Ok(h.unsigned_abs()),
    }
}

fn block_of(chain: &Chain, h: u64) -> Result<&crate::BlockRecord, RpcError> {
    chain
        .block(h)
        .map_err(|e| RpcError::internal(e.to_string()))
}

/// Runs `method` (known: see [`is_known`]) with `params`; the result's JSON text.
pub(crate) async fn call(
    shared: &Shared,
    method: &str,
    params: &Params,
) -> Result<String, RpcError> {
    let b = params.bind(names(method))?;
    match method {
        "broadcast_tx_commit" => broadcast_commit(shared, b.bytes(0)?.unwrap_or_default()).await,
        "broadcast_tx_sync" | "broadcast_tx_async" | "check_tx" => {
            let tx = b.bytes(0)?.unwrap_or_default();
            let hash = hex_upper(&tx_hash(&tx));
            if method == "check_tx" {
                let r = shared.state().chain.check_tx(&tx);
                return to_json(&CheckTxJson::from(&r));
            }
            let r = shared.check_and_add(tx)?;
            let r = if method == "broadcast_tx_async" {
                TxResult::default()
            } else {
                r
            };
            to_json(&ResultBroadcastTx {
                code: r.code,
                data: hex_upper(&r.data),
                log: r.log,
                codespace: r.codespace,
                hash,
            })
        }
        "num_unconfirmed_txs" => {
            let (n, bytes) = shared.mempool().len();
            Ok(format!(
                "{{\"n_txs\":\"{n}\",\"total\":\"{n}\",\"total_bytes\":\"{bytes}\",\"txs\":null}}"
            ))
        }
        _ => read(shared, method, &b),
    }
}

/// The methods that only read the chain.
fn read(shared: &Shared, method: &str, b: &super::params::Bound) -> Result<String, RpcError> {
    let state = shared.state();
    let chain = &state.chain;
    let latest = chain.height();
    let config = &shared.config.chain;
    match method {
        "health" => Ok("{}".into()),
        "status" => {
            let (key, power) = match &shared.node_key {
                Some(k) => (
                    *k,
                    chain
                        .validators()
                        .get(&k.address())
                        .map_or(0, |(_, v)| v.power),
                ),
                None => (ferry_verifier::PublicKey([0; 32]), 0),
            };
            to_json(&ResultStatus {
                node_info: NodeInfoJson {
                    protocol_version: ProtocolVersionJson {
                        p2p: "8".into(),
                        block: ferry_verifier::block::BLOCK_PROTOCOL.to_string(),
                        app: config.app_version.to_string(),
                    },
                    id: shared.node_id.clone(),
                    listen_addr: shared.rpc_address.clone(),
                    network: chain.chain_id().to_string(),
                    version: COMETBFT_VERSION.into(),
                    channels: "40202122233038606100".into(),
                    moniker: shared.config.moniker.clone(),
                    other: NodeInfoOtherJson {
                        tx_index: "on".into(),
                        rpc_address: shared.rpc_address.clone(),
                    },
                },
                sync_info: SyncInfoJson::new(chain.block(1).ok(), chain.latest_block()),
                validator_info: ValidatorInfoJson::new(&key, power),
            })
        }
        "net_info" => to_json(&ResultNetInfo {
            listening: true,
            listeners: vec!["Listener(@)".into()],
            n_peers: "0".into(),
            peers: Vec::new(),
        }),
        "genesis" => to_json(&ResultGenesis {
            genesis: GenesisJson {
                genesis_time: chain.genesis_time().to_string(),
                chain_id: chain.chain_id().to_string(),
                initial_height: "1".into(),
                consensus_params: consensus_params(config),
                validators: config
                    .validators
                    .iter()
                    .map(|(k, p)| GenesisValidatorJson::new(&k.public_key(), *p))
                    .collect(),
                app_hash: String::new(),
            },
        }),
        "abci_info" => to_json(&ResultAbciInfo {
            response: ResponseInfoJson {
                data: "ferry-devnet".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                app_version: (config.app_version != 0).then(|| config.app_version.to_string()),
                last_block_height: (latest != 0).then(|| latest.to_string()),
                last_block_app_hash: (latest != 0).then(|| base64(&chain.app_hash())),
            },
        }),
        "abci_query" => {
            let path = b.string(0)?.unwrap_or_default();
            let data = b.hex_bytes(1)?.unwrap_or_default();
            let height = b.int64(2)?.unwrap_or(0);
            let prove = b.boolean(3)?.unwrap_or(false);
            to_json(&ResultAbciQuery {
                response: abci_query(chain, &path, &data, height, prove),
            })
        }
        "block" => {
            let h = height_at(latest, b.int64(0)?)?;
            to_json(&block_result(chain, h)?)
        }
        "block_by_hash" => {
            let hash = b.bytes(0)?.unwrap_or_default();
            match lookup_hash(&state.blocks, &hash) {
                Some(h) => to_json(&block_result(chain, h)?),
                None => to_json(&ResultBlock::not_found()),
            }
        }
        "header" => {
            let h = height_at(latest, b.int64(0)?)?;
            to_json(&ResultHeader {
                header: Some((&block_of(chain, h)?.header).into()),
            })
        }
        "header_by_hash" => {
            let hash = b.bytes(0)?.unwrap_or_default();
            let header = match lookup_hash(&state.blocks, &hash) {
                Some(h) => Some((&block_of(chain, h)?.header).into()),
                None => None,
            };
            to_json(&ResultHeader { header })
        }
        "commit" => {
            let h = height_at(latest, b.int64(0)?)?;
            // The latest block's commit is the node's "seen" commit: not canonical yet.
            to_json(&ResultCommit::new(block_of(chain, h)?, h < latest))
        }
        "validators" => {
            let h = height_at(latest + 1, b.int64(0)?)?;
            let set = if h > latest {
                chain.validators()
            } else {
                &block_of(chain, h)?.validators
            };
            let all = set.validators();
            let (page, per_page) = paginate(all.len(), b.int64(1)?, b.int64(2)?)?;
            let start = (page - 1) * per_page;
            let end = (start + per_page).min(all.len());
            let shown = &all[start..end];
            to_json(&ResultValidators {
                block_height: h.to_string(),
                validators: shown.iter().map(Into::into).collect(),
                count: shown.len().to_string(),
                total: all.len().to_string(),
            })
        }
        "consensus_params" => {
            let h = height_at(latest + 1, b.int64(0)?)?;
            to_json(&ResultConsensusParams {
                block_height: h.to_string(),
                consensus_params: consensus_params(config),
            })
        }
        "blockchain" => {
            let (min, max) = min_max(latest, b.int64(0)?.unwrap_or(0), b.int64(1)?.unwrap_or(0))?;
            let mut metas = Vec::new();
            let mut h = max;
            while h >= min && h >= 1 {
                metas.push(BlockMetaJson::from(block_of(chain, h)?));
                h -= 1;
            }
            to_json(&ResultBlockchain {
                last_height: latest.to_string(),
                block_metas: metas,
            })
        }
        "block_results" => {
            let h = height_at(latest, b.int64(0)?)?;
            to_json(&ResultBlockResults::from(block_of(chain, h)?))
        }
        "tx" => {
            let hash = b.bytes(0)?.unwrap_or_default();
            let prove = b.boolean(1)?.unwrap_or(false);
            let found = <[u8; 32]>::try_from(hash.as_slice())
                .ok()
                .and_then(|h| state.txs.get(&h).copied());
            let Some((height, index)) = found else {
                return Err(RpcError::internal(format!(
                    "tx ({}) not found",
                    hex_upper(&hash)
                )));
            };
            to_json(&tx_result(chain, height, index, prove)?)
        }
        _ => Err(RpcError::method_not_found()),
    }
}

/// The CometBFT version whose RPC the devnet speaks (`node_info.version`).
pub const COMETBFT_VERSION: &str = "0.38.26";

fn consensus_params(config: &crate::ChainConfig) -> ConsensusParamsJson {
    ConsensusParamsJson::new(
        config.block_max_bytes,
        config.block_max_gas,
        config.app_version,
    )
}

fn lookup_hash(blocks: &std::collections::HashMap<[u8; 32], u64>, hash: &[u8]) -> Option<u64> {
    <[u8; 32]>::try_from(hash)
        .ok()
        .and_then(|h| blocks.get(&h).copied())
}

fn block_result(chain: &Chain, h: u64) -> Result<ResultBlock, RpcError> {
    let block = block_of(chain, h)?;
    let last = if h > 1 {
        Some(&block_of(chain, h - 1)?.commit)
    } else {
        None
    };
    Ok(ResultBlock::new(block, last))
}

/// CometBFT's `validatePerPage` and `validatePage`: `per_page` absent or below 1 is 30, above
/// 100 is 100; `page` absent is 1 and must be within `[1, pages]`.
fn paginate(
    total: usize,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<(usize, usize), RpcError> {
    let per_page = match per_page {
        Some(p) if p >= 1 => p.min(100) as usize,
        _ => 30,
    };
    let pages = if total == 0 {
        1
    } else {
        (total - 1) / per_page + 1
    };
    let page = page.unwrap_or(1);
    if page < 1 || page.unsigned_abs() > pages as u64 {
        return Err(RpcError::internal(format!(
            "page should be within [1, {pages}] range, given {page}"
        )));
    }
    Ok((page as usize, per_page))
}

/// CometBFT's `filterMinMax` with a limit of 20 blocks.
fn min_max(height: u64, min: i64, max: i64) -> Result<(u64, u64), RpcError> {
    const LIMIT: u64 = 20;
    if min < 0 || max < 0 {
        return Err(RpcError::internal("heights must be non-negative"));
    }
    let min = if min == 0 { 1 } else { min.unsigned_abs() };
    let max = if max == 0 { height } else { max.unsigned_abs() };
    let max = max.min(height);
    let min = min.max(1).max((max + 1).saturating_sub(LIMIT));
    if min > max {
        return Err(RpcError::internal(format!(
            "min height {min} can't be greater than max height {max}"
        )));
    }
    Ok((min, max))
}

/// The Cosmos SDK's answer to an `abci_query` on the multistore.
fn abci_query(
    chain: &Chain,
    path: &str,
    key: &[u8],
    height: i64,
    prove: bool,
) -> ResponseQueryJson {
    let sdk = |code: u32, log: String| ResponseQueryJson::error(code, "sdk", log);
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let Some(rest) = trimmed.strip_prefix("store/") else {
        return sdk(6, "unknown query path: unknown request".into());
    };
    let (name, sub) = rest.split_once('/').unwrap_or((rest, ""));
    if !chain.store().store_names().any(|n| n == name) {
        return sdk(6, format!("no such store: {name}: unknown request"));
    }
    if sub != "key" {
        return sdk(6, format!("unexpected query path: /{sub}: unknown request"));
    }
    if height < 0 {
        return sdk(
            18,
            "cannot query with height < 0; please provide a valid height: invalid request".into(),
        );
    }
    let latest = chain.height();
    if height.unsigned_abs() > latest {
        return sdk(
            26,
            "cannot query with height in the future; please provide a valid height: invalid \
             height"
                .into(),
        );
    }
    if key.is_empty() {
        return sdk(2, "query cannot be zero length: tx parse error".into());
    }
    let version = if height == 0 {
        latest
    } else {
        height.unsigned_abs()
    };
    let answer = if prove {
        chain
            .query(name, key, version)
            .map(|q| ResponseQueryJson::answer(key, q.value.as_deref(), Some(&q.ops), version))
    } else {
        chain
            .store()
            .get(name, key, version)
            .map(|v| ResponseQueryJson::answer(key, v.as_deref(), None, version))
    };
    answer.unwrap_or_else(|e| sdk(1, format!("{e}: internal")))
}

/// The RFC 6962 root over leaf hashes.
fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => sha256(&[]),
        [one] => *one,
        _ => {
            let k = split_point(leaves.len());
            inner_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The sibling hashes from leaf `index` up to the root (CometBFT's `Proof.Aunts`).
fn aunts(leaves: &[[u8; 32]], index: usize) -> Vec<[u8; 32]> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split_point(leaves.len());
    if index < k {
        let mut a = aunts(&leaves[..k], index);
        a.push(root(&leaves[k..]));
        a
    } else {
        let mut a = aunts(&leaves[k..], index - k);
        a.push(root(&leaves[..k]));
        a
    }
}

fn tx_result(chain: &Chain, height: u64, index: u32, prove: bool) -> Result<ResultTx, RpcError> {
    let block = block_of(chain, height)?;
    let i = index as usize;
    let (Some(tx), Some(result)) = (block.txs().get(i), block.results.get(i)) else {
        return Err(RpcError::internal(format!(
            "tx index {index} is not in block {height}"
        )));
    };
    let proof = prove.then(|| {
        let leaves: Vec<[u8; 32]> = block.txs().iter().map(|t| leaf_hash(&tx_hash(t))).collect();
        TxProofJson {
            root_hash: hex_upper(block.header.data_hash.as_bytes()),
            data: base64(tx),
            proof: MerkleProofJson {
                total: leaves.len().to_string(),
                index: index.to_string(),
                leaf_hash: base64(&leaves[i]),
                aunts: aunts(&leaves, i).iter().map(|a| base64(a)).collect(),
            },
        }
    });
    Ok(ResultTx {
        hash: hex_upper(&tx_hash(tx)),
        height: height.to_string(),
        index,
        tx_result: result.into(),
        tx: base64(tx),
        proof,
    })
}

/// `broadcast_tx_commit`: admit, then wait for the block (up to the configured timeout).
async fn broadcast_commit(shared: &Shared, tx: Vec<u8>) -> Result<String, RpcError> {
    let hash = tx_hash(&tx);
    let mut heights = shared.subscribe();
    let check = shared.check_and_add(tx)?;
    if check.code != 0 {
        return to_json(&ResultBroadcastTxCommit {
            check_tx: (&check).into(),
            tx_result: (&TxResult::default()).into(),
            hash: hex_upper(&hash),
            height: "0".into(),
        });
    }
    let deadline = tokio::time::Instant::now() + shared.config.broadcast_commit_timeout;
    loop {
        {
            let state = shared.state();
            if let Some(&(height, index)) = state.txs.get(&hash) {
                let block = block_of(&state.chain, height)?;
                let result = block
                    .results
                    .get(index as usize)
                    .cloned()
                    .unwrap_or_default();
                return to_json(&ResultBroadcastTxCommit {
                    check_tx: (&check).into(),
                    tx_result: (&result).into(),
                    hash: hex_upper(&hash),
                    height: height.to_string(),
                });
            }
        }
        match tokio::time::timeout_at(deadline, heights.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(RpcError::internal("the node is stopping")),
            Err(_) => {
                return Err(RpcError::internal(
                    "timed out waiting for tx to be included in a block",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_verifier::merkle::hash_from_byte_slices;

    #[test]
    fn aunts_rebuild_the_data_hash() {
        for n in 1..=9usize {
            let txs: Vec<Vec<u8>> = (0..n).map(|i| format!("tx{i}").into_bytes()).collect();
            let hashes: Vec<[u8; 32]> = txs.iter().map(|t| tx_hash(t)).collect();
            let slices: Vec<&[u8]> = hashes.iter().map(|h| h.as_slice()).collect();
            let want = hash_from_byte_slices(&slices);
            let leaves: Vec<[u8; 32]> = hashes.iter().map(|h| leaf_hash(h)).collect();
            assert_eq!(root(&leaves), want);
            for i in 0..n {
                // Climb from the leaf with the aunts, as CometBFT's computeHashFromAunts.
                fn climb(i: usize, total: usize, leaf: [u8; 32], aunts: &[[u8; 32]]) -> [u8; 32] {
                    if total == 1 {
                        return leaf;
                    }
                    let k = split_point(total);
                    let (last, rest) = aunts.split_last().unwrap();
                    if i < k {
                        inner_hash(&climb(i, k, leaf, rest), last)
                    } else {
                        inner_hash(last, &climb(i - k, total - k, leaf, rest))
                    }
                }
                assert_eq!(climb(i, n, leaves[i], &aunts(&leaves, i)), want, "{n} {i}");
            }
        }
    }

    #[test]
    fn pagination_and_ranges_follow_cometbft() {
        assert_eq!(paginate(4, None, None).unwrap(), (1, 30));
        assert_eq!(paginate(4, Some(2), Some(3)).unwrap(), (2, 3));
        assert_eq!(paginate(4, None, Some(0)).unwrap(), (1, 30));
        assert_eq!(paginate(4, None, Some(500)).unwrap(), (1, 100));
        let e = paginate(4, Some(2), None).unwrap_err();
        assert_eq!(e.data, "page should be within [1, 1] range, given 2");
        assert!(paginate(4, Some(0), None).is_err());
        assert_eq!(min_max(50, 0, 0).unwrap(), (31, 50));
        assert_eq!(min_max(50, 1, 2).unwrap(), (1, 2));
        assert_eq!(min_max(3, 0, 100).unwrap(), (1, 3));
        assert_eq!(
            min_max(50, 5, 2).unwrap_err().data,
            "min height 5 can't be greater than max height 2"
        );
        assert!(min_max(50, -1, 2).is_err());
        assert_eq!(height_at(5, None).unwrap(), 5);
        assert_eq!(
            height_at(5, Some(0)).unwrap_err().data,
            "height must be greater than 0, but got 0"
        );
        assert_eq!(
            height_at(5, Some(6)).unwrap_err().data,
            "height 6 must be less than or equal to the current blockchain height 5"
        );
    }
}
