//! The OAuth 2.1 client side of the MCP authorization spec (revision 2026-07-28), as a
//! library: each `mcp-*` tool is a thin command line over one step of it.
//!
//! It knows nothing of the command line (that is `mcp_oauth_cli`) and prints nothing: what
//! a person should see goes out through [`events`], to whatever the caller installed.

// clippy.toml's disallowed methods are std::io::stdout and std::io::stderr.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

pub mod authorize;
pub mod browser;
pub mod callback;
pub mod client;
pub mod client_auth;
pub mod clock;
pub mod discovery;
pub mod docker_gateway;
pub mod document;
pub mod dpop;
pub mod enterprise;
pub mod error;
pub mod events;
pub mod grant_type;
pub mod http;
pub mod import;
pub mod jws;
pub mod jwt;
pub mod lenient;
pub mod metadata;
pub mod pkce;
pub mod redact;
pub mod redirect;
pub mod registration;
pub mod remedy;
pub mod revocation;
pub mod safe_text;
pub mod scope;
pub mod secret;
pub mod status;
pub mod store;
pub mod token;
pub mod trace;
pub mod url_policy;
pub mod workload;
pub mod www_authenticate;

pub use error::{Error, ExitCode, Result};

/// The longest wait any flag or variable may ask for (a day). Deadlines are `now +
/// duration`, which a number like 2^64-1 overflows: a panic, and a core dump with tokens in it.
pub const MAX_SECONDS: u64 = 86_400;
