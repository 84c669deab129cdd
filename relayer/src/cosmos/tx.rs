//! Building and signing Cosmos SDK transactions (`SIGN_MODE_DIRECT`), and the IBC client
//! messages.

use ferry_verifier::pb::{encode_any, ibc, Any, Message as _};
use sha2::{Digest as _, Sha256};

use super::proto::{
    AuthInfo, Coin, Fee, ModeInfo, MsgCreateClient, MsgTransfer, MsgUpdateClient, SignDoc,
    SignerInfo, TxBody, TxRaw, MSG_CREATE_CLIENT_TYPE_URL, MSG_TRANSFER_TYPE_URL,
    MSG_UPDATE_CLIENT_TYPE_URL,
};
use super::{Error, Secp256k1Signer};

impl Fee {
    /// `amount` as the fee, with `gas_limit`, paid by the first signer.
    pub fn new(amount: Coin, gas_limit: u64) -> Self {
        Fee {
            amount: vec![amount],
            gas_limit,
            payer: String::new(),
            granter: String::new(),
        }
    }
}

/// What a transaction needs besides its messages and its signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxParams {
    /// The chain id the signature is bound to.
    pub chain_id: String,
    /// The signer's account number (`BaseAccount.account_number`).
    pub account_number: u64,
    /// The signer's current sequence (`BaseAccount.sequence`): the number of transactions it
    /// has had executed.
    pub sequence: u64,
    /// The fee and gas limit.
    pub fee: Fee,
    /// A note (may be empty).
    pub memo: String,
    /// The last height the transaction may be included at (0: none).
    pub timeout_height: u64,
}

/// A transaction signed by one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    /// The body (messages, memo).
    pub body: TxBody,
    /// The signer and the fee.
    pub auth_info: AuthInfo,
    /// What was signed.
    pub sign_doc: SignDoc,
    /// What is broadcast: the signed body and auth info bytes and the signature.
    pub raw: TxRaw,
}

impl SignedTx {
    /// The `TxRaw` bytes to broadcast (`broadcast_tx_sync`, `broadcast_tx_commit`).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.raw.encode_to_vec()
    }

    /// The transaction hash CometBFT reports (`sha256` of [`SignedTx::to_bytes`]; printed as
    /// uppercase hex).
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }
}

/// Builds and signs a transaction of `messages` with `SIGN_MODE_DIRECT`: the body and the
/// auth info (one signer: `signer`'s public key, `params.sequence`, `params.fee`) are encoded
/// once, and the same bytes go into the `SignDoc` that is signed and into the `TxRaw`.
pub fn sign_tx(
    signer: &Secp256k1Signer,
    messages: Vec<Any>,
    params: &TxParams,
) -> Result<SignedTx, Error> {
    if messages.is_empty() {
        return Err(Error::NoMessages);
    }
    if params.chain_id.is_empty() {
        return Err(Error::MissingChainId);
    }
    let body = TxBody {
        messages,
        memo: params.memo.clone(),
        timeout_height: params.timeout_height,
        extension_options: Vec::new(),
        non_critical_extension_options: Vec::new(),
    };
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(signer.public_key_any()),
            mode_info: Some(ModeInfo::direct()),
            sequence: params.sequence,
        }],
        fee: Some(params.fee.clone()),
    };
    let sign_doc = SignDoc {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth_info.encode_to_vec(),
        chain_id: params.chain_id.clone(),
        account_number: params.account_number,
    };
    let signature = signer.sign(&sign_doc.encode_to_vec());
    let raw = TxRaw {
        body_bytes: sign_doc.body_bytes.clone(),
        auth_info_bytes: sign_doc.auth_info_bytes.clone(),
        signatures: vec![signature.to_vec()],
    };
    Ok(SignedTx {
        body,
        auth_info,
        sign_doc,
        raw,
    })
}

/// `MsgCreateClient` of a 07-tendermint client with this client state and the consensus state
/// at its latest height, signed by `signer` (bech32), in an `Any`.
pub fn msg_create_client(
    client_state: &ibc::ClientState,
    consensus_state: &ibc::ConsensusState,
    signer: &str,
) -> Any {
    encode_any(
        MSG_CREATE_CLIENT_TYPE_URL,
        &MsgCreateClient {
            client_state: Some(client_state.to_any()),
            consensus_state: Some(consensus_state.to_any()),
            signer: signer.to_string(),
        },
    )
}

/// `MsgUpdateClient` of client `client_id` with a 07-tendermint header, signed by `signer`
/// (bech32), in an `Any`.
pub fn msg_update_client(client_id: &str, header: &ibc::Header, signer: &str) -> Any {
    encode_any(
        MSG_UPDATE_CLIENT_TYPE_URL,
        &MsgUpdateClient {
            client_id: client_id.to_string(),
            client_message: Some(header.to_any()),
            signer: signer.to_string(),
        },
    )
}

/// ICS-20 `MsgTransfer` of `token` from `sender` over `port/channel` to `receiver`, timing
/// out at `timeout_timestamp` (nanoseconds since the Unix epoch on the destination; zero:
/// none) or `timeout_height` (zero: none), in an `Any`.
pub fn msg_transfer(
    port: &str,
    channel: &str,
    token: Coin,
    sender: &str,
    receiver: &str,
    timeout_height: ibc::Height,
    timeout_timestamp: u64,
) -> Any {
    encode_any(
        MSG_TRANSFER_TYPE_URL,
        &MsgTransfer {
            source_port: port.to_string(),
            source_channel: channel.to_string(),
            token: Some(token),
            sender: sender.to_string(),
            receiver: receiver.to_string(),
            timeout_height: Some(timeout_height),
            timeout_timestamp,
            memo: String::new(),
        },
    )
}
