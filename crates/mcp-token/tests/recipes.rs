//! The README's recipes for other programs, run exactly as written (with the example URL
//! replaced by the test server's): a recipe that rots in the README fails here.

use mcp_testkit::bins::{Output, Sandbox, bin_path, run};
use mcp_testkit::servers::{Fixture, Options, Request, browser_command, repo_root};
use serde_json::{Value, json};
use std::time::Duration;

const EXAMPLE_URL: &str = "https://mcp.example.com/mcp";

/// The fenced block after `<!-- recipe: NAME -->` in the README.
fn recipe(name: &str) -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let marker = format!("<!-- recipe: {name} -->\n");
    let after = &readme[readme.find(&marker).unwrap_or_else(|| panic!("README has no recipe {name}")) + marker.len()..];
    let body = &after[after.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

struct World {
    servers: Fixture,
    sandbox: Sandbox,
}

impl World {
    /// Logged in with the file store, as a user would be before configuring a client.
    fn logged_in() -> World {
        World::logged_in_to(Options::default())
    }

    fn logged_in_to(options: Options) -> World {
        let w = World { servers: Fixture::for_options(options), sandbox: Sandbox::new() };
        let mut login = w.sandbox.cmd("mcp-authorize");
        login.args(["--credential-helper", "file", &w.servers.mcp_url]).env("BROWSER", browser_command());
        let out = run(login, None, Duration::from_secs(60));
        assert!(out.success(), "{out}");
        w
    }

    /// `sh -c SCRIPT` with the tools on PATH, as a client would start a configured command.
    fn shell(&self, script: &str) -> Output {
        let script = script.replace(EXAMPLE_URL, &self.servers.mcp_url);
        let tools = bin_path("mcp-token").parent().unwrap().to_path_buf();
        let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap_or_default());
        let mut cmd = self.sandbox.command("sh");
        cmd.args(["-c", &script]).env("PATH", path).env("MCP_OAUTH_CREDENTIAL_HELPER", "file");
        run(cmd, None, Duration::from_secs(60))
    }

    fn tools_list_with(&self, headers: &serde_json::Map<String, Value>) -> u16 {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        let mut request =
            Request::post(&self.servers.mcp_url).json(&body).header("Accept", "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(name, value.as_str().unwrap());
        }
        request.send().unwrap().status
    }
}

#[test]
fn curl_recipe_lists_the_tools() {
    let w = World::logged_in();
    let out = w.shell(&recipe("curl"));
    assert!(out.success(), "{out}");
    let answer: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(answer["result"]["tools"].is_array(), "{answer}");
}

#[test]
fn claude_code_headers_helper_prints_headers_the_server_accepts() {
    let w = World::logged_in();
    let config: Value = serde_json::from_str(&recipe("claude-code")).unwrap();
    let server = &config["mcpServers"]["example"];
    assert_eq!(server["url"], EXAMPLE_URL);
    let out = w.shell(server["headersHelper"].as_str().unwrap());
    assert!(out.success(), "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "one line: {out}");
    let headers: Value = serde_json::from_str(&out.stdout).unwrap();
    let headers = headers.as_object().expect("a JSON object of headers");
    assert!(headers.values().all(Value::is_string), "header values are strings: {headers:?}");
    assert!(headers["Authorization"].as_str().unwrap().starts_with("Bearer "));
    assert_eq!(w.tools_list_with(headers), 200);
    assert_eq!(w.tools_list_with(&serde_json::Map::new()), 401, "and the server does check");
}

#[test]
fn env_recipe_sets_a_bearer_token_the_server_accepts() {
    let w = World::logged_in();
    let out = w.shell(&format!("{}printf '%s' \"$MCP_TOKEN\"", recipe("env")));
    assert!(out.success(), "{out}");
    let headers = json!({"Authorization": format!("Bearer {}", out.stdout)});
    assert_eq!(w.tools_list_with(headers.as_object().unwrap()), 200);
}

/// Against servers that both want a DPoP nonce: the recipe's first call is challenged at the
/// MCP server (the login already met the AS's challenge), and its one retry with the nonce passes.
#[test]
fn dpop_curl_recipe_answers_the_nonce_challenge() {
    let w = World::logged_in_to(Options::default().variant(mcp_testkit::servers::Variant::DpopNonce));
    let script = recipe("dpop-curl");
    let out = w.shell(&script);
    assert!(out.success(), "{out}");
    let answer: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(answer["result"]["tools"].is_array(), "{answer}");
    // Without the retry the same script fails: the challenge is real.
    let once = script.replace("if [ \"$status\" = 401 ]", "if false");
    assert_ne!(once, script, "the recipe has the retry this test takes out");
    assert!(!w.shell(&once).success(), "a first call without a nonce is refused");
}
