//! Temporary files that must go however the process ends: removed by their owner's `Drop`
//! on a normal return, and by [`exit`] on the paths that skip destructors (a closed pipe).

use std::path::PathBuf;
use std::sync::Mutex;

static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A folder removed at exit; dropping this (after the owner removed the folder) forgets it.
#[derive(Debug)]
pub struct RemoveAtExit(PathBuf);

impl RemoveAtExit {
    pub fn new(dir: PathBuf) -> RemoveAtExit {
        lock().push(dir.clone());
        RemoveAtExit(dir)
    }
}

impl Drop for RemoveAtExit {
    fn drop(&mut self) {
        lock().retain(|d| *d != self.0);
    }
}

/// A panic elsewhere while the list was held must not keep the folders from going.
fn lock() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Remove every registered folder, then end the process with `code`.
pub fn exit(code: i32) -> ! {
    for dir in lock().drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::process::exit(code)
}
