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
/// `worth_listing(folder)` holds are entered.
pub async fn detect(
    github: &GitHub,
    repo: &str,
    range: &Range,
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
            deltas.extend(diff_flat(&prefix, old, new));
            continue;
        }
        let shown = if prefix.is_empty() {
            "the repository"
        } else {
            prefix.as_str()
        };
        notes.push(format!(
            "GitHub truncated the file listing of {shown}; compared it folder by folder instead"
        ));
        let (old, new) = futures_util::future::try_join(
            walker.list(old_tree.as_deref(), false),
            walker.list(new_tree.as_deref(), false),
        )
        .await?;
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
    if !pruned.is_empty() {
        let shown: Vec<&str> = pruned.iter().take(20).map(String::as_str).collect();
        let more = if pruned.len() > shown.len() {
            ", ..."
        } else {
            ""
        };
        notes.push(format!(
            "{} changed folder(s) outside the public dirs were not listed, so changed images there are not reported as skipped: {}{more}",
            pruned.len(),
            shown.join(", ")
        ));
    }
    Ok(Detected {
        changes: classify(deltas),
        base,
        head,
        notes,
        api_requests: 0,
    })
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
