//! `palaver config example|check`, run as processes: the example is a valid configuration,
//! the environment beats the file and `--set` beats both, and a bad value is refused naming
//! where it came from.

use serde_json::Value;
use std::process::{Command, Output};

fn palaver(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_palaver"));
    // The test's own environment must not leak settings into the checks.
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PALAVER_")) {
        c.env_remove(k);
    }
    c.args(args).envs(env.iter().copied()).output().unwrap()
}

fn merged(args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = palaver(&[&["config", "check", "--json"], args].concat(), env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_example_is_complete_and_valid() {
    let out = palaver(&["config", "example"], &[]);
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("palaver.toml");
    std::fs::write(&file, &out.stdout).unwrap();
    let checked = merged(&["--config", file.to_str().unwrap()], &[]);
    assert_eq!(checked["listen"], "127.0.0.1:8080");
    assert_eq!(checked["rate_limits"]["sends_per_minute"], 3000);
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read("../../palaver.example.toml").unwrap(), "checked in");
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("palaver.toml");
    std::fs::write(&file, "change_retention_days = 30\nmax_connections = 100\n[rate_limits]\nsends_per_minute = 10\n")
        .unwrap();
    let path = file.to_str().unwrap();
    let from_file = merged(&["--config", path], &[]);
    assert_eq!(
        (from_file["change_retention_days"].as_i64(), from_file["max_connections"].as_i64()),
        (Some(30), Some(100))
    );
    let env = [("PALAVER_CHANGE_RETENTION_DAYS", "7"), ("PALAVER_RATE_LIMITS__SENDS_PER_MINUTE", "20")];
    let from_env = merged(&["--config", path], &env);
    assert_eq!(from_env["change_retention_days"], 7);
    assert_eq!(from_env["max_connections"], 100, "the file still gives what the environment does not");
    assert_eq!(from_env["rate_limits"]["sends_per_minute"], 20);
    let from_flag = merged(&["--config", path, "--set", "change_retention_days=9"], &env);
    assert_eq!(from_flag["change_retention_days"], 9);
    let secret = merged(&["--set", "secret_key=c2VjcmV0"], &[]);
    assert_eq!(secret["secret_key"], "(set)", "secrets are not printed");
}

#[test]
fn a_bad_setting_is_refused_naming_its_source() {
    let bad_env = palaver(&["config", "check"], &[("PALAVER_MAX_CONNECTIONS", "many")]);
    let text = String::from_utf8_lossy(&bad_env.stderr);
    assert!(!bad_env.status.success() && text.contains("max_connections") && text.contains("PALAVER_"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("palaver.toml");
    std::fs::write(&file, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let typo = palaver(&["config", "check", "--config", file.to_str().unwrap()], &[]);
    let text = String::from_utf8_lossy(&typo.stderr);
    assert!(!typo.status.success() && text.contains("lisen") && text.contains("palaver.toml"), "{text}");
    let unknown = palaver(&["config", "check", "--set", "nothing=1"], &[]);
    assert!(!unknown.status.success());
    let address = palaver(&["config", "check", "--set", "listen=nowhere"], &[]);
    assert!(String::from_utf8_lossy(&address.stderr).contains("invalid listen address"));
}
