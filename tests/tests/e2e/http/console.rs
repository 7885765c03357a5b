//! The console's sign-in and its locks (spec §12): one-time login codes, the session cookie's
//! attributes, expiry and sign-out, CSRF tokens on every form, the security headers, and pages
//! that decide exactly as the API does — an escalation refused with the API's problem.

use std::time::Duration;

use domain::GroupRole;
use reqwest::{Method, header};
use sea_orm::EntityTrait;
use tests::app::{spawn_app, spawn_app_with, test_settings};
use tests::both_backends;
use tests::console::Answer;
use tests::db::TestDb;

fn location(answer: &Answer) -> &str {
    answer.location.as_deref().unwrap_or_default()
}

async fn a_login_code_opens_one_session_once(db: &TestDb) {
    let app = spawn_app(db).await;
    let code = app.login_code(app.admin.id, Duration::from_secs(60)).await;
    // Only its hash is stored.
    let stored = entity::console_login_codes::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].code_hash.contains(&code));

    let opened = app.open_login_link(&code).await;
    assert_eq!(opened.status, 303);
    assert_eq!(location(&opened), "/console/groups");
    let cookie = opened.header(header::SET_COOKIE);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "no Secure on loopback: {cookie}"
    );

    // Spent: the same link (a reused or stolen code) opens nothing, and neither does a code
    // that was never issued.
    for code in [code.as_str(), "made-up-code", ""] {
        let again = app.open_login_link(code).await;
        assert_eq!(again.status, 400, "{code}");
        assert!(again.headers.get(header::SET_COOKIE).is_none());
        assert!(again.body.contains("cannot be used"), "{}", again.body);
    }
    assert!(
        entity::console_login_codes::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );

    // An expired code opens nothing either.
    let expired = app.login_code(app.admin.id, Duration::ZERO).await;
    assert_eq!(app.open_login_link(&expired).await.status, 400);
}

async fn two_requests_with_one_code_open_one_session(db: &TestDb) {
    let app = spawn_app(db).await;
    for _ in 0..5 {
        let code = app.login_code(app.admin.id, Duration::from_secs(60)).await;
        let (first, second) = tokio::join!(app.open_login_link(&code), app.open_login_link(&code));
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 400], "exactly one wins");
    }
}

async fn pages_need_a_live_session_of_an_active_user(db: &TestDb) {
    let app = spawn_app(db).await;
    let anonymous = app.console_anonymous("/console/groups").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(location(&anonymous), "/console/sign-in?why=none");
    let forged = tests::console::browser()
        .get(format!("{}/console/groups", app.address))
        .header(header::COOKIE, "roster_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.headers()[header::LOCATION],
        "/console/sign-in?why=expired"
    );
    let sign_in = app.console_anonymous("/console/sign-in").await;
    assert_eq!(sign_in.status, 200);
    assert!(sign_in.body.contains("roster login-link"));

    // Signing out ends the session on the server, not only in the browser.
    let session = app.console_session(app.admin.id).await;
    session.page("/console/groups").await;
    let out = session.post("/console/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    assert!(out.header(header::SET_COOKIE).contains("Max-Age=0"));
    let after = session.get("/console/groups").await;
    assert_eq!(location(&after), "/console/sign-in?why=expired");

    // A deactivated user's session opens nothing.
    let ada = app.create_user("ada@example.org").await;
    app.grant_group(app.organisation().await, &ada, GroupRole::Student)
        .await;
    let hers = app.console_session(ada.id).await;
    hers.page("/console/groups").await;
    app.set_active(ada.id, false).await;
    assert_eq!(
        location(&hers.get("/console/groups").await),
        "/console/sign-in?why=inactive"
    );
}

async fn a_session_expires(db: &TestDb) {
    let mut settings = test_settings(db);
    settings.console_session_ttl = Duration::from_secs(1);
    let app = spawn_app_with(settings).await;
    let session = app.console_session(app.admin.id).await;
    assert!(
        session.set_cookie.contains("Max-Age=1"),
        "{}",
        session.set_cookie
    );
    session.page("/console/groups").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        location(&session.get("/console/groups").await),
        "/console/sign-in?why=expired"
    );
}

async fn every_form_needs_the_sessions_csrf_token(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.organisation().await;
    let ada = app.create_user("ada@example.org").await;
    app.grant_group(group, &ada, GroupRole::Student).await;
    let session = app.console_session(app.admin.id).await;
    let other = app.console_session(ada.id).await;
    let theirs = other.csrf.clone();
    assert_ne!(session.csrf, theirs);
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/console/sign-out".to_owned(), vec![]),
        (
            format!("/console/groups/{group}/members"),
            vec![("user", "ada@example.org"), ("role", "teacher")],
        ),
        (
            format!("/console/groups/{group}/members/{}", ada.id),
            vec![("role", "teacher")],
        ),
        (
            format!("/console/groups/{group}/members/{}/remove", ada.id),
            vec![],
        ),
    ];
    let revision_before =
        app.audit_count("group_member.update").await + app.audit_count("group_member.delete").await;
    for (path, fields) in &forms {
        for token in [None, Some(theirs.as_str()), Some("")] {
            let mut form = fields.clone();
            if let Some(token) = token {
                form.push(("csrf", token));
            }
            let refused = session.post_raw(path, &form).await;
            assert_eq!(refused.status, 403, "{path} {token:?}");
            assert!(refused.body.contains("CSRF"), "{path}: {}", refused.body);
        }
    }
    // Nothing changed, and the session is still open.
    let after =
        app.audit_count("group_member.update").await + app.audit_count("group_member.delete").await;
    assert_eq!(revision_before, after);
    session.page("/console/groups").await;
}

async fn console_answers_carry_the_security_headers(db: &TestDb) {
    let app = spawn_app(db).await;
    let session = app.console_session(app.admin.id).await;
    for path in [
        "/console/groups",
        "/console/sign-in",
        "/console/assets/console.css",
        "/console/assets/console.js",
        "/console/groups/00000000-0000-7000-8000-000000000000",
    ] {
        let response = session.get(path).await;
        let headers = &response.headers;
        let csp = response.header(header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    }
    let page = session.get("/console/groups").await;
    assert_eq!(page.header(header::CACHE_CONTROL), "no-store");
    let body = page.body;
    assert!(!body.contains("<script>"), "no inline script");
    assert!(!body.contains("style="), "no inline style");
    // A page the API would refuse is a readable page with the API's status.
    let missing = session
        .get("/console/groups/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(missing.status, 404);
    assert!(
        missing
            .header(header::CONTENT_TYPE)
            .starts_with("text/html")
    );
    assert!(missing.body.contains("not_found"));
}

async fn the_console_decides_as_the_api(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let class = app.create_group(&app.admin, "Class", Some(school)).await;
    let head = app.create_user("head@example.org").await;
    let teacher = app.create_user("teacher@example.org").await;
    let ada = app.create_user("ada@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    app.grant_group(class, &teacher, GroupRole::Teacher).await;
    app.grant_group(class, &ada, GroupRole::Student).await;

    // A group admin is offered the roles they may grant, never system_admin …
    let heads = app.console_session(head.id).await;
    let page = heads.page(&format!("/console/groups/{class}")).await;
    assert!(page.contains("option value=\"group_admin\""), "{page}");
    assert!(!page.contains("option value=\"system_admin\""), "{page}");
    // … and sending it anyway is refused with the API's problem, changing nothing.
    let escalation = heads
        .post(
            &format!("/console/groups/{class}/members/{}", ada.id),
            &[("role", "system_admin")],
        )
        .await;
    assert_eq!(escalation.status, 403);
    let page = escalation.body;
    assert!(page.contains("role_escalation"), "{page}");
    assert!(page.contains("nly a system admin can grant"), "{page}");
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/groups/{class}/members/{}", ada.id),
        )
        .await;
    assert_eq!(member["role"], "student");

    // Allowed changes go through the same services: add, change, remove.
    let linus = app.create_user("linus@example.org").await;
    app.grant_group(school, &linus, GroupRole::Student).await;
    let added = heads
        .post(
            &format!("/console/groups/{class}/members"),
            &[("user", "linus@example.org"), ("role", "student")],
        )
        .await;
    assert_eq!(added.status, 303);
    assert_eq!(
        location(&added),
        format!("/console/groups/{class}?done=added")
    );
    let changed = heads
        .post(
            &format!("/console/groups/{class}/members/{}", linus.id),
            &[("role", "teacher")],
        )
        .await;
    assert_eq!(changed.status, 303);
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/groups/{class}/members/{}", linus.id),
        )
        .await;
    assert_eq!(member["role"], "teacher");
    let page = heads
        .page(&format!("/console/groups/{class}?done=changed"))
        .await;
    assert!(page.contains("The role was changed."), "{page}");
    let removed = heads
        .post(
            &format!("/console/groups/{class}/members/{}/remove", linus.id),
            &[],
        )
        .await;
    assert_eq!(removed.status, 303);
    let (status, _) = app
        .send(
            Some(&app.admin),
            Method::GET,
            &format!("/v1/groups/{class}/members/{}", linus.id),
            None,
        )
        .await;
    assert_eq!(status, 404);

    // A teacher sees the members but no forms, and a form sent anyway is refused.
    let teachers = app.console_session(teacher.id).await;
    let page = teachers.page(&format!("/console/groups/{class}")).await;
    assert!(page.contains("ada@example.org"), "{page}");
    assert!(!page.contains("Add a member"), "{page}");
    let refused = teachers
        .post(
            &format!("/console/groups/{class}/members/{}", ada.id),
            &[("role", "teacher")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("group.manage_members"));

    // A student cannot open a group outside their own, as the API answers 404.
    let students = app.console_session(ada.id).await;
    let outside = app.create_group(&app.admin, "Elsewhere", None).await;
    let (api, _) = app
        .send(
            Some(&ada),
            Method::GET,
            &format!("/v1/groups/{outside}"),
            None,
        )
        .await;
    let console = students.get(&format!("/console/groups/{outside}")).await;
    assert_eq!(api, 404);
    assert_eq!(console.status, api);

    // A person's memberships and access: for themselves and system admins, as the API decides.
    let admins = app.console_session(app.admin.id).await;
    let hers = admins.page(&format!("/console/users/{}", ada.id)).await;
    assert!(hers.contains("student in the group"), "{hers}");
    assert!(hers.contains("Effective access"), "{hers}");
    let (api, _) = app
        .send(
            Some(&head),
            Method::GET,
            &format!("/v1/users/{}/access", ada.id),
            None,
        )
        .await;
    assert_eq!(api, 403);
    let theirs = heads.page(&format!("/console/users/{}", ada.id)).await;
    assert!(theirs.contains("(forbidden)"), "{theirs}");
    assert!(!theirs.contains("student in the group"), "{theirs}");

    // Bad input is a readable message naming the field, never a crash.
    let bad = heads
        .post(
            &format!("/console/groups/{class}/members"),
            &[("user", "not an email"), ("role", "overlord")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("validation_failed"));
}

both_backends!(
    a_login_code_opens_one_session_once,
    two_requests_with_one_code_open_one_session,
    pages_need_a_live_session_of_an_active_user,
    a_session_expires,
    every_form_needs_the_sessions_csrf_token,
    console_answers_carry_the_security_headers,
    the_console_decides_as_the_api,
);
