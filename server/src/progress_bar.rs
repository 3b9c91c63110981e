//! Progress of long imports, syncs and the demo: a bar on a terminal, and a
//! log line every few seconds otherwise (under a service manager, in CI).

use std::{
    io::{IsTerminal, Read},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a log line is written when there is no terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Bytes,
    Items,
}

struct Inner {
    label: String,
    unit: Unit,
    total: u64,
    done: AtomicU64,
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
    started: Instant,
}

/// A progress report, cheap to clone into a reader or a task.
#[derive(Clone)]
pub struct Progress(Arc<Inner>);

impl Progress {
    /// Progress through `total` bytes (0 when unknown).
    pub fn bytes(label: &str, total: u64) -> Self {
        Self::new(label, Unit::Bytes, total)
    }

    /// Progress through `total` items, such as days or pages (0 when
    /// unknown).
    pub fn items(label: &str, total: u64) -> Self {
        Self::new(label, Unit::Items, total)
    }

    fn new(label: &str, unit: Unit, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = if total > 0 {
                ProgressBar::new(total)
            } else {
                ProgressBar::new_spinner()
            };
            let template = match (unit, total > 0) {
                (Unit::Bytes, true) => {
                    "{spinner} {msg} {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
                }
                (Unit::Bytes, false) => "{spinner} {msg} {bytes} ({bytes_per_sec})",
                (Unit::Items, true) => "{spinner} {msg} {bar:30} {pos}/{len} ({elapsed})",
                (Unit::Items, false) => "{spinner} {msg} {pos} ({elapsed})",
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(label.to_owned());
            bar
        });
        Self(Arc::new(Inner {
            label: label.to_owned(),
            unit,
            total,
            done: AtomicU64::new(0),
            bar,
            last_log: Mutex::new(Instant::now()),
            started: Instant::now(),
        }))
    }

    pub fn inc(&self, n: u64) {
        let done = self.0.done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = &self.0.bar {
            bar.inc(n);
            return;
        }
        let Ok(mut last) = self.0.last_log.lock() else {
            return;
        };
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            tracing::info!("{}: {}", self.0.label, self.describe(done));
        }
    }

    /// Says what is shown beside the bar, such as the day being pulled.
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.0.bar {
            bar.set_message(format!("{}: {message}", self.0.label));
        }
    }

    fn describe(&self, done: u64) -> String {
        let amount = |n: u64| match self.0.unit {
            Unit::Bytes => format!("{:.1} MB", n as f64 / 1e6),
            Unit::Items => n.to_string(),
        };
        if self.0.total > 0 {
            format!(
                "{} of {} ({:.0}%)",
                amount(done),
                amount(self.0.total),
                100.0 * done as f64 / self.0.total as f64
            )
        } else {
            amount(done)
        }
    }

    pub fn finish(&self) {
        match &self.0.bar {
            Some(bar) => bar.finish_and_clear(),
            None => tracing::info!(
                "{}: done, {} in {:.1} s",
                self.0.label,
                self.describe(self.0.done.load(Ordering::Relaxed)),
                self.0.started.elapsed().as_secs_f64()
            ),
        }
    }

    /// Counts the bytes read through it.
    pub fn reader<R: Read>(&self, inner: R) -> ProgressReader<R> {
        ProgressReader {
            inner,
            progress: self.clone(),
        }
    }
}

pub struct ProgressReader<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}
