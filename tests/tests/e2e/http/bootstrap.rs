//! Bootstrapping: one first system admin, even when several servers start at once.

use migration::MigratorTrait;
use roster_server::auth::count_system_admins;
use roster_server::services::bootstrap::bootstrap;
use tests::both_backends;
use tests::db::TestDb;

async fn concurrent_bootstraps_create_one_admin(db: &TestDb) {
    migration::Migrator::up(&db.connect().await, None)
        .await
        .unwrap();
    // Separate pools, as two server processes would have.
    let pools = futures_util::future::join_all((0..4).map(|_| async {
        let settings = tests::app::test_settings(db);
        roster_server::db::connect(&settings).await.unwrap()
    }))
    .await;
    let email = domain::Email::parse("first@example.org").unwrap();
    let group = domain::Name::parse("Organisation").unwrap();
    let results =
        futures_util::future::join_all(pools.iter().map(|pool| bootstrap(pool, &email, &group)))
            .await;
    let created = results
        .into_iter()
        .map(Result::unwrap)
        .filter(Option::is_some)
        .count();
    assert_eq!(created, 1);
    assert_eq!(count_system_admins(&pools[0]).await.unwrap(), 1);
    // A later start finds the admin and creates nothing.
    assert!(
        bootstrap(&pools[1], &email, &group)
            .await
            .unwrap()
            .is_none()
    );
}

both_backends!(concurrent_bootstraps_create_one_admin);
