//! Where a workload's JWT comes from, and getting it afresh for every token request: a
//! Kubernetes projected token is rotated by an atomic symlink swap and a GitHub Actions
//! token is minted per request, so nothing read once may be reused.

use crate::error::{Error, Result};
use crate::http::{Http, Request};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read as _;

/// The JWT itself never leaves its source except in the token request: the stored token set
/// records only this description, from which `mcp-token` reads a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A file re-read every time (a Kubernetes projected service-account token).
    File { path: String },
    /// An environment variable of the process (set by the CI system).
    Env { var: String },
    /// GitHub Actions' OIDC token endpoint, asked for a token with this audience each time.
    GithubActions { audience: String },
}

/// The variables the runner sets for a job with `permissions: id-token: write`.
pub const GITHUB_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub const GITHUB_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// Workload JWTs are a few KiB; more is not one, and is not read into memory.
const MAX_JWT: u64 = 64 * 1024;

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File { path } => write!(f, "the workload token file {path}"),
            Source::Env { var } => write!(f, "the environment variable {var}"),
            Source::GithubActions { audience } => {
                write!(f, "GitHub Actions' OIDC token endpoint (audience {audience})")
            }
        }
    }
}

impl Source {
    /// A new read of the JWT, checked to look like one (so that a wrong file is named as
    /// such rather than refused by the server after it was sent).
    pub fn fetch(&self, http: &Http) -> Result<Secret> {
        let jwt = match self {
            Source::File { path } => read_file(path)?,
            Source::Env { var } => {
                std::env::var(var).map_err(|_| Error::InvalidInput(format!("{self} is not set (or not UTF-8)")))?
            }
            Source::GithubActions { audience } => github_actions(http, audience)?,
        };
        let jwt = jwt.trim();
        if jwt.is_empty() {
            return Err(Error::InvalidInput(format!("{self} is empty")));
        }
        if !looks_like_jwt(jwt) {
            return Err(Error::InvalidInput(format!(
                "{self} does not hold a JWT (three or five base64url parts separated by dots)"
            )));
        }
        Ok(Secret::from(jwt.to_string()))
    }
}

fn read_file(path: &str) -> Result<String> {
    // Opened anew each time: the kubelet swaps the file under a symlink when it rotates it.
    let file = std::fs::File::open(path).map_err(|e| Error::InvalidInput(format!("cannot read {path}: {e}")))?;
    let mut text = String::new();
    file.take(MAX_JWT + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::InvalidInput(format!("cannot read {path}: {e}")))?;
    if text.len() as u64 > MAX_JWT {
        return Err(Error::InvalidInput(format!("{path} is larger than a workload token can be ({MAX_JWT} bytes)")));
    }
    Ok(text)
}

/// A JWS (three parts) or a JWE (five), in the base64url alphabet.
fn looks_like_jwt(s: &str) -> bool {
    let parts = s.split('.').count();
    (parts == 3 || parts == 5) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD` with the request token as Bearer, answered
/// `{"value": JWT}` (what `@actions/core` getIDToken does).
fn github_actions(http: &Http, audience: &str) -> Result<String> {
    let missing = |var: &str| {
        Error::InvalidInput(format!(
            "{var} is not set: the runner sets it only inside a GitHub Actions job with `permissions: id-token: write`"
        ))
    };
    let url = std::env::var(GITHUB_URL_VAR).map_err(|_| missing(GITHUB_URL_VAR))?;
    let token = std::env::var(GITHUB_TOKEN_VAR).map_err(|_| missing(GITHUB_TOKEN_VAR))?;
    let mut url = crate::url_policy::endpoint(GITHUB_URL_VAR, &url)?;
    url.query_pairs_mut().append_pair("audience", audience);
    // The query names the run; messages show where, not that.
    let mut shown = url.clone();
    shown.set_query(None);
    let req = Request::get(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Accept", "application/json")
        .secret_answer();
    let resp = http.send(req)?;
    if !resp.is_success() {
        return Err(Error::protocol(
            shown.as_str(),
            format!(
                "GitHub Actions' OIDC token endpoint answered HTTP {} (does the job have `permissions: id-token: write`?)",
                resp.status
            ),
        ));
    }
    match resp.json_object()?.remove("value") {
        Some(serde_json::Value::String(v)) => Ok(v),
        _ => Err(Error::protocol(shown.as_str(), "GitHub Actions' OIDC token endpoint answered without a value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_as_a_description_only() {
        let s = Source::File { path: "/var/run/secrets/tokens/mcp".into() };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "file", "path": "/var/run/secrets/tokens/mcp"}));
        assert_eq!(serde_json::from_value::<Source>(v).unwrap(), s);
        let g = Source::GithubActions { audience: "https://as.example".into() };
        assert!(g.to_string().contains("audience https://as.example"));
    }

    #[test]
    fn a_file_is_read_again_each_time_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let source = Source::File { path: path.display().to_string() };
        let http = Http::new(Default::default());
        let e = source.fetch(&http).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        assert!(e.to_string().contains("cannot read"), "{e}");
        std::fs::write(&path, "a.b.c\n").unwrap();
        assert_eq!(source.fetch(&http).unwrap().expose(), "a.b.c");
        std::fs::write(&path, "d.e.f").unwrap();
        assert_eq!(source.fetch(&http).unwrap().expose(), "d.e.f", "not cached");
        for bad in ["", "  \n", "not a jwt", "a.b", "a.b.c\nX-Evil: 1"] {
            std::fs::write(&path, bad).unwrap();
            let e = source.fetch(&http).unwrap_err();
            assert!(!e.to_string().contains("Evil"), "the content is not quoted: {e}");
        }
        std::fs::write(&path, "a".repeat(MAX_JWT as usize + 1)).unwrap();
        assert!(source.fetch(&http).unwrap_err().to_string().contains("larger"));
    }
}
