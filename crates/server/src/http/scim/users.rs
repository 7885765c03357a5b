//! `/scim/v2/Users` (spec §11): list (GET, and POST `/.search`), read, create, replace (PUT),
//! patch and delete; each answer carries the user's version as its `ETag`, and a write naming
//! another version in `If-Match` gets 412.

use std::collections::HashMap;

use ::scim::projection::{Selection, parse_selection, project};
use ::scim::schema::ResourceSchema;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use uuid::Uuid;

use super::list::{self, ListRequest};
use super::{SCIM_JSON, ScimError, base_url, read_json, resource};
use crate::services::scim::Provisioner;
use crate::services::scim::schemas::USER_RESOURCE;
use crate::services::scim::user_json::{self, UserFields};
use crate::services::scim::users::{self as service, Change};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/Users")
            .route(web::get().to(list_users))
            .route(web::post().to(create)),
    )
    .service(resource("/Users/.search").route(web::post().to(search)))
    .service(
        resource("/Users/{id}")
            .route(web::get().to(get))
            .route(web::put().to(replace))
            .route(web::patch().to(patch))
            .route(web::delete().to(delete)),
    );
}

async fn list_users(
    state: web::Data<AppState>,
    req: HttpRequest,
    _client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let request = list::from_query(req.query_string(), &USER_RESOURCE)?;
    answer_list(&state, &req, request).await
}

/// `POST /Users/.search`.
async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    _client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let request = list::from_search(&read_json(body).await?, &USER_RESOURCE)?;
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
        &USER_RESOURCE,
    ))
}

async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    _client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, &USER_RESOURCE)?;
    let user = service::get(&state.db, user_id(&id)?).await?;
    let version = user_json::version(&user);
    // If-None-Match names versions the client has: when the current one is among them, 304.
    if let Some(held) = header_text(req.headers(), header::IF_NONE_MATCH)
        && crate::services::scim::check_if_match(Some(held), &version).is_ok()
    {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, version))
            .finish());
    }
    Ok(answer(&user, &req, &selection, StatusCode::OK))
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, &USER_RESOURCE)?;
    let fields = UserFields::read(&read_json(body).await?)?;
    let user = service::create(&state.db, client, fields).await?;
    Ok(answer(&user, &req, &selection, StatusCode::CREATED))
}

async fn replace(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, &USER_RESOURCE)?;
    let id = user_id(&id)?;
    let fields = UserFields::read(&read_json(body).await?)?;
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
    let selection = selection(&req, &USER_RESOURCE)?;
    let id = user_id(&id)?;
    let operations = ::scim::patch::parse_request(&read_json(body).await?)
        .map_err(|e| ScimError::invalid(e.scim_type, e.detail))?;
    let operations = crate::services::scim::unstored::ignored(operations);
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
    let user = service::change(&state.db, client, id, change, if_match, &base_url(req)).await?;
    Ok(answer(&user, req, selection, StatusCode::OK))
}

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&id)?;
    let if_match = header_text(req.headers(), header::IF_MATCH);
    service::delete(&state.db, client, id, if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's representation as `selection` asks, with its version as the ETag (and its location,
/// when just created).
fn answer(
    user: &entity::users::Model,
    req: &HttpRequest,
    selection: &Selection,
    status: StatusCode,
) -> HttpResponse {
    let base = base_url(req);
    let body: Value = project(&user_json::to_json(user, &base), selection, &USER_RESOURCE);
    let mut response = HttpResponse::build(status);
    response
        .content_type(SCIM_JSON)
        .insert_header((header::ETAG, user_json::version(user)));
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, user_json::location(&base, user.id)));
    }
    response.json(body)
}

/// The `attributes` / `excludedAttributes` of a request for one resource under `schema`.
pub(super) fn selection(
    req: &HttpRequest,
    schema: &ResourceSchema,
) -> Result<Selection, ScimError> {
    let params: HashMap<String, String> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ScimError::invalid("invalidSyntax", format!("query: {e}")))?;
    parse_selection(
        params.get("attributes").map(String::as_str),
        params.get("excludedAttributes").map(String::as_str),
        schema,
    )
    .map_err(|e| ScimError::invalid("invalidValue", e.message))
}

/// A user id from the path; anything else names no user.
fn user_id(raw: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(raw).map_err(|_| ScimError::not_found("no such user"))
}

pub(super) fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
