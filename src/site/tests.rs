use super::*;

fn file(path: &str, text: &str) -> SiteFile {
    SiteFile {
        path: path.to_string(),
        text: text.to_string(),
        unread: None,
    }
}

fn site(dir: &str, files: &[(&str, &str)]) -> Site {
    let files: Vec<SiteFile> = files.iter().map(|(p, t)| file(p, t)).collect();
    detect(dir, &files)
}

fn known<T: Clone>(value: T) -> Setting<T> {
    Setting::Known(value)
}

#[test]
fn config_files_lists_only_what_exists_first_of_each_family() {
    let tree = [
        "apps/web/next.config.mjs",
        "apps/web/next.config.ts",
        "apps/web/package.json",
        "apps/web/vercel.json",
        "apps/docs/astro.config.mjs",
        "next.config.js",
    ];
    let exists = |path: &str| tree.contains(&path);
    assert_eq!(
        config_files("apps/web", exists),
        [
            "apps/web/next.config.mjs",
            "apps/web/vercel.json",
            "apps/web/package.json"
        ]
    );
    assert_eq!(config_files("", exists), ["next.config.js"]);
    assert_eq!(
        config_files("apps/docs", exists),
        ["apps/docs/astro.config.mjs"]
    );
    assert!(config_files("apps/none", exists).is_empty());
    let every = |_: &str| true;
    assert_eq!(
        config_files("", every),
        [
            "next.config.js",
            "nuxt.config.ts",
            "svelte.config.js",
            "astro.config.mjs",
            "gatsby-config.js",
            "vite.config.js",
            "vercel.json",
            "package.json"
        ]
    );
}

#[test]
fn next_js_base_path_in_every_config_shape() {
    let cases: &[(&str, &str)] = &[
        (
            "next.config.mjs",
            "/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  basePath: '/docs',\n};\n\nexport default nextConfig;\n",
        ),
        (
            "next.config.ts",
            "import type { NextConfig } from \"next\";\n\nconst nextConfig: NextConfig = {\n  /* config options here */\n  basePath: \"/docs\",\n};\n\nexport default nextConfig;\n",
        ),
        (
            "next.config.ts",
            "import type { NextConfig } from 'next'\n\nexport default {\n  basePath: '/docs',\n} satisfies NextConfig\n",
        ),
        (
            "next.config.js",
            "// @ts-check\nmodule.exports = {\n  reactStrictMode: true,\n  basePath: '/docs/',\n}\n",
        ),
        (
            "next.config.cjs",
            "const withBundleAnalyzer = require('@next/bundle-analyzer')({ enabled: process.env.ANALYZE === 'true' })\nmodule.exports = withBundleAnalyzer({ basePath: '/docs' })\n",
        ),
    ];
    for (name, text) in cases {
        let site = site("", &[(name, text)]);
        assert_eq!(site.framework, Framework::NextJs, "{name}: {text}");
        assert_eq!(site.base_path, known("/docs".to_string()), "{name}: {text}");
        assert_eq!(site.url_prefix(), Ok("/docs/".to_string()));
        assert_eq!(site.public_dir_in_repo(), Ok("public".to_string()));
        assert_eq!(site.config_file.as_deref(), Some(*name));
        assert!(site.warnings.is_empty(), "{:?}", site.warnings);
    }
}

#[test]
fn next_js_look_alikes_are_not_read() {
    let cases: &[&str] = &[
        "module.exports = {\n  // basePath: '/docs',\n  reactStrictMode: true,\n}",
        "module.exports = {\n  /*\n  basePath: '/docs',\n  */\n}",
        "module.exports = { env: { NOTE: \"basePath: '/docs'\" } }",
        "module.exports = { env: { NOTE: `basePath: '/docs'` } }",
        "const re = /basePath: '\\/docs'/;\nmodule.exports = { webpack: (c) => { c.module.rules.push({ test: re }); return c } }",
        "module.exports = { async redirects() { return [{ source: '/old', destination: '/docs', basePath: false }] } }",
    ];
    for text in cases {
        let site = site("", &[("next.config.js", text)]);
        assert_eq!(site.base_path, Setting::Absent, "{text}");
        assert_eq!(site.url_prefix(), Ok("/".to_string()), "{text}");
    }
}

#[test]
fn next_js_computed_base_path_is_unknown_and_names_the_input() {
    let site = site(
        "apps/web",
        &[(
            "apps/web/next.config.mjs",
            "const nextConfig = { basePath: process.env.BASE_PATH };\nexport default nextConfig;",
        )],
    );
    let unknown = site.base_path.unknown().expect("unknown");
    assert_eq!(unknown.input, Some("url-prefix"));
    assert_eq!(
        unknown.to_string(),
        "`basePath` in apps/web/next.config.mjs is computed when the site is built (`process.env.BASE_PATH`); set the input `url-prefix`"
    );
    assert_eq!(site.url_prefix(), Err(unknown));
    assert_eq!(site.warnings, [unknown.to_string()]);
    assert_eq!(
        site.describe(),
        "Next.js in apps/web: public dir apps/web/public, basePath unknown, computed when the site is built (`process.env.BASE_PATH`) (from apps/web/next.config.mjs)"
    );
    let wrong_type = self::site(
        "",
        &[("next.config.js", "module.exports = { basePath: 42 }")],
    );
    assert_eq!(
        wrong_type.base_path.unknown().map(|u| u.why.as_str()),
        Some("not a string (`42`)")
    );
}

#[test]
fn next_js_images_settings() {
    let site = site(
        "",
        &[(
            "next.config.ts",
            "import type { NextConfig } from 'next'
const config: NextConfig = {
  trailingSlash: true,
  images: {
    deviceSizes: [640, 750, 828, 1080],
    imageSizes: [16, 32, 48],
    qualities: [50, 75, 90],
    formats: ['image/avif', 'image/webp'],
    localPatterns: [{ pathname: '/assets/images/**', search: '' }, { pathname: '/static/**' }],
    remotePatterns: [new URL('https://example.com/**')],
  },
}
export default config",
        )],
    );
    assert_eq!(site.trailing_slash, known(true));
    let images = &site.next_images;
    assert_eq!(images.device_sizes, known(vec![640, 750, 828, 1080]));
    assert_eq!(images.image_sizes, known(vec![16, 32, 48]));
    assert_eq!(images.qualities, known(vec![50, 75, 90]));
    assert_eq!(
        images.formats,
        known(vec!["image/avif".to_string(), "image/webp".to_string()])
    );
    assert_eq!(
        images.local_patterns,
        known(vec![
            LocalPattern {
                pathname: Some("/assets/images/**".into()),
                search: Some(String::new())
            },
            LocalPattern {
                pathname: Some("/static/**".into()),
                search: None
            },
        ])
    );
    assert_eq!(images.unoptimized, Setting::Absent);
    assert!(site.optimizer_unused.is_empty());
    assert!(site.warnings.is_empty(), "{:?}", site.warnings);
    let bad = self::site(
        "",
        &[(
            "next.config.js",
            "module.exports = { images: { deviceSizes: [640, 'x'], qualities: sizes } }",
        )],
    );
    assert_eq!(
        bad.next_images
            .device_sizes
            .unknown()
            .map(|u| u.why.as_str()),
        Some("not a list of whole numbers (`an array`)")
    );
    assert_eq!(
        bad.next_images.qualities.unknown().map(|u| u.why.as_str()),
        Some("computed when the site is built (`sizes`)")
    );
}

#[test]
fn next_js_without_vercels_optimizer_warns_that_invalidation_has_no_effect() {
    let cases: &[(&str, &str)] = &[
        (
            "module.exports = { images: { unoptimized: true } }",
            "`images.unoptimized: true` in next.config.js",
        ),
        (
            "module.exports = { output: 'export' }",
            "`output: 'export'` in next.config.js",
        ),
        (
            "module.exports = { images: { loader: 'cloudinary', path: 'https://res.cloudinary.com/x/' } }",
            "`images.loader: 'cloudinary'` in next.config.js",
        ),
        (
            "module.exports = { images: { loader: 'custom', loaderFile: './loader.js' } }",
            "`images.loader: 'custom'` in next.config.js, `images.loaderFile` in next.config.js",
        ),
    ];
    for (text, reason) in cases {
        let site = site("", &[("next.config.js", text)]);
        assert_eq!(site.optimizer_unused.join(", "), *reason, "{text}");
        assert_eq!(site.warnings.len(), 1, "{text}: {:?}", site.warnings);
        assert!(
            site.warnings[0].contains("invalidating them has no effect"),
            "{:?}",
            site.warnings
        );
    }
    for text in [
        "module.exports = { images: { unoptimized: false } }",
        "module.exports = { output: 'standalone', images: { loader: 'default' } }",
    ] {
        let site = site("", &[("next.config.js", text)]);
        assert!(site.optimizer_unused.is_empty(), "{text}");
        assert!(site.warnings.is_empty(), "{text}");
    }
    let computed = site(
        "",
        &[(
            "next.config.js",
            "module.exports = { images: { unoptimized: process.env.CI === 'true' } }",
        )],
    );
    assert!(computed.optimizer_unused.is_empty());
    assert_eq!(
        computed.warnings,
        [
            "`images.unoptimized` in next.config.js is computed when the site is built (`process.env.CI === 'true'`): whether Vercel's Image Optimization serves this site's images is not known"
        ]
    );
}

#[test]
fn next_js_without_a_config_file_is_recognised_from_package_json() {
    let site = site(
        "",
        &[(
            "package.json",
            r#"{"dependencies": {"next": "15.1.0", "react": "19.0.0"}}"#,
        )],
    );
    assert_eq!(site.framework, Framework::NextJs);
    assert!(site.recognised());
    assert_eq!(site.config_file, None);
    assert_eq!(site.url_prefix(), Ok("/".to_string()));
    assert_eq!(
        site.describe(),
        "Next.js in the repository root: public dir public, no basePath"
    );
}

#[test]
fn astro_base_and_public_dir() {
    let site = site(
        "",
        &[(
            "astro.config.mjs",
            "// @ts-check\nimport { defineConfig } from 'astro/config';\nimport vercel from '@astrojs/vercel';\n\nexport default defineConfig({\n  site: 'https://example.com',\n  base: '/docs',\n  adapter: vercel({ imageService: true }),\n});\n",
        )],
    );
    assert_eq!(site.framework, Framework::Astro);
    assert_eq!(site.base_path, known("/docs".to_string()));
    assert_eq!(site.public_dir, known("public".to_string()));
    assert_eq!(
        site.describe(),
        "Astro in the repository root: public dir public, base /docs (from astro.config.mjs)"
    );
    let moved = self::site(
        "site",
        &[(
            "site/astro.config.ts",
            "export default defineConfig({ publicDir: './assets/', base: 'blog' })",
        )],
    );
    assert_eq!(moved.public_dir_in_repo(), Ok("site/assets".to_string()));
    assert_eq!(moved.url_prefix(), Ok("/blog/".to_string()));
    let outside = self::site(
        "",
        &[(
            "astro.config.mjs",
            "export default defineConfig({ publicDir: '../shared' })",
        )],
    );
    let unknown = outside.public_dir_in_repo().expect_err("unusable");
    assert_eq!(unknown.input, Some("public-dir"));
    assert!(
        unknown.why.contains("a folder inside the site dir"),
        "{unknown}"
    );
}

#[test]
fn sveltekit_static_and_paths_base() {
    let site = site(
        "",
        &[
            (
                "svelte.config.js",
                "import adapter from '@sveltejs/adapter-vercel';\nimport { vitePreprocess } from '@sveltejs/vite-plugin-svelte';\n\n/** @type {import('@sveltejs/kit').Config} */\nconst config = {\n  preprocess: vitePreprocess(),\n  kit: {\n    adapter: adapter(),\n    paths: { base: '/app' },\n  },\n};\n\nexport default config;\n",
            ),
            (
                "package.json",
                r#"{"devDependencies": {"@sveltejs/kit": "^2.0.0", "svelte": "^5.0.0"}}"#,
            ),
        ],
    );
    assert_eq!(site.framework, Framework::SvelteKit);
    assert_eq!(site.public_dir_in_repo(), Ok("static".to_string()));
    assert_eq!(site.url_prefix(), Ok("/app/".to_string()));
    assert_eq!(
        site.describe(),
        "SvelteKit in the repository root: public dir static, kit.paths.base /app (from svelte.config.js)"
    );
    let computed = self::site(
        "",
        &[(
            "svelte.config.js",
            "export default { kit: { paths: { base: process.argv.includes('dev') ? '' : process.env.BASE_PATH }, files: { assets: 'assets' } } }",
        )],
    );
    assert_eq!(computed.framework, Framework::SvelteKit, "the `kit` key");
    assert_eq!(computed.public_dir_in_repo(), Ok("assets".to_string()));
    assert_eq!(
        computed.base_path.unknown().map(|u| u.input),
        Some(Some("url-prefix"))
    );
    let plain_svelte = self::site(
        "",
        &[
            (
                "svelte.config.js",
                "export default { preprocess: vitePreprocess() }",
            ),
            (
                "package.json",
                r#"{"devDependencies": {"svelte": "^5.0.0", "vite": "^6"}}"#,
            ),
        ],
    );
    assert_eq!(
        plain_svelte.framework,
        Framework::Vite,
        "Svelte without Kit: a Vite app"
    );
    assert_eq!(plain_svelte.public_dir_in_repo(), Ok("public".to_string()));
}

#[test]
fn nuxt_3_and_nuxt_2() {
    let nuxt3 = site(
        "",
        &[
            (
                "nuxt.config.ts",
                "// https://nuxt.com/docs/api/configuration/nuxt-config\nexport default defineNuxtConfig({\n  compatibilityDate: '2024-11-01',\n  devtools: { enabled: true },\n  app: { baseURL: '/shop/' },\n})\n",
            ),
            ("package.json", r#"{"dependencies": {"nuxt": "^3.14.0"}}"#),
        ],
    );
    assert_eq!(nuxt3.framework, Framework::Nuxt3);
    assert_eq!(nuxt3.public_dir_in_repo(), Ok("public".to_string()));
    assert_eq!(nuxt3.url_prefix(), Ok("/shop/".to_string()));
    assert!(nuxt3.warnings.is_empty(), "{:?}", nuxt3.warnings);
    assert_eq!(
        nuxt3.describe(),
        "Nuxt 3 in the repository root: public dir public, app.baseURL /shop (from nuxt.config.ts)"
    );
    let nuxt4 = site(
        "",
        &[
            ("nuxt.config.ts", "export default defineNuxtConfig({})"),
            ("package.json", r#"{"dependencies": {"nuxt": "^4.0.0"}}"#),
        ],
    );
    assert_eq!(
        nuxt4.framework,
        Framework::Nuxt3,
        "Nuxt 4 serves public/ too"
    );
    let nuxt2 = site(
        "",
        &[
            (
                "nuxt.config.js",
                "export default {\n  target: 'static',\n  head: { title: 'shop' },\n  router: { base: '/shop/' },\n  buildModules: ['@nuxt/typescript-build'],\n}\n",
            ),
            ("package.json", r#"{"dependencies": {"nuxt": "^2.17.3"}}"#),
        ],
    );
    assert_eq!(nuxt2.framework, Framework::Nuxt2);
    assert_eq!(nuxt2.public_dir_in_repo(), Ok("static".to_string()));
    assert_eq!(nuxt2.url_prefix(), Ok("/shop/".to_string()));
    let bridge = site(
        "",
        &[
            (
                "nuxt.config.ts",
                "import { defineNuxtConfig } from '@nuxt/bridge'\nexport default defineNuxtConfig({ app: { baseURL: '/b/' } })",
            ),
            (
                "package.json",
                r#"{"dependencies": {"nuxt": "^2.17.0"}, "devDependencies": {"@nuxt/bridge": "^3.0.0"}}"#,
            ),
        ],
    );
    assert_eq!(bridge.framework, Framework::Nuxt2);
    assert_eq!(bridge.url_prefix(), Ok("/b/".to_string()));
    let unversioned = site(
        "",
        &[(
            "nuxt.config.js",
            "module.exports = { target: 'static', router: { base: '/x/' } }",
        )],
    );
    assert_eq!(unversioned.framework, Framework::Nuxt2, "told by its keys");
    assert_eq!(unversioned.warnings.len(), 1, "{:?}", unversioned.warnings);
}

#[test]
fn vercel_json_images_for_any_framework() {
    let site = site(
        "apps/web",
        &[
            (
                "apps/web/vercel.json",
                r#"{"images": {"sizes": [256, 640, 1080], "qualities": [75], "formats": ["image/webp"], "localPatterns": [{"pathname": "^/assets/.*$", "search": ""}], "minimumCacheTTL": 60}}"#,
            ),
            (
                "apps/web/package.json",
                r#"{"dependencies": {"astro": "^5"}}"#,
            ),
        ],
    );
    assert_eq!(site.framework, Framework::Astro);
    assert_eq!(site.vercel_images.sizes, known(vec![256, 640, 1080]));
    assert_eq!(site.vercel_images.qualities, known(vec![75]));
    assert_eq!(
        site.vercel_images.formats,
        known(vec!["image/webp".to_string()])
    );
    assert_eq!(
        site.vercel_images.local_patterns,
        known(vec![LocalPattern {
            pathname: Some("^/assets/.*$".into()),
            search: Some(String::new())
        }])
    );
    let none = self::site("", &[("vercel.json", r#"{"cleanUrls": true}"#)]);
    assert_eq!(none.framework, Framework::None);
    assert_eq!(none.vercel_images, VercelImages::default());
    let broken = self::site("", &[("vercel.json", "{ images: ")]);
    assert_eq!(broken.warnings.len(), 1);
    assert!(broken.warnings[0].starts_with("vercel.json is not valid JSON"));
}

#[test]
fn nothing_recognised_is_public_at_the_root() {
    for files in [
        &[][..],
        &[("package.json", r#"{"dependencies": {"react": "^19"}}"#)][..],
        &[("package.json", "not json")][..],
    ] {
        let site = site("", files);
        assert_eq!(site.framework, Framework::None);
        assert!(!site.recognised());
        assert_eq!(site.public_dir_in_repo(), Ok("public".to_string()));
        assert_eq!(site.url_prefix(), Ok("/".to_string()));
        assert_eq!(
            site.describe(),
            "no framework recognised in the repository root: public dir public, url prefix /"
        );
    }
}

#[test]
fn an_unreadable_config_makes_every_setting_unknown() {
    let site = site(
        "",
        &[("next.config.js", "module.exports = { basePath: '/docs }")],
    );
    assert_eq!(site.framework, Framework::NextJs, "still told by its name");
    let unknown = site.base_path.unknown().expect("unknown");
    assert!(unknown.why.contains("unterminated string"), "{unknown}");
    assert!(
        site.warnings[0].contains("could not be read"),
        "{:?}",
        site.warnings
    );
    let no_export = self::site(
        "",
        &[("next.config.js", "const config = { basePath: '/docs' }")],
    );
    assert!(
        no_export
            .base_path
            .unknown()
            .is_some_and(|u| u.why.contains("no `export default`"))
    );
}

#[test]
fn a_computed_config_warns_once() {
    let site = site(
        "",
        &[(
            "next.config.js",
            "module.exports = (phase, { defaultConfig }) => {\n  return require('./config/' + process.env.SITE)\n}",
        )],
    );
    assert_eq!(
        site.warnings,
        [
            "the config exported by next.config.js is computed when the site is built (`require('./config/' + process.env.SITE)`), so none of its settings is known; set the inputs `public-dir` and `url-prefix`"
        ]
    );
    assert_eq!(
        site.base_path.unknown().map(|u| u.input),
        Some(Some("url-prefix"))
    );
    assert!(site.next_images.unoptimized.unknown().is_some());
    let number = self::site("", &[("astro.config.mjs", "export default 42")]);
    assert_eq!(number.warnings.len(), 1, "{:?}", number.warnings);
    assert!(
        number.warnings[0].contains("is 42, not an object"),
        "{:?}",
        number.warnings
    );
    assert!(number.base_path.unknown().is_some());
}

#[test]
fn an_export_that_is_not_an_object_leaves_every_setting_unknown() {
    let cases: &[(&str, &str)] = &[
        ("next.config.js", "module.exports = undefined"),
        ("next.config.js", "module.exports = null"),
        ("next.config.mjs", "export default undefined"),
        ("astro.config.mjs", "export default 42"),
        (
            "next.config.js",
            "module.exports = (phase) => { if (phase === 'phase-export') return {} }",
        ),
        (
            "next.config.js",
            "const { PHASE_DEVELOPMENT_SERVER } = require('next/constants')\nmodule.exports = (phase) => {\n  switch (phase) {\n    case PHASE_DEVELOPMENT_SERVER:\n      return {}\n    default:\n      return { basePath: '/docs' }\n  }\n}",
        ),
        (
            "next.config.js",
            "module.exports = (phase) => {\n  switch (phase) {\n    case 'phase-production-build':\n      return { basePath: '/docs' }\n  }\n  return {}\n}",
        ),
    ];
    for (name, text) in cases {
        let site = site("", &[(name, text)]);
        assert_eq!(
            site.base_path.unknown().map(|u| u.input),
            Some(Some("url-prefix")),
            "{text}: {:?}",
            site.base_path
        );
        // Next's public dir is not a setting.
        if name.starts_with("astro") {
            assert!(
                site.public_dir.unknown().is_some(),
                "{text}: {:?}",
                site.public_dir
            );
        }
        assert_eq!(site.warnings.len(), 1, "{text}: {:?}", site.warnings);
    }
}

#[test]
fn several_frameworks_warn_and_the_config_file_wins() {
    let site = site(
        "",
        &[
            (
                "astro.config.mjs",
                "export default defineConfig({ base: '/a' })",
            ),
            (
                "package.json",
                r#"{"dependencies": {"next": "15", "astro": "5"}}"#,
            ),
        ],
    );
    assert_eq!(site.framework, Framework::Astro);
    assert_eq!(
        site.warnings,
        ["Next.js, Astro all look like the framework of the repository root; using Astro"]
    );
    let two_files = self::site(
        "web",
        &[
            (
                "web/astro.config.mjs",
                "export default defineConfig({ base: '/a' })",
            ),
            ("web/next.config.js", "module.exports = { basePath: '/n' }"),
        ],
    );
    assert_eq!(two_files.framework, Framework::NextJs);
    assert_eq!(two_files.url_prefix(), Ok("/n/".to_string()));
    assert_eq!(
        two_files.warnings,
        ["Next.js, Astro all look like the framework of web; using Next.js"]
    );
}

#[test]
fn wrappers_are_named_in_the_description() {
    let site = site(
        "apps/web",
        &[(
            "apps/web/next.config.mjs",
            "import createNextIntlPlugin from 'next-intl/plugin';\nconst withNextIntl = createNextIntlPlugin();\nconst nextConfig = { basePath: '/docs' };\nexport default withNextIntl(nextConfig);",
        )],
    );
    assert_eq!(site.wrappers, ["withNextIntl"]);
    assert_eq!(
        site.describe(),
        "Next.js in apps/web: public dir apps/web/public, basePath /docs (from apps/web/next.config.mjs, through withNextIntl)"
    );
}

#[test]
fn explicit_inputs_that_disagree_with_the_config_warn() {
    let site = site(
        "apps/web",
        &[(
            "apps/web/next.config.js",
            "module.exports = { basePath: '/docs' }",
        )],
    );
    assert_eq!(site.url_prefix_disagreement("/docs/"), None);
    assert_eq!(site.url_prefix_disagreement("/docs"), None);
    assert_eq!(
        site.url_prefix_disagreement("https://cdn.example.com/"),
        None
    );
    assert_eq!(
        site.url_prefix_disagreement("/").as_deref(),
        Some(
            "url-prefix `/` disagrees with basePath `/docs` in apps/web/next.config.js, which serves images under `/docs/`; using `/` as set"
        )
    );
    assert_eq!(
        site.public_dir_disagreement(&["apps/web/public".into()]),
        None
    );
    assert_eq!(
        site.public_dir_disagreement(&["public".into()]).as_deref(),
        Some(
            "public-dir `public` does not include `apps/web/public`, which Next.js serves at the site root; using `public` as set"
        )
    );
    let none = self::site("", &[]);
    assert_eq!(none.url_prefix_disagreement("/docs/"), None);
    assert_eq!(none.public_dir_disagreement(&["static".into()]), None);
}

#[test]
fn base_paths_normalise() {
    let cases: &[(&str, Setting<String>)] = &[
        ("'/docs'", known("/docs".into())),
        ("'/docs/'", known("/docs".into())),
        ("'docs'", known("/docs".into())),
        ("'/a/b'", known("/a/b".into())),
        ("'/'", known(String::new())),
        ("''", known(String::new())),
    ];
    for (literal, expected) in cases {
        let text = format!("export default defineConfig({{ base: {literal} }})");
        let site = site("", &[("astro.config.mjs", &text)]);
        assert_eq!(&site.base_path, expected, "{literal}");
        let prefix = site.url_prefix().expect("known");
        assert!(prefix.starts_with('/') && prefix.ends_with('/'), "{prefix}");
        assert!(!prefix.contains("//"), "{prefix}");
    }
    let site = site(
        "",
        &[(
            "astro.config.mjs",
            "export default { base: 'https://x.com/' }",
        )],
    );
    assert!(site.base_path.unknown().is_some());
}

#[test]
fn spellings_of_names_percent_encoding_changes() {
    let cases: &[(&str, &[&str])] = &[
        ("/img/hero.png", &["/img/hero.png"]),
        ("/a-b_c.d~e(1)!.png", &["/a-b_c.d~e(1)!.png"]),
        ("/my photo.jpg", &["/my photo.jpg", "/my%20photo.jpg"]),
        (
            "/café/über.png",
            &["/café/über.png", "/caf%C3%A9/%C3%BCber.png"],
        ),
        ("/日本.png", &["/日本.png", "/%E6%97%A5%E6%9C%AC.png"]),
        ("/100%.png", &["/100%.png", "/100%25.png"]),
        ("/a%20b.png", &["/a%20b.png", "/a%2520b.png"]),
        ("/q?#.png", &["/q?#.png", "/q%3F%23.png"]),
        (
            "/docs/x [1].png",
            &["/docs/x [1].png", "/docs/x%20%5B1%5D.png"],
        ),
        (
            "https://assets.example.com/my%20photo.jpg",
            &["https://assets.example.com/my%20photo.jpg"],
        ),
    ];
    for (path, expected) in cases {
        assert_eq!(spellings(path), *expected, "{path}");
    }
}

#[test]
fn placement_of_changed_paths() {
    let public = vec!["apps/web/public".to_string()];
    let cases: &[(&str, bool, Placement)] = &[
        (
            "apps/web/public/img/a.png",
            true,
            Placement::Served {
                public_dir: "apps/web/public".into(),
                rest: "img/a.png",
            },
        ),
        ("apps/web/src/assets/a.png", true, Placement::Imported),
        (
            "apps/web/src/assets/a.png",
            false,
            Placement::OutsidePublicDirs,
        ),
        (
            "apps/docs/public/a.png",
            true,
            Placement::OutsideSite {
                site_dir: "apps/web".into(),
            },
        ),
        (
            "apps/webby/a.png",
            true,
            Placement::OutsideSite {
                site_dir: "apps/web".into(),
            },
        ),
        ("apps/web/publicity/a.png", true, Placement::Imported),
    ];
    for (path, recognised, expected) in cases {
        assert_eq!(
            &place(path, "apps/web", &public, *recognised, None),
            expected,
            "{path}"
        );
    }
    assert_eq!(
        place("apps/docs/public/a.png", "apps/web", &public, true, None).reason(),
        Some("outside the site `apps/web`".to_string())
    );
    assert_eq!(
        place("apps/web/src/a.png", "apps/web", &public, true, None).reason(),
        Some(IMPORTED_REASON.to_string())
    );
    // The repository root: nothing is outside the site; nested public dirs
    // map by the longest; an explicit public dir outside the site serves.
    let nested = vec![
        "public".to_string(),
        "public/cdn".to_string(),
        "shared".to_string(),
    ];
    assert_eq!(
        place("public/cdn/a.png", "", &nested, true, None),
        Placement::Served {
            public_dir: "public/cdn".into(),
            rest: "a.png"
        }
    );
    assert_eq!(
        place("src/a.png", "", &nested, true, None),
        Placement::Imported
    );
    assert_eq!(
        place("shared/a.png", "web", &nested, true, None),
        Placement::Served {
            public_dir: "shared".into(),
            rest: "a.png"
        }
    );
}

#[test]
fn an_explicit_public_dir_leaving_out_the_frameworks_own_is_no_import() {
    // An image in the framework's public dir is served as is, so
    // misplaced, not imported; elsewhere in the site it is still imported.
    let explicit = vec!["public".to_string()];
    let own = Some("apps/web/public");
    assert_eq!(
        place("apps/web/public/a.png", "apps/web", &explicit, true, own),
        Placement::OutsidePublicDirs
    );
    assert_eq!(
        place("apps/web/src/a.png", "apps/web", &explicit, true, own),
        Placement::Imported
    );
    assert_eq!(
        place("apps/web/publicity/a.png", "apps/web", &explicit, true, own),
        Placement::Imported
    );
}

#[test]
fn a_root_public_dir_serves_everything() {
    assert_eq!(
        place("a.png", "", &[String::new()], false, None),
        Placement::Served {
            public_dir: String::new(),
            rest: "a.png"
        }
    );
}

#[test]
fn site_dir_input_normalises_and_refuses_paths_outside() {
    let cases: &[(&str, &str)] = &[
        ("", ""),
        (".", ""),
        ("./", ""),
        ("apps/web", "apps/web"),
        ("./apps/web/", "apps/web"),
        ("apps\\web", "apps/web"),
        (" apps/web ", "apps/web"),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_site_dir(input).as_deref(), Ok(*expected), "{input}");
    }
    for bad in ["../web", "/abs", "apps/../web", "apps//web", "apps/./web"] {
        let error = parse_site_dir(bad).expect_err(bad);
        assert!(error.problem.contains(bad), "{error}");
        assert!(error.help.contains("apps/web"), "{error}");
    }
}

#[test]
fn gatsby_serves_static_under_path_prefix_when_the_build_applies_it() {
    let config = "module.exports = {\n  siteMetadata: { title: 'Blog' },\n  pathPrefix: '/blog',\n  plugins: ['gatsby-plugin-image'],\n}\n";
    let prefixed = r#"{"dependencies": {"gatsby": "^5.13.0"}, "scripts": {"build": "gatsby build --prefix-paths"}}"#;
    let gatsby = site(
        "",
        &[("gatsby-config.js", config), ("package.json", prefixed)],
    );
    assert_eq!(gatsby.framework, Framework::Gatsby);
    assert_eq!(gatsby.public_dir_in_repo(), Ok("static".to_string()));
    assert_eq!(gatsby.base_path, known("/blog".to_string()));
    assert_eq!(gatsby.url_prefix(), Ok("/blog/".to_string()));
    assert!(gatsby.warnings.is_empty(), "{:?}", gatsby.warnings);
    // Without `--prefix-paths` Gatsby ignores pathPrefix, unless the build
    // environment says otherwise: not known.
    let plain = r#"{"dependencies": {"gatsby": "^5.13.0"}, "scripts": {"build": "gatsby build"}}"#;
    let gatsby = site("", &[("gatsby-config.js", config), ("package.json", plain)]);
    let unknown = gatsby.url_prefix().expect_err("not known");
    assert_eq!(unknown.input, Some("url-prefix"));
    assert!(unknown.why.contains("--prefix-paths"), "{unknown}");
    // Recognised by the package alone, or by the config file alone.
    let by_package = site("", &[("package.json", plain)]);
    assert_eq!(by_package.framework, Framework::Gatsby);
    assert_eq!(by_package.public_dir_in_repo(), Ok("static".to_string()));
    assert_eq!(by_package.url_prefix(), Ok("/".to_string()));
    let by_file = site(
        "web",
        &[(
            "web/gatsby-config.ts",
            "export default { pathPrefix: process.env.PREFIX }",
        )],
    );
    assert_eq!(by_file.framework, Framework::Gatsby);
    assert_eq!(by_file.public_dir_in_repo(), Ok("web/static".to_string()));
    assert!(matches!(by_file.base_path, Setting::Unknown(_)));
}

#[test]
fn remix_serves_public_under_vites_base() {
    let package = r#"{"dependencies": {"@remix-run/node": "^2.15.0", "@remix-run/react": "^2.15.0", "react": "^18"}, "devDependencies": {"@remix-run/dev": "^2.15.0", "vite": "^5.4.0"}}"#;
    let remix = site(
        "",
        &[
            (
                "vite.config.ts",
                "import { vitePlugin as remix } from '@remix-run/dev';\nimport { defineConfig } from 'vite';\n\nexport default defineConfig({\n  base: '/shop/',\n  plugins: [remix()],\n});\n",
            ),
            ("package.json", package),
        ],
    );
    assert_eq!(remix.framework, Framework::Remix);
    assert_eq!(remix.public_dir_in_repo(), Ok("public".to_string()));
    assert_eq!(remix.url_prefix(), Ok("/shop/".to_string()));
    assert!(remix.warnings.is_empty(), "{:?}", remix.warnings);
    // Classic Remix, no Vite config.
    let classic = site(
        "",
        &[(
            "package.json",
            r#"{"dependencies": {"@remix-run/node": "^1.19.0"}}"#,
        )],
    );
    assert_eq!(classic.framework, Framework::Remix);
    assert_eq!(classic.public_dir_in_repo(), Ok("public".to_string()));
    assert_eq!(classic.url_prefix(), Ok("/".to_string()));
}

#[test]
fn vite_counts_only_where_no_other_framework_does() {
    let package = r#"{"devDependencies": {"vite": "^6.0.0", "@vitejs/plugin-react": "^4"}}"#;
    let vite = site(
        "",
        &[
            (
                "vite.config.js",
                "export default defineConfig({ base: '/app/' })",
            ),
            ("package.json", package),
        ],
    );
    assert_eq!(vite.framework, Framework::Vite);
    assert_eq!(vite.public_dir_in_repo(), Ok("public".to_string()));
    assert_eq!(vite.url_prefix(), Ok("/app/".to_string()));
    assert!(vite.warnings.is_empty(), "{:?}", vite.warnings);
    let relative = site(
        "",
        &[
            (
                "vite.config.js",
                "export default { base: './', publicDir: 'assets' }",
            ),
            ("package.json", package),
        ],
    );
    assert_eq!(relative.url_prefix(), Ok("/".to_string()));
    assert_eq!(relative.public_dir_in_repo(), Ok("assets".to_string()));
    let computed = site(
        "",
        &[
            (
                "vite.config.js",
                "export default { base: process.env.BASE }",
            ),
            ("package.json", package),
        ],
    );
    assert_eq!(
        computed.url_prefix().map_err(|u| u.input),
        Err(Some("url-prefix"))
    );
    // SvelteKit builds with Vite too: SvelteKit, without a warning about
    // several frameworks.
    let kit = site(
        "",
        &[
            ("svelte.config.js", "export default { kit: {} }"),
            (
                "vite.config.ts",
                "export default defineConfig({ base: '/wrong/' })",
            ),
            (
                "package.json",
                r#"{"devDependencies": {"@sveltejs/kit": "^2", "vite": "^6"}}"#,
            ),
        ],
    );
    assert_eq!(kit.framework, Framework::SvelteKit);
    assert_eq!(kit.url_prefix(), Ok("/".to_string()));
    assert!(kit.warnings.is_empty(), "{:?}", kit.warnings);
}

#[test]
fn nuxt_src_dir_moves_the_public_dir_by_version() {
    let nuxt = |version: &str, config: &str| {
        let package = format!(r#"{{"dependencies": {{"nuxt": "{version}"}}}}"#);
        site(
            "web",
            &[
                ("web/nuxt.config.ts", config),
                ("web/package.json", &package),
            ],
        )
        .public_dir_in_repo()
        .map_err(Unknown::clone)
    };
    let cases: &[(&str, &str, Result<&str, ()>)] = &[
        // Nuxt 3 serves `dir.public` under `srcDir`.
        (
            "^3.12.0",
            "export default defineNuxtConfig({ srcDir: 'src/' })",
            Ok("web/src/public"),
        ),
        (
            "^3.12.0",
            "export default defineNuxtConfig({ srcDir: 'src', dir: { public: 'assets' } })",
            Ok("web/src/assets"),
        ),
        (
            "^3.12.0",
            "export default defineNuxtConfig({ srcDir: 'src', future: { compatibilityVersion: 4 } })",
            Ok("web/public"),
        ),
        // Nuxt 4 from the root, whatever `srcDir` says.
        (
            "^4.0.0",
            "export default defineNuxtConfig({ srcDir: 'app/' })",
            Ok("web/public"),
        ),
        (
            "^4.1.0",
            "export default defineNuxtConfig({ srcDir: 'app', dir: { public: 'static' } })",
            Ok("web/static"),
        ),
        // Nuxt 2: `static/` under `srcDir`.
        (
            "^2.17.0",
            "export default { srcDir: 'client/' }",
            Ok("web/client/static"),
        ),
        (
            "^3.12.0",
            "export default defineNuxtConfig({ srcDir: process.env.SRC })",
            Err(()),
        ),
        (
            "^3.12.0",
            "import { resolve } from 'node:path';\nexport default defineNuxtConfig({ srcDir: 'src', dir: { public: resolve(__dirname, 'files') } })",
            Ok("web/files"),
        ),
    ];
    for (version, config, expected) in cases {
        let found = nuxt(version, config);
        match expected {
            Ok(dir) => assert_eq!(found, Ok(dir.to_string()), "{version} {config}"),
            Err(()) => assert!(found.is_err(), "{version} {config}: {found:?}"),
        }
    }
}

#[test]
fn vite_and_astro_serve_public_dir_under_root_and_svelte_kit_its_assets() {
    let vite = |config: &str| {
        site(
            "",
            &[
                ("vite.config.ts", config),
                ("package.json", r#"{"devDependencies": {"vite": "^6.0.0"}}"#),
            ],
        )
        .public_dir_in_repo()
        .map_err(Unknown::clone)
    };
    // `publicDir` is relative to `root`.
    assert_eq!(
        vite("export default defineConfig({ root: 'public' })"),
        Ok("public/public".to_string())
    );
    // A folder beside `root`, inside the site: resolved as Vite resolves it.
    assert_eq!(
        vite("export default defineConfig({ root: './src', publicDir: '../static' })"),
        Ok("static".to_string())
    );
    assert_eq!(
        vite("export default defineConfig({ root: 'web/src', publicDir: './../../assets/' })"),
        Ok("assets".to_string())
    );
    // One that leaves the site dir is unknown, and the run asks.
    let outside = vite("export default defineConfig({ root: 'src', publicDir: '../../shared' })")
        .expect_err("outside the site");
    assert_eq!(outside.input, Some("public-dir"));
    assert!(
        outside.why.contains("a folder inside the site dir"),
        "{outside}"
    );
    assert_eq!(
        vite(
            "import path from 'path';\nexport default defineConfig({ root: 'src', publicDir: path.resolve(__dirname, 'assets') })"
        ),
        Ok("assets".to_string())
    );
    assert_eq!(
        vite("export default defineConfig({ root: 'src', publicDir: 'files' })"),
        Ok("src/files".to_string())
    );
    let astro = |config: &str| {
        site("", &[("astro.config.mjs", config)])
            .public_dir_in_repo()
            .map_err(Unknown::clone)
    };
    assert_eq!(
        astro("export default defineConfig({ root: './site' })"),
        Ok("site/public".to_string())
    );
    assert_eq!(
        astro("export default defineConfig({ root: 'site', publicDir: './static' })"),
        Ok("site/static".to_string())
    );
    assert_eq!(
        astro(
            "import { fileURLToPath } from 'node:url';\nexport default defineConfig({ publicDir: fileURLToPath(new URL('./assets', import.meta.url)) })"
        ),
        Ok("assets".to_string())
    );
    let kit = site(
        "",
        &[
            (
                "svelte.config.js",
                "const config = { kit: { files: { assets: 'src/static' } } };\nexport default config;",
            ),
            (
                "package.json",
                r#"{"devDependencies": {"@sveltejs/kit": "^2.0.0"}}"#,
            ),
        ],
    );
    assert_eq!(
        kit.public_dir_in_repo().map_err(Unknown::clone),
        Ok("src/static".to_string())
    );
}

#[test]
fn optimizer_settings_unknown_only_by_a_condition_that_keeps_it_on_are_not_warned() {
    let quiet = site(
        "",
        &[(
            "next.config.js",
            "module.exports = {\n  ...(process.env.STANDALONE === 'true' && { output: 'standalone' }),\n  images: { unoptimized: process.env.CI ? false : undefined },\n};\n",
        )],
    );
    assert!(quiet.warnings.is_empty(), "{:?}", quiet.warnings);
    assert!(quiet.output.unknown().is_some(), "still not known");
    let doubtful = site(
        "",
        &[(
            "next.config.js",
            "module.exports = { ...(process.env.STATIC ? { output: 'export' } : {}) };\n",
        )],
    );
    assert_eq!(doubtful.warnings.len(), 1, "{:?}", doubtful.warnings);
    assert!(
        doubtful.warnings[0].contains("whether Vercel's Image Optimization serves"),
        "{:?}",
        doubtful.warnings
    );
}
