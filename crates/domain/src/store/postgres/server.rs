//! Where the server is and how to reach it: the `--db` URL read into what the driver takes,
//! xox's own parameters (`schema`), and TLS over rustls as `sslmode` and `sslrootcert` say.

use super::schema;
use crate::store::error::{StoreError, StoreResult};
use postgres::Client;

use std::path::PathBuf;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{CryptoProvider, aws_lc_rs};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore,
    SignatureScheme,
};

/// The schema (namespace) xox keeps its tables in unless the URL names another.
pub const DEFAULT_SCHEMA: &str = "xox";

/// How much the server's certificate is checked, as libpq's `sslmode` values say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// `disable`: no TLS.
    Off,
    /// `prefer` and `require` without a root certificate: encrypted, but anyone can answer.
    EncryptOnly,
    /// `verify-ca` (and `require` with a root certificate): signed by a trusted root.
    SignedByRoot,
    /// `verify-full`: signed by a trusted root, for the host in the URL.
    SignedForHost,
}

/// Where the roots for `SignedByRoot` and `SignedForHost` come from.
enum Roots {
    /// The operating system's, as for any HTTPS site (`sslrootcert=system`, the default).
    System,
    /// The PEM file `sslrootcert` names: the usual way to trust a private CA.
    File(PathBuf),
}

/// A server to connect to, as the driver needs it.
#[derive(Clone)]
pub(super) struct Server {
    /// What the driver connects with (password included; never shown).
    config: postgres::Config,
    tls: MakeRustlsConnect,
}

impl Server {
    /// A new session.
    pub(super) fn connect(&self) -> Result<Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }
}

/// What `--db URL` says: the server, the schema, and the URL as shown (no password).
pub(super) struct Target {
    pub(super) server: Server,
    pub(super) schema: String,
    pub(super) location: String,
}

fn bad(detail: String) -> StoreError {
    StoreError::Postgres {
        location: "the --db URL".into(),
        detail,
        passing: false,
    }
}

/// The parameters of a URL that carry a secret: never shown.
const SECRET_PARAMETERS: [&str; 2] = ["password", "sslpassword"];

/// libpq's environment variables that say how to connect and that xox cannot honour: a
/// connection made without what they ask for would be a surprise, so each is refused by
/// name. (`PGSSLMODE`, `PGSSLROOTCERT`, `PGPASSWORD`, `PGUSER` and `PGDATABASE` are
/// honoured where the URL does not say, as libpq does.)
const UNSUPPORTED_ENVIRONMENT: [&str; 5] = [
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSERVICE",
    "PGPASSFILE",
    "PGSSLPASSWORD",
];

/// `url` as a person may read it: no user, no password, no secret parameter.
fn shown(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| !SECRET_PARAMETERS.contains(&k.as_str()))
        .collect();
    if pairs.is_empty() {
        shown.set_query(None);
    } else {
        shown.query_pairs_mut().clear().extend_pairs(&pairs);
    }
    shown.to_string()
}

/// `url` split into what the driver reads and what xox reads itself: `schema`, which the
/// driver would refuse, and the `sslmode` values and `sslrootcert` it does not know.
pub(super) fn parse(url: &str) -> StoreResult<Target> {
    parse_with(url, &|name| std::env::var(name).ok())
}

/// [`parse`], with libpq's environment variables read through `environment`.
fn parse_with(url: &str, environment: &dyn Fn(&str) -> Option<String>) -> StoreResult<Target> {
    if let Some(name) = UNSUPPORTED_ENVIRONMENT
        .iter()
        .find(|name| environment(name).is_some())
    {
        return Err(bad(format!(
            "{name} is set, and xox does not read it: unset it, and say what you need in the --db URL"
        )));
    }
    let mut parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    let shown = shown(&parsed);
    let mut schema = DEFAULT_SCHEMA.to_owned();
    let mut mode = environment("PGSSLMODE");
    let mut root_file = environment("PGSSLROOTCERT");
    let mut kept: Vec<(String, String)> = Vec::new();
    for (key, value) in parsed.query_pairs().into_owned() {
        match key.as_str() {
            "schema" => schema = value,
            "sslmode" => mode = Some(value),
            "sslrootcert" => root_file = Some(value),
            _ => kept.push((key, value)),
        }
    }
    let mode = mode.unwrap_or_else(|| "prefer".to_owned());
    if !schema::valid_name(&schema) {
        return Err(bad(format!(
            "schema {schema:?} is not a plain lower-case name"
        )));
    }
    let roots = match root_file.as_deref() {
        None | Some("system") => Roots::System,
        Some(path) => Roots::File(path.into()),
    };
    let check = match (mode.as_str(), &roots) {
        ("disable", _) => Check::Off,
        ("prefer" | "require", Roots::System) => Check::EncryptOnly,
        // A root file given is a root to check against, with or without `sslmode`.
        ("prefer" | "require" | "verify-ca", _) => Check::SignedByRoot,
        ("verify-full", _) => Check::SignedForHost,
        _ => {
            return Err(bad(format!(
                "sslmode {mode:?} is not one of disable, prefer, require, verify-ca, verify-full"
            )));
        }
    };
    // The driver only knows whether to ask for TLS; the checking is done by our verifier.
    let driver_mode = match check {
        Check::Off => "disable",
        _ if mode == "prefer" => "prefer",
        _ => "require",
    };
    kept.push(("sslmode".into(), driver_mode.into()));
    parsed.query_pairs_mut().clear().extend_pairs(&kept);
    // Form encoding writes a space as `+` (and a `+` as `%2B`), which the driver reads as
    // is: spaces (in `options`, say) go as `%20`.
    let query = parsed.query().map(|q| q.replace('+', "%20"));
    parsed.set_query(query.as_deref());
    let mut config: postgres::Config = parsed.as_str().parse().map_err(|e| bad(format!("{e}")))?;
    // Every session starts in xox's schema: no `SET` round trip after each login.
    let options = match config.get_options() {
        Some(theirs) => format!("{theirs} -c search_path={schema}"),
        None => format!("-c search_path={schema}"),
    };
    config.options(&options);
    // libpq's environment fills what the URL leaves out, as it does for psql.
    if config.get_password().is_none()
        && let Some(password) = environment("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_user().is_none()
        && let Some(user) = environment("PGUSER")
    {
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(dbname) = environment("PGDATABASE")
    {
        config.dbname(&dbname);
    }
    let location = format!("{shown} (schema {schema})");
    Ok(Target {
        server: Server {
            config,
            tls: MakeRustlsConnect::new(client_config(check, &roots)?),
        },
        schema,
        location,
    })
}

fn client_config(check: Check, roots: &Roots) -> StoreResult<ClientConfig> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("cannot set up TLS: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = match (check, roots) {
        (Check::Off | Check::EncryptOnly, _) => Arc::new(EncryptOnly(provider)),
        (_, Roots::System) => Arc::new(
            rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| bad(format!("cannot read the system's root certificates: {e}")))?,
        ),
        (_, Roots::File(path)) => {
            let mut store = RootCertStore::empty();
            let unreadable =
                |e: &dyn std::fmt::Display| bad(format!("sslrootcert {}: {e}", path.display()));
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
                store
                    .add(cert.map_err(|e| unreadable(&e))?)
                    .map_err(|e| unreadable(&e))?;
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| unreadable(&e))?;
            if check == Check::SignedForHost {
                webpki
            } else {
                Arc::new(AnyHost(webpki))
            }
        }
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// `sslmode=require` as libpq means it: the session is encrypted, but the certificate is
/// not checked, so it guards against listeners and not against an impostor. The handshake's
/// own signatures are still verified.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        tokio_rustls::rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        tokio_rustls::rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root, whatever host it names.
#[derive(Debug)]
struct AnyHost(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHost {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        // The chain is checked before the name, so a name error means the chain passed.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            checked => checked,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_with};

    #[test]
    fn no_secret_a_url_can_carry_is_shown() {
        let target = parse_with(
            "postgres://fleet-admin:pw1@db/app?password=hunter2&sslmode=disable&schema=ops",
            &|_| None,
        )
        .unwrap();
        for secret in ["pw1", "hunter2", "fleet-admin"] {
            assert!(!target.location.contains(secret), "{}", target.location);
        }
        assert_eq!(
            target.location,
            "postgres://db/app?sslmode=disable&schema=ops (schema ops)"
        );
        // The driver still gets it: only what is shown loses it.
        assert_eq!(target.server.config.get_password(), Some(&b"hunter2"[..]));
        // The driver takes no `sslpassword` (xox makes no client-certificate sessions): the
        // refusal names no part of the URL.
        let refused = parse_with("postgres://db/app?sslpassword=s3cr3t", &|_| None)
            .err()
            .unwrap()
            .to_string();
        assert!(!refused.contains("s3cr3t"), "{refused}");
        let url = url::Url::parse("postgres://u:p@db/app?sslpassword=s3cr3t&a=1").unwrap();
        assert_eq!(super::shown(&url), "postgres://db/app?a=1");
    }

    #[test]
    fn libpq_environment_fills_what_the_url_leaves_out_or_is_refused_by_name() {
        use postgres::config::SslMode;
        let environment = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let env = environment(&[
            ("PGSSLMODE", "require"),
            ("PGPASSWORD", "pw"),
            ("PGUSER", "ops"),
        ]);
        let target = parse_with("postgres://db/app", &env).unwrap();
        let config = &target.server.config;
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_user(), Some("ops"));
        // The URL wins where it says.
        let target = parse_with("postgres://me:mine@db/app?sslmode=disable", &env).unwrap();
        let config = &target.server.config;
        assert_eq!(config.get_ssl_mode(), SslMode::Disable);
        assert_eq!(
            (config.get_user(), config.get_password()),
            (Some("me"), Some(&b"mine"[..]))
        );
        let refused = parse_with(
            "postgres://db/app",
            &environment(&[("PGSSLCERT", "/c.pem")]),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(refused.contains("PGSSLCERT is set"), "{refused}");
    }

    #[test]
    fn a_root_file_without_sslmode_is_checked_against_not_a_contradiction() {
        let target = parse_with("postgres://db/app?sslrootcert=/nonexistent.pem", &|_| None);
        let error = target.err().unwrap().to_string();
        // The file is read (and here missing), not refused with a mode that is in its own list.
        assert!(error.contains("sslrootcert /nonexistent.pem"), "{error}");
        assert!(!error.contains("is not one of"), "{error}");
    }

    #[test]
    fn xox_parameters_are_taken_out_and_the_password_is_never_shown() {
        use postgres::config::SslMode;
        let target =
            parse("postgres://xox:s3cret@db:5432/app?sslmode=require&schema=fleet&options=-c%20work_mem%3D8MB")
                .unwrap();
        let config = &target.server.config;
        assert_eq!(config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        assert_eq!(
            config.get_options(),
            Some("-c work_mem=8MB -c search_path=fleet")
        );
        assert_eq!(target.schema, "fleet");
        assert!(!target.location.contains("s3cret"), "{}", target.location);
        let target = parse("postgresql://db/app").unwrap();
        assert_eq!(target.server.config.get_ssl_mode(), SslMode::Prefer);
        assert_eq!(target.location, "postgresql://db/app (schema xox)");
        assert!(parse("postgres://db/app?schema=x;drop").is_err());
        let unknown = parse("postgres://db/app?colour=blue").err().unwrap();
        assert!(
            unknown
                .to_string()
                .starts_with("PostgreSQL at the --db URL: invalid"),
            "{unknown}"
        );
    }

    #[test]
    fn verifying_modes_ask_the_driver_for_tls_and_unknown_modes_are_refused() {
        use postgres::config::SslMode;
        let full = parse("postgres://db/app?sslmode=verify-full").unwrap();
        assert_eq!(full.server.config.get_ssl_mode(), SslMode::Require);
        let ca = parse("postgres://db/app?sslmode=verify-ca&sslrootcert=system").unwrap();
        assert_eq!(ca.server.config.get_ssl_mode(), SslMode::Require);
        let missing = parse("postgres://db/app?sslmode=verify-full&sslrootcert=/nonexistent.pem")
            .err()
            .unwrap();
        assert!(
            missing.to_string().contains("sslrootcert /nonexistent.pem"),
            "{missing}"
        );
        let unknown = parse("postgres://db/app?sslmode=allow-anything")
            .err()
            .unwrap();
        assert!(
            unknown.to_string().contains("sslmode \"allow-anything\""),
            "{unknown}"
        );
    }
}
