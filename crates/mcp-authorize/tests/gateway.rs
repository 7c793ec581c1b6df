//! `mcp-authorize --docker-gateway NAME`: the grant handed to the Docker MCP gateway, read back
//! the way the gateway's code reads it (credential helper `get`, base64 of its JSON, the
//! field names of its `dcr.Client` and of golang.org/x/oauth2's `Token`, RFC 3339 `expiry`),
//! and used as the gateway would: the access token at the MCP server, the refresh token at
//! the token endpoint as a public client without `resource`.

use base64::Engine as _;
use mcp_testkit::bins::{Sandbox, run};
use mcp_testkit::pass::PassStore;
use mcp_testkit::servers::{Fixture, Options, Request, browser_command};
use serde_json::Value;
use std::time::Duration;

/// `docker-credential-pass get KEY`, decoded as the gateway does: the Username, and the JSON
/// inside the base64 (standard alphabet, padded) Secret.
fn gateway_entry(pass: &PassStore, key: &str) -> (String, Value) {
    let mut cmd = pass.command("docker-credential-pass");
    cmd.arg("get").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(key.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{key} is not in pass: {}", String::from_utf8_lossy(&out.stdout));
    let entry: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entry["ServerURL"], key);
    let secret = base64::engine::general_purpose::STANDARD.decode(entry["Secret"].as_str().unwrap()).unwrap();
    (entry["Username"].as_str().unwrap().to_string(), serde_json::from_slice(&secret).unwrap())
}

/// Go's `time.Parse(time.RFC3339, ...)` accepts `YYYY-MM-DDTHH:MM:SSZ`; returns the Unix time.
fn rfc3339_seconds(s: &str) -> u64 {
    let b = s.as_bytes();
    assert!(s.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[19] == b'Z', "{s}");
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    (days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)) as u64
}

#[test]
fn a_login_handed_to_the_gateway_is_read_and_refreshed_as_the_gateway_does() {
    assert!(PassStore::available(), "pass, gpg and docker-credential-pass are installed by scripts/setup");
    let servers = Fixture::for_options(Options::default());
    let sandbox = Sandbox::new();
    let pass = PassStore::for_sandbox(&sandbox); // credsStore "pass" in ~/.docker/config.json
    let mut cmd = sandbox.cmd("mcp-authorize");
    cmd.args(["--docker-gateway", "notion-remote", &servers.mcp_url]).env("BROWSER", browser_command());
    let out = run(cmd, None, Duration::from_secs(90));
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("handed the grant to the Docker MCP gateway as server notion-remote"), "{out}");
    let doc = out.json();
    assert_eq!(doc["token"]["has_refresh_token"], false, "our record gave its refresh token up: {doc}");

    let metadata = servers.metadata();
    let (user, client) = gateway_entry(&pass, "https://notion-remote.mcp-dcr");
    assert_eq!(user, "dcr_client");
    assert_eq!(client["clientId"], doc["client"]["client_id"]);
    assert_eq!(client["serverName"], "notion-remote");
    assert_eq!(client["providerName"], "notion-remote");
    assert_eq!(client["authorizationEndpoint"], metadata["authorization_endpoint"]);
    assert_eq!(client["tokenEndpoint"], metadata["token_endpoint"]);
    assert_eq!(client["resourceUrl"], servers.mcp_url);
    rfc3339_seconds(client["registeredAt"].as_str().unwrap());

    let token_key = format!("{}/notion-remote", metadata["authorization_endpoint"].as_str().unwrap());
    let (user, token) = gateway_entry(&pass, &token_key);
    assert_eq!(user, "oauth2_notion-remote");
    assert_eq!(token["token_type"], "Bearer");
    let expiry = rfc3339_seconds(token["expiry"].as_str().unwrap());
    assert_eq!(Some(expiry), doc["token"]["expires_at"].as_u64(), "expiry is the token's expires_at");
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(servers.call_mcp(Some(access), "initialize").status, 200);

    // The gateway's refresh: x/oauth2's TokenSource, a public client, no resource.
    let refreshed = Request::post(metadata["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token["refresh_token"].as_str().unwrap()),
            ("client_id", client["clientId"].as_str().unwrap()),
        ])
        .send()
        .unwrap();
    assert_eq!(refreshed.status, 200, "{refreshed}");

    // Our side serves the access token while it lasts, and says where the grant went after.
    let cached = sandbox.run("mcp-token", &[&servers.mcp_url], None);
    assert_eq!(cached.stdout.trim(), access, "{cached}");
    let forced = sandbox.run("mcp-token", &["--min-valid", "100000", &servers.mcp_url], None);
    assert_eq!(forced.code, Some(7), "{forced}");
    assert!(forced.stderr.contains("handed to the Docker MCP gateway, server notion-remote"), "{forced}");
    drop(pass);
}
