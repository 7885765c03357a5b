//! `/v1/groups/{id}/projects`, `/v1/projects` and `/v1/projects/{id}`: projects inside groups.

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
use crate::services::projects::{self, NewProject, ProjectChange, ProjectView};

/// A project.
#[derive(Debug, Serialize, ToSchema)]
pub struct Project {
    pub id: Uuid,
    /// The group (organisation) that owns the project.
    pub group_id: Uuid,
    pub name: String,
    pub slug: String,
    /// The caller's role here: assigned, or `admin` bridged from a system admin or an effective
    /// group_admin of the owning group.
    #[schema(value_type = Option<crate::http::schemas::ProjectRoleName>, required = true)]
    pub my_role: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProjectView> for Project {
    fn from(view: ProjectView) -> Self {
        Self {
            id: view.project.id,
            group_id: view.project.group_id,
            name: view.project.name,
            slug: view.project.slug,
            my_role: view.my_role.map(|r| r.as_str().to_owned()),
            created_at: view.project.created_at,
            updated_at: view.project.updated_at,
        }
    }
}

/// Body of `POST /v1/groups/{id}/projects`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    #[schema(value_type = crate::http::schemas::NameText)]
    pub name: String,
    /// Derived from the name when omitted; unique within the group.
    #[schema(value_type = Option<crate::http::schemas::SlugText>)]
    pub slug: Option<String>,
}

/// Body of `PATCH /v1/projects/{id}`: absent fields stay as they are; `null`
/// is refused.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(value_type = crate::http::schemas::NameText, required = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(value_type = crate::http::schemas::SlugText, required = false)]
    pub slug: Option<String>,
}

/// Parses an optional name and slug, collecting every bad field.
fn parse_name_and_slug(
    name: Option<&str>,
    slug: Option<&str>,
) -> Result<(Option<domain::Name>, Option<domain::Slug>), ApiError> {
    let mut errors = Vec::new();
    let name = name.and_then(|raw| name_field("name", raw, &mut errors));
    let slug = slug_field(slug, &mut errors);
    if errors.is_empty() {
        Ok((name, slug))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Create a project in a group (group.create_projects: teacher or stronger); the caller
/// becomes its admin.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "the owning group's id")),
    request_body = CreateProject,
    responses(
        (status = 201, description = "the new project", body = Project, headers(("Location" = String, description = "the new project's URL"))), Invalid, Unauthenticated, Forbidden, NotFound,
        (status = 409, description = "the group has a project with this slug", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/groups/{id}/projects")]
pub async fn create_project(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<CreateProject>,
) -> Answer {
    let body = body.into_inner();
    let (name, slug) = parse_name_and_slug(Some(&body.name), body.slug.as_deref())?;
    let name = name.ok_or_else(|| ApiError::invalid("name", "is required"))?;
    let view = projects::create(
        caller.db(),
        caller.subject,
        id.into_inner(),
        NewProject { name, slug },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/projects/{}", view.project.id),
        ))
        .json(Project::from(view)))
}

/// A group's projects that the caller may view (group.view on the group).
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "the group's id"), PageParams),
    responses((status = 200, description = "a page of projects", body = Page<Project>), Invalid, Unauthenticated, NotFound)
)]
#[get("/groups/{id}/projects")]
pub async fn list_group_projects(
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Reply<Page<Project>> {
    let page = page.into_inner().parse()?;
    let window = page.by_id()?;
    let rows =
        projects::list_in_group(caller.db(), caller.subject, id.into_inner(), &window).await?;
    Ok(web::Json(
        page.page(rows, |v| v.project.id).map(Project::from),
    ))
}

/// `?within=` of the project listing.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectsQuery {
    /// Only projects owned by this group or one of its descendants; the caller must be able to
    /// view the group (group.view), else 404. Omitted: every project the caller may view.
    pub within: Option<Uuid>,
}

/// The projects the caller may view — exactly those `GET /v1/projects/{id}` answers — in id
/// order, optionally within a group's subtree.
#[utoipa::path(
    tag = "projects",
    params(ProjectsQuery, PageParams),
    responses(
        (status = 200, description = "a page of projects", body = Page<Project>),
        Invalid, Unauthenticated,
        (status = 404, description = "`not_found`: the `within` group does not exist or the caller may not view it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/projects")]
pub async fn list_projects(
    caller: Caller,
    query: Query<ProjectsQuery>,
    page: Query<PageParams>,
) -> Reply<Page<Project>> {
    let page = page.into_inner().parse()?;
    let window = page.by_id()?;
    let within = query.into_inner().within;
    let rows = projects::list_visible(caller.db(), caller.subject, within, &window).await?;
    Ok(web::Json(
        page.page(rows, |v| v.project.id).map(Project::from),
    ))
}

/// A project (project.view), with the caller's role.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "the project's id")),
    responses((status = 200, description = "the project", body = Project), Invalid, Unauthenticated, NotFound)
)]
#[get("/projects/{id}")]
pub async fn get_project(caller: Caller, id: web::Path<Uuid>) -> Reply<Project> {
    let view = projects::get(&caller.facts(), caller.subject, id.into_inner()).await?;
    Ok(web::Json(view.into()))
}

/// Rename a project (project.manage_settings).
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "the project's id")),
    request_body = UpdateProject,
    responses(
        (status = 200, description = "the project, changed or (when nothing differed) as it was", body = Project), Invalid, Unauthenticated, Forbidden, NotFound,
        (status = 409, description = "the group has a project with this slug", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[patch("/projects/{id}")]
pub async fn update_project(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UpdateProject>,
) -> Reply<Project> {
    let body = body.into_inner();
    let (name, slug) = parse_name_and_slug(body.name.as_deref(), body.slug.as_deref())?;
    let change = ProjectChange { name, slug };
    let view = projects::update(caller.db(), caller.subject, id.into_inner(), change).await?;
    Ok(web::Json(view.into()))
}

/// Delete a project with its members and squads (project.delete).
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "the project's id")),
    responses((status = 204, description = "deleted"), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[delete("/projects/{id}")]
pub async fn delete_project(caller: Caller, id: web::Path<Uuid>) -> Answer {
    projects::delete(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_project)
        .service(list_group_projects)
        .service(list_projects)
        .service(get_project)
        .service(update_project)
        .service(delete_project);
}
