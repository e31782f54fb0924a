//! Request bodies are read whole before a handler runs (or, for the few routes that stream
//! them, watched while they do), so that an answer never leaves unread request bytes behind:
//! a socket closed with unread bytes is reset, and a reset can cut the answer short.
//!
//! A body that is too large or too slow is refused in the dialect of its path, with
//! `Connection: close`; so is anything a streaming handler leaves unread. The same layer
//! closes connections that have carried their share of requests.

use crate::faces;
use crate::serve::Peer;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use palaver_domain::Refusal;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// The limits this layer applies.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// Largest body read whole.
    pub max_bytes: usize,
    /// How long a body may take to arrive.
    pub timeout: Duration,
    /// Requests a connection carries before it is closed.
    pub max_requests_per_connection: u32,
}

/// The middleware.
pub async fn read_bodies(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    let last_on_connection =
        req.extensions().get::<Peer>().is_some_and(|p| p.nth >= limits.max_requests_per_connection);
    let mut res = if faces::streams_body(req.uri().path()) {
        let finished = Arc::new(AtomicBool::new(req.body().is_end_stream()));
        let req = req.map(|body| Body::new(Watched { inner: body, finished: finished.clone(), yielded: false }));
        let mut res = next.run(req).await;
        if !finished.load(Ordering::Acquire) {
            close(&mut res);
        }
        res
    } else if req.body().is_end_stream() {
        next.run(req).await
    } else {
        let uri = req.uri().clone();
        let (parts, body) = req.into_parts();
        match tokio::time::timeout(limits.timeout, Limited::new(body, limits.max_bytes).collect()).await {
            Ok(Ok(collected)) => next.run(Request::from_parts(parts, Body::from(collected.to_bytes()))).await,
            Ok(Err(e)) if e.is::<LengthLimitError>() => {
                refused(uri.path(), Refusal::BodyTooLarge { max_bytes: limits.max_bytes as u64 })
            }
            // The client broke off or stalled: it may not read this, but it is told.
            Ok(Err(_)) | Err(_) => refused(uri.path(), Refusal::BodyTimeout),
        }
    };
    if last_on_connection {
        close(&mut res);
    }
    res
}

/// A refusal in the path's dialect, closing the connection (the rest of the body is unread).
fn refused(path: &str, r: Refusal) -> Response {
    let mut res = faces::refuse(path, r);
    close(&mut res);
    res
}

fn close(res: &mut Response) {
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// A streamed body that notes when it has been read to its end, and hands on one chunk per
/// poll: a multipart parser reads everything a socket has ready each time it is polled, so
/// over a fast link it would hold megabytes per upload in memory while the disk catches up;
/// paced, it holds about one chunk.
struct Watched {
    inner: Body,
    finished: Arc<AtomicBool>,
    yielded: bool,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if std::mem::take(&mut self.yielded) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.finished.store(true, Ordering::Release),
            Poll::Ready(Some(Ok(_))) => self.yielded = true,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
