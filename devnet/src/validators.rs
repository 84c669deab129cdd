//! Validator sets with CometBFT v0.38's proposer rotation (`types/validator_set.go`).
//!
//! The algorithm, as CometBFT runs it:
//!
//! * **Order**: validators sorted by voting power descending, then address ascending.
//! * **`IncrementProposerPriority(times)`**: first *rescale*: if the spread `max - min` of the
//!   priorities exceeds `diffMax = 2 * total power`, every priority is divided (Go integer
//!   division, truncating toward zero) by `ratio = ceil(spread / diffMax)`; then *center*:
//!   subtract the average priority, `floor(sum / n)` (Go's `big.Int.Div` is Euclidean); then,
//!   `times` times: add each validator's power to its priority, pick the validator with the
//!   highest priority (ties: the lower address) as proposer, and subtract the total power from
//!   its priority. Additions and subtractions clip at the `i64` bounds.
//! * **New set** (`NewValidatorSet`, genesis): every validator enters through the change-set
//!   path below, then the set is incremented once.
//! * **Changes** (`UpdateWithChangeSet`): power 0 removes a validator; a new validator starts at
//!   priority `-(P + P/8)` (about -1.125 P), where `P` is the total power after the updates but
//!   before the removals; an existing one keeps its priority; then the set is rescaled (to
//!   `2 * new total`) and centered, and re-sorted.
//!
//! On the chain, the state keeps `Validators` (signing the next block) and `NextValidators`;
//! after each block `NextValidators` gets that block's updates and is incremented once, and
//! becomes `Validators` one block later: an update returned at height `H` first signs `H + 2`.

use ferry_verifier::types::MAX_TOTAL_VOTING_POWER;
use ferry_verifier::validator::hash_validators;
use ferry_verifier::{Address, Hash, PublicKey};

use crate::error::Error;

/// CometBFT's `PriorityWindowSizeFactor`.
const PRIORITY_WINDOW_SIZE_FACTOR: i64 = 2;

/// A validator with its proposer priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validator {
    /// The ed25519 public key.
    pub pub_key: PublicKey,
    /// `sha256(pub_key)[..20]`.
    pub address: Address,
    /// Voting power, in `1..=i64::MAX / 8`.
    pub power: i64,
    /// Proposer priority.
    pub priority: i64,
}

impl Validator {
    /// The verifier's validator (address, key, power, priority).
    pub fn to_verifier(&self) -> Result<ferry_verifier::Validator, Error> {
        let power =
            u64::try_from(self.power).map_err(|_| Error::VotingPowerTooLarge { power: 0 })?;
        Ok(ferry_verifier::Validator::new(
            self.address,
            self.pub_key,
            power,
            self.priority,
        )?)
    }
}

/// A change to the validator set, as an application returns it from `FinalizeBlock`: the key
/// and its new power (0 removes the validator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatorUpdate {
    /// The validator's key.
    pub pub_key: PublicKey,
    /// Its new voting power; 0 removes it.
    pub power: u64,
}

/// A validator set in CometBFT's order, with proposer priorities and the current proposer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    proposer: Option<Address>,
}

fn checked_power(power: u64) -> Result<i64, Error> {
    if power > MAX_TOTAL_VOTING_POWER {
        return Err(Error::VotingPowerTooLarge {
            power: u128::from(power),
        });
    }
    i64::try_from(power).map_err(|_| Error::VotingPowerTooLarge {
        power: u128::from(power),
    })
}

/// Go's `safeAddClip`.
fn add_clip(a: i64, b: i64) -> i64 {
    a.checked_add(b)
        .unwrap_or(if b < 0 { i64::MIN } else { i64::MAX })
}

/// Go's `safeSubClip`.
fn sub_clip(a: i64, b: i64) -> i64 {
    a.checked_sub(b)
        .unwrap_or(if b > 0 { i64::MIN } else { i64::MAX })
}

impl ValidatorSet {
    /// CometBFT's `NewValidatorSet`: the validators (each with a positive power, no key twice)
    /// enter as new validators, are centered and sorted, and the set is incremented once.
    pub fn new(validators: &[(PublicKey, u64)]) -> Result<Self, Error> {
        if validators.is_empty() {
            return Err(Error::NoValidators);
        }
        let mut set = ValidatorSet {
            validators: Vec::new(),
            proposer: None,
        };
        let changes: Vec<ValidatorUpdate> = validators
            .iter()
            .map(|(pub_key, power)| ValidatorUpdate {
                pub_key: *pub_key,
                power: *power,
            })
            .collect();
        if let Some(zero) = changes.iter().find(|c| c.power == 0) {
            return Err(Error::ZeroGenesisPower {
                address: zero.pub_key.address(),
            });
        }
        set.update_with_change_set(&changes)?;
        set.increment_proposer_priority(1);
        Ok(set)
    }

    /// A set from validators with their priorities as they are (e.g. as a node's
    /// `/validators` lists them), sorted into CometBFT's order, with no proposer recorded.
    /// Each address must be its key's, each power positive, no address twice.
    pub fn from_validators(mut validators: Vec<Validator>) -> Result<Self, Error> {
        if validators.is_empty() {
            return Err(Error::NoValidators);
        }
        let mut total: i128 = 0;
        for v in &validators {
            if v.power <= 0 {
                return Err(Error::NonPositivePower {
                    address: v.address,
                    power: v.power,
                });
            }
            // Checks the address against the key.
            v.to_verifier()?;
            total += i128::from(v.power);
        }
        if total > i128::from(MAX_TOTAL_VOTING_POWER) {
            return Err(Error::VotingPowerTooLarge {
                power: u128::try_from(total).unwrap_or(u128::MAX),
            });
        }
        validators.sort_by_key(|v| v.address);
        for w in validators.windows(2) {
            if let [a, b] = w {
                if a.address == b.address {
                    return Err(Error::DuplicateValidator { address: a.address });
                }
            }
        }
        validators.sort_by(|a, b| b.power.cmp(&a.power).then(a.address.cmp(&b.address)));
        Ok(ValidatorSet {
            validators,
            proposer: None,
        })
    }

    /// A set exactly as stored: the validators in the given order with their priorities, and
    /// the recorded proposer. Checks what [`ValidatorSet::from_validators`] checks, and that
    /// the order is CometBFT's and the proposer a member.
    pub(crate) fn from_stored(
        validators: Vec<Validator>,
        proposer: Option<Address>,
    ) -> Result<Self, Error> {
        let checked = Self::from_validators(validators.clone())?;
        if checked.validators != validators {
            return Err(Error::Corrupt {
                what: "a validator set is not in CometBFT's order".into(),
            });
        }
        if let Some(p) = proposer {
            if checked.get(&p).is_none() {
                return Err(Error::Corrupt {
                    what: format!("proposer {p} is not in its validator set"),
                });
            }
        }
        Ok(ValidatorSet {
            validators,
            proposer,
        })
    }

    /// The proposer recorded by the last increment, if any (see [`ValidatorSet::proposer`]).
    pub(crate) fn recorded_proposer(&self) -> Option<Address> {
        self.proposer
    }

    /// The validators in CometBFT's order (power descending, then address ascending).
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Whether the set is empty (never, for a set built by [`ValidatorSet::new`]).
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Sum of the voting powers.
    pub fn total_power(&self) -> i64 {
        // Bounded by MAX_TOTAL_VOTING_POWER on every change.
        self.validators
            .iter()
            .fold(0i64, |t, v| add_clip(t, v.power))
    }

    /// The validator with `address`, and its index in the set's order.
    pub fn get(&self, address: &Address) -> Option<(usize, &Validator)> {
        self.validators
            .iter()
            .enumerate()
            .find(|(_, v)| v.address == *address)
    }

    /// The proposer chosen by the last increment (`GetProposer`; before any increment, the
    /// validator with the highest priority).
    pub fn proposer(&self) -> Option<&Validator> {
        match self.proposer {
            Some(a) => self.get(&a).map(|(_, v)| v),
            None => self.most_priority(),
        }
    }

    /// `ValidatorSet.Hash()`: the RFC 6962 root over the validators' `SimpleValidator`
    /// encodings, in the set's order (priorities are not hashed).
    pub fn hash(&self) -> Result<Hash, Error> {
        let vals = self.to_verifier_validators()?;
        Ok(Hash::Sha256(hash_validators(&vals)))
    }

    /// The validators as the verifier's type, in the set's order.
    pub fn to_verifier_validators(&self) -> Result<Vec<ferry_verifier::Validator>, Error> {
        self.validators.iter().map(Validator::to_verifier).collect()
    }

    /// The set as the verifier's `ValidatorSet<N>` (with priorities).
    pub fn to_verifier<const N: usize>(&self) -> Result<ferry_verifier::ValidatorSet<N>, Error> {
        if self.validators.len() > N {
            return Err(Error::CapacityExceeded {
                validators: self.validators.len(),
                capacity: N,
            });
        }
        Ok(ferry_verifier::ValidatorSet::new(
            &self.to_verifier_validators()?,
        )?)
    }

    /// `IncrementProposerPriority(times)`: rescale, center, then `times` rounds of
    /// add-power/elect/subtract-total; records the last round's proposer. Does nothing on an
    /// empty set or for `times == 0` (where Go panics).
    pub fn increment_proposer_priority(&mut self, times: u32) {
        if self.validators.is_empty() || times == 0 {
            return;
        }
        let diff_max = PRIORITY_WINDOW_SIZE_FACTOR.saturating_mul(self.total_power());
        self.rescale_priorities(diff_max);
        self.shift_by_avg_proposer_priority();
        let mut proposer = None;
        for _ in 0..times {
            proposer = self.increment_once();
        }
        self.proposer = proposer;
    }

    /// One round: every priority grows by its power; the highest is elected and pays the total.
    fn increment_once(&mut self) -> Option<Address> {
        for v in &mut self.validators {
            v.priority = add_clip(v.priority, v.power);
        }
        let total = self.total_power();
        let address = self.most_priority()?.address;
        if let Some(v) = self.validators.iter_mut().find(|v| v.address == address) {
            v.priority = sub_clip(v.priority, total);
        }
        Some(address)
    }

    /// `getValWithMostPriority`: the highest priority; on a tie, the lower address.
    fn most_priority(&self) -> Option<&Validator> {
        let mut best: Option<&Validator> = None;
        for v in &self.validators {
            best = match best {
                None => Some(v),
                Some(b) if v.priority > b.priority => Some(v),
                Some(b) if v.priority == b.priority && v.address < b.address => Some(v),
                keep => keep,
            };
        }
        best
    }

    /// `RescalePriorities(diffMax)`: if the spread exceeds `diff_max`, divide every priority by
    /// `ceil(spread / diff_max)`, truncating toward zero as Go's `/=` does.
    fn rescale_priorities(&mut self, diff_max: i64) {
        if self.validators.is_empty() || diff_max <= 0 {
            return;
        }
        let max = self
            .validators
            .iter()
            .map(|v| v.priority)
            .max()
            .unwrap_or(0);
        let min = self
            .validators
            .iter()
            .map(|v| v.priority)
            .min()
            .unwrap_or(0);
        // As Go's `computeMaxMinPriorityDiff` (in i128: the spread of two i64 fits).
        let diff = (i128::from(max) - i128::from(min)).abs();
        let diff_max = i128::from(diff_max);
        if diff > diff_max {
            let ratio = (diff + diff_max - 1) / diff_max;
            for v in &mut self.validators {
                // |priority / ratio| <= |priority|: fits in i64.
                v.priority = i64::try_from(i128::from(v.priority) / ratio).unwrap_or(v.priority);
            }
        }
    }

    /// `shiftByAvgProposerPriority`: subtract `floor(sum / n)` from every priority.
    fn shift_by_avg_proposer_priority(&mut self) {
        let n = self.validators.len() as i128;
        if n == 0 {
            return;
        }
        let sum: i128 = self.validators.iter().map(|v| i128::from(v.priority)).sum();
        // The mean of i64 values is an i64.
        let avg = i64::try_from(sum.div_euclid(n)).unwrap_or(0);
        for v in &mut self.validators {
            v.priority = sub_clip(v.priority, avg);
        }
    }

    /// Checks `changes` against this set as `UpdateWithChangeSet` does, without applying them.
    pub fn check_change_set(&self, changes: &[ValidatorUpdate]) -> Result<(), Error> {
        let mut copy = self.clone();
        copy.update_with_change_set(changes)
    }

    /// `UpdateWithChangeSet`: applies `changes` (power 0 removes), computing new validators'
    /// priorities, then rescales, centers and re-sorts. On error the set is unchanged.
    ///
    /// Does not increment: the chain increments after applying a block's updates.
    pub fn update_with_change_set(&mut self, changes: &[ValidatorUpdate]) -> Result<(), Error> {
        if changes.is_empty() {
            return Ok(());
        }
        // processChanges: sort by address, no duplicates, powers in range; split.
        let mut sorted: Vec<(Address, PublicKey, i64)> = Vec::with_capacity(changes.len());
        for c in changes {
            sorted.push((c.pub_key.address(), c.pub_key, checked_power(c.power)?));
        }
        sorted.sort_by_key(|a| a.0);
        for w in sorted.windows(2) {
            if let [a, b] = w {
                if a.0 == b.0 {
                    return Err(Error::DuplicateValidator { address: a.0 });
                }
            }
        }
        let (removals, updates): (Vec<_>, Vec<_>) = sorted.into_iter().partition(|c| c.2 == 0);

        // The resulting set must not be empty.
        let new_count = updates.iter().filter(|u| self.get(&u.0).is_none()).count();
        if new_count == 0 && self.validators.len() == removals.len() {
            return Err(Error::EmptyValidatorSet);
        }

        // verifyRemovals.
        let mut removed_power: i64 = 0;
        for r in &removals {
            let (_, v) = self
                .get(&r.0)
                .ok_or(Error::RemovingUnknownValidator { address: r.0 })?;
            removed_power = add_clip(removed_power, v.power);
        }

        // verifyUpdates: the total after updates and removals must stay in bounds (Go checks
        // each partial sum in increasing-delta order; the final sum is the largest of those
        // that matter once all decreases are applied first).
        let delta = |u: &(Address, PublicKey, i64)| -> i128 {
            let old = self.get(&u.0).map(|(_, v)| v.power).unwrap_or(0);
            i128::from(u.2) - i128::from(old)
        };
        let mut deltas: Vec<i128> = updates.iter().map(delta).collect();
        deltas.sort();
        let mut tvp_after_removals = i128::from(self.total_power()) - i128::from(removed_power);
        for d in deltas {
            tvp_after_removals += d;
            if tvp_after_removals > i128::from(MAX_TOTAL_VOTING_POWER) {
                return Err(Error::VotingPowerTooLarge {
                    power: u128::try_from(tvp_after_removals).unwrap_or(u128::MAX),
                });
            }
        }
        // < 2 * MaxTotalVotingPower: fits in i64.
        let tvp_before_removals =
            i64::try_from(tvp_after_removals + i128::from(removed_power)).unwrap_or(i64::MAX);

        // computeNewPriorities.
        let new_priority = -(tvp_before_removals + (tvp_before_removals >> 3));
        let mut merged: Vec<Validator> = self
            .validators
            .iter()
            .filter(|v| {
                !updates.iter().any(|u| u.0 == v.address)
                    && !removals.iter().any(|r| r.0 == v.address)
            })
            .copied()
            .collect();
        for (address, pub_key, power) in &updates {
            let priority = match self.get(address) {
                Some((_, v)) => v.priority,
                None => new_priority,
            };
            merged.push(Validator {
                pub_key: *pub_key,
                address: *address,
                power: *power,
                priority,
            });
        }
        self.validators = merged;

        // Scale and center, then sort by power.
        let diff_max = PRIORITY_WINDOW_SIZE_FACTOR.saturating_mul(self.total_power());
        self.rescale_priorities(diff_max);
        self.shift_by_avg_proposer_priority();
        self.validators
            .sort_by(|a, b| b.power.cmp(&a.power).then(a.address.cmp(&b.address)));
        // The recorded proposer may be gone; the next increment picks a new one.
        if let Some(p) = self.proposer {
            if self.get(&p).is_none() {
                self.proposer = None;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::ValidatorKey;

    /// Three keys sorted by address: the returned `[A, B, C]` have `A < B < C`.
    fn keys_by_address(label: &str) -> Vec<ValidatorKey> {
        let mut keys: Vec<ValidatorKey> = (0..3)
            .map(|i| ValidatorKey::deterministic(&format!("{label}-{i}")))
            .collect();
        keys.sort_by_key(|k| k.address());
        keys
    }

    fn priorities(set: &ValidatorSet, keys: &[ValidatorKey]) -> Vec<i64> {
        keys.iter()
            .map(|k| set.get(&k.address()).map(|(_, v)| v.priority).unwrap())
            .collect()
    }

    #[test]
    fn genesis_set_is_sorted_centered_and_incremented_once() {
        let k = keys_by_address("genesis");
        // Powers A=1, B=3, C=3: order by power desc, then address: B, C, A.
        let set = ValidatorSet::new(&[
            (k[0].public_key(), 1),
            (k[1].public_key(), 3),
            (k[2].public_key(), 3),
        ])
        .unwrap();
        let order: Vec<Address> = set.validators().iter().map(|v| v.address).collect();
        assert_eq!(order, [k[1].address(), k[2].address(), k[0].address()]);
        // All start at -(7 + 7/8) = -7, centered to 0; +power: A=1, B=3, C=3; tie B/C goes to
        // the lower address, B; B pays the total 7: A=1, B=-4, C=3.
        assert_eq!(set.proposer().unwrap().address, k[1].address());
        assert_eq!(priorities(&set, &k), [1, -4, 3]);
        assert_eq!(set.total_power(), 7);
    }

    #[test]
    fn rescale_truncates_and_center_floors() {
        let k = keys_by_address("rescale");
        let mut set = ValidatorSet {
            validators: vec![
                Validator {
                    pub_key: k[0].public_key(),
                    address: k[0].address(),
                    power: 1,
                    priority: -7,
                },
                Validator {
                    pub_key: k[1].public_key(),
                    address: k[1].address(),
                    power: 1,
                    priority: 3,
                },
                Validator {
                    pub_key: k[2].public_key(),
                    address: k[2].address(),
                    power: 1,
                    priority: 3,
                },
            ],
            proposer: None,
        };
        // Total 3, diffMax 6, spread 10: ratio ceil(10/6) = 2; -7/2 = -3 (toward zero), 3/2 = 1.
        set.rescale_priorities(6);
        assert_eq!(priorities(&set, &k), [-3, 1, 1]);
        // Sum -1: average floor(-1/3) = -1 (Euclidean, not Go's truncating `/`): +1 each.
        set.shift_by_avg_proposer_priority();
        assert_eq!(priorities(&set, &k), [-2, 2, 2]);
    }

    #[test]
    fn from_validators_checks_what_a_node_would_never_list() {
        let k = keys_by_address("listed");
        let v = |i: usize, power: i64| Validator {
            pub_key: k[i].public_key(),
            address: k[i].address(),
            power,
            priority: 5,
        };
        let set = ValidatorSet::from_validators(vec![v(0, 1), v(1, 7), v(2, 7)]).unwrap();
        // Sorted by power, then address; priorities kept; no proposer recorded yet, so the
        // highest priority (all 5: the lowest address among them) is reported.
        let order: Vec<Address> = set.validators().iter().map(|x| x.address).collect();
        assert_eq!(order, [k[1].address(), k[2].address(), k[0].address()]);
        assert!(set.validators().iter().all(|x| x.priority == 5));
        assert_eq!(set.proposer().unwrap().address, k[0].address());
        assert_eq!(
            ValidatorSet::from_validators(vec![v(0, 1), v(1, 0)]),
            Err(Error::NonPositivePower {
                address: k[1].address(),
                power: 0
            })
        );
        assert_eq!(
            ValidatorSet::from_validators(vec![v(0, 1), v(0, 2)]),
            Err(Error::DuplicateValidator {
                address: k[0].address()
            })
        );
        let mut wrong = v(0, 1);
        wrong.address = k[1].address();
        assert!(matches!(
            ValidatorSet::from_validators(vec![wrong]),
            Err(Error::Verifier(_))
        ));
        assert_eq!(
            ValidatorSet::from_validators(Vec::new()),
            Err(Error::NoValidators)
        );
    }

    #[test]
    fn change_set_rules() {
        let k = keys_by_address("changes");
        let extra = ValidatorKey::deterministic("changes-extra");
        let set = ValidatorSet::new(&[(k[0].public_key(), 3), (k[1].public_key(), 2)]).unwrap();

        // Removing everyone is refused; so is removing a stranger, a duplicate, a huge power.
        let remove_all = [
            ValidatorUpdate {
                pub_key: k[0].public_key(),
                power: 0,
            },
            ValidatorUpdate {
                pub_key: k[1].public_key(),
                power: 0,
            },
        ];
        assert_eq!(
            set.check_change_set(&remove_all),
            Err(Error::EmptyValidatorSet)
        );
        assert_eq!(
            set.check_change_set(&[ValidatorUpdate {
                pub_key: extra.public_key(),
                power: 0
            }]),
            Err(Error::RemovingUnknownValidator {
                address: extra.address()
            })
        );
        let dup = ValidatorUpdate {
            pub_key: extra.public_key(),
            power: 1,
        };
        assert_eq!(
            set.check_change_set(&[dup, dup]),
            Err(Error::DuplicateValidator {
                address: extra.address()
            })
        );
        assert!(matches!(
            set.check_change_set(&[ValidatorUpdate {
                pub_key: extra.public_key(),
                power: MAX_TOTAL_VOTING_POWER
            }]),
            Err(Error::VotingPowerTooLarge { .. })
        ));

        // Adding C with power 10 while removing B: total before removals 3 + 2 + 10 = 15, so C
        // starts at -(15 + 15/8) = -16. Set {A: p, C: -16} is then centered.
        let mut s = set.clone();
        let a_before = s.get(&k[0].address()).unwrap().1.priority;
        s.update_with_change_set(&[
            ValidatorUpdate {
                pub_key: k[1].public_key(),
                power: 0,
            },
            ValidatorUpdate {
                pub_key: k[2].public_key(),
                power: 10,
            },
        ])
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.validators()[0].address, k[2].address());
        let avg = (a_before - 16).div_euclid(2);
        assert_eq!(s.get(&k[0].address()).unwrap().1.priority, a_before - avg);
        assert_eq!(s.get(&k[2].address()).unwrap().1.priority, -16 - avg);
        // The original is untouched by check_change_set and by the clone's update.
        assert_eq!(set.len(), 2);
    }
}
