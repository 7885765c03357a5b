//! Webhooks (spec §9): endpoints, secrets shown once, signed deliveries in revision order,
//! retries, disabling, rotation, and the inputs that are refused.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use domain::GroupRole;
use reqwest::Method;
use roster_server::services::webhooks::signing;
use serde_json::{Value, json};
use tests::app::{TestApp, spawn_app, spawn_app_with, test_settings};
use tests::both_backends;
use tests::db::TestDb;
use tests::receiver::{Received, Receiver};
use uuid::Uuid;

/// A server that may deliver to loopback, retrying quickly.
async fn app_delivering_locally(db: &TestDb) -> TestApp {
    let mut settings = test_settings(db);
    settings.webhook_allow_private = true;
    settings.webhook_retry_base = Duration::from_millis(20);
    settings.webhook_timeout = Duration::from_secs(2);
    spawn_app_with(settings).await
}

async fn create_endpoint(app: &TestApp, body: Value) -> Value {
    app.expect(
        &app.admin,
        Method::POST,
        "/v1/webhooks",
        Some(&body),
        &[201],
    )
    .await
}

/// Whether `delivery` is signed by `secret` as Standard Webhooks says.
fn signed_by(delivery: &Received, secret: &str) -> bool {
    let key = signing::secret_key(secret).unwrap();
    let timestamp: i64 = delivery.timestamp.parse().unwrap();
    let expected = signing::sign(&key, &delivery.id, timestamp, &delivery.body);
    delivery.signature.split(' ').any(|s| s == expected)
}

/// The revisions of the distinct changes received (by `webhook-id`), in first-arrival order.
fn revisions(received: &[Received]) -> Vec<i64> {
    let mut seen = BTreeSet::new();
    received
        .iter()
        .filter(|r| seen.insert(r.id.clone()))
        .filter_map(|r| r.json()["revision"].as_i64())
        .collect()
}

async fn every_change_is_delivered_once_in_order_and_signed(db: &TestDb) {
    let app = Arc::new(app_delivering_locally(db).await);
    let receiver = Receiver::start();
    let created = create_endpoint(&app, json!({ "url": receiver.url, "description": "all" })).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let shown = app.get_ok(&app.admin, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(
        shown.get("secret"),
        None,
        "the secret is shown once: {shown}"
    );
    let listed = app.get_ok(&app.admin, "/v1/webhooks").await;
    assert!(!listed.to_string().contains(&secret));
    let stored = app
        .audit_events("webhook.create")
        .await
        .into_iter()
        .map(|e| e.details.to_string())
        .collect::<String>();
    assert!(
        !stored.contains(&secret),
        "the audit trail never holds the secret"
    );

    // 8 clients writing at once.
    let start = app
        .call(Some(&app.admin), Method::GET, "/v1/me", None)
        .await
        .headers()["roster-revision"]
        .to_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let mut tasks = Vec::new();
    for client in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..8 {
                let body = json!({ "name": format!("c{client}-{n}") });
                app.expect(&app.admin, Method::POST, "/v1/groups", Some(&body), &[201])
                    .await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // The endpoint's own creation (revision `start`) is a change in its scope too.
    let expected: Vec<i64> = (start..=(start + 64)).collect();
    let received = receiver
        .wait_for(30, |r| revisions(r).len() >= expected.len())
        .await;
    assert_eq!(
        revisions(&received),
        expected,
        "each change once, in revision order"
    );
    assert!(
        received.iter().all(|r| signed_by(r, &secret)),
        "every delivery is signed"
    );
    assert!(
        received
            .iter()
            .all(|r| !signed_by(r, &signing::new_secret())),
        "a signature made with another secret does not verify"
    );
    let first = received[0].json();
    assert_eq!(first["action"], "webhook.create");
    assert_eq!(first["details"]["after"].get("secret"), None);
    assert!(
        first["access"].is_array() && first["id"].is_string(),
        "{first}"
    );

    // The log: every delivery succeeded, each with its revision. The worker records an outcome
    // after the receiver has answered, so the last one may still be on its way to the log.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (log, states) = loop {
        let log = app
            .get_ok(
                &app.admin,
                &format!("/v1/webhooks/{id}/deliveries?limit=500"),
            )
            .await;
        let states: BTreeSet<String> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["state"].as_str().unwrap().to_owned())
            .collect();
        if states.len() == 1 || std::time::Instant::now() > deadline {
            break (log, states);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(states, BTreeSet::from(["succeeded".to_owned()]), "{log}");

    // A ping answers with its own delivery at once.
    let ping = app
        .expect(
            &app.admin,
            Method::POST,
            &format!("/v1/webhooks/{id}/ping"),
            None,
            &[200],
        )
        .await;
    assert_eq!(
        (ping["kind"].as_str(), ping["state"].as_str()),
        (Some("ping"), Some("succeeded"))
    );
    let last = receiver.received().last().unwrap().clone();
    assert_eq!(last.json()["type"], "ping");
    assert!(signed_by(&last, &secret));

    // Rotation: the new secret is shown once; both sign during the overlap.
    let rotated = app
        .expect(
            &app.admin,
            Method::POST,
            &format!("/v1/webhooks/{id}/rotate-secret"),
            None,
            &[200],
        )
        .await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let before = receiver.received().len();
    app.create_group(&app.admin, "After rotation", None).await;
    let received = receiver.wait_for(10, |r| r.len() > before + 1).await;
    let after = received
        .iter()
        .skip(before)
        .find(|r| r.json()["action"] == "webhook.update" || r.json()["action"] == "group.create")
        .unwrap();
    assert!(
        signed_by(after, &secret) && signed_by(after, &new_secret),
        "{}",
        after.signature
    );
    assert_eq!(after.signature.split(' ').count(), 2);
}

async fn a_failing_receiver_is_retried_then_disabled(db: &TestDb) {
    let app = app_delivering_locally(db).await;
    let receiver = Receiver::start();
    let created =
        create_endpoint(&app, json!({ "url": receiver.url, "actions": ["group.*"] })).await;
    let id = created["id"].as_str().unwrap().to_owned();

    // Down for a while: retried, then caught up in order once it answers again.
    receiver.answer(503);
    for name in ["A", "B", "C"] {
        app.create_group(&app.admin, name, None).await;
    }
    receiver.wait_for(10, |r| r.len() >= 4).await;
    let during = receiver.received();
    assert!(during.iter().all(|r| r.json()["name"].is_null()));
    assert!(
        during.iter().all(|r| r.id == during[0].id),
        "one in flight: the first change is retried before the next is sent"
    );
    receiver.answer(200);
    let received = receiver.wait_for(15, |r| revisions(r).len() >= 3).await;
    let groups: Vec<String> = received
        .iter()
        .filter(|r| r.json()["action"] == "group.create")
        .map(|r| {
            r.json()["details"]["after"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect::<Vec<_>>();
    let mut distinct = groups.clone();
    distinct.dedup();
    assert_eq!(distinct, ["A", "B", "C"], "in order once it is back");
    let log = app
        .get_ok(&app.admin, &format!("/v1/webhooks/{id}/deliveries"))
        .await;
    assert!(log["items"][0]["attempt"].as_i64().unwrap() >= 2, "{log}");

    // Down for good: 10 consecutive failures disable it, with the reason and an audit event.
    receiver.answer(500);
    app.create_group(&app.admin, "D", None).await;
    let mut shown = Value::Null;
    for _ in 0..600 {
        shown = app.get_ok(&app.admin, &format!("/v1/webhooks/{id}")).await;
        if shown["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(
        shown["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("10 consecutive"),
        "{shown}"
    );
    assert_eq!(app.audit_count("webhook.disable").await, 1);
    // Disabled: no new deliveries are queued or sent.
    let sent = receiver.received().len();
    app.create_group(&app.admin, "E", None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), sent);

    // Enabled again: what was pending goes out (D, still owed), nothing lost.
    receiver.answer(200);
    app.patch(
        &app.admin,
        &format!("/v1/webhooks/{id}"),
        &json!({ "enabled": true }),
    )
    .await;
    let received = receiver
        .wait_for(10, |r| {
            r.iter().any(|r| {
                r.json()["details"]["after"]["name"] == "D" && r.json()["action"] == "group.create"
            }) && r.len() > sent
        })
        .await;
    assert!(
        received
            .iter()
            .skip(sent)
            .any(|r| r.json()["details"]["after"]["name"] == "D")
    );
}

async fn bad_endpoints_are_refused(db: &TestDb) {
    // The default server: private destinations refused.
    let app = spawn_app(db).await;
    let refused = |body: Value, field: &'static str| {
        let app = &app;
        async move {
            let problem = app
                .refused(
                    &app.admin,
                    Method::POST,
                    "/v1/webhooks",
                    Some(&body),
                    400,
                    "validation_failed",
                )
                .await;
            let fields: Vec<&str> = problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert!(fields.contains(&field), "{field} in {problem}");
        }
    };
    refused(json!({ "url": "ftp://example.org/x" }), "url").await;
    refused(json!({ "url": "not a url" }), "url").await;
    refused(json!({ "url": "http://user:pw@example.org/" }), "url").await;
    refused(json!({ "url": "http://127.0.0.1:9/hook" }), "url").await;
    refused(json!({ "url": "http://[::1]/hook" }), "url").await;
    refused(json!({ "url": "http://169.254.169.254/latest" }), "url").await;
    refused(json!({ "url": "http://localhost/hook" }), "url").await;
    refused(
        json!({ "url": "https://example.org/", "actions": ["group.*", "nonsense.*"] }),
        "actions[1]",
    )
    .await;
    let (group, project) = (Uuid::now_v7(), Uuid::now_v7());
    refused(
        json!({ "url": "https://example.org/", "group_id": group, "project_id": project }),
        "project_id",
    )
    .await;
    let extra = json!({ "url": "https://example.org/", "secret": "whsec_mine" });
    app.refused(
        &app.admin,
        Method::POST,
        "/v1/webhooks",
        Some(&extra),
        400,
        "validation_failed",
    )
    .await;

    // Scopes the caller cannot manage; endpoints they cannot see. A public address literal
    // needs no DNS (this machine has none for the internet).
    let school = app.create_group(&app.admin, "School", None).await;
    let teacher = app.create_user("teacher@example.org").await;
    app.grant_group(school, &teacher, GroupRole::Teacher).await;
    let public = "http://93.184.215.14/hook";
    let body = json!({ "url": public, "group_id": school });
    app.refused(
        &teacher,
        Method::POST,
        "/v1/webhooks",
        Some(&body),
        403,
        "forbidden",
    )
    .await;
    let everything = json!({ "url": public });
    app.refused(
        &teacher,
        Method::POST,
        "/v1/webhooks",
        Some(&everything),
        403,
        "forbidden",
    )
    .await;
    let unknown = json!({ "url": public, "group_id": Uuid::now_v7() });
    app.refused(
        &app.admin,
        Method::POST,
        "/v1/webhooks",
        Some(&unknown),
        404,
        "not_found",
    )
    .await;
    let created = create_endpoint(&app, body.clone()).await;
    let id = created["id"].as_str().unwrap();
    app.get_refused(&teacher, &format!("/v1/webhooks/{id}"), 404, "not_found")
        .await;
    app.refused(
        &teacher,
        Method::DELETE,
        &format!("/v1/webhooks/{id}"),
        None,
        404,
        "not_found",
    )
    .await;
    let listed = app.get_ok(&teacher, "/v1/webhooks").await;
    assert_eq!(listed["items"], json!([]));
    let head = app.create_user("head@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    app.get_ok(&head, &format!("/v1/webhooks/{id}")).await;
    let listed = app.get_ok(&head, "/v1/webhooks").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // PATCH checks its fields as POST does.
    let bad = json!({ "actions": ["group.nope"] });
    app.refused(
        &head,
        Method::PATCH,
        &format!("/v1/webhooks/{id}"),
        Some(&bad),
        400,
        "validation_failed",
    )
    .await;
    app.get_refused(
        &app.admin,
        &format!("/v1/webhooks/{}", Uuid::now_v7()),
        404,
        "not_found",
    )
    .await;
}

/// Two servers on one database: each works the outbox, and each change reaches the endpoint
/// once, never two at a time.
async fn two_servers_share_the_outbox(db: &TestDb) {
    let app = app_delivering_locally(db).await;
    let mut settings = test_settings(db);
    settings.webhook_allow_private = true;
    let second = roster_server::Application::build(settings).await.unwrap();
    let second_address = format!("http://127.0.0.1:{}", second.port());
    let second_handle = second.handle();
    tokio::spawn(second.run_until_stopped());
    let receiver = Receiver::start();
    receiver.delay(15);
    create_endpoint(
        &app,
        json!({ "url": receiver.url, "actions": ["group.create"] }),
    )
    .await;
    let client = reqwest::Client::new();
    for n in 0..40 {
        // Writes through both servers, so both wake to deliver.
        let base = if n % 2 == 0 {
            &app.address
        } else {
            &second_address
        };
        let response = client
            .post(format!("{base}/v1/groups"))
            .bearer_auth(&app.admin.token)
            .json(&json!({ "name": format!("g{n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let received = receiver.wait_for(30, |r| r.len() >= 40).await;
    let ids: BTreeSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!((received.len(), ids.len()), (40, 40), "each change once");
    let order = revisions(&received);
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "in revision order");
    assert_eq!(
        receiver.most_in_flight(),
        1,
        "one delivery in flight per endpoint"
    );
    drop(second_handle.stop(false));
}

/// A server run with `ROSTER_WEBHOOK_DELIVERY=false` queues a delivery with each change but
/// sends none; a delivering server on the same database sends them, in order.
async fn a_server_without_delivery_only_queues(db: &TestDb) {
    let mut settings = test_settings(db);
    settings.webhook_allow_private = true;
    settings.webhook_delivery = false;
    let app = spawn_app_with(settings).await;
    let receiver = Receiver::start();
    let body = json!({ "url": receiver.url, "actions": ["group.create"] });
    let id = create_endpoint(&app, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in ["A", "B", "C"] {
        app.create_group(&app.admin, name, None).await;
    }
    // Longer than the worker's idle tick: a worker, had one run, would have sent by now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        receiver.received().is_empty(),
        "sent by a server without delivery"
    );
    let log = app
        .get_ok(&app.admin, &format!("/v1/webhooks/{id}/deliveries"))
        .await;
    let states: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["state"])
        .collect();
    assert_eq!(states, ["pending", "pending", "pending"], "{log}");

    let mut settings = test_settings(db);
    settings.webhook_allow_private = true;
    let delivering = roster_server::Application::build(settings).await.unwrap();
    let handle = delivering.handle();
    tokio::spawn(delivering.run_until_stopped());
    let received = receiver.wait_for(30, |r| r.len() >= 3).await;
    let names: Vec<Value> = received
        .iter()
        .map(|r| r.json()["details"]["after"]["name"].clone())
        .collect();
    assert_eq!(
        names,
        ["A", "B", "C"],
        "sent by the delivering server, in order"
    );
    drop(handle.stop(false));
}

/// An endpoint delivers what its creator may read at delivery time: once they lose the scope,
/// its changes are logged as skipped and never sent.
async fn changes_the_creator_can_no_longer_read_are_skipped(db: &TestDb) {
    let app = app_delivering_locally(db).await;
    let receiver = Receiver::start();
    let school = app.create_group(&app.admin, "School", None).await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    let body = json!({ "url": receiver.url, "group_id": school, "actions": ["group.*"] });
    let created = app
        .expect(&head, Method::POST, "/v1/webhooks", Some(&body), &[201])
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.create_group(&app.admin, "Class", Some(school)).await;
    let seen = receiver
        .wait_for(10, |r| {
            r.iter().any(|r| r.json()["action"] == "group.create")
        })
        .await;
    assert_eq!(seen.len(), 1, "the class, while the head may read it");

    let path = format!("/v1/groups/{school}/members/{}", head.id);
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    app.create_group(&app.admin, "Later", Some(school)).await;
    let skipped = app.await_deliveries(&id, "skipped", 1).await;
    assert_eq!(skipped, 1, "the later group is skipped");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 1, "nothing more was sent");
}

/// The outbox follows every change to the endpoints at once, though writers keep the endpoints
/// in memory: new filters, disabling and enabling, new endpoints, and endpoints deleted with
/// their group (which never tell the writers) — a write after each queues exactly what the
/// endpoints as they now are take.
async fn the_outbox_follows_endpoint_changes_at_once(db: &TestDb) {
    let mut settings = test_settings(db);
    settings.webhook_allow_private = true;
    settings.webhook_delivery = false;
    let app = spawn_app_with(settings).await;
    let receiver = Receiver::start();
    let queued = async |id: &str| -> usize {
        let log = app
            .get_ok(
                &app.admin,
                &format!("/v1/webhooks/{id}/deliveries?limit=100"),
            )
            .await;
        log["items"].as_array().unwrap().len()
    };
    let patch = async |id: &str, body: Value| {
        let path = format!("/v1/webhooks/{id}");
        app.expect(&app.admin, Method::PATCH, &path, Some(&body), &[200])
            .await;
    };
    let body = json!({ "url": receiver.url, "actions": ["group.create"] });
    let all = create_endpoint(&app, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let school = app.create_group(&app.admin, "School", None).await;
    assert_eq!(queued(&all).await, 1, "taken by the new endpoint");

    patch(&all, json!({ "actions": ["project.*"] })).await;
    app.create_group(&app.admin, "B", None).await;
    assert_eq!(queued(&all).await, 1, "no longer taken after a new filter");

    patch(&all, json!({ "actions": ["group.*"], "enabled": false })).await;
    app.create_group(&app.admin, "C", None).await;
    assert_eq!(queued(&all).await, 1, "not queued for a disabled endpoint");

    patch(&all, json!({ "enabled": true })).await;
    app.create_group(&app.admin, "D", None).await;
    assert_eq!(queued(&all).await, 2, "queued again once enabled");

    let body = json!({ "url": receiver.url, "group_id": school, "actions": ["group.*"] });
    let scoped = create_endpoint(&app, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_group(&app.admin, "Outside", None).await;
    let class = app.create_group(&app.admin, "Class", Some(school)).await;
    assert_eq!(queued(&scoped).await, 1, "only the change inside its scope");
    assert_eq!(queued(&all).await, 4);

    // Deleting the school deletes its endpoint with it; writers still know it as a candidate.
    let path = format!("/v1/groups/{class}");
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    let path = format!("/v1/groups/{school}");
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    let path = format!("/v1/webhooks/{scoped}");
    app.get_refused(&app.admin, &path, 404, "not_found").await;
    app.create_group(&app.admin, "After", None).await;
    assert_eq!(queued(&all).await, 7, "two deletions and a creation");
}

both_backends!(every_change_is_delivered_once_in_order_and_signed);
both_backends!(changes_the_creator_can_no_longer_read_are_skipped);
both_backends!(two_servers_share_the_outbox);
both_backends!(a_server_without_delivery_only_queues);
both_backends!(a_failing_receiver_is_retried_then_disabled);
both_backends!(bad_endpoints_are_refused);
both_backends!(the_outbox_follows_endpoint_changes_at_once);
