//! The authorization matrix: every `/v1` route of the spec × every principal × the caller's own
//! object and another tenant's, each with the status the spec promises, over real HTTP.
//!
//! One fixture world per backend (see [`build`]): a school → department → class tree, an
//! unrelated second tree, a project in the class with two squads and a sub-squad, and a second
//! project in the other tree; fourteen principals hold one standing each ([`Who`]). The
//! [`table`] gives, per route and target, the expected answer for each principal: no role at the
//! resource → 404, a role without the capability → 403, allowed → 2xx. Writes act on throwaway
//! objects made (by the system admin) for that one case, so the fixture stays as built; the
//! throwaway users and groups are deleted again when their row is done, which keeps the list
//! walks short. The few cases aimed at fixture objects themselves (refusals only) run last.
//!
//! In the same run:
//! - every case whose route is guarded by one capability ([`check_mapping`]) also asks
//!   `POST /v1/check` as that principal, first, and `allowed` must be true exactly when the route
//!   allowed the action — and, where the capability is checked on the route's own resource, the
//!   answer's `role` must be `null` exactly when the route answered 404;
//! - for every principal, every page of every list is walked, and each listed item must be
//!   readable one by one (and for users and a group's projects, each item not listed must not be);
//! - unauthenticated calls, privileged fields smuggled into bodies, malformed ids, and the "self"
//!   rules (leaving, reading one's own membership) are checked too.
//!
//! Every mismatch is collected, so one run shows them all; the test prints
//! `matrix: N cases, K unexpected`, where N counts every decision compared (route answers,
//! `/v1/check` agreements and list-item reads).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use futures_util::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Principals and targets
// ---------------------------------------------------------------------------------------------

/// The principals, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The system admin (bootstrapped; also admin of both projects, which they created).
    Sa,
    /// group_admin, teacher, student of the class directly.
    Ga,
    T,
    S,
    /// group_admin, teacher, student of the school: inherited at the department and the class.
    GaUp,
    TUp,
    SUp,
    /// admin, pm of the project (no group role anywhere).
    Pa,
    Pm,
    /// squad_lead in Mechanics (and so of its sub-squad Wheels).
    Sl,
    /// squad_lead in Software, the other top-level squad.
    SlOther,
    /// member of the project, in Mechanics.
    Mem,
    /// member of the other project and student of the other tree's class.
    Out,
    /// a user with no membership at all.
    Str,
}

impl Who {
    const ALL: [Who; 14] = [
        Who::Sa,
        Who::Ga,
        Who::T,
        Who::S,
        Who::GaUp,
        Who::TUp,
        Who::SUp,
        Who::Pa,
        Who::Pm,
        Who::Sl,
        Who::SlOther,
        Who::Mem,
        Who::Out,
        Who::Str,
    ];

    fn label(self) -> &'static str {
        match self {
            Who::Sa => "SA",
            Who::Ga => "GA",
            Who::T => "T",
            Who::S => "S",
            Who::GaUp => "GA^",
            Who::TUp => "T^",
            Who::SUp => "S^",
            Who::Pa => "PA",
            Who::Pm => "PM",
            Who::Sl => "SL",
            Who::SlOther => "SL~",
            Who::Mem => "MEM",
            Who::Out => "OUT",
            Who::Str => "STR",
        }
    }

    /// The role this principal holds in the project of `target` (Robots, or Debate for
    /// `Other`), which throwaway projects mirror.
    fn project_role(self, target: Target) -> Option<&'static str> {
        match (target, self) {
            (Target::Other, Who::Out) => Some("member"),
            (Target::Other, _) => None,
            (_, Who::Pa) => Some("admin"),
            (_, Who::Pm) => Some("pm"),
            (_, Who::Sl | Who::SlOther) => Some("squad_lead"),
            (_, Who::Mem) => Some("member"),
            _ => None,
        }
    }
}

/// Which object a case is about; its meaning depends on the route's resource:
///
/// | target  | groups                  | projects | squads                 | users            |
/// |---------|-------------------------|----------|------------------------|------------------|
/// | Own     | Class 7B                | Robots   | Mechanics              | S (class)        |
/// | Up      | Science (class parent)  | –        | –                      | T^ (school)      |
/// | Sub     | –                       | –        | Wheels (in Mechanics)  | MEM (project)    |
/// | Sibling | –                       | –        | Software               | –                |
/// | Other   | Class 9C (other tree)   | Debate   | Openers (in Debate)    | OUT              |
/// | Mine    | –                       | –        | –                      | the caller       |
/// | Missing | an id that names nothing, for every kind                                        |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Up,
    Sub,
    Sibling,
    Other,
    Mine,
    Missing,
}

// ---------------------------------------------------------------------------------------------
// Expected answers
// ---------------------------------------------------------------------------------------------

/// An expected answer: a status and, for errors, the problem `code`.
#[derive(Debug, Clone, Copy)]
struct Want {
    status: u16,
    code: Option<&'static str>,
}

const fn want(status: u16, code: &'static str) -> Want {
    Want {
        status,
        code: Some(code),
    }
}

/// Not run for this principal (a case that would only repeat another, or wreck the fixture).
const SKIP: Want = Want {
    status: 0,
    code: None,
};
const R200: Want = Want {
    status: 200,
    code: None,
};
const R201: Want = Want {
    status: 201,
    code: None,
};
const R204: Want = Want {
    status: 204,
    code: None,
};
/// 400 `validation_failed`, naming the row's field.
const V400: Want = want(400, "validation_failed");
/// 400 `squad_nesting`.
const S400: Want = want(400, "squad_nesting");
/// 400 `not_project_member`.
const P400: Want = want(400, "not_project_member");
const U401: Want = want(401, "unauthenticated");
/// 403 `forbidden`: a role here, without the capability.
const F403: Want = want(403, "forbidden");
/// 403 `role_escalation`: the capability, but a stronger membership is involved.
const E403: Want = want(403, "role_escalation");
/// 404 `not_found`: no role here (or no such thing).
const N404: Want = want(404, "not_found");
/// 409 `already_member`.
const C409: Want = want(409, "already_member");
/// 409 `last_admin`.
const L409: Want = want(409, "last_admin");

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/// One way of calling one route; several variants share a route when they probe different
/// rules (escalation, unknown ids, other tenants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Me,
    Roles,
    Check,
    CheckBatch,
    /// `/v1/check` about another user.
    CheckOther,
    Audit,
    CreateUser,
    ListUsers,
    GetUser,
    PatchUser,
    /// Changing one's own email: system admins only.
    PatchOwnEmail,
    DeleteUser,
    CreateRootGroup,
    CreateChildGroup,
    ListGroups,
    GetGroup,
    ListChildren,
    ListDescendants,
    ListAncestors,
    /// Rename a throwaway child of the target.
    RenameGroup,
    /// "Rename" the target to its own name: allowed, and nothing changes.
    RenameGroupUnchanged,
    /// Move a throwaway child of the class under the target.
    MoveGroup,
    MoveGroupToRoot,
    /// Delete a throwaway child of the target (group.manage on the target).
    DeleteGroup,
    /// Delete a throwaway child of the class that holds a system_admin membership.
    DeleteGroupHoldingSystemAdmin,
    GroupAudit,
    AddGroupMember,
    /// Grant a peer's role (group_admin): peers may manage peers.
    AddGroupAdmin,
    AddGroupSystemAdmin,
    AddGroupMemberUnknownUser,
    AddGroupMemberTwice,
    PutGroupMember,
    PutGroupMemberUnchanged,
    PutGroupSystemAdmin,
    ListGroupMembers,
    GetGroupMember,
    /// The membership of someone who has none here.
    GetGroupMemberAbsent,
    DeleteGroupMember,
    DeleteGroupSystemAdmin,
    CreateProject,
    ListGroupProjects,
    GetProject,
    RenameProject,
    /// Delete a throwaway project in which the principal holds their usual project role.
    DeleteProject,
    ProjectAudit,
    PutProjectMember,
    PutProjectAdmin,
    DemoteProjectAdmin,
    PutProjectMemberUnchanged,
    PutProjectMemberUnknownUser,
    ListProjectMembers,
    /// `?squad_id=` naming a squad of the other project.
    ListProjectMembersOfForeignSquad,
    GetProjectMember,
    GetProjectMemberAbsent,
    ReportingLines,
    DeleteProjectMember,
    DeleteProjectAdmin,
    CreateSquad,
    /// A parent squad from the other project.
    CreateSquadUnderForeignParent,
    ListSquads,
    GetSquad,
    RenameSquad,
    RenameSquadUnchanged,
    MoveSquadUnderForeignParent,
    DeleteSquad,
    /// Delete a throwaway squad that holds a project admin.
    DeleteSquadHoldingAdmin,
    PutSquadMember,
    /// Add a pm to a squad.
    PutSquadMemberStronger,
    /// Add a member of the other project.
    PutSquadMemberOutsider,
    ListSquadMembers,
    DeleteSquadMember,
    DeleteSquadMemberStronger,
    /// Fixture objects themselves, for principals who must be refused: run last.
    DeleteFixtureGroup,
    DeleteFixtureProject,
    DeleteFixtureSquad,
    DeleteFixtureUser,
}

impl Route {
    /// The route as the spec's table names it.
    fn endpoint(self) -> &'static str {
        use Route::*;
        match self {
            Me => "GET /v1/me",
            Roles => "GET /v1/roles",
            Check | CheckOther => "POST /v1/check",
            CheckBatch => "POST /v1/check/batch",
            Audit => "GET /v1/audit",
            CreateUser => "POST /v1/users",
            ListUsers => "GET /v1/users",
            GetUser => "GET /v1/users/{id}",
            PatchUser | PatchOwnEmail => "PATCH /v1/users/{id}",
            DeleteUser | DeleteFixtureUser => "DELETE /v1/users/{id}",
            CreateRootGroup | CreateChildGroup => "POST /v1/groups",
            ListGroups => "GET /v1/groups",
            GetGroup => "GET /v1/groups/{id}",
            ListChildren => "GET /v1/groups/{id}/children",
            ListDescendants => "GET /v1/groups/{id}/descendants",
            ListAncestors => "GET /v1/groups/{id}/ancestors",
            RenameGroup | RenameGroupUnchanged | MoveGroup | MoveGroupToRoot => {
                "PATCH /v1/groups/{id}"
            }
            DeleteGroup | DeleteGroupHoldingSystemAdmin | DeleteFixtureGroup => {
                "DELETE /v1/groups/{id}"
            }
            GroupAudit => "GET /v1/groups/{id}/audit",
            AddGroupMember
            | AddGroupAdmin
            | AddGroupSystemAdmin
            | AddGroupMemberUnknownUser
            | AddGroupMemberTwice => "POST /v1/groups/{id}/members",
            PutGroupMember | PutGroupMemberUnchanged | PutGroupSystemAdmin => {
                "PUT /v1/groups/{id}/members/{user_id}"
            }
            ListGroupMembers => "GET /v1/groups/{id}/members",
            GetGroupMember | GetGroupMemberAbsent => "GET /v1/groups/{id}/members/{user_id}",
            DeleteGroupMember | DeleteGroupSystemAdmin => {
                "DELETE /v1/groups/{id}/members/{user_id}"
            }
            CreateProject => "POST /v1/groups/{id}/projects",
            ListGroupProjects => "GET /v1/groups/{id}/projects",
            GetProject => "GET /v1/projects/{id}",
            RenameProject => "PATCH /v1/projects/{id}",
            DeleteProject | DeleteFixtureProject => "DELETE /v1/projects/{id}",
            ProjectAudit => "GET /v1/projects/{id}/audit",
            PutProjectMember
            | PutProjectAdmin
            | DemoteProjectAdmin
            | PutProjectMemberUnchanged
            | PutProjectMemberUnknownUser => "PUT /v1/projects/{id}/members/{user_id}",
            ListProjectMembers | ListProjectMembersOfForeignSquad => {
                "GET /v1/projects/{id}/members"
            }
            GetProjectMember | GetProjectMemberAbsent => "GET /v1/projects/{id}/members/{user_id}",
            ReportingLines => "GET /v1/projects/{id}/reporting-lines",
            DeleteProjectMember | DeleteProjectAdmin => {
                "DELETE /v1/projects/{id}/members/{user_id}"
            }
            CreateSquad | CreateSquadUnderForeignParent => "POST /v1/projects/{id}/squads",
            ListSquads => "GET /v1/projects/{id}/squads",
            GetSquad => "GET /v1/squads/{id}",
            RenameSquad | RenameSquadUnchanged | MoveSquadUnderForeignParent => {
                "PATCH /v1/squads/{id}"
            }
            DeleteSquad | DeleteSquadHoldingAdmin | DeleteFixtureSquad => "DELETE /v1/squads/{id}",
            PutSquadMember | PutSquadMemberStronger | PutSquadMemberOutsider => {
                "PUT /v1/squads/{id}/members/{user_id}"
            }
            ListSquadMembers => "GET /v1/squads/{id}/members",
            DeleteSquadMember | DeleteSquadMemberStronger => {
                "DELETE /v1/squads/{id}/members/{user_id}"
            }
        }
    }

    /// Cases aimed at the fixture's own objects: refusals only, run after everything else.
    fn touches_fixture(self) -> bool {
        matches!(
            self,
            Route::DeleteFixtureGroup
                | Route::DeleteFixtureProject
                | Route::DeleteFixtureSquad
                | Route::DeleteFixtureUser
        )
    }
}

/// Every `/v1` route of the spec (§4); the table must call each of them.
const SPEC_ROUTES: &[&str] = &[
    "GET /v1/me",
    "POST /v1/users",
    "GET /v1/users",
    "GET /v1/users/{id}",
    "PATCH /v1/users/{id}",
    "DELETE /v1/users/{id}",
    "POST /v1/groups",
    "GET /v1/groups",
    "GET /v1/groups/{id}",
    "GET /v1/groups/{id}/children",
    "GET /v1/groups/{id}/descendants",
    "GET /v1/groups/{id}/ancestors",
    "PATCH /v1/groups/{id}",
    "DELETE /v1/groups/{id}",
    "POST /v1/groups/{id}/members",
    "PUT /v1/groups/{id}/members/{user_id}",
    "GET /v1/groups/{id}/members",
    "GET /v1/groups/{id}/members/{user_id}",
    "DELETE /v1/groups/{id}/members/{user_id}",
    "POST /v1/groups/{id}/projects",
    "GET /v1/groups/{id}/projects",
    "GET /v1/projects/{id}",
    "PATCH /v1/projects/{id}",
    "DELETE /v1/projects/{id}",
    "PUT /v1/projects/{id}/members/{user_id}",
    "GET /v1/projects/{id}/members",
    "GET /v1/projects/{id}/members/{user_id}",
    "DELETE /v1/projects/{id}/members/{user_id}",
    "GET /v1/projects/{id}/reporting-lines",
    "POST /v1/projects/{id}/squads",
    "GET /v1/projects/{id}/squads",
    "GET /v1/squads/{id}",
    "PATCH /v1/squads/{id}",
    "DELETE /v1/squads/{id}",
    "PUT /v1/squads/{id}/members/{user_id}",
    "GET /v1/squads/{id}/members",
    "DELETE /v1/squads/{id}/members/{user_id}",
    "GET /v1/roles",
    "POST /v1/check",
    "POST /v1/check/batch",
    "GET /v1/audit",
    "GET /v1/groups/{id}/audit",
    "GET /v1/projects/{id}/audit",
];

// ---------------------------------------------------------------------------------------------
// The route ↔ capability mapping for `/v1/check`
// ---------------------------------------------------------------------------------------------

/// Where a mapped check asks.
#[derive(Debug, Clone, Copy)]
enum On {
    /// `{type: system}`.
    System,
    /// The group in the path (or the throwaway the case acts on).
    Group,
    /// The parent of the group created or deleted.
    Parent,
    /// The project in the path.
    Project,
    /// The squad in the path.
    Squad,
}

impl On {
    /// Whether the check is about the route's own resource, so that "no role" means 404 there.
    fn is_route_resource(self) -> bool {
        matches!(self, On::Group | On::Project | On::Squad)
    }
}

/// The capability (and where) each guarded route checks — the mapping the `/v1/check`
/// agreement uses:
///
/// | route                                                          | capability                   | on      |
/// |----------------------------------------------------------------|------------------------------|---------|
/// | POST /v1/groups (root), DELETE /v1/users/{id}, GET /v1/audit   | system.manage                | system  |
/// | POST /v1/groups (child)                                        | group.manage                 | parent  |
/// | GET /v1/groups/{id}, /children, /descendants, /ancestors, /projects | group.view              | group   |
/// | PATCH /v1/groups/{id} (rename), GET /v1/groups/{id}/audit      | group.manage                 | group   |
/// | DELETE /v1/groups/{id}                                         | group.manage                 | parent  |
/// | POST, PUT, DELETE /v1/groups/{id}/members[/{user_id}]          | group.manage_members         | group   |
/// | GET /v1/groups/{id}/members[/{user_id}]                        | group.view_members           | group   |
/// | POST /v1/groups/{id}/projects                                  | group.create_projects        | group   |
/// | GET /v1/projects/{id}, GET /v1/projects/{id}/squads            | project.view                 | project |
/// | PATCH /v1/projects/{id}, GET /v1/projects/{id}/audit           | project.manage_settings      | project |
/// | DELETE /v1/projects/{id}                                       | project.delete               | project |
/// | PUT, DELETE /v1/projects/{id}/members/{user_id}                | project.assign_roles         | project |
/// | GET /v1/projects/{id}/members[/{user_id}], /reporting-lines    | project.view_members         | project |
/// | POST /v1/projects/{id}/squads                                  | project.manage_squads        | project |
/// | GET /v1/squads/{id}                                            | project.view                 | squad   |
/// | PATCH, DELETE /v1/squads/{id}                                  | project.manage_squads        | squad   |
/// | PUT, DELETE /v1/squads/{id}/members/{user_id}                  | project.manage_squad_members | squad   |
/// | GET /v1/squads/{id}/members                                    | project.view_members         | squad   |
///
/// Not mapped, because another rule decides them: anything about oneself (reading one's own
/// group membership, leaving, `/v1/users/{id}` of oneself), escalation and last-admin cases,
/// unknown or foreign ids in bodies, moves (two groups decide), user visibility and creation
/// (no single capability), and routes any user may call.
fn check_mapping(route: Route) -> Option<(&'static str, On)> {
    use Route::*;
    Some(match route {
        CreateRootGroup | DeleteUser | DeleteFixtureUser | Audit => ("system.manage", On::System),
        CreateChildGroup | DeleteGroup | DeleteFixtureGroup => ("group.manage", On::Parent),
        GetGroup | ListChildren | ListDescendants | ListAncestors | ListGroupProjects => {
            ("group.view", On::Group)
        }
        RenameGroup | RenameGroupUnchanged | GroupAudit => ("group.manage", On::Group),
        AddGroupMember
        | AddGroupAdmin
        | PutGroupMember
        | PutGroupMemberUnchanged
        | DeleteGroupMember => ("group.manage_members", On::Group),
        ListGroupMembers | GetGroupMember => ("group.view_members", On::Group),
        CreateProject => ("group.create_projects", On::Group),
        GetProject | ListSquads => ("project.view", On::Project),
        RenameProject | ProjectAudit => ("project.manage_settings", On::Project),
        DeleteProject | DeleteFixtureProject => ("project.delete", On::Project),
        PutProjectMember | PutProjectMemberUnchanged | DeleteProjectMember => {
            ("project.assign_roles", On::Project)
        }
        ListProjectMembers | GetProjectMember | ReportingLines => {
            ("project.view_members", On::Project)
        }
        CreateSquad => ("project.manage_squads", On::Project),
        GetSquad => ("project.view", On::Squad),
        RenameSquad | RenameSquadUnchanged | DeleteSquad | DeleteFixtureSquad => {
            ("project.manage_squads", On::Squad)
        }
        PutSquadMember | DeleteSquadMember => ("project.manage_squad_members", On::Squad),
        ListSquadMembers => ("project.view_members", On::Squad),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// One row: a route variant on a target, with the expected answer for each principal.
struct Row {
    route: Route,
    target: Target,
    /// The field a 400 `validation_failed` must name.
    field: Option<&'static str>,
    want: [Want; 14],
}

fn r(route: Route, target: Target, want: [Want; 14]) -> Row {
    Row {
        route,
        target,
        field: None,
        want,
    }
}

fn rf(route: Route, target: Target, field: &'static str, want: [Want; 14]) -> Row {
    Row {
        route,
        target,
        field: Some(field),
        want,
    }
}

/// The matrix. Columns: the principals of [`Who`], in order. Rows run top to bottom; the last
/// block aims at fixture objects and holds only refusals.
#[rustfmt::skip]
fn table() -> Vec<Row> {
    use Route::*;
    use Target::*;
    vec![
        //                                           SA    GA    T     S     GA^   T^    S^    PA    PM    SL    SL~   MEM   OUT   STR
        // Any user.
        r(Me, Own,                                 [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(Roles, Own,                              [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(ListUsers, Own,                          [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(ListGroups, Own,                         [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(Check, Own,                              [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(CheckBatch, Own,                         [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        // System admins only.
        r(CheckOther, Own,                         [R200, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
        r(Audit, Own,                              [R200, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
        r(CreateRootGroup, Own,                    [R201, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),

        // Users: created by system admins and group admins; read by whoever shares a group
        // (effective) or a project, and by all who manage users; changed by themselves.
        r(CreateUser, Own,                         [R201, R201, F403, F403, R201, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
        r(GetUser, Own,                            [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(GetUser, Up,                             [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(GetUser, Sub,                            [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(GetUser, Other,                          [R200, R200, N404, N404, R200, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(GetUser, Mine,                           [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(PatchUser, Own,                          [R200, F403, F403, R200, F403, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(PatchUser, Other,                        [R200, F403, N404, N404, F403, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(PatchUser, Mine,                         [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(PatchOwnEmail, Mine,                     [R200, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
        r(DeleteUser, Own,                         [R204, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, N404, N404]),
        r(DeleteUser, Other,                       [R204, F403, N404, N404, F403, N404, N404, N404, N404, N404, N404, N404, F403, N404]),

        // Group tree.
        rf(CreateChildGroup, Own, "parent_id",     [R201, R201, F403, F403, R201, F403, F403, V400, V400, V400, V400, V400, V400, V400]),
        rf(CreateChildGroup, Up, "parent_id",      [R201, V400, V400, V400, R201, F403, F403, V400, V400, V400, V400, V400, V400, V400]),
        rf(CreateChildGroup, Other, "parent_id",   [R201, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, F403, V400]),
        r(GetGroup, Own,                           [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(GetGroup, Up,                            [R200, N404, N404, N404, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(GetGroup, Other,                         [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(ListChildren, Own,                       [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListChildren, Up,                        [R200, N404, N404, N404, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListChildren, Other,                     [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(ListDescendants, Own,                    [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListDescendants, Up,                     [R200, N404, N404, N404, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListDescendants, Other,                  [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(ListAncestors, Own,                      [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListAncestors, Up,                       [R200, N404, N404, N404, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListAncestors, Other,                    [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(RenameGroup, Own,                        [R200, R200, F403, F403, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameGroup, Up,                         [R200, N404, N404, N404, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameGroup, Other,                      [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(RenameGroupUnchanged, Own,               [R200, R200, F403, F403, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameGroupUnchanged, Up,                [R200, N404, N404, N404, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameGroupUnchanged, Other,             [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        // Moving needs group.manage on the group, its current parent and the new parent; a new
        // parent the caller cannot see reads as unknown.
        rf(MoveGroup, Up, "parent_id",             [R200, V400, F403, F403, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        rf(MoveGroup, Other, "parent_id",          [R200, V400, F403, F403, V400, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(MoveGroupToRoot, Own,                    [R200, F403, F403, F403, F403, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteGroup, Own,                        [R204, R204, F403, F403, R204, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteGroup, Up,                         [R204, N404, N404, N404, R204, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteGroup, Other,                      [R204, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(DeleteGroupHoldingSystemAdmin, Own,      [R204, E403, F403, SKIP, E403, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP]),
        r(GroupAudit, Own,                         [R200, R200, F403, F403, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(GroupAudit, Up,                          [R200, N404, N404, N404, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(GroupAudit, Other,                       [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),

        // Group members.
        r(AddGroupMember, Own,                     [R201, R201, F403, F403, R201, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(AddGroupMember, Up,                      [R201, N404, N404, N404, R201, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(AddGroupMember, Other,                   [R201, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(AddGroupAdmin, Own,                      [R201, R201, F403, F403, R201, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(AddGroupSystemAdmin, Own,                [R201, E403, F403, F403, E403, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        rf(AddGroupMemberUnknownUser, Own, "user_id", [V400, V400, F403, F403, V400, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(AddGroupMemberTwice, Own,                [C409, C409, F403, F403, C409, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(AddGroupMemberTwice, Other,              [C409, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(PutGroupMember, Own,                     [R201, R201, F403, F403, R201, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(PutGroupMember, Up,                      [R201, N404, N404, N404, R201, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(PutGroupMember, Other,                   [R201, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(PutGroupMemberUnchanged, Own,            [R200, R200, F403, F403, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(PutGroupMemberUnchanged, Up,             [R200, N404, N404, N404, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(PutGroupMemberUnchanged, Other,          [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(PutGroupSystemAdmin, Own,                [R201, E403, F403, F403, E403, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupMembers, Own,                   [R200, R200, R200, F403, R200, R200, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupMembers, Up,                    [R200, N404, N404, N404, R200, R200, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupMembers, Other,                 [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        // S reads their own membership, OUT theirs: the "self" rule.
        r(GetGroupMember, Own,                     [R200, R200, R200, R200, R200, R200, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(GetGroupMember, Up,                      [R200, N404, N404, N404, R200, R200, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(GetGroupMember, Other,                   [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(GetGroupMemberAbsent, Own,               [N404, N404, N404, F403, N404, N404, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteGroupMember, Own,                  [R204, R204, F403, F403, R204, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteGroupMember, Up,                   [R204, N404, N404, N404, R204, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteGroupMember, Other,                [R204, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(DeleteGroupSystemAdmin, Own,             [R204, E403, F403, SKIP, E403, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP]),

        // Projects: group.create_projects to create; project roles (a group_admin of the owning
        // group or above is admin there) for the rest. Teachers and students of the class hold
        // no project role.
        r(CreateProject, Own,                      [R201, R201, R201, F403, R201, R201, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(CreateProject, Up,                       [R201, N404, N404, N404, R201, R201, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(CreateProject, Other,                    [R201, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(ListGroupProjects, Own,                  [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupProjects, Up,                   [R200, N404, N404, N404, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupProjects, Other,                [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(GetProject, Own,                         [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(GetProject, Other,                       [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(RenameProject, Own,                      [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(RenameProject, Other,                    [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(DeleteProject, Own,                      [R204, R204, N404, N404, R204, N404, N404, R204, F403, F403, F403, F403, N404, N404]),
        r(DeleteProject, Other,                    [R204, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(ProjectAudit, Own,                       [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(ProjectAudit, Other,                     [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),

        // Project members.
        r(PutProjectMember, Own,                   [R201, R201, N404, N404, R201, N404, N404, R201, R201, F403, F403, F403, N404, N404]),
        r(PutProjectMember, Other,                 [R201, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(PutProjectAdmin, Own,                    [R201, R201, N404, N404, R201, N404, N404, R201, E403, F403, F403, F403, N404, N404]),
        r(DemoteProjectAdmin, Own,                 [R200, R200, N404, N404, R200, N404, N404, R200, E403, F403, F403, F403, N404, N404]),
        r(PutProjectMemberUnchanged, Own,          [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(PutProjectMemberUnchanged, Other,        [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        rf(PutProjectMemberUnknownUser, Own, "user_id", [V400, V400, N404, N404, V400, N404, N404, V400, V400, F403, F403, F403, N404, N404]),
        r(ListProjectMembers, Own,                 [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(ListProjectMembers, Other,               [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        rf(ListProjectMembersOfForeignSquad, Own, "squad_id", [V400, V400, N404, N404, V400, N404, N404, V400, V400, V400, V400, V400, N404, N404]),
        r(GetProjectMember, Own,                   [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(GetProjectMember, Other,                 [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(GetProjectMemberAbsent, Own,             [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ReportingLines, Own,                     [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(ReportingLines, Other,                   [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(DeleteProjectMember, Own,                [R204, R204, N404, N404, R204, N404, N404, R204, R204, F403, F403, F403, N404, N404]),
        r(DeleteProjectMember, Other,              [R204, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(DeleteProjectAdmin, Own,                 [R204, R204, N404, N404, R204, N404, N404, R204, E403, F403, F403, F403, N404, N404]),

        // Squads. A squad_lead leads only their squads and those squads' sub-squads.
        r(CreateSquad, Own,                        [R201, R201, N404, N404, R201, N404, N404, R201, R201, F403, F403, F403, N404, N404]),
        r(CreateSquad, Sub,                        [R201, R201, N404, N404, R201, N404, N404, R201, R201, F403, F403, F403, N404, N404]),
        r(CreateSquad, Other,                      [R201, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        rf(CreateSquadUnderForeignParent, Own, "parent_id", [S400, V400, N404, N404, V400, N404, N404, V400, V400, F403, F403, F403, N404, N404]),
        r(ListSquads, Own,                         [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(ListSquads, Other,                       [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(GetSquad, Own,                           [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(GetSquad, Sub,                           [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(GetSquad, Sibling,                       [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(GetSquad, Other,                         [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(RenameSquad, Own,                        [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(RenameSquad, Other,                      [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(RenameSquadUnchanged, Own,               [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(RenameSquadUnchanged, Sub,               [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(RenameSquadUnchanged, Other,             [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        rf(MoveSquadUnderForeignParent, Own, "parent_id", [S400, V400, N404, N404, V400, N404, N404, V400, V400, F403, F403, F403, N404, N404]),
        r(DeleteSquad, Own,                        [R204, R204, N404, N404, R204, N404, N404, R204, R204, F403, F403, F403, N404, N404]),
        r(DeleteSquad, Other,                      [R204, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(DeleteSquadHoldingAdmin, Own,            [R204, R204, N404, N404, R204, N404, N404, R204, E403, F403, F403, F403, N404, N404]),
        r(PutSquadMember, Own,                     [R201, R201, N404, N404, R201, N404, N404, R201, R201, R201, F403, F403, N404, N404]),
        r(PutSquadMember, Sub,                     [R201, R201, N404, N404, R201, N404, N404, R201, R201, R201, F403, F403, N404, N404]),
        r(PutSquadMember, Sibling,                 [R201, R201, N404, N404, R201, N404, N404, R201, R201, F403, R201, F403, N404, N404]),
        r(PutSquadMember, Other,                   [R201, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(PutSquadMemberStronger, Own,             [R201, R201, N404, N404, R201, N404, N404, R201, R201, E403, F403, F403, N404, N404]),
        r(PutSquadMemberOutsider, Own,             [P400, P400, N404, N404, P400, N404, N404, P400, P400, P400, F403, F403, N404, N404]),
        r(ListSquadMembers, Own,                   [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(ListSquadMembers, Sub,                   [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(ListSquadMembers, Sibling,               [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(ListSquadMembers, Other,                 [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(DeleteSquadMember, Own,                  [R204, R204, N404, N404, R204, N404, N404, R204, R204, R204, F403, F403, N404, N404]),
        r(DeleteSquadMember, Sub,                  [R204, R204, N404, N404, R204, N404, N404, R204, R204, R204, F403, F403, N404, N404]),
        r(DeleteSquadMember, Sibling,              [R204, R204, N404, N404, R204, N404, N404, R204, R204, F403, R204, F403, N404, N404]),
        r(DeleteSquadMember, Other,                [R204, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(DeleteSquadMemberStronger, Own,          [R204, R204, N404, N404, R204, N404, N404, R204, R204, E403, F403, F403, N404, N404]),

        // Ids that name nothing: the same answer as an object the caller cannot see.
        r(GetUser, Missing,                        [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(PatchUser, Missing,                      [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        rf(CreateChildGroup, Missing, "parent_id", [V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400]),
        r(GetGroup, Missing,                       [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListChildren, Missing,                   [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListDescendants, Missing,                [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListAncestors, Missing,                  [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameGroupUnchanged, Missing,           [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(GroupAudit, Missing,                     [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(AddGroupMember, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(PutGroupMember, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupMembers, Missing,               [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(CreateProject, Missing,                  [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupProjects, Missing,              [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(GetProject, Missing,                     [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameProject, Missing,                  [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ProjectAudit, Missing,                   [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(PutProjectMember, Missing,               [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListProjectMembers, Missing,             [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ReportingLines, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(CreateSquad, Missing,                    [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListSquads, Missing,                     [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(GetSquad, Missing,                       [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameSquadUnchanged, Missing,           [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListSquadMembers, Missing,               [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteFixtureGroup, Missing,             [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteFixtureProject, Missing,           [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteFixtureSquad, Missing,             [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteFixtureUser, Missing,              [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),

        // Last: the fixture's own objects, for the principals who must be refused.
        r(DeleteFixtureGroup, Own,                 [SKIP, F403, F403, F403, SKIP, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(DeleteFixtureProject, Own,               [SKIP, SKIP, N404, N404, SKIP, N404, N404, SKIP, F403, F403, F403, F403, N404, N404]),
        r(DeleteFixtureSquad, Own,                 [SKIP, SKIP, N404, N404, SKIP, N404, N404, SKIP, SKIP, F403, F403, F403, N404, N404]),
        r(DeleteFixtureUser, Sub,                  [SKIP, F403, N404, N404, F403, N404, N404, F403, F403, F403, F403, F403, N404, N404]),
    ]
}

// ---------------------------------------------------------------------------------------------
// The fixture world
// ---------------------------------------------------------------------------------------------

const CLASS: &str = "Class 7B";
const DEPT: &str = "Science";
const ACADEMY_CLASS: &str = "Class 9C";
const MECHANICS: &str = "Mechanics";
const WHEELS: &str = "Wheels";
const OPENERS: &str = "Openers";

struct World {
    app: TestApp,
    /// Indexed by `Who as usize`.
    people: Vec<TestUser>,
    /// A teacher of the department (a direct member there, for member reads).
    dept_teacher: TestUser,
    /// The bootstrap root that holds the system admin.
    org: Uuid,
    /// Springfield (root) → Science → Class 7B.
    school: Uuid,
    dept: Uuid,
    class: Uuid,
    /// Shelbyville (root) → Class 9C: the other tenant.
    academy: Uuid,
    academy_class: Uuid,
    /// Robots, in the class: Mechanics (with the sub-squad Wheels) and Software.
    p: Uuid,
    s1: Uuid,
    s1a: Uuid,
    s2: Uuid,
    /// Debate, in the other tree, with the squad Openers.
    q: Uuid,
    qs: Uuid,
    seq: AtomicU32,
    /// Users and groups made for one case (as `/v1/users/…` and `/v1/groups/…` paths),
    /// deleted after its row so that the lists stay short.
    throwaways: Mutex<Vec<String>>,
    /// An id no object has, and a user with that id (never stored).
    missing: Uuid,
    ghost: TestUser,
}

async fn build(db: &TestDb) -> World {
    let app = spawn_app(db).await;
    let (_, me) = send(&app, Some(&app.admin), Method::GET, "/v1/me", None).await;
    let org = me["group_memberships"][0]["group_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let school = app.create_group("Springfield", None).await;
    let dept = app.create_group(DEPT, Some(school)).await;
    let class = app.create_group(CLASS, Some(dept)).await;
    let academy = app.create_group("Shelbyville", None).await;
    let academy_class = app.create_group(ACADEMY_CLASS, Some(academy)).await;

    let mut people = Vec::new();
    for who in Who::ALL {
        people.push(match who {
            Who::Sa => app.admin.clone(),
            _ => {
                let email = format!("{who:?}@matrix.test").to_lowercase();
                app.create_user(&email).await
            }
        });
    }
    let person = |who: Who| &people[who as usize];
    let dept_teacher = app.create_user("dept-teacher@matrix.test").await;
    let ghost = TestUser {
        id: Uuid::now_v7(),
        email: "ghost@matrix.test".into(),
        token: String::new(),
    };
    for (group, who, role) in [
        (class, Who::Ga, "group_admin"),
        (class, Who::T, "teacher"),
        (class, Who::S, "student"),
        (school, Who::GaUp, "group_admin"),
        (school, Who::TUp, "teacher"),
        (school, Who::SUp, "student"),
        (academy_class, Who::Out, "student"),
    ] {
        grant(&app, group, person(who).id, role).await;
    }
    grant(&app, dept, dept_teacher.id, "teacher").await;

    let p = app.create_project(class, "Robots").await;
    for who in [Who::Pa, Who::Pm, Who::Sl, Who::SlOther, Who::Mem] {
        let role = who.project_role(Target::Own).unwrap();
        app.set_project_role(p, person(who), role).await;
    }
    let s1 = add_squad(&app, p, MECHANICS, None).await;
    let s1a = add_squad(&app, p, WHEELS, Some(s1)).await;
    let s2 = add_squad(&app, p, "Software", None).await;
    join(&app, s1, person(Who::Sl).id).await;
    join(&app, s2, person(Who::SlOther).id).await;
    join(&app, s1, person(Who::Mem).id).await;

    let q = app.create_project(academy_class, "Debate").await;
    app.set_project_role(q, person(Who::Out), "member").await;
    let qs = add_squad(&app, q, OPENERS, None).await;
    join(&app, qs, person(Who::Out).id).await;

    World {
        app,
        people,
        dept_teacher,
        org,
        school,
        dept,
        class,
        academy,
        academy_class,
        p,
        s1,
        s1a,
        s2,
        q,
        qs,
        missing: ghost.id,
        ghost,
        seq: AtomicU32::new(0),
        throwaways: Mutex::new(Vec::new()),
    }
}

/// Gives `user` a direct `role` in `group`, as the system admin.
async fn grant(app: &TestApp, group: Uuid, user: Uuid, role: &str) {
    let path = format!("/v1/groups/{group}/members/{user}");
    let body = json!({ "role": role });
    let (status, body) = send(app, Some(&app.admin), Method::PUT, &path, Some(&body)).await;
    assert!(status == 200 || status == 201, "grant: {status} {body}");
}

/// Creates a squad as the system admin; returns its id.
async fn add_squad(app: &TestApp, project: Uuid, name: &str, parent: Option<Uuid>) -> Uuid {
    let path = format!("/v1/projects/{project}/squads");
    let body = json!({ "name": name, "parent_id": parent });
    let (status, body) = send(app, Some(&app.admin), Method::POST, &path, Some(&body)).await;
    assert_eq!(status, 201, "add_squad: {body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

/// Puts `user` (a member of the squad's project) into `squad`, as the system admin.
async fn join(app: &TestApp, squad: Uuid, user: Uuid) {
    let path = format!("/v1/squads/{squad}/members/{user}");
    let (status, body) = send(app, Some(&app.admin), Method::PUT, &path, None).await;
    assert!(status == 200 || status == 201, "join: {status} {body}");
}

impl World {
    fn user(&self, who: Who) -> &TestUser {
        &self.people[who as usize]
    }

    fn next(&self) -> u32 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// A new user with no membership, deleted again by [`World::clean_up`].
    async fn fresh_user(&self) -> TestUser {
        let n = self.next();
        let user = self.app.create_user(&format!("u{n}@matrix.test")).await;
        let path = format!("/v1/users/{}", user.id);
        self.throwaways.lock().unwrap().push(path);
        user
    }

    /// Deletes the users and groups made for the cases run since the last call, users first
    /// (those a case deleted itself are gone already).
    async fn clean_up(&self, tally: &mut Tally) {
        let mut paths = std::mem::take(&mut *self.throwaways.lock().unwrap());
        paths.sort_by_key(|path| !path.starts_with("/v1/users/"));
        for path in paths {
            let (status, body) = send(
                &self.app,
                Some(&self.app.admin),
                Method::DELETE,
                &path,
                None,
            )
            .await;
            if status != 204 && status != 404 {
                tally.cases += 1;
                tally.unexpected.push(format!(
                    "clean-up: DELETE {path} answered {status} {}",
                    brief(&body)
                ));
            }
        }
    }

    /// A fresh user holding `role` in `project`.
    async fn fresh_member(&self, project: Uuid, role: &str) -> TestUser {
        let user = self.fresh_user().await;
        self.app.set_project_role(project, &user, role).await;
        user
    }

    /// A new group under `parent`, deleted again by [`World::clean_up`].
    async fn child_group(&self, parent: Uuid) -> Uuid {
        let n = self.next();
        let group = self
            .app
            .create_group(&format!("Child {n}"), Some(parent))
            .await;
        let path = format!("/v1/groups/{group}");
        self.throwaways.lock().unwrap().push(path);
        group
    }

    async fn top_squad(&self, project: Uuid) -> Uuid {
        let n = self.next();
        add_squad(&self.app, project, &format!("Squad {n}"), None).await
    }

    /// The group a target names.
    fn group(&self, target: Target) -> Uuid {
        match target {
            Target::Up => self.dept,
            Target::Other => self.academy_class,
            Target::Missing => self.missing,
            _ => self.class,
        }
    }

    /// A direct member of the target group, with their role there.
    fn group_member(&self, target: Target) -> (&TestUser, &'static str) {
        match target {
            Target::Up => (&self.dept_teacher, "teacher"),
            Target::Other => (self.user(Who::Out), "student"),
            _ => (self.user(Who::S), "student"),
        }
    }

    fn project(&self, target: Target) -> Uuid {
        match target {
            Target::Other => self.q,
            Target::Missing => self.missing,
            _ => self.p,
        }
    }

    fn squad(&self, target: Target) -> Uuid {
        match target {
            Target::Sub => self.s1a,
            Target::Sibling => self.s2,
            Target::Other => self.qs,
            Target::Missing => self.missing,
            _ => self.s1,
        }
    }

    fn squad_name(&self, target: Target) -> &'static str {
        match target {
            Target::Sub => WHEELS,
            Target::Other => OPENERS,
            _ => MECHANICS,
        }
    }

    fn group_name(&self, target: Target) -> &'static str {
        match target {
            Target::Up => DEPT,
            Target::Other => ACADEMY_CLASS,
            _ => CLASS,
        }
    }

    /// The user a target names (see [`Target`]).
    fn target_user(&self, target: Target, who: Who) -> &TestUser {
        match target {
            Target::Up => self.user(Who::TUp),
            Target::Sub => self.user(Who::Mem),
            Target::Other => self.user(Who::Out),
            Target::Mine => self.user(who),
            Target::Missing => &self.ghost,
            _ => self.user(Who::S),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Turning a row's cell into a request
// ---------------------------------------------------------------------------------------------

/// The resources a case touches, for its `/v1/check`.
#[derive(Debug, Default, Clone, Copy)]
struct Ids {
    group: Option<Uuid>,
    parent: Option<Uuid>,
    project: Option<Uuid>,
    squad: Option<Uuid>,
}

/// A concrete request for one case.
struct Prepared {
    method: Method,
    path: String,
    body: Option<Value>,
    ids: Ids,
    /// Another rule decides, not a capability: the caller acts on themselves (the "self"
    /// rule), or on a user that does not exist.
    other_rule: bool,
}

impl Prepared {
    fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            body: None,
            ids: Ids::default(),
            other_rule: false,
        }
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn group(mut self, id: Uuid) -> Self {
        self.ids.group = Some(id);
        self
    }

    fn parent(mut self, id: Uuid) -> Self {
        self.ids.parent = Some(id);
        self
    }

    fn project(mut self, id: Uuid) -> Self {
        self.ids.project = Some(id);
        self
    }

    fn squad(mut self, id: Uuid) -> Self {
        self.ids.squad = Some(id);
        self
    }

    fn other_rule(mut self, yes: bool) -> Self {
        self.other_rule = yes;
        self
    }
}

fn get(path: impl Into<String>) -> Prepared {
    Prepared::new(Method::GET, path)
}

fn post(path: impl Into<String>, body: Value) -> Prepared {
    Prepared::new(Method::POST, path).body(body)
}

fn put(path: impl Into<String>, body: Value) -> Prepared {
    Prepared::new(Method::PUT, path).body(body)
}

fn patch(path: impl Into<String>, body: Value) -> Prepared {
    Prepared::new(Method::PATCH, path).body(body)
}

fn delete(path: impl Into<String>) -> Prepared {
    Prepared::new(Method::DELETE, path)
}

/// Builds the request of `route` on `target` for `who`, creating (as the system admin) the
/// throwaway objects a write acts on.
async fn prepare(w: &World, route: Route, target: Target, who: Who) -> Prepared {
    use Route::*;
    let me = w.user(who);
    let n = w.next();
    let g = w.group(target);
    let p = w.project(target);
    let sq = w.squad(target);
    match route {
        Me => get("/v1/me"),
        Roles => get("/v1/roles"),
        Check => post(
            "/v1/check",
            json!({ "capability": "group.view", "resource": { "type": "group", "id": w.class } }),
        ),
        CheckBatch => post(
            "/v1/check/batch",
            json!({ "checks": [
                { "capability": "group.view", "resource": { "type": "group", "id": w.class } },
                { "capability": "project.view", "resource": { "type": "project", "id": w.p } },
                { "capability": "project.view", "resource": { "type": "squad", "id": w.s1 } },
                { "capability": "system.manage", "resource": { "type": "system" } },
            ] }),
        ),
        CheckOther => post(
            "/v1/check",
            json!({
                "user_id": w.dept_teacher.id,
                "capability": "project.view",
                "resource": { "type": "project", "id": w.p },
            }),
        ),
        Audit => get("/v1/audit"),

        CreateUser => post(
            "/v1/users",
            json!({ "email": format!("new{n}@matrix.test"), "display_name": format!("New {n}") }),
        ),
        ListUsers => get("/v1/users"),
        GetUser => {
            let user = w.target_user(target, who);
            get(format!("/v1/users/{}", user.id)).other_rule(user.id == me.id)
        }
        PatchUser => {
            let user = w.target_user(target, who);
            patch(
                format!("/v1/users/{}", user.id),
                json!({ "display_name": format!("Renamed {n}") }),
            )
            .other_rule(user.id == me.id)
        }
        PatchOwnEmail => patch(
            format!("/v1/users/{}", me.id),
            json!({ "email": format!("moved{n}@matrix.test") }),
        )
        .other_rule(true),
        DeleteUser => {
            let user = w.fresh_user().await;
            grant(&w.app, g, user.id, "student").await;
            w.app.set_project_role(p, &user, "member").await;
            delete(format!("/v1/users/{}", user.id))
        }

        CreateRootGroup => post("/v1/groups", json!({ "name": format!("Root {n}") })),
        CreateChildGroup => post(
            "/v1/groups",
            json!({ "name": format!("Child {n}"), "parent_id": g }),
        )
        .parent(g),
        ListGroups => get("/v1/groups"),
        GetGroup => get(format!("/v1/groups/{g}")).group(g),
        ListChildren => get(format!("/v1/groups/{g}/children")).group(g),
        ListDescendants => get(format!("/v1/groups/{g}/descendants")).group(g),
        ListAncestors => get(format!("/v1/groups/{g}/ancestors")).group(g),
        RenameGroup => {
            let child = w.child_group(g).await;
            patch(
                format!("/v1/groups/{child}"),
                json!({ "name": format!("Renamed {n}") }),
            )
            .group(child)
        }
        RenameGroupUnchanged => patch(
            format!("/v1/groups/{g}"),
            json!({ "name": w.group_name(target) }),
        )
        .group(g),
        MoveGroup => {
            let child = w.child_group(w.class).await;
            patch(format!("/v1/groups/{child}"), json!({ "parent_id": g })).group(child)
        }
        MoveGroupToRoot => {
            let child = w.child_group(w.class).await;
            patch(format!("/v1/groups/{child}"), json!({ "parent_id": null })).group(child)
        }
        DeleteGroup => {
            let child = w.child_group(g).await;
            delete(format!("/v1/groups/{child}")).group(child).parent(g)
        }
        DeleteGroupHoldingSystemAdmin => {
            let child = w.child_group(w.class).await;
            let user = w.fresh_user().await;
            grant(&w.app, child, user.id, "system_admin").await;
            delete(format!("/v1/groups/{child}"))
                .group(child)
                .parent(w.class)
        }
        GroupAudit => get(format!("/v1/groups/{g}/audit")).group(g),

        AddGroupMember | AddGroupAdmin | AddGroupSystemAdmin => {
            let user = w.fresh_user().await;
            let role = match route {
                AddGroupAdmin => "group_admin",
                AddGroupSystemAdmin => "system_admin",
                _ => "student",
            };
            post(
                format!("/v1/groups/{g}/members"),
                json!({ "user_id": user.id, "role": role }),
            )
            .group(g)
        }
        AddGroupMemberUnknownUser => post(
            format!("/v1/groups/{g}/members"),
            json!({ "user_id": Uuid::now_v7(), "role": "student" }),
        )
        .group(g),
        AddGroupMemberTwice => {
            let (user, role) = w.group_member(target);
            post(
                format!("/v1/groups/{g}/members"),
                json!({ "user_id": user.id, "role": role }),
            )
            .group(g)
        }
        PutGroupMember | PutGroupSystemAdmin => {
            let user = w.fresh_user().await;
            let role = if route == PutGroupSystemAdmin {
                "system_admin"
            } else {
                "student"
            };
            put(
                format!("/v1/groups/{g}/members/{}", user.id),
                json!({ "role": role }),
            )
            .group(g)
        }
        PutGroupMemberUnchanged => {
            let (user, role) = match target {
                Target::Own => (w.user(Who::T), "teacher"),
                _ => w.group_member(target),
            };
            put(
                format!("/v1/groups/{g}/members/{}", user.id),
                json!({ "role": role }),
            )
            .group(g)
        }
        ListGroupMembers => get(format!("/v1/groups/{g}/members")).group(g),
        GetGroupMember => {
            let (user, _) = w.group_member(target);
            get(format!("/v1/groups/{g}/members/{}", user.id))
                .group(g)
                .other_rule(user.id == me.id)
        }
        GetGroupMemberAbsent => {
            get(format!("/v1/groups/{g}/members/{}", w.user(Who::Pm).id)).group(g)
        }
        DeleteGroupMember | DeleteGroupSystemAdmin => {
            let user = w.fresh_user().await;
            let role = if route == DeleteGroupSystemAdmin {
                "system_admin"
            } else {
                "student"
            };
            grant(&w.app, g, user.id, role).await;
            delete(format!("/v1/groups/{g}/members/{}", user.id)).group(g)
        }

        CreateProject => post(
            format!("/v1/groups/{g}/projects"),
            json!({ "name": format!("Project {n}") }),
        )
        .group(g),
        ListGroupProjects => get(format!("/v1/groups/{g}/projects")).group(g),
        GetProject => get(format!("/v1/projects/{p}")).project(p),
        RenameProject => patch(
            format!("/v1/projects/{p}"),
            json!({ "name": format!("Robots {n}") }),
        )
        .project(p),
        DeleteProject => {
            let home = w.group(target);
            let project = w.app.create_project(home, &format!("Doomed {n}")).await;
            if let Some(role) = who.project_role(target) {
                w.app.set_project_role(project, me, role).await;
            }
            delete(format!("/v1/projects/{project}")).project(project)
        }
        ProjectAudit => get(format!("/v1/projects/{p}/audit")).project(p),

        PutProjectMember | PutProjectAdmin => {
            let user = w.fresh_user().await;
            let role = if route == PutProjectAdmin {
                "admin"
            } else {
                "member"
            };
            put(
                format!("/v1/projects/{p}/members/{}", user.id),
                json!({ "role": role }),
            )
            .project(p)
        }
        DemoteProjectAdmin => {
            let user = w.fresh_member(p, "admin").await;
            put(
                format!("/v1/projects/{p}/members/{}", user.id),
                json!({ "role": "pm" }),
            )
            .project(p)
        }
        PutProjectMemberUnchanged => {
            let user = if target == Target::Other {
                w.user(Who::Out)
            } else {
                w.user(Who::Mem)
            };
            put(
                format!("/v1/projects/{p}/members/{}", user.id),
                json!({ "role": "member" }),
            )
            .project(p)
        }
        PutProjectMemberUnknownUser => put(
            format!("/v1/projects/{p}/members/{}", Uuid::now_v7()),
            json!({ "role": "member" }),
        )
        .project(p),
        ListProjectMembers => get(format!("/v1/projects/{p}/members")).project(p),
        ListProjectMembersOfForeignSquad => {
            get(format!("/v1/projects/{}/members?squad_id={}", w.p, w.qs)).project(w.p)
        }
        GetProjectMember => {
            let user = if target == Target::Other {
                w.user(Who::Out)
            } else {
                w.user(Who::Mem)
            };
            get(format!("/v1/projects/{p}/members/{}", user.id)).project(p)
        }
        GetProjectMemberAbsent => {
            get(format!("/v1/projects/{p}/members/{}", w.user(Who::S).id)).project(p)
        }
        ReportingLines => get(format!("/v1/projects/{p}/reporting-lines")).project(p),
        DeleteProjectMember | DeleteProjectAdmin => {
            let role = if route == DeleteProjectAdmin {
                "admin"
            } else {
                "member"
            };
            let user = w.fresh_member(p, role).await;
            delete(format!("/v1/projects/{p}/members/{}", user.id)).project(p)
        }

        CreateSquad => {
            let parent = (target == Target::Sub).then_some(w.s1);
            post(
                format!("/v1/projects/{p}/squads"),
                json!({ "name": format!("Squad {n}"), "parent_id": parent }),
            )
            .project(p)
        }
        CreateSquadUnderForeignParent => post(
            format!("/v1/projects/{}/squads", w.p),
            json!({ "name": format!("Squad {n}"), "parent_id": w.qs }),
        )
        .project(w.p),
        ListSquads => get(format!("/v1/projects/{p}/squads")).project(p),
        GetSquad => get(format!("/v1/squads/{sq}")).squad(sq),
        RenameSquad => {
            let squad = w.top_squad(p).await;
            patch(
                format!("/v1/squads/{squad}"),
                json!({ "name": format!("Renamed {n}") }),
            )
            .squad(squad)
        }
        RenameSquadUnchanged => patch(
            format!("/v1/squads/{sq}"),
            json!({ "name": w.squad_name(target) }),
        )
        .squad(sq),
        MoveSquadUnderForeignParent => {
            let squad = w.top_squad(w.p).await;
            patch(format!("/v1/squads/{squad}"), json!({ "parent_id": w.qs })).squad(squad)
        }
        DeleteSquad => {
            let squad = w.top_squad(p).await;
            delete(format!("/v1/squads/{squad}")).squad(squad)
        }
        DeleteSquadHoldingAdmin => {
            let squad = w.top_squad(w.p).await;
            join(&w.app, squad, w.app.admin.id).await;
            delete(format!("/v1/squads/{squad}")).squad(squad)
        }
        PutSquadMember | PutSquadMemberStronger => {
            let role = if route == PutSquadMemberStronger {
                "pm"
            } else {
                "member"
            };
            let user = w.fresh_member(p, role).await;
            Prepared::new(Method::PUT, format!("/v1/squads/{sq}/members/{}", user.id)).squad(sq)
        }
        PutSquadMemberOutsider => Prepared::new(
            Method::PUT,
            format!("/v1/squads/{sq}/members/{}", w.user(Who::Out).id),
        )
        .squad(sq),
        ListSquadMembers => get(format!("/v1/squads/{sq}/members")).squad(sq),
        DeleteSquadMember | DeleteSquadMemberStronger => {
            let role = if route == DeleteSquadMemberStronger {
                "pm"
            } else {
                "member"
            };
            let user = w.fresh_member(p, role).await;
            join(&w.app, sq, user.id).await;
            delete(format!("/v1/squads/{sq}/members/{}", user.id)).squad(sq)
        }

        DeleteFixtureGroup => {
            let parent = if target == Target::Missing { g } else { w.dept };
            delete(format!("/v1/groups/{g}")).group(g).parent(parent)
        }
        DeleteFixtureProject => delete(format!("/v1/projects/{p}")).project(p),
        DeleteFixtureSquad => delete(format!("/v1/squads/{sq}")).squad(sq),
        DeleteFixtureUser => {
            let user = w.target_user(target, who);
            let other_rule = user.id == me.id || target == Target::Missing;
            delete(format!("/v1/users/{}", user.id)).other_rule(other_rule)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running cases and collecting mismatches
// ---------------------------------------------------------------------------------------------

/// Every decision compared, and every one that was not as expected.
#[derive(Default)]
struct Tally {
    cases: usize,
    unexpected: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.cases += other.cases;
        self.unexpected.extend(other.unexpected);
    }

    /// Compares one answer with what was expected.
    fn expect(&mut self, label: &str, want: Want, field: Option<&str>, status: u16, body: &Value) {
        self.cases += 1;
        if status != want.status {
            let code = want.code.unwrap_or("");
            self.unexpected.push(format!(
                "{label}: expected {} {code}, got {status} {}",
                want.status,
                brief(body)
            ));
            return;
        }
        if let Some(code) = want.code
            && body["code"] != code
        {
            self.unexpected.push(format!(
                "{label}: expected code {code}, got {}",
                brief(body)
            ));
            return;
        }
        if want.code == Some("validation_failed")
            && let Some(field) = field
        {
            let named = body["errors"]
                .as_array()
                .is_some_and(|errors| errors.iter().any(|e| e["field"] == field));
            if !named {
                self.unexpected.push(format!(
                    "{label}: expected the error to name `{field}`, got {}",
                    brief(body)
                ));
            }
        }
    }

    /// Compares `/v1/check`'s answer with what the route did.
    fn agree(&mut self, label: &str, capability: &str, on: On, answer: &Value, status: u16) {
        self.cases += 1;
        let allowed = (200..300).contains(&status);
        if answer["allowed"] != allowed {
            self.unexpected.push(format!(
                "{label}: /v1/check says {capability} allowed={} ({}), the route answered {status}",
                answer["allowed"], answer["reason"]
            ));
            return;
        }
        if on.is_route_resource() && answer["role"].is_null() != (status == 404) {
            self.unexpected.push(format!(
                "{label}: /v1/check gives role {} for {capability}, the route answered {status}",
                answer["role"]
            ));
        }
    }
}

/// A body shortened for a report line.
fn brief(body: &Value) -> String {
    let text = body.to_string();
    match text.char_indices().nth(240) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Sends a request (as `actor`, or without credentials) and returns the status and the body.
async fn send(
    app: &TestApp,
    actor: Option<&TestUser>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = match actor {
        Some(user) => app.as_user(user, method, path),
        None => app.request(method, path),
    };
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asks `/v1/check` whether `actor` has `capability` at the case's resource.
async fn check_as(
    w: &World,
    tally: &mut Tally,
    label: &str,
    actor: &TestUser,
    capability: &str,
    on: On,
    ids: &Ids,
) -> Option<Value> {
    let id = |id: Option<Uuid>| id.unwrap_or_else(|| panic!("{label}: no id for {on:?}"));
    let resource = match on {
        On::System => json!({ "type": "system" }),
        On::Group => json!({ "type": "group", "id": id(ids.group) }),
        On::Parent => json!({ "type": "group", "id": id(ids.parent) }),
        On::Project => json!({ "type": "project", "id": id(ids.project) }),
        On::Squad => json!({ "type": "squad", "id": id(ids.squad) }),
    };
    let body = json!({ "capability": capability, "resource": resource });
    let (status, answer) = send(&w.app, Some(actor), Method::POST, "/v1/check", Some(&body)).await;
    if status == 200 {
        Some(answer)
    } else {
        tally.cases += 1;
        tally.unexpected.push(format!(
            "{label}: /v1/check {body} answered {status} {}",
            brief(&answer)
        ));
        None
    }
}

/// How many cases (or reads) run at once. Every case makes its own throwaways, so the cases of
/// one row are independent (a case's `/v1/check` and its request still run in order); a little
/// concurrency overlaps the round trips.
const PARALLEL: usize = 4;

/// Runs one row for every principal it names; the throwaways go when the row is done. Cases
/// aimed at fixture objects run one at a time.
async fn run_row(w: &World, tally: &mut Tally, row: &Row) {
    let cases: Vec<Tally> = stream::iter(Who::ALL)
        .filter(|who| std::future::ready(row.want[*who as usize].status != 0))
        .map(|who| run_case(w, row, who))
        .buffered(if row.route.touches_fixture() {
            1
        } else {
            PARALLEL
        })
        .collect()
        .await;
    for case in cases {
        tally.merge(case);
    }
    w.clean_up(tally).await;
}

/// Runs one cell of the table.
async fn run_case(w: &World, row: &Row, who: Who) -> Tally {
    let mut tally = Tally::default();
    let want = row.want[who as usize];
    let prepared = prepare(w, row.route, row.target, who).await;
    let actor = w.user(who);
    let label = format!(
        "{} {} [{:?} on {:?}]",
        who.label(),
        row.route.endpoint(),
        row.route,
        row.target
    );
    let mapped = check_mapping(row.route).filter(|_| !prepared.other_rule);
    // Asked first: a write may remove the very resource asked about.
    let answer = match mapped {
        Some((capability, on)) => {
            check_as(w, &mut tally, &label, actor, capability, on, &prepared.ids).await
        }
        None => None,
    };
    let (status, body) = send(
        &w.app,
        Some(actor),
        prepared.method,
        &prepared.path,
        prepared.body.as_ref(),
    )
    .await;
    tally.expect(&label, want, row.field, status, &body);
    if let (Some((capability, on)), Some(answer)) = (mapped, answer) {
        tally.agree(&label, capability, on, &answer, status);
    }
    tally
}

/// Every route variant of the table, once, without credentials: 401.
async fn anonymous(w: &World, tally: &mut Tally, rows: &[Row]) {
    let mut seen = Vec::new();
    for row in rows {
        if seen.contains(&row.route) {
            continue;
        }
        seen.push(row.route);
        let prepared = prepare(w, row.route, row.target, Who::Str).await;
        let label = format!("anonymous {} [{:?}]", row.route.endpoint(), row.route);
        let (status, body) = send(
            &w.app,
            None,
            prepared.method,
            &prepared.path,
            prepared.body.as_ref(),
        )
        .await;
        tally.expect(&label, U401, None, status, &body);
        w.clean_up(tally).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies and ids that must be refused before anything else is decided
// ---------------------------------------------------------------------------------------------

/// A request every principal must get 400 `validation_failed` for, naming `field`.
struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
    field: &'static str,
}

fn probe(method: Method, path: String, body: Option<Value>, field: &'static str) -> Probe {
    Probe {
        method,
        path,
        body,
        field,
    }
}

/// Privileged fields smuggled into bodies of routes that do not take them.
fn privileged_fields(w: &World) -> Vec<Probe> {
    let (class, other, p, q, s1) = (w.class, w.academy_class, w.p, w.q, w.s1);
    let s = w.user(Who::S).id;
    let mem = w.user(Who::Mem).id;
    let out = w.user(Who::Out).id;
    let check = json!({ "capability": "group.view", "resource": { "type": "group", "id": class } });
    let mut check_with_flag = check.clone();
    check_with_flag["system_admin"] = json!(true);
    vec![
        probe(
            Method::POST,
            "/v1/users".into(),
            Some(json!({ "email": "x1@matrix.test", "display_name": "X", "system_admin": true })),
            "system_admin",
        ),
        probe(
            Method::POST,
            "/v1/users".into(),
            Some(json!({ "email": "x2@matrix.test", "display_name": "X", "role": "group_admin" })),
            "role",
        ),
        probe(
            Method::PATCH,
            format!("/v1/users/{s}"),
            Some(json!({ "display_name": "X", "system_admin": true })),
            "system_admin",
        ),
        probe(
            Method::PATCH,
            format!("/v1/users/{s}"),
            Some(json!({ "role": "group_admin" })),
            "role",
        ),
        probe(
            Method::POST,
            "/v1/groups".into(),
            Some(json!({ "name": "X", "parent_id": class, "role": "group_admin" })),
            "role",
        ),
        probe(
            Method::PATCH,
            format!("/v1/groups/{class}"),
            Some(json!({ "name": CLASS, "group_id": other })),
            "group_id",
        ),
        probe(
            Method::POST,
            format!("/v1/groups/{class}/members"),
            Some(json!({ "user_id": out, "role": "student", "system_admin": true })),
            "system_admin",
        ),
        probe(
            Method::POST,
            format!("/v1/groups/{class}/members"),
            Some(json!({ "user_id": out, "role": "student", "tier": 0 })),
            "tier",
        ),
        probe(
            Method::PUT,
            format!("/v1/groups/{class}/members/{s}"),
            Some(json!({ "role": "student", "group_id": other })),
            "group_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/groups/{class}/members/{s}"),
            Some(json!({ "role": "student", "user_id": out })),
            "user_id",
        ),
        probe(
            Method::POST,
            format!("/v1/groups/{class}/projects"),
            Some(json!({ "name": "X", "group_id": other })),
            "group_id",
        ),
        probe(
            Method::POST,
            format!("/v1/groups/{class}/projects"),
            Some(json!({ "name": "X", "role": "admin" })),
            "role",
        ),
        probe(
            Method::PATCH,
            format!("/v1/projects/{p}"),
            Some(json!({ "name": "X", "group_id": other })),
            "group_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/projects/{p}/members/{mem}"),
            Some(json!({ "role": "member", "tier": 0 })),
            "tier",
        ),
        probe(
            Method::PUT,
            format!("/v1/projects/{p}/members/{mem}"),
            Some(json!({ "role": "member", "project_id": q })),
            "project_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/projects/{p}/members/{mem}"),
            Some(json!({ "role": "member", "user_id": out })),
            "user_id",
        ),
        probe(
            Method::POST,
            format!("/v1/projects/{p}/squads"),
            Some(json!({ "name": "X", "project_id": q })),
            "project_id",
        ),
        probe(
            Method::PATCH,
            format!("/v1/squads/{s1}"),
            Some(json!({ "name": MECHANICS, "project_id": q })),
            "project_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/squads/{s1}/members/{mem}"),
            Some(json!({ "role": "squad_lead" })),
            "role",
        ),
        probe(
            Method::POST,
            "/v1/check".into(),
            Some(check_with_flag.clone()),
            "system_admin",
        ),
        probe(
            Method::POST,
            "/v1/check/batch".into(),
            Some(json!({ "checks": [check_with_flag] })),
            "checks[0].system_admin",
        ),
    ]
}

/// Malformed ids, in paths and in bodies.
fn malformed_ids(w: &World) -> Vec<Probe> {
    const BAD: &str = "not-a-uuid";
    let (class, p, s1) = (w.class, w.p, w.s1);
    let s = w.user(Who::S).id;
    let mem = w.user(Who::Mem).id;
    let role = |role: &str| Some(json!({ "role": role }));
    let name = || Some(json!({ "name": "X" }));
    let mut probes = vec![
        probe(Method::GET, format!("/v1/users/{BAD}"), None, "id"),
        probe(
            Method::PATCH,
            format!("/v1/users/{BAD}"),
            Some(json!({ "display_name": "X" })),
            "id",
        ),
        probe(Method::DELETE, format!("/v1/users/{BAD}"), None, "id"),
        probe(Method::PATCH, format!("/v1/groups/{BAD}"), name(), "id"),
        probe(Method::DELETE, format!("/v1/groups/{BAD}"), None, "id"),
        probe(
            Method::POST,
            format!("/v1/groups/{BAD}/members"),
            Some(json!({ "user_id": s, "role": "student" })),
            "id",
        ),
        probe(
            Method::PUT,
            format!("/v1/groups/{class}/members/{BAD}"),
            role("student"),
            "user_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/groups/{BAD}/members/{s}"),
            role("student"),
            "id",
        ),
        probe(
            Method::GET,
            format!("/v1/groups/{class}/members/{BAD}"),
            None,
            "user_id",
        ),
        probe(
            Method::DELETE,
            format!("/v1/groups/{class}/members/{BAD}"),
            None,
            "user_id",
        ),
        probe(
            Method::POST,
            format!("/v1/groups/{BAD}/projects"),
            name(),
            "id",
        ),
        probe(Method::PATCH, format!("/v1/projects/{BAD}"), name(), "id"),
        probe(Method::DELETE, format!("/v1/projects/{BAD}"), None, "id"),
        probe(
            Method::POST,
            format!("/v1/projects/{BAD}/squads"),
            name(),
            "id",
        ),
        probe(
            Method::PUT,
            format!("/v1/projects/{p}/members/{BAD}"),
            role("member"),
            "user_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/projects/{BAD}/members/{mem}"),
            role("member"),
            "id",
        ),
        probe(
            Method::GET,
            format!("/v1/projects/{p}/members/{BAD}"),
            None,
            "user_id",
        ),
        probe(
            Method::DELETE,
            format!("/v1/projects/{p}/members/{BAD}"),
            None,
            "user_id",
        ),
        probe(Method::PATCH, format!("/v1/squads/{BAD}"), name(), "id"),
        probe(Method::DELETE, format!("/v1/squads/{BAD}"), None, "id"),
        probe(
            Method::PUT,
            format!("/v1/squads/{s1}/members/{BAD}"),
            None,
            "user_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/squads/{BAD}/members/{mem}"),
            None,
            "id",
        ),
        probe(
            Method::DELETE,
            format!("/v1/squads/{s1}/members/{BAD}"),
            None,
            "user_id",
        ),
        // Ids in bodies and queries.
        probe(
            Method::POST,
            "/v1/groups".into(),
            Some(json!({ "name": "X", "parent_id": BAD })),
            "parent_id",
        ),
        probe(
            Method::POST,
            format!("/v1/groups/{class}/members"),
            Some(json!({ "user_id": BAD, "role": "student" })),
            "user_id",
        ),
        probe(
            Method::PUT,
            format!("/v1/projects/{p}/members/{mem}"),
            Some(json!({ "role": "member", "reports_to": BAD })),
            "reports_to",
        ),
        probe(
            Method::POST,
            format!("/v1/projects/{p}/squads"),
            Some(json!({ "name": "X", "parent_id": BAD })),
            "parent_id",
        ),
        probe(
            Method::PATCH,
            format!("/v1/squads/{s1}"),
            Some(json!({ "parent_id": BAD })),
            "parent_id",
        ),
        probe(
            Method::POST,
            "/v1/check".into(),
            Some(json!({ "capability": "group.view", "resource": { "type": "group", "id": BAD } })),
            "resource.id",
        ),
        probe(
            Method::POST,
            "/v1/check".into(),
            Some(
                json!({ "user_id": BAD, "capability": "system.manage", "resource": { "type": "system" } }),
            ),
            "user_id",
        ),
        probe(
            Method::GET,
            format!("/v1/projects/{p}/members?squad_id={BAD}"),
            None,
            "squad_id",
        ),
    ];
    for suffix in [
        "",
        "/children",
        "/descendants",
        "/ancestors",
        "/members",
        "/projects",
        "/audit",
    ] {
        probes.push(probe(
            Method::GET,
            format!("/v1/groups/{BAD}{suffix}"),
            None,
            "id",
        ));
    }
    for suffix in ["", "/members", "/reporting-lines", "/squads", "/audit"] {
        probes.push(probe(
            Method::GET,
            format!("/v1/projects/{BAD}{suffix}"),
            None,
            "id",
        ));
    }
    for suffix in ["", "/members"] {
        probes.push(probe(
            Method::GET,
            format!("/v1/squads/{BAD}{suffix}"),
            None,
            "id",
        ));
    }
    probes
}

/// Runs each probe as every principal: 400 `validation_failed` naming the field, whoever asks.
async fn run_probes(w: &World, tally: &mut Tally, kind: &str, probes: Vec<Probe>) {
    let calls = probes
        .iter()
        .flat_map(|probe| Who::ALL.map(|who| (probe, who)));
    let answers: Vec<(String, &Probe, u16, Value)> = stream::iter(calls)
        .map(|(probe, who)| async move {
            let label = format!("{} {kind}: {} {}", who.label(), probe.method, probe.path);
            let (status, body) = send(
                &w.app,
                Some(w.user(who)),
                probe.method.clone(),
                &probe.path,
                probe.body.as_ref(),
            )
            .await;
            (label, probe, status, body)
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    for (label, probe, status, body) in answers {
        tally.expect(&label, V400, Some(probe.field), status, &body);
    }
}

// ---------------------------------------------------------------------------------------------
// Acting on oneself
// ---------------------------------------------------------------------------------------------

/// Sends one "self" request and compares the answer.
async fn run_self(
    w: &World,
    tally: &mut Tally,
    label: &str,
    actor: &TestUser,
    request: Prepared,
    want: Want,
) {
    let (status, body) = send(
        &w.app,
        Some(actor),
        request.method,
        &request.path,
        request.body.as_ref(),
    )
    .await;
    tally.expect(&format!("self: {label}"), want, None, status, &body);
}

/// The "self" rules, by throwaway users: anyone may leave (except the last admin), and reading
/// one's own membership needs no capability; a user with no membership has nothing to leave.
async fn self_cases(w: &World, tally: &mut Tally) {
    let (class, p, s1) = (w.class, w.p, w.s1);
    let run = run_self;

    let student = w.fresh_user().await;
    grant(&w.app, class, student.id, "student").await;
    let own = format!("/v1/groups/{class}/members/{}", student.id);
    run(
        w,
        tally,
        "a student reads their own membership",
        &student,
        get(own.clone()),
        R200,
    )
    .await;
    run(
        w,
        tally,
        "a student leaves the class",
        &student,
        delete(own.clone()),
        R204,
    )
    .await;
    run(
        w,
        tally,
        "a former student reads the membership",
        &student,
        get(own),
        N404,
    )
    .await;

    let member = w.fresh_member(p, "member").await;
    join(&w.app, s1, member.id).await;
    let squad = format!("/v1/squads/{s1}/members/{}", member.id);
    run(
        w,
        tally,
        "a member leaves their squad",
        &member,
        delete(squad),
        R204,
    )
    .await;
    let project = format!("/v1/projects/{p}/members/{}", member.id);
    run(
        w,
        tally,
        "a member leaves the project",
        &member,
        delete(project.clone()),
        R204,
    )
    .await;
    run(
        w,
        tally,
        "a former member leaves again",
        &member,
        delete(project),
        N404,
    )
    .await;

    // The only admin of a project may not leave it, nor step down.
    let teacher = w.fresh_user().await;
    grant(&w.app, class, teacher.id, "teacher").await;
    let body = json!({ "name": format!("Solo {}", w.next()) });
    let (status, created) = send(
        &w.app,
        Some(&teacher),
        Method::POST,
        &format!("/v1/groups/{class}/projects"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let solo = created["id"].as_str().unwrap();
    let mine = format!("/v1/projects/{solo}/members/{}", teacher.id);
    run(
        w,
        tally,
        "the last admin steps down",
        &teacher,
        put(mine.clone(), json!({ "role": "pm" })),
        L409,
    )
    .await;
    run(
        w,
        tally,
        "the last admin leaves",
        &teacher,
        delete(mine),
        L409,
    )
    .await;
    // Their project goes with them, as any admin may delete it.
    let project = format!("/v1/projects/{solo}");
    let why = "the last admin deletes the project";
    run(w, tally, why, &teacher, delete(project), R204).await;

    // Nothing to leave: the same answer as for a group or project that does not exist.
    let stranger = w.user(Who::Str);
    let leave_class = format!("/v1/groups/{class}/members/{}", stranger.id);
    run(
        w,
        tally,
        "a stranger leaves the class",
        stranger,
        delete(leave_class),
        N404,
    )
    .await;
    let leave_project = format!("/v1/projects/{p}/members/{}", stranger.id);
    run(
        w,
        tally,
        "a stranger leaves the project",
        stranger,
        delete(leave_project),
        N404,
    )
    .await;
    let leave_squad = format!("/v1/squads/{s1}/members/{}", stranger.id);
    run(
        w,
        tally,
        "a stranger leaves a squad",
        stranger,
        delete(leave_squad),
        N404,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Lists show only what can be read one by one
// ---------------------------------------------------------------------------------------------

/// Every item of every page of `path` as `actor` (pages of three, to walk the cursors), or
/// `None` when the first page is refused.
async fn walk(w: &World, tally: &mut Tally, actor: &TestUser, path: &str) -> Option<Vec<Value>> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(cursor) => format!("{path}{sep}limit=3&cursor={}", percent_encode(cursor)),
            None => format!("{path}{sep}limit=3"),
        };
        let response = w
            .app
            .as_user(actor, Method::GET, &url)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != 200 {
            if cursor.is_some() {
                tally.cases += 1;
                tally.unexpected.push(format!(
                    "list {path} as {}: a later page answered {status} {}",
                    actor.email,
                    brief(&body)
                ));
            }
            return cursor.map(|_| items);
        }
        items.extend(body["items"].as_array().cloned().unwrap_or_default());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Some(items),
        }
    }
}

/// `text` with every byte outside RFC 3986's unreserved set percent-encoded.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ids_of(items: &[Value], key: &str) -> Vec<Uuid> {
    items
        .iter()
        .map(|item| item[key].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Reads each path as `actor`, several at a time, and compares each status.
async fn reads(
    w: &World,
    tally: &mut Tally,
    actor: &TestUser,
    who: Who,
    mut wanted: Vec<(String, u16, String)>,
) {
    // Several lists show the same item: read it once per expected answer.
    let mut seen = BTreeSet::new();
    wanted.retain(|(path, want, _)| seen.insert((path.clone(), *want)));
    let answers: Vec<(String, u16, String, u16)> = stream::iter(wanted)
        .map(|(path, want, why)| async move {
            let (status, _) = send(&w.app, Some(actor), Method::GET, &path, None).await;
            (path, want, why, status)
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    for (path, want, why, status) in answers {
        tally.cases += 1;
        if status != want {
            tally.unexpected.push(format!(
                "{} list {why}: GET {path} answered {status}, expected {want}",
                who.label()
            ));
        }
    }
}

/// For every principal, walks every list and reads what it shows (and, for users and a group's
/// projects, what it does not).
async fn list_walks(w: &World, tally: &mut Tally) {
    let admin = &w.app.admin;
    let everyone = ids_of(&walk(w, tally, admin, "/v1/users").await.unwrap(), "id");
    let groups = [w.org, w.school, w.dept, w.class, w.academy, w.academy_class];
    let mut all_projects: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for group in groups {
        let path = format!("/v1/groups/{group}/projects");
        let items = walk(w, tally, admin, &path).await.unwrap();
        all_projects.insert(group, ids_of(&items, "id"));
    }
    let walks: Vec<Tally> = stream::iter(Who::ALL)
        .map(|who| walk_as(w, who, &everyone, &all_projects))
        .buffered(2)
        .collect()
        .await;
    for walked in walks {
        tally.merge(walked);
    }
}

/// Walks every list as `who` and reads what it shows; `everyone` and `all_projects` are what the
/// system admin sees (every user; every project of each fixture group).
async fn walk_as(
    w: &World,
    who: Who,
    everyone: &[Uuid],
    all_projects: &HashMap<Uuid, Vec<Uuid>>,
) -> Tally {
    let mut local = Tally::default();
    let tally = &mut local;
    let groups = [w.org, w.school, w.dept, w.class, w.academy, w.academy_class];
    let squads = [(w.s1, w.p), (w.s1a, w.p), (w.s2, w.p), (w.qs, w.q)];
    let me = w.user(who);
    let mut wanted: Vec<(String, u16, String)> = Vec::new();

    let listed: BTreeSet<Uuid> = ids_of(&walk(w, tally, me, "/v1/users").await.unwrap(), "id")
        .into_iter()
        .collect();
    for user in everyone {
        let want = if listed.contains(user) { 200 } else { 404 };
        wanted.push((format!("/v1/users/{user}"), want, "GET /v1/users".into()));
    }
    if let Some(extra) = listed.iter().find(|u| !everyone.contains(u)) {
        tally.cases += 1;
        tally.unexpected.push(format!(
            "{} GET /v1/users lists {extra}, whom the system admin's list lacks",
            who.label()
        ));
    }
    let mine = walk(w, tally, me, "/v1/groups").await.unwrap();
    for group in ids_of(&mine, "id") {
        wanted.push((format!("/v1/groups/{group}"), 200, "GET /v1/groups".into()));
    }

    for group in groups {
        for list in ["children", "descendants"] {
            let path = format!("/v1/groups/{group}/{list}");
            if let Some(items) = walk(w, tally, me, &path).await {
                for id in ids_of(&items, "id") {
                    wanted.push((format!("/v1/groups/{id}"), 200, path.clone()));
                }
            }
        }
        let path = format!("/v1/groups/{group}/members");
        if let Some(items) = walk(w, tally, me, &path).await {
            for user in ids_of(&items, "user_id") {
                wanted.push((format!("{path}/{user}"), 200, path.clone()));
            }
        }
        let path = format!("/v1/groups/{group}/members?inherited=true");
        if let Some(items) = walk(w, tally, me, &path).await {
            for user in ids_of(&items, "user_id") {
                wanted.push((format!("/v1/users/{user}"), 200, path.clone()));
            }
        }
        let path = format!("/v1/groups/{group}/projects");
        if let Some(items) = walk(w, tally, me, &path).await {
            let shown = ids_of(&items, "id");
            for project in &all_projects[&group] {
                let want = if shown.contains(project) { 200 } else { 404 };
                wanted.push((format!("/v1/projects/{project}"), want, path.clone()));
            }
        }
    }

    for project in [w.p, w.q] {
        let path = format!("/v1/projects/{project}/members");
        if let Some(items) = walk(w, tally, me, &path).await {
            for user in ids_of(&items, "user_id") {
                wanted.push((format!("{path}/{user}"), 200, path.clone()));
            }
        }
        let path = format!("/v1/projects/{project}/squads");
        if let Some(items) = walk(w, tally, me, &path).await {
            for top in &items {
                let subs = top["sub_squads"].as_array().cloned().unwrap_or_default();
                for id in ids_of(std::slice::from_ref(top), "id")
                    .into_iter()
                    .chain(ids_of(&subs, "id"))
                {
                    wanted.push((format!("/v1/squads/{id}"), 200, path.clone()));
                }
            }
        }
    }

    for (squad, project) in squads {
        let path = format!("/v1/squads/{squad}/members");
        if let Some(items) = walk(w, tally, me, &path).await {
            for user in ids_of(&items, "user_id") {
                wanted.push((
                    format!("/v1/projects/{project}/members/{user}"),
                    200,
                    path.clone(),
                ));
                wanted.push((format!("/v1/users/{user}"), 200, path.clone()));
            }
        }
    }

    reads(w, tally, me, who, wanted).await;
    local
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

async fn authorization_matrix(db: &TestDb) {
    let rows = table();
    let covered: BTreeSet<&str> = rows.iter().map(|row| row.route.endpoint()).collect();
    let missing: Vec<&&str> = SPEC_ROUTES
        .iter()
        .filter(|r| !covered.contains(**r))
        .collect();
    assert!(
        missing.is_empty(),
        "the table misses spec routes: {missing:?}"
    );
    assert!(
        covered.iter().all(|r| SPEC_ROUTES.contains(r)),
        "the table names a route the spec lacks"
    );

    let w = build(db).await;
    let mut tally = Tally::default();
    anonymous(&w, &mut tally, &rows).await;
    for row in rows.iter().filter(|row| !row.route.touches_fixture()) {
        run_row(&w, &mut tally, row).await;
    }
    run_probes(&w, &mut tally, "privileged field", privileged_fields(&w)).await;
    run_probes(&w, &mut tally, "malformed id", malformed_ids(&w)).await;
    self_cases(&w, &mut tally).await;
    w.clean_up(&mut tally).await;
    list_walks(&w, &mut tally).await;
    for row in rows.iter().filter(|row| row.route.touches_fixture()) {
        run_row(&w, &mut tally, row).await;
    }

    println!(
        "matrix: {} cases, {} unexpected",
        tally.cases,
        tally.unexpected.len()
    );
    assert!(
        tally.unexpected.is_empty(),
        "{} unexpected decisions:\n{}",
        tally.unexpected.len(),
        tally.unexpected.join("\n")
    );
}

both_backends!(authorization_matrix);
