//! Simulated OAuth: authorize + consent, `oauth.v2.access` (code and refresh grants), exchange.

use super::world::{
    CODE_LIFETIME, DEFAULT_TEAM, DEFAULT_USER, PKCE_REFRESH_LIFETIME, PendingCode, World,
    random_alnum,
};
use crate::slack::TokenKind;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use url::Url;

pub type Form = HashMap<String, String>;

/// Client credentials as sent: HTTP Basic, or `client_id`/`client_secret` form fields.
#[derive(Debug, Default, Clone)]
pub struct Creds {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// A checked authorize request, waiting for the user's decision on the consent page.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub bot_scopes: BTreeSet<String>,
    pub user_scopes: BTreeSet<String>,
    pub redirect_uri_sent: Option<String>,
    pub redirect_target: String,
    pub state: Option<String>,
    pub team: Option<String>,
    pub code_challenge: Option<String>,
}

/// Why an authorize request is refused. Like Slack, these are shown as an error page and
/// never redirected back, so a local listener does not hear of them.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizeRefusal {
    pub code: &'static str,
    pub explanation: String,
}

pub(super) fn refuse(code: &'static str, explanation: impl Into<String>) -> AuthorizeRefusal {
    AuthorizeRefusal {
        code,
        explanation: explanation.into(),
    }
}

pub(super) fn parse_scopes(list: Option<&String>) -> Result<BTreeSet<String>, AuthorizeRefusal> {
    let mut scopes = BTreeSet::new();
    for scope in list
        .map(String::as_str)
        .unwrap_or("")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
    {
        let valid = scope
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".:_-".contains(c));
        if !valid || !crate::slack::catalogue::catalogue().knows_scope(scope) {
            return Err(refuse("invalid_scope", format!("{scope:?} is not a scope")));
        }
        scopes.insert(scope.to_owned());
    }
    Ok(scopes)
}

/// Slack's rule: same scheme, host and port, and the same path or a sub-path of it.
pub fn redirect_matches(registered: &str, sent: &str) -> bool {
    let (Ok(reg), Ok(sent)) = (Url::parse(registered), Url::parse(sent)) else {
        return false;
    };
    if reg.scheme() != sent.scheme()
        || reg.host_str() != sent.host_str()
        || reg.port_or_known_default() != sent.port_or_known_default()
    {
        return false;
    }
    let base = reg.path().trim_end_matches('/');
    sent.path() == reg.path() || sent.path().starts_with(&format!("{base}/"))
}

impl World {
    pub(super) fn team_name(&self, team_id: &str) -> String {
        if team_id == DEFAULT_TEAM.0 {
            return DEFAULT_TEAM.1.to_owned();
        }
        self.orgs
            .workspace_name(team_id)
            .or_else(|| self.orgs.enterprise_name(team_id))
            .map_or_else(|| format!("Workspace {team_id}"), str::to_owned)
    }

    /// The consent page's picker: the default workspace, every other workspace, every org.
    pub fn install_choices(&self) -> Vec<(String, String)> {
        let mut choices = vec![(DEFAULT_TEAM.0.to_owned(), DEFAULT_TEAM.1.to_owned())];
        choices.extend(self.orgs.choices());
        choices
    }

    /// Where an install is, as Slack's answers put it: `team`, `enterprise` and
    /// `is_enterprise_install` (an org-wide install names no team).
    pub(super) fn install_place(&self, install: usize) -> (Value, Value, bool) {
        let i = &self.installs[install];
        if i.org_wide {
            return (
                Value::Null,
                json!({"id": i.team_id, "name": i.team_name}),
                true,
            );
        }
        let enterprise = self
            .orgs
            .enterprise_of(&i.team_id)
            .map_or(Value::Null, |(id, name)| json!({"id": id, "name": name}));
        (
            json!({"id": i.team_id, "name": i.team_name}),
            enterprise,
            false,
        )
    }
}

impl World {
    pub fn check_authorize(&self, q: &Form) -> Result<AuthorizeRequest, AuthorizeRefusal> {
        let client_id = q
            .get("client_id")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| refuse("invalid_client_id", "client_id is missing"))?;
        let app = self.apps.get(client_id).ok_or_else(|| {
            refuse(
                "invalid_client_id",
                format!("no app has client id {client_id}"),
            )
        })?;
        let bot_scopes = parse_scopes(q.get("scope"))?;
        let user_scopes = parse_scopes(q.get("user_scope"))?;
        if bot_scopes.is_empty() && user_scopes.is_empty() {
            return Err(refuse(
                "invalid_scope",
                "no scope or user_scope was requested",
            ));
        }
        let sent = q.get("redirect_uri").filter(|s| !s.is_empty()).cloned();
        let target = match &sent {
            Some(uri) => {
                if !app
                    .redirect_urls
                    .iter()
                    .any(|reg| redirect_matches(reg, uri))
                {
                    return Err(refuse(
                        "bad_redirect_uri",
                        format!(
                            "redirect_uri did not match any configured URIs. Passed URI: {uri}"
                        ),
                    ));
                }
                uri.clone()
            }
            None => app
                .redirect_urls
                .first()
                .cloned()
                .ok_or_else(|| refuse("bad_redirect_uri", "the app has no redirect URL"))?,
        };
        let code_challenge = q.get("code_challenge").filter(|s| !s.is_empty()).cloned();
        if code_challenge.is_some() {
            if !app.pkce {
                return Err(refuse(
                    "pkce_not_allowed",
                    "PKCE is not turned on for this app",
                ));
            }
            if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
                return Err(refuse(
                    "invalid_arguments",
                    "code_challenge_method must be S256",
                ));
            }
        }
        // Under PKCE a localhost redirect is a "desktop" redirect, which may not ask for bot scopes.
        let desktop = app.pkce
            && Url::parse(&target).is_ok_and(|u| {
                u.host_str() == Some("localhost") || !matches!(u.scheme(), "http" | "https")
            });
        if desktop && !bot_scopes.is_empty() {
            return Err(refuse(
                "invalid_scope",
                "a desktop redirect (localhost with PKCE) may request only user scopes",
            ));
        }
        Ok(AuthorizeRequest {
            client_id: client_id.clone(),
            bot_scopes,
            user_scopes,
            redirect_uri_sent: sent,
            redirect_target: target,
            state: q.get("state").cloned(),
            team: q.get("team").filter(|s| !s.is_empty()).cloned(),
            code_challenge,
        })
    }

    /// The user pressed Allow or Cancel: where the browser is sent next.
    pub fn decide(&mut self, req: &AuthorizeRequest, allow: bool) -> String {
        let mut url = Url::parse(&req.redirect_target).expect("checked when the request was made");
        {
            let mut pairs = url.query_pairs_mut();
            if allow {
                let code = format!(
                    "{}.{}.{}",
                    self.now(),
                    random_alnum(10),
                    random_alnum(32).to_lowercase()
                );
                let team_id = req
                    .team
                    .clone()
                    .unwrap_or_else(|| DEFAULT_TEAM.0.to_owned());
                self.codes.insert(
                    code.clone(),
                    PendingCode {
                        client_id: req.client_id.clone(),
                        team_name: self.team_name(&team_id),
                        team_id,
                        user_id: DEFAULT_USER.to_owned(),
                        bot_scopes: req.bot_scopes.clone(),
                        user_scopes: req.user_scopes.clone(),
                        redirect_uri: req.redirect_uri_sent.clone(),
                        code_challenge: req.code_challenge.clone(),
                        issued_at: self.now(),
                        used: false,
                    },
                );
                pairs.append_pair("code", &code);
            } else {
                pairs.append_pair("error", "access_denied");
            }
            if let Some(state) = &req.state {
                pairs.append_pair("state", state);
            }
        }
        url.to_string()
    }

    fn client_app(
        &self,
        creds: &Creds,
        need_secret: bool,
    ) -> Result<&super::world::SimApp, &'static str> {
        let id = creds.client_id.as_deref().ok_or("invalid_client_id")?;
        let app = self.apps.get(id).ok_or("invalid_client_id")?;
        let secret_ok = match (&creds.client_secret, &app.client_secret) {
            (Some(sent), Some(real)) => sent == real,
            (None, _) => !need_secret,
            (Some(_), None) => false,
        };
        if secret_ok {
            Ok(app)
        } else {
            Err("bad_client_secret")
        }
    }

    /// `oauth.v2.access`: the code grant or, with `grant_type=refresh_token`, a refresh.
    pub fn oauth_access(&mut self, form: &Form, creds: &Creds) -> Result<Value, &'static str> {
        match form.get("grant_type").map(String::as_str) {
            None | Some("") | Some("authorization_code") => self.code_grant(form, creds),
            Some("refresh_token") => self.refresh_grant(form, creds),
            Some(_) => Err("invalid_grant_type"),
        }
    }

    fn code_grant(&mut self, form: &Form, creds: &Creds) -> Result<Value, &'static str> {
        let now = self.now();
        // The client is checked before the code, as Slack does.
        let client = creds.client_id.as_deref().ok_or("invalid_client_id")?;
        if !self.apps.contains_key(client) {
            return Err("invalid_client_id");
        }
        let code_str = form.get("code").ok_or("invalid_code")?;
        let code = self.codes.get(code_str).cloned().ok_or("invalid_code")?;
        if code.used
            || now > code.issued_at + CODE_LIFETIME
            || creds.client_id.as_deref() != Some(code.client_id.as_str())
        {
            return Err("invalid_code");
        }
        if form.get("redirect_uri") != code.redirect_uri.as_ref() && code.redirect_uri.is_some() {
            return Err("bad_redirect_uri");
        }
        // A PKCE code is redeemed with its verifier and no secret; any other with the secret.
        match &code.code_challenge {
            Some(challenge) => {
                self.client_app(creds, false)?;
                let verifier = form.get("code_verifier").ok_or("invalid_code_verifier")?;
                if crate::slack::pkce::challenge(verifier) != *challenge {
                    return Err("invalid_code_verifier");
                }
            }
            None => {
                if form.contains_key("code_verifier") {
                    return Err("pkce_not_allowed");
                }
                self.client_app(creds, true)?;
            }
        }
        self.codes.get_mut(code_str).expect("looked up above").used = true;
        Ok(self.issue_install(&code))
    }

    /// Create or extend the install a redeemed code stands for and answer as Slack does.
    pub(super) fn issue_install(&mut self, code: &PendingCode) -> Value {
        let app = self.apps[&code.client_id].clone();
        self.counters.code_grants += 1;
        let install = self.install_for(
            &code.client_id,
            (&code.team_id, &code.team_name),
            &code.user_id,
        );
        // An app installed again after an uninstall is installed anew.
        self.installs[install].uninstalled = false;
        // Scopes only grow: a reinstall adds to what the install had.
        self.installs[install]
            .bot_scopes
            .extend(code.bot_scopes.iter().cloned());
        self.installs[install]
            .user_scopes
            .extend(code.user_scopes.iter().cloned());

        let issue = |world: &mut World, kind: TokenKind| -> Value {
            let scope = world.installs[install]
                .scopes(kind)
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(",");
            let mut part = json!({"scope": scope, "token_type": kind.as_str()});
            if app.rotation {
                let (access, refresh, lifetime) = world.rotating_pair(install, kind);
                part["access_token"] = json!(access);
                part["refresh_token"] = json!(refresh);
                part["expires_in"] = json!(lifetime);
            } else {
                part["access_token"] = json!(world.long_lived_token(install, kind));
            }
            part
        };
        let i = &self.installs[install];
        let (team_id, user_id, bot_user_id) =
            (i.team_id.clone(), i.user_id.clone(), i.bot_user_id.clone());
        let (team, enterprise, org_wide) = self.install_place(install);
        let mut answer = json!({
            "ok": true, "app_id": app.app_id,
            "team": team, "enterprise": enterprise, "is_enterprise_install": org_wide,
        });
        if !code.bot_scopes.is_empty() {
            let bot = issue(self, TokenKind::Bot);
            for (k, v) in bot.as_object().expect("built as an object") {
                answer[k] = v.clone();
            }
            answer["bot_user_id"] = json!(bot_user_id);
            if code.bot_scopes.contains("incoming-webhook") {
                answer["incoming_webhook"] = self.new_webhook(install, &team_id);
            }
        }
        let mut authed_user = json!({"id": user_id});
        if !code.user_scopes.is_empty() {
            let user = issue(self, TokenKind::User);
            for (k, v) in user.as_object().expect("built as an object") {
                authed_user[k] = v.clone();
            }
        }
        answer["authed_user"] = authed_user;
        answer
    }

    fn refresh_grant(&mut self, form: &Form, creds: &Creds) -> Result<Value, &'static str> {
        let app = self.client_app(creds, false)?.clone();
        if !app.pkce && creds.client_secret.is_none() {
            return Err("bad_client_secret");
        }
        let token = form.get("refresh_token").ok_or("invalid_refresh_token")?;
        let now = self.now();
        let grace = self.config.refresh_grace_secs;
        let Some(record) = self.refresh.get(token).filter(|r| {
            r.spent_at.is_none_or(|at| now - at < grace)
                && self.installs[r.install].client_id == app.client_id
                && !(app.pkce && now - r.issued_at >= PKCE_REFRESH_LIFETIME)
        }) else {
            self.counters.invalid_refresh_token += 1;
            return Err("invalid_refresh_token");
        };
        let (install, kind) = (record.install, record.kind);
        if self.installs[install].inactive {
            return Err(if kind == TokenKind::Bot {
                "account_inactive"
            } else {
                "token_revoked"
            });
        }
        // Single use: the old refresh token dies now, or when its grace period ends.
        let record = self.refresh.get_mut(token).expect("looked up above");
        if record.spent_at.is_some() {
            self.counters.refreshes_in_grace += 1;
        }
        record.spent_at.get_or_insert(now);
        let (access, refresh, lifetime) = self.rotating_pair(install, kind);
        let slot = self.installs[install].slot(kind);
        slot.refreshes += 1;
        // After the first refresh of an exchanged pair, the long-lived token expires.
        if let Some(original) = slot.exchanged_from.take()
            && let Some(t) = self.access.get_mut(&original)
        {
            t.revoked = true;
        }
        self.counters.refresh_grants += 1;
        *self
            .counters
            .refreshes
            .entry(self.slot_key(install, kind))
            .or_default() += 1;
        Ok(self.flat_answer(install, kind, &app.app_id, access, refresh, lifetime))
    }

    /// The flat shape of refresh and exchange answers; `token_type` says bot or user.
    fn flat_answer(
        &self,
        install: usize,
        kind: TokenKind,
        app_id: &str,
        access: String,
        refresh: String,
        lifetime: i64,
    ) -> Value {
        let i = &self.installs[install];
        let (team, enterprise, org_wide) = self.install_place(install);
        let mut answer = json!({
            "ok": true, "app_id": app_id, "token_type": kind.as_str(),
            "scope": i.scopes(kind).iter().cloned().collect::<Vec<_>>().join(","),
            "access_token": access, "refresh_token": refresh, "expires_in": lifetime,
            "team": team, "enterprise": enterprise, "is_enterprise_install": org_wide,
        });
        if kind == TokenKind::Bot {
            answer["bot_user_id"] = json!(i.bot_user_id);
        }
        answer
    }

    /// `oauth.v2.exchange`: a long-lived granular token becomes a rotating pair, once.
    pub fn exchange(&mut self, form: &Form, creds: &Creds) -> Result<Value, &'static str> {
        let app = self.client_app(creds, true)?.clone();
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or("invalid_token")?;
        let record = self.access.get(token).ok_or("invalid_token")?;
        if self.installs[record.install].client_id != app.client_id {
            return Err("authorization_not_found");
        }
        if record.expires_at.is_some() {
            return Err("invalid_token");
        }
        if record.revoked {
            return Err("token_revoked");
        }
        if record.exchanged {
            return Err("token_already_exchanged");
        }
        if !app.rotation {
            return Err("token_rotation_not_enabled");
        }
        let (install, kind) = (record.install, record.kind);
        self.access
            .get_mut(token)
            .expect("looked up above")
            .exchanged = true;
        let (access, refresh, lifetime) = self.rotating_pair(install, kind);
        self.installs[install].slot(kind).exchanged_from = Some(token.clone());
        self.counters.exchanges += 1;
        Ok(self.flat_answer(install, kind, &app.app_id, access, refresh, lifetime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_matching_follows_slacks_examples() {
        let reg = "https://example.com/path";
        assert!(redirect_matches(reg, "https://example.com/path"));
        assert!(redirect_matches(
            reg,
            "https://example.com/path/subdir/other"
        ));
        assert!(!redirect_matches(reg, "http://example.com/path"));
        assert!(!redirect_matches(reg, "https://example.com:8080/path"));
        assert!(!redirect_matches(reg, "https://other.example.com/path"));
        assert!(!redirect_matches(reg, "https://example.com/pathology"));
        assert!(!redirect_matches(
            "http://localhost:3118/callback",
            "http://127.0.0.1:3118/callback"
        ));
        assert!(!redirect_matches(
            "http://localhost:3118/callback",
            "http://localhost:3118/oauth/callback"
        ));
    }
}
