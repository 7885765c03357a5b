//! Use cases on SeaORM. Services know no HTTP: they take a [`guard::Subject`] (and, for lists, a
//! [`window::Window`]), decide through [`access`] and [`guard::allow`], change state through
//! [`write::write_as`], and return rows and typed [`crate::error::ApiError`]s; the routes build
//! pages, field names and representations.

pub mod access;
pub mod audit;
pub mod bootstrap;
pub mod changes;
pub mod check;
pub mod console_sessions;
pub mod demo;
pub mod group_members;
pub mod groups;
pub mod guard;
pub mod idp_bindings;
pub mod idp_sync;
pub mod lookup;
pub mod memory;
pub mod org_chart;
pub mod plain_writes;
pub mod project_members;
pub mod projects;
pub mod reporting;
pub mod scim;
pub mod scim_tokens;
pub mod sources;
pub mod squads;
pub mod turns;
pub mod users;
pub mod webhooks;
pub mod window;
pub mod write;

/// What an upsert did with the row it returns: the route answers 201 for `Created` and 200
/// otherwise, and only `Unchanged` wrote nothing (no audit event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted<T> {
    Created(T),
    Updated(T),
    Unchanged(T),
}

impl<T> Upserted<T> {
    pub fn created(&self) -> bool {
        matches!(self, Self::Created(_))
    }

    pub fn into_inner(self) -> T {
        match self {
            Self::Created(row) | Self::Updated(row) | Self::Unchanged(row) => row,
        }
    }
}

/// The slug of a new group or project: the one given, or one derived from the name (400 naming
/// `slug` when the name has nothing to derive it from).
pub(crate) fn slug_or_derived(
    given: Option<&domain::Slug>,
    name: &domain::Name,
) -> Result<domain::Slug, crate::error::ApiError> {
    match given {
        Some(slug) => Ok(slug.clone()),
        None => domain::Slug::from_name(name).map_err(|_| {
            crate::error::ApiError::invalid("slug", "cannot be derived from the name; give one")
        }),
    }
}

/// 409 `conflict` saying `clash` when `query` finds a row other than `except` (the row being
/// renamed or moved, identified by its `id` column): the friendly face of a unique index.
pub(crate) async fn ensure_unclaimed<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    query: sea_orm::Select<E>,
    id: E::Column,
    except: Option<uuid::Uuid>,
    clash: impl FnOnce() -> String,
) -> Result<(), crate::error::ApiError>
where
    E::Model: Send + Sync,
{
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let query = match except {
        Some(except) => query.filter(id.ne(except)),
        None => query,
    };
    if query.count(db).await? > 0 {
        Err(crate::error::ApiError::Conflict(clash()))
    } else {
        Ok(())
    }
}
