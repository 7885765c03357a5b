//! People as pages show them: a name where the viewer may read the user (the API's
//! visibility rule, `GET /v1/users/{id}`), the bare id where they may not, and a person named
//! in a form by email or id — found only among the users the viewer may read, as the API's
//! bodies require, so a form cannot probe for others.

use std::collections::HashMap;

use maud::{Markup, html};
use uuid::Uuid;

use super::viewer::Viewer;
use crate::error::ApiError;
use crate::services::users::{self, UserFilter};
use crate::services::window::Window;

/// The display names of the users a page mentions, as far as the viewer may read them.
pub struct People(HashMap<Uuid, String>);

impl People {
    /// Looks each distinct user up as `GET /v1/users/{id}` would for the viewer (on the same
    /// facts); those the viewer may not read stay unnamed.
    pub async fn named(
        viewer: &Viewer,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Self, ApiError> {
        let caller = &viewer.caller;
        let facts = caller.facts();
        let mut names = HashMap::new();
        for id in ids {
            if names.contains_key(&id) {
                continue;
            }
            match users::read_visible(&facts, caller.subject, id).await {
                Ok(user) => {
                    names.insert(id, user.display_name);
                }
                Err(ApiError::NotFound | ApiError::Forbidden(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(Self(names))
    }

    /// A person's name, or their id when the viewer may not read them.
    pub fn name(&self, id: Uuid) -> String {
        self.0.get(&id).cloned().unwrap_or_else(|| id.to_string())
    }

    /// A link to a person's page when the viewer may read them, else their id.
    pub fn link(&self, id: Uuid) -> Markup {
        match self.0.get(&id) {
            Some(name) => html! { a href={ "/console/users/" (id) } { (name) } },
            None => html! { code { (id) } },
        }
    }

    /// Who made a change: a person, or the command line.
    pub fn actor(&self, id: Option<Uuid>) -> Markup {
        match id {
            Some(id) => self.link(id),
            None => html! { span class="muted" { "the command line" } },
        }
    }

    /// Whether the viewer may read `id`.
    pub fn knows(&self, id: Uuid) -> bool {
        self.0.contains_key(&id)
    }
}

/// The user a form names by email address or id, among those the viewer may read; otherwise
/// 400 naming `field`, worded as the API words a user that does not exist.
pub async fn resolve(viewer: &Viewer, text: &str, field: &str) -> Result<Uuid, ApiError> {
    let caller = &viewer.caller;
    let text = text.trim();
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(
            users::require_visible(caller.db(), caller.subject, id, field)
                .await?
                .id,
        );
    }
    let email = domain::Email::parse(text)
        .map_err(|_| ApiError::invalid(field, "is neither an email address nor a user id"))?;
    let filter = UserFilter {
        email: Some(email),
        q: None,
    };
    let window = Window {
        after: None,
        limit: 1,
    };
    users::list_visible(caller.db(), caller.subject, &filter, &window)
        .await?
        .into_iter()
        .next()
        .map(|user| user.id)
        .ok_or_else(|| ApiError::invalid(field, users::NO_SUCH_USER))
}
