//! The one error every command returns: `{ "code": "...", "message": "..." }`, as
//! `docs/console-commands.md` specifies, so the UI can branch on `code` and show `message`.

use postgate::store::StoreError;
use serde::Serialize;

/// The codes the contract allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Conflict,
    Invalid,
    Unavailable,
    Forbidden,
    Internal,
}

/// A failed command, serialized as the promise's rejection value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    /// The settings field at fault (only `settings_save` / `settings_test` set it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why, in one stable word the UI has a text for (only the setup's commands set it:
    /// `malformed`, `refused`, `unreachable`, `not_admin`, `cannot_post`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, reason: None }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
    /// Console decisions need a moderator identity; there is none configured.
    pub fn no_console_moderator() -> Self {
        Self::new(
            ErrorCode::Forbidden,
            "no console moderator is configured: set CONSOLE_MODERATOR_ID (or MODERATOR_IDS) to your Telegram user id",
        )
    }
    /// An invalid settings field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self { code: ErrorCode::Invalid, message: message.into(), field: Some(field.to_owned()), reason: None }
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::Unavailable(_) | StoreError::InUse { .. } => ErrorCode::Unavailable,
            StoreError::Constraint { .. } => ErrorCode::Conflict,
            StoreError::Query(_)
            | StoreError::Corrupt(_)
            | StoreError::Migrate(_)
            | StoreError::CountMismatch { .. } => ErrorCode::Internal,
        };
        Self::new(code, e.to_string())
    }
}

impl From<postgate::moderation::ModerationError> for CommandError {
    fn from(e: postgate::moderation::ModerationError) -> Self {
        match e {
            postgate::moderation::ModerationError::Store(e) => e.into(),
            unreachable @ postgate::moderation::ModerationError::Unreachable(_) => {
                Self::unavailable(unreachable.to_string())
            }
            // The console approves what it shows whole; a group card's approval is never sent from it.
            refused @ (postgate::moderation::ModerationError::TextTooLong(_)
            | postgate::moderation::ModerationError::NotShownWhole) => Self::invalid(refused.to_string()),
            postgate::moderation::ModerationError::Time(e @ postgate::schedule::ScheduleError::SlotTaken { .. }) => {
                Self::new(ErrorCode::Conflict, e.to_string())
            }
            postgate::moderation::ModerationError::Time(e) => Self::invalid(e.to_string()),
        }
    }
}

impl From<postgate::domain::RejectReasonError> for CommandError {
    fn from(e: postgate::domain::RejectReasonError) -> Self {
        Self::invalid(format!("reason: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn serializes_as_the_contract_says() {
        let e = CommandError::not_found("post 7 does not exist");
        assert_eq!(serde_json::to_value(&e).unwrap(), json!({"code": "not_found", "message": "post 7 does not exist"}));
        for (code, text) in [
            (ErrorCode::Conflict, "conflict"),
            (ErrorCode::Invalid, "invalid"),
            (ErrorCode::Unavailable, "unavailable"),
            (ErrorCode::Forbidden, "forbidden"),
            (ErrorCode::Internal, "internal"),
        ] {
            assert_eq!(
                serde_json::to_value(CommandError::new(code, "m")).unwrap(),
                json!({"code": text, "message": "m"})
            );
        }
        let field = CommandError::invalid_field("channel_id", "CHANNEL_ID is malformed");
        assert_eq!(
            serde_json::to_value(&field).unwrap(),
            json!({"code": "invalid", "message": "CHANNEL_ID is malformed", "field": "channel_id"})
        );
    }

    #[test]
    fn store_errors_map_to_codes() {
        let outage: CommandError = StoreError::Unavailable("refused".into()).into();
        assert_eq!(outage.code, ErrorCode::Unavailable);
        let clash: CommandError = StoreError::Constraint { constraint: "c".into(), message: "m".into() }.into();
        assert_eq!(clash.code, ErrorCode::Conflict);
        assert_eq!(CommandError::no_console_moderator().code, ErrorCode::Forbidden);
        assert!(CommandError::no_console_moderator().message.contains("CONSOLE_MODERATOR_ID"));
        let refused: CommandError =
            postgate::moderation::ModerationError::Unreachable(StoreError::Unavailable("refused".into())).into();
        assert_eq!(refused.code, ErrorCode::Unavailable);
        assert!(refused.message.starts_with("database unreachable, nothing was changed, try again"), "{refused:?}");
    }
}
