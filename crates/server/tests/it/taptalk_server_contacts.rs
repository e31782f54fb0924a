//! `/v1/server/contact/sync` (seed 004).

use crate::support::{TestApp, assert_error};
use palaver_domain::UserId;
use serde_json::json;

async fn contact_xcs(app: &TestApp, owner_user_id: &str) -> Vec<String> {
    let id = UserId(owner_user_id.parse().unwrap());
    let mut xcs: Vec<String> = app.core.contacts_of(id).await.unwrap().into_iter().map(|u| u.external_id).collect();
    xcs.sort();
    xcs
}

#[tokio::test]
async fn seed_example_counts_real_rows() {
    let app = TestApp::spawn().await;
    let one = app.user("1", "One").await;
    let six = app.user("6", "Six").await;
    app.user("2", "Two").await;
    app.user("9", "Nine").await;
    // 1 -> 9 exists before the seed's request deletes it.
    let d = app
        .server_ok("/v1/server/contact/sync", json!({"contacts": [{"ownerXCUserID": "1", "contactXCUserID": "9"}]}))
        .await;
    assert_eq!(d, json!({"countInserted": 1, "countDeleted": 0}));

    let seed = r#"{
    "contacts": [
        {
            "ownerXCUserID": "1",
            "contactXCUserID": "2"
        },
        {
            "ownerXCUserID": "1",
            "contactXCUserID": "6",
            "isDeleted": false
        },
        {
            "ownerXCUserID": "1",
            "contactXCUserID": "9",
            "isDeleted": true
        },
        {
            "ownerXCUserID": "6",
            "contactXCUserID": "1",
            "isDeleted": false
        }
    ]
}"#;
    let env = app.request("POST", "/v1/server/contact/sync", &[("Server-Key", &app.creds.server_key)], seed).await.body;
    assert_eq!(
        env,
        json!({"status": 200, "error": {"code": "", "message": "", "field": ""}, "data": {"countInserted": 3, "countDeleted": 1}})
    );
    assert_eq!(contact_xcs(&app, &one).await, vec!["2", "6"]);
    assert_eq!(contact_xcs(&app, &six).await, vec!["1"], "contacts are one-way");

    // The same request again inserts and deletes nothing: the counts are real row counts.
    let d = app.server_ok("/v1/server/contact/sync", serde_json::from_str(seed).unwrap()).await;
    assert_eq!(d, json!({"countInserted": 0, "countDeleted": 0}));
}

#[tokio::test]
async fn deletion_runs_last_so_a_duplicate_pair_ends_deleted() {
    let app = TestApp::spawn().await;
    let a = app.user("a", "A").await;
    app.user("b", "B").await;
    let d = app
        .server_ok(
            "/v1/server/contact/sync",
            json!({"contacts": [
                {"ownerXCUserID": "a", "contactXCUserID": "b", "isDeleted": true},
                {"ownerXCUserID": "a", "contactXCUserID": "b", "isDeleted": "false"}
            ]}),
        )
        .await;
    assert_eq!(d, json!({"countInserted": 0, "countDeleted": 0}));
    assert!(contact_xcs(&app, &a).await.is_empty(), "the pair ends deleted");

    app.server_ok("/v1/server/contact/sync", json!({"contacts": [{"ownerXCUserID": "a", "contactXCUserID": "b"}]}))
        .await;
    let d = app
        .server_ok(
            "/v1/server/contact/sync",
            json!({"contacts": [
                {"ownerXCUserID": "a", "contactXCUserID": "b"},
                {"ownerXCUserID": "a", "contactXCUserID": "b", "isDeleted": "true"}
            ]}),
        )
        .await;
    assert_eq!(d, json!({"countInserted": 0, "countDeleted": 1}));
    assert!(contact_xcs(&app, &a).await.is_empty());
}

#[tokio::test]
async fn contact_sync_errors_change_nothing() {
    let app = TestApp::spawn().await;
    let a = app.user("a", "A").await;
    app.user("b", "B").await;
    let env = app.server("/v1/server/contact/sync", json!({"contacts": []})).await;
    assert_error(&env, 400, "40002", "Param 'contacts' cannot be empty", "101");
    let env = app.server("/v1/server/contact/sync", json!({})).await;
    assert_error(&env, 400, "40002", "Param 'contacts' is required", "101");
    let env = app.server("/v1/server/contact/sync", json!({"contacts": "a,b"})).await;
    assert_error(&env, 400, "40002", "Param 'contacts' must be a list of objects", "101");
    let env = app.server("/v1/server/contact/sync", json!({"contacts": [{"contactXCUserID": "b"}]})).await;
    assert_error(&env, 400, "40002", "Param 'ownerXCUserID' is required", "102");
    let env = app.server("/v1/server/contact/sync", json!({"contacts": [{"ownerXCUserID": "a"}]})).await;
    assert_error(&env, 400, "40002", "Param 'contactXCUserID' is required", "103");
    let env = app
        .server(
            "/v1/server/contact/sync",
            json!({"contacts": [{"ownerXCUserID": "a", "contactXCUserID": "b", "isDeleted": "maybe"}]}),
        )
        .await;
    assert_error(&env, 400, "40002", "Param 'isDeleted' must be a boolean", "104");
    // One unknown user fails the whole request; the valid line before it is not applied.
    let env = app
        .server(
            "/v1/server/contact/sync",
            json!({"contacts": [{"ownerXCUserID": "a", "contactXCUserID": "b"}, {"ownerXCUserID": "a", "contactXCUserID": "nobody"}]}),
        )
        .await;
    assert_error(&env, 404, "40401", "User is not found", "");
    assert!(contact_xcs(&app, &a).await.is_empty(), "nothing was written");
}
