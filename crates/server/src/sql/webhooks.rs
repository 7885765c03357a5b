//! The outbox's one statement ([`owed_deliveries`]): the pending deliveries of a change, written
//! in the change's own transaction for those of the candidate endpoints whose scope covers it.

use super::Dialect;
use super::facts::on_path_of;

/// Where the outbox's insert takes each of its values from: SQL expressions (parameters, or a
/// column of a source named in `from`).
pub struct OwedFrom<'a> {
    pub project: &'a str,
    pub group: &'a str,
    pub revision: &'a str,
    pub event: &'a str,
    pub now: &'a str,
    /// The parameter of the first new delivery's id; its endpoint's id follows, then the next
    /// pair.
    pub first_pair: usize,
    /// More sources, each followed by a comma (`""`: none).
    pub from: &'a str,
    /// One more condition, followed by `AND` (`""`: none).
    pub only_if: &'a str,
}

/// Inserts a pending delivery of the change numbered parameter 3 (its event: parameter 4, at
/// parameter 5) for each of `endpoints` candidate endpoints that still exists, is enabled and
/// whose scope covers a change in project parameter 1 (or none: null) and group parameter 2 (or
/// none): the whole system, the project, or the group or any of its ancestors — decoded from the
/// group's path in the same statement. Parameters 6, 7, 8, 9, … pair each new delivery's id with
/// its candidate endpoint's id.
pub fn owed_deliveries(d: Dialect, endpoints: usize, pending: &str) -> String {
    let (project, group, revision, event, now) =
        (d.param(1), d.param(2), d.param(3), d.param(4), d.param(5));
    insert_owed(
        d,
        endpoints,
        pending,
        &OwedFrom {
            project: &project,
            group: &group,
            revision: &revision,
            event: &event,
            now: &now,
            first_pair: 6,
            from: "",
            only_if: "",
        },
    )
}

/// [`owed_deliveries`] with its values taken from `from`.
pub fn insert_owed(d: Dialect, endpoints: usize, pending: &str, from: &OwedFrom<'_>) -> String {
    let pairs: Vec<String> = (0..endpoints)
        .map(|i| {
            let first = from.first_pair + 2 * i;
            format!("({}, {})", d.param(first), d.param(first + 1))
        })
        .collect();
    format!(
        "INSERT INTO webhook_deliveries
    (id, webhook_id, kind, revision, event_id, state, attempts, next_attempt_at, created_at,
     updated_at)
SELECT owed.column1, w.id, 'change', {revision}, {event}, '{pending}', 0, {now}, {now}, {now}
FROM {sources}(VALUES {pairs}) AS owed
JOIN webhooks w ON w.id = owed.column2
LEFT JOIN groups g ON g.id = {group}
WHERE {only_if}w.enabled AND (
    (w.group_id IS NULL AND w.project_id IS NULL)
    OR w.project_id = {project}
    OR {on_path})",
        revision = from.revision,
        event = from.event,
        now = from.now,
        sources = from.from,
        pairs = pairs.join(", "),
        group = from.group,
        only_if = from.only_if,
        project = from.project,
        on_path = on_path_of(d, "w.group_id"),
    )
}
