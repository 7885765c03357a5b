//! The statements on the hot path of every decision: the caller ([`PRINCIPAL`]) and a group
//! with the subject's memberships on its path ([`GROUP_FACTS`]), each one round trip.

use std::sync::LazyLock;

use super::{Dialect, Prepared};

/// The user row (parameter 1) and the group of their `system_admin` membership, if any, as
/// `system_admin_at` (found through the `group_members (user_id, …)` index).
pub static PRINCIPAL: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        format!(
            "SELECT u.id, u.email, u.display_name, u.created_at, u.updated_at,
       (SELECT m.group_id FROM group_members m
         WHERE m.user_id = u.id AND m.role = 'system_admin' LIMIT 1) AS system_admin_at
FROM users u WHERE u.id = {}",
            d.param(1)
        )
    })
});

/// The group (parameter 1) joined with the memberships of a user (parameter 2) on its path,
/// and those groups' names: one row per membership on the path, one row with nulls when there
/// is none, no row when the group does not exist.
///
/// The path's labels are decoded into ids by the database itself, so the memberships are found
/// through the `(user_id, group_id)` unique index in the same statement: PostgreSQL splits the
/// `ltree` into a `uuid[]`; SQLite reads label `k` as `unhex(substr(path, 1 + 33·k, 32))` for
/// `k` in 0..=depth (each label is 32 hex digits and a dot; depth ≤ 20; ids are 16-byte blobs).
pub static GROUP_FACTS: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        let on_path = match d {
            Dialect::Postgres => {
                "m.group_id = ANY (CAST(string_to_array(CAST(g.path AS text), '.') AS uuid[]))"
                    .to_owned()
            }
            Dialect::Sqlite => {
                let labels: Vec<String> = (0..=domain::MAX_GROUP_DEPTH)
                    .map(|k| format!("({k})"))
                    .collect();
                format!(
                    "m.group_id IN (
     SELECT unhex(substr(g.path, 1 + 33 * k.column1, 32))
     FROM (VALUES {}) AS k
     WHERE k.column1 <= g.depth)",
                    labels.join(", ")
                )
            }
        };
        format!(
            "SELECT g.id, g.parent_id, g.name, g.slug, {path} AS path, g.depth, g.created_at,
       g.updated_at, m.group_id AS member_group_id, {role} AS member_role,
       mg.name AS member_group_name
FROM groups g
LEFT JOIN group_members m ON m.user_id = {user} AND {on_path}
LEFT JOIN groups mg ON mg.id = m.group_id
WHERE g.id = {group}",
            path = d.text("g.path"),
            role = d.text("m.role"),
            user = d.param(2),
            group = d.param(1),
        )
    })
});
