//! `roster serve --demo`: a small example organisation, loaded through the same services the
//! API uses (so it obeys every rule, and its audit trail reads like real use), once.
//!
//! Springfield High (school) → Science (Class 7B, Class 8A) and Humanities (Class 7C); a
//! principal, two teachers and four students; the "Science Fair" project in Class 7B with
//! members of every tier, squads and a sub-squad, and the reporting lines the rule computes.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::guard::Subject;
use super::{group_members, groups, project_members, projects, squads, users};
use crate::error::ApiError;

/// The slug of the demo's root group: its presence means the demo is loaded.
pub const DEMO_ROOT_SLUG: &str = "springfield-high";

/// What the demo created, for the start-up message.
#[derive(Debug)]
pub struct Demo {
    pub school: Uuid,
    pub project: Uuid,
    /// Emails of the demo users, with their main role, for `roster token --user`.
    pub users: Vec<(String, &'static str)>,
}

/// Loads the demo as `admin` (a system admin) unless it is already there.
pub async fn load(db: &DatabaseConnection, admin: Subject) -> Result<Option<Demo>, ApiError> {
    let loaded = entity::groups::Entity::find()
        .filter(entity::groups::Column::ParentId.is_null())
        .filter(entity::groups::Column::Slug.eq(DEMO_ROOT_SLUG))
        .one(db)
        .await?;
    if loaded.is_some() {
        return Ok(None);
    }

    let group = async |name: &str, parent: Option<Uuid>| -> Result<Uuid, ApiError> {
        let input = groups::NewGroup {
            name: name_of(name)?,
            slug: None,
            parent_id: parent,
        };
        Ok(groups::create(db, admin, input).await?.group.id)
    };
    let school = group("Springfield High", None).await?;
    let science = group("Science", Some(school)).await?;
    let humanities = group("Humanities", Some(school)).await?;
    let class_7b = group("Class 7B", Some(science)).await?;
    let class_8a = group("Class 8A", Some(science)).await?;
    let class_7c = group("Class 7C", Some(humanities)).await?;

    let people = [
        (
            "skinner@example.org",
            "Seymour Skinner",
            school,
            "group_admin",
        ),
        ("curie@example.org", "Marie Curie", science, "teacher"),
        (
            "darwin@example.org",
            "Charles Darwin",
            humanities,
            "teacher",
        ),
        ("ada@example.org", "Ada Lovelace", class_7b, "student"),
        ("alan@example.org", "Alan Turing", class_7b, "student"),
        ("grace@example.org", "Grace Hopper", class_8a, "student"),
        ("linus@example.org", "Linus Pauling", class_7c, "student"),
    ];
    let mut ids = Vec::new();
    for (email, display_name, group_id, role) in people {
        let user = users::create(
            db,
            admin,
            users::NewUser {
                email: domain::Email::parse(email)
                    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
                display_name: name_of(display_name)?,
            },
        )
        .await?;
        let role = role
            .parse::<domain::GroupRole>()
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
        group_members::upsert(db, admin, group_id, user.id, role).await?;
        ids.push(user.id);
    }
    let [_skinner, curie, darwin, ada, alan, grace, linus] = ids[..] else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "demo users are missing"
        )));
    };

    // Curie, a teacher, creates the project and becomes its admin.
    let curie = Subject::load(db, curie).await?;
    let project = projects::create(
        db,
        curie,
        class_7b,
        projects::NewProject {
            name: name_of("Science Fair")?,
            slug: None,
        },
    )
    .await?
    .project
    .id;
    for (user, role) in [
        (darwin, domain::ProjectRole::Pm),
        (ada, domain::ProjectRole::SquadLead),
        (alan, domain::ProjectRole::Member),
        (grace, domain::ProjectRole::Member),
        (linus, domain::ProjectRole::Member),
    ] {
        let assignment = project_members::Assignment {
            role,
            line: domain::LineRequest::Keep,
        };
        // Curie may add only the users she may read (spec §4), and Darwin teaches in another
        // department: the demo's system admin assigns the roles, as a group admin would.
        project_members::upsert(db, admin, project, user, assignment).await?;
    }
    let squad = async |name: &str, parent: Option<Uuid>| -> Result<Uuid, ApiError> {
        let input = squads::NewSquad {
            name: name_of(name)?,
            parent_id: parent,
        };
        Ok(squads::create(db, curie, project, input).await?.id)
    };
    let robotics = squad("Robotics", None).await?;
    let sensors = squad("Sensors", Some(robotics)).await?;
    let botany = squad("Botany", None).await?;
    for (squad_id, user) in [
        (robotics, ada),
        (robotics, alan),
        (sensors, grace),
        (botany, linus),
    ] {
        squads::add_member(db, curie, squad_id, user).await?;
    }

    Ok(Some(Demo {
        school,
        project,
        users: people
            .iter()
            .map(|(email, _, _, role)| ((*email).to_owned(), *role))
            .collect(),
    }))
}

fn name_of(text: &str) -> Result<domain::Name, ApiError> {
    domain::Name::parse(text).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}
