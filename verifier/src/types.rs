//! Primitive validated types: hashes, addresses, keys, signatures, chain ids, heights.

use core::fmt;

use crate::error::Error;
use crate::merkle::sha256;

/// Longest chain id CometBFT accepts (`MaxChainIDLen`).
pub const MAX_CHAIN_ID_LEN: usize = 50;
/// Longest app hash this crate stores. CometBFT does not bound it; every known store uses 32.
pub const MAX_APP_HASH_LEN: usize = 128;
/// CometBFT's `MaxTotalVotingPower`: `i64::MAX / 8`.
pub const MAX_TOTAL_VOTING_POWER: u64 = (i64::MAX as u64) / 8;

/// Writes bytes as upper-case hex, as CometBFT's RPC does.
pub(crate) fn fmt_hex(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    for x in b {
        write!(f, "{x:02X}")?;
    }
    Ok(())
}

/// Decodes hex (either case) into `out`, which must be exactly half the text's length.
// Arithmetic on ASCII digits and lengths halved from a slice length: cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
pub fn decode_hex_into(s: &str, out: &mut [u8], what: &'static str) -> Result<(), Error> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(Error::InvalidHex { what });
    }
    if b.len() / 2 != out.len() {
        return Err(Error::InvalidLength {
            what,
            expected: out.len(),
            actual: b.len() / 2,
        });
    }
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = match pair {
            [h, l] => (nib(*h), nib(*l)),
            _ => (None, None),
        };
        match (hi, lo) {
            (Some(h), Some(l)) => *o = h << 4 | l,
            _ => return Err(Error::InvalidHex { what }),
        }
    }
    Ok(())
}

/// Decodes standard base64 (with padding) into `out`; returns the decoded length.
// Arithmetic on 6-bit values, chunk counts and pads (<= 2): cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
pub fn decode_base64_into(s: &str, out: &mut [u8], what: &'static str) -> Result<usize, Error> {
    fn val(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return Err(Error::InvalidBase64 { what });
    }
    let mut n = 0usize;
    let chunks = b.len() / 4;
    for (ci, chunk) in b.chunks_exact(4).enumerate() {
        let last = ci + 1 == chunks;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(Error::InvalidBase64 { what });
        }
        let mut acc: u32 = 0;
        for &c in chunk.iter().take(4 - pad) {
            acc = acc << 6 | val(c).ok_or(Error::InvalidBase64 { what })?;
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        let produced = 3 - pad;
        // Non-canonical trailing bits (e.g. "QQ==" vs "QR==") are rejected, as Go's strict
        // decoding would produce different bytes for them.
        let tail = bytes.get(1 + produced..).unwrap_or(&[]);
        if tail.iter().any(|&x| x != 0) {
            return Err(Error::InvalidBase64 { what });
        }
        for &byte in bytes.get(1..1 + produced).unwrap_or(&[]) {
            let max = out.len();
            let slot = out.get_mut(n).ok_or(Error::TooLong {
                what,
                max,
                actual: chunks * 3 - pad,
            })?;
            *slot = byte;
            n += 1;
        }
    }
    Ok(n)
}

/// A SHA-256 hash as CometBFT carries it: 32 bytes, or empty (`""` in JSON).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Hash {
    /// No hash (an empty byte string).
    #[default]
    None,
    /// A 32-byte SHA-256 digest.
    Sha256([u8; 32]),
}

impl Hash {
    /// The hash bytes: 32 or 0 of them.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Hash::None => &[],
            Hash::Sha256(h) => h,
        }
    }

    /// True for the empty hash.
    pub fn is_empty(&self) -> bool {
        matches!(self, Hash::None)
    }

    /// From 0 or 32 bytes.
    pub fn from_bytes(b: &[u8], what: &'static str) -> Result<Self, Error> {
        match b.len() {
            0 => Ok(Hash::None),
            32 => {
                let mut h = [0u8; 32];
                h.copy_from_slice(b);
                Ok(Hash::Sha256(h))
            }
            n => Err(Error::InvalidLength {
                what,
                expected: 32,
                actual: n,
            }),
        }
    }

    /// From hex text (`""` is the empty hash).
    pub fn from_hex(s: &str, what: &'static str) -> Result<Self, Error> {
        if s.is_empty() {
            return Ok(Hash::None);
        }
        let mut h = [0u8; 32];
        decode_hex_into(s, &mut h, what)?;
        Ok(Hash::Sha256(h))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("<empty>")
        } else {
            fmt_hex(f, self.as_bytes())
        }
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// An application state root of any length up to [`MAX_APP_HASH_LEN`] bytes.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct AppHash(heapless::Vec<u8, MAX_APP_HASH_LEN>);

impl AppHash {
    /// From raw bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
        heapless::Vec::from_slice(b)
            .map(AppHash)
            .map_err(|_| Error::TooLong {
                what: "app_hash",
                max: MAX_APP_HASH_LEN,
                actual: b.len(),
            })
    }

    /// From hex text.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let mut buf = [0u8; MAX_APP_HASH_LEN];
        let n = s.len() / 2;
        if n > MAX_APP_HASH_LEN {
            return Err(Error::TooLong {
                what: "app_hash",
                max: MAX_APP_HASH_LEN,
                actual: n,
            });
        }
        let dst = buf.get_mut(..n).unwrap_or(&mut []);
        decode_hex_into(s, dst, "app_hash")?;
        Self::from_bytes(dst)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AppHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppHash(")?;
        fmt_hex(f, &self.0)?;
        f.write_str(")")
    }
}

/// A 20-byte validator address: the first 20 bytes of sha256 of the ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// From exactly 20 bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
        let a: [u8; 20] = b.try_into().map_err(|_| Error::InvalidLength {
            what: "address",
            expected: 20,
            actual: b.len(),
        })?;
        Ok(Address(a))
    }

    /// From 40 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let mut a = [0u8; 20];
        decode_hex_into(s, &mut a, "address")?;
        Ok(Address(a))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_hex(f, &self.0)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

/// An ed25519 public key (32 bytes, not checked to be a curve point: ZIP-215 verification
/// decides).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The address bound to this key: `sha256(key)[..20]`.
    pub fn address(&self) -> Address {
        let h = sha256(&self.0);
        let mut a = [0u8; 20];
        a.copy_from_slice(h.get(..20).unwrap_or(&[0u8; 20]));
        Address(a)
    }

    /// From standard base64 (as in CometBFT JSON).
    pub fn from_base64(s: &str) -> Result<Self, Error> {
        let mut k = [0u8; 33];
        let n = decode_base64_into(s, &mut k, "pub_key")?;
        let key: [u8; 32] =
            k.get(..n)
                .and_then(|b| b.try_into().ok())
                .ok_or(Error::InvalidLength {
                    what: "pub_key",
                    expected: 32,
                    actual: n,
                })?;
        Ok(PublicKey(key))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        fmt_hex(f, &self.0)?;
        f.write_str(")")
    }
}

/// An ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    /// From standard base64.
    pub fn from_base64(s: &str) -> Result<Self, Error> {
        let mut k = [0u8; 66];
        let n = decode_base64_into(s, &mut k, "signature")?;
        let sig: [u8; 64] =
            k.get(..n)
                .and_then(|b| b.try_into().ok())
                .ok_or(Error::InvalidLength {
                    what: "signature",
                    expected: 64,
                    actual: n,
                })?;
        Ok(Signature(sig))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        fmt_hex(f, &self.0)?;
        f.write_str(")")
    }
}

/// A chain id of at most 50 bytes.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ChainId(heapless::String<MAX_CHAIN_ID_LEN>);

impl ChainId {
    /// Validates the length.
    pub fn new(s: &str) -> Result<Self, Error> {
        heapless::String::try_from(s)
            .map(ChainId)
            .map_err(|_| Error::ChainIdTooLong { len: s.len() })
    }

    /// The chain id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainId({:?})", self.as_str())
    }
}

/// A block height in `1..=i64::MAX`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Height(u64);

impl Height {
    /// Validates the range.
    pub fn new(h: u64) -> Result<Self, Error> {
        if h == 0 || h > i64::MAX as u64 {
            return Err(Error::InvalidHeight { height: h });
        }
        Ok(Height(h))
    }

    /// The height as an integer.
    pub fn value(&self) -> u64 {
        self.0
    }

    /// The next height, if any.
    pub fn increment(&self) -> Option<Height> {
        self.0.checked_add(1).and_then(|h| Height::new(h).ok())
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A trust threshold `numerator / denominator` within [1/3, 1], as CometBFT's `TrustLevel`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TrustThreshold {
    numerator: u64,
    denominator: u64,
}

impl TrustThreshold {
    /// 1/3, the default.
    pub const ONE_THIRD: TrustThreshold = TrustThreshold {
        numerator: 1,
        denominator: 3,
    };
    /// 2/3.
    pub const TWO_THIRDS: TrustThreshold = TrustThreshold {
        numerator: 2,
        denominator: 3,
    };

    /// Validates `1/3 <= n/d <= 1`, `d != 0` (CometBFT's `ValidateTrustLevel`).
    pub fn new(numerator: u64, denominator: u64) -> Result<Self, Error> {
        let err = Error::InvalidTrustThreshold {
            numerator,
            denominator,
        };
        if denominator == 0
            || numerator > denominator
            || u128::from(numerator) * 3 < u128::from(denominator)
        {
            return Err(err);
        }
        Ok(TrustThreshold {
            numerator,
            denominator,
        })
    }

    /// Parses `"N/D"`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = Error::InvalidTrustThreshold {
            numerator: 0,
            denominator: 0,
        };
        let (n, d) = s.split_once('/').ok_or(bad.clone())?;
        let n: u64 = n.trim().parse().map_err(|_| bad.clone())?;
        let d: u64 = d.trim().parse().map_err(|_| bad)?;
        Self::new(n, d)
    }

    /// The numerator.
    pub fn numerator(&self) -> u64 {
        self.numerator
    }

    /// The denominator.
    pub fn denominator(&self) -> u64 {
        self.denominator
    }

    /// Voting power that must be *exceeded*: `total * n / d` (integer division, as CometBFT).
    pub fn needed(&self, total: u64) -> u64 {
        // u64 * u64 fits in u128 and the denominator is non-zero; n <= total because
        // numerator <= denominator.
        u128::from(total)
            .checked_mul(u128::from(self.numerator))
            .and_then(|x| x.checked_div(u128::from(self.denominator)))
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(u64::MAX)
    }
}

impl Default for TrustThreshold {
    fn default() -> Self {
        Self::ONE_THIRD
    }
}

impl fmt::Display for TrustThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64() {
        let mut out = [0u8; 2];
        decode_hex_into("aB0f", &mut out, "x").unwrap();
        assert_eq!(out, [0xab, 0x0f]);
        assert!(decode_hex_into("zz00", &mut out, "x").is_err());
        assert!(decode_hex_into("abc", &mut out, "x").is_err());
        let mut o = [0u8; 8];
        assert_eq!(decode_base64_into("QUJD", &mut o, "x").unwrap(), 3);
        assert_eq!(&o[..3], b"ABC");
        assert_eq!(decode_base64_into("QQ==", &mut o, "x").unwrap(), 1);
        assert_eq!(decode_base64_into("QUI=", &mut o, "x").unwrap(), 2);
        assert!(decode_base64_into("QR==", &mut o, "x").is_err());
        assert!(decode_base64_into("Q===", &mut o, "x").is_err());
        assert!(decode_base64_into("QQ==QUJD", &mut o, "x").is_err());
        assert!(decode_base64_into("QUJDQUJDQUJD", &mut o, "x").is_err());
        assert!(decode_base64_into("QU*D", &mut o, "x").is_err());
    }

    #[test]
    fn trust_threshold_bounds() {
        assert!(TrustThreshold::new(1, 3).is_ok());
        assert!(TrustThreshold::new(1, 1).is_ok());
        assert!(TrustThreshold::new(1, 4).is_err());
        assert!(TrustThreshold::new(4, 3).is_err());
        assert!(TrustThreshold::new(1, 0).is_err());
        assert_eq!(
            TrustThreshold::parse("2/3").unwrap(),
            TrustThreshold::TWO_THIRDS
        );
        assert_eq!(TrustThreshold::ONE_THIRD.needed(100), 33);
        assert_eq!(TrustThreshold::TWO_THIRDS.needed(100), 66);
        assert_eq!(
            TrustThreshold::new(u64::MAX, u64::MAX)
                .unwrap()
                .needed(u64::MAX),
            u64::MAX
        );
    }

    #[test]
    fn address_from_key() {
        // The key/address pair of the shared 4-validator fixture.
        let k = PublicKey::from_base64("XmQeUGGza3UHllwVoxbxkaTsovpQYMr+oQO2tixPaAQ=").unwrap();
        assert_eq!(
            k.address(),
            Address::from_hex("331BA378EBF75D71EBEB412169AE320C5A5470B8").unwrap()
        );
    }
}
