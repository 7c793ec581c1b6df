//! Records the commit the tools were built from, for `--version`: a bug report that says
//! "0.1.0" alone does not say which of many builds of 0.1.0 misbehaved.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| text.trim().to_string()).filter(|t| !t.is_empty())
}

fn main() {
    // A source tarball or `cargo install` from a registry has no repository: say so rather
    // than fail the build.
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown commit".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
    println!("cargo:rustc-env=MCP_OAUTH_COMMIT={commit}{}", if dirty { "-modified" } else { "" });
    // logs/HEAD changes on every commit and checkout, also in a linked worktree.
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/logs/HEAD");
        println!("cargo:rerun-if-changed={dir}/index");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
