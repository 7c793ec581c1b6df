//! The library's errors name no flag (issue #14): it says which input an error is about
//! and what to do, and the tool says it with its flags. Checked here on the command line
//! itself, for inputs refused before any request is made.

use mcp_testkit::bins::Sandbox;
use serde_json::Value;

#[track_caller]
fn refused(args: &[&str]) -> String {
    let out = Sandbox::new().run("mcp-authorize", args, Some("{}"));
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    out.stderr.trim_end().to_string()
}

#[test]
fn an_error_about_an_input_names_its_flag() {
    assert_eq!(
        refused(&["--auth-param", "scope=files:read"]),
        "mcp-authorize: --auth-param: scope is a parameter the authorization request sets itself; use --scope"
    );
    assert_eq!(refused(&["--auth-param", "prompt"]), r#"mcp-authorize: --auth-param: "prompt" is not NAME=VALUE"#);
    assert!(
        refused(&["--step-up", "Basic realm=x"]).starts_with("mcp-authorize: --step-up: not a Bearer challenge"),
        "the flag leads, as before"
    );
}

#[test]
fn the_json_error_carries_the_flag_too() {
    let out = Sandbox::new().run("mcp-authorize", &["--error-format", "json", "--auth-param", "scope=x"], Some("{}"));
    assert_eq!(out.code, Some(2), "{out}");
    let e: Value = serde_json::from_str(&out.stderr).unwrap_or_else(|err| panic!("{err}: {out}"));
    assert_eq!(e["error"], "usage");
    assert!(e["message"].as_str().unwrap().starts_with("--auth-param: scope "), "{e}");
}
