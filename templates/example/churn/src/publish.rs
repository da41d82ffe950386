//! Where the predictions go. The handler is written against the small [`Publisher`] trait, so
//! tests run it with an in-memory publisher and `main.rs` wires in SQS.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

/// One message of a batch. `id` is unique within the batch and comes back with its failure.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: String,
    pub body: String,
}

/// A message the service refused while accepting the rest of its batch.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedEntry {
    pub id: String,
    pub reason: String,
    /// The sender's fault (a bad message): sending it again can't help. Otherwise the failure is
    /// the service's (throttling, an internal error) and a later attempt may succeed.
    pub sender_fault: bool,
}

/// A whole batch failed (after the SDK's own retries): none of its messages were sent.
pub type PublishError = Box<dyn std::error::Error + Send + Sync>;

pub trait Publisher: Send + Sync {
    /// Sends up to 10 messages in one request and returns those that were refused.
    ///
    /// Declared as `impl Future + Send` rather than `async fn` so that callers (and the
    /// Lambda runtime) can rely on the returned future being `Send`.
    fn send_batch(
        &self,
        entries: &[Entry],
    ) -> impl Future<Output = Result<Vec<FailedEntry>, PublishError>> + Send;
}

/// Sends each batch with SQS `SendMessageBatch` to the queue at `QUEUE_URL`.
pub struct SqsPublisher {
    client: Client,
    queue_url: String,
}

impl SqsPublisher {
    pub fn new(client: Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }
}

impl Publisher for SqsPublisher {
    async fn send_batch(&self, entries: &[Entry]) -> Result<Vec<FailedEntry>, PublishError> {
        let entries = entries
            .iter()
            .map(|entry| {
                SendMessageBatchRequestEntry::builder()
                    .id(&entry.id)
                    .message_body(&entry.body)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(describe)?;
        let failed = output.failed.into_iter().map(|failed| FailedEntry {
            reason: format!(
                "{}: {}",
                failed.code,
                failed.message.as_deref().unwrap_or("no message")
            ),
            id: failed.id,
            sender_fault: failed.sender_fault,
        });
        Ok(failed.collect())
    }
}

/// One log-sized line for an SDK error. A service error says what the service answered (its
/// code and message, not the raw HTTP response); for the rest, such as a connection refused or
/// a timeout, the SDK's terse `Display` ("dispatch failure") hides the cause, so keep the chain.
fn describe<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    error: SdkError<E, R>,
) -> PublishError {
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

#[cfg(test)]
pub mod memory {
    //! An in-memory [`Publisher`] for tests: it records every request and can simulate failures.

    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{Entry, FailedEntry, PublishError, Publisher};

    #[derive(Default)]
    pub struct MemoryPublisher {
        requests: Mutex<Vec<Vec<Entry>>>,
        /// Entries refused one by one, as SQS reports in a response's `Failed` list.
        failing_entries: Vec<String>,
        /// A request holding any of these ids fails as a whole, as in an outage.
        failing_requests: Vec<String>,
        /// Entries refused as the service's fault on their first `n` attempts, then accepted.
        flaky_entries: Vec<(String, usize)>,
        attempts: Mutex<Vec<String>>,
        accepted: Mutex<Vec<Entry>>,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
    }

    impl MemoryPublisher {
        /// Refuses the entries with these ids and accepts the rest of their batch.
        pub fn failing_entries(mut self, ids: &[&str]) -> Self {
            self.failing_entries = ids.iter().map(|id| id.to_string()).collect();
            self
        }

        /// Refuses the entries with these ids `times` times (not the sender's fault), then
        /// accepts them.
        pub fn flaky_entries(mut self, ids: &[&str], times: usize) -> Self {
            self.flaky_entries = ids.iter().map(|id| (id.to_string(), times)).collect();
            self
        }

        /// How many times an entry with this id was sent, refused or not.
        pub fn attempts(&self, id: &str) -> usize {
            self.attempts
                .lock()
                .unwrap()
                .iter()
                .filter(|a| *a == id)
                .count()
        }

        /// Fails every request that holds an entry with one of these ids.
        pub fn failing_requests_with(mut self, ids: &[&str]) -> Self {
            self.failing_requests = ids.iter().map(|id| id.to_string()).collect();
            self
        }

        /// Every request received, failed or not, sorted by their first id (they run
        /// concurrently, so they may arrive in any order).
        pub fn requests(&self) -> Vec<Vec<Entry>> {
            let mut requests = self.requests.lock().unwrap().clone();
            requests.sort_by_key(|request| request.first().map(index));
            requests
        }

        /// The entries that were accepted, sorted by id.
        pub fn sent(&self) -> Vec<Entry> {
            let mut sent: Vec<Entry> = self.accepted.lock().unwrap().clone();
            sent.sort_by_key(index);
            sent
        }

        /// The most requests that were in flight at the same moment.
        pub fn max_in_flight(&self) -> usize {
            self.max_in_flight.load(Ordering::SeqCst)
        }

        fn fails_whole(&self, request: &[Entry]) -> bool {
            request
                .iter()
                .any(|entry| self.failing_requests.contains(&entry.id))
        }
    }

    /// The handler's ids are record indexes: sort by them as numbers.
    fn index(entry: &Entry) -> Option<usize> {
        entry.id.parse().ok()
    }

    impl Publisher for MemoryPublisher {
        async fn send_batch(&self, entries: &[Entry]) -> Result<Vec<FailedEntry>, PublishError> {
            let in_flight = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(in_flight, Ordering::SeqCst);
            // Give way once, as a network call would, so the handler can start other requests.
            tokio::task::yield_now().await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);

            self.requests.lock().unwrap().push(entries.to_vec());
            if self.fails_whole(entries) {
                return Err("simulated outage: connection refused".into());
            }
            let mut refused = Vec::new();
            for entry in entries {
                let mut attempts = self.attempts.lock().unwrap();
                attempts.push(entry.id.clone());
                let attempt = attempts.iter().filter(|id| **id == entry.id).count();
                let flaky = self
                    .flaky_entries
                    .iter()
                    .any(|(id, times)| *id == entry.id && attempt <= *times);
                if self.failing_entries.contains(&entry.id) {
                    refused.push(FailedEntry {
                        id: entry.id.clone(),
                        reason: "InvalidParameterValue: simulated".into(),
                        sender_fault: true,
                    });
                } else if flaky {
                    refused.push(FailedEntry {
                        id: entry.id.clone(),
                        reason: "InternalError: simulated".into(),
                        sender_fault: false,
                    });
                } else {
                    self.accepted.lock().unwrap().push(entry.clone());
                }
            }
            Ok(refused)
        }
    }
}
