//! A faithful, stateful Slack double on 127.0.0.1 for tests and `xox demo`.

mod arguments;
mod channel_methods;
mod channels;
mod consent;
mod control;
mod control_events;
mod events;
pub mod faults;
mod files;
mod grid;
mod legacy;
mod limits;
pub mod oauth;
pub mod presets;
mod seed;
mod server;
mod shared;
mod tooling;
pub mod web_api;
mod webhooks;
pub mod world;

pub use faults::{Fault, FaultKind};
pub use world::{Counters, SimApp, SimConfig, World};

use shared::Shared;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    base_url: String,
    shared: Shared,
    stop: Option<oneshot::Sender<()>>,
}

impl Simulator {
    /// Serve on 127.0.0.1:`port` (0 picks a free port) from the current tokio runtime.
    pub async fn start(port: u16) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::default();
        shared.lock().world.address = format!("http://{addr}");
        let (stop, stopped) = oneshot::channel::<()>();
        let app = server::router(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Simulator {
            base_url: format!("http://{addr}"),
            shared,
            stop: Some(stop),
        })
    }

    /// `http://127.0.0.1:PORT`, what `--slack-url` takes.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Direct access to the world, for seeding without HTTP.
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.shared.lock().world)
    }

    pub fn add_fault(&self, fault: Fault) {
        self.shared.lock().faults.add(fault);
    }

    /// Register the preset apps (see [`presets`]).
    pub fn add_preset_apps(&self) {
        self.with_world(|w| {
            for (app, _) in presets::preset_apps() {
                w.register_app(app);
            }
        });
    }

    pub fn counters(&self) -> Counters {
        self.shared.lock().world.counters.clone()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
