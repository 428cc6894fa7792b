//! Space set aside beside the database before Slack is asked for a new pair, and given
//! back when that pair's write finds the disk full.

use super::SqliteStore;
use std::path::{Path, PathBuf};

/// More than a rotation's commit needs: a few pages of token, event and lease rows in the
/// WAL, plus their index pages, several times over.
pub(super) const RESERVE_BYTES: usize = 256 * 1024;

pub(super) fn reserve_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-reserve");
    PathBuf::from(name)
}

impl SqliteStore {
    /// Give the reserved space back to the file system; whether there was any.
    pub(super) fn release_reserve(&self) -> bool {
        std::fs::remove_file(reserve_path(&self.path)).is_ok()
    }
}
