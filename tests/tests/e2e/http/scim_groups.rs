//! SCIM Groups as the two big identity providers really push them (spec §11): Okta's group
//! push (create, rename with the id in a path-less replace, members added and removed through a
//! value filter, PUT) and Entra ID's (groups matched by `displayName eq` without their members,
//! capitalised `Add`/`Remove` of members with a value list, rename); squad bindings; reporting
//! lines repaired when a bound project role changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::ProjectRole;
use reqwest::Method;
use serde_json::{Value, json};
use tests::api::percent_encode;
use tests::app::spawn_app;
use tests::both_backends;
use tests::db::TestDb;
use tests::scim::{ScimClient, patch};
use uuid::Uuid;

use super::scim_bindings::{allowed, bind, change_members, push_group};

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn member_ids(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn okta_pushes_groups(db: &TestDb) {
    let app = spawn_app(db).await;
    let okta = ScimClient::made_by_admin(&app, "okta").await;
    let (ada, bob) = (
        app.create_user("ada@example.org").await,
        app.create_user("bob@example.org").await,
    );
    // Push: the group is created empty, then renamed and filled.
    let created = okta
        .expect(
            Method::POST,
            "/Groups",
            Some(
                &json!({ "schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": [] }),
            ),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/Groups/{id}");
    let renamed = okta
        .expect(
            Method::PATCH,
            &path,
            Some(&patch(json!([{ "op": "replace",
                "value": { "id": id, "displayName": "Engineering (all)" } }]))),
            200,
        )
        .await;
    assert_eq!(renamed["displayName"], "Engineering (all)");
    let filled = okta
        .expect(
            Method::PATCH,
            &path,
            Some(&patch(json!([{ "op": "add", "path": "members", "value": [
                { "value": ada.id, "display": "ada@example.org" },
                { "value": bob.id, "display": "bob@example.org" }
            ] }]))),
            200,
        )
        .await;
    let mut expected = vec![ada.id.to_string(), bob.id.to_string()];
    expected.sort();
    assert_eq!(member_ids(&filled), expected);
    let emptier = okta
        .expect(
            Method::PATCH,
            &path,
            Some(&patch(
                json!([{ "op": "remove", "path": format!("members[value eq \"{}\"]", ada.id) }]),
            )),
            200,
        )
        .await;
    assert_eq!(member_ids(&emptier), [bob.id.to_string()]);
    // Okta's full push replaces the members.
    let replaced = okta
        .expect(
            Method::PUT,
            &path,
            Some(&json!({ "schemas": [GROUP_SCHEMA], "id": id,
                "displayName": "Engineering (all)", "members": [{ "value": ada.id }] })),
            200,
        )
        .await;
    assert_eq!(member_ids(&replaced), [ada.id.to_string()]);
    // A member that is no user is refused; the group is unchanged.
    okta.send(
        Method::PATCH,
        &path,
        Some(&patch(json!([{ "op": "add", "path": "members",
            "value": [{ "value": Uuid::now_v7() }] }]))),
        &[],
    )
    .await
    .expect_error(400, Some("invalidValue"));
    assert_eq!(member_ids(&okta.get_ok(&path).await), [ada.id.to_string()]);
    okta.expect(Method::DELETE, &path, None, 204).await;
    okta.get(&path).await.expect_error(404, None);
}

async fn entra_matches_groups_by_display_name(db: &TestDb) {
    let app = spawn_app(db).await;
    let entra = ScimClient::made_by_admin(&app, "entra").await;
    let carol = app.create_user("carol@contoso.com").await;
    let lookup = format!(
        "/Groups?filter={}&excludedAttributes=members",
        percent_encode("displayName eq \"Sales\"")
    );
    assert_eq!(entra.get_ok(&lookup).await["totalResults"], 0);
    let group = push_group(&entra, "Sales", &[carol.id]).await;
    let found = entra.get_ok(&lookup).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], json!(group));
    assert!(found["Resources"][0].get("members").is_none(), "{found}");
    // Case does not matter in displayName.
    let shouted = format!(
        "/Groups?filter={}",
        percent_encode("displayName eq \"SALES\"")
    );
    assert_eq!(entra.get_ok(&shouted).await["totalResults"], 1);

    change_members(&entra, group, "Remove", &[carol.id])
        .await
        .expect(200);
    change_members(&entra, group, "Add", &[carol.id])
        .await
        .expect(200);
    let renamed = entra
        .expect(
            Method::PATCH,
            &format!("/Groups/{group}"),
            Some(&patch(
                json!([{ "op": "Replace", "path": "displayName", "value": "Sales EMEA" }]),
            )),
            200,
        )
        .await;
    assert_eq!(renamed["displayName"], "Sales EMEA");
    assert_eq!(member_ids(&renamed), [carol.id.to_string()]);
    // Bad input: no displayName, wrong schemas, a malformed filter.
    entra
        .send(
            Method::POST,
            "/Groups",
            Some(&json!({ "schemas": [GROUP_SCHEMA] })),
            &[],
        )
        .await
        .expect_error(400, Some("invalidValue"));
    entra
        .send(
            Method::POST,
            "/Groups",
            Some(&json!({ "displayName": "X" })),
            &[],
        )
        .await
        .expect_error(400, Some("invalidSyntax"));
    entra
        .get(&format!(
            "/Groups?filter={}",
            percent_encode("displayName eq")
        ))
        .await
        .expect_error(400, Some("invalidFilter"));
}

/// A squad binding makes its members project members with the bound role, and squad members;
/// a bound project role that changes repairs the project's reporting lines.
async fn squad_bindings_and_reporting_lines(db: &TestDb) {
    let app = spawn_app(db).await;
    let scim = ScimClient::made_by_admin(&app, "okta").await;
    let school = app.create_group(&app.admin, "School", None).await;
    let project = app.create_project(&app.admin, school, "Apollo").await;
    let squad = app.create_squad(&app.admin, project, "Flight", None).await;
    let (pat, uma) = (
        app.create_user("pat@example.org").await,
        app.create_user("uma@example.org").await,
    );
    app.grant_project(project, &pat, ProjectRole::Pm).await;
    let crew = push_group(&scim, "Crew", &[uma.id]).await;
    bind(&app, &app.admin, crew, "squad", squad, "member").await;
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/projects/{project}/members/{}", uma.id),
        )
        .await;
    assert_eq!(member["role"], "member");
    assert_eq!(member["sources"], json!([format!("idp_group:{crew}")]));
    assert_eq!(
        member["reports_to"],
        json!(pat.id),
        "the closest stronger member"
    );
    let squad_members = app
        .get_ok(&app.admin, &format!("/v1/squads/{squad}/members"))
        .await;
    assert_eq!(squad_members["items"][0]["user_id"], json!(uma.id));
    assert_eq!(
        squad_members["items"][0]["sources"],
        json!([format!("idp_group:{crew}")])
    );

    // Pat becomes an admin through another binding: no pm is left, so Uma's line is repaired.
    let leads = push_group(&scim, "Leads", &[pat.id]).await;
    bind(&app, &app.admin, leads, "project", project, "admin").await;
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/projects/{project}/members/{}", pat.id),
        )
        .await;
    assert_eq!(
        member["role"], "admin",
        "the strongest of manual pm and bound admin"
    );
    assert_eq!(
        member["sources"],
        json!(["manual", format!("idp_group:{leads}")])
    );
    let member = app
        .get_ok(
            &app.admin,
            &format!("/v1/projects/{project}/members/{}", uma.id),
        )
        .await;
    assert_eq!(member["reports_to"], json!(app.admin.id), "{member}");

    // Leaving the IdP group takes Uma out of the squad and the project at once.
    change_members(&scim, crew, "Remove", &[uma.id])
        .await
        .expect(200);
    assert!(!allowed(&app, &uma, "project.view", "project", project).await);
    let squad_members = app
        .get_ok(&app.admin, &format!("/v1/squads/{squad}/members"))
        .await;
    assert_eq!(squad_members["items"], json!([]));
}

both_backends!(
    okta_pushes_groups,
    entra_matches_groups_by_display_name,
    squad_bindings_and_reporting_lines,
);
