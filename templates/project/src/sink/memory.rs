//! An in-memory [`Sink`] for tests: it keeps what the handler stores, by `id`, under the same
//! version rule as the real sinks, and can simulate an outage.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use super::{Outcome, Sink, SinkError, Version, Write};

#[derive(Default)]
pub struct MemorySink {
    items: Mutex<BTreeMap<String, (Value, Version)>>,
    failing_id: Option<String>,
    hanging_id: Option<String>,
}

impl MemorySink {
    /// A sink that rejects the item whose `id` is `id`, as if AWS had failed for that call.
    pub fn failing_on(id: &str) -> Self {
        Self {
            failing_id: Some(id.to_owned()),
            ..Self::default()
        }
    }

    /// A sink whose call for the item whose `id` is `id` never answers, like a hung connection.
    pub fn hanging_on(id: &str) -> Self {
        Self {
            hanging_id: Some(id.to_owned()),
            ..Self::default()
        }
    }

    /// Everything stored, sorted by `id`.
    pub fn items(&self) -> Vec<Value> {
        let items = self.items.lock().unwrap();
        items.values().map(|(item, _)| item.clone()).collect()
    }

    /// The `id` of every stored item, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.items.lock().unwrap().keys().cloned().collect()
    }

    fn put_one<T: Serialize>(&self, write: &Write<T>) -> Result<Outcome, SinkError> {
        let item = serde_json::to_value(&write.item)?;
        let Some(id) = item["id"].as_str().map(str::to_owned) else {
            return Err("an item needs a string `id`".into());
        };
        if self.failing_id.as_deref() == Some(id.as_str()) {
            return Err("simulated outage: connection refused".into());
        }
        let mut items = self.items.lock().unwrap();
        let stored = items.get(&id).map(|(_, version)| version);
        if !write.version.replaces(stored) {
            return Ok(Outcome::Kept);
        }
        items.insert(id, (item, write.version.clone()));
        Ok(Outcome::Stored)
    }
}

impl Sink for MemorySink {
    async fn put_all<T: Serialize + Sync>(
        &self,
        writes: &[Write<T>],
    ) -> Vec<Result<Outcome, SinkError>> {
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            let item = serde_json::to_value(&write.item).unwrap_or_default();
            if self.hanging_id.is_some() && item["id"].as_str() == self.hanging_id.as_deref() {
                std::future::pending::<()>().await;
            }
            results.push(self.put_one(write));
        }
        results
    }
}
