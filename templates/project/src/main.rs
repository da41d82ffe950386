//! The Lambda entry point: set everything up once, then serve invocations until Lambda stops us.

{{#if is.callsAws}}
use aws_config::BehaviorVersion;
{{/if}}
{{#if triggerRow.eventType}}
{{#if triggerRow.eventModule}}
use aws_lambda_events::event::{{triggerRow.eventModule}}::{{triggerRow.eventType}};
{{/if}}
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
{{else}}
use {{triggerRow.runtime}}::{Error, Request, run, service_fn};
{{/if}}

use {{crateIdent}}::handler;
{{#if triggerRow.eventType}}
{{#unless triggerRow.eventModule}}
use {{crateIdent}}::handler::{{triggerRow.eventType}};
{{/unless}}
{{/if}}
{{#if triggerRow.parksPoison}}
use {{crateIdent}}::poison::{self, SqsParkingLot};
{{/if}}
{{#if is.callsAws}}
use {{crateIdent}}::required_env;
{{else if is.cognitoJwt}}
use {{crateIdent}}::required_env;
{{/if}}
use {{crateIdent}}::sink::{{sinkRow.rustType}};
{{#if triggerRow.eventType}}
use {{crateIdent}}::timeouts::time_left;
{{/if}}
{{#if is.callsAws}}
use {{crateIdent}}::timeouts::{function_timeout, sdk_timeouts};
{{/if}}

// mimalloc rather than glibc's malloc: a handler allocates and frees a great deal per event
// (the event, its records, every request), and mimalloc does each for less CPU. On the churn
// example it cut the CPU of a warm batch by about a quarter (7.3 → 5.4 ms); glibc tuned with
// mallopt, by a twentieth.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread runs the async work (polling for events, the SDK's requests, the sink's concurrent
// writes): a function mostly waits on the network, and on the churn example tokio's
// multi-threaded runtime cost about a fifth more CPU per cold start and a sixth more per warm
// batch (npm run bench:function measures this one).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Logs go to CloudWatch, as JSON when the function's LoggingConfig asks for it.
    {{triggerRow.runtime}}::tracing::init_default_subscriber();

    // Init once: what is built here, before `run`, lives as long as the execution environment
    // and every invocation reuses it. Build clients here, never in the handler: a client per
    // invocation would redo the TLS, credential and connection set-up on every request.
{{#if is.callsAws}}
    let config = sdk_config().await?;
{{/if}}
{{> (fragment "sink" "rust/main-init")}}
{{#if triggerRow.parksPoison}}
    // Records that can never succeed are parked on this queue rather than retried.
    let poison_queue_url = required_env(poison::QUEUE_ENV)?;
    let parking = SqsParkingLot::new({{#if is.sqsSinkClient}}sqs{{else}}aws_sdk_sqs::Client::new(&config){{/if}}, poison_queue_url);
{{/if}}
{{> (fragment "trigger" "rust/main-init")}}

    // Each invocation borrows the sink; nothing in the handler outlives the invocation.
    let sink = &sink;
{{#if triggerRow.parksPoison}}
    let parking = &parking;
{{/if}}
{{> (fragment "trigger" "rust/main-run")}}
}
{{#if is.callsAws}}

/// The SDK's configuration: region, credentials and AWS_ENDPOINT_URL (for local emulators)
/// from the environment, and timeouts that end every call in time to answer (see `timeouts`).
async fn sdk_config() -> Result<aws_config::SdkConfig, Error> {
    let timeouts = sdk_timeouts(function_timeout()?);
    // A fixed behaviour version, not `latest()`: upgrading the SDK must not change its
    // defaults (retries, timeouts) under a deployed function without a code change.
    let config = aws_config::defaults(BehaviorVersion::v2026_01_12())
        .timeout_config(timeouts)
        .load()
        .await;
    Ok(config)
}
{{/if}}
