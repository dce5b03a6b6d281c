//! From the text of the site's config files to a [`Site`]: which framework,
//! and what its config says about public dir, base path and images.

use super::eval::Invocation;
use super::literal::{self, ExportError, Exported, Found, Value};
use super::{
    ASTRO_CONFIGS, Framework, GATSBY_CONFIGS, LocalPattern, NEXT_CONFIGS, NUXT_CONFIGS, NextImages,
    SVELTE_CONFIGS, Setting, Site, SiteFile, Unknown, VITE_CONFIGS, VercelImages, join,
};

/// Recognises the framework of the site in `site_dir` (normalised) from
/// `files`, the files [`super::config_files`] named with their text, and
/// reads its settings. Never fails: what cannot be read is
/// [`Setting::Unknown`] and a warning.
pub fn detect(site_dir: &str, files: &[SiteFile]) -> Site {
    let name_of = |file: &SiteFile| -> String { name_in_site(site_dir, &file.path).to_string() };
    let find = |family: &[&str]| files.iter().find(|f| family.contains(&name_of(f).as_str()));
    let mut warnings = Vec::new();
    let package = files
        .iter()
        .find(|f| name_of(f) == "package.json")
        .and_then(|f| read_package(f, &mut warnings));
    let depends = |name: &str| package.as_ref().and_then(|p| p.dependency(name));
    let found = Configs {
        next: find(NEXT_CONFIGS),
        nuxt: find(NUXT_CONFIGS),
        svelte: find(SVELTE_CONFIGS),
        astro: find(ASTRO_CONFIGS),
        gatsby: find(GATSBY_CONFIGS),
        vite: find(VITE_CONFIGS),
        remix: package.as_ref().is_some_and(|p| p.has_scope("@remix-run/")),
    };
    let chosen = choose_family(site_dir, &found, package.is_some(), &depends, &mut warnings);
    let mut site = Site {
        dir: site_dir.to_string(),
        framework: Framework::None,
        config_file: None,
        public_dir: Setting::Absent,
        base_path: Setting::Absent,
        trailing_slash: Setting::Absent,
        output: Setting::Absent,
        next_images: NextImages::default(),
        vercel_images: VercelImages::default(),
        wrappers: Vec::new(),
        optimizer_unused: Vec::new(),
        warnings,
    };
    if let Some((family, file)) = chosen {
        read_framework(&mut site, family, file, &depends);
    }
    if site.framework == Framework::Gatsby {
        let prefix_paths = package.as_ref().is_some_and(Package::prefixes_paths);
        gatsby_prefix_applies(&mut site, prefix_paths);
    }
    if site.public_dir == Setting::Absent {
        site.public_dir = Setting::Known(site.framework.default_public_dir().to_string());
    }
    if let Some(file) = files.iter().find(|f| name_of(f) == "vercel.json") {
        vercel_json(&mut site, file);
    }
    site
}

/// A repository path relative to the site dir (unchanged when outside it).
fn name_in_site<'a>(site_dir: &str, path: &'a str) -> &'a str {
    if site_dir.is_empty() {
        path
    } else {
        path.strip_prefix(site_dir)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(path)
    }
}

/// `package.json`, or a warning when it is not JSON.
fn read_package(file: &SiteFile, warnings: &mut Vec<String>) -> Option<Package> {
    match serde_json::from_str::<serde_json::Value>(&file.text) {
        Ok(json) => Some(Package(Value::from_json(&json))),
        Err(error) => {
            warnings.push(format!(
                "{} is not valid JSON ({error}); the framework is told from its config file alone",
                file.path
            ));
            None
        }
    }
}

/// The config file found for each family, if any.
struct Configs<'a> {
    next: Option<&'a SiteFile>,
    nuxt: Option<&'a SiteFile>,
    svelte: Option<&'a SiteFile>,
    astro: Option<&'a SiteFile>,
    gatsby: Option<&'a SiteFile>,
    vite: Option<&'a SiteFile>,
    /// A `@remix-run/*` package in package.json.
    remix: bool,
}

/// A config file or a dependency names the framework. With several, the
/// first with a config file is taken, in the order of FAMILIES, and a
/// warning names them all. Vite counts only where nothing else does: most
/// frameworks build with it.
fn choose_family<'a>(
    site_dir: &str,
    found: &Configs<'a>,
    has_package: bool,
    depends: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Option<(Family, Option<&'a SiteFile>)> {
    let svelte_kit = depends("@sveltejs/kit").is_some()
        || (!has_package && found.svelte.is_some_and(|f| has_kit_key(&f.text)));
    let candidates: Vec<(Family, Option<&SiteFile>)> = [
        (Family::Next, found.next, depends("next").is_some()),
        (
            Family::Nuxt,
            found.nuxt,
            depends("nuxt").is_some() || depends("nuxt3").is_some(),
        ),
        (
            Family::SvelteKit,
            found.svelte.filter(|_| svelte_kit),
            svelte_kit,
        ),
        (Family::Astro, found.astro, depends("astro").is_some()),
        (Family::Gatsby, found.gatsby, depends("gatsby").is_some()),
        (
            Family::Remix,
            found.vite.filter(|_| found.remix),
            found.remix,
        ),
    ]
    .into_iter()
    .filter(|(_, file, depended)| file.is_some() || *depended)
    .map(|(family, file, _)| (family, file))
    .collect();
    let mut candidates = candidates;
    let vite = depends("vite").is_some() || (!has_package && found.vite.is_some());
    if candidates.is_empty() && vite {
        candidates.push((Family::Vite, found.vite));
    }
    let chosen = candidates
        .iter()
        .find(|(_, file)| file.is_some())
        .or(candidates.first())
        .copied();
    if let (true, Some((family, _))) = (candidates.len() > 1, chosen) {
        let names: Vec<_> = candidates.iter().map(|(f, _)| f.name()).collect();
        warnings.push(format!(
            "{} all look like the framework of {}; using {}",
            names.join(", "),
            if site_dir.is_empty() {
                "the repository root"
            } else {
                site_dir
            },
            family.name(),
        ));
    }
    chosen
}

/// Reads the chosen framework's config file (if any) into `site`.
fn read_framework(
    site: &mut Site,
    family: Family,
    file: Option<&SiteFile>,
    depends: &dyn Fn(&str) -> Option<String>,
) {
    let invocation = match family {
        Family::Next => Invocation::NextBuild,
        Family::Remix | Family::Vite => Invocation::ViteBuild,
        _ => Invocation::Plain,
    };
    let config = file.map(|f| Config::read(f, invocation, &mut site.warnings));
    site.config_file = file.map(|f| f.path.clone());
    if let Some(config) = &config {
        site.wrappers = config.wrappers.clone();
    }
    let config = config.as_ref();
    match family {
        Family::Next => next_js(site, config),
        Family::Nuxt => {
            let version = nuxt_major(depends("nuxt"), depends("nuxt3"), depends);
            nuxt_site(site, config, version)
        }
        Family::SvelteKit => svelte_kit_site(site, config),
        Family::Astro => astro_site(site, config),
        Family::Gatsby => gatsby_site(site, config),
        Family::Remix => vite_site(site, config, Framework::Remix),
        Family::Vite => vite_site(site, config, Framework::Vite),
    }
}

/// A framework before its version is known (Nuxt 2 or 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Next,
    Nuxt,
    SvelteKit,
    Astro,
    Gatsby,
    Remix,
    Vite,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Next => "Next.js",
            Family::Nuxt => "Nuxt",
            Family::SvelteKit => "SvelteKit",
            Family::Astro => "Astro",
            Family::Gatsby => "Gatsby",
            Family::Remix => "Remix",
            Family::Vite => "Vite",
        }
    }
}

/// `package.json`, for its dependencies.
struct Package(Value);

impl Package {
    /// The version range of a dependency or dev dependency.
    fn dependency(&self, name: &str) -> Option<String> {
        ["dependencies", "devDependencies"]
            .iter()
            .find_map(|field| match self.0.path(&[field, name]) {
                Found::Value(Value::Str(range)) => Some(range.clone()),
                _ => None,
            })
    }

    /// Whether a dependency or dev dependency is in `scope` (`@remix-run/`).
    fn has_scope(&self, scope: &str) -> bool {
        ["dependencies", "devDependencies"].iter().any(|field| {
            matches!(self.0.path(&[field]), Found::Value(Value::Object(entries))
                if entries.iter().any(|e| matches!(e, literal::Entry::Prop(name, _) if name.starts_with(scope))))
        })
    }

    /// Whether the build script applies Gatsby's `pathPrefix`
    /// (`gatsby build --prefix-paths`).
    fn prefixes_paths(&self) -> bool {
        matches!(self.0.path(&["scripts", "build"]), Found::Value(Value::Str(script)) if script.contains("--prefix-paths"))
    }
}

/// Whether a `svelte.config.js` configures SvelteKit (a plain Svelte app
/// has one too, without `kit`).
fn has_kit_key(text: &str) -> bool {
    literal::exported(text).is_ok_and(|e| !matches!(e.value.path(&["kit"]), Found::Absent))
}

/// Nuxt's major version from package.json: `^3.12` -> 3, `2.17.3` -> 2;
/// Nuxt Bridge is Nuxt 2. `None` for a range that names no version
/// (`latest`, `workspace:*`).
fn nuxt_major(
    nuxt: Option<String>,
    nuxt3: Option<String>,
    depends: impl Fn(&str) -> Option<String>,
) -> Option<u32> {
    if depends("@nuxt/bridge").is_some() || depends("@nuxt/bridge-edge").is_some() {
        return Some(2);
    }
    if nuxt3.is_some() {
        return Some(3);
    }
    let range = nuxt?;
    let digits: String = range
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A framework config file, read.
struct Config {
    path: String,
    /// The exported object, or why there is none (then every setting is
    /// unknown).
    value: Result<Value, String>,
    wrappers: Vec<String>,
}

impl Config {
    fn read(file: &SiteFile, invocation: Invocation, warnings: &mut Vec<String>) -> Config {
        let read = match file.unread {
            Some(size) => Err(ExportError::TooLarge(size)),
            None => literal::exported_for(&file.text, invocation),
        };
        let error = match read {
            Ok(Exported {
                value, wrappers, ..
            }) => {
                let why = match &value {
                    value if value.is_object() => None,
                    Value::Unknown(source) | Value::Either(_, _, source) => {
                        Some(format!("computed when the site is built (`{source}`)"))
                    }
                    other => Some(format!("{}, not an object", other.describe())),
                };
                if let Some(why) = &why {
                    warnings.push(format!(
                        "the config exported by {} is {why}, so none of its settings is known; set the inputs `public-dir` and `url-prefix`",
                        file.path
                    ));
                }
                // Not an object (`undefined`, `42`, a computed one):
                // every setting is unknown, none absent.
                return Config {
                    path: file.path.clone(),
                    value: match why {
                        Some(why) => Err(why),
                        None => Ok(value),
                    },
                    wrappers,
                };
            }
            Err(error) => error,
        };
        let value = error.to_string();
        warnings.push(format!(
            "the config in {} could not be read: {value}; settings are taken as unknown",
            file.path
        ));
        Config {
            path: file.path.clone(),
            value: Err(value),
            wrappers: Vec::new(),
        }
    }

    /// Whether each setting is unknown for the same reason, already said.
    fn opaque(&self) -> bool {
        !matches!(&self.value, Ok(value) if value.is_object())
    }

    fn unknown(&self, key: &str, why: String, input: Option<&'static str>) -> Unknown {
        Unknown {
            file: self.path.clone(),
            key: key.to_string(),
            why,
            input,
        }
    }

    /// The raw value at the dotted `key`.
    fn get(&self, key: &str, input: Option<&'static str>) -> Result<Option<&Value>, Unknown> {
        let value = match &self.value {
            Ok(value) => value,
            Err(why) => {
                return Err(self.unknown(key, format!("unknown: the config is {why}"), input));
            }
        };
        let keys: Vec<&str> = key.split('.').collect();
        match value.path(&keys) {
            Found::Value(value) => Ok(Some(value)),
            Found::Absent => Ok(None),
            Found::Unknown(source) => Err(self.unknown(
                key,
                format!("computed when the site is built (`{source}`)"),
                input,
            )),
        }
    }

    /// A setting converted by `convert`, which says what it expected.
    fn setting<T>(
        &self,
        key: &str,
        input: Option<&'static str>,
        convert: impl Fn(&Value) -> Result<T, &'static str>,
    ) -> Setting<T> {
        match self.get(key, input) {
            Ok(None) => Setting::Absent,
            Ok(Some(value)) => match convert(value) {
                Ok(value) => Setting::Known(value),
                Err(expected) => Setting::Unknown(self.unknown(
                    key,
                    format!("not {expected} (`{}`)", value.describe()),
                    input,
                )),
            },
            Err(unknown) => Setting::Unknown(unknown),
        }
    }
}

fn string(value: &Value) -> Result<String, &'static str> {
    match value {
        Value::Str(s) => Ok(s.clone()),
        _ => Err("a string"),
    }
}

fn boolean(value: &Value) -> Result<bool, &'static str> {
    match value {
        Value::Bool(b) => Ok(*b),
        _ => Err("true or false"),
    }
}

fn numbers(value: &Value) -> Result<Vec<u32>, &'static str> {
    const EXPECTED: &str = "a list of whole numbers";
    let Value::Array(items) = value else {
        return Err(EXPECTED);
    };
    items
        .iter()
        .map(|item| match item {
            Value::Num(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX) => {
                Ok(*n as u32)
            }
            _ => Err(EXPECTED),
        })
        .collect()
}

fn strings(value: &Value) -> Result<Vec<String>, &'static str> {
    const EXPECTED: &str = "a list of strings";
    let Value::Array(items) = value else {
        return Err(EXPECTED);
    };
    items
        .iter()
        .map(|item| match item {
            Value::Str(s) => Ok(s.clone()),
            _ => Err(EXPECTED),
        })
        .collect()
}

fn local_patterns(value: &Value) -> Result<Vec<LocalPattern>, &'static str> {
    const EXPECTED: &str = "a list of { pathname, search } objects";
    let Value::Array(items) = value else {
        return Err(EXPECTED);
    };
    items
        .iter()
        .map(|item| {
            let field = |key: &str| match item.path(&[key]) {
                Found::Absent => Ok(None),
                Found::Value(Value::Str(s)) => Ok(Some(s.clone())),
                _ => Err(EXPECTED),
            };
            match item {
                Value::Object(_) => Ok(LocalPattern {
                    pathname: field("pathname")?,
                    search: field("search")?,
                }),
                _ => Err(EXPECTED),
            }
        })
        .collect()
}

/// A base path as the frameworks accept it (`/docs`, `/docs/`, `docs`,
/// `/`, ``), normalised to `/docs` or empty for none.
fn base_path(value: &Value) -> Result<String, &'static str> {
    let raw = string(value)?;
    let trimmed = raw.trim().trim_matches('/');
    if raw.contains(['?', '#']) || raw.contains("//") || raw.contains("://") {
        return Err("a path such as `/docs`");
    }
    Ok(if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    })
}

/// A folder relative to the site dir (`./static/`, `static`, or a path
/// computed from the config's own folder), normalised; one outside the
/// site dir or absolute is not usable.
fn folder(value: &Value) -> Result<String, &'static str> {
    let (dir, _) = located_folder(value)?;
    inside_site(&dir)
}

const INSIDE_SITE: &str = "a folder inside the site dir";

/// [`folder`] as written (`..` kept, for a `root` to resolve), and whether
/// it was computed from the config's folder (`path.resolve(__dirname,
/// 'static')`), which no `root` moves.
fn located_folder(value: &Value) -> Result<(String, bool), &'static str> {
    let (raw, located) = match value {
        Value::Path(path) => (path.clone(), true),
        value => (string(value)?, false),
    };
    let dir = super::normal_folder(&raw, false);
    if dir.starts_with('/') || dir.contains([':', '\0']) {
        return Err(INSIDE_SITE);
    }
    Ok((dir, located))
}

/// `dir` (relative to the site dir) with `.` and `..` resolved as a path
/// is, or the refusal when it leaves the site dir.
fn inside_site(dir: &str) -> Result<String, &'static str> {
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(INSIDE_SITE)?;
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

/// The folder at `key`, relative to `root` (itself relative to the site
/// dir) unless computed from the config's folder; `default` (relative to
/// `root`) where the key is not set and `root` is. A folder beside `root`
/// (`root: 'src'`, `publicDir: '../static'`) is read as the framework
/// resolves it, as long as it stays inside the site dir.
fn folder_under(
    config: &Config,
    key: &str,
    root: &Setting<String>,
    default: &str,
) -> Setting<String> {
    let from = match root {
        Setting::Known(root) => root.as_str(),
        _ => "",
    };
    let dir = config.setting(key, Some("public-dir"), |value| {
        let (dir, located) = located_folder(value)?;
        inside_site(&if located { dir } else { join(from, &dir) })
    });
    match (dir, root) {
        (Setting::Unknown(unknown), _) => Setting::Unknown(unknown),
        (_, Setting::Unknown(unknown)) => Setting::Unknown(unknown.clone()),
        (Setting::Known(dir), _) => Setting::Known(dir),
        (Setting::Absent, Setting::Known(root)) => Setting::Known(join(root, default)),
        (Setting::Absent, Setting::Absent) => Setting::Absent,
    }
}

fn next_js(site: &mut Site, config: Option<&Config>) {
    site.framework = Framework::NextJs;
    let Some(config) = config else { return };
    site.base_path = config.setting("basePath", Some("url-prefix"), base_path);
    site.trailing_slash = config.setting("trailingSlash", None, boolean);
    site.output = config.setting("output", None, string);
    let images = NextImages {
        unoptimized: config.setting("images.unoptimized", None, boolean),
        loader: config.setting("images.loader", None, string),
        loader_file: config.setting("images.loaderFile", None, string),
        device_sizes: config.setting("images.deviceSizes", None, numbers),
        image_sizes: config.setting("images.imageSizes", None, numbers),
        qualities: config.setting("images.qualities", None, numbers),
        formats: config.setting("images.formats", None, strings),
        local_patterns: config.setting("images.localPatterns", None, local_patterns),
    };
    let file = &config.path;
    if images.unoptimized == Setting::Known(true) {
        site.optimizer_unused
            .push(format!("`images.unoptimized: true` in {file}"));
    }
    if site.output.known().is_some_and(|o| o == "export") {
        site.optimizer_unused
            .push(format!("`output: 'export'` in {file}"));
    }
    if let Some(loader) = images.loader.known().filter(|l| l.as_str() != "default") {
        site.optimizer_unused
            .push(format!("`images.loader: '{loader}'` in {file}"));
    }
    if images.loader_file.known().is_some() {
        site.optimizer_unused
            .push(format!("`images.loaderFile` in {file}"));
    }
    if !site.optimizer_unused.is_empty() {
        site.warnings.push(format!(
            "{} mean{} that Vercel's Image Optimization does not serve this site's images: invalidating them has no effect",
            site.optimizer_unused.join(", "),
            if site.optimizer_unused.len() == 1 { "s" } else { "" },
        ));
    }
    let said = config.opaque();
    // A setting unknown only by which way a condition goes, whose every
    // way leaves the optimizer on, is no doubt worth a warning.
    let optimizer_off = |key: &str, off: fn(&Value) -> bool| {
        let possible = config.value.as_ref().ok().and_then(|v| {
            let keys: Vec<&str> = key.split('.').collect();
            v.possible(&keys)
        });
        possible.is_none_or(|all| all.into_iter().flatten().any(off))
    };
    let doubts = [
        (images.unoptimized.unknown(), "images.unoptimized"),
        (site.output.unknown(), "output"),
        (images.loader.unknown(), "images.loader"),
        (images.loader_file.unknown(), "images.loaderFile"),
    ];
    for (unknown, key) in doubts
        .into_iter()
        .filter_map(|(unknown, key)| Some((unknown?, key)))
        .filter(|_| !said)
    {
        let off: fn(&Value) -> bool = match key {
            "images.unoptimized" => |v| *v != Value::Bool(false),
            "output" => |v| *v == Value::Str("export".into()),
            "images.loader" => |v| *v != Value::Str("default".into()),
            _ => |_| true,
        };
        if !optimizer_off(key, off) {
            continue;
        }
        site.warnings.push(format!(
            "{unknown}: whether Vercel's Image Optimization serves this site's images is not known"
        ));
    }
    site.next_images = images;
    unknown_base_warning(site, config);
}

/// Warns of a base path or public dir that is not known, unless the whole
/// config is (which [`Config::read`] said once).
fn unknown_base_warning(site: &mut Site, config: &Config) {
    if config.opaque() {
        return;
    }
    if let Some(unknown) = site.base_path.unknown() {
        site.warnings.push(unknown.to_string());
    }
    if let Some(unknown) = site.public_dir.unknown() {
        site.warnings.push(unknown.to_string());
    }
}

fn astro_site(site: &mut Site, config: Option<&Config>) {
    site.framework = Framework::Astro;
    let Some(config) = config else { return };
    site.base_path = config.setting("base", Some("url-prefix"), base_path);
    // `publicDir` is relative to `root`.
    let root = config.setting("root", Some("public-dir"), folder);
    site.public_dir = folder_under(config, "publicDir", &root, "public");
    unknown_base_warning(site, config);
}

fn gatsby_site(site: &mut Site, config: Option<&Config>) {
    site.framework = Framework::Gatsby;
    let Some(config) = config else { return };
    site.base_path = config.setting("pathPrefix", Some("url-prefix"), base_path);
    unknown_base_warning(site, config);
}

/// Gatsby applies `pathPrefix` only to a build run with `--prefix-paths`
/// (or `PREFIX_PATHS=true` in the environment, which the repository does
/// not show): without the flag in the build script, whether the prefix is
/// used is not known.
fn gatsby_prefix_applies(site: &mut Site, prefix_paths: bool) {
    let (Setting::Known(prefix), false) = (&site.base_path, prefix_paths) else {
        return;
    };
    if prefix.is_empty() {
        return;
    }
    let unknown = Unknown {
        file: site.config_file.clone().unwrap_or_default(),
        key: "pathPrefix".to_string(),
        why: format!(
            "`{prefix}`, applied only to a build with `--prefix-paths` or `PREFIX_PATHS=true`, which the build script in package.json does not show"
        ),
        input: Some("url-prefix"),
    };
    site.warnings.push(unknown.to_string());
    site.base_path = Setting::Unknown(unknown);
}

/// A Vite app, or Remix built with Vite: `public/`, under Vite's `base`.
fn vite_site(site: &mut Site, config: Option<&Config>, framework: Framework) {
    site.framework = framework;
    let Some(config) = config else { return };
    site.base_path = config.setting("base", Some("url-prefix"), |value| {
        // `./` and `` make asset URLs relative; public files stay at `/`.
        match value {
            Value::Str(s) if s.trim() == "./" || s.trim() == "." => Ok(String::new()),
            value => base_path(value),
        }
    });
    // `publicDir` is relative to `root`: `root: 'public'` serves
    // `public/public`.
    let root = config.setting("root", Some("public-dir"), folder);
    site.public_dir = folder_under(config, "publicDir", &root, "public");
    unknown_base_warning(site, config);
}

fn svelte_kit_site(site: &mut Site, config: Option<&Config>) {
    site.framework = Framework::SvelteKit;
    let Some(config) = config else { return };
    site.base_path = config.setting("kit.paths.base", Some("url-prefix"), base_path);
    site.public_dir = config.setting("kit.files.assets", Some("public-dir"), folder);
    unknown_base_warning(site, config);
}

/// Nuxt 2 serves `dir.static` under `srcDir`; Nuxt 3 `dir.public` under
/// `srcDir`; Nuxt 4 (and Nuxt 3 with `future.compatibilityVersion: 4`)
/// `dir.public` from the root, whatever `srcDir` says.
fn nuxt_public_dir(config: &Config, nuxt2: bool, major: Option<u32>) -> Setting<String> {
    let src_dir = config.setting("srcDir", Some("public-dir"), folder);
    if nuxt2 {
        return folder_under(config, "dir.static", &src_dir, "static");
    }
    let v4 = major.is_some_and(|m| m >= 4)
        || matches!(config.value.as_ref().map(|v| v.path(&["future", "compatibilityVersion"])), Ok(Found::Value(Value::Num(n))) if *n >= 4.0);
    if v4 {
        folder_under(config, "dir.public", &Setting::Absent, "public")
    } else {
        folder_under(config, "dir.public", &src_dir, "public")
    }
}

fn nuxt_site(site: &mut Site, config: Option<&Config>, major: Option<u32>) {
    let shape_says_3 = config.is_some_and(|c| {
        c.value.as_ref().is_ok_and(|v| {
            ["compatibilityDate", "nitro", "app", "devtools", "future"]
                .iter()
                .any(|key| !matches!(v.path(&[key]), Found::Absent))
        })
    });
    let nuxt2 = match major {
        Some(major) => major < 3,
        None => {
            let shape_says_2 = config.is_some_and(|c| {
                c.value.as_ref().is_ok_and(|v| {
                    ["buildModules", "target", "router"]
                        .iter()
                        .any(|key| !matches!(v.path(&[key]), Found::Absent))
                })
            });
            let nuxt2 = shape_says_2 && !shape_says_3;
            site.warnings.push(format!(
                "the Nuxt version is not in package.json; taken as Nuxt {} from the config's keys",
                if nuxt2 { 2 } else { 3 }
            ));
            nuxt2
        }
    };
    site.framework = if nuxt2 {
        Framework::Nuxt2
    } else {
        Framework::Nuxt3
    };
    let Some(config) = config else { return };
    if nuxt2 {
        site.base_path = config.setting("router.base", Some("url-prefix"), base_path);
        if site.base_path == Setting::Absent {
            // Nuxt Bridge reads `app.baseURL` too.
            site.base_path = config.setting("app.baseURL", Some("url-prefix"), base_path);
        }
        site.public_dir = nuxt_public_dir(config, true, major);
    } else {
        site.base_path = config.setting("app.baseURL", Some("url-prefix"), base_path);
        site.public_dir = nuxt_public_dir(config, false, major);
    }
    unknown_base_warning(site, config);
}

fn vercel_json(site: &mut Site, file: &SiteFile) {
    let json = match serde_json::from_str::<serde_json::Value>(&file.text) {
        Ok(json) => json,
        Err(error) => {
            site.warnings.push(format!(
                "{} is not valid JSON ({error}); its `images` settings are not read",
                file.path
            ));
            return;
        }
    };
    let config = Config {
        path: file.path.clone(),
        value: Ok(Value::from_json(&json)),
        wrappers: Vec::new(),
    };
    site.vercel_images = VercelImages {
        sizes: config.setting("images.sizes", None, numbers),
        qualities: config.setting("images.qualities", None, numbers),
        formats: config.setting("images.formats", None, strings),
        local_patterns: config.setting("images.localPatterns", None, local_patterns),
    };
}
