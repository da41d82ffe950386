//! Writes each result to the function's log (CloudWatch Logs) and nowhere else.

use serde::Serialize;

use super::{Sink, SinkError};

pub struct LogSink;

impl Sink for LogSink {
    async fn put<T: Serialize + Sync>(&self, item: &T) -> Result<(), SinkError> {
        let item = serde_json::to_string(item)?;
        tracing::info!(%item, "result");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn logging_always_succeeds() {
        assert!(LogSink.put(&json!({ "id": "A-1001" })).await.is_ok());
    }
}
