//! A Cosmos SDK account key: secp256k1, as the SDK's `cosmos.crypto.secp256k1` keys.

use core::fmt;

use k256::ecdsa::signature::Signer as _;
use k256::ecdsa::{Signature, SigningKey};
use ripemd::Ripemd160;
use sha2::{Digest as _, Sha256};

use super::bech32;
use super::proto::{Secp256k1PubKey, SECP256K1_PUBKEY_TYPE_URL};
use super::Error;
use ferry_verifier::pb::{encode_any, Any};

/// A secp256k1 signing key of a Cosmos SDK account.
///
/// Signatures are ECDSA over the SHA-256 of the message, with RFC 6979 nonces, as the 64
/// bytes `r || s` with `s` in the lower half of the order (the SDK refuses high-`s`
/// signatures): byte for byte what the SDK's own `PrivKey.Sign` makes. The address is the
/// SDK's `ripemd160(sha256(compressed public key))`.
///
/// `Debug` shows the address bytes, never the key; the key is zeroed when dropped.
#[derive(Clone)]
pub struct Secp256k1Signer {
    key: SigningKey,
    public_key: [u8; 33],
    address: [u8; 20],
}

impl fmt::Debug for Secp256k1Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secp256k1Signer")
            .field("address", &hex(&self.address))
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Secp256k1Signer {
    /// The key with these 32 bytes (big-endian scalar), which must be in `1..n` (the curve
    /// order), as `simd keys export NAME --unarmored-hex --unsafe` prints it (in hex).
    pub fn from_bytes(secret: &[u8]) -> Result<Self, Error> {
        if secret.len() != 32 {
            return Err(Error::InvalidPrivateKey {
                reason: format!("{} bytes, expected 32", secret.len()),
            });
        }
        let key = SigningKey::from_slice(secret).map_err(|_| Error::InvalidPrivateKey {
            reason: "zero or not below the secp256k1 group order".into(),
        })?;
        let point = key.verifying_key().to_encoded_point(true);
        let mut public_key = [0u8; 33];
        if point.as_bytes().len() != public_key.len() {
            return Err(Error::InvalidPrivateKey {
                reason: "its public key does not compress to 33 bytes".into(),
            });
        }
        public_key.copy_from_slice(point.as_bytes());
        Ok(Secp256k1Signer {
            key,
            address: address_bytes(&public_key),
            public_key,
        })
    }

    /// [`Secp256k1Signer::from_bytes`] of 64 hex digits (surrounding whitespace and a `0x`
    /// prefix are ignored).
    pub fn from_hex(secret: &str) -> Result<Self, Error> {
        let s = secret.trim();
        let s = s.strip_prefix("0x").unwrap_or(s);
        if s.len() != 64 {
            return Err(Error::InvalidPrivateKey {
                reason: format!("{} hex digits, expected 64", s.len()),
            });
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in s.as_bytes().chunks(2).enumerate() {
            let digit = |c: u8| char::from(c).to_digit(16);
            let (Some(hi), Some(lo)) = (digit(pair[0]), digit(pair[1])) else {
                return Err(Error::InvalidPrivateKey {
                    reason: format!("not hex at digit {}", 2 * i),
                });
            };
            bytes[i] = (hi * 16 + lo) as u8;
        }
        let signer = Self::from_bytes(&bytes);
        bytes.fill(0);
        signer
    }

    /// The 33-byte compressed public key (SEC1).
    pub fn public_key(&self) -> [u8; 33] {
        self.public_key
    }

    /// The public key as the SDK carries it in a `SignerInfo`: a
    /// `/cosmos.crypto.secp256k1.PubKey` in an `Any`.
    pub fn public_key_any(&self) -> Any {
        encode_any(
            SECP256K1_PUBKEY_TYPE_URL,
            &Secp256k1PubKey {
                key: self.public_key.to_vec(),
            },
        )
    }

    /// The 20 address bytes: `ripemd160(sha256(public key))`.
    pub fn address_bytes(&self) -> [u8; 20] {
        self.address
    }

    /// The bech32 address with the chain's account prefix (`cosmos` for simd).
    pub fn address(&self, prefix: &str) -> Result<String, Error> {
        bech32::encode(prefix, &self.address)
    }

    /// Signs `message` (for `SIGN_MODE_DIRECT`, the encoded `SignDoc`): ECDSA over its
    /// SHA-256, 64 bytes `r || s`, low `s`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let signature: Signature = self.key.sign(message);
        let signature = signature.normalize_s().unwrap_or(signature);
        let mut out = [0u8; 64];
        out.copy_from_slice(&signature.to_bytes());
        out
    }

    /// Whether `signature` (64 bytes `r || s`) is this key's signature of `message` (any
    /// `s`; the SDK itself also refuses a high `s`).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use k256::ecdsa::signature::Verifier as _;
        Signature::from_slice(signature)
            .is_ok_and(|s| self.key.verifying_key().verify(message, &s).is_ok())
    }
}

/// The Cosmos SDK address of a secp256k1 public key: `ripemd160(sha256(compressed key))`.
pub fn address_bytes(public_key: &[u8; 33]) -> [u8; 20] {
    let sha = Sha256::digest(public_key);
    let rip = <Ripemd160 as ripemd::Digest>::digest(sha.as_slice());
    let mut out = [0u8; 20];
    out.copy_from_slice(rip.as_slice());
    out
}
