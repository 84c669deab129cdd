//! `cargo fuzz run cli_files`: see [`ferry_fuzz::cli_files`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::cli_files(data));
