//! Users.

use crate::db::{Conn, DbError, DbResult, Row, in_ints, in_texts, json_ints, json_list};
use palaver_domain::{AppId, User, UserId, UserOrder, UserProfile, UserQuery};

/// The user columns under a table alias, in the order [`from_row`] reads them.
#[macro_export]
macro_rules! user_cols {
    ($a:literal) => {
        concat!(
            $a,
            ".id, ",
            $a,
            ".app_id, ",
            $a,
            ".external_id, ",
            $a,
            ".fullname, ",
            $a,
            ".email, ",
            $a,
            ".phone, ",
            $a,
            ".country_id, ",
            $a,
            ".country_calling_code, ",
            $a,
            ".username, ",
            $a,
            ".photo_thumb, ",
            $a,
            ".photo_full, ",
            $a,
            ".role_code, ",
            $a,
            ".bio, ",
            $a,
            ".extras, ",
            $a,
            ".is_active, ",
            $a,
            ".last_login, ",
            $a,
            ".last_activity, ",
            $a,
            ".created, ",
            $a,
            ".updated, ",
            $a,
            ".deleted",
        )
    };
}

/// Number of columns [`user_cols!`] selects.
pub const COLUMNS: usize = 20;

/// Reads a user starting at column `at`; `None` when the id column is NULL (outer joins).
pub fn from_row(r: &dyn Row, at: usize) -> DbResult<Option<User>> {
    let Some(id) = r.opt_int(at)? else {
        return Ok(None);
    };
    Ok(Some(User {
        id: UserId(id),
        app: AppId(r.int(at + 1)?),
        external_id: r.text(at + 2)?,
        fullname: r.text(at + 3)?,
        email: r.text(at + 4)?,
        phone: r.text(at + 5)?,
        country_id: r.int(at + 6)?,
        country_calling_code: r.text(at + 7)?,
        username: r.text(at + 8)?,
        photo_thumb: r.text(at + 9)?,
        photo_full: r.text(at + 10)?,
        role_code: r.text(at + 11)?,
        bio: r.text(at + 12)?,
        extras: r.text(at + 13)?,
        is_active: r.bool(at + 14)?,
        last_login: r.int(at + 15)?,
        last_activity: r.int(at + 16)?,
        created: r.int(at + 17)?,
        updated: r.int(at + 18)?,
        deleted: r.int(at + 19)?,
    }))
}

fn one(r: &dyn Row) -> DbResult<User> {
    from_row(r, 0)?.ok_or_else(|| DbError::Other("user row without id".into()))
}

/// A user by external id (deleted users included).
pub fn by_external_id(conn: &mut dyn Conn, app: AppId, external_id: &str) -> DbResult<Option<User>> {
    conn.query_opt(
        concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.app_id = $1 AND u.external_id = $2"),
        &[app.0.into(), external_id.into()],
        one,
    )
}

/// The user holding a token, in any app (deleted users included); an empty token names no
/// one. Tokens are long and random, so one names at most one user.
pub fn by_token(conn: &mut dyn Conn, token: &str) -> DbResult<Option<User>> {
    if token.is_empty() {
        return Ok(None);
    }
    conn.query_opt(
        concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.token = $1 LIMIT 1"),
        &[token.into()],
        one,
    )
}

/// A user by internal id (deleted users included).
pub fn by_id(conn: &mut dyn Conn, app: AppId, id: UserId) -> DbResult<Option<User>> {
    conn.query_opt(
        concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.id = $1 AND u.app_id = $2"),
        &[id.0.into(), app.0.into()],
        one,
    )
}

/// Users by internal ids, in id order; unknown ids are skipped.
pub fn by_ids(conn: &mut dyn Conn, app: AppId, ids: &[UserId]) -> DbResult<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM users u WHERE u.app_id = $1 AND u.id {} ORDER BY u.id",
        user_cols!("u"),
        in_ints(conn.dialect(), 2)
    );
    let list = json_ints(ids.iter().map(|i| i.0));
    conn.query(&sql, &[app.0.into(), list.as_str().into()], one)
}

/// Users by external ids; unknown ids are skipped.
pub fn by_external_ids(conn: &mut dyn Conn, app: AppId, ids: &[String]) -> DbResult<Vec<User>> {
    by_text_column(conn, app, "external_id", ids)
}

/// Users by phone numbers; unknown numbers are skipped.
pub fn by_phones(conn: &mut dyn Conn, app: AppId, phones: &[String]) -> DbResult<Vec<User>> {
    by_text_column(conn, app, "phone", phones)
}

fn by_text_column(conn: &mut dyn Conn, app: AppId, column: &str, values: &[String]) -> DbResult<Vec<User>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM users u WHERE u.app_id = $1 AND u.{column} {} ORDER BY u.id",
        user_cols!("u"),
        in_texts(conn.dialect(), 2)
    );
    conn.query(&sql, &[app.0.into(), json_list(values).as_str().into()], one)
}

/// A live user by username, optionally ignoring case.
pub fn by_username(conn: &mut dyn Conn, app: AppId, username: &str, ignore_case: bool) -> DbResult<Option<User>> {
    let sql = if ignore_case {
        concat!(
            "SELECT ",
            user_cols!("u"),
            " FROM users u WHERE u.app_id = $1 AND LOWER(u.username) = LOWER($2) \
                 AND u.deleted = 0 ORDER BY u.id LIMIT 1"
        )
    } else {
        concat!(
            "SELECT ",
            user_cols!("u"),
            " FROM users u WHERE u.app_id = $1 AND u.username = $2 \
                 AND u.deleted = 0 ORDER BY u.id LIMIT 1"
        )
    };
    conn.query_opt(sql, &[app.0.into(), username.into()], one)
}

/// Ids of the live users holding one of `roles`.
pub fn ids_with_roles(conn: &mut dyn Conn, app: AppId, roles: &[String]) -> DbResult<Vec<UserId>> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM users WHERE app_id = $1 AND deleted = 0 AND role_code {} ORDER BY id",
        in_texts(conn.dialect(), 2)
    );
    conn.query(&sql, &[app.0.into(), json_list(roles).as_str().into()], |r| Ok(UserId(r.int(0)?)))
}

/// Creates the user, or applies `profile` to the existing one (reviving it if deleted).
/// Returns the user as it was before (`None` when created now) and as it is now.
pub fn upsert(
    conn: &mut dyn Conn,
    app: AppId,
    external_id: &str,
    profile: &UserProfile,
    now: i64,
) -> DbResult<(Option<User>, User)> {
    if let Some(existing) = by_external_id(conn, app, external_id)? {
        let user = apply_profile(existing.clone(), profile, now);
        update(conn, &user)?;
        return Ok((Some(existing), user));
    }
    let p = profile;
    let get = |v: &Option<String>| v.clone().unwrap_or_default();
    let inserted = conn.query_opt(
        "INSERT INTO users (app_id, external_id, fullname, email, phone, username, photo_thumb, photo_full, \
         role_code, bio, extras, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         ON CONFLICT (app_id, external_id) DO NOTHING RETURNING id",
        &[
            app.0.into(),
            external_id.into(),
            get(&p.fullname).as_str().into(),
            get(&p.email).as_str().into(),
            get(&p.phone).as_str().into(),
            get(&p.username).as_str().into(),
            get(&p.photo_thumb).as_str().into(),
            get(&p.photo_full).as_str().into(),
            get(&p.role_code).as_str().into(),
            get(&p.bio).as_str().into(),
            p.extras.as_deref().unwrap_or("{}").into(),
            now.into(),
        ],
        |r| r.int(0),
    )?;
    match inserted {
        Some(id) => {
            let user = by_id(conn, app, UserId(id))?.ok_or_else(|| DbError::Other("inserted user vanished".into()))?;
            Ok((None, user))
        }
        // Another node inserted it first: update that row instead.
        None => upsert(conn, app, external_id, profile, now),
    }
}

fn apply_profile(mut u: User, p: &UserProfile, now: i64) -> User {
    let set = |field: &mut String, v: &Option<String>| {
        if let Some(v) = v {
            field.clone_from(v);
        }
    };
    set(&mut u.fullname, &p.fullname);
    set(&mut u.email, &p.email);
    set(&mut u.phone, &p.phone);
    set(&mut u.username, &p.username);
    set(&mut u.photo_thumb, &p.photo_thumb);
    set(&mut u.photo_full, &p.photo_full);
    set(&mut u.role_code, &p.role_code);
    set(&mut u.bio, &p.bio);
    set(&mut u.extras, &p.extras);
    u.updated = now;
    u.deleted = 0;
    u
}

/// Writes every profile field and state flag of `user`.
pub fn update(conn: &mut dyn Conn, u: &User) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET fullname = $1, email = $2, phone = $3, username = $4, photo_thumb = $5, photo_full = $6, \
         role_code = $7, bio = $8, extras = $9, is_active = $10, last_login = $11, last_activity = $12, \
         updated = $13, deleted = $14 WHERE id = $15",
        &[
            (&u.fullname).into(),
            (&u.email).into(),
            (&u.phone).into(),
            (&u.username).into(),
            (&u.photo_thumb).into(),
            (&u.photo_full).into(),
            (&u.role_code).into(),
            (&u.bio).into(),
            (&u.extras).into(),
            u.is_active.into(),
            u.last_login.into(),
            u.last_activity.into(),
            u.updated.into(),
            u.deleted.into(),
            u.id.0.into(),
        ],
    )?;
    Ok(())
}

/// Records a login.
pub fn touch_login(conn: &mut dyn Conn, user: UserId, now: i64) -> DbResult<()> {
    conn.execute("UPDATE users SET last_login = $1, last_activity = $1 WHERE id = $2", &[now.into(), user.0.into()])?;
    Ok(())
}

/// Records activity (a connection closing, a request).
pub fn touch_activity(conn: &mut dyn Conn, user: UserId, now: i64) -> DbResult<()> {
    conn.execute("UPDATE users SET last_activity = $1 WHERE id = $2", &[now.into(), user.0.into()])?;
    Ok(())
}

/// Replaces a user's password hash.
pub fn set_password_hash(conn: &mut dyn Conn, user: UserId, hash: &str) -> DbResult<()> {
    conn.execute("UPDATE users SET password_hash = $1 WHERE id = $2", &[hash.into(), user.0.into()])?;
    Ok(())
}

/// Replaces a user's token.
pub fn set_token(conn: &mut dyn Conn, user: UserId, token: &str) -> DbResult<()> {
    conn.execute("UPDATE users SET token = $1 WHERE id = $2", &[token.into(), user.0.into()])?;
    Ok(())
}

/// A user's password hash and token (each empty when unset).
pub fn credentials(conn: &mut dyn Conn, user: UserId) -> DbResult<(String, String)> {
    conn.query_opt("SELECT password_hash, token FROM users WHERE id = $1", &[user.0.into()], |r| {
        Ok((r.text(0)?, r.text(1)?))
    })?
    .ok_or_else(|| DbError::Other("user vanished".into()))
}

fn order_sql(order: UserOrder) -> &'static str {
    match order {
        UserOrder::CreatedDesc => "u.created DESC, u.id DESC",
        UserOrder::CreatedAsc => "u.created ASC, u.id ASC",
        UserOrder::ExternalIdAsc => "u.external_id ASC",
        UserOrder::ExternalIdDesc => "u.external_id DESC",
        UserOrder::FullnameAsc => "u.fullname ASC, u.id ASC",
        UserOrder::FullnameDesc => "u.fullname DESC, u.id DESC",
        UserOrder::UpdatedAsc => "u.updated ASC, u.id ASC",
        UserOrder::UpdatedDesc => "u.updated DESC, u.id DESC",
    }
}

/// A page of live users and how many match in all.
pub fn page(conn: &mut dyn Conn, app: AppId, q: &UserQuery) -> DbResult<(Vec<User>, i64)> {
    let active = if q.include_inactive { "" } else { " AND u.is_active = 1" };
    let except = q.except.as_ref().map_or("", |e| e.as_str());
    // `$3`: a LIKE pattern, `%` when not filtering; the text's own wildcards are escaped.
    let filter = "u.app_id = $1 AND u.deleted = 0 AND u.external_id <> $2 \
                  AND (LOWER(u.fullname) LIKE $3 ESCAPE '\\' OR LOWER(u.external_id) LIKE $3 ESCAPE '\\')";
    let pattern = match &q.containing {
        Some(text) => format!("%{}%", crate::db::like_literal(&text.to_lowercase())),
        None => "%".into(),
    };
    let total = conn.query_int(
        &format!("SELECT COUNT(*) FROM users u WHERE {filter}{active}"),
        &[app.0.into(), except.into(), pattern.as_str().into()],
    )?;
    let users = conn.query(
        &format!(
            "SELECT {} FROM users u WHERE {filter}{active} ORDER BY {} LIMIT $4 OFFSET $5",
            user_cols!("u"),
            order_sql(q.order)
        ),
        &[app.0.into(), except.into(), pattern.as_str().into(), q.limit.into(), q.offset.into()],
        one,
    )?;
    Ok((users, total))
}

/// Activates or deactivates users; returns those whose state changed.
pub fn set_active(conn: &mut dyn Conn, users: &[User], active: bool, now: i64) -> DbResult<Vec<User>> {
    let mut changed = Vec::new();
    for u in users.iter().filter(|u| u.is_active != active) {
        conn.execute(
            "UPDATE users SET is_active = $1, updated = $2 WHERE id = $3",
            &[active.into(), now.into(), u.id.0.into()],
        )?;
        changed.push(User { is_active: active, updated: now, ..u.clone() });
    }
    Ok(changed)
}
