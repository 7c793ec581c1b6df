//! Every JWT that passes by, decoded for the trace: found by its shape wherever it is
//! (headers, query, form fields, JSON members at any depth), so access tokens, ID tokens,
//! ID-JAGs, client assertions, DPoP proofs and software statements are all shown without
//! each flow asking for it.
//!
//! Shown: the header and the claims, `exp`/`iat`/`nbf` as dates, `iss`/`aud` compared with
//! what the step expects. Never the signature, and never the token itself unless the user
//! asked to reveal secrets: the claims alone authenticate nobody. Claims named like secrets
//! (`access_token`, `assertion`, ...) are redacted as everywhere else, and so is any claim
//! whose value is itself a JWT (a token nested in another). `nonce`, `jti`, `at_hash` and
//! `cnf` are shown: they are one-time anti-replay values, identifiers or hashes, used up by
//! the time the trace is read and useless without the token, and they are exactly what a
//! person chasing a "nonce mismatch" or a replayed assertion needs to see.

use super::Expect;
use crate::http::{Body, Request, Response};
use crate::redact;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedToken {
    /// Where it was: "request header DPoP", "response body access_token", ...
    pub location: String,
    /// The member, field or header that held it.
    pub field: String,
    pub header: Value,
    pub claims: Value,
    pub times: Vec<TimeClaim>,
    pub checks: Vec<ClaimCheck>,
    /// The token itself, only with `--reveal-secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `exp`, `iat` or `nbf`: seconds since the epoch and the date they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeClaim {
    pub claim: String,
    pub value: i64,
    pub date: String,
}

/// An `iss` or `aud` compared with what the step expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimCheck {
    pub claim: String,
    pub expected: String,
    pub ok: bool,
}

/// A JWT-shaped value and where it was.
pub(super) struct Found {
    location: String,
    field: String,
    value: String,
}

const TIME_CLAIMS: [&str; 3] = ["exp", "iat", "nbf"];

/// Three base64url parts whose first two are JSON objects, the first naming an `alg`.
pub fn is_jwt(value: &str) -> bool {
    value.starts_with("ey")
        && value.matches('.').count() == 2
        && crate::jwt::decode_unverified(value).is_some_and(|(h, _)| h.get("alg").is_some_and(Value::is_string))
}

fn push(out: &mut Vec<Found>, location: &str, field: &str, value: &str) {
    // A header value may carry a scheme before the token: `Bearer eyJ...`, `DPoP eyJ...`.
    let value = value.rsplit(' ').next().unwrap_or(value).trim();
    if is_jwt(value) && !out.iter().any(|f| f.value == value && f.field == field) {
        out.push(Found { location: format!("{location} {field}"), field: field.to_string(), value: value.into() });
    }
}

fn json_members(out: &mut Vec<Found>, location: &str, v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) => push(out, location, k, s),
                    other => json_members(out, location, other),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| json_members(out, location, i)),
        _ => {}
    }
}

pub(super) fn scan_request(req: &Request, out: &mut Vec<Found>) {
    for (n, v) in &req.headers {
        push(out, "request header", n, v);
    }
    for (k, v) in req.url.query_pairs() {
        push(out, "request query", &k, &v);
    }
    match &req.body {
        Body::Empty => {}
        Body::Form(f) => f.iter().for_each(|(k, v)| push(out, "request form", k, v)),
        Body::Json(v) => json_members(out, "request body", v),
    }
}

pub(super) fn scan_response(r: &Response, out: &mut Vec<Found>) {
    for (n, v) in &r.headers {
        push(out, "response header", n, v);
    }
    if let Ok(v) = serde_json::from_slice::<Value>(&r.body) {
        json_members(out, "response body", &v);
    } else if r.media_type().as_deref() == Some("application/x-www-form-urlencoded") {
        for (k, v) in url::form_urlencoded::parse(&r.body) {
            push(out, "response form", &k, &v);
        }
    } else if let Ok(text) = std::str::from_utf8(&r.body) {
        // application/jwt: a token as the whole body (signed metadata, userinfo).
        push(out, "response body", "(whole body)", text.trim());
    }
}

pub(super) fn decode(found: Vec<Found>, expects: &[Expect], reveal: bool) -> Vec<DecodedToken> {
    found
        .into_iter()
        .filter_map(|f| {
            let (header, claims) = crate::jwt::decode_unverified(&f.value)?;
            Some(DecodedToken {
                times: times(&claims),
                checks: checks(&f.field, &claims, expects),
                claims: if reveal { claims } else { hide_nested(&redact::json(&claims)) },
                header,
                token: reveal.then(|| f.value.clone()),
                location: f.location,
                field: f.field,
            })
        })
        .collect()
}

fn times(claims: &Value) -> Vec<TimeClaim> {
    TIME_CLAIMS
        .iter()
        .filter_map(|c| {
            let value = claims.get(*c)?.as_i64()?;
            let date = u64::try_from(value).map_or_else(|_| "before 1970".into(), crate::docker_gateway::rfc3339);
            Some(TimeClaim { claim: c.to_string(), value, date })
        })
        .collect()
}

fn checks(field: &str, claims: &Value, expects: &[Expect]) -> Vec<ClaimCheck> {
    expects
        .iter()
        .filter(|e| e.field.as_deref().is_none_or(|f| f.eq_ignore_ascii_case(field)))
        .map(|e| {
            let ok = match claims.get(&e.claim) {
                Some(Value::String(s)) => *s == e.value,
                Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(e.value.as_str())),
                _ => false,
            };
            ClaimCheck { claim: e.claim.clone(), expected: e.value.clone(), ok }
        })
        .collect()
}

/// A claim that is itself a JWT is a token of its own: hidden like one.
fn hide_nested(v: &Value) -> Value {
    match v {
        Value::String(s) if is_jwt(s) => Value::String(format!("[redacted JWT, {} bytes]", s.len())),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), hide_nested(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(hide_nested).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn jwt(header: Value, claims: Value) -> String {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2lnbmF0dXJl", enc(&header), enc(&claims))
    }

    #[test]
    fn jwts_are_found_anywhere_and_decoded_without_token_or_signature() {
        let nested = jwt(json!({"alg":"none"}), json!({"sub":"inner"}));
        let at = jwt(
            json!({"alg":"RS256","typ":"at+jwt"}),
            json!({"iss":"https://as.example","aud":["https://rs.example"],"exp":1_764_607_222,"nonce":"n-1","act":nested}),
        );
        let proof = jwt(json!({"alg":"ES256","typ":"dpop+jwt"}), json!({"htm":"POST"}));
        let url = url::Url::parse("https://as.example/token").unwrap();
        let req = Request::post_form(url.clone(), vec![("client_assertion".into(), at.clone())])
            .header("DPoP", proof.clone())
            .header("Authorization", format!("Bearer {at}"));
        let resp = Response {
            url,
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: json!({"token_type":"Bearer","tokens":[{"id_token":at}],"opaque":"a.b.c"}).to_string().into_bytes(),
            quotable: false,
        };
        let mut found = Vec::new();
        scan_request(&req, &mut found);
        scan_response(&resp, &mut found);
        let expects = [
            Expect { field: Some("id_token".into()), claim: "aud".into(), value: "https://rs.example".into() },
            Expect { field: None, claim: "iss".into(), value: "https://other.example".into() },
        ];
        let decoded = decode(found, &expects, false);
        let places: Vec<&str> = decoded.iter().map(|d| d.location.as_str()).collect();
        assert_eq!(
            places,
            [
                "request header DPoP",
                "request header Authorization",
                "request form client_assertion",
                "response body id_token"
            ]
        );
        let id = &decoded[3];
        assert_eq!(id.header["typ"], "at+jwt");
        assert_eq!(id.claims["nonce"], "n-1");
        assert_eq!(id.claims["act"], format!("[redacted JWT, {} bytes]", nested.len()));
        assert_eq!(
            id.times,
            [TimeClaim { claim: "exp".into(), value: 1_764_607_222, date: "2025-12-01T16:40:22Z".into() }]
        );
        let checks: Vec<(&str, bool)> = id.checks.iter().map(|c| (c.claim.as_str(), c.ok)).collect();
        assert_eq!(checks, [("aud", true), ("iss", false)]);
        let shown = serde_json::to_string(&decoded).unwrap();
        assert!(!shown.contains(&at) && !shown.contains("c2lnbmF0dXJl") && !shown.contains(&nested), "{shown}");
        assert!(
            decode(vec![Found { location: "x".into(), field: "f".into(), value: at.clone() }], &[], true)[0]
                .token
                .as_deref()
                .is_some_and(|t| t == at)
        );
    }
}
