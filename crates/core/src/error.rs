//! The one error type of the rules and the store. The web layer maps it to
//! HTTP in one place.
use crate::msg::Msg;

/// A problem with one input field, shown beside that field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: Msg,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more inputs are invalid; nothing was changed.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message.en)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    /// A unique value is taken, or the thing changed under us (another admin
    /// acted first).
    #[error("conflict on {field}: {}", message.en)]
    Conflict { field: &'static str, message: Msg },
    /// A rule refuses the action as asked (e.g. the agency's only agency admin
    /// cannot be disabled). The message says what to do instead.
    #[error("refused: {}", .0.en)]
    Refused(Msg),
    /// The actor may not do this, or may not see the target.
    #[error("forbidden")]
    Forbidden,
    /// Not signed in, or the session ended.
    #[error("unauthenticated")]
    Unauthenticated,
    /// Too much is asked of the server at once (the password-hashing pool
    /// is full); nothing was done and the same request may be sent again.
    #[error("busy: {}", .0.en)]
    Busy(Msg),
    /// Anything else: logged with context, never shown to a person.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &'static str, message: Msg) -> Error {
        Error::Invalid(vec![FieldError { field, message }])
    }

    pub fn internal(context: impl std::fmt::Display) -> Error {
        Error::Internal(context.to_string())
    }
}

/// Collects field errors while a form is checked, so a person sees every
/// problem at once rather than one per submit.
#[derive(Debug, Default)]
pub struct Collector {
    errors: Vec<FieldError>,
}

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Keeps the value when it is valid; records its error otherwise.
    pub fn take<T>(&mut self, field: &'static str, r: std::result::Result<T, Msg>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.push(FieldError { field, message });
                None
            }
        }
    }

    pub fn push(&mut self, field: &'static str, message: Msg) {
        self.errors.push(FieldError { field, message });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.errors))
        }
    }
}
