//! The container image builds from what `.dockerignore` lets into the build
//! context. There is no Docker engine where the tests run, so this replays the
//! builder stage of the Dockerfile on the files themselves: its `COPY` steps,
//! in order, from the context into an empty directory, and at each `RUN` that
//! builds, asks cargo to load the crate there. Cargo reads every target the
//! manifest names before it compiles anything, so a file the manifest needs
//! but the context or a `COPY` leaves out fails here as it would fail the
//! image build.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One rule of `.dockerignore`: the last rule that matches a path decides.
struct Rule {
    keep: bool,
    pattern: String,
}

fn dockerignore() -> Vec<Rule> {
    let text = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (keep, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
            assert!(
                pattern == "*" || !pattern.contains(['*', '?', '[']),
                "this test reads `*` and literal paths in .dockerignore; teach it `{line}`"
            );
            Rule {
                keep,
                pattern: pattern.to_string(),
            }
        })
        .collect()
}

/// A path is in the context unless the last rule matching it, or one of its
/// parent folders, excludes it. `*` matches every top-level entry.
fn in_context(rules: &[Rule], path: &str) -> bool {
    rules
        .iter()
        .rev()
        .find(|rule| {
            rule.pattern == "*"
                || path == rule.pattern
                || path.starts_with(&format!("{}/", rule.pattern))
        })
        .is_none_or(|rule| rule.keep)
}

/// The files of the build context, as paths relative to the repository: the
/// files git knows (tracked, or new and not ignored) that `.dockerignore`
/// lets through.
fn context() -> Vec<String> {
    // Nothing of the caller's git setup: no GIT_DIR or GIT_INDEX_FILE (set
    // under a git hook), no user or system configuration, and the checkout
    // read even when another user owns it.
    let listed = Command::new("git")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", root())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .arg("-c")
        .arg(format!("safe.directory={}", root().display()))
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root())
        .output()
        .expect("git ls-files");
    assert!(listed.status.success(), "git ls-files failed");
    let rules = dockerignore();
    String::from_utf8(listed.stdout)
        .expect("UTF-8 paths")
        .split('\0')
        .filter(|path| !path.is_empty() && root().join(path).is_file())
        .filter(|path| in_context(&rules, path))
        .map(str::to_string)
        .collect()
}

/// The instructions of the Dockerfile's first stage (the builder), with
/// continuation lines joined and comments dropped, as (keyword, arguments).
fn builder_stage() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                let joined = std::mem::take(&mut current);
                let joined = joined.trim();
                if !joined.is_empty() {
                    let (keyword, arguments) = joined.split_once(' ').unwrap_or((joined, ""));
                    instructions.push((keyword.to_uppercase(), arguments.trim().to_string()));
                }
            }
        }
    }
    instructions
        .into_iter()
        .skip_while(|(keyword, _)| keyword != "FROM")
        .skip(1)
        .take_while(|(keyword, _)| keyword != "FROM")
        .collect()
}

/// `COPY sources... dest` from the context into `workdir`, as Docker does it:
/// a folder's contents go to the destination, and several sources or a
/// destination ending in `/` mean "into this folder".
fn copy(context: &[String], arguments: &str, workdir: &Path) {
    let words: Vec<&str> = arguments.split_whitespace().collect();
    assert!(
        !words.iter().any(|w| w.starts_with("--")),
        "this test replays plain COPY steps; teach it `COPY {arguments}`"
    );
    let (dest, sources) = words.split_last().expect("COPY has a destination");
    let into_folder = sources.len() > 1 || dest.ends_with('/');
    let dest = workdir.join(dest.trim_start_matches("./"));
    for source in sources {
        let source = source.trim_start_matches("./").trim_end_matches('/');
        let mut copied = 0;
        for path in context {
            let target = if path == source {
                if into_folder {
                    dest.join(Path::new(path).file_name().expect("file name"))
                } else {
                    dest.clone()
                }
            } else if let Some(rest) = path.strip_prefix(&format!("{source}/")) {
                dest.join(rest)
            } else {
                continue;
            };
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::copy(root().join(path), &target).expect("copy");
            copied += 1;
        }
        assert!(
            copied > 0,
            "COPY {arguments}: `{source}` is not in the build context (.dockerignore leaves it out)"
        );
    }
}

/// The platform cargo builds for here, from `cargo -vV`.
fn host_platform() -> String {
    let out = Command::new(env!("CARGO"))
        .arg("-vV")
        .output()
        .expect("run cargo -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_string)
        .expect("cargo -vV names the host")
}

/// What cargo says of the crate in `dir` before compiling anything: it loads
/// the manifest with every target and checks that the lock file is complete
/// (`--locked`: the resolution, which covers every platform, must need no
/// change). Offline, and for this platform only: the crates that the test
/// suite's own build downloaded are all it may rely on, so the check holds
/// with a cargo home that holds nothing else (another platform's crates, such
/// as Windows ones, are never fetched for a Linux build).
fn cargo_loads(dir: &Path) -> Result<(), String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "fetch",
            "--locked",
            "--offline",
            "--target",
            &host_platform(),
        ])
        .current_dir(dir)
        .output()
        .expect("run cargo");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn the_builder_stage_finds_every_file_the_manifest_names() {
    let context = context();
    assert!(context.iter().any(|p| p == "Cargo.toml"), "{context:?}");
    assert!(
        !context
            .iter()
            .any(|p| p.starts_with("target/") || p.starts_with(".git/")),
        "{context:?}"
    );

    let workdir = tempfile::tempdir().expect("temp dir");
    let workdir = workdir.path();
    let mut builds = 0;
    for (keyword, arguments) in builder_stage() {
        match keyword.as_str() {
            "COPY" => copy(&context, &arguments, workdir),
            "RUN" if arguments.contains("cargo build") => {
                builds += 1;
                // The first build runs against a stand-in crate that the RUN
                // step writes itself, then deletes.
                let stand_in = !workdir.join("src/main.rs").exists();
                if stand_in {
                    assert!(
                        arguments.contains("src/main.rs") && arguments.contains("src/lib.rs"),
                        "the stand-in build writes src/main.rs and src/lib.rs: {arguments}"
                    );
                    std::fs::create_dir_all(workdir.join("src")).expect("mkdir");
                    std::fs::write(workdir.join("src/main.rs"), "fn main() {}").expect("write");
                    std::fs::write(workdir.join("src/lib.rs"), "").expect("write");
                }
                if let Err(error) = cargo_loads(workdir) {
                    panic!("the Dockerfile's `RUN {arguments}` would fail:\n{error}");
                }
                if stand_in {
                    std::fs::remove_dir_all(workdir.join("src")).expect("rm src");
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        builds, 2,
        "a stand-in build for the dependencies, then the real one"
    );
    assert!(workdir.join("src/main.rs").is_file() && workdir.join("src/lib.rs").is_file());
}

#[test]
fn the_context_holds_no_local_secrets_or_build_output() {
    let rules = dockerignore();
    for path in [
        ".env",
        "target/release/vercel-image-invalidate",
        ".git/config",
        "README.md",
        "tests/suite/push.rs",
    ] {
        assert!(
            !in_context(&rules, path),
            "{path} would be sent to the builder"
        );
    }
    for path in [
        "Cargo.toml",
        "Cargo.lock",
        "src/main.rs",
        "src/changes/git.rs",
    ] {
        assert!(in_context(&rules, path), "{path} must reach the builder");
    }
}
