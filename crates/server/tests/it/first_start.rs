//! Starting `palaver serve` as an operator does, over the real binary: a start that cannot
//! bind creates nothing, and one data directory serves one server at a time.

use crate::process_support::Node;
use crate::raw_http::{head, read_answer};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn palaver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_palaver"))
}

/// Runs `palaver serve` with `args` (listen addresses included) and waits, at most 30 s, for it
/// to exit on its own.
fn serve_until_exit(dir: &Path, args: &[&str]) -> Output {
    let mut child = palaver()
        .arg("serve")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("palaver serve did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// The names of the apps stored in `dir`.
fn app_names(dir: &Path) -> Vec<String> {
    let out = palaver().args(["app", "list", "--json", "--data-dir"]).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let apps: Value = serde_json::from_slice(&out.stdout).unwrap();
    apps.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
}

/// Starts `palaver serve` on free ports and reads what it prints until it listens: its
/// standard output then (the banner), and the running process.
fn start_and_read_banner(dir: &Path) -> (String, Child) {
    let mut child = palaver()
        .args(["serve", "--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    let mut line = String::new();
    while !line.contains("listening on http") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server exited early");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    // The banner is printed before the server says it listens.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("QISCUS-SDK-SECRET:") {
        assert!(stdout.read_line(&mut banner).unwrap() > 0, "no credentials in {banner:?}");
    }
    // Whatever it prints later goes somewhere until it exits.
    std::thread::spawn(move || stderr.lines().count());
    std::thread::spawn(move || stdout.lines().count());
    (banner, child)
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(child.wait().unwrap().success(), "graceful shutdown exits 0");
}

#[test]
fn a_start_on_a_busy_port_creates_no_app_and_a_later_start_prints_the_default_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().to_string();

    let out = serve_until_exit(dir.path(), &["--listen", &taken, "--mqtt-listen", "127.0.0.1:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a busy port fails the start");
    assert!(err.contains(&format!("cannot listen on {taken}")), "the error names the address: {err}");
    assert!(out.stdout.is_empty(), "no credentials: {}", String::from_utf8_lossy(&out.stdout));
    // The MQTT listener likewise.
    let out = serve_until_exit(dir.path(), &["--listen", "127.0.0.1:0", "--mqtt-listen", &taken]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains(&format!("cannot listen for MQTT on {taken}")), "{err}");
    assert!(out.stdout.is_empty());
    assert!(!dir.path().join("palaver.db").exists(), "not even a database was made");
    assert_eq!(app_names(dir.path()), Vec::<String>::new(), "no app was created");

    // On free ports the first real start creates the default app and shows its secrets.
    let (banner, child) = start_and_read_banner(dir.path());
    assert!(banner.contains("Created the app \"default\""), "{banner}");
    assert!(banner.contains("Server-Key header:"), "{banner}");
    stop(child);
    assert_eq!(app_names(dir.path()), vec!["default".to_string()]);
}

/// `GET path` on a server; the status and body.
async fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.expect("the server accepts");
    s.write_all(&head("GET", path, &[("Connection", "close")], 0)).await.unwrap();
    let a = read_answer(&mut s, Duration::from_secs(10)).await.expect("an answer");
    (a.status, a.body)
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused_while_the_first_serves() {
    let dir = tempfile::tempdir().unwrap();
    let args = vec!["--data-dir".to_string(), dir.path().display().to_string()];
    let mut first = Node::start(&args);

    let out = serve_until_exit(dir.path(), &["--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second server exits");
    let lock = dir.path().join("palaver.lock");
    let expected = format!(
        "another Palaver server is using the data directory {} (lock file {})",
        dir.path().display(),
        lock.display()
    );
    assert!(err.contains(&expected), "{err}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));

    // The first serves on, and one-off commands share its database.
    assert_eq!(get(first.addr, "/health").await, (200, b"ok".to_vec()));
    assert_eq!(get(first.addr, "/ready").await.0, 200);
    let made = palaver().args(["app", "create", "--name", "shop", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert_eq!(app_names(dir.path()), vec!["default".to_string(), "shop".to_string()]);

    // Once it stopped, the directory is free again.
    assert!(first.terminate(), "the first server stops cleanly");
    let again = Node::start(&args);
    assert_eq!(get(again.addr, "/health").await.0, 200);
}
