//! Fork-accountability evidence with CometBFT's semantics (feature `alloc`): building
//! `LightClientAttackEvidence` from a detected fork and classifying the attack, and verifying
//! `DuplicateVoteEvidence` and `LightClientAttackEvidence` as a CometBFT node's evidence pool
//! does (`evidence/verify.go`) before it punishes anyone. Pure: the node's view (headers,
//! validator sets, latest block) is passed in.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;
use core::time::Duration;

use crate::block::{BlockId, CommitSig, Header, SignBytes, SignedHeader, VoteTemplate};
use crate::crypto::SignatureVerifier;
use crate::error::Error;
use crate::time::Time;
use crate::types::{Address, ChainId, Height, Signature, TrustThreshold};
use crate::validator::{Validator, ValidatorSet, MAX_VALIDATORS};
use crate::verify::{verify_commit, verify_commit_trusting, Options, VerificationError};

/// A signed vote (`tendermint.types.Vote`, without vote extensions, which are not signed
/// with the vote).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// `SignedMsgType`: 1 prevote, 2 precommit.
    pub vote_type: u64,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: u32,
    /// The block voted for (zero for nil).
    pub block_id: BlockId,
    /// Vote time.
    pub timestamp: Time,
    /// The voter.
    pub validator_address: Address,
    /// The voter's index in the set.
    pub validator_index: u32,
    /// Signature over the sign-bytes.
    pub signature: Signature,
}

impl Vote {
    /// CometBFT's `VoteSignBytes(chain_id, vote)`.
    pub fn sign_bytes(&self, chain_id: &ChainId) -> Result<SignBytes, Error> {
        VoteTemplate::new(
            self.vote_type,
            self.height.value() as i64,
            i64::from(self.round),
            Some(&self.block_id),
            chain_id.as_str(),
        )
        .sign_bytes(&self.timestamp)
    }
}

/// CometBFT's `BlockID.Key()` order: the hash bytes, then the encoded part-set header.
fn block_id_key_cmp(a: &BlockId, b: &BlockId) -> Ordering {
    let key = |id: &BlockId| {
        let mut k: Vec<u8> = Vec::from(id.hash.as_bytes());
        let mut psh = crate::proto::Buf::<48>::new();
        psh.uint_field(1, u64::from(id.part_set_header.total));
        psh.bytes_field(2, id.part_set_header.hash.as_bytes());
        k.extend_from_slice(psh.bytes().unwrap_or(&[]));
        k
    };
    key(a).cmp(&key(b))
}

/// `DuplicateVoteEvidence`: one validator signed two different blocks at one
/// height/round/type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateVoteEvidence {
    /// The vote whose block id sorts first.
    pub vote_a: Vote,
    /// The other vote.
    pub vote_b: Vote,
    /// Total power of the set at the height.
    pub total_voting_power: u64,
    /// The validator's power.
    pub validator_power: u64,
    /// Time of the block at the height.
    pub timestamp: Time,
}

/// `LightClientAttackEvidence`'s conflicting block: a signed header and the set that signed
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictingBlock<const N: usize = MAX_VALIDATORS> {
    /// The conflicting signed header.
    pub signed_header: SignedHeader<N>,
    /// The set that signed it.
    pub validator_set: ValidatorSet<N>,
}

/// `LightClientAttackEvidence`: a block that conflicts with the chain, signed by validators
/// who were trusted at the common height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LightClientAttackEvidence<const N: usize = MAX_VALIDATORS> {
    /// The conflicting block.
    pub conflicting_block: ConflictingBlock<N>,
    /// The last height both the chain and the attack agree on (the conflicting height itself
    /// for equivocation and amnesia).
    pub common_height: Height,
    /// The validators to blame, by voting power descending.
    pub byzantine_validators: Vec<Validator>,
    /// Total power of the set at the common height.
    pub total_voting_power: u64,
    /// Time of the block at the common height.
    pub timestamp: Time,
}

/// The form of a light-client attack, as CometBFT tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttackKind {
    /// The conflicting header could not come from a valid state transition.
    Lunatic,
    /// Validators signed two blocks in the same round.
    Equivocation,
    /// Validators signed in different rounds against their locks; they cannot be named.
    Amnesia,
}

/// Evidence as a node receives it.
// Held by value on purpose: an attack's conflicting block is large, and boxing it would only
// move the same bytes to the heap.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence<const N: usize = MAX_VALIDATORS> {
    /// A double sign.
    DuplicateVote(DuplicateVoteEvidence),
    /// A light-client attack.
    LightClientAttack(LightClientAttackEvidence<N>),
}

/// Why evidence is refused.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EvidenceError {
    /// Malformed evidence (`ValidateBasic`).
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The validator is not in the set at the evidence height.
    NotAValidator {
        /// The address.
        address: Address,
    },
    /// A power in the evidence differs from the node's validator set.
    PowerMismatch {
        /// Which power.
        what: &'static str,
        /// The evidence's value.
        evidence: u64,
        /// The node's value.
        expected: u64,
    },
    /// A vote's signature does not verify.
    InvalidVoteSignature {
        /// `"vote_a"` or `"vote_b"`.
        vote: &'static str,
    },
    /// The evidence time differs from the block time at its height.
    TimeMismatch {
        /// The evidence's time.
        evidence: Time,
        /// The block's time.
        block: Time,
    },
    /// The evidence is older than the chain's evidence parameters allow.
    Expired {
        /// Evidence height.
        height: Height,
        /// Evidence time.
        time: Time,
    },
    /// The node lacks the header or validator set the evidence refers to.
    MissingData {
        /// What is missing.
        what: &'static str,
        /// At what height.
        height: Height,
    },
    /// The conflicting block's commit does not verify.
    ConflictingCommit(VerificationError),
    /// The conflicting block was not signed by enough of the common validator set.
    NotEnoughCommonSigners(VerificationError),
    /// The conflicting block does not conflict, or conflicts in a way the evidence misstates.
    NotAnAttack {
        /// Why.
        reason: &'static str,
    },
    /// The byzantine validators listed are not the ones the attack implicates.
    WrongByzantineValidators {
        /// How many the evidence lists.
        listed: usize,
        /// How many the attack implicates.
        expected: usize,
    },
}

impl fmt::Display for EvidenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvidenceError::Malformed { reason } => write!(f, "malformed evidence: {reason}"),
            EvidenceError::NotAValidator { address } => {
                write!(f, "{address} was not a validator at the evidence height")
            }
            EvidenceError::PowerMismatch {
                what,
                evidence,
                expected,
            } => write!(
                f,
                "{what} from the evidence and our validator set do not match ({evidence} != {expected})"
            ),
            EvidenceError::InvalidVoteSignature { vote } => {
                write!(f, "{vote}: invalid signature")
            }
            EvidenceError::TimeMismatch { evidence, block } => write!(
                f,
                "evidence has a different time to the block it is associated with ({evidence} != {block})"
            ),
            EvidenceError::Expired { height, time } => write!(
                f,
                "evidence from height {height} (created at {time}) is too old"
            ),
            EvidenceError::MissingData { what, height } => {
                write!(f, "no {what} at height {height} to check the evidence against")
            }
            EvidenceError::ConflictingCommit(e) => {
                write!(f, "invalid commit from conflicting block: {e}")
            }
            EvidenceError::NotEnoughCommonSigners(e) => write!(
                f,
                "skipping verification of conflicting block failed: {e}"
            ),
            EvidenceError::NotAnAttack { reason } => write!(f, "not a light-client attack: {reason}"),
            EvidenceError::WrongByzantineValidators { listed, expected } => write!(
                f,
                "evidence lists {listed} byzantine validators, the attack implicates {expected} (or others)"
            ),
        }
    }
}

impl core::error::Error for EvidenceError {}

impl DuplicateVoteEvidence {
    /// CometBFT's `NewDuplicateVoteEvidence`: orders the votes by block id, takes the powers
    /// from the set at the votes' height and the time of the block at that height.
    pub fn new<const N: usize>(
        vote1: Vote,
        vote2: Vote,
        block_time: Time,
        validators: &ValidatorSet<N>,
    ) -> Result<Self, EvidenceError> {
        let (_, val) =
            validators
                .find(&vote1.validator_address)
                .ok_or(EvidenceError::NotAValidator {
                    address: vote1.validator_address,
                })?;
        let (vote_a, vote_b) =
            if block_id_key_cmp(&vote1.block_id, &vote2.block_id) == Ordering::Less {
                (vote1, vote2)
            } else {
                (vote2, vote1)
            };
        let ev = DuplicateVoteEvidence {
            vote_a,
            vote_b,
            total_voting_power: validators.total_power(),
            validator_power: val.power(),
            timestamp: block_time,
        };
        ev.validate_basic()?;
        Ok(ev)
    }

    /// CometBFT's `ValidateBasic`: well-formed votes in block-id order.
    pub fn validate_basic(&self) -> Result<(), EvidenceError> {
        let bad = |reason| Err(EvidenceError::Malformed { reason });
        for v in [&self.vote_a, &self.vote_b] {
            if !matches!(v.vote_type, 1 | 2) {
                return bad("vote type must be prevote or precommit");
            }
            if v.round > i32::MAX as u32 {
                return bad("vote round out of range");
            }
        }
        if block_id_key_cmp(&self.vote_a.block_id, &self.vote_b.block_id) != Ordering::Less {
            return bad("duplicate votes in invalid order");
        }
        Ok(())
    }

    /// The height of the votes.
    pub fn height(&self) -> Height {
        self.vote_a.height
    }
}

/// CometBFT's `VerifyDuplicateVote`: same height/round/type and validator, different block
/// ids, powers as in `validators` (the set at the votes' height), both signatures valid on
/// `chain_id`.
pub fn verify_duplicate_vote<V: SignatureVerifier, const N: usize>(
    backend: &V,
    ev: &DuplicateVoteEvidence,
    chain_id: &ChainId,
    validators: &ValidatorSet<N>,
) -> Result<(), EvidenceError> {
    ev.validate_basic()?;
    let (a, b) = (&ev.vote_a, &ev.vote_b);
    let (_, val) = validators
        .find(&a.validator_address)
        .ok_or(EvidenceError::NotAValidator {
            address: a.validator_address,
        })?;
    if a.height != b.height || a.round != b.round || a.vote_type != b.vote_type {
        return Err(EvidenceError::Malformed {
            reason: "height/round/type of the two votes differ",
        });
    }
    if a.validator_address != b.validator_address {
        return Err(EvidenceError::Malformed {
            reason: "the two votes are from different validators",
        });
    }
    if a.block_id == b.block_id {
        return Err(EvidenceError::Malformed {
            reason: "block ids are the same: not a real duplicate vote",
        });
    }
    if val.power() != ev.validator_power {
        return Err(EvidenceError::PowerMismatch {
            what: "validator power",
            evidence: ev.validator_power,
            expected: val.power(),
        });
    }
    if validators.total_power() != ev.total_voting_power {
        return Err(EvidenceError::PowerMismatch {
            what: "total voting power",
            evidence: ev.total_voting_power,
            expected: validators.total_power(),
        });
    }
    for (name, vote) in [("vote_a", a), ("vote_b", b)] {
        let msg = vote
            .sign_bytes(chain_id)
            .map_err(|_| EvidenceError::Malformed {
                reason: "vote cannot be encoded",
            })?;
        if !backend.verify(val.pub_key(), msg.as_bytes(), &vote.signature) {
            return Err(EvidenceError::InvalidVoteSignature { vote: name });
        }
    }
    Ok(())
}

/// CometBFT's `ConflictingHeaderIsInvalid`: the conflicting header disagrees with the
/// trusted one on a field a valid state transition fixes (lunatic attack).
pub fn conflicting_header_is_invalid(trusted: &Header, conflicting: &Header) -> bool {
    trusted.validators_hash != conflicting.validators_hash
        || trusted.next_validators_hash != conflicting.next_validators_hash
        || trusted.consensus_hash != conflicting.consensus_hash
        || trusted.app_hash != conflicting.app_hash
        || trusted.last_results_hash != conflicting.last_results_hash
}

impl<const N: usize> LightClientAttackEvidence<N> {
    /// CometBFT's `newLightClientAttackEvidence`: from the conflicting block, the trusted
    /// block at the same height and the common block (the last height both agree on).
    pub fn new(
        conflicting: ConflictingBlock<N>,
        trusted: &SignedHeader<N>,
        trusted_validators: &ValidatorSet<N>,
        common: &SignedHeader<N>,
        common_validators: &ValidatorSet<N>,
    ) -> Self {
        let lunatic =
            conflicting_header_is_invalid(&trusted.header, &conflicting.signed_header.header);
        let (common_height, timestamp, total_voting_power) = if lunatic {
            (
                common.header.height,
                common.header.time,
                common_validators.total_power(),
            )
        } else {
            (
                trusted.header.height,
                trusted.header.time,
                trusted_validators.total_power(),
            )
        };
        let mut ev = LightClientAttackEvidence {
            conflicting_block: conflicting,
            common_height,
            byzantine_validators: Vec::new(),
            total_voting_power,
            timestamp,
        };
        ev.byzantine_validators = ev.implicated_validators(common_validators, trusted);
        ev
    }

    /// The attack's form relative to the trusted header at the conflicting height.
    pub fn kind(&self, trusted: &SignedHeader<N>) -> AttackKind {
        if conflicting_header_is_invalid(
            &trusted.header,
            &self.conflicting_block.signed_header.header,
        ) {
            AttackKind::Lunatic
        } else if trusted.commit.round == self.conflicting_block.signed_header.commit.round {
            AttackKind::Equivocation
        } else {
            AttackKind::Amnesia
        }
    }

    /// CometBFT's `GetByzantineValidators`: lunatic, the common-set members who signed the
    /// conflicting block; equivocation, the validators who signed both blocks; amnesia, none.
    /// Ordered by voting power descending, then address.
    pub fn implicated_validators(
        &self,
        common_validators: &ValidatorSet<N>,
        trusted: &SignedHeader<N>,
    ) -> Vec<Validator> {
        let conflicting = &self.conflicting_block.signed_header.commit;
        let mut out: Vec<Validator> = Vec::new();
        match self.kind(trusted) {
            AttackKind::Lunatic => {
                for sig in conflicting.signatures.iter() {
                    if let CommitSig::Commit {
                        validator_address, ..
                    } = sig
                    {
                        if let Some((_, v)) = common_validators.find(validator_address) {
                            out.push(*v);
                        }
                    }
                }
            }
            AttackKind::Equivocation => {
                for (a, b) in conflicting
                    .signatures
                    .iter()
                    .zip(trusted.commit.signatures.iter())
                {
                    if let (
                        CommitSig::Commit {
                            validator_address, ..
                        },
                        CommitSig::Commit { .. },
                    ) = (a, b)
                    {
                        if let Some((_, v)) =
                            self.conflicting_block.validator_set.find(validator_address)
                        {
                            out.push(*v);
                        }
                    }
                }
            }
            AttackKind::Amnesia => {}
        }
        out.sort_by(|a, b| b.power().cmp(&a.power()).then(a.address().cmp(b.address())));
        out
    }

    /// The height the evidence is filed at (the common height).
    pub fn height(&self) -> Height {
        self.common_height
    }
}

/// CometBFT's `VerifyLightClientAttack` with `validateABCIEvidence`: checks `ev` against the
/// node's `common` header and validators (at `ev.common_height`) and its `trusted` header at
/// the conflicting height (for a forward lunatic attack beyond the node's head: its latest
/// header).
pub fn verify_light_client_attack<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    ev: &LightClientAttackEvidence<N>,
    common: &SignedHeader<N>,
    trusted: &SignedHeader<N>,
    common_validators: &ValidatorSet<N>,
) -> Result<(), EvidenceError> {
    let cb = &ev.conflicting_block;
    let conflicting = &cb.signed_header;
    let chain_id = &trusted.header.chain_id;
    if common.header.height != conflicting.header.height {
        // Lunatic: a single skipping step from the common set to the conflicting block.
        verify_commit_trusting(
            backend,
            chain_id,
            &conflicting.commit,
            common_validators,
            TrustThreshold::ONE_THIRD,
            &Options::default(),
        )
        .map_err(EvidenceError::NotEnoughCommonSigners)?;
    } else if conflicting_header_is_invalid(&trusted.header, &conflicting.header) {
        return Err(EvidenceError::NotAnAttack {
            reason: "common height is the conflicting height, so the conflicting block should be correctly derived, yet it is not",
        });
    }
    // 2/3+ of the conflicting set signed the conflicting header.
    crate::verify::commit_is_for_header(conflicting, crate::block::Encoding::Protobuf)
        .map_err(EvidenceError::ConflictingCommit)?;
    crate::verify::validator_sets_match(
        &conflicting.header,
        &cb.validator_set,
        None,
        crate::block::Encoding::Protobuf,
    )
    .map_err(EvidenceError::ConflictingCommit)?;
    verify_commit(
        backend,
        chain_id,
        &conflicting.commit,
        &cb.validator_set,
        &Options::default(),
    )
    .map_err(EvidenceError::ConflictingCommit)?;
    if ev.total_voting_power != common_validators.total_power() {
        return Err(EvidenceError::PowerMismatch {
            what: "total voting power",
            evidence: ev.total_voting_power,
            expected: common_validators.total_power(),
        });
    }
    if conflicting.header.height > trusted.header.height {
        // Forward lunatic attack: it must break time monotonicity.
        if conflicting.header.time > trusted.header.time {
            return Err(EvidenceError::NotAnAttack {
                reason: "conflicting block beyond the head does not violate monotonically increasing time",
            });
        }
    } else if trusted.header.hash() == conflicting.header.hash() {
        return Err(EvidenceError::NotAnAttack {
            reason: "the trusted header hash matches the conflicting header hash",
        });
    }
    let expected = ev.implicated_validators(common_validators, trusted);
    if expected.len() != ev.byzantine_validators.len() {
        return Err(EvidenceError::WrongByzantineValidators {
            listed: ev.byzantine_validators.len(),
            expected: expected.len(),
        });
    }
    for (e, l) in expected.iter().zip(ev.byzantine_validators.iter()) {
        if e.address() != l.address() || e.power() != l.power() {
            return Err(EvidenceError::WrongByzantineValidators {
                listed: ev.byzantine_validators.len(),
                expected: expected.len(),
            });
        }
    }
    Ok(())
}

/// The node's view that evidence is judged against (a CometBFT node's block store and state).
pub trait NodeView<const N: usize = MAX_VALIDATORS> {
    /// The chain id.
    fn chain_id(&self) -> &ChainId;
    /// The signed header at `height`, if the node has it.
    fn signed_header(&self, height: Height) -> Option<&SignedHeader<N>>;
    /// The validator set at `height`, if the node has it.
    fn validators(&self, height: Height) -> Option<&ValidatorSet<N>>;
    /// The node's latest height.
    fn latest_height(&self) -> Height;
    /// The time of the node's latest block (`state.LastBlockTime`).
    fn latest_time(&self) -> Time;
    /// `ConsensusParams.Evidence.MaxAgeDuration`.
    fn max_age_duration(&self) -> Duration;
    /// `ConsensusParams.Evidence.MaxAgeNumBlocks`.
    fn max_age_num_blocks(&self) -> u64;
}

/// The evidence pool's `verify`: the evidence is not expired, its time is the block time at
/// its height, and it verifies against the node's view.
pub fn verify_evidence<V: SignatureVerifier + Sync, const N: usize, S: NodeView<N>>(
    backend: &V,
    ev: &Evidence<N>,
    node: &S,
) -> Result<(), EvidenceError> {
    let (height, time) = match ev {
        Evidence::DuplicateVote(d) => (d.height(), d.timestamp),
        Evidence::LightClientAttack(l) => (l.common_height, l.timestamp),
    };
    let header = node
        .signed_header(height)
        .ok_or(EvidenceError::MissingData {
            what: "header",
            height,
        })?;
    if header.header.time != time {
        return Err(EvidenceError::TimeMismatch {
            evidence: time,
            block: header.header.time,
        });
    }
    let age_blocks = node.latest_height().value().saturating_sub(height.value());
    let age_time = node
        .latest_time()
        .checked_sub(node.max_age_duration())
        .is_some_and(|oldest| time < oldest);
    if age_time && age_blocks > node.max_age_num_blocks() {
        return Err(EvidenceError::Expired { height, time });
    }
    let validators = node.validators(height).ok_or(EvidenceError::MissingData {
        what: "validator set",
        height,
    })?;
    match ev {
        Evidence::DuplicateVote(d) => {
            verify_duplicate_vote(backend, d, node.chain_id(), validators)
        }
        Evidence::LightClientAttack(l) => {
            let conflicting_height = l.conflicting_block.signed_header.header.height;
            let trusted = if l.common_height != conflicting_height {
                match node.signed_header(conflicting_height) {
                    Some(t) => t,
                    None => {
                        // Forward lunatic attack: compare with the node's latest block.
                        let latest = node.latest_height();
                        let t = node
                            .signed_header(latest)
                            .ok_or(EvidenceError::MissingData {
                                what: "latest header",
                                height: latest,
                            })?;
                        if t.header.time < l.conflicting_block.signed_header.header.time {
                            return Err(EvidenceError::NotAnAttack {
                                reason: "latest block time is before the conflicting block time",
                            });
                        }
                        t
                    }
                }
            } else {
                header
            };
            verify_light_client_attack(backend, l, header, trusted, validators)
        }
    }
}
