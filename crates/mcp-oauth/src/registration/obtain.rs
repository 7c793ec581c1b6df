//! The entry points, and the spec's priority among the ways of getting a client. The whole
//! load-check-register-save runs under the store key's lock, so two concurrent runs
//! register once; and a registration, once made, is the server's, so its record is
//! reserved in the store before the server is asked and committed right after.

use super::auth_method::check_credentials;
use super::metadata_document::metadata_document_redirect_uri;
use super::reuse::{bind_endpoints, retire_replaced, reusable};
use super::{
    Action, Obtained, Options, RegistrationRequest, choose_auth_method, client_info, dynamic_auth_method, register,
    registration_scope, validate_registration_response,
};
use crate::client::{AuthMethod, ClientRecord, ClientSource};
use crate::discovery::DiscoverOptions;
use crate::document::{Discovered, Registered};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::metadata::AuthorizationServerMetadata;
use crate::remedy::Remedy;
use crate::store::{Store, keys};
use url::Url;

/// Which way to get a client, by the spec's priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationPlan {
    PreRegistered(String),
    MetadataDocument(Url),
    Dynamic(Url),
}

/// The spec's priority: pre-registered, then a metadata document when the server supports
/// them, then dynamic registration. `warnings` learns of a metadata URL we could not use.
pub fn plan(
    opts: &Options,
    metadata: &AuthorizationServerMetadata,
    warnings: &mut Vec<String>,
) -> Result<RegistrationPlan> {
    if let Some(id) = &opts.client_id {
        return Ok(RegistrationPlan::PreRegistered(id.clone()));
    }
    let cimd = metadata.client_id_metadata_document_supported == Some(true);
    if let Some(url) = &opts.client_metadata_url {
        if cimd {
            return Ok(RegistrationPlan::MetadataDocument(url.clone()));
        }
        warnings.push(format!(
            "{} does not advertise client_id_metadata_document_supported; the client metadata document URL given is ignored",
            metadata.issuer
        ));
    }
    match &metadata.registration_endpoint {
        Some(endpoint) => {
            let url = crate::url_policy::parse("registration endpoint", endpoint)
                .map_err(|e| Error::protocol(&metadata.issuer, e.to_string()))?;
            crate::url_policy::require_secure("registration endpoint", &url)?;
            Ok(RegistrationPlan::Dynamic(url))
        }
        None => Err(Error::Usage(format!(
            "{} offers no dynamic client registration (no registration_endpoint) and no client was given",
            metadata.issuer
        ))
        .with_hint(Remedy::PreRegister { metadata_document: cimd })),
    }
}

/// `mcp-dcr URL` and `mcp-authorize URL`: the pipeline's first two steps in one process.
/// `then` gives the store and the options only once discovery found a server: a server
/// that cannot be found then costs no credential helper and no read of a client secret,
/// and its error is the one reported, not a complaint about the secret or the store.
pub fn discover_and_obtain<'s>(
    http: &Http,
    url: &Url,
    discover: &DiscoverOptions,
    reveal: bool,
    then: impl FnOnce() -> Result<(&'s Store, Options)>,
) -> Result<(Registered, Obtained)> {
    let doc = crate::discovery::discover(http, url, discover)?;
    let (store, opts) = then()?;
    let profile = doc.profile().map(String::from);
    obtain_into(http, store, doc, profile.as_deref(), &opts, reveal)
}

/// [`obtain`], with the client and the profile it is stored under written into the
/// document for the next tool (the client's secret only if `reveal`).
pub fn obtain_into(
    http: &Http,
    store: &Store,
    mut doc: Discovered,
    profile: Option<&str>,
    opts: &Options,
    reveal: bool,
) -> Result<(Registered, Obtained)> {
    let obtained = obtain(http, store, &doc, profile, opts)?;
    doc.set_profile(profile.map(String::from));
    let doc = doc.with_client(client_info(&obtained.record, obtained.key.as_str(), reveal));
    Ok((doc, obtained))
}

/// What each way of getting a client works from.
struct Run<'a> {
    http: &'a Http,
    doc: &'a Discovered,
    issuer: &'a str,
    metadata: &'a AuthorizationServerMetadata,
    opts: &'a Options,
    /// What was stored under the key before this run, for whichever issuer.
    stored: Option<&'a ClientRecord>,
    now: u64,
    warnings: Vec<String>,
}

/// The client for `doc`'s authorization server: the stored one when still good, else one
/// made by [`plan`]; stored before returning.
pub fn obtain(http: &Http, store: &Store, doc: &Discovered, profile: Option<&str>, opts: &Options) -> Result<Obtained> {
    let asv = doc.authorization_server();
    let issuer = asv.issuer.as_str();
    let key = keys::client(issuer, profile);
    let mut warnings = Vec::new();
    let _guard = store.lock(&key)?;
    let stored: Option<ClientRecord> = store.load(&key)?;
    let now = crate::clock::now();

    if let Some(good) = reusable(stored.as_ref(), issuer, opts, now, &mut warnings) {
        let mut record = good.clone();
        // Endpoints move, and records from older versions lack them: the metadata
        // just discovered is the authority on where the credentials may go.
        if bind_endpoints(&mut record, &asv.metadata) {
            store.save(&key, &record)?;
        }
        return Ok(Obtained { record, key, action: Action::Reused, warnings });
    }

    let plan = plan(opts, &asv.metadata, &mut warnings)?;
    // Reserved before the server is asked: a client secret it issues must not be lost.
    let reservation = store.reserve(&key)?;
    let mut run = Run { http, doc, issuer, metadata: &asv.metadata, opts, stored: stored.as_ref(), now, warnings };
    let (mut record, action) = match plan {
        RegistrationPlan::PreRegistered(client_id) => (pre_registered(&mut run, client_id)?, Action::Configured),
        RegistrationPlan::MetadataDocument(url) => (metadata_document(&mut run, &url)?, Action::Configured),
        RegistrationPlan::Dynamic(endpoint) => (dynamic(&mut run, &endpoint)?, Action::Registered),
    };
    bind_endpoints(&mut record, &asv.metadata);
    store.commit(reservation, &record)?;
    retire_replaced(http, run.stored, &record, &mut run.warnings);
    Ok(Obtained { record, key, action, warnings: run.warnings })
}

/// A client the user registered with the provider: the flags are its credentials.
fn pre_registered(run: &mut Run, client_id: String) -> Result<ClientRecord> {
    let opts = run.opts;
    let auth_method = choose_auth_method(opts.auth_method, &opts.credentials, run.metadata, &mut run.warnings)?;
    // Keep the redirect of the same client stored before: it is what the provider knows.
    let kept = run
        .stored
        .filter(|s| s.issuer == run.issuer && s.client_id == client_id)
        .and_then(|s| s.redirect_uri.as_deref().and_then(|u| Url::parse(u).ok()));
    let redirect = match (&opts.redirect_uri, kept) {
        (Some(u), _) => u.clone(),
        (None, Some(k)) => k,
        (None, None) => crate::redirect::default_uri()?,
    };
    Ok(configured(run, client_id, auth_method, ClientSource::PreRegistered, &redirect))
}

/// A Client ID Metadata Document: its URL is the client_id, and there is no secret.
fn metadata_document(run: &mut Run, url: &Url) -> Result<ClientRecord> {
    let opts = run.opts;
    let redirect = metadata_document_redirect_uri(run.http, url, opts.redirect_uri.as_ref(), &mut run.warnings)?;
    let method = match &opts.credentials.private_key_file {
        Some(_) => AuthMethod::PrivateKeyJwt,
        None => AuthMethod::None,
    };
    check_credentials(method, &opts.credentials)?;
    Ok(configured(run, url.to_string(), method, ClientSource::MetadataDocument, &redirect))
}

/// RFC 7591 registration at `endpoint`.
fn dynamic(run: &mut Run, endpoint: &Url) -> Result<ClientRecord> {
    let opts = run.opts;
    let method = dynamic_auth_method(opts.wanted_auth_method(), run.metadata, &mut run.warnings)?;
    // Unlike a pre-registered client's, a secret is the server's to issue here.
    let has_key = opts.credentials.private_key_file.is_some();
    if (method == AuthMethod::PrivateKeyJwt) != has_key {
        return Err(if has_key {
            Error::Usage(format!("a private key was given, but the client is to authenticate with {method}"))
        } else {
            Error::Usage("private_key_jwt needs a private key".into())
                .with_hint(Remedy::GiveCredentials { secret: false, key: true })
        });
    }
    // Reuse the old port unless asked otherwise: a stable redirect survives servers
    // that match exactly, and a stale one is handled by redirect::bind_callback.
    let redirect = match (&opts.redirect_uri, run.stored.filter(|s| s.issuer == run.issuer)) {
        (Some(u), _) => u.clone(),
        (None, Some(s)) if s.source == ClientSource::Dynamic => match s.redirect_uri.as_deref().map(Url::parse) {
            Some(Ok(u)) => u,
            _ => crate::redirect::default_uri()?,
        },
        _ => crate::redirect::default_uri()?,
    };
    let mut req = RegistrationRequest::new(&redirect, method, &opts.client_name, registration_scope(run.doc));
    // Registered grants bound what the client may do later: ask for the device grant
    // where the server offers it, so `mcp-authorize --device` works with this client.
    if run.metadata.supports_grant(crate::token::DEVICE_CODE_GRANT) {
        req.grant_types.push(crate::token::DEVICE_CODE_GRANT.into());
    }
    let key_file = opts.credentials.private_key_file.as_deref().filter(|_| method == AuthMethod::PrivateKeyJwt);
    if let Some(path) = key_file {
        let jwk = crate::jwt::public_jwk(path, opts.credentials.key_id.as_deref())?;
        req.jwks = Some(serde_json::json!({ "keys": [jwk] }));
    }
    let resp = register(run.http, endpoint, &req)?;
    let key_id = opts.credentials.key_id.as_deref();
    validate_registration_response(resp, &req, run.issuer, key_file, key_id, endpoint.as_str(), run.now)
}

/// The record of a client the user named (pre-registered or metadata document): its
/// credentials are the user's flags, nothing was issued by the server.
fn configured(
    run: &Run,
    client_id: String,
    auth_method: AuthMethod,
    source: ClientSource,
    redirect: &Url,
) -> ClientRecord {
    let opts = run.opts;
    ClientRecord {
        issuer: run.issuer.to_string(),
        client_id,
        client_secret: opts.credentials.client_secret.clone().filter(|_| auth_method.needs_secret()),
        client_secret_expires_at: None,
        auth_method,
        source,
        redirect_uri: Some(redirect.to_string()),
        private_key_file: opts.credentials.private_key_file.clone(),
        key_id: opts.credentials.key_id.clone(),
        registration_access_token: None,
        registration_client_uri: None,
        created_at: run.now,
        token_endpoint: None,
        revocation_endpoint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::metadata_document_url;
    use super::super::testing::metadata;
    use super::*;

    #[test]
    fn priority_is_pre_registered_then_metadata_document_then_dynamic() {
        let mut m = metadata(None);
        m.registration_endpoint = Some("https://as.example/reg".into());
        m.client_id_metadata_document_supported = Some(true);
        let cimd = metadata_document_url("https://app.example/client.json").unwrap();
        let mut w = Vec::new();

        let opts =
            Options { client_id: Some("pre".into()), client_metadata_url: Some(cimd.clone()), ..Options::default() };
        assert_eq!(plan(&opts, &m, &mut w).unwrap(), RegistrationPlan::PreRegistered("pre".into()));
        let opts = Options { client_metadata_url: Some(cimd.clone()), ..Options::default() };
        assert_eq!(plan(&opts, &m, &mut w).unwrap(), RegistrationPlan::MetadataDocument(cimd.clone()));
        assert_eq!(
            plan(&Options::default(), &m, &mut w).unwrap(),
            RegistrationPlan::Dynamic(Url::parse("https://as.example/reg").unwrap())
        );
        assert!(w.is_empty());

        m.client_id_metadata_document_supported = None;
        assert!(matches!(plan(&opts, &m, &mut w).unwrap(), RegistrationPlan::Dynamic(_)));
        assert!(w[0].contains("client_id_metadata_document_supported"), "{w:?}");

        m.registration_endpoint = None;
        let e = plan(&Options::default(), &m, &mut w).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        // The flags are the command line's to name (mcp_oauth_cli::remedy's tests).
        assert_eq!(e.remedy(), Some(&Remedy::PreRegister { metadata_document: false }), "{e}");

        m.registration_endpoint = Some("http://as.example/reg".into());
        assert_eq!(plan(&Options::default(), &m, &mut w).unwrap_err().exit_code().code(), 5);
    }
}
