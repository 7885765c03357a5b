//! `/v1/idp-groups` (spec §11): identity providers' groups, read-only here (the provider owns
//! them, over SCIM), and their bindings to Roster's groups, projects and squads.

use actix_web::{HttpResponse, delete, get, http::header, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, Problem};
use crate::http::extract::{Answer, Caller, Json, Query, Reply};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::services::idp_bindings::{self, IdpGroup as Counted, NewBinding, Target};

/// An identity provider's group, as pushed over SCIM.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdpGroup {
    pub id: Uuid,
    pub display_name: String,
    /// The provider's own id for it, or `null`.
    #[schema(required = true)]
    pub external_id: Option<String>,
    /// How many users the provider says are in it.
    pub members: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Counted> for IdpGroup {
    fn from(counted: Counted) -> Self {
        let group = counted.group;
        Self {
            id: group.id,
            display_name: group.display_name,
            external_id: group.external_id,
            members: counted.members,
            created_at: group.created_at,
            updated_at: group.updated_at,
        }
    }
}

/// What a binding binds to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BindingType {
    Group,
    Project,
    Squad,
}

/// A group role's name or a project role's: the schema refers to both tables' enums.
fn role_of_either_table() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::{Ref, RefOr, Schema, schema::OneOfBuilder};
    let either = OneOfBuilder::new()
        .item(Ref::from_schema_name("GroupRole"))
        .item(Ref::from_schema_name("ProjectRole"))
        .build();
    RefOr::T(Schema::OneOf(either))
}

/// An IdP group bound to a Roster group, project or squad with a role.
#[derive(Debug, Serialize, ToSchema)]
pub struct Binding {
    pub id: Uuid,
    pub idp_group_id: Uuid,
    #[serde(rename = "type")]
    pub target_type: BindingType,
    /// The bound group's, project's or squad's id.
    pub target_id: Uuid,
    /// A group role for a group; a project role for a project or a squad (held in its project).
    #[schema(schema_with = role_of_either_table)]
    pub role: String,
    /// Who bound it, or `null`.
    #[schema(required = true)]
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::idp_bindings::Model> for Binding {
    fn from(b: entity::idp_bindings::Model) -> Self {
        // The database holds exactly one of the three (ck_idp_bindings_one_target).
        let (target_type, target_id) = match (b.group_id, b.project_id, b.squad_id) {
            (_, Some(id), _) => (BindingType::Project, id),
            (_, _, Some(id)) => (BindingType::Squad, id),
            (group, _, _) => (BindingType::Group, group.unwrap_or_default()),
        };
        Self {
            id: b.id,
            idp_group_id: b.idp_group_id,
            target_type,
            target_id,
            role: b.role,
            created_by: b.created_by,
            created_at: b.created_at,
        }
    }
}

/// Body of `POST /v1/idp-groups/{id}/bindings`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBinding {
    #[serde(rename = "type")]
    pub target_type: BindingType,
    /// The group's, project's or squad's id.
    pub id: Uuid,
    /// A group role for a group; a project role for a project or a squad.
    #[schema(schema_with = role_of_either_table)]
    pub role: String,
}

/// Every IdP group, in id order (those who manage users: system admins and group admins).
#[utoipa::path(
    tag = "idp groups",
    params(PageParams),
    responses((status = 200, description = "a page of IdP groups", body = Page<IdpGroup>), Invalid, Unauthenticated, Forbidden)
)]
#[get("/idp-groups")]
pub async fn list_idp_groups(caller: Caller, page: Query<PageParams>) -> Reply<Page<IdpGroup>> {
    let page = page.into_inner().parse()?;
    let rows = idp_bindings::list_groups(caller.db(), caller.subject, &page.by_id()?).await?;
    Ok(web::Json(
        page.page(rows, |g| g.group.id).map(IdpGroup::from),
    ))
}

/// Bind an IdP group: its members hold `role` at the group, project or squad from now on
/// (whoever may grant that role there; no escalation).
#[utoipa::path(
    tag = "idp groups",
    params(("id" = Uuid, Path, description = "the IdP group's id")),
    request_body = CreateBinding,
    responses(
        (status = 201, description = "the binding", body = Binding, headers(("Location" = String, description = "the binding's URL"))),
        Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation`", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`conflict`: already bound there", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/idp-groups/{id}/bindings")]
pub async fn create_binding(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<CreateBinding>,
) -> Answer {
    let idp_group = id.into_inner();
    let body = body.into_inner();
    let target = match body.target_type {
        BindingType::Group => Target::Group(body.id),
        BindingType::Project => Target::Project(body.id),
        BindingType::Squad => Target::Squad(body.id),
    };
    let role = body
        .role
        .parse::<domain::GroupRole>()
        .map(domain::RoleName::Group)
        .or_else(|_| {
            body.role
                .parse::<domain::ProjectRole>()
                .map(domain::RoleName::Project)
        })
        .map_err(|_| ApiError::invalid("role", "must name a group role or a project role"))?;
    let binding = idp_bindings::create_binding(
        caller.db(),
        caller.subject,
        idp_group,
        NewBinding { target, role },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/idp-groups/{idp_group}/bindings/{}", binding.id),
        ))
        .json(Binding::from(binding)))
}

/// An IdP group's bindings, in id order.
#[utoipa::path(
    tag = "idp groups",
    params(("id" = Uuid, Path, description = "the IdP group's id"), PageParams),
    responses((status = 200, description = "a page of bindings", body = Page<Binding>), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/idp-groups/{id}/bindings")]
pub async fn list_bindings(
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Reply<Page<Binding>> {
    let page = page.into_inner().parse()?;
    let rows =
        idp_bindings::list_bindings(caller.db(), caller.subject, id.into_inner(), &page.by_id()?)
            .await?;
    Ok(web::Json(page.page(rows, |b| b.id).map(Binding::from)))
}

/// One binding.
#[utoipa::path(
    tag = "idp groups",
    params(
        ("id" = Uuid, Path, description = "the IdP group's id"),
        ("binding_id" = Uuid, Path, description = "the binding's id"),
    ),
    responses((status = 200, description = "the binding", body = Binding), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/idp-groups/{id}/bindings/{binding_id}")]
pub async fn get_binding(caller: Caller, path: web::Path<(Uuid, Uuid)>) -> Reply<Binding> {
    let (idp_group, id) = path.into_inner();
    let row = idp_bindings::get_binding(caller.db(), caller.subject, idp_group, id).await?;
    Ok(web::Json(row.into()))
}

/// Unbind: the members lose what the binding granted, at once (whoever may grant its role
/// there; 409 when that would remove the last admin).
#[utoipa::path(
    tag = "idp groups",
    params(
        ("id" = Uuid, Path, description = "the IdP group's id"),
        ("binding_id" = Uuid, Path, description = "the binding's id"),
    ),
    responses(
        (status = 204, description = "unbound"), Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation`", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`last_admin` or `last_system_admin`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/idp-groups/{id}/bindings/{binding_id}")]
pub async fn delete_binding(caller: Caller, path: web::Path<(Uuid, Uuid)>) -> Answer {
    let (idp_group, id) = path.into_inner();
    idp_bindings::delete_binding(caller.db(), caller.subject, idp_group, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_idp_groups)
        .service(create_binding)
        .service(list_bindings)
        .service(get_binding)
        .service(delete_binding);
}
