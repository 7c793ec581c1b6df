//! Which way tokens are obtained: the stored refresh token when it will do, else a new
//! grant whose tokens have a place in the store before it starts.

use super::{CodeOptions, Plan, Session, client_credentials, device, interactive, reserve_tokens, silent_refresh};
use crate::error::Result;
use crate::store::Key;
use crate::token::{self, TokenSet};

/// The grant for when no stored token will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The authorization code with PKCE, through the browser.
    Code,
    /// RFC 8628, the code entered on another device.
    Device,
    /// The MCP client-credentials extension: no user, and so nothing to refresh first.
    ClientCredentials,
}

/// Tokens obtained, and stored under `key`.
#[derive(Debug)]
pub struct Obtained {
    pub set: TokenSet,
    pub key: Key,
    /// A silent refresh did: no new authorization was needed.
    pub refreshed: bool,
}

/// Obtains tokens for `plan` with `flow` and stores them. With `refresh_first` (see
/// [`super::refresh_first`]) a user flow tries the stored refresh token first. The store
/// is reserved before a new grant starts, so that a login is not spent on tokens that
/// could not be kept.
pub fn obtain(s: Session<'_>, plan: &Plan, opts: &CodeOptions, flow: Flow, refresh_first: bool) -> Result<Obtained> {
    if flow != Flow::ClientCredentials
        && refresh_first
        && let Some(set) = silent_refresh(s, plan, plan.user_scope().as_deref())?
    {
        let key = token::store_key(&plan.server_url, s.profile)?;
        return Ok(Obtained { set, key, refreshed: true });
    }
    let reservation = reserve_tokens(s, &plan.server_url)?;
    let set = match flow {
        Flow::ClientCredentials => client_credentials(s, plan)?,
        Flow::Device => device(s, plan, opts.open_browser)?,
        Flow::Code => interactive(s, plan, opts)?,
    };
    let key = super::store_tokens(s, reservation, &set)?;
    Ok(Obtained { set, key, refreshed: false })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::http::Http;
    use mcp_testkit::mock::{Mock, Reply};
    use serde_json::json;

    const SERVER: &str = "https://mcp.example/mcp";

    /// A mock authorization server whose token endpoint answers every grant, a confidential
    /// client, and a refreshable token set from it in the store.
    struct Fixture {
        mock: Mock,
        store: crate::store::Store,
        plan: Plan,
        http: Http,
        _dir: tempfile::TempDir,
    }

    fn setup() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mock = Mock::start();
        mock.on("POST", "/token", Reply::json(200, &json!({"access_token": "new", "token_type": "Bearer"})));
        let issuer = mock.origin();
        let store = crate::store::tests::file_store(dir.path(), None);
        let client: crate::client::ClientRecord = serde_json::from_value(json!({
            "issuer": issuer, "client_id": "c", "client_secret": "s", "auth_method": "client_secret_post",
            "source": "pre_registered", "created_at": 0,
        }))
        .unwrap();
        store.save(&crate::store::keys::client(&issuer, None), &client).unwrap();
        let stored: TokenSet = serde_json::from_value(json!({
            "issuer": issuer, "client_id": "c", "resource": SERVER, "token_endpoint": mock.url("/token"),
            "access_token": "old", "token_type": "Bearer", "refresh_token": "RT",
            "grant": "authorization_code", "obtained_at": 0,
        }))
        .unwrap();
        store.save(&token::store_key(SERVER, None).unwrap(), &stored).unwrap();
        let plan = Plan {
            server_url: SERVER.into(),
            resource: SERVER.into(),
            issuer: issuer.clone(),
            metadata: serde_json::from_value(json!({"issuer": issuer, "token_endpoint": mock.url("/token")})).unwrap(),
            client,
            scope: None,
            profile: None,
            dpop: None,
        };
        Fixture { mock, store, plan, http: Http::new(Default::default()), _dir: dir }
    }

    impl Fixture {
        fn obtain(&self, flow: Flow, refresh_first: bool) -> Result<Obtained> {
            let s = Session { http: &self.http, store: &self.store, profile: None };
            obtain(s, &self.plan, &opts(), flow, refresh_first)
        }
    }

    fn grant_types(mock: &Mock) -> Vec<String> {
        let grant = |body: &[u8]| {
            url::form_urlencoded::parse(body).find(|(k, _)| k == "grant_type").map(|(_, v)| v.into_owned())
        };
        mock.requests().iter().filter_map(|r| grant(&r.body)).collect()
    }

    fn opts() -> CodeOptions {
        CodeOptions {
            timeout_callback: std::time::Duration::from_secs(1),
            open_browser: false,
            extra_params: Vec::new(),
            allow_missing_pkce_metadata: false,
        }
    }

    #[test]
    fn a_refreshable_token_spares_the_login() {
        let f = setup();
        let got = f.obtain(Flow::Code, true).unwrap();
        assert!(got.refreshed);
        assert_eq!(got.set.access_token.expose(), "new");
        assert_eq!(grant_types(&f.mock), ["refresh_token"]);
    }

    #[test]
    fn client_credentials_never_refresh() {
        let f = setup();
        let got = f.obtain(Flow::ClientCredentials, true).unwrap();
        assert!(!got.refreshed);
        assert_eq!(grant_types(&f.mock), ["client_credentials"]);
        let stored: TokenSet = f.store.load(&got.key).unwrap().unwrap();
        assert_eq!(stored.access_token.expose(), "new", "the new tokens are stored");
    }

    #[test]
    fn without_refresh_first_a_new_grant_starts() {
        let f = setup();
        // The mock lists no device endpoint: the device flow stops before any request.
        let e = f.obtain(Flow::Device, false).unwrap_err();
        assert!(matches!(e.bare(), Error::Usage(m) if m.contains("device authorization grant")), "{e}");
        assert!(f.mock.requests().is_empty(), "no refresh was tried");
    }
}
