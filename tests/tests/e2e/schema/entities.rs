//! The entities and the migrated schema agree: every entity writes a full row and reads it back
//! unchanged on both backends, with nullable fields set and unset.

use entity::roles::{MemberRole, ProjectRole};
use entity::{
    audit_events, group_members, groups, project_members, projects, squad_members, squads, users,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use tests::both_backends;
use tests::db::{Backend, TestDb};
use uuid::Uuid;

use super::support::{self, count, label, now};

/// Users, groups (the ltree path included), memberships, projects and squads read back equal.
async fn every_entity_round_trips(db: &TestDb) {
    let conn = db.connect().await;

    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(Some("ada@example.test".to_owned())),
        display_name: Set("Ada Lovelace".to_owned()),
        user_name: Set("Ada.Lovelace".to_owned()),
        external_id: Set(Some("00u1ada".to_owned())),
        active: Set(false),
        created_at: Set(now()),
        updated_at: Set(now()),
        given_name: Set(Some("Ada".to_owned())),
        family_name: Set(Some("Lovelace".to_owned())),
        email_type: Set(Some("work".to_owned())),
        manager_id: Set(None),
    }
    .insert(&conn)
    .await
    .expect("insert user");
    assert_eq!(
        support::find::<users::Entity>(&conn, user.id).await,
        Some(user.clone())
    );
    let unset = users::ActiveModel {
        email: Set(None),
        external_id: Set(None),
        active: Set(true),
        given_name: Set(None),
        family_name: Set(None),
        email_type: Set(None),
        manager_id: Set(Some(user.id)),
        ..user.clone().into_active_model()
    }
    .update(&conn)
    .await
    .expect("update user");
    assert_eq!(
        support::find::<users::Entity>(&conn, user.id).await,
        Some(unset)
    );

    // Groups: a root and a child, then the path is read, filtered on and rewritten.
    let root = support::group(&conn, None, "school").await;
    let child = support::group(&conn, Some(&root), "class").await;
    assert_eq!(root.path, label(root.id));
    assert_eq!(
        child.path,
        format!("{}.{}", label(root.id), label(child.id))
    );
    for group in [&root, &child] {
        let found = support::find::<groups::Entity>(&conn, group.id).await;
        assert_eq!(
            found.as_ref(),
            Some(group),
            "{} reads back equal",
            group.slug
        );
        let by_path = groups::Entity::find()
            .filter(groups::Column::Path.eq(group.path.clone()))
            .one(&conn)
            .await
            .expect("filter on path");
        assert_eq!(
            by_path.as_ref(),
            Some(group),
            "a filter on path finds {}",
            group.slug
        );
    }
    // The path is a real ltree on PostgreSQL; on SQLite the same question is a range scan.
    let subtree =
        match db.backend {
            Backend::Postgres => {
                count(
                    &conn,
                    "SELECT COUNT(*) AS n FROM groups WHERE path <@ CAST($1 AS ltree)",
                    [root.path.clone().into()],
                )
                .await
            }
            Backend::Sqlite => count(
                &conn,
                "SELECT COUNT(*) AS n FROM groups WHERE path = $1 OR (path >= $2 AND path < $3)",
                [
                    root.path.clone().into(),
                    format!("{}.", root.path).into(),
                    format!("{}/", root.path).into(),
                ],
            )
            .await,
        };
    assert_eq!(subtree, 2);
    // An update writes the path through the same cast: make the child a root.
    let mut moved = child.clone().into_active_model();
    moved.parent_id = Set(None);
    moved.path = Set(label(child.id));
    moved.depth = Set(0);
    moved.slug = Set("moved".to_owned());
    let moved = moved.update(&conn).await.expect("update a group");
    assert_eq!(moved.path, label(child.id));
    assert_eq!(
        support::find::<groups::Entity>(&conn, child.id).await,
        Some(moved)
    );
    // insert_many goes through the cast too.
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let many = [(a, "many-a"), (b, "many-b")].map(|(id, slug)| groups::ActiveModel {
        id: Set(id),
        parent_id: Set(None),
        name: Set(slug.to_owned()),
        slug: Set(slug.to_owned()),
        path: Set(label(id)),
        depth: Set(0),
        created_at: Set(now()),
        updated_at: Set(now()),
    });
    groups::Entity::insert_many(many)
        .exec(&conn)
        .await
        .expect("insert_many groups");
    let found = groups::Entity::find()
        .filter(groups::Column::Id.is_in([a, b]))
        .order_by_asc(groups::Column::Path)
        .all(&conn)
        .await
        .expect("find many");
    assert_eq!(
        found.iter().map(|g| g.path.clone()).collect::<Vec<_>>(),
        [label(a), label(b)]
    );

    // A membership in every role.
    for role in [
        MemberRole::SystemAdmin,
        MemberRole::GroupAdmin,
        MemberRole::Teacher,
        MemberRole::Student,
    ] {
        let member = support::user(&conn).await;
        let membership = support::group_member(&conn, &member, &root, role).await;
        let found = support::find::<group_members::Entity>(&conn, membership.id).await;
        assert_eq!(found, Some(membership));
    }

    // Projects and project members, with and without a reporting line, in every role.
    let project = support::project(&conn, &root, "apollo").await;
    assert_eq!(
        support::find::<projects::Entity>(&conn, project.id).await,
        Some(project.clone())
    );
    let admin = support::project_member(&conn, &project, &user, ProjectRole::Admin, None).await;
    assert_eq!(admin.reports_to, None);
    assert!(!admin.reports_to_explicit);
    let mut members = vec![admin];
    for role in [ProjectRole::Pm, ProjectRole::SquadLead, ProjectRole::Member] {
        let someone = support::user(&conn).await;
        members.push(support::project_member(&conn, &project, &someone, role, Some(user.id)).await);
    }
    for member in &members {
        let found = support::find::<project_members::Entity>(&conn, member.id).await;
        assert_eq!(found.as_ref(), Some(member));
    }
    assert_eq!(members[3].reports_to, Some(user.id));
    assert!(members[3].reports_to_explicit);

    // Squads: a top-level squad and a sub-squad, and a member of each.
    let top = support::squad(&conn, &project, None, "Backend").await;
    let sub = support::squad(&conn, &project, Some(&top), "Database").await;
    assert_eq!(
        (top.depth, top.parent_id, top.parent_depth),
        (0, None, None)
    );
    assert_eq!(
        (sub.depth, sub.parent_id, sub.parent_depth),
        (1, Some(top.id), Some(0))
    );
    for squad in [&top, &sub] {
        let found = support::find::<squads::Entity>(&conn, squad.id).await;
        assert_eq!(found.as_ref(), Some(squad));
        let member = support::squad_member(&conn, squad, &user).await;
        let found = support::find::<squad_members::Entity>(&conn, member.id).await;
        assert_eq!(found, Some(member));
    }

    // Audit events: every optional field set, then none.
    let full = audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now()),
        actor_id: Set(Some(user.id)),
        action: Set("project.member.upsert".to_owned()),
        resource_type: Set("project_member".to_owned()),
        resource_id: Set(Some(members[1].id)),
        group_id: Set(Some(root.id)),
        project_id: Set(Some(project.id)),
        details: Set(json!({
            "before": null,
            "after": {"role": "pm", "reports_to": user.id, "tier": 1},
            "repairs": [{"user_id": Uuid::nil(), "reports_to": null}],
            "note": "naïve ✓",
        })),
        created_at: Set(now()),
        revision: Set(1),
        access: Set(json!([{"user_id": user.id, "type": "project", "id": project.id, "before": null, "after": "pm"}])),
    }
    .insert(&conn)
    .await
    .expect("insert a full audit event");
    let bare = audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now()),
        actor_id: Set(None),
        action: Set("system.bootstrap".to_owned()),
        resource_type: Set("system".to_owned()),
        resource_id: Set(None),
        group_id: Set(None),
        project_id: Set(None),
        details: Set(json!({})),
        created_at: Set(now()),
        revision: Set(2),
        access: Set(json!([])),
    }
    .insert(&conn)
    .await
    .expect("insert a bare audit event");
    for event in [full, bare] {
        let found = support::find::<audit_events::Entity>(&conn, event.id).await;
        assert_eq!(found, Some(event));
    }
}

/// `reports_to_explicit` defaults to false for SQL that leaves it out.
async fn reports_to_explicit_defaults_to_false(db: &TestDb) {
    let conn = db.connect().await;
    let group = support::group(&conn, None, "org").await;
    let project = support::project(&conn, &group, "p").await;
    let user = support::user(&conn).await;
    let id = Uuid::now_v7();
    support::insert_project_role(&conn, id, project.id, user.id, "member")
        .await
        .expect("insert without reports_to_explicit");
    let member = support::find::<project_members::Entity>(&conn, id)
        .await
        .expect("the row");
    assert!(!member.reports_to_explicit);
    assert_eq!(member.reports_to, None);
    assert_eq!(member.role, ProjectRole::Member);
}

both_backends!(
    every_entity_round_trips,
    reports_to_explicit_defaults_to_false
);
