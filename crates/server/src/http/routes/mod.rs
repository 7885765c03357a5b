//! One module per resource; each registers its handlers with a `configure` function.

pub mod health;
pub mod me;
pub mod users;
