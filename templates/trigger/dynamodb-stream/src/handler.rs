//! Business logic for DynamoDB Streams: each change of the source table (an item inserted,
//! modified or removed) is stored in the sink as that item's latest state.

use std::time::Duration;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::Error;
use serde::{Deserialize, Serialize};

use crate::poison::{Batch, ParkingLot, PoisonRecord};
use crate::sink::{Sink, Version, Write};

{{> rust/item}}

/// What the function stores for each change, under the item's `id`: the item as it is after
/// an INSERT or a MODIFY, or after a REMOVE a marker that it is gone. So the sink holds the
/// latest state of every item of the table, removals included.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Change {
    /// The item after an INSERT or a MODIFY: `{"id": "A-1001", "name": …, "quantity": …}`.
    Upserted(Item),
    /// The item was removed: `{"id": "A-1003", "removed": true}`.
    Removed { id: String, removed: bool },
}

/// The table's key, as every record carries it (a REMOVE has no new image).
#[derive(Deserialize)]
struct Key {
    id: String,
}

impl Change {
    /// The change a stream record describes, or why it can never be stored.
    pub fn from_record(record: &EventRecord) -> Result<Self, InvalidItem> {
        match record.event_name.as_str() {
            "INSERT" | "MODIFY" => {
                let item: Item = serde_dynamo::from_item(record.change.new_image.clone())
                    .map_err(|error| InvalidItem::Invalid(error.to_string()))?;
                if item.id.trim().is_empty() {
                    return Err(InvalidItem::Invalid("field `id` must not be empty".into()));
                }
                Ok(Self::Upserted(item))
            }
            "REMOVE" => {
                let key: Key = serde_dynamo::from_item(record.change.keys.clone())
                    .map_err(|error| InvalidItem::Invalid(format!("key: {error}")))?;
                Ok(Self::Removed {
                    id: key.id,
                    removed: true,
                })
            }
            other => Err(InvalidItem::Invalid(format!(
                "unknown event name `{other}`"
            ))),
        }
    }
}

/// Stores every change of the batch and returns the sequence numbers of those to retry.
///
/// The writes go to the sink in the stream's order, each with its sequence number as its
/// version: the sink keeps the order of the writes of one item (changes of different items
/// run concurrently), and a change stored over a newer one changes nothing. So a replay is
/// harmless: with `ReportBatchItemFailures`, Lambda retries the shard from the lowest failed
/// sequence number, and the changes after it arrive again.
///
/// A record that is not a valid item never will be: it is parked (see `poison`) rather than
/// reported, so it does not hold up the shard. Only a park that fails reports it for retry.
///
/// `budget` is the time the AWS calls may take (see `timeouts`): whatever is not stored or
/// parked by then is reported as failed, so the function still answers before its deadline.
pub async fn handle<S: Sink, P: ParkingLot>(
    sink: &S,
    parking: &P,
    event: Event,
    budget: Duration,
) -> Result<DynamoDbEventResponse, Error> {
    let mut batch = Batch::default();
    for record in event.records {
        let sequence_number = sequence_number_of(&record);
        match Change::from_record(&record) {
            Ok(change) => {
                let version = Version::decimal(&sequence_number);
                let write = Write {
                    item: change,
                    version,
                };
                batch.store(sequence_number, write);
            }
            Err(invalid) => {
                tracing::warn!(%sequence_number, error = %invalid, "poison record; parking it");
                batch.park(sequence_number, poison_record(record, invalid.to_string()));
            }
        }
    }

    let failed = batch.store_and_park(sink, parking, budget).await;

    // The response types are `#[non_exhaustive]`: built from `Default`, field by field.
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed.into_iter().map(batch_item_failure).collect();
    Ok(response)
}

/// The id Lambda retries a record by. Every stream record has one; a record without one could
/// not be named in `batchItemFailures` and is reported as "" (Lambda then retries the batch).
fn sequence_number_of(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

fn batch_item_failure(sequence_number: String) -> DynamoDbBatchItemFailure {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence_number);
    failure
}

/// What is parked for a record: the stream record as it arrived (its keys and images in
/// DynamoDB's typed JSON), and the stream, event id and sequence number to find or replay it by.
fn poison_record(record: EventRecord, reason: String) -> PoisonRecord {
    let sequence_number = sequence_number_of(&record);
    let mut source = serde_json::Map::new();
    source.insert("eventSourceArn".into(), record.event_source_arn.into());
    source.insert("eventId".into(), record.event_id.into());
    source.insert("eventName".into(), record.event_name.into());
    source.insert("sequenceNumber".into(), sequence_number.into());
    // A record that was just read from JSON writes back as JSON; if it ever did not, the
    // reason and the source above still say which record it was.
    let payload = serde_json::to_vec(&record.change).unwrap_or_default();
    PoisonRecord {
        payload,
        reason,
        source,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::poison::memory::MemoryParkingLot;
    use crate::sink::memory::MemorySink;

    /// Ample time: the tests' sinks answer at once unless they hang.
    const BUDGET: Duration = Duration::from_secs(60);

    const SAMPLE: &str = include_str!("../events/dynamodb-stream.json");

    fn sample_json() -> Value {
        serde_json::from_str(SAMPLE).expect("events/dynamodb-stream.json")
    }

    fn event_of(json: Value) -> Event {
        serde_json::from_value(json).expect("a DynamoDB stream event")
    }

    fn sample_event() -> Event {
        event_of(sample_json())
    }

    fn sequence_numbers(event: &Event) -> Vec<String> {
        event.records.iter().map(sequence_number_of).collect()
    }

    fn failed_ids(response: &DynamoDbEventResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .filter_map(|failure| failure.item_identifier.as_deref())
            .collect()
    }

    /// A batch of changes in stream order: (event name, id, name), each with a sequence number
    /// longer than the one before, as they grow past a power of ten at times.
    fn changes(records: &[(&str, &str, &str)]) -> Event {
        let records: Vec<Value> = records
            .iter()
            .enumerate()
            .map(|(n, (event_name, id, name))| {
                let image =
                    json!({ "id": { "S": id }, "name": { "S": name }, "quantity": { "N": "1" } });
                let mut change = json!({
                    "Keys": { "id": { "S": id } },
                    "SequenceNumber": format!("{}", 9 * 10u64.pow(n as u32)),
                    "SizeBytes": 40,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                });
                let side = if *event_name == "REMOVE" {
                    "OldImage"
                } else {
                    "NewImage"
                };
                change[side] = image;
                json!({
                    "eventID": format!("e-{n}"),
                    "eventName": event_name,
                    "awsRegion": "us-east-1",
                    "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/S",
                    "dynamodb": change,
                })
            })
            .collect();
        event_of(json!({ "Records": records }))
    }

    #[tokio::test]
    async fn the_sample_event_stores_each_items_latest_state() {
        let sink = MemorySink::default();

        let response = handle(&sink, &MemoryParkingLot::default(), sample_event(), BUDGET)
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(
            sink.items(),
            [
                json!({ "id": "A-1001", "name": "espresso beans", "quantity": 3 }),
                json!({ "id": "A-1002", "name": "oat milk", "quantity": 10 }),
                json!({ "id": "A-1003", "removed": true }),
            ]
        );
    }

    #[tokio::test]
    async fn a_poison_record_is_parked_with_the_stream_record_and_not_retried() {
        let mut json = sample_json();
        json["Records"][1]["dynamodb"]["NewImage"]["quantity"] = json!({ "S": "ten" });
        let event = event_of(json);
        let poisoned = event.records[1].clone();
        let sink = MemorySink::default();
        let parking = MemoryParkingLot::default();

        let response = handle(&sink, &parking, event, BUDGET).await.unwrap();

        assert!(failed_ids(&response).is_empty(), "not retried");
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
        let parked = parking.parked();
        assert_eq!(parked.len(), 1);
        assert!(
            parked[0]["reason"]
                .as_str()
                .unwrap()
                .starts_with("invalid item:"),
            "{}",
            parked[0]["reason"]
        );
        assert_eq!(parked[0]["payloadEncoding"], "text");
        let payload: Value = serde_json::from_str(parked[0]["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["NewImage"]["quantity"], json!({ "S": "ten" }));
        assert_eq!(payload["Keys"]["id"], json!({ "S": "A-1002" }));
        assert_eq!(
            parked[0]["source"],
            json!({
                "eventSourceArn": poisoned.event_source_arn,
                "eventId": poisoned.event_id,
                "eventName": "MODIFY",
                "sequenceNumber": poisoned.change.sequence_number,
            })
        );
    }

    #[tokio::test]
    async fn an_item_missing_a_field_is_parked() {
        let mut json = sample_json();
        let image = json["Records"][0]["dynamodb"]["NewImage"]
            .as_object_mut()
            .unwrap();
        image.remove("name");
        let parking = MemoryParkingLot::default();

        let response = handle(&MemorySink::default(), &parking, event_of(json), BUDGET)
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(
            parking.parked()[0]["reason"],
            "invalid item: missing field `name`"
        );
    }

    #[tokio::test]
    async fn a_removal_without_a_string_id_is_parked() {
        let mut json = sample_json();
        json["Records"][2]["dynamodb"]["Keys"] = json!({ "id": { "N": "7" } });
        let sink = MemorySink::default();
        let parking = MemoryParkingLot::default();

        let response = handle(&sink, &parking, event_of(json), BUDGET)
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(sink.ids(), ["A-1001", "A-1002"]);
        assert!(
            parking.parked()[0]["reason"]
                .as_str()
                .unwrap()
                .starts_with("invalid item: key:")
        );
    }

    #[tokio::test]
    async fn a_poison_record_that_cannot_be_parked_is_retried() {
        let mut json = sample_json();
        json["Records"][1]["dynamodb"]["NewImage"] = json!({});
        let event = event_of(json);
        let poisoned = sequence_numbers(&event)[1].clone();
        let sink = MemorySink::default();

        let response = handle(&sink, &MemoryParkingLot::failing(), event, BUDGET)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), [poisoned.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
    }

    #[tokio::test]
    async fn a_sink_failure_fails_only_that_record_by_its_sequence_number() {
        let event = sample_event();
        let rejected = sequence_numbers(&event)[2].clone();
        let sink = MemorySink::failing_on("A-1003");

        let response = handle(&sink, &MemoryParkingLot::default(), event, BUDGET)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), [rejected.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1002"]);
    }

    #[tokio::test]
    async fn of_two_changes_to_one_item_the_later_one_is_stored() {
        let event = changes(&[
            ("INSERT", "A-1", "first"),
            ("INSERT", "A-2", "other"),
            ("MODIFY", "A-1", "second"),
        ]);
        let sink = MemorySink::default();

        let response = handle(&sink, &MemoryParkingLot::default(), event, BUDGET)
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(sink.items()[0]["name"], "second");
    }

    #[tokio::test]
    async fn an_item_inserted_then_removed_in_one_batch_ends_removed() {
        let event = changes(&[("INSERT", "A-1", "first"), ("REMOVE", "A-1", "first")]);
        let sink = MemorySink::default();

        handle(&sink, &MemoryParkingLot::default(), event, BUDGET)
            .await
            .unwrap();

        assert_eq!(sink.items(), [json!({ "id": "A-1", "removed": true })]);
    }

    #[tokio::test]
    async fn replaying_an_older_batch_after_a_newer_one_changes_nothing() {
        let older = changes(&[("INSERT", "A-1", "old")]);
        let mut newer = changes(&[("INSERT", "A-9", "x"), ("MODIFY", "A-1", "new")]);
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
        let all = sequence_numbers(&event);
        let sink = MemorySink::hanging_on("A-1002");

        let budget = Duration::from_millis(100);
        let response = handle(&sink, &MemoryParkingLot::default(), event, budget)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), all);
    }

    #[test]
    fn an_unknown_event_name_is_not_a_change() {
        let mut record = sample_event().records.remove(0);
        record.event_name = "TRUNCATE".into();
        assert_eq!(
            Change::from_record(&record).unwrap_err().to_string(),
            "invalid item: unknown event name `TRUNCATE`"
        );
    }
}
