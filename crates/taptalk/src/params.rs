//! Request parameters: a lenient JSON body (the SDKs send odd ones, notes section 2.4) and
//! typed accessors that answer with TapTalk's 40002 errors, naming each parameter's field id.

use crate::envelope::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use palaver_domain::ExternalId;
use palaver_domain::limits::{MAX_EXTERNAL_ID_CHARS, MAX_LIST_ITEMS, MAX_REQUEST_BYTES};
use serde_json::{Map, Value};

/// The parameters of one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// Parses a body: empty or a non-object JSON value (the web SDK sends `""`) means no
    /// parameters; anything that is not JSON is an error.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Ok(Self::default()),
            Err(_) => Err(ApiError::param("Request body is not valid JSON", "")),
        }
    }

    /// A parameter's value, `None` when absent or null.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A string parameter that may be absent. Numbers are accepted as their decimal text.
    pub fn opt_str(&self, name: &str, field: &str) -> Result<Option<String>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ApiError::param(format!("Param '{name}' must be a string"), field)),
        }
    }

    /// A string parameter that must be present and non-empty.
    pub fn req_str(&self, name: &str, field: &str) -> Result<String, ApiError> {
        match self.opt_str(name, field)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(required(name, field)),
        }
    }

    /// An integer parameter that may be absent; numeric strings are accepted.
    pub fn opt_int(&self, name: &str, field: &str) -> Result<Option<i64>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| not_integer(name, field)),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| not_integer(name, field)),
            Some(_) => Err(not_integer(name, field)),
        }
    }

    /// An integer parameter that must be present.
    pub fn req_int(&self, name: &str, field: &str) -> Result<i64, ApiError> {
        self.opt_int(name, field)?.ok_or_else(|| required(name, field))
    }

    /// A boolean parameter that may be absent; `"true"`/`"false"` and 0/1 are accepted.
    pub fn opt_bool(&self, name: &str, field: &str) -> Result<Option<bool>, ApiError> {
        bool_value(self.raw(name), name, field)
    }

    /// A list of strings that may be absent (numbers are accepted as text).
    pub fn opt_str_list(&self, name: &str, field: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(v) = self.raw(name) else {
            return Ok(None);
        };
        let not_list = || ApiError::param(format!("Param '{name}' must be a list of strings"), field);
        let Value::Array(items) = v else {
            return Err(not_list());
        };
        check_list_len(items, name, field)?;
        items
            .iter()
            .map(|i| match i {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(not_list()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A list of strings that must be present and non-empty.
    pub fn req_str_list(&self, name: &str, field: &str) -> Result<Vec<String>, ApiError> {
        let list = self.opt_str_list(name, field)?.ok_or_else(|| required(name, field))?;
        if list.is_empty() {
            return Err(ApiError::param(format!("Param '{name}' cannot be empty"), field));
        }
        Ok(list)
    }

    /// A list of objects that must be present and non-empty.
    pub fn req_objects(&self, name: &str, field: &str) -> Result<Vec<Params>, ApiError> {
        let Some(v) = self.raw(name) else {
            return Err(required(name, field));
        };
        let not_list = || ApiError::param(format!("Param '{name}' must be a list of objects"), field);
        let Value::Array(items) = v else {
            return Err(not_list());
        };
        if items.is_empty() {
            return Err(ApiError::param(format!("Param '{name}' cannot be empty"), field));
        }
        check_list_len(items, name, field)?;
        items
            .iter()
            .map(|i| match i {
                Value::Object(m) => Ok(Params(m.clone())),
                _ => Err(not_list()),
            })
            .collect()
    }
}

/// Refuses a list longer than any endpoint takes, before its items are read.
fn check_list_len(items: &[Value], name: &str, field: &str) -> Result<(), ApiError> {
    if items.len() > MAX_LIST_ITEMS {
        return Err(ApiError::param(format!("Param '{name}' has more than {MAX_LIST_ITEMS} items"), field));
    }
    Ok(())
}

/// Reads a JSON value as a boolean the lenient way.
pub fn bool_value(v: Option<&Value>, name: &str, field: &str) -> Result<Option<bool>, ApiError> {
    match v {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") || s == "1" => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") || s == "0" || s.is_empty() => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(_) => Err(ApiError::param(format!("Param '{name}' must be a boolean"), field)),
    }
}

/// The 40002 answer for a missing parameter.
pub fn required(name: &str, field: &str) -> ApiError {
    ApiError::param(format!("Param '{name}' is required"), field)
}

fn not_integer(name: &str, field: &str) -> ApiError {
    ApiError::param(format!("Param '{name}' must be an integer"), field)
}

/// Reads a text as an external id (of a user or a room), the one rule for those.
pub fn external_id(value: String, name: &str, field: &str) -> Result<ExternalId, ApiError> {
    ExternalId::parse(value).map_err(|_| {
        ApiError::param(format!("Param '{name}' length must be between 1 and {MAX_EXTERNAL_ID_CHARS}"), field)
    })
}

impl Params {
    /// A required external id.
    pub fn req_external_id(&self, name: &str, field: &str) -> Result<ExternalId, ApiError> {
        external_id(self.req_str(name, field)?, name, field)
    }

    /// A required, non-empty list of external ids.
    pub fn req_external_ids(&self, name: &str, field: &str) -> Result<Vec<ExternalId>, ApiError> {
        self.req_str_list(name, field)?.into_iter().map(|v| external_id(v, name, field)).collect()
    }
}

/// Checks a string's length in characters.
pub fn check_len(value: &str, name: &str, field: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiError::param(format!("Param '{name}' length must be between {min} and {max}"), field));
    }
    Ok(())
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let body: Bytes = axum::body::to_bytes(req.into_body(), MAX_REQUEST_BYTES).await.map_err(|_| {
            ApiError::new(413, "41300", format!("Request body is larger than {MAX_REQUEST_BYTES} bytes"), "")
        })?;
        Params::parse(&body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_bodies_mean_no_parameters() {
        assert_eq!(Params::parse(b"").unwrap(), Params::default());
        assert_eq!(Params::parse(b"\"\"").unwrap(), Params::default());
        assert!(Params::parse(b"{nope").is_err());
    }

    #[test]
    fn typed_access_names_the_field() {
        let p = Params::parse(br#"{"a": 5, "b": "7", "c": [1, "x"], "d": {}, "e": "true"}"#).unwrap();
        assert_eq!(p.req_str("a", "1").unwrap(), "5");
        assert_eq!(p.req_int("b", "2").unwrap(), 7);
        assert_eq!(p.req_str_list("c", "3").unwrap(), vec!["1", "x"]);
        assert_eq!(p.opt_bool("e", "4").unwrap(), Some(true));
        let e = p.req_str("d", "105").unwrap_err();
        assert_eq!((e.code, e.message.as_str(), e.field.as_str()), ("40002", "Param 'd' must be a string", "105"));
        let e = p.req_str("missing", "101").unwrap_err();
        assert_eq!(e.message, "Param 'missing' is required");
    }
}
