//! HTTP semantics the framework would otherwise get wrong: `HEAD` on every `GET` route.

use reqwest::Method;
use tests::app::spawn_app;
use tests::both_backends;
use tests::db::TestDb;

/// `HEAD` answers exactly what `GET` would, without the body; paths without a `GET` still answer
/// 404 / 405, and the `Allow` of a `GET` path names `HEAD`.
async fn head_mirrors_get(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "Headed", None).await;
    let path = format!("/v1/groups/{group}");
    for (path, token) in [("/healthz", None), (path.as_str(), Some(&app.admin.token))] {
        let with_token = |method: Method| {
            let request = app.request(method, path);
            match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
        };
        let get = with_token(Method::GET).send().await.expect("GET sent");
        let head = with_token(Method::HEAD).send().await.expect("HEAD sent");
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        for header in ["content-type", "content-length"] {
            assert_eq!(
                head.headers().get(header),
                get.headers().get(header),
                "{header} of HEAD {path}"
            );
        }
        assert!(
            head.bytes().await.expect("read").is_empty(),
            "HEAD {path} sent a body"
        );
    }
    let unknown = app.call(None, Method::HEAD, "/nowhere", None).await;
    assert_eq!(unknown.status(), 404);
    let refused = app.call(None, Method::DELETE, "/healthz", None).await;
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.headers()["allow"], "GET, HEAD");
    // A route without GET does not gain HEAD.
    let post_only = app
        .call(Some(&app.admin), Method::HEAD, "/v1/check", None)
        .await;
    assert_eq!(post_only.status(), 405);
}

both_backends!(head_mirrors_get);
