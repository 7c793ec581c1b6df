//! Obtaining tokens: the authorization code flow with PKCE (in a local browser, or split
//! in two for a headless machine), the RFC 8628 device grant, the MCP client-credentials
//! extension, step-up, and the silent refresh that makes most of them unnecessary.
//!
//! The checks of MCP 2026-07-28 live here, each in one function with its tests: PKCE
//! support in the metadata, `state`, the RFC 9207 `iss` table, the RFC 8707 `resource`.

mod code;
mod device;
mod obtain;
mod step_up;

pub use code::{
    CodeOptions, PENDING_TTL, PendingAuthorization, PendingDpop, finish_handoff, interactive, start_handoff,
};
pub use device::device;
pub use obtain::{Flow, Obtained, obtain};
pub use step_up::{StepUp, refresh_first};

use crate::callback::CallbackParams;
use crate::client::ClientRecord;
use crate::document::Registered;
use crate::error::{Error, OAuthErrorBody, Result};
use crate::http::Http;
use crate::metadata::AuthorizationServerMetadata;
use crate::remedy::{Input, Registration, Remedy};
use crate::scope::Scopes;
use crate::store::Store;
use crate::token::{self, TokenSet};
use url::Url;

/// Everything a grant needs, resolved from the pipeline document and the store.
#[derive(Debug, Clone)]
pub struct Plan {
    pub server_url: String,
    /// RFC 8707: sent on every authorization and token request, whatever the server says.
    pub resource: String,
    /// The validated issuer: the `iss` expectation and the binding of client and tokens.
    pub issuer: String,
    pub metadata: AuthorizationServerMetadata,
    pub client: ClientRecord,
    /// The scope to request (`None`: omit `scope`), before `offline_access` is added.
    pub scope: Option<String>,
    pub profile: Option<String>,
    /// The DPoP key of this grant (see [`crate::dpop::prepare`]); `None`: Bearer.
    pub dpop: Option<std::sync::Arc<crate::dpop::Binding>>,
}

/// The calling environment of every flow.
#[derive(Clone, Copy)]
pub struct Session<'a> {
    pub http: &'a Http,
    pub store: &'a Store,
    pub profile: Option<&'a str>,
}

impl Plan {
    /// From a document that went through discovery and registration; the client record
    /// (with its secret or key) is read from the store, where `mcp-dcr` put it.
    pub fn from_document(doc: &Registered, store: &Store, profile: Option<&str>) -> Result<Plan> {
        let asv = doc.authorization_server();
        let info = doc.client();
        let key = crate::store::keys::client(&asv.issuer, profile);
        let client: ClientRecord = store.load(&key)?.ok_or_else(|| {
            Error::InvalidInput(format!("no client for {} is stored (key {key})", asv.issuer))
                .with_hint(Remedy::Register(Registration { profile: profile.map(String::from), ..Default::default() }))
        })?;
        // MCP 2026-07-28 (SEP-2352): a client is bound to its issuer.
        if client.issuer != asv.issuer || client.client_id != info.client_id {
            return Err(Error::InvalidInput(format!(
                "the stored client for {} is {} but the document names {}",
                asv.issuer, client.client_id, info.client_id
            ))
            .with_hint(Remedy::Register(Registration::default())));
        }
        Ok(Plan {
            server_url: doc.server_url().to_string(),
            resource: doc.resource().to_string(),
            issuer: asv.issuer.clone(),
            metadata: asv.metadata.clone(),
            client,
            scope: doc.scope().and_then(|s| s.joined()),
            profile: profile.map(String::from),
            dpop: None,
        })
    }

    pub fn token_endpoint(&self) -> Result<&str> {
        self.metadata
            .token_endpoint
            .as_deref()
            .ok_or_else(|| Error::protocol(&self.issuer, "the authorization server metadata has no token_endpoint"))
    }

    pub(crate) fn endpoint(&self) -> Result<token::Endpoint<'_>> {
        Ok(token::Endpoint {
            token_endpoint: self.token_endpoint()?,
            issuer: &self.issuer,
            client: &self.client,
            dpop: self.dpop.as_deref(),
        })
    }

    /// One grant at the token endpoint as this plan's client. A refusal of the client's
    /// authentication that another listed method would avoid says how to switch to it.
    fn request_token(&self, http: &Http, grant: &token::Grant, scope: Option<&str>) -> Result<token::TokenResponse> {
        token::request(http, self.endpoint()?, grant, &self.resource, scope).map_err(|e| self.explain_refusal(e))
    }

    /// RFC 6749 §5.2 `invalid_client` for a secret sent one way (header or body) from a server
    /// that lists the other way: servers differ in which they really accept (mcp 2.3.0 wants
    /// the id in the body, the TypeScript SDK the secret there), and re-registering fixes it.
    fn explain_refusal(&self, e: Error) -> Error {
        use crate::client::{AuthMethod, ClientSource};
        if e.oauth_error() != Some("invalid_client") {
            return e;
        }
        let other = match self.client.auth_method {
            AuthMethod::ClientSecretBasic => AuthMethod::ClientSecretPost,
            AuthMethod::ClientSecretPost => AuthMethod::ClientSecretBasic,
            _ => return e,
        };
        if !self.metadata.auth_methods().iter().any(|m| m == other.as_str()) {
            return e;
        }
        let pre_registered = self.client.source == ClientSource::PreRegistered;
        e.with_hint(Remedy::SwitchAuthMethod(Registration {
            replace: !pre_registered,
            client_id: pre_registered.then(|| self.client.client_id.clone()),
            auth_method: Some(other),
            profile: self.profile.clone(),
            server: Some(self.server_url.to_string()),
            ..Default::default()
        }))
    }

    /// The scope for a user-delegated grant: MCP 2026-07-28 (SEP-2207) lets a client add
    /// `offline_access` when the authorization server lists it, to get a refresh token.
    pub fn user_scope(&self) -> Option<String> {
        with_offline_access(self.scope.as_deref(), &self.metadata)
    }

    /// Turns a token response into the stored set.
    pub(crate) fn token_set(
        &self,
        resp: token::TokenResponse,
        grant: crate::grant_type::GrantType,
        requested_scope: Option<&str>,
    ) -> Result<TokenSet> {
        let origin = token::Origin {
            issuer: &self.issuer,
            client_id: &self.client.client_id,
            resource: &self.resource,
            token_endpoint: self.token_endpoint()?,
            revocation_endpoint: self.metadata.revocation_endpoint.as_deref(),
            grant,
            requested_scope,
        };
        let mut set = TokenSet::new(resp, &origin, None, crate::clock::now());
        set.dpop_jkt = self.dpop.as_ref().map(|b| b.key.jkt().to_string());
        Ok(set)
    }
}

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

/// Tries to refresh the stored token set for this resource and client, and stores the
/// result. `Ok(None)` means "log in instead": nothing stored, another issuer or client,
/// no refresh token, a wider scope than a refresh can give, or the server refused the
/// refresh token. A network or server failure is an error: a new login would not help.
pub fn silent_refresh(s: Session<'_>, plan: &Plan, wanted_scope: Option<&str>) -> Result<Option<TokenSet>> {
    let key = token::store_key(&plan.server_url, s.profile)?;
    let _guard = s.store.lock(&key)?;
    let Some(set) = s.store.load::<TokenSet>(&key)? else {
        return Ok(None);
    };
    let same_grantor =
        set.issuer == plan.issuer && set.client_id == plan.client.client_id && set.resource == plan.resource;
    // A grant bound to another key, or to none, is not what this login asks for (--dpop, --no-dpop).
    let same_binding = set.dpop_jkt.as_deref() == plan.dpop.as_ref().map(|b| b.key.jkt());
    if !same_grantor || !same_binding || set.refresh_token.is_none() || !covers(&set, wanted_scope) {
        return Ok(None);
    }
    let reservation = s.store.reserve(&key)?;
    match token::refresh(s.http, s.store, &set, s.profile) {
        Ok(new) => {
            s.store.commit(reservation, &new)?;
            Ok(Some(new))
        }
        // Bare: the remedy (log in again) is what happens next.
        Err(e) if matches!(e.bare(), Error::LoginRequired(_)) => {
            crate::events::notice!("{}; starting a new authorization", e.bare());
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Whether a refresh of `set` can give every wanted scope (RFC 6749 §6: it cannot widen).
fn covers(set: &TokenSet, wanted: Option<&str>) -> bool {
    let have: Scopes = set.scope.as_deref().into_iter().chain(set.requested_scope.as_deref()).collect();
    have.covers(&Scopes::parse(wanted.unwrap_or("")))
}

/// Checks, before a login is started, that its tokens can be stored: a login whose result
/// cannot be kept would have to be done again (see [`crate::store::Store::reserve`]).
pub fn reserve_tokens(s: Session<'_>, server_url: &str) -> Result<crate::store::Reservation> {
    s.store.reserve(&token::store_key(server_url, s.profile)?)
}

/// Stores a token set under the reserved key, under the key's lock so that a concurrent
/// `mcp-token` refresh is not lost in between.
pub fn store_tokens(
    s: Session<'_>,
    reservation: crate::store::Reservation,
    set: &TokenSet,
) -> Result<crate::store::Key> {
    let key = reservation.key().clone();
    let _guard = s.store.lock(&key)?;
    s.store.commit(reservation, set)?;
    Ok(key)
}

/// Tokens another program obtained, stored as this plan's client's (that client refreshes
/// them). `expires_at` overrides the response's `expires_in` when the tokens were saved
/// earlier (mcp-remote's files).
pub fn import(
    s: Session<'_>,
    plan: &Plan,
    resp: token::TokenResponse,
    expires_at: Option<u64>,
) -> Result<(TokenSet, crate::store::Key)> {
    let mut set =
        plan.token_set(resp, crate::grant_type::GrantType::Other("imported".into()), plan.scope.as_deref())?;
    if expires_at.is_some() {
        set.expires_at = expires_at;
    }
    let reservation = s.store.reserve(&token::store_key(&plan.server_url, s.profile)?)?;
    let key = store_tokens(s, reservation, &set)?;
    Ok((set, key))
}

/// The MCP OAuth client-credentials extension (SEP-1046): a pre-registered confidential
/// client authenticates with its secret or an RFC 7523 assertion; no user, no browser.
pub fn client_credentials(s: Session<'_>, plan: &Plan) -> Result<TokenSet> {
    if plan.client.auth_method == crate::client::AuthMethod::None {
        return Err(Error::Usage(format!(
            "client {} is a public client: the client_credentials grant needs a client secret or a private key",
            plan.client.client_id
        ))
        .with_hint(Remedy::Confidential));
    }
    let scope = plan.scope.as_deref();
    let resp = plan.request_token(s.http, &token::Grant::ClientCredentials, scope)?;
    plan.token_set(resp, crate::grant_type::GrantType::ClientCredentials, scope)
}

/// What a step-up adds the challenged scopes to (MCP 2026-07-28, SEP-2350, through
/// [`crate::scope::step_up`]): what was requested and granted before, from the stored
/// token set, else the scope about to be requested.
pub fn previous_scopes(previous: Option<&TokenSet>, planned: Option<&str>) -> Vec<String> {
    let before: Scopes = match previous {
        Some(p) => p.requested_scope.as_deref().into_iter().chain(p.scope.as_deref()).collect(),
        None => planned.into_iter().collect(),
    };
    before.into_vec()
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

    fn set(scope: Option<&str>, requested: Option<&str>) -> TokenSet {
        TokenSet {
            issuer: "i".into(),
            client_id: "c".into(),
            resource: "r".into(),
            token_endpoint: "t".into(),
            revocation_endpoint: None,
            access_token: "a".into(),
            token_type: "Bearer".into(),
            refresh_token: Some("rt".into()),
            expires_at: None,
            scope: scope.map(String::from),
            requested_scope: requested.map(String::from),
            id_token: None,
            grant: "authorization_code".into(),
            obtained_at: 0,
            handed_to: None,
            workload: None,
            idp: None,
            dpop_jkt: None,
        }
    }

    #[test]
    fn refresh_only_when_it_can_give_the_scope() {
        let s = set(Some("mcp:read"), Some("mcp:read offline_access"));
        assert!(covers(&s, None));
        assert!(covers(&s, Some("mcp:read offline_access")));
        assert!(!covers(&s, Some("mcp:read mcp:write")));
    }

    #[test]
    fn step_up_is_the_union_with_what_came_before() {
        let s = set(Some("mcp:read"), Some("mcp:read offline_access"));
        let prev = previous_scopes(Some(&s), Some("ignored"));
        assert_eq!(prev, ["mcp:read", "offline_access"]);
        assert_eq!(
            crate::scope::step_up(&prev, "mcp:write mcp:read").scopes,
            ["mcp:read", "offline_access", "mcp:write"]
        );
        assert_eq!(previous_scopes(None, Some("mcp:read")), ["mcp:read"]);
        assert!(previous_scopes(None, None).is_empty());
    }
}
