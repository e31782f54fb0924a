//! `client/chat_report/*`: users reporting users and messages to the app's operator.

use super::auth::Client;
use super::rooms::room_ref;
use super::users::user_id;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, ParamNames, Reply};
use crate::params::Params;
use axum::extract::State;
use palaver_core::{ReportDraft, Reported};
use palaver_domain::{Field, MessageId};

const PARAMS: ParamNames = &[(Field::User, "userID", "userID")];

/// The report's own fields: `category` (required), `isOtherCategory`, `reason`.
fn draft(p: &Params) -> Result<ReportDraft, ApiError> {
    Ok(ReportDraft {
        category: p.req_str("category", "category")?,
        is_other_category: p.opt_bool("isOtherCategory", "isOtherCategory")?.unwrap_or(false),
        reason: p.opt_str("reason", "reason")?.unwrap_or_default(),
    })
}

async fn submit(t: TapTalk, c: Client, about: Reported, draft: ReportDraft) -> ApiResult<Outcome> {
    t.core.report(c.session.app, c.session.user.id, about, draft).await.map_err(|e| ApiError::from_core(e, PARAMS))?;
    Ok(Reply(Outcome::done("Your report has been submitted")))
}

/// `client/chat_report/submit_user`: `{userID, category, isOtherCategory, reason}`.
pub async fn submit_user(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let user = user_id(&p, "userID")?;
    submit(t, c, Reported::User(user), draft(&p)?).await
}

/// `client/chat_report/submit_message`: `{messageID, roomID, category, isOtherCategory,
/// reason}`; the reporter must be a participant of the room.
pub async fn submit_message(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let message = p.req_str("messageID", "messageID")?;
    let message = message
        .parse()
        .map(MessageId)
        .map_err(|_| ApiError::param("Param 'messageID' must be a message ID", "messageID"))?;
    let room = room_ref(&p)?;
    submit(t, c, Reported::Message { message, room }, draft(&p)?).await
}
