//! The discovery documents (RFC 7644 §4): what this server supports, which resource types it
//! serves and their schemas. Each says only what is served today.

use actix_web::{HttpResponse, get, web};
use serde_json::{Value, json};

use super::scim_json;

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

fn unsupported() -> Value {
    json!({ "supported": false })
}

/// `GET /scim/v2/ServiceProviderConfig`.
#[get("/ServiceProviderConfig")]
async fn service_provider_config() -> HttpResponse {
    scim_json(&json!({
        "schemas": [CONFIG_SCHEMA],
        "patch": unsupported(),
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": false, "maxResults": 0 },
        "changePassword": unsupported(),
        "sort": unsupported(),
        "etag": unsupported(),
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM token",
            "description": "A bearer token made by a system admin with `roster scim-token \
                            create` or POST /v1/scim-tokens",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": "/scim/v2/ServiceProviderConfig",
        },
    }))
}

/// An empty list answer: no resource type, and so no schema, is served yet.
fn nothing_yet() -> HttpResponse {
    scim_json(&json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }))
}

/// `GET /scim/v2/ResourceTypes`.
#[get("/ResourceTypes")]
async fn resource_types() -> HttpResponse {
    nothing_yet()
}

/// `GET /scim/v2/Schemas`.
#[get("/Schemas")]
async fn schemas() -> HttpResponse {
    nothing_yet()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(service_provider_config)
        .service(resource_types)
        .service(schemas);
}
