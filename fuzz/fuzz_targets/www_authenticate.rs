//! `WWW-Authenticate` comes from any server the user points a tool at, so the parser must
//! never panic or loop, and what it returns must be well-formed challenges.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::www_authenticate::{self, Challenge};

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fuzz_target!(|data: &[u8]| {
    // Header values reach the parser through `HeaderValue::to_str`, which only passes
    // visible ASCII; lossy decoding still lets the fuzzer try everything else too.
    let text = String::from_utf8_lossy(data);
    let challenges = www_authenticate::parse(&text);
    for c in &challenges {
        assert!(!c.scheme.is_empty() && c.scheme.chars().all(is_tchar), "bad scheme {:?}", c.scheme);
        assert!(c.params.keys().all(|k| !k.is_empty()), "empty parameter name in {c:?}");
        let _ = (c.resource_metadata(), c.scope(), c.error(), c.error_description());
        assert!(c.is_scheme(&c.scheme.to_ascii_uppercase()));
        let json = serde_json::to_string(c).expect("a Challenge serializes");
        let back: Challenge = serde_json::from_str(&json).expect("a serialized Challenge parses");
        assert_eq!(&back, c);
    }
    if let Some(b) = www_authenticate::bearer(&challenges) {
        assert!(b.is_scheme("bearer"));
    }

    // Several header lines are the same as their challenges one after another.
    let lines: Vec<&str> = text.split('\n').collect();
    let one_by_one: Vec<Challenge> = lines.iter().flat_map(|l| www_authenticate::parse(l)).collect();
    assert_eq!(www_authenticate::parse_all(lines.iter().copied()), one_by_one);
});
