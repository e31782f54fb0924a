//! The test harness: a real server per test and a small HTTP client.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use palaver_core::{Core, CoreConfig};
use palaver_server::Application;
use palaver_server::config::Settings;
use palaver_store::{Backend, StoreOptions};
use serde_json::{Value, json};
use std::net::SocketAddr;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// An app's credentials, as `palaver app create --json` prints them.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    pub app_id: i64,
    pub server_key: String,
    pub server_key_id: String,
    pub server_key_secret: String,
    pub app_key: String,
    pub app_key_id: String,
    pub app_key_secret: String,
    pub qiscus_app_id: String,
    pub qiscus_secret: String,
}

impl AppCredentials {
    /// Reads the JSON form.
    pub fn from_json(v: &Value) -> Self {
        let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("credentials without {k}: {v}")).to_string();
        AppCredentials {
            app_id: v["app_id"].as_i64().unwrap(),
            server_key: s("server_key"),
            server_key_id: s("server_key_id"),
            server_key_secret: s("server_key_secret"),
            app_key: s("app_key"),
            app_key_id: s("app_key_id"),
            app_key_secret: s("app_key_secret"),
            qiscus_app_id: s("qiscus_app_id"),
            qiscus_secret: s("qiscus_secret"),
        }
    }
}

/// A server's address and an app's credentials: what requests are made against.
pub struct Endpoint {
    pub addr: SocketAddr,
    pub creds: AppCredentials,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Endpoint {
    /// An endpoint for the server at `addr`, acting for the app of `creds`.
    pub fn new(addr: SocketAddr, creds: AppCredentials) -> Self {
        Endpoint { addr, creds, http: Client::builder(TokioExecutor::new()).build_http() }
    }
}

/// A running server with its default app; requests go through its [`Endpoint`].
pub struct TestApp {
    pub api: Endpoint,
    pub core: Core,
    pub dir: TempDir,
    /// The MQTT listener's address.
    pub mqtt: Option<std::net::SocketAddr>,
    settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::ops::Deref for TestApp {
    type Target = Endpoint;
    fn deref(&self) -> &Endpoint {
        &self.api
    }
}

/// An HTTP answer: status line code and body parsed as JSON (`Value::Null` if not JSON).
#[derive(Debug)]
pub struct Answer {
    pub http: u16,
    pub body: Value,
    pub content_type: String,
    pub headers: hyper::HeaderMap,
    pub raw: Bytes,
}

impl Answer {
    /// A response header as text, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

impl TestApp {
    /// Starts a server with default settings on a fresh database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after letting `tune` adjust its settings.
    pub async fn spawn_with(tune: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            mqtt_listen: Some("127.0.0.1:0".parse().unwrap()),
            metrics_listen: None,
            data_dir: dir.path().to_path_buf(),
            backend: test_backend(dir.path()).await,
            tls: None,
            store: StoreOptions { readers: 2, ..StoreOptions::default() },
            core: CoreConfig { data_dir: dir.path().to_path_buf(), ..CoreConfig::default() },
            limits: Default::default(),
            public_url: None,
        };
        tune(&mut settings);
        let app = Application::build(settings.clone()).await.expect("server builds");
        let created = app.default_app().expect("a fresh database gets a default app");
        let creds = AppCredentials::from_json(&palaver_server::faces::credentials_json(created));
        Self::run(app, creds, dir, settings)
    }

    fn run(app: Application, creds: AppCredentials, dir: TempDir, settings: Settings) -> TestApp {
        let addr = app.local_addr();
        let mqtt = app.mqtt_addr();
        let core = app.core().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        TestApp { api: Endpoint::new(addr, creds), core, dir, mqtt, settings, stop: Some(stop), task: Some(task) }
    }

    /// A live user by external id, straight from the core.
    pub async fn user_by_external_id(&self, id: &str) -> palaver_domain::User {
        let id = palaver_domain::ExternalId::parse(id).expect("a valid external id");
        self.core.user(self.core_app(), palaver_domain::UserRef::External(id)).await.expect("user exists")
    }

    /// Creates another app (every face's keys) and returns its credentials.
    pub async fn create_app(&self, name: &str) -> AppCredentials {
        let created = self.core.create_app(name, &palaver_server::faces::key_kinds()).await.expect("app created");
        AppCredentials::from_json(&palaver_server::faces::credentials_json(&created))
    }

    /// The default app's id, for calling the core directly.
    pub fn core_app(&self) -> palaver_domain::AppId {
        palaver_domain::AppId(self.creds.app_id)
    }

    /// Stops the server gracefully and starts it again on the same data (and a new port).
    pub async fn restart(mut self) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let dir = std::mem::replace(&mut self.dir, dir);
        let (creds, settings) = (self.creds.clone(), self.settings.clone());
        self.stop().await;
        let app = Application::build(settings.clone()).await.expect("server restarts");
        assert!(app.default_app().is_none(), "the default app is created only once");
        Self::run(app, creds, dir, settings)
    }

    /// Calls the Qiscus Server API action `action` (`/api/v2.1/rest/<action>`) with this
    /// app's app id and secret. GET and DELETE send `params` as a query string (lists as
    /// `key[]=v`), other methods as a JSON body.
    pub async fn qiscus(&self, method: &str, action: &str, params: Value) -> Answer {
        let (id, secret) = (self.creds.qiscus_app_id.clone(), self.creds.qiscus_secret.clone());
        let headers = [("QISCUS-SDK-APP-ID", id.as_str()), ("QISCUS-SDK-SECRET", secret.as_str())];
        self.qiscus_with(method, action, &headers, params).await
    }

    /// Like [`TestApp::qiscus`] with explicit headers (none are added).
    pub async fn qiscus_with(&self, method: &str, action: &str, headers: &[(&str, &str)], params: Value) -> Answer {
        let path = format!("/api/v2.1/rest/{action}");
        if matches!(method, "GET" | "DELETE") {
            let q = query_string(&params);
            let path = if q.is_empty() { path } else { format!("{path}?{q}") };
            self.request(method, &path, headers, Bytes::new()).await
        } else {
            let mut all = headers.to_vec();
            all.push(("Content-Type", "application/json"));
            self.request(method, &path, &all, params.to_string()).await
        }
    }

    /// Like [`TestApp::qiscus`], asserting HTTP 200 with `status: 200`; returns `results`.
    pub async fn qiscus_ok(&self, method: &str, action: &str, params: Value) -> Value {
        let a = self.qiscus(method, action, params).await;
        assert_eq!((a.http, &a.body["status"]), (200, &json!(200)), "{method} {action}: {}", a.body);
        assert_eq!(a.content_type, "application/json");
        a.body["results"].clone()
    }

    /// Registers (or updates) a user through the Qiscus API.
    pub async fn qiscus_user(&self, user_id: &str, username: &str) -> Value {
        let r = self.qiscus_ok("POST", "login_or_register", json!({"user_id": user_id, "username": username})).await;
        r["user"].clone()
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// The database of a test: a SQLite file in its directory, or, when
/// `PALAVER_TEST_DATABASE_URL` names a PostgreSQL database, a fresh schema in it.
pub async fn test_backend(dir: &std::path::Path) -> Backend {
    match std::env::var("PALAVER_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Backend::Postgres(fresh_schema(url).await),
        _ => Backend::Sqlite(dir.join("palaver.db")),
    }
}

/// Creates a uniquely named schema and returns a URL whose connections use it.
pub async fn fresh_schema(url: String) -> String {
    let schema = format!("t_{}", palaver_core::secrets::random_hex(16));
    let create = format!("CREATE SCHEMA {schema}");
    let base = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("the test database is reachable");
        client.batch_execute(&create).expect("schema created");
    })
    .await
    .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// Everything stored, as text: on SQLite the raw database files (WAL included), on
/// PostgreSQL every row of every table of the test's schema.
pub async fn database_text(app: &TestApp) -> String {
    if app.core.store().dialect() == palaver_store::Dialect::Sqlite {
        let mut text = String::new();
        for entry in std::fs::read_dir(app.dir.path()).unwrap() {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap_or_default()));
        }
        return text;
    }
    app.core
        .store()
        .read(|c| {
            let tables = c.query(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema()",
                &[],
                |r| r.text(0),
            )?;
            let mut all = String::new();
            for table in tables {
                for row in c.query(&format!("SELECT CAST(t AS TEXT) FROM {table} t"), &[], |r| r.text(0))? {
                    all.push_str(&row);
                }
            }
            Ok::<_, palaver_store::DbError>(all)
        })
        .await
        .unwrap()
}

impl Endpoint {
    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs JSON to the Server API; `None` if the server could not be reached or did not
    /// answer with success.
    pub async fn try_server(&self, path: &str, body: Value) -> Option<Value> {
        let req = hyper::Request::post(self.url(path))
            .header("Server-Key", &self.creds.server_key)
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let res = tokio::time::timeout(std::time::Duration::from_secs(10), self.http.request(req)).await.ok()?.ok()?;
        let bytes = res.into_body().collect().await.ok()?.to_bytes();
        let env: Value = serde_json::from_slice(&bytes).ok()?;
        (env["status"] == 200).then(|| env["data"].clone())
    }

    /// Sends a request with any method, headers and body.
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Answer {
        let mut req = hyper::Request::builder().method(method).uri(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self.http.request(req.body(Full::new(body.into())).unwrap()).await.expect("request is answered");
        let http = res.status().as_u16();
        let content_type =
            res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Answer { http, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), content_type, headers, raw: bytes }
    }

    /// POSTs JSON to the TapTalk Server API with this app's Server-Key; returns the envelope.
    pub async fn server(&self, path: &str, body: Value) -> Value {
        let a = self
            .request(
                "POST",
                path,
                &[("Server-Key", &self.creds.server_key), ("Content-Type", "application/json")],
                body.to_string(),
            )
            .await;
        assert_eq!(a.http, 200, "TapTalk answers use HTTP 200: {path} {}", a.body);
        a.body
    }

    /// Like [`Endpoint::server`], asserting success and returning `data`.
    pub async fn server_ok(&self, path: &str, body: Value) -> Value {
        let env = self.server(path, body).await;
        assert_eq!(env["status"], 200, "{path} failed: {env}");
        assert_eq!(env["error"], json!({"code": "", "message": "", "field": ""}), "{path}");
        env["data"].clone()
    }

    /// Creates (or updates) a user through the Server API; returns its TapTalk user id.
    pub async fn user(&self, xc: &str, name: &str) -> String {
        let d = self.server_ok("/v1/server/user/update", json!({"xcUserID": xc, "fullName": name})).await;
        d["userID"].as_str().expect("userID").to_string()
    }
}

/// Asserts a TapTalk error envelope exactly.
pub fn assert_error(env: &Value, status: u16, code: &str, message: &str, field: &str) {
    assert_eq!(
        env,
        &json!({"status": status, "error": {"code": code, "message": message, "field": field}, "data": {}}),
        "unexpected envelope"
    );
}

/// Encodes a JSON object as a query string: lists as `key[]=v`, other values as their text.
pub fn query_string(params: &Value) -> String {
    let mut pairs = Vec::new();
    for (k, v) in params.as_object().into_iter().flatten() {
        match v {
            Value::Array(items) => {
                pairs.extend(items.iter().map(|i| format!("{}[]={}", encode(k), encode(&plain(i)))));
            }
            other => pairs.push(format!("{}={}", encode(k), encode(&plain(other)))),
        }
    }
    pairs.join("&")
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asserts a Qiscus error answer exactly: HTTP status, body status and message.
pub fn assert_qiscus_error(a: &Answer, status: u16, message: &str) {
    assert_eq!(a.http, status, "HTTP status of {}", a.body);
    assert_eq!(a.body, json!({"status": status, "error": {"message": message}}), "unexpected error body");
    assert_eq!(a.content_type, "application/json");
}
