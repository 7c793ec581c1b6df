//! The tools against a credential store that fails or was tampered with, with the real
//! oidc-provider: it rotates refresh tokens and, when a spent one comes back, revokes the
//! whole grant. So "the grant survives" is proven by a later refresh that works.

use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::mock::{Mock, Reply};
use mcp_testkit::servers::{Options, TestServers, browser_command};
use serde_json::{Value, json};
use std::cell::Cell;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

struct World {
    servers: TestServers,
    sandbox: Sandbox,
    store: Vec<String>,
    /// For the wincred stand-in: where its entries are, and a PATH that finds it.
    wincred: Option<(PathBuf, std::ffi::OsString)>,
    /// `FAKE_WINCRED_FAIL_AFTER` for the next runs.
    fail_after: Cell<Option<usize>>,
    /// `FAKE_WINCRED_FAIL_IF_CONTAINS` for the next runs.
    fail_records: Cell<Option<&'static str>>,
}

impl World {
    fn file_store() -> World {
        World::new(&["--credential-helper", "file"])
    }

    /// The wincred stand-in of the store tests (entries in files, 2,560-byte limit, and
    /// stores that can be made to fail).
    fn wincred() -> World {
        let mut w = World::new(&["--credential-helper", "wincred"]);
        let bin = w.sandbox.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let helper = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mcp-oauth/tests/helpers/docker-credential-wincred");
        let target = bin.join("docker-credential-wincred");
        std::fs::copy(&helper, &target).expect("copy helper");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut dirs = vec![bin];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        w.wincred = Some((w.sandbox.path().join("wincred"), std::env::join_paths(dirs).expect("PATH")));
        w
    }

    fn new(store: &[&str]) -> World {
        World {
            servers: TestServers::start(Options::default().access_ttl(120)),
            sandbox: Sandbox::new(),
            store: store.iter().map(|s| s.to_string()).collect(),
            wincred: None,
            fail_after: Cell::new(None),
            fail_records: Cell::new(None),
        }
    }

    fn run(&self, bin: &str, args: &[&str]) -> Output {
        let mut cmd = self.sandbox.cmd(bin);
        cmd.args(&self.store).args(args).env("BROWSER", browser_command());
        if let Some((dir, path)) = &self.wincred {
            cmd.env("FAKE_WINCRED_DIR", dir).env("PATH", path);
        }
        if let Some(n) = self.fail_after.get() {
            cmd.env("FAKE_WINCRED_FAIL_AFTER", n.to_string());
        }
        if let Some(marker) = self.fail_records.get() {
            cmd.env("FAKE_WINCRED_FAIL_IF_CONTAINS", marker);
        }
        run(cmd, None, Duration::from_secs(60))
    }

    /// `bin [extra...] MCP_URL`.
    fn at_server(&self, bin: &str, extra: &[&str]) -> Output {
        let args: Vec<&str> = extra.iter().copied().chain([self.servers.mcp_url.as_str()]).collect();
        self.run(bin, &args)
    }

    fn login(&self, extra: &[&str]) -> Output {
        self.at_server("mcp-authorize", extra)
    }

    fn token(&self, extra: &[&str]) -> Output {
        self.at_server("mcp-token", extra)
    }

    /// A forced refresh works, and the MCP server takes its token: the refresh token
    /// stored was not spent (oidc-provider revokes the grant when a spent one comes back).
    fn assert_refresh_works(&self, why: &str) {
        let out = self.token(&["--min-valid", "1000"]);
        assert!(out.success(), "{why}: {out}");
        assert!(self.servers.call_mcp(Some(out.stdout.trim()), "initialize").status == 200, "{why}");
    }

    /// From now on the helper accepts `n` more `store` calls, then fails every one.
    fn fail_stores_after(&self, n: usize) {
        let dir = &self.wincred.as_ref().expect("wincred").0;
        let so_far: usize =
            std::fs::read_to_string(dir.join("stores.count")).map_or(0, |c| c.trim().parse().expect("count"));
        self.fail_after.set(Some(so_far + n));
    }

    /// From now on the helper refuses every token set (only they have a `token_type`),
    /// and takes anything else.
    fn refuse_token_sets(&self) {
        self.fail_records.set(Some("token_type"));
    }

    fn heal(&self) {
        self.fail_after.set(None);
        self.fail_records.set(None);
    }

    fn credentials(&self) -> PathBuf {
        self.sandbox.xdg_config_home.join("mcp-oauth/credentials")
    }

    /// The file-store entry holding the token set, and that record.
    fn token_entry(&self) -> (PathBuf, Value) {
        for path in std::fs::read_dir(self.credentials()).expect("credentials").flatten().map(|e| e.path()) {
            let Ok(entry) = serde_json::from_str::<Value>(&std::fs::read_to_string(&path).unwrap_or_default()) else {
                continue;
            };
            if entry["ServerURL"].as_str().is_some_and(|u| u.contains("/token/")) {
                let record = serde_json::from_str(entry["Secret"].as_str().expect("secret")).expect("record");
                return (path, record);
            }
        }
        panic!("no token entry in {}", self.credentials().display());
    }

    /// The entry as a file-store file would hold `record`.
    fn entry_text(&self, record: &Value) -> String {
        let (path, _) = self.token_entry();
        let mut entry: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        entry["Secret"] = json!(record.to_string());
        entry.to_string()
    }

    fn truncate_token_entry(&self) {
        let (path, _) = self.token_entry();
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, &text[..text.len() / 2]).expect("truncate");
    }
}

fn set_age(path: &Path, seconds: u64) {
    let when = SystemTime::now() - Duration::from_secs(seconds);
    std::fs::File::options().write(true).open(path).expect("open").set_modified(when).expect("mtime");
}

fn assert_spent_nothing(out: &Output) {
    assert_eq!(out.code, Some(6), "{out}");
    assert!(out.stderr.contains("nothing was sent to the server"), "{out}");
}

fn assert_logged_in(w: &World) {
    let out = w.login(&[]);
    assert!(out.success(), "mcp-authorize: {out}");
}

#[test]
fn a_refresh_whose_save_fails_keeps_the_rotated_tokens_and_the_grant() {
    let w = World::wincred();
    assert_logged_in(&w);
    let before = w.token(&[]).stdout.trim().to_string();

    // The helper takes reserve's probe, then fails the save of the refreshed tokens.
    w.refuse_token_sets();
    let failed = w.token(&["--min-valid", "1000"]);
    assert_eq!(failed.code, Some(6), "{failed}");
    assert!(failed.stderr.contains("not lost") && failed.stderr.contains("next run"), "{failed}");
    assert_eq!(failed.stderr.lines().count(), 1, "one line: {failed}");
    assert!(failed.stdout.is_empty());

    // The next run of any tool stores them, says so once, and uses them.
    w.heal();
    let recovered = w.token(&[]);
    assert!(recovered.success(), "{recovered}");
    assert!(recovered.stderr.contains("mcp-token: stored the tokens for"), "{recovered}");
    let after = recovered.stdout.trim().to_string();
    assert_ne!(after, before, "the refreshed access token");
    assert_eq!(w.servers.call_mcp(Some(&after), "initialize").status, 200);
    assert!(!w.token(&[]).stderr.contains("stored the tokens"), "once");
    w.assert_refresh_works("the rotated refresh token was kept and the grant survived");
}

#[test]
fn a_store_that_cannot_save_spends_nothing() {
    let w = World::wincred();
    assert_logged_in(&w);
    w.fail_stores_after(0);
    let refused = w.token(&["--min-valid", "1000", "--trace"]);
    assert_spent_nothing(&refused);
    assert!(!refused.stderr.contains("grant_type=refresh_token"), "no refresh was sent: {refused}");
    // Nor does a forced login start a browser whose result could not be kept.
    assert_spent_nothing(&w.login(&["--force"]));
    w.heal();
    w.assert_refresh_works("the refresh token is still good");
}

#[test]
fn a_forced_login_whose_save_fails_is_not_lost() {
    let w = World::wincred();
    assert_logged_in(&w);
    w.refuse_token_sets();
    let login = w.login(&["--force"]);
    assert_eq!(login.code, Some(6), "{login}");
    assert!(login.stderr.contains("not lost"), "{login}");
    w.heal();
    let out = w.run("mcp-revoke", &[&w.servers.mcp_url]);
    assert!(out.stderr.contains("mcp-revoke: stored the tokens for"), "any tool picks them up: {out}");
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["revoked"], json!(["refresh_token", "access_token"]), "the new login's tokens were revoked");
}

/// A registration the server made must not be lost either: its secret exists only here.
#[test]
fn a_registration_whose_save_fails_is_not_lost() {
    let w = World::wincred();
    // Only client records have an auth_method.
    w.fail_records.set(Some("auth_method"));
    let failed = w.run("mcp-dcr", &[&w.servers.mcp_url]);
    assert_eq!(failed.code, Some(6), "{failed}");
    assert!(failed.stderr.contains("client registration is not lost"), "{failed}");
    w.heal();
    let out = w.run("mcp-dcr", &["--trace", &w.servers.mcp_url]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("mcp-dcr: stored the client registration for"), "{out}");
    assert!(out.stderr.contains("reusing the stored client"), "not registered again: {out}");
}

/// The file system of the file store is full: nothing is spent, and once there is room
/// again the same refresh token works.
#[test]
fn a_full_disk_spends_nothing() {
    let w = World::file_store();
    let config = w.sandbox.xdg_config_home.clone();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs"])
        .arg(&config)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        println!("skipped: this test needs to mount a small tmpfs (root)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(config.clone());
    assert_logged_in(&w);
    let filler = config.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).expect("filler");
        while f.write_all(&[0u8; 4096]).is_ok() {}
        let _ = f.sync_all();
    }
    assert_spent_nothing(&w.token(&["--min-valid", "1000"]));
    std::fs::remove_file(&filler).expect("free the disk");
    w.assert_refresh_works("the refresh token is still good");
}

#[test]
fn damaged_token_entries_are_listed_replaced_and_revoked() {
    let w = World::file_store();
    assert_logged_in(&w);
    w.truncate_token_entry();
    let list = w.run("mcp-token", &["--list"]);
    assert!(list.success(), "{list}");
    let rows = list.json();
    let damaged: Vec<&Value> = rows.as_array().expect("rows").iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(damaged.len(), 1, "the damaged entry is listed: {rows}");
    assert!(damaged[0]["file"].as_str().is_some_and(|f| f.ends_with(".json")), "{rows}");

    // A new login replaces it, with a warning.
    let login = w.login(&["--force"]);
    assert!(login.success(), "{login}");
    assert!(login.stderr.contains("cannot read the entry"), "{login}");
    assert!(w.token(&[]).success());

    // mcp-revoke erases a damaged entry instead of stopping at it.
    w.truncate_token_entry();
    let revoke = w.run("mcp-revoke", &[&w.servers.mcp_url]);
    assert_eq!(revoke.code, Some(9), "erased here, nothing revoked: {revoke}");
    assert!(revoke.stderr.contains("unreadable"), "{revoke}");
    assert_eq!(revoke.json()["erased"], json!(["token"]));
    assert_eq!(w.token(&[]).code, Some(7), "gone");
}

/// Someone who can write to the store plants a token record naming their own token
/// endpoint: the client's credentials and the refresh token must not go there.
#[test]
fn a_planted_token_endpoint_gets_nothing() {
    let w = World::file_store();
    assert_logged_in(&w);
    let mock = Mock::start();
    mock.on("POST", "/token", Reply::json(200, &json!({"access_token": "stolen", "token_type": "Bearer"})));
    let (path, mut record) = w.token_entry();
    record["token_endpoint"] = json!(mock.url("/token"));
    record["expires_at"] = json!(1);
    std::fs::write(&path, w.entry_text(&record)).expect("plant");
    let out = w.token(&[]);
    assert_eq!(out.code, Some(5), "{out}");
    assert!(out.stderr.contains(&mock.url("/token")), "{out}");
    assert!(mock.requests().is_empty(), "nothing was sent to the planted endpoint");
}

/// A process killed between writing a file-store entry and renaming it into place left
/// the newest tokens in a temporary file: the next run puts them in place.
#[test]
fn a_save_killed_before_its_rename_is_finished_by_the_next_run() {
    let w = World::file_store();
    assert_logged_in(&w);
    let (path, mut record) = w.token_entry();
    record["access_token"] = json!("from-the-interrupted-save");
    let tmp = w.credentials().join(".dead0000.tmp");
    std::fs::write(&tmp, w.entry_text(&record)).expect("tmp");
    set_age(&tmp, 120);
    set_age(&path, 300);
    let out = w.token(&[]);
    assert!(out.success(), "{out}");
    assert_eq!(out.stdout.trim(), "from-the-interrupted-save");
    assert!(out.stderr.contains("mcp-token: finished saving"), "{out}");
    assert!(!tmp.exists());
}

/// A store answering with another entry's record: by the key the record names, and for
/// records from before records named their key, by the resource of the token set.
#[test]
fn a_token_set_for_another_entry_is_refused() {
    let w = World::file_store();
    assert_logged_in(&w);
    let (path, original) = w.token_entry();
    let other = "https://other.example.mcp-oauth/token/default/AAAAAAAAAAAAAAAAAAAAAA";
    let mut named = original.clone();
    named["mcp_oauth_key"] = json!(other);
    let mut legacy = original.clone();
    legacy.as_object_mut().expect("object").remove("mcp_oauth_key");
    legacy["resource"] = json!("https://other.example/mcp");
    for (record, says) in [(named, other), (legacy, "https://other.example/mcp")] {
        std::fs::write(&path, w.entry_text(&record)).expect("plant");
        let out = w.token(&[]);
        assert_eq!(out.code, Some(6), "{out}");
        assert!(out.stderr.contains(says) && out.stdout.is_empty(), "{out}");
    }
    // The same record without the key it names is still taken (written by older versions).
    let mut unnamed = original;
    unnamed.as_object_mut().expect("object").remove("mcp_oauth_key");
    std::fs::write(&path, w.entry_text(&unnamed)).expect("write");
    assert!(w.token(&[]).success());
}
