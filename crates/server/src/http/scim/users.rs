//! `/scim/v2/Users` (spec §11): the routes every resource type serves (resources.rs), reaching
//! `services::scim::users`.

use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::resources::Resource;
use crate::error::ApiError;
use crate::services::scim::listing::{ListQuery, Page};
use crate::services::scim::schemas::USER_RESOURCE;
use crate::services::scim::user_json::{self, UserFields};
use crate::services::scim::{Change, Provisioner, users};

/// The Users resource type.
pub(super) struct Users;

impl Resource for Users {
    type Stored = entity::users::Model;
    type Fields = UserFields;
    const ENDPOINT: &'static str = "/Users";
    const NOUN: &'static str = "user";

    fn schema() -> &'static scim::schema::ResourceSchema {
        &USER_RESOURCE
    }

    fn read(body: &Value) -> Result<UserFields, ApiError> {
        UserFields::read(body)
    }

    fn version(stored: &Self::Stored) -> String {
        user_json::version(stored)
    }

    fn to_json(stored: &Self::Stored, base: &str) -> Value {
        user_json::to_json(stored, base)
    }

    async fn list(
        db: &DatabaseConnection,
        query: &ListQuery,
        base: &str,
    ) -> Result<Page, ApiError> {
        users::list(db, query, base).await
    }

    async fn get(db: &DatabaseConnection, id: Uuid) -> Result<Self::Stored, ApiError> {
        users::get(db, id).await
    }

    async fn create(
        db: &DatabaseConnection,
        client: Provisioner,
        fields: UserFields,
    ) -> Result<Self::Stored, ApiError> {
        users::create(db, client, fields).await
    }

    async fn change(
        db: &DatabaseConnection,
        client: Provisioner,
        id: Uuid,
        change: Change<UserFields>,
        if_match: Option<&str>,
        base: &str,
    ) -> Result<Self::Stored, ApiError> {
        users::change(db, client, id, change, if_match, base).await
    }

    async fn delete(
        db: &DatabaseConnection,
        client: Provisioner,
        id: Uuid,
        if_match: Option<&str>,
    ) -> Result<(), ApiError> {
        users::delete(db, client, id, if_match).await
    }
}
