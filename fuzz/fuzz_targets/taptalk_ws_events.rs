//! The TapTalk WebSocket event decoder: `incoming::decode` of any frame text, and
//! `parse_message` of every decoded event's data (as if each were a `chat/sendMessage`).
//! Nothing may panic, and an accepted message keeps the limits the server promises.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palaver_taptalk::realtime::incoming::{Event, decode, parse_message};

fuzz_target!(|frame: &[u8]| {
    let text = String::from_utf8_lossy(frame);
    for event in decode(&text) {
        let data = match event {
            Event::SendMessage(data) | Event::UpdateMessage(data) | Event::Typing { data, .. } => data,
            Event::Other | Event::NotAnObject => continue,
        };
        if let Ok((_room, draft)) = parse_message(&data) {
            let local_id = draft.local_id.expect("an accepted message has a local id");
            assert!((1..=64).contains(&local_id.chars().count()), "local id {local_id:?}");
            assert!(draft.content.body.chars().count() <= 4000);
        }
    }
});
