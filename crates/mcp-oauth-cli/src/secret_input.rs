//! Secrets given to a tool never come from argv (other users see it in `ps`): they are read
//! from a file, stdin or an environment variable, whose first line is the value.

use mcp_oauth::Error;
use std::io::Read;

/// More than any secret, token or ID token: a wrong pipe must not fill memory.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// The first line of `source` (CR LF or LF), which must not be empty. `what` names it in
/// errors ("the client secret file F").
pub fn first_line(source: impl Read, what: &str) -> mcp_oauth::Result<String> {
    let mut text = String::new();
    source
        .take(MAX_SECRET_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| Error::Usage(format!("cannot read {what}: {e}")))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(Error::Usage(format!("{what} is empty")));
    }
    Ok(line.to_string())
}

/// `PATH`, or `-` for stdin.
pub fn from_file(path: &str, what: &str) -> mcp_oauth::Result<String> {
    if path == "-" {
        return first_line(std::io::stdin().lock(), &format!("{what} on stdin"));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::Usage(format!("cannot open {what} file {path}: {e}")))?;
    first_line(file, &format!("{what} file {path}"))
}

/// The variable's value, which must be set and not empty.
pub fn from_env(var: &str, what: &str) -> mcp_oauth::Result<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => first_line(v.as_bytes(), &format!("{what} in ${var}")),
        _ => Err(Error::Usage(format!("{what}: ${var} is not set or empty"))),
    }
}
