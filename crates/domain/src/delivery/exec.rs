//! A command hook: `sh -c COMMAND`, the event on its standard input, nothing of xox's in its
//! environment, and its whole process group killed when it runs past the cut-off.

use crate::store::hooks::TryResult;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

pub(super) async fn run(command: &str, body: &[u8], cut_off: Duration) -> TryResult {
    let mut std_command = crate::child::command("sh");
    std_command
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group, so that the cut-off reaches whatever it started.
        .process_group(0);
    let mut child = match tokio::process::Command::from(std_command)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return failed(format!("could not start sh: {}", e.kind())),
    };
    let pid = child.id();
    let mut stdin = child.stdin.take();
    let finished = tokio::time::timeout(cut_off, async {
        if let Some(stdin) = stdin.as_mut() {
            // A command that does not read its input is its own business.
            let _ = stdin.write_all(body).await;
        }
        drop(stdin.take());
        child.wait().await
    })
    .await;
    match finished {
        Ok(Ok(status)) if status.success() => TryResult {
            delivered: true,
            detail: "exit 0".into(),
        },
        Ok(Ok(status)) => failed(match status.code() {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".into(),
        }),
        Ok(Err(e)) => failed(format!("could not wait for it: {}", e.kind())),
        Err(_) => {
            if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                // SAFETY: kill(2) with a negative pid signals the process group the child
                // leads (made above); it touches no memory of ours.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
            let _ = child.wait().await;
            failed(format!("cut off after {}s", cut_off.as_secs()))
        }
    }
}

fn failed(detail: String) -> TryResult {
    TryResult {
        delivered: false,
        detail,
    }
}
