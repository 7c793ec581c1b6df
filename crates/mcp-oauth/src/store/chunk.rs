//! Fitting one JSON record into entries a backend accepts.
//!
//! A record that fits is stored as its compact JSON, as is: one entry, one `get`. Compact
//! JSON never starts or ends with whitespace and escapes every newline, so pass (which strips
//! trailing newlines) returns it byte for byte.
//!
//! A larger record is split. Its parts go first, each under `<head>/<gen>/<n>` and holding
//! `<gen>:<n>:<data>|`; the head entry, written last, holds only a manifest
//! `mcp-oauth-parts:1:<count>:<gen>:<bytes>:<sha256>`. `<gen>` is new at every save, so
//! until the new head is written the old head still names a complete old generation, and a
//! crash midway leaves the previous value readable. On read, a missing part, a part of
//! another generation, a truncated part (no final `|`), a wrong length or checksum is an
//! error, never a value.
//!
//! Two limits apply to every entry: the backend's own (wincred keeps at most 2,560 bytes of
//! secret) and the protocol's, a `store` line under 64 KiB in which the secret appears JSON
//! escaped (a `"` costs two bytes, a control character up to six).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const MARKER: &str = "mcp-oauth-parts:1:";
const PART_END: char = '|';
/// Two decimal digits in the part index keep every key under pass's limit.
pub(crate) const MAX_PARTS: usize = 99;
/// Below this the per-part framing would dominate; also rejects silly overrides.
pub(crate) const MIN_PART_SIZE: usize = 64;

/// Per-entry limits, in bytes of secret (raw, and as escaped in the protocol line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub part_size: usize,
    pub line_budget: usize,
}

impl Limits {
    fn fits(&self, secret: &str) -> bool {
        secret.len() <= self.part_size && escaped_len(secret) <= self.line_budget
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Encoded {
    Whole(String),
    Split { head: String, generation: String, parts: Vec<String> },
}

pub(crate) fn encode(json: String, limits: &Limits, generation: impl FnOnce() -> String) -> Result<Encoded, String> {
    if limits.fits(&json) {
        return Ok(Encoded::Whole(json));
    }
    let generation = generation();
    let mut parts = Vec::new();
    let mut rest = json.as_str();
    while !rest.is_empty() {
        if parts.len() == MAX_PARTS {
            return Err(format!(
                "the record ({} bytes) needs more than {MAX_PARTS} parts of {} bytes",
                json.len(),
                limits.part_size
            ));
        }
        let prefix = format!("{generation}:{}:", parts.len());
        let framing = prefix.len() + PART_END.len_utf8();
        let raw_budget = limits.part_size.saturating_sub(framing);
        let escaped_budget = limits.line_budget.saturating_sub(framing);
        let (mut raw, mut escaped, mut cut) = (0usize, 0usize, 0usize);
        for (i, c) in rest.char_indices() {
            raw += c.len_utf8();
            escaped += escaped_char_len(c);
            if raw > raw_budget || escaped > escaped_budget {
                break;
            }
            cut = i + c.len_utf8();
        }
        if cut == 0 {
            return Err(format!("a part size of {} bytes is too small", limits.part_size));
        }
        parts.push(format!("{prefix}{}{PART_END}", &rest[..cut]));
        rest = &rest[cut..];
    }
    let head = format!("{MARKER}{}:{generation}:{}:{}", parts.len(), json.len(), checksum(&json));
    Ok(Encoded::Split { head, generation, parts })
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Head {
    Whole(String),
    Split(Manifest),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub generation: String,
    pub count: usize,
    len: usize,
    sha256: String,
}

pub(crate) fn parse_head(secret: String) -> Result<Head, String> {
    let Some(manifest) = secret.strip_prefix(MARKER) else {
        return Ok(Head::Whole(secret));
    };
    let fields: Vec<&str> = manifest.split(':').collect();
    let [count, generation, len, sha256] = fields.as_slice() else {
        return Err("its manifest is malformed".into());
    };
    let count: usize = count.parse().map_err(|_| "its manifest has a bad part count")?;
    let len: usize = len.parse().map_err(|_| "its manifest has a bad length")?;
    if !(1..=MAX_PARTS).contains(&count) || generation.is_empty() || sha256.is_empty() {
        return Err("its manifest is malformed".into());
    }
    Ok(Head::Split(Manifest { generation: generation.to_string(), count, len, sha256: sha256.to_string() }))
}

/// Reassembles and verifies a split record; `parts[n]` is the secret read for part `n`.
pub(crate) fn join(manifest: &Manifest, parts: &[String]) -> Result<String, String> {
    if parts.len() != manifest.count {
        return Err(format!("expected {} parts, read {}", manifest.count, parts.len()));
    }
    let mut json = String::with_capacity(manifest.len);
    for (n, part) in parts.iter().enumerate() {
        let prefix = format!("{}:{n}:", manifest.generation);
        let data = part
            .strip_prefix(&prefix)
            .ok_or_else(|| format!("part {n} belongs to another save (interrupted or concurrent write?)"))?
            .strip_suffix(PART_END)
            .ok_or_else(|| format!("part {n} is truncated"))?;
        json.push_str(data);
    }
    if json.len() != manifest.len || checksum(&json) != manifest.sha256 {
        return Err("the reassembled parts do not match the manifest's checksum".into());
    }
    Ok(json)
}

fn checksum(data: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, data.as_bytes()))
}

/// The length of `s` inside a JSON string as serde_json writes it.
pub(crate) fn escaped_len(s: &str) -> usize {
    s.chars().map(escaped_char_len).sum()
}

fn escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{08}' | '\u{0c}' | '\n' | '\r' | '\t' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNLIMITED: Limits = Limits { part_size: usize::MAX, line_budget: usize::MAX };

    fn gen_a() -> String {
        "genAAAAA".into()
    }

    fn split(json: &str, limits: Limits) -> (String, Vec<String>) {
        match encode(json.to_string(), &limits, gen_a).expect("encodes") {
            Encoded::Split { head, parts, .. } => (head, parts),
            Encoded::Whole(_) => panic!("expected a split"),
        }
    }

    fn manifest(head: &str) -> Manifest {
        match parse_head(head.to_string()).expect("manifest") {
            Head::Split(m) => m,
            Head::Whole(_) => panic!("expected a manifest"),
        }
    }

    fn record() -> String {
        let big = "é\"\\\n\u{1}🦀 ".repeat(4000);
        serde_json::json!({"access_token": big, "expires_at": 1, "scope": "a b"}).to_string()
    }

    #[test]
    fn escaped_len_matches_serde_json() {
        for s in ["plain", "quote\" back\\ nl\n tab\t ctl\u{1}\u{1f} del\u{7f}", "é🦀", &record()] {
            assert_eq!(escaped_len(s), serde_json::to_string(s).expect("string").len() - 2, "{s:?}");
        }
    }

    #[test]
    fn small_records_are_stored_whole() {
        let json = r#"{"a":1}"#.to_string();
        assert_eq!(encode(json.clone(), &UNLIMITED, gen_a), Ok(Encoded::Whole(json.clone())));
        assert_eq!(parse_head(json.clone()), Ok(Head::Whole(json)));
    }

    #[test]
    fn split_round_trips_within_both_limits() {
        let small = serde_json::json!({"access_token": "é\"🦀 ".repeat(200)}).to_string();
        for (json, limits) in [
            (record(), Limits { part_size: 2560, line_budget: 64_512 }),
            (record(), Limits { part_size: 64_512, line_budget: 64_512 }),
            (record(), Limits { part_size: 100_000, line_budget: 5_000 }),
            (small, Limits { part_size: MIN_PART_SIZE, line_budget: usize::MAX }),
        ] {
            let (head, parts) = split(&json, limits);
            for p in &parts {
                assert!(p.len() <= limits.part_size && escaped_len(p) <= limits.line_budget, "{limits:?}");
            }
            assert_eq!(join(&manifest(&head), &parts), Ok(json.clone()), "{limits:?}");
        }
    }

    #[test]
    fn corruption_is_detected() {
        let json = record();
        let (head, parts) = split(&json, Limits { part_size: 2560, line_budget: usize::MAX });
        let m = manifest(&head);
        assert!(parts.len() > 2);

        let mut missing = parts.clone();
        missing.pop();
        assert!(join(&m, &missing).is_err());

        let mut truncated = parts.clone();
        truncated[1].pop();
        assert!(join(&m, &truncated).expect_err("an error").contains("truncated"));

        // A part left over from an earlier save with another generation.
        let (_, other) = split(&json.replace("scope", "scopf"), Limits { part_size: 2560, line_budget: usize::MAX });
        let mut stale = parts.clone();
        stale[0] = other[0].replace("genAAAAA", "genBBBBB");
        assert!(join(&m, &stale).expect_err("an error").contains("another save"));

        // Same generation and framing, different content.
        let mut tampered = parts.clone();
        assert!(tampered[1].contains('🦀'));
        tampered[1] = tampered[1].replacen('🦀', "🦆", 1);
        assert!(join(&m, &tampered).expect_err("an error").contains("checksum"));

        let mut swapped = parts.clone();
        swapped.swap(0, 1);
        assert!(join(&m, &swapped).is_err());
    }

    #[test]
    fn malformed_manifests_are_errors() {
        for bad in
            ["mcp-oauth-parts:1:", "mcp-oauth-parts:1:0:g:1:x", "mcp-oauth-parts:1:x:g:1:x", "mcp-oauth-parts:1:2:g:1"]
        {
            assert!(parse_head(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn too_many_parts_or_tiny_parts_are_refused() {
        let json = "x".repeat(MAX_PARTS * 60);
        assert!(encode(json, &Limits { part_size: MIN_PART_SIZE, line_budget: usize::MAX }, gen_a).is_err());
        assert!(encode("{}".repeat(10), &Limits { part_size: 12, line_budget: usize::MAX }, gen_a).is_err());
    }
}
