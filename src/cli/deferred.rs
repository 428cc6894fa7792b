//! A subcommand's arguments, declared to clap only when that subcommand is the one run.

use clap::{ArgMatches, Args, Command, Error, FromArgMatches};

/// `T`'s arguments, added to their subcommand when clap builds that subcommand (to parse
/// it, or for its help, completions and man page) rather than for every run of `xox`.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: Command) -> Command {
        cmd.defer(with_own_about::<T, false>)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        cmd.defer(with_own_about::<T, true>)
    }
}

/// `T`'s arguments on `cmd`, which keeps its own descriptions (or their absence): added
/// late, `T`'s would otherwise replace the ones the subcommand was declared with.
fn with_own_about<T: Args, const FOR_UPDATE: bool>(cmd: Command) -> Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = if FOR_UPDATE {
        T::augment_args_for_update(cmd)
    } else {
        T::augment_args(cmd)
    };
    let cmd = match about {
        Some(about) => cmd.about(about),
        None => cmd.about(None::<&str>),
    };
    match long_about {
        Some(long_about) => cmd.long_about(long_about),
        None => cmd.long_about(None::<&str>),
    }
}
