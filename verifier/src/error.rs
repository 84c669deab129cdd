//! Errors from building the verifier's validated types out of raw input.

use core::fmt;

use crate::types::Address;

/// Why raw input could not become one of the verifier's validated types.
///
/// These are errors of *form* (lengths, ranges, encodings, set invariants); a well-formed block
/// that fails verification gets a [`crate::VerificationError`] instead.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A byte string had the wrong length.
    InvalidLength {
        /// What was being decoded.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// A byte string was longer than this build can hold.
    TooLong {
        /// What was being decoded.
        what: &'static str,
        /// The largest length accepted.
        max: usize,
        /// The length found.
        actual: usize,
    },
    /// Hex text was not valid hex.
    InvalidHex {
        /// What was being decoded.
        what: &'static str,
    },
    /// Base64 text was not valid standard base64.
    InvalidBase64 {
        /// What was being decoded.
        what: &'static str,
    },
    /// A timestamp was not RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`).
    InvalidTime,
    /// A timestamp was outside years 0001 to 9999 or had nanoseconds above 10^9 - 1.
    TimeOutOfRange,
    /// A chain id longer than CometBFT's 50 bytes.
    ChainIdTooLong {
        /// Its length.
        len: usize,
    },
    /// A height of zero, or above `i64::MAX`.
    InvalidHeight {
        /// The height found.
        height: u64,
    },
    /// A round above `i32::MAX`.
    InvalidRound {
        /// The round found.
        round: u64,
    },
    /// A validator's voting power was negative or above CometBFT's maximum total power.
    InvalidVotingPower {
        /// The validator's position in the set as given.
        index: usize,
    },
    /// The set's total voting power exceeds CometBFT's `MaxTotalVotingPower` (`i64::MAX / 8`).
    TotalVotingPowerTooLarge,
    /// A validator set with no validators.
    EmptyValidatorSet,
    /// More validators (or commit signatures) than the capacity this type was built with.
    CapacityExceeded {
        /// What overflowed.
        what: &'static str,
        /// The capacity (the const generic `N`).
        capacity: usize,
    },
    /// A validator's address is not the first 20 bytes of sha256 of its public key.
    AddressKeyMismatch {
        /// The address given.
        address: Address,
        /// The address its key implies.
        expected: Address,
    },
    /// The same validator address appears twice in one set.
    DuplicateValidator {
        /// The repeated address.
        address: Address,
    },
    /// A public key type other than ed25519.
    UnsupportedKeyType,
    /// A commit signature's `block_id_flag` was not 1 (absent), 2 (commit) or 3 (nil).
    UnknownBlockIdFlag {
        /// Position in the commit.
        index: usize,
        /// The flag found.
        flag: u64,
    },
    /// A commit signature that breaks CometBFT's `CommitSig.ValidateBasic`.
    InvalidCommitSig {
        /// Position in the commit.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A trust threshold outside [1/3, 1] or with a zero denominator.
    InvalidTrustThreshold {
        /// Numerator given.
        numerator: u64,
        /// Denominator given.
        denominator: u64,
    },
    /// Paginated `/validators` responses that do not add up to one set.
    InconsistentPages {
        /// What disagrees.
        reason: &'static str,
    },
    /// An integer did not fit the field it was decoded for.
    IntegerOutOfRange {
        /// What was being decoded.
        what: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidLength {
                what,
                expected,
                actual,
            } => write!(f, "{what}: expected {expected} bytes, got {actual}"),
            Error::TooLong { what, max, actual } => {
                write!(f, "{what}: at most {max} bytes are accepted, got {actual}")
            }
            Error::InvalidHex { what } => write!(f, "{what}: not valid hex"),
            Error::InvalidBase64 { what } => write!(f, "{what}: not valid base64"),
            Error::InvalidTime => f.write_str(
                "time is not RFC 3339 (expected YYYY-MM-DDTHH:MM:SS[.fffffffff]Z or an offset)",
            ),
            Error::TimeOutOfRange => {
                f.write_str("time is outside years 0001..9999 or has nanoseconds >= 10^9")
            }
            Error::ChainIdTooLong { len } => {
                write!(f, "chain id is {len} bytes; CometBFT allows at most 50")
            }
            Error::InvalidHeight { height } => {
                write!(f, "height {height} is not in 1..=i64::MAX")
            }
            Error::InvalidRound { round } => write!(f, "round {round} exceeds i32::MAX"),
            Error::InvalidVotingPower { index } => write!(
                f,
                "validator #{index}: voting power must be in 0..=i64::MAX/8"
            ),
            Error::TotalVotingPowerTooLarge => {
                f.write_str("total voting power exceeds CometBFT's maximum (i64::MAX / 8)")
            }
            Error::EmptyValidatorSet => f.write_str("validator set is empty"),
            Error::CapacityExceeded { what, capacity } => write!(
                f,
                "too many {what}: this build holds at most {capacity} (raise the const generic N)"
            ),
            Error::AddressKeyMismatch { address, expected } => write!(
                f,
                "validator address {address} does not match its public key (expected {expected})"
            ),
            Error::DuplicateValidator { address } => {
                write!(f, "validator {address} appears twice in the set")
            }
            Error::UnsupportedKeyType => {
                f.write_str("unsupported public key type (only tendermint/PubKeyEd25519)")
            }
            Error::UnknownBlockIdFlag { index, flag } => write!(
                f,
                "commit signature #{index}: unknown block_id_flag {flag} (expected 1, 2 or 3)"
            ),
            Error::InvalidCommitSig { index, reason } => {
                write!(f, "commit signature #{index}: {reason}")
            }
            Error::InvalidTrustThreshold {
                numerator,
                denominator,
            } => write!(
                f,
                "trust threshold {numerator}/{denominator} must be within [1/3, 1]"
            ),
            Error::InconsistentPages { reason } => {
                write!(f, "validator pages do not form one set: {reason}")
            }
            Error::IntegerOutOfRange { what } => write!(f, "{what}: integer out of range"),
        }
    }
}

impl core::error::Error for Error {}
