//! The enterprise identity provider: named once (issuer, with its own pre-registered
//! client, stored like every client), signed in to once (OIDC code + PKCE in the browser,
//! the device grant, or an ID token handed over), and the session that sign-in leaves.
//!
//! The session is the IdP's token set (ID token, IdP refresh token) stored under the token
//! key of the IdP issuer, so it is listed, locked, reserved and revoked like any login, and
//! one session serves every MCP server of the enterprise.

use super::exchange::Subject;
use crate::authorize::{CodeOptions, Plan, Session};
use crate::client::{ClientRecord, EndpointKind};
use crate::discovery::DiscoverOptions;
use crate::error::{Error, Result};
use crate::grant_type::GrantType;
use crate::http::Http;
use crate::metadata::AuthorizationServerMetadata;
use crate::remedy::Remedy;
use crate::secret::Secret;
use crate::store::{Key, Store, keys};
use crate::token::{self, Endpoint, Grant, Origin, TokenSet};

/// An ID token this close to its `exp` is refreshed before it is exchanged.
const ID_TOKEN_MARGIN: u64 = 30;

/// A configured IdP and its client.
#[derive(Debug, Clone)]
pub struct Idp {
    pub issuer: String,
    pub metadata: AuthorizationServerMetadata,
    pub client: ClientRecord,
}

/// How the user signs in at the IdP.
#[derive(Debug, Clone)]
pub enum Login {
    Browser(CodeOptions),
    Device {
        open_browser: bool,
    },
    /// An ID token obtained elsewhere (file, stdin, environment): no IdP refresh token.
    IdToken(Secret),
}

impl Idp {
    /// Takes the IdP's metadata (discovered from `issuer`, or only its `token_endpoint`
    /// when given) and its client: the one `client` names, stored like every client, else
    /// the stored one.
    pub fn resolve(
        http: &Http,
        store: &Store,
        issuer: &str,
        token_endpoint: Option<&str>,
        client: &crate::registration::Options,
        profile: Option<&str>,
    ) -> Result<Idp> {
        let url = crate::url_policy::parse("IdP issuer", issuer)?;
        let metadata = match token_endpoint {
            Some(endpoint) => {
                let mut m = AuthorizationServerMetadata::from_endpoints(issuer.to_string());
                m.token_endpoint = Some(endpoint.to_string());
                m
            }
            None => crate::discovery::issuer_metadata(http, issuer)?,
        };
        let opts = DiscoverOptions { profile: profile.map(String::from), ..Default::default() };
        let doc = crate::discovery::manual(&url, metadata.clone(), &opts)?;
        if client.client_id.is_none() && store.load::<ClientRecord>(&keys::client(issuer, profile))?.is_none() {
            return Err(Error::Usage(format!("no client for the IdP {issuer} is stored")).with_hint(Remedy::IdpClient));
        }
        let obtained = crate::registration::obtain(http, store, &doc, profile, client)?;
        for w in &obtained.warnings {
            crate::events::warning!("the IdP client: {w}");
        }
        Ok(Idp { issuer: issuer.to_string(), metadata, client: obtained.record })
    }

    /// Signs in and stores the session; returns it.
    pub fn login(&self, s: Session<'_>, how: Login) -> Result<TokenSet> {
        let reservation = s.store.reserve(&session_key(&self.issuer, s.profile))?;
        let plan = self.plan(s.profile);
        let set = match how {
            Login::Browser(opts) => crate::authorize::interactive(s, &plan, &opts).map_err(redirect_at_the_idp)?,
            Login::Device { open_browser } => crate::authorize::device(s, &plan, open_browser)?,
            Login::IdToken(id_token) => self.given(id_token)?,
        };
        self.keep(s, reservation, set)
    }

    /// The sign-in as an authorization plan: the IdP's client and `openid` (plus
    /// `offline_access`, for an IdP refresh token, where the IdP lists it), for no MCP
    /// resource (an empty one, which the flows then leave out).
    pub fn plan(&self, profile: Option<&str>) -> Plan {
        Plan {
            server_url: self.issuer.clone(),
            resource: String::new(),
            issuer: self.issuer.clone(),
            metadata: self.metadata.clone(),
            client: self.client.clone(),
            scope: Some("openid".into()),
            profile: profile.map(String::from),
            dpop: None,
        }
    }

    /// Stores the session a sign-in gave, which must hold an ID token.
    pub fn keep(&self, s: Session<'_>, reservation: crate::store::Reservation, mut set: TokenSet) -> Result<TokenSet> {
        if set.id_token.is_none() {
            return Err(Error::protocol(&self.issuer, "the IdP's token response has no id_token (is openid allowed?)"));
        }
        set.resource = self.issuer.clone();
        crate::authorize::store_tokens(s, reservation, &set)?;
        Ok(set)
    }

    /// The IdP as stored: its client, and only the token endpoint of its metadata (what a
    /// headless sign-in's second half needs).
    pub fn stored(store: &Store, issuer: &str, token_endpoint: &str, profile: Option<&str>) -> Result<Idp> {
        let client: ClientRecord = store.load(&keys::client(issuer, profile))?.ok_or_else(|| {
            Error::InvalidInput(format!("the client for the IdP {issuer} is no longer stored"))
                .with_hint(Remedy::HandOff)
        })?;
        let mut metadata = AuthorizationServerMetadata::from_endpoints(issuer.to_string());
        metadata.token_endpoint = Some(token_endpoint.to_string());
        Ok(Idp { issuer: issuer.to_string(), metadata, client })
    }

    /// A session from an ID token handed over: kept until its `exp`.
    fn given(&self, id_token: Secret) -> Result<TokenSet> {
        let token_endpoint = self.metadata.token_endpoint.clone().ok_or_else(|| {
            Error::protocol(&self.issuer, "the IdP metadata has no token_endpoint, which the token exchange needs")
        })?;
        let claims = crate::jwt::decode_unverified(id_token.expose()).map(|(_, c)| c);
        let claims = claims.ok_or_else(|| Error::Usage("the ID token given is not a JWT".into()))?;
        let exp = crate::lenient::number(claims.get("exp"));
        let now = crate::clock::now();
        if exp.is_some_and(|e| e <= now) {
            return Err(Error::Usage("the ID token given has expired (its exp is in the past)".into()));
        }
        Ok(TokenSet {
            issuer: self.issuer.clone(),
            client_id: self.client.client_id.clone(),
            resource: self.issuer.clone(),
            token_endpoint,
            revocation_endpoint: None,
            access_token: Secret::from(""),
            token_type: "N_A".into(),
            refresh_token: None,
            expires_at: exp,
            scope: None,
            requested_scope: None,
            id_token: Some(id_token),
            grant: GrantType::Other("id_token".into()),
            obtained_at: now,
            handed_to: None,
            idp: None,
            workload: None,
            dpop_jkt: None,
        })
    }
}

/// The sign-in's redirect URI is the IdP client's, given with the IdP's client: advice to
/// register the MCP client again with another redirect URI or port becomes advice to give the
/// IdP client again with another one.
fn redirect_at_the_idp(e: Error) -> Error {
    match e {
        Error::Hinted { error, hint: Remedy::Register(r) } if r.redirect_uri || r.port.is_some() => {
            error.with_hint(Remedy::IdpRedirect)
        }
        Error::Hinted { error, hint: Remedy::LoopbackOrHandOff } => error.with_hint(Remedy::IdpRedirect),
        other => other,
    }
}

/// Where the IdP session of `issuer` is stored.
pub fn session_key(issuer: &str, profile: Option<&str>) -> Key {
    keys::token(issuer, profile)
}

/// Whether a listed token entry is a sign-in at an IdP rather than a login to an MCP
/// server: it holds an ID token, under the key [`session_key`] makes of its own issuer
/// (an MCP login's key is made of its resource). The profile part of the key is left
/// aside, since a listing may show it only hashed.
pub fn is_session(entry: &crate::store::Entry) -> bool {
    let issuer = entry.record.as_ref().and_then(|r| r.get("issuer")).and_then(serde_json::Value::as_str);
    let id = |key: &Key| key.as_str().rsplit('/').next().map(String::from);
    entry.kind == Some(keys::Kind::Token)
        && entry.secrets.iter().any(|s| s == "id_token")
        && issuer.is_some_and(|i| entry.key.as_ref().and_then(id) == id(&session_key(i, None)))
}

/// Refuses `set`, stored for `url`, when it is the sign-in at an IdP (`url` named the IdP
/// issuer where an MCP server URL goes): the IdP's ID token and access token are no token
/// for an MCP server, and are not given out as one. Marked as [`is_session`] marks it.
pub fn not_a_session(set: &TokenSet, url: &str) -> Result<()> {
    if set.id_token.is_some() && set.resource == set.issuer {
        return Err(Error::Usage(format!(
            "{url} is the enterprise IdP {}, not an MCP server: its stored sign-in holds no token for an MCP server",
            set.issuer
        ))
        .with_hint(Remedy::IdpStatus));
    }
    Ok(())
}

/// The `exp` of an ID token, read without verifying it: only its timing is wanted here
/// (the IdP verifies the token itself).
pub fn id_token_expiry(id_token: &Secret) -> Option<u64> {
    crate::jwt::decode_unverified(id_token.expose()).and_then(|(_, c)| crate::lenient::number(c.get("exp")))
}

fn fresh(id_token: &Secret) -> bool {
    id_token_expiry(id_token).is_none_or(|e| e > crate::clock::now().saturating_add(ID_TOKEN_MARGIN))
}

/// The ID token to exchange, with the IdP client: the stored one while it is valid, else
/// (or when the IdP just `refused` it) one refresh with the IdP refresh token. When neither
/// works the IdP session is over: `LoginRequired` with `hint`, the command to sign in again.
pub fn subject(
    http: &Http,
    store: &Store,
    issuer: &str,
    profile: Option<&str>,
    refused: bool,
    hint: &Remedy,
) -> Result<Subject> {
    let key = session_key(issuer, profile);
    let _guard = store.lock(&key)?;
    let set: TokenSet = store.load(&key)?.filter(|s: &TokenSet| s.issuer == issuer).ok_or_else(|| {
        Error::LoginRequired(format!("no sign-in at the IdP {issuer} is stored")).with_hint(hint.clone())
    })?;
    let client: ClientRecord = store.load(&keys::client(issuer, profile))?.ok_or_else(|| {
        Error::LoginRequired(format!("the client for the IdP {issuer} is gone")).with_hint(hint.clone())
    })?;
    client.check_endpoint(EndpointKind::Token, &set.token_endpoint)?;
    let subject = |id_token: Secret| Subject {
        issuer: issuer.to_string(),
        token_endpoint: set.token_endpoint.clone(),
        client: client.clone(),
        id_token,
    };
    if let Some(id_token) = set.id_token.clone().filter(|t| !refused && fresh(t)) {
        return Ok(subject(id_token));
    }
    let why = if refused { "the IdP refused its ID token" } else { "its ID token has expired" };
    let Some(refresh_token) = set.refresh_token.clone() else {
        return Err(Error::LoginRequired(format!(
            "the sign-in at the IdP {issuer} is over ({why}, and there is no IdP refresh token)"
        ))
        .with_hint(hint.clone()));
    };
    let reservation = store.reserve(&key)?;
    let endpoint = Endpoint { token_endpoint: &set.token_endpoint, issuer, client: &client, dpop: None };
    let grant = Grant::RefreshToken { refresh_token: refresh_token.clone() };
    let resp = token::request(http, endpoint, &grant, "", None).map_err(|e| match e.oauth_error() {
        Some("invalid_grant") => Error::LoginRequired(format!(
            "the sign-in at the IdP {issuer} is over ({why}, and it refused the IdP refresh token: {e})"
        ))
        .with_hint(hint.clone()),
        _ => e,
    })?;
    let origin = Origin {
        issuer,
        client_id: &set.client_id,
        resource: &set.resource,
        token_endpoint: &set.token_endpoint,
        revocation_endpoint: set.revocation_endpoint.as_deref(),
        grant: set.grant.clone(),
        requested_scope: set.requested_scope.as_deref(),
    };
    let new = TokenSet::new(resp, &origin, Some(&refresh_token), crate::clock::now());
    let id_token = new.id_token.clone().ok_or_else(|| {
        Error::LoginRequired(format!("the IdP {issuer} refreshed the sign-in without a new ID token"))
            .with_hint(hint.clone())
    })?;
    store.commit(reservation, &new)?;
    crate::events::notice!("refreshed the sign-in at the IdP {issuer} ({why})");
    Ok(subject(id_token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn id_token(exp: u64) -> Secret {
        let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"u","exp":{exp}}}"#));
        Secret::from(format!("{}.{claims}.sig", URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#)))
    }

    #[test]
    fn redirect_advice_is_about_the_idp_client() {
        use crate::remedy::Registration;
        let busy = Registration { client_id: Some("ID".into()), redirect_uri: true, ..Default::default() };
        for hint in [Remedy::Register(busy), Remedy::LoopbackOrHandOff] {
            let e = redirect_at_the_idp(Error::Usage("port 1 is in use".into()).with_hint(hint));
            assert_eq!(e.remedy(), Some(&Remedy::IdpRedirect), "{e}");
            assert_eq!(e.exit_code().code(), 2);
        }
        let other = redirect_at_the_idp(Error::Usage("x".into()).with_hint(Remedy::WaitLonger));
        assert_eq!(other.remedy(), Some(&Remedy::WaitLonger));
    }

    #[test]
    fn an_id_token_near_its_end_is_not_fresh() {
        let now = crate::clock::now();
        assert!(fresh(&id_token(now + ID_TOKEN_MARGIN + 5)));
        assert!(!fresh(&id_token(now + ID_TOKEN_MARGIN)), "within the margin: refreshed first");
        assert!(!fresh(&id_token(now.saturating_sub(1))));
        assert!(fresh(&Secret::from("opaque")), "not a JWT: the IdP judges it");
    }
}
