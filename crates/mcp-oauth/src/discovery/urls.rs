//! Where metadata lives: the well-known URLs of RFC 9728 §3.1 for a resource, and of
//! RFC 8414 §3.1 / OpenID Connect Discovery for an issuer, in the order MCP mandates.
//! Pure functions, so the order is tested without a server.

use url::Url;

/// RFC 9728 §3.1: the path-inserted well-known URL (when the server URL has a path), then
/// the root one.
pub fn resource_metadata_urls(server: &Url) -> Vec<Url> {
    let path = server.path().trim_end_matches('/');
    let mut base = server.clone();
    base.set_fragment(None);
    let _ = base.set_username("");
    let _ = base.set_password(None);
    let mut out = Vec::new();
    if !path.is_empty() {
        let mut inserted = base.clone();
        inserted.set_path(&format!("/.well-known/oauth-protected-resource{path}"));
        out.push(inserted);
    }
    let mut root = base;
    root.set_path("/.well-known/oauth-protected-resource");
    root.set_query(None);
    out.push(root);
    out
}

/// MCP 2026-07-28 "Authorization Server Metadata Discovery", in the mandated order.
pub fn authorization_server_metadata_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let at = |p: String| {
        let mut u = issuer.clone();
        u.set_path(&p);
        u.set_query(None);
        u.set_fragment(None);
        u
    };
    if path.is_empty() {
        vec![at("/.well-known/oauth-authorization-server".into()), at("/.well-known/openid-configuration".into())]
    } else {
        vec![
            at(format!("/.well-known/oauth-authorization-server{path}")),
            at(format!("/.well-known/openid-configuration{path}")),
            at(format!("{path}/.well-known/openid-configuration")),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::discovery::tests::u;

    fn strings(urls: Vec<Url>) -> Vec<String> {
        urls.into_iter().map(String::from).collect()
    }

    #[test]
    fn resource_metadata_locations() {
        assert_eq!(
            strings(resource_metadata_urls(&u("https://mcp.example.com/public/mcp/?x=1#f"))),
            [
                "https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp?x=1",
                "https://mcp.example.com/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(
            strings(resource_metadata_urls(&u("https://mcp.example.com/"))),
            ["https://mcp.example.com/.well-known/oauth-protected-resource"]
        );
    }

    #[test]
    fn authorization_server_locations_in_the_mandated_order() {
        assert_eq!(
            strings(authorization_server_metadata_urls(&u("https://auth.example.com/tenant1"))),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ]
        );
        let rootless = [
            "https://auth.example.com/.well-known/oauth-authorization-server",
            "https://auth.example.com/.well-known/openid-configuration",
        ];
        assert_eq!(strings(authorization_server_metadata_urls(&u("https://auth.example.com"))), rootless);
        assert_eq!(strings(authorization_server_metadata_urls(&u("https://auth.example.com/"))), rootless);
    }
}
