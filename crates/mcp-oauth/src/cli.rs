//! What every tool's command line shares: the common flags, how the input is chosen
//! (a URL argument, else the document on stdin), and how errors become exit codes.
//!
//! Keeping these in one place is what makes `--profile`, `--trace` and friends mean the
//! same thing in all five tools.

use crate::error::{Error, ExitCode};
use crate::http::{Http, HttpOptions};
use crate::store::{Store, StoreOptions};
use std::cell::OnceCell;
use std::time::Duration;

/// `--version`: the release, the commit it was built from, and what was compiled in, so a
/// bug report says which build misbehaved.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("MCP_OAUTH_COMMIT"),
    ")\nprotocol: MCP authorization 2026-07-28, OAuth 2.1\n",
    "tls: rustls with ring (TLS 1.2 and 1.3; roots: the system's, plus SSL_CERT_FILE)\n",
    "credential stores: docker-credential-* helpers, plain file store\n",
    "client authentication: none, client_secret_basic, client_secret_post, private_key_jwt (ES256, RS256)"
);

/// Flags shared by every tool (flattened into each tool's `Cli`).
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Print every HTTP request and response to stderr, secrets redacted
    #[arg(short = 'v', long, global = true)]
    pub trace: bool,

    /// Name of the identity to use, so one machine can hold several per server
    #[arg(long, global = true, env = "MCP_OAUTH_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the
    /// plain file store [default: chosen like the Docker CLI does]
    #[arg(long, global = true, env = "MCP_OAUTH_CREDENTIAL_HELPER", value_name = "NAME")]
    pub credential_helper: Option<String>,

    /// Write compact one-line JSON instead of pretty-printed JSON
    #[arg(long, global = true)]
    pub compact: bool,

    /// Include tokens and client secrets in the output and the trace (they are left out otherwise)
    #[arg(long, global = true)]
    pub reveal_secrets: bool,

    /// Timeout for each HTTP request, in seconds
    #[arg(long, global = true, env = "MCP_OAUTH_TIMEOUT", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=MAX_SECONDS))]
    pub timeout: u64,
}

/// The longest wait any flag or variable may ask for (a day). Deadlines are `now +
/// duration`, which a number like 2^64-1 overflows: a panic, and a core dump with tokens in it.
pub const MAX_SECONDS: u64 = 86_400;

/// Our memory holds tokens and client secrets: no crash may write it to a core file. On
/// Linux the process is also made non-dumpable, which stops core dumps piped to a
/// collector (that may ignore RLIMIT_CORE) and other processes of the user attaching to
/// read it. Best effort: failing to harden is no reason not to run.
pub fn forbid_core_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let maximum = getrlimit(Resource::Core).maximum;
        let _ = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum });
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
}

/// The environment a tool runs in: its HTTP client and (opened on first use) its store.
pub struct Context {
    pub args: CommonArgs,
    pub http: Http,
    store: OnceCell<Store>,
}

impl Context {
    pub fn new(args: CommonArgs) -> Self {
        crate::redact::reveal(args.reveal_secrets);
        let http = Http::new(HttpOptions {
            timeout: Duration::from_secs(args.timeout.max(1)),
            trace: args.trace,
            reveal: args.reveal_secrets,
            ..HttpOptions::default()
        });
        Context { args, http, store: OnceCell::new() }
    }

    pub fn profile(&self) -> Option<&str> {
        self.args.profile.as_deref()
    }

    pub fn pretty(&self) -> bool {
        !self.args.compact
    }

    pub fn reveal(&self) -> bool {
        self.args.reveal_secrets
    }

    /// Opened lazily: `--help`, pure discovery and bad input never touch the store. Opening
    /// it first stores what an earlier run could not (see [`Store::recover`]).
    pub fn store(&self) -> crate::error::Result<&Store> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let store = Store::open(StoreOptions::from_env(self.args.credential_helper.clone()))?;
        store.recover(&tool_name());
        Ok(self.store.get_or_init(|| store))
    }
}

/// This program's name, for messages (`mcp-token`, ...).
fn tool_name() -> String {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "mcp-oauth".to_string())
}

/// Where a tool's input comes from.
pub enum Input {
    Url(url::Url),
    Document(Box<crate::document::Document>),
}

impl Input {
    /// A URL argument wins; otherwise the document on stdin (refusing a terminal).
    pub fn resolve(url: Option<&str>) -> crate::error::Result<Self> {
        match url {
            Some(u) => Ok(Input::Url(crate::url_policy::parse("MCP server URL", u)?)),
            None => Ok(Input::Document(Box::new(crate::document::Document::read_stdin()?))),
        }
    }
}

/// Prints `tool: message` on one line (through [`crate::term`]: a server's words in it are
/// shown, never obeyed) and returns the documented exit code. Walks the error chain so
/// that context added at the binary's edge keeps the library's code.
pub fn report(tool: &str, err: &(dyn std::error::Error + 'static)) -> std::process::ExitCode {
    let code = exit_code_of(err);
    let msg = crate::http::error_chain(err).replace('\n', " ");
    crate::say!("{tool}: {msg}");
    std::process::ExitCode::from(code.code())
}

pub fn exit_code_of(err: &(dyn std::error::Error + 'static)) -> ExitCode {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return ours.exit_code();
        }
        cur = e.source();
    }
    ExitCode::Internal
}

/// Shared text for the end of every tool's `--help` and man page.
pub fn after_help(examples: &str) -> String {
    format!(
        "EXAMPLES:\n{examples}\n\n{}\n\nENVIRONMENT:\n  MCP_OAUTH_PROFILE, MCP_OAUTH_CREDENTIAL_HELPER, MCP_OAUTH_TIMEOUT (as the flags);\n  DOCKER_CONFIG (where config.json picks the credential helper); HTTPS_PROXY, NO_PROXY;\n  SSL_CERT_FILE (extra CA certificates); BROWSER (the command that opens URLs)",
        crate::error::exit_codes_help()
    )
}

/// The whole `main` of a tool, like uutils' `bin!`: parse, run, map errors to exit codes.
/// `$krate` must expose `Cli: clap::Parser` and `run(Cli) -> anyhow::Result<ExitCode>`.
#[macro_export]
macro_rules! tool_main {
    ($krate:ident) => {
        fn main() -> std::process::ExitCode {
            use clap::Parser as _;
            let name = env!("CARGO_BIN_NAME");
            $crate::cli::forbid_core_dumps();
            match $krate::run($krate::Cli::parse()) {
                Ok(code) => std::process::ExitCode::from(code.code()),
                Err(err) => $crate::cli::report(name, err.as_ref()),
            }
        }
    };
}
