//! Business logic for SQS: each message body is a JSON [`Item`] to store in the sink.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::Error;
use serde::{Deserialize, Serialize};

use crate::poison::{Batch, ParkingLot, PoisonRecord};
use crate::sink::{Sink, Version, Write};

{{> rust/item}}

/// Stores every message of the batch and returns the ids of those to retry.
///
/// Only those messages go back to the queue (`ReportBatchItemFailures`): they are retried
/// and, after the queue's `maxReceiveCount`, moved to the dead-letter queue. A standard queue
/// delivers in no particular order, so each write simply replaces what is stored.
///
/// A message that is not a valid item never will be: rather than wait out its retries, it is
/// parked on the dead-letter queue at once (see `poison`), with why. Only a park that fails
/// sends it back to the queue.
///
/// `budget` is the time the AWS calls may take (see `timeouts`): whatever is not stored or
/// parked by then is reported as failed, so the function still answers before its deadline.
pub async fn handle<S: Sink, P: ParkingLot>(
    sink: &S,
    parking: &P,
    event: SqsEvent,
    budget: Duration,
) -> Result<SqsBatchResponse, Error> {
    let mut batch = Batch::default();
    for message in event.records {
        // Lambda treats a failure without an id as a failure of the whole batch, which is the
        // safe outcome for a message we can't name.
        let message_id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        match Item::from_json(body.as_bytes()) {
            Ok(item) => {
                let version = Version::Unordered;
                batch.store(message_id, Write { item, version });
            }
            Err(invalid) => {
                tracing::warn!(%message_id, error = %invalid, "poison message; parking it");
                batch.park(message_id, poison_record(message, invalid.to_string()));
            }
        }
    }

    let failed = batch.store_and_park(sink, parking, budget).await;

    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    Ok(response)
}

/// What is parked for a message: its body as it arrived, and its queue and id.
fn poison_record(message: SqsMessage, reason: String) -> PoisonRecord {
    let mut source = serde_json::Map::new();
    source.insert("eventSourceArn".into(), message.event_source_arn.into());
    source.insert("messageId".into(), message.message_id.into());
    let payload = message.body.unwrap_or_default().into_bytes();
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
    async fn a_poison_message_is_parked_with_its_body_and_not_retried() {
        let mut event = sample_event();
        event.records[1].body = Some("{ not json".into());
        let poisoned = event.records[1].clone();
        let sink = MemorySink::default();
        let parking = MemoryParkingLot::default();

        let response = handle(&sink, &parking, event, BUDGET).await.unwrap();

        assert!(failed_ids(&response).is_empty(), "not retried");
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
        let parked = parking.parked();
        assert_eq!(parked.len(), 1);
        assert_eq!(parked[0]["payload"], "{ not json");
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
                "messageId": poisoned.message_id,
            })
        );
    }

    #[tokio::test]
    async fn a_message_missing_a_field_is_parked() {
        let mut event = sample_event();
        event.records[0].body = Some(r#"{"id": "A-1001", "name": "espresso beans"}"#.into());
        let sink = MemorySink::default();
        let parking = MemoryParkingLot::default();

        let response = handle(&sink, &parking, event, BUDGET).await.unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(sink.ids(), ["A-1002", "A-1003"]);
        assert_eq!(
            parking.parked()[0]["reason"],
            "invalid item: missing field `quantity`"
        );
    }

    #[tokio::test]
    async fn a_poison_message_that_cannot_be_parked_is_retried() {
        let mut event = sample_event();
        event.records[1].body = Some("{ not json".into());
        let poisoned = event.records[1].message_id.clone().unwrap();
        let sink = MemorySink::default();

        let response = handle(&sink, &MemoryParkingLot::failing(), event, BUDGET)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), [poisoned.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1003"]);
    }

    #[tokio::test]
    async fn a_sink_failure_fails_only_that_message() {
        let event = sample_event();
        let rejected = event.records[2].message_id.clone().unwrap();
        let sink = MemorySink::failing_on("A-1003");

        let response = handle(&sink, &MemoryParkingLot::default(), event, BUDGET)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), [rejected.as_str()]);
        assert_eq!(sink.ids(), ["A-1001", "A-1002"]);
    }

    #[tokio::test]
    async fn a_hung_sink_fails_the_batch_when_time_is_up() {
        let event = sample_event();
        let all: Vec<String> = event
            .records
            .iter()
            .map(|message| message.message_id.clone().unwrap())
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
        let empty_id = Item::from_json(br#"{"id": " ", "name": "x", "quantity": 1}"#);
        assert!(empty_id.unwrap_err().to_string().contains("`id`"));
        let not_json = Item::from_json(b"{ not json").unwrap_err();
        assert!(not_json.to_string().starts_with("body is not valid JSON"));
    }
}
