//! TapTalk's JSON shapes and the pure conversions from domain types into them.

pub mod message;
pub mod room;
pub mod user;

use serde::Serialize;

/// `imageURL`: a thumbnail and a full-size URL.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ImageUrl {
    /// Thumbnail URL.
    pub thumbnail: String,
    /// Full-size URL.
    pub fullsize: String,
}

impl ImageUrl {
    /// Both URLs.
    pub fn new(thumbnail: &str, fullsize: &str) -> Self {
        Self { thumbnail: thumbnail.to_string(), fullsize: fullsize.to_string() }
    }
}
