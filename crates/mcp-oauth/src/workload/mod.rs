//! Workload identity (MCP SEP-1933): a CI job or a pod presents a JWT its platform issued
//! as an RFC 7523 §2.1 jwt-bearer grant. No user, no registration: the client id is a
//! pre-registered one or none at all. The JWT is fetched from its [`Source`] right before
//! every token request, checked locally for expiry, and never sent twice after a refusal;
//! no other grant is tried in its place. Renewal (by `mcp-token`) repeats the grant from
//! the source recorded with the tokens, as client credentials do.

mod source;

pub use source::{GITHUB_TOKEN_VAR, GITHUB_URL_VAR, Source};

use crate::authorize::{Obtained, Plan, Session};
use crate::client::{AuthMethod, ClientRecord, ClientSource};
use crate::document::Discovered;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::token::{self, Grant, JWT_BEARER_GRANT, TokenSet};

/// A JWT that expires within this many seconds is not sent: clocks differ, and the server
/// would refuse it on arrival.
pub const EXPIRY_SKEW: u64 = 30;

/// The plan for a workload: the document's client when it names one (pre-registered with
/// `mcp-dcr --client-id`), else no client at all.
pub fn plan(doc: &Discovered, store: &crate::store::Store, profile: Option<&str>) -> Result<Plan> {
    if let Ok(registered) = doc.clone().registered() {
        return Plan::from_document(&registered, store, profile);
    }
    let asv = doc.authorization_server();
    Ok(Plan {
        server_url: doc.server_url().to_string(),
        resource: doc.resource().to_string(),
        issuer: asv.issuer.clone(),
        metadata: asv.metadata.clone(),
        client: anonymous(&asv.issuer),
        scope: doc.scope().and_then(|s| s.joined()),
        profile: profile.map(String::from),
        dpop: None,
    })
}

/// No client: SEP-1933 lets the assertion alone identify the workload, so the request
/// carries neither `client_id` nor client authentication (see [`crate::client_auth::apply`]).
pub fn anonymous(issuer: &str) -> ClientRecord {
    ClientRecord {
        issuer: issuer.to_string(),
        client_id: String::new(),
        client_secret: None,
        client_secret_expires_at: None,
        auth_method: AuthMethod::None,
        source: ClientSource::PreRegistered,
        redirect_uri: None,
        private_key_file: None,
        key_id: None,
        registration_access_token: None,
        registration_client_uri: None,
        created_at: 0,
        token_endpoint: None,
        revocation_endpoint: None,
    }
}

/// The jwt-bearer grant with a JWT from `source`, stored for the plan's server. Nothing is
/// sent when the server does not offer the grant or the JWT has expired.
pub fn obtain(s: Session<'_>, plan: &Plan, source: &Source) -> Result<Obtained> {
    if !plan.metadata.supports_grant(JWT_BEARER_GRANT) {
        return Err(Error::Usage(format!(
            "{} does not offer the jwt-bearer grant (its metadata's grant_types_supported lacks {JWT_BEARER_GRANT}), which workload identity needs; nothing was sent",
            plan.issuer
        )));
    }
    let reservation = crate::authorize::reserve_tokens(s, &plan.server_url)?;
    let scope = plan.scope.as_deref();
    // With the plan's DPoP binding (RFC 9449 §5: extension grants carry proofs too), so the
    // token is bound to the key and `dpop_jkt` names it for every renewal.
    let resp = grant(s.http, plan.endpoint()?, source, &plan.resource, scope)?;
    let mut set = plan.token_set(resp, crate::grant_type::GrantType::JwtBearer, scope)?;
    set.workload = Some(source.clone());
    let key = crate::authorize::store_tokens(s, reservation, &set)?;
    Ok(Obtained { set, key, refreshed: false })
}

/// A new token for a stored workload set, from the same source (called by
/// [`token::refresh`] under the entry's lock, with the client it checked).
pub fn renew(http: &Http, endpoint: token::Endpoint<'_>, set: &TokenSet, source: &Source) -> Result<TokenSet> {
    let scope = set.requested_scope.as_deref();
    let resp = grant(http, endpoint, source, &set.resource, scope)?;
    let origin = token::Origin {
        issuer: &set.issuer,
        client_id: &set.client_id,
        resource: &set.resource,
        token_endpoint: &set.token_endpoint,
        revocation_endpoint: set.revocation_endpoint.as_deref(),
        grant: crate::grant_type::GrantType::JwtBearer,
        requested_scope: scope,
    };
    let mut new = TokenSet::new(resp, &origin, None, crate::clock::now());
    new.workload = Some(source.clone());
    // `endpoint` carries the stored key (`dpop::for_refresh`): the new token is bound to it too.
    new.dpop_jkt = set.dpop_jkt.clone();
    Ok(new)
}

/// One fetch, one check, one request: a refused assertion is reported, never sent again,
/// and no other grant stands in for it (a workload has no user to fall back to).
fn grant(
    http: &Http,
    endpoint: token::Endpoint<'_>,
    source: &Source,
    resource: &str,
    scope: Option<&str>,
) -> Result<token::TokenResponse> {
    let assertion = source.fetch(http)?;
    check_assertion(assertion.expose(), source, &endpoint, crate::clock::now())?;
    token::request(http, endpoint, &Grant::JwtBearer { assertion }, resource, scope).map_err(|e| {
        match e.oauth_error() {
            Some(_) => {
                e.with_hint(format!("the server refused the workload token from {source}; it is not sent again"))
            }
            None => e,
        }
    })
}

/// Reads the JWT's claims without trusting them (the server verifies): an expired one is
/// not sent, and one for another audience is sent with a warning, since the operator may
/// have configured the server to accept it. A JWE cannot be read and is sent as is.
fn check_assertion(jwt: &str, source: &Source, endpoint: &token::Endpoint<'_>, now: u64) -> Result<()> {
    let Some((_, claims)) = crate::jwt::decode_unverified(jwt) else {
        return Ok(());
    };
    if let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_u64)
        && exp <= now.saturating_add(EXPIRY_SKEW)
    {
        let ago = now.saturating_sub(exp);
        let when = if exp <= now { format!("{ago} s ago") } else { format!("in {} s", exp - now) };
        return Err(Error::InvalidInput(format!(
            "the JWT from {source} expired {when} (exp {exp}); nothing was sent: give it a fresh one"
        )));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(serde_json::Value::as_str).collect(),
        _ => Vec::new(),
    };
    let ours = [endpoint.issuer, endpoint.token_endpoint];
    if !audiences.is_empty() && !audiences.iter().any(|a| ours.contains(a)) {
        crate::events::warning!(
            "the JWT from {source} is for audience {}, neither the issuer {} nor its token endpoint: the server will likely refuse it",
            audiences.join(", "),
            endpoint.issuer
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt(claims: serde_json::Value) -> String {
        let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.sig", part(&serde_json::json!({"alg": "ES256"})), part(&claims))
    }

    #[test]
    fn expiry_is_checked_with_skew_and_names_the_source() {
        let client = anonymous("https://as.example");
        let endpoint = token::Endpoint {
            token_endpoint: "https://as.example/token",
            issuer: "https://as.example",
            client: &client,
            dpop: None,
        };
        let source = Source::Env { var: "MCP_WORKLOAD_JWT".into() };
        let ok = jwt(serde_json::json!({"aud": "https://as.example", "exp": 1_100}));
        assert!(check_assertion(&ok, &source, &endpoint, 1_000).is_ok());
        for exp in [1_000, 900, 1_000 + EXPIRY_SKEW] {
            let e = check_assertion(&jwt(serde_json::json!({"exp": exp})), &source, &endpoint, 1_000).unwrap_err();
            assert_eq!(e.exit_code().code(), 2);
            assert!(e.to_string().contains("MCP_WORKLOAD_JWT") && e.to_string().contains("nothing was sent"), "{e}");
        }
        // Not readable (a JWE) or without exp: the server decides.
        assert!(check_assertion("a.b.c.d.e", &source, &endpoint, 1_000).is_ok());
        assert!(check_assertion(&jwt(serde_json::json!({"sub": "x"})), &source, &endpoint, 1_000).is_ok());
    }

    #[test]
    fn a_workload_whose_client_is_gone_is_told_the_command_with_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::tests::file_store(dir.path(), None);
        let set: TokenSet = serde_json::from_value(serde_json::json!({
            "issuer": "https://as.example", "client_id": "pre-registered", "resource": "https://mcp.example/mcp",
            "token_endpoint": "https://as.example/token", "access_token": "at", "token_type": "Bearer",
            "grant": JWT_BEARER_GRANT, "obtained_at": 0,
            "workload": {"kind": "file", "path": "/var/run/secrets/tokens/mcp"},
        }))
        .unwrap();
        let http = Http::new(Default::default());
        let e = token::refresh(&http, &store, &set, Some("ci")).unwrap_err();
        assert_eq!(e.exit_code().code(), 7);
        // The command line names the flags (mcp_oauth_cli::remedy); the library says what to do.
        let expected = crate::remedy::Remedy::Workload {
            server: "https://mcp.example/mcp".into(),
            source: Source::File { path: "/var/run/secrets/tokens/mcp".into() },
            profile: Some("ci".into()),
        };
        assert_eq!(e.remedy(), Some(&expected), "{e}");
    }

    #[test]
    fn no_client_means_no_client_id() {
        let c = anonymous("https://as.example");
        assert!(c.client_id.is_empty() && c.auth_method == AuthMethod::None);
    }
}
