//! Helpers for the schema tests: rows inserted through the entities, hand-written SQL that runs
//! on either backend, catalogue look-ups, and assertions about what the database refused.

use std::fmt::Debug;

use chrono::{DateTime, SubsecRound, Utc};
use entity::roles::{MemberRole, ProjectRole};
use entity::{group_members, groups, project_members, projects, squad_members, squads, users};
use sea_orm::sqlx::error::DatabaseError;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, ExecResult, PrimaryKeyTrait, QueryResult, RuntimeErr, SqlErr, Statement, Value,
};
use tests::db::Backend;
use uuid::Uuid;

/// Now, to the microsecond: PostgreSQL keeps no more, so a row reads back equal on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A group id as an ltree label: 32 lower-case hex digits.
pub fn label(id: Uuid) -> String {
    id.simple().to_string()
}

pub async fn user(conn: &DatabaseConnection) -> users::Model {
    let id = Uuid::now_v7();
    let email = format!("{}@example.test", label(id));
    users::ActiveModel {
        id: Set(id),
        email: Set(Some(email.clone())),
        display_name: Set(format!("User {id}")),
        user_name: Set(email),
        external_id: Set(None),
        active: Set(true),
        created_at: Set(now()),
        updated_at: Set(now()),
        given_name: Set(None),
        family_name: Set(None),
        email_type: Set(None),
        manager_id: Set(None),
    }
    .insert(conn)
    .await
    .expect("insert a user")
}

/// A group under `parent` (or a root), with its path and depth derived from the parent's.
pub async fn group(
    conn: &DatabaseConnection,
    parent: Option<&groups::Model>,
    slug: &str,
) -> groups::Model {
    let id = Uuid::now_v7();
    let (path, depth) = match parent {
        Some(parent) => (format!("{}.{}", parent.path, label(id)), parent.depth + 1),
        None => (label(id), 0),
    };
    groups::ActiveModel {
        id: Set(id),
        parent_id: Set(parent.map(|parent| parent.id)),
        name: Set(format!("Group {slug}")),
        slug: Set(slug.to_owned()),
        path: Set(path),
        depth: Set(depth),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(conn)
    .await
    .expect("insert a group")
}

pub async fn group_member(
    conn: &DatabaseConnection,
    user: &users::Model,
    group: &groups::Model,
    role: MemberRole,
) -> group_members::Model {
    group_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        group_id: Set(group.id),
        role: Set(role),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(conn)
    .await
    .expect("insert a group member")
}

pub async fn project(
    conn: &DatabaseConnection,
    group: &groups::Model,
    slug: &str,
) -> projects::Model {
    projects::ActiveModel {
        id: Set(Uuid::now_v7()),
        group_id: Set(group.id),
        name: Set(format!("Project {slug}")),
        slug: Set(slug.to_owned()),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(conn)
    .await
    .expect("insert a project")
}

pub async fn project_member(
    conn: &DatabaseConnection,
    project: &projects::Model,
    user: &users::Model,
    role: ProjectRole,
    reports_to: Option<Uuid>,
) -> project_members::Model {
    project_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project.id),
        user_id: Set(user.id),
        role: Set(role),
        reports_to: Set(reports_to),
        reports_to_explicit: Set(reports_to.is_some()),
        manual_role: Set(Some(role)),
        idp_sources: Set(None),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(conn)
    .await
    .expect("insert a project member")
}

/// A top-level squad, or a sub-squad of `parent` (which must be top-level).
pub async fn squad(
    conn: &DatabaseConnection,
    project: &projects::Model,
    parent: Option<&squads::Model>,
    name: &str,
) -> squads::Model {
    squads::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project.id),
        parent_id: Set(parent.map(|parent| parent.id)),
        parent_depth: Set(parent.map(|parent| parent.depth)),
        name: Set(name.to_owned()),
        depth: Set(if parent.is_some() { 1 } else { 0 }),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(conn)
    .await
    .expect("insert a squad")
}

pub async fn squad_member(
    conn: &DatabaseConnection,
    squad: &squads::Model,
    user: &users::Model,
) -> squad_members::Model {
    squad_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        squad_id: Set(squad.id),
        project_id: Set(squad.project_id),
        user_id: Set(user.id),
        created_at: Set(now()),
        manual: Set(true),
        idp_sources: Set(None),
    }
    .insert(conn)
    .await
    .expect("insert a squad member")
}

/// A hand-written statement for either backend. Write PostgreSQL's `$1`, `$2`… placeholders;
/// on SQLite they become `?1`, `?2`… (bind [`Uuid`]s, never strings: SQLite stores them as
/// 16-byte blobs).
pub fn statement(
    conn: &DatabaseConnection,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Runs hand-written SQL (see [`statement`]).
pub async fn exec(
    conn: &DatabaseConnection,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<ExecResult, DbErr> {
    conn.execute_raw(statement(conn, sql, values)).await
}

/// The row of entity `E` with primary key `id`, if any.
pub async fn find<E>(conn: &DatabaseConnection, id: Uuid) -> Option<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id).one(conn).await.expect("find")
}

/// Inserts a group membership with hand-written SQL, `role` spelled as raw text: what the
/// database itself accepts, whatever the entity's enum allows.
pub async fn insert_group_role(
    conn: &DatabaseConnection,
    user: Uuid,
    group: Uuid,
    role: &str,
) -> Result<ExecResult, DbErr> {
    let sql = format!(
        "INSERT INTO group_members (id, user_id, group_id, role, created_at, updated_at) \
         VALUES ($1, $2, $3, '{role}', $4, $5)"
    );
    let values = [Uuid::now_v7(), user, group].map(Value::from);
    exec(
        conn,
        &sql,
        values.into_iter().chain([now().into(), now().into()]),
    )
    .await
}

/// Inserts a project membership with id `id` by hand-written SQL, `role` as raw text (see
/// [`insert_group_role`]); `reports_to` and `reports_to_explicit` are left to their defaults.
pub async fn insert_project_role(
    conn: &DatabaseConnection,
    id: Uuid,
    project: Uuid,
    user: Uuid,
    role: &str,
) -> Result<ExecResult, DbErr> {
    let sql = format!(
        "INSERT INTO project_members (id, project_id, user_id, role, created_at, updated_at) \
         VALUES ($1, $2, $3, '{role}', $4, $5)"
    );
    let values = [id, project, user].map(Value::from);
    exec(
        conn,
        &sql,
        values.into_iter().chain([now().into(), now().into()]),
    )
    .await
}

/// Runs a hand-written query (see [`statement`]).
pub async fn query(
    conn: &DatabaseConnection,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Vec<QueryResult> {
    conn.query_all_raw(statement(conn, sql, values))
        .await
        .unwrap_or_else(|err| panic!("query {sql}: {err}"))
}

/// The value of `SELECT COUNT(*) AS n …`.
pub async fn count(
    conn: &DatabaseConnection,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> i64 {
    let rows = query(conn, sql, values).await;
    rows[0].try_get("", "n").expect("a count named n")
}

/// `CAST($n AS ltree)` on PostgreSQL, `$n` on SQLite: the groups.path parameter in raw SQL.
pub fn ltree_param(backend: Backend, n: u8) -> String {
    match backend {
        Backend::Postgres => format!("CAST(${n} AS ltree)"),
        Backend::Sqlite => format!("${n}"),
    }
}

/// Names of the tables in the database (the migrations table included).
pub async fn tables(conn: &DatabaseConnection) -> Vec<String> {
    let sql = match conn.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables \
             WHERE schemaname = current_schema() ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master \
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    query(conn, sql, [])
        .await
        .iter()
        .map(|row| row.try_get("", "name").expect("a table name"))
        .collect()
}

/// A column as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    /// PostgreSQL's `udt_name` (`uuid`, `timestamptz`, `member_role`…), SQLite's declared type.
    pub sql_type: String,
    pub nullable: bool,
}

/// The columns of `table`, in order.
pub async fn columns(conn: &DatabaseConnection, table: &str) -> Vec<ColumnInfo> {
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    let sql = if postgres {
        "SELECT column_name::text AS name, udt_name::text AS sql_type, \
                is_nullable::text = 'YES' AS nullable \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
    } else {
        "SELECT name, type AS sql_type, \"notnull\" = 0 AS nullable \
         FROM pragma_table_info($1) ORDER BY cid"
    };
    query(conn, sql, [table.into()])
        .await
        .iter()
        .map(|row| ColumnInfo {
            name: row.try_get("", "name").expect("name"),
            sql_type: row.try_get("", "sql_type").expect("sql_type"),
            nullable: flag(row, "nullable", postgres),
        })
        .collect()
}

/// An index as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    pub partial: bool,
}

/// The indexes of `table` (from `pg_index` on PostgreSQL, `PRAGMA index_list` on SQLite).
pub async fn indexes(conn: &DatabaseConnection, table: &str) -> Vec<IndexInfo> {
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    if postgres {
        let sql = "SELECT i.relname::text AS name, x.indisunique AS is_unique, \
                          x.indpred IS NOT NULL AS is_partial, \
                          array_to_string(ARRAY( \
                              SELECT a.attname::text \
                              FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                              JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
                              ORDER BY k.ord), ',') AS columns \
                   FROM pg_index x \
                   JOIN pg_class i ON i.oid = x.indexrelid \
                   JOIN pg_class t ON t.oid = x.indrelid \
                   JOIN pg_namespace n ON n.oid = t.relnamespace \
                   WHERE t.relname = $1 AND n.nspname = current_schema() \
                   ORDER BY 1";
        return query(conn, sql, [table.into()])
            .await
            .iter()
            .map(|row| {
                let columns: String = row.try_get("", "columns").expect("columns");
                IndexInfo {
                    name: row.try_get("", "name").expect("name"),
                    columns: columns.split(',').map(str::to_owned).collect(),
                    unique: flag(row, "is_unique", true),
                    partial: flag(row, "is_partial", true),
                }
            })
            .collect();
    }
    let listed = query(
        conn,
        "SELECT name, \"unique\" AS is_unique, partial AS is_partial \
         FROM pragma_index_list($1) ORDER BY name",
        [table.into()],
    )
    .await;
    let mut found = Vec::new();
    for row in listed {
        let name: String = row.try_get("", "name").expect("name");
        let columns = query(
            conn,
            "SELECT name FROM pragma_index_info($1) ORDER BY seqno",
            [name.clone().into()],
        )
        .await
        .iter()
        // An expression (`lower(user_name)`) has no column name.
        .map(|column| {
            column
                .try_get::<Option<String>>("", "name")
                .expect("column name")
                .unwrap_or_else(|| "(expression)".to_owned())
        })
        .collect();
        found.push(IndexInfo {
            name,
            columns,
            unique: flag(&row, "is_unique", false),
            partial: flag(&row, "is_partial", false),
        });
    }
    found
}

/// The index named `name` on `table`; fails the test if there is none.
pub async fn index_named(conn: &DatabaseConnection, table: &str, name: &str) -> IndexInfo {
    let all = indexes(conn, table).await;
    all.iter()
        .find(|index| index.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no index {name} on {table}; found {all:#?}"))
}

/// A boolean column: `bool` on PostgreSQL, 0/1 on SQLite.
fn flag(row: &QueryResult, column: &str, postgres: bool) -> bool {
    if postgres {
        row.try_get("", column).expect("a boolean")
    } else {
        row.try_get::<i64>("", column).expect("an integer flag") != 0
    }
}

/// The values of a PostgreSQL enum type, in declaration order.
pub async fn pg_enum_values(conn: &DatabaseConnection, type_name: &str) -> Vec<String> {
    let sql = format!(
        "SELECT e.value::text AS value \
         FROM unnest(enum_range(NULL::{type_name})) WITH ORDINALITY AS e(value, ord) ORDER BY ord"
    );
    query(conn, &sql, [])
        .await
        .iter()
        .map(|row| row.try_get("", "value").expect("an enum value"))
        .collect()
}

/// The versions recorded in `seaql_migrations`, in order.
pub async fn applied_versions(conn: &DatabaseConnection) -> Vec<String> {
    query(
        conn,
        "SELECT version FROM seaql_migrations ORDER BY version",
        [],
    )
    .await
    .iter()
    .map(|row| row.try_get("", "version").expect("a version"))
    .collect()
}

/// How the database is expected to refuse a statement.
#[derive(Debug, Clone, Copy)]
pub enum Refusal<'a> {
    /// A unique index or constraint of this name.
    Unique(&'a str),
    /// A foreign key of this name (SQLite does not report names: it is checked on PostgreSQL).
    ForeignKey(&'a str),
    /// A CHECK constraint of this name.
    Check(&'a str),
    /// A value outside a role enum: PostgreSQL's enum type refuses it (invalid input, 22P02),
    /// SQLite's stand-in CHECK of this name does.
    NotARole(&'a str),
}

/// Asserts that `result` is the refusal `expected`, by SQLSTATE/extended code and constraint
/// name, never by the wording of the message.
#[track_caller]
pub fn assert_refused<T: Debug>(backend: Backend, result: Result<T, DbErr>, expected: Refusal) {
    let err = match result {
        Ok(value) => panic!("the database accepted what it must refuse ({expected:?}): {value:?}"),
        Err(err) => err,
    };
    let Some(db_err) = database_error(&err) else {
        panic!("expected {expected:?}, got a non-database error: {err}");
    };
    let code = db_err.code().unwrap_or_default().into_owned();
    let message = db_err.message().to_owned();
    let constraint = db_err.constraint().map(str::to_owned);
    let context = format!("expected {expected:?} on {backend:?}, got {code}: {message}");
    match (expected, backend) {
        (Refusal::Unique(name), _) => {
            assert!(
                matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
                "{context}"
            );
            if backend == Backend::Postgres {
                assert_eq!(constraint.as_deref(), Some(name), "{context}");
            }
        }
        (Refusal::ForeignKey(name), _) => {
            assert!(
                matches!(
                    err.sql_err(),
                    Some(SqlErr::ForeignKeyConstraintViolation(_))
                ),
                "{context}"
            );
            if backend == Backend::Postgres {
                assert_eq!(constraint.as_deref(), Some(name), "{context}");
            }
        }
        (Refusal::Check(name), Backend::Postgres) => {
            assert_eq!(code, "23514", "{context}");
            assert_eq!(constraint.as_deref(), Some(name), "{context}");
        }
        (Refusal::Check(name) | Refusal::NotARole(name), Backend::Sqlite) => {
            // SQLITE_CONSTRAINT_CHECK; SQLite names the constraint only in the message.
            assert_eq!(code, "275", "{context}");
            assert!(
                message.ends_with(&format!("CHECK constraint failed: {name}")),
                "{context}"
            );
        }
        (Refusal::NotARole(_), Backend::Postgres) => {
            assert_eq!(code, "22P02", "{context}");
        }
    }
}

fn database_error(err: &DbErr) -> Option<&(dyn DatabaseError + 'static)> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            err.as_database_error()
        }
        _ => None,
    }
}
