//! Distributed apps in the file: which connections may serve a workspace, org-wide
//! installs' workspaces, and what was seen already.

use super::SqliteStore;
use crate::store::backend::{InstallCandidate, InstallStore};
use crate::store::error::StoreResult;
use rusqlite::params;

impl InstallStore for SqliteStore {
    fn install_candidates(&self, app_id: &str, id: &str) -> StoreResult<Vec<InstallCandidate>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.id, c.team_id = ?2 AND NOT c.enterprise_install,
                        c.enterprise_install AND c.enterprise_id = ?2,
                        c.enterprise_install AND EXISTS (SELECT 1 FROM covered_teams t
                            WHERE t.connection_id = c.id AND t.team_id = ?2),
                        c.authed_user_id,
                        EXISTS (SELECT 1 FROM tokens k WHERE k.connection_id = c.id AND k.kind = 'bot'),
                        EXISTS (SELECT 1 FROM tokens k WHERE k.connection_id = c.id AND k.kind = 'user')
                 FROM connections c
                 WHERE c.app_id = ?1 AND (c.team_id = ?2 OR c.enterprise_id = ?2
                     OR c.id IN (SELECT connection_id FROM covered_teams WHERE team_id = ?2))",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![app_id, id], |r| {
                Ok(InstallCandidate {
                    connection_id: r.get(0)?,
                    own_workspace: r.get::<_, Option<bool>>(1)?.unwrap_or(false),
                    whole_org: r.get::<_, Option<bool>>(2)?.unwrap_or(false),
                    covering_org: r.get(3)?,
                    authed_user_id: r.get(4)?,
                    has_bot: r.get(5)?,
                    has_user: r.get(6)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn set_covered_teams(&mut self, connection_id: &str, teams: &[String]) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(
                "DELETE FROM covered_teams WHERE connection_id = ?1",
                [connection_id],
            )?;
            for team in teams {
                tx.execute(
                    "INSERT OR IGNORE INTO covered_teams (connection_id, team_id) VALUES (?1, ?2)",
                    params![connection_id, team],
                )?;
            }
            Ok(())
        })
    }

    fn keyed_digest(&self, text: &str) -> Vec<u8> {
        self.cipher.digest(text)
    }

    fn first_sight(&mut self, fingerprint: &str, until: i64, now: i64) -> StoreResult<bool> {
        self.write(|tx, cipher| {
            tx.execute("DELETE FROM seen_requests WHERE expires_at < ?1", [now])?;
            let added = tx.execute(
                "INSERT OR IGNORE INTO seen_requests (digest, expires_at) VALUES (?1, ?2)",
                params![cipher.digest(fingerprint), until],
            )?;
            Ok(added == 1)
        })
    }
}
