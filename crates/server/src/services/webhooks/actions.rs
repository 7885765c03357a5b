//! The action filters of an endpoint: `*`, `resource.*` or one action (`group_member.create`),
//! checked against the actions Roster records, so a typo is refused rather than never matching.

/// Every action an audit event can carry (docs/API.md, "Audit").
pub const ACTIONS: &[&str] = &[
    "system.bootstrap",
    "user.create",
    "user.update",
    "user.delete",
    "group.create",
    "group.update",
    "group.move",
    "group.delete",
    "group_member.create",
    "group_member.update",
    "group_member.delete",
    "project.create",
    "project.update",
    "project.delete",
    "project_member.create",
    "project_member.update",
    "project_member.delete",
    "project_member.leave",
    "squad.create",
    "squad.update",
    "squad.delete",
    "squad_member.create",
    "squad_member.delete",
    "webhook.create",
    "webhook.update",
    "webhook.delete",
    "webhook.disable",
    "webhook.redeliver",
    "webhook.ping",
    "scim_token.create",
    "scim_token.revoke",
    "idp_group.create",
    "idp_group.update",
    "idp_group.delete",
    "idp_group.refused",
    "idp_binding.create",
    "idp_binding.delete",
];

/// Whether `pattern` names something that can happen.
pub fn is_known(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix(".*") {
        Some(resource) => ACTIONS
            .iter()
            .any(|action| action.split_once('.').is_some_and(|(r, _)| r == resource)),
        None => ACTIONS.contains(&pattern),
    }
}

/// Whether `action` is one `patterns` asks for (no patterns: every action).
pub fn matches(patterns: &[String], action: &str) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|pattern| {
            pattern == "*"
                || pattern == action
                || pattern.strip_suffix(".*").is_some_and(|resource| {
                    action.split_once('.').is_some_and(|(r, _)| r == resource)
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_patterns() {
        for good in [
            "*",
            "group_member.*",
            "group.move",
            "webhook.disable",
            "system.*",
        ] {
            assert!(is_known(good), "{good}");
        }
        for bad in [
            "",
            "group",
            "group.",
            "groups.*",
            "group.mov",
            "*.create",
            "group_member.**",
        ] {
            assert!(!is_known(bad), "{bad}");
        }
    }

    #[test]
    fn matching() {
        let patterns = vec!["group_member.*".to_owned(), "project.delete".to_owned()];
        assert!(matches(&patterns, "group_member.update"));
        assert!(matches(&patterns, "project.delete"));
        assert!(!matches(&patterns, "project.create"));
        assert!(
            !matches(&patterns, "group.create"),
            "group.* is not group_member.*"
        );
        assert!(matches(&[], "anything.at_all"));
        assert!(matches(&["*".to_owned()], "user.delete"));
    }
}
