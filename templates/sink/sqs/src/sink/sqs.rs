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

{{> rust/describe-sdk-error}}
