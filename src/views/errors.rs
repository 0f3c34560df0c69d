//! Load failures in words: each kind's message, and the hint the views add for it.

use crate::app::state::LoadError;

/// What the view says about a failed load: the error, then what to do about it in the app.
pub fn load_error_text(error: &LoadError) -> String {
    match error {
        LoadError::NoResult { .. } => {
            format!("{error} Press t for the build-time graph, which needs no build.")
        }
        _ => error.to_string(),
    }
}
