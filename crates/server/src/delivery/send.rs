//! One delivery attempt: the Standard Webhooks request, sent to the address that was checked.
//!
//! The host is resolved and checked (no private addresses unless allowed) right before the
//! request, and the connection is pinned to the checked address, so a DNS answer that changes
//! between the check and the connect (rebinding) cannot reach the server's own network.
//! Redirects are not followed, for the same reason.

use std::time::{Duration, Instant};

use crate::services::webhooks::{destination, signing};

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: i64,
}

impl Outcome {
    /// Any 2xx within the timeout is success.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What to send: the message id (the same for every attempt), the keys that sign, the body.
#[derive(Debug)]
pub struct Message<'a> {
    pub id: &'a str,
    pub keys: &'a [Vec<u8>],
    pub body: Vec<u8>,
}

/// A connection to one endpoint's checked address, for the attempts of one turn's batch: the
/// host is resolved and checked once for the batch, and the requests share one client (and so
/// one kept-alive connection) instead of building one each.
pub struct Sender {
    url: reqwest::Url,
    client: reqwest::Client,
    timeout: Duration,
}

impl Sender {
    /// Resolves and checks `url`'s host and prepares a client pinned to the checked address;
    /// what makes that impossible is the failed outcome of every attempt that would have used it.
    pub async fn connect(
        url: &str,
        allow_private: bool,
        timeout: Duration,
    ) -> Result<Self, Outcome> {
        let started = Instant::now();
        Self::prepare(url, allow_private, timeout)
            .await
            .map_err(|error| Outcome {
                status: None,
                error: Some(error),
                latency_ms: elapsed_ms(started),
            })
    }

    async fn prepare(url: &str, allow_private: bool, timeout: Duration) -> Result<Self, String> {
        let url = destination::parse(url).map_err(|e| format!("the url {e}"))?;
        let addresses = destination::resolve(&url, allow_private)
            .await
            .map_err(|e| format!("the url {e}"))?;
        let host = url.host_str().ok_or("the url has no host")?;
        let mut client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")));
        if let Some(address) = addresses.first() {
            client = client.resolve(host.trim_start_matches('[').trim_end_matches(']'), *address);
        }
        let client = client
            .build()
            .map_err(|e| format!("cannot build a client: {e}"))?;
        Ok(Self {
            url,
            client,
            timeout,
        })
    }

    /// Sends `message`, waiting at most the timeout for the answer.
    pub async fn send(&self, message: Message<'_>) -> Outcome {
        let started = Instant::now();
        let result = self.attempt(message).await;
        let latency_ms = elapsed_ms(started);
        match result {
            Ok(status) => Outcome {
                status: Some(status),
                error: (!(200..300).contains(&status))
                    .then(|| format!("the receiver answered {status}")),
                latency_ms,
            },
            Err(error) => Outcome {
                status: None,
                error: Some(error),
                latency_ms,
            },
        }
    }

    async fn attempt(&self, message: Message<'_>) -> Result<u16, String> {
        let timestamp = chrono::Utc::now().timestamp();
        let signature =
            signing::signature_header(message.keys, message.id, timestamp, &message.body);
        let response = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("no answer within {} s", self.timeout.as_secs_f64())
                } else {
                    format!("cannot deliver: {e}")
                }
            })?;
        Ok(response.status().as_u16())
    }
}

/// Sends one `message` to `url` on a connection of its own (a ping).
pub async fn send_once(
    url: &str,
    message: Message<'_>,
    allow_private: bool,
    timeout: Duration,
) -> Outcome {
    match Sender::connect(url, allow_private, timeout).await {
        Ok(sender) => sender.send(message).await,
        Err(failed) => failed,
    }
}

fn elapsed_ms(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}
