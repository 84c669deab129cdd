//! `cargo fuzz run protobuf`: see [`ferry_fuzz::protobuf`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::protobuf(data));
