//! Sending the user to a URL: `$BROWSER` when set, else the system opener.
//!
//! MCP security best practices ("OAuth Authorization URL Validation"): only `https` URLs
//! (or `http` on loopback) are opened, and never through a shell. The URL is always one
//! argument of a directly executed program, so nothing in it is ever interpreted.
//! Failing to open a browser is never an error: the URL is on stderr for the user.

use crate::error::{Error, Result};
use std::process::{Child, Command, Stdio};
use url::Url;

/// Refuses anything but `https`, or `http` on a loopback address: an authorization
/// endpoint from a hostile metadata document could otherwise be `file:`, `javascript:` or
/// a URL of a local program's handler.
pub fn check_url(url: &Url) -> Result<()> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if crate::url_policy::is_loopback(url) => Ok(()),
        _ => Err(Error::Security(format!(
            "will not open {}: only https:// URLs (or http:// on a loopback address) are opened",
            crate::redact::url(url)
        ))),
    }
}

/// What happened when asked to open a URL.
#[derive(Debug)]
pub struct Opened {
    /// A line for the user when no browser was started ("set $BROWSER", the launcher's error).
    pub note: Option<String>,
    child: Option<(String, Child)>,
}

impl Opened {
    fn note(note: impl Into<String>) -> Self {
        Opened { note: Some(note.into()), child: None }
    }

    /// Whether a browser command or launcher was started.
    pub fn started(&self) -> bool {
        self.note.is_none()
    }

    /// Non-blocking: a warning once the `$BROWSER` command has exited with a failure. The
    /// command is never waited for (a real browser may live on) nor killed.
    pub fn poll_failure(&mut self) -> Option<String> {
        let (program, child) = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                let program = program.clone();
                self.child = None;
                (!status.success()).then(|| format!("the browser command {program:?} exited with {status}"))
            }
            Ok(None) => None,
            Err(_) => {
                self.child = None;
                None
            }
        }
    }
}

/// Opens `url` through `$BROWSER` when it is set and not empty, else through the system
/// opener (skipped on a Linux machine without a display, where it can only fail).
pub fn open(url: &Url) -> Result<Opened> {
    check_url(url)?;
    match std::env::var("BROWSER") {
        Ok(spec) if !spec.trim().is_empty() => Ok(open_with_browser_var(&spec, url)),
        _ => Ok(open_with_system(url)),
    }
}

/// Opens through `$BROWSER` only; nothing when it is not set. For the device flow, whose
/// verification page is meant for a browser on *another* device.
pub fn open_if_browser_set(url: &Url) -> Result<Option<Opened>> {
    check_url(url)?;
    match std::env::var("BROWSER") {
        Ok(spec) if !spec.trim().is_empty() => Ok(Some(open_with_browser_var(&spec, url))),
        _ => Ok(None),
    }
}

/// `$BROWSER` as the usual convention has it: a list of commands separated by the path
/// separator, tried in order; each is a program and its arguments, where `%s` stands for
/// the URL, which is otherwise appended as the last argument.
pub fn browser_commands(spec: &str, url: &str) -> Vec<Vec<String>> {
    let sep = if cfg!(windows) { ';' } else { ':' };
    spec.split(sep)
        .filter_map(|entry| {
            let mut words: Vec<String> = entry.split_whitespace().map(String::from).collect();
            if words.is_empty() {
                return None;
            }
            if words.iter().any(|w| w.contains("%s")) {
                for w in words.iter_mut() {
                    *w = w.replace("%s", url);
                }
            } else {
                words.push(url.to_string());
            }
            Some(words)
        })
        .collect()
}

/// Variables of ours that hold secrets: a browser (and whatever it starts, for as long as
/// it lives) has no business with them.
const SECRET_VARS: &[&str] = &["MCP_OAUTH_CLIENT_SECRET"];

fn open_with_browser_var(spec: &str, url: &Url) -> Opened {
    let commands = browser_commands(spec, url.as_str()).into_iter().map(|argv| {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).stdout(stdout_for_child());
        (argv[0].clone(), cmd)
    });
    start_first(commands).unwrap_or_else(|errors| Opened::note(format!("could not start $BROWSER ({errors})")))
}

/// Starts the first command that can be started, without our secrets in its environment
/// and in a process group of its own (a Ctrl-C meant for us must not close the browser).
fn start_first(commands: impl IntoIterator<Item = (String, Command)>) -> std::result::Result<Opened, String> {
    let mut errors = Vec::new();
    for (program, mut cmd) in commands {
        cmd.stdin(Stdio::null());
        for var in SECRET_VARS {
            cmd.env_remove(var);
        }
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        match cmd.spawn() {
            Ok(child) => {
                return Ok(Opened { note: None, child: Some((program, child)) });
            }
            Err(e) => errors.push(format!("{program}: {e}")),
        }
    }
    Err(errors.join("; "))
}

/// Our stdout carries the JSON document: a browser command must not write into it. Its
/// output goes where ours would (stderr); we write nothing there ourselves.
#[allow(clippy::disallowed_methods)]
fn stdout_for_child() -> Stdio {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(fd);
        }
    }
    Stdio::null()
}

fn open_with_system(url: &Url) -> Opened {
    if cfg!(target_os = "linux") && !has_display() && !is_wsl() {
        return Opened::note("no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so no browser was opened");
    }
    // The opener crate's own launchers, started our way (see `start_first`); a launcher
    // that fails is reported by `Opened::poll_failure` like a failing $BROWSER.
    let commands = open::commands(url.as_str()).into_iter().map(|mut cmd| {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        (cmd.get_program().to_string_lossy().into_owned(), cmd)
    });
    start_first(commands).unwrap_or_else(|errors| Opened::note(format!("could not open a browser ({errors})")))
}

/// WSL opens Windows' browser without an X display.
fn is_wsl() -> bool {
    std::env::var_os("WSL_DISTRO_NAME").is_some()
        || std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .is_ok_and(|r| r.to_ascii_lowercase().contains("microsoft"))
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_opened() {
        for ok in
            ["https://as.example/authorize?x=1", "http://127.0.0.1:8080/a", "http://localhost/a", "http://[::1]:1/a"]
        {
            assert!(check_url(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://as.example/authorize",
            "http://10.0.0.1/a",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://as.example/x",
            "vscode://x/y",
        ] {
            let e = check_url(&Url::parse(bad).unwrap()).unwrap_err();
            assert_eq!(e.exit_code().code(), 5, "{bad}");
        }
    }

    #[test]
    fn browser_var_convention() {
        let u = "https://as.example/a?x=1&y=$(rm)";
        assert_eq!(browser_commands("firefox", u), vec![vec!["firefox".to_string(), u.into()]]);
        assert_eq!(
            browser_commands("chromium --new-window %s", u),
            vec![vec!["chromium".to_string(), "--new-window".into(), u.into()]]
        );
        if !cfg!(windows) {
            assert_eq!(browser_commands("nope: w3m", u).len(), 2);
            assert_eq!(browser_commands(" : ", u).len(), 0);
        }
    }

    #[cfg(unix)]
    #[test]
    fn browser_commands_are_tried_in_order_and_failures_reported() {
        let u = Url::parse("https://as.example/a").unwrap();
        let missing = open_with_browser_var("/nonexistent/browser", &u);
        assert!(!missing.started());
        assert!(missing.note.as_deref().unwrap_or("").contains("/nonexistent/browser"));

        let mut falls_back = open_with_browser_var("/nonexistent/browser:false", &u);
        assert!(falls_back.started());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let warning = loop {
            if let Some(w) = falls_back.poll_failure() {
                break Some(w);
            }
            if std::time::Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(warning.is_some_and(|w| w.contains("\"false\"")), "a failing browser command is reported");

        let mut ok = open_with_browser_var("true", &u);
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(ok.poll_failure(), None, "success is not a warning");
    }

    #[test]
    fn the_url_is_one_argument_whatever_it_holds() {
        let u = "https://as.example/a?q=1;touch%20x&z='\"";
        let argv = &browser_commands("b", u)[0];
        assert_eq!(argv.len(), 2);
        assert_eq!(argv[1], u);
    }
}
