//! Verify and warm on the live site, for N images (100 by default): the
//! binary run as the Actions runner runs it (a manual run with `images`,
//! which asks the site at once), against the end-to-end tests' fakes on
//! 127.0.0.1: the edge-cache API (answering at once) and the live site's
//! image cache, which answers every request after a fixed latency.
//!
//! - **verify**: every image cached and changed by the deployment, so each
//!   is `STALE` once and then fresh with a new ETag: 2 probes an image, so
//!   the ideal is `ceil(2N / concurrency) x latency` (probes of one image
//!   follow each other, with `--verify-interval 0`; N images keep
//!   `concurrency` requests busy).
//! - **warm**: nothing cached, every variant Next.js allows by default
//!   (15 widths x quality 75 x WebP) requested once: `15N` requests, ideal
//!   `ceil(15N / concurrency) x latency`.
//!
//! For each it prints the requests (the site's count, and for warm that each
//! variant came exactly once), the wall time from spawn to exit (median of
//! the runs) against the ideal, and the binary's peak resident memory
//! (`VmHWM`, sampled every 2 ms).
//!
//! ```sh
//! cargo bench --bench live
//! cargo bench --bench live -- --images 100 --latency-ms 20 --concurrency 4,16 --runs 3
//! ```
//!
//! The binary measured is the one `cargo bench` builds
//! (`CARGO_BIN_EXE_vercel-image-invalidate`, release profile); `--binary
//! PATH` measures another. Exits 1 when a run does not do what it should.

// Printing the results is this program's whole job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/suite/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use common::bench::Workload;
use common::site::{FakeSite, SiteConfig};
use common::vercel::FakeVercel;
use common::{Action, Ran, VERCEL_TOKEN};

/// Variants per image with Next.js's defaults.
const VARIANTS: usize = 15;

fn parse() -> Result<Workload, String> {
    let mut options = Workload {
        binary: None,
        images: 100,
        latency: Duration::from_millis(20),
        concurrency: vec![4, 16],
        runs: 3,
    };
    let mut flags = common::bench::Flags::from_env();
    while let Some(arg) = flags.next_flag() {
        if !options.read(&arg, &mut flags)? {
            match arg.as_str() {
                "--help" | "-h" => {
                    return Err("usage: cargo bench --bench live -- [--binary PATH] [--images N] [--latency-ms MS] [--concurrency 4,16] [--runs N]".into());
                }
                other => return Err(format!("unknown argument `{other}` (try --help)")),
            }
        }
    }
    Ok(options)
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Verify,
    Warm,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Verify => "verify",
            Mode::Warm => "warm",
        }
    }

    /// The site's requests a correct run makes for `images`.
    fn expected(self, images: usize) -> usize {
        match self {
            Mode::Verify => 2 * images,
            Mode::Warm => VARIANTS * images,
        }
    }
}

struct Measured {
    ran: Ran,
    requests: usize,
    problems: Vec<String>,
}

fn paths(images: usize) -> Vec<String> {
    (0..images)
        .map(|i| format!("/images/set-{:02}/photo-{i:05}.png", i % 20))
        .collect()
}

/// One run of `mode` at `concurrency`, against a fresh site.
async fn run(options: &Workload, mode: Mode, concurrency: usize) -> Measured {
    let site = FakeSite::start(SiteConfig {
        latency: options.latency,
        revalidate_after: 0,
        ..SiteConfig::default()
    })
    .await;
    let paths = paths(options.images);
    for path in &paths {
        site.put(path);
        if mode == Mode::Verify {
            site.visit(path, 640, 75, "image/webp");
            site.change(path);
        }
    }
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;
    let mut action = Action::new()
        .input("vercel-api-url", &vercel.url())
        .input("vercel-token", VERCEL_TOKEN)
        .input("project", "bench-site")
        .input("images", &paths.join("\n"))
        .input("site-url", &site.url())
        .input("concurrency", &concurrency.to_string())
        .input(
            "verify",
            if mode == Mode::Verify {
                "true"
            } else {
                "false"
            },
        )
        .input("warm", if mode == Mode::Warm { "true" } else { "false" })
        .args(&["--verify-interval", "0", "--verify-max-interval", "0"])
        .event("workflow_dispatch", json!({"inputs": {}}))
        .measure_memory();
    if let Some(binary) = &options.binary {
        action = action.binary(binary);
    }
    let ran = action.run();

    let expected = mode.expected(options.images);
    let requests = site.requests().len();
    let mut problems = Vec::new();
    if ran.code != 0 {
        problems.push(format!("exit code {}:\n{}", ran.code, ran.stdout));
    }
    if requests != expected {
        problems.push(format!("{requests} site requests, expected {expected}"));
    }
    match mode {
        Mode::Verify => {
            let verified = ran.json("verified").as_array().map_or(0, Vec::len);
            if verified != options.images {
                problems.push(format!("{verified} verified, expected {}", options.images));
            }
        }
        Mode::Warm => {
            let variants = site.variants_requested();
            if variants.len() != expected || variants.values().any(|&n| n != 1) {
                problems.push(format!(
                    "{} distinct variants requested, expected {expected} once each",
                    variants.len()
                ));
            }
        }
    }
    Measured {
        ran,
        requests,
        problems,
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    println!("vercel-image-invalidate live-site benchmark");
    println!(
        "binary: {}",
        options
            .binary
            .clone()
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_vercel-image-invalidate")))
            .display()
    );
    println!(
        "machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        common::bench::load_average()
    );
    println!(
        "workload: {} images, {} ms per site request, {} runs each",
        options.images,
        options.latency.as_millis(),
        options.runs
    );
    // A warm-up, discarded.
    let _ = run(&options, Mode::Verify, 16).await;

    println!();
    println!(
        "| mode | concurrency | site requests | wall, median | ideal | wall / ideal | peak memory | result |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let mut failed = false;
    for mode in [Mode::Verify, Mode::Warm] {
        for &concurrency in &options.concurrency {
            let mut runs = Vec::new();
            for round in 0..options.runs {
                let measured = run(&options, mode, concurrency).await;
                eprintln!(
                    "{} c={concurrency} run {}: {:.3} s, {} site requests, peak memory {:.1} MB",
                    mode.name(),
                    round + 1,
                    measured.ran.wall.as_secs_f64(),
                    measured.requests,
                    measured.ran.peak_memory as f64 / 1e6
                );
                runs.push(measured);
            }
            let expected = mode.expected(options.images);
            let ideal = options.latency * expected.div_ceil(concurrency) as u32;
            let wall = median(runs.iter().map(|m| m.ran.wall).collect());
            let peak = runs.iter().map(|m| m.ran.peak_memory).max().unwrap_or(0);
            let problems: Vec<&String> = runs.iter().flat_map(|m| &m.problems).collect();
            let mut requests: Vec<String> = runs.iter().map(|m| m.requests.to_string()).collect();
            requests.dedup();
            println!(
                "| {} | {concurrency} | {} | {:.3} s | {:.3} s | {:.2} | {:.1} MB | {} |",
                mode.name(),
                requests.join(","),
                wall.as_secs_f64(),
                ideal.as_secs_f64(),
                wall.as_secs_f64() / ideal.as_secs_f64(),
                peak as f64 / 1e6,
                if problems.is_empty() { "pass" } else { "FAIL" }
            );
            for problem in problems {
                eprintln!("{} c={concurrency}: {problem}", mode.name());
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
