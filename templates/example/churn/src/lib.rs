//! The function's logic, kept apart from `main.rs` so that `cargo test` can drive it with the
//! sample event and an in-memory publisher instead of SQS.

pub mod float;
pub mod handler;
pub mod model;
pub mod publish;

/// Reads a required environment variable, failing with an error that names it.
pub fn required_env(name: &'static str) -> Result<String, MissingEnvVar> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(value),
        _ => Err(MissingEnvVar(name)),
    }
}

/// A required environment variable is unset or empty.
pub struct MissingEnvVar(pub &'static str);

impl std::fmt::Display for MissingEnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "environment variable {} is not set: template.yaml sets it for the deployed \
             function; set it yourself when running locally",
            self.0
        )
    }
}

// `main` returns this error, and Rust prints a returned error with `Debug`: keep it readable.
impl std::fmt::Debug for MissingEnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for MissingEnvVar {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_variable_is_an_error_naming_it() {
        let error = required_env("A_VARIABLE_THAT_NO_ONE_SETS").unwrap_err();
        assert!(error.to_string().contains("A_VARIABLE_THAT_NO_ONE_SETS"));
        assert_eq!(format!("{error:?}"), error.to_string());
    }
}
