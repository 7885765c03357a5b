//! Reporting lines read per person: the chain of managers above a member ([`CHAIN`]) and the
//! members below one, directly or transitively ([`REPORTS`], [`reports`]) — each one statement,
//! walking `reports_to` inside the database (recursive CTEs, indexed by
//! `ix_project_members_reports_to`), so a chain or a page costs one round trip however deep.

use std::sync::LazyLock;

use super::{Dialect, Prepared};

/// The columns of a `project_members` row aliased `pm` with its user's `display_name`, as
/// `entity::project_members::Model` reads them (the role as text: an enum on PostgreSQL).
fn named_member_columns(d: Dialect) -> String {
    format!(
        "pm.id, pm.project_id, pm.user_id, {role} AS role, pm.reports_to, pm.reports_to_explicit,
       pm.created_at, pm.updated_at, u.display_name",
        role = d.text("pm.role")
    )
}

/// The member (parameter 2) of project (parameter 1) at `depth` 0 and each manager above them
/// at depth 1, 2, …, nearest first: no row when the user is not a member.
///
/// Lines point at strictly stronger members, so a chain has fewer links than there are project
/// roles; the depth bound only keeps a corrupted database (a cycle) from looping.
pub static CHAIN: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        let (project, user) = (d.param(1), d.param(2));
        format!(
            "WITH RECURSIVE up(user_id, depth) AS (
    SELECT user_id, 0 FROM project_members WHERE project_id = {project} AND user_id = {user}
    UNION ALL
    SELECT pm.reports_to, up.depth + 1
    FROM project_members pm JOIN up ON pm.user_id = up.user_id
    WHERE pm.project_id = {project} AND pm.reports_to IS NOT NULL AND up.depth < {bound}
)
SELECT up.depth, {columns}
FROM up
JOIN project_members pm ON pm.project_id = {project} AND pm.user_id = up.user_id
JOIN users u ON u.id = pm.user_id
ORDER BY up.depth",
            bound = domain::ProjectRole::ALL.len(),
            columns = named_member_columns(d),
        )
    })
});

/// The reports of a member, one page of them and how many there are in all, in one statement
/// (one snapshot, so `total` and the page agree): [`REPORTS`] for the direct reports,
/// [`TRANSITIVE_REPORTS`] for everyone below.
pub fn reports(transitive: bool) -> &'static Prepared {
    if transitive {
        &TRANSITIVE_REPORTS
    } else {
        &REPORTS
    }
}

/// The direct reports of the member (parameter 2) of project (parameter 1): see
/// [`reports_statement`].
pub static REPORTS: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| reports_statement(d, false)));

/// Everyone below the member (parameter 2) of project (parameter 1), at any depth.
pub static TRANSITIVE_REPORTS: LazyLock<Prepared> =
    LazyLock::new(|| Prepared::new(|d| reports_statement(d, true)));

/// `total` (all the reports) on every row, and the page: the reports whose user id is greater
/// than parameter 3, in user id order, at most parameter 4 of them. An empty page is one row
/// with `total` and nulls, so the count comes back even then.
fn reports_statement(d: Dialect, transitive: bool) -> String {
    let (project, user, after, limit) = (d.param(1), d.param(2), d.param(3), d.param(4));
    // UNION (not UNION ALL) also ends the walk on a cycle a corrupted database might hold.
    let deeper = if transitive {
        format!(
            "
    UNION
    SELECT pm.user_id FROM project_members pm JOIN below b ON pm.reports_to = b.user_id
    WHERE pm.project_id = {project}"
        )
    } else {
        String::new()
    };
    format!(
        "WITH RECURSIVE below(user_id) AS (
    SELECT user_id FROM project_members WHERE project_id = {project} AND reports_to = {user}{deeper}
),
counted(total) AS (SELECT COUNT(*) FROM below)
SELECT c.total, page.*
FROM counted c LEFT JOIN (
    SELECT {columns}
    FROM project_members pm JOIN users u ON u.id = pm.user_id
    WHERE pm.project_id = {project} AND pm.user_id IN (SELECT user_id FROM below)
      AND pm.user_id > {after}
    ORDER BY pm.user_id
    LIMIT {limit}
) page ON 1 = 1
ORDER BY page.user_id",
        columns = named_member_columns(d),
    )
}
