//! The Lambda entry point: set everything up once, then serve invocations until Lambda stops us.

{{#if is.callsAws}}
use aws_config::BehaviorVersion;
{{/if}}
{{#if is.api}}
use lambda_http::{Error, Request, run, service_fn};
{{else}}
{{#if is.kinesis}}
use aws_lambda_events::event::kinesis::KinesisEvent;
{{/if}}
{{#if is.s3}}
use aws_lambda_events::event::s3::S3Event;
{{/if}}
{{#if is.sqs}}
use aws_lambda_events::event::sqs::SqsEvent;
{{/if}}
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
{{/if}}

use {{crateIdent}}::handler;
{{#if is.batch}}
use {{crateIdent}}::poison::{self, SqsParkingLot};
{{/if}}
{{#if is.callsAws}}
use {{crateIdent}}::required_env;
{{else if is.cognitoJwt}}
use {{crateIdent}}::required_env;
{{/if}}
{{#if is.noSink}}
use {{crateIdent}}::sink::LogSink;
{{/if}}
{{#if is.dynamodb}}
use {{crateIdent}}::sink::DynamoDbSink;
{{/if}}
{{#if is.sqsSink}}
use {{crateIdent}}::sink::SqsSink;
{{/if}}
{{#unless is.api}}
use {{crateIdent}}::timeouts::time_left;
{{/unless}}
{{#if is.callsAws}}
use {{crateIdent}}::timeouts::{function_timeout, sdk_timeouts};
{{/if}}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Logs go to CloudWatch, as JSON when the function's LoggingConfig asks for it.
    {{#if is.api}}lambda_http{{else}}lambda_runtime{{/if}}::tracing::init_default_subscriber();

    // Init once: what is built here, before `run`, lives as long as the execution environment
    // and every invocation reuses it. Build clients here, never in the handler: a client per
    // invocation would redo the TLS, credential and connection set-up on every request.
{{#if is.callsAws}}
    let config = sdk_config().await?;
{{/if}}
{{#if is.dynamodb}}
    let table_name = required_env("TABLE_NAME")?;
    let sink = DynamoDbSink::new(aws_sdk_dynamodb::Client::new(&config), table_name);
{{/if}}
{{#if is.sqsSink}}
    let queue_url = required_env("QUEUE_URL")?;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let sink = SqsSink::new(sqs.clone(), queue_url);
{{/if}}
{{#if is.noSink}}
    let sink = LogSink;
{{/if}}
{{#if is.batch}}
    // Records that can never succeed are parked on this queue rather than retried.
    let poison_queue_url = required_env(poison::QUEUE_ENV)?;
    let parking = SqsParkingLot::new({{#if is.sqsSink}}sqs{{else}}aws_sdk_sqs::Client::new(&config){{/if}}, poison_queue_url);
{{/if}}
{{#if is.cognitoJwt}}

    // API Gateway's Cognito authorizer checks each token's signature, issuer and expiry, but
    // not which app client it was issued for: the handler compares that with this.
    let audience = required_env("JWT_AUDIENCE")?;
    // Browser origins allowed to read the answers; empty or unset, none (no CORS headers).
    let origins = std::env::var("CORS_ALLOWED_ORIGINS").unwrap_or_default();
    let origins = handler::AllowedOrigins::parse(&origins);
{{/if}}

    // Each invocation borrows the sink; nothing in the handler outlives the invocation.
    let sink = &sink;
{{#if is.batch}}
    let parking = &parking;
{{/if}}
{{#if is.api}}
{{#if is.cognitoJwt}}
    let audience = audience.as_str();
    let origins = &origins;
{{/if}}
    run(service_fn(move |request: Request| async move {
        handler::handle(sink, {{#if is.cognitoJwt}}audience, origins, {{/if}}request).await
    }))
    .await
{{/if}}
{{#if is.kinesis}}
    run(service_fn(
        move |event: LambdaEvent<KinesisEvent>| async move {
            let budget = time_left(event.context.deadline());
            handler::handle(sink, parking, event.payload, budget).await
        },
    ))
    .await
{{/if}}
{{#if is.s3}}
    run(service_fn(move |event: LambdaEvent<S3Event>| async move {
        let budget = time_left(event.context.deadline());
        handler::handle(sink, event.payload, budget).await
    }))
    .await
{{/if}}
{{#if is.sqs}}
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let budget = time_left(event.context.deadline());
        handler::handle(sink, parking, event.payload, budget).await
    }))
    .await
{{/if}}
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
