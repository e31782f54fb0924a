//! `palaver app ...`: create, list, show, rotate keys, disable, enable, delete apps and set
//! their rate limits. Each command opens the database, does its work and closes it; running
//! servers (every node) see the change within seconds.

use crate::{open_core, print_credentials};
use clap::Subcommand;
use palaver_core::{AppDetails, KeyKind, RateOverrides};
use palaver_domain::{Error, Field, Invalid};
use palaver_server::config::DbArgs;
use palaver_server::faces::{credentials_json, key_ids_json, key_kinds};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// How long an old secret stays valid after `rotate-keys` when `--grace` is not given: a day.
pub const DEFAULT_GRACE_SECS: u64 = 24 * 60 * 60;

/// The `app` subcommands.
#[derive(Subcommand, Debug)]
pub enum AppCommand {
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
    /// Show an app without its secrets: id, creation, whether it is disabled, its key kinds
    /// and public ids, and how many users, rooms and messages it has.
    Show {
        /// The app's name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give an app's keys new secrets (key ids stay) and print them this once. The old
    /// secrets stay valid for the grace period (default 24 hours) so deployments can move
    /// over; `--grace 0` revokes them at once.
    #[command(visible_alias = "rotate")]
    RotateKeys {
        /// The app's name.
        name: String,
        /// Only the key of this kind: taptalk.server_key, taptalk.app_key or qiscus.secret
        /// (default: every kind).
        #[arg(long)]
        kind: Option<String>,
        /// Seconds the old secrets stay valid (0: revoked at once).
        #[arg(long, default_value_t = DEFAULT_GRACE_SECS)]
        grace: u64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable an app: every API call it makes is refused (and new realtime connections),
    /// on running servers within seconds. Nothing else changes.
    Disable {
        /// The app's name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Enable a disabled app again.
    Enable {
        /// The app's name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete an app: its keys stop working, its change log is dropped, its name is free.
    /// Its data stays in the database, unreachable. Needs `--yes`.
    Delete {
        /// The app's name.
        name: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
        /// Print JSON.
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

/// Runs an `app` subcommand.
pub async fn run(command: AppCommand) -> Result<(), String> {
    match command {
        AppCommand::Create { name, json, db } => create_app(&db, &name, json).await,
        AppCommand::List { json, db } => list_apps(&db, json).await,
        AppCommand::Show { name, json, db } => show_app(&db, &name, json).await,
        AppCommand::RotateKeys { name, kind, grace, json, db } => {
            rotate_keys(&db, &name, kind.as_deref(), grace, json).await
        }
        AppCommand::Disable { name, json, db } => set_disabled(&db, &name, true, json).await,
        AppCommand::Enable { name, json, db } => set_disabled(&db, &name, false, json).await,
        AppCommand::Delete { name, yes, json, db } => delete_app(&db, &name, yes, json).await,
        limits @ AppCommand::Limits { .. } => app_limits(limits).await,
    }
}

/// Words an error about the app `name` for the operator.
fn no_app(name: &str) -> impl Fn(Error) -> String + '_ {
    move |e| match e {
        Error::NotFound(_) => format!("There is no app named {name:?}"),
        other => other.to_string(),
    }
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
        let list: Vec<Value> = apps
            .iter()
            .map(|a| {
                let mut map = key_ids_json(&a.keys);
                map.insert("app_id".into(), a.app_id.into());
                map.insert("name".into(), a.name.clone().into());
                map.insert("created".into(), a.created.into());
                map.insert("disabled".into(), (a.disabled > 0).into());
                Value::Object(map)
            })
            .collect();
        println!("{}", Value::Array(list));
    } else {
        for a in apps {
            let keys: Vec<String> =
                key_ids_json(&a.keys).iter().map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default())).collect();
            let state = if a.disabled > 0 { "\t(disabled)" } else { "" };
            println!("{}\t{}\t{}{state}", a.app_id, a.name, keys.join("\t"));
        }
    }
    Ok(())
}

fn details_json(d: &AppDetails) -> Value {
    let keys: Vec<Value> = d
        .keys
        .iter()
        .map(|(kind, id, until)| json!({"kind": kind, "id": id, "old_valid_until": (*until > 0).then_some(*until)}))
        .collect();
    json!({
        "app_id": d.app_id,
        "name": d.name,
        "created": d.created,
        "disabled": d.disabled > 0,
        "disabled_at": (d.disabled > 0).then_some(d.disabled),
        "keys": keys,
        "users": d.users,
        "rooms": d.rooms,
        "messages": d.messages,
    })
}

async fn show_app(db: &DbArgs, name: &str, json: bool) -> Result<(), String> {
    let core = open_core(db).await?;
    let details = core.app_details(name).await;
    core.close().await;
    let d = details.map_err(no_app(name))?;
    if json {
        println!("{}", details_json(&d));
        return Ok(());
    }
    println!("{} (id {}){}", d.name, d.app_id, if d.disabled > 0 { ", disabled" } else { "" });
    println!("  created   {}", d.created);
    for (kind, id, until) in &d.keys {
        let grace = if *until > 0 { format!(" (old secret valid until {until})") } else { String::new() };
        println!("  {kind:<20} {id}{grace}");
    }
    println!("  {} users, {} rooms, {} messages", d.users, d.rooms, d.messages);
    Ok(())
}

/// `app rotate-keys`: new secrets, shown once in each face's own words.
async fn rotate_keys(db: &DbArgs, name: &str, kind: Option<&str>, grace: u64, json: bool) -> Result<(), String> {
    let all = key_kinds();
    let kinds: Vec<KeyKind> = match kind {
        None => all.clone(),
        Some(wanted) => {
            let Some(k) = all.iter().find(|k| k.name == wanted) else {
                let names: Vec<&str> = all.iter().map(|k| k.name).collect();
                return Err(format!("--kind must be one of {}", names.join(", ")));
            };
            vec![*k]
        }
    };
    let core = open_core(db).await?;
    let result = core.rotate_keys(name, &kinds, Duration::from_secs(grace)).await;
    core.close().await;
    let keys = result.map_err(|e| match (e, kind) {
        (Error::NotFound(_), Some(kind)) => format!("There is no app named {name:?} with a {kind} key"),
        (e, _) => no_app(name)(e),
    })?;
    let valid_until = (grace > 0).then(|| {
        let grace_ms = i64::try_from(grace.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
        palaver_domain::time::now_ms().saturating_add(grace_ms)
    });
    if json {
        let mut object = Map::new();
        object.insert("app".into(), name.into());
        object.insert("grace_seconds".into(), grace.into());
        object.insert("old_valid_until".into(), valid_until.into());
        for key in &keys {
            let Some(kind) = all.iter().find(|k| k.name == key.kind) else { continue };
            for f in (kind.show)(&key.id, Some(&key.secret)) {
                object.insert(f.name.to_string(), f.value.into());
            }
        }
        println!("{}", Value::Object(object));
        return Ok(());
    }
    println!("New secrets for the app {name:?} (shown only this once):");
    for key in &keys {
        let Some(kind) = all.iter().find(|k| k.name == key.kind) else { continue };
        for f in (kind.show)(&key.id, Some(&key.secret)) {
            if let Some(label) = f.label {
                println!("  {label:<32} {}", f.value);
            }
        }
    }
    match grace {
        0 => println!("The old secrets no longer work."),
        secs => println!("The old secrets keep working for {secs} seconds."),
    }
    Ok(())
}

async fn set_disabled(db: &DbArgs, name: &str, disabled: bool, json: bool) -> Result<(), String> {
    let core = open_core(db).await?;
    let result = core.set_app_disabled(name, disabled).await;
    core.close().await;
    let id = result.map_err(no_app(name))?;
    if json {
        println!("{}", json!({"app_id": id.0, "name": name, "disabled": disabled}));
    } else {
        println!("The app {name:?} is {}.", if disabled { "disabled" } else { "enabled" });
    }
    Ok(())
}

async fn delete_app(db: &DbArgs, name: &str, yes: bool, json: bool) -> Result<(), String> {
    if !yes {
        return Err(format!(
            "Deleting the app {name:?} stops its keys at once and cannot be undone: run again with --yes"
        ));
    }
    let core = open_core(db).await?;
    let result = core.delete_app(name).await;
    core.close().await;
    let id = result.map_err(no_app(name))?;
    if json {
        println!("{}", json!({"app_id": id.0, "name": name, "deleted": true}));
    } else {
        println!("Deleted the app {name:?} (id {}).", id.0);
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
    let own = result.map_err(no_app(&name))?;
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
