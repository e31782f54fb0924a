//! Copying a whole database into an empty PostgreSQL one (`palaver migrate-db`): every table
//! the target's schema has, in an order its foreign keys accept, row for row, in one
//! transaction, so a failed copy leaves the target empty; then the target's id sequences are
//! moved past the copied ids and each table's rows are counted on both sides.
//!
//! Both schemas come from the same migrations, so the target's catalog names the tables and
//! columns to read: the source's extra tables (SQLite's full-text index, rebuilt by
//! PostgreSQL's own index) are left behind.

use crate::db::{Conn, DbError, DbResult, Dialect, Value, placeholders};

/// One table's rows in the source and, after the copy, in the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    /// The table.
    pub table: String,
    /// Rows in the source.
    pub source: u64,
    /// Rows in the target after the copy.
    pub target: u64,
}

/// A column of the target and whether it holds text (otherwise a 64-bit integer).
struct Column {
    name: String,
    text: bool,
}

/// A value read from the source, owned until it is written.
enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// Most parameters one insert statement binds (PostgreSQL allows 65,535).
const MAX_PARAMS: usize = 30_000;

/// The target's tables (besides the migrations' bookkeeping), parents before children.
fn tables_in_order(to: &mut dyn Conn) -> DbResult<Vec<String>> {
    let mut tables = to.query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name",
        &[],
        |r| r.text(0),
    )?;
    let edges = to.query(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c \
         WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
        &[],
        |r| Ok((r.text(0)?, r.text(1)?)),
    )?;
    let mut ordered: Vec<String> = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        let ready = tables
            .iter()
            .position(|t| edges.iter().all(|(child, parent)| child != t || parent == t || ordered.contains(parent)));
        let Some(i) = ready else {
            return Err(DbError::Other("the target's foreign keys form a cycle".into()));
        };
        ordered.push(tables.remove(i));
    }
    Ok(ordered)
}

fn columns_of(to: &mut dyn Conn, table: &str) -> DbResult<Vec<Column>> {
    to.query(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name::text = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
        &[table.into()],
        |r| Ok(Column { name: r.text(0)?, text: !matches!(r.text(1)?.as_str(), "bigint" | "integer" | "smallint") }),
    )
}

fn count(conn: &mut dyn Conn, table: &str) -> DbResult<u64> {
    conn.query_int(&format!("SELECT COUNT(*) FROM {table}"), &[]).map(|n| n as u64)
}

/// Inserts `rows` (each as many cells as `columns`) into `table`.
fn insert_rows(to: &mut dyn Conn, table: &str, columns: &[Column], rows: &[Vec<Cell>]) -> DbResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let values: Vec<String> =
        (0..rows.len()).map(|i| format!("({})", placeholders(i * columns.len() + 1, columns.len()))).collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES {}", names.join(", "), values.join(", "));
    let params: Vec<Value<'_>> = rows
        .iter()
        .flatten()
        .map(|c| match c {
            Cell::Null => Value::Null,
            Cell::Int(v) => Value::Int(*v),
            Cell::Text(s) => Value::Text(s),
        })
        .collect();
    to.execute(&sql, &params)?;
    Ok(())
}

/// Copies one table; `progress` hears the rows copied so far.
fn copy_table(from: &mut dyn Conn, to: &mut dyn Conn, table: &str, progress: &mut dyn FnMut(u64)) -> DbResult<()> {
    let columns = columns_of(to, table)?;
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let per_statement = (MAX_PARAMS / columns.len().max(1)).clamp(1, 1000);
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(per_statement);
    let mut copied = 0u64;
    let mut failed: Option<DbError> = None;
    from.query_rows(&format!("SELECT {} FROM {table}", names.join(", ")), &[], &mut |r| {
        let mut row = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            row.push(match c.text {
                true => r.opt_text(i)?.map_or(Cell::Null, Cell::Text),
                false => r.opt_int(i)?.map_or(Cell::Null, Cell::Int),
            });
        }
        rows.push(row);
        if rows.len() == per_statement {
            if let Err(e) = insert_rows(to, table, &columns, &rows) {
                failed = Some(e);
                return Err(DbError::Other("the copy stopped".into()));
            }
            copied += rows.len() as u64;
            rows.clear();
            progress(copied);
        }
        Ok(())
    })
    .map_err(|e| failed.take().unwrap_or(e))?;
    insert_rows(to, table, &columns, &rows)?;
    progress(copied + rows.len() as u64);
    Ok(())
}

/// Moves every id sequence of the target past the largest id copied into its column.
fn advance_sequences(to: &mut dyn Conn) -> DbResult<()> {
    let serials = to.query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
        &[],
        |r| Ok((r.text(0)?, r.text(1)?)),
    )?;
    for (table, column) in serials {
        to.query_opt(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE((SELECT MAX({column}) FROM {table}), 0), 1))"
            ),
            &[table.as_str().into(), column.as_str().into()],
            |r| r.opt_int(0),
        )?;
    }
    Ok(())
}

/// Copies every table of `from` into `to`, a PostgreSQL database with the same schema and no
/// app yet, in one transaction; `progress(table, rows copied, rows in the table)` hears how
/// far it got. Returns each table's count on both sides, read after the commit.
pub fn copy_all(
    from: &mut dyn Conn,
    to: &mut dyn Conn,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> DbResult<Vec<TableCount>> {
    if to.dialect() != Dialect::Postgres {
        return Err(DbError::Other("the target of a copy must be PostgreSQL".into()));
    }
    if count(to, "apps")? > 0 {
        return Err(DbError::Other("the target database already holds apps: copy into an empty one".into()));
    }
    let tables = tables_in_order(to)?;
    let mut sizes = Vec::with_capacity(tables.len());
    for t in &tables {
        sizes.push(count(from, t)?);
    }
    to.batch("BEGIN")?;
    let copied = (|| {
        // The migrations put rows in some tables (the sequence's counter, settings): the
        // source's replace them.
        for t in tables.iter().rev() {
            to.execute(&format!("DELETE FROM {t}"), &[])?;
        }
        for (t, size) in tables.iter().zip(&sizes) {
            copy_table(from, to, t, &mut |n| progress(t, n, *size))?;
        }
        advance_sequences(to)
    })();
    match copied {
        Ok(()) => to.batch("COMMIT")?,
        Err(e) => {
            let _ = to.batch("ROLLBACK");
            return Err(e);
        }
    }
    let mut counts = Vec::with_capacity(tables.len());
    for (t, source) in tables.into_iter().zip(sizes) {
        let target = count(to, &t)?;
        counts.push(TableCount { table: t, source, target });
    }
    Ok(counts)
}
