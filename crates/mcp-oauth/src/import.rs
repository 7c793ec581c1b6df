//! Tokens another program obtained (agent runtimes' "unmanaged" mode hands back an RFC 6749
//! token response; mcp-remote keeps its logins in `~/.mcp-auth`), taken into the store so
//! that `mcp-token` serves them and, with their client, refreshes them. What comes in is
//! checked like a token endpoint's answer: the same syntax rules, the same refusals.

use crate::client::{AuthMethod, ClientRecord, ClientSource};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenResponse;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// An RFC 6749 §5.1 token response given by the user (a file or stdin).
pub fn token_response(text: &str, source: &str) -> Result<TokenResponse> {
    let body: Map<String, Value> = serde_json::from_str(text).map_err(|e| {
        Error::InvalidInput(format!("{source} is not a JSON object (line {}, column {})", e.line(), e.column()))
    })?;
    crate::token::parse_response(&body, source).map_err(|e| match e {
        // The user's input, not a server's answer: a usage error.
        Error::Protocol { message, .. } => Error::InvalidInput(format!("{source}: {message}")),
        other => other,
    })
}

/// One mcp-remote login: its client registration and its tokens.
#[derive(Debug)]
pub struct McpRemoteLogin {
    pub tokens_file: PathBuf,
    pub client: ClientRecord,
    pub response: TokenResponse,
    /// When the tokens expire, from `expires_at` (ms) or the file's time plus `expires_in`.
    pub expires_at: Option<u64>,
}

/// mcp-remote's directory: `MCP_REMOTE_CONFIG_DIR`, else `~/.mcp-auth`.
pub fn mcp_remote_dir() -> Option<PathBuf> {
    std::env::var_os("MCP_REMOTE_CONFIG_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| Path::new(&h).join(".mcp-auth")))
}

/// The mcp-remote login for `issuer` under `path`: a `<hash>_tokens.json` file itself, or a
/// directory searched (with its `mcp-remote-*` version folders) for the `_tokens.json` files
/// whose `_client_info.json` is present and, where it records one, names this issuer. More
/// than one match is a usage error listing them: pass the file.
pub fn find_mcp_remote(path: &Path, issuer: &str, now: u64) -> Result<McpRemoteLogin> {
    let candidates: Vec<PathBuf> = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        let mut dirs = vec![path.to_path_buf()];
        for entry in std::fs::read_dir(path)
            .map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?
            .flatten()
        {
            if entry.file_name().to_string_lossy().starts_with("mcp-remote-") && entry.path().is_dir() {
                dirs.push(entry.path());
            }
        }
        let mut files = Vec::new();
        for dir in dirs {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.to_string_lossy().ends_with("_tokens.json") && client_info_path(&p).is_file() {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
    };
    let mut logins = Vec::new();
    for file in candidates {
        let login = read_mcp_remote(&file, issuer, now)?;
        let recorded = read_json(&client_info_path(&file))?.get("issuer").and_then(Value::as_str).map(String::from);
        if recorded.is_none_or(|i| i.trim_end_matches('/') == issuer.trim_end_matches('/')) {
            logins.push(login);
        }
    }
    match logins.len() {
        1 => Ok(logins.remove(0)),
        0 => Err(Error::InvalidInput(format!("no mcp-remote login for {issuer} under {}", path.display()))),
        _ => Err(Error::InvalidInput(format!(
            "{} mcp-remote logins under {} could be for {issuer}; pass one of the files: {}",
            logins.len(),
            path.display(),
            logins.iter().map(|l| l.tokens_file.display().to_string()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn client_info_path(tokens: &Path) -> PathBuf {
    PathBuf::from(tokens.to_string_lossy().replace("_tokens.json", "_client_info.json"))
}

fn read_json(path: &Path) -> Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|_| Error::InvalidInput(format!("{} is not a JSON object", path.display())))
}

fn read_mcp_remote(tokens_file: &Path, issuer: &str, now: u64) -> Result<McpRemoteLogin> {
    let source = tokens_file.display().to_string();
    let tokens = read_json(tokens_file)?;
    let response = token_response(&Value::Object(tokens.clone()).to_string(), &source)?;
    let saved = std::fs::metadata(tokens_file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(now, |d| d.as_secs());
    // Newer mcp-remote writes `expires_at` in milliseconds; `expires_in` counts from the save.
    let expires_at = crate::lenient::number(tokens.get("expires_at"))
        .map(|ms| ms / 1000)
        .or_else(|| response.expires_in.map(|s| saved.saturating_add(s)));
    let info = read_json(&client_info_path(tokens_file))?;
    let text = |k: &str| info.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
    let client_id = text("client_id")
        .ok_or_else(|| Error::InvalidInput(format!("{} has no client_id", client_info_path(tokens_file).display())))?;
    let auth_method = match text("token_endpoint_auth_method").as_deref() {
        None | Some("none") => AuthMethod::None,
        Some("client_secret_post") => AuthMethod::ClientSecretPost,
        Some("client_secret_basic") => AuthMethod::ClientSecretBasic,
        Some(other) => {
            return Err(Error::InvalidInput(format!("mcp-remote's client uses {other}, which cannot be imported")));
        }
    };
    let client = ClientRecord {
        issuer: issuer.to_string(),
        client_id,
        client_secret: text("client_secret").map(Secret::from),
        client_secret_expires_at: crate::lenient::number(info.get("client_secret_expires_at")).filter(|t| *t > 0),
        auth_method,
        source: ClientSource::Dynamic,
        redirect_uri: info.get("redirect_uris").and_then(|r| r.get(0)).and_then(Value::as_str).map(String::from),
        private_key_file: None,
        key_id: None,
        registration_access_token: text("registration_access_token").map(Secret::from),
        registration_client_uri: text("registration_client_uri"),
        created_at: crate::lenient::number(info.get("client_id_issued_at")).unwrap_or(now),
        token_endpoint: None,
        revocation_endpoint: None,
    };
    Ok(McpRemoteLogin { tokens_file: tokens_file.to_path_buf(), client, response, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_response_with_a_header_in_it_is_refused_as_input() {
        let e = token_response(r#"{"access_token":"at\r\nX-Evil: 1","token_type":"Bearer"}"#, "stdin").unwrap_err();
        assert_eq!(e.exit_code().code(), 2, "{e}");
        assert!(!e.to_string().contains("Evil"));
        assert!(token_response("[1]", "stdin").is_err());
        let ok =
            token_response(r#"{"access_token":"abc","token_type":"Bearer","expires_in":"3600"}"#, "stdin").unwrap();
        assert_eq!(ok.expires_in, Some(3600));
    }

    #[test]
    fn an_mcp_remote_directory_yields_the_one_login_of_the_issuer() {
        let dir = tempfile::tempdir().unwrap();
        let v = dir.path().join("mcp-remote-0.1.29");
        std::fs::create_dir(&v).unwrap();
        std::fs::write(
            v.join("abc_tokens.json"),
            r#"{"access_token":"at1","token_type":"Bearer","refresh_token":"rt1","expires_at":1800000000000}"#,
        )
        .unwrap();
        std::fs::write(v.join("abc_client_info.json"), r#"{"client_id":"c1","redirect_uris":["http://localhost:3334/oauth/callback"],"token_endpoint_auth_method":"none","issuer":"https://as.example"}"#).unwrap();
        std::fs::write(v.join("def_tokens.json"), r#"{"access_token":"at2","token_type":"Bearer"}"#).unwrap();
        std::fs::write(v.join("def_client_info.json"), r#"{"client_id":"c2","issuer":"https://other.example"}"#)
            .unwrap();
        let login = find_mcp_remote(dir.path(), "https://as.example", 0).unwrap();
        assert_eq!(login.client.client_id, "c1");
        assert_eq!(login.response.refresh_token.as_ref().map(Secret::expose), Some("rt1"));
        assert_eq!(login.expires_at, Some(1_800_000_000));
        assert_eq!(login.client.redirect_uri.as_deref(), Some("http://localhost:3334/oauth/callback"));
        // Without an issuer in the client info, both would do: the user must choose.
        std::fs::write(v.join("def_client_info.json"), r#"{"client_id":"c2"}"#).unwrap();
        let e = find_mcp_remote(dir.path(), "https://as.example", 0).unwrap_err();
        assert!(e.to_string().contains("pass one of the files"), "{e}");
        assert_eq!(
            find_mcp_remote(&v.join("def_tokens.json"), "https://as.example", 0).unwrap().client.client_id,
            "c2"
        );
    }
}
