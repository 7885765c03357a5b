//! The statements on the hot path of every decision: the caller ([`PRINCIPAL`]), a group with
//! the subject's memberships on its path ([`GROUP_FACTS`]), and a project or squad with the
//! subject's memberships that decide there ([`PROJECT_FACTS`], [`SQUAD_FACTS`]) — each one round
//! trip, whether the resource exists or not.
//!
//! A deactivated user's memberships stay in their tables but grant nothing (spec §11): every
//! statement that turns a membership into access keeps only those whose holder is active
//! ([`active_holder`], one primary-key probe of `users` per membership read). Squad
//! memberships need no such test: they only narrow a project role, which already has it.

use std::sync::LazyLock;

use super::{Dialect, Prepared};

/// The user row (parameter 1) and the group of their `system_admin` membership, if any, as
/// `system_admin_at` (found through the `group_members (user_id, …)` index).
pub static PRINCIPAL: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        format!(
            "SELECT u.id, u.email, u.display_name, u.user_name, u.external_id, u.active,
       u.given_name, u.family_name, u.email_type, u.manager_id, u.created_at, u.updated_at,
       (SELECT m.group_id FROM group_members m
         WHERE m.user_id = u.id AND m.role = 'system_admin' LIMIT 1) AS system_admin_at
FROM users u WHERE u.id = {}",
            d.param(1)
        )
    })
});

/// The group (parameter 1) joined with the memberships of a user (parameter 2) on its path,
/// and those groups' names: one row per membership on the path, one row with nulls when there
/// is none (or the user is deactivated), no row when the group does not exist.
///
/// The path's labels are decoded into ids by the database itself, so the memberships are found
/// through the `(user_id, group_id)` unique index in the same statement: PostgreSQL splits the
/// `ltree` into a `uuid[]`; SQLite reads label `k` as `unhex(substr(path, 1 + 33·k, 32))` for
/// `k` in 0..=depth (each label is 32 hex digits and a dot; depth ≤ 20; ids are 16-byte blobs).
pub static GROUP_FACTS: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        let on_path = on_path_of_g(d);
        format!(
            "SELECT g.id, g.parent_id, g.name, g.slug, {path} AS path, g.depth, g.created_at,
       g.updated_at, m.group_id AS member_group_id, {role} AS member_role,
       mg.name AS member_group_name
FROM groups g
LEFT JOIN group_members m ON m.user_id = {user} AND {on_path} AND {active}
LEFT JOIN groups mg ON mg.id = m.group_id
WHERE g.id = {group}",
            path = d.text("g.path"),
            role = d.text("m.role"),
            active = active_holder("m.user_id"),
            user = d.param(2),
            group = d.param(1),
        )
    })
});

/// `m.group_id` is one of the groups on the path of the group aliased `g`.
fn on_path_of_g(d: Dialect) -> String {
    on_path_of(d, "m.group_id")
}

/// `column` is one of the groups on the path of the group aliased `g`: the path's labels
/// decoded by the database, as [`GROUP_FACTS`] explains.
pub(crate) fn on_path_of(d: Dialect, column: &str) -> String {
    match d {
        Dialect::Postgres => {
            format!("{column} = ANY (CAST(string_to_array(CAST(g.path AS text), '.') AS uuid[]))")
        }
        Dialect::Sqlite => {
            let labels: Vec<String> = (0..=domain::MAX_GROUP_DEPTH)
                .map(|k| format!("({k})"))
                .collect();
            format!(
                "{column} IN (
     SELECT unhex(substr(g.path, 1 + 33 * k.column1, 32))
     FROM (VALUES {}) AS k
     WHERE k.column1 <= g.depth)",
                labels.join(", ")
            )
        }
    }
}

/// "The user `user_column` names is active": a condition on a membership row, so that a
/// deactivated user's memberships grant nothing. The `users` primary key answers it.
pub(crate) fn active_holder(user_column: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM users holder
        WHERE holder.id = {user_column} AND holder.active)"
    )
}

/// [`active_holder`] for a SeaORM query over `table` (a table name or alias with a `user_id`
/// column): the membership it reads is held by an active user.
pub fn held_by_active_user(table: &str) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::cust(active_holder(&format!(r#""{table}"."user_id""#)))
}

/// Everything that decides the effective roles at a node, for a change's effective-access
/// deltas: the deciding group's path (the group's own, or the project's owning group's) with the
/// memberships on it and every `system_admin` membership, of one user (parameter 2) in the
/// `_ONE` forms or of everyone in the `_ALL` forms. One row per membership, one row with nulls
/// when there is none, no row when the group or project (parameter 1) does not exist.
///
/// Each row says whether the user it is about (the one user, or the membership's holder) is
/// active, as `holder_active`: a deactivated user's memberships are read like anyone's — a
/// change to one must find it — and the deltas count them for nothing.
pub static GROUP_NODE_ONE: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| node_memberships(d, false, true)));
/// See [`GROUP_NODE_ONE`].
pub static GROUP_NODE_ALL: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| node_memberships(d, false, false)));
/// See [`GROUP_NODE_ONE`].
pub static PROJECT_NODE_ONE: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| node_memberships(d, true, true)));
/// See [`GROUP_NODE_ONE`].
pub static PROJECT_NODE_ALL: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| node_memberships(d, true, false)));

fn node_memberships(d: Dialect, project: bool, one_user: bool) -> String {
    let (from, key) = if project {
        ("projects p JOIN groups g ON g.id = p.group_id", "p.id")
    } else {
        ("groups g", "g.id")
    };
    let (user, holder) = if one_user {
        (format!("m.user_id = {} AND ", d.param(2)), d.param(2))
    } else {
        (String::new(), "m.user_id".to_owned())
    };
    // The role as a literal, so that PostgreSQL may use the partial system-admin index.
    format!(
        "SELECT {path} AS path, m.user_id AS member_user_id, m.group_id AS member_group_id,
       {role} AS member_role, m.id AS member_id, m.created_at AS member_created_at,
       m.updated_at AS member_updated_at, holder.active AS holder_active
FROM {from}
LEFT JOIN group_members m ON {user}({on_path} OR m.role = 'system_admin')
LEFT JOIN users holder ON holder.id = {holder}
WHERE {key} = {id}",
        path = d.text("g.path"),
        role = d.text("m.role"),
        on_path = on_path_of_g(d),
        id = d.param(1),
    )
}

/// What deciding at a project needs, in one statement: the project (columns prefixed `p_`),
/// its owning group's path, the subject's (parameter 2) memberships on that path, and their own
/// role in the project (neither, when the subject is deactivated). One row per membership on
/// the path (or one with nulls); no row when the project (parameter 1) does not exist — so a
/// project that exists but is hidden from the subject costs the same one round trip as one
/// that does not exist.
pub static PROJECT_FACTS: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| project_facts(d, false)));

/// As [`PROJECT_FACTS`] for the squad (parameter 1, columns prefixed `s_`) and its project.
pub static SQUAD_FACTS: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| project_facts(d, true)));

fn project_facts(d: Dialect, squad: bool) -> String {
    let (squad_columns, from, key) = if squad {
        (
            "s.id AS s_id, s.project_id AS s_project_id, s.parent_id AS s_parent_id,
       s.parent_depth AS s_parent_depth, s.name AS s_name, s.depth AS s_depth,
       s.created_at AS s_created_at, s.updated_at AS s_updated_at,",
            "squads s JOIN projects p ON p.id = s.project_id",
            "s.id",
        )
    } else {
        ("", "projects p", "p.id")
    };
    format!(
        "SELECT {squad_columns}
       p.id AS p_id, p.group_id AS p_group_id, p.name AS p_name, p.slug AS p_slug,
       p.created_at AS p_created_at, p.updated_at AS p_updated_at,
       {path} AS group_path, m.group_id AS member_group_id, {role} AS member_role,
       {own} AS own_role
FROM {from}
JOIN groups g ON g.id = p.group_id
LEFT JOIN group_members m ON m.user_id = {user} AND {on_path} AND {member_active}
LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = {user} AND {own_active}
WHERE {key} = {id}",
        member_active = active_holder("m.user_id"),
        own_active = active_holder("pm.user_id"),
        path = d.text("g.path"),
        role = d.text("m.role"),
        own = d.text("pm.role"),
        on_path = on_path_of_g(d),
        user = d.param(2),
        id = d.param(1),
    )
}

/// "This `group_members` row is a `system_admin` membership", with the role as a literal in the
/// statement: only then can PostgreSQL use the partial index `ix_group_members_system_admins`
/// (a bound parameter leaves the planner unable to prove the index's predicate, and the
/// benchmark measured a whole-table scan, 63 ms at 10⁶ memberships).
pub fn system_admin_membership() -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::cust(format!(
        r#""group_members"."role" = '{}'"#,
        domain::GroupRole::SystemAdmin.as_str()
    ))
}
