//! Space set aside beside the database before Slack is asked for a new pair, and given
//! back when that pair's write finds the disk full.

use super::SqliteStore;
use crate::store::error::{StoreError, StoreResult};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// More than a rotation's commit needs: a few pages of token, event and lease rows in the
/// WAL, plus their index pages, several times over.
const RESERVE_BYTES: usize = 256 * 1024;

fn reserve_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-reserve");
    PathBuf::from(name)
}

impl SqliteStore {
    /// Make sure the reserve file is there and whole. A full disk is an error here, before
    /// any refresh token is spent, rather than after Slack has issued a pair.
    pub fn reserve_space(&self) -> StoreResult<()> {
        let path = reserve_path(&self.path);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == RESERVE_BYTES as u64) {
            return Ok(());
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| {
                file.write_all(&vec![0u8; RESERVE_BYTES])?;
                file.sync_all()
            });
        written.map_err(|e| {
            let _ = std::fs::remove_file(&path);
            match e.kind() {
                std::io::ErrorKind::StorageFull => StoreError::DiskFull(self.path.clone()),
                _ => StoreError::CannotOpen {
                    path: path.clone(),
                    detail: e.to_string(),
                },
            }
        })
    }

    /// Give the reserved space back to the file system; whether there was any.
    pub(super) fn release_reserve(&self) -> bool {
        std::fs::remove_file(reserve_path(&self.path)).is_ok()
    }
}
