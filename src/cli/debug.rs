//! `pgkeep debug …` (hidden): tools for developers and tests — store files
//! as a snapshot's streams, print one stream, hold a lock, decode an
//! object file. Tests drive these; they are not documented for users.

use std::io::Write;

use anyhow::{bail, Context, Result};

use super::args::{default_threads, DebugCommand};
use crate::repo::snapshot::{Part, Scope, TableData, Totals};
use crate::repo::{RepoConfig, Repository, Snapshot};

pub fn run(cmd: DebugCommand) -> Result<i32> {
    match cmd {
        DebugCommand::Put {
            repo,
            tenant,
            tag,
            files,
        } => {
            let r = Repository::open_at(&repo.repo)?;
            let started = chrono::Utc::now();
            let session = r.begin_backup("debug put", default_threads())?;
            let tables: Vec<TableData> = std::thread::scope(|s| {
                let handles: Vec<_> = files
                    .iter()
                    .map(|f| {
                        let session = &session;
                        s.spawn(move || -> Result<TableData> {
                            let name = f.display().to_string();
                            let file = std::fs::File::open(f)
                                .with_context(|| format!("cannot open {name}"))?;
                            let sum = session.write_reader(
                                &name,
                                std::io::BufReader::with_capacity(1 << 20, file),
                            )?;
                            Ok(TableData {
                                name,
                                raw_bytes: sum.raw_bytes,
                                new_stored_bytes: sum.new_stored_bytes,
                                parts: vec![Part {
                                    raw_bytes: sum.raw_bytes,
                                    new_stored_bytes: sum.new_stored_bytes,
                                    chunks: sum.chunks,
                                    ..Part::default()
                                }],
                                ..TableData::default()
                            })
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .map_err(|_| anyhow::anyhow!("writer thread panicked"))?
                    })
                    .collect::<Result<Vec<_>>>()
            })?;
            let stats = session.stats();
            let snap = Snapshot {
                scope: Scope {
                    kind: crate::manifest::snapshot::ScopeKind::Files,
                    ..Scope::default()
                },
                tenant,
                tags: tag,
                totals: Totals {
                    tables: tables.len() as u64,
                    raw_bytes: tables.iter().map(|t| t.raw_bytes).sum(),
                    chunks: tables.iter().map(|t| t.parts[0].chunks.len() as u64).sum(),
                    new_chunks: stats.new_chunks,
                    new_raw_bytes: stats.new_raw_bytes,
                    new_stored_bytes: stats.new_stored_bytes,
                    ..Totals::default()
                },
                tables,
                ..Snapshot::stamped(started)
            };
            let id = session.commit(&snap)?;
            println!("{id}");
            Ok(0)
        }
        DebugCommand::Cat {
            repo,
            snapshot,
            stream,
        } => {
            let r = Repository::open_at(&repo.repo)?;
            let id = r.resolve_snapshot(&snapshot, None)?;
            let snap = r.load_snapshot(&id)?;
            let t = snap
                .tables
                .iter()
                .find(|t| Snapshot::describe_table(t) == stream)
                .with_context(|| format!("snapshot {} has no stream {stream:?}", id.short()))?;
            let ir = r.load_index()?;
            let mut out = std::io::stdout().lock();
            for (i, p) in t.parts.iter().enumerate() {
                let mut rd = ir.read_stream(p.chunks.clone(), format!("{stream} part {i}"));
                std::io::copy(&mut rd, &mut out)
                    .with_context(|| format!("reading {stream} part {i}"))?;
            }
            out.flush()?;
            Ok(0)
        }
        DebugCommand::HoldLock {
            repo,
            exclusive,
            seconds,
        } => {
            let r = Repository::open_at(&repo.repo)?;
            let _g = if exclusive {
                r.lock_exclusive("debug hold-lock")?
            } else {
                r.lock_shared("debug hold-lock")?
            };
            println!("locked");
            std::io::stdout().flush()?;
            std::thread::sleep(std::time::Duration::from_secs(seconds));
            Ok(0)
        }
        DebugCommand::Decode { kind, file } => {
            use crate::repo::envelope::{self, Kind};
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let obj = file.display().to_string();
            let value: serde_json::Value = match kind.as_str() {
                "config" => serde_json::to_value(envelope::open_value::<RepoConfig>(
                    Kind::Config,
                    &bytes,
                    &obj,
                )?)?,
                "index" => serde_json::to_value(envelope::open_value::<
                    crate::repo::index::IndexFile,
                >(Kind::Index, &bytes, &obj)?)?,
                "snapshot" => serde_json::to_value(Snapshot::decode(&bytes, &obj)?)?,
                "lock" => serde_json::to_value(
                    envelope::open_value::<crate::repo::lock::LockInfo>(Kind::Lock, &bytes, &obj)?,
                )?,
                other => {
                    bail!("unknown object kind {other:?}: expected config, index, snapshot or lock")
                }
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(0)
        }
    }
}
