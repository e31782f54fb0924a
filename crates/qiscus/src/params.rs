//! Request parameters the way real Qiscus clients send them (notes section 1.3): a query
//! string and a body, the body JSON or `application/x-www-form-urlencoded` (JSON is sniffed
//! whatever the content type says), arrays as `key[]=a&key[]=b`, `key[0]=a` or repeated
//! `key=a&key=b`, ids as numbers or strings and booleans as strings. Body values win over
//! query values of the same name.

use crate::envelope::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use palaver_domain::limits::{MAX_LIST_ITEMS, MAX_REQUEST_BYTES};
use serde_json::{Map, Value};

/// The parameters of one request, keyed by name without array suffixes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(pub Map<String, Value>);

/// A key without its array suffix, and whether it had one: `ids[]` and `ids[0]` are `ids`.
fn base_name(key: &str) -> (&str, bool) {
    match key.find('[') {
        Some(i) if key.ends_with(']') && i > 0 => (&key[..i], true),
        _ => (key, false),
    }
}

/// Adds one decoded `key=value` pair: array keys and repeated keys collect into a list.
fn add_pair(map: &mut Map<String, Value>, key: &str, value: String) {
    let (name, array) = base_name(key);
    let value = Value::String(value);
    match map.get_mut(name) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None if array => {
            map.insert(name.to_string(), Value::Array(vec![value]));
        }
        None => {
            map.insert(name.to_string(), value);
        }
    }
}

/// Decodes a query string or form body.
fn parse_form(text: &[u8]) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in form_urlencoded::parse(text) {
        if !k.is_empty() {
            add_pair(&mut map, &k, v.into_owned());
        }
    }
    map
}

impl Params {
    /// Reads the query string and the body.
    pub fn parse(query: Option<&str>, content_type: &str, body: &[u8]) -> Result<Self, ApiError> {
        let mut map = query.map(|q| parse_form(q.as_bytes())).unwrap_or_default();
        let text = body.trim_ascii();
        let body_map = if text.is_empty() {
            Map::new()
        } else if text.starts_with(b"{") || content_type.contains("json") {
            match serde_json::from_slice::<Value>(text) {
                Ok(Value::Object(m)) => m.into_iter().map(|(k, v)| (base_name(&k).0.to_string(), v)).collect(),
                Ok(_) => return Err(ApiError::bad_request("Request body must be a JSON object")),
                Err(_) => return Err(ApiError::bad_request("Request body is not valid JSON")),
            }
        } else {
            parse_form(text)
        };
        map.extend(body_map);
        Ok(Self(map))
    }

    /// A parameter's value; `None` when absent or null.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A text parameter that may be absent; numbers and booleans read as their text.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(ApiError::bad_request(format!("Param '{name}' must be a string"))),
        }
    }

    /// A text parameter that may be absent; an empty value counts as absent.
    pub fn opt_nonempty(&self, name: &str) -> Result<Option<String>, ApiError> {
        Ok(self.opt_str(name)?.filter(|s| !s.is_empty()))
    }

    /// A text parameter that must be present and not empty.
    pub fn req_str(&self, name: &str) -> Result<String, ApiError> {
        self.opt_nonempty(name)?.ok_or_else(|| required(name))
    }

    /// An integer parameter that may be absent; numeric strings are accepted.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let bad = || ApiError::bad_request(format!("Param '{name}' must be an integer"));
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    /// A boolean parameter that may be absent: JSON booleans, `"true"`/`"false"`, 1/0.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") || s == "1" => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") || s == "0" => Ok(Some(false)),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
            Some(_) => Err(ApiError::bad_request(format!("Param '{name}' must be a boolean"))),
        }
    }

    /// A list of strings that may be absent. A lone value reads as a list of one, a string
    /// holding a JSON array as that array; numbers read as their text.
    pub fn opt_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let bad = || ApiError::bad_request(format!("Param '{name}' must be a list of strings"));
        let item = |v: &Value| match v {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(bad()),
        };
        let items = |items: &[Value]| {
            if items.len() > MAX_LIST_ITEMS {
                return Err(ApiError::bad_request(format!("Param '{name}' lists more than {MAX_LIST_ITEMS} items")));
            }
            items.iter().map(item).collect::<Result<_, _>>().map(Some)
        };
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Array(list)) => items(list),
            Some(Value::String(s)) if s.is_empty() => Ok(Some(Vec::new())),
            Some(Value::String(s)) if s.trim_start().starts_with('[') => match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(list)) => items(&list),
                _ => Err(bad()),
            },
            Some(v) => item(v).map(|s| Some(vec![s])),
        }
    }

    /// A list of strings that must be present and not empty.
    pub fn req_list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let list = self.opt_list(name)?.ok_or_else(|| required(name))?;
        if list.is_empty() {
            return Err(ApiError::bad_request(format!("Param '{name}' cannot be empty")));
        }
        Ok(list)
    }

    /// A JSON object given as an object or as a string holding one (`room_options`,
    /// `payload`, `extras`), as compact JSON text; an empty string counts as absent.
    pub fn opt_object(&self, name: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        let bad = || ApiError::bad_request(format!("Param '{name}' must be a JSON object or a string holding one"));
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => Ok(Some(m)),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }

    /// Like [`Params::opt_object`], as compact JSON text.
    pub fn opt_object_text(&self, name: &str) -> Result<Option<String>, ApiError> {
        Ok(self.opt_object(name)?.map(|m| Value::Object(m).to_string()))
    }
}

/// The answer for a missing parameter.
pub fn required(name: &str) -> ApiError {
    ApiError::bad_request(format!("Param '{name}' is required"))
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().map(str::to_string);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body: Bytes = axum::body::to_bytes(req.into_body(), MAX_REQUEST_BYTES)
            .await
            .map_err(|_| ApiError::new(413, format!("Request body is larger than {MAX_REQUEST_BYTES} bytes")))?;
        Params::parse(query.as_deref(), &content_type, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(q: &str) -> Params {
        Params::parse(Some(q), "", b"").unwrap()
    }

    #[test]
    fn array_keys_repeated_keys_and_lone_values_are_lists() {
        let p = form("ids[]=1&ids[]=b%20c&x=1&x=2&one=7&idx[0]=a&idx[1]=b");
        assert_eq!(p.req_list("ids").unwrap(), vec!["1", "b c"]);
        assert_eq!(p.req_list("x").unwrap(), vec!["1", "2"]);
        assert_eq!(p.req_list("one").unwrap(), vec!["7"]);
        assert_eq!(p.req_list("idx").unwrap(), vec!["a", "b"]);
        assert!(p.opt_list("missing").unwrap().is_none());
    }

    #[test]
    fn bodies_are_json_when_they_look_like_json_else_forms() {
        let p = Params::parse(Some("a=q&b=q"), "text/plain", br#" {"a": 5, "ids[]": ["x"]} "#).unwrap();
        assert_eq!(p.req_str("a").unwrap(), "5");
        assert_eq!(p.req_str("b").unwrap(), "q");
        assert_eq!(p.req_list("ids").unwrap(), vec!["x"]);
        let p = Params::parse(None, "application/x-www-form-urlencoded", b"a=1+2&t=true").unwrap();
        assert_eq!(p.req_str("a").unwrap(), "1 2");
        assert_eq!(p.opt_bool("t").unwrap(), Some(true));
        assert!(Params::parse(None, "application/json", b"{nope").is_err());
        assert!(Params::parse(None, "application/json", b"[1]").is_err());
    }

    #[test]
    fn typed_access_is_lenient_but_names_the_parameter() {
        let p = Params(
            json!({"n": "12", "b": "false", "o": "{\"k\":1}", "bad": "{", "l": "[\"a\",2]"})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(p.opt_int("n").unwrap(), Some(12));
        assert_eq!(p.opt_bool("b").unwrap(), Some(false));
        assert_eq!(p.opt_object_text("o").unwrap().unwrap(), r#"{"k":1}"#);
        assert_eq!(p.req_list("l").unwrap(), vec!["a", "2"]);
        let e = p.opt_object("bad").unwrap_err();
        assert_eq!(e.message, "Param 'bad' must be a JSON object or a string holding one");
        assert_eq!(p.req_str("zzz").unwrap_err().message, "Param 'zzz' is required");
        assert_eq!(p.opt_int("b").unwrap_err().message, "Param 'b' must be an integer");
    }
}
