//! The Qiscus client API's searches: `search_messages`, `search`, `file_list`, scoped to the
//! caller's rooms.

use crate::qiscus_client::{login, sdk_ok, token};
use crate::support::TestApp;
use serde_json::{Value, json};

fn messages(v: &Value) -> Vec<String> {
    v["comments"].as_array().unwrap().iter().map(|c| c["message"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn full_text_search_finds_words_in_the_callers_rooms_only() {
    let app = TestApp::spawn().await;
    let (a, b, e) =
        (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await, login(&app, "eve", "Eve").await);
    let (ta, tb, te) = (token(&a), token(&b), token(&e));
    let room =
        sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&ta), json!({"emails": "bob"})).await["room"]["id"]
            .clone();
    let group = sdk_ok(&app, "POST", "create_room", Some(&ta), json!({"name": "G", "participants": ["bob"]})).await["room"]["id"].clone();
    for (r, text, who) in [
        (&room, "Lunch at the café tomorrow?", &ta),
        (&room, "Dinner, not lunch", &tb),
        (&group, "Lunchbox orders are open", &ta),
        (&group, "Nothing to see; drop table messages; \"quotes\" * OR", &ta),
    ] {
        sdk_ok(&app, "POST", "post_comment", Some(who), json!({"comment": text, "topic_id": r})).await;
    }
    let found = sdk_ok(&app, "POST", "search_messages", Some(&tb), json!({"query": "lunch"})).await;
    assert_eq!(
        messages(&found),
        vec!["Lunchbox orders are open", "Dinner, not lunch", "Lunch at the café tomorrow?"],
        "prefix match, newest first"
    );
    let found =
        sdk_ok(&app, "POST", "search_messages", Some(&tb), json!({"query": "LUNCH café", "room_id": room})).await;
    assert_eq!(messages(&found), vec!["Lunch at the café tomorrow?"], "every word, any case");
    let found = sdk_ok(&app, "POST", "search_messages", Some(&tb), json!({"query": "cafe"})).await;
    assert_eq!(messages(&found), Vec::<String>::new(), "accents count, on both backends");
    let found =
        sdk_ok(&app, "POST", "search", Some(&tb), json!({"query": "lunch", "sender": "bob", "page": 1, "limit": 10}))
            .await;
    assert_eq!((messages(&found), &found["total"]), (vec!["Dinner, not lunch".to_string()], &json!(1)));
    let found = sdk_ok(&app, "POST", "search", Some(&tb), json!({"query": "lunch", "room_type": "group"})).await;
    assert_eq!(messages(&found), vec!["Lunchbox orders are open"]);
    let odd = sdk_ok(&app, "POST", "search", Some(&tb), json!({"query": "\"quotes\" * OR drop"})).await;
    assert_eq!(messages(&odd).len(), 1, "query syntax in the text is only words");
    assert_eq!(
        messages(&sdk_ok(&app, "POST", "search", Some(&tb), json!({"query": "***"})).await),
        Vec::<String>::new()
    );
    assert_eq!(
        messages(&sdk_ok(&app, "POST", "search_messages", Some(&te), json!({"query": "lunch"})).await),
        Vec::<String>::new(),
        "eve is in none of the rooms"
    );

    // An edit is found by its new words, and a deleted comment no more.
    let c = sdk_ok(
        &app,
        "POST",
        "post_comment",
        Some(&ta),
        json!({"comment": "pizza", "topic_id": room, "unique_temp_id": "p1"}),
    )
    .await;
    assert_eq!(c["comment"]["message"], "pizza");
    sdk_ok(&app, "POST", "update_message", Some(&ta), json!({"unique_id": "p1", "comment": "sushi"})).await;
    assert_eq!(
        messages(&sdk_ok(&app, "POST", "search_messages", Some(&tb), json!({"query": "pizza"})).await),
        Vec::<String>::new()
    );
    assert_eq!(
        messages(&sdk_ok(&app, "POST", "search_messages", Some(&tb), json!({"query": "sushi"})).await),
        vec!["sushi"]
    );
    sdk_ok(&app, "DELETE", "delete_messages", Some(&ta), json!({"unique_ids": ["p1"]})).await;
    assert_eq!(
        messages(&sdk_ok(&app, "POST", "search_messages", Some(&tb), json!({"query": "sushi"})).await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn the_file_list_holds_attachments_by_type_and_extension() {
    let app = TestApp::spawn().await;
    let (a, b) = (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await);
    let (ta, tb) = (token(&a), token(&b));
    let room =
        sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&ta), json!({"emails": "bob"})).await["room"]["id"]
            .clone();
    for (name, url) in
        [("cat.jpg", "https://x/cat.jpg"), ("report.pdf", "https://x/report.pdf"), ("clip", "https://x/clip.MP4?x=1")]
    {
        let payload = json!({"url": url, "caption": "", "file_name": name, "size": 10});
        sdk_ok(
            &app,
            "POST",
            "post_comment",
            Some(&ta),
            json!({"comment": name, "topic_id": room, "type": "file_attachment", "payload": payload}),
        )
        .await;
    }
    sdk_ok(&app, "POST", "post_comment", Some(&ta), json!({"comment": "just text", "topic_id": room})).await;
    let all = sdk_ok(&app, "POST", "file_list", Some(&tb), json!({"room_ids": [room.to_string()]})).await;
    assert_eq!(
        (messages(&all), &all["total"]),
        (vec!["clip".to_string(), "report.pdf".into(), "cat.jpg".into()], &json!(3))
    );
    let media = sdk_ok(&app, "POST", "file_list", Some(&tb), json!({"file_type": "media"})).await;
    assert_eq!(messages(&media), vec!["clip", "cat.jpg"]);
    let pdf = sdk_ok(&app, "POST", "file_list", Some(&tb), json!({"include_extensions": [".pdf"]})).await;
    assert_eq!(messages(&pdf), vec!["report.pdf"]);
    let not_jpg =
        sdk_ok(&app, "POST", "file_list", Some(&tb), json!({"exclude_extensions": ["jpg"], "sender": "alice"})).await;
    assert_eq!(messages(&not_jpg), vec!["clip", "report.pdf"]);
}
