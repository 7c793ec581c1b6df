//! `mcp-token --status`: the library's status, shown. A person on a terminal gets a summary
//! with relative times; a pipe (or `--format json`) gets the JSON, so that scripts never parse
//! prose. What differs is only the form: both carry the same facts.

use crate::Format;
use mcp_oauth::ExitCode;
use mcp_oauth::status::{self, IdpSignIn, Login, Online, Status};
use mcp_oauth_cli::Context;
use mcp_oauth_cli::pipe::write_line;

pub fn run(ctx: &Context, url: Option<&str>, format: Format, online: bool) -> anyhow::Result<ExitCode> {
    let mut status = status::collect(ctx.store()?, online.then_some(&ctx.http))?;
    if let Some(url) = url {
        let key = mcp_oauth::token::store_key(url, ctx.profile())?;
        status.logins.retain(|l| l.key == key.as_str());
        // The IdP sign-in that renews URL's token belongs to its status.
        status.idp_sign_ins.retain(|s| status.logins.iter().any(|l| l.idp.as_ref() == Some(&s.idp)));
    }
    let text = if format == Format::Json || !mcp_oauth_cli::pipe::stdout_is_terminal() {
        let v = status.to_json();
        if ctx.pretty() { serde_json::to_string_pretty(&v)? } else { v.to_string() }
    } else {
        // Issuers, client ids and challenge errors come from servers: shown, never obeyed.
        let text = human(&status, mcp_oauth::clock::now());
        text.lines().map(|l| mcp_oauth::safe_text::visible(l).into_owned()).collect::<Vec<_>>().join("\n")
    };
    write_line(text.trim_end())?;
    let usable = status.logins.iter().any(|l| !matches!(l.online, Some(Online::Rejected { .. })));
    Ok(if usable { ExitCode::Success } else { ExitCode::LoginRequired })
}

/// "in 42 min", "3 h ago": what a person checks at a glance.
fn relative(at: u64, now: u64) -> String {
    let (secs, past) = if at >= now { (at - now, false) } else { (now - at, true) };
    let amount = mcp_oauth_cli::term::span(secs);
    if past { format!("{amount} ago") } else { format!("in {amount}") }
}

fn expiry(login: &Login, now: u64) -> String {
    expires(login.expires_at, now)
}

fn expires(at: Option<u64>, now: u64) -> String {
    match at {
        None => "no expiry given".to_string(),
        Some(t) if t <= now => format!("expired {}", relative(t, now)),
        Some(t) => format!("expires {}", relative(t, now)),
    }
}

fn online(o: &Online) -> String {
    match o {
        Online::Valid { status } => format!("valid (HTTP {status})"),
        Online::Rejected { error } => {
            format!("rejected (401{})", error.as_deref().map(|e| format!(" {e}")).unwrap_or_default())
        }
        Online::InsufficientScope { scope } => format!(
            "insufficient scope (403{}): mcp-authorize --step-up",
            scope.as_deref().map(|s| format!(", wants {s}")).unwrap_or_default()
        ),
        Online::Unexpected { status } => format!("unexpected answer (HTTP {status})"),
        Online::Unreachable { error } => format!("unreachable: {error}"),
    }
}

/// An IdP sign-in: what it is for, not a server of its own.
fn idp_sign_in(s: &IdpSignIn, now: u64) -> String {
    let client = match &s.client_source {
        Some(_) => s.client_id.clone(),
        None => format!("{} (its record is gone: no exchange works)", s.client_id),
    };
    let serves = match s.serves.len() {
        0 => "no MCP server yet".to_string(),
        1 => format!("1 MCP server: {}", s.serves[0]),
        n => format!("{n} MCP servers: {}", s.serves.join(", ")),
    };
    let mut out = format!("\nsigned in at the IdP {} (profile {})\n", s.idp, s.profile);
    out += &format!("  client         {client}\n");
    out += &format!("  ID token       {}\n", expires(s.id_token_expires_at, now));
    out += &format!("  refresh token  {}\n", if s.refresh_token { "yes" } else { "no" });
    out += &format!("  serves         {serves}\n");
    out
}

fn human(status: &Status, now: u64) -> String {
    let mut out = format!("credential store: {}\n", status.store);
    if let Some(left) = &status.left_behind {
        out += &format!(
            "note: {} holds {} entries the tools no longer read (the store in use changed)\n",
            left.dir.display(),
            left.entries
        );
    }
    if status.logins.is_empty() {
        out += "\nnot logged in to any MCP server: run mcp-authorize URL\n";
    }
    for l in &status.logins {
        let client = match &l.client_source {
            Some(source) => {
                format!("{} ({})", l.client_id, serde_json::to_value(source).unwrap_or_default().as_str().unwrap_or(""))
            }
            None => format!("{} (its record is gone: no refresh)", l.client_id),
        };
        out += &format!("\n{} (profile {})\n", l.resource, l.profile);
        out += &format!("  issuer         {}\n", l.issuer);
        out += &format!("  client         {client}\n");
        out += &format!("  grant          {}\n", l.grant.as_str());
        out += &format!(
            "  scopes         {}\n",
            if l.scopes.is_empty() { "(none)".to_string() } else { l.scopes.join(" ") }
        );
        out += &format!("  token          {}, {}\n", l.token_type, expiry(l, now));
        out += &format!("  refresh token  {}\n", if l.refresh_token { "yes" } else { "no" });
        if let Some(idp) = &l.idp {
            out += &format!("  renewed via    the sign-in at the IdP {idp}\n");
        }
        if let Some(o) = &l.online {
            out += &format!("  server says    {}\n", online(o));
        }
    }
    for s in &status.idp_sign_ins {
        out += &idp_sign_in(s, now);
    }
    for p in &status.pending {
        out += &format!(
            "\npending hand-off for {} (profile {}), {}: finish with mcp-authorize --callback-url URL\n",
            p.resource.as_deref().unwrap_or("an MCP server"),
            p.profile,
            p.expires_at
                .map(|t| if t <= now {
                    format!("expired {}", relative(t, now))
                } else {
                    format!("expires {}", relative(t, now))
                })
                .unwrap_or_default()
        );
    }
    if status.purged_pending > 0 {
        out += &format!("\nerased {} headless hand-off(s) past their time\n", status.purged_pending);
    }
    for d in &status.damaged {
        out += &format!("\ndamaged entry {}: {} (a new login or mcp-revoke replaces it)\n", d.what, d.error);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_at_a_glance() {
        assert_eq!(relative(1000 + 42 * 60, 1000), "in 42 min");
        assert_eq!(relative(1000, 1000 + 3 * 3600), "3 h ago");
        assert_eq!(relative(1030, 1000), "in 30 s");
        assert_eq!(relative(1000 + 3 * 86_400, 1000), "in 3 days");
    }
}
