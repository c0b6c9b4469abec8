//! Whatever goes into the repository comes back bit-exact: any byte stream,
//! through the blocking and the async writer, alone or many at once, and
//! stored once however often it is written. Chunk boundaries depend on
//! content, so an insertion early in a stream leaves the chunks of the
//! data far after it unchanged.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Read;

use bytes::Bytes;
use proptest::prelude::*;

use common::*;
use pgkeep::repo::check::{check, CheckOptions};
use pgkeep::repo::{Id, RepoConfig, RepoError, Repository, StreamSummary};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A `Read` that hands out the data in pieces of varying size, as a pipe
/// or socket would.
struct TrickleReader<'a> {
    data: &'a [u8],
    rng: SplitMix,
}

impl Read for TrickleReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let want = match self.rng.below(4) {
            0 => 1 + self.rng.below(16) as usize,
            1 => 1 + self.rng.below(4096) as usize,
            _ => out.len(),
        };
        let n = want.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Cut `data` into many small items, as COPY delivers rows: empty items,
/// tiny ones, and now and then one larger than the writer's coalescing
/// buffer (1 MiB), which takes a path of its own.
fn copy_rows(data: &[u8], seed: u64) -> Vec<Result<Bytes, String>> {
    let all = Bytes::copy_from_slice(data);
    let mut rng = SplitMix(seed);
    let mut items = Vec::new();
    let mut pos = 0;
    while pos < all.len() {
        let n = match rng.below(20) {
            0..=2 => 0,
            3..=14 => rng.range(1, 200) as usize,
            15..=18 => rng.range(200, 5000) as usize,
            _ => rng.range(1 << 20, (1 << 20) + (1 << 19)) as usize,
        };
        let n = n.min(all.len() - pos);
        items.push(Ok(all.slice(pos..pos + n)));
        pos += n;
    }
    if rng.below(2) == 0 {
        items.push(Ok(Bytes::new()));
    }
    items
}

fn write_async(
    rt: &tokio::runtime::Runtime,
    session: &pgkeep::repo::BackupSession,
    name: &str,
    items: Vec<Result<Bytes, String>>,
) -> pgkeep::repo::Result<StreamSummary> {
    rt.block_on(session.write_stream(name, futures::stream::iter(items)))
}

/// Every chunk obeys the configured limits: none larger than max_size, and
/// only a stream's last chunk smaller than min_size.
fn assert_chunk_sizes(
    ir: &pgkeep::repo::IndexedRepository,
    cfg: &RepoConfig,
    chunks: &[Id],
    len: usize,
) {
    let mut total = 0u64;
    for (i, c) in chunks.iter().enumerate() {
        let raw = ir
            .index
            .get(c)
            .unwrap_or_else(|| panic!("chunk {c} not indexed"))
            .entry
            .raw_len;
        assert!(
            raw <= cfg.chunker.max_size,
            "chunk {i} is {raw} bytes, max is {}",
            cfg.chunker.max_size
        );
        assert!(raw > 0, "chunk {i} is empty");
        if i + 1 < chunks.len() {
            assert!(
                raw >= cfg.chunker.min_size,
                "chunk {i} of {} is {raw} bytes, min is {}",
                chunks.len(),
                cfg.chunker.min_size
            );
        }
        total += raw as u64;
    }
    assert_eq!(
        total, len as u64,
        "chunk sizes do not add up to the stream length"
    );
}

/// Write `data` through both writers into a fresh repository, commit,
/// reopen and read both streams back.
fn round_trip(data: &[u8], seed: u64, stream_first: bool) {
    let rt = runtime();
    let dir = fast_tempdir();
    let cfg = small_config();
    let repo = Repository::init(dir.path(), cfg.clone()).expect("init");
    let session = repo.begin_backup("test", 2).expect("begin_backup");
    let via_reader = |session: &pgkeep::repo::BackupSession| {
        session
            .write_reader(
                "public.reader",
                TrickleReader {
                    data,
                    rng: SplitMix(seed),
                },
            )
            .expect("write_reader")
    };
    let via_stream = |session: &pgkeep::repo::BackupSession| {
        write_async(&rt, session, "public.stream", copy_rows(data, seed)).expect("write_stream")
    };
    let (first, second) = if stream_first {
        let s = via_stream(&session);
        (s, via_reader(&session))
    } else {
        let r = via_reader(&session);
        (r, via_stream(&session))
    };
    // Same content, same chunker: same chunks, and the second copy is free.
    assert_eq!(
        first.chunks, second.chunks,
        "the two writers cut the same data differently"
    );
    assert_eq!(first.raw_bytes, data.len() as u64);
    assert_eq!(second.raw_bytes, data.len() as u64);
    let distinct: HashSet<&Id> = first.chunks.iter().collect();
    assert_eq!(
        first.new_chunks,
        distinct.len() as u64,
        "first write must store each distinct chunk once"
    );
    assert_eq!(
        second.new_chunks, 0,
        "second write of the same data stored new chunks"
    );
    assert_eq!(second.new_raw_bytes, 0);
    assert_eq!(second.new_stored_bytes, 0);
    assert_eq!(data.is_empty(), first.chunks.is_empty());
    let (reader_sum, stream_sum) = if stream_first {
        (&second, &first)
    } else {
        (&first, &second)
    };
    let snap = snapshot_of(
        "roundtrip",
        &[("public.reader", reader_sum), ("public.stream", stream_sum)],
    );
    let snap_id = session.commit(&snap).expect("commit");
    drop(repo);

    let repo = Repository::open(dir.path()).expect("open");
    let snaps = repo.snapshots().expect("snapshots");
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].0, snap_id);
    assert_eq!(snaps[0].1, snap, "manifest did not round-trip");
    let ir = repo.load_index().expect("load_index");
    for t in &snaps[0].1.tables {
        let back = read_chunks(&ir, &t.parts[0].chunks, &t.name).expect("read back");
        assert!(
            back == data,
            "{}: read back {} bytes, wrote {}: content differs",
            t.name,
            back.len(),
            data.len()
        );
        assert_chunk_sizes(&ir, &cfg, &t.parts[0].chunks, data.len());
    }
    drop(ir); // releases the reader's shared lock
              // Nothing left behind: no lock, no temporary file.
    assert!(files_in(dir.path(), "locks").is_empty(), "lock left behind");
    assert!(
        files_in(dir.path(), "tmp").is_empty(),
        "temporary file left behind"
    );
}

/// Data of one of several shapes and sizes, from a seed.
fn shaped(kind: u8, seed: u64, len: usize) -> Vec<u8> {
    match kind {
        0 => random_bytes(seed, len),
        1 => text_bytes(seed, len),
        2 => vec![0u8; len],
        _ => {
            // A short random block repeated: long runs of duplicate chunks.
            let block = random_bytes(seed, 1 + (seed % 20_000) as usize);
            block.iter().copied().cycle().take(len).collect()
        }
    }
}

fn data_strategy() -> impl Strategy<Value = Vec<u8>> {
    let size = prop_oneof![
        3 => Just(0usize),
        3 => Just(1usize),
        6 => 2usize..1024,             // below min_size: one short chunk
        6 => 1024usize..70_000,        // a few chunks
        4 => 70_000usize..600_000,     // many chunks, one pack
        2 => (2usize << 20)..(5usize << 20), // several MiB: several packs
    ];
    prop_oneof![
        // Truly arbitrary bytes, shrinkable byte by byte.
        2 => proptest::collection::vec(any::<u8>(), 0..3000),
        5 => (0u8..4, any::<u64>(), size).prop_map(|(kind, seed, len)| shaped(kind, seed, len)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_stream_round_trips(data in data_strategy(), seed in any::<u64>(), stream_first in any::<bool>()) {
        round_trip(&data, seed, stream_first);
    }
}

/// The sizes at the edges of the chunker, and several MiB, whatever the
/// property test happened to draw.
#[test]
fn edge_sizes_round_trip() {
    for (i, len) in [
        0usize,
        1,
        2,
        1023,
        1024,
        1025,
        4096,
        16383,
        16384,
        16385,
        3 * 16384 + 7,
    ]
    .into_iter()
    .enumerate()
    {
        round_trip(&random_bytes(i as u64, len), i as u64, i % 2 == 0);
    }
    round_trip(&shaped(0, 99, 6 << 20), 7, true);
    round_trip(&shaped(1, 98, 3 << 20), 8, false);
}

/// Many streams written at once into one session, from threads and as
/// concurrent futures; some identical, so that they race to store the same
/// chunks. Each reads back exact and every distinct chunk is stored once.
#[test]
fn concurrent_streams_read_back_exact() {
    let dir = fast_tempdir();
    let repo = Repository::init(dir.path(), small_config()).expect("init");
    let shared_prefix = random_bytes(1000, 200_000);
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..8u64 {
        let data = match i % 4 {
            // Streams 1, 4 and 5 are identical: threads and futures race.
            _ if i == 4 => random_bytes(1, 350_000),
            0 => random_bytes(i, 300_000 + 50_000 * i as usize),
            1 => random_bytes(1, 350_000),
            2 => {
                let mut d = shared_prefix.clone();
                d.extend(random_bytes(100 + i, 150_000));
                d
            }
            _ => text_bytes(i, 400_000),
        };
        inputs.push((format!("s{i}"), data));
    }
    inputs.push(("empty".into(), Vec::new()));
    let session = repo.begin_backup("test", 2).expect("begin_backup");
    let sums: HashMap<String, StreamSummary> = std::thread::scope(|s| {
        let session = &session;
        let inputs = &inputs;
        // Half through blocking writers, one thread each.
        let threads: Vec<_> = inputs
            .iter()
            .step_by(2)
            .map(|(name, data)| {
                s.spawn(move || {
                    (
                        name.clone(),
                        session.write_reader(name, &data[..]).expect("write_reader"),
                    )
                })
            })
            .collect();
        // The other half as concurrent futures on one runtime.
        let asynchronous =
            s.spawn(move || {
                let rt = runtime();
                let futs = inputs.iter().skip(1).step_by(2).enumerate().map(
                    |(k, (name, data))| async move {
                        let items = copy_rows(data, k as u64);
                        let sum = session
                            .write_stream(name, futures::stream::iter(items))
                            .await
                            .expect("write_stream");
                        (name.clone(), sum)
                    },
                );
                rt.block_on(futures::future::join_all(futs))
            });
        let mut out: HashMap<String, StreamSummary> = threads
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect();
        out.extend(asynchronous.join().expect("async thread"));
        out
    });
    assert_eq!(sums.len(), inputs.len());
    let all_chunks: HashSet<Id> = sums
        .values()
        .flat_map(|s| s.chunks.iter().copied())
        .collect();
    let new_total: u64 = sums.values().map(|s| s.new_chunks).sum();
    assert_eq!(
        new_total,
        all_chunks.len() as u64,
        "each distinct chunk must be counted new exactly once"
    );
    let stats = session.stats();
    assert_eq!(stats.new_chunks, all_chunks.len() as u64);
    let named: Vec<(&str, &StreamSummary)> = sums.iter().map(|(n, s)| (n.as_str(), s)).collect();
    session
        .commit(&snapshot_of("concurrent", &named))
        .expect("commit");

    let repo = Repository::open(dir.path()).expect("open");
    let back = read_everything(&repo);
    assert_eq!(back.len(), 1);
    let streams = back.values().next().expect("one snapshot");
    for (name, data) in &inputs {
        assert!(
            streams[name] == *data,
            "stream {name} differs after read back"
        );
    }
    let report = check(
        &repo,
        &CheckOptions {
            read_data: true,
            threads: 2,
        },
    )
    .expect("check");
    assert!(report.is_ok(), "check: {:?}", report.problems);
    assert_eq!(
        report.chunks,
        all_chunks.len(),
        "a chunk was stored more than once"
    );
    assert!(
        report.packs >= 2,
        "expected several packs, got {}",
        report.packs
    );
}

/// Writing the same data again, in a later session, stores nothing: no
/// new chunk, no new pack, no new index file.
#[test]
fn second_backup_of_same_data_stores_nothing() {
    let dir = fast_tempdir();
    let repo = Repository::init(dir.path(), small_config()).expect("init");
    let a = random_bytes(1, 1_500_000);
    let b = text_bytes(2, 800_000);
    let (_, first) = put(&repo, "one", &[("a", &a[..]), ("b", &b[..])]);
    assert!(first.iter().all(|s| s.new_chunks > 0));
    let before = files_under(dir.path());

    let rt = runtime();
    let session = repo.begin_backup("test", 2).expect("begin_backup");
    let sa = session.write_reader("a", &a[..]).expect("write_reader");
    let sb = write_async(&rt, &session, "b", copy_rows(&b, 5)).expect("write_stream");
    for (s, f) in [(&sa, &first[0]), (&sb, &first[1])] {
        assert_eq!(s.chunks, f.chunks);
        assert_eq!(
            (s.new_chunks, s.new_raw_bytes, s.new_stored_bytes),
            (0, 0, 0),
            "{s:?}"
        );
    }
    let stats = session.stats();
    assert_eq!(
        (
            stats.new_chunks,
            stats.packs_written,
            stats.index_files_written
        ),
        (0, 0, 0),
        "{stats:?}"
    );
    session
        .commit(&snapshot_of("two", &[("a", &sa), ("b", &sb)]))
        .expect("commit");
    let after = files_under(dir.path());
    let added: Vec<_> = after.iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(added.len(), 1, "only a manifest may be added: {added:?}");
    assert!(added[0].starts_with("snapshots"), "{added:?}");
    let back = read_everything(&repo);
    assert_eq!(back.len(), 2);
    for streams in back.values() {
        assert!(streams["a"] == a && streams["b"] == b);
    }
}

/// Resynchronisation distance after an edit. Measured over 20,000 random
/// trials with these chunker sizes (1/4/16 KiB, normalization 1), the
/// chunkers of the old and the edited stream met again within 44 KiB of
/// the edit; the probability of needing more falls about threefold per
/// 4 KiB, so at 6 × max_size (96 KiB) a failure is a bug, not bad luck.
const RESYNC: usize = 6 * 16384;

/// (start offset, id) of each chunk.
fn layout(ir: &pgkeep::repo::IndexedRepository, chunks: &[Id]) -> Vec<(usize, Id)> {
    let mut pos = 0;
    chunks
        .iter()
        .map(|c| {
            let start = pos;
            pos += ir.index.get(c).expect("indexed").entry.raw_len as usize;
            (start, *c)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Insert bytes at `at` into random data. Then:
    /// - every chunk of the original that ends before `at` is
    ///   unchanged (the same ids, as a prefix of the edited stream's), and
    /// - every chunk of the original that starts at or after
    ///   `at + RESYNC` is also a chunk of the edited stream, at the same
    ///   content offset (its start + the inserted length), and these chunks
    ///   are exactly the edited stream's chunks from that point on.
    #[test]
    fn insertion_leaves_distant_chunks_unchanged(
        seed in any::<u64>(),
        at in 0usize..120_000,
        tail in 40_000usize..200_000,
        inserted in proptest::collection::vec(any::<u8>(), 1..6000),
    ) {
        let len = at + RESYNC + tail;
        let original = random_bytes(seed, len);
        let mut edited = original[..at].to_vec();
        edited.extend_from_slice(&inserted);
        edited.extend_from_slice(&original[at..]);

        let dir = fast_tempdir();
        let repo = Repository::init(dir.path(), small_config()).expect("init");
        let session = repo.begin_backup("test", 1).expect("begin_backup");
        let a = session.write_reader("original", &original[..]).expect("write");
        let b = session.write_reader("edited", &edited[..]).expect("write");
        session.abort().expect("abort");
        let ir = repo.load_index().expect("load_index");
        let la = layout(&ir, &a.chunks);
        let lb = layout(&ir, &b.chunks);

        // A cut at `p` is decided with byte `p` already in the rolling hash
        // (fastcdc 2020 tests pairs of bytes and may cut before the second),
        // so only chunks ending strictly before the insertion are certain.
        let before: Vec<Id> = la.iter().zip(la.iter().skip(1).map(|x| x.0).chain([len]))
            .take_while(|(_, end)| *end < at).map(|((_, id), _)| *id).collect();
        prop_assert_eq!(&before[..], &b.chunks[..before.len()], "chunks before the insertion changed");

        let far: Vec<(usize, Id)> = la.iter().filter(|(s, _)| *s >= at + RESYNC)
            .map(|(s, id)| (s + inserted.len(), *id)).collect();
        prop_assert!(!far.is_empty(), "test data too short to have chunks far after the edit");
        let edited_far: Vec<(usize, Id)> = lb.iter().filter(|(s, _)| *s >= far[0].0).copied().collect();
        prop_assert_eq!(far, edited_far, "chunks far after the insertion changed");
    }
}

/// An error from the async source fails the stream with `Source`, naming
/// the stream and the cause; no snapshot is written and the repository
/// stays sound and usable.
#[test]
fn source_error_names_stream_and_writes_no_snapshot() {
    let rt = runtime();
    let dir = fast_tempdir();
    let repo = Repository::init(dir.path(), small_config()).expect("init");
    let good = random_bytes(3, 200_000);
    for (case, ok_bytes) in [0usize, 5_000, 3 << 20].into_iter().enumerate() {
        let session = repo.begin_backup("test", 2).expect("begin_backup");
        // A healthy stream in the same session is unaffected.
        let fine = session
            .write_reader("public.fine", &good[..])
            .expect("write_reader");
        assert_eq!(fine.raw_bytes, good.len() as u64);
        let mut items = copy_rows(&random_bytes(10 + case as u64, ok_bytes), case as u64);
        items.push(Err("connection reset by peer".to_string()));
        items.push(Ok(Bytes::from_static(b"never read")));
        let err = write_async(&rt, &session, "public.broken", items)
            .expect_err("source error must fail the stream");
        match &err {
            RepoError::Source { stream, message } => {
                assert_eq!(stream, "public.broken");
                assert!(message.contains("connection reset by peer"), "{message}");
            }
            other => panic!("expected RepoError::Source, got {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("public.broken") && text.contains("connection reset by peer"),
            "{text}"
        );
        // The caller gives up on the snapshot.
        session.abort().expect("abort");
        assert!(
            repo.snapshots().expect("snapshots").is_empty(),
            "a snapshot was written after a source error"
        );
        assert!(files_in(dir.path(), "snapshots").is_empty());
        assert!(files_in(dir.path(), "locks").is_empty(), "lock left behind");
    }
    // The same through the blocking writer: a failing `Read`.
    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = out.len().min(self.0);
            out[..n].fill(7);
            self.0 -= n;
            Ok(n)
        }
    }
    let session = repo.begin_backup("test", 2).expect("begin_backup");
    match session.write_reader("public.file", Failing(100_000)) {
        Err(RepoError::Source { stream, message }) => {
            assert_eq!(stream, "public.file");
            assert!(message.contains("disk on fire"), "{message}");
        }
        other => panic!("expected RepoError::Source, got {other:?}"),
    }
    drop(session);
    assert!(repo.snapshots().expect("snapshots").is_empty());
    let report = check(
        &repo,
        &CheckOptions {
            read_data: true,
            threads: 1,
        },
    )
    .expect("check");
    assert!(report.is_ok(), "{:?}", report.problems);
    // What the failed sessions stored is reused.
    let (_, sums) = put(&repo, "after", &[("public.fine", &good[..])]);
    assert_eq!(sums[0].new_chunks, 0);
    let back = read_everything(&repo);
    assert!(back.values().next().expect("snapshot")["public.fine"] == good);
}
