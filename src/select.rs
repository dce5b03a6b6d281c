//! From changed files to public paths: which changes count (include,
//! exclude, change types, real files only), and where each one is served
//! (public dir replaced by the URL prefix).
//!
//! Every changed path that matches `include` ends as a [`Target`] or a
//! [`Skip`] with its reason; nothing in between is dropped.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use percent_encoding::utf8_percent_encode;

use crate::changes::{Change, ChangeKind, EntryKind};
use crate::site::{self, Placement, Site, Unknown};

/// The longest public path Vercel accepts, in characters.
pub const MAX_PATH_CHARS: usize = 8192;

/// A rule (glob, folder, prefix) that cannot be used: what is wrong, quoting
/// the value, and the fix. The boundary adds which input it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub problem: String,
    pub help: String,
}

impl RuleError {
    fn new(problem: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            help: help.into(),
        }
    }
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem)
    }
}

/// Lower-cases (ASCII) the extension of the last path component, so that
/// extensions match whatever their case while the rest stays exact.
fn lower_extension(text: &str) -> Cow<'_, str> {
    let name_start = text.rfind('/').map_or(0, |i| i + 1);
    match text[name_start..].rfind('.') {
        Some(dot) => {
            let split = name_start + dot;
            let ext = &text[split..];
            if ext.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(format!("{}{}", &text[..split], ext.to_ascii_lowercase()))
            } else {
                Cow::Borrowed(text)
            }
        }
        None => Cow::Borrowed(text),
    }
}

/// The most globs one line may spell out (`{a,b}{c,d}` is four), and the
/// most `{` it may hold (which bounds the recursion below).
const MAX_ALTERNATIVES: usize = 1024;
const MAX_GROUPS: usize = 64;

/// A glob with its `{a,b}` groups spelled out, nested ones included:
/// `public/{hero.PNG,icons/*.SVG}` -> `public/hero.PNG`, `public/icons/*.SVG`.
/// Each alternative then has a last component of its own, whose extension
/// [`lower_extension`] can find. Escaped characters and character classes
/// (`[{]`) are not groups. A group that is not closed is left in place for
/// globset to report. `None` past [`MAX_ALTERNATIVES`] or [`MAX_GROUPS`].
fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    if pattern.matches('{').count() > MAX_GROUPS {
        return None;
    }
    let chars: Vec<char> = pattern.chars().collect();
    let Some(group) = first_group(&chars) else {
        return Some(vec![pattern.to_string()]);
    };
    let text = |range: std::ops::Range<usize>| chars[range].iter().collect::<String>();
    let prefix = text(0..group.open);
    let rests = expand_braces(&text(group.close + 1..chars.len()))?;
    let mut out = Vec::new();
    for part in group.parts {
        for part in expand_braces(&text(part))? {
            for rest in &rests {
                if out.len() == MAX_ALTERNATIVES {
                    return None;
                }
                out.push(format!("{prefix}{part}{rest}"));
            }
        }
    }
    Some(out)
}

/// A `{...}` group of a glob, as indices into its characters.
struct Group {
    open: usize,
    close: usize,
    /// Its top-level alternatives.
    parts: Vec<std::ops::Range<usize>>,
}

/// The first closed `{...}` group.
fn first_group(chars: &[char]) -> Option<Group> {
    let mut i = 0;
    let mut open = None;
    let mut depth = 0usize;
    let mut parts = Vec::new();
    let mut start = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => {
                // A class runs to the next `]`, which may not be its first
                // character (`[]]`, `[!]]`).
                let mut j = i + 1;
                if matches!(chars.get(j), Some('!' | '^')) {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                match chars[j.min(chars.len())..].iter().position(|&c| c == ']') {
                    Some(k) => i = j + k,
                    None => return None,
                }
            }
            '{' => {
                if depth == 0 {
                    open = Some(i);
                    start = i + 1;
                }
                depth += 1;
            }
            ',' if depth == 1 => {
                parts.push(start..i);
                start = i + 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    parts.push(start..i);
                    return open.map(|open| Group {
                        open,
                        close: i,
                        parts,
                    });
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A compiled list of globs over repository paths. `*` does not cross `/`;
/// `**` does; extensions match in any case.
#[derive(Clone, Debug, Default)]
pub struct Globs {
    patterns: Vec<String>,
    set: GlobSet,
    /// For each glob of `set`, the pattern (line) it was spelled out from.
    lines: Vec<usize>,
}

impl Globs {
    pub fn compile(
        input: &str,
        lines: &[String],
        warnings: &mut Vec<String>,
    ) -> Result<Self, Vec<RuleError>> {
        let mut builder = GlobSetBuilder::new();
        let mut errors = Vec::new();
        let mut globs_lines = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            let pattern = line.trim_start_matches("./");
            if pattern.starts_with('!') {
                errors.push(RuleError::new(
                    format!("`{line}` starts with `!`, which does not negate here"),
                    "list the paths to leave out in `exclude` instead",
                ));
                continue;
            }
            if pattern.contains('\\') && !pattern.contains('/') {
                warnings.push(format!(
                    "{input}: `{line}` uses `\\`, which escapes the next character in a glob; folders are separated by `/`"
                ));
            }
            if has_comma_outside_braces(pattern) {
                warnings.push(format!(
                    "{input}: `{line}` contains a comma outside braces, so it is one glob that matches a literal comma; put one glob a line, or write `*.{{png,jpg}}`"
                ));
            }
            let Some(alternatives) = expand_braces(pattern) else {
                errors.push(RuleError::new(
format!(
                        "`{line}` has too many `{{a,b}}` groups (at most {MAX_GROUPS}, spelling out at most {MAX_ALTERNATIVES} globs)"
                    ),
                    "use fewer `{a,b}` groups on one line, or split it into several lines",
                ));
                continue;
            };
            let compiled: Result<Vec<_>, _> = alternatives
                .iter()
                .map(|alternative| {
                    GlobBuilder::new(&lower_extension(alternative))
                        .literal_separator(true)
                        .backslash_escape(true)
                        .build()
                })
                .collect();
            match compiled {
                Ok(globs) => {
                    for glob in globs {
                        builder.add(glob);
                        globs_lines.push(index);
                    }
                }
                Err(error) => errors.push(RuleError::new(
format!("`{line}` is not a valid glob: {}", error.kind()),
                    "fix the glob: `*` matches within a folder, `**` across folders, `{a,b}` either, `[ab]` one character",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let set = builder.build().map_err(|error| {
            vec![RuleError::new(
                format!("the globs could not be compiled together: {error}"),
                "simplify the globs",
            )]
        })?;
        Ok(Self {
            patterns: lines.to_vec(),
            set,
            lines: globs_lines,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(lower_extension(path).as_ref())
    }

    /// The first pattern that matches, to name it in a reason.
    pub fn first_match(&self, path: &str) -> Option<&str> {
        self.set
            .matches(lower_extension(path).as_ref())
            .first()
            .map(|&i| self.patterns[self.lines[i]].as_str())
    }
}

fn has_comma_outside_braces(pattern: &str) -> bool {
    let mut depth = 0usize;
    for c in pattern.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

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

    pub fn parse(lines: &[String], warnings: &mut Vec<String>) -> Result<Self, RuleError> {
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
            let mut dir = line.trim().replace('\\', "/");
            while let Some(rest) = dir.strip_prefix("./") {
                dir = rest.to_string();
            }
            let dir = dir.trim_matches('/').to_string();
            let dir = if dir == "." { String::new() } else { dir };
            if dir.split('/').any(|part| part == ".." || part == ".") {
                return Err(RuleError::new(
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
    pub fn parse(value: &str) -> Result<Self, RuleError> {
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
                RuleError::new(
                    format!("`{shown}` is not a valid URL: {e}"),
                    "use an origin such as https://assets.example.com/",
                )
            })?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(RuleError::new(
                    "the URL contains a user name or password (value not shown)",
                    "remove the credentials: public paths are sent to Vercel and shown in the summary",
                ));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(RuleError::new(
                    format!("`{shown}` has a query or fragment"),
                    "use an origin and optional path only, such as https://assets.example.com/images/",
                ));
            }
            return Ok(UrlPrefix::Absolute(with_slash(url.as_str())));
        }
        if !value.starts_with('/') || value.contains(['?', '#']) || value.starts_with("//") {
            return Err(RuleError::new(
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
    /// Under `site-dir`, outside the public dir, in a recognised framework:
    /// bundled under a hashed URL, so never stale. No warning.
    Imported,
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

    /// The public path of one side of a change, or why it is not sent.
    fn place(&self, change: &Change, path: &str) -> Result<String, (SkipKind, String)> {
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
            Placement::Imported => return Err((SkipKind::Imported, site::IMPORTED_REASON.into())),
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

/// Why Vercel would refuse `public_path`, when it is over the length limit.
fn too_long(public_path: &str) -> Option<String> {
    let length = public_path.chars().count();
    (length > MAX_PATH_CHARS).then(|| {
        format!(
            "the public path is {length} characters long; Vercel accepts at most {MAX_PATH_CHARS}"
        )
    })
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
mod tests {
    use super::*;
    const DEFAULT_INCLUDE: &str = "**/*.{png,jpg,jpeg,gif,webp,avif,svg,ico,bmp,tif,tiff}";

    fn globs(lines: &[&str]) -> Globs {
        let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        Globs::compile("include", &lines, &mut Vec::new()).expect("valid globs")
    }

    #[test]
    fn glob_table() {
        let default = globs(&[DEFAULT_INCLUDE]);
        let cases: &[(&Globs, &str, bool)] = &[
            (&default, "public/a.png", true),
            (&default, "a.png", true),
            (&default, "public/deep/x/y.JPG", true),
            (&default, "public/photo.Jpeg", true),
            (&default, "public/icon.svg", true),
            (&default, "public/notes.txt", false),
            (&default, "public/png", false),
            (&default, "public/a.png.bak", false),
        ];
        for (set, path, expected) in cases {
            assert_eq!(set.is_match(path), *expected, "{path}");
        }
        let one_level = globs(&["public/*.png"]);
        assert!(one_level.is_match("public/a.png"));
        assert!(
            !one_level.is_match("public/sub/a.png"),
            "* must not cross /"
        );
        let upper = globs(&["Assets/*.PNG"]);
        assert!(upper.is_match("Assets/a.png"));
        assert!(
            !upper.is_match("assets/a.png"),
            "folder names keep their case"
        );
    }

    #[test]
    fn extensions_inside_brace_groups_match_in_any_case() {
        let cases: &[(&str, &str, bool)] = &[
            ("public/{hero.PNG,logo.PNG}", "public/hero.PNG", true),
            ("public/{hero.PNG,logo.PNG}", "public/hero.png", true),
            ("public/{hero.PNG,logo.PNG}", "public/logo.Png", true),
            ("public/{hero.PNG,logo.PNG}", "public/Hero.png", false),
            ("public/{hero,logo}.PNG", "public/hero.png", true),
            ("public/{*.PNG,icons/*.SVG}", "public/a.png", true),
            ("public/{*.PNG,icons/*.SVG}", "public/icons/b.svg", true),
            ("public/{*.PNG,icons/*.SVG}", "public/icons/b.png", false),
            ("public/{a,{b,c}.JPG}", "public/c.jpg", true),
            ("public/{a,{b,c}.JPG}", "public/a", true),
            ("public/{a.V2,b}/*.PNG", "public/a.V2/x.png", true),
            ("public/[{]x,y[}].PNG", "public/{x,y}.png", true),
            ("public/\\{x,y\\}.PNG", "public/{x,y}.png", true),
            ("**/*.{PNG,Jpg}", "a/b.JPG", true),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(
                globs(&[pattern]).is_match(path),
                *expected,
                "{pattern} ~ {path}"
            );
        }
        let two = globs(&["img/*.{gif,svg}", "public/{hero.PNG,logo.PNG}"]);
        assert_eq!(
            two.first_match("public/hero.png"),
            Some("public/{hero.PNG,logo.PNG}")
        );
        assert_eq!(two.first_match("img/a.SVG"), Some("img/*.{gif,svg}"));
    }

    #[test]
    fn brace_groups_spell_out_into_alternatives() {
        let cases: &[(&str, &[&str])] = &[
            ("a.png", &["a.png"]),
            ("{a,b}.png", &["a.png", "b.png"]),
            ("{a,b}/{c,d}", &["a/c", "a/d", "b/c", "b/d"]),
            ("x{a,{b,c}d}", &["xa", "xbd", "xcd"]),
            ("[{,}]", &["[{,}]"]),
            ("[]{]{a,b}", &["[]{]a", "[]{]b"]),
            ("\\{a,b}", &["\\{a,b}"]),
            ("{a,b", &["{a,b"]),
        ];
        for (pattern, expected) in cases {
            assert_eq!(
                expand_braces(pattern).expect("few"),
                expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{pattern}"
            );
        }
        assert!(
            expand_braces(&"{a,b,c,d}".repeat(5)).is_some(),
            "1024 is allowed"
        );
        assert!(expand_braces(&"{a,b}".repeat(11)).is_none());
        let errors = Globs::compile("include", &["{a,b}".repeat(11)], &mut Vec::new())
            .expect_err("too many");
        assert!(errors[0].problem.contains("too many"), "{errors:?}");
        assert!(expand_braces(&"{a}".repeat(64)).is_some());
        assert!(
            expand_braces(&"{a}".repeat(65)).is_none(),
            "bounded recursion"
        );
        assert!(expand_braces(&"{a}".repeat(100_000)).is_none());
    }

    #[test]
    fn bad_globs_and_negations_are_errors_and_commas_warn() {
        let mut warnings = Vec::new();
        let lines = vec!["public/[a.png".to_string(), "!*.svg".to_string()];
        let errors = Globs::compile("include", &lines, &mut warnings).expect_err("invalid");
        assert_eq!(errors.len(), 2);
        assert!(errors[0].problem.contains("public/[a.png"));
        assert!(errors[1].help.contains("exclude"));
        let lines = vec!["*.png, *.jpg".to_string(), "*.{png,jpg}".to_string()];
        Globs::compile("include", &lines, &mut warnings).expect("valid");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let lines = vec!["public\\images\\*.png".to_string()];
        Globs::compile("include", &lines, &mut warnings).expect("valid");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }

    #[test]
    fn public_dirs_normalise_and_prefer_the_longest() {
        let mut warnings = Vec::new();
        let dirs = PublicDirs::parse(
            &["./public/".into(), "apps/web/public".into(), "apps".into()],
            &mut warnings,
        )
        .expect("valid");
        assert!(warnings.is_empty());
        assert_eq!(dirs.strip("public/img/a.png"), Some("img/a.png"));
        assert_eq!(dirs.strip("apps/web/public/a.png"), Some("a.png"));
        assert_eq!(dirs.strip("apps/other/a.png"), Some("other/a.png"));
        assert_eq!(dirs.strip("publicity/a.png"), None);
        let root = PublicDirs::parse(&[".".into()], &mut warnings).expect("valid");
        assert_eq!(root.strip("a/b.png"), Some("a/b.png"));
        assert!(PublicDirs::parse(&["../site".into()], &mut warnings).is_err());
        PublicDirs::parse(&["public, static".into()], &mut warnings).expect("allowed");
        assert_eq!(warnings.len(), 1, "a comma is probably a mistake");
        assert!(dirs.touches("apps"));
        assert!(dirs.touches("apps/web"));
        assert!(dirs.touches("public/img"));
        assert!(!dirs.touches("src"));
    }

    #[test]
    fn prefixes_map_paths_as_pages_write_them() {
        let root = UrlPrefix::default();
        assert_eq!(root.public_path("img/a.png"), "/img/a.png");
        assert_eq!(root.public_path("my photo é.jpg"), "/my photo é.jpg");
        let docs = UrlPrefix::parse("/docs").expect("valid");
        assert_eq!(docs.public_path("img/a.png"), "/docs/img/a.png");
        let cdn = UrlPrefix::parse("https://assets.example.com").expect("valid");
        assert_eq!(
            cdn.public_path("my photo/é#1?.jpg"),
            "https://assets.example.com/my%20photo/%C3%A9%231%3F.jpg"
        );
        assert_eq!(
            cdn.public_path("%0A.png"),
            "https://assets.example.com/%250A.png"
        );
        for bad in ["docs/", "//cdn.example.com/", "/a?b", "ftp://x/"] {
            assert!(UrlPrefix::parse(bad).is_err(), "{bad}");
        }
        for secret in [
            "https://u:hunter2@cdn.example.com/",
            "https://:hunter2@cdn.example.com/",
        ] {
            let error = UrlPrefix::parse(secret).expect_err("credentials");
            assert!(!format!("{error}{error:?}").contains("hunter2"));
        }
    }

    fn change(kind: ChangeKind, path: &str, old: Option<&str>, entry: EntryKind) -> Change {
        Change {
            kind,
            path: path.to_string(),
            old_path: old.map(str::to_string),
            entry,
            lossy: false,
        }
    }

    fn next_site(text: &str) -> Site {
        site::detect(
            "",
            &[site::SiteFile {
                path: "next.config.js".into(),
                text: text.into(),
            }],
        )
    }

    #[test]
    fn auto_takes_the_config_and_an_explicit_value_wins_with_a_warning() {
        let site = next_site("module.exports = { basePath: '/docs' }");
        let auto = resolve(&site, None, None).expect("known");
        assert_eq!(auto.public_dirs.dirs(), ["public"]);
        assert_eq!(auto.url_prefix, UrlPrefix::Path("/docs/".into()));
        assert!(auto.warnings.is_empty());

        let root = UrlPrefix::default();
        let dirs = PublicDirs::parse(&["static".into()], &mut Vec::new()).expect("valid");
        let explicit = resolve(&site, Some(&dirs), Some(&root)).expect("explicit");
        assert_eq!(explicit.url_prefix, root);
        assert_eq!(explicit.public_dirs, dirs);
        assert_eq!(explicit.warnings.len(), 2, "{:?}", explicit.warnings);
        assert!(explicit.warnings.iter().all(|w| w.contains("as set")));

        let computed = next_site("module.exports = { basePath: process.env.BASE }");
        let unknown = resolve(&computed, None, None).expect_err("unknown");
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].input, Some("url-prefix"));
        assert!(resolve(&computed, None, Some(&root)).is_ok(), "set by hand");
    }

    #[test]
    fn imported_and_outside_the_site_are_skipped_with_their_reasons() {
        let include = globs(&[DEFAULT_INCLUDE]);
        let exclude = Globs::default();
        let types: BTreeSet<ChangeKind> = ChangeKind::ALL.iter().copied().collect();
        let dirs = PublicDirs::parse(&["apps/web/public".into()], &mut Vec::new()).expect("ok");
        let prefix = UrlPrefix::Path("/web/".into());
        let rules = Rules {
            include: &include,
            exclude: &exclude,
            change_types: &types,
            public_dirs: &dirs,
            url_prefix: &prefix,
            site_dir: "apps/web",
            recognised: true,
            framework_public_dir: Some("apps/web/public"),
        };
        let changes = [
            "apps/web/public/my photo.png",
            "apps/web/src/logo.png",
            "apps/admin/public/a.png",
        ]
        .map(|path| change(ChangeKind::Added, path, None, EntryKind::File));
        let selection = rules.select(&changes, &["/listed a.png".to_string()]);
        let sent: Vec<Vec<&String>> = selection
            .targets
            .iter()
            .map(|t| t.spellings().collect())
            .collect();
        assert_eq!(
            sent,
            [
                vec!["/listed a.png"],
                vec!["/web/my photo.png", "/web/my%20photo.png"]
            ]
        );
        let skipped: Vec<(SkipKind, &str)> = selection
            .skipped
            .iter()
            .map(|s| (s.kind, s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (SkipKind::OutsideSite, "outside the site `apps/web`"),
                (SkipKind::Imported, site::IMPORTED_REASON),
            ]
        );
    }

    #[test]
    fn an_encoded_spelling_over_the_limit_is_skipped_and_the_written_one_sent() {
        // Each `é` is one character as written and six percent-encoded.
        let name = "é".repeat(MAX_PATH_CHARS / 2);
        let mut targets = BTreeMap::new();
        targets.insert(
            format!("/{name}"),
            vec![Source {
                repo_path: format!("public/{name}"),
                role: Role::Added,
            }],
        );
        let mut skipped = Vec::new();
        let targets = spelled(targets, &mut skipped);
        assert_eq!(targets.len(), 1);
        assert!(targets[0].also.is_empty());
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].kind, SkipKind::TooLong);
        assert!(
            skipped[0]
                .reason
                .starts_with("percent-encoded, the public path is")
        );
    }

    #[test]
    fn selection_sends_each_public_path_once_and_says_why_others_are_skipped() {
        let include = globs(&[DEFAULT_INCLUDE]);
        let exclude = globs(&["public/drafts/**"]);
        let types: BTreeSet<_> = ChangeKind::ALL.into_iter().collect();
        let dirs =
            PublicDirs::parse(&["public".into(), "static".into()], &mut Vec::new()).expect("valid");
        let prefix = UrlPrefix::default();
        let rules = Rules {
            include: &include,
            exclude: &exclude,
            change_types: &types,
            public_dirs: &dirs,
            url_prefix: &prefix,
            site_dir: "",
            recognised: false,
            framework_public_dir: None,
        };
        let changes = vec![
            change(ChangeKind::Modified, "public/a.png", None, EntryKind::File),
            change(ChangeKind::Added, "static/a.png", None, EntryKind::File),
            change(
                ChangeKind::Renamed,
                "public/new.png",
                Some("public/old.png"),
                EntryKind::File,
            ),
            change(
                ChangeKind::Removed,
                "public/gone.webp",
                None,
                EntryKind::File,
            ),
            change(ChangeKind::Added, "src/logo.png", None, EntryKind::File),
            change(
                ChangeKind::Added,
                "public/drafts/x.png",
                None,
                EntryKind::File,
            ),
            change(
                ChangeKind::Modified,
                "public/link.png",
                None,
                EntryKind::Symlink,
            ),
            change(ChangeKind::Modified, "README.md", None, EntryKind::File),
        ];
        let selection = rules.select(&changes, &["/a.png".to_string(), "/extra.png".to_string()]);
        let paths: Vec<_> = selection
            .targets
            .iter()
            .map(|t| t.public_path.as_str())
            .collect();
        assert_eq!(
            paths,
            ["/a.png", "/extra.png", "/gone.webp", "/new.png", "/old.png"]
        );
        assert_eq!(
            selection.targets[0].sources.len(),
            3,
            "two changes and the listing"
        );
        let skipped: Vec<_> = selection
            .skipped
            .iter()
            .map(|s| (s.source.repo_path.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("public/drafts/x.png", "excluded by `public/drafts/**`"),
                ("public/link.png", "a symbolic link, not an image file"),
                ("src/logo.png", "outside the public dir `public`, `static`"),
            ]
        );
        assert_eq!(selection.ignored, 1);
    }

    #[test]
    fn change_types_and_path_length_skip_with_reasons() {
        let include = globs(&[DEFAULT_INCLUDE]);
        let exclude = Globs::default();
        let types: BTreeSet<_> = [ChangeKind::Modified].into_iter().collect();
        let dirs = PublicDirs::default();
        let prefix = UrlPrefix::default();
        let rules = Rules {
            include: &include,
            exclude: &exclude,
            change_types: &types,
            public_dirs: &dirs,
            url_prefix: &prefix,
            site_dir: "",
            recognised: false,
            framework_public_dir: None,
        };
        let long = format!("public/{}.png", "a".repeat(MAX_PATH_CHARS));
        let changes = vec![
            change(ChangeKind::Removed, "public/a.png", None, EntryKind::File),
            change(ChangeKind::Modified, &long, None, EntryKind::File),
        ];
        let selection = rules.select(&changes, &[]);
        assert!(selection.targets.is_empty());
        assert_eq!(selection.skipped.len(), 2);
        assert!(
            selection
                .skipped
                .iter()
                .any(|s| s.reason == "`removed` is not in change-types")
        );
        assert!(
            selection
                .skipped
                .iter()
                .any(|s| s.reason.contains("at most 8192"))
        );
    }
}
