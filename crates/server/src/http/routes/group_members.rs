//! `/v1/groups/{id}/members`: who holds which role in a group, and changing it.

use actix_web::{HttpResponse, delete, get, http::header, post, put, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, Problem};
use crate::http::extract::{Answer, Caller, Json, Query, Reply, role_field};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::http::repr;
use crate::services::group_members::{self, GroupMemberFilter};
use crate::services::sources;

/// Body of `POST /v1/groups/{id}/members`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddGroupMember {
    /// The user to add; must exist.
    pub user_id: Uuid,
    /// `system_admin`, `group_admin`, `teacher` or `student`; at most the caller's own role.
    #[schema(value_type = crate::http::schemas::GroupRoleName)]
    pub role: String,
}

/// Body of `PUT /v1/groups/{id}/members/{user_id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetGroupMemberRole {
    /// `system_admin`, `group_admin`, `teacher` or `student`; at most the caller's own role.
    #[schema(value_type = crate::http::schemas::GroupRoleName)]
    pub role: String,
}

/// The filters of `GET /v1/groups/{id}/members` (paging is [`PageParams`]).
///
/// Like every list, unknown query parameters are ignored: filters and paging are read by two
/// extractors from one query string, so neither can refuse the other's names.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupMemberQuery {
    /// Only members with this role (in inherited listings: whose strongest role it is).
    #[param(value_type = Option<crate::http::schemas::GroupRoleName>)]
    pub role: Option<String>,
    /// `true`: also members of the group's ancestors, each user once at their strongest role,
    /// with `inherited_from` naming the ancestor that role comes from. Default `false`.
    pub inherited: Option<bool>,
}

/// A role from a body or the query: one of the four group roles, else 400 naming `role`.
fn parse_role(raw: &str) -> Result<domain::GroupRole, ApiError> {
    role_field("role", raw, &domain::GroupRole::ALL)
}

fn member_location(group_id: Uuid, user_id: Uuid) -> String {
    format!("/v1/groups/{group_id}/members/{user_id}")
}

/// Add a user to a group (`group.manage_members`; no role above the caller's own).
#[utoipa::path(
    tag = "group members",
    params(("id" = Uuid, Path, description = "the group's id")),
    request_body = AddGroupMember,
    responses(
        (status = 201, description = "the new membership", body = repr::GroupMember, headers(("Location" = String, description = "the new membership's URL"))),
        (status = 400, description = "`validation_failed` (e.g. an unknown role, a user that does not exist)", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation` when granting a role stronger than the caller's", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`already_member`", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/groups/{id}/members")]
pub async fn create_group_member(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<AddGroupMember>,
) -> Answer {
    let group_id = id.into_inner();
    let body = body.into_inner();
    let role = parse_role(&body.role)?;
    let member =
        group_members::create(caller.db(), caller.subject, group_id, body.user_id, role).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, member_location(group_id, member.user_id)))
        .json(shown(&caller, member).await?))
}

/// Set a user's role in a group, adding them if needed (`group.manage_members`; no role above
/// the caller's own, and no change to a membership stronger than it).
#[utoipa::path(
    tag = "group members",
    params(
        ("id" = Uuid, Path, description = "the group's id"),
        ("user_id" = Uuid, Path, description = "the member's user id"),
    ),
    request_body = SetGroupMemberRole,
    responses(
        (status = 200, description = "the role was changed, or already was the one asked for", body = repr::GroupMember),
        (status = 201, description = "the membership was created", body = repr::GroupMember, headers(("Location" = String, description = "the membership's URL"))),
        (status = 400, description = "`validation_failed` (e.g. an unknown role, a user that does not exist)", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation`", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`last_system_admin` when demoting the last system admin", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[put("/groups/{id}/members/{user_id}")]
pub async fn upsert_group_member(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<SetGroupMemberRole>,
) -> Answer {
    let (group_id, user_id) = path.into_inner();
    let role = parse_role(&body.into_inner().role)?;
    let upserted =
        group_members::upsert(caller.db(), caller.subject, group_id, user_id, role).await?;
    let created = upserted.created();
    let body = shown(&caller, upserted.into_inner()).await?;
    Ok(if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, member_location(group_id, user_id)))
            .json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// List a group's members, ordered by user id (`group.view_members`).
#[utoipa::path(
    tag = "group members",
    params(("id" = Uuid, Path, description = "the group's id"), GroupMemberQuery, PageParams),
    responses(
        (status = 200, description = "a page of members", body = Page<repr::ListedGroupMember>), Invalid, Unauthenticated, Forbidden, NotFound,
    )
)]
#[get("/groups/{id}/members")]
pub async fn list_group_members(
    caller: Caller,
    id: web::Path<Uuid>,
    filter: Query<GroupMemberQuery>,
    page: Query<PageParams>,
) -> Reply<Page<repr::ListedGroupMember>> {
    let group_id = id.into_inner();
    let filter = filter.into_inner();
    let role = filter.role.as_deref().map(parse_role).transpose()?;
    let page = page.into_inner().parse()?;
    let filter = GroupMemberFilter {
        role,
        inherited: filter.inherited.unwrap_or(false),
    };
    let rows = group_members::list(
        caller.db(),
        caller.subject,
        group_id,
        filter,
        &page.by_id()?,
    )
    .await?;
    let page = page.page(rows, |listed| listed.membership.user_id);
    let mut sources =
        sources::group_source_names(caller.db(), page.items.iter().map(|l| l.membership.id))
            .await?;
    Ok(web::Json(page.map(|listed| {
        let shown = sources.remove(&listed.membership.id).unwrap_or_default();
        repr::ListedGroupMember::new(listed.membership, shown, group_id, listed.inherited_from)
    })))
}

/// Read one direct membership (`group.view_members`, or the member themselves).
#[utoipa::path(
    tag = "group members",
    params(
        ("id" = Uuid, Path, description = "the group's id"),
        ("user_id" = Uuid, Path, description = "the member's user id"),
    ),
    responses((status = 200, description = "the membership", body = repr::GroupMember), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/groups/{id}/members/{user_id}")]
pub async fn get_group_member(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Reply<repr::GroupMember> {
    let (group_id, user_id) = path.into_inner();
    let member = group_members::get(caller.db(), caller.subject, group_id, user_id).await?;
    Ok(web::Json(shown(&caller, member).await?))
}

/// Remove a membership (`group.manage_members` within the no-escalation rule, or the member
/// themselves: leaving is always allowed, except for the last system admin).
#[utoipa::path(
    tag = "group members",
    params(
        ("id" = Uuid, Path, description = "the group's id"),
        ("user_id" = Uuid, Path, description = "the member's user id"),
    ),
    responses(
        (status = 204, description = "the membership is gone"), Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation` for a membership stronger than the caller's", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`last_system_admin`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/groups/{id}/members/{user_id}")]
pub async fn delete_group_member(caller: Caller, path: web::Path<(Uuid, Uuid)>) -> Answer {
    let (group_id, user_id) = path.into_inner();
    group_members::remove(caller.db(), caller.subject, group_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_group_member)
        .service(upsert_group_member)
        .service(list_group_members)
        .service(get_group_member)
        .service(delete_group_member);
}

/// A membership as answers show it, with its sources.
async fn shown(
    caller: &Caller,
    member: entity::group_members::Model,
) -> Result<repr::GroupMember, ApiError> {
    let mut sources = sources::group_source_names(caller.db(), [member.id]).await?;
    let shown = sources.remove(&member.id).unwrap_or_default();
    Ok(repr::GroupMember::new(member, shown))
}
