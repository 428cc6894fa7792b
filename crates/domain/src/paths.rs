//! Where xox keeps things by default: the database in the XDG data dir, logs in the state dir.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "xox")
}

/// `$XDG_DATA_HOME/xox/xox.db` (usually `~/.local/share/xox/xox.db`).
pub fn default_db() -> PathBuf {
    project()
        .map(|p| p.data_dir().join("xox.db"))
        .unwrap_or_else(|| PathBuf::from("xox.db"))
}

/// `$XDG_STATE_HOME/xox/xox.log` (usually `~/.local/state/xox/xox.log`).
pub fn log_file() -> Option<PathBuf> {
    let p = project()?;
    Some(
        p.state_dir()
            .unwrap_or_else(|| p.data_local_dir())
            .join("xox.log"),
    )
}

/// Make an existing file owner-only (0600) if others can read or write it. Returns the mode
/// it had when it was changed, for the caller to say so once.
pub fn tighten_to_owner_only(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = loose_mode(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).ok()?;
    Some(mode)
}

/// The mode of an existing file that others can read or write; `None` when it is
/// owner-only or not there.
pub fn loose_mode(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}
