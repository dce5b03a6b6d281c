//! Changes from the GitHub REST API (`diff-source: api`), with no checkout.
//!
//! The compare endpoint stops at 300 files, so this compares git trees
//! instead. Usually that is two requests whatever the size of the push: the
//! whole tree of each commit (`git/trees/{sha}?recursive=1`), diffed in
//! memory. Past about 100,000 entries GitHub truncates such a listing; then
//! the comparison goes down level by level the way git diffs trees, skipping
//! every subtree whose sha did not change, and entering only subtrees on the
//! way to or under a public dir.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{Delta, Detected, EntryKind, Range, Side, classify};
use crate::github::{GitHub, GitHubError, RetryNote};

pub type ApiError = GitHubError;

use crate::github::CONTENTS;

#[derive(Debug, Deserialize)]
struct Tree {
    tree: Vec<TreeItem>,
    #[serde(default)]
    truncated: bool,
}

#[derive(Debug, Deserialize)]
struct TreeItem {
    path: String,
    mode: String,
    sha: String,
}

#[derive(Debug, Deserialize)]
struct GitCommit {
    parents: Vec<ShaRef>,
}

#[derive(Debug, Deserialize)]
struct ShaRef {
    sha: String,
}

/// One listing of a tree, flattened to `(path, entry)`.
struct Listing {
    entries: Vec<(String, Side)>,
    truncated: bool,
}

struct Walker<'a> {
    github: &'a GitHub,
    repo: &'a str,
    on_retry: &'a dyn Fn(RetryNote),
}

impl Walker<'_> {
    async fn list(&self, tree: Option<&str>, recursive: bool) -> Result<Listing, ApiError> {
        let Some(tree) = tree else {
            return Ok(Listing {
                entries: Vec::new(),
                truncated: false,
            });
        };
        let query = if recursive { "?recursive=1" } else { "" };
        let path = format!("/repos/{}/git/trees/{tree}{query}", self.repo);
        let listing: Tree = self.github.get(&path, CONTENTS, self.on_retry).await?;
        let entries = listing
            .tree
            .into_iter()
            .filter_map(|item| {
                let kind = EntryKind::from_mode(&item.mode)?;
                Some((
                    item.path,
                    Side {
                        kind,
                        oid: item.sha,
                    },
                ))
            })
            .collect();
        Ok(Listing {
            entries,
            truncated: listing.truncated,
        })
    }

    async fn resolve(&self, rev: &str) -> Result<String, ApiError> {
        self.github
            .resolve_commit(self.repo, rev, self.on_retry)
            .await
    }

    async fn first_parent(&self, sha: &str) -> Result<Option<String>, ApiError> {
        let path = format!("/repos/{}/git/commits/{sha}", self.repo);
        let commit: GitCommit = self.github.get(&path, CONTENTS, self.on_retry).await?;
        Ok(commit.parents.into_iter().next().map(|p| p.sha))
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Deltas between two complete recursive listings (trees themselves left
/// out: their files are listed).
fn diff_flat(prefix: &str, base: Listing, head: Listing) -> Vec<Delta> {
    let files = |listing: Listing| -> HashMap<String, Side> {
        listing
            .entries
            .into_iter()
            .filter(|(_, side)| side.kind != EntryKind::Tree)
            .collect()
    };
    let mut old = files(base);
    let mut deltas = Vec::new();
    for (path, new) in files(head) {
        match old.remove(&path) {
            Some(previous) if previous == new => {}
            previous => deltas.push(Delta {
                path: join(prefix, &path),
                lossy: false,
                old: previous,
                new: Some(new),
            }),
        }
    }
    deltas.extend(old.into_iter().map(|(path, previous)| Delta {
        path: join(prefix, &path),
        lossy: false,
        old: Some(previous),
        new: None,
    }));
    deltas
}

/// Pending comparisons: (path prefix, base tree-ish, head tree-ish).
type Pending = Vec<(String, Option<String>, Option<String>)>;

/// Finds the changes of `range` in `repo` (`owner/name`). Where GitHub cuts
/// a listing short, folders are compared one by one, and only those for which
/// `worth_listing(folder)` holds are entered. The files directly in
/// `site_dir` at head are noted where a listing shows them.
pub async fn detect(
    github: &GitHub,
    repo: &str,
    range: &Range,
    site_dir: &str,
    worth_listing: &dyn Fn(&str) -> bool,
    on_retry: &dyn Fn(RetryNote),
) -> Result<Detected, ApiError> {
    let walker = Walker {
        github,
        repo,
        on_retry,
    };
    let head = walker.resolve(&range.head).await?;
    let base = match &range.base {
        Some(base) => Some(walker.resolve(base).await?),
        None => walker.first_parent(&head).await?,
    };
    let mut notes = Vec::new();
    let mut deltas = Vec::new();
    let mut pruned = Vec::new();
    let mut site_files = None;
    let mut links = Vec::new();
    let mut framework_configs = None;
    let mut pending: Pending = vec![(String::new(), base.clone(), Some(head.clone()))];
    if base.as_deref() == Some(head.as_str()) {
        pending.clear();
    }
    while let Some((prefix, old_tree, new_tree)) = pending.pop() {
        let (old, new) = futures_util::future::try_join(
            walker.list(old_tree.as_deref(), true),
            walker.list(new_tree.as_deref(), true),
        )
        .await?;
        if !old.truncated && !new.truncated {
            site_files = site_files.or_else(|| files_directly_in(&prefix, &new, site_dir));
            links.extend(links_in(&prefix, &new));
            if prefix.is_empty() {
                framework_configs = Some(configs_in(&new));
            }
            deltas.extend(diff_flat(&prefix, old, new));
            continue;
        }
        let shown = Some(prefix.as_str()).filter(|p| !p.is_empty());
        let shown = shown.unwrap_or("the repository");
        notes.push(format!(
            "GitHub truncated the file listing of {shown}; compared it folder by folder instead"
        ));
        let (old, new) = futures_util::future::try_join(
            walker.list(old_tree.as_deref(), false),
            walker.list(new_tree.as_deref(), false),
        )
        .await?;
        // Folder by folder, the links are those of the folders walked.
        links.extend(links_in(&prefix, &new));
        if prefix == site_dir {
            site_files = site_files.or_else(|| files_directly_in(&prefix, &new, site_dir));
        }
        let folder = compare_folder(&prefix, old, new);
        deltas.extend(folder.deltas);
        for (path, old_tree, new_tree) in folder.subfolders {
            if worth_listing(&path) {
                pending.push((path, old_tree, new_tree));
            } else {
                pruned.push(path);
            }
        }
    }
    notes.extend(pruned_note(&pruned));
    Ok(Detected {
        changes: classify(deltas),
        base,
        head,
        notes,
        api_requests: 0,
        site_files,
        links: Some(links),
        framework_configs,
    })
}

/// The framework config files of a whole listing, at most
/// [`super::MAX_FRAMEWORK_CONFIGS`].
fn configs_in(listing: &Listing) -> Vec<String> {
    listing
        .entries
        .iter()
        .filter(|(path, side)| side.kind == EntryKind::File && super::is_framework_config(path))
        .map(|(path, _)| path.clone())
        .take(super::MAX_FRAMEWORK_CONFIGS)
        .collect()
}

/// The note on folders a cut-short listing made the comparison skip.
fn pruned_note(pruned: &[String]) -> Option<String> {
    if pruned.is_empty() {
        return None;
    }
    let shown: Vec<&str> = pruned.iter().take(20).map(String::as_str).collect();
    let more = if pruned.len() > shown.len() {
        ", ..."
    } else {
        ""
    };
    Some(format!(
        "{} changed folder(s) outside the public dirs were not listed, so changed images there are not reported as skipped: {}{more}",
        pruned.len(),
        shown.join(", ")
    ))
}

/// The symbolic links of a listing of `prefix`, as repository paths.
fn links_in(prefix: &str, listing: &Listing) -> Vec<String> {
    listing
        .entries
        .iter()
        .filter(|(_, side)| side.kind == EntryKind::Symlink)
        .map(|(path, _)| join(prefix, path))
        .collect()
}

/// The files directly in `folder`, from a complete listing of `prefix`
/// (recursive, or of `folder` itself); `None` when it does not cover it.
fn files_directly_in(prefix: &str, listing: &Listing, folder: &str) -> Option<Vec<String>> {
    let covers = prefix.is_empty() || folder == prefix || folder.starts_with(&format!("{prefix}/"));
    if !covers || listing.truncated {
        return None;
    }
    let parent = |path: &str| path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
    Some(
        listing
            .entries
            .iter()
            // A config file may be a link to one elsewhere.
            .filter(|(_, side)| matches!(side.kind, EntryKind::File | EntryKind::Symlink))
            .map(|(path, _)| join(prefix, path))
            .filter(|path| parent(path) == folder)
            .collect(),
    )
}

/// Characters kept as they are in a path segment of a GitHub API URL.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `/repos/{repo}/contents/{path}?ref={sha}`, each segment encoded.
fn contents_path(repo: &str, path: &str, sha: &str) -> String {
    let encoded: Vec<String> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string())
        .collect();
    format!("/repos/{repo}/contents/{}?ref={sha}", encoded.join("/"))
}

#[derive(Debug, Deserialize)]
struct DirEntry {
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

/// The files directly in `folder` (empty: the root) at commit `sha`, by one
/// request to the contents API.
pub async fn files_in(
    github: &GitHub,
    repo: &str,
    sha: &str,
    folder: &str,
    on_retry: &dyn Fn(RetryNote),
) -> Result<Vec<String>, ApiError> {
    let path = contents_path(repo, folder, sha);
    let entries: Vec<DirEntry> = github.get(&path, CONTENTS, on_retry).await?;
    Ok(entries
        .into_iter()
        .filter(|entry| entry.kind == "file" || entry.kind == "symlink")
        .map(|entry| entry.path)
        .collect())
}

/// Whether `folder` is a folder of commit `sha` (one request to the
/// contents API; a file there is not a folder).
pub async fn folder_exists(
    github: &GitHub,
    repo: &str,
    sha: &str,
    folder: &str,
    on_retry: &dyn Fn(RetryNote),
) -> Result<bool, ApiError> {
    let path = contents_path(repo, folder, sha);
    match github
        .get::<serde_json::Value>(&path, CONTENTS, on_retry)
        .await
    {
        Ok(listing) => Ok(listing.is_array()),
        Err(GitHubError::Status { status: 404, .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

#[derive(Debug, Deserialize)]
struct FileContent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    encoding: String,
    #[serde(default)]
    sha: String,
    #[serde(default)]
    size: u64,
    /// A link's target, where GitHub cannot follow it to a file.
    #[serde(default)]
    target: Option<String>,
}

/// The largest file read through the Git blobs API: GitHub's own limit
/// for it (a config over the site reader's 1 MB is not asked for: the
/// caller's `largest`).
const LARGEST_BLOB: u64 = 100_000_000;

/// The text of the file at `path` in commit `sha`, by one request to the
/// contents API (invalid UTF-8 replaced); `Err(size)` without reading it
/// where it is larger than `largest` bytes.
pub async fn read(
    github: &GitHub,
    repo: &str,
    sha: &str,
    path: &str,
    largest: u64,
    on_retry: &dyn Fn(RetryNote),
) -> Result<Result<String, u64>, ApiError> {
    let request = contents_path(repo, path, sha);
    let mut file: FileContent = github.get(&request, CONTENTS, on_retry).await?;
    let undecodable = |why: String| GitHubError::Decode {
        path: request.clone(),
        message: why,
    };
    if file.kind == "symlink" {
        // A link GitHub does not follow (to a folder, or out of the
        // repository): its target is no file to read.
        return Err(undecodable(format!(
            "`{path}` is a symbolic link to `{}`, which is not a file of the repository; set the inputs `public-dir` and `url-prefix`",
            file.target.as_deref().unwrap_or("?")
        )));
    }
    if file.size > largest {
        // Not read: the caller says why.
        return Ok(Err(file.size));
    }
    if file.encoding == "none" && file.size <= LARGEST_BLOB && !file.sha.is_empty() {
        // Over 1 MB the contents API leaves the content out; the Git blobs
        // API gives it.
        let blob = format!("/repos/{repo}/git/blobs/{}", file.sha);
        file = github.get(&blob, CONTENTS, on_retry).await?;
    }
    if file.encoding != "base64" {
        return Err(undecodable(format!(
            "GitHub sent the content of `{path}` ({} bytes) encoded as `{}`, not base64",
            file.size, file.encoding
        )));
    }
    let bytes =
        base64_decode(&file.content).ok_or_else(|| undecodable("invalid base64".to_string()))?;
    Ok(Ok(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Where `path` points in commit `sha` when it is a symbolic link to a
/// folder of the repository, by one request to the contents API (which
/// answers a link to a folder with `"type": "symlink"` and its target).
pub async fn link_target(
    github: &GitHub,
    repo: &str,
    sha: &str,
    path: &str,
    on_retry: &dyn Fn(RetryNote),
) -> Result<Option<String>, ApiError> {
    let request = contents_path(repo, path, sha);
    let answer: serde_json::Value = match github.get(&request, CONTENTS, on_retry).await {
        Err(GitHubError::Status { status: 404, .. }) => return Ok(None),
        answer => answer?,
    };
    Ok(match (answer.get("type"), answer.get("target")) {
        (Some(kind), Some(serde_json::Value::String(target))) if kind == "symlink" => {
            super::link_target(path, target)
        }
        _ => None,
    })
}

/// Standard base64 with padding, line breaks ignored (GitHub wraps it).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(clean).ok()
}

/// One folder's entries compared: the files that differ, and the changed
/// subfolders still to compare.
struct Folder {
    deltas: Vec<Delta>,
    subfolders: Pending,
}

fn compare_folder(prefix: &str, old: Listing, new: Listing) -> Folder {
    let mut names: BTreeMap<String, (Option<Side>, Option<Side>)> = BTreeMap::new();
    for (name, side) in old.entries {
        names.entry(name).or_default().0 = Some(side);
    }
    for (name, side) in new.entries {
        names.entry(name).or_default().1 = Some(side);
    }
    let mut folder = Folder {
        deltas: Vec::new(),
        subfolders: Vec::new(),
    };
    for (name, (before, after)) in names {
        if before == after {
            continue;
        }
        let path = join(prefix, &name);
        let is_tree =
            |side: &Option<Side>| side.as_ref().is_some_and(|s| s.kind == EntryKind::Tree);
        let tree_sha = |side: &Option<Side>| {
            side.as_ref()
                .filter(|s| s.kind == EntryKind::Tree)
                .map(|s| s.oid.clone())
        };
        let (old_file, new_file) = (
            before.clone().filter(|s| s.kind != EntryKind::Tree),
            after.clone().filter(|s| s.kind != EntryKind::Tree),
        );
        if old_file.is_some() || new_file.is_some() {
            folder.deltas.push(Delta {
                path: path.clone(),
                lossy: false,
                old: old_file,
                new: new_file,
            });
        }
        if is_tree(&before) || is_tree(&after) {
            folder
                .subfolders
                .push((path, tree_sha(&before), tree_sha(&after)));
        }
    }
    folder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(entries: &[(&str, EntryKind, &str)]) -> Listing {
        Listing {
            entries: entries
                .iter()
                .map(|(path, kind, oid)| {
                    (
                        path.to_string(),
                        Side {
                            kind: *kind,
                            oid: oid.to_string(),
                        },
                    )
                })
                .collect(),
            truncated: false,
        }
    }

    #[test]
    fn base64_decodes_as_github_sends_it() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            base64_decode("aGVs\nbG8h\n").as_deref(),
            Some(&b"hello!"[..])
        );
        assert_eq!(base64_decode("aA==").as_deref(), Some(&b"h"[..]));
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("aGVsbG8"), None);
        assert_eq!(base64_decode("a*==").as_deref(), None);
    }

    #[test]
    fn the_site_dir_files_come_from_a_listing_that_covers_it() {
        use EntryKind::*;
        let head = listing(&[
            ("next.config.mjs", File, "1"),
            ("apps", Tree, "t"),
            ("apps/web", Tree, "t"),
            ("apps/web/next.config.ts", File, "2"),
            ("apps/web/public/a.png", File, "3"),
            ("apps/web/lib", Symlink, "4"),
        ]);
        // A link counts: a config file may be one.
        assert_eq!(
            files_directly_in("", &head, "apps/web"),
            Some(vec![
                "apps/web/next.config.ts".to_string(),
                "apps/web/lib".to_string()
            ])
        );
        assert_eq!(
            files_directly_in("", &head, ""),
            Some(vec!["next.config.mjs".to_string()])
        );
        assert_eq!(files_directly_in("docs", &head, "apps/web"), None);
        assert_eq!(
            contents_path("o/r", "apps/my web/next.config.js", "abc"),
            "/repos/o/r/contents/apps/my%20web/next.config.js?ref=abc"
        );
        assert_eq!(
            contents_path("o/r", "", "abc"),
            "/repos/o/r/contents/?ref=abc"
        );
    }

    #[test]
    fn flat_diff_finds_every_kind_of_difference_and_ignores_trees() {
        use EntryKind::*;
        let base = listing(&[
            ("public", Tree, "t1"),
            ("public/a.png", File, "1"),
            ("public/b.png", File, "2"),
            ("public/c.png", File, "3"),
        ]);
        let head = listing(&[
            ("public", Tree, "t2"),
            ("public/a.png", File, "1"),
            ("public/b.png", File, "9"),
            ("public/d.png", Symlink, "4"),
        ]);
        let mut deltas = diff_flat("app", base, head);
        deltas.sort_by(|a, b| a.path.cmp(&b.path));
        let summary: Vec<_> = deltas
            .iter()
            .map(|d| (d.path.as_str(), d.old.is_some(), d.new.is_some()))
            .collect();
        assert_eq!(
            summary,
            [
                ("app/public/b.png", true, true),
                ("app/public/c.png", true, false),
                ("app/public/d.png", false, true),
            ]
        );
    }
}
