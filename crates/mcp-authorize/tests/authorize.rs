//! mcp-authorize against the real test authorization server (oidc-provider) and MCP server,
//! with the browser stand-in as $BROWSER. The document of the discovery step is built here
//! from the server's metadata, so these tests exercise registration + authorization only;
//! the full `mcp-discover | mcp-dcr | mcp-authorize` pipeline has its own test.

use mcp_testkit::bins::{Output, Sandbox};
use mcp_testkit::servers::{Options, Variant, browser_command};
use mcp_testkit::world::{FILE_STORE, World};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// The pipeline's steps before and after mcp-authorize, in the shared setting.
trait Steps {
    fn discovered(&self, scope: &[&str]) -> String;
    fn registered(&self, scope: &[&str], dcr_args: &[&str]) -> String;
    fn authorize(&self, args: &[&str], doc: Option<&str>, env: &[(&str, &str)]) -> Output;
    fn stored_token(&self) -> String;
}

impl Steps for World {
    /// What mcp-discover would write, from the server's own metadata.
    fn discovered(&self, scope: &[&str]) -> String {
        let mcp = &self.servers.mcp_url;
        let metadata = self.servers.metadata();
        let pkce = metadata["code_challenge_methods_supported"].as_array().is_some_and(|m| m.contains(&json!("S256")));
        let prm_url = self.servers.prm_url.clone().expect("protected-resource metadata");
        let prm = mcp_testkit::servers::get(&prm_url).expect("GET resource metadata").json();
        json!({
            "mcp_oauth": 1,
            "server_url": mcp,
            "resource": mcp,
            "discovery": {"source": "resource_metadata", "resource_metadata_url": prm_url, "resource_metadata": prm},
            "authorization_server": {
                "issuer": self.servers.issuer,
                "metadata": metadata,
                "pkce_s256": pkce,
                "registration_options": ["pre_registered", "dynamic"],
            },
            "scope": {"scopes": scope, "source": "challenge"},
        })
        .to_string()
    }

    /// discovery document -> mcp-dcr (dynamic registration of a native public client).
    fn registered(&self, scope: &[&str], dcr_args: &[&str]) -> String {
        let out = self.run("mcp-dcr", dcr_args, Some(&self.discovered(scope)), &[]);
        assert!(out.success(), "mcp-dcr failed: {out}");
        out.stdout
    }

    fn authorize(&self, args: &[&str], doc: Option<&str>, env: &[(&str, &str)]) -> Output {
        self.run("mcp-authorize", args, doc, env)
    }

    /// The stored access token, through mcp-token (so the test also proves persistence).
    fn stored_token(&self) -> String {
        let out = self.run("mcp-token", &[&self.servers.mcp_url], None, &[]);
        assert!(out.success(), "mcp-token: {out}");
        out.stdout.trim().to_string()
    }
}

fn browser() -> String {
    browser_command().display().to_string()
}

/// A $BROWSER that fails the test if it is ever run: it leaves a marker file behind.
fn tripwire(dir: &Path) -> (String, std::path::PathBuf) {
    let marker = dir.join("browser-was-called");
    let script = dir.join("tripwire-browser");
    std::fs::write(&script, format!("#!/bin/sh\necho called > '{}'\nexit 1\n", marker.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script.display().to_string(), marker)
}

fn assert_code(out: &Output, code: i32) {
    assert_eq!(out.code, Some(code), "expected exit {code}: {out}");
}

#[test]
fn interactive_flow_yields_a_token_the_mcp_server_accepts_then_refreshes_silently() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let b = browser();
    let out = w.authorize(&[], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    let d = out.json();
    let token = &d["token"];
    assert_eq!(token["grant"], "authorization_code", "{d}");
    assert_eq!(token["has_refresh_token"], true, "{d}");
    assert!(token.get("access_token").is_none(), "no secrets without --reveal-secrets: {d}");
    assert!(d.get("pending").is_none());
    // The URL is always on stderr for the user to copy; secrets never are.
    assert!(out.stderr.contains("code_challenge_method=S256"), "{out}");
    // One line a person can act on; the document stays on stdout.
    let said = format!("mcp-authorize: logged in to {}: scopes mcp:read", w.servers.mcp_url);
    assert!(out.stderr.contains(&said), "{out}");
    assert!(out.stderr.contains(", valid 5 min, stored in file store"), "{out}");
    let access = w.stored_token();
    assert!(!out.stdout.contains(&access) && !out.stderr.contains(&access), "token leaked: {out}");
    let intro = w.servers.introspection(&access);
    assert_eq!(intro["aud"], json!(w.servers.mcp_url), "RFC 8707 audience: {intro}");
    assert_eq!(w.servers.call_mcp(Some(&access), "initialize").status, 200);

    // Second run: the stored refresh token does it; the browser must not be touched.
    let (tripwire, marker) = tripwire(w.sandbox.path());
    let out = w.authorize(&[], Some(&doc), &[("BROWSER", &tripwire)]);
    assert!(out.success(), "{out}");
    assert!(!marker.exists(), "the browser was opened on a silent refresh: {out}");
    assert_eq!(out.json()["token"]["grant"], "refresh_token", "{out}");
    let refreshed = w.stored_token();
    assert_ne!(refreshed, access);
    assert_eq!(w.servers.call_mcp(Some(&refreshed), "initialize").status, 200);

    // --force skips the refresh and logs in again; the trace shows the exchange, not its secrets.
    let out = w.authorize(&["--force", "-v"], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("grant_type=authorization_code"), "{out}");
    assert!(out.stderr.contains("resource="), "RFC 8707 resource on the token request: {out}");
    out.assert_stderr_hides(&[&w.stored_token()]);
    assert!(out.stderr.contains("code_verifier=[redacted"), "{out}");

    let out = w.authorize(&["--force", "--reveal-secrets", "--quiet"], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    assert!(!out.stderr.contains("logged in to"), "--quiet: {out}");
    let d = out.json();
    assert_eq!(d["token"]["grant"], "authorization_code");
    assert_eq!(d["token"]["access_token"].as_str(), Some(w.stored_token().as_str()), "--reveal-secrets shows it");
}

#[test]
fn a_refused_refresh_token_leads_to_a_new_authorization_not_an_error() {
    // The refresh token dies before the second run: the server answers invalid_grant, and
    // mcp-authorize must fall back to the browser login instead of failing with "log in again".
    let w = World::new(Options::default().access_ttl(1).refresh_ttl(2));
    let doc = w.registered(&["mcp:read"], &[]);
    let b = browser();
    let out = w.authorize(&[], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["token"]["has_refresh_token"], true, "{out}");
    std::thread::sleep(Duration::from_secs(3));
    let out = w.authorize(&[], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("refused the refresh token"), "{out}");
    assert!(out.stderr.contains("starting a new authorization"), "{out}");
    assert!(!out.stderr.contains("run: mcp-authorize"), "no advice to do what is being done: {out}");
    assert_eq!(out.json()["token"]["grant"], "authorization_code", "{out}");
    assert_eq!(w.servers.call_mcp(Some(&w.stored_token()), "initialize").status, 200);
}

#[test]
fn tampered_or_missing_state_and_iss_are_refused() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let b = browser();
    // A callback without this authorization's state is not its answer (any web page can
    // send one: issue 13 item 8): it is refused and the wait goes on, here to the timeout.
    // One with the right state but a wrong or missing iss is the real answer, and fails.
    for (var, mode, code) in [
        ("MCP_TEST_BROWSER_STATE", "tamper", 8),
        ("MCP_TEST_BROWSER_STATE", "drop", 8),
        ("MCP_TEST_BROWSER_ISS", "tamper", 5),
        // The server promises iss (authorization_response_iss_parameter_supported): absent = reject.
        ("MCP_TEST_BROWSER_ISS", "drop", 5),
    ] {
        let out = w.authorize(&["--timeout-callback", "3"], Some(&doc), &[("BROWSER", &b), (var, mode)]);
        assert_code(&out, code);
        if code == 8 {
            assert!(out.stderr.contains("ignored a callback whose state"), "{out}");
        }
        assert!(out.stdout.is_empty(), "{out}");
        let stored = w.run("mcp-token", &[&w.servers.mcp_url], None, &[]);
        assert_eq!(stored.code, Some(7), "nothing may be stored after {var}={mode}: {stored}");
    }
}

#[test]
fn user_denial_exits_8_with_the_servers_description() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let b = browser();
    let out = w.authorize(&[], Some(&doc), &[("BROWSER", &b), ("MCP_TEST_BROWSER_DENY", "1")]);
    assert_code(&out, 8);
    assert!(out.stderr.contains("access_denied"), "{out}");
}

#[test]
fn no_callback_before_the_timeout_exits_8() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let out = w.authorize(&["--timeout-callback", "2"], Some(&doc), &[("BROWSER", "true")]);
    assert_code(&out, 8);
    assert!(out.elapsed >= Duration::from_secs(2) && out.elapsed < Duration::from_secs(20), "{out}");
    assert!(out.stderr.contains("--timeout-callback"), "{out}");
}

#[test]
fn no_browser_prints_the_url_and_opens_nothing() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let (tripwire, marker) = tripwire(w.sandbox.path());
    let out = w.authorize(&["--no-browser", "--timeout-callback", "1"], Some(&doc), &[("BROWSER", &tripwire)]);
    assert_code(&out, 8);
    assert!(!marker.exists());
    assert!(out.stderr.contains(&format!("{}/auth?", w.servers.issuer)), "{out}");
}

#[test]
fn headless_hand_off_in_two_steps() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let out = w.authorize(&["--print-url"], Some(&doc), &[]);
    assert!(out.success(), "{out}");
    let d = out.json();
    let url = d["pending"]["authorization_url"].as_str().expect("pending URL").to_string();
    assert!(out.stderr.contains(&url), "{out}");
    assert!(d.get("token").is_none());

    // The "other machine": the stand-in writes the address it ends at instead of loading it.
    let file = w.sandbox.path().join("callback-url");
    let browser =
        w.sandbox.command(browser_command()).arg(&url).env("MCP_TEST_BROWSER_CALLBACK_FILE", &file).status().unwrap();
    assert!(browser.success());
    let callback = std::fs::read_to_string(&file).unwrap().trim().to_string();

    // Pasted on stdin ("-"), as a person would.
    let out = w.authorize(&["--callback-url", "-"], Some(&format!("{callback}\n")), &[]);
    assert!(out.success(), "{out}");
    let d = out.json();
    assert_eq!(d["token"]["grant"], "authorization_code");
    assert_eq!(d["server_url"], json!(w.servers.mcp_url), "the first half's document goes on");
    assert_eq!(w.servers.call_mcp(Some(&w.stored_token()), "initialize").status, 200);

    // The pending entry was spent: the same callback again is refused.
    let again = w.authorize(&["--callback-url", &callback], None, &[]);
    assert_code(&again, 5);
}

#[test]
fn hand_off_with_a_tampered_iss_is_refused() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let d = w.authorize(&["--print-url"], Some(&doc), &[]).json();
    let url = d["pending"]["authorization_url"].as_str().unwrap().to_string();
    let file = w.sandbox.path().join("cb");
    let ok = w
        .sandbox
        .command(browser_command())
        .arg(&url)
        .env("MCP_TEST_BROWSER_CALLBACK_FILE", &file)
        .env("MCP_TEST_BROWSER_ISS", "tamper")
        .status()
        .unwrap();
    assert!(ok.success());
    let callback = std::fs::read_to_string(&file).unwrap();
    let out = w.authorize(&["--callback-url", callback.trim()], None, &[]);
    assert_code(&out, 5);
}

/// A pre-registered public client allowed the device grant (dynamic registration asks only
/// for authorization_code and refresh_token).
fn device_client() -> Value {
    json!({
        "client_id": "device-cli",
        "token_endpoint_auth_method": "none",
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "response_types": [],
        "redirect_uris": [],
        "application_type": "native",
    })
}

#[test]
fn device_grant_is_approved_through_the_verification_uri() {
    let w = World::new(Options::default().client(device_client()));
    let doc = w.registered(&["mcp:read"], &["--client-id", "device-cli", "--auth-method", "none"]);
    let b = browser();
    let out = w.authorize(&["--device"], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("enter the code"), "{out}");
    assert!(out.stderr.contains("(it expires in "), "the device code's time, RFC 8628 expires_in: {out}");
    assert_eq!(out.json()["token"]["grant"], "device_code");
    assert_eq!(w.servers.call_mcp(Some(&w.stored_token()), "initialize").status, 200);

    let out = w.authorize(&["--device", "--force"], Some(&doc), &[("BROWSER", &b), ("MCP_TEST_BROWSER_DENY", "1")]);
    assert_code(&out, 8);
}

#[test]
fn device_grant_with_a_dynamically_registered_client() {
    // mcp-dcr registers the device grant where the server offers it (RFC 8628), so a
    // headless user needs no pre-registered client.
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let out = w.authorize(&["--device"], Some(&doc), &[("BROWSER", &browser())]);
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["token"]["grant"], "device_code");
    assert_eq!(w.servers.call_mcp(Some(&w.stored_token()), "initialize").status, 200);
}

#[test]
fn client_credentials_with_a_secret() {
    let client = json!({
        "client_id": "m2m-secret",
        "client_secret": "a-long-enough-client-secret-for-the-test-server-0123456789",
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
        "response_types": [],
        "redirect_uris": [],
    });
    let w = World::new(Options::default().client(client.clone()));
    let secret_file = w.sandbox.path().join("secret");
    std::fs::write(&secret_file, client["client_secret"].as_str().unwrap()).unwrap();
    let doc = w.registered(
        &["mcp:read", "mcp:write"],
        &["--client-id", "m2m-secret", "--client-secret-file", secret_file.to_str().unwrap()],
    );
    let (tripwire, marker) = tripwire(w.sandbox.path());
    let out = w.authorize(&["--client-credentials"], Some(&doc), &[("BROWSER", &tripwire)]);
    assert!(out.success(), "{out}");
    assert!(!marker.exists());
    assert!(!out.stderr.contains("a-long-enough"), "secret leaked: {out}");
    assert_eq!(out.json()["token"]["grant"], "client_credentials");
    let token = w.stored_token();
    assert_eq!(w.servers.call_mcp(Some(&token), "tools/call").status, 200, "mcp:write granted");
}

/// A P-256 key in a PKCS#8 PEM file, and its public JWK.
pub(crate) fn ec_key(dir: &Path) -> (String, Value) {
    use base64::Engine as _;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"));
    let path = dir.join("client-key.pem");
    std::fs::write(&path, pem).unwrap();
    let path = path.display().to_string();
    let jwk = mcp_oauth::jwt::public_jwk(&path, Some("k1")).unwrap();
    (path, jwk)
}

#[test]
fn client_credentials_with_a_private_key_jwt() {
    let keydir = tempfile::tempdir().unwrap();
    let (key, jwk) = ec_key(keydir.path());
    let client = json!({
        "client_id": "m2m-jwt",
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "jwks": {"keys": [jwk]},
        "grant_types": ["client_credentials"],
        "response_types": [],
        "redirect_uris": [],
    });
    let w = World::new(Options::default().client(client));
    let doc = w.registered(
        &["mcp:read"],
        &["--client-id", "m2m-jwt", "--auth-method", "private_key_jwt", "--private-key-file", &key, "--key-id", "k1"],
    );
    let out = w.authorize(&["--client-credentials"], Some(&doc), &[]);
    assert!(out.success(), "{out}");
    assert_eq!(w.servers.call_mcp(Some(&w.stored_token()), "initialize").status, 200);
}

#[test]
fn step_up_reauthorizes_with_the_union_of_scopes() {
    let w = World::new(Options::default());
    let doc = w.registered(&["mcp:read"], &[]);
    let b = browser();
    assert!(w.authorize(&[], Some(&doc), &[("BROWSER", &b)]).success());
    let narrow = w.stored_token();
    let denied = w.servers.call_mcp(Some(&narrow), "tools/call");
    assert_eq!(denied.status, 403);
    let challenge = denied.www_authenticate().expect("403 challenge").to_string();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");

    // A refresh cannot widen the scope: the stored refresh token is left alone and a new
    // authorization (grant authorization_code) asks for the union.
    let out = w.authorize(&["--step-up", &challenge], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    let d = out.json();
    assert_eq!(d["token"]["grant"], "authorization_code", "{d}");
    assert_eq!(d["scope"]["source"], "step_up");
    let scopes: Vec<&str> = d["scope"]["scopes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(scopes.contains(&"mcp:read") && scopes.contains(&"mcp:write"), "{d}");
    let wide = w.stored_token();
    assert_eq!(w.servers.call_mcp(Some(&wide), "tools/call").status, 200);
    assert_eq!(w.servers.call_mcp(Some(&wide), "initialize").status, 200, "the old scope is kept");
}

#[test]
fn missing_pkce_metadata_is_refused_unless_overridden() {
    let w = World::new(Options::default().variant(Variant::NoPkceMetadata));
    let doc = w.registered(&["mcp:read"], &[]);
    let b = browser();
    let out = w.authorize(&[], Some(&doc), &[("BROWSER", &b)]);
    assert_code(&out, 5);
    assert!(out.stderr.contains("--allow-missing-pkce-metadata"), "{out}");
    let out = w.authorize(&["--allow-missing-pkce-metadata"], Some(&doc), &[("BROWSER", &b)]);
    assert!(out.success(), "S256 is still sent and the server requires it: {out}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let out = sandbox.run("mcp-authorize", &["--auth-param", "state=x"], Some("{}"));
    assert_eq!(out.code, Some(2), "{out}");
    let out = sandbox.run("mcp-authorize", &["--credential-helper", "file"], Some("not json"));
    assert_eq!(out.code, Some(2), "{out}");
    let out = sandbox.run("mcp-authorize", &["--step-up", "Basic realm=x"], Some("{}"));
    assert_eq!(out.code, Some(2), "{out}");
}

/// A document short of the stage mcp-authorize needs is refused as it is read, with the step
/// to run first: before the store is opened (here one that refuses to open) or a file read.
#[test]
fn a_document_short_of_a_stage_names_the_step_to_run_first() {
    let sandbox = Sandbox::new();
    let (url, issuer) = ("http://127.0.0.1:9/mcp", "http://127.0.0.1:9");
    let bare = json!({"mcp_oauth": 1, "server_url": url, "resource": url});
    let mut discovered = bare.clone();
    discovered["authorization_server"] = json!({
        "issuer": issuer, "metadata": {"issuer": issuer}, "pkce_s256": true, "registration_options": ["pre_registered"],
    });
    let remote = "--import-mcp-remote=/nonexistent";
    for (args, doc, needle) in [
        (&[][..], &bare, "no authorization server: run mcp-discover first"),
        (&[remote][..], &bare, "no authorization server: run mcp-discover first"),
        (&[][..], &discovered, "no client: run mcp-dcr first"),
        (&["--print-url"][..], &discovered, "no client: run mcp-dcr first"),
    ] {
        let mut cmd = sandbox.cmd("mcp-authorize");
        cmd.args(FILE_STORE).args(args).env("MCP_OAUTH_STORE_PART_SIZE", "1");
        let out = mcp_testkit::bins::run(cmd, Some(doc.to_string().as_bytes()), Duration::from_secs(30));
        assert_eq!(out.code, Some(2), "{args:?} {out}");
        assert!(out.stderr.contains(needle), "{args:?} {out}");
    }
}

#[test]
fn a_url_argument_runs_discovery_and_registration_first() {
    let w = World::new(Options::default());
    let b = browser();
    let out = w.authorize(&[&w.servers.mcp_url], None, &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    let d = out.json();
    assert_eq!(d["authorization_server"]["issuer"], json!(w.servers.issuer), "{d}");
    assert_eq!(d["client"]["source"], "dynamic", "{d}");
    assert_eq!(d["token"]["grant"], "authorization_code", "{d}");
    assert_eq!(w.servers.call_mcp(Some(&w.stored_token()), "initialize").status, 200);
}

#[test]
fn discover_dcr_authorize_work_as_a_shell_pipeline_with_tokens_in_pass() {
    assert!(
        mcp_testkit::pass::PassStore::available(),
        "pass, gpg and docker-credential-pass are installed by scripts/setup"
    );
    let w = World::new(Options::default());
    // config.json says credsStore "pass": no --credential-helper anywhere below.
    let pass = mcp_testkit::pass::PassStore::for_sandbox(&w.sandbox);
    let bin_dir = mcp_testkit::bins::target_profile_dir();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = w.sandbox.command("sh");
    cmd.args(["-c", r#"set -e; mcp-discover "$1" | mcp-dcr | mcp-authorize"#, "sh", &w.servers.mcp_url])
        .env("PATH", &path)
        .env("BROWSER", browser());
    let out = mcp_testkit::bins::run(cmd, None, Duration::from_secs(90));
    assert!(out.success(), "{out}");
    let d = out.json();
    assert_eq!(d["token"]["grant"], "authorization_code", "{out}");

    // Both records are in pass, under the keys the document names.
    let listed = pass.command("docker-credential-pass").arg("list").output().unwrap();
    assert!(listed.status.success());
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    for key in [&d["token"]["store_key"], &d["client"]["store_key"]] {
        let key = key.as_str().expect("store key in the document");
        assert!(listed.get(key).is_some(), "{key} is not in pass: {listed}");
    }
    let token = w.sandbox.run("mcp-token", &[&w.servers.mcp_url], None);
    assert!(token.success(), "{token}");
    assert_eq!(w.servers.call_mcp(Some(token.stdout.trim()), "initialize").status, 200);
}

/// A server that challenges late (initialize answered without a token, tools/list 401):
/// `mcp-authorize --challenge` asks for the challenged scope, and the token then works for
/// the request that was challenged.
#[test]
fn a_late_challenge_decides_what_the_first_authorization_asks_for() {
    let w = World::new(Options::default().variant(Variant::LateChallenge));
    let late = w.servers.call_mcp(None, "tools/list");
    assert_eq!(late.status, 401, "{late}");
    let challenge = late.www_authenticate().expect("a challenge").to_string();
    let b = browser();
    let out = w.authorize(&["--challenge", &challenge, &w.servers.mcp_url], None, &[("BROWSER", &b)]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["scope"]["source"], "challenge", "{doc}");
    let token = w.stored_token();
    let granted = w.servers.introspection(&token)["scope"].as_str().unwrap_or_default().to_string();
    assert!(granted.split(' ').any(|s| s == "mcp:read"), "{granted}");
    assert!(
        !granted.split(' ').any(|s| s == "mcp:write"),
        "only the challenged scope, not scopes_supported: {granted}"
    );
    assert_eq!(w.servers.call_mcp(Some(&token), "tools/list").status, 200);
}

/// While waiting for the browser, a person on a terminal sees a countdown rewritten in
/// place; a pipe (a log, a CI job) gets none of it.
#[test]
fn the_wait_for_the_browser_counts_down_on_a_terminal_only() {
    let w = World::new(Options::default());
    let args = ["--no-browser", "--timeout-callback", "3", &w.servers.mcp_url];
    let piped = w.run("mcp-authorize", &args, None, &[]);
    assert_eq!(piped.code, Some(8), "{piped}");
    assert!(!piped.stderr.contains(" left") && !piped.stderr.contains('\r'), "no countdown on a pipe: {piped}");

    let command = format!(
        "{} {} {}",
        mcp_testkit::bins::bin_path("mcp-authorize").display(),
        FILE_STORE.join(" "),
        args.join(" ")
    );
    let mut cmd = w.sandbox.command("script");
    cmd.args(["-qec", &command, "/dev/null"]);
    let tty = mcp_testkit::bins::run(cmd, None, Duration::from_secs(60));
    assert!(tty.stdout.contains("mcp-authorize: waiting for the browser, 0:0"), "{tty}");
    // The countdown line is erased before the error that ends the wait.
    assert!(tty.stdout.contains("\r\x1b[Kmcp-authorize: no authorization response arrived"), "{tty}");
}
