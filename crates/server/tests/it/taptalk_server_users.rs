//! `/v1/server/user/*` and `/v1/server/auth_ticket/request`.

use crate::support::{TestApp, assert_error};
use serde_json::{Value, json};

/// Every key of the TapTalk user object (seed 001 participant shape plus SDK fields).
pub const USER_KEYS: &[&str] = &[
    "userID",
    "xcUserID",
    "fullname",
    "email",
    "isEmailVerified",
    "countryID",
    "countryCallingCode",
    "phone",
    "phoneWithCode",
    "isPhoneVerified",
    "username",
    "imageURL",
    "userRole",
    "lastLogin",
    "lastActivity",
    "isOnline",
    "created",
    "updated",
    "deleted",
];

pub fn assert_user_shape(u: &Value) {
    for k in USER_KEYS {
        assert!(u.get(*k).is_some(), "user lacks {k}: {u}");
    }
    assert!(u["userID"].as_str().unwrap().parse::<i64>().is_ok(), "userID is a numeric string");
    assert!(u["imageURL"]["thumbnail"].is_string() && u["imageURL"]["fullsize"].is_string());
    assert!(
        u["userRole"]["code"].is_string() && u["userRole"]["name"].is_string() && u["userRole"]["iconURL"].is_string()
    );
}

#[tokio::test]
async fn update_creates_then_updates_the_same_user() {
    let app = TestApp::spawn().await;
    let created = app
        .server_ok(
            "/v1/server/user/update",
            json!({"xcUserID": "6", "fullName": "Jony Lim", "email": "jony@example.com", "phone": "628992816351",
                   "username": "jony", "photoThumbnailURL": "http://x/t.jpg", "photoFullsizeURL": "http://x/f.jpg",
                   "userRoleCode": "developer"}),
        )
        .await;
    let id = created["userID"].as_str().unwrap().to_string();
    let updated = app.server_ok("/v1/server/user/update", json!({"xcUserID": "6", "fullName": "Jony L."})).await;
    assert_eq!(updated["userID"], id.as_str(), "same xcUserID, same user");

    let user = app.server_ok("/v1/server/user/get", json!({"xcUserID": "6"})).await["user"].clone();
    assert_user_shape(&user);
    assert_eq!(user["fullname"], "Jony L.");
    assert_eq!(user["email"], "jony@example.com", "fields left out keep their values");
    assert_eq!(user["username"], "jony");
    assert_eq!(user["phone"], "628992816351");
    assert_eq!(user["imageURL"], json!({"thumbnail": "http://x/t.jpg", "fullsize": "http://x/f.jpg"}));
    assert_eq!(user["userRole"]["code"], "developer");
    assert_eq!(user["deleted"], 0);
    assert!(user["created"].as_i64().unwrap() > 1_600_000_000_000, "times are Unix milliseconds");
}

#[tokio::test]
async fn user_update_validates_its_parameters() {
    let app = TestApp::spawn().await;
    let env = app.server("/v1/server/user/update", json!({"fullName": "X"})).await;
    assert_error(&env, 400, "40002", "Param 'xcUserID' is required", "105");
    let env = app.server("/v1/server/user/update", json!({"xcUserID": "u1"})).await;
    assert_error(&env, 400, "40002", "Param 'fullName' is required", "106");
    let env = app.server("/v1/server/user/update", json!({"xcUserID": "x".repeat(51), "fullName": "X"})).await;
    assert_error(&env, 400, "40002", "Param 'xcUserID' length must be between 1 and 50", "105");
    let env = app.server("/v1/server/user/update", json!({"xcUserID": "u1", "fullName": "X", "email": ["a"]})).await;
    assert_error(&env, 400, "40002", "Param 'email' must be a string", "107");
    let env = app.server("/v1/server/user/get", json!({"xcUserID": "u1"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");
}

#[tokio::test]
async fn get_and_delete_answer_not_found_for_unknown_users() {
    let app = TestApp::spawn().await;
    let env = app.server("/v1/server/user/get", json!({"xcUserID": "ghost"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");
    let env = app.server("/v1/server/user/delete", json!({"xcUserID": "ghost"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");
    let env = app.server("/v1/server/user/get", json!({})).await;
    assert_error(&env, 400, "40002", "Param 'xcUserID' is required", "101");
}

#[tokio::test]
async fn delete_removes_the_user_locks_personal_rooms_and_leaves_groups() {
    let app = TestApp::spawn().await;
    app.user("1", "Ann").await;
    app.user("6", "Bob").await;
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "hi", "senderXCUserID": "1", "recipientXCUserID": "6"}),
    )
    .await;
    app.server_ok(
        "/v1/server/room/create_or_update",
        json!({"xcRoomID": "G1", "type": 2, "name": "G", "participantXCUserIDs": ["1", "6"]}),
    )
    .await;

    let d = app.server_ok("/v1/server/user/delete", json!({"xcUserID": "6"})).await;
    assert_eq!(d, json!({"success": true, "message": "The user has been deleted successfully"}));
    let env = app.server("/v1/server/user/get", json!({"xcUserID": "6"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");

    let group = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "G1"})).await;
    let members: Vec<&str> =
        group["participants"].as_array().unwrap().iter().map(|p| p["xcUserID"].as_str().unwrap()).collect();
    assert_eq!(members, vec!["1"], "the deleted user left the group");

    let rooms = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "1"})).await["rooms"].clone();
    let personal = rooms.as_array().unwrap().iter().find(|r| r["room"]["type"] == 1).expect("personal room listed");
    assert_eq!(personal["room"]["isLocked"], true, "the personal room with a deleted user is locked");
    assert!(personal["room"]["lockedTime"].as_i64().unwrap() > 0);

    let env = app
        .server(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": "still there?", "senderXCUserID": "1", "recipientXCUserID": "6"}),
        )
        .await;
    assert_error(&env, 404, "40401", "User is not found", "");
}

#[tokio::test]
async fn auth_ticket_upserts_the_user_and_issues_distinct_tickets() {
    let app = TestApp::spawn().await;
    let body = json!({"userIPAddress": "10.0.0.1", "userAgent": "curl", "userPlatform": "web", "userDeviceID": "d1",
                      "xcUserID": "42", "fullName": "Dee", "email": "dee@example.com"});
    let a = app.server_ok("/v1/server/auth_ticket/request", body.clone()).await;
    let b = app.server_ok("/v1/server/auth_ticket/request", body).await;
    let (ta, tb) = (a["ticket"].as_str().unwrap(), b["ticket"].as_str().unwrap());
    assert!(ta.len() >= 32 && ta != tb, "tickets are long and single-use: {ta} {tb}");
    assert_eq!(a["userID"], b["userID"]);
    let user = app.server_ok("/v1/server/user/get", json!({"xcUserID": "42"})).await["user"].clone();
    assert_eq!(user["userID"], a["userID"]);
    assert_eq!(user["email"], "dee@example.com");

    let env = app.server("/v1/server/auth_ticket/request", json!({"fullName": "x"})).await;
    assert_error(&env, 400, "40002", "Param 'xcUserID' is required", "105");
    let env = app
        .server("/v1/server/auth_ticket/request", json!({"xcUserID": "42", "fullName": "x", "userAgent": 5.5}))
        .await;
    assert_eq!(env["status"], 200, "numbers are accepted where strings are expected");
    let env =
        app.server("/v1/server/auth_ticket/request", json!({"xcUserID": "42", "fullName": "x", "userAgent": {}})).await;
    assert_error(&env, 400, "40002", "Param 'userAgent' must be a string", "102");

    // Secrets are stored as hashes only: neither the ticket nor the TapTalk key secrets appear
    // in any row of any table. (The Qiscus secret key is the one kept as it is: identity
    // tokens are HMAC-signed with it, which only the key itself can check.)
    let stored = crate::support::database_text(&app).await;
    for secret in [ta, tb, &app.creds.server_key_secret, &app.creds.app_key_secret] {
        assert!(!stored.contains(secret), "a secret is stored in plaintext");
    }
    assert_eq!(stored.matches(app.creds.qiscus_secret.as_str()).count(), 1, "the Qiscus secret is kept once");
    assert!(stored.contains(&app.creds.server_key_id), "sanity check: the database is where we looked");
}
