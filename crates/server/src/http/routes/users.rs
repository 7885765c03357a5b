//! `/v1/users`: creating, reading, listing, changing and deleting users.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError, Problem};
use crate::http::extract::{Answer, Caller, Json, Query, Reply};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::http::repr;
use crate::services::users::{self, NewUser, UserChanges, UserFilter};
use crate::services::window::Window;

/// Body of `POST /v1/users`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique, compared case-insensitively, stored lower-case.
    #[schema(value_type = crate::http::schemas::EmailText)]
    pub email: String,
    /// 1–200 characters after trimming.
    #[schema(value_type = crate::http::schemas::NameText)]
    pub display_name: String,
}

impl CreateUser {
    fn parse(self) -> Result<NewUser, ApiError> {
        let email = domain::Email::parse(&self.email);
        let display_name = domain::Name::parse(&self.display_name);
        match (email, display_name) {
            (Ok(email), Ok(display_name)) => Ok(NewUser {
                email,
                display_name,
            }),
            (email, name) => {
                let mut errors = Vec::new();
                if let Err(e) = email {
                    errors.push(FieldError::new("email", e.to_string()));
                }
                if let Err(e) = name {
                    errors.push(FieldError::new("display_name", e.to_string()));
                }
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// Create a user (system admins and group admins).
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, description = "the new user", body = repr::User, headers(("Location" = String, description = "the new user's URL"))), Invalid, Unauthenticated, Forbidden,
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/users")]
pub async fn create_user(caller: Caller, body: Json<CreateUser>) -> Answer {
    let input = body.into_inner().parse()?;
    let user = users::create(caller.db(), caller.subject, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/users/{}", user.id)))
        .json(repr::User::from(user)))
}

/// Read a user the caller may see (else 404).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "the user's id")),
    responses((status = 200, description = "the user", body = repr::User), Invalid, Unauthenticated, NotFound)
)]
#[get("/users/{id}")]
pub async fn get_user(caller: Caller, id: web::Path<Uuid>) -> Reply<repr::User> {
    let user = users::read_visible(&caller.facts(), caller.subject, id.into_inner()).await?;
    Ok(web::Json(user.into()))
}

/// The longest `?q=` accepted: nothing longer can be part of an email (254) or a name (200).
const MAX_QUERY_CHARS: usize = domain::names::MAX_EMAIL_LEN;

/// Query of `GET /v1/users`: filters and page. Unknown parameters are refused, so that a
/// misspelt filter fails loudly instead of silently listing everyone.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Items per page, 1–500 (default 50).
    // Read as text so that a non-number is reported as `limit`, not as "the query".
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<crate::http::schemas::CursorText>)]
    pub cursor: Option<String>,
    /// Only the user with this email address (compared lower-case).
    #[param(example = "ada@example.org")]
    pub email: Option<String>,
    /// Only users whose email or display name contains this text (in NFC), ignoring case. `%`
    /// and `_` match themselves. Empty means no filter.
    #[param(max_length = 254, example = "ada")]
    pub q: Option<String>,
}

impl ListUsersQuery {
    /// Validates every parameter, reporting each bad one by name.
    pub(crate) fn parse(self) -> Result<(PageRequest, Window<Uuid>, UserFilter), ApiError> {
        let mut errors = Vec::new();
        let limit = match self.limit.as_deref().map(str::parse::<u64>) {
            None => None,
            Some(Ok(limit)) => Some(limit),
            Some(Err(_)) => {
                errors.push(FieldError::new("limit", "must be an integer from 1 to 500"));
                None
            }
        };
        let page = PageParams {
            limit,
            cursor: self.cursor,
        }
        .parse()
        .and_then(|page| Ok((page.by_id()?, page)));
        let page = match page {
            Ok(page) => Some(page),
            Err(ApiError::Validation(page_errors)) => {
                errors.extend(page_errors);
                None
            }
            Err(other) => return Err(other),
        };
        let email = match self.email.as_deref().map(domain::Email::parse) {
            None => None,
            Some(Ok(email)) => Some(email),
            Some(Err(e)) => {
                errors.push(FieldError::new("email", e.to_string()));
                None
            }
        };
        // Names and emails are stored in NFC, so the search text must be too to find them.
        let q = self
            .q
            .filter(|q| !q.is_empty())
            .map(|q| domain::names::nfc(&q));
        if q.as_ref()
            .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
        {
            errors.push(FieldError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        match page {
            Some((window, page)) if errors.is_empty() => {
                Ok((page, window, UserFilter { email, q }))
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// List the users the caller may read (exactly those `GET /v1/users/{id}` answers), in id order.
#[utoipa::path(
    tag = "users",
    params(ListUsersQuery),
    responses((status = 200, description = "a page of users", body = Page<repr::User>), Invalid, Unauthenticated)
)]
#[get("/users")]
pub async fn list_users(caller: Caller, query: Query<ListUsersQuery>) -> Reply<Page<repr::User>> {
    let (page, window, filter) = query.into_inner().parse()?;
    let rows = users::list_visible(caller.db(), caller.subject, &filter, &window).await?;
    Ok(web::Json(
        page.page(rows, |user| user.id).map(repr::User::from),
    ))
}

/// Body of `PATCH /v1/users/{id}`: an absent field is unchanged; `null` is refused.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// Only system admins may change it. Unique, compared case-insensitively, stored lower-case.
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(value_type = crate::http::schemas::EmailText, required = false)]
    pub email: Option<String>,
    /// 1–200 characters after trimming.
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(value_type = crate::http::schemas::NameText, required = false)]
    pub display_name: Option<String>,
}

impl UpdateUser {
    fn parse(self) -> Result<UserChanges, ApiError> {
        let mut errors = Vec::new();
        let email = self.email.as_deref().map(domain::Email::parse).transpose();
        let email = email.unwrap_or_else(|e| {
            errors.push(FieldError::new("email", e.to_string()));
            None
        });
        let display_name = self
            .display_name
            .as_deref()
            .map(domain::Name::parse)
            .transpose();
        let display_name = display_name.unwrap_or_else(|e| {
            errors.push(FieldError::new("display_name", e.to_string()));
            None
        });
        if errors.is_empty() {
            Ok(UserChanges {
                email,
                display_name,
            })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// Change a user: themselves their display name, a system admin both fields.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "the user's id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "the user, changed or (when nothing differed) as it was", body = repr::User), Invalid, Unauthenticated,
        (status = 403, description = "the caller sees the user but may not make this change", body = Problem, content_type = "application/problem+json"),
        NotFound,
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UpdateUser>,
) -> Reply<repr::User> {
    let changes = body.into_inner().parse()?;
    let user = users::update(caller.db(), caller.subject, id.into_inner(), changes).await?;
    Ok(web::Json(user.into()))
}

/// Delete a user and their memberships (system admins).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "the user's id")),
    responses(
        (status = 204, description = "deleted"), Invalid, Unauthenticated, Forbidden, NotFound,
        (status = 409, description = "`last_system_admin`, `last_admin`, or `conflict`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/users/{id}")]
pub async fn delete_user(caller: Caller, id: web::Path<Uuid>) -> Answer {
    users::delete(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(update_user)
        .service(delete_user);
}
