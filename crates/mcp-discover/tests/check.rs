//! `mcp-discover --check` as a server author reads it, against the real test servers broken
//! in the ways their variants offer: grouped by step with a fix under each finding for a
//! person, and the JSON report (`--format json`) a CI job parses.

use mcp_oauth::discovery::rules;
use mcp_testkit::bins::{self, Output, Sandbox};
use mcp_testkit::servers::{Options, TestServers, Variant};
use serde_json::Value;
use std::time::Duration;

fn discover(args: &[&str]) -> Output {
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(env!("CARGO_BIN_EXE_mcp-discover"));
    command.args(args);
    bins::run(command, None, Duration::from_secs(60))
}

fn start(variants: &[Variant]) -> TestServers {
    TestServers::start(variants.iter().fold(Options::default(), |o, v| o.variant(*v)))
}

/// `--check --format json`: the report alone on stdout, checked against the documented
/// schema, with the exit code the caller expects.
#[track_caller]
fn json_report(servers: &TestServers, code: i32) -> Value {
    let out = discover(&["--check", "--format", "json", &servers.mcp_url]);
    assert_eq!(out.code, Some(code), "{out}");
    assert!(out.stderr.is_empty(), "nothing but the report: {out}");
    let report = out.json();
    assert_schema(&report);
    assert_eq!(report["server_url"], servers.mcp_url);
    report
}

/// The schema the README and `--help` document, member by member.
#[track_caller]
fn assert_schema(report: &Value) {
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let top = keys(report);
    assert_eq!(top, ["errors", "findings", "mcp_oauth_check", "server_url", "warnings"], "{report}");
    assert_eq!(report["mcp_oauth_check"], 1);
    let findings = report["findings"].as_array().unwrap();
    let count = |level: &str| findings.iter().filter(|f| f["severity"] == level).count() as u64;
    assert_eq!(report["errors"].as_u64(), Some(count("error")), "{report}");
    assert_eq!(report["warnings"].as_u64(), Some(count("warning")), "{report}");
    let steps = ["probe", "resource_metadata", "authorization_server_metadata", "registration", "authorization"];
    let steps = [&steps[..], &["token", "revocation"]].concat();
    let mut last = 0;
    for f in findings {
        assert_eq!(keys(f), ["fix", "message", "reference", "rule", "severity", "step"], "{f}");
        let rule = rules::ALL.iter().find(|r| f["rule"] == r.id).unwrap_or_else(|| panic!("unknown rule: {f}"));
        assert_eq!(f["reference"], rule.reference, "{f}");
        assert_eq!(f["fix"].as_str(), rule.fix, "{f}");
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
        let step = steps.iter().position(|s| f["step"] == *s).unwrap_or_else(|| panic!("unknown step: {f}"));
        assert!(step >= last, "findings in flow order: {report}");
        last = step;
    }
}

#[track_caller]
fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let findings = report["findings"].as_array().unwrap();
    findings.iter().find(|f| f["rule"] == rule).unwrap_or_else(|| panic!("no {rule}: {report}"))
}

#[test]
fn a_server_without_pkce_metadata_is_told_to_list_s256() {
    let servers = start(&[Variant::NoPkceMetadata]);
    let report = json_report(&servers, 10);
    let pkce = finding(&report, "authorization.pkce-s256");
    assert_eq!(pkce["severity"], "error");
    assert_eq!(pkce["step"], "authorization");
    assert!(pkce["message"].as_str().unwrap().contains(&servers.issuer), "{pkce}");
    assert!(pkce["fix"].as_str().unwrap().contains("list S256 in code_challenge_methods_supported"), "{pkce}");
    assert_eq!(report["errors"], 1, "{report}");

    let human = discover(&["--check", &servers.mcp_url]);
    assert_eq!(human.code, Some(10), "{human}");
    assert!(human.json()["authorization_server"].is_object(), "the document still goes to stdout: {human}");
    let lines: Vec<&str> = human.stderr.lines().collect();
    let at = lines.iter().position(|l| l.contains("(authorization.pkce-s256)")).unwrap_or_else(|| panic!("{human}"));
    assert!(lines[at].starts_with("  error: ") && lines[at].contains("[MCP 2026-07-28 authorization (PKCE)"));
    assert_eq!(lines[at + 1], format!("    fix: {}", rules::PKCE_S256.fix.unwrap()));
    assert!(lines[..at].contains(&"authorization request:"), "{human}");
}

/// A refused server: the report holds why, under the step that refused it.
#[test]
fn an_issuer_mismatch_is_an_authorization_server_metadata_error() {
    let servers = start(&[Variant::IssuerMismatch]);
    let report = json_report(&servers, 10);
    let mismatch = finding(&report, "authorization_server_metadata.issuer-mismatch");
    assert_eq!(mismatch["step"], "authorization_server_metadata");
    assert!(mismatch["message"].as_str().unwrap().contains("not-the-issuer"), "{mismatch}");
    assert!(mismatch["fix"].as_str().unwrap().contains("set `issuer`"), "{mismatch}");
}

#[test]
fn a_resource_mismatch_is_a_resource_metadata_error() {
    let servers = start(&[Variant::ResourceMismatch]);
    let report = json_report(&servers, 10);
    let mismatch = finding(&report, "resource_metadata.resource-mismatch");
    assert_eq!(mismatch["step"], "resource_metadata");
    assert!(mismatch["fix"].as_str().unwrap().contains("set `resource`"), "{mismatch}");
    assert_eq!(report["errors"], 1, "said once: {report}");
}

/// Warnings only: exit 0, each under the step it concerns.
#[test]
fn challenge_revocation_and_grant_warnings_land_in_their_steps() {
    let servers = start(&[Variant::InvalidTokenChallenge, Variant::AuthMethodsNone, Variant::ConfidentialRevocation]);
    let report = json_report(&servers, 0);
    assert_eq!(report["errors"], 0, "{report}");
    for (rule, step) in [
        ("probe.invalid-token-without-credentials", "probe"),
        ("token.client-credentials-without-auth", "token"),
        ("revocation.auth-methods", "revocation"),
    ] {
        let f = finding(&report, rule);
        assert_eq!((f["severity"].as_str(), f["step"].as_str()), (Some("warning"), Some(step)), "{f}");
    }
    assert!(
        finding(&report, "probe.invalid-token-without-credentials")["fix"].as_str().unwrap().contains("no `error`")
    );

    let human = discover(&["--check", &servers.mcp_url]);
    assert!(human.success(), "{human}");
    for heading in ["probe (initialize without a token):", "token request:", "revocation:"] {
        assert!(human.stderr.lines().any(|l| l == heading), "{heading}: {human}");
    }
    assert_eq!(human.stderr.matches("\n    fix: ").count(), report["warnings"].as_u64().unwrap() as usize, "{human}");
}

/// The 2025-03-26 fallback is a warning about the resource metadata that is missing.
#[test]
fn a_legacy_server_is_told_to_publish_resource_metadata() {
    let servers = start(&[Variant::Legacy]);
    let report = json_report(&servers, 0);
    let missing = finding(&report, "resource_metadata.missing");
    assert_eq!(missing["severity"], "warning");
    assert!(missing["fix"].as_str().unwrap().contains("/.well-known/oauth-protected-resource"), "{missing}");
}

#[test]
fn the_clean_fixture_has_no_errors_in_the_report() {
    let servers = start(&[]);
    let report = json_report(&servers, 0);
    assert_eq!(report["errors"], 0, "{report}");
}

#[test]
fn format_needs_check() {
    let out = discover(&["--format", "json", "http://127.0.0.1:9/mcp"]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert!(out.stderr.contains("--check"), "{out}");
}

/// Servers whose extension metadata is broken one member at a time (servers.mjs
/// `--patch-as-metadata` / `--patch-resource-metadata`: members replace the served ones, null
/// removes), on top of `variants`.
fn start_patched(variants: &[Variant], as_metadata: Value, resource_metadata: Value) -> TestServers {
    let mut options = variants.iter().fold(Options::default(), |o, v| o.variant(*v));
    for (flag, patch) in [("--patch-as-metadata", as_metadata), ("--patch-resource-metadata", resource_metadata)] {
        options.extra_args.extend([flag.to_string(), patch.to_string()]);
    }
    TestServers::start(options)
}

const EXTENSION_RULES: [&rules::Rule; 6] = [
    &rules::DPOP_REQUIRED_UNSUPPORTED,
    &rules::DPOP_ALGS_DISJOINT,
    &rules::DPOP_ALGS,
    &rules::JWT_AUTH_WITHOUT_ALGS,
    &rules::AUTH_SIGNING_ALG_NONE,
    &rules::ID_JAG_WITHOUT_JWT_BEARER,
];

#[track_caller]
fn assert_fires(report: &Value, rule: &rules::Rule, says: &str) {
    let f = finding(report, rule.id);
    let severity = if rule.severity == mcp_oauth::document::Severity::Error { "error" } else { "warning" };
    assert_eq!(f["severity"], severity, "{f}");
    assert!(f["message"].as_str().unwrap().contains(says), "{says}: {f}");
}

/// An AS advertising an HMAC DPoP alg, JWT client authentication without its algs, and the
/// ID-JAG profile without the jwt-bearer grant: three MUSTs broken, three errors.
#[test]
fn broken_extension_metadata_is_a_token_step_error() {
    let profile = "urn:ietf:params:oauth:grant-profile:id-jag";
    let servers = start_patched(
        &[],
        serde_json::json!({
            "dpop_signing_alg_values_supported": ["ES256", "HS256"],
            "token_endpoint_auth_signing_alg_values_supported": null,
            "authorization_grant_profiles_supported": [profile],
        }),
        serde_json::json!({}),
    );
    let report = json_report(&servers, 10);
    assert_fires(&report, &rules::DPOP_ALGS, "lists HS256 in dpop_signing_alg_values_supported");
    assert_fires(&report, &rules::JWT_AUTH_WITHOUT_ALGS, "private_key_jwt");
    assert_fires(&report, &rules::ID_JAG_WITHOUT_JWT_BEARER, profile);
    assert_eq!(report["errors"], 3, "{report}");
    for rule in [&rules::DPOP_ALGS, &rules::JWT_AUTH_WITHOUT_ALGS, &rules::ID_JAG_WITHOUT_JWT_BEARER] {
        assert_eq!(finding(&report, rule.id)["step"], "token");
    }

    let human = discover(&["--check", &servers.mcp_url]);
    assert_eq!(human.code, Some(10), "{human}");
    let lines: Vec<&str> = human.stderr.lines().collect();
    let at = lines.iter().position(|l| l.contains("(token.dpop-signing-algs)")).unwrap_or_else(|| panic!("{human}"));
    assert!(lines[at].starts_with("  error: ") && lines[at].contains("[RFC 9449 §4.2, §5.1"), "{human}");
    assert_eq!(lines[at + 1], format!("    fix: {}", rules::DPOP_ALGS.fix.unwrap()));
    assert!(lines[..at].contains(&"token request:"), "{human}");
}

/// `none` as a client-assertion alg (an error), and a resource requiring DPoP from an AS
/// without it (a warning: no MUST, but no client can get a token it accepts).
#[test]
fn an_unsigned_assertion_alg_and_unsupported_required_dpop_are_named() {
    let servers = start_patched(
        &[],
        serde_json::json!({"token_endpoint_auth_signing_alg_values_supported": ["ES256", "none"]}),
        serde_json::json!({"dpop_bound_access_tokens_required": true}),
    );
    let report = json_report(&servers, 10);
    assert_fires(
        &report,
        &rules::AUTH_SIGNING_ALG_NONE,
        "lists none in token_endpoint_auth_signing_alg_values_supported",
    );
    assert_fires(&report, &rules::DPOP_REQUIRED_UNSUPPORTED, "no client can get a token");
    assert_eq!(finding(&report, rules::DPOP_REQUIRED_UNSUPPORTED.id)["step"], "resource_metadata");
    assert_eq!(report["errors"], 1, "{report}");
}

/// The DPoP fixture with a resource whose algs the AS does not offer: a warning, exit 0.
#[test]
fn dpop_algs_without_one_in_common_are_a_warning() {
    let servers = start_patched(
        &[Variant::Dpop],
        serde_json::json!({}),
        serde_json::json!({"dpop_signing_alg_values_supported": ["PS512"]}),
    );
    let report = json_report(&servers, 0);
    assert_fires(&report, &rules::DPOP_ALGS_DISJOINT, "PS512");

    let human = discover(&["--check", &servers.mcp_url]);
    assert!(human.success(), "{human}");
    assert!(
        human.stderr.contains("(resource_metadata.dpop-algs-disjoint)\n    fix: accept at the MCP server"),
        "{human}"
    );
}

/// The fixtures of the extensions the tools implement publish sound metadata: no false alarms.
#[test]
fn the_extension_fixtures_raise_no_extension_findings() {
    let workload = mcp_testkit::workload::WorkloadIssuer::start();
    let fixtures = [
        ("clean", start(&[])),
        ("dpop", start(&[Variant::Dpop])),
        ("enterprise", start(&[Variant::Enterprise])),
        ("workload", TestServers::start(workload.servers_options())),
    ];
    for (name, servers) in &fixtures {
        let report = json_report(servers, 0);
        assert_eq!(report["errors"], 0, "{name}: {report}");
        for f in report["findings"].as_array().unwrap() {
            assert!(!EXTENSION_RULES.iter().any(|r| f["rule"] == r.id), "{name}: {f}");
        }
    }
}
