//! `POST /scim/v2/.search` (RFC 7644 §3.4.3): one search across every resource type — Users,
//! then Groups. A type whose schema the request's filter or attribute lists do not fit is left
//! out; when none fits, the Users type's refusal is the answer.

use ::scim::projection::project;
use actix_web::{HttpResponse, web};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::groups::Groups;
use super::list;
use super::resources::Resource;
use super::users::Users;
use super::{ScimError, base_url, read_json, resource};
use crate::services::scim::Provisioner;
use crate::services::scim::listing::ListQuery;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/.search").route(web::post().to(search)));
}

async fn search(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    _client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_json(body).await?;
    let base = base_url(&req);
    // The page asked for, read as the first type that fits reads it.
    let asked = list::from_search(&body, Users::schema())
        .or_else(|refusal| list::from_search(&body, Groups::schema()).map_err(|_| refusal))?;
    let users = everything::<Users>(&state.db, &body, &base).await;
    let groups = everything::<Groups>(&state.db, &body, &base).await;
    let found: Vec<Value> = match (users, groups) {
        (Err(refusal), Err(_)) => return Err(refusal),
        (users, groups) => users
            .unwrap_or_default()
            .into_iter()
            .chain(groups.unwrap_or_default())
            .collect(),
    };
    let total = found.len() as u64;
    let resources = asked.query.window(found);
    Ok(list::list_response(
        total,
        asked.query.start_index,
        resources,
    ))
}

/// Every resource of type `R` the search selects, shown as it asks; a refusal when the search
/// does not fit `R`'s schema.
async fn everything<R: Resource>(
    db: &DatabaseConnection,
    body: &Value,
    base: &str,
) -> Result<Vec<Value>, ScimError> {
    let request = list::from_search(body, R::schema())?;
    let all = ListQuery {
        start_index: 1,
        count: i64::MAX.unsigned_abs(),
        ..request.query.clone()
    };
    let page = R::list(db, &all, base).await?;
    Ok(page
        .resources
        .iter()
        .map(|resource| project(resource, &request.selection, R::schema()))
        .collect())
}
