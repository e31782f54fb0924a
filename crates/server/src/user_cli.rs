//! `palaver user ...`: what an operator does to an app's users from the command line.

use crate::open_core;
use crate::webhook_cli::app_id;
use clap::Subcommand;
use palaver_domain::{ExternalId, UserRef};
use palaver_server::config::DbArgs;
use serde_json::json;

/// The `user` subcommands.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// End every session of a user: its tokens stop working at once, and its live
    /// connections close on running servers within seconds.
    RevokeSessions {
        /// The app's name.
        #[arg(long)]
        app: String,
        /// The user's id in the customer's system (TapTalk `xcUserID`, Qiscus `user_id`).
        #[arg(long)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs a `user` subcommand.
pub async fn run(command: UserCommand) -> Result<(), String> {
    let UserCommand::RevokeSessions { app, user, json, db } = command;
    let external = ExternalId::parse(&user).map_err(|_| format!("--user {user:?} is not a user id"))?;
    let core = open_core(&db).await?;
    let revoked = async {
        let app_id = app_id(&core, &app).await?;
        core.revoke_sessions(app_id, UserRef::External(external)).await.map_err(|e| match e {
            palaver_domain::Error::NotFound(_) => format!("app {app:?} has no user {user:?}"),
            e => e.to_string(),
        })
    }
    .await;
    core.close().await;
    let n = revoked?;
    if json {
        println!("{}", json!({"app": app, "user": user, "sessions_revoked": n}));
    } else {
        println!("Revoked {n} session(s) of {user}.");
    }
    Ok(())
}
