//! Protobuf messages of the Cosmos SDK (v0.50 to v0.53) and ibc-go (v8 to v10; the membership
//! query as v10 has it) that a relayer sends and queries,
//! as hand-written [`prost`] structs with the field numbers and types of the `.proto` files
//! (`cosmos/tx/v1beta1/tx.proto`, `cosmos/tx/signing/v1beta1/signing.proto`,
//! `cosmos/base/v1beta1/coin.proto`, `cosmos/crypto/secp256k1/keys.proto`,
//! `cosmos/auth/v1beta1/{auth,query}.proto`, `cosmos/staking/v1beta1/{staking,query}.proto`,
//! `ibc/core/client/v1/{tx,query}.proto`, `ibc/core/commitment/v1/commitment.proto`).
//!
//! Go's gogoproto writes a non-nullable message field even when it is empty; those fields are
//! plain (`required`) fields here, always encoded. Nullable ones are `Option`s. Scalars,
//! strings and bytes are omitted when zero or empty, as in proto3. prost writes fields in
//! field-number order, as Go does, so a message encodes to the bytes the SDK writes.

use ferry_verifier::pb::{Any, Duration};

pub use ferry_verifier::pb::ibc::Height;

/// Type URL of [`MsgCreateClient`].
pub const MSG_CREATE_CLIENT_TYPE_URL: &str = "/ibc.core.client.v1.MsgCreateClient";
/// Type URL of [`MsgUpdateClient`].
pub const MSG_UPDATE_CLIENT_TYPE_URL: &str = "/ibc.core.client.v1.MsgUpdateClient";
/// Type URL of [`Secp256k1PubKey`].
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";
/// Type URL of [`BaseAccount`].
pub const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";

/// `cosmos.tx.v1beta1.TxRaw`: the bytes a node takes (`broadcast_tx_*`). The body and auth
/// info travel as the exact bytes that were signed.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct TxRaw {
    /// Encoded [`TxBody`] (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub body_bytes: Vec<u8>,
    /// Encoded [`AuthInfo`] (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub auth_info_bytes: Vec<u8>,
    /// One signature per signer, in the order of `AuthInfo.signer_infos` (field 3).
    #[prost(bytes = "vec", repeated, tag = "3")]
    pub signatures: Vec<Vec<u8>>,
}

/// `cosmos.tx.v1beta1.SignDoc`: what `SIGN_MODE_DIRECT` signs.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SignDoc {
    /// Encoded [`TxBody`], as it goes into [`TxRaw::body_bytes`] (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub body_bytes: Vec<u8>,
    /// Encoded [`AuthInfo`], as it goes into [`TxRaw::auth_info_bytes`] (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub auth_info_bytes: Vec<u8>,
    /// The chain id (field 3).
    #[prost(string, tag = "3")]
    pub chain_id: String,
    /// The signer's account number (field 4).
    #[prost(uint64, tag = "4")]
    pub account_number: u64,
}

/// `cosmos.tx.v1beta1.TxBody`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct TxBody {
    /// The messages (field 1).
    #[prost(message, repeated, tag = "1")]
    pub messages: Vec<Any>,
    /// A note (field 2).
    #[prost(string, tag = "2")]
    pub memo: String,
    /// The last height the transaction may be included at, 0 for none (field 3).
    #[prost(uint64, tag = "3")]
    pub timeout_height: u64,
    /// Extension options (field 1023); a node refuses any it does not know.
    #[prost(message, repeated, tag = "1023")]
    pub extension_options: Vec<Any>,
    /// Non-critical extension options (field 2047).
    #[prost(message, repeated, tag = "2047")]
    pub non_critical_extension_options: Vec<Any>,
}

/// `cosmos.tx.v1beta1.AuthInfo`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct AuthInfo {
    /// One per signer (field 1).
    #[prost(message, repeated, tag = "1")]
    pub signer_infos: Vec<SignerInfo>,
    /// The fee (field 2, nullable).
    #[prost(message, optional, tag = "2")]
    pub fee: Option<Fee>,
    // Field 3, `tip`, is deprecated (and refused by SDK v0.50 nodes): never written.
}

/// `cosmos.tx.v1beta1.SignerInfo`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SignerInfo {
    /// The signer's public key, e.g. a [`Secp256k1PubKey`] in an `Any` (field 1).
    #[prost(message, optional, tag = "1")]
    pub public_key: Option<Any>,
    /// How it signed (field 2).
    #[prost(message, optional, tag = "2")]
    pub mode_info: Option<ModeInfo>,
    /// The signer's account sequence (field 3).
    #[prost(uint64, tag = "3")]
    pub sequence: u64,
}

/// `cosmos.tx.v1beta1.ModeInfo` (only the `single` case: multisig is not supported).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ModeInfo {
    /// The mode (oneof `sum`: `single` is field 1).
    #[prost(oneof = "mode_info::Sum", tags = "1")]
    pub sum: Option<mode_info::Sum>,
}

/// The nested types of [`ModeInfo`].
pub mod mode_info {
    /// `cosmos.tx.v1beta1.ModeInfo.Single`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Single {
        /// A [`super::SignMode`] (field 1).
        #[prost(enumeration = "super::SignMode", tag = "1")]
        pub mode: i32,
    }

    /// The oneof `sum` of `ModeInfo`.
    #[derive(Clone, PartialEq, Eq, prost::Oneof)]
    pub enum Sum {
        /// One key signed (field 1).
        #[prost(message, tag = "1")]
        Single(Single),
    }
}

impl ModeInfo {
    /// `single { mode: SIGN_MODE_DIRECT }`.
    pub fn direct() -> Self {
        ModeInfo {
            sum: Some(mode_info::Sum::Single(mode_info::Single {
                mode: SignMode::Direct as i32,
            })),
        }
    }
}

/// `cosmos.tx.signing.v1beta1.SignMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SignMode {
    /// `SIGN_MODE_UNSPECIFIED`.
    Unspecified = 0,
    /// `SIGN_MODE_DIRECT`: the signature is over the [`SignDoc`] bytes.
    Direct = 1,
    /// `SIGN_MODE_TEXTUAL`.
    Textual = 2,
    /// `SIGN_MODE_DIRECT_AUX`.
    DirectAux = 3,
    /// `SIGN_MODE_LEGACY_AMINO_JSON`.
    LegacyAminoJson = 127,
    /// `SIGN_MODE_EIP_191`.
    Eip191 = 191,
}

/// `cosmos.tx.v1beta1.Fee`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Fee {
    /// The fee paid (field 1).
    #[prost(message, repeated, tag = "1")]
    pub amount: Vec<Coin>,
    /// The gas limit (field 2).
    #[prost(uint64, tag = "2")]
    pub gas_limit: u64,
    /// Who pays instead of the first signer (bech32; empty for the first signer) (field 3).
    #[prost(string, tag = "3")]
    pub payer: String,
    /// A fee grant's granter (bech32; empty for none) (field 4).
    #[prost(string, tag = "4")]
    pub granter: String,
}

/// `cosmos.base.v1beta1.Coin`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Coin {
    /// The denomination (field 1).
    #[prost(string, tag = "1")]
    pub denom: String,
    /// The amount, a decimal integer (field 2).
    #[prost(string, tag = "2")]
    pub amount: String,
}

impl Coin {
    /// `amount` of `denom`.
    pub fn new(amount: u128, denom: &str) -> Self {
        Coin {
            denom: denom.to_string(),
            amount: amount.to_string(),
        }
    }
}

/// `cosmos.crypto.secp256k1.PubKey`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Secp256k1PubKey {
    /// The 33-byte compressed SEC1 point (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
}

/// `ibc.core.client.v1.MsgCreateClient`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgCreateClient {
    /// The light client state, e.g. a 07-tendermint `ClientState` (field 1).
    #[prost(message, optional, tag = "1")]
    pub client_state: Option<Any>,
    /// The consensus state at the client state's latest height (field 2).
    #[prost(message, optional, tag = "2")]
    pub consensus_state: Option<Any>,
    /// The signer's bech32 address (field 3).
    #[prost(string, tag = "3")]
    pub signer: String,
}

/// `ibc.core.client.v1.MsgUpdateClient`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgUpdateClient {
    /// The client, e.g. `07-tendermint-0` (field 1).
    #[prost(string, tag = "1")]
    pub client_id: String,
    /// The client message, e.g. a 07-tendermint `Header` (field 2).
    #[prost(message, optional, tag = "2")]
    pub client_message: Option<Any>,
    /// The signer's bech32 address (field 3).
    #[prost(string, tag = "3")]
    pub signer: String,
}

/// `cosmos.auth.v1beta1.QueryAccountRequest`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryAccountRequest {
    /// The bech32 address (field 1).
    #[prost(string, tag = "1")]
    pub address: String,
}

/// `cosmos.auth.v1beta1.QueryAccountResponse`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryAccountResponse {
    /// The account, e.g. a [`BaseAccount`] (field 1).
    #[prost(message, optional, tag = "1")]
    pub account: Option<Any>,
}

/// `cosmos.auth.v1beta1.BaseAccount`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct BaseAccount {
    /// The bech32 address (field 1).
    #[prost(string, tag = "1")]
    pub address: String,
    /// The public key, once the account has signed a transaction (field 2).
    #[prost(message, optional, tag = "2")]
    pub pub_key: Option<Any>,
    /// The account number, part of every [`SignDoc`] (field 3).
    #[prost(uint64, tag = "3")]
    pub account_number: u64,
    /// The sequence the account's next transaction must carry (field 4).
    #[prost(uint64, tag = "4")]
    pub sequence: u64,
}

/// `cosmos.staking.v1beta1.Params` (the fields a client needs; the others are skipped when
/// decoding).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct StakingParams {
    /// The unbonding period (field 1, non-nullable).
    #[prost(message, required, tag = "1")]
    pub unbonding_time: Duration,
    /// Maximum number of validators (field 2).
    #[prost(uint32, tag = "2")]
    pub max_validators: u32,
    /// Maximum unbonding and redelegation entries (field 3).
    #[prost(uint32, tag = "3")]
    pub max_entries: u32,
    /// Historical entries kept (field 4).
    #[prost(uint32, tag = "4")]
    pub historical_entries: u32,
    /// The bond denomination (field 5).
    #[prost(string, tag = "5")]
    pub bond_denom: String,
}

/// `cosmos.staking.v1beta1.QueryParamsResponse`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryStakingParamsResponse {
    /// The parameters (field 1, non-nullable).
    #[prost(message, required, tag = "1")]
    pub params: StakingParams,
}

/// `ibc.core.commitment.v2.MerklePath` (ibc-go v10): `repeated bytes key_path = 1`. (v1's
/// `key_path` was a `repeated string` with the same wire type, and Go passed it on unchecked,
/// so the encoding is the same; v10 names the field's type `bytes` because store keys need not
/// be UTF-8: a bank balance key holds raw address bytes.)
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MerklePath {
    /// The keys, outermost store first: e.g. `["ibc", "clients/07-tendermint-0/clientState"]`
    /// (field 1).
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub key_path: Vec<Vec<u8>>,
}

/// `ibc.core.client.v1.QueryVerifyMembershipRequest` (ibc-go v10: field 4, v8's
/// `commitment.v1.MerklePath`, is reserved; the path is field 8).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryVerifyMembershipRequest {
    /// The client to verify with (field 1).
    #[prost(string, tag = "1")]
    pub client_id: String,
    /// An encoded `ibc.core.commitment.v1.MerkleProof` (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub proof: Vec<u8>,
    /// The client height whose root the proof is against (field 3, non-nullable).
    #[prost(message, required, tag = "3")]
    pub proof_height: Height,
    /// The value proven (field 5).
    #[prost(bytes = "vec", tag = "5")]
    pub value: Vec<u8>,
    /// Time delay, nanoseconds (field 6).
    #[prost(uint64, tag = "6")]
    pub time_delay: u64,
    /// Block delay (field 7).
    #[prost(uint64, tag = "7")]
    pub block_delay: u64,
    /// The key path (field 8, `ibc.core.commitment.v2.MerklePath`, non-nullable).
    #[prost(message, required, tag = "8")]
    pub merkle_path: MerklePath,
}

/// `ibc.core.client.v1.QueryVerifyMembershipResponse`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct QueryVerifyMembershipResponse {
    /// Whether the proof verified (field 1).
    #[prost(bool, tag = "1")]
    pub success: bool,
}

/// `cosmos.base.query.v1beta1.PageRequest`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct PageRequest {
    /// Where to start: the previous page's `next_key` (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
    /// Entries to skip when `key` is empty (field 2).
    #[prost(uint64, tag = "2")]
    pub offset: u64,
    /// Entries per page (field 3).
    #[prost(uint64, tag = "3")]
    pub limit: u64,
    /// Whether to count all entries (field 4).
    #[prost(bool, tag = "4")]
    pub count_total: bool,
    /// Descending order (field 5).
    #[prost(bool, tag = "5")]
    pub reverse: bool,
}

/// `cosmos.base.query.v1beta1.PageResponse`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct PageResponse {
    /// The key to ask for the next page with (empty: this was the last) (field 1).
    #[prost(bytes = "vec", tag = "1")]
    pub next_key: Vec<u8>,
    /// The total, when counted (field 2).
    #[prost(uint64, tag = "2")]
    pub total: u64,
}

/// `ibc.core.channel.v1.PacketState`: a commitment, receipt or acknowledgement of a packet.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct PacketState {
    /// The port (field 1).
    #[prost(string, tag = "1")]
    pub port_id: String,
    /// The channel (field 2).
    #[prost(string, tag = "2")]
    pub channel_id: String,
    /// The packet's sequence (field 3).
    #[prost(uint64, tag = "3")]
    pub sequence: u64,
    /// The stored bytes, e.g. the packet commitment (field 4).
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
}

/// `ibc.core.channel.v1.QueryPacketCommitmentsRequest`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryPacketCommitmentsRequest {
    /// The port (field 1).
    #[prost(string, tag = "1")]
    pub port_id: String,
    /// The channel (field 2).
    #[prost(string, tag = "2")]
    pub channel_id: String,
    /// The page (field 3).
    #[prost(message, optional, tag = "3")]
    pub pagination: Option<PageRequest>,
}

/// `ibc.core.channel.v1.QueryPacketCommitmentsResponse`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryPacketCommitmentsResponse {
    /// The commitments of this page (field 1).
    #[prost(message, repeated, tag = "1")]
    pub commitments: Vec<PacketState>,
    /// Where the next page starts (field 2).
    #[prost(message, optional, tag = "2")]
    pub pagination: Option<PageResponse>,
    /// The height queried (field 3, non-nullable).
    #[prost(message, optional, tag = "3")]
    pub height: Option<Height>,
}

/// `ibc.core.channel.v1.QueryUnreceivedPacketsRequest`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryUnreceivedPacketsRequest {
    /// The destination port (field 1).
    #[prost(string, tag = "1")]
    pub port_id: String,
    /// The destination channel (field 2).
    #[prost(string, tag = "2")]
    pub channel_id: String,
    /// The sequences to ask about (field 3, packed).
    #[prost(uint64, repeated, tag = "3")]
    pub packet_commitment_sequences: Vec<u64>,
}

/// `ibc.core.channel.v1.QueryUnreceivedPacketsResponse`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct QueryUnreceivedPacketsResponse {
    /// The sequences of those not received (field 1).
    #[prost(uint64, repeated, tag = "1")]
    pub sequences: Vec<u64>,
    /// The height queried (field 2, non-nullable).
    #[prost(message, optional, tag = "2")]
    pub height: Option<Height>,
}

/// `cosmos.tx.v1beta1.SimulateRequest` (field 1, the deprecated decoded `tx`, is not sent).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SimulateRequest {
    /// An encoded `TxRaw` (field 2).
    #[prost(bytes = "vec", tag = "2")]
    pub tx_bytes: Vec<u8>,
}

/// `cosmos.base.abci.v1beta1.GasInfo`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct GasInfo {
    /// The limit the transaction set (field 1).
    #[prost(uint64, tag = "1")]
    pub gas_wanted: u64,
    /// What it used (field 2).
    #[prost(uint64, tag = "2")]
    pub gas_used: u64,
}

/// `cosmos.tx.v1beta1.SimulateResponse` (the result, field 2, is not read).
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct SimulateResponse {
    /// Gas wanted and used (field 1).
    #[prost(message, optional, tag = "1")]
    pub gas_info: Option<GasInfo>,
}

/// `ibc.applications.transfer.v1.MsgTransfer` (ICS-20 over IBC v1 channels).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgTransfer {
    /// The source port, `transfer` (field 1).
    #[prost(string, tag = "1")]
    pub source_port: String,
    /// The source channel (field 2).
    #[prost(string, tag = "2")]
    pub source_channel: String,
    /// The amount sent (field 3, non-nullable).
    #[prost(message, optional, tag = "3")]
    pub token: Option<Coin>,
    /// The sender's bech32 address (field 4).
    #[prost(string, tag = "4")]
    pub sender: String,
    /// The receiver's address on the destination (field 5).
    #[prost(string, tag = "5")]
    pub receiver: String,
    /// Timeout height on the destination (zero: none) (field 6, non-nullable).
    #[prost(message, optional, tag = "6")]
    pub timeout_height: Option<Height>,
    /// Timeout, nanoseconds since the Unix epoch on the destination's clock (zero: none)
    /// (field 7).
    #[prost(uint64, tag = "7")]
    pub timeout_timestamp: u64,
    /// Memo (field 8).
    #[prost(string, tag = "8")]
    pub memo: String,
}

/// Type URL of [`MsgTransfer`].
pub const MSG_TRANSFER_TYPE_URL: &str = "/ibc.applications.transfer.v1.MsgTransfer";
