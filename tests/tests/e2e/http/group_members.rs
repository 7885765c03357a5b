//! Group memberships over HTTP: every route with each role that may and each that may not, the
//! no-escalation and last-system-admin rules, upsert semantics, inherited listings, paging, bad
//! input, and the audit event of every change.

use domain::GroupRole;
use reqwest::{Method, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::api::uuids;
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use tests::world::{Who, World};
use uuid::Uuid;

fn members(group: Uuid) -> String {
    format!("/v1/groups/{group}/members")
}

fn member(group: Uuid, user: Uuid) -> String {
    format!("/v1/groups/{group}/members/{user}")
}

/// Asserts a success status, or a problem with `code` when one is given.
async fn expect(response: Response, status: u16, code: Option<&str>) -> Value {
    match code {
        Some(code) => expect_problem(response, status, code).await,
        None => expect_status(response, status).await,
    }
}

/// Adds `user` to `group` with `role`, as the system admin.
/// The stored membership of `user` in `group`.
async fn stored(app: &TestApp, group: Uuid, user: Uuid) -> Option<entity::group_members::Model> {
    entity::group_members::Entity::find()
        .filter(entity::group_members::Column::GroupId.eq(group))
        .filter(entity::group_members::Column::UserId.eq(user))
        .one(&app.db)
        .await
        .unwrap()
}

/// The shared world seen from its class: a user for every role at the class — direct members
/// of the class, members of the school above it (who hold their role at the class by
/// inheritance) — and a stranger with no role at all.
struct School {
    /// The class's parent (the department), where the class's members hold no role.
    parent: Uuid,
    class: Uuid,
    group_admin: TestUser,
    teacher: TestUser,
    student: TestUser,
    school_admin: TestUser,
    school_teacher: TestUser,
    school_student: TestUser,
    stranger: TestUser,
}

impl School {
    fn of(w: &World) -> Self {
        let user = |who: Who| w.user(who).clone();
        Self {
            parent: w.dept,
            class: w.class,
            group_admin: user(Who::Ga),
            teacher: user(Who::T),
            student: user(Who::S),
            school_admin: user(Who::GaUp),
            school_teacher: user(Who::TUp),
            school_student: user(Who::SUp),
            stranger: user(Who::Str),
        }
    }

    /// Every caller with a name for messages, and whether they hold `group.manage_members` /
    /// `group.view_members` at the class: `None` = no role there at all.
    fn callers<'a>(
        &'a self,
        app: &'a TestApp,
    ) -> Vec<(&'static str, &'a TestUser, Option<Powers>)> {
        let manager = Some(Powers {
            manage: true,
            view: true,
        });
        let viewer = Some(Powers {
            manage: false,
            view: true,
        });
        let member = Some(Powers {
            manage: false,
            view: false,
        });
        vec![
            ("system admin", &app.admin, manager),
            ("group_admin", &self.group_admin, manager),
            ("school group_admin", &self.school_admin, manager),
            ("teacher", &self.teacher, viewer),
            ("school teacher", &self.school_teacher, viewer),
            ("student", &self.student, member),
            ("school student", &self.school_student, member),
            ("stranger", &self.stranger, None),
        ]
    }
}

/// What a caller's effective role at the class lets them do with its members.
#[derive(Clone, Copy)]
struct Powers {
    manage: bool,
    view: bool,
}

/// The answer a route guarded by a capability gives: allowed, 403 with a role, 404 without.
fn guarded(powers: Option<Powers>, allowed: bool, ok: u16) -> (u16, Option<&'static str>) {
    match (powers, allowed) {
        (_, true) => (ok, None),
        (Some(_), false) => (403, Some("forbidden")),
        (None, false) => (404, Some("not_found")),
    }
}

async fn adding_members_follows_capabilities(db: &TestDb) {
    let w = World::build(db).await;
    let (app, s) = (&w.app, School::of(&w));
    for (n, (name, caller, powers)) in s.callers(app).into_iter().enumerate() {
        let newcomer = app.create_user(&format!("new{n}@example.org")).await;
        let response = app
            .post(
                caller,
                &members(s.class),
                &json!({ "user_id": newcomer.id, "role": "student" }),
            )
            .await;
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, code) = guarded(powers, powers.is_some_and(|p| p.manage), 201);
        let body = expect(response, status, code).await;
        if status == 201 {
            assert_eq!(location, Some(member(s.class, newcomer.id)), "{name}");
            assert_eq!(body["user_id"], newcomer.id.to_string(), "{name}");
            assert_eq!(body["group_id"], s.class.to_string(), "{name}");
            assert_eq!(body["role"], "student", "{name}");
            assert!(body["created_at"].is_string() && body["updated_at"].is_string());
            let read = app
                .call(Some(caller), Method::GET, &location.unwrap(), None)
                .await;
            assert_eq!(expect_status(read, 200).await, body, "{name}");
        } else {
            assert!(stored(app, s.class, newcomer.id).await.is_none(), "{name}");
        }
    }

    // Already a member, whatever the role asked for.
    for role in ["student", "teacher"] {
        let response = app
            .post(
                &s.group_admin,
                &members(s.class),
                &json!({ "user_id": s.student.id, "role": role }),
            )
            .await;
        expect_problem(response, 409, "already_member").await;
    }
    // A group_admin of the class has no role in its parent, and no group is there at all.
    for group in [s.parent, Uuid::now_v7()] {
        let response = app
            .post(
                &s.group_admin,
                &members(group),
                &json!({ "user_id": s.stranger.id, "role": "student" }),
            )
            .await;
        expect_problem(response, 404, "not_found").await;
    }
}

async fn escalation_is_refused(db: &TestDb) {
    let w = World::build(db).await;
    let (app, s) = (&w.app, School::of(&w));
    let role_of = async |user: &TestUser| {
        stored(app, s.class, user.id)
            .await
            .map(|m| role_name(m.role))
    };

    // A student cannot promote themselves: they lack group.manage_members, which is checked
    // before the tier rule, so the answer is `forbidden`.
    let response = app
        .call(
            Some(&s.student),
            Method::PUT,
            &member(s.class, s.student.id),
            Some(&json!({ "role": "teacher" })),
        )
        .await;
    expect_problem(response, 403, "forbidden").await;
    assert_eq!(role_of(&s.student).await, Some("student"));

    // A group_admin cannot grant system_admin, by POST or PUT.
    let response = app
        .post(
            &s.group_admin,
            &members(s.class),
            &json!({ "user_id": s.stranger.id, "role": "system_admin" }),
        )
        .await;
    let body = expect_problem(response, 403, "role_escalation").await;
    assert!(
        body["detail"].as_str().unwrap().contains("system_admin"),
        "{body}"
    );
    for target in [&s.student, &s.stranger] {
        let response = app
            .call(
                Some(&s.school_admin),
                Method::PUT,
                &member(s.class, target.id),
                Some(&json!({ "role": "system_admin" })),
            )
            .await;
        expect_problem(response, 403, "role_escalation").await;
    }
    assert_eq!(role_of(&s.stranger).await, None);
    assert_eq!(role_of(&s.student).await, Some("student"));

    // Only the system admin grants system_admin; then no group_admin may demote or remove it.
    let root = app.create_user("root@example.org").await;
    app.add_group_member(&app.admin, s.class, root.id, GroupRole::SystemAdmin)
        .await;
    for group_admin in [&s.group_admin, &s.school_admin] {
        let response = app
            .call(
                Some(group_admin),
                Method::PUT,
                &member(s.class, root.id),
                Some(&json!({ "role": "student" })),
            )
            .await;
        expect_problem(response, 403, "role_escalation").await;
        let response = app.delete(group_admin, &member(s.class, root.id)).await;
        expect_problem(response, 403, "role_escalation").await;
    }
    assert_eq!(role_of(&root).await, Some("system_admin"));

    // A teacher cannot remove a group_admin (nor anyone: they do not manage members).
    for target in [&s.group_admin, &s.student] {
        let response = app.delete(&s.teacher, &member(s.class, target.id)).await;
        expect_problem(response, 403, "forbidden").await;
    }
    assert_eq!(role_of(&s.group_admin).await, Some("group_admin"));

    // Peers manage peers: group_admins grant group_admin and change each other.
    let response = app
        .post(
            &s.group_admin,
            &members(s.class),
            &json!({ "user_id": s.stranger.id, "role": "group_admin" }),
        )
        .await;
    expect_status(response, 201).await;
    let response = app
        .call(
            Some(&s.school_admin),
            Method::PUT,
            &member(s.class, s.group_admin.id),
            Some(&json!({ "role": "teacher" })),
        )
        .await;
    assert_eq!(expect_status(response, 200).await["role"], "teacher");
}

/// The stored role by its wire name.
fn role_name(role: entity::roles::MemberRole) -> &'static str {
    match role {
        entity::roles::MemberRole::SystemAdmin => "system_admin",
        entity::roles::MemberRole::GroupAdmin => "group_admin",
        entity::roles::MemberRole::Teacher => "teacher",
        entity::roles::MemberRole::Student => "student",
    }
}

async fn the_last_system_admin_stays(db: &TestDb) {
    let app = spawn_app(db).await;
    let org = app.organisation().await;
    let admin = app.admin.clone();

    // Alone, the system admin can neither leave nor step down; an unchanged PUT is fine.
    let response = app.delete(&admin, &member(org, admin.id)).await;
    expect_problem(response, 409, "last_system_admin").await;
    let own = member(org, admin.id);
    let put = async |role: &'static str| {
        let body = json!({ "role": role });
        app.call(Some(&admin), Method::PUT, &own, Some(&body)).await
    };
    expect_problem(put("group_admin").await, 409, "last_system_admin").await;
    expect_status(put("system_admin").await, 200).await;

    // A second system_admin membership of the same user keeps them a system admin: either one
    // may go, but not both.
    let class = app.create_group(&app.admin, "Class", Some(org)).await;
    app.add_group_member(&app.admin, class, admin.id, GroupRole::SystemAdmin)
        .await;
    let response = app.delete(&admin, &member(org, admin.id)).await;
    expect_status(response, 204).await;
    let response = app.delete(&admin, &member(class, admin.id)).await;
    expect_problem(response, 409, "last_system_admin").await;

    // With another system admin, the first may step down; then the other is the last one.
    let other = app.create_user("other@example.org").await;
    app.add_group_member(&app.admin, org, other.id, GroupRole::SystemAdmin)
        .await;
    let response = app
        .call(
            Some(&admin),
            Method::PUT,
            &member(class, admin.id),
            Some(&json!({ "role": "teacher" })),
        )
        .await;
    assert_eq!(expect_status(response, 200).await["role"], "teacher");
    let response = app.delete(&other, &member(org, other.id)).await;
    expect_problem(response, 409, "last_system_admin").await;
    let response = app
        .call(
            Some(&other),
            Method::PUT,
            &member(org, other.id),
            Some(&json!({ "role": "student" })),
        )
        .await;
    expect_problem(response, 409, "last_system_admin").await;
    assert_eq!(
        stored(&app, org, other.id).await.map(|m| role_name(m.role)),
        Some("system_admin")
    );
}

async fn upsert_creates_then_updates_and_skips_unchanged(db: &TestDb) {
    let w = World::build(db).await;
    let (app, s) = (&w.app, School::of(&w));
    let newcomer = app.create_user("newcomer@example.org").await;
    let path = member(s.class, newcomer.id);
    let put = async |role: &'static str| {
        let body = json!({ "role": role });
        app.call(Some(&s.group_admin), Method::PUT, &path, Some(&body))
            .await
    };

    let creates = app.audit_events("group_member.create").await.len();
    let response = put("student").await;
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        path.as_str()
    );
    let created = expect_status(response, 201).await;
    assert_eq!(created["role"], "student");
    assert_eq!(
        app.audit_events("group_member.create").await.len(),
        creates + 1
    );

    let unchanged = expect_status(put("student").await, 200).await;
    assert_eq!(unchanged, created);
    assert!(app.audit_events("group_member.update").await.is_empty());

    let updated = expect_status(put("teacher").await, 200).await;
    assert_eq!(updated["role"], "teacher");
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_ne!(updated["updated_at"], created["updated_at"]);
    expect_status(put("teacher").await, 200).await;
    let updates = app.audit_events("group_member.update").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].details["before"]["role"], "student");
    assert_eq!(updates[0].details["after"]["role"], "teacher");

    // Every caller who may not manage members gets the same answer as for POST.
    for (name, caller, powers) in s.callers(app) {
        if powers.is_some_and(|p| p.manage) {
            continue;
        }
        let response = app
            .call(
                Some(caller),
                Method::PUT,
                &path,
                Some(&json!({ "role": "student" })),
            )
            .await;
        let (status, code) = guarded(powers, false, 200);
        expect(response, status, code).await;
        assert_eq!(
            stored(app, s.class, newcomer.id)
                .await
                .map(|m| role_name(m.role)),
            Some("teacher"),
            "{name}"
        );
    }
}

async fn reading_one_membership(db: &TestDb) {
    let w = World::build(db).await;
    let (app, s) = (&w.app, School::of(&w));
    let path = member(s.class, s.teacher.id);
    for (name, caller, powers) in s.callers(app) {
        let response = app.call(Some(caller), Method::GET, &path, None).await;
        let may = powers.is_some_and(|p| p.view) || caller.id == s.teacher.id;
        let (status, code) = guarded(powers, may, 200);
        let body = expect(response, status, code).await;
        if status == 200 {
            assert_eq!(body["role"], "teacher", "{name}");
            assert_eq!(body["group_id"], s.class.to_string(), "{name}");
            assert!(body.get("inherited_from").is_none(), "{name}: {body}");
        }
    }
    // Members read their own membership, even without group.view_members.
    let own = app
        .call(
            Some(&s.student),
            Method::GET,
            &member(s.class, s.student.id),
            None,
        )
        .await;
    assert_eq!(expect_status(own, 200).await["role"], "student");
    // Only direct memberships exist here: an inherited role is no membership of the class.
    for (caller, group, user) in [
        (&s.school_student, s.class, s.school_student.id),
        (&s.stranger, s.class, s.stranger.id),
        (&app.admin, s.class, s.school_teacher.id),
        (&app.admin, Uuid::now_v7(), s.teacher.id),
        (&s.stranger, Uuid::now_v7(), s.stranger.id),
    ] {
        let response = app
            .call(Some(caller), Method::GET, &member(group, user), None)
            .await;
        expect_problem(response, 404, "not_found").await;
    }
}

/// The user ids of a listing, in order.
fn ids(body: &Value) -> Vec<Uuid> {
    uuids(&body["items"], "user_id")
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

async fn listing_direct_members(db: &TestDb) {
    let w = World::build(db).await;
    let (app, s) = (&w.app, School::of(&w));
    let direct = sorted(vec![s.group_admin.id, s.teacher.id, s.student.id]);
    for (name, caller, powers) in s.callers(app) {
        let response = app
            .call(Some(caller), Method::GET, &members(s.class), None)
            .await;
        let (status, code) = guarded(powers, powers.is_some_and(|p| p.view), 200);
        let body = expect(response, status, code).await;
        if status == 200 {
            assert_eq!(ids(&body), direct, "{name}");
            assert_eq!(body["next_cursor"], Value::Null, "{name}");
            for item in body["items"].as_array().unwrap() {
                assert_eq!(item["group_id"], s.class.to_string(), "{name}");
                assert!(item.get("inherited_from").is_none(), "{name}: {item}");
            }
        }
    }

    let list = async |query: &str| {
        app.call(
            Some(&s.teacher),
            Method::GET,
            &format!("{}?{query}", members(s.class)),
            None,
        )
        .await
    };
    let teachers = expect_status(list("role=teacher").await, 200).await;
    assert_eq!(ids(&teachers), [s.teacher.id]);
    assert_eq!(teachers["items"][0]["role"], "teacher");
    let none = expect_status(list("role=system_admin").await, 200).await;
    assert!(ids(&none).is_empty());
    let explicit = expect_status(list("inherited=false").await, 200).await;
    assert_eq!(ids(&explicit), direct);

    for (query, field) in [
        ("role=boss", "role"),
        ("role=Teacher", "role"),
        ("inherited=maybe", "inherited"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
        ("cursor=not-a-cursor!", "cursor"),
    ] {
        let body = expect_problem(list(query).await, 400, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
}

async fn inherited_listing_shows_each_user_once_at_their_strongest_role(db: &TestDb) {
    let app = spawn_app(db).await;
    // school → department → class
    let school = app.create_group(&app.admin, "School", None).await;
    let department = app
        .create_group(&app.admin, "Department", Some(school))
        .await;
    let class = app
        .create_group(&app.admin, "Class", Some(department))
        .await;
    let user = |name: &'static str| app.create_user(name);
    let promoted = user("promoted@example.org").await;
    let direct_wins = user("direct-wins@example.org").await;
    let tie = user("tie@example.org").await;
    let ancestors_tie = user("ancestors-tie@example.org").await;
    let only_direct = user("only-direct@example.org").await;
    let only_inherited = user("only-inherited@example.org").await;

    // Student in the class but teacher of the school: a teacher, inherited from the school.
    app.add_group_member(&app.admin, class, promoted.id, GroupRole::Student)
        .await;
    app.add_group_member(&app.admin, school, promoted.id, GroupRole::Teacher)
        .await;
    // group_admin in the class beats student in the school: shown as the direct membership.
    app.add_group_member(&app.admin, class, direct_wins.id, GroupRole::GroupAdmin)
        .await;
    app.add_group_member(&app.admin, school, direct_wins.id, GroupRole::Student)
        .await;
    // Teacher both here and in the department: the direct membership wins the tie.
    app.add_group_member(&app.admin, class, tie.id, GroupRole::Teacher)
        .await;
    app.add_group_member(&app.admin, department, tie.id, GroupRole::Teacher)
        .await;
    // Teacher in two ancestors: the one nearest the root, where the role starts to apply.
    app.add_group_member(&app.admin, school, ancestors_tie.id, GroupRole::Teacher)
        .await;
    app.add_group_member(&app.admin, department, ancestors_tie.id, GroupRole::Teacher)
        .await;
    app.add_group_member(&app.admin, class, only_direct.id, GroupRole::Student)
        .await;
    app.add_group_member(
        &app.admin,
        department,
        only_inherited.id,
        GroupRole::GroupAdmin,
    )
    .await;

    let list = async |query: &str| {
        let response = app
            .call(
                Some(&app.admin),
                Method::GET,
                &format!("{}?{query}", members(class)),
                None,
            )
            .await;
        expect_status(response, 200).await
    };

    let body = list("inherited=true").await;
    let items = body["items"].as_array().unwrap();
    // One entry per user, in user id order; the system admin's membership lies elsewhere.
    let everyone = sorted(vec![
        promoted.id,
        direct_wins.id,
        tie.id,
        ancestors_tie.id,
        only_direct.id,
        only_inherited.id,
    ]);
    assert_eq!(ids(&body), everyone);
    let entry = |user: Uuid| {
        items
            .iter()
            .find(|item| item["user_id"] == user.to_string())
            .unwrap()
    };
    let expected = [
        (&promoted, "teacher", Some(school)),
        (&direct_wins, "group_admin", None),
        (&tie, "teacher", None),
        (&ancestors_tie, "teacher", Some(school)),
        (&only_direct, "student", None),
        (&only_inherited, "group_admin", Some(department)),
    ];
    for (user, role, from) in expected {
        let item = entry(user.id);
        assert_eq!(item["role"], role, "{}: {item}", user.email);
        assert_eq!(
            item["group_id"],
            class.to_string(),
            "{}: {item}",
            user.email
        );
        assert_eq!(
            item.get("inherited_from")
                .map(|v| v.as_str().unwrap().parse::<Uuid>().unwrap()),
            from,
            "{}: {item}",
            user.email
        );
    }

    // ?role= filters on the shown role: `promoted` is a student here, but shown as a teacher.
    let teachers = list("inherited=true&role=teacher").await;
    assert_eq!(
        ids(&teachers),
        sorted(vec![promoted.id, tie.id, ancestors_tie.id])
    );
    let students = list("inherited=true&role=student").await;
    assert_eq!(ids(&students), [only_direct.id]);
    // Without `inherited`, only the class's own memberships, at their own roles.
    let direct_students = list("role=student").await;
    assert_eq!(
        ids(&direct_students),
        sorted(vec![promoted.id, only_direct.id])
    );

    // Paging through the inherited listing, one entry per page, with and without a filter.
    for (filter, want) in [("", everyone.clone()), ("&role=teacher", ids(&teachers))] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(c) => format!("inherited=true&limit=1{filter}&cursor={c}"),
                None => format!("inherited=true&limit=1{filter}"),
            };
            let page = list(&query).await;
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
            assert!(seen.len() <= want.len(), "paging does not end: {seen:?}");
        }
        assert_eq!(seen, want, "filter {filter:?}");
    }

    // The teacher of the department sees the class's members; a student there does not.
    let student = user("student@example.org").await;
    app.add_group_member(&app.admin, department, student.id, GroupRole::Student)
        .await;
    let response = app
        .call(
            Some(&student),
            Method::GET,
            &format!("{}?inherited=true", members(class)),
            None,
        )
        .await;
    expect_problem(response, 403, "forbidden").await;
    let response = app
        .call(
            Some(&tie),
            Method::GET,
            &format!("{}?inherited=true", members(class)),
            None,
        )
        .await;
    assert_eq!(ids(&expect_status(response, 200).await).len(), 7);
}

async fn pagination_walks_every_page(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "Big class", None).await;
    let mut all = Vec::new();
    for i in 0..7 {
        let user = app.create_user(&format!("member{i}@example.org")).await;
        app.add_group_member(&app.admin, group, user.id, GroupRole::Student)
            .await;
        all.push(user.id);
    }
    let all = sorted(all);
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{}?limit=3&cursor={c}", members(group)),
            None => format!("{}?limit=3", members(group)),
        };
        let page = app.get_ok(&app.admin, &path).await;
        sizes.push(ids(&page).len());
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen, all);
    // A limit that ends exactly on the last item says so: no empty page follows.
    let path = format!("{}?limit=7", members(group));
    let page = app.get_ok(&app.admin, &path).await;
    assert_eq!(
        (ids(&page).len(), page["next_cursor"].clone()),
        (7, Value::Null)
    );
}

async fn removing_members(db: &TestDb) {
    let w = World::build(db).await;
    let (app, s) = (&w.app, School::of(&w));
    for (n, (name, caller, powers)) in s.callers(app).into_iter().enumerate() {
        let target = app.create_user(&format!("leaving{n}@example.org")).await;
        app.add_group_member(&app.admin, s.class, target.id, GroupRole::Student)
            .await;
        let response = app.delete(caller, &member(s.class, target.id)).await;
        let (status, code) = guarded(powers, powers.is_some_and(|p| p.manage), 204);
        let body = expect(response, status, code).await;
        let gone = stored(app, s.class, target.id).await.is_none();
        assert_eq!(gone, status == 204, "{name}");
        if status == 204 {
            assert_eq!(body, Value::Null, "{name}");
        }
    }

    // Everyone may leave, whatever their role; a second attempt finds nothing.
    for leaver in [&s.student, &s.teacher, &s.group_admin] {
        let path = member(s.class, leaver.id);
        let response = app.delete(leaver, &path).await;
        expect_status(response, 204).await;
        let response = app.delete(leaver, &path).await;
        expect_problem(response, 404, "not_found").await;
    }
    // An inherited role is not a membership of the class to leave.
    let response = app
        .delete(&s.school_student, &member(s.class, s.school_student.id))
        .await;
    expect_problem(response, 404, "not_found").await;
    // Nor can anyone remove a membership that does not exist, or in a group that does not.
    for path in [
        member(s.class, s.stranger.id),
        member(Uuid::now_v7(), s.stranger.id),
    ] {
        let response = app.delete(&app.admin, &path).await;
        expect_problem(response, 404, "not_found").await;
    }
}

async fn bad_input_is_named(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "School", None).await;
    let user = app.create_user("user@example.org").await;
    let cases = [
        (
            Method::POST,
            members(group),
            json!({ "user_id": user.id, "role": "boss" }),
            "role",
        ),
        (
            Method::POST,
            members(group),
            json!({ "user_id": Uuid::now_v7(), "role": "student" }),
            "user_id",
        ),
        (
            Method::POST,
            members(group),
            json!({ "user_id": "not-a-uuid", "role": "student" }),
            "user_id",
        ),
        (
            Method::POST,
            members(group),
            json!({ "role": "student" }),
            "user_id",
        ),
        (
            Method::POST,
            members(group),
            json!({ "user_id": user.id, "role": "student", "tier": 0 }),
            "tier",
        ),
        (
            Method::PUT,
            member(group, user.id),
            json!({ "role": "SYSTEM_ADMIN" }),
            "role",
        ),
        (
            Method::PUT,
            member(group, user.id),
            json!({ "role": 3 }),
            "role",
        ),
        (
            Method::PUT,
            member(group, user.id),
            json!({ "role": "student", "user_id": user.id }),
            "user_id",
        ),
        (
            Method::PUT,
            member(group, Uuid::now_v7()),
            json!({ "role": "student" }),
            "user_id",
        ),
        (
            Method::POST,
            "/v1/groups/not-a-uuid/members".to_owned(),
            json!({ "user_id": user.id, "role": "student" }),
            "id",
        ),
        (
            Method::PUT,
            format!("/v1/groups/{group}/members/42"),
            json!({ "role": "student" }),
            "user_id",
        ),
        (
            Method::PUT,
            format!("/v1/groups/x/members/{}", user.id),
            json!({ "role": "student" }),
            "id",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app
            .call(Some(&app.admin), method.clone(), &path, Some(&body.clone()))
            .await;
        let problem = expect_problem(response, 400, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["field"], field,
            "{method} {path} {body}: {problem}"
        );
    }
    for (method, path, field) in [
        (Method::GET, "/v1/groups/nope/members".to_owned(), "id"),
        (
            Method::GET,
            format!("/v1/groups/{group}/members/nope"),
            "user_id",
        ),
        (
            Method::GET,
            format!("/v1/groups/nope/members/{}", user.id),
            "id",
        ),
        (
            Method::DELETE,
            format!("/v1/groups/{group}/members/nope"),
            "user_id",
        ),
        (
            Method::DELETE,
            format!("/v1/groups/nope/members/{}", user.id),
            "id",
        ),
    ] {
        let response = app
            .call(Some(&app.admin), method.clone(), &path, None)
            .await;
        let problem = expect_problem(response, 400, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["field"], field,
            "{method} {path}: {problem}"
        );
    }
    // Nothing was written by any of it.
    assert!(stored(&app, group, user.id).await.is_none());
    assert!(app.audit_events("group_member.create").await.is_empty());
}

async fn every_change_is_audited(db: &TestDb) {
    let w = World::build(db).await;
    let (app, s) = (&w.app, School::of(&w));
    let newcomer = app.create_user("newcomer@example.org").await;
    let before = app.audit_events("group_member.create").await.len();

    // Created by the class's group_admin.
    let response = app
        .post(
            &s.group_admin,
            &members(s.class),
            &json!({ "user_id": newcomer.id, "role": "student" }),
        )
        .await;
    expect_status(response, 201).await;
    let row = stored(app, s.class, newcomer.id).await.unwrap();
    let created = app.audit_events("group_member.create").await;
    assert_eq!(created.len(), before + 1);
    let event = created
        .iter()
        .find(|e| e.resource_id == Some(row.id))
        .unwrap();
    let membership =
        |role: &str| json!({ "user_id": newcomer.id, "group_id": s.class, "role": role });
    assert_eq!(event.actor_id, Some(s.group_admin.id));
    assert_eq!(event.resource_type, "group_member");
    assert_eq!(event.group_id, Some(s.class));
    assert_eq!(event.project_id, None);
    assert_eq!(
        event.details,
        json!({ "before": null, "after": membership("student") })
    );

    // Changed by a group_admin of the school (inherited).
    let response = app
        .call(
            Some(&s.school_admin),
            Method::PUT,
            &member(s.class, newcomer.id),
            Some(&json!({ "role": "teacher" })),
        )
        .await;
    expect_status(response, 200).await;
    let updated = app.audit_events("group_member.update").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].actor_id, Some(s.school_admin.id));
    assert_eq!(updated[0].resource_id, Some(row.id));
    assert_eq!(updated[0].group_id, Some(s.class));
    assert_eq!(
        updated[0].details,
        json!({ "before": membership("student"), "after": membership("teacher") })
    );

    // Left by the member themselves.
    let response = app.delete(&newcomer, &member(s.class, newcomer.id)).await;
    expect_status(response, 204).await;
    let deleted = app.audit_events("group_member.delete").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].actor_id, Some(newcomer.id));
    assert_eq!(deleted[0].resource_id, Some(row.id));
    assert_eq!(deleted[0].group_id, Some(s.class));
    assert_eq!(
        deleted[0].details,
        json!({ "before": membership("teacher"), "after": null })
    );

    // Removed by the system admin; refused changes write nothing.
    let response = app.delete(&s.teacher, &member(s.class, s.student.id)).await;
    expect_problem(response, 403, "forbidden").await;
    let response = app.delete(&app.admin, &member(s.class, s.student.id)).await;
    expect_status(response, 204).await;
    let deleted = app.audit_events("group_member.delete").await;
    assert_eq!(deleted.len(), 2);
    let by_admin = deleted
        .iter()
        .find(|e| e.actor_id == Some(app.admin.id))
        .unwrap();
    assert_eq!(
        by_admin.details["before"]["user_id"],
        s.student.id.to_string()
    );
    assert_eq!(by_admin.details["before"]["role"], "student");
}

/// Two system admins step down at the same moment: the lock on the set of system admins lets
/// exactly one through, whether they leave or demote themselves.
async fn concurrent_step_downs_keep_one_system_admin(db: &TestDb) {
    let app = spawn_app(db).await;
    let org = app.organisation().await;
    let mut survivor = app.admin.clone();
    // Created up front: the bootstrap admin may no longer be a system admin in round 2.
    let others = [
        app.create_user("other0@example.org").await,
        app.create_user("other1@example.org").await,
    ];
    let bodies = [None, Some(json!({ "role": "group_admin" }))];
    for (round, (other, body)) in others.into_iter().zip(bodies).enumerate() {
        let response = app
            .post(
                &survivor,
                &members(org),
                &json!({ "user_id": other.id, "role": "system_admin" }),
            )
            .await;
        expect_status(response, 201).await;
        let method = if body.is_some() {
            Method::PUT
        } else {
            Method::DELETE
        };
        let step_down = async |user: &TestUser| {
            let path = member(org, user.id);
            app.call(Some(user), method.clone(), &path, body.clone().as_ref())
                .await
        };
        let pair = [survivor.clone(), other];
        let (first, second) =
            futures_util::future::join(step_down(&pair[0]), step_down(&pair[1])).await;
        let statuses = [first.status().as_u16(), second.status().as_u16()];
        let refused = statuses.iter().position(|s| *s == 409).unwrap_or_else(|| {
            panic!("round {round}: one step-down must be refused, got {statuses:?}")
        });
        let succeeded = if body.is_some() { 200 } else { 204 };
        assert_eq!(statuses[1 - refused], succeeded, "round {round}");
        let refusal = if refused == 0 { first } else { second };
        expect_problem(refusal, 409, "last_system_admin").await;
        assert_eq!(
            roster_server::auth::count_system_admins(&app.db)
                .await
                .unwrap(),
            1,
            "round {round}"
        );
        survivor = pair[refused].clone();
    }
}

both_backends!(
    adding_members_follows_capabilities,
    escalation_is_refused,
    the_last_system_admin_stays,
    upsert_creates_then_updates_and_skips_unchanged,
    reading_one_membership,
    listing_direct_members,
    inherited_listing_shows_each_user_once_at_their_strongest_role,
    pagination_walks_every_page,
    removing_members,
    bad_input_is_named,
    every_change_is_audited,
    concurrent_step_downs_keep_one_system_admin,
);
