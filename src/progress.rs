//! Progress of a long operation (backup, restore), reported through a
//! trait so the engines never print: the CLI passes a progress bar on a
//! terminal and log lines otherwise; tests and the service pass their own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

pub trait Progress: Send + Sync {
    /// A new phase begins ("reading the catalog", "copying data", ...).
    fn phase(&self, what: &str);
    /// The data phase will move `streams` streams of about `bytes` bytes.
    fn plan(&self, streams: u64, bytes: u64);
    /// `n` more bytes moved.
    fn bytes(&self, n: u64);
    /// One stream (a table or a part of one) is done.
    fn stream_done(&self, name: &str, rows: u64, bytes: u64);
    fn finish(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &str) {}
    fn plan(&self, _: u64, _: u64) {}
    fn bytes(&self, _: u64) {}
    fn stream_done(&self, _: &str, _: u64, _: u64) {}
    fn finish(&self) {}
}

/// Plain lines through `tracing` (for logs and pipes).
#[derive(Default)]
pub struct LogLines {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress for LogLines {
    fn phase(&self, what: &str) {
        tracing::info!("{what}");
    }
    fn plan(&self, streams: u64, bytes: u64) {
        self.total.store(streams, Ordering::Relaxed);
        tracing::info!(streams, bytes, "data streams planned");
    }
    fn bytes(&self, _: u64) {}
    fn stream_done(&self, name: &str, rows: u64, bytes: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(stream = name, rows, bytes, "{done}/{} streams done", self.total.load(Ordering::Relaxed));
    }
    fn finish(&self) {}
}

/// A progress bar on the terminal: streams done, bytes, rate and ETA.
pub struct Bar {
    bar: indicatif::ProgressBar,
    streams: AtomicU64,
    done: AtomicU64,
    started: Mutex<Instant>,
}

impl Bar {
    pub fn new() -> Bar {
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg:<28} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Bar { bar, streams: AtomicU64::new(0), done: AtomicU64::new(0), started: Mutex::new(Instant::now()) }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Progress for Bar {
    fn phase(&self, what: &str) {
        self.bar.set_message(what.to_string());
    }
    fn plan(&self, streams: u64, bytes: u64) {
        self.streams.store(streams, Ordering::Relaxed);
        self.bar.set_length(bytes);
        self.bar.set_position(0);
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.bar.set_message(format!("0/{streams} tables"));
    }
    fn bytes(&self, n: u64) {
        // The plan's sizes are estimates (on-disk sizes): keep the bar honest.
        if self.bar.position() + n > self.bar.length().unwrap_or(0) {
            self.bar.set_length(self.bar.position() + n);
        }
        self.bar.inc(n);
    }
    fn stream_done(&self, _name: &str, _rows: u64, _bytes: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar.set_message(format!("{done}/{} tables", self.streams.load(Ordering::Relaxed)));
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
