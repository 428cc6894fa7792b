//! The rings hold: the front ends depend on the engine alone and name nothing of the domain,
//! every request with a live token goes through the engine's one path, and event outcomes
//! are written as text in one place only.

use std::fs;
use std::path::{Path, PathBuf};

const DOMAIN_MODULES: [&str; 6] = ["store", "slack", "rotation", "login", "calls", "sim"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's code without its unit tests (which may use the domain's fixtures).
fn code_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    if name == "tests.rs" || path.components().any(|c| c.as_os_str() == "tests") {
        return None;
    }
    let text = fs::read_to_string(path).unwrap();
    Some(match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_owned(),
        None => text,
    })
}

/// The `[dependencies]` table of a manifest, as text.
fn dependencies(manifest: &str) -> String {
    let start = manifest
        .find("\n[dependencies]\n")
        .expect("a [dependencies] table");
    let rest = &manifest[start + 1..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
    rest[..end].to_owned()
}

#[test]
fn the_front_ends_depend_on_the_engine_alone() {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let deps = dependencies(&manifest);
    assert!(deps.contains("xox-engine"), "{deps}");
    assert!(
        !deps.contains("xox-domain"),
        "front ends must not depend on the domain: {deps}"
    );
    let engine = fs::read_to_string(root().join("crates/engine/Cargo.toml")).unwrap();
    assert!(dependencies(&engine).contains("xox-domain"));
    let domain = fs::read_to_string(root().join("crates/domain/Cargo.toml")).unwrap();
    assert!(
        !domain.contains("xox-engine"),
        "the domain must not know the engine"
    );
}

#[test]
fn no_front_end_file_names_a_domain_module() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    assert!(files.len() > 40, "found only {} files", files.len());
    let mut offenders = Vec::new();
    for file in &files {
        let Some(code) = code_of(file) else { continue };
        for module in DOMAIN_MODULES {
            for path in [
                format!("crate::{module}::"),
                format!("xox_domain::{module}"),
            ] {
                if code.contains(&path) {
                    offenders.push(format!("{} names {path}", file.display()));
                }
            }
        }
        if code.contains("xox_domain") {
            offenders.push(format!("{} names xox_domain", file.display()));
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn every_request_with_a_live_token_goes_through_the_one_path() {
    let mut files = Vec::new();
    rust_files(&root().join("crates/engine/src"), &mut files);
    rust_files(&root().join("src"), &mut files);
    // The domain's ways to send a request with a token: used only by the engine files that
    // hand them to `send_live`.
    let senders = [".pass_through(", "client.call(", ".call_json("];
    let mut users = Vec::new();
    for file in &files {
        let Some(code) = code_of(file) else { continue };
        if senders.iter().any(|s| code.contains(s)) {
            assert!(
                code.contains("send_live("),
                "{} sends a request with a token outside the live path",
                file.display()
            );
            users.push(file.file_name().unwrap().to_str().unwrap().to_owned());
        }
    }
    users.sort();
    assert_eq!(users, ["calling.rs", "proxying.rs"]);
}

#[test]
fn event_outcomes_are_written_as_text_in_one_place() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("src"), &mut files);
    // The outcome words no Slack code or command shares: none may stand as a literal
    // outside the vocabulary (the types keep the rest out: an event's action and outcome
    // are enums).
    let words = ["\"superseded\"", "\"taken_over\"", "\"lost\"", "\"retry\""];
    let mut offenders = Vec::new();
    for file in &files {
        if file.ends_with("store/vocabulary.rs")
            || file.starts_with(root().join("crates/domain/src/sim"))
        {
            continue;
        }
        let Some(code) = code_of(file) else { continue };
        for word in words {
            if code.contains(word) {
                offenders.push(format!("{} writes {word}", file.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}
