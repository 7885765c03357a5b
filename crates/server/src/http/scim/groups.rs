//! `/scim/v2/Groups` (spec §11): the routes every resource type serves (resources.rs), reaching
//! `services::scim::groups`.

use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::resources::Resource;
use crate::error::ApiError;
use crate::services::scim::group_json::{self, GroupFields};
use crate::services::scim::groups::{self, Group};
use crate::services::scim::listing::{ListQuery, Page};
use crate::services::scim::schemas::GROUP_RESOURCE;
use crate::services::scim::{Change, Provisioner};

/// The Groups resource type.
pub(super) struct Groups;

impl Resource for Groups {
    type Stored = Group;
    type Fields = GroupFields;
    const ENDPOINT: &'static str = "/Groups";
    const NOUN: &'static str = "group";

    fn schema() -> &'static scim::schema::ResourceSchema {
        &GROUP_RESOURCE
    }

    fn read(body: &Value) -> Result<GroupFields, ApiError> {
        GroupFields::read(body)
    }

    fn version(stored: &Group) -> String {
        group_json::version(&stored.group)
    }

    fn to_json(stored: &Group, base: &str) -> Value {
        stored.to_json(base)
    }

    async fn list(
        db: &DatabaseConnection,
        query: &ListQuery,
        base: &str,
    ) -> Result<Page, ApiError> {
        groups::list(db, query, base).await
    }

    async fn get(db: &DatabaseConnection, id: Uuid) -> Result<Group, ApiError> {
        groups::get(db, id).await
    }

    async fn create(
        db: &DatabaseConnection,
        client: Provisioner,
        fields: GroupFields,
    ) -> Result<Group, ApiError> {
        groups::create(db, client, fields).await
    }

    async fn change(
        db: &DatabaseConnection,
        client: Provisioner,
        id: Uuid,
        change: Change<GroupFields>,
        if_match: Option<&str>,
        base: &str,
    ) -> Result<Group, ApiError> {
        groups::change(db, client, id, change, if_match, base).await
    }

    async fn delete(
        db: &DatabaseConnection,
        client: Provisioner,
        id: Uuid,
        if_match: Option<&str>,
    ) -> Result<(), ApiError> {
        groups::delete(db, client, id, if_match).await
    }
}
