//! Message traffic over many connections: one reader task per connection records how long
//! every delivery took (the send time travels in the local id) and checks that nothing arrives
//! twice; senders keep at most a window of unacknowledged messages per connection (the echo of
//! one's own message is its acknowledgement).

use crate::load::sent_local_id;
use crate::report::histogram;
use crate::ws::{Frame, Ws, WsWriter};
use hdrhistogram::Histogram;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Default)]
struct Tally {
    latency: Option<Histogram<u64>>,
    seen: HashSet<String>,
    duplicates: u64,
}

/// Live traffic on a set of connections.
pub struct Traffic {
    start: Instant,
    writers: Vec<Arc<tokio::sync::Mutex<WsWriter>>>,
    tallies: Vec<Arc<Mutex<Tally>>>,
    windows: Vec<Arc<Semaphore>>,
    acks: Arc<Mutex<Histogram<u64>>>,
}

/// Locks a mutex, taking over a poisoned one (a panicking task must not stop the count).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Traffic {
    /// Starts reading every connection; each may have `window` messages unacknowledged.
    pub fn start(conns: Vec<Ws>, window: usize) -> Traffic {
        let start = Instant::now();
        let acks = Arc::new(Mutex::new(histogram()));
        let mut t =
            Traffic { start, writers: Vec::new(), tallies: Vec::new(), windows: Vec::new(), acks: acks.clone() };
        for (index, ws) in conns.into_iter().enumerate() {
            let (mut reader, writer) = ws.split();
            let writer = Arc::new(tokio::sync::Mutex::new(writer));
            let tally = Arc::new(Mutex::new(Tally { latency: Some(histogram()), ..Tally::default() }));
            let window_sem = Arc::new(Semaphore::new(window));
            let (w, tl, ws_, acks) = (writer.clone(), tally.clone(), window_sem.clone(), acks.clone());
            tokio::spawn(async move {
                loop {
                    match reader.read().await {
                        Ok(Frame::Data(payload)) => {
                            let now = start.elapsed().as_nanos();
                            for line in payload.split(|b| *b == b'\n') {
                                let Some(lid) = sent_local_id(line) else { continue };
                                let mut parts = lid.split('-');
                                let sent = parts.next().and_then(|h| u128::from_str_radix(h, 16).ok()).unwrap_or(now);
                                let from: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(usize::MAX);
                                let us = (now.saturating_sub(sent) / 1000) as u64;
                                if from == index {
                                    let _ = lock(&acks).record(us.max(1));
                                    ws_.add_permits(1);
                                } else {
                                    let mut t = lock(&tl);
                                    if t.seen.insert(lid.to_string()) {
                                        if let Some(h) = t.latency.as_mut() {
                                            let _ = h.record(us.max(1));
                                        }
                                    } else {
                                        t.duplicates += 1;
                                    }
                                }
                            }
                        }
                        Ok(Frame::Ping(p)) => {
                            let _ = w.lock().await.pong(&p).await;
                        }
                        Ok(Frame::Close) | Err(_) => break,
                    }
                }
            });
            t.writers.push(writer);
            t.tallies.push(tally);
            t.windows.push(window_sem);
        }
        t
    }

    /// Sends message `seq` from connection `conn` to `room`, waiting for a window slot;
    /// `sent_at` is when it is considered sent (for open-loop schedules), else now.
    pub async fn send(&self, conn: usize, room: &str, room_type: u8, seq: u64, sent_at: Option<Instant>) -> bool {
        let Ok(permit) = self.windows[conn].acquire().await else { return false };
        permit.forget();
        let at = sent_at.unwrap_or_else(Instant::now).saturating_duration_since(self.start).as_nanos();
        let frame = crate::load::message_frame(room, room_type, &format!("{at:x}-{conn}-{seq}"));
        self.writers[conn].lock().await.send_text(&frame).await.is_ok()
    }

    /// Forgets everything counted so far (between phases).
    pub fn reset(&self) {
        for t in &self.tallies {
            let mut t = lock(t);
            t.seen.clear();
            t.duplicates = 0;
            t.latency = Some(histogram());
        }
        *lock(&self.acks) = histogram();
    }

    /// Distinct deliveries to others, duplicates, and their latency (microseconds).
    pub fn deliveries(&self) -> (u64, u64, Histogram<u64>) {
        let mut all = histogram();
        let (mut distinct, mut dup) = (0, 0);
        for t in &self.tallies {
            let t = lock(t);
            distinct += t.seen.len() as u64;
            dup += t.duplicates;
            if let Some(h) = &t.latency {
                let _ = all.add(h);
            }
        }
        (distinct, dup, all)
    }

    /// Distinct deliveries to others so far (cheaper than [`Traffic::deliveries`]).
    pub fn delivered(&self) -> u64 {
        self.tallies.iter().map(|t| lock(t).seen.len() as u64).sum()
    }

    /// Acknowledgements (own echoes) so far.
    pub fn acks(&self) -> u64 {
        lock(&self.acks).len()
    }

    /// Waits until `expected` distinct deliveries and `sent` acknowledgements arrived, at most
    /// `timeout`; true if they did.
    pub async fn settle(&self, expected: u64, sent: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.delivered() >= expected && self.acks() >= sent {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Latency of acknowledgements (own echoes), microseconds.
    pub fn ack_latency(&self) -> Histogram<u64> {
        lock(&self.acks).clone()
    }
}
