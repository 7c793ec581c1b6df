//! `mcp-revoke`: RFC 7009 revocation at the authorization server, then erase what is stored.

use clap::Parser;
use mcp_oauth::cli::{CommonArgs, Context, Input};
use mcp_oauth::client::{ClientRecord, EndpointKind};
use mcp_oauth::document::write_stdout_line;
use mcp_oauth::revocation::{self, Hint};
use mcp_oauth::store::keys;
use mcp_oauth::token::{self, TokenSet};
use mcp_oauth::{Error, ExitCode};
use serde_json::json;

const EXAMPLES: &str = r#"  mcp-revoke https://mcp.example.com/mcp
  mcp-revoke --client https://mcp.example.com/mcp     # also forget (and delete) the client
  mcp-revoke --profile work https://mcp.example.com/mcp"#;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-revoke",
    version = mcp_oauth::cli::VERSION,
    about = "Revoke tokens at the authorization server, then erase them from the credential store",
    long_about = "Revoke the stored refresh token and access token at the authorization server's revocation endpoint (RFC 7009, with the client's authentication), then erase them from the credential store. Running it again succeeds. When the server has no revocation endpoint or cannot be reached, the tokens are still erased locally, a warning is printed, and the exit code is 9.",
    after_help = mcp_oauth::cli::after_help(EXAMPLES)
)]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    /// Also remove the stored client; deletes the registration at the server too when it
    /// was dynamically registered with a management URI (RFC 7592)
    #[arg(long)]
    pub client: bool,

    #[command(flatten)]
    pub discover: mcp_oauth::discovery::DiscoverArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(cli.common.clone());
    let (server_url, doc_issuer, doc_revocation) = match Input::resolve(cli.url.as_deref())? {
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
    let store = ctx.store()?;
    let profile = ctx.profile();
    let token_key = token::store_key(&server_url, profile)?;
    let mut warnings: Vec<String> = Vec::new();
    let mut revoked: Vec<&str> = Vec::new();
    let mut erased: Vec<&str> = Vec::new();

    let _guard = store.lock(&token_key)?;
    let (mut set, mut damaged_token) = load_or_warn::<TokenSet>(store, &token_key, "token", &mut warnings)?;
    // Another entry's tokens must not be revoked in this one's name; the entry is erased.
    if let Some(e) = set.as_ref().and_then(|s| s.check_for(&server_url, &token_key).err()) {
        warnings.push(format!("{e}; erased without revoking anything at the server"));
        (set, damaged_token) = (None, true);
    }
    let mut issuer = set.as_ref().map(|s| s.issuer.clone()).or(doc_issuer);
    if issuer.is_none() && cli.client {
        // No token left to say which issuer the client belongs to: ask the server, since
        // the client record is keyed by issuer.
        let opts = cli.discover.options(None, profile)?;
        let url = mcp_oauth::url_policy::parse("MCP server URL", &server_url)?;
        let doc = mcp_oauth::discovery::discover(&ctx.http, &url, &opts)?;
        issuer = doc.authorization_server.map(|a| a.issuer);
    }
    let client_key = issuer.as_deref().map(|i| keys::client(i, profile));
    let (client, damaged_client) = match &client_key {
        Some(k) => load_or_warn::<ClientRecord>(store, k, "client", &mut warnings)?,
        None => (None, false),
    };

    if let Some(set) = &set {
        let endpoint = set.revocation_endpoint.clone().or(doc_revocation);
        match (&endpoint, &client) {
            (None, _) => warnings.push(format!(
                "{} advertises no revocation endpoint: the tokens were erased here but stay valid at the server until they expire",
                set.issuer
            )),
            (Some(_), None) => warnings.push(format!(
                "no client registration is stored for {}, so the tokens cannot be revoked at the server; erased here only",
                set.issuer
            )),
            (Some(endpoint), Some(client)) => match client.check_endpoint(EndpointKind::Revocation, endpoint) {
                Err(e) => warnings.push(format!("{e}; the tokens were erased here but not revoked")),
                Ok(()) => {
                    // The refresh token first: revoking it usually revokes the access tokens
                    // issued with it (RFC 7009 §2.1), and it is the one that lives long.
                    let tokens = [(Hint::RefreshToken, set.refresh_token.as_ref().map(mcp_oauth::secret::Secret::expose)), (Hint::AccessToken, Some(set.access_token.expose()))];
                    for (hint, tok) in tokens {
                        let Some(tok) = tok else { continue };
                        match revocation::revoke(&ctx.http, endpoint, &set.issuer, client, tok, hint) {
                            Ok(()) => revoked.push(hint.as_str()),
                            Err(e) => warnings.push(format!("revoking the {} failed: {e}", hint.as_str())),
                        }
                    }
                }
            },
        }
    }
    if set.is_some() || damaged_token {
        store.erase(&token_key)?;
        erased.push("token");
    }

    let mut deleted_registration = false;
    if cli.client
        && let Some(key) = &client_key
        && (client.is_some() || damaged_client)
    {
        if let Some(client) = &client {
            match revocation::delete_registration(&ctx.http, client) {
                Ok(done) => deleted_registration = done,
                Err(e) => warnings.push(format!("deleting the client registration at the server failed: {e}")),
            }
        }
        store.erase(key)?;
        erased.push("client");
    }

    for w in &warnings {
        mcp_oauth::say!("mcp-revoke: warning: {w}");
    }
    if erased.is_empty() {
        mcp_oauth::say!("mcp-revoke: nothing stored for {server_url}");
    }
    let report = json!({
        "server_url": server_url,
        "issuer": issuer,
        "revoked": revoked,
        "erased": erased,
        "deleted_registration": deleted_registration,
        "warnings": warnings,
    });
    let out = if ctx.pretty() { serde_json::to_string_pretty(&report)? } else { report.to_string() };
    write_stdout_line(&out)?;
    if warnings.is_empty() {
        Ok(ExitCode::Success)
    } else {
        // Scripts must be able to tell "gone everywhere" from "gone here only".
        Err(Error::Partial(format!(
            "erased locally, but not everything was revoked at the server ({} warning(s))",
            warnings.len()
        ))
        .into())
    }
}

/// A damaged entry must not block its own removal: it is reported (and then erased, with
/// nothing revoked for it), not an error. `.1` says it was damaged.
fn load_or_warn<T: serde::de::DeserializeOwned>(
    store: &mcp_oauth::store::Store,
    key: &mcp_oauth::store::Key,
    what: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<(Option<T>, bool)> {
    match store.load(key) {
        Ok(found) => Ok((found, false)),
        Err(e @ Error::Store(_)) => {
            warnings.push(format!("the stored {what} entry is unreadable ({e}); it cannot be revoked at the server"));
            Ok((None, true))
        }
        Err(e) => Err(e.into()),
    }
}
