//! The Lambda entry point: set everything up once, then serve invocations until Lambda stops us.

use aws_config::BehaviorVersion;
use aws_lambda_events::event::kinesis::KinesisEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

use {{crateIdent}}::handler::{self, Scoring};
use {{crateIdent}}::model::Model;
use {{crateIdent}}::publish::SqsPublisher;
use {{crateIdent}}::required_env;

// mimalloc rather than glibc's malloc: a handler allocates and frees a great deal per event
// (the event, its records, every request), and mimalloc does each for less CPU. Here it cut
// the CPU of a warm batch by about a quarter (7.3 → 5.4 ms); glibc tuned with mallopt,
// by a twentieth.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread runs the async work (polling for events, the SDK's requests); rayon still scores
// large batches on every vCPU. Measured on this function, tokio's multi-threaded runtime cost
// about a fifth more CPU per cold start and a sixth more per warm batch, for no gain in time.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Logs go to CloudWatch, as JSON when the function's LoggingConfig asks for it.
    lambda_runtime::tracing::init_default_subscriber();

    // Init once: what is built here, before `run`, lives as long as the execution environment
    // and every invocation reuses it. Nothing here is redone per event.

    // The model is compiled into the binary and checked here, so a bad model.json fails the
    // init, with the reason in the log, instead of scoring a single record.
    let model = Model::from_json(include_str!("../model.json"))?;
    tracing::info!(version = model.version(), "model loaded");

    // Large batches are scored on rayon's threads, one per vCPU, when there is more than one.
    // rayon starts them on the first large batch: building its pool here waits until every thread
    // has started, and measured on this function that cost 10–15 % more wall time per cold start.
    let scoring = Scoring::for_this_environment();
    tracing::info!(?scoring, "scoring");

    let queue_url = required_env("QUEUE_URL")?;
    // Region, credentials and AWS_ENDPOINT_URL (for local emulators) come from the environment.
    // One client for the environment's lifetime: it keeps its connections and credentials.
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let publisher = SqsPublisher::new(aws_sdk_sqs::Client::new(&config), queue_url);

    // Each invocation borrows the model and the publisher; nothing in the handler outlives it.
    let (model, publisher) = (&model, &publisher);
    run(service_fn(
        move |event: LambdaEvent<KinesisEvent>| async move {
            handler::handle(model, scoring, publisher, event.payload).await
        },
    ))
    .await
}
