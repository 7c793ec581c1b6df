//! Pre-flight of an ID-JAG before it is sent to the MCP authorization server (ID-JAG §3,
//! EMA §4): decoded, never trusted (the MCP AS verifies it), only so that an IdP that
//! issued it for another audience, client or resource is caught here with a clear message
//! instead of handing another server's grant to this one.

use crate::error::{Error, Result};
use serde_json::Value;

/// ID-JAG §3.1: the header `typ`.
pub const TYP: &str = "oauth-id-jag+jwt";

/// What the ID-JAG must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The IdP, for messages.
    pub idp: &'a str,
    /// The MCP AS issuer.
    pub audience: &'a str,
    /// The client's id at the MCP AS (ID-JAG §4.4.1).
    pub client_id: &'a str,
    pub resource: &'a str,
}

pub fn check(id_jag: &str, want: &Expected<'_>, now: u64) -> Result<()> {
    // A JWE (five parts) cannot be read here; EMA §7.4.3 allows it, so it goes as it is.
    if id_jag.split('.').count() == 5 {
        return Ok(());
    }
    let (header, claims) = crate::jwt::decode_unverified(id_jag)
        .ok_or_else(|| Error::protocol(want.idp, "the ID-JAG the IdP issued is not a JWT"))?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    if !text(&header, "typ").is_some_and(|t| t.eq_ignore_ascii_case(TYP)) {
        return Err(Error::protocol(want.idp, format!("the ID-JAG the IdP issued has no typ {TYP}")));
    }
    let aud = match claims.get("aud") {
        Some(Value::String(a)) => Some(a.as_str()),
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_str(),
        _ => None,
    };
    let refuse = |what: &str, got: Option<&str>, want_value: &str| {
        Error::Security(format!(
            "the IdP {} issued an ID-JAG for {what} {}, not {want_value:?}: not sending it to {}",
            want.idp,
            got.map(|g| format!("{g:?}")).unwrap_or_else(|| "(none)".into()),
            want.audience
        ))
    };
    if aud != Some(want.audience) {
        return Err(refuse("audience", aud, want.audience));
    }
    let client_id = text(&claims, "client_id");
    if client_id.as_deref() != Some(want.client_id) {
        return Err(refuse("client_id", client_id.as_deref(), want.client_id));
    }
    if let Some(resource) = text(&claims, "resource").filter(|r| r != want.resource) {
        return Err(refuse("resource", Some(&resource), want.resource));
    }
    match crate::lenient::number(claims.get("exp")) {
        Some(exp) if exp > now => Ok(()),
        _ => Err(Error::protocol(want.idp, "the ID-JAG the IdP issued has already expired (or has no exp)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn jwt(header: Value, claims: Value) -> String {
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.sig", enc(header), enc(claims))
    }

    const WANT: Expected<'static> = Expected {
        idp: "https://idp.example",
        audience: "https://as.example",
        client_id: "c",
        resource: "https://mcp.example/mcp",
    };

    fn good() -> Value {
        json!({"iss": "https://idp.example", "sub": "u", "aud": "https://as.example", "client_id": "c",
               "resource": "https://mcp.example/mcp", "jti": "j", "iat": 100, "exp": 400})
    }

    #[test]
    fn a_matching_id_jag_passes() {
        assert!(check(&jwt(json!({"typ": TYP, "alg": "ES256"}), good()), &WANT, 200).is_ok());
        let mut no_resource = good();
        no_resource.as_object_mut().unwrap().remove("resource");
        assert!(check(&jwt(json!({"typ": TYP}), no_resource), &WANT, 200).is_ok(), "resource is optional");
        assert!(check("a.b.c.d.e", &WANT, 200).is_ok(), "a JWE is sent uninspected");
    }

    #[test]
    fn another_audience_client_or_resource_is_refused() {
        for (k, v) in [
            ("aud", json!("https://other.example")),
            ("client_id", json!("x")),
            ("resource", json!("https://mcp.example/other")),
        ] {
            let mut claims = good();
            claims[k] = v;
            let e = check(&jwt(json!({"typ": TYP}), claims), &WANT, 200).unwrap_err();
            assert_eq!(e.exit_code().code(), 5, "{k}: {e}");
        }
        let e = check(&jwt(json!({"typ": TYP}), good()), &WANT, 400).unwrap_err();
        assert_eq!(e.exit_code().code(), 3, "expired: {e}");
        let e = check(&jwt(json!({"typ": "JWT"}), good()), &WANT, 200).unwrap_err();
        assert!(e.to_string().contains(TYP), "{e}");
    }
}
