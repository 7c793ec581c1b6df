//! `mcp-revoke`: Revoke tokens at the authorization server, then erase them from the credential store.

use clap::Parser;
use mcp_oauth::cli::CommonArgs;
use mcp_oauth::{Error, ExitCode};

#[derive(Debug, Parser)]
#[command(name = "mcp-revoke", version, about = "Revoke tokens at the authorization server, then erase them from the credential store", after_help = mcp_oauth::cli::after_help("  mcp-revoke https://mcp.example.com/mcp"))]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_cli: Cli) -> anyhow::Result<ExitCode> {
    Err(Error::Internal("mcp-revoke is not implemented yet".into()).into())
}
