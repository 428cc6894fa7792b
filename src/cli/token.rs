//! `xox token CONN`: print a valid access token, refreshing first inside the window.

use super::{Context, KindArgs, parse_window};
use crate::calls::default_kind;
use crate::rotation::{Need, RotationError, Target};
use crate::store::{TokenStatus, now_unix};
use anyhow::bail;
use clap::Args;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Connection name or id
    conn: String,
    #[command(flatten)]
    kind: KindArgs,
    /// Refresh first when the token expires within this long
    #[arg(long, default_value = "2h", value_parser = parse_window)]
    within: Duration,
}

/// A token this close to expiry is not printed as a fallback: a script would get a dud.
const MIN_FALLBACK_SECS: i64 = 60;

pub async fn run(ctx: &Context, args: TokenArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let conn = store.connection(&args.conn)?;
    let kind = default_kind(&conn, args.kind.kind())?;
    let info = conn.token(kind).expect("default_kind checked it exists");
    let within = args.within.as_secs() as i64;
    let now = now_unix();
    let still_valid = info.expires_at.is_none_or(|at| at > now);
    match info.status {
        // Slack said so: printing it would hand a script a dud.
        TokenStatus::Revoked => {
            let reason = info
                .status_reason
                .clone()
                .unwrap_or_else(|| "revoked".into());
            bail!(
                "the {kind} token of {} was revoked ({reason}); install the app again to get a new one",
                conn.name
            );
        }
        TokenStatus::NeedsReauth if still_valid => {
            let reason = info.status_reason.clone().unwrap_or_default();
            eprintln!(
                "warning: the {kind} token of {} needs re-auth ({reason}); it works until it expires",
                conn.name
            );
            outln!("{}", store.access_token(&conn.id, kind)?.expose());
            return Ok(());
        }
        _ => {}
    }
    // The hot path: one row read and one decryption, no network, no lease.
    if info.expires_at.is_none_or(|at| at - now > within) {
        outln!("{}", store.access_token(&conn.id, kind)?.expose());
        return Ok(());
    }
    let rotator = ctx.rotator(store)?;
    match rotator
        .refresh_if(&Target::of(&conn, kind), Need::ExpiresWithin(within))
        .await
    {
        Ok(fresh) => {
            outln!("{}", fresh.access.expose());
            Ok(())
        }
        Err(error) => fall_back(&rotator, &conn, kind, error).await,
    }
}

/// The refresh failed, but the current token may still be good for a while: print it and
/// say why on stderr, so a script keeps working while a person sees the problem.
async fn fall_back(
    rotator: &crate::rotation::Rotator,
    conn: &crate::store::Connection,
    kind: crate::slack::TokenKind,
    error: RotationError,
) -> anyhow::Result<()> {
    let (id, k) = (conn.id.clone(), kind);
    let state = rotator.store().run(move |s| s.token_state(&id, k)).await?;
    let left = state.expires_at.map_or(i64::MAX, |at| at - now_unix());
    if left < MIN_FALLBACK_SECS || matches!(error, RotationError::Revoked { .. }) {
        return Err(error.into());
    }
    eprintln!(
        "warning: {error}; printed the current token, valid for {}",
        super::format::countdown(Some(left), 0)
    );
    outln!("{}", state.access.expose());
    Ok(())
}
