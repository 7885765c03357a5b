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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let id = event.resource_id;
    let one = |make: fn(Uuid) -> Touch| vec![id.map_or(Touch::Everything, make)];
    match (event.resource_type.as_str(), event.action.as_str()) {
        // Endpoints and tokens decide nothing.
        ("webhook" | "scim_token", _) => Vec::new(),
        ("group_member" | "project_member" | "squad_member", _) => members_of(event),
        // A deleted user was the manager of others, whose rows change with it.
        ("user", "user.delete") => vec![Touch::AllUsers],
        ("user", "user.create" | "user.update") => one(Touch::User),
        ("group", "group.create" | "group.update") => one(Touch::Group),
        ("group", "group.move") => vec![Touch::AllGroups],
        ("project", "project.create" | "project.update") => one(Touch::Project),
        ("squad", "squad.create" | "squad.update") => one(Touch::Squad),
        // A provider's group or binding settles the memberships of many users at once.
        ("idp_group" | "idp_binding", _) => vec![Touch::AllUsers],
        // Deletions cascade; bootstrap and anything unknown are taken as touching everything.
        _ => vec![Touch::Everything],
    }
}

/// The users a membership event names: the membership's holder before and after, and everyone
/// whose effective access it changed; all users when it names none.
fn members_of(event: &entity::audit_events::Model) -> Vec<Touch> {
    let holders = ["before", "after"]
        .into_iter()
        .filter_map(|side| user_id(&event.details[side]));
    let affected = event
        .access
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(user_id);
    let mut touches: Vec<Touch> = holders.chain(affected).map(Touch::User).collect();
    touches.sort_by_key(|touch| match touch {
        Touch::User(id) => Some(*id),
        _ => None,
    });
    touches.dedup();
    if touches.is_empty() {
        touches.push(Touch::AllUsers);
    }
    touches
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
