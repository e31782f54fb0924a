//! The server under test: one or more `palaver serve` processes this tool starts (so it knows
//! them and can read their memory and CPU time), on a fresh SQLite data directory or on a fresh
//! PostgreSQL database made for the scenario and dropped after it; several nodes share that
//! database and are joined by NATS.

use base64::Engine;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// Where started servers keep their data, and how many nodes a scenario that supports
/// several gets.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// A PostgreSQL URL (`postgres://user@host:port/db`) of a server where this tool may create
    /// databases; its database is only connected to for `CREATE`/`DROP DATABASE`. None: SQLite.
    pub database_url: Option<String>,
    /// NATS URL joining the nodes (needed for more than one).
    pub nats_url: Option<String>,
    /// `palaver serve` processes on the same database.
    pub nodes: usize,
}

impl Setup {
    /// The same setup with `nodes` nodes.
    pub fn with_nodes(&self, nodes: usize) -> Setup {
        Setup { nodes, ..self.clone() }
    }

    /// Checks that the options fit together.
    pub fn check(&self) -> Result<(), String> {
        if self.nodes > 1 && (self.database_url.is_none() || self.nats_url.is_none()) {
            return Err("--nodes above 1 needs --database-url postgres://... and --nats-url nats://...".into());
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(format!("--database-url must be a postgres:// URL, not {url:?}"));
        }
        Ok(())
    }
}

/// A server to drive: one node or several.
pub struct Server {
    /// Where the first node listens.
    pub addr: SocketAddr,
    /// Where every node listens, the first one first.
    pub addrs: Vec<SocketAddr>,
    /// Where the first node's MQTT listener listens.
    pub mqtt: SocketAddr,
    /// The app's credentials.
    pub creds: Creds,
    children: Vec<Child>,
    data_dir: Option<PathBuf>,
    bin: String,
    db: Option<Database>,
    secret: Option<String>,
}

/// A PostgreSQL database made for one scenario.
struct Database {
    /// What the servers connect to.
    url: String,
    /// Where `CREATE`/`DROP DATABASE` run.
    admin: String,
    name: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18080)
}

/// `url` with its database (path) replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url.split_once('?').map_or((url, None), |(h, q)| (h, Some(q)));
    let authority_at = head.find("://").map_or(0, |i| i + 3);
    let base = match head[authority_at..].find('/') {
        Some(slash) => &head[..authority_at + slash],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs one SQL statement with `psql` on `admin`; returns what it printed (unaligned, tuples
/// only).
fn psql(admin: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c", sql])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql (the PostgreSQL client is needed for --database-url): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("psql {sql:?}: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl Database {
    /// Creates a database of its own on the server of `url`.
    fn create(url: &str) -> Result<Database, String> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let has_db = url.split_once("://").is_some_and(|(_, rest)| {
            rest.split('?').next().and_then(|r| r.split_once('/')).is_some_and(|(_, db)| !db.is_empty())
        });
        let admin = if has_db { url.to_string() } else { with_database(url, "postgres") };
        let name = format!("palaver_bench_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        psql(&admin, &format!("CREATE DATABASE {name}"))?;
        Ok(Database { url: with_database(url, &name), admin, name })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Err(e) = psql(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)) {
            eprintln!("warning: {e}");
        }
    }
}

/// Runs `bin <args> --json --data-dir <dir>` (and the database URL and secret key, if any) and
/// returns the JSON it prints.
fn command_json(bin: &str, args: &[&str], dir: &Path, db: Option<&str>, secret: Option<&str>) -> Result<Value, String> {
    let mut cmd = Command::new(bin);
    cmd.args(args).arg("--json").arg("--data-dir").arg(dir);
    if let Some(url) = db {
        cmd.args(["--database-url", url]);
    }
    if let Some(key) = secret {
        cmd.env("PALAVER_SECRET_KEY", key);
    }
    let out = cmd.output().map_err(|e| format!("cannot run {bin}: {e}"))?;
    let what = args.iter().take(2).copied().collect::<Vec<_>>().join(" ");
    if !out.status.success() {
        return Err(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{what}: {e}"))
}

/// Whether `GET /ready` on `addr` answers 200 (the database answers, the NATS link is up).
fn ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(format!("GET /ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

/// A new random key for sealing webhook secrets, the same on every node.
fn secret_key() -> String {
    let mut k = [0u8; 32];
    let _ = getrandom::fill(&mut k);
    base64::engine::general_purpose::STANDARD.encode(k)
}

/// Reads `utime + stime` of `pid` from `/proc/<pid>/stat`, in clock ticks.
fn cpu_ticks_of(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime); `rest` starts at field 3.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Clock ticks per second of `/proc` CPU times.
pub fn clock_ticks() -> u64 {
    #[cfg(target_os = "linux")]
    {
        rustix::param::clock_ticks_per_second()
    }
    #[cfg(not(target_os = "linux"))]
    {
        100
    }
}

impl Server {
    /// Starts `setup.nodes` (at least one) nodes of `bin` with `config` (TOML) on a fresh data
    /// directory and, with a database URL, a fresh PostgreSQL database; waits until every node
    /// is ready.
    pub fn spawn(bin: &str, config: &str, setup: &Setup) -> Result<Server, String> {
        setup.check()?;
        let dir = std::env::temp_dir().join(format!("palaver-bench-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("palaver.toml"), config).map_err(|e| e.to_string())?;
        let mut server = Server {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            addrs: Vec::new(),
            mqtt: SocketAddr::from(([127, 0, 0, 1], 0)),
            creds: Creds {
                server_key: String::new(),
                app_key: String::new(),
                qiscus_app_id: String::new(),
                qiscus_secret: String::new(),
            },
            children: Vec::new(),
            data_dir: Some(dir.clone()),
            bin: bin.to_string(),
            db: None,
            secret: None,
        };
        if let Some(url) = &setup.database_url {
            server.db = Some(Database::create(url)?);
            server.secret = Some(secret_key());
        }
        let db_url = server.db.as_ref().map(|d| d.url.clone());
        let v =
            command_json(bin, &["app", "create", "--name", APP], &dir, db_url.as_deref(), server.secret.as_deref())?;
        server.creds = Creds {
            server_key: v["server_key"].as_str().unwrap_or_default().to_string(),
            app_key: v["app_key"].as_str().unwrap_or_default().to_string(),
            qiscus_app_id: v["qiscus_app_id"].as_str().unwrap_or_default().to_string(),
            qiscus_secret: v["qiscus_secret"].as_str().unwrap_or_default().to_string(),
        };
        for node in 0..setup.nodes.max(1) {
            let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().map_err(|e| format!("{e}"))?;
            let mqtt: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().map_err(|e| format!("{e}"))?;
            let mut cmd = Command::new(bin);
            cmd.args(["serve", "--listen", &addr.to_string(), "--mqtt-listen", &mqtt.to_string(), "--config"])
                .arg(dir.join("palaver.toml"))
                .arg("--data-dir")
                .arg(&dir)
                .env("PALAVER_LOG", std::env::var("PALAVER_LOG").unwrap_or_else(|_| "warn".into()))
                // Its users send hundreds of messages a second each: the capacity is measured,
                // not the per-user limits.
                .env("PALAVER_RATE_LIMITS", "off")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            if let Some(url) = &db_url {
                cmd.args(["--database-url", url]);
            }
            if let Some(key) = &server.secret {
                cmd.env("PALAVER_SECRET_KEY", key);
            }
            if setup.nodes > 1
                && let Some(nats) = &setup.nats_url
            {
                cmd.args(["--nats-url", nats]);
            }
            let child = cmd.spawn().map_err(|e| format!("cannot start {bin}: {e}"))?;
            server.children.push(child);
            server.addrs.push(addr);
            if node == 0 {
                (server.addr, server.mqtt) = (addr, mqtt);
            }
        }
        let started = Instant::now();
        for addr in server.addrs.clone() {
            while !ready(addr) {
                if started.elapsed() > Duration::from_secs(30) {
                    return Err(format!("the server at {addr} did not become ready"));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(server)
    }

    /// The node connection `i` of a load goes to: the nodes in turn.
    pub fn node(&self, i: usize) -> SocketAddr {
        self.addrs[i % self.addrs.len().max(1)]
    }

    /// Runs a `palaver` command (`args`, then `--json`) on the server's data directory and
    /// database while it runs, e.g. `webhook add`; returns the JSON it prints.
    pub fn command(&self, args: &[&str]) -> Result<Value, String> {
        let dir = self.data_dir.as_deref().ok_or("the server was not started by this tool")?;
        command_json(&self.bin, args, dir, self.db.as_ref().map(|d| d.url.as_str()), self.secret.as_deref())
    }

    /// Where the data is, for the report: `sqlite` or `postgresql`, and the number of nodes.
    pub fn describe(&self) -> Value {
        let backend = if self.db.is_some() { "postgresql" } else { "sqlite" };
        serde_json::json!({"database": backend, "nodes": self.addrs.len()})
    }

    /// The server's memory growth per connection, in bytes, from `before` (KiB, read before
    /// the connections opened) to now.
    pub fn bytes_per_connection(&self, before: Option<u64>, connections: usize) -> (Option<u64>, Option<f64>) {
        let after = self.rss_kib();
        let per = before.zip(after).map(|(b, a)| a.saturating_sub(b) as f64 * 1024.0 / connections.max(1) as f64);
        (after, per)
    }

    /// The first node's resident memory in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        let pid = self.children.first()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
    }

    /// CPU time (user + system) used so far by each PostgreSQL backend process serving the
    /// server's database, by process id, in clock ticks; None on SQLite, or when the database
    /// runs on another machine (its processes are not in this `/proc`).
    pub fn database_ticks(&self) -> Option<HashMap<u32, u64>> {
        let db = self.db.as_ref()?;
        let sql = format!("SELECT pid FROM pg_stat_activity WHERE datname = '{}'", db.name);
        let pids = psql(&db.admin, &sql).ok()?;
        let ticks: HashMap<u32, u64> = pids
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .filter_map(|pid| Some((pid, cpu_ticks_of(pid)?)))
            .collect();
        (!ticks.is_empty()).then_some(ticks)
    }

    /// CPU time (user + system) every node has used so far, in clock ticks ([`clock_ticks`]
    /// a second); None if one cannot be read.
    pub fn cpu_ticks(&self) -> Option<u64> {
        self.children.iter().map(|c| cpu_ticks_of(c.id())).sum()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for child in &self.children {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for mut child in self.children.drain(..) {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // The database goes after its servers stopped.
        self.db.take();
        if let Some(dir) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }

    #[test]
    fn reads_its_own_cpu_time() {
        assert!(cpu_ticks_of(std::process::id()).is_some());
    }
}
