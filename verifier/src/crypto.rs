//! Signature verification backends behind one small trait.
//!
//! Both shipped backends implement ZIP-215 (the rules CometBFT's ed25519 verification follows
//! since v0.34 via `curve25519-voi`), so single and batch verification agree on every input.
//! A backend that cannot batch (no `alloc`) verifies one signature at a time.

use sha2::{Digest, Sha256};

use crate::types::{PublicKey, Signature};

/// An ed25519 verifier.
pub trait SignatureVerifier {
    /// A batch of queued signatures; [`NoBatch`] when the backend cannot batch.
    type Batch: BatchVerifier;

    /// Verifies one signature.
    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool;

    /// A new batch for about `capacity` items, or `None` if this backend cannot batch.
    fn batch(&self, capacity: usize) -> Option<Self::Batch>;
}

/// A batch verification context, shaped like `ed25519_consensus::batch::Verifier`.
pub trait BatchVerifier {
    /// Queues one signature. The message is hashed at once; it need not outlive the call.
    fn queue(&mut self, key: &PublicKey, msg: &[u8], sig: &Signature);

    /// Verifies every queued signature: true iff all are valid. The random coefficients come
    /// from `rng`.
    fn verify(self, rng: &mut DerivedRng) -> bool;
}

/// A batch type for backends that cannot batch; it cannot be constructed.
pub enum NoBatch {}

impl BatchVerifier for NoBatch {
    fn queue(&mut self, _: &PublicKey, _: &[u8], _: &Signature) {
        match *self {}
    }
    fn verify(self, _: &mut DerivedRng) -> bool {
        match self {}
    }
}

/// A deterministic generator of batch coefficients: SHA-256 in counter mode over a seed
/// that commits to every (key, signature, message) in the batch and to caller entropy.
///
/// Batch verification is sound when the coefficients are unpredictable to whoever chose the
/// signatures; deriving them from a hash of the whole batch (Fiat-Shamir) gives that without
/// OS randomness, and callers may mix in their own entropy.
#[derive(Clone)]
pub struct DerivedRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

/// Accumulates the transcript a [`DerivedRng`] is seeded from.
#[derive(Clone, Default)]
pub struct Transcript(Sha256);

impl Transcript {
    /// A transcript with a domain separator and caller entropy.
    pub fn new(entropy: &[u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"ferry-verifier/batch-coefficients/v1");
        h.update(entropy);
        Transcript(h)
    }

    /// Commits one batch item.
    pub fn append(&mut self, key: &PublicKey, msg: &[u8], sig: &Signature) {
        self.0.update(key.0);
        self.0.update(sig.0);
        self.0.update((msg.len() as u64).to_le_bytes());
        self.0.update(msg);
    }

    /// The generator seeded from everything appended.
    pub fn rng(self) -> DerivedRng {
        DerivedRng {
            seed: self.0.finalize().into(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl DerivedRng {
    /// Fills `dst` with output.
    pub fn fill(&mut self, dst: &mut [u8]) {
        for b in dst.iter_mut() {
            if self.used >= 32 {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_le_bytes());
                self.block = h.finalize().into();
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *b = self.block.get(self.used).copied().unwrap_or(0);
            self.used = self.used.saturating_add(1);
        }
    }
}

impl rand_core::TryRng for DerivedRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for DerivedRng {}

#[cfg(all(feature = "consensus", feature = "std"))]
mod rng06 {
    // ed25519-consensus 2 takes rand_core 0.6's traits.
    impl rand_core_06::RngCore for super::DerivedRng {
        fn next_u32(&mut self) -> u32 {
            let mut b = [0u8; 4];
            self.fill(&mut b);
            u32::from_le_bytes(b)
        }
        fn next_u64(&mut self) -> u64 {
            let mut b = [0u8; 8];
            self.fill(&mut b);
            u64::from_le_bytes(b)
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            self.fill(dst)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), rand_core_06::Error> {
            self.fill(dst);
            Ok(())
        }
    }
    impl rand_core_06::CryptoRng for super::DerivedRng {}
}

/// Any backend restricted to one-at-a-time verification: no batching, so no heap even with
/// `alloc` (for embedders who want a fixed memory footprint).
#[derive(Clone, Copy, Debug, Default)]
pub struct Single<B>(pub B);

impl<B: SignatureVerifier> SignatureVerifier for Single<B> {
    type Batch = NoBatch;
    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
        self.0.verify(key, msg, sig)
    }
    fn batch(&self, _capacity: usize) -> Option<NoBatch> {
        None
    }
}

/// The `ed25519-zebra` 5 backend (feature `zebra`), the default: single signatures by
/// ed25519-zebra; under `alloc`, batches by Ferry's ZIP-215 batch equation on
/// curve25519-dalek ([`crate::batch`], the same rules), stateless.
#[cfg(feature = "zebra")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Zebra;

#[cfg(feature = "zebra")]
impl SignatureVerifier for Zebra {
    #[cfg(feature = "alloc")]
    type Batch = crate::batch::ZebraBatch;
    #[cfg(not(feature = "alloc"))]
    type Batch = NoBatch;

    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
        match ed25519_zebra::VerificationKey::try_from(key.0) {
            Ok(vk) => vk
                .verify(&ed25519_zebra::Signature::from_bytes(&sig.0), msg)
                .is_ok(),
            Err(_) => false,
        }
    }

    #[cfg(feature = "alloc")]
    fn batch(&self, capacity: usize) -> Option<Self::Batch> {
        Some(crate::batch::ZebraBatch::with_capacity(capacity))
    }
    #[cfg(not(feature = "alloc"))]
    fn batch(&self, _capacity: usize) -> Option<NoBatch> {
        None
    }
}

/// The `ed25519-consensus` 2 backend (feature `consensus`); batches under `std` (its batch
/// module needs std).
#[cfg(feature = "consensus")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Consensus;

#[cfg(feature = "consensus")]
impl SignatureVerifier for Consensus {
    #[cfg(feature = "std")]
    type Batch = ConsensusBatch;
    #[cfg(not(feature = "std"))]
    type Batch = NoBatch;

    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
        match ed25519_consensus::VerificationKey::try_from(key.0) {
            Ok(vk) => vk
                .verify(&ed25519_consensus::Signature::from(sig.0), msg)
                .is_ok(),
            Err(_) => false,
        }
    }

    #[cfg(feature = "std")]
    fn batch(&self, _capacity: usize) -> Option<ConsensusBatch> {
        Some(ConsensusBatch(ed25519_consensus::batch::Verifier::new()))
    }
    #[cfg(not(feature = "std"))]
    fn batch(&self, _capacity: usize) -> Option<NoBatch> {
        None
    }
}

/// A batch of the `ed25519-consensus` backend.
#[cfg(all(feature = "consensus", feature = "std"))]
pub struct ConsensusBatch(ed25519_consensus::batch::Verifier);

#[cfg(all(feature = "consensus", feature = "std"))]
impl BatchVerifier for ConsensusBatch {
    fn queue(&mut self, key: &PublicKey, msg: &[u8], sig: &Signature) {
        let item = ed25519_consensus::batch::Item::from((
            ed25519_consensus::VerificationKeyBytes::from(key.0),
            ed25519_consensus::Signature::from(sig.0),
            msg,
        ));
        self.0.queue(item);
    }
    fn verify(self, rng: &mut DerivedRng) -> bool {
        self.0.verify(rng).is_ok()
    }
}

/// The default backend: `ed25519-zebra`, the faster of the two in `cargo bench` here.
#[cfg(feature = "zebra")]
pub type DefaultBackend = Zebra;
/// The default backend when only `consensus` is enabled.
#[cfg(all(feature = "consensus", not(feature = "zebra")))]
pub type DefaultBackend = Consensus;
