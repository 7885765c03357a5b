//! A page window: the rows after a sort key, at most `limit` of them — what a list service
//! reads. The routes turn cursors into windows and rows into pages (`http::pagination`).

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    Value,
};

/// Serve rows whose sort key is strictly greater than `after`, at most `limit` of them (a
/// service fetches one more, [`Window::fetch`], so the route can tell whether a page follows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<K> {
    pub after: Option<K>,
    pub limit: u64,
}

impl<K> Window<K> {
    /// How many rows to fetch: one more than the page.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// The same window with its key in another form (a path as the text the column holds).
    pub fn map<L>(&self, f: impl Fn(&K) -> L) -> Window<L> {
        Window {
            after: self.after.as_ref().map(f),
            limit: self.limit,
        }
    }
}

impl<K: Clone + Into<Value>> Window<K> {
    /// The rows of `query` in this window, in the order of the key column `key`.
    pub async fn read<E: EntityTrait>(
        &self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        key: E::Column,
    ) -> Result<Vec<E::Model>, DbErr> {
        let query = match &self.after {
            Some(after) => query.filter(key.gt(after.clone())),
            None => query,
        };
        query.order_by_asc(key).limit(self.fetch()).all(db).await
    }
}
