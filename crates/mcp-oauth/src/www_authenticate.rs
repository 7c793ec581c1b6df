//! RFC 7235 `WWW-Authenticate` parsing (RFC 6750 §3 and RFC 9728 §5.1 parameters).
//!
//! The SDKs match `name="value"` with a regular expression on the first challenge only; that
//! breaks on several challenges in one header, a `Bearer` challenge that is not first,
//! escaped quotes, and parameter values that contain another parameter's name. This is the
//! RFC 7235 §4.1 grammar instead:
//!
//! ```text
//! WWW-Authenticate = 1#challenge
//! challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! The header comes from the network, so [`parse`] is total: any input, however large or
//! malformed, yields the challenges it could make sense of, in linear time, without panicking.
//! Unparseable stretches are skipped up to the next comma.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One challenge: an auth scheme with its parameters (names lowercased).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub scheme: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token68: Option<String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
    pub fn resource_metadata(&self) -> Option<&str> {
        self.param("resource_metadata")
    }
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }
    /// Auth schemes are case-insensitive (RFC 7235 §2.1).
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// Parses one `WWW-Authenticate` field value into its challenges, in order.
pub fn parse(header: &str) -> Vec<Challenge> {
    Parser { s: header.as_bytes(), pos: 0 }.challenges()
}

/// Parses every `WWW-Authenticate` field of a response (a server may send several; RFC 7230
/// §3.2.2 makes them equivalent to one comma-joined field).
pub fn parse_all<'a>(headers: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    headers.into_iter().flat_map(parse).collect()
}

/// The challenge an OAuth client acts on: the first `Bearer` one, wherever it stands.
pub fn bearer(challenges: &[Challenge]) -> Option<&Challenge> {
    challenges.iter().find(|c| c.is_scheme("Bearer"))
}

/// RFC 7230 §3.2.6 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7235 §2.1 `token68` characters, apart from the trailing `=` padding.
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and empty list elements (RFC 7230 §7 allows `, ,`).
    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    /// Recovery from garbage: drop everything up to the next comma outside quotes.
    fn skip_to_comma(&mut self) {
        let mut quoted = false;
        while let Some(b) = self.peek() {
            match b {
                b'"' => quoted = !quoted,
                b'\\' if quoted => self.pos += 1,
                b',' if !quoted => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    /// Index just past `BWS "="` following `i`, if an `=` is there.
    fn equals_after(&self, mut i: usize) -> Option<usize> {
        while matches!(self.at(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        (self.at(i) == Some(b'=')).then_some(i + 1)
    }

    /// Is an `auth-param` (`name = value`) starting here? Distinguishes it from token68 and
    /// from the next challenge's scheme without consuming anything.
    fn param_ahead(&self) -> bool {
        let mut i = self.pos;
        while self.at(i).is_some_and(is_tchar) {
            i += 1;
        }
        if i == self.pos {
            return false;
        }
        let Some(mut j) = self.equals_after(i) else {
            return false;
        };
        // `abc==` or `abc=` at the end of an element is token68 padding, not a parameter.
        while matches!(self.at(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        !matches!(self.at(j), None | Some(b',' | b'='))
    }

    fn challenges(mut self) -> Vec<Challenge> {
        let mut out = Vec::new();
        loop {
            self.skip_separators();
            if self.pos >= self.s.len() {
                return out;
            }
            let Some(scheme) = self.token() else {
                // Not a comma or space (skipped above), so this always moves forward.
                self.skip_to_comma();
                continue;
            };
            let mut challenge = Challenge { scheme, params: BTreeMap::new(), token68: None };
            if matches!(self.peek(), Some(b' ' | b'\t')) {
                self.skip_ws();
                if self.param_ahead() {
                    self.params(&mut challenge);
                } else if let Some(t) = self.token68() {
                    challenge.token68 = Some(t);
                }
            }
            // Whatever is left before the next comma does not fit the grammar.
            self.skip_ws();
            if !matches!(self.peek(), None | Some(b',')) {
                self.skip_to_comma();
            }
            out.push(challenge);
        }
    }

    /// A token68 that fills the rest of the list element.
    fn token68(&mut self) -> Option<String> {
        let start = self.pos;
        let mut i = self.pos;
        while self.at(i).is_some_and(is_token68_char) {
            i += 1;
        }
        if i == start {
            return None;
        }
        while self.at(i) == Some(b'=') {
            i += 1;
        }
        let end = i;
        while matches!(self.at(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if !matches!(self.at(i), None | Some(b',')) {
            return None;
        }
        self.pos = end;
        Some(String::from_utf8_lossy(&self.s[start..end]).into_owned())
    }

    /// `#auth-param`, stopping before a list element that starts the next challenge.
    fn params(&mut self, challenge: &mut Challenge) {
        loop {
            let Some(name) = self.token() else { return };
            self.skip_ws();
            self.pos += 1; // the `=` that param_ahead saw
            self.skip_ws();
            let value = if self.peek() == Some(b'"') { self.quoted_string() } else { self.token() };
            let Some(value) = value else {
                self.skip_to_comma();
                return;
            };
            // RFC 7235 §2.1: a name occurs once per challenge; the first one counts, so a
            // repeat cannot override a value that was already acted on elsewhere.
            challenge.params.entry(name.to_ascii_lowercase()).or_insert(value);
            self.skip_ws();
            if !matches!(self.peek(), None | Some(b',')) {
                self.skip_to_comma();
            }
            // Past the comma is either this challenge's next parameter or the next challenge;
            // for the latter, stay on the comma so the caller sees the element boundary.
            let comma = self.pos;
            self.skip_separators();
            if !self.param_ahead() {
                self.pos = comma;
                return;
            }
        }
    }

    /// RFC 7230 §3.2.6 `quoted-string` with `quoted-pair` escapes; an unterminated string
    /// runs to the end of the header.
    fn quoted_string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut value = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&value).into_owned()),
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        value.push(escaped);
                        self.pos += 1;
                    }
                }
                _ => value.push(b),
            }
        }
        Some(String::from_utf8_lossy(&value).into_owned())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn one(header: &str) -> Challenge {
        let mut all = parse(header);
        assert_eq!(all.len(), 1, "{header:?} -> {all:?}");
        all.remove(0)
    }

    #[test]
    fn the_mcp_example() {
        let c = one(
            r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read""#,
        );
        assert!(c.is_scheme("bearer"));
        assert_eq!(c.resource_metadata(), Some("https://mcp.example.com/.well-known/oauth-protected-resource"));
        assert_eq!(c.scope(), Some("files:read"));
        assert_eq!(c.token68, None);
    }

    #[test]
    fn insufficient_scope_with_description() {
        let c = one(
            r#"Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://m/x", error_description="needs \"write\", sorry""#,
        );
        assert_eq!(c.error(), Some("insufficient_scope"));
        assert_eq!(c.scope(), Some("files:read files:write"));
        assert_eq!(c.error_description(), Some(r#"needs "write", sorry"#));
        assert_eq!(c.resource_metadata(), Some("https://m/x"));
    }

    #[test]
    fn several_challenges_in_any_order() {
        let all = parse(r#"Basic realm="a, b", DPoP algs="ES256", Bearer realm=x, scope="s""#);
        let schemes: Vec<&str> = all.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "DPoP", "Bearer"]);
        assert_eq!(all[0].param("realm"), Some("a, b"));
        let b = bearer(&all).unwrap();
        assert_eq!(b.param("realm"), Some("x"));
        assert_eq!(b.scope(), Some("s"));
    }

    #[test]
    fn several_headers() {
        let all = parse_all(["Basic realm=\"x\"", "Bearer scope=\"a b\""]);
        assert_eq!(all.len(), 2);
        assert_eq!(bearer(&all).unwrap().scope(), Some("a b"));
    }

    #[test]
    fn names_are_case_insensitive_values_are_not() {
        let c = one(r#"BEARER Resource_Metadata="https://X/Y", SCOPE=Read"#);
        assert!(c.is_scheme("Bearer"));
        assert_eq!(c.resource_metadata(), Some("https://X/Y"));
        assert_eq!(c.scope(), Some("Read"));
    }

    #[test]
    fn token68_and_padding() {
        let all = parse("Negotiate abc+/def==, Bearer, Basic");
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].token68.as_deref(), Some("abc+/def=="));
        assert!(all[1].params.is_empty() && all[1].token68.is_none());
        assert_eq!(parse("Foo abc=")[0].token68.as_deref(), Some("abc="));
    }

    #[test]
    fn whitespace_around_equals_and_empty_elements() {
        let c = one("Bearer  scope = \"a\" ,, error =invalid_token ,");
        assert_eq!(c.scope(), Some("a"));
        assert_eq!(c.error(), Some("invalid_token"));
    }

    #[test]
    fn a_value_that_mentions_another_parameter_does_not_fool_it() {
        // The SDK regex would find `scope=` inside the description.
        let c = one(r#"Bearer error_description="try scope=admin", scope="read""#);
        assert_eq!(c.scope(), Some("read"));
    }

    #[test]
    fn first_occurrence_of_a_parameter_wins() {
        let c = one(r#"Bearer scope="a", scope="admin""#);
        assert_eq!(c.scope(), Some("a"));
    }

    #[test]
    fn bare_scheme_and_empty_header() {
        assert_eq!(one("Bearer").scheme, "Bearer");
        assert!(parse("").is_empty());
        assert!(parse(" , ,").is_empty());
    }

    #[test]
    fn garbage_is_skipped_up_to_the_next_comma() {
        let all = parse(r#""oops" x, Bearer scope="ok", =, Basic realm="r" trailing junk"#);
        let b = bearer(&all).unwrap();
        assert_eq!(b.scope(), Some("ok"));
        assert!(all.iter().any(|c| c.is_scheme("Basic") && c.param("realm") == Some("r")));
    }

    #[test]
    fn unterminated_quote_runs_to_the_end() {
        let c = one(r#"Bearer scope="a b"#);
        assert_eq!(c.scope(), Some("a b"));
        let c = one("Bearer scope=\"tail\\");
        assert_eq!(c.scope(), Some("tail"));
    }

    #[test]
    fn non_ascii_survives_in_quoted_strings() {
        let c = one("Bearer error_description=\"caf\u{e9} \\\u{e9}\"");
        assert_eq!(c.error_description(), Some("caf\u{e9} \u{e9}"));
    }

    #[test]
    fn a_64k_header_parses_in_linear_time() {
        let mut h = String::from("Bearer ");
        for i in 0..4000 {
            h += &format!("p{i}=\"v\\\"{i}\", ");
        }
        h += "scope=\"last\"";
        assert!(h.len() > 64 * 1024);
        let t = std::time::Instant::now();
        let c = one(&h);
        assert_eq!(c.params.len(), 4001);
        assert_eq!(c.scope(), Some("last"));
        let long_quote = format!("Bearer scope=\"{}", "x".repeat(70_000));
        assert_eq!(one(&long_quote).scope().map(str::len), Some(70_000));
        let commas = ",".repeat(70_000);
        assert!(parse(&commas).is_empty());
        assert!(t.elapsed() < std::time::Duration::from_secs(2), "{:?}", t.elapsed());
    }

    /// A small fuzzer: random headers over the characters that matter to the grammar must
    /// never panic, and a well-formed Bearer challenge appended after a comma is always found.
    #[test]
    fn random_input_never_panics() {
        const ALPHABET: &[&str] =
            &["Bearer", " ", ",", "=", "\"", "\\", "a", "scope", "\t", "/", "+", "\u{e9}", "\0", ";"];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let junk: String = (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect();
            let _ = parse(&junk);
            // Unbalanced quotes swallow the rest of the header by design; otherwise the
            // challenge after the comma must survive the junk before it.
            if junk.matches('"').count().is_multiple_of(2) && !junk.contains('\\') {
                let all = parse(&format!("{junk}, Bearer scope=\"found\""));
                assert!(all.iter().any(|c| c.is_scheme("Bearer") && c.scope() == Some("found")), "{junk:?} -> {all:?}");
            }
        }
    }
}
