//! Upgrading a database made by schema 1: keys move into `app_keys`, messages into the change
//! log, and stored system messages become system events every face can word.

use crate::random_name;
use palaver_domain::{AppId, MessageId, SystemAction, UserBrief, UserId};
use palaver_store::repo::changes as log;
use palaver_store::repo::{apps, messages, sessions, unread, users};
use palaver_store::{Backend, DbError};

/// Rows as schema 1 stored them: an app with its three keys, three users, a group with an old
/// message, a recent edited text message, a TapTalk system message and a Qiscus system event
/// (`NOW` stands for the time of the test), and a device cursor.
const LEGACY_ROWS: &str = "
INSERT INTO apps (id, name, server_key_id, server_key_hash, app_key_id, app_key_hash, qiscus_app_id, qiscus_secret_hash, created)
    VALUES (1, 'shop', 'srv', 'hs', 'cli', 'hc', 'shop-abc', 'hq', 5);
INSERT INTO users (id, app_id, xc_user_id, fullname, qiscus_token, created, updated) VALUES
    (1, 1, 'ann', 'Ann', 'tok', 5, 5), (2, 1, 'bob', 'Bob', '', 5, 5), (3, 1, 'system@shop-abc', 'System', '', 5, 5);
INSERT INTO rooms (id, app_id, type, xc_room_id, name, locked_by, created, updated) VALUES (1, 1, 2, 'g1', 'Team', 0, 5, 5);
INSERT INTO participants (room_id, user_id, joined) VALUES (1, 1, 5), (1, 2, 5);
INSERT INTO messages (id, app_id, room_id, sender_id, local_id, type, qtype, body, data, action, target, is_edited, created, updated, change_seq) VALUES
    (9, 1, 1, 1, 'l9', 1001, 'text', 'long ago', '', '', '', 0, 9, 9, 9),
    (10, 1, 1, 1, 'l10', 1001, 'text', 'hello', '', '', '', 1, NOW, NOW + 4, 14),
    (11, 1, 1, 1, 'l11', 9001, 'system_event', '{{sender}} added {{target}}', '', 'room/addParticipant',
        '{\"targetType\":\"user\",\"targetID\":\"2\",\"targetXCID\":\"bob\",\"targetName\":\"Bob\"}', 0, NOW + 1, NOW + 1, 13),
    (12, 1, 1, 3, 'l12', 9001, 'system_event', 'Ann added Bob',
        '{\"type\":\"add_member\",\"subject_email\":\"ann\",\"subject_username\":\"Ann\",\"object_email\":\"bob\",\"object_username\":\"Bob\",\"object_email_list\":[\"bob\"],\"object_username_list\":[\"Bob\"],\"room_name\":\"Team\",\"payload\":{\"k\":1}}',
        'qiscus/add_member', '', 0, NOW + 2, NOW + 2, 12);
UPDATE counters SET value = 14 WHERE name = 'seq';
INSERT INTO device_cursors (user_id, device_id, change_seq) VALUES (2, 'phone', 13);
";

/// Creates schema 1 with the legacy rows, by hand, as an old Palaver left it.
fn build_legacy(backend: &Backend) {
    let rows = LEGACY_ROWS.replace("NOW", &palaver_domain::time::now_ms().to_string());
    let rows = rows.as_str();
    let mark = "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL); \
                INSERT INTO schema_migrations (version, applied) VALUES (1, 1);";
    match backend {
        Backend::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql")).unwrap();
            c.execute_batch(mark).unwrap();
            c.execute_batch(rows).unwrap();
        }
        Backend::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.batch_execute(include_str!("../../migrations/postgres/0001_init.sql")).unwrap();
            c.batch_execute(mark).unwrap();
            c.batch_execute(rows).unwrap();
        }
    }
}

async fn upgrade(backend: Backend, name: &'static str) {
    let b = backend.clone();
    let (store, _) = tokio::task::spawn_blocking(move || {
        build_legacy(&b);
        crate::open(&b)
    })
    .await
    .unwrap();
    let app = AppId(1);
    let (list, keys) = store.read(|c| Ok::<_, DbError>((apps::list(c)?, apps::keys(c)?))).await.unwrap();
    assert_eq!((list.len(), list[0].name.as_str()), (1, "shop"), "{name}");
    let mut kinds: Vec<(String, String, String)> =
        keys.into_iter().map(|k| (k.kind, k.key_id, k.secret_hash)).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("qiscus.secret".into(), "shop-abc".into(), "hq".into()),
            ("taptalk.app_key".into(), "cli".into(), "hc".into()),
            ("taptalk.server_key".into(), "srv".into(), "hs".into()),
        ],
        "{name}: every key kept, with its kind"
    );
    let ann = store.read(move |c| users::by_external_id(c, app, "ann")).await.unwrap().unwrap();
    let creds = store.read(move |c| users::credentials(c, ann.id)).await.unwrap();
    assert_eq!(creds.1, "tok", "{name}: the user token is kept");

    let found =
        store.read(move |c| messages::by_ids(c, app, &[MessageId(10), MessageId(11), MessageId(12)])).await.unwrap();
    assert_eq!(found.len(), 3, "{name}");
    assert!(found[0].system.is_none(), "{name}");
    let taptalk = found[1].system.clone().expect("a system event");
    assert_eq!(taptalk.action, SystemAction::MemberAdded, "{name}");
    assert_eq!(
        taptalk.targets,
        vec![UserBrief { id: UserId(2), external_id: "bob".into(), name: "Bob".into() }],
        "{name}"
    );
    assert_eq!((found[1].body.as_str(), taptalk.room_name.as_str()), ("", "Team"), "{name}: each face words it");
    let qiscus = found[2].system.clone().expect("a system event");
    assert_eq!(qiscus.action, SystemAction::MemberAdded, "{name}");
    assert_eq!(qiscus.actor.map(|a| a.external_id), Some("ann".to_string()), "{name}");
    assert_eq!(qiscus.targets.iter().map(|t| t.id).collect::<Vec<_>>(), vec![UserId(2)], "{name}");
    assert_eq!(found[2].data, r#"{"k":1}"#, "{name}: the poster's own payload");
    assert_eq!(found[2].body, "Ann added Bob", "{name}: its text kept");

    let logged = store.read(move |c| log::after_for_app(c, app, palaver_domain::ChangeId(0), 10)).await.unwrap();
    let logged: Vec<(i64, &str)> = logged.iter().map(|r| (r.id.0, r.kind.as_str())).collect();
    assert_eq!(
        logged,
        vec![(10, "message.created"), (11, "message.created"), (12, "message.created"), (14, "message.edited")],
        "{name}: recent messages and their edits, in the log"
    );
    let counts = store
        .read(|c| {
            let room = palaver_domain::RoomId(1);
            Ok::<_, DbError>((unread::in_room(c, room, UserId(2))?, unread::in_room(c, room, UserId(1))?))
        })
        .await
        .unwrap();
    assert_eq!(counts, (4, 1), "{name}: the running counts of old messages are filled in");
    let cursor = store.read(move |c| sessions::device_cursor(c, UserId(2), "phone")).await.unwrap();
    assert_eq!(cursor, Some(13), "{name}: device cursors keep their place");
    tokio::task::spawn_blocking(move || store.close()).await.unwrap();
}

#[tokio::test]
async fn a_schema_1_sqlite_database_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    upgrade(Backend::Sqlite(dir.path().join(format!("legacy-{}.db", random_name()))), "sqlite").await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PALAVER_TEST_DATABASE_URL and run with --include-ignored"]
async fn a_schema_1_postgres_database_upgrades() {
    upgrade(Backend::Postgres(crate::postgres_url().await), "postgres").await;
}
