//! IdP groups bound into Roster's tree (spec §11), end to end: an identity provider pushes a
//! group over SCIM, a group admin binds it with a role, and `/v1/check` follows the provider's
//! membership changes on the very next request; manual memberships survive every sync; a sync
//! that would take away a project's last admin is refused (SCIM 409) and audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use serde_json::{Value, json};
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use tests::scim::{ScimAnswer, ScimClient, patch};
use uuid::Uuid;

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Pushes an IdP group with `members`; returns its id.
pub(super) async fn push_group(scim: &ScimClient, name: &str, members: &[Uuid]) -> Uuid {
    let members: Vec<Value> = members.iter().map(|id| json!({ "value": id })).collect();
    let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": members });
    let group = scim.expect(Method::POST, "/Groups", Some(&body), 201).await;
    group["id"].as_str().unwrap().parse().unwrap()
}

/// Entra's way of changing members: `Add` / `Remove` with a value list.
pub(super) async fn change_members(
    scim: &ScimClient,
    group: Uuid,
    op: &str,
    members: &[Uuid],
) -> ScimAnswer {
    let value: Vec<Value> = members.iter().map(|id| json!({ "value": id })).collect();
    let body = patch(json!([{ "op": op, "path": "members", "value": value }]));
    scim.send(Method::PATCH, &format!("/Groups/{group}"), Some(&body), &[])
        .await
}

/// Whether `user` holds `capability` at the `kind` `id`, as `/v1/check` says.
pub(super) async fn allowed(
    app: &TestApp,
    user: &TestUser,
    capability: &str,
    kind: &str,
    id: Uuid,
) -> bool {
    let body = json!({ "user_id": user.id, "capability": capability,
        "resource": { "type": kind, "id": id } });
    let answer = app
        .expect(&app.admin, Method::POST, "/v1/check", Some(&body), &[200])
        .await;
    answer["allowed"].as_bool().unwrap()
}

pub(super) async fn bind(
    app: &TestApp,
    actor: &TestUser,
    idp_group: Uuid,
    kind: &str,
    id: Uuid,
    role: &str,
) -> Value {
    app.expect(
        actor,
        Method::POST,
        &format!("/v1/idp-groups/{idp_group}/bindings"),
        Some(&json!({ "type": kind, "id": id, "role": role })),
        &[201],
    )
    .await
}

/// An IdP group bound as teacher on a department makes its members teachers in every class
/// below; leaving the IdP group takes it away on the next request; a manual membership stays.
async fn bound_roles_follow_the_identity_provider(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let school = app.create_group(&app.admin, "School", None).await;
    let department = app.create_group(&app.admin, "Science", Some(school)).await;
    let class = app
        .create_group(&app.admin, "Physics 1", Some(department))
        .await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(department, &head, GroupRole::GroupAdmin)
        .await;
    let (ada, bob) = (
        app.create_user("ada@example.org").await,
        app.create_user("bob@example.org").await,
    );
    // Bob is a student of the department by hand.
    app.grant_group(department, &bob, GroupRole::Student).await;
    let teachers = push_group(&scim, "Science teachers", &[ada.id, bob.id]).await;
    assert!(!allowed(&app, &ada, "group.create_assignments", "group", class).await);

    // The department's head binds it as teacher: within their own power.
    let binding = bind(&app, &head, teachers, "group", department, "teacher").await;
    assert_eq!(binding["type"], "group");
    assert_eq!(binding["role"], "teacher");
    for user in [&ada, &bob] {
        assert!(allowed(&app, user, "group.create_assignments", "group", class).await);
    }
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/groups/{department}/members/{}", bob.id),
        )
        .await;
    assert_eq!(
        member["role"], "teacher",
        "the strongest of manual and bound"
    );
    assert_eq!(
        member["sources"],
        json!(["manual", format!("idp_group:{teachers}")])
    );
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/groups/{department}/members/{}", ada.id),
        )
        .await;
    assert_eq!(member["sources"], json!([format!("idp_group:{teachers}")]));

    // The provider removes both: Ada loses everything, Bob keeps his manual student role.
    let removed = change_members(&scim, teachers, "Remove", &[ada.id, bob.id]).await;
    assert_eq!(removed.expect(200).body["members"], json!([]));
    assert!(!allowed(&app, &ada, "group.view", "group", class).await);
    assert!(!allowed(&app, &bob, "group.create_assignments", "group", class).await);
    assert!(allowed(&app, &bob, "group.view", "group", class).await);
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/groups/{department}/members/{}", bob.id),
        )
        .await;
    assert_eq!(member["role"], "student");
    assert_eq!(member["sources"], json!(["manual"]));
    let (status, _) = app
        .send(
            Some(&app.admin),
            Method::GET,
            &format!("/v1/groups/{department}/members/{}", ada.id),
            None,
        )
        .await;
    assert_eq!(status, 404, "a membership only the binding granted is gone");

    // Added back: teacher again, at once; a manual removal keeps what the binding grants, and a
    // membership only bindings grant cannot be removed through /v1.
    change_members(&scim, teachers, "Add", &[ada.id, bob.id]).await;
    assert!(allowed(&app, &ada, "group.create_assignments", "group", class).await);
    app.expect(
        &app.admin,
        Method::DELETE,
        &format!("/v1/groups/{department}/members/{}", bob.id),
        None,
        &[204],
    )
    .await;
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/groups/{department}/members/{}", bob.id),
        )
        .await;
    assert_eq!(member["sources"], json!([format!("idp_group:{teachers}")]));
    let (status, problem) = app
        .send(
            Some(&app.admin),
            Method::DELETE,
            &format!("/v1/groups/{department}/members/{}", ada.id),
            None,
        )
        .await;
    assert_eq!(status, 409, "{problem}");

    // Unbinding takes the bound role away from everyone, at once.
    let binding_id = binding["id"].as_str().unwrap();
    app.expect(
        &head,
        Method::DELETE,
        &format!("/v1/idp-groups/{teachers}/bindings/{binding_id}"),
        None,
        &[204],
    )
    .await;
    assert!(!allowed(&app, &ada, "group.view", "group", class).await);
    assert!(!allowed(&app, &bob, "group.view", "group", class).await);
}

/// Binding obeys no-escalation for whoever binds, and its target's kind.
async fn binding_obeys_no_escalation(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let school = app.create_group(&app.admin, "School", None).await;
    let teacher = app.create_user("teacher@example.org").await;
    app.grant_group(school, &teacher, GroupRole::Teacher).await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    let idp = push_group(&scim, "Everyone", &[]).await;
    let path = format!("/v1/idp-groups/{idp}/bindings");
    let (status, _) = app
        .send(
            Some(&teacher),
            Method::POST,
            &path,
            Some(&json!({ "type": "group", "id": school, "role": "student" })),
        )
        .await;
    assert_eq!(status, 403, "a teacher does not manage members");
    let (status, problem) = app
        .send(
            Some(&head),
            Method::POST,
            &path,
            Some(&json!({ "type": "group", "id": school, "role": "system_admin" })),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "role_escalation");
    let (status, problem) = app
        .send(
            Some(&head),
            Method::POST,
            &path,
            Some(&json!({ "type": "group", "id": school, "role": "pm" })),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    bind(&app, &head, idp, "group", school, "teacher").await;
    let (status, _) = app
        .send(
            Some(&head),
            Method::POST,
            &path,
            Some(&json!({ "type": "group", "id": school, "role": "student" })),
        )
        .await;
    assert_eq!(status, 409, "one binding per IdP group and place");
    // Reading bindings is for those who manage users.
    let listed = app.get_ok(&head, &path).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let (status, _) = app.send(Some(&teacher), Method::GET, &path, None).await;
    assert_eq!(status, 403);
    let groups = app.get_ok(&app.admin, "/v1/idp-groups").await;
    assert_eq!(groups["items"][0]["display_name"], "Everyone");
}

/// A project whose only admin holds the role through a binding: the provider cannot take it
/// away (SCIM 409, audited), and neither can deleting the IdP group.
async fn the_last_admin_is_not_synced_away(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let school = app.create_group(&app.admin, "School", None).await;
    let project = app.create_project(&app.admin, school, "Apollo").await;
    let lead = app.create_user("lead@example.org").await;
    let admins = push_group(&scim, "Apollo admins", &[lead.id]).await;
    bind(&app, &app.admin, admins, "project", project, "admin").await;
    assert!(allowed(&app, &lead, "project.delete", "project", project).await);
    // The creator leaves; the bound lead is the last admin.
    app.expect(
        &app.admin,
        Method::DELETE,
        &format!("/v1/projects/{project}/members/{}", app.admin.id),
        None,
        &[204],
    )
    .await;
    change_members(&scim, admins, "Remove", &[lead.id])
        .await
        .expect_error(409, None);
    assert!(allowed(&app, &lead, "project.delete", "project", project).await);
    scim.send(Method::DELETE, &format!("/Groups/{admins}"), None, &[])
        .await
        .expect_error(409, None);
    assert_eq!(app.audit_count("idp_group.refused").await, 2);
    // Once someone else is admin by hand, the provider's change goes through.
    app.grant_project(
        project,
        &app.create_user("pm@example.org").await,
        ProjectRole::Admin,
    )
    .await;
    change_members(&scim, admins, "Remove", &[lead.id])
        .await
        .expect(200);
    assert!(!allowed(&app, &lead, "project.view", "project", project).await);
}

/// The last system admin holds the role through a binding: the provider cannot take it away
/// (SCIM 409, audited), and a deletion of the user over SCIM is refused likewise.
async fn the_last_system_admin_is_not_synced_away(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let organisation = app.organisation().await;
    let root = app.create_user("root@example.org").await;
    let admins = push_group(&scim, "Root admins", &[root.id]).await;
    bind(
        &app,
        &app.admin,
        admins,
        "group",
        organisation,
        "system_admin",
    )
    .await;
    assert!(allowed(&app, &root, "group.manage", "group", organisation).await);
    // The bootstrap admin leaves: the bound one is the last system admin.
    app.expect(
        &app.admin,
        Method::DELETE,
        &format!("/v1/groups/{organisation}/members/{}", app.admin.id),
        None,
        &[204],
    )
    .await;
    change_members(&scim, admins, "Remove", &[root.id])
        .await
        .expect_error(409, None);
    scim.send(Method::DELETE, &format!("/Users/{}", root.id), None, &[])
        .await
        .expect_error(409, None);
    let me = app.get_ok(&root, "/v1/me").await;
    assert_eq!(me["system_admin"], true, "{me}");
    assert_eq!(app.audit_count("idp_group.refused").await, 1);
}

/// Two provider changes at once, each taking away one of a project's two admins (held through
/// two IdP groups): they queue on the project's lock, so exactly one goes through and the
/// project keeps an admin. The same for deactivating the two system admins at once.
async fn concurrent_syncs_keep_an_admin(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let school = app.create_group(&app.admin, "School", None).await;
    let project = app.create_project(&app.admin, school, "Apollo").await;
    let (ann, ben) = (
        app.create_user("ann@example.org").await,
        app.create_user("ben@example.org").await,
    );
    let first = push_group(&scim, "Admins A", &[ann.id]).await;
    let second = push_group(&scim, "Admins B", &[ben.id]).await;
    bind(&app, &app.admin, first, "project", project, "admin").await;
    bind(&app, &app.admin, second, "project", project, "admin").await;
    app.expect(
        &app.admin,
        Method::DELETE,
        &format!("/v1/projects/{project}/members/{}", app.admin.id),
        None,
        &[204],
    )
    .await;
    let (ann_only, ben_only) = ([ann.id], [ben.id]);
    let (a, b) = tokio::join!(
        change_members(&scim, first, "Remove", &ann_only),
        change_members(&scim, second, "Remove", &ben_only),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{:?} {:?}", a.body, b.body);
    let still_admin = allowed(&app, &ann, "project.delete", "project", project).await
        || allowed(&app, &ben, "project.delete", "project", project).await;
    assert!(still_admin, "the project keeps an admin");

    // Two system admins, each deactivated by its own request at the same moment.
    let organisation = app.organisation().await;
    let other = app.create_user("root2@example.org").await;
    app.grant_group(organisation, &other, domain::GroupRole::SystemAdmin)
        .await;
    let deactivate = |id: Uuid| {
        let body = patch(json!([{ "op": "replace", "value": { "active": false } }]));
        let scim = &scim;
        async move {
            scim.send(Method::PATCH, &format!("/Users/{id}"), Some(&body), &[])
                .await
                .status
        }
    };
    let (a, b) = tokio::join!(deactivate(app.admin.id), deactivate(other.id));
    let mut statuses = [a, b];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "one active system admin remains");
}

both_backends!(
    bound_roles_follow_the_identity_provider,
    binding_obeys_no_escalation,
    the_last_admin_is_not_synced_away,
    the_last_system_admin_is_not_synced_away,
    concurrent_syncs_keep_an_admin,
);
