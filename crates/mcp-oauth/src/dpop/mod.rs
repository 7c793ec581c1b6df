//! DPoP (RFC 9449, MCP extension SEP-1932): sender-constrained tokens. The client proves on
//! every request that it holds the key the token is bound to, so a token copied from a log or
//! a proxy is useless without the key.
//!
//! - [`key`]: the ES256 key pair, kept in the credential store beside the client record;
//! - [`proof`]: the proof JWT of one request;
//! - [`nonce`]: server nonces and the `use_dpop_nonce` challenge;
//! - here: when a grant uses DPoP ([`prepare`], [`for_refresh`]) and sending a request with a
//!   proof, retried once on a nonce challenge ([`send`]).

pub mod key;
pub mod nonce;
pub mod proof;

use crate::error::{Error, Result};
use crate::http::{Http, Request, Response};
use crate::metadata::AuthorizationServerMetadata;
use crate::store::Store;
pub use key::DpopKey;
pub use nonce::Role;

/// The `token_type` of a DPoP-bound token (compared case-insensitively, RFC 6749 §5.1).
pub const TOKEN_TYPE: &str = "DPoP";

/// Whether a new grant uses DPoP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// When the authorization server advertises ES256 in `dpop_signing_alg_values_supported`.
    #[default]
    Auto,
    /// Always; a server that cannot, or that answers with a Bearer token, is an error.
    Require,
    /// Never: plain Bearer tokens.
    Off,
}

/// The key a grant's token requests are signed with, and whether a Bearer answer is refused.
#[derive(Debug)]
pub struct Binding {
    pub key: DpopKey,
    pub required: bool,
}

/// Whether the server's metadata lists ES256 for DPoP proofs (RFC 9449 §5.1).
pub fn advertised(metadata: &AuthorizationServerMetadata) -> bool {
    metadata
        .extra
        .get("dpop_signing_alg_values_supported")
        .and_then(|v| v.as_array())
        .is_some_and(|algs| algs.iter().any(|a| a.as_str() == Some(key::ALG)))
}

/// The binding for a new grant of `client_id` at `metadata`'s server under `mode`: the stored
/// key of that client (made and stored on first use), or none for a Bearer grant.
pub fn prepare(
    store: &Store,
    profile: Option<&str>,
    metadata: &AuthorizationServerMetadata,
    client_id: &str,
    mode: Mode,
) -> Result<Option<Binding>> {
    let required = match (mode, advertised(metadata)) {
        (Mode::Off, _) | (Mode::Auto, false) => return Ok(None),
        (Mode::Auto, true) => false,
        (Mode::Require, true) => true,
        (Mode::Require, false) => {
            return Err(Error::Security(format!(
                "DPoP was required (--dpop) but {} does not list {} in dpop_signing_alg_values_supported, so it cannot bind tokens to a key",
                metadata.issuer,
                key::ALG
            )));
        }
    };
    let key = key::load_or_create(store, &metadata.issuer, client_id, profile)?;
    Ok(Some(Binding { key, required }))
}

/// The binding to renew a stored token with: the key the grant was bound to (a refresh token
/// of a public client is bound to it, RFC 9449 §5), or none for a grant made without DPoP.
/// A key that is gone, or is not the one the token names, means a new login.
pub fn for_refresh(store: &Store, set: &crate::token::TokenSet, profile: Option<&str>) -> Result<Option<Binding>> {
    let Some(jkt) = &set.dpop_jkt else { return Ok(None) };
    let key = key::load(store, &set.issuer, &set.client_id, profile)?;
    match key {
        Some(key) if key.jkt() == jkt => {
            Ok(Some(Binding { key, required: set.token_type.eq_ignore_ascii_case(TOKEN_TYPE) }))
        }
        found => Err(Error::LoginRequired(format!(
            "the DPoP key the token for {} is bound to ({jkt}) is {}, so the token cannot be renewed or used; run: mcp-authorize{} --force {}",
            set.resource,
            if found.is_some() { "not the stored one" } else { "gone from the credential store" },
            profile.map(|p| format!(" --profile {p}")).unwrap_or_default(),
            set.resource
        ))),
    }
}

/// The stored key a DPoP token is presented with (see [`for_refresh`]); an error for a Bearer
/// token, which has none.
pub fn presentation_key(store: &Store, set: &crate::token::TokenSet, profile: Option<&str>) -> Result<DpopKey> {
    match for_refresh(store, set, profile)? {
        Some(b) => Ok(b.key),
        None => Err(Error::Internal("presenting a token without a DPoP key".into())),
    }
}

/// Whether a stored token must be presented with a proof (never as Bearer).
pub fn is_dpop(set: &crate::token::TokenSet) -> bool {
    set.token_type.eq_ignore_ascii_case(TOKEN_TYPE)
}

/// Sends the request `build` makes with a fresh proof in `DPoP`, using the nonce the server
/// last gave; a `use_dpop_nonce` challenge that carries a nonce is answered once, with a new
/// request from `build` (so a `private_key_jwt` assertion is made anew, never resent) and a new
/// proof (new `jti`) carrying that nonce. A second challenge is returned to the caller as the
/// server's answer. Redirects are never followed (see `http`), so a proof names the one URL
/// it is sent to.
pub fn send(
    http: &Http,
    key: &DpopKey,
    role: Role,
    access_token: Option<&str>,
    build: impl Fn() -> Result<Request>,
) -> Result<Response> {
    // `challenge`: the nonce a challenge asked for; else the one remembered for the server.
    let attempt = |challenge: Option<String>| -> Result<Response> {
        let req = build()?;
        let nonce = challenge.or_else(|| nonce::get(role, &req.url));
        let target = proof::Target { htm: req.method.as_str(), url: &req.url, access_token, nonce: nonce.as_deref() };
        let p = proof::proof(key, target, crate::clock::now())?;
        let resp = http.send(req.header("DPoP", p.into_exposed()))?;
        nonce::remember(role, &resp);
        Ok(resp)
    };
    let resp = attempt(None)?;
    match nonce::challenged(role, &resp) {
        Some(n) => attempt(Some(n)),
        None => Ok(resp),
    }
}

/// A request to an MCP server with a DPoP token: `Authorization: DPoP <token>` and a proof
/// with `ath` (DPoP-ext "Access Token Presentation").
pub fn send_to_resource(
    http: &Http,
    key: &DpopKey,
    access_token: &str,
    build: impl Fn() -> Request,
) -> Result<Response> {
    send(http, key, Role::Resource, Some(access_token), || {
        Ok(build().header("Authorization", format!("{TOKEN_TYPE} {access_token}")))
    })
}
