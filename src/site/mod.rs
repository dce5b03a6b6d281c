//! Knows the site: which framework serves it, from which folder, under which
//! base path, and how its images are optimised, read from the site's own
//! config files so that the public paths sent to Vercel are the ones pages
//! request. Pure: the caller lists which files exist ([`config_files`]),
//! reads them, and hands their text to [`detect`].
//!
//! Config files are JavaScript or TypeScript: [`lex`] tokenizes them,
//! [`tree`] reads the tokens as a tree and [`eval`] evaluates it as the
//! production build would, within a budget of steps; [`literal`] holds the
//! values and the exported config. A value computed when the site is built
//! is [`Setting::Unknown`], naming the input to set.

mod detect;
pub mod eval;
pub mod lex;
pub mod literal;
mod paths;
mod served;
pub mod tree;

use crate::untrusted::ValueError;
use std::fmt;

pub use detect::detect;
pub use paths::{IMPORTED_REASON, PAGE_ENCODED, Placement, place, spellings};

/// A framework whose config says where images are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    NextJs,
    Astro,
    SvelteKit,
    /// Nuxt 3 and later (`public/`, `app.baseURL`).
    Nuxt3,
    /// Nuxt 2, with or without Bridge (`static/`, `router.base`).
    Nuxt2,
    /// Gatsby (`static/`, `pathPrefix`).
    Gatsby,
    /// Remix (`public/`, Vite's `base` when built with Vite).
    Remix,
    /// A Vite app with no other framework (`public/`, `base`).
    Vite,
    /// Nothing recognised: `public/` at `/`, as without a config.
    None,
}

impl Framework {
    pub fn name(self) -> &'static str {
        match self {
            Framework::NextJs => "Next.js",
            Framework::Astro => "Astro",
            Framework::SvelteKit => "SvelteKit",
            Framework::Nuxt3 => "Nuxt 3",
            Framework::Nuxt2 => "Nuxt 2",
            Framework::Gatsby => "Gatsby",
            Framework::Remix => "Remix",
            Framework::Vite => "Vite",
            Framework::None => "no framework",
        }
    }

    /// The folder served at the site root when the config does not move it.
    pub fn default_public_dir(self) -> &'static str {
        match self {
            Framework::SvelteKit | Framework::Nuxt2 | Framework::Gatsby => "static",
            _ => "public",
        }
    }

    /// How the framework's config calls the base path.
    pub fn base_path_key(self) -> &'static str {
        match self {
            Framework::NextJs => "basePath",
            Framework::Astro => "base",
            Framework::SvelteKit => "kit.paths.base",
            Framework::Nuxt3 => "app.baseURL",
            Framework::Nuxt2 => "router.base",
            Framework::Gatsby => "pathPrefix",
            Framework::Remix | Framework::Vite => "base",
            Framework::None => "url prefix",
        }
    }
}

/// A value that the config cannot give: computed when the site is built
/// (`basePath: process.env.BASE`), of the wrong type, or in a file that
/// could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// The repository path of the file it is in.
    pub file: String,
    /// The key as written in the config (`basePath`, `images.deviceSizes`).
    pub key: String,
    /// Why: `computed when the site is built (`process.env.BASE`)`.
    pub why: String,
    /// The input that sets it by hand, where there is one.
    pub input: Option<&'static str>,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` in {} is {}", self.key, self.file, self.why)?;
        if let Some(input) = self.input {
            write!(f, "; set the input `{input}`")?;
        }
        Ok(())
    }
}

/// One setting read from a config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting<T> {
    /// Not in the config: the framework's default applies.
    Absent,
    /// Written literally.
    Known(T),
    Unknown(Unknown),
}

impl<T> Setting<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Setting::Known(value) => Some(value),
            _ => None,
        }
    }

    pub fn unknown(&self) -> Option<&Unknown> {
        match self {
            Setting::Unknown(unknown) => Some(unknown),
            _ => None,
        }
    }
}

/// An entry of `images.localPatterns` (Next.js: globs) or of `vercel.json`'s
/// `images.localPatterns` (regular expressions), as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPattern {
    pub pathname: Option<String>,
    pub search: Option<String>,
}

/// Next.js's `images` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextImages {
    pub unoptimized: Setting<bool>,
    pub loader: Setting<String>,
    pub loader_file: Setting<String>,
    pub device_sizes: Setting<Vec<u32>>,
    pub image_sizes: Setting<Vec<u32>>,
    pub qualities: Setting<Vec<u32>>,
    pub formats: Setting<Vec<String>>,
    pub local_patterns: Setting<Vec<LocalPattern>>,
}

impl Default for NextImages {
    fn default() -> Self {
        Self {
            unoptimized: Setting::Absent,
            loader: Setting::Absent,
            loader_file: Setting::Absent,
            device_sizes: Setting::Absent,
            image_sizes: Setting::Absent,
            qualities: Setting::Absent,
            formats: Setting::Absent,
            local_patterns: Setting::Absent,
        }
    }
}

/// `vercel.json`'s `images`, which configures Vercel's optimizer for any
/// framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VercelImages {
    pub sizes: Setting<Vec<u32>>,
    pub qualities: Setting<Vec<u32>>,
    pub formats: Setting<Vec<String>>,
    pub local_patterns: Setting<Vec<LocalPattern>>,
}

impl Default for VercelImages {
    fn default() -> Self {
        Self {
            sizes: Setting::Absent,
            qualities: Setting::Absent,
            formats: Setting::Absent,
            local_patterns: Setting::Absent,
        }
    }
}

/// What [`detect`] found in the site dir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The site dir, normalised ([`parse_site_dir`]); empty for the
    /// repository root.
    pub dir: String,
    pub framework: Framework,
    /// The repository path of the framework config read, if any.
    pub config_file: Option<String>,
    /// The folder served at the site root, relative to [`Site::dir`]; never
    /// `Absent` (the framework's default is filled in).
    pub public_dir: Setting<String>,
    /// The base path, normalised: `/docs`, or empty for none. `Absent`
    /// where the config does not set it (served at `/`).
    pub base_path: Setting<String>,
    /// Next.js `trailingSlash`.
    pub trailing_slash: Setting<bool>,
    /// Next.js `output` (`export`, `standalone`).
    pub output: Setting<String>,
    pub next_images: NextImages,
    pub vercel_images: VercelImages,
    /// The wrappers the config passed through (`withBundleAnalyzer`),
    /// outermost first: they may change what the object says.
    pub wrappers: Vec<String>,
    /// Why Vercel's optimizer does not serve this site's images
    /// (`images.unoptimized: true in next.config.mjs`); invalidating then
    /// has no effect.
    pub optimizer_unused: Vec<String>,
    /// For the log: settings that could not be read, several frameworks,
    /// the optimizer not used. Each a sentence.
    pub warnings: Vec<String>,
}

impl Site {
    /// Whether a framework was recognised: then an image under the site dir
    /// but outside the public dir is bundled ([`Placement::Imported`]).
    pub fn recognised(&self) -> bool {
        self.framework != Framework::None
    }

    /// The public dir as a repository path, or what the config hides.
    pub fn public_dir_in_repo(&self) -> Result<String, &Unknown> {
        match &self.public_dir {
            Setting::Known(dir) => Ok(join(&self.dir, dir)),
            Setting::Unknown(unknown) => Err(unknown),
            Setting::Absent => Ok(join(&self.dir, self.framework.default_public_dir())),
        }
    }

    /// What replaces the public dir in a public path: `/` plus the base
    /// path and a `/` (`/docs/`), or `/`.
    pub fn url_prefix(&self) -> Result<String, &Unknown> {
        match &self.base_path {
            Setting::Known(base) => Ok(format!("{base}/")),
            Setting::Unknown(unknown) => Err(unknown),
            Setting::Absent => Ok("/".to_string()),
        }
    }

    /// A warning when an explicit `url-prefix` disagrees with the config,
    /// saying which value is used.
    pub fn url_prefix_disagreement(&self, explicit: &str) -> Option<String> {
        let from_config = self.url_prefix().ok()?;
        let normalise = |s: &str| s.trim_end_matches('/').to_string();
        if self.framework == Framework::None
            || explicit.starts_with("http://")
            || explicit.starts_with("https://")
            || normalise(explicit) == normalise(&from_config)
        {
            return None;
        }
        Some(format!(
            "url-prefix `{explicit}` disagrees with {} `{}` in {}, which serves images under `{from_config}`; using `{explicit}` as set",
            self.framework.base_path_key(),
            self.base_path.known().map_or("", String::as_str),
            self.config_file.as_deref().unwrap_or("the config"),
        ))
    }

    /// A warning when an explicit `public-dir` (repository paths) does not
    /// include the one the framework serves.
    pub fn public_dir_disagreement(&self, explicit: &[String]) -> Option<String> {
        if self.framework == Framework::None {
            return None;
        }
        let from_config = self.public_dir_in_repo().ok()?;
        if explicit.contains(&from_config) {
            return None;
        }
        Some(format!(
            "public-dir {} does not include `{from_config}`, which {} serves at the site root; using {} as set",
            shown_list(explicit),
            self.framework.name(),
            shown_list(explicit),
        ))
    }

    /// One line for the log and the summary: `Next.js in apps/web: public
    /// dir apps/web/public, basePath /docs`.
    pub fn describe(&self) -> String {
        let place = if self.dir.is_empty() {
            "the repository root".to_string()
        } else {
            self.dir.clone()
        };
        let public = match self.public_dir_in_repo() {
            Ok(dir) if dir.is_empty() => ".".to_string(),
            Ok(dir) => dir,
            Err(unknown) => format!("unknown, {}", unknown.why),
        };
        let key = self.framework.base_path_key();
        let base = match &self.base_path {
            Setting::Known(base) if !base.is_empty() => format!("{key} {base}"),
            Setting::Known(_) | Setting::Absent => format!("no {key}"),
            Setting::Unknown(unknown) => format!("{key} unknown, {}", unknown.why),
        };
        let mut line = match self.framework {
            Framework::None => {
                format!("no framework recognised in {place}: public dir {public}, url prefix /")
            }
            framework => format!(
                "{} in {place}: public dir {public}, {base}",
                framework.name()
            ),
        };
        if let Some(file) = &self.config_file {
            line.push_str(&format!(" (from {file}"));
            if !self.wrappers.is_empty() {
                line.push_str(&format!(", through {}", self.wrappers.join(", ")));
            }
            line.push(')');
        }
        line
    }
}

fn shown_list(items: &[String]) -> String {
    items
        .iter()
        .map(|d| format!("`{}`", if d.is_empty() { "." } else { d }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `dir/name`, where an empty `dir` is the repository root and an empty
/// `name` the dir itself.
pub fn join(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (false, true) => dir.to_string(),
        (false, false) => format!("{dir}/{name}"),
    }
}

/// The config files that tell the framework, in the order the frameworks
/// themselves look for them; the first that exists of each family is read.
const NEXT_CONFIGS: &[&str] = &[
    "next.config.js",
    "next.config.mjs",
    "next.config.cjs",
    "next.config.ts",
];
const ASTRO_CONFIGS: &[&str] = &[
    "astro.config.mjs",
    "astro.config.js",
    "astro.config.ts",
    "astro.config.mts",
    "astro.config.cjs",
    "astro.config.cts",
];
const SVELTE_CONFIGS: &[&str] = &["svelte.config.js"];
const NUXT_CONFIGS: &[&str] = &[
    "nuxt.config.ts",
    "nuxt.config.js",
    "nuxt.config.mjs",
    "nuxt.config.mts",
    "nuxt.config.cjs",
    "nuxt.config.cts",
];
const GATSBY_CONFIGS: &[&str] = &[
    "gatsby-config.js",
    "gatsby-config.mjs",
    "gatsby-config.ts",
    "gatsby-config.cjs",
];
/// Vite's own config, read for a Vite app and for Remix built with Vite.
const VITE_CONFIGS: &[&str] = &[
    "vite.config.js",
    "vite.config.mjs",
    "vite.config.ts",
    "vite.config.cjs",
    "vite.config.mts",
    "vite.config.cts",
];
const FAMILIES: &[&[&str]] = &[
    NEXT_CONFIGS,
    NUXT_CONFIGS,
    SVELTE_CONFIGS,
    ASTRO_CONFIGS,
    GATSBY_CONFIGS,
    VITE_CONFIGS,
];

/// `vercel.json` configures the optimizer for any framework; `package.json`
/// tells Nuxt 2 from Nuxt 3 (same file names, often the same shape), a
/// plain Svelte app from SvelteKit (both have `svelte.config.js`), and
/// recognises a site that has no config file at all (Next.js needs none).
const ALWAYS_READ: &[&str] = &["vercel.json", "package.json"];

/// The repository paths of the files [`detect`] needs, given whether a
/// repository path exists (the tree listing the diff already fetched), so
/// that no file that is not there is requested.
pub fn config_files(site_dir: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    let mut files = Vec::new();
    for family in FAMILIES {
        if let Some(path) = family
            .iter()
            .map(|name| join(site_dir, name))
            .find(|path| exists(path))
        {
            files.push(path);
        }
    }
    files.extend(
        ALWAYS_READ
            .iter()
            .map(|name| join(site_dir, name))
            .filter(|path| exists(path)),
    );
    files
}

/// A file given to [`detect`]: its repository path and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFile {
    pub path: String,
    pub text: String,
    /// A config larger than [`literal::MAX_SIZE`] is not read: its size
    /// (the text is empty).
    pub unread: Option<usize>,
}

/// The `site-dir` input, normalised: `./apps/web/` -> `apps/web`; `.` and
/// the empty string -> the repository root (empty).
pub fn parse_site_dir(value: &str) -> Result<String, ValueError> {
    let dir = normal_folder(value, false);
    if dir.starts_with('/')
        || dir.split('/').any(|part| matches!(part, ".." | "." | "")) && !dir.is_empty()
    {
        return Err(ValueError::new(
            format!(
                "`{}` is not a folder inside the repository",
                crate::untrusted::one_line(value)
            ),
            "give the Vercel project's Root Directory relative to the repository root, such as `apps/web`, or leave it empty for the root",
        ));
    }
    Ok(dir)
}

/// A folder as people write it, normalised: `\` -> `/`, leading `./` and
/// trailing `/` taken off (and leading `/` too, with `strip_leading`), `.`
/// -> the repository root (the empty string).
pub fn normal_folder(value: &str, strip_leading: bool) -> String {
    let mut dir = value.trim().replace('\\', "/");
    while let Some(rest) = dir.strip_prefix("./") {
        dir = rest.to_string();
    }
    let dir = if strip_leading {
        dir.trim_matches('/')
    } else {
        dir.trim_end_matches('/')
    };
    if dir == "." {
        String::new()
    } else {
        dir.to_string()
    }
}

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod tests;
