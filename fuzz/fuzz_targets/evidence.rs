//! `cargo fuzz run evidence`: see [`ferry_fuzz::evidence`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::evidence(data));
