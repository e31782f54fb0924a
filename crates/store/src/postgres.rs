//! The PostgreSQL driver: the production backend shared by several nodes.

use crate::db::{Conn, DbError, DbResult, Dialect, Row, Value};
use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error as StdError;

/// How long connecting may take when the URL does not say (`connect_timeout=` seconds).
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// One PostgreSQL connection with its prepared statements.
pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PgConn {
    /// Connects to `url` (`postgres://...`). Without a `connect_timeout` in the URL, a
    /// connection attempt gives up after [`CONNECT_TIMEOUT`] instead of waiting on an
    /// unreachable host for as long as the network does.
    pub fn connect(url: &str) -> DbResult<Self> {
        let mut config: postgres::Config =
            url.parse().map_err(|e: postgres::Error| DbError::Connection(format!("invalid database URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let client = config.connect(NoTls).map_err(map_err)?;
        Ok(Self { client, statements: HashMap::new() })
    }

    fn prepare(&mut self, sql: &str) -> DbResult<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.client.prepare(sql).map_err(map_err)?;
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }
}

/// Maps a PostgreSQL error to a short description: its code and the names of what it is
/// about, never its message or detail, which may quote values (`Key (id)=(...)`).
fn map_err(e: postgres::Error) -> DbError {
    if e.is_closed() {
        return DbError::Connection(e.to_string());
    }
    let Some(db) = e.as_db_error() else {
        return DbError::Other(e.to_string());
    };
    let mut text = format!("SQLSTATE {}", db.code().code());
    for (what, name) in [("table", db.table()), ("column", db.column()), ("constraint", db.constraint())] {
        if let Some(name) = name {
            text.push_str(&format!(" {what} {name}"));
        }
    }
    match db.code() {
        c if *c == SqlState::UNIQUE_VIOLATION => DbError::Unique(text),
        _ => DbError::Other(text),
    }
}

impl ToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match *self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::BOOL => (v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                _ => s.to_sql(ty, out),
            },
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::BOOL | Type::TEXT | Type::VARCHAR | Type::UNKNOWN)
    }

    to_sql_checked!();
}

struct PgRow<'a>(&'a postgres::Row);

impl Row for PgRow<'_> {
    fn int(&self, i: usize) -> DbResult<i64> {
        self.opt_int(i)?.ok_or_else(|| DbError::Other(format!("column {i} is NULL")))
    }

    fn opt_int(&self, i: usize) -> DbResult<Option<i64>> {
        let ty = self.0.columns().get(i).map(|c| c.type_().clone());
        let r = match ty {
            Some(Type::INT8) => self.0.try_get::<_, Option<i64>>(i),
            Some(Type::INT4) => self.0.try_get::<_, Option<i32>>(i).map(|v| v.map(i64::from)),
            Some(Type::INT2) => self.0.try_get::<_, Option<i16>>(i).map(|v| v.map(i64::from)),
            Some(Type::BOOL) => self.0.try_get::<_, Option<bool>>(i).map(|v| v.map(i64::from)),
            other => {
                return Err(DbError::Other(format!("column {i} has non-integer type {other:?}")));
            }
        };
        r.map_err(map_err)
    }

    fn opt_text(&self, i: usize) -> DbResult<Option<String>> {
        self.0.try_get::<_, Option<String>>(i).map_err(map_err)
    }
}

impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> DbResult<u64> {
        let stmt = self.prepare(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client.execute(&stmt, &refs).map_err(map_err)
    }

    fn query_rows(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> DbResult<()>,
    ) -> DbResult<()> {
        let stmt = self.prepare(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        for row in self.client.query(&stmt, &refs).map_err(map_err)? {
            each(&PgRow(&row))?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> DbResult<()> {
        self.client.batch_execute(sql).map_err(map_err)
    }

    fn is_broken(&self) -> bool {
        self.client.is_closed()
    }
}
