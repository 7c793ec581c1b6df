//! Shared by the store integration tests: an isolated environment (own Docker config dir,
//! config dir and helper search path holding the scripts of tests/helpers), optionally
//! with a real throwaway pass store, and the workers that run as separate processes.
#![allow(dead_code)]

use mcp_oauth::store::{Store, StoreOptions};
use mcp_testkit::pass::PassStore;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
    pub docker_config: PathBuf,
    pub config: PathBuf,
    pub call_log: PathBuf,
    pub wincred_dir: PathBuf,
    pub pass: Option<PassStore>,
    /// Helpers are looked for in `bin` only, unless the system PATH is added (for pass).
    pub system_path: bool,
    pub extra_env: Vec<(OsString, OsString)>,
}

impl Env {
    /// No helper installed but the test scripts: the store falls back to files.
    pub fn isolated() -> Env {
        let dir = tempfile::Builder::new().prefix("mcp-store-").tempdir().expect("tempdir");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        let helpers = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helpers");
        for entry in std::fs::read_dir(&helpers).expect("tests/helpers").flatten() {
            let target = bin.join(entry.file_name());
            std::fs::copy(entry.path(), &target).expect("copy helper script");
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let docker_config = dir.path().join("docker");
        std::fs::create_dir_all(&docker_config).expect("docker config dir");
        Env {
            config: dir.path().join("config"),
            call_log: dir.path().join("calls.log"),
            wincred_dir: dir.path().join("wincred"),
            docker_config,
            bin,
            dir,
            pass: None,
            system_path: false,
            extra_env: Vec::new(),
        }
    }

    /// With a real pass store, and `credsStore` set to the call-logging pass wrapper.
    pub fn with_pass() -> Env {
        let mut env = Env::isolated();
        env.pass = Some(PassStore::new());
        env.system_path = true;
        env.docker_config_json(&json!({"credsStore": "logpass"}));
        env
    }

    pub fn docker_config_json(&self, config: &Value) {
        std::fs::write(self.docker_config.join("config.json"), config.to_string()).expect("write config.json");
    }

    pub fn search_path(&self) -> OsString {
        let mut dirs = vec![self.bin.clone()];
        if self.system_path {
            dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        }
        std::env::join_paths(dirs).expect("PATH")
    }

    pub fn helper_env(&self) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = vec![
            ("HELPER_CALL_LOG".into(), self.call_log.clone().into()),
            ("FAKE_WINCRED_DIR".into(), self.wincred_dir.clone().into()),
        ];
        if let Some(pass) = &self.pass {
            env.extend(pass.env());
        }
        env.extend(self.extra_env.iter().cloned());
        env
    }

    pub fn options(&self, helper: Option<&str>) -> StoreOptions {
        StoreOptions {
            helper: helper.map(str::to_string),
            docker_config_dir: Some(self.docker_config.clone()),
            config_dir: Some(self.config.clone()),
            search_path: Some(self.search_path()),
            helper_env: self.helper_env(),
            helper_timeout: Some(Duration::from_secs(20)),
            lock_timeout: Some(Duration::from_secs(60)),
            ..StoreOptions::default()
        }
    }

    pub fn open(&self) -> Store {
        Store::open(self.options(None)).expect("open store")
    }

    /// The actions logged since the last call (by logpass and the fake wincred).
    pub fn take_calls(&self) -> Vec<String> {
        let mut calls = Vec::new();
        for log in [self.call_log.clone(), self.wincred_dir.join("calls.log")] {
            if let Ok(text) = std::fs::read_to_string(&log) {
                calls.extend(text.lines().map(str::to_string));
                std::fs::remove_file(&log).expect("clear call log");
            }
        }
        calls
    }

    /// The environment a worker process needs to open the same store with `from_env`.
    pub fn worker_command(&self, test: &str, mode: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(std::env::current_exe().expect("test executable"));
        cmd.args(["--exact", test, "--ignored", "--nocapture", "--test-threads=1", "--quiet"])
            .env("STORE_WORKER", mode)
            .env("DOCKER_CONFIG", &self.docker_config)
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("HOME", self.dir.path().join("home"))
            .env("PATH", self.search_path())
            .envs(self.helper_env())
            .env_remove("MCP_OAUTH_CREDENTIAL_HELPER")
            .env_remove("MCP_OAUTH_STORE_PART_SIZE");
        cmd
    }
}

/// A token-set-like record whose strings would not survive careless encoding: quotes,
/// backslashes, non-ASCII, control characters, and trailing newlines (pass strips those).
pub fn awkward_record(marker: &str) -> Value {
    json!({
        "issuer": "https://as.example",
        "client_id": "client-1",
        "resource": "https://mcp.example/mcp",
        "access_token": format!("{marker}-at \"quoted\" \\ back\\slash é🦀 \u{1}"),
        "refresh_token": format!("{marker}-rt ends with newlines\n\n"),
        "scope": "mcp:read mcp:write ",
        "expires_at": 2_000_000_000u64,
    })
}

/// lock + load + increment + save, `rounds` times: the concurrency tests' unit of work.
pub fn increment(store: &Store, key: &mcp_oauth::store::Key, rounds: usize) {
    for _ in 0..rounds {
        let _guard = store.lock(key).expect("lock");
        let current: Option<Value> = store.load(key).expect("load");
        let mut record = current.unwrap_or_else(|| json!({"count": 0, "pad": "p".repeat(300)}));
        let n = record["count"].as_u64().expect("count") + 1;
        record["count"] = json!(n);
        store.save(key, &record).expect("save");
    }
}
