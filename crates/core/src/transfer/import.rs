//! Replaying an export into an existing app: one group-committed write job per batch of
//! lines, each line parsed before its batch is written, and a batch that fails keeps nothing.
//! Idempotent: users are found by external id, rooms by external id, personal pair or (without
//! either) type, name and creation time, messages by (room, local id), participants, contacts
//! and blocks by their pairs; what exists is kept as it is (pointers only move forward).

use super::{Counts, Line, MessageLine, PairLine, ParticipantLine, RoomLine, TransferError, UserLine, parse_line};
use palaver_domain::room::personal_key;
use palaver_domain::{AppId, Message, MessageId, Room, RoomId, RoomRef, SystemEvent, User, UserId, UserProfile};
use palaver_store::repo::{contacts, messages, participants, rooms, users};
use palaver_store::{Store, WriteTx};
use std::collections::HashMap;
use std::io::BufRead;

/// Lines written per job.
const BATCH: usize = 300;

/// The rooms of the file (`ref`) and what they are in the target app.
type RoomMap = HashMap<i64, RoomId>;

/// External ids of the file renamed in the target app (its system user).
type Renames = HashMap<String, String>;

fn renamed(renames: &Renames, id: &mut String) {
    if let Some(to) = renames.get(id.as_str()) {
        id.clone_from(to);
    }
}

/// Renames the users `line` names.
fn rename(renames: &Renames, line: &mut Line) {
    match line {
        Line::Header(_) => {}
        Line::User(u) => renamed(renames, &mut u.id),
        Line::Room(r) => r.users.iter_mut().flatten().for_each(|u| renamed(renames, u)),
        Line::Message(m) => renamed(renames, &mut m.sender),
        Line::Participant(p) => renamed(renames, &mut p.user),
        Line::Contact(p) | Line::Block(p) => {
            renamed(renames, &mut p.from);
            renamed(renames, &mut p.to);
        }
    }
}

/// Reads a file from `input` and stores its content in app `app`, whose system user (if it has
/// one) `system_user` is; returns how many things of each kind were new. An error names the
/// line; batches before it stay written (each is whole), the failing one and those after are not.
pub async fn import(
    store: &Store,
    app: AppId,
    system_user: Option<String>,
    input: &mut dyn BufRead,
) -> Result<Counts, TransferError> {
    let mut counts = Counts::default();
    let mut map = RoomMap::new();
    let mut renames = Renames::new();
    let mut batch: Vec<(usize, Line)> = Vec::with_capacity(BATCH);
    let mut number = 0;
    let mut text = String::new();
    loop {
        text.clear();
        let read = input.read_line(&mut text).map_err(|e| TransferError(format!("cannot read: {e}")))?;
        if read > 0 && text.trim().is_empty() {
            number += 1;
            continue;
        }
        if read > 0 {
            number += 1;
            let mut line = parse_line(number, text.trim_end())?;
            if let (Line::Header(h), Some(ours)) = (&line, &system_user)
                && let Some(theirs) = &h.system_user
                && theirs != ours
            {
                renames.insert(theirs.clone(), ours.clone());
            }
            rename(&renames, &mut line);
            batch.push((number, line));
        }
        if batch.len() >= BATCH || (read == 0 && !batch.is_empty()) {
            let lines = std::mem::take(&mut batch);
            let names = renames.clone();
            let (back, added) = store.write(move |tx| write_batch(tx, app, map, &names, lines)).await?;
            map = back;
            add(&mut counts, &added);
        }
        if read == 0 {
            break;
        }
    }
    if number == 0 {
        return Err(TransferError("the input is empty: a file starts with its \"palaver-export\" line".into()));
    }
    Ok(counts)
}

/// Checks a whole file without writing anything; returns its number of lines.
pub fn validate(input: &mut dyn BufRead) -> Result<usize, TransferError> {
    let mut number = 0;
    for text in input.lines() {
        let text = text.map_err(|e| TransferError(format!("cannot read: {e}")))?;
        number += 1;
        if !text.trim().is_empty() {
            parse_line(number, text.trim_end())?;
        }
    }
    Ok(number)
}

fn add(to: &mut Counts, c: &Counts) {
    to.users += c.users;
    to.rooms += c.rooms;
    to.messages += c.messages;
    to.participants += c.participants;
    to.contacts += c.contacts;
    to.blocks += c.blocks;
}

fn write_batch(
    tx: &mut WriteTx<'_>,
    app: AppId,
    mut map: RoomMap,
    renames: &Renames,
    lines: Vec<(usize, Line)>,
) -> Result<(RoomMap, Counts), TransferError> {
    let mut counts = Counts::default();
    for (number, line) in lines {
        let at = |e: TransferError| TransferError(format!("line {number}: {}", e.0));
        match line {
            Line::Header(_) => {}
            Line::User(u) => {
                let new = user(tx, app, u).map_err(at)?;
                counts.users += u64::from(new);
            }
            Line::Room(r) => {
                let (id, new) = room(tx, app, &r).map_err(at)?;
                map.insert(r.reference, id);
                counts.rooms += u64::from(new);
            }
            Line::Message(m) => {
                let new = message(tx, app, &map, renames, m).map_err(at)?;
                counts.messages += u64::from(new);
            }
            Line::Participant(p) => {
                let new = participant(tx, app, &map, &p).map_err(at)?;
                counts.participants += u64::from(new);
            }
            Line::Contact(p) => {
                let (a, b) = pair(tx, app, &p).map_err(at)?;
                let new = contacts::add(tx.conn(), a, b, p.created)?;
                counts.contacts += u64::from(new);
            }
            Line::Block(p) => {
                let (a, b) = pair(tx, app, &p).map_err(at)?;
                let new = contacts::block(tx.conn(), a, b, p.created)?;
                counts.blocks += u64::from(new);
            }
        }
    }
    Ok((map, counts))
}

fn find_user(tx: &mut WriteTx<'_>, app: AppId, external: &str) -> Result<User, TransferError> {
    users::by_external_id(tx.conn(), app, external)?
        .ok_or_else(|| TransferError(format!("user {external:?} is not defined by an earlier line")))
}

fn find_room(map: &RoomMap, reference: i64) -> Result<RoomId, TransferError> {
    map.get(&reference)
        .copied()
        .ok_or_else(|| TransferError(format!("room {reference} is not defined by an earlier line")))
}

fn pair(tx: &mut WriteTx<'_>, app: AppId, p: &PairLine) -> Result<(UserId, UserId), TransferError> {
    Ok((find_user(tx, app, &p.from)?.id, find_user(tx, app, &p.to)?.id))
}

/// Creates the user unless one with its external id exists; returns whether it did.
fn user(tx: &mut WriteTx<'_>, app: AppId, u: UserLine) -> Result<bool, TransferError> {
    if u.id.is_empty() {
        return Err(TransferError("a user without \"id\"".into()));
    }
    if users::by_external_id(tx.conn(), app, &u.id)?.is_some() {
        return Ok(false);
    }
    let profile = UserProfile {
        fullname: Some(u.fullname),
        email: Some(u.email),
        phone: Some(u.phone),
        username: Some(u.username),
        photo_thumb: Some(u.photo_thumb),
        photo_full: Some(u.photo_full),
        role_code: Some(u.role),
        bio: Some(u.bio),
        extras: Some(if u.extras.is_empty() { "{}".into() } else { u.extras }),
    };
    let (_, mut stored) = users::upsert(tx.conn(), app, &u.id, &profile, u.created)?;
    stored.is_active = u.active;
    stored.deleted = u.deleted;
    stored.updated = u.updated;
    users::update(tx.conn(), &stored)?;
    tx.conn().execute(
        "UPDATE users SET country_id = $1, country_calling_code = $2 WHERE id = $3",
        &[u.country_id.into(), u.country_calling_code.as_str().into(), stored.id.0.into()],
    )?;
    Ok(true)
}

/// Finds or creates the room; returns its id and whether it is new.
fn room(tx: &mut WriteTx<'_>, app: AppId, r: &RoomLine) -> Result<(RoomId, bool), TransferError> {
    let kind = super::type_of(&r.kind).ok_or_else(|| TransferError(format!("unknown room type {:?}", r.kind)))?;
    let pair = match &r.users {
        Some([a, b]) => {
            let (a, b) = (find_user(tx, app, a)?.id, find_user(tx, app, b)?.id);
            Some(if a <= b { (a, b) } else { (b, a) })
        }
        None if kind == palaver_domain::RoomType::Personal => {
            return Err(TransferError("a personal room without its two \"users\"".into()));
        }
        None => None,
    };
    let existing = match (&pair, &r.external_id) {
        (Some((a, b)), _) => rooms::by_ref(tx.conn(), app, &RoomRef::Personal(*a, *b))?.map(|r| r.id),
        (None, Some(x)) => rooms::by_external_id(tx.conn(), app, x)?.map(|r| r.id),
        (None, None) => tx.conn().query_opt(
            "SELECT id FROM rooms WHERE app_id = $1 AND type = $2 AND personal_key IS NULL AND external_id IS NULL \
             AND name = $3 AND created = $4 ORDER BY id LIMIT 1",
            &[app.0.into(), kind.code().into(), r.name.as_str().into(), r.created.into()],
            |row| Ok(RoomId(row.int(0)?)),
        )?,
    };
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let draft = Room {
        personal_pair: pair,
        external_id: r.external_id.clone(),
        name: r.name.clone(),
        photo_thumb: r.photo_thumb.clone(),
        photo_full: r.photo_full.clone(),
        color: r.color.clone(),
        options: r.options.clone(),
        tags: r.tags.clone(),
        participant_roles: r.participant_roles.clone(),
        is_locked: r.locked,
        locked_time: r.locked_time,
        updated: r.updated,
        deleted: r.deleted,
        ..Room::draft(app, kind, r.created)
    };
    let stored = rooms::insert(tx.conn(), &draft)?.ok_or_else(|| {
        let key = pair.map(|(a, b)| personal_key(a, b)).or_else(|| r.external_id.clone()).unwrap_or_default();
        TransferError(format!("room {key:?} clashes with an existing room"))
    })?;
    Ok((stored.id, true))
}

/// Stores the message unless its room has one with its local id, as the send path does: a
/// new id from the sequence, the room's newest message read first for the running counts.
fn message(
    tx: &mut WriteTx<'_>,
    app: AppId,
    map: &RoomMap,
    renames: &Renames,
    m: MessageLine,
) -> Result<bool, TransferError> {
    let room = find_room(map, m.room)?;
    if m.local_id.is_empty() {
        return Err(TransferError("a message without \"local_id\"".into()));
    }
    let sender = find_user(tx, app, &m.sender)?;
    if messages::by_local_id(tx.conn(), room, &m.local_id)?.is_some() {
        return Ok(false);
    }
    let system = if m.system_action.is_empty() {
        None
    } else {
        let mut event = SystemEvent::from_stored(&m.system_action, &m.system_details)
            .ok_or_else(|| TransferError(format!("unknown system action {:?}", m.system_action)))?;
        for brief in event.actor.iter_mut().chain(event.targets.iter_mut()) {
            renamed(renames, &mut brief.external_id);
            brief.id = users::by_external_id(tx.conn(), app, &brief.external_id)?.map_or(UserId(0), |u| u.id);
        }
        Some(event)
    };
    let id = tx.next_seq()?;
    let newest = messages::newest(tx.conn(), room)?;
    let created = messages::created_after(newest.as_ref(), m.created);
    let mut message = Message {
        id: MessageId(id),
        app,
        room,
        sender: sender.id,
        local_id: m.local_id,
        type_code: m.type_code,
        type_name: m.type_name,
        body: m.body,
        data: m.data,
        extras: m.extras,
        filter_id: m.filter_id,
        is_hidden: m.hidden,
        quote: m.quote,
        reply_to: m.reply_to,
        forward_from: m.forward_from,
        system,
        is_edited: m.edited,
        deleted: 0,
        created,
        updated: m.updated.max(created),
        status: Default::default(),
    };
    if !messages::insert(tx.conn(), &message, newest.as_ref())? {
        return Ok(false);
    }
    // A deleted message is stored, then deleted, as live: unread counts subtract it.
    if m.deleted != 0 {
        message.deleted = m.deleted;
        messages::update(tx.conn(), &message)?;
    }
    Ok(true)
}

/// Adds the participant unless it is one, and moves its pointers to the messages they name.
fn participant(tx: &mut WriteTx<'_>, app: AppId, map: &RoomMap, p: &ParticipantLine) -> Result<bool, TransferError> {
    let room = find_room(map, p.room)?;
    let user = find_user(tx, app, &p.user)?.id;
    let how = if p.via_role { participants::Membership::ViaRole } else { participants::Membership::Direct };
    let new = participants::add(tx.conn(), room, user, how, 0, p.joined)?;
    if new && p.admin {
        participants::set_admin(tx.conn(), room, user, true)?;
    }
    let mut pointer = |local: &Option<String>| -> Result<i64, TransferError> {
        Ok(match local {
            Some(l) => messages::by_local_id(tx.conn(), room, l)?.map_or(0, |m| m.id.0),
            None => 0,
        })
    };
    let (read, delivered) = (pointer(&p.read)?, pointer(&p.delivered)?);
    participants::advance(tx.conn(), room, user, Some(read), Some(delivered))?;
    Ok(new)
}
