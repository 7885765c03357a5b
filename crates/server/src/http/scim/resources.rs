//! The routes every SCIM resource type serves, written once (RFC 7644 §3): list (GET, and POST
//! `/.search`), read (with `If-None-Match` → 304), create, replace (PUT), patch and delete, each
//! answer carrying the resource's version as its `ETag`, `If-Match` passed to the service for
//! 412s, and `attributes` / `excludedAttributes` applied to every representation. A resource
//! type says how to reach its service by implementing [`Resource`] (users.rs, groups.rs).

use std::collections::HashMap;

use ::scim::patch::Operation;
use ::scim::projection::{Selection, parse_selection, project};
use ::scim::schema::ResourceSchema;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::list::{self, ListRequest};
use super::{SCIM_JSON, ScimError, base_url, read_json, resource};
use crate::error::ApiError;
use crate::services::scim::listing::{ListQuery, Page};
use crate::services::scim::{Change, Provisioner, check_if_match};
use crate::state::AppState;

/// One SCIM resource type, as its routes reach its service.
pub(super) trait Resource: 'static {
    /// A stored resource, as the service hands it back.
    type Stored;
    /// What a POST or PUT body says the resource is.
    type Fields;
    /// Where the type is served (`/Users`), and what a path's id that names nothing is called.
    const ENDPOINT: &'static str;
    const NOUN: &'static str;
    fn schema() -> &'static ResourceSchema;
    fn read(body: &Value) -> Result<Self::Fields, ApiError>;
    fn version(stored: &Self::Stored) -> String;
    fn to_json(stored: &Self::Stored, base: &str) -> Value;
    async fn list(db: &DatabaseConnection, query: &ListQuery, base: &str)
    -> Result<Page, ApiError>;
    async fn get(db: &DatabaseConnection, id: Uuid) -> Result<Self::Stored, ApiError>;
    async fn create(
        db: &DatabaseConnection,
        client: Provisioner,
        fields: Self::Fields,
    ) -> Result<Self::Stored, ApiError>;
    async fn change(
        db: &DatabaseConnection,
        client: Provisioner,
        id: Uuid,
        change: Change<Self::Fields>,
        if_match: Option<&str>,
        base: &str,
    ) -> Result<Self::Stored, ApiError>;
    async fn delete(
        db: &DatabaseConnection,
        client: Provisioner,
        id: Uuid,
        if_match: Option<&str>,
    ) -> Result<(), ApiError>;
}

/// Registers `R`'s routes; other methods get 405.
pub(super) fn configure<R: Resource>(cfg: &mut web::ServiceConfig) {
    let endpoint = R::ENDPOINT;
    cfg.service(
        resource(endpoint)
            .route(web::get().to(list_all::<R>))
            .route(web::post().to(create::<R>)),
    )
    .service(resource(&format!("{endpoint}/.search")).route(web::post().to(search::<R>)))
    .service(
        resource(&format!("{endpoint}/{{id}}"))
            .route(web::get().to(get::<R>))
            .route(web::put().to(replace::<R>))
            .route(web::patch().to(patch::<R>))
            .route(web::delete().to(delete::<R>)),
    );
}

async fn list_all<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
    _client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let request = list::from_query(req.query_string(), R::schema())?;
    answer_list::<R>(&state, &req, request).await
}

async fn search<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
    _client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let request = list::from_search(&read_json(body).await?, R::schema())?;
    answer_list::<R>(&state, &req, request).await
}

async fn answer_list<R: Resource>(
    state: &AppState,
    req: &HttpRequest,
    request: ListRequest,
) -> Result<HttpResponse, ScimError> {
    let page = R::list(&state.db, &request.query, &base_url(req)).await?;
    Ok(list::answer(
        &page,
        request.query.start_index,
        &request.selection,
        R::schema(),
    ))
}

async fn get<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    _client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, R::schema())?;
    let stored = R::get(&state.db, path_id::<R>(&id)?).await?;
    let version = R::version(&stored);
    // If-None-Match names versions the client has: when the current one is among them, 304.
    if let Some(held) = header_text(req.headers(), header::IF_NONE_MATCH)
        && check_if_match(Some(held), &version).is_ok()
    {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, version))
            .finish());
    }
    Ok(answer::<R>(&stored, &req, &selection, StatusCode::OK))
}

async fn create<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(&req, R::schema())?;
    let fields = R::read(&read_json(body).await?)?;
    let stored = R::create(&state.db, client, fields).await?;
    Ok(answer::<R>(&stored, &req, &selection, StatusCode::CREATED))
}

async fn replace<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let id = path_id::<R>(&id)?;
    let fields = R::read(&read_json(body).await?)?;
    change::<R>(&state, &req, id, client, Change::Replace(fields)).await
}

async fn patch<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let id = path_id::<R>(&id)?;
    let operations: Vec<Operation> = ::scim::patch::parse_request(&read_json(body).await?)
        .map_err(|e| ScimError::invalid(e.scim_type, e.detail))?;
    change::<R>(&state, &req, id, client, Change::Patch(operations)).await
}

async fn change<R: Resource>(
    state: &AppState,
    req: &HttpRequest,
    id: Uuid,
    client: Provisioner,
    change: Change<R::Fields>,
) -> Result<HttpResponse, ScimError> {
    let selection = selection(req, R::schema())?;
    let if_match = header_text(req.headers(), header::IF_MATCH);
    let stored = R::change(&state.db, client, id, change, if_match, &base_url(req)).await?;
    Ok(answer::<R>(&stored, req, &selection, StatusCode::OK))
}

async fn delete<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    client: Provisioner,
) -> Result<HttpResponse, ScimError> {
    let id = path_id::<R>(&id)?;
    let if_match = header_text(req.headers(), header::IF_MATCH);
    R::delete(&state.db, client, id, if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A resource's representation as `selection` asks, with its version as the ETag (and its
/// location, when just created).
fn answer<R: Resource>(
    stored: &R::Stored,
    req: &HttpRequest,
    selection: &Selection,
    status: StatusCode,
) -> HttpResponse {
    let full = R::to_json(stored, &base_url(req));
    let mut response = HttpResponse::build(status);
    response
        .content_type(SCIM_JSON)
        .insert_header((header::ETAG, R::version(stored)));
    if status == StatusCode::CREATED
        && let Some(location) = full["meta"]["location"].as_str()
    {
        response.insert_header((header::LOCATION, location));
    }
    response.json(project(&full, selection, R::schema()))
}

/// The `attributes` / `excludedAttributes` of a request for one resource under `schema`.
fn selection(req: &HttpRequest, schema: &ResourceSchema) -> Result<Selection, ScimError> {
    let params: HashMap<String, String> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ScimError::invalid("invalidSyntax", format!("query: {e}")))?;
    parse_selection(
        params.get("attributes").map(String::as_str),
        params.get("excludedAttributes").map(String::as_str),
        schema,
    )
    .map_err(|e| ScimError::invalid("invalidValue", e.message))
}

/// A resource id from the path; anything else names no resource.
fn path_id<R: Resource>(raw: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(raw).map_err(|_| ScimError::not_found(&format!("no such {}", R::NOUN)))
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
