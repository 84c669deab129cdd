//! Finding the blocks that hold packet events without an event index.
//!
//! A node's transaction index (`tx_search`) answers in time for a few hundred packets but
//! not for a long history: simd v0.53 took 14.7 s (and then dropped the connection) to page
//! through 12,000 `send_packet` events of one channel. Its `block_results` answers in about
//! 10 ms, so Ferry reads packet events block by block: new blocks as they come, and for the
//! packets it has not seen (at start, after a restart) the blocks that hold them, found by
//! binary search over heights on state that only grows: a channel's `nextSequenceSend` on
//! the source (a packet `s` was sent by height `h` iff `nextSequenceSend(h) > s`), the
//! destination's receipts (`UnreceivedPackets` at `h`), whose block holds the
//! `write_acknowledgement` of a synchronous acknowledgement.
//!
//! [`locate`] searches for many sequences at once: one query splits every sequence in an
//! interval of heights, so `k` send heights in `n` blocks cost about `k * log2(n / k)`
//! queries, and the queries of one round of splitting run concurrently.

use std::collections::BTreeMap;
use std::future::Future;

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};

/// How many queries run at once.
pub const CONCURRENCY: usize = 8;

/// The height in `lo..=hi` at which each of `seqs` happened, by binary search: every one
/// of `seqs` is taken to have happened by `hi`, and `happened(h, seqs)` returns those of
/// `seqs` that had happened by height `h` (a query of the state at `h`, monotone in `h`).
/// Returns, per height, the sequences that happened there. A sequence that happened
/// before `lo` is reported at `lo` (the caller then finds it absent from that block).
/// Errors of `happened` end the search.
pub async fn locate<F, Fut, E>(
    seqs: Vec<u64>,
    lo: u64,
    hi: u64,
    happened: F,
) -> Result<BTreeMap<u64, Vec<u64>>, E>
where
    F: Fn(u64, Vec<u64>) -> Fut,
    Fut: Future<Output = Result<Vec<u64>, E>>,
{
    let mut found: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut open: Vec<(u64, u64, Vec<u64>)> = Vec::new();
    if !seqs.is_empty() {
        open.push((lo.min(hi), hi, seqs));
    }
    while !open.is_empty() {
        let mut todo = Vec::new();
        for (lo, hi, seqs) in open.drain(..) {
            if lo >= hi {
                found.entry(lo).or_default().extend(seqs);
            } else {
                todo.push((lo, hi, seqs));
            }
        }
        let happened = &happened;
        let answers: Vec<_> = stream::iter(todo.into_iter().map(|(lo, hi, seqs)| async move {
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            let by = happened(mid, seqs.clone()).await?;
            Ok::<_, E>((lo, mid, hi, seqs, by))
        }))
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
        for (lo, mid, hi, seqs, by) in answers {
            let (early, late): (Vec<u64>, Vec<u64>) =
                seqs.into_iter().partition(|s| by.contains(s));
            if !early.is_empty() {
                open.push((lo, mid, early));
            }
            if !late.is_empty() {
                open.push((mid.saturating_add(1), hi, late));
            }
        }
    }
    for seqs in found.values_mut() {
        seqs.sort_unstable();
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A chain whose packet `s` was sent at `at[s]`: `nextSequenceSend(h)` is one more than
    /// the highest sequence sent by `h`.
    fn search(
        at: &BTreeMap<u64, u64>,
        seqs: Vec<u64>,
        lo: u64,
        hi: u64,
    ) -> (BTreeMap<u64, Vec<u64>>, usize) {
        let queries = Cell::new(0usize);
        let found = run(locate(seqs, lo, hi, |h, seqs: Vec<u64>| {
            queries.set(queries.get() + 1);
            let by: Vec<u64> = seqs.into_iter().filter(|s| at[s] <= h).collect();
            async move { Ok::<_, ()>(by) }
        }))
        .unwrap();
        (found, queries.get())
    }

    #[test]
    fn finds_every_height_dense_and_sparse() {
        // 1,000 packets in 10 blocks near the top of a million, and three old stragglers.
        let mut at = BTreeMap::new();
        for s in 1..=1000u64 {
            at.insert(s, 999_900 + s / 100);
        }
        at.insert(1001, 17);
        at.insert(1002, 500_000);
        at.insert(1003, 500_001);
        let seqs: Vec<u64> = at.keys().copied().collect();
        let (found, queries) = search(&at, seqs, 1, 1_000_000);
        let mut expect: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (s, h) in &at {
            expect.entry(*h).or_default().push(*s);
        }
        assert_eq!(found, expect);
        // 14 heights: about 14 * 20 queries at most, far below one per block.
        assert!(queries <= 14 * 20, "{queries} queries");
    }

    #[test]
    fn one_height_and_nothing() {
        let at: BTreeMap<u64, u64> = [(5, 42)].into_iter().collect();
        let (found, _) = search(&at, vec![5], 1, 100);
        assert_eq!(found, [(42, vec![5])].into_iter().collect());
        let (found, queries) = search(&at, vec![], 1, 100);
        assert!(found.is_empty());
        assert_eq!(queries, 0);
        // lo == hi: no query, the one height.
        let (found, queries) = search(&at, vec![5], 42, 42);
        assert_eq!(found, [(42, vec![5])].into_iter().collect());
        assert_eq!(queries, 0);
    }

    #[test]
    fn before_the_range_lands_on_its_first_height() {
        // Sent at 3, but the node keeps state from 10 only.
        let at: BTreeMap<u64, u64> = [(1, 3), (2, 50)].into_iter().collect();
        let (found, _) = search(&at, vec![1, 2], 10, 100);
        assert_eq!(found, [(10, vec![1]), (50, vec![2])].into_iter().collect());
    }

    #[test]
    fn errors_end_the_search() {
        let r = run(locate(vec![1, 2], 1, 100, |h, seqs| async move {
            if h < 40 {
                Err(format!("pruned at {h}"))
            } else {
                Ok(seqs)
            }
        }));
        assert_eq!(r, Err("pruned at 25".to_string()));
    }
}
