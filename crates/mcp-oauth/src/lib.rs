//! The OAuth 2.1 client side of the MCP authorization spec (revision 2026-07-28), as a
//! library: each `mcp-*` tool is a thin command line over one step of it.

pub mod authorize;
pub mod browser;
pub mod callback;
pub mod cli;
pub mod client;
pub mod client_auth;
pub mod clock;
pub mod discovery;
pub mod docker_gateway;
pub mod document;
pub mod error;
pub mod grant_type;
pub mod http;
pub mod import;
pub mod jwt;
pub mod lenient;
pub mod metadata;
pub mod pkce;
pub mod redact;
pub mod redirect;
pub mod registration;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod status;
pub mod store;
pub mod term;
pub mod token;
pub mod url_policy;
pub mod www_authenticate;

pub use error::{Error, ExitCode, Result};
