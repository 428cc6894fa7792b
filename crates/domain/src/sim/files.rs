//! File uploads the way the SDKs' `files_upload_v2` does them: `files.getUploadURLExternal`
//! hands out an upload URL, the bytes are POSTed there (no token: the URL is the
//! credential), and `files.completeUploadExternal` shares what arrived.

use super::oauth::Form;
use super::world::{SharedFile, Upload, World, random_alnum};
use serde_json::{Value, json};

/// Where an upload URL points, below the simulator's own address.
pub const UPLOAD_PATH: &str = "/_upload/";
/// Where shared files' private URLs point.
pub const FILES_PATH: &str = "/files-pri/";

impl World {
    /// The file methods, answered as Slack does; `None` for other methods.
    pub(super) fn file_method(
        &mut self,
        method: &str,
        install: usize,
        params: &Form,
    ) -> Option<Value> {
        let arg = |name: &str| params.get(name).cloned().unwrap_or_default();
        Some(match method {
            "files.getUploadURLExternal" => {
                let Ok(length) = arg("length").parse::<usize>() else {
                    return Some(json!({"ok": false, "error": "invalid_arguments"}));
                };
                let id = format!("F0{}", random_alnum(9).to_uppercase());
                self.uploads.insert(
                    id.clone(),
                    Upload {
                        install,
                        filename: arg("filename"),
                        length,
                        received: None,
                    },
                );
                // Made absolute by the server, which knows the address it answers on.
                json!({"ok": true, "upload_url": format!("{UPLOAD_PATH}{id}"), "file_id": id})
            }
            "files.completeUploadExternal" => {
                let Ok(Value::Array(files)) = serde_json::from_str::<Value>(&arg("files")) else {
                    return Some(json!({"ok": false, "error": "invalid_arguments"}));
                };
                let mut done = Vec::new();
                for file in &files {
                    let id = file["id"].as_str().unwrap_or_default();
                    match self.uploads.get(id) {
                        // A multipart body carries the bytes and its own framing: at least the length.
                        Some(u)
                            if u.install == install
                                && u.received.as_ref().is_some_and(|r| r.len() >= u.length) =>
                        {
                            let shared = SharedFile {
                                team_id: self.installs[install].team_id.clone(),
                                name: u.filename.clone(),
                                title: file["title"].as_str().unwrap_or(&u.filename).to_owned(),
                                bytes: u.received.clone().unwrap_or_default(),
                            };
                            done.push(self.file_json(id, &shared));
                            self.files.insert(id.to_owned(), shared);
                        }
                        _ => return Some(json!({"ok": false, "error": "file_not_found"})),
                    }
                }
                json!({"ok": true, "files": done})
            }
            "files.info" => match self.files.get(&arg("file")) {
                // Another workspace's file is not found, as on Slack.
                Some(file) if file.team_id == self.installs[install].team_id => {
                    json!({"ok": true, "file": self.file_json(&arg("file"), file)})
                }
                _ => json!({"ok": false, "error": "file_not_found"}),
            },
            _ => return None,
        })
    }

    /// Share a file in workspace `team` without an upload (for seeding): how Slack
    /// describes it, private URLs included.
    pub fn seed_file(&mut self, team: &str, name: &str, bytes: &[u8]) -> Value {
        let id = format!("F0{}", random_alnum(9).to_uppercase());
        let file = SharedFile {
            team_id: team.to_owned(),
            name: name.to_owned(),
            title: name.to_owned(),
            bytes: bytes.to_vec(),
        };
        let described = self.file_json(&id, &file);
        self.files.insert(id, file);
        described
    }

    /// A shared file as Slack describes it, with the private URLs that need a token.
    fn file_json(&self, id: &str, file: &SharedFile) -> Value {
        let private = format!(
            "{}{FILES_PATH}{}-{id}/{}",
            self.address, file.team_id, file.name
        );
        let download = format!(
            "{}{FILES_PATH}{}-{id}/download/{}",
            self.address, file.team_id, file.name
        );
        json!({"id": id, "name": file.name, "title": file.title, "size": file.bytes.len(),
               "url_private": private, "url_private_download": download})
    }

    /// A GET of a file's private URL (`TEAM-ID/NAME`, or `TEAM-ID/download/NAME`) with
    /// `token`: the file's bytes for a token of its workspace.
    pub fn private_file(&self, path: &str, token: Option<&str>) -> Result<&[u8], u16> {
        let (install, _) = self.authenticate(token).map_err(|_| 403u16)?;
        let (team_file, _) = path.split_once('/').ok_or(404u16)?;
        let (team, id) = team_file.split_once('-').ok_or(404u16)?;
        let file = self
            .files
            .get(id)
            .filter(|f| f.team_id == team)
            .ok_or(404u16)?;
        if self.installs[install].team_id != team {
            return Err(403);
        }
        Ok(&file.bytes)
    }

    /// Bytes arriving at an upload URL. `Err` when no upload has that id.
    pub(super) fn receive_upload(
        &mut self,
        id: &str,
        bytes: Vec<u8>,
        with_authorization: bool,
    ) -> Result<(), ()> {
        let upload = self.uploads.get_mut(id).ok_or(())?;
        upload.received = Some(bytes);
        self.counters.uploads += 1;
        self.counters.uploads_with_authorization += u64::from(with_authorization);
        Ok(())
    }
}
