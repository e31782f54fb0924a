//! CORS, so browser apps on other origins can call the API with the SDKs' custom headers
//! (`App-Key`, `Authorization`, `Device-*`, Qiscus' `QISCUS-SDK-*`). No cookies are used,
//! so any origin may call.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const DEFAULT_HEADERS: &str = "App-Key, Authorization, Device-Identifier, Device-Model, Device-Platform, \
     Device-OS-Version, SDK-Version, App-Identifier, App-Version, Content-Type, QISCUS-SDK-APP-ID, QISCUS-SDK-SECRET, \
     QISCUS-SDK-TOKEN, QISCUS-SDK-USER-ID, QISCUS-SDK-VERSION";

/// Answers preflight requests and marks every answer to a cross-origin request as allowed.
pub async fn cors(req: Request, next: Next) -> Response {
    let Some(_origin) = req.headers().get(header::ORIGIN) else { return next.run(req).await };
    if req.method() == Method::OPTIONS {
        let requested = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOWED_METHODS));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.unwrap_or(HeaderValue::from_static(DEFAULT_HEADERS)));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
        return res;
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Content-Type, Content-Disposition, X-Request-Id"),
    );
    res
}
