//! The devnet's errors: every refusal names what was wrong and what to do instead.

use core::fmt;

use ferry_verifier::Address;

/// Why a devnet operation was refused. Nothing here is a crash: the chain's state is unchanged
/// when an operation returns an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The chain id is empty or longer than CometBFT's 50 bytes.
    InvalidChainId {
        /// The id given.
        chain_id: String,
    },
    /// A genesis with no validators.
    NoValidators,
    /// A genesis validator with power 0 (genesis validators must have power; remove a
    /// validator later with a validator update of power 0).
    ZeroGenesisPower {
        /// The validator's address.
        address: Address,
    },
    /// A validator with a power of 0 or less where a positive power is needed (a validator
    /// set as a node lists it holds no such validator).
    NonPositivePower {
        /// The validator's address.
        address: Address,
        /// The power given.
        power: i64,
    },
    /// The same validator key twice in a genesis or in one validator update.
    DuplicateValidator {
        /// The repeated address.
        address: Address,
    },
    /// A voting power above CometBFT's `MaxTotalVotingPower` (`i64::MAX / 8`), alone or summed.
    VotingPowerTooLarge {
        /// The power, or the total it would make.
        power: u128,
    },
    /// A validator update removes (power 0) a validator that is not in the set.
    RemovingUnknownValidator {
        /// The address not found.
        address: Address,
    },
    /// A validator update would leave the validator set empty.
    EmptyValidatorSet,
    /// The votes configured for the next block do not add up to more than 2/3 of the voting
    /// power, so no commit could be formed (a real chain would halt): make fewer validators
    /// absent or nil, or give the signing ones more power.
    NoQuorum {
        /// Height of the block that could not be committed.
        height: u64,
        /// Power of the validators that would sign it.
        signed: u64,
        /// Total power of the signing set.
        total: u64,
    },
    /// A block or vote time outside RFC 3339's range (years 0001 to 9999).
    TimeOutOfRange,
    /// A height the chain does not have.
    UnknownHeight {
        /// The height asked for.
        height: u64,
        /// The latest height produced (0 before the first block).
        latest: u64,
    },
    /// A store name that is not one of the multistore's substores.
    UnknownStore {
        /// The name asked for.
        name: String,
    },
    /// A substore name that cannot be used: empty, or holding `/` (the query path separator).
    InvalidStoreName {
        /// The name given.
        name: String,
    },
    /// An empty key: stores refuse them (as the Cosmos SDK does), since ICS-23 non-existence
    /// proofs need non-empty keys.
    EmptyKey,
    /// An empty value: stores refuse them (as the Cosmos SDK does); delete the key instead.
    EmptyValue,
    /// A store version that was never committed.
    UnknownVersion {
        /// The version asked for.
        version: u64,
        /// The latest committed version, if any.
        latest: Option<u64>,
    },
    /// A commit at a version that is not the next one.
    NonSequentialVersion {
        /// The version given.
        version: u64,
        /// The version expected.
        expected: u64,
    },
    /// The chain's database could not be opened, read or written (the message says why: a
    /// missing or unwritable directory, a database another process holds open, a full disk).
    Storage {
        /// What failed and the database library's message.
        reason: String,
    },
    /// The chain's database holds something the devnet cannot have written (a damaged file, or
    /// one from another program or version): start from a new home directory.
    Corrupt {
        /// What is wrong.
        what: String,
    },
    /// The home directory holds a different chain than the one asked for.
    HomeMismatch {
        /// What differs.
        what: String,
    },
    /// The node could not do something with the operating system: listen on the RPC address
    /// (in use, not a local address), create its home directory, start its thread.
    Io {
        /// What the node was doing.
        action: String,
        /// The system's message.
        reason: String,
    },
    /// A verifier type refused a value the devnet built (a bug in the devnet: please report it).
    Verifier(ferry_verifier::Error),
    /// More validators than the capacity asked of a verifier type (`LightBlock<N>`): ask with
    /// a larger `N`.
    CapacityExceeded {
        /// Validators in the set.
        validators: usize,
        /// The capacity given.
        capacity: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidChainId { chain_id } => write!(
                f,
                "invalid chain id {chain_id:?}: it must be 1 to 50 bytes long"
            ),
            Error::NoValidators => {
                f.write_str("the genesis has no validators: give it at least one")
            }
            Error::ZeroGenesisPower { address } => write!(
                f,
                "genesis validator {address} has power 0: genesis validators need a positive power"
            ),
            Error::NonPositivePower { address, power } => write!(
                f,
                "validator {address} has power {power}: validators in a set need a positive power"
            ),
            Error::DuplicateValidator { address } => {
                write!(f, "validator {address} is listed twice: list each key once")
            }
            Error::VotingPowerTooLarge { power } => write!(
                f,
                "voting power {power} exceeds CometBFT's maximum total of {}",
                i64::MAX / 8
            ),
            Error::RemovingUnknownValidator { address } => write!(
                f,
                "cannot remove validator {address} (power 0): it is not in the validator set"
            ),
            Error::EmptyValidatorSet => {
                f.write_str("the validator update would leave no validators: keep at least one")
            }
            Error::NoQuorum {
                height,
                signed,
                total,
            } => write!(
                f,
                "block {height} cannot be committed: the validators set to sign hold {signed} of \
                 {total} voting power, not more than 2/3; make fewer validators absent or nil"
            ),
            Error::TimeOutOfRange => {
                f.write_str("time out of range: block and vote times must be in years 0001 to 9999")
            }
            Error::UnknownHeight { height, latest } => write!(
                f,
                "no block at height {height}: the chain's heights are 1 to {latest}"
            ),
            Error::UnknownStore { name } => write!(f, "no store named {name:?}"),
            Error::InvalidStoreName { name } => write!(
                f,
                "invalid store name {name:?}: names must be non-empty and hold no '/'"
            ),
            Error::EmptyKey => f.write_str("empty key: stores accept only non-empty keys"),
            Error::EmptyValue => f.write_str(
                "empty value: stores accept only non-empty values (delete the key instead)",
            ),
            Error::UnknownVersion { version, latest } => match latest {
                Some(l) => write!(f, "no state at version {version}: versions are 0 to {l}"),
                None => write!(f, "no state at version {version}: nothing is committed yet"),
            },
            Error::NonSequentialVersion { version, expected } => write!(
                f,
                "cannot commit version {version}: the next version is {expected}"
            ),
            Error::Storage { reason } => write!(f, "chain database error: {reason}"),
            Error::Corrupt { what } => write!(
                f,
                "the chain database is damaged ({what}): start from a new home directory"
            ),
            Error::HomeMismatch { what } => write!(
                f,
                "the home directory holds another chain ({what}): use another home directory or \
                 the configuration it was made with"
            ),
            Error::Io { action, reason } => write!(f, "could not {action}: {reason}"),
            Error::Verifier(e) => write!(f, "verifier type refused a devnet value: {e}"),
            Error::CapacityExceeded {
                validators,
                capacity,
            } => write!(
                f,
                "{validators} validators do not fit a capacity of {capacity}: use a larger N"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<ferry_verifier::Error> for Error {
    fn from(e: ferry_verifier::Error) -> Self {
        Error::Verifier(e)
    }
}
