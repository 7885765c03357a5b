//! The migrations apply, roll back and re-apply cleanly, and `status` sees them all.

use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, EntityTrait};
use tests::both_backends;
use tests::db::{Backend, TestDb};

use super::support::{applied_versions, pg_enum_values, tables};

/// Roster's tables, in alphabetical order.
const TABLES: [&str; 18] = [
    "audit_events",
    "console_login_codes",
    "console_sessions",
    "group_members",
    "group_member_sources",
    "groups",
    "idp_bindings",
    "idp_group_members",
    "idp_groups",
    "project_members",
    "projects",
    "revisions",
    "scim_tokens",
    "squad_members",
    "squads",
    "users",
    "webhook_deliveries",
    "webhooks",
];

fn migration_names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect()
}

async fn assert_all_applied(conn: &DatabaseConnection) {
    let names = migration_names();
    // Eight tables, one index of the system admins (m0009), revisions (m0010), webhooks (m0011),
    // the counter's upkeep (m0012), SCIM tokens (m0013), user identity and attributes (m0014,
    // m0015), IdP groups (m0016), revision notifications (m0017), console sign-in (m0018).
    assert_eq!(names.len(), 18);
    assert_eq!(applied_versions(conn).await, names);
    assert!(
        Migrator::get_pending_migrations(conn)
            .await
            .expect("pending")
            .is_empty()
    );
    assert_eq!(
        Migrator::get_applied_migrations(conn)
            .await
            .expect("applied")
            .len(),
        18
    );
    Migrator::status(conn).await.expect("status");
    let mut expected: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    expected.push("seaql_migrations".to_owned());
    expected.sort();
    assert_eq!(tables(conn).await, expected);
}

/// One connection, as the migration CLI has: SeaORM's `fresh` on SQLite turns foreign keys off
/// with a PRAGMA, which holds only for the connection that ran it.
async fn cli_like_connection(db: &TestDb) -> DatabaseConnection {
    db.connect_with(|options| {
        options.max_connections(1);
    })
    .await
}

/// up → down → up, then `fresh`: each leaves exactly what it should, on an empty database.
async fn up_down_up_round_trip(db: &TestDb) {
    let conn = cli_like_connection(db).await;
    assert!(
        tables(&conn).await.is_empty(),
        "a fresh test database is empty"
    );

    Migrator::up(&conn, None).await.expect("up");
    assert_all_applied(&conn).await;
    // A second `up` has nothing to do.
    Migrator::up(&conn, None).await.expect("up again");
    assert_all_applied(&conn).await;

    Migrator::down(&conn, None).await.expect("down");
    assert_eq!(tables(&conn).await, ["seaql_migrations"]);
    assert!(applied_versions(&conn).await.is_empty());
    assert_eq!(
        Migrator::get_pending_migrations(&conn)
            .await
            .expect("pending")
            .len(),
        18
    );
    if db.backend == Backend::Postgres {
        // down() drops the enum types its up() created (and they are no longer in use).
        let types = super::support::query(
            &conn,
            "SELECT COUNT(*) AS n FROM pg_type WHERE typname IN ('member_role', 'project_role')",
            [],
        )
        .await;
        let n: i64 = types[0].try_get("", "n").expect("n");
        assert_eq!(n, 0, "enum types left behind by down()");
    }

    Migrator::up(&conn, None).await.expect("up after down");
    assert_all_applied(&conn).await;
    if db.backend == Backend::Postgres {
        assert_eq!(pg_enum_values(&conn, "member_role").await.len(), 4);
        assert_eq!(pg_enum_values(&conn, "project_role").await.len(), 4);
    }

    // `fresh` drops everything (types included) and re-applies.
    Migrator::fresh(&conn).await.expect("fresh");
    assert_all_applied(&conn).await;
    conn.close().await.expect("close");
}

/// Migrations step down one at a time, newest first, and step back up.
async fn steps_down_and_up_one_at_a_time(db: &TestDb) {
    let conn = cli_like_connection(db).await;
    Migrator::up(&conn, None).await.expect("up");
    let names = migration_names();
    for remaining in (0..names.len()).rev() {
        Migrator::down(&conn, Some(1)).await.expect("one step down");
        assert_eq!(applied_versions(&conn).await, names[..remaining]);
    }
    for applied in 1..=names.len() {
        Migrator::up(&conn, Some(1)).await.expect("one step up");
        assert_eq!(applied_versions(&conn).await, names[..applied]);
    }
    assert_all_applied(&conn).await;
    conn.close().await.expect("close");
}

/// Users who exist when m0014 is applied are named by their email, active, with no external id.
async fn existing_users_are_named_by_their_email(db: &TestDb) {
    let conn = cli_like_connection(db).await;
    Migrator::up(&conn, None).await.expect("up");
    Migrator::down(&conn, Some(5))
        .await
        .expect("m0018 to m0014 down");
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    super::support::exec(
        &conn,
        "INSERT INTO users (id, email, display_name, created_at, updated_at) \
         VALUES ($1, 'grace@example.test', 'Grace', $2, $3)",
        [id.into(), now.into(), now.into()],
    )
    .await
    .expect("a user before m0014");
    Migrator::up(&conn, None).await.expect("m0014 up");
    let user = entity::users::Entity::find_by_id(id)
        .one(&conn)
        .await
        .expect("read")
        .expect("the user");
    assert_eq!(user.user_name, "grace@example.test");
    assert_eq!(user.external_id, None);
    assert!(user.active);
    conn.close().await.expect("close");
}

both_backends!(
    empty: up_down_up_round_trip,
    steps_down_and_up_one_at_a_time,
    existing_users_are_named_by_their_email
);
