//! Rate limits: token buckets per user for what clients do often (sends, typing, receipts,
//! uploads) and per address for failed authentications, so that one client over its limit is
//! slowed down (refused with a time to retry) and never slows anyone else.
//!
//! Hand-written rather than taken from a crate: the failure budget needs a look at a bucket
//! without taking from it (an address out of failures is refused before its credentials are
//! checked), and the whole is a few dozen lines over a sharded map.

use crate::Core;
use crate::apps::KeyCheck;
use palaver_domain::error::AuthError;
use palaver_domain::{AppId, Entity, Error, UserId};
use palaver_store::Conn;
use palaver_store::repo::apps;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, RwLock};
use std::time::Instant;

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rated {
    /// Messages a user sends through a client API.
    Send,
    /// Typing notices of a user.
    Typing,
    /// Delivery and read receipts of a user (each call, whatever the number of messages).
    Receipt,
    /// Uploads a user starts.
    Upload,
    /// Failed authentications from one address: unknown or wrong keys, tokens and tickets.
    AuthFailure,
}

/// One limit: how many a minute, and how many at once after a quiet spell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Sustained rate, per minute; 0: unlimited.
    pub per_minute: u32,
    /// Bucket size: how many may come at once.
    pub burst: u32,
}

impl Quota {
    /// A quota whose burst is a quarter of a minute's worth (at least one).
    pub const fn per_minute(n: u32) -> Self {
        Quota { per_minute: n, burst: if n / 4 > 0 { n / 4 } else { 1 } }
    }
}

/// The limits of a node; the defaults leave room for any person and most bots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Whether limits apply at all (a benchmark turns them off).
    pub enabled: bool,
    /// Messages per user.
    pub sends: Quota,
    /// Typing notices per user.
    pub typing: Quota,
    /// Receipt calls per user.
    pub receipts: Quota,
    /// Uploads per user.
    pub uploads: Quota,
    /// Failed authentications per address.
    pub auth_failures: Quota,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            sends: Quota::per_minute(3000),
            typing: Quota::per_minute(600),
            receipts: Quota::per_minute(3000),
            uploads: Quota::per_minute(120),
            auth_failures: Quota::per_minute(240),
        }
    }
}

/// Rate limit settings that override others: the server's config over the defaults, an app's
/// own over the server's. Each is a number per minute (0: unlimited) with a burst of a quarter
/// of it; absent ones keep what they override.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateOverrides {
    /// `false` turns the limits off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Messages per user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sends_per_minute: Option<u32>,
    /// Typing notices per user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typing_per_minute: Option<u32>,
    /// Receipt calls per user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipts_per_minute: Option<u32>,
    /// Uploads per user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploads_per_minute: Option<u32>,
    /// Failed authentications per address (a server setting: the app is not known until
    /// its key is checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_failures_per_minute: Option<u32>,
}

impl RateOverrides {
    /// These overrides with the settings `newer` gives replaced.
    pub fn merged(self, newer: RateOverrides) -> RateOverrides {
        RateOverrides {
            enabled: newer.enabled.or(self.enabled),
            sends_per_minute: newer.sends_per_minute.or(self.sends_per_minute),
            typing_per_minute: newer.typing_per_minute.or(self.typing_per_minute),
            receipts_per_minute: newer.receipts_per_minute.or(self.receipts_per_minute),
            uploads_per_minute: newer.uploads_per_minute.or(self.uploads_per_minute),
            auth_failures_per_minute: newer.auth_failures_per_minute.or(self.auth_failures_per_minute),
        }
    }
}

impl RateLimits {
    /// These limits with `o` applied.
    pub fn with(mut self, o: &RateOverrides) -> RateLimits {
        let set = |quota: &mut Quota, n: Option<u32>| {
            if let Some(n) = n {
                *quota = Quota::per_minute(n);
            }
        };
        set(&mut self.sends, o.sends_per_minute);
        set(&mut self.typing, o.typing_per_minute);
        set(&mut self.receipts, o.receipts_per_minute);
        set(&mut self.uploads, o.uploads_per_minute);
        set(&mut self.auth_failures, o.auth_failures_per_minute);
        self.enabled = o.enabled.unwrap_or(self.enabled);
        self
    }

    fn quota(&self, what: Rated) -> Quota {
        match what {
            Rated::Send => self.sends,
            Rated::Typing => self.typing,
            Rated::Receipt => self.receipts,
            Rated::Upload => self.uploads,
            Rated::AuthFailure => self.auth_failures,
        }
    }
}

/// Whom a bucket belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Owner {
    User(AppId, UserId),
    Address(IpAddr),
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Shards of the bucket map: a send locks one shard briefly, so senders rarely meet.
const SHARDS: usize = 32;

/// The buckets of a node.
pub(crate) struct RateLimiter {
    limits: RateLimits,
    apps: RwLock<HashMap<AppId, RateLimits>>,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<(Owner, Rated), Bucket>>>,
}

impl RateLimiter {
    /// Buckets for these limits.
    pub(crate) fn new(limits: RateLimits) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::default()).collect();
        RateLimiter { limits, apps: RwLock::default(), hasher: RandomState::new(), shards }
    }

    /// Takes the apps' own limits (replacing what it had).
    pub(crate) fn set_app_limits(&self, apps: HashMap<AppId, RateLimits>) {
        *self.apps.write().unwrap_or_else(|p| p.into_inner()) = apps;
    }

    /// The limits a bucket's owner is under.
    fn limits_of(&self, owner: Owner) -> RateLimits {
        match owner {
            Owner::User(app, _) => {
                self.apps.read().unwrap_or_else(|p| p.into_inner()).get(&app).copied().unwrap_or(self.limits)
            }
            Owner::Address(_) => self.limits,
        }
    }

    /// Takes one from a bucket (when `take`) or only looks whether one is there; refuses with
    /// the seconds until there is.
    fn bucket(&self, owner: Owner, what: Rated, take: bool) -> Result<(), Error> {
        let limits = self.limits_of(owner);
        let quota = limits.quota(what);
        if !limits.enabled || quota.per_minute == 0 {
            return Ok(());
        }
        let per_sec = f64::from(quota.per_minute) / 60.0;
        let burst = f64::from(quota.burst.max(1));
        let key = (owner, what);
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let b = map.entry(key).or_insert(Bucket { tokens: burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            if take {
                b.tokens -= 1.0;
            }
            return Ok(());
        }
        let retry_after_secs = ((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u32;
        Err(Error::RateLimited { retry_after_secs })
    }

    /// Counts an action of a user of `app` against its limit.
    pub(crate) fn user(&self, app: AppId, user: UserId, what: Rated) -> Result<(), Error> {
        self.bucket(Owner::User(app, user), what, true)
    }

    /// Whether an address may try to authenticate (it has failures left).
    pub(crate) fn may_authenticate(&self, from: IpAddr) -> Result<(), Error> {
        self.bucket(Owner::Address(from), Rated::AuthFailure, false)
    }

    /// Counts a failed authentication from an address.
    pub(crate) fn failed_authentication(&self, from: IpAddr) {
        let _ = self.bucket(Owner::Address(from), Rated::AuthFailure, true);
    }

    /// Forgets buckets that have refilled: they are as good as new, and the map stays as
    /// small as the set of recently active users and addresses.
    pub(crate) fn forget_full(&self) {
        let now = Instant::now();
        for shard in &self.shards {
            let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|(owner, what), b| {
                let limits = self.limits_of(*owner);
                let q = limits.quota(*what);
                let per_sec = f64::from(q.per_minute) / 60.0;
                // A limit turned off since leaves nothing to keep.
                limits.enabled
                    && q.per_minute > 0
                    && b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < f64::from(q.burst.max(1))
            });
        }
    }
}

impl Core {
    /// Refuses an authentication from an address that is out of failures.
    pub(crate) fn may_authenticate(&self, from: Option<IpAddr>) -> Result<(), Error> {
        from.map_or(Ok(()), |ip| self.rates().may_authenticate(ip))
    }

    /// Counts a failed authentication against its address: wrong or unknown credentials,
    /// not an expired token (clients refresh those as a matter of course).
    pub(crate) fn count_failure(&self, from: Option<IpAddr>, e: &Error) {
        if let (Some(ip), Error::Unauthorized(why)) = (from, e)
            && *why != AuthError::Expired
        {
            self.rates().failed_authentication(ip);
        }
    }

    /// Counts a failed key check against its address.
    pub(crate) fn count_key_failure(&self, from: Option<IpAddr>, check: &KeyCheck) {
        if let (Some(ip), false) = (from, matches!(check, KeyCheck::Valid(_) | KeyCheck::Disabled)) {
            self.rates().failed_authentication(ip);
        }
    }
}

impl Core {
    /// Reads every app's own rate limits into the node's limiter: at start, and every minute
    /// (so that what `palaver app limits` sets reaches every node).
    pub(crate) async fn reload_rate_limits(&self) -> Result<(), Error> {
        let rows = self.store().read(|c| apps::rate_limits(c)).await?;
        let defaults = self.config().rate_limits;
        let mut limits = HashMap::new();
        for (app, text) in rows {
            match serde_json::from_str::<RateOverrides>(&text) {
                Ok(o) => {
                    limits.insert(app, defaults.with(&o));
                }
                Err(_) => {
                    tracing::warn!(app = app.0, "an app's stored rate limits are not readable; using the server's")
                }
            }
        }
        self.rates().set_app_limits(limits);
        Ok(())
    }

    /// Changes an app's own rate limits: the settings `given` names replace the app's (all
    /// of them first dropped when `reset`). Returns the app's settings now; this node applies
    /// them at once, others within a minute.
    pub async fn set_app_rate_limits(
        &self,
        app_name: &str,
        given: RateOverrides,
        reset: bool,
    ) -> Result<RateOverrides, Error> {
        let name = app_name.to_string();
        let set = self
            .store()
            .write(move |tx| {
                let (app, before) = own_limits(tx.conn(), &name)?;
                let now = if reset { RateOverrides::default() } else { before }.merged(given);
                let text = if now == RateOverrides::default() {
                    String::new()
                } else {
                    serde_json::to_string(&now).map_err(Error::internal)?
                };
                apps::set_rate_limits(tx.conn(), app, &text)?;
                Ok::<_, Error>(now)
            })
            .await?;
        self.reload_rate_limits().await?;
        Ok(set)
    }

    /// An app's own rate limit settings.
    pub async fn app_rate_limits(&self, app_name: &str) -> Result<RateOverrides, Error> {
        let name = app_name.to_string();
        self.store().read(move |c| own_limits(c, &name).map(|(_, own)| own)).await
    }
}

/// The app with this name and its own rate limit settings (none when unreadable).
fn own_limits(conn: &mut dyn Conn, app_name: &str) -> Result<(AppId, RateOverrides), Error> {
    let (app, text) = apps::rate_limits_by_name(conn, app_name)?.ok_or(Error::NotFound(Entity::App))?;
    Ok((app, if text.is_empty() { RateOverrides::default() } else { serde_json::from_str(&text).unwrap_or_default() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(sends: Quota) -> RateLimiter {
        RateLimiter::new(RateLimits { sends, ..RateLimits::default() })
    }

    #[test]
    fn a_burst_is_taken_then_the_rate_refills() {
        let l = limiter(Quota { per_minute: 60, burst: 3 });
        for _ in 0..3 {
            l.user(AppId(1), UserId(1), Rated::Send).unwrap();
        }
        assert_eq!(l.user(AppId(1), UserId(1), Rated::Send), Err(Error::RateLimited { retry_after_secs: 1 }));
        l.user(AppId(1), UserId(2), Rated::Send).expect("another user has its own bucket");
        l.user(AppId(1), UserId(1), Rated::Typing).expect("another kind has its own bucket");
        std::thread::sleep(std::time::Duration::from_millis(1050));
        l.user(AppId(1), UserId(1), Rated::Send).expect("one refilled after a second");
    }

    #[test]
    fn failures_are_counted_and_looked_at_without_taking() {
        let l = RateLimiter::new(RateLimits { auth_failures: Quota { per_minute: 6, burst: 2 }, ..Default::default() });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        l.may_authenticate(ip).unwrap();
        l.may_authenticate(ip).unwrap();
        l.failed_authentication(ip);
        l.failed_authentication(ip);
        assert_eq!(l.may_authenticate(ip), Err(Error::RateLimited { retry_after_secs: 10 }));
        l.may_authenticate("192.0.2.2".parse().unwrap()).expect("other addresses are not affected");
        l.forget_full();
        assert!(l.may_authenticate(ip).is_err(), "a bucket that is not full is kept");
        let sends = RateLimits { sends: Quota { per_minute: 60, burst: 1 }, ..Default::default() };
        let l = RateLimiter::new(sends);
        l.user(AppId(3), UserId(1), Rated::Send).unwrap();
        let off = RateOverrides { enabled: Some(false), ..Default::default() };
        l.set_app_limits(HashMap::from([(AppId(3), sends.with(&off))]));
        l.forget_full();
        assert!(l.shards.iter().all(|s| s.lock().unwrap().is_empty()), "buckets of limits turned off go");
    }

    #[test]
    fn an_app_may_have_limits_of_its_own() {
        let l = limiter(Quota { per_minute: 60, burst: 1 });
        let own = RateOverrides { sends_per_minute: Some(8), ..Default::default() };
        l.set_app_limits(HashMap::from([(AppId(2), RateLimits::default().with(&own))]));
        l.user(AppId(1), UserId(1), Rated::Send).unwrap();
        assert!(l.user(AppId(1), UserId(1), Rated::Send).is_err(), "the server's limit: a burst of one");
        l.user(AppId(2), UserId(2), Rated::Send).unwrap();
        l.user(AppId(2), UserId(2), Rated::Send).unwrap();
        assert!(l.user(AppId(2), UserId(2), Rated::Send).is_err(), "the app's: 8 a minute, a burst of two");
        let merged = own.merged(RateOverrides { enabled: Some(false), ..Default::default() });
        assert_eq!((merged.enabled, merged.sends_per_minute), (Some(false), Some(8)));
    }

    #[test]
    fn zero_or_disabled_means_unlimited() {
        let l = limiter(Quota { per_minute: 0, burst: 0 });
        for _ in 0..100 {
            l.user(AppId(1), UserId(1), Rated::Send).unwrap();
        }
        let off = RateLimiter::new(RateLimits { enabled: false, ..Default::default() });
        for _ in 0..1000 {
            off.user(AppId(1), UserId(1), Rated::Upload).unwrap();
        }
    }
}
