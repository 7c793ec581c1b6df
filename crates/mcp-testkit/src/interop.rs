//! Independently written MCP servers with OAuth, run on loopback for the interoperability tests:
//! the official Python SDK, FastMCP and the official TypeScript SDK (tests/interop, installed
//! by scripts/setup at pinned versions). Each prints one JSON line with `mcp_url` and `issuer`
//! and stops when its stdin closes, like our own fixtures.
//!
//! ```no_run
//! use mcp_testkit::interop::{InteropServer, Kind};
//! let server = InteropServer::shared(Kind::FastMcp);
//! let init = server.mcp_session(None);
//! assert!(init.is_err(), "no token, no session");
//! ```

use crate::ready::ReadyProcess;
use crate::servers::{Request, Response, node_binary, repo_root};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Python start-up (importing the SDKs) takes a few seconds on a loaded 2-core machine.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Servers stop by themselves after this long even if a test process is stuck.
const MAX_LIFETIME_SECS: u64 = 900;

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// PyPI `mcp`: `mcp.server.auth` routes as a separate authorization server with a login
    /// form, and an `MCPServer` resource server.
    PythonSdk,
    /// PyPI `mcp`, the older shape: `MCPServer` with `auth_server_provider` is its own AS (same
    /// login form) and publishes no protected-resource metadata (an MCP 2025-03-26 server).
    PythonSdkLegacy,
    /// PyPI `fastmcp` with `InMemoryOAuthProvider`: the MCP server is its own AS.
    FastMcp,
    /// npm `@modelcontextprotocol/sdk`: `examples/server/simpleStreamableHttp.js --oauth`.
    TypeScriptSdk,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::PythonSdk, Kind::PythonSdkLegacy, Kind::FastMcp, Kind::TypeScriptSdk];

    pub fn name(self) -> &'static str {
        match self {
            Kind::PythonSdk => "python-sdk",
            Kind::PythonSdkLegacy => "python-sdk-legacy",
            Kind::FastMcp => "fastmcp",
            Kind::TypeScriptSdk => "typescript-sdk",
        }
    }

    fn command(self) -> Result<Command, String> {
        let dir = interop_dir();
        let missing = |what: PathBuf| format!("{} is missing: run scripts/setup", what.display());
        match self {
            Kind::PythonSdk | Kind::PythonSdkLegacy | Kind::FastMcp => {
                let python = venv_dir().join("bin/python");
                if !python.is_file() {
                    return Err(missing(python));
                }
                let mut command = Command::new(python);
                command.arg(dir.join("python_servers.py")).arg(match self {
                    Kind::PythonSdk => "sdk",
                    Kind::PythonSdkLegacy => "sdk-legacy",
                    _ => "fastmcp",
                });
                command.args(["--max-lifetime", &MAX_LIFETIME_SECS.to_string()]).current_dir(&dir);
                // Bytecode caches would be written into the venv by a test run: harmless, but
                // unasked for.
                command.env("PYTHONDONTWRITEBYTECODE", "1");
                Ok(command)
            }
            Kind::TypeScriptSdk => {
                let sdk = dir.join("node_modules/@modelcontextprotocol/sdk/package.json");
                if !sdk.is_file() {
                    return Err(missing(sdk));
                }
                let mut command = Command::new(node_binary());
                command.arg(dir.join("ts_sdk_server.mjs")).args(["--max-lifetime", &MAX_LIFETIME_SECS.to_string()]);
                command.current_dir(&dir);
                Ok(command)
            }
        }
    }
}

/// A running third-party server.
pub struct InteropServer {
    pub kind: Kind,
    /// The MCP endpoint.
    pub mcp_url: String,
    /// The authorization server as the server itself names it.
    pub issuer: String,
    /// `MCP_TEST_BROWSER_FILL` for its login form, when it has one.
    pub browser_fill: Option<String>,
    process: ReadyProcess,
}

impl InteropServer {
    /// Starts a server of its own for one test; panics with its stderr when it does not come up.
    pub fn start(kind: Kind) -> InteropServer {
        InteropServer::try_start(kind).unwrap_or_else(|message| panic!("{} did not start: {message}", kind.name()))
    }

    pub fn try_start(kind: Kind) -> Result<InteropServer, String> {
        // The TypeScript example takes its ports as numbers picked free just before; another
        // process can take one in between, so a failed start is tried once more.
        let process = ReadyProcess::spawn(kind.command()?, kind.name(), START_TIMEOUT)
            .or_else(|_| ReadyProcess::spawn(kind.command()?, kind.name(), START_TIMEOUT))?;
        Ok(InteropServer {
            kind,
            mcp_url: process.field("mcp_url")?,
            issuer: process.field("issuer")?,
            browser_fill: process.field("browser_fill").ok(),
            process,
        })
    }

    /// One instance per kind for the whole test binary, started on first use. It is never
    /// dropped: it exits when the test process does (its stdin closes) or after its lifetime.
    pub fn shared(kind: Kind) -> &'static InteropServer {
        static SHARED: [OnceLock<Result<InteropServer, String>>; Kind::ALL.len()] =
            [const { OnceLock::new() }; Kind::ALL.len()];
        let slot = &SHARED[Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)];
        match slot.get_or_init(|| InteropServer::try_start(kind)) {
            Ok(server) => server,
            Err(message) => panic!("{} did not start: {message}", kind.name()),
        }
    }

    /// Environment for the browser stand-in (`$BROWSER`) to get through this server's login.
    pub fn browser_env(&self) -> Vec<(&'static str, String)> {
        self.browser_fill.iter().map(|fill| ("MCP_TEST_BROWSER_FILL", fill.clone())).collect()
    }

    pub fn startup(&self) -> Duration {
        self.process.startup
    }

    /// What the server wrote on stderr so far.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// An MCP session as a client would open it: `initialize`, `notifications/initialized`,
    /// then `tools/list`, with the token as Bearer. Returns the initialize result and the tool
    /// list, or the first answer that was not a success.
    pub fn mcp_session(&self, token: Option<&str>) -> Result<(Value, Value), Response> {
        let initialize = json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "mcp-oauth interop tests", "version": "0"},
            },
        });
        let (response, init) = self.post_mcp(token, None, &initialize)?;
        let session = response.header("mcp-session-id").map(str::to_string);
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.post_mcp(token, session.as_deref(), &initialized)?;
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
        let (_, tools) = self.post_mcp(token, session.as_deref(), &list)?;
        Ok((init["result"].clone(), tools["result"].clone()))
    }

    /// One Streamable HTTP POST; the JSON-RPC answer comes as JSON or as one SSE `data:` event.
    fn post_mcp(
        &self,
        token: Option<&str>,
        session: Option<&str>,
        body: &Value,
    ) -> Result<(Response, Value), Response> {
        let mut request = Request::post(&self.mcp_url)
            .json(body)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-06-18");
        if let Some(token) = token {
            request = request.bearer(token);
        }
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        let response = request.send().unwrap_or_else(|e| panic!("POST {}: {e}", self.mcp_url));
        if !(200..300).contains(&response.status) {
            return Err(response);
        }
        let message = response
            .body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .chain(std::iter::once(response.body.as_str()))
            .find_map(|text| serde_json::from_str::<Value>(text.trim()).ok())
            .unwrap_or(Value::Null);
        if message.get("error").is_some() {
            return Err(response);
        }
        Ok((response, message))
    }
}

/// `tests/interop` of this checkout.
pub fn interop_dir() -> PathBuf {
    repo_root().join("tests/interop")
}

/// The Python environment scripts/setup makes for the Python servers.
pub fn venv_dir() -> PathBuf {
    repo_root().join("target/interop-venv")
}
