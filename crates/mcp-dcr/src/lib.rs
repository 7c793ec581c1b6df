//! `mcp-dcr`: Get an OAuth client for the MCP server's authorization server: pre-registered, metadata document, or dynamic registration.

use clap::Parser;
use mcp_oauth::cli::CommonArgs;
use mcp_oauth::{Error, ExitCode};

#[derive(Debug, Parser)]
#[command(name = "mcp-dcr", version, about = "Get an OAuth client for the MCP server's authorization server: pre-registered, metadata document, or dynamic registration", after_help = mcp_oauth::cli::after_help("  mcp-dcr https://mcp.example.com/mcp"))]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_cli: Cli) -> anyhow::Result<ExitCode> {
    Err(Error::Internal("mcp-dcr is not implemented yet".into()).into())
}
