//! The outbox's one statement ([`owed_deliveries`]): the pending deliveries of a change, written
//! in the change's own transaction for those of the candidate endpoints whose scope covers it.

use super::Dialect;
use super::facts::on_path_of;

/// Inserts a pending delivery of the change numbered parameter 3 (its event: parameter 4, at
/// parameter 5) for each of `endpoints` candidate endpoints that still exists, is enabled and
/// whose scope covers a change in project parameter 1 (or none: null) and group parameter 2 (or
/// none): the whole system, the project, or the group or any of its ancestors — decoded from the
/// group's path in the same statement. Parameters 6, 7, 8, 9, … pair each new delivery's id with
/// its candidate endpoint's id.
pub fn owed_deliveries(d: Dialect, endpoints: usize, pending: &str) -> String {
    let pairs: Vec<String> = (0..endpoints)
        .map(|i| format!("({}, {})", d.param(6 + 2 * i), d.param(7 + 2 * i)))
        .collect();
    format!(
        "INSERT INTO webhook_deliveries
    (id, webhook_id, kind, revision, event_id, state, attempts, next_attempt_at, created_at,
     updated_at)
SELECT owed.column1, w.id, 'change', {revision}, {event}, '{pending}', 0, {now}, {now}, {now}
FROM (VALUES {pairs}) AS owed
JOIN webhooks w ON w.id = owed.column2
LEFT JOIN groups g ON g.id = {group}
WHERE w.enabled AND (
    (w.group_id IS NULL AND w.project_id IS NULL)
    OR w.project_id = {project}
    OR {on_path})",
        revision = d.param(3),
        event = d.param(4),
        now = d.param(5),
        pairs = pairs.join(", "),
        group = d.param(2),
        project = d.param(1),
        on_path = on_path_of(d, "w.group_id"),
    )
}
