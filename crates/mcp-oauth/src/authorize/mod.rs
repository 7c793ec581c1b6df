//! Obtaining tokens: the authorization code flow with PKCE (in a local browser, or split
//! in two for a headless machine), the RFC 8628 device grant, the MCP client-credentials
//! extension, step-up, and the silent refresh that makes most of them unnecessary.
//!
//! This file owns the `Plan` (what every grant needs), the silent refresh and storing the
//! result; the flows are in `code`, `device`, `obtain` and `step_up`. The checks of MCP
//! 2026-07-28 on the authorization request and its response (PKCE support in the metadata,
//! `state`, the RFC 9207 `iss` table, the RFC 8707 `resource`) are in `request`.

mod code;
mod device;
mod obtain;
mod request;
mod step_up;

pub use code::{
    CodeOptions, PENDING_TTL, PendingAuthorization, PendingDpop, finish_handoff, interactive, start_handoff,
};
pub use device::device;
pub use obtain::{Flow, Obtained, obtain};
pub use request::{
    AuthorizationRequest, check_iss, check_pkce_support, check_state, parse_auth_params, validate_response,
    with_offline_access,
};
pub use step_up::{StepUp, refresh_first};

use crate::client::ClientRecord;
use crate::document::Registered;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::metadata::AuthorizationServerMetadata;
use crate::remedy::{Registration, Remedy};
use crate::scope::Scopes;
use crate::store::Store;
use crate::token::{self, TokenSet};

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
