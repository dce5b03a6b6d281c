//! Which files a range of commits changed, from the GitHub API or local git.
//!
//! Both sources reduce to the same thing: the list of paths whose entry
//! differs between the base tree and the head tree ([`Delta`]), which
//! [`classify`] turns into changes. Renames are exact renames (a file removed
//! and a file added with the same content), found the same way for both
//! sources so that they always give the same answer.

pub mod api;
pub mod git;

use std::collections::BTreeMap;

pub use api::ApiError;
pub use git::GitError;

/// Where the changes are read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffSource {
    /// The GitHub REST API: no checkout needed.
    Api,
    /// The local repository.
    Git,
}

impl DiffSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffSource::Api => "api",
            DiffSource::Git => "git",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
    Renamed,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 4] = [
        ChangeKind::Added,
        ChangeKind::Modified,
        ChangeKind::Removed,
        ChangeKind::Renamed,
    ];

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(word.trim()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Removed => "removed",
            ChangeKind::Renamed => "renamed",
        }
    }
}

/// What a tree entry holds, from its git mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    File,
    Symlink,
    Submodule,
    Tree,
}

impl EntryKind {
    /// From the octal mode git and GitHub print (`100644`, `120000`...).
    pub fn from_mode(mode: &str) -> Option<Self> {
        match mode {
            "100644" | "100755" | "100664" | "100600" | "100444" => Some(EntryKind::File),
            "120000" => Some(EntryKind::Symlink),
            "160000" => Some(EntryKind::Submodule),
            "040000" | "40000" => Some(EntryKind::Tree),
            _ if mode.starts_with("100") => Some(EntryKind::File),
            _ => None,
        }
    }
}

/// How many symbolic links in a row are followed.
pub const MAX_LINKS: usize = 8;

/// The repository path a symbolic link at `link` points to, given its
/// target as written (relative to the link's folder); `None` for one that
/// is absolute or leaves the repository.
pub fn link_target(link: &str, target: &str) -> Option<String> {
    let target = target.trim_end_matches(['\n', '\r']);
    if target.starts_with('/') || target.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// One side of a changed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    pub kind: EntryKind,
    /// Object id of the content, to recognise renames.
    pub oid: String,
}

/// A path whose entry differs between base and head. Never a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delta {
    pub path: String,
    /// The path's bytes were not UTF-8 and `path` is a lossy rendering.
    pub lossy: bool,
    pub old: Option<Side>,
    pub new: Option<Side>,
}

/// A changed file as the rest of the action sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub kind: ChangeKind,
    /// The path now (for `removed`: the path that was deleted).
    pub path: String,
    /// For `renamed`: the path before.
    pub old_path: Option<String>,
    /// What is at `path` (for `removed`: what was).
    pub entry: EntryKind,
    pub lossy: bool,
}

impl Change {
    /// The change as the log shows it: `renamed   old.png -> new.png`.
    pub fn log_line(&self) -> String {
        let old = self
            .old_path
            .as_ref()
            .map(|old| format!("{old} -> "))
            .unwrap_or_default();
        format!("{:<9} {old}{}", self.kind.as_str(), self.path)
    }
}

/// Turns tree deltas into changes, pairing exact renames: among removed and
/// added plain files with the same content, paths are paired in sorted order.
pub fn classify(deltas: Vec<Delta>) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut removed: BTreeMap<String, Vec<Delta>> = BTreeMap::new();
    let mut added: BTreeMap<String, Vec<Delta>> = BTreeMap::new();
    for delta in deltas {
        match (&delta.old, &delta.new) {
            (Some(old), None) if old.kind == EntryKind::File && !delta.lossy => {
                removed.entry(old.oid.clone()).or_default().push(delta);
            }
            (None, Some(new)) if new.kind == EntryKind::File && !delta.lossy => {
                added.entry(new.oid.clone()).or_default().push(delta);
            }
            _ => changes.extend(single(delta)),
        }
    }
    for (oid, mut gone) in removed {
        let mut came = added.remove(&oid).unwrap_or_default();
        gone.sort_by(|a, b| a.path.cmp(&b.path));
        came.sort_by(|a, b| a.path.cmp(&b.path));
        let pairs = gone.len().min(came.len());
        let rest_gone = gone.split_off(pairs);
        let rest_came = came.split_off(pairs);
        for (old, new) in gone.into_iter().zip(came) {
            changes.push(Change {
                kind: ChangeKind::Renamed,
                path: new.path,
                old_path: Some(old.path),
                entry: EntryKind::File,
                lossy: false,
            });
        }
        changes.extend(rest_gone.into_iter().chain(rest_came).filter_map(single));
    }
    changes.extend(added.into_values().flatten().filter_map(single));
    changes.sort();
    changes
}

fn single(delta: Delta) -> Option<Change> {
    let (kind, entry) = match (&delta.old, &delta.new) {
        (None, Some(new)) => (ChangeKind::Added, new.kind),
        (Some(old), None) => (ChangeKind::Removed, old.kind),
        (Some(_), Some(new)) => (ChangeKind::Modified, new.kind),
        (None, None) => return None,
    };
    Some(Change {
        kind,
        path: delta.path,
        old_path: None,
        entry,
        lossy: delta.lossy,
    })
}

/// The commits to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// `None`: the head commit's first parent, or nothing when it is a root.
    pub base: Option<String>,
    pub head: String,
}

/// The changes found and what it took.
#[derive(Clone, Debug, Default)]
pub struct Detected {
    pub changes: Vec<Change>,
    /// The commits actually compared (shas when known).
    pub base: Option<String>,
    pub head: String,
    /// Things worth telling the user about the comparison itself.
    pub notes: Vec<String>,
    /// GitHub API requests made.
    pub api_requests: u32,
    /// The files directly in the site dir at `head` (repository paths), when
    /// the comparison listed that folder; `None` when it did not (git, or a
    /// listing GitHub cut short): then whoever needs them lists it.
    pub site_files: Option<Vec<String>>,
    /// The symbolic links at `head` in the listings the comparison fetched
    /// (all of the repository, or, where GitHub cut the listing short, the
    /// folders walked); `None` with git, where whoever needs to know asks.
    pub links: Option<Vec<String>>,
    /// The framework config files of the whole tree at `head`
    /// ([`is_framework_config`]), when the comparison listed it whole (the
    /// API's listing not cut short); at most [`MAX_FRAMEWORK_CONFIGS`].
    pub framework_configs: Option<Vec<String>>,
}

/// How many framework config files [`Detected::framework_configs`] keeps.
pub const MAX_FRAMEWORK_CONFIGS: usize = 100;

/// The file names (up to the extension) of the frameworks' own config
/// files: where one is, an app is.
const FRAMEWORK_CONFIG_STEMS: &[&str] = &[
    "next.config.",
    "astro.config.",
    "svelte.config.",
    "nuxt.config.",
    "gatsby-config.",
    "vite.config.",
    "remix.config.",
];

/// Whether `path` is a framework's config file (`apps/web/next.config.ts`).
pub fn is_framework_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    FRAMEWORK_CONFIG_STEMS
        .iter()
        .any(|stem| name.starts_with(stem) && name.len() > stem.len())
}

#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Git(#[from] GitError),
}

impl ChangesError {
    pub fn is_configuration(&self) -> bool {
        match self {
            ChangesError::Api(error) => error.is_configuration(),
            ChangesError::Git(error) => error.is_configuration(),
        }
    }

    pub fn help(&self) -> String {
        match self {
            ChangesError::Api(error) => error.help(),
            ChangesError::Git(error) => error.help(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_configs_are_known_by_their_names() {
        for path in [
            "apps/web/next.config.ts",
            "next.config.mjs",
            "site/astro.config.mjs",
        ] {
            assert!(is_framework_config(path), "{path}");
        }
        for path in [
            "apps/web/package.json",
            "next.config.",
            "docs/next.config.md.png/x",
        ] {
            assert!(!is_framework_config(path), "{path}");
        }
    }

    fn file(oid: &str) -> Option<Side> {
        Some(Side {
            kind: EntryKind::File,
            oid: oid.to_string(),
        })
    }

    fn delta(path: &str, old: Option<Side>, new: Option<Side>) -> Delta {
        Delta {
            path: path.to_string(),
            lossy: false,
            old,
            new,
        }
    }

    #[test]
    fn modes_map_to_entry_kinds() {
        assert_eq!(EntryKind::from_mode("100644"), Some(EntryKind::File));
        assert_eq!(EntryKind::from_mode("100755"), Some(EntryKind::File));
        assert_eq!(EntryKind::from_mode("120000"), Some(EntryKind::Symlink));
        assert_eq!(EntryKind::from_mode("160000"), Some(EntryKind::Submodule));
        assert_eq!(EntryKind::from_mode("040000"), Some(EntryKind::Tree));
        assert_eq!(EntryKind::from_mode("000000"), None);
    }

    #[test]
    fn added_removed_and_modified() {
        let changes = classify(vec![
            delta("b.png", None, file("1")),
            delta("a.png", file("2"), None),
            delta("c.png", file("3"), file("4")),
        ]);
        let kinds: Vec<_> = changes.iter().map(|c| (c.kind, c.path.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (ChangeKind::Added, "b.png"),
                (ChangeKind::Modified, "c.png"),
                (ChangeKind::Removed, "a.png"),
            ]
        );
    }

    #[test]
    fn same_content_removed_and_added_is_a_rename() {
        let changes = classify(vec![
            delta("public/new.png", None, file("abc")),
            delta("public/old.png", file("abc"), None),
            delta("public/other.png", None, file("def")),
        ]);
        assert_eq!(changes.len(), 2);
        let rename = changes
            .iter()
            .find(|c| c.kind == ChangeKind::Renamed)
            .expect("a rename");
        assert_eq!(rename.path, "public/new.png");
        assert_eq!(rename.old_path.as_deref(), Some("public/old.png"));
    }

    #[test]
    fn duplicate_contents_pair_in_order_and_leftovers_stay() {
        let changes = classify(vec![
            delta("x1", file("same"), None),
            delta("x2", file("same"), None),
            delta("y1", None, file("same")),
        ]);
        assert_eq!(
            changes
                .iter()
                .map(|c| (c.kind, c.path.as_str(), c.old_path.as_deref()))
                .collect::<Vec<_>>(),
            [
                (ChangeKind::Removed, "x2", None),
                (ChangeKind::Renamed, "y1", Some("x1")),
            ]
        );
    }

    #[test]
    fn a_file_turned_into_a_symlink_is_a_modification_to_a_symlink() {
        let changes = classify(vec![delta(
            "public/a.png",
            file("1"),
            Some(Side {
                kind: EntryKind::Symlink,
                oid: "2".into(),
            }),
        )]);
        assert_eq!(changes[0].kind, ChangeKind::Modified);
        assert_eq!(changes[0].entry, EntryKind::Symlink);
    }

    #[test]
    fn change_kinds_parse_in_any_case() {
        assert_eq!(ChangeKind::parse(" Renamed "), Some(ChangeKind::Renamed));
        assert_eq!(ChangeKind::parse("deleted"), None);
    }
}
