//! Business logic for Kinesis: each record's data is a JSON [`Item`] to store in the sink.

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::KinesisEventResponse;
use futures_util::stream::{self, StreamExt};
use lambda_runtime::Error;
use serde::{Deserialize, Serialize};

use crate::sink::Sink;

/// How many records are processed at once. The sink calls are I/O, so a batch finishes in
/// about the time of its slowest few calls instead of the sum of all of them.
const CONCURRENCY: usize = 10;

{{> rust/item}}

/// Stores every record of the batch and returns the sequence numbers of those that failed.
///
/// With `ReportBatchItemFailures`, Lambda retries the shard from the lowest failed sequence
/// number, so records after it may arrive again: writes should be idempotent (a DynamoDB
/// `put_item` of the same `id` is). An invalid record fails too, and after the event source
/// mapping's retries it goes to the on-failure destination for you to inspect.
pub async fn handle<S: Sink>(sink: &S, event: KinesisEvent) -> Result<KinesisEventResponse, Error> {
    let failed: Vec<String> = stream::iter(event.records)
        .map(|record| process(sink, record))
        .buffered(CONCURRENCY)
        .filter_map(|outcome| async move { outcome.err() })
        .collect()
        .await;

    let mut response = KinesisEventResponse::default();
    response.set_failures(failed);
    Ok(response)
}

/// Processes one record; on failure returns its sequence number.
async fn process<S: Sink>(sink: &S, record: KinesisEventRecord) -> Result<(), String> {
    let sequence_number = record.kinesis.sequence_number;
    let outcome = match Item::from_json(&record.kinesis.data) {
        Ok(item) => sink.put(&item).await,
        Err(invalid) => Err(invalid.into()),
    };
    outcome.map_err(|error| {
        tracing::warn!(%sequence_number, %error, "record failed; Kinesis will retry it");
        sequence_number
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::memory::MemorySink;

    fn sample_event() -> KinesisEvent {
        serde_json::from_str(include_str!("../events/kinesis.json")).expect("events/kinesis.json")
    }

    fn failed_ids(response: &KinesisEventResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .filter_map(|failure| failure.item_identifier.as_deref())
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
    async fn a_poisoned_record_is_the_only_failure() {
        let mut event = sample_event();
        *event.records[1].kinesis.data = b"{ not json".to_vec();
        let poisoned = event.records[1].kinesis.sequence_number.clone();
        let sink = MemorySink::default();

        let response = handle(&sink, event).await.unwrap();

        assert_eq!(failed_ids(&response), [poisoned.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
    }

    #[tokio::test]
    async fn a_record_missing_a_field_fails() {
        let mut event = sample_event();
        *event.records[0].kinesis.data = br#"{"id": "A-1001", "quantity": 3}"#.to_vec();
        let invalid = event.records[0].kinesis.sequence_number.clone();
        let sink = MemorySink::default();

        let response = handle(&sink, event).await.unwrap();

        assert_eq!(failed_ids(&response), [invalid.as_str()]);
        assert_eq!(sink.ids(), ["A-1002", "A-1003"]);
    }

    #[tokio::test]
    async fn a_sink_failure_fails_only_that_record() {
        let event = sample_event();
        let rejected = event.records[2].kinesis.sequence_number.clone();
        let sink = MemorySink::failing_on("A-1003");

        let response = handle(&sink, event).await.unwrap();

        assert_eq!(failed_ids(&response), [rejected.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1002"]);
    }

    #[test]
    fn invalid_items_say_what_is_wrong() {
        let missing = Item::from_json(br#"{"id": "A-1", "quantity": 1}"#).unwrap_err();
        assert_eq!(missing.to_string(), "invalid item: missing field `name`");
        let not_json = Item::from_json(b"{ not json").unwrap_err();
        assert!(not_json.to_string().starts_with("body is not valid JSON"));
    }
}
