//! A TCP relay in front of the test's PostgreSQL server that fails the network at chosen
//! moments: it can hold a statement until told to pass it, and lose the answer to another
//! (the server still runs it) while refusing the next connection, as a server that
//! restarts just after a commit does.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Default)]
struct Holding {
    /// The first statement holding this text waits for `pass`.
    text: Option<&'static str>,
    /// A statement is waiting.
    held: bool,
}

#[derive(Default)]
struct Plan {
    hold: Mutex<Holding>,
    changed: Condvar,
    /// The first statement holding this text is run, and its answer lost.
    lose_answer_to: Mutex<Option<&'static str>>,
    answers_lost: AtomicUsize,
    /// Connections to close at once, unanswered.
    refuse: AtomicUsize,
}

pub struct Relay {
    port: u16,
    plan: Arc<Plan>,
}

impl Relay {
    /// A relay to the server on loopback at `server_port`.
    pub fn start(server_port: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let plan = Arc::new(Plan::default());
        let shared = plan.clone();
        thread::spawn(move || {
            for app in listener.incoming().flatten() {
                let refused = shared
                    .refuse
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refused {
                    continue;
                }
                if let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) {
                    relay(app, server, shared.clone());
                }
            }
        });
        Relay { port, plan }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Hold the first statement containing `text` until `pass`.
    pub fn hold(&self, text: &'static str) {
        self.plan.hold.lock().unwrap().text = Some(text);
    }

    /// Wait until a statement is held.
    pub fn wait_held(&self) {
        let mut hold = self.plan.hold.lock().unwrap();
        while !hold.held {
            hold = self.plan.changed.wait(hold).unwrap();
        }
    }

    /// Let the held statement go on.
    pub fn pass(&self) {
        self.plan.hold.lock().unwrap().text = None;
        self.plan.changed.notify_all();
    }

    /// Lose the answer to the first statement containing `text`, and refuse the connection
    /// after it.
    pub fn lose_answer_to(&self, text: &'static str) {
        *self.plan.lose_answer_to.lock().unwrap() = Some(text);
    }

    pub fn answers_lost(&self) -> usize {
        self.plan.answers_lost.load(Ordering::SeqCst)
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn relay(app: TcpStream, server: TcpStream, plan: Arc<Plan>) {
    let swallow = Arc::new(AtomicBool::new(false));
    let (mut app_in, mut server_out) = (app.try_clone().unwrap(), server.try_clone().unwrap());
    let (mut server_in, mut app_out) = (server, app);
    let quiet = swallow.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = server_in.read(&mut buf) {
            if quiet.load(Ordering::SeqCst) || app_out.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = app_in.read(&mut buf) {
            let chunk = &buf[..n];
            let mut hold = plan.hold.lock().unwrap();
            if hold.text.is_some_and(|t| contains(chunk, t)) {
                hold.held = true;
                plan.changed.notify_all();
                while hold.text.is_some() {
                    hold = plan.changed.wait(hold).unwrap();
                }
            }
            drop(hold);
            let lose = plan
                .lose_answer_to
                .lock()
                .unwrap()
                .take_if(|t| contains(chunk, t))
                .is_some();
            if lose {
                swallow.store(true, Ordering::SeqCst);
            }
            if server_out.write_all(chunk).is_err() {
                break;
            }
            if lose {
                // Time for the server to run and commit it; then the network goes.
                thread::sleep(Duration::from_millis(300));
                plan.refuse.store(1, Ordering::SeqCst);
                plan.answers_lost.fetch_add(1, Ordering::SeqCst);
                let _ = server_out.shutdown(Shutdown::Both);
                let _ = app_in.shutdown(Shutdown::Both);
                break;
            }
        }
    });
}
