//! Qiscus request parameters: `Params::parse` of a query, a content type and a body, then
//! every typed accessor on a few fixed names and on each name parsed. Nothing may panic.
//!
//! Input layout, so that seeds stay readable: `<content type>\n<query>\n<body>`. The first
//! line `json`, `form`, `multipart` or `text` stands for that content type, anything else is
//! the content type itself; an empty query line means no query string.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palaver_qiscus::params::Params;

/// Names real clients send, tried whether or not the request has them.
const NAMES: &[&str] = &["user_id", "room_id", "user_ids", "participants", "room_options", "extras", "limit", "a"];

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(3, |&b| b == b'\n');
    let content_type = content_type(parts.next().unwrap_or_default());
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();
    let query = Some(query.as_ref()).filter(|q| !q.is_empty());
    let Ok(params) = Params::parse(query, &content_type, body) else { return };
    let present: Vec<String> = params.0.keys().take(16).cloned().collect();
    for name in NAMES.iter().copied().chain(present.iter().map(String::as_str)) {
        let _ = params.raw(name);
        let _ = params.opt_str(name);
        let _ = params.opt_nonempty(name);
        let _ = params.req_str(name);
        let _ = params.opt_int(name);
        let _ = params.opt_bool(name);
        let _ = params.opt_list(name);
        let _ = params.req_list(name);
        let _ = params.opt_object(name);
        let _ = params.opt_object_text(name);
    }
});

/// The content type a first line stands for, lowercased as the server reads the header.
fn content_type(line: &[u8]) -> String {
    match line {
        b"json" => "application/json".into(),
        b"form" => "application/x-www-form-urlencoded".into(),
        b"multipart" => "multipart/form-data; boundary=x".into(),
        b"text" => "text/plain".into(),
        other => String::from_utf8_lossy(other).to_ascii_lowercase(),
    }
}
