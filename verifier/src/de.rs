//! Decoding CometBFT RPC JSON (feature `serde`) straight into the verifier's types, without
//! allocating: base64 keys and signatures, hex hashes, integers as strings (or numbers),
//! RFC 3339 times. Malformed input is a serde error; wrap the deserializer in
//! `serde_path_to_error` to learn the field's path.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::block::{
    BlockId, Commit, CommitSig, Header, LightBlock, PartSetHeader, SignedHeader, Version,
};
use crate::error::Error;
use crate::time::Time;
use crate::types::{Address, AppHash, ChainId, Hash, Height, PublicKey, Signature};
use crate::validator::{Validator, ValidatorSet, MAX_VALIDATORS};

/// A visitor for a string-valued field, decoded by `parse` (`null` is `None` when allowed).
struct StrVisitor<T, F: Fn(&str) -> Result<T, Error>> {
    what: &'static str,
    parse: F,
}

impl<'de, T, F: Fn(&str) -> Result<T, Error>> Visitor<'de> for StrVisitor<T, F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string ({})", self.what)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

fn de_str<'de, D, T, F>(d: D, what: &'static str, parse: F) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    F: Fn(&str) -> Result<T, Error>,
{
    d.deserialize_str(StrVisitor { what, parse })
}

/// An integer given as a JSON number or a decimal string (CometBFT writes 64-bit integers as
/// strings).
struct IntVisitor(&'static str);

impl<'de> Visitor<'de> for IntVisitor {
    type Value = i128;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer or a decimal string ({})", self.0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
        Ok(i128::from(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
        Ok(i128::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i128, E> {
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(format_args!(
                "{}: {v:?} is not a decimal integer",
                self.0
            )));
        }
        v.parse::<i128>()
            .map_err(|_| E::custom(format_args!("{}: {v:?} is not a decimal integer", self.0)))
    }
}

fn de_int<'de, D: Deserializer<'de>>(d: D, what: &'static str) -> Result<i128, D::Error> {
    d.deserialize_any(IntVisitor(what))
}

fn in_range<E: de::Error, T: TryFrom<i128>>(v: i128, what: &'static str) -> Result<T, E> {
    T::try_from(v).map_err(|_| E::custom(Error::IntegerOutOfRange { what }))
}

macro_rules! int_de {
    ($name:ident, $t:ty, $what:literal) => {
        fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
            in_range(de_int(d, $what)?, $what)
        }
    };
}

int_de!(de_u64_block, u64, "version.block");
int_de!(de_u64_app, u64, "version.app");
int_de!(de_u32_total, u32, "part_set_header.total");
int_de!(de_u32_round, u32, "round");

/// `null` or a missing value as `T::default()`.
fn de_null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d, "RFC 3339 time", Time::parse_rfc3339)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<HexHash>::deserialize(d)?
            .map(|h| h.0)
            .unwrap_or_default())
    }
}

struct HexHash(Hash);
impl<'de> Deserialize<'de> for HexHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d, "hex hash", |s| Hash::from_hex(s, "hash")).map(HexHash)
    }
}

impl<'de> Deserialize<'de> for AppHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d, "hex app hash", AppHash::from_hex)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d, "hex address", Address::from_hex)
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d, "chain id", ChainId::new)
    }
}

impl<'de> Deserialize<'de> for Height {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = de_int(d, "height")?;
        let h: u64 = in_range(v, "height")?;
        Height::new(h).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "de_u64_block")]
            block: u64,
            #[serde(deserialize_with = "de_u64_app", default)]
            app: u64,
        }
        let r = Raw::deserialize(d)?;
        Ok(Version {
            block: r.block,
            app: r.app,
        })
    }
}

impl<'de> Deserialize<'de> for PartSetHeader {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "de_u32_total", default)]
            total: u32,
            #[serde(default)]
            hash: Hash,
        }
        let r = Raw::deserialize(d)?;
        Ok(PartSetHeader {
            total: r.total,
            hash: r.hash,
        })
    }
}

impl<'de> Deserialize<'de> for BlockId {
    /// `{hash, parts | part_set_header}`; `null` is the zero block id.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(default)]
            hash: Hash,
            #[serde(
                alias = "part_set_header",
                default,
                deserialize_with = "de_null_default"
            )]
            parts: PartSetHeader,
        }
        Ok(match Option::<Raw>::deserialize(d)? {
            Some(r) => BlockId {
                hash: r.hash,
                part_set_header: r.parts,
            },
            None => BlockId::default(),
        })
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            version: Version,
            chain_id: ChainId,
            height: Height,
            time: Time,
            #[serde(default)]
            last_block_id: BlockId,
            #[serde(default)]
            last_commit_hash: Hash,
            #[serde(default)]
            data_hash: Hash,
            validators_hash: Hash,
            next_validators_hash: Hash,
            #[serde(default)]
            consensus_hash: Hash,
            #[serde(default, deserialize_with = "de_null_default")]
            app_hash: AppHash,
            #[serde(default)]
            last_results_hash: Hash,
            #[serde(default)]
            evidence_hash: Hash,
            proposer_address: Address,
        }
        let r = Raw::deserialize(d)?;
        Ok(Header {
            version: r.version,
            chain_id: r.chain_id,
            height: r.height,
            time: r.time,
            last_block_id: r.last_block_id,
            last_commit_hash: r.last_commit_hash,
            data_hash: r.data_hash,
            validators_hash: r.validators_hash,
            next_validators_hash: r.next_validators_hash,
            consensus_hash: r.consensus_hash,
            app_hash: r.app_hash,
            last_results_hash: r.last_results_hash,
            evidence_hash: r.evidence_hash,
            proposer_address: r.proposer_address,
        })
    }
}

/// `""` or `null` as `None`, otherwise parsed.
fn opt_str<'de, D, T, F>(d: D, what: &'static str, parse: F) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    F: Fn(&str) -> Result<T, Error>,
{
    struct V<T, F>(&'static str, F, core::marker::PhantomData<T>);
    impl<'de, T, F: Fn(&str) -> Result<T, Error>> Visitor<'de> for V<T, F> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a string or null ({})", self.0)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<T>, D2::Error> {
            d.deserialize_str(self)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<T>, E> {
            if v.is_empty() {
                return Ok(None);
            }
            (self.1)(v).map(Some).map_err(E::custom)
        }
    }
    d.deserialize_option(V(what, parse, core::marker::PhantomData))
}

fn de_opt_address<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Address>, D::Error> {
    opt_str(d, "hex address", Address::from_hex)
}
fn de_opt_signature<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Signature>, D::Error> {
    opt_str(d, "base64 signature", Signature::from_base64)
}
fn de_opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
    opt_str(d, "RFC 3339 time", Time::parse_rfc3339)
}
fn de_flag<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
    de_int(d, "block_id_flag")
}

impl<'de> Deserialize<'de> for CommitSig {
    /// `{block_id_flag, validator_address, timestamp, signature}`, checked as CometBFT's
    /// `CommitSig.ValidateBasic` (fields of absent entries are ignored).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "de_flag")]
            block_id_flag: i128,
            #[serde(default, deserialize_with = "de_opt_address")]
            validator_address: Option<Address>,
            #[serde(default, deserialize_with = "de_opt_time")]
            timestamp: Option<Time>,
            #[serde(default, deserialize_with = "de_opt_signature")]
            signature: Option<Signature>,
        }
        let r = Raw::deserialize(d)?;
        let flag = r.block_id_flag;
        if flag == 1 {
            return Ok(CommitSig::Absent);
        }
        if flag != 2 && flag != 3 {
            return Err(de::Error::custom(format_args!(
                "block_id_flag {flag} is unknown (expected 1 absent, 2 commit or 3 nil)"
            )));
        }
        let validator_address = r
            .validator_address
            .ok_or_else(|| de::Error::custom("validator_address is missing for a vote"))?;
        let signature = r
            .signature
            .ok_or_else(|| de::Error::custom("signature is missing for a vote"))?;
        let timestamp = r
            .timestamp
            .ok_or_else(|| de::Error::custom("timestamp is missing for a vote"))?;
        Ok(if flag == 2 {
            CommitSig::Commit {
                validator_address,
                timestamp,
                signature,
            }
        } else {
            CommitSig::Nil {
                validator_address,
                timestamp,
                signature,
            }
        })
    }
}

impl<'de, const N: usize> Deserialize<'de> for Commit<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw<const N: usize> {
            height: Height,
            #[serde(deserialize_with = "de_u32_round")]
            round: u32,
            block_id: BlockId,
            // Go writes a nil slice as null.
            #[serde(default, deserialize_with = "de_null_default")]
            signatures: heapless::Vec<CommitSig, N>,
        }
        let r = Raw::<N>::deserialize(d)?;
        if r.round > i32::MAX as u32 {
            return Err(de::Error::custom(Error::InvalidRound {
                round: u64::from(r.round),
            }));
        }
        Ok(Commit {
            height: r.height,
            round: r.round,
            block_id: r.block_id,
            signatures: r.signatures,
        })
    }
}

impl<'de, const N: usize> Deserialize<'de> for SignedHeader<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw<const N: usize> {
            header: Header,
            commit: Commit<N>,
        }
        let r = Raw::<N>::deserialize(d)?;
        Ok(SignedHeader {
            header: r.header,
            commit: r.commit,
        })
    }
}

struct KeyValue(PublicKey);
impl<'de> Deserialize<'de> for KeyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d, "base64 ed25519 key", PublicKey::from_base64).map(KeyValue)
    }
}

struct KeyType;
impl<'de> Deserialize<'de> for KeyType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d, "key type", |s| match s {
            "tendermint/PubKeyEd25519" | "ed25519" | "cometbft/PubKeyEd25519" => Ok(KeyType),
            _ => Err(Error::UnsupportedKeyType),
        })
    }
}

fn de_power<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
    de_int(d, "voting_power")
}
fn de_priority<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
    de_int(d, "proposer_priority")
}

impl<'de> Deserialize<'de> for Validator {
    /// `{address, pub_key: {type, value}, voting_power | power, proposer_priority}`; the
    /// address must be the key's (it is derived when missing).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct RawKey {
            #[serde(rename = "type")]
            _type: KeyType,
            value: KeyValue,
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(default)]
            address: Option<Address>,
            pub_key: RawKey,
            #[serde(alias = "power", deserialize_with = "de_power")]
            voting_power: i128,
            #[serde(default, deserialize_with = "de_priority")]
            proposer_priority: i128,
        }
        let r = Raw::deserialize(d)?;
        let key = r.pub_key.value.0;
        let power: u64 = u64::try_from(r.voting_power)
            .map_err(|_| de::Error::custom("voting_power is negative"))?;
        let priority: i64 = in_range(r.proposer_priority, "proposer_priority")?;
        Validator::new(r.address.unwrap_or(key.address()), key, power, priority)
            .map_err(de::Error::custom)
    }
}

impl<'de, const N: usize> Deserialize<'de> for ValidatorSet<N> {
    /// `{validators: [...], proposer?, total_voting_power?}` (the extra fields are ignored;
    /// the total is recomputed).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw<const N: usize> {
            #[serde(default, deserialize_with = "de_null_default")]
            validators: heapless::Vec<Validator, N>,
        }
        let r = Raw::<N>::deserialize(d)?;
        ValidatorSet::new(&r.validators).map_err(de::Error::custom)
    }
}

impl<'de, const N: usize> Deserialize<'de> for LightBlock<N> {
    /// `{signed_header, validator_set | validators, next_validator_set | next_validators}`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw<const N: usize> {
            signed_header: SignedHeader<N>,
            #[serde(alias = "validators")]
            validator_set: ValidatorSet<N>,
            #[serde(alias = "next_validators")]
            next_validator_set: ValidatorSet<N>,
        }
        let r = Raw::<N>::deserialize(d)?;
        Ok(LightBlock {
            signed_header: r.signed_header,
            validators: r.validator_set,
            next_validators: r.next_validator_set,
        })
    }
}

/// The `result` of CometBFT RPC `/commit?height=H`.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct CommitResponse<const N: usize = MAX_VALIDATORS> {
    /// The signed header.
    pub signed_header: SignedHeader<N>,
    /// Whether the commit is the canonical one (from the next block) or the node's own.
    #[serde(default)]
    pub canonical: bool,
}

/// One page of the `result` of CometBFT RPC `/validators?height=H&page=P&per_page=K`.
#[derive(Clone, Debug)]
pub struct ValidatorsPage<const N: usize = MAX_VALIDATORS> {
    /// Height the set is for.
    pub block_height: Height,
    /// The validators on this page.
    pub validators: heapless::Vec<Validator, N>,
    /// Validators on this page.
    pub count: u64,
    /// Validators in the whole set.
    pub total: u64,
}

fn de_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    in_range(de_int(d, "count")?, "count")
}

impl<'de, const N: usize> Deserialize<'de> for ValidatorsPage<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw<const N: usize> {
            block_height: Height,
            validators: heapless::Vec<Validator, N>,
            #[serde(deserialize_with = "de_count")]
            count: u64,
            #[serde(deserialize_with = "de_count")]
            total: u64,
        }
        let r = Raw::<N>::deserialize(d)?;
        if r.count != r.validators.len() as u64 {
            return Err(de::Error::custom(format_args!(
                "count is {} but the page holds {} validators",
                r.count,
                r.validators.len()
            )));
        }
        Ok(ValidatorsPage {
            block_height: r.block_height,
            validators: r.validators,
            count: r.count,
            total: r.total,
        })
    }
}

impl<const N: usize> ValidatorSet<N> {
    /// Joins the pages of one paginated `/validators` answer into a set: all for the same
    /// height, agreeing on the total, adding up to it, with no validator twice.
    pub fn from_pages(pages: &[ValidatorsPage<N>]) -> Result<Self, Error> {
        let first = pages.first().ok_or(Error::EmptyValidatorSet)?;
        let mut seen: u64 = 0;
        for p in pages {
            if p.block_height != first.block_height {
                return Err(Error::InconsistentPages {
                    reason: "pages are for different heights",
                });
            }
            if p.total != first.total {
                return Err(Error::InconsistentPages {
                    reason: "pages disagree on the total",
                });
            }
            seen = seen.saturating_add(p.validators.len() as u64);
        }
        if seen != first.total {
            return Err(Error::InconsistentPages {
                reason: "pages do not add up to the total",
            });
        }
        ValidatorSet::from_validators(pages.iter().flat_map(|p| p.validators.iter().copied()))
    }
}

#[cfg(feature = "alloc")]
mod evidence_json {
    //! CometBFT's JSON for evidence (`/block`'s `evidence.evidence[]`, `broadcast_evidence`):
    //! `{"type": "tendermint/DuplicateVoteEvidence" | "tendermint/LightClientAttackEvidence",
    //! "value": {...}}`.

    use alloc::vec::Vec;

    use serde::de::{self, Deserialize, Deserializer};

    use super::{de_int, de_opt_signature, in_range};
    use crate::block::{BlockId, SignedHeader};
    use crate::evidence::{
        ConflictingBlock, DuplicateVoteEvidence, Evidence, LightClientAttackEvidence, Vote,
    };
    use crate::time::Time;
    use crate::types::{Address, Height};
    use crate::validator::{Validator, ValidatorSet};

    fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        in_range(de_int(d, "integer")?, "integer")
    }
    fn de_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        in_range(de_int(d, "integer")?, "integer")
    }

    impl<'de> Deserialize<'de> for Vote {
        /// `{type, height, round, block_id, timestamp, validator_address, validator_index,
        /// signature}` (extensions are ignored: they are not part of the signed vote).
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(serde::Deserialize)]
            struct Raw {
                #[serde(rename = "type", deserialize_with = "de_u64")]
                vote_type: u64,
                height: Height,
                #[serde(deserialize_with = "de_u32")]
                round: u32,
                #[serde(default)]
                block_id: BlockId,
                timestamp: Time,
                validator_address: Address,
                #[serde(default, deserialize_with = "de_u32")]
                validator_index: u32,
                #[serde(default, deserialize_with = "de_opt_signature")]
                signature: Option<crate::types::Signature>,
            }
            let r = Raw::deserialize(d)?;
            Ok(Vote {
                vote_type: r.vote_type,
                height: r.height,
                round: r.round,
                block_id: r.block_id,
                timestamp: r.timestamp,
                validator_address: r.validator_address,
                validator_index: r.validator_index,
                signature: r
                    .signature
                    .ok_or_else(|| de::Error::custom("signature is missing"))?,
            })
        }
    }

    impl<'de> Deserialize<'de> for DuplicateVoteEvidence {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(serde::Deserialize)]
            struct Raw {
                vote_a: Vote,
                vote_b: Vote,
                #[serde(alias = "TotalVotingPower", deserialize_with = "de_u64")]
                total_voting_power: u64,
                #[serde(alias = "ValidatorPower", deserialize_with = "de_u64")]
                validator_power: u64,
                #[serde(alias = "Timestamp")]
                timestamp: Time,
            }
            let r = Raw::deserialize(d)?;
            Ok(DuplicateVoteEvidence {
                vote_a: r.vote_a,
                vote_b: r.vote_b,
                total_voting_power: r.total_voting_power,
                validator_power: r.validator_power,
                timestamp: r.timestamp,
            })
        }
    }

    impl<'de, const N: usize> Deserialize<'de> for LightClientAttackEvidence<N> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(serde::Deserialize)]
            struct RawBlock<const N: usize> {
                signed_header: SignedHeader<N>,
                validator_set: ValidatorSet<N>,
            }
            // CometBFT v0.38 writes these fields under their Go names (the struct has no
            // json tags): `ConflictingBlock`, `CommonHeight`, ...
            #[derive(serde::Deserialize)]
            struct Raw<const N: usize> {
                #[serde(alias = "ConflictingBlock")]
                conflicting_block: RawBlock<N>,
                #[serde(alias = "CommonHeight")]
                common_height: Height,
                #[serde(default, alias = "ByzantineValidators")]
                byzantine_validators: Option<Vec<Validator>>,
                #[serde(alias = "TotalVotingPower", deserialize_with = "de_u64")]
                total_voting_power: u64,
                #[serde(alias = "Timestamp")]
                timestamp: Time,
            }
            let r = Raw::<N>::deserialize(d)?;
            Ok(LightClientAttackEvidence {
                conflicting_block: ConflictingBlock {
                    signed_header: r.conflicting_block.signed_header,
                    validator_set: r.conflicting_block.validator_set,
                },
                common_height: r.common_height,
                byzantine_validators: r.byzantine_validators.unwrap_or_default(),
                total_voting_power: r.total_voting_power,
                timestamp: r.timestamp,
            })
        }
    }

    impl<'de, const N: usize> Deserialize<'de> for Evidence<N> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(serde::Deserialize)]
            #[serde(tag = "type", content = "value")]
            #[allow(clippy::large_enum_variant)]
            enum Raw<const N: usize> {
                #[serde(rename = "tendermint/DuplicateVoteEvidence")]
                DuplicateVote(DuplicateVoteEvidence),
                #[serde(rename = "tendermint/LightClientAttackEvidence")]
                LightClientAttack(LightClientAttackEvidence<N>),
            }
            Ok(match Raw::<N>::deserialize(d)? {
                Raw::DuplicateVote(e) => Evidence::DuplicateVote(e),
                Raw::LightClientAttack(e) => Evidence::LightClientAttack(e),
            })
        }
    }
}
