//! Smaller rooms (issue #14): no file of the protocol library holds more than 500 lines
//! before its test module, so each concept stays one file a reader can hold in mind. A file
//! that grows past that is split into a folder of modules by concept (as `token/` and
//! `store/` were), not given an exception here.

use std::path::PathBuf;

const MAX_LINES: usize = 500;

/// The lines before the first top-level `#[cfg(test)]`: what the review measures with
/// `awk '/^#\[cfg\(test\)\]/{exit} {c++} END{print c+0}' FILE`.
fn library_lines(text: &str) -> usize {
    text.lines().take_while(|l| !l.starts_with("#[cfg(test)]")).count()
}

#[test]
fn no_library_file_is_over_500_lines_before_its_tests() {
    let src = super::repo_root().join("crates/mcp-oauth/src");
    let mut files: Vec<PathBuf> = Vec::new();
    super::library_flags::rust_files(&src, &mut files);
    assert!(files.len() > 30, "found the library: {}", src.display());
    let mut over: Vec<String> = files
        .iter()
        .map(|f| (library_lines(&std::fs::read_to_string(f).unwrap()), f))
        .filter(|(n, _)| *n > MAX_LINES)
        .map(|(n, f)| format!("{}: {n} lines", f.strip_prefix(&src).unwrap().display()))
        .collect();
    over.sort();
    assert!(
        over.is_empty(),
        "library files over {MAX_LINES} lines before their tests; split each into a folder of modules by \
         concept:\n{}",
        over.join("\n")
    );
}

#[test]
fn lines_are_counted_up_to_the_test_module() {
    assert_eq!(library_lines("a\nb\n#[cfg(test)]\nmod tests {}\n"), 2);
    assert_eq!(library_lines("a\n    #[cfg(test)]\n    fn f() {}\n"), 3, "only a top-level test item ends the count");
    assert_eq!(library_lines("a\nb"), 2, "a file without tests counts whole");
}
