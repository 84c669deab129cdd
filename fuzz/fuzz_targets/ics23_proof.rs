//! `cargo fuzz run ics23_proof`: see [`ferry_fuzz::ics23_proof`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::ics23_proof(data));
