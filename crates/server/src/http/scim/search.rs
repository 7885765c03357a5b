//! `POST /scim/v2/.search` (RFC 7644 §3.4.3): one search across every resource type — Users,
//! then Groups. A type whose schema the request's filter or attribute lists do not fit is left
//! out; when none fits, the Users type's refusal is the answer.

use ::scim::projection::project;
use ::scim::schema::ResourceSchema;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::list::{self, ListRequest};
use super::{ScimError, base_url, read_json, resource, scim_json};
use crate::services::scim::listing::ListQuery;
use crate::services::scim::schemas::{GROUP_RESOURCE, USER_RESOURCE};
use crate::services::scim::{Provisioner, groups, users};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/.search").route(web::post().to(search)));
}

async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    _client: Provisioner,
    body: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_json(body).await?;
    let base = base_url(&req);
    let asked = list::from_search(&body, &USER_RESOURCE)
        .or_else(|refusal| list::from_search(&body, &GROUP_RESOURCE).map_err(|_| refusal))?;
    let mut found: Vec<Value> = Vec::new();
    let mut fitted = None;
    for schema in [&USER_RESOURCE, &GROUP_RESOURCE] {
        let Ok(request) = list::from_search(&body, schema) else {
            continue;
        };
        let everything = ListQuery {
            start_index: 1,
            count: i64::MAX.unsigned_abs(),
            ..request.query.clone()
        };
        let page = if std::ptr::eq(schema, &USER_RESOURCE) {
            users::list(&state.db, &everything, &base).await
        } else {
            groups::list(&state.db, &everything, &base).await
        };
        match page {
            Ok(page) => found.extend(shown(page.resources, &request, schema)),
            Err(refusal) => fitted = fitted.or(Some(refusal)),
        }
    }
    if found.is_empty()
        && let Some(refusal) = fitted
    {
        return Err(refusal.into());
    }
    let total = found.len();
    let start = usize::try_from(asked.query.start_index.saturating_sub(1)).unwrap_or(usize::MAX);
    let count = usize::try_from(asked.query.count).unwrap_or(usize::MAX);
    let resources: Vec<Value> = found.into_iter().skip(start).take(count).collect();
    Ok(scim_json(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": asked.query.start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })))
}

fn shown(
    resources: Vec<Value>,
    request: &ListRequest,
    schema: &ResourceSchema,
) -> impl Iterator<Item = Value> {
    resources
        .into_iter()
        .map(move |resource| project(&resource, &request.selection, schema))
        .collect::<Vec<_>>()
        .into_iter()
}
