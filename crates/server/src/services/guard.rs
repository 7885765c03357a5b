//! The one guard: who acts ([`Subject`]), and how a decision becomes the answer ([`allow`]).
//!
//! Every route that decides access ends here. [`allow`] hands on the grant the decision was
//! made on, or answers 404 (no role where the decision conceals existence) or 403 (with the
//! decision's reason), and counts the decision in `roster_access_decisions_total{source="route"}`.
//! Writes get their subject from [`super::write::write_as`], which reads it again inside the
//! transaction.

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::metrics::{self, DecisionSource};

/// Whose access is decided: a user and, if they have one, their system admin membership.
///
/// A deactivated user's memberships grant nothing (spec §11): their subject has no system admin
/// standing, and the statements that read a subject's other memberships skip theirs
/// (`sql::facts::active_holder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub user_id: Uuid,
    pub system_admin_at: Option<Uuid>,
}

impl From<&Principal> for Subject {
    fn from(principal: &Principal) -> Self {
        Self {
            user_id: principal.id(),
            system_admin_at: principal.system_admin_at.filter(|_| principal.user.active),
        }
    }
}

impl Subject {
    /// The subject for `user_id` as stored now (one statement, the principal's): a user who is
    /// deactivated, or gone, holds nothing.
    pub async fn load(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Self, DbErr> {
        Ok(match Principal::load(db, user_id).await? {
            Some(principal) => Self::from(&principal),
            None => Self {
                user_id,
                system_admin_at: None,
            },
        })
    }

    /// The same user as they stand in `db` now: inside a write transaction, a caller demoted a
    /// moment ago cannot still act as a system admin.
    pub async fn reread(self, db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        Self::load(db, self.user_id).await
    }
}

/// Turns a route's decision into its answer: allowed → the grant; no role → 404 where the
/// decision conceals existence, else 403; a role without the capability → 403.
pub fn allow<G>(decision: domain::Decision<G>) -> Result<G, ApiError> {
    metrics::record_decision(DecisionSource::Route, decision.allowed());
    match decision.verdict {
        domain::Verdict::Granted(grant) => Ok(grant),
        domain::Verdict::NoRole if decision.conceals_existence => Err(ApiError::NotFound),
        domain::Verdict::NoRole | domain::Verdict::LacksCapability(_) => {
            Err(ApiError::Forbidden(decision.reason))
        }
        domain::Verdict::NotApplicable(_) => Err(ApiError::internal(anyhow::anyhow!(
            "a route asked for a capability that does not apply to it: {}",
            decision.reason
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use domain::Capability as C;

    fn group(role: domain::GroupRole) -> Option<domain::GroupGrant> {
        Some(domain::GroupGrant {
            role,
            source: domain::GrantSource::Group {
                group_id: Uuid::from_u128(1),
            },
        })
    }

    #[test]
    fn decisions_become_answers() {
        let teacher = group(domain::GroupRole::Teacher);
        assert_eq!(
            allow(domain::decide_group(C::GroupView, teacher)).unwrap(),
            teacher.unwrap()
        );
        let cases = [
            (domain::decide_group(C::GroupManage, teacher), "forbidden"),
            (domain::decide_group(C::GroupView, None), "not_found"),
            (
                domain::decide_group(C::GroupView, None).on_visible_resource(),
                "forbidden",
            ),
            (domain::decide_system(C::SystemManage, None), "forbidden"),
            (domain::decide_group(C::ProjectView, teacher), "internal"),
        ];
        for (decision, code) in cases {
            let debug = format!("{decision:?}");
            assert_eq!(allow(decision).unwrap_err().code(), code, "{debug}");
        }
    }
}
