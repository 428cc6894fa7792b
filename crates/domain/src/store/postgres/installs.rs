//! Distributed apps on PostgreSQL: which connections may serve a workspace, org-wide
//! installs' workspaces, and what was seen already.
//! A first sighting is one statement, so one host of a fleet wins each.

use super::PostgresStore;
use crate::store::backend::{InstallCandidate, InstallStore};
use crate::store::error::StoreResult;

impl InstallStore for PostgresStore {
    fn install_candidates(&self, app_id: &str, id: &str) -> StoreResult<Vec<InstallCandidate>> {
        let rows = self.db()?.query(
            "SELECT c.id, COALESCE(c.team_id = $2 AND NOT c.enterprise_install, FALSE),
                    COALESCE(c.enterprise_install AND c.enterprise_id = $2, FALSE),
                    c.enterprise_install AND EXISTS (SELECT 1 FROM covered_teams t
                        WHERE t.connection_id = c.id AND t.team_id = $2),
                    c.authed_user_id,
                    EXISTS (SELECT 1 FROM tokens k WHERE k.connection_id = c.id AND k.kind = 'bot'),
                    EXISTS (SELECT 1 FROM tokens k WHERE k.connection_id = c.id AND k.kind = 'user')
             FROM connections c
             WHERE c.app_id = $1 AND (c.team_id = $2 OR c.enterprise_id = $2
                 OR c.id IN (SELECT connection_id FROM covered_teams WHERE team_id = $2))",
            &[&app_id, &id],
        )?;
        Ok(rows
            .iter()
            .map(|r| InstallCandidate {
                connection_id: r.get(0),
                own_workspace: r.get(1),
                whole_org: r.get(2),
                covering_org: r.get(3),
                authed_user_id: r.get(4),
                has_bot: r.get(5),
                has_user: r.get(6),
            })
            .collect())
    }

    fn set_covered_teams(&mut self, connection_id: &str, teams: &[String]) -> StoreResult<()> {
        self.write(|tx, _| {
            tx.execute(
                "DELETE FROM covered_teams WHERE connection_id = $1",
                &[&connection_id],
            )?;
            for team in teams {
                tx.execute(
                    "INSERT INTO covered_teams (connection_id, team_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&connection_id, team],
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
            tx.execute("DELETE FROM seen_requests WHERE expires_at < $1", &[&now])?;
            let added = tx.execute(
                "INSERT INTO seen_requests (digest, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&cipher.digest(fingerprint), &until],
            )?;
            Ok(added == 1)
        })
    }
}
