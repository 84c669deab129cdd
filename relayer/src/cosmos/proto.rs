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
