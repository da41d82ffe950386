//! Stores each item as a DynamoDB item (`put_item`) in the table named by `TABLE_NAME`.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde_json::Value;

use super::{Sink, SinkError};

pub struct DynamoDbSink {
    client: Client,
    table_name: String,
}

impl DynamoDbSink {
    pub fn new(client: Client, table_name: String) -> Self {
        Self { client, table_name }
    }
}

impl Sink for DynamoDbSink {
    async fn put<T: Serialize + Sync>(&self, item: &T) -> Result<(), SinkError> {
        let item = to_attributes(serde_json::to_value(item)?)?;
        self.client
            .put_item()
            .table_name(&self.table_name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(describe)?;
        Ok(())
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
}
