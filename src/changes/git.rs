//! Changes from the local repository (`diff-source: git`), with no network
//! request except, in a shallow clone, fetching a commit it lacks.
//!
//! Everything goes through git's plumbing with NUL-separated output, so file
//! names with spaces, quotes, newlines or non-ASCII letters arrive intact.
//! Inside a container action the workspace belongs to another user and git
//! refuses it ("dubious ownership"); every call therefore names the
//! repository as a safe directory for that one command only.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{Delta, Detected, EntryKind, Range, Side, classify};
use crate::untrusted::is_full_sha;

/// `MissingCommit`'s kind for a shallow clone, the one a checkout setting fixes.
const SHALLOW_CLONE: &str = "shallow clone";

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("diff-source git needs the `git` program, which could not be started: {0}")]
    NotInstalled(io::Error),
    #[error("`{}` is not inside a git repository", .0.display())]
    NotARepository(PathBuf),
    #[error("`{rev}` does not name a commit in the repository at `{}`", dir.display())]
    UnknownRevision { rev: String, dir: PathBuf },
    #[error(
        "`{rev}` is not in this shallow clone: it holds only {depth} commit(s) of history, so earlier commits cannot be named"
    )]
    Shallow { rev: String, depth: u64 },
    #[error("commit {sha} is not in this {kind} and {reason}")]
    MissingCommit {
        sha: String,
        kind: &'static str,
        reason: String,
    },
    #[error("`git {command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
}

impl GitError {
    /// Whether the checkout itself is set up wrong (exit 2): a shallow clone
    /// that lacks a commit is fixed by `fetch-depth: 0`. A full clone whose
    /// fetch failed (network, credentials, a commit `origin` lost) could not
    /// read the changes (exit 1), like any other git failure.
    pub fn is_configuration(&self) -> bool {
        match self {
            GitError::MissingCommit { kind, .. } => *kind == SHALLOW_CLONE,
            GitError::Failed { .. } => false,
            _ => true,
        }
    }

    pub fn help(&self) -> String {
        match self {
            GitError::NotInstalled(_) => {
                "use `diff-source: api` (the default inside Actions), or install git".to_string()
            }
            GitError::NotARepository(_) => {
                "add an actions/checkout step before this one, or use `diff-source: api`".to_string()
            }
            GitError::UnknownRevision { .. } => {
                "give base and head as commit shas, branch or tag names, or expressions such as HEAD~1 that exist in the clone".to_string()
            }
            GitError::Shallow { .. } => {
                "set `fetch-depth: 0` on actions/checkout (the whole history), or use `diff-source: api`; in a local clone, run `git fetch --unshallow`".to_string()
            }
            GitError::MissingCommit { kind: SHALLOW_CLONE, .. } => {
                "set `fetch-depth: 0` (or `fetch-depth: 2` when pushes hold one commit) on actions/checkout, or use `diff-source: api`".to_string()
            }
            GitError::MissingCommit { sha, .. } => {
                format!("check that `origin` has commit {sha} (run `git fetch origin {sha}`), or use `--diff-source api`")
            }
            GitError::Failed { .. } => {
                "run the same git command in the repository to see what is wrong".to_string()
            }
        }
    }
}

/// A repository on disk, reached through the `git` program.
pub struct Repo {
    dir: PathBuf,
}

impl Repo {
    /// Opens the repository containing `dir`.
    pub fn open(dir: &Path) -> Result<Self, GitError> {
        let dir = dir
            .canonicalize()
            .map_err(|_| GitError::NotARepository(dir.to_path_buf()))?;
        let repo = Self { dir };
        let output = repo.run(["rev-parse", "--show-toplevel"])?;
        if !output.status.success() {
            return Err(GitError::NotARepository(repo.dir));
        }
        let top = String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string();
        Ok(Self {
            dir: PathBuf::from(top),
        })
    }

    fn command(&self) -> Command {
        let mut command = Command::new("git");
        command
            .arg("-c")
            .arg(format!("safe.directory={}", self.dir.display()))
            .arg("-C")
            .arg(&self.dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        command
    }

    fn run<I, S>(&self, args: I) -> Result<Output, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command()
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(GitError::NotInstalled)
    }

    /// Runs git and returns its standard output, or the failure.
    fn output(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let output = self.run(args)?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(GitError::Failed {
                command: args.join(" "),
                stderr: git_says(&output.stderr),
            })
        }
    }

    /// Where `path` points in commit `sha` when it is a symbolic link to a
    /// path of the repository; `None` for anything else, or a link out of it.
    fn link_target(&self, sha: &str, path: &str) -> Result<Option<String>, GitError> {
        let listed = self.output(&[
            "--literal-pathspecs",
            "ls-tree",
            "-z",
            "--full-tree",
            sha,
            "--",
            path,
        ])?;
        if !listed.starts_with(b"120000 ") {
            return Ok(None);
        }
        let target = self.output(&["cat-file", "blob", &format!("{sha}:{path}")])?;
        Ok(super::link_target(path, &String::from_utf8_lossy(&target)))
    }

    fn is_shallow(&self) -> bool {
        self.output(&["rev-parse", "--is-shallow-repository"])
            .map(|out| out.starts_with(b"true"))
            .unwrap_or(false)
    }

    /// How many commits the clone holds from `HEAD` down.
    fn depth(&self) -> u64 {
        self.output(&["rev-list", "--count", "HEAD"])
            .ok()
            .and_then(|out| String::from_utf8_lossy(&out).trim().parse().ok())
            .unwrap_or(0)
    }

    fn has_commit(&self, sha: &str) -> bool {
        self.run(["cat-file", "-e", &format!("{sha}^{{commit}}")])
            .map(|out| out.status.success())
            .unwrap_or(false)
    }

    /// The full sha of a revision, fetching it first when this is a shallow
    /// clone that lacks it.
    pub fn resolve(&self, rev: &str) -> Result<String, GitError> {
        if is_full_sha(rev) && !self.has_commit(rev) {
            self.fetch(rev)?;
        }
        // The config refuses revisions that start with `-`, so no
        // `--end-of-options` (which git before 2.31 would not know) is needed.
        let output = self.run([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])?;
        if !output.status.success() {
            if self.is_shallow() {
                return Err(GitError::Shallow {
                    rev: rev.to_string(),
                    depth: self.depth(),
                });
            }
            return Err(GitError::UnknownRevision {
                rev: rev.to_string(),
                dir: self.dir.clone(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Fetches a commit the clone lacks: after a force push even a full
    /// clone has no ref to the old tip. A shallow clone (actions/checkout's
    /// default) gets the commit alone (`--depth=1`); a full clone is never
    /// made shallow behind its owner's back, so it fetches normally.
    fn fetch(&self, sha: &str) -> Result<(), GitError> {
        let shallow = self.is_shallow();
        let mut args = vec!["fetch", "--quiet", "--no-tags", "--no-write-fetch-head"];
        if shallow {
            args.push("--depth=1");
        }
        args.extend(["origin", sha]);
        let output = self.run(&args)?;
        if output.status.success() && self.has_commit(sha) {
            return Ok(());
        }
        Err(GitError::MissingCommit {
            sha: sha.to_string(),
            kind: if shallow { SHALLOW_CLONE } else { "clone" },
            reason: format!(
                "`git {}` did not bring it:\n{}",
                args.join(" "),
                git_says(&output.stderr)
            ),
        })
    }

    /// The parents recorded in the commit object itself, which a shallow
    /// clone keeps even where it cut the history.
    fn parents(&self, sha: &str) -> Result<Vec<String>, GitError> {
        let raw = self.output(&["cat-file", "commit", sha])?;
        let text = String::from_utf8_lossy(&raw);
        Ok(text
            .lines()
            .take_while(|line| !line.is_empty())
            .filter_map(|line| line.strip_prefix("parent "))
            .map(str::to_string)
            .collect())
    }

    /// Paths that differ between two commits (`base` `None`: every file of
    /// `head`).
    pub fn diff(&self, base: Option<&str>, head: &str) -> Result<Vec<Delta>, GitError> {
        let mut args = vec![
            "diff-tree",
            "-r",
            "-z",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--no-commit-id",
            "--no-ext-diff",
        ];
        // Both are full shas from `resolve`, never options.
        match base {
            Some(base) => args.extend([base, head]),
            None => args.extend(["--root", head]),
        }
        let raw = self.output(&args)?;
        parse_raw(&raw)
    }
}

/// What git wrote on its error output, as lines (bounded), for a message.
fn git_says(stderr: &[u8]) -> String {
    // A remote's URL may hold a token: out before anything is cut.
    let text = String::from_utf8_lossy(stderr);
    crate::untrusted::excerpt_lines(&crate::untrusted::hide_url_credentials(&text), 10)
}

/// Parses `git diff-tree -r -z --raw` output:
/// `:<old mode> <new mode> <old oid> <new oid> <status>\0<path>\0`.
fn parse_raw(raw: &[u8]) -> Result<Vec<Delta>, GitError> {
    let malformed = |what: &str| GitError::Failed {
        command: "diff-tree".to_string(),
        stderr: format!("unexpected output: {what}"),
    };
    let mut deltas = Vec::new();
    let mut fields = raw.split(|&b| b == 0);
    while let Some(header) = fields.next() {
        if header.is_empty() {
            continue;
        }
        let header = std::str::from_utf8(header).map_err(|_| malformed("header"))?;
        let header = header.strip_prefix(':').ok_or_else(|| malformed(header))?;
        let parts: Vec<&str> = header.split(' ').collect();
        let [old_mode, new_mode, old_oid, new_oid, _status] = parts.as_slice() else {
            return Err(malformed(header));
        };
        let path = fields
            .next()
            .filter(|path| !path.is_empty())
            .ok_or_else(|| malformed("missing path"))?;
        let (path, lossy) = match String::from_utf8(path.to_vec()) {
            Ok(path) => (path, false),
            Err(error) => (String::from_utf8_lossy(error.as_bytes()).into_owned(), true),
        };
        let side = |mode: &str, oid: &str| {
            EntryKind::from_mode(mode).map(|kind| Side {
                kind,
                oid: oid.to_string(),
            })
        };
        deltas.push(Delta {
            path,
            lossy,
            old: side(old_mode, old_oid),
            new: side(new_mode, new_oid),
        });
    }
    Ok(deltas)
}

/// Finds the changes of `range` in the repository at `dir`.
pub fn detect(dir: &Path, range: &Range) -> Result<Detected, GitError> {
    let repo = Repo::open(dir)?;
    let head = repo.resolve(&range.head)?;
    let base = match &range.base {
        Some(base) => Some(repo.resolve(base)?),
        None => match repo.parents(&head)?.first() {
            Some(parent) => Some(repo.resolve(parent)?),
            None => None,
        },
    };
    let deltas = repo.diff(base.as_deref(), &head)?;
    Ok(Detected {
        changes: classify(deltas),
        base,
        head,
        notes: Vec::new(),
        api_requests: 0,
        site_files: None,
        links: None,
        framework_configs: None,
    })
}

/// The framework config files of the whole tree at `rev` (local, no
/// request), at most [`super::MAX_FRAMEWORK_CONFIGS`].
pub fn framework_configs(dir: &Path, rev: &str) -> Result<Vec<String>, GitError> {
    let repo = Repo::open(dir)?;
    let head = repo.resolve(rev)?;
    let raw = repo.output(&["ls-tree", "-r", "-z", "--name-only", "--full-tree", &head])?;
    Ok(raw
        .split(|&b| b == 0)
        .filter_map(|path| std::str::from_utf8(path).ok())
        .filter(|path| super::is_framework_config(path))
        .map(str::to_string)
        .take(super::MAX_FRAMEWORK_CONFIGS)
        .collect())
}

/// The files (not folders, links or submodules) directly in `folder` (empty:
/// the root) at commit `rev`, as repository paths, and the commit's sha.
pub fn files_in(dir: &Path, rev: &str, folder: &str) -> Result<(String, Vec<String>), GitError> {
    let repo = Repo::open(dir)?;
    let head = repo.resolve(rev)?;
    let mut args = vec!["--literal-pathspecs", "ls-tree", "-z", "--full-tree", &head];
    let pathspec = format!("{folder}/");
    if !folder.is_empty() {
        args.extend(["--", &pathspec]);
    }
    let raw = repo.output(&args)?;
    let files = raw
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let entry = std::str::from_utf8(entry).ok()?;
            let (meta, path) = entry.split_once('\t')?;
            let mode = meta.split(' ').next()?;
            // A config file may be a link to one elsewhere.
            matches!(
                EntryKind::from_mode(mode),
                Some(EntryKind::File | EntryKind::Symlink)
            )
            .then(|| path.to_string())
        })
        .collect();
    Ok((head, files))
}

/// Where `path` points in commit `sha` when it is a symbolic link to a
/// path of the repository.
pub fn link_target(dir: &Path, sha: &str, path: &str) -> Result<Option<String>, GitError> {
    Repo::open(dir)?.link_target(sha, path)
}

/// Whether `folder` is a folder of commit `rev`.
pub fn folder_exists(dir: &Path, rev: &str, folder: &str) -> Result<bool, GitError> {
    let repo = Repo::open(dir)?;
    let head = repo.resolve(rev)?;
    let output = repo.run(["cat-file", "-t", &format!("{head}:{folder}")])?;
    Ok(output.status.success() && output.stdout.starts_with(b"tree"))
}

/// The text of the file at `path` in commit `sha` (invalid UTF-8 replaced).
/// A symbolic link is read at its target, as the build reads it (a link
/// out of the repository, or too many in a row, is read as itself).
pub fn read(dir: &Path, sha: &str, path: &str) -> Result<String, GitError> {
    let repo = Repo::open(dir)?;
    let mut at = path.to_string();
    for _ in 0..super::MAX_LINKS {
        match repo.link_target(sha, &at)? {
            Some(next) => at = next,
            None => break,
        }
    }
    let raw = repo.output(&["cat-file", "blob", &format!("{sha}:{at}")])?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_shallow_clone_lacking_a_commit_is_a_checkout_to_fix() {
        let missing = |kind| GitError::MissingCommit {
            sha: "a".repeat(40),
            kind,
            reason: "`git fetch` did not bring it".to_string(),
        };
        assert!(missing(SHALLOW_CLONE).is_configuration());
        assert!(!missing("clone").is_configuration());
        let shallow = GitError::Shallow {
            rev: "HEAD~5".to_string(),
            depth: 1,
        };
        assert!(shallow.is_configuration());
        let failed = GitError::Failed {
            command: "diff".to_string(),
            stderr: String::new(),
        };
        assert!(!failed.is_configuration());
    }

    #[test]
    fn raw_output_with_awkward_names_parses() {
        let zeros = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let mut raw = Vec::new();
        raw.extend(format!(":000000 100644 {zeros} {a} A\0public/my photo\n\"q\".png\0").bytes());
        raw.extend(format!(":100644 120000 {a} {b} T\0public/link.png\0").bytes());
        raw.extend(format!(":100644 000000 {a} {zeros} D\0").bytes());
        raw.extend(b"public/\xff.png\0");
        let deltas = parse_raw(&raw).expect("parses");
        assert_eq!(deltas.len(), 3);
        assert_eq!(deltas[0].path, "public/my photo\n\"q\".png");
        assert!(deltas[0].old.is_none());
        assert_eq!(
            deltas[1].new.as_ref().map(|s| s.kind),
            Some(EntryKind::Symlink)
        );
        assert!(deltas[2].lossy);
        assert!(deltas[2].new.is_none());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_raw(b"nonsense\0").is_err());
        assert!(parse_raw(b":100644 100644 a b\0x\0").is_err());
        assert!(parse_raw(b":100644 100644 a b M\0").is_err());
    }
}
