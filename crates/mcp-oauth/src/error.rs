//! The library's error type and its stable mapping to process exit codes.
//!
//! Scripts branch on these codes ("needs a login" vs "network down"), so a code, once
//! published, never changes meaning. The table is in the README and in every man page
//! (all generated from [`ExitCode::meaning`]).

use std::fmt;

/// Process exit codes shared by every tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Success = 0,
    /// A bug or an unexpected local failure (I/O on our own files, ...).
    Internal = 1,
    /// Bad command line or bad input document (clap also exits 2 on usage errors).
    Usage = 2,
    /// The server answered, but not as the specs require, or with an OAuth error.
    Protocol = 3,
    /// The server could not be reached: DNS, connect, TLS, timeout.
    Network = 4,
    /// Refused for safety: non-HTTPS endpoint, issuer or `iss` mismatch, state mismatch,
    /// PRM resource mismatch, no PKCE S256.
    Security = 5,
    /// The credential helper or the file store failed.
    Store = 6,
    /// No usable stored token (none stored, or the server refused the refresh): run a login.
    LoginRequired = 7,
    /// The user or the server declined the authorization, or the callback never came.
    AuthorizationFailed = 8,
    /// Partly done: local state was erased but the server-side revocation failed.
    Partial = 9,
    /// `mcp-discover --check` found at least one spec error.
    CheckFailed = 10,
    /// The server does not ask for authorization: no 401 challenge and no resource metadata.
    NotProtected = 11,
}

impl ExitCode {
    pub const ALL: [ExitCode; 12] = [
        ExitCode::Success,
        ExitCode::Internal,
        ExitCode::Usage,
        ExitCode::Protocol,
        ExitCode::Network,
        ExitCode::Security,
        ExitCode::Store,
        ExitCode::LoginRequired,
        ExitCode::AuthorizationFailed,
        ExitCode::Partial,
        ExitCode::CheckFailed,
        ExitCode::NotProtected,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    /// A stable name for scripts and agents (`--error-format json`), never renamed.
    pub fn name(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::Internal => "internal",
            ExitCode::Usage => "usage",
            ExitCode::Protocol => "protocol",
            ExitCode::Network => "network",
            ExitCode::Security => "refused_for_safety",
            ExitCode::Store => "credential_store",
            ExitCode::LoginRequired => "login_required",
            ExitCode::AuthorizationFailed => "authorization_failed",
            ExitCode::Partial => "partly_done",
            ExitCode::CheckFailed => "check_failed",
            ExitCode::NotProtected => "not_protected",
        }
    }

    /// The one line a user reads in `--help`, the man pages and the README (all generated
    /// from this, so the three never disagree).
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::Internal => "internal error",
            ExitCode::Usage => "usage error: bad flags, not a URL, bad input document",
            ExitCode::Protocol => "protocol error: the server answered with an error or off-spec",
            ExitCode::Network => "network error: unreachable, TLS failure, timeout",
            ExitCode::Security => {
                "refused for safety: non-HTTPS endpoint, issuer/iss/state/resource mismatch, no PKCE S256"
            }
            ExitCode::Store => "credential store error",
            ExitCode::LoginRequired => "login required: no stored token, or the refresh was refused",
            ExitCode::AuthorizationFailed => "authorization declined, or no callback before the timeout",
            ExitCode::Partial => "partly done: erased locally, but revocation at the server failed",
            ExitCode::CheckFailed => "--check found spec errors",
            ExitCode::NotProtected => {
                "the server does not ask for authorization (no 401 challenge, no resource metadata)"
            }
        }
    }
}

/// The exit-code table as it appears in `--help` and the man pages.
pub fn exit_codes_help() -> String {
    let mut text = String::from("EXIT STATUS:");
    for code in ExitCode::ALL {
        text += &format!("\n  {:<3} {}", code.code(), code.meaning());
    }
    text
}

/// An OAuth error response (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8628 §3.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthErrorBody {
    pub error: String,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
    /// The step-up parameters beside the error, when there are any (boxed: every `Error`
    /// carries this body, and they are rare).
    pub step_up: Option<Box<StepUpWants>>,
}

/// RFC 9470 §3 (and ID-JAG §8.2 at an IdP): the sign-in a step-up error asks for, as the
/// OIDC Core §3.1.2.1 authorization request parameters that get it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepUpWants {
    pub acr_values: Option<String>,
    pub max_age: Option<u64>,
}

impl fmt::Display for OAuthErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(d) = &self.error_description {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    #[error("{0}")]
    InvalidInput(String),

    #[error("{url}: {message}")]
    Network { url: String, message: String },

    #[error("{url}: {message}")]
    Protocol { url: String, message: String },

    #[error("{context}: the server said {body}")]
    OAuth { context: String, body: OAuthErrorBody },

    #[error("refused: {0}")]
    Security(String),

    #[error("credential store: {0}")]
    Store(String),

    #[error("{0}")]
    LoginRequired(String),

    #[error("{0}")]
    AuthorizationFailed(String),

    #[error("{0}")]
    Partial(String),

    #[error("{0}")]
    CheckFailed(String),

    #[error("{0}")]
    NotProtected(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Internal(String),

    /// Another error with what to do about it; same exit code as the error itself.
    #[error("{error}; {hint}")]
    Hinted { error: Box<Error>, hint: crate::remedy::Remedy },

    /// Another error about one of the caller's inputs, which the command line names.
    #[error("{input}: {error}")]
    About { input: crate::remedy::Input, error: Box<Error> },
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::InvalidInput(_) => ExitCode::Usage,
            Error::Network { .. } => ExitCode::Network,
            Error::Protocol { .. } | Error::OAuth { .. } => ExitCode::Protocol,
            Error::Security(_) => ExitCode::Security,
            Error::Store(_) => ExitCode::Store,
            Error::LoginRequired(_) => ExitCode::LoginRequired,
            Error::AuthorizationFailed(_) => ExitCode::AuthorizationFailed,
            Error::Partial(_) => ExitCode::Partial,
            Error::CheckFailed(_) => ExitCode::CheckFailed,
            Error::NotProtected(_) => ExitCode::NotProtected,
            Error::Io { .. } | Error::Internal(_) => ExitCode::Internal,
            Error::Hinted { error, .. } | Error::About { error, .. } => error.exit_code(),
        }
    }

    pub fn protocol(url: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Protocol { url: url.into(), message: message.into() }
    }

    pub fn network(url: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Network { url: url.into(), message: message.into() }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// This error followed by what the user can do about it.
    pub fn with_hint(self, hint: impl Into<crate::remedy::Remedy>) -> Self {
        Error::Hinted { error: Box::new(self), hint: hint.into() }
    }

    /// This error as one about the caller's `input`.
    pub fn about(self, input: crate::remedy::Input) -> Self {
        Error::About { input, error: Box::new(self) }
    }

    /// The error itself, without the remedy or input it was wrapped with.
    pub fn bare(&self) -> &Error {
        match self {
            Error::Hinted { error, .. } | Error::About { error, .. } => error.bare(),
            other => other,
        }
    }

    /// What the user can do about this error, when the library knows.
    pub fn remedy(&self) -> Option<&crate::remedy::Remedy> {
        match self {
            Error::Hinted { hint, .. } => Some(hint),
            Error::About { error, .. } => error.remedy(),
            _ => None,
        }
    }

    /// The OAuth `error` code, when the server sent one.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Error::OAuth { body, .. } => Some(&body.error),
            Error::Hinted { error, .. } | Error::About { error, .. } => error.oauth_error(),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_in_the_help_table_once_in_order() {
        let help = exit_codes_help();
        let codes: Vec<u8> =
            help.lines().skip(1).map(|l| l.split_whitespace().next().unwrap().parse().unwrap()).collect();
        assert_eq!(codes, (0..=11).collect::<Vec<u8>>(), "{help}");
        for (i, code) in ExitCode::ALL.iter().enumerate() {
            assert_eq!(code.code() as usize, i, "ALL is in code order");
        }
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(Error::LoginRequired(String::new()).exit_code().code(), 7);
        assert_eq!(Error::network("u", "m").exit_code().code(), 4);
        assert_eq!(Error::Security(String::new()).exit_code().code(), 5);
        assert_eq!(Error::CheckFailed(String::new()).exit_code().code(), 10);
        assert_eq!(Error::NotProtected(String::new()).exit_code().code(), 11);
    }

    #[test]
    fn a_hint_keeps_the_code_and_the_oauth_error() {
        let body = OAuthErrorBody { error: "invalid_client".into(), ..Default::default() };
        let hinted = Error::OAuth { context: "token request (401)".into(), body }.with_hint("run: x");
        assert_eq!(hinted.exit_code(), ExitCode::Protocol);
        assert_eq!(hinted.oauth_error(), Some("invalid_client"));
        assert_eq!(hinted.to_string(), "token request (401): the server said invalid_client; run: x");
    }
}
