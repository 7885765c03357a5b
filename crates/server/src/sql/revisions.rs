//! The revision counter's statements: [`RECORD`] numbers a change and stores its audit event in
//! one statement; [`NEW_WEBHOOKS_VERSION`] marks a change to the webhook endpoints.

use std::sync::LazyLock;

use super::{Dialect, Prepared};

/// The audit event's columns, bound to parameters 1 to 10 in this order (the time twice).
const EVENT_COLUMNS: &str = "id, occurred_at, created_at, actor_id, action, resource_type, \
     resource_id, group_id, project_id, details, access, revision";

/// Advances the counter and stores the audit event with the revision it got: id, time, actor,
/// action, resource type, resource id, group, project, details and access in parameters 1 to
/// 10. Returns the revision and the webhook endpoints' version.
///
/// On PostgreSQL the counter's update is a data-modifying CTE: its row lock, held to the commit,
/// orders the writers. SQLite has no such CTE, and needs no lock (it admits one writer at a
/// time): the event takes the counter's next number, and the trigger of migration m0012 moves
/// the counter to it in the same statement.
pub static RECORD: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        let values: Vec<String> = [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10]
            .iter()
            .map(|&n| d.param(n))
            .collect();
        let values = values.join(", ");
        match d {
            Dialect::Postgres => format!(
                "WITH counter AS (
    UPDATE revisions SET revision = revision + 1 WHERE id = 1
    RETURNING revision, webhooks_version),
event AS (
    INSERT INTO audit_events ({EVENT_COLUMNS})
    SELECT {values}, counter.revision FROM counter
    RETURNING revision)
SELECT event.revision, counter.webhooks_version FROM event, counter"
            ),
            Dialect::Sqlite => format!(
                "INSERT INTO audit_events ({EVENT_COLUMNS})
SELECT {values}, revision + 1 FROM revisions WHERE id = 1
RETURNING revision, (SELECT webhooks_version FROM revisions WHERE id = 1)"
            ),
        }
    })
});

/// Sets the webhook endpoints' version to parameter 1, in a change that altered an endpoint
/// (before [`RECORD`], which then returns it).
pub static NEW_WEBHOOKS_VERSION: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        format!(
            "UPDATE revisions SET webhooks_version = {} WHERE id = 1",
            d.param(1)
        )
    })
});
