//! Unit tests of the Cosmos transaction code. The vectors come from simd (ibc-go v8.8.0,
//! Cosmos SDK v0.50.9) with the testnet's mnemonic (`ferry_testnet::TEST_MNEMONIC`).

use ferry_verifier::pb::{self, ibc, Any, Message as _};
use ferry_verifier::proof::{CommitmentProof, MerkleProof};
use k256::elliptic_curve::bigint::{Encoding as _, U256};
use k256::elliptic_curve::Curve as _;

use super::proto::*;
use super::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `simd keys export k0 --unarmored-hex --unsafe` of HD index 0 (the testnet's `val`).
const KEY_0: &str = "f6aa43c166f20532e57a98ba68bc82e488176b9d60f8101b39e44688269d2cd0";
/// HD index 1 (the testnet's `relayer`).
const KEY_1: &str = "9a84a1e728409261442bf7f163d8a1c7e5b023438bb4d968ada440e4b5a8e4ff";

/// `simd keys add --recover --index I --output json`: address and public key (the base64 of
/// its `pubkey.key`, in hex).
#[test]
fn addresses_and_public_keys_match_simd() {
    for (key, address, pubkey) in [
        (
            KEY_0,
            "cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm3",
            "023d6a7b0838ecd0ae4f8676235841cb8a9685f8ec9e8e03b6bbe2878230c42045",
        ),
        (
            KEY_1,
            "cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69",
            "03c335bb44d4456a7a35f133f6b777f5550fd71809e27c2d095e3fbe21d4e0c3c5",
        ),
    ] {
        let signer = Secp256k1Signer::from_hex(key).unwrap();
        assert_eq!(signer.public_key().to_vec(), unhex(pubkey));
        assert_eq!(signer.address("cosmos").unwrap(), address);
        assert_eq!(address_bytes(&signer.public_key()), signer.address_bytes());
        // The SignerInfo form: Any{type_url, PubKey{key}}.
        let any = signer.public_key_any();
        assert_eq!(any.type_url, "/cosmos.crypto.secp256k1.PubKey");
        let mut expected = vec![0x0a, 33];
        expected.extend_from_slice(&unhex(pubkey));
        assert_eq!(any.value, expected);
        // Debug never shows the key.
        assert!(!format!("{signer:?}").contains(&key[..16]));
    }
}

/// `cosmos.bank.v1beta1.MsgSend` (from 1, to 2, amount 3), only for the vector below.
#[derive(Clone, PartialEq, prost::Message)]
struct MsgSend {
    #[prost(string, tag = "1")]
    from_address: String,
    #[prost(string, tag = "2")]
    to_address: String,
    #[prost(message, repeated, tag = "3")]
    amount: Vec<Coin>,
}

/// A transaction signed by simd itself:
///
/// ```sh
/// simd tx bank send k0 cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69 12345stake \
///   --generate-only --chain-id ferry-vec --fees 2500stake --gas 300000 --note "ferry vector"
/// simd tx sign unsigned.json --from k0 --offline --account-number 7 --sequence 3 \
///   --chain-id ferry-vec --sign-mode direct
/// simd tx encode signed.json      # base64 of the TxRaw, here in hex
/// ```
const SIMD_TX: &str =
    "0a9f010a8e010a1c2f636f736d6f732e62616e6b2e763162657461312e4d736753656e64126e0a2d636f\
    736d6f7331356e7a6e706330786d66327934667a676d636634786c646d6e6a38706e68676472756c6c6d\
    33122d636f736d6f733135393868676165656a7368716a6e6537307972707a6868647a71336433307373\
    6167706636391a0e0a057374616b6512053132333435120c666572727920766563746f7212670a500a46\
    0a1f2f636f736d6f732e63727970746f2e736563703235366b312e5075624b657912230a21023d6a7b08\
    38ecd0ae4f8676235841cb8a9685f8ec9e8e03b6bbe2878230c4204512040a020801180312130a0d0a05\
    7374616b6512043235303010e0a7121a40d0f947fcfa0db98aeb743613309b5b95ff03b224b50e264c49\
    83156b7eb62a04445509c1f9d23e1ac1b58e24bdaee32ff3ee3e85692fdcfba03cc3c940064008";

fn simd_vector_tx() -> SignedTx {
    let signer = Secp256k1Signer::from_hex(KEY_0).unwrap();
    let send = MsgSend {
        from_address: signer.address("cosmos").unwrap(),
        to_address: "cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69".into(),
        amount: vec![Coin::new(12345, "stake")],
    };
    let params = TxParams {
        chain_id: "ferry-vec".into(),
        account_number: 7,
        sequence: 3,
        fee: Fee::new(Coin::new(2500, "stake"), 300_000),
        memo: "ferry vector".into(),
        timeout_height: 0,
    };
    sign_tx(
        &signer,
        vec![pb::encode_any("/cosmos.bank.v1beta1.MsgSend", &send)],
        &params,
    )
    .unwrap()
}

#[test]
fn signed_tx_is_byte_identical_to_simd() {
    let expected = unhex(&SIMD_TX.replace(char::is_whitespace, ""));
    let tx = simd_vector_tx();
    assert_eq!(pb::decode::<TxRaw>(&expected).unwrap(), tx.raw);
    assert_eq!(tx.to_bytes(), expected);
    // The signature verifies over the SignDoc bytes, and only over them.
    let signer = Secp256k1Signer::from_hex(KEY_0).unwrap();
    let doc = tx.sign_doc.encode_to_vec();
    assert!(signer.verify(&doc, &tx.raw.signatures[0]));
    let mut other = doc.clone();
    *other.last_mut().unwrap() ^= 1;
    assert!(!signer.verify(&other, &tx.raw.signatures[0]));
}

#[test]
fn sign_doc_field_order() {
    let doc = SignDoc {
        body_bytes: vec![0xb0],
        auth_info_bytes: vec![0xa1, 0xa2],
        chain_id: "c".into(),
        account_number: 300,
    };
    assert_eq!(
        doc.encode_to_vec(),
        [0x0a, 1, 0xb0, 0x12, 2, 0xa1, 0xa2, 0x1a, 1, b'c', 0x20, 0xac, 0x02]
    );
    let raw = TxRaw {
        body_bytes: vec![1],
        auth_info_bytes: vec![2],
        signatures: vec![vec![3], vec![4]],
    };
    assert_eq!(
        raw.encode_to_vec(),
        [0x0a, 1, 1, 0x12, 1, 2, 0x1a, 1, 3, 0x1a, 1, 4]
    );
    // single { mode: SIGN_MODE_DIRECT }
    assert_eq!(ModeInfo::direct().encode_to_vec(), [0x0a, 2, 0x08, 1]);
    // Extension options are fields 1023 and 2047 (two-byte tags).
    let body = TxBody {
        extension_options: vec![Any::default()],
        non_critical_extension_options: vec![Any::default()],
        ..TxBody::default()
    };
    assert_eq!(body.encode_to_vec(), [0xfa, 0x3f, 0, 0xfa, 0x7f, 0]);
    // Fee: amount 1, gas 2, payer 3, granter 4.
    let fee = Fee {
        amount: vec![Coin::new(1, "s")],
        gas_limit: 5,
        payer: "p".into(),
        granter: "g".into(),
    };
    assert_eq!(
        fee.encode_to_vec(),
        [0x0a, 6, 0x0a, 1, b's', 0x12, 1, b'1', 0x10, 5, 0x1a, 1, b'p', 0x22, 1, b'g']
    );
}

#[test]
fn signatures_are_deterministic_low_s() {
    let signer = Secp256k1Signer::from_hex(KEY_1).unwrap();
    let half_order = k256::Secp256k1::ORDER.shr_vartime(1);
    for i in 0..64u32 {
        let msg = i.to_be_bytes();
        let sig = signer.sign(&msg);
        assert_eq!(
            sig,
            signer.sign(&msg),
            "RFC 6979: same message, same signature"
        );
        let s = U256::from_be_slice(&sig[32..]);
        assert!(s <= half_order, "high s for message {i}");
        assert!(signer.verify(&msg, &sig));
    }
}

#[test]
fn bad_private_keys_refused() {
    let order = hex_of(&k256::Secp256k1::ORDER.to_be_bytes());
    for bad in [
        "",
        "00",
        &"00".repeat(32),
        &order,
        &"ff".repeat(32),
        &"zz".repeat(32),
        &"0".repeat(66),
        "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
    ] {
        let e = Secp256k1Signer::from_hex(bad).unwrap_err();
        assert!(matches!(e, Error::InvalidPrivateKey { .. }), "{bad:?}: {e}");
        assert!(e.to_string().contains("--unarmored-hex"));
    }
    assert!(Secp256k1Signer::from_bytes(&[1; 31]).is_err());
    assert!(Secp256k1Signer::from_bytes(&[1; 33]).is_err());
    // Whitespace and 0x are fine.
    let a = Secp256k1Signer::from_hex(&format!(" 0x{KEY_1}\n")).unwrap();
    assert_eq!(
        a.address_bytes(),
        Secp256k1Signer::from_bytes(&unhex(KEY_1))
            .unwrap()
            .address_bytes()
    );
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn sign_tx_refuses_empty_transactions() {
    let signer = Secp256k1Signer::from_hex(KEY_1).unwrap();
    let params = TxParams {
        chain_id: "c".into(),
        account_number: 0,
        sequence: 0,
        fee: Fee::new(Coin::new(1, "stake"), 1),
        memo: String::new(),
        timeout_height: 0,
    };
    assert_eq!(
        sign_tx(&signer, vec![], &params).unwrap_err(),
        Error::NoMessages
    );
    let no_chain = TxParams {
        chain_id: String::new(),
        ..params
    };
    assert_eq!(
        sign_tx(&signer, vec![Any::default()], &no_chain).unwrap_err(),
        Error::MissingChainId
    );
}

#[test]
fn client_messages() {
    let cs = ibc::ClientState {
        chain_id: "b".into(),
        ..ibc::ClientState::default()
    };
    let cons = ibc::ConsensusState::default();
    let any = msg_create_client(&cs, &cons, "cosmos1x");
    assert_eq!(any.type_url, "/ibc.core.client.v1.MsgCreateClient");
    let msg: MsgCreateClient = pb::decode(&any.value).unwrap();
    assert_eq!(msg.client_state, Some(cs.to_any()));
    assert_eq!(msg.consensus_state, Some(cons.to_any()));
    assert_eq!(msg.signer, "cosmos1x");
    // Field order: client_state 1, consensus_state 2, signer 3.
    assert_eq!(any.value[0], 0x0a);
    assert!(any.value.ends_with(b"\x1a\x08cosmos1x"));

    let header = ibc::Header::default();
    let any = msg_update_client("07-tendermint-0", &header, "cosmos1y");
    assert_eq!(any.type_url, "/ibc.core.client.v1.MsgUpdateClient");
    let msg: MsgUpdateClient = pb::decode(&any.value).unwrap();
    assert_eq!(msg.client_message, Some(header.to_any()));
    assert!(any.value.starts_with(b"\x0a\x0f07-tendermint-0\x12"));
    assert!(any.value.ends_with(b"\x1a\x08cosmos1y"));
}

#[test]
fn account_answers() {
    let q = account_query("cosmos1x");
    assert_eq!(q.path, "/cosmos.auth.v1beta1.Query/Account");
    assert_eq!(q.data, b"\x0a\x08cosmos1x");
    let account = BaseAccount {
        address: "cosmos1x".into(),
        pub_key: None,
        account_number: 8,
        sequence: 2,
    };
    let answer = QueryAccountResponse {
        account: Some(pb::encode_any(BASE_ACCOUNT_TYPE_URL, &account)),
    };
    assert_eq!(decode_account(&answer.encode_to_vec()).unwrap(), account);
    // A module account is refused by name.
    let module = QueryAccountResponse {
        account: Some(pb::encode_any(
            "/cosmos.auth.v1beta1.ModuleAccount",
            &account,
        )),
    };
    assert!(matches!(
        decode_account(&module.encode_to_vec()),
        Err(Error::UnexpectedTypeUrl { .. })
    ));
    assert!(matches!(
        decode_account(&[]),
        Err(Error::MissingField { .. })
    ));
    assert!(matches!(
        decode_account(&[0x0a, 5, 1]),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn unbonding_period_answers() {
    assert_eq!(
        staking_params_query().path,
        "/cosmos.staking.v1beta1.Query/Params"
    );
    let answer = |seconds, nanos| {
        QueryStakingParamsResponse {
            params: StakingParams {
                unbonding_time: pb::Duration { seconds, nanos },
                max_validators: 100,
                max_entries: 7,
                historical_entries: 10_000,
                bond_denom: "stake".into(),
            },
        }
        .encode_to_vec()
    };
    assert_eq!(
        decode_unbonding_period(&answer(1_814_400, 0)).unwrap(),
        core::time::Duration::from_secs(1_814_400)
    );
    for (s, n) in [(0, 0), (-1, 0), (1, -1), (1, 1_000_000_000)] {
        assert!(matches!(
            decode_unbonding_period(&answer(s, n)),
            Err(Error::InvalidDuration { .. })
        ));
    }
    assert!(matches!(
        decode_unbonding_period(&[0xff]),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn verify_membership_request() {
    let proof = MerkleProof {
        proofs: vec![CommitmentProof::default()],
    };
    // A bank balance key holds raw address bytes: not UTF-8, sent as they are.
    let key = [0x02, 0x01, 0xff];
    let q = verify_membership_query(
        "07-tendermint-0",
        &proof,
        Height::new(0, 9),
        &[b"bank".as_slice(), &key],
        b"v",
    )
    .unwrap();
    assert_eq!(q.path, "/ibc.core.client.v1.Query/VerifyMembership");
    let mut expected = b"\x0a\x0f07-tendermint-0".to_vec();
    expected.extend([0x12, 2, 0x0a, 0]); // proof: MerkleProof { proofs: [{}] }
    expected.extend([0x1a, 2, 0x10, 9]); // proof_height: revision 0 (omitted), height 9
    expected.extend([0x2a, 1, b'v']);
    // merkle_path: field 8 (ibc-go v10's commitment.v2.MerklePath; v8's field 4 is reserved).
    expected.extend([
        0x42, 11, 0x0a, 4, b'b', b'a', b'n', b'k', 0x0a, 3, 0x02, 0x01, 0xff,
    ]);
    assert_eq!(q.data, expected);

    let ok = |proof: &MerkleProof, h, path: &[&[u8]], v: &[u8]| {
        verify_membership_query("07-tendermint-0", proof, h, path, v)
    };
    let path: &[&[u8]] = &[b"bank", b"k"];
    for (result, argument) in [
        (
            ok(&MerkleProof::default(), Height::new(0, 1), path, b"v"),
            "proof",
        ),
        (ok(&proof, Height::new(0, 0), path, b"v"), "proof height"),
        (ok(&proof, Height::new(0, 1), &[], b"v"), "key path"),
        (ok(&proof, Height::new(0, 1), path, b""), "value"),
        (
            verify_membership_query("", &proof, Height::new(0, 1), path, b"v"),
            "client id",
        ),
    ] {
        assert_eq!(result.unwrap_err(), Error::EmptyArgument { argument });
    }

    assert!(decode_verify_membership(&[0x08, 1]).unwrap());
    assert!(!decode_verify_membership(&[]).unwrap());
    assert!(decode_verify_membership(&[0x08]).is_err());
}
