//! `--har FILE`: the run's HTTP exchanges as an HTTP Archive 1.2 (the format browsers'
//! developer tools and HTTP debuggers open), one page per step. It holds what the trace
//! shows and nothing more: the library redacted every exchange before it got here.
//!
//! Fields HAR has no place for are custom fields (names starting with `_`, as the format
//! allows): `_decodedTokens` on an entry, `_checks` and `_details` on a page, `_error`
//! where no answer came (status 0, as browsers export a failed request).

use crate::trace_out::Recorded;
use mcp_oauth::trace::{Exchange, Field, ShownBody};
use serde_json::{Value, json};

pub(crate) fn build(tool: &str, recorded: &[Recorded], reveal: bool) -> Value {
    let mut pages: Vec<Value> = Vec::new();
    let mut entries = Vec::new();
    for r in recorded {
        match r {
            Recorded::Begin(b) => pages.push(json!({
                "startedDateTime": b.started_at,
                "id": page_id(b.step),
                "title": b.name,
                "pageTimings": { "onContentLoad": -1, "onLoad": -1 },
                "_checks": [],
                "_details": [],
            })),
            Recorded::End(e) => {
                if let Some(p) = page(&mut pages, Some(e.step)) {
                    p["title"] =
                        format!("{}: {}{}", e.name, if e.ok { "ok" } else { "failed" }, said(&e.outcome)).into();
                    p["pageTimings"]["onLoad"] = ms(e.elapsed.as_secs_f64()).into();
                    p["comment"] = e.outcome.clone().into();
                }
            }
            Recorded::Exchange(x) => entries.push(entry(x)),
            Recorded::Sent(_) => {}
            Recorded::Check(c) => {
                if let Some(Value::Array(checks)) = page(&mut pages, c.step).map(|p| &mut p["_checks"]) {
                    checks.push(json!(c));
                }
            }
            Recorded::Detail(d) => {
                if let Some(Value::Array(details)) = page(&mut pages, d.step).map(|p| &mut p["_details"]) {
                    details.push(json!(d));
                }
            }
        }
    }
    let comment = if reveal {
        "written with --reveal-secrets: it holds tokens and secrets in clear, do not share it"
    } else {
        "secrets redacted by mcp-oauth: tokens, codes, verifiers and client secrets show as [redacted N bytes]"
    };
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": tool, "version": env!("CARGO_PKG_VERSION") },
            "pages": pages,
            "entries": entries,
            "comment": comment,
            "_revealed": reveal,
        }
    })
}

/// `mcp-authorize-20261201T164022Z-4242.har`, for `--har DIR`.
pub(crate) fn file_name(tool: &str) -> String {
    let stamp = mcp_oauth::trace::timestamp(std::time::SystemTime::now());
    let compact: String = stamp.split('.').next().unwrap_or("").chars().filter(|c| *c != '-' && *c != ':').collect();
    format!("{tool}-{compact}Z-{}.har", std::process::id())
}

fn page(pages: &mut [Value], step: Option<u64>) -> Option<&mut Value> {
    let id = page_id(step?);
    pages.iter_mut().find(|p| p["id"] == id.as_str())
}

fn page_id(step: u64) -> String {
    format!("step_{step}")
}

fn said(outcome: &str) -> String {
    if outcome.is_empty() { String::new() } else { format!(", {outcome}") }
}

fn ms(secs: f64) -> f64 {
    (secs * 10_000.0).round() / 10.0
}

fn pairs(fields: &[Field]) -> Vec<Value> {
    fields.iter().map(|f| json!({ "name": f.name, "value": f.value })).collect()
}

fn query(url: &str) -> Vec<Value> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().map(|(k, v)| json!({ "name": k, "value": v })).collect())
        .unwrap_or_default()
}

/// A body's text as sent or received, redacted: JSON compact, a form re-encoded.
fn text(b: &ShownBody) -> Option<String> {
    if let Some(v) = &b.json {
        return Some(v.to_string());
    }
    if let Some(form) = &b.form {
        let pairs = form.iter().map(|f| (f.name.as_str(), f.value.as_str()));
        return Some(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish());
    }
    b.text.clone()
}

fn entry(x: &Exchange) -> Value {
    let mut request = json!({
        "method": x.request.method,
        "url": x.request.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": pairs(&x.request.headers),
        "queryString": query(&x.request.url),
        "headersSize": -1,
        "bodySize": x.request.body.as_ref().map_or(0, |b| b.size as i64),
    });
    if let Some(b) = &x.request.body {
        let mut post = json!({ "mimeType": b.media_type, "text": text(b).unwrap_or_default() });
        if let Some(form) = &b.form {
            post["params"] = pairs(form).into();
        }
        request["postData"] = post;
    }
    let response = match &x.response {
        Some(r) => {
            let mut content = json!({
                "size": r.body.as_ref().map_or(0, |b| b.size),
                "mimeType": r.body.as_ref().map_or("", |b| b.media_type.as_str()),
            });
            if let Some(t) = r.body.as_ref().and_then(text) {
                content["text"] = t.into();
            }
            json!({
                "status": r.status,
                "statusText": "",
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": pairs(&r.headers),
                "content": content,
                "redirectURL": r.headers.iter().find(|h| h.name == "location").map_or("", |h| h.value.as_str()),
                "headersSize": -1,
                "bodySize": r.body.as_ref().map_or(0, |b| b.size as i64),
            })
        }
        None => json!({
            "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
            "content": { "size": 0, "mimeType": "x-unknown" }, "redirectURL": "", "headersSize": -1, "bodySize": -1,
            "_error": x.error,
        }),
    };
    let time = ms(x.elapsed.as_secs_f64());
    let mut entry = json!({
        "startedDateTime": x.started_at,
        "time": time,
        "request": request,
        "response": response,
        "cache": {},
        "timings": { "send": 0, "wait": time, "receive": 0 },
        "_decodedTokens": x.tokens,
    });
    if let Some(step) = x.step {
        entry["pageref"] = page_id(step).into();
    }
    let comment: Vec<&str> = [x.note.as_deref(), x.error.as_deref()].into_iter().flatten().collect();
    if !comment.is_empty() {
        entry["comment"] = comment.join("; ").into();
    }
    entry
}
