//! An in-memory [`Sink`] for tests: it records what the handler stores and can simulate an outage.

use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use super::{Sink, SinkError};

#[derive(Default)]
pub struct MemorySink {
    items: Mutex<Vec<Value>>,
    failing_id: Option<String>,
}

impl MemorySink {
    /// A sink that rejects the item whose `id` is `id`, as if AWS had failed for that call.
    pub fn failing_on(id: &str) -> Self {
        Self {
            failing_id: Some(id.to_owned()),
            ..Self::default()
        }
    }

    /// Everything stored so far.
    pub fn items(&self) -> Vec<Value> {
        self.items.lock().unwrap().clone()
    }

    /// The `id` of every stored item, sorted (records are processed concurrently).
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .items()
            .iter()
            .filter_map(|item| item["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }
}

impl Sink for MemorySink {
    async fn put<T: Serialize + Sync>(&self, item: &T) -> Result<(), SinkError> {
        let item = serde_json::to_value(item)?;
        if self.failing_id.is_some() && item["id"].as_str() == self.failing_id.as_deref() {
            return Err("simulated outage: connection refused".into());
        }
        self.items.lock().unwrap().push(item);
        Ok(())
    }
}
