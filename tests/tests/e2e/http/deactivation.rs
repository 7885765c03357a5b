//! Deactivated users (spec §11: `users.active` false): their memberships stay but grant
//! nothing — on the decision path, in `/v1/check`, in the lookups, in the access deltas and to
//! the webhooks they created — and grant again once they are restored; the last-admin rules
//! count active admins only. (Their tokens are refused: `auth.rs`.) Here the flag is set through
//! SCIM's `active` ([`TestApp::set_active`]; its own cases are in `scim_users.rs`).

use domain::{Capability, GroupRole, ProjectRole};
use reqwest::Method;
use roster_server::auth::Principal;
use roster_server::services::access;
use roster_server::services::group_members;
use roster_server::services::guard::Subject;
use serde_json::{Value, json};
use tests::api::uuids;
use tests::app::{TestApp, TestUser, spawn_app, spawn_app_with, test_settings};
use tests::both_backends;
use tests::db::TestDb;
use tests::receiver::Receiver;
use uuid::Uuid;

/// A school with a class (and an empty annex), a project in the class with a squad, and one
/// user for each way of holding access there: `head` through a group (group_admin of the
/// school, so of the class, and admin of the project by the bridge), `pat` through the project
/// alone (member, in the squad), `sam` as a system admin. `bob` holds what `head` holds and is
/// never deactivated: what he keeps shows that only the deactivated lose anything.
struct Scene {
    app: TestApp,
    school: Uuid,
    class: Uuid,
    annex: Uuid,
    project: Uuid,
    squad: Uuid,
    head: TestUser,
    pat: TestUser,
    sam: TestUser,
    bob: TestUser,
}

impl Scene {
    async fn build(db: &TestDb) -> Self {
        let app = spawn_app(db).await;
        let school = app.create_group(&app.admin, "School", None).await;
        let class = app.create_group(&app.admin, "Class", Some(school)).await;
        let annex = app.create_group(&app.admin, "Annex", Some(school)).await;
        let project = app.create_project(&app.admin, class, "Robots").await;
        let squad = app.create_squad(&app.admin, project, "Wheels", None).await;
        let head = app.create_user("head@example.org").await;
        let pat = app.create_user("pat@example.org").await;
        let sam = app.create_user("sam@example.org").await;
        let bob = app.create_user("bob@example.org").await;
        app.grant_group(school, &head, GroupRole::GroupAdmin).await;
        app.grant_group(school, &bob, GroupRole::GroupAdmin).await;
        app.grant_project(project, &pat, ProjectRole::Member).await;
        app.put_squad_member(&app.admin, squad, pat.id).await;
        let organisation = app.organisation().await;
        app.grant_group(organisation, &sam, GroupRole::SystemAdmin)
            .await;
        Self {
            app,
            school,
            class,
            annex,
            project,
            squad,
            head,
            pat,
            sam,
            bob,
        }
    }

    /// The users the tests deactivate.
    fn deactivated(&self) -> [&TestUser; 3] {
        [&self.head, &self.pat, &self.sam]
    }

    async fn set_active(&self, active: bool) {
        for user in self.deactivated() {
            self.app.set_active(user.id, active).await;
        }
    }

    /// What each of the deactivated users holds while active, as checks: who, what, where.
    fn held(&self) -> Vec<(&TestUser, Capability, Value)> {
        let group = json!({ "type": "group", "id": self.class });
        let project = json!({ "type": "project", "id": self.project });
        let squad = json!({ "type": "squad", "id": self.squad });
        vec![
            (&self.head, Capability::GroupManageMembers, group.clone()),
            (
                &self.head,
                Capability::ProjectManageSettings,
                project.clone(),
            ),
            (&self.head, Capability::ProjectView, squad.clone()),
            (&self.pat, Capability::ProjectView, project.clone()),
            (&self.pat, Capability::ProjectView, squad),
            (
                &self.sam,
                Capability::SystemManage,
                json!({ "type": "system" }),
            ),
            (&self.sam, Capability::GroupView, group),
            (&self.sam, Capability::ProjectView, project),
        ]
    }
}

/// `ids` in order, to compare sets of users with a lookup's answer (in user-id order).
fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

/// `/v1/check` about `user`, asked by the system admin.
async fn check(app: &TestApp, user: &TestUser, capability: Capability, resource: &Value) -> Value {
    let body = json!({ "user_id": user.id, "capability": capability.as_str(),
                       "resource": resource });
    app.expect(&app.admin, Method::POST, "/v1/check", Some(&body), &[200])
        .await
}

/// Where `user` may use `capability` on resources of `kind` (every group, not roots), as the
/// system admin looks it up.
async fn resources(
    app: &TestApp,
    user: &TestUser,
    capability: Capability,
    kind: &str,
) -> Vec<Uuid> {
    let mut body = json!({ "user_id": user.id, "capability": capability.as_str(),
                           "resource_type": kind, "limit": 500 });
    if kind == "group" {
        body["expand"] = json!(true);
    }
    let page = app
        .expect(
            &app.admin,
            Method::POST,
            "/v1/lookup/resources",
            Some(&body),
            &[200],
        )
        .await;
    assert!(page["next_cursor"].is_null(), "one page: {page}");
    uuids(&page["items"], "id")
}

/// Who may use `capability` on `resource`, as the system admin looks it up.
async fn subjects(app: &TestApp, capability: Capability, resource: Value) -> Vec<Uuid> {
    let body = json!({ "capability": capability.as_str(), "resource": resource, "limit": 500 });
    let page = app
        .expect(
            &app.admin,
            Method::POST,
            "/v1/lookup/subjects",
            Some(&body),
            &[200],
        )
        .await;
    assert!(page["next_cursor"].is_null(), "one page: {page}");
    uuids(&page["items"], "user_id")
}

async fn check_denies_a_deactivated_user_and_says_why(db: &TestDb) {
    let scene = Scene::build(db).await;
    let app = &scene.app;
    for (user, capability, resource) in scene.held() {
        let answer = check(app, user, capability, &resource).await;
        assert_eq!(
            answer["allowed"], true,
            "{} {capability}: {answer}",
            user.email
        );
    }
    scene.set_active(false).await;
    for (user, capability, resource) in scene.held() {
        let answer = check(app, user, capability, &resource).await;
        let what = format!("{} {capability} {resource}: {answer}", user.email);
        assert_eq!(answer["allowed"], false, "{what}");
        assert!(answer["role"].is_null(), "{what}");
        assert!(answer["granted_by"].is_null(), "{what}");
        let reason = answer["reason"].as_str().unwrap();
        assert!(reason.contains("deactivated"), "{what}");
    }
    let class = json!({ "type": "group", "id": scene.class });
    let kept = check(app, &scene.bob, Capability::GroupManageMembers, &class).await;
    assert_eq!(kept["allowed"], true, "bob is not deactivated: {kept}");
    scene.set_active(true).await;
    for (user, capability, resource) in scene.held() {
        let answer = check(app, user, capability, &resource).await;
        assert_eq!(answer["allowed"], true, "restored {}: {answer}", user.email);
    }
}

async fn lookups_leave_a_deactivated_user_out(db: &TestDb) {
    let scene = Scene::build(db).await;
    let app = &scene.app;
    let (head, pat, sam, bob, admin) = (
        scene.head.id,
        scene.pat.id,
        scene.sam.id,
        scene.bob.id,
        app.admin.id,
    );
    let everything = [
        (Capability::GroupView, "group"),
        (Capability::ProjectView, "project"),
        (Capability::ProjectView, "squad"),
    ];
    let class = || json!({ "type": "group", "id": scene.class });
    let project = || json!({ "type": "project", "id": scene.project });

    let groups_of_head = resources(app, &scene.head, Capability::GroupView, "group").await;
    assert!(groups_of_head.contains(&scene.class), "{groups_of_head:?}");
    assert_eq!(
        resources(app, &scene.pat, Capability::ProjectView, "squad").await,
        [scene.squad]
    );
    assert_eq!(
        subjects(app, Capability::GroupView, class()).await,
        sorted(vec![admin, head, sam, bob])
    );

    scene.set_active(false).await;
    for user in scene.deactivated() {
        for (capability, kind) in everything {
            let found = resources(app, user, capability, kind).await;
            assert!(
                found.is_empty(),
                "{} {capability} {kind}: {found:?}",
                user.email
            );
        }
        let access = app
            .get_ok(&app.admin, &format!("/v1/users/{}/access", user.id))
            .await;
        assert_eq!(access["system_admin"], false, "{access}");
        assert_eq!(access["groups"], json!([]), "{access}");
        assert_eq!(access["projects"], json!([]), "{access}");
    }
    assert_eq!(
        subjects(app, Capability::GroupView, class()).await,
        sorted(vec![admin, bob])
    );
    assert_eq!(
        subjects(app, Capability::ProjectView, project()).await,
        sorted(vec![admin, bob])
    );
    let squad = json!({ "type": "squad", "id": scene.squad });
    assert_eq!(
        subjects(app, Capability::ProjectView, squad).await,
        sorted(vec![admin, bob])
    );
    let system = json!({ "type": "system" });
    assert_eq!(
        subjects(app, Capability::SystemManage, system).await,
        [admin]
    );

    scene.set_active(true).await;
    assert_eq!(
        resources(app, &scene.head, Capability::GroupView, "group").await,
        groups_of_head
    );
    assert_eq!(
        subjects(app, Capability::ProjectView, project()).await,
        sorted(vec![admin, head, pat, sam, bob])
    );
}

/// A request authenticated a moment before its user was deactivated: every decision reads the
/// memberships as they stand, so it is refused as a stranger's would be (404) — reads and
/// writes alike — and allowed again once the user is restored. A system admin's standing is
/// read again by every write and by every subject loaded for another user.
async fn decisions_deny_a_subject_deactivated_after_authenticating(db: &TestDb) {
    let scene = Scene::build(db).await;
    let app = &scene.app;
    let db = &app.db;
    let authenticated = |id: Uuid| async move {
        let principal = Principal::load(db, id).await.unwrap().unwrap();
        Subject::from(&principal)
    };
    let head = authenticated(scene.head.id).await;
    let pat = authenticated(scene.pat.id).await;
    let sam = authenticated(scene.sam.id).await;
    let decisions = async |subject: Subject| -> Vec<&'static str> {
        let code = |e: roster_server::error::ApiError| e.code();
        vec![
            access::authorize_group(db, subject, scene.class, Capability::GroupView)
                .await
                .map_or_else(code, |_| "allowed"),
            access::authorize_project(db, subject, scene.project, Capability::ProjectView)
                .await
                .map_or_else(code, |_| "allowed"),
            access::authorize_squad(db, subject, scene.squad, Capability::ProjectView)
                .await
                .map_or_else(code, |_| "allowed"),
        ]
    };
    let write = async |subject: Subject, role: GroupRole| {
        group_members::upsert(db, subject, scene.class, scene.bob.id, role)
            .await
            .map_or_else(|e| e.code(), |_| "allowed")
    };
    let pat_active = ["not_found", "allowed", "allowed"];
    assert_eq!(decisions(head).await, ["allowed"; 3]);
    assert_eq!(decisions(pat).await, pat_active, "a project member only");

    scene.set_active(false).await;
    assert_eq!(decisions(head).await, ["not_found"; 3]);
    assert_eq!(decisions(pat).await, ["not_found"; 3]);
    assert_eq!(
        decisions(Subject::load(db, scene.sam.id).await.unwrap()).await,
        ["not_found"; 3]
    );
    assert_eq!(write(head, GroupRole::Teacher).await, "not_found");
    assert_eq!(write(sam, GroupRole::Teacher).await, "not_found");

    scene.set_active(true).await;
    assert_eq!(decisions(head).await, ["allowed"; 3]);
    assert_eq!(decisions(pat).await, pat_active);
    assert_eq!(write(head, GroupRole::Teacher).await, "allowed");
    assert_eq!(write(sam, GroupRole::Student).await, "allowed");
}

/// The access deltas of the newest stored event with `action`.
async fn newest_deltas(app: &TestApp, action: &str) -> Value {
    let events = app.audit_events(action).await;
    events
        .last()
        .unwrap_or_else(|| panic!("no {action} event"))
        .access
        .clone()
}

/// Changing what a deactivated user holds changes no one's effective access, so it records no
/// delta — and still finds and changes the membership they hold (an update, not a second
/// one). Once restored, their changes record deltas again.
async fn changes_to_what_a_deactivated_user_holds_record_no_deltas(db: &TestDb) {
    let scene = Scene::build(db).await;
    let app = &scene.app;
    scene.set_active(false).await;

    let path = format!("/v1/groups/{}/members/{}", scene.school, scene.head.id);
    let body = json!({ "role": GroupRole::Teacher.as_str() });
    app.expect(&app.admin, Method::PUT, &path, Some(&body), &[200])
        .await;
    assert_eq!(newest_deltas(app, "group_member.update").await, json!([]));

    let path = format!("/v1/projects/{}/members/{}", scene.project, scene.pat.id);
    let body = json!({ "role": ProjectRole::Pm.as_str() });
    app.expect(&app.admin, Method::PUT, &path, Some(&body), &[200])
        .await;
    assert_eq!(newest_deltas(app, "project_member.update").await, json!([]));

    app.grant_project(scene.project, &scene.head, ProjectRole::Member)
        .await;
    assert_eq!(newest_deltas(app, "project_member.create").await, json!([]));

    // Everyone with a role in the annex loses it, except the deactivated, who had none.
    let annex = format!("/v1/groups/{}", scene.annex);
    app.expect(&app.admin, Method::DELETE, &annex, None, &[204])
        .await;
    let deltas = newest_deltas(app, "group.delete").await;
    assert_eq!(
        sorted(uuids(&deltas, "user_id")),
        sorted(vec![app.admin.id, scene.bob.id]),
        "{deltas}"
    );

    scene.set_active(true).await;
    app.grant_group(scene.school, &scene.head, GroupRole::Student)
        .await;
    let deltas = newest_deltas(app, "group_member.update").await;
    assert_eq!(deltas[0]["before"], "teacher", "{deltas}");
    assert_eq!(deltas[0]["after"], "student", "{deltas}");
}

/// The last-admin rules count active admins only: a deactivated admin administers nothing, so
/// the last active one may not step down or leave beside them (docs/API.md, Authentication);
/// once the other is restored, they may.
async fn a_deactivated_admin_does_not_count_as_an_admin(db: &TestDb) {
    let scene = Scene::build(db).await;
    let app = &scene.app;
    app.grant_project(scene.project, &scene.pat, ProjectRole::Admin)
        .await;
    scene.set_active(false).await;

    // The project's other admin is pat, deactivated: the creator may not step down.
    let path = format!("/v1/projects/{}/members/{}", scene.project, app.admin.id);
    let body = json!({ "role": ProjectRole::Member.as_str() });
    let (status, problem) = app
        .send(Some(&app.admin), Method::PUT, &path, Some(&body))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("last_admin")),
        "{problem}"
    );

    // The other system admin is sam, deactivated: the first one may not leave.
    let organisation = app.organisation().await;
    let leave = format!("/v1/groups/{organisation}/members/{}", app.admin.id);
    let (status, problem) = app
        .send(Some(&app.admin), Method::DELETE, &leave, None)
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("last_system_admin")),
        "{problem}"
    );

    scene.set_active(true).await;
    app.expect(&app.admin, Method::PUT, &path, Some(&body), &[200])
        .await;
    app.expect(&app.admin, Method::DELETE, &leave, None, &[204])
        .await;
}

/// A webhook delivers what its creator may read when it delivers: a deactivated creator may
/// read nothing, so the changes made meanwhile are skipped; restored, they are sent again.
async fn a_deactivated_creators_webhook_skips_changes_until_restored(db: &TestDb) {
    let mut settings = test_settings(db);
    settings.webhook_allow_private = true;
    let app = spawn_app_with(settings).await;
    let receiver = Receiver::start();
    let school = app.create_group(&app.admin, "School", None).await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    let body = json!({ "url": receiver.url, "group_id": school, "actions": ["group.create"] });
    let created = app
        .expect(&head, Method::POST, "/v1/webhooks", Some(&body), &[201])
        .await;
    let id = created["id"].as_str().unwrap().to_owned();

    app.set_active(head.id, false).await;
    app.create_group(&app.admin, "Away", Some(school)).await;
    assert_eq!(app.await_deliveries(&id, "skipped", 1).await, 1);

    app.set_active(head.id, true).await;
    let back = app.create_group(&app.admin, "Back", Some(school)).await;
    let received = receiver.wait_for(10, |r| !r.is_empty()).await;
    let sent: Vec<Value> = received
        .iter()
        .map(|r| r.json()["resource_id"].clone())
        .collect();
    assert_eq!(
        sent,
        [json!(back)],
        "only the change made after the restore"
    );
}

both_backends!(
    check_denies_a_deactivated_user_and_says_why,
    lookups_leave_a_deactivated_user_out,
    decisions_deny_a_subject_deactivated_after_authenticating,
    changes_to_what_a_deactivated_user_holds_record_no_deltas,
    a_deactivated_admin_does_not_count_as_an_admin,
    a_deactivated_creators_webhook_skips_changes_until_restored,
);
