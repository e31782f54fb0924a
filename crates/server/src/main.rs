//! `palaver`: run the server, manage apps, run migrations.

use clap::{Parser, Subcommand};
use palaver_core::{Core, CreatedApp};
use palaver_server::Application;
use palaver_server::config::{DbArgs, ServeArgs, Settings, core_config, file_log_format, resolve_db};
use palaver_server::faces::credentials_text;
use palaver_server::logs::LogFormat;
use palaver_store::StoreOptions;
use std::process::ExitCode;

mod app_cli;
mod config_cli;
mod db_cli;
mod export_cli;
mod report_cli;
mod room_cli;
mod user_cli;
mod webhook_cli;

/// mimalloc instead of the system allocator: the server allocates many small, short-lived
/// strings per request; measured about 10% more room-list throughput and a smaller footprint.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Palaver: a self-hosted chat server speaking the TapTalk.io and Qiscus APIs.
#[derive(Parser, Debug)]
#[command(name = "palaver", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options of `serve`, the default command.
    #[command(flatten)]
    serve: ServeArgs,
    /// How log lines are written: `text` (default) or `json` (one object per line); also the
    /// `log_format` setting of `serve`'s config file. `PALAVER_LOG` sets the level.
    #[arg(long, global = true, env = "PALAVER_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Manage apps (tenants).
    App {
        #[command(subcommand)]
        command: app_cli::AppCommand,
    },
    /// Manage an app's webhook endpoints and see their deliveries.
    Webhook {
        #[command(subcommand)]
        command: webhook_cli::WebhookCommand,
    },
    /// See and act on an app's users: list, show, delete, end their sessions.
    User {
        #[command(subcommand)]
        command: user_cli::UserCommand,
    },
    /// See and delete an app's rooms.
    Room {
        #[command(subcommand)]
        command: room_cli::RoomCommand,
    },
    /// See the reports an app's users made about users and messages.
    Report {
        #[command(subcommand)]
        command: report_cli::ReportCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Print a complete example configuration, or check one.
    Config {
        #[command(subcommand)]
        command: config_cli::ConfigCommand,
    },
    /// Write a consistent copy of the embedded database while servers run (on PostgreSQL,
    /// says how to use pg_dump).
    Backup {
        /// The file to write; never overwritten.
        #[arg(long)]
        to: std::path::PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write an app as JSON lines (users, rooms, messages, participants, contacts, blocks),
    /// to move it to another Palaver server.
    Export(export_cli::ExportArgs),
    /// Load an export into an existing app; importing the same file again changes nothing.
    Import(export_cli::ImportArgs),
    /// Move a whole deployment's database to an empty PostgreSQL database, then count every
    /// table on both sides. Stop the servers first.
    MigrateDb {
        /// The database to copy: `sqlite:PATH` (the data directory's palaver.db).
        #[arg(long)]
        from: String,
        /// The empty PostgreSQL database to fill: `postgres://...`.
        #[arg(long)]
        to: String,
        /// Print one JSON object instead of a progress bar and a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match &cli.command {
        None => cli.serve.db.config.as_deref(),
        Some(Command::Serve(args)) => args.db.config.as_deref(),
        Some(_) => None,
    };
    let _log_writer =
        palaver_server::logs::init(cli.log_format.or_else(|| file_log_format(config)).unwrap_or_default());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => serve(cli.serve).await,
            Some(Command::Serve(args)) => serve(args).await,
            Some(Command::App { command }) => app_cli::run(command).await,
            Some(Command::Webhook { command }) => webhook_cli::run(command).await,
            Some(Command::Report { command }) => report_cli::run(command).await,
            Some(Command::User { command }) => user_cli::run(command).await,
            Some(Command::Room { command }) => room_cli::run(command).await,
            Some(Command::Migrate(db)) => migrate(&db).await,
            Some(Command::Config { command }) => config_cli::run(command),
            Some(Command::Backup { to, json, db }) => db_cli::backup(&db, &to, json).await,
            Some(Command::Export(args)) => export_cli::export(args).await,
            Some(Command::Import(args)) => export_cli::import(args).await,
            Some(Command::MigrateDb { from, to, json }) => db_cli::migrate_db(&from, &to, json).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database (running migrations) for a one-off command.
async fn open_core(db: &DbArgs) -> Result<Core, String> {
    let (data_dir, backend, file) = resolve_db(db)?;
    let config = core_config(db, &data_dir, &file)?;
    let options = StoreOptions { readers: 1, ..StoreOptions::default() };
    Core::open(backend, options, config).await.map_err(|e| format!("cannot open the database: {e}"))
}

async fn migrate(db: &DbArgs) -> Result<(), String> {
    let core = open_core(db).await?;
    core.close().await;
    eprintln!("migrations are up to date");
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let shutdown = shutdown_signal();
    let settings = Settings::resolve(&args)?;
    // Every listener is bound (and on SQLite the data directory locked) before the default
    // app is created: a start that fails creates no app whose secrets nobody saw.
    let app = Application::build(settings).await?;
    if let Some(created) = app.default_app() {
        print_credentials(created, "Created the app \"default\"");
    }
    let scheme = if app.is_tls() { "https" } else { "http" };
    if let Some(mqtt) = app.mqtt_addr() {
        let scheme = if app.is_tls() { "mqtts" } else { "mqtt" };
        tracing::info!("MQTT is listening on {scheme}://{mqtt}");
    }
    tracing::info!("Palaver is listening on {scheme}://{}", app.local_addr());
    app.run_until_stopped(shutdown).await;
    tracing::info!("Palaver stopped");
    Ok(())
}

/// Installs the SIGTERM and Ctrl-C handlers at once, before the server says it is listening,
/// so a signal sent from then on always stops it gracefully; the future completes on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (mut term, mut interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            async fn received(s: Option<&mut tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = received(term.as_mut()) => {},
                () = received(interrupt.as_mut()) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

fn print_credentials(app: &CreatedApp, title: &str) {
    print!("{title} (id {}). Its secrets are shown only this once:\n{}", app.app_id, credentials_text(app));
}
