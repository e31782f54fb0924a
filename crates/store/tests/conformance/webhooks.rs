//! The webhook attempts log on every backend: purged oldest first, by id, up to the cutoff.

use crate::{Db, on_every_backend};
use palaver_domain::{AppId, ChangeId};
use palaver_store::repo::webhooks::{self as repo, AttemptQuery, AttemptRow};

fn attempt(change: i64, attempted_at: i64) -> AttemptRow {
    AttemptRow {
        id: 0,
        endpoint: 1,
        app: AppId(1),
        change: ChangeId(change),
        delivery_id: format!("msg_1_{change}"),
        event: "message.created".into(),
        url: "https://example.com/hook".into(),
        attempted_at,
        status: 200,
        latency_ms: 1,
        success: true,
        error: String::new(),
        request_body: String::new(),
        response_body: String::new(),
    }
}

async fn purge(db: &Db, cutoff: i64, batch: usize) -> usize {
    db.store.write(move |tx| repo::purge_attempts(tx.conn(), cutoff, batch)).await.unwrap()
}

async fn left(db: &Db) -> Vec<i64> {
    let rows = db
        .store
        .read(|c| {
            let q = AttemptQuery { app: AppId(1), endpoint: None, events: &[], limit: 100, offset: 0 };
            repo::attempts(c, &q)
        })
        .await
        .unwrap();
    let mut changes: Vec<i64> = rows.iter().map(|r| r.change.0).collect();
    changes.sort_unstable();
    changes
}

on_every_backend!(webhook_attempts_are_purged_oldest_first_up_to_the_cutoff);
async fn webhook_attempts_are_purged_oldest_first_up_to_the_cutoff(db: Db) {
    // Stored in two rounds; the second round's first attempt was made before the cutoff.
    let rounds = [vec![attempt(1, 10), attempt(2, 20)], vec![attempt(3, 30), attempt(4, 40), attempt(5, 50)]];
    for round in rounds {
        db.store.write(move |tx| repo::record(tx.conn(), &round)).await.unwrap();
    }
    // A batch of 10 reaches every attempt: those before 35 go.
    assert_eq!(purge(&db, 35, 10).await, 3, "{}", db.name);
    assert_eq!(left(&db).await, vec![4, 5], "{}", db.name);
    // A batch looks at the oldest attempts only: the one at 40 is due, the one at 50 is not.
    assert_eq!(purge(&db, 45, 1).await, 1, "{}", db.name);
    assert_eq!(purge(&db, 45, 1).await, 0, "{}", db.name);
    assert_eq!(left(&db).await, vec![5], "{}", db.name);
}
