//! `xox completions SHELL` and `xox man`: shell completions and the man page, generated from
//! the command line's own definition so they never drift from it.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    shell: Shell,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "xox", &mut out);
    let script = String::from_utf8_lossy(&out).into_owned();
    let script = match args.shell {
        Shell::Bash => with_connection_names(&script, &command),
        _ => script,
    };
    super::write_stdout(&script);
    Ok(())
}

/// Asks the store (the one `XOX_DB` names, or the default) for its connections' names.
const BASH_CONNECTIONS: &str = r#"
__xox_connections() {
    xox list --names 2>/dev/null
}
"#;

/// clap's bash script, with connection names where a connection is asked for: after
/// `--conn` and `--reauth`, and as the first word after a subcommand whose first argument is one (`xox
/// token <TAB>`). clap offers file names there, which are never right.
fn with_connection_names(script: &str, command: &clap::Command) -> String {
    let names = r#"COMPREPLY=( $(compgen -W "$(__xox_connections)" -- "${cur}") )"#;
    let mut script = script.to_owned();
    for option in ["--conn", "--reauth"] {
        script = script.replace(
            &format!("{option})\n                    COMPREPLY=($(compgen -f \"${{cur}}\"))"),
            &format!("{option})\n                    {names}"),
        );
    }
    for path in subcommands_taking_a_connection(command, "xox") {
        let case = format!("        {path})\n");
        let Some(at) = script.find(&case) else {
            continue;
        };
        // Before the block's own test: the first word after the subcommand, when it is not
        // a flag, is the connection.
        let depth = path.matches("__subcmd__").count() + 1;
        let insert_at = at + case.len();
        script.insert_str(
            insert_at,
            &format!(
                "            if [[ ${{cur}} != -* && ${{COMP_CWORD}} -eq {depth} ]] ; then\n                {names}\n                return 0\n            fi\n"
            ),
        );
    }
    script.push_str(BASH_CONNECTIONS);
    script
}

/// The bash case names (`xox__subcmd__token`, …) of the subcommands whose first positional
/// argument is a connection.
fn subcommands_taking_a_connection(command: &clap::Command, path: &str) -> Vec<String> {
    let mut found = Vec::new();
    for sub in command.get_subcommands() {
        let mut sub = sub.clone();
        // Deferred arguments are added when clap builds the subcommand.
        sub.build();
        let sub_path = format!("{path}__subcmd__{}", sub.get_name().replace('-', "__"));
        if sub
            .get_positionals()
            .next()
            .is_some_and(|arg| arg.get_id() == "conn")
        {
            found.push(sub_path.clone());
        }
        found.extend(subcommands_taking_a_connection(&sub, &sub_path));
    }
    found
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write xox.1 and a page for every subcommand (xox-app-add.1, …) into this folder
    #[arg(long, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
}

/// The variables xox reads, for the page's ENVIRONMENT section.
const ENVIRONMENT: [(&str, &str); 8] = [
    (
        "XOX_DB",
        "The store: a database file, or a PostgreSQL URL (postgres://…); --db wins.",
    ),
    (
        "XOX_KEY",
        "The store's key (base64 of 32 bytes), in place of the key file beside the database or the keyring; a shared PostgreSQL store needs it on every host.",
    ),
    (
        "XOX_SLACK_URL",
        "Where Slack is (https://slack.com); --slack-url wins.",
    ),
    (
        "XOX_HTTP_TIMEOUT",
        "Seconds to wait for each answer from Slack (20); --http-timeout wins.",
    ),
    (
        "XOX_CLIENT_SECRET",
        "An app's client secret, for xox app add and xox app set --secret.",
    ),
    (
        "XOX_SIGNING_SECRET",
        "An app's signing secret, for xox app set --signing-secret.",
    ),
    ("XOX_LOG", "The log filter (xox=info)."),
    (
        "XOX_KEYRING",
        "0: never keep the store's key in the OS keyring.",
    ),
];

/// `page` with the ENVIRONMENT section after what clap wrote, and, on the top page, where
/// the subcommands' pages come from.
fn with_environment(page: Vec<u8>, top: bool) -> String {
    let mut text = String::from_utf8_lossy(&page).into_owned();
    text.push_str(".SH ENVIRONMENT\n");
    for (name, what) in ENVIRONMENT {
        text.push_str(&format!(
            ".TP\n\\fB{name}\\fR\n{}\n",
            what.replace('-', "\\-")
        ));
    }
    if top {
        text.push_str(".SH \"SEE ALSO\"\nThe pages of the subcommands, xox\\-SUBCOMMAND(1), are written by \\fBxox man \\-\\-dir\\fR \\fIDIR\\fR.\n");
    }
    text
}

fn render(command: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out)?;
    Ok(out)
}

/// Write the page of a built `command` and of each of its subcommands into `dir`, each
/// under the name its parent's page gives it (`xox-app-add`).
fn write_pages(dir: &std::path::Path, command: &clap::Command) -> anyhow::Result<usize> {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned();
    let mut written = 0;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        written += write_pages(dir, sub)?;
    }
    let page = with_environment(render(command.clone())?, name == "xox");
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(written + 1)
}

pub fn man(args: ManArgs) -> anyhow::Result<()> {
    let mut command = super::Cli::command();
    command.build();
    match args.dir {
        None => super::write_stdout(&with_environment(render(command)?, true)),
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| anyhow::anyhow!("cannot make {}: {e}", dir.display()))?;
            let written = write_pages(&dir, &command)?;
            outln!("{written} pages in {}", dir.display());
        }
    }
    Ok(())
}
