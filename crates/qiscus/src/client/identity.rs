//! Login with an identity token (notes section 2.4): the client asks for a nonce
//! (`auth/nonce`), the customer's backend signs a JWT naming the user and that nonce with the
//! app's secret key (HS256), and the client trades it for its account
//! (`auth/verify_identity_token`). The nonce works once and for ten minutes.

use super::AppCall;
use super::account::account_answer;
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::required;
use crate::validate;
use axum::extract::State;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use palaver_core::UserUpsert;
use palaver_domain::UserProfile;
use palaver_domain::limits::MAX_NAME_CHARS;
use serde::Deserialize;
use serde_json::{Value, json};

/// Seconds of clock difference tolerated between the customer's backend and Palaver.
const LEEWAY_SECS: u64 = 30;

/// The claims Palaver reads from an identity token.
#[derive(Deserialize)]
struct Claims {
    /// The user's id.
    prn: String,
    /// The nonce.
    nce: String,
    /// Display name.
    #[serde(default)]
    name: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    avatar_url: Option<String>,
    /// Extras (an object).
    #[serde(default)]
    extras: Option<Value>,
}

/// `auth/nonce`: a fresh nonce and when it expires (Unix seconds).
pub async fn nonce(State(q): State<Qiscus>, call: AppCall) -> ApiResult<Value> {
    let (nonce, expires) = q.core.issue_login_nonce(call.app).await?;
    Ok(Reply(json!({"nonce": nonce, "expired_at": expires / 1000})))
}

/// `auth/verify_identity_token`: checks the token's signature (HS256 with the app's secret
/// key), issuer (the app id), times and nonce, then logs the user in, registering it (with
/// the token's name and avatar) if it is new.
pub async fn verify_identity_token(State(q): State<Qiscus>, call: AppCall) -> ApiResult<Value> {
    let token = call.params.opt_nonempty("identity_token")?.ok_or_else(|| required("identity_token"))?;
    q.core.may_log_in(call.from)?;
    // The current secret, then previous ones in their grace period after a rotation.
    let secrets = q.core.signing_secrets(crate::SECRET.name, &call.app_code).await?;
    if secrets.is_empty() {
        return Err(ApiError::unauthorized("This app keeps no secret key to check identity tokens with"));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[call.app_code.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    let mut decoded = Err(None);
    for secret in &secrets {
        decoded = decode::<Claims>(&token, &DecodingKey::from_secret(secret.as_bytes()), &validation).map_err(Some);
        if decoded.is_ok() {
            break;
        }
    }
    let claims = decoded
        .map_err(|e| {
            q.core.note_failed_login(call.from);
            let why = e.map(|e| e.to_string()).unwrap_or_default();
            ApiError::unauthorized(format!("Invalid identity token: {why}"))
        })?
        .claims;
    if !q.core.take_login_nonce(call.app, &claims.nce).await? {
        return Err(ApiError::unauthorized("The identity token's nonce is unknown, used or expired"));
    }
    let id = validate::external_id(claims.prn, "prn")?;
    let name = claims.name.filter(|n| !n.is_empty());
    if let Some(n) = &name {
        validate::max_chars(n, "name", MAX_NAME_CHARS)?;
    }
    let avatar = claims.avatar_url.filter(|a| !a.is_empty());
    let extras = match claims.extras {
        Some(v @ Value::Object(_)) => Some(v.to_string()),
        _ => None,
    };
    let upsert = UserUpsert {
        id,
        profile: UserProfile {
            fullname: name,
            photo_thumb: avatar.clone(),
            photo_full: avatar,
            extras,
            ..Default::default()
        },
        name_required: false,
        with_login: true,
        password: None,
    };
    let (user, _) = q.core.upsert_user(call.app, upsert).await?;
    account_answer(&q, &user, &call.app_code).await
}
