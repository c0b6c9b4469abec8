//! Repository locks: shared for writers (backup, forget, check), exclusive
//! for garbage collection.
//!
//! A lock is a file in `locks/`. To take one, a process writes its own lock
//! file first and only then lists the others; two processes that race both
//! see each other and both back off, so no two conflicting holders can ever
//! proceed. A lock is refreshed while held. A lock is stale when its process
//! is gone (same host: pid not alive, or pid reused by a process that started
//! at another time) or, from another host, when it was not refreshed for
//! `STALE_AFTER`; stale locks are removed by whoever finds them.
//!
//! On object storage ([`Backend::lease_locks`]) there is no pid space to
//! share: a lock is a lease, stale only when neither its `refreshed` time
//! nor the object's own modification time is within `STALE_AFTER`. The
//! refresher renews it every `REFRESH_EVERY` (sooner again after a failed
//! renewal), and a writer checks it still holds the lock before it commits.
//! Lock files are written create-only, so no holder overwrites another's.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::backend::{Backend, FileType};
use super::envelope::{self, Kind};
use super::error::{RepoError, Result};
use super::id::Id;

pub const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);
/// After a failed renewal (a network blip), the next try comes this soon.
pub const REFRESH_RETRY: Duration = Duration::from_secs(30);
pub const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockInfo {
    pub exclusive: bool,
    pub hostname: String,
    pub pid: u32,
    /// Process start time (clock ticks since boot, from /proc), to tell a
    /// live holder from a new process that reuses its pid.
    pub pid_start: Option<u64>,
    /// What the holder is doing: "backup", "prune", ...
    pub purpose: String,
    pub created: String,
    pub refreshed: String,
    /// Random, so two locks written in the same microsecond differ.
    pub nonce: Id,
    /// The holder's boot (Linux: /proc/sys/kernel/random/boot_id). With
    /// `hostname` and `pid_namespace` it says whether `pid` can be judged
    /// here: two containers may share a host name, a rebooted host reuses
    /// pids. Written only when known (older readers ignore the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// The holder's pid namespace (Linux: readlink /proc/self/ns/pid, e.g.
    /// `pid:[4026531836]`). Written only when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_namespace: Option<String>,
}

impl LockInfo {
    pub fn describe(&self) -> String {
        format!(
            "{} (pid {} on {}, since {})",
            self.purpose, self.pid, self.hostname, self.created
        )
    }
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// This boot's id (/proc/sys/kernel/random/boot_id), if readable.
pub fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// This process's pid namespace (readlink /proc/self/ns/pid), if readable.
pub fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
}

/// Whether the lock's `pid` names a process this one can see: same host
/// name, same boot, same pid namespace, all three known. Otherwise only
/// the lock's age can tell it is stale.
pub fn same_pid_space(info: &LockInfo) -> bool {
    info.hostname == hostname()
        && info.boot_id.is_some()
        && info.boot_id == boot_id()
        && info.pid_namespace.is_some()
        && info.pid_namespace == pid_namespace()
}

/// Start time of a process, field 22 of /proc/PID/stat.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: skip past its last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(19)?.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let r = unsafe { libc::kill(pid as i32, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

pub fn is_stale(info: &LockInfo, now: chrono::DateTime<chrono::Utc>) -> bool {
    // A lock without boot id and pid namespace (written by pgkeep 0.1.0)
    // is judged by its age, like one from another host: its pid may be a
    // process in another container with the same host name.
    if same_pid_space(info) {
        if !process_alive(info.pid) {
            return true;
        }
        return match (info.pid_start, process_start(info.pid)) {
            (Some(recorded), Some(current)) => recorded != current,
            _ => false,
        };
    }
    match chrono::DateTime::parse_from_rfc3339(&info.refreshed) {
        Ok(t) => now.signed_duration_since(t) > STALE_AFTER,
        // A lock we cannot date is not ours to judge.
        Err(_) => false,
    }
}

/// Whether the lock is stale as judged through `backend`: by pid where
/// [`is_stale`] can, and on object storage by its lease only (its
/// `refreshed` time and the object's modification time, the later of the
/// two, older than `STALE_AFTER`).
pub fn is_stale_on(
    backend: &dyn Backend,
    name: &str,
    info: &LockInfo,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    if !backend.lease_locks() {
        return is_stale(info, now);
    }
    let expired = |t: chrono::DateTime<chrono::Utc>| now.signed_duration_since(t) > STALE_AFTER;
    let refreshed = chrono::DateTime::parse_from_rfc3339(&info.refreshed).map(|t| t.with_timezone(&chrono::Utc));
    match backend.modified(FileType::Lock, name) {
        Ok(Some(m)) => expired(m.into()) && refreshed.is_ok_and(expired),
        // Gone meanwhile, or the store cannot say: the lease alone judges.
        _ => refreshed.is_ok_and(expired),
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn write_lock(backend: &dyn Backend, info: &LockInfo) -> Result<String> {
    let bytes = envelope::seal_value(Kind::Lock, info);
    let name = backend.content_id(&bytes).to_hex();
    backend.write_new(FileType::Lock, &name, &bytes)?;
    Ok(name)
}

pub fn read_lock(backend: &dyn Backend, name: &str) -> Result<LockInfo> {
    let bytes = backend.read(FileType::Lock, name)?;
    envelope::open_value(
        Kind::Lock,
        &bytes,
        &format!("lock {}", backend.relative_path(FileType::Lock, name)),
    )
}

struct Refresher {
    stop: Mutex<bool>,
    wake: Condvar,
}

/// A held lock; released on drop.
pub struct LockGuard {
    backend: Arc<dyn Backend>,
    name: Arc<Mutex<String>>,
    refresher: Arc<Refresher>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

/// Take a lock. Fails at once, naming the holder, when a live conflicting
/// lock exists.
pub fn acquire(backend: Arc<dyn Backend>, exclusive: bool, purpose: &str) -> Result<LockGuard> {
    acquire_refreshing(backend, exclusive, purpose, REFRESH_EVERY)
}

/// [`acquire`], renewing the lock every `refresh_every` (tests use a short one).
pub fn acquire_refreshing(
    backend: Arc<dyn Backend>,
    exclusive: bool,
    purpose: &str,
    refresh_every: Duration,
) -> Result<LockGuard> {
    let pid = std::process::id();
    let now = now_rfc3339();
    let info = LockInfo {
        exclusive,
        hostname: hostname(),
        pid,
        pid_start: process_start(pid),
        boot_id: boot_id(),
        pid_namespace: pid_namespace(),
        purpose: purpose.into(),
        created: now.clone(),
        refreshed: now,
        nonce: Id::random(),
    };
    let own = write_lock(backend.as_ref(), &info)?;
    if let Err(e) = check_conflicts(backend.as_ref(), &own, exclusive) {
        let _ = backend.remove(FileType::Lock, &own);
        return Err(e);
    }
    let name = Arc::new(Mutex::new(own));
    let refresher = Arc::new(Refresher {
        stop: Mutex::new(false),
        wake: Condvar::new(),
    });
    let thread = {
        let (backend, name, refresher) = (backend.clone(), name.clone(), refresher.clone());
        std::thread::Builder::new()
            .name("pgkeep-lock".into())
            .spawn(move || refresh_loop(backend, name, refresher, info, refresh_every))
            .map_err(|e| RepoError::WriterFailed(format!("cannot start lock refresher: {e}")))?
    };
    Ok(LockGuard {
        backend,
        name,
        refresher,
        thread: Some(thread),
    })
}

fn check_conflicts(backend: &dyn Backend, own: &str, exclusive: bool) -> Result<()> {
    let now = chrono::Utc::now();
    for f in backend.list(FileType::Lock)? {
        if f.name == own {
            continue;
        }
        let other = match read_lock(backend, &f.name) {
            Ok(o) => o,
            // Released between our listing and our read.
            Err(RepoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                continue
            }
            Err(e) => return Err(e),
        };
        if is_stale_on(backend, &f.name, &other, now) {
            tracing::warn!(lock = %f.name, holder = %other.describe(), "removing stale lock");
            backend.remove(FileType::Lock, &f.name)?;
            continue;
        }
        if exclusive || other.exclusive {
            return Err(RepoError::Locked {
                mode: if other.exclusive {
                    "exclusively"
                } else {
                    "shared"
                },
                holder: other.describe(),
                file: backend.relative_path(FileType::Lock, &f.name),
            });
        }
    }
    Ok(())
}

fn refresh_loop(
    backend: Arc<dyn Backend>,
    name: Arc<Mutex<String>>,
    r: Arc<Refresher>,
    mut info: LockInfo,
    refresh_every: Duration,
) {
    let mut stop = r.stop.lock().unwrap_or_else(|e| e.into_inner());
    let mut next = refresh_every;
    loop {
        // Drop may have asked us to stop before we first waited; its
        // notification is then gone, so look at the flag before every wait.
        if *stop {
            return;
        }
        let (guard, timeout) = r
            .wake
            .wait_timeout(stop, next)
            .unwrap_or_else(|e| e.into_inner());
        stop = guard;
        if *stop {
            return;
        }
        if !timeout.timed_out() {
            continue;
        }
        info.refreshed = now_rfc3339();
        // New file first, then the old one goes: the lock is never absent.
        match write_lock(backend.as_ref(), &info) {
            Ok(new) => {
                let mut current = name.lock().unwrap_or_else(|e| e.into_inner());
                let old = std::mem::replace(&mut *current, new);
                if let Err(e) = backend.remove(FileType::Lock, &old) {
                    tracing::warn!(error = %e, "cannot remove old lock file");
                }
                next = refresh_every;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot refresh repository lock");
                next = refresh_every.min(REFRESH_RETRY);
            }
        }
    }
}

impl LockGuard {
    /// Check the lock is still held: its current file exists and still
    /// says it is ours. A writer calls this before it commits, so that a
    /// prune that removed the lock (judging it stale) and maybe the
    /// writer's packs cannot be followed by a snapshot that needs them.
    pub fn verify(&self) -> Result<()> {
        let mut last = String::new();
        // Twice: the refresher may have just replaced the file we named.
        for _ in 0..2 {
            let name = self.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match read_lock(self.backend.as_ref(), &name) {
                Ok(info) if info.pid == std::process::id() && info.hostname == hostname() => return Ok(()),
                Ok(_) => {
                    return Err(RepoError::LockLost {
                        file: self.backend.relative_path(FileType::Lock, &name),
                        why: "it names another holder".into(),
                    })
                }
                Err(RepoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => last = name,
                Err(e) => return Err(e),
            }
        }
        Err(RepoError::LockLost {
            file: self.backend.relative_path(FileType::Lock, &last),
            why: "it was removed (another process took it for stale)".into(),
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        *self
            .refresher
            .stop
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = true;
        self.refresher.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let name = self.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Err(e) = self.backend.remove(FileType::Lock, &name) {
            tracing::warn!(error = %e, "cannot remove lock file {name}");
        }
    }
}

/// Remove stale locks (or every lock with `all`). Returns the removed
/// holders' descriptions.
pub fn unlock(backend: &dyn Backend, all: bool) -> Result<Vec<String>> {
    let now = chrono::Utc::now();
    let mut removed = Vec::new();
    for f in backend.list(FileType::Lock)? {
        let desc = match read_lock(backend, &f.name) {
            Ok(info) if all || is_stale_on(backend, &f.name, &info, now) => info.describe(),
            Ok(_) => continue,
            Err(e) if all => format!("unreadable lock ({e})"),
            Err(_) => continue,
        };
        backend.remove(FileType::Lock, &f.name)?;
        removed.push(desc);
    }
    Ok(removed)
}
