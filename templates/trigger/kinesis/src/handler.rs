//! Business logic for Kinesis: each record's data is a JSON [`Item`] to store in the sink.

use std::time::Duration;

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use lambda_runtime::Error;
use serde::{Deserialize, Serialize};

use crate::sink::{Sink, Version, Write};

{{> rust/item}}

/// Stores every record of the batch and returns the sequence numbers of those that failed.
///
/// The writes go to the sink in the shard's order, each with its sequence number as its
/// version: the sink keeps the order of the writes of one item, and a record stored over a
/// newer one changes nothing. So a replay is harmless: with `ReportBatchItemFailures`, Lambda
/// retries the shard from the lowest failed sequence number, and records after it arrive again.
///
/// `budget` is the time the AWS calls may take (see `timeouts`): whatever is not stored by
/// then is reported as failed, so the function still answers before its deadline.
pub async fn handle<S: Sink>(
    sink: &S,
    event: KinesisEvent,
    budget: Duration,
) -> Result<KinesisEventResponse, Error> {
    let mut failed = Vec::new();
    let mut writes = Vec::new();
    let mut sequence_numbers = Vec::new();
    for record in event.records {
        let sequence_number = record.kinesis.sequence_number;
        match Item::from_json(&record.kinesis.data) {
            Ok(item) => {
                let version = Version::decimal(&sequence_number);
                writes.push(Write { item, version });
                sequence_numbers.push(sequence_number);
            }
            Err(invalid) => {
                tracing::warn!(%sequence_number, error = %invalid, "record failed; Kinesis will retry it");
                failed.push(sequence_number);
            }
        }
    }

    match tokio::time::timeout(budget, sink.put_all(&writes)).await {
        Ok(results) => {
            for (result, sequence_number) in results.into_iter().zip(sequence_numbers) {
                if let Err(error) = result {
                    tracing::warn!(%sequence_number, %error, "record failed; Kinesis will retry it");
                    failed.push(sequence_number);
                }
            }
        }
        Err(_) => {
            let records = writes.len();
            tracing::error!(records, "out of time storing the batch; Kinesis retries it");
            failed.extend(sequence_numbers);
        }
    }

    let mut response = KinesisEventResponse::default();
    response.set_failures(failed);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::memory::MemorySink;

    /// Ample time: the tests' sinks answer at once unless they hang.
    const BUDGET: Duration = Duration::from_secs(60);

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

        let response = handle(&sink, sample_event(), BUDGET).await.unwrap();

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

        let response = handle(&sink, event, BUDGET).await.unwrap();

        assert_eq!(failed_ids(&response), [poisoned.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
    }

    #[tokio::test]
    async fn a_record_missing_a_field_fails() {
        let mut event = sample_event();
        *event.records[0].kinesis.data = br#"{"id": "A-1001", "quantity": 3}"#.to_vec();
        let invalid = event.records[0].kinesis.sequence_number.clone();
        let sink = MemorySink::default();

        let response = handle(&sink, event, BUDGET).await.unwrap();

        assert_eq!(failed_ids(&response), [invalid.as_str()]);
        assert_eq!(sink.ids(), ["A-1002", "A-1003"]);
    }

    #[tokio::test]
    async fn a_sink_failure_fails_only_that_record() {
        let event = sample_event();
        let rejected = event.records[2].kinesis.sequence_number.clone();
        let sink = MemorySink::failing_on("A-1003");

        let response = handle(&sink, event, BUDGET).await.unwrap();

        assert_eq!(failed_ids(&response), [rejected.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1002"]);
    }

    /// The sample event with its records' data replaced, in order.
    fn event_with(data: &[&str]) -> KinesisEvent {
        let mut event = sample_event();
        let template = event.records[0].clone();
        event.records = data
            .iter()
            .enumerate()
            .map(|(n, data)| {
                let mut record = template.clone();
                *record.kinesis.data = data.as_bytes().to_vec();
                // Sequence numbers grow by more than one digit across a batch at times.
                record.kinesis.sequence_number = format!("{}", 9 * 10u64.pow(n as u32));
                record
            })
            .collect();
        event
    }

    #[tokio::test]
    async fn of_two_records_for_one_id_the_later_one_is_stored() {
        let event = event_with(&[
            r#"{"id": "A-1", "name": "first", "quantity": 1}"#,
            r#"{"id": "A-2", "name": "other", "quantity": 1}"#,
            r#"{"id": "A-1", "name": "second", "quantity": 2}"#,
        ]);
        let sink = MemorySink::default();

        let response = handle(&sink, event, BUDGET).await.unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(sink.items()[0]["name"], "second");
    }

    #[tokio::test]
    async fn replaying_an_older_batch_after_a_newer_one_changes_nothing() {
        let older = event_with(&[r#"{"id": "A-1", "name": "old", "quantity": 1}"#]);
        let mut newer = event_with(&[
            r#"{"id": "A-9", "name": "x", "quantity": 1}"#,
            r#"{"id": "A-1", "name": "new", "quantity": 2}"#,
        ]);
        newer.records.remove(0);
        let sink = MemorySink::default();

        handle(&sink, older.clone(), BUDGET).await.unwrap();
        handle(&sink, newer, BUDGET).await.unwrap();
        let stored = sink.items();
        let replay = handle(&sink, older, BUDGET).await.unwrap();

        assert!(failed_ids(&replay).is_empty(), "not a failure");
        assert_eq!(sink.items(), stored);
        assert_eq!(stored[0]["name"], "new");
    }

    #[tokio::test]
    async fn a_hung_sink_fails_the_batch_when_time_is_up() {
        let event = sample_event();
        let all: Vec<String> = event
            .records
            .iter()
            .map(|record| record.kinesis.sequence_number.clone())
            .collect();
        let sink = MemorySink::hanging_on("A-1002");

        let budget = Duration::from_millis(100);
        let response = handle(&sink, event, budget).await.unwrap();

        assert_eq!(failed_ids(&response), all);
    }

    #[test]
    fn invalid_items_say_what_is_wrong() {
        let missing = Item::from_json(br#"{"id": "A-1", "quantity": 1}"#).unwrap_err();
        assert_eq!(missing.to_string(), "invalid item: missing field `name`");
        let not_json = Item::from_json(b"{ not json").unwrap_err();
        assert!(not_json.to_string().starts_with("body is not valid JSON"));
    }
}
