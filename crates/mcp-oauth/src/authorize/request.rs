//! The front channel: the authorization request (RFC 6749 §4.1.1 with RFC 7636 PKCE and the
//! RFC 8707 `resource`), the gates before one is sent (PKCE S256 in the metadata, the names
//! an extra parameter may not take, `offline_access` when offered), and the checks on the
//! response that comes back (`state`, the RFC 9207 `iss` table, then `error` or `code`).
//! Each check of MCP 2026-07-28 is one function here with its tests, and every flow that
//! sends a user to an authorization endpoint goes through them (see `code`).

use crate::callback::CallbackParams;
use crate::error::{Error, OAuthErrorBody, Result};
use crate::metadata::AuthorizationServerMetadata;
use crate::remedy::{Input, Remedy};
use crate::scope::Scopes;
use url::Url;

/// Adds `offline_access` when the server advertises it and it is not there yet.
pub fn with_offline_access(scope: Option<&str>, metadata: &AuthorizationServerMetadata) -> Option<String> {
    let mut scopes = Scopes::parse(scope.unwrap_or(""));
    if metadata.supports_scope("offline_access") {
        scopes.add("offline_access");
    }
    scopes.joined()
}

/// MCP 2025-11-25+: refuse a server whose metadata does not list S256. Azure AD and
/// Cognito support PKCE but omit the member; `allow_missing` lets a user proceed with
/// them (S256 is sent regardless). A list *without* S256 is refused either way.
pub fn check_pkce_support(metadata: &AuthorizationServerMetadata, allow_missing: bool) -> Result<()> {
    match &metadata.code_challenge_methods_supported {
        Some(_) if metadata.supports_pkce_s256() => Ok(()),
        Some(methods) => Err(Error::Security(format!(
            "{} supports PKCE only with {:?}, not S256, which MCP requires",
            metadata.issuer, methods
        ))),
        None if allow_missing => Ok(()),
        None => Err(Error::Security(format!(
            "{} does not list code_challenge_methods_supported, so PKCE S256 support is unknown and MCP requires refusing it",
            metadata.issuer
        ))
        .with_hint(Remedy::AllowMissingPkceMetadata)),
    }
}

/// Parameters the flow sets itself; `--auth-param` may not replace them.
const RESERVED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
    "scope",
];

/// Parses `--auth-param k=v` values.
pub fn parse_auth_params(raw: &[String]) -> Result<Vec<(String, String)>> {
    raw.iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| Error::Usage(format!("{p:?} is not NAME=VALUE")).about(Input::AuthParam))?;
            if RESERVED_PARAMS.contains(&k) {
                let e = Error::Usage(format!("{k} is a parameter the authorization request sets itself"));
                let e = if k == "scope" { e.with_hint(Remedy::Use(Input::Scope)) } else { e };
                return Err(e.about(Input::AuthParam));
            }
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

/// The parts of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2).
#[derive(Debug, Clone)]
pub struct AuthorizationRequest<'a> {
    pub authorization_endpoint: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub state: &'a str,
    pub scope: Option<&'a str>,
    pub resource: &'a str,
    /// `--auth-param` values (already checked against the reserved names).
    pub extra: &'a [(String, String)],
}

impl AuthorizationRequest<'_> {
    /// The URL to send the user to. The endpoint must be https (or http on loopback): it
    /// is about to be opened in a browser. Its own query parameters are kept.
    pub fn url(&self) -> Result<Url> {
        let mut url = crate::url_policy::endpoint("authorization endpoint", self.authorization_endpoint)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.client_id)
                .append_pair("redirect_uri", self.redirect_uri)
                .append_pair("code_challenge", self.code_challenge)
                .append_pair("code_challenge_method", crate::pkce::METHOD)
                .append_pair("state", self.state);
            // Empty for an enterprise IdP login, which is for no MCP resource.
            if !self.resource.is_empty() {
                q.append_pair("resource", self.resource);
            }
            if let Some(scope) = self.scope.filter(|s| !s.is_empty()) {
                q.append_pair("scope", scope);
                // OIDC Core §11: offline_access is ignored without prompt=consent.
                let offline = scope.split_whitespace().any(|s| s == "offline_access");
                if offline && !self.extra.iter().any(|(k, _)| k == "prompt") {
                    q.append_pair("prompt", "consent");
                }
            }
            for (k, v) in self.extra {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }
}

/// RFC 6749 §10.12: the response must carry the `state` we sent, compared without a
/// timing side channel.
pub fn check_state(expected: &str, got: Option<&str>) -> Result<()> {
    match got {
        Some(s) if crate::pkce::constant_time_eq(expected, s) => Ok(()),
        Some(_) => Err(Error::Security(
            "the authorization response has a different state than the request: it was not started here, or was tampered with".into(),
        )),
        None => Err(Error::Security("the authorization response has no state: refusing it".into())),
    }
}

/// RFC 9207 §2.4 as MCP 2026-07-28 tabulates it. The comparison is a simple string
/// comparison: no normalisation of case, port, trailing slash or percent-encoding.
pub fn check_iss(iss_supported: Option<bool>, expected_issuer: &str, got: Option<&str>) -> Result<()> {
    match (iss_supported == Some(true), got) {
        (_, Some(iss)) if iss == expected_issuer => Ok(()),
        (_, Some(iss)) => Err(Error::Security(format!(
            "the authorization response comes from issuer {iss:?}, not {expected_issuer:?} (RFC 9207 mix-up protection)"
        ))),
        (true, None) => Err(Error::Security(format!(
            "{expected_issuer} promises an iss parameter in authorization responses (authorization_response_iss_parameter_supported) but this one has none (RFC 9207)"
        ))),
        (false, None) => Ok(()),
    }
}

/// Validates an authorization response and returns its code: `state` first, then `iss`,
/// and only then is `error` looked at (a mismatched response's error text is the
/// attacker's and is not shown).
pub fn validate_response(
    params: &CallbackParams,
    expected_state: &str,
    iss_supported: Option<bool>,
    expected_issuer: &str,
) -> Result<crate::secret::Secret> {
    crate::trace::run(
        "callback received",
        |_| {
            crate::trace::detail("parameters", params.pairs());
            let state = check_state(expected_state, params.state.as_deref());
            traced_check("state", state, "the request's".into())?;
            let iss = check_iss(iss_supported, expected_issuer, params.iss.as_deref());
            let said = match &params.iss {
                Some(_) => format!("the issuer {expected_issuer}"),
                None => "absent, which the server's metadata allows (RFC 9207)".into(),
            };
            traced_check("iss", iss, said)?;
            read_response(params, expected_issuer)
        },
        |_| "a code came back".into(),
    )
}

/// A check's result in the trace: passed with what matched, or failed with why.
fn traced_check(name: &str, result: Result<()>, matched: String) -> Result<()> {
    match &result {
        Ok(()) => crate::trace::check(name, true, matched),
        Err(e) => crate::trace::check(name, false, e.to_string()),
    }
    result
}

/// The code of a response whose `state` and `iss` passed, or the error it carries.
fn read_response(params: &CallbackParams, expected_issuer: &str) -> Result<crate::secret::Secret> {
    if let Some(error) = &params.error {
        let body = OAuthErrorBody {
            error: error.clone(),
            error_description: params.error_description.clone(),
            error_uri: params.error_uri.clone(),
            ..Default::default()
        };
        return Err(match error.as_str() {
            // The user (or a policy acting for them) said no: not a protocol failure.
            "access_denied" | "consent_required" | "login_required" | "interaction_required" => {
                Error::AuthorizationFailed(format!("authorization declined: {body}"))
            }
            _ => Error::OAuth { context: "authorization".into(), body },
        });
    }
    params
        .code
        .clone()
        .filter(|c| !c.is_empty())
        .map(crate::secret::Secret::from)
        .ok_or_else(|| Error::protocol(expected_issuer, "the authorization response has neither code nor error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(extra: serde_json::Value) -> AuthorizationServerMetadata {
        let mut v = serde_json::json!({"issuer": "https://as.example"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    fn params(q: &str) -> CallbackParams {
        CallbackParams::from_query(q).unwrap()
    }

    #[test]
    fn authorization_url_has_every_parameter() {
        let extra = vec![("access_type".to_string(), "offline".to_string())];
        let req = AuthorizationRequest {
            authorization_endpoint: "https://as.example/authorize?tenant=x",
            client_id: "cid",
            redirect_uri: "http://127.0.0.1:5000/callback",
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            state: "st",
            scope: Some("mcp:read offline_access"),
            resource: "https://mcp.example/mcp",
            extra: &extra,
        };
        let url = req.url().unwrap();
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().filter(|(n, _)| n == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!(get("tenant"), ["x"], "the endpoint's own query survives");
        assert_eq!(get("response_type"), ["code"]);
        assert_eq!(get("client_id"), ["cid"]);
        assert_eq!(get("redirect_uri"), ["http://127.0.0.1:5000/callback"]);
        assert_eq!(get("code_challenge"), ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"]);
        assert_eq!(get("code_challenge_method"), ["S256"]);
        assert_eq!(get("state"), ["st"]);
        assert_eq!(get("resource"), ["https://mcp.example/mcp"]);
        assert_eq!(get("scope"), ["mcp:read offline_access"]);
        assert_eq!(get("prompt"), ["consent"], "offline_access asks for consent");
        assert_eq!(get("access_type"), ["offline"]);
        assert!(url.as_str().contains("scope=mcp%3Aread+offline_access"), "{url}");
    }

    #[test]
    fn authorization_url_without_scope_or_with_user_prompt() {
        let extra = vec![("prompt".to_string(), "login".to_string())];
        let mut req = AuthorizationRequest {
            authorization_endpoint: "http://127.0.0.1:1/auth",
            client_id: "c",
            redirect_uri: "http://127.0.0.1:2/cb",
            code_challenge: "x",
            state: "s",
            scope: None,
            resource: "http://127.0.0.1:3/mcp",
            extra: &[],
        };
        let url = req.url().unwrap();
        assert!(!url.query_pairs().any(|(k, _)| k == "scope" || k == "prompt"), "{url}");
        req.scope = Some("offline_access");
        req.extra = &extra;
        let prompts: Vec<String> =
            req.url().unwrap().query_pairs().filter(|(k, _)| k == "prompt").map(|(_, v)| v.into_owned()).collect();
        assert_eq!(prompts, ["login"], "the user's prompt wins");
        req.authorization_endpoint = "http://as.example/auth";
        assert_eq!(req.url().unwrap_err().exit_code().code(), 5, "plain http off loopback is refused");
    }

    #[test]
    fn auth_params_are_parsed_and_reserved_names_refused() {
        let ok = parse_auth_params(&["access_type=offline".into(), "prompt=consent".into(), "x=a=b".into()]).unwrap();
        assert_eq!(ok[2], ("x".to_string(), "a=b".to_string()));
        for bad in ["novalue", "=v", "state=x", "resource=x", "scope=a", "code_challenge_method=plain"] {
            assert_eq!(parse_auth_params(&[bad.into()]).unwrap_err().exit_code().code(), 2, "{bad}");
        }
    }

    #[test]
    fn offline_access_only_when_advertised() {
        let with = metadata(serde_json::json!({"scopes_supported": ["openid", "offline_access"]}));
        let without = metadata(serde_json::json!({"scopes_supported": ["openid"]}));
        assert_eq!(with_offline_access(Some("a b"), &with).as_deref(), Some("a b offline_access"));
        assert_eq!(with_offline_access(None, &with).as_deref(), Some("offline_access"));
        assert_eq!(with_offline_access(Some("offline_access a"), &with).as_deref(), Some("offline_access a"));
        assert_eq!(with_offline_access(Some("a"), &without).as_deref(), Some("a"));
        assert_eq!(with_offline_access(None, &without), None);
    }

    #[test]
    fn pkce_support_gate() {
        let s256 = metadata(serde_json::json!({"code_challenge_methods_supported": ["plain", "S256"]}));
        let plain = metadata(serde_json::json!({"code_challenge_methods_supported": ["plain"]}));
        let missing = metadata(serde_json::json!({}));
        assert!(check_pkce_support(&s256, false).is_ok());
        assert_eq!(check_pkce_support(&plain, true).unwrap_err().exit_code().code(), 5, "override is for absence only");
        let e = check_pkce_support(&missing, false).unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
        let msg = e.to_string();
        assert!(msg.contains("Azure AD") && msg.contains("Cognito"), "{msg}");
        assert_eq!(e.remedy(), Some(&Remedy::AllowMissingPkceMetadata), "the command line names the flag");
        assert!(check_pkce_support(&missing, true).is_ok());
    }

    #[test]
    fn state_check() {
        assert!(check_state("abc", Some("abc")).is_ok());
        assert_eq!(check_state("abc", Some("abd")).unwrap_err().exit_code().code(), 5);
        assert_eq!(check_state("abc", Some("")).unwrap_err().exit_code().code(), 5);
        assert_eq!(check_state("abc", None).unwrap_err().exit_code().code(), 5);
    }

    #[test]
    fn iss_table_rfc9207() {
        let i = "https://as.example/tenant";
        // supported = true: present -> compare; absent -> reject.
        assert!(check_iss(Some(true), i, Some(i)).is_ok());
        assert!(check_iss(Some(true), i, None).is_err());
        // supported false or absent: present -> compare; absent -> proceed.
        assert!(check_iss(Some(false), i, Some(i)).is_ok());
        assert!(check_iss(None, i, Some(i)).is_ok());
        assert!(check_iss(Some(false), i, None).is_ok());
        assert!(check_iss(None, i, None).is_ok());
        // Mismatch in every row, with no normalisation at all.
        for supported in [Some(true), Some(false), None] {
            for other in [
                "https://as.example/tenant/",
                "HTTPS://as.example/tenant",
                "https://AS.example/tenant",
                "https://as.example:443/tenant",
                "https://as.example/%74enant",
                "https://evil.example",
                "",
            ] {
                let e = check_iss(supported, i, Some(other)).unwrap_err();
                assert_eq!(e.exit_code().code(), 5, "{supported:?} {other}");
            }
        }
    }

    #[test]
    fn response_validation_order_and_error_mapping() {
        let i = "https://as.example";
        assert_eq!(
            validate_response(&params("code=c&state=s&iss=https://as.example"), "s", Some(true), i).unwrap().expose(),
            "c"
        );
        // A wrong state or iss is refused before the error is even looked at, and the
        // attacker's description is not repeated.
        for q in [
            "error=access_denied&error_description=EVIL&state=x",
            "error=access_denied&error_description=EVIL&state=s&iss=https://evil",
        ] {
            let e = validate_response(&params(q), "s", None, i).unwrap_err();
            assert_eq!(e.exit_code().code(), 5, "{q}");
            assert!(!e.to_string().contains("EVIL"), "{e}");
        }
        let e = validate_response(&params("error=access_denied&error_description=no+way&state=s"), "s", None, i)
            .unwrap_err();
        assert_eq!(e.exit_code().code(), 8);
        assert!(e.to_string().contains("no way"), "{e}");
        let e = validate_response(&params("error=invalid_scope&state=s"), "s", None, i).unwrap_err();
        assert_eq!(e.exit_code().code(), 3);
        assert_eq!(e.oauth_error(), Some("invalid_scope"));
        let e = validate_response(&params("code=&state=s"), "s", None, i).unwrap_err();
        assert_eq!(e.exit_code().code(), 3);
    }
}
