//! The store against a real docker-credential-pass (Debian's 0.6.4 on the test machines)
//! with a throwaway gpg key, reached through Docker's config.json like a user would.

use crate::store_support::{Env, awkward_record, increment};
use mcp_oauth::store::{Kind, Store, keys};
use serde_json::{Value, json};
use std::io::Write;
use std::process::Stdio;

#[test]
fn round_trip_is_exact_and_costs_one_get() {
    let env = Env::with_pass();
    let key = keys::token("https://mcp.example/mcp", None);
    let store = env.open();
    assert!(
        store.backend_description().starts_with("docker-credential-logpass (credsStore in "),
        "{}",
        store.backend_description()
    );

    let record = awkward_record("one");
    store.save(&key, &record).expect("save");
    // Layout unknown to this process: one get to look for parts of an earlier save.
    assert_eq!(env.take_calls(), ["get", "store"]);
    assert_eq!(env.pass.as_ref().expect("pass").entry_files().len(), 1);

    let fresh = env.open();
    assert_eq!(fresh.load::<Value>(&key).expect("load"), Some(record.clone()));
    assert_eq!(env.take_calls(), ["get"], "a single-part record costs exactly one get");

    // The usual read-modify-write: after the load, the save is one store, overwriting in place.
    let updated = awkward_record("two");
    fresh.save(&key, &updated).expect("save over");
    assert_eq!(env.take_calls(), ["store"]);
    assert_eq!(env.pass.as_ref().expect("pass").entry_files().len(), 1);
    assert_eq!(env.open().load::<Value>(&key).expect("load"), Some(updated));
}

#[test]
fn missing_entries_and_erase() {
    let env = Env::with_pass();
    let store = env.open();
    let key = keys::client("https://as.example", None);
    // pass 0.6.4 answers "not found" with exit 0 and empty fields.
    assert_eq!(store.load::<Value>(&key).expect("load missing"), None);
    store.erase(&key).expect("erase of a missing entry is not an error");
    store.save(&key, &json!({"client_id": "c"})).expect("save");
    let fresh = env.open();
    fresh.erase(&key).expect("erase");
    assert!(env.pass.as_ref().expect("pass").entry_files().is_empty());
    assert_eq!(fresh.load::<Value>(&key).expect("load"), None);
    fresh.erase(&key).expect("erase again");
}

#[test]
fn split_records_through_pass() {
    let env = Env::with_pass();
    let mut options = env.options(None);
    options.part_size = Some(300);
    let store = Store::open(options.clone()).expect("open");
    let key = keys::token("https://mcp.example/mcp", Some("ci"));
    let mut record = awkward_record("split");
    record["id_token"] = json!("é\"x\n".repeat(400));
    store.save(&key, &record).expect("save split");
    let pass = env.pass.as_ref().expect("pass");
    let parts = pass.entry_files().len() - 1;
    assert!(parts > 5, "{parts} parts");
    env.take_calls();

    let fresh = Store::open(options.clone()).expect("open");
    assert_eq!(fresh.load::<Value>(&key).expect("load"), Some(record.clone()));
    assert_eq!(env.take_calls().len(), 1 + parts, "head, then each part once");

    // Shrinking to one entry removes the old parts, even from another process's store.
    Store::open(options.clone()).expect("open").save(&key, &json!({"small": 1})).expect("save small");
    assert_eq!(pass.entry_files().len(), 1);
    let again = Store::open(options).expect("open");
    again.save(&key, &record).expect("save split again");
    again.erase(&key).expect("erase");
    assert!(pass.entry_files().is_empty(), "{:?}", pass.entry_files());
}

#[test]
fn listing_shows_ours_without_secrets_and_skips_foreign_entries() {
    let env = Env::with_pass();
    let pass = env.pass.as_ref().expect("pass");
    // Entries of other tools in the same helper, one even with our username.
    for (url, user) in [
        ("https://notion-remote.mcp-dcr", "dcr_client"),
        ("https://index.docker.io/v1/", "someone"),
        ("https://elsewhere.example/token/default/AAAAAAAAAAAAAAAAAAAAAA", "mcp-oauth"),
    ] {
        let mut child =
            pass.command("docker-credential-pass").arg("store").stdin(Stdio::piped()).spawn().expect("spawn");
        let line = json!({"ServerURL": url, "Username": user, "Secret": "foreign-secret"}).to_string();
        child.stdin.take().expect("stdin").write_all(line.as_bytes()).expect("write");
        assert!(child.wait().expect("wait").success());
    }
    let store = env.open();
    store.save(&keys::token("https://mcp.example/mcp", None), &awkward_record("t")).expect("token");
    store
        .save(
            &keys::client("https://as.example", Some("work")),
            &json!({"client_id": "c1", "client_secret": "cs", "issuer": "https://as.example"}),
        )
        .expect("client");
    store
        .save(&keys::pending("state-1", None), &json!({"code_verifier": "v", "state": "state-1", "expires_at": 5}))
        .expect("pending");

    let entries = store.list_entries().expect("list");
    let summary: Vec<(Option<Kind>, Option<&str>)> = entries.iter().map(|e| (e.kind, e.profile.as_deref())).collect();
    assert_eq!(
        summary,
        [
            (Some(Kind::Client), Some("work")),
            (Some(Kind::Token), Some("default")),
            (Some(Kind::Pending), Some("default"))
        ]
    );
    let shown = serde_json::to_string(&entries).expect("serialise");
    for secret in ["t-at", "t-rt", "\"cs\"", "\"v\"", "foreign", "dcr_client"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    let token = &entries[1];
    assert_eq!(token.record.as_ref().map(|r| r["client_id"].clone()), Some(json!("client-1")));
    assert_eq!(token.record.as_ref().map(|r| r["scope"].clone()), Some(json!("mcp:read mcp:write ")));
    assert_eq!(token.backend, "docker-credential-logpass");
    assert!(entries.iter().all(|e| e.error.is_none()), "{entries:?}");
}

/// "Am I logged in?" is one listing: its records (secrets removed, their names kept) say
/// all a login shows, with no second read of a token set or of its client.
#[test]
fn a_status_costs_the_listing_alone() {
    let env = Env::with_pass();
    let store = env.open();
    let (issuer, resource) = ("https://as.example", "https://mcp.example/mcp");
    let mut token = awkward_record("t");
    token["token_endpoint"] = json!("https://as.example/token");
    token["token_type"] = json!("Bearer");
    token["grant"] = json!("authorization_code");
    token["obtained_at"] = json!(1);
    store.save(&keys::token(resource, None), &token).expect("token");
    let client = json!({
        "issuer": issuer, "client_id": "client-1", "client_secret": "cs", "auth_method": "client_secret_basic",
        "source": "dynamic", "created_at": 1,
    });
    store.save(&keys::client(issuer, None), &client).expect("client");
    // A second login, without a refresh token.
    let mut other = token.clone();
    other.as_object_mut().expect("object").remove("refresh_token");
    other["resource"] = json!("https://other.example/mcp");
    store.save(&keys::token("https://other.example/mcp", None), &other).expect("token without refresh");
    // A record that is no token set, whatever it has besides, is damaged, as a load would say.
    other.as_object_mut().expect("object").remove("access_token");
    store.save(&keys::token("https://broken.example/mcp", None), &other).expect("no access token");
    env.take_calls();

    let status = mcp_oauth::status::collect(&env.open(), None).expect("status");
    assert_eq!(env.take_calls(), ["list", "get", "get", "get", "get"], "one get per entry, nothing read twice");
    let logins: Vec<(&str, bool, Option<mcp_oauth::client::ClientSource>)> =
        status.logins.iter().map(|l| (l.resource.as_str(), l.refresh_token, l.client_source)).collect();
    use mcp_oauth::client::ClientSource::Dynamic;
    assert_eq!(logins, [(resource, true, Some(Dynamic)), ("https://other.example/mcp", false, Some(Dynamic))]);
    assert_eq!(status.logins[0].scopes, ["mcp:read", "mcp:write"]);
    assert_eq!(status.damaged.len(), 1, "{:?}", status.damaged);
    assert!(status.damaged[0].what.contains("broken.example"), "{:?}", status.damaged);
    assert!(status.damaged[0].error.contains("does not have the expected shape"), "{:?}", status.damaged);
}

#[test]
fn profiles_are_separate_entries() {
    let env = Env::with_pass();
    let store = env.open();
    let url = "https://mcp.example/mcp";
    store.save(&keys::token(url, None), &json!({"who": "default"})).expect("save");
    store.save(&keys::token(url, Some("work")), &json!({"who": "work"})).expect("save");
    let fresh = env.open();
    assert_eq!(fresh.load::<Value>(&keys::token(url, Some("work"))).expect("load"), Some(json!({"who": "work"})));
    assert_eq!(fresh.load::<Value>(&keys::token(url, None)).expect("load"), Some(json!({"who": "default"})));
    assert_eq!(fresh.load::<Value>(&keys::token(url, Some("other"))).expect("load"), None);
}

#[test]
fn concurrent_writers_lose_no_update() {
    let env = Env::with_pass();
    let key = keys::token("https://mcp.example/mcp", None);
    let (threads, rounds) = (4, 3);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| increment(&env.open(), &key, rounds));
        }
    });
    let last: Value = env.open().load(&key).expect("load").expect("present");
    assert_eq!(last["count"], json!(threads * rounds));
}
