//! Business logic for Kinesis: each record's data is a JSON [`Item`] to store in the sink.

use std::time::Duration;

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::KinesisEventResponse;
use lambda_runtime::Error;
use serde::{Deserialize, Serialize};

use crate::poison::{Batch, ParkingLot, PoisonRecord};
use crate::sink::{Sink, Version, Write};

{{> rust/item}}

/// Stores every record of the batch and returns the sequence numbers of those to retry.
///
/// The writes go to the sink in the shard's order, each with its sequence number as its
/// version: the sink keeps the order of the writes of one item, and a record stored over a
/// newer one changes nothing. So a replay is harmless: with `ReportBatchItemFailures`, Lambda
/// retries the shard from the lowest failed sequence number, and records after it arrive again.
///
/// A record that is not a valid item never will be: it is parked (see `poison`) rather than
/// reported, so it does not hold up the shard. Only a park that fails reports it for retry.
///
/// `budget` is the time the AWS calls may take (see `timeouts`): whatever is not stored or
/// parked by then is reported as failed, so the function still answers before its deadline.
pub async fn handle<S: Sink, P: ParkingLot>(
    sink: &S,
    parking: &P,
    event: KinesisEvent,
    budget: Duration,
) -> Result<KinesisEventResponse, Error> {
    let mut batch = Batch::default();
    for record in event.records {
        let sequence_number = record.kinesis.sequence_number.clone();
        match Item::from_json(&record.kinesis.data) {
            Ok(item) => {
                let version = Version::decimal(&sequence_number);
                batch.store(sequence_number, Write { item, version });
            }
            Err(invalid) => {
                tracing::warn!(%sequence_number, error = %invalid, "poison record; parking it");
                batch.park(sequence_number, poison_record(record, invalid.to_string()));
            }
        }
    }

    let failed = batch.store_and_park(sink, parking, budget).await;

    let mut response = KinesisEventResponse::default();
    response.set_failures(failed);
    Ok(response)
}

/// What is parked for a record: its data as it arrived, and the stream, shard, sequence number
/// and partition key to find or replay it by.
fn poison_record(record: KinesisEventRecord, reason: String) -> PoisonRecord {
    let sequence_number = record.kinesis.sequence_number;
    // The event id is `<shard id>:<sequence number>`.
    let shard_id = record
        .event_id
        .as_deref()
        .and_then(|id| id.split_once(':'))
        .map(|(shard_id, _)| shard_id.to_owned());
    let mut source = serde_json::Map::new();
    source.insert("eventSourceArn".into(), record.event_source_arn.into());
    source.insert("shardId".into(), shard_id.into());
    source.insert("sequenceNumber".into(), sequence_number.into());
    source.insert("partitionKey".into(), record.kinesis.partition_key.into());
    let payload = record.kinesis.data.0;
    PoisonRecord {
        payload,
        reason,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poison::memory::MemoryParkingLot;
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

        let response = handle(&sink, &MemoryParkingLot::default(), sample_event(), BUDGET)
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(sink.ids(), ["A-1001", "A-1002", "A-1003"]);
        let first = sink.items().into_iter().find(|item| item["id"] == "A-1001");
        assert_eq!(
            first.unwrap(),
            serde_json::json!({ "id": "A-1001", "name": "espresso beans", "quantity": 3 })
        );
    }

    #[tokio::test]
    async fn a_poison_record_is_parked_with_its_payload_and_not_retried() {
        let mut event = sample_event();
        *event.records[1].kinesis.data = b"{ not json".to_vec();
        let poisoned = event.records[1].clone();
        let sink = MemorySink::default();
        let parking = MemoryParkingLot::default();

        let response = handle(&sink, &parking, event, BUDGET).await.unwrap();

        assert!(failed_ids(&response).is_empty(), "not retried");
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
        let parked = parking.parked();
        assert_eq!(parked.len(), 1);
        assert_eq!(parked[0]["payload"], "{ not json");
        assert_eq!(parked[0]["payloadEncoding"], "text");
        assert!(
            parked[0]["reason"]
                .as_str()
                .unwrap()
                .starts_with("body is not valid JSON")
        );
        assert_eq!(
            parked[0]["source"],
            serde_json::json!({
                "eventSourceArn": poisoned.event_source_arn,
                "shardId": "shardId-000000000000",
                "sequenceNumber": poisoned.kinesis.sequence_number,
                "partitionKey": poisoned.kinesis.partition_key,
            })
        );
    }

    #[tokio::test]
    async fn a_record_missing_a_field_is_parked() {
        let mut event = sample_event();
        *event.records[0].kinesis.data = br#"{"id": "A-1001", "quantity": 3}"#.to_vec();
        let sink = MemorySink::default();
        let parking = MemoryParkingLot::default();

        let response = handle(&sink, &parking, event, BUDGET).await.unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(sink.ids(), ["A-1002", "A-1003"]);
        let parked = parking.parked();
        assert_eq!(parked[0]["reason"], "invalid item: missing field `name`");
    }

    #[tokio::test]
    async fn binary_data_is_parked_as_base64() {
        let mut event = sample_event();
        *event.records[2].kinesis.data = vec![0xff, 0xfe, 0x00];
        let parking = MemoryParkingLot::default();

        let response = handle(&MemorySink::default(), &parking, event, BUDGET)
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(parking.parked()[0]["payloadEncoding"], "base64");
        assert_eq!(parking.parked()[0]["payload"], "//4A");
    }

    #[tokio::test]
    async fn a_poison_record_that_cannot_be_parked_is_retried() {
        let mut event = sample_event();
        *event.records[1].kinesis.data = b"{ not json".to_vec();
        let poisoned = event.records[1].kinesis.sequence_number.clone();
        let sink = MemorySink::default();

        let response = handle(&sink, &MemoryParkingLot::failing(), event, BUDGET)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), [poisoned.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
    }

    #[tokio::test]
    async fn a_sink_failure_fails_only_that_record() {
        let event = sample_event();
        let rejected = event.records[2].kinesis.sequence_number.clone();
        let sink = MemorySink::failing_on("A-1003");

        let response = handle(&sink, &MemoryParkingLot::default(), event, BUDGET)
            .await
            .unwrap();

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

        let response = handle(&sink, &MemoryParkingLot::default(), event, BUDGET)
            .await
            .unwrap();

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

        handle(&sink, &MemoryParkingLot::default(), older.clone(), BUDGET)
            .await
            .unwrap();
        handle(&sink, &MemoryParkingLot::default(), newer, BUDGET)
            .await
            .unwrap();
        let stored = sink.items();
        let replay = handle(&sink, &MemoryParkingLot::default(), older, BUDGET)
            .await
            .unwrap();

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
        let response = handle(&sink, &MemoryParkingLot::default(), event, budget)
            .await
            .unwrap();

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
