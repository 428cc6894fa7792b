//! Workspaces and Enterprise Grid orgs the simulator knows beyond its default workspace:
//! which org a workspace belongs to, and what an org-wide install covers.

use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Orgs {
    /// Workspace id → (name, the enterprise it belongs to).
    workspaces: BTreeMap<String, (String, Option<String>)>,
    /// Enterprise id → name.
    enterprises: BTreeMap<String, String>,
}

impl Orgs {
    pub fn add_workspace(&mut self, id: &str, name: &str, enterprise: Option<&str>) {
        self.workspaces.insert(
            id.to_owned(),
            (name.to_owned(), enterprise.map(str::to_owned)),
        );
    }

    pub fn add_enterprise(&mut self, id: &str, name: &str) {
        self.enterprises.insert(id.to_owned(), name.to_owned());
    }

    pub fn workspace_name(&self, id: &str) -> Option<&str> {
        self.workspaces.get(id).map(|(name, _)| name.as_str())
    }

    pub fn enterprise_name(&self, id: &str) -> Option<&str> {
        self.enterprises.get(id).map(String::as_str)
    }

    /// The enterprise a workspace belongs to, as Slack names it in answers.
    pub fn enterprise_of(&self, team: &str) -> Option<(String, String)> {
        let id = self.workspaces.get(team)?.1.clone()?;
        let name = self.enterprises.get(&id).cloned().unwrap_or_default();
        Some((id, name))
    }

    /// The workspaces of an enterprise, by id.
    pub fn teams_of(&self, enterprise: &str) -> Vec<(String, String)> {
        self.workspaces
            .iter()
            .filter(|(_, (_, e))| e.as_deref() == Some(enterprise))
            .map(|(id, (name, _))| (id.clone(), name.clone()))
            .collect()
    }

    /// Where an install may go, as the consent page's picker offers: every workspace, then
    /// every org (an org-wide install).
    pub fn choices(&self) -> Vec<(String, String)> {
        let workspaces = self
            .workspaces
            .iter()
            .map(|(id, (name, _))| (id.clone(), name.clone()));
        let orgs = self
            .enterprises
            .iter()
            .map(|(id, name)| (id.clone(), format!("{name} (the whole org)")));
        workspaces.chain(orgs).collect()
    }
}

/// `auth.teams.list`: one page of `teams`, from `cursor` (an index), `limit` long.
pub fn teams_page(teams: &[(String, String)], cursor: Option<&str>, limit: Option<&str>) -> Value {
    let start = cursor.and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let limit = limit
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(100);
    let page: Vec<Value> = teams
        .iter()
        .skip(start)
        .take(limit)
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    let next = if start + limit < teams.len() {
        (start + limit).to_string()
    } else {
        String::new()
    };
    json!({"ok": true, "teams": page, "response_metadata": {"next_cursor": next}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_are_listed_page_by_page() {
        let teams: Vec<(String, String)> =
            (0..5).map(|i| (format!("T{i}"), format!("W{i}"))).collect();
        let first = teams_page(&teams, None, Some("2"));
        assert_eq!(first["teams"].as_array().unwrap().len(), 2);
        assert_eq!(first["response_metadata"]["next_cursor"], "2");
        let last = teams_page(&teams, Some("4"), Some("2"));
        assert_eq!(last["teams"][0]["id"], "T4");
        assert_eq!(last["response_metadata"]["next_cursor"], "");
    }
}
