//! The discovery documents (RFC 7644 §4): what this server supports, which resource types it
//! serves and their schemas — each saying only what is served.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::list::{MAX_RESULTS, list_response};
use super::{ScimError, resource, scim_json};
use crate::services::scim::schemas::{
    ENTERPRISE_USER, ENTERPRISE_USER_SCHEMA, GROUP, GROUP_SCHEMA, USER, USER_SCHEMA,
};

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/ServiceProviderConfig").route(web::get().to(service_provider_config)))
        .service(resource("/ResourceTypes").route(web::get().to(resource_types)))
        .service(resource("/ResourceTypes/{id}").route(web::get().to(resource_type)))
        .service(resource("/Schemas").route(web::get().to(schemas)))
        .service(resource("/Schemas/{id}").route(web::get().to(schema)));
}

fn supported(flag: bool) -> Value {
    json!({ "supported": flag })
}

/// `GET /scim/v2/ServiceProviderConfig`.
async fn service_provider_config() -> HttpResponse {
    scim_json(&json!({
        "schemas": [CONFIG_SCHEMA],
        "patch": supported(true),
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": supported(false),
        "sort": supported(true),
        "etag": supported(true),
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM token",
            "description": "A bearer token made by a system admin with `roster scim-token \
                            create` or POST /v1/scim-tokens",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": "/ServiceProviderConfig",
        },
    }))
}

/// The resource types served, as `/ResourceTypes` lists them.
fn all_resource_types() -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People, provisioned by an identity provider or made through /v1",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{ "schema": ENTERPRISE_USER_SCHEMA, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": "/ResourceTypes/User" },
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "An identity provider's groups; bindings (/v1/idp-groups) say what \
                            their members hold in Roster",
            "schema": GROUP_SCHEMA,
            "meta": { "resourceType": "ResourceType", "location": "/ResourceTypes/Group" },
        }),
    ]
}

fn all_schemas() -> Vec<Value> {
    vec![USER.to_json(), ENTERPRISE_USER.to_json(), GROUP.to_json()]
}

/// Every one of `documents`, in one page.
fn list(documents: Vec<Value>) -> HttpResponse {
    list_response(documents.len() as u64, 1, documents)
}

/// The one of `documents` whose `id` is `id`.
fn one(documents: Vec<Value>, id: &str) -> Result<HttpResponse, ScimError> {
    documents
        .into_iter()
        .find(|document| document["id"].as_str() == Some(id))
        .map(|document| scim_json(&document))
        .ok_or_else(|| ScimError::not_found("no such document"))
}

async fn resource_types() -> HttpResponse {
    list(all_resource_types())
}

async fn resource_type(id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    one(all_resource_types(), &id)
}

async fn schemas() -> HttpResponse {
    list(all_schemas())
}

async fn schema(id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    one(all_schemas(), &id)
}
