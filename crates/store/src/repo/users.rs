//! Users.

use crate::db::{Conn, DbError, DbResult, Row, Value, placeholders};
use palaver_domain::{AppId, User, UserId, UserProfile};

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
            ".xc_user_id, ",
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
            ".deleted"
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
        xc_user_id: r.text(at + 2)?,
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
pub fn by_xc(conn: &mut dyn Conn, app: AppId, xc: &str) -> DbResult<Option<User>> {
    conn.query_opt(
        concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.app_id = $1 AND u.xc_user_id = $2"),
        &[app.0.into(), xc.into()],
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
        "SELECT {} FROM users u WHERE u.app_id = $1 AND u.id IN ({}) ORDER BY u.id",
        user_cols!("u"),
        placeholders(2, ids.len())
    );
    let mut params: Vec<Value> = vec![app.0.into()];
    params.extend(ids.iter().map(|i| Value::Int(i.0)));
    conn.query(&sql, &params, one)
}

/// Users by external ids; unknown ids are skipped.
pub fn by_xcs(conn: &mut dyn Conn, app: AppId, xcs: &[String]) -> DbResult<Vec<User>> {
    by_text_column(conn, app, "xc_user_id", xcs)
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
        "SELECT {} FROM users u WHERE u.app_id = $1 AND u.{column} IN ({}) ORDER BY u.id",
        user_cols!("u"),
        placeholders(2, values.len())
    );
    let mut params: Vec<Value> = vec![app.0.into()];
    params.extend(values.iter().map(|v| Value::Text(v)));
    conn.query(&sql, &params, one)
}

/// A user by username, optionally ignoring case.
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
        "SELECT id FROM users WHERE app_id = $1 AND deleted = 0 AND role_code IN ({}) ORDER BY id",
        placeholders(2, roles.len())
    );
    let mut params: Vec<Value> = vec![app.0.into()];
    params.extend(roles.iter().map(|v| Value::Text(v)));
    conn.query(&sql, &params, |r| Ok(UserId(r.int(0)?)))
}

/// Creates the user, or applies `profile` to the existing one (reviving it if deleted).
/// Returns the user and whether it was created.
pub fn upsert(conn: &mut dyn Conn, app: AppId, xc: &str, profile: &UserProfile, now: i64) -> DbResult<(User, bool)> {
    if let Some(existing) = by_xc(conn, app, xc)? {
        let user = apply_profile(existing, profile, now);
        update(conn, &user)?;
        return Ok((user, false));
    }
    let p = profile;
    let get = |v: &Option<String>| v.clone().unwrap_or_default();
    let inserted = conn.query_opt(
        "INSERT INTO users (app_id, xc_user_id, fullname, email, phone, username, photo_thumb, photo_full, \
         role_code, bio, extras, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         ON CONFLICT (app_id, xc_user_id) DO NOTHING RETURNING id",
        &[
            app.0.into(),
            xc.into(),
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
            Ok((user, true))
        }
        // Another node inserted it first: update that row instead.
        None => upsert(conn, app, xc, profile, now),
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

/// Sets the Qiscus password hash and token.
pub fn set_qiscus_credentials(
    conn: &mut dyn Conn,
    user: UserId,
    password_hash: Option<&str>,
    token: Option<&str>,
) -> DbResult<()> {
    if let Some(h) = password_hash {
        conn.execute("UPDATE users SET password_hash = $1 WHERE id = $2", &[h.into(), user.0.into()])?;
    }
    if let Some(t) = token {
        conn.execute("UPDATE users SET qiscus_token = $1 WHERE id = $2", &[t.into(), user.0.into()])?;
    }
    Ok(())
}

/// The Qiscus password hash and token of a user.
pub fn qiscus_credentials(conn: &mut dyn Conn, user: UserId) -> DbResult<(String, String)> {
    conn.query_opt("SELECT password_hash, qiscus_token FROM users WHERE id = $1", &[user.0.into()], |r| {
        Ok((r.text(0)?, r.text(1)?))
    })?
    .ok_or_else(|| DbError::Other("user vanished".into()))
}

/// A live user by Qiscus token.
pub fn by_qiscus_token(conn: &mut dyn Conn, token: &str) -> DbResult<Option<User>> {
    if token.is_empty() {
        return Ok(None);
    }
    conn.query_opt(
        concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.qiscus_token = $1 AND u.deleted = 0"),
        &[token.into()],
        one,
    )
}

/// Sorting of the user list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserOrder {
    /// Newest first (the default).
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// By username, A to Z.
    UsernameAsc,
    /// By username, Z to A.
    UsernameDesc,
    /// By external id, A to Z.
    XcAsc,
    /// By external id, Z to A.
    XcDesc,
    /// By display name, A to Z (Qiscus `username`).
    FullnameAsc,
    /// By display name, Z to A.
    FullnameDesc,
    /// Least recently changed first.
    UpdatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
}

impl UserOrder {
    fn sql(self) -> &'static str {
        match self {
            UserOrder::CreatedDesc => "u.created DESC, u.id DESC",
            UserOrder::CreatedAsc => "u.created ASC, u.id ASC",
            UserOrder::UsernameAsc => "u.username ASC, u.id ASC",
            UserOrder::UsernameDesc => "u.username DESC, u.id DESC",
            UserOrder::XcAsc => "u.xc_user_id ASC",
            UserOrder::XcDesc => "u.xc_user_id DESC",
            UserOrder::FullnameAsc => "u.fullname ASC, u.id ASC",
            UserOrder::FullnameDesc => "u.fullname DESC, u.id DESC",
            UserOrder::UpdatedAsc => "u.updated ASC, u.id ASC",
            UserOrder::UpdatedDesc => "u.updated DESC, u.id DESC",
        }
    }
}

/// A page of live users (optionally including deactivated ones) and the total count.
pub fn page(
    conn: &mut dyn Conn,
    app: AppId,
    offset: i64,
    limit: i64,
    order: UserOrder,
    include_inactive: bool,
    name_query: &str,
) -> DbResult<(Vec<User>, i64)> {
    let active = if include_inactive { "" } else { " AND u.is_active = 1" };
    let filter = "u.app_id = $1 AND u.deleted = 0 AND ($2 = '' OR LOWER(u.fullname) LIKE '%' || LOWER($2) || '%' \
                  OR LOWER(u.username) LIKE '%' || LOWER($2) || '%')";
    let total = conn.query_int(
        &format!("SELECT COUNT(*) FROM users u WHERE {filter}{active}"),
        &[app.0.into(), name_query.into()],
    )?;
    let users = conn.query(
        &format!(
            "SELECT {} FROM users u WHERE {filter}{active} ORDER BY {} LIMIT $3 OFFSET $4",
            user_cols!("u"),
            order.sql()
        ),
        &[app.0.into(), name_query.into(), limit.into(), offset.into()],
        one,
    )?;
    Ok((users, total))
}

/// A page of live users (optionally including deactivated ones) and the total count, leaving
/// out the user with external id `hidden_xc` (the Qiscus face's system user).
pub fn page_except(
    conn: &mut dyn Conn,
    app: AppId,
    offset: i64,
    limit: i64,
    order: UserOrder,
    include_inactive: bool,
    hidden_xc: &str,
) -> DbResult<(Vec<User>, i64)> {
    let active = if include_inactive { "" } else { " AND u.is_active = 1" };
    let filter = "u.app_id = $1 AND u.deleted = 0 AND u.xc_user_id <> $2";
    let total = conn.query_int(
        &format!("SELECT COUNT(*) FROM users u WHERE {filter}{active}"),
        &[app.0.into(), hidden_xc.into()],
    )?;
    let users = conn.query(
        &format!(
            "SELECT {} FROM users u WHERE {filter}{active} ORDER BY {} LIMIT $3 OFFSET $4",
            user_cols!("u"),
            order.sql()
        ),
        &[app.0.into(), hidden_xc.into(), limit.into(), offset.into()],
        one,
    )?;
    Ok((users, total))
}

/// Activates or deactivates users by external id; returns the users changed.
pub fn set_active(conn: &mut dyn Conn, app: AppId, xcs: &[String], active: bool, now: i64) -> DbResult<Vec<User>> {
    let users = by_xcs(conn, app, xcs)?;
    for u in &users {
        conn.execute(
            "UPDATE users SET is_active = $1, updated = $2 WHERE id = $3",
            &[active.into(), now.into(), u.id.0.into()],
        )?;
    }
    by_ids(conn, app, &users.iter().map(|u| u.id).collect::<Vec<_>>())
}
