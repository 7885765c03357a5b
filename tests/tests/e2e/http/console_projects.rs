//! The console's project pages over real HTTP with a session cookie: what each kind of viewer
//! sees (the org chart, the members, only the roles they may grant), and the membership forms —
//! success answers 303 to the project page, a refusal re-renders the form's page with the API's
//! status and problem, a form without its CSRF token is refused.

use domain::ProjectRole;
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::console::{Answer, csrf_of};
use tests::db::TestDb;
use uuid::Uuid;

/// The `<option>` values of the `<select>` with id `id`.
fn options(page: &str, id: &str) -> Vec<String> {
    let start = page
        .find(&format!(r#"<select id="{id}""#))
        .unwrap_or_else(|| panic!("no select {id}"));
    let select = &page[start..start + page[start..].find("</select>").unwrap()];
    select
        .split(r#"<option value=""#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect()
}

/// A project with an admin (the system admin), a pm, a member and a name that is markup.
struct Fixture {
    project: Uuid,
    pm: TestUser,
    member: TestUser,
    outsider: TestUser,
}

async fn fixture(app: &TestApp) -> Fixture {
    let group = app.create_group(&app.admin, "Org", None).await;
    let project = app.create_project(&app.admin, group, "Apollo").await;
    let pm = app
        .create_user_as(&app.admin, "grace@example.org", "Grace Hopper")
        .await;
    let member = app
        .create_user_as(&app.admin, "bobby@example.org", "<script>alert(1)</script>")
        .await;
    let outsider = app
        .create_user_as(&app.admin, "olive@example.org", "Olive Outside")
        .await;
    app.put_project_member(&app.admin, project, pm.id, ProjectRole::Pm)
        .await;
    app.put_project_member(&app.admin, project, member.id, ProjectRole::Member)
        .await;
    Fixture {
        project,
        pm,
        member,
        outsider,
    }
}

async fn each_viewer_sees_what_the_api_lets_them(db: &TestDb) {
    let app = spawn_app(db).await;
    let f = fixture(&app).await;
    let page = format!("/console/projects/{}", f.project);

    let admin = app.console_session(app.admin.id).await;
    let Answer {
        status, body: list, ..
    } = admin.get("/console/projects").await;
    assert_eq!(status, 200);
    assert!(
        list.contains(&format!(r#"<a href="{page}">Apollo</a>"#)),
        "{list}"
    );
    let Answer {
        status, body: html, ..
    } = admin.get(&page).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(
        html.contains(
            r#"<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img""#
        )
    );
    assert!(html.contains(&format!(
        r#"href="/v1/projects/{}/reporting-lines.svg""#,
        f.project
    )));
    assert!(html.contains("Grace Hopper"));
    // A name that is markup is text, in the table and in the chart alike.
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.contains("style="),
        "inline styles break the console's CSP"
    );
    assert_eq!(
        options(&html, "add-role"),
        ["admin", "pm", "squad_lead", "member"]
    );

    // A pm grants no role above their own; on the admin's membership they get no form.
    let pm = app.console_session(f.pm.id).await;
    let Answer { body: html, .. } = pm.get(&page).await;
    assert_eq!(options(&html, "add-role"), ["pm", "squad_lead", "member"]);
    let Answer {
        status, body: html, ..
    } = pm.get(&format!("{page}/members/{}", app.admin.id)).await;
    assert_eq!(status, 200);
    assert!(!html.contains(r#"<select id="role""#), "{html}");
    assert!(html.contains("does not let you change this membership"));

    // A member sees the project and the chart, and may only leave.
    let member = app.console_session(f.member.id).await;
    let Answer {
        status, body: html, ..
    } = member.get(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("<figure class=\"chart\">"));
    assert!(!html.contains("Add a member"));
    let Answer { body: html, .. } = member.get(&format!("{page}/members/{}", f.member.id)).await;
    assert!(!html.contains(r#"<select id="role""#));
    assert!(html.contains("Leave Apollo"));

    // Someone without a role in the project cannot tell it exists, as through the API.
    let outsider = app.console_session(f.outsider.id).await;
    let Answer { status, .. } = outsider.get(&page).await;
    assert_eq!(status, 404);
    let Answer { status, .. } = outsider.get("/console/projects/not-an-id").await;
    assert_eq!(status, 400);
    // Every malformed id of a member's address is named.
    let Answer { status, body, .. } = outsider.get("/console/projects/x/members/y").await;
    assert_eq!(status, 400);
    assert!(body.contains("<code>id</code>"), "{body}");
    assert!(body.contains("<code>user_id</code>"), "{body}");
}

async fn the_membership_forms_write_through_the_api_rules(db: &TestDb) {
    let app = spawn_app(db).await;
    let f = fixture(&app).await;
    let page = format!("/console/projects/{}", f.project);
    let admin = app.console_session(app.admin.id).await;
    let Answer { body: html, .. } = admin.get(&page).await;
    let token = csrf_of(&html);

    // Adding by email address.
    let Answer {
        status, location, ..
    } = admin
        .post_raw(
            &format!("{page}/members"),
            &[
                ("csrf", &token),
                ("email", "olive@example.org"),
                ("role", "member"),
                ("reports_to", "auto"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("{page}?done=added").as_str())
    );
    let Answer { body: html, .. } = admin.get(&format!("{page}?done=added")).await;
    assert!(html.contains("The member is added."));
    let olive = format!("{page}/members/{}", f.outsider.id);
    app.get_ok(
        &app.admin,
        &format!("/v1/projects/{}/members/{}", f.project, f.outsider.id),
    )
    .await;

    // An explicit line to the pm.
    let pm_id = f.pm.id.to_string();
    let Answer { status, .. } = admin
        .post_raw(
            &olive,
            &[("csrf", &token), ("role", "member"), ("reports_to", &pm_id)],
        )
        .await;
    assert_eq!(status, 303);
    let stored = app
        .get_ok(
            &app.admin,
            &format!("/v1/projects/{}/members/{}", f.project, f.outsider.id),
        )
        .await;
    assert_eq!(stored["reports_to"], pm_id);
    assert_eq!(stored["reports_to_explicit"], true);

    // A line to a weaker member: the API's 400, on the member's page, with the choice kept.
    let member_id = f.member.id.to_string();
    let Answer {
        status, body: html, ..
    } = admin
        .post_raw(
            &olive,
            &[("csrf", &token), ("role", "pm"), ("reports_to", &member_id)],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("(invalid_reports_to)"), "{html}");
    assert!(html.contains(r#"<option value="pm" selected>"#));

    // The last admin stays: 409.
    let Answer {
        status, body: html, ..
    } = admin
        .post_raw(
            &format!("{page}/members/{}", app.admin.id),
            &[("csrf", &token), ("role", "member"), ("reports_to", "auto")],
        )
        .await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("(last_admin)"));

    // A pm may not make anyone admin: the service refuses even a hand-made form.
    let pm = app.console_session(f.pm.id).await;
    let Answer { body: html, .. } = pm.get(&page).await;
    let pm_token = csrf_of(&html);
    let Answer {
        status, body: html, ..
    } = pm
        .post_raw(
            &olive,
            &[
                ("csrf", &pm_token),
                ("role", "admin"),
                ("reports_to", "auto"),
            ],
        )
        .await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("(role_escalation)"));

    // Without the session's token nothing is written.
    let Answer { status, .. } = admin
        .post_raw(&format!("{olive}/remove"), &[("csrf", pm_token.as_str())])
        .await;
    assert_eq!(status, 403);

    // Removing, then leaving.
    let Answer {
        status, location, ..
    } = admin
        .post_raw(&format!("{olive}/remove"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("{page}?done=removed").as_str())
    );
    let Answer {
        status, location, ..
    } = pm
        .post_raw(
            &format!("{page}/members/{}/remove", f.pm.id),
            &[("csrf", &pm_token)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/console/projects?done=left"));
    let Answer { status, .. } = pm.get(&page).await;
    assert_eq!(status, 404);
}

both_backends!(
    each_viewer_sees_what_the_api_lets_them,
    the_membership_forms_write_through_the_api_rules,
);
