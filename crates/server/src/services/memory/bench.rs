//! Benchmark-only entry into the check service's decision path (`--features bench`), for the
//! standalone `bench/` package. Never in the default binary.
//!
//! The check service and the decision facts are `pub(crate)`; this one function lets the
//! benchmarks run exactly what `POST /v1/check` runs once its consistency is settled — the
//! facts from memory (or, with memory off, from the database), the domain decision and the
//! human `reason` — without widening what the crate exposes to everyone else.

use super::Decisions;
use super::facts::Source;
use crate::error::ApiError;
use crate::services::check::{self, Answer, Check};
use crate::services::guard::Subject;

/// Answers `check` for `subject` as the check route does: on `decisions`' memory when it is on
/// (loading any fact it lacks), else on the database (one statement for a group).
pub async fn decide(
    decisions: &Decisions,
    subject: Subject,
    check: &Check,
) -> Result<Answer, ApiError> {
    check::answer(&Source::of(decisions), subject, check).await
}
