//! Which values are secrets, and how they are hidden in traces, errors and documents.
//!
//! One list serves every place that prints something, so a new secret field is hidden
//! everywhere at once.

use serde_json::Value;
use std::borrow::Cow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// JSON members and form fields whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "code",
    "code_verifier",
    "client_assertion",
    "assertion",
    "registration_access_token",
    "device_code",
    "subject_token",
    "actor_token",
    "password",
    "token",
    // GitHub Actions' OIDC token service answers {"value": JWT}.
    "value",
    "private_key",
];

/// Headers whose values are secrets.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "set-cookie", "dpop"];

pub const REDACTED: &str = "[redacted]";

pub fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Replaces every secret member (at any depth) with a marker that keeps its length
/// visible, which is often what a person debugging a server needs to know.
pub fn json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if is_secret_field(k) => Value::String(marker(s)),
                        other => json(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        other => other.clone(),
    }
}

/// Redacts secret fields of a form body or query string given as pairs.
pub fn pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            let v = if is_secret_field(k) { marker(v) } else { v.to_string() };
            (k.to_string(), v)
        })
        .collect()
}

/// A URL with the values of secret parameters hidden, in the query (callback URLs carry
/// `code`) and in the fragment (where implicit-grant style answers put `access_token`).
/// The password of a URL is hidden too.
pub fn url(u: &url::Url) -> String {
    let mut out = u.clone();
    if out.password().is_some() {
        let _ = out.set_password(Some(REDACTED));
    }
    if let Some(r) = u.query().and_then(form_text) {
        out.set_query(Some(&r));
    }
    if let Some(r) = u.fragment().and_then(form_text) {
        out.set_fragment(Some(&r));
    }
    out.to_string()
}

/// A form-encoded string with its secret values hidden, or `None` when it has none.
fn form_text(text: &str) -> Option<String> {
    let parsed: Vec<(Cow<'_, str>, Cow<'_, str>)> = url::form_urlencoded::parse(text.as_bytes()).collect();
    if !parsed.iter().any(|(k, _)| is_secret_field(k)) {
        return None;
    }
    let redacted = pairs(parsed.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
    Some(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(redacted).finish())
}

/// A `Location` (absolute or relative to `base`) redacted like [`url`]; a value that is
/// no URL at all is hidden whole when it looks like it carries a secret parameter.
pub fn location(base: &url::Url, value: &str) -> String {
    match base.join(value) {
        Ok(u) => url(&u),
        Err(_) if SECRET_FIELDS.iter().any(|f| value.to_ascii_lowercase().contains(&format!("{f}="))) => marker(value),
        Err(_) => value.to_string(),
    }
}

/// `Authorization: Bearer abc...` becomes `Bearer [redacted 43 bytes]`: the scheme is
/// useful when debugging, the credential never is.
pub fn header_value(name: &str, value: &str) -> String {
    if !is_secret_header(name) {
        return value.to_string();
    }
    match value.split_once(' ') {
        Some((scheme, rest)) if name.eq_ignore_ascii_case("authorization") => {
            format!("{scheme} {}", marker(rest))
        }
        _ => marker(value),
    }
}

/// Secrets this process has sent or received. A server can quote them back (an
/// `error_description` echoing the request body, a `Location` carrying a token), and what it
/// says is printed: [`scrub`] takes them out of every line shown through
/// [`crate::safe_text::clean`], whatever the path that produced it.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
static REVEAL: AtomicBool = AtomicBool::new(false);

/// Shorter values are no secret worth the name, and hiding every occurrence of, say,
/// `"abc"` would mangle ordinary words in messages.
const MIN_SCRUBBED_LEN: usize = 8;

/// `--reveal-secrets`: the user asked to see them, so [`scrub`] leaves text alone.
pub fn reveal(on: bool) {
    REVEAL.store(on, Ordering::Relaxed);
}

/// Whether the user asked to see secrets ([`reveal`]).
pub fn revealing() -> bool {
    REVEAL.load(Ordering::Relaxed)
}

/// Remembers a secret, with the encodings a server may quote it in (form and percent
/// encoding, as it went out in a body or a query).
pub fn remember(secret: &str) {
    if secret.len() < MIN_SCRUBBED_LEN {
        return;
    }
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    for v in [secret.to_string(), form, percent] {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    // Longest first, so that a secret containing another is hidden whole.
    seen.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every remembered secret replaced by a marker (unless revealing).
pub fn scrub(text: &str) -> Cow<'_, str> {
    if REVEAL.load(Ordering::Relaxed) {
        return Cow::Borrowed(text);
    }
    let seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for s in seen.iter() {
        if out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), &marker(s)));
        }
    }
    out
}

fn marker(secret: &str) -> String {
    format!("[redacted {} bytes]", secret.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hides_nested_secrets_and_keeps_the_rest() {
        let v = json!({"access_token":"abc","expires_in":3600,"nested":[{"refresh_token":"xyz"}]});
        let r = json(&v);
        assert_eq!(r["access_token"], "[redacted 3 bytes]");
        assert_eq!(r["expires_in"], 3600);
        assert_eq!(r["nested"][0]["refresh_token"], "[redacted 3 bytes]");
        assert!(!r.to_string().contains("xyz"));
    }

    #[test]
    fn hides_code_in_callback_urls() {
        let u = url::Url::parse("http://127.0.0.1:1/cb?code=SECRET&state=s&iss=x").unwrap();
        let shown = url(&u);
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("state=s"));
    }

    #[test]
    fn hides_tokens_in_fragments_and_passwords() {
        let u = url::Url::parse("https://u:hunter22@app.example/cb#access_token=SECRET&token_type=Bearer").unwrap();
        let shown = url(&u);
        assert!(!shown.contains("SECRET") && !shown.contains("hunter22"), "{shown}");
        assert!(shown.contains("token_type=Bearer"), "{shown}");
        let base = url::Url::parse("http://127.0.0.1:1/token").unwrap();
        let shown = location(&base, "/x?access_token=SECRET");
        assert!(!shown.contains("SECRET") && shown.starts_with("http://127.0.0.1:1/x?"), "{shown}");
    }

    #[test]
    fn remembered_secrets_are_scrubbed_in_every_encoding() {
        remember("sec/ret value+1");
        let said = "bad request: client_secret=sec%2Fret+value%2B1 (was sec/ret value+1, sec%2Fret%20value%2B1)";
        let shown = scrub(said);
        assert!(!shown.contains("sec/ret") && !shown.contains("sec%2Fret"), "{shown}");
        assert!(shown.starts_with("bad request: client_secret=[redacted"), "{shown}");
        remember("short");
        assert_eq!(scrub("a short word"), "a short word");
    }

    #[test]
    fn keeps_the_auth_scheme() {
        assert_eq!(header_value("Authorization", "Bearer abcd"), "Bearer [redacted 4 bytes]");
        assert_eq!(header_value("Content-Type", "text/html"), "text/html");
    }
}
