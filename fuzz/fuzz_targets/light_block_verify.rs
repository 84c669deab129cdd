//! `cargo fuzz run light_block_verify`: see [`ferry_fuzz::light_block_verify`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::light_block_verify(data));
