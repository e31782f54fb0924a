//! `palaver room ...`: an app's rooms as an operator sees them. A deletion goes through the
//! change log like the Server APIs' (members hear of it, on every node, within seconds).

use crate::user_cli::{OnApp, with_app};
use clap::Subcommand;
use palaver_core::Actor;
use palaver_domain::{Room, RoomDetails, RoomRef};
use serde_json::{Value, json};

/// The `room` subcommands.
#[derive(Subcommand, Debug)]
pub enum RoomCommand {
    /// List an app's rooms, newest first (deleted ones included).
    List {
        /// How many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        on: OnApp,
    },
    /// Show a room with its participants.
    Show {
        /// The room: its external id (TapTalk `xcRoomID`, Qiscus unique id) or its number.
        room: String,
        #[command(flatten)]
        on: OnApp,
    },
    /// Delete a room, as the app's backend would.
    Delete {
        /// The room: its external id or its number.
        room: String,
        #[command(flatten)]
        on: OnApp,
    },
}

fn kind(r: &Room) -> &'static str {
    match r.kind {
        palaver_domain::RoomType::Personal => "personal",
        palaver_domain::RoomType::Group => "group",
        palaver_domain::RoomType::Channel => "channel",
        palaver_domain::RoomType::Transaction => "transaction",
    }
}

fn room_json(r: &Room) -> Value {
    json!({
        "id": r.id.0,
        "external_id": r.external_id,
        "type": kind(r),
        "name": r.name,
        "locked": r.is_locked,
        "deleted": r.deleted,
        "created": r.created,
    })
}

fn room_line(r: &Room) -> String {
    let state = if r.deleted > 0 {
        " (deleted)"
    } else if r.is_locked {
        " (locked)"
    } else {
        ""
    };
    let external = r.external_id.as_deref().unwrap_or("-");
    format!("{:>8}  {external}  {}  {}{state}", r.id.0, kind(r), r.name)
}

fn details_json(d: &RoomDetails) -> Value {
    let mut v = room_json(&d.room);
    v["participants"] = Value::Array(
        d.participants
            .iter()
            .map(|p| json!({"user": p.user.external_id, "fullname": p.user.fullname, "admin": p.is_admin}))
            .collect(),
    );
    v
}

/// Runs a `room` subcommand.
pub async fn run(command: RoomCommand) -> Result<(), String> {
    match command {
        RoomCommand::List { limit, on: OnApp { app, json, db } } => {
            let limit = limit.clamp(1, 10_000);
            let rooms = with_app(&db, &app, "", |core, id| async move { core.app_rooms(id, 0, limit).await }).await?;
            if json {
                println!("{}", Value::Array(rooms.iter().map(room_json).collect()));
            } else if rooms.is_empty() {
                println!("No rooms.");
            } else {
                rooms.iter().for_each(|r| println!("{}", room_line(r)));
            }
        }
        RoomCommand::Show { room, on: OnApp { app, json, db } } => {
            let r = RoomRef::IdOrExternal(room.clone());
            let d = with_app(&db, &app, &room, |core, id| async move { core.room(id, r).await }).await?;
            if json {
                println!("{}", details_json(&d));
            } else {
                println!("{}", room_line(&d.room));
                for p in &d.participants {
                    let admin = if p.is_admin { " (admin)" } else { "" };
                    println!("          {}  {}{admin}", p.user.external_id, p.user.fullname);
                }
            }
        }
        RoomCommand::Delete { room, on: OnApp { app, json, db } } => {
            let r = RoomRef::IdOrExternal(room.clone());
            with_app(&db, &app, &room, |core, id| async move { core.delete_room(id, Actor::Backend, r).await }).await?;
            if json {
                println!("{}", json!({"app": app, "room": room, "deleted": true}));
            } else {
                println!("Deleted room {room}.");
            }
        }
    }
    Ok(())
}
