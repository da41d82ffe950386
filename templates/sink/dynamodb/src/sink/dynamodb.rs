//! Stores each item as a DynamoDB item (`put_item`) in the table named by `TABLE_NAME`, with a
//! condition, so that a replayed or late record never overwrites a newer one.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::RequestId;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;

use super::{Outcome, Sink, SinkError, Version, Write};

/// How many `put_item` calls run at once: they are I/O, so a batch takes about the time of its
/// slowest few calls instead of the sum of all of them.
const CONCURRENCY: usize = 10;

/// The attribute that holds an item's [`Version::Ordered`], which the next write is compared with.
pub const VERSION_ATTRIBUTE: &str = "sourceVersion";

/// The first write of an id is the only one stored.
const FIRST_CONDITION: &str = "attribute_not_exists(id)";

/// A versioned write lands on a new item, or over an older version; an equal version means
/// this very record was already written (a replay), a greater one that a newer record was.
const ORDERED_CONDITION: &str = "attribute_not_exists(#version) OR #version < :version";

pub struct DynamoDbSink {
    client: Client,
    table_name: String,
}

impl DynamoDbSink {
    pub fn new(client: Client, table_name: String) -> Self {
        Self { client, table_name }
    }

    /// One conditional `put_item`. A refused condition means the table already holds this item
    /// (`First`) or this or a newer version of it (`Ordered`): nothing to retry.
    /// Versions compare as strings, which is why [`Version`] pads them to one width.
    async fn put_one(
        &self,
        mut item: HashMap<String, AttributeValue>,
        version: &Version,
    ) -> Result<Outcome, SinkError> {
        let request = self.client.put_item().table_name(&self.table_name);
        let request = match version {
            Version::First => request.condition_expression(FIRST_CONDITION),
            Version::Unordered => request,
            Version::Ordered(version) => {
                let version = AttributeValue::S(version.clone());
                item.insert(VERSION_ATTRIBUTE.into(), version.clone());
                request
                    .condition_expression(ORDERED_CONDITION)
                    .expression_attribute_names("#version", VERSION_ATTRIBUTE)
                    .expression_attribute_values(":version", version)
            }
        };
        match request.set_item(Some(item)).send().await {
            Ok(_) => Ok(Outcome::Stored),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|error| error.is_conditional_check_failed_exception()) =>
            {
                Ok(Outcome::Kept)
            }
            Err(error) => Err(describe(error)),
        }
    }
}

impl Sink for DynamoDbSink {
    async fn put_all<T: Serialize + Sync>(
        &self,
        writes: &[Write<T>],
    ) -> Vec<Result<Outcome, SinkError>> {
        let mut results: Vec<Option<Result<Outcome, SinkError>>> =
            writes.iter().map(|_| None).collect();
        let mut ready = Vec::new();
        for (index, write) in writes.iter().enumerate() {
            match keyed_attributes(&write.item) {
                Ok((id, item)) => ready.push((index, id, item)),
                Err(error) => results[index] = Some(Err(error)),
            }
        }

        // Writes of one id go one after another, in the batch's order; ids run concurrently.
        let mut groups: Vec<Vec<(usize, HashMap<String, AttributeValue>)>> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for (index, id, item) in ready {
            let group = *group_of.entry(id).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[group].push((index, item));
        }
        let done: Vec<Vec<(usize, Result<Outcome, SinkError>)>> = stream::iter(groups)
            .map(|group| async move {
                let mut done = Vec::with_capacity(group.len());
                for (index, item) in group {
                    done.push((index, self.put_one(item, &writes[index].version).await));
                }
                done
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for (index, result) in done.into_iter().flatten() {
            results[index] = Some(result);
        }
        results
            .into_iter()
            .map(|result| result.unwrap_or_else(|| Err("not written".into())))
            .collect()
    }
}

/// The item's `id` and its attributes.
fn keyed_attributes<T: Serialize>(
    item: &T,
) -> Result<(String, HashMap<String, AttributeValue>), SinkError> {
    let item = to_attributes(serde_json::to_value(item)?)?;
    match item.get("id") {
        Some(AttributeValue::S(id)) => Ok((id.clone(), item)),
        _ => Err("a DynamoDB item needs a string `id`, the table's key".into()),
    }
}

/// Turns a JSON object into DynamoDB attributes: strings become `S`, numbers `N`, booleans
/// `BOOL`, null `NULL`, arrays `L` and objects `M`. The table's key is the `id` string.
pub fn to_attributes(item: Value) -> Result<HashMap<String, AttributeValue>, SinkError> {
    match item {
        Value::Object(fields) => Ok(fields
            .into_iter()
            .map(|(name, value)| (name, to_attribute(value)))
            .collect()),
        other => Err(format!("a DynamoDB item must be a JSON object, not {other}").into()),
    }
}

fn to_attribute(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(flag) => AttributeValue::Bool(flag),
        Value::Number(number) => AttributeValue::N(number.to_string()),
        Value::String(text) => AttributeValue::S(text),
        Value::Array(values) => AttributeValue::L(values.into_iter().map(to_attribute).collect()),
        Value::Object(fields) => AttributeValue::M(
            fields
                .into_iter()
                .map(|(name, value)| (name, to_attribute(value)))
                .collect(),
        ),
    }
}

{{> rust/describe-sdk-error}}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::error::{
        ConditionalCheckFailedException, ProvisionedThroughputExceededException,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_become_s_and_numbers_become_n() {
        let attributes = to_attributes(json!({
            "id": "A-1001",
            "quantity": 3,
            "price": 4.5,
            "gift": false,
            "note": null,
            "tags": ["new"],
            "size": { "grams": 250 }
        }))
        .unwrap();

        assert_eq!(attributes["id"], AttributeValue::S("A-1001".into()));
        assert_eq!(attributes["quantity"], AttributeValue::N("3".into()));
        assert_eq!(attributes["price"], AttributeValue::N("4.5".into()));
        assert_eq!(attributes["gift"], AttributeValue::Bool(false));
        assert_eq!(attributes["note"], AttributeValue::Null(true));
        let new = AttributeValue::S("new".into());
        assert_eq!(attributes["tags"], AttributeValue::L(vec![new]));
        let grams = HashMap::from([("grams".into(), AttributeValue::N("250".into()))]);
        assert_eq!(attributes["size"], AttributeValue::M(grams));
    }

    #[test]
    fn only_objects_are_items() {
        assert!(to_attributes(json!("A-1001")).is_err());
    }

    fn write_of(item: Value) -> Write<Value> {
        let version = Version::First;
        Write { item, version }
    }

    fn write(id: &str, name: &str, version: Version) -> Write<Value> {
        let item = json!({ "id": id, "name": name });
        Write { item, version }
    }

    fn conditional_check_failed() -> PutItemError {
        let error = ConditionalCheckFailedException::builder()
            .message("The conditional request failed")
            .build();
        PutItemError::ConditionalCheckFailedException(error)
    }

    #[tokio::test]
    async fn writes_of_one_id_are_sent_in_order_with_their_version_condition() {
        let sent: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let log = sent.clone();
        let put = mock!(Client::put_item).then_compute_output(move |input| {
            let item = input.item().unwrap();
            let name = item["name"].as_s().unwrap().clone();
            let version = input.expression_attribute_values().unwrap()[":version"].clone();
            assert_eq!(item[VERSION_ATTRIBUTE], version);
            let condition = input.condition_expression().unwrap().to_owned();
            log.lock().unwrap().push((name, condition));
            PutItemOutput::builder().build()
        });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&put]);
        let sink = DynamoDbSink::new(client, "results".into());

        let writes = [
            write("A-1", "first", Version::decimal("100")),
            write("A-1", "second", Version::decimal("200")),
            write("A-1", "third", Version::decimal("300")),
        ];
        let results = sink.put_all(&writes).await;

        assert!(results.iter().all(|r| matches!(r, Ok(Outcome::Stored))));
        let sent = sent.lock().unwrap();
        let names: Vec<&str> = sent.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["first", "second", "third"]);
        assert!(
            sent.iter()
                .all(|(_, condition)| condition == ORDERED_CONDITION)
        );
    }

    #[tokio::test]
    async fn a_refused_condition_means_already_applied() {
        let put = mock!(Client::put_item).then_error(conditional_check_failed);
        let client = mock_client!(aws_sdk_dynamodb, &[&put]);
        let sink = DynamoDbSink::new(client, "results".into());

        let item = json!({ "id": "A-1" });
        let outcome = sink.put(&item, Version::decimal("1")).await;

        assert_eq!(outcome.unwrap(), Outcome::Kept);
    }

    #[tokio::test]
    async fn a_first_write_is_refused_when_the_id_exists() {
        let put = mock!(Client::put_item)
            .match_requests(|input| input.condition_expression() == Some(FIRST_CONDITION))
            .then_error(conditional_check_failed);
        let client = mock_client!(aws_sdk_dynamodb, &[&put]);
        let sink = DynamoDbSink::new(client, "results".into());

        let outcome = sink.put(&json!({ "id": "A-1" }), Version::First).await;

        assert_eq!(outcome.unwrap(), Outcome::Kept);
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn throttling_is_a_failure_naming_the_code_and_request_id() {
        let put = mock!(Client::put_item).then_error(|| {
            let meta = ErrorMetadata::builder()
                .code("ProvisionedThroughputExceededException")
                .message("Rate of requests exceeds the allowed throughput")
                .custom("aws_request_id", "RQ-7E1X")
                .build();
            let error = ProvisionedThroughputExceededException::builder()
                .message("Rate of requests exceeds the allowed throughput")
                .meta(meta)
                .build();
            PutItemError::ProvisionedThroughputExceededException(error)
        });
        let client = mock_client!(aws_sdk_dynamodb, &[&put]);
        let sink = DynamoDbSink::new(client, "results".into());

        let item = json!({ "id": "A-1" });
        let error = sink.put(&item, Version::First).await.unwrap_err();

        let error = error.to_string();
        let expected = "ProvisionedThroughputExceededException: Rate";
        assert!(error.starts_with(expected), "{error}");
        assert!(error.contains("request id RQ-7E1X"), "{error}");
    }

    #[tokio::test]
    async fn an_item_without_a_string_id_fails_alone() {
        let put = mock!(Client::put_item).then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, &[&put]);
        let sink = DynamoDbSink::new(client, "results".into());
        let writes = [
            write_of(json!({ "id": 7 })),
            write_of(json!({ "id": "A-2" })),
        ];

        let results = sink.put_all(&writes).await;

        assert!(results[0].is_err());
        assert_eq!(*results[1].as_ref().unwrap(), Outcome::Stored);
        assert_eq!(put.num_calls(), 1);
    }
}
