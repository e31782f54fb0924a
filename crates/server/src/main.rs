//! `palaver`: run the server, manage apps, run migrations.

use clap::{Parser, Subcommand};
use palaver_core::RateOverrides;
use palaver_core::{Core, CreatedApp};
use palaver_domain::{Error, Field, Invalid};
use palaver_server::Application;
use palaver_server::config::{DbArgs, ServeArgs, Settings, core_config, file_log_format, resolve_db};
use palaver_server::faces::{credentials_json, credentials_text, key_ids_json, key_kinds};
use palaver_server::logs::LogFormat;
use palaver_store::StoreOptions;
use std::process::ExitCode;

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
        command: AppCommand,
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
}

#[derive(Subcommand, Debug)]
enum AppCommand {
    /// Create an app and print its credentials (secrets are shown only this once).
    Create {
        /// Unique name: letters, digits, '-', '_' or '.'.
        #[arg(long)]
        name: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List apps, without secrets.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give an app a new secret for one kind of key (the key id stays; the old secret stops
    /// working, on running servers within a minute). Prints the new secret this once.
    Rotate {
        /// The app's name.
        name: String,
        /// The kind of key: taptalk.server_key, taptalk.app_key or qiscus.secret.
        #[arg(long)]
        kind: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show or change an app's own rate limits (per minute; 0: unlimited); the ones not set
    /// follow the server's. Running servers apply changes within a minute.
    Limits {
        /// The app's name.
        name: String,
        /// Messages a user may send per minute.
        #[arg(long)]
        sends_per_minute: Option<u32>,
        /// Typing notices a user may send per minute.
        #[arg(long)]
        typing_per_minute: Option<u32>,
        /// Receipt calls a user may make per minute.
        #[arg(long)]
        receipts_per_minute: Option<u32>,
        /// Uploads a user may start per minute.
        #[arg(long)]
        uploads_per_minute: Option<u32>,
        /// `false` turns the app's rate limits off.
        #[arg(long)]
        enabled: Option<bool>,
        /// Drop the app's own limits first (back to the server's).
        #[arg(long)]
        reset: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
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
            Some(Command::App { command: AppCommand::Create { name, json, db } }) => create_app(&db, &name, json).await,
            Some(Command::App { command: AppCommand::List { json, db } }) => list_apps(&db, json).await,
            Some(Command::App { command: limits @ AppCommand::Limits { .. } }) => app_limits(limits).await,
            Some(Command::App { command: AppCommand::Rotate { name, kind, json, db } }) => {
                rotate_key(&db, &name, &kind, json).await
            }
            Some(Command::Webhook { command }) => webhook_cli::run(command).await,
            Some(Command::Report { command }) => report_cli::run(command).await,
            Some(Command::User { command }) => user_cli::run(command).await,
            Some(Command::Room { command }) => room_cli::run(command).await,
            Some(Command::Migrate(db)) => migrate(&db).await,
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

async fn create_app(db: &DbArgs, name: &str, json: bool) -> Result<(), String> {
    let core = open_core(db).await?;
    let created = core.create_app(name, &key_kinds()).await;
    core.close().await;
    let created = created.map_err(|e| match e {
        Error::Invalid { field: Field::AppName, why: Invalid::Taken } => {
            format!("An app named {name:?} already exists")
        }
        Error::Invalid { field: Field::AppName, .. } => {
            "An app name is 1 to 64 letters, digits, '-', '_' or '.'".into()
        }
        other => other.to_string(),
    })?;
    if json {
        println!("{}", credentials_json(&created));
    } else {
        print_credentials(&created, &format!("Created the app {name:?}"));
    }
    Ok(())
}

async fn list_apps(db: &DbArgs, json: bool) -> Result<(), String> {
    let core = open_core(db).await?;
    let apps = core.list_apps().await;
    core.close().await;
    let apps = apps.map_err(|e| e.to_string())?;
    if json {
        let list: Vec<serde_json::Value> = apps
            .iter()
            .map(|a| {
                let mut map = key_ids_json(&a.keys);
                map.insert("app_id".into(), a.app_id.into());
                map.insert("name".into(), a.name.clone().into());
                map.insert("created".into(), a.created.into());
                serde_json::Value::Object(map)
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for a in apps {
            let keys: Vec<String> =
                key_ids_json(&a.keys).iter().map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default())).collect();
            println!("{}\t{}\t{}", a.app_id, a.name, keys.join("\t"));
        }
    }
    Ok(())
}

/// `app rotate`: a new secret for one of an app's keys, shown once in the face's own words.
async fn rotate_key(db: &DbArgs, name: &str, kind: &str, json: bool) -> Result<(), String> {
    let Some(kind) = key_kinds().into_iter().find(|k| k.name == kind) else {
        let kinds: Vec<&str> = key_kinds().iter().map(|k| k.name).collect();
        return Err(format!("--kind must be one of {}", kinds.join(", ")));
    };
    let core = open_core(db).await?;
    let result = core.rotate_key(name, kind).await;
    core.close().await;
    let key = result.map_err(|e| match e {
        Error::NotFound(_) => format!("There is no app named {name:?} with a {} key", kind.name),
        other => other.to_string(),
    })?;
    let fields = (kind.show)(&key.id, Some(&key.secret));
    if json {
        let object: serde_json::Map<String, serde_json::Value> =
            fields.iter().map(|f| (f.name.to_string(), serde_json::Value::from(f.value.clone()))).collect();
        println!("{}", serde_json::Value::Object(object));
    } else {
        println!("New secret for the app {name:?} (shown only this once):");
        for f in fields.iter().filter_map(|f| f.label.map(|l| (l, &f.value))) {
            println!("  {:<32} {}", f.0, f.1);
        }
    }
    Ok(())
}

/// `app limits`: changes (when asked) and prints an app's own rate limits.
async fn app_limits(command: AppCommand) -> Result<(), String> {
    let AppCommand::Limits {
        name,
        sends_per_minute,
        typing_per_minute,
        receipts_per_minute,
        uploads_per_minute,
        enabled,
        reset,
        json,
        db,
    } = command
    else {
        return Err("not an app limits command".into());
    };
    let given = RateOverrides {
        enabled,
        sends_per_minute,
        typing_per_minute,
        receipts_per_minute,
        uploads_per_minute,
        auth_failures_per_minute: None,
    };
    let core = open_core(&db).await?;
    let result = if reset || given != RateOverrides::default() {
        core.set_app_rate_limits(&name, given, reset).await
    } else {
        core.app_rate_limits(&name).await
    };
    core.close().await;
    let own = result.map_err(|e| match e {
        Error::NotFound(_) => format!("There is no app named {name:?}"),
        other => other.to_string(),
    })?;
    let text = serde_json::to_value(own).map_err(|e| e.to_string())?;
    if json {
        println!("{text}");
    } else if own == RateOverrides::default() {
        println!("{name}: the server's rate limits");
    } else {
        println!("{name}: {text} (others: the server's)");
    }
    Ok(())
}
