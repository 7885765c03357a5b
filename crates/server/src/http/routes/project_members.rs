//! `/v1/projects/{id}/members` and `/v1/projects/{id}/reporting-lines` (also drawn, as
//! `…/reporting-lines.svg`): project roles, with the reporting line each member gets; and per
//! person, `…/members/{user_id}/chain` (their managers) and `…/members/{user_id}/reports` (who
//! reports to them).

use actix_web::{HttpResponse, delete, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, Problem};
use crate::http::extract::{Answer, Caller, Json, Query, Reply, role_field};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::http::repr::{ProjectMember, upserted_response};
use crate::services::org_chart;
use crate::services::project_members::{
    self, Assignment, NamedMember, ProjectMemberFilter, ReportingNode,
};

/// Body of `PUT /v1/projects/{id}/members/{user_id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRole {
    /// `admin`, `pm`, `squad_lead` or `member`.
    #[schema(value_type = crate::http::schemas::ProjectRoleName)]
    pub role: String,
    /// Omitted: keep the current line. `null`: the automatic line. A user id: an explicit line
    /// to a member of a strictly stronger role (else 400 `invalid_reports_to`).
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<Uuid>)]
    pub reports_to: Option<Option<Uuid>>,
}

/// Filters of the member list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectMemberQuery {
    /// Only members with this role.
    #[param(value_type = Option<crate::http::schemas::ProjectRoleName>)]
    pub role: Option<String>,
    /// Only members of this squad (of the same project).
    pub squad_id: Option<Uuid>,
}

fn parse_role(raw: &str) -> Result<domain::ProjectRole, ApiError> {
    role_field("role", raw, &domain::ProjectRole::ALL)
}

/// A project member with their user's display name: a person on a reporting line.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportingMember {
    #[serde(flatten)]
    pub member: ProjectMember,
    /// The user's display name.
    pub display_name: String,
}

impl From<NamedMember> for ReportingMember {
    fn from(named: NamedMember) -> Self {
        Self {
            member: named.member.into(),
            display_name: named.display_name,
        }
    }
}

/// A member in the reporting tree, with the members who report to them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportingLine {
    #[serde(flatten)]
    pub member: ProjectMember,
    /// The user's display name.
    pub display_name: String,
    /// The members who report to this one.
    #[schema(no_recursion)]
    pub reports: Vec<ReportingLine>,
}

impl From<ReportingNode> for ReportingLine {
    fn from(node: ReportingNode) -> Self {
        Self {
            member: node.member.member.into(),
            display_name: node.member.display_name,
            reports: node.reports.into_iter().map(Into::into).collect(),
        }
    }
}

/// A member's managers, nearest first: the one they report to, the one that one reports to, …
/// up to a member who reports to nobody. Empty for a member who reports to nobody. Not
/// paginated: lines point at strictly stronger roles, so a chain has at most three managers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportingChain {
    pub items: Vec<ReportingMember>,
}

/// `?transitive=` of the reports listing.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// `true`: everyone below the member, at any depth; `false` (the default): only those who
    /// report to them directly.
    pub transitive: Option<bool>,
}

/// One page of a member's reports, with how many there are in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportsPage {
    pub items: Vec<ReportingMember>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    #[schema(value_type = Option<crate::http::schemas::CursorText>, required = true)]
    pub next_cursor: Option<String>,
    /// How many reports match (direct, or all below with `transitive=true`), on every page.
    pub total: u64,
}

/// The whole reporting tree of a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportingTree {
    pub project_id: Uuid,
    /// The members who report to nobody (admins, and members with nobody stronger present).
    pub roots: Vec<ReportingLine>,
}

/// Assign a project role (project.assign_roles): an upsert that also sets the reporting line.
#[utoipa::path(
    tag = "project members",
    params(
        ("id" = Uuid, Path, description = "the project's id"),
        ("user_id" = Uuid, Path, description = "the user's id"),
    ),
    request_body = AssignRole,
    responses(
        (status = 200, description = "updated, or unchanged", body = ProjectMember),
        (status = 201, description = "added to the project", body = ProjectMember, headers(("Location" = String, description = "the membership's URL"))),
        (status = 400, description = "`validation_failed`, `invalid_reports_to`", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "`forbidden`, `role_escalation`", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`last_admin`", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[put("/projects/{id}/members/{user_id}")]
pub async fn put_project_member(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<AssignRole>,
) -> Answer {
    let (project_id, user_id) = path.into_inner();
    let body = body.into_inner();
    let assignment = Assignment {
        role: parse_role(&body.role)?,
        line: match body.reports_to {
            None => domain::LineRequest::Keep,
            Some(None) => domain::LineRequest::Automatic,
            Some(Some(target)) => domain::LineRequest::Explicit(target),
        },
    };
    let upserted =
        project_members::upsert(caller.db(), caller.subject, project_id, user_id, assignment)
            .await?;
    let location = format!("/v1/projects/{project_id}/members/{user_id}");
    Ok(upserted_response(
        upserted,
        Some(location),
        ProjectMember::from,
    ))
}

/// A project's members (project.view_members), ordered by user id.
#[utoipa::path(
    tag = "project members",
    params(("id" = Uuid, Path, description = "the project's id"), ProjectMemberQuery, PageParams),
    responses((status = 200, description = "a page of members", body = Page<ProjectMember>), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/projects/{id}/members")]
pub async fn list_project_members(
    caller: Caller,
    id: web::Path<Uuid>,
    query: Query<ProjectMemberQuery>,
    page: Query<PageParams>,
) -> Reply<Page<ProjectMember>> {
    let page = page.into_inner().parse()?;
    let query = query.into_inner();
    let filter = ProjectMemberFilter {
        role: query.role.as_deref().map(parse_role).transpose()?,
        squad_id: query.squad_id,
    };
    let rows = project_members::list(
        caller.db(),
        caller.subject,
        id.into_inner(),
        filter,
        &page.by_id()?,
    )
    .await?;
    Ok(web::Json(
        page.page(rows, |m| m.user_id).map(ProjectMember::from),
    ))
}

/// One member of a project (project.view_members).
#[utoipa::path(
    tag = "project members",
    params(
        ("id" = Uuid, Path, description = "the project's id"),
        ("user_id" = Uuid, Path, description = "the user's id"),
    ),
    responses((status = 200, description = "the member", body = ProjectMember), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/projects/{id}/members/{user_id}")]
pub async fn get_project_member(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Reply<ProjectMember> {
    let (project_id, user_id) = path.into_inner();
    let member = project_members::get(caller.db(), caller.subject, project_id, user_id).await?;
    Ok(web::Json(member.into()))
}

/// Remove a member (project.assign_roles), or leave (the member themselves). The project keeps
/// at least one admin; the lines of those who reported to the member are repaired.
#[utoipa::path(
    tag = "project members",
    params(
        ("id" = Uuid, Path, description = "the project's id"),
        ("user_id" = Uuid, Path, description = "the user's id"),
    ),
    responses(
        (status = 204, description = "removed"), Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`, `role_escalation`", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`last_admin`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{id}/members/{user_id}")]
pub async fn delete_project_member(caller: Caller, path: web::Path<(Uuid, Uuid)>) -> Answer {
    let (project_id, user_id) = path.into_inner();
    project_members::remove(caller.db(), caller.subject, project_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The project's reporting tree (project.view_members), as nested JSON.
#[utoipa::path(
    tag = "project members",
    params(("id" = Uuid, Path, description = "the project's id")),
    responses((status = 200, description = "the reporting tree", body = ReportingTree), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/projects/{id}/reporting-lines")]
pub async fn get_reporting_lines(caller: Caller, id: web::Path<Uuid>) -> Reply<ReportingTree> {
    let project_id = id.into_inner();
    let nodes = project_members::reporting_tree(caller.db(), caller.subject, project_id).await?;
    Ok(web::Json(ReportingTree {
        project_id,
        roots: nodes.into_iter().map(Into::into).collect(),
    }))
}

/// The content type of the drawn reporting tree.
const SVG: &str = "image/svg+xml";

/// The project's reporting tree drawn as an SVG org chart (project.view_members): a box per
/// member with their name and role, lines from each manager to their reports. The same
/// decision and the same tree as `GET /v1/projects/{id}/reporting-lines`.
#[utoipa::path(
    tag = "project members",
    params(("id" = Uuid, Path, description = "the project's id")),
    responses(
        (status = 200, description = "the reporting tree as an SVG picture, with a title and a description of who reports to whom", body = String, content_type = "image/svg+xml"),
        Invalid, Unauthenticated, Forbidden, NotFound,
    )
)]
#[get("/projects/{id}/reporting-lines.svg")]
pub async fn get_reporting_lines_svg(caller: Caller, id: web::Path<Uuid>) -> Answer {
    let project_id = id.into_inner();
    let nodes = project_members::reporting_tree(caller.db(), caller.subject, project_id).await?;
    Ok(HttpResponse::Ok()
        .content_type(SVG)
        // Opened on its own in a browser, the picture can run nothing and load nothing (it
        // holds no script, and its text is escaped; this is the second lock).
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'",
        ))
        .insert_header((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(org_chart::draw("Reporting lines", &nodes)))
}

/// A member's managers up to the top of the reporting tree, nearest first
/// (project.view_members).
#[utoipa::path(
    tag = "project members",
    params(
        ("id" = Uuid, Path, description = "the project's id"),
        ("user_id" = Uuid, Path, description = "the member's user id"),
    ),
    responses(
        (status = 200, description = "the member's managers, nearest first (empty for a member who reports to nobody)", body = ReportingChain),
        Invalid, Unauthenticated, Forbidden,
        (status = 404, description = "`not_found`: no such project, one the caller may not see, or a user who is not a member of it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/projects/{id}/members/{user_id}/chain")]
pub async fn get_member_chain(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Reply<ReportingChain> {
    let (project_id, user_id) = path.into_inner();
    let managers = project_members::chain(caller.db(), caller.subject, project_id, user_id).await?;
    Ok(web::Json(ReportingChain {
        items: managers.into_iter().map(Into::into).collect(),
    }))
}

/// The members who report to a member, directly (default) or at any depth
/// (`?transitive=true`), ordered by user id (project.view_members).
#[utoipa::path(
    tag = "project members",
    params(
        ("id" = Uuid, Path, description = "the project's id"),
        ("user_id" = Uuid, Path, description = "the member's user id"),
        ReportsQuery, PageParams,
    ),
    responses(
        (status = 200, description = "a page of reports, with their number in all", body = ReportsPage),
        Invalid, Unauthenticated, Forbidden,
        (status = 404, description = "`not_found`: no such project, one the caller may not see, or a user who is not a member of it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/projects/{id}/members/{user_id}/reports")]
pub async fn list_member_reports(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    query: Query<ReportsQuery>,
    page: Query<PageParams>,
) -> Reply<ReportsPage> {
    let (project_id, user_id) = path.into_inner();
    let page = page.into_inner().parse()?;
    let transitive = query.into_inner().transitive.unwrap_or(false);
    let reports = project_members::reports(
        caller.db(),
        caller.subject,
        project_id,
        user_id,
        transitive,
        &page.by_id()?,
    )
    .await?;
    let listed = page
        .page(reports.rows, |m| m.member.user_id)
        .map(ReportingMember::from);
    Ok(web::Json(ReportsPage {
        items: listed.items,
        next_cursor: listed.next_cursor,
        total: reports.total,
    }))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(put_project_member)
        .service(list_project_members)
        .service(get_project_member)
        .service(delete_project_member)
        .service(get_reporting_lines)
        .service(get_reporting_lines_svg)
        .service(get_member_chain)
        .service(list_member_reports);
}
