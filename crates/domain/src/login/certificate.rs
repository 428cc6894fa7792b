//! The self-signed certificate for `https://localhost` callbacks: made once, kept 0600.

use super::error::LoginError;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub const CERT_FILE: &str = "localhost-cert.pem";
pub const KEY_FILE: &str = "localhost-key.pem";
/// Names the certificate is valid for: whatever the redirect URI uses.
pub const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

fn fail(e: impl std::fmt::Display) -> LoginError {
    LoginError::Certificate(e.to_string())
}

fn write_owner_only(path: &Path, text: &str) -> Result<(), LoginError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)
}

/// Create the certificate and key in `dir` unless they exist. Kept across logins so the
/// browser's warning, once accepted, does not come back.
pub fn ensure(dir: &Path) -> Result<(), LoginError> {
    let (cert, key) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if cert.exists() && key.exists() {
        return Ok(());
    }
    let names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    let made = rcgen::generate_simple_self_signed(names).map_err(fail)?;
    let _ = std::fs::remove_file(&cert);
    let _ = std::fs::remove_file(&key);
    write_owner_only(&key, &made.signing_key.serialize_pem())?;
    write_owner_only(&cert, &made.cert.pem())
}

/// A TLS server configuration with the certificate from `dir` (made if missing).
pub fn server_config(dir: &Path) -> Result<Arc<ServerConfig>, LoginError> {
    ensure(dir)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join(CERT_FILE))
        .map_err(fail)?
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let key = PrivateKeyDer::from_pem_file(dir.join(KEY_FILE)).map_err(fail)?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(fail)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(fail)?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn made_once_owner_only_and_loadable() {
        let dir = tempfile::tempdir().unwrap();
        server_config(dir.path()).unwrap();
        let first = std::fs::read(dir.path().join(CERT_FILE)).unwrap();
        for file in [CERT_FILE, KEY_FILE] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{file}");
        }
        server_config(dir.path()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(CERT_FILE)).unwrap(),
            first,
            "kept, not remade"
        );
    }
}
