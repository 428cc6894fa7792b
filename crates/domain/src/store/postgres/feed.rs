//! Commits anywhere, pushed: a session of its own `LISTEN`s on the store's channel and
//! ticks a watch for every notification. When the server goes away (a restart) it connects
//! again and ticks once, since what happened in between is unknown.

use super::server::Server;
use postgres::fallible_iterator::FallibleIterator;
use std::time::Duration;
use tokio::sync::watch;

pub(super) fn listen(server: Server, channel: String) -> watch::Receiver<u64> {
    let (ticks, feed) = watch::channel(0u64);
    let tick = move |ticks: &watch::Sender<u64>| ticks.send_modify(|n| *n = n.wrapping_add(1));
    let _ = std::thread::Builder::new()
        .name("xox-listen".into())
        .spawn(move || {
            while !ticks.is_closed() {
                if let Ok(mut client) = server.connect()
                    && client.batch_execute(&format!("LISTEN {channel}")).is_ok()
                {
                    tick(&ticks);
                    let mut notifications = client.notifications();
                    let mut arriving = notifications.blocking_iter();
                    while let Ok(Some(_)) = arriving.next() {
                        if ticks.is_closed() {
                            return;
                        }
                        tick(&ticks);
                    }
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
    feed
}
