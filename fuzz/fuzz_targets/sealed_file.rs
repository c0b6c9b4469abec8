#![no_main]
//! Fuzz target `sealed_file`: the body is `targets::sealed_file` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/sealed_file/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::sealed_file(data);
});
