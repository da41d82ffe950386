//! Where results go. The handler is written against the small [`Sink`] trait, so tests can run
//! it with an in-memory sink and production wires in the real one in `main.rs`.

use serde::Serialize;

{{#if is.dynamodb}}
mod dynamodb;
pub use dynamodb::DynamoDbSink;
{{/if}}
{{#if is.sqsSink}}
mod sqs;
pub use sqs::SqsSink;
{{/if}}
{{#if is.noSink}}
mod log;
pub use log::LogSink;
{{/if}}

#[cfg(test)]
pub mod memory;

/// Any error a sink runs into. The handler logs it and reports the record (or request) as failed.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Stores the results the handler produces.
pub trait Sink: Send + Sync {
    /// Stores one item: any `Serialize` value that serialises to a JSON object.
    ///
    /// Declared as `impl Future + Send` rather than `async fn` so that callers (and the
    /// Lambda runtime) can rely on the returned future being `Send`.
    fn put<T: Serialize + Sync>(
        &self,
        item: &T,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;
}
{{#unless is.noSink}}

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
        let error = required_env("{{sinkEnv}}_THAT_NO_ONE_SETS").unwrap_err();
        assert!(error.to_string().contains("{{sinkEnv}}_THAT_NO_ONE_SETS"));
        assert_eq!(format!("{error:?}"), error.to_string());
    }
}
{{/unless}}
