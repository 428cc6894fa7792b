//! Where the database key comes from: `XOX_KEY` (base64), else the key file beside the
//! database (0600), else the OS keyring; a new database's key goes to the keyring when one
//! answers, else to a new key file.

use super::error::{StoreError, StoreResult};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

pub const KEY_ENV: &str = "XOX_KEY";

pub struct MasterKey {
    pub bytes: Zeroizing<[u8; 32]>,
    /// Where it came from, for `xox` to say (never the key itself).
    pub source: KeySource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(PathBuf),
    Keyring,
}

impl KeySource {
    /// The name recorded (in clear) in the database, so a missing key can be looked for
    /// in the right place.
    pub fn name(&self) -> &'static str {
        match self {
            KeySource::Env => "env",
            KeySource::File(_) => "file",
            KeySource::Keyring => "keyring",
        }
    }
}

pub fn key_file_for(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".key");
    db.with_file_name(name)
}

/// Find the key for `db`. `may_create` is true only for a database that holds no secret
/// yet; an existing encrypted database never gets a new key silently, since that would
/// make every stored token unreadable. `recorded` is where the database says its key was
/// kept, for the error when it is missing. `use_keyring` is false to leave it alone.
pub fn resolve(
    db: &Path,
    env_value: Option<&str>,
    may_create: bool,
    recorded: Option<&str>,
    use_keyring: bool,
) -> StoreResult<MasterKey> {
    if let Some(value) = env_value {
        return Ok(MasterKey {
            bytes: decode(value).ok_or(StoreError::BadEnvKey)?,
            source: KeySource::Env,
        });
    }
    let path = key_file_for(db);
    // The key file first: it is the quickest to read, and its presence settles the matter.
    match read_key_file(&path) {
        Ok(bytes) => {
            return Ok(MasterKey {
                bytes,
                source: KeySource::File(path),
            });
        }
        Err(KeyFileError::Store(e)) => return Err(e),
        Err(KeyFileError::Missing) => {}
    }
    if use_keyring && let Some(text) = super::keyring::lookup(db) {
        let bytes = decode(&text).ok_or_else(|| StoreError::BadKeyFile {
            path: PathBuf::from("the OS keyring entry"),
            detail: "expected 32 bytes in base64".into(),
        })?;
        return Ok(MasterKey {
            bytes,
            source: KeySource::Keyring,
        });
    }
    if !may_create {
        let hint = match recorded {
            Some("keyring") => "it is kept in the OS keyring (secret-tool), which did not answer: unlock the keyring, or set XOX_KEY".to_owned(),
            Some("env") => "it was created with XOX_KEY: set XOX_KEY".to_owned(),
            _ => format!("set XOX_KEY or restore {}", path.display()),
        };
        return Err(StoreError::KeyMissing {
            db: db.to_path_buf(),
            hint,
        });
    }
    let bytes = new_key(&path)?;
    let text = Zeroizing::new(STANDARD.encode(bytes.as_slice()));
    if use_keyring && super::keyring::store(db, &text) {
        return Ok(MasterKey {
            bytes,
            source: KeySource::Keyring,
        });
    }
    write_key_file(&path, bytes)
}

enum KeyFileError {
    Missing,
    Store(StoreError),
}

pub fn decode(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let raw = Zeroizing::new(STANDARD.decode(text.trim()).ok()?);
    let bytes: [u8; 32] = raw.as_slice().try_into().ok()?;
    Some(Zeroizing::new(bytes))
}

fn read_key_file(path: &Path) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(KeyFileError::Missing),
        Err(e) => {
            return Err(KeyFileError::Store(StoreError::BadKeyFile {
                path: path.into(),
                detail: e.to_string(),
            }));
        }
    };
    let mode = file
        .metadata()
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    // Like ssh with private keys: a key others can read is refused, not silently used.
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Store(StoreError::KeyFileTooOpen {
            path: path.into(),
            mode,
        }));
    }
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text)
        .ok()
        .and_then(|_| decode(&text))
        .ok_or_else(|| {
            KeyFileError::Store(StoreError::BadKeyFile {
                path: path.into(),
                detail: "expected 32 bytes in base64".into(),
            })
        })
}

fn new_key(path: &Path) -> StoreResult<Zeroizing<[u8; 32]>> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(|e| StoreError::BadKeyFile {
        path: path.into(),
        detail: format!("no randomness available: {e}"),
    })?;
    Ok(bytes)
}

fn write_key_file(path: &Path, bytes: Zeroizing<[u8; 32]>) -> StoreResult<MasterKey> {
    let io_err = |e: std::io::Error| StoreError::BadKeyFile {
        path: path.into(),
        detail: e.to_string(),
    };
    // The key is written whole to a file of our own (0600 from the start), then linked into
    // place: the link either appears complete or fails because another process's key is
    // already there, so no process ever reads a half-written key, and none is overwritten.
    let mut draft_name = path.as_os_str().to_owned();
    draft_name.push(format!(".new-{}", std::process::id()));
    let draft = PathBuf::from(draft_name);
    let _ = std::fs::remove_file(&draft);
    let text = Zeroizing::new(STANDARD.encode(bytes.as_slice()));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&draft)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()
        })
        .and_then(|_| std::fs::hard_link(&draft, path));
    let _ = std::fs::remove_file(&draft);
    match written {
        Ok(()) => Ok(MasterKey {
            bytes,
            source: KeySource::File(path.into()),
        }),
        // Another process created it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => read_key_file(path)
            .map(|bytes| MasterKey {
                bytes,
                source: KeySource::File(path.into()),
            })
            .map_err(|e| match e {
                KeyFileError::Store(e) => e,
                KeyFileError::Missing => io_err(ErrorKind::NotFound.into()),
            }),
        Err(e) => Err(io_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_key_must_be_32_bytes_of_base64() {
        let db = Path::new("/nonexistent/xox.db");
        let good = STANDARD.encode([1u8; 32]);
        let key = resolve(db, Some(&good), false, None, false).unwrap();
        assert_eq!(key.source, KeySource::Env);
        assert_eq!(*key.bytes, [1u8; 32]);
        for bad in ["", "not base64!", &STANDARD.encode([1u8; 16])] {
            assert!(matches!(
                resolve(db, Some(bad), false, None, false),
                Err(StoreError::BadEnvKey)
            ));
        }
    }

    #[test]
    fn key_file_is_created_0600_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let first = resolve(&db, None, true, None, false).unwrap();
        let path = key_file_for(&db);
        assert_eq!(path, dir.path().join("x.db.key"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let second = resolve(&db, None, false, None, false).unwrap();
        assert_eq!(*first.bytes, *second.bytes);
    }

    #[test]
    fn missing_or_open_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        assert!(matches!(
            resolve(&db, None, false, None, false),
            Err(StoreError::KeyMissing { .. })
        ));
        resolve(&db, None, true, None, false).unwrap();
        let path = key_file_for(&db);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = resolve(&db, None, false, None, false).err().unwrap();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "junk").unwrap();
        assert!(matches!(
            resolve(&db, None, false, None, false),
            Err(StoreError::BadKeyFile { .. })
        ));
    }
}
