//! Token-endpoint requests (code exchange, refresh, client credentials, device code,
//! jwt-bearer) and the stored token set.
//!
//! API contract (other modules are written against it):
//! - [`request`] sends one grant with the client's authentication and the RFC 8707
//!   `resource`, and parses the answer leniently (string `expires_in`, missing
//!   `token_type`, 200 or 201) into a [`TokenResponse`]; with [`Endpoint::dpop`], whatever
//!   the grant, the request carries a DPoP proof and answers one `use_dpop_nonce` (see `dpop`);
//! - [`TokenSet::new`] turns a response into the record stored under `keys::token`.

use crate::client::ClientRecord;
use crate::clock::now;
use crate::error::{Error, Result};
use crate::grant_type::GrantType;
use crate::http::Http;
use crate::remedy::Remedy;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

/// What is stored per resource and profile. It records the issuer and client it came from
/// and the endpoint to refresh at, so that `mcp-token` needs nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSet {
    pub issuer: String,
    pub client_id: String,
    pub resource: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    pub access_token: Secret,
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// What was granted (the response's `scope`, else what was requested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// What was asked for: step-up takes the union of this and the challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    pub grant: GrantType,
    pub obtained_at: u64,
    /// Where the refresh token went when the grant was handed to another program (the
    /// Docker MCP gateway): this record keeps the access token only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_to: Option<String>,
    /// For a workload's jwt-bearer grant (SEP-1933): where its JWT is read again to renew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<crate::workload::Source>,
    /// The enterprise IdP's issuer when this set came from an ID-JAG (SEP-990): renewed by
    /// a new token exchange there, not by a refresh token (see `enterprise`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// The RFC 7638 thumbprint of the DPoP key the grant was made with: refreshes carry a
    /// proof of that key, and a `DPoP` token is presented only with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

/// The store key of the token set for an MCP server. Keyed by the canonical *server URL*
/// (not the resource, which only discovery knows), so `mcp-token URL` finds it with one
/// `get` and no network. Every tool that stores or reads tokens goes through this.
pub fn store_key(server_url: &str, profile: Option<&str>) -> Result<crate::store::Key> {
    let url = crate::url_policy::parse("MCP server URL", server_url)?;
    Ok(crate::store::keys::token(&crate::url_policy::canonical_resource(&url), profile))
}

/// RFC 8628 §3.4 grant type (also what a client registers to be allowed to use it).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 7523 §2.1 grant type, sent as `grant_type` and listed in `grant_types_supported`.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// RFC 8693 §2.1 grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

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

/// Where a token set came from, beyond the response itself.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub resource: &'a str,
    pub token_endpoint: &'a str,
    pub revocation_endpoint: Option<&'a str>,
    pub grant: GrantType,
    pub requested_scope: Option<&'a str>,
}

impl TokenSet {
    /// `previous_refresh` is kept when the server did not rotate (RFC 6749 §6: the
    /// client keeps using the old one); losing it would force a new login.
    pub fn new(resp: TokenResponse, origin: &Origin<'_>, previous_refresh: Option<&Secret>, now: u64) -> Self {
        TokenSet {
            issuer: origin.issuer.to_string(),
            client_id: origin.client_id.to_string(),
            resource: origin.resource.to_string(),
            token_endpoint: origin.token_endpoint.to_string(),
            revocation_endpoint: origin.revocation_endpoint.map(String::from),
            access_token: resp.access_token,
            token_type: resp.token_type,
            refresh_token: resp.refresh_token.or_else(|| previous_refresh.cloned()),
            expires_at: resp.expires_in.map(|s| now.saturating_add(s)),
            scope: resp.scope.or_else(|| origin.requested_scope.map(String::from)),
            requested_scope: origin.requested_scope.map(String::from),
            id_token: resp.id_token,
            grant: origin.grant.clone(),
            obtained_at: now,
            handed_to: None,
            workload: None,
            idp: None,
            dpop_jkt: None,
        }
    }

    /// Refuses a set that is not for `server_url`: the store answered with another entry's
    /// record (records from before records named their key are only checked this way).
    /// The resource is the server URL, canonical or as given, or its origin when the
    /// server's metadata lives at the root (see `discovery`).
    pub fn check_for(&self, server_url: &str, key: &crate::store::Key) -> Result<()> {
        let url = crate::url_policy::parse("MCP server URL", server_url)?;
        let origin = crate::url_policy::origin(&url);
        let ours = [url.to_string(), crate::url_policy::canonical_resource(&url), format!("{origin}/"), origin];
        if ours.contains(&self.resource) {
            return Ok(());
        }
        Err(Error::Store(format!(
            "asked for {key} ({server_url}), the store answered with a token for {}; refusing it",
            self.resource
        )))
    }

    /// The `Authorization` header's value. RFC 6750 wants `Bearer`; servers that send
    /// `bearer` as the token type still expect `Bearer`. Other types are sent as given.
    pub fn authorization(&self) -> String {
        let scheme = if self.token_type.eq_ignore_ascii_case("bearer") { "Bearer" } else { &self.token_type };
        format!("{scheme} {}", self.access_token.expose())
    }

    /// Valid for at least `min_valid` more seconds. A token without an expiry is taken
    /// as valid: the server gave no lifetime, and only a 401 can tell otherwise.
    pub fn valid_for(&self, min_valid: u64, now: u64) -> bool {
        self.expires_at.is_none_or(|t| t > now.saturating_add(min_valid))
    }

    pub fn scopes(&self) -> crate::scope::Scopes {
        crate::scope::Scopes::parse(self.scope.as_deref().unwrap_or(""))
    }

    /// The document's view: no secrets unless revealed.
    pub fn info(&self, store_key: &crate::store::Key, reveal: bool) -> crate::document::TokenInfo {
        crate::document::TokenInfo {
            store_key: store_key.to_string(),
            token_type: self.token_type.clone(),
            expires_at: self.expires_at,
            scope: self.scope.clone(),
            has_refresh_token: self.refresh_token.is_some(),
            grant: self.grant.clone(),
            access_token: reveal.then(|| self.access_token.clone()),
            refresh_token: if reveal { self.refresh_token.clone() } else { None },
        }
    }
}

/// How a usable token was obtained by [`fresh`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Straight from the store: no network, one `get`.
    Cached,
    Refreshed,
}

/// RFC 6749 §4.4 grant type, as servers list it in `grant_types_supported`.
pub const CLIENT_CREDENTIALS_GRANT: &str = "client_credentials";

/// How to get a new token, for "login required" errors: a machine client needs the
/// client-credentials grant again, since a plain login would open a browser. `grant` is
/// `None` when nothing stored tells which kind of client it is.
pub(crate) fn login_hint(resource: &str, profile: Option<&str>, grant: Option<&GrantType>) -> Remedy {
    let grant = grant.map(|g| match g {
        GrantType::ClientCredentials | GrantType::DeviceCode => g.clone(),
        _ => GrantType::AuthorizationCode,
    });
    Remedy::Login { server: Some(resource.to_string()), grant, profile: profile.map(String::from) }
}

/// A token for the MCP server valid for at least `min_valid` seconds: the stored one when it
/// is, else a refreshed one, persisted before it is returned.
///
/// Two processes refreshing at once with rotating refresh tokens would otherwise both
/// spend the same refresh token and one would lose: the refresh happens under the key's
/// lock, and the entry is re-read inside it, so the second process finds the first one's
/// fresh token and uses it. A refused refresh erases nothing: the user may still want to
/// revoke, or the failure may be the server's. The refresh token is only spent once the
/// store has shown it can keep the result ([`crate::store::Store::reserve`]).
pub fn fresh(
    http: &Http,
    store: &crate::store::Store,
    server_url: &str,
    profile: Option<&str>,
    min_valid: u64,
) -> Result<(TokenSet, Freshness)> {
    let key = store_key(server_url, profile)?;
    let missing = || {
        Error::LoginRequired(format!("no token stored for {server_url}"))
            .with_hint(login_hint(server_url, profile, None))
    };
    let load = || -> Result<TokenSet> {
        let set: TokenSet = store.load(&key)?.ok_or_else(missing)?;
        set.check_for(server_url, &key)?;
        Ok(set)
    };
    let set = load()?;
    if set.valid_for(min_valid, now()) {
        return Ok((set, Freshness::Cached));
    }
    let _guard = store.lock(&key)?;
    let set = load()?;
    if set.valid_for(min_valid, now()) {
        return Ok((set, Freshness::Refreshed));
    }
    let reservation = store.reserve(&key)?;
    let refreshed = refresh(http, store, &set, profile)?;
    store.commit(reservation, &refreshed)?;
    Ok((refreshed, Freshness::Refreshed))
}

/// Whether a token-endpoint error means the stored grant is dead (not a server failure).
fn refused(error: Option<&str>, client_credentials: bool) -> bool {
    match error {
        Some("invalid_grant") => true,
        Some("invalid_client" | "unauthorized_client") => client_credentials,
        _ => false,
    }
}

/// One renewal of a stored set, under the caller's lock: RFC 6749 §6 refresh (with
/// `resource`), or for a client-credentials set the client-credentials grant again with
/// the stored secret or key (RFC 6749 §4.4.3: such sets rarely carry a refresh token, and
/// the grant needs no user, so no login should be asked for), or for a workload's set the
/// jwt-bearer grant again with a JWT from the same source.
pub fn refresh(http: &Http, store: &crate::store::Store, set: &TokenSet, profile: Option<&str>) -> Result<TokenSet> {
    let hint = || match &set.workload {
        Some(source) => crate::remedy::Remedy::Workload {
            server: set.resource.clone(),
            source: source.clone(),
            profile: profile.map(String::from),
        },
        None => login_hint(&set.resource, profile, Some(&set.grant)),
    };
    let client_credentials = set.grant == GrantType::ClientCredentials;
    let refresh_token = set.refresh_token.as_ref();
    if refresh_token.is_none() && !client_credentials && set.workload.is_none() && set.idp.is_none() {
        let why = match &set.handed_to {
            Some(to) => format!("its refresh token was handed to {to}, which renews it there"),
            None => "there is no refresh token".to_string(),
        };
        return Err(Error::LoginRequired(format!(
            "the token for {} is too close to expiry (or expired) and {why}",
            set.resource
        ))
        .with_hint(hint()));
    }
    let client: ClientRecord = match set.workload {
        // A workload without a client id never had a client record.
        Some(_) if set.client_id.is_empty() => crate::workload::anonymous(&set.issuer),
        _ => store.load(&crate::store::keys::client(&set.issuer, profile))?.ok_or_else(|| {
            Error::LoginRequired(format!(
                "the client registration for {} is gone, so the token cannot be renewed",
                set.issuer
            ))
            .with_hint(hint())
        })?,
    };
    if client.client_id != set.client_id || client.issuer != set.issuer {
        return Err(Error::LoginRequired(format!(
            "the stored token was issued to client {} but the client for {} is now {}",
            set.client_id, set.issuer, client.client_id
        ))
        .with_hint(hint()));
    }
    client.check_endpoint(crate::client::EndpointKind::Token, &set.token_endpoint)?;
    if let Some(idp) = &set.idp {
        return crate::enterprise::renew(http, store, set, &client, idp, profile);
    }
    let dpop = crate::dpop::for_refresh(store, set, profile)?;
    let endpoint =
        Endpoint { token_endpoint: &set.token_endpoint, issuer: &set.issuer, client: &client, dpop: dpop.as_ref() };
    if let Some(source) = &set.workload {
        return crate::workload::renew(http, endpoint, set, source);
    }
    let (grant, scope) = match refresh_token {
        Some(rt) if !client_credentials => (Grant::RefreshToken { refresh_token: rt.clone() }, None),
        _ => (Grant::ClientCredentials, set.requested_scope.as_deref()),
    };
    let resp = match request(http, endpoint, &grant, &set.resource, scope) {
        Ok(r) => r,
        // invalid_grant: the refresh token is dead; for a machine client, invalid_client:
        // its stored secret or key no longer works. New credentials or a login are the answer.
        Err(e) if refused(e.oauth_error(), client_credentials) => {
            let what = if client_credentials { "the client credentials" } else { "the refresh token" };
            return Err(Error::LoginRequired(format!("the server refused {what} ({e})")).with_hint(hint()));
        }
        Err(e) => return Err(e),
    };
    let origin = Origin {
        issuer: &set.issuer,
        client_id: &set.client_id,
        resource: &set.resource,
        token_endpoint: &set.token_endpoint,
        revocation_endpoint: set.revocation_endpoint.as_deref(),
        grant: grant.kind(),
        requested_scope: set.requested_scope.as_deref(),
    };
    let mut new = TokenSet::new(resp, &origin, refresh_token, now());
    new.dpop_jkt = set.dpop_jkt.clone();
    // A refresh returns the same scope when it says nothing (RFC 6749 §5.1).
    if new.scope == new.requested_scope && set.scope.is_some() {
        new.scope = set.scope.clone();
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<TokenResponse> {
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
    fn the_authorization_header_says_bearer_as_rfc_6750_spells_it() {
        let with_type = |t: &str| -> TokenSet {
            serde_json::from_value(json!({
                "issuer": "https://as.example", "client_id": "c", "resource": "https://mcp.example/mcp",
                "token_endpoint": "https://as.example/token", "access_token": "at", "token_type": t,
                "grant": "authorization_code", "obtained_at": 0,
            }))
            .unwrap()
        };
        assert_eq!(with_type("bearer").authorization(), "Bearer at");
        assert_eq!(with_type("BEARER").authorization(), "Bearer at");
        assert_eq!(with_type("DPoP").authorization(), "DPoP at", "other schemes are sent as the server named them");
    }

    #[test]
    fn hints_name_the_command_for_the_kind_of_client() {
        let url = "https://mcp.example/mcp";
        // The words and flags are the command line's (mcp_oauth_cli::remedy's tests).
        let login = |grant: Option<GrantType>, profile: Option<&str>| Remedy::Login {
            server: Some(url.into()),
            grant,
            profile: profile.map(String::from),
        };
        assert_eq!(
            login_hint(url, None, Some(&GrantType::RefreshToken)),
            login(Some(GrantType::AuthorizationCode), None)
        );
        assert_eq!(
            login_hint(url, Some("ci"), Some(&GrantType::ClientCredentials)),
            login(Some(GrantType::ClientCredentials), Some("ci"))
        );
        assert_eq!(login_hint(url, None, None), login(None, None));
        assert!(refused(Some("invalid_client"), true) && !refused(Some("invalid_client"), false));
        assert!(refused(Some("invalid_grant"), false) && !refused(Some("server_error"), true));
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
            let body = crate::error::OAuthErrorBody { error: error.into(), error_description: None, error_uri: None };
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

    #[test]
    fn no_access_token_is_a_protocol_error() {
        let e = parse(json!({"token_type":"Bearer"})).unwrap_err();
        assert_eq!(e.exit_code().code(), 3);
    }

    #[test]
    fn token_set_keeps_an_unrotated_refresh_token() {
        let origin = Origin {
            issuer: "i",
            client_id: "c",
            resource: "r",
            token_endpoint: "t",
            revocation_endpoint: None,
            grant: GrantType::RefreshToken,
            requested_scope: Some("a"),
        };
        let resp = parse(json!({"access_token":"new","expires_in":60})).unwrap();
        let set = TokenSet::new(resp, &origin, Some(&Secret::from("old-rt")), 1000);
        assert_eq!(set.refresh_token.as_ref().map(Secret::expose), Some("old-rt"));
        assert_eq!(set.expires_at, Some(1060));
        assert_eq!(set.scope.as_deref(), Some("a"));
        assert!(set.valid_for(59, 1000));
        assert!(!set.valid_for(60, 1000));
    }

    #[test]
    fn debug_shows_no_secret_and_the_stored_json_is_unchanged() {
        let stored = json!({
            "issuer": "i", "client_id": "c", "resource": "r", "token_endpoint": "t",
            "access_token": "AT-1", "token_type": "Bearer", "refresh_token": "RT-1", "id_token": "ID-1",
            "grant": "authorization_code", "obtained_at": 5,
        });
        let set: TokenSet = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(&set).unwrap(), stored, "a stored record round-trips byte for byte");
        let grant = Grant::AuthorizationCode {
            code: Secret::from("CODE-1"),
            code_verifier: Secret::from("VER-1"),
            redirect_uri: "http://127.0.0.1/cb".into(),
        };
        let resp = parse(json!({"access_token":"AT-2","refresh_token":"RT-2","id_token":"ID-2"})).unwrap();
        let shown = format!("{set:?} {grant:?} {resp:?} {:?}", Grant::RefreshToken { refresh_token: "RT-3".into() });
        for secret in ["AT-1", "RT-1", "ID-1", "CODE-1", "VER-1", "AT-2", "RT-2", "ID-2", "RT-3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn a_set_for_another_resource_is_refused() {
        let origin = |resource| Origin {
            issuer: "i",
            client_id: "c",
            resource,
            token_endpoint: "t",
            revocation_endpoint: None,
            grant: GrantType::AuthorizationCode,
            requested_scope: None,
        };
        let resp = parse(json!({"access_token":"a"})).unwrap();
        let key = store_key("https://mcp.example/mcp", None).unwrap();
        for ours in ["https://mcp.example/mcp", "https://mcp.example", "https://mcp.example/"] {
            let set = TokenSet::new(resp.clone(), &origin(ours), None, 0);
            assert!(set.check_for("https://mcp.example/mcp", &key).is_ok(), "{ours}");
        }
        for other in ["https://other.example/mcp", "https://mcp.example/mcp2", "https://mcp.example:8443/mcp"] {
            let e = TokenSet::new(resp.clone(), &origin(other), None, 0)
                .check_for("https://mcp.example/mcp", &key)
                .unwrap_err();
            assert_eq!(e.exit_code().code(), 6, "{other}");
            assert!(e.to_string().contains(other), "{e}");
        }
    }
}
