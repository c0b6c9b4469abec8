#![no_main]
//! Fuzz target `pack`: the body is `targets::pack` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/pack/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::pack(data);
});
