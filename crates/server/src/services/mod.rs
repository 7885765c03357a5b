//! Use cases on SeaORM: every state change goes through [`write::write`], every read through a
//! service function that the HTTP layer calls after authorization.

pub mod access;
pub mod audit;
pub mod bootstrap;
pub mod check;
pub mod demo;
pub mod group_members;
pub mod groups;
pub mod project_members;
pub mod projects;
pub mod reporting;
pub mod squads;
pub mod tree;
pub mod users;
pub mod write;
