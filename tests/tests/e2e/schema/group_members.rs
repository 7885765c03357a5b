//! Seed 000 (E01-T006 "Create group_members schema"): acceptance criteria AC1–AC11, one test
//! each (AC7 and AC8 share one), on both backends.

use entity::roles::MemberRole;
use entity::{GroupMember, NewGroupMember, group_members, groups, users};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityName, EntityTrait, Iterable,
    ModelTrait, PaginatorTrait, QueryFilter,
};
use tests::both_backends;
use tests::db::{Backend, TestDb};
use uuid::Uuid;

use super::support::{
    self, ColumnInfo, Refusal, applied_versions, assert_refused, columns, index_named, now,
    pg_enum_values,
};

/// AC1: the table is defined in the entity crate (`entity::group_members`), and that definition
/// is the migrated table: the entity reads and writes it.
async fn ac01_table_defined_in_entity_crate(db: &TestDb) {
    let conn = db.connect().await;
    assert_eq!(group_members::Entity.table_name(), "group_members");
    assert!(
        super::support::tables(&conn)
            .await
            .contains(&"group_members".to_owned())
    );
    assert_eq!(
        group_members::Entity::find()
            .count(&conn)
            .await
            .expect("count"),
        0
    );
}

/// AC2: fields id (UUID), user_id, group_id, role, created_at, updated_at — in the database and
/// in the model.
async fn ac02_fields(db: &TestDb) {
    let conn = db.connect().await;
    let found = columns(&conn, "group_members").await;
    let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "id",
            "user_id",
            "group_id",
            "role",
            "created_at",
            "updated_at"
        ]
    );
    assert!(
        found.iter().all(|c| !c.nullable),
        "every field is required: {found:#?}"
    );
    let expected_types = match db.backend {
        Backend::Postgres => [
            "uuid",
            "uuid",
            "uuid",
            "member_role",
            "timestamptz",
            "timestamptz",
        ],
        // SeaORM's SQLite type names; the role column is text constrained by a CHECK.
        Backend::Sqlite => [
            "uuid_text",
            "uuid_text",
            "uuid_text",
            "enum_text",
            "timestamp_with_timezone_text",
            "timestamp_with_timezone_text",
        ],
    };
    let types: Vec<&str> = found
        .iter()
        .map(|c: &ColumnInfo| c.sql_type.as_str())
        .collect();
    assert_eq!(types, expected_types);

    // The model carries the same fields, typed.
    let user = support::user(&conn).await;
    let group = support::group(&conn, None, "org").await;
    let created = support::group_member(&conn, &user, &group, MemberRole::Teacher).await;
    let GroupMember {
        id,
        user_id,
        group_id,
        role,
        created_at,
        updated_at,
    } = support::find::<group_members::Entity>(&conn, created.id)
        .await
        .expect("the row");
    // The types are part of the criterion: UUID ids, UTC timestamps, the role enum.
    let _: (Uuid, Uuid, Uuid, MemberRole) = (id, user_id, group_id, role);
    let _: [chrono::DateTime<chrono::Utc>; 2] = [created_at, updated_at];
    assert_eq!(
        (id, user_id, group_id, role),
        (created.id, user.id, group.id, MemberRole::Teacher)
    );
    assert_eq!(
        (created_at, updated_at),
        (created.created_at, created.updated_at)
    );
}

/// AC3: deleting a user deletes their memberships (ON DELETE CASCADE), and no one else's.
async fn ac03_cascade_from_users(db: &TestDb) {
    let conn = db.connect().await;
    let (leaver, stayer) = (support::user(&conn).await, support::user(&conn).await);
    let (a, b) = (
        support::group(&conn, None, "a").await,
        support::group(&conn, None, "b").await,
    );
    for group in [&a, &b] {
        support::group_member(&conn, &leaver, group, MemberRole::Student).await;
        support::group_member(&conn, &stayer, group, MemberRole::Teacher).await;
    }
    users::Entity::delete_by_id(leaver.id)
        .exec(&conn)
        .await
        .expect("delete the user");
    let left = group_members::Entity::find()
        .filter(group_members::Column::UserId.eq(leaver.id))
        .count(&conn)
        .await
        .expect("count");
    assert_eq!(left, 0);
    assert_eq!(
        group_members::Entity::find()
            .count(&conn)
            .await
            .expect("count"),
        2
    );
}

/// AC4: deleting a group deletes its memberships, and through the parent foreign key those of
/// its subgroups; other groups keep theirs.
async fn ac04_cascade_from_groups(db: &TestDb) {
    let conn = db.connect().await;
    let user = support::user(&conn).await;
    let root = support::group(&conn, None, "root").await;
    let child = support::group(&conn, Some(&root), "child").await;
    let other = support::group(&conn, None, "other").await;
    for group in [&root, &child, &other] {
        support::group_member(&conn, &user, group, MemberRole::Teacher).await;
    }
    groups::Entity::delete_by_id(root.id)
        .exec(&conn)
        .await
        .expect("delete the group");
    let remaining = group_members::Entity::find().all(&conn).await.expect("all");
    assert_eq!(remaining.len(), 1);
    assert_eq!(remaining[0].group_id, other.id);
    assert!(
        support::find::<groups::Entity>(&conn, child.id)
            .await
            .is_none()
    );
    assert!(
        support::find::<users::Entity>(&conn, user.id)
            .await
            .is_some()
    );
}

/// AC5: the role is the `member_role` enum — system_admin, group_admin, teacher, student — and
/// the database refuses any other value.
async fn ac05_role_enum(db: &TestDb) {
    let conn = db.connect().await;
    let names: Vec<String> = MemberRole::iter().map(|role| role.to_value()).collect();
    assert_eq!(names, ["system_admin", "group_admin", "teacher", "student"]);
    if db.backend == Backend::Postgres {
        assert_eq!(pg_enum_values(&conn, "member_role").await, names);
    }

    let group = support::group(&conn, None, "org").await;
    for role in MemberRole::iter() {
        let user = support::user(&conn).await;
        let stored = support::group_member(&conn, &user, &group, role).await;
        let found = support::find::<group_members::Entity>(&conn, stored.id).await;
        assert_eq!(found.map(|m| m.role), Some(role));
    }

    let user = support::user(&conn).await;
    for bogus in ["superuser", "Teacher", "admin", ""] {
        let result = support::insert_group_role(&conn, user.id, group.id, bogus).await;
        assert_refused(
            db.backend,
            result,
            Refusal::NotARole("ck_group_members_role"),
        );
    }
}

/// AC6: one role per user per group — a second row for the same pair is refused by
/// `uq_group_members_user_group`; the same user elsewhere, or another user here, is fine.
async fn ac06_unique_user_group(db: &TestDb) {
    let conn = db.connect().await;
    let (user, other_user) = (support::user(&conn).await, support::user(&conn).await);
    let (group, other_group) = (
        support::group(&conn, None, "g").await,
        support::group(&conn, None, "h").await,
    );
    support::group_member(&conn, &user, &group, MemberRole::Student).await;
    let second = NewGroupMember {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        group_id: Set(group.id),
        role: Set(MemberRole::Teacher),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(&conn)
    .await;
    assert_refused(
        db.backend,
        second,
        Refusal::Unique("uq_group_members_user_group"),
    );
    support::group_member(&conn, &user, &other_group, MemberRole::Teacher).await;
    support::group_member(&conn, &other_user, &group, MemberRole::Teacher).await;
}

/// AC7 and AC8: an index on user_id ("get user's groups") and one on group_id ("get group's
/// members"), besides the unique pair.
async fn ac07_ac08_indexes(db: &TestDb) {
    let conn = db.connect().await;
    let by_user = index_named(&conn, "group_members", "ix_group_members_user_id").await;
    assert_eq!(by_user.columns, ["user_id"]);
    let by_group = index_named(&conn, "group_members", "ix_group_members_group_id").await;
    assert_eq!(by_group.columns, ["group_id"]);
    let pair = index_named(&conn, "group_members", "uq_group_members_user_group").await;
    assert_eq!(pair.columns, ["user_id", "group_id"]);
    assert!(pair.unique && !by_user.unique && !by_group.unique);
    // Subject lookups find the system admins through a partial index (m0009).
    let admins = index_named(&conn, "group_members", "ix_group_members_system_admins").await;
    assert_eq!(admins.columns, ["user_id"]);
    assert!(!admins.unique);
}

/// AC9: the crate exports `GroupMember` (a stored row) and `NewGroupMember` (one to insert).
async fn ac09_exported_types(db: &TestDb) {
    let conn = db.connect().await;
    let user = support::user(&conn).await;
    let group = support::group(&conn, None, "org").await;
    let new: NewGroupMember = NewGroupMember {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        group_id: Set(group.id),
        role: Set(MemberRole::GroupAdmin),
        created_at: Set(now()),
        updated_at: Set(now()),
    };
    let stored: GroupMember = new.insert(&conn).await.expect("insert a NewGroupMember");
    assert_eq!(stored.role, MemberRole::GroupAdmin);
    // The prelude offers them too.
    let _: Option<entity::prelude::GroupMember> = Some(stored);
}

/// AC10: the migration is `m0003_create_group_members` (seed 000's `0003_create_group_members`),
/// third in line, and recorded as applied.
async fn ac10_migration_applied(db: &TestDb) {
    let conn = db.connect().await;
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(names[2], "m0003_create_group_members");
    assert!(
        applied_versions(&conn)
            .await
            .contains(&"m0003_create_group_members".to_owned())
    );
}

/// AC11: relations live with users and groups (has many memberships) and a membership belongs
/// to both: find_related and find_also_related work in every direction.
async fn ac11_relations(db: &TestDb) {
    let conn = db.connect().await;
    let (ada, bob) = (support::user(&conn).await, support::user(&conn).await);
    let (school, club) = (
        support::group(&conn, None, "school").await,
        support::group(&conn, None, "club").await,
    );
    let ada_school = support::group_member(&conn, &ada, &school, MemberRole::Teacher).await;
    let ada_club = support::group_member(&conn, &ada, &club, MemberRole::Student).await;
    let bob_school = support::group_member(&conn, &bob, &school, MemberRole::Student).await;

    // users → group_members, groups → group_members (has_many).
    let mut of_ada = ada
        .find_related(group_members::Entity)
        .all(&conn)
        .await
        .expect("related");
    of_ada.sort_by_key(|m| m.id);
    assert_eq!(of_ada, [ada_school.clone(), ada_club.clone()]);
    let mut of_school = school
        .find_related(group_members::Entity)
        .all(&conn)
        .await
        .expect("related");
    of_school.sort_by_key(|m| m.id);
    assert_eq!(of_school, [ada_school.clone(), bob_school.clone()]);

    // group_members → users, group_members → groups (belongs_to).
    let user = bob_school
        .find_related(users::Entity)
        .one(&conn)
        .await
        .expect("related");
    assert_eq!(user, Some(bob.clone()));
    let group = ada_club
        .find_related(groups::Entity)
        .one(&conn)
        .await
        .expect("related");
    assert_eq!(group, Some(club.clone()));

    // find_also_related both ways.
    let with_group = group_members::Entity::find_by_id(ada_club.id)
        .find_also_related(groups::Entity)
        .one(&conn)
        .await
        .expect("also related");
    assert_eq!(with_group, Some((ada_club.clone(), Some(club.clone()))));
    let with_user = group_members::Entity::find_by_id(ada_school.id)
        .find_also_related(users::Entity)
        .one(&conn)
        .await
        .expect("also related");
    assert_eq!(with_user, Some((ada_school.clone(), Some(ada.clone()))));
    let users_with_memberships = users::Entity::find_by_id(bob.id)
        .find_with_related(group_members::Entity)
        .all(&conn)
        .await
        .expect("with related");
    assert_eq!(
        users_with_memberships,
        [(bob.clone(), vec![bob_school.clone()])]
    );
    let group_with_memberships = groups::Entity::find_by_id(club.id)
        .find_also_related(group_members::Entity)
        .all(&conn)
        .await
        .expect("also related");
    assert_eq!(group_with_memberships, [(club.clone(), Some(ada_club))]);

    // Many-to-many through the memberships: a user's groups and a group's users.
    let mut ada_groups = ada
        .find_related(groups::Entity)
        .all(&conn)
        .await
        .expect("via");
    ada_groups.sort_by_key(|g| g.id);
    assert_eq!(ada_groups, [school.clone(), club.clone()]);
    let mut school_users = school
        .find_related(users::Entity)
        .all(&conn)
        .await
        .expect("via");
    school_users.sort_by_key(|u| u.id);
    assert_eq!(school_users, [ada, bob]);
}

both_backends!(
    ac01_table_defined_in_entity_crate,
    ac02_fields,
    ac03_cascade_from_users,
    ac04_cascade_from_groups,
    ac05_role_enum,
    ac06_unique_user_group,
    ac07_ac08_indexes,
    ac09_exported_types,
    ac10_migration_applied,
    ac11_relations,
);
