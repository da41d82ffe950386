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
