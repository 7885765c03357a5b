//! The authorization matrix: every `/v1` route of the spec × every principal × the caller's own
//! object and another tenant's, each with the status the spec promises, over real HTTP.
//!
//! One fixture world per backend (the shared [`World`], in `tests::world`): a school → department → class tree, an
//! unrelated second tree, a project in the class with two squads and a sub-squad, and a second
//! project in the other tree; fourteen principals hold one standing each ([`Who`]). The
//! [`table`] gives, per route and target, the expected answer for each principal: no role at the
//! resource → 404, a role without the capability → 403, allowed → 2xx. Writes act on throwaway
//! objects made (by the system admin) for that one case, so the fixture stays as built; the
//! throwaway users and groups are deleted again when their row is done, which keeps the list
//! walks short. The few cases aimed at fixture objects themselves (refusals only) run last.
//! The routes and how to build a request for each ([`Route`], [`prepare`]) are the shared
//! catalogue in `tests::routes`; the table, the runs and the tally are the matrix's own.
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

use domain::{GroupRole, ProjectRole};
use futures_util::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tests::api::percent_encode;
use tests::app::TestUser;
use tests::both_backends;
use tests::db::TestDb;
use tests::routes::{
    Ids, On, Prepared, Route, SPEC_ROUTES, check_mapping, delete, get, prepare, put,
};
use tests::world::{CLASS, MECHANICS, Target, Who, World, brief};
use uuid::Uuid;

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
        r(LookupResources, Own,                    [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(LookupResourcesOther, Own,               [R200, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
        rf(LookupResourcesWithin, Own, "within",   [R200, R200, R200, R200, R200, R200, R200, V400, V400, V400, V400, V400, V400, V400]),
        rf(LookupResourcesWithin, Up, "within",    [R200, V400, V400, V400, R200, R200, R200, V400, V400, V400, V400, V400, V400, V400]),
        rf(LookupResourcesWithin, Other, "within", [R200, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, R200, V400]),
        r(LookupSubjects, Own,                     [R200, R200, R200, F403, R200, R200, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(LookupSubjects, Up,                      [R200, N404, N404, N404, R200, R200, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(LookupSubjects, Other,                   [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(UserAccessOther, Own,                    [R200, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
        r(Audit, Own,                              [R200, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
        r(Changes, Own,                            [R200, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403, F403]),
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
        r(GroupChanges, Own,                       [R200, R200, F403, F403, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(GroupAudit, Up,                          [R200, N404, N404, N404, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(GroupChanges, Up,                        [R200, N404, N404, N404, R200, F403, F403, N404, N404, N404, N404, N404, N404, N404]),
        r(GroupAudit, Other,                       [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(GroupChanges, Other,                     [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),

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
        r(ListProjects, Own,                       [R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200, R200]),
        r(ListProjectsWithin, Own,                 [R200, R200, R200, R200, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListProjectsWithin, Up,                  [R200, N404, N404, N404, R200, R200, R200, N404, N404, N404, N404, N404, N404, N404]),
        r(ListProjectsWithin, Other,               [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(GetProject, Own,                         [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(GetProject, Other,                       [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(RenameProject, Own,                      [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(RenameProject, Other,                    [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(DeleteProject, Own,                      [R204, R204, N404, N404, R204, N404, N404, R204, F403, F403, F403, F403, N404, N404]),
        r(DeleteProject, Other,                    [R204, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(ProjectAudit, Own,                       [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(ProjectChanges, Own,                     [R200, R200, N404, N404, R200, N404, N404, R200, R200, F403, F403, F403, N404, N404]),
        r(ProjectAudit, Other,                     [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),
        r(ProjectChanges, Other,                   [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, F403, N404]),

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
        r(ReportingLinesSvg, Own,                  [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(ReportingLinesSvg, Other,                [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(MemberChain, Own,                        [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(MemberChain, Other,                      [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(MemberChainAbsent, Own,                  [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(MemberReports, Own,                      [R200, R200, N404, N404, R200, N404, N404, R200, R200, R200, R200, R200, N404, N404]),
        r(MemberReports, Other,                    [R200, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, R200, N404]),
        r(MemberReportsAbsent, Own,                [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
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
        r(GroupChanges, Missing,                   [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(AddGroupMember, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(PutGroupMember, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupMembers, Missing,               [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        rf(LookupResourcesWithin, Missing, "within", [V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400, V400]),
        r(LookupSubjects, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(CreateProject, Missing,                  [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListGroupProjects, Missing,              [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(GetProject, Missing,                     [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(RenameProject, Missing,                  [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ProjectAudit, Missing,                   [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ProjectChanges, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(PutProjectMember, Missing,               [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListProjectMembers, Missing,             [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ReportingLines, Missing,                 [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ReportingLinesSvg, Missing,              [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(ListProjectsWithin, Missing,             [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(MemberChain, Missing,                    [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
        r(MemberReports, Missing,                  [N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404, N404]),
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
// Running cases and collecting mismatches
// ---------------------------------------------------------------------------------------------

/// Every decision compared, and every one that was not as expected.
#[derive(Default)]
struct Tally {
    cases: usize,
    unexpected: Vec<String>,
}

impl Tally {
    /// Deletes the world's throwaways; each deletion that failed counts as an unexpected case.
    async fn clean_up(&mut self, w: &World) {
        for failed in w.clean_up().await {
            self.cases += 1;
            self.unexpected.push(failed);
        }
    }

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
    let (status, answer) = w
        .app
        .send(Some(actor), Method::POST, "/v1/check", Some(&body))
        .await;
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
    tally.clean_up(w).await;
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
    let (status, body) = prepared.send(&w.app, Some(actor)).await;
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
        let (status, body) = prepared.send(&w.app, None).await;
        tally.expect(&label, U401, None, status, &body);
        tally.clean_up(w).await;
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
    for tail in ["chain", "reports"] {
        probes.push(probe(
            Method::GET,
            format!("/v1/projects/{BAD}/members/{mem}/{tail}"),
            None,
            "id",
        ));
        probes.push(probe(
            Method::GET,
            format!("/v1/projects/{p}/members/{BAD}/{tail}"),
            None,
            "user_id",
        ));
    }
    probes.push(probe(
        Method::GET,
        format!("/v1/projects?within={BAD}"),
        None,
        "within",
    ));
    probes.push(probe(
        Method::GET,
        format!("/v1/projects/{p}/members/{mem}/reports?transitive=maybe"),
        None,
        "transitive",
    ));
    for suffix in [
        "",
        "/members",
        "/reporting-lines",
        "/reporting-lines.svg",
        "/squads",
        "/audit",
    ] {
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
            let (status, body) = w
                .app
                .send(
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
    let (status, body) = request.send(&w.app, Some(actor)).await;
    tally.expect(&format!("self: {label}"), want, None, status, &body);
}

/// The "self" rules, by throwaway users: anyone may leave (except the last admin), and reading
/// one's own membership needs no capability; a user with no membership has nothing to leave.
async fn self_cases(w: &World, tally: &mut Tally) {
    let (class, p, s1) = (w.class, w.p, w.s1);
    let run = run_self;

    let student = w.fresh_user().await;
    w.app
        .put_group_member(w.admin(), class, student.id, GroupRole::Student)
        .await;
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

    let member = w.fresh_member(p, ProjectRole::Member).await;
    w.app.put_squad_member(w.admin(), s1, member.id).await;
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
    w.app
        .put_group_member(w.admin(), class, teacher.id, GroupRole::Teacher)
        .await;
    let body = json!({ "name": format!("Solo {}", w.next()) });
    let (status, created) = w
        .app
        .send(
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
        let response = w.app.call(Some(actor), Method::GET, &url, None).await;
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
            let (status, _) = w.app.send(Some(actor), Method::GET, &path, None).await;
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
    let mut within_projects: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for group in groups {
        let path = format!("/v1/groups/{group}/projects");
        let items = walk(w, tally, admin, &path).await.unwrap();
        all_projects.insert(group, ids_of(&items, "id"));
    }
    // Every project, and those in each fixture group's subtree, as the system admin sees them.
    let every_project = ids_of(&walk(w, tally, admin, "/v1/projects").await.unwrap(), "id");
    for group in groups {
        let path = format!("/v1/projects?within={group}");
        let items = walk(w, tally, admin, &path).await.unwrap();
        within_projects.insert(group, ids_of(&items, "id"));
    }
    let seen = Seen {
        everyone: &everyone,
        all_projects: &all_projects,
        every_project: &every_project,
        within_projects: &within_projects,
    };
    let walks: Vec<Tally> = stream::iter(Who::ALL)
        .map(|who| walk_as(w, who, &seen))
        .buffered(2)
        .collect()
        .await;
    for walked in walks {
        tally.merge(walked);
    }
}

/// What the system admin's lists show, to compare each principal's with.
struct Seen<'a> {
    /// Every user.
    everyone: &'a [Uuid],
    /// Every project of each fixture group (`GET /v1/groups/{id}/projects`).
    all_projects: &'a HashMap<Uuid, Vec<Uuid>>,
    /// Every project (`GET /v1/projects`).
    every_project: &'a [Uuid],
    /// Every project in each fixture group's subtree (`GET /v1/projects?within=`).
    within_projects: &'a HashMap<Uuid, Vec<Uuid>>,
}

/// Walks every list as `who` and reads what it shows, and for the lists of users and projects
/// what it does not show, against what the system admin sees.
async fn walk_as(w: &World, who: Who, seen: &Seen<'_>) -> Tally {
    let Seen {
        everyone,
        all_projects,
        every_project,
        within_projects,
    } = *seen;
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

    // `GET /v1/projects` lists exactly the projects `GET /v1/projects/{id}` lets one read, and
    // `?within=` exactly those of them in the group's subtree.
    let visible: BTreeSet<Uuid> = ids_of(&walk(w, tally, me, "/v1/projects").await.unwrap(), "id")
        .into_iter()
        .collect();
    for project in every_project {
        let want = if visible.contains(project) { 200 } else { 404 };
        wanted.push((
            format!("/v1/projects/{project}"),
            want,
            "GET /v1/projects".into(),
        ));
    }
    for group in groups {
        let path = format!("/v1/projects?within={group}");
        if let Some(items) = walk(w, tally, me, &path).await {
            let shown: BTreeSet<Uuid> = ids_of(&items, "id").into_iter().collect();
            let expected: BTreeSet<Uuid> = within_projects[&group]
                .iter()
                .filter(|p| visible.contains(p))
                .copied()
                .collect();
            tally.cases += 1;
            if shown != expected {
                tally.unexpected.push(format!(
                    "{} GET {path} lists {shown:?}, expected {expected:?}",
                    who.label()
                ));
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

    let w = World::build(db).await;
    let mut tally = Tally::default();
    anonymous(&w, &mut tally, &rows).await;
    for row in rows.iter().filter(|row| !row.route.touches_fixture()) {
        run_row(&w, &mut tally, row).await;
    }
    run_probes(&w, &mut tally, "privileged field", privileged_fields(&w)).await;
    run_probes(&w, &mut tally, "malformed id", malformed_ids(&w)).await;
    self_cases(&w, &mut tally).await;
    tally.clean_up(&w).await;
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
