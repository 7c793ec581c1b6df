//! `mcp-token`: print a valid access token for an MCP server, refreshing it when needed.
//! What shell pipelines and CI scripts call.

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use mcp_oauth::token::{self, Freshness, TokenSet};
use mcp_oauth::{ExitCode, jwt};
use mcp_oauth_cli::pipe::write_line;
use mcp_oauth_cli::{CommonArgs, Context, Input};
use serde_json::{Value, json};

mod status;

const EXAMPLES: &str = r#"  curl -H "Authorization: Bearer $(mcp-token https://mcp.example.com/mcp)" ...
  curl -H "$(mcp-token --format header https://mcp.example.com/mcp)" ...
  eval "$(mcp-token --format env --env-var GH_MCP_TOKEN https://mcp.example.com/mcp)"
  mcp-token --format json --min-valid 600 https://mcp.example.com/mcp | jq .expires_at
  mcp-token --format headers https://mcp.example.com/mcp    # Claude Code's headersHelper
  mcp-token --format header --dpop-method POST https://mcp.example.com/mcp   # a DPoP token: both headers
  mcp-token --format header --dpop-nonce "$NONCE" https://mcp.example.com/mcp  # after a 401 use_dpop_nonce
  mcp-token --list
  mcp-token --status --online            # am I logged in, and does the server agree?"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The access token alone
    Token,
    /// An `Authorization: Bearer ...` header line; for a DPoP token two lines,
    /// `Authorization: DPoP ...` and `DPoP: <proof>`
    Header,
    /// `export VAR=...` for eval
    Env,
    /// JSON with expiry, scopes, issuer and the decoded JWT claims; for a DPoP token also
    /// the scheme, the Authorization value and the proof
    Json,
    /// A JSON object of HTTP headers on one line, `{"Authorization": "Bearer ..."}`: what MCP
    /// clients' header helpers print (Claude Code's `headersHelper`)
    Headers,
}

#[derive(Debug, Parser)]
#[command(
    name = "mcp-token",
    version = mcp_oauth_cli::VERSION,
    about = "Print a valid access token for an MCP server, refreshing it when needed",
    long_about = "Print a valid access token for an MCP server, refreshing it when needed.\n\nWhile the stored token is valid for longer than --min-valid seconds this makes no network request at all and reads the credential store once. Otherwise it refreshes with the stored refresh token (sending the RFC 8707 resource), stores the new tokens, and prints the new access token. A token from the client-credentials grant (mcp-authorize --client-credentials) is renewed by that grant again, with the client secret or private key stored by mcp-dcr, so CI jobs keep working after the first token expires; a workload's token (mcp-authorize --workload-token-file, --workload-token-env or --github-actions) is renewed by the jwt-bearer grant again, with a fresh JWT from the same file, variable or GitHub Actions token service. A token from an enterprise IdP (mcp-authorize --idp) is renewed by a new token exchange at the IdP and jwt-bearer grant, while the IdP sign-in lasts (its ID token, refreshed once with the IdP refresh token when it expired). Exit code 7 means a login is needed (no token, or the refresh or the client credentials were refused); the message names the command to run.\n\nA DPoP-bound token (RFC 9449: mcp-authorize uses DPoP when both the authorization server and the MCP server offer it) is never printed for use as Bearer: --format header prints it with a fresh proof for one request (--dpop-method, --dpop-url, --dpop-nonce), --format json adds the proof, and the Bearer-only formats (token, env, headers) exit 5.",
    after_help = mcp_oauth_cli::after_help(EXAMPLES)
)]
pub struct Cli {
    /// The MCP server URL [default: read the pipeline document on stdin]
    pub url: Option<String>,

    /// Refresh when the token is valid for less than this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 60, env = "MCP_OAUTH_MIN_VALID")]
    pub min_valid: u64,

    /// What to print
    #[arg(long, value_enum, default_value_t = Format::Token)]
    pub format: Format,

    /// Variable name for --format env
    #[arg(long, value_name = "NAME", default_value = "MCP_TOKEN")]
    pub env_var: String,

    /// For a DPoP-bound token: the method of the request the proof is for
    #[arg(long, value_name = "METHOD", default_value = "POST")]
    pub dpop_method: String,

    /// For a DPoP-bound token: the URL of the request the proof is for (its query and
    /// fragment are left out of the proof) [default: the MCP server URL]
    #[arg(long, value_name = "URL")]
    pub dpop_url: Option<String>,

    /// For a DPoP-bound token: the DPoP-Nonce header of the server's 401 use_dpop_nonce
    /// answer, to put in the proof
    // Nonces are often base64url, which may begin with '-'.
    #[arg(long, value_name = "NONCE", allow_hyphen_values = true)]
    pub dpop_nonce: Option<String>,

    /// List the stored clients and tokens (never their secrets) instead
    #[arg(long, conflicts_with_all = ["url", "format", "status"])]
    pub list: bool,

    /// Say which logins are stored (all, or URL's): store, issuer, client, grant, scopes,
    /// expiry, refresh token, pending hand-offs, and sign-ins at enterprise IdPs (apart: they are
    /// no MCP server's login). Text on a terminal, JSON on a pipe or with
    /// --format json. Exit 7 when there is no login (or, with --online, the server refuses it)
    #[arg(long)]
    pub status: bool,

    /// With --status: one authenticated MCP initialize per login, to tell valid, rejected
    /// (401) and insufficient scope (403) apart (never to an IdP)
    #[arg(long, requires = "status")]
    pub online: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(cli.common.clone());
    if cli.list {
        return list(&ctx);
    }
    if cli.status {
        return status::run(&ctx, cli.url.as_deref(), cli.format, cli.online);
    }
    // A --profile flag wins over the document's, as in the other tools.
    let (server_url, profile) = match Input::resolve(cli.url.as_deref())? {
        Input::Url(u) => (u.to_string(), ctx.profile().map(String::from)),
        Input::Document(doc) => (doc.server_url, ctx.profile().map(String::from).or(doc.profile)),
    };
    let (set, freshness) = token::fresh(&ctx.http, ctx.store()?, &server_url, profile.as_deref(), cli.min_valid)?;
    if ctx.args.trace {
        let how = match freshness {
            Freshness::Cached => "stored token is still valid: no request made",
            Freshness::Refreshed => "token refreshed and stored",
        };
        mcp_oauth_cli::say!("mcp-token: {how}");
    }
    let proof = match mcp_oauth::dpop::is_dpop(&set) {
        true => Some(dpop_proof(&ctx, &cli, &set, &server_url, profile.as_deref())?),
        false => None,
    };
    let out = render(&set, proof.as_ref(), cli.format, &cli.env_var, ctx.pretty())?;
    write_line(&out)?;
    Ok(ExitCode::Success)
}

/// What one request with a DPoP token needs besides the token: a proof for its method and URL.
struct Proof {
    proof: mcp_oauth::secret::Secret,
    htm: String,
    htu: String,
}

fn dpop_proof(
    ctx: &Context,
    cli: &Cli,
    set: &TokenSet,
    server_url: &str,
    profile: Option<&str>,
) -> anyhow::Result<Proof> {
    // Checked before the key is read: a bad flag costs nothing.
    let target = cli.dpop_url.as_deref().unwrap_or(server_url);
    let url = mcp_oauth::url_policy::parse("--dpop-url", target)?;
    if cli.dpop_nonce.as_deref().is_some_and(|n| !mcp_oauth::dpop::nonce::is_nonce(n)) {
        return Err(mcp_oauth::Error::Usage("--dpop-nonce is not an RFC 9449 nonce (1*NQCHAR)".into()).into());
    }
    let key = mcp_oauth::dpop::presentation_key(ctx.store()?, set, profile)?;
    let target = mcp_oauth::dpop::proof::Target {
        htm: &cli.dpop_method,
        url: &url,
        access_token: Some(set.access_token.expose()),
        nonce: cli.dpop_nonce.as_deref(),
    };
    let proof = mcp_oauth::dpop::proof::proof(&key, target, mcp_oauth::clock::now())?;
    Ok(Proof { proof, htm: cli.dpop_method.to_ascii_uppercase(), htu: mcp_oauth::dpop::proof::htu(&url) })
}

/// A DPoP token (`proof` given) is never shown where it would be sent as Bearer: only the
/// formats that carry its proof with it.
fn render(
    set: &TokenSet,
    proof: Option<&Proof>,
    format: Format,
    env_var: &str,
    pretty: bool,
) -> anyhow::Result<String> {
    if let Some(p) = proof
        && format != Format::Json
    {
        if format == Format::Header {
            return Ok(format!("Authorization: {}\nDPoP: {}", set.authorization(), p.proof.expose()));
        }
        let name = format!("{format:?}").to_ascii_lowercase();
        return Err(mcp_oauth::Error::Security(format!(
            "the token for {} is DPoP-bound: it needs a fresh proof with every request and is never sent as Bearer, which --format {name} would lead to; use --format header (the Authorization and DPoP header lines) or --format json",
            set.resource
        ))
        .into());
    }
    Ok(match format {
        Format::Token => set.access_token.expose().to_string(),
        Format::Header => format!("Authorization: {}", set.authorization()),
        // One line whatever --compact says: a program reads it, not a person.
        Format::Headers => json!({"Authorization": set.authorization()}).to_string(),
        Format::Env => {
            anyhow::ensure!(
                !env_var.is_empty()
                    && env_var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !env_var.starts_with(|c: char| c.is_ascii_digit()),
                mcp_oauth::Error::Usage(format!("--env-var {env_var:?} is not a shell variable name"))
            );
            format!("export {env_var}={}", shell_quote(set.access_token.expose()))
        }
        Format::Json => {
            let mut v = json!({
                "access_token": set.access_token,
                "token_type": set.token_type,
                "expires_at": set.expires_at,
                "expires_in": set.expires_at.map(|t| t.saturating_sub(mcp_oauth::clock::now())),
                "scope": set.scope,
                "issuer": set.issuer,
                "client_id": set.client_id,
                "resource": set.resource,
            });
            if let Some(p) = proof {
                v["scheme"] = json!(mcp_oauth::dpop::TOKEN_TYPE);
                v["authorization"] = json!(set.authorization());
                v["dpop"] = json!(p.proof);
                v["htm"] = json!(p.htm);
                v["htu"] = json!(p.htu);
                v["dpop_jkt"] = json!(set.dpop_jkt);
            }
            if let Some((header, claims)) = jwt::decode_unverified(set.access_token.expose()) {
                v["jwt"] = json!({"header": header, "claims": claims});
            }
            if pretty { serde_json::to_string_pretty(&v)? } else { v.to_string() }
        }
    })
}

/// Single quotes survive `eval` whatever the token holds.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn list(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let listed = store.list_entries().context("listing the credential store")?;
    let (entries, _) = store.purge_stale_pending(listed, mcp_oauth::clock::now())?;
    let rows: Vec<Value> = entries.iter().map(summary).collect();
    let out = if ctx.pretty() { serde_json::to_string_pretty(&rows)? } else { Value::Array(rows).to_string() };
    write_line(&out)?;
    Ok(ExitCode::Success)
}

/// One row per entry: what a person checks (which server, which issuer, which client,
/// until when, with which scopes, under which profile). The store has already removed
/// every secret member from `record`; this picks the fields worth a column.
fn summary(e: &mcp_oauth::store::Entry) -> Value {
    let r = e.record.clone().unwrap_or(Value::Null);
    let field = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    use mcp_oauth::store::keys::Kind;
    let mut row = json!({"kind": e.kind.map(Kind::as_str), "profile": e.profile, "key": e.key});
    if let Some(file) = &e.file {
        row["file"] = json!(file);
    }
    let wanted: &[&str] = match e.kind {
        Some(Kind::Token) => &["resource", "issuer", "client_id", "expires_at", "scope", "grant", "idp"],
        Some(Kind::Client) => {
            &["issuer", "client_id", "auth_method", "source", "redirect_uri", "client_secret_expires_at"]
        }
        Some(Kind::Pending) => &["issuer", "client_id", "resource", "expires_at"],
        Some(Kind::Dpop) => &["issuer", "client_id", "alg", "jkt"],
        None => &[],
    };
    for k in wanted {
        if !field(k).is_null() {
            row[*k] = field(k);
        }
    }
    if e.kind == Some(Kind::Token)
        && let Some(t) = r.get("expires_at").and_then(Value::as_u64)
    {
        row["expired"] = json!(t <= mcp_oauth::clock::now());
    }
    // Whether it can be refreshed, told by the secret's name alone.
    if e.kind == Some(Kind::Token) && e.record.is_some() {
        row["has_refresh_token"] = json!(e.secrets.iter().any(|s| s == "refresh_token"));
        // A sign-in at an enterprise IdP is no MCP server's token (those name it in `idp`).
        row["idp_sign_in"] = json!(mcp_oauth::enterprise::is_session(e));
    }
    if let Some(err) = &e.error {
        row["error"] = json!(err);
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> TokenSet {
        TokenSet {
            issuer: "https://as.example".into(),
            client_id: "c".into(),
            resource: "https://mcp.example/mcp".into(),
            token_endpoint: "https://as.example/token".into(),
            revocation_endpoint: None,
            access_token: "a'b".into(),
            token_type: "bearer".into(),
            refresh_token: Some("rt".into()),
            expires_at: Some(2_000_000_000),
            scope: Some("mcp:read".into()),
            requested_scope: None,
            id_token: None,
            grant: "authorization_code".into(),
            obtained_at: 0,
            handed_to: None,
            workload: None,
            idp: None,
            dpop_jkt: None,
        }
    }

    #[test]
    fn formats() {
        assert_eq!(render(&set(), None, Format::Token, "X", false).unwrap(), "a'b");
        assert_eq!(render(&set(), None, Format::Header, "X", false).unwrap(), "Authorization: Bearer a'b");
        assert_eq!(render(&set(), None, Format::Env, "MY_T", false).unwrap(), r"export MY_T='a'\''b'");
        assert_eq!(render(&set(), None, Format::Headers, "X", true).unwrap(), r#"{"Authorization":"Bearer a'b"}"#);
        assert!(render(&set(), None, Format::Env, "1BAD", false).is_err());
        assert!(render(&set(), None, Format::Env, "A;rm", false).is_err());
        let j: Value = serde_json::from_str(&render(&set(), None, Format::Json, "X", false).unwrap()).unwrap();
        assert_eq!(j["issuer"], "https://as.example");
        assert!(j.get("refresh_token").is_none(), "the refresh token is never printed");
    }

    #[test]
    fn a_nonce_may_begin_with_a_hyphen() {
        let cli = Cli::try_parse_from(["mcp-token", "--dpop-nonce", "-sXyZ", "https://mcp.example/mcp"]).unwrap();
        assert_eq!(cli.dpop_nonce.as_deref(), Some("-sXyZ"));
        assert_eq!(cli.url.as_deref(), Some("https://mcp.example/mcp"));
    }

    #[test]
    fn a_dpop_token_is_printed_only_with_its_proof() {
        let dpop = TokenSet { token_type: "DPoP".into(), access_token: "at".into(), ..set() };
        let p = Proof { proof: "h.p.s".into(), htm: "POST".into(), htu: "https://mcp.example/mcp".into() };
        let header = render(&dpop, Some(&p), Format::Header, "X", false).unwrap();
        assert_eq!(header, "Authorization: DPoP at\nDPoP: h.p.s");
        let j: Value = serde_json::from_str(&render(&dpop, Some(&p), Format::Json, "X", false).unwrap()).unwrap();
        assert_eq!((j["scheme"].as_str(), j["dpop"].as_str()), (Some("DPoP"), Some("h.p.s")));
        assert_eq!(j["authorization"], "DPoP at");
        for bearer_only in [Format::Token, Format::Env, Format::Headers] {
            let e = render(&dpop, Some(&p), bearer_only, "X", false).unwrap_err();
            let e = e.downcast_ref::<mcp_oauth::Error>().unwrap();
            assert_eq!(e.exit_code().code(), 5, "{bearer_only:?}");
            assert!(e.to_string().contains("--format header"), "{e}");
        }
    }
}
