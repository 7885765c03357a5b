//! `/v1/lookup/resources` and `/v1/lookup/subjects` (spec §10): where a user may use a
//! capability, and who may use it on a resource — complete pages that agree with `/v1/check`.

use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::check::{GrantedBy, ResourceRef, applies_to, parse_capability, parse_target};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::consistency::ConsistencyChoice;
use crate::http::extract::{Caller, Json, Reply};
use crate::http::pagination::{MAX_LIMIT, Page, PageParams};
use crate::http::problems::Invalid;
use crate::http::problems::{BodyRejected, Unauthenticated};
use crate::services::access::FactSource;
use crate::services::guard::Subject;
use crate::services::lookup::resources::{self, GroupItem, Lookup, ProjectItem};
use crate::services::lookup::subjects;
use crate::services::window::Window;
use crate::services::{access, check, users};

/// Body of `POST /v1/lookup/resources`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceLookup {
    /// Whose access; the caller's own when omitted (only system admins look up others).
    pub user_id: Option<Uuid>,
    /// A group capability for groups, a project capability for projects and squads.
    #[schema(value_type = crate::http::schemas::CapabilityName)]
    pub capability: String,
    /// `group`, `project` or `squad`.
    #[schema(value_type = crate::http::schemas::ResourceKindName)]
    pub resource_type: String,
    /// Only resources in this group's subtree (the group itself included).
    pub within: Option<Uuid>,
    /// Groups only: every group where the capability holds, instead of the subtree roots.
    pub expand: Option<bool>,
    /// Items per page, 1–500 (default 50).
    #[schema(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same lookup.
    #[schema(value_type = Option<crate::http::schemas::CursorText>)]
    pub cursor: Option<String>,
    pub consistency: Option<ConsistencyChoice>,
}

/// Body of `POST /v1/lookup/subjects`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectLookup {
    #[schema(value_type = crate::http::schemas::CapabilityName)]
    pub capability: String,
    pub resource: ResourceRef,
    /// Items per page, 1–500 (default 50).
    #[schema(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same lookup.
    #[schema(value_type = Option<crate::http::schemas::CursorText>)]
    pub cursor: Option<String>,
    pub consistency: Option<ConsistencyChoice>,
}

/// A resource where the capability holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundResource {
    /// `group`, `project` or `squad`.
    #[serde(rename = "type")]
    #[schema(value_type = crate::http::schemas::ResourceKindName)]
    pub kind: &'static str,
    pub id: Uuid,
    pub name: String,
    /// Groups only: the group's path, its ancestors' ids and its own as 32 hex digits each,
    /// joined by `.`, root first — the prefix an app filters its own rows by.
    #[schema(required = true)]
    pub path: Option<String>,
    /// The subject's effective role there.
    pub role: &'static str,
    /// The membership that grants the capability.
    pub granted_by: GrantedBy,
    /// `true` when the capability holds in the whole subtree below this group too (every item
    /// of a lookup of subtree roots); `false` for an expanded group, a project or a squad.
    pub subtree: bool,
}

impl From<GroupItem> for FoundResource {
    fn from(item: GroupItem) -> Self {
        Self {
            kind: "group",
            id: item.group.id,
            name: item.group.name,
            path: Some(item.group.path),
            role: domain::RoleName::from(item.grant.role).as_str(),
            granted_by: item.grant.granted_by().into(),
            subtree: item.subtree,
        }
    }
}

/// A project or a squad, as a lookup item names it.
pub trait ProjectResource {
    const KIND: &'static str;
    fn id_and_name(self) -> (Uuid, String);
}

impl ProjectResource for entity::projects::Model {
    const KIND: &'static str = "project";
    fn id_and_name(self) -> (Uuid, String) {
        (self.id, self.name)
    }
}

impl ProjectResource for entity::squads::Model {
    const KIND: &'static str = "squad";
    fn id_and_name(self) -> (Uuid, String) {
        (self.id, self.name)
    }
}

impl<R: ProjectResource> From<ProjectItem<R>> for FoundResource {
    fn from(item: ProjectItem<R>) -> Self {
        let (id, name) = item.resource.id_and_name();
        Self {
            kind: R::KIND,
            id,
            name,
            path: None,
            role: domain::RoleName::from(item.grant.role).as_str(),
            granted_by: item.grant.granted_by().into(),
            subtree: false,
        }
    }
}

/// A user who may use the capability on the resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundSubject {
    pub user_id: Uuid,
    /// Their effective role there.
    pub role: &'static str,
    /// The membership that grants the capability.
    pub granted_by: GrantedBy,
}

/// Where a user may use a capability: the smallest set of group subtree roots (or, with
/// `expand`, every group), or each project or squad — never truncated; each item is allowed by
/// `/v1/check` and every resource check allows is covered.
#[utoipa::path(
    tag = "check",
    request_body = ResourceLookup,
    responses(
        (status = 200, description = "a page of resources, groups in path order, projects and squads in id order", body = Page<FoundResource>),
        (status = 400, description = "`validation_failed`: an unknown capability or resource type, a capability that does not apply to it, `expand` for projects or squads, a bad cursor, a `within` group the caller cannot see, an unknown `user_id`", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "only system admins look up other users", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/lookup/resources")]
pub async fn lookup_resources(
    caller: Caller,
    body: Json<ResourceLookup>,
) -> Reply<Page<FoundResource>> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    let kind = match body.resource_type.as_str() {
        "group" => Some(domain::ResourceKind::Group),
        "project" => Some(domain::ResourceKind::Project),
        "squad" => Some(domain::ResourceKind::Squad),
        _ => {
            errors.push(FieldError::new(
                "resource_type",
                "must be one of group, project, squad",
            ));
            None
        }
    };
    let capability = capability_for(&body.capability, kind, &mut errors);
    let expand = body.expand.unwrap_or(false);
    if expand && kind.is_some_and(|k| k != domain::ResourceKind::Group) {
        errors.push(FieldError::new("expand", "applies to groups only"));
    }
    let page = PageParams {
        limit: body.limit,
        cursor: body.cursor,
    }
    .parse();
    let (Some(kind), Some(capability), Ok(page), true) =
        (kind, capability, &page, errors.is_empty())
    else {
        if let Err(ApiError::Validation(more)) = page {
            errors.extend(more);
        }
        return Err(ApiError::Validation(errors));
    };
    let db = caller.db();
    let (facts, asking) = caller.deciding(body.consistency.as_ref()).await?;
    let subject = check::subject_for(&facts, asking, body.user_id).await?;
    let held = facts.memberships(subject).await?;
    let lookup = Lookup {
        capability,
        within: body.within,
    };
    Ok(web::Json(match kind {
        domain::ResourceKind::Group => {
            let window = page.by_path()?;
            let rows = if expand {
                resources::groups(db, asking, &held, lookup, &window).await?
            } else {
                resources::group_roots(db, asking, &held, lookup, &window).await?
            };
            page.page(rows, |item| item.group.path.clone())
                .map(FoundResource::from)
        }
        domain::ResourceKind::Project => {
            let window = page.by_id()?;
            let rows = resources::projects(db, asking, &held, lookup, &window).await?;
            page.page(rows, |item| item.resource.id)
                .map(FoundResource::from)
        }
        _ => {
            let window = page.by_id()?;
            let rows = resources::squads(db, asking, &held, lookup, &window).await?;
            page.page(rows, |item| item.resource.id)
                .map(FoundResource::from)
        }
    }))
}

/// The capability named `raw`, when it applies to `kind` (errors name `capability`).
fn capability_for(
    raw: &str,
    kind: Option<domain::ResourceKind>,
    errors: &mut Vec<FieldError>,
) -> Option<domain::Capability> {
    let capability = parse_capability(raw, "capability", errors)?;
    applies_to(capability, kind?, "capability", errors)?;
    Some(capability)
}

/// Who may use a capability on one resource, system admins included, in user-id order. The
/// caller needs `group.view_members` / `project.view_members` there (a system admin for the
/// system); a resource they may not see is a 404.
#[utoipa::path(
    tag = "check",
    request_body = SubjectLookup,
    responses(
        (status = 200, description = "a page of users, in user-id order", body = Page<FoundSubject>),
        (status = 400, description = "`validation_failed`: an unknown capability or resource type, a capability that does not apply to the resource, a bad cursor", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "`forbidden`: the caller may not see the resource's members", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such resource, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/lookup/subjects")]
pub async fn lookup_subjects(
    caller: Caller,
    body: Json<SubjectLookup>,
) -> Reply<Page<FoundSubject>> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    let target = parse_target(&body.capability, &body.resource, "", &mut errors);
    let page = PageParams {
        limit: body.limit,
        cursor: body.cursor,
    }
    .parse();
    let (Some((capability, resource)), Ok(page)) = (target, &page) else {
        if let Err(ApiError::Validation(more)) = page {
            errors.extend(more);
        }
        return Err(ApiError::Validation(errors));
    };
    let window = page.by_id()?;
    // Candidates and their facts are read from the database, as fresh as anything; settling
    // the consistency still refuses a revision that has not committed.
    let (_, asking) = caller.deciding(body.consistency.as_ref()).await?;
    let rows = subjects::subjects(caller.db(), asking, capability, resource, &window).await?;
    Ok(web::Json(page.page(rows, |item| item.user_id).map(
        |item| FoundSubject {
            user_id: item.user_id,
            role: item.role.as_str(),
            granted_by: item.granted_by.into(),
        },
    )))
}

/// A user's effective access: where they hold a role.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserAccess {
    pub user_id: Uuid,
    /// A system admin holds every capability everywhere; the lists below still say where.
    pub system_admin: bool,
    /// The smallest set of group subtree roots where the user holds a role (`group.view`),
    /// each with that role and the membership it comes from, in path order.
    pub groups: Vec<FoundResource>,
    /// Every project where the user holds a role (`project.view`): their own, or admin bridged
    /// from a group_admin or system_admin membership, in id order.
    pub projects: Vec<FoundResource>,
}

/// A user's effective access (the user themselves, or a system admin): group subtree roots and
/// projects, each with the role held and its source. Complete, never paginated: the groups are
/// bounded by the user's memberships (a system admin's are the root groups), the projects by
/// their memberships and bridges (a system admin's are every project).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "the user's id")),
    responses(
        (status = 200, description = "the user's effective access", body = UserAccess),
        Invalid, Unauthenticated,
        (status = 403, description = "`forbidden`: only system admins read other users' access", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}/access")]
pub async fn get_user_access(caller: Caller, id: web::Path<Uuid>) -> Reply<UserAccess> {
    Ok(web::Json(user_access(&caller, id.into_inner()).await?))
}

/// The effective access of user `id` as `caller` may read it (also the console's person page).
pub(crate) async fn user_access(caller: &Caller, id: Uuid) -> Result<UserAccess, ApiError> {
    let db = caller.db();
    let subject = if id == caller.subject.user_id {
        caller.subject
    } else {
        access::authorize_system(caller.subject, domain::Capability::SystemManage)
            .map_err(|e| e.attempting("reading the access of other users"))?;
        users::find_visible(db, caller.subject, id).await?;
        Subject::load(db, id).await?
    };
    let caller = caller.subject;
    let held = &access::MembershipIndex::load(db, subject, None).await?;
    let everywhere = |capability| Lookup {
        capability,
        within: None,
    };
    let groups = whole(
        async |window| {
            let groups = everywhere(domain::Capability::GroupView);
            resources::group_roots(db, caller, held, groups, window).await
        },
        |item| access::stored_path(&item.group),
    )
    .await?;
    let projects = whole(
        async |window| {
            let projects = everywhere(domain::Capability::ProjectView);
            resources::projects(db, caller, held, projects, window).await
        },
        |item| Ok(item.resource.id),
    )
    .await?;
    Ok(UserAccess {
        user_id: id,
        system_admin: subject.system_admin_at.is_some(),
        groups: groups.into_iter().map(FoundResource::from).collect(),
        projects: projects.into_iter().map(FoundResource::from).collect(),
    })
}

/// Every item of a lookup, read a full page at a time: `read` answers a window with up to one
/// item more than the page when another page follows, and `key` names an item's sort key.
async fn whole<K, T>(
    mut read: impl AsyncFnMut(&Window<K>) -> Result<Vec<T>, ApiError>,
    key: impl Fn(&T) -> Result<K, ApiError>,
) -> Result<Vec<T>, ApiError> {
    let page_size = usize::try_from(MAX_LIMIT).unwrap_or(usize::MAX);
    let mut window = Window {
        after: None,
        limit: MAX_LIMIT,
    };
    let mut all = Vec::new();
    loop {
        let mut page = read(&window).await?;
        let more = page.len() > page_size;
        page.truncate(page_size);
        window.after = page.last().map(&key).transpose()?;
        all.extend(page);
        if !more {
            return Ok(all);
        }
    }
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(lookup_resources)
        .service(lookup_subjects)
        .service(get_user_access);
}
