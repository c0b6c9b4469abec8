//! Shared by benches/chunking.rs and benches/compression.rs: the COPY data
//! generator, the candidate chunker settings and small helpers.
#![allow(dead_code)]

pub mod cputime;
pub mod pgcopy;

use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{Criterion, SamplingMode};
use fastcdc::v2020::{FastCDC, Normalization};

use cputime::ThreadCpu;

/// Seed of every generated corpus: runs are reproducible byte for byte.
pub const SEED: u64 = 0x5047_4b45_4550; // "PGKEEP"

/// One chunker setting: min = avg/4, max = avg*4 (the shape of pgkeep's
/// default), FastCDC-2020 normalization level 1 as the writer uses.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub min: usize,
    pub avg: usize,
    pub max: usize,
}

impl Params {
    pub const fn with_avg(avg: usize) -> Params {
        Params {
            min: avg / 4,
            avg,
            max: avg * 4,
        }
    }

    pub fn label(&self) -> String {
        format!("avg={}", human(self.avg as u64))
    }

    /// Chunk lengths of `data`, in order (in-memory FastCDC, the same cut
    /// points as the writer's StreamCDC).
    pub fn cut(&self, data: &[u8]) -> Vec<usize> {
        FastCDC::with_level(data, self.min, self.avg, self.max, Normalization::Level1)
            .map(|c| c.length)
            .collect()
    }
}

/// The candidates compared; 512 KiB is pgkeep's current default.
pub const CANDIDATES: [Params; 5] = [
    Params::with_avg(128 << 10),
    Params::with_avg(256 << 10),
    Params::with_avg(512 << 10),
    Params::with_avg(1 << 20),
    Params::with_avg(2 << 20),
];

/// The repository default (must match src/repo/config.rs).
pub fn default_params() -> Params {
    let d = pgkeep::repo::ChunkerParams::default();
    assert_eq!(d.normalization, 1, "benches assume normalization level 1");
    Params {
        min: d.min_size as usize,
        avg: d.avg_size as usize,
        max: d.max_size as usize,
    }
}

/// Slices of `data` for the given chunk lengths.
pub fn slices<'a>(data: &'a [u8], lengths: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(lengths.len());
    let mut p = 0;
    for &l in lengths {
        out.push(&data[p..p + l]);
        p += l;
    }
    assert_eq!(p, data.len());
    out
}

/// True under `cargo bench` (criterion gets `--bench`); false under
/// `cargo test --benches`, where the corpus is kept tiny so the run is quick.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Corpus size: `full` bytes under `cargo bench`, 1 MiB otherwise;
/// PGKEEP_BENCH_MIB overrides.
pub fn corpus_bytes(full: usize) -> usize {
    if let Some(m) = std::env::var("PGKEEP_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        return m << 20;
    }
    if full_run() {
        full
    } else {
        1 << 20
    }
}

/// Criterion settings for a shared 2-core machine: few samples, short
/// measurement. Measures the benchmark thread's CPU time (see cputime.rs):
/// for single-threaded routines only.
pub fn criterion() -> Criterion<ThreadCpu> {
    Criterion::default()
        .with_measurement(ThreadCpu)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

/// The same with wall time, for benchmarks that run several threads.
pub fn criterion_wall() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args()
}

/// Flat sampling: every sample runs the same number of iterations (each
/// takes tens of milliseconds or more).
pub fn flat<M: Measurement>(g: &mut criterion::BenchmarkGroup<'_, M>) {
    g.sampling_mode(SamplingMode::Flat);
}

pub fn human(b: u64) -> String {
    if b >= 1 << 20 && b % (1 << 20) == 0 {
        format!("{}MiB", b >> 20)
    } else if b >= 1 << 10 && b % (1 << 10) == 0 {
        format!("{}KiB", b >> 10)
    } else {
        format!("{b}B")
    }
}

pub fn mib(b: f64) -> f64 {
    b / (1024.0 * 1024.0)
}

/// Mean, median and 99th percentile of chunk lengths.
pub fn distribution(lengths: &[usize]) -> (f64, usize, usize, usize, usize) {
    let mut v = lengths.to_vec();
    v.sort_unstable();
    let mean = v.iter().sum::<usize>() as f64 / v.len() as f64;
    let pct = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (mean, pct(0.5), pct(0.99), v[0], v[v.len() - 1])
}

/// "nproc, CPU model", printed with results.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs, {model}")
}
