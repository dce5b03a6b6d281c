//! Where a changed repository path stands with respect to the site, and
//! every spelling under which a page may request a public path.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// The skip reason of an image that a framework imports from its sources.
pub const IMPORTED_REASON: &str = "imported: served under a hashed URL, never stale";

/// Where a changed repository path is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement<'p> {
    /// Inside a public dir: `rest` is its path below it, to which the URL
    /// prefix is prepended.
    Served { public_dir: String, rest: &'p str },
    /// Under the site dir, outside every public dir, in a recognised
    /// framework: bundled under a hashed URL, so never stale. Skip it
    /// without a warning, with [`IMPORTED_REASON`].
    Imported,
    /// Outside the site dir: another app of the monorepo, or tooling. Skip
    /// it with [`Placement::reason`].
    OutsideSite { site_dir: String },
    /// Under the site dir, outside every public dir, and no framework
    /// recognised, or under the framework's own public dir where an
    /// explicit `public-dir` leaves it out (served as is, so not imported):
    /// skipped and reported as "outside the public dir", with a warning,
    /// as without a site.
    OutsidePublicDirs,
}

impl Placement<'_> {
    /// The skip reason, where the placement is one; `None` for
    /// [`Placement::Served`] and [`Placement::OutsidePublicDirs`] (whose
    /// reason names the public dirs, as the selection writes it).
    pub fn reason(&self) -> Option<String> {
        match self {
            Placement::Imported => Some(IMPORTED_REASON.to_string()),
            Placement::OutsideSite { site_dir } => Some(format!("outside the site `{site_dir}`")),
            Placement::Served { .. } | Placement::OutsidePublicDirs => None,
        }
    }
}

/// Places `repo_path` given the site dir (normalised, empty for the root),
/// the public dirs as repository paths (empty for the root), whether a
/// framework was recognised, and the public dir that framework serves (a
/// repository path, where known). A public dir wins over the site dir, so
/// that an explicit `public-dir` outside the site still serves; nested
/// public dirs map by the longest.
pub fn place<'p>(
    repo_path: &'p str,
    site_dir: &str,
    public_dirs: &[String],
    recognised: bool,
    framework_public_dir: Option<&str>,
) -> Placement<'p> {
    let below = |dir: &str| -> Option<&'p str> {
        if dir.is_empty() {
            Some(repo_path)
        } else {
            repo_path.strip_prefix(dir)?.strip_prefix('/')
        }
    };
    let served = public_dirs
        .iter()
        .filter_map(|dir| below(dir).map(|rest| (dir, rest)))
        .max_by_key(|(dir, _)| dir.len());
    if let Some((dir, rest)) = served {
        return Placement::Served {
            public_dir: dir.clone(),
            rest,
        };
    }
    if below(site_dir).is_none() {
        return Placement::OutsideSite {
            site_dir: site_dir.to_string(),
        };
    }
    // The framework serves this folder as is, even where an explicit
    // `public-dir` leaves it out: not bundled, so not "imported".
    let in_framework_public = framework_public_dir.is_some_and(|dir| below(dir).is_some());
    if recognised && !in_framework_public {
        Placement::Imported
    } else {
        Placement::OutsidePublicDirs
    }
}

/// What `encodeURI` escapes, plus `?` and `#`, which would end the path: the
/// percent-encoded spelling a page gets from `encodeURI`, from a CMS, or from
/// copying a browser's address bar, and what a URL's path cannot hold as is.
pub const PAGE_ENCODED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Every string under which Vercel may cache `public_path` (a path starting
/// with `/`, as a page writes it). Next.js's loader puts the page's `src`
/// into the `url` parameter with `encodeURIComponent`, and the optimizer
/// decodes that parameter exactly once, so Vercel's key is the `src` as the
/// page wrote it: `/my photo.jpg`, or `/my%20photo.jpg` for a page that
/// encoded the name. For a name that percent-encoding changes (a space,
/// non-ASCII letters, `%`, the characters `encodeURI` escapes), both; for
/// any other, the one. An absolute URL (`https://...`) is already encoded
/// where a URL requires it: itself.
pub fn spellings(public_path: &str) -> Vec<String> {
    let mut out = vec![public_path.to_string()];
    if public_path.starts_with("http://") || public_path.starts_with("https://") {
        return out;
    }
    let encoded = utf8_percent_encode(public_path, PAGE_ENCODED).to_string();
    if encoded != public_path {
        out.push(encoded);
    }
    out
}
