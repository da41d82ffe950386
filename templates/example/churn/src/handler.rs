//! Business logic: score each customer in the batch and send one message per prediction.

use std::borrow::Cow;
use std::time::Duration;

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::KinesisEventResponse;
use futures_util::stream::{self, StreamExt};
use lambda_runtime::Error;
use rayon::prelude::*;

use crate::float;
use crate::model::{Customer, InvalidRecord, Label, Model};
use crate::publish::{Entry, Publisher};

/// From this many records on, the batch is scored on all of rayon's threads. A record takes
/// about a microsecond to parse, score and serialise, and handing work to rayon some 20 µs
/// (60 when its threads sleep between invocations): on two vCPUs, splitting pays from roughly
/// 32 to 100 records.
const PARALLEL_FROM: usize = 64;

/// The most messages `SendMessageBatch` takes.
const CHUNK: usize = 10;

/// How many `SendMessageBatch` requests are in flight at once: a batch of 500 records takes
/// about the time of 5 round trips instead of 50.
const MAX_IN_FLIGHT: usize = 10;

/// How many times a message that SQS refused through no fault of ours (throttling, an internal
/// error) is sent, the first time included, before its record is reported for Kinesis to retry.
/// The Node.js and Python twins try as many times, with the same waits.
const ENTRY_ATTEMPTS: u32 = 3;

/// The wait before the second attempt; it doubles before each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(25);

/// Where a batch is scored: on rayon's threads, or on the handler's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scoring {
    Sequential,
    Parallel,
}

impl Scoring {
    /// Parallel with more than one vCPU. On one, rayon's threads would only take turns on it:
    /// Lambda gives a function CPU in proportion to its memory, a whole vCPU at 1769 MB.
    pub fn for_vcpus(vcpus: usize) -> Self {
        if vcpus > 1 {
            Self::Parallel
        } else {
            Self::Sequential
        }
    }

    /// For the vCPUs this process may use (its cgroup's CPU quota included).
    pub fn for_this_environment() -> Self {
        Self::for_vcpus(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

/// Scores every record of the batch, sends the predictions, and returns the sequence numbers
/// of the records that failed: invalid ones and those whose message was not sent.
///
/// With `ReportBatchItemFailures`, Lambda retries the shard from the lowest failed sequence
/// number, so records after it may arrive again and their messages be sent twice: consumers
/// should tolerate duplicates. An invalid record fails on every retry, and after the event
/// source mapping's retries it goes to the on-failure destination for you to inspect.
pub async fn handle<P: Publisher>(
    model: &Model,
    scoring: Scoring,
    publisher: &P,
    event: KinesisEvent,
) -> Result<KinesisEventResponse, Error> {
    let records = event.records;
    let bodies = if scoring == Scoring::Parallel && records.len() >= PARALLEL_FROM {
        // rayon's threads do the work while this one waits for them: hand this async worker's
        // other tasks (the SDK's connections among them) to another thread meanwhile.
        off_the_async_worker(|| message_bodies(model, &records, Scoring::Parallel))
    } else {
        message_bodies(model, &records, Scoring::Sequential)
    };

    let mut failed = Vec::new();
    let mut entries = Vec::new();
    for (index, body) in bodies.into_iter().enumerate() {
        match body {
            Ok(body) => entries.push(Entry {
                id: index.to_string(),
                body,
            }),
            Err(invalid) => {
                log_failure(&records[index], &invalid, "invalid record, not scored");
                failed.push(index);
            }
        }
    }

    let unsent: Vec<Vec<usize>> = stream::iter(entries.chunks(CHUNK))
        .map(|chunk| send_chunk(publisher, chunk, &records))
        .buffer_unordered(MAX_IN_FLIGHT)
        .collect()
        .await;
    failed.extend(unsent.into_iter().flatten());
    // Requests finish in any order; the response lists failures in record order.
    failed.sort_unstable();

    let mut response = KinesisEventResponse::default();
    response.set_failures(
        failed
            .into_iter()
            .map(|index| records[index].kinesis.sequence_number.clone()),
    );
    Ok(response)
}

/// Runs CPU-bound `work` on this thread, telling tokio first (`block_in_place`) so that the
/// worker's other tasks move to another thread instead of waiting. Only the multi-threaded
/// runtime can do that; on the current-thread one (main.rs's, and the tests') `work` simply
/// runs, and the SDK's idle connections wait the fraction of a millisecond it takes.
fn off_the_async_worker<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Parses, scores and serialises each record: one message body, or why there is none.
fn message_bodies(
    model: &Model,
    records: &[KinesisEventRecord],
    scoring: Scoring,
) -> Vec<Result<String, InvalidRecord>> {
    let body = |record: &KinesisEventRecord| message_body(model, &record.kinesis.data);
    match scoring {
        Scoring::Parallel => records.par_iter().map(body).collect(),
        Scoring::Sequential => records.iter().map(body).collect(),
    }
}

/// The message: `{"customer_id":…,"probability":…,"label":…,"model_version":…}`, written by
/// hand so that every byte is the twins' too: strings escaped as `JSON.stringify` escapes them
/// (serde_json's escapes are the same), the probability as JavaScript prints numbers.
fn message_body(model: &Model, data: &[u8]) -> Result<String, InvalidRecord> {
    let customer = Customer::from_json(data)?;
    let prediction = model.score(&customer)?;
    let label = match prediction.label {
        Label::Churn => "churn",
        Label::Stay => "stay",
    };
    let json_string = |text: &str| serde_json::to_string(text).expect("a string serialises");
    let mut body = String::with_capacity(96 + customer.customer_id.len());
    body.push_str("{\"customer_id\":");
    body.push_str(&json_string(&customer.customer_id));
    body.push_str(",\"probability\":");
    float::write_number(&mut body, prediction.probability);
    body.push_str(",\"label\":\"");
    body.push_str(label);
    body.push_str("\",\"model_version\":");
    body.push_str(&json_string(model.version()));
    body.push('}');
    Ok(body)
}

/// Sends one chunk and returns the indexes of its records whose message was not sent. Messages
/// SQS refuses through no fault of ours are sent again, up to [`ENTRY_ATTEMPTS`] times in all.
async fn send_chunk<P: Publisher>(
    publisher: &P,
    chunk: &[Entry],
    records: &[KinesisEventRecord],
) -> Vec<usize> {
    // The ids are the records' indexes in the batch.
    let index = |entry: &Entry| entry.id.parse::<usize>().expect("ids are record indexes");
    let mut pending = Cow::Borrowed(chunk);
    let mut unsent: Vec<(usize, String)> = Vec::new();
    for attempt in 1..=ENTRY_ATTEMPTS {
        let refused = match publisher.send_batch(&pending).await {
            Ok(refused) => refused,
            Err(error) => {
                // The SDK has retried the request already.
                let reason = error.to_string();
                unsent.extend(pending.iter().map(|entry| (index(entry), reason.clone())));
                break;
            }
        };
        let mut again = Vec::new();
        for failure in refused {
            let Some(entry) = pending.iter().find(|entry| entry.id == failure.id) else {
                continue;
            };
            if failure.sender_fault || attempt == ENTRY_ATTEMPTS {
                unsent.push((index(entry), failure.reason));
            } else {
                again.push(entry.clone());
            }
        }
        if again.is_empty() {
            break;
        }
        tokio::time::sleep(FIRST_BACKOFF * 2_u32.pow(attempt - 1)).await;
        pending = Cow::Owned(again);
    }
    for (index, reason) in &unsent {
        log_failure(&records[*index], reason, "message not sent");
    }
    unsent.into_iter().map(|(index, _)| index).collect()
}

fn log_failure(record: &KinesisEventRecord, reason: &dyn std::fmt::Display, what: &str) {
    tracing::warn!(
        sequence_number = %record.kinesis.sequence_number,
        %reason,
        "{what}; Kinesis will retry the record"
    );
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::TEST_MODEL;
    use crate::publish::memory::MemoryPublisher;

    fn test_model() -> Model {
        Model::from_json(TEST_MODEL).unwrap()
    }

    fn sample_event() -> KinesisEvent {
        serde_json::from_str(include_str!("../events/kinesis.json")).expect("events/kinesis.json")
    }

    /// A varied but valid customer, different for each `i`.
    fn customer(i: usize) -> Value {
        const CONTRACTS: [&str; 3] = ["month-to-month", "one-year", "two-year"];
        const PAYMENTS: [&str; 4] = [
            "electronic-check",
            "mailed-check",
            "bank-transfer",
            "credit-card",
        ];
        const INTERNET: [&str; 3] = ["fiber-optic", "dsl", "none"];
        let tenure = i * 7 % 73;
        let monthly = 18.25 + (i * 37 % 1000) as f64 / 10.0;
        json!({
            "customer_id": format!("C-{i:06}"),
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "total_charges": monthly * tenure as f64,
            "contract": CONTRACTS[i % 3],
            "payment_method": PAYMENTS[i % 4],
            "internet_service": INTERNET[i / 3 % 3],
            "support_calls": i % 6,
            "num_services": 1 + i % 8,
            "senior_citizen": i.is_multiple_of(5),
            "paperless_billing": i.is_multiple_of(2),
        })
    }

    /// An event of `size` records, shaped like the sample's, whose data are `customer(i)`.
    fn event_of(size: usize) -> KinesisEvent {
        let template = sample_event().records.remove(0);
        let mut event = sample_event();
        event.records = (0..size)
            .map(|i| {
                let mut record = template.clone();
                *record.kinesis.data = customer(i).to_string().into_bytes();
                record.kinesis.sequence_number = sequence_number(i);
                record
            })
            .collect();
        event
    }

    fn sequence_number(i: usize) -> String {
        format!("4965613778511383479101239518392753247581239201144253{i:04}")
    }

    fn failed_ids(response: &KinesisEventResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .filter_map(|failure| failure.item_identifier.as_deref())
            .collect()
    }

    fn ids(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|entry| entry.id.as_str()).collect()
    }

    #[tokio::test]
    async fn the_sample_event_sends_one_message_per_customer() {
        let publisher = MemoryPublisher::default();

        let response = handle(
            &test_model(),
            Scoring::Sequential,
            &publisher,
            sample_event(),
        )
        .await
        .unwrap();

        assert!(failed_ids(&response).is_empty());
        let bodies: Vec<String> = publisher
            .sent()
            .into_iter()
            .map(|entry| entry.body)
            .collect();
        assert_eq!(
            bodies,
            [
                r#"{"customer_id":"C-000042","probability":0.891350762424666,"label":"churn","model_version":"test-1"}"#,
                r#"{"customer_id":"C-000137","probability":0.0062523038653266,"label":"stay","model_version":"test-1"}"#,
                r#"{"customer_id":"C-000288","probability":0.7453252260599024,"label":"churn","model_version":"test-1"}"#,
            ]
        );
        assert_eq!(ids(&publisher.requests()[0]), ["0", "1", "2"]);
    }

    #[tokio::test]
    async fn the_sample_event_scores_with_the_shipped_model() {
        let model = Model::from_json(include_str!("../model.json")).unwrap();
        let publisher = MemoryPublisher::default();

        let response = handle(&model, Scoring::Sequential, &publisher, sample_event())
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        for entry in publisher.sent() {
            let message: Value = serde_json::from_str(&entry.body).unwrap();
            assert_eq!(message["model_version"], model.version());
            assert!((0.0..=1.0).contains(&message["probability"].as_f64().unwrap()));
        }
        assert_eq!(publisher.sent().len(), 3);
    }

    #[tokio::test]
    async fn invalid_records_fail_alone() {
        let mut unknown_level = customer(11);
        unknown_level["contract"] = json!("weekly");
        let mut negative = customer(19);
        negative["tenure_months"] = json!(-4);
        let invalid = [
            (2, b"{ not json".to_vec()),
            (7, br#"{"customer_id": "C-000007"}"#.to_vec()),
            (11, unknown_level.to_string().into_bytes()),
            (19, negative.to_string().into_bytes()),
        ];
        let mut event = event_of(25);
        for (index, data) in invalid {
            *event.records[index].kinesis.data = data;
        }
        let publisher = MemoryPublisher::default();

        let response = handle(&test_model(), Scoring::Sequential, &publisher, event)
            .await
            .unwrap();

        let expected: Vec<String> = [2, 7, 11, 19].map(sequence_number).into();
        assert_eq!(failed_ids(&response), expected);
        let sent = publisher.sent();
        assert_eq!(sent.len(), 21);
        assert!(
            sent.iter()
                .all(|entry| !["2", "7", "11", "19"].contains(&entry.id.as_str()))
        );
        // Chunks are of consecutive valid records.
        assert_eq!(
            ids(&publisher.requests()[0]),
            ["0", "1", "3", "4", "5", "6", "8", "9", "10", "12"]
        );
    }

    #[tokio::test]
    async fn a_refused_message_fails_only_its_record() {
        let publisher = MemoryPublisher::default().failing_entries(&["1"]);
        let event = sample_event();
        let refused = event.records[1].kinesis.sequence_number.clone();

        let response = handle(&test_model(), Scoring::Sequential, &publisher, event)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), [refused.as_str()]);
        assert_eq!(ids(&publisher.sent()), ["0", "2"]);
    }

    #[tokio::test]
    async fn a_failed_request_fails_its_chunk_only() {
        let publisher = MemoryPublisher::default().failing_requests_with(&["14"]);

        let response = handle(&test_model(), Scoring::Sequential, &publisher, event_of(25))
            .await
            .unwrap();

        let expected: Vec<String> = (10..20).map(sequence_number).collect();
        assert_eq!(failed_ids(&response), expected);
        let sent: Vec<usize> = publisher
            .sent()
            .iter()
            .map(|e| e.id.parse().unwrap())
            .collect();
        assert_eq!(sent, (0..10).chain(20..25).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn failures_come_back_in_record_order() {
        let mut event = event_of(25);
        *event.records[0].kinesis.data = b"[]".to_vec();
        *event.records[23].kinesis.data = b"{ not json".to_vec();
        // The chunks are 1..=10, 11..=20 and 21, 22, 24: the second one fails as a whole.
        let publisher = MemoryPublisher::default()
            .failing_entries(&["22", "5"])
            .failing_requests_with(&["12"]);

        let response = handle(&test_model(), Scoring::Sequential, &publisher, event)
            .await
            .unwrap();

        let expected: Vec<String> = [0, 5]
            .into_iter()
            .chain(11..=20)
            .chain([22, 23])
            .map(sequence_number)
            .collect();
        assert_eq!(failed_ids(&response), expected);
    }

    #[tokio::test]
    async fn chunks_hold_at_most_ten_entries_with_the_record_indexes_as_ids() {
        let publisher = MemoryPublisher::default();

        handle(&test_model(), Scoring::Sequential, &publisher, event_of(25))
            .await
            .unwrap();

        let requests = publisher.requests();
        let sizes: Vec<usize> = requests.iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 5]);
        let all_ids: Vec<String> = requests
            .concat()
            .into_iter()
            .map(|entry| entry.id)
            .collect();
        let indexes: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        assert_eq!(all_ids, indexes);
    }

    #[tokio::test]
    async fn at_most_ten_requests_are_in_flight() {
        let publisher = MemoryPublisher::default();

        let response = handle(
            &test_model(),
            Scoring::Sequential,
            &publisher,
            event_of(500),
        )
        .await
        .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert_eq!(publisher.requests().len(), 50);
        assert_eq!(publisher.max_in_flight(), MAX_IN_FLIGHT);
    }

    #[test]
    fn parallel_and_sequential_scoring_agree() {
        let model = test_model();
        let mut event = event_of(300);
        *event.records[100].kinesis.data = b"{ not json".to_vec();

        let sequential = message_bodies(&model, &event.records, Scoring::Sequential);
        let parallel = message_bodies(&model, &event.records, Scoring::Parallel);

        assert_eq!(sequential, parallel);
        assert!(sequential[100].is_err());
        assert!(
            sequential[0]
                .as_ref()
                .unwrap()
                .starts_with(r#"{"customer_id":"C-000000","#)
        );
    }

    #[tokio::test]
    async fn a_message_refused_by_no_fault_of_ours_is_sent_again_then_reported() {
        let publisher = MemoryPublisher::default()
            .flaky_entries(&["3"], 2)
            .failing_entries(&["5"]);
        let flakier = MemoryPublisher::default().flaky_entries(&["4"], 3);

        let event = event_of(12);
        let response = handle(
            &test_model(),
            Scoring::Sequential,
            &publisher,
            event.clone(),
        )
        .await
        .unwrap();
        let given_up = handle(&test_model(), Scoring::Sequential, &flakier, event)
            .await
            .unwrap();

        // The third attempt succeeds; the sender's fault is reported at once.
        assert_eq!(failed_ids(&response), [sequence_number(5)]);
        assert_eq!(publisher.attempts("3"), 3);
        assert_eq!(publisher.attempts("5"), 1);
        assert_eq!(publisher.sent().len(), 11);
        // Only the refused entry goes again, alone.
        assert_eq!(ids(&publisher.requests()[2]), ["3"]);
        assert_eq!(failed_ids(&given_up), [sequence_number(4)]);
        assert_eq!(flakier.attempts("4"), ENTRY_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn a_record_whose_score_overflows_is_invalid_not_null() {
        let tiny_std = crate::model::TEST_MODEL.replace("\"std\": 30.0", "\"std\": 1e-300");
        let model = Model::from_json(&tiny_std).unwrap();
        let mut event = event_of(3);
        let mut huge = customer(1);
        huge["monthly_charges"] = json!(1e10);
        *event.records[1].kinesis.data = huge.to_string().into_bytes();
        let publisher = MemoryPublisher::default();

        let response = handle(&model, Scoring::Sequential, &publisher, event)
            .await
            .unwrap();

        assert_eq!(failed_ids(&response), [sequence_number(1)]);
        assert_eq!(ids(&publisher.sent()), ["0", "2"]);
        assert!(publisher.sent().iter().all(|e| !e.body.contains("null")));
    }

    #[test]
    fn a_message_is_written_byte_for_byte_as_json_stringify_writes_it() {
        let mut record = customer(0);
        record["customer_id"] = json!("C-\"q\" \\ \u{1}\t\u{7f} é € 😀 \u{2028}");
        let body = message_body(&test_model(), record.to_string().as_bytes()).unwrap();
        // What JSON.stringify gives in Node.js for the same message.
        let expected = "{\"customer_id\":\"C-\\\"q\\\" \\\\ \\u0001\\t\u{7f} é € 😀 \u{2028}\",";
        assert!(body.starts_with(expected), "{body}");
        assert!(
            body.ends_with(",\"label\":\"churn\",\"model_version\":\"test-1\"}"),
            "{body}"
        );
    }

    #[test]
    fn scoring_is_parallel_only_with_more_than_one_vcpu() {
        assert_eq!(Scoring::for_vcpus(1), Scoring::Sequential);
        assert_eq!(Scoring::for_vcpus(2), Scoring::Parallel);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn cpu_work_leaves_the_async_worker_to_other_tasks() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        // On the runtime's only worker, as the handler runs (the test body runs on the main thread).
        let saw_it = tokio::spawn(async {
            let ran = Arc::new(AtomicBool::new(false));
            let flag = ran.clone();
            tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
            // With the worker blocked, the task above could run only after this returns.
            off_the_async_worker(|| {
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while !ran.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                ran.load(Ordering::SeqCst)
            })
        })
        .await
        .unwrap();

        assert!(saw_it);
    }

    #[tokio::test]
    async fn an_empty_event_sends_nothing() {
        let publisher = MemoryPublisher::default();
        let mut event = sample_event();
        event.records.clear();

        let response = handle(&test_model(), Scoring::Sequential, &publisher, event)
            .await
            .unwrap();

        assert!(failed_ids(&response).is_empty());
        assert!(publisher.requests().is_empty());
    }
}
