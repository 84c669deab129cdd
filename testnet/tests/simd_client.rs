//! A 07-tendermint client of chain B created and updated on chain A (two real ibc-go v10 simd
//! chains) by transactions Ferry builds and signs (`ferry::cosmos`: TxRaw, secp256k1,
//! SIGN_MODE_DIRECT), from light blocks of B that ferry-verifier verified first:
//!
//! * `MsgCreateClient` is accepted, and the client and consensus states A stores are
//!   byte-for-byte the ones Ferry sent;
//! * `MsgUpdateClient` with a 07-tendermint header is accepted (A stores the consensus state
//!   Ferry computes); the same header with one commit-signature byte changed is refused, by
//!   simd and by Ferry's own client;
//! * A's client then verifies a membership proof of B's state (a bank balance, and an IBC
//!   store key) through ibc-go's `VerifyMembership` query, and refuses a changed value, as
//!   Ferry's own client does.

mod common;

use std::time::{Duration, Instant};

use common::{mark, options, Block, N, WAIT};
use ferry::cosmos::{self, proto::Coin, proto::Fee, Secp256k1Signer, TxParams};
use ferry_testnet::{
    balance_key, now, require_chains, Error, RpcClient, SimdChain, TxCommit, DENOM,
};
use ferry_verifier::client::{Client, ClientHeader, ClientHeight, ClientState, ConsensusState};
use ferry_verifier::ibc::{client_state_path, consensus_state_path};
use ferry_verifier::pb::{ibc as pbi, Any, Message as _};
use ferry_verifier::proof::{cosmos_sdk_specs, MerkleProof};
use ferry_verifier::{
    bisect, verify, ChainId, Height, TrustThreshold, TrustedState, Verdict, Zebra,
};

/// Chain A's relayer account, signing with Ferry's code.
struct Relayer<'a> {
    chain: &'a SimdChain,
    rpc: RpcClient,
    signer: Secp256k1Signer,
    address: String,
}

impl Relayer<'_> {
    /// Signs `msgs` with the account's current number and sequence (queried) and
    /// broadcasts them with `broadcast_tx_commit`. `Err(Error::TxRefused)` carries simd's code
    /// and log.
    fn submit(&self, msgs: Vec<Any>) -> Result<TxCommit, Error> {
        self.submit_with(msgs, |_| {})
    }

    /// [`Relayer::submit`] with the transaction parameters changed by `tweak` before signing.
    fn submit_with(
        &self,
        msgs: Vec<Any>,
        tweak: impl FnOnce(&mut TxParams),
    ) -> Result<TxCommit, Error> {
        let q = cosmos::account_query(&self.address);
        let answer = self.rpc.abci_query(q.path, &q.data, None, false)?;
        assert_eq!(answer.code, 0, "account query: {}", answer.log);
        let account = cosmos::decode_account(&answer.value.unwrap_or_default()).unwrap();
        assert_eq!(account.address, self.address);
        let params = TxParams {
            chain_id: self.chain.chain_id().to_string(),
            account_number: account.account_number,
            sequence: account.sequence,
            fee: Fee::new(Coin::new(5_000, DENOM), 800_000),
            memo: "ferry".into(),
            timeout_height: 0,
        };
        let mut params = params;
        tweak(&mut params);
        let tx = cosmos::sign_tx(&self.signer, msgs, &params).unwrap();
        let committed = self.rpc.broadcast_tx_commit(&tx.to_bytes())?;
        assert_eq!(
            committed.hash,
            ferry_testnet::hex_encode(&tx.hash()).to_uppercase(),
            "CometBFT's tx hash is sha256 of the TxRaw bytes"
        );
        Ok(committed)
    }
}

/// The value of attribute `key` of the first event `kind` of committed transaction `hash`.
fn event_attribute(rpc: &RpcClient, hash: &str, kind: &str, key: &str) -> String {
    // The indexer may lag a moment behind broadcast_tx_commit's answer.
    let start = Instant::now();
    let r = loop {
        match rpc.call("tx", &[("hash", format!("0x{hash}"))]) {
            Ok(r) => break r,
            Err(e) if start.elapsed() > Duration::from_secs(10) => panic!("tx {hash}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let events = r["tx_result"]["events"].as_array().unwrap();
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .flat_map(|e| e["attributes"].as_array().unwrap())
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"].as_str())
        .unwrap_or_else(|| panic!("no {kind}.{key} in {r}"))
        .to_string()
}

/// A's store value at `path` in the IBC store, at `height`.
fn ibc_store(rpc: &RpcClient, path: &str, height: u64) -> Vec<u8> {
    let q = rpc
        .abci_query("store/ibc/key", path.as_bytes(), Some(height), false)
        .unwrap();
    assert_eq!(q.code, 0, "{path}: {}", q.log);
    q.value
        .unwrap_or_else(|| panic!("{path} absent at {height}"))
}

/// Asks A's client whether it verifies `proof` of `value` under `path` at `height`.
fn simd_verifies(
    rpc: &RpcClient,
    client_id: &str,
    proof: &MerkleProof,
    height: u64,
    path: &[&[u8]],
    value: &[u8],
) -> bool {
    let q =
        cosmos::verify_membership_query(client_id, proof, pbi::Height::new(0, height), path, value)
            .unwrap();
    let answer = rpc.abci_query(q.path, &q.data, None, false).unwrap();
    assert_eq!(answer.code, 0, "VerifyMembership: {}", answer.log);
    cosmos::decode_verify_membership(&answer.value.unwrap_or_default()).unwrap()
}

/// The light block of B at `height`, verified by ferry-verifier from `trusted` (skipping or
/// adjacent), with its hash checked against the node's.
fn verified_block(rpc: &RpcClient, trusted: &Block, height: u64) -> Box<Block> {
    let block = rpc.light_block::<N>(height).unwrap();
    let verdict = verify(
        &Zebra,
        &TrustedState::from_light_block(trusted),
        &block,
        now(),
        &options(),
    );
    assert!(
        matches!(verdict, Verdict::Success),
        "height {height}: {verdict:?}"
    );
    assert_eq!(block.header().hash(), rpc.block_hash(height).unwrap());
    block
}

#[test]
fn client_created_and_updated_on_real_simd_verifies_membership() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let a = SimdChain::start("ferry-a").unwrap();
    mark(t0, &format!("ferry-a up at {}", a.rpc_url()));
    let b = SimdChain::start("ferry-b").unwrap();
    mark(t0, &format!("ferry-b up at {}", b.rpc_url()));
    let (rpc_a, rpc_b) = (a.rpc(), b.rpc());

    // Ferry signs as A's `relayer` account, with the key simd holds for it.
    let signer = Secp256k1Signer::from_bytes(&a.export_private_key("relayer").unwrap()).unwrap();
    let address = signer.address("cosmos").unwrap();
    let account = a.account("relayer").unwrap();
    assert_eq!(address, account.address);
    assert_eq!(signer.address_bytes().as_slice(), account.address_bytes);
    let relayer = Relayer {
        chain: &a,
        rpc: rpc_a.clone(),
        signer,
        address,
    };

    // B's unbonding period (staking params over abci_query); trusting period 2/3 of it.
    let q = cosmos::staking_params_query();
    let answer = rpc_b.abci_query(q.path, &q.data, None, false).unwrap();
    assert_eq!(answer.code, 0, "{}", answer.log);
    let unbonding = cosmos::decode_unbonding_period(&answer.value.unwrap()).unwrap();
    let trusting = unbonding * 2 / 3;
    mark(t0, &format!("ferry-b unbonding period {unbonding:?}"));

    // A verified light block of B: the root of trust is height 2, H1 verified from it.
    let latest = rpc_b.wait_for_height(5, WAIT).unwrap();
    let h1 = latest - 1;
    let root = rpc_b.light_block::<N>(2).unwrap();
    let trace = bisect::verify_to_height(
        &Zebra,
        &*root,
        Height::new(h1).unwrap(),
        &mut rpc_b.clone(),
        now(),
        &options(),
        16,
    )
    .unwrap();
    let block1: &Block = trace.verified.last().unwrap();
    assert_eq!(block1.height().value(), h1);

    let chain_b = ChainId::new(b.chain_id()).unwrap();
    let state = ClientState {
        chain_id: chain_b.clone(),
        trust_level: TrustThreshold::ONE_THIRD,
        trusting_period: trusting,
        unbonding_period: unbonding,
        max_clock_drift: Duration::from_secs(20),
        latest_height: ClientHeight::of(&chain_b, block1.height()),
        frozen_height: ClientHeight::default(),
        proof_specs: cosmos_sdk_specs().to_vec(),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
    };
    // Ferry's own client beside simd's (it validates the state as ibc-go does).
    let mut ferry_client =
        Client::new(state.clone(), ConsensusState::from_header(block1.header())).unwrap();
    let client_state = pbi::ClientState::from(&state);
    let consensus1 = pbi::ConsensusState::from(block1.header());
    assert_eq!(client_state.latest_height, pbi::Height::new(0, h1));

    // The signature binds the account number: signed for another one, simd refuses it.
    let create = cosmos::msg_create_client(&client_state, &consensus1, &relayer.address);
    match relayer.submit_with(vec![create.clone()], |p| p.account_number += 1) {
        Err(Error::TxRefused { stage, code, log }) => {
            mark(
                t0,
                &format!("a wrong account number refused at {stage}, code {code}: {log}"),
            );
            assert!(log.contains("signature verification failed"), "{log}");
        }
        other => panic!("a wrong account number: {other:?}"),
    }

    // MsgCreateClient on A.
    let created = relayer
        .submit(vec![create])
        .unwrap_or_else(|e| panic!("MsgCreateClient refused: {e}"));
    let client_id = event_attribute(&rpc_a, &created.hash, "create_client", "client_id");
    assert_eq!(client_id, "07-tendermint-0");
    mark(
        t0,
        &format!(
            "MsgCreateClient accepted in ferry-a block {}: {client_id} at ferry-b height {h1}",
            created.height
        ),
    );
    // What A stores is byte for byte what Ferry sent.
    let stored = ibc_store(&rpc_a, &client_state_path(&client_id), created.height);
    assert_eq!(stored, client_state.to_any().encode_to_vec());
    let stored = ibc_store(
        &rpc_a,
        &consensus_state_path(&client_id, 0, h1),
        created.height,
    );
    assert_eq!(stored, consensus1.to_any().encode_to_vec());

    // A later height of B, verified from H1; MsgUpdateClient with Ferry's header.
    let latest = rpc_b.wait_for_height(h1 + 4, WAIT).unwrap();
    let h2 = latest - 1;
    let block2 = verified_block(&rpc_b, block1, h2);
    let header2 = pbi::Header::new(&*block2, pbi::Height::new(0, h1), &block1.next_validators);
    let ferry_header: ClientHeader<N> = ClientHeader::try_from(&header2).unwrap();
    ferry_client.update(&Zebra, &ferry_header, now()).unwrap();
    let updated = relayer
        .submit(vec![cosmos::msg_update_client(
            &client_id,
            &header2,
            &relayer.address,
        )])
        .unwrap_or_else(|e| panic!("MsgUpdateClient refused: {e}"));
    mark(
        t0,
        &format!(
            "MsgUpdateClient accepted in ferry-a block {}: {client_id} to ferry-b height {h2} \
             (trusted {h1})",
            updated.height
        ),
    );
    let consensus2 = pbi::ConsensusState::from(block2.header());
    assert_eq!(
        ibc_store(
            &rpc_a,
            &consensus_state_path(&client_id, 0, h2),
            updated.height
        ),
        consensus2.to_any().encode_to_vec()
    );
    let expected_state = pbi::ClientState {
        latest_height: pbi::Height::new(0, h2),
        ..client_state.clone()
    };
    assert_eq!(
        ibc_store(&rpc_a, &client_state_path(&client_id), updated.height),
        expected_state.to_any().encode_to_vec()
    );
    assert_eq!(
        pbi::ClientState::from(ferry_client.state()),
        expected_state,
        "Ferry's client and simd's agree"
    );

    // A membership proof of B's state at H2 - 1 (against the app hash of H2), verified by
    // A's client through ibc-go's VerifyMembership query, and by Ferry's client.
    let user = b.account("user").unwrap();
    let key = balance_key(&user.address_bytes, DENOM);
    // The test mnemonic's `user` address bytes are not UTF-8 (0d b8 6e ...): the key path,
    // a `repeated string` in the .proto, must carry raw bytes for this to verify.
    assert!(std::str::from_utf8(&key).is_err());
    let ibc_key = b"nextClientSequence".to_vec();
    for (store, key) in [("bank", &key), ("ibc", &ibc_key)] {
        let q = rpc_b
            .abci_query(&format!("store/{store}/key"), key, Some(h2 - 1), true)
            .unwrap();
        assert_eq!((q.code, q.height), (0, h2 - 1), "{}", q.log);
        let value = q.value.clone().unwrap();
        let proof = MerkleProof::from_proof_ops(&q.proof_ops).unwrap();
        let path: [&[u8]; 2] = [store.as_bytes(), key];
        assert!(
            simd_verifies(&rpc_a, &client_id, &proof, h2, &path, &value),
            "{store}: simd's client refused the proof"
        );
        let at = ClientHeight::new(0, h2);
        ferry_client
            .verify_membership(at, &proof, &path, &value, now())
            .unwrap();
        let mut changed = value.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert!(
            !simd_verifies(&rpc_a, &client_id, &proof, h2, &path, &changed),
            "{store}: simd's client verified a changed value"
        );
        assert!(ferry_client
            .verify_membership(at, &proof, &path, &changed, now())
            .is_err());
        // At H1 the root is another app hash (state changed since: the chain made blocks).
        assert!(!simd_verifies(
            &rpc_a, &client_id, &proof, h1, &path, &value
        ));
        mark(
            t0,
            &format!(
                "{store} key of ferry-b at {}: verified by {client_id} on ferry-a at {h2}; a \
                 changed value refused",
                h2 - 1
            ),
        );
    }

    // A header whose commit signature is altered: refused by simd and by Ferry.
    let latest = rpc_b.wait_for_height(h2 + 2, WAIT).unwrap();
    let h3 = latest - 1;
    let block3 = verified_block(&rpc_b, &block2, h3);
    let good3 = pbi::Header::new(&*block3, pbi::Height::new(0, h2), &block2.next_validators);
    let mut bad3 = good3.clone();
    let sig = &mut bad3
        .signed_header
        .as_mut()
        .unwrap()
        .commit
        .as_mut()
        .unwrap()
        .signatures[0]
        .signature;
    sig[10] ^= 0x01;
    let bad_header: ClientHeader<N> = ClientHeader::try_from(&bad3).unwrap();
    let ferry_refusal = ferry_client
        .verify_header(&Zebra, &bad_header, now())
        .unwrap_err();
    match relayer.submit(vec![cosmos::msg_update_client(
        &client_id,
        &bad3,
        &relayer.address,
    )]) {
        Err(Error::TxRefused { stage, code, log }) => {
            mark(
                t0,
                &format!(
                    "tampered MsgUpdateClient refused by simd at {stage}, code {code}: {log}\n\
                     (Ferry: {ferry_refusal})"
                ),
            );
            assert!(log.contains("wrong signature (#0)"), "{log}");
        }
        Ok(c) => panic!("simd accepted a header with an altered signature: {c:?}"),
        Err(e) => panic!("{e}"),
    }
    // The untouched header at the same height is accepted after the refusal.
    let updated = relayer
        .submit(vec![cosmos::msg_update_client(
            &client_id,
            &good3,
            &relayer.address,
        )])
        .unwrap_or_else(|e| panic!("MsgUpdateClient refused: {e}"));
    assert_eq!(
        ibc_store(
            &rpc_a,
            &consensus_state_path(&client_id, 0, h3),
            updated.height
        ),
        pbi::ConsensusState::from(block3.header())
            .to_any()
            .encode_to_vec()
    );
    mark(
        t0,
        &format!(
            "the untampered header to {h3} accepted in ferry-a block {}",
            updated.height
        ),
    );
}
