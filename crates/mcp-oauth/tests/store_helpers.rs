//! The store against helpers that misbehave (missing, failing, hanging, garbage, floods) and
//! against a wincred stand-in with Windows' 2,560-byte secret limit: every failure is a
//! one-line `Error::Store` (exit code 6), and nothing stored before is lost or half-written.

use crate::store_support::{Env, awkward_record};
use mcp_oauth::ExitCode;
use mcp_oauth::store::{Store, keys};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn store_with(env: &Env, helper: &str) -> Store {
    Store::open(env.options(Some(helper))).expect("open")
}

fn assert_store_error(err: &mcp_oauth::Error, contains: &str) {
    let text = err.to_string();
    assert_eq!(err.exit_code(), ExitCode::Store, "{text}");
    assert!(text.contains(contains), "{text:?} lacks {contains:?}");
    assert!(!text.contains('\n'), "one line: {text:?}");
    assert!(!text.contains("hunter2") && !text.contains("secret-value"), "leaks: {text}");
}

/// Nothing fell back to the file store behind the failing helper's back.
fn assert_no_file_store(env: &Env) {
    assert!(!env.config.join("credentials").exists(), "a failing helper must not fall back to files");
}

#[test]
fn missing_helper() {
    let env = Env::isolated();
    env.docker_config_json(&json!({"credsStore": "nonexistent"}));
    let store = env.open();
    let key = keys::token("https://mcp.example/mcp", None);
    assert_store_error(
        &store.save(&key, &json!({"access_token": "secret-value"})).expect_err("save"),
        "docker-credential-nonexistent is not installed",
    );
    assert_store_error(&store.load::<Value>(&key).expect_err("load"), "not installed");
    assert_store_error(&store.erase(&key).expect_err("erase"), "not installed");
    assert_no_file_store(&env);
}

#[test]
fn failing_helper_reports_its_message() {
    let env = Env::isolated();
    let store = store_with(&env, "fail");
    let key = keys::token("https://mcp.example/mcp", None);
    let err = store.load::<Value>(&key).expect_err("load");
    assert_store_error(
        &err,
        "docker-credential-fail get failed (exit status 1): backend unavailable: permission denied",
    );
    assert_store_error(&store.save(&key, &json!({"access_token": "secret-value"})).expect_err("save"), "exit status 1");
    assert_store_error(&store.erase(&key).expect_err("erase"), "erase failed");
    assert_no_file_store(&env);
}

#[test]
fn hanging_helper_is_killed_after_the_timeout() {
    let env = Env::isolated();
    let mut options = env.options(Some("hang"));
    options.helper_timeout = Some(Duration::from_secs(1));
    let store = Store::open(options).expect("open");
    let started = Instant::now();
    let err = store.load::<Value>(&keys::token("https://mcp.example/mcp", None)).expect_err("load");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_store_error(&err, "did not finish within 1 s");
}

#[test]
fn garbage_is_an_error_and_never_quoted() {
    let env = Env::isolated();
    let store = store_with(&env, "garbage");
    let err = store.load::<Value>(&keys::token("https://mcp.example/mcp", None)).expect_err("load");
    assert_store_error(&err, "not a credential");
    let err = store.list_entries().expect_err("list");
    assert_store_error(&err, "not a JSON object");
}

#[test]
fn output_floods_are_cut_off_and_big_answers_read_whole() {
    let env = Env::isolated();
    let key = keys::token("https://mcp.example/mcp", None);
    let err = store_with(&env, "huge").load::<Value>(&key).expect_err("load");
    assert_store_error(&err, "more than 1024 KiB");

    // 100 kB on stdout is more than a pipe buffer: it must be drained, not deadlock.
    let mut env = Env::isolated();
    env.extra_env.push(("BIG_KEY".into(), key.as_str().into()));
    let record: Value = store_with(&env, "big").load(&key).expect("load").expect("present");
    assert_eq!(record["pad"].as_str().map(str::len), Some(100_000));
}

#[test]
fn wincred_sized_parts_round_trip_and_cost() {
    let env = Env::isolated();
    env.docker_config_json(&json!({"credsStore": "wincred"}));
    let key = keys::token("https://mcp.example/mcp", None);
    let mut record = awkward_record("w");
    // A realistic 6 KB token set: several 2,560-byte entries.
    record["id_token"] = json!("eyJ".repeat(2000));
    env.open().save(&key, &record).expect("save");
    let stores = env.take_calls().iter().filter(|c| *c == "store").count();
    assert!(stores >= 3, "{stores} stores");

    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(record));
    assert_eq!(env.take_calls(), vec!["get"; stores], "the head and each part, once");

    let small = keys::client("https://as.example", None);
    env.open().save(&small, &json!({"client_id": "c"})).expect("save");
    env.take_calls();
    assert_eq!(env.open().load::<Value>(&small).expect("load"), Some(json!({"client_id": "c"})));
    assert_eq!(env.take_calls(), ["get"]);
}

/// A save that dies between part writes leaves the previous value readable, intact.
#[test]
fn interrupted_split_save_keeps_the_previous_value() {
    let mut env = Env::isolated();
    env.docker_config_json(&json!({"credsStore": "wincred"}));
    let key = keys::token("https://mcp.example/mcp", None);
    let mut v1 = awkward_record("v1");
    v1["id_token"] = json!("a".repeat(6000));
    env.open().save(&key, &v1).expect("save v1");
    let stores_so_far: usize =
        std::fs::read_to_string(env.wincred_dir.join("stores.count")).expect("count").trim().parse().expect("n");

    let mut v2 = v1.clone();
    v2["id_token"] = json!("b".repeat(6000));
    for crash_after in [1, 2, 3] {
        env.extra_env = vec![("FAKE_WINCRED_FAIL_AFTER".into(), (stores_so_far + crash_after).to_string().into())];
        std::fs::write(env.wincred_dir.join("stores.count"), stores_so_far.to_string()).expect("reset counter");
        let err = env.open().save(&key, &v2).expect_err("save v2 dies midway");
        assert_store_error(&err, "simulated crash");
        env.extra_env.clear();
        assert_eq!(
            env.open().load::<Value>(&key).expect("load"),
            Some(v1.clone()),
            "after crashing at store {crash_after}"
        );
    }
    env.open().save(&key, &v2).expect("save v2");
    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(v2));
}

/// Missing, stale or altered parts are reported, never returned.
#[test]
fn partial_reads_are_detected() {
    let env = Env::isolated();
    env.docker_config_json(&json!({"credsStore": "wincred"}));
    let key = keys::token("https://mcp.example/mcp", None);
    let mut record = awkward_record("p");
    record["id_token"] = json!("z".repeat(6000));
    env.open().save(&key, &record).expect("save");

    let entry_files = || -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(&env.wincred_dir)
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    };
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
    };
    let part = entry_files()
        .into_iter()
        .find(|p| read(p)["ServerURL"].as_str().is_some_and(|u| u.ends_with("/1")))
        .expect("part 1");
    let original = std::fs::read(&part).expect("read part");

    // Altered content, same framing.
    let mut altered = read(&part);
    let mut secret = altered["Secret"].as_str().expect("secret").to_string();
    let last_z = secret.rfind('z').expect("a z in the data");
    secret.replace_range(last_z..=last_z, "y");
    altered["Secret"] = json!(secret);
    std::fs::write(&part, altered.to_string()).expect("alter");
    assert_store_error(&env.open().load::<Value>(&key).expect_err("altered"), "checksum");

    // Truncated by a backend.
    let mut truncated = read(&part);
    let s = truncated["Secret"].as_str().expect("secret").to_string();
    truncated["Secret"] = json!(s[..s.len() - 10]);
    std::fs::write(&part, truncated.to_string()).expect("truncate");
    assert_store_error(&env.open().load::<Value>(&key).expect_err("truncated"), "truncated");

    // Gone.
    std::fs::remove_file(&part).expect("remove");
    assert_store_error(&env.open().load::<Value>(&key).expect_err("missing"), "part 1 of");

    std::fs::write(&part, original).expect("restore");
    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(record));
}

/// credHelpers sends one server's keys to its own helper; a broken one harms no other entry.
#[test]
fn cred_helpers_route_per_server() {
    let env = Env::isolated();
    env.docker_config_json(&json!({
        "credsStore": "fail",
        "credHelpers": {"mcp.example.mcp-oauth": "wincred", "other.example.mcp-oauth:8443": "wincred"}
    }));
    let store = env.open();
    let good = keys::token("https://mcp.example/mcp", None);
    store.save(&good, &json!({"n": 1})).expect("save via credHelpers");
    let err = store.save(&keys::token("https://broken.example/mcp", None), &json!({"n": 2})).expect_err("broken");
    assert_store_error(&err, "docker-credential-fail");
    // The port is part of the host Docker looks up, as for registries.
    let with_port = keys::token("https://other.example:8443/mcp", None);
    store.save(&with_port, &json!({"n": 3})).expect("save via credHelpers with a port");
    let without_port = keys::token("https://other.example/mcp", None);
    assert_store_error(&store.save(&without_port, &json!({"n": 4})).expect_err("credsStore"), "docker-credential-fail");
    assert_no_file_store(&env);
    let fresh = env.open();
    assert_eq!(fresh.load::<Value>(&good).expect("load"), Some(json!({"n": 1})));
    assert_eq!(fresh.load::<Value>(&with_port).expect("load"), Some(json!({"n": 3})));
}
