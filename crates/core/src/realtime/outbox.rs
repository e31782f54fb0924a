//! A connection's bounded queue of encoded frames. A consumer that falls too far behind is
//! closed rather than allowed to slow down the senders.
//!
//! Each frame carries the change id of the event it encodes (0 for ephemeral events), so the
//! connection knows how far it has really written.

use bytes::Bytes;
use palaver_domain::ChangeId;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Frames waiting to be written to one connection.
pub struct Outbox {
    state: Mutex<State>,
    notify: Notify,
    limit_bytes: usize,
}

/// An encoded event and the change id it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The encoded event.
    pub bytes: Bytes,
    /// The change id of the event; 0 when it has none.
    pub change: ChangeId,
}

/// What became of a frame offered to an outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offered {
    /// It waits to be written.
    Queued,
    /// The outbox was already closed.
    Closed,
    /// It did not fit: the outbox closed (the consumer is too slow).
    Overflowed,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Frame>,
    bytes: usize,
    closed: bool,
}

impl Outbox {
    /// An empty outbox that closes itself once more than `limit_bytes` are waiting.
    pub fn new(limit_bytes: usize) -> Self {
        Self { state: Mutex::new(State::default()), notify: Notify::new(), limit_bytes }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a frame. Returns false if the outbox is closed or just overflowed (and closed).
    pub fn push(&self, frame: Frame) -> bool {
        self.offer(frame) == Offered::Queued
    }

    /// Queues a frame, telling a closed outbox from one this frame overflowed (and closed).
    pub fn offer(&self, frame: Frame) -> Offered {
        let mut s = self.state();
        if s.closed {
            return Offered::Closed;
        }
        if s.bytes + frame.bytes.len() > self.limit_bytes {
            s.closed = true;
            s.queue.clear();
            s.bytes = 0;
            drop(s);
            self.notify.notify_one();
            return Offered::Overflowed;
        }
        s.bytes += frame.bytes.len();
        s.queue.push_back(frame);
        drop(s);
        self.notify.notify_one();
        Offered::Queued
    }

    /// Closes the outbox; the consumer's next [`Outbox::next_batch`] returns `None`.
    pub fn close(&self) {
        self.state().closed = true;
        self.notify.notify_one();
    }

    /// Whether the outbox was closed (by its owner or by overflow).
    pub fn is_closed(&self) -> bool {
        self.state().closed
    }

    /// Waits for frames and takes all of them; `None` once closed.
    pub async fn next_batch(&self) -> Option<Vec<Frame>> {
        loop {
            {
                let mut s = self.state();
                if s.closed {
                    return None;
                }
                if !s.queue.is_empty() {
                    s.bytes = 0;
                    let batch: Vec<Frame> = s.queue.drain(..).collect();
                    // Give back the memory of a burst; idle connections should stay small.
                    if s.queue.capacity() > 64 {
                        s.queue.shrink_to_fit();
                    }
                    return Some(batch);
                }
            }
            self.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(b: &'static [u8], change: i64) -> Frame {
        Frame { bytes: Bytes::from_static(b), change: ChangeId(change) }
    }

    #[tokio::test]
    async fn delivers_in_order_and_closes_on_overflow() {
        let o = Outbox::new(10);
        assert!(o.push(frame(b"abcd", 1)));
        assert!(o.push(frame(b"efgh", 0)));
        assert_eq!(o.next_batch().await.unwrap(), vec![frame(b"abcd", 1), frame(b"efgh", 0)]);
        assert!(o.push(frame(b"12345678", 2)));
        assert!(!o.push(frame(b"9999", 3)), "overflow must refuse");
        assert!(o.is_closed());
        assert_eq!(o.next_batch().await, None);
    }
}
