//! A model of how the Actions runner reads workflow commands from a step's
//! log (actions/runner: `ActionCommand.TryParseV2`, `TryParse` and
//! `ActionCommandManager.TryProcessCommand`), both syntaxes:
//! `::name props::data` at the start of a line (after blanks) and the legacy
//! `##[name props]data` anywhere in a line. Command names match in any case
//! (`::ERROR::` is an error). `::stop-commands::TOKEN` turns recognition off
//! until a line that reads as the command `TOKEN` (in either syntax, any
//! case, with or without properties); an empty token never resumes.

/// Commands the runner acts on.
const REGISTERED: &[&str] = &[
    "add-mask",
    "add-matcher",
    "add-path",
    "debug",
    "echo",
    "endgroup",
    "error",
    "group",
    "notice",
    "remove-matcher",
    "save-state",
    "set-env",
    "set-output",
    "stop-commands",
    "warning",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Lower-cased; `legacy ` in front for the `##[` syntax.
    pub name: String,
    pub data: String,
}

fn unescape(data: &str) -> String {
    data.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// The command a line holds, if the runner would read one: its name as
/// written, its data, and whether it is the legacy syntax.
fn parse(line: &str, registered: &dyn Fn(&str) -> bool) -> Option<(String, String, bool)> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("::")
        && let Some(end) = rest.find("::")
    {
        let name = rest[..end].split(' ').next().unwrap_or_default();
        if registered(name) {
            return Some((name.to_string(), unescape(&rest[end + 2..]), false));
        }
    }
    let start = line.find("##[")?;
    let close = line[start..].find(']')?;
    let info = &line[start + 3..start + close];
    let name = info.split(' ').next().unwrap_or_default();
    registered(name).then(|| {
        (
            name.to_string(),
            line[start + close + 1..].to_string(),
            true,
        )
    })
}

/// Every command the runner would act on, in order, stop/resume excluded.
pub fn commands(log: &str) -> Vec<Command> {
    let mut seen = Vec::new();
    let mut stopped: Option<String> = None;
    for line in log.lines() {
        if let Some(token) = &stopped {
            let known = |name: &str| {
                name.eq_ignore_ascii_case(token)
                    || REGISTERED.iter().any(|r| r.eq_ignore_ascii_case(name))
            };
            if let Some((name, _, _)) = parse(line, &known)
                && !token.is_empty()
                && name.eq_ignore_ascii_case(token)
            {
                stopped = None;
            }
            continue;
        }
        let known = |name: &str| REGISTERED.iter().any(|r| r.eq_ignore_ascii_case(name));
        let Some((name, data, legacy)) = parse(line, &known) else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if name == "stop-commands" {
            stopped = Some(data);
        } else {
            seen.push(Command {
                name: if legacy {
                    format!("legacy {name}")
                } else {
                    name
                },
                data,
            });
        }
    }
    seen
}
