//! Building CometBFT evidence from what the relayer saw, and rendering it as the JSON a
//! CometBFT v0.38 node takes (`broadcast_evidence`) and writes (`/block`'s
//! `evidence.evidence[]`), which `ferry evidence verify` reads.
//!
//! * [`duplicate_vote_evidence`]: two conflicting votes of one validator, as CometBFT's
//!   `types.NewDuplicateVoteEvidence` forms them (votes ordered by `BlockID.Key()`, powers from
//!   the set at the votes' height, the block time at that height).
//! * [`light_client_attack_evidence`]: a conflicting light block against the chain, as
//!   CometBFT's light client forms it (`light/detector.go`, `newLightClientAttackEvidence`):
//!   lunatic attacks are filed at the common height, equivocation and amnesia at the
//!   conflicting height; the byzantine validators are those CometBFT's
//!   `GetByzantineValidators` names.
//! * [`evidence_json`] and [`broadcast_evidence_params`]: CometBFT's JSON (`libs/json`): 64-bit
//!   integers as decimal strings, 32-bit ones as numbers, hashes and addresses as upper-case
//!   hex, keys and signatures as base64, times as RFC 3339 in UTC. `LightClientAttackEvidence`
//!   has no json tags in v0.38, so its fields go under their Go names (`ConflictingBlock`,
//!   `CommonHeight`, ...), as do `DuplicateVoteEvidence`'s `TotalVotingPower`,
//!   `ValidatorPower` and `Timestamp`.
//!
//! Building checks what makes evidence meaningless or malformed (votes that cannot conflict,
//! blocks of other chains, heights out of order, a block that does not conflict); it does not
//! judge the evidence: [`ferry_verifier::evidence::verify_evidence`] does, as a node would.

use std::cmp::Ordering;
use std::fmt;

use ferry_verifier::evidence::{
    ConflictingBlock, DuplicateVoteEvidence, Evidence, EvidenceError, LightClientAttackEvidence,
    Vote,
};
use ferry_verifier::{
    Address, BlockId, CommitSig, Hash, Height, LightBlock, SignedHeader, Time, Validator,
    ValidatorSet,
};
use serde_json::{json, Value};

/// Why evidence could not be built from the blocks or votes given.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BuildError {
    /// The two votes differ in height, round or type, so they cannot conflict.
    VotesDiffer {
        /// `height`, `round` or `type`.
        field: &'static str,
        /// The first vote's value.
        first: u64,
        /// The second vote's value.
        second: u64,
    },
    /// The two votes are signed by different validators.
    DifferentVoters {
        /// The first vote's validator.
        first: Address,
        /// The second vote's validator.
        second: Address,
    },
    /// Both votes are for the same block: that is not a double sign.
    SameBlock {
        /// The block both votes are for.
        block: Hash,
    },
    /// A vote CometBFT would refuse (`Vote.ValidateBasic`).
    InvalidVote {
        /// `first` or `second`.
        vote: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The voter is not in the validator set given for the votes' height.
    NotAValidator {
        /// The voter.
        address: Address,
        /// The votes' height.
        height: Height,
    },
    /// A light block is of another chain than the conflicting block.
    ChainMismatch {
        /// `common` or `trusted`.
        block: &'static str,
        /// The conflicting block's chain id.
        conflicting: String,
        /// That block's chain id.
        other: String,
    },
    /// The heights are out of order: `common <= trusted <= conflicting` is required.
    HeightOrder {
        /// The common block's height.
        common: Height,
        /// The trusted block's height.
        trusted: Height,
        /// The conflicting block's height.
        conflicting: Height,
    },
    /// The conflicting block is the trusted block: there is no attack to report.
    NoConflict {
        /// The height.
        height: Height,
        /// The header hash both have.
        hash: Hash,
    },
    /// A light block does not hold together (its commit is not for its header, or its
    /// validator set is not the one its header names).
    InconsistentBlock {
        /// `conflicting`, `trusted` or `common`.
        block: &'static str,
        /// Its height.
        height: Height,
        /// What does not match.
        reason: &'static str,
    },
    /// The verifier refused to form the evidence.
    Refused(Box<EvidenceError>),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::VotesDiffer {
                field,
                first,
                second,
            } => write!(
                f,
                "the votes differ in {field} ({first} vs {second}): only votes of the same \
                 height, round and type can conflict"
            ),
            BuildError::DifferentVoters { first, second } => write!(
                f,
                "the votes are from different validators ({first} vs {second}): a double sign \
                 is two votes of one validator"
            ),
            BuildError::SameBlock { block } => write!(
                f,
                "both votes are for block {block}: not a double sign (the block ids must differ)"
            ),
            BuildError::InvalidVote { vote, reason } => {
                write!(f, "the {vote} vote is invalid: {reason}")
            }
            BuildError::NotAValidator { address, height } => write!(
                f,
                "{address} is not in the validator set given for height {height}: pass the set \
                 that signed at the votes' height"
            ),
            BuildError::ChainMismatch {
                block,
                conflicting,
                other,
            } => write!(
                f,
                "the {block} block is of chain {other}, the conflicting block of {conflicting}: \
                 all three blocks must be of one chain"
            ),
            BuildError::HeightOrder {
                common,
                trusted,
                conflicting,
            } => write!(
                f,
                "heights out of order (common {common}, trusted {trusted}, conflicting \
                 {conflicting}): need common <= trusted <= conflicting"
            ),
            BuildError::NoConflict { height, hash } => write!(
                f,
                "the conflicting block at height {height} is the trusted one ({hash}): there is \
                 no attack to report"
            ),
            BuildError::InconsistentBlock {
                block,
                height,
                reason,
            } => write!(f, "the {block} light block at height {height}: {reason}"),
            BuildError::Refused(e) => write!(f, "evidence refused: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// What `Vote.ValidateBasic` requires of a vote that Ferry's types do not already ensure.
fn check_vote(vote: &Vote, which: &'static str) -> Result<(), BuildError> {
    let bad = |reason| {
        Err(BuildError::InvalidVote {
            vote: which,
            reason,
        })
    };
    if !matches!(vote.vote_type, 1 | 2) {
        return bad("its type must be 1 (prevote) or 2 (precommit)");
    }
    if vote.round > i32::MAX as u32 {
        return bad("its round is above 2^31 - 1");
    }
    let id = &vote.block_id;
    let complete = id.hash.as_bytes().len() == 32
        && id.part_set_header.total > 0
        && id.part_set_header.hash.as_bytes().len() == 32;
    if !id.is_zero() && !complete {
        return bad("its block id must be empty (nil) or complete (hash, parts total and hash)");
    }
    Ok(())
}

/// CometBFT's `NewDuplicateVoteEvidence`: evidence that one validator signed `vote1` and
/// `vote2`, two votes of the same height, round and type for different blocks.
///
/// `validators` is the set at the votes' height and `block_time` the time of the block at
/// that height (the node compares both with its own). The votes are ordered by block id as
/// CometBFT requires (`vote_a` the lower `BlockID.Key()`); their signatures are not checked
/// here ([`ferry_verifier::evidence::verify_duplicate_vote`] does that).
pub fn duplicate_vote_evidence<const N: usize>(
    vote1: Vote,
    vote2: Vote,
    validators: &ValidatorSet<N>,
    block_time: Time,
) -> Result<DuplicateVoteEvidence, BuildError> {
    check_vote(&vote1, "first")?;
    check_vote(&vote2, "second")?;
    let differ = |field, first: u64, second: u64| {
        if first == second {
            Ok(())
        } else {
            Err(BuildError::VotesDiffer {
                field,
                first,
                second,
            })
        }
    };
    differ("height", vote1.height.value(), vote2.height.value())?;
    differ("round", u64::from(vote1.round), u64::from(vote2.round))?;
    differ("type", vote1.vote_type, vote2.vote_type)?;
    if vote1.validator_address != vote2.validator_address {
        return Err(BuildError::DifferentVoters {
            first: vote1.validator_address,
            second: vote2.validator_address,
        });
    }
    if vote1.block_id == vote2.block_id {
        return Err(BuildError::SameBlock {
            block: vote1.block_id.hash,
        });
    }
    if validators.find(&vote1.validator_address).is_none() {
        return Err(BuildError::NotAValidator {
            address: vote1.validator_address,
            height: vote1.height,
        });
    }
    DuplicateVoteEvidence::new(vote1, vote2, block_time, validators)
        .map_err(|e| BuildError::Refused(Box::new(e)))
}

/// The commit of `sh` is for its header and `set` is the set its header names.
fn check_block<const N: usize>(
    sh: &SignedHeader<N>,
    set: &ValidatorSet<N>,
    block: &'static str,
) -> Result<(), BuildError> {
    let bad = |reason| {
        Err(BuildError::InconsistentBlock {
            block,
            height: sh.header.height,
            reason,
        })
    };
    if sh.commit.height != sh.header.height {
        return bad("its commit is for another height");
    }
    if sh.commit.block_id.hash != sh.header.hash() {
        return bad(
            "its commit is for another header (block id hash differs from the header hash)",
        );
    }
    if set.hash() != sh.header.validators_hash {
        return bad("its validator set does not hash to the header's validators_hash");
    }
    Ok(())
}

/// CometBFT's `newLightClientAttackEvidence` (`light/detector.go`): evidence that
/// `conflicting` (a block from the faulty source, verified by the light client) conflicts with
/// the chain, given the chain's `trusted` block at the conflicting height (or, for a forward
/// attack beyond the chain's head, its latest block) and `common`, the last block both agreed
/// on (where the light client's trace started).
///
/// When the conflicting header could not come from a valid state transition of the trusted
/// one (a lunatic attack: validators, next validators, consensus, app or results hash differ)
/// the evidence is filed at the common height, with the common block's time and the common
/// set's total power; otherwise (equivocation, or amnesia when the commit rounds differ) at
/// the trusted block's height, time and total power. The byzantine validators are those
/// CometBFT's `GetByzantineValidators` names: for a lunatic attack the common-set members
/// that signed the conflicting block; for equivocation the validators that signed both
/// blocks; for amnesia none.
pub fn light_client_attack_evidence<const N: usize>(
    conflicting: &LightBlock<N>,
    common: &LightBlock<N>,
    trusted: &LightBlock<N>,
) -> Result<LightClientAttackEvidence<N>, BuildError> {
    let chain = &conflicting.header().chain_id;
    for (block, b) in [("common", common), ("trusted", trusted)] {
        if &b.header().chain_id != chain {
            return Err(BuildError::ChainMismatch {
                block,
                conflicting: chain.to_string(),
                other: b.header().chain_id.to_string(),
            });
        }
    }
    let (c, t, x) = (common.height(), trusted.height(), conflicting.height());
    if c > t || t > x {
        return Err(BuildError::HeightOrder {
            common: c,
            trusted: t,
            conflicting: x,
        });
    }
    check_block(
        &conflicting.signed_header,
        &conflicting.validators,
        "conflicting",
    )?;
    check_block(&trusted.signed_header, &trusted.validators, "trusted")?;
    check_block(&common.signed_header, &common.validators, "common")?;
    let hash = conflicting.header().hash();
    if t == x && trusted.header().hash() == hash {
        return Err(BuildError::NoConflict { height: x, hash });
    }
    Ok(LightClientAttackEvidence::new(
        ConflictingBlock {
            signed_header: conflicting.signed_header.clone(),
            validator_set: conflicting.validators.clone(),
        },
        &trusted.signed_header,
        &trusted.validators,
        &common.signed_header,
        &common.validators,
    ))
}

// ---- JSON ------------------------------------------------------------------------------

/// Upper-case hex, as CometBFT's `HexBytes` (empty for no bytes).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    s
}

/// Standard base64 with padding, as Go's `encoding/json` writes `[]byte`.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A `BlockID`: `{hash, parts: {total, hash}}`.
pub fn block_id_json(id: &BlockId) -> Value {
    json!({
        "hash": hex(id.hash.as_bytes()),
        "parts": {
            "total": id.part_set_header.total,
            "hash": hex(id.part_set_header.hash.as_bytes()),
        },
    })
}

/// A `Vote` (without vote extensions, which are not part of the signed vote and which
/// CometBFT refuses on prevotes and nil precommits).
pub fn vote_json(v: &Vote) -> Value {
    json!({
        "type": v.vote_type,
        "height": v.height.value().to_string(),
        "round": v.round,
        "block_id": block_id_json(&v.block_id),
        "timestamp": v.timestamp.to_string(),
        "validator_address": hex(&v.validator_address.0),
        "validator_index": v.validator_index,
        "signature": base64(&v.signature.0),
        "extension": null,
        "extension_signature": null,
    })
}

/// A `SignedHeader`: `{header, commit}`, as `/commit` writes it.
pub fn signed_header_json<const N: usize>(sh: &SignedHeader<N>) -> Value {
    let h = &sh.header;
    let signatures: Vec<Value> = sh
        .commit
        .signatures
        .iter()
        .map(|s| match s {
            CommitSig::Absent => json!({
                "block_id_flag": 1,
                "validator_address": "",
                "timestamp": "0001-01-01T00:00:00Z",
                "signature": null,
            }),
            CommitSig::Commit {
                validator_address,
                timestamp,
                signature,
            }
            | CommitSig::Nil {
                validator_address,
                timestamp,
                signature,
            } => json!({
                "block_id_flag": s.flag(),
                "validator_address": hex(&validator_address.0),
                "timestamp": timestamp.to_string(),
                "signature": base64(&signature.0),
            }),
        })
        .collect();
    json!({
        "header": {
            "version": {
                "block": h.version.block.to_string(),
                "app": h.version.app.to_string(),
            },
            "chain_id": h.chain_id.as_str(),
            "height": h.height.value().to_string(),
            "time": h.time.to_string(),
            "last_block_id": block_id_json(&h.last_block_id),
            "last_commit_hash": hex(h.last_commit_hash.as_bytes()),
            "data_hash": hex(h.data_hash.as_bytes()),
            "validators_hash": hex(h.validators_hash.as_bytes()),
            "next_validators_hash": hex(h.next_validators_hash.as_bytes()),
            "consensus_hash": hex(h.consensus_hash.as_bytes()),
            "app_hash": hex(h.app_hash.as_bytes()),
            "last_results_hash": hex(h.last_results_hash.as_bytes()),
            "evidence_hash": hex(h.evidence_hash.as_bytes()),
            "proposer_address": hex(&h.proposer_address.0),
        },
        "commit": {
            "height": sh.commit.height.value().to_string(),
            "round": sh.commit.round,
            "block_id": block_id_json(&sh.commit.block_id),
            "signatures": signatures,
        },
    })
}

/// A `Validator`: `{address, pub_key: {type, value}, voting_power, proposer_priority}`.
pub fn validator_json(v: &Validator) -> Value {
    json!({
        "address": hex(&v.address().0),
        "pub_key": {"type": "tendermint/PubKeyEd25519", "value": base64(&v.pub_key().0)},
        "voting_power": v.power().to_string(),
        "proposer_priority": v.proposer_priority().to_string(),
    })
}

/// A `ValidatorSet`: `{validators, proposer}`. CometBFT requires a proposer that is in the
/// set (`ValidatorSet.ValidateBasic`) but does not check which one it is: this is `proposer`
/// when it is in the set, else the validator CometBFT would pick first (highest proposer
/// priority, then lowest address); `null` for an empty set.
pub fn validator_set_json<const N: usize>(
    set: &ValidatorSet<N>,
    proposer: Option<&Address>,
) -> Value {
    let vals = set.validators();
    let chosen = proposer
        .and_then(|a| set.find(a).map(|(_, v)| v))
        .or_else(|| {
            vals.iter().max_by(|a, b| {
                a.proposer_priority()
                    .cmp(&b.proposer_priority())
                    .then_with(|| b.address().cmp(a.address()))
            })
        });
    json!({
        "validators": vals.iter().map(validator_json).collect::<Vec<_>>(),
        "proposer": chosen.map_or(Value::Null, validator_json),
    })
}

/// A light block as `ferry verify` and `ferry evidence verify` read it:
/// `{signed_header, validator_set, next_validator_set}`.
pub fn light_block_json<const N: usize>(lb: &LightBlock<N>) -> Value {
    json!({
        "signed_header": signed_header_json(&lb.signed_header),
        "validator_set": validator_set_json(&lb.validators, Some(&lb.header().proposer_address)),
        "next_validator_set": validator_set_json(&lb.next_validators, None),
    })
}

/// The `value` of a `tendermint/DuplicateVoteEvidence`.
pub fn duplicate_vote_json(ev: &DuplicateVoteEvidence) -> Value {
    json!({
        "vote_a": vote_json(&ev.vote_a),
        "vote_b": vote_json(&ev.vote_b),
        "TotalVotingPower": ev.total_voting_power.to_string(),
        "ValidatorPower": ev.validator_power.to_string(),
        "Timestamp": ev.timestamp.to_string(),
    })
}

/// The `value` of a `tendermint/LightClientAttackEvidence`. An empty byzantine list (amnesia)
/// is written as `null`: a node that finds no byzantine validators refuses a non-nil list,
/// even an empty one (`validateABCIEvidence`).
pub fn light_client_attack_json<const N: usize>(ev: &LightClientAttackEvidence<N>) -> Value {
    let cb = &ev.conflicting_block;
    let byzantine = if ev.byzantine_validators.is_empty() {
        Value::Null
    } else {
        Value::Array(ev.byzantine_validators.iter().map(validator_json).collect())
    };
    json!({
        "ConflictingBlock": {
            "signed_header": signed_header_json(&cb.signed_header),
            "validator_set": validator_set_json(
                &cb.validator_set,
                Some(&cb.signed_header.header.proposer_address),
            ),
        },
        "CommonHeight": ev.common_height.value().to_string(),
        "ByzantineValidators": byzantine,
        "TotalVotingPower": ev.total_voting_power.to_string(),
        "Timestamp": ev.timestamp.to_string(),
    })
}

/// Evidence as CometBFT's JSON: `{"type": "tendermint/...Evidence", "value": {...}}`.
pub fn evidence_json<const N: usize>(ev: &Evidence<N>) -> Value {
    match ev {
        Evidence::DuplicateVote(d) => json!({
            "type": "tendermint/DuplicateVoteEvidence",
            "value": duplicate_vote_json(d),
        }),
        Evidence::LightClientAttack(l) => json!({
            "type": "tendermint/LightClientAttackEvidence",
            "value": light_client_attack_json(l),
        }),
    }
}

/// The `params` of a JSON-RPC `broadcast_evidence` call: `{"evidence": ...}`.
pub fn broadcast_evidence_params<const N: usize>(ev: &Evidence<N>) -> Value {
    json!({ "evidence": evidence_json(ev) })
}

/// Addresses in the order CometBFT lists byzantine validators (`ValidatorsByVotingPower`:
/// voting power descending, then address ascending).
pub fn by_power<'a>(validators: impl IntoIterator<Item = &'a Validator>) -> Vec<Address> {
    let mut v: Vec<&Validator> = validators.into_iter().collect();
    v.sort_by(|a, b| match b.power().cmp(&a.power()) {
        Ordering::Equal => a.address().cmp(b.address()),
        o => o,
    });
    v.into_iter().map(|v| *v.address()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_fixtures::{light_block_json as fixture_json, sign_vote, unsigned_vote, Chain};
    use ferry_verifier::evidence::{verify_duplicate_vote, verify_light_client_attack, AttackKind};
    use ferry_verifier::{ChainId, PartSetHeader, Zebra};

    fn chain_id() -> ChainId {
        ChainId::new("ev-chain").unwrap()
    }

    /// Two signed precommits of validator `key` at height 3 for blocks tagged `a` and `b`.
    fn votes(chain: &Chain, key: usize, a: u8, b: u8) -> (Vote, Vote) {
        let t = chain.block(3).header().time;
        let mut v1 = unsigned_vote(3, a, t);
        let mut v2 = unsigned_vote(3, b, t);
        sign_vote(&chain_id(), key, &mut v1);
        sign_vote(&chain_id(), key, &mut v2);
        (v1, v2)
    }

    #[test]
    fn base64_and_hex() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xFF; 4]), "/////w==");
        assert_eq!(hex(&[0x0A, 0xFF, 0x00]), "0AFF00");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn duplicate_votes_are_ordered_and_verify() {
        let chain = Chain::generate("ev-chain", 5, 4, 0);
        let lb = chain.block(3);
        let (v1, v2) = votes(&chain, 0, 9, 1);
        let ev = duplicate_vote_evidence(v1.clone(), v2.clone(), &lb.validators, lb.header().time)
            .unwrap();
        // Either order of arguments gives the same evidence, vote_a with the lower block id.
        let again = duplicate_vote_evidence(v2, v1, &lb.validators, lb.header().time).unwrap();
        assert_eq!(ev, again);
        assert!(ev.vote_a.block_id.hash.as_bytes() < ev.vote_b.block_id.hash.as_bytes());
        assert_eq!(ev.total_voting_power, lb.validators.total_power());
        assert_eq!(
            ev.validator_power,
            lb.validators
                .find(&ev.vote_a.validator_address)
                .unwrap()
                .1
                .power()
        );
        assert_eq!(ev.timestamp, lb.header().time);
        verify_duplicate_vote(&Zebra, &ev, &chain_id(), &lb.validators).unwrap();

        // The JSON reads back as the same evidence, and is what `ferry evidence verify` takes.
        let j = evidence_json(&Evidence::<4>::DuplicateVote(ev.clone()));
        assert_eq!(j["type"], "tendermint/DuplicateVoteEvidence");
        assert_eq!(
            j["value"]["TotalVotingPower"],
            ev.total_voting_power.to_string()
        );
        assert!(j["value"]["vote_a"]["height"].is_string());
        assert!(j["value"]["vote_a"]["round"].is_number());
        let back: Evidence<4> = serde_json::from_value(j.clone()).unwrap();
        assert_eq!(back, Evidence::DuplicateVote(ev.clone()));
        let parsed = crate::inspect::parse_evidence(j.to_string().as_bytes(), "e").unwrap();
        assert!(matches!(*parsed, Evidence::DuplicateVote(ref d) if *d == ev));
        assert_eq!(
            broadcast_evidence_params(&Evidence::<4>::DuplicateVote(ev))["evidence"],
            j
        );
    }

    #[test]
    fn votes_that_cannot_conflict_are_refused() {
        let chain = Chain::generate("ev-chain", 5, 4, 0);
        let lb = chain.block(3);
        let t = lb.header().time;
        let (v1, v2) = votes(&chain, 0, 1, 2);
        let build = |a: Vote, b: Vote| duplicate_vote_evidence(a, b, &lb.validators, t);

        let same = build(v1.clone(), v1.clone()).unwrap_err();
        assert!(matches!(same, BuildError::SameBlock { .. }), "{same}");
        assert!(same.to_string().contains("not a double sign"));

        let mut h = v2.clone();
        h.height = Height::new(4).unwrap();
        let e = build(v1.clone(), h).unwrap_err();
        assert_eq!(
            e,
            BuildError::VotesDiffer {
                field: "height",
                first: 3,
                second: 4
            }
        );
        let mut r = v2.clone();
        r.round = 1;
        assert!(matches!(
            build(v1.clone(), r).unwrap_err(),
            BuildError::VotesDiffer { field: "round", .. }
        ));
        let mut ty = v2.clone();
        ty.vote_type = 1;
        assert!(matches!(
            build(v1.clone(), ty).unwrap_err(),
            BuildError::VotesDiffer { field: "type", .. }
        ));
        let mut bad_type = v2.clone();
        bad_type.vote_type = 32;
        let e = build(v1.clone(), bad_type).unwrap_err();
        assert!(
            matches!(e, BuildError::InvalidVote { vote: "second", .. }),
            "{e}"
        );

        let (other, _) = votes(&chain, 1, 3, 4);
        let e = build(v1.clone(), other).unwrap_err();
        assert!(matches!(e, BuildError::DifferentVoters { .. }), "{e}");

        // A half-empty block id (hash without parts) is neither nil nor complete.
        let mut half = v2.clone();
        half.block_id.part_set_header = PartSetHeader::default();
        let e = build(v1.clone(), half).unwrap_err();
        assert!(e.to_string().contains("empty (nil) or complete"), "{e}");
        // A nil vote against a block vote is a double sign.
        let mut nil = v2.clone();
        nil.block_id = BlockId::default();
        assert!(build(v1.clone(), nil).is_ok());

        // A validator of another set.
        let (stranger, stranger2) = votes(&chain, 40, 1, 2);
        let e = build(stranger, stranger2).unwrap_err();
        assert!(matches!(e, BuildError::NotAValidator { .. }), "{e}");
        assert!(e.to_string().contains("height 3"), "{e}");
    }

    #[test]
    fn lunatic_attack_matches_cometbft() {
        let chain = Chain::generate("ev-chain", 10, 4, 0);
        let common = chain.block(2);
        let trusted = chain.block(6);
        let conflicting = chain.lunatic(6, 2);
        let ev = light_client_attack_evidence(&conflicting, common, trusted).unwrap();
        assert_eq!(ev.kind(&trusted.signed_header), AttackKind::Lunatic);
        // Filed at the common height, with its time and total power.
        assert_eq!(ev.common_height, common.height());
        assert_eq!(ev.timestamp, common.header().time);
        assert_eq!(ev.total_voting_power, common.validators.total_power());
        // The common-set members that signed the conflicting block, by power then address.
        let signers: Vec<&Validator> = conflicting
            .signed_header
            .commit
            .signatures
            .iter()
            .filter_map(|s| match s {
                CommitSig::Commit {
                    validator_address, ..
                } => common.validators.find(validator_address).map(|(_, v)| v),
                _ => None,
            })
            .collect();
        assert!(!signers.is_empty());
        let names: Vec<Address> = ev
            .byzantine_validators
            .iter()
            .map(|v| *v.address())
            .collect();
        assert_eq!(names, by_power(signers));
        verify_light_client_attack(
            &Zebra,
            &ev,
            &common.signed_header,
            &trusted.signed_header,
            &common.validators,
        )
        .unwrap();

        // The JSON: Go field names, integers as strings, a proposer in the set.
        let j = evidence_json(&Evidence::LightClientAttack(ev.clone()));
        let v = &j["value"];
        assert_eq!(j["type"], "tendermint/LightClientAttackEvidence");
        assert_eq!(v["CommonHeight"], "2");
        assert!(v["ConflictingBlock"]["validator_set"]["proposer"]["address"].is_string());
        assert!(v["ConflictingBlock"]["signed_header"]["commit"]["round"].is_number());
        let back: Evidence = serde_json::from_value(j.clone()).unwrap();
        assert_eq!(back, Evidence::LightClientAttack(ev));
    }

    #[test]
    fn equivocation_and_amnesia_match_cometbft() {
        let chain = Chain::generate("ev-chain", 10, 4, 0);
        let common = chain.block(2);
        let trusted = chain.block(5);
        // Same state transition, another block in the same round: equivocation.
        let fork = chain.fork(5, None, trusted.signed_header.commit.round);
        let ev = light_client_attack_evidence(&fork, common, trusted).unwrap();
        assert_eq!(ev.kind(&trusted.signed_header), AttackKind::Equivocation);
        assert_eq!(ev.common_height, trusted.height());
        assert_eq!(ev.timestamp, trusted.header().time);
        assert_eq!(ev.total_voting_power, trusted.validators.total_power());
        assert!(!ev.byzantine_validators.is_empty());
        verify_light_client_attack(
            &Zebra,
            &ev,
            &trusted.signed_header,
            &trusted.signed_header,
            &trusted.validators,
        )
        .unwrap();

        // Another round: amnesia, nobody named, and `null` in the JSON.
        let amnesia = chain.fork(5, None, trusted.signed_header.commit.round + 1);
        let ev = light_client_attack_evidence(&amnesia, common, trusted).unwrap();
        assert_eq!(ev.kind(&trusted.signed_header), AttackKind::Amnesia);
        assert!(ev.byzantine_validators.is_empty());
        let j = light_client_attack_json(&ev);
        assert!(j["ByzantineValidators"].is_null());
    }

    #[test]
    fn blocks_that_do_not_make_an_attack_are_refused() {
        let chain = Chain::generate("ev-chain", 10, 4, 0);
        let common = chain.block(2);
        let trusted = chain.block(6);
        let conflicting = chain.lunatic(6, 2);

        let e = light_client_attack_evidence(trusted, common, trusted).unwrap_err();
        assert!(matches!(e, BuildError::NoConflict { .. }), "{e}");

        let e = light_client_attack_evidence(&conflicting, trusted, common).unwrap_err();
        assert!(matches!(e, BuildError::HeightOrder { .. }), "{e}");
        assert!(e.to_string().contains("common <= trusted <= conflicting"));

        let other = Chain::generate("other-chain", 10, 4, 0);
        let e = light_client_attack_evidence(&conflicting, other.block(2), trusted).unwrap_err();
        assert!(
            matches!(
                e,
                BuildError::ChainMismatch {
                    block: "common",
                    ..
                }
            ),
            "{e}"
        );

        // A commit for another header.
        let mut broken = conflicting.clone();
        broken.signed_header.commit.block_id.hash = Hash::Sha256([7; 32]);
        let e = light_client_attack_evidence(&broken, common, trusted).unwrap_err();
        assert!(
            matches!(
                e,
                BuildError::InconsistentBlock {
                    block: "conflicting",
                    ..
                }
            ),
            "{e}"
        );
        // A validator set the header does not name.
        let mut wrong_set = conflicting.clone();
        wrong_set.validators = Chain::generate("ev-chain", 10, 3, 0)
            .block(6)
            .validators
            .clone();
        let e = light_client_attack_evidence(&wrong_set, common, trusted).unwrap_err();
        assert!(e.to_string().contains("validators_hash"), "{e}");
    }

    #[test]
    fn light_blocks_render_as_ferry_reads_them() {
        let chain = Chain::generate("ev-chain", 4, 5, 0);
        let lb = chain.block(3);
        let ours = light_block_json(lb);
        let back = crate::offline::parse_light_block(&ours.to_string(), "lb").unwrap();
        assert_eq!(*back, *lb);
        // The same fields as the fixtures' rendering (which leaves out the proposer).
        let theirs = fixture_json(lb);
        assert_eq!(ours["signed_header"], theirs["signed_header"]);
        assert_eq!(
            ours["validator_set"]["validators"],
            theirs["validator_set"]["validators"]
        );
        assert_eq!(
            ours["validator_set"]["proposer"]["address"],
            hex(&lb.header().proposer_address.0)
        );
    }
}
