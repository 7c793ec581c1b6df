//! `mcp-discover`: Find how an MCP server wants clients to authorize: resource metadata and authorization-server metadata.

use clap::Parser;
use mcp_oauth::cli::CommonArgs;
use mcp_oauth::{Error, ExitCode};

#[derive(Debug, Parser)]
#[command(name = "mcp-discover", version, about = "Find how an MCP server wants clients to authorize: resource metadata and authorization-server metadata", after_help = mcp_oauth::cli::after_help("  mcp-discover https://mcp.example.com/mcp"))]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_cli: Cli) -> anyhow::Result<ExitCode> {
    Err(Error::Internal("mcp-discover is not implemented yet".into()).into())
}
