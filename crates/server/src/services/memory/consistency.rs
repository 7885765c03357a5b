//! How fresh a decision must be (spec §13, SpiceDB's model): every change committed before the
//! request began, anything memory holds, or at least a revision the caller names.

use std::str::FromStr;

/// The consistency a check, a batch or a lookup asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// Reflects every change committed before the request began: one revision read (shared by
    /// the requests waiting at that moment), then memory once it has reached that revision.
    FullyConsistent,
    /// Memory as it stands; stale by at most the notification delay, and never while this
    /// server has lost its notifications (it then answers as `FullyConsistent`).
    MinimizeLatency,
    /// Never from data older than this revision (a `Roster-Revision` the caller saw).
    AtLeastAsFresh(i64),
}

impl Consistency {
    pub const FULLY_CONSISTENT: &'static str = "fully_consistent";
    pub const MINIMIZE_LATENCY: &'static str = "minimize_latency";
}

/// The server's default, `ROSTER_DEFAULT_CONSISTENCY`: one of the two modes that need no token.
impl FromStr for Consistency {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            Self::FULLY_CONSISTENT => Ok(Self::FullyConsistent),
            Self::MINIMIZE_LATENCY => Ok(Self::MinimizeLatency),
            _ => Err(format!(
                "must be {} or {} (at_least_as_fresh needs a revision, so it is asked per request)",
                Self::FULLY_CONSISTENT,
                Self::MINIMIZE_LATENCY
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_default_is_one_of_the_tokenless_modes() {
        assert_eq!(
            "fully_consistent".parse::<Consistency>().unwrap(),
            Consistency::FullyConsistent
        );
        assert_eq!(
            "minimize_latency".parse::<Consistency>().unwrap(),
            Consistency::MinimizeLatency
        );
        assert!("at_least_as_fresh".parse::<Consistency>().is_err());
        assert!("".parse::<Consistency>().is_err());
    }
}
