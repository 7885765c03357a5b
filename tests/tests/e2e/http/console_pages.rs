//! The console's audit log, change feed, webhooks and IdP-group pages (spec §12), end to end:
//! each page shows an admin what the API shows them, a student exactly what the API lets them
//! see (and refuses them what it refuses), a form without its CSRF token is refused, and each
//! form works.

use domain::GroupRole;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tests::app::{TestApp, spawn_app, spawn_app_with, test_settings};
use tests::both_backends;
use tests::db::TestDb;
use tests::scim::ScimClient;
use uuid::Uuid;

use super::scim_bindings::push_group;

/// The `href`s of a page's links that start with `prefix` (`&amp;` read back as `&`).
fn links(page: &str, prefix: &str) -> Vec<String> {
    page.split(r#"href=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with(prefix))
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

/// A student: a member of a class in a school, and nothing more.
async fn student(app: &TestApp, school: Uuid) -> (tests::app::TestUser, Uuid) {
    let class = app.create_group(&app.admin, "Class 7B", Some(school)).await;
    let user = app.create_user("pupil@example.org").await;
    app.grant_group(class, &user, GroupRole::Student).await;
    (user, class)
}

async fn the_audit_log_is_the_apis(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let (pupil, class) = student(&app, school).await;
    // Enough events for a second page of 50.
    for i in 0..50 {
        app.create_group(&app.admin, &format!("Room {i}"), Some(school))
            .await;
    }
    let admin = app.console_session(app.admin.id).await;

    let page = admin.get("/console/audit").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Audit log</h1>"));
    assert!(page.body.contains("system.bootstrap"));
    assert!(
        page.body
            .contains(&format!("/console/users/{}", app.admin.id))
    );
    assert!(
        page.body.contains("<details>"),
        "before and after fold away"
    );
    let next = links(&page.body, "/console/audit?");
    assert_eq!(next.len(), 1, "a second page: {next:?}");
    let second = admin.get(&next[0]).await;
    assert_eq!(second.status, 200);
    assert!(
        second.body.contains("Room 49"),
        "the last events are on page two"
    );

    // The API's filters, kept by the next page's link.
    let filtered = admin
        .get("/console/audit?resource_type=group&actor_id=&since=")
        .await;
    assert_eq!(filtered.status, 200, "empty fields are no filter");
    assert!(!filtered.body.contains("group_member.create"));
    let next = links(&filtered.body, "/console/audit?");
    assert!(next[0].contains("resource_type=group"), "{next:?}");
    let by_resource = admin
        .get(&format!("/console/audit?resource_id={class}"))
        .await;
    assert!(by_resource.body.contains("Class 7B"));
    assert!(!by_resource.body.contains("Room 1"));

    // A bad filter is the API's 400, on the page.
    let bad = admin.get("/console/audit?since=yesterday").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("validation_failed"), "{}", bad.body);
    assert!(
        bad.body.contains(r#"value="yesterday""#),
        "the form keeps it"
    );
    let both = admin
        .get(&format!(
            "/console/audit?group_id={school}&project_id={school}"
        ))
        .await;
    assert_eq!(both.status, 400);

    // A student: refused the whole trail and a group's, as the API refuses them.
    let (api_status, _) = app.send(Some(&pupil), Method::GET, "/v1/audit", None).await;
    let console = app.console_session(pupil.id).await;
    let refused = console.get("/console/audit").await;
    assert_eq!(refused.status, api_status);
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("not a system admin"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("system.bootstrap"));
    let (api_status, _) = app
        .send(
            Some(&pupil),
            Method::GET,
            &format!("/v1/groups/{class}/audit"),
            None,
        )
        .await;
    let scoped = console
        .get(&format!("/console/audit?group_id={class}"))
        .await;
    assert_eq!(scoped.status, api_status);
    assert!(!scoped.body.contains("group.create"));
}

async fn the_change_feed_is_the_apis(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let (pupil, class) = student(&app, school).await;
    let admin = app.console_session(app.admin.id).await;

    let page = admin.get("/console/changes").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Changes</h1>"));
    assert!(page.body.contains("Revision 1:"));
    assert!(page.body.contains("group_member.update") || page.body.contains("group_member.create"));
    // The student's new role in the class is a delta: who, where, before and after.
    assert!(page.body.contains(&format!("/console/users/{}", pupil.id)));
    assert!(page.body.contains(&format!("/console/groups/{class}")));
    assert!(page.body.contains("effective-access change"));
    let newer = links(&page.body, "/console/changes?");
    assert!(newer.iter().any(|l| l.contains("after=")), "{newer:?}");

    // `after` and the filters, as the API reads them.
    let later = admin.get("/console/changes?after=2").await;
    assert_eq!(later.status, 200);
    assert!(!later.body.contains("Revision 1:"));
    assert!(later.body.contains("Revision 3:"));
    let groups_only = admin
        .get(&format!(
            "/console/changes?resource_type=group_member&group_id={school}"
        ))
        .await;
    assert_eq!(groups_only.status, 200);
    assert!(!groups_only.body.contains("group.create"));
    let bad = admin.get("/console/changes?after=soon").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("validation_failed"));
    let ahead = admin.get("/console/changes?after=9999").await;
    assert_eq!(ahead.status, 400);

    // History dropped up to 3: an older cursor is 410 `gone`, said on the page with a way on.
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE revisions SET retained_after = 3",
        ))
        .await
        .unwrap();
    let gone = admin.get("/console/changes?after=2").await;
    assert_eq!(gone.status, 410, "{}", gone.body);
    assert!(gone.body.contains("older than the retained history"));
    assert!(
        links(&gone.body, "/console/changes?").contains(&"/console/changes?after=3".to_owned())
    );
    let start = admin.get("/console/changes").await;
    assert_eq!(
        start.status, 200,
        "without `after`, from where the history starts"
    );
    assert!(start.body.contains("Revision 4:"));

    // A student: refused as the API refuses them.
    let console = app.console_session(pupil.id).await;
    for query in ["after=3".to_owned(), format!("after=3&group_id={class}")] {
        let console_path = format!("/console/changes?{query}");
        let (api_status, _) = app
            .send(
                Some(&pupil),
                Method::GET,
                &format!("/v1/changes?{query}"),
                None,
            )
            .await;
        let page = console.get(&console_path).await;
        assert_eq!(page.status, api_status, "{console_path}: {}", page.body);
        assert!(!page.body.contains("Revision 4:"));
    }
}

async fn webhooks_are_managed_as_the_api_allows(db: &TestDb) {
    let mut settings = test_settings(db);
    settings.webhook_allow_private = true;
    let app = spawn_app_with(settings).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let (pupil, _) = student(&app, school).await;
    let admin = app.console_session(app.admin.id).await;

    let empty = admin.get("/console/webhooks").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("There is no webhook you may manage."));

    // Without the token: refused before anything happens.
    let forged = admin
        .post_raw("/console/webhooks", &[("url", "http://127.0.0.1:9/hook")])
        .await;
    assert_eq!(forged.status, 403);
    let listed = app.get_ok(&app.admin, "/v1/webhooks").await;
    assert_eq!(listed["items"], json!([]));

    // The API's refusals, on the page, the form keeping what was typed.
    let bad = admin
        .post(
            "/console/webhooks",
            &[
                ("url", "ftp://example.org"),
                ("actions", "group.*, nope"),
                ("group_id", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("must be an http or https URL"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("actions[1]"));
    assert!(bad.body.contains(r#"value="ftp://example.org""#));

    // Created: the secret is in this answer, and never again.
    let created = admin
        .post(
            "/console/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("description", "Everything"),
                ("actions", "group.*"),
            ],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret_at = created.body.find("whsec_").expect("the secret, shown once");
    let secret: String = created.body[secret_at..]
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    let listed = app.get_ok(&app.admin, "/v1/webhooks").await;
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed["items"][0]["actions"], json!(["group.*"]));
    let detail = admin.get(&format!("/console/webhooks/{id}")).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("http://127.0.0.1:9/hook"));
    assert!(!detail.body.contains(&secret), "the secret is shown once");
    assert!(!admin.get("/console/webhooks").await.body.contains(&secret));

    // A change to deliver, and its delivery redelivered.
    app.create_group(&app.admin, "Annex", Some(school)).await;
    let log = app
        .get_ok(&app.admin, &format!("/v1/webhooks/{id}/deliveries"))
        .await;
    let delivery = log["items"][0]["id"].as_str().unwrap().to_owned();
    let detail = admin.get(&format!("/console/webhooks/{id}")).await;
    assert!(detail.body.contains("Redeliver"), "{}", detail.body);
    let redelivered = admin
        .post(
            &format!("/console/webhooks/{id}/deliveries/{delivery}/redeliver"),
            &[],
        )
        .await;
    assert_eq!(redelivered.status, 303);
    assert_eq!(
        redelivered.location.as_deref(),
        Some(format!("/console/webhooks/{id}?done=redelivered").as_str())
    );
    assert_eq!(app.audit_count("webhook.redeliver").await, 1);

    // Disabled and enabled again, as PATCH `enabled` does.
    let disabled = admin
        .post(
            &format!("/console/webhooks/{id}/enabled"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(disabled.status, 303);
    let shown = app.get_ok(&app.admin, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(shown["enabled"], false);
    let page = admin.get(disabled.location.as_deref().unwrap()).await;
    assert!(page.body.contains("The webhook is disabled"));
    assert!(page.body.contains(">Enable<"));
    let enabled = admin
        .post(
            &format!("/console/webhooks/{id}/enabled"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(enabled.status, 303);
    let shown = app.get_ok(&app.admin, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(shown["enabled"], true);

    // A student sees none, may not open it (404, as the API), nor change, nor create one.
    let console = app.console_session(pupil.id).await;
    let theirs = console.get("/console/webhooks").await;
    assert_eq!(theirs.status, 200);
    assert!(theirs.body.contains("There is no webhook you may manage."));
    assert!(!theirs.body.contains("127.0.0.1:9"));
    let (api_status, _) = app
        .send(
            Some(&pupil),
            Method::GET,
            &format!("/v1/webhooks/{id}"),
            None,
        )
        .await;
    assert_eq!(
        console.get(&format!("/console/webhooks/{id}")).await.status,
        api_status
    );
    let refused = console
        .post(
            &format!("/console/webhooks/{id}/enabled"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(refused.status, 404);
    let refused = console
        .post("/console/webhooks", &[("url", "http://127.0.0.1:9/mine")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("not a system admin"));
    let refused = console
        .post(&format!("/console/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(refused.status, 404);

    // Deleted.
    let deleted = admin
        .post(&format!("/console/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(
        deleted.location.as_deref(),
        Some("/console/webhooks?done=deleted")
    );
    assert_eq!(
        admin.get(&format!("/console/webhooks/{id}")).await.status,
        404
    );
}

async fn idp_groups_are_bound_as_the_api_allows(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let school = app.create_group(&app.admin, "School", None).await;
    let science = app.create_group(&app.admin, "Science", Some(school)).await;
    let (pupil, _) = student(&app, school).await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    let teachers = push_group(&scim, "Okta Teachers", &[pupil.id]).await;
    let admin = app.console_session(app.admin.id).await;

    let list = admin.get("/console/idp-groups").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Okta Teachers"));
    assert!(
        list.body
            .contains(&format!("/console/idp-groups/{teachers}"))
    );
    let detail = admin.get(&format!("/console/idp-groups/{teachers}")).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(
        detail.body.contains("pupil@example.org"),
        "its SCIM members"
    );
    assert!(detail.body.contains("It is bound nowhere"));
    assert!(detail.body.contains(r#"<option value="system_admin">"#));

    // Without the token: refused, nothing bound.
    let bind = format!("/console/idp-groups/{teachers}/bindings");
    let science_id = science.to_string();
    let fields = [
        ("type", "group"),
        ("id", science_id.as_str()),
        ("role", "teacher"),
    ];
    let forged = admin.post_raw(&bind, &fields).await;
    assert_eq!(forged.status, 403);

    // A group admin is offered no system_admin, and refused it as the API refuses it.
    let head_console = app.console_session(head.id).await;
    let theirs = head_console
        .get(&format!("/console/idp-groups/{teachers}"))
        .await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.body.contains(r#"value="system_admin""#));
    assert!(theirs.body.contains(r#"<option value="group_admin">"#));
    let escalation = head_console
        .post(
            &bind,
            &[
                ("type", "group"),
                ("id", &science_id),
                ("role", "system_admin"),
            ],
        )
        .await;
    assert_eq!(escalation.status, 403);
    assert!(
        escalation.body.contains("role_escalation"),
        "{}",
        escalation.body
    );
    let wrong = head_console
        .post(
            &bind,
            &[("type", "planet"), ("id", "x"), ("role", "teacher")],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("must be group, project or squad"));

    // Bound: the binding names its group and links to it; its member holds the role.
    let bound = head_console.post(&bind, &fields).await;
    assert_eq!(bound.status, 303, "{}", bound.body);
    assert_eq!(
        bound.location.as_deref(),
        Some(format!("/console/idp-groups/{teachers}?done=bound").as_str())
    );
    let page = head_console.get(bound.location.as_deref().unwrap()).await;
    assert!(
        page.body
            .contains(&format!(r#"href="/console/groups/{science}">Science</a>"#))
    );
    assert!(page.body.contains("<code>teacher</code>"));
    let bindings = app
        .get_ok(&app.admin, &format!("/v1/idp-groups/{teachers}/bindings"))
        .await;
    let binding = bindings["items"][0]["id"].as_str().unwrap().to_owned();
    let again = head_console.post(&bind, &fields).await;
    assert_eq!(again.status, 409, "already bound there");

    // A student: refused reading and unbinding, as the API refuses them.
    let console = app.console_session(pupil.id).await;
    let (api_status, _) = app
        .send(Some(&pupil), Method::GET, "/v1/idp-groups", None)
        .await;
    let refused = console.get("/console/idp-groups").await;
    assert_eq!(refused.status, api_status);
    assert_eq!(refused.status, 403);
    assert!(!refused.body.contains("Okta Teachers"));
    let unbind = format!("/console/idp-groups/{teachers}/bindings/{binding}/delete");
    let (api_status, _) = app
        .send(
            Some(&pupil),
            Method::DELETE,
            &format!("/v1/idp-groups/{teachers}/bindings/{binding}"),
            None,
        )
        .await;
    let refused = console.post(&unbind, &[]).await;
    assert_eq!(refused.status, api_status, "{}", refused.body);

    // Unbound.
    let unbound = admin.post(&unbind, &[]).await;
    assert_eq!(unbound.status, 303);
    let bindings = app
        .get_ok(&app.admin, &format!("/v1/idp-groups/{teachers}/bindings"))
        .await;
    assert_eq!(bindings["items"], Value::Array(vec![]));
}

both_backends!(the_audit_log_is_the_apis);
both_backends!(the_change_feed_is_the_apis);
both_backends!(webhooks_are_managed_as_the_api_allows);
both_backends!(idp_groups_are_bound_as_the_api_allows);
