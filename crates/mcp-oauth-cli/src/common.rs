//! The flags every tool shares: one definition is what makes `--profile`, `--trace` and
//! friends mean the same thing in all five tools.

/// `--error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ErrorFormat {
    #[default]
    Text,
    Json,
}

/// `--trace-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TraceFormat {
    /// For a person: steps, exchanges, decoded JWTs and checks; coloured on a terminal
    #[default]
    Text,
    /// For a program: one JSON object per event and line
    Json,
}

/// Flags shared by every tool (flattened into each tool's `Cli`).
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Print every HTTP request and response to stderr, grouped by the step of the flow it
    /// belongs to (with its outcome and time), JWTs decoded, secrets redacted
    #[arg(short = 'v', long, global = true)]
    pub trace: bool,

    /// How --trace is written (implies --trace): text for a person, or json for a program
    ///
    /// text is coloured on a terminal unless NO_COLOR is set (CLICOLOR_FORCE=1 colours a pipe
    /// too). json writes every line on stderr as one JSON object with "event" and "tool"; the
    /// fields of each event are stable:
    ///
    /// step_begin: step (a number), name, started_at (RFC 3339).
    ///
    /// step_end: step, name, ok, outcome, elapsed_ms.
    ///
    /// request (as it goes out; its exchange follows): step, started_at, note, request.
    ///
    /// exchange: step, started_at, elapsed_ms, note, request {method, url, headers [{name,
    /// value}], body}, response {status, headers, body} (null when none came), error, tokens.
    ///
    /// A body is {media_type, size} with json, form [{name, value}] or text.
    ///
    /// tokens (JWTs found in the exchange, decoded): [{location, field, header, claims, times
    /// [{claim, value, date}], checks [{claim, expected, ok}]}].
    ///
    /// check: step, name, passed, detail. detail: step, title, fields [{name, value}].
    ///
    /// notice, warning: text. prompt: open_url, or verification_uri, user_code,
    /// verification_uri_complete, expires_in. message (the tool's own lines): text.
    #[arg(long, global = true, value_name = "FORMAT", value_enum)]
    pub trace_format: Option<TraceFormat>,

    /// Write this run's HTTP exchanges, grouped by step and redacted like --trace, to FILE as a
    /// HAR 1.2 archive (browsers' developer tools open it), also when the run fails: the file
    /// to attach to a bug report. Written whole (mode 0600); a directory gets one file per run
    #[arg(long, global = true, env = "MCP_OAUTH_HAR", value_name = "FILE")]
    pub har: Option<std::path::PathBuf>,

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
