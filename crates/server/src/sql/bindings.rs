//! What identity-provider bindings grant one user at one place (spec §11): each statement
//! lists the bindings there whose IdP group has the user (parameter 2) as a member, as
//! `idp_group_id` and `role`.

use std::sync::LazyLock;

use super::{Dialect, Prepared};

fn bound_where(d: Dialect, place: &str, through_squads: bool) -> String {
    let squads = if through_squads {
        "\nLEFT JOIN squads s ON s.id = b.squad_id"
    } else {
        ""
    };
    format!(
        "SELECT b.idp_group_id, b.role
FROM idp_bindings b
JOIN idp_group_members m ON m.idp_group_id = b.idp_group_id AND m.user_id = {user}{squads}
WHERE {place}
ORDER BY b.idp_group_id",
        user = d.param(2),
    )
}

/// Bindings to the group (parameter 1).
pub static AT_GROUP: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| bound_where(d, &format!("b.group_id = {}", d.param(1)), false))
});

/// Bindings to the project (parameter 1), and to its squads: a squad binding's role is held in
/// the squad's project.
pub static AT_PROJECT: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| {
        bound_where(
            d,
            &format!("(b.project_id = {p} OR s.project_id = {p})", p = d.param(1)),
            true,
        )
    })
});

/// Bindings to the squad (parameter 1).
pub static AT_SQUAD: LazyLock<Prepared> = LazyLock::new(|| {
    Prepared::new(|d| bound_where(d, &format!("b.squad_id = {}", d.param(1)), false))
});
