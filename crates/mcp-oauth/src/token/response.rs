//! A token endpoint's success answer, read leniently (RFC 6749 §5.1 as servers in the
//! field send it), and the checks that keep a token from smuggling headers: every token
//! stored or printed went through [`parse_response`], so these checks are made once.

use crate::error::{Error, Result};
use crate::secret::Secret;
use serde_json::{Map, Value};

/// A successful token response (RFC 6749 §5.1), parsed leniently.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub token_type: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<Secret>,
    pub scope: Option<String>,
    pub id_token: Option<Secret>,
    pub extra: Map<String, Value>,
}

/// RFC 6749 §5.1, leniently: servers in the field send `expires_in` as a string (Azure
/// AD), omit `token_type`, or send `scope` as an array. None of that should stop a user.
pub fn parse_response(body: &Map<String, Value>, url: &str) -> Result<TokenResponse> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
    let access_token =
        text("access_token").ok_or_else(|| Error::protocol(url, "token response has no access_token"))?;
    let expires_in = crate::lenient::number(body.get("expires_in"));
    let scope = match body.get("scope") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Array(a)) => {
            let parts: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => None,
    };
    let token_type = text("token_type").unwrap_or_else(|| "Bearer".into());
    let refresh_token = text("refresh_token");
    check_header_safe(&access_token, &token_type, refresh_token.as_deref()).map_err(|why| Error::protocol(url, why))?;
    const KNOWN: [&str; 6] = ["access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token"];
    Ok(TokenResponse {
        access_token: Secret::from(access_token),
        token_type,
        expires_in,
        refresh_token: refresh_token.map(Secret::from),
        scope,
        id_token: text("id_token").map(Secret::from),
        extra: body.iter().filter(|(k, _)| !KNOWN.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect(),
    })
}

/// Tokens end up in headers (`curl -H "Authorization: Bearer $(mcp-token URL)"`), so one
/// holding a CR/LF would let a server add headers of its choosing to the user's requests.
/// The syntax the specs give them keeps every such byte out: RFC 6750 §2.1 `b64token` for
/// the access token, RFC 9110 §5.6.2 `token` for its type, and no controls or spaces in a
/// refresh token (RFC 6749 Appendix A.17: VSCHAR). The values are never quoted back.
pub fn check_header_safe(
    access_token: &str,
    token_type: &str,
    refresh_token: Option<&str>,
) -> std::result::Result<(), String> {
    if !is_b64token(access_token) {
        return Err(format!(
            "token response: the access_token ({} bytes) is not an RFC 6750 b64token (letters, digits, -._~+/ and trailing =); refused, nothing stored",
            access_token.len()
        ));
    }
    if !is_http_token(token_type) {
        return Err("token response: the token_type is not an RFC 9110 token; refused, nothing stored".into());
    }
    if refresh_token.is_some_and(|r| !r.bytes().all(|b| (0x21..=0x7e).contains(&b))) {
        return Err(
            "token response: the refresh_token holds spaces, controls or non-ASCII characters (RFC 6749 A.17); refused, nothing stored".into(),
        );
    }
    Ok(())
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// RFC 9110 §5.6.2 `token`: one or more `tchar`.
pub fn is_http_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A token response as `https://as.example/token` would answer; for the other token modules' tests too.
    pub(in crate::token) fn parse(v: Value) -> Result<TokenResponse> {
        parse_response(v.as_object().unwrap(), "https://as.example/token")
    }

    #[test]
    fn lenient_where_servers_are_sloppy() {
        let r = parse(json!({"access_token":"at","expires_in":"3600","scope":["a","b"]})).unwrap();
        assert_eq!(r.expires_in, Some(3600));
        assert_eq!(r.token_type, "Bearer", "missing token_type defaults to Bearer");
        assert_eq!(r.scope.as_deref(), Some("a b"));
        let r = parse(json!({"access_token":"at","token_type":"DPoP","expires_in":59.9,"x":1})).unwrap();
        assert_eq!(r.token_type, "DPoP", "case and value kept as sent");
        assert_eq!(r.expires_in, Some(59));
        assert_eq!(r.extra["x"], 1);
    }

    #[test]
    fn tokens_that_could_smuggle_headers_are_refused() {
        for bad in [
            json!({"access_token":"at\r\nX-Evil: 1"}),
            json!({"access_token":"a b"}),
            json!({"access_token":"=="}),
            json!({"access_token":"at","token_type":"Bearer\r\nX-Evil: 1"}),
            json!({"access_token":"at","token_type":"Bear er"}),
            json!({"access_token":"at","refresh_token":"rt\nx"}),
            json!({"access_token":"at","refresh_token":"rt\u{1b}]0;x"}),
        ] {
            let e = parse(bad.clone()).unwrap_err();
            assert_eq!(e.exit_code().code(), 3, "{bad}");
            assert!(!e.to_string().contains("Evil"), "the value is not quoted: {e}");
        }
        let ok = parse(json!({"access_token":"eyJ.a-b_c~d+e/f==","token_type":"DPoP","refresh_token":"r!t#1"}));
        assert!(ok.is_ok());
    }

    #[test]
    fn no_access_token_is_a_protocol_error() {
        let e = parse(json!({"token_type":"Bearer"})).unwrap_err();
        assert_eq!(e.exit_code().code(), 3);
    }
}
