//! Compression benchmarks: which zstd level, and what a backup costs per core.
//!
//! - zstd levels -1, 1, 2, 3 on the chunks pgkeep's default chunker cuts
//!   (512 KiB average) from generated COPY BINARY data: compression ratio
//!   and a round-robin best-of-5 timing of every level (printed first), then
//!   criterion's compress and decompress MiB/s on one core.
//! - The writer's per-chunk work on one core: StreamCDC cut + BLAKE3 +
//!   `pack::encode_blob` (zstd), in MiB/s of table data.
//! - End to end through the library: `Repository::init` in a temporary
//!   directory, `begin_backup` with 1 and 2 compression threads,
//!   `write_reader` of one stream, `commit` (packs and index fsynced), with
//!   the repository on the temporary directory's disk and on /dev/shm.
//!
//! `cargo bench --bench compression`; PGKEEP_BENCH_STUDY=only prints the
//! summary tables and skips criterion. See benches/README.md.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use fastcdc::v2020::{Normalization, StreamCDC};

use common::cputime::{thread_cpu_now, ThreadCpu};
use common::pgcopy::{self, Table};
use pgkeep::repo::config::DEFAULT_PACK_SIZE;
use pgkeep::repo::snapshot::{Part, TableData};
use pgkeep::repo::{ChunkerParams, CompressionParams, Id, RepoConfig, Repository, Snapshot};

/// zstd levels compared. Negative levels are zstd's "fast" modes; pgkeep's
/// config accepts only 1..=19 today.
const LEVELS: [i32; 4] = [-1, 1, 2, 3];

struct Corpus {
    table: Table,
    data: Vec<u8>,
    /// Chunk lengths with the repository's default chunker.
    lengths: Vec<usize>,
}

fn corpora() -> Vec<Corpus> {
    let bytes = common::corpus_bytes(32 << 20);
    let p = common::default_params();
    Table::ALL
        .iter()
        .map(|&table| {
            let (data, rows) = pgcopy::copy_stream_of_size(table, common::SEED, bytes);
            assert_eq!(pgcopy::check_stream(&data), rows);
            let lengths = p.cut(&data);
            Corpus {
                table,
                data,
                lengths,
            }
        })
        .collect()
}

/// Best of `rounds` thread-CPU timings of `f`.
fn best_of(rounds: usize, mut f: impl FnMut() -> usize) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let t = thread_cpu_now();
        black_box(f());
        best = best.min(thread_cpu_now() - t);
    }
    best
}

/// One table per corpus: for each level, the compression ratio and, on one
/// core (thread CPU time, best of a few rounds, levels measured round-robin
/// so that load changes hit them alike), compress, decompress and the
/// writer's whole per-chunk work (StreamCDC cut + BLAKE3 + encode_blob).
fn print_summary(corpora: &[Corpus]) {
    let rounds = if common::full_run() { 5 } else { 1 };
    let p = common::default_params();
    println!(
        "\n## zstd on 512 KiB-average chunks ({})\n",
        common::machine()
    );
    for c in corpora {
        let chunks = common::slices(&c.data, &c.lengths);
        let mib = common::mib(c.data.len() as f64);
        println!(
            "### `{}`: {:.1} MiB, {} chunks (MiB/s of table data on one core: thread CPU time, best of {rounds})\n",
            c.table.name(),
            mib,
            c.lengths.len()
        );
        println!("| zstd level | ratio | compress MiB/s | decompress MiB/s | cut + BLAKE3 + compress MiB/s |");
        println!("|---:|---:|---:|---:|---:|");
        let mut comp: Vec<zstd::bulk::Compressor<'static>> = LEVELS
            .iter()
            .map(|&l| zstd::bulk::Compressor::new(l).expect("zstd level"))
            .collect();
        let stored: Vec<Vec<Vec<u8>>> = comp
            .iter_mut()
            .map(|z| {
                chunks
                    .iter()
                    .map(|ch| z.compress(ch).expect("zstd"))
                    .collect()
            })
            .collect();
        let mut d = zstd::bulk::Decompressor::new().expect("zstd");
        let mut out = vec![0u8; p.max];
        let mut best = vec![[Duration::MAX; 3]; LEVELS.len()];
        for _ in 0..rounds {
            for (i, z) in comp.iter_mut().enumerate() {
                let t = best_of(1, || {
                    chunks
                        .iter()
                        .map(|ch| z.compress(ch).expect("zstd").len())
                        .sum()
                });
                best[i][0] = best[i][0].min(t);
                let t = best_of(1, || {
                    stored[i]
                        .iter()
                        .map(|s| d.decompress_to_buffer(&s[..], &mut out[..]).expect("zstd"))
                        .sum()
                });
                best[i][1] = best[i][1].min(t);
                let t = best_of(1, || {
                    StreamCDC::with_level(&c.data[..], p.min, p.avg, p.max, Normalization::Level1)
                        .map(|ch| {
                            let ch = ch.expect("in-memory read");
                            let id = Id::hash(&ch.data);
                            pgkeep::repo::pack::encode_blob(z, &ch.data).1.len() + id.0[0] as usize
                        })
                        .sum()
                });
                best[i][2] = best[i][2].min(t);
            }
        }
        for (i, level) in LEVELS.iter().enumerate() {
            let total: usize = stored[i].iter().map(|s| s.len()).sum();
            println!(
                "| {level} | {:.2} | {:.0} | {:.0} | {:.0} |",
                c.data.len() as f64 / total as f64,
                mib / best[i][0].as_secs_f64(),
                mib / best[i][1].as_secs_f64(),
                mib / best[i][2].as_secs_f64()
            );
        }
        println!();
    }
}

fn zstd_benches(c: &mut Criterion<ThreadCpu>, corpora: &[Corpus]) {
    for corpus in corpora {
        let chunks = common::slices(&corpus.data, &corpus.lengths);
        let n = corpus.data.len() as u64;

        let mut g = c.benchmark_group(format!("zstd_compress/{}", corpus.table.name()));
        common::flat(&mut g);
        g.throughput(Throughput::Bytes(n));
        for level in LEVELS {
            let mut z = zstd::bulk::Compressor::new(level).expect("zstd level");
            g.bench_function(BenchmarkId::from_parameter(format!("level={level}")), |b| {
                b.iter(|| {
                    let mut total = 0;
                    for ch in &chunks {
                        total += z.compress(black_box(ch)).expect("zstd").len();
                    }
                    total
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("zstd_decompress/{}", corpus.table.name()));
        common::flat(&mut g);
        g.throughput(Throughput::Bytes(n));
        for level in LEVELS {
            let mut z = zstd::bulk::Compressor::new(level).expect("zstd level");
            let stored: Vec<(Vec<u8>, usize)> = chunks
                .iter()
                .map(|ch| (z.compress(ch).expect("zstd"), ch.len()))
                .collect();
            let mut d = zstd::bulk::Decompressor::new().expect("zstd");
            let mut out = vec![0u8; common::default_params().max];
            g.bench_function(BenchmarkId::from_parameter(format!("level={level}")), |b| {
                b.iter(|| {
                    let mut total = 0;
                    for (s, raw) in &stored {
                        let k = d
                            .decompress_to_buffer(black_box(&s[..]), &mut out[..])
                            .expect("zstd");
                        assert_eq!(k, *raw);
                        total += k;
                    }
                    total
                })
            });
        }
        g.finish();
    }
}

/// Everything the writer does to a chunk on the CPU, on one core: cut
/// (StreamCDC, as writer.rs), BLAKE3 id, zstd through `pack::encode_blob`.
fn pipeline_benches(c: &mut Criterion<ThreadCpu>, corpora: &[Corpus]) {
    let p = common::default_params();
    for corpus in corpora {
        let data = &corpus.data[..];
        let mut g = c.benchmark_group(format!("pipeline/{}", corpus.table.name()));
        common::flat(&mut g);
        g.throughput(Throughput::Bytes(data.len() as u64));
        for level in [1, 3] {
            let mut z = zstd::bulk::Compressor::new(level).expect("zstd level");
            g.bench_function(
                BenchmarkId::from_parameter(format!("cut+blake3+zstd{level}")),
                |b| {
                    b.iter(|| {
                        let mut stored = 0;
                        for ch in StreamCDC::with_level(
                            black_box(data),
                            p.min,
                            p.avg,
                            p.max,
                            Normalization::Level1,
                        ) {
                            let ch = ch.expect("in-memory read");
                            let id = Id::hash(&ch.data);
                            let (_, blob) = pgkeep::repo::pack::encode_blob(&mut z, &ch.data);
                            stored += blob.len() + id.0[0] as usize;
                        }
                        stored
                    })
                },
            );
        }
        g.finish();
    }
}

/// One backup of one stream into a fresh repository; returns the wall time
/// from `begin_backup` to the end of `commit`.
fn backup_once(data: &[u8], threads: usize, on: Disk, report: bool) -> Duration {
    let dir = match on {
        Disk::Tmp => tempfile::tempdir(),
        Disk::Shm => tempfile::tempdir_in("/dev/shm"),
    }
    .expect("tempdir");
    let config = RepoConfig::new(
        ChunkerParams::default(),
        CompressionParams::default(),
        DEFAULT_PACK_SIZE,
    )
    .expect("default config is valid");
    let repo = Repository::init(&dir.path().join("repo"), config).expect("init");
    let start = Instant::now();
    let cpu_start = common::cputime::process_cpu_now();
    let session = repo.begin_backup("bench", threads).expect("begin_backup");
    let summary = session.write_reader("t", data).expect("write_reader");
    let snap = Snapshot {
        tables: vec![TableData {
            schema: "public".into(),
            name: "t".into(),
            raw_bytes: summary.raw_bytes,
            parts: vec![Part {
                raw_bytes: summary.raw_bytes,
                new_stored_bytes: summary.new_stored_bytes,
                chunks: summary.chunks.clone(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    session.commit(&snap).expect("commit");
    let took = start.elapsed();
    let cpu = common::cputime::process_cpu_now() - cpu_start;
    assert_eq!(summary.raw_bytes, data.len() as u64);
    if report {
        println!(
            "  one run on {}, {} compression thread(s): {} chunks ({} new), {:.1} MiB stored, \
             {:.0} ms wall ({:.0} MiB/s), {:.0} ms CPU in all threads ({:.0} MiB per CPU-second)",
            on.name(),
            threads,
            summary.chunks.len(),
            summary.new_chunks,
            common::mib(summary.new_stored_bytes as f64),
            took.as_secs_f64() * 1e3,
            common::mib(data.len() as f64) / took.as_secs_f64(),
            cpu.as_secs_f64() * 1e3,
            common::mib(data.len() as f64) / cpu.as_secs_f64()
        );
    }
    took
}

/// Where the benchmark repository lives.
#[derive(Clone, Copy)]
enum Disk {
    /// The system temporary directory (a real disk here): fsyncs cost.
    Tmp,
    /// tmpfs: no I/O wait, so the CPU side of the writer shows.
    Shm,
}

impl Disk {
    fn name(self) -> &'static str {
        match self {
            Disk::Tmp => "tmp",
            Disk::Shm => "shm",
        }
    }
}

fn repo_benches(c: &mut Criterion, corpora: &[Corpus]) {
    let mut disks = vec![Disk::Tmp];
    if std::path::Path::new("/dev/shm").is_dir() {
        disks.push(Disk::Shm);
    }
    for corpus in corpora {
        let data = &corpus.data[..];
        println!(
            "repo_backup/{} ({:.1} MiB stream):",
            corpus.table.name(),
            common::mib(data.len() as f64)
        );
        for &on in &disks {
            for threads in [1, 2] {
                backup_once(data, threads, on, true);
            }
        }
        let mut g = c.benchmark_group(format!("repo_backup/{}", corpus.table.name()));
        common::flat(&mut g);
        g.throughput(Throughput::Bytes(data.len() as u64));
        for &on in &disks {
            for threads in [1usize, 2] {
                g.bench_function(
                    BenchmarkId::from_parameter(format!("{}/threads={threads}", on.name())),
                    |b| {
                        b.iter_custom(|iters| {
                            (0..iters)
                                .map(|_| backup_once(data, threads, on, false))
                                .sum()
                        })
                    },
                );
            }
        }
        g.finish();
    }
}

fn main() {
    pgcopy::self_check();
    let corpora = corpora();
    print_summary(&corpora);
    if std::env::var("PGKEEP_BENCH_STUDY").as_deref() == Ok("only") {
        return;
    }
    let mut c = common::criterion();
    zstd_benches(&mut c, &corpora);
    pipeline_benches(&mut c, &corpora);
    c.final_summary();
    // Several threads: wall time.
    let mut c = common::criterion_wall();
    repo_benches(&mut c, &corpora);
    c.final_summary();
}
