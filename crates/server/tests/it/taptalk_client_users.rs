//! `client/user/*`, `client/contact/*` and files.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn users_are_found_by_id_xc_id_username_and_in_bulk() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "bob", "fullName": "Bob", "username": "BobTheBuilder"}))
        .await;
    let d = app.client_ok(&alice, "/v1/client/user/get_by_id", json!({"id": bob.user_id})).await;
    assert_eq!(d["user"]["xcUserID"], "bob");
    crate::taptalk_server_users::assert_user_shape(&d["user"]);
    let d = app.client_ok(&alice, "/v1/client/user/get_by_xcuserid", json!({"xcUserID": "bob"})).await;
    assert_eq!(d["user"]["userID"], bob.user_id.as_str());
    let d = app
        .client_ok(&alice, "/v1/client/user/get_by_username", json!({"username": "bobthebuilder", "ignoreCase": true}))
        .await;
    assert_eq!(d["user"]["userID"], bob.user_id.as_str());
    let env = app
        .client(&alice, "/v1/client/user/get_by_username", json!({"username": "bobthebuilder", "ignoreCase": false}))
        .await;
    assert_eq!(env["error"]["code"], "40401");
    let d = app
        .client_ok(&alice, "/v1/client/user/get_all_by_ids", json!({"ids": [alice.user_id, bob.user_id, "424242"]}))
        .await;
    assert_eq!(d["users"].as_array().unwrap().len(), 2);
    let env = app.client(&alice, "/v1/client/user/get_by_id", json!({"id": "not-a-number"})).await;
    assert_eq!(env["error"], json!({"code": "40002", "message": "Param 'id' must be a user ID", "field": "id"}));
}

#[tokio::test]
async fn contacts_are_one_way_and_blocking_is_told_to_the_blockers_sessions() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "carol", "fullName": "Carol", "phone": "6281111"}))
        .await;
    let d = app.client_ok(&alice, "/v1/client/contact/add", json!({"userID": bob.user_id})).await;
    assert_eq!((d["success"].clone(), d["user"]["userID"].clone()), (json!(true), json!(bob.user_id)));
    let d = app.client_ok(&alice, "/v1/client/contact/add_by_phones", json!({"phones": ["6281111", "000"]})).await;
    assert_eq!(d["users"][0]["xcUserID"], "carol");
    let list = app.client_ok(&alice, "/v1/client/contact/list", json!("")).await;
    let names: Vec<&str> =
        list["contacts"].as_array().unwrap().iter().map(|c| c["user"]["fullname"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Bob", "Carol"]);
    assert_eq!(list["contacts"][0]["user"]["isContact"], true);
    assert!(
        app.client_ok(&bob, "/v1/client/contact/list", json!("")).await["contacts"].as_array().unwrap().is_empty(),
        "one-way"
    );
    let d = app.client_ok(&alice, "/v1/client/contact/remove", json!({"userID": bob.user_id})).await;
    assert_eq!(d["success"], true);

    let mut a = app.ws(&alice).await;
    let d = app.client_ok(&alice, "/v1/client/contact/block", json!({"userID": bob.user_id})).await;
    assert_eq!(d["user"]["userID"], bob.user_id.as_str());
    assert_eq!(a.expect("user/block").await["user"]["userID"], bob.user_id.as_str());
    let d = app.client_ok(&alice, "/v1/client/contact/get_blocked_list", json!("")).await;
    assert_eq!(d["blockedContacts"][0]["userID"], bob.user_id.as_str());
    assert_eq!(d["users"], d["blockedContacts"]);
    let d = app.client_ok(&alice, "/v1/client/contact/get_blocked_user_ids", json!("")).await;
    assert_eq!(d["blockedUserIDs"], json!([bob.user_id]));
    app.client_ok(&alice, "/v1/client/contact/unblock", json!({"userID": bob.user_id})).await;
    a.expect("user/unblock").await;
    assert_eq!(
        app.client_ok(&alice, "/v1/client/contact/get_blocked_user_ids", json!("")).await["blockedUserIDs"],
        json!([])
    );
}
