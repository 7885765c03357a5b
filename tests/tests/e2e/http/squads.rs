//! squads tests (in progress).
