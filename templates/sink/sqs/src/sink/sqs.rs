//! Sends each item as a JSON message body to the queue at `QUEUE_URL`, ten to a
//! `SendMessageBatch` request, and maps the entries SQS refuses back to their items.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::operation::RequestId;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use super::{Outcome, Sink, SinkError, Write};

/// The most entries one `SendMessageBatch` request takes.
const BATCH_SIZE: usize = 10;
/// How many requests are in flight at once.
const CONCURRENCY: usize = 10;
/// How many more times an entry is sent when SQS refused it through no fault of ours
/// (`SenderFault` false, e.g. an internal error); the SDK retries only whole requests.
const ENTRY_RETRIES: u32 = 3;
/// The wait before the first of those retries; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

pub struct SqsSink {
    client: Client,
    queue_url: String,
}

impl SqsSink {
    pub fn new(client: Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }

    /// Sends up to ten messages (index in the caller's list, body), retrying the entries SQS
    /// failed on its side, and returns each index with its result.
    async fn send_batch(&self, batch: &[(usize, String)]) -> Vec<(usize, Result<(), SinkError>)> {
        let mut done = Vec::with_capacity(batch.len());
        let mut pending: Vec<&(usize, String)> = batch.iter().collect();
        let mut backoff = FIRST_BACKOFF;
        for attempt in 0..=ENTRY_RETRIES {
            if attempt > 0 {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            let entries = pending.iter().map(|(index, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(body)
                    .build()
            });
            let sent = match entries.collect::<Result<Vec<_>, _>>() {
                Ok(entries) => {
                    self.client
                        .send_message_batch()
                        .queue_url(&self.queue_url)
                        .set_entries(Some(entries))
                        .send()
                        .await
                }
                Err(error) => return fail_all(done, &pending, &error.to_string()),
            };
            let output = match sent {
                Ok(output) => output,
                // The SDK has already retried the request; none of its entries were sent.
                Err(error) => return fail_all(done, &pending, &describe(error).to_string()),
            };
            let request_id = output.request_id().unwrap_or("unknown").to_owned();
            let failed: HashMap<&str, _> = output
                .failed
                .iter()
                .map(|failure| (failure.id.as_str(), failure))
                .collect();
            let mut retry = Vec::new();
            for entry in pending {
                match failed.get(entry.0.to_string().as_str()) {
                    None => done.push((entry.0, Ok(()))),
                    Some(failure) if !failure.sender_fault && attempt < ENTRY_RETRIES => {
                        retry.push(entry)
                    }
                    Some(failure) => {
                        let message = failure.message.as_deref().unwrap_or("no message");
                        let reason =
                            format!("{}: {message} (request id {request_id})", failure.code);
                        done.push((entry.0, Err(reason.into())));
                    }
                }
            }
            if retry.is_empty() {
                break;
            }
            pending = retry;
        }
        done
    }
}

fn fail_all(
    mut done: Vec<(usize, Result<(), SinkError>)>,
    pending: &[&(usize, String)],
    reason: &str,
) -> Vec<(usize, Result<(), SinkError>)> {
    done.extend(
        pending
            .iter()
            .map(|(index, _)| (*index, Err(reason.into()))),
    );
    done
}

impl Sink for SqsSink {
    /// A queue keeps nothing to compare versions with, so every write is sent: consumers see
    /// each record (SQS delivers at least once anyway, so they must tolerate duplicates).
    async fn put_all<T: Serialize + Sync>(
        &self,
        writes: &[Write<T>],
    ) -> Vec<Result<Outcome, SinkError>> {
        let mut results: Vec<Result<Outcome, SinkError>> = Vec::with_capacity(writes.len());
        let mut bodies = Vec::new();
        for (index, write) in writes.iter().enumerate() {
            match serde_json::to_string(&write.item) {
                Ok(body) => {
                    bodies.push((index, body));
                    results.push(Ok(Outcome::Stored));
                }
                Err(error) => results.push(Err(error.into())),
            }
        }
        // Owned batches: a stream of borrowed chunks would not be provably `Send`.
        let batches: Vec<Vec<(usize, String)>> =
            bodies.chunks(BATCH_SIZE).map(<[_]>::to_vec).collect();
        let sent: Vec<Vec<(usize, Result<(), SinkError>)>> = stream::iter(batches)
            .map(|batch| async move { self.send_batch(&batch).await })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for (index, result) in sent.into_iter().flatten() {
            if let Err(error) = result {
                results[index] = Err(error);
            }
        }
        results
    }
}

{{> rust/describe-sdk-error}}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_sqs::error::ErrorMetadata;
    use aws_sdk_sqs::operation::send_message_batch::{
        SendMessageBatchError, SendMessageBatchInput, SendMessageBatchOutput,
    };
    use aws_sdk_sqs::types::error::RequestThrottled;
    use aws_sdk_sqs::types::{BatchResultErrorEntry, SendMessageBatchResultEntry};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use serde_json::{Value, json};

    use super::*;
    use crate::sink::Version;

    fn writes(count: usize) -> Vec<Write<Value>> {
        (0..count)
            .map(|n| Write {
                item: json!({ "id": format!("A-{n}") }),
                version: Version::First,
            })
            .collect()
    }

    /// SQS's answer to `input`: the entries in `refused` fail with `code`, the rest succeed.
    fn answer(
        input: &SendMessageBatchInput,
        refused: &[&str],
        code: &str,
        sender_fault: bool,
    ) -> SendMessageBatchOutput {
        // Both lists are required, even when empty.
        let mut output = SendMessageBatchOutput::builder()
            .set_successful(Some(Vec::new()))
            .set_failed(Some(Vec::new()));
        for entry in input.entries() {
            let body = entry.message_body();
            if refused.iter().any(|id| body.contains(&format!("\"{id}\""))) {
                let failure = BatchResultErrorEntry::builder()
                    .id(entry.id())
                    .code(code)
                    .message("simulated")
                    .sender_fault(sender_fault)
                    .build()
                    .unwrap();
                output = output.failed(failure);
            } else {
                let success = SendMessageBatchResultEntry::builder()
                    .id(entry.id())
                    .message_id(format!("m-{}", entry.id()))
                    .md5_of_message_body("-")
                    .build()
                    .unwrap();
                output = output.successful(success);
            }
        }
        output.build().unwrap()
    }

    fn sink(client: Client) -> SqsSink {
        SqsSink::new(
            client,
            "https://sqs.us-east-1.amazonaws.com/123456789012/results".into(),
        )
    }

    #[tokio::test]
    async fn twenty_five_items_go_in_three_requests_of_at_most_ten() {
        let send = mock!(Client::send_message_batch).then_compute_output(|input| {
            assert!(input.entries().len() <= BATCH_SIZE);
            answer(input, &[], "", false)
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[&send]);

        let results = sink(client).put_all(&writes(25)).await;

        assert_eq!(send.num_calls(), 3);
        assert!(
            results
                .iter()
                .all(|result| matches!(result, Ok(Outcome::Stored)))
        );
    }

    #[tokio::test]
    async fn an_entry_refused_for_the_senders_fault_fails_alone_and_is_not_resent() {
        let send = mock!(Client::send_message_batch)
            .then_compute_output(|input| answer(input, &["A-1"], "InvalidParameterValue", true));
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[&send]);

        let results = sink(client).put_all(&writes(3)).await;

        assert_eq!(send.num_calls(), 1);
        let error = results[1].as_ref().unwrap_err().to_string();
        assert!(
            error.starts_with("InvalidParameterValue: simulated"),
            "{error}"
        );
        assert!(results[0].is_ok() && results[2].is_ok());
    }

    #[tokio::test]
    async fn an_entry_refused_on_the_service_side_is_resent_alone() {
        let calls = Arc::new(AtomicUsize::new(0));
        let send = mock!(Client::send_message_batch).then_compute_output(move |input| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                return answer(input, &["A-1"], "InternalError", false);
            }
            assert_eq!(input.entries().len(), 1, "only the refused entry is resent");
            answer(input, &[], "", false)
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[&send]);

        let results = sink(client).put_all(&writes(3)).await;

        assert_eq!(send.num_calls(), 2);
        assert!(
            results
                .iter()
                .all(|result| matches!(result, Ok(Outcome::Stored)))
        );
    }

    #[tokio::test]
    async fn an_entry_the_service_keeps_refusing_fails_after_the_retries() {
        let send = mock!(Client::send_message_batch)
            .then_compute_output(|input| answer(input, &["A-0"], "InternalError", false));
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[&send]);

        let results = sink(client).put_all(&writes(2)).await;

        assert_eq!(send.num_calls(), 1 + ENTRY_RETRIES as usize);
        assert!(
            results[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .starts_with("InternalError")
        );
        assert!(results[1].is_ok());
    }

    #[tokio::test]
    async fn a_failed_request_fails_each_of_its_entries_naming_the_request_id() {
        let send = mock!(Client::send_message_batch).then_error(|| {
            let meta = ErrorMetadata::builder()
                .code("RequestThrottled")
                .message("Rate exceeded")
                .custom("aws_request_id", "RQ-5Q5")
                .build();
            let error = RequestThrottled::builder()
                .message("Rate exceeded")
                .meta(meta)
                .build();
            SendMessageBatchError::RequestThrottled(error)
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[&send]);

        let results = sink(client).put_all(&writes(12)).await;

        // Two requests, each tried three times by the SDK's standard retry strategy.
        assert_eq!(send.num_calls(), 2 * 3);
        for result in results {
            let error = result.unwrap_err().to_string();
            assert_eq!(error, "RequestThrottled: Rate exceeded (request id RQ-5Q5)");
        }
    }
}
