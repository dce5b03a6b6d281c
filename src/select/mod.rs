//! From changed files to public paths: which changes count (include,
//! exclude, change types, real files only), and where each one is served
//! (public dir replaced by the URL prefix).
//!
//! Every changed path that matches `include` ends as a [`Target`] or a
//! [`Skip`] with its reason; nothing in between is dropped. The globs are
//! in `glob.rs`, the mapping of one path in `mapping.rs`; this file selects
//! from a whole change set.

mod glob;
mod mapping;

use std::collections::{BTreeMap, BTreeSet};

use crate::changes::{Change, ChangeKind};
use crate::site;

pub use self::glob::Globs;
use self::mapping::too_long;
pub use self::mapping::{Mapping, NOT_SERVED_REASON, PublicDirs, UrlPrefix, resolve};

/// The longest public path Vercel accepts, in characters.
pub const MAX_PATH_CHARS: usize = 8192;

/// Which side of a change a repository path is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Added,
    Modified,
    Removed,
    /// The old path of a rename; holds the new one.
    RenamedFrom(String),
    /// The new path of a rename; holds the old one.
    RenamedTo(String),
    /// Listed in the `images` input.
    Listed,
}

impl Role {
    pub fn kind(&self) -> Option<ChangeKind> {
        match self {
            Role::Added => Some(ChangeKind::Added),
            Role::Modified => Some(ChangeKind::Modified),
            Role::Removed => Some(ChangeKind::Removed),
            Role::RenamedFrom(_) | Role::RenamedTo(_) => Some(ChangeKind::Renamed),
            Role::Listed => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Role::Added => "added".to_string(),
            Role::Modified => "modified".to_string(),
            Role::Removed => "removed".to_string(),
            Role::RenamedFrom(to) => format!("renamed to {to}"),
            Role::RenamedTo(from) => format!("renamed from {from}"),
            Role::Listed => "listed in `images`".to_string(),
        }
    }
}

/// A repository path and how it changed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    pub repo_path: String,
    pub role: Role,
}

impl Source {
    /// `public/a.png (modified)`, or `listed in images`.
    pub fn describe(&self) -> String {
        match self.role {
            Role::Listed => "listed in images".to_string(),
            _ => format!("{} ({})", self.repo_path, self.role.describe()),
        }
    }
}

/// A public path to send, with the changes (or the `images` listing) that
/// lead to it; never without a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// As a page writes it in an image `src`.
    pub public_path: String,
    /// The other spellings of the same image a page may use, sent too
    /// (`/my%20photo.jpg` beside `/my photo.jpg`); the image counts once.
    pub also: Vec<String>,
    pub sources: Vec<Source>,
}

impl Target {
    /// Every string sent for this image, the one as written first.
    pub fn spellings(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.public_path).chain(&self.also)
    }

    /// The target as the log shows it: `send  /a.png + /a%20.png  <- ...`.
    pub fn log_line(&self) -> String {
        let sources: Vec<String> = self.sources.iter().map(|s| s.describe()).collect();
        let also: String = self.also.iter().map(|a| format!(" + {a}")).collect();
        format!(
            "send  {}{also}  <- {}",
            self.public_path,
            sources.join(", ")
        )
    }
}

impl Skip {
    /// The skip as the log shows it: `skip  public/a.png: excluded ...`.
    pub fn log_line(&self) -> String {
        format!("skip  {}: {}", self.source.repo_path, self.reason)
    }
}

/// Whether the push changed something under `dir`: then it is a folder at
/// `head`, or the push emptied it (a removal, the old name of a rename),
/// which is not a mistake either. Either way no request need ask.
pub fn changed_in(dir: &str, changes: &[Change]) -> bool {
    let under = |path: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    changes
        .iter()
        .any(|change| under(&change.path) || change.old_path.as_deref().is_some_and(under))
}

/// The folders above `paths` (the root left out), shallowest first, each
/// once, at most `limit`: where a monorepo's apps may have their config.
pub fn folders_above(paths: &[&str], limit: usize) -> Vec<String> {
    let mut folders: Vec<String> = Vec::new();
    for path in paths {
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            end += slash;
            let folder = &path[..end];
            if !folders.iter().any(|f| f == folder) {
                folders.push(folder.to_string());
            }
            end += 1;
        }
    }
    folders.sort_by_key(|folder| (folder.matches('/').count(), folder.clone()));
    folders.truncate(limit);
    folders
}

/// Why a changed image is not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipKind {
    UnreadableName,
    Excluded,
    ChangeType,
    NotAFile,
    /// Outside `site-dir`: another app of the monorepo, or tooling.
    OutsideSite,
    /// In the site's source folders (`src/`, `app/`...), outside the
    /// public dir, in a recognised framework: bundled under a hashed URL,
    /// so never stale. No warning.
    Imported,
    /// Under `site-dir`, outside the public dir and the source folders, in
    /// a recognised framework: nothing serves it as a file (a design
    /// file, `.github/`). No warning: there is nothing to set.
    NotServed,
    OutsidePublicDirs,
    TooLong,
}

/// A changed image that is not sent, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skip {
    pub source: Source,
    pub public_path: Option<String>,
    pub kind: SkipKind,
    pub reason: String,
}

#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub targets: Vec<Target>,
    pub skipped: Vec<Skip>,
    /// Changed paths that do not match `include` (not images).
    pub ignored: usize,
}

/// The rules, from the config.
pub struct Rules<'a> {
    pub include: &'a Globs,
    pub exclude: &'a Globs,
    pub change_types: &'a BTreeSet<ChangeKind>,
    pub public_dirs: &'a PublicDirs,
    pub url_prefix: &'a UrlPrefix,
    /// The site dir, normalised (empty: the repository root).
    pub site_dir: &'a str,
    /// A framework was recognised there: an image under the site dir but
    /// outside the public dirs is imported, not misplaced.
    pub recognised: bool,
    /// The public dir the recognised framework serves, as a repository
    /// path, where known: an image there that an explicit `public-dir`
    /// leaves out is misplaced, not imported.
    pub framework_public_dir: Option<&'a str>,
}

impl Rules<'_> {
    /// Sorts `changes` and the explicitly listed `images` into targets and
    /// skips. A public path is sent once, however many changes lead to it.
    pub fn select(&self, changes: &[Change], images: &[String]) -> Selection {
        let mut targets: BTreeMap<String, Vec<Source>> = BTreeMap::new();
        let mut skipped = Vec::new();
        let mut ignored = 0;
        for change in changes {
            let sides: Vec<(&str, Role)> = match (&change.kind, &change.old_path) {
                (ChangeKind::Renamed, Some(old)) => vec![
                    (old.as_str(), Role::RenamedFrom(change.path.clone())),
                    (change.path.as_str(), Role::RenamedTo(old.clone())),
                ],
                (ChangeKind::Added, _) => vec![(change.path.as_str(), Role::Added)],
                (ChangeKind::Removed, _) => vec![(change.path.as_str(), Role::Removed)],
                _ => vec![(change.path.as_str(), Role::Modified)],
            };
            let image_sides: Vec<_> = sides
                .into_iter()
                .filter(|(path, _)| self.include.is_match(path))
                .collect();
            if image_sides.is_empty() {
                ignored += 1;
                continue;
            }
            for (path, role) in image_sides {
                let source = Source {
                    repo_path: path.to_string(),
                    role,
                };
                match self.place(change, path) {
                    Ok(public_path) => targets.entry(public_path).or_default().push(source),
                    Err((kind, reason)) => skipped.push(Skip {
                        source,
                        public_path: None,
                        kind,
                        reason,
                    }),
                }
            }
        }
        for image in images {
            targets.entry(image.clone()).or_default().push(Source {
                repo_path: String::new(),
                role: Role::Listed,
            });
        }
        let targets = spelled(targets, &mut skipped);
        skipped.sort();
        Selection {
            targets,
            skipped,
            ignored,
        }
    }
}

/// The targets with every spelling of each changed image
/// ([`site::spellings`]): a spelling that is another target's own path is
/// left to that target; one over the length limit is skipped with its
/// reason while the others are sent. Images listed in `images` are sent
/// exactly as given.
fn spelled(targets: BTreeMap<String, Vec<Source>>, skipped: &mut Vec<Skip>) -> Vec<Target> {
    let own: BTreeSet<String> = targets.keys().cloned().collect();
    let mut out = Vec::new();
    for (public_path, mut sources) in targets {
        sources.sort();
        sources.dedup();
        let mut also = Vec::new();
        if sources.iter().any(|s| s.role != Role::Listed) {
            for spelling in site::spellings(&public_path).into_iter().skip(1) {
                if own.contains(&spelling) {
                    continue;
                }
                match too_long(&spelling) {
                    Some(reason) => skipped.extend(sources.iter().map(|source| Skip {
                        source: source.clone(),
                        public_path: Some(spelling.clone()),
                        kind: SkipKind::TooLong,
                        reason: format!("percent-encoded, {reason}; the name as written is sent"),
                    })),
                    None => also.push(spelling),
                }
            }
        }
        out.push(Target {
            public_path,
            also,
            sources,
        });
    }
    out
}

#[cfg(test)]
mod tests;
