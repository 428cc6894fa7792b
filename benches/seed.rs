//! Shared by the benchmarks: a database with many connections, seeded from simulator installs.

use std::path::Path;
use xox_domain::sim::World;
use xox_domain::sim::presets::{PRESET_SECRET, ROTATING_CLIENT_ID};
use xox_domain::slack::{Scopes, Secret, parse_grant};
use xox_domain::store::{AppStore, ConnectionStore, HeldElsewhere, NewApp, SqliteStore};

/// `count` connections `conn-00000`…, each its own workspace, from `world`'s rotating app.
pub fn seed_connections(world: &mut World, db: &Path, count: usize) -> SqliteStore {
    let mut store = SqliteStore::open_with_key(db, None).unwrap();
    let app = store
        .add_app(NewApp {
            name: "bench".into(),
            client_id: ROTATING_CLIENT_ID.into(),
            client_secret: Some(Secret::new(PRESET_SECRET)),
            pkce: false,
            rotation: true,
            redirect_uri: "http://localhost:8976/callback".into(),
            bot_scopes: Scopes::default(),
            user_scopes: Scopes::default(),
            signing_secret: None,
            forward_to: None,
        })
        .unwrap();
    for i in 0..count {
        let team = format!("T{i:05}");
        let answer = world
            .seed_install(
                ROTATING_CLIENT_ID,
                Some((&team, &team)),
                "chat:write,users:read",
                "",
            )
            .unwrap();
        store
            .save_grant(
                &app,
                &format!("conn-{i:05}"),
                &parse_grant(&answer).unwrap(),
                xox_domain::store::EventAction::Import,
                HeldElsewhere::Refuse,
            )
            .unwrap();
    }
    store
}
