//! The shared fixture world: a school → department → class tree, an unrelated second tree,
//! a project in the class with two squads and a sub-squad, a second project in the other tree,
//! and fourteen principals holding one standing each ([`Who`]). Built once per test by
//! [`World::build`], through the API as the system admin; the authorization matrix and the
//! guard metrics run against it, and suites that need "users in every role" borrow it.
//!
//! [`Target`] names which object of the world a case is about; [`World::group`],
//! [`World::project`], [`World::squad`] and [`World::target_user`] resolve it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use uuid::Uuid;

use crate::app::{TestApp, TestUser, spawn_app};
use crate::db::TestDb;

// ---------------------------------------------------------------------------------------------
// Principals and targets
// ---------------------------------------------------------------------------------------------

/// The principals, in the order of the authorization matrix's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The system admin (bootstrapped; also admin of both projects, which they created).
    Sa,
    /// group_admin, teacher, student of the class directly.
    Ga,
    T,
    S,
    /// group_admin, teacher, student of the school: inherited at the department and the class.
    GaUp,
    TUp,
    SUp,
    /// admin, pm of the project (no group role anywhere).
    Pa,
    Pm,
    /// squad_lead in Mechanics (and so of its sub-squad Wheels).
    Sl,
    /// squad_lead in Software, the other top-level squad.
    SlOther,
    /// member of the project, in Mechanics.
    Mem,
    /// member of the other project and student of the other tree's class.
    Out,
    /// a user with no membership at all.
    Str,
}

impl Who {
    pub const ALL: [Who; 14] = [
        Who::Sa,
        Who::Ga,
        Who::T,
        Who::S,
        Who::GaUp,
        Who::TUp,
        Who::SUp,
        Who::Pa,
        Who::Pm,
        Who::Sl,
        Who::SlOther,
        Who::Mem,
        Who::Out,
        Who::Str,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Who::Sa => "SA",
            Who::Ga => "GA",
            Who::T => "T",
            Who::S => "S",
            Who::GaUp => "GA^",
            Who::TUp => "T^",
            Who::SUp => "S^",
            Who::Pa => "PA",
            Who::Pm => "PM",
            Who::Sl => "SL",
            Who::SlOther => "SL~",
            Who::Mem => "MEM",
            Who::Out => "OUT",
            Who::Str => "STR",
        }
    }

    /// The role this principal holds in the project of `target` (Robots, or Debate for
    /// `Other`), which throwaway projects mirror.
    pub fn project_role(self, target: Target) -> Option<ProjectRole> {
        match (target, self) {
            (Target::Other, Who::Out) => Some(ProjectRole::Member),
            (Target::Other, _) => None,
            (_, Who::Pa) => Some(ProjectRole::Admin),
            (_, Who::Pm) => Some(ProjectRole::Pm),
            (_, Who::Sl | Who::SlOther) => Some(ProjectRole::SquadLead),
            (_, Who::Mem) => Some(ProjectRole::Member),
            _ => None,
        }
    }
}

/// Which object a case is about; its meaning depends on the route's resource:
///
/// | target  | groups                  | projects | squads                 | users            |
/// |---------|-------------------------|----------|------------------------|------------------|
/// | Own     | Class 7B                | Robots   | Mechanics              | S (class)        |
/// | Up      | Science (class parent)  | –        | –                      | T^ (school)      |
/// | Sub     | –                       | –        | Wheels (in Mechanics)  | MEM (project)    |
/// | Sibling | –                       | –        | Software               | –                |
/// | Other   | Class 9C (other tree)   | Debate   | Openers (in Debate)    | OUT              |
/// | Mine    | –                       | –        | –                      | the caller       |
/// | Missing | an id that names nothing, for every kind                                        |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Own,
    Up,
    Sub,
    Sibling,
    Other,
    Mine,
    Missing,
}

// ---------------------------------------------------------------------------------------------
// The fixture world
// ---------------------------------------------------------------------------------------------

pub const CLASS: &str = "Class 7B";
pub const DEPT: &str = "Science";
pub const ACADEMY_CLASS: &str = "Class 9C";
pub const MECHANICS: &str = "Mechanics";
pub const WHEELS: &str = "Wheels";
pub const OPENERS: &str = "Openers";

/// The world, with the app it lives in. Built by [`World::build`]; never changed by the cases
/// run against it, which act on throwaway objects ([`World::fresh_user`], …).
pub struct World {
    pub app: TestApp,
    /// Indexed by `Who as usize`.
    pub people: Vec<TestUser>,
    /// A teacher of the department (a direct member there, for member reads).
    pub dept_teacher: TestUser,
    /// The bootstrap root that holds the system admin.
    pub org: Uuid,
    /// Springfield (root) → Science → Class 7B.
    pub school: Uuid,
    pub dept: Uuid,
    pub class: Uuid,
    /// Shelbyville (root) → Class 9C: the other tenant.
    pub academy: Uuid,
    pub academy_class: Uuid,
    /// Robots, in the class: Mechanics (with the sub-squad Wheels) and Software.
    pub p: Uuid,
    pub s1: Uuid,
    pub s1a: Uuid,
    pub s2: Uuid,
    /// Debate, in the other tree, with the squad Openers.
    pub q: Uuid,
    pub qs: Uuid,
    seq: AtomicU32,
    /// Users and groups made for one case (as `/v1/users/…` and `/v1/groups/…` paths),
    /// deleted by [`World::clean_up`] so that the lists stay short.
    throwaways: Mutex<Vec<String>>,
    /// An id no object has, and a user with that id (never stored).
    pub missing: Uuid,
    pub ghost: TestUser,
}

impl World {
    /// Starts an app on `db` and builds the world in it.
    pub async fn build(db: &TestDb) -> World {
        World::build_in(spawn_app(db).await).await
    }

    /// Builds the world in a running `app`, as its system admin (who becomes [`Who::Sa`]).
    pub async fn build_in(app: TestApp) -> World {
        let admin = app.admin.clone();
        let org = app.organisation().await;
        let school = app.create_group(&admin, "Springfield", None).await;
        let dept = app.create_group(&admin, DEPT, Some(school)).await;
        let class = app.create_group(&admin, CLASS, Some(dept)).await;
        let academy = app.create_group(&admin, "Shelbyville", None).await;
        let academy_class = app.create_group(&admin, ACADEMY_CLASS, Some(academy)).await;

        let mut people = Vec::new();
        for who in Who::ALL {
            people.push(match who {
                Who::Sa => admin.clone(),
                _ => {
                    let email = format!("{who:?}@matrix.test").to_lowercase();
                    app.create_user(&email).await
                }
            });
        }
        let person = |who: Who| people[who as usize].id;
        let dept_teacher = app.create_user("dept-teacher@matrix.test").await;
        let ghost = TestUser {
            id: Uuid::now_v7(),
            email: "ghost@matrix.test".into(),
            token: String::new(),
        };
        for (group, who, role) in [
            (class, Who::Ga, GroupRole::GroupAdmin),
            (class, Who::T, GroupRole::Teacher),
            (class, Who::S, GroupRole::Student),
            (school, Who::GaUp, GroupRole::GroupAdmin),
            (school, Who::TUp, GroupRole::Teacher),
            (school, Who::SUp, GroupRole::Student),
            (academy_class, Who::Out, GroupRole::Student),
        ] {
            app.put_group_member(&admin, group, person(who), role).await;
        }
        app.put_group_member(&admin, dept, dept_teacher.id, GroupRole::Teacher)
            .await;

        let p = app.create_project(&admin, class, "Robots").await;
        for who in [Who::Pa, Who::Pm, Who::Sl, Who::SlOther, Who::Mem] {
            if let Some(role) = who.project_role(Target::Own) {
                app.put_project_member(&admin, p, person(who), role).await;
            }
        }
        let s1 = app.create_squad(&admin, p, MECHANICS, None).await;
        let s1a = app.create_squad(&admin, p, WHEELS, Some(s1)).await;
        let s2 = app.create_squad(&admin, p, "Software", None).await;
        for (squad, who) in [(s1, Who::Sl), (s2, Who::SlOther), (s1, Who::Mem)] {
            app.put_squad_member(&admin, squad, person(who)).await;
        }

        let q = app.create_project(&admin, academy_class, "Debate").await;
        app.put_project_member(&admin, q, person(Who::Out), ProjectRole::Member)
            .await;
        let qs = app.create_squad(&admin, q, OPENERS, None).await;
        app.put_squad_member(&admin, qs, person(Who::Out)).await;

        World {
            app,
            people,
            dept_teacher,
            org,
            school,
            dept,
            class,
            academy,
            academy_class,
            p,
            s1,
            s1a,
            s2,
            q,
            qs,
            missing: ghost.id,
            ghost,
            seq: AtomicU32::new(0),
            throwaways: Mutex::new(Vec::new()),
        }
    }

    /// The principal `who`.
    pub fn user(&self, who: Who) -> &TestUser {
        &self.people[who as usize]
    }

    /// The system admin.
    pub fn admin(&self) -> &TestUser {
        &self.app.admin
    }

    /// A number not handed out before, for unique names.
    pub fn next(&self) -> u32 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// A new user with no membership, deleted again by [`World::clean_up`].
    pub async fn fresh_user(&self) -> TestUser {
        let n = self.next();
        let user = self.app.create_user(&format!("u{n}@matrix.test")).await;
        let path = format!("/v1/users/{}", user.id);
        self.throwaways.lock().unwrap().push(path);
        user
    }

    /// Deletes the users and groups made since the last call, users first (those a case
    /// deleted itself are gone already). Returns one line per deletion that failed, for the
    /// caller to report: a failed clean-up is a finding, not a reason to stop.
    pub async fn clean_up(&self) -> Vec<String> {
        let mut paths = std::mem::take(&mut *self.throwaways.lock().unwrap());
        paths.sort_by_key(|path| !path.starts_with("/v1/users/"));
        let mut failed = Vec::new();
        for path in paths {
            let (status, body) = self
                .app
                .send(Some(self.admin()), Method::DELETE, &path, None)
                .await;
            if status != 204 && status != 404 {
                failed.push(format!(
                    "clean-up: DELETE {path} answered {status} {}",
                    brief(&body)
                ));
            }
        }
        failed
    }

    /// A fresh user holding `role` in `project`.
    pub async fn fresh_member(&self, project: Uuid, role: ProjectRole) -> TestUser {
        let user = self.fresh_user().await;
        self.app
            .put_project_member(self.admin(), project, user.id, role)
            .await;
        user
    }

    /// A new user whom `who` may read (spec §4: the two share a project), as a project admin
    /// needs before adding someone: both are members of a throwaway project in a throwaway
    /// group under the class, which [`World::clean_up`] deletes with its memberships.
    pub async fn fresh_user_known_to(&self, who: Who) -> TestUser {
        let user = self.fresh_user().await;
        let lobby = self.child_group(self.class).await;
        let n = self.next();
        let project = self
            .app
            .create_project(self.admin(), lobby, &format!("Lobby {n}"))
            .await;
        let mut members = vec![user.id];
        // The system admin created the lobby and is its admin already.
        if who != Who::Sa {
            members.push(self.user(who).id);
        }
        for id in members {
            self.app
                .put_project_member(self.admin(), project, id, ProjectRole::Member)
                .await;
        }
        user
    }

    /// A new group under `parent`, deleted again by [`World::clean_up`].
    pub async fn child_group(&self, parent: Uuid) -> Uuid {
        let n = self.next();
        let group = self
            .app
            .create_group(self.admin(), &format!("Child {n}"), Some(parent))
            .await;
        let path = format!("/v1/groups/{group}");
        self.throwaways.lock().unwrap().push(path);
        group
    }

    /// A new top-level squad in `project`.
    pub async fn top_squad(&self, project: Uuid) -> Uuid {
        let n = self.next();
        self.app
            .create_squad(self.admin(), project, &format!("Squad {n}"), None)
            .await
    }

    /// The group a target names.
    pub fn group(&self, target: Target) -> Uuid {
        match target {
            Target::Up => self.dept,
            Target::Other => self.academy_class,
            Target::Missing => self.missing,
            _ => self.class,
        }
    }

    /// A direct member of the target group, with their role there.
    pub fn group_member(&self, target: Target) -> (&TestUser, GroupRole) {
        match target {
            Target::Up => (&self.dept_teacher, GroupRole::Teacher),
            Target::Other => (self.user(Who::Out), GroupRole::Student),
            _ => (self.user(Who::S), GroupRole::Student),
        }
    }

    pub fn project(&self, target: Target) -> Uuid {
        match target {
            Target::Other => self.q,
            Target::Missing => self.missing,
            _ => self.p,
        }
    }

    pub fn squad(&self, target: Target) -> Uuid {
        match target {
            Target::Sub => self.s1a,
            Target::Sibling => self.s2,
            Target::Other => self.qs,
            Target::Missing => self.missing,
            _ => self.s1,
        }
    }

    pub fn squad_name(&self, target: Target) -> &'static str {
        match target {
            Target::Sub => WHEELS,
            Target::Other => OPENERS,
            _ => MECHANICS,
        }
    }

    pub fn group_name(&self, target: Target) -> &'static str {
        match target {
            Target::Up => DEPT,
            Target::Other => ACADEMY_CLASS,
            _ => CLASS,
        }
    }

    /// The user a target names (see [`Target`]).
    pub fn target_user(&self, target: Target, who: Who) -> &TestUser {
        match target {
            Target::Up => self.user(Who::TUp),
            Target::Sub => self.user(Who::Mem),
            Target::Other => self.user(Who::Out),
            Target::Mine => self.user(who),
            Target::Missing => &self.ghost,
            _ => self.user(Who::S),
        }
    }
}

/// A body shortened for a report line.
pub fn brief(body: &serde_json::Value) -> String {
    let text = body.to_string();
    match text.char_indices().nth(240) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
