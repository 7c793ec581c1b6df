//! `mcp-token`: Print a valid access token for an MCP server, refreshing it when needed.

use clap::Parser;
use mcp_oauth::cli::CommonArgs;
use mcp_oauth::{Error, ExitCode};

#[derive(Debug, Parser)]
#[command(name = "mcp-token", version, about = "Print a valid access token for an MCP server, refreshing it when needed", after_help = mcp_oauth::cli::after_help("  mcp-token https://mcp.example.com/mcp"))]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_cli: Cli) -> anyhow::Result<ExitCode> {
    Err(Error::Internal("mcp-token is not implemented yet".into()).into())
}
