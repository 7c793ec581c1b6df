//! Which scopes to ask for: the MCP "Scope Selection Strategy" (2025-11-25, SEP-835) and
//! step-up authorization with the union of scopes (2026-07-28, SEP-2350).

use crate::document::{ScopeChoice, ScopeSource};
use crate::metadata::ResourceMetadata;
use crate::www_authenticate::Challenge;

/// A set of scope tokens in the order first seen (RFC 6749 §3.3: order carries no meaning,
/// but keeping it makes requests and messages predictable). Every union, repeat removal and
/// "does it cover" question about scopes goes through this one type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// A space-separated `scope` value.
    pub fn parse(scope: &str) -> Self {
        let mut out = Scopes::default();
        out.add(scope);
        out
    }

    /// Adds every token of a space-separated value not already present.
    pub fn add(&mut self, scope: &str) {
        for s in scope.split([' ', '\t', '\n', '\r']).filter(|s| !s.is_empty()) {
            if !self.contains(s) {
                self.0.push(s.to_string());
            }
        }
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|x| x == scope)
    }

    /// Whether every scope of `wanted` is in this set.
    pub fn covers(&self, wanted: &Scopes) -> bool {
        wanted.0.iter().all(|w| self.contains(w))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `scope=` value, or `None` when empty (`scope` omitted).
    pub fn joined(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| self.0.join(" "))
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

impl<'a> FromIterator<&'a str> for Scopes {
    /// Each item may itself be a space-separated value.
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut out = Scopes::default();
        iter.into_iter().for_each(|s| out.add(s));
        out
    }
}

/// Splits a space-separated `scope` value (RFC 6749 §3.3), dropping repeats, keeping order.
pub fn split(scope: &str) -> Vec<String> {
    Scopes::parse(scope).into_vec()
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
        let scopes = supported.iter().map(String::as_str).collect::<Scopes>().into_vec();
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
    let mut scopes: Scopes = previous.iter().map(String::as_str).collect();
    scopes.add(challenge_scope);
    ScopeChoice { scopes: scopes.into_vec(), source: ScopeSource::StepUp }
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

    #[test]
    fn scopes_is_an_ordered_set() {
        let mut s = Scopes::parse(" b\ta  b ");
        s.add("c a");
        assert_eq!(s.joined().as_deref(), Some("b a c"));
        assert!(s.covers(&Scopes::parse("c b")) && !s.covers(&Scopes::parse("a d")));
        assert!(s.covers(&Scopes::default()));
        assert_eq!(Scopes::parse("  ").joined(), None);
        assert_eq!(["x y", "y", "z"].into_iter().collect::<Scopes>().into_vec(), ["x", "y", "z"]);
    }
}
