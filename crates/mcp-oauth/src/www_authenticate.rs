//! RFC 7235 `WWW-Authenticate` parsing (RFC 6750 §3 and RFC 9728 §5.1 parameters).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One challenge: an auth scheme with its parameters (names lowercased).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub scheme: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token68: Option<String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
    pub fn resource_metadata(&self) -> Option<&str> {
        self.param("resource_metadata")
    }
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }
}
