//! Backend-specific pieces of the group tree: "in this subtree" and moving a subtree's paths.
//!
//! PostgreSQL stores `groups.path` as `ltree` (GiST-indexed, queried with `<@`); SQLite stores
//! text, where fixed-length hex labels make "the descendants of p" exactly the B-tree range
//! `(p || '.', p || '/')`, since '/' is the character after '.'.

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, Statement};

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

/// Rewrites the paths and depths of the subtree at `old` so that it hangs at `new`.
pub async fn rewrite_subtree_paths(
    db: &impl ConnectionTrait,
    old: &domain::GroupPath,
    new: &domain::GroupPath,
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let delta = i32::from(new.depth()) - i32::from(old.depth());
    // `substr` is 1-based: keep what follows the old prefix.
    let rest_starts_at = i32::try_from(old.as_str().len()).unwrap_or(i32::MAX) + 1;
    let (new, old) = (new.as_str(), old.as_str());
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            r#"UPDATE groups
               SET path = CAST($1 || substr(CAST(path AS text), $2) AS ltree), depth = depth + $3
               WHERE path <@ CAST($4 AS ltree)"#,
            [new.into(), rest_starts_at.into(), delta.into(), old.into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            r#"UPDATE groups
               SET path = ? || substr(path, ?), depth = depth + ?
               WHERE path = ? OR (path > ? || '.' AND path < ? || '/')"#,
            [
                new.into(),
                rest_starts_at.into(),
                delta.into(),
                old.into(),
                old.into(),
                old.into(),
            ],
        ),
    };
    let result = db.execute_raw(statement).await?;
    Ok(result.rows_affected())
}
