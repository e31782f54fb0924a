//! The change log on every backend: rows appended in the writer's transaction (and only when
//! it commits), read back after an id for a node, an app or a user, visible in id order under
//! concurrent writers, and purged in small batches.

use crate::{Db, new_app, new_group, new_user, on_every_backend, open, text};
use palaver_domain::{
    AppId, Change, ChangeId, ChangeKind, MemberChange, MessageId, Room, RoomMessage, User, UserChange, UserId, Via,
};
use palaver_store::repo::changes::{self as log, ChangeRow};
use palaver_store::repo::messages;
use palaver_store::{DbError, Store, WriteTx};
use std::collections::BTreeSet;

/// Appends a change with a fresh id inside the job.
fn append(tx: &mut WriteTx<'_>, app: AppId, at: i64, kind: ChangeKind) -> Result<ChangeId, DbError> {
    let id = ChangeId(tx.next_seq()?);
    log::append(tx.conn(), &Change { id, app, at, actor: None, kind })?;
    Ok(id)
}

async fn append_one(store: &Store, app: AppId, at: i64, kind: ChangeKind) -> ChangeId {
    store.write(move |tx| append(tx, app, at, kind)).await.unwrap()
}

fn user_change(user: &User) -> ChangeKind {
    ChangeKind::User { change: UserChange::Updated, user: user.clone() }
}

fn member(room: &Room, user: &User) -> ChangeKind {
    ChangeKind::Member { change: MemberChange::Added, room: room.clone(), user: user.clone() }
}

fn ids(rows: &[ChangeRow]) -> Vec<ChangeId> {
    rows.iter().map(|r| r.id).collect()
}

on_every_backend!(changes_read_back_after_an_id_for_a_node_an_app_and_a_user);
async fn changes_read_back_after_an_id_for_a_node_an_app_and_a_user(db: Db) {
    let (app, other_app) = (new_app(&db.store).await, new_app(&db.store).await);
    let (a, b, c) =
        (new_user(&db.store, app, "a").await, new_user(&db.store, app, "b").await, new_user(&db.store, app, "c").await);
    let stranger = new_user(&db.store, other_app, "s").await;
    let room = new_group(&db.store, app, "g", &[a.id, b.id]).await;
    let start = db.store.read(|c| palaver_store::repo::current_seq(c)).await.unwrap();
    // A message in a's and b's room, a change naming c alone, one of another app.
    let message = {
        let (room, sender) = (room.clone(), a.clone());
        db.store
            .write(move |tx| {
                let id = tx.next_seq()?;
                let m = text(id, app, room.id, sender.id, "m1");
                let after = messages::newest(tx.conn(), m.room)?;
                messages::insert(tx.conn(), &m, after.as_ref())?;
                let item = RoomMessage { message: m, room, sender, partner: None };
                let kind =
                    ChangeKind::MessageCreated { item, via: Via::Client, previous: MessageId(0), scheduled: false };
                log::append(tx.conn(), &Change { id: ChangeId(id), app, at: 5, actor: Some(UserId(1)), kind })?;
                Ok::<_, DbError>(ChangeId(id))
            })
            .await
            .unwrap()
    };
    let about_c = append_one(&db.store, app, 6, user_change(&c)).await;
    let elsewhere = append_one(&db.store, other_app, 7, user_change(&stranger)).await;
    let joined = append_one(&db.store, app, 8, member(&room, &c)).await;

    let all = db.store.read(move |x| log::after(x, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&all), vec![message, about_c, elsewhere, joined], "{}: every change, in order", db.name);
    let row = &all[0];
    assert_eq!(
        (row.kind.as_str(), row.room, row.message, row.actor, row.facts.via, row.at),
        (
            "message.created",
            Some(room.id),
            Some(palaver_domain::MessageId(message.0)),
            Some(UserId(1)),
            Some(Via::Client),
            5
        ),
        "{}",
        db.name
    );
    assert_eq!(all[1].users, vec![c.id], "{}", db.name);

    let of_app = db.store.read(move |x| log::after_for_app(x, app, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&of_app), vec![message, about_c, joined], "{}: one app's changes", db.name);
    let after_first = db.store.read(move |x| log::after_for_app(x, app, message, 1)).await.unwrap();
    assert_eq!(ids(&after_first), vec![about_c], "{}: after an id, at most the limit", db.name);

    let of_b = db.store.read(move |x| log::after_for_user(x, app, b.id, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&of_b), vec![message, joined], "{}: b hears of its room's changes", db.name);
    let of_c = db.store.read(move |x| log::after_for_user(x, app, c.id, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&of_c), vec![about_c, joined], "{}: c hears of what names it", db.name);

    let between = db.store.read(move |x| log::ids_between(x, message, joined)).await.unwrap();
    assert_eq!(between, vec![about_c, elsewhere, joined], "{}", db.name);
    let some = db.store.read(move |x| log::by_ids(x, &[joined, message, ChangeId(i64::MAX)])).await.unwrap();
    assert_eq!(ids(&some), vec![message, joined], "{}", db.name);
}

on_every_backend!(a_rolled_back_write_leaves_no_change);
async fn a_rolled_back_write_leaves_no_change(db: Db) {
    let app = new_app(&db.store).await;
    let u = new_user(&db.store, app, "u").await;
    let start = db.store.read(|c| palaver_store::repo::current_seq(c)).await.unwrap();
    let kind = user_change(&u);
    let failed = db
        .store
        .write(move |tx| {
            append(tx, app, 1, kind)?;
            Err::<(), DbError>(DbError::Other("refused after the change was appended".into()))
        })
        .await;
    assert!(failed.is_err());
    let kept = append_one(&db.store, app, 2, user_change(&u)).await;
    let all = db.store.read(move |x| log::after(x, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&all), vec![kept], "{}: only the committed change", db.name);
    let of_u = db.store.read(move |x| log::after_for_user(x, app, u.id, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&of_u), vec![kept], "{}: and only its user row", db.name);
}

on_every_backend!(old_changes_are_purged_in_small_batches);
async fn old_changes_are_purged_in_small_batches(db: Db) {
    let app = new_app(&db.store).await;
    let u = new_user(&db.store, app, "u").await;
    let start = db.store.read(|c| palaver_store::repo::current_seq(c)).await.unwrap();
    let mut old = Vec::new();
    for at in [10, 11, 12] {
        old.push(append_one(&db.store, app, at, user_change(&u)).await);
    }
    let fresh = append_one(&db.store, app, 1_000, user_change(&u)).await;
    let first = db.store.write(move |tx| log::purge(tx.conn(), app, 500, 2)).await.unwrap();
    assert_eq!(first, (2, Some(old[1])), "{}: a batch at most", db.name);
    let second = db.store.write(move |tx| log::purge(tx.conn(), app, 500, 2)).await.unwrap();
    assert_eq!(second, (1, Some(old[2])), "{}", db.name);
    let none = db.store.write(move |tx| log::purge(tx.conn(), app, 500, 2)).await.unwrap();
    assert_eq!(none, (0, None), "{}", db.name);
    let left = db.store.read(move |x| log::after(x, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&left), vec![fresh], "{}: newer changes stay", db.name);
    let of_u = db.store.read(move |x| log::after_for_user(x, app, u.id, ChangeId(start), 100)).await.unwrap();
    assert_eq!(ids(&of_u), vec![fresh], "{}: purged changes leave no user rows", db.name);
}

on_every_backend!(concurrent_writers_make_changes_visible_in_id_order);
/// Two stores on one database (two nodes) append changes concurrently while a reader follows
/// the log the way a catching-up node does, always reading after the highest id it has seen.
/// If a change could become visible after a higher one, the reader would step over it and
/// never see it.
async fn concurrent_writers_make_changes_visible_in_id_order(db: Db) {
    let app = new_app(&db.store).await;
    let u = new_user(&db.store, app, "u").await;
    let backend = db.backend.clone();
    let (second, _) = tokio::task::spawn_blocking(move || open(&backend)).await.unwrap();
    let start = ChangeId(db.store.read(|c| palaver_store::repo::current_seq(c)).await.unwrap());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, done) = (db.store.clone(), done.clone());
        tokio::spawn(async move {
            let (mut cursor, mut seen) = (start, BTreeSet::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let rows = store.read(move |x| log::after(x, cursor, 1000)).await.unwrap();
                for r in &rows {
                    seen.insert(r.id);
                    cursor = cursor.max(r.id);
                }
                if finished && rows.is_empty() {
                    return seen;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for store in [db.store.clone(), second.clone()] {
        for _ in 0..4 {
            let (store, user) = (store.clone(), u.clone());
            writers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                for i in 0..40 {
                    mine.push(append_one(&store, app, i, user_change(&user)).await);
                }
                mine
            }));
        }
    }
    let mut written = BTreeSet::new();
    for w in writers {
        written.extend(w.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    assert_eq!(written.len(), 320, "{}", db.name);
    let missed: Vec<_> = written.difference(&seen).collect();
    assert!(missed.is_empty(), "{}: the reader stepped over {} changes: {missed:?}", db.name, missed.len());
    tokio::task::spawn_blocking(move || second.close()).await.unwrap();
}

on_every_backend!(the_writer_logs_the_change_of_every_event_it_publishes);
/// Operations record a change by publishing its event; the writer appends the rows of a batch's
/// successful jobs before the commit, many per statement.
async fn the_writer_logs_the_change_of_every_event_it_publishes(db: Db) {
    let app = new_app(&db.store).await;
    let u = new_user(&db.store, app, "u").await;
    let start = db.store.read(|c| palaver_store::repo::current_seq(c)).await.unwrap();
    let publish = |store: &Store, fail: bool| {
        let user = u.clone();
        store.write(move |tx| {
            let id = ChangeId(tx.next_seq()?);
            let change = Change { id, app, at: 1, actor: None, kind: user_change(&user) };
            tx.emit(palaver_domain::Event::Committed { change: Box::new(change), recipients: vec![] });
            if fail { Err(DbError::Other("refused".into())) } else { Ok(id) }
        })
    };
    // 87 jobs in flight together: one batch, rows written 64, 16, 4, 1, 1, 1 at a time.
    let jobs: Vec<_> = (0..90).map(|i| publish(&db.store, i % 30 == 7)).collect();
    let mut kept = Vec::new();
    for job in jobs {
        if let Ok(id) = job.await {
            kept.push(id);
        }
    }
    assert_eq!(kept.len(), 87, "{}", db.name);
    let logged = db.store.read(move |x| log::after(x, ChangeId(start), 1000)).await.unwrap();
    assert_eq!(ids(&logged), kept, "{}: a row for each published change, none for the failed jobs", db.name);
    assert!(logged.iter().all(|r| r.kind == "user.updated" && r.users == vec![u.id]), "{}", db.name);
    let published = db.events.lock().unwrap().iter().filter_map(|e| e.change_id()).collect::<Vec<_>>();
    assert!(kept.iter().all(|id| published.contains(id)), "{}: and each was published", db.name);
}
