//! Writing an app as JSON lines, one read job per page, never the whole app in memory (only
//! the map of user ids to external ids).

use super::{Counts, Header, Line, MessageLine, PairLine, ParticipantLine, RoomLine, TransferError, UserLine, VERSION};
use palaver_domain::time::now_ms;
use palaver_domain::{AppId, Message, Room, User};
use palaver_store::repo::{messages, rooms, users};
use palaver_store::{Conn, DbResult, Store, message_cols, room_cols, user_cols};
use std::collections::HashMap;
use std::io::Write;

/// Rows read per job.
const PAGE: i64 = 500;

/// Writes app `app` (named `name`, with system user `system_user` if it has one) to `out` as
/// JSON lines; returns how many of each kind.
pub async fn export(
    store: &Store,
    app: AppId,
    name: &str,
    system_user: Option<String>,
    out: &mut dyn Write,
) -> Result<Counts, TransferError> {
    let mut counts = Counts::default();
    let header = Header { version: VERSION, app: name.to_string(), exported_at: now_ms(), system_user };
    write(out, &Line::Header(header))?;

    let mut external: HashMap<i64, String> = HashMap::new();
    let mut after = 0;
    loop {
        let page: Vec<User> = store.read(move |c| users_after(c, app, after)).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        for u in page {
            external.insert(u.id.0, u.external_id.clone());
            write(out, &Line::User(user_line(u)))?;
            counts.users += 1;
        }
    }
    let name_of = |id: i64| external.get(&id).cloned().unwrap_or_default();

    after = 0;
    loop {
        let page: Vec<Room> = store.read(move |c| rooms_after(c, app, after)).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        for r in page {
            write(out, &Line::Room(room_line(r, &name_of)))?;
            counts.rooms += 1;
        }
    }

    after = 0;
    loop {
        let page: Vec<Message> = store.read(move |c| messages_after(c, app, after)).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        for m in page {
            write(out, &Line::Message(message_line(m, &name_of)))?;
            counts.messages += 1;
        }
    }

    let mut offset = 0;
    loop {
        let page = store.read(move |c| participants_page(c, app, offset)).await?;
        if page.is_empty() {
            break;
        }
        offset += PAGE;
        for p in page {
            write(out, &Line::Participant(p))?;
            counts.participants += 1;
        }
    }

    for (table, owner, other) in [("contacts", "owner_id", "contact_id"), ("blocks", "blocker_id", "blocked_id")] {
        let mut offset = 0;
        loop {
            let page = store.read(move |c| pairs_page(c, app, table, owner, other, offset)).await?;
            if page.is_empty() {
                break;
            }
            offset += PAGE;
            for p in page {
                if table == "contacts" {
                    counts.contacts += 1;
                    write(out, &Line::Contact(p))?;
                } else {
                    counts.blocks += 1;
                    write(out, &Line::Block(p))?;
                }
            }
        }
    }
    out.flush().map_err(|e| TransferError(format!("cannot write: {e}")))?;
    Ok(counts)
}

fn write(out: &mut dyn Write, line: &Line) -> Result<(), TransferError> {
    let text = serde_json::to_string(line).map_err(|e| TransferError(e.to_string()))?;
    writeln!(out, "{text}").map_err(|e| TransferError(format!("cannot write: {e}")))
}

fn users_after(c: &mut dyn Conn, app: AppId, after: i64) -> DbResult<Vec<User>> {
    let rows = c.query(
        concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.app_id = $1 AND u.id > $2 ORDER BY u.id LIMIT $3"),
        &[app.0.into(), after.into(), PAGE.into()],
        |r| users::from_row(r, 0),
    )?;
    Ok(rows.into_iter().flatten().collect())
}

fn rooms_after(c: &mut dyn Conn, app: AppId, after: i64) -> DbResult<Vec<Room>> {
    let rows = c.query(
        concat!("SELECT ", room_cols!("r"), " FROM rooms r WHERE r.app_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3"),
        &[app.0.into(), after.into(), PAGE.into()],
        |r| rooms::from_row(r, 0),
    )?;
    Ok(rows.into_iter().flatten().collect())
}

fn messages_after(c: &mut dyn Conn, app: AppId, after: i64) -> DbResult<Vec<Message>> {
    let rows = c.query(
        concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages m WHERE m.app_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3"
        ),
        &[app.0.into(), after.into(), PAGE.into()],
        |r| messages::from_row(r, 0),
    )?;
    Ok(rows.into_iter().flatten().collect())
}

/// The local id of the newest message of `room` with an id up to `pointer`.
const POINTER_SQL: &str = "(SELECT m.local_id FROM messages m WHERE m.room_id = p.room_id AND m.id <= {} \
     ORDER BY m.id DESC LIMIT 1)";

fn participants_page(c: &mut dyn Conn, app: AppId, offset: i64) -> DbResult<Vec<ParticipantLine>> {
    let sql = format!(
        "SELECT p.room_id, u.external_id, p.is_admin, p.via_role, p.joined, {}, {} FROM participants p \
         JOIN rooms r ON r.id = p.room_id JOIN users u ON u.id = p.user_id WHERE r.app_id = $1 \
         ORDER BY p.room_id, p.user_id LIMIT $2 OFFSET $3",
        POINTER_SQL.replace("{}", "p.last_read_id"),
        POINTER_SQL.replace("{}", "p.last_delivered_id"),
    );
    c.query(&sql, &[app.0.into(), PAGE.into(), offset.into()], |r| {
        Ok(ParticipantLine {
            room: r.int(0)?,
            user: r.text(1)?,
            admin: r.bool(2)?,
            via_role: r.bool(3)?,
            joined: r.int(4)?,
            read: r.opt_text(5)?,
            delivered: r.opt_text(6)?,
        })
    })
}

fn pairs_page(
    c: &mut dyn Conn,
    app: AppId,
    table: &str,
    owner: &str,
    other: &str,
    offset: i64,
) -> DbResult<Vec<PairLine>> {
    let sql = format!(
        "SELECT a.external_id, b.external_id, t.created FROM {table} t JOIN users a ON a.id = t.{owner} \
         JOIN users b ON b.id = t.{other} WHERE a.app_id = $1 ORDER BY t.{owner}, t.{other} LIMIT $2 OFFSET $3"
    );
    c.query(&sql, &[app.0.into(), PAGE.into(), offset.into()], |r| {
        Ok(PairLine { from: r.text(0)?, to: r.text(1)?, created: r.int(2)? })
    })
}

fn user_line(u: User) -> UserLine {
    UserLine {
        id: u.external_id,
        fullname: u.fullname,
        username: u.username,
        email: u.email,
        phone: u.phone,
        country_id: u.country_id,
        country_calling_code: u.country_calling_code,
        photo_thumb: u.photo_thumb,
        photo_full: u.photo_full,
        role: u.role_code,
        bio: u.bio,
        extras: u.extras,
        active: u.is_active,
        deleted: u.deleted,
        created: u.created,
        updated: u.updated,
    }
}

fn room_line(r: Room, name_of: &dyn Fn(i64) -> String) -> RoomLine {
    RoomLine {
        reference: r.id.0,
        kind: super::type_name(r.kind).to_string(),
        users: r.personal_pair.map(|(a, b)| [name_of(a.0), name_of(b.0)]),
        external_id: r.external_id,
        name: r.name,
        photo_thumb: r.photo_thumb,
        photo_full: r.photo_full,
        color: r.color,
        options: r.options,
        tags: r.tags,
        participant_roles: r.participant_roles,
        locked: r.is_locked,
        locked_time: r.locked_time,
        created: r.created,
        updated: r.updated,
        deleted: r.deleted,
    }
}

fn message_line(m: Message, name_of: &dyn Fn(i64) -> String) -> MessageLine {
    let (system_action, system_details) = match &m.system {
        Some(e) => (e.action.code().to_string(), e.details_json()),
        None => (String::new(), String::new()),
    };
    MessageLine {
        room: m.room.0,
        sender: name_of(m.sender.0),
        local_id: m.local_id,
        type_code: m.type_code,
        type_name: m.type_name,
        body: m.body,
        data: m.data,
        extras: m.extras,
        filter_id: m.filter_id,
        hidden: m.is_hidden,
        quote: m.quote,
        reply_to: m.reply_to,
        forward_from: m.forward_from,
        system_action,
        system_details,
        edited: m.is_edited,
        deleted: m.deleted,
        created: m.created,
        updated: m.updated,
    }
}
