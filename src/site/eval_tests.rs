//! The evaluator on the shapes real configs take, and on hostile files:
//! work is counted in steps, never timed.

use proptest::prelude::*;

use super::eval::Invocation;
use super::lex::{TokenKind, tokenize};
use super::literal::{ExportError, Exported, Found, MAX_SIZE, Value, budget_for, exported_for};

fn read(source: &str, invocation: Invocation) -> Exported {
    exported_for(source, invocation).unwrap_or_else(|e| panic!("{e}: {source}"))
}

/// The value at `keys`: `Ok(string)`, `Err(source)` when unknown, or
/// `Ok("<absent>")`.
fn at(source: &str, invocation: Invocation, keys: &[&str]) -> Result<String, String> {
    match read(source, invocation).value.path(keys) {
        Found::Value(Value::Str(s)) => Ok(s.clone()),
        Found::Value(Value::Path(p)) => Ok(format!("<path {p}>")),
        Found::Value(other) => Ok(format!("<{}>", other.describe())),
        Found::Absent => Ok("<absent>".to_string()),
        Found::Unknown(source) => Err(source),
    }
}

fn base_path(source: &str) -> Result<String, String> {
    at(source, Invocation::NextBuild, &["basePath"])
}

#[test]
fn configs_exported_as_functions_are_called_for_the_production_build() {
    let cases: &[(&str, &str)] = &[
        (
            "const { PHASE_DEVELOPMENT_SERVER } = require('next/constants')\nmodule.exports = (phase, { defaultConfig }) => {\n  if (phase === PHASE_DEVELOPMENT_SERVER) {\n    return { basePath: '/dev' }\n  }\n  const config = { ...defaultConfig, basePath: '/docs' }\n  return config\n}",
            "phase constants from require",
        ),
        (
            "import { PHASE_PRODUCTION_BUILD } from 'next/constants.js';\nexport default async (phase) => {\n  const isBuild = phase === PHASE_PRODUCTION_BUILD;\n  return { basePath: isBuild ? '/docs' : '' };\n};",
            "async arrow, a value computed from the phase",
        ),
        (
            "export default async function config(phase, { defaultConfig }) {\n  /** @type {import('next').NextConfig} */\n  const nextConfig = { basePath: '/docs' };\n  return nextConfig;\n}",
            "async function declaration",
        ),
        (
            "export default () => ({ basePath: '/docs' })",
            "arrow returning an object",
        ),
        (
            "const nextConfig = (phase: string): NextConfig => {\n  const base: string = '/docs';\n  return { basePath: base } satisfies NextConfig;\n};\nexport default nextConfig;",
            "TypeScript, bound to a name",
        ),
        (
            "module.exports = (phase) => {\n  if (phase === 'phase-development-server') return {};\n  return withBundleAnalyzer({ basePath: '/docs' });\n};",
            "a plugin inside the function",
        ),
    ];
    for (source, what) in cases {
        assert_eq!(
            base_path(source).as_deref(),
            Ok("/docs"),
            "{what}: {source}"
        );
    }
    // What the phase alone cannot tell stays unknown.
    assert_eq!(
        base_path("module.exports = (phase) => ({ basePath: process.env.BASE })"),
        Err("process.env.BASE".to_string())
    );
}

#[test]
fn delete_unsets_a_setting() {
    assert_eq!(
        base_path("const c = { basePath: '/docs' };\ndelete c.basePath;\nmodule.exports = c;")
            .as_deref(),
        Ok("<absent>")
    );
    assert!(
        base_path("const c = { basePath: '/docs' };\nif (process.env.X) delete c.basePath;\nmodule.exports = c;").is_err(),
        "deleted one way only"
    );
}

#[test]
fn the_build_command_line_is_a_build() {
    // SvelteKit's documented pattern for a base path under GitHub Pages.
    let source = "import adapter from '@sveltejs/adapter-static';\n\nconst dev = process.argv.includes('dev');\n\n/** @type {import('@sveltejs/kit').Config} */\nconst config = {\n  kit: {\n    adapter: adapter(),\n    paths: { base: dev ? '' : '/docs' },\n  },\n};\n\nexport default config;\n";
    assert_eq!(
        at(source, Invocation::Plain, &["kit", "paths", "base"]).as_deref(),
        Ok("/docs")
    );
}

#[test]
fn commonjs_exports_default_is_the_config() {
    assert_eq!(
        base_path("\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\nconst nextConfig = { basePath: '/docs' };\nexports.default = nextConfig;\n").as_deref(),
        Ok("/docs")
    );
}

#[test]
fn vite_configs_exported_as_functions_get_the_build_command() {
    let source = "import { defineConfig } from 'vite';\nexport default defineConfig(({ command, mode }) => ({\n  base: command === 'build' ? '/app/' : '/',\n  publicDir: mode === 'production' ? 'static' : 'public',\n}));";
    assert_eq!(
        at(source, Invocation::ViteBuild, &["base"]).as_deref(),
        Ok("/app/")
    );
    assert_eq!(
        at(source, Invocation::ViteBuild, &["publicDir"]).as_deref(),
        Ok("static")
    );
    let ssr =
        "export default defineConfig(({ isSsrBuild }) => ({ base: isSsrBuild ? '/a/' : '/b/' }))";
    assert!(
        at(ssr, Invocation::ViteBuild, &["base"]).is_err(),
        "two builds"
    );
}

#[test]
fn plugins_pass_the_config_through_and_are_named() {
    let cases: &[(&str, &[&str])] = &[
        (
            "const withA = require('a');\nconst withB = require('b');\nconst config = { basePath: '/docs' };\nmodule.exports = withA(withB(config));",
            &["withA", "withB"],
        ),
        (
            "const withPlugins = require('next-compose-plugins');\nconst images = require('next-images');\nconst sass = require('@zeit/next-sass');\nconst nextConfig = { basePath: '/docs' };\nmodule.exports = withPlugins([[images, { inlineImageLimit: 0 }], sass], nextConfig);",
            &["withPlugins"],
        ),
        (
            "import withA from 'a';\nimport withB from 'b';\nconst config = { basePath: '/docs' };\nconst plugins = [withA, withB];\nexport default plugins.reduce((acc, plugin) => plugin(acc), config);",
            &["withB", "withA"],
        ),
        (
            "import withA from 'a';\nconst config = { basePath: '/docs' };\nexport default [withA, process.env.ANALYZE === 'true' && withAnalyzer].filter(Boolean).reduce((acc, next) => next(acc), { ...config });",
            &["withAnalyzer", "withA"],
        ),
        (
            "const withPWA = require('next-pwa')({ dest: 'public', disable: process.env.NODE_ENV === 'development' });\nmodule.exports = withPWA({ basePath: '/docs' });",
            &["withPWA"],
        ),
        (
            "const withMDX = createMDX({ extension: /\\.mdx?$/ });\nexport default withMDX(withSentryConfig({ basePath: '/docs' }, { silent: true }));",
            &["withMDX", "withSentryConfig"],
        ),
    ];
    for (source, wrappers) in cases {
        let exported = read(source, Invocation::NextBuild);
        assert_eq!(
            exported.value.path(&["basePath"]),
            Found::Value(&Value::Str("/docs".into())),
            "{source}"
        );
        assert_eq!(exported.wrappers, *wrappers, "{source}");
    }
    // A merge helper is no plugin: what it merges in counts.
    assert_eq!(
        base_path("import merge from 'lodash.merge';\nexport default merge({ basePath: '/a' }, { basePath: '/docs' })").as_deref(),
        Ok("/docs")
    );
    assert_eq!(
        base_path("import { defu } from 'defu';\nexport default defu({ basePath: '/docs' }, { basePath: '/a' })").as_deref(),
        Ok("/docs"),
        "defu: the first wins"
    );
}

#[test]
fn conditional_spreads_set_what_every_way_sets() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        (
            "const webpack = (c) => c;\nmodule.exports = {\n  basePath: '/docs',\n  ...(process.env.ANALYZE === 'true' && { webpack }),\n};",
            Ok("/docs"),
        ),
        (
            "const isTauri = !!process.env.TAURI_ENV_PLATFORM;\nmodule.exports = { basePath: '/docs', ...(isTauri ? {} : { rewrites: async () => [] }) };",
            Ok("/docs"),
        ),
        (
            "module.exports = { ...(process.env.ANALYZE && { webpack: null }) };",
            Ok("<absent>"),
        ),
        (
            "module.exports = { basePath: '/a', ...(process.env.GH ? { basePath: '/b' } : {}) };",
            Err("process.env.GH ? { basePath: '/b' } : {}"),
        ),
        (
            "module.exports = { ...(process.env.GH ? { basePath: '/docs' } : { basePath: '/docs', output: 'export' }) };",
            Ok("/docs"),
        ),
        (
            "const config = {};\nif (process.env.STATIC) { config.output = 'export' }\nconfig.basePath = '/docs';\nmodule.exports = config;",
            Ok("/docs"),
        ),
        (
            "if (!process.env.BASE) { throw new Error('BASE is required') }\nmodule.exports = { basePath: '/docs' };",
            Ok("/docs"),
        ),
    ];
    for (source, expected) in cases {
        let expected = expected.map(str::to_string).map_err(str::to_string);
        assert_eq!(base_path(source), expected, "{source}");
    }
    let output =
        "module.exports = { basePath: '/a', ...(process.env.STATIC ? { output: 'export' } : {}) };";
    assert_eq!(
        at(output, Invocation::NextBuild, &["output"]),
        Err("process.env.STATIC ? { output: 'export' } : {}".to_string())
    );
}

#[test]
fn paths_from_the_config_folder_are_paths() {
    let cases: &[(&str, &str)] = &[
        (
            "const path = require('path');\nmodule.exports = { dir: path.resolve(__dirname, 'static') }",
            "<path static>",
        ),
        (
            "import { resolve } from 'node:path';\nexport default { dir: resolve(__dirname, './src/../assets') }",
            "<path assets>",
        ),
        (
            "import { fileURLToPath, URL } from 'node:url';\nexport default { dir: fileURLToPath(new URL('./static', import.meta.url)) }",
            "<path static>",
        ),
        (
            "import path from 'node:path';\nimport { fileURLToPath } from 'node:url';\nconst here = path.dirname(fileURLToPath(import.meta.url));\nexport default { dir: path.join(here, 'public') }",
            "<path public>",
        ),
        ("export default { dir: process.cwd() + '/x' }", "<absent>"),
    ];
    for (source, expected) in &cases[..4] {
        assert_eq!(
            at(source, Invocation::Plain, &["dir"]).as_deref(),
            Ok(*expected),
            "{source}"
        );
    }
    assert!(at(cases[4].0, Invocation::Plain, &["dir"]).is_err());
}

#[test]
fn import_meta_gives_the_files_place_and_leaves_the_build_environment_unknown() {
    let known: &[(&str, &str)] = &[
        (
            "import path from 'node:path';\nexport default { dir: path.resolve(import.meta.dirname, 'static') }",
            "<path static>",
        ),
        (
            "import path from 'node:path';\nexport default { dir: path.join(path.dirname(import.meta.filename), 'public') }",
            "<path public>",
        ),
    ];
    for (source, expected) in known {
        assert_eq!(
            at(source, Invocation::Plain, &["dir"]).as_deref(),
            Ok(*expected),
            "{source}"
        );
    }
    let unknown: &[(&str, &str)] = &[
        (
            "export default { base: import.meta.env.BASE_URL }",
            "import.meta.env.BASE_URL",
        ),
        (
            "const { env } = import.meta;\nexport default { base: env.BASE_URL }",
            "env.BASE_URL",
        ),
        ("export default { base: import.meta.main }", "import.meta"),
    ];
    for (source, expected) in unknown {
        assert_eq!(
            at(source, Invocation::ViteBuild, &["base"]),
            Err(expected.to_string()),
            "{source}"
        );
    }
}

/// The steps a hostile file took, and that it stayed in its budget.
fn steps_for(source: &str) -> (Result<Exported, ExportError>, u64) {
    let result = exported_for(source, Invocation::NextBuild);
    let steps = match &result {
        Ok(exported) => exported.steps,
        Err(ExportError::OverBudget(limit)) => *limit,
        Err(_) => 0,
    };
    assert!(steps <= budget_for(source.len()), "{steps} steps");
    (result, steps)
}

#[test]
fn arrays_that_double_at_each_name_are_evaluated_once_each() {
    // 450 bytes whose full expansion holds 10^8 values.
    let mut source = String::from("const x0 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];\n");
    for i in 1..=8 {
        let prev = format!("x{}", i - 1);
        source.push_str(&format!(
            "const x{i} = [{}];\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    source.push_str("module.exports = { basePath: '/docs', images: { deviceSizes: x8 } };\n");
    let (result, steps) = steps_for(&source);
    let exported = result.expect("read");
    assert_eq!(
        exported.value.path(&["basePath"]),
        Found::Value(&Value::Str("/docs".into()))
    );
    assert!(matches!(
        exported.value.path(&["images", "deviceSizes"]),
        Found::Value(_) | Found::Unknown(_)
    ),);
    // Each name once: steps in proportion to the source, not to 10^8.
    assert!(steps < 300_000, "{steps} steps for {} bytes", source.len());
}

#[test]
fn nested_wrapper_calls_evaluate_each_name_once() {
    // Each level uses the one before it twice: 2^40 evaluations if names
    // were evaluated where used.
    let mut source =
        String::from("const w = (a, b) => ({ ...a, ...b });\nconst c0 = { basePath: '/docs' };\n");
    for i in 1..=40 {
        source.push_str(&format!("const c{i} = w(c{0}, c{0});\n", i - 1));
    }
    source.push_str("module.exports = c40;\n");
    let (result, steps) = steps_for(&source);
    let exported = result.expect("read");
    // Each spread is looked through once: the key is found.
    assert_eq!(
        exported.value.path(&["basePath"]),
        Found::Value(&Value::Str("/docs".into()))
    );
    assert!(steps < 400_000, "{steps} steps for {} bytes", source.len());
}

#[test]
fn many_functions_assignments_and_declarations_take_steps_in_proportion() {
    let functions: String = (0..45_000)
        .map(|i| format!("function f{i}() {{}}\n"))
        .collect::<String>()
        + "module.exports = { basePath: '/docs' };";
    let assignments = "const c = {};\nif (process.env.X) {\n".to_string()
        + &(0..80_000)
            .map(|i| format!("c.a{i}=1;\n"))
            .collect::<String>()
        + "}\nc.basePath = '/docs';\nmodule.exports = c;";
    let declarations: String = (0..55_000)
        .map(|i| format!("const a{i}:T=1;"))
        .collect::<String>()
        + "\nmodule.exports = { basePath: '/docs' };";
    for (what, source) in [
        ("functions", &functions),
        ("assignments", &assignments),
        ("declarations", &declarations),
    ] {
        assert!(source.len() < MAX_SIZE, "{what}: {}", source.len());
        let (result, steps) = steps_for(source);
        let exported = result.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            exported.value.path(&["basePath"]),
            Found::Value(&Value::Str("/docs".into())),
            "{what}"
        );
        // A handful of steps per byte, whatever the shape.
        assert!(
            steps < 10 * source.len() as u64,
            "{what}: {steps} steps for {} bytes",
            source.len()
        );
    }
}

#[test]
fn a_file_over_the_size_cap_is_not_read() {
    let names = "a ".repeat(MAX_SIZE / 2 + 1);
    assert_eq!(
        exported_for(&names, Invocation::Plain),
        Err(ExportError::TooLarge(names.len()))
    );
}

#[test]
fn deep_and_recursive_shapes_end_within_the_budget() {
    let sources = [
        // Recursion.
        "function f(x) { return f(x) }\nmodule.exports = f({ basePath: '/docs' })".to_string(),
        // Exponential calls.
        "function f(n) { return [f(n), f(n)] }\nmodule.exports = { basePath: '/docs', x: f(1) }"
            .to_string(),
        // Long chains the parser builds flat.
        format!(
            "module.exports = {{ basePath: '/docs', x: {} }}",
            vec!["1"; 50_000].join(" + ")
        ),
        format!(
            "module.exports = {{ basePath: '/docs', x: a{} }}",
            ".b".repeat(50_000)
        ),
        format!(
            "module.exports = {{ basePath: '/docs', x: f{} }}",
            "()".repeat(50_000)
        ),
        // Deep nesting of every kind.
        format!(
            "module.exports = {{ basePath: '/docs', x: {}1 }}",
            "c ? ".repeat(5_000) + &" : 2".repeat(5_000)
        ),
        format!(
            "module.exports = {{ basePath: '/docs', x: {}1 }}",
            "x => ".repeat(5_000)
        ),
        format!(
            "module.exports = {{ basePath: '/docs', x: {}1 }}",
            "!".repeat(50_000)
        ),
        format!(
            "{}\nmodule.exports = {{ basePath: '/docs' }}",
            "if (x) ".repeat(5_000) + "y()"
        ),
        // Conditions that branch at every step.
        "let c = { basePath: '/docs' };\n".to_string()
            + &"if (process.env.X) { c = { ...c, a: 1 } }\n".repeat(2_000)
            + "module.exports = c;",
        // A chain of objects built in a loop, dropped at the end.
        format!(
            "const items = [{}];\nmodule.exports = items.reduce((acc, i) => ({{ next: acc, basePath: '/docs' }}), {{}});",
            vec!["1"; 9_000].join(",")
        ),
    ];
    for source in &sources {
        let (result, _) = steps_for(source);
        match result {
            Ok(exported) => assert!(
                matches!(
                    exported.value.path(&["basePath"]),
                    Found::Value(_) | Found::Unknown(_)
                ),
                "{}",
                &source[..60.min(source.len())]
            ),
            Err(ExportError::OverBudget(_) | ExportError::NoExport) => {}
            Err(other) => panic!("{other}"),
        }
    }
}

#[test]
fn a_regex_after_a_function_body_hides_a_decoy() {
    let source = "function f() {}\n/'/.test(x) // ', basePath: '/wrong' }\nmodule.exports = { basePath: '/docs' };";
    assert_eq!(base_path(source).as_deref(), Ok("/docs"));
}

/// Tokens configs are made of, for soup.
const SOUP: &[&str] = &[
    "module",
    ".",
    "exports",
    "=",
    "export",
    "default",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "...",
    "basePath",
    ":",
    "'/docs'",
    ",",
    ";",
    "\n",
    "const",
    "c",
    "=>",
    "function",
    "f",
    "return",
    "if",
    "else",
    "?",
    "&&",
    "||",
    "process.env.X",
    "`a${",
    "}`",
    "/",
    "x",
    "1",
    "async",
    "await",
    "import",
    "from",
    "'next/constants'",
    "as",
    "satisfies",
    "T",
    "<",
    ">",
    "!",
    "new",
    "class",
    "for",
    "while",
    "++",
    "+",
    "==",
    "typeof",
    "require",
    "('path')",
    ".reduce",
    "withA",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_in_budget(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let source = String::from_utf8_lossy(&bytes);
        let (_, steps) = steps_for(&source);
        prop_assert!(steps <= budget_for(source.len()));
    }

    #[test]
    fn token_soup_never_panics_and_stays_in_budget(
        picks in proptest::collection::vec(0..SOUP.len(), 0..300),
        spaces in proptest::collection::vec(any::<bool>(), 300),
    ) {
        let mut source = String::new();
        for (i, pick) in picks.iter().enumerate() {
            source.push_str(SOUP[*pick]);
            if spaces[i] {
                source.push(' ');
            }
        }
        let (_, steps) = steps_for(&source);
        prop_assert!(steps <= budget_for(source.len()));
        // Whatever is read, the tokens stay in order.
        if let Ok(tokens) = tokenize(&source) {
            prop_assert!(tokens.windows(2).all(|w| w[0].end <= w[1].start));
            prop_assert!(tokens.iter().all(|t| !matches!(t.kind, TokenKind::Punct("") )));
        }
    }
}

#[test]
fn a_switch_that_may_return_makes_the_result_unknown() {
    let source = "module.exports = (phase) => {\n  switch (phase) {\n    case 'phase-production-build':\n      return { basePath: '/docs' }\n  }\n  return {}\n}";
    assert!(base_path(source).is_err(), "{:?}", base_path(source));
}

/// `const s0 = '<1 KB>'`, doubled to `s6` (64 KB), then `lines` strings
/// of 64 KB built from it.
fn strings_built(lines: usize) -> String {
    let mut source = format!("const s0 = '{}';\n", "x".repeat(1024));
    for n in 1..=6 {
        source.push_str(&format!("const s{n} = s{} + s{};\n", n - 1, n - 1));
    }
    for n in 0..lines {
        source.push_str(&format!("const t{n} = s6 + '';\n"));
    }
    source + "module.exports = {};\n"
}

/// An array of 1,000 items, then `lines` arrays of 9,000 built from it.
fn arrays_built(lines: usize) -> String {
    let items = vec!["1"; 1000].join(", ");
    let mut source = format!("const a = [{items}];\n");
    for n in 0..lines {
        source.push_str(&format!("const c{n} = a.concat(a, a, a, a, a, a, a, a);\n"));
    }
    source + "module.exports = {};\n"
}

#[test]
fn what_is_built_costs_steps_by_its_size() {
    // Each string of 64 KB costs a step per 16 bytes.
    let (result, steps) = steps_for(&strings_built(10));
    assert!(result.is_ok(), "{result:?}");
    assert!(steps >= 10 * 64 * 1024 / 16, "{steps} steps");
    // Each concat costs a step per item it adds.
    let (result, steps) = steps_for(&arrays_built(10));
    assert!(result.is_ok(), "{result:?}");
    assert!(steps >= 10 * 8000, "{steps} steps");
    // So a file that builds far more than its own size is over budget:
    // 8,000 strings of 64 KB from 150 KB, 8,000 arrays of 9,000 items
    // from 330 KB.
    for source in [strings_built(8000), arrays_built(8000)] {
        let (result, _) = steps_for(&source);
        assert!(
            matches!(result, Err(ExportError::OverBudget(_))),
            "{} bytes: {result:?}",
            source.len()
        );
    }
}

#[test]
fn an_unknown_function_given_the_config_may_change_it() {
    let changed = [
        "import { mutate } from 'helpers';\nconst config = { basePath: '/docs' };\nmutate(config);\nexport default config;",
        "const config = { basePath: '/docs' };\nrequire('./tweaks').apply(config);\nmodule.exports = config;",
    ];
    for source in changed {
        assert_eq!(
            base_path(source),
            Err(source
                .lines()
                .find(|line| line.ends_with("(config);"))
                .unwrap_or("")
                .trim_end_matches(';')
                .to_string()),
            "{source}"
        );
    }
    // Logging it, or a plugin's result used as the config, leaves it.
    let kept = [
        "const config = { basePath: '/docs' };\nconsole.log(config);\nmodule.exports = config;",
        "import withA from 'a';\nconst config = { basePath: '/docs' };\nexport default withA(config);",
    ];
    for source in kept {
        assert_eq!(base_path(source), Ok("/docs".to_string()), "{source}");
    }
}
