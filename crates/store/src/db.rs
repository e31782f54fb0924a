//! The small driver interface the repositories are written against.
//!
//! Repositories write one SQL text for both backends, with PostgreSQL-style `$1` parameters;
//! the SQLite driver rewrites them to SQLite's equivalent `?1`. Every column is `BIGINT` or
//! `TEXT` so the same statements type-check on both.

use std::fmt;

/// A query parameter, borrowed so binding allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (booleans are stored as 0/1).
    Int(i64),
    /// Text.
    Text(&'a str),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Int(v as i64)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Which SQL dialect a connection speaks, for the rare statement that differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A database failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbError {
    /// A unique constraint was violated.
    Unique(String),
    /// The connection is gone; the writer reconnects.
    Connection(String),
    /// Too much work is waiting; the request was not queued.
    Busy,
    /// Anything else.
    Other(String),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Unique(m) => write!(f, "unique violation: {m}"),
            DbError::Connection(m) => write!(f, "connection lost: {m}"),
            DbError::Busy => f.write_str("the store is busy"),
            DbError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DbError {}

impl From<DbError> for palaver_domain::Error {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Busy => palaver_domain::Error::Unavailable,
            other => palaver_domain::Error::Internal(other.to_string()),
        }
    }
}

/// Result of a database call.
pub type DbResult<T> = Result<T, DbError>;

/// One result row; columns are read by position.
pub trait Row {
    /// An integer column (booleans and counts included).
    fn int(&self, i: usize) -> DbResult<i64>;
    /// An integer column that may be NULL.
    fn opt_int(&self, i: usize) -> DbResult<Option<i64>>;
    /// A text column that may be NULL.
    fn opt_text(&self, i: usize) -> DbResult<Option<String>>;

    /// A text column.
    fn text(&self, i: usize) -> DbResult<String> {
        self.opt_text(i)?.ok_or_else(|| DbError::Other(format!("column {i} is NULL")))
    }
    /// A 0/1 column as a boolean.
    fn bool(&self, i: usize) -> DbResult<bool> {
        Ok(self.int(i)? != 0)
    }
}

/// A connection: statements with parameters, rows visited one by one.
pub trait Conn: Send {
    /// The connection's dialect.
    fn dialect(&self) -> Dialect;
    /// Runs a statement and returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> DbResult<u64>;
    /// Runs a query and calls `each` for every row.
    fn query_rows(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> DbResult<()>,
    ) -> DbResult<()>;
    /// Runs one or more statements without parameters (transactions, migrations).
    fn batch(&mut self, sql: &str) -> DbResult<()>;
    /// Whether the connection can no longer be used.
    fn is_broken(&self) -> bool {
        false
    }
}

impl dyn Conn + '_ {
    /// Runs a query and maps every row.
    pub fn query<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        mut map: impl FnMut(&dyn Row) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        let mut out = Vec::new();
        self.query_rows(sql, params, &mut |row| {
            out.push(map(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs a query expected to return at most one row.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        mut map: impl FnMut(&dyn Row) -> DbResult<T>,
    ) -> DbResult<Option<T>> {
        let mut out = None;
        self.query_rows(sql, params, &mut |row| {
            if out.is_none() {
                out = Some(map(row)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs a query returning one integer (a count, an id).
    pub fn query_int(&mut self, sql: &str, params: &[Value<'_>]) -> DbResult<i64> {
        self.query_opt(sql, params, |r| r.int(0))?.ok_or_else(|| DbError::Other("query returned no row".into()))
    }
}

/// Builds `$first, $first+1, ...` placeholders for a row of `n` values (multi-row inserts of
/// a bounded number of rows; lists of caller-given length use [`json_list`] instead).
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Statements insert this many rows at a time, so that few statement texts serve every
/// batch size (each text is prepared once and cached).
const ROWS_PER_INSERT: [usize; 4] = [64, 16, 4, 1];

/// Inserts `rows` (each of the same number of values) with `INSERT INTO <into> VALUES ...`,
/// several rows per statement: for a writer appending a batch at once this costs about half
/// as much as a statement per row (measured on the send path).
pub fn insert_rows(conn: &mut dyn Conn, into: &str, rows: &[Vec<Value<'_>>]) -> DbResult<()> {
    let Some(width) = rows.first().map(Vec::len) else { return Ok(()) };
    let mut done = 0;
    while done < rows.len() {
        let n = ROWS_PER_INSERT.into_iter().find(|n| *n <= rows.len() - done).unwrap_or(1);
        let tuples: Vec<String> = (0..n).map(|i| format!("({})", placeholders(i * width + 1, width))).collect();
        let sql = format!("INSERT INTO {into} VALUES {}", tuples.join(", "));
        let params: Vec<Value<'_>> = rows[done..done + n].iter().flatten().cloned().collect();
        conn.execute(&sql, &params)?;
        done += n;
    }
    Ok(())
}

/// A list bound as one parameter: a JSON array, unpacked in SQL by [`in_texts`] or
/// [`in_ints`]. Whatever the list's length the statement stays the same (prepared once) and
/// far below the backends' limits on bound parameters.
pub fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// [`json_list`] for integers (ids).
pub fn json_ints(items: impl IntoIterator<Item = i64>) -> String {
    let mut out = String::from("[");
    for (i, n) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&n.to_string());
    }
    out.push(']');
    out
}

/// `IN (...)` over the JSON array of texts in parameter `$n` (see [`json_list`]).
pub fn in_texts(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("IN (SELECT value FROM json_each(${n}))"),
        Dialect::Postgres => format!("IN (SELECT jsonb_array_elements_text(CAST(${n} AS TEXT)::jsonb))"),
    }
}

/// `IN (...)` over the JSON array of integers in parameter `$n` (see [`json_list`]).
pub fn in_ints(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("IN (SELECT value FROM json_each(${n}))"),
        Dialect::Postgres => {
            format!("IN (SELECT CAST(jsonb_array_elements_text(CAST(${n} AS TEXT)::jsonb) AS BIGINT))")
        }
    }
}

/// The condition that message `m`'s body matches the full-text query in parameter `$n` (made
/// by [`text_query`]): SQLite's FTS5 table `messages_fts`, PostgreSQL's `simple` text search
/// over the GIN index `messages_fts`.
pub fn text_match(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ${n})"),
        Dialect::Postgres => format!("to_tsvector('simple', m.body) @@ to_tsquery('simple', ${n})"),
    }
}

/// Most words of a search.
const MAX_SEARCH_WORDS: usize = 16;

/// A full-text query for [`text_match`]: every word of `text` (letters and digits), the last
/// one as a prefix; `None` when the text has no words. User text never reaches the query
/// syntax: each word is quoted (SQLite) or reduced to letters and digits (both).
pub fn text_query(dialect: Dialect, text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_SEARCH_WORDS)
        .map(str::to_lowercase)
        .collect();
    let (last, rest) = words.split_last()?;
    Some(match dialect {
        Dialect::Sqlite => {
            let mut q: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
            q.push(format!("\"{last}\"*"));
            q.join(" ")
        }
        Dialect::Postgres => {
            let mut q: Vec<String> = rest.to_vec();
            q.push(format!("{last}:*"));
            q.join(" & ")
        }
    })
}

/// Escapes `%`, `_` and `\\` so that a text matches itself in `LIKE ... ESCAPE '\\'`.
pub fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
