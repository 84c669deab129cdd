//! Skipping verification by bisection (feature `alloc`), as CometBFT's light client
//! `verifySkipping`: try the target; when too little of the trusted set signed it, verify the
//! midpoint first and retry from there.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::block::LightBlock;
use crate::crypto::SignatureVerifier;
use crate::time::Time;
use crate::types::Height;
use crate::verify::{verify, Options, TrustedState, Verdict, VerificationError};

/// Where bisection gets light blocks from (an RPC client, a store, a test vector).
pub trait LightBlockSource<const N: usize> {
    /// Why a block could not be had.
    type Error: fmt::Debug + fmt::Display;
    /// The light block at `height`.
    fn light_block(&mut self, height: Height) -> Result<Box<LightBlock<N>>, Self::Error>;
}

/// Why bisection stopped short of the target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BisectionError<E> {
    /// The target is not above the trusted height.
    TargetNotAbove {
        /// Trusted height.
        trusted: Height,
        /// Requested target.
        target: Height,
    },
    /// The source failed to provide a block.
    Source {
        /// The height asked for.
        height: Height,
        /// The source's error.
        error: E,
    },
    /// The source returned a block for another height.
    WrongHeight {
        /// The height asked for.
        requested: Height,
        /// The height received.
        received: Height,
    },
    /// A block on the path is invalid.
    Invalid {
        /// The block's height.
        height: Height,
        /// Why.
        error: VerificationError,
    },
    /// More verification steps than the bound given.
    TooManySteps {
        /// The bound.
        max_steps: usize,
    },
}

impl<E: fmt::Display> fmt::Display for BisectionError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BisectionError::TargetNotAbove { trusted, target } => {
                write!(
                    f,
                    "target height {target} is not above trusted height {trusted}"
                )
            }
            BisectionError::Source { height, error } => {
                write!(f, "fetching the light block at height {height}: {error}")
            }
            BisectionError::WrongHeight {
                requested,
                received,
            } => write!(
                f,
                "asked for height {requested}, the source returned {received}"
            ),
            BisectionError::Invalid { height, error } => {
                write!(f, "light block at height {height} is invalid: {error}")
            }
            BisectionError::TooManySteps { max_steps } => {
                write!(f, "gave up after {max_steps} verification steps")
            }
        }
    }
}

/// The outcome of a bisection: the verified blocks in the order they were verified (the
/// target last), and how many pivots were fetched.
#[derive(Debug)]
pub struct Trace<const N: usize> {
    /// Blocks verified, target last.
    pub verified: Vec<Box<LightBlock<N>>>,
    /// Number of midpoints fetched because a block lacked trust.
    pub bisections: usize,
}

fn fetch<S: LightBlockSource<N>, const N: usize>(
    source: &mut S,
    height: Height,
) -> Result<Box<LightBlock<N>>, BisectionError<S::Error>> {
    let b = source
        .light_block(height)
        .map_err(|error| BisectionError::Source { height, error })?;
    if b.height() != height {
        return Err(BisectionError::WrongHeight {
            requested: height,
            received: b.height(),
        });
    }
    Ok(b)
}

/// Verifies the block at `target` from `trusted` by bisection, fetching pivots from `source`.
/// At most `max_steps` verifications are made.
pub fn verify_to_height<V, S, const N: usize>(
    backend: &V,
    trusted: &LightBlock<N>,
    target: Height,
    source: &mut S,
    now: Time,
    options: &Options,
    max_steps: usize,
) -> Result<Trace<N>, BisectionError<S::Error>>
where
    V: SignatureVerifier + Sync,
    S: LightBlockSource<N>,
{
    if target <= trusted.height() {
        return Err(BisectionError::TargetNotAbove {
            trusted: trusted.height(),
            target,
        });
    }
    let mut verified: Vec<Box<LightBlock<N>>> = Vec::new();
    // Blocks still to verify, the target at the bottom.
    let mut pending: Vec<Box<LightBlock<N>>> = alloc::vec![fetch(source, target)?];
    let mut bisections = 0usize;
    for _ in 0..max_steps {
        let Some(candidate) = pending.last() else {
            break;
        };
        let anchor: &LightBlock<N> = verified.last().map(|b| &**b).unwrap_or(trusted);
        let state = TrustedState::from_light_block(anchor);
        match verify(backend, &state, candidate, now, options) {
            Verdict::Success => {
                if let Some(done) = pending.pop() {
                    verified.push(done);
                }
                if pending.is_empty() {
                    return Ok(Trace {
                        verified,
                        bisections,
                    });
                }
            }
            Verdict::NotEnoughTrust(_) => {
                let lo = anchor.height().value();
                let hi = candidate.height().value();
                // lo < hi - 1 here: an adjacent block never lacks trust.
                let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
                let mid = Height::new(mid).map_err(|_| BisectionError::Invalid {
                    height: candidate.height(),
                    error: VerificationError::Encoding,
                })?;
                if mid.value() <= lo {
                    return Err(BisectionError::Invalid {
                        height: candidate.height(),
                        error: VerificationError::Encoding,
                    });
                }
                pending.push(fetch(source, mid)?);
                bisections = bisections.saturating_add(1);
            }
            Verdict::Invalid(error) => {
                return Err(BisectionError::Invalid {
                    height: candidate.height(),
                    error,
                })
            }
        }
    }
    Err(BisectionError::TooManySteps { max_steps })
}
