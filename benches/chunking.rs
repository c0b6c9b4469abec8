//! Chunker benchmarks: which FastCDC min/avg/max should repositories use?
//!
//! 1. A deduplication study (printed first, not timed by criterion): for each
//!    candidate average size, how many bytes a second backup of a table must
//!    store after appends or scattered updates, the chunk size distribution,
//!    and what the chunk count costs in index, manifest and memory.
//! 2. Criterion throughput, one core, of FastCDC cutting alone, BLAKE3 alone,
//!    and both together, in memory and through `StreamCDC` as
//!    src/repo/writer.rs uses it.
//!
//! `cargo bench --bench chunking`; PGKEEP_BENCH_STUDY=0 skips the study,
//! PGKEEP_BENCH_STUDY=only runs nothing else, PGKEEP_BENCH_DUMP=DIR writes
//! samples of the generated tables, PGKEEP_BENCH_COPY_FILE=FILE adds the chunk
//! size distribution of a real COPY file to the study. See benches/README.md.

mod common;

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use fastcdc::v2020::{FastCDC, Normalization, StreamCDC};
use rand::rngs::StdRng;
use rand::SeedableRng;

use common::cputime::ThreadCpu;
use common::pgcopy::{self, Table};
use common::{Params, CANDIDATES};

// ---------------------------------------------------------------------------
// Deduplication study

struct Scenario {
    name: &'static str,
    what: &'static str,
    data: Vec<u8>,
}

fn scenarios(table: Table, rows: u64) -> Vec<Scenario> {
    let sample = |k: u64, lo: u64, hi: u64, seed: u64| -> Vec<u64> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut v: Vec<u64> =
            rand::seq::index::sample(&mut rng, (hi - lo) as usize, k.max(1) as usize)
                .into_iter()
                .map(|i| lo + i as u64)
                .collect();
        v.sort_unstable();
        v
    };
    let s = common::SEED;
    vec![
        Scenario {
            name: "append 5%",
            what: "same rows, then 5% more rows appended (trailer moves)",
            data: pgcopy::copy_stream(table, s, rows + rows / 20, &[], 0),
        },
        Scenario {
            name: "update 0.1% scattered",
            what: "0.1% of rows, uniformly spread, changed in place",
            data: pgcopy::copy_stream(table, s, rows, &sample(rows / 1000, 0, rows, 11), 12),
        },
        Scenario {
            name: "update 0.01% scattered",
            what: "0.01% of rows, uniformly spread, changed in place",
            data: pgcopy::copy_stream(table, s, rows, &sample(rows / 10_000, 0, rows, 13), 14),
        },
        Scenario {
            name: "update 0.1% in newest 5%",
            what: "0.1% of rows changed, all among the newest 5% (recent orders get updated)",
            data: pgcopy::copy_stream(
                table,
                s,
                rows,
                &sample(rows / 1000, rows - rows / 20, rows, 15),
                16,
            ),
        },
    ]
}

/// Bytes per chunk of metadata, measured by encoding the real objects.
struct Overhead {
    pack_entry: f64,
    index_entry: f64,
    manifest_entry: f64,
    ram_entry: f64,
}

fn measure_overhead() -> Overhead {
    use pgkeep::repo::index::{IndexChunk, IndexFile, IndexPack, Location};
    use pgkeep::repo::snapshot::{Part, TableData};
    use pgkeep::repo::{Id, Snapshot};
    let k = 20_000usize;
    let ids: Vec<Id> = (0..k as u64).map(|i| Id::hash(&i.to_le_bytes())).collect();
    let index_of = |n: usize| IndexFile {
        packs: vec![IndexPack {
            id: Id::hash(b"pack"),
            size: 16 << 20,
            // ~32 chunks per 16 MiB pack: offsets and lengths of realistic width.
            chunks: ids[..n]
                .iter()
                .enumerate()
                .map(|(i, id)| IndexChunk {
                    id: *id,
                    offset: 16 + (i as u64 % 32) * 200_000,
                    stored_len: 150_000 + (i as u32 * 7919) % 100_000,
                    raw_len: 400_000 + (i as u32 * 104_729) % 300_000,
                    codec: 1,
                })
                .collect(),
        }],
    };
    let snap_of = |n: usize| Snapshot {
        tables: vec![TableData {
            schema: "public".into(),
            name: "t".into(),
            parts: vec![Part {
                chunks: ids[..n].to_vec(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let per = |a: usize, b: usize| (b - a) as f64 / k as f64;
    // A hash set of ids in the writer, a map id -> location in MasterIndex;
    // hashbrown adds a control byte per bucket and keeps buckets <= 7/8 full.
    let ram =
        (std::mem::size_of::<Id>() + std::mem::size_of::<(Id, Location)>() + 2) as f64 * 8.0 / 7.0;
    Overhead {
        pack_entry: pgkeep::repo::pack::ENTRY_LEN as f64,
        index_entry: per(index_of(0).encode().len(), index_of(k).encode().len()),
        manifest_entry: per(snap_of(0).encode().len(), snap_of(k).encode().len()),
        ram_entry: ram,
    }
}

fn hashes(data: &[u8], lengths: &[usize]) -> Vec<[u8; 32]> {
    common::slices(data, lengths)
        .iter()
        .map(|c| *blake3::hash(c).as_bytes())
        .collect()
}

/// Prints, per candidate, the chunk size distribution of `data` and the
/// zstd-1 ratio of its chunks; returns the chunk lengths.
fn distribution_table(
    data: &[u8],
    zstd1: &mut zstd::bulk::Compressor<'_>,
) -> Vec<(common::Params, Vec<usize>)> {
    println!("| min / avg / max | chunks | mean KiB | p50 KiB | p99 KiB | smallest KiB | largest KiB | zstd-1 ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut results = Vec::new();
    for p in CANDIDATES {
        let lengths = p.cut(data);
        let (mean, p50, p99, lo, hi) = common::distribution(&lengths);
        let stored: usize = common::slices(data, &lengths)
            .iter()
            .map(|c| zstd1.compress(c).expect("zstd").len().min(c.len()))
            .sum();
        println!(
            "| {} / {} / {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} |",
            common::human(p.min as u64),
            common::human(p.avg as u64),
            common::human(p.max as u64),
            lengths.len(),
            mean / 1024.0,
            p50 as f64 / 1024.0,
            p99 as f64 / 1024.0,
            lo as f64 / 1024.0,
            hi as f64 / 1024.0,
            data.len() as f64 / stored as f64
        );
        results.push((p, lengths));
    }
    results
}

/// Prints, for each second backup and candidate, the share of its bytes
/// that are new against `base`, new chunks / chunks, and those new bytes
/// after zstd-1.
fn dedup_table(
    base: &[u8],
    results: &[(common::Params, Vec<usize>)],
    second: &[(&str, &[u8])],
    zstd1: &mut zstd::bulk::Compressor<'_>,
) {
    print!("| second backup |");
    for p in CANDIDATES {
        print!(" avg {} |", common::human(p.avg as u64));
    }
    println!();
    print!("|---|");
    for _ in CANDIDATES {
        print!("---:|");
    }
    println!();
    for (name, data) in second {
        print!("| {name} |");
        for (p, base_lengths) in results {
            let known: HashSet<[u8; 32]> = hashes(base, base_lengths).into_iter().collect();
            let lengths = p.cut(data);
            let mut seen = HashSet::new();
            let (mut new_bytes, mut new_chunks, mut new_stored) = (0usize, 0usize, 0usize);
            for c in common::slices(data, &lengths) {
                let h = *blake3::hash(c).as_bytes();
                if !known.contains(&h) && seen.insert(h) {
                    new_bytes += c.len();
                    new_chunks += 1;
                    new_stored += zstd1.compress(c).expect("zstd").len().min(c.len());
                }
            }
            print!(
                " {:.1}% ({}/{}, {:.1} MiB) |",
                100.0 * new_bytes as f64 / data.len() as f64,
                new_chunks,
                lengths.len(),
                common::mib(new_stored as f64)
            );
        }
        println!();
    }
}

/// Throughput of the candidates measured round-robin (each round times
/// every candidate once, in thread CPU time; best of the rounds), so that
/// load changes on a shared machine hit all candidates alike. Criterion
/// below measures each candidate separately, minutes apart.
fn interleaved(data: &[u8], rounds: usize) {
    use common::cputime::thread_cpu_now;
    use std::time::Duration;
    fn timed<T>(f: impl FnOnce() -> T) -> Duration {
        let t = thread_cpu_now();
        black_box(f());
        thread_cpu_now() - t
    }
    type Op<'a> = (&'a str, &'a dyn Fn(&Params) -> Duration);
    let ops: [Op; 4] = [
        ("cut (FastCDC, in memory)", &|p: &Params| {
            timed(|| {
                FastCDC::with_level(data, p.min, p.avg, p.max, Normalization::Level1)
                    .map(|c| c.length)
                    .sum::<usize>()
            })
        }),
        ("BLAKE3 of the chunks", &|p: &Params| {
            let lengths = p.cut(data);
            let chunks = common::slices(data, &lengths);
            timed(|| {
                chunks
                    .iter()
                    .map(|c| blake3::hash(c).as_bytes()[0] as usize)
                    .sum::<usize>()
            })
        }),
        ("cut + BLAKE3 (in memory)", &|p: &Params| {
            timed(|| {
                FastCDC::with_level(data, p.min, p.avg, p.max, Normalization::Level1)
                    .map(|c| {
                        blake3::hash(&data[c.offset..c.offset + c.length]).as_bytes()[0] as usize
                    })
                    .sum::<usize>()
            })
        }),
        ("cut + BLAKE3 (StreamCDC, as the writer)", &|p: &Params| {
            timed(|| {
                StreamCDC::with_level(data, p.min, p.avg, p.max, Normalization::Level1)
                    .map(|c| pgkeep::repo::Id::hash(&c.expect("in-memory read").data).0[0] as usize)
                    .sum::<usize>()
            })
        }),
    ];
    let mut best = vec![vec![Duration::MAX; CANDIDATES.len()]; ops.len()];
    for _ in 0..rounds {
        for (o, (_, f)) in ops.iter().enumerate() {
            for (i, p) in CANDIDATES.iter().enumerate() {
                best[o][i] = best[o][i].min(f(p));
            }
        }
    }
    println!(
        "Throughput on one core, MiB/s of table data ({:.0} MiB of `orders`; thread CPU time, best of {rounds} \
         round-robin rounds):\n",
        common::mib(data.len() as f64)
    );
    print!("| operation |");
    for p in CANDIDATES {
        print!(" avg {} |", common::human(p.avg as u64));
    }
    println!();
    print!("|---|");
    for _ in CANDIDATES {
        print!("---:|");
    }
    println!();
    for (o, (name, _)) in ops.iter().enumerate() {
        print!("| {name} |");
        for b in &best[o] {
            print!(" {:.0} |", common::mib(data.len() as f64) / b.as_secs_f64());
        }
        println!();
    }
    println!();
}

fn study() {
    pgcopy::self_check();
    let bytes = common::corpus_bytes(64 << 20);
    let ov = measure_overhead();
    println!(
        "\n## Chunking study ({}; {} MiB per table, seed {:#x})\n",
        common::machine(),
        bytes >> 20,
        common::SEED
    );
    println!(
        "Per-chunk metadata, measured by encoding real objects: pack table {:.0} B, index file {:.1} B, \
         snapshot manifest {:.1} B per reference; RAM while writing (index map + writer's id set) ~{:.0} B.\n",
        ov.pack_entry, ov.index_entry, ov.manifest_entry, ov.ram_entry
    );
    let mut zstd1 = zstd::bulk::Compressor::new(1).expect("zstd");
    for table in Table::ALL {
        let rows = pgcopy::rows_for_bytes(table, common::SEED, bytes);
        let base = pgcopy::copy_stream(table, common::SEED, rows, &[], 0);
        assert_eq!(pgcopy::check_stream(&base), rows);
        let scen = scenarios(table, rows);
        for s in &scen {
            pgcopy::check_stream(&s.data);
        }
        println!(
            "### Table `{}`: {} rows, {:.1} MiB, {:.0} bytes per row\n",
            table.name(),
            rows,
            common::mib(base.len() as f64),
            base.len() as f64 / rows as f64
        );
        for s in &scen {
            println!(
                "- {}: {} ({:.1} MiB)",
                s.name,
                s.what,
                common::mib(s.data.len() as f64)
            );
        }
        println!();
        println!("Chunk sizes of the first backup, and zstd level 1 on those chunks:\n");
        let results = distribution_table(&base, &mut zstd1);
        println!();
        println!(
            "Second backup against the first: share of its bytes that are new (must be stored), \
             new chunks / chunks, and new bytes after zstd-1:\n"
        );
        let scen: Vec<(&str, &[u8])> = scen.iter().map(|s| (s.name, &s.data[..])).collect();
        dedup_table(&base, &results, &scen, &mut zstd1);
        println!();
    }
    // Real COPY files, to compare with the generated data: the first is
    // chunked, later ones are deduplicated against it.
    if let Ok(paths) = std::env::var("PGKEEP_BENCH_COPY_FILE") {
        let files: Vec<(String, Vec<u8>)> = paths
            .split(',')
            .map(|p| {
                (
                    p.to_string(),
                    std::fs::read(p).expect("PGKEEP_BENCH_COPY_FILE"),
                )
            })
            .collect();
        let (first, data) = &files[0];
        println!(
            "### File {first}: {:.1} MiB\n",
            common::mib(data.len() as f64)
        );
        let results = distribution_table(data, &mut zstd1);
        println!();
        if files.len() > 1 {
            println!("Later files against {first}:\n");
            let later: Vec<(&str, &[u8])> = files[1..]
                .iter()
                .map(|(p, d)| (p.as_str(), &d[..]))
                .collect();
            dedup_table(data, &results, &later, &mut zstd1);
            println!();
        }
    }
    let rows = pgcopy::rows_for_bytes(Table::Orders, common::SEED, bytes);
    let base = pgcopy::copy_stream(Table::Orders, common::SEED, rows, &[], 0);
    interleaved(&base, if common::full_run() { 5 } else { 1 });
    println!("Metadata per TiB of table data (chunk count from the mean chunk size above, orders table):\n");
    println!(
        "| avg | chunks per TiB | manifest per snapshot | index files + pack tables | writer RAM |"
    );
    println!("|---|---:|---:|---:|---:|");
    for p in CANDIDATES {
        let lengths = p.cut(&base);
        let mean = base.len() as f64 / lengths.len() as f64;
        let chunks = (1u64 << 40) as f64 / mean;
        println!(
            "| {} | {:.2} M | {:.0} MiB | {:.0} MiB | {:.0} MiB |",
            common::human(p.avg as u64),
            chunks / 1e6,
            common::mib(chunks * ov.manifest_entry),
            common::mib(chunks * (ov.index_entry + ov.pack_entry)),
            common::mib(chunks * ov.ram_entry)
        );
    }
    println!();
}

// ---------------------------------------------------------------------------
// Throughput

fn throughput(c: &mut Criterion<ThreadCpu>) {
    let bytes = common::corpus_bytes(64 << 20);
    let (data, rows) = pgcopy::copy_stream_of_size(Table::Orders, common::SEED, bytes);
    assert_eq!(pgcopy::check_stream(&data), rows);
    let data = &data[..];
    let n = data.len() as u64;

    let mut g = c.benchmark_group("cut");
    common::flat(&mut g);
    g.throughput(Throughput::Bytes(n));
    for p in CANDIDATES {
        g.bench_with_input(BenchmarkId::from_parameter(p.label()), &p, |b, p| {
            b.iter(|| {
                let mut total = 0usize;
                for ch in
                    FastCDC::with_level(black_box(data), p.min, p.avg, p.max, Normalization::Level1)
                {
                    total += ch.length;
                }
                assert_eq!(total, data.len());
                total
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("cut_stream");
    common::flat(&mut g);
    g.throughput(Throughput::Bytes(n));
    for p in CANDIDATES {
        g.bench_with_input(BenchmarkId::from_parameter(p.label()), &p, |b, p| {
            b.iter(|| {
                let mut total = 0usize;
                for ch in StreamCDC::with_level(
                    black_box(data),
                    p.min,
                    p.avg,
                    p.max,
                    Normalization::Level1,
                ) {
                    total += ch.expect("in-memory read").data.len();
                }
                assert_eq!(total, data.len());
                total
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("blake3");
    common::flat(&mut g);
    g.throughput(Throughput::Bytes(n));
    for p in CANDIDATES {
        let chunks = common::slices(data, &p.cut(data));
        g.bench_with_input(
            BenchmarkId::from_parameter(p.label()),
            &chunks,
            |b, chunks| {
                b.iter(|| {
                    let mut x = 0u8;
                    for ch in chunks {
                        x ^= blake3::hash(black_box(ch)).as_bytes()[0];
                    }
                    x
                })
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("cut_hash");
    common::flat(&mut g);
    g.throughput(Throughput::Bytes(n));
    for p in CANDIDATES {
        g.bench_with_input(BenchmarkId::from_parameter(p.label()), &p, |b, p| {
            b.iter(|| {
                let mut x = 0u8;
                for ch in
                    FastCDC::with_level(black_box(data), p.min, p.avg, p.max, Normalization::Level1)
                {
                    x ^= blake3::hash(&data[ch.offset..ch.offset + ch.length]).as_bytes()[0];
                }
                x
            })
        });
    }
    g.finish();

    // What the writer's chunker thread does per stream: StreamCDC (one Vec
    // per chunk) and the chunk id.
    let mut g = c.benchmark_group("cut_hash_stream");
    common::flat(&mut g);
    g.throughput(Throughput::Bytes(n));
    for p in CANDIDATES {
        g.bench_with_input(BenchmarkId::from_parameter(p.label()), &p, |b, p| {
            b.iter(|| {
                let mut x = 0u8;
                for ch in StreamCDC::with_level(
                    black_box(data),
                    p.min,
                    p.avg,
                    p.max,
                    Normalization::Level1,
                ) {
                    let ch = ch.expect("in-memory read");
                    x ^= pgkeep::repo::Id::hash(&ch.data).0[0];
                }
                x
            })
        });
    }
    g.finish();
}

/// PGKEEP_BENCH_DUMP=DIR writes a sample of each generated table there
/// (`<table>.copy`, 20,000 rows), e.g. to load it into PostgreSQL with
/// `COPY ... FROM '<file>' (FORMAT binary)` and look at it.
fn dump(dir: &str) {
    for table in Table::ALL {
        let data = pgcopy::copy_stream(table, common::SEED, 20_000, &[5, 777, 19_999], 1);
        let path = std::path::Path::new(dir).join(format!("{}.copy", table.name()));
        std::fs::write(&path, data).expect("write sample");
        println!("wrote {}", path.display());
    }
}

fn main() {
    if let Ok(dir) = std::env::var("PGKEEP_BENCH_DUMP") {
        return dump(&dir);
    }
    let mode = std::env::var("PGKEEP_BENCH_STUDY").unwrap_or_default();
    if mode != "0" {
        study();
    }
    if mode == "only" {
        return;
    }
    let mut c = common::criterion();
    throughput(&mut c);
    c.final_summary();
}
