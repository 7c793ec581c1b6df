//! Workload identity (SEP-1933) against real parts: the workload issuer of workload.mjs mints
//! ES256 JWTs (and stands in for GitHub Actions' token service), and the oidc-provider
//! authorization server verifies them against the issuer's JWKS, once per `jti`. The request
//! log of the authorization server shows how many token requests a tool made, and with what.

use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::servers::{Options, TestServers};
use mcp_testkit::workload::WorkloadIssuer;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const STORE: [&str; 2] = ["--credential-helper", "file"];

struct World {
    issuer: WorkloadIssuer,
    servers: TestServers,
    sandbox: Sandbox,
}

impl World {
    fn new() -> World {
        let issuer = WorkloadIssuer::start();
        let servers = TestServers::start(issuer.servers_options());
        World { issuer, servers, sandbox: Sandbox::new() }
    }

    fn run(&self, bin: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.sandbox.cmd(bin);
        cmd.args(STORE).args(args).envs(env.iter().copied());
        run(cmd, None, Duration::from_secs(60))
    }

    /// A JWT for this authorization server (its issuer as audience), and its jti.
    fn jwt(&self, extra: Value) -> (String, String) {
        let mut claims = json!({"aud": self.servers.issuer});
        claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        self.issuer.mint(&claims)
    }

    /// Writes the token file the way the kubelet does: a new file renamed over the old one.
    fn rotate(&self, file: &Path, jwt: &str) {
        let tmp = file.with_extension("new");
        std::fs::write(&tmp, format!("{jwt}\n")).unwrap();
        std::fs::rename(&tmp, file).unwrap();
    }

    fn token_file(&self, jwt: &str) -> PathBuf {
        let file = self.sandbox.path().join("token");
        self.rotate(&file, jwt);
        file
    }

    /// The grant types of the token requests from index `from` on.
    fn grants_since(&self, from: usize) -> Vec<String> {
        self.servers.token_requests()[from..]
            .iter()
            .map(|r| r["grant_type"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn a_projected_token_file_goes_into_pass_and_mcp_token_renews_from_the_rotated_file() {
    assert!(mcp_testkit::pass::PassStore::available(), "pass, gpg and docker-credential-pass: scripts/setup");
    let w = World::new();
    let pass = mcp_testkit::pass::PassStore::for_sandbox(&w.sandbox);
    let (first, first_jti) = w.jwt(json!({}));
    let file = w.token_file(&first);
    // One command line in CI: discovery piped into the grant, no registration step.
    let bin_dir = mcp_testkit::bins::target_profile_dir();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = w.sandbox.command("sh");
    cmd.args([
        "-c",
        r#"set -e; mcp-discover "$1" | mcp-authorize --workload-token-file "$2""#,
        "sh",
        &w.servers.mcp_url,
        file.to_str().unwrap(),
    ])
    .env("PATH", &path);
    let out = run(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "{out}");
    let d = out.json();
    assert_eq!(d["token"]["grant"], JWT_BEARER, "{d}");
    assert!(d.get("client").is_none(), "no registration: {d}");
    out.assert_stderr_hides(&[&first]);
    let requests = w.servers.token_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["grant_type"], JWT_BEARER);
    assert_eq!(requests[0]["assertion_jti"], json!(first_jti));
    assert_eq!(requests[0]["client_id"], Value::Null, "no client id: {requests:?}");
    assert_eq!(requests[0]["client_auth"], "none");

    // The record in pass names the source, never the JWT.
    let key = d["token"]["store_key"].as_str().unwrap();
    let mut get = pass.command("docker-credential-pass");
    get.arg("get").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = get.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), key.as_bytes()).unwrap();
    let entry = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert!(entry.contains(file.to_str().unwrap()) && !entry.contains(&first), "{entry}");

    let token = w.sandbox.run("mcp-token", &[&w.servers.mcp_url], None);
    assert!(token.success(), "{token}");
    let access = token.stdout.trim().to_string();
    assert_eq!(w.servers.call_mcp(Some(&access), "initialize").status, 200);
    assert_eq!(w.servers.token_requests().len(), 1, "a valid stored token is served without a request");

    // The kubelet rotated the file: a renewal reads it again and presents the new JWT.
    let (second, second_jti) = w.jwt(json!({}));
    w.rotate(&file, &second);
    let renewed = w.sandbox.run("mcp-token", &["--min-valid", "3600", &w.servers.mcp_url], None);
    assert!(renewed.success(), "{renewed}");
    renewed.assert_stderr_hides(&[&second]);
    let requests = w.servers.token_requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[1]["grant_type"], JWT_BEARER, "renewed by the same grant, no refresh token");
    assert_eq!(requests[1]["assertion_jti"], json!(second_jti), "the rotated file was read again");
    let new_access = renewed.stdout.trim();
    assert_ne!(new_access, access);
    assert_eq!(w.servers.call_mcp(Some(new_access), "initialize").status, 200);
}

#[test]
fn an_environment_variable_with_a_url_argument_and_its_renewal() {
    let w = World::new();
    let (jwt, jti) = w.jwt(json!({}));
    let out = w.run(
        "mcp-authorize",
        &["--trace", "--workload-token-env", "CI_WORKLOAD_JWT", "--scope", "mcp:read", &w.servers.mcp_url],
        &[("CI_WORKLOAD_JWT", &jwt)],
    );
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("assertion=[redacted"), "the trace shows the request, not the JWT: {out}");
    out.assert_stderr_hides(&[&jwt]);
    assert_eq!(w.servers.token_requests()[0]["assertion_jti"], json!(jti));
    let token = w.run("mcp-token", &[&w.servers.mcp_url], &[]);
    assert!(token.success(), "{token}");
    let intro = w.servers.introspection(token.stdout.trim());
    assert_eq!(intro["scope"], "mcp:read", "{intro}");
    assert_eq!(intro["aud"], json!(w.servers.mcp_url), "RFC 8707 resource: {intro}");

    let (next, next_jti) = w.jwt(json!({}));
    let renewed = w.run("mcp-token", &["--min-valid", "3600", &w.servers.mcp_url], &[("CI_WORKLOAD_JWT", &next)]);
    assert!(renewed.success(), "{renewed}");
    assert_eq!(w.servers.token_requests()[1]["assertion_jti"], json!(next_jti));
    assert_eq!(w.servers.introspection(renewed.stdout.trim())["scope"], "mcp:read", "the same scope again");

    // An expired JWT at renewal: refused locally, naming the variable, nothing sent.
    let (stale, _) = w.jwt(json!({"exp": now() - 5}));
    let expired = w.run("mcp-token", &["--min-valid", "3600", &w.servers.mcp_url], &[("CI_WORKLOAD_JWT", &stale)]);
    assert_eq!(expired.code, Some(2), "{expired}");
    assert!(expired.stderr.contains("expired") && expired.stderr.contains("CI_WORKLOAD_JWT"), "{expired}");
    assert_eq!(w.servers.token_requests().len(), 2);

    // The variable is gone (another shell): a clear error naming it, nothing sent.
    let gone = w.run("mcp-token", &["--min-valid", "3600", &w.servers.mcp_url], &[]);
    assert_eq!(gone.code, Some(2), "{gone}");
    assert!(gone.stderr.contains("CI_WORKLOAD_JWT"), "{gone}");
    assert_eq!(w.servers.token_requests().len(), 2);

    // Without a client nothing can authenticate a revocation: erased here, and said so.
    let revoked = w.run("mcp-revoke", &[&w.servers.mcp_url], &[]);
    assert_eq!(revoked.code, Some(9), "{revoked}");
    assert!(revoked.stderr.contains("no client, so no revocation request can be authenticated"), "{revoked}");
    assert_eq!(w.run("mcp-token", &[&w.servers.mcp_url], &[]).code, Some(7), "erased");
}

#[test]
fn github_actions_token_service_is_asked_each_time_with_the_audience() {
    let w = World::new();
    let env = [
        ("ACTIONS_ID_TOKEN_REQUEST_URL", w.issuer.github_request_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", w.issuer.github_request_token.as_str()),
    ];
    let out = w.run("mcp-authorize", &["--trace", "--github-actions", &w.servers.mcp_url], &env);
    assert!(out.success(), "{out}");
    // Neither the request token nor the JWT GitHub answered with (an ES256 JWS) is shown.
    out.assert_stderr_hides(&[&w.issuer.github_request_token, "eyJhbGciOiJFUzI1Ni"]);
    let calls = w.issuer.github_requests();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["audience"], json!(w.servers.issuer), "default audience: the issuer");
    assert_eq!(calls[0]["authorized"], true);
    assert_eq!(calls[0]["api_version"], "2.0", "the runner's own query is kept");
    let renewed = w.run("mcp-token", &["--min-valid", "3600", &w.servers.mcp_url], &env);
    assert!(renewed.success(), "{renewed}");
    assert_eq!(w.issuer.github_requests().len(), 2, "a new GitHub token for every exchange");
    assert_eq!(w.servers.call_mcp(Some(renewed.stdout.trim()), "initialize").status, 200);

    // The documented alternative audience: the token endpoint.
    let token_endpoint = format!("{}/token", w.servers.issuer);
    let out = w.run("mcp-authorize", &["--github-actions", "--audience", &token_endpoint, &w.servers.mcp_url], &env);
    assert!(out.success(), "{out}");
    assert_eq!(w.issuer.github_requests()[2]["audience"], json!(token_endpoint));
    assert_eq!(w.grants_since(0), [JWT_BEARER; 3]);
}

#[test]
fn refused_or_unusable_tokens_fail_clearly_with_one_request_at_most_and_no_other_grant() {
    let w = World::new();
    let url = w.servers.mcp_url.clone();
    let authorize = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.push(&url);
        w.run("mcp-authorize", &all, env)
    };
    let file = w.sandbox.path().join("token");
    let file_arg = file.to_str().unwrap();

    // Expired (checked locally): nothing sent.
    let (expired, _) = w.jwt(json!({"exp": now() - 60}));
    w.rotate(&file, &expired);
    let out = authorize(&["--workload-token-file", file_arg], &[]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("expired") && out.stderr.contains(file_arg), "{out}");
    assert!(w.servers.token_requests().is_empty(), "nothing sent for an expired token");

    // Missing file: nothing sent.
    let out = authorize(&["--workload-token-file", "/nonexistent/token"], &[]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("/nonexistent/token"), "{out}");
    assert!(w.servers.token_requests().is_empty());

    // Refused by the server: exactly one request each, the server's error shown.
    let (wrong_aud, _) = w.issuer.mint(&json!({"aud": "https://another-server.example"}));
    let (untrusted, _) = w.jwt(json!({"iss": "https://untrusted.example"}));
    let mut sent = 0;
    for (jwt, warned) in [(&wrong_aud, true), (&untrusted, false)] {
        w.rotate(&file, jwt);
        let out = authorize(&["--workload-token-file", file_arg], &[]);
        sent += 1;
        assert_eq!(out.code, Some(3), "{out}");
        assert!(out.stderr.contains("invalid_grant") && out.stderr.contains("not sent again"), "{out}");
        assert_eq!(out.stderr.contains("another-server.example"), warned, "aud warned before sending: {out}");
        out.assert_stderr_hides(&[jwt]);
        assert_eq!(w.grants_since(0), vec![JWT_BEARER; sent], "one request, no fallback");
    }

    // A scope the server does not grant workloads: invalid_scope, once, no narrower retry.
    let (good, _) = w.jwt(json!({}));
    w.rotate(&file, &good);
    let out = authorize(&["--workload-token-file", file_arg, "--scope", "mcp:admin"], &[]);
    sent += 1;
    assert_eq!(out.code, Some(3), "{out}");
    assert!(out.stderr.contains("invalid_scope"), "{out}");
    assert_eq!(w.grants_since(0), vec![JWT_BEARER; sent]);

    // A JWT the server accepted once is refused the second time (replay), and is not retried.
    let (once, _) = w.jwt(json!({}));
    w.rotate(&file, &once);
    assert!(authorize(&["--workload-token-file", file_arg], &[]).success());
    let out = authorize(&["--workload-token-file", file_arg], &[]);
    assert_eq!(out.code, Some(3), "{out}");
    assert_eq!(w.grants_since(0), vec![JWT_BEARER; sent + 2]);

    // GitHub's token service refuses the request token, or answers without a value.
    let github = [
        (w.issuer.github_request_url.clone(), "wrong-request-token".to_string(), "HTTP 403"),
        (
            w.issuer.github_request_url.replace("/github/token", "/github/empty"),
            w.issuer.github_request_token.clone(),
            "without a value",
        ),
    ];
    for (request_url, request_token, said) in &github {
        let env =
            [("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token)];
        let out = authorize(&["--github-actions"], &env);
        assert_eq!(out.code, Some(3), "{out}");
        assert!(out.stderr.contains(said), "{out}");
        out.assert_stderr_hides(&[&w.issuer.github_request_token]);
    }
    let out = authorize(&["--github-actions"], &[]);
    assert_eq!(out.code, Some(2), "outside GitHub Actions: {out}");
    assert!(out.stderr.contains("ACTIONS_ID_TOKEN_REQUEST_URL") && out.stderr.contains("id-token: write"), "{out}");
    assert_eq!(w.servers.token_requests().len(), sent + 2, "no token request without a GitHub token");
}

#[test]
fn a_server_without_the_jwt_bearer_grant_is_told_before_anything_is_sent() {
    let issuer = WorkloadIssuer::start();
    // The plain authorization server: no workload variant, no jwt-bearer grant.
    let servers = TestServers::start(Options::default().max_lifetime(120));
    let sandbox = Sandbox::new();
    let (jwt, _) = issuer.mint(&json!({"aud": servers.issuer}));
    let mut cmd = sandbox.cmd("mcp-authorize");
    cmd.args(STORE).args(["--workload-token-env", "JWT", &servers.mcp_url]).env("JWT", &jwt);
    let out = run(cmd, None, Duration::from_secs(60));
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("grant_types_supported") && out.stderr.contains("nothing was sent"), "{out}");
    assert!(servers.token_requests().is_empty(), "{:?}", servers.token_requests());
}

/// `--dpop` at an authorization server that cannot bind tokens (no DPoP in its metadata):
/// refused before the JWT is spent, as in the other flows. Without the flag the grant is a
/// plain Bearer one here, since neither server offers DPoP.
#[test]
fn dpop_required_of_a_server_without_it_is_refused_before_anything_is_sent() {
    let w = World::new();
    let (jwt, _) = w.jwt(json!({}));
    let out = w.run("mcp-authorize", &["--dpop", "--workload-token-env", "JWT", &w.servers.mcp_url], &[("JWT", &jwt)]);
    assert_eq!(out.code, Some(5), "{out}");
    assert!(out.stderr.contains("dpop_signing_alg_values_supported"), "{out}");
    assert!(w.servers.token_requests().is_empty(), "{:?}", w.servers.token_requests());
    let out = w.run("mcp-authorize", &["--workload-token-env", "JWT", &w.servers.mcp_url], &[("JWT", &jwt)]);
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["token"]["token_type"], "Bearer");
    assert_eq!(w.servers.token_requests()[0]["dpop"], false, "no proof to a server without DPoP");
}
