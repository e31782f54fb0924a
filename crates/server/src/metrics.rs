//! Prometheus metrics (`metrics_listen`): the process-wide recorder, installed only when a
//! metrics listener is configured (otherwise every `metrics` call is a no-op), the `/metrics`
//! listener, and the HTTP layer that counts requests by face, route template and status.
//!
//! Labels never carry user data: the route is the template a request matched (`unmatched`
//! for anything else), the face comes from [`crate::faces::FACES`].

use crate::faces;
use axum::Router;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Latency buckets, seconds: 0.5 ms to 10 s.
const SECONDS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Write batch sizes, jobs.
const BATCH_JOBS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
/// How often histograms are drained between scrapes, so their samples stay few.
const UPKEEP: Duration = Duration::from_secs(5);

/// The recorder's handle, once installed: one recorder per process, shared by every server
/// the process builds (tests build several).
static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's `metrics` recorder (once) and returns
/// its handle. Call before the core opens: handles taken earlier record nowhere.
pub fn install() -> Result<PrometheusHandle, String> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(SECONDS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full("palaver_store_batch_jobs".into()), BATCH_JOBS))
                .map_err(|e| e.to_string())?;
            let handle = builder.install_recorder().map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
            describe();
            Ok(handle)
        })
        .clone()
}

/// Help texts, shown as `# HELP` lines.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("palaver_http_requests_total", "HTTP requests answered, by face, route template and status.");
    describe_histogram!("palaver_http_request_duration_seconds", "Time to the head of the answer, by face and route.");
    describe_gauge!("palaver_connections", "Live realtime connections on this node, by face.");
    describe_counter!("palaver_messages_sent_total", "Messages posted through the APIs.");
    describe_counter!("palaver_events_delivered_total", "Frames queued to live connections.");
    describe_counter!("palaver_slow_consumers_dropped_total", "Connections closed because their outbox overflowed.");
    describe_gauge!("palaver_router_queue_depth", "Event batches waiting for the realtime dispatcher.");
    describe_counter!(
        "palaver_cluster_replayed_events_total",
        "Changes replayed from the log that NATS never delivered."
    );
    describe_counter!("palaver_store_batches_total", "Write batches committed (or failed), by result.");
    describe_histogram!("palaver_store_batch_jobs", "Write jobs per batch.");
    describe_histogram!("palaver_store_commit_duration_seconds", "Time to run and commit one write batch.");
    describe_gauge!("palaver_store_write_queue_depth", "Write jobs waiting for the writer.");
    describe_counter!("palaver_webhook_attempts_total", "Webhook delivery attempts, by outcome.");
    describe_histogram!("palaver_webhook_attempt_duration_seconds", "Time of one webhook request.");
    describe_gauge!("palaver_webhook_endpoints_busy", "Webhook endpoints with deliveries in progress on this node.");
}

/// Serves `GET /metrics` on `listener` until `shutdown`, draining histograms every few seconds.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let upkeep = handle.clone();
    let ticker = tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move { ([("content-type", "text/plain; version=0.0.4")], handle.render()) }
        }),
    );
    if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
        tracing::warn!(error = %e, "the metrics listener failed");
    }
    ticker.abort();
}

/// The face owning a path: its name, or `other`.
fn face_of(path: &str) -> &'static str {
    faces::FACES.iter().find(|f| (f.owns)(path)).map_or("other", |f| f.name)
}

/// The layer that counts every request and times it to the head of its answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestMetrics;

impl<S> tower::Layer<S> for RequestMetrics {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted { inner }
    }
}

/// The service of [`RequestMetrics`].
#[derive(Clone, Debug)]
pub struct Counted<S> {
    inner: S,
}

impl<S> tower::Service<Request<Body>> for Counted<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        if HANDLE.get().is_none() {
            return Box::pin(self.inner.call(req));
        }
        let face = face_of(req.uri().path());
        let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
        let started = Instant::now();
        let answer = self.inner.call(req);
        Box::pin(async move {
            let res = answer.await?;
            let route = route.unwrap_or_else(|| "unmatched".to_owned());
            let status = res.status().as_u16().to_string();
            let seconds = started.elapsed().as_secs_f64();
            metrics::histogram!("palaver_http_request_duration_seconds", "face" => face, "route" => route.clone())
                .record(seconds);
            metrics::counter!("palaver_http_requests_total", "face" => face, "route" => route, "status" => status)
                .increment(1);
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_come_from_the_face_list() {
        assert_eq!(face_of("/health"), "other");
        assert_eq!(face_of("/metrics"), "other");
        assert_ne!(face_of("/api/v2/rest/post_comment"), "other");
    }
}
