#![no_main]
//! Fuzz target `copy_rows`: the body is `targets::copy_rows` in
//! fuzz/common/targets.rs, which tests/fuzz_corpus.rs also replays over
//! fuzz/corpus/copy_rows/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::copy_rows(data);
});
