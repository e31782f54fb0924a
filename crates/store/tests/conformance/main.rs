//! The store conformance suite: the same checks on every backend. Every check runs on SQLite;
//! its PostgreSQL twin is ignored unless asked for (`cargo test -- --include-ignored` with
//! `PALAVER_TEST_DATABASE_URL` naming a database, as CI does; each run gets a fresh schema).

mod basics;
mod change_log;
mod migration;
mod unread;
mod webhooks;

use palaver_domain::{
    AppId, Event, Message, MessageId, MessageType, Room, RoomId, RoomType, User, UserId, UserProfile,
};
use palaver_store::repo::participants::{self, Membership};
use palaver_store::repo::{apps, messages, rooms, users};
use palaver_store::{Backend, DbError, Store, StoreOptions};
use std::sync::{Arc, Mutex};

/// One backend's store for one check, and what its writer published.
pub(crate) struct Db {
    pub(crate) name: &'static str,
    pub(crate) store: Store,
    pub(crate) events: Arc<Mutex<Vec<Event>>>,
    pub(crate) backend: Backend,
    _dir: tempfile::TempDir,
}

/// Runs a check on SQLite and, as an ignored twin, on PostgreSQL.
macro_rules! on_every_backend {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::sqlite().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set PALAVER_TEST_DATABASE_URL and run with --include-ignored"]
            async fn postgres() {
                super::$name(crate::postgres().await).await;
            }
        }
    };
}
pub(crate) use on_every_backend;

pub(crate) fn random_name() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Opens a store on `backend` that records the events its writer publishes.
pub(crate) fn open(backend: &Backend) -> (Store, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    let store = Store::open(
        backend,
        StoreOptions { readers: 2, ..StoreOptions::default() },
        Arc::new(move |batch| sink_events.lock().unwrap().extend(batch)),
    )
    .expect("store opens");
    (store, events)
}

/// A fresh SQLite store.
pub(crate) async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(dir.path().join("conformance.db"));
    let b = backend.clone();
    let (store, events) = tokio::task::spawn_blocking(move || open(&b)).await.unwrap();
    Db { name: "sqlite", store, events, backend, _dir: dir }
}

/// The URL of a fresh schema in the PostgreSQL test database.
pub(crate) async fn postgres_url() -> String {
    let url = std::env::var("PALAVER_TEST_DATABASE_URL")
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .expect("PALAVER_TEST_DATABASE_URL must name a PostgreSQL database for this test");
    tokio::task::spawn_blocking(move || {
        let schema = format!("conf_{}", random_name());
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("test database reachable");
        c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-c%20search_path%3D{schema}")
    })
    .await
    .unwrap()
}

/// A fresh PostgreSQL store, in a schema of its own.
pub(crate) async fn postgres() -> Db {
    let backend = Backend::Postgres(postgres_url().await);
    let b = backend.clone();
    let (store, events) = tokio::task::spawn_blocking(move || open(&b)).await.unwrap();
    Db { name: "postgres", store, events, backend, _dir: tempfile::tempdir().unwrap() }
}

pub(crate) async fn new_app(store: &Store) -> AppId {
    let name = format!("app-{}", random_name());
    store.write(move |tx| apps::insert(tx.conn(), &name, 1)).await.unwrap()
}

pub(crate) async fn new_user(store: &Store, app: AppId, id: &str) -> User {
    let id = id.to_string();
    store
        .write(move |tx| {
            let profile = UserProfile { fullname: Some(format!("User {id}")), ..Default::default() };
            users::upsert(tx.conn(), app, &id, &profile, 1000).map(|(_, u)| u)
        })
        .await
        .unwrap()
}

pub(crate) fn group(app: AppId, name: &str) -> Room {
    Room {
        external_id: Some(name.to_string()),
        name: name.to_string(),
        tags: vec!["a".into()],
        ..Room::draft(app, RoomType::Group, 1)
    }
}

/// A group with these members.
pub(crate) async fn new_group(store: &Store, app: AppId, name: &str, members: &[UserId]) -> Room {
    let (draft, members) = (group(app, name), members.to_vec());
    store
        .write(move |tx| {
            let room = rooms::insert(tx.conn(), &draft)?.unwrap();
            for u in members {
                participants::add(tx.conn(), room.id, u, Membership::Direct, 0, 1)?;
            }
            Ok::<_, DbError>(room)
        })
        .await
        .unwrap()
}

/// A text message value, not yet stored.
pub(crate) fn text(id: i64, app: AppId, room: RoomId, sender: UserId, local: &str) -> Message {
    Message {
        id: MessageId(id),
        app,
        room,
        sender,
        local_id: local.to_string(),
        type_code: MessageType::TEXT,
        type_name: "text".into(),
        body: format!("body {local}"),
        data: String::new(),
        extras: String::new(),
        filter_id: String::new(),
        is_hidden: false,
        quote: String::new(),
        reply_to: String::new(),
        forward_from: String::new(),
        system: None,
        is_edited: false,
        deleted: 0,
        created: id,
        updated: id,
        status: Default::default(),
    }
}

/// Stores a text message.
pub(crate) async fn post(store: &Store, app: AppId, room: RoomId, sender: UserId, local: &str) -> MessageId {
    let local = local.to_string();
    store
        .write(move |tx| {
            let seq = tx.next_seq()?;
            let m = text(seq, app, room, sender, &local);
            let after = messages::newest(tx.conn(), room)?;
            messages::insert(tx.conn(), &m, after.as_ref()).map(|_| m.id)
        })
        .await
        .unwrap()
}
