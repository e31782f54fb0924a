//! Qiscus Server API participants (seed 002): add_room_participants,
//! remove_room_participants, get_room_participants.

use crate::qiscus_rooms::{seed_group, seed_users};
use crate::support::{TestApp, assert_qiscus_error};
use serde_json::{Value, json};

const LIU_KANG: &str = "https://myimagebucket.com/image.jpg";

fn room_id(results: &Value) -> String {
    results["room"]["room_id"].as_str().unwrap().to_string()
}

fn user_ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|u| u["user_id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn seed_add_and_remove_room_participants() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let id = room_id(&seed_group(&app).await);
    let liu = json!({"avatar_url": LIU_KANG, "user_id": "user1@email.com", "username": "Liu Kang", "extras": {}, "active": true});

    let added =
        app.qiscus_ok("POST", "add_room_participants", json!({"room_id": id, "user_ids": ["user1@email.com"]})).await;
    assert_eq!(added, json!({"participants_added": [liu]}));
    let again =
        app.qiscus_ok("POST", "add_room_participants", json!({"room_id": id, "user_ids": ["user1@email.com"]})).await;
    assert_eq!(again, json!({"participants_added": []}), "only users not yet in are reported");

    // The seed writes `user_ids` without brackets for removal; both spellings work.
    let removed = app
        .qiscus_ok("POST", "remove_room_participants", json!({"room_id": id, "user_ids": ["user1@email.com"]}))
        .await;
    assert_eq!(removed, json!({"participants_removed": [liu]}));
    let again = app
        .qiscus_ok("POST", "remove_room_participants", json!({"room_id": id, "user_ids[]": ["user1@email.com"]}))
        .await;
    assert_eq!(again, json!({"participants_removed": []}));
    let members = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id})).await;
    assert_eq!(user_ids(&members["participants"]), vec!["guest@qiscus.com", "guest2@qiscus.com"]);
}

#[tokio::test]
async fn participant_changes_need_a_group_room_and_known_users() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let group = room_id(&seed_group(&app).await);
    let single = room_id(
        &app.qiscus_ok(
            "POST",
            "get_or_create_room_with_target",
            json!({"user_ids": ["guest@qiscus.com", "guest2@qiscus.com"]}),
        )
        .await,
    );
    let too_many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    for action in ["add_room_participants", "remove_room_participants"] {
        let cases = [
            (json!({"room_id": single, "user_ids": ["user1@email.com"]}), 400, "The room is not a group room"),
            (json!({"room_id": "31337", "user_ids": ["user1@email.com"]}), 404, "Room is not found"),
            (json!({"room_id": group, "user_ids": ["user1@email.com", "ghost"]}), 404, "User is not found"),
            (json!({"room_id": group}), 400, "Param 'user_ids' is required"),
            (json!({"room_id": group, "user_ids": too_many}), 400, "Param 'user_ids' lists more than 100 users"),
            (json!({"user_ids": ["user1@email.com"]}), 400, "Param 'room_id' is required"),
        ];
        for (body, status, message) in cases {
            assert_qiscus_error(&app.qiscus("POST", action, body).await, status, message);
        }
    }
    let members = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": group})).await;
    assert_eq!(members["meta"]["total"], 2, "nothing was written");
}

#[tokio::test]
async fn a_group_holds_at_most_100_participants() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let group = room_id(&seed_group(&app).await);
    let ids: Vec<String> = (0..99).map(|i| format!("member{i}")).collect();
    for id in &ids {
        app.qiscus_user(id, id).await;
    }
    let a = app.qiscus("POST", "add_room_participants", json!({"room_id": group, "user_ids": ids})).await;
    assert_qiscus_error(&a, 400, "A room has at most 100 participants");
    let members = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": group})).await;
    assert_eq!(members["meta"]["total"], 2, "none of them was added");
    let r =
        app.qiscus_ok("POST", "add_room_participants", json!({"room_id": group, "user_ids": ids[..98].to_vec()})).await;
    assert_eq!(r["participants_added"].as_array().unwrap().len(), 98);
}

#[tokio::test]
async fn seed_get_room_participants_pages() {
    let app = TestApp::spawn().await;
    // Guest2 registers first: participants who joined together are listed by registration.
    app.qiscus_user("guest2@qiscus.com", "Qiscus Guest2").await;
    app.qiscus_user("guest@qiscus.com", "Qiscus Demo").await;
    let avatar2 =
        "https://d1edrlpyc25xu0.cloudfront.net/kiwari-prod/image/upload/0AlS8O2rr_/1507606591-  Lina_icon.png";
    let avatar = "https://d1edrlpyc25xu0.cloudfront.net/kiwari-prod/image/upload/75r6s_jOHa/1507541871-avatar-mine.png";
    app.qiscus_ok("POST", "login_or_register", json!({"user_id": "guest2@qiscus.com", "avatar_url": avatar2})).await;
    app.qiscus_ok("POST", "login_or_register", json!({"user_id": "guest@qiscus.com", "avatar_url": avatar})).await;
    let id = room_id(
        &app.qiscus_ok("POST", "create_room", json!({"room_name": "R", "participants": ["guest2@qiscus.com", "guest@qiscus.com"], "creator": "guest@qiscus.com"}))
            .await,
    );
    let r = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id, "page": 1, "limit": 20})).await;
    assert_eq!(
        r,
        json!({
            "meta": {"current_page": 1, "per_page": 20, "total": 2},
            "participants": [
                {"avatar_url": avatar2, "extras": {}, "user_id": "guest2@qiscus.com", "username": "Qiscus Guest2", "active": true},
                {"avatar_url": avatar, "extras": {}, "user_id": "guest@qiscus.com", "username": "Qiscus Demo", "active": true}
            ]
        })
    );

    // Paging edges: 25 participants, default 20 per page.
    let more: Vec<String> = (0..23).map(|i| format!("p{i:02}")).collect();
    for m in &more {
        app.qiscus_user(m, m).await;
    }
    app.qiscus_ok("POST", "add_room_participants", json!({"room_id": id, "user_ids": more})).await;
    let first = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id})).await;
    assert_eq!(first["meta"], json!({"current_page": 1, "per_page": 20, "total": 25}));
    assert_eq!(first["participants"].as_array().unwrap().len(), 20);
    let second = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id, "page": "2"})).await;
    assert_eq!(user_ids(&second["participants"]), vec!["p18", "p19", "p20", "p21", "p22"]);
    let beyond = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id, "page": 3})).await;
    assert_eq!(beyond["participants"], json!([]));
    let small = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id, "page": 13, "limit": 2})).await;
    assert_eq!(user_ids(&small["participants"]), vec!["p22"]);
    let capped = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id, "limit": 1000})).await;
    assert_eq!(capped["meta"]["per_page"], 100);
    assert_eq!(capped["participants"].as_array().unwrap().len(), 25);
    assert_qiscus_error(
        &app.qiscus("GET", "get_room_participants", json!({"room_id": id, "limit": -1})).await,
        400,
        "Param 'limit' must be 1 or more",
    );
    assert_qiscus_error(
        &app.qiscus("GET", "get_room_participants", json!({"room_id": "nope"})).await,
        404,
        "Room is not found",
    );
}
