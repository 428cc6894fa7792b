//! Bringing an app's installs along from python-slack-sdk's installation stores: every
//! latest installation becomes a connection of the registered app, tokens and all.

use super::{Engine, EngineError, EngineResult};
use crate::slack::sdk_store::{SdkInstallation, SdkStore, installation, read_files};
use crate::store::EventAction;
use crate::store::{Connection, HeldElsewhere, now_unix};
use std::path::Path;

/// What an import from an SDK store did.
#[derive(Debug, Default)]
pub struct SdkImport {
    pub imported: Vec<Connection>,
    /// Installations of other apps (another client id) in the same store, left alone.
    pub other_apps: usize,
    /// Installations that could not be stored: the connection name and why.
    pub refused: Vec<(String, String)>,
}

impl Engine {
    /// Import every latest installation in `path` (a `source` store) as connections of
    /// `app`.
    pub async fn import_sdk_store(
        &self,
        source: SdkStore,
        path: &Path,
        app: &str,
        held: HeldElsewhere,
    ) -> EngineResult<SdkImport> {
        let app = self.app(app).await?;
        let now = now_unix();
        let path = path.to_owned();
        let installations: Vec<SdkInstallation> =
            tokio::task::spawn_blocking(move || match source {
                SdkStore::Sqlite => Ok(crate::store::sdk_installations(&path)?
                    .iter()
                    .filter_map(|record| installation(record, now))
                    .collect()),
                SdkStore::Files => {
                    read_files(&path, now).map_err(|e| EngineError::SdkStore(e.to_string()))
                }
            })
            .await
            .map_err(|e| EngineError::SdkStore(e.to_string()))??;
        let mut report = SdkImport::default();
        let mut names = std::collections::HashSet::new();
        for found in installations {
            if found
                .client_id
                .as_ref()
                .is_some_and(|id| *id != app.client_id)
            {
                report.other_apps += 1;
                continue;
            }
            // One connection per workspace, and per installing user after the first.
            let mut name = crate::login::default_name(&app, &found.grant);
            if !names.insert(name.clone()) {
                let user = found.user_id.clone().unwrap_or_default().to_lowercase();
                name = format!("{name}-{user}").chars().take(64).collect();
                names.insert(name.clone());
            }
            let (app, grant, saved_as) = (app.clone(), found.grant, name.clone());
            match self
                .store()
                .run(move |s| s.save_grant(&app, &saved_as, &grant, EventAction::Import, held))
                .await
            {
                Ok(connection) => report.imported.push(connection),
                Err(e) => report.refused.push((name, e.to_string())),
            }
        }
        Ok(report)
    }
}
