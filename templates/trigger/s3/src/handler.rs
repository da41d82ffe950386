//! Business logic for S3 "object created" notifications: record each new object's metadata.

use std::time::Duration;

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use lambda_runtime::Error;
use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::sink::{Sink, Version, Write};

/// What this function stores for each new object.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRecord {
    /// `<bucket>/<key>`: unique, and the table's key when the sink is DynamoDB.
    pub id: String,
    pub bucket: String,
    /// The object key, URL-decoded.
    pub key: String,
    pub size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// For example `ObjectCreated:Put`.
    pub event_name: String,
    /// When S3 sent the event, in RFC 3339 (UTC).
    pub event_time: String,
}

impl ObjectRecord {
    pub fn from_event(record: S3EventRecord) -> Self {
        let bucket = record.s3.bucket.name.unwrap_or_default();
        let key = decode_key(record.s3.object.key.as_deref().unwrap_or_default());
        Self {
            id: format!("{bucket}/{key}"),
            bucket,
            key,
            size: record.s3.object.size.unwrap_or_default(),
            etag: record.s3.object.e_tag,
            version_id: record.s3.object.version_id,
            event_name: record.event_name.unwrap_or_default(),
            event_time: record
                .event_time
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        }
    }
}

/// S3 sends object keys URL-encoded, with spaces as `+`: `my+file%2Fa.txt` is `my file/a.txt`.
/// A literal `+` arrives as `%2B`, so `+` must become a space before `%XX` is decoded.
pub fn decode_key(key: &str) -> String {
    let key = key.replace('+', " ");
    percent_decode_str(&key).decode_utf8_lossy().into_owned()
}

/// The order of an object's events: its `sequencer`, which S3 raises with each event for a
/// key. Unordered only if S3 left it out.
pub fn version_of(record: &S3EventRecord) -> Version {
    match record.s3.object.sequencer.as_deref() {
        Some(sequencer) => Version::hex(sequencer),
        None => Version::Unordered,
    }
}

/// Records every object in the notification.
///
/// S3 invokes the function asynchronously: an error makes Lambda retry the whole event (twice
/// by default). That is safe: each record is stored with its object's sequencer as its
/// version, so a retried or late event never overwrites what a newer event for the same key
/// stored.
///
/// `budget` is the time the AWS calls may take (see `timeouts`): if they are not done by then,
/// the invocation fails, and Lambda retries it.
pub async fn handle<S: Sink>(sink: &S, event: S3Event, budget: Duration) -> Result<(), Error> {
    let writes: Vec<Write<ObjectRecord>> = event
        .records
        .into_iter()
        .map(|record| Write {
            version: version_of(&record),
            item: ObjectRecord::from_event(record),
        })
        .collect();
    let Ok(results) = tokio::time::timeout(budget, sink.put_all(&writes)).await else {
        return Err(format!("out of time recording {} object(s)", writes.len()).into());
    };
    let mut failed = 0;
    for (result, write) in results.into_iter().zip(&writes) {
        if let Err(error) = result {
            tracing::error!(id = %write.item.id, %error, "could not record the object");
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} object(s) could not be recorded; see the log").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::memory::MemorySink;

    /// Ample time: the tests' sinks answer at once unless they hang.
    const BUDGET: Duration = Duration::from_secs(60);

    fn sample_event() -> S3Event {
        serde_json::from_str(include_str!("../events/s3.json")).expect("events/s3.json")
    }

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(decode_key("my+file%2Fa.txt"), "my file/a.txt");
        assert_eq!(decode_key("2026+Q1+%28draft%29.pdf"), "2026 Q1 (draft).pdf");
        assert_eq!(decode_key("a%2Bb.txt"), "a+b.txt");
        assert_eq!(decode_key("caf%C3%A9.txt"), "café.txt");
        assert_eq!(decode_key("plain/key.json"), "plain/key.json");
    }

    #[tokio::test]
    async fn the_sample_event_records_the_object() {
        let sink = MemorySink::default();

        handle(&sink, sample_event(), BUDGET).await.unwrap();

        assert_eq!(
            sink.items(),
            [serde_json::json!({
                "id": "{{name}}-123456789012-us-east-1/incoming/daily report (2026-05-01).csv",
                "bucket": "{{name}}-123456789012-us-east-1",
                "key": "incoming/daily report (2026-05-01).csv",
                "size": 48213,
                "etag": "6f5902ac237024bdd0c176cb93063dc4",
                "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
                "eventName": "ObjectCreated:Put",
                "eventTime": "2026-05-01T09:30:00.123Z"
            })]
        );
    }

    #[tokio::test]
    async fn a_sink_failure_fails_the_invocation() {
        let bucket = "{{name}}-123456789012-us-east-1";
        let key = "incoming/daily report (2026-05-01).csv";
        let sink = MemorySink::failing_on(&format!("{bucket}/{key}"));

        let outcome = handle(&sink, sample_event(), BUDGET).await;

        assert!(outcome.is_err());
        assert!(sink.items().is_empty());
    }

    /// The sample event for one object, with this size and sequencer.
    fn event_for(size: i64, sequencer: &str) -> S3Event {
        let mut event = sample_event();
        event.records[0].s3.object.size = Some(size);
        event.records[0].s3.object.sequencer = Some(sequencer.into());
        event
    }

    #[tokio::test]
    async fn a_late_event_never_overwrites_a_newer_one() {
        let sink = MemorySink::default();

        // The second write of a key: a sequencer one digit longer is the later one.
        let newer = event_for(2, "0066323B1A9C7E2F3D0");
        let older = event_for(1, "66323B1A9C7E2F3D");
        handle(&sink, newer, BUDGET).await.unwrap();
        handle(&sink, older, BUDGET).await.unwrap();

        assert_eq!(sink.items()[0]["size"], 2);
    }

    #[tokio::test]
    async fn a_retried_event_is_applied_once_without_failing() {
        let sink = MemorySink::default();

        handle(&sink, event_for(7, "0A"), BUDGET).await.unwrap();
        let retry = handle(&sink, event_for(7, "0a"), BUDGET).await;

        assert!(retry.is_ok());
        assert_eq!(sink.items().len(), 1);
    }

    #[tokio::test]
    async fn a_hung_sink_fails_the_invocation_when_time_is_up() {
        let id = "{{name}}-123456789012-us-east-1/incoming/daily report (2026-05-01).csv";
        let sink = MemorySink::hanging_on(id);

        let outcome = handle(&sink, sample_event(), Duration::from_millis(100)).await;

        assert!(outcome.unwrap_err().to_string().starts_with("out of time"));
    }
}
