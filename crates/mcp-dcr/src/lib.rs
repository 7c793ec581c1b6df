//! `mcp-dcr`: get an OAuth client for the MCP server's authorization server (pre-registered,
//! Client ID Metadata Document, or RFC 7591 dynamic registration), store it, and pass the
//! pipeline document on with the client in it.

use anyhow::Context as _;
use clap::Parser;
use mcp_oauth::client::AuthMethod;
use mcp_oauth::registration::{self, Action, Credentials, Options};
use mcp_oauth::{Error, ExitCode, redirect};
use mcp_oauth_cli::secret_input::first_line;
use mcp_oauth_cli::{CommonArgs, Context, DiscoverArgs, Input};
use std::path::Path;

/// Where a pre-registered client's secret may come from besides a file or stdin: the
/// command line is readable by every user of the machine (`ps`), the environment is not.
pub const SECRET_ENV: &str = "MCP_OAUTH_CLIENT_SECRET";

const EXAMPLES: &str = r#"  mcp-discover https://mcp.example.com/mcp | mcp-dcr | mcp-authorize
  mcp-dcr https://mcp.example.com/mcp                  # discovers, then registers
  mcp-dcr --force --port 8765 https://mcp.example.com/mcp
  mcp-dcr --client-id 123.apps.example --client-secret-file ~/.secrets/app https://mcp.example.com/mcp
  pass show app/secret | mcp-dcr --client-id 123 --client-secret-stdin https://mcp.example.com/mcp
  mcp-dcr --client-metadata-url https://app.example/oauth/client.json https://mcp.example.com/mcp"#;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-dcr",
    version = mcp_oauth_cli::VERSION,
    about = "Get an OAuth client for the MCP server's authorization server: pre-registered, metadata document, or dynamic registration",
    long_about = "Get an OAuth client for the MCP server's authorization server, store it in the credential store under the server's issuer, and write the pipeline document on with the client in it (never its secret, unless --reveal-secrets).\n\n\
In the MCP specification's order: a pre-registered client given with --client-id; else a Client ID Metadata Document (--client-metadata-url) when the server advertises support; else RFC 7591 dynamic registration when the server has a registration endpoint. A server with none of these needs a pre-registered client: the error (exit 2) names the flags.\n\n\
A client stored for the same issuer and profile is reused without contacting the server, unless --force is given, its secret has expired, or a different --redirect-uri, --port or --auth-method is asked for. The redirect URI is http://127.0.0.1:PORT/callback on a port free at registration; mcp-authorize listens there, and moves to another port if it is busy (RFC 8252 §7.3 makes the server accept that for clients registered here).",
    after_help = after_help()
)]
pub struct Cli {
    /// The MCP server URL: discover it first [default: read the pipeline document on stdin]
    pub url: Option<String>,

    /// Use this pre-registered client (for servers without dynamic registration, such as
    /// Google, Slack or Microsoft Entra); a confidential client's secret comes from
    /// --client-secret-file, --client-secret-stdin or MCP_OAUTH_CLIENT_SECRET, never from
    /// the command line
    // Hyphen values: generated ids are often base64url, and 1 in 64 of those begins with '-'.
    #[arg(long, value_name = "ID", conflicts_with = "client_metadata_url", allow_hyphen_values = true)]
    pub client_id: Option<String>,

    /// Read the pre-registered client's secret from this file (the first line)
    #[arg(long, value_name = "FILE", requires = "client_id", conflicts_with = "client_secret_stdin")]
    pub client_secret_file: Option<String>,

    /// Read the pre-registered client's secret from stdin (the first line); the server
    /// must then be given as the URL argument, since stdin cannot also carry the document
    #[arg(long, requires = "client_id", requires = "url")]
    pub client_secret_stdin: bool,

    /// Token-endpoint authentication: how the pre-registered client was registered, or
    /// what to ask for in dynamic registration; used even when the server's metadata does
    /// not list it (with a warning), since many lists are incomplete [default: from the
    /// credentials given and what the server lists; a public client (none) for dynamic
    /// registration]
    #[arg(long, value_name = "METHOD", value_parser = parse_auth_method)]
    pub auth_method: Option<AuthMethod>,

    /// PEM private key for private_key_jwt, unencrypted: PKCS#8 (RSA or EC P-256), SEC1 EC
    /// PRIVATE KEY (`openssl ecparam -genkey`) or PKCS#1 RSA PRIVATE KEY; with dynamic
    /// registration its public key is registered as the client's jwks
    #[arg(long, value_name = "FILE")]
    pub private_key_file: Option<String>,

    /// The key id (kid) to put in the private_key_jwt assertion header
    #[arg(long, value_name = "KID", requires = "private_key_file")]
    pub key_id: Option<String>,

    /// Use the Client ID Metadata Document at this https URL (with a path) as the
    /// client_id, when the server supports them; the redirect URI is the document's first
    /// loopback one, or --redirect-uri / --port, which the document must list if it can be
    /// read (with either given, a document that cannot be fetched is only a warning)
    #[arg(long, value_name = "URL")]
    pub client_metadata_url: Option<String>,

    /// client_name sent in dynamic registration (shown on the consent screen)
    #[arg(long, value_name = "NAME", default_value = registration::DEFAULT_CLIENT_NAME)]
    pub client_name: String,

    /// The redirect URI to register: http:// on a loopback address (what mcp-authorize can
    /// listen on) or https:// [default: http://127.0.0.1:PORT/callback on a free port]
    #[arg(long, value_name = "URI", conflicts_with = "port")]
    pub redirect_uri: Option<String>,

    /// Register http://127.0.0.1:PORT/callback
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Register anew even when a usable client is stored
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub discovery: DiscoverArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

fn parse_auth_method(s: &str) -> Result<AuthMethod, String> {
    s.parse()
}

fn after_help() -> String {
    mcp_oauth_cli::after_help(EXAMPLES).replacen(
        "ENVIRONMENT:\n",
        &format!("ENVIRONMENT:\n  {SECRET_ENV} (the pre-registered client's secret, when no --client-secret-* flag is given);\n"),
        1,
    )
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(cli.common.clone());
    // Flags first: a bad flag must not cost a discovery round trip or a read of stdin.
    let redirect_uri = redirect::from_flags(cli.redirect_uri.as_deref(), cli.port)?;
    let client_metadata_url =
        cli.client_metadata_url.as_deref().map(registration::metadata_document_url).transpose()?;
    let private_key_file = cli.private_key_file.as_deref().map(private_key).transpose()?;
    if cli.url.is_none() && cli.discovery.needs_discovery() {
        return Err(Error::Usage(
            "the discovery flags need the MCP server URL argument; the document on stdin is already discovered".into(),
        )
        .into());
    }
    let input = Input::resolve(cli.url.as_deref())?;
    // The secret and the store are touched only once there is a server to register with:
    // a discovery that fails reports its own error.
    let store_and_options = || -> mcp_oauth::Result<_> {
        let client_secret = if cli.client_id.is_some() { client_secret(&cli)? } else { None };
        let opts = Options {
            client_id: cli.client_id.clone(),
            client_metadata_url,
            credentials: Credentials {
                client_secret: client_secret.map(mcp_oauth::secret::Secret::from),
                private_key_file,
                key_id: cli.key_id.clone(),
            },
            auth_method: cli.auth_method,
            client_name: cli.client_name.clone(),
            redirect_uri,
            force: cli.force,
        };
        Ok((ctx.store()?, opts))
    };
    let (doc, obtained) = match input {
        Input::Document(doc) => {
            let doc = doc.discovered()?;
            let (store, opts) = store_and_options()?;
            let profile = ctx.profile().or(doc.profile()).map(String::from);
            registration::obtain_into(&ctx.http, store, doc, profile.as_deref(), &opts, ctx.reveal())?
        }
        Input::Url(url) => {
            let discover = cli.discovery.options(None, ctx.profile())?;
            registration::discover_and_obtain(&ctx.http, &url, &discover, ctx.reveal(), store_and_options)?
        }
    };
    for w in &obtained.warnings {
        mcp_oauth_cli::say!("mcp-dcr: warning: {w}");
    }
    if ctx.args.trace {
        let how = match obtained.action {
            Action::Reused => "reusing the stored client",
            Action::Registered => "registered a new client",
            Action::Configured => "stored the given client",
        };
        mcp_oauth_cli::say!("mcp-dcr: {how} {} for {}", obtained.record.client_id, obtained.record.issuer);
    }
    mcp_oauth_cli::pipe::write_document(&doc.into_document(), ctx.pretty())?;
    Ok(ExitCode::Success)
}

/// The key file as an absolute path (later steps run from other directories), checked
/// now so that a wrong file fails here and not at the first token request.
fn private_key(path: &str) -> anyhow::Result<String> {
    let abs = std::path::absolute(Path::new(path)).with_context(|| format!("resolving the key file path {path}"))?;
    // A file that is not there is the user's typo, not a local failure (exit 2, not 1).
    std::fs::metadata(&abs).map_err(|e| Error::Usage(format!("--private-key-file {path}: {e}")))?;
    let abs = abs.to_string_lossy().into_owned();
    mcp_oauth::jwt::public_jwk(&abs, None)?;
    Ok(abs)
}

/// The pre-registered client's secret: a file, stdin, or the environment, in that order
/// of explicitness; `None` for a public client.
fn client_secret(cli: &Cli) -> mcp_oauth::Result<Option<String>> {
    if let Some(path) = &cli.client_secret_file {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Usage(format!("cannot open the client secret file {path}: {e}")))?;
        return first_line(file, &format!("the client secret file {path}")).map(Some);
    }
    if cli.client_secret_stdin {
        return first_line(std::io::stdin().lock(), "the client secret on stdin").map(Some);
    }
    match std::env::var(SECRET_ENV) {
        Ok(s) if !s.is_empty() => Ok(Some(s)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn secrets_are_never_a_flag_value() {
        // Only the sources of a secret are flags; the value itself cannot be passed.
        let cmd = Cli::command();
        assert!(cmd.get_arguments().all(|a| a.get_long() != Some("client-secret")));
    }

    #[test]
    fn secret_flags_need_a_client_id_and_stdin_needs_the_url() {
        assert!(Cli::try_parse_from(["mcp-dcr", "--client-secret-file", "f", "http://127.0.0.1:1/mcp"]).is_err());
        assert!(Cli::try_parse_from(["mcp-dcr", "--client-id", "c", "--client-secret-stdin"]).is_err());
        assert!(
            Cli::try_parse_from(["mcp-dcr", "--client-id", "c", "--client-secret-stdin", "http://127.0.0.1:1/mcp"])
                .is_ok()
        );
        assert!(Cli::try_parse_from(["mcp-dcr", "--port", "0"]).is_err());
        assert!(Cli::try_parse_from(["mcp-dcr", "--port", "1", "--redirect-uri", "http://127.0.0.1:2/cb"]).is_err());
        assert!(Cli::try_parse_from(["mcp-dcr", "--auth-method", "client_secret_jwt"]).is_err());
    }

    #[test]
    fn a_client_id_may_begin_with_a_hyphen() {
        // Found by a test whose server-generated id began with '-' (1 run in 64).
        let cli = Cli::try_parse_from(["mcp-dcr", "--client-id", "-2xY_a", "http://127.0.0.1:1/mcp"]).unwrap();
        assert_eq!(cli.client_id.as_deref(), Some("-2xY_a"));
    }

    #[test]
    fn the_first_line_is_the_secret() {
        assert_eq!(first_line("s3cret\r\nignored\n".as_bytes(), "x").unwrap(), "s3cret");
        assert_eq!(first_line("a b\n".as_bytes(), "x").unwrap(), "a b", "inner spaces are part of a secret");
        assert_eq!(first_line("\n".as_bytes(), "x").unwrap_err().to_string(), "x is empty");
    }

    #[test]
    fn help_names_the_secret_variable() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains(SECRET_ENV), "{help}");
    }
}
