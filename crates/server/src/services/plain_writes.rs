//! The baseline of the write benchmark (`bench/`, G4): a server built with the `bench` feature
//! and started with `ROSTER_BENCH_PLAIN_WRITES=true` writes as Roster did before revisions —
//! no shared counter, no effective-access deltas, no outbox. Its audit events still need a
//! unique revision (the column is required), so they take one from a process-local counter,
//! which costs the database nothing. The default build has no such mode: [`enabled`] is a
//! constant `false` there and the branches that ask it compile away.

#[cfg(feature = "bench")]
mod switch {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicI64, Ordering};

    use sea_orm::{ConnectionTrait, DbErr, Statement};

    /// Whether this server writes the plain way (read once).
    pub fn enabled() -> bool {
        static ON: OnceLock<bool> = OnceLock::new();
        *ON.get_or_init(|| std::env::var("ROSTER_BENCH_PLAIN_WRITES").is_ok_and(|v| v == "true"))
    }

    /// The next revision from the process-local counter, started after the newest stored one.
    pub async fn number(tx: &impl ConnectionTrait) -> Result<i64, DbErr> {
        static NEXT: tokio::sync::OnceCell<AtomicI64> = tokio::sync::OnceCell::const_new();
        let next = NEXT
            .get_or_try_init(|| async {
                let row = tx
                    .query_one_raw(Statement::from_string(
                        tx.get_database_backend(),
                        "SELECT COALESCE(MAX(revision), 0) FROM audit_events",
                    ))
                    .await?
                    .ok_or_else(|| DbErr::RecordNotFound("MAX(revision)".into()))?;
                Ok::<_, DbErr>(AtomicI64::new(row.try_get_by_index::<i64>(0)? + 1))
            })
            .await?;
        Ok(next.fetch_add(1, Ordering::Relaxed))
    }

    /// Stores `event` as Roster did before revisions: one plain insert. (On SQLite the
    /// counter's trigger still moves the counter, inside that statement.)
    pub async fn insert(
        tx: &impl ConnectionTrait,
        event: entity::audit_events::Model,
    ) -> Result<(), DbErr> {
        use sea_orm::{EntityTrait, IntoActiveModel};
        entity::audit_events::Entity::insert(event.into_active_model())
            .exec_without_returning(tx)
            .await?;
        Ok(())
    }
}

#[cfg(feature = "bench")]
pub use switch::{enabled, insert, number};

/// Always `false` outside benchmark builds.
#[cfg(not(feature = "bench"))]
pub const fn enabled() -> bool {
    false
}
