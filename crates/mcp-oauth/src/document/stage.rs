//! The document's stages as types, discovered → registered → authorized (the typestate idea
//! of oauth2-rs): each step's entry point takes the stage it needs, so what it needs is there
//! by construction, and a document that lacks a stage is refused once, where it is parsed,
//! with the step to run first. The wire format stays the one [`Document`]: a stage is a
//! document with its guaranteed part taken out of the `Option`, put back on the way out.

use super::{AuthorizationServer, ClientInfo, Discovery, Document, PendingInfo, ScopeChoice, TokenInfo};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::ops::{Deref, DerefMut};

/// Discovery is done: the resource and the validated authorization server.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    /// The rest of the document; its `authorization_server` is `None` (it is the field below).
    rest: Document,
    authorization_server: AuthorizationServer,
}

/// A client is known for the authorization server: `mcp-dcr` ran (or an import took one).
/// A hand-off keeps it in the store as a document (hence the serde through [`Document`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Document", into = "Document")]
pub struct Registered {
    /// Its document's `client` is `None` (it is the field below).
    discovered: Discovered,
    client: ClientInfo,
}

/// A token set was obtained and stored: `mcp-authorize` ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorized {
    /// Its document's `token` is `None` (it is the field below).
    registered: Registered,
    token: TokenInfo,
}

impl Document {
    /// The discovered stage, or the one-line error that says to run `mcp-discover`.
    pub fn discovered(mut self) -> Result<Discovered> {
        match self.authorization_server.take() {
            Some(authorization_server) => Ok(Discovered { rest: self, authorization_server }),
            None => Err(Error::InvalidInput(
                "the input document has no authorization server: run mcp-discover first".into(),
            )),
        }
    }

    /// The registered stage; an earlier missing stage is the one reported.
    pub fn registered(self) -> Result<Registered> {
        self.discovered()?.registered()
    }

    /// The authorized stage; an earlier missing stage is the one reported.
    pub fn authorized(self) -> Result<Authorized> {
        self.registered()?.authorized()
    }
}

impl Discovered {
    pub fn authorization_server(&self) -> &AuthorizationServer {
        &self.authorization_server
    }

    pub fn server_url(&self) -> &str {
        &self.rest.server_url
    }

    /// The RFC 8707 resource identifier.
    pub fn resource(&self) -> &str {
        &self.rest.resource
    }

    pub fn profile(&self) -> Option<&str> {
        self.rest.profile.as_deref()
    }

    pub fn set_profile(&mut self, profile: Option<String>) {
        self.rest.profile = profile;
    }

    pub fn discovery(&self) -> Option<&Discovery> {
        self.rest.discovery.as_ref()
    }

    pub fn scope(&self) -> Option<&ScopeChoice> {
        self.rest.scope.as_ref()
    }

    pub fn set_scope(&mut self, choice: ScopeChoice) {
        self.rest.scope = Some(choice);
    }

    /// The registered stage, or the one-line error that says to run `mcp-dcr`.
    pub fn registered(mut self) -> Result<Registered> {
        match self.rest.client.take() {
            Some(client) => Ok(Registered { discovered: self, client }),
            None => Err(Error::InvalidInput("the input document has no client: run mcp-dcr first".into())),
        }
    }

    /// The registration step's result.
    pub fn with_client(mut self, client: ClientInfo) -> Registered {
        self.rest.client = None;
        Registered { discovered: self, client }
    }

    pub fn into_document(self) -> Document {
        Document { authorization_server: Some(self.authorization_server), ..self.rest }
    }
}

impl Registered {
    pub fn client(&self) -> &ClientInfo {
        &self.client
    }

    pub fn client_mut(&mut self) -> &mut ClientInfo {
        &mut self.client
    }

    /// Back to registered and no further: an earlier run's token summary and hand-off go.
    pub fn forget_progress(&mut self) {
        self.discovered.rest.token = None;
        self.discovered.rest.pending = None;
    }

    /// The first half of a hand-off: it waits, and no token is current.
    pub fn with_pending(mut self, pending: PendingInfo) -> Registered {
        self.forget_progress();
        self.discovered.rest.pending = Some(pending);
        self
    }

    /// The authorized stage, or the one-line error that says to run `mcp-authorize`.
    pub fn authorized(mut self) -> Result<Authorized> {
        match self.discovered.rest.token.take() {
            Some(token) => Ok(Authorized { registered: self, token }),
            None => Err(Error::InvalidInput("the input document has no token: run mcp-authorize first".into())),
        }
    }

    /// The authorization step's result: no hand-off waits any more.
    pub fn with_token(mut self, token: TokenInfo) -> Authorized {
        self.forget_progress();
        Authorized { registered: self, token }
    }

    pub fn into_document(self) -> Document {
        Document { client: Some(self.client), ..self.discovered.into_document() }
    }
}

impl Authorized {
    pub fn token(&self) -> &TokenInfo {
        &self.token
    }

    pub fn into_document(self) -> Document {
        Document { token: Some(self.token), ..self.registered.into_document() }
    }
}

/// A later stage is also an earlier one: what takes `&Discovered` takes a `&Registered`.
impl Deref for Registered {
    type Target = Discovered;
    fn deref(&self) -> &Discovered {
        &self.discovered
    }
}

impl DerefMut for Registered {
    fn deref_mut(&mut self) -> &mut Discovered {
        &mut self.discovered
    }
}

impl Deref for Authorized {
    type Target = Registered;
    fn deref(&self) -> &Registered {
        &self.registered
    }
}

impl TryFrom<Document> for Discovered {
    type Error = Error;
    fn try_from(doc: Document) -> Result<Self> {
        doc.discovered()
    }
}

impl TryFrom<Document> for Registered {
    type Error = Error;
    fn try_from(doc: Document) -> Result<Self> {
        doc.registered()
    }
}

impl TryFrom<Document> for Authorized {
    type Error = Error;
    fn try_from(doc: Document) -> Result<Self> {
        doc.authorized()
    }
}

impl From<Discovered> for Document {
    fn from(stage: Discovered) -> Self {
        stage.into_document()
    }
}

impl From<Registered> for Document {
    fn from(stage: Registered) -> Self {
        stage.into_document()
    }
}

impl From<Authorized> for Document {
    fn from(stage: Authorized) -> Self {
        stage.into_document()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::{AuthMethod, ClientSource};
    use crate::document::ScopeSource;
    use crate::grant_type::GrantType;
    use crate::metadata::AuthorizationServerMetadata;

    const URL: &str = "http://127.0.0.1:9/mcp";

    fn bare() -> Document {
        Document::new(&url::Url::parse(URL).unwrap(), URL.into(), Some("work".into()))
    }

    fn authorization_server() -> AuthorizationServer {
        let metadata: AuthorizationServerMetadata =
            serde_json::from_value(serde_json::json!({"issuer": "http://127.0.0.1:8"})).unwrap();
        AuthorizationServer {
            issuer: metadata.issuer.clone(),
            candidates: vec![],
            metadata_url: None,
            pkce_s256: false,
            registration_options: vec![],
            metadata,
        }
    }

    fn client() -> ClientInfo {
        ClientInfo {
            client_id: "c1".into(),
            auth_method: AuthMethod::None,
            source: ClientSource::Dynamic,
            redirect_uri: None,
            store_key: "client-key".into(),
            client_secret: None,
        }
    }

    fn token() -> TokenInfo {
        TokenInfo {
            store_key: "token-key".into(),
            token_type: "Bearer".into(),
            expires_at: Some(5),
            scope: None,
            has_refresh_token: true,
            grant: GrantType::AuthorizationCode,
            access_token: None,
            refresh_token: None,
        }
    }

    fn pending() -> PendingInfo {
        PendingInfo { authorization_url: "http://127.0.0.1:8/auth".into(), store_key: "p".into(), expires_at: 9 }
    }

    /// Each stage's document, as the tools write them.
    fn discovered_doc() -> Document {
        let mut d = bare();
        d.authorization_server = Some(authorization_server());
        d.scope = Some(ScopeChoice { scopes: vec!["a".into()], source: ScopeSource::User });
        d
    }

    fn registered_doc() -> Document {
        Document { client: Some(client()), ..discovered_doc() }
    }

    fn authorized_doc() -> Document {
        Document { token: Some(token()), ..registered_doc() }
    }

    #[test]
    fn each_stage_parses_and_writes_back_the_same_document() {
        let d = discovered_doc().discovered().unwrap();
        assert_eq!(d.authorization_server(), &authorization_server());
        assert_eq!((d.server_url(), d.resource(), d.profile()), (URL, URL, Some("work")));
        assert_eq!(d.scope().unwrap().scopes, ["a"]);
        assert_eq!(d.into_document(), discovered_doc());

        let r = registered_doc().registered().unwrap();
        assert_eq!(r.client(), &client());
        assert_eq!(r.authorization_server().issuer, "http://127.0.0.1:8");
        assert_eq!(r.into_document(), registered_doc());

        let a = authorized_doc().authorized().unwrap();
        assert_eq!((a.token(), a.client()), (&token(), &client()));
        assert_eq!(Document::from(a), authorized_doc());
    }

    #[test]
    fn a_later_document_is_also_an_earlier_stage() {
        // mcp-dcr again on an authorized document: the client and token it carries stay.
        assert_eq!(authorized_doc().discovered().unwrap().into_document(), authorized_doc());
        assert_eq!(authorized_doc().registered().unwrap().into_document(), authorized_doc());
    }

    #[test]
    fn a_missing_stage_is_a_usage_error_that_names_the_step_to_run() {
        for (doc, needle) in [
            (bare(), "no authorization server: run mcp-discover first"),
            (Document { client: Some(client()), token: Some(token()), ..bare() }, "run mcp-discover first"),
            (discovered_doc(), "no client: run mcp-dcr first"),
            (Document { token: Some(token()), ..discovered_doc() }, "run mcp-dcr first"),
            (registered_doc(), "no token: run mcp-authorize first"),
        ] {
            let e = doc.clone().authorized().unwrap_err();
            assert_eq!(e.exit_code().code(), 2, "{doc:?}");
            assert!(e.to_string().ends_with(needle), "{e}");
        }
        assert!(bare().discovered().unwrap_err().to_string().ends_with("run mcp-discover first"));
        assert!(
            discovered_doc().discovered().unwrap().registered().unwrap_err().to_string().ends_with("run mcp-dcr first")
        );
        assert!(Discovered::try_from(registered_doc()).is_ok() && Registered::try_from(discovered_doc()).is_err());
        assert!(Authorized::try_from(registered_doc()).is_err());
    }

    #[test]
    fn the_steps_add_their_stage() {
        // A registration replaces a client the document had.
        let other = ClientInfo { client_id: "old".into(), ..client() };
        let discovered = Document { client: Some(other), ..discovered_doc() }.discovered().unwrap();
        let registered = discovered.with_client(client());
        assert_eq!(registered.into_document(), registered_doc());

        // The hand-off's first half drops an earlier token; a login drops the hand-off.
        let waiting = authorized_doc().registered().unwrap().with_pending(pending());
        let doc = waiting.clone().into_document();
        assert_eq!((doc.token, doc.pending), (None, Some(pending())));
        let done = waiting.with_token(token()).into_document();
        assert_eq!(done, authorized_doc());
    }

    #[test]
    fn a_registered_stage_is_stored_as_its_document() {
        let r = registered_doc().registered().unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json, serde_json::to_value(registered_doc()).unwrap());
        assert_eq!(serde_json::from_value::<Registered>(json).unwrap(), r);
        let lacking = serde_json::to_value(discovered_doc()).unwrap();
        let e = serde_json::from_value::<Registered>(lacking).unwrap_err().to_string();
        assert!(e.contains("run mcp-dcr first"), "{e}");
    }

    #[test]
    fn scope_and_profile_changes_reach_the_written_document() {
        let mut r = registered_doc().registered().unwrap();
        r.set_scope(ScopeChoice { scopes: vec!["b".into()], source: ScopeSource::StepUp });
        r.set_profile(None);
        r.client_mut().client_secret = Some(crate::secret::Secret::from("s".to_string()));
        let doc = r.into_document();
        assert_eq!(doc.scope.unwrap().scopes, ["b"]);
        assert_eq!(doc.profile, None);
        assert!(doc.client.unwrap().client_secret.is_some());
    }
}
