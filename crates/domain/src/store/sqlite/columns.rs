//! How xox's enums are written to and read from SQLite columns: as their stored text, one
//! conversion for all of them.

use crate::slack::TokenKind;
use crate::store::hooks::{DeliveryState, HookEvent, HookVia};
use crate::store::model::{CallState, EventAction, Outcome, TokenStatus};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A value this xox does not know (a database another program wrote) is an error, never a
/// guess: acting on the wrong token slot, or on a status read as `ok`, is worse than
/// refusing the row.
macro_rules! text_column {
    ($($name:ty),*) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse()
                    .map_err(|e: String| FromSqlError::Other(e.into()))
            }
        }
    )*};
}

text_column!(
    TokenKind,
    TokenStatus,
    CallState,
    EventAction,
    Outcome,
    HookEvent,
    HookVia,
    DeliveryState
);

/// A text column, with control characters dropped.
pub(super) fn text(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<String> {
    Ok(crate::text::into_one_line(r.get(idx)?))
}

/// A nullable text column, with control characters dropped.
pub(super) fn opt_text(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<String>> {
    Ok(r.get::<_, Option<String>>(idx)?
        .map(crate::text::into_one_line))
}
