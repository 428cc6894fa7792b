//! Distributed apps in the file: which connections may serve a workspace, org-wide
//! installs' workspaces, installs waiting for Slack's redirect, Slack's requests seen.

use super::SqliteStore;
use crate::slack::Secret;
use crate::store::backend::{InstallCandidate, InstallStore, PendingInstall, TakenInstall};
use crate::store::error::StoreResult;
use crate::store::sealed::verifier_aad;
use rusqlite::{OptionalExtension, params};

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

    fn begin_install(&mut self, pending: &PendingInstall<'_>) -> StoreResult<()> {
        self.write(|tx, cipher| {
            let state = cipher.digest(pending.state.expose());
            let verifier = pending
                .verifier
                .map(|v| cipher.seal(&verifier_aad(&state), v.expose().as_bytes()));
            // Installs never finished are forgotten as new ones begin.
            tx.execute(
                "DELETE FROM pending_installs WHERE expires_at < ?1",
                [pending.expires_at - 3600],
            )?;
            tx.execute(
                "INSERT INTO pending_installs (state_digest, app_id, browser_digest, verifier, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![state, pending.app_id, cipher.digest(pending.browser.expose()), verifier, pending.expires_at],
            )?;
            Ok(())
        })
    }

    fn take_install(
        &mut self,
        state: &Secret,
        browser: &Secret,
        now: i64,
    ) -> StoreResult<TakenInstall> {
        self.write(|tx, cipher| {
            let state = cipher.digest(state.expose());
            let row: Option<crate::store::rules::PendingRow> = tx
                .query_row(
                    "DELETE FROM pending_installs WHERE state_digest = ?1
                     RETURNING app_id, browser_digest, verifier, expires_at",
                    [&state],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((app_id, stored_browser, verifier, expires_at)) = row else {
                return Ok(TakenInstall::Unknown);
            };
            crate::store::rules::taken_install(
                cipher,
                &state,
                (app_id, stored_browser, verifier, expires_at),
                browser,
                now,
            )
        })
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
