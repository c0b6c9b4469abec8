#![no_main]
//! Fuzz target `payload_msgpack`: the body is `targets::payload_msgpack` in fuzz/common/targets.rs,
//! which tests/fuzz_corpus.rs also replays over fuzz/corpus/payload_msgpack/.

#[path = "../common/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::payload_msgpack(data);
});
