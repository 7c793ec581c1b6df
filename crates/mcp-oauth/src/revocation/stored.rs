//! The way out for one MCP server: which stored tokens are revoked at the server and in
//! which order, what is erased here and when, and what counts as done. `mcp-revoke` only
//! prints the [`Outcome`].

use super::{Hint, delete_registration, revoke};
use crate::client::{ClientRecord, EndpointKind};
use crate::discovery::DiscoverOptions;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::store::{Key, Store, keys};
use crate::token::{self, TokenSet};
use std::fmt;

/// The server, and what the pipeline document says about it when one was piped.
#[derive(Debug, Clone, Default)]
pub struct Target<'a> {
    pub server_url: &'a str,
    pub profile: Option<&'a str>,
    /// The document's issuer: finds the client when no token set is stored to name it.
    pub issuer: Option<String>,
    /// The document's revocation endpoint, for token sets stored without one.
    pub revocation_endpoint: Option<String>,
    /// Also forget the client, deleting its registration at the server (RFC 7592) when it
    /// has a management URI.
    pub forget_client: bool,
    /// The token set's key when it is known from a listing (`--all`); else it is derived
    /// from `server_url` and `profile`.
    pub token_key: Option<crate::store::Key>,
}

/// A kind of stored entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Token,
    Client,
    /// A headless hand-off for this server that was never finished.
    Pending,
    /// The client's DPoP key, erased with the client.
    DpopKey,
}

impl Entry {
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Token => "token",
            Entry::Client => "client",
            Entry::Pending => "pending",
            Entry::DpopKey => "dpop key",
        }
    }
}

/// Why something was not done at the server. The local erasure happens regardless: a
/// user revoking wants the secrets gone from this machine first of all.
#[derive(Debug)]
pub enum Problem {
    /// The entry cannot be read; it is erased with nothing revoked for it.
    Unreadable {
        entry: Entry,
        error: Error,
    },
    /// The store answered with another server's tokens, which must not be revoked in this
    /// server's name; the entry is erased.
    Foreign(Error),
    NoRevocationEndpoint {
        issuer: String,
    },
    NoClient {
        issuer: String,
    },
    /// A workload's token obtained without any client (SEP-1933): a revocation request
    /// would have nothing to authenticate it.
    Clientless {
        issuer: String,
    },
    /// The revocation endpoint is not the one the client was registered with.
    EndpointRefused(Error),
    RevokeFailed {
        hint: Hint,
        error: Error,
    },
    DeleteRegistrationFailed(Error),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable { entry, error } => write!(
                f,
                "the stored {} entry is unreadable ({error}); it cannot be revoked at the server",
                entry.as_str()
            ),
            Problem::Foreign(e) => write!(f, "{e}; erased without revoking anything at the server"),
            Problem::NoRevocationEndpoint { issuer } => write!(
                f,
                "{issuer} advertises no revocation endpoint: the tokens were erased here but stay valid at the server until they expire"
            ),
            Problem::NoClient { issuer } => write!(
                f,
                "no client registration is stored for {issuer}, so the tokens cannot be revoked at the server; erased here only"
            ),
            Problem::Clientless { issuer } => write!(
                f,
                "the token was obtained with a workload's JWT and no client, so no revocation request can be authenticated: erased here, valid at {issuer} until it expires"
            ),
            Problem::EndpointRefused(e) => {
                write!(f, "{e}; the tokens were erased here but not revoked")
            }
            Problem::RevokeFailed { hint, error } => {
                write!(f, "revoking the {} failed: {error}", hint.as_str())
            }
            Problem::DeleteRegistrationFailed(e) => {
                write!(f, "deleting the client registration at the server failed: {e}")
            }
        }
    }
}

/// What was done, and what was not and why.
#[derive(Debug)]
pub struct Outcome {
    /// The issuer the tokens and client belong to, when known.
    pub issuer: Option<String>,
    /// In the order they were revoked.
    pub revoked: Vec<Hint>,
    pub erased: Vec<Entry>,
    /// The registration is gone at the server (deleted now, or already).
    pub deleted_registration: bool,
    pub problems: Vec<Problem>,
}

impl Outcome {
    pub fn nothing_stored(&self) -> bool {
        self.erased.is_empty()
    }

    /// `Err(Error::Partial)` (exit 9) when anything went wrong: scripts must be able to
    /// tell "gone everywhere" from "gone here only".
    pub fn check_complete(&self) -> Result<()> {
        if self.problems.is_empty() {
            return Ok(());
        }
        Err(Error::Partial(format!(
            "erased locally, but not everything was revoked at the server ({} warning(s))",
            self.problems.len()
        )))
    }
}

/// Revokes what is stored for `target` at the authorization server, then erases it here.
/// Running it again succeeds. `discover` gives the discovery options for the one case
/// that needs a request to the MCP server: the client is to be forgotten and no token set
/// or document names its issuer.
pub fn revoke_stored(
    http: &Http,
    store: &Store,
    target: &Target<'_>,
    discover: impl FnOnce() -> Result<DiscoverOptions>,
) -> Result<Outcome> {
    let token_key = match &target.token_key {
        Some(key) => key.clone(),
        None => token::store_key(target.server_url, target.profile)?,
    };
    let mut out = Outcome {
        issuer: None,
        revoked: Vec::new(),
        erased: Vec::new(),
        deleted_registration: false,
        problems: Vec::new(),
    };

    let _guard = store.lock(&token_key)?;
    let (mut set, mut damaged_token) = load::<TokenSet>(store, &token_key, Entry::Token, &mut out.problems)?;
    if let Some(e) = set.as_ref().and_then(|s| s.check_for(target.server_url, &token_key).err()) {
        out.problems.push(Problem::Foreign(e));
        (set, damaged_token) = (None, true);
    }
    out.issuer = set.as_ref().map(|s| s.issuer.clone()).or_else(|| target.issuer.clone());
    if out.issuer.is_none() && target.forget_client {
        // No token left to say which issuer the client belongs to: ask the server, since
        // the client record is keyed by issuer.
        let opts = discover()?;
        let url = crate::url_policy::parse("MCP server URL", target.server_url)?;
        out.issuer = Some(crate::discovery::discover(http, &url, &opts)?.authorization_server().issuer.clone());
    }
    let client_key = out.issuer.as_deref().map(|i| keys::client(i, target.profile));
    let (client, damaged_client) = match &client_key {
        Some(k) => load::<ClientRecord>(store, k, Entry::Client, &mut out.problems)?,
        None => (None, false),
    };

    if let Some(set) = set.as_ref().filter(|s| !order(s).is_empty()) {
        let endpoint = set.revocation_endpoint.as_deref().or(target.revocation_endpoint.as_deref());
        match route(set, endpoint, client.as_ref()) {
            Err(p) => out.problems.push(p),
            Ok((endpoint, client)) => {
                for (hint, tok) in order(set) {
                    match revoke(http, endpoint, &set.issuer, client, tok, hint) {
                        Ok(()) => out.revoked.push(hint),
                        Err(error) => out.problems.push(Problem::RevokeFailed { hint, error }),
                    }
                }
            }
        }
    }
    if set.is_some() || damaged_token {
        store.erase(&token_key)?;
        out.erased.push(Entry::Token);
    }

    if target.forget_client
        && let Some(key) = &client_key
        && (client.is_some() || damaged_client)
    {
        if let Some(client) = &client {
            match delete_registration(http, client) {
                Ok(done) => out.deleted_registration = done,
                Err(e) => out.problems.push(Problem::DeleteRegistrationFailed(e)),
            }
        }
        store.erase(key)?;
        out.erased.push(Entry::Client);
        // The client's tokens are gone with it, and so is any use for the key they were bound
        // to. A damaged record names no client id: the erased token set's is the best guess.
        // A workload's key without a client (an empty id) is not this client's, and stays.
        let client_id = client.as_ref().map(|c| c.client_id.as_str()).or(set.as_ref().map(|s| s.client_id.as_str()));
        if let Some(issuer) = &out.issuer
            && let Some(dpop_key) =
                client_id.filter(|id| !id.is_empty()).map(|id| keys::dpop(issuer, id, target.profile))
            && store.load::<serde_json::Value>(&dpop_key)?.is_some()
        {
            store.erase(&dpop_key)?;
            out.erased.push(Entry::DpopKey);
        }
    }
    // A hand-off for this server that was never finished holds a verifier for a login the
    // user now revokes: it goes too. Listing costs a helper call, so only when revoking.
    for e in store.list_entries()? {
        let resource = e.record.as_ref().and_then(|r| r.get("resource")).and_then(|v| v.as_str());
        if e.kind == Some(keys::Kind::Pending)
            && e.profile.as_deref() == Some(profile_name(target.profile))
            && resource == Some(target.server_url)
            && let Some(key) = &e.key
        {
            store.erase(key)?;
            out.erased.push(Entry::Pending);
        }
    }
    Ok(out)
}

fn profile_name(profile: Option<&str>) -> &str {
    profile.filter(|p| !p.is_empty()).unwrap_or(keys::DEFAULT_PROFILE)
}

/// `mcp-revoke --all`: everything of one profile. Each token set is revoked and erased as
/// [`revoke_stored`] does, forgetting its client; then clients without tokens and
/// hand-offs left over are erased. One outcome per server, and one for the rest.
pub fn revoke_profile(http: &Http, store: &Store, profile: Option<&str>) -> Result<Vec<(String, Outcome)>> {
    let name = profile_name(profile);
    let mine = |e: &crate::store::Entry| e.profile.as_deref() == Some(name);
    let mut outcomes = Vec::new();
    for e in store.list_entries()?.into_iter().filter(|e| mine(e) && e.kind == Some(keys::Kind::Token)) {
        let Some(key) = e.key.clone() else { continue };
        let resource = e.record.as_ref().and_then(|r| r.get("resource")).and_then(|v| v.as_str()).map(String::from);
        // An unreadable entry names no server: it is erased under its key, nothing revoked.
        let server = resource.unwrap_or_else(|| key.to_string());
        let target =
            Target { server_url: &server, profile, forget_client: true, token_key: Some(key), ..Target::default() };
        // Every client here is named by a token set's issuer: no discovery is needed.
        let outcome = revoke_stored(http, store, &target, || {
            Err(Error::Internal("revoking every stored login discovers nothing".into()))
        })?;
        outcomes.push((server, outcome));
    }
    let mut rest = Outcome {
        issuer: None,
        revoked: Vec::new(),
        erased: Vec::new(),
        deleted_registration: false,
        problems: Vec::new(),
    };
    for e in store.list_entries()?.into_iter().filter(mine) {
        let kind = match e.kind {
            Some(keys::Kind::Client) => Entry::Client,
            Some(keys::Kind::Pending) => Entry::Pending,
            Some(keys::Kind::Dpop) => Entry::DpopKey,
            _ => continue,
        };
        if let Some(key) = &e.key {
            store.erase(key)?;
            rest.erased.push(kind);
        }
    }
    if !rest.erased.is_empty() {
        outcomes.push(("(clients and hand-offs without tokens)".to_string(), rest));
    }
    Ok(outcomes)
}

/// Where, and as which client, the tokens can be revoked; or why they cannot.
fn route<'a>(
    set: &TokenSet,
    endpoint: Option<&'a str>,
    client: Option<&'a ClientRecord>,
) -> std::result::Result<(&'a str, &'a ClientRecord), Problem> {
    let Some(endpoint) = endpoint else {
        return Err(Problem::NoRevocationEndpoint { issuer: set.issuer.clone() });
    };
    let Some(client) = client else {
        if set.workload.is_some() && set.client_id.is_empty() {
            return Err(Problem::Clientless { issuer: set.issuer.clone() });
        }
        return Err(Problem::NoClient { issuer: set.issuer.clone() });
    };
    client.check_endpoint(EndpointKind::Revocation, endpoint).map_err(Problem::EndpointRefused)?;
    Ok((endpoint, client))
}

/// The refresh token first: revoking it usually revokes the access tokens issued with it
/// (RFC 7009 §2.1), and it is the one that lives long.
fn order(set: &TokenSet) -> Vec<(Hint, &str)> {
    let tokens = [
        (Hint::RefreshToken, set.refresh_token.as_ref().map(crate::secret::Secret::expose)),
        (Hint::AccessToken, Some(set.access_token.expose())),
    ];
    // An enterprise IdP sign-in from a handed-over ID token has no token of its own (an
    // empty access token): nothing the IdP could revoke.
    tokens.into_iter().filter_map(|(hint, tok)| Some((hint, tok?))).filter(|(_, tok)| !tok.is_empty()).collect()
}

/// A damaged entry must not block its own removal: it is reported (and then erased, with
/// nothing revoked for it), not an error. `.1` says it was damaged.
fn load<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &Key,
    entry: Entry,
    problems: &mut Vec<Problem>,
) -> Result<(Option<T>, bool)> {
    match store.load(key) {
        Ok(found) => Ok((found, false)),
        Err(error) if matches!(error.bare(), Error::Store(_)) => {
            problems.push(Problem::Unreadable { entry, error });
            Ok((None, true))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mcp_testkit::mock::{Mock, Reply};
    use serde_json::json;

    const SERVER: &str = "https://mcp.example/mcp";

    fn set(issuer: &str, resource: &str, revocation_endpoint: Option<&str>, refresh: bool) -> TokenSet {
        serde_json::from_value(json!({
            "issuer": issuer, "client_id": "c", "resource": resource,
            "token_endpoint": format!("{issuer}/token"), "revocation_endpoint": revocation_endpoint,
            "access_token": "AT", "token_type": "Bearer", "refresh_token": refresh.then_some("RT"),
            "grant": "authorization_code", "obtained_at": 0,
        }))
        .unwrap()
    }

    fn client(issuer: &str, revocation_endpoint: Option<&str>) -> ClientRecord {
        serde_json::from_value(json!({
            "issuer": issuer, "client_id": "c", "auth_method": "none", "source": "dynamic",
            "created_at": 0, "revocation_endpoint": revocation_endpoint,
        }))
        .unwrap()
    }

    fn no_discovery() -> Result<DiscoverOptions> {
        panic!("discovery is only for forgetting a client whose issuer nothing names")
    }

    fn target() -> Target<'static> {
        Target { server_url: SERVER, ..Target::default() }
    }

    #[test]
    fn the_refresh_token_is_revoked_first() {
        let with = set("https://as.example", SERVER, None, true);
        let hints: Vec<Hint> = order(&with).into_iter().map(|(h, _)| h).collect();
        assert_eq!(hints, [Hint::RefreshToken, Hint::AccessToken]);
        assert_eq!(order(&set("https://as.example", SERVER, None, false)), [(Hint::AccessToken, "AT")]);
    }

    #[test]
    fn the_route_says_why_nothing_can_be_revoked() {
        let issuer = "https://as.example";
        let s = set(issuer, SERVER, None, true);
        let c = client(issuer, Some("https://as.example/revoke"));
        assert!(matches!(route(&s, None, Some(&c)), Err(Problem::NoRevocationEndpoint { .. })));
        assert!(matches!(route(&s, Some("https://as.example/revoke"), None), Err(Problem::NoClient { .. })));
        // A token entry naming another endpoint does not get the client's credentials.
        let refused = route(&s, Some("https://evil.example/revoke"), Some(&c)).unwrap_err();
        assert!(matches!(&refused, Problem::EndpointRefused(Error::Security(_))), "{refused}");
        assert!(refused.to_string().ends_with("; the tokens were erased here but not revoked"), "{refused}");
        assert_eq!(route(&s, Some("https://as.example/revoke"), Some(&c)).unwrap().0, "https://as.example/revoke");
    }

    #[test]
    fn any_problem_makes_it_partial() {
        let mut out = Outcome {
            issuer: None,
            revoked: vec![Hint::RefreshToken],
            erased: vec![Entry::Token],
            deleted_registration: false,
            problems: Vec::new(),
        };
        assert!(out.check_complete().is_ok());
        out.problems.push(Problem::NoClient { issuer: "https://as.example".into() });
        let e = out.check_complete().unwrap_err();
        assert_eq!(e.exit_code(), crate::ExitCode::Partial);
        assert!(e.to_string().contains("(1 warning(s))"), "{e}");
    }

    /// A mock authorization server answering revocation with `reply`, and a store with a
    /// token set for `resource` and its dynamically registered client.
    struct Fixture {
        mock: Mock,
        store: Store,
        token_key: Key,
        client_key: Key,
        _dir: tempfile::TempDir,
    }

    fn fixture(reply: Reply, resource: &str) -> Fixture {
        let mock = Mock::start();
        mock.on("POST", "/revoke", reply);
        mock.on("DELETE", "/register/c", Reply::status(204));
        let (issuer, endpoint) = (mock.origin(), mock.url("/revoke"));
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::tests::file_store(dir.path(), None);
        let token_key = token::store_key(SERVER, None).unwrap();
        let client_key = keys::client(&issuer, None);
        store.save(&token_key, &set(&issuer, resource, Some(&endpoint), true)).unwrap();
        let mut c = client(&issuer, Some(&endpoint));
        (c.registration_client_uri, c.registration_access_token) = (Some(mock.url("/register/c")), Some("RAT".into()));
        store.save(&client_key, &c).unwrap();
        Fixture { mock, store, token_key, client_key, _dir: dir }
    }

    impl Fixture {
        fn revoke(&self, forget_client: bool) -> Outcome {
            let target = Target { forget_client, ..target() };
            revoke_stored(&Http::new(Default::default()), &self.store, &target, no_discovery).unwrap()
        }

        fn has(&self, key: &Key) -> bool {
            self.store.load::<serde_json::Value>(key).unwrap().is_some()
        }
    }

    #[test]
    fn revokes_in_order_then_erases_and_keeps_the_client() {
        let f = fixture(Reply::status(200), SERVER);
        let out = f.revoke(false);
        assert_eq!(out.revoked, [Hint::RefreshToken, Hint::AccessToken]);
        assert_eq!(out.erased, [Entry::Token]);
        assert!(out.problems.is_empty() && out.check_complete().is_ok(), "{:?}", out.problems);
        let bodies: Vec<String> = f.mock.requests().iter().map(|r| String::from_utf8_lossy(&r.body).into()).collect();
        assert!(bodies[0].contains("token=RT") && bodies[0].contains("token_type_hint=refresh_token"), "{bodies:?}");
        assert!(bodies[1].contains("token=AT") && bodies[1].contains("token_type_hint=access_token"), "{bodies:?}");
        assert!(!f.has(&f.token_key));
        assert!(f.has(&f.client_key), "the client stays unless it is to be forgotten");
    }

    #[test]
    fn forgetting_the_client_deletes_its_registration_after_the_tokens() {
        let f = fixture(Reply::status(200), SERVER);
        let out = f.revoke(true);
        assert_eq!(out.erased, [Entry::Token, Entry::Client]);
        assert!(out.deleted_registration && out.check_complete().is_ok(), "{:?}", out.problems);
        let methods: Vec<String> = f.mock.requests().into_iter().map(|r| r.method).collect();
        assert_eq!(methods, ["POST", "POST", "DELETE"], "the client's credentials are needed to revoke");
        assert!(!f.has(&f.token_key) && !f.has(&f.client_key));
    }

    #[test]
    fn a_refused_revocation_still_erases_and_is_partial() {
        let f = fixture(Reply::json(400, &json!({"error": "invalid_client"})), SERVER);
        let out = f.revoke(false);
        assert!(out.revoked.is_empty());
        // The access token is still tried after the refresh token failed.
        let hints: Vec<Hint> = out
            .problems
            .iter()
            .map(|p| match p {
                Problem::RevokeFailed { hint, .. } => *hint,
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(hints, [Hint::RefreshToken, Hint::AccessToken]);
        assert_eq!(out.erased, [Entry::Token]);
        assert!(!f.has(&f.token_key));
        assert_eq!(out.check_complete().unwrap_err().exit_code(), crate::ExitCode::Partial);
    }

    #[test]
    fn another_servers_tokens_are_erased_unrevoked() {
        let f = fixture(Reply::status(200), "https://other.example/mcp");
        let out = f.revoke(false);
        assert_eq!(f.mock.requests().len(), 0, "nothing is revoked in another server's name");
        assert!(matches!(out.problems.as_slice(), [Problem::Foreign(_)]), "{:?}", out.problems);
        assert_eq!(out.erased, [Entry::Token]);
        assert_eq!(out.issuer, None, "a foreign entry does not name the issuer");
        assert!(!f.has(&f.token_key));
    }

    #[test]
    fn an_unreadable_entry_is_erased_and_reported() {
        let f = fixture(Reply::status(200), SERVER);
        f.store.save(&f.token_key, &json!({"not": "a token set"})).unwrap();
        let out = f.revoke(false);
        assert!(
            matches!(out.problems.as_slice(), [Problem::Unreadable { entry: Entry::Token, .. }]),
            "{:?}",
            out.problems
        );
        assert_eq!(out.erased, [Entry::Token]);
        assert!(!f.has(&f.token_key));
    }

    #[test]
    fn nothing_stored_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::tests::file_store(dir.path(), None);
        let out = revoke_stored(&Http::new(Default::default()), &store, &target(), no_discovery).unwrap();
        assert!(out.nothing_stored() && out.check_complete().is_ok());
    }
}
