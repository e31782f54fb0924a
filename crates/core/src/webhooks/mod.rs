//! Webhooks: every committed change an app's endpoints ask for is POSTed to them, signed,
//! in commit order per room, retried with backoff until the receiver takes it, and logged.
//!
//! Deliveries read the change log, never live events: an endpoint's cursor says how far it
//! got, so a crash, a restart or a NATS outage loses nothing and nothing uncommitted is ever
//! sent. Each endpoint is held by one node at a time (a lease in its row, claimed with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL). A delivery is at least once: its `webhook-id` is
//! the same in every attempt, for receivers to drop repeats.
//!
//! What a delivery carries is a dialect's business ([`WebhookDialect`]): the faces render
//! TapTalk's and Qiscus' payloads, and Palaver's own ([`palaver::PalaverDialect`]) carries
//! every change.

mod deliver;
pub mod outbound;
pub mod palaver;
pub mod sealing;
pub mod signing;

use crate::Core;
use palaver_domain::{AppId, Change, ChangeId, Error, Field, Invalid, RoomId, User, time::now_ms};
use palaver_store::repo::webhooks::{self as repo, AttemptQuery, AttemptRow, EndpointRow};
use std::collections::HashMap;

pub use deliver::start;

/// The change names an endpoint may ask for (the `palaver` dialect's event names).
pub const EVENT_NAMES: &[&str] = &[
    "message.created",
    "message.edited",
    "message.deleted",
    "message.hidden",
    "history.cleared",
    "message.delivered",
    "message.read",
    "room.created",
    "room.updated",
    "room.locked",
    "room.unlocked",
    "room.deleted",
    "participant.added",
    "participant.removed",
    "participant.left",
    "participant.promoted",
    "participant.demoted",
    "user.created",
    "user.updated",
    "user.deleted",
    "user.deactivated",
    "user.reactivated",
    "contact.added",
    "contact.removed",
    "user.blocked",
    "user.unblocked",
    "room.muted",
    "room.unmuted",
    "room.pinned",
    "room.unpinned",
    "room.marked_unread",
    "room.marked_read",
];

/// Longest endpoint URL accepted.
const MAX_URL_CHARS: usize = 2048;

/// What a dialect needs besides the change to render it.
pub struct RenderContext<'a> {
    /// The participants of the rooms of the window's messages, for dialects that list them
    /// ([`WebhookDialect::needs_participants`]).
    pub participants: &'a HashMap<RoomId, Vec<User>>,
    /// The delivery's id (`webhook-id`).
    pub delivery_id: &'a str,
}

/// A rendered delivery.
pub struct Rendered {
    /// The event's name in the dialect (what the log shows and filters on).
    pub event: String,
    /// The JSON body.
    pub body: String,
}

/// A payload dialect: how a change looks to a receiver written for one platform.
pub trait WebhookDialect: Send + Sync {
    /// The name endpoints choose it by.
    fn name(&self) -> &'static str;
    /// The delivery for `change`, or `None` when the dialect sends nothing for it.
    fn render(&self, change: &Change, ctx: &RenderContext<'_>) -> Option<Rendered>;
    /// Headers the dialect adds for `body`, signed with the endpoint's `secret`.
    fn sign(&self, _secret: &str, _body: &[u8]) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// Whether [`RenderContext::participants`] must be filled.
    fn needs_participants(&self) -> bool {
        false
    }
}

/// A webhook endpoint as operators see it (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// Its app.
    pub app: AppId,
    /// Where deliveries go.
    pub url: String,
    /// The payload dialect.
    pub dialect: String,
    /// The change names delivered; empty for all.
    pub events: Vec<String>,
    /// Whether deliveries run.
    pub enabled: bool,
    /// Why it was disabled, when Palaver disabled it.
    pub disabled_reason: String,
    /// Failed attempts in a row.
    pub failures: i64,
    /// The change up to which everything was delivered.
    pub cursor: ChangeId,
    /// When it was added, Unix ms.
    pub created: i64,
}

impl From<EndpointRow> for Webhook {
    fn from(r: EndpointRow) -> Self {
        Webhook {
            id: r.id,
            app: r.app,
            url: r.url,
            dialect: r.dialect,
            events: r.events,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            failures: r.failures,
            cursor: r.cursor,
            created: r.created,
        }
    }
}

/// A new endpoint.
pub struct NewWebhook {
    /// Where deliveries go: an `http` or `https` URL.
    pub url: String,
    /// The payload dialect (one of the server's).
    pub dialect: String,
    /// The change names to deliver ([`EVENT_NAMES`]); empty for all.
    pub events: Vec<String>,
    /// The signing secret (`whsec_<base64>`); one is made when `None`.
    pub secret: Option<String>,
}

/// A delivery attempt, as the log shows it.
pub type Attempt = AttemptRow;

impl Core {
    /// Adds an endpoint to `app`; it receives the changes committed from now on. Returns it
    /// and its secret (shown once: only a sealed copy is kept).
    pub async fn add_webhook(&self, app: AppId, new: NewWebhook) -> Result<(Webhook, String), Error> {
        let url = new.url.trim().to_string();
        let uri: Option<http::Uri> = url.parse().ok();
        let valid = url.chars().count() <= MAX_URL_CHARS
            && uri.is_some_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some());
        if !valid {
            return Err(Error::invalid(Field::WebhookUrl, Invalid::Malformed));
        }
        if let Some(bad) = new.events.iter().find(|e| !EVENT_NAMES.contains(&e.as_str())) {
            tracing::debug!(event = %bad, "an unknown webhook event name");
            return Err(Error::invalid(Field::WebhookEvents, Invalid::Malformed));
        }
        let secret = match new.secret {
            Some(s) if signing::secret_key(&s).is_some() => s,
            Some(_) => return Err(Error::invalid(Field::WebhookSecret, Invalid::Malformed)),
            None => signing::new_secret(),
        };
        let sealed = self.sealer()?.seal(&secret);
        let row = EndpointRow {
            id: 0,
            app,
            url,
            dialect: new.dialect,
            events: new.events,
            sealed_secret: sealed,
            enabled: true,
            disabled_reason: String::new(),
            cursor: ChangeId(0),
            failures: 0,
            next_attempt: 0,
            created: now_ms(),
        };
        let added = self
            .store()
            .write(move |tx| {
                let mut row = row;
                row.cursor = ChangeId(palaver_store::repo::current_seq(tx.conn())?);
                row.id = repo::insert(tx.conn(), &row)?;
                Ok::<_, Error>(row)
            })
            .await?;
        Ok((added.into(), secret))
    }

    /// The endpoints of `app` (of every app with `None`).
    pub async fn webhooks(&self, app: Option<AppId>) -> Result<Vec<Webhook>, Error> {
        let rows = self.store().read(move |c| Ok::<_, Error>(repo::list(c, app)?)).await?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    /// Enables an endpoint of `app` (it resumes where it stopped, with nothing skipped) or
    /// disables it; false if `app` has no such endpoint.
    pub async fn set_webhook_enabled(&self, app: AppId, id: i64, enabled: bool) -> Result<bool, Error> {
        self.store()
            .write(move |tx| {
                if repo::get(tx.conn(), id)?.is_none_or(|e| e.app != app) {
                    return Ok(false);
                }
                Ok::<_, Error>(repo::set_enabled(tx.conn(), id, enabled, "")?)
            })
            .await
    }

    /// Removes an endpoint of `app` (its attempts stay in the log until they expire); false
    /// if there is none.
    pub async fn remove_webhook(&self, app: AppId, id: i64) -> Result<bool, Error> {
        self.store()
            .write(move |tx| {
                if repo::get(tx.conn(), id)?.is_none_or(|e| e.app != app) {
                    return Ok(false);
                }
                Ok::<_, Error>(repo::delete(tx.conn(), id)?)
            })
            .await
    }

    /// A page of `app`'s delivery attempts, newest first: of one endpoint or all, of some
    /// event names or all.
    pub async fn webhook_attempts(
        &self,
        app: AppId,
        endpoint: Option<i64>,
        events: Vec<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Attempt>, Error> {
        self.store()
            .read(move |c| {
                let names: Vec<&str> = events.iter().map(String::as_str).collect();
                let q = AttemptQuery { app, endpoint, events: &names, limit, offset };
                Ok::<_, Error>(repo::attempts(c, &q)?)
            })
            .await
    }

    /// Deletes attempts older than the log's retention; returns how many went.
    pub async fn purge_webhook_attempts(&self) -> Result<usize, Error> {
        let cutoff = now_ms() - self.config().webhooks.log_retention_ms;
        let mut total = 0;
        loop {
            let n = self
                .store()
                .write(move |tx| {
                    Ok::<_, Error>(repo::purge_attempts(tx.conn(), cutoff, crate::housekeeping::PURGE_BATCH)?)
                })
                .await?;
            total += n;
            if n < crate::housekeeping::PURGE_BATCH {
                return Ok(total);
            }
        }
    }

    /// The sealer of webhook secrets (see [`sealing`]).
    fn sealer(&self) -> Result<sealing::Sealer, Error> {
        sealing::Sealer::load(self.config().secret_key.as_deref(), &self.config().data_dir)
    }
}

/// How webhooks are delivered.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Deliver to loopback, private and link-local addresses too.
    pub allow_private: bool,
    /// Waits before each retry, ms; the last repeats until the endpoint is disabled.
    pub retry_delays_ms: Vec<u64>,
    /// Failed attempts in a row after which an endpoint is disabled.
    pub disable_after_failures: i64,
    /// How long a connection may take, ms.
    pub connect_timeout_ms: u64,
    /// How long a whole request may take, ms.
    pub timeout_ms: u64,
    /// How long attempts stay in the log, ms.
    pub log_retention_ms: i64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        let minute = 60_000;
        Self {
            allow_private: false,
            // About a day of retries: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h.
            retry_delays_ms: vec![5_000, 30_000, 2 * minute, 10 * minute, 30 * minute, 60 * minute, 180 * minute],
            disable_after_failures: 14,
            connect_timeout_ms: 5_000,
            timeout_ms: 15_000,
            log_retention_ms: 14 * 24 * 60 * minute as i64,
        }
    }
}
