//! The store against faults that must not cost a user their tokens: a helper whose `store`
//! fails after a refresh token was spent, damaged entries, helpers answering with another
//! entry's record, reads racing saves of split records, and store paths tampered with.

use crate::store_support::Env;
use mcp_oauth::ExitCode;
use mcp_oauth::store::{Store, keys};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).expect("stat").permissions().mode() & 0o777
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort();
    files
}

/// The wincred stand-in's entry files (one per key), by key.
fn wincred_entry(env: &Env, key: &str) -> PathBuf {
    files_in(&env.wincred_dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .find(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json");
            v["ServerURL"] == key
        })
        .expect("entry file")
}

fn wincred_env() -> Env {
    let mut env = Env::isolated();
    env.system_path = true; // node
    env.docker_config_json(&json!({"credsStore": "wincred"}));
    env
}

fn stores_so_far(env: &Env) -> usize {
    std::fs::read_to_string(env.wincred_dir.join("stores.count")).map_or(0, |c| c.trim().parse().expect("count"))
}

/// A store whose helper accepts `ok_stores` more `store` calls, then fails every one.
fn failing_after(env: &mut Env, ok_stores: usize) -> Store {
    let limit = stores_so_far(env) + ok_stores;
    env.extra_env = vec![("FAKE_WINCRED_FAIL_AFTER".into(), limit.to_string().into())];
    let store = env.open();
    env.extra_env.clear();
    store
}

#[test]
fn a_failed_save_after_the_reservation_is_kept_aside_and_stored_by_the_next_run() {
    let mut env = wincred_env();
    let key = keys::token("https://mcp.example/mcp", None);
    env.open().save(&key, &json!({"refresh_token": "rt-1", "n": 1})).expect("save v1");

    // The probe of `reserve` passes; the save after the refresh fails.
    let flaky = failing_after(&mut env, 1);
    let reservation = flaky.reserve(&key).expect("the helper accepts a store now");
    let v2 = json!({"refresh_token": "rt-2 (rotated)", "n": 2});
    let err = flaky.commit(reservation, &v2).expect_err("the save fails");
    assert_eq!(err.exit_code(), ExitCode::Store);
    let text = err.to_string();
    assert!(text.contains("simulated crash") && text.contains("not lost") && text.contains("next run"), "{text}");
    assert!(!text.contains("rt-2"), "no secret in the message: {text}");
    let rescue_dir = env.config.join("rescue");
    let rescued = files_in(&rescue_dir);
    assert_eq!(rescued.len(), 1, "{rescued:?}");
    assert!(text.contains(&rescued[0].display().to_string()), "names the file: {text}");
    assert_eq!((mode(&rescue_dir), mode(&rescued[0])), (0o700, 0o600));
    assert!(!std::fs::read_to_string(&env.call_log).unwrap_or_default().contains("rt-2"));

    // Still failing: it stays for later.
    failing_after(&mut env, 0).recover();
    assert_eq!(files_in(&rescue_dir), rescued);
    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(json!({"refresh_token": "rt-1", "n": 1})));

    // Healthy again: stored, and only then removed.
    env.open().recover();
    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(v2.clone()));
    assert!(files_in(&rescue_dir).is_empty());
    env.open().recover();
    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(v2));
}

#[test]
fn a_rescued_record_older_than_a_later_save_is_dropped() {
    let mut env = wincred_env();
    let key = keys::token("https://mcp.example/mcp", None);
    env.open().save(&key, &json!({"n": 1})).expect("save v1");
    let flaky = failing_after(&mut env, 1);
    let reservation = flaky.reserve(&key).expect("reserve");
    flaky.commit(reservation, &json!({"n": 2})).expect_err("the save fails");
    // A new login saved since: the rescued record is the older one.
    env.open().save(&key, &json!({"n": 3})).expect("save v3");
    env.open().recover();
    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(json!({"n": 3})));
    assert!(files_in(&env.config.join("rescue")).is_empty());
}

#[test]
fn nothing_is_reserved_from_a_store_that_cannot_save() {
    let mut env = wincred_env();
    let key = keys::token("https://mcp.example/mcp", None);
    let err = failing_after(&mut env, 0).reserve(&key).map(|_| ()).expect_err("the probe fails");
    assert_eq!(err.exit_code(), ExitCode::Store);
    assert!(err.to_string().contains("nothing was sent to the server"), "{err}");
    // The probe left nothing behind, and erased what it wrote when it could.
    let store = env.open();
    let reservation = store.reserve(&key).expect("reserve");
    assert!(store.list_entries().expect("list").is_empty());
    store.commit(reservation, &json!({"n": 1})).expect("commit");
    let entries: Vec<PathBuf> =
        files_in(&env.wincred_dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    assert_eq!(entries.len(), 1, "only the record itself: {entries:?}");
}

#[test]
fn a_helper_answering_with_another_entrys_record_is_refused() {
    let env = wincred_env();
    let store = env.open();
    let mine = keys::token("https://mcp.example/mcp", None);
    let other = keys::token("https://other.example/mcp", None);
    store.save(&mine, &json!({"resource": "https://mcp.example/mcp"})).expect("save");
    store.save(&other, &json!({"resource": "https://other.example/mcp"})).expect("save");
    // The backend hands out the other entry's secret under our key (real helpers echo
    // the ServerURL they were asked for, so that is no check).
    let mut swapped: Value =
        serde_json::from_str(&std::fs::read_to_string(wincred_entry(&env, other.as_str())).expect("read"))
            .expect("json");
    swapped["ServerURL"] = json!(mine.as_str());
    std::fs::write(wincred_entry(&env, mine.as_str()), swapped.to_string()).expect("swap");

    let err = env.open().load::<Value>(&mine).expect_err("refused");
    assert_eq!(err.exit_code(), ExitCode::Store);
    assert!(err.to_string().contains(other.as_str()), "{err}");
    let listed = env.open().list_entries().expect("list");
    let row = listed.iter().find(|e| e.key.as_ref() == Some(&mine)).expect("listed");
    assert!(row.record.is_none() && row.error.as_deref().is_some_and(|e| e.contains("the record of")), "{row:?}");
}

#[test]
fn damaged_entries_are_listed_overwritten_and_erased() {
    let env = Env::isolated();
    let store = Store::open(env.options(Some("file"))).expect("open");
    let key = keys::token("https://mcp.example/mcp", None);
    let fine = keys::client("https://as.example", None);
    store.save(&key, &json!({"access_token": "a"})).expect("save");
    store.save(&fine, &json!({"client_id": "c"})).expect("save");
    let damage = || {
        let file = files_in(&env.config.join("credentials"))
            .into_iter()
            .find(|p| std::fs::read_to_string(p).expect("read").contains("/token/"))
            .expect("token file");
        let text = std::fs::read_to_string(&file).expect("read");
        std::fs::write(&file, &text[..text.len() / 2]).expect("truncate");
        file
    };
    let file = damage();

    // Listed with what is wrong, not skipped.
    let entries = Store::open(env.options(Some("file"))).expect("open").list_entries().expect("list");
    assert_eq!(entries.len(), 2, "{entries:?}");
    let broken = entries.iter().find(|e| e.file.is_some()).expect("the damaged file is listed");
    assert_eq!(broken.file.as_deref(), Some(file.as_path()));
    assert!(
        broken.kind.is_none() && broken.error.as_deref().is_some_and(|e| e.contains("not a credential entry")),
        "{broken:?}"
    );

    // A save over it succeeds (a fresh process knows nothing of the old entry).
    let fresh = Store::open(env.options(Some("file"))).expect("open");
    assert_eq!(fresh.load::<Value>(&key).expect_err("damaged").exit_code(), ExitCode::Store);
    let fresh = Store::open(env.options(Some("file"))).expect("open");
    fresh.save(&key, &json!({"access_token": "b"})).expect("save over a damaged entry");
    assert_eq!(fresh.load::<Value>(&key).expect("load"), Some(json!({"access_token": "b"})));

    damage();
    let fresh = Store::open(env.options(Some("file"))).expect("open");
    fresh.erase(&key).expect("erase a damaged entry");
    assert_eq!(fresh.load::<Value>(&key).expect("load"), None);
    assert_eq!(fresh.load::<Value>(&fine).expect("load"), Some(json!({"client_id": "c"})));
}

/// Readers take no lock; a save replaces the head and then erases the parts the old head
/// named. A reader caught in between must read again, not report damage.
#[test]
fn split_reads_racing_saves_never_fail() {
    let env = Env::isolated();
    let key = keys::token("https://mcp.example/mcp", None);
    let mut options = env.options(Some("file"));
    options.part_size = Some(100);
    Store::open(options.clone()).expect("open").save(&key, &json!({"n": 0, "pad": "p".repeat(1000)})).expect("save");
    let done = std::sync::atomic::AtomicBool::new(false);
    let failures = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let store = Store::open(options.clone()).expect("open");
            for n in 1..=200u64 {
                let _guard = store.lock(&key).expect("lock");
                store.save(&key, &json!({"n": n, "pad": "p".repeat(1000)})).expect("save");
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let readers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let (mut reads, mut failures) = (0u64, Vec::new());
                    // Bounded: about 1 read in 1,000 met a concurrent save before the fix.
                    while (!done.load(std::sync::atomic::Ordering::SeqCst) || reads < 100) && reads < 15_000 {
                        let store = Store::open(options.clone()).expect("open");
                        match store.load::<Value>(&key) {
                            Ok(Some(v)) => assert_eq!(v["pad"].as_str().map(str::len), Some(1000)),
                            Ok(None) => failures.push("absent".to_string()),
                            Err(e) => failures.push(e.to_string()),
                        }
                        reads += 1;
                    }
                    (reads, failures)
                })
            })
            .collect();
        writer.join().expect("writer");
        readers.into_iter().map(|r| r.join().expect("reader")).collect::<Vec<_>>()
    });
    let reads: u64 = failures.iter().map(|(r, _)| r).sum();
    let failed: Vec<&String> = failures.iter().flat_map(|(_, f)| f).collect();
    assert!(reads >= 200, "{reads} reads");
    assert!(failed.is_empty(), "{} of {reads} reads failed, e.g. {:?}", failed.len(), failed.first());
}

#[test]
fn loose_directories_are_repaired_and_planted_paths_refused() {
    let env = Env::isolated();
    let credentials = env.config.join("credentials");
    std::fs::create_dir_all(&credentials).expect("mkdir");
    for dir in [&env.config, &credentials] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    }
    let key = keys::token("https://mcp.example/mcp", None);
    let store = Store::open(env.options(Some("file"))).expect("open");
    assert_eq!(store.load::<Value>(&key).expect("load"), None);
    store.save(&key, &json!({"n": 1})).expect("save");
    assert_eq!((mode(&env.config), mode(&credentials)), (0o700, 0o700), "repaired");
    store.lock(&key).expect("lock");
    assert_eq!(mode(&env.config.join("locks")), 0o700);

    // A record file someone else owns (planted through the loose directory) is refused.
    let entry = files_in(&credentials).pop().expect("entry");
    if std::os::unix::fs::chown(&entry, Some(65534), Some(65534)).is_ok() {
        let err = Store::open(env.options(Some("file"))).expect("open").load::<Value>(&key).expect_err("foreign");
        assert_eq!(err.exit_code(), ExitCode::Security, "{err}");
        assert!(err.to_string().contains("belongs to user id 65534"), "{err}");
    } else {
        println!("not root: the foreign-owner case is covered only where chown works");
    }

    // The credentials directory replaced by a link elsewhere.
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::remove_file(&entry).expect("rm");
    std::fs::remove_dir(&credentials).expect("rmdir");
    std::os::unix::fs::symlink(&elsewhere, &credentials).expect("symlink");
    let err = Store::open(env.options(Some("file"))).expect("open").save(&key, &json!({"n": 2})).expect_err("a link");
    assert_eq!(err.exit_code(), ExitCode::Security, "{err}");
    assert!(files_in(&elsewhere).is_empty(), "nothing written through the link");
}
