//! Reports users make about other users and messages, kept for the app's operator.

use crate::Core;
use crate::lookup::{live_user, live_user_by_id, member_room};
use palaver_domain::limits::{MAX_REPORT_CATEGORY_CHARS, MAX_REPORT_REASON_CHARS, check_chars};
use palaver_domain::{
    AppId, Entity, Error, Field, Invalid, MessageId, Report, ReportTarget, RoomRef, UserId, UserRef, time::now_ms,
};
use palaver_store::repo::messages;
use palaver_store::repo::reports::{self, ListedReport};

/// What a reporter says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportDraft {
    /// The category (required).
    pub category: String,
    /// Whether the category is the reporter's own words.
    pub is_other_category: bool,
    /// The explanation (may be empty).
    pub reason: String,
}

impl ReportDraft {
    fn check(&self) -> Result<(), Error> {
        if self.category.trim().is_empty() {
            return Err(Error::invalid(Field::ReportCategory, Invalid::Missing));
        }
        check_chars(Field::ReportCategory, &self.category, MAX_REPORT_CATEGORY_CHARS)?;
        check_chars(Field::ReportReason, &self.reason, MAX_REPORT_REASON_CHARS)
    }
}

/// What a report is about, as a reporter names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reported {
    /// A user of the app other than the reporter.
    User(UserId),
    /// A message of a room the reporter is a participant of.
    Message {
        /// The message.
        message: MessageId,
        /// Its room.
        room: RoomRef,
    },
}

impl Core {
    /// Records a report by `reporter`; returns its id. A user is reported only by another
    /// user of its app, a message only by a participant of its room.
    pub async fn report(
        &self,
        app: AppId,
        reporter: UserId,
        about: Reported,
        draft: ReportDraft,
    ) -> Result<i64, Error> {
        draft.check()?;
        self.store()
            .write(move |tx| {
                live_user_by_id(tx.conn(), app, reporter)?;
                let target = match about {
                    Reported::User(id) => {
                        let user = live_user(tx.conn(), app, &UserRef::Id(id))?;
                        if user.id == reporter {
                            return Err(Error::invalid(Field::User, Invalid::SameUser));
                        }
                        ReportTarget::User(user.id)
                    }
                    Reported::Message { message, room } => {
                        let room = member_room(tx.conn(), app, reporter, &room)?;
                        let found = messages::by_ids(tx.conn(), app, &[message])?
                            .into_iter()
                            .find(|m| m.room == room.id)
                            .ok_or(Error::NotFound(Entity::Message))?;
                        ReportTarget::Message { message: found.id, room: room.id, sender: found.sender }
                    }
                };
                let report = Report {
                    id: 0,
                    app,
                    reporter,
                    target,
                    category: draft.category,
                    is_other_category: draft.is_other_category,
                    reason: draft.reason,
                    created: now_ms(),
                };
                Ok(reports::insert(tx.conn(), &report)?)
            })
            .await
    }

    /// The app's reports, newest first, at most `limit`.
    pub async fn reports(&self, app: AppId, limit: i64) -> Result<Vec<ListedReport>, Error> {
        self.store().read(move |c| Ok(reports::list(c, app, limit)?)).await
    }
}
