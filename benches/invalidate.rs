//! Throughput and memory of a large push: the real release binary, run as the
//! Actions runner runs it (`GITHUB_ACTIONS`, a push event, `INPUT_*`,
//! `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `diff-source: git` on a real
//! repository whose last commit adds N images under `public/`), against a
//! loopback Vercel stand-in that answers every valid request 200 after a fixed
//! latency. For each concurrency it reports the requests made (from the
//! `requests` output and from the stand-in's own count), the wall time from
//! spawn to exit against the ideal `ceil(N/8) / concurrency * latency`, and
//! the peak resident memory of the run; then checks the targets of
//! BENCHMARKS.md and draws `docs/benchmark.svg`.
//!
//! The binary measured is the one that ships: `cargo build --release --locked`
//! of the package alone, built by this program into `target/shipped` (a no-op
//! once built). `CARGO_BIN_EXE_vercel-image-invalidate` is not that binary:
//! `cargo bench` compiles it with the dev-dependencies' features unified in
//! (tokio's test-util, wiremock's hyper server...): 7.0 MB against 5.5.
//! `--binary PATH` measures another build.
//!
//! ```sh
//! cargo bench --bench invalidate
//! cargo bench --bench invalidate -- --images 1000 --latency-ms 50 --concurrency 1,4,8,16 --runs 3
//! ```
//!
//! Exits 1 when a target is missed, so that it can gate a release.

// Printing the results is this program's whole job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

// The end-to-end tests' harness: its git repositories, `action.yml`
// defaults and `GITHUB_OUTPUT` parser.
#[path = "../tests/suite/common/mod.rs"]
mod common;

use common::bench::{PeakMemory, Workload};
use common::git;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use wait4::Wait4;

const BIN_EXE: &str = env!("CARGO_BIN_EXE_vercel-image-invalidate");
const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const ENDPOINT: &str = "/v1/edge-cache/invalidate-by-src-images";
const TOKEN: &str = "vercel_bench_token_0123456789";
const PROJECT: &str = "bench-site";
const BATCH: usize = 8;

/// The targets of the "ship it" issue.
const MAX_RATIO: f64 = 1.3;
const MAX_RSS_BYTES: u64 = 20_000_000;
const MAX_BINARY_BYTES: u64 = 8_000_000;

struct Options {
    workload: Workload,
    svg: Option<PathBuf>,
}

impl std::ops::Deref for Options {
    type Target = Workload;
    fn deref(&self) -> &Workload {
        &self.workload
    }
}

impl Options {
    fn parse() -> Result<Self, String> {
        let mut options = Self {
            workload: Workload {
                binary: None,
                images: 1000,
                latency: Duration::from_millis(50),
                concurrency: vec![1, 4, 8, 16],
                runs: 3,
            },
            svg: Some(Path::new(MANIFEST_DIR).join("docs/benchmark.svg")),
        };
        let mut flags = common::bench::Flags::from_env();
        while let Some(arg) = flags.next_flag() {
            if options.workload.read(&arg, &mut flags)? {
                continue;
            }
            match arg.as_str() {
                "--cargo-bin-exe" => options.workload.binary = Some(PathBuf::from(BIN_EXE)),
                "--svg" => options.svg = Some(PathBuf::from(flags.value("--svg")?)),
                "--no-svg" => options.svg = None,
                "--help" | "-h" => {
                    return Err("usage: cargo bench --bench invalidate -- [--binary PATH | --cargo-bin-exe] [--images N] [--latency-ms MS] [--concurrency 1,4,8,16] [--runs N] [--svg PATH | --no-svg]".into());
                }
                other => return Err(format!("unknown argument `{other}` (try --help)")),
            }
        }
        Ok(options)
    }
}

/// The release binary as users get it: the package built alone, in a target
/// dir of its own (the one `cargo bench` holds cannot be used from inside it).
fn shipped_binary() -> PathBuf {
    let target = Path::new(MANIFEST_DIR).join("target/shipped");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "building the shipped binary: cargo build --release --locked --bin vercel-image-invalidate (CARGO_TARGET_DIR={})",
        target.display()
    );
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--quiet",
            "--bin",
            "vercel-image-invalidate",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(MANIFEST_DIR)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --release failed");
    target.join("release/vercel-image-invalidate")
}

// --- the Vercel stand-in --------------------------------------------------------

/// What the stand-in saw since the last [`StandIn::take`].
#[derive(Default)]
struct Seen {
    requests: usize,
    invalid: Vec<String>,
    images: Vec<String>,
    max_in_flight: usize,
}

#[derive(Default)]
struct Shared {
    seen: Mutex<Seen>,
    in_flight: AtomicUsize,
}

/// An HTTP/1.1 server on 127.0.0.1 with a thread per connection, so requests
/// in flight wait out their latency side by side, never behind each other.
/// Keep-alive is honoured, as reqwest reuses its connections.
struct StandIn {
    url: String,
    shared: Arc<Shared>,
}

impl StandIn {
    fn start(latency: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = state.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, latency, &state);
                });
            }
        });
        Self { url, shared }
    }

    /// What was seen, and a clean slate for the next run.
    fn take(&self) -> Seen {
        std::mem::take(&mut *self.shared.seen.lock().expect("stand-in state"))
    }
}

fn serve(stream: TcpStream, latency: Duration, state: &Shared) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;

        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let verdict = check(request_line.trim_end(), &headers, &body);
        std::thread::sleep(latency);
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        {
            let mut seen = state.seen.lock().expect("stand-in state");
            seen.requests += 1;
            seen.max_in_flight = seen.max_in_flight.max(now);
            match &verdict {
                Ok(images) => seen.images.extend(images.iter().cloned()),
                Err(problem) => seen.invalid.push(problem.clone()),
            }
        }
        let answer = match verdict {
            Ok(_) => "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_string(),
            Err(problem) => {
                let body =
                    serde_json::json!({"error": {"code": "bad_request", "message": problem}})
                        .to_string();
                format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
        };
        writer.write_all(answer.as_bytes())?;
        writer.flush()?;
        if headers
            .get("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            return Ok(());
        }
    }
}

/// The endpoint's contract (SPEC.md): POST, the bearer token,
/// `projectIdOrName`, and a body of exactly `{"srcImages": [1 to 8 strings of
/// at most 8192 characters]}`.
fn check(
    request_line: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Result<Vec<String>, String> {
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "POST" {
        return Err(format!("method {method}"));
    }
    let url = url::Url::parse(&format!("http://stand-in{target}"))
        .map_err(|e| format!("request target {target}: {e}"))?;
    if url.path() != ENDPOINT {
        return Err(format!("path {}", url.path()));
    }
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    if query
        .keys()
        .any(|k| !["projectIdOrName", "teamId", "slug"].contains(&k.as_str()))
    {
        return Err(format!("query {query:?}"));
    }
    if query.get("projectIdOrName").map(String::as_str) != Some(PROJECT) {
        return Err(format!("projectIdOrName in {query:?}"));
    }
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return Err("authorization".into());
    }
    let body: Value = serde_json::from_slice(body).map_err(|e| format!("body: {e}"))?;
    let object = body.as_object().ok_or("body is not an object")?;
    if object.keys().any(|k| k != "srcImages") {
        return Err(format!(
            "body properties {:?}",
            object.keys().collect::<Vec<_>>()
        ));
    }
    let images = object
        .get("srcImages")
        .and_then(Value::as_array)
        .ok_or("no srcImages array")?;
    if !(1..=BATCH).contains(&images.len()) {
        return Err(format!("{} srcImages; 1 to {BATCH} allowed", images.len()));
    }
    images
        .iter()
        .map(|i| match i.as_str() {
            Some(s) if s.chars().count() <= 8192 => Ok(s.to_string()),
            _ => Err(format!("srcImages item {i}")),
        })
        .collect()
}

// --- the workspace ------------------------------------------------------------

/// A repository whose last commit adds `count` images under `public/`, all
/// written first and staged with one `git add -A`.
fn workspace(count: usize) -> (git::GitRepo, String, String) {
    let repo = git::GitRepo::new();
    repo.write("README.md", "# site\n");
    repo.write("public/robots.txt", "User-agent: *\n");
    let before = repo.commit("site");
    let extensions = ["png", "jpg", "webp", "avif"];
    repo.write_many((0..count).map(|i| {
        (
            format!(
                "public/images/set-{:02}/photo-{i:05}.{}",
                i % 20,
                extensions[i % extensions.len()]
            ),
            format!("image {i}\n"),
        )
    }));
    let after = repo.commit(&format!("{count} images"));
    (repo, before, after)
}

// --- one run --------------------------------------------------------------------

struct Run {
    wall: Duration,
    /// `ru_maxrss` from `wait4`: the binary's peak, or a git child's if that
    /// was larger (the kernel keeps the maximum, not a sum).
    peak_rss: u64,
    /// The binary's own `VmHWM`, sampled from /proc every 2 ms.
    binary_hwm: u64,
    code: Option<i32>,
    output_requests: Option<usize>,
    output_count: Option<usize>,
    seen: Seen,
    log: String,
}

struct Target<'a> {
    binary: &'a Path,
    repo: &'a Path,
    before: &'a str,
    after: &'a str,
    defaults: &'a BTreeMap<String, String>,
}

fn run_once(target: &Target<'_>, stand_in: &StandIn, concurrency: usize) -> Run {
    let files = tempfile::tempdir().expect("temp dir");
    let event = files.path().join("event.json");
    let output = files.path().join("output.txt");
    let summary = files.path().join("summary.md");
    let log = files.path().join("log.txt");
    let payload = serde_json::json!({
        "ref": "refs/heads/main",
        "before": target.before,
        "after": target.after,
        "created": false,
        "deleted": false,
        "forced": false,
        "repository": {"full_name": "octo/site"},
        "commits": [],
    });
    std::fs::write(&event, payload.to_string()).expect("event file");

    let mut inputs = target.defaults.clone();
    for (name, value) in [
        ("vercel-token", TOKEN.to_string()),
        ("project", PROJECT.to_string()),
        ("vercel-api-url", stand_in.url.clone()),
        ("concurrency", concurrency.to_string()),
        ("diff-source", "git".to_string()),
        // What `${{ github.token }}` becomes; unused with diff-source git.
        ("github-token", "ghs_unused_by_diff_source_git".to_string()),
    ] {
        inputs.insert(name.to_string(), value);
    }

    let mut command = Command::new(target.binary);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", files.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "octo/site")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SHA", target.after)
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_WORKSPACE", target.repo)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .current_dir(target.repo)
        .stdin(Stdio::null())
        .stdout(File::create(&log).expect("log file"))
        .stderr(Stdio::inherit());
    for (name, value) in &inputs {
        command.env(format!("INPUT_{}", name.to_uppercase()), value);
    }

    let start = Instant::now();
    let mut child = command.spawn().expect("the binary starts");
    let memory = PeakMemory::watch(child.id(), target.binary);
    let waited = child.wait4().expect("wait4");
    let wall = start.elapsed();
    let binary_hwm = memory.stop();

    let outputs = common::parse_outputs(&std::fs::read_to_string(&output).unwrap_or_default());
    let number = |name: &str| outputs.get(name).and_then(|v| v.trim().parse().ok());
    Run {
        wall,
        peak_rss: waited.rusage.maxrss,
        binary_hwm,
        code: waited.status.code(),
        output_requests: number("requests"),
        output_count: number("count"),
        seen: stand_in.take(),
        log: std::fs::read_to_string(&log).unwrap_or_default(),
    }
}

// --- results ----------------------------------------------------------------------

struct Row {
    concurrency: usize,
    runs: Vec<Run>,
    ideal: Duration,
}

impl Row {
    fn median_wall(&self) -> Duration {
        median(self.runs.iter().map(|r| r.wall).collect())
    }
    fn ratio(&self) -> f64 {
        self.median_wall().as_secs_f64() / self.ideal.as_secs_f64()
    }
    fn peak_rss(&self) -> u64 {
        self.runs.iter().map(|r| r.peak_rss).max().unwrap_or(0)
    }
    fn binary_hwm(&self) -> u64 {
        self.runs.iter().map(|r| r.binary_hwm).max().unwrap_or(0)
    }
    /// Every problem with any run, against the targets.
    fn problems(&self, images: usize) -> Vec<String> {
        let expected = images.div_ceil(BATCH);
        let mut problems = Vec::new();
        for (i, run) in self.runs.iter().enumerate() {
            let mut note = |p: String| problems.push(format!("run {}: {p}", i + 1));
            if run.code != Some(0) {
                note(format!(
                    "exit code {:?}; log:\n{}",
                    run.code,
                    tail(&run.log, 20)
                ));
            }
            if run.output_requests != Some(expected) {
                note(format!(
                    "requests output {:?}, expected {expected}",
                    run.output_requests
                ));
            }
            if run.seen.requests != expected {
                note(format!(
                    "the stand-in counted {} requests, expected {expected}",
                    run.seen.requests
                ));
            }
            if run.output_count != Some(images) {
                note(format!(
                    "count output {:?}, expected {images}",
                    run.output_count
                ));
            }
            let mut unique = run.seen.images.clone();
            unique.sort();
            unique.dedup();
            if unique.len() != images || run.seen.images.len() != images {
                note(format!(
                    "the stand-in got {} images ({} distinct), expected {images}",
                    run.seen.images.len(),
                    unique.len()
                ));
            }
            if let Some(problem) = run.seen.invalid.first() {
                note(format!(
                    "{} invalid requests, first: {problem}",
                    run.seen.invalid.len()
                ));
            }
            if run.seen.max_in_flight > self.concurrency {
                note(format!(
                    "{} requests in flight at once, above concurrency",
                    run.seen.max_in_flight
                ));
            }
        }
        if self.ratio() > MAX_RATIO {
            problems.push(format!("wall/ideal {:.2} > {MAX_RATIO}", self.ratio()));
        }
        if self.peak_rss() >= MAX_RSS_BYTES {
            problems.push(format!(
                "peak RSS {} >= {}",
                mb(self.peak_rss()),
                mb(MAX_RSS_BYTES)
            ));
        }
        problems
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    let n = values.len();
    if n == 0 {
        Duration::ZERO
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Wall time (median, with the spread of the runs) and the ideal against
/// concurrency, as a hand-written SVG line chart.
fn svg(rows: &[Row], options: &Options) -> String {
    let (width, height) = (720.0, 440.0);
    let (left, right, top, bottom) = (70.0, 30.0, 50.0, 60.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max_c = rows.iter().map(|r| r.concurrency).max().unwrap_or(1) as f64;
    let max_s = rows
        .iter()
        .flat_map(|r| r.runs.iter().map(|run| run.wall).chain([r.ideal]))
        .max()
        .unwrap_or(Duration::from_secs(1))
        .as_secs_f64();
    let step = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        .into_iter()
        .find(|s| max_s / s <= 8.0)
        .unwrap_or(100.0);
    let top_s = (max_s / step).ceil() * step;
    let x = |c: f64| left + (c - 0.0) / max_c * plot_w;
    let y = |s: f64| top + plot_h - s / top_s * plot_h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"##
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="{}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{} images, {} ms per request: wall time against concurrency (median of {})</text>"##,
        width / 2.0,
        options.images,
        options.latency.as_millis(),
        options.runs
    );
    // Grid and axes.
    let decimals = if step < 1.0 { 1 } else { 0 };
    for tick in 0..=((top_s / step).round() as usize) {
        let s = tick as f64 * step;
        let _ = writeln!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" text-anchor="end">{s:.decimals$}</text>"##,
            left + plot_w,
            left - 8.0,
            y(s) + 4.0,
            y = y(s)
        );
    }
    for row in rows {
        let c = row.concurrency as f64;
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{top}" y2="{}" stroke="#e5e5e5"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            top + plot_h,
            top + plot_h + 20.0,
            row.concurrency,
            x = x(c)
        );
    }
    let _ = writeln!(
        out,
        r##"<path d="M{left} {top} V{} H{}" fill="none" stroke="#333"/>"##,
        top + plot_h,
        left + plot_w
    );
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" text-anchor="middle">concurrency (requests in flight)</text>"##,
        left + plot_w / 2.0,
        height - 15.0
    );
    let _ = writeln!(
        out,
        r##"<text transform="translate(20 {}) rotate(-90)" text-anchor="middle">wall time (s)</text>"##,
        top + plot_h / 2.0
    );
    // The two lines.
    let line = |points: Vec<(f64, f64)>| {
        points
            .iter()
            .enumerate()
            .map(|(i, (c, s))| {
                format!(
                    "{}{:.1} {:.1}",
                    if i == 0 { "M" } else { " L" },
                    x(*c),
                    y(*s)
                )
            })
            .collect::<String>()
    };
    let ideal: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r.concurrency as f64, r.ideal.as_secs_f64()))
        .collect();
    let measured: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r.concurrency as f64, r.median_wall().as_secs_f64()))
        .collect();
    let _ = writeln!(
        out,
        r##"<path d="{}" fill="none" stroke="#888" stroke-width="2" stroke-dasharray="6 4"/>"##,
        line(ideal)
    );
    let _ = writeln!(
        out,
        r##"<path d="{}" fill="none" stroke="#0b63c5" stroke-width="2.5"/>"##,
        line(measured)
    );
    for row in rows {
        let c = x(row.concurrency as f64);
        let walls: Vec<f64> = row.runs.iter().map(|r| r.wall.as_secs_f64()).collect();
        let low = walls.iter().cloned().fold(f64::INFINITY, f64::min);
        let high = walls.iter().cloned().fold(0.0, f64::max);
        let wall = row.median_wall().as_secs_f64();
        let _ = writeln!(
            out,
            r##"<line x1="{c:.1}" x2="{c:.1}" y1="{:.1}" y2="{:.1}" stroke="#0b63c5"/><circle cx="{c:.1}" cy="{:.1}" r="4" fill="#0b63c5"/><circle cx="{c:.1}" cy="{:.1}" r="3" fill="#888"/>"##,
            y(low),
            y(high),
            y(wall),
            y(row.ideal.as_secs_f64())
        );
        // Labels right of the point, or left of it near the right edge.
        let (label_x, anchor) = if row.concurrency as f64 > max_c * 0.75 {
            (c - 8.0, "end")
        } else {
            (c + 8.0, "start")
        };
        let _ = writeln!(
            out,
            r##"<text x="{label_x:.1}" y="{:.1}" text-anchor="{anchor}" fill="#0b63c5">{wall:.2} s (x{:.2})</text>"##,
            y(wall) - 8.0,
            row.ratio()
        );
    }
    // Legend.
    let (lx, ly) = (left + plot_w - 305.0, top + 10.0);
    let _ = writeln!(
        out,
        r##"<rect x="{lx}" y="{ly}" width="300" height="48" fill="#fff" stroke="#ccc"/><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#0b63c5" stroke-width="2.5"/><text x="{}" y="{}">measured (bar: min to max)</text><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#888" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{}">ideal: ceil(N/8) / concurrency x latency</text>"##,
        lx + 8.0,
        lx + 38.0,
        ly + 16.0,
        ly + 16.0,
        lx + 46.0,
        ly + 20.0,
        lx + 8.0,
        lx + 38.0,
        ly + 36.0,
        ly + 36.0,
        lx + 46.0,
        ly + 40.0
    );
    out.push_str("</svg>\n");
    out
}

fn main() {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let expected = options.images.div_ceil(BATCH);
    let binary = options.binary.clone().unwrap_or_else(shipped_binary);
    let binary_size = std::fs::metadata(&binary)
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
        .len();

    println!("vercel-image-invalidate benchmark");
    println!(
        "binary: {} ({binary_size} bytes, {})",
        binary.display(),
        mb(binary_size)
    );
    println!(
        "machine: {} cores, {}, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| c.lines().find_map(|l| l
                .strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())))
            .unwrap_or_else(|| "unknown CPU".into()),
        common::bench::load_average()
    );
    println!(
        "workload: {} images changed by the last commit, {} ms per request, {} requests expected, {} runs per concurrency",
        options.images,
        options.latency.as_millis(),
        expected,
        options.runs
    );

    let started = Instant::now();
    let (repo, before, after) = workspace(options.images);
    println!(
        "repository built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let defaults = common::action_inputs();
    let target = Target {
        binary: &binary,
        repo: repo.path(),
        before: &before,
        after: &after,
        defaults: &defaults,
    };
    let stand_in = StandIn::start(options.latency);
    let instant = StandIn::start(Duration::ZERO);

    // A warm-up, discarded: the page cache, git's object lookups.
    let _ = run_once(&target, &instant, 16);
    // The fixed cost: the same run against a stand-in that answers at once.
    let overhead: Vec<Run> = (0..options.runs)
        .map(|_| run_once(&target, &instant, 16))
        .collect();
    let overhead_wall = median(overhead.iter().map(|r| r.wall).collect());

    let mut rows: Vec<Row> = options
        .concurrency
        .iter()
        .map(|&concurrency| Row {
            concurrency,
            runs: Vec::new(),
            ideal: options
                .latency
                .mul_f64(expected as f64 / concurrency as f64),
        })
        .collect();
    // Round-robin, so that drift on the machine touches every concurrency alike.
    for round in 0..options.runs {
        for row in &mut rows {
            let run = run_once(&target, &stand_in, row.concurrency);
            eprintln!(
                "round {}: concurrency {:>2}: {} ({} requests)",
                round + 1,
                row.concurrency,
                secs(run.wall),
                run.seen.requests
            );
            row.runs.push(run);
        }
    }

    println!();
    println!(
        "| concurrency | requests (output / stand-in) | max in flight | wall, median of {} (min-max) | ideal | wall / ideal | peak RSS | binary alone | result |",
        options.runs
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut failed = false;
    let mut all_problems = Vec::new();
    for row in &rows {
        let problems = row.problems(options.images);
        failed |= !problems.is_empty();
        let requests = |f: &dyn Fn(&Run) -> String| {
            let mut values: Vec<String> = row.runs.iter().map(f).collect();
            values.dedup();
            values.join(",")
        };
        let walls: Vec<Duration> = row.runs.iter().map(|r| r.wall).collect();
        println!(
            "| {} | {} / {} | {} | {} ({:.3}-{:.3}) | {} | {:.2} | {} | {} | {} |",
            row.concurrency,
            requests(&|r| r.output_requests.map_or("none".into(), |n| n.to_string())),
            requests(&|r| r.seen.requests.to_string()),
            row.runs
                .iter()
                .map(|r| r.seen.max_in_flight)
                .max()
                .unwrap_or(0),
            secs(row.median_wall()),
            walls
                .iter()
                .min()
                .copied()
                .unwrap_or_default()
                .as_secs_f64(),
            walls
                .iter()
                .max()
                .copied()
                .unwrap_or_default()
                .as_secs_f64(),
            secs(row.ideal),
            row.ratio(),
            mb(row.peak_rss()),
            mb(row.binary_hwm()),
            if problems.is_empty() { "pass" } else { "FAIL" }
        );
        all_problems.extend(
            problems
                .into_iter()
                .map(|p| format!("concurrency {}: {p}", row.concurrency)),
        );
    }
    println!();
    println!(
        "fixed cost (same run, stand-in answering at once, concurrency 16, median of {}): {}, peak RSS {}",
        options.runs,
        secs(overhead_wall),
        mb(overhead.iter().map(|r| r.peak_rss).max().unwrap_or(0))
    );
    let binary_ok = binary_size < MAX_BINARY_BYTES;
    failed |= !binary_ok;
    println!(
        "binary size: {binary_size} bytes = {} (target < {}): {}",
        mb(binary_size),
        mb(MAX_BINARY_BYTES),
        if binary_ok { "pass" } else { "FAIL" }
    );
    println!(
        "targets: requests = ceil(N/8) = {expected}, wall / ideal <= {MAX_RATIO}, peak RSS < {}, binary < {}",
        mb(MAX_RSS_BYTES),
        mb(MAX_BINARY_BYTES)
    );
    println!(
        "peak RSS: ru_maxrss of the run from wait4 (the binary or, if larger, one of its git children); binary alone: its VmHWM sampled every 2 ms"
    );

    if let Some(path) = &options.svg {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        match std::fs::write(path, svg(&rows, &options)) {
            Ok(()) => println!("plot: {}", path.display()),
            Err(error) => eprintln!("could not write {}: {error}", path.display()),
        }
    }
    for problem in &all_problems {
        eprintln!("FAIL {problem}");
    }
    if failed {
        std::process::exit(1);
    }
}
