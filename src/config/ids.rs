//! The Vercel ids (`project`, `team-id`, `team-slug`) as users really write
//! them: a placeholder copied from an example, or a team's slug given as its
//! id, is bad input with the fix.

use super::identifier;
use crate::inputs::Reader;

/// A Vercel id input (`project`, `team-id`, `team-slug`): an identifier
/// that is not a placeholder copied from an example.
pub(super) fn vercel_id(r: &mut Reader<'_>, name: &str) -> Option<String> {
    let value = identifier(r, name)?;
    if is_placeholder(&value) {
        r.fail(
            name,
            format!(
                "`{}` is a placeholder, not a value",
                crate::actions::one_line(&value)
            ),
            match name {
                "project" => "set project to the project's name or id (Project Settings > General > Project ID)",
                "team-id" => "set team-id to the Team ID of Team Settings > General (`team_` and letters and digits), or leave it out for a project of a personal account",
                _ => "set team-slug to the team's URL slug (vercel.com/<slug>), or leave it out for a project of a personal account",
            },
        );
        return None;
    }
    Some(value)
}

/// `team-id`: `team_` followed by letters and digits, as Vercel shows it. A
/// slug given here is named as one, with the input it belongs to.
pub(super) fn team_id(r: &mut Reader<'_>) -> Option<String> {
    let value = vercel_id(r, "team-id")?;
    let id = value
        .strip_prefix("team_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if id {
        return Some(value);
    }
    let shown = crate::actions::one_line(&value).into_owned();
    let slug = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if slug {
        r.fail(
            "team-id",
            format!("`{shown}` looks like a team slug, not a team id (a team id starts with `team_`)"),
            format!("use `team-slug: {shown}` instead of team-id, or set team-id to the Team ID of Team Settings > General"),
        );
    } else {
        r.fail(
            "team-id",
            format!("`{shown}` is not a team id: a team id is `team_` followed by letters and digits"),
            "set team-id to the Team ID of Team Settings > General (such as `team_` and 24 letters and digits), or use team-slug",
        );
    }
    None
}

/// A value written to be replaced: `<team-id>`, `{project}`, `YOUR_TEAM_ID`,
/// `team_xxxxxxxxxxxx`, `xxx`, `...`.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if value.contains(['<', '>', '{', '}'])
        || lower.starts_with("your_")
        || lower.starts_with("your-")
    {
        return true;
    }
    let rest = ["team_", "prj_"]
        .iter()
        .find_map(|prefix| lower.strip_prefix(prefix))
        .unwrap_or(&lower);
    let filler = |c: char| matches!(c, 'x' | '.' | '*' | '…' | '_' | '-');
    rest.chars().count() >= 3 && rest.chars().all(filler)
}
