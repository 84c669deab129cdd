//! `ferry_verifier::pb` byte for byte against CometBFT v0.38 and ibc-go v8: known encodings
//! (CometBFT's privval vectors, hand-derived ibc messages), round trips of the fixture light
//! blocks, hashes recomputed from the messages, and malformed input (errors, never panics).

mod support;

use std::path::{Path, PathBuf};

use ferry_verifier::pb::{self, Message, PbError};
use ferry_verifier::time::MIN_UNIX_SECS;
use ferry_verifier::*;
use support::*;

// ----------------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------------

fn fixture_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/data/nostd-4");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    paths
}

fn fixture_blocks() -> Vec<(PathBuf, LightBlock)> {
    fixture_paths()
        .into_iter()
        .map(|p| {
            let lb: LightBlock = read_json(&p);
            (p, lb)
        })
        .collect()
}

fn first_block() -> LightBlock {
    fixture_blocks().remove(0).1
}

fn timestamp(rfc3339: &str) -> pb::Timestamp {
    pb::Timestamp::from(Time::parse_rfc3339(rfc3339).unwrap())
}

fn go_zero_time() -> pb::Timestamp {
    pb::Timestamp::from(Time::from_unix(MIN_UNIX_SECS, 0).unwrap())
}

/// Decodes, converts back and checks no panic; returns the conversion's outcome.
fn decode_light_block(bytes: &[u8], next: &[u8]) -> Result<LightBlock, PbError> {
    let lb: pb::LightBlock = pb::decode(bytes)?;
    let next: pb::ValidatorSet = pb::decode(next)?;
    LightBlock::try_from((&lb, &next))
}

// ----------------------------------------------------------------------------------------
// 1. CometBFT's privval vectors (privval/msgs_test.go, TestPrivvalVectors)
// ----------------------------------------------------------------------------------------

/// `privval.SignVoteRequest`.
#[derive(Clone, PartialEq, prost::Message)]
struct SignVoteRequest {
    #[prost(message, optional, tag = "1")]
    vote: Option<pb::Vote>,
    #[prost(string, tag = "2")]
    chain_id: String,
}

/// `privval.RemoteSignerError`.
#[derive(Clone, PartialEq, prost::Message)]
struct RemoteSignerError {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    description: String,
}

/// `privval.SignedVoteResponse` (`vote` is non-nullable).
#[derive(Clone, PartialEq, prost::Message)]
struct SignedVoteResponse {
    #[prost(message, required, tag = "1")]
    vote: pb::Vote,
    #[prost(message, optional, tag = "2")]
    error: Option<RemoteSignerError>,
}

/// The two arms of the `privval.Message` oneof these vectors use.
#[derive(Clone, PartialEq, prost::Message)]
struct PrivvalMessage {
    #[prost(message, optional, tag = "3")]
    sign_vote_request: Option<SignVoteRequest>,
    #[prost(message, optional, tag = "4")]
    signed_vote_response: Option<SignedVoteResponse>,
}

/// `"PRECOMMIT (2)"` -> 2.
fn number_in_parens(s: &str) -> i32 {
    let open = s.rfind('(').unwrap();
    s[open + 1..s.len() - 1].parse().unwrap()
}

fn example_vote(v: &serde_json::Value) -> pb::Vote {
    let bid = &v["block_id"];
    pb::Vote {
        r#type: number_in_parens(v["type"].as_str().unwrap()),
        height: v["height"].as_i64().unwrap(),
        round: v["round"].as_i64().unwrap() as i32,
        block_id: pb::BlockId {
            hash: hex(bid["hash_hex"].as_str().unwrap()),
            part_set_header: pb::PartSetHeader {
                total: bid["part_set_header"]["total"].as_u64().unwrap() as u32,
                hash: hex(bid["part_set_header"]["hash_hex"].as_str().unwrap()),
            },
        },
        timestamp: timestamp(v["timestamp"].as_str().unwrap()),
        validator_address: hex(v["validator_address_hex"].as_str().unwrap()),
        validator_index: v["validator_index"].as_i64().unwrap() as i32,
        signature: Vec::new(),
        extension: hex(v["extension_hex"].as_str().unwrap()),
        extension_signature: Vec::new(),
    }
}

fn privval_case(vectors: &serde_json::Value, name: &str) -> Vec<u8> {
    let case = vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name:?}"));
    hex(case["expected_hex"].as_str().unwrap())
}

#[test]
fn privval_vote_vectors() {
    let Some(dir) = vector_set("transcribed") else {
        return;
    };
    let v = value(&dir.join("cometbft_privval_proto_vectors.json"));
    let vote = example_vote(&v["example_vote"]);
    assert_eq!(vote.r#type, pb::SignedMsgType::Precommit as i32);

    // "Vote Request": 1a 81 01 (field 3, 129 bytes) 0a 7f (field 1, the Vote, 127 bytes).
    let expected = privval_case(&v, "Vote Request");
    assert_eq!(&expected[..5], &[0x1a, 0x81, 0x01, 0x0a, 0x7f]);
    assert_eq!(expected.len(), 5 + 127);
    let vote_bytes = vote.encode_to_vec();
    assert_eq!(
        to_hex(&vote_bytes),
        to_hex(&expected[5..]),
        "the Vote itself"
    );
    let request = PrivvalMessage {
        sign_vote_request: Some(SignVoteRequest {
            vote: Some(vote.clone()),
            chain_id: String::new(),
        }),
        signed_vote_response: None,
    };
    assert_eq!(to_hex(&request.encode_to_vec()), to_hex(&expected));
    assert_eq!(pb::decode::<pb::Vote>(&expected[5..]).unwrap(), vote);
    assert_eq!(pb::decode::<PrivvalMessage>(&expected).unwrap(), request);

    // "Vote Response": the same Vote in field 4.
    let expected = privval_case(&v, "Vote Response");
    let response = PrivvalMessage {
        sign_vote_request: None,
        signed_vote_response: Some(SignedVoteResponse {
            vote: vote.clone(),
            error: None,
        }),
    };
    assert_eq!(to_hex(&response.encode_to_vec()), to_hex(&expected));

    // "Vote Response with error": Go's zero Vote. Its non-nullable block id and timestamp are
    // still written: 22 02 12 00 (an empty BlockID with its empty PartSetHeader) and
    // 2a 0b 08 80 92 b8 c3 98 fe ff ff ff 01 (Go's zero time, -62135596800 seconds).
    let expected = privval_case(&v, "Vote Response with error");
    let zero_vote = pb::Vote {
        timestamp: go_zero_time(),
        ..Default::default()
    };
    assert_eq!(
        to_hex(&zero_vote.encode_to_vec()),
        "220212002a0b088092b8c398feffffff01"
    );
    let response = PrivvalMessage {
        sign_vote_request: None,
        signed_vote_response: Some(SignedVoteResponse {
            vote: zero_vote,
            error: Some(RemoteSignerError {
                code: 1,
                description: "it's a error".into(),
            }),
        }),
    };
    assert_eq!(to_hex(&response.encode_to_vec()), to_hex(&expected));
    assert_eq!(pb::decode::<PrivvalMessage>(&expected).unwrap(), response);
}

#[test]
fn go_zero_time_timestamp() {
    // -62135596800 as a 64-bit two's-complement varint: 80 92 b8 c3 98 fe ff ff ff 01.
    assert_eq!(pb::GO_ZERO_TIME, go_zero_time());
    assert_eq!(
        to_hex(&pb::GO_ZERO_TIME.encode_to_vec()),
        "088092b8c398feffffff01"
    );
    let t = Time::try_from(&pb::GO_ZERO_TIME).unwrap();
    assert_eq!(t.to_string(), "0001-01-01T00:00:00Z");
    // The Unix epoch is all defaults: nothing is written.
    assert!(pb::Timestamp::from(Time::UNIX_EPOCH)
        .encode_to_vec()
        .is_empty());
    // 2019-10-13T16:14:44Z = 1570983284 s: 08 f4 9a 8d ed 05 (as in the Vote vector).
    assert_eq!(
        to_hex(&timestamp("2019-10-13T16:14:44Z").encode_to_vec()),
        "08f49a8ded05"
    );
    // Nanoseconds go to field 2: 10 ns -> 10 0a.
    assert_eq!(
        to_hex(&pb::Timestamp::from(Time::from_unix(0, 10).unwrap()).encode_to_vec()),
        "100a"
    );
}

// ----------------------------------------------------------------------------------------
// 2. Hand-derived ibc-go encodings
// ----------------------------------------------------------------------------------------

#[test]
fn ibc_zero_values_keep_non_nullable_fields() {
    use pb::ibc::*;
    // Height and Fraction have only scalars: all zero, nothing is written.
    assert!(Height::default().encode_to_vec().is_empty());
    assert!(Fraction::default().encode_to_vec().is_empty());
    // Height{1, 5}: 08 01 (field 1 varint 1), 10 05 (field 2 varint 5).
    assert_eq!(to_hex(&Height::new(1, 5).encode_to_vec()), "08011005");
    // Fraction{1, 3}: 08 01 10 03.
    assert_eq!(
        to_hex(
            &Fraction {
                numerator: 1,
                denominator: 3
            }
            .encode_to_vec()
        ),
        "08011003"
    );
    // ConsensusState: timestamp (field 1) and root (field 2) are non-nullable: Go writes them
    // empty, 0a 00 12 00; next_validators_hash (bytes) is omitted.
    assert_eq!(
        to_hex(&ConsensusState::default().encode_to_vec()),
        "0a001200"
    );
    // Header: only trusted_height (field 3) is non-nullable: 1a 00.
    assert_eq!(to_hex(&Header::default().encode_to_vec()), "1a00");
    // ClientState: trust_level, the three durations and both heights (fields 2 to 7).
    assert_eq!(
        to_hex(&ClientState::default().encode_to_vec()),
        "12001a0022002a0032003a00"
    );
    // Misbehaviour: all nullable.
    assert!(Misbehaviour::default().encode_to_vec().is_empty());
    // Decoding the empty forms gives the defaults back.
    assert_eq!(
        pb::decode::<ConsensusState>(&hex("0a001200")).unwrap(),
        ConsensusState::default()
    );
}

#[test]
fn ibc_consensus_state_known_bytes() {
    // timestamp 2025-01-01T00:00:00Z = 1735689600 s; as a varint, 7 bits at a time from the
    // low end: 0 (80), 11 (8b), 82 (d2), 59 (bb), 6 (06) -> 08 80 8b d2 bb 06, so field 1 is
    // 0a 06 08 80 8b d2 bb 06. root = MerkleRoot{hash: 32 x aa} = 0a 20 aa.., so field 2 is
    // 12 22 0a 20 aa..; next_validators_hash = 32 x bb: 1a 20 bb...
    let cs = pb::ibc::ConsensusState {
        timestamp: timestamp("2025-01-01T00:00:00Z"),
        root: pb::ibc::MerkleRoot {
            hash: vec![0xaa; 32],
        },
        next_validators_hash: vec![0xbb; 32],
    };
    let expected = format!(
        "0a0608808bd2bb06\
         12220a20{}\
         1a20{}",
        "aa".repeat(32),
        "bb".repeat(32)
    );
    assert_eq!(to_hex(&cs.encode_to_vec()), expected);
    assert_eq!(
        pb::decode::<pb::ibc::ConsensusState>(&hex(&expected)).unwrap(),
        cs
    );

    // From a header: its time, app hash and next validators hash.
    let lb = first_block();
    let from_header = pb::ibc::ConsensusState::from(lb.header());
    assert_eq!(from_header.timestamp, pb::Timestamp::from(lb.header().time));
    assert_eq!(from_header.root.hash, lb.header().app_hash.as_bytes());
    assert_eq!(
        from_header.next_validators_hash,
        lb.header().next_validators_hash.as_bytes()
    );
    let any = from_header.to_any();
    assert_eq!(
        any.type_url,
        "/ibc.lightclients.tendermint.v1.ConsensusState"
    );
    assert_eq!(
        pb::decode_any::<pb::ibc::ConsensusState>(&any, pb::CONSENSUS_STATE_TYPE_URL).unwrap(),
        from_header
    );
}

fn example_client_state() -> pb::ibc::ClientState {
    pb::ibc::ClientState {
        chain_id: "ferry-1".into(),
        trust_level: pb::ibc::Fraction::from(TrustThreshold::ONE_THIRD),
        trusting_period: pb::Duration::try_from(std::time::Duration::from_secs(14 * 86_400))
            .unwrap(),
        unbonding_period: pb::Duration::try_from(std::time::Duration::from_secs(21 * 86_400))
            .unwrap(),
        max_clock_drift: pb::Duration::try_from(std::time::Duration::from_secs(10)).unwrap(),
        frozen_height: pb::ibc::Height::default(),
        latest_height: pb::ibc::Height::new(1, 5),
        proof_specs: Vec::new(),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        allow_update_after_expiry: false,
        allow_update_after_misbehaviour: false,
    }
}

#[test]
fn ibc_client_state_known_bytes() {
    let cs = example_client_state();
    // field 1 chain_id "ferry-1":             0a 07 66 65 72 72 79 2d 31
    // field 2 trust_level {1, 3}:             12 04 08 01 10 03
    // field 3 trusting_period 1209600 s:      1a 04 08 80 ea 49
    //   (1209600 = 0 + 128 * (106 + 128 * 73): groups 0, 106, 73 -> 80 ea 49)
    // field 4 unbonding_period 1814400 s:     22 04 08 80 df 6e
    //   (1814400 = 0 + 128 * (95 + 128 * 110): groups 0, 95, 110 -> 80 df 6e)
    // field 5 max_clock_drift 10 s:           2a 02 08 0a
    // field 6 frozen_height {0, 0}, written:  32 00
    // field 7 latest_height {1, 5}:           3a 04 08 01 10 05
    // field 9 upgrade_path, one per element:  4a 07 "upgrade", 4a 10 "upgradedIBCState"
    // fields 10, 11 false: omitted.
    let expected = format!(
        "0a07{}\
         120408011003\
         1a040880ea49\
         22040880df6e\
         2a02080a\
         3200\
         3a0408011005\
         4a07{}\
         4a10{}",
        to_hex(b"ferry-1"),
        to_hex(b"upgrade"),
        to_hex(b"upgradedIBCState")
    );
    assert_eq!(to_hex(&cs.encode_to_vec()), expected);
    assert_eq!(
        pb::decode::<pb::ibc::ClientState>(&hex(&expected)).unwrap(),
        cs
    );

    // With the Cosmos SDK's IAVL spec as `proof_specs` (field 8, after the heights):
    // LeafOp{hash SHA256=1, prehash_key 0, prehash_value SHA256=1, length VAR_PROTO=1,
    //        prefix [00]}                       = 08 01 18 01 20 01 2a 01 00      (9 bytes)
    // InnerSpec{child_order [0, 1] (packed), child_size 33, min_prefix_length 4,
    //           max_prefix_length 12, hash SHA256=1}
    //                                           = 0a 02 00 01 10 21 18 04 20 0c 30 01 (12)
    // ProofSpec = 0a 09 <leaf> 12 0c <inner>    (25 bytes) -> 42 19 <spec>
    let mut with_spec = cs.clone();
    with_spec.proof_specs = vec![ferry_verifier::proof::iavl_spec()];
    let spec = [
        "4219",                         // field 8, 25 bytes
        "0a09",                         // ProofSpec.leaf_spec, 9 bytes
        "080118012001 2a0100",          // hash, prehash_value, length, prefix
        "120c",                         // ProofSpec.inner_spec, 12 bytes
        "0a020001 1021 1804 200c 3001", // child_order, child_size, min/max prefix, hash
    ]
    .concat()
    .replace(' ', "");
    let expected_with_spec = expected.replacen("3a0408011005", &format!("3a0408011005{spec}"), 1);
    assert_eq!(to_hex(&with_spec.encode_to_vec()), expected_with_spec);
    let back: pb::ibc::ClientState = pb::decode(&hex(&expected_with_spec)).unwrap();
    assert_eq!(back, with_spec);
    assert_eq!(
        TrustThreshold::try_from(&back.trust_level).unwrap(),
        TrustThreshold::ONE_THIRD
    );
    assert_eq!(
        std::time::Duration::try_from(&back.trusting_period).unwrap(),
        std::time::Duration::from_secs(14 * 86_400)
    );

    let any = with_spec.to_any();
    assert_eq!(any.type_url, "/ibc.lightclients.tendermint.v1.ClientState");
    // Any{type_url (field 1), value (field 2)}.
    let any_bytes = any.encode_to_vec();
    assert_eq!(any_bytes[0], 0x0a);
    assert_eq!(usize::from(any_bytes[1]), pb::CLIENT_STATE_TYPE_URL.len());
    assert_eq!(
        pb::decode_any::<pb::ibc::ClientState>(
            &pb::decode(&any_bytes).unwrap(),
            pb::CLIENT_STATE_TYPE_URL
        )
        .unwrap(),
        with_spec
    );
}

// ----------------------------------------------------------------------------------------
// 3. Round trips of the fixture light blocks
// ----------------------------------------------------------------------------------------

/// gogoproto's `BytesValue` / `StringValue` / `Int64Value`: field 1 (as CometBFT's
/// `cdcEncode` wraps header fields before hashing them).
#[derive(Clone, PartialEq, prost::Message)]
struct BytesValue {
    #[prost(bytes = "vec", tag = "1")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct StringValue {
    #[prost(string, tag = "1")]
    value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Int64Value {
    #[prost(int64, tag = "1")]
    value: i64,
}

/// `tendermint.types.SimpleValidator`, hashed into the validator-set hash.
#[derive(Clone, PartialEq, prost::Message)]
struct SimpleValidator {
    #[prost(message, optional, tag = "1")]
    pub_key: Option<pb::PublicKey>,
    #[prost(int64, tag = "2")]
    voting_power: i64,
}

/// CometBFT's `Header.Hash()` computed from the message's encodings.
fn header_hash_from_pb(h: &pb::Header) -> [u8; 32] {
    let bytes = |b: &Vec<u8>| BytesValue { value: b.clone() }.encode_to_vec();
    let leaves: Vec<Vec<u8>> = vec![
        h.version.encode_to_vec(),
        StringValue {
            value: h.chain_id.clone(),
        }
        .encode_to_vec(),
        Int64Value { value: h.height }.encode_to_vec(),
        h.time.encode_to_vec(),
        h.last_block_id.encode_to_vec(),
        bytes(&h.last_commit_hash),
        bytes(&h.data_hash),
        bytes(&h.validators_hash),
        bytes(&h.next_validators_hash),
        bytes(&h.consensus_hash),
        bytes(&h.app_hash),
        bytes(&h.last_results_hash),
        bytes(&h.evidence_hash),
        bytes(&h.proposer_address),
    ];
    let refs: Vec<&[u8]> = leaves.iter().map(|l| l.as_slice()).collect();
    merkle::hash_from_byte_slices(&refs)
}

fn validator_set_hash_from_pb(set: &pb::ValidatorSet) -> [u8; 32] {
    let leaves: Vec<Vec<u8>> = set
        .validators
        .iter()
        .map(|v| {
            SimpleValidator {
                pub_key: Some(v.pub_key.clone()),
                voting_power: v.voting_power,
            }
            .encode_to_vec()
        })
        .collect();
    let refs: Vec<&[u8]> = leaves.iter().map(|l| l.as_slice()).collect();
    merkle::hash_from_byte_slices(&refs)
}

#[test]
fn fixture_light_blocks_round_trip() {
    for (path, lb) in fixture_blocks() {
        let name = path.display();
        let msg = pb::LightBlock::from(&lb);
        let next_msg = pb::ValidatorSet::from(&lb.next_validators);
        let bytes = msg.encode_to_vec();
        let next_bytes = next_msg.encode_to_vec();

        // Bytes -> message -> bytes is stable.
        let decoded: pb::LightBlock = pb::decode(&bytes).unwrap();
        assert_eq!(decoded, msg, "{name}");
        assert_eq!(decoded.encode_to_vec(), bytes, "{name}");

        // Message -> validated types gives the original back.
        let back = decode_light_block(&bytes, &next_bytes).unwrap();
        assert_eq!(back, lb, "{name}");
        assert_eq!(
            back.signed_header.commit.block_id.hash,
            back.header().hash(),
            "{name}"
        );

        // The messages hash as CometBFT does: the header hash from the message's encodings is
        // the commit's block id, and the validator sets hash to the header's hashes.
        let sh = decoded.signed_header.as_ref().unwrap();
        let header = sh.header.as_ref().unwrap();
        assert_eq!(
            header_hash_from_pb(header).as_slice(),
            sh.commit.as_ref().unwrap().block_id.hash.as_slice(),
            "{name}"
        );
        let vals = decoded.validator_set.as_ref().unwrap();
        assert_eq!(
            validator_set_hash_from_pb(vals).as_slice(),
            header.validators_hash.as_slice(),
            "{name}"
        );
        assert_eq!(
            validator_set_hash_from_pb(&next_msg).as_slice(),
            header.next_validators_hash.as_slice(),
            "{name}"
        );

        // The set's proposer is the header's; the total is the sum.
        assert_eq!(
            vals.proposer.as_ref().unwrap().address,
            header.proposer_address,
            "{name}"
        );
        assert_eq!(vals.total_voting_power as u64, lb.validators.total_power());

        // Each part on its own.
        let h = Header::try_from(header).unwrap();
        assert_eq!(&h, lb.header());
        let c: Commit = Commit::try_from(sh.commit.as_ref().unwrap()).unwrap();
        assert_eq!(c, lb.signed_header.commit);
        let s: SignedHeader = SignedHeader::try_from(sh).unwrap();
        assert_eq!(s, lb.signed_header);
        let v: ValidatorSet = ValidatorSet::try_from(vals).unwrap();
        assert_eq!(v, lb.validators);
        for val in lb.validators.validators() {
            assert_eq!(
                Validator::try_from(&pb::Validator::from(val)).unwrap(),
                *val
            );
        }
        // Small capacities work too.
        let small: LightBlock<4> = LightBlock::try_from((&decoded, &next_msg)).unwrap();
        assert_eq!(small.header(), lb.header());

        // An IBC client update carrying this block.
        let update = pb::ibc::Header::new(&lb, pb::ibc::Height::new(1, 1), &lb.validators);
        let any = update.to_any();
        let back: pb::ibc::Header = pb::decode_any(&any, pb::HEADER_TYPE_URL).unwrap();
        assert_eq!(back, update);
        assert_eq!(back.signed_header.as_ref(), decoded.signed_header.as_ref());
    }
}

#[test]
fn absent_commit_sigs_use_go_zero_time() {
    let mut commit = first_block().signed_header.commit;
    commit.signatures[1] = CommitSig::Absent;
    let msg = pb::Commit::from(&commit);
    let absent = &msg.signatures[1];
    assert_eq!(absent.block_id_flag, pb::BlockIdFlag::Absent as i32);
    // block_id_flag 1 (08 01), no address, Go's zero time (1a 0b ...), no signature.
    assert_eq!(
        to_hex(&absent.encode_to_vec()),
        "08011a0b088092b8c398feffffff01"
    );
    let back: Commit = Commit::try_from(&msg).unwrap();
    assert_eq!(back, commit);
    // An absent entry with no timestamp at all (as prost or tendermint-rs would write it)
    // is accepted too.
    let mut bare = msg.clone();
    bare.signatures[1].timestamp = pb::Timestamp::default();
    assert_eq!(Commit::<512>::try_from(&bare).unwrap(), commit);
}

#[test]
fn evidence_round_trips() {
    let lb = first_block();
    let vote = |round: i32, hash: Vec<u8>| pb::Vote {
        r#type: pb::SignedMsgType::Precommit as i32,
        height: 1,
        round,
        block_id: pb::BlockId {
            hash,
            part_set_header: pb::PartSetHeader::default(),
        },
        timestamp: pb::Timestamp::from(lb.header().time),
        validator_address: lb.validators.validators()[0].address().0.to_vec(),
        validator_index: 0,
        signature: vec![7; 64],
        extension: Vec::new(),
        extension_signature: Vec::new(),
    };
    let dve = pb::DuplicateVoteEvidence {
        vote_a: Some(vote(0, vec![1; 32])),
        vote_b: Some(vote(0, vec![2; 32])),
        total_voting_power: 208,
        validator_power: 85,
        timestamp: pb::Timestamp::from(lb.header().time),
    };
    let ev = pb::Evidence {
        sum: Some(pb::evidence::Sum::DuplicateVoteEvidence(Box::new(
            dve.clone(),
        ))),
    };
    let bytes = pb::encode(&ev);
    // Field 1 of the oneof, then the DuplicateVoteEvidence, whose first field is vote_a.
    assert_eq!(bytes[0], 0x0a);
    assert_eq!(pb::decode::<pb::Evidence>(&bytes).unwrap(), ev);
    assert_eq!(
        &bytes[bytes.len() - dve.encode_to_vec().len()..],
        dve.encode_to_vec().as_slice()
    );

    let lca = pb::LightClientAttackEvidence {
        conflicting_block: Some(pb::LightBlock::from(&lb)),
        common_height: 1,
        byzantine_validators: lb
            .validators
            .validators()
            .iter()
            .map(pb::Validator::from)
            .collect(),
        total_voting_power: 208,
        timestamp: pb::Timestamp::default(),
    };
    let ev2 = pb::Evidence {
        sum: Some(pb::evidence::Sum::LightClientAttackEvidence(Box::new(lca))),
    };
    let bytes2 = pb::encode(&ev2);
    assert_eq!(bytes2[0], 0x12);
    // The non-nullable timestamp is written even when empty: the encoding ends 2a 00.
    assert_eq!(&bytes2[bytes2.len() - 2..], &[0x2a, 0x00]);
    assert_eq!(pb::decode::<pb::Evidence>(&bytes2).unwrap(), ev2);

    let list = pb::EvidenceList {
        evidence: vec![ev, ev2, pb::Evidence::default()],
    };
    let list_bytes = pb::encode(&list);
    // Every element is written, even an empty one (0a 00 at the end).
    assert_eq!(&list_bytes[list_bytes.len() - 2..], &[0x0a, 0x00]);
    assert_eq!(pb::decode::<pb::EvidenceList>(&list_bytes).unwrap(), list);
}

// ----------------------------------------------------------------------------------------
// 4. Malformed input: errors, never panics
// ----------------------------------------------------------------------------------------

#[test]
fn truncated_bytes_are_errors() {
    let lb = first_block();
    let bytes = pb::LightBlock::from(&lb).encode_to_vec();
    let next = pb::ValidatorSet::from(&lb.next_validators).encode_to_vec();
    // Dropping the last byte cuts the validator set's length-delimited field short.
    assert!(matches!(
        pb::decode::<pb::LightBlock>(&bytes[..bytes.len() - 1]),
        Err(PbError::Decode(_))
    ));
    let mut errors = 0;
    for n in 0..bytes.len() {
        // Every prefix decodes to an error or to something the conversion judges; no panic.
        if decode_light_block(&bytes[..n], &next).is_err() {
            errors += 1;
        }
        let _ = pb::decode::<pb::ibc::Header>(&bytes[..n]);
        let _ = pb::decode::<pb::Evidence>(&bytes[..n]);
    }
    // Only the empty prefix and whole top-level fields can even decode; none converts.
    assert_eq!(errors, bytes.len());
    let e = pb::decode::<pb::LightBlock>(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(e.to_string().contains("malformed protobuf"), "{e}");
    // Missing parts are named.
    let empty = decode_light_block(&[], &next).unwrap_err();
    assert_eq!(
        empty,
        PbError::Missing {
            field: "tendermint.types.LightBlock.signed_header"
        }
    );
    assert!(empty.to_string().contains("signed_header is missing"));
}

#[test]
fn mutated_bytes_never_panic() {
    let lb = first_block();
    let bytes = pb::LightBlock::from(&lb).encode_to_vec();
    let next = pb::ValidatorSet::from(&lb.next_validators).encode_to_vec();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut m = bytes.clone();
        for _ in 0..(rand() % 4 + 1) {
            let i = (rand() as usize) % m.len();
            m[i] = rand() as u8;
        }
        if let Ok(back) = decode_light_block(&m, &next) {
            // Whatever converts is well-formed enough to encode again.
            let _ = pb::LightBlock::from(&back).encode_to_vec();
        }
    }
}

#[test]
fn wrong_hash_lengths_are_errors() {
    let lb = first_block();
    let msg = pb::Header::from(lb.header());

    let mut h = msg.clone();
    h.data_hash = vec![0; 31];
    // Through bytes, as a peer would send it.
    let decoded: pb::Header = pb::decode(&h.encode_to_vec()).unwrap();
    let e = Header::try_from(&decoded).unwrap_err();
    assert_eq!(
        e,
        PbError::InvalidLength {
            field: "tendermint.types.Header.data_hash",
            expected: "32 bytes (or none)",
            actual: 31
        }
    );
    assert_eq!(
        e.to_string(),
        "tendermint.types.Header.data_hash: expected 32 bytes (or none), got 31 bytes"
    );

    let mut h = msg.clone();
    h.last_block_id.hash = vec![0; 31];
    assert!(matches!(
        Header::try_from(&h),
        Err(PbError::InvalidLength {
            field: "tendermint.types.BlockID.hash",
            actual: 31,
            ..
        })
    ));
    let mut h = msg.clone();
    h.last_block_id.part_set_header.hash = vec![0; 33];
    assert!(matches!(
        Header::try_from(&h),
        Err(PbError::InvalidLength {
            field: "tendermint.types.PartSetHeader.hash",
            actual: 33,
            ..
        })
    ));
    let mut h = msg.clone();
    h.proposer_address = vec![0; 19];
    assert!(matches!(
        Header::try_from(&h),
        Err(PbError::InvalidLength {
            field: "tendermint.types.Header.proposer_address",
            ..
        })
    ));
    let mut h = msg.clone();
    h.app_hash = vec![0; 129];
    assert!(matches!(
        Header::try_from(&h),
        Err(PbError::Invalid {
            field: "tendermint.types.Header.app_hash",
            ..
        })
    ));
    let mut h = msg.clone();
    h.chain_id = "x".repeat(51);
    assert!(matches!(
        Header::try_from(&h),
        Err(PbError::Invalid {
            field: "tendermint.types.Header.chain_id",
            ..
        })
    ));
}

#[test]
fn out_of_range_integers_and_times_are_errors() {
    let lb = first_block();
    let msg = pb::Header::from(lb.header());

    for height in [0, -1, i64::MIN] {
        let mut h = msg.clone();
        h.height = height;
        let e = Header::try_from(&h).unwrap_err();
        assert!(
            matches!(
                e,
                PbError::OutOfRange {
                    field: "tendermint.types.Header.height",
                    ..
                }
            ),
            "{e}"
        );
    }
    for (seconds, nanos) in [
        (0, -1),
        (0, 1_000_000_000),
        (MIN_UNIX_SECS - 1, 0),
        (253_402_300_800, 0),
        (i64::MAX, 0),
    ] {
        let mut h = msg.clone();
        h.time = pb::Timestamp { seconds, nanos };
        let e = Header::try_from(&h).unwrap_err();
        assert_eq!(
            e,
            PbError::InvalidTime {
                field: "tendermint.types.Header.time",
                seconds,
                nanos
            }
        );
    }

    let commit = pb::Commit::from(&lb.signed_header.commit);
    let mut c = commit.clone();
    c.round = -1;
    assert!(matches!(
        Commit::<512>::try_from(&c),
        Err(PbError::OutOfRange {
            field: "tendermint.types.Commit.round",
            value: -1,
            ..
        })
    ));
    let mut c = commit.clone();
    c.height = 0;
    assert!(matches!(
        Commit::<512>::try_from(&c),
        Err(PbError::OutOfRange {
            field: "tendermint.types.Commit.height",
            ..
        })
    ));
    let mut c = commit.clone();
    c.signatures[2].timestamp.nanos = -5;
    assert!(matches!(
        Commit::<512>::try_from(&c),
        Err(PbError::InvalidCommitSig { index: 2, .. })
    ));

    let mut v = pb::Validator::from(&lb.validators.validators()[0]);
    v.voting_power = -1;
    assert!(matches!(
        Validator::try_from(&v),
        Err(PbError::OutOfRange {
            field: "tendermint.types.Validator.voting_power",
            ..
        })
    ));
    v.voting_power = i64::MAX;
    assert!(Validator::try_from(&v).is_err());

    // Durations: negative, bad nanos, too long for Go's time.Duration.
    for (seconds, nanos) in [(-1, 0), (0, -1), (0, 1_000_000_000), (i64::MAX, 0)] {
        let d = pb::Duration { seconds, nanos };
        assert!(matches!(
            std::time::Duration::try_from(&d),
            Err(PbError::InvalidDuration { .. })
        ));
    }
    assert!(pb::Duration::try_from(std::time::Duration::from_secs(u64::MAX)).is_err());
    assert!(pb::Duration::try_from(std::time::Duration::from_secs(9_223_372_036)).is_ok());
    assert!(pb::Duration::try_from(std::time::Duration::from_secs(9_223_372_037)).is_err());
    // Trust levels outside [1/3, 1].
    for (numerator, denominator) in [(0, 0), (1, 4), (4, 3)] {
        let f = pb::ibc::Fraction {
            numerator,
            denominator,
        };
        assert!(TrustThreshold::try_from(&f).is_err());
    }
}

#[test]
fn unknown_block_id_flags_are_errors() {
    let lb = first_block();
    let commit = pb::Commit::from(&lb.signed_header.commit);
    for flag in [0, 4, -1, i32::MAX] {
        let mut c = commit.clone();
        c.signatures[3].block_id_flag = flag;
        // Through bytes: prost keeps unknown enum values as integers.
        let decoded: pb::Commit = pb::decode(&c.encode_to_vec()).unwrap();
        let e = Commit::<512>::try_from(&decoded).unwrap_err();
        assert_eq!(e, PbError::UnknownBlockIdFlag { index: 3, flag });
        assert!(e.to_string().contains("unknown block_id_flag"), "{e}");
    }
}

#[test]
fn commit_sig_rules() {
    let lb = first_block();
    let commit = pb::Commit::from(&lb.signed_header.commit);
    let reason = |c: &pb::Commit| match Commit::<512>::try_from(c) {
        Err(PbError::InvalidCommitSig { index: 0, reason }) => reason,
        other => panic!("{other:?}"),
    };
    let mut c = commit.clone();
    c.signatures[0].signature.clear();
    assert_eq!(reason(&c), "signature is missing");
    let mut c = commit.clone();
    c.signatures[0].signature.pop();
    assert_eq!(reason(&c), "signature must be 64 bytes (ed25519)");
    let mut c = commit.clone();
    c.signatures[0].validator_address.push(0);
    assert_eq!(reason(&c), "validator_address must be 20 bytes");
    // Absent entries carry nothing.
    let mut c = commit.clone();
    c.signatures[0].block_id_flag = 1;
    assert!(reason(&c).contains("must not have a validator_address"));
    c.signatures[0].validator_address.clear();
    assert!(reason(&c).contains("must not have a signature"));
    c.signatures[0].signature.clear();
    assert!(reason(&c).contains("zero time"));
    c.signatures[0].timestamp = pb::GO_ZERO_TIME;
    assert_eq!(
        Commit::<512>::try_from(&c).unwrap().signatures[0],
        CommitSig::Absent
    );
    // Nil votes keep their fields.
    let mut c = commit.clone();
    c.signatures[0].block_id_flag = 3;
    assert!(matches!(
        Commit::<512>::try_from(&c).unwrap().signatures[0],
        CommitSig::Nil { .. }
    ));
}

#[test]
fn unsupported_keys_are_errors() {
    let lb = first_block();
    let mut set = pb::ValidatorSet::from(&lb.validators);
    set.validators[2].pub_key = pb::PublicKey {
        sum: Some(pb::public_key::Sum::Secp256k1(vec![2; 33])),
    };
    let decoded: pb::ValidatorSet = pb::decode(&set.encode_to_vec()).unwrap();
    let e = ValidatorSet::<512>::try_from(&decoded).unwrap_err();
    match &e {
        PbError::At {
            field: "tendermint.types.ValidatorSet.validators",
            index: 2,
            error,
        } => assert_eq!(
            **error,
            PbError::UnsupportedKey {
                field: "tendermint.types.Validator.pub_key",
                kind: "secp256k1"
            }
        ),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("validators[2]"), "{e}");
    assert!(
        e.to_string()
            .contains("secp256k1 public keys are not supported"),
        "{e}"
    );

    // A key of another type (an unknown oneof field, here 4) decodes to no key.
    let mut v = pb::Validator::from(&lb.validators.validators()[0]);
    v.pub_key = pb::PublicKey { sum: None };
    let mut bytes = v.encode_to_vec();
    // pub_key is field 2: 12 00; append a field-2 key with an unknown variant 4 (22 01 00).
    bytes.extend_from_slice(&[0x12, 0x03, 0x22, 0x01, 0x00]);
    let decoded: pb::Validator = pb::decode(&bytes).unwrap();
    assert!(matches!(
        Validator::try_from(&decoded),
        Err(PbError::UnsupportedKey { .. })
    ));
    // A 33-byte ed25519 key.
    v.pub_key = pb::PublicKey {
        sum: Some(pb::public_key::Sum::Ed25519(vec![1; 33])),
    };
    assert!(matches!(
        Validator::try_from(&v),
        Err(PbError::InvalidLength { actual: 33, .. })
    ));
    assert!(PublicKey::try_from(&v.pub_key).is_err());
}

#[test]
fn validator_set_invariants() {
    let lb = first_block();
    let set = pb::ValidatorSet::from(&lb.validators);
    // Capacity.
    assert!(matches!(
        ValidatorSet::<2>::try_from(&set),
        Err(PbError::Invalid {
            error: Error::CapacityExceeded { .. },
            ..
        })
    ));
    // Duplicates.
    let mut dup = set.clone();
    dup.validators.push(dup.validators[0].clone());
    assert!(matches!(
        ValidatorSet::<512>::try_from(&dup),
        Err(PbError::Invalid {
            error: Error::DuplicateValidator { .. },
            ..
        })
    ));
    // An address not bound to its key.
    let mut wrong = set.clone();
    wrong.validators[1].address = wrong.validators[0].address.clone();
    assert!(matches!(
        ValidatorSet::<512>::try_from(&wrong),
        Err(PbError::At { index: 1, .. })
    ));
    // A malformed proposer.
    let mut bad = set.clone();
    bad.proposer.as_mut().unwrap().address.clear();
    assert!(matches!(
        ValidatorSet::<512>::try_from(&bad),
        Err(PbError::At {
            field: "tendermint.types.ValidatorSet.proposer",
            ..
        })
    ));
    // Unsorted input is sorted into CometBFT's order; the hash is the set's.
    let mut unsorted = set.clone();
    unsorted.validators.reverse();
    assert_eq!(
        ValidatorSet::<512>::try_from(&unsorted).unwrap(),
        lb.validators
    );
    // The empty set, as CometBFT writes it.
    let empty = ValidatorSet::<4>::new(&[]).unwrap();
    let msg = pb::ValidatorSet::from(&empty);
    assert!(msg.encode_to_vec().is_empty());
    assert_eq!(ValidatorSet::<4>::try_from(&msg).unwrap(), empty);
}

#[test]
fn proposer_choice_without_a_header() {
    // CometBFT's findProposer: highest proposer priority, ties to the lowest address.
    let lb = first_block();
    let vals = lb.validators.validators();
    let with_priority = |prios: [i64; 4]| {
        let vs: Vec<Validator> = vals
            .iter()
            .zip(prios)
            .map(|(v, p)| Validator::new(*v.address(), *v.pub_key(), v.power(), p).unwrap())
            .collect();
        ValidatorSet::<4>::new(&vs).unwrap()
    };
    let set = with_priority([0, 0, 0, 0]);
    let lowest = set.validators().iter().map(|v| *v.address()).min().unwrap();
    let msg = pb::ValidatorSet::from(&set);
    assert_eq!(msg.proposer.unwrap().address, lowest.0);
    let set = with_priority([-5, 7, 3, 7]);
    let msg = pb::ValidatorSet::from(&set);
    let tops: Vec<Address> = set
        .validators()
        .iter()
        .filter(|v| v.proposer_priority() == 7)
        .map(|v| *v.address())
        .collect();
    assert_eq!(msg.proposer.unwrap().address, tops.iter().min().unwrap().0);
    // A named proposer wins when it is in the set; otherwise the rule applies.
    let named = set.validators()[0].address();
    let msg = pb::ValidatorSet::from_set(&set, Some(named));
    assert_eq!(msg.proposer.unwrap().address, named.0);
    let msg = pb::ValidatorSet::from_set(&set, Some(&Address([9; 20])));
    assert_eq!(msg.proposer.unwrap().address, tops.iter().min().unwrap().0);
}

#[test]
fn any_type_urls_are_checked() {
    let cs = example_client_state();
    let any = cs.to_any();
    let e =
        pb::decode_any::<pb::ibc::ConsensusState>(&any, pb::CONSENSUS_STATE_TYPE_URL).unwrap_err();
    assert_eq!(
        e,
        PbError::UnexpectedTypeUrl {
            expected: "/ibc.lightclients.tendermint.v1.ConsensusState",
            actual: "/ibc.lightclients.tendermint.v1.ClientState".into()
        }
    );
    assert!(e.to_string().contains("expected"), "{e}");
    assert_eq!(
        pb::ibc::Misbehaviour::default().to_any().type_url,
        "/ibc.lightclients.tendermint.v1.Misbehaviour"
    );
    // A corrupted value is a decode error.
    let mut broken = any.clone();
    broken.value.truncate(broken.value.len() - 3);
    assert!(matches!(
        pb::decode_any::<pb::ibc::ClientState>(&broken, pb::CLIENT_STATE_TYPE_URL),
        Err(PbError::Decode(_))
    ));
}

#[test]
fn missing_parts_are_named() {
    let lb = first_block();
    let sh = pb::SignedHeader::from(&lb.signed_header);
    let mut no_commit = sh.clone();
    no_commit.commit = None;
    assert_eq!(
        SignedHeader::<512>::try_from(&no_commit).unwrap_err(),
        PbError::Missing {
            field: "tendermint.types.SignedHeader.commit"
        }
    );
    let mut no_header = sh.clone();
    no_header.header = None;
    assert_eq!(
        SignedHeader::<512>::try_from(&no_header).unwrap_err(),
        PbError::Missing {
            field: "tendermint.types.SignedHeader.header"
        }
    );
    let mut no_vals = pb::LightBlock::from(&lb);
    no_vals.validator_set = None;
    let next = pb::ValidatorSet::from(&lb.next_validators);
    assert_eq!(
        LightBlock::<512>::try_from((&no_vals, &next)).unwrap_err(),
        PbError::Missing {
            field: "tendermint.types.LightBlock.validator_set"
        }
    );
}
