//! `palaver report ...`: the reports an app's users made about users and messages.

use crate::open_core;
use crate::webhook_cli::app_id;
use clap::Subcommand;
use palaver_core::ListedReport;
use palaver_domain::ReportTarget;
use palaver_server::config::DbArgs;
use serde_json::{Value, json};

/// The `report` subcommands.
#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// List an app's reports, newest first.
    List {
        /// The app's name.
        #[arg(long)]
        app: String,
        /// How many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs a `report` subcommand.
pub async fn run(command: ReportCommand) -> Result<(), String> {
    let ReportCommand::List { app, limit, json, db } = command;
    let core = open_core(&db).await?;
    let listed = async {
        let app_id = app_id(&core, &app).await?;
        core.reports(app_id, limit.clamp(1, 10_000)).await.map_err(|e| e.to_string())
    }
    .await;
    core.close().await;
    let reports = listed?;
    if json {
        println!("{}", Value::Array(reports.iter().map(report_json).collect()));
    } else if reports.is_empty() {
        println!("No reports.");
    } else {
        for r in &reports {
            let about = match &r.report.target {
                ReportTarget::User(_) => format!("user {}", r.user_external_id),
                ReportTarget::Message { message, room, .. } => {
                    format!("message {} in room {} by {}", message.0, room.0, r.user_external_id)
                }
            };
            let other = if r.report.is_other_category { " (other)" } else { "" };
            println!(
                "{:>6}  {}  by {}  {about}  [{}{other}]  {}",
                r.report.id,
                palaver_qiscus::wire::iso_millis(r.report.created),
                r.reporter_external_id,
                r.report.category,
                r.report.reason
            );
        }
    }
    Ok(())
}

fn report_json(r: &ListedReport) -> Value {
    let (kind, message, room) = match &r.report.target {
        ReportTarget::User(_) => ("user", None, None),
        ReportTarget::Message { message, room, .. } => ("message", Some(message.0), Some(room.0)),
    };
    json!({
        "id": r.report.id,
        "kind": kind,
        "reporter_id": r.report.reporter.0,
        "reporter_xc_user_id": r.reporter_external_id,
        "user_id": match &r.report.target {
            ReportTarget::User(u) => u.0,
            ReportTarget::Message { sender, .. } => sender.0,
        },
        "user_xc_user_id": r.user_external_id,
        "message_id": message,
        "room_id": room,
        "category": r.report.category,
        "is_other_category": r.report.is_other_category,
        "reason": r.report.reason,
        "created": r.report.created,
    })
}
