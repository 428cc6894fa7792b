//! What a Slack call needs before it goes out (its arguments, the token to use) and what to
//! do when it fails (hints).

mod choose;
pub mod hints;

pub use choose::{CallPlan, ChooseError, default_kind, plan};

#[derive(Debug, thiserror::Error)]
pub enum CallSetupError {
    #[error("{0:?} is not a key=value argument")]
    BadArgument(String),
    #[error(
        "pass tokens with --conn, never as an argument (they would land in shell history and ps)"
    )]
    TokenArgument,
}

/// Parse `key=value` arguments. A `token` argument is refused: tokens never travel in argv.
pub fn parse_args(args: &[String]) -> Result<Vec<(String, String)>, CallSetupError> {
    args.iter()
        .map(|arg| {
            let (k, v) = arg
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| CallSetupError::BadArgument(arg.clone()))?;
            if k == "token" {
                return Err(CallSetupError::TokenArgument);
            }
            Ok((k.to_owned(), v.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_are_key_value_and_never_tokens() {
        let args = vec!["channel=C1".to_string(), "text=a=b".to_string()];
        assert_eq!(
            parse_args(&args).unwrap(),
            vec![
                ("channel".into(), "C1".into()),
                ("text".into(), "a=b".into())
            ]
        );
        assert!(matches!(
            parse_args(&["novalue".into()]),
            Err(CallSetupError::BadArgument(_))
        ));
        assert!(matches!(
            parse_args(&["=x".into()]),
            Err(CallSetupError::BadArgument(_))
        ));
        assert!(matches!(
            parse_args(&["token=xoxb-1".into()]),
            Err(CallSetupError::TokenArgument)
        ));
    }
}
