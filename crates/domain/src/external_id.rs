//! External ids: the customer's own ids for users and rooms, parsed once at the edge.

use crate::error::{Error, Field, Invalid};
use crate::limits::MAX_EXTERNAL_ID_CHARS;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A customer's id for a user or a room: 1 to 50 characters, no control characters. Every
/// face parses its parameters into this type, so the rule is written here only.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExternalId(String);

impl ExternalId {
    /// The rule's bounds, for faces that word it themselves.
    pub const RULE: Invalid = Invalid::Length { min: 1, max: MAX_EXTERNAL_ID_CHARS };

    /// Checks `text` against the rule.
    pub fn parse(text: impl Into<String>) -> Result<Self, Invalid> {
        let text = text.into();
        let n = text.chars().count();
        if (1..=MAX_EXTERNAL_ID_CHARS).contains(&n) && !text.chars().any(char::is_control) {
            Ok(Self(text))
        } else {
            Err(Self::RULE)
        }
    }

    /// Parses, naming `field` in the error.
    pub fn parse_as(text: impl Into<String>, field: Field) -> Result<Self, Error> {
        Self::parse(text).map_err(|why| Error::invalid(field, why))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ExternalId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_counts_characters_and_refuses_control_characters() {
        assert!(ExternalId::parse("a").is_ok());
        assert!(ExternalId::parse("é".repeat(50)).is_ok());
        assert_eq!(ExternalId::parse("é".repeat(51)), Err(ExternalId::RULE));
        assert_eq!(ExternalId::parse(""), Err(ExternalId::RULE));
        assert_eq!(ExternalId::parse("a\nb"), Err(ExternalId::RULE));
    }
}
