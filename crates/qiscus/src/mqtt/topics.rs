//! The topics the Qiscus SDKs use (2.16.9 notes section 2), read into what they mean, so that
//! authorisation decides on meanings rather than strings.

use palaver_domain::RoomId;

/// What a topic (or a subscription filter) names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topic<'a> {
    /// `<token>/c`, `<token>/n`, `<token>/update` (or a wildcard after the token): a user's
    /// own messages, notifications and edits.
    Token(&'a str),
    /// `r/<room>/<room>/<user>/t|d|r`, `r/<room>/<room>/+/...`, `r/<room>/+/+/t`,
    /// `r/<room>/typing`, `r/<room>/<room>/e`: a room's typing, receipts and events. `user`
    /// is the user level when the topic has one (`None` for a wildcard).
    Room {
        /// The room.
        room: RoomId,
        /// The user named in the topic, if a single one is.
        user: Option<&'a str>,
        /// The last level: `t`, `d`, `r`, `e` or `typing`.
        what: &'a str,
    },
    /// `u/<user>/s`: a user's presence.
    Presence(&'a str),
    /// `<app id>/<unique id>/c`: a channel's messages.
    Channel {
        /// The Qiscus app id.
        app: &'a str,
        /// The channel's unique id.
        unique_id: &'a str,
    },
}

/// Reads a topic or filter; `None` for anything the SDKs do not use (such filters are refused,
/// such publishes dropped). Wildcards are allowed only where the SDKs put them: after a token,
/// and in a room topic's user level (and the second room level, as Android does).
pub fn parse(topic: &str) -> Option<Topic<'_>> {
    let levels: Vec<&str> = topic.split('/').collect();
    match levels.as_slice() {
        ["u", user, "s"] if plain(user) => Some(Topic::Presence(user)),
        ["r", room, "typing"] => Some(Topic::Room { room: room_id(room)?, user: None, what: "typing" }),
        ["r", room, again, "e"] if room == again => Some(Topic::Room { room: room_id(room)?, user: None, what: "e" }),
        ["r", room, again, user, what] if matches!(*what, "t" | "d" | "r") && (room == again || *again == "+") => {
            let user = if *user == "+" { None } else { Some(*user).filter(|u| plain(u)) };
            if user.is_none() && levels[3] != "+" {
                return None;
            }
            Some(Topic::Room { room: room_id(room)?, user, what })
        }
        [app, unique_id, "c"] if plain(app) && plain(unique_id) && !matches!(*app, "r" | "u") => {
            Some(Topic::Channel { app, unique_id })
        }
        [token, rest] if plain(token) && token.len() >= 16 && matches!(*rest, "c" | "n" | "update" | "+" | "#") => {
            Some(Topic::Token(token))
        }
        _ => None,
    }
}

/// A level without wildcards, non-empty.
fn plain(level: &str) -> bool {
    !level.is_empty() && !level.contains(['+', '#'])
}

fn room_id(level: &str) -> Option<RoomId> {
    level.parse::<i64>().ok().filter(|id| *id > 0).map(RoomId)
}

/// Whether `topic` matches subscription `filter` (MQTT 3.1.1 section 4.7: `+` one level,
/// `#` the rest).
pub fn matches(topic: &str, filter: &str) -> bool {
    let mut t = topic.split('/');
    for f in filter.split('/') {
        match (f, t.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (f, Some(level)) if f == level => {}
            _ => return false,
        }
    }
    t.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdks_topics_are_read() {
        let token = "abcdefghij0123456789";
        assert_eq!(parse(&format!("{token}/c")), Some(Topic::Token(token)));
        assert_eq!(parse(&format!("{token}/update")), Some(Topic::Token(token)));
        assert_eq!(parse("r/12/12/+/t"), Some(Topic::Room { room: RoomId(12), user: None, what: "t" }));
        assert_eq!(parse("r/12/+/+/t"), Some(Topic::Room { room: RoomId(12), user: None, what: "t" }));
        assert_eq!(parse("r/12/12/bob/d"), Some(Topic::Room { room: RoomId(12), user: Some("bob"), what: "d" }));
        assert_eq!(parse("r/12/typing"), Some(Topic::Room { room: RoomId(12), user: None, what: "typing" }));
        assert_eq!(parse("r/12/12/e"), Some(Topic::Room { room: RoomId(12), user: None, what: "e" }));
        assert_eq!(parse("u/bob@x.com/s"), Some(Topic::Presence("bob@x.com")));
        assert_eq!(parse("app-1a2b3c/news/c"), Some(Topic::Channel { app: "app-1a2b3c", unique_id: "news" }));
    }

    #[test]
    fn other_topics_and_stray_wildcards_are_not() {
        for t in [
            "#",
            "+/c",
            "u/+/s",
            "app/+/c",
            "r/x/c",
            "r/+/+/+/t",
            "r/1/2/bob/t",
            "r/x/x/bob/t",
            "short/c",
            "r/0/0/a/t",
            "a/b/c/d",
        ] {
            assert_eq!(parse(t), None, "{t}");
        }
    }

    #[test]
    fn filters_match_as_mqtt_says() {
        assert!(matches("r/1/1/bob/t", "r/1/1/+/t"));
        assert!(matches("r/1/1/bob/t", "r/1/+/+/t"));
        assert!(matches("tok/c", "tok/#"));
        assert!(!matches("r/1/1/bob/d", "r/1/1/+/t"));
        assert!(!matches("r/1/1", "r/1/1/+"));
        assert!(!matches("r/1/1/a/b/c", "r/1/1/+"));
    }
}
