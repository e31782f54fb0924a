//! Qiscus' JSON shapes and the pure conversions from domain types into them.

pub mod client;
pub mod comment;
pub mod room;
pub mod system;
pub mod user;

use serde_json::{Map, Value};

/// Reads stored JSON object text (`extras`, `payload`); anything else reads as `{}`.
pub fn object_or_empty(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::Object(Map::new()),
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DDThh:mm:ss` of a Unix millisecond time, in UTC.
fn date_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

/// ISO-8601 UTC with seconds, as comment timestamps are: `2018-03-12T08:11:31Z`.
pub fn iso_seconds(ms: i64) -> String {
    format!("{}Z", date_time(ms))
}

/// ISO-8601 UTC with milliseconds, as the user list's times are: `2017-10-09T06:47:00.004Z`.
pub fn iso_millis(ms: i64) -> String {
    format!("{}.{:03}Z", date_time(ms), ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_iso_8601() {
        assert_eq!(iso_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_seconds(1_520_842_291_000), "2018-03-12T08:11:31Z");
        assert_eq!(iso_millis(1_507_531_620_004), "2017-10-09T06:47:00.004Z");
        assert_eq!(iso_seconds(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso_seconds(4_102_444_799_999), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn stored_objects_read_back_and_anything_else_is_empty() {
        assert_eq!(object_or_empty(r#"{"a":1}"#), serde_json::json!({"a": 1}));
        assert_eq!(object_or_empty(""), serde_json::json!({}));
        assert_eq!(object_or_empty("[1]"), serde_json::json!({}));
    }
}
