//! The request middleware: one access-log line per request with its method, the route template
//! it matched, the names of its query parameters, its status and latency — never the values,
//! which can be personal data (`?email=`) — and the same route, status and latency recorded in
//! the request metrics, so each is worked out once. With `roster::http` at debug level
//! (`ROSTER_LOG`), a second line gives the path and query in full, for an operator who asks.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// The log target of the access log.
const TARGET: &str = "roster::http";

/// Middleware: logs and counts every request once it is answered.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let params = parameter_names(req.query_string());
    let full =
        tracing::enabled!(target: TARGET, tracing::Level::DEBUG).then(|| req.uri().to_string());
    let response = next.call(req).await;
    let status = match &response {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    let seconds = started.elapsed().as_secs_f64();
    crate::metrics::record_request(&route, &method, status, seconds);
    let latency_ms = seconds * 1000.0;
    tracing::info!(target: TARGET, %method, route, params, status, latency_ms, "request");
    if let Some(uri) = full {
        tracing::debug!(target: TARGET, %method, uri, status, "request in full");
    }
    response
}

/// The names of the query's parameters, in order, without their values: `email,q`.
fn parameter_names(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split('=').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::middleware::from_fn;
    use actix_web::test as actix_test;
    use actix_web::{App, HttpResponse, web};

    use super::*;

    /// A log sink the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the access log writes for one request, at `level`.
    async fn logged(level: &str, uri: &str) -> String {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(level)
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = actix_test::init_service(
            App::new()
                .wrap(from_fn(observe))
                .route("/v1/users", web::get().to(HttpResponse::Ok)),
        )
        .await;
        actix_test::call_service(&app, actix_test::TestRequest::get().uri(uri).to_request()).await;
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[actix_web::test]
    async fn values_stay_out_of_the_log() {
        let line = logged("info", "/v1/users?email=ada%40example.org&q=lovelace").await;
        assert!(line.contains(r#"route="/v1/users""#), "{line}");
        assert!(line.contains(r#"params="email,q""#), "{line}");
        assert!(line.contains("status=200"), "{line}");
        assert!(!line.contains("ada"), "a query value was logged: {line}");
        assert!(
            !line.contains("lovelace"),
            "a query value was logged: {line}"
        );
    }

    #[actix_web::test]
    async fn debug_logs_the_request_in_full() {
        let lines = logged("roster::http=debug", "/v1/users?q=lovelace").await;
        assert!(lines.contains(r#"uri="/v1/users?q=lovelace""#), "{lines}");
    }

    #[test]
    fn parameter_names_drop_values() {
        assert_eq!(parameter_names(""), "");
        assert_eq!(parameter_names("a=1&b&c=x=y"), "a,b,c");
        assert_eq!(parameter_names("&email=x%40y&&"), "email");
    }
}
