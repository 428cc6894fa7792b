//! The shared backend: a PostgreSQL server, for fleets of hosts that hold the same tokens.
//! Secrets are sealed with the key from `XOX_KEY` before they leave the process, so the
//! server never sees a token or the key.

mod schema;

use super::cipher::Cipher;
use super::error::{StoreError, StoreResult};
use postgres::{Client, NoTls};

/// AAD of the value that proves the key opens this store (as in the file).
const KEY_CHECK: &str = "meta:key_check";
/// The schema (namespace) xox keeps its tables in unless the URL names another.
pub const DEFAULT_SCHEMA: &str = "xox";

pub struct PostgresStore {
    client: Client,
    cipher: Cipher,
    /// The URL without its password, for messages.
    location: String,
    notices: Vec<String>,
}

/// Is `location` a PostgreSQL URL (rather than a file path)?
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// `url` split into what the driver reads and the schema xox uses (its own `schema`
/// parameter, which the driver would refuse), and the URL as shown: no password.
fn parse(url: &str) -> StoreResult<(String, String, String)> {
    let bad = |detail: String| StoreError::Postgres {
        location: "the --db URL".into(),
        detail,
    };
    let mut parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    let mut schema = DEFAULT_SCHEMA.to_owned();
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .into_owned()
        .filter(|(k, v)| {
            if k == "schema" {
                schema = v.clone();
                false
            } else {
                true
            }
        })
        .collect();
    if !schema::valid_name(&schema) {
        return Err(bad(format!(
            "schema {schema:?} is not a plain lower-case name"
        )));
    }
    parsed.query_pairs_mut().clear().extend_pairs(&kept);
    if kept.is_empty() {
        parsed.set_query(None);
    }
    let driver = parsed.to_string();
    let _ = parsed.set_password(None);
    let shown = format!("{parsed} (schema {schema})");
    Ok((driver, schema, shown))
}

impl PostgresStore {
    /// Connect to the server at `url`, bring xox's schema up to date, and prove the key.
    pub fn open(url: &str) -> StoreResult<PostgresStore> {
        let env_key = std::env::var(super::key::KEY_ENV).ok();
        PostgresStore::open_with_key(url, env_key.as_deref())
    }

    pub fn open_with_key(url: &str, env_key: Option<&str>) -> StoreResult<PostgresStore> {
        let (driver, schema, location) = parse(url)?;
        let key = env_key.ok_or(StoreError::PostgresKeyMissing)?;
        let key = super::key::decode(key).ok_or(StoreError::BadEnvKey)?;
        let failed = |e: postgres::Error| StoreError::Postgres {
            location: location.clone(),
            detail: server_error(&e),
        };
        let mut client = Client::connect(&driver, NoTls).map_err(failed)?;
        let mut tx = client.transaction().map_err(failed)?;
        let version = schema::locked_version(&mut tx, &schema).map_err(failed)?;
        if version > schema::LATEST {
            // Dropped unfinished: the transaction rolls back, the store is untouched.
            return Err(StoreError::NewerSchema {
                path: location.clone().into(),
                found: version,
                known: schema::LATEST,
            });
        }
        schema::migrate(&mut tx, version).map_err(failed)?;
        let cipher = Cipher::new(&key);
        let sealed = cipher.seal(KEY_CHECK, b"xox");
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING",
            &[&sealed],
        )
        .map_err(failed)?;
        let stored: Vec<u8> = tx
            .query_one("SELECT value FROM meta WHERE key = 'key_check'", &[])
            .map_err(failed)?
            .get(0);
        tx.commit().map_err(failed)?;
        if cipher.open(KEY_CHECK, &stored).is_err() {
            return Err(StoreError::WrongKey(location.into()));
        }
        client
            .batch_execute(&format!("SET search_path = {schema}"))
            .map_err(failed)?;
        let notices = if version == 0 {
            vec![format!(
                "created xox's tables at {location}; its key is the one in XOX_KEY (every host needs the same)"
            )]
        } else {
            Vec::new()
        };
        Ok(PostgresStore {
            client,
            cipher,
            location,
            notices,
        })
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

/// The server's own words for what went wrong, or the driver's (a refused connection).
fn server_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => {
            let mut current: &dyn std::error::Error = e;
            while let Some(next) = current.source() {
                current = next;
            }
            current.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_parameter_is_ours_and_the_password_is_never_shown() {
        let (driver, schema, shown) =
            super::parse("postgres://xox:s3cret@db:5432/app?sslmode=require&schema=fleet").unwrap();
        assert_eq!(driver, "postgres://xox:s3cret@db:5432/app?sslmode=require");
        assert_eq!(schema, "fleet");
        assert!(!shown.contains("s3cret"), "{shown}");
        let (driver, schema, _) = super::parse("postgresql://db/app").unwrap();
        assert_eq!(
            (driver.as_str(), schema.as_str()),
            ("postgresql://db/app", "xox")
        );
        assert!(super::parse("postgres://db/app?schema=x;drop").is_err());
    }
}
