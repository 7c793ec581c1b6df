//! Which values are secrets, and how they are hidden in traces, errors and documents.
//!
//! One list serves every place that prints something, so a new secret field is hidden
//! everywhere at once.

use serde_json::Value;

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

/// A URL with the values of secret query parameters hidden (callback URLs carry `code`).
pub fn url(u: &url::Url) -> String {
    if u.query().is_none() || !u.query_pairs().any(|(k, _)| is_secret_field(&k)) {
        return u.to_string();
    }
    let mut out = u.clone();
    let redacted: Vec<(String, String)> =
        pairs(u.query_pairs().collect::<Vec<_>>().iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
    out.query_pairs_mut().clear().extend_pairs(redacted);
    out.to_string()
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
    fn keeps_the_auth_scheme() {
        assert_eq!(header_value("Authorization", "Bearer abcd"), "Bearer [redacted 4 bytes]");
        assert_eq!(header_value("Content-Type", "text/html"), "text/html");
    }
}
