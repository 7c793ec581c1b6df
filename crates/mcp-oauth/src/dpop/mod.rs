//! DPoP (RFC 9449, MCP extension SEP-1932): sender-constrained tokens. The client proves on
//! every request that it holds the key the token is bound to, so a token copied from a log or
//! a proxy is useless without the key.
//!
//! - [`key`]: the ES256 key pair, kept in the credential store beside the client record;
//! - [`proof`]: the proof JWT of one request;
//! - [`nonce`]: server nonces and the `use_dpop_nonce` challenge;
//! - here: when a grant uses DPoP ([`mode_for`], [`prepare`], [`for_refresh`]) and sending a request with a
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

/// The mode a login runs in: what the user asked for, decided by the MCP server's resource
/// metadata (RFC 9728 with RFC 9449 §5.2) when the user left it to us:
/// - `dpop_bound_access_tokens_required`: [`Mode::Require`], since a Bearer token is useless there;
/// - `dpop_signing_alg_values_supported` alone: [`Mode::Auto`], DPoP when the AS offers it too;
/// - neither: [`Mode::Off`]. Many authorization servers advertise DPoP by default (oidc-provider,
///   Keycloak), while most MCP servers take Bearer tokens only: a bound token would be refused
///   there, and every `Authorization: Bearer $(mcp-token URL)` pipeline would break. The
///   authorization server's offer alone is no reason to bind.
///
/// An explicit choice stands: `--dpop` against a silent MCP server, `--no-dpop` against one
/// that requires it (whose refusals will then say why).
pub fn mode_for(asked: Mode, doc: &crate::document::Discovered) -> Mode {
    let prm = doc.discovery().and_then(|d| d.resource_metadata.as_ref()).map(|m| &m.extra);
    let required =
        prm.and_then(|m| m.get("dpop_bound_access_tokens_required")).is_some_and(|v| v.as_bool() == Some(true));
    let offered = required || prm.is_some_and(|m| m.contains_key("dpop_signing_alg_values_supported"));
    match asked {
        Mode::Auto if required => Mode::Require,
        Mode::Auto if !offered => Mode::Off,
        asked => asked,
    }
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
                "DPoP was required but {} does not list {} in dpop_signing_alg_values_supported, so it cannot bind tokens to a key",
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
            "the DPoP key the token for {} is bound to ({jkt}) is {}, so the token cannot be renewed or used",
            set.resource,
            if found.is_some() { "not the stored one" } else { "gone from the credential store" },
        ))
        .with_hint(crate::token::new_grant(set, profile))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientRecord;
    use crate::token::{Endpoint, Grant};
    use mcp_testkit::mock::{Mock, Reply};
    use serde_json::json;

    fn claims(jwt: &str) -> serde_json::Value {
        crate::jwt::decode_unverified(jwt).unwrap().1
    }

    /// A client authenticating with private_key_jwt, its key in a temporary PEM file.
    fn key_jwt_client(issuer: &str) -> (ClientRecord, tempfile::NamedTempFile) {
        use base64::Engine as _;
        let rng = ring::rand::SystemRandom::new();
        let alg = &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n"))
            .unwrap();
        let client = serde_json::from_value(json!({
            "issuer": issuer, "client_id": "bot", "auth_method": "private_key_jwt", "source": "pre_registered",
            "created_at": 0, "private_key_file": file.path().to_str().unwrap(),
        }))
        .unwrap();
        (client, file)
    }

    /// A mock server whose origin no earlier test's nonce is remembered for.
    fn fresh_mock() -> Mock {
        let mock = Mock::start();
        nonce::forget(&url::Url::parse(&mock.origin()).unwrap());
        mock
    }

    fn binding(required: bool) -> Binding {
        Binding { key: DpopKey::generate("i", "c", 0).unwrap().0, required }
    }

    #[test]
    fn a_nonce_challenge_is_answered_once_with_a_new_proof_and_a_new_assertion() {
        let mock = fresh_mock();
        let challenge = json!({"error": "use_dpop_nonce", "error_description": "nonce needed"});
        mock.on("POST", "/token", Reply::json(400, &challenge).header("DPoP-Nonce", "n-1"));
        let (client, _key_file) = key_jwt_client(&mock.origin());
        let b = binding(false);
        let token_endpoint = mock.url("/token");
        let endpoint =
            Endpoint { token_endpoint: &token_endpoint, issuer: &mock.origin(), client: &client, dpop: Some(&b) };
        let http = Http::new(Default::default());
        let e = crate::token::request(&http, endpoint, &Grant::ClientCredentials, "http://127.0.0.1:1/mcp", None)
            .unwrap_err();
        assert_eq!(e.oauth_error(), Some("use_dpop_nonce"), "a second challenge is the answer: {e}");
        let sent = mock.requests();
        assert_eq!(sent.len(), 2, "exactly one retry");
        let proofs: Vec<_> = sent.iter().map(|r| claims(r.header("dpop").unwrap())).collect();
        assert!(proofs[0].get("nonce").is_none(), "no nonce before the server gave one");
        assert_eq!(proofs[1]["nonce"], "n-1");
        assert_ne!(proofs[0]["jti"], proofs[1]["jti"]);
        assert_eq!(proofs[1]["htu"], token_endpoint.as_str());
        let assertion = |r: &mcp_testkit::mock::Recorded| {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(&r.body).into_owned().collect();
            form.into_iter().find(|(k, _)| k == "client_assertion").unwrap().1
        };
        assert_ne!(assertion(&sent[0]), assertion(&sent[1]), "the assertion is made anew, never resent");
        assert_ne!(claims(&assertion(&sent[0]))["jti"], claims(&assertion(&sent[1]))["jti"]);
    }

    #[test]
    fn a_bearer_answer_to_a_required_proof_is_discarded() {
        let mock = fresh_mock();
        let answer = json!({"access_token": "plain-bearer-token", "token_type": "Bearer", "expires_in": 60});
        mock.on("POST", "/token", Reply::json(200, &answer).header("DPoP-Nonce", "fresh"));
        let (client, _key_file) = key_jwt_client(&mock.origin());
        let token_endpoint = mock.url("/token");
        let http = Http::new(Default::default());
        let send = |b: &Binding| {
            let endpoint =
                Endpoint { token_endpoint: &token_endpoint, issuer: &mock.origin(), client: &client, dpop: Some(b) };
            crate::token::request(&http, endpoint, &Grant::ClientCredentials, "http://127.0.0.1:1/mcp", None)
        };
        let e = send(&binding(true)).unwrap_err();
        assert_eq!(e.exit_code().code(), 5, "{e}");
        assert!(e.to_string().contains("discarded") && !e.to_string().contains("plain-bearer-token"), "{e}");
        assert_eq!(send(&binding(false)).unwrap().token_type, "Bearer", "without --dpop a Bearer answer is used");
        // The DPoP-Nonce of a 200 is the one the next request carries.
        assert_eq!(claims(mock.requests()[1].header("dpop").unwrap())["nonce"], "fresh");
    }

    #[test]
    fn a_resource_nonce_challenge_is_answered_once() {
        let mock = fresh_mock();
        let challenge = r#"Bearer resource_metadata="x", DPoP error="use_dpop_nonce", algs="ES256""#;
        mock.on("POST", "/mcp", Reply::status(401).header("WWW-Authenticate", challenge).header("DPoP-Nonce", "r-1"));
        let b = binding(false);
        let http = Http::new(Default::default());
        let url = url::Url::parse(&mock.url("/mcp?x=1")).unwrap();
        let resp = send_to_resource(&http, &b.key, "the-access-token", || {
            crate::http::Request::post_json(url.clone(), json!({}))
        })
        .unwrap();
        assert_eq!(resp.status, 401, "a second challenge is returned, not retried");
        let sent = mock.requests();
        assert_eq!(sent.len(), 2);
        for r in &sent {
            assert_eq!(r.header("authorization"), Some("DPoP the-access-token"), "never Bearer");
            let c = claims(r.header("dpop").unwrap());
            assert_eq!(c["ath"], proof::ath("the-access-token"));
            assert_eq!(c["htu"], mock.url("/mcp"), "no query in htu");
        }
        assert_eq!(claims(sent[1].header("dpop").unwrap())["nonce"], "r-1");
    }

    #[test]
    fn the_mcp_servers_metadata_decides_when_the_user_did_not() {
        let doc = |prm: serde_json::Value| -> crate::document::Discovered {
            serde_json::from_value::<crate::document::Document>(json!({
                "mcp_oauth": 1, "server_url": "https://mcp.example/mcp", "resource": "https://mcp.example/mcp",
                "discovery": {"source": "resource_metadata", "resource_metadata": prm},
                "authorization_server": {"issuer": "https://as.example", "pkce_s256": true, "registration_options": [], "metadata": {"issuer": "https://as.example"}},
            }))
            .unwrap()
            .discovered()
            .unwrap()
        };
        let requiring = doc(json!({"resource": "https://mcp.example/mcp", "dpop_bound_access_tokens_required": true}));
        let offering =
            doc(json!({"resource": "https://mcp.example/mcp", "dpop_signing_alg_values_supported": ["ES256"]}));
        let silent = doc(json!({"resource": "https://mcp.example/mcp"}));
        assert_eq!(mode_for(Mode::Auto, &requiring), Mode::Require);
        assert_eq!(mode_for(Mode::Off, &requiring), Mode::Off, "--no-dpop is the user's call");
        assert_eq!(mode_for(Mode::Auto, &offering), Mode::Auto, "DPoP if the AS offers it too");
        assert_eq!(mode_for(Mode::Auto, &silent), Mode::Off, "the AS's offer alone binds nothing");
        assert_eq!(mode_for(Mode::Require, &silent), Mode::Require, "--dpop is the user's call");
    }

    #[test]
    fn the_decision_follows_the_metadata_and_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::tests::file_store(dir.path(), None);
        let meta = |algs: serde_json::Value| -> AuthorizationServerMetadata {
            serde_json::from_value(json!({"issuer": "https://as.example", "dpop_signing_alg_values_supported": algs}))
                .unwrap()
        };
        let plain: AuthorizationServerMetadata =
            serde_json::from_value(json!({"issuer": "https://as.example"})).unwrap();
        let decide = |m: &AuthorizationServerMetadata, mode| prepare(&store, None, m, "c", mode);
        assert!(decide(&plain, Mode::Auto).unwrap().is_none());
        assert!(decide(&meta(json!(["EdDSA"])), Mode::Auto).unwrap().is_none(), "ES256 is what we sign with");
        assert!(decide(&meta(json!(["ES256"])), Mode::Off).unwrap().is_none());
        let auto = decide(&meta(json!(["EdDSA", "ES256"])), Mode::Auto).unwrap().unwrap();
        assert!(!auto.required);
        let required = decide(&meta(json!(["ES256"])), Mode::Require).unwrap().unwrap();
        assert!(required.required);
        assert_eq!(required.key.jkt(), auto.key.jkt(), "one key per client");
        assert_eq!(decide(&plain, Mode::Require).unwrap_err().exit_code().code(), 5);
    }
}
