//! Globs over repository paths (`include`, `exclude`): braces spelled
//! out, extensions in any case, every line compiled or refused with its fix.

use std::borrow::Cow;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::untrusted::ValueError;

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
pub(super) fn expand_braces(pattern: &str) -> Option<Vec<String>> {
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
    ) -> Result<Self, Vec<ValueError>> {
        let mut builder = GlobSetBuilder::new();
        let mut errors = Vec::new();
        let mut globs_lines = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            let pattern = line.trim_start_matches("./");
            if pattern.starts_with('!') {
                errors.push(ValueError::new(
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
                errors.push(ValueError::new(
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
                Err(error) => errors.push(ValueError::new(
format!("`{line}` is not a valid glob: {}", error.kind()),
                    "fix the glob: `*` matches within a folder, `**` across folders, `{a,b}` either, `[ab]` one character",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let set = builder.build().map_err(|error| {
            vec![ValueError::new(
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
