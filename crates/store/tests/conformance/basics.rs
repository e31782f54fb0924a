//! The driver, the writer and the repositories behave alike on every backend.

use crate::{Db, group, new_app, new_group, new_user, on_every_backend, open, post};
use palaver_domain::{Event, RoomRef, User, UserId, UserProfile};
use palaver_store::repo::participants;
use palaver_store::repo::sessions::{SessionTokens, TicketState};
use palaver_store::repo::{contacts, messages, room_list, rooms, sessions, unread, users};
use palaver_store::{Backend, DbError, Store, StoreOptions, Value};
use std::sync::Arc;

/// An event that marks which job published it.
fn marker(user: &User, n: i64) -> Event {
    Event::Presence { user: user.clone(), online: true, last_active: n, recipients: vec![] }
}

on_every_backend!(values_round_trip_through_the_driver);
async fn values_round_trip_through_the_driver(db: Db) {
    {
        let got = db
            .store
            .write(|tx| {
                let c = tx.conn();
                c.batch("CREATE TABLE conf_values (n BIGINT, t TEXT)")?;
                for (n, t) in [
                    (Value::Int(i64::MIN), Value::Text("")),
                    (Value::Int(i64::MAX), Value::Text("日本語 ✓ 'quoted'")),
                    (Value::Null, Value::Null),
                ] {
                    c.execute("INSERT INTO conf_values (n, t) VALUES ($1, $2)", &[n, t])?;
                }
                c.query("SELECT n, t FROM conf_values ORDER BY n", &[], |r| Ok((r.opt_int(0)?, r.opt_text(1)?)))
            })
            .await
            .unwrap();
        let mut got = got;
        got.sort();
        assert_eq!(
            got,
            vec![
                (None, None),
                (Some(i64::MIN), Some(String::new())),
                (Some(i64::MAX), Some("日本語 ✓ 'quoted'".into()))
            ],
            "{}",
            db.name
        );
    }
}

on_every_backend!(unique_violations_are_reported_as_such);
async fn unique_violations_are_reported_as_such(db: Db) {
    {
        let app = new_app(&db.store).await;
        new_user(&db.store, app, "dup").await;
        let err = db
            .store
            .write(move |tx| {
                tx.conn().execute(
                    "INSERT INTO users (app_id, external_id, created, updated) VALUES ($1, $2, 1, 1)",
                    &[app.0.into(), "dup".into()],
                )
            })
            .await
            .unwrap_err();
        assert!(matches!(err, DbError::Unique(_)), "{}: {err:?}", db.name);
    }
}

on_every_backend!(a_failing_or_panicking_job_rolls_back_alone_and_emits_nothing);
async fn a_failing_or_panicking_job_rolls_back_alone_and_emits_nothing(db: Db) {
    {
        let app = new_app(&db.store).await;
        let user = new_user(&db.store, app, "u").await;
        db.events.lock().unwrap().clear();
        let (u1, u2, u3) = (user.clone(), user.clone(), user.clone());
        let ok1 = db.store.write(move |tx| {
            tx.conn().execute("UPDATE users SET bio = 'one' WHERE id = $1", &[u1.id.0.into()])?;
            tx.emit(marker(&u1, 1));
            Ok::<_, DbError>(())
        });
        let failing = db.store.write(move |tx| {
            tx.conn().execute("UPDATE users SET fullname = 'changed' WHERE id = $1", &[u2.id.0.into()])?;
            tx.emit(marker(&u2, 2));
            Err::<(), DbError>(DbError::Other("refused".into()))
        });
        let panicking = db.store.write(move |tx| -> Result<(), DbError> {
            tx.conn().execute("UPDATE users SET username = 'boom' WHERE id = $1", &[u3.id.0.into()])?;
            panic!("a bug in a write job");
        });
        let u4 = user.clone();
        let ok2 = db.store.write(move |tx| {
            tx.conn().execute("UPDATE users SET email = 'e@x' WHERE id = $1", &[u4.id.0.into()])?;
            tx.emit(marker(&u4, 3));
            Ok::<_, DbError>(())
        });
        let (r1, r2, r3, r4) = tokio::join!(ok1, failing, panicking, ok2);
        assert!(r1.is_ok() && r4.is_ok(), "{}", db.name);
        assert_eq!(r2.unwrap_err(), DbError::Other("refused".into()));
        assert_eq!(r3.unwrap_err(), DbError::Other("write job panicked".into()));
        let id = user.id;
        let now = db.store.read(move |c| users::by_id(c, app, id)).await.unwrap().unwrap();
        assert_eq!((now.bio.as_str(), now.email.as_str()), ("one", "e@x"), "{}: the good jobs committed", db.name);
        assert_eq!(
            (now.fullname.as_str(), now.username.as_str()),
            ("User u", ""),
            "{}: the bad jobs left nothing",
            db.name
        );
        let rooms: Vec<i64> = db
            .events
            .lock()
            .unwrap()
            .iter()
            .map(|e| match e {
                Event::Presence { last_active, .. } => *last_active,
                _ => 0,
            })
            .collect();
        assert_eq!(rooms, vec![1, 3], "{}: events of committed jobs only, in order", db.name);
    }
}

on_every_backend!(the_sequence_never_repeats_under_concurrent_writes);
async fn the_sequence_never_repeats_under_concurrent_writes(db: Db) {
    {
        let writes: Vec<_> = (0..200)
            .map(|_| {
                let store = db.store.clone();
                tokio::spawn(async move { store.write(|tx| tx.next_seq()).await })
            })
            .collect();
        let mut seqs = Vec::new();
        for w in writes {
            seqs.push(w.await.unwrap().unwrap());
        }
        seqs.sort();
        seqs.dedup();
        assert_eq!(seqs.len(), 200, "{}", db.name);
        assert_eq!(seqs[199] - seqs[0], 199, "{}: no gaps", db.name);
    }
}

on_every_backend!(users_upsert_keeps_unset_fields_and_finds_by_ids);
async fn users_upsert_keeps_unset_fields_and_finds_by_ids(db: Db) {
    {
        let app = new_app(&db.store).await;
        let a = new_user(&db.store, app, "a").await;
        let b = new_user(&db.store, app, "b").await;
        let updated = db
            .store
            .write(move |tx| {
                users::upsert(
                    tx.conn(),
                    app,
                    "a",
                    &UserProfile { email: Some("a@x".into()), ..Default::default() },
                    2000,
                )
            })
            .await
            .unwrap();
        assert_eq!(
            (updated.1.fullname.as_str(), updated.1.email.as_str(), updated.0.is_some()),
            ("User a", "a@x", true),
            "{}",
            db.name
        );
        let ids = vec![b.id, a.id, UserId(999_999)];
        let found = db.store.read(move |c| users::by_ids(c, app, &ids)).await.unwrap();
        assert_eq!(found.iter().map(|u| u.external_id.as_str()).collect::<Vec<_>>(), vec!["a", "b"], "{}", db.name);
        let other_app = new_app(&db.store).await;
        let none = db.store.read(move |c| users::by_external_id(c, other_app, "a")).await.unwrap();
        assert!(none.is_none(), "{}: apps are isolated", db.name);
    }
}

on_every_backend!(pointers_only_move_forward_and_unread_counts_follow_them);
async fn pointers_only_move_forward_and_unread_counts_follow_them(db: Db) {
    {
        let app = new_app(&db.store).await;
        let (a, b) = (new_user(&db.store, app, "a").await, new_user(&db.store, app, "b").await);
        let room = new_group(&db.store, app, "g", &[a.id, b.id]).await;
        let m1 = post(&db.store, app, room.id, a.id, "l1").await;
        let m2 = post(&db.store, app, room.id, a.id, "l2").await;
        post(&db.store, app, room.id, b.id, "l3").await;
        let unread = db.store.read(move |c| unread::in_room(c, room.id, b.id)).await.unwrap();
        assert_eq!(unread, 2, "{}: own messages do not count", db.name);
        let (before, after) = db
            .store
            .write(move |tx| participants::advance(tx.conn(), room.id, b.id, Some(m2.0), None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (before.read, after.read, after.delivered),
            (0, m2.0, m2.0),
            "{}: reading implies delivery",
            db.name
        );
        let back = db
            .store
            .write(move |tx| participants::advance(tx.conn(), room.id, b.id, Some(m1.0), None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.1.read, m2.0, "{}: never backwards", db.name);
        let list = db.store.read(move |c| room_list::for_user(c, b.id, &Default::default())).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].unread, list[0].last_message.as_ref().unwrap().local_id.as_str()),
            (0, "l3"),
            "{}",
            db.name
        );
        let msgs = db.store.read(move |c| messages::by_ids(c, app, &[m1, m2])).await.unwrap();
        assert!(
            msgs.iter().all(|m| m.status.read && m.status.delivered),
            "{}: status is derived from pointers",
            db.name
        );
        let duplicate = db.store.write(move |tx| rooms::insert(tx.conn(), &group(app, "g"))).await.unwrap();
        assert!(duplicate.is_none(), "{}: a second room with the same external id is not inserted", db.name);
        let found =
            db.store.read(move |c| rooms::by_ref(c, app, &RoomRef::IdOrExternal("g".into()))).await.unwrap().unwrap();
        assert_eq!((found.id, found.tags.clone()), (room.id, vec!["a".to_string()]), "{}", db.name);
    }
}

on_every_backend!(history_queries_page_in_order);
async fn history_queries_page_in_order(db: Db) {
    {
        let app = new_app(&db.store).await;
        let (a, b) = (new_user(&db.store, app, "a").await, new_user(&db.store, app, "b").await);
        let room = new_group(&db.store, app, "h", &[a.id, b.id]).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(post(&db.store, app, room.id, a.id, &format!("h{i}")).await);
        }
        let page = db.store.read(move |c| messages::before(c, room.id, b.id, 0, 2)).await.unwrap();
        assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), vec![ids[4], ids[3]], "{}", db.name);
        let cursor = ids[1].0;
        let newer = db.store.read(move |c| messages::created_for_user(c, b.id, cursor, 100)).await.unwrap();
        assert_eq!(newer.iter().map(|m| m.id).collect::<Vec<_>>(), ids[2..].to_vec(), "{}", db.name);
        let hidden = ids[3];
        db.store.write(move |tx| messages::hide_for(tx.conn(), b.id, hidden)).await.unwrap();
        let page = db.store.read(move |c| messages::before(c, room.id, b.id, 0, 10)).await.unwrap();
        assert!(!page.iter().any(|m| m.id == hidden), "{}: hidden for b", db.name);
        let page = db.store.read(move |c| messages::before(c, room.id, a.id, 0, 10)).await.unwrap();
        assert_eq!(page.len(), 5, "{}: not hidden for a", db.name);
    }
}

on_every_backend!(tickets_redeem_once_and_sessions_rotate);
async fn tickets_redeem_once_and_sessions_rotate(db: Db) {
    {
        let app = new_app(&db.store).await;
        let u = new_user(&db.store, app, "t").await;
        let states = db
            .store
            .write(move |tx| {
                let c = tx.conn();
                sessions::insert_ticket(c, "h1", app, u.id, 10_000, 1)?;
                sessions::insert_ticket(c, "h2", app, u.id, 100, 1)?;
                Ok::<_, DbError>(vec![
                    sessions::redeem_ticket(c, "h1", 50)?,
                    sessions::redeem_ticket(c, "h1", 60)?,
                    sessions::redeem_ticket(c, "h2", 200)?,
                    sessions::redeem_ticket(c, "nope", 50)?,
                ])
            })
            .await
            .unwrap();
        assert_eq!(
            states,
            vec![TicketState::Redeemed(app, u.id), TicketState::Used, TicketState::Expired, TicketState::Unknown],
            "{}",
            db.name
        );
        let tokens = |n: &str| SessionTokens {
            access_hash: format!("a{n}"),
            access_expires: 10,
            refresh_hash: format!("r{n}"),
            refresh_expires: 20,
        };
        let (t1, t2) = (tokens("1"), tokens("2"));
        let found = db
            .store
            .write(move |tx| {
                let c = tx.conn();
                let id = sessions::create(c, app, u.id, "dev", &t1, 1)?;
                sessions::rotate(c, id, &t2)?;
                Ok::<_, DbError>((
                    sessions::by_refresh_hash(c, "r1")?,
                    sessions::by_refresh_hash(c, "r2")?.map(|s| s.device_id),
                ))
            })
            .await
            .unwrap();
        assert_eq!(found, (None, Some("dev".to_string())), "{}", db.name);
    }
}

on_every_backend!(contacts_and_blocks_are_one_way);
async fn contacts_and_blocks_are_one_way(db: Db) {
    {
        let app = new_app(&db.store).await;
        let (a, b) = (new_user(&db.store, app, "a").await, new_user(&db.store, app, "b").await);
        let result = db
            .store
            .write(move |tx| {
                let c = tx.conn();
                let first = contacts::add(c, a.id, b.id, 1)?;
                let again = contacts::add(c, a.id, b.id, 1)?;
                contacts::block(c, b.id, a.id, 1)?;
                Ok::<_, DbError>((
                    first,
                    again,
                    contacts::exists(c, b.id, a.id)?,
                    contacts::is_blocked(c, b.id, a.id)?,
                    contacts::is_blocked(c, a.id, b.id)?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(result, (true, false, false, true, false), "{}", db.name);
    }
}

on_every_backend!(migrations_apply_once);
async fn migrations_apply_once(db: Db) {
    {
        let backend = db.backend.clone();
        db.store.close();
        let (again, _) = tokio::task::spawn_blocking(move || open(&backend)).await.unwrap();
        let applied = again.read(|c| c.query_int("SELECT COUNT(*) FROM schema_migrations", &[])).await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(db.name);
        let files =
            std::fs::read_dir(dir).unwrap().filter(|f| f.as_ref().is_ok_and(|f| f.file_name() != "README.md")).count();
        assert_eq!(applied, files as i64, "{}: every migration once", db.name);
        again.close();
    }
}

/// SQLite only: under a steady stream of commits, with never a pause for the log to drain,
/// the write-ahead log is restarted instead of growing without bound, so it stays far smaller
/// than everything written through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_write_ahead_log_stays_bounded_under_steady_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.db");
    let backend = Backend::Sqlite(path.clone());
    let store = tokio::task::spawn_blocking(move || {
        let options = StoreOptions { readers: 1, wal_restart_frames: 256, ..StoreOptions::default() };
        Store::open(&backend, options, Arc::new(|_| {})).expect("store opens")
    })
    .await
    .unwrap();
    store.write(|tx| tx.conn().batch("CREATE TABLE scratch (body TEXT NOT NULL)")).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(2500);
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let body = "x".repeat(8 * 1024);
                let mut written = 0u64;
                while std::time::Instant::now() < deadline {
                    let row = body.clone();
                    store
                        .write(move |tx| {
                            tx.conn().execute("INSERT INTO scratch (body) VALUES ($1)", &[Value::Text(&row)])
                        })
                        .await
                        .unwrap();
                    written += body.len() as u64;
                }
                written
            })
        })
        .collect();
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    let wal = std::fs::metadata(format!("{}-wal", path.display())).unwrap().len();
    store.close();
    assert!(written > 8 * 1024 * 1024, "the test wrote too little to tell: {written} bytes");
    assert!(wal * 2 < written, "the log holds {wal} bytes after {written} bytes were written through it");
}
