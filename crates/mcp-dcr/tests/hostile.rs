//! mcp-dcr against a programmable registration endpoint: the answers a real server
//! rarely gives, and the exact request we send.

use mcp_testkit::bins::{Output, Sandbox};
use mcp_testkit::mock::{Mock, Reply};
use serde_json::{Value, json};

/// A discovered document whose authorization server lives on the mock.
fn document(mock: &Mock, methods: Option<&[&str]>) -> String {
    let issuer = mock.origin();
    let mut metadata = json!({
        "issuer": issuer,
        "authorization_endpoint": mock.url("/authorize"),
        "token_endpoint": mock.url("/token"),
        "registration_endpoint": mock.url("/register"),
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "offline_access", "files:read"],
    });
    if let Some(m) = methods {
        metadata["token_endpoint_auth_methods_supported"] = json!(m);
    }
    json!({
        "mcp_oauth": 1,
        "server_url": mock.url("/mcp"),
        "resource": mock.url("/mcp"),
        "authorization_server": {
            "issuer": issuer, "metadata": metadata, "pkce_s256": true, "registration_options": ["dynamic"],
        },
        "scope": { "scopes": ["files:read"], "source": "challenge" },
    })
    .to_string()
}

fn run(sandbox: &Sandbox, mock: &Mock, args: &[&str]) -> Output {
    let mut all = vec!["--credential-helper", "file"];
    all.extend_from_slice(args);
    sandbox.run("mcp-dcr", &all, Some(&document(mock, Some(&["none", "client_secret_basic"]))))
}

fn registered(client: Value) -> Reply {
    Reply::json(200, &client)
}

#[test]
fn sends_the_metadata_the_spec_asks_for_and_accepts_200() {
    let mock = Mock::start();
    mock.on("POST", "/register", registered(json!({"client_id": "from-200"})));
    let sandbox = Sandbox::new();
    let out = run(&sandbox, &mock, &["--port", "45678", "--client-name", "my cli"]);
    assert!(out.success(), "{}", out.stderr);
    assert_eq!(out.json()["client"]["client_id"], "from-200");

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert!(req.header("content-type").is_some_and(|c| c.starts_with("application/json")));
    let body: Value = serde_json::from_slice(&req.body).expect("JSON body");
    assert_eq!(
        body,
        json!({
            "redirect_uris": ["http://127.0.0.1:45678/callback"],
            "application_type": "native",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "client_name": "my cli",
            "scope": "files:read offline_access",
        })
    );
}

#[test]
fn unusable_answers_are_protocol_errors_and_nothing_is_stored() {
    let cases: [(Reply, &str); 5] = [
        (registered(json!({"client_secret": "s"})), "no client_id"),
        (
            registered(json!({"client_id": "c", "token_endpoint_auth_method": "client_secret_basic"})),
            "no client_secret",
        ),
        (Reply::html(200, "<html>login</html>"), "text/html"),
        (Reply::redirect(307, "http://127.0.0.1:9/elsewhere"), "redirect"),
        (Reply::status(500), "HTTP 500"),
    ];
    for (reply, needle) in cases {
        let mock = Mock::start();
        mock.on("POST", "/register", reply);
        let sandbox = Sandbox::new();
        let out = run(&sandbox, &mock, &[]);
        assert_eq!(out.code, Some(3), "{needle}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        // Nothing half-done was stored: a good server afterwards gets a registration.
        mock.on("POST", "/register", registered(json!({"client_id": "good"})));
        let out = run(&sandbox, &mock, &[]);
        assert!(out.success(), "{}", out.stderr);
        assert_eq!(out.json()["client"]["client_id"], "good");
    }
}

#[test]
fn an_oauth_error_carries_the_servers_words() {
    let mock = Mock::start();
    mock.on(
        "POST",
        "/register",
        Reply::json(400, &json!({"error": "invalid_redirect_uri", "error_description": "loopback not allowed here"})),
    );
    let sandbox = Sandbox::new();
    let out = run(&sandbox, &mock, &[]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("invalid_redirect_uri: loopback not allowed here"), "{}", out.stderr);
}

#[test]
fn an_expired_secret_is_replaced_by_a_new_registration() {
    let mock = Mock::start();
    let soon = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() + 30;
    mock.on(
        "POST",
        "/register",
        registered(json!({
            "client_id": "short-lived", "client_secret": "s1", "client_secret_expires_at": soon,
            "token_endpoint_auth_method": "client_secret_basic",
        })),
    );
    let sandbox = Sandbox::new();
    let first = run(&sandbox, &mock, &["--auth-method", "client_secret_basic"]);
    assert!(first.success(), "{}", first.stderr);

    // The secret dies within the safety margin, so the next run registers again.
    mock.on(
        "POST",
        "/register",
        registered(json!({"client_id": "fresh", "client_secret": "s2",
        "client_secret_expires_at": 0, "token_endpoint_auth_method": "client_secret_basic"})),
    );
    let second = run(&sandbox, &mock, &[]);
    assert!(second.success(), "{}", second.stderr);
    assert_eq!(second.json()["client"]["client_id"], "fresh");
    assert!(second.stderr.contains("expired"), "{}", second.stderr);
    assert_eq!(mock.hits("/register"), 2);
    let third = run(&sandbox, &mock, &[]);
    assert_eq!(third.json()["client"]["client_id"], "fresh");
    assert_eq!(mock.hits("/register"), 2, "0 means the secret never expires");
}

#[test]
fn a_method_the_server_does_not_list_is_used_with_a_warning_and_no_request() {
    let mock = Mock::start();
    let sandbox = Sandbox::new();
    let doc = document(&mock, Some(&["client_secret_basic"]));
    let mut cmd = sandbox.cmd("mcp-dcr");
    cmd.args(["--credential-helper", "file", "--client-id", "c", "--auth-method", "client_secret_post"])
        .env("MCP_OAUTH_CLIENT_SECRET", "s3cret-value");
    let out = mcp_testkit::bins::run(cmd, Some(doc.as_bytes()), std::time::Duration::from_secs(60));
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["client"]["auth_method"], "client_secret_post");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not list client_secret_post") && out.stderr.contains("it lists client_secret_basic"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("s3cret-value"));
    assert!(mock.requests().is_empty());
}
