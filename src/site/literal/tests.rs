use super::*;

fn config(source: &str) -> Value {
    exported(source).expect("exports a config").value
}

fn str_at(value: &Value, keys: &[&str]) -> Option<String> {
    match value.path(keys) {
        Found::Value(Value::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

#[test]
fn exports_in_the_shapes_real_configs_use() {
    let cases: &[(&str, &str)] = &[
        ("module.exports = { basePath: '/docs' }", "cjs object"),
        ("export default { basePath: '/docs' };", "esm object"),
        (
            "import { defineConfig } from 'astro/config';\nexport default defineConfig({ basePath: '/docs' });",
            "defineConfig",
        ),
        (
            "export default defineNuxtConfig({ basePath: '/docs' })",
            "defineNuxtConfig",
        ),
        (
            "/** @type {import('next').NextConfig} */\nconst nextConfig = { basePath: '/docs' }\nexport default nextConfig",
            "a name, no semicolons",
        ),
        (
            "const nextConfig = {\n  basePath: '/docs',\n};\nmodule.exports = nextConfig;",
            "a name, CommonJS",
        ),
        (
            "import type { NextConfig } from 'next';\nconst nextConfig: NextConfig = { basePath: '/docs' };\nexport default nextConfig;",
            "TypeScript annotation",
        ),
        (
            "import type { NextConfig } from 'next'\nconst nextConfig = { basePath: '/docs' } satisfies NextConfig\nexport default nextConfig",
            "TypeScript satisfies",
        ),
        (
            "export default { basePath: '/docs' } satisfies Config;",
            "satisfies at the export",
        ),
        (
            "const c = { basePath: '/docs' } as const;\nexport default c;",
            "as const",
        ),
        (
            "const config: Record<string, unknown> = { basePath: '/docs' };\nexport default config;",
            "generic annotation",
        ),
        ("export default ({ basePath: '/docs' });", "parenthesised"),
        (
            "const nextConfig = { basePath: '/docs' };\nexport { nextConfig as default };",
            "a named export as default",
        ),
        (
            "module.exports = { basePath: '/old' };\nmodule.exports = { basePath: '/docs' };",
            "the last export wins",
        ),
        (
            "const config = defineConfig({ basePath: '/docs' });\nexport default config;",
            "defineConfig bound to a name",
        ),
        (
            "const base = '/docs';\nexport default { basePath: base };",
            "a name bound to a string",
        ),
        (
            "const basePath = '/docs';\nexport default { basePath };",
            "shorthand",
        ),
        (
            "export default { basePath: `/docs` };",
            "template without substitutions",
        ),
        ("export default { 'basePath': '/docs' };", "string key"),
        (
            "export default { ['basePath']: '/docs' };",
            "computed string key",
        ),
        (
            "export default { ...shared, basePath: '/docs' };",
            "spread before",
        ),
        (
            "function helper() { return { basePath: '/wrong' } }\nexport default { basePath: '/docs' };",
            "a function's object is not the export",
        ),
    ];
    for (source, what) in cases {
        assert_eq!(
            str_at(&config(source), &["basePath"]).as_deref(),
            Some("/docs"),
            "{what}: {source}"
        );
    }
}

#[test]
fn wrappers_are_read_through_their_argument() {
    let cases: &[(&str, &[&str])] = &[
        (
            "const nextConfig = { basePath: '/docs' };\nmodule.exports = withBundleAnalyzer(nextConfig);",
            &["withBundleAnalyzer"],
        ),
        (
            "const nextConfig = { basePath: '/docs' };\nexport default withSentryConfig(nextConfig, { silent: true });",
            &["withSentryConfig"],
        ),
        (
            "const nextConfig = { basePath: '/docs' };\nexport default withPWA({ dest: 'public' })(nextConfig);",
            &["withPWA(...)"],
        ),
        (
            "const nextConfig = { basePath: '/docs' };\nmodule.exports = withPlugins([[withImages]], nextConfig);",
            &["withPlugins"],
        ),
        (
            "const nextConfig = { basePath: '/docs' };\nexport default withA(withB(nextConfig));",
            &["withA", "withB"],
        ),
        (
            "export default withNextIntl({ basePath: '/docs' });",
            &["withNextIntl"],
        ),
    ];
    for (source, wrappers) in cases {
        let exported = exported(source).expect("exports");
        assert_eq!(
            str_at(&exported.value, &["basePath"]).as_deref(),
            Some("/docs"),
            "{source}"
        );
        assert_eq!(exported.wrappers, *wrappers, "{source}");
    }
}

#[test]
fn comments_strings_and_templates_do_not_fool_it() {
    let cases: &[&str] = &[
        "module.exports = {\n  // basePath: '/docs',\n}",
        "module.exports = {\n  /* basePath: '/docs', */\n}",
        "module.exports = { description: \"basePath: '/docs'\" }",
        "module.exports = { description: `basePath: '/docs'` }",
        "module.exports = { description: `${x} basePath: '/docs'` }",
        "module.exports = { pattern: /basePath: '\\/docs'/ }",
        "// module.exports = { basePath: '/docs' }\nmodule.exports = {}",
        "const s = \"export default { basePath: '/docs' }\";\nmodule.exports = {}",
        "module.exports = { nested: { basePath: '/docs' } }",
    ];
    for source in cases {
        assert_eq!(
            config(source).path(&["basePath"]),
            Found::Absent,
            "{source}"
        );
    }
}

#[test]
fn computed_values_are_unknown_with_their_source() {
    let cases: &[(&str, &str)] = &[
        (
            "module.exports = { basePath: process.env.BASE }",
            "process.env.BASE",
        ),
        (
            "module.exports = { basePath: process.env.BASE ?? '/docs' }",
            "process.env.BASE ?? '/docs'",
        ),
        (
            "module.exports = { basePath: isProd ? '/docs' : '' }",
            "isProd ? '/docs' : ''",
        ),
        ("module.exports = { basePath: `/${repo}` }", "`/${repo}`"),
        ("module.exports = { basePath: '/' + name }", "'/' + name"),
        ("module.exports = { basePath: base() }", "base()"),
        ("module.exports = { basePath }", "basePath"),
        (
            "const basePath = process.env.BASE || '';\nmodule.exports = { basePath }",
            "process.env.BASE || ''",
        ),
        (
            "const base = process.env.BASE;\nmodule.exports = { basePath: base || undefined }",
            "base || undefined",
        ),
        (
            "module.exports = { basePath: `/a`.padEnd(3) }",
            "`/a`.padEnd(3)",
        ),
        (
            "module.exports = { basePath: '/docs', ...extra }",
            "...extra",
        ),
        ("module.exports = { [key]: '/docs' }", "[key]: '/docs'"),
        (
            "import config from './base.mjs';\nexport default config;",
            "config",
        ),
        ("export default withX(other);", "withX(other)"),
    ];
    for (source, expected) in cases {
        assert_eq!(
            config(source).path(&["basePath"]),
            Found::Unknown(expected.to_string()),
            "{source}"
        );
    }
}

#[test]
fn literals_of_every_kind() {
    let value = config(
        "export default {
            a: null, b: undefined, c: true, d: false, e: -1.5, f: 0x10,
            g: [640, 750, , 'x'], h: { i: 'j' }, 'k-l': \"m\", 42: 'n',
            o() { return 1 }, get p() { return 2 }, async q() {},
            r: [1, ...more], s: ['image/avif', 'image/webp'] as const,
        }",
    );
    let at = |key: &str| match value.path(&[key]) {
        Found::Value(v) => v.clone(),
        Found::Absent => Value::Undefined,
        Found::Unknown(source) => Value::Unknown(source),
    };
    assert_eq!(at("a"), Value::Null);
    assert_eq!(value.path(&["b"]), Found::Absent, "undefined is unset");
    assert_eq!(at("c"), Value::Bool(true));
    assert_eq!(at("d"), Value::Bool(false));
    assert_eq!(at("e"), Value::Num(-1.5));
    assert_eq!(at("f"), Value::Num(16.0));
    assert_eq!(
        at("g"),
        Value::Array(vec![
            Value::Num(640.0),
            Value::Num(750.0),
            Value::Undefined,
            Value::Str("x".into())
        ])
    );
    assert_eq!(
        value.path(&["h", "i"]),
        Found::Value(&Value::Str("j".into()))
    );
    assert_eq!(at("k-l"), Value::Str("m".into()));
    assert_eq!(at("42"), Value::Str("n".into()));
    assert!(matches!(at("o"), Value::Unknown(_)));
    assert!(matches!(at("p"), Value::Unknown(_)));
    assert!(matches!(at("q"), Value::Unknown(_)));
    assert_eq!(at("r"), Value::Unknown("[1, ...more]".into()));
    assert_eq!(
        at("s"),
        Value::Array(vec![
            Value::Str("image/avif".into()),
            Value::Str("image/webp".into())
        ])
    );
    assert_eq!(value.path(&["zz"]), Found::Absent);
    assert_eq!(value.path(&["a", "x"]), Found::Absent, "below null");
    assert_eq!(
        value.path(&["c", "x"]),
        Found::Unknown("true".into()),
        "below a boolean"
    );
}

#[test]
fn files_without_an_export_or_unreadable_are_errors() {
    assert_eq!(exported("const a = {}"), Err(ExportError::NoExport));
    assert_eq!(
        exported("function f() { module.exports = {} }"),
        Err(ExportError::NoExport),
        "not at the top level"
    );
    assert!(matches!(
        exported("module.exports = { a: 'open }"),
        Err(ExportError::Lex(_))
    ));
}

#[test]
fn top_level_assignments_change_the_exported_object() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        (
            "const nextConfig = { basePath: '/old' };\nnextConfig.basePath = '/docs';\nexport default nextConfig;",
            Ok("/docs"),
        ),
        (
            "const nextConfig = {};\nnextConfig['basePath'] = '/docs'\nmodule.exports = nextConfig",
            Ok("/docs"),
        ),
        (
            "module.exports = { basePath: '/old' };\nmodule.exports.basePath = '/docs';",
            Ok("/docs"),
        ),
        (
            "const c = { basePath: '/docs' };\nc.images = { unoptimized: true };\nexport default c;",
            Ok("/docs"),
        ),
        (
            "const c = { basePath: '/docs' };\nc[key] = '/x';\nexport default c;",
            Err("c[key] = '/x'"),
        ),
        (
            "const c = { basePath: '/docs' };\nObject.assign(c, extra);\nexport default c;",
            Err("Object.assign(c, extra)"),
        ),
        (
            "const c = { basePath: '/docs' };\nc.basePath = process.env.BASE;\nexport default c;",
            Err("process.env.BASE"),
        ),
        (
            "const c = { basePath: '/docs' };\nfunction f() { c.basePath = '/x' }\nexport default c;",
            Ok("/docs"),
        ),
        (
            "const c = { basePath: '/docs' };\nif (x) c.basePath == '/x';\nexport default c;",
            Ok("/docs"),
        ),
    ];
    for (source, expected) in cases {
        let expected = match expected {
            Ok(s) => Value::Str(s.to_string()),
            Err(source) => Value::Unknown(source.to_string()),
        };
        let found = match config(source).path(&["basePath"]) {
            Found::Value(value) => value.clone(),
            Found::Unknown(source) => Value::Unknown(source),
            Found::Absent => Value::Undefined,
        };
        assert_eq!(found, expected, "{source}");
    }
    let nested = config(
        "const c = { images: { formats: ['image/webp'] } };\nc.images.unoptimized = true;\nc.output = {};\nc.output.mode = 'x';\nexport default c;",
    );
    assert_eq!(
        nested.path(&["images", "unoptimized"]),
        Found::Value(&Value::Bool(true))
    );
    assert!(matches!(
        nested.path(&["images", "formats"]),
        Found::Value(Value::Array(_))
    ));
    assert_eq!(
        nested.path(&["output", "mode"]),
        Found::Value(&Value::Str("x".to_string()))
    );
}

#[test]
fn assignments_that_may_not_run_make_what_they_set_unknown() {
    // (source, key, the unknown source expected)
    let cases: &[(&str, &str, &str)] = &[
        (
            "const c={}; if (process.env.BASE_PATH) { c.basePath = process.env.BASE_PATH } module.exports=c",
            "basePath",
            "c.basePath = process.env.BASE_PATH",
        ),
        (
            "const c = {};\nif (process.env.STATIC) c.output='export';\nmodule.exports = c",
            "output",
            "c.output='export'",
        ),
        (
            "const c = { output: 'standalone' };\nif (x)\n  c.output = 'export'\nmodule.exports = c",
            "output",
            "c.output = 'export'",
        ),
        (
            "const c = {};\nif (x) {} else c.basePath = '/b';\nexport default c",
            "basePath",
            "c.basePath = '/b'",
        ),
        (
            "const c = {};\nX && (c.basePath='/x');\nexport default c",
            "basePath",
            "c.basePath='/x'",
        ),
        (
            "const c = {};\nX || (c.basePath = '/x');\nexport default c",
            "basePath",
            "c.basePath = '/x'",
        ),
        (
            "const c = {};\nX ? c.basePath = '/x' : null;\nexport default c",
            "basePath",
            "c.basePath = '/x'",
        ),
        (
            "const c = {};\nX ? null : c.basePath = '/x';\nexport default c",
            "basePath",
            "c.basePath = '/x'",
        ),
        (
            "const c = {};\n[1].forEach(() => c.basePath = '/x');\nexport default c",
            "basePath",
            "c.basePath = '/x'",
        ),
        (
            "module.exports = {};\nif (x) { module.exports.basePath = '/x' }",
            "basePath",
            "module.exports.basePath = '/x'",
        ),
        (
            "let c = { basePath: '/a' };\nif (x) { c = { basePath: '/b' } }\nexport default c",
            "basePath",
            "c = { basePath: '/b' }",
        ),
        (
            "if (X) module.exports = {basePath:'/b'}",
            "basePath",
            "module.exports = {basePath:'/b'}",
        ),
        (
            "module.exports = { basePath: '/a' };\nif (X) { module.exports = { basePath: '/b' } }",
            "basePath",
            "module.exports = { basePath: '/b' }",
        ),
        (
            "const c = {};\nif (x) { c[key] = '/x' }\nexport default c",
            "basePath",
            "c[key] = '/x'",
        ),
    ];
    for (source, key, expected) in cases {
        assert_eq!(
            config(source).path(&[key]),
            Found::Unknown(expected.to_string()),
            "{source}"
        );
    }
    // Other keys keep their literal values where only one is touched.
    let value = config(
        "const c = { basePath: '/docs' };\nif (x) { c.images = { unoptimized: true } }\nexport default c",
    );
    assert_eq!(
        value.path(&["basePath"]),
        Found::Value(&Value::Str("/docs".into()))
    );
    assert!(matches!(
        value.path(&["images", "unoptimized"]),
        Found::Unknown(_)
    ));
    // A plain statement after a conditional one still runs.
    let value = config(
        "const c = {};\nif (x) { c.basePath = '/x' }\nc.basePath = '/docs';\nexport default c",
    );
    assert_eq!(
        value.path(&["basePath"]),
        Found::Value(&Value::Str("/docs".into()))
    );
    // A parameter of the same name is another object.
    for source in [
        "const config = { basePath: '/docs', webpack(config) { config.basePath = '/x'; return config } };\nexport default config",
        "const config = { basePath: '/docs', webpack: (config, { dev }) => { config.basePath = '/x'; return config } };\nexport default config",
        "const config = { basePath: '/docs' };\n[1].forEach(config => config.basePath = '/x');\nexport default config",
        "const config = { basePath: '/docs' };\nfunction f(config) { if (x) { config.basePath = '/x' } }\nf({});\nexport default config",
    ] {
        assert_eq!(
            config(source).path(&["basePath"]),
            Found::Value(&Value::Str("/docs".into())),
            "{source}"
        );
    }
    let value = config(
        "const config = {};\nif (config.x) { config.basePath = '/x' }\nexport default config",
    );
    assert_eq!(
        value.path(&["basePath"]),
        Found::Absent,
        "a condition the file decides: `config.x` is undefined"
    );
    let value = config(
        "const config = {};\nif (process.env.X) { config.basePath = '/x' }\nexport default config",
    );
    assert!(
        matches!(value.path(&["basePath"]), Found::Unknown(_)),
        "a condition is no parameter"
    );
    // After a call's `)` on a new line, a statement runs; after a
    // condition's, it may not.
    let value = config("const c = {};\nsetup()\nc.basePath = '/docs'\nexport default c");
    assert_eq!(
        value.path(&["basePath"]),
        Found::Value(&Value::Str("/docs".into()))
    );
    let value = config("const c = {};\nwhile (f(x))\n  c.basePath = '/x'\nexport default c");
    assert!(matches!(value.path(&["basePath"]), Found::Unknown(_)));
    let value = config("if (f(x))\n  module.exports = { basePath: '/x' }");
    assert_eq!(
        value.path(&["basePath"]),
        Found::Unknown("module.exports = { basePath: '/x' }".into())
    );
    // A conditional export before the last, unconditional one.
    let value = config(
        "if (x) module.exports = { basePath: '/x' };\nmodule.exports = { basePath: '/docs' };",
    );
    assert_eq!(
        value.path(&["basePath"]),
        Found::Value(&Value::Str("/docs".into()))
    );
}

#[test]
fn statements_that_surely_run_are_evaluated() {
    // What the build runs for certain sets the value it computes.
    let cases: &[(&str, &str)] = &[
        (
            "const c = {};\n(() => { c.basePath = '/x' })();\nexport default c",
            "/x",
        ),
        (
            "const c = { basePath: '/a' };\nc.basePath += '/b';\nexport default c",
            "/a/b",
        ),
        (
            "const c = {};\nfunction f() { c.basePath = '/x' }\nf();\nexport default c",
            "/x",
        ),
        (
            "let c = { basePath: '/a' }; c = { basePath: '/b' }; export default c",
            "/b",
        ),
        ("module.exports = { basePath: `/a`.trim() }", "/a"),
        (
            "const repo = 'docs';\nmodule.exports = { basePath: `/${repo}` }",
            "/docs",
        ),
        (
            "const isProd = process.env.NODE_ENV === 'production';\nmodule.exports = { basePath: isProd ? '/docs' : '' }",
            "/docs",
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(
            str_at(&config(source), &["basePath"]).as_deref(),
            Some(*expected),
            "{source}"
        );
    }
}

#[test]
fn deep_nesting_is_unknown_not_a_crash() {
    // The innermost literal reached, and how many arrays lead to it.
    fn innermost(mut value: &Value) -> (usize, &Value) {
        let mut levels = 0;
        while let Value::Array(items) = value {
            value = &items[0];
            levels += 1;
        }
        (levels, value)
    }
    let deep = format!(
        "module.exports = {{ a: {}1{} }}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let value = config(&deep);
    let Found::Value(a) = value.path(&["a"]) else {
        panic!("{value:?}")
    };
    let (levels, leaf) = innermost(a);
    assert_eq!(levels, super::super::tree::MAX_NESTING - 1);
    assert!(matches!(leaf, Value::Unknown(_)), "{leaf:?}");
    let fine = format!(
        "module.exports = {{ a: {}1{} }}",
        "[".repeat(60),
        "]".repeat(60)
    );
    let value = config(&fine);
    let Found::Value(a) = value.path(&["a"]) else {
        panic!("{value:?}")
    };
    assert_eq!(innermost(a), (60, &Value::Num(1.0)));
}

#[test]
fn names_that_refer_to_themselves_end() {
    let value = config("const a = b;\nconst b = a;\nexport default a;");
    assert!(matches!(value, Value::Unknown(_)), "{value:?}");
    let value = config("const a = { x: a };\nexport default a;");
    assert_eq!(
        value.path(&["x"; 40]),
        Found::Unknown("a".into()),
        "followed a bounded number of times"
    );
}
