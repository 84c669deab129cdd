//! Ferry's fuzz targets, as plain functions of the input bytes.
//!
//! `fuzz_targets/*.rs` hand each function to libFuzzer (`cargo +nightly fuzz run <target>`;
//! `scripts/fuzz.sh` builds, seeds and runs them all), and the `seed` binary (feature `seed`)
//! writes seed corpora in the input formats documented here. Every function must return for
//! every input: a panic is either a bug in the code under test or an invariant asserted here
//! that does not hold, and libFuzzer saves the input that caused it.
//!
//! | target | input | code under test |
//! |---|---|---|
//! | [`light_block_verify`] | light block JSON, `TRUSTED \0 UNTRUSTED [\0 FLAGS]` | `serde` decoding, [`ferry_verifier::verify`] |
//! | [`protobuf`] | one protobuf message | every message of [`ferry_verifier::pb`], its conversions |
//! | [`ics23_proof`] | a [`ProofCase`] | [`ferry_verifier::proof`] with arbitrary specs and proofs |
//! | [`evidence`] | `[VIEW \0] EVIDENCE`, JSON | evidence decoding, [`ferry_verifier::evidence::verify_evidence`] |
//! | [`cli_files`] | a [`CliFile`] selector byte, then a file | the `ferry` CLI's file parsers |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt::Debug;
use std::sync::OnceLock;
use std::time::Duration;

use ferry::inspect::{self, FileView, Judgement};
use ferry::offline::{self, InputError};
use ferry_verifier::evidence::Evidence;
use ferry_verifier::pb::{self, Message};
use ferry_verifier::proof::{self, MerkleProof, ProofError, ProofSpec};
use ferry_verifier::{
    block, client, validator, verify, Encoding, LightBlock, Options, Single, Time, TrustThreshold,
    TrustedState, Verdict, Zebra,
};

/// Separates the parts of multi-part inputs: JSON text never holds a raw NUL byte.
pub const SEP: u8 = 0;

/// The time every verification runs at: the shared fixtures' `verify_now` (time of their
/// height 100 plus 30 s), after every block of the repository's example too.
pub const NOW: &str = "2025-01-01T00:08:45Z";

/// Evidence max age of the views in [`evidence`] and [`cli_files`] (the CLI's default).
pub const MAX_AGE: Duration = Duration::from_secs(48 * 3600);

/// Evidence max age in blocks of those views (the CLI's default).
pub const MAX_AGE_BLOCKS: u64 = 100_000;

/// Capacity of the validated types the [`protobuf`] target converts to: enough for the
/// 4- and 32-validator seeds; larger sets exercise the capacity errors.
pub const PB_CAPACITY: usize = 64;

/// [`NOW`] as a [`Time`].
pub fn now() -> Time {
    static NOW_TIME: OnceLock<Time> = OnceLock::new();
    *NOW_TIME.get_or_init(|| Time::parse_rfc3339(NOW).expect("NOW is RFC 3339"))
}

/// Up to `n` parts of `data` split at [`SEP`] (the last part keeps any further separators).
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |&b| b == SEP).collect()
}

/// Verification options from a flags byte: bit 0 checks every signature, bit 1 uses amino
/// encoding (Tendermint v0.33 and earlier), bit 2 the parallel path, bits 3-4 the trust
/// threshold (1/3, 2/3, 1/1, 1/3). Trusting period 14 days, clock drift 10 s.
pub fn options(flags: u8) -> Options {
    Options {
        verify_all_signatures: flags & 1 != 0,
        encoding: if flags & 2 != 0 {
            Encoding::Amino
        } else {
            Encoding::Protobuf
        },
        parallel: flags & 4 != 0,
        trust_threshold: match (flags >> 3) & 3 {
            1 => TrustThreshold::TWO_THIRDS,
            2 => TrustThreshold::new(1, 1).expect("1/1 is a valid threshold"),
            _ => TrustThreshold::ONE_THIRD,
        },
        ..Options::default()
    }
}

/// Whether two verdicts are of the same kind (success, not enough trust, invalid).
fn same_kind(a: &Verdict, b: &Verdict) -> bool {
    core::mem::discriminant(a) == core::mem::discriminant(b)
}

// ---------------------------------------------------------------------------------------------
// 1. Light blocks: JSON decoding, then verification
// ---------------------------------------------------------------------------------------------

/// Decodes light blocks from JSON (`serde_json` into [`LightBlock`], the library's path) and
/// verifies the untrusted one against the trusted one at [`NOW`].
///
/// Input: `UNTRUSTED` (verified against the repository's example block at height 1),
/// `TRUSTED \0 UNTRUSTED`, or `TRUSTED \0 UNTRUSTED \0 FLAGS` with [`options`] from the first
/// byte of `FLAGS`.
///
/// Asserts that the batch-verifying backend and the one-by-one backend (`Single(Zebra)`)
/// reach the same kind of verdict: both implement ZIP-215, so they accept the same
/// signatures.
pub fn light_block_verify(data: &[u8]) {
    let _ = light_block_verdict(data);
}

/// [`light_block_verify`], returning the verdict when both blocks decode.
pub fn light_block_verdict(data: &[u8]) -> Option<Verdict> {
    let p = parts(data, 3);
    let (trusted, untrusted, flags) = match p.as_slice() {
        [u] => (offline::EXAMPLE_TRUSTED.as_bytes(), *u, 0),
        [t, u] => (*t, *u, 0),
        [t, u, f] => (*t, *u, f.first().copied().unwrap_or(0)),
        _ => return None,
    };
    let trusted = serde_json::from_slice::<Box<LightBlock>>(trusted).ok()?;
    let untrusted = serde_json::from_slice::<Box<LightBlock>>(untrusted).ok()?;
    let options = options(flags);
    let state = TrustedState::from_light_block(&trusted);
    let batched = verify(&Zebra, &state, &untrusted, now(), &options);
    let single = verify(&Single(Zebra), &state, &untrusted, now(), &options);
    assert!(
        same_kind(&batched, &single),
        "backends disagree: batched {batched:?}, single {single:?}"
    );
    // The hashes verification compares, under both encodings.
    for encoding in [Encoding::Protobuf, Encoding::Amino] {
        let _ = untrusted.header().hash_with(encoding);
        let _ = untrusted.validators.hash_with(encoding);
        let _ = untrusted.next_validators.hash_with(encoding);
    }
    Some(batched)
}

// ---------------------------------------------------------------------------------------------
// 2. Protobuf messages and their conversions
// ---------------------------------------------------------------------------------------------

/// Decodes `M`; when it decodes, asserts that re-encoding and decoding again gives the same
/// message (prost drops unknown fields and merges repeated singular fields on the first
/// decode; what is left survives exactly). Returns the message.
fn message<M: Message + Default + PartialEq + Debug>(data: &[u8]) -> Option<M> {
    let m = M::decode(data).ok()?;
    let again = M::decode(m.encode_to_vec().as_slice());
    assert_eq!(again.as_ref(), Ok(&m), "decode(encode(m)) != m");
    Some(m)
}

/// Asserts that a validated value survives value -> message -> value: the message of a
/// value converts back to the same value.
fn same_value<D: PartialEq + Debug, E: Debug>(value: &D, back: Result<D, E>) {
    match back {
        Ok(back) => assert_eq!(&back, value, "value -> message -> value changed it"),
        Err(e) => panic!(
            "the message of a validated value does not convert back: {e:?}\nvalue: {value:?}"
        ),
    }
}

/// For every message of [`ferry_verifier::pb`]: decodes the input as that message; when it
/// decodes, checks the message round trip, converts it to its validated type, and when that
/// succeeds checks the value round trip (value -> message -> bytes -> message -> value).
/// `Any` is unwrapped by type URL and checked as the message it names.
pub fn protobuf(data: &[u8]) {
    const N: usize = PB_CAPACITY;

    /// Message and value round trips of a message with `TryFrom<&M>` / `From<&D>`.
    macro_rules! check {
        ($msg:ty => $dom:ty) => {
            if let Some(m) = message::<$msg>(data) {
                check!(@value m, $msg => $dom);
            }
        };
        (@value $m:expr, $msg:ty => $dom:ty) => {
            if let Ok(d) = <$dom>::try_from(&$m) {
                let bytes = <$msg>::from(&d).encode_to_vec();
                let m2 = <$msg>::decode(bytes.as_slice()).expect("encoded message decodes");
                same_value(&d, <$dom>::try_from(&m2));
            }
        };
    }

    // google.protobuf
    if let Some(m) = message::<pb::Timestamp>(data) {
        if let Ok(t) = Time::try_from(&m) {
            same_value(&t, Time::try_from(pb::Timestamp::from(t)));
        }
    }
    if let Some(m) = message::<pb::Duration>(data) {
        if let Ok(d) = Duration::try_from(&m) {
            let m2 = pb::Duration::try_from(d).expect("a decoded duration encodes");
            same_value(&d, Duration::try_from(&m2));
        }
    }
    if let Some(any) = message::<pb::Any>(data) {
        any_round_trip(&any);
    }
    // tendermint.*
    if let Some(m) = message::<pb::Consensus>(data) {
        let v = block::Version::from(&m);
        same_value(
            &v,
            Ok::<_, ()>(block::Version::from(&pb::Consensus::from(&v))),
        );
    }
    check!(pb::PublicKey => ferry_verifier::PublicKey);
    check!(pb::PartSetHeader => block::PartSetHeader);
    check!(pb::BlockId => block::BlockId);
    check!(pb::Header => block::Header);
    if let Some(m) = message::<pb::CommitSig>(data) {
        if let Ok(s) = m.to_commit_sig(0) {
            same_value(&s, pb::CommitSig::from(&s).to_commit_sig(0));
        }
    }
    check!(pb::Commit => block::Commit<N>);
    check!(pb::SignedHeader => block::SignedHeader<N>);
    check!(pb::Validator => validator::Validator);
    check!(pb::ValidatorSet => validator::ValidatorSet<N>);
    if let Some(m) = message::<pb::LightBlock>(data) {
        // CometBFT's message carries no next validator set: use the block's own.
        let next = m.validator_set.clone().unwrap_or_default();
        if let Ok(lb) = LightBlock::<N>::try_from((&m, &next)) {
            let m2 = pb::LightBlock::from(&lb);
            let next2 = pb::ValidatorSet::from(&lb.next_validators);
            same_value(&lb, LightBlock::<N>::try_from((&m2, &next2)));
        }
    }
    check!(pb::Vote => ferry_verifier::evidence::Vote);
    check!(pb::Evidence => Evidence<N>);
    if let Some(m) = message::<pb::DuplicateVoteEvidence>(data) {
        let e = pb::Evidence {
            sum: Some(pb::evidence::Sum::DuplicateVoteEvidence(Box::new(m))),
        };
        check!(@value e, pb::Evidence => Evidence<N>);
    }
    if let Some(m) = message::<pb::LightClientAttackEvidence>(data) {
        let e = pb::Evidence {
            sum: Some(pb::evidence::Sum::LightClientAttackEvidence(Box::new(m))),
        };
        check!(@value e, pb::Evidence => Evidence<N>);
    }
    if let Some(list) = message::<pb::EvidenceList>(data) {
        for e in list.evidence {
            check!(@value e, pb::Evidence => Evidence<N>);
        }
    }
    // ibc.*
    if let Some(m) = message::<pb::ibc::Height>(data) {
        let h = client::ClientHeight::from(m);
        same_value(
            &h,
            Ok::<_, ()>(client::ClientHeight::from(pb::ibc::Height::from(h))),
        );
    }
    let _ = message::<pb::ibc::MerkleRoot>(data);
    if let Some(m) = message::<pb::ibc::Fraction>(data) {
        if let Ok(t) = TrustThreshold::try_from(&m) {
            same_value(&t, TrustThreshold::try_from(&pb::ibc::Fraction::from(t)));
        }
    }
    check!(pb::ibc::ClientState => client::ClientState);
    check!(pb::ibc::ConsensusState => client::ConsensusState);
    check!(pb::ibc::Header => client::ClientHeader<N>);
    check!(pb::ibc::Misbehaviour => client::Misbehaviour<N>);
    if let Some(m) = message::<pb::ibc::ClientState>(data) {
        for spec in &m.proof_specs {
            let _ = proof::validate_spec(spec);
        }
    }
}

/// An `Any` naming one of the four ibc-go client messages: unwraps it, checks the message
/// and value round trips, and that `to_any` wraps it back under the same type URL.
fn any_round_trip(any: &pb::Any) {
    const N: usize = PB_CAPACITY;
    macro_rules! unwrap_any {
        ($msg:ty, $url:expr => $dom:ty) => {
            if let Ok(m) = pb::decode_any::<$msg>(any, $url) {
                assert_eq!(m.to_any().type_url, $url);
                assert_eq!(pb::decode_any::<$msg>(&m.to_any(), $url).as_ref(), Ok(&m));
                if let Ok(d) = <$dom>::try_from(&m) {
                    same_value(&d, <$dom>::try_from(&<$msg>::from(&d)));
                }
            }
        };
    }
    unwrap_any!(pb::ibc::ClientState, pb::CLIENT_STATE_TYPE_URL => client::ClientState);
    unwrap_any!(pb::ibc::ConsensusState, pb::CONSENSUS_STATE_TYPE_URL => client::ConsensusState);
    unwrap_any!(pb::ibc::Header, pb::HEADER_TYPE_URL => client::ClientHeader<N>);
    unwrap_any!(pb::ibc::Misbehaviour, pb::MISBEHAVIOUR_TYPE_URL => client::Misbehaviour<N>);
}

// ---------------------------------------------------------------------------------------------
// 3. ICS-23 proofs with arbitrary specs
// ---------------------------------------------------------------------------------------------

/// One ICS-23 verification, as the [`ics23_proof`] target reads it from its input:
///
/// * byte 0, `flags`: bits 0-1 the operation (0 membership, 1 non-membership, 2 chained
///   membership, 3 chained non-membership), bits 2-3 the base spec (iavl, tendermint, smt,
///   empty), bit 4 passes one spec fewer than the chained proof has proofs;
/// * then the fields below in order, each as a big-endian `u16` length and that many bytes (a
///   length past the end takes what is left; fields past the end are empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProofCase {
    /// See the type's documentation.
    pub flags: u8,
    /// A protobuf `ProofSpec` merged onto the base spec (prost `merge`: fields given replace
    /// the base's, repeated fields are appended): empty keeps the base spec as it is.
    pub spec: Vec<u8>,
    /// A protobuf `CommitmentProof` (single operations) or `ibc.core.commitment.v1.MerkleProof`
    /// (chained operations).
    pub proof: Vec<u8>,
    /// The key (for chained operations: the innermost key).
    pub key: Vec<u8>,
    /// The value (membership).
    pub value: Vec<u8>,
    /// The root.
    pub root: Vec<u8>,
    /// Chained operations: the outer keys, root first, separated by `/` (empty: none).
    pub path: Vec<u8>,
}

impl ProofCase {
    /// Reads a case; `None` for empty input.
    pub fn parse(data: &[u8]) -> Option<Self> {
        let (&flags, mut rest) = data.split_first()?;
        let mut field = || -> Vec<u8> {
            let len = match rest {
                [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])),
                _ => 0,
            };
            let body = rest.get(2..).unwrap_or_default();
            let (f, r) = body.split_at(len.min(body.len()));
            rest = r;
            f.to_vec()
        };
        Some(ProofCase {
            flags,
            spec: field(),
            proof: field(),
            key: field(),
            value: field(),
            root: field(),
            path: field(),
        })
    }

    /// The input bytes of this case ([`ProofCase::parse`] reads them back). Fields longer
    /// than `u16::MAX` bytes are cut.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.flags];
        for f in [
            &self.spec,
            &self.proof,
            &self.key,
            &self.value,
            &self.root,
            &self.path,
        ] {
            let f = &f[..f.len().min(usize::from(u16::MAX))];
            out.extend_from_slice(&(f.len() as u16).to_be_bytes());
            out.extend_from_slice(f);
        }
        out
    }

    /// The spec: the base spec of `flags` with [`ProofCase::spec`] merged onto it; `None` when
    /// those bytes are not protobuf.
    pub fn proof_spec(&self) -> Option<ProofSpec> {
        let mut spec = match (self.flags >> 2) & 3 {
            0 => proof::iavl_spec(),
            1 => proof::tendermint_spec(),
            2 => proof::smt_spec(),
            _ => ProofSpec::default(),
        };
        spec.merge(self.spec.as_slice()).ok()?;
        Some(spec)
    }

    /// Whether the spec is one of the three built-in specs, unchanged.
    pub fn builtin_spec(&self) -> bool {
        self.spec.is_empty() && (self.flags >> 2) & 3 != 3
    }
}

/// Verifies an ICS-23 proof given as a [`ProofCase`]: single proofs with
/// [`proof::verify_membership`] / [`proof::verify_non_membership`] (and
/// [`proof::calculate_root`]), chained ones with [`MerkleProof`]'s methods (the given spec for
/// the first proof, the tendermint spec for the others, as Cosmos SDK chains).
///
/// Asserts that proofs re-encode exactly, and that under a built-in spec no proof shows both
/// that a key holds a value and that it is absent, under one root.
pub fn ics23_proof(data: &[u8]) {
    let _ = ics23_outcome(data);
}

/// The results of an [`ics23_proof`] case: membership, then non-membership.
pub type ProofOutcome = (Result<(), ProofError>, Result<(), ProofError>);

/// [`ics23_proof`], returning both verifications' results when the spec and proof decode.
pub fn ics23_outcome(data: &[u8]) -> Option<ProofOutcome> {
    let case = ProofCase::parse(data)?;
    let spec = case.proof_spec()?;
    let _ = proof::validate_spec(&spec);
    let (root, key, value) = (&case.root, &case.key, &case.value);
    if case.flags & 2 == 0 {
        let cp = proof::decode_commitment_proof(&case.proof).ok()?;
        let again = proof::decode_commitment_proof(&proof::encode_commitment_proof(&cp));
        assert_eq!(again.as_ref().ok(), Some(&cp), "CommitmentProof round trip");
        let _ = proof::calculate_root(&cp);
        let _ = proof::ProofKind::of(&cp).to_string();
        let member = proof::verify_membership(&spec, root, &cp, key, value);
        let absent = proof::verify_non_membership(&spec, root, &cp, key);
        if let Err(e) = &member {
            let _ = (e.to_string(), e.root_cause());
        }
        if let Err(e) = &absent {
            let _ = (e.to_string(), e.root_cause());
        }
        if case.builtin_spec() {
            assert!(
                member.is_err() || absent.is_err(),
                "one proof shows both membership and non-membership of {key:02x?} under {root:02x?}"
            );
        }
        Some((member, absent))
    } else {
        let mp = MerkleProof::decode(&case.proof).ok()?;
        assert_eq!(
            MerkleProof::decode(&mp.encode()).as_ref().ok(),
            Some(&mp),
            "MerkleProof round trip"
        );
        let mut specs = vec![spec];
        specs.resize(mp.proofs.len().max(1), proof::tendermint_spec());
        if case.flags & 16 != 0 {
            specs.pop();
        }
        let mut key_path: Vec<&[u8]> = if case.path.is_empty() {
            vec![]
        } else {
            case.path.split(|&b| b == b'/').collect()
        };
        key_path.push(key);
        let member = mp.verify_membership(&specs, root, &key_path, value);
        let absent = mp.verify_non_membership(&specs, root, &key_path);
        for r in [&member, &absent] {
            if let Err(e) = r {
                let _ = (e.to_string(), e.root_cause());
            }
        }
        if case.builtin_spec() && case.flags & 16 == 0 {
            assert!(
                member.is_err() || absent.is_err(),
                "one chained proof shows both membership and non-membership of {key_path:02x?}"
            );
        }
        Some((member, absent))
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Evidence
// ---------------------------------------------------------------------------------------------

/// The view of inputs without one: the repository's example blocks (heights 1, 2 and 5 of the
/// 4-validator chain `ferry-fixture`), as a JSON array.
pub fn default_view_json() -> String {
    let blocks: Vec<serde_json::Value> = [
        offline::EXAMPLE_TRUSTED,
        include_str!("../../fixtures/data/nostd-4/light_block_2.json"),
        offline::EXAMPLE_UNTRUSTED,
    ]
    .iter()
    .map(|t| serde_json::from_str(t).expect("the example blocks are JSON"))
    .collect();
    serde_json::Value::Array(blocks).to_string()
}

fn default_view() -> &'static FileView {
    static VIEW: OnceLock<FileView> = OnceLock::new();
    VIEW.get_or_init(|| {
        FileView::parse(
            default_view_json().as_bytes(),
            "default view",
            MAX_AGE,
            MAX_AGE_BLOCKS,
        )
        .expect("the example blocks form a view")
    })
}

/// Decodes evidence JSON as `ferry evidence verify` does ([`inspect::parse_evidence`], and the
/// node's view with [`FileView::parse`]) and judges it with
/// [`ferry_verifier::evidence::verify_evidence`].
///
/// Input: `EVIDENCE` (judged against [`default_view_json`]) or `VIEW \0 EVIDENCE`.
///
/// Asserts that decoding the same bytes directly with `serde_json` gives the same evidence
/// when both decode, and that decoded evidence survives value -> protobuf -> value.
pub fn evidence(data: &[u8]) {
    let _ = evidence_judgement(data);
}

/// [`evidence`], returning the judgement when the view and the evidence decode.
pub fn evidence_judgement(data: &[u8]) -> Option<Judgement> {
    let p = parts(data, 2);
    let (view, ev_bytes) = match p.as_slice() {
        [e] => (None, *e),
        [v, e] => (Some(*v), *e),
        _ => return None,
    };
    let parsed_view;
    let view = match view {
        None => default_view(),
        Some(v) => {
            parsed_view = FileView::parse(v, "view", MAX_AGE, MAX_AGE_BLOCKS).ok()?;
            &parsed_view
        }
    };
    let ev = inspect::parse_evidence(ev_bytes, "evidence");
    if let (Ok(a), Ok(b)) = (&ev, serde_json::from_slice::<Box<Evidence>>(ev_bytes)) {
        assert_eq!(a, &b, "the CLI's decoding and serde_json's disagree");
    }
    let ev = ev.ok()?;
    let judgement = inspect::verify_evidence_file(&ev, view);
    assert!(matches!(judgement.exit_code, 0 | 1));
    let m = pb::Evidence::from(&*ev);
    let m2 = pb::Evidence::decode(m.encode_to_vec().as_slice()).expect("encoded evidence decodes");
    same_value(&*ev, Evidence::try_from(&m2));
    Some(judgement)
}

// ---------------------------------------------------------------------------------------------
// 5. The CLI's file parsers
// ---------------------------------------------------------------------------------------------

/// Which of the `ferry` CLI's file parsers the [`cli_files`] target feeds: the input's first
/// byte modulo 5, in this order; the rest of the input is the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CliFile {
    /// `ferry verify --trusted/--untrusted`: [`offline::parse_light_block_file`].
    LightBlock,
    /// `ferry proof verify --proof`: [`inspect::parse_proof`].
    Proof,
    /// `ferry proof verify --specs FILE`: [`inspect::parse_spec_file`].
    Specs,
    /// `ferry evidence verify --trusted`: [`FileView::parse`].
    View,
    /// `ferry evidence verify --evidence`: [`inspect::parse_evidence`].
    Evidence,
}

impl CliFile {
    /// Every parser, in selector order.
    pub const ALL: [CliFile; 5] = [
        CliFile::LightBlock,
        CliFile::Proof,
        CliFile::Specs,
        CliFile::View,
        CliFile::Evidence,
    ];

    /// The parser a selector byte picks.
    pub fn from_byte(b: u8) -> Self {
        Self::ALL[usize::from(b) % Self::ALL.len()]
    }

    /// The selector byte of this parser.
    pub fn byte(self) -> u8 {
        Self::ALL.iter().position(|&f| f == self).unwrap_or(0) as u8
    }
}

/// Checks an error of a CLI file parser: the bytes were read, so it is malformed (exit 65);
/// its message formats; and for files that must be text, bytes that are not UTF-8 are reported
/// at the offset of the first invalid byte.
fn malformed(e: &InputError, bytes: &[u8], must_be_text: bool) {
    assert_eq!(e.exit_code(), 65, "a file that was read is malformed: {e}");
    let _ = e.to_string();
    if let (true, Err(u)) = (must_be_text, std::str::from_utf8(bytes)) {
        match e {
            InputError::NotUtf8 { offset, .. } => assert_eq!(*offset, u.valid_up_to()),
            other => panic!("not UTF-8 but reported as {other}"),
        }
    }
}

/// Feeds a file to the parser [`CliFile`] names, exactly as the `ferry` CLI does after reading
/// it, then (for light blocks and proofs) the CLI's verification: light blocks against the
/// example block at height 1 at [`NOW`], proofs under the Cosmos SDK specs for the proven key
/// (or `key`), value `value` and absence, at the root the proof computes.
pub fn cli_files(data: &[u8]) {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let src = "fuzz-input";
    match CliFile::from_byte(selector) {
        CliFile::LightBlock => match offline::parse_light_block_file(file, src) {
            Ok(lb) => {
                static TRUSTED: OnceLock<Box<LightBlock>> = OnceLock::new();
                let trusted = TRUSTED.get_or_init(|| {
                    offline::parse_light_block(offline::EXAMPLE_TRUSTED, "example")
                        .expect("the example decodes")
                });
                let report = offline::run_verify(trusted, &lb, now(), &Options::default());
                assert!(matches!(report.exit_code, 0..=2));
            }
            Err(e) => malformed(&e, file, true),
        },
        CliFile::Proof => match inspect::parse_proof(file, src) {
            Ok((mp, path)) => {
                let key = path
                    .as_ref()
                    .and_then(|p| p.last().cloned())
                    .unwrap_or_else(|| b"key".to_vec());
                let root = mp
                    .proofs
                    .first()
                    .and_then(|p| proof::calculate_root(p).ok())
                    .unwrap_or_else(|| vec![0; 32]);
                let specs = proof::cosmos_sdk_specs();
                for value in [Some(b"value".as_slice()), None] {
                    let j = inspect::verify_proof(&root, &key, value, &mp, path.as_deref(), &specs);
                    assert!(matches!(j.exit_code, 0 | 1));
                }
            }
            Err(e) => malformed(&e, file, false),
        },
        CliFile::Specs => match inspect::parse_spec_file(file, src) {
            Ok(specs) => {
                for s in &specs {
                    assert!(
                        proof::validate_spec(s).is_ok(),
                        "a parsed spec is invalid: {s:?}"
                    );
                }
            }
            Err(e) => malformed(&e, file, false),
        },
        CliFile::View => {
            if let Err(e) = FileView::parse(file, src, MAX_AGE, MAX_AGE_BLOCKS) {
                malformed(&e, file, true);
            }
        }
        CliFile::Evidence => {
            if let Err(e) = inspect::parse_evidence(file, src) {
                malformed(&e, file, true);
            }
        }
    }
}
