//! `/scim/v2/Users` (spec §11): the sessions Okta and Entra ID really script, deactivation and
//! its last-admin rule, ETags, lists (filters, sorting, pages, attribute selection, `/.search`),
//! bad input answered with SCIM errors (never a 500), and the audit trail of a SCIM write.

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use serde_json::{Value, json};
use tests::api::percent_encode;
use tests::app::{TestApp, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use tests::scim::{
    ENTERPRISE_USER_SCHEMA, LIST_RESPONSE, SEARCH_REQUEST, ScimClient, USER_SCHEMA, patch,
    resource_strs,
};

/// The body Okta posts to create a user, attributes Roster does not keep included.
fn okta_user(user_name: &str, given: &str, family: &str, external_id: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": external_id,
        "groups": [],
        "password": "1mz050nq",
        "active": true,
    })
}

/// A plain user with a work address at `email`.
fn user(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "emails": [{ "value": email, "type": "work" }],
    })
}

fn id(resource: &Value) -> &str {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {resource}"))
}

async fn okta_scripted_session(db: &TestDb) {
    let app = spawn_app(db).await;
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        app.create_user(email).await;
    }
    let okta = ScimClient::made_by_admin(&app, "okta").await;

    // The connection test: a page of at most two users, and how many there are.
    let page = okta.get_ok("/Users?startIndex=1&count=2").await;
    assert_eq!(page["schemas"], json!([LIST_RESPONSE]));
    assert_eq!(page["totalResults"], 4, "the admin and three users: {page}");
    assert_eq!(page["startIndex"], 1);
    assert!(page["itemsPerPage"].as_u64().unwrap() <= 2, "{page}");
    assert_eq!(
        page["Resources"].as_array().unwrap().len(),
        page["itemsPerPage"].as_u64().unwrap() as usize
    );

    // Okta looks the user up before creating them: nobody yet, which is a 200.
    let none = okta
        .filter_users(r#"userName eq "alice@example.com""#)
        .await;
    assert_eq!(none["totalResults"], 0, "{none}");
    assert!(
        none["Resources"]
            .as_array()
            .is_none_or(|resources| resources.is_empty()),
        "{none}"
    );

    // Created from Okta's own body: what Roster does not keep is ignored.
    let body = okta_user("alice@example.com", "Alice", "Smith", "00u1okta");
    let created = okta
        .send(Method::POST, "/Users", Some(&body), &[])
        .await
        .expect(201);
    let alice = created.body.clone();
    let alice_id = id(&alice).to_owned();
    assert_eq!(
        created.header("location"),
        alice["meta"]["location"].as_str()
    );
    assert!(
        alice["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{alice_id}")),
        "{alice}"
    );
    assert_eq!(alice["schemas"], json!([USER_SCHEMA]));
    assert_eq!(alice["userName"], "alice@example.com");
    assert_eq!(
        alice["name"],
        json!({ "givenName": "Alice", "familyName": "Smith" })
    );
    assert_eq!(
        alice["emails"],
        json!([{ "value": "alice@example.com", "type": "work" }])
    );
    assert_eq!(alice["displayName"], "Alice Smith");
    assert_eq!(alice["externalId"], "00u1okta");
    assert_eq!(alice["active"], true);
    assert_eq!(alice["meta"]["resourceType"], "User");
    for ignored in ["password", "locale", "groups"] {
        assert!(alice.get(ignored).is_none(), "{ignored}: {alice}");
    }

    // The lookup finds them now, ignoring case.
    for filter in [
        r#"userName eq "alice@example.com""#,
        r#"userName eq "Alice@Example.COM""#,
    ] {
        let found = okta.filter_users(filter).await;
        assert_eq!(found["totalResults"], 1, "{filter}: {found}");
        assert_eq!(found["Resources"][0]["id"], alice_id.as_str());
    }

    // Okta deactivates rather than deletes: a PATCH without a path.
    let deactivated = okta
        .patch_user(
            &alice_id,
            json!([{ "op": "replace", "value": { "active": false } }]),
        )
        .await;
    assert_eq!(deactivated["active"], false);
    let shown = okta.get_ok(&format!("/Users/{alice_id}")).await;
    assert_eq!(shown["active"], false);
    assert_eq!(
        shown["userName"], "alice@example.com",
        "nothing else changed"
    );

    // …and reactivates by sending the whole user back.
    let mut whole = okta_user("alice@example.com", "Alice", "Smith", "00u1okta");
    whole["id"] = json!(alice_id);
    let replaced = okta
        .expect(
            Method::PUT,
            &format!("/Users/{alice_id}"),
            Some(&whole),
            200,
        )
        .await;
    assert_eq!(replaced["active"], true);
    assert_eq!(replaced["id"], alice_id.as_str());
    let shown = okta.get_ok(&format!("/Users/{alice_id}")).await;
    assert_eq!(shown["active"], true);
    assert_eq!(shown["displayName"], "Alice Smith");
}

async fn entra_scripted_session(db: &TestDb) {
    let app = spawn_app(db).await;
    let entra = ScimClient::made_by_admin(&app, "entra").await;

    // Entra's own body: its extension listed, a formatted name, attributes Roster does not keep.
    let none = entra.filter_users(r#"userName eq "bob@contoso.com""#).await;
    assert_eq!(none["totalResults"], 0);
    let bob = entra
        .create_user(&json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "userName": "bob@contoso.com",
            "active": true,
            "displayName": "Bob Builder",
            "emails": [{ "primary": true, "type": "work", "value": "bob@contoso.com" }],
            "meta": { "resourceType": "User" },
            "name": { "formatted": "Bob Builder", "familyName": "Builder", "givenName": "Bob" },
            "roles": [],
        }))
        .await;
    let bob_id = id(&bob).to_owned();
    assert_eq!(bob["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    assert_eq!(
        bob["schemas"],
        json!([USER_SCHEMA]),
        "no manager yet: {bob}"
    );
    let boss = entra
        .create_user(&user("carol@contoso.com", "carol@contoso.com"))
        .await;
    let boss_id = id(&boss).to_owned();

    // Capitalised operations, and `active` as the string "False".
    let changed = entra
        .patch_user(
            &bob_id,
            json!([
                { "op": "Replace", "path": "displayName", "value": "Robert Builder" },
                { "op": "Add", "path": "name.givenName", "value": "Robert" },
                { "op": "Replace", "path": "active", "value": "False" },
                // Entra's default mappings: attributes Roster does not store are ignored.
                { "op": "Replace", "path": "title", "value": "Builder" },
                { "op": "Replace", "path": "name.formatted", "value": "Robert Builder" },
                { "op": "Add",
                  "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                  "value": "Construction" },
            ]),
        )
        .await;
    assert_eq!(changed["displayName"], "Robert Builder");
    assert_eq!(changed["name"]["givenName"], "Robert");
    assert_eq!(changed["active"], false);
    let changed = entra
        .patch_user(
            &bob_id,
            json!([{ "op": "Replace", "path": "active", "value": "True" }]),
        )
        .await;
    assert_eq!(changed["active"], true);

    // The work address through a value filter: replaced where there is one…
    let changed = entra
        .patch_user(
            &bob_id,
            json!([{
                "op": "Replace",
                "path": "emails[type eq \"work\"].value",
                "value": "robert@contoso.com",
            }]),
        )
        .await;
    assert_eq!(
        changed["emails"],
        json!([{ "value": "robert@contoso.com", "type": "work" }])
    );
    // …and added where there is none.
    let dave = entra
        .create_user(&json!({ "schemas": [USER_SCHEMA], "userName": "dave" }))
        .await;
    assert!(dave.get("emails").is_none(), "{dave}");
    let dave = entra
        .patch_user(
            id(&dave),
            json!([{
                "op": "Add",
                "path": "emails[type eq \"work\"].value",
                "value": "dave@contoso.com",
            }]),
        )
        .await;
    assert_eq!(
        dave["emails"],
        json!([{ "value": "dave@contoso.com", "type": "work" }])
    );

    // The manager comes in a later PATCH, as a bare id.
    let managed = entra
        .patch_user(
            &bob_id,
            json!([{
                "op": "Add",
                "path": format!("{ENTERPRISE_USER_SCHEMA}:manager"),
                "value": boss_id,
            }]),
        )
        .await;
    let shown = entra.get_ok(&format!("/Users/{bob_id}")).await;
    assert_eq!(managed, shown);
    assert_eq!(
        shown["schemas"],
        json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA])
    );
    let manager = &shown[ENTERPRISE_USER_SCHEMA]["manager"];
    assert_eq!(manager["value"], boss_id.as_str());
    assert!(
        manager["$ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{boss_id}")),
        "{manager}"
    );

    // Entra finds its users by their object id.
    let found = entra
        .filter_users(r#"externalId eq "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159""#)
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], bob_id.as_str());
    let none = entra.filter_users(r#"externalId eq "someone-else""#).await;
    assert_eq!(none["totalResults"], 0);
}

/// The user `/v1` made with `email`, as SCIM shows them (named by their email).
async fn scim_user_named(scim: &ScimClient, email: &str) -> Value {
    let found = scim.filter_users(&format!("userName eq \"{email}\"")).await;
    assert_eq!(found["totalResults"], 1, "{email}: {found}");
    found["Resources"][0].clone()
}

async fn deactivated_users_tokens_are_refused(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let project = app.create_project(&app.admin, school, "Garden").await;
    let dee = app.create_user("dee@example.org").await;
    app.grant_group(school, &dee, GroupRole::Teacher).await;
    app.grant_project(project, &dee, ProjectRole::Member).await;
    app.get_ok(&dee, "/v1/me").await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let shown = scim_user_named(&scim, "dee@example.org").await;
    assert_eq!(shown["id"], json!(dee.id));

    let deactivated = scim
        .patch_user(
            id(&shown),
            json!([{ "op": "replace", "value": { "active": false } }]),
        )
        .await;
    assert_eq!(deactivated["active"], false);
    // Their token is refused from now on; they are not deleted.
    let (status, body) = app.send(Some(&dee), Method::GET, "/v1/me", None).await;
    assert_eq!(status, 401, "a deactivated user's token: {body}");
    app.get_ok(&app.admin, &format!("/v1/users/{}", dee.id))
        .await;

    // Active again, the same token works.
    scim.patch_user(
        id(&shown),
        json!([{ "op": "replace", "path": "active", "value": true }]),
    )
    .await;
    app.get_ok(&dee, "/v1/me").await;
}

async fn last_admins_are_neither_deactivated_nor_deleted(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let deactivate = patch(json!([{ "op": "replace", "value": { "active": false } }]));

    // A project's last admin (its creator) stays active.
    let school = app.create_group(&app.admin, "School", None).await;
    let pat = app.create_user("pat@example.org").await;
    app.grant_group(school, &pat, GroupRole::GroupAdmin).await;
    app.create_project(&pat, school, "Garden").await;
    let pat_path = format!("/Users/{}", pat.id);
    scim.send(Method::PATCH, &pat_path, Some(&deactivate), &[])
        .await
        .expect_error(409, None);
    assert_eq!(scim.get_ok(&pat_path).await["active"], true);

    // The bootstrap admin, the only system admin, can be neither deactivated nor deleted.
    let admin = scim_user_named(&scim, &app.admin.email).await;
    let path = format!("/Users/{}", id(&admin));
    scim.send(Method::PATCH, &path, Some(&deactivate), &[])
        .await
        .expect_error(409, None);
    let mut whole = admin.clone();
    whole["active"] = json!(false);
    scim.send(Method::PUT, &path, Some(&whole), &[])
        .await
        .expect_error(409, None);
    scim.send(Method::DELETE, &path, None, &[])
        .await
        .expect_error(409, None);
    assert_eq!(scim.get_ok(&path).await, admin, "nothing changed");
    app.get_ok(&app.admin, "/v1/me").await;

    // With another system admin, the first may go (the last step as them: their token may be
    // refused from here on)…
    let other = app.create_user("second@example.org").await;
    let organisation = app.organisation().await;
    app.grant_group(organisation, &other, GroupRole::SystemAdmin)
        .await;
    let deactivated = scim
        .expect(Method::PATCH, &path, Some(&deactivate), 200)
        .await;
    assert_eq!(deactivated["active"], false);
    // …but then the other is the last active one.
    let other_path = format!("/Users/{}", other.id);
    scim.send(Method::PATCH, &other_path, Some(&deactivate), &[])
        .await
        .expect_error(409, None);
}

/// Deactivated admins grant nothing, so they do not count as the admins that must remain when
/// the last active one is deleted.
async fn the_last_active_admin_is_not_deleted_beside_deactivated_ones(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let deactivate = patch(json!([{ "op": "replace", "value": { "active": false } }]));

    // A project with two admins, one of them deactivated.
    let school = app.create_group(&app.admin, "School", None).await;
    let pat = app.create_user("pat@example.org").await;
    app.grant_group(school, &pat, GroupRole::GroupAdmin).await;
    let project = app.create_project(&pat, school, "Garden").await;
    let quinn = app.create_user("quinn@example.org").await;
    app.grant_project(project, &quinn, ProjectRole::Admin).await;
    let quinn_path = format!("/Users/{}", quinn.id);
    scim.expect(Method::PATCH, &quinn_path, Some(&deactivate), 200)
        .await;
    scim.send(Method::DELETE, &format!("/Users/{}", pat.id), None, &[])
        .await
        .expect_error(409, None);

    // Two system admins, the bootstrap admin deactivated.
    let other = app.create_user("second@example.org").await;
    let organisation = app.organisation().await;
    app.grant_group(organisation, &other, GroupRole::SystemAdmin)
        .await;
    let admin_path = format!("/Users/{}", app.admin.id);
    scim.expect(Method::PATCH, &admin_path, Some(&deactivate), 200)
        .await;
    scim.send(Method::DELETE, &format!("/Users/{}", other.id), None, &[])
        .await
        .expect_error(409, None);
}

async fn etags_guard_writes(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let created = scim
        .send(
            Method::POST,
            "/Users",
            Some(&user("erin", "erin@example.org")),
            &[],
        )
        .await
        .expect(201);
    let path = format!("/Users/{}", id(&created.body));
    let first = created.body["meta"]["version"].as_str().unwrap().to_owned();
    assert_eq!(created.etag(), first);

    let read = scim.get(&path).await.expect(200);
    assert_eq!(read.etag(), first);
    assert_eq!(read.body["meta"]["version"], first.as_str());

    // A write naming the current version goes ahead, and makes a new one.
    let rename = patch(json!([{ "op": "replace", "path": "displayName", "value": "Erin" }]));
    let renamed = scim
        .send(Method::PATCH, &path, Some(&rename), &[("if-match", &first)])
        .await
        .expect(200);
    let second = renamed.body["meta"]["version"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(renamed.etag(), second);
    assert_eq!(renamed.body["displayName"], "Erin");

    // One naming an old version is refused, and changes nothing.
    let again = patch(json!([{ "op": "replace", "path": "displayName", "value": "Stale" }]));
    scim.send(Method::PATCH, &path, Some(&again), &[("if-match", &first)])
        .await
        .expect_error(412, None);
    let mut whole = renamed.body.clone();
    whole["displayName"] = json!("Stale");
    scim.send(Method::PUT, &path, Some(&whole), &[("if-match", &first)])
        .await
        .expect_error(412, None);
    let unchanged = scim.get(&path).await.expect(200);
    assert_eq!(unchanged.body["displayName"], "Erin");
    assert_eq!(unchanged.etag(), second);

    // If-None-Match: 304 while the client's copy is current, the user once it is not.
    let current = scim
        .send(Method::GET, &path, None, &[("if-none-match", &second)])
        .await;
    assert_eq!(current.status, 304, "{}", current.body);
    assert!(current.body.is_null());
    assert_eq!(current.etag(), second);
    let stale = scim
        .send(Method::GET, &path, None, &[("if-none-match", &first)])
        .await
        .expect(200);
    assert_eq!(stale.body["displayName"], "Erin");

    // DELETE is guarded the same way.
    scim.send(Method::DELETE, &path, None, &[("if-match", &first)])
        .await
        .expect_error(412, None);
    scim.get(&path).await.expect(200);
    let deleted = scim
        .send(Method::DELETE, &path, None, &[("if-match", &second)])
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    scim.get(&path).await.expect_error(404, None);
}

async fn bad_input_gets_scim_errors(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let frank = scim
        .create_user(&user("frank@example.org", "frank@example.org"))
        .await;
    let frank_path = format!("/Users/{}", id(&frank));

    // Filters that do not parse, or name what a user does not have.
    for filter in [
        "userName eq",
        "((",
        r#"userName xx "a""#,
        r#"nickName eq "a""#,
        r#"emails[nickName eq "a"]"#,
    ] {
        scim.get(&format!("/Users?filter={}", percent_encode(filter)))
            .await
            .expect_error(400, Some("invalidFilter"));
    }
    for selection in ["attributes=nickName", "excludedAttributes=nickName"] {
        scim.get(&format!("/Users?{selection}"))
            .await
            .expect_error(400, None);
        scim.get(&format!("{frank_path}?{selection}"))
            .await
            .expect_error(400, None);
    }

    // Bodies that are not a user.
    let no_schemas = json!({ "userName": "gina" });
    let wrong_schemas = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "userName": "gina",
    });
    for body in [no_schemas, wrong_schemas] {
        scim.send(Method::POST, "/Users", Some(&body), &[])
            .await
            .expect_error(400, Some("invalidSyntax"));
    }
    for garbage in ["{\"schemas\": [", "userName=gina", ""] {
        scim.send_text(Method::POST, "/Users", Some(garbage), &[])
            .await
            .expect_error(400, Some("invalidSyntax"));
        scim.send_text(Method::PATCH, &frank_path, Some(garbage), &[])
            .await
            .expect_error(400, Some("invalidSyntax"));
    }
    let two_emails = json!({
        "schemas": [USER_SCHEMA],
        "userName": "gina",
        "emails": [{ "value": "gina@example.org" }, { "value": "gina@example.com" }],
    });
    scim.send(Method::POST, "/Users", Some(&two_emails), &[])
        .await
        .expect_error(400, Some("invalidValue"));
    let unknown = uuid::Uuid::now_v7();
    let stranger_boss = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": "gina",
        ENTERPRISE_USER_SCHEMA: { "manager": { "value": unknown } },
    });
    scim.send(Method::POST, "/Users", Some(&stranger_boss), &[])
        .await
        .expect_error(400, Some("invalidValue"));
    let path = format!("{ENTERPRISE_USER_SCHEMA}:manager");
    scim.send(
        Method::PATCH,
        &frank_path,
        Some(&patch(
            json!([{ "op": "add", "path": path, "value": unknown }]),
        )),
        &[],
    )
    .await
    .expect_error(400, Some("invalidValue"));

    // Taken: the user name ignoring case, and the address.
    let same_name = user("FRANK@example.org", "someone@example.org");
    scim.send(Method::POST, "/Users", Some(&same_name), &[])
        .await
        .expect_error(409, Some("uniqueness"));
    let same_email = user("gina", "Frank@Example.org");
    scim.send(Method::POST, "/Users", Some(&same_email), &[])
        .await
        .expect_error(409, Some("uniqueness"));
    let gina = scim.create_user(&user("gina", "gina@example.org")).await;
    let rename =
        patch(json!([{ "op": "replace", "path": "userName", "value": "Frank@example.org" }]));
    scim.send(
        Method::PATCH,
        &format!("/Users/{}", id(&gina)),
        Some(&rename),
        &[],
    )
    .await
    .expect_error(409, Some("uniqueness"));

    // Pages: numbers too large for any integer are refused; the rest are made sensible.
    scim.get("/Users?count=99999999999999999999999")
        .await
        .expect_error(400, Some("invalidValue"));
    scim.get("/Users?startIndex=abc")
        .await
        .expect_error(400, Some("invalidValue"));
    let from_zero = scim.get_ok("/Users?startIndex=0&count=1").await;
    let from_one = scim.get_ok("/Users?startIndex=1&count=1").await;
    assert_eq!(from_zero["startIndex"], 1, "{from_zero}");
    assert_eq!(from_zero["Resources"], from_one["Resources"]);
    let negative = scim.get_ok("/Users?count=-5").await;
    assert_eq!(negative["totalResults"], 3, "{negative}");
    assert_eq!(negative["itemsPerPage"], 0, "{negative}");
    assert!(
        negative["Resources"]
            .as_array()
            .is_none_or(|resources| resources.is_empty()),
        "{negative}"
    );
    let beyond = scim.get_ok("/Users?startIndex=1000").await;
    assert_eq!(beyond["totalResults"], 3);
    assert_eq!(beyond["itemsPerPage"], 0);

    // Users that do not exist, and ids that name nobody.
    for path in [format!("/Users/{unknown}"), "/Users/not-a-uuid".to_owned()] {
        scim.get(&path).await.expect_error(404, None);
        scim.send(Method::DELETE, &path, None, &[])
            .await
            .expect_error(404, None);
        let rename = patch(json!([{ "op": "replace", "path": "displayName", "value": "X" }]));
        scim.send(Method::PATCH, &path, Some(&rename), &[])
            .await
            .expect_error(404, None);
    }

    // Methods a path does not serve.
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        scim.send(method, "/ServiceProviderConfig", Some(&json!({})), &[])
            .await
            .expect_error(405, None);
    }
    scim.send(
        Method::PUT,
        "/Users",
        Some(&user("h", "h@example.org")),
        &[],
    )
    .await
    .expect_error(405, None);

    // PATCH paths that do not parse, or name what no schema declares.
    for path in [
        "shoeSize",
        "emails[type eq",
        "name.shoeSize",
        "urn:x:y:shoeSize",
    ] {
        let body = patch(json!([{ "op": "replace", "path": path, "value": "x" }]));
        scim.send(Method::PATCH, &frank_path, Some(&body), &[])
            .await
            .expect_error(400, Some("invalidPath"));
    }
    // Nothing of that reached Frank.
    assert_eq!(scim.get_ok(&frank_path).await, frank);
}

async fn count_is_clamped_to_max_results(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let config = scim.get_ok("/ServiceProviderConfig").await;
    let max = config["filter"]["maxResults"].as_u64().unwrap();
    assert_eq!(max, 200, "{config}");
    for n in 0..max {
        scim.create_user(&user(&format!("u{n:03}"), &format!("u{n:03}@example.org")))
            .await;
    }
    let page = scim.get_ok("/Users?count=100000").await;
    assert_eq!(page["totalResults"], max + 1, "and the admin");
    assert_eq!(page["itemsPerPage"], max);
    assert_eq!(page["Resources"].as_array().unwrap().len() as u64, max);
    let rest = scim
        .get_ok(&format!("/Users?startIndex={}&count=100000", max + 1))
        .await;
    assert_eq!(rest["itemsPerPage"], 1);
}

async fn lists_sort_select_and_search(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let carol = scim.create_user(&user("carol", "carol@example.org")).await;
    let alice = scim.create_user(&user("alice", "alice@example.com")).await;
    let bob = scim
        .create_user(&json!({
            "schemas": [USER_SCHEMA],
            "userName": "Bob",
            "emails": [{ "value": "bob@elsewhere.net", "type": "work" }],
        }))
        .await;
    let home = scim
        .create_user(&json!({
            "schemas": [USER_SCHEMA],
            "userName": "dora",
            "emails": [{ "value": "dora@example.org", "type": "home" }],
        }))
        .await;

    // Sorted by userName, ignoring case (it is caseExact false), both ways.
    let descending = scim
        .get_ok("/Users?sortBy=userName&sortOrder=descending")
        .await;
    assert_eq!(
        resource_strs(&descending, "userName"),
        ["dora", "carol", "Bob", "alice", "admin@localhost"]
    );
    let ascending = scim.get_ok("/Users?sortBy=userName").await;
    assert_eq!(
        resource_strs(&ascending, "userName"),
        ["admin@localhost", "alice", "Bob", "carol", "dora"]
    );
    let second_page = scim
        .get_ok("/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2")
        .await;
    assert_eq!(resource_strs(&second_page, "userName"), ["carol", "Bob"]);
    assert_eq!(second_page["totalResults"], 5);

    // attributes= keeps id and schemas, whatever is asked; excludedAttributes= leaves out.
    let names = scim.get_ok("/Users?attributes=userName").await;
    for resource in names["Resources"].as_array().unwrap() {
        let mut keys: Vec<&str> = resource
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "schemas", "userName"], "{resource}");
    }
    let one = scim
        .get_ok(&format!("/Users/{}?attributes=userName", id(&carol)))
        .await;
    assert_eq!(one.as_object().unwrap().len(), 3, "{one}");
    let without = scim.get_ok("/Users?excludedAttributes=emails").await;
    for resource in without["Resources"].as_array().unwrap() {
        assert!(resource.get("emails").is_none(), "{resource}");
        assert!(resource["userName"].is_string(), "{resource}");
    }

    // /.search takes the same parameters in a body, and answers the same.
    let filter = r#"emails[type eq "work" and value co "@example"]"#;
    let by_get = scim
        .get_ok(&format!(
            "/Users?filter={}&sortBy=userName&attributes=userName,emails",
            percent_encode(filter)
        ))
        .await;
    assert_eq!(resource_strs(&by_get, "userName"), ["alice", "carol"]);
    let search = json!({
        "schemas": [SEARCH_REQUEST],
        "filter": filter,
        "sortBy": "userName",
        "attributes": ["userName", "emails"],
    });
    for path in ["/Users/.search", "/.search"] {
        let by_post = scim.expect(Method::POST, path, Some(&search), 200).await;
        assert_eq!(by_post, by_get, "{path}");
    }
    let paged = json!({
        "schemas": [SEARCH_REQUEST],
        "sortBy": "userName",
        "sortOrder": "descending",
        "startIndex": 2,
        "count": 2,
    });
    let by_post = scim
        .expect(Method::POST, "/Users/.search", Some(&paged), 200)
        .await;
    assert_eq!(by_post, second_page);
    let not_a_search = json!({ "schemas": [USER_SCHEMA], "filter": filter });
    scim.send(Method::POST, "/Users/.search", Some(&not_a_search), &[])
        .await
        .expect_error(400, Some("invalidSyntax"));
    let bad_filter = json!({ "schemas": [SEARCH_REQUEST], "filter": "((" });
    scim.send(Method::POST, "/.search", Some(&bad_filter), &[])
        .await
        .expect_error(400, Some("invalidFilter"));

    // Filters over the rest of the representation.
    let others = scim
        .filter_users(r#"emails[type eq "work"] and not (emails.value co "@example")"#)
        .await;
    assert_eq!(resource_strs(&others, "id"), [id(&bob)]);
    let homes = scim.filter_users(r#"emails.type eq "home""#).await;
    assert_eq!(resource_strs(&homes, "id"), [id(&home)]);
    let starts = scim
        .filter_users(r#"userName sw "a" or userName ew "OB""#)
        .await;
    assert_eq!(
        resource_strs(&starts, "userName"),
        ["admin@localhost", "alice", "Bob"]
    );
    let none = scim
        .filter_users(r#"emails pr and userName eq "nobody""#)
        .await;
    assert_eq!(none["totalResults"], 0);

    // meta.lastModified compares instants: only what changed after dora was made.
    let since = home["meta"]["lastModified"].as_str().unwrap().to_owned();
    scim.patch_user(
        id(&alice),
        json!([{ "op": "replace", "path": "displayName", "value": "Alice" }]),
    )
    .await;
    let changed = scim
        .filter_users(&format!("meta.lastModified gt \"{since}\""))
        .await;
    assert_eq!(resource_strs(&changed, "userName"), ["alice"]);
    let by_then = scim
        .filter_users(&format!("meta.lastModified le \"{since}\""))
        .await;
    assert_eq!(by_then["totalResults"], 4, "{by_then}");
}

async fn scim_writes_are_audited_as_the_token(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let token_id = scim.token_id.unwrap().to_string();
    let ivy = scim.create_user(&user("ivy", "ivy@example.org")).await;
    let ivy_id = id(&ivy).to_owned();
    scim.patch_user(
        &ivy_id,
        json!([{ "op": "replace", "path": "displayName", "value": "Ivy" }]),
    )
    .await;
    let deleted = scim
        .send(Method::DELETE, &format!("/Users/{ivy_id}"), None, &[])
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);

    let trail = audit_of(&app, &ivy_id).await;
    let actions: Vec<&str> = trail
        .iter()
        .map(|event| event["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.create", "user.update", "user.delete"]);
    for event in &trail {
        assert_eq!(event["actor_id"], token_id.as_str(), "{event}");
        assert_eq!(event["details"]["via"], "scim", "{event}");
    }
    assert_eq!(trail[0]["details"]["after"]["email"], "ivy@example.org");
    // Only the writes: reads leave no trace.
    let by_token = app
        .get_ok(&app.admin, &format!("/v1/audit?actor_id={token_id}"))
        .await;
    assert_eq!(by_token["items"].as_array().unwrap().len(), 3);
}

/// The audit events about `resource`, oldest first, as the system admin reads them.
async fn audit_of(app: &TestApp, resource: &str) -> Vec<Value> {
    let page = app
        .get_ok(&app.admin, &format!("/v1/audit?resource_id={resource}"))
        .await;
    page["items"].as_array().unwrap().clone()
}

both_backends!(okta_scripted_session);
both_backends!(entra_scripted_session);
both_backends!(deactivated_users_tokens_are_refused);
both_backends!(last_admins_are_neither_deactivated_nor_deleted);
both_backends!(the_last_active_admin_is_not_deleted_beside_deactivated_ones);
both_backends!(etags_guard_writes);
both_backends!(bad_input_gets_scim_errors);
both_backends!(count_is_clamped_to_max_results);
both_backends!(lists_sort_select_and_search);
both_backends!(scim_writes_are_audited_as_the_token);
