//! `mcp-authorize --idp`: enterprise-managed authorization (SEP-990). The flags that name
//! the IdP and its client, and the wiring to `mcp_oauth::enterprise`.

use mcp_oauth::authorize::{CodeOptions, Obtained, Plan, Session};
use mcp_oauth::enterprise::{Idp, Login};
use mcp_oauth::registration::{Credentials, Options};
use mcp_oauth_cli::secret_input;

/// Where the IdP client's secret may come from besides a file.
pub const IDP_SECRET_ENV: &str = "MCP_OAUTH_IDP_CLIENT_SECRET";

#[derive(Debug, Clone, Default, clap::Args)]
pub struct EnterpriseArgs {
    /// Enterprise-managed authorization (SEP-990): sign in once at this enterprise IdP
    /// (issuer URL, OIDC/RFC 8414 discovery) and get tokens by exchanging its ID token for
    /// an ID-JAG, never at the MCP server's own login [default: the IdP a stored token for
    /// this server came from]
    #[arg(long, value_name = "ISSUER", conflicts_with_all = ["callback_url", "client_credentials", "import_token", "import_mcp_remote", "docker_gateway"])]
    pub idp: Option<String>,

    /// The IdP's token endpoint, instead of discovering its metadata (then only an ID
    /// token given with --id-token-file or --id-token-env can sign in)
    #[arg(long, value_name = "URL", requires = "idp")]
    pub idp_token_endpoint: Option<String>,

    /// The client pre-registered at the IdP (once: it is stored, like every client); its
    /// secret comes from --idp-client-secret-file or MCP_OAUTH_IDP_CLIENT_SECRET
    // Hyphen values: generated ids are often base64url, and 1 in 64 of those begins with '-'.
    #[arg(long, value_name = "ID", requires = "idp", allow_hyphen_values = true)]
    pub idp_client_id: Option<String>,

    /// Read the IdP client's secret from this file (the first line)
    #[arg(long, value_name = "FILE", requires = "idp_client_id")]
    pub idp_client_secret_file: Option<String>,

    /// PEM private key for the IdP client's private_key_jwt authentication
    #[arg(long, value_name = "FILE", requires = "idp_client_id", conflicts_with = "idp_client_secret_file")]
    pub idp_private_key_file: Option<String>,

    /// The IdP client's registered loopback redirect URI [default: http://127.0.0.1:PORT/callback on a free port]
    #[arg(long, value_name = "URI", requires = "idp_client_id")]
    pub idp_redirect_uri: Option<String>,

    /// Sign in with an ID token from this file ("-": stdin) instead of at the IdP's login
    /// page (no IdP refresh token then: a new one is needed when it expires)
    #[arg(long, value_name = "PATH", requires = "idp", conflicts_with_all = ["id_token_env", "print_url"])]
    pub id_token_file: Option<String>,

    /// Sign in with the ID token in this environment variable
    #[arg(long, value_name = "VAR", requires = "idp", conflicts_with = "print_url")]
    pub id_token_env: Option<String>,
}

impl EnterpriseArgs {
    /// The IdP to go through: the flag, else (unless another grant was asked for) the one
    /// a stored token for this server came from, so later runs need not repeat it.
    pub fn idp(&self, s: Session<'_>, server_url: &str, other_grant: bool) -> mcp_oauth::Result<Option<String>> {
        match &self.idp {
            Some(idp) => Ok(Some(idp.clone())),
            None if other_grant => Ok(None),
            None => mcp_oauth::enterprise::stored_idp(s.store, server_url, s.profile),
        }
    }

    fn client_options(&self) -> anyhow::Result<Options> {
        let client_secret = match (&self.idp_client_secret_file, &self.idp_client_id) {
            (Some(path), _) => Some(secret_input::from_file(path, "the IdP client secret")?),
            (None, Some(_)) => std::env::var(IDP_SECRET_ENV).ok().filter(|s| !s.is_empty()),
            (None, None) => None,
        };
        let private_key_file = match &self.idp_private_key_file {
            Some(p) => Some(std::path::absolute(p)?.to_string_lossy().into_owned()),
            None => None,
        };
        let redirect_uri = mcp_oauth::redirect::from_flags(self.idp_redirect_uri.as_deref(), None)?;
        Ok(Options {
            client_id: self.idp_client_id.clone(),
            credentials: Credentials { client_secret: client_secret.map(Into::into), private_key_file, key_id: None },
            redirect_uri,
            ..Options::default()
        })
    }

    fn id_token(&self) -> mcp_oauth::Result<Option<String>> {
        match (&self.id_token_file, &self.id_token_env) {
            (Some(path), _) => secret_input::from_file(path, "the ID token").map(Some),
            (None, Some(var)) => secret_input::from_env(var, "the ID token").map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The IdP named by the flags (or the store), with its client.
    fn resolve(&self, s: Session<'_>, idp: &str) -> anyhow::Result<Idp> {
        let client = self.client_options()?;
        Ok(Idp::resolve(s.http, s.store, idp, self.idp_token_endpoint.as_deref(), &client, s.profile)?)
    }

    /// `--print-url --idp`: the first half of a headless sign-in at the IdP; the second
    /// (`--callback-url`) continues with the document's MCP server.
    pub fn start_handoff(
        &self,
        s: Session<'_>,
        idp: &str,
        opts: &CodeOptions,
        doc: &mcp_oauth::document::Registered,
    ) -> anyhow::Result<mcp_oauth::document::PendingInfo> {
        let idp = self.resolve(s, idp)?;
        Ok(mcp_oauth::authorize::start_handoff(s, &idp.plan(s.profile), opts, doc)?)
    }

    /// Signs in at `idp` when needed and gets tokens for `plan` through it.
    pub fn obtain(
        &self,
        s: Session<'_>,
        idp: &str,
        plan: &Plan,
        opts: CodeOptions,
        device: bool,
        force: bool,
    ) -> anyhow::Result<Obtained> {
        // Flags first: a bad file must not cost a discovery round trip.
        let id_token = self.id_token()?;
        let idp = self.resolve(s, idp)?;
        let login = match id_token {
            Some(t) => Login::IdToken(t.into()),
            None if device => Login::Device { open_browser: opts.open_browser },
            None => Login::Browser(opts),
        };
        Ok(mcp_oauth::enterprise::obtain(s, plan, &idp, login, force)?)
    }
}
