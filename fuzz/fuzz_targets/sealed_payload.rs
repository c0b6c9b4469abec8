#![no_main]
//! Fuzz target `sealed_payload`: the body is `targets::sealed_payload` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/sealed_payload/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::sealed_payload(data);
});
