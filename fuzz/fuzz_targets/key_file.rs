#![no_main]
//! Fuzz target `key_file`: the body is `targets::key_file` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/key_file/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::key_file(data);
});
