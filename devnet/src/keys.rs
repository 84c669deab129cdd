//! Validator keys: ed25519 signing keys, deterministic from a seed for tests.

use ed25519_consensus::SigningKey;
use ferry_verifier::merkle::sha256;
use ferry_verifier::{Address, PublicKey, Signature};

/// A validator's ed25519 signing key, with its public key and CometBFT address.
#[derive(Clone)]
pub struct ValidatorKey {
    signing: SigningKey,
    public: PublicKey,
}

impl ValidatorKey {
    /// The key whose 32-byte ed25519 seed (private key) is `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let signing = SigningKey::from(seed);
        let public = PublicKey(signing.verification_key().to_bytes());
        ValidatorKey { signing, public }
    }

    /// A key derived from a label: the seed is `sha256("ferry-devnet/validator/" || label)`.
    /// The same label gives the same key on every run, for tests and reproducible devnets.
    pub fn deterministic(label: &str) -> Self {
        let mut text = String::from("ferry-devnet/validator/");
        text.push_str(label);
        Self::from_seed(sha256(text.as_bytes()))
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The CometBFT address: the first 20 bytes of `sha256(public key)`.
    pub fn address(&self) -> Address {
        self.public.address()
    }

    /// The 32-byte seed (keep it secret outside tests).
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// Signs `message` (RFC 8032 ed25519: deterministic).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
}

impl core::fmt::Debug for ValidatorKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The seed is never printed.
        write!(f, "ValidatorKey({})", self.address())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_consensus::{Signature as Sig, VerificationKey};

    #[test]
    fn deterministic_keys_are_stable_distinct_and_sign_verifiably() {
        let a = ValidatorKey::deterministic("0");
        let again = ValidatorKey::deterministic("0");
        let b = ValidatorKey::deterministic("1");
        assert_eq!(a.seed(), again.seed());
        assert_eq!(a.public_key(), again.public_key());
        assert_ne!(a.public_key(), b.public_key());
        assert_eq!(a.address().0, sha256(&a.public_key().0)[..20]);
        let sig = a.sign(b"hello");
        let vk = VerificationKey::try_from(a.public_key().0).unwrap();
        vk.verify(&Sig::from(sig.0), b"hello").unwrap();
        assert!(vk.verify(&Sig::from(sig.0), b"hellO").is_err());
    }
}
