//! `client/contact/*`: one-way contacts and blocking.

use super::auth::Client;
use super::users::{user_id, users_for};
use crate::TapTalk;
use crate::envelope::{ApiResult, Outcome, Reply};
use crate::params::Params;
use axum::extract::State;
use palaver_domain::UserRef;
use serde_json::{Value, json};

/// `client/contact/list`.
pub async fn list(State(t): State<TapTalk>, c: Client) -> ApiResult<Value> {
    let me = c.session.user.id;
    let users = t.core.contacts_of(me).await?;
    let contacts: Vec<Value> = users_for(&t, me, &users)
        .await?
        .into_iter()
        .map(|u| json!({"user": u, "isRequestPending": false, "isRequestAccepted": true}))
        .collect();
    Ok(Reply(json!({ "contacts": contacts })))
}

/// `client/contact/add`.
pub async fn add(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let me = c.session.user.id;
    let user = t.core.add_contact(c.session.app, me, UserRef::Id(user_id(&p, "userID")?)).await?;
    let dto = users_for(&t, me, &[user]).await?.pop();
    Ok(Reply(json!({"success": true, "message": "The contact has been added", "user": dto})))
}

/// `client/contact/add_by_phones`: adds every user with one of the numbers.
pub async fn add_by_phones(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let me = c.session.user.id;
    let phones = p.req_str_list("phones", "phones")?;
    let users = t.core.add_contacts_by_phones(c.session.app, me, phones).await?;
    Ok(Reply(json!({ "users": users_for(&t, me, &users).await? })))
}

/// `client/contact/remove`.
pub async fn remove(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let removed = t.core.remove_contact(c.session.app, c.session.user.id, user_id(&p, "userID")?).await?;
    Ok(Reply(if removed {
        Outcome::done("The contact has been removed")
    } else {
        Outcome { success: false, message: "The user is not a contact".into() }
    }))
}

/// `client/contact/block`: the blocked user can no longer message the blocker personally.
pub async fn block(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let me = c.session.user.id;
    let user = t.core.set_blocked(c.session.app, me, user_id(&p, "userID")?, true).await?;
    let dto = users_for(&t, me, &[user]).await?.pop();
    Ok(Reply(json!({"success": true, "message": "The user has been blocked", "user": dto})))
}

/// `client/contact/unblock`.
pub async fn unblock(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    t.core.set_blocked(c.session.app, c.session.user.id, user_id(&p, "userID")?, false).await?;
    Ok(Reply(Outcome::done("The user has been unblocked")))
}

/// `client/contact/get_blocked_list`: under both keys the SDKs read.
pub async fn blocked_list(State(t): State<TapTalk>, c: Client) -> ApiResult<Value> {
    let me = c.session.user.id;
    let users = users_for(&t, me, &t.core.blocked_users(me).await?).await?;
    Ok(Reply(json!({"blockedContacts": users, "users": users})))
}

/// `client/contact/get_blocked_user_ids`: under both keys the SDKs read.
pub async fn blocked_ids(State(t): State<TapTalk>, c: Client) -> ApiResult<Value> {
    let ids: Vec<String> = t.core.blocked_users(c.session.user.id).await?.iter().map(|u| u.id.0.to_string()).collect();
    Ok(Reply(json!({"blockedUserIDs": ids, "unreadRoomIDs": ids})))
}
