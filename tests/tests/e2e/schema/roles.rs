//! Role names agree across the domain crate, the entity enums and the database, in tier order;
//! and a user may hold a different role in each project, but only one per project.

use entity::roles::{MemberRole, ProjectRole};
use sea_orm::{ActiveEnum, Iterable};
use tests::both_backends;
use tests::db::{Backend, TestDb};
use uuid::Uuid;

use super::support::{self, Refusal, assert_refused, exec, pg_enum_values};

/// For each role table: the domain's names (strongest first), the entity enum's stored values,
/// and what the database accepts — PostgreSQL's enum type in the same order; on SQLite, every
/// domain name passes the CHECK and a bogus one does not.
async fn role_names_agree_across_layers(db: &TestDb) {
    let conn = db.connect().await;
    let domain_group: Vec<&str> = domain::GroupRole::ALL.iter().map(|r| r.as_str()).collect();
    let entity_group: Vec<String> = MemberRole::iter().map(|r| r.to_value()).collect();
    assert_eq!(entity_group, domain_group);
    let domain_project: Vec<&str> = domain::ProjectRole::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    let entity_project: Vec<String> = ProjectRole::iter().map(|r| r.to_value()).collect();
    assert_eq!(entity_project, domain_project);

    let user = support::user(&conn).await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    let insert_group_role =
        async |role: &str| support::insert_group_role(&conn, user.id, group.id, role).await;
    let insert_project_role = async |role: &str| {
        support::insert_project_role(&conn, Uuid::now_v7(), project.id, user.id, role).await
    };
    let clear = async || {
        exec(&conn, "DELETE FROM group_members", [])
            .await
            .expect("clear");
        exec(&conn, "DELETE FROM project_members", [])
            .await
            .expect("clear");
    };

    if db.backend == Backend::Postgres {
        assert_eq!(pg_enum_values(&conn, "member_role").await, domain_group);
        assert_eq!(pg_enum_values(&conn, "project_role").await, domain_project);
    }
    for role in &domain_group {
        insert_group_role(role)
            .await
            .unwrap_or_else(|e| panic!("{role} refused: {e}"));
        clear().await;
    }
    for role in &domain_project {
        insert_project_role(role)
            .await
            .unwrap_or_else(|e| panic!("{role} refused: {e}"));
        clear().await;
    }
    assert_refused(
        db.backend,
        insert_group_role("owner").await,
        Refusal::NotARole("ck_group_members_role"),
    );
    assert_refused(
        db.backend,
        insert_project_role("squad-lead").await,
        Refusal::NotARole("ck_project_members_role"),
    );
}

/// Seed 004: "predefined roles have correct tier hierarchy admin=0<pm=1<squad_lead=2<member=3".
/// The domain's tiers, the entity enum's order and PostgreSQL's enum order (by which it sorts
/// roles) are the same order; and the database's nesting limit is the domain's.
async fn project_roles_in_tier_order(db: &TestDb) {
    let conn = db.connect().await;
    let tiers: Vec<(&str, u8)> = domain::ProjectRole::ALL
        .iter()
        .map(|r| (r.as_str(), r.tier()))
        .collect();
    assert_eq!(
        tiers,
        [("admin", 0), ("pm", 1), ("squad_lead", 2), ("member", 3)]
    );
    let entity_order: Vec<String> = ProjectRole::iter().map(|r| r.to_value()).collect();
    assert_eq!(entity_order, ["admin", "pm", "squad_lead", "member"]);
    let group_tiers: Vec<(&str, u8)> = domain::GroupRole::ALL
        .iter()
        .map(|r| (r.as_str(), r.tier()))
        .collect();
    assert_eq!(
        group_tiers,
        [
            ("system_admin", 0),
            ("group_admin", 1),
            ("teacher", 2),
            ("student", 3)
        ]
    );

    if db.backend == Backend::Postgres {
        // Members inserted weakest first come back strongest first when ordered by role.
        let group = support::group(&conn, None, "org").await;
        let project = support::project(&conn, &group, "p").await;
        for role in [
            ProjectRole::Member,
            ProjectRole::SquadLead,
            ProjectRole::Pm,
            ProjectRole::Admin,
        ] {
            let user = support::user(&conn).await;
            support::project_member(&conn, &project, &user, role, None).await;
        }
        let sorted: Vec<String> = support::query(
            &conn,
            "SELECT role::text AS name FROM project_members ORDER BY project_members.role",
            [],
        )
        .await
        .iter()
        .map(|row| row.try_get("", "name").expect("role name"))
        .collect();
        assert_eq!(sorted, ["admin", "pm", "squad_lead", "member"]);
    }
}

/// Seed 004: "users can hold different roles per project" — one user is admin of one project
/// and member of another, and cannot hold a second role in either
/// (`uq_project_members_project_user`).
async fn users_hold_different_roles_per_project(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let (apollo, gemini) = (
        support::project(&conn, &group, "apollo").await,
        support::project(&conn, &group, "gemini").await,
    );
    let user = support::user(&conn).await;
    support::project_member(&conn, &apollo, &user, ProjectRole::Admin, None).await;
    support::project_member(&conn, &gemini, &user, ProjectRole::Member, None).await;
    let roles = support::query(
        &conn,
        "SELECT COUNT(DISTINCT role) AS n FROM project_members WHERE user_id = $1",
        [user.id.into()],
    )
    .await;
    assert_eq!(roles[0].try_get::<i64>("", "n").expect("n"), 2);

    let second =
        support::insert_project_role(&conn, Uuid::now_v7(), apollo.id, user.id, "pm").await;
    assert_refused(
        db.backend,
        second,
        Refusal::Unique("uq_project_members_project_user"),
    );
}

both_backends!(
    role_names_agree_across_layers,
    project_roles_in_tier_order,
    users_hold_different_roles_per_project,
);
