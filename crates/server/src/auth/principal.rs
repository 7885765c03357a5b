//! The authenticated caller of a request, loaded once by the middleware.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::error::ApiError;

/// Who is calling: the user behind a verified token, and whether they are a system admin.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: entity::users::Model,
    /// The group holding the caller's `system_admin` membership, if they have one anywhere.
    pub system_admin_at: Option<Uuid>,
}

impl Principal {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn is_system_admin(&self) -> bool {
        self.system_admin_at.is_some()
    }

    /// The principal for `user_id`, or `None` when that user no longer exists: the user row
    /// and their system admin membership in one statement (this runs on every request).
    pub async fn load(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<Self>, DbErr> {
        let statement =
            crate::sql::facts::PRINCIPAL.statement(db.get_database_backend(), [user_id.into()]);
        let Some(row) = db.query_one_raw(statement).await? else {
            return Ok(None);
        };
        let user = entity::users::Model::from_query_result(&row, "")?;
        let system_admin_at: Option<Uuid> = row.try_get("", "system_admin_at")?;
        Ok(Some(Self {
            user,
            system_admin_at,
        }))
    }
}

/// The group of `user_id`'s `system_admin` membership, if any, whether or not the user is
/// active (they still hold it). Decisions take a subject's standing from `Subject::load`, and
/// the last-admin rules count active admins ([`count_other_active_system_admins`]).
pub async fn system_admin_group(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<Uuid>, DbErr> {
    use entity::group_members::{Column, Entity};
    let row = Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Role.eq(entity::roles::MemberRole::SystemAdmin))
        .one(db)
        .await?;
    Ok(row.map(|m| m.group_id))
}

/// How many distinct users hold a `system_admin` membership, deactivated ones included: whether
/// the system has been bootstrapped.
pub async fn count_system_admins(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use entity::group_members::{Column, Entity};
    use sea_orm::QuerySelect;
    Entity::find()
        .select_only()
        .column(Column::UserId)
        .distinct()
        .filter(Column::Role.eq(entity::roles::MemberRole::SystemAdmin))
        .count(db)
        .await
}

/// How many active users other than `leaving` hold a `system_admin` membership: what the
/// last-system-admin rule counts (a deactivated admin administers nothing, so they do not keep
/// the system administered).
pub async fn count_other_active_system_admins(
    db: &impl ConnectionTrait,
    leaving: Uuid,
) -> Result<u64, DbErr> {
    use entity::group_members::{Column, Entity, Relation};
    use sea_orm::{JoinType, QuerySelect, RelationTrait};
    Entity::find()
        .select_only()
        .column(Column::UserId)
        .distinct()
        .join(JoinType::InnerJoin, Relation::User.def())
        .filter(Column::Role.eq(entity::roles::MemberRole::SystemAdmin))
        .filter(Column::UserId.ne(leaving))
        .filter(entity::users::Column::Active.eq(true))
        .count(db)
        .await
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Only routes behind the authentication middleware have a principal; asking for one
        // elsewhere is a wiring mistake that must fail closed.
        ready(
            req.extensions()
                .get::<Principal>()
                .cloned()
                .ok_or(ApiError::Unauthenticated("a bearer token is required")),
        )
    }
}
