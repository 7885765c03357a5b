//! The route catalogue: every `/v1` route of the spec (§4) as [`Route`] variants — several per
//! route where they probe different rules — with [`prepare`], which builds a concrete request
//! for a variant on a [`Target`] of the [`World`] as a principal, creating (as the system admin)
//! the throwaway objects a write acts on; and [`check_mapping`], the capability each guarded
//! route decides on. The authorization matrix and the guard-metrics binary both walk it.

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::{TestApp, TestUser};
use crate::world::{Target, Who, World};

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/// One way of calling one route; several variants share a route when they probe different
/// rules (escalation, unknown ids, other tenants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Me,
    Roles,
    Check,
    CheckBatch,
    /// `/v1/check` about another user.
    CheckOther,
    /// `/v1/lookup/resources` about oneself, about another user, and within the target group.
    LookupResources,
    LookupResourcesOther,
    LookupResourcesWithin,
    /// `/v1/lookup/subjects` at the target group.
    LookupSubjects,
    /// `GET /v1/users/{id}/access` of a user who is none of the principals.
    UserAccessOther,
    Audit,
    /// `GET /v1/changes`: everything (system admins), a group's subtree, a project's.
    Changes,
    GroupChanges,
    ProjectChanges,
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
    /// `GET /v1/projects`: every project the caller may view.
    ListProjects,
    /// `GET /v1/projects?within=`: those in the target group's subtree.
    ListProjectsWithin,
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
    /// The same tree drawn as an SVG.
    ReportingLinesSvg,
    /// A member's chain of managers, and the same for a user who is no member.
    MemberChain,
    MemberChainAbsent,
    /// A member's transitive reports, and the same for a user who is no member.
    MemberReports,
    MemberReportsAbsent,
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
    /// Acting on oneself (the matrix checks these rules in its own "self" cases):
    /// reading one's own group membership,
    ReadOwnGroupMember,
    /// and leaving a throwaway group, project or squad one was put in for the case.
    LeaveGroup,
    LeaveProject,
    LeaveSquad,
}

impl Route {
    /// Every variant, in declaration order.
    pub const ALL: [Route; 95] = [
        Route::Me,
        Route::Roles,
        Route::Check,
        Route::CheckBatch,
        Route::CheckOther,
        Route::LookupResources,
        Route::LookupResourcesOther,
        Route::LookupResourcesWithin,
        Route::LookupSubjects,
        Route::UserAccessOther,
        Route::Audit,
        Route::Changes,
        Route::GroupChanges,
        Route::ProjectChanges,
        Route::CreateUser,
        Route::ListUsers,
        Route::GetUser,
        Route::PatchUser,
        Route::PatchOwnEmail,
        Route::DeleteUser,
        Route::CreateRootGroup,
        Route::CreateChildGroup,
        Route::ListGroups,
        Route::GetGroup,
        Route::ListChildren,
        Route::ListDescendants,
        Route::ListAncestors,
        Route::RenameGroup,
        Route::RenameGroupUnchanged,
        Route::MoveGroup,
        Route::MoveGroupToRoot,
        Route::DeleteGroup,
        Route::DeleteGroupHoldingSystemAdmin,
        Route::GroupAudit,
        Route::AddGroupMember,
        Route::AddGroupAdmin,
        Route::AddGroupSystemAdmin,
        Route::AddGroupMemberUnknownUser,
        Route::AddGroupMemberTwice,
        Route::PutGroupMember,
        Route::PutGroupMemberUnchanged,
        Route::PutGroupSystemAdmin,
        Route::ListGroupMembers,
        Route::GetGroupMember,
        Route::GetGroupMemberAbsent,
        Route::DeleteGroupMember,
        Route::DeleteGroupSystemAdmin,
        Route::CreateProject,
        Route::ListGroupProjects,
        Route::ListProjects,
        Route::ListProjectsWithin,
        Route::GetProject,
        Route::RenameProject,
        Route::DeleteProject,
        Route::ProjectAudit,
        Route::PutProjectMember,
        Route::PutProjectAdmin,
        Route::DemoteProjectAdmin,
        Route::PutProjectMemberUnchanged,
        Route::PutProjectMemberUnknownUser,
        Route::ListProjectMembers,
        Route::ListProjectMembersOfForeignSquad,
        Route::GetProjectMember,
        Route::GetProjectMemberAbsent,
        Route::ReportingLines,
        Route::ReportingLinesSvg,
        Route::MemberChain,
        Route::MemberChainAbsent,
        Route::MemberReports,
        Route::MemberReportsAbsent,
        Route::DeleteProjectMember,
        Route::DeleteProjectAdmin,
        Route::CreateSquad,
        Route::CreateSquadUnderForeignParent,
        Route::ListSquads,
        Route::GetSquad,
        Route::RenameSquad,
        Route::RenameSquadUnchanged,
        Route::MoveSquadUnderForeignParent,
        Route::DeleteSquad,
        Route::DeleteSquadHoldingAdmin,
        Route::PutSquadMember,
        Route::PutSquadMemberStronger,
        Route::PutSquadMemberOutsider,
        Route::ListSquadMembers,
        Route::DeleteSquadMember,
        Route::DeleteSquadMemberStronger,
        Route::DeleteFixtureGroup,
        Route::DeleteFixtureProject,
        Route::DeleteFixtureSquad,
        Route::DeleteFixtureUser,
        Route::ReadOwnGroupMember,
        Route::LeaveGroup,
        Route::LeaveProject,
        Route::LeaveSquad,
    ];

    /// The route as the spec's table names it.
    pub fn endpoint(self) -> &'static str {
        use Route::*;
        match self {
            Me => "GET /v1/me",
            Roles => "GET /v1/roles",
            Check | CheckOther => "POST /v1/check",
            CheckBatch => "POST /v1/check/batch",
            LookupResources | LookupResourcesOther | LookupResourcesWithin => {
                "POST /v1/lookup/resources"
            }
            LookupSubjects => "POST /v1/lookup/subjects",
            UserAccessOther => "GET /v1/users/{id}/access",
            Audit => "GET /v1/audit",
            Changes | GroupChanges | ProjectChanges => "GET /v1/changes",
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
            GetGroupMember | GetGroupMemberAbsent | ReadOwnGroupMember => {
                "GET /v1/groups/{id}/members/{user_id}"
            }
            DeleteGroupMember | DeleteGroupSystemAdmin | LeaveGroup => {
                "DELETE /v1/groups/{id}/members/{user_id}"
            }
            CreateProject => "POST /v1/groups/{id}/projects",
            ListGroupProjects => "GET /v1/groups/{id}/projects",
            ListProjects | ListProjectsWithin => "GET /v1/projects",
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
            ReportingLinesSvg => "GET /v1/projects/{id}/reporting-lines.svg",
            MemberChain | MemberChainAbsent => "GET /v1/projects/{id}/members/{user_id}/chain",
            MemberReports | MemberReportsAbsent => {
                "GET /v1/projects/{id}/members/{user_id}/reports"
            }
            DeleteProjectMember | DeleteProjectAdmin | LeaveProject => {
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
            DeleteSquadMember | DeleteSquadMemberStronger | LeaveSquad => {
                "DELETE /v1/squads/{id}/members/{user_id}"
            }
        }
    }

    /// Whether a guard decides the route. Not guarded: what any signed-in user may call
    /// (`/v1/me`, `/v1/roles`), the lists of users and groups (they filter by visibility, there
    /// is nothing to refuse), and `/v1/check` about oneself (its decisions are the answer, and
    /// count as `source="check"`).
    pub fn guarded(self) -> bool {
        use Route::*;
        !matches!(
            self,
            Me | Roles
                | ListUsers
                | ListGroups
                | ListProjects
                | Check
                | CheckBatch
                | LookupResources
        )
    }

    /// A principal and target for whom the route decides, to see one decision of each
    /// variant: the system admin on the caller's own objects (allowed), except where that
    /// would wreck the fixture (a refused principal instead) or where the variant is about
    /// acting on oneself.
    pub fn decider(self) -> (Who, Target) {
        use Route::*;
        match self {
            PatchOwnEmail => (Who::Sa, Target::Mine),
            MoveGroup => (Who::Sa, Target::Up),
            DeleteFixtureGroup => (Who::Ga, Target::Own),
            DeleteFixtureProject => (Who::Pm, Target::Own),
            DeleteFixtureSquad => (Who::Sl, Target::Own),
            DeleteFixtureUser => (Who::Ga, Target::Sub),
            ReadOwnGroupMember => (Who::S, Target::Own),
            LeaveGroup => (Who::S, Target::Own),
            LeaveProject | LeaveSquad => (Who::Mem, Target::Own),
            _ => (Who::Sa, Target::Own),
        }
    }

    /// Cases aimed at the fixture's own objects: refusals only, run after everything else.
    pub fn touches_fixture(self) -> bool {
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
pub const SPEC_ROUTES: &[&str] = &[
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
    "GET /v1/projects",
    "GET /v1/projects/{id}",
    "PATCH /v1/projects/{id}",
    "DELETE /v1/projects/{id}",
    "PUT /v1/projects/{id}/members/{user_id}",
    "GET /v1/projects/{id}/members",
    "GET /v1/projects/{id}/members/{user_id}",
    "DELETE /v1/projects/{id}/members/{user_id}",
    "GET /v1/projects/{id}/reporting-lines",
    "GET /v1/projects/{id}/reporting-lines.svg",
    "GET /v1/projects/{id}/members/{user_id}/chain",
    "GET /v1/projects/{id}/members/{user_id}/reports",
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
    "POST /v1/lookup/resources",
    "POST /v1/lookup/subjects",
    "GET /v1/users/{id}/access",
    "GET /v1/audit",
    "GET /v1/groups/{id}/audit",
    "GET /v1/projects/{id}/audit",
    "GET /v1/changes",
];

// ---------------------------------------------------------------------------------------------
// The route ↔ capability mapping for `/v1/check`
// ---------------------------------------------------------------------------------------------

/// Where a mapped check asks.
#[derive(Debug, Clone, Copy)]
pub enum On {
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
    pub fn is_route_resource(self) -> bool {
        matches!(self, On::Group | On::Project | On::Squad)
    }
}

/// The capability (and where) each guarded route checks — the mapping the `/v1/check`
/// agreement uses:
///
/// | route                                                          | capability                   | on      |
/// |----------------------------------------------------------------|------------------------------|---------|
/// | POST /v1/groups (root), DELETE /v1/users/{id}, GET /v1/audit   | system.manage                | system  |
/// | GET /v1/changes (no scope)                                     | system.manage                | system  |
/// | GET /v1/changes?group_id={id}                                  | group.manage                 | group   |
/// | GET /v1/changes?project_id={id}                                | project.manage_settings      | project |
/// | POST /v1/groups (child)                                        | group.manage                 | parent  |
/// | GET /v1/groups/{id}, /children, /descendants, /ancestors, /projects | group.view              | group   |
/// | GET /v1/projects?within={id}                                   | group.view                   | group   |
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
/// | GET /v1/projects/{id}/reporting-lines.svg                      | project.view_members         | project |
/// | GET /v1/projects/{id}/members/{user_id}/chain, /reports        | project.view_members         | project |
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
pub fn check_mapping(route: Route) -> Option<(&'static str, On)> {
    use Route::*;
    Some(match route {
        CreateRootGroup | DeleteUser | DeleteFixtureUser | Audit | Changes => {
            ("system.manage", On::System)
        }
        CreateChildGroup | DeleteGroup | DeleteFixtureGroup => ("group.manage", On::Parent),
        GetGroup | ListChildren | ListDescendants | ListAncestors | ListGroupProjects
        | ListProjectsWithin => ("group.view", On::Group),
        RenameGroup | RenameGroupUnchanged | GroupAudit | GroupChanges => {
            ("group.manage", On::Group)
        }
        AddGroupMember
        | AddGroupAdmin
        | PutGroupMember
        | PutGroupMemberUnchanged
        | DeleteGroupMember => ("group.manage_members", On::Group),
        ListGroupMembers | GetGroupMember | LookupSubjects => ("group.view_members", On::Group),
        CreateProject => ("group.create_projects", On::Group),
        GetProject | ListSquads => ("project.view", On::Project),
        RenameProject | ProjectAudit | ProjectChanges => ("project.manage_settings", On::Project),
        DeleteProject | DeleteFixtureProject => ("project.delete", On::Project),
        PutProjectMember | PutProjectMemberUnchanged | DeleteProjectMember => {
            ("project.assign_roles", On::Project)
        }
        ListProjectMembers | GetProjectMember | ReportingLines | ReportingLinesSvg
        | MemberChain | MemberReports => ("project.view_members", On::Project),
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
// Turning a row's cell into a request
// ---------------------------------------------------------------------------------------------

/// The resources a case touches, for its `/v1/check`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ids {
    pub group: Option<Uuid>,
    pub parent: Option<Uuid>,
    pub project: Option<Uuid>,
    pub squad: Option<Uuid>,
}

/// A concrete request for one case.
pub struct Prepared {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub ids: Ids,
    /// Another rule decides, not a capability: the caller acts on themselves (the "self"
    /// rule), or on a user that does not exist.
    pub other_rule: bool,
}

impl Prepared {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            body: None,
            ids: Ids::default(),
            other_rule: false,
        }
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn group(mut self, id: Uuid) -> Self {
        self.ids.group = Some(id);
        self
    }

    pub fn parent(mut self, id: Uuid) -> Self {
        self.ids.parent = Some(id);
        self
    }

    pub fn project(mut self, id: Uuid) -> Self {
        self.ids.project = Some(id);
        self
    }

    pub fn squad(mut self, id: Uuid) -> Self {
        self.ids.squad = Some(id);
        self
    }

    pub fn other_rule(mut self, yes: bool) -> Self {
        self.other_rule = yes;
        self
    }

    /// Sends the request as `actor` (or without credentials); the raw status and body.
    pub async fn send(&self, app: &TestApp, actor: Option<&TestUser>) -> (u16, Value) {
        let body = self.body.as_ref();
        app.send(actor, self.method.clone(), &self.path, body).await
    }
}

pub fn get(path: impl Into<String>) -> Prepared {
    Prepared::new(Method::GET, path)
}

pub fn post(path: impl Into<String>, body: Value) -> Prepared {
    Prepared::new(Method::POST, path).body(body)
}

pub fn put(path: impl Into<String>, body: Value) -> Prepared {
    Prepared::new(Method::PUT, path).body(body)
}

pub fn patch(path: impl Into<String>, body: Value) -> Prepared {
    Prepared::new(Method::PATCH, path).body(body)
}

pub fn delete(path: impl Into<String>) -> Prepared {
    Prepared::new(Method::DELETE, path)
}

/// Builds the request of `route` on `target` for `who`, creating (as the system admin) the
/// throwaway objects a write acts on.
pub async fn prepare(w: &World, route: Route, target: Target, who: Who) -> Prepared {
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
        LookupResources => post(
            "/v1/lookup/resources",
            json!({ "capability": "group.view", "resource_type": "group" }),
        ),
        LookupResourcesOther => post(
            "/v1/lookup/resources",
            json!({
                "user_id": w.dept_teacher.id,
                "capability": "project.view",
                "resource_type": "project",
            }),
        ),
        LookupResourcesWithin => post(
            "/v1/lookup/resources",
            json!({ "capability": "group.view", "resource_type": "group", "within": g }),
        )
        .group(g),
        LookupSubjects => post(
            "/v1/lookup/subjects",
            json!({ "capability": "group.view", "resource": { "type": "group", "id": g } }),
        )
        .group(g),
        UserAccessOther => get(format!("/v1/users/{}/access", w.dept_teacher.id)),
        Audit => get("/v1/audit"),
        Changes => get("/v1/changes"),
        GroupChanges => get(format!("/v1/changes?group_id={g}")).group(g),
        ProjectChanges => get(format!("/v1/changes?project_id={p}")).project(p),

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
            let admin = w.admin();
            w.app
                .put_group_member(admin, g, user.id, GroupRole::Student)
                .await;
            w.app
                .put_project_member(admin, p, user.id, ProjectRole::Member)
                .await;
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
            w.app
                .put_group_member(w.admin(), child, user.id, GroupRole::SystemAdmin)
                .await;
            delete(format!("/v1/groups/{child}"))
                .group(child)
                .parent(w.class)
        }
        GroupAudit => get(format!("/v1/groups/{g}/audit")).group(g),

        AddGroupMember | AddGroupAdmin | AddGroupSystemAdmin => {
            let user = w.fresh_user().await;
            let role = match route {
                AddGroupAdmin => GroupRole::GroupAdmin,
                AddGroupSystemAdmin => GroupRole::SystemAdmin,
                _ => GroupRole::Student,
            };
            post(
                format!("/v1/groups/{g}/members"),
                json!({ "user_id": user.id, "role": role.as_str() }),
            )
            .group(g)
        }
        AddGroupMemberUnknownUser => post(
            format!("/v1/groups/{g}/members"),
            json!({ "user_id": Uuid::now_v7(), "role": GroupRole::Student.as_str() }),
        )
        .group(g),
        AddGroupMemberTwice => {
            let (user, role) = w.group_member(target);
            post(
                format!("/v1/groups/{g}/members"),
                json!({ "user_id": user.id, "role": role.as_str() }),
            )
            .group(g)
        }
        PutGroupMember | PutGroupSystemAdmin => {
            let user = w.fresh_user().await;
            let role = if route == PutGroupSystemAdmin {
                GroupRole::SystemAdmin
            } else {
                GroupRole::Student
            };
            put(
                format!("/v1/groups/{g}/members/{}", user.id),
                json!({ "role": role.as_str() }),
            )
            .group(g)
        }
        PutGroupMemberUnchanged => {
            let (user, role) = match target {
                Target::Own => (w.user(Who::T), GroupRole::Teacher),
                _ => w.group_member(target),
            };
            put(
                format!("/v1/groups/{g}/members/{}", user.id),
                json!({ "role": role.as_str() }),
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
                GroupRole::SystemAdmin
            } else {
                GroupRole::Student
            };
            w.app.put_group_member(w.admin(), g, user.id, role).await;
            delete(format!("/v1/groups/{g}/members/{}", user.id)).group(g)
        }

        CreateProject => post(
            format!("/v1/groups/{g}/projects"),
            json!({ "name": format!("Project {n}") }),
        )
        .group(g),
        ListGroupProjects => get(format!("/v1/groups/{g}/projects")).group(g),
        ListProjects => get("/v1/projects"),
        ListProjectsWithin => get(format!("/v1/projects?within={g}")).group(g),
        GetProject => get(format!("/v1/projects/{p}")).project(p),
        RenameProject => patch(
            format!("/v1/projects/{p}"),
            json!({ "name": format!("Robots {n}") }),
        )
        .project(p),
        DeleteProject => {
            let home = w.group(target);
            let project = w
                .app
                .create_project(w.admin(), home, &format!("Doomed {n}"))
                .await;
            if let Some(role) = who.project_role(target) {
                w.app
                    .put_project_member(w.admin(), project, me.id, role)
                    .await;
            }
            delete(format!("/v1/projects/{project}")).project(project)
        }
        ProjectAudit => get(format!("/v1/projects/{p}/audit")).project(p),

        PutProjectMember | PutProjectAdmin => {
            let user = w.fresh_user_known_to(who).await;
            let role = if route == PutProjectAdmin {
                ProjectRole::Admin
            } else {
                ProjectRole::Member
            };
            put(
                format!("/v1/projects/{p}/members/{}", user.id),
                json!({ "role": role.as_str() }),
            )
            .project(p)
        }
        DemoteProjectAdmin => {
            let user = w.fresh_member(p, ProjectRole::Admin).await;
            put(
                format!("/v1/projects/{p}/members/{}", user.id),
                json!({ "role": ProjectRole::Pm.as_str() }),
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
                json!({ "role": ProjectRole::Member.as_str() }),
            )
            .project(p)
        }
        PutProjectMemberUnknownUser => put(
            format!("/v1/projects/{p}/members/{}", Uuid::now_v7()),
            json!({ "role": ProjectRole::Member.as_str() }),
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
        ReportingLinesSvg => get(format!("/v1/projects/{p}/reporting-lines.svg")).project(p),
        MemberChain | MemberReports => {
            // The chain of a member (three managers in Robots), the reports of the pm (everyone
            // below them); in Debate, its one member.
            let (user, tail) = match (target, route) {
                (Target::Other, MemberChain) => (w.user(Who::Out), "chain"),
                (Target::Other, _) => (w.user(Who::Out), "reports?transitive=true"),
                (_, MemberChain) => (w.user(Who::Mem), "chain"),
                _ => (w.user(Who::Pm), "reports?transitive=true"),
            };
            get(format!("/v1/projects/{p}/members/{}/{tail}", user.id)).project(p)
        }
        MemberChainAbsent => get(format!(
            "/v1/projects/{p}/members/{}/chain",
            w.user(Who::S).id
        ))
        .project(p),
        MemberReportsAbsent => get(format!(
            "/v1/projects/{p}/members/{}/reports",
            w.user(Who::S).id
        ))
        .project(p),
        DeleteProjectMember | DeleteProjectAdmin => {
            let role = if route == DeleteProjectAdmin {
                ProjectRole::Admin
            } else {
                ProjectRole::Member
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
            w.app.put_squad_member(w.admin(), squad, w.admin().id).await;
            delete(format!("/v1/squads/{squad}")).squad(squad)
        }
        PutSquadMember | PutSquadMemberStronger => {
            let role = if route == PutSquadMemberStronger {
                ProjectRole::Pm
            } else {
                ProjectRole::Member
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
                ProjectRole::Pm
            } else {
                ProjectRole::Member
            };
            let user = w.fresh_member(p, role).await;
            w.app.put_squad_member(w.admin(), sq, user.id).await;
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

        ReadOwnGroupMember => get(format!("/v1/groups/{g}/members/{}", me.id))
            .group(g)
            .other_rule(true),
        LeaveGroup => {
            let child = w.child_group(g).await;
            w.app
                .put_group_member(w.admin(), child, me.id, GroupRole::Student)
                .await;
            delete(format!("/v1/groups/{child}/members/{}", me.id))
                .group(child)
                .other_rule(true)
        }
        LeaveProject => {
            let project = w
                .app
                .create_project(w.admin(), g, &format!("Left {n}"))
                .await;
            w.app
                .put_project_member(w.admin(), project, me.id, ProjectRole::Member)
                .await;
            delete(format!("/v1/projects/{project}/members/{}", me.id))
                .project(project)
                .other_rule(true)
        }
        LeaveSquad => {
            let squad = w.top_squad(p).await;
            w.app.put_squad_member(w.admin(), squad, me.id).await;
            delete(format!("/v1/squads/{squad}/members/{}", me.id))
                .squad(squad)
                .other_rule(true)
        }
    }
}
