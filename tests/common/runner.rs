//! A model of how the Actions runner reads workflow commands from a step's
//! log, both syntaxes: `::name props::data` at the start of a line (after
//! blanks) and the legacy `##[name props]data` anywhere in a line, with
//! `::stop-commands::TOKEN` ... `::TOKEN::` turning recognition off.

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
    pub name: String,
    pub data: String,
}

fn unescape(data: &str) -> String {
    data.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// Every command the runner would act on, in order, stop/resume excluded.
pub fn commands(log: &str) -> Vec<Command> {
    let mut seen = Vec::new();
    let mut stopped: Option<String> = None;
    for line in log.lines() {
        if let Some(token) = &stopped {
            if line.trim() == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("::")
            && let Some(end) = rest.find("::")
        {
            let name = rest[..end].split(' ').next().unwrap_or_default();
            if REGISTERED.contains(&name) {
                let data = rest[end + 2..].to_string();
                if name == "stop-commands" {
                    stopped = Some(data);
                } else {
                    seen.push(Command {
                        name: name.to_string(),
                        data: unescape(&data),
                    });
                }
                continue;
            }
        }
        if let Some(start) = line.find("##[")
            && let Some(close) = line[start..].find(']')
        {
            let info = &line[start + 3..start + close];
            let name = info.split(' ').next().unwrap_or_default();
            if REGISTERED.contains(&name) {
                seen.push(Command {
                    name: format!("legacy {name}"),
                    data: line[start + close + 1..].to_string(),
                });
            }
        }
    }
    seen
}
