//! Reading site configs: the work (steps) and wall time the config reader
//! takes on the largest files it reads, each just under the 1 MB it reads
//! up to, in the shapes that cost most (many functions, many assignments in
//! a block, many typed declarations on one line, names that double an
//! array at each level, wrappers that use each name twice), and on a real
//! config with plugins and a function export.
//!
//! ```sh
//! cargo bench --bench config
//! cargo bench --bench config -- --runs 5
//! ```
//!
//! For each file it prints its size, the steps taken against the budget
//! for its size, what `basePath` came out as, and the median wall time of
//! the runs. Exits 1 when a file takes more than its budget or the
//! config's `basePath` is not read.

// Printing the results is this program's whole job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use vercel_image_invalidate::site::eval::Invocation;
use vercel_image_invalidate::site::literal::{Found, MAX_SIZE, Value, budget_for, exported_for};

/// A real config's shape: plugins composed by `reduce`, conditional
/// spreads, a function export for the build's phase.
const REAL: &str = "const { PHASE_DEVELOPMENT_SERVER } = require('next/constants');
const withBundleAnalyzer = require('@next/bundle-analyzer')({ enabled: process.env.ANALYZE === 'true' });
const withMDX = require('@next/mdx')({ extension: /\\.mdx?$/ });

module.exports = (phase, { defaultConfig }) => {
  /** @type {import('next').NextConfig} */
  const nextConfig = {
    ...defaultConfig,
    basePath: '/docs',
    images: { deviceSizes: [640, 750, 828, 1080, 1200], formats: ['image/avif', 'image/webp'] },
    ...(process.env.STANDALONE === 'true' && { output: 'standalone' }),
  };
  if (phase === PHASE_DEVELOPMENT_SERVER) {
    return nextConfig;
  }
  return [withBundleAnalyzer, withMDX].reduce((config, plugin) => plugin(config), nextConfig);
};
";

/// `head`, then `unit(i)` for as many `i` as fit, then `tail`, under the
/// cap.
fn fill(head: &str, unit: impl Fn(usize) -> String, tail: &str) -> String {
    let mut out = head.to_string();
    let mut i = 0;
    loop {
        let next = unit(i);
        if out.len() + next.len() + tail.len() >= MAX_SIZE {
            break;
        }
        out.push_str(&next);
        i += 1;
    }
    out.push_str(tail);
    out
}

fn fixtures() -> Vec<(&'static str, String)> {
    let export = "\nmodule.exports = { basePath: '/docs' };\n";
    let mut doubling = String::from("const x0 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];\n");
    for i in 1..=8 {
        let prev = format!("x{}", i - 1);
        doubling.push_str(&format!(
            "const x{i} = [{}];\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    doubling.push_str("module.exports = { basePath: '/docs', images: { deviceSizes: x8 } };\n");
    let mut wrappers =
        String::from("const w = (a, b) => ({ ...a, ...b });\nconst c0 = { basePath: '/docs' };\n");
    for i in 1..=40 {
        wrappers.push_str(&format!("const c{i} = w(c{0}, c{0});\n", i - 1));
    }
    wrappers.push_str("module.exports = c40;\n");
    vec![
        ("real config", REAL.to_string()),
        (
            "functions",
            fill("", |i| format!("function f{i}() {{}}\n"), export),
        ),
        (
            "assignments in a block",
            fill(
                "const c = {};\nif (process.env.X) {\n",
                |i| format!("c.a{i}=1;\n"),
                "}\nc.basePath = '/docs';\nmodule.exports = c;\n",
            ),
        ),
        (
            "typed declarations on one line",
            fill("", |i| format!("const a{i}:T=1;"), export),
        ),
        ("doubling arrays", doubling),
        ("wrappers using each name twice", wrappers),
    ]
}

fn main() {
    let mut runs = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--bench" => {}
            other => {
                eprintln!("config bench: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start: {}",
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "{:<32} {:>9} {:>10} {:>10} {:>10}  basePath",
        "file", "bytes", "steps", "budget", "median ms"
    );
    let mut failed = false;
    for (name, source) in fixtures() {
        let mut times: Vec<Duration> = Vec::new();
        let mut outcome = String::new();
        let mut steps = 0;
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            let read = exported_for(&source, Invocation::NextBuild);
            times.push(started.elapsed());
            match read {
                Ok(exported) => {
                    steps = exported.steps;
                    outcome = match exported.value.path(&["basePath"]) {
                        Found::Value(Value::Str(s)) => s.clone(),
                        other => format!("{other:?}"),
                    };
                }
                Err(error) => outcome = error.to_string(),
            }
        }
        times.sort();
        let median = times[times.len() / 2];
        let budget = budget_for(source.len());
        println!(
            "{:<32} {:>9} {:>10} {:>10} {:>10.1}  {}",
            name,
            source.len(),
            steps,
            budget,
            median.as_secs_f64() * 1000.0,
            outcome
        );
        failed |= steps > budget || outcome != "/docs";
    }
    if failed {
        eprintln!("config bench: a file was not read within its budget");
        std::process::exit(1);
    }
}
