//! `palaver webhook ...`: an app's webhook endpoints and their delivery log. Running servers
//! pick changes up by themselves (they read the endpoints from the database).

use crate::open_core;
use clap::Subcommand;
use palaver_core::Core;
use palaver_core::webhooks::{Attempt, EVENT_NAMES, NewWebhook, Webhook};
use palaver_domain::{AppId, Error, Field};
use palaver_server::config::DbArgs;
use palaver_server::faces::webhook_dialects;
use serde_json::{Value, json};

/// The `webhook` subcommands.
#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Add an endpoint; it receives the changes committed from now on. Prints its secret
    /// this once.
    Add {
        /// The app's name.
        #[arg(long)]
        app: String,
        /// Where to POST: an http or https URL.
        #[arg(long)]
        url: String,
        /// Payload dialect: palaver, taptalk or qiscus.
        #[arg(long)]
        dialect: String,
        /// Comma-separated change names (default: all), e.g. message.created,room.created.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// The signing secret, `whsec_<base64>` (default: a new one).
        #[arg(long)]
        secret: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List endpoints (of one app, or of all), without secrets.
    List {
        /// The app's name (default: every app).
        #[arg(long)]
        app: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Stop deliveries to an endpoint (what comes meanwhile waits for `enable`).
    Disable(EndpointArgs),
    /// Resume deliveries to an endpoint from where they stopped.
    Enable(EndpointArgs),
    /// Remove an endpoint (its attempts stay in the log until they expire).
    Remove(EndpointArgs),
    /// Show delivery attempts, newest first.
    Attempts {
        /// The app's name.
        #[arg(long)]
        app: String,
        /// Only this endpoint's.
        #[arg(long)]
        endpoint: Option<i64>,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Names one endpoint.
#[derive(clap::Args, Debug)]
pub struct EndpointArgs {
    /// The endpoint's id.
    id: i64,
    /// The app's name.
    #[arg(long)]
    app: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs a `webhook` subcommand.
pub async fn run(command: WebhookCommand) -> Result<(), String> {
    match command {
        WebhookCommand::Add { app, url, dialect, events, secret, json, db } => {
            if !webhook_dialects().iter().any(|d| d.name() == dialect) {
                let names: Vec<&str> = webhook_dialects().iter().map(|d| d.name()).collect();
                return Err(format!("--dialect must be one of {}", names.join(", ")));
            }
            if let Some(bad) = events.iter().find(|e| !EVENT_NAMES.contains(&e.as_str())) {
                return Err(format!("unknown event {bad:?}; known: {}", EVENT_NAMES.join(", ")));
            }
            let core = open_core(&db).await?;
            let added = async {
                let app_id = app_id(&core, &app).await?;
                core.add_webhook(app_id, NewWebhook { url, dialect, events, secret }).await.map_err(|e| match e {
                    Error::Invalid { field: Field::WebhookUrl, .. } => {
                        "--url must be an http:// or https:// URL with a host".to_string()
                    }
                    Error::Invalid { field: Field::WebhookSecret, .. } => {
                        "--secret must be whsec_ followed by 16 to 64 bytes in base64".to_string()
                    }
                    other => other.to_string(),
                })
            }
            .await;
            core.close().await;
            let (hook, secret) = added?;
            if json {
                let mut v = webhook_json(&hook, &app);
                v["secret"] = json!(secret);
                println!("{v}");
            } else {
                println!("Added webhook {} of the app {app:?} -> {} ({})", hook.id, hook.url, hook.dialect);
                println!("  secret (shown only this once): {secret}");
            }
            Ok(())
        }
        WebhookCommand::List { app, json, db } => {
            let core = open_core(&db).await?;
            let listed = async {
                let apps = core.list_apps().await.map_err(|e| e.to_string())?;
                let only = match &app {
                    Some(name) => Some(app_id(&core, name).await?),
                    None => None,
                };
                let hooks = core.webhooks(only).await.map_err(|e| e.to_string())?;
                let name_of =
                    |id: AppId| apps.iter().find(|a| a.app_id == id.0).map_or(String::new(), |a| a.name.clone());
                Ok::<_, String>(hooks.into_iter().map(|h| (name_of(h.app), h)).collect::<Vec<_>>())
            }
            .await;
            core.close().await;
            let hooks = listed?;
            if json {
                println!("{}", Value::Array(hooks.iter().map(|(app, h)| webhook_json(h, app)).collect()));
            } else if hooks.is_empty() {
                println!("No webhooks.");
            } else {
                for (app, h) in &hooks {
                    let state = match (h.enabled, h.disabled_reason.as_str()) {
                        (true, _) if h.failures > 0 => format!("enabled, {} failures in a row", h.failures),
                        (true, _) => "enabled".to_string(),
                        (false, "") => "disabled".to_string(),
                        (false, why) => format!("disabled: {why}"),
                    };
                    let events = if h.events.is_empty() { "all events".to_string() } else { h.events.join(",") };
                    println!("{:>4}  {app}  {}  {}  {events}  {state}", h.id, h.dialect, h.url);
                }
            }
            Ok(())
        }
        WebhookCommand::Disable(a) => {
            change(a, "disabled", |core, app, id| async move { core.set_webhook_enabled(app, id, false).await }).await
        }
        WebhookCommand::Enable(a) => {
            change(a, "enabled", |core, app, id| async move { core.set_webhook_enabled(app, id, true).await }).await
        }
        WebhookCommand::Remove(a) => {
            change(a, "removed", |core, app, id| async move { core.remove_webhook(app, id).await }).await
        }
        WebhookCommand::Attempts { app, endpoint, limit, json, db } => {
            let core = open_core(&db).await?;
            let listed = async {
                let app_id = app_id(&core, &app).await?;
                core.webhook_attempts(app_id, endpoint, Vec::new(), limit.clamp(1, 1000), 0)
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            core.close().await;
            let attempts = listed?;
            if json {
                println!("{}", Value::Array(attempts.iter().map(attempt_json).collect()));
            } else {
                for a in &attempts {
                    let what = if a.success { "delivered".to_string() } else { a.error.clone() };
                    println!(
                        "{:>6}  {}  endpoint {}  {}  {}  {} ms  {what}",
                        a.id,
                        palaver_qiscus::wire::iso_millis(a.attempted_at),
                        a.endpoint,
                        a.delivery_id,
                        a.status,
                        a.latency_ms
                    );
                }
            }
            Ok(())
        }
    }
}

/// Enables, disables or removes one endpoint.
async fn change<F, Fut>(a: EndpointArgs, done: &str, act: F) -> Result<(), String>
where
    F: FnOnce(Core, AppId, i64) -> Fut,
    Fut: std::future::Future<Output = Result<bool, palaver_domain::Error>>,
{
    let core = open_core(&a.db).await?;
    let result = async {
        let app = app_id(&core, &a.app).await?;
        act(core.clone(), app, a.id).await.map_err(|e| e.to_string())
    }
    .await;
    core.close().await;
    if !result? {
        return Err(format!("the app {:?} has no webhook {}", a.app, a.id));
    }
    if a.json {
        println!("{}", json!({"id": a.id, "status": done}));
    } else {
        println!("Webhook {} {done}.", a.id);
    }
    Ok(())
}

/// The id of the app named `name`.
pub async fn app_id(core: &Core, name: &str) -> Result<AppId, String> {
    let apps = core.list_apps().await.map_err(|e| e.to_string())?;
    apps.iter()
        .find(|a| a.name == name)
        .map(|a| AppId(a.app_id))
        .ok_or_else(|| format!("There is no app named {name:?}"))
}

fn webhook_json(h: &Webhook, app: &str) -> Value {
    json!({
        "id": h.id,
        "app": app,
        "url": h.url,
        "dialect": h.dialect,
        "events": h.events,
        "enabled": h.enabled,
        "disabled_reason": h.disabled_reason,
        "failures": h.failures,
        "created": h.created,
    })
}

fn attempt_json(a: &Attempt) -> Value {
    json!({
        "id": a.id,
        "endpoint": a.endpoint,
        "delivery_id": a.delivery_id,
        "change_id": a.change.0,
        "event": a.event,
        "url": a.url,
        "attempted_at": a.attempted_at,
        "status": a.status,
        "latency_ms": a.latency_ms,
        "success": a.success,
        "error": a.error,
        "response_body": a.response_body,
    })
}
