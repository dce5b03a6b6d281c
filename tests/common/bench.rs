//! What the benchmarks share: reading their flags, and the machine's load.

use std::path::PathBuf;
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
