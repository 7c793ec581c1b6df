//! `mcp-discover` against the real test servers (oidc-provider authorization server and the
//! MCP resource server), one test per deployment variant.

#![allow(clippy::unwrap_used)]

use mcp_testkit::bins::{self, Output, Sandbox};
use mcp_testkit::servers::{Options, TestServers, Variant};
use serde_json::Value;
use std::time::Duration;

fn discover(args: &[&str], stdin: Option<&str>) -> Output {
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(env!("CARGO_BIN_EXE_mcp-discover"));
    command.args(args);
    bins::run(command, stdin.map(str::as_bytes), Duration::from_secs(60))
}

fn start(variants: &[Variant]) -> TestServers {
    let options = variants.iter().fold(Options::default(), |o, v| o.variant(*v));
    TestServers::start(options)
}

/// Discovers the servers' MCP URL, expecting success, and returns the document.
#[track_caller]
fn discovered(servers: &TestServers) -> Value {
    let out = discover(&[&servers.mcp_url], None);
    assert!(out.success(), "{out}\n--- server log\n{}", servers.server_log());
    assert!(out.stderr.is_empty(), "{out}");
    out.json()
}

fn findings(doc: &Value) -> String {
    doc.get("findings").map(Value::to_string).unwrap_or_default()
}

#[track_caller]
fn assert_common(doc: &Value, servers: &TestServers) {
    assert_eq!(doc["mcp_oauth"], 1);
    assert_eq!(doc["server_url"], servers.mcp_url);
    assert_eq!(doc["resource"], servers.mcp_url);
    assert_eq!(doc["authorization_server"]["issuer"], servers.issuer);
    assert_eq!(doc["authorization_server"]["metadata"]["issuer"], servers.issuer);
    assert_eq!(doc["authorization_server"]["pkce_s256"], true, "{doc}");
    assert_eq!(doc["discovery"]["probe_status"], 401);
}

#[test]
fn challenge_with_resource_metadata() {
    let servers = start(&[]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(doc["discovery"]["source"], "resource_metadata");
    assert_eq!(doc["discovery"]["resource_metadata_url"], servers.prm_url.clone().unwrap());
    assert_eq!(doc["discovery"]["challenge"]["params"]["resource_metadata"], servers.prm_url.clone().unwrap());
    assert_eq!(doc["authorization_server"]["candidates"], serde_json::json!([servers.issuer]));
    assert_eq!(doc["authorization_server"]["metadata_url"], servers.oauth_metadata_url());
    assert_eq!(doc["authorization_server"]["registration_options"], serde_json::json!(["pre_registered", "dynamic"]));
    assert_eq!(doc["scope"], serde_json::json!({"scopes": ["mcp:read"], "source": "challenge"}));
}

#[test]
fn a_discovery_costs_four_requests_on_two_round_trips() {
    let servers = start(&[]);
    let out = discover(&["--trace", &servers.mcp_url], None);
    assert!(out.success(), "{out}");
    let sent: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("> ") && !l.starts_with(">  ")).collect();
    assert_eq!(sent.len(), 4, "{sent:#?}");
    // Round trip one: the probe and the path-inserted metadata; round trip two: both AS
    // metadata candidates. The order inside a round trip is up to the scheduler.
    let first: Vec<&str> = sent[..2].to_vec();
    assert!(first.iter().any(|l| l.starts_with("> POST ") && l.ends_with("/mcp")), "{sent:#?}");
    assert!(first.iter().any(|l| l.contains("/.well-known/oauth-protected-resource/mcp")), "{sent:#?}");
    assert!(sent[2..].iter().all(|l| l.contains("/.well-known/")), "{sent:#?}");
}

#[test]
fn challenge_without_resource_metadata() {
    let servers = start(&[Variant::NoResourceMetadata]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert!(doc["discovery"]["challenge"]["params"].get("resource_metadata").is_none());
    assert_eq!(doc["discovery"]["resource_metadata_url"], servers.prm_url.clone().unwrap());
    assert!(findings(&doc).contains("no resource_metadata"), "{doc}");
}

#[test]
fn resource_metadata_only_at_the_root() {
    let servers = start(&[Variant::RootPrm]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(
        doc["discovery"]["resource_metadata_url"],
        format!("{}/.well-known/oauth-protected-resource", servers.rs_origin)
    );
}

#[test]
fn root_only_metadata_without_the_header_pointer() {
    let servers = start(&[Variant::RootPrm, Variant::NoResourceMetadata]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(
        doc["discovery"]["resource_metadata_url"],
        format!("{}/.well-known/oauth-protected-resource", servers.rs_origin)
    );
    // RFC 9728 would have the origin as the resource of root metadata; it is tolerated.
    assert!(findings(&doc).contains("RFC 9728 wants the origin"), "{doc}");
}

#[test]
fn issuer_with_a_path() {
    let servers = start(&[Variant::Tenant]);
    assert!(servers.issuer.ends_with("/tenant1"), "{}", servers.issuer);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(
        doc["authorization_server"]["metadata_url"],
        format!("{}/.well-known/oauth-authorization-server/tenant1", servers.as_origin)
    );
}

#[test]
fn openid_connect_discovery_only() {
    let servers = start(&[Variant::OidcOnly]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(doc["authorization_server"]["metadata_url"], servers.openid_configuration_url());
}

#[test]
fn openid_connect_discovery_only_for_a_tenant_issuer() {
    let servers = start(&[Variant::OidcOnly, Variant::Tenant]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(
        doc["authorization_server"]["metadata_url"],
        format!("{}/tenant1/.well-known/openid-configuration", servers.as_origin)
    );
}

#[test]
fn legacy_server_without_resource_metadata() {
    let servers = start(&[Variant::Legacy]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(doc["discovery"]["source"], "legacy");
    assert!(doc["discovery"].get("resource_metadata").is_none());
    assert_eq!(doc["authorization_server"]["metadata_url"], servers.oauth_metadata_url());
    assert_eq!(doc["scope"]["source"], "none");
    assert!(findings(&doc).contains("2025-03-26"), "{doc}");
}

#[test]
fn issuer_mismatch_is_refused() {
    let servers = start(&[Variant::IssuerMismatch]);
    let out = discover(&[&servers.mcp_url], None);
    assert_eq!(out.code, Some(5), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.contains("not-the-issuer"), "{out}");

    let check = discover(&["--check", &servers.mcp_url], None);
    assert_eq!(check.code, Some(10), "{check}");
    assert!(check.stderr.contains("RFC 8414 §3.3"), "{check}");
    assert!(check.json().get("authorization_server").is_none());
}

#[test]
fn resource_mismatch_is_refused() {
    let servers = start(&[Variant::ResourceMismatch]);
    let out = discover(&[&servers.mcp_url], None);
    assert_eq!(out.code, Some(5), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.contains("some-other-resource"), "{out}");
}

#[test]
fn missing_pkce_metadata_is_reported_for_the_next_step() {
    let servers = start(&[Variant::NoPkceMetadata]);
    let out = discover(&[&servers.mcp_url], None);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["authorization_server"]["pkce_s256"], false);
    assert!(findings(&doc).contains("code_challenge_methods_supported"), "{doc}");
    let check = discover(&["--check", &servers.mcp_url], None);
    assert_eq!(check.code, Some(10), "{check}");
    assert!(check.stderr.contains("error: ") && check.stderr.contains("code_challenge_methods_supported"), "{check}");
}

#[test]
fn no_dynamic_registration() {
    let servers = start(&[Variant::NoDcr]);
    let doc = discovered(&servers);
    assert_common(&doc, &servers);
    assert_eq!(doc["authorization_server"]["registration_options"], serde_json::json!(["pre_registered"]));
    let check = discover(&["--check", &servers.mcp_url], None);
    assert!(check.success(), "{check}");
}

#[test]
fn the_pipeline_document_on_stdin_is_rediscovered() {
    let servers = start(&[]);
    let first = discover(&["--compact", "--profile", "work", &servers.mcp_url], None);
    assert!(first.success(), "{first}");
    let again = discover(&["--scope", "mcp:read mcp:write"], Some(&first.stdout));
    assert!(again.success(), "{again}");
    let doc = again.json();
    assert_eq!(doc["profile"], "work");
    assert_eq!(doc["authorization_server"]["issuer"], servers.issuer);
    assert_eq!(doc["scope"], serde_json::json!({"scopes": ["mcp:read", "mcp:write"], "source": "user"}));
}

/// A path of the resource server that is no MCP endpoint: 404, no metadata, no 401. The
/// 2025-03-26 fallback used to invent `/authorize`, `/token` and `/register` on it.
#[test]
fn a_url_that_asks_for_no_token_gets_exit_11_not_invented_endpoints() {
    let servers = start(&[]);
    let url = format!("{}/not-mcp", servers.rs_origin);
    let out = discover(&[&url], None);
    assert_eq!(out.code, Some(11), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.starts_with(&format!("mcp-discover: {url} does not ask for authorization")), "{out}");
    assert!(out.stderr.contains("HTTP 404"), "{out}");
}

/// The root metadata names the real endpoint: the error says so and suggests it.
#[test]
fn a_wrong_path_gets_the_mcp_endpoint_suggested() {
    let servers = start(&[Variant::RootPrm]);
    let url = format!("{}/not-mcp", servers.rs_origin);
    let out = discover(&[&url], None);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.contains(&format!("did you mean {}?", servers.mcp_url)), "{out}");
    assert!(out.stderr.contains("HTTP 404"), "{out}");
}

/// MCP 2026-07-28: initialize is answered without a token, tools/list is challenged with
/// the scope it needs. The challenge the client received decides the scope (Scope
/// Selection Strategy), not the resource metadata's scopes_supported.
#[test]
fn a_late_challenge_given_with_challenge_decides_the_scope() {
    let servers = start(&[Variant::LateChallenge]);
    assert_eq!(servers.call_mcp(None, "initialize").status, 200);
    let late = servers.call_mcp(None, "tools/list");
    assert_eq!(late.status, 401);
    let challenge = late.www_authenticate().expect("a challenge").to_string();
    assert!(challenge.contains(r#"scope="mcp:read""#), "{challenge}");

    let plain = discover(&[&servers.mcp_url], None);
    assert!(plain.success(), "{plain}");
    assert_eq!(plain.json()["scope"]["source"], "resource_metadata", "the probe alone sees no challenge");

    let out = discover(&["--challenge", &challenge, &servers.mcp_url], None);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["scope"], serde_json::json!({"scopes": ["mcp:read"], "source": "challenge"}));
    assert_eq!(doc["discovery"]["probe_status"], 200);
    assert_eq!(doc["discovery"]["challenge"]["params"]["scope"], "mcp:read");
    assert_eq!(doc["discovery"]["resource_metadata_url"], servers.prm_url.clone().unwrap());
    assert_eq!(doc["authorization_server"]["issuer"], servers.issuer);
}

const NEW_RULES: [&str; 3] = ["RFC 6750 §3.1", "RFC 7009 §2.1", "RFC 6749 §4.4"];

/// What the Python SDK and mock OIDC servers get wrong, each with its reference; warnings,
/// since each still works with a lenient client.
#[test]
fn check_names_the_challenge_revocation_and_grant_deviations() {
    let servers = start(&[Variant::InvalidTokenChallenge, Variant::AuthMethodsNone, Variant::ConfidentialRevocation]);
    let out = discover(&["--check", &servers.mcp_url], None);
    assert!(out.success(), "warnings only: {out}");
    for (reference, needle) in NEW_RULES.iter().zip(["invalid_token", "none (public clients)", "client_credentials"]) {
        let line = out.stderr.lines().find(|l| l.contains(reference)).unwrap_or_else(|| panic!("{reference}: {out}"));
        assert!(line.starts_with("  warning: ") && line.contains(needle), "{line}");
    }
}

/// The well-behaved oidc-provider fixture gets none of these.
#[test]
fn check_raises_no_false_alarm_on_the_fixture() {
    let servers = start(&[]);
    let out = discover(&["--check", &servers.mcp_url], None);
    assert!(out.success(), "{out}");
    for reference in NEW_RULES {
        assert!(!out.stderr.contains(reference), "{reference}: {out}");
    }
}
