//! Business logic for `POST /items`: validate the JSON body, store the item, answer `201`.

{{#if is.cognitoJwt}}
use lambda_http::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, HeaderMap, ORIGIN, VARY};
{{/if}}
use lambda_http::http::header::{ALLOW, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, Method, StatusCode};
{{#if is.publicAuth}}
use lambda_http::{Body, Error, Request, RequestExt, Response};
{{else}}
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response};
{{/if}}
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sink::{Outcome, Sink, Version};
use crate::timeouts::time_left;

{{> rust/item}}

/// Handles one request. API Gateway only routes `POST /items` here (see template.yaml),
{{#if is.publicAuth}}
/// from anyone: the API is public.
{{/if}}
{{#if is.iamAuth}}
/// and only requests signed by an IAM principal allowed to call the API.
{{/if}}
{{#if is.jwtAuth}}
/// and only requests with a valid token from the issuer.
{{/if}}
///
{{#if is.cognitoJwt}}
/// - `403 Forbidden` unless the token was issued for `audience` (the app client id that
///   `JWT_AUDIENCE` names);
{{/if}}
/// - `201 Created` with the stored item;
/// - `400 Bad Request` with `{"error": "..."}` saying what is wrong with the body;
/// - `409 Conflict` when an item with that `id` exists: `POST` creates, it never replaces;
/// - `503 Service Unavailable` when the sink fails or does not answer in time (see
///   `timeouts`): the details go to the log, not the caller, who may try again.
{{#if is.cognitoJwt}}
///
/// Each answer to a browser's request from an origin in `origins` says that its page may read
/// it (`Access-Control-Allow-Origin`); API Gateway answers the preflight (see template.yaml).
pub async fn handle<S: Sink>(
    sink: &S,
    audience: &str,
    origins: &AllowedOrigins,
    request: Request,
) -> Result<Response<Body>, Error> {
    let origin = request.headers().get(ORIGIN).cloned();
    let mut response = respond(sink, audience, request).await?;
    origins.answer(origin.as_ref(), response.headers_mut());
    Ok(response)
}

/// `handle`, before CORS.
async fn respond<S: Sink>(
    sink: &S,
    audience: &str,
    request: Request,
) -> Result<Response<Body>, Error> {
{{else}}
pub async fn handle<S: Sink>(sink: &S, request: Request) -> Result<Response<Body>, Error> {
{{/if}}
{{#unless is.publicAuth}}
    // Who called, as API Gateway established it; set ApplicationLogLevel to DEBUG in
    // template.yaml to see it. Never log the Authorization header: it is a credential.
    let caller = caller(&request);
    match &caller {
{{#if is.iamAuth}}
        Some(caller) => tracing::debug!(
            user_arn = %caller.user_arn,
            caller_id = caller.caller_id.as_deref(),
            account_id = caller.account_id.as_deref(),
            "caller"
        ),
{{/if}}
{{#if is.jwtAuth}}
        Some(caller) => tracing::debug!(
            subject = %caller.subject,
            issuer = caller.issuer.as_deref(),
            audience = caller.audience.as_deref(),
            "caller"
        ),
{{/if}}
        None => tracing::debug!("no caller identity in the request context"),
    }

{{/unless}}
{{#if is.cognitoJwt}}
    // API Gateway's Cognito authorizer checks a token's signature, issuer and expiry, but not
    // which app client it was issued for: any app client of the user pool would get in.
    let token_audience = caller.as_ref().and_then(|c| c.audience.as_deref());
    if token_audience != Some(audience) {
        let subject = caller.as_ref().map(|c| c.subject.as_str());
        tracing::warn!(
            subject,
            token_audience,
            "refused a token issued for another app client"
        );
        let body = json!({ "error": FORBIDDEN });
        return Ok(json_response(StatusCode::FORBIDDEN, body));
    }

{{/if}}
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

    // Under Lambda, the invocation's deadline bounds the sink's calls; tests run without one.
    let stored = sink.put(&item, Version::First);
    let outcome = match request.lambda_context_ref() {
        Some(context) => tokio::time::timeout(time_left(context.deadline()), stored)
            .await
            .unwrap_or_else(|_| Err("out of time storing the item".into())),
        None => stored.await,
    };
    match outcome {
        Ok(Outcome::Stored) => {
            let body = serde_json::to_value(&item)?;
            Ok(json_response(StatusCode::CREATED, body))
        }
        Ok(Outcome::Kept) => {
            let body = json!({ "error": format!("an item with id {:?} already exists", item.id) });
            Ok(json_response(StatusCode::CONFLICT, body))
        }
        Err(error) => {
            tracing::error!(id = %item.id, %error, "could not store the item");
            let body = json!({ "error": UNAVAILABLE });
            Ok(json_response(StatusCode::SERVICE_UNAVAILABLE, body))
        }
    }
}
{{#if is.iamAuth}}

/// The IAM principal that signed the request (SigV4), as API Gateway verified it.
#[derive(Clone, Debug, PartialEq)]
pub struct Caller {
    /// e.g. `arn:aws:iam::123456789012:user/jane`, or
    /// `arn:aws:sts::123456789012:assumed-role/items-writer/jane` for a role session.
    pub user_arn: String,
    /// The principal's unique id (`AIDA…` for a user, `AROA…:session` for a role session).
    pub caller_id: Option<String>,
    /// The AWS account the caller belongs to.
    pub account_id: Option<String>,
}

/// Who signed the request: `requestContext.authorizer.iam` for an HTTP API,
/// `requestContext.identity` for a REST API. `None` for a request without IAM auth.
pub fn caller(request: &Request) -> Option<Caller> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => {
            let iam = context.authorizer.as_ref()?.iam.as_ref()?;
            Some(Caller {
                user_arn: iam.user_arn.clone()?,
                caller_id: iam.caller_id.clone(),
                account_id: iam.account_id.clone(),
            })
        }
        RequestContext::ApiGatewayV1(context) => {
            let identity = &context.identity;
            Some(Caller {
                user_arn: identity.user_arn.clone()?,
                caller_id: identity.caller.clone(),
                account_id: identity.account_id.clone(),
            })
        }
        _ => None,
    }
}
{{/if}}
{{#if is.jwtAuth}}

/// Whom the verified token speaks for: a few of its claims, never the token itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Caller {
    /// `sub`: the user (or, for a client-credentials token, the client) it was issued to.
    pub subject: String,
    /// `iss`: who issued it.
    pub issuer: Option<String>,
    /// `aud` (ID tokens) or `client_id` (Cognito access tokens): whom it was issued for.
    pub audience: Option<String>,
}

impl Caller {
    fn from_claims(claim: impl Fn(&str) -> Option<String>) -> Option<Self> {
        Some(Self {
            subject: claim("sub")?,
            issuer: claim("iss"),
            audience: claim("aud").or_else(|| claim("client_id")),
        })
    }
}

/// The token's claims: `requestContext.authorizer.jwt.claims` for an HTTP API (JWT
/// authorizer), `requestContext.authorizer.claims` for a REST API (Cognito user pool
/// authorizer). `None` for a request without a verified token.
pub fn caller(request: &Request) -> Option<Caller> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => {
            let claims = &context.authorizer.as_ref()?.jwt.as_ref()?.claims;
            Caller::from_claims(|name| claims.get(name).cloned())
        }
        RequestContext::ApiGatewayV1(context) => {
            let claims = context.authorizer.fields.get("claims")?;
            Caller::from_claims(|name| claims.get(name)?.as_str().map(str::to_owned))
        }
        _ => None,
    }
}
{{/if}}
{{#if is.cognitoJwt}}

/// What a caller sees when its token is refused: no hint of which check failed.
const FORBIDDEN: &str = "forbidden";

/// The origins whose web pages may call the API from a browser: `CORS_ALLOWED_ORIGINS`,
/// comma-separated, `*` for any. A REST API's proxy integration passes the function's headers
/// through, so the function, not API Gateway, tells the browser whom an answer is for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Blank entries are dropped, so an empty variable allows none.
    pub fn parse(list: &str) -> Self {
        let origins = list.split(',').map(str::trim).filter(|o| !o.is_empty());
        Self(origins.map(str::to_owned).collect())
    }

    fn any(&self) -> bool {
        self.0.iter().any(|o| o == "*")
    }

    /// Adds the CORS headers for a request from `origin`: none when no origin is allowed.
    fn answer(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if self.any() {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            return;
        }
        if self.0.is_empty() {
            return;
        }
        // The answer depends on the request's Origin: a cache must not serve it to another.
        headers.append(VARY, HeaderValue::from_static("Origin"));
        let listed = origin.filter(|o| o.to_str().is_ok_and(|o| self.0.iter().any(|a| a == o)));
        if let Some(origin) = listed {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
    }
}
{{/if}}

/// What a caller sees when storing fails. The cause is in the function's log.
const UNAVAILABLE: &str = "the service is unavailable, please try again later";

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
{{#unless is.publicAuth}}
    use std::sync::{Arc, Mutex};

    use lambda_http::http::header::AUTHORIZATION;
    use lambda_http::tracing::subscriber;
{{/unless}}
{{#if is.cognitoJwt}}

    /// The app client the sample event's token was issued for, as `JWT_AUDIENCE` says.
    const AUDIENCE: &str = "{{jwtAudience}}";
{{/if}}

    /// The sample event with another body.
    fn request(body: &str) -> Request {
        let mut request = lambda_http::request::from_str(include_str!("../events/api.json"))
            .expect("events/api.json is an API Gateway event");
        *request.body_mut() = Body::from(body);
        request
    }
{{#unless is.publicAuth}}

    /// The sample event as JSON, to edit.
    fn sample_event() -> Value {
        serde_json::from_str(include_str!("../events/api.json")).unwrap()
    }

    fn request_from(event: &Value) -> Request {
        lambda_http::request::from_str(&event.to_string()).expect("an API Gateway event")
    }

    /// The sample event without what the authorizer adds to it.
    fn unauthenticated_event() -> Value {
        let mut event = sample_event();
        let context = event["requestContext"].as_object_mut().unwrap();
        context.remove("authorizer");
        context.remove("identity");
        event
    }
{{/unless}}
{{#if is.jwtAuth}}

    /// Where the sample event's token claims are.
    const CLAIMS: &str = "{{#if is.httpApi}}/requestContext/authorizer/jwt/claims{{else}}/requestContext/authorizer/claims{{/if}}";

    /// The sample event with the token's claims changed by `edit`.
    fn event_with_claims(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
        let mut event = sample_event();
        edit(event.pointer_mut(CLAIMS).unwrap().as_object_mut().unwrap());
        event
    }
{{/if}}

    async fn send(sink: &MemorySink, request: Request) -> (StatusCode, Value) {
{{#if is.cognitoJwt}}
        let response = handle(sink, AUDIENCE, &AllowedOrigins::default(), request)
            .await
            .unwrap();
{{else}}
        let response = handle(sink, request).await.unwrap();
{{/if}}
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
    async fn a_sink_failure_is_a_503_without_details() {
        let sink = MemorySink::failing_on("A-1001");
        let request = lambda_http::request::from_str(include_str!("../events/api.json")).unwrap();

        let (status, body) = send(&sink, request).await;

        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, json!({ "error": UNAVAILABLE }));
        assert!(!body.to_string().contains("outage"));
    }

    #[tokio::test]
    async fn an_existing_id_is_a_409_and_keeps_the_stored_item() {
        let sink = MemorySink::default();
        let first = r#"{"id": "A-1001", "name": "espresso beans", "quantity": 3}"#;
        let second = r#"{"id": "A-1001", "name": "green tea", "quantity": 1}"#;

        let (created, _) = send(&sink, request(first)).await;
        let (status, body) = send(&sink, request(second)).await;

        assert_eq!(created, StatusCode::CREATED);
        assert_eq!(status, StatusCode::CONFLICT);
        let expected = "an item with id \"A-1001\" already exists";
        assert_eq!(body, json!({ "error": expected }));
        assert_eq!(sink.items()[0]["name"], "espresso beans");
    }

    #[tokio::test]
    async fn a_sink_that_does_not_answer_in_time_is_a_503() {
        let sink = MemorySink::hanging_on("A-1001");
        let request = lambda_http::request::from_str(include_str!("../events/api.json")).unwrap();
        let mut context = lambda_http::Context::default();
        let deadline = std::time::SystemTime::now() + std::time::Duration::from_millis(300);
        let since_epoch = deadline.duration_since(std::time::UNIX_EPOCH).unwrap();
        context.deadline = since_epoch.as_millis() as u64;
        let request = request.with_lambda_context(context);

        let (status, body) = send(&sink, request).await;

        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, json!({ "error": UNAVAILABLE }));
    }

    #[tokio::test]
    async fn other_methods_are_a_405() {
        let sink = MemorySink::default();
        let mut request = request("");
        *request.method_mut() = Method::GET;

        let (status, _) = send(&sink, request).await;

        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }
{{#if is.iamAuth}}

    #[test]
    fn the_caller_is_the_iam_principal_that_signed_the_request() {
        let caller = caller(&request_from(&sample_event()));

        let expected = Caller {
            user_arn: "arn:aws:sts::123456789012:assumed-role/items-writer/jane".into(),
            caller_id: Some("AROA3XFRBF535PLBIFPI4:jane".into()),
            account_id: Some("123456789012".into()),
        };
        assert_eq!(caller, Some(expected));
    }
{{/if}}
{{#if is.jwtAuth}}

    #[test]
    fn the_caller_is_the_subject_of_the_token() {
        let caller = caller(&request_from(&sample_event()));

        let expected = Caller {
            subject: "8f3b2a61-5c7d-4e9a-b1f0-2d6c4a8e9b17".into(),
            issuer: Some("{{jwtIssuer}}".into()),
            audience: Some("{{jwtAudience}}".into()),
        };
        assert_eq!(caller, Some(expected));
    }

    #[test]
    fn an_access_token_names_its_audience_in_client_id() {
        let event = event_with_claims(|claims| {
            claims.remove("aud");
            claims.insert("client_id".into(), json!("{{jwtAudience}}"));
            claims.insert("token_use".into(), json!("access"));
        });

        let caller = caller(&request_from(&event)).unwrap();

        assert_eq!(caller.audience.as_deref(), Some("{{jwtAudience}}"));
    }
{{/if}}
{{#unless is.publicAuth}}

    #[test]
    fn a_request_without_an_authorizer_has_no_caller() {
        assert_eq!(caller(&request_from(&unauthenticated_event())), None);
    }

    /// Collects what a test's log subscriber writes.
    #[derive(Clone, Default)]
    struct Logs(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Logs {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_caller_is_logged_at_debug_level_without_credentials() {
        let request = request_from(&sample_event());
        // The signature or token, and the session token of temporary IAM credentials.
        let secrets: Vec<String> = [AUTHORIZATION.as_str(), "x-amz-security-token"]
            .into_iter()
            .filter_map(|name| request.headers().get(name)?.to_str().ok())
            .flat_map(|value| value.split([' ', ',', '=']))
            .filter(|piece| piece.len() >= 32)
            .map(str::to_owned)
            .collect();
        assert!(!secrets.is_empty());
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);

        let (status, _) = send(&MemorySink::default(), request).await;

        assert_eq!(status, StatusCode::CREATED);
        let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
{{#if is.iamAuth}}
        let caller = "arn:aws:sts::123456789012:assumed-role/items-writer/jane";
{{/if}}
{{#if is.jwtAuth}}
        let caller = "8f3b2a61-5c7d-4e9a-b1f0-2d6c4a8e9b17";
{{/if}}
        let line = logs.lines().find(|line| line.contains(caller));
        assert!(line.is_some_and(|line| line.contains("DEBUG")), "{logs}");
        for secret in &secrets {
            assert!(!logs.contains(secret.as_str()), "{logs}");
        }
    }
{{/unless}}
{{#if is.cognitoJwt}}

    #[tokio::test]
    async fn a_token_for_another_app_client_is_a_403() {
        let sink = MemorySink::default();
        let event = event_with_claims(|claims| {
            claims.insert("aud".into(), json!("another-app-client"));
        });

        let (status, body) = send(&sink, request_from(&event)).await;

        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, json!({ "error": FORBIDDEN }));
        assert!(sink.items().is_empty());
    }

    #[tokio::test]
    async fn an_access_token_for_this_app_client_is_a_201() {
        let sink = MemorySink::default();
        let event = event_with_claims(|claims| {
            claims.remove("aud");
            claims.insert("client_id".into(), json!(AUDIENCE));
            claims.insert("token_use".into(), json!("access"));
        });

        let (status, _) = send(&sink, request_from(&event)).await;

        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(sink.ids(), ["A-1001"]);
    }

    #[tokio::test]
    async fn a_request_without_a_token_is_a_403() {
        let sink = MemorySink::default();

        let (status, _) = send(&sink, request_from(&unauthenticated_event())).await;

        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(sink.items().is_empty());
    }

    /// The sample request from a browser page at `origin`, answered with `allowed` origins.
    async fn from_origin(
        allowed: &str,
        origin: Option<&str>,
        body: Option<&str>,
    ) -> Response<Body> {
        let mut request = request_from(&sample_event());
        if let Some(body) = body {
            *request.body_mut() = Body::from(body);
        }
        if let Some(origin) = origin {
            let origin = HeaderValue::from_str(origin).unwrap();
            request.headers_mut().insert(ORIGIN, origin);
        }
        let origins = AllowedOrigins::parse(allowed);
        handle(&MemorySink::default(), AUDIENCE, &origins, request)
            .await
            .unwrap()
    }

    fn cors_headers(response: &Response<Body>) -> (Option<&str>, Vec<&str>) {
        let headers = response.headers();
        let allow = headers
            .get(ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap());
        let vary = headers.get_all(VARY).iter().map(|v| v.to_str().unwrap());
        (allow, vary.collect())
    }

    const ORIGINS: &str = "https://app.example.com, http://localhost:3000";

    #[tokio::test]
    async fn a_listed_origin_is_echoed_with_vary_origin() {
        for origin in ["https://app.example.com", "http://localhost:3000"] {
            let response = from_origin(ORIGINS, Some(origin), None).await;

            assert_eq!(response.status(), StatusCode::CREATED);
            assert_eq!(cors_headers(&response), (Some(origin), vec!["Origin"]));
        }
    }

    #[tokio::test]
    async fn an_unlisted_origin_gets_no_allow_origin() {
        for origin in [
            "https://evil.example.com",
            "https://app.example.com.evil.io",
            "null",
        ] {
            let response = from_origin(ORIGINS, Some(origin), None).await;

            assert_eq!(cors_headers(&response), (None, vec!["Origin"]));
        }
        let response = from_origin(ORIGINS, None, None).await;
        assert_eq!(cors_headers(&response), (None, vec!["Origin"]));
    }

    #[tokio::test]
    async fn no_allowed_origins_means_no_cors_headers() {
        for allowed in ["", " , "] {
            let response = from_origin(allowed, Some("https://app.example.com"), None).await;

            assert_eq!(cors_headers(&response), (None, vec![]));
        }
    }

    #[tokio::test]
    async fn a_star_allows_any_origin() {
        let response = from_origin("*", Some("https://anywhere.example.org"), None).await;

        assert_eq!(cors_headers(&response), (Some("*"), vec![]));
    }

    #[tokio::test]
    async fn errors_carry_the_cors_headers_so_the_page_can_read_them() {
        let origin = "https://app.example.com";

        let response = from_origin(ORIGINS, Some(origin), Some("{ not json")).await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(cors_headers(&response), (Some(origin), vec!["Origin"]));
    }

    #[test]
    fn the_origin_list_is_trimmed_and_blank_entries_dropped() {
        let parsed = AllowedOrigins::parse(" https://a.example.com ,,http://localhost:3000, ");

        let expected = ["https://a.example.com", "http://localhost:3000"].map(String::from);
        assert_eq!(parsed, AllowedOrigins(expected.to_vec()));
        assert_eq!(AllowedOrigins::parse(""), AllowedOrigins::default());
    }
{{/if}}
}
