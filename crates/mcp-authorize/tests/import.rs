//! Tokens obtained by another program, taken into the store: an RFC 6749 token response on
//! stdin (with the client the tokens belong to, pre-registered with mcp-dcr), and what
//! mcp-remote stored in ~/.mcp-auth. Both are then served and refreshed by mcp-token.

use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::servers::{Fixture, Options};
use serde_json::json;
use std::time::Duration;

fn tool(sandbox: &Sandbox, bin: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = sandbox.cmd(bin);
    cmd.args(["--credential-helper", "file"]).args(args);
    run(cmd, stdin.map(str::as_bytes), Duration::from_secs(60))
}

/// The stored token is the imported one, it works, and a forced refresh (by the imported
/// token's client) gives a new one that works too.
fn served_and_refreshed(sandbox: &Sandbox, servers: &Fixture, imported: &str) {
    let out = tool(sandbox, "mcp-token", &[&servers.mcp_url], None);
    assert_eq!(out.stdout.trim(), imported, "{out}");
    let refreshed = tool(sandbox, "mcp-token", &["--min-valid", "100000", &servers.mcp_url], None);
    assert!(refreshed.success(), "{refreshed}");
    assert_ne!(refreshed.stdout.trim(), imported);
    assert_eq!(servers.call_mcp(Some(refreshed.stdout.trim()), "initialize").status, 200);
}

#[test]
fn a_token_response_on_stdin_is_served_and_refreshed() {
    let servers = Fixture::for_options(Options::default());
    let tokens = servers.authorize("mcp:read offline_access");
    let client_id = tokens.client["client_id"].as_str().unwrap();
    let sandbox = Sandbox::new();
    // The client the tokens belong to: public, pre-registered.
    let dcr = tool(&sandbox, "mcp-dcr", &["--client-id", client_id, "--auth-method", "none", &servers.mcp_url], None);
    assert!(dcr.success(), "{dcr}");

    let out =
        tool(&sandbox, "mcp-authorize", &["--import-token", "-", &servers.mcp_url], Some(&tokens.response.to_string()));
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["token"]["grant"], "imported");
    assert!(!out.stdout.contains(&tokens.access_token), "no token in the document");
    served_and_refreshed(&sandbox, &servers, &tokens.access_token);

    // Not a token response: a usage error, nothing stored over the good one.
    let bad =
        tool(&sandbox, "mcp-authorize", &["--import-token", "-", &servers.mcp_url], Some(r#"{"token_type":"Bearer"}"#));
    assert_eq!(bad.code, Some(2), "{bad}");
    assert!(tool(&sandbox, "mcp-token", &[&servers.mcp_url], None).success());
}

#[test]
fn an_mcp_remote_login_is_taken_over_without_a_new_login() {
    let servers = Fixture::for_options(Options::default());
    let tokens = servers.authorize("mcp:read offline_access");
    let sandbox = Sandbox::new();
    // What mcp-remote 0.1.x leaves in ~/.mcp-auth: client info and tokens under one hash.
    let dir = sandbox.home.join(".mcp-auth/mcp-remote-0.1.29");
    std::fs::create_dir_all(&dir).unwrap();
    let mut client_info = tokens.client.clone();
    client_info["redirect_uris"] = json!([tokens.redirect_uri]);
    std::fs::write(dir.join("0123abcd_client_info.json"), client_info.to_string()).unwrap();
    let mut saved = tokens.response.clone();
    saved["expires_at"] = json!((mcp_oauth_now() + 300) * 1000);
    std::fs::write(dir.join("0123abcd_tokens.json"), saved.to_string()).unwrap();

    let out = tool(&sandbox, "mcp-authorize", &["--import-mcp-remote", &servers.mcp_url], None);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("took mcp-remote's client"), "{out}");
    assert_eq!(out.json()["client"]["client_id"], tokens.client["client_id"]);
    served_and_refreshed(&sandbox, &servers, &tokens.access_token);
}

fn mcp_oauth_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}
