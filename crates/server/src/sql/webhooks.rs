//! The endpoints a change is owed to ([`ENDPOINTS_IN_SCOPE`]), read in the change's own
//! transaction by the outbox.

use std::sync::LazyLock;

use super::Prepared;
use super::facts::on_path_of;

/// The enabled endpoints whose scope covers a change in project parameter 1 (or none: null)
/// and group parameter 2 (or none): those of the whole system, of the project, and of the group
/// or any of its ancestors — the ancestors decoded from the group's path in the same statement.
pub static ENDPOINTS_IN_SCOPE: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        format!(
            "SELECT w.* FROM webhooks w
LEFT JOIN groups g ON g.id = {group}
WHERE w.enabled AND (
    (w.group_id IS NULL AND w.project_id IS NULL)
    OR w.project_id = {project}
    OR {on_path})",
            group = d.param(2),
            project = d.param(1),
            on_path = on_path_of(d, "w.group_id"),
        )
    })
});
