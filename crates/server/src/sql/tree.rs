//! Backend-specific pieces of the group tree: "in this subtree" and moving a subtree's paths.
//!
//! PostgreSQL stores `groups.path` as `ltree` (GiST-indexed, queried with `<@`); SQLite stores
//! text, where fixed-length hex labels make "the descendants of p" exactly the B-tree range
//! `(p || '.', p || '/')`, since '/' is the character after '.'.

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use std::sync::LazyLock;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr};

use super::{Dialect, Prepared};

use entity::groups::Column;

/// Groups at or below `path` (`include_self`) or strictly below it.
pub fn subtree(backend: DbBackend, path: &domain::GroupPath, include_self: bool) -> SimpleExpr {
    let p = path.as_str();
    let below = match backend {
        DbBackend::Postgres => {
            let within =
                Expr::cust_with_values(r#""groups"."path" <@ CAST($1 AS ltree)"#, [p.to_owned()]);
            if include_self {
                return within;
            }
            return within.and(Column::Path.ne(p));
        }
        _ => Column::Path
            .gt(format!("{p}."))
            .and(Column::Path.lt(format!("{p}/"))),
    };
    if include_self {
        below.or(Column::Path.eq(p))
    } else {
        below
    }
}

/// Groups at or below any of `roots`. On PostgreSQL one `<@ ANY` over an `ltree[]`: a chain of
/// `OR`ed casts is re-evaluated row by row once the server switches to a generic plan (the
/// lookup benchmark measured 60× slower pages).
pub fn in_any_subtree(backend: DbBackend, roots: &[domain::GroupPath]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            // One text parameter in array syntax (`{a.b,c}`), cast by PostgreSQL's input
            // function: paths are hex digits and dots, which need no quoting there.
            let paths: Vec<&str> = roots.iter().map(domain::GroupPath::as_str).collect();
            Expr::cust_with_values(
                r#""groups"."path" <@ ANY (CAST($1 AS ltree[]))"#,
                [format!("{{{}}}", paths.join(","))],
            )
        }
        _ => roots
            .iter()
            .map(|root| subtree(backend, root, true))
            .reduce(|any, next| any.or(next))
            .unwrap_or_else(|| Expr::val(false)),
    }
}

/// Rewrites the paths and depths of the subtree at `old` so that it hangs at `new`.
pub async fn rewrite_subtree_paths(
    db: &impl ConnectionTrait,
    old: &domain::GroupPath,
    new: &domain::GroupPath,
) -> Result<u64, DbErr> {
    let delta = i32::from(new.depth()) - i32::from(old.depth());
    // `substr` is 1-based: keep what follows the old prefix.
    let rest_starts_at = i32::try_from(old.as_str().len()).unwrap_or(i32::MAX) + 1;
    let statement = REWRITE_SUBTREE.statement(
        db.get_database_backend(),
        [
            new.as_str().into(),
            rest_starts_at.into(),
            delta.into(),
            old.as_str().into(),
        ],
    );
    Ok(db.execute_raw(statement).await?.rows_affected())
}

/// `UPDATE groups` of the subtree at parameter 4: the prefix replaced by parameter 1 (the rest
/// of each path starts at character parameter 2), the depth moved by parameter 3.
static REWRITE_SUBTREE: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        let (new, rest_at, delta, old) = (d.param(1), d.param(2), d.param(3), d.param(4));
        let in_subtree = match d {
            Dialect::Postgres => format!("path <@ CAST({old} AS ltree)"),
            Dialect::Sqlite => {
                format!("(path = {old} OR (path > {old} || '.' AND path < {old} || '/'))")
            }
        };
        format!(
            "UPDATE groups SET path = {}, depth = depth + {delta} WHERE {in_subtree}",
            d.path(&format!("{new} || substr({}, {rest_at})", d.text("path")))
        )
    })
});
