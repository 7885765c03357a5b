//! One module per resource; each registers its handlers with a `configure` function.

pub mod group_members;
pub mod groups;
pub mod health;
pub mod me;
pub mod users;
