//! Push tokens of the caller's devices: `set_user_device_token`, `remove_user_device_token`.
//! They are kept per user and platform; Palaver sends no push notifications yet, so the
//! answers say that no platform is configured.

use super::UserCall;
use crate::Qiscus;
use crate::envelope::{ApiResult, Reply};
use crate::params::required;
use axum::extract::State;
use palaver_core::PushToken;
use serde_json::{Value, json};

async fn set(q: Qiscus, call: UserCall, add: bool) -> ApiResult<Value> {
    let p = &call.params;
    let token = PushToken {
        token: p.opt_nonempty("device_token")?.ok_or_else(|| required("device_token"))?,
        platform: p.opt_nonempty("device_platform")?.unwrap_or_else(|| "rn".into()),
        is_development: p.opt_bool("is_development")?.unwrap_or(false),
    };
    let changed = q.core.set_push_token(call.user.id, token, add).await?;
    Ok(Reply(json!({"changed": changed, "pn_android_configured": false, "pn_ios_configured": false})))
}

/// `set_user_device_token`: records a device's push token.
pub async fn set_user_device_token(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    set(q, call, true).await
}

/// `remove_user_device_token`: forgets a device's push token.
pub async fn remove_user_device_token(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    set(q, call, false).await
}
