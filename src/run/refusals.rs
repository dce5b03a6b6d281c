//! The inputs a stage finds missing or wrong only once it runs, each with
//! what is wrong and how to fix it (exit 2): every such refusal of the run
//! is worded here, in one place.

use crate::config::{InputError, InputErrors};
use crate::report::short_sha;
use crate::site::Unknown;

fn one(input: &str, problem: impl Into<String>, help: impl Into<String>) -> InputErrors {
    InputErrors(vec![InputError::new(input, problem, help)])
}

/// `what` reads the GitHub API and there is no token.
pub(super) fn no_github_token(what: &str) -> InputErrors {
    one(
        "github-token",
        format!("{what} needs a GitHub token and none was given"),
        "pass `github-token: ${{ github.token }}`",
    )
}

/// `wait-for-deployment` with no commit to wait for.
pub(super) fn no_commit_to_wait_for() -> InputErrors {
    one(
        "head",
        "wait-for-deployment needs the commit whose deployment to wait for, and neither head nor GITHUB_SHA is set",
        "pass `head` (the commit sha), or run without wait-for-deployment",
    )
}

/// Sending with no Vercel token or project (the config requires both
/// outside a dry run).
pub(super) fn no_vercel_credentials() -> InputErrors {
    one(
        "vercel-token",
        "a Vercel token and a project are needed to send",
        "set vercel-token and project, or dry-run: true",
    )
}

/// Asking the live site through the API with no commit to read the site's
/// config at.
pub(super) fn no_commit_for_the_live_site() -> InputErrors {
    one(
        "head",
        "asking the live site (site-url) needs the site's config to know its image optimizer, and with diff-source api it is read at a commit: neither head nor GITHUB_SHA is set",
        "pass `head` (the commit the live site was deployed from), or use `diff-source: git` in a checkout of it",
    )
}

/// A `site-dir` that holds no files at `head`.
pub(super) fn not_a_site_dir(site_dir: &str, head: &str) -> InputErrors {
    one(
        "site-dir",
        format!(
            "`{site_dir}` holds no files at {}: it is not the folder of a site",
            short_sha(head)
        ),
        "set site-dir to the Vercel project's Root Directory (Project Settings > Build and Deployment), such as `apps/web`, or leave it out for the repository root",
    )
}

/// `auto` inputs whose value the site's config computes when it is built.
pub(super) fn auto_unknown(unknowns: &[Unknown]) -> InputErrors {
    InputErrors(
        unknowns
            .iter()
            .map(|unknown| {
                let input = unknown.input.unwrap_or("url-prefix");
                InputError::new(
                    input,
                    format!("{input} is `auto`, but {unknown}"),
                    format!(
                        "set `{input}` to the value the site is built with (such as `{}`), or write it literally in {}",
                        if input == "public-dir" { "public" } else { "/docs/" },
                        unknown.file
                    ),
                )
            })
            .collect(),
    )
}

/// An explicit `public-dir` that is not a folder at `head` (and that the
/// push did not empty): nothing there can be served.
pub(super) fn public_dir_nowhere(dir: &str, head: &str) -> InputError {
    InputError::new(
        "public-dir",
        format!(
            "`{dir}` is not a folder at {}: nothing there can be served",
            short_sha(head)
        ),
        "set public-dir to the folder the site serves at its root, relative to the repository root (such as `public`, or `apps/web/public` in a monorepo), or leave it at `auto`",
    )
}
