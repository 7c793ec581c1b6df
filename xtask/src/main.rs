//! `cargo xtask man`: renders man/*.1 and shell completions from the clap definitions, so
//! they cannot drift from `--help`. `cargo xtask man --check` fails when the committed
//! files are stale (the test in tests/ runs the same check).

use anyhow::{Context, bail};
use clap::CommandFactory;
use std::path::{Path, PathBuf};

const FILES: &str = "\
$XDG_CONFIG_HOME/mcp-oauth/credentials/ (default ~/.config/mcp-oauth/credentials/)
    the plain file store, used when no Docker credential helper is configured or installed: a
    directory (mode 0700) of one file per entry, <sha256 of the key>.json (mode 0600)
$DOCKER_CONFIG/config.json (default ~/.docker/config.json)
    credHelpers and credsStore choose the credential helper, as for the Docker CLI";

fn tools() -> Vec<clap::Command> {
    vec![
        mcp_discover::Cli::command(),
        mcp_dcr::Cli::command(),
        mcp_authorize::Cli::command(),
        mcp_token::Cli::command(),
        mcp_revoke::Cli::command(),
    ]
}

/// Every generated file, by path relative to the repository root.
pub fn render_all() -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    let names: Vec<String> = tools().iter().map(|c| c.get_name().to_string()).collect();
    for cmd in tools() {
        let name = cmd.get_name().to_string();
        out.push((PathBuf::from(format!("man/{name}.1")), man_page(cmd.clone(), &names)?));
        for (shell, file) in [
            (clap_complete::Shell::Bash, format!("man/completions/{name}.bash")),
            (clap_complete::Shell::Zsh, format!("man/completions/_{name}")),
            (clap_complete::Shell::Fish, format!("man/completions/{name}.fish")),
        ] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), name.clone(), &mut buf);
            out.push((PathBuf::from(file), buf));
        }
    }
    Ok(out)
}

fn man_page(cmd: clap::Command, all: &[String]) -> anyhow::Result<Vec<u8>> {
    let name = cmd.get_name().to_string();
    // The after_help text holds EXAMPLES, EXIT STATUS and ENVIRONMENT blocks; in the man
    // page each becomes a section of its own instead of clap_mangen's single "EXTRA".
    let after = cmd.get_after_help().map(|s| s.to_string()).unwrap_or_default();
    // The release only: the commit in --version would make every commit's pages stale.
    let man = clap_mangen::Man::new(
        cmd.clone().version(env!("CARGO_PKG_VERSION")).after_help(None::<&str>).after_long_help(None::<&str>),
    )
    .date("")
    .source(format!("mcp-oauth {}", env!("CARGO_PKG_VERSION")))
    .manual("mcp-oauth manual");
    let mut buf = Vec::new();
    man.render(&mut buf)?;
    let mut text = String::from_utf8(buf)?;
    text = with_synopsis(&text, &cmd)?;
    for block in after.split("\n\n") {
        let Some((heading, body)) = block.split_once(":\n") else {
            continue;
        };
        text += &section(heading.trim(), body);
    }
    text += &section("FILES", FILES);
    let see: Vec<String> = all.iter().filter(|n| **n != name).map(|n| format!("{n}(1)")).collect();
    text += &format!(".SH \"SEE ALSO\"\n{}, docker-credential-pass(1)\n", see.join(", "));
    Ok(text.into_bytes())
}

/// clap_mangen's SYNOPSIS drops the value names (`[--min-valid]`); a reader needs
/// `[--min-valid SECONDS]` to know the flag takes a value.
fn with_synopsis(page: &str, cmd: &clap::Command) -> anyhow::Result<String> {
    let roman = |s: &str| s.replace('-', "\\-");
    let mut line = format!("\\fB{}\\fR", roman(cmd.get_name()));
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let takes_value = arg.get_action().takes_values();
        let value = arg
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
        let item = match (arg.get_short(), arg.get_long()) {
            (None, None) => format!("\\fI{}\\fR", roman(&value)),
            (short, long) => {
                let names: Vec<String> = short
                    .map(|c| format!("\\fB\\-{c}\\fR"))
                    .into_iter()
                    .chain(long.map(|l| format!("\\fB\\-\\-{}\\fR", roman(l))))
                    .collect();
                let names = names.join("|");
                if takes_value { format!("{names} \\fI{}\\fR", roman(&value)) } else { names }
            }
        };
        let repeated = matches!(arg.get_action(), clap::ArgAction::Append);
        let item = if repeated { format!("{item}...") } else { item };
        line += &if arg.is_required_set() { format!(" {item}") } else { format!(" [{item}]") };
    }
    line += " [\\fB\\-h\\fR|\\fB\\-\\-help\\fR] [\\fB\\-V\\fR|\\fB\\-\\-version\\fR]";
    let start = page.find(".SH SYNOPSIS\n").context("clap_mangen page without SYNOPSIS")? + ".SH SYNOPSIS\n".len();
    let end = start + page[start..].find('\n').context("SYNOPSIS without a line")?;
    Ok(format!("{}{line}{}", &page[..start], &page[end..]))
}

/// A preformatted section: examples and tables must keep their line breaks.
fn section(heading: &str, body: &str) -> String {
    let mut s = format!(".SH \"{heading}\"\n.nf\n");
    for line in body.lines() {
        let line = line.replace('\\', "\\e");
        if line.starts_with('.') || line.starts_with('\'') {
            s += "\\&";
        }
        s += &line;
        s.push('\n');
    }
    s += ".fi\n";
    s
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

/// The paths whose committed content differs from what the code renders.
pub fn stale_files() -> anyhow::Result<Vec<PathBuf>> {
    let root = repo_root();
    let mut stale = Vec::new();
    for (path, content) in render_all()? {
        if std::fs::read(root.join(&path)).ok().as_deref() != Some(content.as_slice()) {
            stale.push(path);
        }
    }
    Ok(stale)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["man"] => {
            let root = repo_root();
            for (path, content) in render_all()? {
                let full = root.join(&path);
                std::fs::create_dir_all(full.parent().expect("has a parent"))?;
                std::fs::write(&full, content).with_context(|| format!("writing {}", full.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        ["man", "--check"] => {
            let stale = stale_files()?;
            if stale.is_empty() { Ok(()) } else { bail!("stale generated files (run `cargo xtask man`): {:?}", stale) }
        }
        _ => bail!("usage: cargo xtask man [--check]"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn man_pages_and_completions_are_up_to_date() {
        let stale = super::stale_files().unwrap();
        assert!(stale.is_empty(), "run `cargo xtask man` and commit: stale {stale:?}");
    }

    /// clap's own consistency checks (conflicting names, bad defaults) for all five tools.
    #[test]
    fn every_command_line_is_consistent() {
        for cmd in super::tools() {
            cmd.debug_assert();
        }
    }

    /// `--version` names the commit the binary was built from (build.rs of mcp-oauth).
    #[test]
    fn version_names_the_commit() {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(super::repo_root())
            .output()
            .unwrap();
        let head = String::from_utf8(out.stdout).unwrap();
        for cmd in super::tools() {
            let version = cmd.render_long_version();
            assert!(
                version.starts_with(&format!("{} {} ({}", cmd.get_name(), env!("CARGO_PKG_VERSION"), head.trim())),
                "{version}"
            );
            assert!(version.contains("\ntls: "), "{version}");
        }
    }

    /// With `autotests = false`, a test file that tests/main.rs does not name would silently
    /// never run.
    #[test]
    fn every_test_file_is_in_its_crates_test_binary() {
        let crates = super::repo_root().join("crates");
        for krate in std::fs::read_dir(&crates).unwrap() {
            let tests = krate.unwrap().path().join("tests");
            let Ok(entries) = std::fs::read_dir(&tests) else {
                continue;
            };
            let main = std::fs::read_to_string(tests.join("main.rs")).unwrap_or_default();
            for entry in entries {
                let path = entry.unwrap().path();
                let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                let module = path.extension().is_some_and(|e| e == "rs") || path.join("mod.rs").is_file();
                if module && stem != "main" {
                    assert!(
                        main.lines().any(|l| l.trim() == format!("mod {stem};")),
                        "{} is not a module of {}",
                        path.display(),
                        tests.join("main.rs").display()
                    );
                }
            }
        }
    }

    #[test]
    fn every_page_has_the_sections_a_reader_expects() {
        for (path, content) in super::render_all().unwrap() {
            if path.extension().is_some_and(|e| e == "1") {
                let text = String::from_utf8(content).unwrap();
                let synopsis = text.split(".SH SYNOPSIS\n").nth(1).and_then(|t| t.lines().next()).unwrap();
                assert!(
                    synopsis.contains("\\fB\\-\\-timeout\\fR \\fISECONDS\\fR"),
                    "{path:?}: SYNOPSIS lacks value names: {synopsis}"
                );
                for s in ["EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES", "OPTIONS"] {
                    assert!(
                        text.contains(&format!(".SH \"{s}\"")) || text.contains(&format!(".SH {s}")),
                        "{path:?} lacks {s}"
                    );
                }
            }
        }
    }
}
