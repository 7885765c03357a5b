//! `/v1/groups`: the group tree — create, read, list, children, descendants, ancestors,
//! rename, move, delete.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, Problem};
use crate::http::extract::{Answer, Caller, Json, Query, Reply, name_field, slug_field};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::services::groups::{self, GroupChange, GroupView, NewGroup};

/// A group.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    pub id: Uuid,
    /// `null` for a root group.
    #[schema(required = true)]
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub slug: String,
    /// 0 for a root; at most 20.
    pub depth: u8,
    /// The ids of every ancestor, root first.
    pub ancestor_ids: Vec<Uuid>,
    /// The caller's effective role here (inherited down the tree), if any.
    #[schema(value_type = Option<crate::http::schemas::GroupRoleName>, required = true)]
    pub my_role: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<GroupView> for Group {
    fn from(view: GroupView) -> Self {
        Self {
            id: view.group.id,
            parent_id: view.group.parent_id,
            name: view.group.name,
            slug: view.group.slug,
            depth: view.path.depth(),
            ancestor_ids: view.path.ancestor_ids(),
            my_role: view.my_role.map(|r| r.as_str().to_owned()),
            created_at: view.group.created_at,
            updated_at: view.group.updated_at,
        }
    }
}

/// One step of a breadcrumb.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupCrumb {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub depth: u8,
}

/// Body of `POST /v1/groups`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// 1–200 characters after trimming.
    #[schema(value_type = crate::http::schemas::NameText)]
    pub name: String,
    /// `[a-z0-9]+(-[a-z0-9]+)*`, at most 63 characters; derived from the name when omitted.
    #[schema(value_type = Option<crate::http::schemas::SlugText>)]
    pub slug: Option<String>,
    /// The parent group; omitted or `null` for a root (system admins only).
    pub parent_id: Option<Uuid>,
}

/// Body of `PATCH /v1/groups/{id}`: absent fields stay as they are; `null`
/// is refused except where it means something.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(value_type = crate::http::schemas::NameText, required = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(value_type = crate::http::schemas::SlugText, required = false)]
    pub slug: Option<String>,
    /// Move the group (with its subtree) under this parent; `null` makes it a root.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

/// `?max_depth=` of the descendants listing.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepthParams {
    /// Only groups at most this many levels below (1–20); all levels when omitted.
    #[validate(range(min = 1, max = 20, message = "must be between 1 and 20"))]
    #[param(minimum = 1, maximum = 20)]
    pub max_depth: Option<u8>,
}

impl CreateGroup {
    fn parse(self) -> Result<NewGroup, ApiError> {
        let mut errors = Vec::new();
        let name = name_field("name", &self.name, &mut errors);
        let slug = slug_field(self.slug.as_deref(), &mut errors);
        match name {
            Some(name) if errors.is_empty() => Ok(NewGroup {
                name,
                slug,
                parent_id: self.parent_id,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

impl UpdateGroup {
    fn parse(self) -> Result<GroupChange, ApiError> {
        let mut errors = Vec::new();
        let name = self
            .name
            .as_deref()
            .and_then(|raw| name_field("name", raw, &mut errors));
        let slug = slug_field(self.slug.as_deref(), &mut errors);
        if errors.is_empty() {
            Ok(GroupChange {
                name,
                slug,
                parent: self.parent_id,
            })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// Create a root group (system admins) or a child group (group.manage on the parent).
#[utoipa::path(
    tag = "groups",
    request_body = CreateGroup,
    responses(
        (status = 201, description = "the new group", body = Group, headers(("Location" = String, description = "the new group's URL"))),
        (status = 400, description = "`validation_failed`, `group_too_deep`", body = Problem, content_type = "application/problem+json"),
        Unauthenticated, Forbidden,
        (status = 409, description = "a sibling has the slug", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/groups")]
pub async fn create_group(caller: Caller, body: Json<CreateGroup>) -> Answer {
    let input = body.into_inner().parse()?;
    let view = groups::create(caller.db(), caller.subject, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/groups/{}", view.group.id)))
        .json(Group::from(view)))
}

/// The groups where the caller has a direct membership (system admins: the roots).
#[utoipa::path(
    tag = "groups",
    params(PageParams),
    responses((status = 200, description = "a page of groups", body = Page<Group>), Invalid, Unauthenticated)
)]
#[get("/groups")]
pub async fn list_groups(caller: Caller, page: Query<PageParams>) -> Reply<Page<Group>> {
    let page = page.into_inner().parse()?;
    let rows = groups::list_mine(caller.db(), caller.subject, &page.by_id()?).await?;
    Ok(web::Json(page.page(rows, |v| v.group.id).map(Group::from)))
}

/// A group, with the caller's effective role (group.view).
#[utoipa::path(
    tag = "groups",
    params(("id" = Uuid, Path, description = "the group's id")),
    responses((status = 200, description = "the group", body = Group), Invalid, Unauthenticated, NotFound)
)]
#[get("/groups/{id}")]
pub async fn get_group(caller: Caller, id: web::Path<Uuid>) -> Reply<Group> {
    let view = groups::get(&caller.facts(), caller.subject, id.into_inner()).await?;
    Ok(web::Json(view.into()))
}

/// The direct children of a group (group.view), in id order.
#[utoipa::path(
    tag = "groups",
    params(("id" = Uuid, Path, description = "the group's id"), PageParams),
    responses((status = 200, description = "a page of child groups", body = Page<Group>), Invalid, Unauthenticated, NotFound)
)]
#[get("/groups/{id}/children")]
pub async fn list_children(
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Reply<Page<Group>> {
    let page = page.into_inner().parse()?;
    let rows =
        groups::children(caller.db(), caller.subject, id.into_inner(), &page.by_id()?).await?;
    Ok(web::Json(page.page(rows, |v| v.group.id).map(Group::from)))
}

/// Every group below a group (group.view), in tree order, optionally down to `max_depth`.
#[utoipa::path(
    tag = "groups",
    params(("id" = Uuid, Path, description = "the group's id"), DepthParams, PageParams),
    responses((status = 200, description = "a page of descendants, in tree order", body = Page<Group>), Invalid, Unauthenticated, NotFound)
)]
#[get("/groups/{id}/descendants")]
pub async fn list_descendants(
    caller: Caller,
    id: web::Path<Uuid>,
    depth: Query<DepthParams>,
    page: Query<PageParams>,
) -> Reply<Page<Group>> {
    let page = page.into_inner().parse()?;
    let max_depth = depth.into_inner().max_depth;
    let window = page.by_path()?;
    let rows = groups::descendants(
        caller.db(),
        caller.subject,
        id.into_inner(),
        max_depth,
        &window,
    )
    .await?;
    Ok(web::Json(
        page.page(rows, |v| v.path.clone()).map(Group::from),
    ))
}

/// The ancestors of a group (group.view), root first: a breadcrumb.
#[utoipa::path(
    tag = "groups",
    params(("id" = Uuid, Path, description = "the group's id")),
    responses((status = 200, description = "the ancestors, root first", body = Page<GroupCrumb>), Invalid, Unauthenticated, NotFound)
)]
#[get("/groups/{id}/ancestors")]
pub async fn list_ancestors(caller: Caller, id: web::Path<Uuid>) -> Reply<Page<GroupCrumb>> {
    let rows = groups::ancestors(caller.db(), caller.subject, id.into_inner()).await?;
    let items = rows
        .into_iter()
        .map(|g| GroupCrumb {
            id: g.id,
            name: g.name,
            slug: g.slug,
            depth: u8::try_from(g.depth).unwrap_or_default(),
        })
        .collect();
    // At most 20 ancestors: one page, always complete.
    Ok(web::Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Rename a group (group.manage) and/or move it with its subtree (group.manage on both the
/// current and the new parent; system admins for roots).
#[utoipa::path(
    tag = "groups",
    params(("id" = Uuid, Path, description = "the group's id")),
    request_body = UpdateGroup,
    responses(
        (status = 200, description = "the group, changed or (when nothing differed) as it was", body = Group),
        (status = 400, description = "`validation_failed`, `group_cycle`, `group_too_deep`", body = Problem, content_type = "application/problem+json"),
        Unauthenticated, Forbidden, NotFound,
        (status = 409, description = "a sibling has the slug", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[patch("/groups/{id}")]
pub async fn update_group(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UpdateGroup>,
) -> Reply<Group> {
    let change = body.into_inner().parse()?;
    let view = groups::update(caller.db(), caller.subject, id.into_inner(), change).await?;
    Ok(web::Json(view.into()))
}

/// Delete a group with everything below it (group.manage on the parent; roots: system admins).
#[utoipa::path(
    tag = "groups",
    params(("id" = Uuid, Path, description = "the group's id")),
    responses(
        (status = 204, description = "deleted with its subtree"), Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation` when the subtree holds a stronger membership", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`last_system_admin`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/groups/{id}")]
pub async fn delete_group(caller: Caller, id: web::Path<Uuid>) -> Answer {
    groups::delete(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(list_children)
        .service(list_descendants)
        .service(list_ancestors)
        .service(update_group)
        .service(delete_group);
}
