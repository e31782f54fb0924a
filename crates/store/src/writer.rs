//! Group commit: one writer thread per database commits whatever write jobs have queued up
//! in one transaction, each job in its own savepoint, and answers every job only after the
//! commit. Events the jobs emitted are handed on, in commit order, before the answers.

use crate::db::{Conn, DbError, DbResult};
use crate::{ConnFactory, EventSink, Role};
use crossbeam_channel::Receiver;
use palaver_domain::{Change, Event};
use std::panic::{AssertUnwindSafe, catch_unwind};
use tokio::sync::oneshot;

/// The view of the open transaction a write job gets: the connection, a place to put the
/// events that become visible once the transaction commits, and the sequence.
pub struct WriteTx<'a> {
    conn: &'a mut dyn Conn,
    events: &'a mut Vec<Event>,
    seq: &'a mut Sequence,
}

/// The store-wide sequence of message ids and change numbers during one batch: read once,
/// handed out from memory, written back once before the commit.
#[derive(Default)]
pub(crate) struct Sequence {
    start: Option<i64>,
    last: Option<i64>,
}

impl Sequence {
    /// Reads the counter (on PostgreSQL locking it until the commit, so nodes take values in
    /// turn and make them visible in that order).
    fn load(&mut self, conn: &mut dyn Conn) -> DbResult<i64> {
        let sql = match conn.dialect() {
            crate::Dialect::Sqlite => "SELECT value FROM counters WHERE name = 'seq'",
            crate::Dialect::Postgres => "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
        };
        let value = conn.query_int(sql, &[])?;
        self.start = Some(value);
        self.last = Some(value);
        Ok(value)
    }

    /// Writes the last value taken back, if any was.
    fn store(&self, conn: &mut dyn Conn) -> DbResult<()> {
        if let (Some(last), true) = (self.last, self.last != self.start) {
            conn.execute("UPDATE counters SET value = $1 WHERE name = 'seq'", &[last.into()])?;
        }
        Ok(())
    }
}

impl WriteTx<'_> {
    /// The connection, inside the job's savepoint.
    pub fn conn(&mut self) -> &mut dyn Conn {
        &mut *self.conn
    }

    /// Takes the next value of the store-wide sequence of message ids and change numbers.
    /// Values taken by a job that fails are skipped, never reused.
    pub fn next_seq(&mut self) -> DbResult<i64> {
        let last = match self.seq.last {
            Some(v) => v,
            None => self.seq.load(self.conn)?,
        };
        self.seq.last = Some(last + 1);
        Ok(last + 1)
    }

    /// Queues an event to publish after commit; dropped if the job or the commit fails. The
    /// change a committed-change event carries is appended to the change log before the
    /// commit, in the same transaction: an event and its row exist together or not at all.
    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }
}

/// A queued write: runs inside the batch transaction, answers after the commit.
pub(crate) trait WriteJob: Send {
    fn run(&mut self, conn: &mut dyn Conn, events: &mut Vec<Event>, seq: &mut Sequence);
    fn finish(self: Box<Self>, commit: &DbResult<()>);
}

pub(crate) enum WriteMsg {
    Job(Box<dyn WriteJob>),
    Stop,
}

pub(crate) struct Job<T, E, F> {
    pub(crate) work: Option<F>,
    pub(crate) outcome: Option<Result<T, E>>,
    pub(crate) reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> WriteJob for Job<T, E, F>
where
    T: Send,
    E: From<DbError> + Send,
    F: FnOnce(&mut WriteTx<'_>) -> Result<T, E> + Send,
{
    fn run(&mut self, conn: &mut dyn Conn, events: &mut Vec<Event>, seq: &mut Sequence) {
        let Some(work) = self.work.take() else { return };
        if let Err(e) = conn.execute("SAVEPOINT job", &[]) {
            self.outcome = Some(Err(e.into()));
            return;
        }
        let mut emitted = Vec::new();
        let result = catch_unwind(AssertUnwindSafe(|| work(&mut WriteTx { conn, events: &mut emitted, seq })))
            .unwrap_or_else(|_| Err(DbError::Other("write job panicked".into()).into()));
        let result = match result {
            Ok(v) => match conn.execute("RELEASE SAVEPOINT job", &[]) {
                Ok(_) => {
                    events.append(&mut emitted);
                    Ok(v)
                }
                Err(e) => Err(e.into()),
            },
            Err(e) => {
                if let Err(re) = conn.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job") {
                    tracing::error!(error = %re, "rolling back a failed write job");
                }
                Err(e)
            }
        };
        self.outcome = Some(result);
    }

    fn finish(self: Box<Self>, commit: &DbResult<()>) {
        let outcome = match (commit, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Err(e), _) => Err(e.clone().into()),
            (Ok(()), None) => Err(DbError::Other("write job did not run".into()).into()),
        };
        let _ = self.reply.send(outcome);
    }
}

/// What the writer did since its last report, logged at debug level every few seconds.
#[derive(Default)]
struct WriterStats {
    batches: u64,
    jobs: u64,
    run: std::time::Duration,
    commit: std::time::Duration,
    since: Option<std::time::Instant>,
}

impl WriterStats {
    fn record(&mut self, jobs: usize, run: std::time::Duration, commit: std::time::Duration) {
        let since = *self.since.get_or_insert_with(std::time::Instant::now);
        self.batches += 1;
        self.jobs += jobs as u64;
        self.run += run;
        self.commit += commit;
        if since.elapsed() >= std::time::Duration::from_secs(5) {
            tracing::debug!(
                batches = self.batches,
                jobs = self.jobs,
                jobs_per_batch = self.jobs / self.batches.max(1),
                run_ms_per_batch = self.run.as_secs_f64() * 1000.0 / self.batches.max(1) as f64,
                commit_ms_per_batch = self.commit.as_secs_f64() * 1000.0 / self.batches.max(1) as f64,
                "writer"
            );
            *self = WriterStats::default();
        }
    }
}

/// The writer's metrics, taken once when the writer starts: recording through a handle
/// takes no lock and allocates nothing.
struct WriterMetrics {
    committed: metrics::Counter,
    failed: metrics::Counter,
    jobs: metrics::Histogram,
    commit: metrics::Histogram,
    queued: metrics::Gauge,
}

impl WriterMetrics {
    fn new() -> Self {
        Self {
            committed: metrics::counter!("palaver_store_batches_total", "result" => "committed"),
            failed: metrics::counter!("palaver_store_batches_total", "result" => "failed"),
            jobs: metrics::histogram!("palaver_store_batch_jobs"),
            commit: metrics::histogram!("palaver_store_commit_duration_seconds"),
            queued: metrics::gauge!("palaver_store_write_queue_depth"),
        }
    }
}

/// What happens to a committed batch: its events are published and its jobs answered.
/// With a [`Syncer`], that waits until the write-ahead log holding the batch is on disk.
pub(crate) enum Acknowledge {
    /// Right after the commit (the commit itself was durable, or durability is relaxed).
    AtCommit(EventSink),
    /// After the syncer thread has flushed the log.
    AfterSync(crossbeam_channel::Sender<Committed>),
}

/// A committed batch waiting for its log to reach the disk.
pub(crate) struct Committed {
    jobs: Vec<Box<dyn WriteJob>>,
    events: Vec<Event>,
}

/// Upkeep the writer runs on its own connection after each batch (SQLite: restarting the
/// write-ahead log), so it never competes with a commit for the write lock.
pub(crate) type BetweenBatches = Box<dyn FnMut(&mut dyn Conn) + Send>;

/// The writer thread's loop.
pub(crate) fn run_writer(
    rx: Receiver<WriteMsg>,
    factory: ConnFactory,
    ack: Acknowledge,
    max_batch: usize,
    mut between_batches: Option<BetweenBatches>,
) {
    let mut conn: Option<Box<dyn Conn>> = None;
    let mut stopping = false;
    let mut stats = WriterStats::default();
    let metrics = WriterMetrics::new();
    while !stopping {
        let Ok(first) = rx.recv() else { break };
        let mut jobs = Vec::new();
        match first {
            WriteMsg::Job(j) => jobs.push(j),
            WriteMsg::Stop => break,
        }
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(WriteMsg::Job(j)) => jobs.push(j),
                Ok(WriteMsg::Stop) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        metrics.queued.set(rx.len() as f64);
        metrics.jobs.record(jobs.len() as f64);
        if conn.as_ref().is_some_and(|c| c.is_broken()) {
            conn = None;
        }
        if conn.is_none() {
            match factory(Role::Writer) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "writer cannot connect to the database");
                    let err = Err(e);
                    jobs.into_iter().for_each(|j| j.finish(&err));
                    continue;
                }
            }
        }
        let Some(c) = conn.as_deref_mut() else {
            continue;
        };
        let started = std::time::Instant::now();
        let committed = commit_batch(c, &mut jobs, &mut stats);
        metrics.commit.record(started.elapsed().as_secs_f64());
        match committed {
            Ok(events) => {
                metrics.committed.increment(1);
                match &ack {
                    Acknowledge::AtCommit(sink) => {
                        if !events.is_empty() {
                            sink(events);
                        }
                        jobs.into_iter().for_each(|j| j.finish(&Ok(())));
                    }
                    Acknowledge::AfterSync(syncer) => {
                        if let Err(e) = syncer.send(Committed { jobs, events }) {
                            let err = Err(DbError::Other("the log syncer stopped".into()));
                            e.into_inner().jobs.into_iter().for_each(|j| j.finish(&err));
                        }
                    }
                }
            }
            Err(e) => {
                metrics.failed.increment(1);
                tracing::error!(error = %e, jobs = jobs.len(), "batch commit failed");
                if c.is_broken() || matches!(e, DbError::Connection(_)) {
                    conn = None;
                }
                let err = Err(e);
                jobs.into_iter().for_each(|j| j.finish(&err));
            }
        }
        if let (Some(upkeep), Some(c)) = (between_batches.as_mut(), conn.as_deref_mut()) {
            upkeep(c);
        }
    }
}

/// The syncer thread's loop: flushes the write-ahead log once for every run of committed
/// batches waiting, then publishes their events and answers their jobs, in commit order.
/// The writer meanwhile executes the next batch, so commits and flushes overlap.
pub(crate) fn run_syncer(rx: Receiver<Committed>, wal: std::path::PathBuf, sink: EventSink) {
    let mut file: Option<std::fs::File> = None;
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        while let Ok(more) = rx.try_recv() {
            batches.push(more);
        }
        let synced = flush(&mut file, &wal);
        if let Err(e) = &synced {
            tracing::error!(error = %e, "flushing the write-ahead log");
        }
        for b in batches {
            if synced.is_ok() && !b.events.is_empty() {
                sink(b.events);
            }
            b.jobs.into_iter().for_each(|j| j.finish(&synced));
        }
    }
}

/// `fdatasync` of the write-ahead log file (opened once, reopened if it was replaced).
fn flush(file: &mut Option<std::fs::File>, wal: &std::path::Path) -> DbResult<()> {
    for _ in 0..2 {
        if file.is_none() {
            *file =
                Some(std::fs::File::open(wal).map_err(|e| DbError::Other(format!("opening {}: {e}", wal.display())))?);
        }
        if let Some(f) = file.as_ref() {
            match f.sync_data() {
                Ok(()) => return Ok(()),
                Err(_) => *file = None,
            }
        }
    }
    Err(DbError::Other(format!("cannot flush {}", wal.display())))
}

/// Runs one batch in one transaction; returns the events of the jobs that succeeded.
fn commit_batch(conn: &mut dyn Conn, jobs: &mut [Box<dyn WriteJob>], stats: &mut WriterStats) -> DbResult<Vec<Event>> {
    let begin = match conn.dialect() {
        crate::Dialect::Sqlite => "BEGIN IMMEDIATE",
        crate::Dialect::Postgres => "BEGIN",
    };
    let started = std::time::Instant::now();
    conn.execute(begin, &[])?;
    let mut seq = Sequence::default();
    if conn.dialect() == crate::Dialect::Postgres {
        // Lock the counter now, outside any job's savepoint, so the lock lasts until commit.
        seq.load(conn)?;
    }
    let mut events = Vec::new();
    for job in jobs.iter_mut() {
        job.run(conn, &mut events, &mut seq);
    }
    // The change log: every committed change the successful jobs publish is appended here,
    // in the same transaction (a failed job's events, and so its changes, were dropped).
    let changes: Vec<&Change> = events
        .iter()
        .filter_map(|e| match e {
            Event::Committed { change, .. } => Some(&**change),
            _ => None,
        })
        .collect();
    let logged = crate::repo::changes::append_all(conn, &changes).and_then(|()| seq.store(conn));
    let ran = started.elapsed();
    if let Err(e) = logged {
        let _ = conn.batch("ROLLBACK");
        return Err(e);
    }
    if let Err(e) = conn.execute("COMMIT", &[]) {
        let _ = conn.batch("ROLLBACK");
        return Err(e);
    }
    stats.record(jobs.len(), ran, started.elapsed() - ran);
    Ok(events)
}
