//! The five tools, with default flags, against MCP servers other people wrote: the official
//! Python SDK (`mcp`), FastMCP and the official TypeScript SDK's example server, each started
//! once for this test binary (mcp_testkit::interop). What the servers themselves get wrong is
//! asserted as our clear message and exit code, and listed in the README's interoperability
//! table.

use mcp_testkit::bins::{Output, Sandbox, run, target_profile_dir};
use mcp_testkit::interop::{InteropServer, Kind};
use mcp_testkit::pass::PassStore;
use mcp_testkit::servers::browser_command;
use serde_json::Value;
use std::time::Duration;

/// How each server behaves where servers differ.
struct Expect {
    /// `discovery.source` of mcp-discover's document.
    discovery: &'static str,
    /// What mcp-dcr registers by default: the Python servers list only the two secret methods
    /// (so these tests cover HTTP Basic), the TypeScript one also `none`.
    auth_method: &'static str,
    /// It issues refresh tokens.
    refresh: bool,
    revocation: Revocation,
}

enum Revocation {
    /// mcp 2.3.0 validates every revocation request as if `client_secret` were in the body,
    /// so a client_secret_basic (or public) client gets `invalid_request: client_secret:
    /// Field required`; client_secret_post works.
    WantsSecretInBody,
    /// No `revocation_endpoint` (the TypeScript demo provider implements no revokeToken).
    NoEndpoint,
}

fn expect(kind: Kind) -> Expect {
    let basic = "client_secret_basic";
    let (discovery, auth_method, refresh, revocation) = match kind {
        Kind::PythonSdk | Kind::FastMcp => ("resource_metadata", basic, true, Revocation::WantsSecretInBody),
        // No protected-resource metadata: the MCP server's origin is the AS (MCP 2025-03-26).
        Kind::PythonSdkLegacy => ("legacy", basic, true, Revocation::WantsSecretInBody),
        Kind::TypeScriptSdk => ("resource_metadata", "none", false, Revocation::NoEndpoint),
    };
    Expect { discovery, auth_method, refresh, revocation }
}

/// One user's machine: a sandbox whose credential store is a real `pass`, and a server.
struct Machine {
    server: &'static InteropServer,
    sandbox: Sandbox,
    _pass: Option<PassStore>,
}

impl Machine {
    /// With `pass` as the configured credential store (config.json `credsStore`).
    fn with_pass(kind: Kind) -> Machine {
        assert!(PassStore::available(), "pass, gpg and docker-credential-pass are installed by scripts/setup");
        let sandbox = Sandbox::new();
        let pass = PassStore::for_sandbox(&sandbox);
        Machine { server: InteropServer::shared(kind), sandbox, _pass: Some(pass) }
    }

    /// With the file store (`--credential-helper file` on every command).
    fn with_file_store(kind: Kind) -> Machine {
        Machine { server: InteropServer::shared(kind), sandbox: Sandbox::new(), _pass: None }
    }

    fn url(&self) -> &str {
        &self.server.mcp_url
    }

    fn store_args(&self) -> &'static [&'static str] {
        if self._pass.is_some() { &[] } else { &["--credential-helper", "file"] }
    }

    fn tool(&self, bin: &str, args: &[&str]) -> Output {
        let mut cmd = self.sandbox.cmd(bin);
        cmd.args(self.store_args()).args(args);
        run(cmd, None, Duration::from_secs(60))
    }

    /// `mcp-discover URL | mcp-dcr [DCR_ARGS] | mcp-authorize` in a shell, the browser stand-in
    /// as $BROWSER getting through the server's login page.
    fn login(&self, dcr_args: &str) -> Value {
        let path = format!("{}:{}", target_profile_dir().display(), std::env::var("PATH").unwrap_or_default());
        let store = self.store_args().join(" ");
        let script = format!(r#"set -e; mcp-discover "$1" | mcp-dcr {store} {dcr_args} | mcp-authorize {store}"#);
        let mut cmd = self.sandbox.command("sh");
        cmd.args(["-c", &script, "sh", self.url()])
            .env("PATH", &path)
            .env("BROWSER", browser_command())
            .envs(self.server.browser_env());
        let out = run(cmd, None, Duration::from_secs(90));
        assert!(
            out.success(),
            "{}: login pipeline: {out}\n--- server log\n{}",
            self.server.kind.name(),
            self.server.log()
        );
        out.json()
    }

    fn token(&self, extra: &[&str]) -> Output {
        let mut args = extra.to_vec();
        args.push(self.url());
        self.tool("mcp-token", &args)
    }

    /// `initialize` + `tools/list` with the token; the names of the tools.
    fn tools(&self, token: &str) -> Vec<String> {
        let (init, tools) = self
            .server
            .mcp_session(Some(token))
            .unwrap_or_else(|r| panic!("{}: MCP session refused: {r}", self.server.kind.name()));
        assert!(init["protocolVersion"].is_string(), "{init}");
        let names =
            tools["tools"].as_array().map(|t| t.iter().filter_map(|t| t["name"].as_str().map(String::from)).collect());
        names.unwrap_or_else(|| panic!("tools/list result without tools: {tools}"))
    }
}

fn discovery_and_check_are_clean(kind: Kind) {
    let m = Machine::with_file_store(kind);
    let out = m.tool("mcp-discover", &[m.url()]);
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert!(doc["authorization_server"]["issuer"].is_string(), "{doc}");
    assert_eq!(doc["discovery"]["source"], expect(kind).discovery, "{doc}");

    let check = m.tool("mcp-discover", &["--check", m.url()]);
    assert!(check.success(), "{}: --check: {check}", kind.name());
    assert!(check.stderr.contains("check: 0 error(s)"), "{check}");

    // The same findings for a CI: the JSON report, each finding with its rule and fix.
    let json = m.tool("mcp-discover", &["--check", "--format", "json", m.url()]);
    assert!(json.success() && json.stderr.is_empty(), "{}: {json}", kind.name());
    let report = json.json();
    assert_eq!((report["mcp_oauth_check"].as_u64(), report["errors"].as_u64()), (Some(1), Some(0)), "{report}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(check.stderr.matches("\n  warning: ").count(), findings.len(), "{check}\n{report}");
    for f in findings {
        assert!(check.stderr.contains(&format!("({})", f["rule"].as_str().expect("a rule id"))), "{check}\n{f}");
        assert!(f["fix"].is_string() && f["step"].is_string(), "{f}");
    }
    // README's interoperability table: both official SDKs answer error="invalid_token" without a token.
    if matches!(kind, Kind::PythonSdk | Kind::TypeScriptSdk) {
        let rule = "probe.invalid-token-without-credentials";
        assert!(findings.iter().any(|f| f["rule"] == rule && f["step"] == "probe"), "{}: {report}", kind.name());
    }
}

/// The whole life of a login: pipeline into pass, token, MCP calls, forced refresh, revocation.
fn login_use_refresh_revoke(kind: Kind) {
    let m = Machine::with_pass(kind);
    let expect = expect(kind);
    let unauthenticated = m.server.mcp_session(None).expect_err("no token, no session");
    assert_eq!(unauthenticated.status, 401, "{unauthenticated}");

    let doc = m.login("");
    assert_eq!(doc["token"]["grant"], "authorization_code", "{doc}");
    assert_eq!(doc["client"]["source"], "dynamic", "{doc}");
    assert_eq!(doc["client"]["auth_method"], expect.auth_method, "{doc}");
    let token = m.token(&[]);
    assert!(token.success(), "{token}");
    let token = token.stdout.trim().to_string();
    assert!(!m.tools(&token).is_empty(), "{} lists no tools", kind.name());

    let refreshed = m.token(&["--min-valid", "100000"]);
    if expect.refresh {
        assert!(refreshed.success(), "{refreshed}");
        let fresh = refreshed.stdout.trim();
        assert_ne!(fresh, token, "a forced refresh gives a new access token");
        assert!(m.tools(fresh).iter().any(|t| t == "echo"), "the refreshed token works");
    } else {
        assert_eq!(refreshed.code, Some(7), "{refreshed}");
        assert!(refreshed.stderr.contains("no refresh token"), "{refreshed}");
        assert_eq!(refreshed.stderr.trim().lines().count(), 1, "{refreshed}");
    }

    let revoked = m.tool("mcp-revoke", &[m.url()]);
    assert_eq!(revoked.code, Some(9), "erased here, not revoked there: {revoked}");
    let reason = match expect.revocation {
        Revocation::WantsSecretInBody => "client_secret: Field required",
        Revocation::NoEndpoint => "advertises no revocation endpoint",
    };
    assert!(revoked.stderr.contains(reason), "{revoked}");
    revoked.assert_stderr_hides(&[&token]);
    let gone = m.token(&[]);
    assert_eq!(gone.code, Some(7), "nothing stored after mcp-revoke: {gone}");
}

/// The Python servers revoke for a client_secret_post client: the workaround the README names.
fn revocation_works_with_client_secret_post(kind: Kind) {
    let m = Machine::with_file_store(kind);
    let doc = m.login("--auth-method client_secret_post");
    assert_eq!(doc["client"]["auth_method"], "client_secret_post", "{doc}");
    let token = m.token(&[]);
    assert!(token.success(), "{token}");
    let token = token.stdout.trim().to_string();
    m.tools(&token);
    let revoked = m.tool("mcp-revoke", &[m.url()]);
    assert!(revoked.success(), "{revoked}");
    let refused = m.server.mcp_session(Some(&token)).expect_err("a revoked token is refused");
    assert_eq!(refused.status, 401, "{refused}");
}

/// One `#[test]` per server and journey, so a failure names both.
macro_rules! tests {
    ($($name:ident: $journey:ident($kind:ident);)*) => {
        $(
            #[test]
            fn $name() {
                $journey(Kind::$kind);
            }
        )*
    };
}

tests! {
    python_sdk_discovery_and_check: discovery_and_check_are_clean(PythonSdk);
    python_sdk_login_use_refresh_revoke: login_use_refresh_revoke(PythonSdk);
    python_sdk_revokes_for_client_secret_post: revocation_works_with_client_secret_post(PythonSdk);
    python_sdk_legacy_discovery_and_check: discovery_and_check_are_clean(PythonSdkLegacy);
    python_sdk_legacy_login_use_refresh_revoke: login_use_refresh_revoke(PythonSdkLegacy);
    fastmcp_discovery_and_check: discovery_and_check_are_clean(FastMcp);
    fastmcp_login_use_refresh_revoke: login_use_refresh_revoke(FastMcp);
    fastmcp_revokes_for_client_secret_post: revocation_works_with_client_secret_post(FastMcp);
    typescript_sdk_discovery_and_check: discovery_and_check_are_clean(TypeScriptSdk);
    typescript_sdk_login_use_refresh_revoke: login_use_refresh_revoke(TypeScriptSdk);
}
