//! `mcp-discover`: find how an MCP server wants clients to authorize (resource metadata,
//! authorization-server metadata, scopes) and start the pipeline document with it.

use clap::Parser;
use mcp_oauth::ExitCode;
use mcp_oauth::discovery;
use mcp_oauth_cli::{CommonArgs, Context, DiscoverArgs, Input};

pub mod check;

const EXAMPLES: &str = r#"  mcp-discover https://mcp.example.com/mcp
  mcp-discover https://mcp.example.com/mcp | mcp-dcr | mcp-authorize
  mcp-discover --check https://mcp.example.com/mcp     # list every deviation from the specs
  mcp-discover --check --format json https://mcp.example.com/mcp > check.json   # for a server's CI
  mcp-discover --authorization-server https://login.example.com https://mcp.example.com/mcp
  mcp-discover --challenge "$WWW_AUTHENTICATE_OF_THE_401" https://mcp.example.com/mcp   # challenged late
  mcp-discover --issuer https://accounts.google.com \
      --authorization-endpoint https://accounts.google.com/o/oauth2/v2/auth \
      --token-endpoint https://oauth2.googleapis.com/token https://mcp.example.com/mcp
  mcp-discover --as-metadata slack-as.json https://mcp.example.com/mcp"#;

/// The JSON report's schema, in `--help` and the man page.
const CHECK_FORMAT_HELP: &str = "How --check reports.\n\n\
human: on stderr, the findings grouped by the step of the flow they concern (probe, protected-resource metadata, authorization-server metadata, client registration, authorization request, token request, revocation), errors first within a step; each with its reference and rule id, and under it what the server should send instead; the last line counts errors and warnings. The pipeline document goes to stdout as without --check.\n\n\
json: one JSON object on stdout instead of the document, nothing on stderr, for a server author's CI. Exit codes are the same (0, or 10 when any finding is an error). Schema (version 1; members are only ever added):\n\
{\"mcp_oauth_check\": 1, \"server_url\": URL, \"errors\": N, \"warnings\": N, \"findings\": [{\"rule\": ID, \"severity\": \"error\"|\"warning\", \"step\": STEP, \"message\": TEXT, \"reference\": TEXT, \"fix\": TEXT|null}]}\n\
STEP is one of probe, resource_metadata, authorization_server_metadata, registration, authorization, token, revocation; ID is a stable rule id such as authorization.pkce-s256 (the README lists them all); fix is null for discovery.stopped, whose message says why discovery could not go on.";

#[derive(Debug, Parser)]
#[command(
    name = "mcp-discover",
    version = mcp_oauth_cli::VERSION,
    about = "Find how an MCP server wants clients to authorize: resource metadata and authorization-server metadata",
    long_about = "Find how an MCP server wants clients to authorize, and write the pipeline document that mcp-dcr and mcp-authorize continue.\n\n\
Sends an MCP initialize without a token and reads the 401's WWW-Authenticate challenge; fetches the RFC 9728 protected-resource metadata (from the challenge, else the well-known URLs) and checks that it names this server; fetches the chosen authorization server's RFC 8414 or OpenID Connect metadata in the order the MCP specification mandates and checks that its issuer is exactly the one listed. A server that answers initialize without a token may challenge a later request (tools/list, tools/call) instead: give that 401's WWW-Authenticate value with --challenge, and its scope and resource_metadata take precedence over the probe's. Servers that send a 401 but have no resource metadata get the MCP 2025-03-26 rules (the server's origin is the authorization server); a server with neither a 401 nor resource metadata does not ask for authorization (exit 11), and a URL that is not an MCP endpoint, on a server whose metadata names another resource, gets that resource suggested (exit 2). Providers without any discovery can be described with the endpoint flags or --as-metadata.\n\n\
--check also reports what deployed servers commonly get wrong, each with its reference: error=\"invalid_token\" in the challenge to a request without credentials (RFC 6750 §3.1), a revocation endpoint whose listed authentication methods exclude methods the token endpoint accepts or public clients (RFC 7009 §2.1), and the client_credentials grant advertised when only none is listed (RFC 6749 §4.4).\n\n\
Redirects are never followed, every endpoint must be HTTPS (http is accepted on loopback addresses only), and a server error (5xx, 429) stops discovery instead of switching to other rules.",
    after_help = mcp_oauth_cli::after_help(EXAMPLES)
)]
pub struct Cli {
    /// The MCP server URL [default: the server of the pipeline document on stdin]
    pub url: Option<String>,

    /// Scopes to request, space-separated, instead of the challenge's or the resource's
    #[arg(long, value_name = "SCOPES")]
    pub scope: Option<String>,

    /// For server authors: list every deviation from the specs on stderr (and in the
    /// document's findings); exit 10 when any is an error
    #[arg(long)]
    pub check: bool,

    /// How --check reports: human (grouped by step on stderr, the document on stdout) or
    /// json (one report on stdout instead of the document)
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = check::Format::Human,
        requires = "check",
        long_help = CHECK_FORMAT_HELP
    )]
    pub format: check::Format,

    #[command(flatten)]
    pub discover: DiscoverArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(cli.common.clone());
    // Flags first: a bad flag must not cost a request or a read of stdin.
    let mut opts = cli.discover.options(cli.scope.as_deref(), ctx.profile())?;
    let server = match Input::resolve(cli.url.as_deref())? {
        Input::Url(url) => url,
        Input::Document(doc) => {
            opts.profile = opts.profile.or_else(|| doc.profile.clone());
            doc.server()?
        }
    };
    let report = discovery::discover_report(&ctx.http, &server, &opts);
    if !cli.check {
        mcp_oauth_cli::pipe::write_document(&report.into_result()?, ctx.pretty())?;
        return Ok(ExitCode::Success);
    }

    // A refused server's document says why in its findings already.
    let doc = report.into_check()?;
    match cli.format {
        check::Format::Human => {
            mcp_oauth_cli::term::lines(check::human(&doc).lines());
            mcp_oauth_cli::pipe::write_document(&doc, ctx.pretty())?;
        }
        check::Format::Json => {
            let report = check::json(&doc);
            let text = if ctx.pretty() { format!("{report:#}") } else { report.to_string() };
            mcp_oauth_cli::pipe::write_line(&text)?;
        }
    }
    Ok(if check::has_errors(&doc) { ExitCode::CheckFailed } else { ExitCode::Success })
}
