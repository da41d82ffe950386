//! The function's logic, kept apart from `main.rs` so that `cargo test` can drive it with an
//! in-memory sink instead of AWS.

pub mod handler;
pub mod sink;
pub mod timeouts;
{{!-- main.rs reads the sink's name or URL, and a REST API's JWT audience, from the environment. --}}
{{#if is.noSink}}
{{#if is.cognitoJwt}}

{{> rust/required-env}}
{{/if}}
{{else}}

{{> rust/required-env}}
{{/if}}
