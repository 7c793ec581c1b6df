//! What the five `mcp-*` tools' command lines share, like uutils' `uucore`: the common
//! flags and the discovery flags, the [`Context`] a tool runs in, where its input comes
//! from and where its output goes ([`pipe`]), its messages on stderr ([`term`]), and how an
//! error becomes an exit code ([`tool_main!`]).
//!
//! The protocol library (`mcp_oauth`) has no clap and no stdio; a tool's `lib.rs` parses its
//! flags with this crate, calls the library, and prints with this crate.

mod common;
mod context;
mod discover_args;
mod exit;
mod har;
pub mod pipe;
pub mod remedy;
pub mod secret_input;
pub mod term;
pub mod trace_out;
mod trace_text;

pub use common::{CommonArgs, ErrorFormat, TraceFormat};
pub use context::{Context, Input};
pub use discover_args::DiscoverArgs;
pub use exit::{exit_code_of, forbid_core_dumps, report, set_error_format};

/// `--version`: the release, the commit it was built from (build.rs), and what was compiled
/// in, so a bug report says which build misbehaved.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("MCP_OAUTH_COMMIT"),
    ")\nprotocol: MCP authorization 2026-07-28, OAuth 2.1\n",
    "tls: rustls with ring (TLS 1.2 and 1.3; roots: the system's, plus SSL_CERT_FILE)\n",
    "credential stores: docker-credential-* helpers, plain file store\n",
    "client authentication: none, client_secret_basic, client_secret_post, private_key_jwt (ES256, RS256)"
);

/// Shared text for the end of every tool's `--help` and man page.
pub fn after_help(examples: &str) -> String {
    format!(
        "EXAMPLES:\n{examples}\n\n{}\n\nENVIRONMENT:\n  MCP_OAUTH_PROFILE, MCP_OAUTH_CREDENTIAL_HELPER, MCP_OAUTH_TIMEOUT, MCP_OAUTH_HAR (as the flags);\n  NO_COLOR (no colour on a terminal), CLICOLOR_FORCE (colour on a pipe too);\n  DOCKER_CONFIG (where config.json picks the credential helper); HTTPS_PROXY, NO_PROXY;\n  SSL_CERT_FILE (extra CA certificates); BROWSER (the command that opens URLs)",
        mcp_oauth::error::exit_codes_help()
    )
}

/// The whole `main` of a tool, like uutils' `bin!`: parse, run, map errors to exit codes.
/// `$krate` must expose `Cli: clap::Parser` and `run(Cli) -> anyhow::Result<ExitCode>`.
/// The library's events are shown on stderr from the start, under the binary's name.
#[macro_export]
macro_rules! tool_main {
    ($krate:ident) => {
        fn main() -> std::process::ExitCode {
            use $crate::clap::Parser as _;
            let name = env!("CARGO_BIN_NAME");
            $crate::forbid_core_dumps();
            $crate::term::show_events(name);
            let cli = $krate::Cli::parse();
            // Now, not in Context::new: flags checked before the Context is made (a bad
            // --auth-param) fail in the asked format too.
            $crate::set_error_format(cli.common.error_format);
            let result = $krate::run(cli);
            // The HAR is written whatever happened: a failing run is the one to attach.
            let har = $crate::trace_out::finish(name);
            match (result, har) {
                (Ok(code), Ok(())) => std::process::ExitCode::from(code.code()),
                (Ok(_), Err(err)) => $crate::report(name, &err),
                (Err(err), har) => {
                    if let Err(e) = har {
                        $crate::say!("{name}: {e}");
                    }
                    $crate::report(name, err.as_ref())
                }
            }
        }
    };
}

/// For [`tool_main!`], so that a binary's `main.rs` needs no imports of its own.
#[doc(hidden)]
pub use clap;
