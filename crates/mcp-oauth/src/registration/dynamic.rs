//! RFC 7591 dynamic registration: the metadata we send, the answer we accept, and the
//! `scope` we register. The answer is checked before anything is stored because a client
//! the server registered differently from what we asked (another method, rewritten
//! redirect URIs, a secret expired on arrival) would only fail later, at every login.

use crate::client::{AuthMethod, ClientRecord, ClientSource};
use crate::document::Discovered;
use crate::error::{Error, Result};
use crate::http::{Http, Request};
use crate::scope::Scopes;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

/// `offline_access` (OIDC Core §11) is how many servers gate refresh tokens; MCP
/// 2026-07-28 (SEP-2207) lets clients ask for it when the server lists it.
const OFFLINE_ACCESS: &str = "offline_access";

/// RFC 7591 / OIDC Registration `application_type` (MCP 2026-07-28 makes it a MUST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    Native,
    Web,
}

impl ApplicationType {
    /// Loopback redirects are what native apps use (RFC 8252 §7.3); anything else is a web app.
    pub fn for_redirect(uri: &Url) -> Self {
        if crate::redirect::is_loopback_http(uri) { ApplicationType::Native } else { ApplicationType::Web }
    }
}

/// The RFC 7591 §2 client metadata we send. `extra` carries members a caller adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRequest {
    pub redirect_uris: Vec<String>,
    pub application_type: ApplicationType,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub token_endpoint_auth_method: AuthMethod,
    pub client_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The public key for `private_key_jwt` (RFC 7591 §2 `jwks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RegistrationRequest {
    /// Never with RFC 9449 §5.2 `dpop_bound_access_tokens`, even for a login that requires DPoP:
    /// with it the server refuses every token request of the client that lacks a proof, but the
    /// registration outlives the login that made it (every later login at the issuer, under the
    /// profile, reuses it) and not every later request can carry one: a `--no-dpop` login, the
    /// refreshes of a Docker MCP gateway given the refresh token (it has no key), the enterprise
    /// grant (ID-JAG, Bearer), `mcp-dcr` alone, which knows no login's decision. A login that
    /// requires DPoP is protected without it: it sends proofs and refuses a Bearer answer.
    pub fn new(redirect_uri: &Url, auth_method: AuthMethod, client_name: &str, scope: Option<String>) -> Self {
        RegistrationRequest {
            redirect_uris: vec![redirect_uri.to_string()],
            application_type: ApplicationType::for_redirect(redirect_uri),
            // refresh_token: SEP-2207 says SHOULD, and a CLI without it re-prompts hourly.
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec!["code".into()],
            token_endpoint_auth_method: auth_method,
            client_name: client_name.to_string(),
            scope,
            jwks: None,
            extra: Map::new(),
        }
    }
}

/// RFC 7591 §3.2.1 client information response. Everything is optional here so that a
/// missing member gets a message naming it, not a serde error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationResponse {
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default, deserialize_with = "crate::lenient::option_u64", skip_serializing_if = "Option::is_none")]
    pub client_id_issued_at: Option<u64>,
    #[serde(default, deserialize_with = "crate::lenient::option_u64", skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// A string, not [`AuthMethod`]: a server may answer with a method we do not know,
    /// and that deserves its own message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `scope` to register: RFC 7591 makes it the set the client may *ever* request, and
/// servers enforce it (oidc-provider answers `invalid_scope` beyond it). So it is the
/// document's scope choice widened by everything the resource advertises, which step-up
/// may later ask for (SEP-2350), and `offline_access` when the server lists it.
pub fn registration_scope(doc: &Discovered) -> Option<String> {
    let prm = doc.discovery().and_then(|d| d.resource_metadata.as_ref());
    let chosen = doc.scope().into_iter().flat_map(|c| c.scopes.iter());
    let advertised = prm.and_then(|m| m.scopes_supported.as_ref()).into_iter().flatten();
    let mut scopes: Scopes = chosen.chain(advertised).map(String::as_str).collect();
    if scopes.is_empty() {
        // Nothing chosen or advertised: omit `scope` and let the server apply its default.
        return None;
    }
    if doc.authorization_server().metadata.supports_scope(OFFLINE_ACCESS) {
        scopes.add(OFFLINE_ACCESS);
    }
    scopes.joined()
}

/// Turns a registration response into the record we store, refusing what we could not
/// use later: no `client_id`, a secret method without a secret (python-sdk rejects that
/// too), a method we do not implement, a secret already expired, or redirect URIs that
/// no longer contain ours (the server rewrote them: every login would then fail).
pub fn validate_registration_response(
    resp: RegistrationResponse,
    req: &RegistrationRequest,
    issuer: &str,
    private_key_file: Option<&str>,
    key_id: Option<&str>,
    endpoint: &str,
    now: u64,
) -> Result<ClientRecord> {
    let bad = |msg: String| Error::protocol(endpoint, format!("registration response: {msg}"));
    let client_id = match resp.client_id {
        Some(id) if !id.trim().is_empty() => id,
        _ => return Err(bad("no client_id".into())),
    };
    let method = match resp.token_endpoint_auth_method.as_deref() {
        None => req.token_endpoint_auth_method,
        Some(m) => m.parse::<AuthMethod>().map_err(|_| {
            bad(format!("the server assigned token_endpoint_auth_method {m:?}, which this client does not implement"))
        })?,
    };
    let secret = resp.client_secret.filter(|s| !s.expose().is_empty());
    if method.needs_secret() && secret.is_none() {
        return Err(bad(format!("token_endpoint_auth_method is {method} but no client_secret was issued")));
    }
    if method == AuthMethod::PrivateKeyJwt && private_key_file.is_none() {
        return Err(bad("the server assigned private_key_jwt, but no key was registered".into())
            .with_hint(crate::remedy::Remedy::GiveCredentials { secret: false, key: true }));
    }
    if let Some(t) = resp.client_secret_expires_at
        && secret.is_some()
        && t != 0
        && t <= now
    {
        return Err(bad(format!("the issued client secret expired already (client_secret_expires_at {t})")));
    }
    let redirect = req.redirect_uris.first().cloned();
    if let (Some(ours), Some(theirs)) = (&redirect, &resp.redirect_uris)
        && !theirs.contains(ours)
    {
        return Err(bad(format!("the server registered the redirect URIs {theirs:?} instead of {ours}")));
    }
    // RFC 7592 management needs both halves; the URI receives a bearer credential, so it
    // gets the same https-or-loopback rule as every other endpoint.
    let management = match (resp.registration_client_uri, resp.registration_access_token) {
        (Some(uri), Some(token)) => {
            let url = crate::url_policy::parse("registration_client_uri", &uri).map_err(|e| bad(e.to_string()))?;
            crate::url_policy::require_secure("registration_client_uri", &url)?;
            Some((uri, token))
        }
        _ => None,
    };
    let (registration_client_uri, registration_access_token) = management.unzip();
    Ok(ClientRecord {
        issuer: issuer.to_string(),
        client_id,
        client_secret: if method.needs_secret() { secret } else { None },
        client_secret_expires_at: resp.client_secret_expires_at,
        auth_method: method,
        source: ClientSource::Dynamic,
        redirect_uri: redirect,
        private_key_file: if method == AuthMethod::PrivateKeyJwt { private_key_file.map(String::from) } else { None },
        key_id: if method == AuthMethod::PrivateKeyJwt { key_id.map(String::from) } else { None },
        registration_access_token,
        registration_client_uri,
        created_at: now,
        token_endpoint: None,
        revocation_endpoint: None,
    })
}

/// RFC 7591 §3: POSTs the metadata and returns the parsed answer (200 and 201 both
/// occur). A refusal becomes [`Error::OAuth`] with the server's `error` and
/// `error_description` (e.g. `invalid_redirect_uri`).
pub fn register(http: &Http, endpoint: &Url, req: &RegistrationRequest) -> Result<RegistrationResponse> {
    crate::trace::run(
        "registration",
        |_| send_registration(http, endpoint, req),
        |r| {
            r.client_id
                .as_ref()
                .map_or_else(|| "answered without a client_id".into(), |id| format!("registered client {id}"))
        },
    )
}

fn send_registration(http: &Http, endpoint: &Url, req: &RegistrationRequest) -> Result<RegistrationResponse> {
    let body = serde_json::to_value(req).map_err(|e| Error::Internal(format!("encoding the registration: {e}")))?;
    let resp =
        http.send(Request::post_json(endpoint.clone(), body).header("Accept", "application/json").secret_answer())?;
    let map = resp.oauth_json("client registration")?;
    if !matches!(resp.status, 200 | 201) {
        return Err(Error::protocol(
            endpoint.as_str(),
            format!("client registration: unexpected HTTP {}", resp.status),
        ));
    }
    serde_json::from_value(Value::Object(map))
        .map_err(|e| Error::protocol(endpoint.as_str(), format!("registration response is malformed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ISSUER, metadata};
    use super::*;
    use crate::document::{AuthorizationServer, Discovery, DiscoverySource, Document, ScopeChoice, ScopeSource};
    use crate::metadata::ResourceMetadata;
    use serde_json::json;

    #[test]
    fn the_registration_body_has_what_the_spec_requires() {
        let redirect = Url::parse("http://127.0.0.1:4711/callback").unwrap();
        let req = RegistrationRequest::new(&redirect, AuthMethod::None, "my tool", Some("mcp:read".into()));
        let body = serde_json::to_value(&req).unwrap();
        assert_eq!(
            body,
            json!({
                "redirect_uris": ["http://127.0.0.1:4711/callback"],
                "application_type": "native",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
                "client_name": "my tool",
                "scope": "mcp:read",
            })
        );
        let web = RegistrationRequest::new(&Url::parse("https://app.example/cb").unwrap(), AuthMethod::None, "x", None);
        let body = serde_json::to_value(&web).unwrap();
        assert_eq!(body["application_type"], "web");
        assert!(body.get("scope").is_none(), "no scope means the member is omitted");
    }

    fn doc(choice: &[&str], prm: Option<&[&str]>, as_scopes: Option<&[&str]>) -> Discovered {
        let url = Url::parse("https://mcp.example/mcp").unwrap();
        let mut d = Document::new(&url, url.to_string(), None);
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        d.scope = Some(ScopeChoice { scopes: strings(choice), source: ScopeSource::Challenge });
        d.discovery = Some(Discovery {
            source: DiscoverySource::ResourceMetadata,
            probe_status: Some(401),
            challenge: None,
            resource_metadata_url: None,
            resource_metadata: prm.map(|p| ResourceMetadata {
                resource: url.to_string(),
                authorization_servers: vec![ISSUER.into()],
                scopes_supported: Some(strings(p)),
                bearer_methods_supported: None,
                resource_name: None,
                extra: Map::new(),
            }),
        });
        let mut m = metadata(None);
        m.scopes_supported = as_scopes.map(strings);
        d.authorization_server = Some(AuthorizationServer {
            issuer: ISSUER.into(),
            candidates: vec![],
            metadata_url: None,
            metadata: m,
            pkce_s256: true,
            registration_options: vec![],
        });
        d.discovered().unwrap()
    }

    #[test]
    fn registered_scope_covers_the_choice_step_up_and_offline_access() {
        let d = doc(&["mcp:read"], Some(&["mcp:read", "mcp:write"]), Some(&["openid", "offline_access", "mcp:read"]));
        assert_eq!(registration_scope(&d).as_deref(), Some("mcp:read mcp:write offline_access"));
        let d = doc(&["files"], None, None);
        assert_eq!(registration_scope(&d).as_deref(), Some("files"));
        // Nothing chosen and nothing advertised: omit, even if the AS knows offline_access.
        let d = doc(&[], None, Some(&["offline_access"]));
        assert_eq!(registration_scope(&d), None);
    }

    fn response(v: Value) -> RegistrationResponse {
        serde_json::from_value(v).unwrap()
    }

    fn request(method: AuthMethod) -> RegistrationRequest {
        RegistrationRequest::new(&Url::parse("http://127.0.0.1:4711/callback").unwrap(), method, "t", None)
    }

    fn validate(v: Value, method: AuthMethod) -> Result<ClientRecord> {
        validate_registration_response(
            response(v),
            &request(method),
            ISSUER,
            None,
            None,
            "https://as.example/reg",
            1000,
        )
    }

    #[test]
    fn a_full_response_is_kept() {
        let r = validate(
            json!({
                "client_id": "c1", "client_secret": "s", "client_secret_expires_at": "5000",
                "registration_access_token": "rat", "registration_client_uri": "https://as.example/reg/c1",
                "token_endpoint_auth_method": "client_secret_basic",
                "redirect_uris": ["http://127.0.0.1:4711/callback"], "x_vendor": 1
            }),
            AuthMethod::None,
        )
        .unwrap();
        assert_eq!(r.client_id, "c1");
        assert_eq!(r.auth_method, AuthMethod::ClientSecretBasic, "the server's answer decides");
        assert_eq!(r.client_secret.as_ref().map(Secret::expose), Some("s"));
        assert_eq!(r.client_secret_expires_at, Some(5000));
        assert_eq!(r.registration_access_token.as_ref().map(Secret::expose), Some("rat"));
        assert_eq!(r.registration_client_uri.as_deref(), Some("https://as.example/reg/c1"));
        assert_eq!(r.redirect_uri.as_deref(), Some("http://127.0.0.1:4711/callback"));
        assert_eq!((r.issuer.as_str(), r.source, r.created_at), (ISSUER, ClientSource::Dynamic, 1000));
    }

    #[test]
    fn unusable_responses_are_refused() {
        let cases = [
            (json!({}), "no client_id"),
            (json!({"client_id": ""}), "no client_id"),
            (json!({"client_id": "c", "token_endpoint_auth_method": "client_secret_post"}), "no client_secret"),
            (json!({"client_id": "c", "token_endpoint_auth_method": "tls_client_auth"}), "does not implement"),
            (json!({"client_id": "c", "token_endpoint_auth_method": "private_key_jwt"}), "no key"),
            (
                json!({"client_id": "c", "client_secret": "s", "client_secret_expires_at": 999,
                    "token_endpoint_auth_method": "client_secret_basic"}),
                "expired already",
            ),
            (json!({"client_id": "c", "redirect_uris": ["http://127.0.0.1:1/other"]}), "instead of"),
        ];
        for (v, needle) in cases {
            let e = validate(v.clone(), AuthMethod::None).unwrap_err();
            assert_eq!(e.exit_code().code(), 3, "{v}");
            assert!(e.to_string().contains(needle), "{v}: {e}");
        }
        // The requested secret method, with no secret in the answer.
        assert!(validate(json!({"client_id": "c"}), AuthMethod::ClientSecretBasic).is_err());
        // A management URI that would receive a bearer token over plain HTTP.
        let e = validate(
            json!({"client_id": "c", "registration_access_token": "t", "registration_client_uri": "http://as.example/reg/c"}),
            AuthMethod::None,
        )
        .unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
    }

    #[test]
    fn a_public_client_keeps_no_stray_secret() {
        let r = validate(
            json!({"client_id": "c", "client_secret": "unused", "token_endpoint_auth_method": "none"}),
            AuthMethod::None,
        )
        .unwrap();
        assert_eq!(r.client_secret, None);
        assert_eq!(r.registration_client_uri, None);
    }
}
