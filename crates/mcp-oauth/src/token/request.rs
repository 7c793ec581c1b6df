//! One grant sent to the token endpoint: the [`Grant`] kinds and their form parameters,
//! the client's authentication, the RFC 8707 `resource`, and with [`Endpoint::dpop`] a DPoP
//! proof on every kind of grant (one `use_dpop_nonce` answered, see `dpop`). The trace step
//! of each request is written here, so every grant is traced the same way; parsing the
//! answer is `response`'s.

use super::response::{TokenResponse, parse_response};
use crate::client::ClientRecord;
use crate::error::{Error, Result};
use crate::grant_type::GrantType;
use crate::http::Http;
use crate::secret::Secret;

/// One token-endpoint grant.
#[derive(Debug, Clone)]
pub enum Grant {
    AuthorizationCode {
        code: Secret,
        code_verifier: Secret,
        redirect_uri: String,
    },
    RefreshToken {
        refresh_token: Secret,
    },
    ClientCredentials,
    /// RFC 8628 §3.4.
    DeviceCode {
        device_code: Secret,
    },
    /// RFC 7523 §2.1: a JWT the client holds (a workload's token, an ID-JAG) as the grant.
    JwtBearer {
        assertion: Secret,
    },
    /// RFC 8693 token exchange (the enterprise IdP's ID-JAG leg, see `enterprise`).
    TokenExchange {
        subject_token: Secret,
        subject_token_type: &'static str,
        requested_token_type: &'static str,
        audience: String,
    },
}

impl Grant {
    pub fn kind(&self) -> GrantType {
        match self {
            Grant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Grant::RefreshToken { .. } => GrantType::RefreshToken,
            Grant::ClientCredentials => GrantType::ClientCredentials,
            Grant::DeviceCode { .. } => GrantType::DeviceCode,
            Grant::JwtBearer { .. } => GrantType::JwtBearer,
            Grant::TokenExchange { .. } => GrantType::Other(TOKEN_EXCHANGE_GRANT.into()),
        }
    }
}

/// Where and as whom a grant is sent.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub token_endpoint: &'a str,
    /// The validated issuer: the `aud` of a `private_key_jwt` assertion.
    pub issuer: &'a str,
    pub client: &'a ClientRecord,
    /// The DPoP key every request of this grant carries a proof of (RFC 9449 §5).
    pub dpop: Option<&'a crate::dpop::Binding>,
}

/// RFC 8628 §3.4 grant type (also what a client registers to be allowed to use it).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 7523 §2.1 grant type, sent as `grant_type` and listed in `grant_types_supported`.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// RFC 8693 §2.1 grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// RFC 6749 §4.4 grant type, as servers list it in `grant_types_supported`.
pub const CLIENT_CREDENTIALS_GRANT: &str = "client_credentials";

/// Connects to the token endpoint ahead of a request known to come (see [`Http::warm_up`]);
/// only to an endpoint that [`request`] would send to.
pub fn warm_up(http: &Http, token_endpoint: &str) {
    if let Ok(url) = crate::url_policy::endpoint("token endpoint", token_endpoint) {
        http.warm_up(&url);
    }
}

/// Sends one grant to the token endpoint and returns the parsed success response. An
/// OAuth error answer becomes [`Error::OAuth`] (so `invalid_grant` is recognisable).
/// `scope` is sent when given; refreshes normally omit it (RFC 6749 §6: same scope).
pub fn request(
    http: &Http,
    endpoint: Endpoint<'_>,
    grant: &Grant,
    resource: &str,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    let kind = grant.kind();
    let name = match kind {
        GrantType::AuthorizationCode => "token request".to_string(),
        GrantType::RefreshToken => "refresh".to_string(),
        other => format!("token request ({other})"),
    };
    let step = crate::trace::Step::begin(name);
    for field in ["access_token", "id_token"] {
        step.expect(Some(field), "iss", endpoint.issuer);
    }
    step.expect(Some("access_token"), "aud", resource);
    step.expect(Some("id_token"), "aud", &endpoint.client.client_id);
    step.expect(Some("client_assertion"), "aud", endpoint.issuer);
    let result = {
        let _entered = step.enter();
        send_grant(http, endpoint, grant, resource, scope)
    };
    let (ok, outcome) = outcome(&result);
    step.end(ok, outcome);
    result
}

/// A token request's outcome for the trace. RFC 8628 §3.5: "not yet" is how every device
/// poll but the last one ends, not a failure.
fn outcome(result: &Result<TokenResponse>) -> (bool, String) {
    match result {
        Ok(t) => (true, issued(t)),
        Err(e) => match e.oauth_error() {
            Some(pending @ ("authorization_pending" | "slow_down")) => (true, format!("{pending}: polling on")),
            _ => (false, crate::trace::failure(e)),
        },
    }
}

/// A token response in a few words, for the trace.
fn issued(t: &TokenResponse) -> String {
    let mut said = format!("issued a {} access token", t.token_type);
    if let Some(e) = t.expires_in {
        said += &format!(" for {e} s");
    }
    if let Some(s) = &t.scope {
        said += &format!(", scope \"{s}\"");
    }
    let also: Vec<&str> = [(t.refresh_token.is_some(), "a refresh token"), (t.id_token.is_some(), "an ID token")]
        .into_iter()
        .filter_map(|(has, what)| has.then_some(what))
        .collect();
    if !also.is_empty() {
        said += &format!(", with {}", also.join(" and "));
    }
    said
}

fn send_grant(
    http: &Http,
    endpoint: Endpoint<'_>,
    grant: &Grant,
    resource: &str,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    let url = crate::url_policy::endpoint("token endpoint", endpoint.token_endpoint)?;
    let mut form: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: &str| form.push((k.to_string(), v.to_string()));
    match grant {
        Grant::AuthorizationCode { code, code_verifier, redirect_uri } => {
            put("grant_type", "authorization_code");
            put("code", code.expose());
            put("code_verifier", code_verifier.expose());
            put("redirect_uri", redirect_uri);
        }
        Grant::RefreshToken { refresh_token } => {
            put("grant_type", "refresh_token");
            put("refresh_token", refresh_token.expose());
        }
        Grant::ClientCredentials => put("grant_type", CLIENT_CREDENTIALS_GRANT),
        Grant::DeviceCode { device_code } => {
            put("grant_type", DEVICE_CODE_GRANT);
            put("device_code", device_code.expose());
        }
        Grant::JwtBearer { assertion } => {
            put("grant_type", JWT_BEARER_GRANT);
            put("assertion", assertion.expose());
        }
        Grant::TokenExchange { subject_token, subject_token_type, requested_token_type, audience } => {
            put("grant_type", TOKEN_EXCHANGE_GRANT);
            put("requested_token_type", requested_token_type);
            put("subject_token", subject_token.expose());
            put("subject_token_type", subject_token_type);
            put("audience", audience);
        }
    }
    // RFC 8707 and MCP: always, whether or not the server advertises support. Only an
    // enterprise IdP login (no MCP resource involved) has none to send.
    if !resource.is_empty() {
        put("resource", resource);
    }
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        put("scope", scope);
    }
    // Built anew for a retry: a private_key_jwt assertion is single-use (RFC 7523 §3).
    let build = || {
        let req = crate::http::Request::post_form(url.clone(), form.clone())
            .header("Accept", "application/json")
            .secret_answer();
        crate::client_auth::apply(req, endpoint.client, endpoint.issuer)
    };
    let resp = match endpoint.dpop {
        Some(b) => crate::dpop::send(http, &b.key, crate::dpop::Role::Token, None, build)?,
        None => http.send(build()?)?,
    };
    let context = format!("{} grant", grant.kind());
    let parsed = parse_response(&resp.oauth_json(&context)?, resp.url.as_str())?;
    // RFC 9449 §5: a Bearer answer to a proof is discarded when the binding matters.
    if endpoint.dpop.is_some_and(|b| b.required) && !parsed.token_type.eq_ignore_ascii_case(crate::dpop::TOKEN_TYPE) {
        return Err(Error::Security(format!(
            "{context}: DPoP was required but {} answered with a {} token; it was discarded",
            endpoint.issuer, parsed.token_type
        )));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::super::response::tests::parse;
    use super::*;
    use serde_json::json;

    #[test]
    fn jwt_bearer_sends_the_assertion_as_the_grant_with_resource_scope_and_client() {
        use mcp_testkit::mock::{Mock, Reply};
        let mock = Mock::start();
        mock.on("POST", "/token", Reply::json(200, &json!({"access_token": "at", "token_type": "Bearer"})));
        let client: ClientRecord = serde_json::from_value(json!({
            "issuer": mock.origin(), "client_id": "c", "auth_method": "none", "source": "pre_registered", "created_at": 0,
        }))
        .unwrap();
        let token_endpoint = mock.url("/token");
        let endpoint =
            Endpoint { token_endpoint: &token_endpoint, issuer: &mock.origin(), client: &client, dpop: None };
        let grant = Grant::JwtBearer { assertion: Secret::from("eyJ.a.b") };
        assert_eq!(grant.kind(), GrantType::JwtBearer);
        assert!(!format!("{grant:?}").contains("eyJ"), "the assertion is a secret");
        let http = Http::new(Default::default());
        let resp = request(&http, endpoint, &grant, "https://mcp.example/mcp", Some("mcp:read")).unwrap();
        assert_eq!(resp.access_token.expose(), "at");
        let sent = mock.requests();
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&sent[0].body).into_owned().collect();
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("grant_type", JWT_BEARER_GRANT),
                ("assertion", "eyJ.a.b"),
                ("resource", "https://mcp.example/mcp"),
                ("scope", "mcp:read"),
                ("client_id", "c"),
            ]
        );
    }

    #[test]
    fn a_device_poll_that_is_not_yet_answered_is_no_failed_step() {
        let oauth = |error: &str| {
            let body = crate::error::OAuthErrorBody { error: error.into(), ..Default::default() };
            Err(Error::OAuth { context: "device_code grant (400)".into(), body })
        };
        assert_eq!(outcome(&oauth("authorization_pending")), (true, "authorization_pending: polling on".into()));
        assert!(outcome(&oauth("slow_down")).0);
        let (ok, said) = outcome(&oauth("expired_token"));
        assert!(!ok && said.starts_with("failed: ") && said.contains("expired_token"), "{said}");
        let issued =
            parse(json!({"access_token": "a", "token_type": "Bearer", "expires_in": 60, "refresh_token": "r"}));
        assert_eq!(outcome(&issued).1, "issued a Bearer access token for 60 s, with a refresh token");
    }
}
