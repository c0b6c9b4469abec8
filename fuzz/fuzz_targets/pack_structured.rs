#![no_main]
//! Fuzz target `pack_structured`: the body is `targets::pack_structured` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/pack_structured/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::pack_structured(data);
});
