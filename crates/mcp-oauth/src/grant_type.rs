//! Which grant produced a stored token set: decides how it is renewed and which command a
//! "login required" message names.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Stored and shown as the names used since the first release (`authorization_code`,
/// `refresh_token`, `client_credentials`, `device_code`).
///
/// A name this version does not know is kept as [`GrantType::Other`], not refused: the
/// store is shared with other versions of these tools, and a record written by a newer
/// one still holds a usable access token and refresh token. Refusing to read it would
/// turn a valid login into "login required"; an unknown grant is only renewed with its
/// refresh token, as any user-delegated grant is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// RFC 8628; stored by this short name, not the `urn:` sent as `grant_type`.
    DeviceCode,
    /// RFC 7523 §2.1; stored by its `urn:` name, which no earlier version knew by another.
    JwtBearer,
    Other(String),
}

impl GrantType {
    const KNOWN: [GrantType; 5] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::DeviceCode,
        GrantType::JwtBearer,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::DeviceCode => "device_code",
            GrantType::JwtBearer => crate::token::JWT_BEARER_GRANT,
            GrantType::Other(name) => name,
        }
    }
}

impl From<&str> for GrantType {
    fn from(name: &str) -> Self {
        GrantType::KNOWN.into_iter().find(|g| g.as_str() == name).unwrap_or_else(|| GrantType::Other(name.to_string()))
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GrantType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GrantType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(GrantType::from(String::deserialize(d)?.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_as_the_strings_stored_so_far() {
        for (g, name) in [
            (GrantType::AuthorizationCode, "authorization_code"),
            (GrantType::RefreshToken, "refresh_token"),
            (GrantType::ClientCredentials, "client_credentials"),
            (GrantType::DeviceCode, "device_code"),
            (GrantType::JwtBearer, "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ] {
            assert_eq!(serde_json::to_value(&g).unwrap(), name);
            assert_eq!(serde_json::from_value::<GrantType>(name.into()).unwrap(), g);
            assert_eq!(g.to_string(), name);
        }
    }

    #[test]
    fn an_unknown_name_from_another_version_is_kept() {
        let name = "urn:ietf:params:oauth:grant-type:token-exchange";
        let g: GrantType = serde_json::from_value(name.into()).unwrap();
        assert_eq!(g, GrantType::Other(name.into()));
        assert_eq!(serde_json::to_value(&g).unwrap(), name, "written back as read");
        assert!(serde_json::from_value::<GrantType>(1.into()).is_err());
    }
}
