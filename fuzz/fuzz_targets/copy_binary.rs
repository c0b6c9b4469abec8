#![no_main]
//! Fuzz target `copy_binary`: the body is `targets::copy_binary` in
//! fuzz/common/targets.rs, which tests/fuzz_corpus.rs also replays over
//! fuzz/corpus/copy_binary/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::copy_binary(data);
});
