//! Roster's domain: roles, tiers, capabilities and the pure rules that decide access.
//!
//! This crate does no I/O and knows nothing of databases, HTTP or JSON. Callers load the facts
//! (memberships, paths, squads) and ask these functions for answers, so every access decision in
//! Roster goes through the same rules.
//!
//! - [`table`]: the role tables, the single source of truth for names, tiers and capabilities;
//!   [`GroupRole`], [`ProjectRole`] and [`Capability`] derive everything from them.
//! - [`effective`]: the role a user acts with at a group, project or squad, and its source.
//! - [`decision`]: "may this user do X here?", shared by route guards and `/v1/check`; each
//!   decision carries the typed grant it was made on.
//! - [`accounts`]: who manages users, and who may change or delete an account.
//! - [`changes`]: effective-access deltas — whose role at a node a change altered.
//! - [`admins`]: the last-admin rules of projects and of the system.
//! - [`assignment`]: assigning a project role — the reporting line to store, and no-op upserts.
//! - [`escalation`]: the no-escalation rule for grants, changes and removals.
//! - [`reporting`]: automatic and explicit reporting lines, and their repair.
//! - [`squads`] and [`hierarchy`]: squad nesting and group paths.
//! - [`names`]: validated names, slugs and email addresses.
//!
//! Lower tier = more power, everywhere: the role enums are declared strongest first, so their
//! derived `Ord` agrees with `tier()`.
//!
//! ```
//! use domain::{Capability, GroupRole, Outcome, decide_group, effective_group_role};
//! use uuid::Uuid;
//!
//! // Deciding at a class below a school: the caller passes the user's memberships on the
//! // path school → class, root first. A teacher of the school is a teacher of the class too.
//! let school = Uuid::from_u128(1);
//! let grant = effective_group_role(None, &[(school, GroupRole::Teacher)]);
//!
//! let answer = decide_group(Capability::GroupCreateProjects, grant);
//! assert!(answer.allowed());
//! assert_eq!(answer.granted_by().map(|by| by.source.id()), Some(school));
//!
//! let answer = decide_group(Capability::GroupManageMembers, grant);
//! assert_eq!(answer.outcome(), Outcome::LacksCapability);
//! ```

#![warn(missing_docs)]

pub mod accounts;
pub mod admins;
pub mod assignment;
pub mod capability;
pub mod changes;
pub mod decision;
pub mod effective;
pub mod escalation;
pub mod hierarchy;
pub mod lookup;
pub mod names;
pub mod reporting;
pub mod roles;
pub mod squads;
pub mod table;

pub use accounts::{
    AccountChange, AccountGrant, decide_account_change, decide_account_deletion,
    decide_account_read, decide_user_management,
};
pub use admins::{
    LastAdmin, check_admins_remain, grants_system_admin, removes_project_admin,
    removes_system_admin,
};
pub use assignment::{
    CurrentAssignment, GroupRoleChange, LineRequest, PlannedAssignment, plan_assignment,
    plan_group_role, role_changes,
};
pub use capability::{Capability, CapabilityKind, ResourceKind, UnknownCapability};
pub use changes::{NodeFacts, RoleDelta, role_deltas};
pub use decision::{
    Decision, Grant, Outcome, Verdict, decide_group, decide_project, decide_system,
};
pub use effective::{
    GrantSource, GrantedBy, GroupGrant, ProjectGrant, depends_on_squads, effective_at_project,
    effective_group_role, effective_project_role, effective_squad_role,
};
pub use escalation::{
    Escalation, check_group_grant, check_group_removals, check_project_grant,
    check_project_removals, check_squad_member_management, check_squad_removals,
    membership_capability,
};
pub use hierarchy::{GroupPath, MAX_GROUP_DEPTH, MoveError, PathError, plan_move};
pub use lookup::{minimal_roots, roots_within};
pub use names::{Email, Name, Slug, ValidationError};
pub use reporting::{
    InvalidReportsTo, LineChange, ReportingMember, automatic_manager, may_be_reported_to,
    repair_reporting_lines, validate_explicit_reports_to,
};
pub use roles::{GroupRole, ProjectRole, RoleName, UnknownRole};
pub use squads::{
    MAX_SQUAD_DEPTH, SquadFacts, SquadNesting, belongs_to_squad_or_parent, squad_depth_for_parent,
};
pub use table::{
    GROUP_ROLES, PROJECT_ROLES, RoleSpec, has_group_capability, has_project_capability,
};
