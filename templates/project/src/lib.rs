//! The function's logic, kept apart from `main.rs` so that `cargo test` can drive it with an
//! in-memory sink instead of AWS.

pub mod handler;
{{#if triggerRow.parksPoison}}
pub mod poison;
{{/if}}
pub mod sink;
pub mod timeouts;
{{!-- main.rs reads the sink's name or URL, the poison queue's URL, and a REST API's JWT
     audience, from the environment. --}}
{{#if is.callsAws}}

{{> rust/required-env}}
{{else if is.cognitoJwt}}

{{> rust/required-env}}
{{/if}}
