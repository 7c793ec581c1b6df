//! Which token-endpoint authentication a client uses. A pre-registered client's method is
//! a fact about how the user registered it, so the flags and the credentials given decide
//! and the server's list only advises; a dynamically registered client's is ours to ask
//! for, so the server's list steers the request. Either way a method must come with
//! exactly the credentials it uses.

use super::Credentials;
use crate::client::AuthMethod;
use crate::error::{Error, Result};
use crate::metadata::AuthorizationServerMetadata;
use crate::remedy::{Registration, Remedy};

fn listed(metadata: &AuthorizationServerMetadata) -> String {
    metadata.auth_methods().join(", ")
}

/// An explicit `--auth-method` the metadata does not list is used anyway: many servers'
/// lists are incomplete (mock OIDC servers list only `none` yet accept client secrets), and
/// the user knows how the client was registered. The server's answer will tell if not.
fn unlisted(method: AuthMethod, metadata: &AuthorizationServerMetadata) -> String {
    format!(
        "{} does not list {method} in token_endpoint_auth_methods_supported (it lists {}); using it because it was asked for by name",
        metadata.issuer,
        listed(metadata)
    )
}

/// The token-endpoint authentication of a pre-registered client, from the flags and the
/// server's `token_endpoint_auth_methods_supported` (RFC 8414: `client_secret_basic` when
/// absent). Without `--auth-method`: a key means `private_key_jwt`, a secret prefers
/// basic over post, nothing means a public client (`none`). An explicit method the server
/// does not list is honoured, with a warning.
pub fn choose_auth_method(
    requested: Option<AuthMethod>,
    creds: &Credentials,
    metadata: &AuthorizationServerMetadata,
    warnings: &mut Vec<String>,
) -> Result<AuthMethod> {
    let supported = metadata.auth_methods();
    let lists = |m: AuthMethod| supported.iter().any(|s| s == m.as_str());
    let has_secret = creds.client_secret.is_some();
    let has_key = creds.private_key_file.is_some();
    let method = match requested {
        Some(m) => {
            if !lists(m) {
                warnings.push(unlisted(m, metadata));
            }
            m
        }
        None if has_key => {
            if !lists(AuthMethod::PrivateKeyJwt) {
                return Err(Error::Usage(format!(
                    "a private key was given, but {} does not accept private_key_jwt; it lists {}",
                    metadata.issuer,
                    listed(metadata)
                )));
            }
            AuthMethod::PrivateKeyJwt
        }
        None if has_secret => [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost]
            .into_iter()
            .find(|m| lists(*m))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "a client secret was given, but {} accepts neither client_secret_basic nor client_secret_post; it lists {}",
                    metadata.issuer,
                    listed(metadata)
                ))
            })?,
        None => {
            if !lists(AuthMethod::None) {
                return Err(Error::Usage(format!(
                    "{} does not accept public clients (it lists {})",
                    metadata.issuer,
                    listed(metadata)
                ))
                .with_hint(Remedy::GiveCredentials { secret: true, key: true }));
            }
            AuthMethod::None
        }
    };
    check_credentials(method, creds)?;
    Ok(method)
}

/// The credentials a method needs are there, and none are given that it would ignore
/// (a secret given with `none` is almost always a mistake worth hearing about).
pub(super) fn check_credentials(method: AuthMethod, creds: &Credentials) -> Result<()> {
    let missing = match method {
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost if creds.client_secret.is_none() => {
            Some(("a client secret", Remedy::GiveCredentials { secret: true, key: false }))
        }
        AuthMethod::PrivateKeyJwt if creds.private_key_file.is_none() => {
            Some(("a key file", Remedy::GiveCredentials { secret: false, key: true }))
        }
        _ => None,
    };
    if let Some((what, remedy)) = missing {
        return Err(Error::Usage(format!("client authentication {method} needs {what}")).with_hint(remedy));
    }
    if creds.client_secret.is_some() && !method.needs_secret() {
        return Err(Error::Usage(format!("a client secret was given, but the client authenticates with {method}")));
    }
    if creds.private_key_file.is_some() && method != AuthMethod::PrivateKeyJwt {
        return Err(Error::Usage(format!("a private key was given, but the client authenticates with {method}")));
    }
    Ok(())
}

/// The method to ask for in dynamic registration: `--auth-method`, else `none` (a public
/// client: nothing to keep secret on a user's machine). When the server lists its methods
/// and `none` is not among them, ask for a secret instead; when it lists nothing, ask and
/// let the server's answer decide (many omit the list yet register public clients). An
/// explicit `--auth-method` is asked for even when unlisted, with a warning.
pub fn dynamic_auth_method(
    requested: Option<AuthMethod>,
    metadata: &AuthorizationServerMetadata,
    warnings: &mut Vec<String>,
) -> Result<AuthMethod> {
    let explicit = metadata.token_endpoint_auth_methods_supported.as_ref();
    let lists = |m: AuthMethod| explicit.is_none_or(|l| l.iter().any(|s| s == m.as_str()));
    match requested {
        Some(m) => {
            if !lists(m) {
                warnings.push(unlisted(m, metadata));
            }
            Ok(m)
        }
        None if lists(AuthMethod::None) => Ok(AuthMethod::None),
        None => [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost]
            .into_iter()
            .find(|m| lists(*m))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} accepts none of none, client_secret_basic, client_secret_post (it lists {})",
                    metadata.issuer,
                    listed(metadata)
                ))
                .with_hint(Remedy::Register(Registration {
                    auth_method: Some(AuthMethod::PrivateKeyJwt),
                    private_key: true,
                    ..Default::default()
                }))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{key, metadata};
    use super::*;
    use crate::secret::Secret;

    fn secret() -> Credentials {
        Credentials { client_secret: Some(Secret::from("s3cret")), ..Credentials::default() }
    }

    fn choose(
        requested: Option<AuthMethod>,
        creds: &Credentials,
        m: &AuthorizationServerMetadata,
    ) -> Result<AuthMethod> {
        choose_auth_method(requested, creds, m, &mut Vec::new())
    }

    fn dynamic(requested: Option<AuthMethod>, m: &AuthorizationServerMetadata) -> Result<AuthMethod> {
        dynamic_auth_method(requested, m, &mut Vec::new())
    }

    #[test]
    fn secrets_prefer_basic_then_post() {
        let all = metadata(Some(&["none", "client_secret_post", "client_secret_basic"]));
        assert_eq!(choose(None, &secret(), &all).unwrap(), AuthMethod::ClientSecretBasic);
        let post = metadata(Some(&["none", "client_secret_post"]));
        assert_eq!(choose(None, &secret(), &post).unwrap(), AuthMethod::ClientSecretPost);
        // RFC 8414: no list means client_secret_basic only.
        assert_eq!(choose(None, &secret(), &metadata(None)).unwrap(), AuthMethod::ClientSecretBasic);
        let e = choose(None, &secret(), &metadata(Some(&["none", "private_key_jwt"]))).unwrap_err();
        assert!(e.to_string().contains("it lists none, private_key_jwt"), "{e}");
    }

    #[test]
    fn an_explicit_method_the_server_does_not_list_is_used_with_a_warning() {
        let mut warnings = Vec::new();
        let none_only = metadata(Some(&["none"]));
        let m = choose_auth_method(Some(AuthMethod::ClientSecretBasic), &secret(), &none_only, &mut warnings).unwrap();
        assert_eq!(m, AuthMethod::ClientSecretBasic);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("does not list client_secret_basic") && warnings[0].contains("it lists none"),
            "{warnings:?}"
        );
        let m = dynamic_auth_method(Some(AuthMethod::ClientSecretPost), &none_only, &mut warnings).unwrap();
        assert_eq!(m, AuthMethod::ClientSecretPost);
        assert_eq!(warnings.len(), 2);
        // Listed: no warning.
        choose_auth_method(Some(AuthMethod::None), &Credentials::default(), &none_only, &mut warnings).unwrap();
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn a_method_the_user_did_not_ask_for_is_refused_naming_the_list() {
        let e = choose(None, &Credentials::default(), &metadata(None)).unwrap_err();
        assert!(e.to_string().contains("does not accept public clients"), "{e}");
        assert_eq!(e.remedy(), Some(&Remedy::GiveCredentials { secret: true, key: true }));
    }

    #[test]
    fn keys_mean_private_key_jwt_and_nothing_means_public() {
        let m = metadata(Some(&["none", "client_secret_basic", "private_key_jwt"]));
        assert_eq!(choose(None, &key(), &m).unwrap(), AuthMethod::PrivateKeyJwt);
        assert_eq!(choose(None, &Credentials::default(), &m).unwrap(), AuthMethod::None);
        assert!(choose(None, &key(), &metadata(Some(&["none"]))).is_err());
    }

    #[test]
    fn credentials_must_fit_the_method() {
        let m = metadata(Some(&["none", "client_secret_basic", "client_secret_post", "private_key_jwt"]));
        let e = choose(Some(AuthMethod::ClientSecretBasic), &Credentials::default(), &m).unwrap_err();
        assert!(e.to_string().contains("needs a client secret"), "{e}");
        let e = choose(Some(AuthMethod::PrivateKeyJwt), &secret(), &m).unwrap_err();
        assert!(e.to_string().contains("needs a key file"), "{e}");
        assert_eq!(e.remedy(), Some(&Remedy::GiveCredentials { secret: false, key: true }));
        let e = choose(Some(AuthMethod::None), &secret(), &m).unwrap_err();
        assert!(e.to_string().contains("secret was given"), "{e}");
    }

    #[test]
    fn dynamic_registration_asks_for_a_public_client_by_default() {
        assert_eq!(dynamic(None, &metadata(None)).unwrap(), AuthMethod::None);
        assert_eq!(dynamic(None, &metadata(Some(&["none", "client_secret_basic"]))).unwrap(), AuthMethod::None);
        assert_eq!(
            dynamic(None, &metadata(Some(&["client_secret_post", "client_secret_basic"]))).unwrap(),
            AuthMethod::ClientSecretBasic
        );
        assert!(dynamic(None, &metadata(Some(&["private_key_jwt"]))).is_err());
        assert_eq!(dynamic(Some(AuthMethod::ClientSecretPost), &metadata(None)).unwrap(), AuthMethod::ClientSecretPost);
    }
}
