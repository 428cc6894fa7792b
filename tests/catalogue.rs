//! The embedded method catalogue against the reference table in ../shared/reference, when
//! that folder is present (it is in CI); skipped, with a note, when it is not.

use std::collections::BTreeSet;
use xox_domain::slack::catalogue::{Needs, Tier, catalogue};

fn reference() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/slack-methods.tsv");
    std::fs::read_to_string(path).ok()
}

/// A reference cell as our model: "" → no part, "none" → nothing needed, else the scopes.
fn needs(cell: &str) -> Option<String> {
    (!cell.is_empty()).then(|| cell.to_owned())
}

fn ours(n: &Option<Needs>) -> Option<String> {
    n.as_ref().map(|n| match n {
        Needs::Nothing => "none".to_owned(),
        Needs::AnyOf(s) => s.to_csv(),
    })
}

fn sorted_csv(cell: Option<String>) -> Option<String> {
    cell.map(|c| {
        if c == "none" {
            c
        } else {
            xox_domain::slack::Scopes::parse(&c).to_csv()
        }
    })
}

#[test]
fn the_catalogue_matches_the_reference_table() {
    let Some(table) = reference() else {
        eprintln!("skipped: ../shared/reference/slack-methods.tsv is not here");
        return;
    };
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        header,
        [
            "method",
            "http_verb",
            "bot_scopes",
            "user_scopes",
            "app_level_scopes",
            "token_kinds",
            "rate_tier",
            "deprecated"
        ]
    );
    let mut seen = BTreeSet::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let name = f[0];
        seen.insert(name.to_owned());
        let spec = catalogue()
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing from the catalogue"));
        assert_eq!(spec.verb, f[1], "{name} verb");
        assert_eq!(
            ours(&spec.bot),
            sorted_csv(needs(f[2])),
            "{name} bot scopes"
        );
        assert_eq!(
            ours(&spec.user),
            sorted_csv(needs(f[3])),
            "{name} user scopes"
        );
        assert_eq!(
            ours(&spec.app),
            sorted_csv(needs(f[4])),
            "{name} app-level scopes"
        );
        let kinds: BTreeSet<&str> = f[5].split(',').filter(|k| !k.is_empty()).collect();
        let mine: BTreeSet<&str> = [
            (spec.takes_bot, "bot"),
            (spec.takes_user, "user"),
            (spec.takes_app, "app"),
        ]
        .into_iter()
        .filter_map(|(t, k)| t.then_some(k))
        .collect();
        assert_eq!(mine, kinds, "{name} token kinds");
        let tier = match f[6] {
            "Special" => Tier::Special,
            t => Tier::Tier(t.trim_start_matches("Tier ").parse().unwrap()),
        };
        assert_eq!(spec.tier, tier, "{name} tier");
        assert_eq!(spec.deprecated, f[7] == "yes", "{name} deprecated");
    }
    let catalogued: BTreeSet<String> = catalogue()
        .methods()
        .iter()
        .map(|m| m.name.clone())
        .collect();
    assert_eq!(
        catalogued, seen,
        "the catalogue has exactly the reference's methods"
    );
}
