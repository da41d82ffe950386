//! Business logic for S3 "object created" notifications: record each new object's metadata.

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use lambda_runtime::Error;
use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::sink::Sink;

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

/// Records every object in the notification.
///
/// S3 invokes the function asynchronously: an error makes Lambda retry the whole event (twice
/// by default), which is safe because storing the same record again overwrites it.
pub async fn handle<S: Sink>(sink: &S, event: S3Event) -> Result<(), Error> {
    let mut failed = 0;
    for record in event.records {
        let object = ObjectRecord::from_event(record);
        if let Err(error) = sink.put(&object).await {
            tracing::error!(id = %object.id, %error, "could not record the object");
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

        handle(&sink, sample_event()).await.unwrap();

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

        let outcome = handle(&sink, sample_event()).await;

        assert!(outcome.is_err());
        assert!(sink.items().is_empty());
    }
}
