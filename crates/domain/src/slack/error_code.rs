//! `ErrorCode`: every Slack error code xox knows by name, and all that is known of each:
//! its meaning, the kind of fix it calls for, who can lift it, and the fixes for refusals of
//! a refresh or an exchange. (`calls::hints` puts a failed call's own context around it.)

use std::fmt;

/// Slack's codes are short snake_case words, but whatever a proxy or a broken answer puts
/// in `error` ends up in one-line messages, the database and the terminal: control
/// characters (newlines, escape sequences) are dropped and the length is capped.
pub fn printable_code(code: &str) -> String {
    const MAX_CHARS: usize = 100;
    code.chars()
        .filter(|c| !c.is_control())
        .take(MAX_CHARS)
        .collect()
}

/// What kind of fix an error calls for: every known code has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The token is wrong for this: re-authorize (scopes, a dead token), refresh, or use
    /// the connection's other kind of token.
    FixToken,
    /// The request is wrong for this: its arguments, its channel, a membership.
    FixRequest,
    /// Slack asks for time: a rate limit, or trouble on its side.
    Wait,
    /// A workspace or organization policy, or the user's own decision: nothing xox or the
    /// app can change; someone else can.
    Permanent,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::FixToken => "fix the token",
            ErrorClass::FixRequest => "fix the request",
            ErrorClass::Wait => "wait",
            ErrorClass::Permanent => "permanent",
        }
    }
}

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $class:ident => $meaning:literal,)*) => {
        /// An `error` value from a Slack `{"ok":false}` answer. Codes we do not know are
        /// kept in `Other`, made printable (see [`printable_code`]).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
            Other(String),
        }

        impl ErrorCode {
            pub fn parse(code: &str) -> ErrorCode {
                match code {
                    $($code => ErrorCode::$variant,)*
                    // Older method specs and chat.* spell it with an underscore.
                    "rate_limited" => ErrorCode::Ratelimited,
                    other => ErrorCode::Other(printable_code(other)),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Other(code) => code,
                }
            }

            /// Every code xox knows, for tables and tests.
            pub const KNOWN: &'static [&'static str] = &[$($code,)*];

            /// What kind of fix the code calls for; `None` for codes we do not know.
            pub fn class(&self) -> Option<ErrorClass> {
                match self {
                    $(ErrorCode::$variant => Some(ErrorClass::$class),)*
                    ErrorCode::Other(_) => None,
                }
            }

            /// What the code means, in a sentence fragment; `None` for codes we do not know.
            pub fn meaning(&self) -> Option<&'static str> {
                match self {
                    $(ErrorCode::$variant => Some($meaning),)*
                    ErrorCode::Other(_) => None,
                }
            }
        }
    };
}

error_codes! {
    // Authentication and token state.
    NotAuthed = "not_authed", FixToken => "no token was sent with the request",
    InvalidAuth = "invalid_auth", FixToken => "the token is not valid (or the request came from an IP address the app does not allow)",
    AccountInactive = "account_inactive", FixToken => "the bot's user or its workspace has been deleted",
    TokenRevoked = "token_revoked", FixToken => "the token was revoked, its user or workspace deleted, or the app removed",
    TokenExpired = "token_expired", FixToken => "the rotating access token is past its expiry and must be refreshed",
    InvalidRefreshToken = "invalid_refresh_token", FixToken => "the refresh token is unknown, already used or revoked",
    NotBearerToken = "not_bearer_token", FixToken => "this kind of token cannot be revoked this way",
    // Permissions.
    MissingScope = "missing_scope", FixToken => "the token lacks a scope the method needs",
    NoPermission = "no_permission", FixRequest => "the token may not do this, for example because it is not a member of the conversation",
    NotAllowedTokenType = "not_allowed_token_type", FixToken => "the method does not accept this kind of token (bot or user)",
    EkmAccessDenied = "ekm_access_denied", Permanent => "workspace administrators have suspended this access",
    TeamAccessNotGranted = "team_access_not_granted", Permanent => "the token has not been granted access to that workspace",
    EnterpriseIsRestricted = "enterprise_is_restricted", Permanent => "the method cannot be called from an Enterprise organization",
    Accesslimited = "accesslimited", Permanent => "the method is limited on this network",
    TwoFactorSetupRequired = "two_factor_setup_required", Permanent => "two-factor authentication must be set up first",
    OrgLoginRequired = "org_login_required", Permanent => "the workspace is being migrated to an Enterprise organization",
    TeamAddedToOrg = "team_added_to_org", Wait => "the workspace is joining an Enterprise organization; try again shortly",
    // Conversations.
    NotInChannel = "not_in_channel", FixRequest => "the bot or user is not a member of that channel",
    ChannelNotFound = "channel_not_found", FixRequest => "the channel does not exist or the token cannot see it",
    IsArchived = "is_archived", FixRequest => "the channel is archived: unarchive it, or use another",
    RestrictedAction = "restricted_action", Permanent => "a workspace preference stops this token from doing that",
    // Arguments and objects.
    MissingArgument = "missing_argument", FixRequest => "a required argument is missing",
    UserNotFound = "user_not_found", FixRequest => "no user has that id, or the token cannot see them",
    UsersNotFound = "users_not_found", FixRequest => "none of the users given were found",
    NoText = "no_text", FixRequest => "the message has no text (or blocks/attachments with a text fallback)",
    MsgTooLong = "msg_too_long", FixRequest => "the message text is too long",
    TooManyAttachments = "too_many_attachments", FixRequest => "the message has too many attachments",
    InvalidBlocks = "invalid_blocks", FixRequest => "the blocks are not valid Block Kit",
    CantUpdateMessage = "cant_update_message", FixRequest => "that message cannot be updated by this token",
    MessageNotFound = "message_not_found", FixRequest => "no message has that timestamp in that channel",
    AlreadyReacted = "already_reacted", FixRequest => "the token's user already added that reaction",
    NoReaction = "no_reaction", FixRequest => "there is no such reaction to remove",
    IsBot = "is_bot", FixRequest => "the method cannot be called on or for a bot user",
    // Rate limits and server trouble.
    Ratelimited = "ratelimited", Wait => "too many requests to this method; wait for Retry-After",
    InternalError = "internal_error", Wait => "Slack had an internal error; the operation may have partly run",
    FatalError = "fatal_error", Wait => "Slack had a fatal error; the operation may have partly run",
    ServiceUnavailable = "service_unavailable", Wait => "Slack's service is unavailable right now",
    RequestTimeout = "request_timeout", Wait => "Slack timed out handling the request; the operation may have partly run",
    // Malformed requests.
    InvalidArguments = "invalid_arguments", FixRequest => "the method was called with invalid arguments",
    InvalidArgName = "invalid_arg_name", FixRequest => "an argument name is not valid",
    InvalidArrayArg = "invalid_array_arg", FixRequest => "an array was passed where a single value belongs",
    InvalidCharset = "invalid_charset", FixRequest => "the request's character set is not valid",
    InvalidFormData = "invalid_form_data", FixRequest => "the form body is not valid",
    InvalidPostType = "invalid_post_type", FixRequest => "the request's content type is not accepted",
    MissingPostType = "missing_post_type", FixRequest => "the request had no content type",
    InvalidJson = "invalid_json", FixRequest => "the JSON body could not be parsed",
    JsonNotObject = "json_not_object", FixRequest => "the JSON body is not an object",
    MethodDeprecated = "method_deprecated", FixRequest => "the method is retired",
    DeprecatedEndpoint = "deprecated_endpoint", FixRequest => "the endpoint is retired",
    UnknownMethod = "unknown_method", FixRequest => "there is no Web API method by that name",
    // OAuth: authorize and oauth.v2.access.
    AccessDenied = "access_denied", Permanent => "the user declined the installation",
    BadClientSecret = "bad_client_secret", FixRequest => "the client secret does not match the app",
    BadRedirectUri = "bad_redirect_uri", FixRequest => "the redirect URI does not match the one sent to authorize or registered for the app",
    InvalidClientId = "invalid_client_id", FixRequest => "no app has that client id",
    InvalidCode = "invalid_code", FixRequest => "the authorization code is unknown, expired or already used",
    CodeAlreadyUsed = "code_already_used", FixRequest => "the authorization code was already redeemed",
    InvalidGrant = "invalid_grant", FixRequest => "the grant (code or refresh token) is not valid for this client",
    InvalidCodeVerifier = "invalid_code_verifier", FixRequest => "the PKCE code verifier does not match the challenge",
    InvalidGrantType = "invalid_grant_type", FixRequest => "grant_type must be authorization_code or refresh_token",
    OauthAuthorizationUrlMismatch = "oauth_authorization_url_mismatch", FixRequest => "the install began on the v1 authorize URL, not /oauth/v2/authorize",
    PkceNotAllowed = "pkce_not_allowed", FixRequest => "the app does not have PKCE turned on",
    CannotInstallAnOrgInstalledApp = "cannot_install_an_org_installed_app", Permanent => "the app is installed at the organization level already",
    NoScopes = "no_scopes", FixRequest => "no scopes were requested",
    PreviewFeatureNotAvailable = "preview_feature_not_available", Permanent => "the feature is not available to this app",
    UserEmailUnverified = "user_email_unverified", Permanent => "the installing user has not verified their email address",
    InvalidScope = "invalid_scope", FixRequest => "a requested scope does not exist or cannot be combined with the others",
    InvalidTeamForNonDistributedApp = "invalid_team_for_non_distributed_app", Permanent => "the app is not distributed and cannot be installed on another workspace",
    ScopeNotAllowedOnEnterprise = "scope_not_allowed_on_enterprise", Permanent => "a requested scope is not allowed on Enterprise installs",
    UnapprovedScope = "unapproved_scope", Permanent => "a requested scope has not been approved for the app",
    NoUserScopes = "no_user_scopes", FixRequest => "no user scopes were requested",
    NotImplemented = "not_implemented", Permanent => "this is not implemented for the app",
    // oauth.v2.exchange.
    AuthorizationNotFound = "authorization_not_found", FixToken => "no installation matches that token",
    InvalidToken = "invalid_token", FixToken => "the token cannot be exchanged (it must be a long-lived granular xoxb or xoxp)",
    TokenAlreadyExchanged = "token_already_exchanged", FixToken => "the token was already exchanged for a rotating one",
    TokenRotationNotEnabled = "token_rotation_not_enabled", Permanent => "token rotation is not turned on for the app",
}

impl ErrorCode {
    /// What to do when a refresh is refused for the app's credentials, not the token's.
    pub fn app_credentials_fix(&self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::BadClientSecret => {
                "the client secret stored for the app is wrong; register the app again with the right one"
            }
            ErrorCode::InvalidClientId => {
                "no Slack app has the stored client id; check the app's Client ID"
            }
            ErrorCode::InvalidGrantType => "Slack did not accept grant_type=refresh_token",
            _ => return None,
        })
    }

    /// What to do when `oauth.v2.exchange` refuses with this code.
    pub fn exchange_refusal(&self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::TokenAlreadyExchanged => {
                "Slack says this token was already exchanged (token_already_exchanged); xox does not hold the rotating pair it became, so install the app again to get one"
            }
            ErrorCode::TokenRotationNotEnabled => {
                "token rotation is not turned on for the app (token_rotation_not_enabled): enable it under OAuth & Permissions, or set settings.token_rotation_enabled in the manifest, then try again; it cannot be turned off afterwards"
            }
            ErrorCode::InvalidAuth | ErrorCode::TokenRevoked | ErrorCode::AccountInactive => {
                "Slack no longer accepts this token, so it cannot be exchanged; install the app again"
            }
            ErrorCode::BadClientSecret => {
                "the client secret stored for the app is wrong (bad_client_secret); register the app again with the right one"
            }
            ErrorCode::InvalidClientId | ErrorCode::AuthorizationNotFound => {
                "Slack does not know this token under the app's client id; check that the connection belongs to that app"
            }
            ErrorCode::InvalidToken => {
                "Slack cannot exchange this token (invalid_token): only long-lived granular xoxb and xoxp tokens can be exchanged"
            }
            _ => return None,
        })
    }

    /// Who can lift a permanent refusal (the class `Permanent`): not xox, not the app.
    pub fn who_can_lift(&self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => {
                "the user declined; only they can install it, if they choose to"
            }
            ErrorCode::TwoFactorSetupRequired => {
                "the token's user must set up two-factor authentication"
            }
            ErrorCode::UserEmailUnverified => "the installing user must verify their email address",
            ErrorCode::EnterpriseIsRestricted
            | ErrorCode::TeamAccessNotGranted
            | ErrorCode::OrgLoginRequired
            | ErrorCode::CannotInstallAnOrgInstalledApp
            | ErrorCode::ScopeNotAllowedOnEnterprise => {
                "an admin of the Enterprise organization can"
            }
            ErrorCode::UnapprovedScope
            | ErrorCode::InvalidTeamForNonDistributedApp
            | ErrorCode::TokenRotationNotEnabled
            | ErrorCode::PreviewFeatureNotAvailable
            | ErrorCode::NotImplemented => {
                "the app's owner can, in the app's settings (or Slack, for features it has not opened)"
            }
            _ => "a workspace admin can (workspace settings and policies)",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_round_trip_and_have_meanings() {
        for code in [
            "missing_scope",
            "token_expired",
            "invalid_refresh_token",
            "token_already_exchanged",
            "invalid_code_verifier",
            "ekm_access_denied",
        ] {
            let parsed = ErrorCode::parse(code);
            assert!(!matches!(parsed, ErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
            assert!(parsed.meaning().is_some());
        }
    }

    #[test]
    fn rate_limited_spelling_is_accepted() {
        assert_eq!(ErrorCode::parse("rate_limited"), ErrorCode::Ratelimited);
    }

    #[test]
    fn unknown_codes_are_kept_verbatim() {
        let code = ErrorCode::parse("something_new");
        assert_eq!(code, ErrorCode::Other("something_new".into()));
        assert_eq!(code.as_str(), "something_new");
        assert_eq!(code.meaning(), None);
    }
}
