//! The authorization code grant with PKCE: in one go with a local browser and loopback
//! listener, or split in two for a machine without one (the URL is opened elsewhere, the
//! final callback URL pasted back).

use super::{AuthorizationRequest, Plan, Session, check_pkce_support, validate_response};
use crate::callback::{CallbackParams, CallbackServer};
use crate::document::{PendingInfo, Registered};
use crate::error::{Error, Result};
use crate::events::{Event, Prompt};
use crate::pkce::Pkce;
use crate::remedy::{Input, Remedy};
use crate::secret::Secret;
use crate::store::Reservation;
use crate::token::{self, Grant, TokenSet};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// How long a headless hand-off waits for its second half: about as long as servers
/// keep an authorization request open.
pub const PENDING_TTL: u64 = 600;

#[derive(Debug, Clone)]
pub struct CodeOptions {
    /// How long the loopback listener waits for the browser.
    pub timeout_callback: Duration,
    /// Open a browser (else only print the URL).
    pub open_browser: bool,
    /// `--auth-param` values.
    pub extra_params: Vec<(String, String)>,
    pub allow_missing_pkce_metadata: bool,
}

/// What the second half of a hand-off needs, kept in the store under
/// `keys::pending(state, profile)` until it is used once or expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub state: String,
    pub code_verifier: Secret,
    /// The `iss` expectation (RFC 9207) and the client's binding.
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss_parameter_supported: Option<bool>,
    pub client_id: String,
    pub redirect_uri: String,
    pub resource: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub created_at: u64,
    pub expires_at: u64,
    /// The pipeline document of the first half, so the second writes the same one on.
    pub document: Registered,
    /// Set for a sign-in at this enterprise IdP (see `enterprise`): the code is the IdP's,
    /// and `document`'s MCP server gets its tokens through the IdP afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// The first half's DPoP decision (flags and metadata), which the second half follows
    /// whatever is stored by then: the authorization URL bound the code to this key
    /// (`dpop_jkt`), or to none. `None`: Bearer, even if a key of the client is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop: Option<PendingDpop>,
}

/// The key a hand-off's code is bound to, and whether a Bearer answer is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingDpop {
    pub jkt: String,
    pub required: bool,
}

/// A prepared authorization request: its URL and the secrets to finish it.
struct Prepared {
    url: Url,
    pkce: Pkce,
    state: String,
    scope: Option<String>,
}

fn prepare(plan: &Plan, redirect_uri: &str, opts: &CodeOptions) -> Result<Prepared> {
    check_pkce_support(&plan.metadata, opts.allow_missing_pkce_metadata)?;
    let endpoint = plan.metadata.authorization_endpoint.as_deref().ok_or_else(|| {
        Error::protocol(&plan.issuer, "the authorization server metadata has no authorization_endpoint")
    })?;
    plan.token_endpoint()?;
    let pkce = Pkce::generate()?;
    let state = crate::pkce::random_token(32)?;
    let scope = plan.user_scope();
    let mut url = AuthorizationRequest {
        authorization_endpoint: endpoint,
        client_id: &plan.client.client_id,
        redirect_uri,
        code_challenge: &pkce.challenge,
        state: &state,
        scope: scope.as_deref(),
        resource: &plan.resource,
        extra: &opts.extra_params,
    }
    .url()?;
    // RFC 9449 §10: the code is bound to the key, so only a proof of it can exchange it.
    if let Some(b) = &plan.dpop {
        url.query_pairs_mut().append_pair("dpop_jkt", b.key.jkt());
    }
    crate::browser::check_url(&url)?;
    Ok(Prepared { url, pkce, state, scope })
}

fn registered_redirect(plan: &Plan) -> Result<&str> {
    plan.client.redirect_uri.as_deref().ok_or_else(|| {
        Error::InvalidInput(format!("client {} has no redirect URI", plan.client.client_id))
            .with_hint(Remedy::RedirectOrDevice)
    })
}

/// The code exchange (RFC 6749 §4.1.3 with the verifier and `resource`).
fn exchange(
    s: Session<'_>,
    plan: &Plan,
    code: Secret,
    verifier: Secret,
    redirect_uri: &str,
    scope: Option<&str>,
) -> Result<TokenSet> {
    let grant = Grant::AuthorizationCode { code, code_verifier: verifier, redirect_uri: redirect_uri.to_string() };
    let resp = plan.request_token(s.http, &grant, None)?;
    plan.token_set(resp, crate::grant_type::GrantType::AuthorizationCode, scope)
}

/// The whole flow on this machine: listen on the registered loopback redirect URI, send
/// the user to the authorization endpoint, take the callback, exchange the code.
pub fn interactive(s: Session<'_>, plan: &Plan, opts: &CodeOptions) -> Result<TokenSet> {
    let registered = registered_redirect(plan)?;
    let bound = crate::redirect::bind_callback(registered, plan.client.source)?;
    let redirect_uri = bound.redirect_uri.to_string();
    if bound.redirect_uri.as_str() != registered {
        crate::events::notice!(
            "the registered port is busy; listening on {redirect_uri} instead (RFC 8252 §7.3 loopback port)"
        );
    }
    let server = CallbackServer::from_listeners(bound.listeners, bound.redirect_uri)?;
    let p = prepare(plan, &redirect_uri, opts)?;
    // Open while the user is in the browser: its time is the time they took.
    let step = crate::trace::Step::begin("authorization request");
    let entered = step.enter();
    trace_request_url(&p.url);
    crate::events::emit(Event::Prompt(Prompt::OpenUrl { url: p.url.as_str() }));
    let mut opened = None;
    if opts.open_browser {
        let o = crate::browser::open(&p.url)?;
        if let Some(note) = &o.note {
            crate::events::notice!("{note}; open the URL above yourself");
        }
        opened = Some(o);
    }
    // The code exchange is the next request: its connection can be ready by the time the
    // user is back from the browser.
    token::warm_up(s.http, plan.token_endpoint()?);
    crate::events::notice!(
        "waiting up to {} s for the authorization response on {redirect_uri}",
        opts.timeout_callback.as_secs()
    );
    let until = std::time::Instant::now() + opts.timeout_callback;
    let mut last = None;
    let mut tick = || {
        if let Some(warning) = opened.as_mut().and_then(|o| o.poll_failure()) {
            crate::events::notice!("{warning}; open the URL above yourself");
        }
        let remaining = until.saturating_duration_since(std::time::Instant::now()).as_secs();
        if last.replace(remaining) != Some(remaining) {
            crate::events::emit(crate::events::Event::Waiting { remaining });
        }
    };
    let iss_supported = plan.metadata.authorization_response_iss_parameter_supported;
    let Prepared { pkce, state, scope, .. } = p;
    let mut waiting = Some((step, entered));
    let result = server.wait(opts.timeout_callback, &state, &mut tick, |params| {
        if let Some((step, entered)) = waiting.take() {
            drop(entered);
            step.end(true, "the browser came back to the redirect URI");
        }
        let code = validate_response(params, &state, iss_supported, &plan.issuer)?;
        exchange(s, plan, code, pkce.verifier.clone(), &redirect_uri, scope.as_deref())
    });
    if let Some((step, entered)) = waiting.take() {
        drop(entered);
        step.finish(&result, |_| String::new());
    }
    result
}

/// The authorization URL's parameters, in the trace of the step that sends the user there.
fn trace_request_url(url: &Url) {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    crate::trace::detail("authorization URL parameters", pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
}

/// First half of the hand-off: prints nothing itself; returns the authorization URL and
/// keeps what the second half needs in the store.
pub fn start_handoff(s: Session<'_>, plan: &Plan, opts: &CodeOptions, document: &Registered) -> Result<PendingInfo> {
    let redirect_uri = registered_redirect(plan)?.to_string();
    crate::redirect::validate(
        &Url::parse(&redirect_uri)
            .map_err(|e| Error::InvalidInput(format!("registered redirect URI {redirect_uri:?} is not a URL: {e}")))?,
    )?;
    let p = prepare(plan, &redirect_uri, opts)?;
    crate::trace::run(
        "authorization request",
        |_| {
            trace_request_url(&p.url);
            Ok::<_, Error>(())
        },
        |()| "URL handed over; the callback URL is to be pasted back in a second run".into(),
    )?;
    let now = crate::clock::now();
    let mut document = document.clone();
    document.forget_progress();
    // The second half writes this document without being asked to reveal anything.
    document.client_mut().client_secret = None;
    let pending = PendingAuthorization {
        state: p.state.clone(),
        code_verifier: p.pkce.verifier.clone(),
        issuer: plan.issuer.clone(),
        iss_parameter_supported: plan.metadata.authorization_response_iss_parameter_supported,
        client_id: plan.client.client_id.clone(),
        redirect_uri,
        resource: plan.resource.clone(),
        token_endpoint: plan.token_endpoint()?.to_string(),
        scope: p.scope.clone(),
        created_at: now,
        expires_at: now + PENDING_TTL,
        document,
        // An IdP sign-in is the plan for no MCP resource (`enterprise::Idp::plan`).
        idp: plan.resource.is_empty().then(|| plan.issuer.clone()),
        dpop: plan.dpop.as_ref().map(|b| PendingDpop { jkt: b.key.jkt().to_string(), required: b.required }),
    };
    let key = crate::store::keys::pending(&p.state, s.profile);
    // Hand-offs that were never finished go when a new one starts.
    s.store.purge_stale_pending(s.store.list_entries()?, now)?;
    s.store.save(&key, &pending)?;
    Ok(PendingInfo { authorization_url: p.url.to_string(), store_key: key.to_string(), expires_at: pending.expires_at })
}

/// Second half: finds the pending authorization by the callback's `state`, spends it
/// (it is erased whatever happens next: a code is good for one try), validates the
/// response and exchanges the code. Returns the tokens, the first half's document and the
/// reservation to store the tokens with (taken before anything is spent).
pub fn finish_handoff(s: Session<'_>, callback_url: &str) -> Result<(TokenSet, Registered, Reservation)> {
    let url = Url::parse(callback_url.trim()).map_err(|e| {
        Error::Usage(format!("not a URL ({e}); paste the whole address from the browser")).about(Input::CallbackUrl)
    })?;
    let params = CallbackParams::from_url(&url).map_err(|e| Error::Usage(e.to_string()).about(Input::CallbackUrl))?;
    let state = params.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
        Error::Security("the callback URL has no state, so it cannot be matched to a pending authorization".into())
    })?;
    // The state arrives from outside: only a plausible one becomes part of a store key.
    if state.len() > 128 || !state.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::Security("the callback URL's state was not made by mcp-authorize".into()));
    }
    let key = crate::store::keys::pending(state, s.profile);
    let (pending, reservation) = {
        let _guard = s.store.lock(&key)?;
        let found: Option<PendingAuthorization> = s.store.load(&key)?;
        let pending = found.ok_or_else(|| {
            Error::Security(
                "no pending authorization matches the callback's state: it was already used, started with another profile, or not started here".into(),
            )
        })?;
        // Before the hand-off is spent: a store that cannot keep the tokens leaves it usable.
        let reservation = super::reserve_tokens(s, pending.document.server_url())?;
        s.store.erase(&key)?;
        (pending, reservation)
    };
    if crate::clock::now() > pending.expires_at {
        return Err(
            Error::AuthorizationFailed("the pending authorization has expired".into()).with_hint(Remedy::HandOff)
        );
    }
    if !same_endpoint(&url, &pending.redirect_uri) {
        return Err(Error::Usage(format!(
            "the callback URL does not lead to the redirect URI of the pending authorization ({})",
            pending.redirect_uri
        )));
    }
    let code = validate_response(&params, &pending.state, pending.iss_parameter_supported, &pending.issuer)?;
    if let Some(idp) = &pending.idp {
        let (verifier, redirect_uri, scope) = (pending.code_verifier, pending.redirect_uri, pending.scope);
        let set = crate::enterprise::finish_handoff(
            s,
            idp,
            &pending.token_endpoint,
            &pending.client_id,
            &pending.document,
            |plan| exchange(s, plan, code, verifier, &redirect_uri, scope.as_deref()),
        )?;
        return Ok((set, pending.document, reservation));
    }
    let mut plan = Plan::from_document(&pending.document, s.store, s.profile)?;
    if plan.client.client_id != pending.client_id || plan.issuer != pending.issuer {
        return Err(Error::InvalidInput("the stored client changed since the authorization was started".into())
            .with_hint(Remedy::HandOff));
    }
    plan.dpop = pending.dpop.as_ref().map(|d| pending_key(s, &plan, d)).transpose()?.map(std::sync::Arc::new);
    let set = exchange(s, &plan, code, pending.code_verifier, &pending.redirect_uri, pending.scope.as_deref())?;
    Ok((set, pending.document, reservation))
}

/// The key step 1 bound the code to, from the store: a key replaced since (by another login)
/// could not exchange the code, so that is said before the code is sent.
fn pending_key(s: Session<'_>, plan: &Plan, d: &PendingDpop) -> Result<crate::dpop::Binding> {
    match crate::dpop::key::load(s.store, &plan.issuer, &plan.client.client_id, s.profile)? {
        Some(key) if key.jkt() == d.jkt => Ok(crate::dpop::Binding { key, required: d.required }),
        _ => Err(Error::AuthorizationFailed(format!(
            "the DPoP key the authorization was started with ({}) is no longer the stored one, and the code is bound to it",
            d.jkt
        ))
        .with_hint(Remedy::HandOff)),
    }
}

/// Scheme, host, port and path equal: where the browser was sent back to.
fn same_endpoint(got: &Url, redirect_uri: &str) -> bool {
    Url::parse(redirect_uri).is_ok_and(|r| {
        r.scheme() == got.scheme()
            && r.host_str() == got.host_str()
            && r.port_or_known_default() == got.port_or_known_default()
            && r.path() == got.path()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_url_must_match_the_redirect() {
        let r = "http://127.0.0.1:5000/callback";
        assert!(same_endpoint(&Url::parse("http://127.0.0.1:5000/callback?code=a").unwrap(), r));
        assert!(!same_endpoint(&Url::parse("http://127.0.0.1:5001/callback?code=a").unwrap(), r));
        assert!(!same_endpoint(&Url::parse("http://127.0.0.1:5000/other?code=a").unwrap(), r));
        assert!(!same_endpoint(&Url::parse("https://127.0.0.1:5000/callback?code=a").unwrap(), r));
    }
}
