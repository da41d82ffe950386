//! Business logic for `POST /items`: validate the JSON body, store the item, answer `201`.

use lambda_http::http::header::{ALLOW, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sink::Sink;

{{> rust/item}}

/// Handles one request. API Gateway only routes `POST /items` here (see template.yaml).
///
/// - `201 Created` with the stored item;
/// - `400 Bad Request` with `{"error": "..."}` saying what is wrong with the body;
/// - `500 Internal Server Error` when the sink fails: the details go to the log, not the caller.
pub async fn handle<S: Sink>(sink: &S, request: Request) -> Result<Response<Body>, Error> {
    if request.method() != Method::POST {
        let body = json!({ "error": "only POST is supported" });
        let mut response = json_response(StatusCode::METHOD_NOT_ALLOWED, body);
        let allow = HeaderValue::from_static("POST");
        response.headers_mut().insert(ALLOW, allow);
        return Ok(response);
    }

    let item = match Item::from_json(request.body()) {
        Ok(item) => item,
        Err(invalid) => {
            let body = json!({ "error": invalid.to_string() });
            return Ok(json_response(StatusCode::BAD_REQUEST, body));
        }
    };

    match sink.put(&item).await {
        Ok(()) => {
            let body = serde_json::to_value(&item)?;
            Ok(json_response(StatusCode::CREATED, body))
        }
        Err(error) => {
            tracing::error!(id = %item.id, %error, "could not store the item");
            let body = json!({ "error": INTERNAL_ERROR });
            Ok(json_response(StatusCode::INTERNAL_SERVER_ERROR, body))
        }
    }
}

/// What a caller sees when storing fails. The cause is in the function's log.
const INTERNAL_ERROR: &str = "internal error, please try again later";

fn json_response(status: StatusCode, body: Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::memory::MemorySink;

    /// The sample event with another body.
    fn request(body: &str) -> Request {
        let mut request = lambda_http::request::from_str(include_str!("../events/api.json"))
            .expect("events/api.json is an API Gateway event");
        *request.body_mut() = Body::from(body);
        request
    }

    async fn send(sink: &MemorySink, request: Request) -> (StatusCode, Value) {
        let response = handle(sink, request).await.unwrap();
        let body = serde_json::from_slice(response.body()).expect("a JSON body");
        (response.status(), body)
    }

    #[tokio::test]
    async fn the_sample_event_stores_the_item() {
        let sink = MemorySink::default();
        let request = lambda_http::request::from_str(include_str!("../events/api.json")).unwrap();

        let (status, body) = send(&sink, request).await;

        let item = json!({ "id": "A-1001", "name": "espresso beans", "quantity": 3 });
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body, item);
        assert_eq!(sink.items(), [item]);
    }

    #[tokio::test]
    async fn invalid_json_is_a_400() {
        let sink = MemorySink::default();

        let (status, body) = send(&sink, request("{ \"id\": ")).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        let error = body["error"].as_str().unwrap();
        assert!(error.starts_with("body is not valid JSON"), "{error}");
        assert!(sink.items().is_empty());
    }

    #[tokio::test]
    async fn an_empty_body_is_a_400() {
        let sink = MemorySink::default();

        let (status, _) = send(&sink, request("")).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_missing_field_is_a_400_naming_it() {
        let sink = MemorySink::default();

        let (status, body) = send(&sink, request(r#"{"id": "A-1001", "quantity": 3}"#)).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        let expected = "invalid item: missing field `name`";
        assert_eq!(body, json!({ "error": expected }));
        assert!(sink.items().is_empty());
    }

    #[tokio::test]
    async fn a_wrong_type_is_a_400() {
        let sink = MemorySink::default();
        let body = r#"{"id": "A-1001", "name": "espresso beans", "quantity": -3}"#;

        let (status, body) = send(&sink, request(body)).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().unwrap().contains("-3"));
    }

    #[tokio::test]
    async fn a_sink_failure_is_a_500_without_details() {
        let sink = MemorySink::failing_on("A-1001");
        let request = lambda_http::request::from_str(include_str!("../events/api.json")).unwrap();

        let (status, body) = send(&sink, request).await;

        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, json!({ "error": INTERNAL_ERROR }));
        assert!(!body.to_string().contains("outage"));
    }

    #[tokio::test]
    async fn other_methods_are_a_405() {
        let sink = MemorySink::default();
        let mut request = request("");
        *request.method_mut() = Method::GET;

        let (status, _) = send(&sink, request).await;

        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }
}
