//! The role enums as stored: PostgreSQL enum types `member_role` and `project_role`, text with a
//! CHECK on SQLite. Variants are in tier order (strongest first), like the database types.

use sea_orm::entity::prelude::*;

/// A role in a group (`member_role`, seed 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "member_role")]
pub enum MemberRole {
    #[sea_orm(string_value = "system_admin")]
    SystemAdmin,
    #[sea_orm(string_value = "group_admin")]
    GroupAdmin,
    #[sea_orm(string_value = "teacher")]
    Teacher,
    #[sea_orm(string_value = "student")]
    Student,
}

/// A role in a project (`project_role`, seed 004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "project_role")]
pub enum ProjectRole {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "pm")]
    Pm,
    #[sea_orm(string_value = "squad_lead")]
    SquadLead,
    #[sea_orm(string_value = "member")]
    Member,
}
