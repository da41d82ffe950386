//! Business logic for SQS: each message body is a JSON [`Item`] to store in the sink.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::stream::{self, StreamExt};
use lambda_runtime::Error;
use serde::{Deserialize, Serialize};

use crate::sink::Sink;

/// How many messages are processed at once. The sink calls are I/O, so a batch finishes in
/// about the time of its slowest few calls instead of the sum of all of them.
const CONCURRENCY: usize = 10;

{{> rust/item}}

/// Stores every message of the batch and returns the ids of those that failed.
///
/// Only the failed messages go back to the queue (`ReportBatchItemFailures`): they are retried
/// and, after the queue's `maxReceiveCount`, moved to the dead-letter queue. An invalid message
/// fails the same way, so it ends up in the dead-letter queue for you to inspect.
pub async fn handle<S: Sink>(sink: &S, event: SqsEvent) -> Result<SqsBatchResponse, Error> {
    let failed: Vec<String> = stream::iter(event.records)
        .map(|message| process(sink, message))
        .buffered(CONCURRENCY)
        .filter_map(|outcome| async move { outcome.err() })
        .collect()
        .await;

    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    Ok(response)
}

/// Processes one message; on failure returns its message id.
async fn process<S: Sink>(sink: &S, message: SqsMessage) -> Result<(), String> {
    // Lambda treats a failure without an id as a failure of the whole batch, which is the
    // safe outcome for a message we can't name.
    let message_id = message.message_id.unwrap_or_default();
    let body = message.body.unwrap_or_default();
    let outcome = match Item::from_json(body.as_bytes()) {
        Ok(item) => sink.put(&item).await,
        Err(invalid) => Err(invalid.into()),
    };
    outcome.map_err(|error| {
        tracing::warn!(%message_id, %error, "message failed; SQS will deliver it again");
        message_id
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::memory::MemorySink;

    fn sample_event() -> SqsEvent {
        serde_json::from_str(include_str!("../events/sqs.json")).expect("events/sqs.json")
    }

    fn failed_ids(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_str())
            .collect()
    }

    #[tokio::test]
    async fn the_sample_event_stores_every_item() {
        let sink = MemorySink::default();

        let response = handle(&sink, sample_event()).await.unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(sink.ids(), ["A-1001", "A-1002", "A-1003"]);
        let first = sink.items().into_iter().find(|item| item["id"] == "A-1001");
        assert_eq!(
            first.unwrap(),
            serde_json::json!({ "id": "A-1001", "name": "espresso beans", "quantity": 3 })
        );
    }

    #[tokio::test]
    async fn a_poisoned_message_is_the_only_failure() {
        let mut event = sample_event();
        event.records[1].body = Some("{ not json".into());
        let poisoned = event.records[1].message_id.clone().unwrap();
        let sink = MemorySink::default();

        let response = handle(&sink, event).await.unwrap();

        assert_eq!(failed_ids(&response), [poisoned.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
    }

    #[tokio::test]
    async fn a_message_missing_a_field_fails() {
        let mut event = sample_event();
        event.records[0].body = Some(r#"{"id": "A-1001", "name": "espresso beans"}"#.into());
        let invalid = event.records[0].message_id.clone().unwrap();
        let sink = MemorySink::default();

        let response = handle(&sink, event).await.unwrap();

        assert_eq!(failed_ids(&response), [invalid.as_str()]);
        assert_eq!(sink.ids(), ["A-1002", "A-1003"]);
    }

    #[tokio::test]
    async fn a_sink_failure_fails_only_that_message() {
        let event = sample_event();
        let rejected = event.records[2].message_id.clone().unwrap();
        let sink = MemorySink::failing_on("A-1003");

        let response = handle(&sink, event).await.unwrap();

        assert_eq!(failed_ids(&response), [rejected.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1002"]);
    }

    #[test]
    fn invalid_items_say_what_is_wrong() {
        let missing = Item::from_json(br#"{"id": "A-1", "quantity": 1}"#).unwrap_err();
        assert_eq!(missing.to_string(), "invalid item: missing field `name`");
        let empty_id = Item::from_json(br#"{"id": " ", "name": "x", "quantity": 1}"#);
        assert!(empty_id.unwrap_err().to_string().contains("`id`"));
        let not_json = Item::from_json(b"{ not json").unwrap_err();
        assert!(not_json.to_string().starts_with("body is not valid JSON"));
    }
}
