#![no_main]
//! Fuzz target `copy_values`: the body is `targets::copy_values` in
//! fuzz/common/targets.rs, which tests/fuzz_corpus.rs also replays over
//! fuzz/corpus/copy_values/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::copy_values(data);
});
