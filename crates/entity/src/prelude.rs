//! The entities under short names, as SeaORM's generated preludes have them.

pub use crate::audit_events::Entity as AuditEvents;
pub use crate::group_members::Entity as GroupMembers;
pub use crate::groups::Entity as Groups;
pub use crate::project_members::Entity as ProjectMembers;
pub use crate::projects::Entity as Projects;
pub use crate::roles::{MemberRole, ProjectRole};
pub use crate::squad_members::Entity as SquadMembers;
pub use crate::squads::Entity as Squads;
pub use crate::users::Entity as Users;
pub use crate::{GroupMember, NewGroupMember};
