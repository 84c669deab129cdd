//! The gRPC queries a relayer sends over CometBFT's `abci_query` (path = the gRPC method,
//! data = the encoded request, the answer's value = the encoded response): requests built
//! and answers decoded here, sent by the caller.

use ferry_verifier::pb::{self, decode_any, Message as _};
use ferry_verifier::proof::MerkleProof;

use super::proto::{
    BaseAccount, GasInfo, Height, MerklePath, PageRequest, QueryAccountRequest,
    QueryAccountResponse, QueryPacketCommitmentsRequest, QueryPacketCommitmentsResponse,
    QueryStakingParamsResponse, QueryUnreceivedPacketsRequest, QueryUnreceivedPacketsResponse,
    QueryVerifyMembershipRequest, QueryVerifyMembershipResponse, SimulateRequest, SimulateResponse,
    BASE_ACCOUNT_TYPE_URL,
};
use super::Error;

/// `abci_query` path of the account query (`cosmos.auth.v1beta1.Query/Account`).
pub const ACCOUNT_QUERY_PATH: &str = "/cosmos.auth.v1beta1.Query/Account";
/// `abci_query` path of the staking parameters query (`cosmos.staking.v1beta1.Query/Params`).
pub const STAKING_PARAMS_QUERY_PATH: &str = "/cosmos.staking.v1beta1.Query/Params";
/// `abci_query` path of ibc-go's proof check with a client
/// (`ibc.core.client.v1.Query/VerifyMembership`).
pub const VERIFY_MEMBERSHIP_QUERY_PATH: &str = "/ibc.core.client.v1.Query/VerifyMembership";

/// `abci_query` path of a channel's packet commitments
/// (`ibc.core.channel.v1.Query/PacketCommitments`).
pub const PACKET_COMMITMENTS_QUERY_PATH: &str = "/ibc.core.channel.v1.Query/PacketCommitments";
/// `abci_query` path of which packets a channel has not received
/// (`ibc.core.channel.v1.Query/UnreceivedPackets`).
pub const UNRECEIVED_PACKETS_QUERY_PATH: &str = "/ibc.core.channel.v1.Query/UnreceivedPackets";
/// `abci_query` path of a transaction's simulation (`cosmos.tx.v1beta1.Service/Simulate`).
pub const SIMULATE_QUERY_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";

/// An `abci_query` to send: its path and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The gRPC method path.
    pub path: &'static str,
    /// The encoded request.
    pub data: Vec<u8>,
}

/// The account of `address` (bech32): its number and sequence, for signing.
pub fn account_query(address: &str) -> Query {
    Query {
        path: ACCOUNT_QUERY_PATH,
        data: QueryAccountRequest {
            address: address.to_string(),
        }
        .encode_to_vec(),
    }
}

/// Decodes the answer to [`account_query`]. Only a plain `BaseAccount` is accepted (not a
/// module or vesting account: a relayer signs with an ordinary key).
pub fn decode_account(value: &[u8]) -> Result<BaseAccount, Error> {
    let response: QueryAccountResponse = pb::decode(value).map_err(|e| Error::Decode {
        message: "cosmos.auth.v1beta1.QueryAccountResponse",
        reason: e.to_string(),
    })?;
    let any = response.account.ok_or(Error::MissingField {
        message: "cosmos.auth.v1beta1.QueryAccountResponse",
        field: "account",
    })?;
    decode_any(&any, BASE_ACCOUNT_TYPE_URL).map_err(|e| match e {
        pb::PbError::UnexpectedTypeUrl { expected, actual } => Error::UnexpectedTypeUrl {
            field: "cosmos.auth.v1beta1.QueryAccountResponse.account",
            expected,
            actual,
        },
        other => Error::Decode {
            message: "cosmos.auth.v1beta1.BaseAccount",
            reason: other.to_string(),
        },
    })
}

/// The staking parameters (their unbonding time bounds a client's trusting period).
pub fn staking_params_query() -> Query {
    Query {
        path: STAKING_PARAMS_QUERY_PATH,
        data: Vec::new(),
    }
}

/// The unbonding period in the answer to [`staking_params_query`].
pub fn decode_unbonding_period(value: &[u8]) -> Result<core::time::Duration, Error> {
    let response: QueryStakingParamsResponse = pb::decode(value).map_err(|e| Error::Decode {
        message: "cosmos.staking.v1beta1.QueryParamsResponse",
        reason: e.to_string(),
    })?;
    let d = response.params.unbonding_time;
    match core::time::Duration::try_from(&d) {
        Ok(period) if !period.is_zero() => Ok(period),
        _ => Err(Error::InvalidDuration {
            field: "cosmos.staking.v1beta1.Params.unbonding_time",
            seconds: d.seconds,
            nanos: d.nanos,
        }),
    }
}

/// Asks the chain whether its client `client_id` verifies `proof` of `value` under
/// `key_path` (outermost store first, e.g. `[b"bank", key]`) against the root of its
/// consensus state at `proof_height`. Empty proofs, paths and values are refused here, as
/// ibc-go refuses them.
pub fn verify_membership_query<K: AsRef<[u8]>>(
    client_id: &str,
    proof: &MerkleProof,
    proof_height: Height,
    key_path: &[K],
    value: &[u8],
) -> Result<Query, Error> {
    let empty = |argument| Err(Error::EmptyArgument { argument });
    if client_id.is_empty() {
        return empty("client id");
    }
    if proof.proofs.is_empty() {
        return empty("proof");
    }
    if proof_height.revision_number == 0 && proof_height.revision_height == 0 {
        return empty("proof height");
    }
    if key_path.is_empty() {
        return empty("key path");
    }
    if value.is_empty() {
        return empty("value");
    }
    let request = QueryVerifyMembershipRequest {
        client_id: client_id.to_string(),
        proof: proof.encode(),
        proof_height,
        merkle_path: MerklePath {
            key_path: key_path.iter().map(|k| k.as_ref().to_vec()).collect(),
        },
        value: value.to_vec(),
        time_delay: 0,
        block_delay: 0,
    };
    Ok(Query {
        path: VERIFY_MEMBERSHIP_QUERY_PATH,
        data: request.encode_to_vec(),
    })
}

/// The verdict in the answer to [`verify_membership_query`] (`true`: the proof verified).
pub fn decode_verify_membership(value: &[u8]) -> Result<bool, Error> {
    pb::decode::<QueryVerifyMembershipResponse>(value)
        .map(|r| r.success)
        .map_err(|e| Error::Decode {
            message: "ibc.core.client.v1.QueryVerifyMembershipResponse",
            reason: e.to_string(),
        })
}

/// One page of the packet commitments of `port/channel`: up to `limit` from `key` (empty
/// for the first page; then the previous page's next key).
pub fn packet_commitments_query(port: &str, channel: &str, key: &[u8], limit: u64) -> Query {
    Query {
        path: PACKET_COMMITMENTS_QUERY_PATH,
        data: QueryPacketCommitmentsRequest {
            port_id: port.to_string(),
            channel_id: channel.to_string(),
            pagination: Some(PageRequest {
                key: key.to_vec(),
                offset: 0,
                limit,
                count_total: false,
                reverse: false,
            }),
        }
        .encode_to_vec(),
    }
}

/// The sequences in the answer to [`packet_commitments_query`] and the next page's key
/// (empty: none).
pub fn decode_packet_commitments(value: &[u8]) -> Result<(Vec<u64>, Vec<u8>), Error> {
    let r: QueryPacketCommitmentsResponse = pb::decode(value).map_err(|e| Error::Decode {
        message: "ibc.core.channel.v1.QueryPacketCommitmentsResponse",
        reason: e.to_string(),
    })?;
    let next = r.pagination.map(|p| p.next_key).unwrap_or_default();
    Ok((r.commitments.iter().map(|c| c.sequence).collect(), next))
}

/// Which of `sequences` the channel `port/channel` (the destination) has not received.
pub fn unreceived_packets_query(port: &str, channel: &str, sequences: &[u64]) -> Query {
    Query {
        path: UNRECEIVED_PACKETS_QUERY_PATH,
        data: QueryUnreceivedPacketsRequest {
            port_id: port.to_string(),
            channel_id: channel.to_string(),
            packet_commitment_sequences: sequences.to_vec(),
        }
        .encode_to_vec(),
    }
}

/// The unreceived sequences in the answer to [`unreceived_packets_query`].
pub fn decode_unreceived_packets(value: &[u8]) -> Result<Vec<u64>, Error> {
    pb::decode::<QueryUnreceivedPacketsResponse>(value)
        .map(|r| r.sequences)
        .map_err(|e| Error::Decode {
            message: "ibc.core.channel.v1.QueryUnreceivedPacketsResponse",
            reason: e.to_string(),
        })
}

/// Simulates the signed transaction `tx_bytes` (a `TxRaw`) for its gas.
pub fn simulate_query(tx_bytes: &[u8]) -> Query {
    Query {
        path: SIMULATE_QUERY_PATH,
        data: SimulateRequest {
            tx_bytes: tx_bytes.to_vec(),
        }
        .encode_to_vec(),
    }
}

/// The gas used in the answer to [`simulate_query`].
pub fn decode_simulate(value: &[u8]) -> Result<u64, Error> {
    let r: SimulateResponse = pb::decode(value).map_err(|e| Error::Decode {
        message: "cosmos.tx.v1beta1.SimulateResponse",
        reason: e.to_string(),
    })?;
    let info: GasInfo = r.gas_info.ok_or(Error::MissingField {
        message: "cosmos.tx.v1beta1.SimulateResponse",
        field: "gas_info",
    })?;
    Ok(info.gas_used)
}
