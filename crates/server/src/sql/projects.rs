//! The projects a subject may view, one page in one statement ([`visible`]): the projects in
//! the subtree of a group where one of their memberships bridges to project admin, and the
//! projects they are a member of — read from the memberships outwards, so the cost follows
//! what the subject holds, not how many projects there are. A deactivated subject's
//! memberships count for nothing (`facts::active_holder`).
//!
//! Which roles count is asked of `domain`, once, when the statements are built: a group role
//! counts when the project grant it bridges to may view, a project role when a member holding
//! it may view at the project. No role is compared here.

use std::sync::LazyLock;

use super::{Dialect, Prepared};
use domain::Capability;

/// Whether a membership holding group role `role` lets its holder view every project in the
/// group's subtree: the bridge of `domain::effective_project_role`.
fn group_role_views_projects(role: domain::GroupRole) -> bool {
    let at = domain::effective_group_role(None, &[(uuid::Uuid::nil(), role)]);
    let bridged = at.and_then(domain::ProjectGrant::bridged);
    domain::decide_project(
        Capability::ProjectView,
        domain::effective_at_project(bridged),
    )
    .allowed()
}

/// Whether a member holding project role `role` may view their project.
fn project_role_views_project(role: domain::ProjectRole) -> bool {
    let own = domain::ProjectGrant::own(uuid::Uuid::nil(), role);
    domain::decide_project(
        Capability::ProjectView,
        domain::effective_at_project(Some(own)),
    )
    .allowed()
}

/// `column IN ('a', 'b', …)` for the role names given, or a false condition when there are
/// none. The names come from the role table, never from a client.
fn among(column: &str, names: Vec<&'static str>) -> String {
    if names.is_empty() {
        return "1 = 0".to_owned();
    }
    let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
    format!("{column} IN ({})", quoted.join(", "))
}

/// `inner` is the path of a group at or below the group whose path is `outer`.
fn at_or_below(d: Dialect, inner: &str, outer: &str) -> String {
    match d {
        Dialect::Postgres => format!("{inner} <@ {outer}"),
        // Fixed-length hex labels: the descendants of `outer` are the range between
        // `outer.` and `outer/` ('/' follows '.'), as in `sql::tree`.
        Dialect::Sqlite => format!(
            "({inner} = {outer} OR ({inner} > {outer} || '.' AND {inner} < {outer} || '/'))"
        ),
    }
}

/// Which statement: a system admin views every project (no membership filter); `within` limits
/// the page to a group's subtree.
#[derive(Debug, Clone, Copy)]
pub struct Visible {
    pub system_admin: bool,
    pub within: bool,
}

/// The statement for `which`. Its parameters: 1 the key after which the page starts (a project
/// id), 2 the page size, then 3 the path of the `within` group (when `within`), then the
/// subject's user id (unless `system_admin`). Columns: the project's, and its owning group's
/// path as `group_path`.
pub fn visible(which: Visible) -> &'static Prepared {
    let index = usize::from(which.system_admin) * 2 + usize::from(which.within);
    &VISIBLE[index]
}

static VISIBLE: LazyLock<[Prepared; 4]> = LazyLock::new(|| {
    [(false, false), (false, true), (true, false), (true, true)].map(|(system_admin, within)| {
        Prepared::new(|d| {
            visible_statement(
                d,
                Visible {
                    system_admin,
                    within,
                },
            )
        })
    })
});

fn visible_statement(d: Dialect, which: Visible) -> String {
    let mut next = 3;
    let mut condition = String::new();
    if which.within {
        let path = d.path(&d.param(next));
        next += 1;
        condition.push_str(&format!("\n  AND {}", at_or_below(d, "g.path", &path)));
    }
    if !which.system_admin {
        let user = d.param(next);
        let bridging: Vec<&'static str> = domain::GroupRole::ALL
            .into_iter()
            .filter(|r| group_role_views_projects(*r))
            .map(|r| r.as_str())
            .collect();
        let viewing: Vec<&'static str> = domain::ProjectRole::ALL
            .into_iter()
            .filter(|r| project_role_views_project(*r))
            .map(|r| r.as_str())
            .collect();
        condition.push_str(&format!(
            "
  AND p.id IN (
    SELECT vp.id
    FROM group_members m
    JOIN groups b ON b.id = m.group_id
    JOIN groups vg ON {below}
    JOIN projects vp ON vp.group_id = vg.id
    WHERE m.user_id = {user} AND {bridging} AND {member_active}
    UNION
    SELECT pm.project_id FROM project_members pm
    WHERE pm.user_id = {user} AND {viewing} AND {own_active})",
            below = at_or_below(d, "vg.path", "b.path"),
            member_active = super::facts::active_holder("m.user_id"),
            own_active = super::facts::active_holder("pm.user_id"),
            bridging = among(&d.text("m.role"), bridging),
            viewing = among(&d.text("pm.role"), viewing),
        ));
    }
    format!(
        "SELECT p.id, p.group_id, p.name, p.slug, p.created_at, p.updated_at,
       {path} AS group_path
FROM projects p
JOIN groups g ON g.id = p.group_id
WHERE p.id > {after}{condition}
ORDER BY p.id
LIMIT {limit}",
        path = d.text("g.path"),
        after = d.param(1),
        limit = d.param(2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The roles that see projects follow the role table: today, a bridging group role is a
    /// system or group admin, and every project role views its project.
    #[test]
    fn the_roles_that_view_come_from_the_domain() {
        let bridging: Vec<_> = domain::GroupRole::ALL
            .into_iter()
            .filter(|r| group_role_views_projects(*r))
            .collect();
        assert_eq!(
            bridging,
            [
                domain::GroupRole::SystemAdmin,
                domain::GroupRole::GroupAdmin
            ]
        );
        assert!(
            domain::ProjectRole::ALL
                .into_iter()
                .all(project_role_views_project)
        );
    }

    #[test]
    fn each_statement_binds_its_parameters_in_order() {
        for system_admin in [false, true] {
            for within in [false, true] {
                let which = Visible {
                    system_admin,
                    within,
                };
                let sql = visible_statement(Dialect::Postgres, which);
                let count = 2 + usize::from(within) + usize::from(!system_admin);
                assert!(sql.contains(&format!("${count}")), "{sql}");
                assert!(!sql.contains(&format!("${}", count + 1)), "{sql}");
            }
        }
    }
}
