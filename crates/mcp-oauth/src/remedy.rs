//! What the user can do about an error, as data. The library knows no command line: it
//! says *what* to do (register the client again with a method, log in again with a grant,
//! give a secret) and which of its inputs an error is about, and `mcp_oauth_cli::remedy`
//! says it with the tools' real names and flags. `Display` here is the same advice in
//! plain words, for other callers of the library.

use crate::client::AuthMethod;
use crate::grant_type::GrantType;
use std::fmt;

/// An input the library takes from its caller, by what it means; the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    AuthorizationServer,
    StepUp,
    AuthParam,
    CallbackUrl,
    CredentialHelper,
    Port,
    RedirectUri,
    Scope,
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Input::AuthorizationServer => "the chosen authorization server",
            Input::StepUp => "the step-up challenge",
            Input::AuthParam => "the extra authorization parameter",
            Input::CallbackUrl => "the pasted callback URL",
            Input::CredentialHelper => "the credential helper",
            Input::Port => "the callback port",
            Input::RedirectUri => "the redirect URI",
            Input::Scope => "the scope",
        })
    }
}

/// A client registration that would get past the error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    /// Register anew, replacing the stored client (when `client_id` is `None`).
    pub replace: bool,
    /// Give this pre-registered client again (`Some("ID")` when the user must fill it in).
    pub client_id: Option<String>,
    pub auth_method: Option<AuthMethod>,
    pub private_key: bool,
    pub redirect_uri: bool,
    /// A callback port; `Some(None)` when the user must pick one.
    pub port: Option<Option<u16>>,
    pub profile: Option<String>,
    pub server: Option<String>,
}

/// What to do about an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Register the client again like this.
    Register(Registration),
    /// The server rejected the client's authentication but also accepts the method in
    /// this registration: register again with it.
    SwitchAuthMethod(Registration),
    /// Log in again to `server` with the grant the stored token came from (`None`: unknown,
    /// so both the browser login and the machine-to-machine one are named).
    Login { server: Option<String>, grant: Option<GrantType>, profile: Option<String> },
    /// Get a workload's token again from the same source of its JWT.
    Workload { server: String, source: crate::workload::Source, profile: Option<String> },
    /// Sign in at the enterprise IdP again, for this MCP server; `auth_params` are what the
    /// IdP asked of that sign-in (`max_age`, `acr_values`: ID-JAG §8.2), for its
    /// authorization request.
    IdpSignIn { idp: String, server: String, profile: Option<String>, auth_params: Vec<(String, String)> },
    /// Name the enterprise IdP's client once: its id, and its secret or key.
    IdpClient,
    /// Give the enterprise IdP's client again with another loopback redirect URI registered
    /// at the IdP (the IdP's sign-in could not receive its callback on the stored one).
    IdpRedirect,
    /// Give the client's credentials: its secret, its private key, or either.
    GiveCredentials { secret: bool, key: bool },
    /// Register a client with the provider by hand and give it (or, `metadata_document`,
    /// the URL of a Client ID Metadata Document, which the server supports).
    PreRegister { metadata_document: bool },
    /// A confidential client is needed: give a pre-registered one with its secret or key.
    Confidential,
    /// Register the client with a redirect URI or a port, or log in with the device grant.
    RedirectOrDevice,
    /// Start over as a hand-off: print the authorization URL and paste the callback.
    HandOff,
    /// No listener can take the callback: register a loopback redirect URI, or paste the
    /// callback URL by hand.
    LoopbackOrHandOff,
    /// The browser took too long: wait longer, or log in without a browser.
    WaitLonger,
    /// The provider supports PKCE without saying so: allow its missing metadata.
    AllowMissingPkceMetadata,
    /// Give this input instead.
    Use(Input),
    /// What was given is a stored sign-in at an enterprise IdP, not an MCP server: see the
    /// sign-ins and the servers they serve in the status.
    IdpStatus,
    /// Advice in words, from a caller outside the library.
    Said(String),
}

impl From<String> for Remedy {
    fn from(s: String) -> Self {
        Remedy::Said(s)
    }
}

impl From<&str> for Remedy {
    fn from(s: &str) -> Self {
        Remedy::Said(s.to_string())
    }
}

impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remedy::SwitchAuthMethod(r) => {
                let method = r.auth_method.map(|m| m.as_str()).unwrap_or("another method");
                write!(f, "the server also accepts {method}: {}", Remedy::Register(r.clone()))
            }
            Remedy::Register(r) => {
                let what = match &r.client_id {
                    Some(id) => format!("give the pre-registered client {id} again"),
                    None if r.replace => "register a new client".to_string(),
                    None => "register the client again".to_string(),
                };
                write!(f, "{what}")?;
                if let Some(m) = r.auth_method {
                    write!(f, " with client authentication {m}")?;
                }
                if r.private_key {
                    write!(f, " with its private key")?;
                }
                if r.redirect_uri || r.port.is_some() {
                    write!(f, " with a loopback redirect URI")?;
                }
                Ok(())
            }
            Remedy::Login { grant, .. } => match grant {
                Some(GrantType::ClientCredentials) => write!(f, "get a token again with the client_credentials grant"),
                Some(GrantType::DeviceCode) => write!(f, "log in again with the device grant"),
                _ => write!(f, "log in again"),
            },
            Remedy::IdpSignIn { idp, .. } => write!(f, "sign in at the IdP {idp} again"),
            Remedy::IdpClient => write!(f, "name the IdP's client once (its id, and its secret or key)"),
            Remedy::IdpRedirect => {
                write!(f, "give the IdP's client again with another loopback redirect URI registered at the IdP")
            }
            Remedy::Workload { source, .. } => write!(f, "get a token again with a JWT from {source}"),
            Remedy::GiveCredentials { secret: true, key: true } => write!(f, "give the client secret or a private key"),
            Remedy::GiveCredentials { secret: true, .. } => write!(f, "give the client secret"),
            Remedy::GiveCredentials { .. } => write!(f, "give the private key"),
            Remedy::PreRegister { .. } => write!(f, "register a client with the provider and give its client ID"),
            Remedy::Confidential => write!(f, "give a pre-registered client with its secret or private key"),
            Remedy::RedirectOrDevice => {
                write!(f, "register it with a redirect URI, or use the device authorization grant")
            }
            Remedy::HandOff => write!(f, "start again, printing the authorization URL"),
            Remedy::LoopbackOrHandOff => write!(
                f,
                "register a new client with a loopback redirect URI, or complete the authorization by pasting the callback URL"
            ),
            Remedy::WaitLonger => write!(f, "wait longer, or log in without a browser on this machine"),
            Remedy::AllowMissingPkceMetadata => write!(
                f,
                "if this is a provider known to support PKCE without saying so (Azure AD / Entra ID, Amazon Cognito), allow the missing metadata"
            ),
            Remedy::Use(input) => write!(f, "use {input}"),
            Remedy::IdpStatus => write!(f, "see the IdP sign-in and the MCP servers it serves in the status"),
            Remedy::Said(s) => f.write_str(s),
        }
    }
}
