//! What the benchmarks share: reading their flags, the machine's load, and
//! the peak memory of the binary they run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The knobs every benchmark has.
pub struct Workload {
    /// The build to measure; `None`: the benchmark's default.
    pub binary: Option<PathBuf>,
    pub images: usize,
    /// Of every answer of the stand-in.
    pub latency: Duration,
    pub concurrency: Vec<usize>,
    /// Runs of each setting.
    pub runs: usize,
}

impl Workload {
    /// Reads `flag` when it is one of the shared ones (`--binary`,
    /// `--images`, `--latency-ms`, `--concurrency`, `--runs`); `false` when
    /// it is not.
    pub fn read(&mut self, flag: &str, flags: &mut Flags) -> Result<bool, String> {
        match flag {
            "--binary" => self.binary = Some(PathBuf::from(flags.value(flag)?)),
            "--images" => self.images = flags.number(flag)?,
            "--latency-ms" => self.latency = flags.millis(flag)?,
            "--concurrency" => self.concurrency = flags.numbers(flag)?,
            "--runs" => self.runs = flags.number(flag)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The flags after the program's name, read one by one.
pub struct Flags(std::iter::Skip<std::env::Args>);

impl Flags {
    pub fn from_env() -> Self {
        Self(std::env::args().skip(1))
    }

    /// The next flag; `--bench`, which `cargo bench` passes to every bench
    /// binary, is passed over.
    pub fn next_flag(&mut self) -> Option<String> {
        self.0.by_ref().find(|arg| arg != "--bench")
    }

    pub fn value(&mut self, name: &str) -> Result<String, String> {
        self.0.next().ok_or_else(|| format!("{name} needs a value"))
    }

    /// A positive whole number.
    pub fn number(&mut self, name: &str) -> Result<usize, String> {
        positive(name, &self.value(name)?)
    }

    /// Positive whole numbers separated by commas (`1,4,8,16`).
    pub fn numbers(&mut self, name: &str) -> Result<Vec<usize>, String> {
        self.value(name)?
            .split(',')
            .map(|text| positive(name, text))
            .collect()
    }

    /// Whole milliseconds, zero allowed.
    pub fn millis(&mut self, name: &str) -> Result<Duration, String> {
        let text = self.value(name)?;
        text.trim()
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| format!("{name}: `{text}` is not a whole number"))
    }
}

fn positive(name: &str, text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{name}: `{text}` is not a positive whole number"))
}

/// The machine's load average (1, 5 and 15 minutes), for the benchmarks to
/// print: a busy machine stretches wall times.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The binary's own peak memory: the largest `VmHWM` in /proc/PID/status,
/// read every 2 ms while it runs. Not `ru_maxrss` from `wait4`, which also
/// counts the memory of the process that spawned it (the benchmark itself,
/// with its fake servers) from before `exec`.
pub struct PeakMemory {
    done: Arc<AtomicBool>,
    sampler: JoinHandle<u64>,
}

impl PeakMemory {
    pub fn watch(pid: u32, binary: &Path) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        // The kernel keeps the first 15 bytes of the file name as `Name:`.
        let name: String = binary
            .file_name()
            .map(|n| n.to_string_lossy().chars().take(15).collect())
            .unwrap_or_default();
        let sampler = {
            let done = done.clone();
            std::thread::spawn(move || sample_hwm(pid, &name, &done))
        };
        Self { done, sampler }
    }

    /// The peak seen, in bytes, once the binary has exited.
    pub fn stop(self) -> u64 {
        self.done.store(true, Ordering::SeqCst);
        self.sampler.join().unwrap_or(0)
    }
}

/// The largest `VmHWM` seen in /proc/PID/status until `done`, in bytes. The
/// name is checked so that a recycled pid is never read.
fn sample_hwm(pid: u32, name: &str, done: &AtomicBool) -> u64 {
    let path = format!("/proc/{pid}/status");
    let mut highest = 0;
    while !done.load(Ordering::SeqCst) {
        if let Ok(status) = std::fs::read_to_string(&path)
            && status.lines().next().is_some_and(|l| l.ends_with(name))
            && let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            highest = highest.max(kb * 1024);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    highest
}
