//! Every guarded `/v1` route feeds `roster_access_decisions_total{source="route"}`: one request
//! per variant of the route catalogue, as a principal for whom the route decides, with
//! `GET /metrics` read just before and just after it.
//!
//! A binary of its own, because the Prometheus registry is process-wide: here it sees only this
//! binary's requests, and the requests run one at a time (the backends too, see [`SERIAL`]), so
//! the difference between two reads is the one request's decisions. The throwaway objects a
//! request needs are made before the first read, since making them decides too.
// A test fails by panicking; unwrap and expect are how these tests say "this must hold".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use tests::both_backends;
use tests::db::TestDb;
use tests::routes::{Route, SPEC_ROUTES, prepare};
use tests::world::{World, brief};
use tokio::sync::Mutex;

/// Held for a whole test: the SQLite and PostgreSQL variants run in one process and must not
/// interleave their requests, or one would count the other's decisions.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// The route decisions counted so far: `roster_access_decisions_total{source="route",…}`,
/// allowed and denied summed.
async fn route_decisions(w: &World) -> f64 {
    let (status, body) = w.app.send(None, Method::GET, "/metrics", None).await;
    assert_eq!(status, 200, "GET /metrics answered {status}");
    let text = body.as_str().expect("the metrics are text");
    text.lines()
        .filter(|line| {
            line.starts_with("roster_access_decisions_total{") && line.contains(r#"source="route""#)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn every_guarded_route_feeds_the_metric(db: &TestDb) {
    let _serial = SERIAL.lock().await;
    // The catalogue reaches every route of the spec, so "every variant" is "every route".
    let reached: Vec<&str> = Route::ALL.iter().map(|route| route.endpoint()).collect();
    let unreached: Vec<&&str> = SPEC_ROUTES
        .iter()
        .filter(|route| !reached.contains(route))
        .collect();
    assert!(unreached.is_empty(), "the catalogue misses {unreached:?}");
    let w = World::build(db).await;
    // Refusals aimed at the fixture itself last, as in the matrix (they must not remove what
    // later requests use).
    let (fixture, rest): (Vec<Route>, Vec<Route>) = Route::ALL
        .into_iter()
        .filter(|route| route.guarded())
        .partition(|route| route.touches_fixture());
    let mut silent = Vec::new();
    for route in rest.into_iter().chain(fixture) {
        let (who, target) = route.decider();
        let request = prepare(&w, route, target, who).await;
        let before = route_decisions(&w).await;
        let (status, body) = request.send(&w.app, Some(w.user(who))).await;
        let after = route_decisions(&w).await;
        if after < before + 1.0 {
            silent.push(format!(
                "{} [{route:?} as {} on {target:?}]: {} {} answered {status} {}, no route decision counted",
                route.endpoint(),
                who.label(),
                request.method,
                request.path,
                brief(&body)
            ));
        }
        for failed in w.clean_up().await {
            silent.push(failed);
        }
    }
    assert!(
        silent.is_empty(),
        "{} guarded route variants do not feed roster_access_decisions_total{{source=\"route\"}}:\n{}",
        silent.len(),
        silent.join("\n")
    );
}

both_backends!(every_guarded_route_feeds_the_metric);
