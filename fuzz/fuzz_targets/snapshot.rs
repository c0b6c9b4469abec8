#![no_main]
//! Fuzz target `snapshot`: the body is `targets::snapshot` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/snapshot/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::snapshot(data);
});
