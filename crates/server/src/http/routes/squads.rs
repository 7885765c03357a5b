//! `/v1/projects/{id}/squads` and `/v1/squads`: squads (one level of nesting) and who is in
//! them.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, Problem};
use crate::http::extract::{Answer, Caller, Json, OptionalJson, Query, Reply};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::services::squads::{self, NewSquad, SquadChange, SquadTree};

/// A squad: top-level (depth 0) or a sub-squad of a top-level squad of the same project.
#[derive(Debug, Serialize, ToSchema)]
pub struct Squad {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The parent squad; `null` for a top-level squad.
    #[schema(required = true)]
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// 0 for a top-level squad, 1 for a sub-squad.
    pub depth: u8,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::squads::Model> for Squad {
    fn from(m: entity::squads::Model) -> Self {
        Self {
            id: m.id,
            project_id: m.project_id,
            parent_id: m.parent_id,
            name: m.name,
            depth: u8::try_from(m.depth).unwrap_or_default(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A top-level squad in the project's squad listing, with its sub-squads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedSquad {
    pub id: Uuid,
    pub project_id: Uuid,
    /// Always `null`: the listing pages over top-level squads.
    #[schema(required = true)]
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// Always 0.
    pub depth: u8,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every sub-squad, in id order.
    pub sub_squads: Vec<Squad>,
}

impl From<SquadTree> for ListedSquad {
    fn from(tree: SquadTree) -> Self {
        let squad = Squad::from(tree.squad);
        Self {
            id: squad.id,
            project_id: squad.project_id,
            parent_id: squad.parent_id,
            name: squad.name,
            depth: squad.depth,
            created_at: squad.created_at,
            updated_at: squad.updated_at,
            sub_squads: tree.sub_squads.into_iter().map(Squad::from).collect(),
        }
    }
}

/// A user's membership in a squad.
#[derive(Debug, Serialize, ToSchema)]
pub struct SquadMember {
    pub squad_id: Uuid,
    pub user_id: Uuid,
    /// Where the membership comes from: `manual` and `idp_group:<id>` (see group memberships).
    pub sources: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::squad_members::Model> for SquadMember {
    fn from(m: entity::squad_members::Model) -> Self {
        Self {
            squad_id: m.squad_id,
            user_id: m.user_id,
            sources: crate::services::sources::names(m.manual, m.idp_sources.as_deref()),
            created_at: m.created_at,
        }
    }
}

/// Body of `POST /v1/projects/{id}/squads`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSquad {
    /// 1–200 characters after trimming; unique among its siblings (or the project's top-level
    /// squads).
    #[schema(value_type = crate::http::schemas::NameText)]
    pub name: String,
    /// The parent squad: a top-level squad of the same project. Omitted or `null` for a
    /// top-level squad.
    pub parent_id: Option<Uuid>,
}

/// Body of `PATCH /v1/squads/{id}`: absent fields stay as they are; `null`
/// is refused except where it means something.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSquad {
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(value_type = crate::http::schemas::NameText, required = false)]
    pub name: Option<String>,
    /// Move the squad under this top-level squad of the same project; `null` makes it
    /// top-level.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

/// Body of `PUT /v1/squads/{id}/members/{user_id}`: none, or `{}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddSquadMember {}

fn parse_name(raw: &str) -> Result<domain::Name, ApiError> {
    domain::Name::parse(raw).map_err(|e| ApiError::invalid("name", e.to_string()))
}

impl CreateSquad {
    fn parse(self) -> Result<NewSquad, ApiError> {
        Ok(NewSquad {
            name: parse_name(&self.name)?,
            parent_id: self.parent_id,
        })
    }
}

impl UpdateSquad {
    fn parse(self) -> Result<SquadChange, ApiError> {
        Ok(SquadChange {
            name: self.name.as_deref().map(parse_name).transpose()?,
            parent: self.parent_id,
        })
    }
}

fn squad_location(id: Uuid) -> String {
    format!("/v1/squads/{id}")
}

/// Create a squad in a project (`project.manage_squads`). Squads nest one level: the parent
/// must be a top-level squad of the same project. A sub-squad or a squad of another project
/// as the parent → 400 `squad_nesting` (a squad of a project the caller has no role in reads
/// as unknown: 400 `validation_failed` naming `parent_id`, like a squad that does not exist).
#[utoipa::path(
    tag = "squads",
    params(("id" = Uuid, Path, description = "the project's id")),
    request_body = CreateSquad,
    responses(
        (status = 201, description = "the new squad", body = Squad, headers(("Location" = String, description = "the new squad's URL"))),
        (status = 400, description = "`validation_failed` (e.g. an empty name, an unknown `parent_id`), `squad_nesting`", body = Problem, content_type = "application/problem+json"),
        Unauthenticated, Forbidden, NotFound,
        (status = 409, description = "`conflict`: a sibling squad has the name (or concurrent changes kept getting in the way)", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/projects/{id}/squads")]
pub async fn create_squad(caller: Caller, id: web::Path<Uuid>, body: Json<CreateSquad>) -> Answer {
    let input = body.into_inner().parse()?;
    let squad = squads::create(caller.db(), caller.subject, id.into_inner(), input).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, squad_location(squad.id)))
        .json(Squad::from(squad)))
}

/// A project's top-level squads, each with its sub-squads (`project.view`); pages count
/// top-level squads, in id order.
#[utoipa::path(
    tag = "squads",
    params(("id" = Uuid, Path, description = "the project's id"), PageParams),
    responses((status = 200, description = "a page of top-level squads with their sub-squads", body = Page<ListedSquad>), Invalid, Unauthenticated, NotFound)
)]
#[get("/projects/{id}/squads")]
pub async fn list_squads(
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Reply<Page<ListedSquad>> {
    let page = page.into_inner().parse()?;
    let rows = squads::list(caller.db(), caller.subject, id.into_inner(), &page.by_id()?).await?;
    Ok(web::Json(
        page.page(rows, |t| t.squad.id).map(ListedSquad::from),
    ))
}

/// A squad (`project.view` in its project).
#[utoipa::path(
    tag = "squads",
    params(("id" = Uuid, Path, description = "the squad's id")),
    responses((status = 200, description = "the squad", body = Squad), Invalid, Unauthenticated, NotFound)
)]
#[get("/squads/{id}")]
pub async fn get_squad(caller: Caller, id: web::Path<Uuid>) -> Reply<Squad> {
    let squad = squads::get(&caller.facts(), caller.subject, id.into_inner()).await?;
    Ok(web::Json(squad.into()))
}

/// Rename a squad and/or move it within its project (`project.manage_squads`). A squad with
/// sub-squads cannot become a sub-squad, a squad cannot be its own parent, and the parent must
/// be a top-level squad of the same project: 400 `squad_nesting`.
#[utoipa::path(
    tag = "squads",
    params(("id" = Uuid, Path, description = "the squad's id")),
    request_body = UpdateSquad,
    responses(
        (status = 200, description = "changed, or already as asked", body = Squad),
        (status = 400, description = "`validation_failed`, `squad_nesting`", body = Problem, content_type = "application/problem+json"),
        Unauthenticated, Forbidden, NotFound,
        (status = 409, description = "`conflict`: a sibling squad has the name (or concurrent changes kept getting in the way)", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[patch("/squads/{id}")]
pub async fn update_squad(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UpdateSquad>,
) -> Reply<Squad> {
    let change = body.into_inner().parse()?;
    let squad = squads::update(caller.db(), caller.subject, id.into_inner(), change).await?;
    Ok(web::Json(squad.into()))
}

/// Delete a squad with its sub-squads and every membership in them (`project.manage_squads`;
/// each removed membership must be one the caller could remove on its own).
#[utoipa::path(
    tag = "squads",
    params(("id" = Uuid, Path, description = "the squad's id")),
    responses(
        (status = 204, description = "deleted with its sub-squads and memberships"), Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation` when the squads hold a member stronger than the caller", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`conflict`: concurrent changes kept getting in the way", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/squads/{id}")]
pub async fn delete_squad(caller: Caller, id: web::Path<Uuid>) -> Answer {
    squads::delete(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a project member to a squad (`project.manage_squad_members`: a squad_lead only in the
/// squads they belong to and those squads' sub-squads, and only for squad leads and members).
/// Takes no body, or `{}`.
#[utoipa::path(
    tag = "squads",
    params(
        ("id" = Uuid, Path, description = "the squad's id"),
        ("user_id" = Uuid, Path, description = "the user to add"),
    ),
    request_body(content = Option<AddSquadMember>, description = "none, or `{}`"),
    responses(
        (status = 200, description = "the user already was in the squad", body = SquadMember),
        (status = 201, description = "the user was added", body = SquadMember, headers(("Location" = String, description = "the membership's URL"))),
        (status = 400, description = "`validation_failed`, `not_project_member`", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation` for a user whose project role is stronger than the caller's", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`conflict`: concurrent changes kept getting in the way", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[put("/squads/{id}/members/{user_id}")]
pub async fn upsert_squad_member(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    _body: OptionalJson<AddSquadMember>,
) -> Answer {
    let (squad_id, user_id) = path.into_inner();
    let upserted = squads::add_member(caller.db(), caller.subject, squad_id, user_id).await?;
    let location = Some(format!("/v1/squads/{squad_id}/members/{user_id}"));
    Ok(crate::http::repr::upserted_response(
        upserted,
        location,
        SquadMember::from,
    ))
}

/// A squad's members, ordered by user id (`project.view_members`).
#[utoipa::path(
    tag = "squads",
    params(("id" = Uuid, Path, description = "the squad's id"), PageParams),
    responses((status = 200, description = "a page of the squad's members", body = Page<SquadMember>), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/squads/{id}/members")]
pub async fn list_squad_members(
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Reply<Page<SquadMember>> {
    let page = page.into_inner().parse()?;
    let rows =
        squads::members(caller.db(), caller.subject, id.into_inner(), &page.by_id()?).await?;
    Ok(web::Json(
        page.page(rows, |m| m.user_id).map(SquadMember::from),
    ))
}

/// Remove a user from a squad (`project.manage_squad_members`, with the same scoping and tier
/// rule as adding), or leave it oneself.
#[utoipa::path(
    tag = "squads",
    params(
        ("id" = Uuid, Path, description = "the squad's id"),
        ("user_id" = Uuid, Path, description = "the member's user id"),
    ),
    responses(
        (status = 204, description = "the user is no longer in the squad"), Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`, or `role_escalation` for a member whose project role is stronger than the caller's", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`conflict`: concurrent changes kept getting in the way", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/squads/{id}/members/{user_id}")]
pub async fn delete_squad_member(caller: Caller, path: web::Path<(Uuid, Uuid)>) -> Answer {
    let (squad_id, user_id) = path.into_inner();
    squads::remove_member(caller.db(), caller.subject, squad_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_squad)
        .service(list_squads)
        .service(get_squad)
        .service(update_squad)
        .service(delete_squad)
        .service(upsert_squad_member)
        .service(list_squad_members)
        .service(delete_squad_member);
}
