//! RFC 6962 Merkle trees as CometBFT's `crypto/merkle.HashFromByteSlices`, without heap.
//!
//! Leaf hash: `sha256(0x00 || leaf)`; inner hash: `sha256(0x01 || left || right)`; a tree of
//! `n > 1` leaves splits at the largest power of two strictly below `n`; the empty tree hashes
//! to `sha256("")`.

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 digest.
pub type Digest32 = [u8; 32];

/// `sha256(data)`.
pub fn sha256(data: &[u8]) -> Digest32 {
    Sha256::digest(data).into()
}

/// `sha256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Digest32 {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// `sha256(0x01 || left || right)`.
pub fn inner_hash(left: &Digest32, right: &Digest32) -> Digest32 {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    let p = usize::BITS.saturating_sub(n.saturating_sub(1).leading_zeros());
    1usize.checked_shl(p.saturating_sub(1)).unwrap_or(1)
}

/// Root of the tree whose `i`-th leaf hash is `leaf(i)` for `i` in `0..n`.
///
/// Recursion depth is `ceil(log2 n)`; no memory beyond the stack frames is used.
pub fn root_from_leaf_hashes<F: FnMut(usize) -> Digest32>(n: usize, mut leaf: F) -> Digest32 {
    fn go<F: FnMut(usize) -> Digest32>(start: usize, n: usize, leaf: &mut F) -> Digest32 {
        match n {
            0 => sha256(&[]),
            1 => leaf(start),
            _ => {
                let k = split_point(n);
                let left = go(start, k, leaf);
                let right = go(start.saturating_add(k), n.saturating_sub(k), leaf);
                inner_hash(&left, &right)
            }
        }
    }
    go(0, n, &mut leaf)
}

/// `HashFromByteSlices(items)`.
pub fn hash_from_byte_slices(items: &[&[u8]]) -> Digest32 {
    root_from_leaf_hashes(items.len(), |i| {
        leaf_hash(items.get(i).copied().unwrap_or(&[]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(300), 256);
    }

    #[test]
    fn shapes_follow_rfc6962() {
        let l: [&[u8]; 3] = [b"a", b"b", b"c"];
        let expected = inner_hash(
            &inner_hash(&leaf_hash(b"a"), &leaf_hash(b"b")),
            &leaf_hash(b"c"),
        );
        assert_eq!(hash_from_byte_slices(&l), expected);
    }
}
