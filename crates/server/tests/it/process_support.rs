//! Palaver as a separate process, for tests that kill it or run several: `palaver app create`
//! and `palaver serve` started from the binary under test.

use crate::support::AppCredentials;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `palaver serve` process.
pub struct Node {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where its MQTT listener listens.
    pub mqtt: Option<SocketAddr>,
    /// The arguments it was started with, to start it again.
    pub args: Vec<String>,
}

impl Node {
    /// Starts `palaver serve` with `args` on a free port and waits until it listens.
    pub fn start(args: &[String]) -> Node {
        Self::spawn(Command::new(env!("CARGO_BIN_EXE_palaver")), args)
    }

    /// Like [`Node::start`], with the process allowed at most `descriptors` open files
    /// (soft and hard limit).
    pub fn start_with_descriptor_limit(args: &[String], descriptors: u32) -> Node {
        let mut shell = Command::new("sh");
        shell.args(["-c", &format!("ulimit -n {descriptors} && exec \"$0\" \"$@\""), env!("CARGO_BIN_EXE_palaver")]);
        Self::spawn(shell, args)
    }

    fn spawn(mut command: Command, args: &[String]) -> Node {
        let mut child = command
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("palaver starts");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        // The MQTT listener is announced first, then HTTP.
        std::thread::spawn(move || {
            let mut mqtt = None;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on mqtt://").nth(1) {
                    mqtt = addr.trim().parse().ok();
                }
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = tx.send((addr.trim().to_string(), mqtt));
                }
            }
        });
        let (addr, mqtt) = rx.recv_timeout(Duration::from_secs(30)).expect("the node listens");
        Node { child, addr: addr.parse().unwrap(), mqtt, args: args.to_vec() }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, the way a service manager stops it; waits for the exit and says whether it
    /// was clean (status 0).
    pub fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().is_ok_and(|s| s.success());
        sent && self.child.wait().is_ok_and(|s| s.success())
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Creates an app with `palaver app create --json` and the given database options.
pub fn create_app(db_args: &[&str]) -> AppCredentials {
    let out = Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args(["app", "create", "--name", "tested", "--json"])
        .args(db_args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    AppCredentials::from_json(&v)
}
