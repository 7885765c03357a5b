//! The revision counter's statements: [`RECORD`] numbers a change and stores its audit event in
//! one statement, [`record_owing`] also queues its webhook deliveries; [`NEW_WEBHOOKS_VERSION`]
//! marks a change to the webhook endpoints.

use std::sync::LazyLock;

use super::webhooks::{OwedFrom, insert_owed};
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
pub static RECORD: LazyLock<Prepared> = LazyLock::new(|| Prepared::new(|d| record(d, None)));

/// [`RECORD`], and with it the change's pending deliveries for `endpoints` candidate endpoints
/// (with [`super::webhooks::owed_deliveries`]'s checks), provided the endpoints' version is
/// still parameter 11; parameters 12, 13, … pair each new delivery's id with its endpoint's id.
/// Returns [`RECORD`]'s row, and a row of nulls for each delivery queued.
///
/// On PostgreSQL one more data-modifying CTE, so that the counter's row lock is held across one
/// statement fewer before the commit; on SQLite a second statement sent in the same call (its
/// absolute parameter numbers share the first's values), reading the counter the first moved.
pub fn record_owing(d: Dialect, endpoints: usize, pending: &str) -> String {
    record(d, Some((endpoints, pending)))
}

fn record(d: Dialect, owing: Option<(usize, &str)>) -> String {
    let values: Vec<String> = [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        .iter()
        .map(|&n| d.param(n))
        .collect();
    let values = values.join(", ");
    let owed = owing.map(|(endpoints, pending)| {
        let (event, now, group, project) = (d.param(1), d.param(2), d.param(7), d.param(8));
        let expected = d.param(11);
        let (from, only_if) = match d {
            Dialect::Postgres => (
                "counter, ",
                format!("counter.webhooks_version = {expected} AND "),
            ),
            Dialect::Sqlite => (
                "revisions counter, ",
                format!("counter.id = 1 AND counter.webhooks_version = {expected} AND "),
            ),
        };
        let from = OwedFrom {
            project: &project,
            group: &group,
            revision: "counter.revision",
            event: &event,
            now: &now,
            first_pair: 12,
            from,
            only_if: &only_if,
        };
        insert_owed(d, endpoints, pending, &from)
    });
    match d {
        Dialect::Postgres => {
            let (owed_cte, owed_rows) = match owed {
                Some(owed) => (
                    format!(",\nqueued AS (\n{owed}\n    RETURNING id)"),
                    "\nUNION ALL SELECT NULL, NULL FROM queued",
                ),
                None => (String::new(), ""),
            };
            format!(
                "WITH counter AS (
    UPDATE revisions SET revision = revision + 1 WHERE id = 1
    RETURNING revision, webhooks_version),
event AS (
    INSERT INTO audit_events ({EVENT_COLUMNS})
    SELECT {values}, counter.revision FROM counter
    RETURNING revision){owed_cte}
SELECT event.revision, counter.webhooks_version FROM event, counter{owed_rows}"
            )
        }
        Dialect::Sqlite => {
            let record = format!(
                "INSERT INTO audit_events ({EVENT_COLUMNS})
SELECT {values}, revision + 1 FROM revisions WHERE id = 1
RETURNING revision, (SELECT webhooks_version FROM revisions WHERE id = 1)"
            );
            match owed {
                Some(owed) => format!("{record};\n{owed}\nRETURNING NULL, NULL"),
                None => record,
            }
        }
    }
}

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
