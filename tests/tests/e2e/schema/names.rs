//! Every constraint and index carries the name the server maps to client errors, and the entities
//! list exactly the columns of their tables.

use std::collections::BTreeSet;

use entity::{
    audit_events, group_member_sources, group_members, groups, idp_bindings, idp_group_members,
    idp_groups, project_members, projects, revisions, squad_members, squads, users,
    webhook_deliveries, webhooks,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, IdenStatic, Iterable};
use tests::both_backends;
use tests::db::{Backend, TestDb};

use super::support::{columns, indexes, query};

/// Each table's constraint and index names (besides `pk_<table>`). Foreign keys are named on
/// PostgreSQL only: SQLite neither keeps nor reports their names. The role CHECKs exist on
/// SQLite only: PostgreSQL's enum types do that job.
const NAMES: [(&str, &[&str]); 15] = [
    (
        "users",
        &[
            "uq_users_email",
            "ck_users_email_lowercase",
            "uq_users_user_name",
            "fk_users_manager",
        ],
    ),
    (
        "groups",
        &[
            "fk_groups_parent",
            "ck_groups_depth",
            "uq_groups_parent_slug",
            "uq_groups_root_slug",
            "uq_groups_path",
            "ix_groups_path_gist",
        ],
    ),
    (
        "group_members",
        &[
            "fk_group_members_user",
            "fk_group_members_group",
            "ck_group_members_role",
            "uq_group_members_user_group",
            "ix_group_members_user_id",
            "ix_group_members_system_admins",
            "ix_group_members_group_id",
        ],
    ),
    (
        "projects",
        &[
            "fk_projects_group",
            "uq_projects_group_slug",
            "ix_projects_group_id",
        ],
    ),
    (
        "project_members",
        &[
            "fk_project_members_project",
            "fk_project_members_user",
            "fk_project_members_reports_to",
            "ck_project_members_reports_to_not_self",
            "ck_project_members_role",
            "uq_project_members_project_user",
            "ix_project_members_user_id",
            "ix_project_members_project_id",
            "ix_project_members_reports_to",
            "ck_project_members_manual_role",
        ],
    ),
    (
        "squads",
        &[
            "fk_squads_project",
            "fk_squads_parent",
            "ck_squads_depth",
            "uq_squads_project_id_depth",
            "uq_squads_id_project",
            "uq_squads_parent_name",
            "uq_squads_project_root_name",
        ],
    ),
    (
        "squad_members",
        &[
            "fk_squad_members_squad",
            "fk_squad_members_project_member",
            "uq_squad_members_squad_user",
            "ix_squad_members_user_id",
            "ix_squad_members_project_user",
        ],
    ),
    (
        "audit_events",
        &[
            "ix_audit_events_resource",
            "ix_audit_events_group_id",
            "ix_audit_events_project_id",
            "ix_audit_events_occurred_at",
            "ix_audit_events_actor_id",
            "ux_audit_events_revision",
        ],
    ),
    ("revisions", &["ck_revisions_single"]),
    (
        "webhooks",
        &[
            "fk_webhooks_group",
            "fk_webhooks_project",
            "fk_webhooks_created_by",
            "ck_webhooks_one_scope",
            "ix_webhooks_group_id",
            "ix_webhooks_project_id",
            "ix_webhooks_created_by",
        ],
    ),
    (
        "webhook_deliveries",
        &[
            "fk_webhook_deliveries_webhook",
            "ck_webhook_deliveries_kind",
            "ck_webhook_deliveries_state",
            "uq_webhook_deliveries_webhook_revision",
            "ix_webhook_deliveries_state",
        ],
    ),
    (
        "group_member_sources",
        &[
            "fk_group_member_sources_member",
            "ck_group_member_sources_manual_role",
        ],
    ),
    ("idp_groups", &[]),
    (
        "idp_group_members",
        &[
            "fk_idp_group_members_group",
            "fk_idp_group_members_user",
            "ix_idp_group_members_user",
        ],
    ),
    (
        "idp_bindings",
        &[
            "fk_idp_bindings_idp_group",
            "fk_idp_bindings_group",
            "fk_idp_bindings_project",
            "fk_idp_bindings_squad",
            "ck_idp_bindings_one_target",
            "ck_idp_bindings_role_name",
            "uq_idp_bindings_group",
            "uq_idp_bindings_project",
            "uq_idp_bindings_squad",
        ],
    ),
];

fn expected_names(backend: Backend, table: &str, names: &[&str]) -> BTreeSet<String> {
    let applies = |name: &str| match backend {
        Backend::Postgres => !(name.starts_with("ck_") && name.ends_with("_role")),
        Backend::Sqlite => !name.starts_with("fk_") && !name.ends_with("_gist"),
    };
    names
        .iter()
        .copied()
        .filter(|name| applies(name))
        .map(str::to_owned)
        .chain([format!("pk_{table}")])
        .collect()
}

/// The names the database knows for `table`: constraints and indexes on PostgreSQL; on SQLite
/// the named indexes and the `CONSTRAINT "…"` clauses of the table's definition.
async fn actual_names(
    conn: &DatabaseConnection,
    backend: Backend,
    table: &str,
) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = indexes(conn, table)
        .await
        .into_iter()
        .map(|index| index.name)
        .filter(|name| !name.starts_with("sqlite_autoindex_"))
        .collect();
    let (sql, column) = match backend {
        Backend::Postgres => (
            "SELECT conname::text AS name FROM pg_constraint \
             WHERE conrelid = CAST($1 AS regclass)",
            "name",
        ),
        Backend::Sqlite => (
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1",
            "sql",
        ),
    };
    for row in query(conn, sql, [table.into()]).await {
        let text: String = row.try_get("", column).expect("a name or definition");
        match backend {
            Backend::Postgres => {
                names.insert(text);
            }
            Backend::Sqlite => {
                for clause in text.split("CONSTRAINT \"").skip(1) {
                    let name = clause.split('"').next().expect("a quoted name");
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names
}

async fn constraint_and_index_names(db: &TestDb) {
    let conn = db.connect().await;
    for (table, names) in NAMES {
        assert_eq!(
            actual_names(&conn, db.backend, table).await,
            expected_names(db.backend, table, names),
            "names on {table}"
        );
    }
}

/// The entity's columns, in order, with their nullability.
fn entity_columns<E: EntityTrait>() -> (&'static str, Vec<(String, bool)>) {
    let table = E::default().table_name();
    let columns = E::Column::iter()
        .map(|column| (column.as_str().to_owned(), column.def().is_null()))
        .collect();
    (table, columns)
}

/// Each entity names the columns of its table, in the table's order, nullable where it is.
async fn entity_columns_match_tables(db: &TestDb) {
    let conn = db.connect().await;
    let entities = [
        entity_columns::<users::Entity>(),
        entity_columns::<groups::Entity>(),
        entity_columns::<group_members::Entity>(),
        entity_columns::<projects::Entity>(),
        entity_columns::<project_members::Entity>(),
        entity_columns::<squads::Entity>(),
        entity_columns::<squad_members::Entity>(),
        entity_columns::<audit_events::Entity>(),
        entity_columns::<revisions::Entity>(),
        entity_columns::<webhooks::Entity>(),
        entity_columns::<webhook_deliveries::Entity>(),
        entity_columns::<group_member_sources::Entity>(),
        entity_columns::<idp_groups::Entity>(),
        entity_columns::<idp_group_members::Entity>(),
        entity_columns::<idp_bindings::Entity>(),
    ];
    assert_eq!(entities.len(), NAMES.len(), "one entity per table");
    for (table, expected) in entities {
        let found: Vec<(String, bool)> = columns(&conn, table)
            .await
            .into_iter()
            .map(|column| (column.name, column.nullable))
            .collect();
        assert_eq!(found, expected, "columns of {table}");
    }
}

both_backends!(constraint_and_index_names, entity_columns_match_tables);
