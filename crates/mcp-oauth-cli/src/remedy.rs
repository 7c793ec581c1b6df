//! The library's remedies said with the tools' real names and flags: the library says
//! what to do ([`Remedy`]) and which of its inputs an error is about ([`Input`]); only the
//! command line knows that this is `mcp-dcr --force --auth-method none`.

use mcp_oauth::Error;
use mcp_oauth::grant_type::GrantType;
use mcp_oauth::remedy::{Input, Registration, Remedy};

const SECRET_FLAGS: &str = "--client-secret-file, --client-secret-stdin or MCP_OAUTH_CLIENT_SECRET";

/// The flag (or variable) that gives `input`.
pub fn flag(input: Input) -> &'static str {
    match input {
        Input::AuthorizationServer => "--authorization-server",
        Input::StepUp => "--step-up",
        Input::AuthParam => "--auth-param",
        Input::CallbackUrl => "--callback-url",
        Input::CredentialHelper => "--credential-helper / MCP_OAUTH_CREDENTIAL_HELPER",
        Input::Port => "--port",
        Input::RedirectUri => "--redirect-uri",
        Input::Scope => "--scope",
    }
}

/// An error as a person at the command line should read it: the library's words, with
/// its remedies and inputs said as commands and flags.
pub fn say_error(e: &(dyn std::error::Error + 'static)) -> String {
    match e.downcast_ref::<Error>() {
        Some(ours) => say(ours),
        None => e.to_string(),
    }
}

fn say(e: &Error) -> String {
    match e {
        Error::Hinted { error, hint } => format!("{}; {}", say(error), remedy(hint)),
        Error::About { input, error } => format!("{}: {}", flag(*input), say(error)),
        other => other.to_string(),
    }
}

/// What to do, as a command or the flags to give.
pub fn remedy(r: &Remedy) -> String {
    match r {
        Remedy::Register(r) => register(r),
        Remedy::SwitchAuthMethod(r) => {
            let method = r.auth_method.map_or("another method", |m| m.as_str());
            format!("the server also accepts {method}: {}", register(r))
        }
        Remedy::Login { server, grant, profile } => login(server.as_deref(), grant.as_ref(), profile.as_deref()),
        Remedy::IdpSignIn { idp, server, profile, auth_params } => {
            let profile = profile_flag(profile.as_deref());
            let params: String =
                auth_params.iter().map(|(k, v)| format!(" --auth-param {}", shell_word(&format!("{k}={v}")))).collect();
            format!("run: mcp-authorize{profile} --idp {idp}{params} {server}")
        }
        Remedy::IdpClient => "name it once with --idp-client-id (and its secret or key)".into(),
        Remedy::IdpRedirect => "give the IdP client again with another redirect URI registered at the IdP: \
             --idp-client-id ID --idp-redirect-uri URI, with --idp-client-secret-file FILE or --idp-private-key-file FILE"
            .into(),
        Remedy::Workload { server, source, profile } => {
            let profile = profile_flag(profile.as_deref());
            format!("run: mcp-authorize{profile} {} {server}", workload_flags(source))
        }
        Remedy::GiveCredentials { secret: true, key: true } => {
            format!("give the client secret with {SECRET_FLAGS}, or a key with --private-key-file")
        }
        Remedy::GiveCredentials { secret: true, .. } => format!("give it with {SECRET_FLAGS}"),
        Remedy::GiveCredentials { .. } => "give it with --private-key-file".into(),
        Remedy::PreRegister { metadata_document } => format!(
            "register one with the provider and pass --client-id ID, with --client-secret-file FILE, \
             --client-secret-stdin or MCP_OAUTH_CLIENT_SECRET if it has a secret, or --private-key-file FILE{}",
            if *metadata_document {
                ", or --client-metadata-url URL (the server supports Client ID Metadata Documents)"
            } else {
                ""
            }
        ),
        Remedy::Confidential => {
            "register it with mcp-dcr --client-id ID --client-secret-file FILE, or --private-key-file FILE".into()
        }
        Remedy::RedirectOrDevice => {
            "register it with one (mcp-dcr --redirect-uri URI or --port N), or use --device".into()
        }
        Remedy::HandOff => "start again with --print-url".into(),
        Remedy::LoopbackOrHandOff => {
            "register a loopback one (mcp-dcr --force) or complete the authorization by pasting the callback URL \
             (--print-url, then --callback-url)"
                .into()
        }
        Remedy::WaitLonger => {
            "raise --timeout-callback, or use --print-url / --device on a machine without a browser".into()
        }
        Remedy::AllowMissingPkceMetadata => "if this is a provider known to support PKCE without saying so \
             (Azure AD / Entra ID, Amazon Cognito), pass --allow-missing-pkce-metadata"
            .into(),
        Remedy::Use(input) => format!("use {}", flag(*input)),
        Remedy::IdpStatus => "see it with mcp-token --status; give an MCP server's URL for its token".into(),
        Remedy::Said(s) => s.clone(),
    }
}

/// `run: mcp-dcr ...`, the arguments in the order `--help` lists them.
fn register(r: &Registration) -> String {
    let profile = profile_flag(r.profile.as_deref());
    if *r == (Registration { profile: r.profile.clone(), ..Default::default() }) {
        let with = r.profile.as_deref().map(|p| format!(" with --profile {p}")).unwrap_or_default();
        return format!("run mcp-dcr again{with}");
    }
    let mut cmd = String::from("run: mcp-dcr");
    if let Some(id) = &r.client_id {
        cmd += &format!(" --client-id {id}");
    } else if r.replace {
        cmd += " --force";
    }
    if let Some(m) = r.auth_method {
        cmd += &format!(" --auth-method {m}");
    }
    if r.private_key {
        cmd += " --private-key-file FILE";
    }
    if r.redirect_uri {
        cmd += " --redirect-uri URI";
    }
    if let Some(port) = r.port {
        cmd += &format!(" --port {}", port.map_or("PORT".to_string(), |p| p.to_string()));
    }
    cmd += &profile;
    if let Some(server) = &r.server {
        cmd += &format!(" {server}");
    }
    // A pre-registered client's secret is the user's to give again.
    if r.client_id.is_some() && r.auth_method.is_some_and(|m| m.needs_secret()) {
        cmd += " (with the same secret)";
    }
    cmd
}

/// `run: mcp-authorize ...`: a machine client needs `--client-credentials`, since a plain
/// `mcp-authorize` would open a browser; `grant` is `None` when nothing tells which.
fn login(server: Option<&str>, grant: Option<&GrantType>, profile: Option<&str>) -> String {
    let profile = profile_flag(profile);
    let server = server.map(|s| format!(" {s}")).unwrap_or_default();
    match grant {
        Some(GrantType::ClientCredentials) => format!("run: mcp-authorize{profile} --client-credentials{server}"),
        Some(GrantType::DeviceCode) => format!("run: mcp-authorize{profile} --device{server}"),
        Some(_) => format!("run: mcp-authorize{profile}{server}"),
        None => format!(
            "run: mcp-authorize{profile}{server} (or mcp-authorize{profile} --client-credentials{server} for a machine-to-machine client)"
        ),
    }
}

/// ` --profile P` for a command that must run in the same profile, else nothing.
pub fn profile_flag(profile: Option<&str>) -> String {
    profile.map(|p| format!(" --profile {p}")).unwrap_or_default()
}

/// The `mcp-authorize` flags that name a workload's JWT source.
fn workload_flags(source: &mcp_oauth::workload::Source) -> String {
    use mcp_oauth::workload::Source;
    match source {
        Source::File { path } => format!("--workload-token-file {path}"),
        Source::Env { var } => format!("--workload-token-env {var}"),
        Source::GithubActions { audience } => format!("--github-actions --audience {audience}"),
    }
}

/// `word` as one shell word: quoted when it holds anything but plain characters (an
/// `acr_values` list has spaces, and its values come from a server).
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_=.,:/@+%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_oauth::client::AuthMethod;

    const URL: &str = "https://mcp.example/mcp";

    fn login_required(grant: Option<GrantType>, profile: Option<&str>) -> Error {
        Error::LoginRequired("no token stored".into()).with_hint(Remedy::Login {
            server: Some(URL.into()),
            grant,
            profile: profile.map(String::from),
        })
    }

    #[test]
    fn an_idp_sign_in_names_the_idp_server_and_profile() {
        let r = |profile: Option<&str>| Remedy::IdpSignIn {
            idp: "https://idp.example".into(),
            server: URL.into(),
            profile: profile.map(String::from),
            auth_params: Vec::new(),
        };
        assert_eq!(remedy(&r(None)), format!("run: mcp-authorize --idp https://idp.example {URL}"));
        assert_eq!(
            remedy(&r(Some("work"))),
            format!("run: mcp-authorize --profile work --idp https://idp.example {URL}")
        );
    }

    #[test]
    fn what_the_idp_asked_of_the_sign_in_is_in_the_command_as_one_word_each() {
        let params = [("max_age", "60"), ("acr_values", "mfa phr"), ("acr_values", "it's")];
        let r = Remedy::IdpSignIn {
            idp: "https://idp.example".into(),
            server: URL.into(),
            profile: None,
            auth_params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        assert_eq!(
            remedy(&r),
            format!(
                "run: mcp-authorize --idp https://idp.example --auth-param max_age=60 \
                 --auth-param 'acr_values=mfa phr' --auth-param 'acr_values=it'\\''s' {URL}"
            )
        );
    }

    #[test]
    fn a_workload_is_told_its_own_source_flags() {
        let source = mcp_oauth::workload::Source::GithubActions { audience: "https://as.example".into() };
        let r = Remedy::Workload { server: URL.into(), source, profile: Some("ci".into()) };
        assert_eq!(
            remedy(&r),
            format!("run: mcp-authorize --profile ci --github-actions --audience https://as.example {URL}")
        );
    }

    #[test]
    fn logins_name_the_command_for_the_kind_of_client() {
        assert_eq!(
            say(&login_required(Some(GrantType::AuthorizationCode), None)),
            format!("no token stored; run: mcp-authorize {URL}")
        );
        assert_eq!(
            say(&login_required(Some(GrantType::ClientCredentials), Some("ci"))),
            format!("no token stored; run: mcp-authorize --profile ci --client-credentials {URL}")
        );
        assert!(say(&login_required(None, None)).contains("--client-credentials"));
        let device = Remedy::Login { server: None, grant: Some(GrantType::DeviceCode), profile: None };
        assert_eq!(remedy(&device), "run: mcp-authorize --device");
    }

    #[test]
    fn registrations_are_runnable_commands() {
        let switch = Registration {
            client_id: Some("ci-bot".into()),
            auth_method: Some(AuthMethod::ClientSecretPost),
            server: Some(URL.into()),
            ..Default::default()
        };
        assert_eq!(
            remedy(&Remedy::SwitchAuthMethod(switch)),
            format!(
                "the server also accepts client_secret_post: run: mcp-dcr --client-id ci-bot --auth-method client_secret_post {URL} (with the same secret)"
            )
        );
        let port = Registration { replace: true, port: Some(Some(4242)), ..Default::default() };
        assert_eq!(remedy(&Remedy::Register(port)), "run: mcp-dcr --force --port 4242");
        let public = Registration { replace: true, auth_method: Some(AuthMethod::None), ..Default::default() };
        assert_eq!(remedy(&Remedy::Register(public)), "run: mcp-dcr --force --auth-method none");
        let other = Registration { client_id: Some("ID".into()), redirect_uri: true, ..Default::default() };
        assert_eq!(remedy(&Remedy::Register(other)), "run: mcp-dcr --client-id ID --redirect-uri URI");
        let again = Registration { profile: Some("work".into()), ..Default::default() };
        assert_eq!(remedy(&Remedy::Register(again)), "run mcp-dcr again with --profile work");
        assert_eq!(remedy(&Remedy::Register(Registration::default())), "run mcp-dcr again");
    }

    #[test]
    fn credentials_and_inputs_are_named_by_their_flags() {
        let all = remedy(&Remedy::PreRegister { metadata_document: true });
        for flag in ["--client-id", "--client-secret-file", "--client-secret-stdin", "MCP_OAUTH_CLIENT_SECRET"] {
            assert!(all.contains(flag), "{flag}: {all}");
        }
        assert!(all.contains("--client-metadata-url"), "{all}");
        assert!(!remedy(&Remedy::PreRegister { metadata_document: false }).contains("--client-metadata-url"));
        let e = Error::Usage("the challenge names no scope to add".into()).about(Input::StepUp);
        assert_eq!(say(&e), "--step-up: the challenge names no scope to add");
        let e = Error::Usage("x".into()).with_hint(Remedy::GiveCredentials { secret: false, key: true });
        assert_eq!(say(&e.about(Input::AuthParam)), "--auth-param: x; give it with --private-key-file");
        let pkce = remedy(&Remedy::AllowMissingPkceMetadata);
        assert!(
            pkce.contains("--allow-missing-pkce-metadata") && pkce.contains("Azure AD") && pkce.contains("Cognito")
        );
    }

    /// The library's own words never name a flag; these do, for every remedy.
    #[test]
    fn the_library_words_name_no_flag_and_these_do() {
        let remedies = [
            Remedy::Register(Registration { private_key: true, ..Default::default() }),
            Remedy::GiveCredentials { secret: true, key: true },
            Remedy::PreRegister { metadata_document: false },
            Remedy::Confidential,
            Remedy::RedirectOrDevice,
            Remedy::HandOff,
            Remedy::LoopbackOrHandOff,
            Remedy::WaitLonger,
            Remedy::AllowMissingPkceMetadata,
            Remedy::Use(Input::Scope),
        ];
        for r in remedies {
            assert!(!r.to_string().contains("--"), "{r}");
            assert!(remedy(&r).contains("--"), "{r:?}: {}", remedy(&r));
        }
    }
}
