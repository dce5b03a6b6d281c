//! One path's mapping: the public dirs and the URL prefix (as given, or
//! `auto` resolved from the site), and the public path of one side of a
//! change, or why it is not sent.

use percent_encoding::utf8_percent_encode;

use crate::changes::{Change, EntryKind};
use crate::site::{self, Placement, Site, Unknown};
use crate::untrusted::ValueError;

use super::{MAX_PATH_CHARS, Rules, SkipKind};

/// The folders served at the site root, normalised (`./public/` ->
/// `public`; `.` -> the repository root, written as the empty string).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicDirs(Vec<String>);

impl Default for PublicDirs {
    fn default() -> Self {
        Self(vec!["public".to_string()])
    }
}

impl PublicDirs {
    /// Serves `dir` too: the target of a public dir that is a symbolic
    /// link, whose files are served under the link's path.
    pub fn also(&mut self, dir: String) {
        if !self.0.contains(&dir) {
            self.0.push(dir);
        }
    }

    pub fn parse(lines: &[String], warnings: &mut Vec<String>) -> Result<Self, ValueError> {
        if lines.is_empty() {
            return Ok(Self::default());
        }
        let mut dirs = Vec::new();
        for line in lines {
            if line.contains(',') {
                warnings.push(format!(
                    "public-dir: `{line}` contains a comma, so it is one folder whose name holds a comma; put one folder a line"
                ));
            }
            let dir = site::normal_folder(line, true);
            if dir.split('/').any(|part| part == ".." || part == ".") {
                return Err(ValueError::new(
                    format!("`{line}` leaves or loops inside the repository"),
                    "give folders relative to the repository root, such as `public` or `apps/web/public`",
                ));
            }
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        // Longest first, so that nested folders map by the most specific one.
        dirs.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        Ok(Self(dirs))
    }

    /// The part of `path` below its public dir, or `None` outside them all.
    pub fn strip<'p>(&self, path: &'p str) -> Option<&'p str> {
        self.0.iter().find_map(|dir| {
            if dir.is_empty() {
                Some(path)
            } else {
                path.strip_prefix(dir.as_str())?.strip_prefix('/')
            }
        })
    }

    /// Whether the folder `path` is on the way to a public dir or inside one.
    pub fn touches(&self, path: &str) -> bool {
        self.0.iter().any(|dir| {
            dir.is_empty()
                || dir == path
                || dir.starts_with(&format!("{path}/"))
                || path.starts_with(&format!("{dir}/"))
        })
    }

    /// The folders, longest first (empty: the repository root).
    pub fn dirs(&self) -> &[String] {
        &self.0
    }

    pub fn describe(&self) -> String {
        let shown: Vec<String> = self
            .0
            .iter()
            .map(|d| if d.is_empty() { "." } else { d })
            .map(|d| format!("`{d}`"))
            .collect();
        shown.join(", ")
    }
}

/// What replaces the public dir: a path (`/`, `/docs/`) or an origin with
/// an optional path (`https://assets.example.com/`). Always ends with `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlPrefix {
    Path(String),
    Absolute(String),
}

impl Default for UrlPrefix {
    fn default() -> Self {
        UrlPrefix::Path("/".to_string())
    }
}

impl UrlPrefix {
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let value = value.trim();
        let with_slash = |s: &str| {
            if s.ends_with('/') {
                s.to_string()
            } else {
                format!("{s}/")
            }
        };
        if value.starts_with("https://") || value.starts_with("http://") {
            let shown = crate::untrusted::without_credentials(value);
            let url = url::Url::parse(value).map_err(|e| {
                ValueError::new(
                    format!("`{shown}` is not a valid URL: {e}"),
                    "use an origin such as https://assets.example.com/",
                )
            })?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(ValueError::new(
                    "the URL contains a user name or password (value not shown)",
                    "remove the credentials: public paths are sent to Vercel and shown in the summary",
                ));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(ValueError::new(
                    format!("`{shown}` has a query or fragment"),
                    "use an origin and optional path only, such as https://assets.example.com/images/",
                ));
            }
            return Ok(UrlPrefix::Absolute(with_slash(url.as_str())));
        }
        if !value.starts_with('/') || value.contains(['?', '#']) || value.starts_with("//") {
            return Err(ValueError::new(
                format!(
                    "`{}` is neither a path starting with `/` nor an http(s) URL",
                    crate::untrusted::one_line(value)
                ),
                "use `/` (the default), a basePath such as `/docs/`, or an origin such as https://assets.example.com/",
            ));
        }
        Ok(UrlPrefix::Path(with_slash(value)))
    }

    /// The public path for `rest`, the file's path below its public dir.
    pub fn public_path(&self, rest: &str) -> String {
        match self {
            UrlPrefix::Path(prefix) => format!("{prefix}{rest}"),
            UrlPrefix::Absolute(origin) => {
                format!("{origin}{}", utf8_percent_encode(rest, site::PAGE_ENCODED))
            }
        }
    }

    /// The prefix when it is a path on the site itself (`/docs/`).
    pub fn path(&self) -> Option<&str> {
        match self {
            UrlPrefix::Path(prefix) => Some(prefix),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            UrlPrefix::Path(s) | UrlPrefix::Absolute(s) => s,
        }
    }
}

/// The public dirs and URL prefix the selection maps paths with, once
/// `auto` is resolved from the site, and what resolving had to say.
#[derive(Clone, Debug)]
pub struct Mapping {
    pub public_dirs: PublicDirs,
    pub url_prefix: UrlPrefix,
    /// An explicit input that contradicts the site's config (it is used).
    pub warnings: Vec<String>,
}

/// Resolves `public-dir` and `url-prefix` (`None`: `auto`) against what the
/// site's config says. An explicit value always wins, with a warning where
/// the config disagrees. Under `auto`, a value the config computes when the
/// site is built cannot be known: each such value is returned, naming the
/// input to set, and nothing is guessed.
pub fn resolve(
    site: &Site,
    public_dirs: Option<&PublicDirs>,
    url_prefix: Option<&UrlPrefix>,
) -> Result<Mapping, Vec<Unknown>> {
    let mut warnings = Vec::new();
    let mut unknown = Vec::new();
    let with_input = |unknown: &Unknown, input: &'static str| Unknown {
        input: Some(input),
        ..unknown.clone()
    };
    let public_dirs = match public_dirs {
        Some(dirs) => {
            warnings.extend(site.public_dir_disagreement(dirs.dirs()));
            dirs.clone()
        }
        None => match site.public_dir_in_repo() {
            Ok(dir) => PublicDirs(vec![dir]),
            Err(error) => {
                unknown.push(with_input(error, "public-dir"));
                PublicDirs::default()
            }
        },
    };
    let url_prefix = match url_prefix {
        Some(prefix) => {
            warnings.extend(site.url_prefix_disagreement(prefix.as_str()));
            prefix.clone()
        }
        None => match site.url_prefix().map(|p| (UrlPrefix::parse(&p), p)) {
            Ok((Ok(prefix), _)) => prefix,
            Ok((Err(error), written)) => {
                unknown.push(Unknown {
                    file: site.config_file.clone().unwrap_or_default(),
                    key: site.framework.base_path_key().to_string(),
                    why: format!("`{written}`, which cannot be used: {}", error.problem),
                    input: Some("url-prefix"),
                });
                UrlPrefix::default()
            }
            Err(error) => {
                unknown.push(with_input(error, "url-prefix"));
                UrlPrefix::default()
            }
        },
    };
    if !unknown.is_empty() {
        return Err(unknown);
    }
    Ok(Mapping {
        public_dirs,
        url_prefix,
        warnings,
    })
}

impl Rules<'_> {
    /// The public path of one side of a change, or why it is not sent.
    pub(super) fn place(&self, change: &Change, path: &str) -> Result<String, (SkipKind, String)> {
        if change.lossy {
            return Err((
                SkipKind::UnreadableName,
                "the file name is not valid UTF-8, so no public path can name it; rename the file"
                    .to_string(),
            ));
        }
        if let Some(pattern) = self.exclude.first_match(path) {
            return Err((SkipKind::Excluded, format!("excluded by `{pattern}`")));
        }
        if !self.change_types.contains(&change.kind) {
            return Err((
                SkipKind::ChangeType,
                format!("`{}` is not in change-types", change.kind.as_str()),
            ));
        }
        let not_a_file = match change.entry {
            EntryKind::File => None,
            EntryKind::Symlink => Some("a symbolic link, not an image file"),
            EntryKind::Submodule => Some("a submodule, not an image file"),
            EntryKind::Tree => Some("a folder, not an image file"),
        };
        if let Some(reason) = not_a_file {
            return Err((SkipKind::NotAFile, reason.to_string()));
        }
        let placement = site::place(
            path,
            self.site_dir,
            self.public_dirs.dirs(),
            self.recognised,
            self.framework_public_dir,
        );
        let rest = match &placement {
            Placement::Served { rest, .. } => *rest,
            Placement::OutsidePublicDirs => {
                return Err((
                    SkipKind::OutsidePublicDirs,
                    format!("outside the public dir {}", self.public_dirs.describe()),
                ));
            }
            Placement::Imported if in_source_folder(path, self.site_dir) => {
                return Err((SkipKind::Imported, site::IMPORTED_REASON.into()));
            }
            Placement::Imported => {
                return Err((SkipKind::NotServed, NOT_SERVED_REASON.into()));
            }
            Placement::OutsideSite { .. } => {
                let reason = placement.reason().unwrap_or_default();
                return Err((SkipKind::OutsideSite, reason));
            }
        };
        let public_path = self.url_prefix.public_path(rest);
        match too_long(&public_path) {
            Some(reason) => Err((SkipKind::TooLong, reason)),
            None => Ok(public_path),
        }
    }
}

/// The folders of a site (under `site-dir`) whose images its framework
/// bundles when a page imports them: Next.js `app/`, `pages/`, `src/`;
/// Astro, SvelteKit, Vite and Gatsby `src/`; Remix `app/`; Nuxt `assets/`,
/// `components/`, `pages/`, `layouts/`, `content/`; and the folders such
/// sites keep their code in.
const SOURCE_FOLDERS: &[&str] = &[
    "app",
    "assets",
    "components",
    "content",
    "layouts",
    "lib",
    "pages",
    "src",
    "styles",
];

/// The skip reason of an image under the site dir that is neither served
/// from the public dir nor in its source folders.
pub const NOT_SERVED_REASON: &str = "outside the public dir: not served as a file";

/// Whether `path` is in one of the site's source folders.
fn in_source_folder(path: &str, site_dir: &str) -> bool {
    let below = if site_dir.is_empty() {
        Some(path)
    } else {
        path.strip_prefix(site_dir)
            .and_then(|rest| rest.strip_prefix('/'))
    };
    below
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(folder, _)| SOURCE_FOLDERS.contains(&folder))
}

/// Why Vercel would refuse `public_path`, when it is over the length limit.
pub(super) fn too_long(public_path: &str) -> Option<String> {
    let length = public_path.chars().count();
    (length > MAX_PATH_CHARS).then(|| {
        format!(
            "the public path is {length} characters long; Vercel accepts at most {MAX_PATH_CHARS}"
        )
    })
}
