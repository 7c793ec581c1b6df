//! `mcp-authorize`: Obtain tokens: authorization code with PKCE in the browser, headless hand-off, device code, or client credentials.

use clap::Parser;
use mcp_oauth::cli::CommonArgs;
use mcp_oauth::{Error, ExitCode};

#[derive(Debug, Parser)]
#[command(name = "mcp-authorize", version, about = "Obtain tokens: authorization code with PKCE in the browser, headless hand-off, device code, or client credentials", after_help = mcp_oauth::cli::after_help("  mcp-authorize https://mcp.example.com/mcp"))]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_cli: Cli) -> anyhow::Result<ExitCode> {
    Err(Error::Internal("mcp-authorize is not implemented yet".into()).into())
}
