//! `apps.manifest.update` with an app configuration token: the app's manifest pushed to
//! Slack instead of pasted by hand.

use super::{Engine, EngineError, EngineResult};
use crate::slack::TokenKind;

/// Which app at Slack was updated, with whose configuration token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedManifest {
    pub app_id: String,
    pub connection: String,
}

impl Engine {
    /// The Slack app manifest for app `name` (see `login::manifest`), with the URLs of a
    /// public face at `public_url` (and its slash `commands`) when given.
    pub async fn manifest(
        &self,
        name: &str,
        public_url: Option<&str>,
        commands: &[String],
    ) -> EngineResult<serde_json::Value> {
        let app = self.app(name).await?;
        let public = public_url.map(|url| crate::login::manifest::PublicManifest {
            url: url.trim_end_matches('/'),
            commands,
        });
        Ok(crate::login::manifest::manifest_served(
            &app,
            public.as_ref(),
        ))
    }

    /// Push `app`'s manifest to Slack. The Slack app id comes from `app_id` or from a
    /// connection of the app; the configuration token from `conn` or the first connection
    /// that holds one.
    pub async fn push_manifest(
        &self,
        app: &str,
        app_id: Option<&str>,
        conn: Option<&str>,
    ) -> EngineResult<PushedManifest> {
        let app = self.app(app).await?;
        let connections = self.connections().await?;
        let app_id = app_id
            .map(str::to_owned)
            .or_else(|| {
                connections
                    .iter()
                    .filter(|c| c.app_id == app.id)
                    .find_map(|c| c.slack_app_id.clone())
            })
            .ok_or_else(|| EngineError::ManifestPush {
                detail: format!(
                    "no connection of {} knows its Slack app id: pass --app-id A…",
                    app.name
                ),
            })?;
        let holder = match conn {
            Some(name) => self.connection(name).await?,
            None => connections
                .into_iter()
                .find(|c| c.token(TokenKind::Config).is_some())
                .ok_or_else(|| EngineError::ManifestPush {
                    detail: "no connection holds an app configuration token: import one (`xox import NAME` with the pair from the app settings page)".into(),
                })?,
        };
        let manifest = crate::login::manifest::manifest(&app).to_string();
        let args = [format!("app_id={app_id}"), format!("manifest={manifest}")];
        let report = self
            .call(
                &holder.id,
                "apps.manifest.update",
                &args,
                Some(TokenKind::Config),
            )
            .await?;
        if let Err(failure) = report.result {
            return Err(EngineError::ManifestPush {
                detail: failure.error.to_string(),
            });
        }
        Ok(PushedManifest {
            app_id,
            connection: holder.name,
        })
    }
}
