//! Business logic for a schedule: EventBridge Scheduler runs the job at each scheduled time, and
//! the job records one result per scheduled time.

use std::time::Duration;

use lambda_runtime::Error;
use serde::{Deserialize, Deserializer, Serialize};

use crate::sink::{Outcome, Sink, Version, Write};

/// What the schedule sends: the `Input` in template.yaml, filled in by Scheduler for each run.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRun {
    /// The schedule that fired.
    #[serde(default)]
    pub schedule_arn: String,
    /// The time this run was scheduled for, in UTC (`2026-05-01T09:30:00Z`). Every retry of a
    /// run carries the same one, so it names the run.
    #[serde(default)]
    pub scheduled_time: String,
    /// Scheduler's id for this run.
    #[serde(default)]
    pub execution_id: String,
    /// 1 for Scheduler's first try, more when it retried delivering the run.
    #[serde(default = "first_attempt", deserialize_with = "number_or_text")]
    pub attempt_number: u32,
}

fn first_attempt() -> u32 {
    1
}

/// Scheduler fills `<aws.scheduler.attempt-number>` into a JSON string, so it arrives as "1";
/// a hand-written event may give the number itself.
fn number_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(u32),
        Text(String),
    }
    match NumberOrText::deserialize(deserializer)? {
        NumberOrText::Number(number) => Ok(number),
        NumberOrText::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// What the job stores for each scheduled time.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    /// The scheduled time: one item per run, and the table's key when the sink is DynamoDB.
    pub id: String,
    pub schedule_arn: String,
    pub execution_id: String,
    pub attempt_number: u32,
}

/// The scheduled work. Replace it with yours; keep it a function of the run, so that a retry of
/// one scheduled time computes the same result.
pub fn run_job(run: &ScheduledRun) -> RunRecord {
    RunRecord {
        id: run.scheduled_time.clone(),
        schedule_arn: run.schedule_arn.clone(),
        execution_id: run.execution_id.clone(),
        attempt_number: run.attempt_number,
    }
}

/// Runs the job for one scheduled time and stores its result, once.
///
/// Scheduler invokes the function asynchronously, so a run can arrive more than once: Lambda
/// retries a failed invocation (twice, see `EventInvokeConfig`) and Scheduler retries a delivery
/// that failed. The result is written only if none is stored for this scheduled time
/// (`Version::First`), so a repeated run changes nothing and succeeds.
///
/// An error (a sink failure, running out of time) fails the invocation: Lambda retries it, then
/// sends it with the error to the stack's dead-letter queue rather than dropping it.
///
/// `budget` is the time the AWS calls may take (see `timeouts`).
pub async fn handle<S: Sink>(sink: &S, run: ScheduledRun, budget: Duration) -> Result<(), Error> {
    if run.scheduled_time.trim().is_empty() {
        return Err("the event has no scheduledTime: send what the schedule's Input sends (see events/schedule.json)".into());
    }
    let writes = [Write {
        item: run_job(&run),
        version: Version::First,
    }];
    let Ok(mut results) = tokio::time::timeout(budget, sink.put_all(&writes)).await else {
        return Err(format!("out of time recording the run of {}", run.scheduled_time).into());
    };
    let scheduled_time = run.scheduled_time.as_str();
    match results.pop() {
        Some(Ok(Outcome::Stored)) => tracing::info!(scheduled_time, "run recorded"),
        Some(Ok(Outcome::Kept)) => {
            tracing::info!(scheduled_time, "run already recorded; nothing to do")
        }
        Some(Err(error)) => {
            tracing::error!(scheduled_time, %error, "could not record the run");
            return Err(format!("could not record the run of {scheduled_time}: {error}").into());
        }
        None => return Err("the sink returned no result".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::memory::MemorySink;

    /// Ample time: the tests' sinks answer at once unless they hang.
    const BUDGET: Duration = Duration::from_secs(60);
    const SCHEDULED_TIME: &str = "2026-05-01T09:30:00Z";

    fn sample_event() -> ScheduledRun {
        serde_json::from_str(include_str!("../events/schedule.json")).expect("events/schedule.json")
    }

    #[tokio::test]
    async fn the_sample_event_records_one_run() {
        let sink = MemorySink::default();

        handle(&sink, sample_event(), BUDGET).await.unwrap();

        assert_eq!(
            sink.items(),
            [serde_json::json!({
                "id": SCHEDULED_TIME,
                "scheduleArn": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/{{name}}",
                "executionId": "3f1c2b7e-9a4d-4e61-8c05-2d7b6a9e4f10",
                "attemptNumber": 1
            })]
        );
    }

    #[tokio::test]
    async fn a_retry_of_the_same_scheduled_time_keeps_the_first_result_and_succeeds() {
        let sink = MemorySink::default();
        let mut retry = sample_event();
        retry.execution_id = "another-execution".into();
        retry.attempt_number = 2;

        handle(&sink, sample_event(), BUDGET).await.unwrap();
        let outcome = handle(&sink, retry, BUDGET).await;

        assert!(outcome.is_ok());
        assert_eq!(sink.items().len(), 1);
        assert_eq!(sink.items()[0]["attemptNumber"], 1);
    }

    #[tokio::test]
    async fn each_scheduled_time_gets_its_own_result() {
        let sink = MemorySink::default();
        let mut next = sample_event();
        next.scheduled_time = "2026-05-01T09:35:00Z".into();

        handle(&sink, sample_event(), BUDGET).await.unwrap();
        handle(&sink, next, BUDGET).await.unwrap();

        assert_eq!(sink.ids(), [SCHEDULED_TIME, "2026-05-01T09:35:00Z"]);
    }

    #[tokio::test]
    async fn a_sink_failure_fails_the_invocation_so_it_is_retried() {
        let sink = MemorySink::failing_on(SCHEDULED_TIME);

        let outcome = handle(&sink, sample_event(), BUDGET).await;

        assert!(outcome.unwrap_err().to_string().contains(SCHEDULED_TIME));
        assert!(sink.items().is_empty());
    }

    #[tokio::test]
    async fn a_hung_sink_fails_the_invocation_when_time_is_up() {
        let sink = MemorySink::hanging_on(SCHEDULED_TIME);

        let outcome = handle(&sink, sample_event(), Duration::from_millis(100)).await;

        assert!(outcome.unwrap_err().to_string().starts_with("out of time"));
    }

    #[tokio::test]
    async fn an_event_without_a_scheduled_time_is_refused() {
        let sink = MemorySink::default();
        let run: ScheduledRun = serde_json::from_str("{}").unwrap();

        let outcome = handle(&sink, run, BUDGET).await;

        assert!(outcome.unwrap_err().to_string().contains("scheduledTime"));
        assert!(sink.items().is_empty());
    }

    #[test]
    fn the_attempt_number_reads_as_text_or_as_a_number() {
        let parse =
            |json: &str| serde_json::from_str::<ScheduledRun>(json).map(|run| run.attempt_number);
        assert_eq!(parse(r#"{"attemptNumber": "3"}"#).unwrap(), 3);
        assert_eq!(parse(r#"{"attemptNumber": 2}"#).unwrap(), 2);
        assert_eq!(parse("{}").unwrap(), 1);
        assert!(parse(r#"{"attemptNumber": "three"}"#).is_err());
    }
}
