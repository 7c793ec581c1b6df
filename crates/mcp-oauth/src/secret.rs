//! A value that must not be printed by accident: tokens, client secrets, authorization and
//! device codes, PKCE verifiers. `Debug` and `Display` show `[redacted]`, so a `{:?}` of a
//! record, a trace or an error cannot leak one; the value is reached only through
//! [`Secret::expose`], a call a reviewer can see. Serialized as the bare string, so stored
//! records and the `--reveal-secrets` document keep their exact JSON.

use crate::redact::REDACTED;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: for the request, header or store write that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{:?}", Some(&s)), format!("Some({REDACTED})"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn serde_is_the_bare_string() {
        let s = Secret::from("a\"b");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""a\"b""#);
        let back: Secret = serde_json::from_str(r#""a\"b""#).unwrap();
        assert_eq!(back, s);
        let opt: Option<Secret> = serde_json::from_value(serde_json::Value::Null).unwrap();
        assert_eq!(opt, None);
        assert!(serde_json::from_str::<Secret>("1").is_err(), "only a string is a secret");
    }
}
