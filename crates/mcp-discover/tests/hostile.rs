//! `mcp-discover` against the programmable mock: the cases well-behaved servers never
//! produce. Each bad input must give one line on stderr, nothing on stdout, the documented
//! exit code, and never a panic.

#![allow(clippy::unwrap_used)]

use mcp_testkit::bins::{self, Output, Sandbox};
use mcp_testkit::mock::{Mock, Reply};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PRM_PATH: &str = "/.well-known/oauth-protected-resource/mcp";
const AS_PATH: &str = "/.well-known/oauth-authorization-server";
const OIDC_PATH: &str = "/.well-known/openid-configuration";

fn discover(args: &[&str]) -> Output {
    discover_stdin(args, None)
}

fn discover_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(env!("CARGO_BIN_EXE_mcp-discover"));
    command.args(args);
    bins::run(command, stdin.map(str::as_bytes), Duration::from_secs(60))
}

#[track_caller]
fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    assert_eq!(out.code, Some(code), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.starts_with("mcp-discover: "), "{out}");
    assert!(out.stderr.contains(needle), "wanted {needle:?}: {out}");
}

fn as_metadata(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    })
}

fn challenge(mock: &Mock) -> String {
    format!(r#"Bearer resource_metadata="{}", scope="files:read""#, mock.url(PRM_PATH))
}

/// A well-behaved MCP server that is its own authorization server.
fn good_server() -> Mock {
    let mock = Mock::start();
    mock.on(
        "POST",
        "/mcp",
        Reply::json(401, &json!({"error": "unauthorized"})).header("WWW-Authenticate", &challenge(&mock)),
    );
    mock.on(
        "GET",
        PRM_PATH,
        Reply::json(
            200,
            &json!({
                "resource": mock.url("/mcp"),
                "authorization_servers": [mock.origin()],
                "scopes_supported": ["files:read", "files:write"],
            }),
        ),
    );
    mock.on("GET", AS_PATH, Reply::json(200, &as_metadata(&mock.origin())));
    mock
}

#[test]
fn a_clean_server_gives_a_clean_document_and_the_probe_is_an_mcp_initialize() {
    let mock = good_server();
    let out = discover(&["--compact", &mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.is_empty(), "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "--compact is one line: {out}");
    let doc = out.json();
    assert_eq!(doc["resource"], mock.url("/mcp"));
    assert_eq!(doc["discovery"]["source"], "resource_metadata");
    assert_eq!(doc["authorization_server"]["issuer"], mock.origin());
    assert_eq!(doc["authorization_server"]["pkce_s256"], true);
    assert_eq!(doc["authorization_server"]["registration_options"], json!(["pre_registered", "metadata_document"]));
    assert_eq!(doc["scope"], json!({"scopes": ["files:read"], "source": "challenge"}));
    assert!(doc.get("findings").is_none(), "{doc}");

    let log = mock.requests();
    let probe = log.iter().find(|r| r.method == "POST").expect("a probe");
    assert_eq!(probe.header("accept"), Some("application/json, text/event-stream"));
    assert_eq!(probe.header("content-type"), Some("application/json"));
    assert_eq!(probe.header("mcp-protocol-version"), Some("2026-07-28"));
    assert!(probe.header("authorization").is_none());
    let body: Value = serde_json::from_slice(&probe.body).unwrap();
    assert_eq!(body["method"], "initialize");
    assert_eq!(body["jsonrpc"], "2.0");
    for r in log.iter().filter(|r| r.method == "GET") {
        assert_eq!(r.header("mcp-protocol-version"), Some("2026-07-28"), "{r:?}");
    }
    // Nothing is fetched twice: the speculative metadata fetch is the one the header named.
    assert_eq!(mock.hits(PRM_PATH), 1);
    assert_eq!(mock.hits("/mcp"), 1);
    assert_eq!(mock.hits(AS_PATH), 1);
}

#[test]
fn candidates_are_fetched_concurrently_but_chosen_in_order() {
    let mock = good_server();
    // The first candidate is slow, the second fast and also valid: the first must win, and
    // the waits must overlap rather than add up.
    let slow = Duration::from_millis(600);
    mock.on("GET", AS_PATH, Reply::json(200, &as_metadata(&mock.origin())).delay(slow));
    let mut oidc = as_metadata(&mock.origin());
    oidc["token_endpoint"] = json!(mock.url("/oidc-token"));
    mock.on("GET", OIDC_PATH, Reply::json(200, &oidc).delay(slow));
    mock.on("POST", "/mcp", Reply::json(401, &json!({})).header("WWW-Authenticate", &challenge(&mock)).delay(slow));
    mock.on(
        "GET",
        PRM_PATH,
        Reply::json(200, &json!({"resource": mock.url("/mcp"), "authorization_servers": [mock.origin()]})).delay(slow),
    );
    let began = Instant::now();
    let out = discover(&[&mock.url("/mcp")]);
    let took = began.elapsed();
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["authorization_server"]["metadata_url"], mock.url(AS_PATH));
    assert_eq!(doc["authorization_server"]["metadata"]["token_endpoint"], format!("{}/token", mock.origin()));
    // Four slow requests on two round trips: probe || resource metadata, then both AS candidates.
    assert!(took < slow * 3, "took {took:?}: requests were not concurrent");
}

#[test]
fn not_a_url_is_a_usage_error() {
    assert_one_line_error(&discover(&["not a url"]), 2, "not a URL");
    assert_one_line_error(&discover(&["ftp://127.0.0.1/mcp"]), 2, "unsupported scheme");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_any_request() {
    assert_one_line_error(&discover(&["http://mcp.example.com/mcp"]), 5, "not HTTPS");
}

#[test]
fn an_unreachable_host_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    assert_one_line_error(&discover(&[&format!("http://127.0.0.1:{port}/mcp")]), 4, "cannot connect");
}

#[test]
fn html_instead_of_json_names_what_came() {
    let mock = good_server();
    mock.on("GET", PRM_PATH, Reply::html(200, "<!DOCTYPE html><html><body>Sign in</body></html>"));
    let out = discover(&[&mock.url("/mcp")]);
    assert_one_line_error(&out, 3, "text/html");
    assert!(out.stderr.contains("no usable protected-resource metadata"), "{out}");
}

#[test]
fn a_5xx_on_the_probe_stops_discovery() {
    let mock = good_server();
    mock.on("POST", "/mcp", Reply::status(503).header("Retry-After", "120"));
    let out = discover(&[&mock.url("/mcp")]);
    assert_one_line_error(&out, 3, "HTTP 503, Retry-After: 120");
    assert_eq!(mock.hits(AS_PATH), 0, "no authorization-server lookup after a failing probe");
}

#[test]
fn a_5xx_on_resource_metadata_does_not_fall_back_to_the_legacy_rules() {
    let mock = good_server();
    mock.on("POST", "/mcp", Reply::json(401, &json!({})).header("WWW-Authenticate", "Bearer"));
    mock.on("GET", PRM_PATH, Reply::status(502));
    let out = discover(&[&mock.url("/mcp")]);
    assert_one_line_error(&out, 3, "HTTP 502");
    assert_eq!(mock.hits(AS_PATH), 0, "{:?}", mock.requests());
    assert_eq!(mock.hits("/.well-known/oauth-protected-resource"), 0);
}

#[test]
fn a_429_on_authorization_server_metadata_stops_discovery() {
    let mock = good_server();
    mock.on("GET", AS_PATH, Reply::status(429).header("Retry-After", "5"));
    mock.on("GET", OIDC_PATH, Reply::json(200, &as_metadata(&mock.origin())));
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 3, "HTTP 429");
}

#[test]
fn a_10_mb_body_is_refused() {
    for declared in [true, false] {
        let mock = good_server();
        mock.on("GET", PRM_PATH, Reply::text(200, "application/json", "").huge(10 * 1024 * 1024, declared));
        let out = discover(&[&mock.url("/mcp")]);
        assert_one_line_error(&out, 3, "byte limit");
    }
}

#[test]
fn a_body_that_never_ends_times_out() {
    let mock = good_server();
    mock.on("POST", "/mcp", Reply::text(200, "text/event-stream", "").endless());
    let began = Instant::now();
    let out = discover(&["--timeout", "2", &mock.url("/mcp")]);
    assert_one_line_error(&out, 4, "timed out");
    assert!(began.elapsed() < Duration::from_secs(20), "{out}");
}

#[test]
fn a_slow_server_times_out() {
    let mock = good_server();
    mock.on("GET", AS_PATH, Reply::json(200, &as_metadata(&mock.origin())).delay(Duration::from_secs(8)));
    assert_one_line_error(&discover(&["--timeout", "1", &mock.url("/mcp")]), 4, "timed out");
}

#[test]
fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = good_server();
    let mock = good_server();
    mock.on("GET", PRM_PATH, Reply::redirect(302, &elsewhere.url(PRM_PATH)));
    let out = discover(&[&mock.url("/mcp")]);
    assert_one_line_error(&out, 3, "not followed");
    assert!(elsewhere.requests().is_empty(), "{:?}", elsewhere.requests());
}

#[test]
fn a_redirected_authorization_server_candidate_is_skipped_with_a_finding() {
    let elsewhere = good_server();
    let mock = good_server();
    mock.on("GET", AS_PATH, Reply::redirect(301, &elsewhere.url(AS_PATH)));
    mock.on("GET", OIDC_PATH, Reply::json(200, &as_metadata(&mock.origin())));
    let out = discover(&[&mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["authorization_server"]["metadata_url"], mock.url(OIDC_PATH));
    assert!(doc["findings"].to_string().contains("redirects are not followed"), "{doc}");
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn a_redirecting_mcp_endpoint_is_an_error() {
    let mock = good_server();
    mock.on("POST", "/mcp", Reply::redirect(307, "https://login.example.com/"));
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 3, "redirecting to https://login.example.com/");
}

#[test]
fn a_plain_http_resource_metadata_url_is_refused() {
    let mock = good_server();
    mock.on(
        "POST",
        "/mcp",
        Reply::json(401, &json!({}))
            .header("WWW-Authenticate", r#"Bearer resource_metadata="http://attacker.example/prm""#),
    );
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 5, "not HTTPS");
}

#[test]
fn a_plain_http_endpoint_in_the_metadata_is_refused() {
    let mock = good_server();
    let mut meta = as_metadata(&mock.origin());
    meta["token_endpoint"] = json!("http://as.example.com/token");
    mock.on("GET", AS_PATH, Reply::json(200, &meta));
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 5, "token_endpoint");
}

#[test]
fn an_issuer_mismatch_is_skipped_and_refused_when_nothing_else_is_left() {
    let mock = good_server();
    let mut lying = as_metadata(&mock.origin());
    lying["issuer"] = json!("https://honest.example.com");
    mock.on("GET", AS_PATH, Reply::json(200, &lying));
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 5, "says issuer \"https://honest.example.com\"");

    // A valid later candidate is used, and the mismatch is reported.
    mock.on("GET", OIDC_PATH, Reply::json(200, &as_metadata(&mock.origin())));
    let out = discover(&[&mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["authorization_server"]["metadata_url"], mock.url(OIDC_PATH));
    let check = discover(&["--check", &mock.url("/mcp")]);
    assert_eq!(check.code, Some(10), "{check}");
    assert!(check.stderr.contains("error: the metadata at"), "{check}");
}

#[test]
fn a_resource_mismatch_is_refused() {
    let mock = good_server();
    mock.on(
        "GET",
        PRM_PATH,
        Reply::json(200, &json!({"resource": mock.url("/other"), "authorization_servers": [mock.origin()]})),
    );
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 5, "is for resource");
    assert_eq!(mock.hits(AS_PATH), 0);
}

#[test]
fn resource_metadata_without_authorization_servers_is_an_error() {
    let mock = good_server();
    mock.on("GET", PRM_PATH, Reply::json(200, &json!({"resource": mock.url("/mcp")})));
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 3, "lists no authorization server");
}

#[test]
fn the_authorization_server_can_be_chosen_among_those_listed() {
    let mock = good_server();
    let tenant = format!("{}/tenant2", mock.origin());
    mock.on(
        "GET",
        PRM_PATH,
        Reply::json(200, &json!({"resource": mock.url("/mcp"), "authorization_servers": [mock.origin(), tenant]})),
    );
    // Path insertion for the tenant issuer: only the third candidate (OIDC path appending) exists.
    mock.on("GET", "/tenant2/.well-known/openid-configuration", Reply::json(200, &as_metadata(&tenant)));
    let out = discover(&["--authorization-server", &tenant, &mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["authorization_server"]["issuer"], tenant);
    assert_eq!(doc["authorization_server"]["candidates"], json!([mock.origin(), tenant]));
    assert_eq!(mock.hits("/.well-known/oauth-authorization-server/tenant2"), 1);
    assert_eq!(mock.hits("/.well-known/openid-configuration/tenant2"), 1);

    let unknown = discover(&["--authorization-server", "https://other.example.com", &mock.url("/mcp")]);
    assert_one_line_error(&unknown, 2, "is not one the resource lists");
}

#[test]
fn legacy_server_without_any_metadata_gets_the_default_endpoints() {
    let mock = Mock::start();
    mock.on("POST", "/api/mcp", Reply::json(401, &json!({})).header("WWW-Authenticate", "Bearer realm=\"mcp\""));
    let out = discover(&[&mock.url("/api/mcp")]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["discovery"]["source"], "legacy");
    assert_eq!(doc["resource"], mock.url("/api/mcp"));
    let meta = &doc["authorization_server"]["metadata"];
    assert_eq!(meta["issuer"], mock.origin());
    assert_eq!(meta["authorization_endpoint"], mock.url("/authorize"));
    assert_eq!(meta["token_endpoint"], mock.url("/token"));
    assert_eq!(meta["registration_endpoint"], mock.url("/register"));
    assert_eq!(doc["scope"]["source"], "none");
    // Path-inserted and root resource metadata, then both AS metadata locations at the origin.
    assert_eq!(mock.hits("/.well-known/oauth-protected-resource/api/mcp"), 1);
    assert_eq!(mock.hits("/.well-known/oauth-protected-resource"), 1);
    assert_eq!(mock.hits(AS_PATH), 1);
    assert_eq!(mock.hits(OIDC_PATH), 1);
}

#[test]
fn a_server_that_needs_no_token_is_reported() {
    let mock = Mock::start();
    mock.on("POST", "/mcp", Reply::json(200, &json!({"jsonrpc": "2.0", "id": 1, "result": {}})));
    assert_one_line_error(&discover(&[&mock.url("/mcp")]), 11, "does not ask for authorization");
}

#[test]
fn a_huge_and_messy_www_authenticate_header_is_parsed() {
    let mock = good_server();
    let junk: String = (0..4000).map(|i| format!("x{i}=\"a\\\"b, c\", ")).collect();
    let header = format!("Basic realm=\"r\", Negotiate abc==, DPoP {junk}nonce=\"n\", {}", challenge(&mock));
    assert!(header.len() > 64 * 1024);
    mock.on("POST", "/mcp", Reply::json(401, &json!({})).header("WWW-Authenticate", &header));
    let out = discover(&[&mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["discovery"]["challenge"]["params"]["scope"], "files:read");
    assert_eq!(doc["discovery"]["challenge"]["scheme"], "Bearer");
}

#[test]
fn check_lists_deviations_on_stderr_and_in_the_document() {
    let mock = good_server();
    // A bare 401, metadata served as text/plain, and no PKCE or iss support advertised.
    mock.on("POST", "/mcp", Reply::status(401));
    mock.on(
        "GET",
        PRM_PATH,
        Reply::text(
            200,
            "text/plain",
            &json!({"resource": mock.url("/mcp"), "authorization_servers": [mock.origin()]}).to_string(),
        ),
    );
    let mut meta = as_metadata(&mock.origin());
    let m = meta.as_object_mut().unwrap();
    m.remove("code_challenge_methods_supported");
    m.remove("authorization_response_iss_parameter_supported");
    m.remove("response_types_supported");
    m.insert("registration_endpoint".into(), json!(mock.url("/register")));
    mock.on("GET", AS_PATH, Reply::json(200, &meta));

    let out = discover(&["--check", &mock.url("/mcp")]);
    assert_eq!(out.code, Some(10), "{out}");
    let doc = out.json();
    let findings = doc["findings"].as_array().unwrap();
    for needle in [
        "no WWW-Authenticate",
        "text/plain",
        "code_challenge_methods_supported",
        "response_types_supported",
        "authorization_response_iss_parameter_supported",
        "dynamic client registration is deprecated",
    ] {
        assert!(findings.iter().any(|f| f["message"].as_str().unwrap().contains(needle)), "{needle}: {doc}");
        assert!(out.stderr.contains(needle), "{needle}: {out}");
    }
    assert!(findings.iter().all(|f| f["reference"].as_str().is_some_and(|r| !r.is_empty())));
    assert!(out.stderr.contains("[RFC 7235 §3.1]"), "{out}");
    assert!(out.stderr.lines().last().unwrap().contains("error(s)"), "{out}");
    // Grouped by step in flow order, errors first within each step, each with its fix.
    let headings: Vec<&str> = out.stderr.lines().filter(|l| !l.starts_with(' ') && !l.starts_with("mcp-")).collect();
    assert_eq!(
        headings,
        [
            "probe (initialize without a token):",
            "protected-resource metadata:",
            "authorization-server metadata:",
            "client registration:",
            "authorization request:"
        ],
        "{out}"
    );
    for group in out.stderr.split("\n").collect::<Vec<_>>().split(|l| headings.contains(l)) {
        let levels: Vec<&str> = group
            .iter()
            .filter_map(|l| l.strip_prefix("  ").filter(|l| !l.starts_with(' '))?.split(": ").next())
            .collect();
        assert!(levels.is_sorted_by_key(|l| *l != "error"), "errors first in each step: {out}");
    }
    assert!(
        out.stderr.contains("    fix: support PKCE with S256 and list S256 in code_challenge_methods_supported\n"),
        "{out}"
    );
    assert!(out.stderr.contains("    fix: serve the metadata with `Content-Type: application/json`\n"), "{out}");

    // Without --check the same server is usable: the document carries the findings and the
    // next step (mcp-authorize) decides about the missing PKCE support.
    let plain = discover(&[&mock.url("/mcp")]);
    assert!(plain.success(), "{plain}");
    assert!(plain.stderr.is_empty(), "{plain}");
    assert_eq!(plain.json()["authorization_server"]["pkce_s256"], false);
}

#[test]
fn check_reports_a_refused_server_with_its_document() {
    let mock = good_server();
    mock.on(
        "GET",
        PRM_PATH,
        Reply::json(
            200,
            &json!({"resource": "https://elsewhere.example/mcp", "authorization_servers": [mock.origin()]}),
        ),
    );
    let out = discover(&["--check", &mock.url("/mcp")]);
    assert_eq!(out.code, Some(10), "{out}");
    assert!(out.stderr.contains("is for resource"), "{out}");
    let doc = out.json();
    assert!(doc.get("authorization_server").is_none());
    assert_eq!(doc["discovery"]["probe_status"], 401);
}

/// The error findings of `--check` on a server discovery had to give up on, as
/// (reference, message).
fn check_errors(mock: &Mock) -> Vec<(String, String)> {
    let out = discover(&["--check", &mock.url("/mcp")]);
    assert_eq!(out.code, Some(10), "{out}");
    let doc = out.json();
    let errors: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| (f["reference"].as_str().unwrap().into(), f["message"].as_str().unwrap().into()))
        .collect();
    assert_eq!(out.stderr.matches("\n  error: ").count(), errors.len(), "{out}");
    errors
}

/// Why discovery stopped is said once: by the finding the refusal came from, else by one
/// "discovery stopped here".
#[test]
fn check_says_why_discovery_stopped_once() {
    const STOPPED: &str = "discovery stopped here";
    let refs = |errors: &[(String, String)]| errors.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>();

    let mock = good_server();
    mock.on("GET", PRM_PATH, Reply::json(200, &json!({"resource": mock.url("/other"), "authorization_servers": []})));
    let errors = check_errors(&mock);
    assert_eq!(refs(&errors), ["RFC 9728 §3.3"], "{errors:?}");
    assert!(errors[0].1.contains("is for resource"), "{errors:?}");

    let mock = good_server();
    let mut meta = as_metadata(&mock.origin());
    meta["token_endpoint"] = json!("http://as.example.com/token");
    mock.on("GET", AS_PATH, Reply::json(200, &meta));
    let errors = check_errors(&mock);
    assert_eq!(refs(&errors), ["MCP 2026-07-28 security considerations (HTTPS)"], "{errors:?}");

    // Metadata that is not metadata: its finding is a reason in the error, and enough.
    let mock = good_server();
    mock.on("GET", PRM_PATH, Reply::html(200, "<html>Sign in</html>"));
    let errors = check_errors(&mock);
    assert_eq!(refs(&errors), ["RFC 9728 §3.2", "RFC 9728 §5.1"], "{errors:?}");
    let mock = good_server();
    mock.on("GET", AS_PATH, Reply::json(200, &json!({"authorization_endpoint": "x"})));
    let errors = check_errors(&mock);
    assert_eq!(refs(&errors), ["RFC 8414 §3.2"], "{errors:?}");

    // A failing server has no finding of its own.
    let mock = good_server();
    mock.on("GET", AS_PATH, Reply::status(503));
    let errors = check_errors(&mock);
    assert_eq!(refs(&errors), [STOPPED], "{errors:?}");
    assert!(errors[0].1.contains("HTTP 503"), "{errors:?}");

    // Resource metadata without authorization servers: a finding of its own, and the error.
    let mock = good_server();
    mock.on("GET", PRM_PATH, Reply::json(200, &json!({"resource": mock.url("/mcp")})));
    let errors = check_errors(&mock);
    assert_eq!(refs(&errors), ["MCP 2026-07-28 authorization-server discovery (RFC 9728 §2)", STOPPED], "{errors:?}");
}

#[test]
fn check_on_a_clean_server_exits_0() {
    let mock = good_server();
    let out = discover(&["--check", &mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("follows the specs"), "{out}");
}

#[test]
fn manual_configuration_sends_no_request() {
    let mock = good_server();
    let out = discover(&[
        "--issuer",
        "https://accounts.example.com",
        "--authorization-endpoint",
        "https://accounts.example.com/o/oauth2/v2/auth",
        "--token-endpoint",
        "https://oauth2.example.com/token",
        "--scopes-supported",
        "openid,email",
        "--scope",
        "email",
        &mock.url("/mcp"),
    ]);
    assert!(out.success(), "{out}");
    assert!(mock.requests().is_empty());
    let doc = out.json();
    assert_eq!(doc["discovery"]["source"], "manual");
    assert_eq!(doc["authorization_server"]["issuer"], "https://accounts.example.com");
    assert_eq!(doc["authorization_server"]["metadata"]["scopes_supported"], json!(["openid", "email"]));
    assert_eq!(doc["scope"], json!({"scopes": ["email"], "source": "user"}));

    let insecure = discover(&["--token-endpoint", "http://oauth2.example.com/token", &mock.url("/mcp")]);
    assert_one_line_error(&insecure, 5, "not HTTPS");
}

#[test]
fn metadata_file_instead_of_discovery() {
    let mock = good_server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slack.json");
    std::fs::write(&file, as_metadata("https://slack.example.com").to_string()).unwrap();
    let out = discover(&["--as-metadata", file.to_str().unwrap(), &mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["authorization_server"]["metadata"]["token_endpoint"], "https://slack.example.com/token");
    assert!(mock.requests().is_empty());
    std::fs::write(&file, "<html>").unwrap();
    assert_one_line_error(
        &discover(&["--as-metadata", file.to_str().unwrap(), &mock.url("/mcp")]),
        2,
        "is not authorization-server metadata",
    );
}

#[test]
fn the_document_on_stdin_names_the_server() {
    let mock = good_server();
    let input =
        json!({"mcp_oauth": 1, "server_url": mock.url("/mcp"), "resource": mock.url("/mcp"), "profile": "work"})
            .to_string();
    let out = discover_stdin(&["--scope", "files:write"], Some(&input));
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["profile"], "work");
    assert_eq!(doc["scope"], json!({"scopes": ["files:write"], "source": "user"}));
    assert_one_line_error(&discover_stdin(&[], Some("")), 2, "no input document");
}

/// Plain web servers (no 401, no metadata) do not ask for authorization: exit 11, and the
/// MCP 2025-03-26 defaults are not invented for them. 501 is not a failing server.
#[test]
fn plain_web_servers_do_not_ask_for_authorization() {
    for status in [405, 404, 501] {
        let mock = Mock::start();
        mock.on("POST", "/mcp", Reply::html(status, "<h1>nope</h1>"));
        let out = discover(&[&mock.url("/mcp")]);
        assert_one_line_error(&out, 11, "does not ask for authorization");
        assert!(out.stderr.starts_with(&format!("mcp-discover: {} does not ask", mock.url("/mcp"))), "{out}");
        assert!(out.stderr.contains(&format!("HTTP {status}")), "{out}");
        assert_eq!(mock.hits(AS_PATH), 0, "no legacy fallback without a 401");
    }
}

/// `--challenge`: the caller's 401 wins over the probe's for scope and resource_metadata.
#[test]
fn a_given_challenge_takes_precedence_over_the_probes() {
    let mock = good_server();
    mock.on(
        "POST",
        "/mcp",
        Reply::json(401, &json!({})).header(
            "WWW-Authenticate",
            &format!(r#"Bearer resource_metadata="{}", scope="probe:scope""#, mock.url("/prm-of-the-probe")),
        ),
    );
    let given = challenge(&mock).replace("files:read", "files:write");
    let out = discover(&["--challenge", &given, &mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["scope"], json!({"scopes": ["files:write"], "source": "challenge"}));
    assert_eq!(doc["discovery"]["resource_metadata_url"], mock.url(PRM_PATH));
    assert_eq!(mock.hits("/prm-of-the-probe"), 0);

    // Checked before any request: not Bearer, or a 403's step-up challenge.
    let quiet = Mock::start();
    let bad = discover(&["--challenge", "Basic realm=x", &quiet.url("/mcp")]);
    assert_one_line_error(&bad, 2, "not a Bearer challenge");
    let step_up = discover(&["--challenge", r#"Bearer error="insufficient_scope", scope="x""#, &quiet.url("/mcp")]);
    assert_one_line_error(&step_up, 2, "--step-up");
    assert!(quiet.requests().is_empty());
}

/// Issue 13 item 13: a password in the URL would be sent as Basic auth and printed.
#[test]
fn credentials_in_the_url_are_refused_unshown() {
    let mock = good_server();
    let url = mock.url("/mcp").replacen("http://", "http://user:hunter22@", 1);
    let out = discover(&[&url, "--trace"]);
    assert_one_line_error(&out, 2, "user name or password");
    assert!(!out.stderr.contains("hunter22"), "{out}");
    assert!(mock.requests().is_empty(), "nothing was sent");
}

/// Issue 13 item 12: `*.localhost` may be resolved by the network's DNS, so it is no
/// loopback host for plain http.
#[test]
fn a_localhost_subdomain_is_not_loopback() {
    let out = discover(&["http://evil.localhost:9/mcp"]);
    assert_one_line_error(&out, 5, "not HTTPS");
}

/// A challenge may point anywhere: metadata served in the wrong media type is named by the
/// rule of what was asked for, not guessed from the URL's path.
#[test]
fn a_content_type_finding_cites_the_rule_of_the_metadata_asked_for() {
    let mock = good_server();
    let prm = json!({"resource": mock.url("/mcp"), "authorization_servers": [mock.origin()]});
    let challenge = format!(r#"Bearer resource_metadata="{}""#, mock.url("/prm"));
    mock.on("POST", "/mcp", Reply::json(401, &json!({})).header("WWW-Authenticate", &challenge));
    mock.on("GET", "/prm", Reply::text(200, "text/plain", &prm.to_string()));
    let out = discover(&[&mock.url("/mcp")]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    let findings = doc["findings"].as_array().unwrap();
    let finding = findings.iter().find(|f| f["message"].as_str().unwrap().contains("text/plain"));
    assert_eq!(finding.unwrap()["reference"], "RFC 9728 §3.2", "{doc}");
}
