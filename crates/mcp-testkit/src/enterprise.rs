//! The `enterprise` variant of the test servers (tests/fixtures/enterprise.mjs): the IdP
//! beside the authorization server, its users and clients, and the test's control of it.

use crate::servers::{Options, Request, TestServers, Variant, browser_command};
use serde_json::{Value, json};

/// What the servers' ready line says about their enterprise parts.
#[derive(Clone, Debug)]
pub struct Enterprise {
    pub idp_issuer: String,
    /// The CLI's client at the IdP (client_secret_basic, native loopback redirects).
    pub idp_client_id: String,
    pub idp_client_secret: String,
    pub user: String,
    pub password: String,
    /// The MCP client at the AS that the IdP names in its ID-JAGs.
    pub mas_client_id: String,
    pub mas_client_secret: String,
    admin_url: String,
    admin_token: String,
}

/// Servers with an enterprise IdP; `extra` are more servers.mjs flags (`--idp-id-token-ttl`,
/// `--idp-refresh-ttl`, `--idp-issuer` to use another process's IdP).
pub fn options(extra: &[&str]) -> Options {
    let mut options = Options::default().variant(Variant::Enterprise);
    options.extra_args = extra.iter().map(|s| s.to_string()).collect();
    options
}

impl Enterprise {
    pub fn of(servers: &TestServers) -> Enterprise {
        let field = |k: &str| {
            servers.ready[k]
                .as_str()
                .unwrap_or_else(|| panic!("no {k} in the ready line: {}", servers.ready))
                .to_string()
        };
        let or_empty = |k: &str| servers.ready[k].as_str().unwrap_or_default().to_string();
        Enterprise {
            idp_issuer: field("idp_issuer"),
            // Absent when the IdP is another process's (--idp-issuer).
            idp_client_id: or_empty("idp_client_id"),
            idp_client_secret: or_empty("idp_client_secret"),
            user: or_empty("idp_user"),
            password: or_empty("idp_password"),
            mas_client_id: field("mas_client_id"),
            mas_client_secret: field("mas_client_secret"),
            admin_url: field("enterprise_admin_url"),
            admin_token: field("enterprise_admin_token"),
        }
    }

    /// `$BROWSER` and what the browser stand-in types into the IdP's login form.
    pub fn browser_env(&self) -> Vec<(String, String)> {
        vec![
            ("BROWSER".into(), browser_command().display().to_string()),
            ("MCP_TEST_BROWSER_FILL".into(), format!("login={}&password={}", self.user, self.password)),
        ]
    }

    /// Counters of this process: `exchanges` (ID-JAGs the IdP issued), `mas_grants` and
    /// `mas_refused` (jwt-bearer requests at the AS), and the IdP `mode`.
    pub fn stats(&self) -> Value {
        let response = Request::get(&self.admin_url)
            .header("Authorization", &format!("Bearer {}", self.admin_token))
            .send()
            .expect("GET enterprise admin");
        assert_eq!(response.status, 200, "enterprise admin: {response}");
        response.json()
    }

    fn admin(&self, body: &Value) -> Value {
        let response = Request::post(&self.admin_url)
            .header("Authorization", &format!("Bearer {}", self.admin_token))
            .json(body)
            .send()
            .expect("POST enterprise admin");
        assert_eq!(response.status, 200, "enterprise admin: {response}");
        response.json()
    }

    /// The IdP's misbehaviour: `normal`, `wrong-audience` (ID-JAGs for another AS),
    /// `replay` (the same ID-JAG again for the same user and audience) or `step-up` (exchanges
    /// refused with `insufficient_user_authentication`).
    pub fn set_mode(&self, mode: &str) {
        self.admin(&json!({"mode": mode}));
    }

    /// Lets this process's IdP issue ID-JAGs for another AS (what an administrator
    /// configures at a real IdP).
    pub fn allow(&self, audience: &str, resource: &str, client_id: &str) {
        self.admin(&json!({"allow": {"audience": audience, "resource": resource, "client_id": client_id}}));
    }

    /// An ID token for the CLI's IdP client, signed by the IdP as its login would.
    pub fn id_token(&self, ttl: u64) -> String {
        self.id_token_for(&self.idp_client_id, ttl)
    }

    /// An ID token for another client of the IdP (`aud`).
    pub fn id_token_for(&self, client_id: &str, ttl: u64) -> String {
        let out = self.admin(&json!({"mint_id_token": {"sub": self.user, "ttl": ttl, "aud": client_id}}));
        out["id_token"].as_str().expect("id_token").to_string()
    }

    /// Registers a client of the test's own at the IdP (RFC 7591, open there); returns the
    /// registration response.
    pub fn register_idp_client(&self, metadata: &Value) -> Value {
        let response =
            Request::post(&format!("{}/reg", self.idp_issuer)).json(metadata).send().expect("POST IdP registration");
        assert_eq!(response.status, 201, "IdP registration refused: {response}");
        response.json()
    }
}
