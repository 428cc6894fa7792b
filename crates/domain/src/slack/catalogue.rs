//! The method catalogue (`assets/methods.catalog`, embedded): each Web API method's verb,
//! rate tier, accepted token kinds and the scopes it needs with each kind.

use super::scopes::Scopes;
use super::token::TokenKind;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const SOURCE: &str = include_str!("../../../../assets/methods.catalog");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Tier(u8),
    Special,
}

/// The scopes one kind of token needs for a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needs {
    /// The method takes this kind and needs no scope with it.
    Nothing,
    /// Any of these (they are usually alternatives; which one depends on the arguments).
    AnyOf(Scopes),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSpec {
    pub name: String,
    pub verb: String,
    pub tier: Tier,
    pub takes_bot: bool,
    pub takes_user: bool,
    pub takes_app: bool,
    /// App configuration tokens: the `apps.manifest.*` methods.
    pub takes_config: bool,
    /// `None`: the reference has no part for that kind.
    pub bot: Option<Needs>,
    pub user: Option<Needs>,
    pub app: Option<Needs>,
    pub config: Option<Needs>,
    pub deprecated: bool,
}

impl MethodSpec {
    /// Whether a token of `kind` may call this method. A method whose reference names no
    /// token kind (OAuth exchanges, `views.*`, …) is assumed to take both.
    pub fn takes(&self, kind: TokenKind) -> bool {
        let none_named =
            !self.takes_bot && !self.takes_user && !self.takes_app && !self.takes_config;
        match kind {
            TokenKind::Bot => self.takes_bot || none_named,
            TokenKind::User => self.takes_user || none_named,
            TokenKind::App => self.takes_app,
            TokenKind::Config => self.takes_config,
        }
    }

    pub fn needs(&self, kind: TokenKind) -> Option<&Needs> {
        match kind {
            TokenKind::Bot => self.bot.as_ref(),
            TokenKind::User => self.user.as_ref(),
            TokenKind::App => self.app.as_ref(),
            TokenKind::Config => self.config.as_ref(),
        }
    }

    /// Whether the method only reads: every scope it needs, with any kind of token, is a
    /// `:read` or `:history` scope; one that needs no scope at all must be named as a read
    /// (`…get…`, `….list`, `….info`, `….test`, `….lookup…`). Slack's preferred HTTP verb is
    /// no guide: `auth.revoke` and `users.deletePhoto` are GETs.
    pub fn is_read(&self) -> bool {
        let needed: Vec<&str> = [&self.bot, &self.user, &self.app, &self.config]
            .into_iter()
            .flatten()
            .flat_map(|needs| match needs {
                Needs::Nothing => Vec::new(),
                Needs::AnyOf(scopes) => scopes.iter().collect(),
            })
            .collect();
        if needed.is_empty() {
            let last = self.name.rsplit('.').next().unwrap_or_default();
            return ["get", "list", "info", "test", "lookup"]
                .iter()
                .any(|verb| last.starts_with(verb));
        }
        needed.iter().all(|scope| {
            scope
                .split_once(':')
                .is_some_and(|(_, access)| access.starts_with("read") || access == "history")
        })
    }

    /// Whether `held` covers what `kind` needs (any one of several listed scopes will do).
    pub fn covered_by(&self, kind: TokenKind, held: &Scopes) -> bool {
        match self.needs(kind) {
            None | Some(Needs::Nothing) => true,
            Some(Needs::AnyOf(scopes)) => scopes.iter().any(|s| held.contains(s)),
        }
    }
}

pub struct Catalogue {
    methods: Vec<MethodSpec>,
    by_name: HashMap<String, usize>,
    /// Every scope some method needs, plus those only an install asks for.
    scopes: HashSet<String>,
}

/// Scopes that no Web API method needs but an install may ask for: commands, webhooks,
/// events, Sign in with Slack (OpenID Connect and the older identity scopes).
const INSTALL_ONLY_SCOPES: &[&str] = &[
    "commands",
    "incoming-webhook",
    "app_mentions:read",
    "openid",
    "profile",
    "email",
    "identity.basic",
    "identity.email",
    "identity.avatar",
    "identity.team",
];

fn parse_needs(list: &str) -> Needs {
    if list == "none" {
        Needs::Nothing
    } else {
        Needs::AnyOf(Scopes::parse(list))
    }
}

fn parse_line(line: &str) -> Result<MethodSpec, String> {
    let mut words = line.split_whitespace();
    let mut next = |what: &str| {
        words
            .next()
            .ok_or_else(|| format!("{line:?} has no {what}"))
    };
    let name = next("name")?.to_owned();
    let manifest_method = name.starts_with("apps.manifest.");
    let verb = next("verb")?.to_owned();
    let tier = match next("tier")? {
        "special" => Tier::Special,
        t => Tier::Tier(t.parse().map_err(|_| format!("{name}: bad tier {t:?}"))?),
    };
    let kinds = next("token kinds")?;
    let takes = |k: &str| kinds.split(',').any(|x| x == k);
    let mut spec = MethodSpec {
        takes_bot: takes("bot"),
        takes_user: takes("user"),
        takes_app: takes("app"),
        // Slack's reference names no token kind for the manifest methods; they take an
        // app configuration token, and nothing else.
        takes_config: takes("config") || manifest_method,
        name,
        verb,
        tier,
        bot: None,
        user: None,
        app: None,
        config: manifest_method.then_some(Needs::Nothing),
        deprecated: false,
    };
    for word in words {
        if word == "deprecated" {
            spec.deprecated = true;
            continue;
        }
        let (who, list) = word
            .split_once('=')
            .ok_or_else(|| format!("{}: bad item {word:?}", spec.name))?;
        for kind in who.split('+') {
            let slot = match kind {
                "bot" => &mut spec.bot,
                "user" => &mut spec.user,
                "app" => &mut spec.app,
                "config" => &mut spec.config,
                other => return Err(format!("{}: unknown kind {other:?}", spec.name)),
            };
            *slot = Some(parse_needs(list));
        }
    }
    Ok(spec)
}

pub fn parse(source: &str) -> Result<Catalogue, String> {
    let methods: Vec<MethodSpec> = source
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(parse_line)
        .collect::<Result<_, _>>()?;
    let by_name = methods
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    let mut scopes: HashSet<String> = INSTALL_ONLY_SCOPES.iter().map(|s| s.to_string()).collect();
    for needs in methods
        .iter()
        .flat_map(|m| [&m.bot, &m.user, &m.app, &m.config])
    {
        if let Some(Needs::AnyOf(list)) = needs {
            scopes.extend(list.iter().map(str::to_owned));
        }
    }
    Ok(Catalogue {
        methods,
        by_name,
        scopes,
    })
}

/// The embedded catalogue, parsed once.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| parse(SOURCE).expect("the embedded catalogue parses (tested)"))
}

impl Catalogue {
    pub fn get(&self, name: &str) -> Option<&MethodSpec> {
        self.by_name.get(name).map(|&i| &self.methods[i])
    }

    /// The method name nearest to `name` (a typo's), if one is near enough to mean.
    pub fn nearest(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        let (distance, nearest) = self
            .methods
            .iter()
            .map(|m| {
                (
                    strsim::levenshtein(&lower, &m.name.to_ascii_lowercase()),
                    m.name.as_str(),
                )
            })
            .min_by_key(|(distance, _)| *distance)?;
        // A few slips, and never more than a third of the name.
        (distance <= 3 && distance * 3 <= name.len()).then_some(nearest)
    }

    /// The scope nearest to `scope` (a typo's), if one is near enough to mean.
    pub fn nearest_scope(&self, scope: &str) -> Option<&str> {
        let lower = scope.to_ascii_lowercase();
        let (distance, nearest) = self
            .scopes
            .iter()
            .map(|s| (strsim::levenshtein(&lower, s), s.as_str()))
            // Ties go to the first in order, so the suggestion is the same every time.
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))?;
        (distance <= 3 && distance * 3 <= scope.len()).then_some(nearest)
    }

    /// Whether Slack has a scope by this name.
    pub fn knows_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    pub fn methods(&self) -> &[MethodSpec] {
        &self.methods
    }

    /// Method names starting with `prefix`, in catalogue order (for completion).
    pub fn complete<'a, 'p>(
        &'a self,
        prefix: &'p str,
    ) -> impl Iterator<Item = &'a str> + use<'a, 'p> {
        self.methods
            .iter()
            .map(|m| m.name.as_str())
            .filter(move |n| n.starts_with(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_by_their_scopes_and_else_their_names() {
        let c = catalogue();
        let read = |m: &str| c.get(m).unwrap().is_read();
        for m in [
            "conversations.history",
            "conversations.info",
            "users.info",
            "search.messages",
            "auth.test",
            "chat.getPermalink",
            "reactions.get",
            "files.info",
        ] {
            assert!(read(m), "{m} reads");
        }
        for m in [
            "chat.postMessage",
            "conversations.join",
            "conversations.open",
            "auth.revoke",
            "users.deletePhoto",
            "files.remote.share",
            "reactions.add",
        ] {
            assert!(!read(m), "{m} writes");
        }
    }

    #[test]
    fn a_typo_finds_its_method() {
        let c = catalogue();
        assert_eq!(c.nearest("chat.postMesage"), Some("chat.postMessage"));
        assert_eq!(c.nearest("chat.postmessage"), Some("chat.postMessage"));
        assert_eq!(
            c.nearest("conversation.history"),
            Some("conversations.history")
        );
        assert_eq!(c.nearest("totally.different"), None);
        assert_eq!(c.nearest("ab"), None);
    }

    #[test]
    fn the_embedded_catalogue_parses_and_knows_common_methods() {
        let c = catalogue();
        assert!(c.methods().len() >= 300);
        let post = c.get("chat.postMessage").unwrap();
        assert!(post.takes(TokenKind::Bot) && post.takes(TokenKind::User));
        assert_eq!(post.tier, Tier::Special);
        assert_eq!(post.bot, Some(Needs::AnyOf(Scopes::parse("chat:write"))));
        let search = c.get("search.messages").unwrap();
        assert!(!search.takes(TokenKind::Bot) && search.bot.is_none());
        assert_eq!(c.get("auth.test").unwrap().bot, Some(Needs::Nothing));
        let join = c.get("conversations.join").unwrap();
        assert_eq!(
            join.user,
            Some(Needs::AnyOf(Scopes::parse("channels:write")))
        );
        assert!(c.get("rtm.start").unwrap().deprecated);
        assert!(!post.deprecated);
        assert!(
            c.complete("conversations.h")
                .any(|n| n == "conversations.history")
        );
    }

    #[test]
    fn coverage_takes_any_listed_scope() {
        let history = catalogue().get("conversations.history").unwrap();
        assert!(history.covered_by(TokenKind::Bot, &Scopes::parse("groups:history")));
        assert!(!history.covered_by(TokenKind::Bot, &Scopes::parse("chat:write")));
        assert!(
            catalogue()
                .get("auth.test")
                .unwrap()
                .covered_by(TokenKind::User, &Scopes::default())
        );
    }

    #[test]
    fn bad_lines_are_reported() {
        assert!(parse("x.y POST 9x bot bot=a").is_err());
        assert!(parse("x.y POST 2 bot robot=a").is_err());
        assert!(parse("x.y POST").is_err());
        assert_eq!(parse("# only a comment\n").unwrap().methods().len(), 0);
    }
}
