//! `palaver user ...`: what an operator does to an app's users from the command line. Changes
//! go through the change log, so running servers (every node) act on them within seconds.

use crate::open_core;
use crate::webhook_cli::app_id;
use clap::{Args, Subcommand};
use palaver_core::Core;
use palaver_domain::{AppId, ExternalId, User, UserQuery, UserRef};
use palaver_server::config::DbArgs;
use serde_json::{Value, json};

/// What every `user` and `room` command takes: the app, the output, the database.
#[derive(Args, Debug)]
pub struct OnApp {
    /// The app's name.
    #[arg(long)]
    pub app: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// The `user` subcommands.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// List an app's users, newest first (deactivated ones included).
    List {
        /// Only users whose name or id contains this text.
        #[arg(long)]
        search: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        on: OnApp,
    },
    /// Show one user.
    Show {
        /// The user's id in the customer's system (TapTalk `xcUserID`, Qiscus `user_id`).
        #[arg(long)]
        user: String,
        #[command(flatten)]
        on: OnApp,
    },
    /// Delete a user: its sessions end, its personal rooms lock, as the Server APIs do.
    Delete {
        /// The user's id in the customer's system (TapTalk `xcUserID`, Qiscus `user_id`).
        #[arg(long)]
        user: String,
        #[command(flatten)]
        on: OnApp,
    },
    /// End every session of a user: its tokens stop working at once, and its live
    /// connections close on running servers within seconds.
    RevokeSessions {
        /// The user's id in the customer's system (TapTalk `xcUserID`, Qiscus `user_id`).
        #[arg(long)]
        user: String,
        #[command(flatten)]
        on: OnApp,
    },
}

/// A user as the commands print it.
fn user_json(u: &User) -> Value {
    json!({
        "id": u.id.0,
        "user": u.external_id,
        "fullname": u.fullname,
        "username": u.username,
        "email": u.email,
        "phone": u.phone,
        "active": u.is_active,
        "deleted": u.deleted,
        "created": u.created,
        "last_activity": u.last_activity,
    })
}

fn user_line(u: &User) -> String {
    let state = if u.deleted > 0 {
        " (deleted)"
    } else if !u.is_active {
        " (deactivated)"
    } else {
        ""
    };
    format!("{:>8}  {}  {}{state}", u.id.0, u.external_id, u.fullname)
}

fn user_ref(user: &str) -> Result<UserRef, String> {
    ExternalId::parse(user).map(UserRef::External).map_err(|_| format!("--user {user:?} is not a user id"))
}

/// Opens the database, finds the app, runs `work` on `target` (named in a "not found"), and
/// closes the database whatever happened. Shared by the `user` and `room` commands.
pub async fn with_app<T, F, Fut>(db: &DbArgs, app: &str, target: &str, work: F) -> Result<T, String>
where
    F: FnOnce(Core, AppId) -> Fut,
    Fut: Future<Output = Result<T, palaver_domain::Error>>,
{
    let core = open_core(db).await?;
    let done = async {
        let id = app_id(&core, app).await?;
        work(core.clone(), id).await.map_err(|e| match e {
            palaver_domain::Error::NotFound(what) => {
                format!("app {app:?} has no {} {target:?}", what.to_string().to_lowercase())
            }
            e => e.to_string(),
        })
    }
    .await;
    core.close().await;
    done
}

/// Runs a `user` subcommand.
pub async fn run(command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::List { search, limit, on: OnApp { app, json, db } } => {
            let query = UserQuery {
                offset: 0,
                limit: limit.clamp(1, 10_000),
                include_inactive: true,
                containing: search,
                ..UserQuery::default()
            };
            let (users, total) =
                with_app(&db, &app, "", |core, id| async move { core.user_page(id, query).await }).await?;
            if json {
                println!("{}", json!({"total": total, "users": users.iter().map(user_json).collect::<Vec<_>>()}));
            } else if users.is_empty() {
                println!("No users.");
            } else {
                users.iter().for_each(|u| println!("{}", user_line(u)));
            }
        }
        UserCommand::Show { user, on: OnApp { app, json, db } } => {
            let r = user_ref(&user)?;
            let u = with_app(&db, &app, &user, |core, id| async move { core.user(id, r).await }).await?;
            if json {
                println!("{}", user_json(&u));
            } else {
                println!("{}", user_line(&u));
            }
        }
        UserCommand::Delete { user, on: OnApp { app, json, db } } => {
            let r = user_ref(&user)?;
            let u = with_app(&db, &app, &user, |core, id| async move { core.delete_user(id, r).await }).await?;
            if json {
                println!("{}", user_json(&u));
            } else {
                println!("Deleted {}.", u.external_id);
            }
        }
        UserCommand::RevokeSessions { user, on: OnApp { app, json, db } } => {
            let r = user_ref(&user)?;
            let n = with_app(&db, &app, &user, |core, id| async move { core.revoke_sessions(id, r).await }).await?;
            if json {
                println!("{}", json!({"app": app, "user": user, "sessions_revoked": n}));
            } else {
                println!("Revoked {n} session(s) of {user}.");
            }
        }
    }
    Ok(())
}
