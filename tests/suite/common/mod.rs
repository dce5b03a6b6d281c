//! Test harness: runs the real binary the way the Actions runner does, with
//! fakes for GitHub and Vercel and real git repositories.
#![allow(dead_code)]

pub mod bench;
pub mod git;
pub mod github;
pub mod markdown;
pub mod raw;
pub mod runner;
pub mod site;
pub mod vercel;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

pub const VERCEL_TOKEN: &str = "vercel_tok_9f8e7d6c5b4a";
pub const GITHUB_TOKEN: &str = "ghs_gh_tok_1a2b3c4d5e6f";

/// The inputs `action.yml` declares, with their defaults.
pub fn action_inputs() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml");
    let yaml: Value = serde_norway::from_str(&text).expect("action.yml is YAML");
    yaml["inputs"]
        .as_object()
        .expect("inputs")
        .iter()
        .map(|(name, spec)| {
            let default = match &spec["default"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (name.clone(), default)
        })
        .collect()
}

/// One run of the binary, set up like a container action's step.
pub struct Action {
    inputs: BTreeMap<String, String>,
    env: BTreeMap<String, String>,
    args: Vec<String>,
    files: TempDir,
    event: Option<(String, String)>,
    actions: bool,
    cwd: Option<PathBuf>,
    runner_temp: bool,
    binary: Option<PathBuf>,
    measure: bool,
}

/// What a run left behind.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub summary: String,
    pub outputs_raw: String,
    pub outputs: BTreeMap<String, String>,
    /// The text of the file the `report-file` output names, read before the
    /// run's temporary folder goes.
    pub report_file: Option<String>,
    /// From spawn to exit.
    pub wall: std::time::Duration,
    /// The binary's peak resident memory, in bytes, when measured
    /// ([`Action::measure_memory`]); else 0.
    pub peak_memory: u64,
}

impl Ran {
    pub fn json(&self, output: &str) -> Value {
        let text = self
            .outputs
            .get(output)
            .unwrap_or_else(|| panic!("no output {output}: {:?}", self.outputs));
        serde_json::from_str(text).expect("output is JSON")
    }

    pub fn strings(&self, output: &str) -> Vec<String> {
        let mut list: Vec<String> = self
            .json(output)
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v.as_str().expect("string").to_string())
            .collect();
        list.sort();
        list
    }

    /// Everything the run wrote anywhere.
    pub fn everything(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.stdout, self.stderr, self.summary, self.outputs_raw
        )
    }

    /// The masking commands the run printed first: the one place a secret
    /// may be printed (the runner consumes them).
    pub fn masks(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .take_while(|l| l.starts_with("::add-mask::"))
            .collect()
    }

    /// Everything the run wrote anywhere, but the masking commands.
    pub fn unmasked(&self) -> String {
        self.everything()
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}\n--- summary\n{}",
            self.stdout, self.stderr, self.summary
        );
        self
    }
}

/// Parses the `GITHUB_OUTPUT` file as the runner does.
pub fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut result = BTreeMap::new();
    let mut lines = text.split('\n');
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let (name, delimiter) = line
            .split_once("<<")
            .expect("only the heredoc form is written");
        let mut value = Vec::new();
        for body in lines.by_ref() {
            if body == delimiter {
                break;
            }
            value.push(body);
        }
        result.insert(name.to_string(), value.join("\n"));
    }
    result
}

impl Action {
    /// Inside Actions: `GITHUB_ACTIONS=true` and every input at its
    /// `action.yml` default, as the runner passes them.
    pub fn new() -> Self {
        let mut inputs = action_inputs();
        inputs.insert("github-token".into(), GITHUB_TOKEN.into());
        Self {
            inputs,
            env: BTreeMap::new(),
            args: Vec::new(),
            files: tempfile::tempdir().expect("temp dir"),
            event: None,
            actions: true,
            cwd: None,
            runner_temp: false,
            binary: None,
            measure: false,
        }
    }

    /// A developer's terminal: no runner variables, no inputs.
    pub fn local() -> Self {
        Self {
            inputs: BTreeMap::new(),
            actions: false,
            ..Self::new()
        }
    }

    pub fn input(mut self, name: &str, value: &str) -> Self {
        self.inputs.insert(name.to_string(), value.to_string());
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.to_string(), value.to_string());
        self
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_string());
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// `RUNNER_TEMP` set to a folder of the run, as the runner does: the
    /// report file goes there.
    pub fn runner_temp(mut self) -> Self {
        self.runner_temp = true;
        self
    }

    /// Runs this build instead of the one cargo built for the tests.
    pub fn binary(mut self, binary: &Path) -> Self {
        self.binary = Some(binary.to_path_buf());
        self
    }

    /// Samples the binary's peak memory while it runs (for the benchmarks).
    pub fn measure_memory(mut self) -> Self {
        self.measure = true;
        self
    }

    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// The usual pair of fakes and the workspace.
    pub fn against(self, github: &str, vercel: &str, workspace: &Path) -> Self {
        self.env("GITHUB_API_URL", github)
            .input("vercel-api-url", vercel)
            .input("vercel-token", VERCEL_TOKEN)
            .input("project", "my-site")
            .env("GITHUB_WORKSPACE", &workspace.display().to_string())
    }

    pub fn event(mut self, name: &str, payload: Value) -> Self {
        self.event = Some((name.to_string(), payload.to_string()));
        self
    }

    pub fn event_raw(mut self, name: &str, payload: &str) -> Self {
        self.event = Some((name.to_string(), payload.to_string()));
        self
    }

    pub fn push(self, before: &str, after: &str) -> Self {
        let payload = serde_json::json!({
            "ref": "refs/heads/main",
            "before": before,
            "after": after,
            "created": before.bytes().all(|b| b == b'0'),
            "deleted": after.bytes().all(|b| b == b'0'),
            "forced": false,
            "repository": {"full_name": github::OWNER_REPO},
            "commits": []
        });
        self.env("GITHUB_SHA", after).event("push", payload)
    }

    /// Short retry delays so fault tests run in a moment.
    pub fn fast_retries(self) -> Self {
        self.args(&[
            "--retry-initial-delay",
            "0.05",
            "--retry-max-delay",
            "2",
            "--request-timeout",
            "2",
        ])
    }

    pub fn run(self) -> Ran {
        let summary_path = self.files.path().join("summary.md");
        let output_path = self.files.path().join("output.txt");
        let binary = self
            .binary
            .clone()
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_vercel-image-invalidate")));
        let mut command = Command::new(&binary);
        command.env_clear();
        command.env("PATH", std::env::var("PATH").unwrap_or_default());
        command.env("HOME", self.files.path());
        command.env("GIT_CONFIG_NOSYSTEM", "1");
        command.env("GIT_CONFIG_GLOBAL", "/dev/null");
        if self.actions {
            command.env("GITHUB_ACTIONS", "true");
            command.env("CI", "true");
            command.env("GITHUB_REPOSITORY", github::OWNER_REPO);
            command.env("GITHUB_SERVER_URL", "https://github.com");
            command.env("GITHUB_REF", "refs/heads/main");
            command.env("GITHUB_STEP_SUMMARY", &summary_path);
            command.env("GITHUB_OUTPUT", &output_path);
            if self.runner_temp {
                let runner_temp = self.files.path().join("runner-temp");
                std::fs::create_dir_all(&runner_temp).expect("runner temp dir");
                command.env("RUNNER_TEMP", &runner_temp);
            }
            if let Some((name, payload)) = &self.event {
                let event_path = self.files.path().join("event.json");
                std::fs::write(&event_path, payload).expect("event file");
                command.env("GITHUB_EVENT_NAME", name);
                command.env("GITHUB_EVENT_PATH", &event_path);
            }
        }
        for (name, value) in &self.inputs {
            command.env(format!("INPUT_{}", name.to_uppercase()), value);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        command.args(&self.args);
        command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let start = std::time::Instant::now();
        let child = command.spawn().expect("the binary runs");
        let memory = self
            .measure
            .then(|| bench::PeakMemory::watch(child.id(), &binary));
        let output = child.wait_with_output().expect("the binary runs");
        let wall = start.elapsed();
        let outputs_raw = std::fs::read_to_string(&output_path).unwrap_or_default();
        let outputs = parse_outputs(&outputs_raw);
        let report_file = outputs
            .get("report-file")
            .and_then(|path| std::fs::read_to_string(path).ok());
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            summary: std::fs::read_to_string(&summary_path).unwrap_or_default(),
            outputs,
            outputs_raw,
            report_file,
            wall,
            peak_memory: memory.map_or(0, bench::PeakMemory::stop),
        }
    }
}

/// All zeros: a created or deleted branch.
pub const ZERO: &str = "0000000000000000000000000000000000000000";

/// `text` with the random part of every temporary folder's name
/// (`/tmp/.tmpa1B2c3/...`) blanked: six random letters and digits can spell
/// any short string, so a test that looks for part of a secret in what a
/// run printed must not look in them.
pub fn without_temp_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("/.tmp") {
        let (before, after) = rest.split_at(at + "/.tmp".len());
        out.push_str(before);
        let random = after
            .char_indices()
            .take(6)
            .take_while(|(_, c)| c.is_ascii_alphanumeric())
            .count();
        out.push_str(&"*".repeat(random));
        rest = &after[random..];
    }
    out.push_str(rest);
    out
}

#[test]
fn temp_names_are_blanked_and_nothing_else() {
    assert_eq!(
        without_temp_names("at /tmp/.tmpaZq9k1/runner-temp/x.json and /tmp/.tmpQ/y, Zq"),
        "at /tmp/.tmp******/runner-temp/x.json and /tmp/.tmp*/y, Zq"
    );
}
