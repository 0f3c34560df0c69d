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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_result_points_to_the_build_time_graph() {
        let missing = LoadError::NoResult { root: "/p".into() };
        let text = load_error_text(&missing);
        assert!(text.starts_with("no ./result in /p: build the project first"));
        assert!(text.ends_with("Press t for the build-time graph, which needs no build."));
        let other = LoadError::NoFetchCommand;
        assert_eq!(load_error_text(&other), other.to_string());
    }
}
