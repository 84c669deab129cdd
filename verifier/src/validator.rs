//! Validators and validator sets, checked and in CometBFT's canonical order.

use crate::block::Encoding;
use crate::error::Error;
use crate::merkle::{leaf_hash, root_from_leaf_hashes};
use crate::proto::Buf;
use crate::types::{Address, Hash, PublicKey, MAX_TOTAL_VOTING_POWER};

/// Default capacity of validator sets and commits: 512 validators.
///
/// The largest CometBFT chains run 100 to 200 active validators (the Cosmos Hub 180,
/// Osmosis 150) and testnets reach 300; 512 leaves headroom. Embedders with small sets choose a
/// smaller `N` to save stack.
pub const MAX_VALIDATORS: usize = 512;

/// A validator: address bound to its ed25519 key, voting power and proposer priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validator {
    address: Address,
    pub_key: PublicKey,
    power: u64,
    proposer_priority: i64,
}

impl Validator {
    /// Builds a validator, checking that `address == sha256(pub_key)[..20]` and that the
    /// power is at most `MAX_TOTAL_VOTING_POWER`.
    pub fn new(
        address: Address,
        pub_key: PublicKey,
        power: u64,
        proposer_priority: i64,
    ) -> Result<Self, Error> {
        let expected = pub_key.address();
        if expected != address {
            return Err(Error::AddressKeyMismatch { address, expected });
        }
        if power > MAX_TOTAL_VOTING_POWER {
            return Err(Error::InvalidVotingPower { index: 0 });
        }
        Ok(Validator {
            address,
            pub_key,
            power,
            proposer_priority,
        })
    }

    /// Builds a validator from its key, deriving the address.
    pub fn from_key(pub_key: PublicKey, power: u64) -> Result<Self, Error> {
        Self::new(pub_key.address(), pub_key, power, 0)
    }

    /// The address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The ed25519 public key.
    pub fn pub_key(&self) -> &PublicKey {
        &self.pub_key
    }

    /// The voting power.
    pub fn power(&self) -> u64 {
        self.power
    }

    /// The proposer priority (not hashed, not used in verification).
    pub fn proposer_priority(&self) -> i64 {
        self.proposer_priority
    }

    /// The protobuf `SimpleValidator{pub_key: PublicKey{ed25519}, voting_power}` bytes hashed
    /// into the validator-set hash.
    pub fn hash_bytes(&self) -> ([u8; 48], usize) {
        self.hash_bytes_with(Encoding::Protobuf)
    }

    /// [`Validator::hash_bytes`] in the given wire format (amino: the key carries its
    /// registered type prefix `1624DE64`).
    pub fn hash_bytes_with(&self, encoding: Encoding) -> ([u8; 48], usize) {
        let mut b = Buf::<48>::new();
        b.key(1, crate::proto::LEN);
        match encoding {
            Encoding::Protobuf => {
                // PublicKey { oneof sum { bytes ed25519 = 1; } } inside SimpleValidator field 1.
                b.varint(34);
                b.len_field(1, &self.pub_key.0);
            }
            Encoding::Amino => {
                b.varint(37);
                b.put(&[0x16, 0x24, 0xde, 0x64, 0x20]);
                b.put(&self.pub_key.0);
            }
        }
        b.int_field(2, self.power as i64);
        let mut out = [0u8; 48];
        let n = b.len();
        if let (Some(src), Some(dst)) = (b.bytes(), out.get_mut(..n)) {
            dst.copy_from_slice(src);
        }
        (out, n)
    }
}

/// A validator set of at most `N` validators, sorted as CometBFT orders it (voting
/// power descending, then address ascending), with unique addresses, every address bound to
/// its key and a total power within CometBFT's bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet<const N: usize = MAX_VALIDATORS> {
    validators: heapless::Vec<Validator, N>,
    /// Indices into `validators`, sorted by address, for lookups by address.
    by_address: heapless::Vec<u16, N>,
    total_power: u64,
    /// `hash_validators(validators)`, computed once: the set is immutable.
    hash: [u8; 32],
}

impl<const N: usize> ValidatorSet<N> {
    /// Validates and sorts `validators` into a set.
    pub fn new(validators: &[Validator]) -> Result<Self, Error> {
        let capacity_err = Error::CapacityExceeded {
            what: "validators",
            capacity: N,
        };
        if validators.len() > N || N > usize::from(u16::MAX) {
            return Err(capacity_err);
        }
        let mut vals: heapless::Vec<Validator, N> =
            heapless::Vec::from_slice(validators).map_err(|_| capacity_err.clone())?;
        Self::from_vec(&mut vals)?;
        Self::finish(vals)
    }

    /// Builds a set from validators yielded one at a time (e.g. paginated RPC results).
    pub fn from_validators<I: IntoIterator<Item = Validator>>(iter: I) -> Result<Self, Error> {
        let mut vals: heapless::Vec<Validator, N> = heapless::Vec::new();
        for v in iter {
            vals.push(v).map_err(|_| Error::CapacityExceeded {
                what: "validators",
                capacity: N,
            })?;
        }
        Self::from_vec(&mut vals)?;
        Self::finish(vals)
    }

    fn from_vec(vals: &mut heapless::Vec<Validator, N>) -> Result<(), Error> {
        for (index, v) in vals.iter().enumerate() {
            if v.power > MAX_TOTAL_VOTING_POWER {
                return Err(Error::InvalidVotingPower { index });
            }
            let expected = v.pub_key.address();
            if expected != v.address {
                return Err(Error::AddressKeyMismatch {
                    address: v.address,
                    expected,
                });
            }
        }
        vals.sort_unstable_by(|a, b| b.power.cmp(&a.power).then(a.address.cmp(&b.address)));
        Ok(())
    }

    fn finish(validators: heapless::Vec<Validator, N>) -> Result<Self, Error> {
        let mut total: u64 = 0;
        for v in validators.iter() {
            total = total
                .checked_add(v.power)
                .filter(|t| *t <= MAX_TOTAL_VOTING_POWER)
                .ok_or(Error::TotalVotingPowerTooLarge)?;
        }
        let mut by_address: heapless::Vec<u16, N> = heapless::Vec::new();
        for i in 0..validators.len() {
            let i = u16::try_from(i).map_err(|_| Error::CapacityExceeded {
                what: "validators",
                capacity: N,
            })?;
            let _ = by_address.push(i);
        }
        let addr = |i: &u16| {
            validators
                .get(usize::from(*i))
                .map(|v| v.address)
                .unwrap_or_default()
        };
        by_address.sort_unstable_by_key(addr);
        for w in by_address.windows(2) {
            if let [a, b] = w {
                if addr(a) == addr(b) {
                    return Err(Error::DuplicateValidator { address: addr(a) });
                }
            }
        }
        let hash = hash_validators(&validators);
        Ok(ValidatorSet {
            validators,
            by_address,
            total_power: total,
            hash,
        })
    }

    /// The validators in canonical order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// True for the empty set (a chain's last block may name an empty next set; it can sign
    /// nothing).
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Sum of voting power (at most `i64::MAX / 8`).
    pub fn total_power(&self) -> u64 {
        self.total_power
    }

    /// Finds a validator by address: its index in canonical order and the validator.
    pub fn find(&self, address: &Address) -> Option<(usize, &Validator)> {
        let pos = self
            .by_address
            .binary_search_by(|i| {
                self.validators
                    .get(usize::from(*i))
                    .map(|v| v.address)
                    .unwrap_or_default()
                    .cmp(address)
            })
            .ok()?;
        let idx = usize::from(*self.by_address.get(pos)?);
        Some((idx, self.validators.get(idx)?))
    }

    /// CometBFT's `ValidatorSet.Hash()`: the RFC 6962 root over `SimpleValidator` encodings.
    ///
    /// Computed once when the set is built (sets are immutable), so verification only
    /// compares it.
    pub fn hash(&self) -> Hash {
        Hash::Sha256(self.hash)
    }

    /// The set hash in the given wire format (amino is computed on each call).
    pub fn hash_with(&self, encoding: Encoding) -> Hash {
        match encoding {
            Encoding::Protobuf => self.hash(),
            Encoding::Amino => Hash::Sha256(hash_validators_with(encoding, &self.validators)),
        }
    }
}

/// The validator-set hash of `validators` in the order given (empty slice: `sha256("")`).
pub fn hash_validators(validators: &[Validator]) -> [u8; 32] {
    hash_validators_with(Encoding::Protobuf, validators)
}

/// [`hash_validators`] in the given wire format.
pub fn hash_validators_with(encoding: Encoding, validators: &[Validator]) -> [u8; 32] {
    root_from_leaf_hashes(validators.len(), |i| match validators.get(i) {
        Some(v) => {
            let (b, n) = v.hash_bytes_with(encoding);
            leaf_hash(b.get(..n).unwrap_or(&[]))
        }
        None => leaf_hash(&[]),
    })
}
