//! A distributed app served through `xox proxy --public-listen`, on the built binary and
//! the simulator: installs from the app's own page (workspaces, an org-wide install, a
//! re-install, a refusal of each kind), one app key routed per install, and Slack's
//! uninstall and revocation keeping the store true. Runs on PostgreSQL too.

mod common;

use common::distributed::{
    Distributed, ORG, ORG_WORKSPACES, WORKSPACES, cookie_of, location, no_redirects,
};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installs_from_the_public_page() {
    let d = Distributed::start(None).await;
    for team in WORKSPACES {
        let (status, page) = d.install(team).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("dist is installed"), "{page}");
    }
    let (status, page) = d.install(ORG).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Grid Org"), "{page}");

    let one = d.show("dist-t0one");
    assert_eq!(one["team_id"], "T0ONE");
    assert_eq!(one["enterprise_install"], false);
    let org = d.show("dist-e0grid");
    assert_eq!(org["enterprise_id"], ORG);
    assert_eq!(org["team_id"], Value::Null);
    assert_eq!(org["enterprise_install"], true);
    assert_eq!(org["covered_teams"], json!(ORG_WORKSPACES), "{org:#}");
    let list = d.env.ok(&["list"], "");
    assert!(list.contains("Grid Org (E0GRID, org-wide)"), "{list}");

    // A re-install of a workspace updates its connection: its tokens are new, its chain
    // one, and no second connection appears.
    let before = d.show("dist-t0two");
    let (status, _) = d.install("T0TWO").await;
    assert_eq!(status, 200);
    let after = d.show("dist-t0two");
    assert_eq!(before["id"], after["id"]);
    assert_ne!(
        before["tokens"][0]["redacted"],
        after["tokens"][0]["redacted"]
    );
    let all: Value = serde_json::from_str(&d.env.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 4, "{all:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_installs_store_nothing() {
    let d = Distributed::start(None).await;
    let connections = || -> usize {
        let all: Value = serde_json::from_str(&d.env.ok(&["list", "--json"], "")).unwrap();
        all.as_array().unwrap().len()
    };
    let browser = no_redirects();
    let begin = || async {
        let start = browser
            .get(format!("{}/install?direct=1", d.public))
            .send()
            .await
            .unwrap();
        (cookie_of(&start), location(&start))
    };
    let state_of = |authorize: &str| {
        url::Url::parse(authorize)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned()
    };

    // Cancel on Slack's page: Slack sends access_denied back.
    let (cookie, authorize) = begin().await;
    let denied = format!(
        "{}/oauth_redirect?error=access_denied&state={}",
        d.public,
        state_of(&authorize)
    );
    let (status, page) = d.redirect(&denied, Some(&cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("cancelled"), "{page}");

    // A forged state, and a real one brought back by another browser (no cookie).
    let (status, page) = d
        .redirect(
            &format!("{}/oauth_redirect?code=x&state=forged", d.public),
            Some(&cookie),
        )
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("bad_state"), "{page}");
    let (_, authorize) = begin().await;
    d.sim.with_world(|w| w.config.auto_consent = true);
    let consented = browser
        .get(format!("{authorize}&team=T0ONE"))
        .send()
        .await
        .unwrap();
    let back = location(&consented);
    let (status, page) = d.redirect(&back, None).await;
    assert_eq!(status, 400);
    assert!(page.contains("other_browser"), "{page}");

    // A code replayed after its install finished: the state is spent.
    let (cookie, authorize) = begin().await;
    let consented = browser
        .get(format!("{authorize}&team=T0ONE"))
        .send()
        .await
        .unwrap();
    let back = location(&consented);
    assert_eq!(d.redirect(&back, Some(&cookie)).await.0, 200);
    let (status, page) = d.redirect(&back, Some(&cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("bad_state"), "{page}");
    assert_eq!(connections(), 1, "only the finished install was stored");

    // The public face never serves the API, whatever the path.
    let api = format!(
        "{}api/auth.test",
        d.proxy.public.clone().unwrap().trim_end_matches("slack/")
    );
    assert_eq!(browser.get(api).send().await.unwrap().status(), 404);
    let unknown = format!("{}/install", d.public.replace("/dist", "/nope"));
    assert_eq!(browser.get(unknown).send().await.unwrap().status(), 404);
}
