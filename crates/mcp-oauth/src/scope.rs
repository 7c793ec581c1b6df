//! Which scopes to ask for: the MCP "Scope Selection Strategy" (2025-11-25, SEP-835) and
//! step-up authorization with the union of scopes (2026-07-28, SEP-2350).

use crate::document::{ScopeChoice, ScopeSource};
use crate::metadata::ResourceMetadata;
use crate::www_authenticate::Challenge;

/// Splits a space-separated `scope` value (RFC 6749 §3.3), dropping repeats, keeping order.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split([' ', '\t', '\n', '\r']).filter(|s| !s.is_empty()) {
        if !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// The scope of the first authorization request, in the spec's priority order: what the
/// user asked for, else the 401 challenge's `scope` (authoritative for the operation), else
/// everything the resource metadata lists, else nothing (`scope` omitted).
///
/// The challenge and `scopes_supported` are never mixed: the spec forbids assuming any
/// subset relation between them.
pub fn initial(challenge: Option<&Challenge>, prm: Option<&ResourceMetadata>, user_scope: Option<&str>) -> ScopeChoice {
    if let Some(user) = user_scope {
        return ScopeChoice { scopes: split(user), source: ScopeSource::User };
    }
    if let Some(scopes) = challenge.and_then(Challenge::scope).map(split).filter(|s| !s.is_empty()) {
        return ScopeChoice { scopes, source: ScopeSource::Challenge };
    }
    if let Some(supported) = prm.and_then(|p| p.scopes_supported.as_ref()) {
        let scopes = split(&supported.join(" "));
        if !scopes.is_empty() {
            return ScopeChoice { scopes, source: ScopeSource::ResourceMetadata };
        }
    }
    ScopeChoice { scopes: Vec::new(), source: ScopeSource::None }
}

/// The scope for re-authorizing after a 403 `insufficient_scope`: what was requested before
/// plus what the challenge asks for. Asking for the challenge's scopes alone would lose
/// permissions the earlier operations needed (typescript-sdk#2255).
pub fn step_up(previous: &[String], challenge_scope: &str) -> ScopeChoice {
    let mut scopes = split(&previous.join(" "));
    for s in split(challenge_scope) {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    ScopeChoice { scopes, source: ScopeSource::StepUp }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::www_authenticate::parse;

    fn prm(scopes: Option<&[&str]>) -> ResourceMetadata {
        serde_json::from_value(serde_json::json!({
            "resource": "https://mcp.example.com/mcp",
            "authorization_servers": ["https://as.example.com"],
            "scopes_supported": scopes,
        }))
        .unwrap()
    }

    #[test]
    fn challenge_wins_over_resource_metadata() {
        let c = &parse(r#"Bearer scope="files:read""#)[0];
        let choice = initial(Some(c), Some(&prm(Some(&["files:read", "files:write"]))), None);
        assert_eq!(choice, ScopeChoice { scopes: vec!["files:read".into()], source: ScopeSource::Challenge });
    }

    #[test]
    fn all_of_scopes_supported_without_a_challenge_scope() {
        let c = &parse("Bearer")[0];
        let choice = initial(Some(c), Some(&prm(Some(&["a", "b", "a"]))), None);
        assert_eq!(choice.scopes, ["a", "b"]);
        assert_eq!(choice.source, ScopeSource::ResourceMetadata);
        let empty_challenge = &parse(r#"Bearer scope="""#)[0];
        assert_eq!(
            initial(Some(empty_challenge), Some(&prm(Some(&["a"]))), None).source,
            ScopeSource::ResourceMetadata
        );
    }

    #[test]
    fn nothing_advertised_means_no_scope() {
        let choice = initial(None, Some(&prm(None)), None);
        assert_eq!(choice.source, ScopeSource::None);
        assert_eq!(choice.joined(), None);
        assert_eq!(initial(None, Some(&prm(Some(&[]))), None).source, ScopeSource::None);
    }

    #[test]
    fn the_user_overrides_everything() {
        let c = &parse(r#"Bearer scope="x""#)[0];
        let choice = initial(Some(c), Some(&prm(Some(&["y"]))), Some("  mine  other mine"));
        assert_eq!(choice, ScopeChoice { scopes: vec!["mine".into(), "other".into()], source: ScopeSource::User });
    }

    #[test]
    fn step_up_is_the_ordered_union() {
        let before = vec!["read".to_string(), "list".to_string()];
        let choice = step_up(&before, "write read  admin");
        assert_eq!(choice.scopes, ["read", "list", "write", "admin"]);
        assert_eq!(choice.source, ScopeSource::StepUp);
        assert_eq!(step_up(&[], "a a").scopes, ["a"]);
    }
}
