//! Hostile text at the edges: control characters in bodies and queries, invisible and look-alike
//! Unicode in names and emails, `null` in a PATCH, and timestamps outside the stored range —
//! each answered the same on both databases (the review "Hardening").

use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tests::api::percent_encode;
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::{Backend, TestDb};

/// The fields a `validation_failed` problem names, in order.
fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

/// Sends `method path` with `body` as `actor`; it must be a 400 naming exactly `field`.
async fn refused_naming(
    app: &TestApp,
    actor: &TestUser,
    method: Method,
    path: &str,
    body: Option<&Value>,
    field: &str,
) {
    let problem = app
        .refused(actor, method.clone(), path, body, 400, "validation_failed")
        .await;
    assert_eq!(
        fields(&problem),
        [field],
        "{method} {path} {body:?}: {problem}"
    );
}

async fn control_characters_in_queries_are_refused_naming_the_parameter(db: &TestDb) {
    let app = spawn_app(db).await;
    // Any logged-in user could send these; a plain user proves it is not an admin-only path.
    let user = app.create_user("plain@example.org").await;
    let group = app.organisation().await;
    for (path, field) in [
        ("/v1/users?q=%00".to_owned(), "q"),
        ("/v1/users?q=a%07b".to_owned(), "q"),
        (
            format!("/v1/users?email={}", percent_encode("nul\0@x.org")),
            "email",
        ),
        ("/v1/users?cursor=%00".to_owned(), "cursor"),
        (format!("/v1/groups/{group}/members?role=%00"), "role"),
    ] {
        refused_naming(&app, &user, Method::GET, &path, None, field).await;
    }
    for (path, field) in [
        ("/v1/audit?resource_type=gr%00oup", "resource_type"),
        ("/v1/audit?resource_type=group%0A", "resource_type"),
        ("/v1/audit?resource_type=%C2%85", "resource_type"),
    ] {
        refused_naming(&app, &app.admin, Method::GET, path, None, field).await;
    }
}

async fn control_characters_in_bodies_are_refused_naming_the_field(db: &TestDb) {
    let app = spawn_app(db).await;
    let user = app.create_user("plain@example.org").await;
    let nul_email = json!({ "email": "nul\u{0}@x.org", "display_name": "Nul" });
    refused_naming(
        &app,
        &app.admin,
        Method::POST,
        "/v1/users",
        Some(&nul_email),
        "email",
    )
    .await;
    let patch = json!({ "email": "nul\u{0}@x.org" });
    let path = format!("/v1/users/{}", user.id);
    refused_naming(
        &app,
        &app.admin,
        Method::PATCH,
        &path,
        Some(&patch),
        "email",
    )
    .await;
    let escape = json!({ "display_name": "Eve\u{1b}[2J" });
    refused_naming(
        &app,
        &user,
        Method::PATCH,
        &path,
        Some(&escape),
        "display_name",
    )
    .await;
    // Nested strings are named by their JSON path, as serde names a mistyped field.
    let check = json!({ "checks": [
        { "capability": "group.view", "resource": { "type": "group", "id": app.organisation().await } },
        { "capability": "group.view", "resource": { "type": "gr\u{0}oup" } },
    ] });
    refused_naming(
        &app,
        &user,
        Method::POST,
        "/v1/check/batch",
        Some(&check),
        "checks[1].resource.type",
    )
    .await;
    // Nothing was stored: the addresses are the two the test made and the admin's.
    let users = app.get_ok(&app.admin, "/v1/users").await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2, "{users}");
}

async fn nfd_and_nfc_spellings_are_one_email(db: &TestDb) {
    let app = spawn_app(db).await;
    let nfc = "\u{e9}lise@example.org";
    let nfd = "e\u{301}lise@example.org";
    let created = app
        .post(
            &app.admin,
            "/v1/users",
            &json!({ "email": nfc, "display_name": "E\u{301}lise" }),
        )
        .await;
    let created = expect_status(created, 201).await;
    assert_eq!(created["email"], nfc);
    assert_eq!(
        created["display_name"], "\u{c9}lise",
        "display names are stored in NFC"
    );
    let again = app
        .post(
            &app.admin,
            "/v1/users",
            &json!({ "email": nfd, "display_name": "Elise" }),
        )
        .await;
    expect_problem(again, 409, "email_taken").await;
    // The filters normalise too: both spellings find the one user.
    for spelling in [nfc, nfd] {
        let found = app
            .get_ok(
                &app.admin,
                &format!("/v1/users?email={}", percent_encode(spelling)),
            )
            .await;
        assert_eq!(found["items"][0]["id"], created["id"], "{spelling:?}");
    }
    let found = app
        .get_ok(
            &app.admin,
            &format!("/v1/users?q={}", percent_encode("e\u{301}lis")),
        )
        .await;
    assert_eq!(found["items"][0]["id"], created["id"]);
}

async fn invisible_bidi_and_mixed_script_text_is_refused(db: &TestDb) {
    let app = spawn_app(db).await;
    let user = app.create_user("plain@example.org").await;
    for (email, display_name, field) in [
        ("ad\u{200b}min@localhost", "Admin", "email"),
        ("\u{202e}admin@localhost", "Admin", "email"),
        ("\u{200d}@example.org", "Joiner", "email"),
        ("admin@local\u{2066}host", "Admin", "email"),
        // Latin with a Cyrillic `а`: a homograph of paypal@example.org.
        ("p\u{430}ypal@example.org", "Pal", "email"),
        ("zero@example.org", "\u{200b}", "display_name"),
        ("bidi@example.org", "Eve \u{202e}nimda", "display_name"),
    ] {
        let body = json!({ "email": email, "display_name": display_name });
        refused_naming(
            &app,
            &app.admin,
            Method::POST,
            "/v1/users",
            Some(&body),
            field,
        )
        .await;
    }
    let path = format!("/v1/users/{}", user.id);
    let body = json!({ "display_name": "\u{feff}Eve" });
    refused_naming(
        &app,
        &user,
        Method::PATCH,
        &path,
        Some(&body),
        "display_name",
    )
    .await;
    let body = json!({ "name": "Sci\u{200b}ence" });
    refused_naming(
        &app,
        &app.admin,
        Method::POST,
        "/v1/groups",
        Some(&body),
        "name",
    )
    .await;
    // One script per part is fine, whichever it is.
    app.create_user("\u{430}\u{434}\u{43c}\u{438}\u{43d}@example.org")
        .await;
}

async fn null_on_a_field_that_cannot_be_null_is_refused_in_every_patch(db: &TestDb) {
    let app = spawn_app(db).await;
    let root = app.create_group(&app.admin, "School", None).await;
    let child = app.create_group(&app.admin, "Class", Some(root)).await;
    let project = app.create_project(&app.admin, root, "Fair").await;
    let top = app
        .create_squad(&app.admin, project, "Robotics", None)
        .await;
    let sub = app
        .create_squad(&app.admin, project, "Sensors", Some(top))
        .await;
    let user = app.create_user("plain@example.org").await;
    for (path, field) in [
        (format!("/v1/groups/{child}"), "name"),
        (format!("/v1/groups/{child}"), "slug"),
        (format!("/v1/projects/{project}"), "name"),
        (format!("/v1/projects/{project}"), "slug"),
        (format!("/v1/squads/{sub}"), "name"),
        (format!("/v1/users/{}", user.id), "email"),
        (format!("/v1/users/{}", user.id), "display_name"),
    ] {
        let body = json!({ field: null });
        refused_naming(&app, &app.admin, Method::PATCH, &path, Some(&body), field).await;
    }
    assert_eq!(
        app.get_ok(&app.admin, &format!("/v1/groups/{child}")).await["name"],
        "Class"
    );
    assert_eq!(
        app.get_ok(&app.admin, &format!("/v1/squads/{sub}")).await["name"],
        "Sensors"
    );
    // `parent_id: null` still means something: a root group, a top-level squad.
    for path in [format!("/v1/groups/{child}"), format!("/v1/squads/{sub}")] {
        let body = json!({ "parent_id": null });
        let moved = app
            .expect(&app.admin, Method::PATCH, &path, Some(&body), &[200])
            .await;
        assert_eq!(moved["parent_id"], Value::Null, "{path}");
    }
}

async fn since_compares_timestamps_within_the_stored_range(db: &TestDb) {
    let app = spawn_app(db).await;
    for i in 0..3 {
        app.create_user(&format!("u{i}@example.org")).await;
    }
    let all = app.get_ok(&app.admin, "/v1/audit").await;
    let all = all["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), 4, "bootstrap and three users");
    if db.backend == Backend::Sqlite {
        // What SQLite compares: RFC 3339 text in UTC with a four-digit year.
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT occurred_at FROM audit_events LIMIT 1",
            ))
            .await
            .unwrap()
            .unwrap();
        let stored: String = row.try_get("", "occurred_at").unwrap();
        let shape =
            stored.len() >= 25 && stored.as_bytes()[4] == b'-' && stored.ends_with("+00:00");
        assert!(shape, "stored as {stored:?}");
    }
    let count = async |since: &str| {
        let page = app
            .get_ok(
                &app.admin,
                &format!("/v1/audit?since={}", percent_encode(since)),
            )
            .await;
        page["items"].as_array().unwrap().len()
    };
    assert_eq!(count("0000-01-01T00:00:00Z").await, 4);
    assert_eq!(count("9999-12-31T23:59:59.999999Z").await, 0);
    // `since` is inclusive, to the microsecond, however the offset is written.
    let second: chrono::DateTime<chrono::Utc> =
        all[2]["occurred_at"].as_str().unwrap().parse().unwrap();
    let offset = chrono::FixedOffset::east_opt(5 * 3600).unwrap();
    assert_eq!(count(&second.to_rfc3339()).await, 2);
    assert_eq!(count(&second.with_timezone(&offset).to_rfc3339()).await, 2);
    let later = second + chrono::Duration::microseconds(1);
    assert_eq!(count(&later.to_rfc3339()).await, 1);
    // Outside years 0000–9999 (in UTC) neither backend can compare: refused by name.
    for since in [
        "+10000-01-01T00:00:00Z",
        "9999-12-31T23:30:00-01:00",
        "-0001-01-01T00:00:00Z",
    ] {
        let path = format!("/v1/audit?since={}", percent_encode(since));
        refused_naming(&app, &app.admin, Method::GET, &path, None, "since").await;
    }
}

both_backends!(
    control_characters_in_queries_are_refused_naming_the_parameter,
    control_characters_in_bodies_are_refused_naming_the_field,
    nfd_and_nfc_spellings_are_one_email,
    invisible_bidi_and_mixed_script_text_is_refused,
    null_on_a_field_that_cannot_be_null_is_refused_in_every_patch,
    since_compares_timestamps_within_the_stored_range,
);
