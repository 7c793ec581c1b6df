//! Choosing the backend for a key the way the Docker CLI chooses one for a registry.
//!
//! 1. `--credential-helper NAME` or `MCP_OAUTH_CREDENTIAL_HELPER` (`file` = the file store);
//! 2. `credHelpers["<host of the key>"]` in `$DOCKER_CONFIG/config.json` (default
//!    `~/.docker/config.json`), where the host is the key's, e.g. `mcp.example.com.mcp-oauth`
//!    (with `:port` when the key has one);
//! 3. `credsStore`;
//! 4. only when config.json has no `credsStore`, `credHelpers` or `auths`: Docker's platform
//!    default, if `docker-credential-<it>` is on PATH (Linux: `pass` when `pass` is on PATH,
//!    else `secretservice`; macOS: `osxkeychain`; Windows: `wincred`), and, unlike Docker,
//!    only when it can work here: `pass` with an initialised password store, `secretservice`
//!    with a D-Bus session (see [`DefaultProbe`]);
//! 5. otherwise the plain file store.

use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub(crate) const FILE: &str = "file";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Choice {
    Helper(String),
    File,
}

/// Why a backend was chosen, for messages and `backend_description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Explicit,
    CredHelpers(String),
    CredsStore,
    PlatformDefault,
    Fallback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolution {
    pub choice: Choice,
    pub origin: Origin,
}

/// The parts of Docker's config.json that pick a credential store.
#[derive(Debug, Clone, Default)]
pub(crate) struct DockerConfig {
    pub path: PathBuf,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
    has_auths: bool,
}

impl DockerConfig {
    /// `credsStore`, checked as a helper name when the file was read.
    pub fn creds_store(&self) -> Option<&str> {
        self.creds_store.as_deref()
    }

    /// A config that says nothing (no file, or not consulted).
    pub fn empty(path: PathBuf) -> DockerConfig {
        DockerConfig { path, ..Default::default() }
    }

    /// A missing file is an empty config; an unreadable or malformed one is an error, since
    /// guessing could put secrets in a plain file that the user meant for a keychain.
    pub fn load(dir: &Path) -> Result<DockerConfig> {
        let path = dir.join("config.json");
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(DockerConfig::empty(path));
            }
            Err(e) => return Err(Error::Store(format!("cannot read {}: {e}", path.display()))),
        };
        Self::parse(path, &text)
    }

    fn parse(path: PathBuf, text: &[u8]) -> Result<DockerConfig> {
        let bad = |why: &str| Error::Store(format!("{}: {why}", path.display()));
        let value: Value = serde_json::from_slice(text).map_err(|e| bad(&format!("not valid JSON ({e})")))?;
        let Value::Object(top) = value else {
            return Err(bad("not a JSON object"));
        };
        // Docker ignores an empty credsStore or credHelpers value, so do we.
        let creds_store = match top.get("credsStore") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(checked_name(s).map_err(|e| bad(&format!("credsStore: {e}")))?),
            Some(_) => return Err(bad("credsStore is not a string")),
        };
        let mut cred_helpers = BTreeMap::new();
        match top.get("credHelpers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (host, helper) in map {
                    let Value::String(helper) = helper else {
                        return Err(bad(&format!("credHelpers[{host:?}] is not a string")));
                    };
                    if !helper.is_empty() {
                        let name = checked_name(helper).map_err(|e| bad(&format!("credHelpers[{host:?}]: {e}")))?;
                        cred_helpers.insert(host.clone(), name);
                    }
                }
            }
            Some(_) => return Err(bad("credHelpers is not an object")),
        }
        let has_auths = top.get("auths").is_some_and(|a| !a.is_null());
        Ok(DockerConfig { path, creds_store, cred_helpers, has_auths })
    }

    /// Docker runs its default detection only for a config that says nothing about
    /// credentials (`LoadDefaultConfigFile`).
    fn says_nothing(&self) -> bool {
        self.creds_store.is_none() && self.cred_helpers.is_empty() && !self.has_auths
    }
}

/// A helper name becomes part of a program name: no paths, no options.
pub(crate) fn checked_name(name: &str) -> std::result::Result<String, String> {
    let ok = name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok { Ok(name.to_string()) } else { Err(format!("{name:?} is not a credential helper name")) }
}

#[derive(Debug, Clone)]
pub(crate) struct Resolver {
    explicit: Option<Choice>,
    config: DockerConfig,
    detected: Option<String>,
}

impl Resolver {
    pub fn new(explicit: Option<&str>, config: DockerConfig, search_path: Option<&OsStr>) -> Result<Resolver> {
        Self::with_probe(explicit, config, search_path, &DefaultProbe::from_env())
    }

    pub fn with_probe(
        explicit: Option<&str>,
        config: DockerConfig,
        search_path: Option<&OsStr>,
        probe: &DefaultProbe,
    ) -> Result<Resolver> {
        let explicit = match explicit {
            None => None,
            Some(FILE) => Some(Choice::File),
            Some(name) => Some(Choice::Helper(
                checked_name(name)
                    .map_err(|e| Error::Usage(e.to_string()).about(crate::remedy::Input::CredentialHelper))?,
            )),
        };
        let detected =
            if explicit.is_none() && config.says_nothing() { platform_default(search_path, probe) } else { None };
        Ok(Resolver { explicit, config, detected })
    }

    /// The backend for a key whose host (with port, if any) is `authority`.
    pub fn resolve(&self, authority: &str) -> Resolution {
        if let Some(choice) = &self.explicit {
            return Resolution { choice: choice.clone(), origin: Origin::Explicit };
        }
        if let Some(name) = self.config.cred_helpers.get(authority) {
            return Resolution {
                choice: Choice::Helper(name.clone()),
                origin: Origin::CredHelpers(authority.to_string()),
            };
        }
        if let Some(name) = &self.config.creds_store {
            return Resolution { choice: Choice::Helper(name.clone()), origin: Origin::CredsStore };
        }
        if let Some(name) = &self.detected {
            return Resolution { choice: Choice::Helper(name.clone()), origin: Origin::PlatformDefault };
        }
        Resolution { choice: Choice::File, origin: Origin::Fallback }
    }

    /// The backend for keys `credHelpers` does not mention.
    pub fn default_resolution(&self) -> Resolution {
        // No key's host starts with '/', so this never matches a credHelpers entry.
        self.resolve("/")
    }

    /// Every backend that can hold one of our keys, for listing.
    pub fn all_backends(&self) -> Vec<Choice> {
        let mut all = vec![self.default_resolution().choice];
        if self.explicit.is_none() {
            for (host, name) in &self.config.cred_helpers {
                let host_only = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
                if host_only.ends_with(super::keys::HOST_SUFFIX) {
                    all.push(Choice::Helper(name.clone()));
                }
            }
        }
        all.sort();
        all.dedup();
        all
    }

    pub fn describe(&self, r: &Resolution) -> String {
        let config = self.config.path.display();
        match &r.origin {
            Origin::Explicit => "chosen by --credential-helper / MCP_OAUTH_CREDENTIAL_HELPER".to_string(),
            Origin::CredHelpers(host) => format!("credHelpers[\"{host}\"] in {config}"),
            Origin::CredsStore => format!("credsStore in {config}"),
            Origin::PlatformDefault => "Docker's default credential helper for this platform".to_string(),
            Origin::Fallback => format!("no credential helper configured in {config} or installed"),
        }
    }
}

/// Whether Docker's Linux default could work on this machine. Docker picks `pass` even
/// when no password store was ever initialised, and the first `store` then fails; for a
/// default nobody asked for, we take the file store (with its notice) instead, so the
/// tools work on a fresh machine. An explicit choice or a config.json is always obeyed.
#[derive(Debug, Clone, Copy)]
pub struct DefaultProbe {
    pub pass_initialised: bool,
    pub dbus_session: bool,
}

impl DefaultProbe {
    pub fn from_env() -> Self {
        let store_dir = std::env::var_os("PASSWORD_STORE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".password-store")));
        DefaultProbe {
            pass_initialised: store_dir.is_some_and(|d| d.join(".gpg-id").is_file()),
            dbus_session: std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()),
        }
    }
}

fn platform_default(search_path: Option<&OsStr>, probe: &DefaultProbe) -> Option<String> {
    let name = if cfg!(target_os = "macos") {
        "osxkeychain"
    } else if cfg!(windows) {
        "wincred"
    } else if cfg!(target_os = "linux") {
        let name = if super::helper::installed("pass", search_path) { "pass" } else { "secretservice" };
        let usable = if name == "pass" { probe.pass_initialised } else { probe.dbus_session };
        if !usable {
            return None;
        }
        name
    } else {
        return None;
    };
    super::helper::installed(&format!("docker-credential-{name}"), search_path).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn config(json: &str) -> DockerConfig {
        DockerConfig::parse(PathBuf::from("/x/config.json"), json.as_bytes()).expect("valid config")
    }

    /// A PATH holding fake executables with the given names.
    fn path_with(names: &[&str]) -> (tempfile::TempDir, std::ffi::OsString) {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in names {
            let p = dir.path().join(name);
            std::fs::write(&p, "#!/bin/sh\nexit 1\n").expect("write");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let path = dir.path().as_os_str().to_owned();
        (dir, path)
    }

    fn helper(name: &str) -> Choice {
        Choice::Helper(name.into())
    }

    const USABLE: DefaultProbe = DefaultProbe { pass_initialised: true, dbus_session: true };

    fn resolver(explicit: Option<&str>, cfg: DockerConfig, path: &std::ffi::OsStr) -> Result<Resolver> {
        Resolver::with_probe(explicit, cfg, Some(path), &USABLE)
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn an_unusable_linux_default_falls_back_to_the_file_store() {
        let (_d, path) = path_with(&["pass", "docker-credential-pass"]);
        let uninitialised = DefaultProbe { pass_initialised: false, dbus_session: true };
        let r = Resolver::with_probe(None, config("{}"), Some(&path), &uninitialised).expect("resolver");
        assert_eq!(r.default_resolution(), Resolution { choice: Choice::File, origin: Origin::Fallback });
        let (_d, path) = path_with(&["docker-credential-secretservice"]);
        let headless = DefaultProbe { pass_initialised: true, dbus_session: false };
        let r = Resolver::with_probe(None, config("{}"), Some(&path), &headless).expect("resolver");
        assert_eq!(r.default_resolution().choice, Choice::File);
        // Asked for by name, pass is used whatever its state: the user gets its error.
        let r = Resolver::with_probe(None, config(r#"{"credsStore":"pass"}"#), Some(&path), &uninitialised)
            .expect("resolver");
        assert_eq!(r.default_resolution().choice, helper("pass"));
    }

    #[test]
    fn order_explicit_then_cred_helpers_then_creds_store() {
        let (_d, path) = path_with(&["pass", "docker-credential-pass"]);
        let cfg =
            r#"{"credsStore":"desktop","credHelpers":{"a.example.mcp-oauth":"osxkeychain","b.mcp-oauth:8080":"x"}}"#;
        let r = resolver(None, config(cfg), &path).expect("resolver");
        assert_eq!(
            r.resolve("a.example.mcp-oauth"),
            Resolution { choice: helper("osxkeychain"), origin: Origin::CredHelpers("a.example.mcp-oauth".into()) }
        );
        assert_eq!(r.resolve("b.mcp-oauth:8080").choice, helper("x"));
        assert_eq!(r.resolve("b.mcp-oauth").choice, helper("desktop"));
        assert_eq!(r.resolve("other.mcp-oauth").origin, Origin::CredsStore);
        assert_eq!(r.all_backends(), vec![helper("desktop"), helper("osxkeychain"), helper("x")]);

        let explicit = resolver(Some("file"), config(cfg), &path).expect("resolver");
        assert_eq!(
            explicit.resolve("a.example.mcp-oauth"),
            Resolution { choice: Choice::File, origin: Origin::Explicit }
        );
        let explicit = resolver(Some("secretservice"), config(cfg), &path).expect("resolver");
        assert_eq!(explicit.resolve("a.example.mcp-oauth").choice, helper("secretservice"));
        assert_eq!(explicit.all_backends(), vec![helper("secretservice")]);
    }

    #[test]
    fn default_detection_only_for_a_silent_config() {
        let (_d, path) = path_with(&["pass", "docker-credential-pass", "docker-credential-secretservice"]);
        let r = resolver(None, config("{}"), &path).expect("resolver");
        let expected = if cfg!(target_os = "linux") { Some(helper("pass")) } else { None };
        if let Some(e) = expected {
            assert_eq!(r.default_resolution(), Resolution { choice: e, origin: Origin::PlatformDefault });
        }
        // An auths section (Docker's own file store) or any credHelpers turns detection off.
        for cfg in [r#"{"auths":{}}"#, r#"{"credHelpers":{"registry.example":"pass"}}"#] {
            let r = resolver(None, config(cfg), &path).expect("resolver");
            assert_eq!(r.default_resolution(), Resolution { choice: Choice::File, origin: Origin::Fallback }, "{cfg}");
        }
        // An empty credsStore counts as none.
        let r = resolver(None, config(r#"{"credsStore":""}"#), &path).expect("resolver");
        assert_eq!(r.default_resolution().origin, Origin::PlatformDefault);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn linux_default_needs_the_helper_installed() {
        let (_d, path) = path_with(&["docker-credential-secretservice"]);
        let r = resolver(None, config("{}"), &path).expect("resolver");
        assert_eq!(r.default_resolution().choice, helper("secretservice"));
        // pass is there, but not its helper: Docker does not fall back to secretservice.
        let (_d, path) = path_with(&["pass", "docker-credential-secretservice"]);
        let r = resolver(None, config("{}"), &path).expect("resolver");
        assert_eq!(r.default_resolution().choice, Choice::File);
        let (_d, path) = path_with(&[]);
        let r = resolver(None, config("{}"), &path).expect("resolver");
        assert_eq!(r.default_resolution(), Resolution { choice: Choice::File, origin: Origin::Fallback });
    }

    #[test]
    fn bad_configs_and_names_are_errors() {
        for bad in
            ["nope", "[]", r#"{"credsStore":1}"#, r#"{"credsStore":"../../bin/sh"}"#, r#"{"credHelpers":{"h":"-x"}}"#]
        {
            assert!(DockerConfig::parse(PathBuf::from("c"), bad.as_bytes()).is_err(), "{bad}");
        }
        let err = Resolver::new(Some("a/b"), config("{}"), None).expect_err("bad name");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Usage);
        assert!(checked_name("pass").is_ok() && checked_name("ecr-login").is_ok());
    }

    #[test]
    fn missing_config_file_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = DockerConfig::load(dir.path()).expect("missing is fine");
        assert!(c.says_nothing());
    }
}
