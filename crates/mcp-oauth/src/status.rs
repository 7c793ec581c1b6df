//! "Am I logged in?": what the credential stores hold for each MCP server and profile, read
//! without the network, and (only when asked) one authenticated MCP request per login to say
//! whether the server still takes the token. Presenting it is the caller's business: scripts
//! get the serialized form, people a summary.

use crate::client::{ClientRecord, ClientSource};
use crate::error::Result;
use crate::grant_type::GrantType;
use crate::http::Http;
use crate::store::{Entry, Key, Kind, Store, keys};
use crate::token::TokenSet;
use crate::www_authenticate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Serialize)]
pub struct Status {
    /// The store the tools use, and why (`backend_description`).
    pub store: String,
    /// The file store's directory when it holds entries but is not in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_behind: Option<LeftBehind>,
    pub logins: Vec<Login>,
    /// Sign-ins at enterprise IdPs (SEP-990): no MCP server's logins, but what renews those
    /// that name them in `idp`.
    pub idp_sign_ins: Vec<IdpSignIn>,
    /// Headless hand-offs waiting for their callback (`mcp-authorize --print-url`).
    pub pending: Vec<Pending>,
    /// Entries that could not be read: a new login or `mcp-revoke` replaces them.
    pub damaged: Vec<Damaged>,
    /// Hand-offs past their time, erased by this call.
    pub purged_pending: usize,
}

#[derive(Debug, Serialize)]
pub struct LeftBehind {
    pub dir: PathBuf,
    pub entries: usize,
}

/// One token set: a login to one MCP server under one profile.
#[derive(Debug, Serialize)]
pub struct Login {
    /// The store key (no secret): what `mcp-token URL` reads.
    pub key: String,
    pub resource: String,
    pub profile: String,
    pub backend: String,
    pub issuer: String,
    pub client_id: String,
    /// How the client was obtained; absent when its record is gone (then no refresh works).
    pub client_source: Option<ClientSource>,
    pub grant: GrantType,
    pub scopes: Vec<String>,
    /// `Bearer`, or `DPoP` for a sender-constrained token.
    pub token_type: String,
    pub expires_at: Option<u64>,
    pub refresh_token: bool,
    /// The enterprise IdP whose sign-in renews this token (SEP-990), instead of a refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub online: Option<Online>,
}

/// The session one sign-in at an enterprise IdP left: never sent to an MCP server (not even
/// with `online`), only exchanged at the IdP for the MCP servers' ID-JAGs.
#[derive(Debug, Serialize)]
pub struct IdpSignIn {
    /// The store key (no secret).
    pub key: String,
    /// The IdP issuer.
    pub idp: String,
    pub profile: String,
    pub backend: String,
    /// The client at the IdP.
    pub client_id: String,
    pub client_source: Option<ClientSource>,
    /// The ID token's `exp`: token exchanges take it until then (or, with `refresh_token`,
    /// after one refresh at the IdP).
    pub id_token_expires_at: Option<u64>,
    pub refresh_token: bool,
    /// The MCP servers (resources) whose tokens this sign-in renews, in its profile.
    pub serves: Vec<String>,
}

/// What the MCP server said to one authenticated `initialize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Online {
    Valid {
        status: u16,
    },
    /// 401: the token is expired, revoked, or not for this resource.
    Rejected {
        error: Option<String>,
    },
    /// 403 `insufficient_scope`: valid, but the server wants more (`mcp-authorize --step-up`).
    InsufficientScope {
        scope: Option<String>,
    },
    Unexpected {
        status: u16,
    },
    Unreachable {
        error: String,
    },
}

#[derive(Debug, Serialize)]
pub struct Pending {
    pub resource: Option<String>,
    pub profile: String,
    pub expires_at: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Damaged {
    pub what: String,
    pub error: String,
}

/// Everything the stores hold, from one listing: its records (secrets removed, their names
/// kept) say all a login shows. With `online`, one read of each token set and one request
/// to each MCP server.
pub fn collect(store: &Store, online: Option<&Http>) -> Result<Status> {
    let (entries, purged) = store.purge_stale_pending(store.list_entries()?, crate::clock::now())?;
    let mut status = Status {
        store: store.backend_description(),
        left_behind: store.file_store_left_behind().map(|(dir, entries)| LeftBehind { dir, entries }),
        logins: Vec::new(),
        idp_sign_ins: Vec::new(),
        pending: Vec::new(),
        damaged: Vec::new(),
        purged_pending: purged,
    };
    for e in &entries {
        let profile = e.profile.clone().unwrap_or_else(|| keys::DEFAULT_PROFILE.to_string());
        match (e.kind, &e.key, &e.record, &e.error) {
            (_, _, _, Some(error)) => status.damaged.push(Damaged { what: describe(e), error: error.clone() }),
            (Some(Kind::Token), Some(key), Some(record), None) if crate::enterprise::is_session(e) => {
                match idp_sign_in(store, e, key, record, &entries, profile) {
                    Ok(signed_in) => status.idp_sign_ins.push(signed_in),
                    Err(err) => status.damaged.push(Damaged { what: describe(e), error: err.to_string() }),
                }
            }
            (Some(Kind::Token), Some(key), Some(record), None) => {
                let mut login = match login(e, key, record, &entries, profile) {
                    Ok(login) => login,
                    Err(err) => {
                        status.damaged.push(Damaged { what: describe(e), error: err.to_string() });
                        continue;
                    }
                };
                if let Some(http) = online {
                    // The request needs the token itself: read only when asked.
                    match store.load::<TokenSet>(key) {
                        Ok(Some(set)) => {
                            let profile = e.profile.as_deref().filter(|p| *p != keys::DEFAULT_PROFILE);
                            login.online = Some(check(http, store, &set, profile));
                        }
                        Ok(None) => continue,
                        Err(err) => {
                            status.damaged.push(Damaged { what: describe(e), error: err.to_string() });
                            continue;
                        }
                    }
                }
                status.logins.push(login);
            }
            (Some(Kind::Pending), _, _, None) => {
                let field = |k: &str| e.record.as_ref().and_then(|r| r.get(k)).cloned();
                status.pending.push(Pending {
                    resource: field("resource").and_then(|v| v.as_str().map(String::from)),
                    profile,
                    expires_at: field("expires_at").and_then(|v| v.as_u64()),
                });
            }
            _ => {}
        }
    }
    status.logins.sort_by(|a, b| (&a.resource, &a.profile).cmp(&(&b.resource, &b.profile)));
    for s in &mut status.idp_sign_ins {
        let served = status.logins.iter().filter(|l| l.idp.as_ref() == Some(&s.idp) && l.profile == s.profile);
        s.serves = served.map(|l| l.resource.clone()).collect();
    }
    status.idp_sign_ins.sort_by(|a, b| (&a.idp, &a.profile).cmp(&(&b.idp, &b.profile)));
    Ok(status)
}

fn describe(e: &Entry) -> String {
    match (&e.key, &e.file) {
        (Some(key), _) => key.to_string(),
        (None, Some(file)) => file.display().to_string(),
        (None, None) => e.backend.clone(),
    }
}

/// What a login shows of a stored [`TokenSet`]: its members that are no secret, as the
/// listing has them.
#[derive(Deserialize)]
struct Shown {
    issuer: String,
    client_id: String,
    resource: String,
    token_type: String,
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
    grant: GrantType,
    #[serde(default)]
    idp: Option<String>,
}

/// A token entry of the listing as a login; an error when it is no token set.
fn login(e: &Entry, key: &Key, record: &Value, entries: &[Entry], profile: String) -> Result<Login> {
    let held = |name: &str| e.secrets.iter().any(|s| s == name);
    let shown: Shown = if held("access_token") {
        serde_json::from_value(record.clone())
    } else {
        Err(serde::de::Error::missing_field("access_token"))
    }
    .map_err(|err| crate::store::shape_error(key, &err))?;
    Ok(Login {
        key: key.to_string(),
        client_source: client_of(entries, &shown.issuer, &shown.client_id, &e.profile).map(|c| c.source),
        resource: shown.resource,
        profile,
        backend: e.backend.clone(),
        issuer: shown.issuer,
        client_id: shown.client_id,
        grant: shown.grant,
        scopes: crate::scope::Scopes::parse(shown.scope.as_deref().unwrap_or("")).into_vec(),
        token_type: shown.token_type,
        expires_at: shown.expires_at,
        refresh_token: held("refresh_token"),
        idp: shown.idp,
        online: None,
    })
}

/// The listed client of the token's issuer, in the token's profile ("default" is stored as
/// no profile). Its secrets are not needed, and not in the listing.
fn client_of(entries: &[Entry], issuer: &str, client_id: &str, profile: &Option<String>) -> Option<ClientRecord> {
    let profile = profile.as_deref().filter(|p| *p != keys::DEFAULT_PROFILE);
    let key = keys::client(issuer, profile);
    let listed = entries.iter().find(|c| c.key.as_ref() == Some(&key))?;
    let record: ClientRecord = serde_json::from_value(listed.record.clone()?).ok()?;
    (record.client_id == client_id).then_some(record)
}

/// An IdP sign-in of the listing. The ID token's expiry is inside the secret, so the session
/// is read once (a listing names its secrets only).
fn idp_sign_in(
    store: &Store,
    e: &Entry,
    key: &Key,
    record: &Value,
    entries: &[Entry],
    profile: String,
) -> Result<IdpSignIn> {
    #[derive(Deserialize)]
    struct Session {
        issuer: String,
        client_id: String,
    }
    let shown: Session = serde_json::from_value(record.clone()).map_err(|err| crate::store::shape_error(key, &err))?;
    let set: Option<TokenSet> = store.load(key)?;
    Ok(IdpSignIn {
        key: key.to_string(),
        client_source: client_of(entries, &shown.issuer, &shown.client_id, &e.profile).map(|c| c.source),
        idp: shown.issuer,
        profile,
        backend: e.backend.clone(),
        client_id: shown.client_id,
        id_token_expires_at: set.and_then(|s| s.id_token).as_ref().and_then(crate::enterprise::id_token_expiry),
        refresh_token: e.secrets.iter().any(|s| s == "refresh_token"),
        serves: Vec::new(),
    })
}

/// One MCP `initialize` with the token: what a client's first request would meet.
/// Traced as its own step.
fn check(http: &Http, store: &Store, set: &TokenSet, profile: Option<&str>) -> Online {
    let step = crate::trace::Step::begin("token check");
    let online = {
        let _entered = step.enter();
        send_check(http, store, set, profile)
    };
    step.end(matches!(online, Online::Valid { .. }), serde_json::to_string(&online).unwrap_or_default());
    online
}

/// A DPoP token goes with a proof of its key, never as Bearer.
fn send_check(http: &Http, store: &Store, set: &TokenSet, profile: Option<&str>) -> Online {
    let url = match crate::url_policy::parse("MCP server URL", &set.resource) {
        Ok(u) => u,
        Err(e) => return Online::Unreachable { error: e.to_string() },
    };
    let dpop = crate::dpop::is_dpop(set);
    let sent = if dpop {
        crate::dpop::presentation_key(store, set, profile).and_then(|key| {
            let token = set.access_token.expose();
            crate::dpop::send_to_resource(http, &key, token, || crate::discovery::initialize_request(url.clone()))
        })
    } else {
        http.send(crate::discovery::initialize_request(url).header("Authorization", set.authorization()))
    };
    let response = match sent {
        Ok(r) => r,
        Err(e) => return Online::Unreachable { error: e.to_string() },
    };
    let challenge = || {
        let all = www_authenticate::parse_all(response.headers_named("www-authenticate"));
        // The error about a DPoP token is in the DPoP challenge (a Bearer one may come first).
        let scheme = if dpop { crate::dpop::TOKEN_TYPE } else { "Bearer" };
        all.iter().find(|c| c.is_scheme(scheme)).or_else(|| www_authenticate::bearer(&all)).cloned()
    };
    let param = |name: &str| challenge().and_then(|c| c.param(name).map(String::from));
    match response.status {
        200..=299 => Online::Valid { status: response.status },
        401 => Online::Rejected { error: param("error") },
        403 if param("error").as_deref() == Some("insufficient_scope") => {
            Online::InsufficientScope { scope: param("scope") }
        }
        status => Online::Unexpected { status },
    }
}

impl Status {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_testkit::mock::{Mock, Reply};
    use serde_json::json;

    /// A DPoP token is checked with a proof, and the refusal read from the DPoP challenge even
    /// when a plain Bearer one comes first.
    #[test]
    fn a_dpop_token_is_checked_with_a_proof_and_its_challenge_read() {
        let mock = Mock::start();
        let challenge = r#"Bearer resource_metadata="x", DPoP error="invalid_token", algs="ES256""#;
        mock.on("POST", "/mcp", Reply::status(401).header("WWW-Authenticate", challenge));
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::tests::file_store(dir.path(), None);
        let issuer = mock.origin();
        let key = crate::dpop::key::load_or_create(&store, &issuer, "c", None).unwrap();
        let set: TokenSet = serde_json::from_value(json!({
            "issuer": issuer, "client_id": "c", "resource": mock.url("/mcp"), "token_endpoint": mock.url("/token"),
            "access_token": "bound-token", "token_type": "DPoP", "dpop_jkt": key.jkt(),
            "grant": "authorization_code", "obtained_at": 0,
        }))
        .unwrap();
        let online = check(&Http::new(Default::default()), &store, &set, None);
        assert_eq!(online, Online::Rejected { error: Some("invalid_token".into()) });
        let sent = &mock.requests()[0];
        assert_eq!(sent.header("authorization"), Some("DPoP bound-token"));
        assert!(sent.header("dpop").is_some());
    }
}
