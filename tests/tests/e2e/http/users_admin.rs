//! The users API beyond create and read: listing (the same visibility rule as reading one
//! user), filters and pagination, changing a user, and deleting one under the last-admin rules.

use std::collections::BTreeSet;

use reqwest::{Method, Response};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};
use tests::api::{percent_encode, strs};
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Gives `user` a direct `role` in `group`, straight in the database (the tests here are about
/// users, not about the group-members API).
async fn add_group_member(app: &TestApp, user: Uuid, group: Uuid, role: entity::roles::MemberRole) {
    let now = chrono::Utc::now();
    entity::group_members::Entity::insert(entity::group_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        group_id: Set(group),
        role: Set(role),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

/// A project owned by `group`, straight in the database.
async fn create_project(app: &TestApp, group: Uuid, slug: &str) -> Uuid {
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    entity::projects::Entity::insert(entity::projects::ActiveModel {
        id: Set(id),
        group_id: Set(group),
        name: Set(slug.to_owned()),
        slug: Set(slug.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
    id
}

/// Makes `user` a member of `project` with `role`, straight in the database.
async fn add_project_member(
    app: &TestApp,
    project: Uuid,
    user: Uuid,
    role: entity::roles::ProjectRole,
) {
    let now = chrono::Utc::now();
    entity::project_members::Entity::insert(entity::project_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project),
        user_id: Set(user),
        role: Set(role),
        reports_to: Set(None),
        reports_to_explicit: Set(false),
        manual_role: Set(Some(role)),
        idp_sources: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

/// `GET /v1/users?{query}` as `user`.
async fn get_list(app: &TestApp, user: &TestUser, query: &str) -> Response {
    app.call(Some(user), Method::GET, &format!("/v1/users?{query}"), None)
        .await
}

/// Every page of `GET /v1/users?{filters}` as `user`, `limit` at a time; the ids in the order
/// served. Checks each page's size and that only the last page lacks a cursor.
async fn list_all(app: &TestApp, user: &TestUser, filters: &str, limit: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = format!("limit={limit}");
        if !filters.is_empty() {
            query.push('&');
            query.push_str(filters);
        }
        if let Some(cursor) = &cursor {
            query.push_str(&format!("&cursor={}", percent_encode(cursor)));
        }
        let page = expect_status(get_list(app, user, &query).await, 200).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit, "{page}");
        ids.extend(
            items
                .iter()
                .map(|item| item["id"].as_str().unwrap().parse::<Uuid>().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), limit, "only the last page may be short");
                cursor = Some(next.to_owned());
            }
            None => return ids,
        }
    }
}

/// The ids `user` lists (all pages), as a set, after checking they come in id order.
async fn listed(app: &TestApp, user: &TestUser) -> BTreeSet<Uuid> {
    let ids = list_all(app, user, "", 500).await;
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not in id order");
    ids.into_iter().collect()
}

/// Asserts that `user` lists exactly `expected`, and that the list agrees with reading users one
/// by one: every listed id reads as 200, every id of `everyone` that is not listed as 404.
async fn assert_lists(
    app: &TestApp,
    user: &TestUser,
    everyone: &[Uuid],
    expected: impl IntoIterator<Item = Uuid>,
) {
    let expected: BTreeSet<Uuid> = expected.into_iter().collect();
    let listed = listed(app, user).await;
    assert_eq!(listed, expected, "what {} lists", user.email);
    for id in everyone {
        let response = app
            .call(Some(user), Method::GET, &format!("/v1/users/{id}"), None)
            .await;
        if listed.contains(id) {
            expect_status(response, 200).await;
        } else {
            expect_problem(response, 404, "not_found").await;
        }
    }
}

fn ids(users: &[&TestUser]) -> Vec<Uuid> {
    users.iter().map(|u| u.id).collect()
}

async fn patch(app: &TestApp, actor: &TestUser, id: Uuid, body: Value) -> Response {
    app.patch(actor, &format!("/v1/users/{id}"), &body).await
}

async fn delete(app: &TestApp, actor: &TestUser, id: Uuid) -> Response {
    app.delete(actor, &format!("/v1/users/{id}")).await
}

// ---------------------------------------------------------------------------------------------
// Listing: visibility
// ---------------------------------------------------------------------------------------------

async fn a_plain_user_lists_only_themselves(db: &TestDb) {
    let app = spawn_app(db).await;
    let alice = app.create_user("alice@example.org").await;
    let bob = app.create_user("bob@example.org").await;
    let everyone = [app.admin.id, alice.id, bob.id];
    assert_lists(&app, &alice, &everyone, [alice.id]).await;
    assert_lists(&app, &bob, &everyone, [bob.id]).await;
}

/// School → dept → class, and a second department: members see whoever holds a role in one of
/// their groups, an ancestor of it, or a group below it — not in sibling branches.
async fn sharing_a_group_or_an_ancestor_makes_users_visible(db: &TestDb) {
    use entity::roles::MemberRole::{Student, Teacher};
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let dept = app.create_group(&app.admin, "Sciences", Some(school)).await;
    let class = app.create_group(&app.admin, "Physics 1", Some(dept)).await;
    let other_dept = app.create_group(&app.admin, "Arts", Some(school)).await;
    let elsewhere = app.create_group(&app.admin, "Elsewhere", None).await;

    let head = app.create_user("head@example.org").await; // teacher of the school
    let student = app.create_user("student@example.org").await; // student of the class
    let classmate = app.create_user("classmate@example.org").await; // student of the class
    let scientist = app.create_user("scientist@example.org").await; // teacher of the dept
    let artist = app.create_user("artist@example.org").await; // teacher of the other dept
    let stranger = app.create_user("stranger@example.org").await; // elsewhere
    let loner = app.create_user("loner@example.org").await; // no group at all
    add_group_member(&app, head.id, school, Teacher).await;
    add_group_member(&app, student.id, class, Student).await;
    add_group_member(&app, classmate.id, class, Student).await;
    add_group_member(&app, scientist.id, dept, Teacher).await;
    add_group_member(&app, artist.id, other_dept, Teacher).await;
    add_group_member(&app, stranger.id, elsewhere, Student).await;
    let everyone = [
        app.admin.id,
        head.id,
        student.id,
        classmate.id,
        scientist.id,
        artist.id,
        stranger.id,
        loner.id,
    ];

    // The head's school contains every other group of the tree.
    assert_lists(
        &app,
        &head,
        &everyone,
        ids(&[&head, &student, &classmate, &scientist, &artist]),
    )
    .await;
    // The student sees their class and, through its ancestors, the dept and school teachers.
    assert_lists(
        &app,
        &student,
        &everyone,
        ids(&[&student, &classmate, &scientist, &head]),
    )
    .await;
    assert_lists(
        &app,
        &scientist,
        &everyone,
        ids(&[&scientist, &student, &classmate, &head]),
    )
    .await;
    // The artist's department is a sibling of the class's: only the school is shared.
    assert_lists(&app, &artist, &everyone, ids(&[&artist, &head])).await;
    assert_lists(&app, &stranger, &everyone, ids(&[&stranger])).await;
    assert_lists(&app, &loner, &everyone, ids(&[&loner])).await;
}

async fn sharing_a_project_makes_users_visible(db: &TestDb) {
    use entity::roles::ProjectRole::{Admin, Member};
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "Company", None).await;
    let apollo = create_project(&app, group, "apollo").await;
    let gemini = create_project(&app, group, "gemini").await;
    let lead = app.create_user("lead@example.org").await;
    let dev = app.create_user("dev@example.org").await;
    let other = app.create_user("other@example.org").await;
    let outsider = app.create_user("outsider@example.org").await;
    add_project_member(&app, apollo, lead.id, Admin).await;
    add_project_member(&app, apollo, dev.id, Member).await;
    add_project_member(&app, gemini, dev.id, Admin).await;
    add_project_member(&app, gemini, other.id, Member).await;
    let everyone = [app.admin.id, lead.id, dev.id, other.id, outsider.id];

    assert_lists(&app, &lead, &everyone, ids(&[&lead, &dev])).await;
    assert_lists(&app, &dev, &everyone, ids(&[&lead, &dev, &other])).await;
    assert_lists(&app, &other, &everyone, ids(&[&dev, &other])).await;
    assert_lists(&app, &outsider, &everyone, ids(&[&outsider])).await;
}

/// System admins and group admins (of any group) manage users, so they list everyone.
async fn admins_list_everyone(db: &TestDb) {
    let app = spawn_app(db).await;
    let club = app.create_group(&app.admin, "Club", None).await;
    let keeper = app.create_user("keeper@example.org").await;
    add_group_member(&app, keeper.id, club, entity::roles::MemberRole::GroupAdmin).await;
    let stranger = app.create_user("stranger@example.org").await;
    let loner = app.create_user("loner@example.org").await;
    let everyone = [app.admin.id, keeper.id, stranger.id, loner.id];
    assert_lists(&app, &keeper, &everyone, everyone).await;
    assert_lists(&app, &app.admin, &everyone, everyone).await;
    assert_lists(&app, &stranger, &everyone, [stranger.id]).await;
}

// ---------------------------------------------------------------------------------------------
// Listing: filters, pagination, bad parameters
// ---------------------------------------------------------------------------------------------

async fn filters_match_email_exactly_and_text_ignoring_case(db: &TestDb) {
    let app = spawn_app(db).await;
    let ada = app
        .create_user_as(&app.admin, "ada@example.org", "Ada Lovelace")
        .await;
    let grace = app
        .create_user_as(&app.admin, "grace@navy.example", "Grace HOPPER")
        .await;
    let percent = app
        .create_user_as(&app.admin, "p@example.org", "100% sure")
        .await;
    let hundred = app
        .create_user_as(&app.admin, "h@example.org", "100 percent")
        .await;
    let under = app
        .create_user_as(&app.admin, "a_b@example.org", "Under Score")
        .await;
    let axb = app
        .create_user_as(&app.admin, "axb@example.org", "Ex")
        .await;
    let slash = app
        .create_user_as(&app.admin, "s@example.org", "back\\slash")
        .await;

    let filtered = async |user: &TestUser, filters: &str| -> Vec<Uuid> {
        list_all(&app, user, filters, 500).await
    };
    let admin = &app.admin;
    assert_eq!(
        filtered(
            admin,
            &format!("email={}", percent_encode(" ADA@Example.org "))
        )
        .await,
        [ada.id]
    );
    assert_eq!(
        filtered(admin, "email=ada%40example.com").await,
        Vec::<Uuid>::new()
    );
    // `q` looks in the email and the display name, ignoring case.
    assert_eq!(filtered(admin, "q=hopper").await, [grace.id]);
    assert_eq!(filtered(admin, "q=NAVY").await, [grace.id]);
    assert_eq!(filtered(admin, "q=lovelace").await, [ada.id]);
    // Wildcards match themselves.
    assert_eq!(
        filtered(admin, &format!("q={}", percent_encode("%"))).await,
        [percent.id]
    );
    assert_eq!(filtered(admin, "q=100").await, [percent.id, hundred.id]);
    assert_eq!(
        filtered(admin, &format!("q={}", percent_encode("a_b"))).await,
        [under.id]
    );
    assert_eq!(filtered(admin, "q=_").await, [under.id]);
    assert_eq!(
        filtered(admin, &format!("q={}", percent_encode("\\"))).await,
        [slash.id]
    );
    assert_eq!(filtered(admin, "q=axb").await, [axb.id]);
    // Both filters together, and an empty `q` (no filter).
    assert_eq!(
        filtered(admin, "q=ada&email=ada%40example.org").await,
        [ada.id]
    );
    assert_eq!(
        filtered(admin, "q=grace&email=ada%40example.org").await,
        Vec::<Uuid>::new()
    );
    assert_eq!(filtered(admin, "q=").await.len(), 8);
    // Filters never widen what a caller may see.
    assert_eq!(filtered(&ada, "q=grace").await, Vec::<Uuid>::new());
    assert_eq!(
        filtered(&ada, "email=grace%40navy.example").await,
        Vec::<Uuid>::new()
    );
    assert_eq!(filtered(&ada, "q=LOVE").await, [ada.id]);
}

/// ~120 users, walked 7 at a time: every user exactly once, in id order — for a system admin
/// and for a teacher who sees only half of them.
async fn pagination_walks_every_visible_user_once(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "Big", None).await;
    let teacher = app.create_user("teacher@example.org").await;
    add_group_member(&app, teacher.id, group, entity::roles::MemberRole::Teacher).await;
    let mut all = vec![app.admin.id, teacher.id];
    let mut members = vec![teacher.id];
    for batch in 0..12 {
        let emails: Vec<String> = (0..10)
            .map(|i| format!("user{batch}-{i}@example.org"))
            .collect();
        let created =
            futures_util::future::join_all(emails.iter().map(|email| app.create_user(email))).await;
        for (i, user) in created.into_iter().enumerate() {
            all.push(user.id);
            if i % 2 == 0 {
                add_group_member(&app, user.id, group, entity::roles::MemberRole::Student).await;
                members.push(user.id);
            }
        }
    }
    all.sort();
    members.sort();

    let walked = list_all(&app, &app.admin, "", 7).await;
    assert_eq!(walked, all);
    let walked = list_all(&app, &teacher, "", 7).await;
    assert_eq!(walked, members);
    // A page size that divides the list exactly still ends with a null cursor.
    let walked = list_all(&app, &teacher, "", members.len()).await;
    assert_eq!(walked, members);
    // The default page is 50.
    let page = expect_status(get_list(&app, &app.admin, "").await, 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    assert!(page["next_cursor"].is_string());
}

async fn bad_list_parameters_are_named(db: &TestDb) {
    let app = spawn_app(db).await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("cursor=%21%21", "cursor"),
        // A well-formed cursor of another kind of list (a path, not an id).
        ("cursor=YS5i", "cursor"),
        ("email=not-an-email", "email"),
        ("emial=ada%40example.org", "emial"),
    ];
    for (query, field) in cases {
        let body = expect_problem(
            get_list(&app, &app.admin, query).await,
            400,
            "validation_failed",
        )
        .await;
        let fields: Vec<&str> = strs(&body["errors"], "field");
        assert_eq!(fields, [field], "{query}: {body}");
    }
    let long = "x".repeat(255);
    let body = expect_problem(
        get_list(&app, &app.admin, &format!("q={long}")).await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "q", "{body}");
    // Every bad parameter at once is named at once.
    let body = expect_problem(
        get_list(&app, &app.admin, "limit=0&email=x").await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
}

// ---------------------------------------------------------------------------------------------
// PATCH
// ---------------------------------------------------------------------------------------------

async fn users_change_their_own_display_name_only(db: &TestDb) {
    let app = spawn_app(db).await;
    let ada = app
        .create_user_as(&app.admin, "ada@example.org", "Ada")
        .await;
    let before = app.get_ok(&ada, &format!("/v1/users/{}", ada.id)).await;

    let after = expect_status(
        patch(&app, &ada, ada.id, json!({ "display_name": "  Ada King " })).await,
        200,
    )
    .await;
    assert_eq!(after["display_name"], "Ada King");
    assert_eq!(after["email"], "ada@example.org");
    assert_eq!(after["created_at"], before["created_at"]);
    let updated = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["updated_at"].as_str().unwrap()).unwrap()
    };
    assert!(updated(&after) > updated(&before), "{before} → {after}");

    let events = app.audit_events("user.update").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(ada.id));
    assert_eq!(events[0].resource_type, "user");
    assert_eq!(events[0].resource_id, Some(ada.id));
    assert_eq!(events[0].details["before"]["display_name"], "Ada");
    assert_eq!(events[0].details["after"]["display_name"], "Ada King");

    // Their email is not theirs to change…
    expect_problem(
        patch(
            &app,
            &ada,
            ada.id,
            json!({ "email": "countess@example.org" }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        patch(
            &app,
            &ada,
            ada.id,
            json!({ "email": "countess@example.org", "display_name": "Countess" }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // …but naming the one they have (in any case) changes nothing.
    let same = expect_status(
        patch(&app, &ada, ada.id, json!({ "email": "ADA@example.org" })).await,
        200,
    )
    .await;
    assert_eq!(same, after);
    // Nothing of the refused or empty requests was stored or audited.
    expect_status(patch(&app, &ada, ada.id, json!({})).await, 200).await;
    assert_eq!(app.audit_count("user.update").await, 1);
    let stored = entity::users::Entity::find_by_id(ada.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.email.as_deref(), Some("ada@example.org"));
    assert_eq!(stored.display_name, "Ada King");
}

async fn only_system_admins_change_other_users(db: &TestDb) {
    use entity::roles::MemberRole::{GroupAdmin, Student};
    let app = spawn_app(db).await;
    let club = app.create_group(&app.admin, "Club", None).await;
    let ada = app
        .create_user_as(&app.admin, "ada@example.org", "Ada")
        .await;
    let classmate = app.create_user("classmate@example.org").await;
    let keeper = app.create_user("keeper@example.org").await;
    let stranger = app.create_user("stranger@example.org").await;
    app.create_user("grace@example.org").await;
    add_group_member(&app, ada.id, club, Student).await;
    add_group_member(&app, classmate.id, club, Student).await;
    add_group_member(&app, keeper.id, club, GroupAdmin).await;
    let rename = json!({ "display_name": "Hacked" });

    // Invisible → 404; visible but not theirs to change → 403 (group admins included).
    expect_problem(
        patch(&app, &stranger, ada.id, rename.clone()).await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        patch(&app, &classmate, ada.id, rename.clone()).await,
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        patch(&app, &keeper, ada.id, rename.clone()).await,
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        patch(&app, &app.admin, Uuid::now_v7(), rename.clone()).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.audit_count("user.update").await, 0);

    // A system admin changes both; the email is stored lower-case.
    let changed = expect_status(
        patch(
            &app,
            &app.admin,
            ada.id,
            json!({ "email": " Countess@Example.ORG ", "display_name": "Countess" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["email"], "countess@example.org");
    assert_eq!(changed["display_name"], "Countess");
    let events = app.audit_events("user.update").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(app.admin.id));
    assert_eq!(events[0].details["before"]["email"], "ada@example.org");
    assert_eq!(events[0].details["after"]["email"], "countess@example.org");

    // Another user's address, in any case → 409.
    expect_problem(
        patch(
            &app,
            &app.admin,
            ada.id,
            json!({ "email": "GRACE@example.org" }),
        )
        .await,
        409,
        "email_taken",
    )
    .await;
    // The same values again: 200, unchanged, no event.
    let again = expect_status(
        patch(
            &app,
            &app.admin,
            ada.id,
            json!({ "email": "countess@example.org", "display_name": "Countess" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again, changed);
    assert_eq!(app.audit_count("user.update").await, 1);
}

async fn bad_patch_bodies_are_named(db: &TestDb) {
    let app = spawn_app(db).await;
    let ada = app.create_user("ada@example.org").await;
    let cases = [
        (json!({ "display_name": null }), vec!["display_name"]),
        (json!({ "email": null }), vec!["email"]),
        (json!({ "display_name": "   " }), vec!["display_name"]),
        (json!({ "email": "nope" }), vec!["email"]),
        (
            json!({ "email": "nope", "display_name": "" }),
            vec!["email", "display_name"],
        ),
        (json!({ "role": "admin" }), vec!["role"]),
        (json!({ "display_name": 7 }), vec!["display_name"]),
    ];
    for (body, fields) in cases {
        let problem = expect_problem(
            patch(&app, &app.admin, ada.id, body.clone()).await,
            400,
            "validation_failed",
        )
        .await;
        let named: Vec<&str> = strs(&problem["errors"], "field");
        assert_eq!(named, fields, "{body}: {problem}");
    }
    let problem = app
        .refused(
            &app.admin,
            Method::PATCH,
            "/v1/users/not-a-uuid",
            Some(&json!({})),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "id");
    assert_eq!(app.audit_count("user.update").await, 0);
}

// ---------------------------------------------------------------------------------------------
// DELETE
// ---------------------------------------------------------------------------------------------

async fn only_system_admins_delete_users(db: &TestDb) {
    let app = spawn_app(db).await;
    let club = app.create_group(&app.admin, "Club", None).await;
    let ada = app.create_user("ada@example.org").await;
    let classmate = app.create_user("classmate@example.org").await;
    let keeper = app.create_user("keeper@example.org").await;
    let stranger = app.create_user("stranger@example.org").await;
    add_group_member(&app, ada.id, club, entity::roles::MemberRole::Student).await;
    add_group_member(&app, classmate.id, club, entity::roles::MemberRole::Student).await;
    add_group_member(&app, keeper.id, club, entity::roles::MemberRole::GroupAdmin).await;

    expect_problem(delete(&app, &stranger, ada.id).await, 404, "not_found").await;
    expect_problem(delete(&app, &classmate, ada.id).await, 403, "forbidden").await;
    expect_problem(delete(&app, &keeper, ada.id).await, 403, "forbidden").await;
    expect_problem(delete(&app, &ada, ada.id).await, 403, "forbidden").await;
    expect_problem(
        delete(&app, &app.admin, Uuid::now_v7()).await,
        404,
        "not_found",
    )
    .await;
    app.refused(
        &app.admin,
        Method::DELETE,
        "/v1/users/42",
        None,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(app.audit_count("user.delete").await, 0);
    app.get_ok(&ada, "/v1/me").await;
}

/// A normal deletion: 204, the memberships go with the user, the user's token stops working,
/// and one event records what was removed.
async fn deleting_a_user_removes_them_and_their_memberships(db: &TestDb) {
    use entity::roles::ProjectRole::{Admin, Member};
    let app = spawn_app(db).await;
    let club = app.create_group(&app.admin, "Club", None).await;
    let apollo = create_project(&app, club, "apollo").await;
    let gemini = create_project(&app, club, "gemini").await;
    let lead = app.create_user("lead@example.org").await;
    let ada = app
        .create_user_as(&app.admin, "ada@example.org", "Ada")
        .await;
    add_group_member(&app, ada.id, club, entity::roles::MemberRole::Teacher).await;
    add_project_member(&app, apollo, lead.id, Admin).await;
    add_project_member(&app, gemini, lead.id, Admin).await;
    add_project_member(&app, apollo, ada.id, Member).await;
    add_project_member(&app, gemini, ada.id, Member).await;
    app.get_ok(&ada, "/v1/me").await;

    let response = delete(&app, &app.admin, ada.id).await;
    assert_eq!(response.status().as_u16(), 204);
    assert!(response.text().await.unwrap().is_empty());

    app.get_refused(&ada, "/v1/me", 401, "unauthenticated")
        .await;
    app.get_refused(
        &app.admin,
        &format!("/v1/users/{}", ada.id),
        404,
        "not_found",
    )
    .await;
    expect_problem(delete(&app, &app.admin, ada.id).await, 404, "not_found").await;
    assert!(!listed(&app, &app.admin).await.contains(&ada.id));
    let left = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::UserId.eq(ada.id))
        .count(&app.db)
        .await
        .unwrap()
        + entity::group_members::Entity::find()
            .filter(entity::group_members::Column::UserId.eq(ada.id))
            .count(&app.db)
            .await
            .unwrap();
    assert_eq!(left, 0);

    let events = app.audit_events("user.delete").await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.actor_id, Some(app.admin.id));
    assert_eq!(event.resource_type, "user");
    assert_eq!(event.resource_id, Some(ada.id));
    assert_eq!(event.details["before"]["email"], "ada@example.org");
    assert_eq!(event.details["before"]["display_name"], "Ada");
    assert_eq!(event.details["after"], Value::Null);
    assert_eq!(event.details["removed"]["group_memberships"], 1);
    assert_eq!(event.details["removed"]["project_memberships"], 2);
    assert_eq!(event.details["removed"]["squad_memberships"], 0);
    let mut projects: Vec<&str> = event.details["removed"]["project_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    projects.sort();
    let mut expected = vec![apollo.to_string(), gemini.to_string()];
    expected.sort();
    assert_eq!(projects, expected);
}

async fn the_last_admin_of_a_project_is_not_deleted(db: &TestDb) {
    use entity::roles::ProjectRole::{Admin, Member, Pm};
    let app = spawn_app(db).await;
    let club = app.create_group(&app.admin, "Club", None).await;
    let apollo = create_project(&app, club, "apollo").await;
    let gemini = create_project(&app, club, "gemini").await;
    let lead = app.create_user("lead@example.org").await;
    let pm = app.create_user("pm@example.org").await;
    let second = app.create_user("second@example.org").await;
    add_project_member(&app, apollo, lead.id, Admin).await;
    add_project_member(&app, apollo, pm.id, Pm).await;
    add_project_member(&app, gemini, lead.id, Admin).await;
    add_project_member(&app, gemini, second.id, Admin).await;

    // Sole admin of apollo (a pm is not an admin), co-admin of gemini.
    expect_problem(delete(&app, &app.admin, lead.id).await, 409, "last_admin").await;
    assert_eq!(app.audit_count("user.delete").await, 0);
    // Nothing was removed by the refused request.
    let memberships = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::UserId.eq(lead.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(memberships, 2);

    add_project_member(&app, apollo, second.id, Member).await;
    expect_problem(delete(&app, &app.admin, lead.id).await, 409, "last_admin").await;
    // A second admin in apollo: now the lead may go.
    let membership = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(apollo))
        .filter(entity::project_members::Column::UserId.eq(second.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut promoted: entity::project_members::ActiveModel = membership.into();
    promoted.role = Set(Admin);
    promoted.update(&app.db).await.unwrap();
    expect_status(delete(&app, &app.admin, lead.id).await, 204).await;
    // And now `second` is the last admin of both.
    expect_problem(delete(&app, &app.admin, second.id).await, 409, "last_admin").await;
    assert_eq!(app.audit_count("user.delete").await, 1);
}

async fn the_last_system_admin_is_not_deleted(db: &TestDb) {
    let app = spawn_app(db).await;
    // The only system admin, deleting themselves.
    expect_problem(
        delete(&app, &app.admin, app.admin.id).await,
        409,
        "last_system_admin",
    )
    .await;

    // A second system admin, whose membership is in another group than the first's.
    let other_root = app.create_group(&app.admin, "Other", None).await;
    let deputy = app.create_user("deputy@example.org").await;
    add_group_member(
        &app,
        deputy.id,
        other_root,
        entity::roles::MemberRole::SystemAdmin,
    )
    .await;
    // Also a member of the first admin's group: distinct users count, not rows.
    add_group_member(
        &app,
        deputy.id,
        app.organisation().await,
        entity::roles::MemberRole::SystemAdmin,
    )
    .await;

    // With two, the first may delete themselves (the same rules as for anyone).
    expect_status(delete(&app, &app.admin, app.admin.id).await, 204).await;
    app.get_refused(&app.admin, "/v1/me", 401, "unauthenticated")
        .await;
    // The deputy is now the last one.
    expect_problem(
        delete(&app, &deputy, deputy.id).await,
        409,
        "last_system_admin",
    )
    .await;
    let remaining = roster_server::auth::count_system_admins(&app.db)
        .await
        .unwrap();
    assert_eq!(remaining, 1);
    let events = app.audit_events("user.delete").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(app.admin.id));
    assert_eq!(events[0].resource_id, Some(app.admin.id));
    assert_eq!(events[0].details["removed"]["group_memberships"], 1);
}

/// Two system admins deleting each other at the same moment: one wins, the other is refused,
/// and a system admin always remains — the check runs under the system-admin lock. Each round
/// pits the survivor of the last one against a new deputy.
async fn concurrent_deletions_keep_a_system_admin(db: &TestDb) {
    let app = spawn_app(db).await;
    let org = app.organisation().await;
    let mut survivor = app.admin.clone();
    for round in 0..4 {
        let email = format!("deputy{round}@example.org");
        let deputy = app.create_user_as(&survivor, &email, &email).await;
        add_group_member(&app, deputy.id, org, entity::roles::MemberRole::SystemAdmin).await;
        let (first, second) = tokio::join!(
            delete(&app, &survivor, deputy.id),
            delete(&app, &deputy, survivor.id)
        );
        let statuses = [first.status().as_u16(), second.status().as_u16()];
        let remaining = roster_server::auth::count_system_admins(&app.db)
            .await
            .unwrap();
        assert_eq!(remaining, 1, "round {round}: {statuses:?}");
        assert_eq!(
            statuses.iter().filter(|s| **s == 204).count(),
            1,
            "round {round}: {statuses:?}"
        );
        // The loser's request ran before or after the winner's commit: refused by the rule
        // (409), or no longer a visible user / an existing caller (404 / 401).
        assert!(
            statuses.iter().all(|s| [204, 401, 404, 409].contains(s)),
            "round {round}: {statuses:?}"
        );
        if statuses[1] == 204 {
            survivor = deputy;
        }
    }
}

/// A user made through `/v1` is named by their email (SCIM `userName`), and follows it while
/// named by it; an email that is another user's name is taken.
async fn user_names_follow_the_email(db: &TestDb) {
    let app = spawn_app(db).await;
    let stored = async |id: Uuid| {
        entity::users::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .expect("read")
            .expect("the user")
    };
    let ann = app.create_user("ann@example.org").await;
    let made = stored(ann.id).await;
    assert_eq!(
        (made.user_name.as_str(), made.active),
        ("ann@example.org", true)
    );

    let moved = json!({ "email": "ann.new@example.org" });
    expect_status(patch(&app, &app.admin, ann.id, moved).await, 200).await;
    assert_eq!(stored(ann.id).await.user_name, "ann.new@example.org");

    // Named otherwise (as an identity provider may name her), she keeps that name.
    let mut renamed: entity::users::ActiveModel = stored(ann.id).await.into();
    renamed.user_name = Set("Ann.Smith".to_owned());
    renamed.update(&app.db).await.expect("rename");
    let moved_again = json!({ "email": "ann.third@example.org" });
    expect_status(patch(&app, &app.admin, ann.id, moved_again).await, 200).await;
    assert_eq!(stored(ann.id).await.user_name, "Ann.Smith");

    // Her name, as an email in any case of its letters, is taken.
    let taken = json!({ "email": "ann.smith@example.org", "display_name": "Another Ann" });
    let mut renamed: entity::users::ActiveModel = stored(ann.id).await.into();
    renamed.user_name = Set("Ann.Smith@Example.org".to_owned());
    renamed.update(&app.db).await.expect("rename");
    expect_problem(
        app.post(&app.admin, "/v1/users", &taken).await,
        409,
        "email_taken",
    )
    .await;
}

both_backends!(
    user_names_follow_the_email,
    a_plain_user_lists_only_themselves,
    sharing_a_group_or_an_ancestor_makes_users_visible,
    sharing_a_project_makes_users_visible,
    admins_list_everyone,
    filters_match_email_exactly_and_text_ignoring_case,
    pagination_walks_every_visible_user_once,
    bad_list_parameters_are_named,
    users_change_their_own_display_name_only,
    only_system_admins_change_other_users,
    bad_patch_bodies_are_named,
    only_system_admins_delete_users,
    deleting_a_user_removes_them_and_their_memberships,
    the_last_admin_of_a_project_is_not_deleted,
    the_last_system_admin_is_not_deleted,
    concurrent_deletions_keep_a_system_admin,
);
