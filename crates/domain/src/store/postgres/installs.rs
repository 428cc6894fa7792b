//! Distributed apps on PostgreSQL: which connections may serve a workspace, org-wide
//! installs' workspaces, installs waiting for Slack's redirect, Slack's requests seen.
//! Taking an install and first sightings are single statements, so one host of a fleet
//! wins each.

use super::PostgresStore;
use crate::slack::Secret;
use crate::store::backend::{InstallCandidate, InstallStore, PendingInstall, TakenInstall};
use crate::store::error::StoreResult;
use crate::store::sealed::verifier_aad;

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

    fn begin_install(&mut self, pending: &PendingInstall<'_>) -> StoreResult<()> {
        self.write(|tx, cipher| {
            let state = cipher.digest(pending.state.expose());
            let verifier = pending
                .verifier
                .map(|v| cipher.seal(&verifier_aad(&state), v.expose().as_bytes()));
            tx.execute(
                "DELETE FROM pending_installs WHERE expires_at < $1",
                &[&(pending.expires_at - 3600)],
            )?;
            tx.execute(
                "INSERT INTO pending_installs (state_digest, app_id, browser_digest, verifier, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&state, &pending.app_id, &cipher.digest(pending.browser.expose()), &verifier, &pending.expires_at],
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
            let Some(row) = tx.query_opt(
                "DELETE FROM pending_installs WHERE state_digest = $1
                 RETURNING app_id, browser_digest, verifier, expires_at",
                &[&state],
            )?
            else {
                return Ok(TakenInstall::Unknown);
            };
            crate::store::rules::taken_install(
                cipher,
                &state,
                (row.get(0), row.get(1), row.get(2), row.get(3)),
                browser,
                now,
            )
        })
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
