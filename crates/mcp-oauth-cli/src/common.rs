//! The flags every tool shares: one definition is what makes `--profile`, `--trace` and
//! friends mean the same thing in all five tools.

/// `--error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ErrorFormat {
    #[default]
    Text,
    Json,
}

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

    /// How errors are written on stderr: one line of text, or one JSON object (exit_code,
    /// error, message, command to run) for scripts and agents
    #[arg(long, global = true, env = "MCP_OAUTH_ERROR_FORMAT", value_name = "FORMAT", value_enum, default_value_t = ErrorFormat::Text)]
    pub error_format: ErrorFormat,

    /// Timeout for each HTTP request, in seconds
    #[arg(long, global = true, env = "MCP_OAUTH_TIMEOUT", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=mcp_oauth::MAX_SECONDS))]
    pub timeout: u64,
}
