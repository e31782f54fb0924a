//! Persistence for Palaver.
//!
//! One set of repositories (plain SQL over [`db::Conn`]) runs on two drivers: SQLite, the
//! embedded default, and PostgreSQL for several nodes. Writes go through one writer thread
//! per node that group-commits ([`writer`]); reads go to a small pool of reader threads and
//! never wait for the writer, and background consumers (webhooks) read on a thread of their
//! own at the lowest CPU priority, so that they take only what the rest leaves.

pub mod copy;
pub mod db;
mod migrate;
pub mod postgres;
pub mod repo;
pub mod sqlite;
mod writer;

pub use db::{Conn, DbError, DbResult, Dialect, Row, Value, text_query};
pub use sqlite::Durability;
pub use writer::WriteTx;

use crossbeam_channel::{Sender, TrySendError, bounded};
use palaver_domain::Event;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;
use writer::{Job, WriteMsg};

/// Receives the events of each committed batch, in commit order. It is called on the
/// store's own threads and may block them (a full queue downstream slows the writer down
/// instead of growing without bound).
pub type EventSink = Arc<dyn Fn(Vec<Event>) + Send + Sync>;

/// Most write jobs waiting for the writer; past this, writes are refused as busy.
const WRITE_QUEUE: usize = 65_536;
/// Most read jobs waiting for a reader; past this, reads are refused as busy.
const READ_QUEUE: usize = 65_536;

/// Which database a store uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl Backend {
    /// Reads a database URL: `sqlite:PATH`, `sqlite://PATH` or `postgres://...`.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(url.to_string()))
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err("the sqlite URL names no file".into());
            }
            Ok(Backend::Sqlite(PathBuf::from(path)))
        } else {
            Err(format!("unsupported database URL {url:?}: use sqlite:PATH or postgres://..."))
        }
    }
}

/// Tuning of a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Number of reader threads (connections).
    pub readers: usize,
    /// Most write jobs committed in one transaction.
    pub max_batch: usize,
    /// SQLite durability level.
    pub durability: Durability,
    /// SQLite: write-ahead log size, in frames (pages), above which the writer restarts the
    /// log, so it stays bounded under a steady stream of commits.
    pub wal_restart_frames: i64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { readers: 4, max_batch: 512, durability: Durability::Full, wal_restart_frames: 64 * 1024 }
    }
}

/// What a connection is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Writer,
    Reader,
}

pub(crate) type ConnFactory = Arc<dyn Fn(Role) -> DbResult<Box<dyn Conn>> + Send + Sync>;

trait ReadJob: Send {
    fn run(self: Box<Self>, conn: &mut dyn Conn);
    fn fail(self: Box<Self>, e: DbError);
}

enum ReadMsg {
    Job(Box<dyn ReadJob>),
    Stop,
}

struct Read<T, E, F> {
    work: F,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> ReadJob for Read<T, E, F>
where
    T: Send,
    E: From<DbError> + Send,
    F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send,
{
    fn run(self: Box<Self>, conn: &mut dyn Conn) {
        let work = self.work;
        let result = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(DbError::Other("read job panicked".into()).into()));
        let _ = self.reply.send(result);
    }

    fn fail(self: Box<Self>, e: DbError) {
        let _ = self.reply.send(Err(e.into()));
    }
}

/// A cheap, cloneable handle to the database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Sender<WriteMsg>,
    readers: Sender<ReadMsg>,
    background: Sender<ReadMsg>,
    reader_count: usize,
    dialect: Dialect,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop_checkpoints: crossbeam_channel::Sender<()>,
}

impl Store {
    /// Opens the database, runs pending migrations and starts the writer and reader threads.
    pub fn open(backend: &Backend, options: StoreOptions, sink: EventSink) -> DbResult<Store> {
        let (factory, dialect) = factory_for(backend);
        {
            let mut conn = factory(Role::Writer)?;
            migrate::run(conn.as_mut())?;
        }
        let (wtx, wrx) = bounded(WRITE_QUEUE);
        let (rtx, rrx) = bounded::<ReadMsg>(READ_QUEUE);
        let mut threads = Vec::new();
        let wf = factory.clone();
        let max_batch = options.max_batch.max(1);
        // SQLite commits without waiting for the disk; a syncer thread flushes the log and only
        // then acknowledges, overlapping the flush with the next batch. PostgreSQL commits are
        // durable by themselves.
        let ack = match (backend, options.durability) {
            (Backend::Sqlite(path), Durability::Full) => {
                // Committed batches waiting for their flush; a full queue stalls the writer.
                let (stx, srx) = bounded(1024);
                let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
                threads.push(spawn("palaver-syncer", move || writer::run_syncer(srx, wal, sink))?);
                writer::Acknowledge::AfterSync(stx)
            }
            _ => writer::Acknowledge::AtCommit(sink),
        };
        let restart_due = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let between_batches: Option<writer::BetweenBatches> = match backend {
            Backend::Sqlite(_) => Some(Box::new(sqlite::restart_log_when_due(restart_due.clone()))),
            _ => None,
        };
        threads.push(spawn("palaver-writer", move || writer::run_writer(wrx, wf, ack, max_batch, between_batches))?);
        let reader_count = options.readers.max(1);
        for i in 0..reader_count {
            let rrx = rrx.clone();
            let rf = factory.clone();
            threads.push(spawn(&format!("palaver-reader-{i}"), move || run_reader(rrx, rf))?);
        }
        let (btx, brx) = bounded::<ReadMsg>(READ_QUEUE);
        let bf = factory.clone();
        threads.push(spawn("palaver-background-reader", move || {
            lower_thread_priority();
            run_reader(brx, bf)
        })?);
        let (stop_checkpoints, stopped) = crossbeam_channel::bounded::<()>(1);
        if let Backend::Sqlite(path) = backend {
            let path = path.clone();
            let restart_after = options.wal_restart_frames;
            threads.push(spawn("palaver-checkpoint", move || {
                sqlite::run_checkpoints(&path, stopped, restart_due, restart_after)
            })?);
        }
        Ok(Store {
            inner: Arc::new(Inner {
                writer: wtx,
                readers: rtx,
                background: btx,
                reader_count,
                dialect,
                threads: Mutex::new(threads),
                stop_checkpoints,
            }),
        })
    }

    /// The dialect of the underlying database.
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    /// Runs `work` in the next group-committed transaction and returns its result once the
    /// transaction is durable. If `work` fails, nothing it wrote is kept.
    pub fn write<T, E, F>(&self, work: F) -> impl Future<Output = Result<T, E>> + Send + 'static + use<T, E, F>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, E> + Send + 'static,
    {
        // The job is queued now, not when the future is first polled, so writes keep the
        // order in which they were asked for even when their replies are awaited together.
        let (reply, rx) = oneshot::channel();
        let job = Job { work: Some(work), outcome: None, reply };
        let queued = match self.inner.writer.try_send(WriteMsg::Job(Box::new(job))) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(DbError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(DbError::Connection("the store is closed".into())),
        };
        async move {
            if let Err(e) = queued {
                return Err(e.into());
            }
            rx.await.unwrap_or_else(|_| Err(DbError::Connection("the writer stopped".into()).into()))
        }
    }

    /// Runs `work` on a reader connection.
    pub async fn read<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        Self::read_on(&self.inner.readers, work).await
    }

    /// Runs `work` on the background reader, a thread at the lowest CPU priority: for
    /// consumers of the log (webhooks) whose reads must not take CPU from clients' requests.
    pub async fn read_in_background<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        Self::read_on(&self.inner.background, work).await
    }

    async fn read_on<T, E, F>(queue: &Sender<ReadMsg>, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        match queue.try_send(ReadMsg::Job(Box::new(Read { work, reply }))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(DbError::Busy.into()),
            Err(TrySendError::Disconnected(_)) => return Err(DbError::Connection("the store is closed".into()).into()),
        }
        rx.await.unwrap_or_else(|_| Err(DbError::Connection("the reader stopped".into()).into()))
    }

    /// Finishes queued work, stops the threads and closes the connections. Blocks.
    pub fn close(&self) {
        // Blocking sends: the stop messages queue behind every job already accepted.
        let _ = self.inner.writer.send(WriteMsg::Stop);
        for _ in 0..self.inner.reader_count {
            let _ = self.inner.readers.send(ReadMsg::Stop);
        }
        let _ = self.inner.background.send(ReadMsg::Stop);
        let _ = self.inner.stop_checkpoints.try_send(());
        let threads = std::mem::take(&mut *self.inner.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

/// Gives the calling thread (and the threads it starts) the lowest CPU priority, nice 19, so
/// that it runs on what CPU the node has to spare. Elsewhere than Linux it keeps its priority.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // On Linux the nice value belongs to the thread, not the process.
    if let Err(e) = rustix::process::setpriority_process(None, 19) {
        tracing::debug!(error = %e, "a background thread keeps its priority");
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> DbResult<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .map_err(|e| DbError::Other(format!("cannot start thread {name}: {e}")))
}

/// Creates a directory (and its parents) if missing; a new one is for its owner only, since
/// it holds the database or the uploads.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates a new database file (and its directory) readable by its owner only; SQLite gives
/// its WAL and shared-memory files the database file's permissions.
fn create_private(path: &std::path::Path) -> DbResult<()> {
    if path.exists() {
        return Ok(());
    }
    let cannot =
        |what: &std::path::Path, e: std::io::Error| DbError::Other(format!("cannot create {}: {e}", what.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|e| cannot(dir, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(cannot(path, e)),
    }
}

/// One connection to `backend` with its schema as it is, for one-off tools that need neither
/// the writer nor the readers of a [`Store`] (a backup copies the database it finds, migrated
/// or not).
pub fn connect(backend: &Backend) -> DbResult<Box<dyn Conn>> {
    let (factory, _) = factory_for(backend);
    factory(Role::Writer)
}

/// Like [`connect`], with every migration applied first (copying a database needs the
/// schema of this version on both sides).
pub fn connect_migrated(backend: &Backend) -> DbResult<Box<dyn Conn>> {
    let mut conn = connect(backend)?;
    migrate::run(conn.as_mut())?;
    Ok(conn)
}

fn factory_for(backend: &Backend) -> (ConnFactory, Dialect) {
    match backend.clone() {
        Backend::Sqlite(path) => (
            Arc::new(move |role| {
                if role == Role::Writer {
                    create_private(&path)?;
                }
                let conn = sqlite::SqliteConn::open(&path, role == Role::Writer)?;
                Ok(Box::new(conn) as Box<dyn Conn>)
            }),
            Dialect::Sqlite,
        ),
        Backend::Postgres(url) => {
            (Arc::new(move |_| Ok(Box::new(postgres::PgConn::connect(&url)?) as Box<dyn Conn>)), Dialect::Postgres)
        }
    }
}

fn run_reader(rx: crossbeam_channel::Receiver<ReadMsg>, factory: ConnFactory) {
    let mut conn: Option<Box<dyn Conn>> = None;
    while let Ok(ReadMsg::Job(job)) = rx.recv() {
        if conn.as_ref().is_some_and(|c| c.is_broken()) {
            conn = None;
        }
        if conn.is_none() {
            match factory(Role::Reader) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "reader cannot connect to the database");
                    job.fail(e);
                    continue;
                }
            }
        }
        if let Some(c) = conn.as_deref_mut() {
            job.run(c);
        }
    }
}
