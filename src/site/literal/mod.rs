//! The object a config file exports, as the production build would see it,
//! and the values in it. The file is tokenized ([`super::lex`]), read as a
//! tree ([`super::tree`]) and evaluated ([`super::eval`]); what depends on
//! the build environment is [`Value::Unknown`], holding its source so that
//! a message can quote it, and what a condition the file cannot tell
//! chooses is [`Value::Either`], known where both ways agree.
//!
//! The work is bounded by the file's size: files over [`MAX_SIZE`] are not
//! read, and parsing and evaluating share a budget of steps proportional to
//! the file ([`budget_for`]); past it, the config is not known.

use super::eval::{Evaluator, Invocation};
use super::lex::{LexError, tokenize};
use super::tree::{Steps, parse};

/// Configs larger than this are not read (no real config comes near).
pub const MAX_SIZE: usize = 1_000_000;

/// The steps a file of `len` bytes may take: parsing and evaluating every
/// node a few times over, plus room for small files' function calls.
pub fn budget_for(len: usize) -> u64 {
    200_000 + 40 * len as u64
}

/// A value as the config gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Undefined,
    Bool(bool),
    Num(f64),
    Str(String),
    /// A path relative to the folder of the config file, as computed from
    /// `__dirname`, `process.cwd()` or `import.meta.url`.
    Path(String),
    Array(Vec<Value>),
    Object(Vec<Entry>),
    /// One of two values by a condition the file cannot tell: the source
    /// of the condition.
    Either(Box<Value>, Box<Value>, String),
    /// Computed when the site is built; the expression's source, on one line.
    Unknown(String),
}

/// One member of an object, in source order.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Prop(String, Value),
    /// The members of another value (`...base`, a merge): deep for a
    /// merge that joins nested objects.
    Spread(Value, bool),
    /// A spread or a computed key that is not known: it may set any key.
    /// Holds its source.
    Opaque(String),
}

/// What a lookup found.
#[derive(Clone, Debug, PartialEq)]
pub enum Found<'v> {
    Value(&'v Value),
    Absent,
    /// The value, or an object on the way to it, is computed; the source.
    Unknown(String),
}

/// How many values one lookup may visit (conditions in spreads branch).
const LOOKUP_BUDGET: usize = 100_000;

impl Value {
    /// The value at `keys` (`["images", "unoptimized"]`). A later member
    /// wins over an earlier one, as in JavaScript; a spread of an unknown
    /// value after the last member that sets the key makes it unknown.
    /// Where a condition decides, the value is known when both ways give
    /// the same (or both leave it unset), and unknown otherwise.
    pub fn path(&self, keys: &[&str]) -> Found<'_> {
        let mut budget = LOOKUP_BUDGET;
        self.lookup(keys, &mut budget)
    }

    fn lookup<'v>(&'v self, keys: &[&str], budget: &mut usize) -> Found<'v> {
        if *budget == 0 {
            return Found::Unknown("too many conditions to follow".to_string());
        }
        *budget -= 1;
        let Some((key, rest)) = keys.split_first() else {
            return match self {
                Value::Unknown(source) => Found::Unknown(source.clone()),
                Value::Either(a, b, why) => {
                    combine(a.lookup(&[], budget), b.lookup(&[], budget), why)
                }
                value => Found::Value(value),
            };
        };
        match self {
            Value::Object(entries) => lookup_entries(entries, key, rest, budget),
            Value::Either(a, b, why) => {
                combine(a.lookup(keys, budget), b.lookup(keys, budget), why)
            }
            Value::Unknown(source) => Found::Unknown(source.clone()),
            Value::Null | Value::Undefined => Found::Absent,
            other => Found::Unknown(other.describe()),
        }
    }

    /// A short rendering for messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".to_string(),
            Value::Undefined => "undefined".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Str(s) => format!("{s:?}"),
            Value::Path(p) => format!("the path {p:?}"),
            Value::Array(_) => "an array".to_string(),
            Value::Object(_) => "an object".to_string(),
            Value::Either(_, _, source) | Value::Unknown(source) => source.clone(),
        }
    }

    /// Whether the value is an object, or one of several by a condition.
    pub fn is_object(&self) -> bool {
        match self {
            Value::Object(_) => true,
            Value::Either(a, b, _) => a.is_object() && b.is_object(),
            _ => false,
        }
    }

    /// From JSON (`vercel.json`, `package.json`).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                n.as_f64().map_or(Value::Unknown(n.to_string()), Value::Num)
            }
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Entry::Prop(k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl Value {
    /// Every value `keys` may have where only the ways of conditions are
    /// not known (`None` in the list: unset); `None` where anything else
    /// is unknown. For a setting whose every possible value says the same
    /// thing (`output: 'standalone'` or unset: not an export).
    pub fn possible(&self, keys: &[&str]) -> Option<Vec<Option<&Value>>> {
        let mut budget = LOOKUP_BUDGET;
        possible_at(self, keys, &mut budget)
    }
}

fn possible_at<'v>(
    value: &'v Value,
    keys: &[&str],
    budget: &mut usize,
) -> Option<Vec<Option<&'v Value>>> {
    *budget = budget.checked_sub(1)?;
    let Some((key, rest)) = keys.split_first() else {
        return match value {
            Value::Unknown(_) => None,
            Value::Either(a, b, _) => {
                both(possible_at(a, &[], budget)?, possible_at(b, &[], budget)?)
            }
            Value::Undefined => Some(vec![None]),
            value => Some(vec![Some(value)]),
        };
    };
    match value {
        Value::Object(entries) => possible_in(entries, key, rest, budget),
        Value::Either(a, b, _) => {
            both(possible_at(a, keys, budget)?, possible_at(b, keys, budget)?)
        }
        Value::Null | Value::Undefined => Some(vec![None]),
        _ => None,
    }
}

fn both<'v>(
    mut a: Vec<Option<&'v Value>>,
    b: Vec<Option<&'v Value>>,
) -> Option<Vec<Option<&'v Value>>> {
    a.extend(b);
    Some(a)
}

fn possible_in<'v>(
    entries: &'v [Entry],
    key: &str,
    rest: &[&str],
    budget: &mut usize,
) -> Option<Vec<Option<&'v Value>>> {
    for (at, entry) in entries.iter().enumerate().rev() {
        *budget = budget.checked_sub(1)?;
        match entry {
            Entry::Prop(name, value) if name == key => return possible_at(value, rest, budget),
            Entry::Prop(..) => {}
            Entry::Opaque(_) => return None,
            Entry::Spread(value, _) => {
                return possible_spread(value, &entries[..at], key, rest, budget);
            }
        }
    }
    Some(vec![None])
}

fn possible_spread<'v>(
    value: &'v Value,
    earlier: &'v [Entry],
    key: &str,
    rest: &[&str],
    budget: &mut usize,
) -> Option<Vec<Option<&'v Value>>> {
    match value {
        Value::Either(a, b, _) => both(
            possible_spread(a, earlier, key, rest, budget)?,
            possible_spread(b, earlier, key, rest, budget)?,
        ),
        Value::Unknown(_) => None,
        Value::Object(entries) => {
            let mut all = Vec::new();
            for found in possible_in(entries, key, &[], budget)? {
                match found {
                    None => all.extend(possible_in(earlier, key, rest, budget)?),
                    Some(inner) => all.extend(possible_at(inner, rest, budget)?),
                }
            }
            Some(all)
        }
        _ => possible_in(earlier, key, rest, budget),
    }
}

/// Looks `key` then `rest` up in `entries`, the last first.
fn lookup_entries<'v>(
    entries: &'v [Entry],
    key: &str,
    rest: &[&str],
    budget: &mut usize,
) -> Found<'v> {
    for (at, entry) in entries.iter().enumerate().rev() {
        if *budget == 0 {
            return Found::Unknown("too many conditions to follow".to_string());
        }
        *budget -= 1;
        match entry {
            Entry::Prop(name, Value::Undefined) if name == key => return Found::Absent,
            Entry::Prop(name, value) if name == key => return value.lookup(rest, budget),
            Entry::Prop(..) => {}
            Entry::Opaque(source) => return Found::Unknown(source.clone()),
            Entry::Spread(value, deep) => {
                return spread_lookup(value, *deep, &entries[..at], key, rest, budget);
            }
        }
    }
    Found::Absent
}

/// Looks up through a spread: in the spread value, then in the entries
/// before it where the spread does not set the key.
fn spread_lookup<'v>(
    value: &'v Value,
    deep: bool,
    earlier: &'v [Entry],
    key: &str,
    rest: &[&str],
    budget: &mut usize,
) -> Found<'v> {
    match value {
        Value::Either(a, b, why) => {
            let first = spread_lookup(a, deep, earlier, key, rest, budget);
            let second = spread_lookup(b, deep, earlier, key, rest, budget);
            combine(first, second, why)
        }
        Value::Unknown(source) => Found::Unknown(source.clone()),
        // The key once, then below it: each spread is looked through once.
        Value::Object(entries) => match lookup_entries(entries, key, &[], budget) {
            Found::Absent => lookup_entries(earlier, key, rest, budget),
            Found::Value(inner) if deep && !rest.is_empty() && inner.is_object() => {
                match inner.lookup(rest, budget) {
                    Found::Absent => lookup_entries(earlier, key, rest, budget),
                    found => found,
                }
            }
            Found::Value(inner) => inner.lookup(rest, budget),
            unknown => unknown,
        },
        // Spreading `false`, `null`, a string or an array sets no named key.
        _ => lookup_entries(earlier, key, rest, budget),
    }
}

/// Both ways of a condition: the same result, or unknown.
fn combine<'v>(a: Found<'v>, b: Found<'v>, why: &str) -> Found<'v> {
    match (a, b) {
        (Found::Absent, Found::Absent) => Found::Absent,
        (Found::Value(x), Found::Value(y)) if x == y => Found::Value(x),
        // Unknown both ways for the same reason: that reason.
        (Found::Unknown(x), Found::Unknown(y)) if x == y => Found::Unknown(x),
        _ => Found::Unknown(why.to_string()),
    }
}

/// The object a config file exports, and the wrappers it passed through
/// (`withBundleAnalyzer`), outermost first.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub value: Value,
    pub wrappers: Vec<String>,
    /// The steps parsing and evaluating took.
    pub steps: u64,
}

/// Why a file yields no exported config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportError {
    Lex(LexError),
    /// No `export default` or `module.exports =` at the top level.
    NoExport,
    /// Larger than [`MAX_SIZE`]: the size in bytes.
    TooLarge(usize),
    /// Reading it took more than its budget of steps.
    OverBudget(u64),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Lex(error) => write!(f, "not readable JavaScript ({error})"),
            ExportError::NoExport => {
                f.write_str("not found: the file has no `export default` or `module.exports =`")
            }
            ExportError::TooLarge(size) => write!(
                f,
                "{size} bytes, larger than the {MAX_SIZE} bytes a config is read up to"
            ),
            ExportError::OverBudget(steps) => write!(
                f,
                "too complex to read: more than {steps} steps for its size"
            ),
        }
    }
}

/// Reads the exported config of a JavaScript or TypeScript file, a config
/// exported as a function called as the production build calls it.
pub fn exported(source: &str) -> Result<Exported, ExportError> {
    exported_for(source, Invocation::Plain)
}

/// [`exported`], calling a config exported as a function as `invocation`
/// says.
pub fn exported_for(source: &str, invocation: Invocation) -> Result<Exported, ExportError> {
    if source.len() > MAX_SIZE {
        return Err(ExportError::TooLarge(source.len()));
    }
    let limit = budget_for(source.len());
    let over = ExportError::OverBudget(limit);
    let tokens = tokenize(source).map_err(ExportError::Lex)?;
    let mut steps = Steps::new(limit);
    let tree = parse(&tokens, &mut steps).map_err(|_| over.clone())?;
    drop(tokens);
    let evaluated = Evaluator::new(&tree, source, &mut steps)
        .run(invocation)
        .map_err(|_| over)?;
    let value = evaluated.value.ok_or(ExportError::NoExport)?;
    Ok(Exported {
        value,
        wrappers: evaluated.wrappers,
        steps: steps.used,
    })
}

#[cfg(test)]
mod tests;
