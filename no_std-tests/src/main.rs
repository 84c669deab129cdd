//! A `#![no_std]` `#![no_main]` host binary: verifies the embedded 4-validator fixture
//! (adjacent h1 -> h2 and skipping h1 -> h5, plus a forged signature that must fail) and exits
//! 0 on success. It defines its own panic handler and no global allocator, so the build fails
//! if `std` or `alloc` is anywhere in ferry-verifier's dependency graph.
#![no_std]
#![no_main]

use core::panic::PanicInfo;
use core::time::Duration;

use ferry_verifier::block::{
    BlockId, Commit, CommitSig, Header, LightBlock, PartSetHeader, SignedHeader, Version,
};
use ferry_verifier::{
    verify, Address, AppHash, ChainId, Hash, Height, Options, PublicKey, Signature, Time,
    TrustedState, Validator, ValidatorSet, Verdict, Zebra,
};

include!(concat!(env!("OUT_DIR"), "/fixture.rs"));

extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn exit(code: i32) -> !;
}

#[link(name = "c")]
extern "C" {}

fn say(s: &str) {
    // SAFETY: writes `s.len()` bytes of a valid buffer to stdout.
    unsafe {
        write(1, s.as_ptr(), s.len());
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    say("ferry-no-std-tests: panic\n");
    // SAFETY: libc exit.
    unsafe { exit(101) }
}

fn run() -> Option<bool> {
    let (h1, h2, h5) = (h1()?, h2()?, h5()?);
    let now = Time::parse_rfc3339("2025-01-01T00:01:00Z").ok()?;
    let opts = Options {
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        clock_drift: Duration::from_secs(10),
        ..Options::default()
    };
    let trusted = TrustedState::from_light_block(&h1);
    let adjacent = verify(&Zebra, &trusted, &h2, now, &opts) == Verdict::Success;
    let skipping = verify(&Zebra, &trusted, &h5, now, &opts) == Verdict::Success;
    let mut forged = h2.clone();
    if let Some(CommitSig::Commit { signature, .. }) =
        forged.signed_header.commit.signatures.get_mut(0)
    {
        signature.0[0] ^= 1;
    }
    let rejected = matches!(
        verify(&Zebra, &trusted, &forged, now, &opts),
        Verdict::Invalid(_)
    );
    say(if adjacent {
        "adjacent h1->h2: success\n"
    } else {
        "adjacent h1->h2: FAILED\n"
    });
    say(if skipping {
        "skipping h1->h5: success\n"
    } else {
        "skipping h1->h5: FAILED\n"
    });
    say(if rejected {
        "forged signature: rejected\n"
    } else {
        "forged signature: ACCEPTED\n"
    });
    Some(adjacent && skipping && rejected)
}

/// The precompiled `core` references the unwinding personality even under `panic = "abort"`;
/// nothing unwinds here, so it is never called.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    match run() {
        Some(true) => {
            say("ferry-no-std-tests: ok\n");
            0
        }
        _ => {
            say("ferry-no-std-tests: FAILED\n");
            1
        }
    }
}
