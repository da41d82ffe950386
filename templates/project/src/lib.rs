//! The function's logic, kept apart from `main.rs` so that `cargo test` can drive it with an
//! in-memory sink instead of AWS.

pub mod handler;
pub mod sink;
