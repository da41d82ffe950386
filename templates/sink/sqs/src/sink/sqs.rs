//! Sends each item as a JSON message body (`send_message`) to the queue at `QUEUE_URL`.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde::Serialize;

use super::{Sink, SinkError};

pub struct SqsSink {
    client: Client,
    queue_url: String,
}

impl SqsSink {
    pub fn new(client: Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }
}

impl Sink for SqsSink {
    async fn put<T: Serialize + Sync>(&self, item: &T) -> Result<(), SinkError> {
        let body = serde_json::to_string(item)?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(describe)?;
        Ok(())
    }
}

/// One log-sized line for an SDK error. A service error says what the service answered (its
/// code and message, not the raw HTTP response); for the rest, such as a connection refused or
/// a timeout, the SDK's terse `Display` ("dispatch failure") hides the cause, so keep the chain.
fn describe<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    error: SdkError<E, R>,
) -> SinkError {
    match &error {
        SdkError::ServiceError(_) => format!(
            "{}: {}",
            error.code().unwrap_or("ServiceError"),
            error.message().unwrap_or("no message")
        )
        .into(),
        _ => DisplayErrorContext(error).to_string().into(),
    }
}
