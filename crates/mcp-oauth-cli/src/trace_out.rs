//! Where the library's trace events go: `--trace` as text or JSON lines on stderr, and
//! `--har FILE`, written when the tool ends, whether it succeeded or not (the failing run
//! is the one people attach to a bug report).

use crate::common::{CommonArgs, TraceFormat};
use mcp_oauth::events::Event;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Mutex;

struct Config {
    /// `--trace` (text or JSON), or nothing on stderr.
    show: Option<TraceFormat>,
    har: Option<PathBuf>,
    reveal: bool,
}

static CONFIG: Mutex<Option<Config>> = Mutex::new(None);
/// What the HAR will hold, in the order it happened.
static RECORDED: Mutex<Vec<Recorded>> = Mutex::new(Vec::new());

/// An event kept for the HAR.
pub(crate) enum Recorded {
    Begin(mcp_oauth::trace::StepBegin),
    End(mcp_oauth::trace::StepEnd),
    Sent(Box<mcp_oauth::trace::Sent>),
    Exchange(Box<mcp_oauth::trace::Exchange>),
    Check(mcp_oauth::trace::Check),
    Detail(mcp_oauth::trace::Detail),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// From the parsed flags: whether exchanges must be traced at all (for stderr or a HAR).
pub(crate) fn configure(args: &CommonArgs) -> bool {
    let show = args.trace_format.or(args.trace.then_some(TraceFormat::Text));
    let traced = show.is_some() || args.har.is_some();
    *lock(&CONFIG) = Some(Config { show, har: args.har.clone(), reveal: args.reveal_secrets });
    traced
}

fn shown_as() -> Option<TraceFormat> {
    lock(&CONFIG).as_ref().and_then(|c| c.show)
}

/// Whether events go out as JSON lines.
pub(crate) fn json_lines() -> bool {
    shown_as() == Some(TraceFormat::Json)
}

/// Handles a trace event; false for events that are not the trace's.
pub(crate) fn handle(tool: &str, event: &Event<'_>) -> bool {
    let is_trace = matches!(
        event,
        Event::StepBegin(_)
            | Event::StepEnd(_)
            | Event::Request(_)
            | Event::Exchange(_)
            | Event::Check(_)
            | Event::Detail(_)
    );
    // Steps are announced whether or not anyone traces: nothing is copied for nobody.
    let (show, har) = match lock(&CONFIG).as_ref() {
        Some(c) if is_trace => (c.show, c.har.is_some()),
        _ => return is_trace,
    };
    if show.is_none() && !har {
        return true;
    }
    let recorded = match event {
        Event::StepBegin(b) => Recorded::Begin((*b).clone()),
        Event::StepEnd(e) => Recorded::End((*e).clone()),
        Event::Request(r) => Recorded::Sent(Box::new((*r).clone())),
        Event::Exchange(x) => Recorded::Exchange(Box::new((*x).clone())),
        Event::Check(c) => Recorded::Check((*c).clone()),
        Event::Detail(d) => Recorded::Detail((*d).clone()),
        _ => return false,
    };
    match show {
        Some(TraceFormat::Json) => json_line(tool, event),
        Some(TraceFormat::Text) => crate::trace_text::show(tool, &recorded),
        None => {}
    }
    // A HAR entry is the whole exchange: the request alone adds nothing to it.
    if har && !matches!(recorded, Recorded::Sent(_)) {
        lock(&RECORDED).push(recorded);
    }
    true
}

/// One event as one JSON line: `event`, `tool` and the event's own fields.
pub(crate) fn json_line(tool: &str, event: &Event<'_>) {
    let (kind, fields) = match event {
        Event::StepBegin(b) => ("step_begin", serde_json::to_value(b)),
        Event::StepEnd(e) => ("step_end", serde_json::to_value(e)),
        Event::Request(r) => ("request", serde_json::to_value(r)),
        Event::Exchange(x) => ("exchange", serde_json::to_value(x)),
        Event::Check(c) => ("check", serde_json::to_value(c)),
        Event::Detail(d) => ("detail", serde_json::to_value(d)),
        Event::Notice(t) => ("notice", Ok(json!({ "text": t }))),
        Event::Warning(t) => ("warning", Ok(json!({ "text": t }))),
        Event::Trace(lines) => ("trace", Ok(json!({ "lines": lines }))),
        Event::Prompt(mcp_oauth::events::Prompt::OpenUrl { url }) => ("prompt", Ok(json!({ "open_url": url }))),
        Event::Prompt(mcp_oauth::events::Prompt::EnterCode { verification_uri, user_code, complete, expires_in }) => (
            "prompt",
            Ok(json!({
                "verification_uri": verification_uri, "user_code": user_code,
                "verification_uri_complete": complete, "expires_in": expires_in,
            })),
        ),
        Event::Waiting { .. } => return,
    };
    let mut line = serde_json::Map::new();
    line.insert("event".into(), kind.into());
    line.insert("tool".into(), tool.into());
    if let Ok(Value::Object(fields)) = fields {
        line.extend(fields);
    }
    // JSON escapes every control character; secrets a server quoted back are scrubbed here.
    crate::term::raw_line(&mcp_oauth::redact::scrub(&Value::Object(line).to_string()));
}

/// A line the tool itself says (`mcp-dcr: registered ...`), as a JSON `message` event.
pub(crate) fn message_line(text: &str) {
    let line = json!({ "event": "message", "text": text }).to_string();
    crate::term::raw_line(&mcp_oauth::redact::scrub(&line));
}

/// Writes the HAR, if one was asked for. Called once, as the tool ends; a HAR that cannot
/// be written is said, and is an error only for a run that otherwise succeeded.
pub fn finish(tool: &str) -> mcp_oauth::Result<()> {
    let Some((path, reveal)) = lock(&CONFIG).as_ref().and_then(|c| c.har.clone().map(|p| (p, c.reveal))) else {
        return Ok(());
    };
    let recorded = std::mem::take(&mut *lock(&RECORDED));
    let har = crate::har::build(tool, &recorded, reveal);
    let text = serde_json::to_string_pretty(&har).unwrap_or_default();
    let text = mcp_oauth::redact::scrub(&text);
    let path = if path.is_dir() { path.join(crate::har::file_name(tool)) } else { path };
    mcp_oauth::store::replace_private(&path, text.as_bytes())
        .map_err(|e| mcp_oauth::Error::io(format!("writing the HAR file {}", path.display()), e))
}
