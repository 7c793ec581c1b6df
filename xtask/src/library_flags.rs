//! The protocol library knows no command line (issue #14): what to do about an error is an
//! `mcp_oauth::remedy::Remedy`, and `mcp_oauth_cli::remedy` names the flags. This test
//! fails when a string literal in crates/mcp-oauth/src names a `--flag` again; comments
//! (doc comments included) and `#[cfg(test)]` items may.

use std::path::{Path, PathBuf};

/// Literals that name a flag and may: (file, what the literal contains, why).
const ALLOWED: [(&str, &str, &str); 4] = [
    ("browser.rs", "chromium --new-window", "a browser's flag, not ours"),
    ("error.rs", "--check found spec errors", "the exit-code table, which is the tools' documentation"),
    // The store's notices and its backend description are events and plain strings, which
    // crates/mcp-oauth/tests/store_file.rs asserts as the library emits them; they need
    // structured events first (events.rs).
    ("store/file.rs", "--credential-helper NAME", "a store notice, an event"),
    ("store/resolve.rs", "chosen by --credential-helper", "the store's backend description"),
];

/// Every string literal of Rust source `text` outside comments and `#[cfg(test)]` items,
/// with its line number.
pub fn literals(text: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    // Inside a #[cfg(test)] item: the brace depth that ends it.
    let mut skip_until_depth: Option<usize> = None;
    let mut depth = 0usize;
    let mut pending_cfg_test = false;
    let at = |i: usize, s: &str| chars[i..].iter().take(s.len()).copied().eq(s.chars());
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            while i < chars.len() && !at(i, "*/") {
                line += usize::from(chars[i] == '\n');
                i += 1;
            }
            i += 2;
        } else if at(i, "#[cfg(test)]") {
            pending_cfg_test = true;
            i += "#[cfg(test)]".len();
        } else if c == '"' || starts_prefixed_string(&chars, i) {
            let start_line = line;
            let (text, end) = read_string(&chars, i);
            line += text.matches('\n').count();
            if skip_until_depth.is_none() && !pending_cfg_test {
                out.push((start_line, text));
            }
            i = end;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\'', '\u{..}') or a lifetime ('a): only the former closes.
            let close = if chars.get(i + 1) == Some(&'\\') {
                (i + 3..(i + 12).min(chars.len())).find(|&j| chars[j] == '\'')
            } else {
                Some(i + 2).filter(|&j| chars.get(j) == Some(&'\''))
            };
            i = close.map_or(i + 1, |j| j + 1);
        } else if c == '{' {
            depth += 1;
            if pending_cfg_test && skip_until_depth.is_none() {
                skip_until_depth = Some(depth);
                pending_cfg_test = false;
            }
            i += 1;
        } else if c == '}' {
            if skip_until_depth == Some(depth) {
                skip_until_depth = None;
            }
            depth = depth.saturating_sub(1);
            i += 1;
        } else if c == ';' && pending_cfg_test && skip_until_depth.is_none() {
            // `#[cfg(test)] use ...;` or a bodiless item.
            pending_cfg_test = false;
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Whether a byte or raw string starts at `i` (`b"`, `r"`, `r#"`, `br#"`), not a raw
/// identifier (`r#type`) or the end of a word.
fn starts_prefixed_string(chars: &[char], i: usize) -> bool {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return false;
    }
    let mut j = i + usize::from(chars[i] == 'b');
    if chars.get(j) == Some(&'r') {
        j += 1;
        while chars.get(j) == Some(&'#') {
            j += 1;
        }
    } else if j == i {
        return false;
    }
    chars.get(j) == Some(&'"')
}

/// The string literal starting at `i` (plain, byte or raw) and the index after it.
fn read_string(chars: &[char], mut i: usize) -> (String, usize) {
    if chars[i] == 'b' {
        i += 1;
    }
    if chars[i] == 'r' {
        let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
        let start = i + 1 + hashes + 1;
        let mut j = start;
        while j < chars.len() {
            if chars[j] == '"' && chars[j + 1..].iter().take(hashes).filter(|c| **c == '#').count() == hashes {
                return (chars[start..j].iter().collect(), j + 1 + hashes);
            }
            j += 1;
        }
        return (chars[start..].iter().collect(), chars.len());
    }
    let start = i + 1;
    let mut j = start;
    while j < chars.len() && chars[j] != '"' {
        j += if chars[j] == '\\' { 2 } else { 1 };
    }
    (chars[start..j.min(chars.len())].iter().collect(), j + 1)
}

/// Whether `s` names a command-line flag: `--` then a lowercase letter, not inside a word
/// (`xn--bcher` is a domain label).
pub fn names_flag(s: &str) -> bool {
    s.match_indices("--").any(|(i, _)| {
        let before = s[..i].chars().next_back();
        let after = s[i + 2..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric()) && after.is_some_and(|c| c.is_ascii_lowercase())
    })
}

pub(crate) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_library_string_names_a_flag() {
    let src = super::repo_root().join("crates/mcp-oauth/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 30, "found the library: {}", src.display());
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        for (line, text) in literals(&std::fs::read_to_string(&file).unwrap()) {
            let allowed = ALLOWED.iter().any(|(f, what, _)| relative == *f && text.contains(what));
            if names_flag(&text) && !allowed {
                found.push(format!("{relative}:{line}: {text:?}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "library strings name command-line flags; give the error a mcp_oauth::remedy::Remedy (or .about(Input)) \
         and let mcp_oauth_cli::remedy name the flag:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scanner_sees_literals_and_skips_comments_and_tests() {
    let src = r##"
/// Use `--force` in a doc comment: allowed.
fn f() -> &'static str {
    let c = '"'; // a quote char does not open a string: "--nope"
    let s = "run: mcp-dcr --force";
    /* block "--x" */
    let r = r#"raw "--raw" text"#;
    "plain"
}
#[cfg(test)]
mod tests {
    fn t() { let _ = "--in-tests"; }
}
fn g() { let r#type = br"--bytes"; let _ = "xn--bcher-kva.example"; }
"##;
    let lits: Vec<String> = literals(src).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        lits,
        ["run: mcp-dcr --force", "raw \"--raw\" text", "plain", "--bytes", "xn--bcher-kva.example"],
        "{lits:?}"
    );
    let flagged: Vec<&String> = lits.iter().filter(|l| names_flag(l)).collect();
    assert_eq!(flagged, ["run: mcp-dcr --force", "raw \"--raw\" text", "--bytes"]);
}
