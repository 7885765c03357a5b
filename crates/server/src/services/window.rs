//! A page window: the rows after a sort key, at most `limit` of them — what a list service
//! reads. The routes turn cursors into windows and rows into pages (`http::pagination`).

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
}
