//! The binding table's lookups: keys to actions per screen, and the quit key.

use super::*;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn keys_mean_different_things_per_screen() {
    assert_eq!(action(Dashboard, &key(Char('j'))), Some(Action::Down));
    assert_eq!(action(Failed, &key(Down)), Some(Action::Down));
    assert_eq!(
        action(Dashboard, &key(Char('a'))),
        Some(Action::AddConnection)
    );
    assert_eq!(action(Failed, &key(Char('a'))), Some(Action::Reauth));
    assert_eq!(action(Confirm, &key(Char('y'))), Some(Action::Yes));
    assert_eq!(action(Dashboard, &key(Char('y'))), Some(Action::Copy));
    assert_eq!(action(Dashboard, &key(Char('z'))), None);
    assert_eq!(
        action(Dashboard, &KeyEvent::new(Char('r'), KeyModifiers::CONTROL)),
        None
    );
}

#[test]
fn no_key_is_bound_twice_on_one_screen() {
    for scope in [
        Dashboard,
        Detail,
        Failed,
        Inspector,
        Confirm,
        Scope::Filter,
        Console,
        Login,
    ] {
        let mut seen = Vec::new();
        for binding in bindings(scope, false) {
            for k in binding.keys {
                assert!(!seen.contains(k), "{k:?} twice in {scope:?}");
                seen.push(*k);
            }
        }
    }
}

#[test]
fn text_fields_keep_their_letters_as_text() {
    assert_eq!(action(Scope::Filter, &key(Char('q'))), None);
    assert_eq!(action(Scope::Filter, &key(Esc)), Some(Action::Cancel));
    assert_eq!(action(Console, &key(Tab)), Some(Action::Complete));
    assert_eq!(action(Login, &key(Char('q'))), Some(Action::Cancel));
}

#[test]
fn ctrl_c_quits() {
    assert!(is_quit(&KeyEvent::new(Char('c'), KeyModifiers::CONTROL)));
    assert!(!is_quit(&key(Char('c'))));
}
