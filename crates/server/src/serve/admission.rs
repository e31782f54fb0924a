//! Which connections the server takes: a cap on all open connections and one per client
//! address, so that no single machine can use up the process's file descriptors and keep
//! everyone else out. A connection counts from its accept until its socket closes, WebSocket
//! upgrades included (the ticket travels inside the socket wrapper).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How many over-cap connections may be open at once just to be told "busy"; beyond this
/// they are closed without an answer.
const MAX_REFUSING: usize = 32;

/// The caps, and the counts against them.
pub struct Admission {
    max_open: usize,
    max_per_ip: usize,
    open: AtomicUsize,
    refusing: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// What to do with a new connection.
pub enum Verdict {
    /// Serve it; the ticket frees its place when dropped.
    Serve(Ticket),
    /// Over a cap: answer its first request with "busy", then close.
    Refuse(Ticket),
    /// Over a cap with too many refusals in flight: close at once.
    Close,
}

/// A connection's place under the caps, given back on drop.
pub struct Ticket {
    admission: Arc<Admission>,
    ip: Option<IpAddr>,
}

/// The address a cap counts: IPv4 addresses one by one, IPv6 by /64 network (one
/// subscriber's usual allocation).
fn cap_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !0u128 << 64).into()),
        },
    }
}

impl Admission {
    /// Caps of `max_open` connections in all and `max_per_ip` from one address (0: no cap
    /// per address).
    pub fn new(max_open: usize, max_per_ip: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max_open,
            max_per_ip,
            open: AtomicUsize::new(0),
            refusing: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
        })
    }

    /// Decides on a connection from `ip`.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Verdict {
        let key = cap_key(ip);
        if self.open.fetch_add(1, Ordering::AcqRel) < self.max_open {
            let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
            let count = per_ip.entry(key).or_insert(0);
            if self.max_per_ip == 0 || *count < self.max_per_ip {
                *count += 1;
                return Verdict::Serve(Ticket { admission: self.clone(), ip: Some(key) });
            }
            if *count == 0 {
                per_ip.remove(&key);
            }
        }
        self.open.fetch_sub(1, Ordering::AcqRel);
        if self.refusing.fetch_add(1, Ordering::AcqRel) < MAX_REFUSING {
            return Verdict::Refuse(Ticket { admission: self.clone(), ip: None });
        }
        self.refusing.fetch_sub(1, Ordering::AcqRel);
        Verdict::Close
    }

    /// Connections served now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Some(ip) = self.ip else {
            self.admission.refusing.fetch_sub(1, Ordering::AcqRel);
            return;
        };
        let mut per_ip = self.admission.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = per_ip.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                per_ip.remove(&ip);
            }
        }
        drop(per_ip);
        self.admission.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(v: Verdict) -> Ticket {
        match v {
            Verdict::Serve(t) => t,
            _ => panic!("expected to be served"),
        }
    }

    #[test]
    fn caps_count_per_address_and_in_all_and_free_on_drop() {
        let a = Admission::new(3, 2);
        let (one, two): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t1 = served(a.admit(one));
        let _t2 = served(a.admit(one));
        assert!(matches!(a.admit(one), Verdict::Refuse(_)), "third from one address");
        let _t3 = served(a.admit(two));
        assert!(matches!(a.admit(two), Verdict::Refuse(_)), "over the total");
        assert_eq!(a.open(), 3);
        drop(t1);
        assert_eq!(a.open(), 2);
        let _t4 = served(a.admit(one));
    }

    #[test]
    fn refusals_in_flight_are_capped_too() {
        let a = Admission::new(0, 0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let held: Vec<Verdict> = (0..MAX_REFUSING).map(|_| a.admit(ip)).collect();
        assert!(held.iter().all(|v| matches!(v, Verdict::Refuse(_))));
        assert!(matches!(a.admit(ip), Verdict::Close));
        drop(held);
        assert!(matches!(a.admit(ip), Verdict::Refuse(_)));
    }

    #[test]
    fn ipv6_counts_by_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(cap_key(a), cap_key(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(cap_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
