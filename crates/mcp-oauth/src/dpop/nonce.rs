//! Server nonces (RFC 9449 §8, §9): remembered per server, and the challenge that asks for one.
//!
//! Remembered for this process only, keyed by role and origin (a nonce is valid only at the
//! server that issued it, and an AS and an MCP server may share an origin). Not persisted: a
//! stored nonce would cost a store write (a gpg encryption with pass) at every rotation to save
//! one round trip at the next process's first request, and servers rotate nonces often
//! (oidc-provider every 60 s), so a stored one would often be stale and cost that trip anyway.
//! `mcp-token` has the caller pass the nonce it got (`--dpop-nonce`) instead.

use crate::http::Response;
use std::sync::Mutex;
use url::Url;

/// Which kind of server a nonce comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An authorization server's token endpoint (challenge: 400 `use_dpop_nonce`).
    Token,
    /// An MCP server (challenge: 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"`).
    Resource,
}

static NONCES: Mutex<Vec<(Role, String, String)>> = Mutex::new(Vec::new());

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The nonce last received from the server at `url`.
pub fn get(role: Role, url: &Url) -> Option<String> {
    let o = origin(url);
    let nonces = NONCES.lock().unwrap_or_else(|p| p.into_inner());
    nonces.iter().find(|(r, at, _)| *r == role && *at == o).map(|(_, _, n)| n.clone())
}

/// RFC 9449 §8: `1*NQCHAR` (printable ASCII but `"` and `\`).
pub fn is_nonce(s: &str) -> bool {
    let nqchar = |b: u8| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b);
    !s.is_empty() && s.bytes().all(nqchar)
}

/// The `DPoP-Nonce` of an answer: at most one header, and a valid nonce; anything else is
/// not a nonce to send back.
pub fn from_response(resp: &Response) -> Option<String> {
    let mut values = resp.headers_named("dpop-nonce");
    let nonce = values.next()?;
    (values.next().is_none() && is_nonce(nonce)).then(|| nonce.to_string())
}

/// Keeps the `DPoP-Nonce` of any answer, success or not (§8.2: the next request uses it).
pub fn remember(role: Role, resp: &Response) {
    let Some(nonce) = from_response(resp) else { return };
    let o = origin(&resp.url);
    let mut nonces = NONCES.lock().unwrap_or_else(|p| p.into_inner());
    nonces.retain(|(r, at, _)| !(*r == role && *at == o));
    nonces.push((role, o, nonce));
}

/// Forgets what an earlier test's server at the same (reused) port said.
#[cfg(test)]
pub(crate) fn forget(url: &Url) {
    let o = origin(url);
    NONCES.lock().unwrap_or_else(|p| p.into_inner()).retain(|(_, at, _)| *at != o);
}

/// The nonce a `use_dpop_nonce` challenge asks for, when `resp` is one and carries it.
pub fn challenged(role: Role, resp: &Response) -> Option<String> {
    let asked = match role {
        Role::Token => resp.status == 400 && resp.oauth_error().is_some_and(|e| e.error == "use_dpop_nonce"),
        Role::Resource => {
            resp.status == 401
                && crate::www_authenticate::parse_all(resp.headers_named("www-authenticate"))
                    .iter()
                    .any(|c| c.is_scheme("DPoP") && c.error() == Some("use_dpop_nonce"))
        }
    };
    if asked { from_response(resp) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(url: &str, status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            url: Url::parse(url).unwrap(),
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
            quotable: true,
        }
    }

    #[test]
    fn challenges_are_recognised_per_role() {
        let body = r#"{"error":"use_dpop_nonce"}"#;
        let at_as = resp("http://127.0.0.1:1/token", 400, &[("dpop-nonce", "n1")], body);
        assert_eq!(challenged(Role::Token, &at_as).as_deref(), Some("n1"));
        assert_eq!(challenged(Role::Resource, &at_as), None);
        let no_header = resp("http://127.0.0.1:1/token", 400, &[], body);
        assert_eq!(challenged(Role::Token, &no_header), None, "no nonce given: nothing to retry with");
        let at_rs = resp(
            "http://127.0.0.1:1/mcp",
            401,
            &[("www-authenticate", r#"Bearer, DPoP error="use_dpop_nonce", algs="ES256""#), ("dpop-nonce", "n2")],
            "",
        );
        assert_eq!(challenged(Role::Resource, &at_rs).as_deref(), Some("n2"));
        let two = resp("http://127.0.0.1:1/t", 400, &[("dpop-nonce", "a"), ("dpop-nonce", "b")], body);
        assert_eq!(challenged(Role::Token, &two), None, "at most one header");
        let bad = resp("http://127.0.0.1:1/t", 400, &[("dpop-nonce", "a b\"")], body);
        assert_eq!(from_response(&bad), None, "not NQCHAR");
    }

    #[test]
    fn nonces_are_kept_per_role_and_origin() {
        remember(Role::Token, &resp("http://127.0.0.1:7/token", 200, &[("dpop-nonce", "t1")], "{}"));
        remember(Role::Resource, &resp("http://127.0.0.1:7/mcp", 200, &[("dpop-nonce", "r1")], ""));
        let u = Url::parse("http://127.0.0.1:7/other?q").unwrap();
        assert_eq!(get(Role::Token, &u).as_deref(), Some("t1"));
        assert_eq!(get(Role::Resource, &u).as_deref(), Some("r1"));
        assert_eq!(get(Role::Token, &Url::parse("http://127.0.0.1:8/token").unwrap()), None);
        remember(Role::Token, &resp("http://127.0.0.1:7/token", 200, &[("dpop-nonce", "t2")], "{}"));
        assert_eq!(get(Role::Token, &u).as_deref(), Some("t2"), "a nonce on a 200 replaces the old one");
    }
}
