#![no_main]
//! Fuzz target `index`: the body is `targets::index` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/index/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::index(data);
});
