//! The text form of a criteria tree (`segments.parse` / `segments.format`):
//!
//! ```text
//! churnRisk >= 70 and (ticket.count(withinDays: 30) >= 3 or not tags in [vip])
//! ```
//!
//! `and` binds tighter than `or`; `not` tighter than both; parentheses group. A condition is
//! `field op value`, a count's options in parentheses after its field. Operators: `=` `!=` `>=`
//! `<=` `in` `not in` `contains` `endsWith` `between` `after` `before` `lastNDays` (the JSON
//! names `equals`, `notEquals`, `gte`, `lte`, `notIn` are read too). Values: numbers, `true` /
//! `false`, words (`vip`, `open`), JSON strings (`"Acme Ltd"`, `"2026-01-31T00:00:00Z"`) and
//! lists (`[a, b]`). Groups of one or no nodes are written `all(…)` / `any(…)`.
//!
//! [`format()`] writes every tree so that [`parse()`] reads the same tree back (a property test
//! checks it); errors point at the column of the text.

use super::{Criteria, FieldDef, MAX_DEPTH, Node, Operand, Scalar};
use crate::catalog::Operator;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use winnow::ascii::multispace0;
use winnow::combinator::{alt, cut_err, opt};
use winnow::error::{AddContext, ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::token::{one_of, take_while};

/// The longest text form read, in bytes.
const MAX_TEXT: usize = 20_000;

/// Words that are not bare values.
const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "true", "false", "null", "all", "any",
];

/// Reads the text form and checks it against `defs`. A fault is `invalid_input` on `field`
/// (the request's name for the text), its message starting with the column (1-based, in
/// characters) where the fault is.
pub fn parse(text: &str, defs: &[FieldDef], field: &str) -> Result<Criteria> {
    if text.len() > MAX_TEXT {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_TEXT} bytes, got {}", text.len()),
        ));
    }
    if let Some(at) = too_deep(text) {
        return Err(Error::invalid(
            field,
            format!(
                "column {}: nested too deep: at most {MAX_DEPTH} levels",
                column(text, at)
            ),
        ));
    }
    let mut spans = Spans::default();
    let mut input = text;
    let tree = match top(&mut input, &mut spans) {
        Ok(tree) => tree,
        Err(e) => {
            let at = text.len() - input.len();
            let message = match e {
                ErrMode::Backtrack(e) | ErrMode::Cut(e) => describe(&e),
                ErrMode::Incomplete(_) => "the text ends too soon".to_owned(),
            };
            return Err(Error::invalid(
                field,
                format!("column {}: {message}", column(text, at)),
            ));
        }
    };
    if !input.trim().is_empty() {
        let at = text.len() - input.len() + (input.len() - input.trim_start().len());
        return Err(Error::invalid(
            field,
            format!(
                "column {}: expected `and`, `or` or the end of the criteria",
                column(text, at)
            ),
        ));
    }
    // Checked as JSON is, then a fault's JSON path is turned back into a column.
    Criteria::from_json(&tree.value, defs, "$").map_err(|e| match e {
        Error::InvalidInput {
            field: path,
            message,
        } => {
            let at = spans
                .find(&path, &tree.paths)
                .map_or(0, |remaining| text.len() - remaining);
            Error::invalid(field, format!("column {}: {message}", column(text, at)))
        }
        other => other,
    })
}

/// The 1-based column, in characters, of byte offset `at` of `text`.
fn column(text: &str, at: usize) -> usize {
    text.get(..at.min(text.len()))
        .map_or(1, |head| head.chars().count() + 1)
}

/// Where brackets nest deeper than a tree may (which would only recurse for nothing).
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' => {
                depth += 1;
                if depth > MAX_DEPTH * 2 {
                    return Some(i);
                }
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn describe(e: &ContextError) -> String {
    let expected: Vec<String> = e
        .context()
        .filter_map(|c| match c {
            StrContext::Expected(StrContextValue::Description(d)) => Some((*d).to_owned()),
            StrContext::Expected(StrContextValue::StringLiteral(s)) => Some(format!("`{s}`")),
            StrContext::Expected(StrContextValue::CharLiteral(c)) => Some(format!("`{c}`")),
            StrContext::Label(l) => Some((*l).to_owned()),
            _ => None,
        })
        .collect();
    if expected.is_empty() {
        "cannot read the criteria here".to_owned()
    } else {
        format!("expected {}", expected.join(" or "))
    }
}

/// Where each part of the tree starts, as the length of the text left from there, keyed by an
/// id handed to the tree while it is read; paths are filled in once the tree is whole.
#[derive(Default)]
struct Spans {
    starts: Vec<usize>,
}

/// A tree read from the text: its JSON, and the JSON path of each part with its span id.
struct Tree {
    value: Value,
    paths: BTreeMap<String, usize>,
}

impl Spans {
    fn mark(&mut self, remaining: usize) -> usize {
        self.starts.push(remaining);
        self.starts.len() - 1
    }

    /// The span of the longest path that `path` starts with.
    fn find(&self, path: &str, paths: &BTreeMap<String, usize>) -> Option<usize> {
        paths
            .iter()
            .filter(|(p, _)| {
                path.strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            })
            .max_by_key(|(p, _)| p.len())
            .and_then(|(_, id)| self.starts.get(*id).copied())
    }
}

/// A node read from the text, before its JSON paths are known.
enum Read {
    All(Vec<Read>, usize),
    Any(Vec<Read>, usize),
    Not(Box<Read>, usize),
    /// The condition's JSON, and span ids of the condition, its field, op and value.
    Condition(Map<String, Value>, [usize; 4], Vec<(String, usize)>),
}

fn top(input: &mut &str, spans: &mut Spans) -> ModalResult<Tree> {
    let read = expr(input, spans)?;
    let mut paths = BTreeMap::new();
    let value = to_json(read, "$", &mut paths);
    Ok(Tree { value, paths })
}

fn to_json(read: Read, path: &str, paths: &mut BTreeMap<String, usize>) -> Value {
    let group = |key: &str, nodes: Vec<Read>, paths: &mut BTreeMap<String, usize>| {
        let inner = format!("{path}.{key}");
        let items = nodes
            .into_iter()
            .enumerate()
            .map(|(i, n)| to_json(n, &format!("{inner}[{i}]"), paths))
            .collect();
        let mut m = Map::new();
        m.insert(key.into(), Value::Array(items));
        Value::Object(m)
    };
    match read {
        Read::All(nodes, span) => {
            paths.insert(path.to_owned(), span);
            group("all", nodes, paths)
        }
        Read::Any(nodes, span) => {
            paths.insert(path.to_owned(), span);
            group("any", nodes, paths)
        }
        Read::Not(node, span) => {
            paths.insert(path.to_owned(), span);
            let mut m = Map::new();
            m.insert("not".into(), to_json(*node, &format!("{path}.not"), paths));
            Value::Object(m)
        }
        Read::Condition(m, [whole, field, op, value], options) => {
            paths.insert(path.to_owned(), whole);
            paths.insert(format!("{path}.field"), field);
            paths.insert(format!("{path}.op"), op);
            paths.insert(format!("{path}.value"), value);
            for (name, span) in options {
                paths.insert(format!("{path}.{name}"), span);
            }
            Value::Object(m)
        }
    }
}

fn ws(input: &mut &str) -> ModalResult<()> {
    multispace0.void().parse_next(input)
}

/// A keyword: the word and no more letters after it.
fn keyword<'i>(word: &'static str) -> impl Parser<&'i str, (), ErrMode<ContextError>> {
    move |input: &mut &'i str| {
        let start = *input;
        let w = take_while(1.., is_word_char).parse_next(input)?;
        if w == word {
            Ok(())
        } else {
            *input = start;
            Err(ErrMode::Backtrack(ContextError::new()))
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// An inner node, or several joined by `word`: one node alone, or a `group` of them.
fn chain(
    input: &mut &str,
    spans: &mut Spans,
    word: &'static str,
    inner: fn(&mut &str, &mut Spans) -> ModalResult<Read>,
    group: fn(Vec<Read>, usize) -> Read,
) -> ModalResult<Read> {
    ws(input)?;
    let start = spans.mark(input.len());
    let mut parts = vec![inner(input, spans)?];
    loop {
        ws(input)?;
        if opt(keyword(word)).parse_next(input)?.is_none() {
            break;
        }
        parts.push(inner(input, spans)?);
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        group(parts, start)
    })
}

/// `and` groups joined by `or`.
fn expr(input: &mut &str, spans: &mut Spans) -> ModalResult<Read> {
    chain(input, spans, "or", and_expr, Read::Any)
}

/// Unary nodes joined by `and` (it binds tighter than `or`).
fn and_expr(input: &mut &str, spans: &mut Spans) -> ModalResult<Read> {
    chain(input, spans, "and", unary, Read::All)
}

fn unary(input: &mut &str, spans: &mut Spans) -> ModalResult<Read> {
    ws(input)?;
    let start = spans.mark(input.len());
    if opt(keyword("not")).parse_next(input)?.is_some() {
        return Ok(Read::Not(Box::new(unary(input, spans)?), start));
    }
    atom(input, spans)
}

fn atom(input: &mut &str, spans: &mut Spans) -> ModalResult<Read> {
    ws(input)?;
    let start = spans.mark(input.len());
    if opt('(').parse_next(input)?.is_some() {
        let inner = expr(input, spans)?;
        ws(input)?;
        cut_err(')')
            .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
            .parse_next(input)?;
        return Ok(inner);
    }
    for (word, all) in [("all", true), ("any", false)] {
        let before = *input;
        if opt(keyword(word)).parse_next(input)?.is_some() {
            ws(input)?;
            if opt('(').parse_next(input)?.is_some() {
                ws(input)?;
                let mut nodes = Vec::new();
                if opt(')').parse_next(input)?.is_none() {
                    loop {
                        nodes.push(expr(input, spans)?);
                        ws(input)?;
                        if opt(',').parse_next(input)?.is_none() {
                            break;
                        }
                    }
                    ws(input)?;
                    cut_err(')')
                        .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
                        .parse_next(input)?;
                }
                return Ok(if all {
                    Read::All(nodes, start)
                } else {
                    Read::Any(nodes, start)
                });
            }
            *input = before;
        }
    }
    condition(input, spans, start)
}

fn condition(input: &mut &str, spans: &mut Spans, start: usize) -> ModalResult<Read> {
    let field_at = spans.mark(input.len());
    let field = take_while(1.., is_word_char)
        .context(StrContext::Expected(StrContextValue::Description(
            "a field name, `not`, `(` or `all(…)` / `any(…)`",
        )))
        .parse_next(input)?;
    let mut map = Map::new();
    map.insert("field".into(), Value::String(field.to_owned()));
    let mut options = Vec::new();
    ws(input)?;
    if opt('(').parse_next(input)?.is_some() {
        loop {
            ws(input)?;
            let at = spans.mark(input.len());
            let name = cut_err(take_while(1.., is_word_char))
                .context(StrContext::Expected(StrContextValue::Description(
                    "an option name (withinDays, status, pipelineId, stageId)",
                )))
                .parse_next(input)?;
            ws(input)?;
            cut_err(':')
                .context(StrContext::Expected(StrContextValue::CharLiteral(':')))
                .parse_next(input)?;
            let v = value(input)?;
            map.insert(name.to_owned(), v);
            options.push((name.to_owned(), at));
            ws(input)?;
            if opt(',').parse_next(input)?.is_none() {
                break;
            }
        }
        ws(input)?;
        cut_err(')')
            .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
            .parse_next(input)?;
        ws(input)?;
    }
    let op_at = spans.mark(input.len());
    let op = cut_err(operator)
        .context(StrContext::Expected(StrContextValue::Description(
            "an operator (= != >= <= in, not in, contains, endsWith, between, after, before, lastNDays)",
        )))
        .parse_next(input)?;
    map.insert("op".into(), serde_json::to_value(op).unwrap_or(Value::Null));
    ws(input)?;
    let value_at = spans.mark(input.len());
    let v = value(input)?;
    map.insert("value".into(), v);
    Ok(Read::Condition(
        map,
        [start, field_at, op_at, value_at],
        options,
    ))
}

fn operator(input: &mut &str) -> ModalResult<Operator> {
    alt((
        "!=".value(Operator::NotEquals),
        ">=".value(Operator::Gte),
        "<=".value(Operator::Lte),
        "=".value(Operator::Equals),
        word_operator,
    ))
    .parse_next(input)
}

fn word_operator(input: &mut &str) -> ModalResult<Operator> {
    let start = *input;
    let word = take_while(1.., is_word_char).parse_next(input)?;
    let op = match word {
        "not" => {
            ws(input)?;
            keyword("in").parse_next(input)?;
            Operator::NotIn
        }
        other => {
            let Ok(op) = serde_json::from_value::<Operator>(Value::String(other.to_owned())) else {
                *input = start;
                return Err(ErrMode::Backtrack(ContextError::new()));
            };
            op
        }
    };
    Ok(op)
}

fn value(input: &mut &str) -> ModalResult<Value> {
    ws(input)?;
    cut_err(alt((list, string, number, word)))
        .context(StrContext::Expected(StrContextValue::Description(
            "a value: a number, a word, a \"string\" or a [list]",
        )))
        .parse_next(input)
}

fn list(input: &mut &str) -> ModalResult<Value> {
    '['.parse_next(input)?;
    ws(input)?;
    let mut items = Vec::new();
    if opt(']').parse_next(input)?.is_none() {
        loop {
            items.push(value(input)?);
            ws(input)?;
            if opt(',').parse_next(input)?.is_none() {
                break;
            }
        }
        ws(input)?;
        cut_err(']')
            .context(StrContext::Expected(StrContextValue::CharLiteral(']')))
            .parse_next(input)?;
    }
    Ok(Value::Array(items))
}

fn string(input: &mut &str) -> ModalResult<Value> {
    '"'.parse_next(input)?;
    // The body runs to the first `"` not escaped by a backslash.
    let mut end = None;
    let mut escaped = false;
    for (i, c) in input.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(end) = end else {
        *input = &input[input.len()..];
        return Err(ErrMode::Cut(ContextError::new().add_context(
            input,
            &input.checkpoint(),
            StrContext::Expected(StrContextValue::Description(
                "the closing `\"` of the string",
            )),
        )));
    };
    let quoted = format!("\"{}\"", &input[..end]);
    let text = serde_json::from_str::<String>(&quoted).map_err(|_| {
        ErrMode::Cut(ContextError::new().add_context(
            input,
            &input.checkpoint(),
            StrContext::Expected(StrContextValue::Description(
                "a string with JSON escapes (\\\" \\\\ \\n \\u00e9)",
            )),
        ))
    })?;
    *input = &input[end + 1..];
    Ok(Value::String(text))
}

fn number(input: &mut &str) -> ModalResult<Value> {
    let text = (
        opt('-'),
        take_while(1.., |c: char| c.is_ascii_digit()),
        opt(('.', take_while(1.., |c: char| c.is_ascii_digit()))),
    )
        .take()
        .parse_next(input)?;
    // Not followed by letters: `30days` is not a number.
    if input.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return Err(ErrMode::Backtrack(ContextError::new()));
    }
    match text.parse::<i64>() {
        Ok(n) => Ok(Value::from(n)),
        Err(_) => Ok(text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)),
    }
}

fn word(input: &mut &str) -> ModalResult<Value> {
    let w = (
        one_of(|c: char| c.is_alphabetic() || c == '_'),
        take_while(0.., is_word_char),
    )
        .take()
        .parse_next(input)?;
    Ok(match w {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => Value::String(w.to_owned()),
    })
}

/// Writes a tree in the text form; [`parse`] reads it back as the same tree.
pub fn format(criteria: &Criteria) -> String {
    let mut out = String::new();
    write_node(&criteria.root, Context::Top, &mut out);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// The whole tree, or the inside of `all(…)` / `any(…)`.
    Top,
    /// Inside an infix group or after `not`: an infix group needs parentheses here.
    Nested,
}

fn write_node(node: &Node, context: Context, out: &mut String) {
    match node {
        Node::All(nodes) | Node::Any(nodes) if nodes.len() < 2 => {
            out.push_str(if matches!(node, Node::All(_)) {
                "all("
            } else {
                "any("
            });
            if let Some(n) = nodes.first() {
                write_node(n, Context::Top, out);
            }
            out.push(')');
        }
        Node::All(nodes) | Node::Any(nodes) => {
            let glue = if matches!(node, Node::All(_)) {
                " and "
            } else {
                " or "
            };
            if context == Context::Nested {
                out.push('(');
            }
            for (i, n) in nodes.iter().enumerate() {
                if i > 0 {
                    out.push_str(glue);
                }
                write_node(n, Context::Nested, out);
            }
            if context == Context::Nested {
                out.push(')');
            }
        }
        Node::Not(inner) => {
            out.push_str("not ");
            write_node(inner, Context::Nested, out);
        }
        Node::Condition(c) => {
            out.push_str(&c.field);
            let mut options = Vec::new();
            if let Some(n) = c.options.within_days {
                options.push(format!("withinDays: {n}"));
            }
            if let Some(s) = &c.options.status {
                options.push(format!("status: {}", text_value(s)));
            }
            if let Some(id) = c.options.pipeline_id {
                options.push(format!("pipelineId: {id}"));
            }
            if let Some(id) = c.options.stage_id {
                options.push(format!("stageId: {id}"));
            }
            if !options.is_empty() {
                out.push('(');
                out.push_str(&options.join(", "));
                out.push(')');
            }
            out.push(' ');
            out.push_str(match c.op {
                Operator::Equals => "=",
                Operator::NotEquals => "!=",
                Operator::Gte => ">=",
                Operator::Lte => "<=",
                Operator::In => "in",
                Operator::NotIn => "not in",
                Operator::Contains => "contains",
                Operator::EndsWith => "endsWith",
                Operator::Between => "between",
                Operator::After => "after",
                Operator::Before => "before",
                Operator::LastNDays => "lastNDays",
            });
            out.push(' ');
            match &c.value {
                Operand::One(s) => out.push_str(&scalar_text(s)),
                Operand::List(list) => {
                    let items: Vec<String> = list.iter().map(scalar_text).collect();
                    out.push('[');
                    out.push_str(&items.join(", "));
                    out.push(']');
                }
                Operand::Range(a, b) => {
                    let _ = write!(out, "[{}, {}]", scalar_text(a), scalar_text(b));
                }
                Operand::Days(n) => out.push_str(&n.to_string()),
                Operand::Missing => out.push_str("null"),
            }
        }
    }
}

fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Text(t) => text_value(t),
        Scalar::Number(n) => n.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Time(t) => format!(
            "\"{}\"",
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ),
    }
}

/// A text value bare when it reads back as the same word, quoted otherwise.
fn text_value(t: &str) -> String {
    let bare = t
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && t.chars().all(is_word_char)
        && !RESERVED.contains(&t);
    if bare {
        t.to_owned()
    } else {
        serde_json::to_string(t).unwrap_or_default()
    }
}
