//! File uploads the way the SDKs' `files_upload_v2` does them: `files.getUploadURLExternal`
//! hands out an upload URL, the bytes are POSTed there (no token: the URL is the
//! credential), and `files.completeUploadExternal` shares what arrived.

use super::oauth::Form;
use super::world::{Upload, World, random_alnum};
use serde_json::{Value, json};

/// Where an upload URL points, below the simulator's own address.
pub const UPLOAD_PATH: &str = "/_upload/";

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
                                && u.received.is_some_and(|r| r >= u.length) =>
                        {
                            let title = file["title"].as_str().unwrap_or(&u.filename);
                            done.push(json!({"id": id, "name": u.filename, "title": title, "size": u.length}));
                        }
                        _ => return Some(json!({"ok": false, "error": "file_not_found"})),
                    }
                }
                json!({"ok": true, "files": done})
            }
            _ => return None,
        })
    }

    /// Bytes arriving at an upload URL. `Err` when no upload has that id.
    pub(super) fn receive_upload(
        &mut self,
        id: &str,
        bytes: usize,
        with_authorization: bool,
    ) -> Result<(), ()> {
        let upload = self.uploads.get_mut(id).ok_or(())?;
        upload.received = Some(bytes);
        self.counters.uploads += 1;
        self.counters.uploads_with_authorization += u64::from(with_authorization);
        Ok(())
    }
}
