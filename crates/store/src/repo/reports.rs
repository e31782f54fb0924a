//! Reports users make about users and messages.

use crate::db::{Conn, DbResult, Row};
use palaver_domain::{AppId, MessageId, Report, ReportTarget, RoomId, UserId};

/// A report with the external ids of the users it names, for listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedReport {
    /// The report.
    pub report: Report,
    /// The reporter's external id.
    pub reporter_external_id: String,
    /// The reported user's (or the message sender's) external id.
    pub user_external_id: String,
}

/// Records a report (its `id` is ignored); returns its id.
pub fn insert(conn: &mut dyn Conn, r: &Report) -> DbResult<i64> {
    let (user, message, room) = match r.target {
        ReportTarget::User(u) => (u.0, None, None),
        ReportTarget::Message { message, room, sender } => (sender.0, Some(message.0), Some(room.0)),
    };
    conn.query_int(
        "INSERT INTO reports (app_id, reporter_id, user_id, message_id, room_id, category, is_other_category, \
         reason, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        &[
            r.app.0.into(),
            r.reporter.0.into(),
            user.into(),
            message.into(),
            room.into(),
            r.category.as_str().into(),
            r.is_other_category.into(),
            r.reason.as_str().into(),
            r.created.into(),
        ],
    )
}

fn listed(r: &dyn Row) -> DbResult<ListedReport> {
    let user = UserId(r.int(3)?);
    let target = match (r.opt_int(4)?, r.opt_int(5)?) {
        (Some(message), Some(room)) => {
            ReportTarget::Message { message: MessageId(message), room: RoomId(room), sender: user }
        }
        _ => ReportTarget::User(user),
    };
    Ok(ListedReport {
        report: Report {
            id: r.int(0)?,
            app: AppId(r.int(1)?),
            reporter: UserId(r.int(2)?),
            target,
            category: r.text(6)?,
            is_other_category: r.bool(7)?,
            reason: r.text(8)?,
            created: r.int(9)?,
        },
        reporter_external_id: r.text(10)?,
        user_external_id: r.text(11)?,
    })
}

/// An app's reports, newest first, at most `limit`.
pub fn list(conn: &mut dyn Conn, app: AppId, limit: i64) -> DbResult<Vec<ListedReport>> {
    conn.query(
        "SELECT r.id, r.app_id, r.reporter_id, r.user_id, r.message_id, r.room_id, r.category, \
         r.is_other_category, r.reason, r.created, COALESCE(a.external_id, ''), COALESCE(b.external_id, '') \
         FROM reports r LEFT JOIN users a ON a.id = r.reporter_id LEFT JOIN users b ON b.id = r.user_id \
         WHERE r.app_id = $1 ORDER BY r.id DESC LIMIT $2",
        &[app.0.into(), limit.into()],
        listed,
    )
}
