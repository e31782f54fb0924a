//! `palaver export` and `palaver import`: an app as JSON lines, to move it between Palaver
//! servers (the format is described in `palaver_core::transfer`).

use crate::open_core;
use crate::webhook_cli::app_id;
use clap::Args;
use palaver_core::Core;
use palaver_core::transfer::{self, Counts};
use palaver_server::config::DbArgs;
use serde_json::json;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

/// Options of `palaver export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The app's name.
    #[arg(long)]
    pub app: String,
    /// The file to write (never overwritten); standard output by default.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Options of `palaver import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The name of the app to fill, which must exist (`palaver app create`).
    #[arg(long)]
    pub app: String,
    /// The file to read (checked whole before anything is written); standard input by
    /// default (checked batch by batch).
    #[arg(long = "in")]
    pub input: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs `palaver export`.
pub async fn export(args: ExportArgs) -> Result<(), String> {
    let mut out: Box<dyn Write> =
        match &args.out {
            Some(path) => {
                Box::new(BufWriter::new(std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(
                    |e| format!("cannot create {}: {e} (an export never overwrites a file)", path.display()),
                )?))
            }
            None => Box::new(BufWriter::new(std::io::stdout().lock())),
        };
    let core = open_core(&args.db).await?;
    let done = async {
        let app = app_id(&core, &args.app).await?;
        let system = system_user(&core, &args.app).await?;
        transfer::export(core.store(), app, &args.app, system, out.as_mut()).await.map_err(|e| e.to_string())
    }
    .await;
    core.close().await;
    let counts = done?;
    eprintln!("Exported {}: {}.", args.app, summary(&counts));
    Ok(())
}

/// Runs `palaver import`.
pub async fn import(args: ImportArgs) -> Result<(), String> {
    let mut input: Box<dyn BufRead> = match &args.input {
        Some(path) => {
            let open = || std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()));
            transfer::validate(&mut BufReader::new(open()?)).map_err(|e| e.to_string())?;
            Box::new(BufReader::new(open()?))
        }
        None => Box::new(BufReader::new(std::io::stdin().lock())),
    };
    let core = open_core(&args.db).await?;
    let done = async {
        let app = app_id(&core, &args.app).await?;
        let system = system_user(&core, &args.app).await?;
        transfer::import(core.store(), app, system, input.as_mut()).await.map_err(|e| e.to_string())
    }
    .await;
    core.close().await;
    let counts = done?;
    if args.json {
        println!("{}", json!({"app": args.app, "new": counts}));
    } else {
        println!("Imported into {}, new: {}.", args.app, summary(&counts));
    }
    Ok(())
}

/// The external id of the app's Qiscus system user, which differs between servers.
async fn system_user(core: &Core, app: &str) -> Result<Option<String>, String> {
    let apps = core.list_apps().await.map_err(|e| e.to_string())?;
    let keys = apps.into_iter().find(|a| a.name == app).map(|a| a.keys).unwrap_or_default();
    Ok(keys
        .into_iter()
        .find(|(kind, _)| kind == palaver_qiscus::SECRET.name)
        .map(|(_, id)| palaver_qiscus::system_user_id(&id)))
}

fn summary(c: &Counts) -> String {
    format!(
        "{} users, {} rooms, {} messages, {} participants, {} contacts, {} blocks",
        c.users, c.rooms, c.messages, c.participants, c.contacts, c.blocks
    )
}
