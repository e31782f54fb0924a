//! Prometheus metrics: `/metrics` on the `metrics_listen` listener of a real `palaver serve`
//! process (a process of its own, so no other test's traffic reaches its recorder), scraped
//! over a socket and parsed; and no metrics anywhere without the setting.

use crate::process_support::{Node, create_app};
use crate::support::{Endpoint, TestApp};
use palaver_server::config::{ServeArgs, Settings};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// One sample of the text format: `name{labels} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the Prometheus text format (comments skipped, label values unescaped).
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("no value: {line}"));
        let name = line[..name_end].to_string();
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices();
            let mut key = String::new();
            let end = loop {
                let (i, c) = chars.next().unwrap_or_else(|| panic!("unclosed labels: {line}"));
                match c {
                    '}' => break i,
                    ',' | ' ' => {}
                    '=' => {
                        assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "quoted value: {line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().unwrap_or_else(|| panic!("unclosed value: {line}")).1 {
                                '"' => break,
                                '\\' => match chars.next().map(|(_, c)| c) {
                                    Some('n') => value.push('\n'),
                                    Some(c) => value.push(c),
                                    None => panic!("dangling escape: {line}"),
                                },
                                c => value.push(c),
                            }
                        }
                        labels.insert(std::mem::take(&mut key), value);
                    }
                    c => key.push(c),
                }
            };
            rest = &inner[end + 1..];
        }
        let value = rest.split_whitespace().next().unwrap_or_else(|| panic!("no value: {line}"));
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("bad value in {line}: {e}")),
        };
        samples.push(Sample { name, labels, value });
    }
    samples
}

/// The sum of the samples named `name` whose labels include `labels`; `None` if there are none.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Scrapes `/metrics` at `addr` (waiting for the listener to come up); returns the parsed
/// samples and the raw text.
async fn scrape(metrics: &Endpoint) -> (Vec<Sample>, String) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(metrics.addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let a = metrics.request("GET", "/metrics", &[], "").await;
    assert_eq!(a.http, 200, "{}", String::from_utf8_lossy(&a.raw));
    assert!(a.content_type.starts_with("text/plain"), "{}", a.content_type);
    let text = String::from_utf8(a.raw.to_vec()).expect("UTF-8");
    (parse(&text), text)
}

#[tokio::test]
async fn metrics_count_requests_messages_and_write_batches() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let creds = create_app(&["--data-dir", &data_dir]);
    let metrics_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let args = ["--data-dir".to_string(), data_dir, "--metrics-listen".into(), metrics_addr.to_string()];
    let mut node = Node::start(&args);
    let api = Endpoint::new(node.addr, creds.clone());
    let metrics = Endpoint::new(metrics_addr, creds.clone());
    let (before, _) = scrape(&metrics).await;
    let updates = [("face", "taptalk"), ("route", "/v1/server/user/update"), ("status", "200")];
    let base = value(&before, "palaver_http_requests_total", &updates).unwrap_or(0.0);

    api.user("metrics-1", "Ann").await;
    api.user("metrics-2", "Bob").await;
    // Bob listens on the TapTalk WebSocket: one live connection, which hears the message.
    let bob = api.login("metrics-2", "Bob").await;
    let mut ws = api.ws(&bob).await;
    let taptalk = [("face", "taptalk")];
    let mut connected = 0.0;
    for _ in 0..50 {
        connected = value(&scrape(&metrics).await.0, "palaver_connections", &taptalk).unwrap_or(0.0);
        if connected == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(connected, 1.0, "the open WebSocket is counted");
    let sent = api
        .server_ok(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": "hello", "senderXCUserID": "metrics-1", "recipientXCUserID": "metrics-2"}),
        )
        .await;
    assert_eq!(sent["success"], true, "{sent}");
    ws.expect("chat/sendMessage").await;
    // A failing call: the Qiscus face answers a wrong secret with an HTTP error.
    let refused = api
        .request(
            "GET",
            "/api/v2.1/rest/get_user_list",
            &[("QISCUS-SDK-APP-ID", &creds.qiscus_app_id), ("QISCUS-SDK-SECRET", "wrong")],
            "",
        )
        .await;
    assert!(refused.http >= 400, "a wrong secret fails: {}", refused.http);
    // A path no route matches, with something a client wrote in it.
    let unknown = api.request("GET", "/zz-private-4711", &[], "").await;
    assert_eq!(unknown.http, 404);

    let (after, text) = scrape(&metrics).await;
    let rose = value(&after, "palaver_http_requests_total", &updates).unwrap_or(0.0) - base;
    assert_eq!(rose, 2.0, "two user updates counted:\n{text}");
    let failed = [("face", "qiscus"), ("route", "/api/v2.1/rest/get_user_list")];
    let status = refused.http.to_string();
    let failed_with_status = [failed[0], failed[1], ("status", status.as_str())];
    assert_eq!(value(&after, "palaver_http_requests_total", &failed_with_status), Some(1.0), "{text}");
    let unmatched = [("face", "other"), ("route", "unmatched"), ("status", "404")];
    assert_eq!(value(&after, "palaver_http_requests_total", &unmatched), Some(1.0), "{text}");
    assert!(!text.contains("zz-private-4711"), "raw paths never become labels");
    let timed = [("face", "taptalk"), ("route", "/v1/server/user/update")];
    let count = value(&after, "palaver_http_request_duration_seconds_count", &timed).unwrap_or(0.0);
    assert!(count >= 2.0, "the latency histogram counts the updates:\n{text}");
    let inf = [timed[0], timed[1], ("le", "+Inf")];
    assert_eq!(value(&after, "palaver_http_request_duration_seconds_bucket", &inf), Some(count), "{text}");
    let messages = value(&after, "palaver_messages_sent_total", &[]).unwrap_or(0.0);
    assert!(messages >= 1.0, "the message sent is counted:\n{text}");
    let batches = value(&after, "palaver_store_batches_total", &[("result", "committed")]).unwrap_or(0.0);
    assert!(batches >= 1.0, "write batches are counted:\n{text}");
    assert!(value(&after, "palaver_store_commit_duration_seconds_count", &[]).unwrap_or(0.0) >= batches);
    assert!(value(&after, "palaver_store_batch_jobs_sum", &[]).unwrap_or(0.0) >= batches);
    let delivered = value(&after, "palaver_events_delivered_total", &[]).unwrap_or(0.0);
    assert!(delivered >= 1.0, "the message reached Bob's connection:\n{text}");

    drop(ws);
    let mut left = connected;
    for _ in 0..50 {
        left = value(&scrape(&metrics).await.0, "palaver_connections", &taptalk).unwrap_or(-1.0);
        if left == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0.0, "a closed WebSocket is no longer counted");
    assert!(node.terminate(), "a clean stop with the metrics listener open");
}

#[tokio::test]
async fn without_metrics_listen_nothing_serves_metrics() {
    let resolved = |listen: Option<&str>| {
        let args = ServeArgs { metrics_listen: listen.map(str::to_string), ..ServeArgs::default() };
        Settings::resolve(&args).unwrap().metrics_listen
    };
    assert_eq!(resolved(None), None, "off unless set");
    assert_eq!(resolved(Some("off")), None);
    assert_eq!(resolved(Some("127.0.0.1:9464")), Some("127.0.0.1:9464".parse().unwrap()));
    assert!(Settings::resolve(&ServeArgs { metrics_listen: Some("nowhere".into()), ..ServeArgs::default() }).is_err());

    let app = TestApp::spawn().await;
    let a = app.request("GET", "/metrics", &[], "").await;
    assert_eq!(a.http, 404, "the main listener serves no metrics");
    assert!(!String::from_utf8_lossy(&a.raw).contains("palaver_http_requests_total"));
}

#[test]
fn the_parser_reads_labels_with_braces_and_escapes() {
    let text = "# HELP x y\nx_total{route=\"/v1/{id}\",v=\"a\\\"b\"} 3\ny 1.5\nz_bucket{le=\"+Inf\"} 2\n";
    let s = parse(text);
    assert_eq!(s.len(), 3);
    assert_eq!(value(&s, "x_total", &[("route", "/v1/{id}"), ("v", "a\"b")]), Some(3.0));
    assert_eq!(value(&s, "y", &[]), Some(1.5));
    assert_eq!(value(&s, "z_bucket", &[("le", "+Inf")]), Some(2.0));
    assert_eq!(value(&s, "x_total", &[("route", "/other")]), None);
}
