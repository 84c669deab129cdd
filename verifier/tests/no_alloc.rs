//! The commit path allocates nothing: a counting global allocator sees zero allocations while
//! light blocks are verified (adjacent and skipping) with one-at-a-time signature checks.
//! Run it also built without `alloc` (`--no-default-features --features zebra,serde`), where
//! the default backend itself cannot batch.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use ferry_verifier::*;
use support::*;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (out, COUNT.with(|c| c.get()))
}

#[test]
fn verification_does_not_allocate() {
    let Some(root) = fixtures() else { return };
    let opts = Options {
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        clock_drift: Duration::from_secs(10),
        ..Options::default()
    };
    // The counter itself works.
    let (_, n) = allocations_during(|| vec![1u8; 10]);
    assert_eq!(n, 1);
    for size in ["4", "32", "150"] {
        let dir = root.join(size);
        let h1: LightBlock = read_json(&dir.join("light_block_1.json"));
        let h2: LightBlock = read_json(&dir.join("light_block_2.json"));
        let h100: LightBlock = read_json(&dir.join("light_block_100.json"));
        let now = Time::parse_rfc3339("2025-01-01T00:08:45Z").unwrap();
        let trusted = TrustedState::from_light_block(&h1);
        for block in [&h2, &h100] {
            let (v, n) = allocations_during(|| verify(&Single(Zebra), &trusted, block, now, &opts));
            assert_eq!(v, Verdict::Success);
            assert_eq!(n, 0, "{size} validators: {n} allocations");
            // A failing verification allocates nothing either.
            let mut bad = block.clone();
            bad.signed_header.commit.round += 1;
            let (v, n) = allocations_during(|| verify(&Single(Zebra), &trusted, &bad, now, &opts));
            assert!(matches!(v, Verdict::Invalid(_)));
            assert_eq!(n, 0);
        }
        // Without `alloc`, the default backend cannot batch: it must not allocate either.
        #[cfg(not(feature = "alloc"))]
        {
            let (v, n) = allocations_during(|| verify(&Zebra, &trusted, &h100, now, &opts));
            assert_eq!(v, Verdict::Success);
            assert_eq!(n, 0);
        }
    }
}
