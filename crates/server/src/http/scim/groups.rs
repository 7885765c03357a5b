//! `/scim/v2/Groups` (spec §11): an identity provider's groups — list (GET, and POST
//! `/.search`), read, create, replace (PUT), patch and delete, with ETags as for Users.

use ::scim::projection::{Selection, project};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::list::{self, ListRequest};
use super::users::{header_text, selection};
use super::{SCIM_JSON, ScimError, base_url, read_json, resource};
use crate::services::scim::Provisioner;
use crate::services::scim::group_json::{self, GroupFields};
use crate::services::scim::groups::{self as service, Change, Group};
use crate::services::scim::schemas::GROUP_RESOURCE;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/Groups")
            .route(web::get().to(list_groups))
            .route(web::post().to(create)),
    )
    .service(resource("/Groups/.search").route(web::post().to(search)))
    .service(
        resource("/Groups/{id}")
            .route(web::get().to(get))
            .route(web::put().to(replace))
            .route(web::patch().to(patch))
            .route(web::delete().to(delete)),
    );
}

async fn list_groups(
    state: web::Data<AppState>,
    req: HttpRequest,
    _client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let request = list::from_query(req.query_string(), &GROUP_RESOURCE)?;
    answer_list(&state, &req, request).await
}

async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    _client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let request = list::from_search(&read_json(body).await?, &GROUP_RESOURCE)?;
    answer_list(&state, &req, request).await
}

async fn answer_list(
    state: &AppState,
    req: &HttpRequest,
    request: ListRequest,
) -> Result<HttpResponse, ScimError> {
    let page = service::list(&state.db, &request.query, &base_url(req)).await?;
    Ok(list::answer(
        &page,
        request.query.start_index,
        &request.selection,
        &GROUP_RESOURCE,
    ))
}

async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    _client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, &GROUP_RESOURCE)?;
    let group = service::get(&state.db, group_id(&id)?).await?;
    let version = group_json::version(&group.group);
    if let Some(held) = header_text(req.headers(), header::IF_NONE_MATCH)
        && crate::services::scim::check_if_match(Some(held), &version).is_ok()
    {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, version))
            .finish());
    }
    Ok(answer(&group, &req, &selection, StatusCode::OK))
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, &GROUP_RESOURCE)?;
    let fields = GroupFields::read(&read_json(body).await?)?;
    let group = service::create(&state.db, client, fields).await?;
    Ok(answer(&group, &req, &selection, StatusCode::CREATED))
}

async fn replace(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, &GROUP_RESOURCE)?;
    let id = group_id(&id)?;
    let fields = GroupFields::read(&read_json(body).await?)?;
    change(
        &state,
        &req,
        id,
        client,
        Change::Replace(fields),
        &selection,
    )
    .await
}

async fn patch(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, &GROUP_RESOURCE)?;
    let id = group_id(&id)?;
    let operations = ::scim::patch::parse_request(&read_json(body).await?)
        .map_err(|e| ScimError::invalid(e.scim_type, e.detail))?;
    change(
        &state,
        &req,
        id,
        client,
        Change::Patch(operations),
        &selection,
    )
    .await
}

async fn change(
    state: &AppState,
    req: &HttpRequest,
    id: Uuid,
    client: Provisioner,
    change: Change,
    selection: &Selection,
) -> Result<HttpResponse, ScimError> {
    let if_match = header_text(req.headers(), header::IF_MATCH);
    let group = service::change(&state.db, client, id, change, if_match, &base_url(req)).await?;
    Ok(answer(&group, req, selection, StatusCode::OK))
}

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&id)?;
    let if_match = header_text(req.headers(), header::IF_MATCH);
    service::delete(&state.db, client, id, if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A group's representation as `selection` asks, with its version as the ETag.
fn answer(
    group: &Group,
    req: &HttpRequest,
    selection: &Selection,
    status: StatusCode,
) -> HttpResponse {
    let base = base_url(req);
    let body = project(&group.to_json(&base), selection, &GROUP_RESOURCE);
    let mut response = HttpResponse::build(status);
    response
        .content_type(SCIM_JSON)
        .insert_header((header::ETAG, group_json::version(&group.group)));
    if status == StatusCode::CREATED {
        response.insert_header((
            header::LOCATION,
            group_json::location(&base, group.group.id),
        ));
    }
    response.json(body)
}

/// A group id from the path; anything else names no group.
fn group_id(raw: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(raw).map_err(|_| ScimError::not_found("no such group"))
}
