//! Getting a client for an authorization server, in the MCP spec's order of preference:
//! a pre-registered client, a Client ID Metadata Document, or RFC 7591 dynamic
//! registration (deprecated in MCP 2026-07-28, still what most servers offer).
//!
//! A client is bound to the issuer it was obtained from (SEP-2352): it is stored under that
//! issuer's key, carries the issuer in its record, and is never used for another one.

use crate::client::{AuthMethod, ClientRecord, ClientSource};
use crate::document::{ClientInfo, Document};
use crate::error::{Error, Result};
use crate::http::{Http, Request};
use crate::metadata::AuthorizationServerMetadata;
use crate::store::{Key, Store, keys};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use url::Url;

pub const DEFAULT_CLIENT_NAME: &str = "mcp-oauth";
/// A secret that dies within this many seconds would die in the middle of a login.
const SECRET_EXPIRY_MARGIN: u64 = 60;
/// `offline_access` (OIDC Core §11) is how many servers gate refresh tokens; MCP
/// 2026-07-28 (SEP-2207) lets clients ask for it when the server lists it.
const OFFLINE_ACCESS: &str = "offline_access";

/// RFC 7591 / OIDC Registration `application_type` (MCP 2026-07-28 makes it a MUST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    Native,
    Web,
}

impl ApplicationType {
    /// Loopback redirects are what native apps use (RFC 8252 §7.3); anything else is a web app.
    pub fn for_redirect(uri: &Url) -> Self {
        if crate::redirect::is_loopback_http(uri) { ApplicationType::Native } else { ApplicationType::Web }
    }
}

/// The RFC 7591 §2 client metadata we send. `extra` carries members a caller adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRequest {
    pub redirect_uris: Vec<String>,
    pub application_type: ApplicationType,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub token_endpoint_auth_method: AuthMethod,
    pub client_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The public key for `private_key_jwt` (RFC 7591 §2 `jwks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RegistrationRequest {
    pub fn new(redirect_uri: &Url, auth_method: AuthMethod, client_name: &str, scope: Option<String>) -> Self {
        RegistrationRequest {
            redirect_uris: vec![redirect_uri.to_string()],
            application_type: ApplicationType::for_redirect(redirect_uri),
            // refresh_token: SEP-2207 says SHOULD, and a CLI without it re-prompts hourly.
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec!["code".into()],
            token_endpoint_auth_method: auth_method,
            client_name: client_name.to_string(),
            scope,
            jwks: None,
            extra: Map::new(),
        }
    }
}

/// RFC 7591 §3.2.1 client information response. Everything is optional here so that a
/// missing member gets a message naming it, not a serde error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationResponse {
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64", skip_serializing_if = "Option::is_none")]
    pub client_id_issued_at: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64", skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// A string, not [`AuthMethod`]: a server may answer with a method we do not know,
    /// and that deserves its own message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Numbers sent as strings ("0") exist in the wild; a float or garbage is treated as absent
/// rather than failing a registration that otherwise worked.
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Credentials the user gave for a client registered with the provider beforehand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub client_secret: Option<String>,
    /// Absolute path of a PEM PKCS#8 key (RSA or EC P-256) for `private_key_jwt`.
    pub private_key_file: Option<String>,
    pub key_id: Option<String>,
}

/// What the user asked `mcp-dcr` for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A pre-registered client (`--client-id`): wins over everything else.
    pub client_id: Option<String>,
    /// The Client ID Metadata Document URL (`--client-metadata-url`), already checked.
    pub client_metadata_url: Option<Url>,
    pub credentials: Credentials,
    /// `--auth-method`: for a pre-registered client, the method it was registered with;
    /// for dynamic registration, the method to ask for.
    pub auth_method: Option<AuthMethod>,
    pub client_name: String,
    /// `--redirect-uri` / `--port`; `None` keeps a stored one or picks a free port.
    pub redirect_uri: Option<Url>,
    /// Register anew even if a usable client is stored.
    pub force: bool,
}

impl Options {
    /// The method asked for: `--auth-method`, or `private_key_jwt` implied by a key file.
    pub fn wanted_auth_method(&self) -> Option<AuthMethod> {
        self.auth_method.or(self.credentials.private_key_file.as_ref().map(|_| AuthMethod::PrivateKeyJwt))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            client_id: None,
            client_metadata_url: None,
            credentials: Credentials::default(),
            auth_method: None,
            client_name: DEFAULT_CLIENT_NAME.into(),
            redirect_uri: None,
            force: false,
        }
    }
}

/// How the client in an [`Outcome`] came about on this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A stored client was still good.
    Reused,
    /// Registered at the server just now.
    Registered,
    /// Taken from the user's flags (pre-registered or metadata document) and stored.
    Configured,
}

#[derive(Debug)]
pub struct Outcome {
    pub record: ClientRecord,
    pub key: Key,
    pub action: Action,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<String>,
}

/// Which way to get a client, by the spec's priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    PreRegistered(String),
    MetadataDocument(Url),
    Dynamic(Url),
}

/// Checks a Client ID Metadata Document URL: https with a path (the CIMD draft; the TS
/// SDK's `isHttpsUrl` rule), no fragment.
pub fn metadata_document_url(s: &str) -> Result<Url> {
    let url = Url::parse(s.trim()).map_err(|e| Error::Usage(format!("client metadata URL {s:?} is not a URL: {e}")))?;
    if url.scheme() != "https" || url.host().is_none() {
        return Err(Error::Usage(format!("client metadata URL {url} must be an https:// URL (it is the client_id)")));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(Error::Usage(format!(
            "client metadata URL {url} must have a path, like https://app.example/client.json"
        )));
    }
    if url.fragment().is_some() {
        return Err(Error::Usage(format!("client metadata URL {url} must not have a fragment")));
    }
    Ok(url)
}

/// Reads the Client ID Metadata Document the user hosts and returns the redirect URI to
/// use: `wanted` if the document lists it, else its first loopback one (what
/// mcp-authorize can listen on), else its first. The server will check the same document,
/// so a mismatch found here saves a failed login.
pub fn fetch_metadata_document(http: &Http, url: &Url, wanted: Option<&Url>) -> Result<Url> {
    let resp = http.send(Request::get(url.clone()).header("Accept", "application/json"))?;
    if !resp.is_success() {
        return Err(Error::protocol(url.as_str(), format!("client metadata document: HTTP {}", resp.status)));
    }
    metadata_document_redirect(&resp.json_object()?, url, wanted)
}

/// The redirect URI of a metadata-document client. With one given (`--redirect-uri`,
/// `--port`) the document's URL is all the client needs: the document is still read to
/// catch a redirect it does not list, but a fetch that fails (not served yet, served only
/// to the authorization server, unreachable from here) is only a warning.
fn metadata_document_redirect_uri(
    http: &Http,
    url: &Url,
    wanted: Option<&Url>,
    warnings: &mut Vec<String>,
) -> Result<Url> {
    let Some(wanted) = wanted else {
        return fetch_metadata_document(http, url, None);
    };
    match fetch_metadata_document(http, url, Some(wanted)) {
        Ok(redirect) => Ok(redirect),
        Err(e @ Error::Usage(_)) => Err(e),
        Err(e) => {
            warnings.push(format!(
                "could not check the client metadata document ({e}); using {url} as the client_id with {wanted}"
            ));
            Ok(wanted.clone())
        }
    }
}

/// The checks of [`fetch_metadata_document`] on the parsed document.
pub fn metadata_document_redirect(doc: &Map<String, Value>, url: &Url, wanted: Option<&Url>) -> Result<Url> {
    let bad = |msg: String| Error::protocol(url.as_str(), format!("client metadata document: {msg}"));
    // The CIMD draft: client_id must equal the document's URL exactly.
    match doc.get("client_id").and_then(Value::as_str) {
        Some(id) if id == url.as_str() => {}
        Some(id) => return Err(bad(format!("its client_id {id:?} is not its own URL"))),
        None => return Err(bad("no client_id".into())),
    }
    let listed: Vec<Url> = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).filter_map(|s| Url::parse(s).ok()).collect())
        .unwrap_or_default();
    if let Some(w) = wanted {
        return if listed.contains(w) {
            Ok(w.clone())
        } else {
            let shown: Vec<&str> = listed.iter().map(Url::as_str).collect();
            Err(Error::Usage(format!(
                "the client metadata document {url} does not list the redirect URI {w}; it lists {shown:?}"
            )))
        };
    }
    let pick = listed.iter().find(|u| crate::redirect::is_loopback_http(u)).or(listed.first()).cloned();
    let pick = pick.ok_or_else(|| bad("no redirect_uris".into()))?;
    crate::redirect::validate(&pick)?;
    Ok(pick)
}

/// The spec's priority: pre-registered, then a metadata document when the server supports
/// them, then dynamic registration. `warnings` learns of a metadata URL we could not use.
pub fn plan(opts: &Options, metadata: &AuthorizationServerMetadata, warnings: &mut Vec<String>) -> Result<Plan> {
    if let Some(id) = &opts.client_id {
        return Ok(Plan::PreRegistered(id.clone()));
    }
    let cimd = metadata.client_id_metadata_document_supported == Some(true);
    if let Some(url) = &opts.client_metadata_url {
        if cimd {
            return Ok(Plan::MetadataDocument(url.clone()));
        }
        warnings.push(format!(
            "{} does not advertise client_id_metadata_document_supported; --client-metadata-url is ignored",
            metadata.issuer
        ));
    }
    match &metadata.registration_endpoint {
        Some(endpoint) => {
            let url = crate::url_policy::parse("registration endpoint", endpoint)
                .map_err(|e| Error::protocol(&metadata.issuer, e.to_string()))?;
            crate::url_policy::require_secure("registration endpoint", &url)?;
            Ok(Plan::Dynamic(url))
        }
        None => {
            let cimd_hint = if cimd {
                ", or --client-metadata-url URL (the server supports Client ID Metadata Documents)"
            } else {
                ""
            };
            Err(Error::Usage(format!(
                "{} offers no dynamic client registration (no registration_endpoint) and no client was given: \
                 register one with the provider and pass --client-id ID, with --client-secret-file FILE, \
                 --client-secret-stdin or MCP_OAUTH_CLIENT_SECRET if it has a secret, or --private-key-file FILE{cimd_hint}",
                metadata.issuer
            )))
        }
    }
}

fn listed(metadata: &AuthorizationServerMetadata) -> String {
    metadata.auth_methods().join(", ")
}

/// An explicit `--auth-method` the metadata does not list is used anyway: many servers'
/// lists are incomplete (mock OIDC servers list only `none` yet accept client secrets), and
/// the user knows how the client was registered. The server's answer will tell if not.
fn unlisted(method: AuthMethod, metadata: &AuthorizationServerMetadata) -> String {
    format!(
        "{} does not list {method} in token_endpoint_auth_methods_supported (it lists {}); using it because --auth-method asks for it",
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
                    "{} does not accept public clients (it lists {}): give the client secret with \
                     --client-secret-file, --client-secret-stdin or MCP_OAUTH_CLIENT_SECRET, or a key with --private-key-file",
                    metadata.issuer,
                    listed(metadata)
                )));
            }
            AuthMethod::None
        }
    };
    check_credentials(method, creds)?;
    Ok(method)
}

/// The credentials a method needs are there, and none are given that it would ignore
/// (a secret given with `none` is almost always a mistake worth hearing about).
fn check_credentials(method: AuthMethod, creds: &Credentials) -> Result<()> {
    let missing = match method {
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost if creds.client_secret.is_none() => {
            Some("a client secret (--client-secret-file, --client-secret-stdin or MCP_OAUTH_CLIENT_SECRET)")
        }
        AuthMethod::PrivateKeyJwt if creds.private_key_file.is_none() => Some("a key file (--private-key-file)"),
        _ => None,
    };
    if let Some(what) = missing {
        return Err(Error::Usage(format!("--auth-method {method} needs {what}")));
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
                    "{} accepts none of none, client_secret_basic, client_secret_post (it lists {}): \
                     register with --auth-method private_key_jwt --private-key-file FILE",
                    metadata.issuer,
                    listed(metadata)
                ))
            }),
    }
}

/// The `scope` to register: RFC 7591 makes it the set the client may *ever* request, and
/// servers enforce it (oidc-provider answers `invalid_scope` beyond it). So it is the
/// document's scope choice widened by everything the resource advertises, which step-up
/// may later ask for (SEP-2350), and `offline_access` when the server lists it.
pub fn registration_scope(doc: &Document) -> Option<String> {
    let mut scopes: Vec<String> = Vec::new();
    let add = |scopes: &mut Vec<String>, s: &str| {
        if !s.is_empty() && !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    };
    for s in doc.scope.iter().flat_map(|c| c.scopes.iter()) {
        add(&mut scopes, s);
    }
    let prm = doc.discovery.as_ref().and_then(|d| d.resource_metadata.as_ref());
    for s in prm.and_then(|m| m.scopes_supported.as_ref()).into_iter().flatten() {
        add(&mut scopes, s);
    }
    if scopes.is_empty() {
        // Nothing chosen or advertised: omit `scope` and let the server apply its default.
        return None;
    }
    if doc.authorization_server.as_ref().is_some_and(|a| a.metadata.supports_scope(OFFLINE_ACCESS)) {
        add(&mut scopes, OFFLINE_ACCESS);
    }
    Some(scopes.join(" "))
}

/// Why a stored client cannot be used for this run, or `None` when it can.
pub fn unusable_reason(stored: &ClientRecord, issuer: &str, opts: &Options, now: u64) -> Option<String> {
    if stored.issuer != issuer {
        return Some(format!("the stored client belongs to {}, not {issuer}", stored.issuer));
    }
    if opts.force {
        return Some("--force".into());
    }
    if stored.secret_expired(now + SECRET_EXPIRY_MARGIN) {
        return Some("its client secret has expired".into());
    }
    if let Some(wanted) = &opts.redirect_uri
        && stored.redirect_uri.as_deref() != Some(wanted.as_str())
    {
        return Some(format!(
            "it was registered for the redirect URI {}, not {wanted}",
            stored.redirect_uri.as_deref().unwrap_or("(none)")
        ));
    }
    if let Some(m) = opts.wanted_auth_method()
        && m != stored.auth_method
    {
        return Some(format!("it authenticates with {}, not {m}", stored.auth_method));
    }
    if let Some(url) = &opts.client_metadata_url
        && (stored.source != ClientSource::MetadataDocument || stored.client_id != url.as_str())
    {
        return Some(format!("--client-metadata-url {url} asks for another client"));
    }
    None
}

/// Turns a registration response into the record we store, refusing what we could not
/// use later: no `client_id`, a secret method without a secret (python-sdk rejects that
/// too), a method we do not implement, a secret already expired, or redirect URIs that
/// no longer contain ours (the server rewrote them: every login would then fail).
pub fn validate_response(
    resp: RegistrationResponse,
    req: &RegistrationRequest,
    issuer: &str,
    private_key_file: Option<&str>,
    key_id: Option<&str>,
    endpoint: &str,
    now: u64,
) -> Result<ClientRecord> {
    let bad = |msg: String| Error::protocol(endpoint, format!("registration response: {msg}"));
    let client_id = match resp.client_id {
        Some(id) if !id.trim().is_empty() => id,
        _ => return Err(bad("no client_id".into())),
    };
    let method = match resp.token_endpoint_auth_method.as_deref() {
        None => req.token_endpoint_auth_method,
        Some(m) => m.parse::<AuthMethod>().map_err(|_| {
            bad(format!("the server assigned token_endpoint_auth_method {m:?}, which this client does not implement"))
        })?,
    };
    let secret = resp.client_secret.filter(|s| !s.is_empty());
    if method.needs_secret() && secret.is_none() {
        return Err(bad(format!("token_endpoint_auth_method is {method} but no client_secret was issued")));
    }
    if method == AuthMethod::PrivateKeyJwt && private_key_file.is_none() {
        return Err(bad("the server assigned private_key_jwt, but no key was registered (--private-key-file)".into()));
    }
    if let Some(t) = resp.client_secret_expires_at
        && secret.is_some()
        && t != 0
        && t <= now
    {
        return Err(bad(format!("the issued client secret expired already (client_secret_expires_at {t})")));
    }
    let redirect = req.redirect_uris.first().cloned();
    if let (Some(ours), Some(theirs)) = (&redirect, &resp.redirect_uris)
        && !theirs.contains(ours)
    {
        return Err(bad(format!("the server registered the redirect URIs {theirs:?} instead of {ours}")));
    }
    // RFC 7592 management needs both halves; the URI receives a bearer credential, so it
    // gets the same https-or-loopback rule as every other endpoint.
    let management = match (resp.registration_client_uri, resp.registration_access_token) {
        (Some(uri), Some(token)) => {
            let url = crate::url_policy::parse("registration_client_uri", &uri).map_err(|e| bad(e.to_string()))?;
            crate::url_policy::require_secure("registration_client_uri", &url)?;
            Some((uri, token))
        }
        _ => None,
    };
    let (registration_client_uri, registration_access_token) = management.unzip();
    Ok(ClientRecord {
        issuer: issuer.to_string(),
        client_id,
        client_secret: if method.needs_secret() { secret } else { None },
        client_secret_expires_at: resp.client_secret_expires_at,
        auth_method: method,
        source: ClientSource::Dynamic,
        redirect_uri: redirect,
        private_key_file: if method == AuthMethod::PrivateKeyJwt { private_key_file.map(String::from) } else { None },
        key_id: if method == AuthMethod::PrivateKeyJwt { key_id.map(String::from) } else { None },
        registration_access_token,
        registration_client_uri,
        created_at: now,
        token_endpoint: None,
        revocation_endpoint: None,
    })
}

/// RFC 7591 §3: POSTs the metadata and returns the parsed answer (200 and 201 both
/// occur). A refusal becomes [`Error::OAuth`] with the server's `error` and
/// `error_description` (e.g. `invalid_redirect_uri`).
pub fn register(http: &Http, endpoint: &Url, req: &RegistrationRequest) -> Result<RegistrationResponse> {
    let body = serde_json::to_value(req).map_err(|e| Error::Internal(format!("encoding the registration: {e}")))?;
    let resp =
        http.send(Request::post_json(endpoint.clone(), body).header("Accept", "application/json").secret_answer())?;
    let map = resp.oauth_json("client registration")?;
    if !matches!(resp.status, 200 | 201) {
        return Err(Error::protocol(
            endpoint.as_str(),
            format!("client registration: unexpected HTTP {}", resp.status),
        ));
    }
    serde_json::from_value(Value::Object(map))
        .map_err(|e| Error::protocol(endpoint.as_str(), format!("registration response is malformed: {e}")))
}

/// The client for `doc`'s authorization server: the stored one when still good, else one
/// made by [`plan`]; stored before returning. The whole load-check-register-save runs
/// under the key's lock, so two concurrent runs register once.
pub fn obtain(http: &Http, store: &Store, doc: &Document, profile: Option<&str>, opts: &Options) -> Result<Outcome> {
    let asv = doc.require_authorization_server()?;
    let issuer = asv.issuer.as_str();
    let key = keys::client(issuer, profile);
    let mut warnings = Vec::new();
    let _guard = store.lock(&key)?;
    let stored: Option<ClientRecord> = store.load(&key)?;
    let now = crate::token::now();

    // Flags naming a client replace whatever is stored (the user knows better); without
    // them, a good stored client is reused and nothing is sent.
    if opts.client_id.is_none()
        && let Some(s) = &stored
    {
        match unusable_reason(s, issuer, opts, now) {
            None => {
                let mut record = s.clone();
                // Endpoints move, and records from older versions lack them: the metadata
                // just discovered is the authority on where the credentials may go.
                if bind_endpoints(&mut record, &asv.metadata) {
                    store.save(&key, &record)?;
                }
                return Ok(Outcome { record, key, action: Action::Reused, warnings });
            }
            // --force is the user's own wish; every other reason is news to them.
            Some(_) if opts.force => {}
            Some(reason) => warnings.push(format!("not reusing the stored client {}: {reason}", s.client_id)),
        }
    }

    let plan = plan(opts, &asv.metadata, &mut warnings)?;
    // A registration, once made, is the server's: its client secret must not be lost.
    let reservation = store.reserve(&key)?;
    let (record, action) = match plan {
        Plan::PreRegistered(client_id) => {
            let auth_method = choose_auth_method(opts.auth_method, &opts.credentials, &asv.metadata, &mut warnings)?;
            // Keep the redirect of the same client stored before: it is what the provider knows.
            let kept = stored
                .as_ref()
                .filter(|s| s.issuer == issuer && s.client_id == client_id)
                .and_then(|s| s.redirect_uri.as_deref().and_then(|u| Url::parse(u).ok()));
            let redirect = match (&opts.redirect_uri, kept) {
                (Some(u), _) => u.clone(),
                (None, Some(k)) => k,
                (None, None) => crate::redirect::default_uri()?,
            };
            let record = configured(issuer, client_id, auth_method, ClientSource::PreRegistered, &redirect, opts, now);
            (record, Action::Configured)
        }
        Plan::MetadataDocument(url) => {
            let redirect = metadata_document_redirect_uri(http, &url, opts.redirect_uri.as_ref(), &mut warnings)?;
            let method = match &opts.credentials.private_key_file {
                Some(_) => AuthMethod::PrivateKeyJwt,
                None => AuthMethod::None,
            };
            check_credentials(method, &opts.credentials)?;
            let record =
                configured(issuer, url.to_string(), method, ClientSource::MetadataDocument, &redirect, opts, now);
            (record, Action::Configured)
        }
        Plan::Dynamic(endpoint) => {
            let method = dynamic_auth_method(opts.wanted_auth_method(), &asv.metadata, &mut warnings)?;
            // Unlike a pre-registered client's, a secret is the server's to issue here.
            let has_key = opts.credentials.private_key_file.is_some();
            if (method == AuthMethod::PrivateKeyJwt) != has_key {
                return Err(Error::Usage(if has_key {
                    format!("a private key was given, but the client is to authenticate with {method}")
                } else {
                    "--auth-method private_key_jwt needs --private-key-file".into()
                }));
            }
            // Reuse the old port unless asked otherwise: a stable redirect survives servers
            // that match exactly, and a stale one is handled by redirect::bind_callback.
            let redirect = match (&opts.redirect_uri, stored.as_ref().filter(|s| s.issuer == issuer)) {
                (Some(u), _) => u.clone(),
                (None, Some(s)) if s.source == ClientSource::Dynamic => {
                    match s.redirect_uri.as_deref().map(Url::parse) {
                        Some(Ok(u)) => u,
                        _ => crate::redirect::default_uri()?,
                    }
                }
                _ => crate::redirect::default_uri()?,
            };
            let mut req = RegistrationRequest::new(&redirect, method, &opts.client_name, registration_scope(doc));
            // Registered grants bound what the client may do later: ask for the device grant
            // where the server offers it, so `mcp-authorize --device` works with this client.
            if asv.metadata.supports_grant(crate::token::DEVICE_CODE_GRANT) {
                req.grant_types.push(crate::token::DEVICE_CODE_GRANT.into());
            }
            let key_file = opts.credentials.private_key_file.as_deref().filter(|_| method == AuthMethod::PrivateKeyJwt);
            if let Some(path) = key_file {
                let jwk = crate::jwt::public_jwk(path, opts.credentials.key_id.as_deref())?;
                req.jwks = Some(serde_json::json!({ "keys": [jwk] }));
            }
            let resp = register(http, &endpoint, &req)?;
            let record = validate_response(
                resp,
                &req,
                issuer,
                key_file,
                opts.credentials.key_id.as_deref(),
                endpoint.as_str(),
                now,
            )?;
            (record, Action::Registered)
        }
    };

    let mut record = record;
    bind_endpoints(&mut record, &asv.metadata);
    store.commit(reservation, &record)?;
    // The replaced registration would linger at the server forever; delete it when we
    // can (RFC 7592), after the new one is safe, and never fail the run over it.
    if let Some(old) = stored.as_ref().filter(|s| s.issuer == issuer && s.client_id != record.client_id)
        && let Err(e) = crate::revocation::delete_registration(http, old)
    {
        warnings.push(format!("could not delete the replaced registration {} at the server: {e}", old.client_id));
    }
    Ok(Outcome { record, key, action, warnings })
}

/// Records the issuer's endpoints with the client; says whether that changed anything.
fn bind_endpoints(record: &mut ClientRecord, metadata: &crate::metadata::AuthorizationServerMetadata) -> bool {
    let before = (record.token_endpoint.take(), record.revocation_endpoint.take());
    record.token_endpoint = metadata.token_endpoint.clone();
    record.revocation_endpoint = metadata.revocation_endpoint.clone();
    before != (record.token_endpoint.clone(), record.revocation_endpoint.clone())
}

/// The record of a client the user named (pre-registered or metadata document): its
/// credentials are the user's flags, nothing was issued by the server.
fn configured(
    issuer: &str,
    client_id: String,
    auth_method: AuthMethod,
    source: ClientSource,
    redirect: &Url,
    opts: &Options,
    now: u64,
) -> ClientRecord {
    ClientRecord {
        issuer: issuer.to_string(),
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
        created_at: now,
        token_endpoint: None,
        revocation_endpoint: None,
    }
}

/// The document's view of a client: no secret unless the user asked for it.
pub fn client_info(record: &ClientRecord, store_key: &str, reveal: bool) -> ClientInfo {
    ClientInfo {
        client_id: record.client_id.clone(),
        auth_method: record.auth_method,
        source: record.source,
        redirect_uri: record.redirect_uri.clone(),
        store_key: store_key.to_string(),
        client_secret: if reveal { record.client_secret.clone() } else { None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{AuthorizationServer, Discovery, DiscoverySource, ScopeChoice, ScopeSource};
    use crate::metadata::ResourceMetadata;
    use serde_json::json;

    const ISSUER: &str = "https://as.example";

    fn metadata(methods: Option<&[&str]>) -> AuthorizationServerMetadata {
        let mut m = AuthorizationServerMetadata::from_endpoints(ISSUER.into());
        m.token_endpoint_auth_methods_supported = methods.map(|l| l.iter().map(|s| s.to_string()).collect());
        m
    }

    fn secret() -> Credentials {
        Credentials { client_secret: Some("s3cret".into()), ..Credentials::default() }
    }

    fn key() -> Credentials {
        Credentials { private_key_file: Some("/k.pem".into()), ..Credentials::default() }
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
        assert!(
            e.to_string().contains("does not accept public clients") && e.to_string().contains("--client-secret-file"),
            "{e}"
        );
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
        assert!(e.to_string().contains("--private-key-file"), "{e}");
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

    #[test]
    fn the_registration_body_has_what_the_spec_requires() {
        let redirect = Url::parse("http://127.0.0.1:4711/callback").unwrap();
        let req = RegistrationRequest::new(&redirect, AuthMethod::None, "my tool", Some("mcp:read".into()));
        let body = serde_json::to_value(&req).unwrap();
        assert_eq!(
            body,
            json!({
                "redirect_uris": ["http://127.0.0.1:4711/callback"],
                "application_type": "native",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
                "client_name": "my tool",
                "scope": "mcp:read",
            })
        );
        let web = RegistrationRequest::new(&Url::parse("https://app.example/cb").unwrap(), AuthMethod::None, "x", None);
        let body = serde_json::to_value(&web).unwrap();
        assert_eq!(body["application_type"], "web");
        assert!(body.get("scope").is_none(), "no scope means the member is omitted");
    }

    fn doc(choice: &[&str], prm: Option<&[&str]>, as_scopes: Option<&[&str]>) -> Document {
        let url = Url::parse("https://mcp.example/mcp").unwrap();
        let mut d = Document::new(&url, url.to_string(), None);
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        d.scope = Some(ScopeChoice { scopes: strings(choice), source: ScopeSource::Challenge });
        d.discovery = Some(Discovery {
            source: DiscoverySource::ResourceMetadata,
            probe_status: Some(401),
            challenge: None,
            resource_metadata_url: None,
            resource_metadata: prm.map(|p| ResourceMetadata {
                resource: url.to_string(),
                authorization_servers: vec![ISSUER.into()],
                scopes_supported: Some(strings(p)),
                bearer_methods_supported: None,
                resource_name: None,
                extra: Map::new(),
            }),
        });
        let mut m = metadata(None);
        m.scopes_supported = as_scopes.map(strings);
        d.authorization_server = Some(AuthorizationServer {
            issuer: ISSUER.into(),
            candidates: vec![],
            metadata_url: None,
            metadata: m,
            pkce_s256: true,
            registration_options: vec![],
        });
        d
    }

    #[test]
    fn registered_scope_covers_the_choice_step_up_and_offline_access() {
        let d = doc(&["mcp:read"], Some(&["mcp:read", "mcp:write"]), Some(&["openid", "offline_access", "mcp:read"]));
        assert_eq!(registration_scope(&d).as_deref(), Some("mcp:read mcp:write offline_access"));
        let d = doc(&["files"], None, None);
        assert_eq!(registration_scope(&d).as_deref(), Some("files"));
        // Nothing chosen and nothing advertised: omit, even if the AS knows offline_access.
        let d = doc(&[], None, Some(&["offline_access"]));
        assert_eq!(registration_scope(&d), None);
    }

    fn record() -> ClientRecord {
        ClientRecord {
            issuer: ISSUER.into(),
            client_id: "abc".into(),
            client_secret: None,
            client_secret_expires_at: None,
            auth_method: AuthMethod::None,
            source: ClientSource::Dynamic,
            redirect_uri: Some("http://127.0.0.1:4711/callback".into()),
            private_key_file: None,
            key_id: None,
            registration_access_token: None,
            registration_client_uri: None,
            created_at: 1,
            token_endpoint: None,
            revocation_endpoint: None,
        }
    }

    #[test]
    fn reuse_rules() {
        let now = 1_000_000;
        let opts = Options::default();
        assert_eq!(unusable_reason(&record(), ISSUER, &opts, now), None);

        // Bound to its issuer, compared exactly (SEP-2352): a trailing slash is another issuer.
        assert!(unusable_reason(&record(), "https://as.example/", &opts, now).unwrap().contains("belongs to"));

        let force = Options { force: true, ..Options::default() };
        assert_eq!(unusable_reason(&record(), ISSUER, &force, now).as_deref(), Some("--force"));

        let mut expired = record();
        expired.client_secret_expires_at = Some(now - 1);
        assert!(unusable_reason(&expired, ISSUER, &opts, now).unwrap().contains("expired"));
        expired.client_secret_expires_at = Some(0);
        assert_eq!(unusable_reason(&expired, ISSUER, &opts, now), None, "0 means never");
        expired.client_secret_expires_at = Some(now + 10);
        assert!(unusable_reason(&expired, ISSUER, &opts, now).is_some(), "about to expire counts as expired");

        // mcp-remote PR #292: another redirect means another registration.
        let same =
            Options { redirect_uri: Some(Url::parse("http://127.0.0.1:4711/callback").unwrap()), ..Options::default() };
        assert_eq!(unusable_reason(&record(), ISSUER, &same, now), None);
        let other =
            Options { redirect_uri: Some(Url::parse("http://127.0.0.1:5000/callback").unwrap()), ..Options::default() };
        assert!(unusable_reason(&record(), ISSUER, &other, now).unwrap().contains("redirect URI"));

        let method = Options { auth_method: Some(AuthMethod::ClientSecretBasic), ..Options::default() };
        assert!(unusable_reason(&record(), ISSUER, &method, now).is_some());
        // A key file alone asks for private_key_jwt.
        let keyed = Options { credentials: key(), ..Options::default() };
        assert!(unusable_reason(&record(), ISSUER, &keyed, now).unwrap().contains("private_key_jwt"));
    }

    fn response(v: Value) -> RegistrationResponse {
        serde_json::from_value(v).unwrap()
    }

    fn request(method: AuthMethod) -> RegistrationRequest {
        RegistrationRequest::new(&Url::parse("http://127.0.0.1:4711/callback").unwrap(), method, "t", None)
    }

    fn validate(v: Value, method: AuthMethod) -> Result<ClientRecord> {
        validate_response(response(v), &request(method), ISSUER, None, None, "https://as.example/reg", 1000)
    }

    #[test]
    fn a_full_response_is_kept() {
        let r = validate(
            json!({
                "client_id": "c1", "client_secret": "s", "client_secret_expires_at": "5000",
                "registration_access_token": "rat", "registration_client_uri": "https://as.example/reg/c1",
                "token_endpoint_auth_method": "client_secret_basic",
                "redirect_uris": ["http://127.0.0.1:4711/callback"], "x_vendor": 1
            }),
            AuthMethod::None,
        )
        .unwrap();
        assert_eq!(r.client_id, "c1");
        assert_eq!(r.auth_method, AuthMethod::ClientSecretBasic, "the server's answer decides");
        assert_eq!(r.client_secret.as_deref(), Some("s"));
        assert_eq!(r.client_secret_expires_at, Some(5000));
        assert_eq!(r.registration_access_token.as_deref(), Some("rat"));
        assert_eq!(r.registration_client_uri.as_deref(), Some("https://as.example/reg/c1"));
        assert_eq!(r.redirect_uri.as_deref(), Some("http://127.0.0.1:4711/callback"));
        assert_eq!((r.issuer.as_str(), r.source, r.created_at), (ISSUER, ClientSource::Dynamic, 1000));
    }

    #[test]
    fn unusable_responses_are_refused() {
        let cases = [
            (json!({}), "no client_id"),
            (json!({"client_id": ""}), "no client_id"),
            (json!({"client_id": "c", "token_endpoint_auth_method": "client_secret_post"}), "no client_secret"),
            (json!({"client_id": "c", "token_endpoint_auth_method": "tls_client_auth"}), "does not implement"),
            (json!({"client_id": "c", "token_endpoint_auth_method": "private_key_jwt"}), "no key"),
            (
                json!({"client_id": "c", "client_secret": "s", "client_secret_expires_at": 999,
                    "token_endpoint_auth_method": "client_secret_basic"}),
                "expired already",
            ),
            (json!({"client_id": "c", "redirect_uris": ["http://127.0.0.1:1/other"]}), "instead of"),
        ];
        for (v, needle) in cases {
            let e = validate(v.clone(), AuthMethod::None).unwrap_err();
            assert_eq!(e.exit_code().code(), 3, "{v}");
            assert!(e.to_string().contains(needle), "{v}: {e}");
        }
        // The requested secret method, with no secret in the answer.
        assert!(validate(json!({"client_id": "c"}), AuthMethod::ClientSecretBasic).is_err());
        // A management URI that would receive a bearer token over plain HTTP.
        let e = validate(
            json!({"client_id": "c", "registration_access_token": "t", "registration_client_uri": "http://as.example/reg/c"}),
            AuthMethod::None,
        )
        .unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
    }

    #[test]
    fn a_public_client_keeps_no_stray_secret() {
        let r = validate(
            json!({"client_id": "c", "client_secret": "unused", "token_endpoint_auth_method": "none"}),
            AuthMethod::None,
        )
        .unwrap();
        assert_eq!(r.client_secret, None);
        assert_eq!(r.registration_client_uri, None);
    }

    #[test]
    fn priority_is_pre_registered_then_metadata_document_then_dynamic() {
        let mut m = metadata(None);
        m.registration_endpoint = Some("https://as.example/reg".into());
        m.client_id_metadata_document_supported = Some(true);
        let cimd = metadata_document_url("https://app.example/client.json").unwrap();
        let mut w = Vec::new();

        let opts =
            Options { client_id: Some("pre".into()), client_metadata_url: Some(cimd.clone()), ..Options::default() };
        assert_eq!(plan(&opts, &m, &mut w).unwrap(), Plan::PreRegistered("pre".into()));
        let opts = Options { client_metadata_url: Some(cimd.clone()), ..Options::default() };
        assert_eq!(plan(&opts, &m, &mut w).unwrap(), Plan::MetadataDocument(cimd.clone()));
        assert_eq!(
            plan(&Options::default(), &m, &mut w).unwrap(),
            Plan::Dynamic(Url::parse("https://as.example/reg").unwrap())
        );
        assert!(w.is_empty());

        m.client_id_metadata_document_supported = None;
        assert!(matches!(plan(&opts, &m, &mut w).unwrap(), Plan::Dynamic(_)));
        assert!(w[0].contains("client_id_metadata_document_supported"), "{w:?}");

        m.registration_endpoint = None;
        let e = plan(&Options::default(), &m, &mut w).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        for flag in ["--client-id", "--client-secret-file", "--client-secret-stdin", "MCP_OAUTH_CLIENT_SECRET"] {
            assert!(e.to_string().contains(flag), "{flag}: {e}");
        }

        m.registration_endpoint = Some("http://as.example/reg".into());
        assert_eq!(plan(&Options::default(), &m, &mut w).unwrap_err().exit_code().code(), 5);
    }

    #[test]
    fn the_metadata_document_must_name_itself_and_list_the_redirect() {
        let url = Url::parse("https://app.example/client.json").unwrap();
        let doc = |v: Value| v.as_object().unwrap().clone();
        let good = doc(json!({
            "client_id": "https://app.example/client.json",
            "client_name": "app",
            "redirect_uris": ["https://app.example/cb", "http://127.0.0.1:7777/callback"],
        }));
        let r = metadata_document_redirect(&good, &url, None).unwrap();
        assert_eq!(r.as_str(), "http://127.0.0.1:7777/callback", "a loopback one first");
        let wanted = Url::parse("https://app.example/cb").unwrap();
        assert_eq!(metadata_document_redirect(&good, &url, Some(&wanted)).unwrap(), wanted);
        let unlisted = Url::parse("http://127.0.0.1:1/callback").unwrap();
        let e = metadata_document_redirect(&good, &url, Some(&unlisted)).unwrap_err();
        assert!(e.to_string().contains("does not list"), "{e}");

        let other =
            doc(json!({"client_id": "https://evil.example/c.json", "redirect_uris": ["http://127.0.0.1:1/cb"]}));
        assert!(metadata_document_redirect(&other, &url, None).unwrap_err().to_string().contains("not its own URL"));
        let none = doc(json!({"client_id": "https://app.example/client.json"}));
        assert!(metadata_document_redirect(&none, &url, None).unwrap_err().to_string().contains("no redirect_uris"));
    }

    #[test]
    fn metadata_document_urls_are_https_with_a_path() {
        assert!(metadata_document_url("https://app.example/client.json").is_ok());
        for bad in [
            "http://app.example/client.json",
            "https://app.example",
            "https://app.example/",
            "nope",
            "https://a.example/c#f",
        ] {
            assert_eq!(metadata_document_url(bad).unwrap_err().exit_code().code(), 2, "{bad}");
        }
    }

    #[test]
    fn the_document_shows_no_secret_unless_revealed() {
        let mut r = record();
        r.client_secret = Some("s".into());
        assert_eq!(client_info(&r, "k", false).client_secret, None);
        let shown = client_info(&r, "k", true);
        assert_eq!(shown.client_secret.as_deref(), Some("s"));
        assert_eq!(
            (shown.client_id.as_str(), shown.store_key.as_str(), shown.source),
            ("abc", "k", ClientSource::Dynamic)
        );
    }
}
