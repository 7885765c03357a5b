//! The OpenAPI document: its fixed parts here, paths added by utoipa-actix-web as handlers
//! register, and the finishing passes of [`finish`].

mod finish;
mod links;

pub use finish::finish;

use actix_web::http::Method;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDoc, PathItem};
use utoipa::{Modify, OpenApi};

use super::fallback::RouteTable;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster",
        description = "Who belongs to which group, project and squad, in which role, who reports \
                       to whom, and what each person may do. Every error is \
                       `application/problem+json` (RFC 9457) with a stable `code`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    // Every operation needs a bearer token unless it says otherwise (the operations routes
    // declare `security(())`).
    security(("bearer" = [])),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "users", description = "Users and the caller"),
        (name = "groups", description = "The group tree"),
        (name = "group members", description = "Memberships and roles in groups"),
        (name = "projects", description = "Projects inside groups"),
        (name = "project members", description = "Project roles and reporting lines"),
        (name = "squads", description = "Squads and their members"),
        (name = "check", description = "Roles, capabilities and permission checks"),
        (name = "audit", description = "The audit trail"),
        (name = "scim", description = "Tokens for SCIM provisioning (the SCIM API itself is under /scim/v2)"),
        (name = "idp groups", description = "Identity providers' groups and their bindings to groups, projects and squads"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme that every `/v1` operation names.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The served routes and their methods, read from the finished document, plus the
/// documentation routes that are not themselves part of it.
pub fn route_table(doc: &OpenApiDoc) -> RouteTable {
    let mut routes: Vec<(&str, Vec<Method>)> = doc
        .paths
        .paths
        .iter()
        .map(|(path, item)| (path.as_str(), methods_of(item)))
        .collect();
    routes.push(("/openapi.json", vec![Method::GET, Method::HEAD]));
    routes.push(("/docs", vec![Method::GET, Method::HEAD]));
    routes.push(("/docs/{file}", vec![Method::GET, Method::HEAD]));
    RouteTable::new(routes)
}

/// The methods served at a path: those of its operations, and `HEAD` wherever `GET` is
/// (`http::head` serves it).
fn methods_of(item: &PathItem) -> Vec<Method> {
    [
        (Method::GET, item.get.is_some()),
        (Method::HEAD, item.get.is_some() || item.head.is_some()),
        (Method::POST, item.post.is_some()),
        (Method::PUT, item.put.is_some()),
        (Method::PATCH, item.patch.is_some()),
        (Method::DELETE, item.delete.is_some()),
        (Method::OPTIONS, item.options.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, present)| present.then_some(method))
    .collect()
}
