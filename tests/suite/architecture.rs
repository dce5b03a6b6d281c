//! The shape of the code, checked from the code itself: every module's
//! `crate::` imports (read from `src/**/*.rs`) point to its own layer or a
//! lower one of the table in `ARCHITECTURE.md`, no two modules import each
//! other in a loop, and no function outside tests runs over 80 lines.
//!
//! A module is a file under `src/`, or a folder with its files (`changes/`
//! is one module: its files may use each other freely). `main.rs` reaches the
//! library as `vercel_image_invalidate::`, which counts as `crate::`.
//! `cargo test --test suite architecture:: -- --nocapture` prints the import table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Functions longer than this, outside tests, fail the check.
const MAX_FUNCTION_LINES: usize = 80;
/// The longest source file outside tests, in lines.
const MAX_FILE_LINES: usize = 800;
/// The longest file of the orchestration (`src/run/`), in lines.
const MAX_RUN_FILE_LINES: usize = 400;
/// The one file that decides the range: what is compared and whether to
/// wait for a deployment.
const RANGE_FILE: &str = "run/range.rs";
/// The files besides [`RANGE_FILE`] (and `deploy` itself) that may import
/// `crate::deploy`, and why: none of them reads GitHub's deployments.
const DEPLOY_IMPORTERS: &[&str] = &[
    // The wait's polling settings, an input.
    "config/mod.rs",
    // `DeployError` chooses the exit code.
    "error.rs",
    // Whether a `deployment_status` is to the awaited environment, named
    // as the wait names it (`deploy::is_awaited`: `auto`, `Production –
    // {project}`); the event is one of the range's builders.
    "event.rs",
    // The summary writes how long the run waited as the log does
    // (`deploy::format_wait`).
    "report/markdown.rs",
];
/// The files that may build the range's types: the event's plan, the
/// run's plan of the wait, and [`RANGE_FILE`].
const RANGE_BUILDERS: &[&str] = &["event.rs", "run/plan.rs", RANGE_FILE];
/// The range's types, and what builds each: `Range {` or `Base::`/`WaitPlan::`.
const RANGE_TYPES: &[(&str, &str)] = &[("Range", "{"), ("Base", "::"), ("WaitPlan", "::")];
/// Public type names that may repeat across files: each stage owns its
/// `Settings`, always named with its stage (`live::Settings`,
/// `vercel::Settings`), so the module says which one it is.
const SHARED_TYPE_NAMES: &[&str] = &["Settings"];

/// Source text with comments, string and character literals blanked out
/// (replaced by spaces, newlines kept), so that braces and paths inside them
/// are not taken for code.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(_) => j += 1,
                }
            }
            for &skipped in &chars[i..j.min(chars.len())] {
                out.push(blank(skipped));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('{', '\n', '\u{1b}'), or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 3..chars.len()).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    for _ in i..=end {
                        out.push(' ');
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The code with every `#[cfg(test)]` item taken out (a test module may use
/// whatever it likes).
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The item ends at its first `;` before any `{`, or at the brace
        // that closes its first `{`.
        let mut depth = 0usize;
        let mut end = after.len();
        for (k, c) in after.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.extend(
            after[..end]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' }),
        );
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The modules named right after each `crate::` (or `vercel_image_invalidate::`)
/// in `code`, including those inside `crate::{a::X, b}` groups. A name that is
/// not a module (`crate::USER_AGENT`) stands for the crate root, `lib`.
fn imports(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for prefix in ["crate::", "vercel_image_invalidate::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest_trimmed = rest.trim_start();
            if let Some(group) = rest_trimmed.strip_prefix('{') {
                let mut depth = 1;
                let mut item = String::new();
                let mut firsts = Vec::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        firsts.push(std::mem::take(&mut item));
                        break;
                    }
                    if c == ',' && depth == 1 {
                        firsts.push(std::mem::take(&mut item));
                    } else {
                        item.push(c);
                    }
                }
                for item in firsts {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.insert(module_or_root(&name, modules));
                    }
                }
            } else {
                let name: String = rest_trimmed
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(module_or_root(&name, modules));
                }
            }
        }
    }
    found
}

fn module_or_root(name: &str, modules: &BTreeSet<String>) -> String {
    if modules.contains(name) {
        name.to_string()
    } else {
        "lib".to_string()
    }
}

/// Each function outside tests that is longer than the limit: `name (N lines)`.
fn long_functions(code: &str) -> Vec<String> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(name) = function_name(line) else {
            continue;
        };
        // From the `fn` line to the brace that closes its body.
        let mut depth = 0usize;
        let mut opened = false;
        'scan: for (offset, body_line) in lines[index..].iter().enumerate() {
            for c in body_line.chars() {
                match c {
                    ';' if !opened => break 'scan,
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if opened && depth == 0 {
                            let length = offset + 1;
                            if length > MAX_FUNCTION_LINES {
                                found.push(format!("{name} ({length} lines)"));
                            }
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    found
}

/// `fn name` at the start of a line (after `pub`, `async` and the like).
fn function_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().peekable();
    while let Some(word) = words.next() {
        match word {
            "pub" | "async" | "const" | "unsafe" | "extern" => {}
            w if w.starts_with("pub(") => {}
            "fn" => {
                let name: String = words
                    .next()?
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                return (!name.is_empty()).then_some(name);
            }
            _ => return None,
        }
    }
    None
}

/// The layers, top first, from the table between `<!-- layers:start -->`
/// and `<!-- layers:end -->`: each row's first cell names the layer, the
/// second lists its modules, `code`-quoted and separated by commas.
fn layers(text: &str) -> Vec<(String, Vec<String>)> {
    let start = text
        .find("<!-- layers:start -->")
        .expect("layers start marker");
    let end = text.find("<!-- layers:end -->").expect("layers end marker");
    text[start..end]
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let modules = cells[1]
                .split(',')
                .map(|m| m.trim().trim_matches('`').to_string())
                .filter(|m| !m.is_empty())
                .collect();
            (cells[0].to_string(), modules)
        })
        .collect()
}

/// What the checker needs to know of a crate: each module's code.
struct Crate {
    /// Module name -> the code of its files (comments and strings blanked).
    modules: BTreeMap<String, Vec<(String, String)>>,
    /// Each file outside tests and its length in lines.
    sizes: Vec<(String, usize)>,
}

impl Crate {
    fn from_sources(files: &[(&str, &str)]) -> Self {
        let mut modules: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut sizes = Vec::new();
        for (path, source) in files {
            let module = module_of(path);
            let code = if is_test_file(path, files) {
                String::new()
            } else {
                sizes.push((path.to_string(), source.lines().count()));
                without_tests(&code_only(source))
            };
            modules
                .entry(module)
                .or_default()
                .push((path.to_string(), code));
        }
        Self { modules, sizes }
    }

    fn read(src: &Path) -> Self {
        let mut files = Vec::new();
        collect(src, src, &mut files);
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(path, text)| (path.as_str(), text.as_str()))
            .collect();
        Self::from_sources(&borrowed)
    }

    /// Module -> the other modules it imports.
    fn graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let names: BTreeSet<String> = self.modules.keys().cloned().collect();
        self.modules
            .iter()
            .map(|(module, files)| {
                let mut targets = BTreeSet::new();
                for (_, code) in files {
                    targets.extend(imports(code, &names));
                }
                targets.remove(module);
                (module.clone(), targets)
            })
            .collect()
    }

    /// Every breach of the rules, one line each; empty when all is well.
    fn problems(&self, layers: &[(String, Vec<String>)]) -> Vec<String> {
        let mut problems = Vec::new();
        let level: BTreeMap<&str, usize> = layers
            .iter()
            .enumerate()
            .flat_map(|(rank, (_, modules))| {
                // The first row is the top: the highest level.
                modules
                    .iter()
                    .map(move |m| (m.as_str(), layers.len() - rank))
            })
            .collect();
        let layer_name = |module: &str| {
            layers
                .iter()
                .find(|(_, modules)| modules.iter().any(|m| m == module))
                .map(|(name, _)| name.clone())
                .unwrap_or_default()
        };
        for module in self.modules.keys() {
            if !level.contains_key(module.as_str()) {
                problems.push(format!(
                    "module `{module}` is in no layer: add it to the layer table"
                ));
            }
        }
        let graph = self.graph();
        for (module, targets) in &graph {
            for target in targets {
                if let (Some(from), Some(to)) =
                    (level.get(module.as_str()), level.get(target.as_str()))
                    && to > from
                {
                    problems.push(format!(
                        "`{module}` ({}) imports `{target}` ({}), a higher layer",
                        layer_name(module),
                        layer_name(target)
                    ));
                }
            }
        }
        problems.extend(cycles(&graph));
        problems.extend(self.long_files());
        problems.extend(self.range_decided_elsewhere());
        problems.extend(self.repeated_type_names());
        for (module, files) in &self.modules {
            for (path, code) in files {
                for function in long_functions(code) {
                    problems.push(format!(
                        "{path}: fn {function} in `{module}` is over {MAX_FUNCTION_LINES} lines"
                    ));
                }
            }
        }
        problems
    }
}

impl Crate {
    /// Files over [`MAX_FILE_LINES`], and files of `run/` over
    /// [`MAX_RUN_FILE_LINES`].
    fn long_files(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (path, lines) in &self.sizes {
            let limit = if path.starts_with("run/") {
                MAX_RUN_FILE_LINES
            } else {
                MAX_FILE_LINES
            };
            if *lines > limit {
                problems.push(format!("{path}: {lines} lines, over {limit}"));
            }
        }
        problems
    }

    /// Every file but `deploy`'s own, [`RANGE_FILE`] and
    /// [`DEPLOY_IMPORTERS`] that imports `deploy`, and every file but
    /// [`RANGE_BUILDERS`] that builds one of [`RANGE_TYPES`]: the range is
    /// decided in one place.
    fn range_decided_elsewhere(&self) -> Vec<String> {
        let names: BTreeSet<String> = self.modules.keys().cloned().collect();
        let mut problems = Vec::new();
        for (module, files) in &self.modules {
            for (path, code) in files {
                let path = path.as_str();
                if module != "deploy"
                    && path != RANGE_FILE
                    && !DEPLOY_IMPORTERS.contains(&path)
                    && imports(code, &names).contains("deploy")
                {
                    problems.push(format!(
                        "{path}: imports `deploy`; only {RANGE_FILE} decides the range"
                    ));
                }
                if RANGE_BUILDERS.contains(&path) {
                    continue;
                }
                for (name, then) in RANGE_TYPES {
                    if builds(code, name, then) {
                        problems.push(format!(
                            "{path}: builds `{name}`; only {} build the range",
                            RANGE_BUILDERS.join(", ")
                        ));
                    }
                }
            }
        }
        problems
    }
}

impl Crate {
    /// Each `pub` or `pub(crate)` struct, enum or type name (but
    /// [`SHARED_TYPE_NAMES`]) declared in more than one file: a name says
    /// what a type is without its module.
    fn repeated_type_names(&self) -> Vec<String> {
        let mut declared: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for files in self.modules.values() {
            for (path, code) in files {
                for name in public_types(code) {
                    if !SHARED_TYPE_NAMES.contains(&name.as_str()) {
                        declared.entry(name).or_default().push(path);
                    }
                }
            }
        }
        declared
            .into_iter()
            .filter(|(_, paths)| paths.len() > 1)
            .map(|(name, paths)| {
                format!(
                    "public type `{name}` is declared in {}: give each its own name",
                    paths.join(", ")
                )
            })
            .collect()
    }
}

/// The names of the `pub` and `pub(crate)` structs, enums and types that
/// `code` declares.
fn public_types(code: &str) -> Vec<String> {
    let words: Vec<&str> = code.split_whitespace().collect();
    words
        .windows(3)
        .filter(|w| {
            matches!(w[0], "pub" | "pub(crate)") && matches!(w[1], "struct" | "enum" | "type")
        })
        .map(|w| {
            w[2].chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// Whether `code` builds `name`: the identifier followed by `then` (`{` for
/// a struct, `::` for an enum's variant), not in its own definition.
fn builds(code: &str, name: &str, then: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + name.len()..].trim_start();
        let head = code[..at].trim_end();
        !before.is_some_and(is_ident)
            && after.starts_with(then)
            && !head.ends_with("struct")
            && !head.ends_with("enum")
            && !head.ends_with("impl")
            && !head.ends_with("->")
    })
}

/// A `tests.rs` that its folder's module declares as a test module
/// (`#[cfg(test)] mod tests;`): test code, held to no rule.
fn is_test_file(path: &str, files: &[(&str, &str)]) -> bool {
    let Some(folder) = path.strip_suffix("/tests.rs") else {
        return false;
    };
    let parents = [format!("{folder}/mod.rs"), format!("{folder}.rs")];
    files.iter().any(|(other, source)| {
        parents.iter().any(|p| p == other) && source.contains("#[cfg(test)]\nmod tests;")
    })
}

/// `changes/api.rs` -> `changes`, `select.rs` -> `select`.
fn module_of(path: &str) -> String {
    let first = path.split('/').next().unwrap_or(path);
    first.trim_end_matches(".rs").to_string()
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            files.push((relative, std::fs::read_to_string(&path).expect("source")));
        }
    }
}

/// Each loop of imports, once: `a -> b -> a`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        // Depth-first from `start`, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    // Written from its smallest name, so each loop is said once.
                    let smallest = path
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, m)| m.as_str())
                        .map_or(0, |(i, _)| i);
                    let mut ring: Vec<&str> = path[smallest..]
                        .iter()
                        .chain(&path[..smallest])
                        .map(String::as_str)
                        .collect();
                    ring.push(ring[0]);
                    found.insert(format!("import loop: {}", ring.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

fn manifest(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

// The import table is printed for the reader (`--nocapture`); a test has no
// report module to go through.
#[allow(clippy::print_stdout)]
#[test]
fn imports_point_down_without_loops_and_functions_stay_short() {
    let architecture =
        std::fs::read_to_string(manifest("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let layers = layers(&architecture);
    let krate = Crate::read(&manifest("src"));
    for (module, targets) in krate.graph() {
        let targets: Vec<String> = targets.into_iter().collect();
        println!("{module:>10} -> {}", targets.join(", "));
    }
    let problems = krate.problems(&layers);
    assert!(
        problems.is_empty(),
        "the code breaks the rules of ARCHITECTURE.md:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_module_of_the_layer_table_exists() {
    let architecture =
        std::fs::read_to_string(manifest("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let krate = Crate::read(&manifest("src"));
    for (layer, modules) in layers(&architecture) {
        for module in modules {
            assert!(
                krate.modules.contains_key(&module),
                "the layer table names `{module}` ({layer}), which is not a module under src/"
            );
        }
    }
}

#[test]
fn the_checker_catches_an_upward_import_a_loop_and_a_long_function() {
    let table = "<!-- layers:start -->\n| layer | modules |\n|---|---|\n| top | `run` |\n| stages | `event`, `select` |\n| plumbing | `actions` |\n<!-- layers:end -->";
    let layers = layers(table);
    let long_body = "    let x = 1;\n".repeat(MAX_FUNCTION_LINES);
    let long = format!("pub fn long() {{\n{long_body}}}\n");
    let files = [
        (
            "run.rs",
            "use crate::event::plan;\nuse crate::{actions::Log, select};",
        ),
        // Upward: plumbing to a stage, hidden in a group.
        ("actions.rs", "use crate::{select::Rules};\n"),
        // A loop between two stages, one of them through a path in code.
        ("event.rs", "fn f() { crate::select::g() }\n"),
        (
            "select/mod.rs",
            "use crate::event::Trigger;\n// crate::run::x in a comment is no import\nconst S: &str = \"crate::run\";\n",
        ),
        ("select/long.rs", long.as_str()),
        // A test module may import anything.
        (
            "select/ok.rs",
            "#[cfg(test)]\nmod tests {\n    use crate::run::x;\n}\n",
        ),
    ];
    let problems = Crate::from_sources(&files).problems(&layers);
    assert_eq!(
        problems,
        [
            "`actions` (plumbing) imports `select` (stages), a higher layer",
            "import loop: event -> select -> event",
            "select/long.rs: fn long (82 lines) in `select` is over 80 lines",
        ],
        "{problems:#?}"
    );

    let missing = Crate::from_sources(&[("stray.rs", "")]).problems(&layers);
    assert_eq!(
        missing,
        ["module `stray` is in no layer: add it to the layer table"]
    );
}

#[test]
fn the_checker_catches_one_public_type_name_in_two_files() {
    let table = "<!-- layers:start -->\n| layer | modules |\n|---|---|\n| stages | `live`, `report`, `vercel` |\n<!-- layers:end -->";
    let layers = layers(table);
    let files = [
        (
            "live/verify.rs",
            "pub enum Problem { Gone }\npub struct Settings;\npub(super) struct Own;\n",
        ),
        (
            "report/mod.rs",
            "pub(crate) struct Problem {\n    message: String,\n}\npub struct Settings;\nstruct Own;\n",
        ),
        // Each stage's own `Settings` is the convention.
        ("vercel.rs", "pub struct Settings;\npub type Own = u8;\n"),
        // A test module may name its types as it likes.
        (
            "live/mod.rs",
            "#[cfg(test)]\nmod tests {\n    pub struct Problem;\n}\n",
        ),
    ];
    let problems = Crate::from_sources(&files).problems(&layers);
    assert_eq!(
        problems,
        [
            "public type `Problem` is declared in live/verify.rs, report/mod.rs: give each its own name",
        ],
        "{problems:#?}"
    );
}

#[test]
fn literals_and_comments_hide_no_code_and_fake_none() {
    let code = code_only(
        "let a = '{'; let b = r#\"}\"#; /* { */ let c = \"\\\"{\"; // }\nfn x<'a>(s: &'a str) {}",
    );
    assert_eq!(code.matches('{').count(), 1, "{code}");
    assert_eq!(code.matches('}').count(), 1, "{code}");
    assert!(code.contains("fn x<'a>(s: &'a str) {}"), "{code}");
}

#[test]
fn the_checker_catches_long_files_and_the_range_decided_elsewhere() {
    let table = "<!-- layers:start -->\n| layer | modules |\n|---|---|\n| top | `run` |\n| stages | `deploy`, `select` |\n<!-- layers:end -->";
    let layers = layers(table);
    let lines = |n: usize| "const X: u8 = 0;\n".repeat(n);
    let (long, run_long, run_ok) = (
        lines(MAX_FILE_LINES + 1),
        lines(MAX_RUN_FILE_LINES + 1),
        lines(MAX_RUN_FILE_LINES),
    );
    let declares = format!("{}#[cfg(test)]\nmod tests;\n", lines(3));
    let files = [
        ("select/mod.rs", declares.as_str()),
        // A test module may be as long as it likes.
        ("select/tests.rs", long.as_str()),
        ("select/glob.rs", long.as_str()),
        ("run/mod.rs", run_ok.as_str()),
        ("run/send.rs", run_long.as_str()),
        // The deployments, read where the range is decided and elsewhere.
        ("deploy.rs", "pub struct Deployments;\n"),
        (
            "run/range.rs",
            "use crate::deploy::Deployments;\nfn f(d: Deployments) -> Range { d.wait_until_live(); Range { base: None } }\n",
        ),
        (
            "run/site.rs",
            "fn g(d: crate::deploy::Deployments) { d.previous_live() }\n// crate::deploy in a comment is no import\nfn my_previous_success() {}\n",
        ),
        // A second decider: it reaches no deployment, but builds the range
        // and the wait's plan itself.
        (
            "select/decide.rs",
            "fn h(r: &Range) -> Range {\n    let _ = WaitPlan::Open;\n    Range { base: None, head: r.head.clone() }\n}\nfn ok(r: std::ops::Range<usize>) {}\n",
        ),
    ];
    let problems = Crate::from_sources(&files).problems(&layers);
    assert_eq!(
        problems,
        [
            "select/glob.rs: 801 lines, over 800",
            "run/send.rs: 401 lines, over 400",
            "run/site.rs: imports `deploy`; only run/range.rs decides the range",
            "select/decide.rs: builds `Range`; only event.rs, run/plan.rs, run/range.rs build the range",
            "select/decide.rs: builds `WaitPlan`; only event.rs, run/plan.rs, run/range.rs build the range",
        ],
        "{problems:#?}"
    );
}
