//! Real git repositories built in a temp dir, commit by commit, the way a
//! user's history is made.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

pub struct GitRepo {
    dir: TempDir,
}

/// git in `dir` with nothing of the caller's environment: no user or
/// system configuration, no `GIT_DIR`, `GIT_INDEX_FILE` or `GIT_CONFIG_*`
/// (set when the tests run from a git hook or `git rebase --exec`), the C
/// locale. Only `PATH` is kept, to find git.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("LC_ALL", "C")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    command
}

/// Runs git in `dir` (see [`git_command`]) as a fixed author at a fixed time.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl GitRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        git_in(dir.path(), &["init", "-q", "-b", "main"]);
        git_in(dir.path(), &["config", "core.quotePath", "false"]);
        Self { dir }
    }

    /// The smallest interesting history: `public/a.png` added, then
    /// modified. Returns the repository and the two commits.
    pub fn one_image_changed() -> (Self, String, String) {
        let repo = Self::new();
        repo.write("public/a.png", "1");
        let before = repo.commit("one");
        repo.write("public/a.png", "2");
        let after = repo.commit("two");
        (repo, before, after)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// Writes a file (creating folders) and stages it.
    pub fn write(&self, path: &str, content: &str) -> &Self {
        let full = self.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&full, content).expect("write");
        self.git(&["add", "--", path]);
        self
    }

    /// Writes many files, then stages them all at once.
    pub fn write_many(&self, files: impl IntoIterator<Item = (String, String)>) -> &Self {
        for (path, content) in files {
            let full = self.path().join(&path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(&full, content).expect("write");
        }
        self.git(&["add", "-A"]);
        self
    }

    pub fn remove(&self, path: &str) -> &Self {
        self.git(&["rm", "-q", "-r", "--", path]);
        self
    }

    pub fn rename(&self, from: &str, to: &str) -> &Self {
        if let Some(parent) = self.path().join(to).parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        self.git(&["mv", "--", from, to]);
        self
    }

    /// Replaces `path` with a symbolic link to `target`.
    pub fn symlink(&self, path: &str, target: &str) -> &Self {
        let full = self.path().join(path);
        let _ = std::fs::remove_file(&full);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::os::unix::fs::symlink(target, &full).expect("symlink");
        self.git(&["add", "--", path]);
        self
    }

    /// Replaces `path` with a submodule entry pointing at `commit`.
    pub fn submodule(&self, path: &str, commit: &str) -> &Self {
        let full = self.path().join(path);
        if full.exists() {
            self.git(&["rm", "-q", "--cached", "--", path]);
            let _ = std::fs::remove_file(&full);
        }
        self.git(&[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{commit},{path}"),
        ]);
        self
    }

    /// Commits what is staged (even nothing) and returns the sha.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn checkout_new(&self, branch: &str, at: &str) {
        self.git(&["checkout", "-q", "-B", branch, at]);
    }

    /// A full clone of branch `main` only, with this repository as `origin`:
    /// commits reachable from other branches are not in it.
    pub fn full_clone(&self) -> TempDir {
        self.git(&["config", "uploadpack.allowAnySHA1InWant", "true"]);
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("file://{}", self.path().display());
        git_in(
            dir.path(),
            &[
                "clone",
                "-q",
                "--single-branch",
                "--branch",
                "main",
                &url,
                ".",
            ],
        );
        dir
    }

    /// A shallow clone (depth 1) of this repository at `commit`, as
    /// actions/checkout makes, with this repository as `origin`. Like
    /// GitHub, the origin serves any commit it has by sha.
    pub fn shallow_clone(&self, commit: &str) -> TempDir {
        self.git(&["config", "uploadpack.allowAnySHA1InWant", "true"]);
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("file://{}", self.path().display());
        git_in(dir.path(), &["init", "-q"]);
        git_in(dir.path(), &["remote", "add", "origin", &url]);
        git_in(dir.path(), &["fetch", "-q", "--depth=1", "origin", commit]);
        git_in(dir.path(), &["checkout", "-q", "--detach", commit]);
        dir
    }
}
