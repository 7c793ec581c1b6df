//! The discovery flags every tool that takes a server URL shares, and what they become:
//! [`DiscoverOptions`], with hand-given authorization-server metadata and a `--challenge`
//! checked before any request is made.

use mcp_oauth::discovery::DiscoverOptions;
use mcp_oauth::metadata::AuthorizationServerMetadata;
use mcp_oauth::www_authenticate::{self, Challenge};
use mcp_oauth::{Error, Result, scope, url_policy};
use std::io::Read;
use std::path::PathBuf;

/// Metadata files given with `--as-metadata` are a few KiB.
const MAX_METADATA_FILE: u64 = 1024 * 1024;

/// The discovery flags, for every tool that accepts a server URL (`#[command(flatten)]`).
/// `--scope` is not here: each tool has its own meaning for it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DiscoverArgs {
    /// Use this authorization server, one of those the resource metadata lists [default: the first]
    #[arg(long, value_name = "URL")]
    pub authorization_server: Option<String>,

    /// The WWW-Authenticate value of a 401 your client got on a later request: a 2026-07-28
    /// server may answer initialize without a token and challenge only tools/list or
    /// tools/call. Its scope and resource_metadata take precedence over the probe's (a 403
    /// insufficient_scope is mcp-authorize --step-up instead)
    #[arg(long, value_name = "CHALLENGE")]
    pub challenge: Option<String>,

    /// Skip discovery: read the authorization-server metadata (RFC 8414 JSON) from FILE;
    /// the endpoint flags override its members
    #[arg(long, value_name = "FILE", help_heading = "Without discovery")]
    pub as_metadata: Option<PathBuf>,

    /// Skip discovery: the authorization server's issuer identifier [default: the origin of
    /// the authorization (else token) endpoint]
    #[arg(long, value_name = "URL", help_heading = "Without discovery")]
    pub issuer: Option<String>,

    /// Skip discovery: the authorization endpoint
    #[arg(long, value_name = "URL", help_heading = "Without discovery")]
    pub authorization_endpoint: Option<String>,

    /// Skip discovery: the token endpoint
    #[arg(long, value_name = "URL", help_heading = "Without discovery")]
    pub token_endpoint: Option<String>,

    /// Skip discovery: the RFC 7591 registration endpoint
    #[arg(long, value_name = "URL", help_heading = "Without discovery")]
    pub registration_endpoint: Option<String>,

    /// Skip discovery: the RFC 7009 revocation endpoint
    #[arg(long, value_name = "URL", help_heading = "Without discovery")]
    pub revocation_endpoint: Option<String>,

    /// Skip discovery: the RFC 8628 device authorization endpoint
    #[arg(long, value_name = "URL", help_heading = "Without discovery")]
    pub device_authorization_endpoint: Option<String>,

    /// Skip discovery: scopes the server supports (comma-separated, repeatable)
    #[arg(long, value_name = "SCOPES", value_delimiter = ',', help_heading = "Without discovery")]
    pub scopes_supported: Vec<String>,

    /// Skip discovery: PKCE methods the server supports [default: S256, which OAuth 2.1 requires]
    #[arg(long, value_name = "METHODS", value_delimiter = ',', help_heading = "Without discovery")]
    pub code_challenge_methods_supported: Vec<String>,

    /// Skip discovery: client authentication methods the token endpoint accepts
    /// [default: client_secret_basic, per RFC 8414]
    #[arg(long, value_name = "METHODS", value_delimiter = ',', help_heading = "Without discovery")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

impl DiscoverArgs {
    /// The options for [`mcp_oauth::discovery::discover`]; reads `--as-metadata` and checks the endpoint flags,
    /// so a bad flag fails before any request.
    pub fn options(&self, scope: Option<&str>, profile: Option<&str>) -> Result<DiscoverOptions> {
        Ok(DiscoverOptions {
            authorization_server: self.authorization_server.clone(),
            scope: scope.map(String::from),
            profile: profile.map(String::from),
            manual: self.manual_metadata()?,
            challenge: self.challenge.as_deref().map(given_challenge).transpose()?,
        })
    }

    /// Flags that shape a discovery, so a tool given an already discovered document on
    /// stdin refuses them instead of ignoring them.
    pub fn needs_discovery(&self) -> bool {
        self.is_manual() || self.authorization_server.is_some() || self.challenge.is_some()
    }

    fn endpoint_flags(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("--issuer", &self.issuer),
            ("--authorization-endpoint", &self.authorization_endpoint),
            ("--token-endpoint", &self.token_endpoint),
            ("--registration-endpoint", &self.registration_endpoint),
            ("--revocation-endpoint", &self.revocation_endpoint),
            ("--device-authorization-endpoint", &self.device_authorization_endpoint),
        ]
    }

    /// Whether discovery is replaced by hand-given metadata.
    pub fn is_manual(&self) -> bool {
        self.as_metadata.is_some() || self.endpoint_flags().iter().any(|(_, v)| v.is_some())
    }

    /// The hand-configured metadata, if any flag asks for it.
    pub fn manual_metadata(&self) -> Result<Option<AuthorizationServerMetadata>> {
        if !self.is_manual() {
            return Ok(None);
        }
        let url = |flag: &str, v: &Option<String>| -> Result<Option<String>> {
            v.as_deref().map(|s| url_policy::parse(flag, s).map(|u| u.to_string())).transpose()
        };
        let authorization_endpoint = url("--authorization-endpoint", &self.authorization_endpoint)?;
        let token_endpoint = url("--token-endpoint", &self.token_endpoint)?;
        let mut meta = match &self.as_metadata {
            Some(path) => read_metadata_file(path)?,
            None => {
                let Some(endpoint) = authorization_endpoint.as_ref().or(token_endpoint.as_ref()) else {
                    return Err(Error::Usage(
                        "without discovery, give at least --authorization-endpoint or --token-endpoint (or --as-metadata FILE)".into(),
                    ));
                };
                let origin = url_policy::origin(&url_policy::parse("endpoint", endpoint)?);
                let mut m = AuthorizationServerMetadata::from_endpoints(origin);
                m.code_challenge_methods_supported = Some(vec!["S256".into()]);
                m.response_types_supported = Some(vec!["code".into()]);
                m
            }
        };
        if let Some(issuer) = &self.issuer {
            // The issuer is compared as a string later (credentials are bound to it), so
            // it is kept as typed, only checked to be a URL.
            url_policy::parse("--issuer", issuer)?;
            meta.issuer = issuer.clone();
        }
        let set = |field: &mut Option<String>, v: Option<String>| {
            if v.is_some() {
                *field = v;
            }
        };
        set(&mut meta.authorization_endpoint, authorization_endpoint);
        set(&mut meta.token_endpoint, token_endpoint);
        set(&mut meta.registration_endpoint, url("--registration-endpoint", &self.registration_endpoint)?);
        set(&mut meta.revocation_endpoint, url("--revocation-endpoint", &self.revocation_endpoint)?);
        set(
            &mut meta.device_authorization_endpoint,
            url("--device-authorization-endpoint", &self.device_authorization_endpoint)?,
        );
        let list = |field: &mut Option<Vec<String>>, v: &[String]| {
            let items: Vec<String> = v.iter().flat_map(|s| s.split(',')).flat_map(scope::split).collect();
            if !items.is_empty() {
                *field = Some(items);
            }
        };
        list(&mut meta.scopes_supported, &self.scopes_supported);
        list(&mut meta.code_challenge_methods_supported, &self.code_challenge_methods_supported);
        list(&mut meta.token_endpoint_auth_methods_supported, &self.token_endpoint_auth_methods_supported);
        Ok(Some(meta))
    }
}

/// `--challenge VALUE`: a 401's `Bearer` challenge, checked before any request.
fn given_challenge(value: &str) -> Result<Challenge> {
    let challenges = www_authenticate::parse(value);
    let bearer = www_authenticate::bearer(&challenges).cloned().ok_or_else(|| {
        Error::Usage("--challenge: not a Bearer challenge (give the WWW-Authenticate value of the 401 answer)".into())
    })?;
    if bearer.error() == Some("insufficient_scope") {
        return Err(Error::Usage(
            "--challenge: an insufficient_scope challenge (a 403) asks for more scope: use mcp-authorize --step-up"
                .into(),
        ));
    }
    if let Some(u) = bearer.resource_metadata() {
        url_policy::parse("--challenge resource_metadata", u)?;
    }
    Ok(bearer)
}

fn read_metadata_file(path: &std::path::Path) -> Result<AuthorizationServerMetadata> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| Error::Usage(format!("--as-metadata {shown}: {e}")))?;
    let mut text = String::new();
    file.take(MAX_METADATA_FILE)
        .read_to_string(&mut text)
        .map_err(|e| Error::Usage(format!("--as-metadata {shown}: {e}")))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::InvalidInput(format!("--as-metadata {shown} is not authorization-server metadata: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mcp_oauth::discovery::manual;
    use mcp_oauth::document::DiscoverySource;

    fn u(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    fn good_metadata() -> AuthorizationServerMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://as.example",
            "authorization_endpoint": "https://as.example/auth",
            "token_endpoint": "https://as.example/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }))
        .unwrap()
    }

    #[test]
    fn manual_flags_build_metadata() {
        let args = DiscoverArgs {
            authorization_endpoint: Some("https://accounts.example.com/o/oauth2/v2/auth".into()),
            token_endpoint: Some("https://oauth2.example.com/token".into()),
            scopes_supported: vec!["openid,email".into(), "profile".into()],
            ..DiscoverArgs::default()
        };
        let opts = args.options(Some("email"), None).unwrap();
        let meta = opts.manual.clone().unwrap();
        assert_eq!(meta.issuer, "https://accounts.example.com");
        assert_eq!(meta.scopes_supported.as_deref().unwrap(), ["openid", "email", "profile"]);
        assert!(meta.supports_pkce_s256());
        let doc = manual(&u("https://mcp.example.com/mcp"), meta, &opts).unwrap();
        let a = doc.authorization_server();
        assert_eq!(a.issuer, "https://accounts.example.com");
        assert_eq!(doc.discovery().unwrap().source, DiscoverySource::Manual);
        assert_eq!(doc.scope().unwrap().scopes, ["email"]);
        assert_eq!(doc.resource(), "https://mcp.example.com/mcp");
    }

    #[test]
    fn manual_flags_are_checked_before_any_request() {
        let only_revocation =
            DiscoverArgs { revocation_endpoint: Some("https://x/revoke".into()), ..DiscoverArgs::default() };
        assert_eq!(only_revocation.options(None, None).unwrap_err().exit_code().code(), 2);
        let bad = DiscoverArgs { token_endpoint: Some("nope".into()), ..DiscoverArgs::default() };
        assert_eq!(bad.options(None, None).unwrap_err().exit_code().code(), 2);
        let insecure =
            DiscoverArgs { token_endpoint: Some("http://as.example/token".into()), ..DiscoverArgs::default() };
        let opts = insecure.options(None, None).unwrap();
        let e = manual(&u("https://mcp.example.com"), opts.manual.clone().unwrap(), &opts).unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
        assert!(!DiscoverArgs::default().is_manual());
        assert!(DiscoverArgs::default().options(None, None).unwrap().manual.is_none());
    }

    #[test]
    fn metadata_file_with_flag_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("as.json");
        std::fs::write(&path, serde_json::to_string(&good_metadata()).unwrap()).unwrap();
        let args = DiscoverArgs {
            as_metadata: Some(path.clone()),
            revocation_endpoint: Some("https://as.example/revoke".into()),
            ..DiscoverArgs::default()
        };
        let meta = args.manual_metadata().unwrap().unwrap();
        assert_eq!(meta.issuer, "https://as.example");
        assert_eq!(meta.revocation_endpoint.as_deref(), Some("https://as.example/revoke"));
        std::fs::write(&path, "<html>").unwrap();
        assert_eq!(args.manual_metadata().unwrap_err().exit_code().code(), 2);
        let missing = DiscoverArgs { as_metadata: Some(dir.path().join("nope.json")), ..DiscoverArgs::default() };
        assert_eq!(missing.manual_metadata().unwrap_err().exit_code().code(), 2);
    }

    /// The flags must flatten into every tool next to the common flags and a tool's own
    /// `--scope` (clap panics at startup on a duplicate).
    #[test]
    fn discover_args_flatten_beside_the_common_flags() {
        use clap::{CommandFactory, Parser};
        #[derive(Parser)]
        struct Tool {
            #[arg(long)]
            scope: Option<String>,
            #[command(flatten)]
            discover: DiscoverArgs,
            #[command(flatten)]
            common: crate::CommonArgs,
        }
        Tool::command().debug_assert();
        let t =
            Tool::try_parse_from(["t", "--scope", "a", "--token-endpoint", "https://x/t", "--scopes-supported", "a,b"])
                .unwrap();
        assert_eq!(t.scope.as_deref(), Some("a"));
        assert!(t.discover.is_manual());
        assert_eq!(t.discover.scopes_supported, ["a", "b"]);
        assert!(!t.common.trace);
    }
}
