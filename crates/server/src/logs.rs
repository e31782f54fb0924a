//! Logging: the subscriber (human text or JSON lines on stderr, colour only on a terminal)
//! and one line per HTTP request, written by `tower-http`'s trace layer as an `info` event in a
//! `request` span that carries the method, the route template, the request id and, once a face
//! has authenticated the caller, the app. Headers, query strings and bodies are never logged:
//! they carry keys, tokens and message content.

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{HeaderName, HeaderValue, Request, Response};
use serde::Deserialize;
use std::io::IsTerminal;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tower::Layer;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::propagate_header::PropagateHeader;
use tower_http::set_header::SetRequestHeader;
use tower_http::trace::{Trace, TraceLayer};
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// The header a request id travels in, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client.
const MAX_ID_LEN: usize = 128;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable text (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber: the level from `PALAVER_LOG` (an `EnvFilter`, default
/// `info`), lines on stderr in `format`, ANSI colour only when stderr is a terminal and
/// `NO_COLOR` is unset or empty. Lines are written by a thread of their own
/// (`tracing-appender`), so a request never waits for stderr: writing each line in place cost
/// about 10% of `server-api` throughput at one line per request. Under a flood the writer's
/// queue (128k lines) drops lines rather than slow requests. Keep the returned guard until
/// exit: dropping it flushes what is queued.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = EnvFilter::try_from_env("PALAVER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt().with_writer(writer).with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(!no_color && std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().flatten_event(true).with_span_list(false).init(),
    }
    guard
}

/// Records the app a request authenticated as on its `request` span (the faces call this
/// where they check keys); does nothing outside a request.
pub fn record_app(app: i64) {
    Span::current().record("app", app);
}

type MakeSpanFn = fn(&Request<Body>) -> Span;
type OnResponseFn = fn(&Response<Body>, Duration, &Span);
type MakeIdFn = fn(&Request<Body>) -> Option<HeaderValue>;

/// The layer that gives every request an id (the client's `X-Request-Id` if it is sane, else a
/// new one), echoes it in the answer's `X-Request-Id`, and logs one line when the answer's
/// head is ready.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestLog;

impl<S> Layer<S> for RequestLog {
    type Service = SetRequestHeader<
        PropagateHeader<Trace<S, SharedClassifier<ServerErrorsAsFailures>, MakeSpanFn, (), OnResponseFn, (), (), ()>>,
        MakeIdFn,
    >;

    fn layer(&self, inner: S) -> Self::Service {
        let trace = TraceLayer::new_for_http()
            .make_span_with(request_span as MakeSpanFn)
            .on_request(())
            .on_response(response_line as OnResponseFn)
            .on_body_chunk(())
            .on_eos(())
            .on_failure(());
        let echoed = PropagateHeader::new(trace.layer(inner), REQUEST_ID);
        SetRequestHeader::overriding(echoed, REQUEST_ID, request_id as MakeIdFn)
    }
}

/// The span of one request: nothing a client wrote but the method and, when it is sane, its
/// request id; the path only as the route template it matched.
fn request_span(req: &Request<Body>) -> Span {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
    tracing::info_span!("request", method = %req.method(), route = %route, request_id = %id, app = tracing::field::Empty)
}

/// The request's line, in its span.
fn response_line(res: &Response<Body>, latency: Duration, _span: &Span) {
    let latency_ms = latency.as_micros() as f64 / 1000.0;
    tracing::info!(status = res.status().as_u16(), latency_ms, "answered");
}

/// The request's id: the client's `X-Request-Id` when it is 1 to 128 letters, digits or
/// `-_.:+=/@`, else a new one.
fn request_id(req: &Request<Body>) -> Option<HeaderValue> {
    if let Some(given) = req.headers().get(REQUEST_ID).filter(|v| sane(v.as_bytes())) {
        return Some(given.clone());
    }
    HeaderValue::from_str(&new_id()).ok()
}

fn sane(id: &[u8]) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len()) && id.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:+=/@".contains(b))
}

/// A new request id: 8 hex digits that differ between processes (and nodes), then a counter.
fn new_id() -> String {
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = *PREFIX.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        // A randomly keyed hasher (seeded per process) over the pid and the start time.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        h.finish() as u32
    });
    format!("{prefix:08x}{:08x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_when_sane_and_made_otherwise() {
        let with = |id: &str| Request::builder().header("x-request-id", id).body(Body::empty()).unwrap();
        assert_eq!(request_id(&with("abc-123_x.y:z")).unwrap(), "abc-123_x.y:z");
        for bad in ["has space", "quote\"", &"x".repeat(129)] {
            let made = request_id(&with(bad)).unwrap();
            assert_eq!(made.len(), 16, "{bad:?} replaced by a new id");
        }
        let a = request_id(&Request::new(Body::empty())).unwrap();
        let b = request_id(&Request::new(Body::empty())).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_bytes()[..8], b.as_bytes()[..8], "one prefix per process");
    }
}
