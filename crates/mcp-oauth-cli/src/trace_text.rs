//! `--trace` for a person: each step framed by its name and its outcome, the exchanges in
//! it as `> request` / `< response` lines (the format the trace always had), then the JWTs
//! they carried, decoded, and the checks the step made.

use crate::term::{Colour, Painted};
use crate::trace_out::Recorded;
use mcp_oauth::trace::{DecodedToken, Exchange, Sent, ShownBody};
use std::collections::HashMap;
use std::sync::Mutex;

/// Response headers that matter when debugging OAuth; the rest is noise (a HAR has them all).
const SHOWN_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "location",
    "www-authenticate",
    "cache-control",
    "retry-after",
    "mcp-session-id",
    "dpop-nonce",
];

#[derive(Default)]
struct State {
    names: HashMap<u64, String>,
    /// The step whose header was printed last: an exchange of another one says which it is.
    last: Option<u64>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

pub(crate) fn show(tool: &str, event: &Recorded) {
    let lines = {
        let mut guard = STATE.lock().unwrap_or_else(|p| p.into_inner());
        let state = guard.get_or_insert_with(State::default);
        render(tool, event, state, mcp_oauth::clock::now())
    };
    crate::term::painted_lines(&lines);
}

fn plain(text: String) -> Painted {
    (None, text)
}

fn render(tool: &str, event: &Recorded, state: &mut State, now: u64) -> Vec<Painted> {
    match event {
        Recorded::Begin(b) => {
            state.names.insert(b.step, b.name.clone());
            state.last = Some(b.step);
            vec![(Some(Colour::Bold), format!("== {} [{tool}]", b.name))]
        }
        Recorded::End(e) => {
            state.last = None;
            let (colour, word) = if e.ok { (Colour::Green, "ok") } else { (Colour::Red, "FAILED") };
            let outcome = if e.outcome.is_empty() { String::new() } else { format!(", {}", e.outcome) };
            vec![(Some(colour), format!("== {}: {word}{outcome} ({})", e.name, millis(e.elapsed.as_secs_f64())))]
        }
        Recorded::Sent(r) => {
            let mut out = continued(r.step, state);
            out.extend(request(r));
            out
        }
        Recorded::Exchange(x) => {
            let mut out = continued(x.step, state);
            out.extend(answer(x, now));
            out
        }
        Recorded::Check(c) => {
            let mut out = continued(c.step, state);
            let (colour, word) = if c.passed { (Colour::Green, "passed") } else { (Colour::Red, "FAILED") };
            out.push((Some(colour), format!("   check {}: {word} ({})", c.name, c.detail)));
            out
        }
        Recorded::Detail(d) => {
            let mut out = continued(d.step, state);
            out.push(plain(format!("   {}:", d.title)));
            out.extend(d.fields.iter().map(|f| plain(format!("     {}={}", f.name, f.value))));
            out
        }
    }
}

/// A header for lines of a step other than the one shown last (concurrent steps).
fn continued(step: Option<u64>, state: &mut State) -> Vec<Painted> {
    match step {
        Some(id) if state.last != Some(id) => {
            state.last = Some(id);
            let name = state.names.get(&id).cloned().unwrap_or_else(|| format!("step {id}"));
            vec![(Some(Colour::Bold), format!("== {name} (continued)"))]
        }
        _ => Vec::new(),
    }
}

fn millis(secs: f64) -> String {
    if secs < 10.0 { format!("{:.1} ms", secs * 1000.0) } else { format!("{secs:.1} s") }
}

fn note(note: Option<&String>) -> String {
    note.map(|n| format!(" ({n})")).unwrap_or_default()
}

/// `> METHOD URL`, its headers and body: printed as the request goes out.
fn request(r: &Sent) -> Vec<Painted> {
    let mut out = vec![plain(format!("> {} {}{}", r.request.method, r.request.url, note(r.note.as_ref())))];
    out.extend(r.request.headers.iter().map(|h| plain(format!(">   {}: {}", h.name, h.value))));
    out.extend(body(">   ", r.request.body.as_ref(), false));
    out
}

/// `< STATUS URL (time)`, the headers that matter, the body, and the JWTs the exchange carried.
fn answer(x: &Exchange, now: u64) -> Vec<Painted> {
    let mut out = Vec::new();
    let note = note(x.note.as_ref());
    let took = millis(x.elapsed.as_secs_f64());
    match &x.response {
        Some(r) => {
            let colour = match r.status {
                200..=399 => None,
                _ => Some(Colour::Yellow),
            };
            out.push((colour, format!("< {} {} ({took}){note}", r.status, x.request.url)));
            out.extend(
                r.headers
                    .iter()
                    .filter(|h| SHOWN_RESPONSE_HEADERS.contains(&h.name.as_str()))
                    .map(|h| plain(format!("<   {}: {}", h.name, h.value))),
            );
            out.extend(body("<   ", r.body.as_ref(), true));
        }
        None => out.push((Some(Colour::Red), format!("< no answer from {} ({took}){note}", x.request.url))),
    }
    if let Some(e) = &x.error {
        out.push((Some(Colour::Red), format!("<   error: {e}")));
    }
    for t in &x.tokens {
        out.extend(token(t, now));
    }
    out
}

/// JSON pretty-printed, form fields one a line; other bodies by size and type.
fn body(prefix: &str, body: Option<&ShownBody>, response: bool) -> Vec<Painted> {
    let Some(b) = body else {
        return Vec::new();
    };
    if let Some(v) = &b.json {
        let text = serde_json::to_string_pretty(v).unwrap_or_default();
        return text.lines().map(|l| plain(format!("{prefix}{l}"))).collect();
    }
    if let Some(form) = &b.form {
        return form.iter().map(|f| plain(format!("{prefix}{}={}", f.name, f.value))).collect();
    }
    let kind = if b.media_type.is_empty() { "unknown type" } else { b.media_type.as_str() };
    let said = if response { format!("({} bytes of {kind})", b.size) } else { format!("({} bytes)", b.size) };
    vec![plain(format!("{prefix}{said}"))]
}

fn token(t: &DecodedToken, now: u64) -> Vec<Painted> {
    let mut out = vec![plain(format!("   JWT in the {}:", t.location))];
    out.push(plain(format!("     header: {}", t.header)));
    let claims = serde_json::to_string_pretty(&t.claims).unwrap_or_default();
    let mut lines = claims.lines();
    out.extend(lines.next().map(|l| plain(format!("     claims: {l}"))));
    out.extend(lines.map(|l| plain(format!("     {l}"))));
    for c in &t.times {
        let when = relative(c.value, now);
        let colour = (c.claim == "exp" && c.value < now as i64).then_some(Colour::Yellow);
        out.push((colour, format!("     {}: {} ({when})", c.claim, c.date)));
    }
    for c in &t.checks {
        let (colour, word) = if c.ok { (Colour::Green, "as expected") } else { (Colour::Red, "NOT as expected") };
        out.push((Some(colour), format!("     {}: {word}, {}", c.claim, c.expected)));
    }
    if let Some(raw) = &t.token {
        out.push(plain(format!("     token: {raw}")));
    }
    out
}

/// "in 59 min", "3 s ago", "now".
fn relative(at: i64, now: u64) -> String {
    let delta = at - now as i64;
    match delta {
        0 => "now".into(),
        d if d > 0 => format!("in {}", crate::term::span(d.unsigned_abs())),
        d => format!("{} ago", crate::term::span(d.unsigned_abs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_oauth::trace::{Check, Field, ShownRequest, ShownResponse, StepBegin, StepEnd, TimeClaim};

    fn token_request() -> ShownRequest {
        ShownRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:1/token".into(),
            headers: vec![Field { name: "Accept".into(), value: "application/json".into() }],
            body: None,
        }
    }
    use std::time::Duration;

    fn texts(p: Vec<Painted>) -> Vec<String> {
        p.into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn a_step_frames_its_exchanges_checks_and_tokens() {
        let mut state = State::default();
        let begin = Recorded::Begin(StepBegin { step: 7, name: "token request".into(), started_at: String::new() });
        assert_eq!(texts(render("mcp-x", &begin, &mut state, 1000)), ["== token request [mcp-x]"]);
        let x = Exchange {
            step: Some(7),
            started_at: String::new(),
            elapsed: Duration::from_micros(12_345),
            note: None,
            request: token_request(),
            response: Some(ShownResponse { status: 400, headers: Vec::new(), body: None }),
            error: None,
            tokens: vec![DecodedToken {
                location: "response body access_token".into(),
                field: "access_token".into(),
                header: serde_json::json!({"alg": "RS256"}),
                claims: serde_json::json!({"sub": "u"}),
                times: vec![TimeClaim { claim: "exp".into(), value: 4600, date: "1970-01-01T01:16:40Z".into() }],
                checks: vec![mcp_oauth::trace::ClaimCheck { claim: "aud".into(), expected: "r".into(), ok: false }],
                token: None,
            }],
        };
        let sent = Sent { step: Some(7), started_at: String::new(), note: None, request: token_request() };
        assert_eq!(
            texts(render("mcp-x", &Recorded::Sent(Box::new(sent)), &mut state, 1000)),
            ["> POST http://127.0.0.1:1/token", ">   Accept: application/json"]
        );
        let other = Recorded::Begin(StepBegin { step: 8, name: "refresh".into(), started_at: String::new() });
        render("mcp-x", &other, &mut state, 1000);
        let shown = render("mcp-x", &Recorded::Exchange(Box::new(x)), &mut state, 1000);
        assert_eq!(shown.last(), Some(&(Some(Colour::Red), "     aud: NOT as expected, r".to_string())));
        assert_eq!(
            texts(shown),
            [
                "== token request (continued)",
                "< 400 http://127.0.0.1:1/token (12.3 ms)",
                "   JWT in the response body access_token:",
                "     header: {\"alg\":\"RS256\"}",
                "     claims: {",
                "       \"sub\": \"u\"",
                "     }",
                "     exp: 1970-01-01T01:16:40Z (in 60 min)",
                "     aud: NOT as expected, r",
            ]
        );
        let check = Recorded::Check(Check { step: Some(7), name: "state".into(), passed: true, detail: "d".into() });
        assert_eq!(
            render("mcp-x", &check, &mut state, 1000),
            [(Some(Colour::Green), "   check state: passed (d)".into())]
        );
        let end = Recorded::End(StepEnd {
            step: 7,
            name: "token request".into(),
            ok: false,
            outcome: "failed: invalid_grant".into(),
            elapsed: Duration::from_millis(20),
        });
        assert_eq!(
            render("mcp-x", &end, &mut state, 1000),
            [(Some(Colour::Red), "== token request: FAILED, failed: invalid_grant (20.0 ms)".into())]
        );
    }
}
