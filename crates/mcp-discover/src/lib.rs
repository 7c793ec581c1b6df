//! `mcp-discover`: find how an MCP server wants clients to authorize (resource metadata,
//! authorization-server metadata, scopes) and start the pipeline document with it.

use clap::Parser;
use mcp_oauth::ExitCode;
use mcp_oauth::discovery;
use mcp_oauth::document::{Document, Finding, Severity};
use mcp_oauth_cli::{CommonArgs, Context, DiscoverArgs, Input};

const EXAMPLES: &str = r#"  mcp-discover https://mcp.example.com/mcp
  mcp-discover https://mcp.example.com/mcp | mcp-dcr | mcp-authorize
  mcp-discover --check https://mcp.example.com/mcp     # list every deviation from the specs
  mcp-discover --authorization-server https://login.example.com https://mcp.example.com/mcp
  mcp-discover --challenge "$WWW_AUTHENTICATE_OF_THE_401" https://mcp.example.com/mcp   # challenged late
  mcp-discover --issuer https://accounts.google.com \
      --authorization-endpoint https://accounts.google.com/o/oauth2/v2/auth \
      --token-endpoint https://oauth2.googleapis.com/token https://mcp.example.com/mcp
  mcp-discover --as-metadata slack-as.json https://mcp.example.com/mcp"#;

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
    mcp_oauth_cli::term::lines(check_report(&doc).lines());
    mcp_oauth_cli::pipe::write_document(&doc, ctx.pretty())?;
    Ok(if has_errors(&doc) { ExitCode::CheckFailed } else { ExitCode::Success })
}

fn has_errors(doc: &Document) -> bool {
    doc.findings.iter().any(|f| f.severity == Severity::Error)
}

/// The findings for a human: errors first, one per line, with the rule they break.
pub fn check_report(doc: &Document) -> String {
    let mut sorted: Vec<&Finding> = doc.findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut out = String::new();
    for f in &sorted {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out += &format!("mcp-discover: {level}: {} [{}]\n", f.message, f.reference);
    }
    let errors = sorted.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = sorted.len() - errors;
    out += &match (errors, warnings) {
        (0, 0) => format!("mcp-discover: check: {} follows the specs as far as discovery can tell\n", doc.server_url),
        _ => format!("mcp-discover: check: {errors} error(s), {warnings} warning(s) for {}\n", doc.server_url),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_puts_errors_first_and_counts() {
        let url = mcp_oauth::url_policy::parse("t", "https://mcp.example.com/mcp").expect("a URL");
        let mut doc = Document::new(&url, url.to_string(), None);
        assert!(check_report(&doc).contains("follows the specs"));
        doc.add_finding(Severity::Warning, "RFC 9207 §3", "no iss");
        doc.add_finding(Severity::Error, "RFC 8414 §3.3", "issuer mismatch");
        let report = check_report(&doc);
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "mcp-discover: error: issuer mismatch [RFC 8414 §3.3]");
        assert_eq!(lines[1], "mcp-discover: warning: no iss [RFC 9207 §3]");
        assert!(lines[2].contains("1 error(s), 1 warning(s)"), "{report}");
        assert!(has_errors(&doc));
    }
}
