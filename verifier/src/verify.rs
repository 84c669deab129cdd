//! Light-client verification: CometBFT's `light/verifier.go` and `types/validation.go` as
//! small named predicates, called in a visible order by [`verify`].

use core::fmt;
use core::time::Duration;

use crate::block::{
    Commit, CommitSig, Encoding, Header, LightBlock, SignBytes, SignedHeader, VoteTemplate,
};
use crate::crypto::{BatchVerifier, SignatureVerifier, Transcript};
use crate::time::Time;
use crate::types::{Address, ChainId, Hash, Height, Signature, TrustThreshold};
use crate::validator::{Validator, ValidatorSet, MAX_VALIDATORS};

/// Verification parameters, as CometBFT's light client takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Share of the trusted set's power that must sign a non-adjacent header (default 1/3).
    pub trust_threshold: TrustThreshold,
    /// How long a trusted header may be used (it expires at `time + trusting_period`).
    pub trusting_period: Duration,
    /// How far in the future (relative to `now`) an untrusted header's time may be.
    pub clock_drift: Duration,
    /// Check every commit signature, not just enough to reach the thresholds (CometBFT's
    /// `VerifyCommitLightAllSignatures`). Off by default, as in CometBFT's light client.
    pub verify_all_signatures: bool,
    /// Caller entropy mixed into the batch-verification coefficients (which are otherwise
    /// derived from the batch itself).
    pub batch_entropy: [u8; 32],
    /// The wire format of hashes and sign-bytes: protobuf (CometBFT), or amino for data from
    /// Tendermint v0.33 and earlier.
    pub encoding: Encoding,
    /// With `std`: spread signature checks over every core when at least
    /// [`PARALLEL_MIN_SIGNATURES`] must be checked. Ignored without `std`.
    pub parallel: bool,
}

/// Below this many signatures the parallel path is not worth its thread start-up (measured
/// with `cargo bench -p ferry-verifier` on two cores: no gain at 16 signatures, 1.0x-1.7x at
/// 69 to 138).
pub const PARALLEL_MIN_SIGNATURES: usize = 48;

impl Default for Options {
    fn default() -> Self {
        Options {
            trust_threshold: TrustThreshold::ONE_THIRD,
            trusting_period: Duration::from_secs(14 * 24 * 3600),
            clock_drift: Duration::from_secs(10),
            verify_all_signatures: false,
            batch_entropy: [0; 32],
            encoding: Encoding::Protobuf,
            parallel: false,
        }
    }
}

/// What the caller trusts: the fields of a verified header that verification needs, and the
/// validator set that signs the block after it.
#[derive(Clone, Copy, Debug)]
pub struct TrustedState<'a, const N: usize = MAX_VALIDATORS> {
    /// Chain id of the trusted header.
    pub chain_id: &'a ChainId,
    /// Its height.
    pub height: Height,
    /// Its time.
    pub time: Time,
    /// Its `next_validators_hash`.
    pub next_validators_hash: Hash,
    /// The validator set with that hash.
    pub next_validators: &'a ValidatorSet<N>,
}

impl<'a, const N: usize> TrustedState<'a, N> {
    /// The trusted state a verified light block gives.
    pub fn from_light_block(block: &'a LightBlock<N>) -> Self {
        let h = &block.signed_header.header;
        TrustedState {
            chain_id: &h.chain_id,
            height: h.height,
            time: h.time,
            next_validators_hash: h.next_validators_hash,
            next_validators: &block.next_validators,
        }
    }
}

/// Voting power counted towards a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VotingPowerTally {
    /// Total power of the set.
    pub total: u64,
    /// Power of the validators that signed for the block.
    pub tallied: u64,
    /// The threshold that `tallied` had to exceed as a share of `total`.
    pub trust_threshold: TrustThreshold,
}

impl fmt::Display for VotingPowerTally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} voting power signed; more than {} ({}) is needed",
            self.tallied,
            self.total,
            self.trust_threshold.needed(self.total),
            self.trust_threshold
        )
    }
}

/// The outcome of verifying an untrusted light block against a trusted state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The block is final on the chain.
    Success,
    /// The block may be valid, but too little of the trusted set signed it to tell: verify
    /// an intermediate height first (bisection).
    NotEnoughTrust(VotingPowerTally),
    /// The block is invalid for the reason given.
    Invalid(VerificationError),
}

/// Why a light block failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationError {
    /// The untrusted header is for another chain.
    ChainIdMismatch {
        /// Trusted chain id.
        trusted: ChainId,
        /// Chain id in the untrusted header.
        untrusted: ChainId,
    },
    /// The header has no validators hash, so it has no hash at all.
    MissingValidatorsHash,
    /// The commit is for another height than the header.
    CommitHeightMismatch {
        /// Header height.
        header: Height,
        /// Commit height.
        commit: Height,
    },
    /// The commit is for another block than this header.
    CommitBlockIdMismatch {
        /// Hash of the header.
        header_hash: Hash,
        /// Block hash the commit signs.
        commit_hash: Hash,
    },
    /// The trusted header is older than the trusting period.
    TrustedStateExpired {
        /// When it expired (`time + trusting_period`).
        expired_at: Time,
        /// The `now` given.
        now: Time,
    },
    /// The untrusted header is not above the trusted height.
    NonIncreasingHeight {
        /// Trusted height.
        trusted: Height,
        /// Untrusted height.
        untrusted: Height,
    },
    /// The untrusted header is not later than the trusted one.
    NonIncreasingTime {
        /// Trusted time.
        trusted: Time,
        /// Untrusted time.
        untrusted: Time,
    },
    /// The untrusted header's time is at or beyond `now + clock_drift`.
    HeaderFromFuture {
        /// Header time.
        header_time: Time,
        /// The `now` given.
        now: Time,
        /// The drift allowed.
        clock_drift: Duration,
    },
    /// The validator set supplied does not hash to `validators_hash`.
    ValidatorsHashMismatch {
        /// Hash in the header.
        header: Hash,
        /// Hash of the set supplied.
        supplied: Hash,
    },
    /// The next validator set supplied does not hash to `next_validators_hash`.
    NextValidatorsHashMismatch {
        /// Hash in the header.
        header: Hash,
        /// Hash of the set supplied.
        supplied: Hash,
    },
    /// The trusted state's validator set does not hash to its `next_validators_hash`.
    TrustedValidatorsHashMismatch {
        /// Hash the trusted state records.
        trusted: Hash,
        /// Hash of the set supplied with it.
        supplied: Hash,
    },
    /// Adjacent block whose validators are not the trusted header's next validators.
    AdjacentValidatorsMismatch {
        /// Trusted `next_validators_hash`.
        trusted_next: Hash,
        /// Untrusted `validators_hash`.
        untrusted: Hash,
    },
    /// The commit has a different number of entries than the validator set.
    CommitSignatureCountMismatch {
        /// Validators in the set.
        validators: usize,
        /// Entries in the commit.
        signatures: usize,
    },
    /// A commit entry names another validator than the one at its position in the set.
    CommitAddressMismatch {
        /// Position in the commit.
        index: usize,
        /// The set's validator at that position.
        expected: Address,
        /// The address in the commit.
        actual: Address,
    },
    /// A trusted validator and an untrusted one share an address but not a key.
    TrustedKeyMismatch {
        /// The address.
        address: Address,
    },
    /// One validator is counted twice in a commit (CometBFT's "double vote").
    DoubleVote {
        /// The validator.
        address: Address,
        /// First commit position.
        first: usize,
        /// Second commit position.
        second: usize,
    },
    /// Not more than 2/3 of the signing set's power signed the block.
    InsufficientSignedPower(VotingPowerTally),
    /// Not more than the trust threshold of a trusted set's power signed the block.
    InsufficientTrustedPower(VotingPowerTally),
    /// A signature that had to be counted does not verify.
    InvalidSignature {
        /// Position in the commit.
        index: usize,
        /// The validator.
        address: Address,
    },
    /// A vote could not be encoded (cannot happen for well-formed types).
    Encoding,
    /// The batch failed but every signature verified alone: a signature backend bug.
    BatchDisagreement,
}

impl fmt::Display for VerificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use VerificationError as E;
        match self {
            E::ChainIdMismatch { trusted, untrusted } => write!(
                f,
                "header is for chain {untrusted:?}, but the trusted chain is {trusted:?}"
            ),
            E::MissingValidatorsHash => f.write_str("header has an empty validators_hash"),
            E::CommitHeightMismatch { header, commit } => {
                write!(f, "commit is for height {commit}, header is at height {header}")
            }
            E::CommitBlockIdMismatch {
                header_hash,
                commit_hash,
            } => write!(
                f,
                "commit signs block {commit_hash}, but the header hashes to {header_hash}"
            ),
            E::TrustedStateExpired { expired_at, now } => write!(
                f,
                "trusted header expired at {expired_at} (now {now}); re-establish trust"
            ),
            E::NonIncreasingHeight { trusted, untrusted } => write!(
                f,
                "untrusted height {untrusted} is not above trusted height {trusted}"
            ),
            E::NonIncreasingTime { trusted, untrusted } => write!(
                f,
                "untrusted header time {untrusted} is not after trusted header time {trusted}"
            ),
            E::HeaderFromFuture {
                header_time,
                now,
                clock_drift,
            } => write!(
                f,
                "header time {header_time} is not before now ({now}) + clock drift ({}s)",
                clock_drift.as_secs_f64()
            ),
            E::ValidatorsHashMismatch { header, supplied } => write!(
                f,
                "validator set hashes to {supplied}, header says validators_hash {header}"
            ),
            E::NextValidatorsHashMismatch { header, supplied } => write!(
                f,
                "next validator set hashes to {supplied}, header says next_validators_hash {header}"
            ),
            E::TrustedValidatorsHashMismatch { trusted, supplied } => write!(
                f,
                "trusted validator set hashes to {supplied}, trusted state records {trusted}"
            ),
            E::AdjacentValidatorsMismatch {
                trusted_next,
                untrusted,
            } => write!(
                f,
                "adjacent header's validators_hash {untrusted} is not the trusted next_validators_hash {trusted_next}"
            ),
            E::CommitSignatureCountMismatch {
                validators,
                signatures,
            } => write!(
                f,
                "commit has {signatures} signatures for a set of {validators} validators"
            ),
            E::CommitAddressMismatch {
                index,
                expected,
                actual,
            } => write!(
                f,
                "commit signature #{index} is from {actual}, but validator #{index} is {expected}"
            ),
            E::TrustedKeyMismatch { address } => write!(
                f,
                "validator {address} has different keys in the trusted and untrusted sets"
            ),
            E::DoubleVote {
                address,
                first,
                second,
            } => write!(
                f,
                "validator {address} is counted twice (commit signatures #{first} and #{second})"
            ),
            E::InsufficientSignedPower(t) => write!(f, "commit lacks 2/3+ of the signing power: {t}"),
            E::InsufficientTrustedPower(t) => {
                write!(f, "too little of the trusted validators signed: {t}")
            }
            E::InvalidSignature { index, address } => write!(
                f,
                "commit signature #{index} by {address} does not verify"
            ),
            E::Encoding => f.write_str("vote sign-bytes could not be encoded"),
            E::BatchDisagreement => f.write_str(
                "batch verification failed but each signature verified alone (backend bug)",
            ),
        }
    }
}

impl core::error::Error for VerificationError {}

type Check = Result<(), VerificationError>;

/// Chain ids of the trusted and untrusted headers are equal (the check whose absence allowed
/// cross-chain replay in early light clients).
pub fn chain_ids_match(trusted: &ChainId, untrusted: &ChainId) -> Check {
    if trusted != untrusted {
        return Err(VerificationError::ChainIdMismatch {
            trusted: trusted.clone(),
            untrusted: untrusted.clone(),
        });
    }
    Ok(())
}

/// The header has a validators hash (CometBFT's `Header.Hash` is nil without one).
///
/// The block protocol version is not checked: it is covered by the signatures, and the
/// conformance vectors of older Tendermint versions carry version 0.
pub fn header_has_validators_hash(validators_hash: &Hash) -> Check {
    if validators_hash.is_empty() {
        return Err(VerificationError::MissingValidatorsHash);
    }
    Ok(())
}

/// `SignedHeader.ValidateBasic`: the commit is for this header's height and hash.
pub fn commit_is_for_header<const N: usize>(
    signed_header: &SignedHeader<N>,
    encoding: Encoding,
) -> Check {
    let header = &signed_header.header;
    let commit = &signed_header.commit;
    if header.height != commit.height {
        return Err(VerificationError::CommitHeightMismatch {
            header: header.height,
            commit: commit.height,
        });
    }
    let header_hash = header.hash_with(encoding);
    if header_hash != commit.block_id.hash {
        return Err(VerificationError::CommitBlockIdMismatch {
            header_hash,
            commit_hash: commit.block_id.hash,
        });
    }
    Ok(())
}

/// `HeaderExpired`: the trusted header is still within the trusting period at `now`.
pub fn is_within_trusting_period(trusted_time: Time, period: Duration, now: Time) -> Check {
    // An expiry beyond year 9999 never comes.
    match trusted_time.checked_add(period) {
        Some(expired_at) if expired_at <= now => {
            Err(VerificationError::TrustedStateExpired { expired_at, now })
        }
        _ => Ok(()),
    }
}

/// Heights strictly increase.
pub fn height_increases(trusted: Height, untrusted: Height) -> Check {
    if untrusted <= trusted {
        return Err(VerificationError::NonIncreasingHeight { trusted, untrusted });
    }
    Ok(())
}

/// BFT time strictly increases.
pub fn time_increases(trusted: Time, untrusted: Time) -> Check {
    if untrusted <= trusted {
        return Err(VerificationError::NonIncreasingTime { trusted, untrusted });
    }
    Ok(())
}

/// The untrusted header's time is before `now + clock_drift`.
pub fn header_not_from_future(header_time: Time, clock_drift: Duration, now: Time) -> Check {
    let limit_reached = match now.checked_add(clock_drift) {
        Some(limit) => header_time >= limit,
        None => false,
    };
    if limit_reached {
        return Err(VerificationError::HeaderFromFuture {
            header_time,
            now,
            clock_drift,
        });
    }
    Ok(())
}

/// The supplied validator sets hash to the header's `validators_hash` and
/// `next_validators_hash`.
/// The next set is optional: an IBC header carries none.
pub fn validator_sets_match<const N: usize>(
    header: &Header,
    validators: &ValidatorSet<N>,
    next_validators: Option<&ValidatorSet<N>>,
    encoding: Encoding,
) -> Check {
    let supplied = validators.hash_with(encoding);
    if supplied != header.validators_hash {
        return Err(VerificationError::ValidatorsHashMismatch {
            header: header.validators_hash,
            supplied,
        });
    }
    let Some(next_validators) = next_validators else {
        return Ok(());
    };
    let supplied = next_validators.hash_with(encoding);
    if supplied != header.next_validators_hash {
        return Err(VerificationError::NextValidatorsHashMismatch {
            header: header.next_validators_hash,
            supplied,
        });
    }
    Ok(())
}

/// Adjacent verification: the untrusted validators are the trusted header's next validators.
pub fn adjacent_validators_match(trusted_next: &Hash, untrusted: &Hash) -> Check {
    if trusted_next != untrusted {
        return Err(VerificationError::AdjacentValidatorsMismatch {
            trusted_next: *trusted_next,
            untrusted: *untrusted,
        });
    }
    Ok(())
}

/// The trusted validator set is the one the trusted state's hash names.
pub fn trusted_validators_match<const N: usize>(
    trusted: &TrustedState<'_, N>,
    encoding: Encoding,
) -> Check {
    let supplied = trusted.next_validators.hash_with(encoding);
    if supplied != trusted.next_validators_hash {
        return Err(VerificationError::TrustedValidatorsHashMismatch {
            trusted: trusted.next_validators_hash,
            supplied,
        });
    }
    Ok(())
}

/// `verifyBasicValsAndCommit` plus address binding: one entry per validator, and each vote
/// for the block names the validator at its position (so a signature is only ever checked
/// against the key of the validator it is counted for).
pub fn commit_matches_validators<const N: usize>(
    commit: &Commit<N>,
    validators: &ValidatorSet<N>,
) -> Check {
    if commit.signatures.len() != validators.len() {
        return Err(VerificationError::CommitSignatureCountMismatch {
            validators: validators.len(),
            signatures: commit.signatures.len(),
        });
    }
    for (index, (sig, val)) in commit
        .signatures
        .iter()
        .zip(validators.validators())
        .enumerate()
    {
        if let CommitSig::Commit {
            validator_address, ..
        } = sig
        {
            if validator_address != val.address() {
                return Err(VerificationError::CommitAddressMismatch {
                    index,
                    expected: *val.address(),
                    actual: *validator_address,
                });
            }
        }
    }
    Ok(())
}

/// The commit signatures chosen for checking, by position.
pub(crate) struct Selection<const N: usize> {
    chosen: [bool; N],
    count: usize,
}

impl<const N: usize> Selection<N> {
    fn new() -> Self {
        Selection {
            chosen: [false; N],
            count: 0,
        }
    }

    fn choose(&mut self, i: usize) {
        if let Some(c) = self.chosen.get_mut(i) {
            if !*c {
                *c = true;
                self.count = self.count.saturating_add(1);
            }
        }
    }

    fn is_chosen(&self, i: usize) -> bool {
        self.chosen.get(i).copied().unwrap_or(false)
    }

    /// Number of signatures chosen.
    pub(crate) fn count(&self) -> usize {
        self.count
    }
}

/// Tallies the signing set's power of votes for the block, in commit order, choosing each
/// counted signature, until more than 2/3 is reached (or through the whole commit when
/// `all`). Returns the tally; the caller decides (after the trust check, as CometBFT orders
/// its verdicts).
fn tally_two_thirds<const N: usize>(
    commit: &Commit<N>,
    validators: &ValidatorSet<N>,
    all: bool,
    selection: &mut Selection<N>,
) -> VotingPowerTally {
    let threshold = TrustThreshold::TWO_THIRDS;
    let needed = threshold.needed(validators.total_power());
    let mut tallied: u64 = 0;
    for (i, (sig, val)) in commit
        .signatures
        .iter()
        .zip(validators.validators())
        .enumerate()
    {
        if !matches!(sig, CommitSig::Commit { .. }) {
            continue; // absent and nil votes are neither checked nor counted
        }
        selection.choose(i);
        // Bounded by the set's total power (<= i64::MAX / 8): cannot overflow.
        tallied = tallied.saturating_add(val.power());
        if !all && tallied > needed {
            break;
        }
    }
    VotingPowerTally {
        total: validators.total_power(),
        tallied,
        trust_threshold: threshold,
    }
}

/// `VerifyCommitLightTrusting`'s tally: power of the *trusted* set whose members signed the
/// untrusted commit for its block, matched by address, each counted once. Signatures already
/// chosen count first, then further ones in commit order, until the threshold is exceeded.
/// Each signature counted is chosen in `selection` and recorded in `counted`.
fn tally_trusted<const N: usize>(
    commit: &Commit<N>,
    untrusted_validators: &ValidatorSet<N>,
    trusted: &ValidatorSet<N>,
    threshold: TrustThreshold,
    all: bool,
    selection: &mut Selection<N>,
    counted: &mut Selection<N>,
) -> Result<Result<(), VotingPowerTally>, VerificationError> {
    let needed = threshold.needed(trusted.total_power());
    let mut seen: [Option<u16>; N] = [None; N];
    let mut tallied: u64 = 0;
    // Pass 0 counts signatures already chosen; pass 1 adds others in commit order.
    for pass in 0..2 {
        for (i, (sig, val)) in commit
            .signatures
            .iter()
            .zip(untrusted_validators.validators())
            .enumerate()
        {
            let CommitSig::Commit {
                validator_address, ..
            } = sig
            else {
                continue;
            };
            if (pass == 0) != selection.is_chosen(i) {
                continue;
            }
            let Some((ti, tv)) = trusted.find(validator_address) else {
                continue;
            };
            if tv.pub_key() != val.pub_key() {
                return Err(VerificationError::TrustedKeyMismatch {
                    address: *validator_address,
                });
            }
            if let Some(slot) = seen.get_mut(ti) {
                if let Some(first) = slot {
                    return Err(VerificationError::DoubleVote {
                        address: *validator_address,
                        first: usize::from(*first),
                        second: i,
                    });
                }
                *slot = u16::try_from(i).ok();
            }
            selection.choose(i);
            counted.choose(i);
            tallied = tallied.saturating_add(tv.power());
            if !all && tallied > needed {
                return Ok(Ok(()));
            }
        }
    }
    if tallied > needed {
        return Ok(Ok(()));
    }
    Ok(Err(VotingPowerTally {
        total: trusted.total_power(),
        tallied,
        trust_threshold: threshold,
    }))
}

/// Checks the signatures at the given commit positions, each against the given validator's
/// key (votes for the block only): one batch when the
/// backend can batch and more than one is given, otherwise one at a time. On batch failure
/// each is re-checked alone to name the first bad one.
fn verify_signers<'v, V: SignatureVerifier, const N: usize, I>(
    backend: &V,
    commit: &Commit<N>,
    template: &VoteTemplate,
    signers: I,
    count: usize,
    entropy: &[u8; 32],
) -> Check
where
    I: Iterator<Item = (usize, &'v Validator)> + Clone,
{
    // Each item: (position, validator, sign-bytes, signature).
    let items = signers.filter_map(|(i, val)| match commit.signatures.get(i)? {
        CommitSig::Commit {
            timestamp,
            signature,
            ..
        } => Some((i, val, template.sign_bytes(timestamp), signature)),
        _ => None,
    });
    type Item<'a> = (
        usize,
        &'a Validator,
        Result<SignBytes, crate::Error>,
        &'a Signature,
    );
    let single = |(i, val, msg, sig): Item<'_>| -> Check {
        let msg = msg.map_err(|_| VerificationError::Encoding)?;
        let bytes = msg.as_bytes();
        if backend.verify(val.pub_key(), bytes, sig) {
            Ok(())
        } else {
            Err(VerificationError::InvalidSignature {
                index: i,
                address: *val.address(),
            })
        }
    };
    let batch = if count > 1 {
        backend.batch(count)
    } else {
        None
    };
    let Some(mut batch) = batch else {
        return items.into_iter().try_for_each(single);
    };
    let mut transcript = Transcript::new(entropy);
    for (_, val, msg, sig) in items.clone() {
        let msg = msg.map_err(|_| VerificationError::Encoding)?;
        let bytes = msg.as_bytes();
        transcript.append(val.pub_key(), bytes, sig);
        batch.queue(val.pub_key(), bytes, sig);
    }
    if batch.verify(&mut transcript.rng()) {
        return Ok(());
    }
    items.into_iter().try_for_each(single)?;
    // ZIP-215 makes batch and single verification agree, so some single check above failed;
    // reaching here would be a backend bug. Refuse rather than accept.
    Err(VerificationError::BatchDisagreement)
}

/// Checks every chosen signature, on every core when `options.parallel` (with `std`) and
/// enough are chosen.
fn verify_chosen<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    commit: &Commit<N>,
    validators: &ValidatorSet<N>,
    chain_id: &ChainId,
    selection: &Selection<N>,
    options: &Options,
) -> Check {
    let template = commit.vote_template_with(options.encoding, chain_id.as_str());
    let chosen = validators
        .validators()
        .iter()
        .enumerate()
        .filter(|(i, _)| selection.is_chosen(*i));
    #[cfg(feature = "std")]
    if options.parallel && selection.count() >= PARALLEL_MIN_SIGNATURES {
        extern crate std;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 16);
        if threads > 1 {
            let per = selection.count().div_ceil(threads);
            let template = &template;
            let run = |t: usize| {
                let part = chosen.clone().skip(t.saturating_mul(per)).take(per);
                verify_signers(backend, commit, template, part, per, &options.batch_entropy)
            };
            // Parts are claimed, not assigned: a thread that starts late (the other cores
            // busy) finds its part already done by this one, so a verification never waits
            // for a thread that has not started; at worst it costs the thread's start-up.
            let next = core::sync::atomic::AtomicUsize::new(0);
            let work = || {
                let mut done: heapless::Vec<(usize, Check), 16> = heapless::Vec::new();
                loop {
                    let t = next.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                    if t >= threads {
                        return done;
                    }
                    // At most `threads` (<= 16) parts: the push cannot fail.
                    let _ = done.push((t, run(t)));
                }
            };
            return std::thread::scope(|s| {
                let spawned: heapless::Vec<_, 16> = (1..threads)
                    .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
                    .collect();
                let mut done = work();
                for handle in spawned {
                    match handle.join() {
                        Ok(theirs) => done.extend(theirs),
                        // A panicking check is a bug: refuse rather than accept.
                        Err(_) => return Err(VerificationError::BatchDisagreement),
                    }
                }
                // The first failing part in commit order names the first bad signature, as
                // the sequential path would.
                done.sort_unstable_by_key(|(t, _)| *t);
                done.into_iter()
                    .map(|(_, r)| r)
                    .find(Result::is_err)
                    .unwrap_or(Ok(()))
            });
        }
    }
    verify_signers(
        backend,
        commit,
        &template,
        chosen,
        selection.count(),
        &options.batch_entropy,
    )
}

/// Verifies that more than 2/3 of `validators`' power signed `commit` for its block, as
/// CometBFT's `VerifyCommitLight` (`options.verify_all_signatures`: `...AllSignatures`).
pub fn verify_commit<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    chain_id: &ChainId,
    commit: &Commit<N>,
    validators: &ValidatorSet<N>,
    options: &Options,
) -> Result<VotingPowerTally, VerificationError> {
    match check_commit(backend, chain_id, commit, validators, None, options)? {
        CommitOutcome::Signed(tally) => Ok(tally),
        // Only a trusted set gives this outcome; none is given here.
        CommitOutcome::NotEnoughTrust(tally) => {
            Err(VerificationError::InsufficientTrustedPower(tally))
        }
    }
}

/// CometBFT's `batchVerifyThreshold`: a commit with fewer entries takes CometBFT's single
/// path (`verifyCommitSingle`), where each signature is verified as it is counted, so a bad
/// signature is an error even where the tally would fall short. From this many entries up,
/// the tally comes first and no signature is verified when it falls short.
pub const BATCH_VERIFY_THRESHOLD: usize = 2;

/// What [`check_commit`] concluded when no rule was broken.
enum CommitOutcome {
    /// More than 2/3 of the signing set (and the trust threshold of the trusted set, when
    /// given) signed, and every counted signature verifies.
    Signed(VotingPowerTally),
    /// Too little of the trusted set signed to tell.
    NotEnoughTrust(VotingPowerTally),
}

/// The one commit pipeline behind [`verify`] and [`verify_commit`]: select, check, verify.
///
/// 1. [`commit_matches_validators`];
/// 2. choose the signatures of the 2/3 tally of `validators` (commit order);
/// 3. with `trusted`: choose those of the trust tally of the trusted set (by address); too
///    little power is [`CommitOutcome::NotEnoughTrust`], after verifying the counted
///    signatures when the commit takes CometBFT's single path ([`BATCH_VERIFY_THRESHOLD`]);
/// 4. too little of the 2/3 tally is [`VerificationError::InsufficientSignedPower`];
/// 5. every chosen signature verifies (one batch where possible).
fn check_commit<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    chain_id: &ChainId,
    commit: &Commit<N>,
    validators: &ValidatorSet<N>,
    trusted: Option<(&ValidatorSet<N>, TrustThreshold)>,
    options: &Options,
) -> Result<CommitOutcome, VerificationError> {
    commit_matches_validators(commit, validators)?;
    let all = options.verify_all_signatures;
    let mut selection = Selection::<N>::new();
    let tally = tally_two_thirds(commit, validators, all, &mut selection);
    if let Some((trusted, threshold)) = trusted {
        let mut counted = Selection::<N>::new();
        let trust = tally_trusted(
            commit,
            validators,
            trusted,
            threshold,
            all,
            &mut selection,
            &mut counted,
        )?;
        if let Err(not_enough) = trust {
            if commit.signatures.len() < BATCH_VERIFY_THRESHOLD {
                verify_chosen(backend, commit, validators, chain_id, &counted, options)?;
            }
            return Ok(CommitOutcome::NotEnoughTrust(not_enough));
        }
    }
    if tally.tallied <= TrustThreshold::TWO_THIRDS.needed(tally.total) {
        return Err(VerificationError::InsufficientSignedPower(tally));
    }
    verify_chosen(backend, commit, validators, chain_id, &selection, options)?;
    Ok(CommitOutcome::Signed(tally))
}

/// Power of `validators` whose members signed `commit` for its block, matched by address and
/// each counted once, with every such signature verified: CometBFT's trusting tally over all
/// signatures (tendermint-rs's `voting_power_in`). Signatures of non-members are ignored.
pub fn voting_power_in<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    chain_id: &ChainId,
    commit: &Commit<N>,
    validators: &ValidatorSet<N>,
    options: &Options,
) -> Result<VotingPowerTally, VerificationError> {
    tally_by_address(backend, chain_id, commit, validators, None, options)
}

/// CometBFT's `VerifyCommitLightTrusting`: more than `threshold` of `trusted`'s power signed
/// `commit` for its block, validators matched by address (each once), signatures checked
/// against the trusted keys until the threshold is passed (all of them with
/// `options.verify_all_signatures`). Too little power is
/// [`VerificationError::InsufficientTrustedPower`].
pub fn verify_commit_trusting<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    chain_id: &ChainId,
    commit: &Commit<N>,
    trusted: &ValidatorSet<N>,
    threshold: TrustThreshold,
    options: &Options,
) -> Result<VotingPowerTally, VerificationError> {
    tally_by_address(backend, chain_id, commit, trusted, Some(threshold), options)
}

fn tally_by_address<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    chain_id: &ChainId,
    commit: &Commit<N>,
    validators: &ValidatorSet<N>,
    threshold: Option<TrustThreshold>,
    options: &Options,
) -> Result<VotingPowerTally, VerificationError> {
    let needed = threshold.map(|t| t.needed(validators.total_power()));
    let stop_early = needed.filter(|_| !options.verify_all_signatures);
    let mut seen: [Option<u16>; N] = [None; N];
    let mut chosen = Selection::<N>::new();
    let mut tallied: u64 = 0;
    for (i, sig) in commit.signatures.iter().enumerate() {
        let CommitSig::Commit {
            validator_address, ..
        } = sig
        else {
            continue;
        };
        let Some((vi, val)) = validators.find(validator_address) else {
            continue;
        };
        if let Some(slot) = seen.get_mut(vi) {
            if let Some(first) = slot {
                return Err(VerificationError::DoubleVote {
                    address: *validator_address,
                    first: usize::from(*first),
                    second: i,
                });
            }
            *slot = u16::try_from(i).ok();
        }
        tallied = tallied.saturating_add(val.power());
        chosen.choose(i);
        if stop_early.is_some_and(|n| tallied > n) {
            break;
        }
    }
    let tally = VotingPowerTally {
        total: validators.total_power(),
        tallied,
        trust_threshold: threshold.unwrap_or(TrustThreshold::ONE_THIRD),
    };
    // CometBFT's batch path tallies before verifying anything; its single path (fewer than
    // BATCH_VERIFY_THRESHOLD entries) verifies each counted signature first.
    let verify_first = commit.signatures.len() < BATCH_VERIFY_THRESHOLD;
    if !verify_first && needed.is_some_and(|n| tallied <= n) {
        return Err(VerificationError::InsufficientTrustedPower(tally));
    }
    let signers = commit
        .signatures
        .iter()
        .enumerate()
        .filter(|(i, _)| chosen.is_chosen(*i))
        .filter_map(|(i, sig)| match sig {
            CommitSig::Commit {
                validator_address, ..
            } => validators.find(validator_address).map(|(_, v)| (i, v)),
            _ => None,
        });
    let template = commit.vote_template_with(options.encoding, chain_id.as_str());
    verify_signers(
        backend,
        commit,
        &template,
        signers,
        chosen.count(),
        &options.batch_entropy,
    )?;
    if needed.is_some_and(|n| tallied <= n) {
        return Err(VerificationError::InsufficientTrustedPower(tally));
    }
    Ok(tally)
}

/// Verifies `untrusted` against `trusted` at `now`: CometBFT's `VerifyAdjacent` when
/// `untrusted` is the next height, `VerifyNonAdjacent` (skipping, with the trust threshold)
/// otherwise. Pure: no clock, no I/O, no allocation without `alloc`.
///
/// The checks, in order:
/// 1. [`chain_ids_match`]
/// 2. [`header_has_validators_hash`]
/// 3. [`commit_is_for_header`]
/// 4. [`is_within_trusting_period`]
/// 5. [`height_increases`], [`time_increases`], [`header_not_from_future`]
/// 6. [`validator_sets_match`]
/// 7. adjacent: [`adjacent_validators_match`]; skipping: [`trusted_validators_match`]
/// 8. [`commit_matches_validators`]
/// 9. skipping: more than `trust_threshold` of the trusted set signed (else
///    [`Verdict::NotEnoughTrust`])
/// 10. more than 2/3 of the untrusted set signed
/// 11. every signature counted above verifies (one batch where possible)
pub fn verify<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    trusted: &TrustedState<'_, N>,
    untrusted: &LightBlock<N>,
    now: Time,
    options: &Options,
) -> Verdict {
    verify_signed_header(
        backend,
        trusted,
        &untrusted.signed_header,
        &untrusted.validators,
        Some(&untrusted.next_validators),
        now,
        options,
    )
}

/// [`verify`] on the parts of a block: a signed header, the set that signed it and, when known,
/// the next set (IBC headers carry none; CometBFT's light client checks none).
pub fn verify_signed_header<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    trusted: &TrustedState<'_, N>,
    signed_header: &SignedHeader<N>,
    validators: &ValidatorSet<N>,
    next_validators: Option<&ValidatorSet<N>>,
    now: Time,
    options: &Options,
) -> Verdict {
    match verify_inner(
        backend,
        trusted,
        signed_header,
        validators,
        next_validators,
        now,
        options,
    ) {
        Ok(None) => Verdict::Success,
        Ok(Some(tally)) => Verdict::NotEnoughTrust(tally),
        Err(e) => Verdict::Invalid(e),
    }
}

fn verify_inner<V: SignatureVerifier + Sync, const N: usize>(
    backend: &V,
    trusted: &TrustedState<'_, N>,
    signed_header: &SignedHeader<N>,
    validators: &ValidatorSet<N>,
    next_validators: Option<&ValidatorSet<N>>,
    now: Time,
    options: &Options,
) -> Result<Option<VotingPowerTally>, VerificationError> {
    let header = &signed_header.header;
    let commit = &signed_header.commit;
    chain_ids_match(trusted.chain_id, &header.chain_id)?;
    header_has_validators_hash(&header.validators_hash)?;
    commit_is_for_header(signed_header, options.encoding)?;
    is_within_trusting_period(trusted.time, options.trusting_period, now)?;
    height_increases(trusted.height, header.height)?;
    time_increases(trusted.time, header.time)?;
    header_not_from_future(header.time, options.clock_drift, now)?;
    validator_sets_match(header, validators, next_validators, options.encoding)?;
    let adjacent = trusted.height.increment() == Some(header.height);
    if adjacent {
        adjacent_validators_match(&trusted.next_validators_hash, &header.validators_hash)?;
    } else {
        trusted_validators_match(trusted, options.encoding)?;
    }
    let trusted_set = (!adjacent).then_some((trusted.next_validators, options.trust_threshold));
    match check_commit(
        backend,
        &header.chain_id,
        commit,
        validators,
        trusted_set,
        options,
    )? {
        CommitOutcome::Signed(_) => Ok(None),
        CommitOutcome::NotEnoughTrust(tally) => Ok(Some(tally)),
    }
}
