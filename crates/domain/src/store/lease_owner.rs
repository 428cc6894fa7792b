//! Who holds a refresh lease: an owner id naming the machine and process that took it, so a
//! waiter on the same machine can tell when the holder has certainly exited.

use std::path::Path;
use std::sync::OnceLock;

/// This boot of this kernel, seen from this pid namespace: two processes share it exactly
/// when one's pid means the same process to the other. Where it cannot be read, a random
/// value, so no other process ever matches and leases only lapse by time.
fn machine() -> &'static str {
    static MACHINE: OnceLock<String> = OnceLock::new();
    MACHINE.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id");
        let namespace = std::fs::read_link("/proc/self/ns/pid");
        match (boot, namespace) {
            (Ok(boot), Ok(ns)) => format!("{}/{}", boot.trim(), ns.display()),
            _ => super::new_id('m'),
        }
    })
}

/// A fresh owner id for a lease taker in this process: `MACHINE:PID:RANDOM`.
pub fn this_process() -> String {
    format!(
        "{}:{}:{}",
        machine(),
        std::process::id(),
        super::new_id('l')
    )
}

/// Whether the process that took a lease as `owner` has certainly exited: it ran on this
/// machine in this pid namespace and its pid is no longer there. A reused pid or a zombie
/// looks alive, and an owner from elsewhere is never judged, so the answer errs towards
/// waiting for the lease to lapse; a dead holder cannot write anything after this.
pub fn is_gone(owner: &str) -> bool {
    let Some((owner_machine, pid)) = parse(owner) else {
        return false;
    };
    owner_machine == machine()
        && pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// The process id an owner id names.
pub fn pid(owner: &str) -> Option<u32> {
    parse(owner).map(|(_, pid)| pid)
}

/// `MACHINE:PID:RANDOM` into machine and pid; the machine part may hold colons itself.
fn parse(owner: &str) -> Option<(&str, u32)> {
    let mut parts = owner.rsplitn(3, ':');
    let (_random, pid, machine) = (parts.next()?, parts.next()?, parts.next()?);
    Some((machine, pid.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_process_is_not_gone_and_an_exited_one_is() {
        assert!(!is_gone(&this_process()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let owner = format!("{}:{pid}:lx", machine());
        assert!(!is_gone(&owner), "running or a zombie: not gone");
        child.wait().unwrap();
        assert!(is_gone(&owner));
    }

    #[test]
    fn owners_from_elsewhere_or_malformed_are_never_judged_gone() {
        assert!(!is_gone("other-machine/pid:[1]:999999999:lx"));
        assert!(!is_gone("12345-l0011223344"));
        assert!(!is_gone(&format!("{}:notapid:lx", machine())));
        assert!(!is_gone(""));
    }
}
