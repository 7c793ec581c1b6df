//! The workload identity issuer of `tests/fixtures/workload.mjs` (a Kubernetes
//! service-account issuer and a GitHub Actions OIDC token service on loopback), and the
//! authorization server of servers.mjs that trusts it (`--variant workload`).
//!
//! ```no_run
//! use mcp_testkit::workload::WorkloadIssuer;
//! let issuer = WorkloadIssuer::start();
//! let servers = mcp_testkit::servers::TestServers::start(issuer.servers_options());
//! let (jwt, jti) = issuer.mint(&serde_json::json!({"aud": servers.issuer}));
//! ```

use crate::ready::ReadyProcess;
use crate::servers::{Options, Request, START_TIMEOUT, TestServers, fixtures_dir, node_binary};
use serde_json::{Value, json};
use std::process::Command;

pub struct WorkloadIssuer {
    /// `iss` of its tokens, with discovery and JWKS under it.
    pub issuer: String,
    /// What the runner would put in `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub github_request_url: String,
    /// And in `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub github_request_token: String,
    _process: ReadyProcess,
}

impl WorkloadIssuer {
    pub fn start() -> WorkloadIssuer {
        let mut command = Command::new(node_binary());
        command.arg(fixtures_dir().join("workload.mjs")).current_dir(fixtures_dir());
        let process = ReadyProcess::spawn(command, "node workload.mjs", START_TIMEOUT)
            .unwrap_or_else(|e| panic!("workload issuer did not start: {e}"));
        let field = |name: &str| process.field(name).unwrap_or_else(|e| panic!("{e}"));
        WorkloadIssuer {
            issuer: field("issuer"),
            github_request_url: field("github_request_url"),
            github_request_token: field("github_request_token"),
            _process: process,
        }
    }

    /// The servers.mjs options whose authorization server accepts this issuer's JWTs as
    /// jwt-bearer grants (audience: its issuer or token endpoint; each `jti` once).
    pub fn servers_options(&self) -> Options {
        Options {
            extra_args: vec!["--variant".into(), "workload".into(), "--workload-issuer".into(), self.issuer.clone()],
            ..Options::default()
        }
    }

    /// A signed workload JWT: `claims` holds `aud` and optionally `sub`, `ttl` (seconds),
    /// `exp` (absolute, for expired tokens) or `iss` (another issuer, same key).
    pub fn mint(&self, claims: &Value) -> (String, String) {
        let response = Request::post(&format!("{}/mint", self.issuer)).json(claims).send().expect("POST /mint");
        assert_eq!(response.status, 200, "mint: {response}");
        let v = response.json();
        (v["jwt"].as_str().unwrap_or_default().to_string(), v["jti"].as_str().unwrap_or_default().to_string())
    }

    /// Every call to the GitHub Actions stand-in: `{audience, authorized, api_version}`.
    pub fn github_requests(&self) -> Vec<Value> {
        let response = crate::servers::get(&format!("{}/github/requests", self.issuer)).expect("GET requests");
        response.json().as_array().cloned().unwrap_or_default()
    }
}

impl TestServers {
    /// Every token and revocation request so far, as the client sent it: `{endpoint ("token",
    /// "revocation"), grant_type, client_id,
    /// client_auth ("none", "basic", "post", "private_key_jwt"), client_assertion_jti,
    /// assertion_jti, dpop (whether a DPoP proof came with it)}`.
    pub fn token_requests(&self) -> Vec<Value> {
        let response =
            crate::servers::get(&format!("{}/_test/token-requests", self.as_origin)).expect("GET token requests");
        assert_eq!(response.status, 200, "token requests: {response}");
        response.json().as_array().cloned().unwrap_or_else(|| vec![json!(null)])
    }
}
