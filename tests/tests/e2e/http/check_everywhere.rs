//! `/v1/check` for every principal × every capability × every resource of the shared world,
//! against an oracle written by hand from the spec (§3): the effective role each principal has
//! at each resource. Nothing the server computes feeds the oracle except the role table itself
//! (`role.has(capability)`), so a plumbing mistake anywhere — a squad_lead counted as lead at the
//! project itself, a bridged admin missing, an inherited role lost — shows as a mismatch.

use domain::{Capability, CapabilityKind, GroupRole, ProjectRole};
use serde_json::{Value, json};
use tests::app::expect_status;
use tests::both_backends;
use tests::db::TestDb;
use tests::world::{Who, World};
use uuid::Uuid;

/// What a check is about.
#[derive(Debug, Clone, Copy)]
enum At {
    System,
    Group(Uuid),
    Project(Uuid),
    Squad(Uuid),
}

impl At {
    fn json(self) -> Value {
        match self {
            At::System => json!({ "type": "system" }),
            At::Group(id) => json!({ "type": "group", "id": id }),
            At::Project(id) => json!({ "type": "project", "id": id }),
            At::Squad(id) => json!({ "type": "squad", "id": id }),
        }
    }

    fn kind(self) -> CapabilityKind {
        match self {
            At::System => CapabilityKind::System,
            At::Group(_) => CapabilityKind::Group,
            At::Project(_) | At::Squad(_) => CapabilityKind::Project,
        }
    }
}

/// An effective role, of either table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Group(GroupRole),
    Project(ProjectRole),
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Group(r) => r.as_str(),
            Role::Project(r) => r.as_str(),
        }
    }

    fn has(self, capability: Capability) -> bool {
        match self {
            Role::Group(r) => r.has(capability),
            Role::Project(r) => r.has(capability),
        }
    }
}

/// The oracle: `who`'s effective role at `at`, from how the world is built (see `World`).
fn expected(w: &World, who: Who, at: At) -> Option<Role> {
    use GroupRole::{GroupAdmin, Student, SystemAdmin, Teacher};
    use ProjectRole::{Admin, Member, Pm, SquadLead};
    if who == Who::Sa {
        return Some(match at {
            At::System | At::Group(_) => Role::Group(SystemAdmin),
            At::Project(_) | At::Squad(_) => Role::Project(Admin),
        });
    }
    let in_robots = |at_project: bool, squad: Option<Uuid>| -> Option<ProjectRole> {
        // The squads a lead leads: their own and its sub-squads.
        let leads = |squads: &[Uuid]| squad.is_some_and(|s| squads.contains(&s));
        match who {
            // group_admins of the class (directly or from the school) are the project's admins.
            Who::Ga | Who::GaUp | Who::Pa => Some(Admin),
            Who::Pm => Some(Pm),
            Who::Sl if !at_project && leads(&[w.s1, w.s1a]) => Some(SquadLead),
            Who::SlOther if !at_project && leads(&[w.s2]) => Some(SquadLead),
            Who::Sl | Who::SlOther | Who::Mem => Some(Member),
            _ => None,
        }
    };
    match at {
        At::System => None,
        At::Group(g) if g == w.school || g == w.dept || g == w.class => {
            let up = match who {
                Who::GaUp => Some(GroupAdmin),
                Who::TUp => Some(Teacher),
                Who::SUp => Some(Student),
                _ => None,
            };
            let direct = match who {
                Who::Ga if g == w.class => Some(GroupAdmin),
                Who::T if g == w.class => Some(Teacher),
                Who::S if g == w.class => Some(Student),
                _ => None,
            };
            up.or(direct).map(Role::Group)
        }
        At::Group(g) if g == w.academy_class => (who == Who::Out).then_some(Role::Group(Student)),
        At::Group(_) => None,
        At::Project(p) if p == w.p => in_robots(true, None).map(Role::Project),
        At::Squad(s) if [w.s1, w.s1a, w.s2].contains(&s) => {
            in_robots(false, Some(s)).map(Role::Project)
        }
        At::Project(_) | At::Squad(_) => (who == Who::Out).then_some(Role::Project(Member)),
    }
}

async fn check_answers_every_capability_at_every_resource(db: &TestDb) {
    let w = World::build(db).await;
    let groups = [w.org, w.school, w.dept, w.class, w.academy, w.academy_class];
    let squads = [w.s1, w.s1a, w.s2, w.qs];
    let resources: Vec<At> = std::iter::once(At::System)
        .chain(groups.map(At::Group))
        .chain([w.p, w.q].map(At::Project))
        .chain(squads.map(At::Squad))
        .collect();
    let mut cases = Vec::new();
    for who in Who::ALL {
        for &at in &resources {
            for capability in Capability::ALL {
                if capability.kind() == at.kind() {
                    cases.push((who, at, capability));
                }
            }
        }
    }
    let mut mismatches = Vec::new();
    // The system admin asks on everyone's behalf, a batch at a time.
    for batch in cases.chunks(100) {
        let checks: Vec<Value> = batch
            .iter()
            .map(|(who, at, capability)| {
                json!({
                    "user_id": w.user(*who).id,
                    "capability": capability.as_str(),
                    "resource": at.json(),
                })
            })
            .collect();
        let response = w
            .app
            .post(
                &w.app.admin,
                "/v1/check/batch",
                &json!({ "checks": checks }),
            )
            .await;
        let answers = expect_status(response, 200).await;
        for ((who, at, capability), answer) in
            batch.iter().zip(answers["results"].as_array().unwrap())
        {
            let role = expected(&w, *who, *at);
            let allowed = role.is_some_and(|r| r.has(*capability));
            let want_role = role.map(Role::name);
            if answer["allowed"] != allowed || answer["role"].as_str() != want_role {
                mismatches.push(format!(
                    "{} {capability} at {at:?}: expected allowed={allowed} role={want_role:?}, got {answer}",
                    who.label()
                ));
            }
        }
    }
    println!(
        "check everywhere: {} cases, {} unexpected",
        cases.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

both_backends!(check_answers_every_capability_at_every_resource);
