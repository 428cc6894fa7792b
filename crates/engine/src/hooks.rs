//! Hooks on token events: added, listed, removed and tried by hand; delivered first by the
//! process that recorded the event, and by every `watch` and `proxy` for what others left.

use crate::delivery::{self, CUT_OFF, HookClient, Target};
use crate::slack::Secret;
use crate::store::hooks::{ClaimScope, Hook, HookDelivery, HookEvent, HookVia, NewHook, TryResult};
use crate::store::{StoreError, StoreHandle};
use crate::{Engine, EngineError, EngineResult};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Where a new hook sends its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookTarget {
    /// `sh -c COMMAND`, the event on its standard input.
    Exec(String),
    /// A signed POST.
    Url(String),
}

/// A hook just added, with the signing secret of a URL hook: shown this once, kept sealed.
pub struct AddedHook {
    pub hook: Hook,
    pub secret: Option<Secret>,
}

/// How many tries one process runs at once: a command that hangs holds one of them until
/// its cut-off, and the rest go on.
const TRIES_AT_ONCE: usize = 16;
/// How often a `watch` or `proxy` looks for deliveries that are due.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// How often it looks for tokens that are `expiring`.
const EXPIRING_EVERY: Duration = Duration::from_secs(10);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whether this process has recorded deliveries since it last asked.
pub fn hooks_recorded() -> bool {
    crate::store::hooks::take_recorded()
}

/// 40 characters from 62: 238 bits from the OS's randomness, after `prefix`.
pub(crate) fn random_secret(prefix: &str) -> Secret {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 40];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    // 256 is 4 × 62 + 8: the remainder's tiny bias costs well under a bit in all.
    let body: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Secret::new(format!("{prefix}{body}"))
}

/// Check what `xox hook add` was given before anything is stored.
fn check_new(events: &[HookEvent], target: &HookTarget) -> EngineResult<()> {
    if events.is_empty() || events.contains(&HookEvent::Test) {
        return Err(EngineError::Hook(
            "--on takes one or more of: needs_reauth, revoked, uninstalled, refresh_failed, installed, expiring, rate_limited (or all)".into(),
        ));
    }
    match target {
        HookTarget::Exec(command) if command.trim().is_empty() => Err(EngineError::Hook(
            "--exec needs a command, run with sh -c".into(),
        )),
        HookTarget::Url(url) => {
            let parsed = url::Url::parse(url).map_err(|e| {
                EngineError::Hook(format!(
                    "--url is not a URL ({e}): give http(s)://HOST/PATH"
                ))
            })?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(EngineError::Hook(
                    "--url must be an http:// or https:// URL with a host".into(),
                ));
            }
            Ok(())
        }
        HookTarget::Exec(_) => Ok(()),
    }
}

impl Engine {
    pub async fn add_hook(
        &self,
        events: Vec<HookEvent>,
        target: HookTarget,
        label: Option<String>,
    ) -> EngineResult<AddedHook> {
        check_new(&events, &target)?;
        let (via, text) = match target {
            HookTarget::Exec(command) => (HookVia::Exec, command),
            HookTarget::Url(url) => (HookVia::Url, url),
        };
        let secret = (via == HookVia::Url).then(|| random_secret("xhs-"));
        let kept = secret.clone();
        let hook = self
            .store()
            .run(move |s| {
                s.add_hook(
                    &NewHook {
                        events: &events,
                        via,
                        target: &text,
                        label: label.as_deref(),
                    },
                    kept.as_ref(),
                )
            })
            .await?;
        Ok(AddedHook { hook, secret })
    }

    pub async fn hooks(&self) -> EngineResult<Vec<Hook>> {
        Ok(self.store().read(|s| s.hooks()).await?)
    }

    /// A hook by id, or by a label only it has.
    async fn hook(&self, id_or_label: &str) -> EngineResult<Hook> {
        let hooks = self.hooks().await?;
        if let Some(hook) = hooks.iter().find(|h| h.id == id_or_label) {
            return Ok(hook.clone());
        }
        let labelled: Vec<&Hook> = hooks
            .iter()
            .filter(|h| h.label.as_deref() == Some(id_or_label))
            .collect();
        match labelled.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(StoreError::NotFound(format!(
                "no hook {:?}; `xox hook list` shows them",
                crate::text::one_line(id_or_label)
            ))
            .into()),
            _ => Err(EngineError::Hook(format!(
                "{} hooks have the label {:?}: name one by its id (`xox hook list`)",
                labelled.len(),
                crate::text::one_line(id_or_label)
            ))),
        }
    }

    /// Remove a hook and whatever it had not been told yet.
    pub async fn remove_hook(&self, id_or_label: &str) -> EngineResult<Hook> {
        let hook = self.hook(id_or_label).await?;
        let id = hook.id.clone();
        self.store().run(move |s| s.remove_hook(&id)).await?;
        Ok(hook)
    }

    /// Send the hook a `test` event now, once, and say what came of it.
    pub async fn test_hook(&self, id_or_label: &str) -> EngineResult<(Hook, TryResult)> {
        let hook = self.hook(id_or_label).await?;
        let id = hook.id.clone();
        let delivery_id = self.store().run(move |s| s.record_test(&id)).await?;
        let claimed = self
            .store()
            .run(move |s| s.claim_deliveries(ClaimScope::One(delivery_id), now_ms(), 1))
            .await?;
        let Some(delivery) = claimed.into_iter().next() else {
            return Err(EngineError::Hook(
                "the test was taken by another process".into(),
            ));
        };
        let runner = self.hook_runner()?;
        let result = runner.try_one(&hook, delivery, true).await;
        Ok((hook, result))
    }

    /// Deliver what this process recorded, as a command ends: every try at once, each cut
    /// off at 10 s. What fails is tried again by a `watch` or `proxy`.
    pub async fn deliver_recorded_hooks(&self) -> EngineResult<Vec<(Hook, TryResult)>> {
        let claimed = self
            .store()
            .run(|s| s.claim_deliveries(ClaimScope::RecordedHere, now_ms(), 256))
            .await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let hooks = self.hooks_by_id().await?;
        let runner = self.hook_runner()?;
        let mut tries = tokio::task::JoinSet::new();
        for delivery in claimed {
            let Some(hook) = hooks.get(&delivery.hook_id).cloned() else {
                continue;
            };
            let runner = runner.clone();
            tries.spawn(async move {
                let result = runner.try_one(&hook, delivery, false).await;
                (hook, result)
            });
        }
        Ok(tries.join_all().await)
    }

    /// Deliver what is due, for this process and the fleet, and record `expiring` tokens,
    /// until `stop`. Tries run in their own tasks: a slow one delays no other.
    pub async fn run_hooks(&self, stop: impl Future<Output = ()>) {
        let runner = match self.hook_runner() {
            Ok(runner) => runner,
            Err(e) => {
                tracing::warn!(error = %e, "hooks are not delivered");
                return;
            }
        };
        let permits = Arc::new(Semaphore::new(TRIES_AT_ONCE));
        let mut expiring = tokio::time::interval(EXPIRING_EVERY);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = expiring.tick() => {
                    let now = crate::store::now_unix();
                    if let Err(e) = self.store().run(move |s| s.record_expiring(now)).await {
                        tracing::warn!(error = %e, "could not look for expiring tokens");
                    }
                }
                () = tokio::time::sleep(LOOK_EVERY) => {}
                () = &mut stop => return,
            }
            let free = permits.available_permits() as i64;
            if free == 0 {
                continue;
            }
            let claimed = self
                .store()
                .run(move |s| s.claim_deliveries(ClaimScope::Due, now_ms(), free))
                .await;
            let claimed = match claimed {
                Ok(claimed) if claimed.is_empty() => continue,
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim hook deliveries");
                    continue;
                }
            };
            let hooks = match self.hooks_by_id().await {
                Ok(hooks) => hooks,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the hooks");
                    continue;
                }
            };
            for delivery in claimed {
                let Some(hook) = hooks.get(&delivery.hook_id).cloned() else {
                    continue;
                };
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    break;
                };
                let runner = runner.clone();
                tokio::spawn(async move {
                    runner.try_one(&hook, delivery, false).await;
                    drop(permit);
                });
            }
        }
    }

    async fn hooks_by_id(&self) -> EngineResult<HashMap<String, Hook>> {
        Ok(self
            .hooks()
            .await?
            .into_iter()
            .map(|h| (h.id.clone(), h))
            .collect())
    }

    fn hook_runner(&self) -> EngineResult<HookRunner> {
        Ok(HookRunner {
            store: self.store().clone(),
            client: HookClient::new().map_err(EngineError::Hook)?,
        })
    }
}

/// What a try needs, cloned into each task.
#[derive(Clone)]
struct HookRunner {
    store: StoreHandle,
    client: HookClient,
}

impl HookRunner {
    /// Try `delivery` once and record what came of it; with `last`, a failure is final.
    async fn try_one(&self, hook: &Hook, delivery: HookDelivery, last: bool) -> TryResult {
        let secret = match hook.via {
            HookVia::Url => {
                let id = hook.id.clone();
                match self.store.read(move |s| s.hook_secret(&id)).await {
                    Ok(secret) => secret,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not open a hook's secret");
                        None
                    }
                }
            }
            HookVia::Exec => None,
        };
        let target = Target {
            via: hook.via,
            target: &hook.target,
            secret: secret.as_ref(),
        };
        let result = delivery::deliver(&self.client, &target, &delivery, CUT_OFF).await;
        let (done, finished) = (result.clone(), delivery.clone());
        let state = self
            .store
            .run(move |s| s.finish_delivery(&finished, &done, last, now_ms()))
            .await;
        match state {
            Ok(state) => {
                tracing::info!(hook = hook.id, event = %delivery.event, delivery = delivery.id,
                    result = result.detail, state = %state, "hook tried");
            }
            Err(e) => tracing::warn!(error = %e, hook = hook.id, "could not record a hook's try"),
        }
        result
    }
}
