//! HTTP calls to the server: the Server API for setup and load, and logging users in.

use crate::server::Creds;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::net::SocketAddr;

/// A pooled HTTP client for one server and app.
#[derive(Clone)]
pub struct Api {
    http: Client<HttpConnector, Full<Bytes>>,
    base: String,
    creds: Creds,
}

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct Login {
    /// TapTalk user id.
    pub user_id: String,
    /// Access token.
    pub access: String,
}

impl Api {
    /// A client for `addr`.
    pub fn new(addr: SocketAddr, creds: Creds) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1024).build(connector);
        Api { http, base: format!("http://{addr}"), creds }
    }

    async fn post(&self, path: &str, headers: &[(&str, &str)], body: String) -> Result<Value, String> {
        let mut req = hyper::Request::post(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
        let res = self.http.request(req).await.map_err(|e| e.to_string())?;
        let bytes = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let env: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if env["status"] != 200 {
            return Err(format!("{path}: {env}"));
        }
        Ok(env["data"].clone())
    }

    /// A Server API call whose answer is only checked for success (no JSON parsing, so the
    /// load generator stays cheap); returns the answer's size.
    pub async fn server_check(&self, path: &str, body: Value) -> Result<usize, String> {
        let req = hyper::Request::post(format!("{}{path}", self.base))
            .header("Server-Key", &self.creds.server_key)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let res = self.http.request(req).await.map_err(|e| e.to_string())?;
        let bytes = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        if bytes.starts_with(br#"{"status":200,"#) { Ok(bytes.len()) } else { Err(format!("{path}: failed")) }
    }

    /// A Server API call; returns `data`.
    pub async fn server(&self, path: &str, body: Value) -> Result<Value, String> {
        self.post(path, &[("Server-Key", &self.creds.server_key)], body.to_string()).await
    }

    /// Creates the user `xc` (if new) and logs it in with a ticket.
    pub async fn login(&self, xc: &str) -> Result<Login, String> {
        let t = self.server("/v1/server/auth_ticket/request", json!({"xcUserID": xc, "fullName": xc})).await?;
        let bearer = format!("Bearer {}", t["ticket"].as_str().unwrap_or_default());
        let d = self
            .post(
                "/v1/auth/access_token/request",
                &[("App-Key", &self.creds.app_key), ("Authorization", &bearer)],
                "\"\"".into(),
            )
            .await?;
        Ok(Login {
            user_id: d["user"]["userID"].as_str().unwrap_or_default().to_string(),
            access: d["accessToken"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// A client API call as `login`; returns `data`.
    pub async fn client(&self, login: &Login, path: &str, body: Value) -> Result<Value, String> {
        let bearer = format!("Bearer {}", login.access);
        self.post(path, &[("App-Key", &self.creds.app_key), ("Authorization", &bearer)], body.to_string()).await
    }

    /// A client API call as `login` (with `device` as its `Device-Identifier`, if given) whose
    /// answer is only checked for success, not parsed; returns the answer.
    pub async fn client_check(
        &self,
        login: &Login,
        device: Option<&str>,
        path: &str,
        body: String,
    ) -> Result<Bytes, String> {
        let mut req = hyper::Request::post(format!("{}{path}", self.base))
            .header("App-Key", &self.creds.app_key)
            .header("Authorization", format!("Bearer {}", login.access));
        if let Some(d) = device {
            req = req.header("Device-Identifier", d);
        }
        let req = req.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
        let res = self.http.request(req).await.map_err(|e| e.to_string())?;
        let bytes = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        if bytes.starts_with(br#"{"status":200,"#) {
            Ok(bytes)
        } else {
            Err(format!("{path}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)])))
        }
    }

    /// Registers the Qiscus user `id` (if new) and returns its token, through the Server REST
    /// API (no password: nothing slow to hash).
    pub async fn qiscus_token(&self, id: &str) -> Result<String, String> {
        let headers = [
            ("QISCUS-SDK-APP-ID", self.creds.qiscus_app_id.as_str()),
            ("QISCUS-SDK-SECRET", self.creds.qiscus_secret.as_str()),
        ];
        let body = json!({"user_id": id, "username": id}).to_string();
        self.qiscus(&format!("{}/api/v2.1/rest/login_or_register", self.base), &headers, body).await?;
        let r = self
            .qiscus(
                &format!("{}/api/v2.1/rest/get_user_token", self.base),
                &headers,
                json!({"user_id": id}).to_string(),
            )
            .await?;
        Ok(r["token"].as_str().unwrap_or_default().to_string())
    }

    /// Posts a comment as the holder of `token` through the Qiscus client API; checks only
    /// that it succeeded.
    pub async fn qiscus_post(&self, token: &str, room: &str, unique_id: &str) -> Result<(), String> {
        let body =
            json!({"comment": "benchmark message", "topic_id": room, "unique_temp_id": unique_id, "type": "text"});
        let req = hyper::Request::post(format!("{}/api/v2/sdk/post_comment", self.base))
            .header("QISCUS-SDK-APP-ID", &self.creds.qiscus_app_id)
            .header("QISCUS-SDK-TOKEN", token)
            .header("Content-Type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let res = self.http.request(req).await.map_err(|e| e.to_string())?;
        let ok = res.status() == 200;
        let _ = res.into_body().collect().await;
        if ok { Ok(()) } else { Err("post_comment failed".into()) }
    }

    async fn qiscus(&self, url: &str, headers: &[(&str, &str)], body: String) -> Result<Value, String> {
        let mut req = hyper::Request::post(url).header("Content-Type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self.http.request(req.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?).await;
        let bytes = res.map_err(|e| e.to_string())?.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let env: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if env["status"] != 200 {
            return Err(format!("{url}: {env}"));
        }
        Ok(env["results"].clone())
    }

    /// The `/connect` path and query for a user, as the web SDK sends it.
    pub fn connect_path(&self, login: &Login) -> String {
        let key: String = self
            .creds
            .app_key
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        format!("/connect?app_key={key}&authorization=Bearer%20{}&device_platform=web", login.access)
    }
}
