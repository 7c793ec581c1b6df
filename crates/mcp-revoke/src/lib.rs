//! `mcp-revoke`: RFC 7009 revocation at the authorization server, then erase what is stored.

use clap::Parser;
use mcp_oauth::ExitCode;
use mcp_oauth::revocation::{self, Target};
use mcp_oauth_cli::pipe::write_line;
use mcp_oauth_cli::{CommonArgs, Context, DiscoverArgs, Input};
use serde_json::json;

const EXAMPLES: &str = r#"  mcp-revoke https://mcp.example.com/mcp
  mcp-revoke --client https://mcp.example.com/mcp     # also forget (and delete) the client
  mcp-revoke --profile work https://mcp.example.com/mcp
  mcp-revoke --all --profile work                      # everything of that profile"#;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-revoke",
    version = mcp_oauth_cli::VERSION,
    about = "Revoke tokens at the authorization server, then erase them from the credential store",
    long_about = "Revoke the stored refresh token and access token at the authorization server's revocation endpoint (RFC 7009, with the client's authentication), then erase them from the credential store. Running it again succeeds. When the server has no revocation endpoint or cannot be reached, the tokens are still erased locally, a warning is printed, and the exit code is 9.",
    after_help = mcp_oauth_cli::after_help(EXAMPLES)
)]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    /// Also remove the stored client; deletes the registration at the server too when it
    /// was dynamically registered with a management URI (RFC 7592)
    #[arg(long)]
    pub client: bool,

    /// Everything of the profile (--profile, else the default one): every stored token set
    /// revoked and erased with its client, then the clients and hand-offs left over
    #[arg(long, conflicts_with_all = ["url", "client"])]
    pub all: bool,

    #[command(flatten)]
    pub discover: DiscoverArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(cli.common.clone());
    if cli.all {
        return all(&ctx);
    }
    let (server_url, issuer, revocation_endpoint) = match Input::resolve(cli.url.as_deref())? {
        Input::Url(u) => (u.to_string(), None, None),
        Input::Document(d) => {
            let asv = d.authorization_server.as_ref();
            (
                d.server_url.clone(),
                asv.map(|a| a.issuer.clone()),
                asv.and_then(|a| a.metadata.revocation_endpoint.clone()),
            )
        }
    };
    let profile = ctx.profile();
    let target = Target {
        server_url: &server_url,
        profile,
        issuer,
        revocation_endpoint,
        forget_client: cli.client,
        token_key: None,
    };
    let outcome = revocation::revoke_stored(&ctx.http, ctx.store()?, &target, || cli.discover.options(None, profile))?;

    let warnings: Vec<String> = outcome.problems.iter().map(ToString::to_string).collect();
    for w in &warnings {
        mcp_oauth_cli::say!("mcp-revoke: warning: {w}");
    }
    if outcome.nothing_stored() {
        mcp_oauth_cli::say!("mcp-revoke: nothing stored for {server_url}");
    }
    let report = json!({
        "server_url": server_url,
        "issuer": outcome.issuer,
        "revoked": outcome.revoked.iter().map(|h| h.as_str()).collect::<Vec<_>>(),
        "erased": outcome.erased.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "deleted_registration": outcome.deleted_registration,
        "warnings": warnings,
    });
    let out = if ctx.pretty() { serde_json::to_string_pretty(&report)? } else { report.to_string() };
    write_line(&out)?;
    outcome.check_complete()?;
    Ok(ExitCode::Success)
}

/// `--all`: one report per server, and exit 9 when any revocation fell short.
fn all(ctx: &Context) -> anyhow::Result<ExitCode> {
    let outcomes = revocation::revoke_profile(&ctx.http, ctx.store()?, ctx.profile())?;
    let mut complete = true;
    let mut reports = Vec::new();
    for (server, outcome) in &outcomes {
        let warnings: Vec<String> = outcome.problems.iter().map(ToString::to_string).collect();
        for w in &warnings {
            mcp_oauth_cli::say!("mcp-revoke: warning: {server}: {w}");
        }
        complete &= outcome.problems.is_empty();
        reports.push(json!({
            "server_url": server,
            "issuer": outcome.issuer,
            "revoked": outcome.revoked.iter().map(|h| h.as_str()).collect::<Vec<_>>(),
            "erased": outcome.erased.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            "deleted_registration": outcome.deleted_registration,
            "warnings": warnings,
        }));
    }
    if outcomes.is_empty() {
        mcp_oauth_cli::say!("mcp-revoke: nothing stored for this profile");
    }
    let report = serde_json::Value::Array(reports);
    write_line(&if ctx.pretty() { serde_json::to_string_pretty(&report)? } else { report.to_string() })?;
    Ok(if complete { ExitCode::Success } else { ExitCode::Partial })
}
