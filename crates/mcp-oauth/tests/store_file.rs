//! The file-store fallback (and Docker-style resolution from the environment), run in
//! separate processes where the behaviour is per process (the one-time warning, env vars),
//! and concurrent read-modify-write from several processes and threads.

use crate::store_support::{Env, awkward_record, increment};
use mcp_oauth::store::{Store, StoreOptions, keys};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::process::{Output, Stdio};

// The full test path: this file is a module of the store test binary (tests/main.rs).
const WORKER: &str = "store_file::worker";

/// Not a test: the body of the processes the tests below start (see `Env::worker_command`).
#[test]
#[ignore = "run by the other tests as a separate process"]
fn worker() {
    let Ok(mode) = std::env::var("STORE_WORKER") else {
        return;
    };
    let report = |line: String| println!("WORKER: {line}");
    // As a tool does (tool_main!): the library prints nothing unless its caller shows its events.
    if std::env::var_os("STORE_WORKER_SHOW_EVENTS").is_some() {
        mcp_oauth_cli::term::show_events("store-worker");
    }
    let store = match Store::open(StoreOptions::from_env(None)) {
        Ok(s) => s,
        Err(e) => return report(format!("error {} {e}", e.exit_code().code())),
    };
    match mode.as_str() {
        "save-twice" => {
            report(format!("backend {}", store.backend_description()));
            for url in ["https://one.example/mcp", "https://two.example/mcp"] {
                let key = keys::token(url, None);
                if let Err(e) = store.save(&key, &awkward_record(url)) {
                    return report(format!("error {} {e}", e.exit_code().code()));
                }
                let back: Option<Value> = store.load(&key).expect("load");
                report(format!("round trip {}", back == Some(awkward_record(url))));
            }
        }
        "increment" => {
            let rounds = std::env::var("STORE_ROUNDS").expect("STORE_ROUNDS").parse().expect("number");
            increment(&store, &keys::token("https://mcp.example/mcp", None), rounds);
            report("done".into());
        }
        other => panic!("unknown worker mode {other}"),
    }
}

fn worker_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("WORKER: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn falls_back_to_private_files_and_says_so_once() {
    let env = Env::isolated();
    let out =
        env.worker_command(WORKER, "save-twice").env("STORE_WORKER_SHOW_EVENTS", "1").output().expect("run worker");
    let lines = worker_lines(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{lines:?} {stderr}");
    let dir = env.dir.path().join("xdg/mcp-oauth/credentials");
    assert_eq!(
        lines[0],
        format!(
            "backend file store {} (no credential helper configured in {} or installed)",
            dir.display(),
            env.docker_config.join("config.json").display()
        )
    );
    assert_eq!(&lines[1..], ["round trip true", "round trip true"]);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("unencrypted")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    // One line that says how to choose a store or keep this one quietly.
    assert!(warnings[0].len() < 300 && warnings[0].contains(&dir.display().to_string()), "{}", warnings[0]);
    assert!(warnings[0].contains("credsStore") && warnings[0].contains("--credential-helper file"), "{}", warnings[0]);
    // Replacing those entries (a refresh, say) is no new login: no notice.
    let again =
        env.worker_command(WORKER, "save-twice").env("STORE_WORKER_SHOW_EVENTS", "1").output().expect("run worker");
    assert!(!String::from_utf8_lossy(&again.stderr).contains("unencrypted"), "{again:?}");

    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir).expect("dir").flatten().map(|e| e.path()).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| mode(f) == 0o600));
}

/// Issue 14: the library writes nothing to the terminal itself; the same warning as above
/// reaches stderr only through the events sink a caller installs.
#[test]
fn without_an_events_sink_the_library_prints_nothing() {
    let env = Env::isolated();
    let out = env.worker_command(WORKER, "save-twice").output().expect("run worker");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(&worker_lines(&out)[1..], ["round trip true", "round trip true"]);
    assert!(!stderr.contains("unencrypted") && !stderr.contains("warning"), "{stderr}");
}

#[test]
fn environment_variable_and_docker_config_choose_the_backend() {
    let mut env = Env::isolated();
    // The wincred stand-in runs on node; config.json turns Docker's default detection off.
    env.system_path = true;
    // MCP_OAUTH_CREDENTIAL_HELPER overrides config.json, which would otherwise be used.
    env.docker_config_json(&json!({"credsStore": "wincred"}));
    let mut cmd = env.worker_command(WORKER, "save-twice");
    let out = cmd.env("MCP_OAUTH_CREDENTIAL_HELPER", "fail").output().expect("run worker");
    let lines = worker_lines(&out);
    assert_eq!(
        lines[0],
        "backend docker-credential-fail (chosen by --credential-helper / MCP_OAUTH_CREDENTIAL_HELPER)"
    );
    assert!(lines[1].starts_with("error 6 credential store: docker-credential-fail "), "{lines:?}");

    // Explicit "file" wins too, and then there is no warning: it was asked for.
    let out =
        env.worker_command(WORKER, "save-twice").env("MCP_OAUTH_CREDENTIAL_HELPER", "file").output().expect("run");
    assert_eq!(&worker_lines(&out)[1..], ["round trip true", "round trip true"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("unencrypted"));

    // Without the variable, config.json's credsStore is used.
    let out = env.worker_command(WORKER, "save-twice").output().expect("run");
    assert_eq!(
        worker_lines(&out),
        [
            "backend docker-credential-wincred (credsStore in ".to_string()
                + &env.docker_config.join("config.json").display().to_string()
                + ")",
            "round trip true".into(),
            "round trip true".into()
        ]
    );

    // A malformed config.json is an error, not a silent fallback to plain files.
    std::fs::write(env.docker_config.join("config.json"), "{\"credsStore\":").expect("write");
    let out = env.worker_command(WORKER, "save-twice").output().expect("run");
    assert!(worker_lines(&out)[0].starts_with("error 6 credential store: "), "{:?}", worker_lines(&out));

    // An explicit choice does not read config.json at all; a bad name is a usage error.
    let out =
        env.worker_command(WORKER, "save-twice").env("MCP_OAUTH_CREDENTIAL_HELPER", "file").output().expect("run");
    assert_eq!(&worker_lines(&out)[1..], ["round trip true", "round trip true"]);
    let out =
        env.worker_command(WORKER, "save-twice").env("MCP_OAUTH_CREDENTIAL_HELPER", "../bin/sh").output().expect("run");
    assert!(worker_lines(&out)[0].starts_with("error 2 "), "{:?}", worker_lines(&out));
}

fn concurrent_processes(env: &Env, processes: usize, rounds: usize) {
    let children: Vec<_> = (0..processes)
        .map(|_| {
            let mut cmd = env.worker_command(WORKER, "increment");
            cmd.env("STORE_ROUNDS", rounds.to_string()).stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().expect("spawn worker")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("worker");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let store = Store::open(env.options(None)).expect("open");
    let last: Value = store.load(&keys::token("https://mcp.example/mcp", None)).expect("load").expect("present");
    assert_eq!(last["count"], json!(processes * rounds));
}

#[test]
fn concurrent_processes_lose_no_update_in_the_file_store() {
    let mut env = Env::isolated();
    // The workers find the store through XDG_CONFIG_HOME; this process must use the same.
    env.config = env.dir.path().join("xdg/mcp-oauth");
    concurrent_processes(&env, 4, 10);
}

#[test]
fn concurrent_processes_lose_no_update_in_pass() {
    let mut env = Env::with_pass();
    env.config = env.dir.path().join("xdg/mcp-oauth");
    concurrent_processes(&env, 3, 3);
}

#[test]
fn concurrent_threads_lose_no_update_with_split_records() {
    let env = Env::isolated();
    let key = keys::token("https://mcp.example/mcp", None);
    let mut options = env.options(Some("file"));
    options.part_size = Some(128);
    std::thread::scope(|s| {
        for _ in 0..6 {
            let options = options.clone();
            let key = &key;
            s.spawn(move || increment(&Store::open(options).expect("open"), key, 15));
        }
    });
    let last: Value = Store::open(options).expect("open").load(&key).expect("load").expect("present");
    assert_eq!(last["count"], json!(90));
    // Only the current generation's parts are left.
    let files = std::fs::read_dir(env.config.join("credentials")).expect("dir").count();
    // Each 128-byte part carries 116 bytes of data after "<gen>:<n>:" and before "|"; the
    // stored record also names its key.
    let mut stored = last.clone();
    stored["mcp_oauth_key"] = json!(key.as_str());
    assert_eq!(files, 1 + stored.to_string().len().div_ceil(116), "head + parts");
}
