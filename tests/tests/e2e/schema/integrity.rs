//! The database itself keeps the invariants, even for SQL written by hand: squad nesting, squad
//! membership, one role per user per group or project, unique slugs and names; and deletions
//! cascade, set null or leave history alone as the spec says.
//!
//! Setup goes through the entities; every statement that must be refused is raw SQL.

use entity::roles::{MemberRole, ProjectRole};
use entity::{audit_events, group_members, project_members, squad_members, squads, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use serde_json::json;
use tests::both_backends;
use tests::db::{Backend, TestDb};
use uuid::Uuid;

use super::support::{self, Refusal, assert_refused, exec, label, ltree_param, now};

/// Inserts a squad by hand with the given depth columns.
async fn insert_squad(
    conn: &DatabaseConnection,
    project_id: Uuid,
    parent_id: Option<Uuid>,
    parent_depth: Option<i16>,
    depth: i16,
    name: &str,
) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
    exec(
        conn,
        "INSERT INTO squads (id, project_id, parent_id, parent_depth, name, depth, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            Uuid::now_v7().into(),
            project_id.into(),
            parent_id.into(),
            parent_depth.into(),
            name.into(),
            depth.into(),
            now().into(),
            now().into(),
        ],
    )
    .await
}

/// Moves a squad by hand: under `parent` (as a sub-squad) or to the top level.
async fn move_squad(
    conn: &DatabaseConnection,
    id: Uuid,
    parent: Option<Uuid>,
) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
    let (parent_depth, depth) = match parent {
        Some(_) => (Some(0_i16), 1_i16),
        None => (None, 0),
    };
    exec(
        conn,
        "UPDATE squads SET parent_id = $1, parent_depth = $2, depth = $3 WHERE id = $4",
        [parent.into(), parent_depth.into(), depth.into(), id.into()],
    )
    .await
}

/// Seed 004: "squad nesting limited to one level" — a sub-sub-squad is refused whatever its
/// depth columns claim; a sub-squad of a top-level squad is fine.
async fn sub_sub_squad_refused(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    let top = support::squad(&conn, &project, None, "Top").await;
    let sub = support::squad(&conn, &project, Some(&top), "Sub").await;
    assert_eq!(
        i16::from(domain::MAX_SQUAD_DEPTH),
        sub.depth,
        "the database's limit is the domain's"
    );

    // Honest depth columns: depth 2 under a depth-1 parent — the CHECK allows no depth 2.
    let honest = insert_squad(&conn, project.id, Some(sub.id), Some(1), 2, "Deep").await;
    assert_refused(db.backend, honest, Refusal::Check("ck_squads_depth"));
    // Lying depth columns: "a sub-squad of a top-level squad" — no top-level squad has that id.
    let lying = insert_squad(&conn, project.id, Some(sub.id), Some(0), 1, "Deep").await;
    assert_refused(db.backend, lying, Refusal::ForeignKey("fk_squads_parent"));
    // Mixed claims are caught by the CHECK.
    let mixed = insert_squad(&conn, project.id, Some(sub.id), Some(1), 1, "Deep").await;
    assert_refused(db.backend, mixed, Refusal::Check("ck_squads_depth"));
    let rootless = insert_squad(&conn, project.id, None, None, 1, "Floating").await;
    assert_refused(db.backend, rootless, Refusal::Check("ck_squads_depth"));

    insert_squad(&conn, project.id, Some(top.id), Some(0), 1, "Second sub")
        .await
        .expect("a second sub-squad of a top-level squad");
    assert_eq!(squads::Entity::find().count(&conn).await.expect("count"), 3);
}

/// A sub-squad's parent must be in the same project.
async fn sub_squad_parent_in_other_project_refused(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let (p1, p2) = (
        support::project(&conn, &group, "p1").await,
        support::project(&conn, &group, "p2").await,
    );
    let top_in_p1 = support::squad(&conn, &p1, None, "Top").await;
    let result = insert_squad(&conn, p2.id, Some(top_in_p1.id), Some(0), 1, "Stray").await;
    assert_refused(db.backend, result, Refusal::ForeignKey("fk_squads_parent"));

    // Nor can an existing sub-squad be moved to another project's squad.
    let top_in_p2 = support::squad(&conn, &p2, None, "Other top").await;
    let sub = support::squad(&conn, &p2, Some(&top_in_p2), "Sub").await;
    let result = move_squad(&conn, sub.id, Some(top_in_p1.id)).await;
    assert_refused(db.backend, result, Refusal::ForeignKey("fk_squads_parent"));
}

/// A squad that has sub-squads cannot become a sub-squad; without them it can, and a sub-squad
/// can become top-level.
async fn moving_squad_with_children_refused(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    let a = support::squad(&conn, &project, None, "A").await;
    let a1 = support::squad(&conn, &project, Some(&a), "A1").await;
    let b = support::squad(&conn, &project, None, "B").await;
    let c = support::squad(&conn, &project, None, "C").await;

    // A has a child: its key (project, A, 0) is referenced and may not change.
    let result = move_squad(&conn, a.id, Some(b.id)).await;
    assert_refused(db.backend, result, Refusal::ForeignKey("fk_squads_parent"));
    // Setting only the parent (leaving depth 0) is caught by the CHECK.
    let half = exec(
        &conn,
        "UPDATE squads SET parent_id = $1 WHERE id = $2",
        [b.id.into(), a.id.into()],
    )
    .await;
    assert_refused(db.backend, half, Refusal::Check("ck_squads_depth"));
    // A squad cannot be its own parent.
    let own = move_squad(&conn, c.id, Some(c.id)).await;
    assert_refused(db.backend, own, Refusal::ForeignKey("fk_squads_parent"));

    // Without children a squad moves; a sub-squad moves to the top level.
    move_squad(&conn, c.id, Some(b.id))
        .await
        .expect("a childless squad moves under another");
    move_squad(&conn, a1.id, None)
        .await
        .expect("a sub-squad becomes top-level");
    move_squad(&conn, a.id, Some(b.id))
        .await
        .expect("A, now childless, moves under B");
    let moved = support::find::<squads::Entity>(&conn, a.id)
        .await
        .expect("A");
    assert_eq!(
        (moved.parent_id, moved.parent_depth, moved.depth),
        (Some(b.id), Some(0), 1)
    );
    // B now has children, so it cannot go under A1 either.
    let result = move_squad(&conn, b.id, Some(a1.id)).await;
    assert_refused(db.backend, result, Refusal::ForeignKey("fk_squads_parent"));
}

/// Deleting a squad deletes its sub-squads and their memberships.
async fn deleting_squad_deletes_sub_squads(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    let user = support::user(&conn).await;
    support::project_member(&conn, &project, &user, ProjectRole::Member, None).await;
    let top = support::squad(&conn, &project, None, "Top").await;
    let sub = support::squad(&conn, &project, Some(&top), "Sub").await;
    let other = support::squad(&conn, &project, None, "Other").await;
    support::squad_member(&conn, &sub, &user).await;
    support::squad_member(&conn, &other, &user).await;
    exec(&conn, "DELETE FROM squads WHERE id = $1", [top.id.into()])
        .await
        .expect("delete the top squad");
    let left: Vec<Uuid> = squads::Entity::find()
        .all(&conn)
        .await
        .expect("all")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left, [other.id]);
    let memberships = squad_members::Entity::find().all(&conn).await.expect("all");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].squad_id, other.id);
}

/// Squad names are unique among siblings and among a project's top-level squads.
async fn duplicate_squad_names_refused(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let (p1, p2) = (
        support::project(&conn, &group, "p1").await,
        support::project(&conn, &group, "p2").await,
    );
    let top = support::squad(&conn, &p1, None, "Core").await;
    support::squad(&conn, &p1, Some(&top), "Infra").await;

    let twin_top = insert_squad(&conn, p1.id, None, None, 0, "Core").await;
    assert_refused(
        db.backend,
        twin_top,
        Refusal::Unique("uq_squads_project_root_name"),
    );
    let twin_sub = insert_squad(&conn, p1.id, Some(top.id), Some(0), 1, "Infra").await;
    assert_refused(
        db.backend,
        twin_sub,
        Refusal::Unique("uq_squads_parent_name"),
    );

    // The same names elsewhere are fine: another project, another level, another parent.
    insert_squad(&conn, p2.id, None, None, 0, "Core")
        .await
        .expect("same name, other project");
    insert_squad(&conn, p1.id, Some(top.id), Some(0), 1, "Core")
        .await
        .expect("a child named like its parent");
    insert_squad(&conn, p1.id, None, None, 0, "Infra")
        .await
        .expect("top-level, named like a sub-squad");
}

/// A squad member must be a member of the squad's project — and the squad's project is the one
/// the row names.
async fn squad_member_must_be_project_member(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let (p1, p2) = (
        support::project(&conn, &group, "p1").await,
        support::project(&conn, &group, "p2").await,
    );
    let squad = support::squad(&conn, &p1, None, "S").await;
    let outsider = support::user(&conn).await;
    support::project_member(&conn, &p2, &outsider, ProjectRole::Member, None).await;
    let insert = async |squad_id: Uuid, project_id: Uuid, user_id: Uuid| {
        exec(
            &conn,
            "INSERT INTO squad_members (id, squad_id, project_id, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            [
                Uuid::now_v7().into(),
                squad_id.into(),
                project_id.into(),
                user_id.into(),
                now().into(),
            ],
        )
        .await
    };

    // Not a member of p1.
    let result = insert(squad.id, p1.id, outsider.id).await;
    assert_refused(
        db.backend,
        result,
        Refusal::ForeignKey("fk_squad_members_project_member"),
    );
    // Claiming the squad is in p2, where the user is a member: the squad is not.
    let result = insert(squad.id, p2.id, outsider.id).await;
    assert_refused(
        db.backend,
        result,
        Refusal::ForeignKey("fk_squad_members_squad"),
    );

    support::project_member(&conn, &p1, &outsider, ProjectRole::Member, None).await;
    insert(squad.id, p1.id, outsider.id)
        .await
        .expect("now a member of p1");
    let twice = insert(squad.id, p1.id, outsider.id).await;
    assert_refused(
        db.backend,
        twice,
        Refusal::Unique("uq_squad_members_squad_user"),
    );
}

/// One role per user per group, for hand-written SQL too.
async fn second_group_role_refused(db: &TestDb) {
    let conn = db.connect().await;
    let user = support::user(&conn).await;
    let group = support::group(&conn, None, "org").await;
    support::group_member(&conn, &user, &group, MemberRole::Student).await;
    let result = support::insert_group_role(&conn, user.id, group.id, "teacher").await;
    assert_refused(
        db.backend,
        result,
        Refusal::Unique("uq_group_members_user_group"),
    );
}

/// One role per user per project, for hand-written SQL too.
async fn second_project_role_refused(db: &TestDb) {
    let conn = db.connect().await;
    let user = support::user(&conn).await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    support::project_member(&conn, &project, &user, ProjectRole::Member, None).await;
    let id = Uuid::now_v7();
    let result = support::insert_project_role(&conn, id, project.id, user.id, "admin").await;
    assert_refused(
        db.backend,
        result,
        Refusal::Unique("uq_project_members_project_user"),
    );
}

/// Inserts a group by hand.
async fn insert_group(
    db: &TestDb,
    conn: &DatabaseConnection,
    parent: Option<&entity::groups::Model>,
    slug: &str,
    depth_override: Option<i16>,
) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
    let id = Uuid::now_v7();
    let (path, depth) = match parent {
        Some(parent) => (format!("{}.{}", parent.path, label(id)), parent.depth + 1),
        None => (label(id), 0),
    };
    exec(
        conn,
        &format!(
            "INSERT INTO groups (id, parent_id, name, slug, path, depth, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, {}, $6, $7, $8)",
            ltree_param(db.backend, 5)
        ),
        [
            id.into(),
            parent.map(|p| p.id).into(),
            slug.into(),
            slug.into(),
            path.into(),
            depth_override.unwrap_or(depth).into(),
            now().into(),
            now().into(),
        ],
    )
    .await
}

/// Two roots cannot share a slug (the partial index `uq_groups_root_slug`); a child may reuse a
/// root's slug.
async fn duplicate_root_slug_refused(db: &TestDb) {
    let conn = db.connect().await;
    let root = support::group(&conn, None, "acme").await;
    let result = insert_group(db, &conn, None, "acme", None).await;
    assert_refused(db.backend, result, Refusal::Unique("uq_groups_root_slug"));
    insert_group(db, &conn, Some(&root), "acme", None)
        .await
        .expect("a child named like a root");
    insert_group(db, &conn, None, "globex", None)
        .await
        .expect("another root");
}

/// Siblings cannot share a slug; cousins can.
async fn duplicate_sibling_slug_refused(db: &TestDb) {
    let conn = db.connect().await;
    let root = support::group(&conn, None, "school").await;
    let (a, b) = (
        support::group(&conn, Some(&root), "a").await,
        support::group(&conn, Some(&root), "b").await,
    );
    support::group(&conn, Some(&a), "class-1").await;
    let result = insert_group(db, &conn, Some(&a), "class-1", None).await;
    assert_refused(db.backend, result, Refusal::Unique("uq_groups_parent_slug"));
    insert_group(db, &conn, Some(&b), "class-1", None)
        .await
        .expect("a cousin with the same slug");
}

/// Depth runs from 0 to the domain's maximum (20), in the database too.
async fn group_depth_limited(db: &TestDb) {
    let conn = db.connect().await;
    let max = i16::from(domain::MAX_GROUP_DEPTH);
    let root = support::group(&conn, None, "root").await;
    // The CHECK looks at the depth column alone, so one parent serves for both probes.
    insert_group(db, &conn, Some(&root), "deepest", Some(max))
        .await
        .expect("depth 20 is allowed");
    let result = insert_group(db, &conn, Some(&root), "too-deep", Some(max + 1)).await;
    assert_refused(db.backend, result, Refusal::Check("ck_groups_depth"));
    let result = insert_group(db, &conn, None, "negative", Some(-1)).await;
    assert_refused(db.backend, result, Refusal::Check("ck_groups_depth"));
}

/// A user may have no email (an identity provider made them without one), any number of users
/// may not; and a user's manager must exist, and is forgotten when deleted.
async fn email_optional_and_manager_kept_consistent(db: &TestDb) {
    let conn = db.connect().await;
    let insert_nameless = async |user_name: &str, manager: Option<Uuid>| {
        exec(
            &conn,
            "INSERT INTO users (id, email, display_name, user_name, manager_id, created_at, \
             updated_at) VALUES ($1, NULL, 'Someone', $2, $3, $4, $5)",
            [
                Uuid::now_v7().into(),
                user_name.into(),
                manager.into(),
                now().into(),
                now().into(),
            ],
        )
        .await
    };
    insert_nameless("first", None).await.expect("no email");
    insert_nameless("second", None)
        .await
        .expect("no email again");
    assert_refused(
        db.backend,
        insert_nameless("third", Some(Uuid::now_v7())).await,
        Refusal::ForeignKey("fk_users_manager"),
    );
    let manager = support::user(&conn).await;
    insert_nameless("report", Some(manager.id))
        .await
        .expect("an existing manager");
    users::Entity::delete_by_id(manager.id)
        .exec(&conn)
        .await
        .expect("delete the manager");
    let report = users::Entity::find()
        .filter(users::Column::UserName.eq("report"))
        .one(&conn)
        .await
        .expect("read")
        .expect("the report is kept");
    assert_eq!(report.manager_id, None);
}

/// Emails are unique and stored lower-case, user names unique ignoring case; project slugs are
/// unique within their group.
async fn emails_user_names_and_project_slugs_unique(db: &TestDb) {
    let conn = db.connect().await;
    let insert_named = async |email: &str, user_name: &str| {
        exec(
            &conn,
            "INSERT INTO users (id, email, display_name, user_name, created_at, updated_at) \
             VALUES ($1, $2, 'Someone', $3, $4, $5)",
            [
                Uuid::now_v7().into(),
                email.into(),
                user_name.into(),
                now().into(),
                now().into(),
            ],
        )
        .await
    };
    let insert_user = async |email: &str| insert_named(email, email).await;
    insert_user("ada@example.test").await.expect("a new email");
    assert_refused(
        db.backend,
        insert_named("ada@example.test", "ada").await,
        Refusal::Unique("uq_users_email"),
    );
    assert_refused(
        db.backend,
        insert_user("Ada@Example.test").await,
        Refusal::Check("ck_users_email_lowercase"),
    );
    // User names are unique ignoring case, and kept as written.
    insert_named("bob@example.test", "Bob.Smith")
        .await
        .expect("a new user name");
    assert_refused(
        db.backend,
        insert_named("robert@example.test", "BOB.SMITH").await,
        Refusal::Unique("uq_users_user_name"),
    );

    let (g1, g2) = (
        support::group(&conn, None, "g1").await,
        support::group(&conn, None, "g2").await,
    );
    support::project(&conn, &g1, "apollo").await;
    let insert_project = async |group_id: Uuid| {
        exec(
            &conn,
            "INSERT INTO projects (id, group_id, name, slug, created_at, updated_at) \
             VALUES ($1, $2, 'Apollo', 'apollo', $3, $4)",
            [
                Uuid::now_v7().into(),
                group_id.into(),
                now().into(),
                now().into(),
            ],
        )
        .await
    };
    assert_refused(
        db.backend,
        insert_project(g1.id).await,
        Refusal::Unique("uq_projects_group_slug"),
    );
    insert_project(g2.id)
        .await
        .expect("the same slug in another group");
}

/// Nobody reports to themselves.
async fn nobody_reports_to_themselves(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    let user = support::user(&conn).await;
    let member = support::project_member(&conn, &project, &user, ProjectRole::Member, None).await;
    let result = exec(
        &conn,
        "UPDATE project_members SET reports_to = user_id WHERE id = $1",
        [member.id.into()],
    )
    .await;
    assert_refused(
        db.backend,
        result,
        Refusal::Check("ck_project_members_reports_to_not_self"),
    );
}

/// Deleting a user sets `reports_to` to null for those who reported to them (their memberships
/// stay), deletes the user's own memberships, and leaves the audit history intact.
async fn deleting_user_nulls_reports_to_and_keeps_audit(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    let (boss, worker, bystander) = (
        support::user(&conn).await,
        support::user(&conn).await,
        support::user(&conn).await,
    );
    support::group_member(&conn, &boss, &group, MemberRole::Teacher).await;
    let boss_membership =
        support::project_member(&conn, &project, &boss, ProjectRole::Pm, None).await;
    let explicit =
        support::project_member(&conn, &project, &worker, ProjectRole::Member, Some(boss.id)).await;
    let unrelated =
        support::project_member(&conn, &project, &bystander, ProjectRole::Member, None).await;
    let event = audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now()),
        actor_id: Set(Some(boss.id)),
        action: Set("user.update".to_owned()),
        resource_type: Set("user".to_owned()),
        resource_id: Set(Some(boss.id)),
        group_id: Set(Some(group.id)),
        project_id: Set(Some(project.id)),
        details: Set(json!({"after": {"display_name": "Boss"}})),
        created_at: Set(now()),
        revision: Set(1),
        access: Set(json!([])),
    }
    .insert(&conn)
    .await
    .expect("insert an audit event");

    exec(&conn, "DELETE FROM users WHERE id = $1", [boss.id.into()])
        .await
        .expect("delete the boss");

    let worker_now = support::find::<project_members::Entity>(&conn, explicit.id)
        .await
        .expect("the worker keeps their membership");
    assert_eq!(worker_now.reports_to, None);
    // The flag is the service's to recompute (in the same transaction): the database keeps it.
    assert!(worker_now.reports_to_explicit);
    let unrelated_now = support::find::<project_members::Entity>(&conn, unrelated.id).await;
    assert_eq!(unrelated_now, Some(unrelated));
    assert!(
        support::find::<project_members::Entity>(&conn, boss_membership.id)
            .await
            .is_none()
    );
    let boss_groups = group_members::Entity::find()
        .filter(group_members::Column::UserId.eq(boss.id))
        .count(&conn)
        .await
        .expect("count");
    assert_eq!(boss_groups, 0);
    assert_eq!(
        support::find::<audit_events::Entity>(&conn, event.id).await,
        Some(event)
    );
}

/// Deleting a project membership removes that user's squad memberships in the project — and
/// nobody else's, nor theirs in other projects.
async fn deleting_project_member_removes_squad_memberships(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let (p1, p2) = (
        support::project(&conn, &group, "p1").await,
        support::project(&conn, &group, "p2").await,
    );
    let (leaver, stayer) = (support::user(&conn).await, support::user(&conn).await);
    let top = support::squad(&conn, &p1, None, "Top").await;
    let sub = support::squad(&conn, &p1, Some(&top), "Sub").await;
    let elsewhere = support::squad(&conn, &p2, None, "Elsewhere").await;
    let leaving = support::project_member(&conn, &p1, &leaver, ProjectRole::Member, None).await;
    support::project_member(&conn, &p1, &stayer, ProjectRole::Member, None).await;
    support::project_member(&conn, &p2, &leaver, ProjectRole::Member, None).await;
    for squad in [&top, &sub] {
        support::squad_member(&conn, squad, &leaver).await;
        support::squad_member(&conn, squad, &stayer).await;
    }
    let kept = support::squad_member(&conn, &elsewhere, &leaver).await;

    exec(
        &conn,
        "DELETE FROM project_members WHERE id = $1",
        [leaving.id.into()],
    )
    .await
    .expect("the member leaves p1");

    let of_leaver = squad_members::Entity::find()
        .filter(squad_members::Column::UserId.eq(leaver.id))
        .all(&conn)
        .await
        .expect("all");
    assert_eq!(of_leaver, [kept]);
    let of_stayer = squad_members::Entity::find()
        .filter(squad_members::Column::UserId.eq(stayer.id))
        .count(&conn)
        .await
        .expect("count");
    assert_eq!(of_stayer, 2);
}

/// Deleting a group deletes its subtree with the projects, memberships and squads in it; the
/// users remain.
async fn deleting_group_cascades_through_everything_below(db: &TestDb) {
    let conn = db.connect().await;
    let root = support::group(&conn, None, "root").await;
    let child = support::group(&conn, Some(&root), "child").await;
    let survivor = support::group(&conn, None, "survivor").await;
    let user = support::user(&conn).await;
    support::group_member(&conn, &user, &child, MemberRole::Teacher).await;
    let project = support::project(&conn, &child, "p").await;
    support::project_member(&conn, &project, &user, ProjectRole::Admin, None).await;
    let squad = support::squad(&conn, &project, None, "S").await;
    support::squad_member(&conn, &squad, &user).await;
    support::project(&conn, &survivor, "kept").await;

    exec(&conn, "DELETE FROM groups WHERE id = $1", [root.id.into()])
        .await
        .expect("delete the root");

    for table in [
        "group_members",
        "project_members",
        "squads",
        "squad_members",
    ] {
        let n = support::count(&conn, &format!("SELECT COUNT(*) AS n FROM {table}"), []).await;
        assert_eq!(n, 0, "{table} is emptied by the cascade");
    }
    assert_eq!(
        support::count(&conn, "SELECT COUNT(*) AS n FROM groups", []).await,
        1
    );
    assert_eq!(
        support::count(&conn, "SELECT COUNT(*) AS n FROM projects", []).await,
        1
    );
    assert!(
        support::find::<users::Entity>(&conn, user.id)
            .await
            .is_some()
    );
}

/// Audit events have no foreign keys: they may name ids that do not (or no longer) exist.
async fn audit_events_reference_nothing(db: &TestDb) {
    let conn = db.connect().await;
    let ghost = Uuid::now_v7();
    exec(
        &conn,
        "INSERT INTO audit_events \
         (id, occurred_at, actor_id, action, resource_type, resource_id, group_id, project_id, details, created_at, revision) \
         VALUES ($1, $2, $3, 'group.delete', 'group', $4, $5, $6, '{}', $7, 1)",
        [
            Uuid::now_v7().into(),
            now().into(),
            ghost.into(),
            ghost.into(),
            ghost.into(),
            ghost.into(),
            now().into(),
        ],
    )
    .await
    .expect("an event about ids that do not exist");
    let foreign_keys = match db.backend {
        Backend::Postgres => {
            support::count(
                &conn,
                "SELECT COUNT(*) AS n FROM pg_constraint \
                 WHERE contype = 'f' AND conrelid = CAST('audit_events' AS regclass)",
                [],
            )
            .await
        }
        Backend::Sqlite => {
            support::count(
                &conn,
                "SELECT COUNT(*) AS n FROM pragma_foreign_key_list('audit_events')",
                [],
            )
            .await
        }
    };
    assert_eq!(foreign_keys, 0, "audit_events has no foreign keys");
}

both_backends!(
    sub_sub_squad_refused,
    sub_squad_parent_in_other_project_refused,
    moving_squad_with_children_refused,
    deleting_squad_deletes_sub_squads,
    duplicate_squad_names_refused,
    squad_member_must_be_project_member,
    second_group_role_refused,
    second_project_role_refused,
    duplicate_root_slug_refused,
    duplicate_sibling_slug_refused,
    group_depth_limited,
    emails_user_names_and_project_slugs_unique,
    email_optional_and_manager_kept_consistent,
    nobody_reports_to_themselves,
    deleting_user_nulls_reports_to_and_keeps_audit,
    deleting_project_member_removes_squad_memberships,
    deleting_group_cascades_through_everything_below,
    audit_events_reference_nothing,
);
