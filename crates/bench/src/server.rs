//! The server under test: a `palaver serve` this tool starts on a fresh data directory (so it
//! knows the process and can read its memory), or one already running.

use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// App credentials the load uses.
#[derive(Clone, Debug)]
pub struct Creds {
    /// `Server-Key` header value.
    pub server_key: String,
    /// `App-Key` header value.
    pub app_key: String,
    /// Qiscus app id.
    pub qiscus_app_id: String,
    /// Qiscus secret key.
    pub qiscus_secret: String,
}

/// The name of the app a started server has.
pub const APP: &str = "bench";

/// A server to drive.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where its MQTT listener listens.
    pub mqtt: SocketAddr,
    /// The app's credentials.
    pub creds: Creds,
    child: Option<Child>,
    data_dir: Option<PathBuf>,
    bin: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18080)
}

/// Runs `bin <args> --json --data-dir <dir>` and returns the JSON it prints.
fn command_json(bin: &str, args: &[&str], dir: &Path) -> Result<Value, String> {
    let out = Command::new(bin)
        .args(args)
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run {bin}: {e}"))?;
    let what = args.iter().take(2).copied().collect::<Vec<_>>().join(" ");
    if !out.status.success() {
        return Err(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{what}: {e}"))
}

impl Server {
    /// Starts `bin` on a fresh data directory with `config` (TOML) and waits until it answers.
    pub fn spawn(bin: &str, config: &str) -> Result<Server, String> {
        let dir = std::env::temp_dir().join(format!("palaver-bench-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("palaver.toml"), config).map_err(|e| e.to_string())?;
        let v = command_json(bin, &["app", "create", "--name", APP], &dir)?;
        let creds = Creds {
            server_key: v["server_key"].as_str().unwrap_or_default().to_string(),
            app_key: v["app_key"].as_str().unwrap_or_default().to_string(),
            qiscus_app_id: v["qiscus_app_id"].as_str().unwrap_or_default().to_string(),
            qiscus_secret: v["qiscus_secret"].as_str().unwrap_or_default().to_string(),
        };
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().map_err(|e| format!("{e}"))?;
        let mqtt: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().map_err(|e| format!("{e}"))?;
        let child = Command::new(bin)
            .args(["serve", "--listen", &addr.to_string(), "--mqtt-listen", &mqtt.to_string(), "--config"])
            .arg(dir.join("palaver.toml"))
            .arg("--data-dir")
            .arg(&dir)
            .env("PALAVER_LOG", std::env::var("PALAVER_LOG").unwrap_or_else(|_| "warn".into()))
            // Its users send hundreds of messages a second each: the capacity is measured,
            // not the per-user limits.
            .env("PALAVER_RATE_LIMITS", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {bin}: {e}"))?;
        let server = Server { addr, mqtt, creds, child: Some(child), data_dir: Some(dir), bin: bin.to_string() };
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err("the server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// Runs a `palaver` command (`args`, then `--json`) on the server's data directory while
    /// it runs, e.g. `webhook add`; returns the JSON it prints.
    pub fn command(&self, args: &[&str]) -> Result<Value, String> {
        let dir = self.data_dir.as_deref().ok_or("the server was not started by this tool")?;
        command_json(&self.bin, args, dir)
    }

    /// The server's memory growth per connection, in bytes, from `before` (KiB, read before
    /// the connections opened) to now.
    pub fn bytes_per_connection(&self, before: Option<u64>, connections: usize) -> (Option<u64>, Option<f64>) {
        let after = self.rss_kib();
        let per = before.zip(after).map(|(b, a)| a.saturating_sub(b) as f64 * 1024.0 / connections.max(1) as f64);
        (after, per)
    }

    /// The server's resident memory in KiB, when this tool started it.
    pub fn rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
