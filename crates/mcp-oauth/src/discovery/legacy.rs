//! The MCP 2025-03-26 fallback, for a server that challenged but publishes no resource
//! metadata: its origin is the authorization server, with the default endpoints when that
//! has no metadata either. Only reached after a 401, so no endpoints are invented for a
//! server that wants no token.

use super::fetch::Tried;
use super::{Run, Step, rules};
use crate::document::DiscoverySource;
use crate::error::Error;
use crate::metadata::AuthorizationServerMetadata;
use crate::scope;
use crate::url_policy;
use crate::www_authenticate::Challenge;
use url::Url;

impl Run<'_> {
    pub(super) fn legacy(&mut self, challenge: Option<&Challenge>) -> Step {
        let origin = url_policy::origin(self.server);
        self.finding(
            &rules::LEGACY_NO_PRM,
            "no protected-resource metadata (required since MCP 2025-06-18): using the 2025-03-26 rules, the MCP server's origin is the authorization server",
        );
        if let Some(d) = self.doc.discovery.as_mut() {
            d.source = DiscoverySource::Legacy;
        }
        self.doc.resource = url_policy::canonical_resource(self.server);
        self.doc.scope = Some(scope::initial(challenge, None, self.opts.scope.as_deref()));
        let issuer = Url::parse(&origin).map_err(|e| Error::Internal(format!("origin {origin}: {e}")))?;
        // python-sdk#3398: a root issuer may come with or without its trailing slash.
        let with_slash = format!("{origin}/");
        let issuers = [origin.as_str(), with_slash.as_str()];
        match self.authorization_server_metadata(&issuer, &issuers, &mut Tried::default())? {
            Some((url, meta)) => self.accept(meta, Vec::new(), Some(&url)),
            None => {
                self.finding(
                    &rules::LEGACY_NO_AS_METADATA,
                    format!("no authorization-server metadata at {origin}: using {origin}/authorize, /token and /register, assuming PKCE S256 (mandatory in OAuth 2.1)"),
                );
                let mut meta = AuthorizationServerMetadata::from_endpoints(origin.clone());
                meta.authorization_endpoint = Some(format!("{origin}/authorize"));
                meta.token_endpoint = Some(format!("{origin}/token"));
                meta.registration_endpoint = Some(format!("{origin}/register"));
                meta.code_challenge_methods_supported = Some(vec!["S256".into()]);
                meta.response_types_supported = Some(vec!["code".into()]);
                self.accept(meta, Vec::new(), None)
            }
        }
    }
}
