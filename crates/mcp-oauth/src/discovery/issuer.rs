//! Metadata for an issuer named by configuration rather than found through an MCP server
//! (an enterprise IdP): the same candidates, order and issuer echo check as discovery.

use super::fetch::Tried;
use super::{At, DiscoverOptions, Run, new_document, require_secure_endpoints};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::metadata::AuthorizationServerMetadata;

/// RFC 8414 or OpenID Connect Discovery metadata of `issuer`, whose `issuer` member must be
/// exactly the one given, with every endpoint HTTPS or loopback.
pub fn issuer_metadata(http: &Http, issuer: &str) -> Result<AuthorizationServerMetadata> {
    let url = crate::url_policy::parse("issuer", issuer)?;
    crate::url_policy::require_secure("issuer", &url)?;
    let opts = DiscoverOptions::default();
    let mut run =
        Run { http, server: &url, opts: &opts, doc: new_document(&url, &opts), at: At::AuthorizationServerMetadata };
    let mut tried = Tried::default();
    match run.authorization_server_metadata(&url, &[issuer], &mut tried) {
        Ok(Some((_, meta))) => {
            require_secure_endpoints(&meta)?;
            Ok(meta)
        }
        Ok(None) => Err(Error::protocol(issuer, format!("no authorization server metadata found: {}", tried.list()))),
        Err(stop) => Err(stop.error),
    }
}
