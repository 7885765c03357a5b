//! Which facts in memory a committed change may have altered, read from its audit event alone,
//! so that any server — the writer or one that learned of the change from the feed — forgets
//! exactly those.
//!
//! The rule leans to forgetting too much: a change whose reach the event does not pin down
//! (a group moved, a subtree or project deleted with what cascades from it, an identity
//! provider's group carried to many members, anything not listed here) forgets a whole kind of
//! fact or everything. Forgetting costs a reload; remembering wrongly would cost an answer.

use serde_json::Value;
use uuid::Uuid;

/// One kind of forgetting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Touch {
    /// One user's row and memberships (group, project, squad).
    User(Uuid),
    Group(Uuid),
    Project(Uuid),
    Squad(Uuid),
    /// Every user's facts (memberships of many users changed).
    AllUsers,
    /// Every group's facts (paths below a moved group changed).
    AllGroups,
    Everything,
}

/// What the change recorded as `event` may have altered.
pub fn touched(event: &entity::audit_events::Model) -> Vec<Touch> {
    let mut touches = by_kind(event);
    // Whoever the change gave or took effective access: their facts hold what changed.
    touches.extend(
        event
            .access
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(user_id)
            .map(Touch::User),
    );
    let mut seen = std::collections::HashSet::new();
    touches.retain(|touch| seen.insert(*touch));
    touches
}

fn by_kind(event: &entity::audit_events::Model) -> Vec<Touch> {
    let id = event.resource_id;
    let one = |make: fn(Uuid) -> Touch| vec![id.map_or(Touch::Everything, make)];
    match (event.resource_type.as_str(), event.action.as_str()) {
        // Endpoints and tokens decide nothing.
        ("webhook" | "scim_token", _) => Vec::new(),
        ("group_member" | "project_member" | "squad_member", _) => holders(event),
        // A deleted user was the manager of others, whose rows change with it.
        ("user", "user.delete") => vec![Touch::AllUsers],
        ("user", "user.create" | "user.update") => one(Touch::User),
        ("group", "group.create" | "group.update") => one(Touch::Group),
        ("group", "group.move") => vec![Touch::AllGroups],
        // A new project's creator becomes its admin.
        ("project", "project.create") => match (id, event.actor_id) {
            (Some(project), Some(creator)) => vec![Touch::Project(project), Touch::User(creator)],
            _ => vec![Touch::Everything],
        },
        ("project", "project.update") => one(Touch::Project),
        ("squad", "squad.create" | "squad.update") => one(Touch::Squad),
        // A provider's group or binding settles the memberships of many users at once.
        ("idp_group" | "idp_binding", _) => vec![Touch::AllUsers],
        // Deletions cascade; bootstrap and anything unknown are taken as touching everything.
        _ => vec![Touch::Everything],
    }
}

/// The holders of the membership a membership event records, before and after; all users
/// when it names none.
fn holders(event: &entity::audit_events::Model) -> Vec<Touch> {
    let holders: Vec<Touch> = ["before", "after"]
        .into_iter()
        .filter_map(|side| user_id(&event.details[side]))
        .map(Touch::User)
        .collect();
    if holders.is_empty() {
        vec![Touch::AllUsers]
    } else {
        holders
    }
}

fn user_id(value: &Value) -> Option<Uuid> {
    value.get("user_id")?.as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn event(
        resource_type: &str,
        action: &str,
        details: Value,
        access: Value,
    ) -> entity::audit_events::Model {
        let now = chrono::Utc::now();
        entity::audit_events::Model {
            id: Uuid::nil(),
            occurred_at: now,
            actor_id: None,
            action: action.to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id: Some(Uuid::from_u128(7)),
            group_id: None,
            project_id: None,
            details,
            created_at: now,
            revision: 1,
            access,
        }
    }

    #[test]
    fn a_membership_change_forgets_its_holders_and_those_whose_access_changed() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let change = event(
            "group_member",
            "group_member.update",
            json!({"before": {"user_id": a}, "after": {"user_id": a}}),
            json!([{"user_id": b}, {"user_id": a}]),
        );
        assert_eq!(touched(&change), vec![Touch::User(a), Touch::User(b)]);
        let removal = event(
            "squad_member",
            "squad_member.delete",
            json!({"before": {"user_id": b}, "after": null}),
            json!([]),
        );
        assert_eq!(touched(&removal), vec![Touch::User(b)]);
        let unnamed = event(
            "project_member",
            "project_member.leave",
            json!({}),
            json!([]),
        );
        assert_eq!(touched(&unnamed), vec![Touch::AllUsers]);
    }

    #[test]
    fn a_new_project_forgets_its_creator_and_any_change_those_whose_access_it_changed() {
        let (creator, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut created = event(
            "project",
            "project.create",
            json!({}),
            json!([{"user_id": other}]),
        );
        created.actor_id = Some(creator);
        let seven = Uuid::from_u128(7);
        assert_eq!(
            touched(&created),
            vec![
                Touch::Project(seven),
                Touch::User(creator),
                Touch::User(other)
            ]
        );
        let renamed = event(
            "group",
            "group.update",
            json!({}),
            json!([{"user_id": other}]),
        );
        assert_eq!(
            touched(&renamed),
            vec![Touch::Group(seven), Touch::User(other)]
        );
    }

    #[test]
    fn wide_changes_forget_wide() {
        let plain = |kind: &str, action: &str| touched(&event(kind, action, json!({}), json!([])));
        let seven = Uuid::from_u128(7);
        assert_eq!(plain("group", "group.update"), vec![Touch::Group(seven)]);
        assert_eq!(plain("group", "group.move"), vec![Touch::AllGroups]);
        assert_eq!(plain("group", "group.delete"), vec![Touch::Everything]);
        assert_eq!(
            plain("project", "project.update"),
            vec![Touch::Project(seven)]
        );
        assert_eq!(plain("project", "project.delete"), vec![Touch::Everything]);
        assert_eq!(plain("squad", "squad.delete"), vec![Touch::Everything]);
        assert_eq!(plain("user", "user.update"), vec![Touch::User(seven)]);
        assert_eq!(plain("user", "user.delete"), vec![Touch::AllUsers]);
        assert_eq!(plain("user", "system.bootstrap"), vec![Touch::Everything]);
        assert_eq!(
            plain("idp_group", "idp_group.update"),
            vec![Touch::AllUsers]
        );
        assert_eq!(plain("webhook", "webhook.create"), Vec::<Touch>::new());
        assert_eq!(
            plain("something_new", "something_new.create"),
            vec![Touch::Everything]
        );
    }
}
