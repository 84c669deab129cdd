//! An IBC light client of a CometBFT chain with ICS-07 (`07-tendermint`) semantics, as
//! ibc-go implements it (feature `alloc`): client state, consensus states by height, header
//! updates, misbehaviour detection and freezing, and state-proof verification against stored
//! roots. Pure: the caller passes `now` (the host chain's block time) everywhere.
//!
//! Checking and changing are separate, as in ibc-go: [`Client::verify_header`],
//! [`Client::verify_misbehaviour`] and [`Client::check_for_misbehaviour`] change nothing;
//! [`Client::update_state`] and [`Client::update_state_on_misbehaviour`] apply. [`Client::update`]
//! runs ibc-go's `UpdateClient` sequence (status, verify, check, then freeze or apply).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::block::{Header, SignedHeader};
use crate::crypto::SignatureVerifier;
use crate::proof::{MerkleProof, ProofError, ProofSpec};
use crate::time::Time;
use crate::types::{AppHash, ChainId, Hash, Height, TrustThreshold};
use crate::validator::{ValidatorSet, MAX_VALIDATORS};
use crate::verify::{
    verify_commit, verify_commit_trusting, verify_signed_header, Options, TrustedState, Verdict,
    VerificationError, VotingPowerTally,
};

/// An IBC height: revision number and height within the revision, ordered lexicographically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClientHeight {
    /// Revision (the `-N` suffix of a revision-formatted chain id).
    pub revision_number: u64,
    /// Block height within the revision.
    pub revision_height: u64,
}

impl ClientHeight {
    /// A height.
    pub const fn new(revision_number: u64, revision_height: u64) -> Self {
        ClientHeight {
            revision_number,
            revision_height,
        }
    }

    /// The height a header of `chain_id` at `height` has on an IBC client.
    pub fn of(chain_id: &ChainId, height: Height) -> Self {
        ClientHeight::new(revision_number(chain_id.as_str()), height.value())
    }

    /// True for the zero height (ibc-go's "not frozen").
    pub fn is_zero(&self) -> bool {
        self.revision_number == 0 && self.revision_height == 0
    }
}

impl fmt::Display for ClientHeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.revision_number, self.revision_height)
    }
}

/// The height ibc-go freezes a client at (`FrozenHeight`, 0-1).
pub const FROZEN_HEIGHT: ClientHeight = ClientHeight::new(0, 1);

/// ibc-go's `ParseChainID`: the revision number of a chain id of the form `{name}-{N}` (`N`
/// without leading zeros, `name` not ending in `-`), else 0.
pub fn revision_number(chain_id: &str) -> u64 {
    let Some((name, n)) = chain_id.rsplit_once('-') else {
        return 0;
    };
    let well_formed = !name.is_empty()
        && !name.ends_with('-')
        && !name.ends_with('\n')
        && n.bytes().all(|b| b.is_ascii_digit())
        && n.bytes().next().is_some_and(|b| (b'1'..=b'9').contains(&b));
    if !well_formed {
        return 0;
    }
    n.parse().unwrap_or(0)
}

/// True when two chain ids name the same chain: equal, or revision-formatted with the same
/// name (`chain-1` and `chain-2`).
fn same_chain(a: &ChainId, b: &ChainId) -> bool {
    let name = |c: &ChainId| -> Option<String> {
        let s = c.as_str();
        (revision_number(s) != 0).then(|| s.rsplit_once('-').map(|(n, _)| String::from(n)))?
    };
    a == b || (name(a).is_some() && name(a) == name(b))
}

/// `ibc.lightclients.tendermint.v1.ClientState`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientState {
    /// The counterparty chain's id.
    pub chain_id: ChainId,
    /// Share of a trusted set that must sign a non-adjacent header.
    pub trust_level: TrustThreshold,
    /// How long a consensus state may be used to verify headers.
    pub trusting_period: Duration,
    /// The counterparty's unbonding period (must exceed the trusting period).
    pub unbonding_period: Duration,
    /// Allowed clock drift of headers relative to the host's time.
    pub max_clock_drift: Duration,
    /// The newest height with a consensus state.
    pub latest_height: ClientHeight,
    /// Non-zero once the client is frozen by misbehaviour.
    pub frozen_height: ClientHeight,
    /// The specs state proofs are checked with (lowest tree first).
    pub proof_specs: Vec<ProofSpec>,
    /// Where the counterparty stores an upgraded client (e.g. `["upgrade", "upgradedIBCState"]`).
    pub upgrade_path: Vec<String>,
}

/// `ibc.lightclients.tendermint.v1.ConsensusState`: what a verified header leaves behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusState {
    /// The header's time.
    pub timestamp: Time,
    /// The commitment root: the header's app hash.
    pub root: AppHash,
    /// The header's `next_validators_hash`.
    pub next_validators_hash: Hash,
}

impl ConsensusState {
    /// The consensus state a header leaves.
    pub fn from_header(header: &Header) -> Self {
        ConsensusState {
            timestamp: header.time,
            root: header.app_hash.clone(),
            next_validators_hash: header.next_validators_hash,
        }
    }
}

/// `ibc.lightclients.tendermint.v1.Header`: a signed header with its validator set, and the
/// trusted height and validators (the next set of the trusted height) it is verified from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHeader<const N: usize = MAX_VALIDATORS> {
    /// The new signed header.
    pub signed_header: SignedHeader<N>,
    /// The set that signed it.
    pub validator_set: ValidatorSet<N>,
    /// A height the client has a consensus state for.
    pub trusted_height: ClientHeight,
    /// The validators whose hash that consensus state records as next.
    pub trusted_validators: ValidatorSet<N>,
}

impl<const N: usize> ClientHeader<N> {
    /// The header's IBC height.
    pub fn height(&self) -> ClientHeight {
        let h = &self.signed_header.header;
        ClientHeight::of(&h.chain_id, h.height)
    }
}

/// `ibc.lightclients.tendermint.v1.Misbehaviour`: two headers that cannot both be honest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misbehaviour<const N: usize = MAX_VALIDATORS> {
    /// The header at the greater (or equal) height.
    pub header_1: ClientHeader<N>,
    /// The other header.
    pub header_2: ClientHeader<N>,
}

/// A client message: an update or a misbehaviour report.
#[derive(Clone, Debug)]
pub enum ClientMessage<'a, const N: usize = MAX_VALIDATORS> {
    /// A header.
    Header(&'a ClientHeader<N>),
    /// Two conflicting headers.
    Misbehaviour(&'a Misbehaviour<N>),
}

/// Whether a client can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Usable.
    Active,
    /// Frozen by misbehaviour: nothing is accepted any more.
    Frozen,
    /// The latest consensus state is older than the trusting period.
    Expired,
}

/// Why a client operation was refused.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ClientError {
    /// The client state is unusable.
    InvalidClientState {
        /// What is wrong.
        reason: &'static str,
    },
    /// The client is frozen.
    Frozen,
    /// The client's latest consensus state has expired.
    Expired {
        /// When it expired.
        expired_at: Time,
        /// The time given.
        now: Time,
    },
    /// No consensus state at the height.
    ConsensusStateNotFound {
        /// The height asked for.
        height: ClientHeight,
    },
    /// The proof height is above the client's latest height.
    HeightAboveLatest {
        /// The height asked for.
        height: ClientHeight,
        /// The latest height.
        latest: ClientHeight,
    },
    /// The header's trusted validators do not hash to the trusted consensus state's
    /// `next_validators_hash`.
    TrustedValidatorsMismatch {
        /// Hash stored in the consensus state.
        expected: Hash,
        /// Hash of the validators supplied.
        supplied: Hash,
    },
    /// A malformed header (`Header.ValidateBasic`).
    InvalidHeader {
        /// What is wrong.
        reason: &'static str,
    },
    /// The header is on another revision than its trusted height.
    RevisionMismatch {
        /// The header's height.
        header: ClientHeight,
        /// The trusted height.
        trusted: ClientHeight,
    },
    /// The header failed light-client verification.
    Verification(VerificationError),
    /// Too little of the trusted validators signed: update from a nearer trusted height.
    NotEnoughTrust(VotingPowerTally),
    /// A misbehaviour report that is malformed or does not verify.
    InvalidMisbehaviour {
        /// Which header (1 or 2), 0 for the pair.
        header: u8,
        /// What is wrong.
        reason: &'static str,
    },
    /// A misbehaviour header that failed verification.
    MisbehaviourHeader {
        /// Which header (1 or 2).
        header: u8,
        /// The failure.
        error: VerificationError,
    },
    /// A well-formed misbehaviour report whose headers do not actually conflict.
    NoMisbehaviour,
    /// A state proof does not verify.
    Proof(ProofError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidClientState { reason } => write!(f, "invalid client state: {reason}"),
            ClientError::Frozen => f.write_str("client is frozen by misbehaviour; nothing is accepted"),
            ClientError::Expired { expired_at, now } => write!(
                f,
                "client expired at {expired_at} (now {now}): its latest consensus state is older than the trusting period"
            ),
            ClientError::ConsensusStateNotFound { height } => write!(
                f,
                "no consensus state at height {height}; update the client to that height first"
            ),
            ClientError::HeightAboveLatest { height, latest } => write!(
                f,
                "proof height {height} is above the client's latest height {latest}; update the client first"
            ),
            ClientError::TrustedValidatorsMismatch { expected, supplied } => write!(
                f,
                "trusted validators hash to {supplied}, the trusted consensus state expects {expected}"
            ),
            ClientError::InvalidHeader { reason } => write!(f, "invalid header: {reason}"),
            ClientError::RevisionMismatch { header, trusted } => write!(
                f,
                "header height {header} is not in the revision of trusted height {trusted}"
            ),
            ClientError::Verification(e) => write!(f, "header verification failed: {e}"),
            ClientError::NotEnoughTrust(t) => write!(
                f,
                "not enough trust ({t}); update from a trusted height nearer the header"
            ),
            ClientError::InvalidMisbehaviour { header, reason } => {
                write!(f, "invalid misbehaviour (header {header}): {reason}")
            }
            ClientError::MisbehaviourHeader { header, error } => {
                write!(f, "misbehaviour header {header} does not verify: {error}")
            }
            ClientError::NoMisbehaviour => {
                f.write_str("the two headers do not conflict: no misbehaviour")
            }
            ClientError::Proof(e) => write!(f, "state proof does not verify: {e}"),
        }
    }
}

impl core::error::Error for ClientError {}

/// What [`Client::update`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// A consensus state was stored at this height.
    Updated(ClientHeight),
    /// The same consensus state was already stored: nothing changed.
    Duplicate(ClientHeight),
    /// The header conflicts with stored state: the client is now frozen.
    Frozen,
}

/// A light client: its state and its consensus states by height.
#[derive(Clone, Debug)]
pub struct Client {
    state: ClientState,
    consensus: BTreeMap<ClientHeight, ConsensusState>,
}

impl Client {
    /// A client from a client state and the consensus state at its latest height (ibc-go's
    /// `Initialize`), validated as `ClientState.Validate`.
    pub fn new(state: ClientState, consensus: ConsensusState) -> Result<Self, ClientError> {
        let bad = |reason| Err(ClientError::InvalidClientState { reason });
        if state.chain_id.as_str().trim().is_empty() {
            return bad("chain id is empty");
        }
        if state.trusting_period.is_zero() {
            return bad("trusting period must be positive");
        }
        if state.unbonding_period.is_zero() {
            return bad("unbonding period must be positive");
        }
        if state.max_clock_drift.is_zero() {
            return bad("max clock drift must be positive");
        }
        if state.trusting_period >= state.unbonding_period {
            return bad("trusting period must be less than the unbonding period");
        }
        if state.latest_height.revision_height == 0 {
            return bad("latest height must have a non-zero revision height");
        }
        if state.latest_height.revision_number != revision_number(state.chain_id.as_str()) {
            return bad("latest height's revision number differs from the chain id's");
        }
        if !state.frozen_height.is_zero() {
            return bad("a new client cannot be frozen");
        }
        if state.proof_specs.is_empty() {
            return bad("proof specs are empty");
        }
        for spec in &state.proof_specs {
            if crate::proof::validate_spec(spec).is_err() {
                return bad("a proof spec is malformed");
            }
        }
        if consensus.root.as_bytes().is_empty() {
            return bad("the initial consensus state has an empty root");
        }
        let mut map = BTreeMap::new();
        map.insert(state.latest_height, consensus);
        Ok(Client {
            state,
            consensus: map,
        })
    }

    /// The client state.
    pub fn state(&self) -> &ClientState {
        &self.state
    }

    /// The consensus state at `height`.
    pub fn consensus_state(&self, height: ClientHeight) -> Option<&ConsensusState> {
        self.consensus.get(&height)
    }

    /// Heights with consensus states, ascending.
    pub fn heights(&self) -> impl Iterator<Item = ClientHeight> + '_ {
        self.consensus.keys().copied()
    }

    fn is_expired(&self, timestamp: Time, now: Time) -> Option<Time> {
        // `expired iff !(timestamp + trusting_period).After(now)`; beyond year 9999 never.
        timestamp
            .checked_add(self.state.trusting_period)
            .filter(|expiry| *expiry <= now)
    }

    /// ibc-go's `Status`: frozen, expired (the latest consensus state is older than the
    /// trusting period) or active.
    pub fn status(&self, now: Time) -> Status {
        if !self.state.frozen_height.is_zero() {
            return Status::Frozen;
        }
        match self.consensus.get(&self.state.latest_height) {
            Some(cs) if self.is_expired(cs.timestamp, now).is_none() => Status::Active,
            _ => Status::Expired,
        }
    }

    fn require_active(&self, now: Time) -> Result<(), ClientError> {
        match self.status(now) {
            Status::Active => Ok(()),
            Status::Frozen => Err(ClientError::Frozen),
            Status::Expired => {
                let ts = self
                    .consensus
                    .get(&self.state.latest_height)
                    .map(|c| c.timestamp)
                    .unwrap_or(Time::UNIX_EPOCH);
                Err(ClientError::Expired {
                    expired_at: ts.checked_add(self.state.trusting_period).unwrap_or(ts),
                    now,
                })
            }
        }
    }

    fn options(&self) -> Options {
        Options {
            trust_threshold: self.state.trust_level,
            trusting_period: self.state.trusting_period,
            clock_drift: self.state.max_clock_drift,
            ..Options::default()
        }
    }

    /// ibc-go's `Header.ValidateBasic`: the commit is for the header on its own chain id, the
    /// trusted height is below the header's, the validator set hashes to `validators_hash`,
    /// and (as `validCommit`) 2/3+ of it signed.
    fn header_validate_basic<V: SignatureVerifier + Sync, const N: usize>(
        &self,
        backend: &V,
        header: &ClientHeader<N>,
    ) -> Result<(), VerificationError> {
        let sh = &header.signed_header;
        crate::verify::header_has_validators_hash(&sh.header.validators_hash)?;
        crate::verify::commit_is_for_header(sh, crate::block::Encoding::Protobuf)?;
        crate::verify::validator_sets_match(
            &sh.header,
            &header.validator_set,
            None,
            crate::block::Encoding::Protobuf,
        )?;
        verify_commit(
            backend,
            &sh.header.chain_id,
            &sh.commit,
            &header.validator_set,
            &Options::default(),
        )?;
        Ok(())
    }

    /// The trusted consensus state of `header`, checked as `checkTrustedHeader`.
    fn trusted_consensus<const N: usize>(
        &self,
        header: &ClientHeader<N>,
    ) -> Result<&ConsensusState, ClientError> {
        let cs = self.consensus.get(&header.trusted_height).ok_or(
            ClientError::ConsensusStateNotFound {
                height: header.trusted_height,
            },
        )?;
        let supplied = header.trusted_validators.hash();
        if supplied != cs.next_validators_hash {
            return Err(ClientError::TrustedValidatorsMismatch {
                expected: cs.next_validators_hash,
                supplied,
            });
        }
        Ok(cs)
    }

    /// ibc-go's `verifyHeader`: the header verifies from its trusted consensus state with the
    /// client's parameters (adjacent or skipping). Changes nothing.
    pub fn verify_header<V: SignatureVerifier + Sync, const N: usize>(
        &self,
        backend: &V,
        header: &ClientHeader<N>,
        now: Time,
    ) -> Result<(), ClientError> {
        let cs = self.trusted_consensus(header)?;
        let height = header.height();
        if height.revision_number != header.trusted_height.revision_number {
            return Err(ClientError::RevisionMismatch {
                header: height,
                trusted: header.trusted_height,
            });
        }
        if height <= header.trusted_height {
            return Err(ClientError::InvalidHeader {
                reason: "header height is not above the trusted height",
            });
        }
        let trusted_height = Height::new(header.trusted_height.revision_height).map_err(|_| {
            ClientError::InvalidHeader {
                reason: "trusted height is zero",
            }
        })?;
        let trusted = TrustedState {
            chain_id: &self.state.chain_id,
            height: trusted_height,
            time: cs.timestamp,
            next_validators_hash: cs.next_validators_hash,
            next_validators: &header.trusted_validators,
        };
        match verify_signed_header(
            backend,
            &trusted,
            &header.signed_header,
            &header.validator_set,
            None,
            now,
            &self.options(),
        ) {
            Verdict::Success => Ok(()),
            Verdict::NotEnoughTrust(t) => Err(ClientError::NotEnoughTrust(t)),
            Verdict::Invalid(e) => Err(ClientError::Verification(e)),
        }
    }

    /// `checkMisbehaviourHeader`: the header is well formed, its trusted validators are the
    /// trusted consensus state's, that state is within the trusting period, and more than the
    /// trust level of the trusted validators signed it.
    fn check_misbehaviour_header<V: SignatureVerifier + Sync, const N: usize>(
        &self,
        backend: &V,
        header: &ClientHeader<N>,
        which: u8,
        now: Time,
    ) -> Result<(), ClientError> {
        let wrap = |error| ClientError::MisbehaviourHeader {
            header: which,
            error,
        };
        if header.trusted_height.revision_height == 0 {
            return Err(ClientError::InvalidMisbehaviour {
                header: which,
                reason: "trusted height has a zero revision height",
            });
        }
        if header.trusted_height >= header.height() {
            return Err(ClientError::InvalidMisbehaviour {
                header: which,
                reason: "trusted height is not below the header height",
            });
        }
        self.header_validate_basic(backend, header).map_err(wrap)?;
        let cs = self.trusted_consensus(header)?;
        if let Some(expired_at) = self.is_expired(cs.timestamp, now) {
            return Err(wrap(VerificationError::TrustedStateExpired {
                expired_at,
                now,
            }));
        }
        // The chain id with the header's revision (revision-formatted chain ids only).
        let chain_id = &header.signed_header.header.chain_id;
        verify_commit_trusting(
            backend,
            chain_id,
            &header.signed_header.commit,
            &header.trusted_validators,
            self.state.trust_level,
            &Options::default(),
        )
        .map_err(wrap)?;
        Ok(())
    }

    /// ibc-go's `verifyMisbehaviour` with `Misbehaviour.ValidateBasic`: both headers are for
    /// this chain, ordered by height, and each would have been accepted. Changes nothing.
    pub fn verify_misbehaviour<V: SignatureVerifier + Sync, const N: usize>(
        &self,
        backend: &V,
        m: &Misbehaviour<N>,
        now: Time,
    ) -> Result<(), ClientError> {
        let (h1, h2) = (&m.header_1, &m.header_2);
        if h1.signed_header.header.chain_id != h2.signed_header.header.chain_id {
            return Err(ClientError::InvalidMisbehaviour {
                header: 0,
                reason: "headers have different chain ids",
            });
        }
        if !same_chain(&h1.signed_header.header.chain_id, &self.state.chain_id) {
            return Err(ClientError::InvalidMisbehaviour {
                header: 0,
                reason: "headers are for another chain",
            });
        }
        if h1.height() < h2.height() {
            return Err(ClientError::InvalidMisbehaviour {
                header: 0,
                reason: "header 1 must be at a height greater than or equal to header 2",
            });
        }
        self.check_misbehaviour_header(backend, h1, 1, now)?;
        self.check_misbehaviour_header(backend, h2, 2, now)?;
        Ok(())
    }

    /// ibc-go's `CheckForMisbehaviour`: a header that conflicts with a stored consensus state
    /// at its height or breaks time monotonicity around stored states; a misbehaviour whose
    /// headers at one height differ, or whose later header is not later in time. Pure.
    pub fn check_for_misbehaviour<const N: usize>(&self, msg: &ClientMessage<'_, N>) -> bool {
        match msg {
            ClientMessage::Header(h) => {
                let cs = ConsensusState::from_header(&h.signed_header.header);
                let height = h.height();
                if let Some(existing) = self.consensus.get(&height) {
                    return *existing != cs;
                }
                let prev = self.consensus.range(..height).next_back().map(|(_, c)| c);
                let next = self
                    .consensus
                    .range(height..)
                    .find(|(k, _)| **k > height)
                    .map(|(_, c)| c);
                if prev.is_some_and(|p| p.timestamp >= cs.timestamp) {
                    return true;
                }
                next.is_some_and(|n| n.timestamp <= cs.timestamp)
            }
            ClientMessage::Misbehaviour(m) => {
                let (h1, h2) = (&m.header_1, &m.header_2);
                if h1.height() == h2.height() {
                    h1.signed_header.commit.block_id.hash != h2.signed_header.commit.block_id.hash
                } else {
                    h1.signed_header.header.time <= h2.signed_header.header.time
                }
            }
        }
    }

    /// ibc-go's `UpdateStateOnMisbehaviour`: freeze.
    pub fn update_state_on_misbehaviour(&mut self) {
        self.state.frozen_height = FROZEN_HEIGHT;
    }

    /// ibc-go's `UpdateState` for a verified header: prune the oldest consensus state if it has
    /// expired, then store the header's consensus state (a no-op when one exists at that
    /// height) and raise the latest height. Returns the header's height.
    pub fn update_state<const N: usize>(
        &mut self,
        header: &ClientHeader<N>,
        now: Time,
    ) -> ClientHeight {
        self.prune_oldest(now);
        let height = header.height();
        if self.consensus.contains_key(&height) {
            return height;
        }
        if height > self.state.latest_height {
            self.state.latest_height = height;
        }
        self.consensus.insert(
            height,
            ConsensusState::from_header(&header.signed_header.header),
        );
        height
    }

    /// Removes the oldest consensus state if it has expired (ibc-go prunes one per update).
    fn prune_oldest(&mut self, now: Time) {
        let oldest = self.consensus.iter().next().map(|(h, c)| (*h, c.timestamp));
        if let Some((h, ts)) = oldest {
            if self.is_expired(ts, now).is_some() && h != self.state.latest_height {
                self.consensus.remove(&h);
            }
        }
    }

    /// Removes every expired consensus state except the latest; returns how many.
    pub fn prune_expired(&mut self, now: Time) -> usize {
        let latest = self.state.latest_height;
        let expired: Vec<ClientHeight> = self
            .consensus
            .iter()
            .filter(|(h, c)| **h != latest && self.is_expired(c.timestamp, now).is_some())
            .map(|(h, _)| *h)
            .collect();
        for h in &expired {
            self.consensus.remove(h);
        }
        expired.len()
    }

    /// ibc-go's `UpdateClient` with a header: the client must be active; the header must
    /// verify; a header that conflicts with stored state freezes the client; otherwise its
    /// consensus state is stored.
    pub fn update<V: SignatureVerifier + Sync, const N: usize>(
        &mut self,
        backend: &V,
        header: &ClientHeader<N>,
        now: Time,
    ) -> Result<UpdateOutcome, ClientError> {
        self.require_active(now)?;
        self.verify_header(backend, header, now)?;
        if self.check_for_misbehaviour(&ClientMessage::Header(header)) {
            self.update_state_on_misbehaviour();
            return Ok(UpdateOutcome::Frozen);
        }
        let height = header.height();
        if self.consensus.contains_key(&height) {
            return Ok(UpdateOutcome::Duplicate(height));
        }
        Ok(UpdateOutcome::Updated(self.update_state(header, now)))
    }

    /// ibc-go's `UpdateClient` with misbehaviour (`SubmitMisbehaviour`): the client must be
    /// active, the report must verify and show a real conflict; then the client is frozen.
    pub fn submit_misbehaviour<V: SignatureVerifier + Sync, const N: usize>(
        &mut self,
        backend: &V,
        m: &Misbehaviour<N>,
        now: Time,
    ) -> Result<(), ClientError> {
        self.require_active(now)?;
        self.verify_misbehaviour(backend, m, now)?;
        if !self.check_for_misbehaviour(&ClientMessage::Misbehaviour(m)) {
            return Err(ClientError::NoMisbehaviour);
        }
        self.update_state_on_misbehaviour();
        Ok(())
    }

    fn root_at(&self, height: ClientHeight, now: Time) -> Result<&[u8], ClientError> {
        self.require_active(now)?;
        if height > self.state.latest_height {
            return Err(ClientError::HeightAboveLatest {
                height,
                latest: self.state.latest_height,
            });
        }
        self.consensus
            .get(&height)
            .map(|c| c.root.as_bytes())
            .ok_or(ClientError::ConsensusStateNotFound { height })
    }

    /// ibc-go's `VerifyMembership`: `value` is stored under `key_path` (store name first, e.g.
    /// `["ibc", path]`) in the counterparty state whose root the client holds at `height`.
    /// Refused when the client is frozen or expired, or the height unknown.
    pub fn verify_membership<K: AsRef<[u8]>>(
        &self,
        height: ClientHeight,
        proof: &MerkleProof,
        key_path: &[K],
        value: &[u8],
        now: Time,
    ) -> Result<(), ClientError> {
        let root = self.root_at(height, now)?;
        proof
            .verify_membership(&self.state.proof_specs, root, key_path, value)
            .map_err(ClientError::Proof)
    }

    /// ibc-go's `VerifyNonMembership`: nothing is stored under `key_path` at `height`.
    pub fn verify_non_membership<K: AsRef<[u8]>>(
        &self,
        height: ClientHeight,
        proof: &MerkleProof,
        key_path: &[K],
        now: Time,
    ) -> Result<(), ClientError> {
        let root = self.root_at(height, now)?;
        proof
            .verify_non_membership(&self.state.proof_specs, root, key_path)
            .map_err(ClientError::Proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_numbers() {
        assert_eq!(revision_number("cosmoshub-4"), 4);
        assert_eq!(revision_number("osmosis-1"), 1);
        assert_eq!(revision_number("evmos_9001-2"), 2);
        assert_eq!(revision_number("peer-chain"), 0);
        assert_eq!(revision_number("chain-0"), 0);
        assert_eq!(revision_number("chain-01"), 0);
        assert_eq!(revision_number("chain--1"), 0);
        assert_eq!(revision_number("-1"), 0);
        assert_eq!(revision_number("chain"), 0);
        assert!(ClientHeight::new(1, 5) > ClientHeight::new(0, 100));
    }
}
