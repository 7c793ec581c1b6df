//! `mcp-authorize`: obtain tokens for an MCP server and store them: the authorization code
//! flow with PKCE in the browser, a headless two-step hand-off, the device grant, or client
//! credentials, or a workload's own JWT (SEP-1933); step-up on an `insufficient_scope`
//! challenge; a silent refresh first.

use clap::Parser;
use mcp_oauth::authorize::{self, CodeOptions, Flow, Obtained, Plan, Session, StepUp};
use mcp_oauth::discovery::DiscoverOptions;
use mcp_oauth::document::{Discovered, Registered, ScopeChoice, ScopeSource};
use mcp_oauth::registration;
use mcp_oauth::{Error, ExitCode};
use mcp_oauth_cli::{CommonArgs, Context, DiscoverArgs, Input};
use std::io::{BufRead, IsTerminal, Read};
use std::time::Duration;

mod enterprise;

const EXAMPLES: &str = r#"  mcp-discover https://mcp.example.com/mcp | mcp-dcr | mcp-authorize
  mcp-authorize https://mcp.example.com/mcp            # discovers and registers first
  mcp-authorize --no-browser https://mcp.example.com/mcp
  mcp-authorize --print-url https://mcp.example.com/mcp    # on a headless machine, then:
  mcp-authorize --callback-url 'http://127.0.0.1:33418/callback?code=...&state=...&iss=...'
  mcp-authorize --device https://mcp.example.com/mcp
  mcp-dcr --client-id ID --client-secret-file F URL | mcp-authorize --client-credentials
  mcp-authorize --workload-token-file /var/run/secrets/tokens/mcp URL   # a pod's projected token
  mcp-authorize --github-actions URL       # in a job with permissions: id-token: write
  mcp-discover URL | mcp-authorize --workload-token-env CI_JOB_JWT
  mcp-authorize --step-up 'Bearer error="insufficient_scope", scope="mcp:write"' URL
  mcp-authorize --challenge 'Bearer scope="files:read", resource_metadata="..."' URL   # a late 401
  mcp-authorize --auth-param access_type=offline --auth-param prompt=consent URL
  mcp-authorize --idp https://idp.example.com --idp-client-id ID --idp-client-secret-file F URL
  mcp-authorize --idp https://idp.example.com https://other-mcp.example.com/mcp   # same IdP sign-in
  mcp-authorize --idp https://idp.example.com --id-token-env OIDC_ID_TOKEN URL      # CI: an ID token

  mcp-authorize --dpop https://mcp.example.com/mcp        # DPoP-bound tokens, or fail"#;

#[derive(Debug, Parser)]
#[command(group(clap::ArgGroup::new("workload").conflicts_with_all([
    "client_credentials", "device", "print_url", "callback_url", "import_token", "import_mcp_remote", "step_up", "docker_gateway", "idp",
])))]
#[command(
    name = "mcp-authorize",
    version = mcp_oauth_cli::VERSION,
    about = "Obtain tokens: authorization code with PKCE in the browser, headless hand-off, device code, client credentials, or a workload's JWT",
    long_about = "Obtain tokens for an MCP server and store them in the credential store, then write the pipeline document with a summary of them (the tokens themselves only with --reveal-secrets).\n\nBy default a stored refresh token is tried first, silently; only when there is none or the server refuses it does a new authorization start: PKCE S256, a random state, the RFC 8707 resource, the RFC 9207 iss check, a one-shot listener on the registered loopback redirect URI, and the browser ($BROWSER, else the system's). The URL is always printed on stderr as well.",
    after_help = mcp_oauth_cli::after_help(EXAMPLES)
)]
pub struct Cli {
    /// The MCP server URL: discover and register first [default: read the pipeline document on stdin]
    pub url: Option<String>,

    /// Do not open a browser; only print the authorization URL on stderr
    #[arg(long)]
    pub no_browser: bool,

    /// No "logged in to ..." line on stderr after a login (stdout is the document either way)
    #[arg(short, long)]
    pub quiet: bool,

    /// How long to wait for the browser to come back to the redirect URI
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout_callback: u64,

    /// Scope to request instead of the document's choice (space-separated)
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,

    /// Extra authorization request parameter, e.g. access_type=offline or prompt=consent (repeatable)
    #[arg(long = "auth-param", value_name = "NAME=VALUE")]
    pub auth_params: Vec<String>,

    /// Proceed with a server whose metadata does not list code_challenge_methods_supported
    /// (Azure AD / Entra ID, Amazon Cognito); S256 is still sent
    #[arg(long)]
    pub allow_missing_pkce_metadata: bool,

    /// Start a new authorization even when a stored refresh token would do
    #[arg(long)]
    pub force: bool,

    /// Then hand the grant to the Docker MCP gateway (CE mode) as its server NAME: its client
    /// and token entries go to the credsStore of ~/.docker/config.json, and the refresh token
    /// moves there (one holder per rotating refresh token); needs a public client
    #[arg(long, value_name = "NAME", conflicts_with_all = ["print_url", "callback_url"])]
    pub docker_gateway: Option<String>,

    /// Headless, step 1: print the authorization URL, keep the pending state in the store,
    /// and exit; finish with --callback-url
    #[arg(long, conflicts_with_all = ["callback_url", "device", "client_credentials"])]
    pub print_url: bool,

    /// Headless, step 2: the URL the browser was sent back to ("-" reads it from stdin)
    #[arg(long, value_name = "URL", conflicts_with_all = ["url", "device", "client_credentials", "step_up", "scope"])]
    pub callback_url: Option<String>,

    /// Use the device authorization grant (RFC 8628): enter a code on another device
    #[arg(long, conflicts_with = "client_credentials")]
    pub device: bool,

    /// Machine to machine: the client_credentials grant with the pre-registered client's
    /// secret or private key (MCP OAuth client-credentials extension); no user, no browser
    #[arg(long)]
    pub client_credentials: bool,

    /// Workload identity (SEP-1933): present the JWT in PATH (e.g. a Kubernetes projected
    /// service-account token) as a jwt-bearer grant; read again on every renewal, no
    /// registration needed (a client of mcp-dcr --client-id is used when the document has one)
    #[arg(long, value_name = "PATH", group = "workload")]
    pub workload_token_file: Option<String>,

    /// Workload identity: the JWT is in the environment variable VAR (read again on every renewal)
    #[arg(long, value_name = "VAR", group = "workload")]
    pub workload_token_env: Option<String>,

    /// Workload identity in GitHub Actions: ask the job's OIDC token endpoint for a new JWT
    /// every time (the job needs `permissions: id-token: write`)
    #[arg(long, group = "workload")]
    pub github_actions: bool,

    /// The audience to ask GitHub Actions for: what the authorization server expects
    /// [default: its issuer; some servers want the token endpoint URL]
    #[arg(long, value_name = "AUD", requires = "github_actions")]
    pub audience: Option<String>,

    /// Store tokens another program obtained instead of running a flow: an RFC 6749 token
    /// response (JSON) from FILE, or "-" for stdin. They belong to the client the document or
    /// discovery names (mcp-dcr --client-id ID for theirs), which refreshes them
    #[arg(long, value_name = "FILE", conflicts_with_all = ["print_url", "callback_url", "device", "client_credentials", "step_up", "import_mcp_remote"])]
    pub import_token: Option<String>,

    /// Take over mcp-remote's login for this server, client and tokens, so its users switch
    /// without logging in again: PATH is a <hash>_tokens.json file or a directory to search
    /// (--import-mcp-remote=PATH) [default: $MCP_REMOTE_CONFIG_DIR, else ~/.mcp-auth]
    #[arg(long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "", conflicts_with_all = ["print_url", "callback_url", "device", "client_credentials", "step_up"])]
    pub import_mcp_remote: Option<String>,

    /// Step-up: the WWW-Authenticate value of a 403 insufficient_scope answer; requests the
    /// union of the stored token's scopes and the challenged ones, with a new authorization
    #[arg(long, value_name = "CHALLENGE")]
    pub step_up: Option<String>,

    /// Require DPoP (RFC 9449): tokens bound to a key kept in the credential store; fail when
    /// the authorization server does not advertise ES256 DPoP or answers with a Bearer token
    /// [default: DPoP when the authorization server advertises it and the MCP server's resource
    /// metadata lists dpop_signing_alg_values_supported, required when it says
    /// dpop_bound_access_tokens_required, else Bearer]. Not with --idp: the enterprise grant
    /// gives Bearer tokens
    #[arg(long, conflicts_with_all = ["no_dpop", "import_token", "import_mcp_remote", "docker_gateway", "idp"])]
    pub dpop: bool,

    /// Never use DPoP: plain Bearer tokens even from a server that offers DPoP
    #[arg(long, conflicts_with_all = ["import_token", "import_mcp_remote"])]
    pub no_dpop: bool,

    #[command(flatten)]
    pub enterprise: enterprise::EnterpriseArgs,

    #[command(flatten)]
    pub discover: DiscoverArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Flags first: a bad flag must not cost a discovery round trip or a read of stdin.
    let extra_params = authorize::parse_auth_params(&cli.auth_params)?;
    let step_up = cli.step_up.as_deref().map(StepUp::parse).transpose()?;
    let discover_opts = cli.discover.options(cli.scope.as_deref(), cli.common.profile.as_deref())?;
    let ctx = Context::new(cli.common.clone());
    if let Some(callback) = &cli.callback_url {
        return finish_handoff(&ctx, callback);
    }
    let input = Input::resolve(cli.url.as_deref())?;
    if matches!(input, Input::Document(_)) && cli.discover.needs_discovery() {
        return Err(Error::Usage(
            "the discovery flags (--authorization-server, --challenge, --as-metadata, --issuer, the endpoint flags) need the MCP server URL; a piped document was already discovered".into(),
        )
        .into());
    }
    if cli.workload() {
        let discovered = match input {
            Input::Document(doc) => doc.discovered()?,
            Input::Url(url) => mcp_oauth::discovery::discover(&ctx.http, &url, &discover_opts)?,
        };
        return workload(&ctx, &cli, discovered);
    }
    let (mut doc, mcp_remote) = match &cli.import_mcp_remote {
        // mcp-remote's client comes with its tokens: nothing to register.
        Some(path) => {
            let discovered = match input {
                Input::Document(doc) => doc.discovered()?,
                Input::Url(url) => mcp_oauth::discovery::discover(&ctx.http, &url, &discover_opts)?,
            };
            let (doc, login) = take_mcp_remote_client(&ctx, discovered, path)?;
            (doc, Some(login))
        }
        None => match input {
            Input::Document(doc) => (doc.registered()?, None),
            Input::Url(url) => (discover_and_register(&ctx, &url, &discover_opts)?, None),
        },
    };
    let profile = effective_profile(&ctx, &doc);
    let store = ctx.store()?;
    let s = Session { http: &ctx.http, store, profile: profile.as_deref() };
    let mut plan = Plan::from_document(&doc, store, s.profile)?;
    if let Some(scope) = &cli.scope {
        set_scope(
            &mut plan,
            &mut doc,
            ScopeChoice { scopes: mcp_oauth::scope::split(scope), source: ScopeSource::User },
        );
    }
    if let Some(step_up) = &step_up {
        let choice = step_up.scope(s, &plan)?;
        set_scope(&mut plan, &mut doc, choice);
    }
    let opts = CodeOptions {
        timeout_callback: Duration::from_secs(cli.timeout_callback),
        open_browser: !cli.no_browser,
        extra_params,
        allow_missing_pkce_metadata: cli.allow_missing_pkce_metadata,
    };

    // Imported tokens were obtained by another program, bound to no key of ours.
    if cli.import_token.is_none() && cli.import_mcp_remote.is_none() {
        cli.prepare_dpop(s, &mut plan, &doc)?;
    }

    if cli.print_url {
        let pending = match &cli.enterprise.idp {
            Some(idp) => cli.enterprise.start_handoff(s, idp, &opts, &doc)?,
            None => authorize::start_handoff(s, &plan, &opts, &doc)?,
        };
        mcp_oauth_cli::term::lines([
            "mcp-authorize: open this URL in a browser on any machine:",
            "",
            &format!("  {}", pending.authorization_url),
            "",
            &format!(
                "then, within {} minutes, copy the address the browser ends up at (it may fail to load) and run",
                authorize::PENDING_TTL / 60
            ),
            &format!(
                "  mcp-authorize{} --callback-url 'THAT_ADDRESS'",
                mcp_oauth_cli::remedy::profile_flag(profile.as_deref())
            ),
        ]);
        mcp_oauth_cli::pipe::write_document(&doc.with_pending(pending).into_document(), ctx.pretty())?;
        return Ok(ExitCode::Success);
    }

    let imported = match (&cli.import_token, mcp_remote) {
        (Some(file), _) => Some((read_token_response(file)?, None)),
        (None, Some(login)) => Some((login.response, login.expires_at)),
        (None, None) => None,
    };
    if let Some((response, expires_at)) = imported {
        let (set, key) = authorize::import(s, &plan, response, expires_at)?;
        return write_authorized(&ctx, doc, &set, &key);
    }

    let flow = match (cli.client_credentials, cli.device) {
        (true, _) => Flow::ClientCredentials,
        (false, true) => Flow::Device,
        (false, false) => Flow::Code,
    };
    // The enterprise grant (the ID-JAG's jwt-bearer, `enterprise::present`) ignores `plan.dpop` and stays
    // Bearer: binding an ID-JAG grant to a key is another grant, urn:ietf:params:oauth:grant-type:jwt-dpop
    // (ID-JAG §8.6), outside the MCP profiles (mcp-auth-extensions.md §6 item 9).
    let Obtained { set, key, refreshed } = match cli.enterprise.idp(s, &plan.server_url, cli.client_credentials)? {
        Some(_) if plan.dpop.as_ref().is_some_and(|b| b.required) => {
            return Err(Error::Security(format!(
                "{} takes only DPoP-bound tokens, and the enterprise grant gives Bearer ones",
                plan.server_url
            ))
            .into());
        }
        Some(idp) => cli.enterprise.obtain(s, &idp, &plan, opts, cli.device, cli.force)?,
        None => authorize::obtain(s, &plan, &opts, flow, authorize::refresh_first(cli.force, step_up.as_ref()))?,
    };
    if refreshed {
        mcp_oauth_cli::say!(
            "mcp-authorize: refreshed the stored token; no new authorization needed (--force starts one)"
        );
    } else if !cli.quiet {
        logged_in(store, &plan.server_url, &set);
    }
    let set = match &cli.docker_gateway {
        Some(name) => hand_to_gateway(s, &plan, &key, set, name)?,
        None => set,
    };
    write_authorized(&ctx, doc, &set, &key)
}

/// The document written on after a login: the token summary (its secrets only if revealed).
fn write_authorized(
    ctx: &Context,
    doc: Registered,
    set: &mcp_oauth::token::TokenSet,
    key: &mcp_oauth::store::Key,
) -> anyhow::Result<ExitCode> {
    let doc = doc.with_token(set.info(key, ctx.reveal()));
    mcp_oauth_cli::pipe::write_document(&doc.into_document(), ctx.pretty())?;
    Ok(ExitCode::Success)
}

impl Cli {
    fn workload(&self) -> bool {
        self.workload_token_file.is_some() || self.workload_token_env.is_some() || self.github_actions
    }

    /// The DPoP key of the plan's grant, decided by the flags and the MCP server's metadata.
    fn prepare_dpop(&self, s: Session<'_>, plan: &mut Plan, doc: &Discovered) -> anyhow::Result<()> {
        use mcp_oauth::dpop::Mode;
        let asked = match (self.dpop, self.no_dpop) {
            (true, _) => Mode::Require,
            // The gateway gets the refresh token, and it has no DPoP key to present it with.
            (_, true) => Mode::Off,
            _ if self.docker_gateway.is_some() => Mode::Off,
            _ => Mode::Auto,
        };
        let mode = mcp_oauth::dpop::mode_for(asked, doc);
        plan.dpop = mcp_oauth::dpop::prepare(s.store, s.profile, &plan.metadata, &plan.client.client_id, mode)?
            .map(std::sync::Arc::new);
        Ok(())
    }
}

/// Workload identity: one jwt-bearer grant with the workload's JWT, no user and no
/// registration (a pipe from mcp-discover, or a URL, is enough).
fn workload(ctx: &Context, cli: &Cli, mut doc: Discovered) -> anyhow::Result<ExitCode> {
    use mcp_oauth::workload::{self, Source};
    let profile = effective_profile(ctx, &doc);
    let s = Session { http: &ctx.http, store: ctx.store()?, profile: profile.as_deref() };
    let mut plan = workload::plan(&doc, s.store, s.profile)?;
    cli.prepare_dpop(s, &mut plan, &doc)?;
    if let Some(scope) = &cli.scope {
        let choice = ScopeChoice { scopes: mcp_oauth::scope::split(scope), source: ScopeSource::User };
        plan.scope = choice.joined();
        doc.set_scope(choice);
    }
    let source = match (&cli.workload_token_file, &cli.workload_token_env) {
        (Some(path), _) => Source::File { path: path.clone() },
        (None, Some(var)) => Source::Env { var: var.clone() },
        (None, None) => Source::GithubActions { audience: cli.audience.clone().unwrap_or_else(|| plan.issuer.clone()) },
    };
    let Obtained { set, key, .. } = workload::obtain(s, &plan, &source)?;
    if !cli.quiet {
        logged_in(s.store, &plan.server_url, &set);
    }
    // Without a client the document stays short of the registered stage, so it is written
    // as it is, with the token added.
    let mut doc = doc.into_document();
    doc.pending = None;
    doc.token = Some(set.info(&key, ctx.reveal()));
    mcp_oauth_cli::pipe::write_document(&doc, ctx.pretty())?;
    Ok(ExitCode::Success)
}

/// A --profile flag wins over the document's, as in the other tools.
fn effective_profile(ctx: &Context, doc: &Discovered) -> Option<String> {
    ctx.profile().or(doc.profile()).map(String::from)
}

/// `--docker-gateway NAME`: the gateway gets the grant (its client and token entries in the
/// helper it reads), and our record keeps only the access token.
fn hand_to_gateway(
    s: Session<'_>,
    plan: &Plan,
    key: &mcp_oauth::store::Key,
    set: mcp_oauth::token::TokenSet,
    name: &str,
) -> anyhow::Result<mcp_oauth::token::TokenSet> {
    use mcp_oauth::docker_gateway::{Handover, hand_over};
    let authorization_endpoint = plan.metadata.authorization_endpoint.as_deref().ok_or_else(|| {
        Error::Usage("the authorization server has no authorization_endpoint, which the gateway needs".into())
    })?;
    let scopes = plan.metadata.scopes_supported.clone().unwrap_or_default();
    let handover = Handover {
        server_name: name,
        authorization_endpoint,
        scopes_supported: &scopes,
        client: &plan.client,
        set: &set,
    };
    let (helper, kept) = hand_over(s.store, key, &handover, mcp_oauth::clock::now())?;
    mcp_oauth_cli::say!(
        "mcp-authorize: handed the grant to the Docker MCP gateway as server {name} (docker-credential-{helper}); it refreshes it from now on, and mcp-token serves this access token until it expires"
    );
    Ok(kept)
}

fn set_scope(plan: &mut Plan, doc: &mut Registered, choice: ScopeChoice) {
    plan.scope = choice.joined();
    doc.set_scope(choice);
}

fn finish_handoff(ctx: &Context, callback: &str) -> anyhow::Result<ExitCode> {
    let callback = if callback == "-" { read_pasted_url()? } else { callback.to_string() };
    let store = ctx.store()?;
    let s = Session { http: &ctx.http, store, profile: ctx.profile() };
    let (set, doc, reservation) = authorize::finish_handoff(s, &callback)?;
    let key = authorize::store_tokens(s, reservation, &set)?;
    write_authorized(ctx, doc, &set, &key)
}

/// One line from stdin, with a prompt when a person is typing.
fn read_pasted_url() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        mcp_oauth_cli::term::line("Paste the address the browser ended up at, then press Enter:");
        mcp_oauth_cli::term::prompt("> ");
    }
    let mut line = String::new();
    // A callback URL is a few hundred bytes; a huge line is not one.
    stdin
        .lock()
        .take(64 * 1024)
        .read_line(&mut line)
        .map_err(|e| Error::Usage(format!("--callback-url -: cannot read stdin: {e}")))?;
    let line = line.trim().to_string();
    if line.is_empty() {
        return Err(Error::Usage("--callback-url -: nothing was pasted on stdin".into()).into());
    }
    Ok(line)
}

/// `mcp-authorize URL`: the earlier steps of the pipeline, run in-process.
/// One line a person can act on: whom the server sees, what was granted, for how long, and
/// where it is kept. stdout stays the document.
fn logged_in(store: &mcp_oauth::store::Store, server: &str, set: &mcp_oauth::token::TokenSet) {
    let claims = |token: &str| mcp_oauth::jwt::decode_unverified(token).map(|(_, claims)| claims);
    let sub = set
        .id_token
        .as_ref()
        .and_then(|t| claims(t.expose()))
        .or_else(|| claims(set.access_token.expose()))
        .and_then(|c| c.get("sub").and_then(|s| s.as_str()).map(String::from));
    let valid = match set.expires_at.map(|t| t.saturating_sub(mcp_oauth::clock::now())) {
        Some(s) => format!("valid {}", mcp_oauth_cli::term::span(s)),
        None => "no expiry given".to_string(),
    };
    let backend = store.backend_description();
    let backend = backend.split(" (").next().unwrap_or(&backend);
    // A DPoP token is not what `Authorization: Bearer $(mcp-token URL)` can use: say so now.
    let dpop = if mcp_oauth::dpop::is_dpop(set) {
        "; DPoP-bound: present it with mcp-token --format header (or json)"
    } else {
        ""
    };
    mcp_oauth_cli::say!(
        "mcp-authorize: logged in to {server}{}{}: scopes {}, {valid}, stored in {backend}{dpop}",
        sub.map(|s| format!(" as {s}")).unwrap_or_default(),
        set.idp.as_ref().map(|i| format!(" through the IdP {i}")).unwrap_or_default(),
        set.scope.as_deref().filter(|s| !s.is_empty()).unwrap_or("(server default)")
    );
}

/// `--import-token FILE`: the token response, from a file or stdin.
fn read_token_response(file: &str) -> anyhow::Result<mcp_oauth::token::TokenResponse> {
    let (text, source) = if file == "-" {
        let mut text = String::new();
        // A token response is a few KiB; the cap keeps a wrong pipe from filling memory.
        std::io::stdin().lock().take(1024 * 1024).read_to_string(&mut text)?;
        (text, "the token response on stdin".to_string())
    } else {
        let text =
            std::fs::read_to_string(file).map_err(|e| Error::InvalidInput(format!("cannot read {file}: {e}")))?;
        (text, file.to_string())
    };
    Ok(mcp_oauth::import::token_response(&text, &source)?)
}

/// `--import-mcp-remote`: mcp-remote's client for the discovered issuer becomes the stored
/// client (its tokens are bound to it), and the document names it.
fn take_mcp_remote_client(
    ctx: &Context,
    doc: Discovered,
    path: &str,
) -> anyhow::Result<(Registered, mcp_oauth::import::McpRemoteLogin)> {
    let issuer = doc.authorization_server().issuer.clone();
    let dir = match path {
        "" => {
            mcp_oauth::import::mcp_remote_dir().ok_or_else(|| Error::Usage("no HOME to find ~/.mcp-auth in".into()))?
        }
        p => std::path::PathBuf::from(p),
    };
    let login = mcp_oauth::import::find_mcp_remote(&dir, &issuer, mcp_oauth::clock::now())?;
    let (store, profile) = (ctx.store()?, effective_profile(ctx, &doc));
    let key = mcp_oauth::store::keys::client(&issuer, profile.as_deref());
    let _guard = store.lock(&key)?;
    store.save(&key, &login.client)?;
    let doc = doc.with_client(registration::client_info(&login.client, key.as_str(), ctx.reveal()));
    mcp_oauth_cli::say!(
        "mcp-authorize: took mcp-remote's client {} and tokens from {}",
        login.client.client_id,
        login.tokens_file.display()
    );
    Ok((doc, login))
}

fn discover_and_register(ctx: &Context, url: &url::Url, opts: &DiscoverOptions) -> anyhow::Result<Registered> {
    let (doc, obtained) = registration::discover_and_obtain(&ctx.http, url, opts, ctx.reveal(), || {
        Ok((ctx.store()?, registration::Options::default()))
    })?;
    for w in &obtained.warnings {
        mcp_oauth_cli::say!("mcp-authorize: {w}");
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_conflict_where_they_must() {
        use clap::Parser as _;
        assert!(Cli::try_parse_from(["mcp-authorize", "--print-url", "--device"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--callback-url", "x", "http://a"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--timeout-callback", "0"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--step-up", "Bearer", "--client-credentials"]).is_ok());
        assert!(Cli::try_parse_from(["mcp-authorize", "--workload-token-file", "f", "--client-credentials"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--workload-token-file", "f", "--github-actions"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--audience", "a"]).is_err(), "--audience is GitHub's");
        assert!(Cli::try_parse_from(["mcp-authorize", "--github-actions", "--audience", "a", "--scope", "s"]).is_ok());
        assert!(Cli::try_parse_from(["mcp-authorize", "--workload-token-file", "f", "--idp", "https://i"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--idp", "https://i", "--client-credentials"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--idp", "https://i", "--print-url"]).is_ok());
        assert!(
            Cli::try_parse_from(["mcp-authorize", "--idp", "https://i", "--print-url", "--id-token-env", "T"]).is_err()
        );
        assert!(Cli::try_parse_from(["mcp-authorize", "--id-token-env", "T"]).is_err(), "needs --idp");
        assert!(Cli::try_parse_from(["mcp-authorize", "--dpop", "--no-dpop"]).is_err());
        // The ID-JAG grant is Bearer (a bound one is another grant, ID-JAG §8.6): --dpop cannot be kept.
        assert!(Cli::try_parse_from(["mcp-authorize", "--dpop", "--idp", "https://i"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--dpop", "--docker-gateway", "g"]).is_err());
        assert!(Cli::try_parse_from(["mcp-authorize", "--dpop", "--import-token", "f"]).is_err());
    }

    #[test]
    fn enterprise_secrets_are_never_a_flag_value() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        for secret in ["id-token", "idp-client-secret"] {
            assert!(cmd.get_arguments().all(|a| a.get_long() != Some(secret)), "--{secret}");
        }
    }
}
