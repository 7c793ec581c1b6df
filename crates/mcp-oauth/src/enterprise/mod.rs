//! Enterprise-managed authorization (MCP SEP-990, the Identity Assertion JWT Authorization
//! Grant): the user signs in once at the enterprise IdP; for each MCP server the IdP's ID
//! token is exchanged there (RFC 8693) for an ID-JAG, which the MCP authorization server
//! takes as an RFC 7523 jwt-bearer grant. The client never sends the user to the MCP
//! authorization server.
//!
//! - `idp`: the IdP, its client, the sign-in and the session it leaves;
//! - `exchange`: the token exchange at the IdP;
//! - `id_jag`: the pre-flight of an ID-JAG before it leaves for the MCP AS.
//!
//! An ID-JAG is treated as single-use (EMA §7.4.2 has the AS refuse a reused `jti`): every
//! grant and every renewal starts with a new exchange, and an `invalid_grant` from the MCP
//! AS gets exactly one fresh ID-JAG, never a loop and never another kind of grant.

mod exchange;
mod id_jag;
mod idp;

pub use exchange::{Audience, Subject, request_id_jag};
pub use id_jag::{Expected, TYP as ID_JAG_TYP, check as check_id_jag};
pub use idp::{Idp, Login, id_token_expiry, is_session, not_a_session, session_key};

use crate::authorize::{Obtained, Plan, Session};
use crate::client::ClientRecord;
use crate::error::{Error, Result};
use crate::grant_type::GrantType;
use crate::http::Http;
use crate::remedy::Remedy;
use crate::store::Store;
use crate::token::{self, Endpoint, Grant, Origin, TokenSet};

/// RFC 8693 token type of an ID-JAG (ID-JAG §4.3).
pub const ID_JAG_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";
/// RFC 8693 §3 token type of an OpenID Connect ID token.
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// EMA §6: what an MCP AS lists in `authorization_grant_profiles_supported`.
pub const ID_JAG_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// The MCP side of one grant.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// For the command in "sign in again" messages.
    pub server_url: &'a str,
    pub issuer: &'a str,
    pub token_endpoint: &'a str,
    pub revocation_endpoint: Option<&'a str>,
    pub client: &'a ClientRecord,
    pub resource: &'a str,
    pub scope: Option<&'a str>,
    /// The IdP issuer.
    pub idp: &'a str,
    pub profile: Option<&'a str>,
}

impl Target<'_> {
    /// Signing in at the IdP again (the IdP client is stored by then).
    pub fn login_hint(&self) -> Remedy {
        Remedy::IdpSignIn {
            idp: self.idp.to_string(),
            server: self.server_url.to_string(),
            profile: self.profile.map(String::from),
            auth_params: Vec::new(),
        }
    }
}

/// Exchange at the IdP and jwt-bearer grant at the MCP AS: a new token set for `t`.
pub fn grant(http: &Http, store: &Store, t: &Target<'_>) -> Result<TokenSet> {
    let hint = t.login_hint();
    let resp = match present(http, t, id_jag(http, store, t, &hint)?) {
        Err(e) if e.oauth_error() == Some("invalid_grant") => {
            crate::events::notice!("{} refused the ID-JAG ({e}); asking the IdP for one new ID-JAG", t.issuer);
            present(http, t, id_jag(http, store, t, &hint)?)
                .map_err(|e| e.with_hint("a second, fresh ID-JAG was refused too; not trying again"))?
        }
        r => r?,
    };
    let origin = Origin {
        issuer: t.issuer,
        client_id: &t.client.client_id,
        resource: t.resource,
        token_endpoint: t.token_endpoint,
        revocation_endpoint: t.revocation_endpoint,
        grant: GrantType::JwtBearer,
        requested_scope: t.scope,
    };
    let mut set = TokenSet::new(resp, &origin, None, crate::clock::now());
    set.idp = Some(t.idp.to_string());
    Ok(set)
}

/// One new ID-JAG for `t`, checked. An `invalid_grant` from the IdP (an ID token it no
/// longer takes) gets one refresh of the ID token; a second one ends the IdP session.
fn id_jag(http: &Http, store: &Store, t: &Target<'_>, hint: &Remedy) -> Result<crate::secret::Secret> {
    let audience = Audience { issuer: t.issuer, resource: t.resource, scope: t.scope };
    let exchange = |refused: bool| {
        request_id_jag(http, &idp::subject(http, store, t.idp, t.profile, refused, hint)?, audience)
            .map_err(|e| step_up(e, t.idp, hint))
    };
    let id_jag = match exchange(false) {
        Err(first) if first.oauth_error() == Some("invalid_grant") => exchange(true).map_err(|e| {
            if let Error::LoginRequired(why) = e.bare() {
                Error::LoginRequired(format!("{first}; {why}")).with_hint(hint.clone())
            } else if e.oauth_error() == Some("invalid_grant") {
                Error::LoginRequired(format!("the IdP {} refused the sign-in for the token exchange ({e})", t.idp))
                    .with_hint(hint.clone())
            } else {
                e
            }
        })?,
        r => r?,
    };
    let want = Expected { idp: t.idp, audience: t.issuer, client_id: &t.client.client_id, resource: t.resource };
    id_jag::check(id_jag.expose(), &want, crate::clock::now())?;
    Ok(id_jag)
}

/// ID-JAG §8.2: `insufficient_user_authentication` means the IdP wants a newer or stronger
/// sign-in before it issues an ID-JAG. Refreshing the ID token cannot give that: only the
/// user signing in again can, and a sign-in the IdP may answer from its browser session
/// gives it only when asked for it, so what it wants (`acr_values`, `max_age`) goes into
/// the remedy, as the parameters of that sign-in's authorization request.
fn step_up(e: Error, idp: &str, hint: &Remedy) -> Error {
    let Error::OAuth { body, .. } = e.bare() else { return e };
    if body.error != "insufficient_user_authentication" {
        return e;
    }
    let mut hint = hint.clone();
    if let Remedy::IdpSignIn { auth_params, .. } = &mut hint {
        *auth_params = sign_in_params(body);
    }
    Error::LoginRequired(format!("the IdP {idp} wants a newer or stronger sign-in before it issues an ID-JAG ({e})"))
        .with_hint(hint)
}

/// OIDC Core §3.1.2.1: the authorization request parameters that ask for the sign-in a
/// step-up error describes.
fn sign_in_params(body: &crate::error::OAuthErrorBody) -> Vec<(String, String)> {
    let Some(wants) = body.step_up.as_deref() else { return Vec::new() };
    let max_age = wants.max_age.map(|m| ("max_age".to_string(), m.to_string()));
    let acr = wants.acr_values.clone().map(|a| ("acr_values".to_string(), a));
    max_age.into_iter().chain(acr).collect()
}

/// The sign-in `login`, asking for what `refusal`'s remedy says the IdP wants of it; those
/// values replace the same parameters given with `--auth-param`, being the IdP's newest word.
fn asking(login: Login, refusal: &Error) -> Login {
    let wanted = match refusal.remedy() {
        Some(Remedy::IdpSignIn { auth_params, .. }) if !auth_params.is_empty() => auth_params,
        _ => return login,
    };
    match login {
        Login::Browser(mut opts) => {
            opts.extra_params.retain(|(k, _)| !wanted.iter().any(|(w, _)| w == k));
            opts.extra_params.extend(wanted.iter().cloned());
            Login::Browser(opts)
        }
        other => {
            crate::events::warning!(
                "the IdP asked for a sign-in with {}, which only the browser sign-in can ask for",
                wanted.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
            );
            other
        }
    }
}

/// The jwt-bearer grant with the ID-JAG, as the MCP client (EMA §5).
fn present(http: &Http, t: &Target<'_>, id_jag: crate::secret::Secret) -> Result<token::TokenResponse> {
    let endpoint = Endpoint { token_endpoint: t.token_endpoint, issuer: t.issuer, client: t.client, dpop: None };
    token::request(http, endpoint, &Grant::JwtBearer { assertion: id_jag }, t.resource, t.scope)
}

/// `mcp-token`'s renewal of a set that came from an ID-JAG (called by [`token::refresh`]
/// with the MCP client it checked): a new exchange and grant while the IdP session lasts.
pub fn renew(
    http: &Http,
    store: &Store,
    set: &TokenSet,
    client: &ClientRecord,
    idp: &str,
    profile: Option<&str>,
) -> Result<TokenSet> {
    let target = Target {
        server_url: &set.resource,
        issuer: &set.issuer,
        token_endpoint: &set.token_endpoint,
        revocation_endpoint: set.revocation_endpoint.as_deref(),
        client,
        resource: &set.resource,
        scope: set.requested_scope.as_deref(),
        idp,
        profile,
    };
    grant(http, store, &target)
}

/// The IdP a stored token set for `server_url` came from, so that later runs need not be
/// told again. An entry that cannot be read names none: the flow that follows meets it
/// and deals with it (a new login replaces a damaged entry, with a warning).
pub fn stored_idp(store: &Store, server_url: &str, profile: Option<&str>) -> Result<Option<String>> {
    let set: Option<TokenSet> = store.load(&token::store_key(server_url, profile)?).ok().flatten();
    Ok(set.and_then(|s| s.idp))
}

/// `mcp-authorize --idp`: tokens for `plan`'s MCP server through the IdP. The stored IdP
/// session is used while it lasts (unless `force`, or an ID token is given); otherwise the
/// user signs in at the IdP with `login` first. Stored like every token set.
pub fn obtain(s: Session<'_>, plan: &Plan, idp: &Idp, login: Login, force: bool) -> Result<Obtained> {
    warn_unless_supported(&plan.metadata);
    let target = target(plan, &idp.issuer, s.profile)?;
    let reservation = crate::authorize::reserve_tokens(s, &plan.server_url)?;
    let reuse = !force && !matches!(login, Login::IdToken(_));
    let set = match reuse.then(|| grant(s.http, s.store, &target)) {
        Some(Ok(set)) => set,
        Some(Err(e)) if matches!(e.bare(), Error::LoginRequired(_)) => {
            // The bare message: its remedy (sign in at the IdP) is what happens next.
            crate::events::notice!("{}; signing in at the IdP", e.bare());
            idp.login(s, asking(login, &e))?;
            grant(s.http, s.store, &target)?
        }
        Some(Err(e)) => return Err(e),
        None => {
            idp.login(s, login)?;
            grant(s.http, s.store, &target)?
        }
    };
    let key = crate::authorize::store_tokens(s, reservation, &set)?;
    Ok(Obtained { set, key, refreshed: false })
}

fn target<'a>(plan: &'a Plan, idp: &'a str, profile: Option<&'a str>) -> Result<Target<'a>> {
    Ok(Target {
        server_url: &plan.server_url,
        issuer: &plan.issuer,
        token_endpoint: plan.token_endpoint()?,
        revocation_endpoint: plan.metadata.revocation_endpoint.as_deref(),
        client: &plan.client,
        resource: &plan.resource,
        scope: plan.scope.as_deref(),
        idp,
        profile,
    })
}

/// The second half of a headless sign-in at the IdP (`mcp-authorize --print-url --idp`,
/// then `--callback-url`): `exchange` redeems the code with the IdP's plan, the session is
/// stored, and the grant for the first half's MCP server follows. The caller stores that.
pub fn finish_handoff(
    s: Session<'_>,
    idp: &str,
    token_endpoint: &str,
    client_id: &str,
    doc: &crate::document::Registered,
    exchange: impl FnOnce(&Plan) -> Result<TokenSet>,
) -> Result<TokenSet> {
    let idp = Idp::stored(s.store, idp, token_endpoint, s.profile)?;
    if idp.client.client_id != client_id {
        return Err(Error::InvalidInput("the stored IdP client changed since the sign-in was started".into())
            .with_hint(Remedy::HandOff));
    }
    let reservation = s.store.reserve(&session_key(&idp.issuer, s.profile))?;
    idp.keep(s, reservation, exchange(&idp.plan(s.profile))?)?;
    let plan = Plan::from_document(doc, s.store, s.profile)?;
    grant(s.http, s.store, &target(&plan, &idp.issuer, s.profile)?)
}

/// EMA §6: the profile entry is only a SHOULD, so its absence is said, not refused.
fn warn_unless_supported(metadata: &crate::metadata::AuthorizationServerMetadata) {
    let profiles = metadata.extra.get("authorization_grant_profiles_supported").and_then(|v| v.as_array());
    if !profiles.is_some_and(|p| p.iter().any(|v| v.as_str() == Some(ID_JAG_PROFILE))) {
        crate::events::notice!(
            "{} does not list {ID_JAG_PROFILE} in authorization_grant_profiles_supported; trying the ID-JAG grant anyway",
            metadata.issuer
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_hint_names_the_idp_server_and_profile() {
        let client: ClientRecord = serde_json::from_value(serde_json::json!({
            "issuer": "https://as.example", "client_id": "c", "auth_method": "none",
            "source": "pre_registered", "created_at": 0,
        }))
        .unwrap();
        let mut t = Target {
            server_url: "https://mcp.example/mcp",
            issuer: "https://as.example",
            token_endpoint: "https://as.example/token",
            revocation_endpoint: None,
            client: &client,
            resource: "https://mcp.example/mcp",
            scope: None,
            idp: "https://idp.example",
            profile: None,
        };
        let hint = |profile: Option<&str>| Remedy::IdpSignIn {
            idp: "https://idp.example".into(),
            server: "https://mcp.example/mcp".into(),
            profile: profile.map(String::from),
            auth_params: Vec::new(),
        };
        assert_eq!(t.login_hint(), hint(None));
        t.profile = Some("work");
        assert_eq!(t.login_hint(), hint(Some("work")));
    }

    #[test]
    fn a_step_up_refusal_asks_the_next_browser_sign_in_for_what_the_idp_wants() {
        use crate::error::{OAuthErrorBody, StepUpWants};
        let hint = Remedy::IdpSignIn {
            idp: "https://idp.example".into(),
            server: "https://mcp.example/mcp".into(),
            profile: None,
            auth_params: Vec::new(),
        };
        let oauth = |error: &str| Error::OAuth {
            context: "token request (400)".into(),
            body: OAuthErrorBody {
                error: error.into(),
                step_up: Some(Box::new(StepUpWants { acr_values: Some("mfa".into()), max_age: Some(60) })),
                ..Default::default()
            },
        };
        let e = step_up(oauth("insufficient_user_authentication"), "https://idp.example", &hint);
        assert_eq!(e.exit_code().code(), 7, "{e}");
        let wanted = vec![("max_age".to_string(), "60".to_string()), ("acr_values".to_string(), "mfa".to_string())];
        assert!(
            matches!(e.remedy(), Some(Remedy::IdpSignIn { auth_params, .. }) if *auth_params == wanted),
            "{:?}",
            e.remedy()
        );
        let given = vec![("max_age".to_string(), "3600".to_string()), ("prompt".to_string(), "login".to_string())];
        let opts = crate::authorize::CodeOptions {
            timeout_callback: std::time::Duration::from_secs(1),
            open_browser: false,
            extra_params: given.clone(),
            allow_missing_pkce_metadata: false,
        };
        let Login::Browser(asked) = asking(Login::Browser(opts.clone()), &e) else { panic!() };
        let mut expected = vec![given[1].clone()];
        expected.extend(wanted);
        assert_eq!(asked.extra_params, expected, "the IdP's values replace the same ones given");
        // Another refusal is left as it was, and asks nothing of the sign-in.
        let other = step_up(oauth("invalid_grant"), "https://idp.example", &hint);
        assert_eq!((other.oauth_error(), other.remedy()), (Some("invalid_grant"), None));
        let Login::Browser(same) = asking(Login::Browser(opts), &other) else { panic!() };
        assert_eq!(same.extra_params, given);
    }
}
