//! A database opened only to read, when a full open would change nothing and say nothing:
//! what `xox token` needs to hand out a token as it is stored.

use super::{SqliteStore, companion, connect, schema, sql_err};
use crate::store::cipher::Cipher;
use crate::store::error::StoreResult;
use crate::store::key;
use rusqlite::OpenFlags;
use std::path::Path;

impl SqliteStore {
    /// Open the database at `path` read-only, if it needs none of what [`SqliteStore::open`]
    /// does: it is there with owner-only modes, has the current schema, its key check and
    /// its token digests, and its key is in `env_key` (`XOX_KEY`) or the key file beside
    /// it. `None` when any of that is not so: the caller opens it the full way, which does
    /// what is needed and says so.
    pub fn open_current(path: &Path, env_key: Option<&str>) -> StoreResult<Option<SqliteStore>> {
        let loose = crate::paths::loose_mode(path).is_some()
            || ["-wal", "-shm"]
                .iter()
                .any(|suffix| crate::paths::loose_mode(&companion(path, suffix)).is_some());
        if loose {
            return Ok(None);
        }
        // Read-only, and without CREATE: this way in can neither make a file nor write to
        // one, whoever calls it later.
        let conn = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        // Every read from here on sees one snapshot, taken once: the connection's row and
        // its token agree, and the locks are taken and given back once, not per statement.
        conn.execute_batch("BEGIN").map_err(|e| sql_err(path, e))?;
        // One statement for what the full open checks in five. A current schema version
        // also rules out another program's file, which has none.
        let (version, has_key_check, has_digests, recorded): (i64, bool, bool, Option<String>) =
            conn.query_row(
                "SELECT (SELECT user_version FROM pragma_user_version),
                        EXISTS (SELECT 1 FROM meta WHERE key = 'key_check'),
                        EXISTS (SELECT 1 FROM meta WHERE key = 'token_digests'),
                        (SELECT CAST(value AS TEXT) FROM meta WHERE key = 'key_source')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(|e| sql_err(path, e))?;
        if version != schema::LATEST || !has_key_check || !has_digests {
            return Ok(None);
        }
        // The keyring is left to the full open: asking it starts a D-Bus conversation. A
        // wrong key is found by the token's own decryption, which fails.
        let master = key::resolve(path, env_key, false, recorded.as_deref(), false)?;
        Ok(Some(SqliteStore {
            conn,
            cipher: Cipher::new(&master.bytes),
            path: path.to_path_buf(),
            key_source: master.source,
            notices: Vec::new(),
        }))
    }
}
